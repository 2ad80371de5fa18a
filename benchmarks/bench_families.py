"""CPU time of the closed-form statistics families and of decide, in one process (issue 16).

Reads one long CSV export (``bench_pipeline.generate``'s, seeded; or ``--csv FILE``) once, then
times, each ``--repeat`` times in the same process (median CPU seconds, ``time.process_time``):

* ``capability`` — :func:`pilotqa.stats.capability_all`;
* ``resolution`` — :func:`pilotqa.stats.resolution_all`;
* ``stability`` — :func:`pilotqa.stats.stability.stability_all`;
* ``drift`` — :func:`pilotqa.stats.drift.drift_all`;
* ``lots`` — :func:`pilotqa.stats.lots.lots_all` (lot-to-lot tests and Tukey pairs);
* ``decide`` — :func:`pilotqa.decide.verdict.decide` plus ``readiness`` on the computed
  statistics (``--decide``; needs one full :func:`pilotqa.stats.compute` first).

``--dump FILE`` writes every family's output (frames as row dicts, dicts as they are, floats as
``repr``) to a pickle; ``--compare FILE`` compares the current outputs with such a dump and
prints the largest relative difference per family (0 = bit for bit) — the check that a faster
implementation gives the same numbers. ``--profile FAMILY`` prints the cProfile of one call.

Usage::

    .venv/bin/python benchmarks/bench_families.py --size 1e5 --repeat 3
    .venv/bin/python benchmarks/bench_families.py --size 1e5 --dump /tmp/before.pkl
    .venv/bin/python benchmarks/bench_families.py --size 1e5 --compare /tmp/before.pkl
    .venv/bin/python benchmarks/bench_families.py --size 1e5 --profile stability
"""
from __future__ import annotations

import argparse
import cProfile
import math
import pickle
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

FAMILIES = ("capability", "resolution", "stability", "drift", "lots")


def _plain(x: Any) -> Any:
    """A comparable plain-Python copy: frames → list of row dicts, arrays → lists."""
    import numpy as np
    import polars as pl

    if isinstance(x, pl.DataFrame):
        return [_plain(r) for r in x.iter_rows(named=True)]
    if isinstance(x, np.ndarray):
        return [_plain(v) for v in x.tolist()]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def _diff(a: Any, b: Any, path: str, worst: list[Any]) -> None:
    """Largest relative difference of numbers; structural differences recorded as inf."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            worst.append((math.inf, f"{path}: keys {sorted(set(a) ^ set(b))}"))
        for k in set(a) & set(b):
            _diff(a[k], b[k], f"{path}.{k}", worst)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            worst.append((math.inf, f"{path}: length {len(a)} != {len(b)}"))
        for i, (u, v) in enumerate(zip(a, b)):
            _diff(u, v, f"{path}[{i}]", worst)
    elif isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b) or a == b:
            return
        rel = abs(a - b) / max(abs(a), abs(b), 1e-300)
        worst.append((rel, f"{path}: {a!r} != {b!r}"))
    elif type(a) is not type(b) or a != b:
        worst.append((math.inf, f"{path}: {a!r} != {b!r}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1e5", help="1e4, 1e5, 1e6, sample or FxP (bench_pipeline's sizes)")
    ap.add_argument("--csv", type=Path, help="use this long CSV instead of generating one")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--decide", action="store_true", help="also time decide + readiness")
    ap.add_argument("--dump", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--profile", help="cProfile one call of this family")
    a = ap.parse_args()

    import bench_pipeline as bp

    t0 = time.process_time()
    import pilotqa.stats as pstats_mod
    from pilotqa.read import ReadOptions, read
    from pilotqa.settings import Settings
    from pilotqa.stats.drift import drift_all
    from pilotqa.stats.lots import lots_all
    from pilotqa.stats.stability import stability_all
    print(f"imports {time.process_time() - t0:.2f} s CPU", file=sys.stderr)

    csv = a.csv
    tmp = None
    if csv is None:
        label, nf, np_ = bp.parse_size(a.size)
        tmp = tempfile.TemporaryDirectory(prefix="bench-families-")
        csv = Path(tmp.name) / f"long_{nf}x{np_}.csv"
        bp.generate(csv, nf, np_)
    insp = read([csv], ReadOptions())
    settings = Settings(lot_size=500)
    meas_all, specs = insp.measurements, insp.specs
    import polars as pl

    meas = meas_all.filter(pl.col("value").is_not_null())
    cap = pstats_mod.capability_all(meas_all, specs, settings)
    sigma_map = dict(zip(cap["feature"].to_list(), cap["sigma_within"].to_list()))
    calls: dict[str, Callable[[], Any]] = {
        "capability": lambda: pstats_mod.capability_all(meas_all, specs, settings),
        "resolution": lambda: pstats_mod.resolution_all(meas, specs),
        "stability": lambda: stability_all(meas, settings),
        "drift": lambda: drift_all(meas, specs, sigma_map, settings),
        "lots": lambda: lots_all(meas, specs, settings),
    }
    fams = [f for f in a.families.split(",") if f]
    if a.decide:
        from pilotqa.decide.policy import load_policy
        from pilotqa.decide.readiness import readiness
        from pilotqa.decide.verdict import decide
        from pilotqa.results import FeatureResult

        stats = pstats_mod.compute(insp, settings)
        policy = load_policy(None)

        def run_decide() -> Any:
            summary = decide(stats, insp, settings, policy, None)
            feats = tuple(FeatureResult(stats=s, decision=d) for s, d in zip(stats, summary.decisions))
            return {"decisions": [repr(d) for d in summary.decisions], "plan": repr(summary.inspection_plan),
                    "overall": summary.overall, "readiness": repr(readiness(feats))}

        calls["decide"] = run_decide
        fams.append("decide")

    if a.profile:
        prof = cProfile.Profile()
        prof.enable()
        calls[a.profile]()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        return

    outputs: dict[str, Any] = {}
    print(f"| family | CPU s, median of {a.repeat} (runs) |\n|---|---|")
    for f in fams:
        times = []
        for _ in range(a.repeat):
            t = time.process_time()
            out = calls[f]()
            times.append(time.process_time() - t)
        outputs[f] = _plain(out)
        print(f"| {f} | {statistics.median(times):.3f} ({', '.join(f'{x:.3f}' for x in times)}) |", flush=True)
    if a.dump:
        a.dump.write_bytes(pickle.dumps(outputs))
        print(f"dumped to {a.dump}", file=sys.stderr)
    if a.compare:
        before = pickle.loads(a.compare.read_bytes())
        for f in fams:
            if f not in before:
                continue
            worst: list[Any] = []
            _diff(before[f], outputs[f], f, worst)
            worst.sort(key=lambda t: -t[0])
            top = worst[0] if worst else (0.0, "identical")
            print(f"{f}: {len(worst)} difference(s); largest relative {top[0]:.3g} ({top[1][:200]})")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
