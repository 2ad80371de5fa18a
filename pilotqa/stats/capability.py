"""Process capability: within-subgroup sigma estimators, Cp/Cpk/Pp/Ppk/Cpm, confidence intervals, PPM.

Two layers (style pattern 3):

* cores on summary statistics, vectorised over numpy arrays — :func:`capability_from_summary`
  and the scalar helper :func:`index_from_sigma`;
* frame-level wrappers computing the summaries for *all* features in one polars ``group_by`` —
  :func:`sigma_within_all` and :func:`capability_all` (schema :data:`CAPABILITY_SCHEMA`).

Naming rule: indices from the within-subgroup sigma are called C (Cp, Cpk, …), indices from the
overall sample standard deviation P (Pp, Ppk, …); the within estimator's name is recorded beside
them (``sigma_within_method``).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray
from scipy import special

from pilotqa.settings import Settings

from .constants import D2_MR2, c4, d2_array, d3_array, sbar_df_factor

__all__ = [
    "index_from_sigma",
    "capability_from_summary",
    "sigma_within_all",
    "capability_all",
    "choose_target",
    "SIGMA_WITHIN_SCHEMA",
    "CAPABILITY_SCHEMA",
    "WITHIN_METHODS",
]

#: Within-subgroup estimators implemented here (``auto`` resolves to one of them per feature).
WITHIN_METHODS: tuple[str, ...] = ("pooled", "rbar", "sbar", "mr")

_F = pl.Float64()
_I = pl.Int64()
_S = pl.String()
_B = pl.Boolean()

#: Output schema of :func:`sigma_within_all`.
SIGMA_WITHIN_SCHEMA: dict[str, pl.DataType] = {
    "feature": _S,
    "sigma_within": _F,
    "sigma_within_method": _S,
    "df_within": _F,
    "individuals": _B,
    "n_subgroups": _I,
    "subgroup_size": _F,
    "sigma_note": _S,
}

#: Output schema of :func:`capability_all` (one row per feature, spec order).
CAPABILITY_SCHEMA: dict[str, pl.DataType] = {
    "feature": _S,
    "n": _I,
    "n_missing": _I,
    "n_out_of_spec": _I,
    "mean": _F,
    **{k: v for k, v in SIGMA_WITHIN_SCHEMA.items() if k not in ("feature", "sigma_note")},
    "sigma_overall": _F,
    "target": _F,
    "target_source": _S,
    **{k: _F for k in ("cp", "cpl", "cpu", "cpk", "pp", "ppl", "ppu", "ppk", "cpm")},
    **{f"{k}_ci_{e}": _F for k in ("cp", "cpk", "pp", "ppk") for e in ("low", "high")},
    "confidence": _F,
    "ppm_expected": _F,
    "ppm_expected_within": _F,
    "ppm_observed": _F,
    "sigma_note": _S,
}


# --------------------------------------------------------------------------- cores
def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def index_from_sigma(
    mean: float | None, sigma: float | None, lsl: float | None, usl: float | None
) -> tuple[float | None, float | None]:
    """Cp-type and Cpk-type index of one mean and one sigma (scalar helper).

    Parameters
    ----------
    mean : float or None
        Process mean.
    sigma : float or None
        Standard deviation to use (within, overall, between/within … — the caller names it).
    lsl, usl : float or None
        Specification limits; None = no limit on that side.

    Returns
    -------
    (cp, cpk) : tuple of float or None
        ``cp`` is None unless both limits exist; ``cpk`` is the smaller one-sided index over
        the defined sides. Both None when sigma is not a positive finite number.

    Notes
    -----
    .. math:: C_p = \\frac{USL-LSL}{6\\sigma}, \\qquad
              C_{pk} = \\min\\left(\\frac{USL-\\mu}{3\\sigma}, \\frac{\\mu-LSL}{3\\sigma}\\right)

    Validated against: Montgomery piston rings (tests/test_stats_capability.py).

    References
    ----------
    AIAG SPC manual 2nd ed. (2005), ch. IV; Montgomery, *Introduction to Statistical Quality
    Control* 8th ed., §8.3.

    Examples
    --------
    >>> index_from_sigma(10.0, 1.0, 4.0, 19.0)
    (2.5, 2.0)
    >>> index_from_sigma(10.0, 1.0, None, 19.0)
    (None, 3.0)
    """
    m, s = _finite(mean), _finite(sigma)
    if m is None or s is None or s <= 0:
        return None, None
    lo, hi = _finite(lsl), _finite(usl)
    cp = (hi - lo) / (6 * s) if lo is not None and hi is not None else None
    sides = [v for v in ((hi - m) / (3 * s) if hi is not None else None,
                         (m - lo) / (3 * s) if lo is not None else None) if v is not None]
    return cp, (min(sides) if sides else None)


def bissell_ci(idx: ArrayLike, n: ArrayLike, nu: ArrayLike, z: float) -> NDArray[np.float64]:
    """Bissell's normal-approximation interval of a Cpk/Ppk-type index, ``[..., (low, high)]``.

    .. math:: \\hat C \\mp z\\sqrt{\\frac{1}{9n} + \\frac{\\hat C^2}{2\\nu}}

    with ν = n − 1 for Ppk and the within-σ degrees of freedom for Cpk; NaN where n < 2 or ν ≤ 0.
    Bissell, A. F. (1990), Appl. Statist. 39(3) 331–340; Montgomery 8th ed. §8.3.5.

    >>> [round(float(v), 2) for v in bissell_ci(1.33, 20, 19, 1.959963984540054)]
    [0.88, 1.78]
    """
    c, nn, nu_ = (np.asarray(a, dtype=float) for a in (idx, n, nu))
    nu_ok = np.where(nu_ > 0, nu_, np.nan)
    n_ok = np.where(nn >= 2, nn, np.nan)
    half_w = z * np.sqrt(1.0 / (9.0 * n_ok) + c**2 / (2.0 * nu_ok))
    return np.stack([c - half_w, c + half_w], axis=-1)


def bissell_lower(index: float, n: int, confidence: float) -> float | None:
    """Lower limit of Bissell's two-sided ``confidence`` interval of a Ppk (ν = n − 1), or None.

    Scalar form of :func:`bissell_ci` (Bissell 1990; Montgomery 8th ed. §8.3.5: n = 20,
    Ĉpk = 1.33, 95 % → 0.88 ≤ Cpk ≤ 1.78).

    >>> round(bissell_lower(1.33, 20, 0.95), 2)
    0.88
    """
    if n is None or n < 2 or index is None or not math.isfinite(float(index)):
        return None
    z = float(special.ndtri((1.0 + confidence) / 2.0))  # = scipy.stats.norm.ppf
    return float(bissell_ci(index, n, n - 1, z)[0])


def process_sigma(sigma_observed: float | None, sigma_grr: float | None) -> float | None:
    """σ of the process with the measurement variance removed.

    .. math:: σ_{process} = \\sqrt{σ^2_{observed} − σ^2_{GRR}}

    None when either input is missing or the difference is negative (the gauge study's GRR
    exceeds the observed spread: the two studies disagree, nothing can be said).

    References: AIAG MSA 4th ed. ch. I §E (observed = process + measurement variance);
    Montgomery, *Introduction to Statistical Quality Control*, 8th ed., §8.7.

    >>> round(process_sigma(0.5, 0.3), 6)
    0.4
    >>> process_sigma(0.3, 0.5) is None
    True
    """
    if sigma_observed is None or sigma_grr is None or sigma_grr > sigma_observed:
        return None
    if sigma_observed == 0.0:
        return 0.0  # then σ_GRR = 0 too
    # σ_obs·√((1 − r)(1 + r)) with r = σ_GRR/σ_obs, not √(σ²_obs − σ²_GRR): the squares of a tiny
    # σ underflow to subnormals (√ then returned more than σ_obs: 3.0308548010420445e-156 for
    # 3.0308548010419617e-156, found by a property test) and those of a huge one overflow; the
    # factor is at most 1, so the result never exceeds σ_observed.
    r = sigma_grr / sigma_observed
    f = (1.0 - r) * (1.0 + r)
    if not f >= 0.0:
        return None
    out = sigma_observed * math.sqrt(min(f, 1.0))
    return out if math.isfinite(out) else None


def _arr(x: ArrayLike | None) -> NDArray[np.float64]:
    if x is None:
        return np.array(np.nan)
    a = np.asarray(x, dtype=object)
    if a.dtype == object:
        # an explicit 0-d object array: what the ufunc makes of a bare None, spelt so numpy's stubs accept it
        a = np.where(np.equal(a, np.array(None, dtype=object)), np.nan, a)
    return np.asarray(a, dtype=float)


def capability_from_summary(
    mean: ArrayLike,
    sigma_within: ArrayLike,
    sigma_overall: ArrayLike,
    n: ArrayLike,
    lsl: ArrayLike | None,
    usl: ArrayLike | None,
    target: ArrayLike | None = None,
    confidence: float = 0.95,
    df_within: ArrayLike | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Capability and performance indices with confidence intervals from summary statistics.

    Vectorised: every argument may be a scalar or an array (broadcast together). Undefined
    values are NaN in the result (the engine turns them into null with a note).

    Parameters
    ----------
    mean : array_like
        Process mean x̄ (same unit as the limits).
    sigma_within : array_like
        Within-subgroup (short-term) σ̂ — used for the C indices.
    sigma_overall : array_like
        Overall sample standard deviation s (ddof 1) — used for the P indices and Cpm.
    n : array_like
        Number of readings N.
    lsl, usl : array_like or None
        Specification limits; NaN/None = no limit on that side.
    target : array_like or None
        Target T for Cpm; NaN/None = mid-tolerance when both limits exist, else no Cpm.
    confidence : float
        Two-sided confidence level of the intervals (default 0.95).
    df_within : array_like or None
        Degrees of freedom ν of σ_within (Minitab: pooled Σ(nᵢ−1); R̄ 0.9k(n̄−1); S̄ f_n·k(n̄−1);
        moving range N−1). Default N − 1.

    Returns
    -------
    dict of numpy.ndarray
        ``cp, cpl, cpu, cpk, pp, ppl, ppu, ppk, cpm`` (dimensionless);
        ``cp_ci, cpk_ci, pp_ci, ppk_ci`` arrays with a last axis of length 2 (low, high);
        ``ppm_expected`` (normal model with σ_overall, parts per million outside the limits),
        ``ppm_expected_within`` (same with σ_within).

    Notes
    -----
    .. math::
        C_p = \\frac{USL-LSL}{6\\hat\\sigma_w},\\;
        C_{pu} = \\frac{USL-\\bar x}{3\\hat\\sigma_w},\\;
        C_{pl} = \\frac{\\bar x-LSL}{3\\hat\\sigma_w},\\;
        C_{pk} = \\min(C_{pu}, C_{pl})

    and the same with :math:`s` for Pp, Ppu, Ppl, Ppk. One-sided limits: only the defined side
    (Cp/Pp NaN, Cpk = the one side). Cpm (Minitab's form, σ_T² = Σ(x−T)²/(N−1)):

    .. math:: C_{pm} = \\frac{\\min(T-LSL,\\,USL-T)}{3\\sqrt{s^2 + \\frac{N}{N-1}(\\bar x-T)^2}}

    (= (USL−LSL)/(6σ_T) for T at mid-tolerance; one-sided: the defined side only).
    Intervals: Cp, Pp by chi-square,
    :math:`[\\hat C\\sqrt{\\chi^2_{\\alpha/2,\\nu}/\\nu},\\ \\hat C\\sqrt{\\chi^2_{1-\\alpha/2,\\nu}/\\nu}]`;
    Cpk, Ppk by Bissell's normal approximation
    :math:`\\hat C \\pm z_{1-\\alpha/2}\\sqrt{1/(9N) + \\hat C^2/(2\\nu)}` with ν = df_within for
    Cpk and N − 1 for Pp/Ppk (as Minitab). Assumes normal, independent readings (stable process).

    Validated against: NIST/SEMATECH e-Handbook §6.1.6 example (Cp = 1, Cpk = 0.6667) and its
    reject table; the χ² and Bissell interval formulas evaluated independently with scipy on the
    setting of Montgomery's Examples 8.5/8.6 (USL 62, LSL 38, n 20, s 1.75); the piston-ring
    data (tests/test_stats_capability.py, sources in tests/reference/README.md).

    References
    ----------
    AIAG SPC manual 2nd ed., ch. IV; Montgomery, *Introduction to Statistical Quality Control*
    7th/8th ed., §8.3; Bissell, A. F. (1990), "How reliable is your capability index?",
    *Applied Statistics* 39(3), 331–340; Minitab 21 "Methods and formulas for potential
    capability / overall capability"; Chan, Cheng & Spiring (1988), *JQT* 20(3), 162–175 (Cpm).

    Examples
    --------
    >>> r = capability_from_summary(50.0, 1.75, 1.75, 20, 38.0, 62.0)
    >>> round(float(r["cp"]), 3), [round(float(v), 3) for v in r["cp_ci"]]
    (2.286, [1.565, 3.006])
    """
    mu = _arr(mean)
    sw = _arr(sigma_within)
    so = _arr(sigma_overall)
    nn = _arr(n)
    lo = _arr(lsl)
    hi = _arr(usl)
    tg = _arr(target)
    nu_w = nn - 1.0 if df_within is None else _arr(df_within)
    mu, sw, so, nn, lo, hi, tg, nu_w = np.broadcast_arrays(mu, sw, so, nn, lo, hi, tg, nu_w)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    alpha = 1.0 - confidence
    z = float(special.ndtri(1.0 - alpha / 2.0))  # = scipy.stats.norm.ppf

    with np.errstate(divide="ignore", invalid="ignore"):
        sw_ok = np.where((sw > 0) & np.isfinite(sw), sw, np.nan)
        so_ok = np.where((so > 0) & np.isfinite(so), so, np.nan)
        tol = hi - lo
        out: dict[str, NDArray[np.float64]] = {}
        for prefix, sig in (("c", sw_ok), ("p", so_ok)):
            idx_p = tol / (6.0 * sig)
            idx_u = (hi - mu) / (3.0 * sig)
            idx_l = (mu - lo) / (3.0 * sig)
            out[f"{prefix}p"] = idx_p
            out[f"{prefix}pu"] = idx_u
            out[f"{prefix}pl"] = idx_l
            out[f"{prefix}pk"] = np.fmin(idx_u, idx_l)

        # Cpm — target defaults to mid-tolerance when both limits exist.
        tgt = np.where(np.isnan(tg), (lo + hi) / 2.0, tg)
        sig_t = np.sqrt(so_ok**2 + nn / (nn - 1.0) * (mu - tgt) ** 2)
        half = np.fmin(tgt - lo, hi - tgt)
        out["cpm"] = np.where(nn >= 2, half / (3.0 * sig_t), np.nan)

        def chi_ci(idx: NDArray[np.float64], nu: NDArray[np.float64]) -> NDArray[np.float64]:
            nu_ok = np.where(nu > 0, nu, np.nan)
            # χ²_ν quantile p = 2·P⁻¹(ν/2, p), scipy.stats.chi2.ppf's own formula (chi2_gen._ppf)
            low = idx * np.sqrt(2.0 * special.gammaincinv(nu_ok / 2.0, alpha / 2.0) / nu_ok)
            high = idx * np.sqrt(2.0 * special.gammaincinv(nu_ok / 2.0, 1.0 - alpha / 2.0) / nu_ok)
            return np.stack([low, high], axis=-1)

        out["cp_ci"] = chi_ci(out["cp"], nu_w)
        out["pp_ci"] = chi_ci(out["pp"], nn - 1.0)
        out["cpk_ci"] = bissell_ci(out["cpk"], nn, nu_w, z)
        out["ppk_ci"] = bissell_ci(out["ppk"], nn, nn - 1.0, z)

        for key, sig in (("ppm_expected", so_ok), ("ppm_expected_within", sw_ok)):
            # Φ and 1 − Φ(x) = Φ(−x) as scipy.stats.norm.cdf/sf compute them (special.ndtr)
            below = np.where(np.isnan(lo), 0.0, special.ndtr((lo - mu) / sig))
            above = np.where(np.isnan(hi), 0.0, special.ndtr(-((hi - mu) / sig)))
            both_missing = np.isnan(lo) & np.isnan(hi)
            ppm = 1e6 * (below + above)
            out[key] = np.where(np.isnan(sig) | np.isnan(mu) | both_missing, np.nan, ppm)
    return out


# ------------------------------------------------------------------- frame level
def _lookup_frame(sizes: pl.Series) -> pl.DataFrame:
    """d2, d3, c4 per distinct subgroup size (only sizes ≥ 2 get finite values)."""
    uniq = np.asarray(sizes.unique().drop_nulls().to_numpy(), dtype=np.int64)
    return pl.DataFrame(
        {"n_i": uniq, "d2_i": d2_array(uniq), "d3_i": d3_array(uniq), "c4_i": np.asarray(c4(uniq), dtype=float)},
        schema={"n_i": pl.UInt32(), "d2_i": _F, "d3_i": _F, "c4_i": _F},
    )


def sigma_within_all(meas: pl.DataFrame, method: str = "auto") -> pl.DataFrame:
    """Within-subgroup σ̂ of every feature at once (one polars pass per estimator).

    Parameters
    ----------
    meas : polars.DataFrame
        Measurements (schema ``pilotqa.model.MEASUREMENT_SCHEMA``); null values are ignored.
    method : {"auto", "pooled", "rbar", "sbar", "mr"}
        ``auto`` = ``pooled`` for features with subgroups, ``mr`` for individuals. A feature is
        *individuals* when any of its readings has a null subgroup or every subgroup holds one
        reading (the same rule as its control chart in :mod:`pilotqa.stats.stability`).
        ``pooled``/``rbar``/``sbar`` need subgroups: for individuals the average moving range is
        used instead and ``sigma_note`` says so.

    Returns
    -------
    polars.DataFrame
        Schema :data:`SIGMA_WITHIN_SCHEMA`: ``feature``, ``sigma_within`` (value unit),
        ``sigma_within_method`` (estimator actually used), ``df_within`` (ν for the intervals),
        ``individuals``, ``n_subgroups`` and ``subgroup_size`` (mean size; null for individuals),
        ``sigma_note``.

    Notes
    -----
    * pooled (Minitab's default): :math:`s_p = \\sqrt{\\sum(n_i-1)s_i^2/\\sum(n_i-1)}`,
      :math:`\\hat\\sigma = s_p/c_4(d+1)`, d = ν = Σ(nᵢ−1).
    * rbar: :math:`\\hat\\sigma = \\sum f_i r_i/d_2(n_i) \\big/ \\sum f_i`, fᵢ = d2(nᵢ)²/d3(nᵢ)²
      (Minitab's weighted form; = R̄/d2(n) for equal sizes); ν = 0.9·k·(n̄−1).
    * sbar: :math:`\\hat\\sigma = \\sum h_i s_i/c_4(n_i) \\big/ \\sum h_i`, hᵢ = c4(nᵢ)²/(1−c4(nᵢ)²)
      (= S̄/c4(n) for equal sizes); ν = f_n·k·(n̄−1).
    * mr: :math:`\\hat\\sigma = \\overline{MR}/d_2(2) = \\overline{MR}/1.128`, span-2 moving ranges
      of the readings in sequence order; ν = N − 1 (Minitab's ν ≈ k − span + 1).

    Subgroups of one reading contribute nothing to pooled/rbar/sbar. All estimators assume a
    stable process.

    Validated against: Montgomery piston rings, σ̂ = R̄/d2 (tests/test_stats_capability.py).

    References
    ----------
    Minitab 21, "Methods and formulas — estimating the within-subgroup standard deviation" and
    "potential capability" (degrees of freedom); AIAG SPC manual 2nd ed., ch. II; Montgomery
    8th ed., §6.2 and §6.4.

    Examples
    --------
    >>> import polars as pl
    >>> m = pl.DataFrame({"feature": ["A"] * 4, "subgroup": [1, 1, 2, 2], "sequence": [1, 2, 3, 4],
    ...                   "value": [1.0, 2.0, 3.0, 5.0]})
    >>> sigma_within_all(m, "rbar")["sigma_within"].round(4).to_list()
    [1.3293]
    """
    if method not in ("auto", *WITHIN_METHODS):
        raise ValueError(f"sigma_within must be one of auto, {', '.join(WITHIN_METHODS)}; got '{method}'")
    # only the columns used (filtering and grouping copy every column they carry)
    m = meas.select([c for c in meas.columns if c in ("feature", "subgroup", "sequence", "part_id", "value")])
    m = m.filter(pl.col("value").is_not_null())
    feats = m.select(pl.col("feature").unique(maintain_order=True))

    # subgroups in order of first appearance, kept through the join: the per-feature sums below
    # then add the subgroups in one fixed order (an unordered group_by made them vary in the last
    # bits from run to run)
    sub = (
        m.filter(pl.col("subgroup").is_not_null())
        .group_by("feature", "subgroup", maintain_order=True)
        .agg(
            pl.len().alias("n_i"),
            pl.col("value").var(ddof=1).alias("var_i"),
            pl.col("value").std(ddof=1).alias("s_i"),
            (pl.col("value").max() - pl.col("value").min()).alias("r_i"),
        )
    )
    sub = sub.join(_lookup_frame(sub["n_i"]), on="n_i", how="left", maintain_order="left")
    multi = sub.filter(pl.col("n_i") >= 2)
    per = multi.group_by("feature").agg(
        pl.len().alias("k"),
        pl.col("n_i").cast(_F).mean().alias("nbar"),
        (pl.col("n_i") - 1).sum().cast(_F).alias("dfp"),
        ((pl.col("n_i") - 1) * pl.col("var_i")).sum().alias("ss"),
        ((pl.col("d2_i") / pl.col("d3_i")) ** 2 * pl.col("r_i") / pl.col("d2_i")).sum().alias("r_num"),
        ((pl.col("d2_i") / pl.col("d3_i")) ** 2).sum().alias("r_den"),
        ((pl.col("c4_i") ** 2 / (1 - pl.col("c4_i") ** 2)) * pl.col("s_i") / pl.col("c4_i")).sum().alias("s_num"),
        (pl.col("c4_i") ** 2 / (1 - pl.col("c4_i") ** 2)).sum().alias("s_den"),
    )
    singles = m.filter(pl.col("subgroup").is_null()).group_by("feature").agg(pl.len().alias("n_nullsub"))
    df = feats.join(per, on="feature", how="left").join(singles, on="feature", how="left")
    n_null = df["n_nullsub"].fill_null(0).to_numpy()
    partial = (df["k"].fill_null(0).to_numpy() > 0) & (n_null > 0)
    k = np.where(n_null > 0, 0, df["k"].fill_null(0).to_numpy())
    individuals = k == 0

    # moving ranges only where they are used (individuals, or method "mr"): the sort by sequence
    # is most of this function's time on a subgrouped export
    order = ["feature"] + [c for c in ("sequence", "subgroup", "part_id") if c in m.columns]
    mr_feats = df["feature"] if method == "mr" else df["feature"].filter(pl.Series(individuals))
    mr = (
        m.select(*order, "value")
        .filter(pl.col("feature").is_in(mr_feats.implode()))
        .sort(order, nulls_last=True, maintain_order=True)
        .group_by("feature", maintain_order=True)
        .agg(
            pl.col("value").diff().abs().mean().alias("mrbar"),
            pl.len().alias("n_all"),
        )
    )
    df = df.join(mr, on="feature", how="left")
    nbar = df["nbar"].to_numpy().astype(float)
    n_all = df["n_all"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        dfp = df["dfp"].to_numpy().astype(float)
        pooled = np.sqrt(df["ss"].to_numpy().astype(float) / dfp) / np.asarray(c4(dfp + 1.0), dtype=float)
        rbar = df["r_num"].to_numpy().astype(float) / df["r_den"].to_numpy().astype(float)
        sbar = df["s_num"].to_numpy().astype(float) / df["s_den"].to_numpy().astype(float)
        mrs = df["mrbar"].to_numpy().astype(float) / D2_MR2
        fn = np.array([sbar_df_factor(v) if np.isfinite(v) else np.nan for v in nbar])
        df_by = {
            "pooled": dfp,
            "rbar": 0.9 * k * (nbar - 1.0),
            "sbar": fn * k * (nbar - 1.0),
            "mr": n_all - 1.0,
        }
    est = {"pooled": pooled, "rbar": rbar, "sbar": sbar, "mr": mrs}
    names: list[str] = []
    sig = np.full(len(df), np.nan)
    dfw = np.full(len(df), np.nan)
    notes: list[str | None] = []
    for i in range(len(df)):
        want = method
        note: str | None = None
        if individuals[i]:
            if method in ("pooled", "rbar", "sbar"):
                note = (f"sigma_within '{method}' needs subgroups; this feature has individual readings, "
                        "so the average moving range (MR̄/1.128) was used.")
            want = "mr"
        elif want == "auto":
            want = "pooled"
        if partial[i]:
            extra = (f"{int(n_null[i])} reading(s) carry no subgroup number, so the feature is treated as "
                     "individual readings (as its control chart).")
            note = extra if note is None else f"{extra} {note}"
        names.append(want)
        sig[i] = est[want][i]
        dfw[i] = df_by[want][i]
        notes.append(note)
    sig = np.where(np.isfinite(sig), sig, np.nan)
    return pl.DataFrame(
        {
            "feature": df["feature"],
            "sigma_within": sig,
            "sigma_within_method": names,
            "df_within": np.where(np.isfinite(dfw) & (dfw > 0), dfw, np.nan),
            "individuals": individuals,
            "n_subgroups": np.where(individuals, np.array(None, dtype=object), k).tolist(),
            "subgroup_size": [None if ind else float(v) for ind, v in zip(individuals, nbar)],
            "sigma_note": notes,
        },
        schema=SIGMA_WITHIN_SCHEMA,
        strict=False,
    ).with_columns(pl.col("sigma_within").fill_nan(None), pl.col("df_within").fill_nan(None))


def choose_target(nominal: float | None, lsl: float | None, usl: float | None) -> tuple[float | None, str | None]:
    """Target for Cpm: the nominal when it lies strictly inside the limits, else mid-tolerance.

    A nominal on or outside a limit (a basic size with a one-directional tolerance such as
    ∅42 +0.025/0) is not a meaningful target, so mid-tolerance is used instead. With a single
    limit the nominal must lie on the conforming side; otherwise there is no target.

    Returns
    -------
    (target, source) : source ∈ {"nominal", "mid-tolerance", None}

    Examples
    --------
    >>> choose_target(42.0, 42.0, 42.025)
    (42.0125, 'mid-tolerance')
    >>> choose_target(0.0, None, 0.1)
    (0.0, 'nominal')
    """
    lo, hi, nom = _finite(lsl), _finite(usl), _finite(nominal)
    inside = nom is not None and (lo is None or nom > lo) and (hi is None or nom < hi)
    if inside and (lo is not None or hi is not None):
        return nom, "nominal"
    if lo is not None and hi is not None:
        return (lo + hi) / 2.0, "mid-tolerance"
    return None, None


def capability_all(meas: pl.DataFrame, specs: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Capability and performance indices of every feature, one row per feature in spec order.

    Parameters
    ----------
    meas : polars.DataFrame
        Measurements (``MEASUREMENT_SCHEMA``); null values are counted in ``n_missing`` and
        otherwise ignored.
    specs : polars.DataFrame
        Specs (``SPEC_SCHEMA``).
    settings : pilotqa.settings.Settings
        Uses ``sigma_within`` and ``confidence``.

    Returns
    -------
    polars.DataFrame
        Schema :data:`CAPABILITY_SCHEMA`: counts; ``mean``, ``sigma_within`` (estimator in
        ``sigma_within_method``, ν in ``df_within``), ``sigma_overall`` (ddof 1), all in the
        feature's unit; the indices of :func:`capability_from_summary`; intervals as
        ``<index>_ci_low``/``_high``; ``ppm_expected`` (normal model, σ_overall),
        ``ppm_expected_within``, ``ppm_observed`` (readings outside the limits per million).
        Undefined values are null.

    Notes
    -----
    Summary statistics in one polars ``group_by``; the indices then by the vectorised core
    :func:`capability_from_summary`. Target for Cpm from :func:`choose_target`. A reading equal
    to a limit is in specification.

    Validated against: :func:`capability_from_summary` and the piston-ring data
    (tests/test_stats_capability.py).

    References
    ----------
    See :func:`capability_from_summary` and :func:`sigma_within_all`.
    """
    sp = specs.select("feature", "nominal", "lsl", "usl")
    m = meas.select("feature", "value").join(sp, on="feature", how="left")
    summ = m.group_by("feature").agg(
        pl.col("value").is_null().sum().cast(_I).alias("n_missing"),
        pl.col("value").count().cast(_I).alias("n"),
        pl.col("value").mean().alias("mean"),
        pl.col("value").std(ddof=1).alias("sigma_overall"),
        ((pl.col("value") < pl.col("lsl")) | (pl.col("value") > pl.col("usl"))).fill_null(False).sum().cast(_I).alias("n_out_of_spec"),
    )
    sw = sigma_within_all(meas, settings.sigma_within)
    df = sp.join(summ, on="feature", how="left").join(sw, on="feature", how="left")
    df = df.with_columns(
        pl.col("n").fill_null(0), pl.col("n_missing").fill_null(0), pl.col("n_out_of_spec").fill_null(0),
        pl.col("sigma_overall").fill_nan(None),
    )
    tg = [choose_target(r["nominal"], r["lsl"], r["usl"]) for r in df.select("nominal", "lsl", "usl").iter_rows(named=True)]
    target = np.array([np.nan if t is None else t for t, _ in tg], dtype=float)

    def col(name: str) -> NDArray[np.float64]:
        return df[name].cast(_F).fill_null(np.nan).to_numpy()

    n = col("n")
    core = capability_from_summary(
        col("mean"), col("sigma_within"), col("sigma_overall"), n, col("lsl"), col("usl"),
        target, settings.confidence, col("df_within"),
    )
    data: dict[str, Any] = {
        "feature": df["feature"], "n": df["n"], "n_missing": df["n_missing"],
        "n_out_of_spec": df["n_out_of_spec"], "mean": df["mean"], "sigma_within": df["sigma_within"],
        "sigma_within_method": df["sigma_within_method"], "df_within": df["df_within"],
        "individuals": df["individuals"], "n_subgroups": df["n_subgroups"],
        "subgroup_size": df["subgroup_size"], "sigma_overall": df["sigma_overall"],
        "target": target, "target_source": [s for _, s in tg],
    }
    for k in ("cp", "cpl", "cpu", "cpk", "pp", "ppl", "ppu", "ppk", "cpm"):
        data[k] = core[k]
    for k in ("cp", "cpk", "pp", "ppk"):
        data[f"{k}_ci_low"] = core[f"{k}_ci"][..., 0]
        data[f"{k}_ci_high"] = core[f"{k}_ci"][..., 1]
    data["confidence"] = np.full(len(df), settings.confidence)
    data["ppm_expected"] = core["ppm_expected"]
    data["ppm_expected_within"] = core["ppm_expected_within"]
    has_limit = ~(np.isnan(col("lsl")) & np.isnan(col("usl")))
    with np.errstate(divide="ignore", invalid="ignore"):
        data["ppm_observed"] = np.where((n > 0) & has_limit, 1e6 * col("n_out_of_spec") / n, np.nan)
    data["sigma_note"] = df["sigma_note"]
    out = pl.DataFrame(data, schema=CAPABILITY_SCHEMA, strict=False)
    floats = [c for c, t in CAPABILITY_SCHEMA.items() if t == _F]
    return out.with_columns([pl.col(c).fill_nan(None) for c in floats])
