"""Build ``housing_pilot_report.xlsx``: the sample pilot run as a shop's dimensional inspection report.

Input: ``housing_pilot_long.csv`` beside this file (written by ``generate.py``). Output: one
sheet per lot (``Lot L01``, ``Lot L02``, ``Lot L03``), each laid out like the FAI-style
characteristic-accountability sheet a machine shop sends (AS9102 Form 3 in spirit):

* a merged title row and a header block — part number, revision, description, supplier,
  operation, report number, date, lot, quantity — as ``Label:`` cells with merged value cells;
* a merged ``Serial No.`` group cell above the serial columns;
* the table: Balloon, Characteristic (the drawing requirement, e.g. ``Ø42 H7 bore A``), Class,
  Nominal, +Tol, −Tol (positive magnitudes, blank for one-sided geometric tolerances), Unit,
  Method / Gauge, then one column per serial number with the readings;
* notes and signature lines below the table.

The numbers are exactly those of the long CSV (readings, nominal, limits as +Tol/−Tol offsets
computed in decimal arithmetic, class), so the report, the CSV and the wide sheet describe the
same pilot run. Run ``python sample_data/make_charrows_report.py`` after ``generate.py``; the
output is committed. The workbook's document properties carry a fixed date so rebuilding
gives the same content.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "housing_pilot_long.csv"
TARGET = HERE / "housing_pilot_report.xlsx"

#: CSV feature -> (balloon, characteristic text as on the drawing, method / gauge).
#: The reader names features "<balloon> <text>", e.g. "1 Ø42 H7 bore A".
FEATURE_TEXT: dict[str, tuple[int, str, str]] = {
    "BORE_A_DIA": (1, "Ø42 H7 bore A", "CMM"),
    "BORE_B_DIA": (2, "Ø30 bore B", "CMM"),
    "BORE_C_DEPTH": (3, "Bore C depth", "CMM"),
    "FACE_LENGTH": (4, "Face length", "CMM"),
    "HOLE1_POS": (5, "Hole 1 position ⌖ Ø0.1 |A|B|C|", "CMM"),
    "FLATNESS_TOP": (6, "⏥ Flatness top face", "CMM"),
    "THREAD_M8_DEPTH": (7, "M8x1.25 thread depth", "Thread depth gauge"),
    "SLOT_WIDTH": (8, "Slot width", "CMM"),
    "PIN_HOLE_DIA": (9, "Ø6 H7 pin hole", "CMM"),
    "OVERALL_HEIGHT": (10, "Overall height", "Height gauge"),
    "ROUGHNESS_RA": (11, "Roughness Ra bore A", "Roughness tester"),
    "WALL_THICKNESS": (12, "Wall thickness", "Ultrasonic gauge"),
}
METADATA = {
    "Part number:": "HSG-4711",
    "Revision:": "C",
    "Description:": "Pump housing, AlSi9Cu3",
    "Supplier:": "Example Precision GmbH",
    "Operation:": "OP30 finish machining",
}
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")


def _dec(s: str) -> Decimal:
    return Decimal(s)


def load(path: Path = SOURCE) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of the long CSV and the features in their first-seen order."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    feats: list[str] = []
    for r in rows:
        if r["feature"] not in feats:
            feats.append(r["feature"])
    missing = [f for f in feats if f not in FEATURE_TEXT]
    if missing:
        raise SystemExit(f"no characteristic text for {missing}; extend FEATURE_TEXT")
    return rows, feats


def _tolerances(r: dict[str, str]) -> tuple[float | None, float | None, float | None]:
    """Nominal, +Tol and −Tol (a positive magnitude) of a CSV row; None where blank."""
    nominal = _dec(r["nominal"])
    plus = float(_dec(r["usl"]) - nominal) if r["usl"] else None
    minus = float(nominal - _dec(r["lsl"])) if r["lsl"] else None
    geometric = not r["lsl"]
    return (None if geometric and nominal == 0 else float(nominal)), plus, minus


def write_report(path: Path = TARGET, source: Path = SOURCE) -> None:
    """Write the report workbook from the long CSV."""
    rows, feats = load(source)
    by_lot: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_lot[r["lot"]].append(r)
    spec = {f: next(r for r in rows if r["feature"] == f) for f in feats}
    wb = Workbook()
    wb.remove(wb.active)
    for lot, lot_rows in by_lot.items():
        parts = sorted({r["part_id"]: int(r["sequence"]) for r in lot_rows}.items(),
                       key=lambda kv: kv[1])
        serials = [p for p, _ in parts]
        value = {(r["feature"], r["part_id"]): float(r["value"]) if r["value"] else None
                 for r in lot_rows}
        first_time = min(datetime.fromisoformat(r["timestamp"]) for r in lot_rows)
        ws = wb.create_sheet(f"Lot {lot}")
        first_serial_col = 9
        last_col = first_serial_col + len(serials) - 1

        ws["A1"] = "DIMENSIONAL INSPECTION REPORT — pilot run"
        ws["A1"].font = Font(bold=True, size=14)
        ws.merge_cells("A1:H1")
        block = [
            ("Part number:", METADATA["Part number:"], "Report no.:", f"IR-4711-{lot}"),
            ("Revision:", METADATA["Revision:"], "Date:", first_time.replace(hour=0, minute=0)),
            ("Description:", METADATA["Description:"], "Lot / Batch:", lot),
            ("Supplier:", METADATA["Supplier:"], "Quantity:", len(serials)),
            ("Operation:", METADATA["Operation:"], "Drawing:", "HSG-4711-D rev C"),
        ]
        for i, (l1, v1, l2, v2) in enumerate(block, start=3):
            ws.cell(i, 1, l1).font = Font(bold=True)
            ws.cell(i, 2, v1)
            ws.merge_cells(start_row=i, start_column=2, end_row=i, end_column=4)
            ws.cell(i, 6, l2).font = Font(bold=True)
            c = ws.cell(i, 7, v2)
            if isinstance(v2, datetime):
                c.number_format = "yyyy-mm-dd"
            ws.merge_cells(start_row=i, start_column=7, end_row=i, end_column=8)
        group_row, head_row = 9, 10
        ws.cell(group_row, first_serial_col, "Serial No. / actual values")
        ws.merge_cells(start_row=group_row, start_column=first_serial_col,
                       end_row=group_row, end_column=last_col)
        ws.cell(group_row, first_serial_col).alignment = Alignment(horizontal="center")
        headings = ["Balloon", "Characteristic", "Class", "Nominal", "+Tol", "−Tol", "Unit",
                    "Method / Gauge", *serials]
        for j, h in enumerate(headings, start=1):
            c = ws.cell(head_row, j, h)
            c.font, c.fill, c.border = Font(bold=True), _HEAD_FILL, _BOX
            c.alignment = Alignment(horizontal="center", wrap_text=True)
        r = head_row + 1
        for f in feats:
            balloon, text, method = FEATURE_TEXT[f]
            s = spec[f]
            nominal, plus, minus = _tolerances(s)
            line = [balloon, text, s["class"].capitalize(), nominal, plus, minus, s["unit"], method]
            line += [value.get((f, p)) for p in serials]
            for j, v in enumerate(line, start=1):
                c = ws.cell(r, j, v)
                c.border = _BOX
                if j >= first_serial_col or j in (4, 5, 6):
                    c.number_format = "0.00" if s["unit"] == "µm" else "0.0000"
            r += 1
        r += 1
        footer = [
            "Notes: 1. Readings from CMM program HSG4711_OP30 rev 3 unless stated. "
            "2. −Tol is given as a positive magnitude. 3. Blank −Tol = no lower limit (GD&T).",
            "Inspected by: M. Keller (QA)",
            "Approved by: ______________________",
        ]
        for text in footer:
            ws.cell(r, 1, text)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
            r += 1
        ws.column_dimensions["A"].width = 13
        ws.column_dimensions["B"].width = 32
        ws.column_dimensions["H"].width = 20
        for j in range(first_serial_col, last_col + 1):
            ws.column_dimensions[get_column_letter(j)].width = 10
        ws.freeze_panes = ws.cell(head_row + 1, first_serial_col)
    fixed = datetime(2026, 10, 26, 12, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "pilotqa sample_data/make_charrows_report.py"
    wb.save(path)


if __name__ == "__main__":
    write_report()
    print(f"wrote {TARGET}")
