"""Lot-to-lot differences: one-way ANOVA, Welch ANOVA, Kruskal–Wallis, Brown–Forsythe,
random-effects variance components, between/within capability, per-lot summaries and Tukey HSD.

Two layers (style pattern 3): :func:`variance_components` is the summary-statistics core
(lot sizes, means, SDs → mean squares and σ² components); :func:`lots_all` computes the per-lot
summaries of all features in one polars ``group_by`` and runs the scipy/statsmodels tests once
per feature.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.oneway import anova_oneway

from pilotqa.util import finite_or_none as _num
from pilotqa.settings import Settings
from pilotqa.stats.capability import index_from_sigma
from pilotqa.stats.drift import tolerance_width

__all__ = ["MIN_PER_LOT", "variance_components", "lots_all"]

#: A lot enters the tests only with at least this many readings (a lot of one reading has no
#: within-lot variance).
MIN_PER_LOT: int = 2


def variance_components(n: ArrayLike, means: ArrayLike, sds: ArrayLike) -> dict[str, float | None]:
    """One-way random-effects variance components by the ANOVA method of moments.

    Parameters
    ----------
    n, means, sds : array_like
        Per lot: number of readings, mean and sample SD (ddof 1).

    Returns
    -------
    dict
        ``msb``, ``msw`` (mean squares between/within, units²), ``n0``, ``var_between``,
        ``var_within`` (units²; ``var_between`` truncated at 0), ``truncated`` (bool: the raw
        moment estimate was negative), ``between_share`` (σ²_B/(σ²_B + σ²_W), None when the
        total is 0), ``sigma_between``, ``sigma_within``, ``sigma_bw`` (units).

    Notes
    -----
    With k lots, N readings, grand mean :math:`\\bar y`:

    .. math::
        MSB = \\frac{\\sum n_i(\\bar y_i - \\bar y)^2}{k-1}, \\quad
        MSW = \\frac{\\sum (n_i - 1)s_i^2}{N-k}, \\quad
        n_0 = \\frac{N - \\sum n_i^2/N}{k-1}

    .. math::
        \\hat\\sigma^2_B = \\max\\left(0, \\frac{MSB - MSW}{n_0}\\right), \\quad
        \\hat\\sigma^2_W = MSW, \\quad
        \\sigma_{B/W} = \\sqrt{\\hat\\sigma^2_B + \\hat\\sigma^2_W}

    (:math:`n_0 = n` for balanced lots). A negative moment estimate is taken as evidence that
    σ²_B = 0 (Montgomery DOE §3.9).

    Validated against: Montgomery, *Design and Analysis of Experiments* 8th ed., Example 3.11
    (looms, balanced: σ̂² = 1.90, σ̂²_τ = 6.96).

    References
    ----------
    Montgomery, *Design and Analysis of Experiments* 8th ed. (2013), §3.9 (random effects
    model, ANOVA estimators of the variance components); Searle, Casella & McCulloch,
    *Variance Components* (1992), ch. 3 (one-way classification, unbalanced data, n0).

    Examples
    --------
    >>> vc = variance_components([4, 4], [10.0, 12.0], [1.0, 1.0])
    >>> vc["msb"], vc["msw"], vc["var_between"], vc["between_share"]
    (8.0, 1.0, 1.75, 0.6363636363636364)
    """
    ni = np.asarray(n, dtype=float)
    mi = np.asarray(means, dtype=float)
    si = np.asarray(sds, dtype=float)
    k, big_n = ni.size, float(ni.sum())
    out: dict[str, Any] = dict.fromkeys(
        ["msb", "msw", "n0", "var_between", "var_within", "between_share", "sigma_between", "sigma_within", "sigma_bw"]
    )
    out["truncated"] = False
    if k < 2 or big_n - k < 1:
        return out
    grand = float(np.sum(ni * mi) / big_n)
    msb = float(np.sum(ni * (mi - grand) ** 2) / (k - 1))
    msw = float(np.sum((ni - 1) * si**2) / (big_n - k))
    n0 = (big_n - float(np.sum(ni**2)) / big_n) / (k - 1)
    raw = (msb - msw) / n0
    vb = max(0.0, raw)
    total = vb + msw
    out.update(
        msb=msb, msw=msw, n0=n0, var_between=vb, var_within=msw, truncated=bool(raw < 0),
        between_share=(vb / total if total > 0 else None),
        sigma_between=math.sqrt(vb), sigma_within=math.sqrt(msw), sigma_bw=math.sqrt(total),
    )
    return {key: (_num(v) if isinstance(v, float) else v) for key, v in out.items()}


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Call a scipy/statsmodels test; degenerate data → (None, reason) instead of a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs), None
        except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as exc:
            return None, str(exc).split("\n")[0]


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
        (Tukey–Kramer HSD, ``scipy.stats.tukey_hsd``; only when significant), ``test_used`` (``anova`` or ``welch``),
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

    Tukey HSD uses ``scipy.stats.tukey_hsd`` (Tukey–Kramer for unequal lot sizes) for the
    adjusted p-values only: the simultaneous intervals cost two more studentized-range
    quadratures per pair and add nothing to the decision (``reject`` ⇔ interval excludes 0);
    its p-values equal ``statsmodels``' ``pairwise_tukeyhsd`` (checked in the tests).

    Per-lot counts, means, SDs and first sequences of all features come from one polars
    ``group_by``; the tests run once per feature.

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
    out: dict[str, dict[str, Any] | None] = {}
    if meas.height == 0:
        return out
    m = meas.select("feature", "lot", "sequence", "value")
    null_lot = dict(m.filter(pl.col("lot").is_null()).group_by("feature").agg(pl.len()).iter_rows())
    m = m.filter(pl.col("lot").is_not_null())
    per_lot = (
        m.group_by("feature", "lot")
        .agg(
            pl.len().alias("n"),
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("sd"),
            pl.col("sequence").min().alias("first_sequence"),
        )
        .sort(["feature", "first_sequence", "lot"], nulls_last=True)
    )
    spec_rows = {
        r["feature"]: r
        for r in specs.select("feature", "nominal", "lsl", "usl", "lower_bound_zero").iter_rows(named=True)
    }
    summaries = per_lot.partition_by("feature", as_dict=True, maintain_order=True)
    raw = m.sort(["feature", "sequence"], maintain_order=True).partition_by("feature", as_dict=True, maintain_order=True)
    all_features = meas["feature"].unique(maintain_order=True).to_list()
    alpha = settings.alpha
    for feat in all_features:
        summ = summaries.get((feat,))
        if summ is None or summ.height < 2:
            out[feat] = None
            continue
        sp = spec_rows.get(feat, {})
        lsl, usl = _num(sp.get("lsl")), _num(sp.get("usl"))
        notes: list[str] = []
        if null_lot.get(feat):
            notes.append(f"{null_lot[feat]} reading(s) without a lot excluded from the lot analysis")
        cols = summ.to_dict(as_series=False)
        n_arr = np.asarray(cols["n"], dtype=np.int64)
        ok = n_arr >= MIN_PER_LOT
        dropped = [str(lot) for lot, keep in zip(cols["lot"], ok) if not keep]
        if dropped:
            notes.append(f"lot(s) {', '.join(dropped)} with fewer than {MIN_PER_LOT} readings excluded from the tests")
        per = []
        for lot, n_i, mean_i, sd_i, first in zip(cols["lot"], cols["n"], cols["mean"], cols["sd"], cols["first_sequence"]):
            pp, ppk = index_from_sigma(mean_i, sd_i, lsl, usl)
            per.append({
                "lot": lot, "n": int(n_i), "mean": _num(mean_i), "sd": _num(sd_i),
                "pp": _num(pp), "ppk": _num(ppk), "first_sequence": int(first) if first is not None else None,
            })
        k = int(ok.sum())
        tol, basis = tolerance_width(lsl, usl, sp.get("nominal"), sp.get("lower_bound_zero"))
        res: dict[str, Any] = {
            "k": k, "anova_f": None, "anova_p": None, "welch_f": None, "welch_p": None,
            "kruskal_p": None, "levene_p": None, "variance_test": "brown-forsythe",
            "between_lot_share": None, "sigma_between": None, "sigma_within_lots": None,
            "sigma_bw": None, "var_between_truncated": None, "cp_bw": None, "cpk_bw": None,
            "lot_mean_range": None, "lot_mean_range_pct_tolerance": None, "tolerance": _num(tol),
            "per_lot": per, "tukey": [], "test_used": None, "significant": None,
            "practically_relevant": None, "notes": notes,
        }
        out[feat] = res
        if k < 2:
            notes.append(f"fewer than 2 lots with at least {MIN_PER_LOT} readings: no lot comparison")
            continue
        lots_ok = [lot for lot, keep in zip(cols["lot"], ok) if keep]
        g = raw[(feat,)]
        lot_all = g["lot"].to_numpy()
        keep = np.isin(lot_all, lots_ok)
        lot_col = lot_all[keep]
        vals = g["value"].to_numpy().astype(float)[keep]
        groups = [vals[lot_col == lot] for lot in lots_ok]

        # Variance components and between/within capability (summary layer).
        means = np.asarray(cols["mean"], dtype=float)[ok]
        sds = np.array([0.0 if v is None else v for v in cols["sd"]], dtype=float)[ok]
        vc = variance_components(n_arr[ok], means, sds)
        if vc["truncated"]:
            notes.append("between-lot variance estimate was negative (MSB < MSW): set to 0")
        grand = float(vals.mean())
        cp_bw, cpk_bw = index_from_sigma(grand, vc["sigma_bw"], lsl, usl)
        rng = float(means.max() - means.min())
        pct = _num(rng / tol * 100.0) if tol else None
        if tol is None:
            notes.append(f"no tolerance width ({basis}): lot effect not expressed as % of tolerance")
        res.update(
            between_lot_share=vc["between_share"], sigma_between=vc["sigma_between"],
            sigma_within_lots=vc["sigma_within"], sigma_bw=vc["sigma_bw"],
            var_between_truncated=vc["truncated"], cp_bw=_num(cp_bw), cpk_bw=_num(cpk_bw),
            lot_mean_range=_num(rng), lot_mean_range_pct_tolerance=pct,
            practically_relevant=(bool(pct > settings.lot_effect_pct) if pct is not None else None),
        )

        # Hypothesis tests (raw-data layer).
        if not any(np.ptp(x) > 0 for x in groups):
            notes.append("no variation within any lot: ANOVA-type tests undefined")
        an, why = _quiet(stats.f_oneway, *groups)
        if an is not None:
            res.update(anova_f=_num(an.statistic), anova_p=_num(an.pvalue))
        we, why_w = _quiet(anova_oneway, groups, use_var="unequal")
        if we is not None:
            res.update(welch_f=_num(we.statistic), welch_p=_num(we.pvalue))
        kw, why_k = _quiet(stats.kruskal, *groups)
        if kw is not None:
            res["kruskal_p"] = _num(kw.pvalue)
        elif why_k:
            notes.append(f"Kruskal–Wallis undefined: {why_k}")
        lv, _ = _quiet(stats.levene, *groups, center="median")
        if lv is not None:
            res["levene_p"] = _num(lv.pvalue)
        lev = res["levene_p"]
        use_welch = lev is not None and lev < alpha
        p_used = res["welch_p"] if use_welch else res["anova_p"]
        res["test_used"] = "welch" if use_welch else "anova"
        if use_welch:
            notes.append("lot variances differ (Brown–Forsythe p < alpha): Welch ANOVA decides significance")
        if p_used is None:
            notes.append("lot mean test undefined (degenerate data): significance unknown")
        else:
            res["significant"] = bool(p_used < alpha)
        if res["significant"]:
            tk, why_t = _quiet(stats.tukey_hsd, *groups)
            if tk is not None:
                pv = tk.pvalue
                res["tukey"] = [
                    {
                        "lot_a": str(lots_ok[i]), "lot_b": str(lots_ok[j]),
                        "diff": _num(groups[i].mean() - groups[j].mean()), "p_adj": _num(pv[i, j]),
                        "reject": bool(pv[i, j] < alpha),
                    }
                    for i in range(k) for j in range(i + 1, k)
                ]
            else:
                notes.append(f"Tukey HSD undefined: {why_t}")
    return out
