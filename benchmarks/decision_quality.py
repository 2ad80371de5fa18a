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

import dataclasses

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


#: Non-normal case (``--family lognormal``): a position-like characteristic bounded at zero,
#: upper limit only, lognormal with shape s (so percentile Ppk = (USL − m)/(m·e^(3s) − m) for
#: median m), readings rounded to a 0.0001 mm step.
LN_SHAPE, LN_USL, LN_STEP = 0.5, 0.1, 0.0001


def lognormal_median(true_ppk: float) -> float:
    """Median m of the lognormal whose ISO 22514-2 percentile Ppk against LN_USL is true_ppk."""
    return LN_USL / (1.0 + true_ppk * (np.exp(3 * LN_SHAPE) - 1.0))


def build_inspection(true_ppk: float, n: int, runs: int, rng: np.random.Generator,
                     family: str = "normal") -> Any:
    """One Inspection: ``runs`` features (one per simulated pilot) × ``n`` parts in 3 lots."""
    from pilotqa.model import Inspection

    if family == "lognormal":
        m = lognormal_median(true_ppk)
        values = np.round(m * np.exp(LN_SHAPE * rng.standard_normal((runs, n))) / LN_STEP) * LN_STEP
        nominal, lsl, usl, bounded = 0.0, None, LN_USL, True
    else:
        sigma = (USL - LSL) / 2.0 / (3.0 * true_ppk)
        values = np.round(rng.normal(NOMINAL, sigma, size=(runs, n)) / STEP) * STEP
        nominal, lsl, usl, bounded = NOMINAL, LSL, USL, False
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
        "feature": feats, "nominal": [nominal] * runs, "lsl": [lsl] * runs, "usl": [usl] * runs,
        "unit": ["mm"] * runs, "class": ["major"] * runs, "lower_bound_zero": [bounded] * runs,
        "source": ["simulation"] * runs,
    }, schema_overrides={"lsl": pl.Float64})
    return Inspection(measurements=meas, specs=specs, layout="long")


def simulate_cell(true_ppk: float, n: int, runs: int, seed: int, lot_size: int = 500,
                  family: str = "normal") -> dict[str, Any]:
    """Release counts of one (Ppk, n) cell for a critical and a major characteristic.

    Returns ``{"ppk", "n", "runs", "critical": k, "major": k, "verdicts": {...}, "seconds"}``
    where k is the number of runs released from 100 % inspection. For ``family="lognormal"``
    also ``"bissell_<class>"``: in how many runs Bissell's normal-theory bound evaluated at the
    fitted model's percentile Ppk (pilotqa's bound before the delta-method interval) would have
    reached the class's requirement.
    """
    from pilotqa.decide import decide
    from pilotqa.decide.policy import Policy
    from pilotqa.stats.capability import bissell_lower
    from pilotqa.settings import Settings
    from pilotqa.stats import compute

    rng = np.random.default_rng([seed, int(round(true_ppk * 100)), n])
    insp = build_inspection(true_ppk, n, runs, rng, family)
    settings = Settings(lot_size=lot_size)
    t0 = time.perf_counter()
    features = compute(insp, settings)
    out: dict[str, Any] = {"ppk": true_ppk, "n": n, "runs": runs, "verdicts": {}}
    for cls in ("critical", "major"):
        typed = [dataclasses.replace(fs, class_=cls) for fs in features]
        verdicts = [d.verdict for d in decide(typed, insp, settings, Policy()).decisions]
        out[cls] = sum(v != "keep_100" for v in verdicts)
        out["verdicts"][cls] = {v: verdicts.count(v) for v in sorted(set(verdicts))}
        if family != "normal":
            need = getattr(Policy(), cls).min_lower_bound
            old = [bissell_lower(cm.ppk, fs.n, settings.confidence)
                   for fs in features
                   if (cm := fs.capability_model) is not None and cm.decision_basis == "percentile"
                   and cm.ppk is not None]
            out[f"bissell_{cls}"] = sum(b is not None and b >= need for b in old)
    out["seconds"] = time.perf_counter() - t0
    return out


#: Non-normal study: true percentile Ppk, pilot sizes and the policy's AIC windows compared.
LN_PPKS: tuple[float, ...] = (1.0, 1.33, 1.67, 2.0)
LN_NS: tuple[int, ...] = (50, 125)
LN_WINDOWS: tuple[float, ...] = (0.0, 2.0, 4.0)


def simulate_lognormal_cell(true_ppk: float, n: int, runs: int, seed: int,
                            lot_size: int = 500) -> dict[str, Any]:
    """Release counts of one (Ppk, n) cell of the lognormal study, major class, for each
    ``requirements.non_normal_aic_window`` in :data:`LN_WINDOWS` (one statistics pass), plus
    how many runs Bissell's formula at the chosen model's percentile Ppk would have passed."""
    from dataclasses import replace

    from pilotqa.decide import decide
    from pilotqa.decide.policy import Policy
    from pilotqa.stats.capability import bissell_lower
    from pilotqa.settings import Settings
    from pilotqa.stats import compute

    rng = np.random.default_rng([seed, int(round(true_ppk * 100)), n, 7])
    insp = build_inspection(true_ppk, n, runs, rng, "lognormal")
    settings = Settings(lot_size=lot_size)
    t0 = time.perf_counter()
    features = compute(insp, settings)
    base = Policy()
    out: dict[str, Any] = {"ppk": true_ppk, "n": n, "runs": runs, "released": {}}
    for w in LN_WINDOWS:
        pol = replace(base, requirements=replace(base.requirements, non_normal_aic_window=w))
        out["released"][w] = sum(d.verdict != "keep_100" for d in decide(features, insp, settings, pol).decisions)
    need = base.major.min_lower_bound
    models = [fs.capability_model for fs in features if fs.capability_model is not None]
    out["bissell"] = sum(
        1 for cm in models if cm.decision_basis == "percentile" and cm.ppk is not None
        and (b := bissell_lower(cm.ppk, n, settings.confidence)) is not None and b >= need)
    out["percentile_basis"] = sum(cm.decision_basis == "percentile" for cm in models)
    out["seconds"] = time.perf_counter() - t0
    return out


def lognormal_table(rows: list[dict[str, Any]]) -> str:
    """P(release) of the lognormal study as a Markdown table."""
    head = ("| true Ppk | n | ΔAIC ≤ 0 (chosen model only) | ΔAIC ≤ 2 (default) | ΔAIC ≤ 4 | "
            "Bissell at the percentile Ppk (before) |")
    lines = [head, "|---|---|---|---|---|---|"]
    for r in rows:
        m = r["runs"]

        def pct(k: int) -> str:
            return f"{100 * k / m:.1f} %" if k else f"0 % (≤ {100 * clopper_pearson_upper(0, m):.1f} %)"
        lines.append(f"| {r['ppk']:g} | {r['n']} | " + " | ".join(pct(r["released"][w]) for w in LN_WINDOWS)
                     + f" | {pct(r['bissell'])} (capability condition only) |")
    return "\n".join(lines)


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
    ap.add_argument("--family", choices=["normal", "lognormal"], default="normal",
                    help="normal: the main table; lognormal: the non-normal study (major class)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.family == "lognormal":
        ln_rows = []
        for ppk in LN_PPKS:
            for n in LN_NS:
                cell = simulate_lognormal_cell(ppk, n, args.runs, args.seed)
                ln_rows.append(cell)
                print(f"Ppk {ppk:4.2f} n {n:3d}: released {cell['released']} bissell {cell['bissell']} "
                      f"({cell['percentile_basis']} percentile basis, {cell['seconds']:.1f} s)", file=sys.stderr)
        table = lognormal_table(ln_rows)
        print(table)
        if args.out is not None:
            _replace_block(args.out, "<!-- BEGIN lognormal table -->", "<!-- END lognormal table -->",
                           f"{table}\n\n_{args.runs} runs per cell, seed {args.seed}, major class (requirement "
                           f"1.33), generated by `python benchmarks/decision_quality.py --family lognormal "
                           f"--runs {args.runs} --out {args.out}`._")
        return 0
    rows = release_rates(args.runs, args.seed, progress=True)
    table = markdown_table(rows)
    print(table)
    print(verdict_table(rows))
    print(f"total {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.out is not None:
        from pilotqa.decide.policy import Policy

        pol = Policy()
        _replace_block(args.out, "<!-- BEGIN decision-quality table -->", "<!-- END decision-quality table -->",
                       f"{table}\n\nVerdicts behind the counts:\n\n{verdict_table(rows)}\n\n"
                       f"_{args.runs} runs per cell, seed {args.seed}, policy: critical ≥ "
                       f"{pol.critical.min_lower_bound}, major ≥ {pol.major.min_lower_bound} (lower 95 % "
                       f"bound), generated by `python benchmarks/decision_quality.py --out {args.out}`._")
    return 0


def _replace_block(out: Path, begin: str, end: str, body: str) -> None:
    """Write ``body`` between the markers in ``out`` (appended when the markers are absent)."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text + "\n" + block + "\n"
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
