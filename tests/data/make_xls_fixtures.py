"""Make the office-suite files the reader tests use: legacy Excel 97-2003 (.xls) workbooks and
an XLSX with calculated formulas.

The files are written by LibreOffice Calc (a real BIFF8 / OOXML writer, not our code) from
workbooks built here with openpyxl, so the reader is tested on what an office suite really
produces. Re-run after changing the sources (needs ``soffice``, e.g. Debian's
libreoffice-calc-nogui)::

    python tests/data/make_xls_fixtures.py

* ``tests/data/legacy_long_errors.xls`` — long layout with real date cells, a whole-number part
  column, and one reading that is the formula ``=1/0`` (stored as the error ``#DIV/0!``).
* ``tests/data/libreoffice_formulas.xlsx`` — long layout saved by LibreOffice with formulas and
  their saved results: one reading ``=C2+0.001`` (a number) and one ``=IF(1=2,1,"")`` (empty
  text, a genuine blank).
* ``sample_data/housing_pilot_report.xls`` — the bundled shop report
  (``housing_pilot_report.xlsx``) saved as .xls.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _convert(src: Path, out_dir: Path, to: str = "xls") -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to write .xls files")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", to, "--outdir", str(out_dir), str(src)],
                       check=True, capture_output=True, timeout=180)
    return out_dir / f"{src.stem}.{to}"


def legacy_long_errors(tmp: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Readings"
    ws.append(["Part", "Lot", "Measured at", "Characteristic", "Actual", "Nominal", "LSL", "USL"])
    t0 = datetime(2024, 3, 4, 7, 30)
    for i in range(1, 7):
        for feat, nom, base in (("BORE_DIA", 20.0, 20.001), ("DEPTH", 12.0, 11.998)):
            ws.append([i, "L01" if i <= 3 else "L02", t0 + timedelta(minutes=10 * i), feat,
                       round(base + 0.001 * (i % 3), 4), nom, nom - 0.02, nom + 0.02])
    ws["E9"] = "=1/0"  # part 4, DEPTH: an error cell, never a blank
    src = tmp / "legacy_long_errors.xlsx"
    wb.save(src)
    return _convert(src, HERE)


def libreoffice_formulas(tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Part", "Characteristic", "Actual", "Nominal", "LSL", "USL"])
    for i in range(1, 7):
        ws.append([i, "BORE", round(20.0 + 0.001 * i, 4), 20.0, 19.98, 20.02])
    ws["C3"] = "=C2+0.001"     # part 2: a computed reading, 20.002
    ws["C4"] = '=IF(1=2,1,"")'  # part 3: empty text, i.e. not measured
    src = tmp / "libreoffice_formulas.xlsx"
    wb.save(src)
    return _convert(src, HERE, "xlsx")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(legacy_long_errors(Path(tmp)))
        print(libreoffice_formulas(Path(tmp) / "x"))
    print(_convert(REPO / "sample_data" / "housing_pilot_report.xlsx", REPO / "sample_data"))


if __name__ == "__main__":
    main()
