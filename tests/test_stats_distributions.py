"""Normality tests, ML fits and ISO 22514-2 percentile indices."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pilotqa.stats.capability import capability_from_summary
from pilotqa.stats.distributions import (
    AIC_MARGIN,
    MIN_N_FIT,
    ad_statistic,
    capability_model,
    fit_candidates,
    normality,
    percentile_indices,
)


def test_ad_statistic_matches_scipy_anderson() -> None:
    # scipy.stats.anderson(x, "norm") (an independent implementation, parameters estimated with
    # s of ddof 1) gives the same A² as our normality() (statsmodels normal_ad) and ad_statistic().
    rng = np.random.default_rng(5)
    x = rng.normal(3.0, 0.5, 60)
    doc, notes = normality(x)
    ref = stats.anderson(x, "norm", method="interpolate").statistic
    assert doc["ad_statistic"] == pytest.approx(ref, rel=1e-9)
    z = np.sort((x - x.mean()) / x.std(ddof=1))
    assert ad_statistic(z, stats.norm.cdf) == pytest.approx(ref, rel=1e-9)
    assert doc["sw_p_value"] == pytest.approx(stats.shapiro(x).pvalue)
    assert doc["normal"] is True and notes == []


def test_ad_p_value_agrees_with_stephens_tables() -> None:
    # scipy.stats.anderson(x, "norm", method="interpolate") (SciPy 1.17) interpolates the p-value
    # from Stephens' (1974) critical-value table, valid for 0.01 < p < 0.15; statsmodels'
    # normal_ad uses D'Agostino & Stephens' (1986) closed-form approximation. Inside the table's
    # range both must agree to about 0.005.
    checked = 0
    for seed in range(12):
        x = np.random.default_rng(seed).standard_t(5, 60)
        ref = stats.anderson(x, "norm", method="interpolate")
        if 0.01 < ref.pvalue < 0.15:
            doc, _ = normality(x)
            assert doc["ad_p_value"] == pytest.approx(ref.pvalue, abs=5e-3)
            checked += 1
    assert checked >= 3


def test_normality_rejects_lognormal_and_handles_edge_cases() -> None:
    rng = np.random.default_rng(1)
    doc, _ = normality(rng.lognormal(0, 0.8, 200), alpha=0.05)
    assert doc["normal"] is False and doc["ad_p_value"] < 0.05
    doc, notes = normality([1.0, 2.0])
    assert doc == {"ad_statistic": None, "ad_p_value": None, "sw_p_value": None, "normal": None} and notes
    doc, notes = normality([2.0] * 10)
    assert doc["normal"] is None and "equal" in notes[0]
    doc, notes = normality([1.0, 2.0, 2.5, 3.1, 2.2])
    assert doc["ad_p_value"] is None and doc["sw_p_value"] is not None and doc["normal"] is not None and notes


@pytest.mark.parametrize(
    "dist, lbz, expected",
    [
        (stats.lognorm(0.5, scale=0.02), True, "lognorm"),
        (stats.weibull_min(1.6, scale=0.03), True, "weibull_min"),
        (stats.halfnorm(scale=0.01), True, "halfnorm"),
    ],
)
def test_fit_candidates_recovers_generating_family(dist: object, lbz: bool, expected: str) -> None:
    x = dist.rvs(size=2000, random_state=np.random.default_rng(8))  # type: ignore[attr-defined]
    fits = fit_candidates(x, lower_bound_zero=lbz)
    assert fits[0].distribution == expected
    assert [f.aic for f in fits] == sorted(f.aic for f in fits)


def test_weibull_fast_path_is_the_ml_estimate() -> None:
    # Our Weibull (loc 0) score-equation solution must be at least as likely as scipy's optimiser.
    x = stats.weibull_min(2.3, scale=5.0).rvs(size=300, random_state=np.random.default_rng(3))
    ours = next(f for f in fit_candidates(x, True) if f.distribution == "weibull_min")
    c, loc, sc = stats.weibull_min.fit(x, floc=0)
    assert ours.params["c"] == pytest.approx(c, rel=1e-3)
    assert ours.loglik >= float(np.sum(stats.weibull_min.logpdf(x, c, loc, sc))) - 1e-6
    three = next(f for f in fit_candidates(x + 10.0, False) if f.distribution == "weibull_min")
    assert three.params["loc"] < 10.0 + x.min()


def test_percentile_indices_equal_normal_indices_for_a_normal_model() -> None:
    # ISO 22514-2 percentile method reduces to Pp, Ppk for a normal distribution
    # (X99.865 − X0.135 = 6σ, X50 = μ).
    r = percentile_indices(stats.norm(10.2, 0.5), 8.0, 12.0)
    core = capability_from_summary(10.2, 0.5, 0.5, 100, 8.0, 12.0)
    for k in ("pp", "ppk", "ppl", "ppu", "ppm_expected"):
        assert r[k] == pytest.approx(float(core[k]), rel=1e-9)


def test_percentile_indices_lognormal_closed_form() -> None:
    # Lognormal(μ, σ): X_q = exp(μ + σ z_q), z = ±3 for the 0.135/99.865 % quantiles of the
    # ISO 22514-2 percentile method (closed form by hand; clause number not re-checked).
    mu, sig, usl = math.log(0.02), 0.4, 0.1
    r = percentile_indices(stats.lognorm(sig, scale=math.exp(mu)), None, usl)
    x50, x99 = math.exp(mu), math.exp(mu + 3 * sig)
    assert r["ppu"] == pytest.approx((usl - x50) / (x99 - x50), rel=1e-6)
    assert r["pp"] is None and r["ppl"] is None and r["ppk"] == r["ppu"]
    assert r["ppm_expected"] == pytest.approx(1e6 * stats.norm.sf((math.log(usl) - mu) / sig), rel=1e-6)


def _normal_idx(x: np.ndarray, lsl: float | None, usl: float | None) -> dict[str, float | None]:
    r = capability_from_summary(x.mean(), x.std(ddof=1), x.std(ddof=1), x.size, lsl, usl)
    return {k: (None if math.isnan(float(r[k])) else float(r[k])) for k in ("cp", "cpk", "pp", "ppk", "ppl", "ppu", "ppm_expected")}


def test_capability_model_decision_basis() -> None:
    rng = np.random.default_rng(12)
    x = rng.normal(10.0, 0.1, 100)
    m, notes = capability_model(x, 9.5, 10.5, False, normality(x)[0], _normal_idx(x, 9.5, 10.5))
    assert m is not None and m["decision_basis"] == "normal" and m["candidates"] == [] and "not rejected" in m["reason"]

    y = rng.lognormal(math.log(0.3), 0.5, 150)
    m, _ = capability_model(y, None, 1.6, True, normality(y)[0], _normal_idx(y, None, 1.6))
    assert m is not None and m["decision_basis"] == "percentile" and m["distribution"] == "lognorm"
    assert m["cp"] is None and m["cpk"] is None and m["ppk"] == m["ppu"] and m["pp"] is None
    assert m["percentiles"]["x0_135"] < m["percentiles"]["x50"] < m["percentiles"]["x99_865"]
    assert "lowest AIC" in m["reason"] and m["candidates"][0]["distribution"] == "lognorm"

    small = y[: MIN_N_FIT - 1]
    m, notes = capability_model(small, None, 1.6, True, normality(small)[0], _normal_idx(small, None, 1.6))
    assert m is not None and m["decision_basis"] == "normal" and "too few" in m["reason"] and notes

    assert capability_model([1.0, 1.0, 1.0], 0.0, 2.0, False, {}, {})[0] is None


def test_capability_model_keeps_normal_within_aic_margin() -> None:
    # A bounded-at-zero feature far from zero with normal data: the zero-anchored models are not
    # better by AIC_MARGIN, so the normal model is kept.
    x = np.random.default_rng(4).normal(0.05, 0.002, 200)
    m, _ = capability_model(x, None, 0.06, True, normality(x)[0], _normal_idx(x, None, 0.06))
    assert m is not None and m["decision_basis"] == "normal" and m["selection"] == "aic"
    best_other = min(c["aic"] for c in m["candidates"] if c["distribution"] != "norm")
    norm_aic = next(c["aic"] for c in m["candidates"] if c["distribution"] == "norm")
    assert norm_aic - best_other < AIC_MARGIN
