"""Interpretation of single cells of an inspection export — shared by every reader.

A reading cell is one of:

* a number — also written with a decimal comma (``0,012``), thousands separators
  (``1,234.5`` / ``1.234,5``), a unit glued on (``12.01 mm``, ``0.5°``), or a leading ``+``;
* *not measured* — blank, ``N/A``, ``NA``, ``N/M``, ``NM``, ``-``, ``—``, ``n.m.``,
  ``not measured``: counted as missing, and the reader notes how many;
* anything else — ``OK``/``NG`` (an attribute result), ``<0.001`` (a censored reading), free
  text: an error naming the cell. Nothing is silently turned into a null.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

__all__ = [
    "MISSING_TOKENS",
    "ATTRIBUTE_TOKENS",
    "CellProblem",
    "Missing",
    "MISSING",
    "parse_cell",
    "parse_column",
    "excel_column_letter",
]

MISSING_TOKENS = frozenset(
    {"", "n/a", "na", "n.a.", "n/m", "nm", "n.m.", "-", "--", "—", "–", "not measured",
     "nicht gemessen", "none", "null", "nan", "#n/a"}
)
ATTRIBUTE_TOKENS = frozenset(
    {"ok", "ng", "nok", "n.i.o.", "i.o.", "io", "nio", "pass", "fail", "go", "nogo", "no-go",
     "no go", "accept", "reject", "acc", "rej", "good", "bad", "yes", "no"}
)
_UNITS = r"(?:mm|µm|um|μm|cm|m|in|inch|inches|\"|°|deg|degrees|ra|rz|n|nm|kg|g|%|mrad|rad|')"
_NUM = r"[+-]?(?:\d[\d.,]*|[.,]\d+)(?:[eE][+-]?\d+)?"
_NUM_UNIT_RE = re.compile(rf"^\s*({_NUM})\s*({_UNITS})?\s*$", re.IGNORECASE)
#: Longest text read as a number (a longer cell is "not a number" without pattern matching).
_MAX_READING_CHARS = 100
_THOUSANDS_DOT_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$")  # 1,234.5
#: A reading with a decimal comma and nothing else (``-0,012``), read in whole columns.
_DECIMAL_COMMA = r"^[+-]?[0-9]+,[0-9]+$"
_THOUSANDS_COMMA_RE = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$")  # 1.234,5


class Missing:
    """Sentinel: the cell explicitly says *not measured*."""

    _instance: "Missing | None" = None

    def __new__(cls) -> "Missing":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


@dataclass(frozen=True)
class CellProblem:
    """Why a cell is not a reading; ``reason`` is a sentence for the user."""

    raw: str
    reason: str


def parse_cell(raw: Any) -> float | Missing | CellProblem:
    """Interpret one reading cell (see module docstring). Never raises."""
    if raw is None:
        return MISSING
    if isinstance(raw, bool):
        return CellProblem(str(raw), "a TRUE/FALSE value is not a measured reading")
    if isinstance(raw, (int, float)):
        try:
            x = float(raw)
        except OverflowError:  # a whole number past the float range (from a TOML spec file)
            return CellProblem(str(raw)[:32] + "…", "a number beyond the floating-point range "
                                                    "(about 1.8e308) is not a reading")
        if math.isnan(x):
            return MISSING
        if math.isinf(x):
            return CellProblem(str(raw), "an infinite value is not a measured reading")
        return x
    s = str(raw).replace("\u00a0", " ").replace("\u2212", "-").strip()
    if len(s) > _MAX_READING_CHARS:  # no reading is this long (and the patterns below stay linear)
        return CellProblem(s, f"'{s[:32]}…' ({len(s):,} characters) is not a number")
    low = s.lower()
    if low in MISSING_TOKENS:
        return MISSING
    if low in ATTRIBUTE_TOKENS:
        return CellProblem(s, f"'{s}' is an attribute (go/no-go) result, not a measured value")
    if s[:1] in "<>≤≥":
        return CellProblem(
            s, f"'{s}' is a censored reading (below/above the gauge's range); enter a value"
        )
    if s.startswith("#"):
        return CellProblem(s, f"'{s}' is a spreadsheet error value")
    if s.startswith("=") and len(s) > 1:
        return CellProblem(s, f"'{s}' is a formula without a saved result (the file was written by a "
                              "program that does not calculate formulas; open and save it in Excel "
                              "or LibreOffice)")
    m = _NUM_UNIT_RE.match(s)
    if not m:
        return CellProblem(s, f"'{s}' is not a number")
    num = m.group(1)
    if _THOUSANDS_DOT_RE.match(num):
        num = num.replace(",", "")
    elif _THOUSANDS_COMMA_RE.match(num):
        num = num.replace(".", "").replace(",", ".")
    elif "," in num or num.count(".") > 1:
        if num.count(",") > 1 or ("." in num and "," in num) or num.count(".") > 1:
            return CellProblem(s, f"'{s}' mixes decimal and thousands separators ambiguously")
        num = num.replace(",", ".")
    try:
        x = float(num)
    except ValueError:
        return CellProblem(s, f"'{s}' is not a number")
    if math.isinf(x) or math.isnan(x):
        return CellProblem(s, f"'{s}' is not a finite number")
    return x


def parse_column(col: pl.Series) -> tuple[pl.Series, pl.Series, list[tuple[int, CellProblem]]]:
    """Parse a whole column of reading cells, vectorised for the common all-numeric case.

    Returns ``(values, missing, problems)``: ``values`` Float64 (null where missing or bad),
    ``missing`` Boolean (True where the cell says *not measured*), and ``problems`` as
    ``(0-based index, CellProblem)`` — the caller turns the first into an InputError with the
    cell's place.
    """
    if col.dtype.is_numeric():
        v = col.cast(pl.Float64)
        bad_inf = v.is_infinite().fill_null(False)
        missing = v.is_null() | v.is_nan().fill_null(False)
        problems = [(int(i), CellProblem(str(v[int(i)]), "an infinite value is not a measured reading"))
                    for i in bad_inf.arg_true().to_list()]
        return v.fill_nan(None), missing, problems
    s = col.cast(pl.String)
    stripped = s.str.strip_chars() if s.str.contains(r"^\s|\s$").any() else s
    fast = stripped.cast(pl.Float64, strict=False)
    # a decimal comma between ASCII digits ("0,012"): parse_cell reads it as the decimal point
    odd = (fast.is_null() & s.is_not_null()).arg_true()
    if len(odd):
        sub = stripped.gather(odd)
        comma = sub.str.contains(_DECIMAL_COMMA)
        if comma.any():
            at = odd.filter(comma)
            fast = fast.scatter(at, sub.filter(comma).str.replace(",", ".", literal=True)
                                .cast(pl.Float64, strict=False))
    slow = (fast.is_null() | fast.is_infinite() | fast.is_nan()).fill_null(True)  # "nan" text: as parse_cell
    blank = s.is_null()
    slow_idx = (slow & ~blank).arg_true().to_list()
    values = fast.fill_nan(None)
    missing = blank
    problems = []
    if slow_idx:
        got: list[float | None] = []
        miss: list[bool] = []
        for i in slow_idx:
            r = parse_cell(s[i])
            if isinstance(r, Missing):
                got.append(None)
                miss.append(True)
            elif isinstance(r, CellProblem):
                got.append(None)
                miss.append(False)
                problems.append((i, r))
            else:
                got.append(r)
                miss.append(False)
        at = pl.Series(slow_idx, dtype=pl.Int64)
        values = values.scatter(at, pl.Series(got, dtype=pl.Float64))
        missing = missing.scatter(at, pl.Series(miss, dtype=pl.Boolean))
    return values.alias(col.name), missing.alias("missing"), problems


def excel_column_letter(idx0: int) -> str:
    """0-based column index -> spreadsheet letter (0 -> A, 27 -> AB)."""
    out = ""
    n = idx0 + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out
