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
