"""XLSX workbook of a before/after comparison (openpyxl), rendered from the document.

Sheets:

* **Comparison** — one row per characteristic present on both sides: change, conclusion, n,
  means, σ, mean difference with its interval (units and % of tolerance), Welch t/df/p and the
  Holm-adjusted p, σ ratio with its interval, Brown–Forsythe and F p-values, Ppk before/after and
  their difference with intervals, verdict before and after; then the characteristics present on
  one side only.
* **Cover** — both sides' files (SHA-256), parts, lots, overall statements and metadata; the
  settings that decide; the overall comparison.

Numbers are numbers with number formats. Every string goes through
:func:`pilotqa.report.safe.xlsx_text`: text a spreadsheet could take for a formula (leading
``= + - @``, tab, CR …) is stored as an explicit string cell with ``quotePrefix`` set, so no cell
is ever a formula.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pilotqa.report.safe import xlsx_text
from pilotqa.report.xlsx import put as _put  # the one safe cell writer (never a formula)

if TYPE_CHECKING:
    from pilotqa.compare.core import ComparisonResult

__all__ = ["build_comparison_workbook", "write_comparison_xlsx", "COLUMNS", "SHEETS"]

SHEETS: tuple[str, ...] = ("Comparison", "Cover")

_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1F3B73")
_FILLS = {"improved": PatternFill("solid", fgColor="E3F4E8"),
          "worse": PatternFill("solid", fgColor="FBE4E2")}
_P = "0.0000"
_IDX = "0.00"
_PCT = "0.0"

#: (heading, document key, list index or None, number format) of the Comparison sheet.
COLUMNS: tuple[tuple[str, str, int | None, str | None], ...] = (
    ("characteristic", "feature", None, None),
    ("class", "class", None, None),
    ("unit", "unit", None, None),
    ("change", "change", None, None),
    ("conclusion", "conclusion", None, None),
    ("n before", "n_before", None, "0"),
    ("n after", "n_after", None, "0"),
    ("mean before", "mean_before", None, "V"),
    ("mean after", "mean_after", None, "V"),
    ("σ before", "sigma_before", None, "V"),
    ("σ after", "sigma_after", None, "V"),
    ("mean after − before", "mean_diff", None, "V"),
    ("mean diff CI low", "mean_diff_ci", 0, "V"),
    ("mean diff CI high", "mean_diff_ci", 1, "V"),
    ("mean diff % tolerance", "mean_diff_pct_tolerance", None, _PCT),
    ("Welch t", "mean_t", None, "0.000"),
    ("Welch df", "mean_df", None, "0.0"),
    ("mean p", "mean_p", None, _P),
    ("mean p (Holm)", "mean_p_adjusted", None, _P),
    ("σ after / before", "sigma_ratio", None, "0.000"),
    ("σ ratio CI low", "sigma_ratio_ci", 0, "0.000"),
    ("σ ratio CI high", "sigma_ratio_ci", 1, "0.000"),
    ("σ p (Brown–Forsythe)", "sigma_p", None, _P),
    ("σ p (Holm)", "sigma_p_adjusted", None, _P),
    ("F test p", "f_p", None, _P),
    ("Ppk before", "ppk_before", None, _IDX),
    ("Ppk before CI low", "ppk_before_ci", 0, _IDX),
    ("Ppk before CI high", "ppk_before_ci", 1, _IDX),
    ("Ppk after", "ppk_after", None, _IDX),
    ("Ppk after CI low", "ppk_after_ci", 0, _IDX),
    ("Ppk after CI high", "ppk_after_ci", 1, _IDX),
    ("ΔPpk", "ppk_diff", None, _IDX),
    ("ΔPpk CI low", "ppk_diff_ci", 0, _IDX),
    ("ΔPpk CI high", "ppk_diff_ci", 1, _IDX),
    ("verdict before", "verdict_before", None, None),
    ("verdict after", "verdict_after", None, None),
    ("notes", "notes", None, None),
)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _value_format(tol: Any) -> str:
    if not _finite(tol) or tol <= 0:
        return "0.0000"
    dec = int(min(7, max(2, math.ceil(-math.log10(float(tol) / 1000.0)))))
    return "0." + "0" * dec


def _comparison(ws: Worksheet, doc: dict[str, Any]) -> None:
    for j, (head, *_rest) in enumerate(COLUMNS, start=1):
        _put(ws, 1, j, head)
        c = ws.cell(row=1, column=j)
        c.font, c.fill = _HEAD_FONT, _HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = 60 if head == "conclusion" else max(10, min(len(head) + 2, 24))
    row = 1
    for e in doc["features"]:
        row += 1
        vfmt = _value_format(e.get("tolerance"))
        for j, (_h, key, idx, fmt) in enumerate(COLUMNS, start=1):
            v = e.get(key)
            if idx is not None:
                v = v[idx] if isinstance(v, list) else None
            _put(ws, row, j, v, vfmt if fmt == "V" else fmt)
        fill = _FILLS.get(e["change"])
        if fill:
            ws.cell(row=row, column=4).fill = fill
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(row, 2)}"
    row += 2
    for label, key in (("only before", "only_before"), ("only after", "only_after")):
        _put(ws, row, 1, label)
        ws.cell(row=row, column=1).font = Font(bold=True)
        names = doc["summary"][key]
        if not names:
            _put(ws, row, 2, "—")
        for j, name in enumerate(names, start=2):
            _put(ws, row, j, name)
        row += 1


def _cover(ws: Worksheet, doc: dict[str, Any]) -> None:
    rows: list[tuple[str, Any]] = [("comparison", doc["overall"]), ("schema", doc["schema"]),
                                   ("generated at", doc["generated_at"]),
                                   ("pilotqa", doc["tool"]["version"])]
    for side in ("before", "after"):
        d = doc[side]
        rows += [(f"{side}: analysis", d["overall"]), (f"{side}: parts", d["parts"]),
                 (f"{side}: lots", ", ".join(d["lots"])), (f"{side}: readings", d["readings"])]
        rows += [(f"{side}: file", f"{f['path']} ({f['format']}, SHA-256 {f['sha256']})")
                 for f in d["files"]]
        rows += [(f"{side}: {k}", v) for k, v in sorted(d["metadata"].items())]
    s = doc["settings"]
    rows += [(f"settings: {k}", s[k]) for k in ("confidence", "alpha", "multiplicity", "mean_test",
                                                 "sigma_test", "ppk_interval", "sigma_within")]
    for i, (k, v) in enumerate(rows, start=1):
        _put(ws, i, 1, k)
        ws.cell(row=i, column=1).font = Font(bold=True)
        _put(ws, i, 2, v)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100


def build_comparison_workbook(result: "ComparisonResult") -> Workbook:
    """The comparison workbook (not yet saved)."""
    doc = result.document
    wb = Workbook()
    wb.properties.creator = "pilotqa"
    part = (doc["before"].get("metadata") or {}).get("part_number") or ""
    wb.properties.title = xlsx_text(f"Before/after comparison {part}")[0]
    ws = wb.active
    ws.title = SHEETS[0]
    _comparison(ws, doc)
    _cover(wb.create_sheet(SHEETS[1]), doc)
    return wb


def write_comparison_xlsx(result: "ComparisonResult", path: Path) -> None:
    """Write the comparison workbook to ``path``."""
    build_comparison_workbook(result).save(path)
