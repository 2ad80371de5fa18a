"""The final reading step (pilotqa.read.validate.finalize): --spec merge, --part/--revision,
subgroups, and the checks on the combined inspection with their messages."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotqa.errors import InputError, SpecError
from pilotqa.model import MEASUREMENT_SCHEMA, SPEC_SCHEMA, Inspection, SourceFile
from pilotqa.read import ReadOptions, read
from pilotqa.read.validate import SPEC_RULES, assign_subgroups, finalize


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["" if v is None else v for v in r] for r in rows])
    return path


def wide_no_spec(tmp_path: Path, n: int = 7) -> Path:
    rows: list[list[Any]] = [["Serial", "Lot", "BORE", "POS"]]
    rows += [[f"S{k}", "A" if k < 4 else "B", 10 + 0.001 * k, 0.01 * (k % 3 + 1)] for k in range(n)]
    return write_csv(tmp_path / "run.csv", rows)


def insp_of(specs: list[dict[str, Any]], meas: list[tuple[Any, ...]] | None = None) -> Inspection:
    meas = meas if meas is not None else [("P1", "L", None, 1, None, s["feature"], 1.0) for s in specs]
    full = [{**{c: None for c in SPEC_SCHEMA}, **s} for s in specs]
    return Inspection(
        measurements=pl.DataFrame(meas, schema=MEASUREMENT_SCHEMA, orient="row"),
        specs=pl.DataFrame(full, schema=SPEC_SCHEMA),
        layout="long",
        files=[SourceFile("run.csv", "0" * 64, "tabular")],
    )


# ----------------------------------------------------------------- --spec, --part, --revision

def test_spec_file_completes_an_export_without_specs(tmp_path: Path) -> None:
    p = wide_no_spec(tmp_path)
    with pytest.raises(SpecError) as ei:  # no characteristic of the sheet has a specification
        read([p])
    assert ei.value.message == (
        "no specification (nominal, LSL or USL) for features 'BORE', 'POS'; give them with "
        "--spec FILE (CSV, XLSX or TOML with nominal/lsl/usl per feature)")
    spec = tmp_path / "spec.toml"
    spec.write_text('[features.BORE]\nnominal = 10\ntol = 0.02\nclass = "SC"\n'
                    '[features.POS]\nusl = 0.05\n', encoding="utf-8")
    insp = read([p], ReadOptions(spec_file=str(spec)))
    s = {r["feature"]: r for r in insp.specs.iter_rows(named=True)}
    assert (s["BORE"]["lsl"], s["BORE"]["usl"], s["BORE"]["class"]) == (9.98, 10.02, "major")
    assert s["BORE"]["source"] == "spec.toml [features.BORE]"
    assert s["POS"]["lower_bound_zero"] is True and s["POS"]["class"] is None


def test_spec_file_overrides_and_lsl_usl_message_names_source(tmp_path: Path) -> None:
    rows = [["Serial", "BORE"], ["Nominal", 10], ["LSL", 9.9], ["USL", 10.1], ["S1", 10.0], ["S2", 10.01]]
    p = write_csv(tmp_path / "w.csv", rows)
    spec = tmp_path / "spec.csv"
    spec.write_text("feature,lsl,usl\nBORE,10.05,10.0\n", encoding="utf-8")
    with pytest.raises(SpecError) as ei:
        read([p], ReadOptions(spec_file=str(spec)))
    assert ei.value.message == ("feature 'BORE': LSL 10.05 is not below USL 10 (spec from "
                                "spec.csv, row 2 (overriding w.csv, column B, spec rows 2, 3, 4))")
    spec.write_text("feature,nominal,lsl,usl\nBORE,10,9.95,10.05\n", encoding="utf-8")
    insp = read([p], ReadOptions(spec_file=str(spec)))
    assert insp.specs.select("lsl", "usl").row(0) == (9.95, 10.05)


def test_lsl_not_below_usl_in_export(tmp_path: Path) -> None:
    rows = [["Serial", "BORE"], ["USL", 10], ["LSL", 10], ["S1", 10.0]]
    with pytest.raises(SpecError) as ei:
        read([write_csv(tmp_path / "w.csv", rows)])
    assert type(ei.value) is SpecError
    assert ei.value.message == ("feature 'BORE': LSL 10 is not below USL 10 "
                                "(spec from w.csv, column B, spec rows 2, 3)")


def test_nominal_outside_limits() -> None:
    with pytest.raises(SpecError, match="feature 'A': nominal 5 lies outside the limits 6.0 .. 7.0"):
        finalize(insp_of([{"feature": "A", "nominal": 5.0, "lsl": 6.0, "usl": 7.0}]), ReadOptions())


def test_part_and_revision_override(tmp_path: Path) -> None:
    p = wide_no_spec(tmp_path)
    spec = tmp_path / "s.toml"
    spec.write_text("[features.BORE]\nusl = 11\n[features.POS]\nusl = 1\n", encoding="utf-8")
    insp = read([p], ReadOptions(spec_file=str(spec), part="HSG-9", revision="D"))
    assert insp.metadata["part_number"] == "HSG-9" and insp.metadata["revision"] == "D"
    base = insp_of([{"feature": "A", "usl": 1.0}])
    base.metadata["part_number"] = "OLD"
    out = finalize(base, ReadOptions(part="NEW"))
    assert out.metadata["part_number"] == "NEW"
    assert "part_number 'OLD' of the export replaced by 'NEW' (command line)" in out.notes


# ----------------------------------------------------------------- checks

def test_no_numeric_readings() -> None:
    meas = [("P1", "L", None, 1, None, "A", None)]
    with pytest.raises(InputError) as ei:
        finalize(insp_of([{"feature": "A", "usl": 1.0}], meas), ReadOptions())
    assert type(ei.value) is InputError
    assert ei.value.message.startswith("no numeric readings found")
    assert ei.value.file == "run.csv"


def test_duplicate_feature_in_specs() -> None:
    with pytest.raises(SpecError, match="feature name 'A' occurs twice"):
        finalize(insp_of([{"feature": "A", "usl": 1.0}, {"feature": "A", "usl": 2.0}]), ReadOptions())


def test_duplicate_readings() -> None:
    meas = [("P1", "L", None, 1, None, "A", 1.0), ("P1", "L", None, 2, None, "A", 1.1)]
    with pytest.raises(InputError, match="part 'P1' of lot 'L' has 2 readings of feature 'A'"):
        finalize(insp_of([{"feature": "A", "usl": 2.0}], meas), ReadOptions())


def test_class_synonyms_and_unknown() -> None:
    out = finalize(insp_of([{"feature": "A", "usl": 1.0, "class": "CC"},
                            {"feature": "B", "usl": 1.0, "class": "Significant"},
                            {"feature": "C", "usl": 1.0, "class": "standard"}]), ReadOptions())
    assert out.specs["class"].to_list() == ["critical", "major", "minor"]
    with pytest.raises(SpecError) as ei:
        finalize(insp_of([{"feature": "A", "usl": 1.0, "class": "urgent", "source": "x.dfq"}]), ReadOptions())
    assert "class 'urgent' is not one of critical, major, minor" in ei.value.message
    assert ei.value.column == "class of 'A' (spec from x.dfq)"


def test_feature_without_spec_row_and_spec_without_readings() -> None:
    meas = [("P1", "L", None, 1, None, "A", 1.0), ("P1", "L", None, 1, None, "B", 1.0)]
    got = finalize(insp_of([{"feature": "A", "usl": 2.0}], meas), ReadOptions())
    assert any("for feature 'B': analysed without capability" in n for n in got.notes)
    assert got.specs.filter(pl.col("feature") == "B")["usl"].to_list() == [None]
    out = finalize(insp_of([{"feature": "A", "usl": 2.0}, {"feature": "Z", "usl": 2.0}],
                           meas[:1]), ReadOptions())
    assert out.feature_names == ["A"]
    assert "specified features without readings (ignored): Z" in out.notes


def test_lower_bound_zero_inferred_only_for_one_sided_upper() -> None:
    out = finalize(insp_of([{"feature": "POS", "nominal": 0.0, "usl": 0.1},
                            {"feature": "RA", "usl": 1.6},
                            {"feature": "SET", "usl": 1.6, "lower_bound_zero": False},
                            {"feature": "DEPTH", "nominal": 5.0, "usl": 5.1},
                            {"feature": "D", "lsl": 1.0, "usl": 2.0}]), ReadOptions())
    assert out.specs["lower_bound_zero"].to_list() == [True, True, False, False, False]
    assert any(n.endswith(": POS, RA") for n in out.notes)


def test_spec_rules_table() -> None:
    df = pl.DataFrame({"feature": ["a", "b", "c"], "nominal": [1.0, None, 5.0], "lsl": [0.0, 2.0, None],
                       "usl": [2.0, 1.0, None], "class": ["major", "x", None]})
    res = df.select(**SPEC_RULES)
    assert res.to_dict(as_series=False) == {
        "class_known": [True, False, True], "limits_ordered": [True, False, True],
        "nominal_inside": [True, True, True], "has_spec": [True, True, True]}


# ----------------------------------------------------------------- subgroups

def _parts(lots: list[tuple[str, int]], subgroup: bool = False) -> pl.DataFrame:
    rows = []
    seq = 0
    for lot, n in lots:
        for k in range(n):
            seq += 1
            rows.append((f"{lot}-{k}", lot, (k // 2 + 1) if subgroup else None, seq, None, "A", float(k)))
    return pl.DataFrame(rows, schema=MEASUREMENT_SCHEMA, orient="row")


def test_subgroup_size_within_lots() -> None:
    m, notes = assign_subgroups(_parts([("L1", 5), ("L2", 4)]), 2)
    assert m.sort("sequence")["subgroup"].to_list() == [1, 1, 2, 2, 3, 4, 4, 5, 5]
    assert notes == ["subgroups of 2 consecutive parts formed within each lot; last subgroup "
                     "smaller (lot L1: 1 parts)"]


def test_subgroup_column_kept_and_renumbered_across_lots() -> None:
    m0 = _parts([("L1", 4), ("L2", 4)], subgroup=True)
    assert m0["subgroup"].to_list() == [1, 1, 2, 2, 1, 1, 2, 2]
    m, notes = assign_subgroups(m0, 5)
    assert m.sort("sequence")["subgroup"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert "--subgroup-size 5 ignored: the data has a subgroup column" in notes
    assert any("renumbered" in n for n in notes)


def test_no_subgroups_means_individuals_and_bad_size() -> None:
    m, notes = assign_subgroups(_parts([("L1", 3)]), None)
    assert m["subgroup"].null_count() == 3 and notes == []
    with pytest.raises(InputError, match="--subgroup-size must be a whole number >= 1"):
        assign_subgroups(_parts([("L1", 3)]), 0)


def test_subgroup_size_through_read(tmp_path: Path) -> None:
    p = wide_no_spec(tmp_path)
    spec = tmp_path / "s.toml"
    spec.write_text("[features.BORE]\nusl = 11\n[features.POS]\nusl = 1\n", encoding="utf-8")
    insp = read([p], ReadOptions(spec_file=str(spec), subgroup_size=3))
    got = insp.measurements.filter(pl.col("feature") == "BORE").sort("sequence")["subgroup"].to_list()
    assert got == [1, 1, 1, 2, 3, 3, 3]  # lot A: S0-S3, lot B: S4-S6


@settings(deadline=None)
@given(sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4), n=st.integers(1, 6))
def test_subgroups_never_span_lots_and_hold_consecutive_parts(sizes: list[int], n: int) -> None:
    m, _ = assign_subgroups(_parts([(f"L{i}", k) for i, k in enumerate(sizes)]), n)
    if n == 1:
        assert m["subgroup"].null_count() == m.height
        return
    g = m.group_by("subgroup").agg(pl.col("lot").n_unique().alias("lots"), pl.len().alias("size"),
                                   (pl.col("sequence").max() - pl.col("sequence").min() + 1).alias("span"))
    assert (g["lots"] == 1).all() and (g["size"] <= n).all() and (g["span"] == g["size"]).all()
    assert g.height == sum(-(-k // n) for k in sizes)
