"""CPU and wall seconds of the normality+fits stage alone, old code against new, interleaved (issue 16).

Records, once per size, the inputs :func:`pilotqa.stats.compute` passes to ``normality_all``,
``lean_prefits`` and ``capability_model`` (one run of ``compute`` on the seeded export of
:mod:`benchmarks.bench_fits`, cached as a pickle under ``benchmarks/out/``), then replays only those
calls. ``--baseline REV`` loads ``pilotqa/stats/distributions.py`` of git revision ``REV`` as a
second module and alternates the two versions run by run (same process, same conditions), and
checks that both give the same results (``repr`` of every document, so floats compare bit for bit).

Usage::

    .venv/bin/python benchmarks/bench_fits_stage.py --size 1e6 --repeat 5 --baseline HEAD
"""
from __future__ import annotations

import argparse
import importlib.util
import pickle
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT = ROOT / "benchmarks" / "out"


def _record(size: str) -> dict[str, Any]:
    cache = OUT / f"bench_fits_stage-{size}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    import bench_fits
    import pilotqa.stats as ps
    from pilotqa.settings import Settings

    insp = bench_fits._inspection(size)
    rec: dict[str, Any] = {"normality_all": [], "lean_prefits": [], "capability_model": []}
    saved = {name: getattr(ps, name) for name in rec}

    def spy(name: str) -> Any:
        def call(*a: Any, **k: Any) -> Any:
            rec[name].append((a, k))
            return saved[name](*a, **k)
        return call

    for name in rec:
        setattr(ps, name, spy(name))
    try:
        ps.compute(insp, Settings(lot_size=500))
    finally:
        for name, fn in saved.items():
            setattr(ps, name, fn)
    cache.write_bytes(pickle.dumps(rec))
    return rec


def _load(rev: str) -> types.ModuleType:
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:pilotqa/stats/distributions.py"],
                         check=True, capture_output=True, text=True).stdout
    mod = types.ModuleType(f"distributions_{rev}")
    mod.__file__ = f"<{rev}>/distributions.py"
    sys.modules[mod.__name__] = mod
    exec(compile(src, mod.__file__, "exec"), mod.__dict__)
    return mod


def _stage(mod: Any, rec: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for a, k in rec["normality_all"]:
        out.append(mod.normality_all(*a, **k))
    for a, k in rec["lean_prefits"]:
        out.append(mod.lean_prefits(*a, **k))
    for a, k in rec["capability_model"]:
        out.append(mod.capability_model(*a, **k))
    return out


def _key(results: list[Any]) -> str:
    return repr(results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1e5")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", help="git revision of distributions.py to alternate with")
    a = ap.parse_args()
    rec = _record(a.size)
    import pilotqa.stats.distributions as new

    mods = {"new": new}
    if a.baseline:
        mods = {"old": _load(a.baseline), "new": new}
    for m in mods.values():  # warm up: scipy.stats, the families' first use
        _stage(m, {k: v[:1] for k, v in rec.items()})
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in mods}
    keys: dict[str, str] = {}
    for _ in range(a.repeat):
        for name, m in mods.items():
            c, w = time.process_time(), time.perf_counter()
            res = _stage(m, rec)
            times[name].append((time.process_time() - c, time.perf_counter() - w))
            keys.setdefault(name, _key(res))
            print(name, f"cpu {times[name][-1][0]:.3f} wall {times[name][-1][1]:.3f}", file=sys.stderr, flush=True)
    for name, ts in times.items():
        print(f"{name}: normality+fits median CPU {statistics.median(t[0] for t in ts):.3f} s, "
              f"wall {statistics.median(t[1] for t in ts):.3f} s "
              f"(CPU {', '.join(f'{t[0]:.2f}' for t in ts)}; wall {', '.join(f'{t[1]:.2f}' for t in ts)})")
    if len(keys) == 2:
        print("results identical (repr of every document):", keys["old"] == keys["new"])


if __name__ == "__main__":
    main()
