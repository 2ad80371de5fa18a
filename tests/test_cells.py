"""Reading-cell interpretation (pilotqa.read.cells): numbers in the spellings shops use,
explicit 'not measured' tokens, and refusals for everything else."""
from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilotqa.read.cells import MISSING, CellProblem, excel_column_letter, parse_cell, parse_column


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("0,012", 0.012),
        ("12.01 mm", 12.01),
        ("12,01mm", 12.01),
        ("+0.5", 0.5),
        ("\u22120.5", -0.5),  # Unicode minus sign
        ("1e-3", 0.001),
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),
        ("0.8 µm", 0.8),
        ("45°", 45.0),
        (3, 3.0),
        (2.5, 2.5),
        (" 42.0125 ", 42.0125),
    ],
)
def test_numbers(raw: object, expected: float) -> None:
    assert parse_cell(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", [None, "", "  ", "N/A", "n/a", "N/M", "NM", "-", "—", "not measured", float("nan")])
def test_not_measured(raw: object) -> None:
    assert parse_cell(raw) is MISSING


@pytest.mark.parametrize(
    "raw,fragment",
    [
        ("OK", "attribute"),
        ("NG", "attribute"),
        ("<0.001", "censored"),
        (">5", "censored"),
        ("abc", "not a number"),
        ("#DIV/0!", "spreadsheet error"),
        ("1.2.3", "ambiguous"),
        (True, "TRUE/FALSE"),
        (float("inf"), "infinite"),
    ],
)
def test_refused(raw: object, fragment: str) -> None:
    r = parse_cell(raw)
    assert isinstance(r, CellProblem)
    assert fragment in r.reason


def test_parse_column_reports_index_and_keeps_missing_apart() -> None:
    values, missing, problems = parse_column(pl.Series("v", ["1.5", "2,5", "N/M", "x", "", "7 mm"]))
    assert values.to_list()[:3] == [1.5, 2.5, None]
    assert values[5] == 7.0
    assert missing.to_list() == [False, False, True, False, True, False]
    assert [i for i, _ in problems] == [3]


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_repr_round_trip(x: float) -> None:
    r = parse_cell(repr(x))
    assert isinstance(r, float) and (r == x or (math.isclose(r, x)))


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: round(v, 4)))
def test_decimal_comma_round_trip(x: float) -> None:
    text = f"{x:.4f}".replace(".", ",")
    assert parse_cell(text) == pytest.approx(x, abs=1e-9)


@pytest.mark.parametrize("idx,letters", [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(idx: int, letters: str) -> None:
    assert excel_column_letter(idx) == letters
