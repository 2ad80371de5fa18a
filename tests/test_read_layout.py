"""Shop sheet layouts (issue 11 item 5), written by the tests with openpyxl in several variants:
a balloon-number row above the characteristic row, an "Actual"/"Measured" label row under the
headings, AS9102 Form 3; --header-row and --layout; the message when detection fails."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pilotqa.errors import InputError
from pilotqa.read import ReadOptions, read
from tests.workbooks import write_xlsx

SERIALS = [f"SN{i:03d}" for i in range(1, 9)]
VALS = {"Bore A": [10.01, 10.02, 9.99, 10.0, 10.015, 9.985, 10.005, 10.0],
        "Length": [50.02, 49.98, 50.01, 50.0, 49.99, 50.03, 50.0, 50.01],
        "Flatness": [0.01, 0.02, 0.015, 0.012, 0.018, 0.011, 0.009, 0.02]}
T0 = datetime(2026, 3, 2, 8)
SPEC_ROWS: list[list[Any]] = [["Nominal", None, 10, 50, 0], ["+Tol", None, 0.03, 0.05, 0.05],
             ["-Tol", None, 0.03, 0.05, 0]]
EXPECTED = {"Bore A": (10.0, 9.97, 10.03), "Length": (50.0, 49.95, 50.05),
            "Flatness": (0.0, None, 0.05)}


def _data() -> list[list[Any]]:
    return [[s, T0 + timedelta(minutes=10 * i)] + [VALS[k][i] for k in VALS]
            for i, s in enumerate(SERIALS)]


def _check_wide(insp: Any) -> None:
    assert insp.feature_names == list(VALS)
    got = {r["feature"]: (r["nominal"], r["lsl"], r["usl"]) for r in insp.specs.iter_rows(named=True)}
    assert got == EXPECTED
    m = insp.measurements.sort("sequence")
    assert m["part_id"].unique(maintain_order=True).to_list() == SERIALS
    assert m.filter(m["feature"] == "Bore A")["value"].to_list() == VALS["Bore A"]
    assert m["timestamp"].min() == T0
    assert insp.metadata["revision"] == "D"


HEADER: list[Any] = ["Serial", "Date", "Bore A", "Length", "Flatness"]
TOP: list[list[Any]] = [["Part number:", "HSG-1"], ["Drawing Rev.:", "D"], []]


@pytest.mark.parametrize("balloons", [
    [None, None, 1, 2, 3],
    ["Balloon", None, 1, 2, 3],
    ["Char No.", None, "(1)", "(2)", "(3)"],
    [None, None, "①", "②", "③"],
    ["Item", None, "1", "2", "3a"],
])
@pytest.mark.parametrize("spec_above", [False, True])
def test_balloon_row_above_the_characteristic_row(tmp_path: Path, balloons: list[Any],
                                                  spec_above: bool) -> None:
    body: list[list[Any]] = SPEC_ROWS + [balloons, HEADER] if spec_above else [balloons, HEADER] + SPEC_ROWS
    insp = read([write_xlsx(tmp_path / "b.xlsx", {"Sheet1": TOP + body + _data()})])
    _check_wide(insp)
    assert any("balloon numbers above the heading row" in n for n in insp.notes)


@pytest.mark.parametrize("label_row", [
    [None, None, "Actual", "Actual", "Actual"],
    [None, None, "Measured", "Measured", "Measured"],
    [None, None, "Istwert", "Istwert", "Istwert"],
    ["Actual", "Actual", "Actual", "Actual", "Actual"],
    [None, None, "Actual", None, "Actual"],
])
@pytest.mark.parametrize("where", ["after_specs", "before_specs"])
def test_actual_label_row_under_the_headings(tmp_path: Path, label_row: list[Any],
                                             where: str) -> None:
    body: list[list[Any]] = ([HEADER] + SPEC_ROWS + [label_row] if where == "after_specs"
            else [HEADER, label_row] + SPEC_ROWS)
    insp = read([write_xlsx(tmp_path / "a.xlsx", {"Sheet1": TOP + body + _data()})])
    _check_wide(insp)
    assert any("a label row of the readings" in n for n in insp.notes)


def _as9102(numbered: bool, serial_fmt: str, tol: dict[str, str]) -> list[list[Any]]:
    def n(k: int, t: str) -> str:
        return f"{k}. {t}" if numbered else t

    serials = [serial_fmt.format(i) for i in range(1, 9)]
    return [
        ["AS9102 Rev C — Form 3: Characteristic Accountability, Verification and Compatibility "
         "Evaluation"],
        [n(1, "Part Number"), "HSG-1", None, n(2, "Part Name"), "Housing"],
        [n(3, "Serial Number"), "SN001-SN008", None, n(4, "FAIR Number"), "FAI-0042"],
        [],
        [n(5, "Char No."), n(6, "Reference Location"), n(7, "Characteristic Designator"),
         n(8, "Requirement"), "Unit", n(10, "Designed / Qualified Tooling")] + serials,
        [1, "B4", "Key", tol["Bore A"], "mm", "CMM-01"] + VALS["Bore A"],
        [2, "C2", None, tol["Length"], "mm", "CMM-01 prog 7 rev B"] + VALS["Length"],
        [3, "A1", None, tol["Flatness"], "mm", "CMM-01"] + VALS["Flatness"],
    ]


@pytest.mark.parametrize(("numbered", "serial_fmt", "tol"), [
    (True, "SN{:03d}", {"Bore A": "Ø10 ±0.03", "Length": "50 +0.05/-0.05", "Flatness": "⏥ 0.05"}),
    (False, "S/N {:03d}", {"Bore A": "Ø10 +0.03/-0.03", "Length": "50 ±0.05",
                           "Flatness": "Flatness 0.05"}),
    (True, "{}", {"Bore A": "9.970/10.030", "Length": "49.950/50.050", "Flatness": "⏥ 0.05 A"}),
])
def test_as9102_form_3(tmp_path: Path, numbered: bool, serial_fmt: str,
                       tol: dict[str, str]) -> None:
    p = write_xlsx(tmp_path / "fai.xlsx", {"Form 3": _as9102(numbered, serial_fmt, tol)})
    insp = read([p])
    assert insp.layout == "characteristic-rows"
    assert insp.details["sheets"][0]["form"] == "AS9102 Form 3"
    specs = list(insp.specs.iter_rows(named=True))
    assert [(r["lsl"], r["usl"]) for r in specs] == [(9.97, 10.03), (49.95, 50.05), (None, 0.05)]
    assert specs[0]["class"] == "critical"  # designator "Key"
    assert specs[2]["lower_bound_zero"] is True
    assert insp.n_parts == 8 and insp.metadata["part_number"] == "HSG-1"
    assert insp.metadata["description"] == "Housing"
    same = read([p], ReadOptions(layout="as9102", header_row=5))
    assert same.feature_names == insp.feature_names


def test_header_row_option_and_its_errors(tmp_path: Path) -> None:
    """Two header-looking rows: detection takes the first; --header-row names the second."""
    rows: list[list[Any]] = [["Inspection of", "housing"], ["Serial", "Bore A", "Length"],
            ["Nominal", 10, 50], ["USL", 10.03, 50.05], ["LSL", 9.97, 49.95]]
    rows += [[s, VALS["Bore A"][i], VALS["Length"][i]] for i, s in enumerate(SERIALS)]
    rows = [["Remarks", "none"]] + rows
    p = write_xlsx(tmp_path / "h.xlsx", {"S": rows})
    with pytest.raises(InputError, match="row 1 read as the heading row; name the heading row "
                                         "with --header-row N"):
        read([p])
    insp = read([p], ReadOptions(header_row=3))
    assert insp.feature_names == ["Bore A", "Length"] and insp.n_parts == 8
    with pytest.raises(InputError, match="--header-row 40: the row is empty or beyond"):
        read([p], ReadOptions(header_row=40))


def test_layout_option_overrides_detection(tmp_path: Path) -> None:
    """Characteristics named 'Feature' and 'Value' make the sheet look long; --layout wide."""
    rows: list[list[Any]] = [["Serial", "Feature", "Value"], ["Nominal", 10, 50], ["USL", 10.03, 50.05],
            ["LSL", 9.97, 49.95]]
    rows += [[s, VALS["Bore A"][i], VALS["Length"][i]] for i, s in enumerate(SERIALS)]
    p = write_xlsx(tmp_path / "l.xlsx", {"S": rows})
    with pytest.raises(InputError):
        read([p])
    insp = read([p], ReadOptions(layout="wide"))
    assert insp.feature_names == ["Feature", "Value"] and insp.n_parts == 8
    with pytest.raises(InputError, match="--layout long: heading row 1 has no characteristic"):
        read([write_xlsx(tmp_path / "w.xlsx", {"S": [HEADER] + SPEC_ROWS + _data()})],
             ReadOptions(layout="long"))


def test_failed_detection_names_the_rows_tried_and_the_options(tmp_path: Path) -> None:
    rows: list[list[Any]] = [[1.5, 2.5], [3.5, 4.5], [5.5, 6.5]]
    with pytest.raises(InputError) as exc:
        read([write_xlsx(tmp_path / "n.xlsx", {"S": rows})])
    msg = str(exc.value)
    assert "tried rows 1-3 as headings" in msg and "--header-row" in msg and "--layout" in msg
    assert "\n" not in msg
    with pytest.raises(InputError, match="tried row 2; name the heading row with --header-row"):
        read([write_xlsx(tmp_path / "c.xlsx", {"S": _as9102(True, "SN{:03d}", {
            "Bore A": "Ø10 ±0.03", "Length": "50 ±0.05", "Flatness": "⏥ 0.05"})})],
             ReadOptions(layout="charrows", header_row=2))


def test_cli_header_row_and_layout(tmp_path: Path) -> None:
    from pilotqa_cli.main import cli

    p = write_xlsx(tmp_path / "fai.xlsx", {"Form 3": _as9102(True, "SN{:03d}", {
        "Bore A": "Ø10 ±0.03", "Length": "50 ±0.05", "Flatness": "⏥ 0.05"})})
    r = CliRunner().invoke(cli, ["inspect", str(p), "--layout", "as9102", "--header-row", "5"])
    assert r.exit_code == 0, r.output
    assert "AS9102 Form 3" in r.output
    r = CliRunner().invoke(cli, ["inspect", str(p), "--layout", "as9102", "--header-row", "1"])
    assert r.exit_code == 2 and "tried row 1" in r.output


def test_as9102_form_3_of_one_part_per_file(tmp_path: Path) -> None:
    """The Rev C form of one FAI part: readings in '9. Results', the serial in field 3; a folder
    of such forms is one inspection, each form one part."""
    folder = tmp_path / "fai"
    folder.mkdir()
    for k, sn in enumerate(["SN001", "SN002", "SN003"]):
        rows: list[list[Any]] = [
            ["AS9102 Form 3"], ["1. Part Number", "HSG-1", None, "2. Part Name", "Housing"],
            ["3. Serial Number", sn, None, "4. FAIR Number", f"FAI-{k}"], [],
            ["5. Char No.", "6. Reference Location", "7. Characteristic Designator",
             "8. Requirement", "9. Results", "10. Designed / Qualified Tooling",
             "11. Nonconformance Number"],
            [1, "B4", "Key", "Ø10 ±0.03", 10.01 + k / 1000, "CMM-01", None],
            [2, "C2", None, "50 +0.05/-0.05", 50.02 - k / 100, "CMM-01", None]]
        write_xlsx(folder / f"{sn}.xlsx", {"Form 3": rows})
    insp = read([folder])
    assert sorted(insp.measurements["part_id"].unique()) == ["SN001", "SN002", "SN003"]
    spec = insp.specs.row(1, named=True)
    assert (spec["lsl"], spec["usl"]) == (49.95, 50.05)
    assert insp.metadata["fair_number"] == "FAI-0 / FAI-1 / FAI-2"
