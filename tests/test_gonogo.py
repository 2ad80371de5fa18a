"""Go/no-go (attribute) characteristics, issue 12: the token table, every layout with a go/no-go
column and one NOK part (part count, readiness, JSON schema), the AQDEF attribute files, the
Clopper–Pearson bound against scipy and published values, and the decision."""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import random
from pathlib import Path
from typing import Any, Callable

import polars as pl
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from openpyxl import Workbook
from scipy.stats import beta

from pilotqa.analysis import analyze
from pilotqa.decide.policy import Policy, PolicyError, policy_from_dict, policy_toml_text
from pilotqa.errors import InputError
from pilotqa.model import Inspection, empty_measurements, empty_specs
from pilotqa.read import read
from pilotqa.read.gonogo import classify, heading_says_gonogo, read_cells, token_key
from pilotqa.report.json import build_document
from pilotqa.settings import Settings
from pilotqa.stats.attributes import clopper_pearson_upper, success_run_statement, zero_failure_n

N = 60
NOK = "SN017"


# ----------------------------------------------------------------------------- token table
@pytest.mark.parametrize("cell, gated, want", [
    ("OK", False, True), ("nok", False, False), ("Not OK", False, False), ("i.O.", False, True),
    ("n.i.O.", False, False), ("N I O", False, False), ("IO", False, True), ("pass", False, True),
    ("FAILED", False, False), ("G", False, True), ("NG", False, False), ("Go", False, True),
    ("No-Go", False, False), ("no go", False, False), ("accept", False, True), ("Reject", False, False),
    ("✓", False, True), ("✗", False, False), ("不合格", False, False), ("conforme", False, True),
    ("non conforme", False, False),
    # 1/0, yes/no, P/F only under a go/no-go heading
    ("1", False, None), ("0", False, None), (1, True, True), (0.0, True, False), ("1.0", True, True),
    ("yes", False, None), ("yes", True, True), ("N", True, False), ("P", True, True), (True, True, True),
    # never tokens
    ("x", True, None), ("2", True, None), ("10.02", True, None), ("scratch", True, None),
])
def test_token_table(cell: Any, gated: bool, want: bool | None) -> None:
    assert classify(cell, gated) is want


def test_token_key_and_heading_gate() -> None:
    assert token_key(" n. i. O. ") == "nio" == token_key("NIO")
    assert [heading_says_gonogo(h) for h in ("Go/NoGo", "Thread gauge (Lehre)", "OK/NOK", "Pass/Fail",
                                             "i.O./n.i.O.", "Visual check", "Attribute 3")] == [True] * 7
    # a heading naming only the failing state must not read 1 as "conforming"
    assert [heading_says_gonogo(h) for h in ("Defects", "Reject", "NOK", "Count", "Bore dia")] == [False] * 5


def test_read_cells_columns() -> None:
    g = read_cells(["OK", None, "NOK", "n/a"], "Thread")
    assert g is not None and g.conforming == (True, None, False, None) and g.raw == ("OK", None, "NOK", None)
    assert read_cells([1, 0, 1], "Count") is None  # a numeric count stays a measured column
    assert read_cells([1, 0, 1], "Go/NoGo").conforming == (True, False, True)  # type: ignore[union-attr]
    assert read_cells([1, 0, 2], "Go/NoGo") is None  # a 2 is no verdict
    assert read_cells([None, "", "N/A"], "Thread") is None  # nothing checked
    assert read_cells(["OK", "Smith"], "Operator") is None  # text: not a go/no-go column


# ----------------------------------------------------------------------------- fixtures
def _dia(i: int, rng: random.Random) -> float:
    return round(10.0 + rng.gauss(0, 0.006), 4)


def _verdict(i: int) -> str:
    return "NOK" if f"SN{i:03d}" == NOK else "OK"


def _wide_rows() -> list[list[Any]]:
    rng = random.Random(7)
    rows: list[list[Any]] = [["Serial", "Lot", "BORE_DIA", "THREAD_M6 go/no-go"],
                             ["Nominal", None, 10.0, None], ["USL", None, 10.05, None],
                             ["LSL", None, 9.95, None]]
    for i in range(1, N + 1):
        rows.append([f"SN{i:03d}", "L1" if i <= 30 else "L2", _dia(i, rng), _verdict(i)])
    return rows


def _long_rows(extra_part: bool = True) -> list[list[Any]]:
    rng = random.Random(8)
    rows: list[list[Any]] = [["part_id", "lot", "feature", "value", "lsl", "usl"]]
    for i in range(1, N + 1):
        lot = "L1" if i <= 30 else "L2"
        rows.append([f"SN{i:03d}", lot, "BORE_DIA", _dia(i, rng), 9.95, 10.05])
        rows.append([f"SN{i:03d}", lot, "THREAD_M6", _verdict(i), None, None])
    if extra_part:  # a part that was only gauged, never measured: still a part
        rows.append(["SN999", "L2", "THREAD_M6", "OK", None, None])
    return rows


def _charrows_rows() -> list[list[Any]]:
    rng = random.Random(9)
    serials = [f"SN{i:03d}" for i in range(1, N + 1)]
    return [["Part number:", "HSG-4711"], [],
            ["Balloon", "Characteristic", "Nominal", "+Tol", "-Tol", "Method", *serials],
            ["1", "Bore dia", 10.0, 0.05, 0.05, "CMM", *[_dia(i, rng) for i in range(1, N + 1)]],
            ["2", "Thread M6", None, None, None, "thread gauge",
             *["n.i.O." if s == NOK else "i.O." for s in serials]]]


def _as9102_rows() -> list[list[Any]]:
    """An AS9102 Form 3 with a column per serial: the thread row is accepted/rejected."""
    rng = random.Random(10)
    serials = [f"SN{i:03d}" for i in range(1, N + 1)]
    return [["1. Part Number", "HSG-9"], [],
            ["5. Char No.", "6. Reference Location", "7. Characteristic Designator", "8. Requirement",
             "9. Unit", "10. Designed/Qualified Tooling", *serials],
            ["1", "A1", None, "Ø10 ±0.05", "mm", "CMM", *[_dia(i, rng) for i in range(1, N + 1)]],
            ["2", "B2", None, "Thread M6-6H", None, "thread gauge",
             *["Reject" if s == NOK else "Accept" for s in serials]]]


def _write(tmp: Path, name: str, rows: list[list[Any]]) -> Path:
    p = tmp / name
    if p.suffix == ".csv":
        with p.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["" if v is None else v for v in r] for r in rows])
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = "Data"
        for r in rows:
            ws.append(r)
        wb.save(p)
    return p


LAYOUTS: dict[str, Callable[[], list[list[Any]]]] = {"wide": _wide_rows, "long": _long_rows,
                                                     "charrows": _charrows_rows, "as9102": _as9102_rows}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_go_nogo_column_in_every_layout(tmp_path: Path, layout: str, ext: str,
                                        validate_document: Callable[[dict[str, Any]], None]) -> None:
    p = _write(tmp_path, f"{layout}.{ext}", LAYOUTS[layout]())
    insp = read([p])
    parts = N + (1 if layout == "long" else 0)
    assert insp.n_parts == parts  # the NOK part (and a gauged-only part) are parts
    assert insp.attribute_readings is not None
    thread = next(f for f in insp.attribute_readings["feature"].unique().to_list())
    assert "Thread" in thread or "THREAD" in thread
    doc = build_document(analyze(insp))
    validate_document(doc)
    assert doc["input"]["parts"] == parts
    feats = {f["feature"]: f for f in doc["features"]}
    a = feats[thread]
    assert a["type"] == "attribute" and a["n"] == parts and a["n_nonconforming"] == 1
    assert a["p_upper"] == pytest.approx(beta.ppf(0.975, 2, parts - 1), rel=1e-12)
    assert a["p_upper_confidence"] == 0.975
    assert [o["part_id"] for o in a["out_of_spec"]] == [NOK]
    assert a["out_of_spec"][0]["side"] == "nonconforming" and a["out_of_spec"][0]["value"] is None
    assert a["decision"]["verdict"] == "keep_100"
    assert any(NOK in r for r in a["decision"]["reasons"])
    assert doc["readiness"]["status"] != "ready_for_sampling"
    nc = {x["part_id"]: x for x in doc["readiness"]["nonconforming_parts"]}
    assert thread in nc[NOK]["features"]
    assert any(e["feature"] == thread and e["method"] == "100%" for e in doc["inspection_plan"])
    others = [f for f in doc["features"] if f["feature"] != thread]
    assert others and all(f["type"] == "variable" for f in others)


def test_several_files_keep_go_nogo_parts_in_sequence(tmp_path: Path) -> None:
    """Two wide files (lot = file): the go/no-go readings are renumbered with their file's parts."""
    a = _write(tmp_path, "lotA.csv", [r[:1] + r[2:] for r in _wide_rows()])
    b = _write(tmp_path, "lotB.xlsx", [r[:1] + r[2:] for r in _wide_rows()])
    insp = read([a, b])
    assert insp.n_parts == 2 * N and insp.lots == ["lotA", "lotB"]
    g, m = insp.attribute_readings, insp.measurements
    assert g is not None
    joined = g.join(m.select("lot", "part_id", pl.col("sequence").alias("seq_m")), on=["lot", "part_id"])
    assert joined.height == 2 * N and (joined["sequence"] == joined["seq_m"]).all()
    assert sorted(g.filter(~pl.col("conforming"))["lot"].to_list()) == ["lotA", "lotB"]


def test_mixed_numbers_and_verdicts_name_the_cell(tmp_path: Path) -> None:
    rows = _long_rows(extra_part=False)
    rows[5][3] = "NOK"  # row 6: a BORE_DIA reading
    p = _write(tmp_path, "mixed.csv", rows)
    with pytest.raises(InputError, match="go/no-go") as ei:
        read([p])
    assert (ei.value.row, ei.value.column) == (6, "value")
    wide = _wide_rows()
    wide[10][2] = "OK"  # a verdict among the BORE_DIA numbers (wide)
    with pytest.raises(InputError, match="attribute") as ei:
        read([_write(tmp_path, "mixed_wide.xlsx", wide)])
    assert ei.value.row == 11 and ei.value.column == "BORE_DIA"


def test_zero_one_column_only_under_a_go_nogo_heading(tmp_path: Path) -> None:
    rows = _wide_rows()
    rows[0][3] = "Go/NoGo"
    for r in rows[4:]:
        r[3] = 0 if r[0] == NOK else 1
    insp = read([_write(tmp_path, "zo.xlsx", rows)])
    assert insp.attribute_readings is not None
    bad = insp.attribute_readings.filter(~pl.col("conforming"))["part_id"].to_list()
    assert bad == [NOK]
    rows[0][3] = "Count"  # a 0/1 count: measured, not a verdict
    rows[1][3], rows[2][3], rows[3][3] = 1, 2, 0  # nominal, USL, LSL
    insp = read([_write(tmp_path, "count.xlsx", rows)])
    assert insp.attribute_readings is None and "Count" in insp.specs["feature"].to_list()


def test_wide_blank_verdict_is_not_checked(tmp_path: Path) -> None:
    rows = _wide_rows()
    rows[20][3] = None
    insp = read([_write(tmp_path, "blank.csv", rows)])
    assert insp.attribute_readings is not None and insp.attribute_readings.height == N - 1
    assert any("without a go/no-go result" in n for n in insp.notes)


# ----------------------------------------------------------------------------- AQDEF
def test_aqdef_attribute_counts_from_value_portions(shared_dir: Path) -> None:
    """The Q-DAS example ExampleDrawingsketchAttribute.DFQ: four K2004 = 1 characteristics,
    value lines in separator notation (K0020 subgroup size, K0021 nonconforming per portion)."""
    f = shared_dir / "real_exports" / "qdas_examples" / "ENG" / "PV" / "ExampleDrawingsketchAttribute.DFQ"
    if not f.exists():
        pytest.skip(f"{f} is not there")
    insp = read([f])
    a = insp.attributes
    assert a is not None and set(a["char_type"].to_list()) == {1}
    raw = [line for line in f.read_bytes().decode("latin-1").splitlines() if "\x0f" in line]
    x1 = sum(int(line.split("\x0f")[0].split("\x14")[1]) for line in raw)
    n1 = sum(int(line.split("\x0f")[0].split("\x14")[0]) for line in raw)
    stats = {fr.feature: fr.stats for fr in analyze(insp).features}
    assert list(stats) == ["A1", "A2", "A3", "A4"]
    assert (stats["A1"].n, stats["A1"].n_nonconforming) == (n1, x1)
    assert stats["A1"].p_upper == pytest.approx(beta.ppf(0.975, x1 + 1, n1 - x1), rel=1e-12)


@pytest.mark.parametrize("name", ["PART1.DFQ", "PART5.DFQ"])
def test_qdas_as_examples_hold_variable_characteristics_only(shared_dir: Path, name: str) -> None:
    """The ENG/AS example files carry K2004 = 0 only (checked): they read as measured
    characteristics, none of them attribute."""
    f = shared_dir / "real_exports" / "qdas_examples" / "ENG" / "AS" / name
    if not f.exists():
        pytest.skip(f"{f} is not there")
    types = {line.split()[1] for line in f.read_bytes().decode("latin-1").splitlines()
             if line.startswith("K2004")}
    assert types == {"0"}
    insp = read([f])
    assert insp.attributes is None and insp.attribute_readings is None and insp.specs.height > 0


# ----------------------------------------------------------------------------- the bound
@pytest.mark.parametrize("x, n", [(0, 1), (0, 30), (1, 30), (3, 100), (0, 150), (7, 300), (50, 50), (12, 5000)])
@pytest.mark.parametrize("conf", [0.9, 0.95, 0.975, 0.99])
def test_clopper_pearson_is_the_beta_quantile(x: int, n: int, conf: float) -> None:
    want = 1.0 if x == n else beta.ppf(conf, x + 1, n - x)
    assert clopper_pearson_upper(x, n, conf) == pytest.approx(want, rel=1e-10, abs=1e-15)


@pytest.mark.parametrize("x, n, upper", [(0, 20, 0.1684), (1, 29, 0.1776), (15, 148, 0.1617), (81, 263, 0.3676)])
def test_clopper_pearson_published_values(x: int, n: int, upper: float) -> None:
    """Newcombe, R. G. (1998) "Two-sided confidence intervals for the single proportion:
    comparison of seven methods", Stat. Med. 17, 857–872, Table II, method 5 (exact,
    Clopper–Pearson): the upper limit of the two-sided 95 % interval = the one-sided 97.5 % bound."""
    assert round(clopper_pearson_upper(x, n, 0.975), 4) == upper  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [30, 100, 300, 1000])
def test_rule_of_three(n: int) -> None:
    """Zero failures in n: the one-sided 95 % bound ≈ 3/n (Hanley & Lippman-Hand 1983), exactly
    −ln(0.05)/n to first order, and always below 3/n."""
    pu = clopper_pearson_upper(0, n, 0.95)
    assert pu is not None and pu < 3 / n
    assert pu == pytest.approx(3 / n, rel=0.05)


def test_success_run_sentence_and_zero_failure_n() -> None:
    pu = clopper_pearson_upper(0, 150, 0.975)
    assert success_run_statement(0, 150, pu, 0.975) == "0 of 150 nonconforming: p ≤ 2.4 % with 97.5 % confidence"
    # ⌈ln(0.05)/ln(0.99)⌉ = ⌈298.07⌉: 298 parts give 1 − 0.99^298 = 0.94996 < 0.95
    assert zero_failure_n(0.01, 0.95) == 299
    assert 1 - 0.99 ** 298 < 0.95 <= 1 - 0.99 ** 299
    for p, c in [(0.001, 0.975), (0.0065, 0.975), (0.015, 0.975), (0.05, 0.9)]:
        n = zero_failure_n(p, c)
        assert clopper_pearson_upper(0, n, c) <= p < clopper_pearson_upper(0, n - 1, c)  # type: ignore[operator]


# ----------------------------------------------------------------------------- the decision
def _attr_insp(n: int, bad: int = 0, lots: int = 2) -> Inspection:
    g = pl.DataFrame({"part_id": [f"P{i}" for i in range(1, n + 1)],
                      "lot": [f"L{1 + (i * lots) // n}" for i in range(n)],
                      "sequence": list(range(1, n + 1)), "feature": ["GAUGE"] * n,
                      "conforming": [i >= bad for i in range(n)], "raw": ["fail" if i < bad else "pass" for i in range(n)]})
    return Inspection(measurements=empty_measurements(), specs=empty_specs(), layout="long", attribute_readings=g)


def test_release_needs_the_zero_failure_n() -> None:
    minor = Settings(critical=())
    pol = dataclasses.replace(Policy(), default_class="minor")
    kept = analyze(_attr_insp(244), minor, pol).features[0].decision
    assert kept.verdict == "keep_100" and kept.evidence.zero_failure_parts == 245
    assert "n = 245 parts with none nonconforming would show p ≤ 1.5 %" in " ".join(kept.reasons)
    res = analyze(_attr_insp(245), minor, pol)
    d = res.features[0].decision
    assert d.verdict == "attributes_plan" and d.plan is not None and d.plan.method == "attributes"
    assert res.readiness.status == "ready_for_sampling"
    crit = analyze(_attr_insp(3688), Settings(critical=("GAUGE",)), pol).features[0].decision
    assert crit.verdict == "attributes_plan" and crit.plan is not None and crit.plan.method == "c0"
    assert analyze(_attr_insp(3687), Settings(critical=("GAUGE",)), pol).features[0].verdict == "keep_100"


def test_failed_parts_keep_100_and_name_them() -> None:
    res = analyze(_attr_insp(400, bad=2))
    fr = res.features[0]
    assert fr.verdict == "keep_100" and fr.stats.n_out_of_spec == 2
    assert "2 of 400 pilot parts failed the go/no-go check: P1, P2" in fr.decision.reasons[0]
    assert [p.part_id for p in res.readiness.nonconforming_parts] == ["P1", "P2"]
    # observed 2/400 = 0.5 % ≤ 0.65 % (major): more parts could release it -> containment
    assert res.readiness.status == "containment_required"
    # 10/400 = 2.5 % > 0.65 %: the process must change
    assert analyze(_attr_insp(400, bad=10)).readiness.status == "not_ready"


def test_policy_key_validated_and_shown() -> None:
    assert "attribute_max_p_upper = 0.001" in policy_toml_text()
    assert policy_from_dict({"class": {"minor": {"attribute_max_p_upper": 0.02}}}).minor.attribute_max_p_upper == 0.02
    with pytest.raises(PolicyError, match="attribute_max_p_upper"):
        policy_from_dict({"class": {"critical": {"attribute_max_p_upper": 0.05}}})  # above major
    with pytest.raises(PolicyError, match="out of range"):
        policy_from_dict({"class": {"minor": {"attribute_max_p_upper": 0.0}}})


def test_json_has_no_nan_and_validates(validate_document: Callable[[dict[str, Any]], None]) -> None:
    doc = build_document(analyze(_attr_insp(5, bad=5, lots=1)))  # all failed: p_upper = 1
    validate_document(doc)
    f = doc["features"][0]
    assert f["p_upper"] == 1.0 and f["n_nonconforming"] == 5 and math.isfinite(f["fraction_nonconforming"])
    json.dumps(doc, allow_nan=False)


def test_file_of_go_nogo_readings_only_is_analysed(tmp_path: Path,
                                                    validate_document: Callable[[dict[str, Any]], None]) -> None:
    rows: list[list[Any]] = [["part_id", "feature", "value"]]
    rows += [[f"P{i}", "VISUAL", "n.i.O." if i == 3 else "i.O."] for i in range(1, 41)]
    insp = read([_write(tmp_path, "only.csv", rows)])
    assert insp.measurements.height == 0 and insp.n_parts == 40
    doc = build_document(analyze(insp))
    validate_document(doc)
    assert [f["feature"] for f in doc["features"]] == ["VISUAL"]
    assert doc["readiness"]["nonconforming_parts"] == [{"part_id": "P3", "lot": "only", "features": ["VISUAL"]}]


def test_policy_show_lists_the_go_nogo_keys() -> None:
    from click.testing import CliRunner

    from pilotqa_cli.main import cli

    r = CliRunner().invoke(cli, ["policy", "--show"])
    assert r.exit_code == 0, r.output
    assert r.stdout.count("attribute_max_p_upper = ") == 3 and "go/no-go" in r.stdout


def test_whole_part_result_column_is_not_a_characteristic(tmp_path: Path) -> None:
    """A 'Result' column of OK/NOK summarises the part: not a characteristic (it would count each
    defect twice), but its NOK rows are named in a note; a 'Remarks' column of OK is a comment."""
    rows = _wide_rows()
    rows[0][3] = "Result"
    for r in rows[1:]:
        r.append("OK" if r[0] not in ("Nominal", "USL", "LSL") else None)
    rows[0].append("Remarks")
    insp = read([_write(tmp_path, "result.csv", rows)])
    assert insp.attribute_readings is None
    note = next(n for n in insp.notes if "'Result' is a whole-part verdict" in n)
    assert "row 21" in note  # SN017 sits on spreadsheet row 4 + 17
    assert not any("'Remarks' is a whole-part" in n for n in insp.notes)


@hsettings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5000), frac=st.floats(0, 1), conf=st.sampled_from([0.9, 0.95, 0.975, 0.99]))
def test_clopper_pearson_invariants(n: int, frac: float, conf: float) -> None:
    """p̂ ≤ p_U ≤ 1; one more failure raises the bound, one more conforming part lowers it; a
    higher confidence raises it; the binomial tail at p_U equals 1 − C (the bound's definition:
    P(X ≤ x | p_U) = 1 − C)."""
    from scipy.stats import binom

    x = min(n, int(frac * n))
    pu = clopper_pearson_upper(x, n, conf)
    assert pu is not None and x / n <= pu <= 1.0
    if x < n:
        assert clopper_pearson_upper(x + 1, n, conf) > pu  # type: ignore[operator]
        assert binom.cdf(x, n, pu) == pytest.approx(1 - conf, rel=1e-6, abs=1e-12)
    assert clopper_pearson_upper(x, n + 1, conf) < pu or x == n  # type: ignore[operator]
    if conf < 0.99:
        assert clopper_pearson_upper(x, n, 0.99) >= pu  # type: ignore[operator]


def test_spec_file_gives_a_go_nogo_class(tmp_path: Path) -> None:
    p = _write(tmp_path, "wide.csv", _wide_rows())
    spec = tmp_path / "spec.csv"
    spec.write_text("feature,nominal,lsl,usl,class\nthread_m6  GO/NO-GO,,,,CC\n", encoding="utf-8")
    from pilotqa.read import ReadOptions

    insp = read([p], ReadOptions(spec_file=str(spec)))
    assert set(insp.attribute_readings["class"].to_list()) == {"critical"}  # type: ignore[index]
    assert not any("no readings" in n for n in insp.notes)
    fr = next(f for f in analyze(insp).features if f.stats.type == "attribute")
    assert (fr.class_, fr.class_source) == ("critical", "from the specification")


def test_same_part_checked_in_two_files_is_refused(tmp_path: Path) -> None:
    rows = _wide_rows()  # both files carry lots L1/L2: the same parts twice
    with pytest.raises(InputError, match="more than one|one reading per feature"):
        read([_write(tmp_path, "a.csv", rows), _write(tmp_path, "b.csv", rows)])
    go_only = [[r[0], r[1], r[3]] for r in rows]
    with pytest.raises(InputError, match="more than one go/no-go result for 'THREAD_M6 go/no-go'"):
        read([_write(tmp_path, "c.csv", go_only), _write(tmp_path, "d.csv", go_only)])


def test_wide_go_nogo_column_with_a_verdict_as_nominal(tmp_path: Path) -> None:
    """Templates write the expected verdict into the spec rows of a visual check ("Nominal: OK")."""
    rows = _wide_rows()
    rows[1][3] = "OK"
    insp = read([_write(tmp_path, "nominal_ok.xlsx", rows)])
    assert insp.attribute_readings is not None and insp.attribute_readings.height == N
    assert insp.specs["feature"].to_list() == ["BORE_DIA"]
