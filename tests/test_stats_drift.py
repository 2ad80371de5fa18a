"""Tests for pilotqa.stats.drift: HAC OLS slope, Mann–Kendall, drift % and parts to limit."""
from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from scipy import stats

from pilotqa.settings import Settings
from pilotqa.stats.drift import (
    drift_all,
    drift_test,
    newey_west_lags,
    parts_to_limit,
    tolerance_width,
)


def _meas(values: np.ndarray, feature: str = "F", sequence: np.ndarray | None = None) -> pl.DataFrame:
    seq = np.arange(len(values)) if sequence is None else sequence
    return pl.DataFrame({"feature": [feature] * len(values), "sequence": seq.astype(np.int64), "value": values})


def _spec(lsl: float | None, usl: float | None, nominal: float | None = None, feature: str = "F",
          lbz: bool = False) -> pl.DataFrame:
    return pl.DataFrame(
        {"feature": [feature], "nominal": [nominal], "lsl": [lsl], "usl": [usl], "lower_bound_zero": [lbz]},
        schema_overrides={"nominal": pl.Float64, "lsl": pl.Float64, "usl": pl.Float64},
    )


def test_planted_trend_detected_with_right_slope() -> None:
    rng = np.random.default_rng(42)
    s = np.arange(100.0)
    sigma = 0.01
    y = 5.0 + 0.002 * s + rng.normal(0, sigma, s.size)
    r = drift_all(_meas(y), _spec(4.9, 5.5, 5.2), {"F": sigma}, Settings())["F"]
    # OLS slope SE for white noise: σ/√Σ(s − s̄)² = 0.01/√83325 ≈ 3.5e-5; allow 4 SE.
    se = sigma / math.sqrt(np.sum((s - s.mean()) ** 2))
    assert r["slope"] == pytest.approx(0.002, abs=4 * se)
    assert r["slope_ci"][0] < 0.002 < r["slope_ci"][1]
    assert r["significant"] is True and r["p_value"] < 1e-6 and r["mann_kendall_p"] < 1e-6
    assert r["drift_pct_tolerance"] == pytest.approx(abs(r["slope"]) * 99 / 0.6 * 100)
    assert r["practically_relevant"] is True  # ≈ 33 % of tolerance > 10 %
    assert r["hac_maxlags"] == 4
    json.dumps(r, allow_nan=False)


def test_flat_series_not_significant() -> None:
    rng = np.random.default_rng(1)
    y = 5.0 + rng.normal(0, 0.01, 120)
    r = drift_all(_meas(y), _spec(4.9, 5.1), {"F": 0.01}, Settings())["F"]
    assert r["p_value"] > 0.05 and r["significant"] is False
    assert r["parts_to_limit"] is None and any("no significant drift" in n for n in r["notes"])


def _orthogonal_noise(n: int, e: float) -> np.ndarray:
    # pattern (+e, −e, −e, +e) repeated: sums to 0 and is orthogonal to the sequence, so OLS
    # recovers the planted line exactly.
    return np.tile([e, -e, -e, e], n // 4)


def test_parts_to_limit_constructed_case() -> None:
    s = np.arange(100.0)
    y = 10.0 + 0.001 * s + _orthogonal_noise(100, 0.0005)
    r = drift_all(_meas(y), _spec(9.8, 10.2005, 10.0), {"F": 0.01}, Settings())["F"]
    assert r["slope"] == pytest.approx(0.001, rel=1e-9)
    # by hand: line at part 99 + m is 10 + 0.001(99 + m); + 3σ = 0.03 reaches USL 10.2005 when
    # 0.129 + 0.001 m ≥ 0.2005 → m ≥ 71.5 → 72 further parts.
    assert r["parts_to_limit"] == 72
    # drift across the run: 0.001 × 99 / 0.4005 × 100 = 24.72 %
    assert r["drift_pct_tolerance"] == pytest.approx(0.099 / 0.4005 * 100, rel=1e-9)


def test_parts_to_limit_downwards_and_edge_cases() -> None:
    # down: line 5 − 0.01 s, at s = 49 it is 4.51; + 3σ (0.3) = 4.81 > LSL 4.0 … reaches
    # LSL + 3σ = 4.3 after (4.3 − 4.51)/(−0.01) = 21 parts.
    assert parts_to_limit(5.0, -0.01, 49, 0.1, 4.0, None) == (21, None)
    # already beyond: 0
    assert parts_to_limit(5.0, 0.01, 49, 0.1, None, 5.0)[0] == 0
    # no limit in the drift direction
    n, why = parts_to_limit(5.0, 0.01, 49, 0.1, 4.0, None)
    assert n is None and "upper" in (why or "")
    assert parts_to_limit(5.0, 0.0, 49, 0.1, 4.0, 6.0)[0] is None


def test_one_sided_spec_drift_towards_missing_limit() -> None:
    s = np.arange(60.0)
    y = 0.05 - 0.0005 * s + _orthogonal_noise(60, 0.0002)
    r = drift_all(_meas(y), _spec(None, 0.1, 0.0, lbz=True), {"F": 0.001}, Settings())["F"]
    assert r["significant"] is True and r["parts_to_limit"] is None
    assert any("no lower specification limit" in n for n in r["notes"])
    assert r["tolerance"] == pytest.approx(0.1)


def test_mann_kendall_equals_textbook_formula_with_ties() -> None:
    # Mann–Kendall S and tie-corrected Var(S) (Kendall 1975, Rank Correlation Methods; Hipel & McLeod 1994):
    # Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18, z = S/√Var(S), two-sided normal p.
    rng = np.random.default_rng(3)
    n = 60
    y = np.round(rng.normal(size=n) + 0.02 * np.arange(n), 0)
    i, j = np.triu_indices(n, 1)
    S = np.sum(np.sign(y[j] - y[i]))
    _, t = np.unique(y, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(t * (t - 1) * (2 * t + 5))) / 18
    p = 2 * stats.norm.sf(abs(S) / math.sqrt(var))
    r = drift_test(np.arange(n), y)
    assert r["mann_kendall_p"] == pytest.approx(p, rel=1e-9)


def test_newey_west_lag_rule() -> None:
    # L = floor(4 (n/100)^(2/9)) (Newey & West 1994): n=100 -> 4, n=500 -> 5, n=30 -> 3
    assert [newey_west_lags(n) for n in (30, 100, 500)] == [3, 4, 5]


def test_hac_standard_error_wider_for_autocorrelated_noise() -> None:
    # AR(1) noise with φ = 0.8 and no trend: HAC p-value is larger than the naive OLS p-value.
    import statsmodels.api as sm

    rng = np.random.default_rng(9)
    e = np.zeros(200)
    for k in range(1, 200):
        e[k] = 0.8 * e[k - 1] + rng.normal()
    s = np.arange(200.0)
    naive = sm.OLS(e, sm.add_constant(s)).fit().pvalues[1]
    assert drift_test(s, e)["p_value"] > naive


def test_tolerance_width_conventions() -> None:
    assert tolerance_width(1.0, 3.0)[0] == 2.0
    assert tolerance_width(None, 0.1, 0.0, True)[0] == pytest.approx(0.1)
    assert tolerance_width(None, 1.6, None, True)[0] == pytest.approx(1.6)
    assert tolerance_width(16.0, None, 16.25)[0] == pytest.approx(0.25)
    w, why = tolerance_width(None, 5.0, None, False)
    assert w is None and "nominal" in why
    assert tolerance_width(None, None)[0] is None


def test_edge_cases_json_safe() -> None:
    sp = pl.concat([_spec(0.0, 2.0, feature=f) for f in ("C", "S", "T")])
    m = pl.concat([
        _meas(np.full(20, 1.0), "C"),              # constant
        _meas(np.array([1.0, 1.1, 0.9]), "S"),     # too short
        _meas(np.array([1.0, 1.2, 0.9, 1.1, 1.05, 0.95]), "T", np.array([0, 0, 0, 1, 1, 1])),
    ])
    out = drift_all(m, sp, {"C": 0.0, "S": None, "T": 0.1}, Settings())
    json.dumps(out, allow_nan=False)
    assert out["C"]["slope"] == 0.0 and out["C"]["p_value"] is None and out["C"]["significant"] is False
    assert out["S"]["slope"] is None and out["S"]["significant"] is None and out["S"]["notes"]
    assert out["T"]["slope"] is None  # only 2 distinct sequence numbers


@hsettings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.floats(-100, 100), b=st.floats(0.01, 100), flip=st.booleans())
def test_slope_equivariant_and_pvalues_invariant(seed: int, a: float, b: float, flip: bool) -> None:
    rng = np.random.default_rng(seed)
    s = np.arange(40.0)
    y = 0.01 * s + rng.normal(size=40)
    k = -b if flip else b
    r1, r2 = drift_test(s, y), drift_test(s, a + k * y)
    assert r2["slope"] == pytest.approx(k * r1["slope"], rel=1e-6, abs=1e-9)
    assert r2["p_value"] == pytest.approx(r1["p_value"], rel=1e-6)
    assert r2["mann_kendall_p"] == pytest.approx(r1["mann_kendall_p"], rel=1e-9)


def _statsmodels_hac(s: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    import statsmodels.api as sm

    lags = newey_west_lags(s.size)
    fit = sm.OLS(y, sm.add_constant(s)).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
    )
    ci = fit.conf_int(alpha=1.0 - confidence)[1]
    return {"slope": fit.params[1], "intercept": fit.params[0], "se": fit.bse[1], "p_value": fit.pvalues[1],
            "ci_low": ci[0], "ci_high": ci[1], "lags": lags}


def _tolerance(y: np.ndarray, se: float, s: np.ndarray) -> float:
    """Relative tolerance of a comparison with statsmodels: 1e-10, or the conditioning limit when larger.

    Both fits see y only to ε·max|y|; the residuals (noise scale σ_e ≈ se·√Sxx) then carry a relative
    error of order ε·max|y|/σ_e (statsmodels' uncentred pinv fit loses the same digits).
    """
    sigma_e = se * math.sqrt(np.sum((s - s.mean()) ** 2) / s.size)
    return max(1e-10, 100 * np.finfo(float).eps * float(np.max(np.abs(y))) / sigma_e)


@hsettings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(5, 400), min_size=1, max_size=4),
    seed=st.integers(0, 2**31 - 1),
    phi=st.floats(-0.9, 0.95),
    slope=st.floats(-0.05, 0.05),
    level=st.floats(-1000, 1000),
    confidence=st.sampled_from([0.9, 0.95, 0.99]),
    gaps=st.booleans(),
)
def test_closed_form_hac_equals_statsmodels(lengths: list[int], seed: int, phi: float, slope: float, level: float,
                                            confidence: float, gaps: bool) -> None:
    # Several series of different lengths (AR(1) noise, so the lag terms matter) in one call must each
    # equal statsmodels' OLS with HAC covariance (Bartlett, use_correction=True, use_t=True).
    from pilotqa.stats.drift import hac_trend

    rng = np.random.default_rng(seed)
    seqs, ys = [], []
    for n in lengths:
        s = np.cumsum(rng.integers(1, 4, n)) if gaps else np.arange(1, n + 1)
        e = np.zeros(n)
        e[0] = rng.normal()
        for k in range(1, n):
            e[k] = phi * e[k - 1] + rng.normal()
        seqs.append(s.astype(float))
        ys.append(level + slope * s + 0.01 * e)
    r = hac_trend(np.concatenate(seqs), np.concatenate(ys), np.repeat(np.arange(len(lengths)), lengths),
                  confidence=confidence)
    for i, (s, y) in enumerate(zip(seqs, ys)):
        ref = _statsmodels_hac(s, y, confidence)
        assert r["lags"][i] == ref["lags"] and r["n"][i] == s.size
        tol = _tolerance(y, ref["se"], s)
        # slope, intercept and interval bounds: absolute error on the scale of the standard error
        for key in ("slope", "ci_low", "ci_high"):
            assert abs(r[key][i] - ref[key]) <= tol * ref["se"] + 1e-10 * abs(ref[key]), key
        assert abs(r["intercept"][i] - ref["intercept"]) <= tol * ref["se"] * (1 + s.max()) + 1e-10 * abs(ref["intercept"])
        assert r["se"][i] == pytest.approx(ref["se"], rel=tol)
        # p from t: d ln p ≈ −t² d ln t in the tail, so its relative error grows with t²
        t = abs(ref["slope"] / ref["se"])
        assert r["p_value"][i] == pytest.approx(ref["p_value"], rel=tol * max(1.0, t * t), abs=1e-300), "p_value"


def test_closed_form_hac_matches_exact_rational_arithmetic() -> None:
    # The same formula in exact rational arithmetic (fractions) on the float inputs: the closed form loses
    # no more than the conditioning ε·max|y|/σ_e, also at a large level over small noise.
    from fractions import Fraction

    from pilotqa.stats.drift import hac_trend

    rng = np.random.default_rng(11)
    for level, n in ((0.0, 7), (42.0, 60), (1000.0, 150)):
        s = np.cumsum(rng.integers(1, 3, n)).astype(float)
        y = level + 1e-4 * s + 0.01 * rng.normal(size=n)
        S, Y = [Fraction(v) for v in s], [Fraction(v) for v in y]
        ms, my = sum(S) / n, sum(Y) / n
        d = [v - ms for v in S]
        sxx = sum(x * x for x in d)
        b = sum(a * (c - my) for a, c in zip(d, Y)) / sxx
        v = [a * (c - my - b * a) for a, c in zip(d, Y)]
        lags = newey_west_lags(n)
        meat = sum(x * x for x in v) + sum(
            2 * (1 - Fraction(lag, lags + 1)) * sum(v[i] * v[i - lag] for i in range(lag, n)) for lag in range(1, lags + 1))
        se = math.sqrt(Fraction(n, n - 2) * meat / (sxx * sxx))
        r = hac_trend(s, y)
        tol = _tolerance(y, se, s)
        assert abs(r["slope"][0] - float(b)) <= 1e-14 * se
        assert r["se"][0] == pytest.approx(se, rel=tol)


def test_drift_all_equals_statsmodels_per_feature() -> None:
    # drift_all (all features in one closed-form call, unsorted input) against statsmodels per feature
    rng = np.random.default_rng(5)
    frames, refs = [], {}
    for j, n in enumerate((7, 30, 150, 600)):
        s = np.arange(n)
        y = 20.0 + 1e-4 * (j - 1) * s + rng.normal(0, 0.01, n)
        frames.append(_meas(y, f"F{j}", s))
        refs[f"F{j}"] = _statsmodels_hac(s.astype(float), y)
    m = pl.concat(frames).sample(fraction=1.0, shuffle=True, seed=2)
    sp = pl.concat([_spec(19.9, 20.1, feature=f) for f in refs])
    out = drift_all(m, sp, {f: 0.01 for f in refs}, Settings())
    assert list(out) == sorted(refs)
    for f, ref in refs.items():
        assert out[f]["hac_maxlags"] == ref["lags"]
        assert out[f]["slope"] == pytest.approx(ref["slope"], rel=1e-10)
        assert out[f]["intercept"] == pytest.approx(ref["intercept"], rel=1e-10)
        assert out[f]["p_value"] == pytest.approx(ref["p_value"], rel=1e-9)
        assert out[f]["slope_ci"] == pytest.approx([ref["ci_low"], ref["ci_high"]], rel=1e-10)


def test_drift_module_does_not_import_statsmodels() -> None:
    # the module's own imports (the package __init__ may still pull statsmodels in through other modules)
    import ast
    from pathlib import Path

    import pilotqa.stats.drift as drift

    tree = ast.parse(Path(drift.__file__).read_text(encoding="utf-8"))
    imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "numpy" in imported  # the walk sees the imports
    assert not any(m.split(".")[0] == "statsmodels" for m in imported), imported
