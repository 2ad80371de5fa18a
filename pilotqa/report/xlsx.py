"""XLSX summary workbook of an analysis (openpyxl), ready to paste into a control plan.

Sheets (all rendered from the typed :class:`pilotqa.analysis.AnalysisResult`, read by attribute;
the Summary rows are :func:`pilotqa.report.summary.summary_row`'s, the rows of the HTML summary):

* **Summary** — one row per characteristic like the HTML summary table: class, spec, n, mean,
  Cpk/Ppk with their lower confidence bounds, stable/drift/lot flags, verdict and plan;
  critical first.
* **Inspection plan** — per characteristic: 100 % or the plan (method, standard, code letter,
  sample size per lot, Ac/Re or k, AQL, lot size), frequency, acceptance rule, reasons.
* **Statistics** — every number of every feature object, flattened (``normality.ad_p_value``,
  ``cpk_ci.lower`` …), plus the decision evidence.
* **Lots** — per-lot statistics of each characteristic.
* **Cover** — metadata, lots, input files with SHA-256, settings, policy, version, time.

Numbers are stored as numbers with number formats; each table has a frozen header row and an
auto-filter; columns get widths from their contents. Every string goes through
:func:`pilotqa.report.safe.xlsx_text`: text that a spreadsheet could take for a formula
(``= + - @``, tab, CR …) is written as an explicit string cell with ``quotePrefix`` set, so no
cell of the workbook is ever a formula.
"""
from __future__ import annotations

import dataclasses
import functools
import io
import math
from collections import abc
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import polars as pl
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

from pilotqa import __version__
from pilotqa.report.labels import GLOSSARY, lot_size_sentence, policy_rows, settings_rows
from pilotqa.report.safe import xlsx_text
from pilotqa.report.sheetxml import SheetBody, assemble, number_text, text_cell
from pilotqa.report.summary import PARTS_HEADING, PPAP_HEADING, PPAP_SENTENCE, summary_row
from pilotqa.report.text import (LOT_HEADINGS, READINESS_LABELS, approval_lines, lot_details,
                                 ordered_features, out_of_spec_findings, signal_findings,
                                 value_decimals, verdict_label)
from pilotqa.results import FeatureResult, LotSummary, PlanEntry, json_name
from pilotqa.util import finite_or_none, json_safe

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet  # private module: annotation only
    from pilotqa.analysis import AnalysisResult

__all__ = ["write_xlsx", "build_workbook", "put", "SHEETS"]

#: Sheet names, in workbook order.
SHEETS: tuple[str, ...] = ("Cover", "Summary", "Inspection plan", "Readings", "Findings",
                           "Statistics", "Lots")

_HEAD_FONT = Font(bold=True, color="FFFFFF")
#: Input cells of the Form 2 calculator.
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEAD_FILL = PatternFill("solid", fgColor="1F3B73")
_FILLS = {
    "keep_100": PatternFill("solid", fgColor="FBE4E2"),
    "attributes_plan": PatternFill("solid", fgColor="FFF1D6"),
    "variables_plan": PatternFill("solid", fgColor="E3F4E8"),
    "reduced_audit": PatternFill("solid", fgColor="D3EFDC"),
    "ok": PatternFill("solid", fgColor="E3F4E8"),
    "bad": PatternFill("solid", fgColor="FBE4E2"),
}
_IDX = "0.00"
_P = "0.0000"
_INT = "0"
_PPM = "#,##0.0"
_INDEX_KEYS = {"cp", "cpk", "pp", "ppk", "cpm", "cpl", "cpu", "ppl", "ppu"}
_VALUE_KEYS = {"mean", "nominal", "lsl", "usl", "sigma_within", "sigma_overall", "center",
               "lcl", "ucl", "range_center", "range_lcl", "range_ucl", "sd", "step"}


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    """Write one cell safely: finite numbers as numbers (with ``fmt``), None/NaN as empty,
    booleans as "yes"/"no", everything else as protected text (never a formula)."""
    cell = ws.cell(row=row, column=col)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return
    if isinstance(value, datetime):  # a date cell, never text
        cell.value = value
        cell.number_format = fmt or "yyyy-mm-dd hh:mm:ss"
        return
    if _finite(value):
        cell.value = value
        if fmt:
            cell.number_format = fmt
        return
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        value = ", ".join("" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)
                          for v in value)
    text, quote = xlsx_text(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl infers "f" for a leading "="; force a string cell
    if quote:
        cell.quotePrefix = True


_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
#: Style of a cell: (number format, fill mark, header, wrapped text, quotePrefix).
_StyleKey = tuple[str | None, str | None, bool, bool, bool]


class _Sheet:
    """A write-only (streamed) worksheet and its cells, styled as :func:`put` styles them.

    openpyxl's write-only mode writes each row as it is appended, so a sheet of 10^6 readings
    never holds 10^6 cell objects (the normal mode keeps, sorts and then serialises them all:
    super-linear time and a large memory peak). Column widths, the frozen panes and the
    auto-filter must be set before the first row. Styles are built once per combination and
    their style array reused (setting font, fill and number format cell by cell costs more than
    writing the cell).

    With ``body`` (a :class:`~pilotqa.report.sheetxml.SheetBody`) the data rows of a table
    (:meth:`rows`) are not openpyxl cells but XML text written by :mod:`pilotqa.report.sheetxml`
    with the style indices openpyxl registered for the same styles; :func:`write_xlsx` splices
    them into the sheet openpyxl wrote (the header row, widths, panes, filter and comments stay
    openpyxl's). Without it every row is an openpyxl cell (:func:`_write_openpyxl`, the
    reference the tests compare the XML rows with).
    """

    def __init__(self, ws: WriteOnlyWorksheet, styles: dict[_StyleKey, StyleArray],
                 body: SheetBody | None = None) -> None:
        self.ws = ws
        self._styles = styles
        self.body = body
        self._rows_written = 0
        # XML attribute ' s="N"' of each style key ('' for no style), by key
        self._attr: dict[_StyleKey, str] = {}
        # openpyxl turns each appended value into a cell (``_values_to_row``); a ready Cell
        # takes its exception path (a failed value binding, ~25 % of the write time). Our rows
        # hold only ready cells or None, so number them and pass them on. Should openpyxl rename
        # the hook, its own conversion still accepts Cell objects: slower, the same workbook.
        setattr(ws, "_values_to_row", _number_cells)

    def _style(self, key: _StyleKey) -> StyleArray:
        sa = self._styles.get(key)
        if sa is None:
            fmt, mark, head, wrap, quote = key
            c = Cell(self.ws)
            if fmt:
                c.number_format = fmt
            if head:
                c.font, c.fill = _HEAD_FONT, _HEAD_FILL
            if mark is not None:
                c.fill = _INPUT_FILL if mark == "input" else _FILLS[mark]
            if wrap:
                c.alignment = _WRAP_TOP
            if quote:
                c.quotePrefix = True
            sa = self._styles[key] = c._style
        return sa

    def _style_attr(self, key: _StyleKey) -> str:
        """`` s="N"`` with the workbook's cell-style index of ``key`` (registered now, at the
        first cell written with it, as openpyxl registers it), or ``""`` for no style."""
        attr = self._attr.get(key)
        if attr is None:
            c = Cell(self.ws, 1, 1, style_array=StyleArray(self._style(key))
                     if key != _NO_STYLE else None)
            attr = self._attr[key] = f' s="{c.style_id}"' if c.has_style else ""
        return attr

    def cell(self, value: Any, fmt: str | None = None, *, mark: str | None = None,
             head: bool = False, wrap: bool = False) -> Cell | None:
        """The cell :func:`put` would write for ``value`` (None for an empty unstyled cell),
        with the header style, a fill (``mark``: a key of ``_FILLS`` or "input") and wrapping.

        Values exactly as :func:`put`: finite numbers as numbers with ``fmt``, None/NaN as
        empty, dates as dates, booleans as "yes"/"no", anything else as protected text.
        """
        value, key = _classify(value, fmt, mark, head, wrap)
        if value is None and key == _NO_STYLE:
            return None
        c = Cell(self.ws, 1, 1, style_array=self._style(key) if key != _NO_STYLE else None)
        if value is not None:
            c.value = value
            if type(value) is str:
                c.data_type = "s"  # openpyxl infers "f" for a leading "="; force a string cell
            elif isinstance(value, datetime):  # binding a date may set a default format
                c._style = StyleArray(self._style(key))
        return c

    def xml_cell(self, ref: str, value: Any, fmt: str | None, mark: str | None,
                 wrap: bool) -> str:
        """The XML of the cell :meth:`cell` makes, at ``ref`` ("" for no cell)."""
        value, key = _classify(value, fmt, mark, False, wrap)
        style = self._style_attr(key)
        if value is None:
            return f'<c r="{ref}"{style} t="n" />' if style else ""
        if type(value) is str:
            return text_cell(ref, style, value)
        if isinstance(value, datetime):
            if value.tzinfo is not None:  # as openpyxl: Excel has no time zones
                raise TypeError("Excel does not support timezones in datetimes. "
                                "The tzinfo in the datetime/time object must be set to None.")
            return (f'<c r="{ref}"{style} t="n"><v>'
                    f'{"%.16g" % to_excel(value, self.ws.parent.epoch)}</v></c>')
        return f'<c r="{ref}"{style} t="n"><v>{number_text(value)}</v></c>'

    def formula(self, text: str, fmt: str | None = None) -> Cell:
        """A formula cell (the Form 2 calculator's, built from numbers and references only)."""
        c = Cell(self.ws, 1, 1, style_array=self._style((fmt, None, False, False, False))
                 if fmt else None)
        c.value = text
        return c

    def append(self, row: list[Cell | None]) -> None:
        assert self.body is None or self._rows_written == 0, "openpyxl rows after XML rows"
        self.ws.append(row)
        self._rows_written += 1

    def rows(self, rows: list[list[tuple[Any, str | None]]],
             marks: Mapping[int, list[str | None]], wrap: set[int]) -> None:
        """Append the data rows of a table: ``rows[i][j]`` = (value, number format) of column
        ``j`` (0-based), ``marks[j][i]`` the fill mark of a cell, ``wrap`` the columns whose
        cells wrap (every row, empty or not)."""
        if self.body is None:
            for i, row in enumerate(rows):
                self.append(self._row_cells(i, row, marks, wrap))
            return
        last_wrap = max(wrap, default=-1) + 1
        width = max([last_wrap, *(j + 1 for j in marks)] + [len(r) for r in rows] + [1])
        letters = [get_column_letter(j + 1) for j in range(width)]
        mark_of = [marks.get(j) for j in range(width)]
        wraps = [j in wrap for j in range(width)]
        # columns without marks or wrapping: their numbers, texts and empty cells take the
        # short way below (the style of a number by its format, of a text by its quotePrefix)
        plain = [m is None and not w for m, w in zip(mark_of, wraps)]
        num_style: dict[str | None, str] = {}
        text_style: dict[bool, str] = {}
        style_attr = self._style_attr
        body, xml_cell = self.body, self.xml_cell
        tail_marks = sorted(marks)
        for i, row in enumerate(rows):
            rn = str(self._rows_written + 1)
            self._rows_written += 1
            out = [f'<row r="{rn}">']
            n = len(row)
            for j, (v, fmt) in enumerate(row):
                if plain[j]:
                    t = type(v)
                    if (t is float and v - v == 0.0) or t is int:
                        style = num_style.get(fmt)
                        if style is None:
                            style = num_style[fmt] = style_attr((fmt, None, False, False, False))
                        out.append(f'<c r="{letters[j]}{rn}"{style} t="n"><v>{"%.16g" % v}</v></c>')
                        continue
                    if v is None:
                        continue
                    if t is str:
                        text, quote = xlsx_text(v)
                        style = text_style.get(quote)
                        if style is None:
                            style = text_style[quote] = style_attr((None, None, False, False,
                                                                    quote))
                        out.append(text_cell(letters[j] + rn, style, text))
                        continue
                m = mark_of[j]
                out.append(xml_cell(letters[j] + rn, v, fmt, m[i] if m is not None else None,
                                    wraps[j]))
            for j in range(n, last_wrap):  # up to the last wrapped column: empty cells
                m = mark_of[j]
                out.append(xml_cell(letters[j] + rn, None, None,
                                    m[i] if m is not None else None, wraps[j]))
            for j in tail_marks:  # marked columns past the row's values
                if j >= max(n, last_wrap):
                    out.append(xml_cell(letters[j] + rn, None, None, marks[j][i], False))
            out.append("</row>")
            body.write("".join(out))

    def _row_cells(self, i: int, row: list[tuple[Any, str | None]],
                   marks: Mapping[int, list[str | None]], wrap: set[int]) -> list[Cell | None]:
        """The openpyxl cells of data row ``i`` (see :meth:`rows`)."""
        out: list[Cell | None] = []
        for j in range(max(len(row), max(wrap, default=-1) + 1)):
            v, fmt = row[j] if j < len(row) else (None, None)
            m = marks.get(j)
            out.append(self.cell(v, fmt, mark=m[i] if m is not None else None, wrap=j in wrap))
        for j in sorted(c for c in marks if c >= len(out)):
            out += [None] * (j - len(out))
            out.append(self.cell(None, mark=marks[j][i]))
        return out

    def widths(self, widths: Mapping[int, float]) -> None:
        for j, w in widths.items():
            self.ws.column_dimensions[get_column_letter(j)].width = w


_NO_STYLE: _StyleKey = (None, None, False, False, False)


def _classify(value: Any, fmt: str | None, mark: str | None, head: bool,
              wrap: bool) -> tuple[Any, _StyleKey]:
    """The value a cell holds and its style key, as :func:`put` decides them: finite numbers
    as numbers with ``fmt``, None/NaN/inf as empty (no format), dates as dates (default format
    ``yyyy-mm-dd hh:mm:ss``), booleans as "yes"/"no", lists joined, anything else as text
    (:func:`~pilotqa.report.safe.xlsx_text`, ``quotePrefix`` for a formula trigger)."""
    quote = False
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        value, fmt = None, None
    elif isinstance(value, datetime):
        fmt = fmt or "yyyy-mm-dd hh:mm:ss"
    elif _finite(value):
        pass
    else:
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, (list, tuple)):
            value = ", ".join("" if v is None else f"{v:.6g}" if isinstance(v, float)
                              else str(v) for v in value)
        value, quote = xlsx_text(value)
        fmt = None
    return value, (fmt, mark if mark in _FILLS or mark == "input" else None, head, wrap, quote)


def _number_cells(cells: Iterable[Cell | None], row_idx: int) -> Iterable[Cell]:
    """The cells of one appended row with their row and column set (None: no cell)."""
    for col_idx, cell in enumerate(cells, 1):
        if cell is not None:
            cell.column = col_idx
            cell.row = row_idx
            yield cell


def _table(sh: _Sheet, headers: list[str], rows: Iterable[list[tuple[Any, str | None]]],
           *, freeze: str = "B2", fill_cols: dict[int, list[str | None]] | None = None,
           comments: Mapping[int, Comment] | None = None,
           widths: Mapping[str, Any] | None = None, wrap_cols: Iterable[int] = ()) -> int:
    """Header + rows of (value, number format); frozen header, auto-filter, widths.

    ``fill_cols`` marks cells of a column with a fill (by data row), ``comments`` puts a note
    on header cells, ``widths`` overrides computed column widths (a number, or a function of
    the computed width), ``wrap_cols`` wraps the data cells of those columns (every row, empty
    or not). Returns the number of data rows written.
    """
    rows = list(rows)
    computed = _content_widths(headers, rows)
    final: dict[int, float] = dict(enumerate(computed, start=1))
    for letter, w in (widths or {}).items():
        col = _column_index(letter)
        final[col] = w(final.get(col, 0)) if callable(w) else w
    sh.widths(final)
    sh.ws.freeze_panes = freeze
    last = get_column_letter(len(headers))
    n = len(rows)
    sh.ws.auto_filter.ref = f"A1:{last}{1 + max(n, 1)}"
    head = [sh.cell(h, head=True, wrap=True) for h in headers]
    for j, note in (comments or {}).items():
        if head[j - 1] is not None:
            head[j - 1].comment = note  # type: ignore[union-attr]
    sh.append(head)
    marks = {col - 1: m for col, m in (fill_cols or {}).items()}
    sh.rows(rows, marks, {col - 1 for col in wrap_cols})
    return n


def _content_widths(headers: list[str], rows: list[list[tuple[Any, str | None]]]) -> list[int]:
    """Column widths from the contents: the longest of the heading and every value as shown
    (a float with 6 significant digits, anything else as ``str``) plus 2, at least 6, at most
    60 for a value. Column by column, the floats of a column formatted in one ``map``."""
    computed = [max(6, len(h) + 2) for h in headers]
    for j in range(max((len(r) for r in rows), default=0)):
        values = [r[j][0] for r in rows if len(r) > j]
        floats = [v for v in values if type(v) is float]
        longest = max(map(len, map("{:.6g}".format, floats)), default=0)
        if len(floats) < len(values):
            for v in values:
                if v is not None and type(v) is not float:
                    longest = max(longest, len(f"{v:.6g}" if isinstance(v, float) else str(v)))
        if values:  # (an empty value would count 2: never more than the minimum 6)
            computed[j] = max(computed[j], min(longest + 2, 60))
    return computed


def _column_index(letter: str) -> int:
    from openpyxl.utils import column_index_from_string

    return int(column_index_from_string(letter))


def _summary(sh: _Sheet, feats: tuple[FeatureResult, ...], order: list[int],
             conf: str) -> None:
    """The Summary sheet: the rows of :func:`pilotqa.report.summary.summary_row`, numbers as
    numbers, the Stable/Drift/Lot-effect cells with the same texts as the HTML summary."""
    headers = ["#", "Characteristic", "Class", "Nominal", "LSL", "USL", "Unit", "n", "Mean",
               "Cpk", f"Cpk lower ({conf})", "Ppk", f"Ppk lower ({conf})", PPAP_HEADING,
               "Stable", "Drift", "Lot effect", "Verdict", "Plan", PARTS_HEADING,
               "Required lower bound", "Decision basis"]
    rows: list[list[tuple[Any, str | None]]] = []
    verdict_marks: list[str | None] = []
    flag_marks: dict[int, list[str | None]] = {14: [], 15: [], 16: [], 17: []}
    for i in order:
        s = summary_row(feats[i], i + 1)
        vf, mf = "0." + "0" * s.decimals, "0." + "0" * (s.decimals + 1)
        row: list[tuple[Any, str | None]] = [
            (s.number, _INT), (s.feature, None), (s.class_, None),
            (s.nominal, vf), (s.lsl, vf), (s.usl, vf), (s.unit, None), (s.n, _INT),
            (s.mean, mf), (s.cpk, _IDX), (s.cpk_lower, _IDX), (s.ppk, _IDX),
            (s.ppk_lower, _IDX)]
        for col, flag in zip((14, 15, 16, 17), (s.ppap,) + s.flags):
            flag_marks[col].append(flag.status if flag.status in ("ok", "bad") else None)
            row.append((flag.text, None))
        row += [(s.verdict_label, None), (s.plan, None), (s.parts_needed, None),
                (s.required, _IDX), (s.decision_basis, None)]
        rows.append(row)
        verdict_marks.append(s.verdict)
    _table(sh, headers, rows, freeze="C2", fill_cols={18: verdict_marks, **flag_marks},
           comments={14: Comment(PPAP_SENTENCE, "pilotqa", width=360, height=140)})


def _plan_row(i: int, fr: FeatureResult, e: PlanEntry) -> list[tuple[Any, str | None]]:
    dec, plan = fr.decision, fr.decision.plan
    hundred = e.verdict == "keep_100" or e.method == "100%" or bool(plan and plan.hundred_percent)
    return [
        (i + 1, _INT), (fr.feature, None), (e.class_, None), (verdict_label(e.verdict), None),
        ("100 %" if hundred else "sampling", None), (e.method, None),
        (plan.standard if plan else None, None), (plan.code_letter if plan else None, None),
        (e.sample_size, _INT), (e.accept, _INT), (e.reject, _INT), (e.k, "0.000"),
        (plan.aql if plan else None, "0.00#"), (plan.lot_size if plan else None, _INT),
        (dec.evidence.lot_size_source if plan else None, None),
        (e.frequency, None), (e.rule, None), ("; ".join(dec.reasons), None)]


def _plan_sheet(sh: _Sheet, result: "AnalysisResult", order: list[int]) -> None:
    """The Inspection plan sheet: the part's plan entries with the plan details and reasons."""
    entries = {e.feature: e for e in result.inspection_plan}
    headers = ["#", "Characteristic", "Class", "Verdict", "Inspection", "Method", "Standard",
               "Code letter", "Sample size per lot", "Accept (Ac)", "Reject (Re)", "k",
               "AQL %", "Lot size", "Lot size from", "Frequency", "Acceptance rule", "Reasons"]
    rows: list[list[tuple[Any, str | None]]] = []
    marks: list[str | None] = []
    for i in order:
        fr = result.features[i]
        e = entries[fr.feature]
        rows.append(_plan_row(i, fr, e))
        marks.append(e.verdict)
    _table(sh, headers, rows, freeze="C2", fill_cols={4: marks}, widths={"Q": 60, "R": 60},
           wrap_cols=(17, 18))


#: Lists of records: the Statistics sheet gives their length (the records are on other sheets).
_RECORD_LISTS = frozenset({"violations", "tukey", "per_lot", "candidates", "alternatives",
                           "out_of_spec"})
#: Leaves left out of the Statistics sheet: free-text notes and per-point lists.
_NOT_STATISTICS = frozenset({"notes", "subgroup_sizes"})


_SCALARS = frozenset({float, int, str, bool, type(None)})


@functools.lru_cache(maxsize=None)
def _json_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, JSON name) of the fields of a dataclass that have a JSON name."""
    return tuple((f.name, key) for f in dataclasses.fields(cls)
                 if (key := json_name(f)) is not None)


def _walk(out: dict[str, Any], prefix: str, v: Any) -> None:
    """Flatten a typed result into ``out`` by its JSON field names (:func:`json_name`):
    intervals as ``.lower``/``.upper``, lists of records as ``.count``, lists of scalars
    joined; leaves as their JSON values (:func:`pilotqa.util.json_safe`)."""
    if type(v) in _SCALARS:  # a leaf (the checks below, in their order, say the same)
        out[prefix] = json_safe(v)
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        for name, key in _json_fields(type(v)):
            _walk(out, f"{prefix}.{key}" if prefix else key, getattr(v, name))
    elif isinstance(v, abc.Mapping):
        for k, x in v.items():
            _walk(out, f"{prefix}.{k}" if prefix else str(k), x)
    elif isinstance(v, (list, tuple)):
        leaf = prefix.rsplit(".", 1)[-1]
        if leaf.endswith("_ci") and len(v) == 2:
            out[f"{prefix}.lower"], out[f"{prefix}.upper"] = json_safe(v[0]), json_safe(v[1])
        elif leaf in _RECORD_LISTS:
            out[f"{prefix}.count"] = len(v)
        elif all(not (isinstance(x, (dict, list, tuple)) or dataclasses.is_dataclass(x))
                 for x in v):
            out[prefix] = ", ".join("—" if x is None else str(json_safe(x)) for x in v)
    else:
        out[prefix] = json_safe(v)


def _flatten_feature(fr: FeatureResult) -> dict[str, Any]:
    """Every number of a characteristic (statistics, the class the decision used, the verdict
    and the decision's evidence) keyed by its JSON path; notes and plot series left out."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(fr.stats):
        key = json_name(f)
        if key is None or key == "notes":
            continue
        _walk(out, key, fr.class_ if key == "class" else getattr(fr.stats, f.name))
    out["class_source"] = fr.class_source
    out["decision.verdict"] = fr.verdict
    ev = fr.decision.evidence
    _walk(out, "decision.evidence", ev)
    for dup in ("class", "class_source"):  # the same as the class/class_source columns
        out.pop(f"decision.evidence.{dup}", None)
    pn = fr.decision.parts_needed
    if pn is not None:
        out.update({"decision.parts_needed.total": pn.total,
                    "decision.parts_needed.additional": pn.additional,
                    "decision.parts_needed.reachable": pn.reachable,
                    "decision.parts_needed.unit": pn.unit})
    if fr.stats.lsl is None or fr.stats.usl is None:
        out["cpm"] = None  # Cpm needs a target between two limits
    return {k: v for k, v in out.items() if k.rsplit(".", 1)[-1] not in _NOT_STATISTICS}


@functools.lru_cache(maxsize=4096)
def _stat_format(key: str, decimals: int) -> str | None:
    leaf = key.rsplit(".", 1)[-1]
    base = key.split(".")[0].removesuffix("_ci")
    if leaf in ("n", "n_missing", "n_out_of_spec", "k", "count", "distinct_values", "lots",
                "n_subgroups", "lot_size", "parts_to_limit"):
        return _INT
    if leaf.endswith("_p") or leaf.endswith("p_value") or leaf == "p_value":
        return _P
    if base in _INDEX_KEYS or leaf in _INDEX_KEYS or leaf in ("lower_bound", "required",
                                                               "ppk_lower", "cpk_lower"):
        return "0.000"
    if leaf.startswith("ppm"):
        return _PPM
    if leaf in _VALUE_KEYS:
        return "0." + "0" * (decimals + 1)
    return None


def statistics_keys(flat: list[dict[str, Any]]) -> list[str]:
    """The Statistics sheet's columns: every key in first-seen order, without the name, keys
    no characteristic has a value for, and a bare key whose structure has its own columns in
    another characteristic (``cp_ci`` None beside ``cp_ci.lower``)."""
    keys: list[str] = []
    seen: set[str] = set()
    for f in flat:
        for k in f:
            if k not in seen and k != "feature":
                seen.add(k)
                keys.append(k)
    parents = {k.rsplit(".", 1)[0] for k in keys if "." in k}
    parents |= {p.rsplit(".", 1)[0] for p in list(parents) if "." in p}
    return [k for k in keys if k not in parents
            and any(f.get(k) not in (None, "") for f in flat)]


def _statistics(sh: _Sheet, feats: tuple[FeatureResult, ...], order: list[int]) -> None:
    flat = [_flatten_feature(feats[i]) for i in order]
    keys = statistics_keys(flat)
    rows = []
    for i, f in zip(order, flat):
        d = value_decimals(feats[i].stats)
        rows.append([(i + 1, _INT), (feats[i].feature, None)]
                    + [(f.get(k), _stat_format(k, d)) for k in keys])
    _table(sh, ["#", "Characteristic"] + keys, rows, freeze="C2")


def _lots_sheet(sh: _Sheet, feats: tuple[FeatureResult, ...], order: list[int]) -> None:
    """Per-lot statistics of each characteristic (the fields of :class:`LotSummary`)."""
    cols = [json_name(f) or f.name for f in dataclasses.fields(LotSummary)]
    rows = []
    for i in order:
        fs = feats[i].stats
        d = value_decimals(fs)
        for p in fs.lots.per_lot if fs.lots is not None else ():
            values = [json_safe(getattr(p, f.name)) for f in dataclasses.fields(p)]
            rows.append([(i + 1, _INT), (fs.feature, None)]
                        + [(v, _stat_format(k, d)) for k, v in zip(cols, values)])
    _table(sh, ["#", "Characteristic"] + ([LOT_HEADINGS.get(c, c) for c in cols] if rows else []),
           rows, freeze="C2")


def _readings_parts(result: "AnalysisResult", features: list[str]
                    ) -> tuple[list[tuple[str, Any, Any]], list[list[Any]]]:
    """The pilot's parts in production order (serial, lot, first timestamp) and, for each of
    ``features``, its reading of each part in that order (None where it has none): the first
    row of the part and characteristic, its measured value, or a go/no-go reading as written.

    The first row of each (serial, characteristic) is found on integer codes (serials and
    names compared as text, a missing one as "None", as ``str`` gives them) and its value put
    into a characteristic x part grid; a pair without a reading is NaN, which
    every sheet writes as None: an empty cell (and a NaN reading, never read, as well).
    """
    insp = result.inspection
    cols = ["part_id", "lot", "sequence", "timestamp", "feature"]
    # a measurement's text is never shown: only a row without a value (a go/no-go reading)
    # shows its raw text, and a measurement without a value has none
    frames = [insp.measurements.select(cols + [pl.lit(None, dtype=pl.String).alias("raw"),
                                              pl.col("value")])]
    has_raw = insp.attribute_readings is not None and insp.attribute_readings.height > 0
    if has_raw:
        assert insp.attribute_readings is not None
        frames.append(insp.attribute_readings.select(
            cols + [pl.col("raw"), pl.lit(None, dtype=pl.Float64).alias("value")]))
    m = pl.concat(frames, how="vertical_relaxed")
    parts = [(str(r[0]), r[1], r[3]) for r in
             m.group_by("part_id", maintain_order=True)
             .agg(pl.col("lot").first(), pl.col("sequence").min(), pl.col("timestamp").min())
             .sort(["sequence", "part_id"], nulls_last=True).iter_rows()]
    n = len(parts)
    if not features:
        return parts, []
    if m.height == 0:  # characteristics without a single reading (an attribute file of counts only)
        return parts, [[] for _ in features]
    names = list(dict.fromkeys(features))
    serials = list(dict.fromkeys(p[0] for p in parts))  # (unique but for a null serial)
    u = len(serials)
    # (characteristic, part) of every row as integer codes, the first row of each pair (numpy's
    # unique gives the index of each value's first occurrence), and its value (and text) put
    # at characteristic * parts + part of a flat grid
    codes = m.select(
        pl.col("part_id").cast(pl.String).fill_null("None")
        .replace_strict(serials, list(range(u)), return_dtype=pl.Int64).alias("row"),
        pl.col("feature").cast(pl.String).fill_null("None")
        .replace_strict(names, list(range(len(names))), default=-1, return_dtype=pl.Int64)
        .alias("fi"))
    fi, row = codes["fi"].to_numpy(), codes["row"].to_numpy()
    del codes
    known = np.flatnonzero(fi >= 0)
    at, first = np.unique(fi[known] * u + row[known], return_index=True)
    first = known[first]
    grid = np.full(len(names) * u, np.nan)  # NaN where a part has no reading: an empty cell
    grid[at] = m["value"].fill_null(np.nan).to_numpy()[first]
    values: list[Any] = grid.tolist()
    if has_raw:  # go/no-go readings: their text where the first row has one
        texts = np.full(len(names) * u, None, dtype=object)
        texts[at] = m["raw"].to_numpy()[first]
        values = [v if t is None else t for v, t in zip(values, texts.tolist())]
    del m
    column = {name: values[k * u:(k + 1) * u] for k, name in enumerate(names)}
    if u != n:  # parts sharing a serial share its readings
        pos = {pid: i for i, pid in enumerate(serials)}
        rows = [pos[p[0]] for p in parts]
        column = {name: [col[i] for i in rows] for name, col in column.items()}
    return parts, [column[f] for f in features]


def _readings(sh: _Sheet, result: "AnalysisResult", order: list[int]) -> None:
    """One row per part (serial, lot, timestamp) and one column per characteristic; a reading
    outside the tolerance (or a nonconforming go/no-go part) is filled red."""
    feats = [result.features[i] for i in order]
    parts, columns = _readings_parts(result, [fr.feature for fr in feats])
    fmts = ["0." + "0" * value_decimals(fr.stats) for fr in feats]
    by_part = zip(*columns) if columns else iter([()] * len(parts))
    rows: list[list[tuple[Any, str | None]]] = [
        [(pid, None), (lot, None), (ts, None), *zip(values, fmts)]
        for (pid, lot, ts), values in zip(parts, by_part)]
    bad: dict[str, set[str]] = {}  # serials out of tolerance, by characteristic name
    for fr in feats:
        bad.setdefault(fr.feature, set()).update(o.part_id for o in fr.stats.out_of_spec)
    row_of: dict[str, list[int]] = {}
    for i, (pid, _, _) in enumerate(parts):
        row_of.setdefault(pid, []).append(i)
    marks: dict[int, list[str | None]] = {}
    for j, fr in enumerate(feats, start=1):
        hit = [i for pid in bad[fr.feature] for i in row_of.get(pid, ())]
        if hit:
            col: list[str | None] = [None] * len(parts)
            for i in hit:
                col[i] = "bad"
            marks[3 + j] = col
    _table(sh, ["Serial", "Lot", "Timestamp"] + [fr.feature for fr in feats], rows,
           freeze="B2", fill_cols=marks, widths={"B": lambda w: max(10, w or 0), "C": 20})


def _findings(sh: _Sheet, result: "AnalysisResult", order: list[int]) -> None:
    """Every out-of-tolerance reading and run-rule signal, by characteristic, with its 1-based
    point, serial and lot (the HTML pages show the first 6 signals)."""
    headers = ["#", "Characteristic", "Finding", "Point", "Serial", "Lot", "Value", "Limit",
               "Side", "Chart", "Rule"]
    rows: list[list[tuple[Any, str | None]]] = []
    for i in order:
        fs = result.features[i].stats
        vf = "0." + "0" * value_decimals(fs)
        for f in out_of_spec_findings(fs) + signal_findings(fs):
            kind = "out of tolerance" if f.kind == "out_of_tolerance" else "run-rule signal"
            value = f.value if f.value is not None else f.reading
            rows.append([(i + 1, _INT), (fs.feature, None), (kind, None), (f.point, _INT),
                         (f.serial, None), (f.lot, None), (value, vf), (f.limit, vf),
                         (f.side, None), (f.chart, None), (f.rule, _INT)])
    _table(sh, headers, rows, freeze="C2")


def _cover_rows(result: "AnalysisResult") -> list[tuple[str, Any]]:
    """(item, value) rows of the Cover sheet."""
    insp = result.inspection
    known = ("part_number", "revision", "description", "supplier")
    meta: dict[str, Any] = json_safe(dict(insp.metadata))
    rows: list[tuple[str, Any]] = [("report", "pilotqa capability summary"),
                                   ("readiness", READINESS_LABELS.get(result.readiness.status,
                                                                      result.readiness.status)),
                                   ("readiness statement", result.readiness.statement),
                                   ("overall", result.overall)]
    note = lot_size_sentence(result)
    if note:
        rows.append(("lot size assumed", note))
    rows += [(key.replace("_", " "), meta.get(key)) for key in known]
    rows += [(str(k).replace("_", " "), v) for k, v in meta.items() if k not in known]
    for a in approval_lines(result):
        key = a.role.lower()
        name = None if a.name is None else a.name + (f" ({a.source})" if a.source else "")
        rows += [(key, name), (f"{key}: date", a.date), (f"{key}: signature", None)]
    rows += [("parts", insp.n_parts), ("characteristics", len(result.features)),
             ("readings", insp.measurements.height), ("layout", insp.layout),
             ("pilotqa version", __version__),
             ("generated (UTC)", result.generated_at.isoformat())]
    for lot in lot_details(result):
        rows.append((f"lot {lot.lot}", f"{lot.parts} parts, {lot.first or '—'} … "
                                       f"{lot.last or '—'}"))
    for i, f in enumerate(insp.files, start=1):
        rows.append((f"input file {i}", f.path))
        rows.append((f"input file {i} SHA-256", f.sha256))
    rows += [(f"setting: {k}", v) for k, v in settings_rows(result)]
    rows += [(f"policy: {k}", v) for k, v in policy_rows(result)]
    rows += [(f"glossary: {term}", text) for term, text in GLOSSARY]
    rows += [("input note", note) for note in insp.notes]
    return rows


def _cover(sh: _Sheet, result: "AnalysisResult") -> None:
    rows = _cover_rows(result)
    _table(sh, ["item", "value"], [[(k, None), (v, None)] for k, v in rows], freeze="A2",
           widths={"A": 36, "B": 90})


#: Name of the sheet with the Form 2 (double-limit) calculators; the only sheet with formulas.
CALCULATOR_SHEET = "Form 2 calculator"
_CALC_HEADERS = ["Characteristic", "Sample size n", "LSL", "USL", "M % (max. est. % nonconforming)",
                 "M_L %", "M_U %", "Sample mean x̄ (enter)", "Sample s (enter)", "Q_L", "Q_U",
                 "p_L % (est. below LSL)", "p_U % (est. above USL)", "p_L + p_U %", "Lot decision"]


def _form2_plans(result: "AnalysisResult", order: list[int]) -> list[FeatureResult]:
    """The characteristics with a Z1.9 / MIL-STD-414 Form 2 plan the calculator can take
    (a variables plan of Form 2 with n ≥ 3: Form 2's beta estimate needs a = (n − 2)/2 > 0)."""
    out = []
    for i in order:
        fr = result.features[i]
        plan = fr.decision.plan
        if plan is None or plan.method != "variables" or plan.form != 2:
            continue
        if (plan.sample_size or 0) < 3:
            continue
        out.append(fr)
    return out


def _form2_calculator(sh: _Sheet, plans: list[FeatureResult]) -> int:
    """One row per characteristic with a Z1.9 / MIL-STD-414 Form 2 plan: enter the sample's mean
    and s, read the estimated percent nonconforming below/above and accept/reject (issue 13).

    The formulas come from :func:`pilotqa.decide.tables.form2_calculator_formulas`: they refer
    only to the two input cells of their row and embed only numbers from the plan and the limits
    (safe by construction: no text from the export enters a formula). Returns the rows written.
    """
    from pilotqa.decide.tables import form2_calculator_formulas

    sh.widths({j: 14 if j > 1 else 28 for j in range(1, len(_CALC_HEADERS) + 1)})
    sh.ws.freeze_panes = "B2"
    sh.append([sh.cell(h, head=True, wrap=True) for h in _CALC_HEADERS])
    row = 1
    for fr in plans:
        plan = fr.decision.plan
        assert plan is not None  # _form2_plans keeps planned characteristics only
        row += 1
        f = form2_calculator_formulas(plan, f"H{row}", f"I{row}", fr.stats.lsl, fr.stats.usl)
        cells = [sh.cell(v) for v in [fr.feature, plan.sample_size, fr.stats.lsl, fr.stats.usl,
                                      plan.m, plan.m_lower, plan.m_upper]]
        cells += [sh.cell(None, mark="input"), sh.cell(None, mark="input")]
        for key in ("q_lower", "q_upper", "p_lower", "p_upper", "p_total", "decision"):
            # a formula cell, built from numbers and cell references only; functions newer than
            # Excel 2007 are stored with the _xlfn. prefix (ECMA-376 / MS-XLSX), else #NAME?
            cells.append(sh.formula(f[key].replace("BETA.DIST(", "_xlfn.BETA.DIST("),
                                    "0.000" if key.startswith(("p_", "q_")) else None))
        sh.append(cells)
    if row > 1:
        sh.append([])
        sh.append([sh.cell(
            "Enter the mean and standard deviation (n − 1 divisor) of each lot's sample in the "
            "yellow cells. The lot is accepted when the estimated percent nonconforming below "
            "LSL (p_L) and above USL (p_U), each I_x(a, a) of the symmetric beta distribution "
            "with a = (n − 2)/2 and x = max(0, ½ − ½·Q·√n/(n − 1)), add up to at most M "
            "(and p_L ≤ M_L, p_U ≤ M_U): ANSI/ASQ Z1.9 / MIL-STD-414 Form 2, s method.")])
    return row - 1


def build_workbook(result: "AnalysisResult",
                   bodies: list[tuple[WriteOnlyWorksheet, SheetBody]] | None = None) -> Workbook:
    """The summary workbook of ``result`` (write-only: save it once).

    The sheets are streamed (openpyxl's write-only mode, see :class:`_Sheet`); their content,
    styles, widths, frozen panes, filters and comments are those of the cell-by-cell workbook.
    With ``bodies`` (a list, filled here) the data rows of every table are not in the workbook
    but XML text in a :class:`~pilotqa.report.sheetxml.SheetBody` per sheet, which
    :func:`write_xlsx` splices into the saved package; without it the workbook is complete
    (every cell an openpyxl cell: :func:`_write_openpyxl`).
    """
    feats = result.features
    order = ordered_features(feats)
    conf_v = finite_or_none(result.settings.confidence)
    conf = f"{100 * conf_v:g} %" if conf_v is not None else "CI"
    wb = Workbook(write_only=True)
    wb.properties.creator = "pilotqa"
    part = result.inspection.metadata.get("part_number")
    wb.properties.title = xlsx_text(f"Capability summary {part or ''}")[0]
    styles: dict[_StyleKey, StyleArray] = {}

    def sheet(name: str) -> _Sheet:
        ws = wb.create_sheet(name)
        body = None
        if bodies is not None:
            body = SheetBody()
            bodies.append((ws, body))
        return _Sheet(ws, styles, body)

    _cover(sheet(SHEETS[0]), result)
    _summary(sheet(SHEETS[1]), feats, order, conf)
    _plan_sheet(sheet(SHEETS[2]), result, order)
    _readings(sheet(SHEETS[3]), result, order)
    _findings(sheet(SHEETS[4]), result, order)
    _statistics(sheet(SHEETS[5]), feats, order)
    _lots_sheet(sheet(SHEETS[6]), feats, order)
    plans = _form2_plans(result, order)
    if plans:  # a few rows with formulas: openpyxl cells
        _form2_calculator(_Sheet(wb.create_sheet(CALCULATOR_SHEET), styles), plans)
    return wb


def write_xlsx(result: "AnalysisResult", path: Path) -> None:
    """Write the summary workbook of ``result`` to ``path``.

    openpyxl writes the package (styles, workbook, the header rows with their comments, the
    Form 2 calculator, widths, panes, filters); the data rows of the tables are written as
    XML text (:mod:`pilotqa.report.sheetxml`, about 20 times faster than openpyxl's cells) and
    spliced into their sheets. The cells read back as those of :func:`_write_openpyxl`
    (tests/test_xlsx_fast.py: the same package, member by member, up to the save time).
    """
    bodies: list[tuple[WriteOnlyWorksheet, SheetBody]] = []
    try:
        wb = build_workbook(result, bodies)
        buf = io.BytesIO()
        wb.save(buf)
        assemble(buf.getvalue(), Path(path), {str(ws.path)[1:]: body for ws, body in bodies})
    finally:
        for _, body in bodies:
            body.close()


def _write_openpyxl(result: "AnalysisResult", path: Path) -> None:
    """The same workbook with every cell an openpyxl cell (the reference of the tests)."""
    build_workbook(result).save(Path(path))
