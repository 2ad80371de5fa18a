"""ZEISS CALYPSO ``_chr.txt`` + ``_hdr.txt`` reader (synthesised tables with the real column set
of shared/reference/inspection-formats.md §c) and the bundled sample folder."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pilotqa.errors import InputError
from pilotqa.read import ReadOptions, calypso
from pilotqa.read.detect import expand_inputs, read_inputs, sniff_format

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
OPTS = ReadOptions()
COLS = ["planid", "partnb", "id", "type", "idsymbol", "actual", "nominal", "uppertol", "lowertol",
        "deviation", "exceed", "warningLimitCF", "featureid", "featuresigma", "comment", "link",
        "linkmode", "mmc", "useruppertol", "userlowertol", "fftphi", "fftphiunit",
        "zoneroundnessangle", "groupname", "groupname2", "datumAid", "datumBid", "datumCid",
        "natuppertolid", "natlowertolid", "decimalplaces", "featurePosX", "featurePosY",
        "featurePosZ"] + [f"group{i}" for i in range(1, 11)]


def chr_row(**kw: str) -> str:
    return "\t".join(kw.get(c, "") for c in COLS) + "\t"


def make_part(folder: Path, serial: str, when: str, flat: str = "0.0120000",
              dia: str = "23.4021000", hdr: bool = True) -> Path:
    folder.mkdir(exist_ok=True)
    rows = ["\t".join(COLS) + "\t",
            chr_row(planid="P1", id="FlatnessA", type="Ebenheit", idsymbol="gdtFlat", actual=flat,
                    nominal="0.0000000", uppertol="0.0500000", lowertol="0.0000000",
                    natuppertolid="1", natlowertolid="2"),
            chr_row(planid="P1", id="Dia1", type="Durchmesser", idsymbol="diameter", actual=dia,
                    nominal="23.4000000", uppertol="0.0050000", lowertol="0.0000000",
                    natuppertolid="1", natlowertolid="1")]
    p = folder / f"{serial}_chr.txt"
    p.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    if hdr:
        d, t = when.split(" ")
        (folder / f"{serial}_hdr.txt").write_text(
            f"planid\tpartnb\tpartnbinc\tdate\ttime\toperator\torder\r\nP1\tX-1\t{serial}\t{d}\t"
            f"{t}\tAnna\tL7\r\n", encoding="utf-8")
    return p


def test_one_part_specs_and_header(tmp_path: Path) -> None:
    p = make_part(tmp_path / "run", "0007", "2024-03-01 10:20:30")
    assert sniff_format(p).FORMAT == "calypso"
    insp = calypso.read_path(p, OPTS)
    assert insp.feature_names == ["FlatnessA", "Dia1"]
    m = insp.measurements
    assert m["value"].to_list() == [0.012, 23.4021]
    assert set(m["part_id"]) == {"0007"} and set(m["lot"]) == {"L7"}
    assert m["timestamp"][0] == datetime(2024, 3, 1, 10, 20, 30)
    flat, dia = insp.specs.iter_rows(named=True)
    assert (flat["lsl"], flat["usl"], flat["lower_bound_zero"]) == (None, 0.05, True)
    assert (dia["lsl"], dia["usl"]) == pytest.approx((23.4, 23.405))
    assert dia["lower_bound_zero"] is False
    assert insp.metadata["operator"] == "Anna"
    assert any("'order'" in n for n in insp.notes)


def test_folder_of_parts_ordered_by_time_with_companions(tmp_path: Path) -> None:
    folder = tmp_path / "lot"
    make_part(folder, "A", "2024-03-02 08:00:00", flat="0.0200000")  # later, first by name
    make_part(folder, "B", "2024-03-01 08:00:00", flat="0.0100000")
    (folder / "B_fet.txt").write_text("feature\tx\r\n", encoding="utf-8")
    files, skipped = expand_inputs([folder])
    assert sorted(f.name for f in files) == ["A_chr.txt", "B_chr.txt"] and skipped == []
    parts, _ = read_inputs([folder], OPTS)
    assert [p.measurements["part_id"][0] for p in parts] == ["B", "A"]


def test_missing_header_uses_file_name_and_folder(tmp_path: Path) -> None:
    p = make_part(tmp_path / "L02", "SN9", "x y", hdr=False)
    insp = calypso.read_path(p, OPTS)
    assert set(insp.measurements["part_id"]) == {"SN9"} and set(insp.measurements["lot"]) == {"L02"}
    assert insp.measurements["timestamp"].null_count() == 2


def test_orphan_header_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "Z_hdr.txt"
    p.write_text("planid\tdate\r\nP\t2024-01-01\r\n", encoding="utf-8")
    assert sniff_format(p).FORMAT == "calypso"
    with pytest.raises(InputError, match="without its _chr.txt"):
        calypso.read_path(p, OPTS)


def test_bad_actual_names_line_and_column(tmp_path: Path) -> None:
    p = make_part(tmp_path / "r", "1", "2024-01-01 00:00:00", dia="23,40x")
    with pytest.raises(InputError) as exc:
        calypso.read_path(p, OPTS)
    assert (exc.value.line, exc.value.column, exc.value.file) == (3, "actual", str(p))


def test_duplicate_characteristic_is_an_error(tmp_path: Path) -> None:
    p = make_part(tmp_path / "r", "1", "2024-01-01 00:00:00")
    p.write_text(p.read_text() + chr_row(id="Dia1", actual="1", nominal="1") + "\r\n")
    with pytest.raises(InputError, match="twice") as exc:
        calypso.read_path(p, OPTS)
    assert exc.value.line == 4


def test_sample_folder_equals_long_csv() -> None:
    """The committed CALYPSO sample holds the same pilot run as the long CSV (no unit column)."""
    parts, skipped = read_inputs([SAMPLE / "housing_pilot_calypso"], OPTS)
    assert len(parts) == 150 and skipped == []
    m = pl.concat([p.measurements for p in parts])
    ref = pl.read_csv(SAMPLE / "housing_pilot_long.csv").with_columns(
        pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us"))
    cols = ["part_id", "lot", "timestamp", "feature"]
    got = m.select(*cols, "value").sort(cols)
    exp = ref.select(*cols, "value").sort(cols)
    assert got.select(cols).equals(exp.select(cols))
    # values written with 7 decimals from 4-decimal readings
    assert got["value"].to_list() == pytest.approx(exp["value"].to_list(), abs=5e-8)
    # ordered by time: the parts come in the CSV's sequence order
    assert [p.measurements["part_id"][0] for p in parts] == \
        ref.sort("sequence")["part_id"].unique(maintain_order=True).to_list()
    specs = parts[0].specs.sort("feature")
    ref_specs = ref.unique("feature").sort("feature")
    assert specs["usl"].to_list() == pytest.approx(ref_specs["usl"].to_list(), abs=1e-9)
    lsl_got = [x for x in specs["lsl"].to_list() if x is not None]
    lsl_ref = [x for x in ref_specs["lsl"].to_list() if x is not None]
    assert lsl_got == pytest.approx(lsl_ref, abs=1e-9)
    assert sorted(specs.filter("lower_bound_zero")["feature"]) == ["FLATNESS_TOP", "HOLE1_POS",
                                                                   "ROUGHNESS_RA"]


def _real_like_table(folder: Path, *, end: str = "END", partnb: str = "10") -> Path:
    """A table shaped like the only public real ``_chr.txt`` (CalypsoAPI's test_chr.txt, not
    redistributable; see shared/real_exports/README.md): no header table, ``partnb`` 10, plan name
    in ``planid``, the last line holding only ``END``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["\t".join(COLS) + "\t",
            chr_row(planid="Welle_4711", partnb=partnb, id="FlatnessA", type="Ebenheit",
                    idsymbol="gdtFlat", actual="0.0007984", nominal="0.0000000",
                    uppertol="0.0050000", lowertol="0.0000000", natuppertolid="1",
                    natlowertolid="2"),
            chr_row(planid="Welle_4711", partnb=partnb, id="Durchmesser1", type="Durchmesser",
                    idsymbol="diameter", actual="23.4021000", nominal="23.4000000",
                    uppertol="0.0050000", lowertol="0.0000000", natuppertolid="1",
                    natlowertolid="1")]
    p = folder / "Welle_4711_chr.txt"
    p.write_text("\r\n".join(rows + [end]) + "\r\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("end", ["END", "END\t", "END\t\t\t"])
def test_closing_end_line_partnb_and_planid(tmp_path: Path, end: str) -> None:
    p = _real_like_table(tmp_path / "run", end=end)
    insp = calypso.read_path(p, OPTS)
    assert insp.feature_names == ["FlatnessA", "Durchmesser1"]
    m = insp.measurements
    assert m["part_id"].to_list() == ["10", "10"]
    assert insp.metadata["plan"] == "Welle_4711"
    assert any("END line (line 4)" in n for n in insp.notes)
    assert "partnb" not in insp.details["unused_columns"]


def test_text_after_end_is_refused(tmp_path: Path) -> None:
    p = _real_like_table(tmp_path / "run", end="END\r\n" + chr_row(id="X", actual="1", nominal="1"))
    with pytest.raises(InputError, match="after the closing END") as exc:
        calypso.read_path(p, OPTS)
    assert exc.value.line == 5


def test_folder_of_real_like_tables_parts_from_partnb(tmp_path: Path) -> None:
    for n in ("10", "11", "12"):
        _real_like_table(tmp_path / "run" / n, partnb=n)
    insp = calypso.read_path(_real_like_table(tmp_path / "one", partnb="10"), OPTS)
    assert insp.n_parts == 1
    from pilotqa.read import read
    insp = read([tmp_path / "run" / n / "Welle_4711_chr.txt" for n in ("10", "11", "12")],
                ReadOptions(strict=False))
    assert sorted(insp.measurements["part_id"].unique()) == ["10", "11", "12"]
