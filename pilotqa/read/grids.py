"""Raw cell grids of inspection tables: delimited text, XLSX/XLSM and legacy XLS workbooks.

:func:`read_grids` gives every (or one) sheet as a list of rows of cell values — numbers
(whole numbers as int), text, datetimes, booleans; blanks as None; trailing blank cells and rows
dropped — so that the layout readers (:mod:`pilotqa.read.tabular`, :mod:`pilotqa.read.charrows`,
``--spec`` files) never depend on the file type. Workbooks are recognised by content (ZIP with
``xl/workbook.xml``; OLE2 signature), text by its extension and separators.

* **CSV/TXT/TSV** — UTF-8 (with or without BOM), else Windows-1252; separator ``; \\t , |`` by
  counting (:func:`detect_delimiter`).
* **XLSX/XLSM** — openpyxl, read-only, saved formula results. A formula without a saved result
  becomes its formula text, so that it is refused where a reading is expected instead of
  reading as a blank.
* **XLS** (Excel 97-2003, BIFF8) — xlrd; error cells become their Excel text (``#DIV/0!``).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from pilotqa.errors import InputError

__all__ = ["read_grids", "detect_delimiter", "decode_text", "is_xlsx", "is_xls", "is_workbook",
           "OLE2_MAGIC", "TEXT_EXTENSIONS"]

#: Extensions of delimited text files read as tables.
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}

#: First eight bytes of an OLE2 compound document: the container of a legacy Excel 97-2003
#: workbook (BIFF8 ``.xls``), as of Word ``.doc`` files (the XLS reader then refuses it clearly).
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def is_xls(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == OLE2_MAGIC
    except OSError:
        return False


def is_workbook(path: Path) -> bool:
    """An Excel workbook, new (XLSX/XLSM) or legacy (XLS), by content."""
    return is_xlsx(path) or is_xls(path)



def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_delimiter(text: str) -> str:
    """The field separator of delimited text: the candidate (``; \\t , |``) splitting most lines
    into the same, largest number of fields; ties go to the earlier candidate, so a German
    ``;`` file with decimal commas is not split at its commas."""
    lines = [ln for ln in text.splitlines()[:400] if ln.strip() and not ln.lstrip().startswith("#")]
    lines = lines[:100]
    best, best_n = ",", 1
    for d in (";", "\t", ",", "|"):
        counts = Counter(len(r) for r in csv.reader(lines, delimiter=d))
        if not counts:
            continue
        n, freq = counts.most_common(1)[0]
        if n > best_n and freq >= 0.5 * len(lines):
            best, best_n = d, n
    return best


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for r in rows:
        r = [None if v is None or (type(v) is str and not v.strip()) else v for v in r]
        while r and r[-1] is None:
            r.pop()
        out.append(r)
    while out and not out[-1]:
        out.pop()
    return out


def read_grids(path: str | Path, sheet: str | None = None) -> list[tuple[str | None, list[list[Any]]]]:
    """Raw cell grids of a CSV (one grid, sheet None) or of every (or one) workbook sheet.

    Cells are as openpyxl (XLSX) or xlrd (XLS) give them (float/int/str/datetime/bool), CSV
    fields as strings; blank cells are None, trailing blank cells and rows are dropped.
    """
    p = Path(path)
    if is_xlsx(p):
        return _xlsx_grids(p, sheet)
    if is_xls(p):
        return _xls_grids(p, sheet)
    text = decode_text(p.read_bytes())
    delim = detect_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    return [(None, _trim(rows))]


def _xlsx_grids(p: Path, sheet: str | None) -> list[tuple[str | None, list[list[Any]]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise InputError(f"not a readable XLSX workbook ({exc})", file=str(p)) from None
    try:
        names = _pick_sheets(list(wb.sheetnames), sheet, p)
        grids = [(n, [list(r) for r in wb[n].iter_rows(values_only=True)]) for n in names]
        paths = {n: getattr(wb[n], "_worksheet_path", None) for n in names}
    finally:
        wb.close()
    out: list[tuple[str | None, list[list[Any]]]] = []
    for n, rows in grids:
        part = paths[n]
        if part:
            for r0, c0, formula in _uncalculated_formulas(p, part):
                while len(rows) <= r0:
                    rows.append([])
                row = rows[r0] = list(rows[r0])
                row.extend([None] * (c0 + 1 - len(row)))
                if row[c0] is None:
                    row[c0] = formula
        out.append((n, _trim(rows)))
    return out


_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_F_RE = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_V_RE = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_T_RE = re.compile(rb'\bt="(\w+)"')


def _uncalculated_formulas(p: Path, part: str) -> list[tuple[int, int, str]]:
    """Cells of one worksheet that hold a formula but no saved result: (row0, col0, "=formula").

    openpyxl's ``data_only`` view gives None for such a cell, which would read as a blank (a
    file written by a program that does not calculate, e.g. a script). A formula whose result
    is an empty string keeps an (empty) ``<v>`` element and is not listed. The formula text
    takes the cell's place in the grid, so a reading cell holding it is refused with its
    address (:func:`pilotqa.read.cells.parse_cell`), never counted as *not measured*.

    "No saved result" means no ``<v>`` element, or an empty one in a cell that is not of text
    type (openpyxl writes ``<v/>`` for a formula it cannot calculate; Excel and LibreOffice write
    ``t="str"`` with an empty ``<v>`` for a formula whose result is the empty text, as in
    ``=IF(…, "", …)``: that cell is a genuine blank).
    """
    import html

    try:
        with zipfile.ZipFile(p) as z:
            xml = z.read(part)
    except (zipfile.BadZipFile, OSError, KeyError):
        return []
    if b"<f" not in xml and b":f" not in xml:
        return []
    found = []
    for m in _CELL_RE.finditer(xml):
        body = m.group(2)
        f = _F_RE.search(body)
        if f is None:
            continue
        v = _V_RE.search(body)
        if v is not None and (v.group(1) or b"").strip():
            continue  # a saved result
        t = _T_RE.search(m.group(1))
        if v is not None and t is not None and t.group(1) in (b"str", b"s", b"inlineStr"):
            continue  # a saved empty-text result, e.g. =IF(…, "", …)
        ref = _REF_RE.search(m.group(1))
        if ref is None:
            continue
        col = 0
        for ch in ref.group(1):
            col = col * 26 + ch - 64
        text = html.unescape((f.group(1) or b"").decode("utf-8", "replace")).strip()
        found.append((int(ref.group(2)) - 1, col - 1, "=" + (text or "(shared formula)")))
    return found


def _pick_sheets(names: list[str], sheet: str | None, p: Path) -> list[str]:
    """Every sheet, or the one named by ``--sheet`` (exact, else case-insensitive match)."""
    if sheet is None:
        return names
    match = [n for n in names if n == sheet] or [n for n in names if n.lower() == sheet.lower()]
    if not match:
        raise InputError(
            f"no sheet named '{sheet}'; the workbook has: " + ", ".join(f"'{n}'" for n in names),
            file=str(p),
        )
    return match[:1]


def _xls_grids(p: Path, sheet: str | None) -> list[tuple[str | None, list[list[Any]]]]:
    """Raw grids of a legacy Excel 97-2003 workbook (BIFF8) through xlrd, with the same cell
    types as :func:`_xlsx_grids`: numbers (whole numbers as int), text, datetimes (converted
    with the workbook's 1900/1904 date mode), booleans. An error cell becomes its Excel text
    (``#DIV/0!``, ``#N/A`` …) so that it is refused with its place, never read as blank."""
    import xlrd

    try:
        wb = xlrd.open_workbook(str(p), on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors on damage
        raise InputError(f"not a readable XLS workbook ({exc})", file=str(p)) from None
    try:
        out: list[tuple[str | None, list[list[Any]]]] = []
        for name in _pick_sheets(list(wb.sheet_names()), sheet, p):
            sh = wb.sheet_by_name(name)
            rows = []
            for r in range(sh.nrows):
                row: list[Any] = []
                for ctype, v in zip(sh.row_types(r), sh.row_values(r)):
                    if ctype == xlrd.XL_CELL_NUMBER:
                        row.append(int(v) if float(v).is_integer() and abs(v) < 2**53 else v)
                    elif ctype == xlrd.XL_CELL_TEXT:
                        row.append(v)
                    elif ctype == xlrd.XL_CELL_DATE:
                        try:
                            row.append(xlrd.xldate_as_datetime(v, wb.datemode))
                        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                            row.append(v)  # a date Excel itself cannot show: keep the number
                    elif ctype == xlrd.XL_CELL_BOOLEAN:
                        row.append(bool(v))
                    elif ctype == xlrd.XL_CELL_ERROR:
                        row.append(xlrd.error_text_from_code.get(v, f"#ERROR{v}"))
                    else:
                        row.append(None)
                rows.append(row)
            out.append((name, _trim(rows)))
            wb.unload_sheet(name)
        return out
    finally:
        wb.release_resources()


