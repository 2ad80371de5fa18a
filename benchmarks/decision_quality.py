"""Decision quality of the default policy, measured by simulation (issue 4 §6).

For each true Ppk in {0.8, 1.0, 1.33, 1.67, 2.0} and pilot size n in {30, 50, 125} this script
simulates ``runs`` pilot runs of a stable, centred, normally distributed process (tolerance
10 ± 1, σ = 1 / (3·Ppk), readings rounded to a 0.001 gauge step, three equal lots without a lot
effect, no drift), sends every run through the REAL pipeline — :func:`pilotqa.stats.compute` and
:func:`pilotqa.decide.decide` with the built-in policy — once as a *critical* and once as a
*major* characteristic, and counts how often the characteristic is released from 100 %
inspection (any verdict other than ``keep_100``).

All runs of one (Ppk, n) cell are one :class:`~pilotqa.model.Inspection` with one feature per
run, so the statistics engine computes them in one pass.

Usage::

    python benchmarks/decision_quality.py [--runs 400] [--seed 20240501] [--out docs/decision-quality.md]

Without ``--out`` the table is printed only.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

__all__ = ["PPKS", "NS", "simulate_cell", "release_rates", "markdown_table", "main"]

PPKS: tuple[float, ...] = (0.8, 1.0, 1.33, 1.67, 2.0)
NS: tuple[int, ...] = (30, 50, 125)
LSL, USL, NOMINAL, STEP = 9.0, 11.0, 10.0, 0.001
LOTS = 3


def build_inspection(true_ppk: float, n: int, runs: int, rng: np.random.Generator) -> Any:
    """One Inspection: ``runs`` features (one per simulated pilot) × ``n`` parts in 3 lots."""
    from pilotqa.model import Inspection

    sigma = (USL - LSL) / 2.0 / (3.0 * true_ppk)
    values = np.round(rng.normal(NOMINAL, sigma, size=(runs, n)) / STEP) * STEP
    lot_of_part = np.array([f"L{1 + (i * LOTS) // n}" for i in range(n)])
    feats = [f"RUN{r:04d}" for r in range(runs)]
    meas = pl.DataFrame({
        "part_id": np.tile(np.array([f"P{i:04d}" for i in range(n)]), runs),
        "lot": np.tile(lot_of_part, runs),
        "subgroup": pl.Series([None] * (runs * n), dtype=pl.Int64),
        "sequence": np.tile(np.arange(n, dtype=np.int64), runs),
        "timestamp": pl.Series([None] * (runs * n), dtype=pl.Datetime("us")),
        "feature": np.repeat(np.array(feats), n),
        "value": values.ravel(),
    })
    specs = pl.DataFrame({
        "feature": feats, "nominal": [NOMINAL] * runs, "lsl": [LSL] * runs, "usl": [USL] * runs,
        "unit": ["mm"] * runs, "class": ["major"] * runs, "lower_bound_zero": [False] * runs,
        "source": ["simulation"] * runs,
    })
    return Inspection(measurements=meas, specs=specs, layout="long")


def simulate_cell(true_ppk: float, n: int, runs: int, seed: int, lot_size: int = 500) -> dict[str, Any]:
    """Release counts of one (Ppk, n) cell for a critical and a major characteristic.

    Returns ``{"ppk", "n", "runs", "critical": k, "major": k, "verdicts": {...}, "seconds"}``
    where k is the number of runs released from 100 % inspection.
    """
    from pilotqa.decide import decide
    from pilotqa.decide.policy import Policy
    from pilotqa.settings import Settings
    from pilotqa.stats import compute

    rng = np.random.default_rng([seed, int(round(true_ppk * 100)), n])
    insp = build_inspection(true_ppk, n, runs, rng)
    settings = Settings(lot_size=lot_size)
    t0 = time.perf_counter()
    features = compute(insp, settings)
    out: dict[str, Any] = {"ppk": true_ppk, "n": n, "runs": runs, "verdicts": {}}
    for cls in ("critical", "major"):
        for fr in features:
            fr.doc["class"] = cls
        decide(features, insp, settings, Policy())
        verdicts = [fr.doc["decision"]["verdict"] for fr in features]
        out[cls] = sum(v != "keep_100" for v in verdicts)
        out["verdicts"][cls] = {v: verdicts.count(v) for v in sorted(set(verdicts))}
    out["seconds"] = time.perf_counter() - t0
    return out


def clopper_pearson_upper(k: int, n: int, conf: float = 0.95) -> float:
    """One-sided upper Clopper–Pearson bound of a binomial proportion (beta quantile)."""
    from scipy.stats import beta

    return 1.0 if k >= n else float(beta.ppf(conf, k + 1, n - k))


def release_rates(runs: int = 400, seed: int = 20240501, ppks: tuple[float, ...] = PPKS,
                  ns: tuple[int, ...] = NS, progress: bool = False) -> list[dict[str, Any]]:
    """Simulate every cell; see :func:`simulate_cell`."""
    rows = []
    for ppk in ppks:
        for n in ns:
            cell = simulate_cell(ppk, n, runs, seed)
            rows.append(cell)
            if progress:
                print(f"Ppk {ppk:4.2f} n {n:3d}: critical {cell['critical']:3d}/{runs}, major "
                      f"{cell['major']:3d}/{runs} ({cell['seconds']:.1f} s)", file=sys.stderr)
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """P(release) per cell as a Markdown table (percent, with the 95 % upper bound when 0)."""
    ns = sorted({r["n"] for r in rows})
    ppks = sorted({r["ppk"] for r in rows})
    head = "| true Ppk | " + " | ".join(f"critical, n = {n}" for n in ns) + " | " + \
        " | ".join(f"major, n = {n}" for n in ns) + " |"
    sep = "|---|" + "---|" * (2 * len(ns))
    lines = [head, sep]
    for p in ppks:
        cells = []
        for cls in ("critical", "major"):
            for n in ns:
                r = next(x for x in rows if x["ppk"] == p and x["n"] == n)
                k, m = r[cls], r["runs"]
                cells.append(f"{100 * k / m:.1f} %" if k else f"0 % (≤ {100 * clopper_pearson_upper(0, m):.1f} %)")
        lines.append(f"| {p:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict_table(rows: list[dict[str, Any]]) -> str:
    """How the released runs split into verdicts (major characteristic)."""
    lines = ["| true Ppk | n | major: verdict counts | critical: verdict counts |", "|---|---|---|---|"]
    for r in rows:
        fmt = lambda d: ", ".join(f"{k} {v}" for k, v in d.items())  # noqa: E731
        lines.append(f"| {r['ppk']:g} | {r['n']} | {fmt(r['verdicts']['major'])} | {fmt(r['verdicts']['critical'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown report here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = release_rates(args.runs, args.seed, progress=True)
    table = markdown_table(rows)
    print(table)
    print(verdict_table(rows))
    print(f"total {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.out is not None:
        from pilotqa.decide.policy import Policy

        pol = Policy()
        text = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        begin, end = "<!-- BEGIN decision-quality table -->", "<!-- END decision-quality table -->"
        block = (f"{begin}\n{table}\n\nVerdicts behind the counts:\n\n{verdict_table(rows)}\n\n"
                 f"_{args.runs} runs per cell, seed {args.seed}, policy: critical ≥ "
                 f"{pol.critical.min_lower_bound}, major ≥ {pol.major.min_lower_bound} (lower 95 % "
                 f"bound), generated by `python benchmarks/decision_quality.py --out {args.out}`._\n{end}")
        if begin in text and end in text:
            text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
        else:
            text = text + "\n" + block + "\n"
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
