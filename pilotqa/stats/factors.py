"""One grouping factor of the readings — lot, fixture, nest, spindle, machine, operator … — against
the characteristic: per-group summaries, one-way ANOVA, Welch ANOVA, Kruskal–Wallis,
Brown–Forsythe, random-effects variance components, between/within capability, the offset of the
most extreme group and Tukey HSD.

This is the one implementation behind the lot-to-lot analysis (:func:`pilotqa.stats.lots.lots_all`
calls :func:`factor_effect_all` with ``factor="lot"`` and renames the keys it has always written)
and the stream analysis (:func:`streams_all`, every other factor).

Two layers (style pattern 3): :func:`variance_components` is the summary-statistics core (group
sizes, means, SDs → mean squares and σ² components); :func:`factor_effect_all` computes the
per-group summaries of all features in one polars ``group_by``, sorts the tested readings once
and runs the tests on each feature's slices of that array (:func:`_oneway_tests`: the libraries'
arithmetic without their per-call overhead, equal results; the reductions over readings of all
features taken at once by :func:`_oneway_parts` and combined per feature by
:func:`_oneway_from_parts`, the same floats; Tukey p-values of all features in one call of
:func:`pilotqa.stats.studentized_range.studentized_range_sf`).
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import polars as pl
from numpy.typing import ArrayLike
from scipy import special

from pilotqa.errors import InputError
from pilotqa.model import MEASUREMENT_SCHEMA, STREAM_COLUMNS, stream_key
from pilotqa.settings import Settings
from pilotqa.stats.capability import bissell_ci, index_from_sigma
from pilotqa.stats.drift import tolerance_width
from pilotqa.stats.studentized_range import studentized_range_sf
from pilotqa.util import finite_or_none as _num

__all__ = ["MIN_PER_GROUP", "variance_components", "factor_effect_all", "streams_all", "stream_factors",
           "stream_key", "input_headings", "input_aliases"]

#: A group enters the tests only with at least this many readings (a group of one reading has no
#: within-group variance).
MIN_PER_GROUP: int = 2


def variance_components(n: ArrayLike, means: ArrayLike, sds: ArrayLike) -> dict[str, float | None]:
    """One-way random-effects variance components by the ANOVA method of moments.

    Parameters
    ----------
    n, means, sds : array_like
        Per group (lot, fixture …): number of readings, mean and sample SD (ddof 1).

    Returns
    -------
    dict
        ``msb``, ``msw`` (mean squares between/within, units²), ``n0``, ``var_between``,
        ``var_within`` (units²; ``var_between`` truncated at 0), ``truncated`` (bool: the raw
        moment estimate was negative), ``between_share`` (σ²_B/(σ²_B + σ²_W), None when the
        total is 0), ``sigma_between``, ``sigma_within``, ``sigma_bw`` (units).

    Notes
    -----
    With k groups, N readings, grand mean :math:`\\bar y`:

    .. math::
        MSB = \\frac{\\sum n_i(\\bar y_i - \\bar y)^2}{k-1}, \\quad
        MSW = \\frac{\\sum (n_i - 1)s_i^2}{N-k}, \\quad
        n_0 = \\frac{N - \\sum n_i^2/N}{k-1}

    .. math::
        \\hat\\sigma^2_B = \\max\\left(0, \\frac{MSB - MSW}{n_0}\\right), \\quad
        \\hat\\sigma^2_W = MSW, \\quad
        \\sigma_{B/W} = \\sqrt{\\hat\\sigma^2_B + \\hat\\sigma^2_W}

    (:math:`n_0 = n` for balanced groups). A negative moment estimate is taken as evidence that
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


def _variance_components_all(g_n: np.ndarray, g_mean: np.ndarray, g_sd: np.ndarray, g_feature: np.ndarray
                             ) -> dict[str, np.ndarray]:
    """:func:`variance_components` of every feature row at once (its groups: the consecutive
    groups of one code in ``g_feature``; sizes ``g_n``, means ``g_mean``, SDs ``g_sd``), for the
    rows with k ≥ 2 groups (``done``). The features of one k are evaluated together with
    :func:`variance_components`' operations (row sums of k numbers as numpy takes them for one
    feature, arrays squared as x·x, max(0, raw) as Python's max): the same floats, bit for bit.
    Returns arrays over the feature rows: ``truncated``, ``between_share``, ``sigma_between``,
    ``sigma_within``, ``sigma_bw`` (NaN where :func:`variance_components` gives None)."""
    codes, f_first, f_k = np.unique(g_feature, return_index=True, return_counts=True)
    n_f = codes.size
    out = {key: np.full(n_f, np.nan) for key in ("between_share", "sigma_between", "sigma_within", "sigma_bw")}
    out["truncated"] = np.zeros(n_f, dtype=bool)
    out["done"] = np.zeros(n_f, dtype=bool)
    out["k"] = f_k
    with np.errstate(all="ignore"):
        for k in np.unique(f_k[f_k >= 2]).tolist():
            rows = np.flatnonzero(f_k == k)
            gi = f_first[rows, None] + np.arange(k)
            ni = g_n[gi].astype(float)
            mi = g_mean[gi].astype(float)
            si = g_sd[gi].astype(float)
            big_n = ni.sum(axis=1)
            ok = ~(big_n - k < 1)
            grand = (ni * mi).sum(axis=1) / big_n
            msb = (ni * (mi - grand[:, None]) ** 2).sum(axis=1) / (k - 1)
            msw = ((ni - 1) * si**2).sum(axis=1) / (big_n - k)
            n0 = (big_n - (ni**2).sum(axis=1) / big_n) / (k - 1)
            raw = (msb - msw) / n0
            vb = np.where(raw > 0.0, raw, 0.0)  # max(0.0, raw): 0 unless raw is greater (NaN → 0)
            total = vb + msw
            rows, vb, msw, total, raw = rows[ok], vb[ok], msw[ok], total[ok], raw[ok]
            out["truncated"][rows] = raw < 0
            out["between_share"][rows] = np.where(total > 0, vb / total, np.nan)
            out["sigma_between"][rows] = np.sqrt(vb)
            out["sigma_within"][rows] = np.sqrt(msw)
            out["sigma_bw"][rows] = np.sqrt(total)
            out["done"][rows] = True
    return out


def _welch(nobs: np.ndarray, means: np.ndarray, vars_: np.ndarray, k: int) -> tuple[float, float]:
    """Welch's one-way ANOVA F and p from the groups' sizes, means and variances (ddof 1), with
    statsmodels' operations in its order (``anova_oneway`` → ``anova_generic``, ``use_var="unequal"``):
    wᵢ = nᵢ/sᵢ², x̄_w = Σ(wᵢ/Σw)·x̄ᵢ, F = Σwᵢ(x̄ᵢ − x̄_w)²/(k − 1) / (1 + 2(k − 2)·t),
    t = Σ(1 − wᵢ/Σw)²/(nᵢ − 1) / (k² − 1), ν₂ = 1/(3t) (Welch 1951)."""
    weights = nobs / vars_
    w_total = weights.sum()
    w_rel = weights / w_total
    meanw_t = w_rel @ means
    welch = np.dot(weights, (means - meanw_t) ** 2) / (k - 1.0)
    tmp = ((1 - w_rel) ** 2 / (nobs - 1)).sum() / (k**2 - 1)
    welch /= 1 + 2 * (k - 2) * tmp
    df_denom = 1.0 / (3.0 * tmp)
    return float(welch), _f_sf(float(welch), k - 1.0, float(df_denom))


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Call a scipy/statsmodels test; degenerate data → (None, reason) instead of a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs), None
        except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as exc:
            return None, str(exc).split("\n")[0]


def _extreme_offset(groups: list[np.ndarray], names: list[Any], target: float,
                    means: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, float | None]:
    """The group whose mean lies farthest from the mean of all readings of the other groups,
    and that offset (group mean − mean of the others, units).

    A tie (always with two groups: the offsets are ±d) goes to the group whose mean lies farther
    from ``target`` (the nominal, else mid-tolerance, else the grand mean): the one that is off.
    ``means``: each group's mean and the mean of the other groups' readings (concatenated in
    order) when already computed (:func:`_oneway_parts`, the same numbers).
    """
    best: tuple[Any, float | None] = (None, None)
    best_key = (-1.0, -1.0)
    for i, g in enumerate(groups):
        if means is not None:
            g_mean, o_mean = means[0][i], means[1][i]
        else:
            others = np.concatenate([x for j, x in enumerate(groups) if j != i])
            if not others.size or not g.size:
                continue
            g_mean, o_mean = g.mean(), others.mean()
        off = float(g_mean - o_mean)
        key = (round(abs(off), 12), abs(float(g_mean) - target))
        if key > best_key:
            best, best_key = (names[i], off), key
    return best


def _f_sf(x: float, dfn: float, dfd: float) -> float:
    """``scipy.stats.f.sf(x, dfn, dfd)`` for scalars: NaN for NaN or non-positive degrees of
    freedom, 1 for x ≤ 0, 0 for x = +inf, else ``scipy.special.fdtrc(dfn, dfd, x)`` (what
    ``rv_continuous.sf`` evaluates), without its per-call overhead."""
    if math.isnan(x) or not (dfn > 0 and dfd > 0):
        return math.nan
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    return float(special.fdtrc(dfn, dfd, x))


def _median(x: np.ndarray) -> float:
    """``numpy.median`` of a 1-d array of finite numbers: the middle order statistic, or the mean
    (a + b)/2 of the two middle ones — the same floating-point operations."""
    s = np.sort(x)
    h = s.size // 2
    return float(s[h]) if s.size % 2 else float((s[h - 1] + s[h]) / 2)


def _oneway_tests(groups: list[np.ndarray], kruskal_sums: tuple[float, float] | None = None) -> dict[str, float]:
    """Classical and Welch one-way ANOVA, Kruskal–Wallis and Brown–Forsythe of k ≥ 2 groups of
    ≥ 2 finite readings each, computed with the arithmetic of the library functions the results
    were defined by, without their per-call overhead.

    Returns ``anova_f``, ``anova_p``, ``welch_f``, ``welch_p``, ``kruskal_h``, ``kruskal_p``,
    ``levene_w``, ``levene_p`` (floats; NaN or ±inf where the library returns them).

    Formulas (N readings, group sizes n_i, means ȳ_i, SDs s_i):

    * one-way ANOVA, as ``scipy.stats.f_oneway`` (Montgomery DOE §3.3): with the data centred on
      the grand mean, d = y − ȳ, :math:`SS_T = \\sum d^2 - (\\sum d)^2/N`,
      :math:`SS_B = \\sum_i (\\sum_{j} d_{ij})^2/n_i - (\\sum d)^2/N`, :math:`SS_W = SS_T - SS_B`,
      :math:`F_0 = \\frac{SS_B/(k-1)}{SS_W/(N-k)}`, p = P(F(k−1, N−k) > F₀); F₀ = +inf when every
      group is constant, NaN when all readings are equal (scipy's convention);
    * Welch (1951) ANOVA, as ``statsmodels.stats.oneway.anova_oneway(use_var="unequal")``:
      :math:`w_i = n_i/s_i^2`, :math:`\\tilde y = \\sum w_i\\bar y_i/W`,
      :math:`F^* = \\frac{\\sum w_i(\\bar y_i - \\tilde y)^2/(k-1)}{1 + 2(k-2)\\,T}`,
      :math:`T = \\frac{\\sum (1 - w_i/W)^2/(n_i - 1)}{k^2 - 1}`, p = P(F(k−1, 1/(3T)) > F*)
      (NaN when a group has zero variance);
    * Kruskal–Wallis, as ``scipy.stats.kruskal`` (Montgomery DOE §3.11.1): average ranks R of all
      readings, :math:`H = \\frac{12}{N(N+1)}\\sum_i R_i^2/n_i - 3(N+1)`, divided by the tie
      correction :math:`1 - \\sum (t^3 - t)/(N^3 - N)`; p = P(χ²(k−1) > H);
    * Brown–Forsythe, as ``scipy.stats.levene(center="median")`` (Brown & Forsythe 1974; NIST
      e-Handbook §1.3.5.10): :math:`Z_{ij} = |y_{ij} - \\tilde y_i|` (group median),
      :math:`W = \\frac{(N-k)\\sum n_i(\\bar Z_i - \\bar Z)^2}{(k-1)\\sum\\sum (Z_{ij} - \\bar Z_i)^2}`,
      p = P(F(k−1, N−k) > W).

    Every sum is taken over the same arrays, in the same order and with the same numpy
    reductions as scipy 1.17 / statsmodels 0.14–0.15 do, so the results equal the library
    functions' to the last bit on the versions tested (``tests/test_lots_fast.py`` compares them
    on generated data, including constant groups, ties and unequal sizes). The p-values use the
    same special functions (``scipy.special.fdtrc``, ``chdtrc``; for Welch :func:`_f_sf`, which
    is ``scipy.stats.f.sf``'s evaluation for a scalar).

    ``kruskal_sums``: Σ R_i²/n_i and Σ (t³ − t) of these groups when already computed for all
    features at once (:func:`_kruskal_sums_all`, the same numbers); else they are computed here.
    """
    k = len(groups)
    ns = [int(g.shape[0]) for g in groups]
    big_n = sum(ns)
    alldata = np.concatenate(groups)
    out: dict[str, float] = {}
    with np.errstate(all="ignore"):
        # classical one-way ANOVA (scipy.stats.f_oneway, equal_var=True)
        all_const = all(bool(np.all(np.diff(g) == 0)) for g in groups)
        all_same_const = bool(np.all(np.diff(alldata) == 0))
        offset = np.mean(alldata, axis=-1, keepdims=True)
        centred = alldata - offset
        normalized_ss = np.sum(centred, axis=-1) ** 2.0 / big_n
        sq = np.vecdot(centred, centred) if hasattr(np, "vecdot") else np.dot(centred, centred)  # numpy < 2
        sstot = sq - normalized_ss
        ssbn: Any = 0
        for g, n in zip(groups, ns):
            ssbn = ssbn + np.sum(g - offset, axis=-1) ** 2.0 / n
        ssbn = ssbn - normalized_ss
        sswn = sstot - ssbn
        f = (ssbn / (k - 1)) / (sswn / (big_n - k))
        if all_const:
            f = np.inf
        if all_same_const:
            f = np.nan
        out["anova_f"] = float(f)
        out["anova_p"] = float(special.fdtrc(k - 1, big_n - k, f))

        # Welch ANOVA (statsmodels anova_oneway → anova_generic, use_var="unequal")
        out["welch_f"], out["welch_p"] = _welch(np.array(ns, float), np.array([g.mean() for g in groups]),
                                                np.array([g.var(ddof=1) for g in groups]), k)

        # Kruskal–Wallis (scipy.stats.kruskal; ranks as scipy.stats._stats_py._rankdata "average")
        if kruskal_sums is None:
            order = np.argsort(alldata, kind="stable")
            srt = alldata[order]
            first = np.concatenate([np.ones(1, dtype=bool), srt[:-1] != srt[1:]])
            idx = np.arange(big_n)[first]
            counts = np.diff(idx, append=np.asarray([big_n], dtype=idx.dtype))
            ranked = np.empty(big_n)
            ranked[order] = np.repeat(np.arange(1, big_n + 1, dtype=float)[first] + (counts.astype(float) - 1) / 2,
                                      counts)
            t = np.zeros(big_n)
            t[first] = counts
            bounds = np.cumsum([0, *ns])
            ssbn_r: Any = sum(np.sum(ranked[bounds[i]:bounds[i + 1]], axis=-1) ** 2 / ns[i] for i in range(k))
            kruskal_sums = (float(ssbn_r), float(np.sum(t**3 - t, axis=-1)))
        out["kruskal_h"], out["kruskal_p"] = _kruskal_h_p(kruskal_sums[0], kruskal_sums[1], big_n, k)

        # Brown–Forsythe (scipy.stats.levene, center="median")
        zijs = [np.abs(g - _median(g)) for g in groups]
        zbaris = [np.mean(z, axis=-1, keepdims=True) for z in zijs]
        zbar = sum(n * zb for n, zb in zip(ns, zbaris)) / big_n
        numer = (big_n - k) * sum(n * (zb - zbar) ** 2 for n, zb in zip(ns, zbaris))
        denom = (k - 1.0) * sum(np.sum((z - zb) ** 2, axis=-1, keepdims=True) for z, zb in zip(zijs, zbaris))
        w = (numer / denom)[0]
        out["levene_w"] = float(w)
        out["levene_p"] = float(special.fdtrc(k - 1.0, float(big_n - k), w))
    return out


#: Elements of one 2-D block of slices (:func:`_rows_of_equal_length`): bounds the temporary
#: arrays of the batched reductions to a few MB each.
_BLOCK = 1 << 18


def _rows_of_equal_length(starts: np.ndarray, lengths: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(rows, take)`` for every distinct length L (in blocks of at most :data:`_BLOCK`
    elements): rows of that length and the (rows × L) gather index ``starts[rows, None] +
    arange(L)`` — the slices as one 2-D array, so that a reduction along axis 1 runs numpy's 1-D
    loop (same pairwise sum) on each slice."""
    for length in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == length)
        step = max(1, _BLOCK // max(length, 1))
        for a in range(0, rows.size, step):
            block = rows[a:a + step]
            yield block, starts[block, None] + np.arange(length)


def _oneway_parts(v_group: np.ndarray, v_feature: np.ndarray, g_n: np.ndarray, g_feature: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """The reductions over readings that :func:`_oneway_tests`, :func:`_extreme_offset` and
    :func:`_tukey_stats` take of every tested group and feature, for all of them at once.

    ``v_group``: the readings of all tested groups, group after group (the groups of one feature
    contiguous, in test order); ``v_feature``: the same readings feature after feature in
    production order; ``g_n``: readings per group; ``g_feature``: a feature code per group,
    non-decreasing. Slices of one length are reduced as the rows of one 2-D array: numpy reduces
    each row with the loop (and pairwise summation) it uses on the slice alone, so every entry
    equals the per-slice value bit for bit. Per group (index = position in ``g_n``): ``const``
    (all readings equal), ``mean``, ``var`` (ddof 1), ``zbar`` (mean of |y − median|), ``zss``
    (Σ (|y − median| − zbar)²), ``soff`` (Σ (y − feature offset)), ``omean`` (mean of the other
    groups' readings of the feature, concatenated in order); per feature (index = rank of its
    code): ``same`` (all readings equal), ``sumc`` (Σ (y − offset), offset = mean in group
    order), ``sq`` (Σ (y − offset)²  as ``numpy.vecdot``), ``grand`` (mean in production order),
    ``finite``.
    """
    g_n = np.asarray(g_n, dtype=np.int64)
    n_groups = g_n.size
    g_start = np.cumsum(g_n) - g_n
    codes, f_first = np.unique(g_feature, return_index=True)
    f_row = np.searchsorted(codes, g_feature)  # feature row of every group
    f_start = g_start[f_first]
    f_n = np.bincount(f_row, weights=g_n, minlength=codes.size).astype(np.int64)
    out = {key: np.empty(codes.size) for key in ("offset", "sumc", "sq", "grand")}
    out["same"] = np.empty(codes.size, dtype=bool)
    out["finite"] = np.empty(codes.size, dtype=bool)
    for key in ("mean", "var", "zbar", "zss", "soff", "omean"):
        out[key] = np.empty(n_groups)
    out["const"] = np.empty(n_groups, dtype=bool)
    with np.errstate(all="ignore"):
        for rows, take in _rows_of_equal_length(f_start, f_n):
            a = v_group[take]
            offset = np.mean(a, axis=-1, keepdims=True)
            centred = a - offset
            out["offset"][rows] = offset[:, 0]
            out["sumc"][rows] = np.sum(centred, axis=-1)
            out["sq"][rows] = (np.vecdot(centred, centred) if hasattr(np, "vecdot")  # numpy < 2: row by row
                               else [np.dot(c, c) for c in centred])
            out["same"][rows] = np.all(a[:, 1:] == a[:, :-1], axis=-1)
            b = v_feature[take]
            out["grand"][rows] = b.mean(axis=-1)
            out["finite"][rows] = np.isfinite(b).all(axis=-1)
        for rows, take in _rows_of_equal_length(g_start, g_n):
            g = v_group[take]
            out["const"][rows] = np.all(g[:, 1:] == g[:, :-1], axis=-1)
            out["mean"][rows] = g.mean(axis=-1)
            out["var"][rows] = g.var(axis=-1, ddof=1)
            out["soff"][rows] = np.sum(g - out["offset"][f_row[rows], None], axis=-1)
            s = np.sort(g, axis=-1)
            h = s.shape[1] // 2
            med = s[:, h] if s.shape[1] % 2 else (s[:, h - 1] + s[:, h]) / 2
            z = np.abs(g - med[:, None])
            zbar = np.mean(z, axis=-1, keepdims=True)
            out["zbar"][rows] = zbar[:, 0]
            out["zss"][rows] = np.sum((z - zbar) ** 2, axis=-1, keepdims=True)[:, 0]
        # the other groups' readings of a group's feature: the feature's slice without the group's
        o_start = f_start[f_row]
        o_len = f_n[f_row] - g_n
        for rows, take in _rows_of_equal_length(o_start, o_len):
            skip = (take >= g_start[rows, None]) * g_n[rows, None]
            out["omean"][rows] = v_group[take + skip].mean(axis=-1) if take.shape[1] else np.nan
    return out


def _oneway_from_parts(parts: dict[str, np.ndarray], groups: Sequence[int], f: int, ns: Sequence[int],
                       kruskal_sums: tuple[float, float]) -> dict[str, float]:
    """:func:`_oneway_tests` of the groups at positions ``groups`` (sizes ``ns``) of feature row
    ``f`` from :func:`_oneway_parts`: the same formulas evaluated with the same floating-point
    operations in the same order on the same reductions — equal results, bit for bit
    (``tests/test_families_speed_lots.py``). Formulas and references in :func:`_oneway_tests`."""
    k = len(groups)
    big_n = sum(ns)
    gi = np.asarray(groups, dtype=np.intp)
    out: dict[str, float] = {}
    with np.errstate(all="ignore"):
        # classical one-way ANOVA (scipy.stats.f_oneway); scalar ** 2.0 as there (libm pow)
        normalized_ss = parts["sumc"][f] ** 2.0 / big_n
        sstot = parts["sq"][f] - normalized_ss
        ssbn: Any = 0
        for s_off, n in zip(parts["soff"][gi], ns):
            ssbn = ssbn + s_off ** 2.0 / n
        ssbn = ssbn - normalized_ss
        sswn = sstot - ssbn
        f0 = (ssbn / (k - 1)) / (sswn / (big_n - k))
        if bool(parts["const"][gi].all()):
            f0 = np.inf
        if bool(parts["same"][f]):
            f0 = np.nan
        out["anova_f"] = float(f0)
        out["anova_p"] = float(special.fdtrc(k - 1, big_n - k, f0))

        # Welch ANOVA (statsmodels anova_oneway → anova_generic, use_var="unequal")
        out["welch_f"], out["welch_p"] = _welch(np.array(ns, float), parts["mean"][gi], parts["var"][gi], k)

        out["kruskal_h"], out["kruskal_p"] = _kruskal_h_p(kruskal_sums[0], kruskal_sums[1], big_n, k)

        # Brown–Forsythe (scipy.stats.levene, center="median"); its (1,)-arrays square as x * x
        zbaris = parts["zbar"][gi].reshape(-1, 1)
        zbar = sum(n * zb for n, zb in zip(ns, zbaris)) / big_n
        numer = (big_n - k) * sum(n * (zb - zbar) ** 2 for n, zb in zip(ns, zbaris))
        denom = (k - 1.0) * sum(parts["zss"][gi].reshape(-1, 1))
        w = (numer / denom)[0]
        out["levene_w"] = float(w)
        out["levene_p"] = float(special.fdtrc(k - 1.0, float(big_n - k), w))
    return out


_ONEWAY_KEYS = ("anova_f", "anova_p", "welch_f", "welch_p", "kruskal_h", "kruskal_p", "levene_w", "levene_p")


def _oneway_all(parts: dict[str, np.ndarray], g_n: np.ndarray, g_feature: np.ndarray,
                kruskal_ssbn: np.ndarray, kruskal_tie: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`_oneway_from_parts` of every feature row at once: the four tests of each feature's
    tested groups (all its groups in ``g_n``, k ≥ 2), as arrays over the feature rows (NaN where
    not computed: k < 2, a non-finite reading, more than 2²¹ readings — those go per feature;
    ``done`` marks the computed rows, ``k`` the number of groups of each row).

    The features of one k are evaluated together, column by column, with the operations of
    :func:`_oneway_from_parts` in its order (group sums added one group after the other, row
    sums and dot products of k numbers as numpy takes them for one feature, ``x ** 2.0`` of a
    numpy scalar (libm's pow) one value at a time, of an array as x·x): the same floats, bit for bit
    (``tests/test_families_speed_lots.py``). Formulas and references in :func:`_oneway_tests`.
    """
    g_n = np.asarray(g_n, dtype=np.int64)
    codes, f_first, f_k = np.unique(g_feature, return_index=True, return_counts=True)
    n_f = codes.size
    out = {key: np.full(n_f, np.nan) for key in _ONEWAY_KEYS}
    out["done"] = np.zeros(n_f, dtype=bool)
    out["k"] = f_k
    f_n = np.bincount(np.repeat(np.arange(n_f), f_k), weights=g_n, minlength=n_f).astype(np.int64)
    usable = (f_k >= 2) & parts["finite"] & (f_n < 2**21) & hasattr(np, "vecdot")
    with np.errstate(all="ignore"):
        for k in np.unique(f_k[usable]).tolist():
            rows = np.flatnonzero(usable & (f_k == k))
            gi = f_first[rows, None] + np.arange(k)
            ns = g_n[gi]
            big_n = f_n[rows]
            # classical one-way ANOVA (scipy.stats.f_oneway)
            normalized_ss = np.array([v ** 2.0 for v in parts["sumc"][rows]]) / big_n
            sstot = parts["sq"][rows] - normalized_ss
            soff = parts["soff"][gi]
            ssbn = np.zeros(rows.size)
            for j in range(k):
                ssbn = ssbn + np.array([v ** 2.0 for v in soff[:, j]]) / ns[:, j]
            ssbn = ssbn - normalized_ss
            sswn = sstot - ssbn
            f0 = (ssbn / (k - 1)) / (sswn / (big_n - k))
            f0[parts["const"][gi].all(axis=1)] = np.inf
            f0[parts["same"][rows]] = np.nan
            out["anova_f"][rows] = f0
            out["anova_p"][rows] = special.fdtrc(float(k - 1), (big_n - k).astype(float), f0)

            # Welch ANOVA (statsmodels anova_oneway, use_var="unequal")
            nobs = ns.astype(float)
            means = parts["mean"][gi]
            weights = nobs / parts["var"][gi]
            w_total = weights.sum(axis=1)
            w_rel = weights / w_total[:, None]
            meanw_t = np.vecdot(w_rel, means)
            welch = np.vecdot(weights, (means - meanw_t[:, None]) ** 2) / (k - 1.0)
            tmp = ((1 - w_rel) ** 2 / (nobs - 1)).sum(axis=1) / (k**2 - 1)
            welch = welch / (1 + 2 * (k - 2) * tmp)
            df_denom = 1.0 / (3.0 * tmp)
            out["welch_f"][rows] = welch
            dfn = k - 1.0
            p_w = np.where(welch <= 0, 1.0, np.where(np.isinf(welch), 0.0, special.fdtrc(dfn, df_denom, welch)))
            out["welch_p"][rows] = np.where(np.isnan(welch) | ~((dfn > 0) & (df_denom > 0)), np.nan, p_w)

            # Kruskal–Wallis from the rank sums (_kruskal_h_p)
            ties = 1 - kruskal_tie[rows] / np.array([float(n**3 - n) for n in big_n.tolist()])
            h = 12.0 / (big_n * (big_n + 1)).astype(float) * kruskal_ssbn[rows] - 3 * (big_n + 1)
            h = h / ties
            out["kruskal_h"][rows] = h
            out["kruskal_p"][rows] = special.chdtrc(float(k - 1), h)

            # Brown–Forsythe (scipy.stats.levene, center="median")
            zb = parts["zbar"][gi]
            zbar = np.zeros(rows.size)
            for j in range(k):
                zbar = zbar + ns[:, j] * zb[:, j]
            zbar = zbar / big_n
            numer = np.zeros(rows.size)
            denom = np.zeros(rows.size)
            zss = parts["zss"][gi]
            for j in range(k):
                numer = numer + ns[:, j] * (zb[:, j] - zbar) ** 2
                denom = denom + zss[:, j]
            w = ((big_n - k) * numer) / ((k - 1.0) * denom)
            out["levene_w"][rows] = w
            out["levene_p"][rows] = special.fdtrc(k - 1.0, (big_n - k).astype(float), w)
            out["done"][rows] = True
    return out


def _kruskal_h_p(ssbn_r: float, tie_sum: float, big_n: int, k: int) -> tuple[float, float]:
    """Kruskal–Wallis H and p from Σ R_i²/n_i and Σ (t³ − t), as ``scipy.stats.kruskal``:
    :math:`H = (\\frac{12}{N(N+1)}\\sum R_i^2/n_i - 3(N+1)) / (1 - \\sum(t^3 - t)/(N^3 - N))`,
    p = ``chdtrc(k − 1, H)`` (NaN H for all-equal readings, as scipy's 0/0)."""
    with np.errstate(all="ignore"):
        ties = 1 - np.float64(tie_sum) / (big_n**3 - big_n)
        h = 12.0 / (big_n * (big_n + 1)) * np.float64(ssbn_r) - 3 * (big_n + 1)
        h /= ties
    return float(h), float(special.chdtrc(float(k - 1), h))


def _kruskal_sums_all(values: np.ndarray, group_n: np.ndarray, group_feature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ R_i²/n_i and Σ (t³ − t) of every feature at once (ranks within the feature).

    ``values``: the readings of all tested groups, group after group, the groups of one feature
    contiguous; ``group_n``: readings per group; ``group_feature``: a feature code per group,
    non-decreasing. Ranks are the average ranks of ``scipy.stats.rankdata`` within each feature
    (one argsort of each feature's block, the blocks of one length together; the rest in
    whole-array operations); the rank sums
    are sums of half-integers and the tie sums of integers, exact in either order, and Σ R_i²/n_i
    is summed over the groups in order as :func:`_oneway_tests` does — the same numbers.
    """
    n_all = values.size
    group_n = np.asarray(group_n, dtype=np.int64)
    codes, f_first_group = np.unique(group_feature, return_index=True)
    srt_f = np.repeat(group_feature, group_n)  # the feature of each reading, unchanged by the sort
    g_start = np.cumsum(group_n) - group_n
    f_start = g_start[f_first_group]
    f_stop = np.append(f_start[1:], n_all)
    order = np.empty(n_all, dtype=np.int64)
    for _rows, take in _rows_of_equal_length(f_start, f_stop - f_start):
        # the features of one length sorted as the rows of one 2-D array: faster than a lexsort or
        # one sort per feature. Any sort will do: tied readings get one average rank, whichever
        # order they come in
        order[take] = np.take_along_axis(take, np.argsort(values[take], axis=1), 1)
    srt = values[order]
    first = np.ones(n_all, dtype=bool)
    first[1:] = (srt[1:] != srt[:-1]) | (srt_f[1:] != srt_f[:-1])
    idx = np.flatnonzero(first)
    counts = np.diff(idx, append=n_all)
    f_pos = np.searchsorted(codes, srt_f[idx])
    rank_first = (idx - f_start[f_pos] + 1).astype(float)
    ranked = np.empty(n_all)
    ranked[order] = np.repeat(rank_first + (counts.astype(float) - 1) / 2, counts)
    g_sum = np.add.reduceat(ranked, g_start) if n_all else np.zeros(0)
    g_f = np.searchsorted(codes, group_feature)
    ssbn = np.bincount(g_f, weights=g_sum**2 / group_n, minlength=codes.size)  # in group order per feature
    cf = counts.astype(float)
    tie = np.bincount(f_pos, weights=cf**3 - cf, minlength=codes.size)
    return ssbn, tie


def _library_tests(groups: list[np.ndarray], res: dict[str, Any], notes: list[str]) -> None:
    """The four tests of :func:`_oneway_tests` by the library functions themselves
    (``scipy.stats.f_oneway``, ``statsmodels.stats.oneway.anova_oneway(use_var="unequal")``,
    ``scipy.stats.kruskal``, ``scipy.stats.levene(center="median")``), for data with non-finite
    readings; writes ``anova_f`` … ``levene_p`` into ``res``."""
    from scipy import stats  # rare path: scipy.stats and statsmodels are slow imports
    from statsmodels.stats.oneway import anova_oneway

    an, _why = _quiet(stats.f_oneway, *groups)
    if an is not None:
        res.update(anova_f=_num(an.statistic), anova_p=_num(an.pvalue))
    we, _why_w = _quiet(anova_oneway, groups, use_var="unequal")
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


def _tukey_stats(groups: list[np.ndarray], means: np.ndarray | None = None, vars_: np.ndarray | None = None
                 ) -> tuple[np.ndarray, int, int]:
    """Tukey–Kramer studentized statistics q_ij of every pair i < j (row-major order), k and the
    error degrees of freedom N − k, with the operations of ``scipy.stats.tukey_hsd``:

    .. math::
        MSE = \\frac{\\sum (n_i - 1)s_i^2}{N - k}, \\quad
        q_{ij} = \\frac{|\\bar y_i - \\bar y_j|}{\\sqrt{MSE\\,(1/n_i + 1/n_j)/2}}

    (Montgomery DOE §3.5.7; NIST/SEMATECH e-Handbook §7.4.7.1). q = inf when MSE = 0 and the
    means differ, NaN when MSE = 0 and they are equal (as scipy). ``means``, ``vars_``: the
    groups' means and variances (ddof 1) when already computed (:func:`_oneway_parts`, the same
    numbers).
    """
    k = len(groups)
    if means is None:
        means = np.asarray([np.mean(a) for a in groups])
    nsamp = np.asarray([a.size for a in groups])
    nobs = np.sum(nsamp)
    if vars_ is None:
        vars_ = np.asarray([np.var(a, ddof=1) for a in groups])
    with np.errstate(all="ignore"):
        mse = np.sum(vars_ * (nsamp - 1)) / (nobs - k)
        if np.unique(nsamp).size == 1:
            normalize: Any = 2 / nsamp[0]
        else:
            normalize = 1 / nsamp + 1 / nsamp[None].T
        stand_err = np.broadcast_to(np.sqrt(normalize * mse / 2), (k, k))
        t_stat = np.abs(means[None].T - means) / stand_err
    iu = np.triu_indices(k, 1)
    return t_stat[iu], k, int(nobs - k)


def _tukey_pairs(groups: list[np.ndarray]) -> list[tuple[int, int, float]]:
    """Tukey–Kramer HSD adjusted p-values of every pair i < j, as ``scipy.stats.tukey_hsd``:
    :math:`p_{ij} = P(Q_{k, N-k} > q_{ij})` with q_ij from :func:`_tukey_stats` and the upper tail
    of the studentized range from :func:`pilotqa.stats.studentized_range.studentized_range_sf`
    (``tukey_hsd`` uses ``scipy.stats.studentized_range.sf``, an adaptive double quadrature with
    1e-11 absolute tolerance: the two agree within that, see that function).
    :func:`factor_effect_all` evaluates the p-values of all features in one call instead.
    """
    q, k, df = _tukey_stats(groups)
    p = studentized_range_sf(q, k, df)
    iu = np.triu_indices(k, 1)
    return [(int(i), int(j), float(v)) for i, j, v in zip(iu[0], iu[1], np.atleast_1d(p))]


def _tukey_rows(names: list[Any], groups: list[np.ndarray], pairs: Sequence[tuple[int, int, float]],
                alpha: float) -> list[dict[str, Any]]:
    """The ``tukey`` entries {a, b, diff = mean_a − mean_b, p_adj, reject = p_adj < α} of pairs (i, j, p)."""
    return [{"a": str(names[i]), "b": str(names[j]), "diff": _num(groups[i].mean() - groups[j].mean()),
             "p_adj": _num(pv), "reject": bool(pv < alpha)} for i, j, pv in pairs]


def _production_order(frame: pl.DataFrame) -> np.ndarray:
    """The row order of ``frame`` sorted by (``_fi``, ``sequence``, ``_row``), nulls first — what
    ``frame.sort(["_fi", "sequence", "_row"])`` gives: ``_row`` is unique, so the order is total
    and any sort gives it. One numpy argsort of the combined integer key
    ((_fi · span + sequence − min) · rows + _row) when it fits in 64 bits and no sequence is
    null (several times faster than polars' multi-column sort), else polars' sort."""
    seq = frame["sequence"]
    if frame.height and seq.null_count() == 0 and seq.dtype.is_integer():
        fi = frame["_fi"].to_numpy().astype(np.int64)
        sq = seq.to_numpy().astype(np.int64)
        row = frame["_row"].to_numpy().astype(np.int64)
        s_min, s_max = int(sq.min()), int(sq.max())
        span, n_row = s_max - s_min + 1, int(row.max()) + 1
        if (int(fi.max()) + 1) * span * n_row < 2**63 and int(fi.min()) >= 0 and int(row.min()) >= 0:
            return np.argsort((fi * span + (sq - s_min)) * n_row + row, kind="stable")
    return frame.with_row_index("_pos").sort(["_fi", "sequence", "_row"])["_pos"].to_numpy()


def factor_effect_all(meas: pl.DataFrame, specs: pl.DataFrame, settings: Settings, factor: str, *,
                      label: str | None = None, relevance_pct: float | None = None,
                      tukey_min_k: int = 2, tukey_only_significant: bool = True) -> dict[str, dict[str, Any] | None]:
    """Effect of one grouping factor (a column of ``meas``) on every feature.

    Parameters
    ----------
    meas : pl.DataFrame
        Canonical measurements, null values dropped, with the column ``factor``.
    specs : pl.DataFrame
        Canonical specs (lsl, usl, nominal, lower_bound_zero).
    settings : Settings
        ``alpha``, ``confidence`` (per-group Ppk interval).
    factor : str
        The grouping column (``lot``, ``fixture``, ``nest`` …).
    label : str, optional
        The word the notes use for one group (default: ``factor``).
    relevance_pct : float, optional
        A range of group means above this % of the tolerance is practically relevant (default
        ``settings.lot_effect_pct``).
    tukey_min_k, tukey_only_significant :
        Tukey HSD pairs are computed when at least ``tukey_min_k`` groups are tested (and, when
        ``tukey_only_significant``, only when the mean test is significant).

    Returns
    -------
    dict
        feature → None when the feature has fewer than 2 groups, else a dict: ``k`` (groups
        tested, each ≥ :data:`MIN_PER_GROUP` readings), ``anova_f``, ``anova_p`` (classical
        one-way ANOVA, ``scipy.stats.f_oneway``), ``welch_f``, ``welch_p`` (Welch,
        ``statsmodels.stats.oneway.anova_oneway(use_var="unequal")``), ``kruskal_p``
        (Kruskal–Wallis, tie-corrected), ``levene_p`` (Brown–Forsythe: Levene with
        ``center="median"``), ``variance_test``, ``between_share``, ``sigma_between``,
        ``sigma_within``, ``sigma_bw`` (units), ``var_between_truncated``, ``cp_bw``, ``cpk_bw``
        (indices with σ_B/W), ``mean_range`` (units), ``mean_range_pct_tolerance`` (%),
        ``tolerance``, ``extreme`` (the group whose mean lies farthest from the mean of all
        readings of the other tested groups), ``offset`` (its mean − that mean, units),
        ``offset_pct_tolerance`` (%), ``per_group`` [{``group``, ``n``, ``mean``, ``sd``, ``pp``,
        ``ppk``, ``ppk_ci``, ``first_sequence``}] in production order, ``tukey`` [{``a``, ``b``,
        ``diff`` = mean_a − mean_b, ``p_adj``, ``reject`` = p_adj < α}] (Tukey–Kramer HSD,
        as ``scipy.stats.tukey_hsd``), ``test_used`` (``anova`` or ``welch``), ``significant``,
        ``practically_relevant``, ``notes``.

    Notes
    -----
    ``significant``: the Brown–Forsythe test decides which mean test counts — when it rejects
    equal variances (p < α) the Welch ANOVA p-value is used, otherwise the classical ANOVA
    p-value; significant = that p < α. ``practically_relevant``: range of group means >
    ``relevance_pct`` % of the tolerance (:func:`pilotqa.stats.drift.tolerance_width`). The
    decision stage flags an effect only when both hold.

    Classical ANOVA (Montgomery DOE §3.3): :math:`F_0 = MSB/MSW` on (k − 1, N − k) df. Welch
    (1951): :math:`F^* = \\frac{\\sum w_i(\\bar y_i - \\tilde y)^2/(k-1)}{1 + \\frac{2(k-2)}{k^2-1}
    \\sum \\frac{(1 - w_i/W)^2}{n_i - 1}}`, :math:`w_i = n_i/s_i^2`, :math:`\\tilde y = \\sum
    w_i\\bar y_i/W`. Brown–Forsythe (1974): the one-way ANOVA F of :math:`|y_{ij} -
    \\tilde y_i|` (:math:`\\tilde y_i` the group median).

    Per-group indices use the group's overall SD (Pp/Ppk, not Cp/Cpk); ``ppk_ci`` is Bissell's
    two-sided ``settings.confidence`` interval with ν = n − 1
    (:func:`pilotqa.stats.capability.bissell_ci`; Bissell 1990).

    Between/within capability: σ_B/W = √(σ²_B + σ²_W) from :func:`variance_components`, and
    :math:`C_{pk,B/W} = \\min(USL - \\bar y, \\bar y - LSL)/(3\\sigma_{B/W})`, so a group shift
    lowers the index. Minitab's Between/Within capability estimates σ_between from the moving
    range of subgroup means over time; groups are few (2–5) and not a time series, so the ANOVA
    moment estimator is used here instead — same model, different estimator.

    Tukey HSD: the adjusted p-values of ``scipy.stats.tukey_hsd`` (Tukey–Kramer for unequal
    group sizes) only (``reject`` ⇔ the simultaneous interval excludes 0), for the reported
    pairs i < j only: the statistics as ``tukey_hsd`` computes them (:func:`_tukey_stats`), the
    p-values of all pairs of all features in one vectorised evaluation of the studentized range
    (:func:`pilotqa.stats.studentized_range.studentized_range_sf`; within scipy's quadrature
    tolerance 1e-11 of ``tukey_hsd``'s, and equal to ``statsmodels``' ``pairwise_tukeyhsd``
    within its table's accuracy; checked in the tests).

    The four tests use the arithmetic of ``scipy.stats.f_oneway``,
    ``statsmodels.stats.oneway.anova_oneway(use_var="unequal")``, ``scipy.stats.kruskal`` and
    ``scipy.stats.levene(center="median")`` on each feature's slices of one sorted array
    (:func:`_oneway_tests`; equal results, ``tests/test_lots_fast.py``), computed from the
    reductions of all features at once (:func:`_oneway_parts`, :func:`_oneway_from_parts`; the same
    floats, ``tests/test_families_speed_lots.py``); data with non-finite readings (never produced by
    the readers) go to the library functions themselves.

    References
    ----------
    Montgomery, *Design and Analysis of Experiments* 8th ed., §3.3 (ANOVA), §3.5.7 (Tukey),
    §3.9 (random effects), §3.11.1 (Kruskal–Wallis); Welch (1951), Biometrika 38, 330–336;
    Brown & Forsythe (1974), JASA 69, 364–367; NIST/SEMATECH e-Handbook §1.3.5.10 (Levene),
    §7.4.3 (one-way ANOVA), §7.4.7.1 (Tukey); Minitab 21, "Methods and formulas for
    Between/Within Capability Analysis"; Bissell (1990), Appl. Statist. 39(3) 331–340.

    Examples
    --------
    >>> m = pl.DataFrame({"feature": ["F"] * 8, "fixture": ["A"] * 4 + ["B"] * 4,
    ...     "sequence": list(range(8)), "value": [1.0, 1.2, 0.9, 1.1, 2.0, 2.1, 1.9, 2.2]})
    >>> sp = pl.DataFrame({"feature": ["F"], "nominal": [1.5], "lsl": [0.0], "usl": [3.0],
    ...     "lower_bound_zero": [False]})
    >>> r = factor_effect_all(m, sp, Settings(), "fixture")["F"]
    >>> r["k"], r["significant"], r["extreme"], round(r["offset"], 2), round(r["offset_pct_tolerance"], 1)
    (2, True, 'B', 1.0, 33.3)
    """
    label = label or factor
    pct_limit = settings.lot_effect_pct if relevance_pct is None else relevance_pct
    out: dict[str, dict[str, Any] | None] = {}
    if meas.height == 0:
        return out
    m = meas.select("feature", pl.col(factor).cast(pl.String).alias("_g"), "sequence", "value")
    null_g = dict(m.filter(pl.col("_g").is_null()).group_by("feature").agg(pl.len()).iter_rows())
    m = m.filter(pl.col("_g").is_not_null()).with_row_index("_row")
    per_group = (
        m.group_by("feature", "_g")
        .agg(
            pl.len().alias("n"),
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("sd"),
            pl.col("sequence").min().alias("first_sequence"),
        )
        .sort(["feature", "first_sequence", "_g"], nulls_last=True)
        .with_row_index("_gi")
        .with_columns(pl.col("feature").rle_id().alias("_fi"))
    )
    # The readings of the tested groups (≥ MIN_PER_GROUP readings), in two orders, each a numpy
    # array sliced per feature or per group without copies: by feature in production order (the
    # order of the grand mean) and by group (groups in the order of ``per_group``, readings in
    # production order — the order the tests have always received them in).
    tested = per_group.filter(pl.col("n") >= MIN_PER_GROUP)
    joined = (
        m.join(tested.select("feature", "_g", "_gi", "_fi"), on=["feature", "_g"], how="inner")
        .select("_fi", "_gi", "sequence", "_row", "value")
    )
    order = _production_order(joined)
    v_feature = joined["value"].cast(pl.Float64).to_numpy()[order]
    v_group = v_feature[np.argsort(joined["_gi"].to_numpy()[order], kind="stable")]
    g_n = tested["n"].to_numpy()
    g_bounds = {int(gi): (int(stop - n), int(stop)) for gi, n, stop in zip(tested["_gi"].to_numpy(), g_n, np.cumsum(g_n))}
    spec_rows = {
        r["feature"]: r
        for r in specs.select("feature", "nominal", "lsl", "usl", "lower_bound_zero").iter_rows(named=True)
    }
    # per-group summaries as Python lists, each feature's rows a contiguous slice (per_group is
    # sorted by feature): one conversion instead of a partition and a to_dict per feature
    pg_cols = per_group.to_dict(as_series=False)
    pg_rows: dict[Any, tuple[int, int]] = {}
    for i, f in enumerate(pg_cols["feature"]):
        start = pg_rows.get(f, (i, i))[0]
        pg_rows[f] = (start, i + 1)
    # Kruskal–Wallis rank sums of every feature at once (the tests below use them; equal numbers)
    g_feature = tested["_fi"].to_numpy()
    kw_ssbn, kw_tie = _kruskal_sums_all(v_group, g_n, g_feature)
    kw_row = {int(c): i for i, c in enumerate(np.unique(g_feature))}
    # every reduction over readings the tests take, of all groups and features at once
    parts = _oneway_parts(v_group, v_feature, g_n, g_feature)
    oneway = _oneway_all(parts, g_n, g_feature, kw_ssbn, kw_tie)
    vc_all = _variance_components_all(g_n, tested["mean"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
                                      tested["sd"].cast(pl.Float64).fill_null(0.0).to_numpy(), g_feature)
    g_pos = {int(gi): i for i, gi in enumerate(tested["_gi"].to_list())}
    ci_todo: list[tuple[dict[str, Any], float, int]] = []  # Bissell intervals of all groups at once below
    all_features = meas["feature"].unique(maintain_order=True).to_list()
    alpha = settings.alpha
    z = float(special.ndtri((1.0 + settings.confidence) / 2.0))  # = scipy.stats.norm.ppf (its _ppf is ndtri)
    tukey_todo: list[tuple[dict[str, Any], list[Any], list[np.ndarray], np.ndarray, int, int]] = []
    for feat in all_features:
        rows = pg_rows.get(feat)
        if rows is None or rows[1] - rows[0] < 2:
            out[feat] = None
            continue
        sp = spec_rows.get(feat, {})
        lsl, usl = _num(sp.get("lsl")), _num(sp.get("usl"))
        notes: list[str] = []
        if null_g.get(feat):
            notes.append(f"{null_g[feat]} reading(s) without a {label} excluded from the {label} analysis")
        cols = {c: v[rows[0]:rows[1]] for c, v in pg_cols.items()}
        n_arr = np.asarray(cols["n"], dtype=np.int64)
        ok = n_arr >= MIN_PER_GROUP
        dropped = [str(g) for g, keep in zip(cols["_g"], ok) if not keep]
        if dropped:
            notes.append(f"{label}(s) {', '.join(dropped)} with fewer than {MIN_PER_GROUP} readings excluded from the tests")
        per = []
        for grp, n_i, mean_i, sd_i, first in zip(cols["_g"], cols["n"], cols["mean"], cols["sd"], cols["first_sequence"]):
            pp, ppk = index_from_sigma(mean_i, sd_i, lsl, usl)
            ppk_v = _num(ppk)
            entry = {
                "group": grp, "n": int(n_i), "mean": _num(mean_i), "sd": _num(sd_i),
                "pp": _num(pp), "ppk": ppk_v, "ppk_ci": None,
                "first_sequence": int(first) if first is not None else None,
            }
            if ppk_v is not None and int(n_i) >= 2:
                ci_todo.append((entry, ppk_v, int(n_i)))
            per.append(entry)
        k = int(ok.sum())
        tol, basis = tolerance_width(lsl, usl, sp.get("nominal"), sp.get("lower_bound_zero"))
        res: dict[str, Any] = {
            "k": k, "anova_f": None, "anova_p": None, "welch_f": None, "welch_p": None,
            "kruskal_p": None, "levene_p": None, "variance_test": "brown-forsythe",
            "between_share": None, "sigma_between": None, "sigma_within": None,
            "sigma_bw": None, "var_between_truncated": None, "cp_bw": None, "cpk_bw": None,
            "mean_range": None, "mean_range_pct_tolerance": None, "tolerance": _num(tol),
            "extreme": None, "offset": None, "offset_pct_tolerance": None,
            "per_group": per, "tukey": [], "test_used": None, "significant": None,
            "practically_relevant": None, "notes": notes,
        }
        out[feat] = res
        if k < 2:
            plural = label + ("es" if label.endswith(("s", "x", "sh", "ch")) else "s")
            notes.append(f"fewer than 2 {plural} with at least {MIN_PER_GROUP} readings: no {label} comparison")
            continue
        names_ok = [g for g, keep in zip(cols["_g"], ok) if keep]
        gis = [gi for gi, keep in zip(cols["_gi"], ok) if keep]
        groups = [v_group[slice(*g_bounds[gi])] for gi in gis]
        g_rows = [g_pos[gi] for gi in gis]
        row = kw_row[int(cols["_fi"][0])]
        finite = bool(parts["finite"][row])

        # Variance components and between/within capability (summary layer).
        means = np.asarray(cols["mean"], dtype=float)[ok]
        sds = np.array([0.0 if v is None else v for v in cols["sd"]], dtype=float)[ok]
        if vc_all["done"][row] and k == vc_all["k"][row]:  # all features at once above, the same numbers
            vc = {key: (bool(vc_all[key][row]) if key == "truncated" else _num(float(vc_all[key][row])))
                  for key in ("truncated", "between_share", "sigma_between", "sigma_within", "sigma_bw")}
        else:
            vc = variance_components(n_arr[ok], means, sds)
        if vc["truncated"]:
            notes.append(f"between-{label} variance estimate was negative (MSB < MSW): set to 0")
        grand = float(parts["grand"][row])  # the mean of the feature's tested readings in production order
        cp_bw, cpk_bw = index_from_sigma(grand, vc["sigma_bw"], lsl, usl)
        rng = float(means.max() - means.min())
        pct = _num(rng / tol * 100.0) if tol else None
        if tol is None:
            notes.append(f"no tolerance width ({basis}): {label} effect not expressed as % of tolerance")
        nom = _num(sp.get("nominal"))
        target = nom if nom is not None else (lsl + usl) / 2 if lsl is not None and usl is not None else grand
        extreme, offset = _extreme_offset(groups, names_ok, target,
                                          (parts["mean"][g_rows], parts["omean"][g_rows]) if finite else None)
        res.update(
            between_share=vc["between_share"], sigma_between=vc["sigma_between"],
            sigma_within=vc["sigma_within"], sigma_bw=vc["sigma_bw"],
            var_between_truncated=vc["truncated"], cp_bw=_num(cp_bw), cpk_bw=_num(cpk_bw),
            mean_range=_num(rng), mean_range_pct_tolerance=pct,
            extreme=extreme, offset=_num(offset),
            offset_pct_tolerance=(_num(offset / tol * 100.0) if tol and offset is not None else None),
            practically_relevant=(bool(pct > pct_limit) if pct is not None else None),
        )

        # Hypothesis tests (raw-data layer).
        if (bool(parts["const"][g_rows].all()) if finite else not any(np.ptp(x) > 0 for x in groups)):
            notes.append(f"no variation within any {label}: ANOVA-type tests undefined")
        if finite:
            # the arithmetic of the library tests without their per-call overhead (equal results)
            if oneway["done"][row] and len(g_rows) == oneway["k"][row]:
                tr = {key: float(oneway[key][row]) for key in _ONEWAY_KEYS}  # all features at once above
            else:
                tr = _oneway_from_parts(parts, g_rows, row, [int(g.shape[0]) for g in groups],
                                        (float(kw_ssbn[row]), float(kw_tie[row])))
            res.update(anova_f=_num(tr["anova_f"]), anova_p=_num(tr["anova_p"]), welch_f=_num(tr["welch_f"]),
                       welch_p=_num(tr["welch_p"]), kruskal_p=_num(tr["kruskal_p"]), levene_p=_num(tr["levene_p"]))
        else:  # non-finite readings (the readers never produce them): the library functions decide
            _library_tests(groups, res, notes)
        lev = res["levene_p"]
        use_welch = lev is not None and lev < alpha
        p_used = res["welch_p"] if use_welch else res["anova_p"]
        res["test_used"] = "welch" if use_welch else "anova"
        if use_welch:
            notes.append(f"{label} variances differ (Brown–Forsythe p < alpha): Welch ANOVA decides significance")
        if p_used is None:
            notes.append(f"{label} mean test undefined (degenerate data): significance unknown")
        else:
            res["significant"] = bool(p_used < alpha)
        if k >= tukey_min_k and (res["significant"] or not tukey_only_significant):
            if finite:
                q_ij, _, df_e = _tukey_stats(groups, parts["mean"][g_rows], parts["var"][g_rows])
                tukey_todo.append((res, names_ok, groups, q_ij, k, df_e))  # p-values of all features at once below
                continue
            from scipy import stats  # rare path (non-finite readings): the library function decides

            tk, why_t = _quiet(stats.tukey_hsd, *groups)
            if why_t is None:
                res["tukey"] = _tukey_rows(names_ok, groups,
                                           [(i, j, tk.pvalue[i, j]) for i in range(k) for j in range(i + 1, k)], alpha)
            else:
                notes.append(f"Tukey HSD undefined: {why_t}")
    if ci_todo:  # Bissell's interval is elementwise arithmetic: one call for all groups, the same numbers
        n_ci = np.array([t[2] for t in ci_todo], dtype=float)
        cis = bissell_ci(np.array([t[1] for t in ci_todo]), n_ci, n_ci - 1, z)
        for (entry, _, _), (lo, hi) in zip(ci_todo, cis.tolist()):
            entry["ppk_ci"] = (_num(lo), _num(hi))
    if tukey_todo:
        # one vectorised evaluation of the studentized range for every pair of every feature
        p_all = studentized_range_sf(np.concatenate([t[3] for t in tukey_todo]),
                                     np.concatenate([np.full(t[3].size, t[4]) for t in tukey_todo]),
                                     np.concatenate([np.full(t[3].size, t[5]) for t in tukey_todo]))
        pos = 0
        for res, names_ok, groups, q_ij, k, _df in tukey_todo:
            iu = np.triu_indices(k, 1)
            ps = p_all[pos:pos + q_ij.size]
            pos += q_ij.size
            res["tukey"] = _tukey_rows(names_ok, groups, list(zip(iu[0].tolist(), iu[1].tolist(), ps.tolist())), alpha)
    return out


def stream_factors(meas: pl.DataFrame, by: Sequence[str] = (), headings: Sequence[str] = (),
                   aliases: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The stream factors to analyse: every ``--by`` name (normalised by :func:`stream_key`),
    then every recognised stream column (:data:`pilotqa.model.STREAM_COLUMNS`) present in the
    measurements with at least one value.

    Raises :class:`~pilotqa.errors.InputError` (one line) when a ``--by`` name is not a column of
    the measurements, naming it, the stream columns that are available and ``headings`` (the
    column headings of the input, when the reader recorded them). ``aliases`` maps a heading
    (:func:`stream_key` form) that the reader recognised as a stream column to that column
    (``vorrichtung`` → ``fixture``), so ``--by Vorrichtung`` names the fixture column.
    """
    present = [c for c in meas.columns if c not in MEASUREMENT_SCHEMA and not c.startswith("_")]
    wanted: list[str] = []
    for name in by:
        key = stream_key(name)
        if key not in present and aliases and aliases.get(key) in present:
            key = aliases[key]
        if key == "lot":
            continue  # the lot is always analysed (``lots``)
        if key not in present:
            avail = ", ".join(present) if present else "none"
            cols = list(dict.fromkeys(h for h in headings if h))
            raise InputError(f"--by {name}: no such column in the input; stream columns available: {avail}"
                             + (f"; columns of the input: {', '.join(cols[:40])}{' …' if len(cols) > 40 else ''}"
                                if cols else "")
                             + f" (recognised stream names: {', '.join(STREAM_COLUMNS)})")
        if key not in wanted:
            wanted.append(key)
    for c in present:
        if c in STREAM_COLUMNS and c not in wanted and meas[c].drop_nulls().len():
            wanted.append(c)
    return tuple(wanted)


def input_aliases(details: Any) -> dict[str, str]:
    """Heading (:func:`stream_key` form) → stream column, for every recognised stream column a
    reader recorded in ``details["columns"]`` ({canonical name: heading}), nested or not."""
    out: dict[str, str] = {}
    if isinstance(details, dict):
        cols = details.get("columns")
        if isinstance(cols, dict):
            out.update({stream_key(str(h)): c for c, h in cols.items() if c in STREAM_COLUMNS and h})
        for v in details.values():
            out.update(input_aliases(v))
    elif isinstance(details, list):
        for v in details:
            out.update(input_aliases(v))
    return out


def input_headings(details: Any) -> list[str]:
    """Every ``headings`` list recorded anywhere in a reader's ``Inspection.details`` (nested for
    several sheets or files), in order, without repeats."""
    out: list[str] = []
    if isinstance(details, dict):
        for k, v in details.items():
            if k == "headings" and isinstance(v, list):
                out += [str(h) for h in v]
            else:
                out += input_headings(v)
    elif isinstance(details, list):
        for v in details:
            out += input_headings(v)
    return list(dict.fromkeys(out))


def streams_all(meas: pl.DataFrame, specs: pl.DataFrame, settings: Settings,
                factors: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Stream analysis of every feature: feature → {factor → result} (:func:`factor_effect_all`
    with the factor's own name in the notes, relevance limit ``settings.stream_effect_pct`` and
    Tukey pairs whenever more than two streams are tested). A factor with fewer than two streams
    for a feature is left out of that feature's mapping. Keys are renamed for streams:
    ``per_group`` → ``per_stream`` with ``stream``, ``extreme`` → ``stream``, Tukey ``a``/``b`` →
    ``stream_a``/``stream_b``; ``factor`` is added.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    pct = settings.stream_effect_pct
    for factor in factors:
        res = factor_effect_all(meas, specs, settings, factor, relevance_pct=pct, tukey_min_k=3,
                                tukey_only_significant=False)
        for feat, r in res.items():
            if r is None:
                continue
            doc = {key: v for key, v in r.items() if key not in ("per_group", "tukey", "extreme")}
            doc["factor"] = factor
            doc["stream"] = None if r["extreme"] is None else str(r["extreme"])
            doc["per_stream"] = [
                {"stream": str(p["group"]), "n": p["n"], "mean": p["mean"], "sd": p["sd"], "pp": p["pp"],
                 "ppk": p["ppk"], "ppk_ci": p["ppk_ci"], "first_sequence": p["first_sequence"]}
                for p in r["per_group"]
            ]
            doc["tukey"] = [{"stream_a": t["a"], "stream_b": t["b"], "diff": t["diff"], "p_adj": t["p_adj"],
                             "reject": t["reject"]} for t in r["tukey"]]
            out.setdefault(feat, {})[factor] = doc
    return out
