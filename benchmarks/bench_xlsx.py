"""CPU seconds and peak memory of the XLSX writer alone (issue 16).

Generates ``benchmarks/bench_pipeline.py``'s seeded long CSV export of the given size, reads
and analyses it once (the result is pickled into the temporary folder), then times the writer
in fresh subprocesses, each loading the pickled result and writing the workbook once:

* ``xml`` — :func:`pilotqa.report.xlsx.write_xlsx` (data rows as XML text, the shipped writer);
* ``openpyxl`` — :func:`pilotqa.report.xlsx._write_openpyxl` (every cell an openpyxl cell,
  the writer before the XML rows; ``--modes xml`` skips it, it takes minutes at 1e6).

Runs are interleaved (xml, openpyxl, xml, openpyxl …) so both see the same machine load; the
table gives the median CPU seconds (user + system of the child while writing), the wall
seconds, the peak RSS while writing above the RSS with the loaded result (Linux: the peak is
reset through ``/proc/self/clear_refs`` before the writer starts), the child's peak RSS, the
file size, and the load average.
With ``--profile`` one extra ``xml`` run is profiled (cProfile, top 25 by cumulative time).

Usage::

    .venv/bin/python benchmarks/bench_xlsx.py                    # 1e5 (300 x 500), 3 runs each
    .venv/bin/python benchmarks/bench_xlsx.py --sizes 1e6 --modes xml --repeat 3
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> float:
    """Reset the peak resident size (Linux: ``clear_refs`` 5) and return the current one, MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _status("VmRSS")


def _peak() -> float:
    """Peak resident size since :func:`_reset_peak`, MB (VmHWM)."""
    return _status("VmHWM")


def child(pkl: Path, mode: str, out: Path, profile: bool) -> dict[str, Any]:
    from pilotqa.report import xlsx

    result = pickle.loads(pkl.read_bytes())
    rss0 = _reset_peak()
    fn = xlsx.write_xlsx if mode == "xml" else xlsx._write_openpyxl
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        fn(result, out)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        return {}
    w, c = time.perf_counter(), _cpu()
    fn(result, out)
    cpu, wall = _cpu() - c, time.perf_counter() - w
    rss1 = _peak()
    return {"cpu": cpu, "wall": wall, "rss_before": rss0, "rss_peak": rss1,
            "rss_added": rss1 - rss0, "bytes": out.stat().st_size}


def prepare(size: str, work: Path) -> tuple[Path, dict[str, Any]]:
    from bench_pipeline import generate, parse_size

    from pilotqa.analysis import analyze
    from pilotqa.read import ReadOptions, read
    from pilotqa.settings import Settings

    name, n_features, n_parts = parse_size(size)
    csv = work / f"{name}.csv"
    generate(csv, n_features, n_parts)
    result = analyze(read([csv], ReadOptions()), Settings(lot_size=500))
    pkl = work / f"{name}.pkl"
    pkl.write_bytes(pickle.dumps(result))
    csv.unlink()
    return pkl, {"size": name, "characteristics": n_features, "parts": n_parts,
                 "readings": result.inspection.measurements.height}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e5", help="comma-separated: 1e4, 1e5, 1e6, sample, FxP")
    ap.add_argument("--modes", default="xml,openpyxl", help="xml and/or openpyxl")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--child", nargs=3, metavar=("PKL", "MODE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        pkl, mode, out = args.child
        res = child(Path(pkl), mode, Path(out), args.profile)
        print(json.dumps(res))
        return
    modes = [m for m in args.modes.split(",") if m]
    rows = []
    for size in args.sizes.split(","):
        with tempfile.TemporaryDirectory(prefix="bench_xlsx-") as tmp:
            work = Path(tmp)
            pkl, info = prepare(size, work)
            runs: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
            for _ in range(args.repeat):
                for m in modes:
                    proc = subprocess.run([sys.executable, __file__, "--child", str(pkl), m,
                                           str(work / f"{m}.xlsx")], check=True,
                                          capture_output=True, text=True, cwd=ROOT)
                    runs[m].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            if args.profile:
                proc = subprocess.run([sys.executable, __file__, "--child", str(pkl), "xml",
                                       str(work / "p.xlsx"), "--profile"], check=True,
                                      capture_output=True, text=True, cwd=ROOT)
                print(proc.stderr)
            for m in modes:
                med = {k: statistics.median(r[k] for r in runs[m])
                       for k in ("cpu", "wall", "rss_added", "rss_peak", "bytes")}
                rows.append({**info, "mode": m, **med,
                             "cpu_runs": [round(r["cpu"], 2) for r in runs[m]]})
    load = os.getloadavg()[0]
    print(f"| size | mode | CPU s (median) | runs | wall s | RSS added MB | peak RSS MB | MB "
          f"| (load {load:.1f})")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} ({r['readings']:,} readings) | {r['mode']} | {r['cpu']:.2f} | "
              f"{r['cpu_runs']} | {r['wall']:.2f} | {r['rss_added']:.0f} | {r['rss_peak']:.0f} "
              f"| {r['bytes'] / 1e6:.1f} |")


if __name__ == "__main__":
    main()
