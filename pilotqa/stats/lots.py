"""Lot-to-lot differences: one-way ANOVA, Welch ANOVA, Kruskal–Wallis, Brown–Forsythe,
random-effects variance components, between/within capability, per-lot summaries and Tukey HSD.

The lot is one grouping factor among several: the computation is
:func:`pilotqa.stats.factors.factor_effect_all` (shared with the stream analysis of fixtures,
nests, machines …); :func:`lots_all` calls it with ``factor="lot"`` and writes the keys the
``lots`` object of ``pilotqa.analysis/1`` has always had. :func:`variance_components` and
:data:`MIN_PER_LOT` are re-exported from there.
"""
from __future__ import annotations

from typing import Any

import polars as pl

from pilotqa.settings import Settings
from pilotqa.stats.factors import MIN_PER_GROUP, factor_effect_all, variance_components

__all__ = ["MIN_PER_LOT", "variance_components", "lots_all"]

#: A lot enters the tests only with at least this many readings (a lot of one reading has no
#: within-lot variance).
MIN_PER_LOT: int = MIN_PER_GROUP


def lots_all(meas: pl.DataFrame, specs: pl.DataFrame, settings: Settings) -> dict[str, dict[str, Any] | None]:
    """Lot-to-lot analysis for every feature.

    Parameters
    ----------
    meas : pl.DataFrame
        Canonical measurements, null values dropped.
    specs : pl.DataFrame
        Canonical specs (lsl, usl, nominal, lower_bound_zero).
    settings : Settings
        ``alpha``, ``lot_effect_pct``.

    Returns
    -------
    dict
        feature → None when the feature has fewer than 2 lots, else a dict:
        ``k`` (lots tested, each ≥ :data:`MIN_PER_LOT` readings), ``anova_f``, ``anova_p``
        (classical one-way ANOVA, ``scipy.stats.f_oneway``), ``welch_f``, ``welch_p`` (Welch,
        ``statsmodels.stats.oneway.anova_oneway(use_var="unequal")``), ``kruskal_p``
        (Kruskal–Wallis, tie-corrected), ``levene_p`` (Brown–Forsythe: Levene with
        ``center="median"``), ``variance_test`` (``"brown-forsythe"``), ``between_lot_share``,
        ``sigma_between``, ``sigma_within_lots``, ``sigma_bw`` (units), ``var_between_truncated``,
        ``cp_bw``, ``cpk_bw`` (indices with σ_B/W), ``lot_mean_range`` (units),
        ``lot_mean_range_pct_tolerance`` (%), ``tolerance``, ``per_lot`` [{``lot``, ``n``,
        ``mean``, ``sd``, ``pp``, ``ppk``, ``first_sequence``}] in production order, ``tukey``
        [{``lot_a``, ``lot_b``, ``diff`` = mean_a − mean_b, ``p_adj``, ``reject`` = p_adj < α}]
        (Tukey–Kramer HSD as ``scipy.stats.tukey_hsd``; only when significant), ``test_used`` (``anova`` or ``welch``),
        ``significant``, ``practically_relevant``, ``notes``.

    Notes
    -----
    ``significant``: the Brown–Forsythe test decides which mean test counts — when it rejects
    equal variances (p < α) the Welch ANOVA p-value is used, otherwise the classical ANOVA
    p-value; significant = that p < α. ``practically_relevant``: range of lot means >
    ``settings.lot_effect_pct`` % of the tolerance (:func:`pilotqa.stats.drift.tolerance_width`).
    The decision stage flags a lot effect only when both hold.

    Between/within capability: σ_B/W = √(σ²_B + σ²_W) from :func:`variance_components`, and
    :math:`C_{pk,B/W} = \\min(USL - \\bar y, \\bar y - LSL)/(3\\sigma_{B/W})`, so a lot shift
    lowers the index. Minitab's Between/Within capability estimates σ_between from the moving
    range of subgroup means over time; lots are few (2–5) and not a time series, so the ANOVA
    moment estimator is used here instead — same model, different estimator. Per-lot indices
    use the lot's overall SD and are therefore labelled Pp/Ppk, not Cp/Cpk.

    Tukey HSD reports the adjusted p-values of ``scipy.stats.tukey_hsd`` (Tukey–Kramer for
    unequal lot sizes) only: the simultaneous intervals add nothing to the decision (``reject``
    ⇔ interval excludes 0). The statistics are computed as ``tukey_hsd`` does, for the reported
    pairs only; the p-values of all pairs of all features come from one vectorised evaluation of
    the studentized range (:func:`pilotqa.stats.studentized_range.studentized_range_sf`), which
    agrees with ``tukey_hsd``'s ``scipy.stats.studentized_range.sf`` within scipy's quadrature
    tolerance (1e-11) and with ``statsmodels``' ``pairwise_tukeyhsd`` (checked in the tests).

    Per-lot counts, means, SDs and first sequences of all features come from one polars
    ``group_by``; the readings of the tested lots are sorted once and each feature's tests run on
    slices of that array with the libraries' arithmetic (equal results; see
    :func:`pilotqa.stats.factors.factor_effect_all`).

    Validated against: Montgomery DOE 8th ed. Example 3.1 (F₀ = 66.80) and Example 3.11
    (variance components); Welch F against ``scipy.stats.f_oneway(equal_var=False)`` (tests).

    References
    ----------
    Montgomery, *Design and Analysis of Experiments* 8th ed., §3.3 (ANOVA), §3.5.7 (Tukey),
    §3.9 (random effects), §3.11.1 (Kruskal–Wallis); Welch (1951), Biometrika 38, 330–336;
    Brown & Forsythe (1974), JASA 69, 364–367; NIST/SEMATECH e-Handbook §1.3.5.10 (Levene),
    §7.4.3 (one-way ANOVA), §7.4.7.1 (Tukey); Minitab 21, "Methods and formulas for
    Between/Within Capability Analysis".

    Examples
    --------
    >>> import polars as pl
    >>> m = pl.DataFrame({"feature": ["F"] * 8, "lot": ["A"] * 4 + ["B"] * 4,
    ...     "sequence": list(range(8)), "value": [1.0, 1.2, 0.9, 1.1, 2.0, 2.1, 1.9, 2.2]})
    >>> sp = pl.DataFrame({"feature": ["F"], "nominal": [1.5], "lsl": [0.0], "usl": [3.0],
    ...     "lower_bound_zero": [False]})
    >>> r = lots_all(m, sp, Settings())["F"]
    >>> r["k"], r["significant"], round(r["lot_mean_range_pct_tolerance"], 1), [p["lot"] for p in r["per_lot"]]
    (2, True, 33.3, ['A', 'B'])
    """
    res = factor_effect_all(meas, specs, settings, "lot", label="lot", relevance_pct=settings.lot_effect_pct,
                            tukey_min_k=2, tukey_only_significant=True)
    return {feat: (None if r is None else _lot_keys(r)) for feat, r in res.items()}


def _lot_keys(r: dict[str, Any]) -> dict[str, Any]:
    """The factor result under the keys of the ``lots`` object (unchanged since before streams)."""
    return {
        "k": r["k"], "anova_f": r["anova_f"], "anova_p": r["anova_p"], "welch_f": r["welch_f"],
        "welch_p": r["welch_p"], "kruskal_p": r["kruskal_p"], "levene_p": r["levene_p"],
        "variance_test": r["variance_test"], "between_lot_share": r["between_share"],
        "sigma_between": r["sigma_between"], "sigma_within_lots": r["sigma_within"], "sigma_bw": r["sigma_bw"],
        "var_between_truncated": r["var_between_truncated"], "cp_bw": r["cp_bw"], "cpk_bw": r["cpk_bw"],
        "lot_mean_range": r["mean_range"], "lot_mean_range_pct_tolerance": r["mean_range_pct_tolerance"],
        "tolerance": r["tolerance"],
        "per_lot": [{"lot": p["group"], "n": p["n"], "mean": p["mean"], "sd": p["sd"], "pp": p["pp"],
                     "ppk": p["ppk"], "first_sequence": p["first_sequence"]} for p in r["per_group"]],
        "tukey": [{"lot_a": t["a"], "lot_b": t["b"], "diff": t["diff"], "p_adj": t["p_adj"], "reject": t["reject"]}
                  for t in r["tukey"]],
        "test_used": r["test_used"], "significant": r["significant"],
        "practically_relevant": r["practically_relevant"], "notes": r["notes"],
    }
