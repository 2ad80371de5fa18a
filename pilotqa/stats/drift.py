"""Drift over the run (tool wear, thermal growth): HAC-robust OLS slope, Mann–Kendall trend test,
drift as % of tolerance and the projected number of parts until the ±3σ band reaches a limit.

Two layers (style pattern 3): :func:`drift_test` works on one series (arrays), :func:`drift_all`
summarises all features with one polars ``group_by`` and calls the fits once per feature.
:func:`tolerance_width` is the tolerance convention shared with :mod:`pilotqa.stats.lots`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import statsmodels.api as sm
from numpy.typing import ArrayLike
from scipy import stats

from pilotqa.util import finite_or_none as _num
from pilotqa.settings import Settings

__all__ = ["MIN_N_DRIFT", "NSIGMA_BAND", "tolerance_width", "newey_west_lags", "parts_to_limit", "drift_test", "drift_all"]

#: Fewest readings for a trend test: with n = 4 the smallest two-sided Mann–Kendall p-value is
#: 2/4! = 0.083, so no trend could ever be significant at α = 0.05.
MIN_N_DRIFT: int = 5


def tolerance_width(
    lsl: float | None, usl: float | None, nominal: float | None = None, lower_bound_zero: bool | None = False
) -> tuple[float | None, str]:
    """Tolerance width used to express drift and lot effects as % of tolerance.

    Returns
    -------
    (width, basis)
        Two-sided: USL − LSL. One-sided: |limit − nominal| when a nominal different from the
        limit is given; an upper limit on a feature bounded at zero (position, flatness …)
        without nominal: USL − 0. Otherwise ``(None, reason)``.

    Examples
    --------
    >>> w, basis = tolerance_width(9.98, 10.02)
    >>> round(w, 6), basis
    (0.04, 'USL - LSL')
    >>> tolerance_width(None, 0.1, 0.0, True)
    (0.1, '|USL - nominal|')
    """
    lo = _num(lsl)
    hi = _num(usl)
    nom = _num(nominal)
    if lo is not None and hi is not None:
        return (hi - lo if hi > lo else None), ("USL - LSL" if hi > lo else "USL <= LSL")
    limit, name = (hi, "USL") if hi is not None else (lo, "LSL")
    if limit is None:
        return None, "no specification limit"
    if nom is not None and nom != limit:
        return abs(limit - nom), f"|{name} - nominal|"
    if name == "USL" and lower_bound_zero and limit > 0:
        return limit, "USL - 0 (natural lower bound)"
    return None, f"one-sided ({name} only) without a nominal"


def newey_west_lags(n: int) -> int:
    """Newey–West (1994) rule-of-thumb truncation lag for the Bartlett kernel.

    .. math:: L = \\lfloor 4\\,(n/100)^{2/9} \\rfloor

    References
    ----------
    Newey, W. K. and West, K. D. (1994), "Automatic lag selection in covariance matrix
    estimation", Review of Economic Studies 61(4), 631–653.

    Examples
    --------
    >>> newey_west_lags(100), newey_west_lags(30), newey_west_lags(1000)
    (4, 3, 6)
    """
    return max(0, min(int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))), n - 3))


#: Half-width of the process band projected to the limit, in within sigmas.
NSIGMA_BAND: float = 3.0


def parts_to_limit(
    intercept: float,
    slope: float,
    last_sequence: float,
    sigma_within: float,
    lsl: float | None,
    usl: float | None,
) -> tuple[int | None, str | None]:
    """Further parts until the fitted line ± 3σ_within reaches the limit in the drift direction.

    .. math:: m = \\left\\lceil \\frac{USL - 3\\sigma_w - (a + b\\,s_{last})}{b} \\right\\rceil
              \\ (b > 0), \\qquad
              m = \\left\\lceil \\frac{LSL + 3\\sigma_w - (a + b\\,s_{last})}{b} \\right\\rceil \\ (b < 0)

    clipped at 0 (already there). One sequence step = one part.

    Returns
    -------
    (parts, note)
        ``parts`` None with the reason in ``note`` when there is no slope or no limit in the
        drift direction.

    Examples
    --------
    >>> parts_to_limit(0.0, 0.01, 99, 0.1, None, 2.0)
    (71, None)
    """
    if not (math.isfinite(slope) and slope != 0.0):
        return None, "no slope"
    if not (math.isfinite(sigma_within) and sigma_within >= 0):
        return None, "within sigma undefined: no projection"
    here = intercept + slope * last_sequence
    if slope > 0:
        if usl is None:
            return None, "drift upwards but no upper specification limit"
        gap = (usl - NSIGMA_BAND * sigma_within - here) / slope
    else:
        if lsl is None:
            return None, "drift downwards but no lower specification limit"
        gap = (lsl + NSIGMA_BAND * sigma_within - here) / slope
    return max(0, int(math.ceil(round(gap, 9)))), None


def drift_test(
    sequence: ArrayLike, values: ArrayLike, *, confidence: float = 0.95
) -> dict[str, Any]:
    """Linear trend of ``values`` against ``sequence``: HAC OLS slope and Mann–Kendall test.

    Parameters
    ----------
    sequence, values : array_like
        Production order and readings (same length, no NaN).
    confidence : float
        Level of the slope confidence interval.

    Returns
    -------
    dict
        ``slope`` (units per sequence step), ``intercept``, ``slope_ci`` [lo, hi], ``p_value``
        (HAC t-test of slope = 0), ``hac_maxlags``, ``mann_kendall_p``, ``kendall_tau``, ``n``,
        ``notes`` — floats are finite or None.

    Notes
    -----
    OLS :math:`y_i = a + b\\,s_i + e_i`; the standard error of :math:`\\hat b` is the
    Newey–West HAC estimator (Bartlett kernel, lag :func:`newey_west_lags`, small-sample
    factor n/(n − 2): ``use_correction=True``) so serially correlated residuals (a wandering
    process) do not inflate significance; p-value and interval use the t distribution with
    n − 2 df.

    Mann–Kendall: :math:`S = \\sum_{i<j} \\mathrm{sgn}(y_j - y_i)` over time order, which is
    Kendall's τ numerator of (sequence, value); ``scipy.stats.kendalltau(sequence, values)``
    therefore *is* the Mann–Kendall test: exact null distribution for small n without ties,
    otherwise the normal approximation with the tie-corrected variance
    :math:`\\mathrm{Var}(S) = [n(n-1)(2n+5) - \\sum t(t-1)(2t+5)]/18` (no continuity
    correction; checked numerically in the tests).

    Validated against: a planted linear trend and a flat series (tests); MK p-value against the
    textbook S/Var(S) formula.

    References
    ----------
    Newey & West (1987) Econometrica 55(3), 703–708; Newey & West (1994) Rev. Econ. Stud. 61(4);
    Mann (1945) Econometrica 13, 245–259; Kendall (1975) *Rank Correlation Methods*, 4th ed.;
    Hipel & McLeod (1994) *Time Series Modelling of Water Resources and Environmental Systems*
    (Mann–Kendall trend test with ties).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.arange(50.0)
    >>> r = drift_test(s, 0.002 * s + 0.001 * np.sin(s))
    >>> round(r["slope"], 4), r["p_value"] < 0.001, r["mann_kendall_p"] < 0.001
    (0.002, True, True)
    """
    s = np.asarray(sequence, dtype=float)
    y = np.asarray(values, dtype=float)
    n = int(y.size)
    notes: list[str] = []
    res: dict[str, Any] = {
        "slope": None, "intercept": None, "slope_ci": None, "p_value": None, "hac_maxlags": None,
        "mann_kendall_p": None, "kendall_tau": None, "n": n, "notes": notes,
    }
    if n < MIN_N_DRIFT or np.unique(s).size < 3:
        notes.append(f"fewer than {MIN_N_DRIFT} readings or 3 distinct sequence numbers: no trend test")
        return res
    if np.ptp(y) == 0:
        res.update(slope=0.0, intercept=float(y[0]), slope_ci=[0.0, 0.0])
        notes.append("all readings equal: no variation, trend tests undefined")
        return res
    lags = newey_west_lags(n)
    fit = sm.OLS(y, sm.add_constant(s)).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
    )
    ci = fit.conf_int(alpha=1.0 - confidence)[1]
    tau = stats.kendalltau(s, y)
    res.update(
        slope=_num(fit.params[1]),
        intercept=_num(fit.params[0]),
        slope_ci=[_num(ci[0]), _num(ci[1])],
        p_value=_num(fit.pvalues[1]),
        hac_maxlags=lags,
        mann_kendall_p=_num(tau.pvalue),
        kendall_tau=_num(tau.statistic),
    )
    return res


def drift_all(
    meas: pl.DataFrame,
    specs: pl.DataFrame,
    sigma_within: dict[str, float | None],
    settings: Settings,
) -> dict[str, dict[str, Any]]:
    """Drift statistics for every feature.

    Parameters
    ----------
    meas : pl.DataFrame
        Canonical measurements, null values dropped.
    specs : pl.DataFrame
        Canonical specs (lsl, usl, nominal, lower_bound_zero per feature).
    sigma_within : dict
        feature → within sigma from the capability stage (for the ±3σ band).
    settings : Settings
        ``alpha``, ``drift_pct``, ``confidence``.

    Returns
    -------
    dict
        feature → ``slope`` (units/part), ``slope_ci``, ``p_value``, ``mann_kendall_p``,
        ``kendall_tau``, ``hac_maxlags``, ``n``, ``sequence_span``, ``drift_pct_tolerance``
        (%), ``tolerance``, ``tolerance_basis``, ``parts_to_limit`` (parts after the last one),
        ``significant``, ``practically_relevant``, ``notes``.

    Notes
    -----
    .. math:: \\text{drift\\%} = \\frac{|\\hat b|\\,(s_{max} - s_{min})}{T} \\times 100

    with T from :func:`tolerance_width`. ``significant`` = HAC p < α **and** Mann–Kendall
    p < α with the same sign (both a parametric and a rank test must agree, so one outlier or
    autocorrelation alone does not flag drift). ``practically_relevant`` = drift% >
    ``settings.drift_pct``. ``parts_to_limit`` only when significant (:func:`parts_to_limit`).
    Per-feature counts and sequence spans come from one polars ``group_by``; the statsmodels
    and scipy fits run once per feature.

    References
    ----------
    See :func:`drift_test`.

    Examples
    --------
    >>> import polars as pl
    >>> m = pl.DataFrame({"feature": ["F"] * 40, "sequence": list(range(40)),
    ...                   "value": [10 + 0.001 * i + 0.0005 * (-1) ** i for i in range(40)]})
    >>> sp = pl.DataFrame({"feature": ["F"], "nominal": [10.0], "lsl": [9.95], "usl": [10.05],
    ...                    "lower_bound_zero": [False]})
    >>> d = drift_all(m, sp, {"F": 0.001}, Settings())["F"]
    >>> d["significant"], round(d["drift_pct_tolerance"], 1), d["parts_to_limit"]
    (True, 38.9, 9)
    """
    out: dict[str, dict[str, Any]] = {}
    if meas.height == 0:
        return out
    summ = (
        meas.group_by("feature")
        .agg(
            pl.len().alias("n"),
            (pl.col("sequence").max() - pl.col("sequence").min()).alias("span"),
            pl.col("sequence").max().alias("last_seq"),
        )
        .join(specs.select("feature", "nominal", "lsl", "usl", "lower_bound_zero"), on="feature", how="left")
    )
    info = {r["feature"]: r for r in summ.iter_rows(named=True)}
    data = meas.select("feature", "sequence", "value").sort(["feature", "sequence"], maintain_order=True)
    alpha = settings.alpha
    for key, g in data.partition_by("feature", as_dict=True, maintain_order=True).items():
        feat = str(key[0])
        r = info[feat]
        res = drift_test(g["sequence"].to_numpy(), g["value"].to_numpy(), confidence=settings.confidence)
        notes: list[str] = res.pop("notes")
        intercept = res["intercept"]
        tol, basis = tolerance_width(r["lsl"], r["usl"], r["nominal"], r["lower_bound_zero"])
        slope = res["slope"]
        span = r["span"]
        pct = _num(abs(slope) * span / tol * 100.0) if (slope is not None and tol and span is not None) else None
        if tol is None:
            notes.append(f"no tolerance width ({basis}): drift not expressed as % of tolerance")
        p, mk = res["p_value"], res["mann_kendall_p"]
        significant: bool | None
        if p is None or mk is None:
            significant = False if slope == 0.0 else None
        else:
            same_sign = np.sign(slope) == np.sign(res["kendall_tau"] or 0.0)
            significant = bool(p < alpha and mk < alpha and same_sign)
            if p < alpha and mk < alpha and not same_sign:
                notes.append("OLS slope and Mann–Kendall trend disagree in sign: not flagged")
        ptl: int | None = None
        if significant:
            sw = sigma_within.get(feat)
            if sw is None or not math.isfinite(sw):
                notes.append("within sigma undefined: parts to limit not projected")
            else:
                ptl, why = parts_to_limit(intercept, slope, float(r["last_seq"]), float(sw), _num(r["lsl"]), _num(r["usl"]))
                if why:
                    notes.append(f"parts to limit not projected: {why}")
        elif significant is False:
            notes.append("no significant drift: parts to limit not projected")
        out[feat] = {
            **res,
            "sequence_span": int(span) if span is not None else None,
            "drift_pct_tolerance": pct,
            "tolerance": _num(tol),
            "tolerance_basis": basis,
            "parts_to_limit": ptl,
            "significant": significant,
            "practically_relevant": (bool(pct > settings.drift_pct) if pct is not None else None),
            "notes": notes,
        }
    return out
