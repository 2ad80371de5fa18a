"""Q-DAS AQDEF reader: real public files, synthesised files, malformed files, the sample run."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotqa.errors import InputError
from pilotqa.read import ReadOptions, aqdef
from pilotqa.read.detect import expand_inputs, read_inputs, sniff_format

REAL = Path(__file__).resolve().parents[2] / "shared" / "real_exports"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
SO, DC4 = "\x0f", "\x14"
OPTS = ReadOptions()


def real(name: str) -> Path:
    p = REAL / name
    if not p.exists():
        pytest.skip(f"{p} not present (CI keeps ../shared beside the clone)")
    return p


def write(tmp_path: Path, text: str, name: str = "t.dfq", enc: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.replace("\n", "\r\n").encode(enc))
    return p


HEAD = """K0100 2
K1001/1 P-1
K1002/1 Bracket
K2001/1 10
K2002/1 Bore
K2101/1 10
K2110/1 9.9
K2111/1 10.1
K2142/1 mm
K2005/1 4
K2001/2 20
K2002/2 Flatness
K2101/2 0
K2110/2 0
K2111/2 0,05
K2120/2 2
K2005/2 1
"""


# ----------------------------------------------------------------------------- real files
def test_real_testmeasures_values_specs_and_quirk() -> None:
    insp = aqdef.read_path(real("aqdefreader_testmeasures.dfq"), OPTS)
    m = insp.measurements
    assert insp.feature_names == ["Diameter", "Diameter before drill"]
    # values of the file's first value line: 2.49960000000000E+0002 and 2.49570000000000E+0002
    first = m.filter(pl.col("sequence") == 1).sort("feature")["value"].to_list()
    assert first == pytest.approx([249.96, 249.57], abs=1e-9)
    assert m.group_by("feature").len()["len"].to_list() == [5, 5]
    # date of value line 1 in the file: 17.05.2002/05:54:58
    assert m["timestamp"][0] == datetime(2002, 5, 17, 5, 54, 58)
    d = insp.specs.row(0, named=True)
    # K2101/1 250, K2110/1 200, K2111/1 300, K2142/1 cm, K2005/1 3 (-> major)
    assert (d["nominal"], d["lsl"], d["usl"], d["unit"], d["class"]) == (250, 200, 300, "cm",
                                                                          "major")
    # the quirk: characteristic 2's limits are written with /1, so by index it has none
    d2 = insp.specs.row(1, named=True)
    assert d2["lsl"] is None and d2["usl"] is None and d2["nominal"] is None
    joined = " | ".join(insp.notes)
    assert "without specification limits" in joined and "Diameter before drill" in joined
    assert "K2101 (lines 35 and 113" in joined
    assert insp.metadata["part_number"] == "Teil 123.456.789"
    assert insp.details["value_lines_separator_notation"] == 5


def test_real_testmeasures_validation_names_feature_without_limits() -> None:
    from pilotqa.read import read

    # analysed without capability (kept at 100 %), with a note naming it (issue 11)
    insp = read([real("aqdefreader_testmeasures.dfq")], OPTS)
    assert any("no specification" in n and "Diameter before drill" in n for n in insp.notes)


def test_real_attribute_file_goes_to_attributes_never_values() -> None:
    insp = aqdef.read_path(real("diribet_attributiveDfq.dfq"), OPTS)
    assert insp.measurements.height == 0 and insp.specs.height == 0
    a = insp.attributes
    assert a is not None
    # K0020/1 1000, K0021/1 1; K0020/2 155000, K0021/2 8
    assert a.select("sample_size", "nonconforming").rows() == [(1000, 1), (155000, 8)]
    assert any("<characteristic_code_2> (K2004 = 6)" in n for n in insp.notes)


def test_real_three_parts_continue_characteristic_numbers() -> None:
    insp = aqdef.read_path(real("diribet_basicDfq_threeParts.dfq"), OPTS)
    assert insp.specs.height == 9
    counts = dict(insp.measurements.group_by("feature").len().iter_rows())
    # part 1: characteristic 1 has 8 values (K0001/1 1.6 … 2.3); part 3's characteristic 9: 3
    assert counts["<part_number_1>/<characteristic_code_1>"] == 8
    assert counts["<part_number_3>/<characteristic_code_5>"] == 3
    spec = insp.specs.filter(pl.col("feature") == "<part_number_3>/<characteristic_code_5>")
    assert spec.select("nominal", "lsl", "usl").row(0) == (7.5, 5.0, 10.0)
    assert insp.metadata["part_numbers"].count("<part_number_") == 3


@pytest.mark.parametrize("name", ["aqdefreader_testmeasures.dfq", "diribet_attributiveDfq.dfq",
                                  "diribet_basicDfq_threeParts.dfq"])
def test_real_files_are_sniffed_as_aqdef(name: str) -> None:
    assert sniff_format(real(name)).FORMAT == "aqdef"


# ----------------------------------------------------------------------------- synthesised
def test_separator_lines_natural_boundary_deleted_values_and_lot(tmp_path: Path) -> None:
    lines = [
        DC4.join(["10.01", "0", "01.02.2024/08:00:00", "", "#L1"]) + SO
        + DC4.join(["0.02", "0", "01.02.2024/08:00:00", "", "#L1"]),
        "K0014/0 S-1",
        DC4.join(["10.03", "255", "01.02.2024/08:05:00", "", "#L1"]) + SO
        + DC4.join(["0,03", "0", "01.02.2024/08:05:00", "", "#L1"]),
        "K0014/0 S-2",
    ]
    insp = aqdef.read_path(write(tmp_path, HEAD + "\n".join(lines) + "\n"), OPTS)
    m = insp.measurements.sort("feature", "sequence")
    bore = m.filter(pl.col("feature") == "Bore")["value"].to_list()
    assert bore == [10.01, None]  # K0002 = 255 -> not measured
    assert set(m["lot"].to_list()) == {"L1"} and set(m["part_id"]) == {"S-1", "S-2"}
    assert any("1 value(s) flagged deleted" in n for n in insp.notes)
    flat = insp.specs.filter(pl.col("feature") == "Flatness").row(0, named=True)
    assert flat["lsl"] is None and flat["usl"] == 0.05 and flat["lower_bound_zero"] is True
    assert flat["class"] == "minor"
    assert insp.specs.filter(pl.col("feature") == "Bore")["class"][0] == "critical"


def test_k_key_values_allowances_and_slash_zero(tmp_path: Path) -> None:
    text = """K0100 1
K1001 P-2
K2002/1 Length
K2101/1 50
K2112/1 -0.1
K2113/1 0.2
K0006/0 LOTA
K0001/1 50.05
K0004/1 03.04.2024/10:00:00
K0001/1 49.95
K0004/1 03.04.2024/10:01:00
K0006/1 LOTB
"""
    insp = aqdef.read_path(write(tmp_path, text), OPTS)
    s = insp.specs.row(0, named=True)
    assert s["lsl"] == pytest.approx(49.9) and s["usl"] == pytest.approx(50.2)
    assert "allowances" in s["source"]
    m = insp.measurements
    assert m["value"].to_list() == [50.05, 49.95]
    assert m["lot"].to_list() == ["LOTA", "LOTB"]
    assert m["timestamp"].to_list()[1] == datetime(2024, 4, 3, 10, 1)


def test_unknown_k_field_is_listed_not_dropped_silently(tmp_path: Path) -> None:
    insp = aqdef.read_path(write(tmp_path, HEAD + "K2999/1 secret\nK7777 x\n"
                                 + DC4.join(["10", "0"]) + SO + DC4.join(["0.01", "0"]) + "\n"),
                           OPTS)
    note = next(n for n in insp.notes if "read but not used" in n)
    assert "K2999" in note and "K7777" in note
    assert insp.details["unmapped_keys"]["K2999"] == 1


def test_dfd_dfx_pair(tmp_path: Path) -> None:
    (tmp_path / "run.dfd").write_text(HEAD, encoding="utf-8")
    (tmp_path / "run.dfx").write_text("K0001/1 10.02\nK0001/2 0.01\nK0001/1 9.98\nK0001/2 0.02\n",
                                      encoding="utf-8")
    files, skipped = expand_inputs([tmp_path])
    assert [f.name for f in files] == ["run.dfd"] and skipped == []
    for entry in ("run.dfd", "run.dfx"):
        insp = aqdef.read_path(tmp_path / entry, OPTS)
        assert insp.measurements.height == 4
        assert [f.path.rsplit("/", 1)[-1] for f in insp.files] == ["run.dfd", "run.dfx"]
    (tmp_path / "run.dfd").unlink()
    with pytest.raises(InputError, match="description"):
        aqdef.read_path(tmp_path / "run.dfx", OPTS)


def test_windows_1252_text(tmp_path: Path) -> None:
    p = write(tmp_path, HEAD.replace("Bracket", "Gehäuse").replace("K2142/1 mm", "K2142/1 µm")
              + DC4.join(["10", "0"]) + SO + DC4.join(["0.01", "0"]) + "\n", enc="cp1252")
    insp = aqdef.read_path(p, OPTS)
    assert insp.metadata["description"] == "Gehäuse" and insp.specs["unit"][0] == "µm"
    assert insp.details["encoding"] == "cp1252"
    assert not any("mixed" in n for n in insp.notes)


def test_mixed_encodings_note_names_line(tmp_path: Path) -> None:
    raw = (HEAD.replace("Bracket", "Gehäuse") + DC4.join(["10", "0"]) + SO
           + DC4.join(["0.01", "0"]) + "\n").encode("utf-8")
    raw = raw.replace(b"K2142/1 mm", "K2142/1 µm".encode("cp1252"))  # line 9 is cp1252
    p = tmp_path / "mixed.dfq"
    p.write_bytes(raw)
    insp = aqdef.read_path(p, OPTS)
    note = next(n for n in insp.notes if "mixed encodings" in n)
    assert "line 9" in note and str(p) in note


@pytest.mark.parametrize(
    ("tail", "line", "match"),
    [
        # truncated: the line ends inside characteristic 1's portion
        (DC4.join(["10.01", "0", "01.02.2024/08:00"]), 18, "truncated"),
        (DC4.join(["10.01", "0", "31.02.2024"]) + SO + DC4.join(["0.01", "0"]), 18, "K0004"),
        ("K0001/3 5.0", 18, "out of range"),
        (DC4.join(["abc", "0"]) + SO + DC4.join(["0.01", "0"]), 18, "not a number"),
        ("K20X1/1 7", 18, "malformed K-field"),
        ("hello world", 18, "neither a K-field nor a value line"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, tail: str, line: int,
                                            match: str) -> None:
    p = write(tmp_path, HEAD + tail + "\n")
    with pytest.raises(InputError, match=match) as exc:
        aqdef.read_path(p, OPTS)
    assert exc.value.line == line and exc.value.file == str(p)


def test_value_for_undefined_characteristic_without_k0100(tmp_path: Path) -> None:
    p = write(tmp_path, "K2002/1 A\nK2110/1 0\nK2111/1 1\nK0001/2 0.5\n")
    with pytest.raises(InputError, match="does not define") as exc:
        aqdef.read_path(p, OPTS)
    assert exc.value.line == 4


def test_csv_is_not_sniffed_as_aqdef(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("part,value\nK1,2\n")
    assert not aqdef.sniff(p, p.read_bytes())


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e4, 1e4, allow_nan=False), st.floats(0, 1)),
                min_size=1, max_size=20))
def test_separator_notation_round_trip(tmp_path_factory: pytest.TempPathFactory,
                                       vals: list[tuple[float, float]]) -> None:
    """Whatever is written in separator notation (scientific, 4-digit exponent) reads back."""
    tmp = tmp_path_factory.mktemp("rt")
    def sci(x: float) -> str:
        mant, exp = f"{x:.14E}".split("E")
        return f"{mant}E{int(exp):+05d}"  # qs-STAT style, e.g. 2.49930000000000E+0002

    body = "\n".join(DC4.join([sci(a), "0"]) + SO + DC4.join([repr(b), "0"]) for a, b in vals)
    insp = aqdef.read_path(write(tmp, HEAD + body + "\n"), OPTS)
    got = insp.measurements.filter(pl.col("feature") == "Bore").sort("sequence")["value"]
    assert got.to_list() == pytest.approx([a for a, _ in vals], rel=1e-13, abs=1e-12)


# ----------------------------------------------------------------------------- acceptance
def _csv() -> pl.DataFrame:
    return pl.read_csv(SAMPLE / "housing_pilot_long.csv", infer_schema_length=0).with_columns(
        pl.col("value", "nominal", "lsl", "usl").cast(pl.Float64), pl.col("sequence").cast(pl.Int64),
        pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us"),
    )


def test_sample_dfq_equals_long_csv() -> None:
    """Issue 6 acceptance: housing_pilot.dfq carries the same pilot run as the long CSV."""
    insp = aqdef.read_path(SAMPLE / "housing_pilot.dfq", OPTS)
    ref = _csv()
    cols = ["part_id", "lot", "timestamp", "feature", "value"]
    got = insp.measurements.select(cols).sort("part_id", "feature")
    exp = ref.select(cols).sort("part_id", "feature")
    assert got.equals(exp)
    # same order of parts (sequence) as the CSV
    order = insp.measurements.sort("sequence").unique("part_id", maintain_order=True)["part_id"]
    assert order.to_list() == ref.sort("sequence").unique("part_id", maintain_order=True)[
        "part_id"].to_list()
    spec_ref = ref.unique("feature", maintain_order=True).select(
        "feature", "nominal", "lsl", "usl", "unit", "class")
    spec_got = insp.specs.select(spec_ref.columns)
    assert spec_got.equals(spec_ref)
    lbz = insp.specs.filter("lower_bound_zero")["feature"].to_list()
    assert lbz == ["HOLE1_POS", "FLATNESS_TOP", "ROUGHNESS_RA"]
    assert insp.metadata["part_number"] == "HSG-4711" and insp.metadata["revision"] == "C"


def test_sample_dfq_through_read_matches_csv_through_read() -> None:
    from pilotqa.read import read

    a = read([SAMPLE / "housing_pilot.dfq"])
    cols = ["part_id", "lot", "timestamp", "feature", "value"]
    sc = ["feature", "nominal", "lsl", "usl", "unit", "class", "lower_bound_zero"]
    for other in ("housing_pilot_long.csv", "housing_pilot_wide.xlsx"):
        b = read([SAMPLE / other])
        assert a.measurements.select(cols).sort(cols[:4]).equals(
            b.measurements.select(cols).sort(cols[:4])), other
        assert a.specs.select(sc).sort("feature").equals(b.specs.select(sc).sort("feature")), other
        assert b.metadata.get("part_number", "HSG-4711") == a.metadata["part_number"]


def test_read_inputs_orders_folder_by_time(tmp_path: Path) -> None:
    early = HEAD + DC4.join(["10", "0", "01.01.2024/08:00:00"]) + SO + DC4.join(["0.01", "0"]) + "\n"
    late = HEAD + DC4.join(["10", "0", "05.01.2024/08:00:00"]) + SO + DC4.join(["0.01", "0"]) + "\n"
    write(tmp_path, late, "a.dfq")
    write(tmp_path, early, "b.dfq")
    parts, skipped = read_inputs([tmp_path], OPTS)
    assert [Path(p.files[0].path).name for p in parts] == ["b.dfq", "a.dfq"] and skipped == []


# ----------------------------------------------------------------------------- issue 11
def _line(*portions: list[str]) -> str:
    return SO.join(DC4.join(f) for f in portions)


def test_twelve_field_portions_read_the_ten_defined_and_keep_streams(tmp_path: Path) -> None:
    """Current qs-STAT writes 12 fields per portion (e.g. the vendor's TEST_01.DFQ): value,
    attribute, date, events, batch, nest, operator, machine, process parameter, gauge, +2."""
    rows = [
        _line(["10.01", "0", "01.02.2024/08:00:00", "", "#L1", "2", "7", "M3", "", "G9", "", ""],
              ["0.01", "0", "01.02.2024/08:00:00", "", "#L1", "2", "7", "M3", "", "G9", "", ""]),
        _line(["10.02", "0", "01.02.2024/08:01:00", "", "#L1", "0", "0", "0", "", "0", "x", "y"],
              ["0.02", "0", "01.02.2024/08:01:00", "", "#L1", "0", "0", "0", "", "0", "x", "y"]),
    ]
    insp = aqdef.read_path(write(tmp_path, HEAD + "\n".join(rows) + "\n"), OPTS)
    m = insp.measurements.filter(pl.col("feature") == "Bore").sort("sequence")
    assert m["value"].to_list() == pytest.approx([10.01, 10.02])
    assert m["lot"].to_list() == ["L1", "L1"]
    # catalogue numbers: 0 = not given
    assert m["nest"].to_list() == ["2", None] and m["operator"].to_list() == ["7", None]
    assert m["machine"].to_list() == ["M3", None] and m["gauge"].to_list() == ["G9", None]
    assert any("more than the ten defined fields" in n for n in insp.notes)


def test_value_set_with_different_batches_is_one_part(tmp_path: Path) -> None:
    """Subgroup_Shaft_8081.dfq's first line: characteristic 1 has an empty batch and the unset
    date 01.01.1970, the others 'Charge1' — one part in lot Charge1, no 1970 timestamp."""
    rows = [
        _line(["10.01", "0", "01.01.1970/00:00:00", "", "#"], ["0.01", "0", "01.02.2024/08:00:00",
                                                             "", "#Charge1"]),
        _line(["10.02", "0", "01.02.2024/08:01:00", "", "#Charge1"],
              ["0.02", "0", "01.02.2024/08:01:00", "", "#Charge1"]),
        _line(["10.03", "0", "01.02.2024/08:02:00", "", "#A"], ["0.03", "0", "", "", "#B"]),
    ]
    insp = aqdef.read_path(write(tmp_path, HEAD + "\n".join(rows) + "\n"), OPTS)
    m = insp.measurements
    assert insp.n_parts == 3
    assert m.filter(pl.col("sequence") <= 2)["lot"].unique().to_list() == ["Charge1"]
    assert m.filter(pl.col("sequence") == 3)["lot"].unique().to_list() == ["A"]
    assert m.filter(pl.col("timestamp").dt.year() == 1970).height == 0
    joined = " | ".join(insp.notes)
    assert "different batch" in joined and "line 20" in joined  # the third value line
    assert "01.01.1970/00:00:00" in joined


def _with_subgroups(n: str, kind: str) -> str:
    return HEAD + f"K8500/1 {n}\nK8501/1 {kind}\nK8500/2 {n}\nK8501/2 {kind}\n"


@pytest.mark.parametrize(("n", "kind", "opts", "expected"), [
    ("3", "0", OPTS, [1, 1, 1, 2, 2, 2, 3]),
    ("3", "1", OPTS, [None] * 7),                        # moving subgroups: a chart setting
    ("1", "0", OPTS, [None] * 7),
    ("3", "0", ReadOptions(subgroup_size=2), [None] * 7),  # the command line wins
])
def test_k8500_subgroup_size_forms_subgroups(tmp_path: Path, n: str, kind: str, opts: ReadOptions,
                                             expected: list[int | None]) -> None:
    rows = [_line([f"10.0{i}", "0"], [f"0.0{i}", "0"]) for i in range(1, 8)]
    insp = aqdef.read_path(write(tmp_path, _with_subgroups(n, kind) + "\n".join(rows) + "\n"), opts)
    m = insp.measurements.filter(pl.col("feature") == "Bore").sort("sequence")
    assert m["subgroup"].to_list() == expected
    assert insp.details["subgroup_size_k8500"] == (3 if expected[0] else None)


def test_different_k8500_sizes_form_no_subgroups(tmp_path: Path) -> None:
    head = HEAD + "K8500/1 5\nK8500/2 3\n"
    rows = [_line([f"10.0{i}", "0"], [f"0.0{i}", "0"]) for i in range(1, 8)]
    insp = aqdef.read_path(write(tmp_path, head + "\n".join(rows) + "\n"), OPTS)
    assert insp.measurements["subgroup"].null_count() == insp.measurements.height
    assert any("subgroup settings differ" in n for n in insp.notes)


def test_huge_attribute_code_is_a_one_line_error(tmp_path: Path) -> None:
    """int(float('1e400')) raises OverflowError; the reader names the line and field instead."""
    p = write(tmp_path, HEAD + _line(["10.01", "1e400"], ["0.01", "0"]) + "\n")
    with pytest.raises(InputError, match="K0002 '1e400' is not a whole number") as exc:
        aqdef.read_path(p, OPTS)
    assert exc.value.line == 18 and "\n" not in str(exc.value)


def test_equal_limits_and_offset_nominal(tmp_path: Path) -> None:
    """VDA 5 example files: K2110 = K2111 = 0 (no zone) and a nominal outside its limits
    (8 with limits 8.001 .. 8.01)."""
    text = HEAD.replace("K2101/1 10\nK2110/1 9.9\nK2111/1 10.1", "K2101/1 8\nK2110/1 8.001\n"
                        "K2111/1 8.01").replace("K2111/2 0,05\nK2120/2 2", "K2111/2 0")
    insp = aqdef.read_path(write(tmp_path, text + _line(["8.005", "0"], ["0.0", "0"]) + "\n"), OPTS)
    bore, flat = insp.specs.row(0, named=True), insp.specs.row(1, named=True)
    assert (bore["nominal"], bore["lsl"], bore["usl"]) == (None, 8.001, 8.01)
    assert flat["lsl"] is None and flat["usl"] is None
    joined = " | ".join(insp.notes)
    assert "nominal K2101 8 lies outside the limits" in joined and "both 0" in joined


def test_reading_exactly_at_an_allowance_limit_is_in_tolerance(tmp_path: Path) -> None:
    """Issue 10: nominal 1.1 with allowance K2112 -0.2 gives LSL 0.9 (binary floats: 1.1 - 0.2 =
    0.9000000000000001, and a reading of 0.9 counted as out of tolerance)."""
    from pilotqa.settings import Settings
    from pilotqa.stats.capability import capability_all

    assert 1.1 + -0.2 != 0.9  # the float trap the reader must avoid
    text = ("K0100 1\nK2001/1 1\nK2002/1 Web\nK2101/1 1.1\nK2112/1 -0.2\nK2113/1 0.2\n"
            + "\n".join(["0.9", "1.3", "1.1", "1.0", "1.2"]) + "\n")
    insp = aqdef.read_path(write(tmp_path, text), OPTS)
    spec = insp.specs.row(0, named=True)
    assert (spec["lsl"], spec["usl"]) == (0.9, 1.3)
    cap = capability_all(insp.measurements, insp.specs, Settings())
    assert cap["n_out_of_spec"].to_list() == [0]
