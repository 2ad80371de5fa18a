"""capability (issue 16). sigma_within_all computes moving ranges only for the features that use them (issue 16: the
sort by sequence was most of capability_all's time on a subgrouped export). The straightforward
computation it replaced — moving ranges of every feature — is kept here as the reference; the
result must equal it (floats to 1e-12 relative: polars' group sums over subgroups come in a
different order from run to run, so even the old code differs from itself at ~1e-15) on
hypothesis-drawn frames with subgrouped, individual and partly unsubgrouped features, for every
estimator. capability_from_summary takes its normal and chi-square quantiles and tails from
scipy.special (the functions scipy.stats calls) instead of importing scipy.stats: the old form
is kept as reference and must give the same bits.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from pilotqa.stats.capability import (
    SIGMA_WITHIN_SCHEMA,
    WITHIN_METHODS,
    _F,
    _arr,
    _lookup_frame,
    bissell_ci,
    bissell_lower,
    capability_from_summary,
    sigma_within_all,
)
from pilotqa.stats.constants import D2_MR2, c4, sbar_df_factor


def reference_sigma_within_all(meas: pl.DataFrame, method: str = "auto") -> pl.DataFrame:
    """sigma_within_all before issue 16's change (moving ranges of every feature)."""
    if method not in ("auto", *WITHIN_METHODS):
        raise ValueError(f"sigma_within must be one of auto, {', '.join(WITHIN_METHODS)}; got '{method}'")
    m = meas.filter(pl.col("value").is_not_null())
    feats = m.select(pl.col("feature").unique(maintain_order=True))

    sub = (
        m.filter(pl.col("subgroup").is_not_null())
        .group_by("feature", "subgroup")
        .agg(
            pl.len().alias("n_i"),
            pl.col("value").var(ddof=1).alias("var_i"),
            pl.col("value").std(ddof=1).alias("s_i"),
            (pl.col("value").max() - pl.col("value").min()).alias("r_i"),
        )
    )
    sub = sub.join(_lookup_frame(sub["n_i"]), on="n_i", how="left")
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

    order = ["feature"] + [c for c in ("sequence", "subgroup", "part_id") if c in m.columns]
    mr = (
        m.sort(order, nulls_last=True, maintain_order=True)
        .group_by("feature", maintain_order=True)
        .agg(
            pl.col("value").diff().abs().mean().alias("mrbar"),
            pl.len().alias("n_all"),
        )
    )
    df = (
        feats.join(per, on="feature", how="left")
        .join(mr, on="feature", how="left")
        .join(singles, on="feature", how="left")
    )
    n_null = df["n_nullsub"].fill_null(0).to_numpy()
    partial = (df["k"].fill_null(0).to_numpy() > 0) & (n_null > 0)
    k = np.where(n_null > 0, 0, df["k"].fill_null(0).to_numpy())
    individuals = k == 0
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


def _close(a: Any, b: Any, path: str) -> None:
    if isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=0.0), (path, a, b)
    else:
        assert a == b, (path, a, b)


def _same_frame(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.columns == want.columns and got.schema == want.schema and got.height == want.height
    for i, (r, s) in enumerate(zip(got.iter_rows(named=True), want.iter_rows(named=True))):
        for k in r:
            _close(r[k], s[k], f"row {i} {k}")


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for f in range(draw(st.integers(1, 5))):
        n = draw(st.integers(1, 40))
        layout = draw(st.sampled_from(["individuals", "equal", "unequal", "mixed", "ones"]))
        size = draw(st.integers(2, 12))
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        v = rng.normal(10.0, 0.2, n)
        if draw(st.booleans()):
            v = np.round(v, 2)  # ties, equal readings
        missing = rng.random(n) < (0.1 if draw(st.booleans()) else 0.0)
        seq = rng.permutation(n) + 1 if draw(st.booleans()) else np.arange(n) + 1
        sub: list[int | None]
        if layout == "individuals":
            sub = [None] * n
        elif layout == "equal":
            sub = [k // size + 1 for k in range(n)]
        elif layout == "unequal":
            sub = [int(x) for x in sorted(rng.integers(1, max(2, n // 3) + 1, n).tolist())]
        elif layout == "mixed":
            sub = [None if k % 7 == 3 else k // size + 1 for k in range(n)]
        else:
            sub = [k + 1 for k in range(n)]
        rows += [{"part_id": f"P{int(seq[k]):04d}", "feature": f"F{f}", "subgroup": sub[k], "sequence": int(seq[k]),
                  "value": None if missing[k] else float(v[k])} for k in range(n)]
    order = draw(st.permutations(range(len(rows))))
    return pl.DataFrame([rows[k] for k in order], schema={"part_id": pl.String, "feature": pl.String,
                                                           "subgroup": pl.Int64, "sequence": pl.Int64,
                                                           "value": pl.Float64})


@hsettings(max_examples=120, deadline=None)
@given(meas=frames(), method=st.sampled_from(("auto", *WITHIN_METHODS)))
def test_sigma_within_equals_reference(meas: pl.DataFrame, method: str) -> None:
    _same_frame(sigma_within_all(meas, method), reference_sigma_within_all(meas, method))


def test_individuals_among_subgrouped_features_keep_their_moving_range() -> None:
    # one subgrouped and one individual feature: the moving range of the individual one only
    # (in sequence order), the pooled sigma of the other
    meas = pl.DataFrame({
        "part_id": [f"P{i}" for i in range(8)] * 2, "feature": ["A"] * 8 + ["B"] * 8,
        "subgroup": [1, 1, 2, 2, 3, 3, 4, 4] + [None] * 8, "sequence": list(range(8)) + [7, 6, 5, 4, 3, 2, 1, 0],
        "value": [1.0, 2.0, 3.0, 5.0, 4.0, 4.5, 2.0, 2.5] + [1.0, 3.0, 2.0, 6.0, 2.0, 4.0, 3.0, 5.0],
    }, schema_overrides={"subgroup": pl.Int64})
    got = sigma_within_all(meas)
    _same_frame(got, reference_sigma_within_all(meas))
    # B in sequence order: 5, 3, 4, 2, 6, 2, 3, 1 -> moving ranges 2, 1, 2, 4, 4, 1, 2 (mean 16/7)
    assert got.row(1, named=True)["sigma_within"] == pytest.approx(16 / 7 / D2_MR2, rel=1e-12)
    assert got.row(1, named=True)["sigma_within_method"] == "mr"


def reference_capability_from_summary(
    mean: Any, sigma_within: Any, sigma_overall: Any, n: Any, lsl: Any, usl: Any, target: Any = None,
    confidence: float = 0.95, df_within: Any = None,
) -> dict[str, Any]:
    """capability_from_summary before issue 16's change: quantiles and tails from scipy.stats."""
    from scipy import stats

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
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))

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
            low = idx * np.sqrt(stats.chi2.ppf(alpha / 2.0, nu_ok) / nu_ok)
            high = idx * np.sqrt(stats.chi2.ppf(1.0 - alpha / 2.0, nu_ok) / nu_ok)
            return np.stack([low, high], axis=-1)

        out["cp_ci"] = chi_ci(out["cp"], nu_w)
        out["pp_ci"] = chi_ci(out["pp"], nn - 1.0)
        out["cpk_ci"] = bissell_ci(out["cpk"], nn, nu_w, z)
        out["ppk_ci"] = bissell_ci(out["ppk"], nn, nn - 1.0, z)

        for key, sig in (("ppm_expected", so_ok), ("ppm_expected_within", sw_ok)):
            below = np.where(np.isnan(lo), 0.0, stats.norm.cdf((lo - mu) / sig))
            above = np.where(np.isnan(hi), 0.0, stats.norm.sf((hi - mu) / sig))
            both_missing = np.isnan(lo) & np.isnan(hi)
            ppm = 1e6 * (below + above)
            out[key] = np.where(np.isnan(sig) | np.isnan(mu) | both_missing, np.nan, ppm)
    return out


def _bits_equal(a: Any, b: Any) -> bool:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))


num = st.floats(-1e6, 1e6, allow_nan=False) | st.just(math.nan)
pos = st.floats(1e-6, 1e4, allow_nan=False) | st.just(math.nan) | st.just(0.0)


@hsettings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(num, pos, pos, st.integers(0, 5000), num, num, num, pos), min_size=1, max_size=20),
       confidence=st.floats(0.5, 0.999))
def test_capability_from_summary_equals_scipy_stats_form(rows: list[tuple[Any, ...]], confidence: float) -> None:
    # scipy.special's ndtr / ndtri / gammaincinv are the functions scipy.stats' norm and chi2 call:
    # the indices, intervals and expected ppm are the same bits
    cols = [np.array(c, dtype=float) for c in zip(*rows)]
    mean, sw, so, n, lsl, usl, target, dfw = cols
    got = capability_from_summary(mean, sw, so, n, lsl, usl, target, confidence, dfw)
    want = reference_capability_from_summary(mean, sw, so, n, lsl, usl, target, confidence, dfw)
    assert list(got) == list(want)
    for k in got:
        assert _bits_equal(got[k], want[k]), k
    # scalars (0-d arrays) as the engine's helpers pass them
    g1 = capability_from_summary(50.0, 1.75, 1.75, 20, 38.0, 62.0, None, confidence)
    w1 = reference_capability_from_summary(50.0, 1.75, 1.75, 20, 38.0, 62.0, None, confidence)
    assert all(_bits_equal(g1[k], w1[k]) for k in g1)


def test_bissell_lower_uses_the_normal_quantile() -> None:
    from scipy import stats

    z = float(stats.norm.ppf(0.975))
    assert bissell_lower(1.33, 20, 0.95) == float(bissell_ci(1.33, 20, 19, z)[0])
