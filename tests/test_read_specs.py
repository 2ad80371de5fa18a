"""Spec sources (pilotqa.read.specs): heading/label vocabularies, class synonyms, tolerance
conventions (limits vs offsets, -Tol magnitude vs signed, ambiguous Upper/Lower), --spec files."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotqa.errors import InputError, SpecError
from pilotqa.model import SPEC_SCHEMA
from pilotqa.read.specs import (
    heading_canonical,
    merge_specs,
    metadata_key,
    norm_heading,
    normalize_class,
    parse_bool,
    read_spec_file,
    resolve_limits,
    spec_label,
)


def place(field: str, i: int) -> dict[str, Any]:
    return {"file": "f.xlsx", "sheet": "S", "row": {"upper": 3, "lower": 4}.get(field, 9), "column": f"c{i}"}


@pytest.mark.parametrize(
    "heading,canon",
    [("Serial No.", "part_id"), ("S/N", "part_id"), ("part_id", "part_id"), ("Batch", "lot"),
     ("Characteristic", "feature"), ("Balloon", "feature"), ("Actual [mm]", "value"),
     ("Measured", "value"), ("Lower Limit", "lsl"), ("MAX", "usl"), ("+ Tol", "tol_plus"),
     ("\u2212Tol", "tol_minus"), ("Lower tol.", "tol_minus"), ("Sample", "subgroup"),
     ("Seq", "sequence"), ("Date/Time", "timestamp"), ("Unit", "unit")],
)
def test_heading_synonyms(heading: str, canon: str) -> None:
    got = heading_canonical(heading)
    assert got is not None and got[0] == canon


def test_heading_rank_prefers_names_over_balloons() -> None:
    assert heading_canonical("Characteristic")[1] < heading_canonical("Balloon")[1]  # type: ignore[index]


def test_norm_and_labels() -> None:
    assert norm_heading("  Upper_Tol: ") == "upper tol"
    assert norm_heading("Value (mm)") == "value"
    assert spec_label("Nominal") == "nominal" and spec_label("Upper") == "upper"
    assert spec_label("SN0001") is None and spec_label(42.0) is None
    assert metadata_key("Part number:") == "part_number" and metadata_key("Rev.") == "revision"


@pytest.mark.parametrize(
    "raw,cls",
    [("CC", "critical"), ("critical", "critical"), ("KC", "critical"), ("Key", "critical"),
     ("SC", "major"), ("Significant", "major"), ("MAJOR", "major"), ("minor", "minor"),
     ("Standard", "minor"), (None, None), ("  ", None)],
)
def test_class_synonyms(raw: Any, cls: str | None) -> None:
    assert normalize_class(raw) == cls


def test_unknown_class_refused() -> None:
    with pytest.raises(SpecError) as ei:
        normalize_class("urgent", file="a.csv", row=4, column="Class")
    assert ei.value.message.startswith("class 'urgent' is not one of critical, major, minor")
    assert (ei.value.row, ei.value.column) == (4, "Class")


def test_parse_bool() -> None:
    assert parse_bool("yes") is True and parse_bool("FALSE") is False and parse_bool(None) is None
    with pytest.raises(SpecError, match="not a yes/no"):
        parse_bool("maybe")


# ----------------------------------------------------------------- resolve_limits

def test_limits_kept() -> None:
    nom, lsl, usl, notes = resolve_limits({"nominal": [5.0], "lsl": [4.9], "usl": [5.1]}, 1, place, names=["A"])
    assert (nom, lsl, usl, notes) == ([5.0], [4.9], [5.1], [])


def test_offsets_decimal_exact() -> None:
    # 1.1 + 2.2 in binary floating point is 3.3000000000000003; the drawing means 3.3
    assert 1.1 + 2.2 != 3.3
    _, lsl, usl, _ = resolve_limits({"nominal": [1.1], "tol_plus": [2.2], "tol_minus": [0.0]},
                                    1, place, names=["A"])
    assert (lsl, usl) == ([1.1], [3.3])


def test_minus_tol_magnitude_signed_and_mixed() -> None:
    f = {"nominal": [10.0, 20.0], "tol_plus": [0.1, 0.2]}
    _, lsl, _, _ = resolve_limits({**f, "tol_minus": [0.1, 0.05]}, 2, place, names=["A", "B"])
    assert lsl == [9.9, 19.95]
    _, lsl, _, _ = resolve_limits({**f, "tol_minus": [-0.1, 0.0]}, 2, place, names=["A", "B"])
    assert lsl == [9.9, 20.0]
    with pytest.raises(SpecError, match="positive values .* and negative values"):
        resolve_limits({**f, "tol_minus": [-0.1, 0.05]}, 2, place, names=["A", "B"])


def test_symmetric_tol_and_disagreeing_limit() -> None:
    _, lsl, usl, _ = resolve_limits({"nominal": [3.0], "tol": [0.1]}, 1, place, names=["W"])
    assert (lsl, usl) == ([2.9], [3.1])
    with pytest.raises(SpecError, match="USL 3.2 given as a limit disagrees with 3.1"):
        resolve_limits({"nominal": [3.0], "usl": [3.2], "tol_plus": [0.1]}, 1, place, names=["W"])


@pytest.mark.parametrize(
    "nom,up,lo,expect",
    [
        ([42.0, 0.0], [0.025, 0.1], [0.0, 0.0], ([42.0, 0.0], [42.025, 0.1])),     # offsets
        ([42.0, 0.0], [42.025, 0.1], [42.0, 0.0], ([42.0, 0.0], [42.025, 0.1])),   # limits
    ],
)
def test_upper_lower_decided_by_numbers(nom: list[float], up: list[float], lo: list[float],
                                        expect: tuple[list[float], list[float]]) -> None:
    _, lsl, usl, notes = resolve_limits({"nominal": nom, "upper": up, "lower": lo}, 2, place, names=["A", "P"])
    assert (lsl, usl) == expect
    assert len(notes) == 1 and "'Upper'/'Lower' read as" in notes[0]


def test_upper_lower_ambiguous_refused_with_place() -> None:
    with pytest.raises(SpecError) as ei:
        resolve_limits({"nominal": [0.1], "upper": [0.2], "lower": [0.0]}, 1, place, names=["GAP"])
    e = ei.value
    assert (e.file, e.sheet, e.row, e.column) == ("f.xlsx", "S", 3, "c0")
    assert "could be limits (0 to 0.2) or tolerances (0.1 to 0.3)" in e.message


def test_upper_lower_mixed_columns_refused() -> None:
    with pytest.raises(SpecError, match="read as limits for 'A' but as offsets for 'B'"):
        resolve_limits({"nominal": [42.0, 10.0], "upper": [42.025, 0.02], "lower": [42.0, -0.02]},
                       2, place, names=["A", "B"])


def test_upper_lower_neither_and_missing_half_refused() -> None:
    with pytest.raises(SpecError, match="neither limits around the nominal nor offsets"):
        resolve_limits({"nominal": [10.0], "upper": [12.0], "lower": [11.0]}, 1, place, names=["A"])
    with pytest.raises(SpecError, match="'upper' row without its counterpart"):
        resolve_limits({"nominal": [10.0], "upper": [12.0]}, 1, place, names=["A"])


@settings(deadline=None)
@given(nom=st.floats(min_value=-1e4, max_value=1e4, allow_nan=False),
       tp=st.floats(min_value=1e-4, max_value=10), tm=st.floats(min_value=0, max_value=10))
def test_offsets_give_ordered_limits_around_nominal(nom: float, tp: float, tm: float) -> None:
    _, lsl, usl, _ = resolve_limits({"nominal": [nom], "tol_plus": [tp], "tol_minus": [tm]}, 1, place, names=["X"])
    assert lsl[0] <= nom < usl[0]  # type: ignore[operator]
    assert usl[0] - nom == pytest.approx(tp, rel=1e-9, abs=1e-9)  # type: ignore[operator]


# ----------------------------------------------------------------- --spec files

TOML = """
[features.BORE_A]
nominal = 42.0
lsl = 42.0
usl = 42.025
class = "CC"
unit = "mm"

[features."SLOT W"]
nominal = 10.0
tol_plus = 0.02
tol_minus = 0.02

[features.POS]
nominal = 0
usl = 0.1
lower_bound_zero = true
"""


def _expected_spec_frame() -> dict[str, tuple[Any, ...]]:
    return {"BORE_A": (42.0, 42.0, 42.025, "critical"), "SLOT W": (10.0, 9.98, 10.02, None),
            "POS": (0.0, None, 0.1, None)}


def _check(df: pl.DataFrame) -> None:
    got = {r["feature"]: (r["nominal"], r["lsl"], r["usl"], r["class"]) for r in df.iter_rows(named=True)}
    assert got == _expected_spec_frame()
    assert df.filter(pl.col("feature") == "POS")["lower_bound_zero"].to_list() == [True]
    assert df["has_limits"].all()


def test_spec_toml(tmp_path: Path) -> None:
    p = tmp_path / "spec.toml"
    p.write_text(TOML, encoding="utf-8")
    df = read_spec_file(p)
    _check(df)
    assert df["source"][0] == "spec.toml [features.BORE_A]"


def test_spec_toml_bad_key_and_bad_file(tmp_path: Path) -> None:
    p = tmp_path / "spec.toml"
    p.write_text("[features.A]\nnominal = 1\nupper = 2\n", encoding="utf-8")
    with pytest.raises(SpecError, match="unknown key 'upper'") as ei:
        read_spec_file(p)
    assert ei.value.column == "features.A.upper"
    p.write_text("nominal = [", encoding="utf-8")
    with pytest.raises(InputError, match="not a valid TOML file"):
        read_spec_file(p)
    p.write_text("[other]\nx = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected tables \[features.NAME\]"):
        read_spec_file(p)


SPEC_ROWS: list[list[Any]] = [
    ["Feature", "Nominal", "LSL", "USL", "+Tol", "-Tol", "Class", "Lower bound zero"],
    ["BORE_A", 42.0, 42.0, 42.025, None, None, "CC", None],
    ["SLOT W", 10.0, None, None, 0.02, -0.02, None, None],
    ["POS", 0.0, None, 0.1, None, None, None, "yes"],
]


def test_spec_csv(tmp_path: Path) -> None:
    p = tmp_path / "spec.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=";").writerows(
            [[("" if v is None else str(v).replace(".", ",")) for v in r] for r in SPEC_ROWS])
    df = read_spec_file(p)
    _check(df)
    assert df["source"].to_list() == ["spec.csv, row 2", "spec.csv, row 3", "spec.csv, row 4"]


def test_spec_xlsx(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Specs"
    ws.append(["Spec sheet for HSG-1"])
    ws.append([])
    for r in SPEC_ROWS:
        ws.append(r)
    p = tmp_path / "spec.xlsx"
    wb.save(p)
    df = read_spec_file(p)
    _check(df)
    assert df["source"][0] == "spec.xlsx, sheet 'Specs', row 4"


def test_spec_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="spec file not found"):
        read_spec_file(tmp_path / "nope.toml")
    p = tmp_path / "s.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no spec table found"):
        read_spec_file(p)
    p.write_text("feature,usl\nA,0.1\nA,0.2\n", encoding="utf-8")
    with pytest.raises(SpecError, match="feature 'A' is listed twice") as ei:
        read_spec_file(p)
    assert ei.value.row == 3
    p.write_text("feature,usl\nA,abc\n", encoding="utf-8")
    with pytest.raises(SpecError, match="'abc' is not a number") as ei:
        read_spec_file(p)
    assert (ei.value.row, ei.value.column) == (2, "usl")


def _base() -> pl.DataFrame:
    return pl.DataFrame(
        [{"feature": "BORE_A", "nominal": 42.0, "lsl": 41.9, "usl": 42.1, "unit": "mm", "class": None,
          "lower_bound_zero": None, "source": "run.csv, rows 2-9"},
         {"feature": "slot w", "nominal": None, "lsl": None, "usl": None, "unit": None, "class": None,
          "lower_bound_zero": None, "source": None},
         {"feature": "POS", "nominal": 0.0, "lsl": None, "usl": 0.1, "unit": "mm", "class": None,
          "lower_bound_zero": None, "source": "run.csv, rows 2-9"}],
        schema=SPEC_SCHEMA)


def test_merge_completes_and_overrides(tmp_path: Path) -> None:
    p = tmp_path / "spec.toml"
    p.write_text(TOML + '\n[features.EXTRA]\nusl = 1\n', encoding="utf-8")
    merged, notes = merge_specs(_base(), read_spec_file(p))
    r = {x["feature"]: x for x in merged.iter_rows(named=True)}
    # overridden as a group: the spec file's limits replace the export's
    assert (r["BORE_A"]["lsl"], r["BORE_A"]["usl"], r["BORE_A"]["class"]) == (42.0, 42.025, "critical")
    assert r["BORE_A"]["source"] == "spec.toml [features.BORE_A] (overriding run.csv, rows 2-9)"
    assert r["BORE_A"]["unit"] == "mm"
    # completed (matched ignoring case), the export had nothing
    assert (r["slot w"]["lsl"], r["slot w"]["usl"]) == (9.98, 10.02)
    assert r["slot w"]["source"] == 'spec.toml [features.SLOT W]'
    # same limits: only lower_bound_zero completed
    assert r["POS"]["lower_bound_zero"] is True
    assert r["POS"]["source"] == "spec.toml [features.POS]"
    assert merged["feature"].to_list() == ["BORE_A", "slot w", "POS"]
    assert "spec file lists features that have no readings (ignored): EXTRA" in notes
    assert any("'SLOT W' -> 'slot w'" in n for n in notes)


def test_merge_unit_only_keeps_export_limits(tmp_path: Path) -> None:
    p = tmp_path / "spec.toml"
    p.write_text('[features.BORE_A]\nunit = "in"\nclass = "minor"\n', encoding="utf-8")
    merged, _ = merge_specs(_base(), read_spec_file(p))
    r = merged.row(0, named=True)
    assert (r["lsl"], r["usl"], r["unit"], r["class"]) == (41.9, 42.1, "in", "minor")
    assert r["source"] == "run.csv, rows 2-9; unit, class from spec.toml [features.BORE_A]"
