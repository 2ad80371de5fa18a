"""Sampling tables: well-known entries of each table, checked against the standards.

Sources named in the comments:
* MIL-STD-105E (1989, public domain) Tables I, II-A, II-B = ANSI/ASQ Z1.4-2003 = ISO 2859-1.
* NIBS/DPW "AC-TABLE.ASC" Tables 1-A (normal) and 1-B (tightened), "developed from MIL-STD-105E
  using Table I and Table II-A", AQL 0.65–15 with explicit arrows (www.nibs.org/FMOC/DPW_AC).
* ANSI/ASQ Z1.9 Table B-1 (s-method, Form 1) as transcribed by Universidade de Lisboa
  (web.tecnico.ulisboa.pt/~mcasquilho/acad/cq/Z1.9.B1.html) — "Lisboa B-1" below.
* ANSI/ASQ Z1.9-2008 Table A-2 (same as 2003) and MIL-STD-414 (1957) Tables A-2/B-1 via
  ../shared/reference/sampling-plans.md (CRAN Planesmuestra data sets).
* Squeglia, Zero Acceptance Number Sampling Plans: two public transcriptions (klazich/assist
  aqlTable.js; a Django migration of procedure GL-QA 02, 2007) and public quotes (Elsmar forum).
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilotqa.decide import tables as T
from pilotqa.errors import InputError


# ----------------------------------------------------------------------------- Table I
@pytest.mark.parametrize(
    "lot,level,letter",
    [
        # MIL-STD-105E Table I: lot 501–1200, level II → J
        (1000, "II", "J"),
        # MIL-STD-105E Table I: lot 2–8, level III → B
        (5, "III", "B"),
        # MIL-STD-105E Table I: lot 9–15, level II → B (boundary 8/9)
        (8, "II", "A"),
        (9, "II", "B"),
        # MIL-STD-105E Table I: lot 151–280, level I → E
        (200, "I", "E"),
        # MIL-STD-105E Table I: lot 3201–10000, level S-3 → F
        (5000, "S-3", "F"),
        # MIL-STD-105E Table I: lot 500001 and over, S-1 → D, III → R
        (10**6, "S-1", "D"),
        (10**6, "III", "R"),
        # MIL-STD-105E Table I: lot 150001–500000, level II → P
        (200000, "II", "P"),
    ],
)
def test_code_letters(lot: int, level: str, letter: str) -> None:
    assert T.code_letter(lot, level) == letter


def test_code_letter_bad_input() -> None:
    with pytest.raises(InputError, match="at least 2"):
        T.code_letter(1, "II")
    with pytest.raises(InputError, match="S-1, S-2, S-3, S-4, I, II, III"):
        T.code_letter(100, "IV")


@given(st.integers(min_value=2, max_value=2_000_000), st.integers(min_value=1, max_value=10_000),
       st.sampled_from(T.ATTRIBUTE_LEVELS))
def test_code_letter_monotone_in_lot_size(lot: int, extra: int, level: str) -> None:
    letters = "ABCDEFGHJKLMNPQR"
    assert letters.index(T.code_letter(lot, level)) <= letters.index(T.code_letter(lot + extra, level))


# ----------------------------------------------------------------------------- Table II-A
@pytest.mark.parametrize(
    "lot,aql,n,ac,re_,plan_letter",
    [
        # Table II-A: J (lot 501–1200, II), AQL 1.0 → n = 80, Ac 2, Re 3 (NIBS 1-A row J: Re 3)
        (1000, 1.0, 80, 2, 3, "J"),
        # Table II-A: J, AQL 2.5 → 5/6 (NIBS 1-A row J: Re 6)
        (1000, 2.5, 80, 5, 6, "J"),
        # Table II-A: L (lot 3201–10000, II), AQL 2.5 → 10/11, AQL 4.0 → 14/15 (NIBS 1-A row L)
        (5000, 2.5, 200, 10, 11, "L"),
        (5000, 4.0, 200, 14, 15, "L"),
        # Table II-A: K (lot 1201–3200), AQL 2.5 → 7/8 (NIBS 1-A row K: Re 8) — a public
        # implementation that gives 10/11 here shifts every acceptance number by one row.
        (2000, 2.5, 125, 7, 8, "K"),
        # Table II-A: F (lot 91–150), AQL 0.65 → n = 20, 0/1 (NIBS 1-A row F: Re 1 at 0.65)
        (100, 0.65, 20, 0, 1, "F"),
        # Arrow ↑: F at AQL 1.0 → first plan above = E, n = 13, 0/1 (NIBS 1-A row F: "/\" at 1.0)
        (100, 1.0, 13, 0, 1, "E"),
        # Arrow ↓: G (lot 151–280) at AQL 1.0 → first plan below = H, n = 50, 1/2 (NIBS 1-A row G)
        (200, 1.0, 50, 1, 2, "H"),
        # Arrow ↓ across many rows: J at AQL 0.10 → K, n = 125, 0/1 (105E Table II-A column 0.10)
        (1000, 0.10, 125, 0, 1, "K"),
    ],
)
def test_single_sampling_normal(lot: int, aql: float, n: int, ac: int, re_: int, plan_letter: str) -> None:
    p = T.attributes_plan(lot, aql)
    assert (p["sample_size"], p["accept"], p["reject"], p["plan_letter"]) == (n, ac, re_, plan_letter)
    assert p["method"] == "attributes" and p["hundred_percent"] is False
    assert p["code_letter"] == T.code_letter(lot, "II")
    assert (p["arrow"] is None) == (plan_letter == p["code_letter"])


@pytest.mark.parametrize(
    "lot,aql,n,ac,re_,plan_letter",
    [
        # Table II-B: J, AQL 1.0 → 80, 1/2 (NIBS 1-B row J: "\/ 2" → Re 2 at 1.0)
        (1000, 1.0, 80, 1, 2, "J"),
        # Table II-B: K (lot 1201–3200), AQL 2.5 → 5/6, AQL 4.0 → 8/9 (NIBS 1-B row K: Re 6, 9)
        (2000, 2.5, 125, 5, 6, "K"),
        (2000, 4.0, 125, 8, 9, "K"),
        # Table II-B: G (lot 151–280), AQL 0.65 → 32, 0/1 (NIBS 1-B row G: Re 1 at 0.65)
        (200, 0.65, 32, 0, 1, "G"),
        # Arrow ↓ in II-B: H (lot 281–500) at AQL 1.0 → J, n = 80, 1/2 (NIBS 1-B row H: "|| \/ 2")
        (400, 1.0, 80, 1, 2, "J"),
    ],
)
def test_single_sampling_tightened(lot: int, aql: float, n: int, ac: int, re_: int, plan_letter: str) -> None:
    p = T.attributes_plan(lot, aql, severity="tightened")
    assert (p["sample_size"], p["accept"], p["reject"], p["plan_letter"]) == (n, ac, re_, plan_letter)


def test_hundred_percent_when_sample_reaches_lot() -> None:
    # Table II-A footnote: "If sample size equals or exceeds lot size, do 100 percent inspection".
    # Lot 10 (B), AQL 0.65 → ↓ F, n = 20 ≥ 10.
    p = T.attributes_plan(10, 0.65)
    assert p["hundred_percent"] is True and p["sample_size"] == 10 and "100 %" in p["rule_text"]


def test_reduced_table_refuses_acceptance_numbers() -> None:
    with pytest.raises(InputError, match="Table II-C"):
        T.attributes_plan(200, 0.65, severity="reduced")


def test_bad_aql_lists_allowed_values() -> None:
    with pytest.raises(InputError, match="0.010, 0.015.*6.5, 10"):
        T.attributes_plan(100, 0.7)


def test_arrow_off_the_table_is_an_error() -> None:
    # MIL-STD-105E-derived NIBS Table 1-A prints ↑ at letter A / AQL 10: there is no plan above A.
    with pytest.raises(InputError, match="no verified plan"):
        T.attributes_plan(5, 10)


@given(st.integers(min_value=2, max_value=1_000_000), st.sampled_from([0.065, 0.10, 0.25, 0.65, 1.0, 1.5, 2.5, 4.0]),
       st.sampled_from(["I", "II", "III", "S-4"]), st.sampled_from(["normal", "tightened"]))
def test_single_sampling_invariants(lot: int, aql: float, level: str, sev: str) -> None:
    p = T.attributes_plan(lot, aql, level=level, severity=sev)
    assert p["reject"] == p["accept"] + 1  # Re = Ac + 1 in Tables II-A and II-B
    assert 1 <= p["sample_size"] <= lot
    table_n = T.load_table("single_sampling_105e.json")["sample_sizes"][p["plan_letter"]]
    assert p["hundred_percent"] == (table_n >= lot)
    assert p["sample_size"] == min(table_n, lot)


# ----------------------------------------------------------------------------- variables
@pytest.mark.parametrize(
    "lot,aql,letter,n,k",
    [
        # Z1.9 Table A-2: lot 501–1200, II → J (n = 35); Lisboa B-1 row J, AQL 1.00 → k = 1.89
        (1000, 1.0, "J", 35, 1.89),
        # Z1.9 Table A-2: lot 91–150, II → F (n = 10); Lisboa B-1 row F, AQL 0.65 → k = 1.84
        (100, 0.65, "F", 10, 1.84),
        # Z1.9 Table A-2: lot 401–500, II → I (n = 25); Lisboa B-1 row I, AQL 0.65 → k = 1.98
        (500, 0.65, "I", 25, 1.98),
        # Z1.9 Table A-2: lot 281–400, II → H (n = 20); Lisboa B-1 row H, AQL 0.40 → k = 2.11
        (300, 0.40, "H", 20, 2.11),
        # Z1.9 Table A-2: lot 10001–35000, II → M (n = 100); Lisboa B-1 row M, AQL 1.50 → k = 1.86
        (20000, 1.5, "M", 100, 1.86),
        # Lisboa B-1 row B (n = 3), AQL 4.00 → k = 0.958 (lot 2–8, II → B)
        (5, 4.0, "B", 3, 0.958),
    ],
)
def test_variables_plan_z19(lot: int, aql: float, letter: str, n: int, k: float) -> None:
    p = T.variables_plan(lot, aql)
    assert p["code_letter"] == letter and p["plan_letter"] == letter
    assert p["sample_size"] == min(n, lot)
    # k printed with 3 significant digits in Table B-1
    assert p["k"] == pytest.approx(k, abs=5e-4)


def test_variables_arrow_changes_letter_and_n() -> None:
    # Lisboa B-1: letter D (n = 5) has an arrow at AQL 0.10; the first plan below is G (n = 15),
    # k = 2.42. Z1.9 Table A-2: lot 26–50, II → D.
    p = T.variables_plan(40, 0.10)
    assert (p["code_letter"], p["plan_letter"], p["sample_size"], p["arrow"]) == ("D", "G", 15, "down")
    assert p["k"] == pytest.approx(2.42, abs=5e-4)
    # Lisboa B-1: B (n = 3) at AQL 1.50 is an arrow → C (n = 4), k = 1.34
    q = T.variables_plan(5, 1.5)
    assert (q["plan_letter"], q["sample_size"]) == ("C", 4) and q["k"] == pytest.approx(1.34, abs=5e-4)


def test_variables_tightened_uses_next_smaller_aql_column() -> None:
    # Lisboa B-1 bottom row: tightened AQL 1.00 is read in the normal 0.65 column; row J → 2.03
    p = T.variables_plan(1000, 1.0, severity="tightened")
    assert p["k"] == pytest.approx(2.03, abs=5e-4)
    # Tightened 0.10 uses the first ("T") column: row J → 2.65
    assert T.variables_plan(1000, 0.10, severity="tightened")["k"] == pytest.approx(2.65, abs=5e-4)


def test_variables_mil_std_414() -> None:
    # MIL-STD-414 Table A-2 (via Planesmuestra, single source): lot 501–800, level IV → J, n = 30;
    # Table B-1 row n = 30, AQL 1.00 → k = 1.86 (single source, reference sheet (d)).
    p = T.variables_plan(600, 1.0, level="IV", standard="MIL-STD-414")
    assert (p["code_letter"], p["sample_size"]) == ("J", 30)
    assert p["k"] == pytest.approx(1.86, abs=5e-4)
    # The same letter J means n = 35 in Z1.9 (Table A-2 of each standard).
    assert T.variables_plan(1000, 1.0)["sample_size"] == 35


def test_variables_single_source_columns_at_large_n() -> None:
    # 2.5 / 4.0 columns for n >= 15: single public source (Planesmuestra k_plans.milstd414),
    # MIL-STD-414 Table B-1 rows n = 50: 1.61 / 1.42. Z1.9 lot 3201–10000, II → L (n = 75): 1.65 / 1.46.
    assert T.variables_plan(5000, 2.5)["k"] == pytest.approx(1.65, abs=5e-4)
    assert T.variables_plan(5000, 4.0)["k"] == pytest.approx(1.46, abs=5e-4)


def test_variables_bad_level() -> None:
    with pytest.raises(InputError, match="S-3, S-4, I, II, III"):
        T.variables_plan(100, 1.0, level="S-1")


# ----------------------------------------------------------------------------- Form 2 (M method)
def test_form2_estimator_is_unbiased_for_normal_lots() -> None:
    # Independent check of the Table B-5 estimator (Lieberman & Resnikoff 1955: minimum-variance
    # unbiased): over many samples of n from N(0, 1) with U = 2, the mean of p̂_U is P(X > 2).
    import numpy as np
    from scipy import stats
    from scipy.special import betainc

    rng = np.random.default_rng(7)
    for n in (5, 20):
        x = rng.standard_normal((40_000, n))
        q = (2.0 - x.mean(axis=1)) / x.std(axis=1, ddof=1)
        xx = np.clip(0.5 - 0.5 * q * np.sqrt(n) / (n - 1), 0.0, 1.0)
        p_hat = 100 * betainc((n - 2) / 2, (n - 2) / 2, xx)
        assert p_hat.mean() == pytest.approx(100 * stats.norm.sf(2.0), rel=0.03)
        # the vectorised formula above is the function's
        assert T.estimated_percent_nonconforming(float(q[0]), n) == pytest.approx(float(p_hat[0]), rel=1e-12)


def test_form2_estimator_edges() -> None:
    assert T.estimated_percent_nonconforming(0.0, 10) == pytest.approx(50.0)
    assert T.estimated_percent_nonconforming(-50.0, 10) == pytest.approx(100.0)  # mean far beyond the limit
    assert T.estimated_percent_nonconforming(50.0, 10) == 0.0
    # n = 4: a = 1, I_x(1, 1) = x
    assert T.estimated_percent_nonconforming(1.0, 4) == pytest.approx(100 * (0.5 - 0.5 * 2 / 3))
    with pytest.raises(InputError, match="at least 3"):
        T.estimated_percent_nonconforming(1.0, 2)


def test_m_data_file_is_the_derivation_from_k() -> None:
    data = T.load_table("variables_m_form2.json")
    derived = T.form2_m_table()
    assert data["aql_columns"] == derived["aql_columns"]
    assert data["m"] == derived["m"]


@pytest.mark.parametrize(
    "lot,aql,n,printed",
    [
        # ANSI/ASQ Z1.9 Table B-3 (normal inspection, σ unknown) as transcribed in CRAN AQLSchemes
        # (Lawson, R/AAZ19.R): the M derived from the printed k agrees within 1 % (k has only 3
        # significant digits; benchmarks/derive_form2_m.py lists every cell).
        (1000, 0.65, 35, 1.87),   # J, AQL 0.65
        (120, 2.5, 10, 7.26),     # F (lot 91–150, II), AQL 2.5
        (20000, 2.5, 100, 4.67),  # M, AQL 2.5
        (60, 0.40, 7, 1.05),      # E (lot 51–90, II), AQL 0.40
        (5, 4.0, 3, 18.86),       # B, AQL 4.0
        (200000, 0.10, 200, 0.294),  # P, AQL 0.10
    ],
)
def test_form2_m_matches_printed_z19(lot: int, aql: float, n: int, printed: float) -> None:
    p = T.variables_plan(lot, aql, limits="double")
    assert (p["form"], p["sample_size"], p["k"]) == (2, n, None)
    assert p["m"] == pytest.approx(printed, rel=0.01)


def test_printed_check_is_recorded_in_the_data() -> None:
    chk = T.load_table("variables_m_form2.json")["printed_check"]
    assert chk["cells_compared"] == len(chk["cells"]) == 116
    assert chk["cells_confirmed"] == sum(c["confirmed"] for c in chk["cells"]) == 99
    # the largest disagreement: C (n = 4), AQL 1.0 — k = 1.45 gives 1.67 %, printed 1.49 %
    worst = max(chk["cells"], key=lambda c: abs(c["m_derived"] - c["m_printed"]) / c["m_printed"])
    assert (worst["letter"], worst["aql_column"]) == ("C", "1.0")


@pytest.mark.parametrize("lot,aql,sev", [(1000, 0.65, "normal"), (40, 1.0, "normal"), (5000, 2.5, "tightened"),
                                          (150, 0.15, "normal"), (600, 1.0, "tightened")])
def test_form2_single_limit_accepts_what_form1_accepts(lot: int, aql: float, sev: str) -> None:
    f1 = T.variables_plan(lot, aql, severity=sev)
    f2 = T.variables_plan(lot, aql, severity=sev, limits="double")
    assert (f1["sample_size"], f1["plan_letter"]) == (f2["sample_size"], f2["plan_letter"])
    assert f1["m"] == f2["m"]
    n, k, m = f1["sample_size"], f1["k"], f1["m"]
    for q in (k - 0.3, k - 0.02, k + 0.02, k + 0.3):
        # one limit only: p̂(Q) ≤ M exactly when Q ≥ k (M stored to 4 significant digits)
        assert (T.estimated_percent_nonconforming(q, n) <= m) == (q >= k)


def test_form2_tightened_uses_next_smaller_aql_column() -> None:
    t = T.variables_plan(1000, 1.0, severity="tightened", limits="double")
    n = T.variables_plan(1000, 0.65, limits="double")
    assert t["m"] == n["m"] and t["sample_size"] == n["sample_size"] == 35


def test_form2_different_aqls() -> None:
    # Z1.9 Example B-4 rule: p_L ≤ M_L, p_U ≤ M_U and p_L + p_U ≤ max(M_L, M_U)
    p = T.variables_plan(1000, 0.65, limits="double", aql_upper=2.5)
    assert (p["aql_lower"], p["aql_upper"], p["aql"]) == (0.65, 2.5, None)
    assert p["m_lower"] == T.variables_plan(1000, 0.65)["m"] and p["m_upper"] == T.variables_plan(1000, 2.5)["m"]
    assert p["m"] == max(p["m_lower"], p["m_upper"])
    assert "p_L ≤ M_L" in p["rule_text"] and "the larger M" in p["rule_text"]
    # an arrow in one column only: the larger sample size serves both limits (lot 26–50, II → D;
    # AQL 0.10 → G, n = 15; AQL 2.5 has a plan at D)
    q = T.variables_plan(40, 2.5, limits="double", aql_lower=0.10)
    assert (q["code_letter"], q["plan_letter"], q["sample_size"], q["arrow"]) == ("D", "G", 15, "down")
    assert q["m_upper"] == T.variables_plan(200, 2.5)["m"]  # G at 2.5 (lot 151–280, II → G)
    with pytest.raises(InputError, match="double-limit"):
        T.variables_plan(1000, 0.65, aql_upper=1.0)
    with pytest.raises(InputError, match="single, double"):
        T.variables_plan(1000, 0.65, limits="both")


def test_form2_rule_text_explains_the_estimate() -> None:
    r = T.variables_plan(1000, 0.65, limits="double")["rule_text"]
    for piece in ("Q_U = (USL − x̄)/s", "Q_L = (x̄ − LSL)/s", "(n − 2)/2 = 16.5", "√n/(n − 1)",
                  "BETA.DIST", "p_U + p_L ≤ M = 1.87 %", "Form 2", "normally distributed"):
        assert piece in r


def test_form2_estimate_decides_like_the_rule() -> None:
    p = T.variables_plan(1000, 0.65, limits="double")  # n = 35, M = 1.87 %
    good = T.form2_estimate(p, 10.0, 0.30, 9.0, 11.0)
    assert good["accept"] and good["p_total"] == pytest.approx(good["p_upper"] + good["p_lower"])
    # each side alone below M (≈ 1.3 % each) but the sum above: rejected
    s = 1.0 / 2.2
    bad = T.form2_estimate(p, 10.0, s, 9.0, 11.0)
    assert bad["p_upper"] < p["m"] and bad["p_total"] > p["m"] and not bad["accept"]
    with pytest.raises(InputError, match="Form 2"):
        T.form2_estimate(T.variables_plan(1000, 0.65), 10.0, 0.3, 9.0, 11.0)


def _eval_formula(f: str, cells: dict[str, float | str]) -> object:
    """Evaluate the small formula subset of form2_calculator_formulas in Python."""
    import re

    from scipy.stats import beta

    expr = f[1:]
    for ref, v in cells.items():
        expr = re.sub(rf"(?<![A-Z$]){re.escape(ref)}(?![0-9])", repr(v), expr)
    expr = (expr.replace("BETA.DIST(", "_beta(").replace("TRUE()", "True").replace("ISNUMBER(", "_isnum(")
            .replace("IF(", "_if(").replace("AND(", "_and(").replace("MIN(", "min(").replace("MAX(", "max("))
    env = {"_beta": lambda x, a, b, c: beta.cdf(x, a, b), "_isnum": lambda v: isinstance(v, float),
           "_if": lambda c, a, b: a if c else b, "_and": lambda *a: all(a), "min": min, "max": max}
    return eval(expr, env)  # noqa: S307 - test helper on formulas built by pilotqa


def test_form2_calculator_formulas_match_the_estimate() -> None:
    p = T.variables_plan(1000, 0.65, limits="double", aql_upper=1.0)
    f = T.form2_calculator_formulas(p, "C5", "D5", lsl=9.0, usl=11.0)
    assert set(f) == {"q_upper", "q_lower", "p_upper", "p_lower", "p_total", "decision"}
    assert all(v.startswith("=") for v in f.values())
    for mean, s in ((10.0, 0.3), (10.3, 0.4), (9.6, 0.45), (10.0, 0.5)):
        ref = T.form2_estimate(p, mean, s, 9.0, 11.0)
        cells = {"C5": mean, "D5": s}
        assert _eval_formula(f["p_upper"], cells) == pytest.approx(ref["p_upper"], rel=1e-9, abs=1e-12)
        assert _eval_formula(f["p_lower"], cells) == pytest.approx(ref["p_lower"], rel=1e-9, abs=1e-12)
        assert _eval_formula(f["p_total"], cells) == pytest.approx(ref["p_total"], rel=1e-9, abs=1e-12)
        assert _eval_formula(f["decision"], cells) == ("accept" if ref["accept"] else "reject")
    # every formula is empty ("") until both inputs are numbers and s > 0
    guard = "IF(AND(ISNUMBER(C5),ISNUMBER(D5),D5>0),"
    assert all(v.startswith("=" + guard) and v.endswith(',"")') for v in f.values())


def test_form2_functions_read_the_typed_plan() -> None:
    from pilotqa.results import Plan, from_mapping

    d = T.variables_plan(1000, 0.65, limits="double", aql_upper=1.0)
    typed = from_mapping(Plan, d)
    assert T.form2_estimate(typed, 10.2, 0.35, 9.0, 11.0) == T.form2_estimate(d, 10.2, 0.35, 9.0, 11.0)
    assert T.form2_calculator_formulas(typed, "C5", "D5", 9.0, 11.0) == T.form2_calculator_formulas(d, "C5", "D5", 9.0, 11.0)


def test_form2_calculator_refuses_anything_but_cell_references() -> None:
    p = T.variables_plan(1000, 0.65, limits="double")
    for bad in ("C5)+HYPERLINK(\"x\"", "=A1", "A0", "C5;D5", "'Sheet'!'A1'"):
        with pytest.raises(InputError, match="cell reference"):
            T.form2_calculator_formulas(p, bad, "D5", 9.0, 11.0)
    assert T.form2_calculator_formulas(p, "'Plan'!$C$5", "Plan!D5", 9.0, 11.0)["p_total"].startswith("=IF(")
    with pytest.raises(InputError, match="Form 2"):
        T.form2_calculator_formulas(T.variables_plan(1000, 0.65), "C5", "D5", 9.0, 11.0)


def test_plan_for_feature_picks_the_form_and_says_the_lot_size() -> None:
    two = T.plan_for_feature(1000, 0.65, 9.0, 11.0)
    one = T.plan_for_feature(1000, 0.65, None, 11.0)
    assert (two.plan["form"], one.plan["form"]) == (2, 1)
    assert two.plan == T.variables_plan_for_limits(1000, 0.65, 9.0, 11.0)
    assert not two.lot_size_assumed and two.lot_size_note is None
    a = T.plan_for_feature(50, 0.65, 9.0, 11.0, lot_size_given=False,
                           lot_size_source="the pilot's mean lot size (150 parts in 3 lots)")
    assert a.lot_size_assumed and a.lot_size == 50
    assert "assumes lots of 50 parts, the pilot's mean lot size (150 parts in 3 lots)" in (a.lot_size_note or "")


def test_plan_keys_fit_the_typed_plan() -> None:
    # every key a variables plan carries is a field of the typed result (pilotqa.results.Plan)
    allowed = {"method", "sample_size", "lot_size", "rule_text", "standard", "code_letter", "plan_letter",
               "accept", "reject", "k", "aql", "level", "severity", "arrow", "lot_range", "hundred_percent",
               "pieces_per_lot", "periodic_every", "reaction_limits", "form", "m", "m_upper", "m_lower",
               "aql_upper", "aql_lower"}
    for p in (T.variables_plan(1000, 0.65), T.variables_plan(1000, 0.65, limits="double"),
              T.variables_plan(1000, 0.65, limits="double", aql_upper=1.0), T.variables_plan(20, 0.65, limits="double")):
        assert set(p) <= allowed


# ----------------------------------------------------------------------------- c = 0
@pytest.mark.parametrize(
    "lot,aql,n",
    [
        # Squeglia c = 0: lot 91–150, AQL 1.0 → 13 (both transcriptions; validation case
        # "N = 100, AQL 1.0 → n = 13, c = 0" of 3kids68/Advanced-Sampling-Plan-Analyzer)
        (100, 1.0, 13),
        # Squeglia c = 0: lot 16–25, AQL 1.0 → 13 (Elsmar forum quote of the DCMA copy)
        (20, 1.0, 13),
        # Squeglia c = 0: lot 501–1200, AQL 0.65 → 47; lot 3201–10000, AQL 0.10 → 192
        (1000, 0.65, 47),
        (5000, 0.10, 192),
        # Squeglia c = 0: lot 500001 and over, AQL 10 → 9
        (10**6, 10, 9),
    ],
)
def test_c0_plans(lot: int, aql: float, n: int) -> None:
    p = T.c0_plan(lot, aql)
    assert (p["sample_size"], p["accept"], p["reject"]) == (n, 0, 1)


def test_c0_asterisk_is_hundred_percent() -> None:
    # Squeglia c = 0: lot 2–8 at AQL 0.65 prints "*" (inspect every unit)
    p = T.c0_plan(6, 0.65)
    assert p["hundred_percent"] is True and p["sample_size"] == 6


def test_c0_withheld_cells() -> None:
    # ASQ "Ask the experts": 151–280 / AQL 1.0 is 20 in one and 29 in the other 5th-edition table.
    with pytest.raises(InputError, match="not verified"):
        T.c0_plan(200, 1.0)
    # The two transcriptions disagree at 3201–10000 / AQL 0.40 (86 vs 89).
    with pytest.raises(InputError, match="not verified"):
        T.c0_plan(5000, 0.40)
