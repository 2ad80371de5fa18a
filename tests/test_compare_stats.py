"""The two-sample statistics of ``pilotqa compare`` against published examples and independent
calculations (scipy, statsmodels), plus invariants and the coverage of the Ppk-difference
interval."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import stats

from pilotqa.compare.stats import (
    brown_forsythe,
    compare_samples,
    holm,
    mean_change_from_summary,
    ppk_change,
    ppk_normal,
    ppk_variance_bissell,
    spread_change_from_summary,
)


# ---------------------------------------------------------------- mean: published example
def test_pooled_t_reproduces_nist_auto83b() -> None:
    # NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.5.3 "Two-Sample t-Test for Equal
    # Means", AUTO83B.DAT (miles per gallon): sample 1 = U.S. cars n 249, mean 20.14458,
    # sd 6.41470; sample 2 = Japanese cars n 79, mean 30.48101, sd 6.10771; equal variances:
    # T = -12.62059, s_p = 6.34260, nu = 326, t(0.975, 326) = 1.9673 (printed to 5 / 4 decimals).
    # T there is sample 1 - sample 2, so sample 1 is our "after".
    r = mean_change_from_summary(79, 30.48101, 6.10771, 249, 20.14458, 6.41470, equal_var=True)
    assert r.t == pytest.approx(-12.62059, abs=5e-5)  # the summaries are rounded to 5 decimals
    assert r.pooled_sd == pytest.approx(6.34260, abs=5e-6)
    assert r.df == 326
    assert r.ci_high is not None and r.diff is not None and r.se is not None
    assert (r.ci_high - r.diff) / r.se == pytest.approx(1.9673, abs=5e-5)
    assert r.p is not None and r.p < 1e-20


def test_welch_matches_scipy_on_nist_summaries() -> None:
    # Same NIST summaries, Welch form: scipy.stats.ttest_ind_from_stats(equal_var=False) is the
    # independent calculation (Welch df = 136.87 by the e-Handbook's own formula).
    r = mean_change_from_summary(79, 30.48101, 6.10771, 249, 20.14458, 6.41470)
    ref = stats.ttest_ind_from_stats(20.14458, 6.41470, 249, 30.48101, 6.10771, 79, equal_var=False)
    assert r.t == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p == pytest.approx(ref.pvalue, rel=1e-9)
    qa, qb = 6.41470**2 / 249, 6.10771**2 / 79
    nu = (qa + qb) ** 2 / (qa**2 / 248 + qb**2 / 78)
    assert r.df == pytest.approx(nu, rel=1e-12)
    assert r.df == pytest.approx(136.87, abs=0.01)


def test_welch_interval_matches_statsmodels_on_raw_data() -> None:
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    rng = np.random.default_rng(1)
    before, after = rng.normal(10.0, 0.02, 60), rng.normal(10.01, 0.035, 45)
    c = compare_samples(before, after, confidence=0.9)
    cm = CompareMeans(DescrStatsW(after), DescrStatsW(before))
    lo, hi = cm.tconfint_diff(alpha=0.10, usevar="unequal")
    assert c.mean.ci_low == pytest.approx(lo, rel=1e-10)
    assert c.mean.ci_high == pytest.approx(hi, rel=1e-10)
    ref = stats.ttest_ind(after, before, equal_var=False)
    assert c.mean.p == pytest.approx(ref.pvalue, rel=1e-9)
    assert c.mean.t == pytest.approx(ref.statistic, rel=1e-10)


# ---------------------------------------------------------------- spread
def test_f_test_reproduces_nist_ceramic_strength() -> None:
    # NIST/SEMATECH e-Handbook §1.3.5.9 "F-Test for Equality of Two Variances": ceramic strength,
    # batch 1 n 240 sd 65.54909, batch 2 n 240 sd 61.85425; F = s1^2/s2^2 = 1.123037 on (239, 239)
    # df; critical values F(0.025) = 0.7756, F(0.975) = 1.2894 (4 decimals); H0 not rejected.
    r = spread_change_from_summary(240, 61.85425, 240, 65.54909)
    assert r.f == pytest.approx(1.123037, abs=5e-7)
    assert (r.df_after, r.df_before) == (239, 239)
    assert r.f_p is not None and r.f_p > 0.05
    # the sigma-ratio interval is sqrt(F / F_hi), sqrt(F / F_lo) with those critical values
    assert r.ci_low is not None and r.ci_high is not None
    assert r.ci_low**2 == pytest.approx(1.123037 / 1.2894, rel=1e-4)
    assert r.ci_high**2 == pytest.approx(1.123037 / 0.7756, rel=1e-4)


def test_f_p_value_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1.0, 40), rng.normal(0, 1.4, 35)
    c = compare_samples(a, b)
    f = np.var(b, ddof=1) / np.var(a, ddof=1)
    p = 2 * min(stats.f.cdf(f, 34, 39), stats.f.sf(f, 34, 39))
    assert c.spread.f_p == pytest.approx(p, rel=1e-10)
    assert c.spread.ratio == pytest.approx(math.sqrt(f), rel=1e-12)


def test_brown_forsythe_is_anova_on_absolute_median_deviations() -> None:
    # Brown & Forsythe (1974): one-way ANOVA F on |x - median of its group|; computed here
    # independently with scipy.stats.f_oneway.
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(0, 0.3, 51), rng.lognormal(0, 0.5, 40)
    w, p = brown_forsythe(a, b)
    ref = stats.f_oneway(np.abs(a - np.median(a)), np.abs(b - np.median(b)))
    assert w == pytest.approx(ref.statistic, rel=1e-10)
    assert p == pytest.approx(ref.pvalue, rel=1e-9)
    assert (w, p) == pytest.approx(tuple(stats.levene(a, b, center="median")), rel=1e-12)


def test_brown_forsythe_undefined_cases() -> None:
    assert brown_forsythe([1.0], [1.0, 2.0]) == (None, None)
    assert brown_forsythe([1.0, 1.0], [2.0, 2.0]) == (None, None)


# ---------------------------------------------------------------- Ppk
def test_ppk_and_interval_agree_with_the_analysis_formula() -> None:
    # the analysis's capability core (Bissell interval, Minitab's Ppk) on the same summaries
    from pilotqa.stats.capability import capability_from_summary

    for mean, sd, n, lsl, usl in [(50.0, 1.75, 20, 38.0, 62.0), (0.02, 0.01, 150, None, 0.1),
                                  (16.22, 0.08, 150, 16.0, 16.5)]:
        ref = capability_from_summary(mean, sd, sd, n, np.nan if lsl is None else lsl,
                                      np.nan if usl is None else usl)
        p = ppk_normal(mean, sd, lsl, usl)
        assert p == pytest.approx(float(ref["ppk"]), rel=1e-12)
        ch = ppk_change(p, n, p, n)
        assert ch.before_ci is not None
        assert list(ch.before_ci) == pytest.approx([float(v) for v in np.ravel(ref["ppk_ci"])], rel=1e-12)


def test_ppk_difference_interval_formula() -> None:
    # delta method, independent samples: (Pa - Pb) +- z sqrt(Va + Vb), V = 1/(9n) + P^2/(2(n-1))
    r = ppk_change(1.1, 150, 1.6, 120, confidence=0.9)
    z = stats.norm.ppf(0.95)
    h = z * math.sqrt(1 / (9 * 150) + 1.1**2 / 298 + 1 / (9 * 120) + 1.6**2 / 238)
    assert r.diff == pytest.approx(0.5)
    assert r.diff_ci == pytest.approx((0.5 - h, 0.5 + h), rel=1e-12)
    assert ppk_variance_bissell(1.1, 150) == pytest.approx(1 / 1350 + 1.21 / 298)


@pytest.mark.slow
def test_ppk_difference_interval_covers_the_true_difference() -> None:
    # Normal data, n = 50 and 40 per side, true Ppk 1.0 (before) and 1.33 (after): the 95 %
    # delta-method interval should cover the true difference in about 95 % of runs
    # (2,000 runs: the Monte-Carlo standard error of a coverage near 0.95 is 0.005).
    rng = np.random.default_rng(20261130)
    lsl, usl = -3.0, 3.0
    true_b, true_a = 1.0, 4.0 / 3.0  # sigma 1 centred; sigma 0.75 centred
    hits = 0
    runs = 2000
    for _ in range(runs):
        b = rng.normal(0.0, 1.0, 50)
        a = rng.normal(0.0, 0.75, 40)
        c = compare_samples(b, a, lsl_before=lsl, usl_before=usl, lsl_after=lsl, usl_after=usl)
        assert c.ppk.diff_ci is not None
        hits += c.ppk.diff_ci[0] <= true_a - true_b <= c.ppk.diff_ci[1]
    assert 0.93 <= hits / runs <= 0.97


# ---------------------------------------------------------------- multiplicity
def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(4)
    p = list(rng.uniform(0, 0.2, 24))
    ref = multipletests(p, method="holm")[1]
    assert holm(p) == pytest.approx(list(ref), rel=1e-12)
    assert holm([0.01, None, 0.04]) == pytest.approx([0.02, None, 0.04])
    assert holm([]) == []


# ---------------------------------------------------------------- invariants
_values = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=40)


@given(_values, _values)
@example([0.0, 0.0, 1.0], [0.0, 0.0, 6.103263592568259e-156])  # F overflowed: ratio inf one way
def test_swapping_sides_mirrors_every_statistic(a: list[float], b: list[float]) -> None:
    ab = compare_samples(a, b, lsl_before=-2e3, usl_before=2e3, lsl_after=-2e3, usl_after=2e3)
    ba = compare_samples(b, a, lsl_before=-2e3, usl_before=2e3, lsl_after=-2e3, usl_after=2e3)
    assert (ab.mean.diff is None) == (ba.mean.diff is None)
    if ab.mean.diff is not None and ba.mean.diff is not None:
        assert ab.mean.diff == pytest.approx(-ba.mean.diff, abs=1e-9)
    if ab.mean.p is not None:
        assert ba.mean.p == pytest.approx(ab.mean.p, rel=1e-6, abs=1e-12)
        assert ab.mean.ci_low is not None and ba.mean.ci_high is not None
        assert ab.mean.ci_low == pytest.approx(-ba.mean.ci_high, rel=1e-6, abs=1e-9)
    if ab.spread.ratio is not None and ba.spread.ratio is not None:
        assert ab.spread.ratio * ba.spread.ratio == pytest.approx(1.0, rel=1e-9)
        assert ab.spread.f_p == pytest.approx(ba.spread.f_p, rel=1e-6, abs=1e-12)
        assert ab.spread.ci_low is not None and ba.spread.ci_high is not None
        assert ab.spread.ci_low * ba.spread.ci_high == pytest.approx(1.0, rel=1e-6)
    if ab.bf_p is not None:
        assert ba.bf_p == pytest.approx(ab.bf_p, rel=1e-9, abs=1e-12)
    if ab.ppk.diff_ci is not None and ba.ppk.diff_ci is not None:
        assert ab.ppk.diff_ci[0] == pytest.approx(-ba.ppk.diff_ci[1], rel=1e-9, abs=1e-9)
    for x in (ab.mean.p, ab.spread.f_p, ab.bf_p):
        assert x is None or 0.0 <= x <= 1.0


@given(_values, _values)
@example([0.0, 0.0, 0.0], [0.0, 0.0, 3.177168593424502e-161])  # Ppk ~1e160: variance overflowed
def test_intervals_contain_their_estimates(a: list[float], b: list[float]) -> None:
    c = compare_samples(a, b, lsl_before=-2e3, usl_before=2e3, lsl_after=-2e3, usl_after=2e3)
    if c.mean.ci_low is not None and c.mean.diff is not None and c.mean.ci_high is not None:
        assert c.mean.ci_low <= c.mean.diff <= c.mean.ci_high
    if c.spread.ci_low is not None and c.spread.ratio is not None and c.spread.ci_high is not None:
        assert c.spread.ci_low <= c.spread.ratio * (1 + 1e-12) and c.spread.ratio <= c.spread.ci_high * (1 + 1e-12)
    if c.ppk.diff_ci is not None and c.ppk.diff is not None:
        assert c.ppk.diff_ci[0] <= c.ppk.diff <= c.ppk.diff_ci[1]


def test_too_few_readings_give_none_not_nan() -> None:
    c = compare_samples([1.0], [1.0, 2.0, 3.0], lsl_before=0.0, usl_before=5.0, lsl_after=0.0,
                        usl_after=5.0)
    assert c.mean.p is None and c.spread.ratio is None and c.bf_p is None and c.ppk.diff_ci is None
    c = compare_samples([1.0, 1.0, 1.0], [1.0, 1.0], lsl_before=0.0, usl_before=5.0)
    assert c.mean.diff == 0.0 and c.mean.t is None and c.spread.ratio is None
    assert c.ppk.before is None
