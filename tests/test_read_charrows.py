"""Characteristic-per-row inspection reports (pilotqa.read.charrows), built with openpyxl."""
from __future__ import annotations

import importlib.util
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotqa.errors import InputError, SpecError
from pilotqa.read import ReadOptions
from pilotqa.read.charrows import LAYOUT, looks_like_charrows, read_charrows
from tests.workbooks import write_xlsx

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
OPTS = ReadOptions()

HEAD = ["Balloon", "Characteristic", "Nominal", "+Tol", "−Tol", "Unit", "Method", "S/N 001",
        "S/N 002", "S/N 003"]


def _book(tmp_path: Path, sheets: dict[str, list[list[Any]]],
          merges: dict[str, list[str]] | None = None) -> Path:
    """Write the sheets to an xlsx (so merged cells are real), return its path."""
    return write_xlsx(tmp_path / "report.xlsx", sheets, merges)


def _grid(path: Path, sheet: str) -> list[list[Any]]:
    """The raw grid as the tabular reader hands it over (openpyxl values)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def _read(tmp_path: Path, rows: list[list[Any]], merges: list[str] | None = None,
          sheet: str = "Report") -> Any:
    path = _book(tmp_path, {sheet: rows}, {sheet: merges or []})
    return read_charrows(_grid(path, sheet), file=str(path), sheet=sheet, opts=OPTS)


def _spec(insp: Any, feature: str) -> dict[str, Any]:
    rows = insp.specs.filter(pl.col("feature") == feature).to_dicts()
    assert len(rows) == 1, insp.specs
    return rows[0]


def _table(body: list[list[Any]], head: list[Any] = HEAD) -> list[list[Any]]:
    return [head, *body]


# ------------------------------------------------------------------------------------------
# finding the table, header block, end of table


@pytest.mark.parametrize("block_height", [0, 2, 7])
def test_header_block_of_any_height_and_merged_cells(tmp_path: Path, block_height: int) -> None:
    block: list[list[Any]] = []
    merges: list[str] = []
    if block_height:
        block = [["Dimensional inspection report"], ["Part number:", "HSG-4711", None, "Rev.:", "C"]]
        merges = ["A1:F1", "B2:C2"]
        block += [[None]] * (block_height - len(block))
        if block_height > 2:
            block[2] = ["Description: Pump housing", None, None, "Supplier:", "ACME"]
            block[3] = ["Operation:", "OP30", None, "Date:", datetime(2026, 10, 5)]
    rows = block + _table([
        [1, "Ø42 H7 bore A", 42, 0.025, 0, "mm", "CMM", 42.011, 42.013, 42.009],
        [2, "Slot width", 10, 0.02, 0.02, "mm", "CMM", 10.001, 9.998, 10.004],
    ])
    insp = _read(tmp_path, rows, merges)
    assert insp.layout == LAYOUT
    assert insp.details["header_rows"] == [block_height + 1]
    assert insp.details["characteristics"] == 2 and insp.details["serials"] == 3
    assert insp.feature_names == ["1 Ø42 H7 bore A", "2 Slot width"]
    assert _spec(insp, "1 Ø42 H7 bore A") | {} == {
        "feature": "1 Ø42 H7 bore A", "nominal": 42.0, "lsl": 42.0, "usl": 42.025, "unit": "mm",
        "class": None, "lower_bound_zero": False, "source": f"report row {block_height + 2}"}
    assert _spec(insp, "2 Slot width")["lsl"] == 9.98
    m = insp.measurements
    assert m["part_id"].unique(maintain_order=True).to_list() == ["S/N 001", "S/N 002", "S/N 003"]
    assert m.filter(pl.col("part_id") == "S/N 002")["sequence"].unique().to_list() == [2]
    assert m.filter(pl.col("feature") == "2 Slot width")["value"].to_list() == [10.001, 9.998, 10.004]
    assert m["lot"].null_count() == m.height  # the sheet names no lot
    if block_height == 7:
        assert insp.metadata == {"title": "Dimensional inspection report", "part_number": "HSG-4711",
                                 "revision": "C", "description": "Pump housing",
                                 "supplier": "ACME", "operation": "OP30", "date": "2026-10-05"}
    elif block_height == 0:
        assert insp.metadata == {}


def test_vertical_header_block_and_notes_and_signatures_end_the_table(tmp_path: Path) -> None:
    rows = [
        ["Part number", "Revision", "Supplier"],
        ["HSG-4711", "C", "ACME"],
        [],
        *_table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01],
                 [2, "Slot", 10, 0.02, 0.02, "mm", "CMM", 10.0, 10.01, 9.99]]),
        ["Remarks: all parts deburred", None, None, None, None, None, None, 1, 2, 3],
        ["Inspected by:", "J. Doe", None, "Approved by:", "______"],
    ]
    insp = _read(tmp_path, rows)
    assert insp.details["end_row"] == 6 and insp.details["table_end"].startswith("row 7")
    assert insp.feature_names == ["1 Bore", "2 Slot"]
    assert insp.metadata == {"part_number": "HSG-4711", "revision": "C", "supplier": "ACME",
                             "inspected_by": "J. Doe"}


def test_blank_row_ends_the_table_and_section_rows_are_skipped(tmp_path: Path) -> None:
    rows = _table([
        [None, "Bores"],
        [1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01],
        [None, "Slots"],
        [2, "Slot", 10, 0.02, 0.02, "mm", "CMM", 10.0, 10.01, 9.99],
        [],
        [None, "Legend-free footer text", None, None, None, None, None, 5, 5, 5],
    ])
    insp = _read(tmp_path, rows)
    assert insp.feature_names == ["1 Bore", "2 Slot"]
    assert insp.details["section_rows"] == [2, 4]
    assert insp.details["table_end"] == "blank row 6"


def test_two_row_header_tolerance_group_and_serials_below(tmp_path: Path) -> None:
    rows = [
        ["Char. No.", "Requirement", "Nominal", "Tolerance", None, "Serial No.", None],
        [None, None, None, "Upper", "Lower", 101, 102],
        [1, "Bore", 42, 0.025, 0, 42.01, 42.02],
        [2, "Length", 85, 0.1, 0.1, 85.02, 84.97],
    ]
    insp = _read(tmp_path, rows, ["A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:G1"])
    assert insp.details["header_rows"] == [1, 2]
    assert insp.details["spec_columns"]["plus_tol"] == "D (Tolerance Upper)"
    assert insp.details["spec_columns"]["minus_tol"] == "E (Lower)"
    assert insp.measurements["part_id"].unique(maintain_order=True).to_list() == ["101", "102"]
    assert (_spec(insp, "2 Length")["lsl"], _spec(insp, "2 Length")["usl"]) == (84.9, 85.1)


def test_charrows_sheet_beside_other_sheets(tmp_path: Path) -> None:
    report = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01]])
    long_rows = [["part_id", "lot", "feature", "value", "nominal", "lsl", "usl"],
                 ["SN1", "L1", "BORE", 42.01, 42, 42, 42.025]]
    wide_rows = [["Part", "Lot", "BORE", "SLOT"], ["Nominal", None, 42, 10], ["USL", None, 42.025, 10.02],
                 ["LSL", None, 42, 9.98], ["SN1", "L1", 42.01, 10.0]]
    notes = [["Inspection notes"], ["Everything was measured at 20 °C."]]
    path = _book(tmp_path, {"Cover": notes, "Long": long_rows, "Wide": wide_rows, "FAI": report})
    assert looks_like_charrows(_grid(path, "FAI"))
    for other in ("Cover", "Long", "Wide"):
        assert not looks_like_charrows(_grid(path, other)), other
    insp = read_charrows(_grid(path, "FAI"), file=str(path), sheet="FAI", opts=OPTS)
    assert insp.feature_names == ["1 Bore"]


def test_no_table_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no characteristic-per-row table"):
        _read(tmp_path, [["Characteristic", "Nominal"], ["Bore", 42]])


def test_csv_grid_of_strings() -> None:
    rows = [["Part no: HSG-4711", "", "", "", "", ""],
            ["#", "Description", "Nominal", "±", "#1", "#2"],
            ["1", "Slot", "10,0", "0,02", "10,01", "9,995"]]
    insp = read_charrows(rows, file="r.csv", sheet=None, opts=OPTS)
    assert insp.metadata["part_number"] == "HSG-4711"
    assert (_spec(insp, "1 Slot")["lsl"], _spec(insp, "1 Slot")["usl"]) == (9.98, 10.02)
    assert insp.measurements["value"].to_list() == [10.01, 9.995]


# ------------------------------------------------------------------------------------------
# tolerance conventions


def _limits(insp: Any, feature: str) -> tuple[Any, Any, Any]:
    s = _spec(insp, feature)
    return s["nominal"], s["lsl"], s["usl"]


@pytest.mark.parametrize("minus", [0.015, -0.015])
def test_minus_tol_as_magnitude_or_signed(tmp_path: Path, minus: float) -> None:
    rows = _table([[1, "Bore B", 30, 0.015, minus, "mm", "CMM", 30.0, 30.01, 29.99],
                   [2, "Bore A", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01]])
    insp = _read(tmp_path, rows)
    assert _limits(insp, "1 Bore B") == (30.0, 29.985, 30.015)
    assert _limits(insp, "2 Bore A") == (42.0, 42.0, 42.025)
    assert ("magnitudes" if minus > 0 else "signed") in insp.details["tolerance_convention"]


def test_minus_tol_with_mixed_signs_is_refused(tmp_path: Path) -> None:
    rows = _table([[1, "Bore B", 30, 0.015, 0.015, "mm", "CMM", 30.0, 30.01, 29.99],
                   [2, "Slot", 10, 0.02, -0.02, "mm", "CMM", 10.0, 10.01, 9.99],
                   [3, "Length", 85, 0.1, 0.1, "mm", "CMM", 85.0, 85.01, 84.99]])
    with pytest.raises(SpecError, match=r"row 3, column 'E \(−Tol\)'.*negative on row\(s\) 3, "
                                        r"positive on row\(s\) 2, 4"):
        _read(tmp_path, rows)


def test_plus_minus_column(tmp_path: Path) -> None:
    head = ["Item", "Feature", "Nom", "±Tol", "Part 1", "Part 2"]
    insp = _read(tmp_path, [head, [1, "Length", 85, 0.1, 85.01, 84.99]])
    assert _limits(insp, "1 Length") == (85.0, 84.9, 85.1)


def test_absolute_limits_with_and_without_nominal(tmp_path: Path) -> None:
    head = ["No.", "Characteristic", "Nominal", "USL", "LSL", "1", "2"]
    insp = _read(tmp_path, [head, [1, "Bore", 42, 42.025, 42.0, 42.01, 42.02],
                            [2, "Depth", None, None, 3.0, 3.2, 3.1]])
    assert _limits(insp, "1 Bore") == (42.0, 42.0, 42.025)
    assert _limits(insp, "2 Depth") == (None, 3.0, None)


def test_limits_and_offsets_must_agree(tmp_path: Path) -> None:
    head = ["No.", "Characteristic", "Nominal", "+Tol", "-Tol", "Max", "Min", "1", "2"]
    ok = [1, "Bore", 42, 0.025, 0, 42.025, 42.0, 42.01, 42.02]
    bad = [2, "Slot", 10, 0.02, 0.02, 10.05, 9.98, 10.0, 10.01]
    assert _limits(_read(tmp_path, [head, ok]), "1 Bore") == (42.0, 42.0, 42.025)
    with pytest.raises(SpecError, match=r"row 3: USL 10.05 disagrees with nominal and tolerance"):
        _read(tmp_path, [head, ok, bad])


def test_tolerance_only_in_characteristic_text(tmp_path: Path) -> None:
    rows = _table([[1, "Ø20 ±0.02", None, None, None, "mm", "CMM", 20.0, 20.01, 19.99],
                   [2, "Length 10 +0.015/0", None, None, None, "mm", "CMM", 10.0, 10.01, 10.0],
                   [3, "R5 +0.1/-0.05", None, None, None, "mm", "CMM", 5.0, 5.01, 4.99],
                   [4, "⌖ 0.05", None, None, None, "mm", "CMM", 0.01, 0.02, 0.03],
                   [5, "Ø42 H7 bore", None, None, None, "mm", "CMM", 42.01, 42.02, 42.01],
                   [6, "M8x1.25 thread depth", 16, 0.5, 0, "mm", "gauge", 16.1, 16.2, 16.3]])
    insp = _read(tmp_path, rows)
    assert _limits(insp, "1 Ø20 ±0.02") == (20.0, 19.98, 20.02)
    assert _limits(insp, "2 Length 10 +0.015/0") == (10.0, 10.0, 10.015)
    assert _limits(insp, "3 R5 +0.1/-0.05") == (5.0, 4.95, 5.1)
    assert _limits(insp, "4 ⌖ 0.05") == (0.0, None, 0.05)
    assert _spec(insp, "4 ⌖ 0.05")["lower_bound_zero"] is True
    # ISO 286-1:2010 Table 1: IT7 above 30 up to and including 50 mm = 25 µm; H: EI = 0
    assert _limits(insp, "5 Ø42 H7 bore") == (42.0, 42.0, 42.025)
    assert _limits(insp, "6 M8x1.25 thread depth") == (16.0, 16.0, 16.5)
    assert _spec(insp, "1 Ø20 ±0.02")["source"] == "report row 2 (text 'Ø20 ±0.02')"


def test_text_and_columns_disagreeing_is_refused(tmp_path: Path) -> None:
    rows = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.0, 42.0, 42.0],
                   [2, "Ø20 ±0.02", 20, 0.05, 0.05, "mm", "CMM", 20.0, 20.0, 20.0]])
    with pytest.raises(SpecError, match=r"row 3: the characteristic text 'Ø20 ±0.02'.*disagrees"):
        _read(tmp_path, rows)


def test_unreadable_text_tolerance_is_refused(tmp_path: Path) -> None:
    rows = _table([[1, "Length 10 +0.1/0.05", None, None, None, "mm", "CMM", 10.0, 10.0, 10.0]])
    with pytest.raises(SpecError, match=r"row 2: .*no sign"):
        _read(tmp_path, rows)


def test_geometric_rows_are_one_sided(tmp_path: Path) -> None:
    rows = _table([
        [1, "⌖ Position hole 1", 0, 0.1, None, "mm", "CMM", 0.03, 0.05, 0.02],
        [2, "⏥", None, 0.05, None, "mm", "CMM", 0.01, 0.02, 0.015],
        [3, "Runout ↗ A", 0, 0.02, 0, "mm", "CMM", 0.01, 0.012, 0.008],
        [4, "Surface roughness Ra", None, 1.6, None, "µm", "Perthometer", 0.8, 0.9, 0.7],
        [5, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01],
    ])
    insp = _read(tmp_path, rows)
    for f, usl in (("1 ⌖ Position hole 1", 0.1), ("2 ⏥", 0.05), ("3 Runout ↗ A", 0.02),
                   ("4 Surface roughness Ra", 1.6)):
        s = _spec(insp, f)
        assert (s["nominal"], s["lsl"], s["usl"], s["lower_bound_zero"]) == (0.0, None, usl, True), f
    assert _spec(insp, "5 Bore")["lower_bound_zero"] is False


def test_one_sided_offset_on_a_dimension_is_refused(tmp_path: Path) -> None:
    rows = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01],
                   [2, "Depth", 18, 0.1, None, "mm", "CMM", 18.0, 18.0, 18.0]])
    with pytest.raises(SpecError, match=r"row 3: \+Tol is given but −Tol is empty"):
        _read(tmp_path, rows)


def test_tolerance_without_nominal_is_refused(tmp_path: Path) -> None:
    rows = _table([[1, "Depth", None, 0.1, 0.1, "mm", "CMM", 18.0, 18.0, 18.0]])
    with pytest.raises(SpecError, match=r"row 2: tolerances are given but no nominal"):
        _read(tmp_path, rows)


UL_HEAD = ["No", "Characteristic", "Nominal", "Upper", "Lower", "1", "2"]


def test_upper_lower_decided_as_limits(tmp_path: Path) -> None:
    insp = _read(tmp_path, [UL_HEAD, [1, "Bore", 42, 42.025, 42.0, 42.01, 42.02],
                            [2, "Flatness", 0, 0.05, None, 0.01, 0.02]])
    assert _limits(insp, "1 Bore") == (42.0, 42.0, 42.025)
    assert "limits" in insp.details["tolerance_convention"]


def test_upper_lower_decided_as_signed_offsets(tmp_path: Path) -> None:
    insp = _read(tmp_path, [UL_HEAD, [1, "Bore", 42, 0.025, 0, 42.01, 42.02],
                            [2, "Slot", 10, 0.02, -0.02, 10.0, 10.01]])
    assert _limits(insp, "2 Slot") == (10.0, 9.98, 10.02)


def test_upper_lower_under_merged_tolerance_group_are_offsets(tmp_path: Path) -> None:
    rows = [[None, None, None, "Tolerance"], UL_HEAD, [1, "Slot", 10, 0.02, 0.02, 10.0, 10.01]]
    insp = _read(tmp_path, rows, ["D1:E1"])
    assert _limits(insp, "1 Slot") == (10.0, 9.98, 10.02)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        # only geometric rows: limits and offsets give the same numbers, nothing decides
        ([[1, "Position", 0, 0.1, None, 0.03, 0.04]], r"row 2: columns .* could hold limits or offsets"),
        # row 2 can only be limits, row 3 only offsets
        ([[1, "Bore", 42, 42.025, 42.0, 42.01, 42.02], [2, "Slot", 10, 0.02, 0.02, 10.0, 10.01]],
         r"row 3: columns .* hold limits on row\(s\) 2 but offsets on row\(s\) 3"),
        # offsets, but is a positive 'Lower' below or above the nominal?
        ([[1, "Slot", 10, 0.02, 0.02, 10.0, 10.01]], r"row 2, column 'E \(Lower\)'.*positive"),
    ],
)
def test_upper_lower_ambiguities_are_refused(tmp_path: Path, body: list[list[Any]], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        _read(tmp_path, [UL_HEAD, *body])


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ([1, "Bore", 42, -0.03, 0.01, "mm", "CMM", 42.0, 42.0, 42.0], r"row 2: LSL 41.99 is not below USL 41.97"),
        ([1, "Bore", "abc", 0.1, 0.1, "mm", "CMM", 42.0, 42.0, 42.0], r"row 2, column 'C \(Nominal\)'.*not a number"),
    ],
)
def test_inconsistent_specs_are_refused(tmp_path: Path, row: list[Any], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        _read(tmp_path, _table([row]))


def test_nominal_outside_absolute_limits_is_refused(tmp_path: Path) -> None:
    head = ["No", "Characteristic", "Nominal", "USL", "LSL", "1"]
    with pytest.raises(SpecError, match=r"row 2: nominal 42 lies outside the limits"):
        _read(tmp_path, [head, [1, "Bore", 42, 41.99, 41.9, 42.0]])


def test_class_column_and_markers(tmp_path: Path) -> None:
    head = ["Balloon", "Characteristic", "Class", "Nominal", "±", "1", "2"]
    insp = _read(tmp_path, [head, [1, "Bore", "CC", 42, 0.01, 42.0, 42.0],
                            [2, "Slot", "SC", 10, 0.02, 10.0, 10.0],
                            [3, "Height", None, 55, 0.05, 55.0, 55.0]])
    assert insp.specs["class"].to_list() == ["critical", "major", None]
    insp = _read(tmp_path, _table([[1, "◆ Bore", 42, 0.01, 0.01, "mm", "CMM", 42.0, 42.0, 42.0]]))
    assert insp.specs["class"].to_list() == ["critical"]
    with pytest.raises(SpecError, match=r"row 2, column 'C \(Class\)'.*'X9' is not one of"):
        _read(tmp_path, [head, [1, "Bore", "X9", 42, 0.01, 42.0, 42.0]])


# ------------------------------------------------------------------------------------------
# reading cells, names, lots


def test_ok_ng_cell_is_an_error_with_its_address(tmp_path: Path) -> None:
    head = HEAD[:7] + [f"S/N {i:03d}" for i in range(1, 8)]
    rows = [["Report"]] * 12 + [head] + [[1, "Bore", 42, 0.025, 0, "mm", "CMM", *[42.01] * 7]] + [
        [2, "Slot", 10, 0.02, 0.02, "mm", "gauge", 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, "OK"]]
    with pytest.raises(InputError, match=r"sheet 'Lot L01', row 15, column 'N \(S/N 007\)': 'OK' is "
                                         r"an attribute"):
        _read(tmp_path, rows, sheet="Lot L01")


def test_not_measured_cells_are_missing_with_a_note(tmp_path: Path) -> None:
    rows = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, "N/M", None],
                   [2, "Slot", 10, 0.02, 0.02, "mm", "CMM", 10.0, 10.01, "—"]])
    insp = _read(tmp_path, rows, sheet="Lot L01")
    m = insp.measurements
    assert m.height == 6 and m["value"].null_count() == 3
    assert "sheet 'Lot L01': 1 Bore: 2 readings not measured (I2, J2)" in insp.notes
    assert "sheet 'Lot L01': 2 Slot: 1 reading not measured (J3)" in insp.notes


def test_unused_serial_columns_are_dropped_with_a_note(tmp_path: Path) -> None:
    rows = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02],
                   [2, "Slot", 10, 0.02, 0.02, "mm", "CMM", 10.0, 10.01]])
    insp = _read(tmp_path, rows)
    assert insp.details["serials"] == 2
    assert any("J (S/N 003)" in n for n in insp.notes)


def test_duplicate_feature_names_and_serials_are_refused(tmp_path: Path) -> None:
    rows = [["Characteristic", "Nominal", "±", "1", "2"], ["Bore", 42, 0.01, 42.0, 42.0],
            ["Slot", 10, 0.02, 10.0, 10.0], ["Bore", 42, 0.01, 42.0, 42.0]]
    with pytest.raises(InputError, match=r"row 4: feature 'Bore' appears twice: rows 2 and 4"):
        _read(tmp_path, rows)
    rows = [["Characteristic", "Nominal", "±", "1", "1"], ["Bore", 42, 0.01, 42.0, 42.0]]
    with pytest.raises(InputError, match=r"serial '1' heads two columns: D \(1\) and E \(1\)"):
        _read(tmp_path, rows)


def test_feature_name_column_wins_over_balloon_and_text(tmp_path: Path) -> None:
    head = ["Balloon", "Char ID", "Characteristic", "Nominal", "±", "1", "2"]
    insp = _read(tmp_path, [head, [1, "BORE_A_DIA", "Ø42 bore", 42, 0.01, 42.0, 42.0]])
    assert insp.feature_names == ["BORE_A_DIA"]


def test_lot_and_date_rows(tmp_path: Path) -> None:
    rows = _table([[None, "Lot", None, None, None, None, None, "L1", "L1", "L2"],
                   [None, "Date", None, None, None, None, None, datetime(2026, 1, 5),
                    datetime(2026, 1, 6), datetime(2026, 1, 7)],
                   [1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01]])
    insp = _read(tmp_path, rows)
    m = insp.measurements
    assert m["lot"].to_list() == ["L1", "L1", "L2"]
    assert m["timestamp"].to_list()[2] == datetime(2026, 1, 7)
    assert insp.details["lot_row"] == 2


def test_lot_from_header_block(tmp_path: Path) -> None:
    rows = [["Lot / Batch:", "L07"], [], *_table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.0, 42.0, 42.0]])]
    insp = _read(tmp_path, rows)
    assert insp.measurements["lot"].unique().to_list() == ["L07"]
    assert "lot" not in insp.metadata  # a per-sheet value, carried by the measurements


def test_value_in_a_column_without_heading_is_refused(tmp_path: Path) -> None:
    rows = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.0, 42.0, 42.0, 42.03]])
    with pytest.raises(InputError, match=r"row 2, column 'K': .* no heading"):
        _read(tmp_path, rows)


def test_row_with_readings_but_no_characteristic_is_refused(tmp_path: Path) -> None:
    rows = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.0, 42.0, 42.0],
                   [None, None, None, None, None, None, None, 1.0, 2.0, 3.0]])
    with pytest.raises(InputError, match=r"row 3: this table row has readings"):
        _read(tmp_path, rows)


# ------------------------------------------------------------------------------------------
# the bundled sample report (issue 7 acceptance)


def _sample_mapping() -> dict[str, str]:
    """Report feature name ("1 Ø42 H7 bore A") -> long-CSV feature name, from the generator."""
    spec = importlib.util.spec_from_file_location("make_charrows_report",
                                                  SAMPLE / "make_charrows_report.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return {f"{b} {text}": f for f, (b, text, _) in mod.FEATURE_TEXT.items()}


def _canon(insp_m: pl.DataFrame, specs: pl.DataFrame, mapping: dict[str, str] | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    if mapping is not None:
        insp_m = insp_m.with_columns(pl.col("feature").replace_strict(mapping))
        specs = specs.with_columns(pl.col("feature").replace_strict(mapping))
    m = insp_m.select("lot", "part_id", "feature", "value").sort("lot", "part_id", "feature")
    s = specs.select("feature", "nominal", "lsl", "usl", "unit", "class").sort("feature")
    return m, s


def _long_csv() -> tuple[pl.DataFrame, pl.DataFrame]:
    long = pl.read_csv(SAMPLE / "housing_pilot_long.csv", schema_overrides={"part_id": pl.String})
    specs = long.select("feature", "nominal", "lsl", "usl", "unit", "class").unique(maintain_order=True)
    return _canon(long, specs, None)


def test_sample_report_sheets_equal_the_long_csv() -> None:
    mapping = _sample_mapping()
    frames, specs = [], []
    wb = openpyxl.load_workbook(SAMPLE / "housing_pilot_report.xlsx", read_only=True, data_only=True)
    for ws in wb.worksheets:
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        assert looks_like_charrows(grid)
        insp = read_charrows(grid, file="housing_pilot_report.xlsx", sheet=ws.title, opts=OPTS)
        assert insp.metadata["part_number"] == "HSG-4711" and insp.metadata["revision"] == "C"
        frames.append(insp.measurements)
        specs.append(insp.specs)
    wb.close()
    assert all(s.equals(specs[0]) for s in specs)
    m, s = _canon(pl.concat(frames), specs[0], mapping)
    lm, ls = _long_csv()
    assert m.equals(lm)
    assert s.equals(ls)


def test_sample_report_through_read_equals_the_long_csv() -> None:
    from pilotqa.read import read

    insp = read([SAMPLE / "housing_pilot_report.xlsx"])
    assert insp.layout == LAYOUT
    assert insp.metadata["part_number"] == "HSG-4711"
    assert insp.metadata["supplier"] == "Example Precision GmbH"
    long = read([SAMPLE / "housing_pilot_long.csv"])
    assert insp.lots == long.lots == ["L01", "L02", "L03"]
    m, s = _canon(insp.measurements, insp.specs, _sample_mapping())
    lm, ls = _canon(long.measurements, long.specs, None)
    assert m.equals(lm)
    assert s.equals(ls)
    assert insp.specs["lower_bound_zero"].to_list() == long.specs["lower_bound_zero"].to_list()


def test_sample_report_is_rebuilt_identically(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_charrows_report",
                                                  SAMPLE / "make_charrows_report.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "rebuilt.xlsx"
    mod.write_report(out)
    a = openpyxl.load_workbook(SAMPLE / "housing_pilot_report.xlsx", read_only=True)
    b = openpyxl.load_workbook(out, read_only=True)
    assert a.sheetnames == b.sheetnames == ["Lot L01", "Lot L02", "Lot L03"]
    for name in a.sheetnames:
        assert list(a[name].iter_rows(values_only=True)) == list(b[name].iter_rows(values_only=True))
    a.close()
    b.close()


def test_sample_report_sequence_follows_sheets_and_columns() -> None:
    from pilotqa.read import read

    key = ["lot", "part_id", "sequence"]
    rep = read([SAMPLE / "housing_pilot_report.xlsx"]).measurements.select(key).unique().sort(key)
    long = read([SAMPLE / "housing_pilot_long.csv"]).measurements.select(key).unique().sort(key)
    assert rep.equals(long)


def test_summary_rows_below_the_data_are_skipped_with_a_note(tmp_path: Path) -> None:
    rows = _table([[1, "Bore", 42, 0.025, 0, "mm", "CMM", 42.01, 42.02, 42.01],
                   [None, "Mean", None, None, None, None, None, 42.01, 42.02, 42.01],
                   [None, "Result", None, None, None, None, None, "OK", "OK", "NG"]])
    insp = _read(tmp_path, rows)
    assert insp.feature_names == ["1 Bore"]
    assert insp.details["summary_rows_skipped"] == [3, 4]
    assert "summary rows skipped (not characteristics): row 3 'Mean', row 4 'Result'" in insp.notes[-1]


def test_column_map_assigns_roles_to_unknown_headings(tmp_path: Path) -> None:
    rows = [["Kennung", "Bezugswert", "Abw. oben", "Abw. unten", "1", "2"],
            ["Bohrung", 42, 0.025, 0, 42.01, 42.02]]
    path = _book(tmp_path, {"S": rows})
    opts = ReadOptions(column_map={"Kennung": "feature", "Bezugswert": "nominal",
                                   "Abw. oben": "tol_plus", "Abw. unten": "tol_minus"})
    grid = _grid(path, "S")
    assert not looks_like_charrows(grid)
    assert looks_like_charrows(grid, opts.column_map)
    insp = read_charrows(grid, file=str(path), sheet="S", opts=opts)
    assert _limits(insp, "Bohrung") == (42.0, 42.0, 42.025)


_dec3 = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3)


@settings(max_examples=60, deadline=None)
@given(nom=_dec3, plus=_dec3, minus=_dec3, signed=st.booleans(), as_text=st.booleans())
def test_offsets_give_decimal_limits_however_written(nom: Decimal, plus: Decimal, minus: Decimal,
                                                     signed: bool, as_text: bool) -> None:
    """Invariant: magnitude, signed and text forms of one tolerance give the same limits."""
    if as_text:
        body = [1, f"Length {nom} +{plus}/-{minus}", None, None, None, "mm", "CMM", 1.0]
    else:
        body = [1, "Length", str(nom), str(plus), str(-minus if signed else minus), "mm", "CMM", 1.0]
    insp = read_charrows([HEAD[:8], body], file="g.csv", sheet=None, opts=OPTS)
    assert _limits(insp, f"1 {body[1]}") == (
        float(nom), float(nom - minus), float(nom + plus))


@pytest.mark.parametrize("head", [
    ["Merkmal", "Nennmaß", "OT", "UT", "Einheit", "1", "2"],
    ["Merkmal", "Sollwert", "oberes Abmaß", "unteres Abmaß", "Einheit", "1", "2"],
    ["Caractéristique", "Valeur nominale", "Tolérance supérieure", "Tolérance inférieure", "Unité",
     "1", "2"],
    ["Caratteristica", "Nominale", "Tolleranza superiore", "Tolleranza inferiore", "Unità", "1",
     "2"],
])
def test_german_and_romance_report_headings_read_without_map(tmp_path: Path,
                                                             head: list[str]) -> None:
    rows = [head, ["Bohrung", 42, 0.025, 0, "mm", 42.01, 42.02]]
    grid = _grid(_book(tmp_path, {"S": rows}), "S")
    assert looks_like_charrows(grid)
    insp = read_charrows(grid, file="x.xlsx", sheet="S", opts=ReadOptions())
    assert _limits(insp, "Bohrung") == (42.0, 42.0, 42.025)
