"""PC-DMIS text report and CSV export reader (synthesised files).

No redistributable real PC-DMIS export exists (shared/reference/inspection-formats.md §b); the
files below follow that sheet's description of the legacy dimension report: ``DIM name= …
UNITS=MM`` blocks, an ``AX NOMINAL +TOL -TOL [BONUS] MEAS DEV OUTTOL`` header, one line per axis,
``END OF DIMENSION``, run headers with PART NAME / SER NUMBER / DATE / TIME.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pilotqa.errors import InputError
from pilotqa.read import ReadOptions, pcdmis
from pilotqa.read.detect import sniff_format

OPTS = ReadOptions()


def run(serial: str, time: str, d: str, x: str, tp: str, flat: str) -> str:
    return f"""PART NAME  : HOUSING                      REV NUMBER : C
SER NUMBER : {serial}              STATS COUNT : 1
DATE=1/15/2024     TIME={time}

DIM LOC1= LOCATION OF CIRCLE CIR1  UNITS=MM ,$
GRAPH=OFF  TEXT=OFF  MULT=10.00  OUTPUT=BOTH  HALF ANGLE=NO
AX       NOMINAL       +TOL       -TOL       MEAS        DEV     OUTTOL
X        25.0000     0.1000     0.1000    {x}     0.0000     0.0000 ----#----
D        10.0000     0.0500     0.0500    {d}     0.0000     0.0000 ----#----
END OF DIMENSION LOC1
DIM POS1= TRUE POSITION OF CIRCLE HOLE3  UNITS=MM ,$
AX       NOMINAL       +TOL       -TOL      BONUS       MEAS        DEV     OUTTOL
X        40.0000                                      40.0120     0.0120
Y        20.0000                                      19.9950    -0.0050
TP       MMC            0.1000              0.0000    {tp}     0.0000     0.0000 ----#----
END OF DIMENSION POS1
DIM FLT1= FLATNESS OF PLANE PLN1  UNITS=MM
AX       NOMINAL       +TOL       -TOL       MEAS        DEV     OUTTOL
M         0.0000     0.0500     0.0000     {flat}     0.0000     0.0000
END OF DIMENSION FLT1
"""


def report(tmp_path: Path, text: str, name: str = "report.txt") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_text_report_two_runs(tmp_path: Path) -> None:
    text = run("SN-01", "8:15:02 AM", "10.0123", "25.0312", "0.0260", "0.0120") + \
        run("SN-02", "2:30:00 PM", "10.0080", "24.9900", "0.0310", "0.0150")
    p = report(tmp_path, text)
    assert sniff_format(p).FORMAT == "pcdmis"
    insp = pcdmis.read_path(p, OPTS)
    assert insp.feature_names == ["CIR1.X", "CIR1.D", "HOLE3.TP", "PLN1.M"]
    m = insp.measurements
    assert m.filter(pl.col("feature") == "CIR1.D")["value"].to_list() == [10.0123, 10.008]
    assert m["part_id"].unique(maintain_order=True).to_list() == ["SN-01", "SN-02"]
    assert m.filter(pl.col("part_id") == "SN-02")["timestamp"][0] == datetime(2024, 1, 15, 14, 30)
    specs = {r["feature"]: r for r in insp.specs.iter_rows(named=True)}
    assert (specs["CIR1.D"]["lsl"], specs["CIR1.D"]["usl"]) == pytest.approx((9.95, 10.05))
    tp = specs["HOLE3.TP"]
    assert (tp["nominal"], tp["lsl"], tp["usl"], tp["lower_bound_zero"]) == (0.0, None, 0.1, True)
    flat = specs["PLN1.M"]
    assert flat["lsl"] is None and flat["usl"] == 0.05 and flat["lower_bound_zero"] is True
    assert specs["CIR1.D"]["unit"] == "mm"
    # the X/Y lines of the true-position block carry no tolerance: counted, not read
    assert insp.details["untoleranced_axis_lines"] == 4
    assert insp.metadata == {"part_number": "HOUSING", "revision": "C"}


def test_outtol_disagreement_is_noted(tmp_path: Path) -> None:
    # D = 10.0700 is above 10.05 but OUTTOL says 0.0000
    insp = pcdmis.read_path(report(tmp_path, run("1", "10:00:00", "10.0700", "25.0000",
                                                 "0.0100", "0.0100")), OPTS)
    assert any("OUTTOL disagrees" in n and "1 reading" in n for n in insp.notes)


def test_bad_meas_names_line(tmp_path: Path) -> None:
    text = run("1", "10:00:00", "10.0100", "25.0000", "0.0100", "0.0100").replace(
        "10.0100", "abc", 1)
    p = report(tmp_path, text)
    with pytest.raises(InputError, match="abc") as exc:
        pcdmis.read_path(p, OPTS)
    assert exc.value.line == 9 and exc.value.file == str(p)


def test_csv_export_one_row_per_axis(tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    p.write_text(
        "PART NAME,HOUSING\nSER NUMBER,SN-07\nDATE,2024-02-01\nTIME,09:00:00\n"
        "Dimension,Feature,Type,AX,NOMINAL,+TOL,-TOL,MEAS,DEV,OUTTOL\n"
        "LOC1,CIR1,LOCATION,D,10.0000,0.0500,0.0500,10.0100,0.0100,0.0000\n"
        "POS1,HOLE3,TRUE POSITION,TP,0.0000,0.1000,0.0000,0.0300,0.0300,0.0000\n",
        encoding="utf-8")
    assert sniff_format(p).FORMAT == "pcdmis"
    insp = pcdmis.read_path(p, OPTS)
    assert insp.feature_names == ["CIR1.D", "HOLE3.TP"]
    assert insp.measurements["part_id"].to_list() == ["SN-07", "SN-07"]
    assert insp.measurements["timestamp"][0] == datetime(2024, 2, 1, 9)
    tp = insp.specs.row(1, named=True)
    assert (tp["usl"], tp["lsl"], tp["lower_bound_zero"]) == (0.1, None, True)


def test_csv_without_axis_names_row(tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    p.write_text("Dimension,AX,NOMINAL,+TOL,-TOL,MEAS\nLOC1,,1,0.1,0.1,1.0\n", encoding="utf-8")
    with pytest.raises(InputError, match="axis") as exc:
        pcdmis.read_path(p, OPTS)
    assert exc.value.line == 2


def test_plain_long_csv_is_not_pcdmis(tmp_path: Path) -> None:
    p = tmp_path / "long.csv"
    p.write_text("part,feature,value,lsl,usl\n1,A,1.0,0,2\n", encoding="utf-8")
    assert not pcdmis.sniff(p, p.read_bytes())
