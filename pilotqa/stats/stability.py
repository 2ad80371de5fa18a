"""Statistical stability: Shewhart control charts (X̄–R, X̄–S, I–MR) and Nelson's run rules.

Layout (style patterns 4 and 6):

* :data:`NELSON_RULES` — the eight run rules as *data* (run lengths, zones), citing Nelson 1984;
  :func:`nelson_rules` evaluates any subset on a series with known centre and sigma, vectorised
  with numpy (run lengths by cumulative maxima, k-of-m counts by cumulative sums).
* :data:`CHARTS` — registry of chart specs (statistic, sigma estimator, limits) keyed by chart
  type; :func:`control_chart` computes one chart from subgroup summaries, Phase I (limits fitted
  from the data) or Phase II (``center``/``sigma`` fixed from an earlier Phase I).
* :func:`chart_from_values` — the same from raw readings (optionally with subgroup ids).
* :func:`stability_all` — the frame-level wrapper: subgroup summaries for all features in one
  polars ``group_by``, then one chart + rule evaluation per feature.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

from pilotqa.util import finite_or_none as _num
from pilotqa.settings import Settings
from pilotqa.stats.constants import D2_MR2, c4, d2_array, d3_array

__all__ = [
    "NelsonRule",
    "NELSON_RULES",
    "RULES_SOURCE",
    "RANGE_CHART_RULES",
    "RANGE_RULES_BY_CHART",
    "MIN_POINTS_FOR_VERDICT",
    "NSIGMA",
    "ChartSpec",
    "CHARTS",
    "ControlChart",
    "choose_chart",
    "nelson_rules",
    "control_chart",
    "chart_from_values",
    "stability_all",
]

FloatArray = NDArray[np.float64]

#: Width of the control limits in sigmas of the plotted statistic (Shewhart 3-sigma limits).
NSIGMA: float = 3.0

#: Below this many chart points "no rule fired" is not taken as evidence of stability
#: (``stable`` is then null unless a rule did fire). Rules 2 and 4 need 9 and 14 points; AIAG
#: SPC 2nd ed. (ch. II, "Initial study") asks for 25 or more subgroups for limits to be final.
MIN_POINTS_FOR_VERDICT: int = 10

RULES_SOURCE = (
    "Nelson, L. S. (1984), 'The Shewhart Control Chart - Tests for Special Causes', "
    "Journal of Quality Technology 16(4), 237-239; run lengths as Minitab's default 'Tests for "
    "special causes' 1-8 (Minitab 21 help, 'Using tests for special causes in control charts')."
)


@dataclass(frozen=True)
class NelsonRule:
    """One run rule as data.

    Attributes
    ----------
    number : int
        Nelson's rule number 1 … 8.
    kind : str
        ``beyond`` (one point beyond ``zone``), ``side`` (``k`` in a row on one side of the
        centre), ``trend`` (``k`` points in a row strictly increasing or decreasing), ``alternate``
        (``k`` points in a row alternating up and down), ``k_of_m`` (``k`` of ``m`` consecutive
        points beyond ``zone`` on the same side), ``within`` (``k`` in a row within ``zone``),
        ``outside`` (``k`` in a row beyond ``zone``, either side).
    k : int
        Points in the pattern.
    m : int
        Window length for ``k_of_m`` (equals ``k`` otherwise).
    zone : float
        Zone boundary in sigmas of the plotted statistic (0 = centre line).
    description : str
    """

    number: int
    kind: str
    k: int
    m: int
    zone: float
    description: str


#: Nelson's eight rules (source: :data:`RULES_SOURCE`). Changing a run length here changes the
#: rule everywhere; nothing depends on evaluation order (each rule is evaluated independently and
#: every (rule, index) pair is reported).
NELSON_RULES: Mapping[int, NelsonRule] = {
    1: NelsonRule(1, "beyond", 1, 1, 3.0, "one point beyond 3 sigma"),
    2: NelsonRule(2, "side", 9, 9, 0.0, "nine points in a row on the same side of the centre line"),
    3: NelsonRule(3, "trend", 6, 6, 0.0, "six points in a row steadily increasing or decreasing"),
    4: NelsonRule(4, "alternate", 14, 14, 0.0, "fourteen points in a row alternating up and down"),
    5: NelsonRule(5, "k_of_m", 2, 3, 2.0, "two of three points in a row beyond 2 sigma, same side"),
    6: NelsonRule(6, "k_of_m", 4, 5, 1.0, "four of five points in a row beyond 1 sigma, same side"),
    7: NelsonRule(7, "within", 15, 15, 1.0, "fifteen points in a row within 1 sigma, either side"),
    8: NelsonRule(8, "outside", 8, 8, 1.0, "eight points in a row beyond 1 sigma, either side"),
}

#: Rules applied to the range chart (R, S or MR): rule 1 only (points beyond the range-chart
#: limits), when it is enabled. Minitab offers tests 1–4 on R/S/MR charts but applies only test 1
#: by default (Minitab 21 help, "Using tests for special causes"); SAS/QC (PROC SHEWHART,
#: "Applying tests to range and standard deviation charts") recommends only test 1 because the
#: range statistic is skewed and, for MR, autocorrelated, so zone rules have unknown false-alarm
#: rates.
RANGE_CHART_RULES: tuple[int, ...] = (1,)

#: Range-chart rules per chart type. The MR chart of an I–MR chart is NOT tested by default:
#: successive moving ranges overlap (autocorrelated) and their distribution is skewed, so rule 1
#: at 3.267·MR̄ alarms on about 0.9 % of in-control points instead of 0.27 % (measured in
#: tests/test_stats_stability.py), while adding little power to detect shifts — Rigdon, Cruthis &
#: Champ (1994), J. Quality Technology 26(3), 165–173; Montgomery, Introduction to SQC, 8th ed.,
#: §6.4 (individuals charts). The MR chart is still drawn in the report.
RANGE_RULES_BY_CHART: dict[str, tuple[int, ...]] = {
    "xbar-r": RANGE_CHART_RULES,
    "xbar-s": RANGE_CHART_RULES,
    "i-mr": (),
}


# --------------------------------------------------------------------------------------------
# Run rules
# --------------------------------------------------------------------------------------------


def _run_length(b: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Length of the run of True ending at each position (0 where False)."""
    idx = np.arange(b.size)
    last_false = np.maximum.accumulate(np.where(b, -1, idx))
    return np.where(b, idx - last_false, 0)


def _window_count(b: NDArray[np.bool_], m: int) -> NDArray[np.int64]:
    """Number of True among the last ``m`` positions (fewer at the start of the series)."""
    c = np.concatenate(([0], np.cumsum(b, dtype=np.int64)))
    i = np.arange(1, b.size + 1)
    return c[i] - c[np.maximum(i - m, 0)]


def _fire(rule: NelsonRule, x: FloatArray, z: FloatArray) -> NDArray[np.int64]:
    """0-based indices where ``rule`` fires (the last point of each qualifying pattern)."""
    n = x.size
    k = rule.k
    if rule.kind == "beyond":
        hit = np.abs(z) > rule.zone
    elif rule.kind == "side":
        hit = (_run_length(z > 0) >= k) | (_run_length(z < 0) >= k)
    elif rule.kind == "within":
        hit = _run_length(np.abs(z) < rule.zone) >= k
    elif rule.kind == "outside":
        hit = _run_length(np.abs(z) > rule.zone) >= k
    elif rule.kind == "k_of_m":
        hit = np.zeros(n, dtype=bool)
        for side in (z > rule.zone, z < -rule.zone):
            hit |= side & (_window_count(side, rule.m) >= k)
    elif rule.kind == "trend":
        d = np.diff(x)
        run = np.maximum(_run_length(d > 0), _run_length(d < 0))  # k points = k-1 steps
        hit = np.concatenate(([False], run >= k - 1))
    elif rule.kind == "alternate":
        s = np.sign(np.diff(x))
        alt = (s[1:] * s[:-1]) < 0  # steps j, j+1 change direction: points j..j+2
        hit = np.concatenate(([False, False], _run_length(alt) >= k - 2)) if n >= 2 else np.zeros(n, bool)
        hit = hit[:n]
    else:  # pragma: no cover - the table is fixed data
        raise ValueError(f"unknown rule kind {rule.kind!r}")
    return np.flatnonzero(hit)


def nelson_rules(
    points: ArrayLike,
    center: float = 0.0,
    sigma: float | ArrayLike = 1.0,
    rules: Iterable[int] = (1, 2, 3, 4),
    table: Mapping[int, NelsonRule] = NELSON_RULES,
) -> list[tuple[int, int]]:
    """Evaluate Nelson's run rules on one chart series.

    Parameters
    ----------
    points : array_like of float
        Plotted statistic in time order (X̄, I, R …). NaN points never fire and break runs.
    center : float
        Centre line.
    sigma : float or array_like
        Standard deviation of the plotted statistic (per point for unequal subgroup sizes:
        σ/√nᵢ on an X̄ chart). Must be > 0.
    rules : iterable of int
        Enabled rule numbers (keys of ``table``).
    table : mapping
        Rule definitions, default :data:`NELSON_RULES`.

    Returns
    -------
    list of (rule, index)
        Every (rule number, 0-based point index) at which a rule fires, sorted by index then
        rule. The index is the last point of the pattern; a pattern that continues (a run of 10
        on one side) fires again at each further point.

    Notes
    -----
    Each point is standardised, :math:`z_i = (x_i - \\mathrm{center}) / \\sigma_i`; zones are
    C (:math:`|z| \\le 1`), B (1–2), A (2–3). "Beyond" is strict (:math:`|z| > 1` etc.); a point
    exactly on the centre line belongs to neither side and breaks a rule-2 run; equal
    consecutive points break a rule-3 trend and a rule-4 alternation. For the k-of-m rules
    (5, 6) the firing point is itself beyond the zone and at least k of the last m points
    (fewer at the start of the series) are beyond it on the same side. Rule 8 counts points
    beyond 1σ on either side (Minitab's definition; Nelson's text adds "on both sides").

    Validated against: constructed sequences (``tests/test_stats_stability.py``), one per rule.

    References
    ----------
    Nelson, L. S. (1984), J. Quality Technology 16(4), 237–239; Montgomery, *Introduction to
    Statistical Quality Control* 8th ed., §5.3.6 (sensitizing rules); AIAG SPC manual 2nd ed.,
    ch. II; Minitab 21 help, "Using tests for special causes in control charts".

    Examples
    --------
    >>> nelson_rules([0.1, 3.5, 0.2], rules=[1])
    [(1, 1)]
    >>> nelson_rules([0.5] * 10, rules=[2])
    [(2, 8), (2, 9)]
    """
    x = np.asarray(points, dtype=float)
    sig = np.broadcast_to(np.asarray(sigma, dtype=float), x.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - float(center)) / sig
    out: list[tuple[int, int]] = []
    for r in sorted(set(int(v) for v in rules)):
        if r not in table:
            raise ValueError(f"unknown Nelson rule {r}; allowed: {sorted(table)}")
        out.extend((r, int(i)) for i in _fire(table[r], x, z))
    out.sort(key=lambda t: (t[1], t[0]))
    return out


# --------------------------------------------------------------------------------------------
# Charts: registry of (statistic, sigma estimator, limits)
# --------------------------------------------------------------------------------------------


def _sigma_rbar(sizes: NDArray[np.int64], spreads: FloatArray) -> float:
    """R̄/d2 (equal sizes); Minitab's weighted form Σfᵢ Rᵢ/d2(nᵢ) / Σfᵢ, fᵢ = d2²/d3² (unequal)."""
    ok = (sizes >= 2) & np.isfinite(spreads)
    if not ok.any():
        return math.nan
    n, r = sizes[ok], spreads[ok]
    dd2, dd3 = d2_array(n), d3_array(n)
    f = dd2**2 / dd3**2
    return float(np.sum(f * r / dd2) / np.sum(f))


def _sigma_sbar(sizes: NDArray[np.int64], spreads: FloatArray) -> float:
    """S̄/c4 (equal sizes); Minitab's weighted form Σhᵢ sᵢ/c4(nᵢ) / Σhᵢ, hᵢ = c4²/(1−c4²)."""
    ok = (sizes >= 2) & np.isfinite(spreads)
    if not ok.any():
        return math.nan
    n, s = sizes[ok], spreads[ok]
    cc = c4(n)
    h = cc**2 / (1.0 - cc**2)
    return float(np.sum(h * s / cc) / np.sum(h))


def _sigma_mr(sizes: NDArray[np.int64], spreads: FloatArray) -> float:
    """MR̄/d2(2) = MR̄/1.128 (span-2 average moving range)."""
    mr = spreads[np.isfinite(spreads)]
    return float(np.mean(mr) / D2_MR2) if mr.size else math.nan


def _per_size(fn: Callable[[Any], Any], sizes: NDArray[np.int64]) -> FloatArray:
    """``fn(sizes)`` for an elementwise constant function of the subgroup size (d2, d3, c4),
    evaluated once per distinct size and looked up: the same numbers (the same function of the
    same integers) without evaluating it for each of 10^5 subgroups."""
    sizes = np.asarray(sizes)
    if sizes.ndim != 1 or not sizes.size or sizes.dtype.kind not in "iu" or int(sizes.min()) < 0 \
            or int(sizes.max()) > 1_000_000:
        return np.asarray(fn(sizes), dtype=float)
    distinct = np.flatnonzero(np.bincount(sizes)).astype(sizes.dtype)
    table = np.full(int(distinct[-1]) + 1, np.nan)
    table[distinct] = np.asarray(fn(distinct), dtype=float)
    return table[sizes]


def _limits_range(sizes: NDArray[np.int64], sigma: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Range chart centre d2(n)σ and limits max(0, d2σ − 3d3σ), d2σ + 3d3σ (= D3·R̄, D4·R̄)."""
    dd2, dd3 = _per_size(d2_array, sizes), _per_size(d3_array, sizes)
    center = dd2 * sigma
    return center, np.maximum(center - NSIGMA * dd3 * sigma, 0.0), center + NSIGMA * dd3 * sigma


def _limits_s(sizes: NDArray[np.int64], sigma: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """S chart centre c4(n)σ and limits max(0, c4σ − 3σ√(1−c4²)), c4σ + 3σ√(1−c4²) (= B3·S̄, B4·S̄)."""
    cc = _per_size(c4, sizes)
    center = cc * sigma
    half = NSIGMA * sigma * np.sqrt(1.0 - cc**2)
    return center, np.maximum(center - half, 0.0), center + half


def _limits_mr(sizes: NDArray[np.int64], sigma: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MR chart (span 2): centre MR̄ = d2(2)σ, UCL = D4(2)·MR̄ = 3.267·MR̄, LCL = 0."""
    two = np.full(sizes.shape, 2, dtype=np.int64)
    return _limits_range(two, sigma)


@dataclass(frozen=True)
class ChartSpec:
    """One chart type: plotted spread statistic, sigma estimator and range-chart limits.

    ``sigma_estimator(sizes, spreads) -> sigma``; ``range_limits(sizes, sigma) -> (centre, lcl,
    ucl)`` per point. The X̄/I chart is always centre ± 3σ/√nᵢ.
    """

    name: str
    spread: str
    sigma_method: str
    sigma_estimator: Callable[[NDArray[np.int64], FloatArray], float]
    range_limits: Callable[[NDArray[np.int64], float], tuple[FloatArray, FloatArray, FloatArray]]


#: Chart registry (qcc's stats/sd/limits triplets, as a dict).
CHARTS: Mapping[str, ChartSpec] = {
    "xbar-r": ChartSpec("xbar-r", "range", "rbar_d2", _sigma_rbar, _limits_range),
    "xbar-s": ChartSpec("xbar-s", "sd", "sbar_c4", _sigma_sbar, _limits_s),
    "i-mr": ChartSpec("i-mr", "moving_range", "mr_d2", _sigma_mr, _limits_mr),
}


def choose_chart(sizes: ArrayLike) -> tuple[str, int]:
    """Chart type and reference subgroup size for the given subgroup sizes.

    The reference size is the most common size when more than half of the subgroups share it,
    else the largest (Minitab's rule for I-MR-R/S charts). Reference size 1 → ``i-mr``, 2–9 →
    ``xbar-r``, ≥ 10 → ``xbar-s`` (Montgomery 8th ed. §6.3: the s chart is preferred for
    n > 10 or so; AIAG SPC 2nd ed. ch. II).

    Examples
    --------
    >>> choose_chart([5, 5, 5, 4])
    ('xbar-r', 5)
    >>> choose_chart([1, 1, 1])
    ('i-mr', 1)
    """
    arr = np.asarray(sizes, dtype=np.int64)
    if arr.size == 0 or int(arr.max()) <= 1:
        return "i-mr", 1
    size, count = Counter(arr.tolist()).most_common(1)[0]
    ref = int(size) if count > arr.size / 2 else int(arr.max())
    if ref <= 1:
        ref = int(arr.max())
    return ("xbar-r" if ref <= 9 else "xbar-s"), ref


@dataclass(frozen=True)
class ControlChart:
    """A computed control chart (arrays in time order, one entry per plotted point).

    Attributes
    ----------
    chart : str
        ``xbar-r``, ``xbar-s`` or ``i-mr``.
    phase : str
        ``I`` (limits from these data) or ``II`` (limits fixed from an earlier study).
    sigma_method : str
        ``rbar_d2``, ``sbar_c4`` or ``mr_d2``.
    center, sigma : float
        Centre line (x̄̄, or x̄ for individuals) and the within-subgroup sigma (units of the data);
        NaN when not estimable.
    sizes : ndarray of int
        Subgroup size per point (1 for individuals).
    x_points, x_sigma, x_lcl, x_ucl : ndarray
        X̄ (or I) statistic, its standard deviation σ/√nᵢ and limits centre ∓ 3σ/√nᵢ.
    range_points, range_center, range_lcl, range_ucl : ndarray
        R, S or MR statistic and its centre/limits (MR: point i = |x[i+1] − x[i]|).
    reference_size : int
        Subgroup size for which the scalar limits in :meth:`scalar_limits` are quoted.
    notes : list of str
    """

    chart: str
    phase: str
    sigma_method: str
    center: float
    sigma: float
    sizes: NDArray[np.int64]
    x_points: FloatArray
    x_sigma: FloatArray
    x_lcl: FloatArray
    x_ucl: FloatArray
    range_points: FloatArray
    range_center: FloatArray
    range_lcl: FloatArray
    range_ucl: FloatArray
    reference_size: int
    notes: list[str] = field(default_factory=list)

    def scalar_limits(self) -> dict[str, float]:
        """Centre and limits for the reference subgroup size (NaN if undefined)."""
        n = np.array([max(self.reference_size, 2) if self.chart != "i-mr" else 2], dtype=np.int64)
        rc, rl, ru = CHARTS[self.chart].range_limits(n, self.sigma)
        half = NSIGMA * self.sigma / math.sqrt(max(self.reference_size, 1))
        return {
            "center": self.center,
            "lcl": self.center - half,
            "ucl": self.center + half,
            "range_center": float(rc[0]),
            "range_lcl": float(rl[0]),
            "range_ucl": float(ru[0]),
        }

    def violations(self, rules: Iterable[int] = (1, 2, 3, 4)) -> list[dict[str, Any]]:
        """Nelson-rule signals on both charts: ``[{"chart": "x"|"range", "rule", "index"}]``.

        The X̄/I chart gets every enabled rule; the range chart gets the enabled rules in
        :data:`RANGE_CHART_RULES` (rule 1: a point above the range UCL or below a positive LCL).
        Empty when sigma is not a positive finite number.
        """
        enabled = sorted(set(int(r) for r in rules))
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            return []
        out = [
            {"chart": "x", "rule": r, "index": i}
            for r, i in nelson_rules(self.x_points, self.center, self.x_sigma, enabled)
        ]
        if 1 in enabled and 1 in RANGE_RULES_BY_CHART[self.chart] and self.range_points.size:
            rp = self.range_points
            with np.errstate(invalid="ignore"):
                beyond = (rp > self.range_ucl) | ((self.range_lcl > 0) & (rp < self.range_lcl))
            out.extend({"chart": "range", "rule": 1, "index": int(i)} for i in np.flatnonzero(beyond))
        return out


def control_chart(
    x_points: ArrayLike,
    sizes: ArrayLike,
    spreads: ArrayLike,
    chart: str,
    *,
    center: float | None = None,
    sigma: float | None = None,
) -> ControlChart:
    """Shewhart chart from subgroup summaries (Phase I, or Phase II with fixed centre/sigma).

    Parameters
    ----------
    x_points : array_like
        Subgroup means (X̄ charts) or individual readings (I–MR), time order.
    sizes : array_like of int
        Subgroup sizes (all 1 for I–MR).
    spreads : array_like
        Subgroup ranges (``xbar-r``), sample SDs with ddof 1 (``xbar-s``) or the span-2 moving
        ranges |x[i+1] − x[i]| (``i-mr``, one fewer than the points). NaN for size-1 subgroups.
    chart : {"xbar-r", "xbar-s", "i-mr"}
    center, sigma : float, optional
        Phase II: judge the points against this centre line and within sigma (from a Phase I
        study) instead of estimating them from these data. Give both or neither.

    Returns
    -------
    ControlChart

    Notes
    -----
    Centre :math:`\\bar{\\bar x} = \\sum n_i \\bar x_i / \\sum n_i`. Within sigma:

    .. math::
        \\hat\\sigma_{R} = \\frac{\\sum f_i R_i / d_2(n_i)}{\\sum f_i},\\ f_i = \\frac{d_2(n_i)^2}{d_3(n_i)^2};
        \\quad
        \\hat\\sigma_{S} = \\frac{\\sum h_i s_i / c_4(n_i)}{\\sum h_i},\\ h_i = \\frac{c_4(n_i)^2}{1-c_4(n_i)^2};
        \\quad
        \\hat\\sigma_{MR} = \\overline{MR} / d_2(2)

    which for equal sizes reduce to R̄/d2, S̄/c4 and MR̄/1.128 (Minitab's "Rbar" and "Sbar"
    estimators, unbiased for unequal sizes). Limits (σ-based, so unequal sizes get limits per
    point; for equal sizes they equal the tabled-factor forms):

    .. math::
        \\bar{\\bar x} \\pm 3\\hat\\sigma/\\sqrt{n_i} \\;(= \\bar{\\bar x} \\pm A_2\\bar R = \\pm A_3 \\bar s);
        \\quad R: d_2\\hat\\sigma \\pm 3 d_3\\hat\\sigma \\;(= D_3\\bar R, D_4\\bar R);
        \\quad S: c_4\\hat\\sigma \\pm 3\\hat\\sigma\\sqrt{1-c_4^2} \\;(= B_3\\bar s, B_4\\bar s);
        \\quad MR: UCL = D_4(2)\\,\\overline{MR} = 3.267\\,\\overline{MR}

    with negative lower range limits set to 0. Montgomery's variable-sample-size X̄–s chart
    (§6.3.2) pools s̄ instead; the two differ only in the weighting of the subgroups.
    Subgroups of size 1 inside a subgrouped chart are plotted on the X̄ chart (limits ±3σ) but
    have no range point and do not enter sigma.

    Validated against: Montgomery 8th ed., piston-ring data (Table 6.3; X̄–R limits and the
    X̄–s limits of Example 6.3); table factors A2, A3, D4, B3, B4 of App. VI.

    References
    ----------
    AIAG SPC manual 2nd ed. (2005), ch. II and App. E; Montgomery, *Introduction to Statistical
    Quality Control* 8th ed., §6.2 (X̄–R), §6.3 (X̄–s, variable n), §6.4 (individuals and MR);
    Minitab 21, "Methods and formulas for Xbar-R / Xbar-S / I-MR chart" (Rbar, Sbar, average
    moving range estimators); NIST/SEMATECH e-Handbook §6.3.2.

    Examples
    --------
    >>> ch = control_chart([10.0, 12.0, 11.0, 13.0], [1, 1, 1, 1], [2.0, 1.0, 2.0], "i-mr")
    >>> round(ch.sigma, 4), round(ch.scalar_limits()["range_ucl"], 3)
    (1.477, 5.444)
    """
    if chart not in CHARTS:
        raise ValueError(f"unknown chart {chart!r}; allowed: {sorted(CHARTS)}")
    if (center is None) != (sigma is None):
        raise ValueError("Phase II needs both center and sigma")
    spec = CHARTS[chart]
    x = np.asarray(x_points, dtype=float)
    n = np.asarray(sizes, dtype=np.int64)
    sp = np.asarray(spreads, dtype=float)
    notes: list[str] = []
    phase = "I" if center is None else "II"
    if center is None:
        cen = float(np.sum(n * x) / np.sum(n)) if x.size else math.nan
        sig = spec.sigma_estimator(n, sp) if sp.size else math.nan
    else:
        cen, sig = float(center), float(sigma)  # type: ignore[arg-type]
    ref = 1 if chart == "i-mr" else choose_chart(n)[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        x_sigma = sig / np.sqrt(n.astype(float))
        x_lcl, x_ucl = cen - NSIGMA * x_sigma, cen + NSIGMA * x_sigma
        if chart == "i-mr":
            rc, rl, ru = spec.range_limits(np.full(sp.shape, 2, np.int64), sig)
        else:
            rc, rl, ru = spec.range_limits(n, sig)
    if chart != "i-mr" and np.any(n < 2):
        notes.append(
            f"{int(np.sum(n < 2))} subgroup(s) hold a single reading: plotted on the X̄ chart, "
            "no range point, not used for sigma"
        )
    if chart != "i-mr" and np.unique(n[n >= 2]).size > 1:
        notes.append(
            "unequal subgroup sizes: limits vary per point (±3σ/√nᵢ); the limits quoted are for "
            f"n = {ref}"
        )
    return ControlChart(
        chart=chart,
        phase=phase,
        sigma_method=spec.sigma_method,
        center=cen,
        sigma=sig,
        sizes=n,
        x_points=x,
        x_sigma=x_sigma,
        x_lcl=x_lcl,
        x_ucl=x_ucl,
        range_points=sp,
        range_center=rc,
        range_lcl=rl,
        range_ucl=ru,
        reference_size=ref,
        notes=notes,
    )


def chart_from_values(
    values: ArrayLike,
    subgroups: ArrayLike | None = None,
    *,
    chart: str | None = None,
    center: float | None = None,
    sigma: float | None = None,
) -> ControlChart:
    """Control chart from raw readings in time order.

    Parameters
    ----------
    values : array_like of float
        Readings in time order (no NaN).
    subgroups : array_like, optional
        Subgroup id per reading; subgroups are ordered by their first reading. None (or all
        subgroups of one reading) → individuals (I–MR).
    chart : str, optional
        Force a chart type; default from :func:`choose_chart`.
    center, sigma : float, optional
        Phase II limits (see :func:`control_chart`).

    Examples
    --------
    >>> ch = chart_from_values([1.0, 2.0, 3.0, 2.0, 3.0, 4.0], [1, 1, 1, 2, 2, 2])
    >>> ch.chart, ch.x_points.tolist(), ch.range_points.tolist()
    ('xbar-r', [2.0, 3.0], [2.0, 2.0])
    """
    v = np.asarray(values, dtype=float)
    if subgroups is None:
        ids = np.arange(v.size)
    else:
        _, first, ids = np.unique(np.asarray(subgroups), return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # rank subgroups by first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        ids = rank[ids]
    k = int(ids.max()) + 1 if v.size else 0
    sizes = np.bincount(ids, minlength=k).astype(np.int64)
    kind = chart or choose_chart(sizes)[0]
    if kind == "i-mr":
        return control_chart(v, np.ones(v.size, np.int64), np.abs(np.diff(v)), "i-mr", center=center, sigma=sigma)
    means = np.bincount(ids, weights=v, minlength=k) / sizes
    mx = np.full(k, -np.inf)
    mn = np.full(k, np.inf)
    np.maximum.at(mx, ids, v)
    np.minimum.at(mn, ids, v)
    ss = np.bincount(ids, weights=(v - means[ids]) ** 2, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.where(sizes >= 2, (mx - mn) if kind == "xbar-r" else np.sqrt(ss / (sizes - 1)), np.nan)
    return control_chart(means, sizes, spread, kind, center=center, sigma=sigma)


# --------------------------------------------------------------------------------------------
# Frame-level wrapper
# --------------------------------------------------------------------------------------------


def _stable_verdict(sig_ok: bool, has_signal: bool, n_points: int, notes: list[str]) -> bool | None:
    """``stable`` of one chart (see :func:`stability_all`), appending the notes that explain it."""
    stable: bool | None
    if not sig_ok:
        notes.append(
            "within-subgroup sigma is zero or not estimable (readings identical at the gauge "
            "resolution?): limits degenerate, run rules not evaluated"
        )
        stable = None
    elif has_signal:
        stable = False
    elif n_points < MIN_POINTS_FOR_VERDICT:
        stable = None
        notes.append(
            f"only {n_points} chart points: no rule fired, but fewer than {MIN_POINTS_FOR_VERDICT} "
            "points are no evidence of stability"
        )
    else:
        stable = True
    if sig_ok and n_points < 25 and stable is not None:
        notes.append(
            f"limits from {n_points} points are provisional (AIAG SPC 2nd ed. asks for 25 or more subgroups)"
        )
    return stable


def _no_chart_doc(rules: list[int], notes: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The result of a feature with fewer than 2 readings (no control chart)."""
    empty = np.array([], dtype=float)
    notes.append("fewer than 2 readings: no control chart")
    doc: dict[str, Any] = {
        "chart": "i-mr", "center": None, "lcl": None, "ucl": None, "range_center": None,
        "range_lcl": None, "range_ucl": None, "violations": [], "stable": None, "sigma": None,
        "sigma_method": "mr_d2", "rules": list(rules), "range_rules": [],
        "nsigma": NSIGMA, "phase": "I", "n_points": 0, "subgroup_size": 1, "subgroup_sizes": [1],
        "notes": notes,
    }
    return doc, {"x_points": empty, "range_points": empty}


def _doc(ch: ControlChart | None, rules: list[int], extra_notes: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``stability`` document and plotted series of one computed chart (see :func:`stability_all`)."""
    notes = list(extra_notes)
    if ch is None:
        return _no_chart_doc(rules, notes)
    notes.extend(ch.notes)
    lim = ch.scalar_limits()
    sig_ok = math.isfinite(ch.sigma) and ch.sigma > 0
    viol = ch.violations(rules) if sig_ok else []
    n_points = int(ch.x_points.size)
    stable = _stable_verdict(sig_ok, bool(viol), n_points, notes)
    distinct = sorted(set(int(s) for s in ch.sizes.tolist()))
    doc = {
        "chart": ch.chart,
        "center": _num(lim["center"]),
        "lcl": _num(lim["lcl"]),
        "ucl": _num(lim["ucl"]),
        "range_center": _num(lim["range_center"]),
        "range_lcl": _num(lim["range_lcl"]),
        "range_ucl": _num(lim["range_ucl"]),
        "violations": viol,
        "stable": stable,
        "sigma": _num(ch.sigma),
        "sigma_method": ch.sigma_method,
        "rules": list(rules),
        "range_rules": [r for r in rules if r in RANGE_RULES_BY_CHART[ch.chart]],
        "nsigma": NSIGMA,
        "phase": ch.phase,
        "n_points": n_points,
        "subgroup_size": distinct[0] if len(distinct) == 1 else None,
        "subgroup_sizes": distinct,
        "notes": notes,
    }
    series = {
        "x_points": ch.x_points,
        "range_points": ch.range_points,
        "x_lcl": ch.x_lcl,
        "x_ucl": ch.x_ucl,
        "range_lcl": ch.range_lcl,
        "range_ucl": ch.range_ucl,
    }
    return doc, series


# ------------------------------------------------------------------ many charts at once (flat)
def _seg_run_length(b: NDArray[np.bool_], start: NDArray[np.int64]) -> NDArray[np.int64]:
    """:func:`_run_length` of many series laid end to end: runs restart where a series starts
    (``start[i]`` = index of the first point of the series holding point i)."""
    idx = np.arange(b.size)
    last_false = np.maximum.accumulate(np.where(b, -1, idx)) if b.size else idx
    return np.where(b, idx - np.maximum(last_false, start - 1), 0)


def _seg_window_count(b: NDArray[np.bool_], m: int, start: NDArray[np.int64]) -> NDArray[np.int64]:
    """:func:`_window_count` of many series laid end to end (windows never reach into the previous series)."""
    c = np.concatenate(([0], np.cumsum(b, dtype=np.int64)))
    i = np.arange(1, b.size + 1)
    return c[i] - c[np.maximum(i - m, start)]


def _fire_flat(rule: NelsonRule, x: FloatArray, z: FloatArray, start: NDArray[np.int64]) -> NDArray[np.bool_]:
    """:func:`_fire` of many series laid end to end, as a mask: point i fires where ``_fire`` on
    its own series returns its local index ``i − start[i]`` (same definitions, series by series)."""
    k = rule.k
    pos = np.arange(x.size) - start  # index inside its own series
    if rule.kind == "beyond":
        return np.asarray(np.abs(z) > rule.zone)
    if rule.kind == "side":
        return np.asarray((_seg_run_length(z > 0, start) >= k) | (_seg_run_length(z < 0, start) >= k))
    if rule.kind == "within":
        return np.asarray(_seg_run_length(np.abs(z) < rule.zone, start) >= k)
    if rule.kind == "outside":
        return np.asarray(_seg_run_length(np.abs(z) > rule.zone, start) >= k)
    if rule.kind == "k_of_m":
        hit = np.zeros(x.size, dtype=bool)
        for side in (z > rule.zone, z < -rule.zone):
            hit |= side & (_seg_window_count(side, rule.m, start) >= k)
        return hit
    d = np.empty_like(x)  # d[i] = x[i] − x[i−1], the step into point i (first point of a series: none)
    d[1:] = x[1:] - x[:-1]
    if x.size:
        d[0] = np.nan
    has_step = pos >= 1
    if rule.kind == "trend":
        run = np.maximum(_seg_run_length(has_step & (d > 0), start), _seg_run_length(has_step & (d < 0), start))
        return np.asarray(has_step & (run >= k - 1))
    if rule.kind == "alternate":
        s = np.sign(d)
        turn = np.zeros(x.size, dtype=bool)  # steps into i−1 and into i change direction: points i−2 … i
        turn[1:] = (s[1:] * s[:-1]) < 0
        turn &= pos >= 2
        return np.asarray((pos >= 2) & (_seg_run_length(turn, start) >= k - 2))
    raise ValueError(f"unknown rule kind {rule.kind!r}")  # pragma: no cover - the table is fixed data


def _starts_of(counts: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First index of each of the series of ``counts`` points laid end to end, and per point
    the first index of its series."""
    first = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64) if counts.size else np.zeros(0, np.int64)
    return first, np.repeat(first, counts)


def _size_tables(sizes: NDArray[np.int64], counts: NDArray[np.int64]) -> list[list[tuple[int, int]]]:
    """Per series of ``counts`` points laid end to end: its distinct subgroup sizes with how often
    each occurs, ``[(size, count), …]`` by size (one ``np.unique`` for all series)."""
    if not sizes.size:
        return [[] for _ in counts.tolist()]
    series = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    width = int(sizes.max()) + 1
    keys, n_of = np.unique(series * width + sizes, return_counts=True)
    at = np.searchsorted(keys // width, np.arange(counts.size + 1)).tolist()
    pairs = list(zip((keys % width).tolist(), n_of.tolist()))
    return [pairs[at[i]:at[i + 1]] for i in range(counts.size)]


def _choose_from_sizes(table: list[tuple[int, int]]) -> tuple[str, int]:
    """:func:`choose_chart` from a series' ``(size, count)`` table (:func:`_size_tables`). The
    most common size is the reference only when it holds more than half of the subgroups, so
    which of several equally common sizes is taken never matters."""
    total = sum(c for _, c in table)
    if total == 0 or table[-1][0] <= 1:
        return "i-mr", 1
    size, count = max(table, key=lambda t: t[1])
    largest = table[-1][0]
    ref = size if count > total / 2 else largest
    if ref <= 1:
        ref = largest
    return ("xbar-r" if ref <= 9 else "xbar-s"), ref


def _rule_hits(
    x: FloatArray, z: FloatArray, start: NDArray[np.int64], ok: NDArray[np.bool_], rules: list[int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(point, rule) of every signal of the enabled rules on the points where ``ok``, sorted by
    point then rule (:func:`nelson_rules` order within each series)."""
    pts: list[NDArray[np.int64]] = []
    rls: list[NDArray[np.int64]] = []
    for r in rules:
        idx = np.flatnonzero(_fire_flat(NELSON_RULES[r], x, z, start) & ok)
        pts.append(idx)
        rls.append(np.full(idx.size, r, dtype=np.int64))
    p = np.concatenate(pts) if pts else np.zeros(0, np.int64)
    r_ = np.concatenate(rls) if rls else np.zeros(0, np.int64)
    order = np.lexsort((r_, p))
    return p[order], r_[order]


def _charts_flat(
    names: list[str],
    kinds: list[str],
    refs: list[int],
    x: FloatArray,
    sizes: NDArray[np.int64],
    x_counts: NDArray[np.int64],
    spreads: FloatArray,
    r_sizes: NDArray[np.int64],
    r_counts: NDArray[np.int64],
    rules: list[int],
    extra_notes: list[list[str]],
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Phase I charts of many features at once: what :func:`control_chart` and :func:`_doc`
    give feature by feature, computed on the features' points laid end to end.

    ``x``/``sizes``: the X̄ (or I) points of all features and their subgroup sizes, ``x_counts``
    per feature; ``spreads``: the range-chart points (R, S or MR) with the sizes their limits use
    (``r_sizes``: nᵢ, or 2 for moving ranges), ``r_counts`` per feature; ``kinds``/``refs``: chart
    and reference size per feature (:func:`choose_chart`). Per-point arithmetic (σ/√nᵢ, limits,
    z, run rules) is elementwise on the whole arrays, in the same operations as the per-feature
    functions; the per-feature sums (centre, σ estimator) are numpy sums of each feature's slice
    (``np.add.reduceat`` would add in another order) — every number equals the per-feature
    computation bit for bit (tests/test_stats_stability.py keeps that computation as reference).
    """
    nf = len(names)
    out: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    if nf == 0:
        return out
    x_first, x_start = _starts_of(x_counts)
    r_first, _ = _starts_of(r_counts)
    is_mr = np.array([k == "i-mr" for k in kinds], dtype=bool)
    is_s = np.array([k == "xbar-s" for k in kinds], dtype=bool)
    pt_mr = np.repeat(is_mr, r_counts)
    pt_s = np.repeat(is_s, r_counts)
    # centre Σnᵢx̄ᵢ / Σnᵢ (control_chart)
    nx = sizes * x
    n_sum = np.add.reduceat(sizes, x_first) if sizes.size else np.zeros(0, np.int64)  # integers: exact in any order
    center = np.array([float(np.sum(nx[a:a + c]) / t)
                       for a, c, t in zip(x_first.tolist(), x_counts.tolist(), n_sum)], dtype=float)
    tables = _size_tables(sizes, x_counts)
    # σ: MR̄/d2(2); Σfᵢrᵢ/d2(nᵢ) / Σfᵢ; Σhᵢsᵢ/c4(nᵢ) / Σhᵢ over the usable spreads (_sigma_mr/_rbar/_sbar)
    with np.errstate(invalid="ignore", divide="ignore"):
        usable = np.isfinite(spreads) & (pt_mr | (r_sizes >= 2))
        dd2, dd3 = _per_size(d2_array, r_sizes), _per_size(d3_array, r_sizes)
        cc = _per_size(c4, r_sizes)
        f = dd2**2 / dd3**2
        h = cc**2 / (1.0 - cc**2)
        num = np.where(pt_mr, spreads, np.where(pt_s, h * spreads / cc, f * spreads / dd2))[usable]
        den = np.where(pt_s, h, f)[usable]
    u_counts = np.bincount(np.repeat(np.arange(nf), r_counts)[usable], minlength=nf).astype(np.int64)
    u_first, _ = _starts_of(u_counts)
    sigma = np.full(nf, np.nan)
    for i, (a, c) in enumerate(zip(u_first.tolist(), u_counts.tolist())):
        if c:
            sigma[i] = (float(np.mean(num[a:a + c]) / D2_MR2) if is_mr[i]
                        else float(np.sum(num[a:a + c]) / np.sum(den[a:a + c])))
    sig_ok = np.isfinite(sigma) & (sigma > 0)
    ref = np.asarray(refs, dtype=np.int64)
    # per-point limits, standardised points; quoted limits at the reference size (scalar_limits)
    sig_r = np.repeat(sigma, r_counts)
    cen_x = np.repeat(center, x_counts)
    r_lcl = np.empty(spreads.size)
    r_ucl = np.empty(spreads.size)
    rc_q, rl_q, ru_q = np.empty(nf), np.empty(nf), np.empty(nf)
    ref_r = np.where(is_mr, 2, np.maximum(ref, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        x_sigma = np.repeat(sigma, x_counts) / np.sqrt(sizes.astype(float))
        x_lcl, x_ucl = cen_x - NSIGMA * x_sigma, cen_x + NSIGMA * x_sigma
        z = (x - cen_x) / x_sigma
        for mask, limits in ((~pt_s, _limits_range), (pt_s, _limits_s)):
            _, r_lcl[mask], r_ucl[mask] = limits(r_sizes[mask], sig_r[mask])
        for fmask, limits in ((~is_s, _limits_range), (is_s, _limits_s)):
            rc_q[fmask], rl_q[fmask], ru_q[fmask] = limits(ref_r[fmask], sigma[fmask])
        half = NSIGMA * sigma / np.sqrt(np.maximum(ref, 1).astype(float))
        beyond = (spreads > r_ucl) | ((r_lcl > 0) & (spreads < r_lcl))
    # signals: X̄/I chart every enabled rule, range chart rule 1 (ControlChart.violations)
    hit_p, hit_r = _rule_hits(x, z, x_start, np.repeat(sig_ok, x_counts), rules)
    hit_at = np.searchsorted(hit_p, np.append(x_first, x.size)).tolist()
    range_on = np.array([1 in rules and 1 in RANGE_RULES_BY_CHART[k] for k in kinds], dtype=bool) & sig_ok
    r_hits = np.flatnonzero(beyond & np.repeat(range_on, r_counts))
    r_at = np.searchsorted(r_hits, np.append(r_first, spreads.size)).tolist()
    hp, hr, rh = hit_p.tolist(), hit_r.tolist(), r_hits.tolist()
    for i, feat in enumerate(names):
        a, b = int(x_first[i]), int(x_first[i] + x_counts[i])
        ra, rb = int(r_first[i]), int(r_first[i] + r_counts[i])
        kind = kinds[i]
        notes = list(extra_notes[i])
        distinct = [1] if kind == "i-mr" else [size for size, _ in tables[i]]
        if kind != "i-mr":
            n_single = sum(c for size, c in tables[i] if size < 2)
            if n_single:
                notes.append(f"{n_single} subgroup(s) hold a single reading: plotted on the X̄ chart, "
                             "no range point, not used for sigma")
            if sum(1 for s in distinct if s >= 2) > 1:
                notes.append("unequal subgroup sizes: limits vary per point (±3σ/√nᵢ); the limits quoted are "
                             f"for n = {refs[i]}")
        viol: list[dict[str, Any]] = [{"chart": "x", "rule": r, "index": p - a}
                                      for p, r in zip(hp[hit_at[i]:hit_at[i + 1]], hr[hit_at[i]:hit_at[i + 1]])]
        viol.extend({"chart": "range", "rule": 1, "index": p - ra} for p in rh[r_at[i]:r_at[i + 1]])
        n_points = b - a
        stable = _stable_verdict(bool(sig_ok[i]), bool(viol), n_points, notes)
        c_i, h_i = float(center[i]), float(half[i])
        doc = {
            "chart": kind,
            "center": _num(c_i),
            "lcl": _num(c_i - h_i),
            "ucl": _num(c_i + h_i),
            "range_center": _num(rc_q[i]),
            "range_lcl": _num(rl_q[i]),
            "range_ucl": _num(ru_q[i]),
            "violations": viol,
            "stable": stable,
            "sigma": _num(sigma[i]),
            "sigma_method": CHARTS[kind].sigma_method,
            "rules": list(rules),
            "range_rules": [r for r in rules if r in RANGE_RULES_BY_CHART[kind]],
            "nsigma": NSIGMA,
            "phase": "I",
            "n_points": n_points,
            "subgroup_size": distinct[0] if len(distinct) == 1 else None,
            "subgroup_sizes": distinct,
            "notes": notes,
        }
        series = {
            "x_points": x[a:b],
            "range_points": spreads[ra:rb],
            "x_lcl": x_lcl[a:b],
            "x_ucl": x_ucl[a:b],
            "range_lcl": r_lcl[ra:rb],
            "range_ucl": r_ucl[ra:rb],
        }
        out[feat] = (doc, series)
    return out


def feature_sort_code(features: pl.Series) -> pl.Expr:
    """``pl.col("feature")`` as integer codes numbered in polars' own sort order of the names:
    sorting by the code orders rows exactly as sorting by the name, without comparing strings
    (a third of the time of a sort of 10^6 readings). Names must not be null."""
    return pl.col("feature").cast(pl.Enum(features.unique().sort())).to_physical().alias("_feature_code")


def _sorted_subgroups(sg: pl.DataFrame) -> pl.DataFrame:
    """The subgroup table sorted by feature, first sequence, subgroup (missing last): what
    ``sg.sort(["_feature_code", "first_seq", "subgroup"], nulls_last=True)`` gives, by one
    ``np.lexsort`` of integer keys when both columns are integers (the keys are unique per row,
    so the order is the same)."""
    keys = ("_feature_code", "first_seq", "subgroup")
    if not all(sg[c].dtype.is_integer() for c in keys):
        return sg.sort(list(keys), nulls_last=True)
    cols = []
    for c in ("subgroup", "first_seq"):  # least significant first; a null sorts after every number
        cols += [sg[c].fill_null(0).to_numpy(), sg[c].is_null().to_numpy()]
    order = np.lexsort((*cols, sg["_feature_code"].to_numpy()))
    return sg[order]


def stability_all(meas: pl.DataFrame, settings: Settings) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Control chart and Nelson rules for every feature.

    Parameters
    ----------
    meas : pl.DataFrame
        Canonical measurements (:data:`pilotqa.model.MEASUREMENT_SCHEMA`), null values dropped.
    settings : Settings
        ``settings.rules`` = enabled Nelson rules.

    Returns
    -------
    dict
        feature → (doc, series). ``doc`` is the JSON ``stability`` object: ``chart``, ``center``,
        ``lcl``, ``ucl``, ``range_center``, ``range_lcl``, ``range_ucl`` (units of the data; for
        unequal subgroup sizes quoted at the reference size), ``violations`` [{``chart``,
        ``rule``, ``index``}], ``stable`` (null when sigma is zero/undefined or, without any
        signal, with fewer than :data:`MIN_POINTS_FOR_VERDICT` points), ``sigma``,
        ``sigma_method``, ``rules``, ``range_rules``, ``nsigma``, ``phase``, ``n_points``,
        ``subgroup_size`` (null if sizes vary), ``subgroup_sizes``, ``notes``. ``series`` holds
        ``x_points``, ``range_points`` and per-point limits ``x_lcl``, ``x_ucl``, ``range_lcl``,
        ``range_ucl`` (numpy arrays, time order).

    Notes
    -----
    Structure per feature: a null subgroup on any reading, or every subgroup holding one
    reading → individuals (I–MR), points ordered by sequence; otherwise subgroups ordered by
    their first sequence, chart by :func:`choose_chart`. Subgroup means, ranges, SDs and sizes
    of all features come from one polars ``group_by``; moving ranges from one windowed
    expression. The charts of all features are then computed together on their points laid end
    to end (limits, standardised points and run rules elementwise; centre and σ per feature's
    slice), equal to :func:`control_chart` and :func:`nelson_rules` feature by feature. See
    :func:`control_chart` for the formulas and :func:`nelson_rules` for the rules.

    References
    ----------
    AIAG SPC manual 2nd ed., ch. II; Montgomery 8th ed., ch. 6; Nelson (1984), JQT 16(4).

    Examples
    --------
    >>> import polars as pl
    >>> m = pl.DataFrame({"part_id": [str(i) for i in range(12)], "lot": ["L1"] * 12,
    ...     "subgroup": [None] * 12, "sequence": list(range(12)), "timestamp": [None] * 12,
    ...     "feature": ["F"] * 12, "value": [0.0, 1.0] * 6},
    ...     schema_overrides={"subgroup": pl.Int64, "timestamp": pl.Datetime("us")})
    >>> doc, series = stability_all(m, Settings())["F"]
    >>> doc["chart"], doc["sigma_method"], round(doc["sigma"], 4), doc["stable"]
    ('i-mr', 'mr_d2', 0.8862, True)
    """
    rules = sorted(set(int(r) for r in settings.rules))
    bad = [r for r in rules if r not in NELSON_RULES]
    if bad:
        raise ValueError(f"unknown Nelson rule(s) {bad}; allowed: {sorted(NELSON_RULES)}")
    out: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    if meas.height == 0:
        return out
    m = meas.select("feature", "subgroup", "sequence", "value")
    # one pass over the readings: per (feature, subgroup) its size, mean, range, SD, first sequence
    per_sub = m.group_by("feature", "subgroup").agg(
        pl.len().alias("n"),
        pl.col("value").mean().alias("mean"),
        (pl.col("value").max() - pl.col("value").min()).alias("range"),
        pl.col("value").std(ddof=1).alias("sd"),
        pl.col("sequence").min().alias("first_seq"),
    )
    structure = (
        per_sub
        .group_by("feature")
        .agg(
            pl.col("n").filter(pl.col("subgroup").is_null()).sum().alias("null_rows"),
            pl.col("n").filter(pl.col("subgroup").is_not_null()).max().alias("max_n"),
        )
        .with_columns(
            ((pl.col("null_rows") > 0) | (pl.col("max_n").fill_null(1) <= 1)).alias("individuals"),
            ((pl.col("null_rows") > 0) & pl.col("max_n").is_not_null()).alias("mixed"),
        )
    )
    indiv_features = set(structure.filter(pl.col("individuals"))["feature"].to_list())
    mixed = set(structure.filter(pl.col("mixed"))["feature"].to_list())
    names: list[str] = []
    kinds: list[str] = []
    refs: list[int] = []
    extra: list[list[str]] = []
    xs: list[FloatArray] = []
    ns: list[NDArray[np.int64]] = []
    sps: list[FloatArray] = []
    rns: list[NDArray[np.int64]] = []
    x_counts: list[NDArray[np.int64]] = []
    r_counts: list[NDArray[np.int64]] = []

    # Individuals: values and span-2 moving ranges for all features in one pass.
    ind = (
        m.filter(pl.col("feature").is_in(list(indiv_features)))
        .with_columns(feature_sort_code(m["feature"]))
        .sort(["_feature_code", "sequence"], nulls_last=True, maintain_order=True)
        .with_columns(pl.col("value").diff().abs().over("feature").alias("mr"))
    )
    if ind.height:
        counts = np.bincount(ind["_feature_code"].rle_id().to_numpy()).astype(np.int64)
        first, _ = _starts_of(counts)
        feats = ind["feature"].gather(first).to_list()
        v = ind["value"].to_numpy().astype(float)
        mr = ind["mr"].to_numpy().astype(float)
        charted = counts >= 2
        for feat, c, ok in zip(feats, counts.tolist(), charted.tolist()):
            notes = ["some readings carry no subgroup: the feature is charted as individuals (I–MR)"] if feat in mixed else []
            if ok:
                names.append(str(feat))
                kinds.append("i-mr")
                refs.append(1)
                extra.append(notes)
            else:
                out[str(feat)] = _no_chart_doc(rules, notes)
        keep = np.repeat(charted, counts)
        not_first = np.ones(v.size, dtype=bool)
        not_first[first] = False
        kept = counts[charted]
        xs.append(v[keep])
        ns.append(np.ones(int(kept.sum()), dtype=np.int64))
        sps.append(mr[keep & not_first])
        rns.append(np.full(int(kept.sum() - kept.size), 2, dtype=np.int64))
        x_counts.append(kept)
        r_counts.append(kept - 1)

    # Subgroups: one group_by for all features.
    sg = per_sub.filter(~pl.col("feature").is_in(list(indiv_features))).with_columns(
        feature_sort_code(per_sub["feature"]))
    sg = _sorted_subgroups(sg)
    if sg.height:
        counts = np.bincount(sg["_feature_code"].rle_id().to_numpy()).astype(np.int64)
        first, _ = _starts_of(counts)
        n = sg["n"].to_numpy().astype(np.int64)
        use_sd = np.zeros(n.size, dtype=bool)
        tables = _size_tables(n, counts)
        for feat, a, c, table in zip(sg["feature"].gather(first).to_list(), first.tolist(), counts.tolist(), tables):
            kind, ref = _choose_from_sizes(table)
            names.append(str(feat))
            kinds.append(kind)
            refs.append(ref)
            extra.append([])
            use_sd[a:a + c] = kind == "xbar-s"
        spread = np.where(use_sd, sg["sd"].fill_null(float("nan")).to_numpy().astype(float),
                          sg["range"].fill_null(float("nan")).to_numpy().astype(float))
        xs.append(sg["mean"].to_numpy().astype(float))
        ns.append(n)
        sps.append(np.where(n >= 2, spread, np.nan))
        rns.append(n)
        x_counts.append(counts)
        r_counts.append(counts)

    if names:
        out.update(_charts_flat(
            names, kinds, refs, np.concatenate(xs), np.concatenate(ns), np.concatenate(x_counts),
            np.concatenate(sps), np.concatenate(rns), np.concatenate(r_counts), rules, extra))
    order = [*(f for f in (ind["feature"].unique(maintain_order=True).to_list() if ind.height else [])),
             *(f for f in (sg["feature"].unique(maintain_order=True).to_list() if sg.height else []))]
    return {f: out[f] for f in order}
