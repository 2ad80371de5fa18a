"""Capability indices: published references, wrapper-vs-core, properties and interval coverage."""
from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from scipy import stats

from pilotqa.settings import Settings
from pilotqa.stats.capability import (
    CAPABILITY_SCHEMA,
    SIGMA_WITHIN_SCHEMA,
    capability_all,
    capability_from_summary,
    choose_target,
    index_from_sigma,
    sigma_within_all,
)
from pilotqa.stats.constants import c4, d2, d3

# Montgomery, Introduction to Statistical Quality Control (Table 6.3 in the 6th–8th eds.):
# piston-ring inside diameters, mm, the 25 phase-I samples of 5, as distributed in the R
# package qcc (data set `pistonrings`, trial = TRUE). Hand-copied from
# shared/reference_data/pistonrings.csv so the test does not depend on files outside the repo.
PISTON_RINGS_PHASE1 = [
    (74.030, 74.002, 74.019, 73.992, 74.008),  # sample 1
    (73.995, 73.992, 74.001, 74.011, 74.004),  # sample 2
    (73.988, 74.024, 74.021, 74.005, 74.002),  # sample 3
    (74.002, 73.996, 73.993, 74.015, 74.009),  # sample 4
    (73.992, 74.007, 74.015, 73.989, 74.014),  # sample 5
    (74.009, 73.994, 73.997, 73.985, 73.993),  # sample 6
    (73.995, 74.006, 73.994, 74.000, 74.005),  # sample 7
    (73.985, 74.003, 73.993, 74.015, 73.988),  # sample 8
    (74.008, 73.995, 74.009, 74.005, 74.004),  # sample 9
    (73.998, 74.000, 73.990, 74.007, 73.995),  # sample 10
    (73.994, 73.998, 73.994, 73.995, 73.990),  # sample 11
    (74.004, 74.000, 74.007, 74.000, 73.996),  # sample 12
    (73.983, 74.002, 73.998, 73.997, 74.012),  # sample 13
    (74.006, 73.967, 73.994, 74.000, 73.984),  # sample 14
    (74.012, 74.014, 73.998, 73.999, 74.007),  # sample 15
    (74.000, 73.984, 74.005, 73.998, 73.996),  # sample 16
    (73.994, 74.012, 73.986, 74.005, 74.007),  # sample 17
    (74.006, 74.010, 74.018, 74.003, 74.000),  # sample 18
    (73.984, 74.002, 74.003, 74.005, 73.997),  # sample 19
    (74.000, 74.010, 74.013, 74.020, 74.003),  # sample 20
    (73.988, 74.001, 74.009, 74.005, 73.996),  # sample 21
    (74.004, 73.999, 73.990, 74.006, 74.009),  # sample 22
    (74.010, 73.989, 73.990, 74.009, 74.014),  # sample 23
    (74.015, 74.008, 73.993, 74.000, 74.010),  # sample 24
    (73.982, 73.984, 73.995, 74.017, 74.013),  # sample 25
]


def _frame(groups: list[tuple[float, ...]] | list[list[float]], feature: str = "D",
           subgroups: bool = True) -> pl.DataFrame:
    vals = [v for g in groups for v in g]
    sub = [i + 1 for i, g in enumerate(groups) for _ in g] if subgroups else [None] * len(vals)
    return pl.DataFrame({
        "part_id": [str(i) for i in range(len(vals))], "lot": ["L1"] * len(vals), "subgroup": sub,
        "sequence": list(range(len(vals))), "timestamp": [None] * len(vals), "feature": [feature] * len(vals),
        "value": vals,
    }, schema_overrides={"subgroup": pl.Int64, "timestamp": pl.Datetime("us")})


def _specs(rows: list[tuple[str, float | None, float | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"feature": [r[0] for r in rows], "nominal": [r[1] for r in rows], "lsl": [r[2] for r in rows],
         "usl": [r[3] for r in rows], "unit": ["mm"] * len(rows), "class": ["major"] * len(rows),
         "lower_bound_zero": [False] * len(rows), "source": ["test"] * len(rows)},
        schema_overrides={"nominal": pl.Float64, "lsl": pl.Float64, "usl": pl.Float64},
    )


# ----------------------------------------------------------------- published references
def test_piston_rings_rbar_sigma_and_cp() -> None:
    meas = _frame(PISTON_RINGS_PHASE1)
    arr = np.array(PISTON_RINGS_PHASE1)
    rbar = float(np.mean(arr.max(axis=1) - arr.min(axis=1)))
    # Montgomery (ISQC, §6.2.1 example, printed to 3 decimals): x̄̄ = 74.001, R̄ = 0.023.
    assert float(arr.mean()) == pytest.approx(74.001, abs=5e-4)
    assert rbar == pytest.approx(0.023, abs=5e-4)
    sw = sigma_within_all(meas, "rbar").row(0, named=True)
    assert sw["sigma_within_method"] == "rbar"
    assert sw["sigma_within"] == pytest.approx(rbar / d2(5), rel=1e-12)
    # Montgomery (ISQC §8.3 on these data): σ̂ = R̄/d2 = 0.023/2.326 = 0.0099 and, with
    # 74.000 ± 0.05, Cp = 0.10/(6·0.0099) = 1.68. The book rounds R̄ to 0.023 and σ̂ to 0.0099
    # before dividing; with those rounded inputs the core reproduces the printed numbers.
    assert 0.023 / 2.326 == pytest.approx(0.0099, abs=5e-5)
    r = capability_from_summary(74.001, 0.0099, 0.0099, 125, 73.95, 74.05)
    assert float(r["cp"]) == pytest.approx(1.68, abs=5e-3)
    # Unrounded R̄ = 0.02276 gives σ̂ = 0.00979 and Cp = 1.70 — consistent with the book
    # within the rounding of R̄ (0.0225 ≤ R̄ < 0.0235  ⇒  1.65 < Cp ≤ 1.72).
    cap = capability_all(meas, _specs([("D", 74.0, 73.95, 74.05)]), Settings(sigma_within="rbar")).row(0, named=True)
    assert 0.1 / (6 * 0.0235 / d2(5)) < cap["cp"] <= 0.1 / (6 * 0.0225 / d2(5))
    assert cap["cp"] == pytest.approx(0.1 / (6 * rbar / d2(5)), rel=1e-12)


def test_montgomery_cp_confidence_interval() -> None:
    # Montgomery, ISQC 7th ed., §8.3.5, Example 8.5: USL = 62, LSL = 38, n = 20, s = 1.75:
    # Ĉp = 2.29 and the 95% CI 1.57 ≤ Cp ≤ 3.01 (printed to 2 decimals). The book multiplies
    # the rounded Ĉp = 2.29 by sqrt(χ²/19); s is chosen here so that Ĉp is exactly 2.29.
    assert 24.0 / (6 * 1.75) == pytest.approx(2.29, abs=5e-3)
    s = 24.0 / (6 * 2.29)
    r = capability_from_summary(50.0, s, s, 20, 38.0, 62.0, confidence=0.95)
    assert float(r["cp"]) == pytest.approx(2.29, abs=1e-12)
    assert float(r["cp_ci"][0]) == pytest.approx(1.57, abs=5e-3)
    assert float(r["cp_ci"][1]) == pytest.approx(3.01, abs=5e-3)
    assert list(r["pp_ci"]) == pytest.approx(list(r["cp_ci"]))


def test_montgomery_cpk_confidence_interval_bissell() -> None:
    # Montgomery, ISQC 7th ed., §8.3.5, Example 8.6 (Bissell's approximation, eq. 8.25):
    # n = 20, Ĉpk = 1.33  →  0.88 ≤ Cpk ≤ 1.78 (printed to 2 decimals).
    r = capability_from_summary(0.0, 1.0, 1.0, 20, -10.0, 3.99, confidence=0.95)
    assert float(r["cpk"]) == pytest.approx(1.33, abs=1e-12)
    assert float(r["cpk_ci"][0]) == pytest.approx(0.88, abs=5e-3)
    assert float(r["cpk_ci"][1]) == pytest.approx(1.78, abs=5e-3)
    assert list(r["ppk_ci"]) == pytest.approx(list(r["cpk_ci"]))


def test_nist_handbook_cp_cpk_example() -> None:
    # NIST/SEMATECH e-Handbook of Statistical Methods, §6.1.6 "What is process capability?",
    # example: USL = 20, LSL = 8, μ = 16, σ = 2  →  Cp = 1.0, Cpk = min(0.6667, 1.3333) = 0.6667.
    r = capability_from_summary(16.0, 2.0, 2.0, 1000, 8.0, 20.0)
    assert float(r["cp"]) == pytest.approx(1.0, abs=5e-5)
    assert float(r["cpu"]) == pytest.approx(0.6667, abs=5e-5)
    assert float(r["cpl"]) == pytest.approx(1.3333, abs=5e-5)
    assert float(r["cpk"]) == pytest.approx(0.6667, abs=5e-5)
    assert index_from_sigma(16.0, 2.0, 8.0, 20.0) == pytest.approx((1.0, 2 / 3))


def test_montgomery_one_sided_lower_limit() -> None:
    # Montgomery, ISQC §8.3.1 (bottle bursting strength): LSL = 200 psi, x̄ = 264, s = 32
    # →  Cpl = (264 − 200)/(3·32) = 0.67 (printed to 2 decimals). One-sided: no Cp.
    r = capability_from_summary(264.0, 32.0, 32.0, 100, 200.0, None)
    assert float(r["cpl"]) == pytest.approx(0.67, abs=5e-3)
    assert math.isnan(float(r["cp"])) and math.isnan(float(r["cpu"]))
    assert float(r["cpk"]) == float(r["cpl"])
    assert index_from_sigma(264.0, 32.0, 200.0, None)[0] is None


def test_expected_ppm_normal() -> None:
    # Cpk = 1 on both sides (centred, Cp = 1): 2·Φ(−3)·1e6 = 2699.8 ppm (Montgomery Table 8.2
    # prints 2700 ppm for Cp = 1.00, two-sided).
    r = capability_from_summary(0.0, 1.0, 1.0, 100, -3.0, 3.0)
    assert float(r["ppm_expected"]) == pytest.approx(2700, abs=0.5)
    assert float(r["ppm_expected"]) == pytest.approx(2e6 * stats.norm.cdf(-3.0), rel=1e-12)


def test_cpm_minitab_form() -> None:
    # Minitab 21 "overall capability": Cpm = (USL−LSL)/(6·sqrt(Σ(x−T)²/(N−1))) for T = mid.
    x = np.array([9.8, 10.3, 10.1, 9.9, 10.4, 10.2, 10.0, 10.5])
    t = 10.0
    want = 2.0 / (6 * math.sqrt(np.sum((x - t) ** 2) / (x.size - 1)))
    r = capability_from_summary(x.mean(), 0.2, x.std(ddof=1), x.size, 9.0, 11.0, t)
    assert float(r["cpm"]) == pytest.approx(want, rel=1e-12)
    assert choose_target(42.0, 42.0, 42.025) == (42.0125, "mid-tolerance")
    assert choose_target(None, None, 0.1) == (None, None)
    assert choose_target(0.0, None, 0.1) == (0.0, "nominal")


# ------------------------------------------------------------------ wrapper vs core
def _random_subgroups(rng: np.random.Generator, sizes: list[int], mu: float = 10.0, sd: float = 0.1) -> list[list[float]]:
    return [list(rng.normal(mu, sd, s)) for s in sizes]


def test_pooled_sbar_rbar_unequal_sizes_match_minitab_formulas() -> None:
    rng = np.random.default_rng(7)
    sizes = [5, 4, 5, 3, 5, 6, 2, 5]
    groups = _random_subgroups(rng, sizes)
    meas = _frame(groups)
    n_i = np.array(sizes)
    s_i = np.array([np.std(g, ddof=1) for g in groups])
    r_i = np.array([np.ptp(g) for g in groups])
    # Minitab 21, "Methods and formulas — within-subgroup standard deviation":
    dfp = np.sum(n_i - 1)
    pooled = math.sqrt(np.sum((n_i - 1) * s_i**2) / dfp) / float(c4(dfp + 1))
    d2i = np.array([d2(v) for v in n_i])
    d3i = np.array([d3(v) for v in n_i])
    f = d2i**2 / d3i**2
    rbar = np.sum(f * r_i / d2i) / np.sum(f)
    c4i = np.asarray(c4(n_i), dtype=float)
    h = c4i**2 / (1 - c4i**2)
    sbar = np.sum(h * s_i / c4i) / np.sum(h)
    got = {m: sigma_within_all(meas, m).row(0, named=True) for m in ("pooled", "rbar", "sbar", "auto")}
    assert got["pooled"]["sigma_within"] == pytest.approx(pooled, rel=1e-12)
    assert got["pooled"]["df_within"] == dfp
    assert got["rbar"]["sigma_within"] == pytest.approx(rbar, rel=1e-12)
    assert got["sbar"]["sigma_within"] == pytest.approx(sbar, rel=1e-12)
    assert got["auto"]["sigma_within_method"] == "pooled"
    assert got["auto"]["n_subgroups"] == len(sizes)
    assert got["auto"]["subgroup_size"] == pytest.approx(np.mean(sizes))
    assert sigma_within_all(meas, "pooled").schema == pl.Schema(SIGMA_WITHIN_SCHEMA)


def test_moving_range_in_sequence_order_and_individuals_detection() -> None:
    vals = [5.0, 5.2, 4.9, 5.4, 5.1, 5.0]
    meas = _frame([[v] for v in vals], subgroups=True)  # every subgroup holds one reading
    meas = meas.with_columns(pl.Series("sequence", [3, 1, 2, 6, 5, 4]))
    order = np.array(vals)[np.argsort([3, 1, 2, 6, 5, 4])]
    want = np.mean(np.abs(np.diff(order))) / 1.1283792
    r = sigma_within_all(meas, "auto").row(0, named=True)
    assert r["individuals"] is True and r["sigma_within_method"] == "mr"
    assert r["sigma_within"] == pytest.approx(want, rel=1e-7)
    assert r["df_within"] == len(vals) - 1
    assert r["n_subgroups"] is None and r["subgroup_size"] is None
    forced = sigma_within_all(meas, "pooled").row(0, named=True)
    assert forced["sigma_within_method"] == "mr" and "moving range" in forced["sigma_note"]


def test_capability_all_matches_core_and_schema() -> None:
    rng = np.random.default_rng(11)
    a = _frame(_random_subgroups(rng, [5] * 10, 10.0, 0.1), "A")
    b = _frame([[v] for v in rng.normal(3.0, 0.02, 40)], "B", subgroups=False)
    c = _frame([[v] for v in rng.gamma(2.0, 0.01, 30)], "C", subgroups=False)
    meas = pl.concat([a, b, c]).with_columns(pl.int_range(pl.len()).alias("sequence"))
    specs = _specs([("A", 10.0, 9.6, 10.5), ("B", 3.0, 2.9, 3.1), ("C", 0.0, None, 0.1)])
    out = capability_all(meas, specs, Settings())
    assert out.schema == pl.Schema(CAPABILITY_SCHEMA)
    assert out["feature"].to_list() == ["A", "B", "C"]
    for row in out.iter_rows(named=True):
        v = meas.filter(pl.col("feature") == row["feature"])["value"].to_numpy()
        assert row["n"] == v.size and row["mean"] == pytest.approx(v.mean())
        assert row["sigma_overall"] == pytest.approx(v.std(ddof=1))
        sp = specs.filter(pl.col("feature") == row["feature"]).row(0, named=True)
        core = capability_from_summary(row["mean"], row["sigma_within"], row["sigma_overall"], row["n"],
                                       sp["lsl"], sp["usl"], row["target"], 0.95, row["df_within"])
        for k in ("cp", "cpk", "pp", "ppk", "cpm", "ppm_expected"):
            want = float(core[k])
            assert (row[k] is None and math.isnan(want)) or row[k] == pytest.approx(want, rel=1e-12)
        assert row["cpk_ci_low"] == pytest.approx(float(core["cpk_ci"][0]), rel=1e-12)
        lo = -np.inf if sp["lsl"] is None else sp["lsl"]
        assert row["n_out_of_spec"] == int(np.sum((v < lo) | (v > sp["usl"])))
    c_row = out.filter(pl.col("feature") == "C").row(0, named=True)
    assert c_row["cp"] is None and c_row["pp"] is None and c_row["cpk"] == c_row["cpu"]
    assert c_row["target_source"] == "nominal"


def test_missing_values_counted_and_ignored() -> None:
    meas = _frame([[1.0], [1.2], [None], [0.9], [1.1]], subgroups=False)  # type: ignore[list-item]
    out = capability_all(meas, _specs([("D", 1.0, 0.0, 2.0)]), Settings()).row(0, named=True)
    assert out["n"] == 4 and out["n_missing"] == 1
    assert out["mean"] == pytest.approx(np.mean([1.0, 1.2, 0.9, 1.1]))


def test_zero_variance_and_single_reading_give_nulls() -> None:
    meas = pl.concat([_frame([[2.0]] * 5, "Z", subgroups=False), _frame([[2.0]], "O", subgroups=False)])
    out = capability_all(meas, _specs([("Z", 2.0, 1.0, 3.0), ("O", 2.0, 1.0, 3.0)]), Settings())
    for row in out.iter_rows(named=True):
        for k in ("cp", "cpk", "pp", "ppk", "cpk_ci_low", "ppm_expected"):
            assert row[k] is None
    assert out.row(0, named=True)["sigma_overall"] == 0.0


# ------------------------------------------------------------------------ properties
@hsettings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    shift=st.floats(-1e3, 1e3, allow_nan=False),
    scale=st.floats(1e-3, 1e3, allow_nan=False),
)
def test_indices_invariant_under_shift_and_scale(seed: int, shift: float, scale: float) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, 30)
    specs = _specs([("D", 0.0, -4.0, 3.0)])
    base = capability_all(_frame([[v] for v in x], subgroups=False), specs, Settings()).row(0, named=True)
    specs2 = _specs([("D", shift, -4.0 * scale + shift, 3.0 * scale + shift)])
    moved = capability_all(_frame([[v * scale + shift] for v in x], subgroups=False), specs2, Settings()).row(0, named=True)
    for k in ("cp", "cpk", "pp", "ppk", "cpm", "cpl", "cpu", "ppm_expected"):
        assert moved[k] == pytest.approx(base[k], rel=1e-6, abs=1e-9)


@hsettings(max_examples=60, deadline=None)
@given(
    mean=st.floats(-10, 10), sw=st.floats(0.01, 5), so=st.floats(0.01, 5),
    lsl=st.floats(-20, 0), width=st.floats(0.1, 40), n=st.integers(2, 500),
)
def test_cpk_never_exceeds_cp(mean: float, sw: float, so: float, lsl: float, width: float, n: int) -> None:
    r = capability_from_summary(mean, sw, so, n, lsl, lsl + width)
    assert float(r["cpk"]) <= float(r["cp"]) + 1e-12
    assert float(r["ppk"]) <= float(r["pp"]) + 1e-12
    assert float(r["cp_ci"][0]) <= float(r["cp"]) <= float(r["cp_ci"][1])


@hsettings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_pp_independent_of_part_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 0.3, 25)
    specs = _specs([("D", 5.0, 4.0, 6.0)])
    a = capability_all(_frame([[v] for v in x], subgroups=False), specs, Settings()).row(0, named=True)
    b = capability_all(_frame([[v] for v in rng.permutation(x)], subgroups=False), specs, Settings()).row(0, named=True)
    for k in ("pp", "ppk", "ppl", "ppu", "pp_ci_low", "ppk_ci_high", "sigma_overall"):
        assert b[k] == pytest.approx(a[k], rel=1e-9)


def test_within_estimators_agree_on_large_normal_samples() -> None:
    rng = np.random.default_rng(2024)
    meas = _frame(_random_subgroups(rng, [5] * 1000, 0.0, 1.0))
    sig = {m: sigma_within_all(meas, m).row(0, named=True)["sigma_within"] for m in ("pooled", "rbar", "sbar", "mr")}
    for m, v in sig.items():
        assert v == pytest.approx(1.0, abs=0.04), m
    assert max(sig.values()) - min(sig.values()) < 0.05


# ------------------------------------------------------------------------ Monte-Carlo
@pytest.mark.slow
def test_bissell_interval_coverage_monte_carlo() -> None:
    """Cpk (pooled σ, 20 subgroups of 5) and Ppk (N = 100) 95 % intervals cover the true index
    close to 95 % of the time for normal data (Bissell 1990's approximation is slightly
    liberal at this N; accept 93–97 %)."""
    rng = np.random.default_rng(99)
    reps, k, size = 2000, 20, 5
    mu, sd, lsl, usl = 0.3, 1.0, -4.0, 4.0
    true_cpk = min(usl - mu, mu - lsl) / (3 * sd)
    x = rng.normal(mu, sd, (reps, k * size))
    feats = np.repeat(np.arange(reps), k * size).astype(str)
    sub = np.tile(np.repeat(np.arange(k), size), reps)
    meas = pl.DataFrame({"part_id": np.tile(np.arange(k * size), reps).astype(str), "lot": "L", "subgroup": sub,
                         "sequence": np.tile(np.arange(k * size), reps), "timestamp": None, "feature": feats,
                         "value": x.ravel()}, schema_overrides={"timestamp": pl.Datetime("us")})
    specs = _specs([(str(i), 0.0, lsl, usl) for i in range(reps)])
    out = capability_all(meas, specs, Settings(sigma_within="pooled"))
    cover_cpk = np.mean((out["cpk_ci_low"].to_numpy() <= true_cpk) & (true_cpk <= out["cpk_ci_high"].to_numpy()))
    cover_ppk = np.mean((out["ppk_ci_low"].to_numpy() <= true_cpk) & (true_cpk <= out["ppk_ci_high"].to_numpy()))
    assert 0.93 <= cover_cpk <= 0.97
    assert 0.93 <= cover_ppk <= 0.97
    true_cp = (usl - lsl) / (6 * sd)
    cover_cp = np.mean((out["cp_ci_low"].to_numpy() <= true_cp) & (true_cp <= out["cp_ci_high"].to_numpy()))
    assert 0.93 <= cover_cp <= 0.97
