"""CPU seconds of the statistics stage's normality tests, distribution fits and assembly (issue 16).

Generates the seeded long export of :mod:`benchmarks.bench_pipeline` (``--size`` 1e4, 1e5, 1e6 or
FxP), reads it once (the inspection is cached as a pickle under ``benchmarks/out/``, git-ignored),
then runs :func:`pilotqa.stats.compute` ``--repeat`` times in this process and reports, per run,
the CPU seconds (``time.process_time``) of

* ``normality+fits`` — :func:`pilotqa.stats.normality`, :func:`pilotqa.stats.capability_model`
  and the batched tests and fits ``normality_all`` and ``lean_prefits`` (wrapped from the outside, as ``bench_pipeline`` does),
* ``stats rest`` — ``compute`` minus every family ``bench_pipeline`` times separately,
* ``compute`` — the whole stage.

``--dump PATH`` writes the typed results of the last run as the analysis JSON's feature objects
(:func:`pilotqa.report.json.to_json`) so two versions of the code can be compared number by
number (``--compare OLD NEW`` prints the largest relative difference and where it is).
``--profile`` prints the top of a cProfile of one run.

Usage::

    .venv/bin/python benchmarks/bench_fits.py --size 1e5 --repeat 3
    .venv/bin/python benchmarks/bench_fits.py --size 1e5 --dump /tmp/new.json
    .venv/bin/python benchmarks/bench_fits.py --compare /tmp/old.json /tmp/new.json
"""
from __future__ import annotations

import argparse
import cProfile
import json
import math
import pickle
import pstats as pstats_mod
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT = ROOT / "benchmarks" / "out"

import bench_pipeline  # noqa: E402

#: bench_pipeline's families, with the batched normality tests and fits compute runs before the
#: per-feature assembly (``normality_all``, ``lean_prefits``) counted in ``normality+fits``
FAMILIES: dict[str, tuple[str, ...]] = {
    **bench_pipeline.FAMILIES,
    "normality+fits": tuple(dict.fromkeys(bench_pipeline.FAMILIES["normality+fits"] + ("lean_prefits", "normality_all"))),
}


def _inspection(size: str) -> Any:
    label, nf, np_ = bench_pipeline.parse_size(size)
    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / f"bench_fits-insp-{nf}x{np_}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from pilotqa.read import ReadOptions, read

    csv = OUT / f"bench_fits-{nf}x{np_}.csv"
    bench_pipeline.generate(csv, nf, np_)
    insp = read([csv], ReadOptions())
    csv.unlink()
    cache.write_bytes(pickle.dumps(insp))
    return insp


def _run(insp: Any) -> tuple[dict[str, float], list[Any]]:
    import pilotqa.stats as ps
    from pilotqa.settings import Settings

    cpu: dict[str, float] = {}

    def wrap(family: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            t = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[family] = cpu.get(family, 0.0) + time.process_time() - t
        return timed

    saved = {}
    for family, names in FAMILIES.items():
        for name in names:
            if not hasattr(ps, name):  # an older pilotqa (e.g. without lean_prefits)
                continue
            saved[name] = getattr(ps, name)
            setattr(ps, name, wrap(family, saved[name]))
    try:
        t = time.process_time()
        out = ps.compute(insp, Settings(lot_size=500))
        cpu["compute"] = time.process_time() - t
    finally:
        for name, fn in saved.items():
            setattr(ps, name, fn)
    cpu["stats rest"] = cpu["compute"] - sum(cpu.get(f, 0.0) for f in FAMILIES)
    return cpu, out


def _walk(a: Any, b: Any, where: str, worst: list[Any]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            worst.append((math.inf, where, f"keys {sorted(set(a) ^ set(b))}"))
        for k in a.keys() & b.keys():
            _walk(a[k], b[k], f"{where}.{k}", worst)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            worst.append((math.inf, where, f"length {len(a)} vs {len(b)}"))
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{where}[{i}]", worst)
    elif isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool):
        d = abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0
        if d > 0:
            worst.append((d, where, f"{a!r} vs {b!r}"))
    elif a != b:
        worst.append((math.inf, where, f"{a!r} vs {b!r}"))


def compare(old: Path, new: Path) -> None:
    """Print the largest relative differences between two ``--dump`` files."""
    a = json.loads(old.read_text(encoding="utf-8"))
    b = json.loads(new.read_text(encoding="utf-8"))
    worst: list[Any] = []
    _walk(a, b, "$", worst)
    worst.sort(key=lambda w: -w[0])
    print(f"{len(worst)} differing values; largest:")
    for d, where, what in worst[:15]:
        print(f"  {d:.3g}  {where}: {what}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1e5")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dump", type=Path)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--compare", nargs=2, type=Path)
    a = ap.parse_args()
    if a.compare:
        compare(*a.compare)
        return
    insp = _inspection(a.size)
    import pilotqa.stats  # noqa: F401  (imports outside the timings)

    if a.profile:
        prof = cProfile.Profile()
        prof.enable()
        _run(insp)
        prof.disable()
        pstats_mod.Stats(prof).sort_stats("cumulative").print_stats(45)
        return
    runs = []
    out: list[Any] = []
    for _ in range(a.repeat):
        cpu, out = _run(insp)
        runs.append(cpu)
        print({k: round(v, 3) for k, v in cpu.items() if k in ("normality+fits", "stats rest", "compute")},
              file=sys.stderr, flush=True)
    for key in ("normality+fits", "stats rest", "compute"):
        print(f"{key}: median {statistics.median(r.get(key, 0.0) for r in runs):.3f} s CPU "
              f"({', '.join(f'{r.get(key, 0.0):.3f}' for r in runs)})")
    if a.dump:
        from pilotqa.report.json import to_json

        a.dump.write_text(json.dumps([to_json(fs) for fs in out], allow_nan=True), encoding="utf-8")
        print(f"wrote {a.dump}")


if __name__ == "__main__":
    main()
