"""CSV / XLSX readers (pilotqa.read.tabular): long and wide layouts built in the tests, the
committed sample files, and every bad-input case with its message and place."""
from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pilotqa.errors import InputError, SpecError
from pilotqa.read import ReadOptions, read
from pilotqa.read.tabular import detect_delimiter, read_path, sniff
from tests.workbooks import write_xlsx

KEY = ["lot", "part_id", "feature"]

# A small pilot run: 2 lots x 3 parts, 2 features (one two-sided, one one-sided position).
PARTS = [("L1", "S1"), ("L1", "S2"), ("L1", "S3"), ("L2", "S4"), ("L2", "S5"), ("L2", "S6")]
BORE = [10.01, 10.02, 9.99, 10.0, 10.015, 9.985]
POS = [0.012, 0.02, 0.031, 0.008, 0.015, 0.022]


def write_csv(path: Path, rows: list[list[Any]], delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def long_rows(dec: str = ".") -> list[list[Any]]:
    def f(x: float) -> str:
        return repr(x).replace(".", dec)

    rows: list[list[Any]] = [["Serial", "Batch", "Characteristic", "Actual", "Nominal", "LSL",
                              "USL", "Unit", "Class"]]
    for (lot, sn), b, p in zip(PARTS, BORE, POS):
        rows.append([sn, lot, "BORE", f(b), f(10.0), f(9.97), f(10.03), "mm", "CC"])
        rows.append([sn, lot, "POS", f(p), f(0.0), "", f(0.05), "mm", "SC"])
    return rows


def wide_rows(spec_first: bool) -> list[list[Any]]:
    head = ["Serial", "Lot", "BORE", "POS"]
    spec = [["Nominal", None, 10.0, 0.0], ["USL", None, 10.03, 0.05], ["LSL", None, 9.97, None],
            ["Unit", None, "mm", "mm"], ["Class", None, "critical", "major"]]
    data = [[sn, lot, b, p] for (lot, sn), b, p in zip(PARTS, BORE, POS)]
    top = [["Part number:", "HSG-1"], ["Revision:", "B"], []]
    return top + (spec + [head] if spec_first else [head] + spec) + data


def expected_measurements() -> pl.DataFrame:
    rows = []
    for k, ((lot, sn), b, p) in enumerate(zip(PARTS, BORE, POS)):
        rows += [(sn, lot, k + 1, "BORE", b), (sn, lot, k + 1, "POS", p)]
    return pl.DataFrame(rows, schema=["part_id", "lot", "sequence", "feature", "value"], orient="row")


def check_small_run(insp: Any) -> None:
    got = insp.measurements.select("part_id", "lot", "sequence", "feature", "value").sort(KEY)
    # sequence: the parts' order (combine() of several files may start it at another number)
    got = got.with_columns(pl.col("sequence").rank("dense").cast(pl.Int64))
    assert_frame_equal(got, expected_measurements().sort(KEY))
    s = {r["feature"]: r for r in insp.specs.iter_rows(named=True)}
    assert (s["BORE"]["lsl"], s["BORE"]["usl"], s["BORE"]["nominal"]) == (9.97, 10.03, 10.0)
    assert s["BORE"]["class"] == "critical" and s["POS"]["class"] == "major"
    assert s["POS"]["lsl"] is None and s["POS"]["usl"] == 0.05
    assert s["POS"]["lower_bound_zero"] is True and s["BORE"]["lower_bound_zero"] is False
    assert insp.lots == ["L1", "L2"]


# --------------------------------------------------------------------------- layouts

def test_long_csv_comma(tmp_path: Path) -> None:
    insp = read([write_csv(tmp_path / "run.csv", long_rows())])
    assert insp.layout == "long"
    check_small_run(insp)
    assert "run.csv, rows 2-12" in insp.specs["source"][0]


def test_long_csv_semicolon_decimal_comma(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "lauf.csv", long_rows(dec=","), delimiter=";")
    assert "0,012" in p.read_text(encoding="utf-8")
    check_small_run(read([p]))


@pytest.mark.parametrize(
    "text,expected",
    [("a;b;c\n1,5;2,5;3\n", ";"), ("a,b,c\n1.5,2.5,3\n", ","), ("a\tb\n1,5\t2\n", "\t"),
     ('a,b\n"1,5","2,5"\n', ","), ("a|b|c\n1|2|3\n", "|")],
)
def test_detect_delimiter(text: str, expected: str) -> None:
    assert detect_delimiter(text) == expected


def test_long_xlsx(tmp_path: Path) -> None:
    rows = long_rows()
    for r in rows[1:]:  # numbers as numbers, blanks as empty cells
        for j in (3, 4, 5, 6):
            r[j] = float(r[j]) if r[j] != "" else None
    insp = read([write_xlsx(tmp_path / "run.xlsx", {"Data": rows})])
    assert insp.layout == "long"
    check_small_run(insp)


@pytest.mark.parametrize("spec_first", [True, False])
def test_wide_xlsx_with_limits_both_orders(tmp_path: Path, spec_first: bool) -> None:
    insp = read([write_xlsx(tmp_path / "w.xlsx", {"CMM": wide_rows(spec_first)})])
    assert insp.layout == "wide"
    check_small_run(insp)
    assert insp.metadata == {"part_number": "HSG-1", "revision": "B"}
    assert insp.specs["source"][0] == "w.xlsx, sheet 'CMM', column C, spec rows " + (
        "4, 5, 6, 7, 8" if spec_first else "5, 6, 7, 8, 9")


def test_wide_csv_with_comment_header(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "w.csv", wide_rows(True)[3:], delimiter=";")
    p.write_text("# Part number: HSG-2\n# Operation: OP20\n" + p.read_text(encoding="utf-8"), encoding="utf-8")
    insp = read([p])
    check_small_run(insp)
    assert insp.metadata == {"part_number": "HSG-2", "operation": "OP20"}


def _wide_with(spec: list[list[Any]]) -> list[list[Any]]:
    data = [[sn, lot, b, p] for (lot, sn), b, p in zip(PARTS, BORE, POS)]
    return [["Serial", "Lot", "BORE", "POS"]] + spec + data


@pytest.mark.parametrize(
    "tol_rows",
    [
        [["+Tol", None, 0.03, 0.05], ["-Tol", None, 0.03, None]],       # magnitudes
        [["Tol+", None, 0.03, 0.05], ["Tol-", None, -0.03, None]],      # signed
        [["Upper Tol", None, 0.03, 0.05], ["\u2212Tol", None, 0.03, None]],  # unicode minus
        [["Upper", None, 0.03, 0.05], ["Lower", None, -0.03, 0]],       # straddle 0: offsets
        [["Upper", None, 10.03, 0.05], ["Lower", None, 9.97, 0]],       # bracket nominal: limits
    ],
)
def test_wide_offsets_and_limits_detected(tmp_path: Path, tol_rows: list[list[Any]]) -> None:
    spec = [["Nominal", None, 10.0, 0.0]] + tol_rows
    insp = read([write_xlsx(tmp_path / "w.xlsx", {"S": _wide_with(spec)})])
    s = insp.specs.row(0, named=True)
    # 10.0 +/- 0.03 in decimal arithmetic gives the limits exactly as written
    assert (s["lsl"], s["usl"]) == (9.97, 10.03)
    pos = insp.specs.row(1, named=True)
    assert pos["usl"] == 0.05 and pos["lsl"] in (None, 0.0)


def test_wide_ambiguous_upper_lower_refused(tmp_path: Path) -> None:
    # nominal 0.1 with Upper 0.2 / Lower 0.0: limits 0.0..0.2 or tolerances 0.1..0.3?
    data = [["S1", 0.11], ["S2", 0.12]]
    rows = [["Serial", "GAP"], ["Nominal", 0.1], ["Upper", 0.2], ["Lower", 0.0]] + data
    p = write_xlsx(tmp_path / "w.xlsx", {"Gaps": rows})
    with pytest.raises(SpecError) as ei:
        read([p])
    e = ei.value
    assert (e.sheet, e.row, e.column) == ("Gaps", 3, "GAP")
    assert "could be limits (0 to 0.2) or tolerances (0.1 to 0.3)" in e.message
    assert "refusing to guess" in e.message and "USL/LSL" in e.message


def test_wide_minus_tol_with_both_signs_refused(tmp_path: Path) -> None:
    spec = [["Nominal", None, 10.0, 1.0], ["+Tol", None, 0.03, 0.1], ["-Tol", None, 0.03, -0.1]]
    with pytest.raises(SpecError, match="ambiguous whether they are magnitudes or signed") as ei:
        read([write_xlsx(tmp_path / "w.xlsx", {"S": _wide_with(spec)})])
    assert ei.value.row == 4


def test_wide_tolerance_without_nominal_refused(tmp_path: Path) -> None:
    spec = [["+Tol", None, 0.03, 0.05], ["-Tol", None, 0.03, 0.0]]
    with pytest.raises(SpecError, match="has a \\+tol tolerance but no nominal") as ei:
        read([write_csv(tmp_path / "w.csv", _wide_with(spec))])
    assert ei.value.row == 2 and ei.value.column == "BORE"


def test_one_sheet_per_lot(tmp_path: Path) -> None:
    def sheet(lot: str) -> list[list[Any]]:
        rows: list[list[Any]] = [["Serial", "BORE", "POS"], ["Nominal", 10.0, 0.0],
                                 ["Max", 10.03, 0.05], ["Min", 9.97, None], ["Class", "KC", "Significant"]]
        rows += [[sn, b, p] for (lt, sn), b, p in zip(PARTS, BORE, POS) if lt == lot]
        return rows

    p = write_xlsx(tmp_path / "lots.xlsx", {"L1": sheet("L1"), "L2": sheet("L2"), "Notes": [["checked"]]})
    insp = read([p])
    check_small_run(insp)
    assert any("sheet 'Notes'" in n for n in insp.notes)
    only = read([p], ReadOptions(sheet="L2"))
    assert only.lots == ["L2"] and only.n_parts == 3


def test_two_files_two_lots(tmp_path: Path) -> None:
    rows = long_rows()
    head = [r for r in rows[:1]][0]
    keep = [0, 2, 3, 4, 5, 6, 7, 8]  # drop the lot column: lots come from the file names
    f1 = write_csv(tmp_path / "L1.csv", [[r[j] for j in keep] for r in [head] + [r for r in rows[1:] if r[1] == "L1"]])
    f2 = write_csv(tmp_path / "L2.csv", [[r[j] for j in keep] for r in [head] + [r for r in rows[1:] if r[1] == "L2"]])
    insp = read([f1, f2])
    check_small_run(insp)
    assert [f.path for f in insp.files] == [str(f1), str(f2)]


def test_single_file_without_lot_gets_file_stem(tmp_path: Path) -> None:
    rows = [["part", "BORE"], ["Nominal", 10], ["USL", 10.1], ["LSL", 9.9], ["1", 10.0], ["2", 10.02]]
    insp = read([write_csv(tmp_path / "pilot7.csv", rows)])
    assert insp.lots == ["pilot7"]
    assert insp.measurements["sequence"].to_list() == [1, 2]


def test_sequence_subgroup_timestamp_columns(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["sn", "seq", "sample", "date/time", "feature", "measured", "usl"]]
    for k, ts in enumerate(["2024-03-01 08:00", "01.03.2024 08:10:00", "2024-03-01T08:20:00"]):
        rows.append([f"P{k}", 10 - k, 1, ts, "F", 0.1 * (k + 1), 1.0])
    insp = read([write_csv(tmp_path / "x.csv", rows)])
    m = insp.measurements.sort("part_id")
    assert m["sequence"].to_list() == [10, 9, 8]
    assert m["subgroup"].to_list() == [1, 1, 1]
    assert m["timestamp"].to_list() == [datetime(2024, 3, 1, 8, 0), datetime(2024, 3, 1, 8, 10),
                                        datetime(2024, 3, 1, 8, 20)]


def test_column_map(tmp_path: Path) -> None:
    rows = [["Teil", "Merkmal", "Messwert", "Obere Grenze"], ["A", "F", "1,0", "2"], ["B", "F", "1,5", "2"]]
    p = write_csv(tmp_path / "m.csv", rows, delimiter=";")
    insp = read([p], ReadOptions(column_map={"teil": "part_id", "Merkmal": "feature",
                                             "MESSWERT": "value", "Obere Grenze": "usl"}))
    assert insp.layout == "long"
    assert insp.measurements["value"].to_list() == [1.0, 1.5]
    assert insp.measurements["part_id"].to_list() == ["A", "B"]
    assert insp.specs["usl"].to_list() == [2.0]


def test_long_without_part_column(tmp_path: Path) -> None:
    rows = [["Stück", "Lot", "Feature", "Value", "USL"], ["A", "1", "F", "1.0", "2"], ["B", "1", "F", "1.1", "2"]]
    with pytest.raises(InputError) as ei:
        read([write_csv(tmp_path / "m.csv", rows)])
    assert ei.value.message.startswith("no part/serial column: expected a heading like part_id")
    assert "--map HEADING=part_id" in ei.value.message and ei.value.row == 1


def test_column_map_errors(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "m.csv", long_rows())
    with pytest.raises(InputError) as ei:
        read([p], ReadOptions(column_map={"Serial": "serial_no"}))
    assert "unknown canonical name 'serial_no'" in ei.value.message and "part_id" in ei.value.message
    with pytest.raises(InputError, match="--map Operator=ignore: no column or row label 'Operator' in this file"):
        read([p], ReadOptions(column_map={"Operator": "ignore"}))


def test_map_ignore_drops_a_numeric_column(tmp_path: Path) -> None:
    rows = [["Serial", "Temp", "BORE"], ["Nominal", None, 10], ["Tol", None, 0.1],
            ["S1", 1, 10.0], ["S2", 2, 10.05]]
    p = write_csv(tmp_path / "c.csv", rows)
    # a column without spec beside specified ones: read, analysed without capability, with a note
    assert any("no specification" in n and "'Temp'" in n for n in read([p]).notes)
    insp = read([p], ReadOptions(column_map={"temp": "ignore"}))
    assert insp.feature_names == ["BORE"]
    assert insp.specs.row(0, named=True)["lsl"] == 9.9


# --------------------------------------------------------------------------- cells

def _one_feature(tmp_path: Path, cells: list[Any], xlsx: bool = False) -> Path:
    rows: list[list[Any]] = [["Serial", "BORE"], ["Nominal", 10], ["USL", 10.1], ["LSL", 9.9]]
    rows += [[f"S{k}", c] for k, c in enumerate(cells)]
    if xlsx:
        return write_xlsx(tmp_path / "c.xlsx", {"Data": rows})
    return write_csv(tmp_path / "c.csv", rows)


def test_cells_parsed(tmp_path: Path) -> None:
    insp = read([_one_feature(tmp_path, ["0,012", "12.01 mm", "N/A", "", "10.05", "n/m"])])
    assert insp.measurements.sort("sequence")["value"].to_list() == [0.012, 12.01, None, None, 10.05, None]
    assert "BORE: 3 readings marked not measured (rows 7, 8, 10)" in insp.notes


@pytest.mark.parametrize("xlsx", [False, True])
@pytest.mark.parametrize(
    "bad,reason",
    [("OK", "'OK' is an attribute (go/no-go) result"), ("<0.001", "'<0.001' is a censored reading"),
     ("ten", "'ten' is not a number")],
)
def test_bad_cell_named_with_place(tmp_path: Path, xlsx: bool, bad: str, reason: str) -> None:
    p = _one_feature(tmp_path, ["10.0", bad, "10.01"] if not xlsx else [10.0, bad, 10.01], xlsx=xlsx)
    with pytest.raises(InputError) as ei:
        read([p])
    e = ei.value
    assert type(e) is InputError
    assert (e.file, e.row, e.column) == (str(p), 6, "BORE")
    assert reason in e.message
    if xlsx:
        assert e.sheet == "Data" and e.message.startswith("cell B6: ")
        assert str(e).startswith(f"{p}, sheet 'Data', row 6, column 'BORE': cell B6: ")


def test_long_bad_value_place(tmp_path: Path) -> None:
    rows = long_rows()
    rows[5][3] = "NG"
    p = write_csv(tmp_path / "x.csv", rows)
    with pytest.raises(InputError, match="attribute") as ei:
        read([p])
    assert (ei.value.row, ei.value.column) == (6, "Actual")


def test_blank_trailing_rows_and_columns_are_not_readings(tmp_path: Path) -> None:
    rows = wide_rows(True)
    rows = [r + [None, None] for r in rows] + [[None] * 6, [None] * 6]
    p = write_xlsx(tmp_path / "t.xlsx", {"S": rows})
    ws_insp = read([p])
    check_small_run(ws_insp)
    assert not any("not measured" in n for n in ws_insp.notes)


def test_summary_rows_below_table_not_read(tmp_path: Path) -> None:
    rows = wide_rows(False) + [[], ["Mean", None, 10.0, 0.018], ["Std dev", None, 0.01, 0.008]]
    insp = read([write_xlsx(tmp_path / "t.xlsx", {"S": rows})])
    check_small_run(insp)
    assert any("rows 17 and below: not part of the table" in n for n in insp.notes)


def test_text_column_without_spec_is_not_a_feature(tmp_path: Path) -> None:
    rows = wide_rows(False)
    rows[3].append("Remark")
    for r in rows[9:]:
        r.append("JD")
    insp = read([write_xlsx(tmp_path / "t.xlsx", {"S": rows})])
    assert insp.feature_names == ["BORE", "POS"]
    assert any("'Remark': no spec and no numeric readings" in n for n in insp.notes)


# --------------------------------------------------------------------------- bad input

def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="the file is empty"):
        read([p])
    p.write_text("\n\n ,, \n", encoding="utf-8")
    with pytest.raises(InputError, match="the file is empty"):
        read_path(p, ReadOptions())


def test_empty_workbook(tmp_path: Path) -> None:
    p = write_xlsx(tmp_path / "e.xlsx", {"Sheet1": []})
    with pytest.raises(InputError, match="no data"):
        read([p])


def test_no_numeric_data(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "t.csv", [["Serial", "Feature", "Value"], ["S1", "F", "N/A"], ["S2", "F", ""]])
    with pytest.raises(InputError, match="no numeric readings") as ei:
        read([p])
    assert type(ei.value) is InputError
    p2 = write_xlsx(tmp_path / "t.xlsx", {"A": [["just", "text"], ["more", "text"], ["and", "more"]]})
    with pytest.raises(InputError, match="no readings found"):
        read([p2])


def test_sheet_that_is_neither_layout(tmp_path: Path) -> None:
    p = write_xlsx(tmp_path / "t.xlsx", {"A": [[1, 2, 3], [4, 5, 6]]})
    with pytest.raises(InputError, match="expected a long table .* or a wide table"):
        read([p])


def test_duplicate_feature_headings(tmp_path: Path) -> None:
    rows = [["Serial", "BORE", "POS", "BORE"], ["Nominal", 1, 0, 1], ["S1", 1.0, 0.01, 1.01]]
    p = write_xlsx(tmp_path / "d.xlsx", {"S": rows})
    with pytest.raises(InputError) as ei:
        read([p])
    assert "two columns are headed 'BORE' (columns B and D)" in ei.value.message
    assert ei.value.row == 1


def test_duplicate_part_in_wide_and_long(tmp_path: Path) -> None:
    rows = [["Serial", "BORE"], ["Nominal", 1], ["S1", 1.0], ["S1", 1.1]]
    with pytest.raises(InputError, match=r"part S1 appears twice \(rows 3 and 4\)"):
        read([write_csv(tmp_path / "d.csv", rows)])
    lr = long_rows()
    lr.append(list(lr[1]))
    with pytest.raises(InputError, match=r"L1, S1, BORE appears twice \(rows 2 and 14\)"):
        read([write_csv(tmp_path / "l.csv", lr)])


def test_spec_changing_between_rows_of_a_feature(tmp_path: Path) -> None:
    rows = long_rows()
    rows[5][6] = "10.04"  # USL of BORE for the third part
    with pytest.raises(SpecError) as ei:
        read([write_csv(tmp_path / "s.csv", rows)])
    assert "'USL' of feature 'BORE' changes between rows 2 (10.03) and 6 (10.04)" in ei.value.message
    assert (ei.value.row, ei.value.column) == (6, "USL")


def test_unknown_sheet(tmp_path: Path) -> None:
    p = write_xlsx(tmp_path / "w.xlsx", {"CMM": wide_rows(True), "Info": [["x"]]})
    with pytest.raises(InputError) as ei:
        read([p], ReadOptions(sheet="Lot 9"))
    assert ei.value.message == "no sheet named 'Lot 9'; the workbook has: 'CMM', 'Info'"


def test_bad_class_word(tmp_path: Path) -> None:
    rows = wide_rows(True)
    rows[7][2] = "very important"
    with pytest.raises(SpecError, match="class 'very important' is not one of critical, major, minor") as ei:
        read([write_xlsx(tmp_path / "w.xlsx", {"S": rows})])
    assert (ei.value.row, ei.value.column) == (8, "BORE")


def test_sniff(tmp_path: Path) -> None:
    x = write_xlsx(tmp_path / "noext", {"S": wide_rows(True)})
    assert sniff(x, x.read_bytes()[:64])
    c = write_csv(tmp_path / "a.csv", long_rows())
    assert sniff(c, c.read_bytes())
    assert not sniff(tmp_path / "a.dfq", b"K0100 2\r\n")
    assert not sniff(tmp_path / "b.csv", b"\x00\x01binary")


# --------------------------------------------------------------------------- sample data

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def test_sample_files_read_identically() -> None:
    long = read([SAMPLE / "housing_pilot_long.csv"])
    wide = read([SAMPLE / "housing_pilot_wide.xlsx"])
    assert (long.layout, wide.layout) == ("long", "wide")
    assert_frame_equal(long.measurements.sort(KEY), wide.measurements.sort(KEY))
    assert_frame_equal(long.specs.drop("source"), wide.specs.drop("source"))
    # the sample's documented shape (sample_data/generate.py)
    assert long.lots == ["L01", "L02", "L03"] and long.n_parts == 150
    assert len(long.feature_names) == 12
    assert wide.metadata["part_number"] == "HSG-4711" and wide.metadata["revision"] == "C"
    pos = wide.specs.filter(pl.col("feature") == "HOLE1_POS").row(0, named=True)
    assert pos["lsl"] is None and pos["usl"] == 0.1 and pos["lower_bound_zero"] is True


# --------------------------------------------------------------------------- properties, speed

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_floats_round_trip_csv(tmp_path: Path, values: list[float]) -> None:
    rows: list[list[Any]] = [["Serial", "F"], ["Nominal", "0"]]
    rows += [[f"S{k}", repr(v)] for k, v in enumerate(values)]
    insp = read_path(write_csv(tmp_path / "r.csv", rows), ReadOptions())
    assert insp.measurements.sort("sequence")["value"].to_list() == values


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(allow_nan=False, min_value=-1e300, max_value=1e300),
                       min_size=1, max_size=20))
def test_floats_round_trip_xlsx(tmp_path: Path, values: list[float]) -> None:
    rows: list[list[Any]] = [["Serial", "F"], ["Nominal", 0.0]]
    rows += [[f"S{k}", v] for k, v in enumerate(values)]
    insp = read_path(write_xlsx(tmp_path / "r.xlsx", {"S": rows}), ReadOptions())
    # openpyxl's writer stores 16 significant digits (as Excel does); the reader must return
    # exactly the number the cell holds
    assert insp.measurements.sort("sequence")["value"].to_list() == [float(f"{v:.16g}") for v in values]


def test_wide_300_features_500_parts(tmp_path: Path) -> None:
    """A CMM-sized wide workbook reads completely and exactly (its speed is measured in
    benchmarks/bench_read.py, not here)."""
    nf, npart = 300, 500
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("CMM")
    ws.append(["Serial"] + [f"F{j}" for j in range(nf)])
    ws.append(["Nominal"] + [10.0] * nf)
    ws.append(["+Tol"] + [0.05] * nf)
    ws.append(["-Tol"] + [0.05] * nf)
    for i in range(npart):
        ws.append([f"S{i}"] + [10.0 + ((i * 7 + j) % 11 - 5) * 0.001 for j in range(nf)])
    p = tmp_path / "big.xlsx"
    wb.save(p)
    insp = read([p])
    assert insp.measurements.height == nf * npart
    assert math.isclose(insp.measurements["value"].sum(), sum(
        10.0 + ((i * 7 + j) % 11 - 5) * 0.001 for i in range(npart) for j in range(nf)), rel_tol=1e-12)
    last = insp.measurements.filter((pl.col("part_id") == f"S{npart - 1}") & (pl.col("feature") == f"F{nf - 1}"))
    assert last["value"].to_list() == [10.0 + (((npart - 1) * 7 + nf - 1) % 11 - 5) * 0.001]


# ---------------------------------------------------------------------------------------------
# legacy Excel 97-2003 (.xls): files written by LibreOffice Calc (tests/data/make_xls_fixtures.py)
# ---------------------------------------------------------------------------------------------

XLS_DIR = Path(__file__).resolve().parent / "data"
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"


def test_xls_shop_report_reads_like_its_xlsx_original() -> None:
    """The bundled shop report saved as .xls by LibreOffice gives the same inspection as the
    .xlsx it was converted from: readings, specs, header metadata and layout."""
    a = read([SAMPLE_DIR / "housing_pilot_report.xlsx"])
    b = read([SAMPLE_DIR / "housing_pilot_report.xls"])
    assert b.layout == a.layout == "characteristic-rows"
    assert b.measurements.height == a.measurements.height == 1800
    assert_frame_equal(a.measurements, b.measurements)
    assert_frame_equal(a.specs.drop("source"), b.specs.drop("source"))
    assert b.metadata == a.metadata and b.metadata["part_number"] == "HSG-4711"
    assert b.files[0].path.endswith(".xls")


def test_xls_cells_keep_their_types() -> None:
    """Whole numbers come back as int (a part number 1, not '1.0'), dates as datetimes in the
    workbook's date system, readings as floats, an error cell as its Excel text."""
    from pilotqa.read.tabular import read_grids

    (sheet, rows), = read_grids(XLS_DIR / "legacy_long_errors.xls")
    assert sheet == "Readings"
    assert rows[0][:5] == ["Part", "Lot", "Measured at", "Characteristic", "Actual"]
    assert rows[1][:5] == [1, "L01", datetime(2024, 3, 4, 7, 40), "BORE_DIA", 20.002]
    assert type(rows[1][0]) is int and type(rows[1][4]) is float
    assert rows[8][4] == "#DIV/0!"


def test_xls_error_cell_is_refused_with_its_place() -> None:
    path = XLS_DIR / "legacy_long_errors.xls"
    with pytest.raises(InputError) as ei:
        read([path])
    assert str(ei.value) == (f"{path}, sheet 'Readings', row 9, column 'Actual': "
                             "cell E9: '#DIV/0!' is a spreadsheet error value")


def test_xls_sheet_option_and_unknown_sheet() -> None:
    path = SAMPLE_DIR / "housing_pilot_report.xls"
    one = read([path], ReadOptions(sheet="lot l02"))  # case-insensitive like XLSX
    assert one.measurements["lot"].unique().to_list() == ["L02"]
    with pytest.raises(InputError, match=r"no sheet named 'Lot 9'; the workbook has: 'Lot L01', "
                                         r"'Lot L02', 'Lot L03'"):
        read([path], ReadOptions(sheet="Lot 9"))


def test_xls_found_by_content_and_damaged_file_refused(tmp_path: Path) -> None:
    """An .xls is recognised by its OLE2 signature whatever its name; an OLE2 file that is not
    a workbook is refused as unreadable, not read as text."""
    renamed = tmp_path / "export.dat"
    renamed.write_bytes((SAMPLE_DIR / "housing_pilot_report.xls").read_bytes())
    assert read([renamed]).measurements.height == 1800
    bad = tmp_path / "broken.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert sniff(bad, bad.read_bytes()[:64])
    with pytest.raises(InputError, match=r"broken\.xls: not a readable XLS workbook"):
        read([bad])


# ---------------------------------------------------------------------------------------------
# formulas in XLSX: a saved result is read; no saved result is refused, never a blank
# ---------------------------------------------------------------------------------------------

def test_formula_without_saved_result_is_refused_with_its_address(tmp_path: Path) -> None:
    """openpyxl (like other writers that do not calculate) saves a formula with an empty <v/>;
    its data-only value is None. That cell must not become a silent 'not measured'."""
    rows = [["Part", "Characteristic", "Actual", "Nominal", "LSL", "USL"]]
    rows += [[i, "BORE", 20.0 + 0.001 * i, 20.0, 19.98, 20.02] for i in range(1, 6)]
    path = write_xlsx(tmp_path / "scripted.xlsx", {"Data": rows})
    wb = openpyxl.load_workbook(path)
    wb["Data"]["C4"] = "=C3+0.001"
    wb.save(path)
    with pytest.raises(InputError) as ei:
        read([path])
    assert str(ei.value) == (
        f"{path}, sheet 'Data', row 4, column 'Actual': cell C4: '=C3+0.001' is a formula without "
        "a saved result (the file was written by a program that does not calculate formulas; open "
        "and save it in Excel or LibreOffice)")


def test_formulas_saved_by_libreoffice_are_read() -> None:
    """LibreOffice saved the results: =C2+0.001 reads as 20.002; =IF(1=2,1,"") saved the empty
    text, a genuine blank counted as not measured with a note (tests/data/make_xls_fixtures.py)."""
    insp = read([XLS_DIR / "libreoffice_formulas.xlsx"])
    m = insp.measurements.sort("sequence")
    assert m["value"].to_list()[:3] == [20.001, 20.002, None]
    assert any("1 reading marked not measured (sheet 'Data', row 4)" in n for n in insp.notes)


def test_formula_text_in_a_csv_reading_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    p.write_text("part,feature,value,lsl,usl\n1,A,=B2*2,0,1\n2,A,0.5,0,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column 'value': '=B2\*2' is a formula without a "
                                         r"saved result"):
        read([p])
