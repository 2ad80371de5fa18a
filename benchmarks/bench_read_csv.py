"""Benchmark of CSV reading (issue 16): the polars path against the per-row / per-cell path.

Reads the long CSV export of ``benchmarks/bench_pipeline.py`` (same generator, same sizes) with
``pilotqa.read.read`` in a fresh process per run, once with the polars fast path
(``pilotqa.read.grids.csv_frame`` + ``tabular._read_long_frame``) and once with it switched off
(``csv_frame`` returning None: the csv module and the per-cell code), and prints the CPU seconds
of the read (imports excluded; median of ``--repeat``) and the process's peak RSS::

    python benchmarks/bench_read_csv.py                     # 1e4 and 1e5, 3 runs each
    python benchmarks/bench_read_csv.py --sizes 1e6 --repeat 1 --keep

Optionally ``--quoted`` writes every field in quotes (Excel's "Save as CSV" style), which the
fast path checks (``grids._simple_quotes``) and takes. Not part of the test-suite.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pilotqa.read.tabular as tabular
from pilotqa.read import ReadOptions, read
import pilotqa.read.validate, pilotqa.read.charrows  # imports outside the timing
if sys.argv[2] == "slow":
    tabular.csv_frame = lambda path: None
t = time.process_time()
insp = read([Path(sys.argv[1])], ReadOptions())
cpu = time.process_time() - t
print(json.dumps({"cpu": cpu, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "readings": insp.measurements.height}))
"""


def run(csv: Path, mode: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(csv), mode], check=True,
                         capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from bench_pipeline import generate, parse_size

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e4,1e5")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quoted", action="store_true", help="quote every field")
    ap.add_argument("--keep", action="store_true", help="keep the generated CSV in benchmarks/out")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_read_csv_")) if not a.keep else REPO / "benchmarks" / "out"
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'size':>6} {'MB':>6} {'path':>6} {'read CPU s (median)':>20} {'peak RSS MB':>12}")
    for label, nf, np_ in (parse_size(s) for s in a.sizes.split(",")):
        csv = work / f"long_{nf}x{np_}{'_quoted' if a.quoted else ''}.csv"
        if not csv.exists():
            generate(csv, nf, np_)
            if a.quoted:
                import polars as pl
                pl.read_csv(csv, infer_schema=False).write_csv(csv, quote_style="always")
        for mode in ("fast", "slow"):
            runs = [run(csv, mode) for _ in range(a.repeat)]
            cpu = statistics.median(r["cpu"] for r in runs)
            rss = max(r["rss_mb"] for r in runs)
            print(f"{label:>6} {csv.stat().st_size / 1e6:6.1f} {mode:>6} {cpu:20.2f} {rss:12.0f}",
                  flush=True)
        if not a.keep:
            csv.unlink()


if __name__ == "__main__":
    main()
