"""Gauge-study statistics against published worked examples, statsmodels and hand calculations.

The crossed GR&R data are the AIAG MSA 4th ed. example (10 parts × 3 appraisers × 3 trials;
the same data are Minitab's GAGEAIAG.MTW and the Q-DAS example ``GC/MSA_3_Edition/
MSA3_TYP2.DFQ``), committed as ``tests/data/msa/aiag4_grr_long.csv``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotqa.errors import InsufficientDataError
from pilotqa.msa.intervals import chi2_interval, mls_interval
from pilotqa.msa.read import read_studies
from pilotqa.msa.stats import (
    Criteria,
    anova_two_way,
    grr_anova,
    grr_range,
    grr_verdict,
    ndc,
    percentages,
    range_constants,
    type1,
)

DATA = Path(__file__).resolve().parent / "data" / "msa"


@pytest.fixture(scope="module")
def aiag() -> np.ndarray:
    studies, _, _ = read_studies([DATA / "aiag4_grr_long.csv"])
    return studies[0].data


def test_aiag_data_are_the_published_sheet(aiag: np.ndarray) -> None:
    assert aiag.shape == (3, 10, 3)
    # AIAG MSA 4th ed. data collection sheet: appraiser A part 1 = 0.29, 0.41, 0.64; appraiser C
    # part 10 = -1.49, -1.77, -2.16; grand mean 0.001444 (sum 0.13 over 90 readings)
    assert aiag[0, 0].tolist() == [0.29, 0.41, 0.64]
    assert aiag[2, 9].tolist() == [-1.49, -1.77, -2.16]
    assert aiag.sum() == pytest.approx(0.13, abs=1e-9)


def test_anova_method_reproduces_aiag(aiag: np.ndarray) -> None:
    r = grr_anova(aiag)
    # AIAG MSA 4th ed. ch. III §B, ANOVA method, table "% variation & contribution" (estimates
    # from the model without interaction), printed to 6 decimals; GRR printed 0.302373 is the
    # root of the printed, rounded EV² + AV² — hence 2e-6
    assert r.sigma["ev"] == pytest.approx(0.199933, abs=5e-7)
    assert r.sigma["av"] == pytest.approx(0.226838, abs=5e-7)
    assert r.sigma["grr"] == pytest.approx(0.302373, abs=2e-6)
    assert r.sigma["pv"] == pytest.approx(1.042327, abs=5e-7)
    # TV printed as 1.085 (3 decimals)
    assert r.sigma["tv"] == pytest.approx(1.085, abs=5e-4)
    assert r.sigma["interaction"] is None and r.interaction_pooled is True
    pct = percentages(r.sigma, None, 6.0)
    # AIAG (same table): % contribution 3.4 / 4.4 / 7.8 / 92.2 (1 decimal), %TV of GRR 27.9
    for key, want in (("ev", 3.4), ("av", 4.4), ("grr", 7.8), ("pv", 92.2)):
        assert pct["pct_contribution"][key] == pytest.approx(want, abs=0.05)
    assert pct["pct_study_var"]["grr"] == pytest.approx(27.9, abs=0.05)
    # Minitab 19 help, "Example of Crossed Gage R&R Study" (same data): interaction p = 0.974,
    # %Contribution part-to-part 92.24, total gage R&R 7.76, %Study Var total gage R&R 27.86,
    # number of distinct categories 4
    assert r.interaction_p == pytest.approx(0.974, abs=5e-4)
    assert pct["pct_contribution"]["pv"] == pytest.approx(92.24, abs=0.005)
    assert pct["pct_contribution"]["grr"] == pytest.approx(7.76, abs=0.005)
    assert pct["pct_study_var"]["grr"] == pytest.approx(27.86, abs=0.005)
    assert ndc(r.sigma["pv"], r.sigma["grr"])[0] == 4


def test_anova_table_matches_statsmodels(aiag: np.ndarray) -> None:
    pd = pytest.importorskip("pandas")
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    a, p, r = aiag.shape
    frame = pd.DataFrame([{"appraiser": f"O{i}", "part": f"P{j}", "value": aiag[i, j, k]}
                          for i in range(a) for j in range(p) for k in range(r)])
    ref = anova_lm(ols("value ~ C(part) * C(appraiser)", data=frame).fit(), typ=2)
    t = anova_two_way(aiag)
    names = {"part": "C(part)", "appraiser": "C(appraiser)",
             "interaction": "C(part):C(appraiser)", "repeatability": "Residual"}
    for ours, theirs in names.items():
        assert t.ss[ours] == pytest.approx(ref.loc[theirs, "sum_sq"], rel=1e-10)
        assert t.df[ours] == int(ref.loc[theirs, "df"])
    rows = {row["source"]: row for row in grr_anova(aiag).anova or []}
    # the interaction's F and p are the fixed-effects ones (denominator MS_E) in both …
    assert rows["part_x_appraiser"]["f"] == pytest.approx(ref.loc["C(part):C(appraiser)", "F"],
                                                          rel=1e-10)
    assert rows["part_x_appraiser"]["p"] == pytest.approx(
        ref.loc["C(part):C(appraiser)", "PR(>F)"], rel=1e-8)
    # … the main effects are tested against MS_PO in the random model (AIAG), not MS_E
    ms_po = t.ss["interaction"] / t.df["interaction"]
    assert rows["part"]["f"] == pytest.approx(t.ss["part"] / t.df["part"] / ms_po, rel=1e-12)
    assert rows["part"]["f"] != pytest.approx(ref.loc["C(part)", "F"], rel=1e-3)
    assert rows["total"]["ss"] == pytest.approx(sum(t.ss[k] for k in names), rel=1e-12)


def test_interaction_kept_when_alpha_says_so(aiag: np.ndarray) -> None:
    keep = grr_anova(aiag, Criteria(pool_alpha=1.0))
    assert keep.interaction_pooled is False and keep.anova_pooled is None
    # EV = √MS_E of the full model = √0.0459822 (SS 2.75893 / 60 df)
    assert keep.sigma["ev"] == pytest.approx(math.sqrt(2.7589333333 / 60), rel=1e-9)
    assert keep.sigma["interaction"] == 0.0  # MS_PO < MS_E: negative estimate set to 0
    assert any("negative" in n for n in keep.notes)


def test_significant_interaction_is_not_pooled() -> None:
    rng = np.random.default_rng(7)
    a, p, r = 3, 10, 3
    part = rng.normal(0, 1, p)
    inter = rng.normal(0, 0.8, (a, p))
    y = 10 + part[None, :, None] + inter[:, :, None] + rng.normal(0, 0.1, (a, p, r))
    res = grr_anova(y)
    assert res.interaction_p is not None and res.interaction_p < 0.25
    assert res.interaction_pooled is False and res.sigma["interaction"] is not None
    assert res.sigma["interaction"] > 0.4
    assert res.sigma["grr"] == pytest.approx(math.sqrt(sum(
        res.sigma[k] ** 2 for k in ("ev", "av", "interaction"))), rel=1e-12)  # type: ignore[operator]


def test_range_constants_are_the_aiag_table() -> None:
    # AIAG MSA 4th ed., average-and-range method: K1 (trials 2, 3), K2 (appraisers 2, 3),
    # K3 (parts 2 … 10), printed to 4 decimals
    for t, k1 in ((2, 0.8862), (3, 0.5908)):
        assert range_constants(2, 10, t)["K1"] == pytest.approx(k1, abs=5e-5)
    for a, k2 in ((2, 0.7071), (3, 0.5231)):
        assert range_constants(a, 10, 2)["K2"] == pytest.approx(k2, abs=5e-5)
    k3 = {2: 0.7071, 3: 0.5231, 4: 0.4467, 5: 0.4030, 6: 0.3742, 7: 0.3534, 8: 0.3375,
          9: 0.3249, 10: 0.3146}
    for p, want in k3.items():
        assert range_constants(2, p, 2)["K3"] == pytest.approx(want, abs=5e-5)


def test_range_method_reproduces_aiag(aiag: np.ndarray) -> None:
    g = grr_range(aiag)
    rs = g.range_stats or {}
    # AIAG MSA 4th ed. GR&R data sheet / report (average-and-range): R̿ = 0.3417,
    # X̄_DIFF = 0.4446 (the difference of the averages printed to 4 decimals, 0.1903 − (−0.2543);
    # unrounded 0.44467), R_p = 3.511
    assert rs["rbar"] == pytest.approx(0.3417, abs=5e-5)
    assert rs["xdiff"] == pytest.approx(0.4446, abs=1e-4)
    assert rs["rp"] == pytest.approx(3.511, abs=5e-4)
    # the report's EV 0.20188, AV 0.22963, GRR 0.30575, PV 1.10456, TV 1.14610 are computed from
    # those rounded intermediates and 4-decimal K's (0.3417 × 0.5908 = 0.20188; AV from
    # 0.4446 × 0.5231): they agree with the unrounded computation to 3e-4 relative
    for key, want in (("ev", 0.20188), ("av", 0.22963), ("grr", 0.30575), ("pv", 1.10456),
                      ("tv", 1.14610)):
        assert g.sigma[key] == pytest.approx(want, rel=3e-4)
    # and the same formulas on AIAG's rounded intermediates give the printed digits exactly
    ev = 0.3417 * 0.5908
    av = math.sqrt((0.4446 * 0.5231) ** 2 - ev ** 2 / 30)
    assert ev == pytest.approx(0.20188, abs=5e-6) and av == pytest.approx(0.22963, abs=5e-6)
    assert 3.511 * 0.3146 == pytest.approx(1.10456, abs=5e-6)
    pct = percentages(g.sigma, None, 6.0)
    # %EV 17.62, %AV 20.04, %GRR 26.68, %PV 96.38 of TV (2 decimals, same rounding)
    for key, want in (("ev", 17.62), ("av", 20.04), ("grr", 26.68), ("pv", 96.38)):
        assert pct["pct_study_var"][key] == pytest.approx(want, abs=0.02)
    assert ndc(g.sigma["pv"], g.sigma["grr"])[0] == 5  # AIAG: ndc = 5
    assert g.sigma["interaction"] is None
    # AIAG flags appraiser B's range on part 4 (0.01 / 1.03 / 0.20) as beyond UCL_R
    assert rs["ranges_above_ucl"] == [{"appraiser": 1, "part": 3, "range": pytest.approx(1.02)}]


def test_one_appraiser_is_a_type3_study(aiag: np.ndarray) -> None:
    one = aiag[:1]
    r = grr_anova(one)
    ms_e = ((one - one.mean(axis=2, keepdims=True)) ** 2).sum() / (10 * 2)
    assert r.sigma["av"] == 0.0 and r.sigma["ev"] == pytest.approx(math.sqrt(ms_e), rel=1e-12)
    assert r.sigma["grr"] == r.sigma["ev"]
    assert grr_range(one).sigma["av"] == 0.0


def test_too_small_designs_are_refused() -> None:
    with pytest.raises(InsufficientDataError, match="2 trials"):
        grr_anova(np.ones((2, 5, 1)))
    with pytest.raises(InsufficientDataError, match="2 parts"):
        grr_range(np.ones((2, 1, 3)))
    with pytest.raises(InsufficientDataError):
        type1(np.array([1.0]), 1.0, 1.0)


def test_type1_hand_calculation() -> None:
    # independent hand calculation: x = 10.001, 9.999, 10.002, 9.998, 10.000;
    # mean 10.000, Σ(x − x̄)² = 1e-6 + 1e-6 + 4e-6 + 4e-6 = 1e-5, s = √(1e-5/4) = 0.0015811388
    x = np.array([10.001, 9.999, 10.002, 9.998, 10.000])
    s = math.sqrt(1e-5 / 4)
    r = type1(x, 9.999, 0.1)
    assert r.sd == pytest.approx(s, rel=1e-9)
    assert r.bias == pytest.approx(0.001, abs=1e-12)
    # Cg = 0.2·T/(6 s) = 0.02/(6 s); Cgk = (0.1·T − |bias|)/(3 s) = 0.009/(3 s)
    assert r.cg == pytest.approx(0.02 / (6 * s), rel=1e-9)
    assert r.cgk == pytest.approx(0.009 / (3 * s), rel=1e-9)
    # t = bias/(s/√n) = √2; two-sided p for t with 4 df from the closed form of the t(4) cdf,
    # F(t) = 1/2 + t(t² + 6)/(2 (t² + 4)^{3/2})
    t = 0.001 / (s / math.sqrt(5))
    assert r.bias_t == pytest.approx(t, rel=1e-9)
    cdf = 0.5 + t * (t * t + 6) / (2 * (t * t + 4) ** 1.5)
    assert r.bias_p == pytest.approx(2 * (1 - cdf), rel=1e-9)
    assert r.pct_var_repeatability == pytest.approx(100 / r.cg, rel=1e-12)  # type: ignore[operator]
    assert r.verdict == "acceptable"
    # the older 15 % / 4 s form: Cg = 0.15·T/(4 s), Cgk = (0.075·T − |bias|)/(2 s)
    old = type1(x, 9.999, 0.1, Criteria(type1_percent=15, type1_spread=4))
    assert old.cg == pytest.approx(0.015 / (4 * s), rel=1e-9)
    assert old.cgk == pytest.approx((0.0075 - 0.001) / (2 * s), rel=1e-9)


def test_type1_verdicts() -> None:
    x = np.array([10.001, 9.999, 10.002, 9.998, 10.000])
    assert type1(x, 10.0, 0.01).verdict == "not_acceptable"  # Cg = 0.21
    none = type1(x, None, None)
    assert none.verdict == "not_assessed" and none.cg is None and none.bias is None
    assert any("tolerance" in r for r in none.reasons) and any("reference" in r
                                                               for r in none.reasons)
    assert any("25" in n for n in none.notes)  # fewer than 25 readings noted


def test_verdict_thresholds() -> None:
    def verdict(pct_tol: float | None, pct_sv: float, n_cat: int | None,
                crit: Criteria = Criteria()) -> str:
        pct = {"pct_tolerance": {"grr": pct_tol}, "pct_study_var": {"grr": pct_sv}}
        return grr_verdict(pct, n_cat, 1.0, crit)[0]

    assert verdict(9.9, 50, 7) == "acceptable"
    assert verdict(10.0, 50, 7) == "acceptable"
    assert verdict(10.1, 5, 7) == "conditional"
    assert verdict(30.1, 5, 7) == "not_acceptable"
    assert verdict(5.0, 5, 4) == "not_acceptable"  # ndc < 5
    assert verdict(5.0, 5, 4, Criteria(ndc_min=0)) == "acceptable"
    assert verdict(None, 25, 7) == "conditional"  # no tolerance: study variation
    assert verdict(5.0, 25, 7, Criteria(basis="study_var")) == "conditional"
    assert verdict(15.0, 5, 7, Criteria(grr_accept=20)) == "acceptable"
    _, basis, reasons = grr_verdict({"pct_tolerance": {"grr": None},
                                     "pct_study_var": {"grr": 25.0}}, 7, 1.0, Criteria())
    assert basis == "study_var" and "no tolerance" in reasons[0]


def test_percent_of_tolerance_uses_the_multiplier(aiag: np.ndarray) -> None:
    r = grr_anova(aiag)
    six = percentages(r.sigma, 8.0, 6.0)["pct_tolerance"]["grr"]
    aiag3 = percentages(r.sigma, 8.0, 5.15)["pct_tolerance"]["grr"]
    assert six == pytest.approx(100 * 6 * r.sigma["grr"] / 8.0, rel=1e-12)  # type: ignore[operator]
    assert aiag3 == pytest.approx(six * 5.15 / 6, rel=1e-12)  # type: ignore[operator]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(2, 8), st.integers(2, 4), st.integers(0, 2 ** 31 - 1))
def test_components_add_up(a: int, p: int, r: int, seed: int) -> None:
    y = np.random.default_rng(seed).normal(size=(a, p, r))
    for res in (grr_anova(y), grr_anova(y, Criteria(pool_alpha=1.0)), grr_range(y)):
        s = res.sigma
        pct = percentages(s, None, 6.0)["pct_contribution"]
        parts = sum(pct[k] or 0.0 for k in ("ev", "av", "interaction", "pv"))
        assert parts == pytest.approx(100.0, rel=1e-9)
        assert s["tv"] == pytest.approx(math.hypot(s["grr"], s["pv"]), rel=1e-12)  # type: ignore[arg-type]
        assert all(v is None or v >= 0 for v in s.values())


def test_chi2_interval_and_mls_single_term() -> None:
    # exact interval of σ² from 10 df: [10/χ²_{.975;10}, 10/χ²_{.025;10}] = [10/20.483, 10/3.247]
    lo, hi = chi2_interval(1.0, 10, 0.95)
    assert lo == pytest.approx(10 / 20.4832, rel=1e-4) and hi == pytest.approx(10 / 3.24697,
                                                                               rel=1e-4)
    est, lo2, hi2 = mls_interval([1.0], [1.0], [10])
    assert (est, lo2, hi2) == (1.0, pytest.approx(lo, rel=1e-12), pytest.approx(hi, rel=1e-12))


def test_mls_intervals_cover(aiag: np.ndarray) -> None:
    """Coverage of the GRR and part-variance intervals over simulated studies (the MLS method
    is approximate; Burdick, Borror & Montgomery report coverage close to the nominal level)."""
    rng = np.random.default_rng(2026)
    sp, so, se = 1.0, 0.25, 0.2
    hits_grr = hits_pv = 0
    n = 300
    for _ in range(n):
        y = (rng.normal(0, sp, 10)[None, :, None] + rng.normal(0, so, 3)[:, None, None]
             + rng.normal(0, se, (3, 10, 3)))
        iv = grr_anova(y, Criteria(pool_alpha=1.0)).intervals
        g, pv = iv["grr"], iv["pv"]
        assert g is not None and pv is not None
        hits_grr += g[0] <= math.hypot(so, se) <= g[1]
        hits_pv += pv[0] <= sp <= pv[1]
    assert 0.90 <= hits_grr / n <= 1.0
    assert 0.90 <= hits_pv / n <= 0.99


def test_qdas_type1_equals_a_direct_computation(shared_dir: Path) -> None:
    """The Bosch booklet 10 Type 1 example as shipped by Q-DAS (reference 6.002, T = 0.06):
    the study's numbers equal a direct numpy computation on the file's 50 readings."""
    from pilotqa.msa.kfields import read_gc_file

    gc = shared_dir / "real_exports" / "qdas_examples" / "ENG" / "GC"
    [s], _ = read_gc_file(gc / "BOSCH_Booklet-2010" / "BOSCH_BOOKLET10_TYPE_1.dfq")
    x = s.data
    r = type1(x, s.reference, s.tolerance)
    sd = float(np.sqrt(((x - x.mean()) ** 2).sum() / (x.size - 1)))
    assert r.cg == pytest.approx(0.2 * 0.06 / (6 * sd), rel=1e-9)
    assert r.cgk == pytest.approx((0.1 * 0.06 - abs(x.mean() - 6.002)) / (3 * sd), rel=1e-9)


@pytest.mark.regression
def test_qdas_examples_pinned(shared_dir: Path) -> None:
    """Regression only (no published result at hand): Bosch booklet 10 Type 1 and Type 2 as
    computed on 2026-11-30."""
    from pilotqa.msa import run_msa

    b10 = shared_dir / "real_exports" / "qdas_examples" / "ENG" / "GC" / "BOSCH_Booklet-2010"
    doc = run_msa([b10 / "BOSCH_BOOKLET10_TYPE_1.dfq", b10 / "BOSCH_BOOKLET10_TYPE_2.dfq"])
    t1, t2 = doc["characteristics"]
    assert (t1["cg"], t1["cgk"]) == (pytest.approx(2.010283, abs=1e-6),
                                     pytest.approx(1.641731, abs=1e-6))
    assert t1["bias"] == pytest.approx(-0.0011, abs=1e-9) and t1["verdict"] == "acceptable"
    assert t2["grr"] == pytest.approx(0.00183712, abs=1e-8) and t2["ndc"] == 14
    assert t2["pct_tolerance"]["grr"] == pytest.approx(18.3712, abs=1e-4)
    assert t2["verdict"] == "conditional"


def test_qdas_gasket_example_matches_the_sas_qc_report(shared_dir: Path) -> None:
    """``GC/GC_AIAG.DFQ`` (= ``MSA_2_Edition/MSA2_TYP2.DFQ``) holds the AIAG 2nd ed. gasket
    example (3 appraisers × 10 parts × 2 trials, 0.6–1.0 mm)."""
    from pilotqa.msa.kfields import read_gc_file

    gc = shared_dir / "real_exports" / "qdas_examples" / "ENG" / "GC"
    [s], _ = read_gc_file(gc / "GC_AIAG.DFQ")
    g = grr_range(s.data)
    spread = {k: 5.15 * v for k, v in g.sigma.items() if v is not None}
    pct = percentages(g.sigma, s.tolerance, 5.15)["pct_study_var"]
    # SAS/QC User's Guide (9.2 / 9.3), "The GAGE Application: Average and Range Method",
    # Figure A.23 sample report (Gasket, specification 0.6-1.0 mm, 5.15 sigma): EV 0.1747,
    # AV 0.1570, R&R 0.2349, PV 0.9042, TV 0.9342; %EV 18.70, %AV 16.80, %R&R 25.14, %PV 96.79.
    # SAS divides by Duncan's tabulated d2* (1.13 for K1, 3.18 for K3) where AIAG 4th ed. takes
    # d2 = 1.128 and d2*(1, 10) = 3.179: the spreads differ by up to 0.2 %, the ratios less
    for key, want in (("ev", 0.1747), ("av", 0.1570), ("grr", 0.2349), ("pv", 0.9042),
                      ("tv", 0.9342)):
        assert spread[key] == pytest.approx(want, rel=2e-3)
    for key, want in (("ev", 18.70), ("av", 16.80), ("grr", 25.14), ("pv", 96.79)):
        assert pct[key] == pytest.approx(want, abs=0.03)
