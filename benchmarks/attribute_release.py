"""How often does the default go/no-go rule release a characteristic? (issue 12 item 6)

A go/no-go characteristic with true nonconforming fraction p is checked on n pilot parts; the
number nonconforming is X ~ Binomial(n, p). The characteristic leaves 100 % inspection when the
real decision (:func:`pilotqa.analysis.analyze`: the checks of :mod:`pilotqa.decide.attributes`
with the built-in policy — X ≤ ``max_out_of_spec`` = 0, the one-sided 97.5 % Clopper–Pearson
bound ≤ ``attribute_max_p_upper`` of the class, ≥ 30 parts, 2 lots) gives ``attributes_plan``.

For every (class, n) the real pipeline is run once per distinct X that the simulation draws
(the verdict depends on the data only through n, X and the lots), then the release rate is

* **simulated** — the share of ``--runs`` Binomial draws whose X the pipeline releases, and
* **exact** — Σ_x P(X = x)·1[released at x] (binomial probabilities), the check on the first.

Usage::

    python benchmarks/attribute_release.py [--runs 20000] [--seed 12] [--out docs/decision-quality.md]

With ``--out`` the table replaces the block between ``<!-- BEGIN attribute table -->`` and
``<!-- END attribute table -->`` of that file.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["released", "release_table", "main"]

P_TRUE = (0.001, 0.01, 0.05)
N_PARTS = (30, 100, 300)
CLASSES = ("critical", "major", "minor")


@lru_cache(maxsize=None)
def released(cls: str, n: int, x: int) -> bool:
    """Does the real pipeline release a go/no-go characteristic of class ``cls`` with ``x`` of ``n``
    parts nonconforming (two lots, built-in policy)?"""
    import dataclasses

    import polars as pl

    from pilotqa.analysis import analyze
    from pilotqa.decide.policy import Policy
    from pilotqa.model import Inspection, empty_measurements, empty_specs
    from pilotqa.settings import Settings

    g = pl.DataFrame({"part_id": [f"P{i}" for i in range(n)], "lot": ["L1" if i < n // 2 else "L2" for i in range(n)],
                      "sequence": list(range(1, n + 1)), "feature": ["GAUGE"] * n,
                      "conforming": [i >= x for i in range(n)], "raw": ["NOK" if i < x else "OK" for i in range(n)]})
    insp = Inspection(measurements=empty_measurements(), specs=empty_specs(), layout="long", attribute_readings=g)
    res = analyze(insp, Settings(lot_size=1000), dataclasses.replace(Policy(), default_class=cls))
    return res.features[0].verdict == "attributes_plan"


def _zero_failure_n(cls: str) -> int:
    from pilotqa.decide.policy import Policy
    from pilotqa.stats.attributes import zero_failure_n

    return zero_failure_n(Policy().rule(cls).attribute_max_p_upper, 0.975)


def release_table(runs: int, seed: int) -> list[dict[str, float | int | str]]:
    """One row per (class, n, p): simulated and exact release rates, at n = 30, 100, 300 and at
    the class's zero-failure n (the smallest pilot that can release it)."""
    from scipy.stats import binom

    rng = np.random.default_rng(seed)
    out: list[dict[str, float | int | str]] = []
    for cls in CLASSES:
        for n in (*N_PARTS, _zero_failure_n(cls)):
            for p in P_TRUE:
                xs = rng.binomial(n, p, size=runs)
                vals, counts = np.unique(xs, return_counts=True)
                sim = sum(int(c) for v, c in zip(vals, counts) if released(cls, n, int(v))) / runs
                # exact: every x with non-negligible probability (release needs x small anyway)
                # (the pipeline is run for every x up to the 1 - 1e-12 quantile: the tail left out
                # weighs less than 1e-12)
                xmax = min(n, int(binom.ppf(1 - 1e-12, n, p)) + 1)
                exact = float(sum(binom.pmf(x, n, p) for x in range(0, xmax + 1) if released(cls, n, x)))
                out.append({"class": cls, "n": n, "p": p, "simulated": sim, "exact": exact, "runs": runs})
    return out


def _pct(v: float) -> str:
    if v == 0:
        return "0"
    if v < 0.0005:
        return f"{v:.0e}"
    return f"{v * 100:.1f} %"


def markdown(rows: list[dict[str, float | int | str]], runs: int, seed: int) -> str:
    from pilotqa.decide.policy import Policy
    from pilotqa.stats.attributes import zero_failure_n

    pol = Policy()
    lines = [f"Release rate of a go/no-go characteristic (built-in policy; {runs} simulated pilots per cell, "
             f"seed {seed}; exact binomial value in brackets):", "",
             "| class (max p_upper) | true p | n = 30 | n = 100 | n = 300 | n = zero-failure n |",
             "|---|---|---|---|---|---|"]
    for cls in CLASSES:
        pmax = pol.rule(cls).attribute_max_p_upper
        for p in P_TRUE:
            cells = []
            for n in (*N_PARTS, zero_failure_n(pmax, 0.975)):
                r = next(x for x in rows if x["class"] == cls and x["n"] == n and x["p"] == p)
                cells.append(f"{_pct(float(r['simulated']))} ({_pct(float(r['exact']))})")
            cells[-1] = f"n = {zero_failure_n(pmax, 0.975)}: {cells[-1]}"
            lines.append(f"| {cls} ({pmax * 100:g} %) | {p * 100:g} % | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    t0 = time.time()
    rows = release_table(a.runs, a.seed)
    md = markdown(rows, a.runs, a.seed)
    print(md)
    print(f"({time.time() - t0:.1f} s; {released.cache_info().currsize} pipeline runs)", file=sys.stderr)
    if a.out is not None:
        text = a.out.read_text(encoding="utf-8")
        block = f"<!-- BEGIN attribute table -->\n{md}<!-- END attribute table -->"
        new, k = re.subn(r"<!-- BEGIN attribute table -->.*?<!-- END attribute table -->", lambda _m: block, text,
                         flags=re.S)
        if k != 1:
            print(f"{a.out}: no attribute-table block", file=sys.stderr)
            return 1
        a.out.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
