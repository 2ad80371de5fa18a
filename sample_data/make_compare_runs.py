"""Seeded before/after pilot runs of the same part for ``pilotqa compare`` (outputs in compare/).

Uses the sample generator (``generate.py``: part HSG-4711 rev. C, 12 characteristics, three
lots of 50 + 45 + 55 parts, the same planted tool wear, lot shift, skewed and out-of-tolerance
characteristics) twice:

* ``compare/housing_pilot_before.csv`` — the first pilot run: ``generate.simulate`` with the
  generator's seed (4711), i.e. the same readings as ``housing_pilot_long.csv``.
* ``compare/housing_pilot_after.csv`` — a second pilot run five weeks later (lots L04–L06, parts
  SN0151–SN0300) drawn with seed 4712 from the **same** processes, except one planted
  improvement: **BORE_B_DIA** (major, ±0.015 mm, σ 0.0045 mm, kept at 100 % before) was
  re-machined after a spindle overhaul with σ reduced by 40 % (to 0.0027 mm) about the same mean.
  Implemented by shrinking that characteristic's simulated deviations from the process mean by
  0.6 before rounding to the gauge step. Every other characteristic is unchanged, so
  ``pilotqa compare`` should call BORE_B_DIA improved (verdict keep 100 % → a plan) and report no
  change for the other eleven.

Run: ``python sample_data/make_compare_runs.py`` (writes both files; deterministic).
"""
from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "compare"
AFTER_SEED_OFFSET = 1
IMPROVED = "BORE_B_DIA"
IMPROVED_MEAN = 30.0010  # the process mean generate.py draws BORE_B_DIA about
SIGMA_FACTOR = 0.6        # σ after / σ before for the improved characteristic
AFTER_LOTS = {"L01": "L04", "L02": "L05", "L03": "L06"}
AFTER_WEEKS = 5


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pilotqa_sample_generate", HERE / "generate.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def before_run(gen: ModuleType) -> tuple[list[dict[str, object]], dict[str, np.ndarray]]:
    """The first pilot run, exactly as generate.py draws it."""
    parts, v = gen.simulate(np.random.default_rng(gen.SEED))[:2]
    return parts, v


def after_run(gen: ModuleType) -> tuple[list[dict[str, object]], dict[str, np.ndarray]]:
    """The second pilot run: same processes, new draw, BORE_B_DIA with 40 % less spread."""
    parts, v = gen.simulate(np.random.default_rng(gen.SEED + AFTER_SEED_OFFSET))[:2]
    n = len(parts)
    for p in parts:
        seq = int(p["sequence"]) + n  # type: ignore[call-overload]
        p["part_id"] = f"SN{seq:04d}"
        p["sequence"] = seq
        p["lot"] = AFTER_LOTS[str(p["lot"])]
        p["timestamp"] = p["timestamp"] + timedelta(weeks=AFTER_WEEKS)  # type: ignore[operator]
    dec = next(f[-1] for f in gen.FEATURES if f[0] == IMPROVED)
    v[IMPROVED] = np.round(IMPROVED_MEAN + SIGMA_FACTOR * (v[IMPROVED] - IMPROVED_MEAN), dec)
    return parts, v


def main() -> None:
    gen = _generator()
    OUT.mkdir(exist_ok=True)
    gen.write_long_csv(OUT / "housing_pilot_before.csv", *before_run(gen))
    gen.write_long_csv(OUT / "housing_pilot_after.csv", *after_run(gen))


if __name__ == "__main__":
    main()
