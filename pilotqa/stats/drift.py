"""Drift over the run (tool wear, thermal growth): HAC-robust OLS slope, Mann–Kendall trend test,
drift as % of tolerance and the projected number of parts until the ±3σ band reaches a limit.

Two layers (style pattern 3): :func:`drift_test` works on one series (arrays), :func:`drift_all`
on all features. The HAC OLS fit is closed form and computed for every feature at once
(:func:`hac_trend`, numpy group sums; no statsmodels); the Mann–Kendall test
(``scipy.stats.kendalltau``) runs on all features of one length at once.
:func:`tolerance_width` is the tolerance convention shared with :mod:`pilotqa.stats.lots`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray
from scipy import special

from pilotqa.util import finite_or_none as _num
from pilotqa.settings import Settings
from pilotqa.stats.stability import feature_sort_code

__all__ = ["MIN_N_DRIFT", "NSIGMA_BAND", "tolerance_width", "newey_west_lags", "parts_to_limit", "hac_trend", "drift_test",
           "drift_all"]

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


def hac_trend(
    sequence: ArrayLike,
    values: ArrayLike,
    group: ArrayLike | None = None,
    *,
    confidence: float = 0.95,
) -> dict[str, NDArray[Any]]:
    """OLS trend line with Newey–West HAC standard errors for many series at once, in closed form.

    Parameters
    ----------
    sequence, values : array_like
        Production order and readings of all series, concatenated; each series in time order
        (the order the lag sums follow). No NaN.
    group : array_like of int, optional
        Series index 0 … G − 1 of every reading; the readings of one series must be contiguous
        (sorted by series). Default: one series.
    confidence : float
        Level of the slope confidence interval.

    Returns
    -------
    dict of arrays, one entry per series
        ``n``, ``lags`` (Bartlett truncation lag :func:`newey_west_lags`), ``slope``,
        ``intercept``, ``se`` (HAC standard error of the slope), ``t``, ``p_value`` (two-sided,
        t with n − 2 df), ``ci_low``, ``ci_high``. Series whose slope is not identified (fewer
        than 2 distinct sequence numbers) or too short (n ≤ 2) give NaN; a series without
        residual variation gives se = 0 (t = ±inf or NaN, p = 0 or NaN).

    Notes
    -----
    Per series, with :math:`\\bar s, \\bar y` the means, :math:`d_i = s_i - \\bar s`,
    :math:`S_{xx} = \\sum d_i^2`:

    .. math::
        \\hat b = \\frac{\\sum d_i (y_i - \\bar y)}{S_{xx}}, \\quad \\hat a = \\bar y - \\hat b\\,\\bar s,
        \\quad e_i = y_i - \\hat a - \\hat b\\,s_i, \\quad v_i = d_i\\,e_i

    The Newey–West (1987) sandwich :math:`(X'X)^{-1}\\,\\hat S\\,(X'X)^{-1}` with
    :math:`X = [1, s]`, score vectors :math:`u_i = x_i e_i` and the Bartlett kernel
    :math:`\\hat S = \\sum_i u_i u_i' + \\sum_{l=1}^{L} w_l \\sum_{i>l} (u_i u_{i-l}' + u_{i-l} u_i')`,
    :math:`w_l = 1 - l/(L+1)`, has as its slope element — the slope row of :math:`(X'X)^{-1}`
    is :math:`(-\\bar s, 1)/S_{xx}`, whose product with :math:`u_i` is :math:`v_i/S_{xx}` —

    .. math::
        \\widehat{\\mathrm{Var}}(\\hat b) = \\frac{n}{n-2}\\;\\frac{1}{S_{xx}^2}
        \\Big[\\sum_i v_i^2 + 2\\sum_{l=1}^{L} w_l \\sum_{i=l+1}^{n} v_i v_{i-l}\\Big]

    where n/(n − k), k = 2, is the small-sample factor of statsmodels' ``cov_hac_simple``
    (``use_correction=True``). :math:`t = \\hat b/\\mathrm{se}`, p = 2 P(T_{n-2} > |t|) and the
    interval :math:`\\hat b \\pm t_{n-2,\\,1-\\alpha/2}\\,\\mathrm{se}` as ``use_t=True``.
    All series are computed together: group sums by ``numpy.bincount``, one pass over the
    readings per lag l ≤ max L (lag products across a series boundary are dropped).

    Validated against: ``statsmodels`` ``OLS(y, add_constant(s)).fit(cov_type="HAC",
    cov_kwds={"maxlags": L, "use_correction": True}, use_t=True)`` — slope, intercept, standard
    error, p-value and interval to ~1e-10 relative (hypothesis property test).

    References
    ----------
    Newey, W. K. and West, K. D. (1987), "A simple, positive semi-definite, heteroskedasticity
    and autocorrelation consistent covariance matrix", Econometrica 55(3), 703–708;
    statsmodels ``statsmodels.stats.sandwich_covariance.cov_hac_simple`` / ``S_hac_simple``
    (https://www.statsmodels.org/stable/generated/statsmodels.stats.sandwich_covariance.cov_hac.html).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.arange(40.0)
    >>> r = hac_trend(np.r_[s, s], np.r_[2 + 0.5 * s + np.sin(s), 1 - 0.1 * s + np.cos(s)], np.repeat([0, 1], 40))
    >>> np.round(r["slope"], 4).tolist(), r["lags"].tolist()
    ([0.4977, -0.0983], [3, 3])
    """
    s = np.asarray(sequence, dtype=float)
    y = np.asarray(values, dtype=float)
    g = np.zeros(s.size, dtype=np.intp) if group is None else np.asarray(group, dtype=np.intp)
    n_groups = int(g.max()) + 1 if g.size else 0
    n = np.bincount(g, minlength=n_groups).astype(float)
    lags = np.array([newey_west_lags(int(k)) for k in n], dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ds = s - (np.bincount(g, weights=s, minlength=n_groups) / n)[g]
        dy = y - (np.bincount(g, weights=y, minlength=n_groups) / n)[g]
        sxx = np.bincount(g, weights=ds * ds, minlength=n_groups)
        slope = np.bincount(g, weights=ds * dy, minlength=n_groups) / sxx
        intercept = np.bincount(g, weights=y, minlength=n_groups) / n - slope * (
            np.bincount(g, weights=s, minlength=n_groups) / n)
        v = ds * (dy - slope[g] * ds)
        meat = np.bincount(g, weights=v * v, minlength=n_groups).astype(np.float64)
        for lag in range(1, int(lags.max(initial=0)) + 1):
            w = np.clip(1.0 - lag / (lags + 1.0), 0.0, None)
            prod = v[lag:] * v[:-lag]
            prod[g[lag:] != g[:-lag]] = 0.0  # a product across a series boundary adds +0.0: the same sums
            cross = np.bincount(g[lag:], weights=prod, minlength=n_groups)
            meat += 2.0 * w * cross
        se = np.sqrt(n / (n - 2.0) * meat) / sxx
        df = n - 2.0
        t = slope / se
        # Student t tail and quantile as scipy.stats.t.sf/ppf compute them (t_gen._sf, _ppf)
        p = 2.0 * special.stdtr(df, -np.abs(t))
        q = special.stdtrit(df, 1.0 - (1.0 - confidence) / 2.0)
    bad = ~(sxx > 0) | (n <= 2)
    for arr in (slope, intercept, se, t, p):
        arr[bad] = np.nan
    return {
        "n": n.astype(np.int64), "lags": lags, "slope": slope, "intercept": intercept, "se": se, "t": t,
        "p_value": p, "ci_low": np.where(bad, np.nan, slope - q * se),
        "ci_high": np.where(bad, np.nan, slope + q * se),
    }


def _degenerate(s: NDArray[np.float64], y: NDArray[np.float64]) -> dict[str, Any] | None:
    """The result of a series on which no trend test runs (too short, ≤ 2 distinct sequence
    numbers, or constant readings), else None."""
    n = int(y.size)
    res: dict[str, Any] = {
        "slope": None, "intercept": None, "slope_ci": None, "p_value": None, "hac_maxlags": None,
        "mann_kendall_p": None, "kendall_tau": None, "n": n, "notes": [],
    }
    if n < MIN_N_DRIFT or np.unique(s).size < 3:
        res["notes"].append(f"fewer than {MIN_N_DRIFT} readings or 3 distinct sequence numbers: no trend test")
        return res
    if np.ptp(y) == 0:
        res.update(slope=0.0, intercept=float(y[0]), slope_ci=[0.0, 0.0])
        res["notes"].append("all readings equal: no variation, trend tests undefined")
        return res
    return None


def _mann_kendall(s: NDArray[np.float64], y: NDArray[np.float64], starts: list[int], ends: list[int]
                  ) -> dict[int, tuple[float, float]]:
    """``(tau, p)`` of ``scipy.stats.kendalltau(s[a:b], y[a:b])`` for every series ``(a, b)``,
    with kendalltau's own arithmetic (Kendall 1945 τ_b; Kendall 1970 tie-corrected variance):

    .. math::
        \\tau_b = \\frac{P - Q}{\\sqrt{T_0 - T_x}\\,\\sqrt{T_0 - T_y}}, \\quad
        z = \\frac{P - Q}{\\sqrt{\\mathrm{Var}}}, \\quad p = 2\\,\\Phi(-|z|),

    .. math::
        \\mathrm{Var} = \\frac{m(2n+5) - \\sum_x t(t-1)(2t+5) - \\sum_y u(u-1)(2u+5)}{18}
        + \\frac{2 T_x T_y}{m} + \\frac{\\sum_x t(t-1)(t-2) \\sum_y u(u-1)(u-2)}{9m(n-2)}

    with :math:`m = n(n-1)`, :math:`T_0 = n(n-1)/2` pairs, :math:`T_x, T_y` the pairs tied in
    sequence / in value (t, u tie-group sizes), P − Q = T_0 − T_x − T_y + T_{xy} − 2Q
    (:math:`T_{xy}` pairs tied in both, Q discordant pairs).

    Series of equal length are ranked together as the rows of one 2-D array (one argsort for
    all of them: dense ranks of value, then of sequence, as kendalltau ranks them); the integer
    counts (tied pairs, tie sums) come from whole-array operations and the discordant pairs Q
    from scipy's own merge-sort counter (``scipy.stats._stats._kendall_dis``), one call per
    series, so every integer equals kendalltau's and the floating-point formula above is
    evaluated with the same operations in the same order — the same bits
    (``tests/test_families_speed_drift.py``). kendalltau itself is called for a series that
    takes its exact null distribution (no ties and n ≤ 33 or at most one discordant/concordant
    pair), has a non-finite reading, has more than 100,000 readings (where its float tie sums
    may round) or when scipy no longer has the counter. Keys are the positions in ``starts``.

    References: Kendall, M. G. (1945), "The treatment of ties in ranking problems", Biometrika
    33(3), 239–251; Kendall, M. G. (1970), *Rank Correlation Methods*, 4th ed.; Noether (1967);
    ``scipy.stats.kendalltau`` (variant "b", method "auto").
    """
    from scipy import stats  # scipy.stats only when a trend test runs

    try:
        from scipy.stats._stats import _kendall_dis
    except ImportError:  # pragma: no cover - a scipy without the private counter: kendalltau itself
        _kendall_dis = None
    by_len: dict[int, list[int]] = {}
    for i, (a, b) in enumerate(zip(starts, ends)):
        by_len.setdefault(b - a, []).append(i)
    out: dict[int, tuple[float, float]] = {}
    blocks = []
    for length, rows in by_len.items():  # blocks of at most _MK_BLOCK readings bound the temporaries
        step = max(1, _MK_BLOCK // length)
        blocks += [(length, rows[a:a + step]) for a in range(0, len(rows), step)]
    for length, rows in blocks:
        take = np.asarray([starts[i] for i in rows], dtype=np.intp)[:, None] + np.arange(length)
        xs, ys = s[take], y[take]
        if _kendall_dis is None or length < 3 or length > _MK_FAST_MAX_N:
            res = stats.kendalltau(xs, ys, axis=1)
            taus, ps = np.atleast_1d(res.statistic), np.atleast_1d(res.pvalue)
            for j, i in enumerate(rows):
                out[i] = (taus[j], ps[j])
            continue
        finite = np.isfinite(xs).all(axis=1) & np.isfinite(ys).all(axis=1)
        for j, tau_p in enumerate(_kendall_rows(xs, ys, finite, _kendall_dis)):
            if tau_p is None:  # exact null distribution or non-finite readings: kendalltau decides
                r = stats.kendalltau(xs[j], ys[j])
                tau_p = (r.statistic, r.pvalue)
            out[rows[j]] = tau_p
    return out


#: Longest series whose Kendall tie sums are exact in kendalltau's float arithmetic in any order
#: (Σ t(t − 1)(2t + 5) ≤ 2n³ + 5n² < 2⁵³): longer series go to kendalltau itself.
_MK_FAST_MAX_N: int = 100_000
#: Readings ranked in one 2-D block by :func:`_mann_kendall`.
_MK_BLOCK: int = 1 << 18


def _tie_sums(new_run: NDArray[np.bool_]) -> tuple[list[int], list[int], list[int]]:
    """Σ t(t − 1)/2, Σ t(t − 1)(t − 2) and Σ t(t − 1)(2t + 5) over the runs (tie groups, sizes t)
    of every row of a 2-D array whose run starts are ``new_run`` (True in column 0): kendalltau's
    tie counts, as exact integers (float sums of integers < 2⁵³ in any order; runs of one add 0)."""
    rows, width = new_run.shape
    pos = np.flatnonzero(new_run)
    cnt = np.diff(pos, append=rows * width)
    tied = cnt > 1
    cnt, row = cnt[tied].astype(np.int64), (pos // width)[tied]
    c = cnt.astype(float)
    pairs = np.bincount(row, weights=(cnt * (cnt - 1) // 2).astype(float), minlength=rows)
    t0 = np.bincount(row, weights=c * (c - 1.0) * (c - 2.0), minlength=rows)
    t1 = np.bincount(row, weights=c * (c - 1.0) * (2.0 * c + 5.0), minlength=rows)
    return [int(v) for v in pairs.tolist()], [int(v) for v in t0.tolist()], [int(v) for v in t1.tolist()]


def _kendall_rows(xs: NDArray[np.float64], ys: NDArray[np.float64], finite: NDArray[np.bool_], kendall_dis: Any
                  ) -> list[tuple[Any, Any] | None]:
    """``(tau, p)`` of kendalltau for every row of ``xs``, ``ys`` (equal-length series,
    3 ≤ n ≤ :data:`_MK_FAST_MAX_N`); ``None`` where kendalltau itself must decide (its exact
    method, non-finite readings). Formulas in :func:`_mann_kendall`."""
    rows, n = xs.shape
    # kendalltau sorts on y and takes dense ranks of y, then sorts stably on x and takes dense
    # ranks of x: the series in (x, y) order. Readings equal in both x and y are interchangeable
    # and equal values get one dense rank in any sort, so any sort to (x, y) order gives
    # kendalltau's two rank arrays.
    py = np.argsort(ys, axis=1)
    ys1 = np.take_along_axis(ys, py, 1)
    new_y = np.ones((rows, n), dtype=bool)
    new_y[:, 1:] = ys1[:, 1:] != ys1[:, :-1]
    yr = np.cumsum(new_y, axis=1, dtype=np.intp)
    zeros = [0] * rows
    if bool(np.all(xs[:, 1:] > xs[:, :-1])):
        # sequence strictly increasing along every row (drift_all's series): (x, y) order is the
        # row order, x ranks are 1 … n, no pair tied in x (nor in both)
        yr2 = np.empty_like(yr)
        np.put_along_axis(yr2, py, yr, 1)
        xr2 = np.tile(np.arange(1, n + 1, dtype=np.intp), (rows, 1))
        xtie_a, x0_a, x1_a, ntie_a = zeros, zeros, zeros, zeros
    else:
        xs1 = np.take_along_axis(xs, py, 1)
        px = np.argsort(xs1, axis=1, kind="stable")
        xs2, yr2 = np.take_along_axis(xs1, px, 1), np.take_along_axis(yr, px, 1)
        new_x = np.ones((rows, n), dtype=bool)
        new_x[:, 1:] = xs2[:, 1:] != xs2[:, :-1]
        xr2 = np.cumsum(new_x, axis=1, dtype=np.intp)
        new_xy = new_x.copy()
        new_xy[:, 1:] |= yr2[:, 1:] != yr2[:, :-1]
        xtie_a, x0_a, x1_a = _tie_sums(new_x)
        ntie_a = _tie_sums(new_xy)[0]
    ytie_a, y0_a, y1_a = _tie_sums(new_y)
    size = n
    tot = (size * (size - 1)) // 2
    m = size * (size - 1.0)
    out: list[tuple[Any, Any] | None] = []
    for j in range(rows):
        xtie, ytie, ntie = xtie_a[j], ytie_a[j], ntie_a[j]
        if not finite[j]:
            out.append(None)
            continue
        if xtie == tot or ytie == tot:
            out.append((np.float64(np.nan), np.float64(np.nan)))
            continue
        dis = int(kendall_dis(xr2[j], yr2[j]))
        if xtie == 0 and ytie == 0 and (size <= 33 or min(dis, tot - dis) <= 1):
            out.append(None)  # kendalltau's exact method
            continue
        # kendalltau's arithmetic, operation for operation
        con_minus_dis = tot - xtie - ytie + ntie - 2 * dis
        tau = con_minus_dis / np.sqrt(tot - xtie) / np.sqrt(tot - ytie)
        tau = np.minimum(1.0, max(-1.0, tau))
        var = ((m * (2 * size + 5) - x1_a[j] - y1_a[j]) / 18
               + (2 * xtie * ytie) / m + x0_a[j] * y0_a[j] / (9 * m * (size - 2)))
        z = con_minus_dis / np.sqrt(var)
        out.append((tau, 2 * special.ndtr(-np.abs(z))))
    return out


def _series_result(s: NDArray[np.float64], y: NDArray[np.float64], hac: dict[str, NDArray[Any]], i: int,
                   tau: tuple[float, float] | None = None, checked: bool = False) -> dict[str, Any]:
    """One series' result from row ``i`` of :func:`hac_trend` plus its Mann–Kendall test
    (``tau`` = (statistic, p) when already computed, see :func:`_mann_kendall`; ``checked``:
    :func:`_degenerate` already said the series is tested)."""
    done = None if checked else _degenerate(s, y)
    if done is not None:
        return done
    if tau is None:
        from scipy import stats  # scipy.stats only when a trend test runs

        r = stats.kendalltau(s, y)
        tau = (r.statistic, r.pvalue)
    return {
        "slope": _num(hac["slope"][i]), "intercept": _num(hac["intercept"][i]),
        "slope_ci": [_num(hac["ci_low"][i]), _num(hac["ci_high"][i])], "p_value": _num(hac["p_value"][i]),
        "hac_maxlags": int(hac["lags"][i]), "mann_kendall_p": _num(tau[1]),
        "kendall_tau": _num(tau[0]), "n": int(y.size), "notes": [],
    }


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
    n − 2 df. Closed form, formula in :func:`hac_trend` (equal to statsmodels' HAC OLS).

    Mann–Kendall: :math:`S = \\sum_{i<j} \\mathrm{sgn}(y_j - y_i)` over time order, which is
    Kendall's τ numerator of (sequence, value); ``scipy.stats.kendalltau(sequence, values)``
    therefore *is* the Mann–Kendall test: exact null distribution for small n without ties,
    otherwise the normal approximation with the tie-corrected variance
    :math:`\\mathrm{Var}(S) = [n(n-1)(2n+5) - \\sum t(t-1)(2t+5)]/18` (no continuity
    correction; checked numerically in the tests).

    Validated against: a planted linear trend and a flat series (tests); MK p-value against the
    textbook S/Var(S) formula; the HAC fit against statsmodels (see :func:`hac_trend`).

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
    done = _degenerate(s, y)
    if done is not None:
        return done
    return _series_result(s, y, hac_trend(s, y, confidence=confidence), 0)


def _surely_tested(seq: NDArray[np.float64], val: NDArray[np.float64], starts: NDArray[np.intp],
                   ends: NDArray[np.intp]) -> NDArray[np.bool_]:
    """For every series ``[a, b)`` (non-empty): True where :func:`_degenerate` certainly returns
    None — at least :data:`MIN_N_DRIFT` readings, all finite, sequence non-decreasing with at
    least 3 distinct numbers and readings not all equal — from whole-array reductions. False
    leaves the decision to :func:`_degenerate` itself."""
    if not starts.size:
        return np.zeros(0, dtype=bool)
    prev_differs = np.zeros(seq.size, dtype=np.int64)
    prev_differs[1:] = seq[1:] != seq[:-1]
    prev_greater = np.zeros(seq.size, dtype=np.int64)
    prev_greater[1:] = seq[1:] < seq[:-1]
    prev_differs[starts] = 0
    prev_greater[starts] = 0
    bad = (~(np.isfinite(seq) & np.isfinite(val))).astype(np.int64)
    with np.errstate(invalid="ignore"):
        varies = np.maximum.reduceat(val, starts) > np.minimum.reduceat(val, starts)
    return ((ends - starts >= MIN_N_DRIFT) & (np.add.reduceat(prev_differs, starts) + 1 >= 3)
            & (np.add.reduceat(prev_greater, starts) == 0) & (np.add.reduceat(bad, starts) == 0) & varies)


def _feature_sequence_order(data: pl.DataFrame) -> NDArray[np.intp]:
    """The row order of ``data`` (columns ``_feature_code``, ``sequence``) that
    ``data.sort(["_feature_code", "sequence"], maintain_order=True)`` gives: a stable sort, so
    ties keep their row order. One stable numpy argsort of the combined integer key
    code · span + (sequence − min) when no sequence is null and the key fits in 64 bits (several
    times faster than polars' two-column sort of 10^6 rows), else polars' sort itself."""
    seq = data["sequence"]
    if data.height and seq.null_count() == 0 and seq.dtype.is_integer():
        code = data["_feature_code"].to_numpy().astype(np.int64)
        sq = seq.to_numpy().astype(np.int64)
        s_min, s_max = int(sq.min()), int(sq.max())
        span = s_max - s_min + 1
        if (int(code.max()) + 1) * span < 2**63 and int(code.min()) >= 0:
            return np.argsort(code * span + (sq - s_min), kind="stable")
    return (data.with_row_index("_pos").sort(["_feature_code", "sequence"], maintain_order=True)["_pos"]
            .to_numpy().astype(np.intp))


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
    Per-feature counts and sequence spans come from one polars ``group_by``, the HAC fits of all
    features from one :func:`hac_trend` call; the Mann–Kendall tests of all features of one length
    in one ``kendalltau`` call (:func:`_mann_kendall`).

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
    # the readings by feature (in polars' sort order of the names), each in production order
    data = meas.select("feature", "sequence", "value").with_columns(feature_sort_code(meas["feature"]))
    order = _feature_sequence_order(data)
    code = data["_feature_code"].to_numpy()[order]
    new_feature = np.r_[True, code[1:] != code[:-1]] if code.size else np.zeros(0, dtype=bool)
    group = np.cumsum(new_feature) - 1
    seq = data["sequence"].to_numpy()[order].astype(float)
    val = data["value"].to_numpy()[order].astype(float)
    starts = np.flatnonzero(new_feature)
    ends = np.r_[starts[1:], group.size]
    names = data["feature"].gather(order[starts]).to_list()
    hac = hac_trend(seq, val, group, confidence=settings.confidence)
    tested_for_sure = _surely_tested(seq, val, starts, ends)
    degenerate = [None if sure else _degenerate(seq[a:b], val[a:b])
                  for a, b, sure in zip(starts.tolist(), ends.tolist(), tested_for_sure.tolist())]
    tested = [i for i, d in enumerate(degenerate) if d is None]
    taus = _mann_kendall(seq, val, [int(starts[i]) for i in tested], [int(ends[i]) for i in tested])
    tau_of = {tested[k]: v for k, v in taus.items()}
    alpha = settings.alpha
    for i, (feat, a, b) in enumerate(zip(names, starts, ends)):
        r = info[feat]
        done = degenerate[i]
        res = done if done is not None else _series_result(seq[a:b], val[a:b], hac, i, tau_of[i], checked=True)
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
