"""Parts still needed (pilotqa.decide.parts_needed), checked by simulation.

For a characteristic kept at 100 % because its capability bound falls short while the point
estimate is above the requirement, pilotqa states a total number of parts N* (or subgroups) at
which the bound would reach the requirement *if the estimate holds*. This script simulates
pilots, keeps those in that situation, adds N* − n parts (or subgroups) and recomputes the bound
with the decision's formula on all N* parts:

* **same process** — the new parts come from the true process (what a user experiences);
* **estimate holds** — the new parts come from a normal process with the pilot's own mean and
  standard deviation (the premise of the figure): the bound should reach the requirement in
  about half of the runs, since N* is where it *would* reach it with the estimate unchanged.

Normal individuals and subgroups of 5 (pooled σ within, both the Ppk and the Cpk bound) use
sufficient statistics (exact normal-theory distributions of the new parts' mean and sums of
squares), so large N* costs nothing. ``--family lognormal`` runs the fitted-model case through
:func:`pilotqa.stats.distributions.capability_model` (real fits, slower): new readings from the
true lognormal process, refitted at N*.

Usage::

    python benchmarks/parts_needed_check.py [--runs 4000] [--out docs/decision-quality.md]
    python benchmarks/parts_needed_check.py --family lognormal --runs 200 [--out ...]
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["normal_cell", "subgroup_cell", "lognormal_cell", "main"]

LSL, USL, MU = 9.0, 11.0, 10.0
Z95 = 1.959963984540054
REQ = 1.33  # major


def _bound(c: np.ndarray | float, n: np.ndarray | float, nu: np.ndarray | float) -> np.ndarray:
    from pilotqa.stats.capability import bissell_ci

    return np.asarray(bissell_ci(c, n, nu, Z95))[..., 0]


def _ppk(mean: np.ndarray, s: np.ndarray) -> np.ndarray:
    return np.minimum(USL - mean, mean - LSL) / (3.0 * s)


def normal_cell(true_ppk: float, n0: int, runs: int, seed: int, offset: float = 0.0) -> dict[str, Any]:
    """Individuals: pilots of n0 parts from N(MU + offset, σ) with the given true Ppk."""
    from pilotqa.decide.parts_needed import normal_parts_needed

    rng = np.random.default_rng([seed, int(true_ppk * 100), n0, 1])
    mu = MU + offset
    sigma = (1.0 - abs(offset)) / (3.0 * true_ppk)
    x = rng.normal(mu, sigma, (runs, n0))
    m0, s0 = x.mean(axis=1), x.std(axis=1, ddof=1)
    p0 = _ppk(m0, s0)
    kept = (_bound(p0, n0, n0 - 1) < REQ) & (p0 > REQ)
    out = {"ppk": true_ppk, "n": n0, "runs": runs, "kept_reachable": int(kept.sum()), "same": 0, "holds": 0,
           "additional": []}
    ss0 = s0**2 * (n0 - 1)
    for i in np.flatnonzero(kept):
        total = normal_parts_needed(float(p0[i]), n0, REQ)
        if total is None:
            continue
        add = total - n0
        out["additional"].append(add)
        for key, (mu_new, sd_new) in (("same", (mu, sigma)), ("holds", (m0[i], s0[i]))):
            if add == 0:
                ok = _bound(p0[i], n0, n0 - 1) >= REQ
            else:
                m_new = rng.normal(mu_new, sd_new / math.sqrt(add))
                ss_new = sd_new**2 * rng.chisquare(add - 1) if add > 1 else 0.0
                mean = (n0 * m0[i] + add * m_new) / total
                ss = ss0[i] + ss_new + n0 * add / total * (m0[i] - m_new) ** 2
                ok = bool(_bound(_ppk(np.array(mean), np.sqrt(ss / (total - 1))), total, total - 1) >= REQ)
            out[key] += int(ok)
    return out


def subgroup_cell(true_ppk: float, k0: int, runs: int, seed: int, m: int = 5) -> dict[str, Any]:
    """Subgroups of m (pooled σ within, ν = k(m − 1)): both the Ppk and the Cpk bound."""
    from pilotqa.decide.parts_needed import subgroup_parts_needed
    from pilotqa.stats.constants import c4

    rng = np.random.default_rng([seed, int(true_ppk * 100), k0, 2])
    sigma = 1.0 / (3.0 * true_ppk)
    x = rng.normal(MU, sigma, (runs, k0, m))
    n0 = k0 * m
    m0 = x.mean(axis=(1, 2))
    s0 = x.reshape(runs, n0).std(axis=1, ddof=1)
    ssw0 = ((x - x.mean(axis=2, keepdims=True)) ** 2).sum(axis=(1, 2))
    df0 = k0 * (m - 1)

    def sw(ssw: np.ndarray | float, df: float) -> np.ndarray:
        return np.sqrt(np.asarray(ssw) / df) / float(c4(df + 1.0))

    p0, c0 = _ppk(m0, s0), _ppk(m0, sw(ssw0, df0))
    short = (_bound(p0, n0, n0 - 1) < REQ) | (_bound(c0, n0, df0) < REQ)
    kept = short & (p0 > REQ) & (c0 > REQ)
    out = {"ppk": true_ppk, "n": n0, "k": k0, "runs": runs, "kept_reachable": int(kept.sum()), "same": 0,
           "holds": 0, "additional": []}
    for i in np.flatnonzero(kept):
        k_tot = subgroup_parts_needed(float(p0[i]), float(c0[i]), n0, k0, df0, REQ)
        if k_tot is None:
            continue
        add_k = k_tot - k0
        out["additional"].append(add_k)
        sw_i = float(sw(ssw0[i], df0))
        for key, (mu_new, sd_new) in (("same", (MU, sigma)), ("holds", (m0[i], sw_i))):
            add = add_k * m
            total = k_tot * m
            m_new = rng.normal(mu_new, sd_new / math.sqrt(add))
            ssw_new = sd_new**2 * rng.chisquare(add_k * (m - 1))
            ssb_new = sd_new**2 * rng.chisquare(add_k - 1) if add_k > 1 else 0.0
            mean = (n0 * m0[i] + add * m_new) / total
            ss = s0[i] ** 2 * (n0 - 1) + ssw_new + ssb_new + n0 * add / total * (m0[i] - m_new) ** 2
            df = k_tot * (m - 1)
            p = _ppk(np.array(mean), np.sqrt(ss / (total - 1)))
            c = _ppk(np.array(mean), sw(ssw0[i] + ssw_new, df))
            ok = bool((_bound(p, total, total - 1) >= REQ) & (_bound(c, total, df) >= REQ))
            out[key] += int(ok)
    return out


LN_SHAPE, LN_USL, LN_STEP = 0.5, 0.1, 0.0001


def _model_bound(cm: dict[str, Any] | None, window: float = 2.0) -> tuple[float | None, list[tuple[str, float | None, float | None]]]:
    """The decision's non-normal bound: lowest lower limit among the models within the AIC window."""
    if not cm or cm.get("decision_basis") != "percentile":
        return None, []
    plaus = [a for a in cm.get("alternatives") or [] if a.get("aic_delta") is not None and a["aic_delta"] <= window]
    models = [(a["distribution"], a.get("ppk"), (a.get("ppk_ci") or [None])[0]) for a in plaus]
    if not models or models[0][2] is None:
        return None, models
    return min(lo for _, _, lo in models if lo is not None), models


def lognormal_cell(true_ppk: float, n0: int, runs: int, seed: int) -> dict[str, Any]:
    """Fitted-model case: lognormal position-like characteristic (upper limit LN_USL, bounded at 0)."""
    from pilotqa.decide.parts_needed import model_parts_needed
    from pilotqa.stats.distributions import capability_model, normality

    rng = np.random.default_rng([seed, int(true_ppk * 100), n0, 3])
    med = LN_USL / (1.0 + true_ppk * (math.exp(3 * LN_SHAPE) - 1.0))

    def draw(k: int) -> np.ndarray:
        return np.round(med * np.exp(LN_SHAPE * rng.standard_normal(k)) / LN_STEP) * LN_STEP

    def model(x: np.ndarray) -> dict[str, Any] | None:
        nd, _ = normality(x)
        m, s = float(x.mean()), float(x.std(ddof=1))
        ppu = (LN_USL - m) / (3 * s)
        cm, _ = capability_model(x, None, LN_USL, True, nd, {"ppk": ppu, "ppu": ppu, "pp": None, "cp": None,
                                                             "cpk": None, "ppl": None, "ppm_expected": None})
        return cm

    out = {"ppk": true_ppk, "n": n0, "runs": runs, "kept_reachable": 0, "same": 0, "additional": [],
           "not_percentile": 0}
    for _ in range(runs):
        x = draw(n0)
        cm = model(x)
        lo, models = _model_bound(cm)
        if lo is None:
            out["not_percentile"] += 1
            continue
        if lo >= REQ:
            continue
        total, _bad = model_parts_needed(models, n0, REQ)
        if total is None:
            continue
        out["kept_reachable"] += 1
        out["additional"].append(total - n0)
        xx = np.concatenate([x, draw(total - n0)])
        lo2, _ = _model_bound(model(xx))
        out["same"] += int(lo2 is not None and lo2 >= REQ)
    return out


def _pct(k: int, m: int) -> str:
    return f"{100 * k / m:.0f} %" if m else "–"


def _median(v: list[int]) -> str:
    return f"{int(np.median(v))}" if v else "–"


def table(rows: list[dict[str, Any]], family: str) -> str:
    if family == "lognormal":
        lines = ["| true Ppk | n | pilots kept, reachable | median parts added | reached (same process) |",
                 "|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['ppk']:g} | {r['n']} | {r['kept_reachable']} of {r['runs']} | {_median(r['additional'])} "
                         f"| {_pct(r['same'], r['kept_reachable'])} |")
        return "\n".join(lines)
    lines = ["| data | true Ppk | pilot | pilots kept, reachable | median added | reached: estimate holds | "
             "reached: same process |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        what = f"n = {r['n']}" if "k" not in r else f"{r['k']} subgroups of 5"
        unit = "parts" if "k" not in r else "subgroups"
        lines.append(f"| {'individuals' if 'k' not in r else 'subgroups'} | {r['ppk']:g} | {what} | "
                     f"{r['kept_reachable']} of {r['runs']} | {_median(r['additional'])} {unit} | "
                     f"{_pct(r['holds'], r['kept_reachable'])} | {_pct(r['same'], r['kept_reachable'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--family", choices=["normal", "lognormal"], default="normal")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    if args.family == "lognormal":
        for ppk in (1.67, 2.0):
            for n0 in (50, 125):
                rows.append(lognormal_cell(ppk, n0, args.runs, args.seed))
                print(rows[-1]["ppk"], n0, rows[-1]["kept_reachable"], rows[-1]["same"], file=sys.stderr)
    else:
        for ppk in (1.4, 1.5, 1.67, 2.0):
            for n0 in (30, 50, 125):
                rows.append(normal_cell(ppk, n0, args.runs, args.seed))
        for ppk in (1.4, 1.5, 1.67):
            for k0 in (25, 50):
                rows.append(subgroup_cell(ppk, k0, args.runs, args.seed))
    body = table(rows, args.family)
    print(body)
    print(f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.out is not None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from decision_quality import _replace_block

        tag = "parts-needed" if args.family == "normal" else "parts-needed lognormal"
        cmd = ("python benchmarks/parts_needed_check.py" + (" --family lognormal" if args.family != "normal" else "")
               + f" --runs {args.runs} --out {args.out}")
        _replace_block(args.out, f"<!-- BEGIN {tag} table -->", f"<!-- END {tag} table -->",
                       f"{body}\n\n_{args.runs} simulated pilots per row, seed {args.seed}, major class (requirement "
                       f"1.33), generated by `{cmd}`._")
    return 0


if __name__ == "__main__":
    sys.exit(main())
