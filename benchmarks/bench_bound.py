"""A lower bound for issue 16: how close to the polars floor ``pilotqa analyze --format json`` could
come if whole steps of it cost nothing.

The 10^6-reading target of issue 16 is "full analysis ≤ 5× the floor". This benchmark asks what is
left when a step is made free, by replacing it with its own result, recorded by one earlier run of
the same command on the same file (pickled; unpickled off the clock, after the read, once the
modules the command loads anyway are loaded). Each level runs in a
fresh child process as the ``pilotqa`` command does (``pilotqa_cli.main.cli`` in-process, the same
options), the levels cumulative:

``full``
    nothing replaced (the command as shipped);
``fits free``
    ``pilotqa.stats._shape_step`` returns its recorded result: each feature's time order,
    normality, every maximum-likelihood fit (Johnson SU, folded normal, the alternatives) and every
    capability model with its intervals cost nothing;
``stats free``
    ``pilotqa.stats.compute`` returns its recorded typed results: every statistic costs nothing
    (the frame-level families too); reading, the decision and the JSON writer remain;
``decide free``
    ``pilotqa.analysis.analyze`` returns its recorded result: only start-up, imports, reading
    and the JSON writer remain;
``read + imports``
    the JSON writer writes nothing as well: start-up, imports, reading.

Every level that writes JSON is checked against the ``full`` run's document (equal but for
``generated_at``), so a replaced step is shown to stand for exactly the step it replaces. Wall
seconds run from the child's first statement to the end of the command, minus loading the
recorded result; CPU seconds (user + system) likewise. The floor (``polars.read_csv`` + one
``group_by``, see :func:`bench_pipeline.child_floor`) runs in its own child on the same file.

Usage::

    .venv/bin/python benchmarks/bench_bound.py                 # 1e6, median of 3
    .venv/bin/python benchmarks/bench_bound.py --size 1e5 --repeat 5
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_pipeline import (  # noqa: E402
    _cpu,
    child_floor,
    command_args,
    compile_bytecode,
    generate_in_child,
    parse_size,
)

LEVELS = ("full", "fits free", "stats free", "decide free", "read + imports")
# the step each level replaces (cumulative: a level also keeps the replacements of the ones before)
STEPS = {"fits free": "shape", "stats free": "compute", "decide free": "analyze", "read + imports": "write"}


def child(level: str, csv: Path, cache: Path, out: Path) -> dict[str, Any]:
    """One run of the command at ``level`` in this (fresh) process; ``record`` writes the cache."""
    t0, c0 = time.perf_counter(), _cpu()
    load_wall = load_cpu = 0.0
    import pilotqa_cli  # noqa: F401  # the command's allocator settings, as `pilotqa` sets them
    if level == "record":
        import pilotqa.analysis as analysis
        import pilotqa.stats as stats

        recorded: dict[str, Any] = {}

        def keep(module: Any, name: str, key: str) -> None:
            original = getattr(module, name)

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                recorded[key] = result = original(*args, **kwargs)
                return result

            setattr(module, name, wrapped)

        keep(stats, "_shape_step", "shape")
        keep(stats, "compute", "compute")
        analysis.compute = stats.compute  # analysis imported the name
        keep(analysis, "analyze", "analyze")
    elif level != "full":
        replaced = LEVELS[LEVELS.index("fits free"):LEVELS.index(level) + 1]
        steps = {STEPS[lv] for lv in replaced}
        if "write" in steps:  # the command binds write_outputs before reading: replaced up front
            import pilotqa.report.outputs as outputs

            outputs.write_outputs = lambda *a, **k: []
        # The other steps are replaced once the export is read. The command imports the analysis
        # (scipy.stats among it) on a second thread while polars parses and waits for it right
        # after reading; importing it here first would take that overlap from the levels, and
        # unpickling the recorded results before reading would import it off the clock.
        import pilotqa.read as reader

        read = reader.read

        def read_then_replay(*args: Any, **kwargs: Any) -> Any:
            nonlocal load_wall, load_cpu
            insp = read(*args, **kwargs)
            import pilotqa.analysis  # noqa: F401  # what the command imports next, on the clock

            t, c = time.perf_counter(), _cpu()
            with cache.open("rb") as fh:
                recorded = pickle.load(fh)
            load_wall, load_cpu = time.perf_counter() - t, _cpu() - c  # only this is off the clock
            _replay(recorded, steps)
            return insp

        reader.read = read_then_replay
    from pilotqa_cli.main import cli

    cli.main(command_args(csv, ("json",), out), standalone_mode=False)
    wall, cpu = time.perf_counter() - t0 - load_wall, _cpu() - c0 - load_cpu
    if level == "record":
        with cache.open("wb") as fh:
            pickle.dump(recorded, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {"wall": wall, "cpu": cpu}


def _replay(recorded: dict[str, Any], steps: set[str]) -> None:
    """Replace ``steps`` (``shape``, ``compute``, ``analyze``) by their recorded results."""
    import pilotqa.analysis as analysis
    import pilotqa.stats as stats

    if "shape" in steps:
        stats._shape_step = lambda *a, **k: recorded["shape"]
    if "compute" in steps:
        analysis.compute = lambda *a, **k: recorded["compute"]
    if "analyze" in steps:
        analysis.analyze = lambda *a, **k: recorded["analyze"]


def _document(path: Path) -> dict[str, Any]:
    """The JSON document without its only run-dependent key, ``generated_at``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["generated_at"]
    return dict(doc)


def run(kind: str, csv: Path, cache: Path, out: Path) -> dict[str, Any]:
    """One child: ``record``, ``floor`` or a level; its wall and CPU seconds."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(csv), str(cache), str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise SystemExit(f"{kind}: the child failed (exit {done.returncode}): {last}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def record(csv: Path, cache: Path, out: Path) -> dict[str, Any]:
    """Run the full command once, keeping the results the levels replay; its JSON document (without
    ``generated_at``) is the reference every level is compared with."""
    run("record", csv, cache, out)
    return _document(out / f"{csv.stem}.json")


def measure_level(level: str, csv: Path, cache: Path, out: Path, reference: dict[str, Any]) -> dict[str, Any]:
    """One run of ``level``; stops (SystemExit) when its JSON is not the reference document."""
    result = run(level, csv, cache, out)
    if STEPS.get(level) != "write" and _document(out / f"{csv.stem}.json") != reference:
        raise SystemExit(f"{level}: the JSON differs from the full run's: a replaced step does not stand "
                         "for the step it replaces")
    return result


def table(label: str, runs: dict[str, list[dict[str, Any]]]) -> str:
    """Medians of every level beside the floor's, as a Markdown table."""
    floor = {k: statistics.median(r[k] for r in runs["floor"]) for k in ("wall", "cpu")}
    lines = [f"| {label} | wall s | CPU s | × floor (wall) | × floor (CPU) |", "|---|---:|---:|---:|---:|",
             f"| floor | {floor['wall']:.2f} | {floor['cpu']:.2f} | 1.0 | 1.0 |"]
    for level in LEVELS:
        w = statistics.median(r["wall"] for r in runs[level])
        c = statistics.median(r["cpu"] for r in runs[level])
        lines.append(f"| {level} | {w:.2f} | {c:.2f} | {w / floor['wall']:.1f} | {c / floor['cpu']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1e6", help="1e4, 1e5, 1e6 or FxP (see bench_pipeline.py)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per level (medians are reported)")
    ap.add_argument("--child", nargs=4, metavar=("LEVEL", "CSV", "CACHE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        level, csv, cache, out = args.child
        if level == "floor":
            res = child_floor(Path(csv))
            print(json.dumps({"wall": res["wall"]["floor"], "cpu": res["cpu"]["floor"]}))
        else:
            print(json.dumps(child(level, Path(csv), Path(cache), Path(out))))
        return

    label, n_features, n_parts = parse_size(args.size)
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="pilotqa-bound-") as tmp:
        work = Path(tmp)
        csv = work / f"bench_{label}.csv"
        generate_in_child(csv, n_features, n_parts)
        cache = work / "recorded.pickle"
        reference = record(csv, cache, work / "record")
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in ("floor", *LEVELS)}
        for _ in range(args.repeat):  # levels interleaved, so a change in the machine's speed hits all
            runs["floor"].append(run("floor", csv, cache, work / "floor"))
            for level in LEVELS:
                out = work / level.replace(" ", "_").replace("+", "")
                runs[level].append(measure_level(level, csv, cache, out, reference))
    print(f"{n_features} characteristics × {n_parts} parts; median of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(table(label, runs))
    print("JSON of every level that writes one: equal to the full run's (but for generated_at)")

if __name__ == "__main__":
    main()
