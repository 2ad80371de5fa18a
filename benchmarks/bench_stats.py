"""Benchmark of the statistics stage: pilotqa.stats against a naive per-feature pandas/numpy loop.

Builds N features × M parts (individual readings, 3 lots; 90 % normal two-sided features, 10 %
lognormal bounded-at-zero features with an upper limit only), then times

* ``capability``: :func:`pilotqa.stats.capability_all` (all features in one polars pass) against
  a naive loop that filters a pandas frame per feature and computes the same statistics (mean,
  MR̄/1.128, s, Cp/Cpk/Pp/Ppk/Cpm, chi-square and Bissell intervals, expected and observed PPM);
* ``compute``: the whole stage :func:`pilotqa.stats.compute` (capability, normality, fits where
  needed, resolution, stability, drift, lots).

Each measurement runs in a fresh subprocess so its peak resident memory (``ru_maxrss``) is its own.

Usage::

    python benchmarks/bench_stats.py                 # 1,000 features × 1,000 parts
    python benchmarks/bench_stats.py -n 100 -m 200   # smaller
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np


def build(n_features: int, n_parts: int, seed: int = 1) -> Any:
    """Synthetic inspection (see module docstring)."""
    import polars as pl

    from pilotqa.model import Inspection

    rng = np.random.default_rng(seed)
    n_lbz = max(1, n_features // 10)
    vals = rng.normal(10.0, 0.01, (n_features, n_parts))
    vals[:n_lbz] = rng.lognormal(math.log(0.02), 0.4, (n_lbz, n_parts))
    vals = np.round(vals, 4)
    feats = np.repeat([f"F{i:05d}" for i in range(n_features)], n_parts)
    lot = np.tile(np.array([f"L{1 + 3 * j // n_parts}" for j in range(n_parts)]), n_features)
    meas = pl.DataFrame({
        "part_id": np.tile(np.array([f"P{j:06d}" for j in range(n_parts)]), n_features),
        "lot": lot, "subgroup": None, "sequence": np.tile(np.arange(n_parts), n_features),
        "timestamp": None, "feature": feats, "value": vals.ravel(),
    }, schema_overrides={"subgroup": pl.Int64, "timestamp": pl.Datetime("us")})
    names = [f"F{i:05d}" for i in range(n_features)]
    lbz = [i < n_lbz for i in range(n_features)]
    specs = pl.DataFrame({
        "feature": names,
        "nominal": [0.0 if b else 10.0 for b in lbz],
        "lsl": [None if b else 9.95 for b in lbz],
        "usl": [0.1 if b else 10.05 for b in lbz],
        "unit": ["mm"] * n_features, "class": ["major"] * n_features, "lower_bound_zero": lbz,
        "source": ["bench"] * n_features,
    }, schema_overrides={"lsl": pl.Float64})
    return Inspection(measurements=meas, specs=specs, layout="long")


def naive_capability(insp: Any, confidence: float = 0.95) -> list[dict[str, float | None]]:
    """The baseline: per-feature pandas filtering and numpy/scipy arithmetic in a Python loop."""
    from scipy import stats

    import pandas as pd

    # (polars' to_pandas() needs pyarrow, which pilotqa does not depend on: copy column by column)
    m = insp.measurements
    df = pd.DataFrame({"feature": m["feature"].to_list(), "sequence": m["sequence"].to_numpy(),
                       "value": m["value"].to_numpy()})
    specs = pd.DataFrame({c: insp.specs[c].to_list() for c in ("feature", "nominal", "lsl", "usl")})
    alpha = 1 - confidence
    z = stats.norm.ppf(1 - alpha / 2)
    out = []
    for _, sp in specs.iterrows():
        x = df[df["feature"] == sp["feature"]].sort_values("sequence")["value"].dropna().to_numpy()
        n = x.size
        mean, s = x.mean(), x.std(ddof=1)
        sw = np.mean(np.abs(np.diff(x))) / 1.1283792
        lsl = None if sp["lsl"] is None or (isinstance(sp["lsl"], float) and math.isnan(sp["lsl"])) else sp["lsl"]
        usl = sp["usl"]
        r: dict[str, float | None] = {}
        for pre, sig, nu in (("c", sw, n - 1), ("p", s, n - 1)):
            up = (usl - mean) / (3 * sig)
            lo = (mean - lsl) / (3 * sig) if lsl is not None else None
            r[pre + "p"] = (usl - lsl) / (6 * sig) if lsl is not None else None
            r[pre + "pk"] = min(up, lo) if lo is not None else up
            k = r[pre + "pk"]
            h = z * math.sqrt(1 / (9 * n) + k**2 / (2 * nu))
            r[pre + "pk_ci"] = (k - h, k + h)  # type: ignore[assignment]
            if r[pre + "p"] is not None:
                c = r[pre + "p"]
                r[pre + "p_ci"] = (c * math.sqrt(stats.chi2.ppf(alpha / 2, nu) / nu),  # type: ignore[assignment]
                                   c * math.sqrt(stats.chi2.ppf(1 - alpha / 2, nu) / nu))
        t = sp["nominal"]
        r["cpm"] = (min(t - lsl, usl - t) if lsl is not None else usl - t) / (3 * math.sqrt(s**2 + n / (n - 1) * (mean - t) ** 2))
        below = stats.norm.cdf((lsl - mean) / s) if lsl is not None else 0.0
        r["ppm_expected"] = 1e6 * (below + stats.norm.sf((usl - mean) / s))
        r["ppm_observed"] = 1e6 * float(np.mean((x > usl) | ((x < lsl) if lsl is not None else False)))
        out.append(r)
    return out


def _stage(stage: str, n_features: int, n_parts: int) -> dict[str, Any]:
    from pilotqa.settings import Settings
    from pilotqa.stats import capability_all, compute

    insp = build(n_features, n_parts)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    if stage == "naive":
        naive_capability(insp)
    elif stage == "capability":
        capability_all(insp.measurements, insp.specs, Settings())
    else:
        res = compute(insp, Settings())
        fitted = sum(1 for r in res if r.capability_model is not None and r.capability_model.candidates)
    dt = time.perf_counter() - t
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"stage": stage, "seconds": dt, "peak_rss_mb": rss1 / 1024, "rss_before_mb": rss0 / 1024}
    if stage == "compute":
        out["features_fitted"] = fitted
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--features", type=int, default=1000)
    ap.add_argument("-m", "--parts", type=int, default=1000)
    ap.add_argument("--stage", choices=["naive", "capability", "compute"], help=argparse.SUPPRESS)
    ap.add_argument("--skip-compute", action="store_true", help="time capability only")
    a = ap.parse_args()
    if a.stage:
        print(json.dumps(_stage(a.stage, a.features, a.parts)))
        return
    stages = ["naive", "capability"] + ([] if a.skip_compute else ["compute"])
    res = {}
    for s in stages:
        p = subprocess.run([sys.executable, __file__, "--stage", s, "-n", str(a.features), "-m", str(a.parts)],
                           capture_output=True, text=True, check=True)
        res[s] = json.loads(p.stdout.strip().splitlines()[-1])
    print(f"{a.features} features × {a.parts} parts = {a.features * a.parts:,} readings")
    for s, r in res.items():
        extra = f", {r['features_fitted']} features with distribution fits" if "features_fitted" in r else ""
        print(f"  {s:10s} {r['seconds']:8.2f} s   peak RSS {r['peak_rss_mb']:7.0f} MB "
              f"(after building data {r['rss_before_mb']:.0f} MB){extra}")
    print(f"  capability speed-up vs naive loop: {res['naive']['seconds'] / res['capability']['seconds']:.1f}×")
    if "compute" in res:
        print(f"  full stage vs naive capability loop: {res['compute']['seconds'] / res['naive']['seconds']:.2f}× the time")


if __name__ == "__main__":
    main()
