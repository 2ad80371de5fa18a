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
    P_HIGH,
    P_LOW,
    FitResult,
    _fit_fast,
    ad_statistic,
    capability_model,
    fit_candidates,
    normality,
    percentile_indices,
    percentile_ppk_interval,
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


# ---------------------------------------------------------------------------------------------
# confidence interval of the percentile Ppk of a fitted model (delta method)
# ---------------------------------------------------------------------------------------------

Z975 = float(stats.norm.ppf(0.975))


def _fit(name: str, x: np.ndarray, fixed: dict[str, float]) -> FitResult:
    """An ML fit of one given family (as fit_candidates makes it, without the other families)."""
    dist = getattr(stats, name)
    par = _fit_fast(name, x, fixed)
    names = ([s.strip() for s in dist.shapes.split(",")] if dist.shapes else []) + ["loc", "scale"]
    frozen = dist(*par)
    ll = float(np.sum(frozen.logpdf(x)))
    return FitResult(name, dict(zip(names, par)), len(par) - len(fixed), ll, 0.0, 0.0, frozen,
                     dict(fixed))


def test_ppk_interval_normal_family_matches_the_closed_form() -> None:
    """For a normal ML fit the delta method has a closed form: with Var(μ̂) = σ²/n and
    Var(σ̂) = σ²/(2n) (inverse Fisher information of the normal, a textbook result),
    Var(P̂pk) = 1/(9n) + Ppk²/(2n) — Bissell's (1990) large-sample variance with n for n − 1."""
    x = np.random.default_rng(21).normal(10.0, 1.0, 400)
    fit = _fit("norm", x, {})
    ppk = percentile_indices(fit.frozen, 5.0, 16.0)["ppk"]
    lo, hi = percentile_ppk_interval(fit, x, 5.0, 16.0, 0.95)
    se = math.sqrt(1 / (9 * 400) + ppk ** 2 / (2 * 400))
    assert (lo + hi) / 2 == pytest.approx(ppk, rel=1e-9)
    assert (hi - lo) / 2 == pytest.approx(Z975 * se, rel=2e-3)


def test_ppk_interval_lognormal_matches_the_hand_derived_delta_method() -> None:
    """Lognormal (threshold 0), upper limit only. With m = e^μ, a = e^(3σ):
    Ppu = (USL/m − 1)/(a − 1), ∂Ppu/∂μ = −(USL/m)/(a − 1), ∂Ppu/∂σ = −3a(USL/m − 1)/(a − 1)²,
    and the ML information of (μ, σ) of ln x gives Var(μ̂) = σ²/n, Var(σ̂) = σ²/(2n)
    (hand derivation, delta method: Casella & Berger 2002, Thm 5.5.24)."""
    n = 150
    x = np.random.default_rng(5).lognormal(-4.0, 0.45, n)
    fit = _fit("lognorm", x, {"floc": 0.0})
    mu, sigma = math.log(fit.params["scale"]), fit.params["s"]
    usl = 0.08
    m, a = math.exp(mu), math.exp(3 * sigma)
    ppu = (usl / m - 1) / (a - 1)
    d_mu, d_sigma = -(usl / m) / (a - 1), -3 * a * (usl / m - 1) / (a - 1) ** 2
    se = math.sqrt(d_mu ** 2 * sigma ** 2 / n + d_sigma ** 2 * sigma ** 2 / (2 * n))
    lo, hi = percentile_ppk_interval(fit, x, None, usl, 0.95)
    assert percentile_indices(fit.frozen, None, usl)["ppk"] == pytest.approx(ppu, rel=1e-9)
    assert lo == pytest.approx(ppu - Z975 * se, rel=2e-3)
    assert hi == pytest.approx(ppu + Z975 * se, rel=2e-3)


def test_ppk_interval_needs_a_limit_and_widens_with_confidence() -> None:
    x = np.random.default_rng(2).weibull(2.0, 80) * 0.02
    fit = _fit("weibull_min", x, {"floc": 0.0})
    assert percentile_ppk_interval(fit, x, None, None) is None
    lo90, hi90 = percentile_ppk_interval(fit, x, None, 0.06, 0.90)
    lo99, hi99 = percentile_ppk_interval(fit, x, None, 0.06, 0.99)
    assert lo99 < lo90 < hi90 < hi99


def test_capability_model_carries_the_interval() -> None:
    x = np.random.default_rng(9).lognormal(-4.0, 0.5, 150)
    model, _ = capability_model(x, None, 0.1, True, normality(x)[0], {}, 0.05, None, 0.95)
    assert model is not None and model["decision_basis"] == "percentile"
    lo, hi = model["ppk_ci"]
    assert lo < model["ppk"] < hi
    assert model["ci_method"] == "delta method on the ML fit, two-sided 95%"
    # alternatives: the chosen model first, then every candidate within the AIC window, each
    # with its own percentile Ppk and interval
    alts = model["alternatives"]
    assert alts[0]["distribution"] == model["distribution"] and alts[0]["aic_delta"] == 0.0
    assert alts[0]["ppk"] == model["ppk"] and alts[0]["ppk_ci"] == model["ppk_ci"]
    deltas = [a["aic_delta"] for a in alts]
    assert deltas == sorted(deltas) and deltas[-1] <= 10.0 and len(alts) >= 2
    for a in alts[1:]:
        assert a["distribution"] != model["distribution"]
        assert a["ppk_ci"] is None or a["ppk_ci"][0] < a["ppk"] < a["ppk_ci"][1]


@pytest.mark.slow
@pytest.mark.parametrize("name,true", [("lognorm", stats.lognorm(0.5, 0, 0.02)),
                                       ("weibull_min", stats.weibull_min(1.8, 0, 0.02))])
def test_ppk_lower_bound_covers_the_true_index(name: str, true: object) -> None:
    """Monte Carlo (400 pilot runs of n = 50, true percentile Ppk 1.5, upper limit only): the
    lower limit of the 95 % interval is a one-sided 97.5 % bound and must cover the true index
    in close to 97.5 % of runs. Bissell's normal-theory formula evaluated at the percentile index
    — what pilotqa used before — covers it in clearly fewer (measured with this seed: delta
    97.8 % / 97.5 %, Bissell 84.5 % / 88.2 % for lognormal / Weibull), which is why it is no
    longer the decision bound."""
    rng = np.random.default_rng(20261122)
    q = true.ppf([P_LOW, 0.5, P_HIGH])  # type: ignore[attr-defined]
    usl = q[1] + 1.5 * (q[2] - q[1])
    n, runs, delta_ok, bissell_ok = 50, 400, 0, 0
    for _ in range(runs):
        x = true.rvs(n, random_state=rng)  # type: ignore[attr-defined]
        fit = _fit(name, x, {"floc": 0.0})
        est = percentile_indices(fit.frozen, None, usl)["ppk"]
        ci = percentile_ppk_interval(fit, x, None, usl, 0.95)
        assert ci is not None
        delta_ok += ci[0] <= 1.5
        bissell_ok += est - Z975 * math.sqrt(1 / (9 * n) + est ** 2 / (2 * (n - 1))) <= 1.5
    print(f"{name}: delta {delta_ok / runs:.3f}, Bissell at the percentile index {bissell_ok / runs:.3f}")
    assert 0.95 <= delta_ok / runs <= 0.995, delta_ok / runs
    assert bissell_ok / runs < 0.92, bissell_ok / runs
