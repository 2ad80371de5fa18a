"""Does the non-normal path invent tails? Verdict changes on normal data, and the lognormal study.

1. **Normal data** (``--study normal``): stable, centred normal pilots (tolerance 10 ± 1, true Ppk
   1.0, 1.33, 1.67, 2.0; n = 30, 50, 125; three lots; readings to 0.001) go through the real
   pipeline twice — as pilotqa runs, and with the capability model forced to the normal one
   (``pilotqa.stats.capability_model`` replaced for that pass) — and are decided as major and as
   critical characteristics. Counted: pilots decided on a fitted non-normal model, and pilots
   whose verdict differs between the two passes (the non-normal path changed the decision).
2. **Lognormal study** (``--study lognormal``): the position-like characteristic of
   ``decision_quality.py --family lognormal`` (bounded at zero, upper limit only, shape 0.5),
   major class; the share released from 100 % inspection (any verdict but keep_100) with the
   policy's default AIC window (2) and wider windows — at true Ppk = requirement this is the
   consumer's risk (goal ≤ 5 %).

Usage::

    python benchmarks/nonnormal_path.py --study normal --runs 400 [--out docs/decision-quality.md]
    python benchmarks/nonnormal_path.py --study lognormal --runs 200 [--out docs/decision-quality.md]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from decision_quality import _replace_block, build_inspection, clopper_pearson_upper  # noqa: E402

PPKS = (1.0, 1.33, 1.67, 2.0)
NS = (30, 50, 125)
LN_PPKS = (1.0, 1.33, 1.67, 2.0)
LN_NS = (50, 125)
#: requirements.non_normal_aic_window values compared (2 = the policy default).
LN_WINDOWS = (2.0, 4.0, 6.0, 10.0)


def _normal_only(values: Any, lsl: Any, usl: Any, lower_bound_zero: bool, normal_doc: Any,
                 normal_indices: Any, *args: Any, **kwargs: Any) -> Any:
    """capability_model that always keeps the normal model (the comparison pass)."""
    from pilotqa.stats import distributions as D

    return D.capability_model(values, lsl, usl, False, {**normal_doc, "normal": True}, normal_indices,
                              *args, **kwargs)


def normal_cell(true_ppk: float, n: int, runs: int, seed: int) -> dict[str, Any]:
    import pilotqa.stats as S
    from pilotqa.decide import decide
    from pilotqa.decide.policy import Policy
    from pilotqa.settings import Settings

    rng = np.random.default_rng([seed, int(round(true_ppk * 100)), n, 11])
    insp = build_inspection(true_ppk, n, runs, rng, "normal")
    settings = Settings(lot_size=500)
    t0 = time.perf_counter()
    real = S.compute(insp, settings)
    orig = S.capability_model
    try:
        S.capability_model = _normal_only  # type: ignore[assignment]
        forced = S.compute(insp, settings)
    finally:
        S.capability_model = orig  # type: ignore[assignment]
    out: dict[str, Any] = {"ppk": true_ppk, "n": n, "runs": runs,
                           "percentile": sum(1 for fs in real if fs.capability_model is not None
                                             and fs.capability_model.decision_basis == "percentile")}
    for cls in ("major", "critical"):
        crit = tuple(fs.feature for fs in real) if cls == "critical" else ()
        st = Settings(lot_size=500, critical=crit)
        a = decide(real, insp, st, Policy()).decisions
        b = decide(forced, insp, st, Policy()).decisions
        out[f"changed_{cls}"] = sum(x.verdict != y.verdict for x, y in zip(a, b))
        out[f"released_{cls}"] = sum(x.verdict != "keep_100" for x in a)
    out["seconds"] = time.perf_counter() - t0
    return out


def lognormal_cell(true_ppk: float, n: int, runs: int, seed: int) -> dict[str, Any]:
    from dataclasses import replace

    from pilotqa.decide import decide
    from pilotqa.decide.policy import Policy
    from pilotqa.settings import Settings
    from pilotqa.stats import compute

    rng = np.random.default_rng([seed, int(round(true_ppk * 100)), n, 7])
    insp = build_inspection(true_ppk, n, runs, rng, "lognormal")
    settings = Settings(lot_size=500)
    t0 = time.perf_counter()
    feats = compute(insp, settings)
    base = Policy()
    released = {}
    for w in LN_WINDOWS:
        pol = replace(base, requirements=replace(base.requirements, non_normal_aic_window=w))
        released[w] = sum(d.verdict != "keep_100" for d in decide(feats, insp, settings, pol).decisions)
    models: dict[str, int] = {}
    for fs in feats:
        cm = fs.capability_model
        name = "normal" if cm is None or cm.decision_basis != "percentile" else cm.distribution
        models[name] = models.get(name, 0) + 1
    return {"ppk": true_ppk, "n": n, "runs": runs, "released": released, "models": models,
            "seconds": time.perf_counter() - t0}


def _pct(k: int, m: int) -> str:
    return f"{100 * k / m:.1f} %" if k else f"0 % (≤ {100 * clopper_pearson_upper(0, m):.1f} %)"


def normal_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| true Ppk | n | decided on a fitted non-normal model | verdict changed: major | "
             "verdict changed: critical |", "|---|---|---|---|---|"]
    for r in rows:
        m = r["runs"]
        lines.append(f"| {r['ppk']:g} | {r['n']} | {_pct(r['percentile'], m)} | {_pct(r['changed_major'], m)} | "
                     f"{_pct(r['changed_critical'], m)} |")
    return "\n".join(lines)


def lognormal_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| true Ppk | n | " + " | ".join(f"released, ΔAIC ≤ {w:g}" + (" (default)" if w == 2 else "")
                                            for w in LN_WINDOWS) + " | models chosen |",
             "|---|---|" + "---|" * len(LN_WINDOWS) + "---|"]
    for r in rows:
        mods = ", ".join(f"{k} {v}" for k, v in sorted(r["models"].items(), key=lambda t: -t[1]))
        lines.append(f"| {r['ppk']:g} | {r['n']} | " + " | ".join(_pct(r["released"][w], r["runs"]) for w in LN_WINDOWS)
                     + f" | {mods} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--study", choices=["normal", "lognormal"], default="normal")
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--ppk", type=float, nargs="*", default=None)
    ap.add_argument("--n", type=int, nargs="*", default=None)
    args = ap.parse_args(argv)
    rows = []
    if args.study == "normal":
        for ppk in args.ppk or PPKS:
            for n in args.n or NS:
                rows.append(normal_cell(ppk, n, args.runs, args.seed))
                print(rows[-1], file=sys.stderr)
        body = normal_table(rows)
    else:
        for ppk in args.ppk or LN_PPKS:
            for n in args.n or LN_NS:
                rows.append(lognormal_cell(ppk, n, args.runs, args.seed))
                print(rows[-1], file=sys.stderr)
        body = lognormal_table(rows)
    print(body)
    if args.out is not None:
        tag = f"nonnormal-{args.study}"
        _replace_block(args.out, f"<!-- BEGIN {tag} table -->", f"<!-- END {tag} table -->",
                       f"{body}\n\n_{args.runs} runs per cell, seed {args.seed}, generated by `python "
                       f"benchmarks/nonnormal_path.py --study {args.study} --runs {args.runs} --out {args.out}`._")
    return 0


if __name__ == "__main__":
    sys.exit(main())
