"""How often does the "stream effect" check keep a characteristic at 100 %?

Simulated pilots of n = 60 parts on two fixtures (30 each, in random order), normal readings
with σ = T/6, T/8 or T/12 (Cp = 1, 1.33, 2), T = tolerance width; fixture F2 offset by 0, 10 %
or 20 % of T. Each pilot goes through the real implementation
(:func:`pilotqa.stats.factors.streams_all`, the same code as the lot analysis) and the check's
rule: blocked = significant (p < α = 0.05 of the test the Brown–Forsythe test selects) AND range
of the fixture means > ``stream_effect_pct`` = 10 % of T.

Run::

    .venv/bin/python benchmarks/stream_effect_rates.py [--reps 2000] [--seed 1]

The table in docs/decision-quality.md ("Stream effects") was produced with the defaults.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pilotqa.settings import Settings  # noqa: E402
from pilotqa.stats.factors import streams_all  # noqa: E402


def rates(reps: int, n: int, sigma_frac: float, offset_frac: float, seed: int,
          k: int = 2) -> tuple[float, float, float]:
    """(share significant, share relevant, share blocked) over ``reps`` simulated pilots of ``k``
    streams (the last one, F<k>, offset by ``offset_frac`` of the tolerance)."""
    rng = np.random.default_rng(seed)
    tol = 1.0
    fixture = np.array([f"F{i + 1}" for i in range(k)] * (n // k))
    feats, fix, vals = [], [], []
    for r in range(reps):
        f = fixture.copy()
        rng.shuffle(f)
        x = rng.normal(0.0, sigma_frac * tol, n) + np.where(f == f"F{k}", offset_frac * tol, 0.0)
        feats += [f"R{r}"] * n
        fix += list(f)
        vals += list(x)
    m = pl.DataFrame({"feature": feats, "fixture": fix, "value": vals,
                      "sequence": np.tile(np.arange(1, n + 1), reps)})
    specs = pl.DataFrame({"feature": [f"R{r}" for r in range(reps)], "nominal": 0.0, "lsl": -tol / 2,
                          "usl": tol / 2, "lower_bound_zero": False})
    out = streams_all(m, specs, Settings(), ["fixture"])
    sig = rel = blk = 0
    for r in range(reps):
        s = out[f"R{r}"]["fixture"]
        sig += bool(s["significant"])
        rel += bool(s["practically_relevant"])
        blk += bool(s["significant"]) and bool(s["practically_relevant"])
    return sig / reps, rel / reps, blk / reps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print("| σ | offset of F2 | significant | range > 10 % of T | blocked (both) | ±95 % MC |")
    print("|---|---|---|---|---|---|")
    for k, (cp, sf) in enumerate(((1.0, 1 / 6), (1.33, 1 / 8), (2.0, 1 / 12))):
        for j, off in enumerate((0.0, 0.10, 0.20)):
            s, r, b = rates(args.reps, 60, sf, off, args.seed + 10 * k + j)
            mc = 1.96 * math.sqrt(max(b * (1 - b), 1e-12) / args.reps)
            print(f"| T/{round(1 / sf)} (Cp {cp:g}) | {off * 100:.0f} % of T | {s * 100:.1f} % | {r * 100:.1f} % "
                  f"| {b * 100:.1f} % | {mc * 100:.1f} % |")
    print()
    print("| streams (n = 60) | σ | offset | significant | range > 10 % of T | blocked (both) | ±95 % MC |")
    print("|---|---|---|---|---|---|---|")
    for k, (cp, sf) in ((3, (1.0, 1 / 6)), (3, (1.33, 1 / 8)), (4, (1.0, 1 / 6)), (4, (1.33, 1 / 8))):
        s, r, b = rates(args.reps, 60, sf, 0.0, args.seed + 100 + k, k=k)
        mc = 1.96 * math.sqrt(max(b * (1 - b), 1e-12) / args.reps)
        print(f"| {k} | T/{round(1 / sf)} (Cp {cp:g}) | none | {s * 100:.1f} % | {r * 100:.1f} % | {b * 100:.1f} % "
              f"| {mc * 100:.1f} % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
