"""CPU seconds and peak memory of :func:`pilotqa.read.read` on a long CSV, two source trees
interleaved (issue 16, the reader at 10^6 readings).

Each measurement is one fresh subprocess that imports pilotqa's reader and polars, then reads
the file once: CPU seconds (``time.process_time``: every thread of the process, polars' pool
included) and wall seconds of the ``read`` call, and the child's peak resident memory
(``ru_maxrss``) with the import's peak before it. ``--before DIR`` names a second source tree (a
folder holding a ``pilotqa`` package, e.g. ``git archive <commit> pilotqa | tar -x -C DIR``):
the two trees are then run alternately (before, after, before, after …) so that both see the
same machine load, and the medians are compared. Without ``--before`` only the checkout is run.

The file is the benchmark export of ``benchmarks/bench_pipeline.py`` (its ``generate``, run in a
child): give ``--csv PATH`` to reuse one (e.g. ``/tmp/b1e6.csv``), else ``--size`` (``1e5``,
``1e6`` or ``FxP``) generates it into a temporary folder.

``--command`` instead runs ``pilotqa analyze CSV --format json --lot-size 500`` (the checkout's
command) alternately with the command's allocator option (``dirty_decay_ms:0``, appended by
``cli/__init__.py``) and without it (``_RJEM_MALLOC_CONF=dirty_decay_ms:499,muzzy_decay_ms:1000``,
polars' own defaults but for one millisecond, which the command keeps as a user's choice), and
reports the CPU seconds and peak RSS of each (``os.wait4``). The parent stays small on purpose:
a child's ``ru_maxrss`` starts from its parent's resident size (fork copies it, exec keeps the
figure), so a parent holding the generated data would floor every child's peak at its own.

Usage::

    .venv/bin/python benchmarks/bench_read_speed.py --csv /tmp/b1e6.csv --before /tmp/before --repeat 5
    .venv/bin/python benchmarks/bench_read_speed.py --size 1e5 --repeat 3
    .venv/bin/python benchmarks/bench_read_speed.py --csv /tmp/b1e6.csv --command --repeat 2
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import polars
from pilotqa.read import ReadOptions, read
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
t, w = time.process_time(), time.perf_counter()
insp = read([sys.argv[1]], ReadOptions())
cpu, wall = time.process_time() - t, time.perf_counter() - w
import pilotqa
print(json.dumps({"cpu": cpu, "wall": wall, "rss_import_mb": rss0,
                  "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                  "rows": insp.measurements.height, "tree": pilotqa.__file__}))
"""


def run(csv: Path, tree: Path | None, env_extra: dict[str, str]) -> dict[str, float]:
    """One fresh child reading ``csv`` with the pilotqa of ``tree`` (None: the checkout)."""
    env = dict(os.environ, **env_extra)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    out = subprocess.run([sys.executable, "-c", CHILD, str(csv)], env=env, check=True,
                         capture_output=True, text=True, cwd=tempfile.gettempdir())
    got: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


def run_command(csv: Path, out: Path, env_extra: dict[str, str]) -> dict[str, float]:
    """``pilotqa analyze`` of ``csv`` (JSON) in a child: its CPU seconds and peak RSS."""
    exe = str(Path(sys.executable).with_name("pilotqa"))
    cmd = [exe, "analyze", str(csv), "--format", "json", "--lot-size", "500", "--out", str(out),
           "--force", "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, env=dict(os.environ, **env_extra))
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return {"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024.0}


def commands(csv: Path, repeat: int, work: Path) -> None:
    """The command with and without its allocator option, alternately (``--command``)."""
    confs = {"with dirty_decay_ms:0": {},
             "polars defaults": {"_RJEM_MALLOC_CONF": "dirty_decay_ms:499,muzzy_decay_ms:1000"}}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in confs}
    for _ in range(repeat):
        for name, env_extra in confs.items():
            runs[name].append(run_command(csv, work / "out", env_extra))
    print(f"pilotqa analyze {csv} --format json, {repeat} alternating runs, load {os.getloadavg()[0]:.2f}")
    for name, rs in runs.items():
        print(f"  {name:22s} CPU median {statistics.median(r['cpu'] for r in rs):.2f} s (runs "
              + ", ".join(f"{r['cpu']:.2f}" for r in rs) + "), peak RSS "
              + ", ".join(f"{r['rss_mb']:.0f}" for r in rs) + " MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, help="an existing long CSV (else --size generates one)")
    ap.add_argument("--size", default="1e5", help="1e4, 1e5, 1e6 or FxP (bench_pipeline sizes)")
    ap.add_argument("--before", type=Path, help="a folder holding the pilotqa package to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the children")
    ap.add_argument("--command", action="store_true",
                    help="time pilotqa analyze with and without its allocator option instead")
    a = ap.parse_args()
    env_extra = dict(e.split("=", 1) for e in a.env)
    with tempfile.TemporaryDirectory(prefix="pilotqa-bench-read-") as d:
        csv = a.csv
        if csv is None:  # generated in a child, so that this process stays small (see above)
            csv = Path(d) / f"bench_{a.size}.csv"
            subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                            "from bench_pipeline import generate, parse_size; from pathlib import Path; "
                            "_, f, p = parse_size(sys.argv[2]); generate(Path(sys.argv[3]), f, p)",
                            str(ROOT / "benchmarks"), a.size, str(csv)], check=True)
        if a.command:
            commands(csv, a.repeat, Path(d))
            return
        trees: dict[str, Path | None] = {"after": None}
        if a.before is not None:
            trees = {"before": a.before, "after": None}
        runs: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
        for _ in range(a.repeat):
            for name, tree in trees.items():
                runs[name].append(run(csv, tree, env_extra))
        print(f"{csv} ({csv.stat().st_size / 1e6:.1f} MB), {a.repeat} interleaved runs, "
              f"load {os.getloadavg()[0]:.2f}")
        for name, rs in runs.items():
            cpus = sorted(r["cpu"] for r in rs)
            print(f"  {name:7s} read CPU median {statistics.median(cpus):.3f} s (runs "
                  + ", ".join(f"{c:.2f}" for c in cpus)
                  + f"), wall {statistics.median(r['wall'] for r in rs):.3f} s, peak RSS "
                  f"{statistics.median(r['rss_peak_mb'] for r in rs):.0f} MB "
                  f"(after import {statistics.median(r['rss_import_mb'] for r in rs):.0f} MB), "
                  f"rows {int(rs[0]['rows'])}")


if __name__ == "__main__":
    main()
