"""Are run-rule signals more than chance? The null distribution of signal counts.

An in-control process charted with Nelson's rules shows *some* signals: about 0.3–0.5 % of the
points per rule (Nelson 1984), more on long charts. The decision therefore asks whether the
number of signals K exceeds what chance produces. K is the number of (chart, rule, point)
signals the chart reports (:meth:`pilotqa.stats.stability.ControlChart.violations`): a point that
fires rules 1 and 2 counts twice, a range-chart point above its UCL counts once.

The Poisson test used before treated signals as independent with mean N·Σp_r. They are not: a
run of ten points on one side fires rule 2 at the 9th and the 10th point, a trend of seven fires
rule 3 twice, and rule 5/6 windows overlap — signals come in clusters, so the count is
overdispersed and the Poisson tail too thin. On in-control normal data that blocked 6.5–7 % of
characteristics at a nominal 5 %.

Here the null distribution is the distribution of K itself, for the chart type (I–MR, X̄–R,
X̄–S and the subgroup size), the enabled rules and the number of chart points, obtained by
simulating in-control normal data through the *same* Phase I chart (centre and σ estimated from
the data: MR̄/d2, R̄/d2 or S̄/c4) and the same rule definitions — a Monte-Carlo null distribution
(the parametric-bootstrap p-value of Davison & Hinkley 1997, §4.2; the same approach Champ &
Woodall 1987 take to run-rule false-alarm rates, there by Markov chains for known limits). The
p-value is P(K ≥ k_observed) under that distribution; blocking when p < α keeps the share of
stable processes blocked at or below α (a discrete test is conservative).

The common cases (:data:`TABLE_CASES`: the default rules 1–4 on I–MR charts, X̄–R charts of
subgroups of 2–9 and X̄–S of 10; rule 1 alone and rules 1–8 on I–MR and X̄–R of 5) are tabulated
once in ``pilotqa/stats/data/signal_null.json`` (:func:`build_table`,
``benchmarks/signal_null_table.py``: 16 000 simulated charts per cell) at chart lengths 5 … 500,
linearly interpolated in the length. Any other case (other rule sets,
longer charts, other subgroup sizes) is simulated on demand with a fixed seed (4 000 charts,
cached), so the p-value is reproducible.

References: Nelson, L. S. (1984), J. Quality Technology 16(4), 237–239; Champ, C. W. & Woodall,
W. H. (1987), "Exact results for Shewhart control charts with supplementary runs rules",
Technometrics 29(4), 393–399; Davison, A. C. & Hinkley, D. V. (1997), *Bootstrap Methods and
their Application*, §4.2 (Monte-Carlo tests); Montgomery, *Introduction to SQC* 8th ed., §5.3.6
(several rules raise the false-alarm rate).
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "simulate_signal_counts",
    "signal_p_value",
    "signal_test",
    "chart_signal_p_value",
    "tail_probabilities",
    "build_table",
    "table_key",
    "TABLE_LENGTHS",
    "TABLE_CASES",
]

#: Chart lengths (points) tabulated; in between, tail probabilities are interpolated linearly.
TABLE_LENGTHS: tuple[int, ...] = (5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 100, 125, 150, 200,
                                  250, 300, 400, 500)
#: Cases tabulated: (chart, subgroup size, rules) — the default rules 1–4 for every chart pilotqa
#: draws by default (I–MR, X̄–R of 2–9, X̄–S of 10), rule 1 alone and rules 1–8 for I–MR and X̄–R of 5.
TABLE_CASES: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    (("i-mr", 1, (1, 2, 3, 4)),) + tuple(("xbar-r", m, (1, 2, 3, 4)) for m in range(2, 10))
    + (("xbar-s", 10, (1, 2, 3, 4)),)
    + tuple((c, m, r) for c, m in (("i-mr", 1), ("xbar-r", 5)) for r in ((1,), (1, 2, 3, 4, 5, 6, 7, 8))))

_TABLE_FILE = "signal_null.json"
_ONDEMAND_RUNS = 4000
_SEED = 20240501

# Nelson's rules as used by pilotqa.stats.stability.NELSON_RULES: (kind, k, m, zone)
_RULES: dict[int, tuple[str, int, int, float]] = {
    1: ("beyond", 1, 1, 3.0), 2: ("side", 9, 9, 0.0), 3: ("trend", 6, 6, 0.0), 4: ("alternate", 14, 14, 0.0),
    5: ("k_of_m", 2, 3, 2.0), 6: ("k_of_m", 4, 5, 1.0), 7: ("within", 15, 15, 1.0), 8: ("outside", 8, 8, 1.0),
}


def table_key(chart: str, subgroup_size: int, rules: Iterable[int]) -> str:
    """Key of one tabulated case, e.g. ``"xbar-r/5/1,2,3,4"``."""
    return f"{chart}/{int(subgroup_size)}/{','.join(str(r) for r in sorted(set(int(x) for x in rules)))}"


# ----------------------------------------------------------------------------- simulation
def _run_length(b: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Length of the run of True ending at each position, row-wise."""
    idx = np.broadcast_to(np.arange(b.shape[1]), b.shape)
    last_false = np.maximum.accumulate(np.where(b, -1, idx), axis=1)
    return np.where(b, idx - last_false, 0)


def _window_count(b: NDArray[np.bool_], m: int) -> NDArray[np.int64]:
    c = np.concatenate([np.zeros((b.shape[0], 1), dtype=np.int64), np.cumsum(b, axis=1, dtype=np.int64)], axis=1)
    i = np.arange(1, b.shape[1] + 1)
    return c[:, i] - c[:, np.maximum(i - m, 0)]


def _fire2d(rule: int, x: NDArray[np.float64], z: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Row-wise version of pilotqa.stats.stability._fire (same definitions; tested to agree)."""
    kind, k, m, zone = _RULES[rule]
    runs, n = x.shape
    if kind == "beyond":
        return np.asarray(np.abs(z) > zone)
    if kind == "side":
        return np.asarray((_run_length(z > 0) >= k) | (_run_length(z < 0) >= k))
    if kind == "within":
        return np.asarray(_run_length(np.abs(z) < zone) >= k)
    if kind == "outside":
        return np.asarray(_run_length(np.abs(z) > zone) >= k)
    if kind == "k_of_m":
        hit = np.zeros((runs, n), dtype=bool)
        for side in (z > zone, z < -zone):
            hit |= side & (_window_count(side, m) >= k)
        return hit
    false_col = np.zeros((runs, 1), dtype=bool)
    if kind == "trend":
        d = np.diff(x, axis=1)
        run = np.maximum(_run_length(d > 0), _run_length(d < 0))
        return np.concatenate([false_col, run >= k - 1], axis=1)
    if kind == "alternate":
        if n < 3:
            return np.zeros((runs, n), dtype=bool)
        s = np.sign(np.diff(x, axis=1))
        alt = (s[:, 1:] * s[:, :-1]) < 0
        return np.concatenate([false_col, false_col, _run_length(alt) >= k - 2], axis=1)[:, :n]
    raise ValueError(f"unknown rule kind {kind!r}")  # pragma: no cover


def simulate_signal_counts(chart: str, rules: Iterable[int], n_points: int, subgroup_size: int = 1,
                           runs: int = 4000, seed: int | list[int] = _SEED) -> NDArray[np.int64]:
    """Signal counts K of ``runs`` in-control normal charts (Phase I limits from each chart).

    Parameters
    ----------
    chart : {"i-mr", "xbar-r", "xbar-s"}
    rules : Nelson rules enabled (1–8); rule 1 also tests the range chart of X̄–R / X̄–S (not the
        MR chart), as :data:`pilotqa.stats.stability.RANGE_RULES_BY_CHART`.
    n_points : points on the chart (readings for I–MR, subgroups otherwise).
    subgroup_size : readings per subgroup (1 for I–MR).
    """
    from pilotqa.stats.constants import D2_MR2, c4, d2_array, d3_array

    rules = sorted(set(int(r) for r in rules))
    bad = [r for r in rules if r not in _RULES]
    if bad:
        raise ValueError(f"unknown Nelson rule(s) {bad}")
    n = int(n_points)
    rng = np.random.default_rng(seed)
    out = np.zeros(runs, dtype=np.int64)
    step = max(1, min(runs, 4_000_000 // max(1, n * max(1, subgroup_size))))
    for start in range(0, runs, step):
        r = min(step, runs - start)
        if chart == "i-mr":
            x = rng.standard_normal((r, n))
            sig = np.mean(np.abs(np.diff(x, axis=1)), axis=1) / D2_MR2 if n >= 2 else np.full(r, np.nan)
            centre = x.mean(axis=1)
            z = (x - centre[:, None]) / sig[:, None]
            spread = None
        elif chart in ("xbar-r", "xbar-s"):
            m = int(subgroup_size)
            if m < 2:
                raise ValueError(f"{chart} needs subgroups of at least 2")
            raw = rng.standard_normal((r, n, m))
            x = raw.mean(axis=2)
            mm = np.array([m])
            if chart == "xbar-r":
                spread = raw.max(axis=2) - raw.min(axis=2)
                sig = spread.mean(axis=1) / float(d2_array(mm)[0])
                cen, half = float(d2_array(mm)[0]), 3.0 * float(d3_array(mm)[0])
            else:
                spread = raw.std(axis=2, ddof=1)
                cc = float(np.asarray(c4(m)))
                sig = spread.mean(axis=1) / cc
                cen, half = cc, 3.0 * math.sqrt(1.0 - cc**2)
            centre = x.mean(axis=1)
            z = (x - centre[:, None]) / (sig[:, None] / math.sqrt(m))
        else:
            raise ValueError(f"unknown chart {chart!r}")
        k = np.zeros(r, dtype=np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            for rule in rules:
                k += _fire2d(rule, x, z).sum(axis=1)
            if spread is not None and 1 in rules:
                ucl = (cen + half) * sig
                lcl = np.maximum((cen - half) * sig, 0.0)
                k += ((spread > ucl[:, None]) | ((lcl[:, None] > 0) & (spread < lcl[:, None]))).sum(axis=1)
        out[start:start + r] = k
    return out


def tail_probabilities(counts: NDArray[np.int64], cut: float = 1e-4) -> list[float]:
    """P(K ≥ k) for k = 0, 1, … from simulated counts, until it falls below ``cut``."""
    c = np.asarray(counts)
    kmax = int(c.max()) if c.size else 0
    hist = np.bincount(c, minlength=kmax + 2).astype(float)
    sf = hist[::-1].cumsum()[::-1] / c.size
    out = []
    for v in sf:
        out.append(round(float(v), 5))
        if v < cut:
            break
    return out


def build_table(runs: int = 16000, seed: int = _SEED, progress: Any = None) -> dict[str, Any]:
    """Simulate every case of :data:`TABLE_CASES` at every length of :data:`TABLE_LENGTHS`."""
    cases: dict[str, Any] = {}
    for chart, m, rules in TABLE_CASES:
        key = table_key(chart, m, rules)
        per_n = {}
        for i, n in enumerate(TABLE_LENGTHS):
            counts = simulate_signal_counts(chart, rules, n, m, runs, seed=[seed, i, m, len(rules)])
            per_n[str(n)] = tail_probabilities(counts)
        cases[key] = per_n
        if progress:
            progress(key)
    return {
        "description": ("Null distribution of the number of Nelson-rule signals K (chart, rule, point) on "
                        "in-control normal data, Phase I limits estimated from each simulated chart as "
                        "pilotqa.stats.stability does. Per case 'chart/subgroup size/rules' and chart length "
                        "(points): the tail probabilities P(K >= k) for k = 0, 1, ... until below 1e-4."),
        "generated_by": "python benchmarks/signal_null_table.py (pilotqa.stats.signal_null.build_table)",
        "runs_per_cell": runs, "seed": seed, "lengths": list(TABLE_LENGTHS), "cases": cases,
    }


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    try:
        text = resources.files("pilotqa.stats").joinpath("data", _TABLE_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):  # pragma: no cover - the package ships the table
        return {"cases": {}, "lengths": []}
    data: dict[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=256)
def _ondemand(chart: str, m: int, rules: tuple[int, ...], n: int) -> tuple[float, ...]:
    seed = [_SEED, n, m, *rules, {"i-mr": 1, "xbar-r": 2, "xbar-s": 3}.get(chart, 0)]
    return tuple(tail_probabilities(simulate_signal_counts(chart, rules, n, m, _ONDEMAND_RUNS, seed=seed)))


def _sf_at(sf: list[float] | tuple[float, ...], k: int) -> float:
    if k <= 0:
        return 1.0
    return float(sf[k]) if k < len(sf) else 0.0


@lru_cache(maxsize=1024)
def _null_at(chart: str, m: int, rl: tuple[int, ...], n: int) -> tuple[str, Any, Any, float, float, str]:
    """The null distribution of K for one chart type, rule set and length, looked up once:
    ``("table", sf_a, sf_b, w, mean, method)`` (tabulated; ``sf_b`` None at a tabulated length,
    else interpolated with weight w between the two neighbouring lengths) or
    ``("simulated", sf, None, 0, mean, method)``."""
    tab = _table()
    key = table_key(chart, m, rl)
    lengths = [int(x) for x in tab.get("lengths", [])]
    case = tab.get("cases", {}).get(key)
    if case is not None and lengths and lengths[0] <= n <= lengths[-1]:
        method = f"tabulated null distribution ({tab.get('runs_per_cell')} simulated charts per length)"
        j = int(np.searchsorted(lengths, n))
        if lengths[j] == n:
            sf = case[str(n)]
            return "table", sf, None, 0.0, float(sum(sf[1:])), method
        a, b = lengths[j - 1], lengths[j]
        w = (n - a) / (b - a)
        sa, sb = case[str(a)], case[str(b)]
        return "table", sa, sb, w, (1 - w) * sum(sa[1:]) + w * sum(sb[1:]), method
    sf = _ondemand(chart, m, rl, n)
    return ("simulated", sf, None, 0.0, float(sum(sf[1:])),
            f"simulated null distribution ({_ONDEMAND_RUNS} charts, fixed seed)")


def signal_p_value(chart: str, rules: Iterable[int], n_points: int, signals: int,
                   subgroup_size: int | None = None) -> tuple[float, float, str]:
    """P(K ≥ signals) for an in-control chart of this type, rules and length.

    Returns ``(p_value, expected_count, method)``; ``method`` says whether the tabulated null
    distribution (interpolated in the length) or an on-demand simulation was used. A tabulated p
    of 0 (beyond the table's last tail probability, < 1e-4) is returned as the table's resolution
    bound ``1e-4`` halved, so it is never exactly 0 for a finite count.
    """
    rl = tuple(sorted(set(int(r) for r in rules)))
    k = int(signals)
    n = int(n_points)
    if chart == "i-mr":
        m = 1
    else:
        m = int(subgroup_size or 5)
        if chart == "xbar-r":
            m = min(max(m, 2), 9)
        elif chart == "xbar-s" and m < 10:
            m = 10
    if not rl or n < 1:
        return (1.0 if k == 0 else 0.0), 0.0, "no rules"
    null = _null_at(chart, m, rl, n)
    if null[0] == "table":
        _, sa, sb, w, mean, method = null
        p = _sf_at(sa, k) if sb is None else (1 - w) * _sf_at(sa, k) + w * _sf_at(sb, k)
    else:
        _, sf, _, _, mean, method = null
        p = _sf_at(sf, k)
    return max(p, 5e-5), mean, method


def signal_test(chart: str, rules: Iterable[int], n_points: int, signals: int,
                subgroup_size: int | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """``{"signals", "expected", "p_value", "beyond_chance", "method"}`` for one chart."""
    p, mean, method = signal_p_value(chart, rules, n_points, signals, subgroup_size)
    return {"signals": int(signals), "expected": None if not math.isfinite(mean) else mean, "p_value": p,
            "beyond_chance": bool(p < alpha), "method": method}


def chart_signal_p_value(stab: Any) -> tuple[float, float, str]:
    """:func:`signal_p_value` for a computed chart (a :class:`pilotqa.results.Stability` or its
    JSON object): K = the distinct (chart, rule, point) signals of ``violations``, the chart's
    ``rules``, ``n_points`` and subgroup size. Returns ``(p_value, expected_count, method)``.

    The decision's chance test (:func:`pilotqa.decide.verdict.stability_signals`) calls this in
    place of the Poisson tail.
    """
    def get(name: str) -> Any:
        return stab.get(name) if isinstance(stab, dict) else getattr(stab, name)

    viol = get("violations") or ()
    keys = {((v.get("chart"), v.get("rule"), v.get("index")) if isinstance(v, dict) else (v.chart, v.rule, v.index))
            for v in viol}
    sizes = tuple(get("subgroup_sizes") or ())
    m = get("subgroup_size") or (max(sizes) if sizes else 1)
    return signal_p_value(str(get("chart")), tuple(get("rules") or ()), int(get("n_points") or 0), len(keys), int(m))
