"""Characteristic-per-row inspection reports (FAI / dimensional reports built in Excel).

The layout: a title and a header block (``Part number: HSG-4711``, ``Revision: C`` …), then a
table with **one row per characteristic** — balloon, characteristic text, nominal, tolerances,
unit, method — and **one column per serial number** holding the readings, then notes and
signature lines. It is the transpose of the wide layout. :mod:`pilotqa.read.tabular` hands each
sheet's raw grid to :func:`looks_like_charrows` and, when it answers yes, :func:`read_charrows`.

Finding the table (by content, never by cell address)
    The header row is the first row holding a characteristic heading (characteristic,
    description, feature, requirement …), a spec heading (nominal, +tol, −tol, ±, USL, LSL,
    max, min …) and, right of the characteristic column, at least one reading heading — a
    serial such as ``7``, ``#7``, ``Part 7``, ``S/N 007``, ``Serial 7``, ``SN0007``. When the
    serials sit in the row below (headings merged over two rows, ``Tolerance`` over ``+``/``−``,
    ``Serial No.`` over the serials), the two rows are read as one header. The table ends at
    the first blank row after data, or at a row starting with notes, remarks, comments,
    signature, approved, inspected/checked/prepared by. Rows between the header and the data
    labelled ``Lot``/``Batch`` give the lot of each column, rows labelled ``Date`` its time.
    A row with a text but neither spec nor readings is a section title and is skipped; rows
    labelled Mean, Min, Max, Result, Pass/Fail … without spec are summary rows, skipped with a
    note. A value in a column without heading (right of the characteristic) is an InputError.

Tolerance conventions (decided per table, never guessed)
    * ``USL``/``LSL``/``Max``/``Min`` (before the readings) are absolute limits.
    * ``+Tol`` is a signed offset. ``−Tol``/``Lower Tol``: every value ≥ 0 → magnitudes
      (LSL = nominal − value); every value ≤ 0 → signed (LSL = nominal + value); mixed signs →
      :class:`~pilotqa.errors.SpecError` naming the rows.
    * ``±``/``Tol``: LSL = nominal − t, USL = nominal + t.
    * ``Upper``/``Lower`` alone: limits when every row with values fits only limits (lower ≤
      nominal ≤ upper, offsets as large as the nominal), offsets when every row fits only
      offsets; otherwise refused. As offsets, a lower column with positive values is refused.
    * Limits and offsets both given: they must agree on each row.
    * Empty nominal and tolerance cells: the tolerance written in the characteristic text
      (:mod:`pilotqa.read.tolerance_text`); when cells and text both give one, they must agree.
    * Geometric rows (⌖ ⏥ ↗ ⌓ ⟂ ∥ ◎ …, their names, Ra/Rz): nominal 0 when blank, no LSL
      (0 is the natural boundary, not a limit), USL = nominal + tol, ``lower_bound_zero``.
    * Any other one-sided offset (``+Tol`` without ``−Tol`` on a non-geometric row) is refused.

Feature names
    The text of a ``Char ID``/``Feature name`` column if there is one; else
    ``"<balloon> <characteristic text>"`` (e.g. ``"1 Ø42 H7 bore A"``) when a balloon column
    exists, else the characteristic text; whitespace collapsed. Duplicates are an InputError
    naming both rows.

Reading cells go through :func:`pilotqa.read.cells.parse_cell`: OK/NG and text are an
InputError with the cell address; blanks and N/M are missing and counted in a note per feature.
Reading columns whose every cell is empty (unused template columns) are dropped with a note.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from pilotqa.errors import InputError, SpecError
from pilotqa.model import MEASUREMENT_SCHEMA, SPEC_SCHEMA, Inspection
from pilotqa.read.cells import CellProblem, Missing, excel_column_letter, parse_cell
from pilotqa.read.charrows_header import LOT_LABELS as _LOT_LABELS
from pilotqa.read.charrows_header import UNIT_IN_HEADING_RE as _UNIT_IN_HEADING_RE
from pilotqa.read.charrows_header import display_text as _text
from pilotqa.read.charrows_header import is_blank as _blank
from pilotqa.read.charrows_header import norm_label as _norm
from pilotqa.read.charrows_header import read_metadata as _metadata
from pilotqa.read.dates import parse_datetime
from pilotqa.read import gonogo  # go/no-go (attribute) rows
from pilotqa.read.layout import HINT
from pilotqa.read.limits import add_decimal
from pilotqa.read.specs import normalize_class
from pilotqa.read.vocabulary import DATE_LABELS as _DATE_LABELS
from pilotqa.read.vocabulary import report_roles
from pilotqa.read.tolerance_text import (
    TextTolerance,
    ToleranceTextError,
    geometric_kind,
    parse_tolerance_text,
)

if TYPE_CHECKING:
    from pilotqa.read import ReadOptions

__all__ = ["LAYOUT", "looks_like_charrows", "read_charrows", "find_table", "Table"]

LAYOUT = "characteristic-rows"
_MAX_HEADER_SCAN = 200  # rows searched for the table header


def _w(words: str) -> frozenset[str]:
    return frozenset(words.split("|"))


#: Column headings (normalised by _norm) -> role (pilotqa.read.vocabulary.REPORT_ROLES).
_ROLE_HEADINGS: dict[str, frozenset[str]] = report_roles()
_FIELD_NO_RE = re.compile(r"^\d{1,2}\.?\s+")
#: AS9102 Form 3 column headings (fields 5-11, Rev B/C), normalised
AS9102_HEADINGS = frozenset({"char no", "reference location", "characteristic designator",
                             "requirement", "designed / qualified tooling",
                             "designed/qualified tooling", "nonconformance number"})
_AS9102_RESULTS = frozenset({"results", "result", "actual results"})
_SPEC_ROLES = frozenset({"nominal", "plus_tol", "minus_tol", "pm_tol", "usl", "lsl",
                         "upper_ambig", "lower_ambig"})
_LONG_MARKERS = frozenset({"value", "actual", "measured", "measured value", "part_id", "part id",
                           "serial", "serial no", "s/n", "part no", "sequence", "reading"})
_TOL_GROUP = frozenset({"tolerance", "tolerances", "tol", "deviation", "deviations", "allowance"})
_LIMIT_GROUP = frozenset({"limits", "limit", "spec limits", "specification", "spec",
                          "specification limits", "tolerance limits"})
_READ_GROUP = frozenset({"serial no", "serial number", "serial numbers", "s/n", "serial",
                         "part no", "part number", "parts", "readings", "results", "actual",
                         "actuals", "measured", "measured values", "measurements",
                         "actual values", "sample", "samples", "part", "pieces", "serials"})
_UPPERISH = frozenset({"+", "upper", "plus", "max", "+tol", "up", "hi", "high", "usl"})
_LOWERISH = frozenset({"-", "lower", "minus", "min", "-tol", "low", "lo", "lsl"})
_SERIAL_RE = re.compile(
    r"^(?:(?:part|serial|s/n|sn|pc|piece|sample|no|nr|#|p)\s*[-#.:]?\s*)?[a-z0-9][a-z0-9\-_/.]*$"
)
_STOP_RE = re.compile(  # "Notes:" / "NOTES" end a table, "Note hole" (a characteristic) does not
    r"^(?:(?:notes?|remarks?|comments?|legend|disposition|signatures?)\s*(?::|$)|signed\b|"
    r"approved\b|approval\b|(?:inspected|checked|prepared|reviewed|verified|released|accepted) by\b|"
    r"inspector\b|end of report\b)",
    re.IGNORECASE,
)
_DIAMONDS = frozenset({"◆", "♦", "◇", "<cc>", "<kc>"})  # drawing marks of a critical characteristic
_CLASS_MARK_RE = re.compile(r"(?<![A-Za-z])(?:CC|KC)(?![A-Za-z])|[◆♦]|(?i:\bcritical\b)")




def _role(v: Any, colmap: dict[str, str]) -> str | None:
    """Role of a heading cell: a key of _ROLE_HEADINGS, 'reading', 'other' or None (empty)."""
    if _blank(v):
        return None
    n = _norm(v)
    if n in colmap:
        return colmap[n]
    bare = _FIELD_NO_RE.sub("", n)  # AS9102 numbers its fields: "5. Char No."
    for role, names in _ROLE_HEADINGS.items():
        if n in names or bare in names:
            return role
    if isinstance(v, bool) or isinstance(v, (datetime, date)):
        return "other"
    if isinstance(v, (int, float)):
        return "reading"
    if any(ch.isdigit() for ch in n) and _SERIAL_RE.match(n):
        return "reading"
    return "other"


_CANONICAL_ROLES = {
    "nominal": "nominal", "lsl": "lsl", "usl": "usl", "+tol": "plus_tol", "upper_tol": "plus_tol",
    "plus_tol": "plus_tol", "-tol": "minus_tol", "lower_tol": "minus_tol",
    "minus_tol": "minus_tol", "tol": "pm_tol", "pm_tol": "pm_tol", "unit": "unit",
    "class": "cls", "feature": "feature", "characteristic": "feature", "balloon": "balloon",
    "name": "name", "ignore": "other", "part_id": "reading", "tol_plus": "plus_tol",
    "tol_minus": "minus_tol", "upper": "upper_ambig", "lower": "lower_ambig",
}


@dataclass
class Table:
    """Where the table is and what each column is (0-based indices)."""

    header_rows: list[int]
    headings: list[str]
    roles: list[str | None]
    first_data_row: int
    # filled by the row scan
    data_rows: list[int] = field(default_factory=list)
    lot_row: int | None = None
    date_row: int | None = None
    section_rows: list[int] = field(default_factory=list)
    summary_rows: list[int] = field(default_factory=list)
    end_row: int = 0
    end_reason: str = "end of sheet"

    def cols(self, role: str) -> list[int]:
        return [i for i, r in enumerate(self.roles) if r == role]

    def col(self, role: str) -> int | None:
        c = self.cols(role)
        return c[0] if c else None

    def label(self, c: int) -> str:
        return f"{excel_column_letter(c)} ({self.headings[c]})" if self.headings[c] else excel_column_letter(c)


def _classify_row(cells: list[Any], colmap: dict[str, str]) -> list[str | None]:
    roles = [_role(v, colmap) for v in cells]
    try:
        feat = roles.index("feature")
    except ValueError:
        return roles
    first_reading = next((i for i, r in enumerate(roles) if r == "reading" and i > feat), None)
    for i, r in enumerate(roles):
        if r == "reading" and i < feat:
            roles[i] = "other"
        elif r in {"usl", "lsl"} and first_reading is not None and i > first_reading:
            roles[i] = "summary"  # Max/Min right of the readings are statistics, not limits
    return roles


def _combine(top: list[Any], bottom: list[Any]) -> tuple[list[Any], list[str]]:
    """Headings of a two-row header: merged group cells in ``top`` apply to the cells below.

    Returns the headings to classify (``Tolerance`` over ``Upper`` -> ``+tol``) and the
    headings to show in messages (``Tolerance Upper``).
    """
    out: list[Any] = []
    shown: list[str] = []
    group = ""
    width = max(len(top), len(bottom))
    for c in range(width):
        t = top[c] if c < len(top) else None
        b = bottom[c] if c < len(bottom) else None
        if not _blank(t):
            group = _norm(t)
        elif _blank(b):
            group = ""
        shown.append(" ".join(_text(x) for x in (t, b) if not _blank(x)))
        if _blank(b):
            out.append(t)
            continue
        g = group if _blank(t) else _norm(t)
        nb = _norm(b)
        if g in _TOL_GROUP and nb in _UPPERISH | _LOWERISH:
            out.append("+tol" if nb in _UPPERISH else "-tol")
        elif g in _LIMIT_GROUP and nb in _UPPERISH | _LOWERISH:
            out.append("usl" if nb in _UPPERISH else "lsl")
        elif g in _READ_GROUP:
            out.append(b)
        elif _blank(t):
            out.append(b)
        else:
            out.append(t if _role(t, {}) not in {None, "other"} else b)
    return out, shown


def _header_ok(roles: list[str | None], row: list[Any] | None = None) -> bool:
    """Feature, spec and reading headings; or, for an AS9102 Form 3 (tolerance in the
    Requirement text), feature and reading headings with two AS9102 field names."""
    if "feature" not in roles or "reading" not in roles:
        return False
    return any(r in _SPEC_ROLES for r in roles) or (row is not None and is_as9102_header(row))


def _as9102_results(roles: list[str | None], row: list[Any]) -> list[str | None]:
    """An AS9102 Form 3 of one part holds its readings in the ``9. Results`` column (the serial
    is field 3 of the header block): that column is the reading column."""
    if "reading" in roles or not is_as9102_header(row):
        return roles
    for c, v in enumerate(row):
        if _FIELD_NO_RE.sub("", _norm(v)) in _AS9102_RESULTS:
            return [("reading" if i == c else x) for i, x in enumerate(roles)]
    return roles


def is_as9102_header(row: list[Any]) -> bool:
    """True for the column headings of an AS9102 Form 3 (Char No., Reference Location,
    Characteristic Designator, Requirement, Designed/Qualified Tooling …; at least two)."""
    names = {_FIELD_NO_RE.sub("", _norm(v)) for v in row if not _blank(v)}
    return len(names & AS9102_HEADINGS) >= 2


def find_table(rows: list[list[Any]], colmap: dict[str, str] | None = None,
               header_row: int | None = None) -> Table | None:
    """Locate the header row(s) of a characteristic-per-row table, or None; ``header_row``
    (0-based, from ``--header-row``) is the only row tried."""
    cmap = {_norm(k): _CANONICAL_ROLES.get(v.strip().lower(), "other")  # keys as headings are
            for k, v in (colmap or {}).items()}                      # normalised ("Abw. oben")
    for r in range(min(len(rows), _MAX_HEADER_SCAN)) if header_row is None else [header_row]:
        row = rows[r]
        roles = _as9102_results(_classify_row(row, cmap), row)
        if "feature" not in roles or not (any(x in _SPEC_ROLES for x in roles)
                                          or is_as9102_header(row)):
            continue
        if r + 1 < len(rows) and "reading" not in roles:
            nxt = rows[r + 1]
            fcol = roles.index("feature")
            if fcol >= len(nxt) or _blank(nxt[fcol]):
                heads, shown = _combine(row, nxt)
                roles2 = _classify_row(heads, cmap)
                if _header_ok(roles2):
                    shown = [_text(h) if roles2[c] == "reading" else shown[c] for c, h in enumerate(heads)]
                    return Table([r, r + 1], shown,
                                 _resolve_ambiguous(roles2, rows, r), r + 2)
        if _header_ok(roles, row) and not any(_norm(v) in _LONG_MARKERS for v in row):
            return Table([r], [_text(h) if not _blank(h) else "" for h in row],
                         _resolve_ambiguous(roles, rows, r), r + 1)
    return None


def _resolve_ambiguous(roles: list[str | None], rows: list[list[Any]], r: int) -> list[str | None]:
    """'Upper'/'Lower' under a merged 'Tolerance' or 'Limits' cell in the row above."""
    if r == 0 or not any(x in {"upper_ambig", "lower_ambig"} for x in roles):
        return roles
    above, group, out = rows[r - 1], "", list(roles)
    for c, role in enumerate(roles):
        if c < len(above) and not _blank(above[c]):
            group = _norm(above[c])
        if role in {"upper_ambig", "lower_ambig"}:
            up = role == "upper_ambig"
            if group in _TOL_GROUP:
                out[c] = "plus_tol" if up else "minus_tol"
            elif group in _LIMIT_GROUP:
                out[c] = "usl" if up else "lsl"
    return out


def looks_like_charrows(rows: list[list[Any]], column_map: dict[str, str] | None = None,
                        header_row: int | None = None) -> bool:
    """True when the grid holds a characteristic-per-row table (see the module docstring).

    ``column_map`` is ``ReadOptions.column_map`` (``--map``), so mapped headings count too;
    ``header_row`` (0-based) restricts the search to that row.
    """
    return find_table(rows, column_map, header_row) is not None



# ----------------------------------------------------------------------------------------------
# rows of the table


def _scan_rows(rows: list[list[Any]], t: Table, where: dict[str, Any]) -> None:
    """Fill data rows, lot/date rows, section rows and the end of the table."""
    reading_cols = t.cols("reading")
    label_cols = [c for c in (t.col("balloon"), t.col("name"), t.col("feature")) if c is not None]
    spec_cols = [i for i, r in enumerate(t.roles) if r in _SPEC_ROLES]
    t.end_row = len(rows) - 1
    for r in range(t.first_data_row, len(rows)):
        row = rows[r]
        cell = lambda c: row[c] if c < len(row) else None  # noqa: E731
        if all(_blank(v) for v in row):
            if t.data_rows:
                t.end_row, t.end_reason = r - 1, f"blank row {r + 1}"
                return
            continue
        first = next(v for v in row if not _blank(v))
        if isinstance(first, str) and _STOP_RE.match(first.strip()):
            t.end_row, t.end_reason = r - 1, f"row {r + 1} '{_text(first)[:40]}'"
            return
        labels = [_norm(cell(c)) for c in label_cols if not _blank(cell(c))]
        if labels and labels[0] in _LOT_LABELS and all(_blank(cell(c)) for c in spec_cols):
            t.lot_row = r
            continue
        if labels and labels[0] in _DATE_LABELS and all(_blank(cell(c)) for c in spec_cols):
            t.date_row = r
            continue
        if (labels and labels[-1] in _ROLE_HEADINGS["summary"] | {"min", "max", "minimum", "maximum"}
                and all(_blank(cell(c)) for c in spec_cols)):
            t.summary_rows.append(r)  # "Result: OK OK NG", "Mean", "Cpk" … per serial
            continue
        has_reading = any(not _blank(cell(c)) for c in reading_cols)
        has_spec = any(not _blank(cell(c)) for c in spec_cols)
        if not labels:
            if has_reading or has_spec:
                raise InputError("this table row has readings or a spec but no characteristic "
                                 "(balloon, name or characteristic text)", row=r + 1, **where)
            continue
        if not has_reading and not has_spec:
            txt = _text(cell(t.col("feature"))) if t.col("feature") is not None else ""
            try:
                tt = parse_tolerance_text(txt)
            except ToleranceTextError:
                tt = True  # type: ignore[assignment]  # a tolerance is there: a characteristic
            if tt is None:
                t.section_rows.append(r)
                continue
        t.data_rows.append(r)


# ----------------------------------------------------------------------------------------------
# specs


def _num(v: Any, *, where: dict[str, Any], what: str) -> float | None:
    if isinstance(v, str):
        v = v.strip().lstrip("±").removeprefix("+/-").strip()
    p = parse_cell(v)
    if isinstance(p, Missing):
        return None
    if isinstance(p, CellProblem):
        raise SpecError(f"{what}: {p.reason}", **where)
    return p


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@dataclass
class _Conv:
    minus: str = "magnitude"  # magnitude | signed
    ambig: str | None = None  # limits | offsets (for Upper/Lower headings)
    text: list[str] = field(default_factory=list)


def _decide_conventions(t: Table, vals: dict[int, dict[str, float | None]],
                        where: dict[str, Any]) -> _Conv:
    conv = _Conv()
    mcol = t.col("minus_tol")
    if mcol is not None:
        pos = [r for r in t.data_rows if (vals[r]["minus_tol"] or 0) > 0]
        neg = [r for r in t.data_rows if (vals[r]["minus_tol"] or 0) < 0]
        if pos and neg:
            raise SpecError(
                f"column {t.label(mcol)} mixes signs: negative on row(s) "
                f"{', '.join(str(r + 1) for r in neg)}, positive on row(s) "
                f"{', '.join(str(r + 1) for r in pos)} — a lower tolerance is either a magnitude "
                "(all ≥ 0, LSL = nominal − value) or signed (all ≤ 0); make the column consistent",
                row=(neg if len(neg) <= len(pos) else pos)[0] + 1, column=t.label(mcol), **where)
        conv.minus = "signed" if neg else "magnitude"
        conv.text.append(f"column {t.label(mcol)} read as "
                         + ("signed offsets (LSL = nominal + value)" if neg else
                            "positive magnitudes (LSL = nominal − value)"))
    ucol, lcol = t.col("upper_ambig"), t.col("lower_ambig")
    if ucol is None and lcol is None:
        return conv
    only_lim: list[int] = []
    only_off: list[int] = []
    for r in t.data_rows:
        v = vals[r]
        nom, up, lo = v["nominal"], v["upper_ambig"], v["lower_ambig"]
        if nom is None or (up is None and lo is None):
            continue
        lim_ok = (lo is None or lo <= nom) and (up is None or up >= nom)
        off_ok = nom == 0 or all(x is None or abs(x) < abs(nom) for x in (up, lo))
        if lim_ok and not off_ok:
            only_lim.append(r)
        elif off_ok and not lim_ok:
            only_off.append(r)
        elif not lim_ok and not off_ok:
            raise SpecError("the 'Upper'/'Lower' values fit neither limits (lower ≤ nominal ≤ "
                            "upper) nor offsets from the nominal", row=r + 1, **where)
    heads = " and ".join(t.label(c) for c in (ucol, lcol) if c is not None)
    fix = ("rename the headings to USL/LSL (limits) or +Tol/−Tol (offsets from the nominal)")
    if only_lim and only_off:
        raise SpecError(
            f"columns {heads} hold limits on row(s) {', '.join(str(r + 1) for r in only_lim)} "
            f"but offsets on row(s) {', '.join(str(r + 1) for r in only_off)}; {fix}",
            row=only_off[0] + 1, **where)
    if not only_lim and not only_off:
        first = next((r for r in t.data_rows if vals[r]["upper_ambig"] is not None
                      or vals[r]["lower_ambig"] is not None), t.data_rows[0] if t.data_rows else 0)
        raise SpecError(f"columns {heads} could hold limits or offsets from the nominal — their "
                        f"values fit both; {fix}", row=first + 1, **where)
    conv.ambig = "limits" if only_lim else "offsets"
    if conv.ambig == "offsets" and lcol is not None:
        pos = [r for r in t.data_rows if (vals[r]["lower_ambig"] or 0) > 0]
        if pos:
            raise SpecError(
                f"column {t.label(lcol)} holds offsets, some positive (row(s) "
                f"{', '.join(str(r + 1) for r in pos)}): is 0.01 below or above the nominal? "
                "rename it '−Tol' (values are magnitudes) or write signed values",
                row=pos[0] + 1, column=t.label(lcol), **where)
    conv.text.append(f"columns {heads} read as {conv.ambig}")
    return conv


def _row_spec(r: int, t: Table, v: dict[str, float | None], conv: _Conv, text: str,
              where: dict[str, Any]) -> tuple[float | None, float | None, float | None, bool, str]:
    """nominal, lsl, usl, lower_bound_zero and where the tolerance came from, for one row."""
    here = {**where, "row": r + 1}
    geo = geometric_kind(text)
    try:
        tt: TextTolerance | None = parse_tolerance_text(text)
    except ToleranceTextError as e:
        tt, text_err = None, str(e)
    else:
        text_err = ""
    lbz = geo is not None
    nom = v["nominal"]
    plus, pm = v["plus_tol"], v["pm_tol"]
    m_raw = v["minus_tol"]  # internally ``minus`` is a magnitude: LSL = nominal - minus
    minus = None if m_raw is None else (m_raw if conv.minus == "magnitude" else -m_raw)
    usl_c, lsl_c = v["usl"], v["lsl"]
    if conv.ambig == "limits":
        usl_c = usl_c if v["upper_ambig"] is None else v["upper_ambig"]
        lsl_c = lsl_c if v["lower_ambig"] is None else v["lower_ambig"]
    elif conv.ambig == "offsets":
        plus = plus if v["upper_ambig"] is None else v["upper_ambig"]
        minus = minus if v["lower_ambig"] is None else -v["lower_ambig"]  # signed (all <= 0)
    tol_given = any(x is not None for x in (plus, minus, pm, usl_c, lsl_c))
    if not tol_given:
        if text_err:
            raise SpecError(f"the characteristic text gives no usable tolerance: {text_err}; "
                            "enter nominal and tolerances in their columns", **here)
        if tt is not None:
            if nom is not None and tt.nominal is not None and not _close(nom, tt.nominal):
                raise SpecError(f"the nominal cell ({nom:g}) disagrees with the characteristic "
                                f"text '{tt.matched}' (nominal {tt.nominal:g})", **here)
            nom = nom if nom is not None else tt.nominal
            return nom, tt.lsl, tt.usl, (lbz or tt.lower_bound_zero) and not nom, f"text '{tt.matched}'"
        return nom if nom is not None or not lbz else 0.0, None, None, lbz and not nom, "nominal only"
    if nom is None and (lbz or (tt is not None and tt.lower_bound_zero)):
        nom = 0.0
    # offsets
    if (plus is not None or minus is not None or pm is not None) and nom is None:
        raise SpecError("tolerances are given but no nominal; enter the nominal "
                        "(0 for a geometric tolerance) or give USL/LSL", **here)
    o_usl = o_lsl = None
    if pm is not None:
        if pm < 0:
            raise SpecError(f"the ± tolerance {pm:g} is negative", **here)
        o_usl, o_lsl = add_decimal(nom, pm), add_decimal(nom, -pm)  # type: ignore[arg-type]
    if plus is not None or minus is not None:
        if minus is None and not lbz:
            raise SpecError("+Tol is given but −Tol is empty: is the lower tolerance 0 or is "
                            "there no lower limit? enter 0, or give USL/LSL", **here)
        if plus is None:
            raise SpecError("−Tol is given but +Tol is empty: is the upper tolerance 0 or is "
                            "there no upper limit? enter 0, or give USL/LSL", **here)
        pu = add_decimal(nom, plus)  # type: ignore[arg-type]
        pl_ = add_decimal(nom, -minus) if minus is not None else None  # type: ignore[arg-type]
        if o_usl is not None and not (_close(o_usl, pu) and _close(o_lsl, pl_)):
            raise SpecError("the ± column and the +Tol/−Tol columns disagree", **here)
        o_usl, o_lsl = pu, pl_
    usl, lsl = o_usl, o_lsl
    for name, off, lim in (("USL", o_usl, usl_c), ("LSL", o_lsl, lsl_c)):
        if lim is not None and off is not None and not _close(off, lim):
            raise SpecError(f"{name} {lim:g} disagrees with nominal and tolerance "
                            f"(which give {off:g})", **here)
    usl = usl_c if usl_c is not None else usl
    lsl = lsl_c if lsl_c is not None else lsl
    lbz = lbz and not nom  # a two-sided "position X 25 ±0.05" is a coordinate, not a zone
    if lbz and lsl is not None and lsl <= 0:
        lsl = None  # 0 is the natural boundary of a geometric tolerance, not a limit
    if tt is not None:
        tnom = tt.nominal if tt.nominal is not None else nom
        if not (_close(tt.usl, usl) and _close(tt.lsl, lsl) and _close(tnom, nom)):
            raise SpecError(
                f"the characteristic text '{tt.matched}' (LSL {tt.lsl}, USL {tt.usl}) disagrees "
                f"with the nominal/tolerance columns (nominal {nom}, LSL {lsl}, USL {usl}); "
                "correct one of them", **here)
    if lsl is not None and usl is not None and lsl >= usl:
        raise SpecError(f"LSL {lsl:g} is not below USL {usl:g}", **here)
    if nom is not None and ((lsl is not None and nom < lsl) or (usl is not None and nom > usl)):
        raise SpecError(f"nominal {nom:g} lies outside the limits (LSL {lsl}, USL {usl}); are "
                        "absolute limits given where offsets are meant, or the reverse?", **here)
    return nom, lsl, usl, lbz, "columns"


def _class(r: int, t: Table, row: list[Any], text: str, where: dict[str, Any]) -> str | None:
    """Class from the class column (synonyms of :func:`pilotqa.read.specs.normalize_class`, or
    a diamond), else ``critical`` when the text carries a CC/KC/◆/"critical" mark, else None."""
    c = t.col("cls")
    if c is not None and c < len(row) and not _blank(row[c]):
        if _norm(row[c]) in _DIAMONDS:
            return "critical"
        return normalize_class(_text(row[c]), **where, row=r + 1, column=t.label(c))
    return "critical" if _CLASS_MARK_RE.search(text) else None


# ----------------------------------------------------------------------------------------------
# the reader


def _timestamp(v: Any, where: dict[str, Any]) -> datetime | None:
    if _blank(v) or isinstance(v, datetime):
        return v or None
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    ts = parse_datetime(str(v))  # ISO or dd.mm.yyyy (pilotqa.read.dates)
    if ts is None:
        raise InputError(f"'{_text(v)}' in the date row is not a date (use ISO, e.g. 2026-10-05)",
                         **where)
    return ts


def read_charrows(rows: list[list[Any]], *, file: str, sheet: str | None,
                  opts: "ReadOptions") -> Inspection:
    """Read one sheet holding a characteristic-per-row inspection report.

    ``rows`` is the sheet's raw grid (rows[0] = spreadsheet row 1; openpyxl values, or strings
    for CSV; merged ranges carry their value in the top-left cell); ``file``/``sheet`` name the
    place in messages; ``opts.column_map`` assigns roles to headings (canonical names of
    :data:`pilotqa.read.specs.CANONICAL_NAMES`: ``nominal``, ``lsl``, ``usl``, ``tol_plus``,
    ``tol_minus``, ``tol``, ``upper``, ``lower``, ``unit``, ``class``, ``feature``, ``part_id``;
    also ``balloon``, ``name``, ``ignore``).

    Returns an Inspection of layout ``characteristic-rows``: part_id = serial heading, lot from
    a Lot row or the header block (else null), sequence = column order 1…n, timestamp from a
    Date row (else null), specs and metadata as in the module docstring, ``details`` for
    ``pilotqa inspect``. Raises InputError (no table, a non-numeric reading with its cell,
    duplicate serials or names) or SpecError (an undecidable tolerance convention or
    inconsistent limits, with the row).
    """
    where: dict[str, Any] = {"file": file, "sheet": sheet}
    hrow = None if opts.header_row is None else opts.header_row - 1
    t = find_table(rows, opts.column_map, hrow)
    if t is None:
        tried = (f"row {opts.header_row}" if hrow is not None
                 else f"rows 1-{min(len(rows), _MAX_HEADER_SCAN)}")
        raise InputError("no characteristic-per-row table found: need a header row with a "
                         "characteristic heading, a nominal or tolerance heading (or AS9102 "
                         "Form 3 headings: Char No., Requirement …) and serial-number columns; "
                         f"tried {tried}; {HINT}", **where)
    hdr = t.header_rows[-1] + 1
    for role in ("feature", "balloon", "name", "unit", "cls", *sorted(_SPEC_ROLES)):
        cs = t.cols(role)
        if len(cs) > 1:
            raise InputError(f"two columns have the same meaning ({role}): "
                             + ", ".join(t.label(c) for c in cs) + "; rename or remove one",
                             row=hdr, **where)
    _scan_rows(rows, t, where)
    fc = t.col("feature") or 0
    for r in t.data_rows:
        for c in range(fc + 1, len(rows[r])):
            if not _blank(rows[r][c]) and (c >= len(t.roles) or t.roles[c] is None):
                raise InputError("this cell of the table has a value but its column has no "
                                 "heading; give the column a heading (a serial number?)",
                                 row=r + 1, column=excel_column_letter(c), **where)
    if not t.data_rows:
        raise InputError("the table below this header row has no characteristic rows",
                         row=hdr, **where)

    def cell(r: int, c: int | None) -> Any:
        return rows[r][c] if c is not None and c < len(rows[r]) else None

    meta: dict[str, str] = {}
    _metadata(rows, 0, t.header_rows[0], meta, True)
    _metadata(rows, t.end_row + 1, len(rows), meta, False)
    sheet_lot = meta.pop("lot", None)  # a per-sheet value: it goes to the measurements only

    # reading columns actually used
    reading_cols: list[int] = []
    dropped: list[int] = []
    for c in t.cols("reading"):
        (reading_cols if any(not _blank(cell(r, c)) for r in t.data_rows) else dropped).append(c)
    if not reading_cols:
        raise InputError("the serial columns of this table hold no readings", row=hdr, **where)
    parts = [t.headings[c] for c in reading_cols]
    if len(parts) == 1 and _FIELD_NO_RE.sub("", _norm(parts[0])) in _AS9102_RESULTS:
        parts = [meta.get("serial_number") or "1"]  # AS9102: one part, serial in field 3
    seen: dict[str, int] = {}
    for c, p in zip(reading_cols, parts):
        if p in seen:
            raise InputError(f"serial '{p}' heads two columns: {t.label(seen[p])} and "
                             f"{t.label(c)}", row=hdr, **where)
        seen[p] = c

    # specs
    spec_roles = sorted(_SPEC_ROLES)
    vals: dict[int, dict[str, float | None]] = {}
    for r in t.data_rows:
        vals[r] = {}
        for role in spec_roles:
            sc = t.col(role)
            vals[r][role] = None if sc is None else _num(
                cell(r, sc), what=f"the {t.headings[sc]} cell",
                where={**where, "row": r + 1, "column": t.label(sc)})
    conv = _decide_conventions(t, vals, where)
    fcol, bcol, ncol, ucol = t.col("feature"), t.col("balloon"), t.col("name"), t.col("unit")
    default_unit = meta.get("unit")
    if default_unit is None:
        for hc in (t.col(x) for x in ("nominal", "usl", "plus_tol", "pm_tol")):
            m = _UNIT_IN_HEADING_RE.search(str(t.headings[hc])) if hc is not None else None
            if m:
                default_unit = m.group(1)
                break
    spec_rows: list[dict[str, Any]] = []
    go_rows: dict[str, tuple[gonogo.GoNoGo, str | None]] = {}  # go/no-go rows: no tolerance, verdicts
    names: dict[str, int] = {}
    text_specs = 0
    for r in t.data_rows:
        text = _text(cell(r, fcol)) if not _blank(cell(r, fcol)) else ""
        if ncol is not None and not _blank(cell(r, ncol)):
            name = _text(cell(r, ncol))
        elif bcol is not None and not _blank(cell(r, bcol)):
            name = f"{_text(cell(r, bcol))} {text}".strip()
        else:
            name = text
        if not name:
            raise InputError("characteristic row without a name", row=r + 1, **where)
        if name in names:
            raise InputError(f"feature '{name}' appears twice: rows {names[name] + 1} and "
                             f"{r + 1}; give each characteristic a unique balloon or text",
                             row=r + 1, **where)
        names[name] = r
        mc = t.col("method")  # the name or the gauge ("thread gauge", "Lehre") may say go/no-go
        go = gonogo.read_cells([cell(r, c) for c in reading_cols],
                               f"{name} {_text(cell(r, mc)) if mc is not None and not _blank(cell(r, mc)) else ''}")
        if go is not None:
            go_rows[name] = (go, _class(r, t, rows[r], text, where))
        nom, lsl, usl, lbz, how = ((None, None, None, False, "go/no-go") if go is not None
                                   else _row_spec(r, t, vals[r], conv, text, where))
        text_specs += how.startswith("text")
        unit = _text(cell(r, ucol)) if not _blank(cell(r, ucol)) else default_unit
        spec_rows.append({
            "feature": name, "nominal": nom, "lsl": lsl, "usl": usl, "unit": unit,
            "class": _class(r, t, rows[r], text, where), "lower_bound_zero": lbz,
            "source": f"report row {r + 1}" + (f" ({how})" if how.startswith("text") else ""),
        })

    # lots and times per column
    lots: list[str | None] = [sheet_lot] * len(reading_cols)
    if t.lot_row is not None:
        lots = [_text(cell(t.lot_row, c)) if not _blank(cell(t.lot_row, c)) else sheet_lot
                for c in reading_cols]
    stamps: list[datetime | None] = [None] * len(reading_cols)
    if t.date_row is not None:
        stamps = [_timestamp(cell(t.date_row, c), {**where, "row": t.date_row + 1,
                                                   "column": t.label(c)}) for c in reading_cols]

    # readings
    out: dict[str, list[Any]] = {k: [] for k in MEASUREMENT_SCHEMA}
    notes: list[str] = []
    prefix = f"sheet '{sheet}': " if sheet else ""
    for spec, r in zip(spec_rows, t.data_rows):
        if spec["feature"] in go_rows:  # read by gonogo.report_readings
            continue
        missing: list[str] = []
        for j, c in enumerate(reading_cols):
            pr = parse_cell(cell(r, c))
            if isinstance(pr, CellProblem):
                raise InputError(pr.reason, row=r + 1, column=t.label(c), **where)
            if isinstance(pr, Missing):
                missing.append(f"{excel_column_letter(c)}{r + 1}")
            out["part_id"].append(parts[j])
            out["lot"].append(lots[j])
            out["subgroup"].append(None)
            out["sequence"].append(j + 1)
            out["timestamp"].append(stamps[j])
            out["feature"].append(spec["feature"])
            out["value"].append(None if isinstance(pr, Missing) else pr)
        if missing:
            shown = ", ".join(missing[:10]) + (f", … ({len(missing) - 10} more)" if len(missing) > 10 else "")
            notes.append(f"{prefix}{spec['feature']}: {len(missing)} reading"
                         f"{'s' if len(missing) > 1 else ''} not measured ({shown})")
    notes[:0] = [prefix + x for x in conv.text]
    if dropped:
        notes.append(prefix + "serial columns without any reading skipped: "
                     + ", ".join(t.label(c) for c in dropped))
    ignored = [t.label(c) for c, role in enumerate(t.roles)
               if role in {"method", "summary", "other"} and t.headings[c]]
    if t.summary_rows:
        notes.append(prefix + "summary rows skipped (not characteristics): " + ", ".join(
            f"row {r + 1} '{_text(cell(r, fcol if fcol is not None else bcol))}'" for r in t.summary_rows))
    if text_specs:
        notes.append(f"{prefix}{text_specs} tolerance(s) read from the characteristic text")

    letters = lambda cs: (f"{excel_column_letter(cs[0])}–{excel_column_letter(cs[-1])}"  # noqa: E731
                          if cs else "")
    details = {
        "reader": LAYOUT,
        "sheet": sheet,
        "form": "AS9102 Form 3" if is_as9102_header(rows[t.header_rows[-1]]) else None,
        "header_rows": [h + 1 for h in t.header_rows],
        "first_data_row": t.data_rows[0] + 1,
        "end_row": t.end_row + 1,
        "table_end": t.end_reason,
        "spec_columns": {role: t.label(c) for c, role in enumerate(t.roles)
                         if role in _SPEC_ROLES | {"feature", "balloon", "name", "unit", "cls"}},
        "ignored_columns": ignored,
        "tolerance_convention": "; ".join(conv.text) or "as headed",
        "characteristics": len(spec_rows),
        "serials": len(reading_cols),
        "reading_columns": letters(reading_cols),
        "lot_row": t.lot_row + 1 if t.lot_row is not None else None,
        "lot_from_header": sheet_lot,
        "date_row": t.date_row + 1 if t.date_row is not None else None,
        "section_rows": [r + 1 for r in t.section_rows],
        "summary_rows_skipped": [r + 1 for r in t.summary_rows],
    }
    go_frame, go_notes = gonogo.report_readings(go_rows, parts, lots, stamps)
    return Inspection(
        measurements=pl.DataFrame(out, schema=MEASUREMENT_SCHEMA),
        specs=pl.DataFrame([s for s in spec_rows if s["feature"] not in go_rows], schema=SPEC_SCHEMA),
        layout=LAYOUT,
        metadata=meta,
        notes=notes + [prefix + x for x in go_notes],
        details=details,
        attribute_readings=go_frame,
    )
