"""CPU seconds of the lot-to-lot and stream statistics (issue 16): ``lots_all`` and
``streams_all`` on the seeded exports of :mod:`benchmarks.bench_pipeline`.

The export is generated with :func:`bench_pipeline.generate` (3 lots, about 20 % of the
characteristics with a planted lot shift or drift, so the Tukey pairs are computed for them) and
read with :func:`pilotqa.read.read`. For the stream analysis two stream columns are added to the
measurements: ``fixture`` (two fixtures, alternating parts; F2 offset by 1 σ on every 10th
characteristic) and ``nest`` (four nests, so Tukey pairs are computed for every characteristic).
Each function is timed in this process (CPU seconds, ``time.process_time``), median of
``--repeat`` runs; the import time of ``pilotqa.analysis`` is measured in fresh interpreters.

Usage::

    .venv/bin/python benchmarks/bench_lots.py --sizes 1e4,1e5
    .venv/bin/python benchmarks/bench_lots.py --sizes 1e6 --repeat 3 --no-streams
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pipeline import generate, parse_size  # noqa: E402


def _cpu(fn, *args, repeat: int):  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn(*args)
        times.append(time.process_time() - t0)
    return statistics.median(times), times


def import_cpu(repeat: int) -> float:
    """Median CPU seconds of ``import pilotqa.analysis`` in a fresh interpreter."""
    code = "import time; t = time.process_time(); import pilotqa.analysis; print(time.process_time() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 cwd=ROOT).stdout) for _ in range(repeat)]
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e4,1e5")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-import", action="store_true", help="skip the import timing")
    ap.add_argument("--no-streams", action="store_true", help="time lots_all only")
    args = ap.parse_args()
    if not args.no_import:
        print(f"import pilotqa.analysis: {import_cpu(args.repeat):.3f} s CPU (median of {args.repeat})", flush=True)
    import numpy as np
    import polars as pl

    from pilotqa.read import read
    from pilotqa.settings import Settings
    from pilotqa.stats.factors import streams_all
    from pilotqa.stats.lots import lots_all

    settings = Settings()
    for size in args.sizes.split(","):
        name, n_feat, n_parts = parse_size(size)
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / f"bench_{name}.csv"
            generate(csv, n_feat, n_parts)
            insp = read([csv])
        meas = insp.measurements.filter(pl.col("value").is_not_null())
        specs = insp.specs
        seq = meas["sequence"].to_numpy()
        feat_idx = meas["feature"].str.extract(r"(\d+)$").cast(pl.Int64).to_numpy()
        sd = meas.group_by("feature").agg(pl.col("value").std().alias("_sd"))
        meas_s = meas.join(sd, on="feature", how="left").with_columns(
            pl.Series("fixture", np.where(seq % 2 == 0, "F1", "F2")),
            pl.Series("nest", np.char.add("N", (seq % 4 + 1).astype(str))),
        ).with_columns(
            value=pl.col("value") + pl.when((pl.col("fixture") == "F2") & pl.Series(feat_idx % 10 == 0))
            .then(pl.col("_sd")).otherwise(0.0)
        ).drop("_sd")
        med, runs = _cpu(lots_all, meas, specs, settings, repeat=args.repeat)
        res = lots_all(meas, specs, settings)
        n_tukey = sum(1 for r in res.values() if r and r["tukey"])
        print(f"{name} ({n_feat} x {n_parts}, {meas.height} readings): lots_all {med:.3f} s CPU "
              f"(runs {', '.join(f'{t:.3f}' for t in runs)}; {n_tukey} features with Tukey pairs)", flush=True)
        if args.no_streams:
            continue
        med, runs = _cpu(streams_all, meas_s, specs, settings, ("fixture", "nest"), repeat=args.repeat)
        print(f"{name}: streams_all (fixture, nest) {med:.3f} s CPU (runs {', '.join(f'{t:.3f}' for t in runs)})",
              flush=True)


if __name__ == "__main__":
    main()
