"""Benchmark of the readers: time to read one wide CMM-style export of N characteristics × M
parts as CSV, XLSX and (when LibreOffice is installed to write it) legacy XLS.

Run by hand (not part of the test-suite)::

    python benchmarks/bench_read.py                     # 300 characteristics × 500 parts
    python benchmarks/bench_read.py -n 1000 -m 1000 --repeat 3

Prints, per format, the file size, the best-of-``--repeat`` time of ``pilotqa.read.read`` and
readings per second. The readers parse cells through openpyxl/xlrd/csv in Python, so workbook
reading dominates a small analysis; the figures show whether a change made it worse.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pilotqa.read import read  # noqa: E402


def build(tmp: Path, nf: int, npart: int) -> list[Path]:
    head = [["Serial"] + [f"F{j}" for j in range(nf)], ["Nominal"] + [10.0] * nf,
            ["+Tol"] + [0.05] * nf, ["-Tol"] + [0.05] * nf]
    body = [[f"S{i}"] + [10.0 + ((i * 7 + j) % 11 - 5) * 0.001 for j in range(nf)]
            for i in range(npart)]
    csv_path = tmp / "wide.csv"
    csv_path.write_text("\n".join(",".join(str(v) for v in r) for r in head + body) + "\n",
                        encoding="utf-8")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("CMM")
    for r in head + body:
        ws.append(r)
    xlsx_path = tmp / "wide.xlsx"
    wb.save(xlsx_path)
    out = [csv_path, xlsx_path]
    soffice = shutil.which("soffice")
    if soffice and nf <= 256:  # .xls holds at most 256 columns
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/lo",
                        "--convert-to", "xls", "--outdir", str(tmp), str(xlsx_path)],
                       check=True, capture_output=True, timeout=600)
        out.append(tmp / "wide.xls")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--features", type=int, default=300)
    ap.add_argument("-m", "--parts", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        paths = build(Path(t), a.features, a.parts)
        print(f"{a.features} characteristics × {a.parts} parts = {a.features * a.parts:,} readings")
        if not any(p.suffix == ".xls" for p in paths):
            print("  (no .xls: LibreOffice missing, or more than 256 columns)")
        for p in paths:
            best = float("inf")
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                insp = read([p])
                best = min(best, time.perf_counter() - t0)
            assert insp.measurements.height == a.features * a.parts
            print(f"  {p.suffix:6s} {p.stat().st_size / 1e6:7.1f} MB  {best:6.2f} s  "
                  f"{a.features * a.parts / best:10,.0f} readings/s")


if __name__ == "__main__":
    main()
