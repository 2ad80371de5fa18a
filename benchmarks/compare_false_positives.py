"""How often ``pilotqa compare`` calls an unchanged characteristic changed, and how often it finds
a planted σ reduction (run by hand; a few seconds per 100 pairs).

Each replicate draws two independent pilot runs of the sample part from the same processes
(``sample_data/generate.py``: 12 characteristics, 150 parts, with its tool wear, lot shift,
skewed and bounded characteristics) and compares them with the statistics and the decision rule
of :mod:`pilotqa.compare` (the analyses, which only supply the verdicts, are skipped for speed).
With ``--sigma-factor F`` the second run's BORE_B_DIA deviations from its mean are multiplied by
F (the planted improvement of ``sample_data/make_compare_runs.py`` is F = 0.6).

    .venv/bin/python benchmarks/compare_false_positives.py --reps 400
    .venv/bin/python benchmarks/compare_false_positives.py --reps 400 --sigma-factor 0.6

Measured (400 pairs each, 2026-11-30):

* no change planted: raw per-test rejection at 0.05 — mean 0.036, spread 0.032 (the lot shift,
  drift and skew make the tests slightly conservative here); comparisons with at least one
  characteristic raw-significant: 56 %; with Holm's adjustment (what ``change`` uses): 3.7 % of
  comparisons report one false change (never two); the Ppk-difference interval excludes 0 for
  5.4 % of unchanged characteristics (95 % nominal).
* BORE_B_DIA σ × 0.6: found (``improved``) in 99.0 % of comparisons; false changes among the other
  eleven 3.3 %. σ × 0.8: found in 26.5 %.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pilotqa.compare.core import decide_changes, feature_entry  # noqa: E402
from pilotqa.compare.stats import compare_samples  # noqa: E402

PLANTED = "BORE_B_DIA"
PLANTED_MEAN = 30.0010


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sample_generate", ROOT / "sample_data" / "generate.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--sigma-factor", type=float, default=1.0)
    ap.add_argument("--alpha", type=float, default=0.05)
    args = ap.parse_args()
    g = _generator()
    specs = {f[0]: {"feature": f[0], "nominal": f[1], "lsl": f[2], "usl": f[3], "unit": f[4],
                    "class": f[5]} for f in g.FEATURES}
    planted = args.sigma_factor != 1.0
    unchanged = [f[0] for f in g.FEATURES if not (planted and f[0] == PLANTED)]
    raw_mean = raw_sigma = any_raw = any_false = ppk_excl = found = 0
    false_counts: list[int] = []
    for r in range(args.reps):
        _, vb = g.simulate(np.random.default_rng(100_000 + r))[:2]
        _, va = g.simulate(np.random.default_rng(200_000 + r))[:2]
        if planted:
            va[PLANTED] = np.round(PLANTED_MEAN + args.sigma_factor * (va[PLANTED] - PLANTED_MEAN), 4)
        entries = []
        for name, s in specs.items():
            c = compare_samples(vb[name], va[name], lsl_before=s["lsl"], usl_before=s["usl"],
                                lsl_after=s["lsl"], usl_after=s["usl"])
            entries.append(feature_entry(name, s, s, c))
        by = {e.feature: e for e in decide_changes(entries, specs, args.alpha)}
        un = [by[n] for n in unchanged]
        raw_mean += sum(e.mean_p is not None and e.mean_p < args.alpha for e in un)
        raw_sigma += sum(e.sigma_p is not None and e.sigma_p < args.alpha for e in un)
        any_raw += any((e.mean_p or 1.0) < args.alpha or (e.sigma_p or 1.0) < args.alpha for e in un)
        false = sum(e.change != "no_change" for e in un)
        false_counts.append(false)
        any_false += false > 0
        ppk_excl += sum(e.ppk_diff_ci is not None and (e.ppk_diff_ci[0] > 0 or e.ppk_diff_ci[1] < 0)
                        for e in un)
        found += planted and by[PLANTED].change == "improved"
    n, k = args.reps, len(unchanged)
    print(f"{n} pairs, {k} unchanged characteristics each, alpha {args.alpha}")
    print(f"raw per-test rejection: mean {raw_mean / (n * k):.3f}, spread {raw_sigma / (n * k):.3f}")
    print(f"comparisons with >= 1 raw-significant unchanged characteristic: {any_raw / n:.3f}")
    print(f"Holm (the change rule): comparisons with >= 1 false change {any_false / n:.3f}, "
          f"false changes per comparison {np.mean(false_counts):.3f} (max {max(false_counts)})")
    print(f"Ppk-difference interval excludes 0 for an unchanged characteristic: {ppk_excl / (n * k):.3f}")
    if planted:
        print(f"{PLANTED} with sigma x {args.sigma_factor}: called improved in {found / n:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
