"""Plotly figure specifications (plain JSON dicts) of the per-characteristic "capability sixpack".

One figure per characteristic with six panels, built as plotly.js JSON by hand (no
``plotly.graph_objects``: validating thousands of figure objects would dominate the report's
write time, and the JSON is all the browser needs):

====================  ======================================================================
panel                 content
====================  ======================================================================
histogram             binned counts (``numpy.histogram``, never raw values), LSL/USL/nominal,
                      normal densities (overall and within σ) and the chosen model's density
probability plot      ordered readings against the chosen model's quantiles at Benard's
                      median ranks, the x axis labelled in cumulative percent
X̄ / I chart           centre line and limits from ``stats.stability``, rule-breaking points
R / S / MR chart      idem for the dispersion chart
run chart             readings by sequence coloured by lot, LSL/USL, the OLS drift line
box plot by lot       quartiles and fences computed here (plotly draws them precomputed)
====================  ======================================================================

Large n stays light: histogram and box plot send summaries only, run and control charts are
decimated to at most ``max_points`` points (minimum and maximum per bucket, so extremes survive;
rule-breaking points are always drawn). Every text that came from input (lot names, units) is
HTML-escaped for plotly's pseudo-HTML text renderer.

References: Benard & Bos-Levenbach (1953) median-rank approximation (i − 0.3)/(n + 0.4); NIST/
SEMATECH e-Handbook §1.3.3.21 (probability plot) and §1.3.3.14 (histogram); Montgomery,
*Introduction to Statistical Quality Control*, 8th ed., ch. 6 (control charts); Tukey (1977)
box-plot fences Q1 − 1.5 IQR, Q3 + 1.5 IQR.
"""
from __future__ import annotations

import functools
import html
import math
from typing import Any, Mapping

import numpy as np

from pilotqa.results import FeatureStats, Stability, Violation
from pilotqa.util import finite_or_none as _num
from pilotqa.util import json_safe

__all__ = [
    "MAX_POINTS",
    "LOT_COLORS",
    "sixpack",
    "frozen_model",
    "decimate_minmax",
    "histogram_counts",
    "median_ranks",
    "box_stats",
    "point_serials",
    "attribute_chart",
]

#: Points per run/control-chart trace above which the series is decimated.
MAX_POINTS = 5000

#: Okabe–Ito colour-blind-safe palette, cycled over lots.
LOT_COLORS: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                               "#D55E00", "#F0E442", "#000000")
_BAR = "#9db4cc"
_LIMIT = "#c0392b"
_NOMINAL = "#2e7d32"
_CENTER = "#2e7d32"
_VIOL = "#d62728"

# x-axis / y-axis names of the six panels, and their domains (paper fractions).
_COLS = ((0.0, 0.45), (0.56, 1.0))
_ROWS = ((0.74, 1.0), (0.38, 0.63), (0.0, 0.27))
_PANELS = (  # (axis suffix, column, row, title)
    ("", 0, 0, "Histogram"),
    ("2", 1, 0, "Probability plot"),
    ("3", 0, 1, "Individuals"),
    ("4", 1, 1, "Run chart by lot, drift fit"),
    ("5", 0, 2, "Moving range"),
    ("6", 1, 2, "Box plot by lot"),
)


def _t(text: Any) -> str:
    """Input text for plotly's pseudo-HTML renderer: ``< > &`` as entities (shown literally)."""
    return _escape_str(text) if type(text) is str else html.escape(str(text), quote=False)


@functools.lru_cache(maxsize=1 << 16)
def _escape_str(text: str) -> str:
    """:func:`_t` of a string, cached: the same serials and lot names recur in every figure."""
    return html.escape(text, quote=False)


def _r(x: Any, sig: int = 6) -> Any:
    """Round a computed float (or array) to ``sig`` significant digits; non-finite -> None.

    The rounding is ``float(f"{x:.{sig}g}")`` (correctly rounded decimal, the digits plotly
    shows); arrays are rounded in one list comprehension over ``ndarray.tolist()``.
    """
    if isinstance(x, np.ndarray) or isinstance(x, (list, tuple)):
        vals = np.asarray(x, dtype=float).tolist()
        spec = f".{sig}g"
        if all(map(math.isfinite, vals)):
            return [float(format(v, spec)) for v in vals]
        return [float(format(v, spec)) if math.isfinite(v) else None for v in vals]
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{sig}g}")


_PLAIN = frozenset({str, int, bool, type(None)})
_PLAIN_OR_FLOAT = _PLAIN | {float}


def _json_clean(obj: Any) -> Any:
    """:func:`pilotqa.util.json_safe` of a figure, with fast paths for its long flat lists.

    The same result as ``json_safe(obj)`` (non-finite floats -> None, tuples -> lists, numpy
    scalars -> Python numbers, dict keys -> str): lists of plain values are checked by their
    element types at once instead of one recursive call per element; anything else goes to
    ``json_safe``.
    """
    t = type(obj)
    if t is dict:
        return {k if type(k) is str else str(k): _json_clean(v) for k, v in obj.items()}
    if t is list or t is tuple:
        kinds = set(map(type, obj))
        if kinds <= _PLAIN:
            return list(obj)
        if kinds <= _PLAIN_OR_FLOAT:
            if str not in kinds:
                # a sum of numbers is finite only when each one is (an overflow of the sum
                # itself only sends the list to the element-wise check); None is skipped
                try:
                    if math.isfinite(sum(filter(None, obj))):
                        return list(obj)
                except OverflowError:  # an int too large for a float
                    pass
            return [v if type(v) is not float or math.isfinite(v) else None for v in obj]
        return [_json_clean(v) for v in obj]
    if t is float:
        return obj if math.isfinite(obj) else None
    if t in _PLAIN:
        return obj
    return json_safe(obj)


def _raw(a: np.ndarray) -> list[Any]:
    """Readings as they are (their repr is already short), non-finite -> None."""
    out: list[Any] = np.asarray(a, dtype=float).tolist()
    if not np.all(np.isfinite(a)):
        out = [v if math.isfinite(v) else None for v in out]
    return out


def decimate_minmax(y: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of a min/max decimation of ``y`` to at most ``max_points`` points.

    The series is cut into ``max_points // 2`` consecutive buckets; each bucket keeps the
    index of its minimum and of its maximum (in time order), so spikes and steps stay visible.
    Returns all indices when ``y`` is short enough.
    """
    n = int(y.size)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep: list[int] = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        seg = y[a:b]
        i, j = a + int(np.argmin(seg)), a + int(np.argmax(seg))
        keep.extend((i, j) if i <= j else (j, i))
    return np.unique(np.asarray(keep, dtype=int))


def histogram_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.histogram`` with numpy's "auto" bin rule (max of Sturges and Freedman–Diaconis),
    clipped to 5–60 bins. Returns (counts, edges)."""
    if values.size == 0:
        return np.zeros(0, dtype=int), np.zeros(1)
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        w = abs(lo) * 1e-3 or 1e-3
        a, b = lo - w, hi + w
        # readings at the float limit (±1.8e308): the widened end would overflow; keep the value
        return np.histogram(values, bins=1, range=(a if np.isfinite(a) else lo, b if np.isfinite(b) else hi))
    if not np.isfinite(hi - lo):  # a span past the float range (readings near ±1e308): 5 bins
        return np.histogram(values, bins=np.linspace(lo / 2, hi / 2, 6) * 2)
    edges = np.histogram_bin_edges(values, bins="auto")
    bins = int(min(60, max(5, edges.size - 1)))
    return np.histogram(values, bins=bins)


def median_ranks(n: int) -> np.ndarray:
    """Benard's approximation of median ranks, p_i = (i − 0.3) / (n + 0.4), i = 1..n."""
    return (np.arange(1, n + 1) - 0.3) / (n + 0.4)


def box_stats(values: np.ndarray) -> dict[str, Any]:
    """Quartiles (linear interpolation, as plotly's default), Tukey fences clipped to the data,
    mean and the points outside the fences."""
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    iqr = q3 - q1
    inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
    lf = float(inside.min()) if inside.size else float(q1)
    uf = float(inside.max()) if inside.size else float(q3)
    out = values[(values < lf) | (values > uf)]
    return {"q1": float(q1), "median": float(med), "q3": float(q3), "lowerfence": lf,
            "upperfence": uf, "mean": float(values.mean()), "outliers": out}


# ---------------------------------------------------------------- distribution of the model
def frozen_model(distribution: str, params: Mapping[str, float | None]) -> Any | None:
    """A frozen scipy.stats distribution (``pdf``/``ppf``) of a capability model, or None.

    ``distribution``/``params`` as :class:`pilotqa.results.CapabilityModel` holds them: the
    normal model as ``"normal"`` with ``mean``/``sd``; a fitted model by its scipy.stats name
    with scipy's parameter names (shapes, ``loc``, ``scale``). An unknown name, a missing
    parameter or a scale ≤ 0 gives None (the report then draws the normal curves only).
    """
    spec = _model_spec(distribution, params)
    if spec is None:
        return None
    dist, args, kw = spec
    try:
        return dist(*args, **kw)
    except (TypeError, ValueError, OverflowError):
        return None


def _model_spec(distribution: str, params: Mapping[str, float | None]
                ) -> tuple[Any, tuple[float, ...], dict[str, float]] | None:
    """(scipy distribution, shape arguments, loc/scale) of :func:`frozen_model`, or None."""
    from scipy import stats

    p = {k: v for k, v in ((str(k), _num(v)) for k, v in params.items()) if v is not None}
    if distribution == "normal":
        if "mean" not in p or p.get("sd", 0.0) <= 0:
            return None
        return stats.norm, (), {"loc": p["mean"], "scale": p["sd"]}
    dist = getattr(stats, distribution, None)
    if not isinstance(dist, stats.rv_continuous):
        return None
    shapes = [s.strip() for s in dist.shapes.split(",")] if dist.shapes else []
    if any(s not in p for s in shapes) or p.get("scale", 1.0) <= 0:
        return None
    return dist, tuple(p[s] for s in shapes), {k: p[k] for k in ("loc", "scale") if k in p}


class _Model:
    """``pdf``/``ppf`` of a scipy distribution at fixed parameters, as a frozen distribution
    computes them (``dist.pdf(x, *args, **kw)``) without freezing: scipy's ``rv_frozen`` builds
    a new distribution instance (with its docstring) each time, ~5 ms per figure."""

    def __init__(self, dist: Any, args: tuple[float, ...], kw: dict[str, float]) -> None:
        shapes, _, _ = dist._parse_args(*args, **kw)  # the checks rv_frozen.__init__ makes
        dist._get_support(*shapes)
        self._dist, self._args, self._kw = dist, args, kw

    def pdf(self, x: Any) -> Any:
        return self._dist.pdf(x, *self._args, **self._kw)

    def ppf(self, q: Any) -> Any:
        return self._dist.ppf(q, *self._args, **self._kw)


def _light_model(distribution: str, params: Mapping[str, float | None]) -> _Model | None:
    """:func:`frozen_model` as a :class:`_Model` (same pdf/ppf values, no freezing)."""
    spec = _model_spec(distribution, params)
    if spec is None:
        return None
    try:
        return _Model(*spec)
    except (TypeError, ValueError, OverflowError):
        return None


# ---------------------------------------------------------------- panels
def _vline(x: float, axis: str, color: str, dash: str = "dash") -> dict[str, Any]:
    return {"type": "line", "xref": f"x{axis}", "yref": f"y{axis} domain", "x0": x, "x1": x,
            "y0": 0, "y1": 1, "line": {"color": color, "width": 1.5, "dash": dash}}


def _hline(y: float, axis: str, color: str, dash: str = "dash") -> dict[str, Any]:
    return {"type": "line", "xref": f"x{axis} domain", "yref": f"y{axis}", "x0": 0, "x1": 1,
            "y0": y, "y1": y, "line": {"color": color, "width": 1.2, "dash": dash}}


def _label(text: str, x: Any, y: Any, axis: str, vertical: bool, color: str) -> dict[str, Any]:
    if vertical:  # label at the top of a vertical line
        return {"text": text, "x": x, "y": 1, "xref": f"x{axis}", "yref": f"y{axis} domain",
                "showarrow": False, "yanchor": "bottom", "font": {"size": 9, "color": color}}
    return {"text": text, "x": 1, "y": y, "xref": f"x{axis} domain", "yref": f"y{axis}",
            "showarrow": False, "xanchor": "left", "font": {"size": 9, "color": color}}


def _spec_lines(fs: FeatureStats, axis: str, vertical: bool, shapes: list[Any],
                notes: list[Any], nominal: bool = True) -> list[float]:
    pts: list[float] = []
    items = [("LSL", fs.lsl, _LIMIT), ("USL", fs.usl, _LIMIT)]
    if nominal:
        items.append(("Nom", fs.nominal, _NOMINAL))
    seen: dict[float, dict[str, Any]] = {}
    for label, x, color in items:
        v = _num(x)
        if v is None:
            continue
        if v in seen:  # e.g. LSL = nominal: one line, one joined label
            seen[v]["text"] += "/" + label
            continue
        pts.append(v)
        shapes.append(_vline(v, axis, color) if vertical else _hline(v, axis, color))
        seen[v] = _label(label, v, v, axis, vertical, color)
        notes.append(seen[v])
    return pts


def _histogram(fs: FeatureStats, v: np.ndarray, model: Any, traces: list[Any],
               shapes: list[Any], notes: list[Any]) -> None:
    counts, edges = histogram_counts(v)
    if counts.size:
        centers = (edges[:-1] + edges[1:]) / 2
        width = float(edges[1] - edges[0])
        traces.append({"type": "bar", "x": _r(centers, 8), "y": counts.tolist(), "width": width,
                       "marker": {"color": _BAR, "line": {"color": "#6d87a3", "width": 0.5}},
                       "name": "readings", "showlegend": False,
                       "hovertemplate": "%{x}: %{y}<extra></extra>"})
    pts = _spec_lines(fs, "", True, shapes, notes)
    if v.size < 2:
        return
    from scipy import stats

    lo = min([float(v.min())] + pts)
    hi = max([float(v.max())] + pts)
    pad = 0.05 * (hi - lo or abs(hi) or 1.0)
    grid = np.linspace(lo - pad, hi + pad, 121)
    scale = v.size * (float(edges[1] - edges[0]) if edges.size > 1 else 1.0)
    mean = float(v.mean())
    curves = [("normal (overall σ)", _num(fs.sigma_overall), "#1f3b73", "solid"),
              ("normal (within σ)", _num(fs.sigma_within), "#1f3b73", "dot")]
    for name, sigma, color, dash in curves:
        if sigma and sigma > 0:
            traces.append({"type": "scatter", "mode": "lines", "x": _r(grid, 8),
                           "y": _r(stats.norm.pdf(grid, mean, sigma) * scale),
                           "name": name, "line": {"color": color, "dash": dash, "width": 1.5},
                           "hoverinfo": "skip"})
    cm = fs.capability_model
    if model is not None and cm is not None and cm.distribution.lower() not in ("normal", "norm"):
        with np.errstate(all="ignore"):
            dens = np.asarray(model.pdf(grid), dtype=float) * scale
        traces.append({"type": "scatter", "mode": "lines", "x": _r(grid, 8), "y": _r(dens),
                       "name": _t(cm.distribution), "hoverinfo": "skip",
                       "line": {"color": "#E69F00", "width": 2}})


def _probability(fs: FeatureStats, v: np.ndarray, model: Any, traces: list[Any],
                 layout: dict[str, Any], max_points: int,
                 serials: list[str] | None = None) -> str:
    from scipy import stats

    cm = fs.capability_model
    label = (cm.distribution if cm is not None else "") or "normal" if model is not None else "normal"
    if model is None:
        sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
        if sd <= 0:
            return label
        model = _Model(stats.norm, (), {"loc": float(v.mean()), "scale": sd})
    rank = np.argsort(v, kind="stable")
    ys = v[rank]
    p = median_ranks(ys.size)
    with np.errstate(all="ignore"):
        xs = np.asarray(model.ppf(p), dtype=float)
    ok = np.isfinite(xs)
    xs, ys, rank = xs[ok], ys[ok], rank[ok]
    if ys.size > max_points:
        idx = np.unique(np.linspace(0, ys.size - 1, max_points).astype(int))
        xs, ys, rank = xs[idx], ys[idx], rank[idx]
    traces.append({"type": "scatter", "mode": "markers", "x": _r(xs, 8), "y": _raw(ys),
                   "xaxis": "x2", "yaxis": "y2", "name": "readings", "showlegend": False,
                   "marker": {"size": 4, "color": "#1f3b73"},
                   "customdata": _serials_at(serials, rank, v.size),
                   "hovertemplate": "model %{x}<br>reading %{y}<br>serial %{customdata}"
                                    "<extra></extra>"})
    if xs.size:
        lo, hi = float(min(xs.min(), ys.min())), float(max(xs.max(), ys.max()))
        traces.append({"type": "scatter", "mode": "lines", "x": _r([lo, hi], 8),
                       "y": _r([lo, hi], 8), "xaxis": "x2", "yaxis": "y2", "showlegend": False,
                       "line": {"color": "#E69F00", "width": 1.5}, "hoverinfo": "skip"})
    probs = np.array([0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999])
    with np.errstate(all="ignore"):
        tv = np.asarray(model.ppf(probs), dtype=float)
    keep = np.isfinite(tv)
    probs, tv = probs[keep], tv[keep]
    if tv.size > 1:  # drop ticks that would print on top of each other (skewed models)
        span = float(tv.max() - tv.min()) or 1.0
        sel = [int(np.argmin(np.abs(probs - 0.5)))]
        for j in range(sel[0] + 1, tv.size):
            if tv[j] - tv[sel[-1]] >= 0.09 * span:
                sel.append(j)
        for j in range(sel[0] - 1, -1, -1):
            if tv[min(sel)] - tv[j] >= 0.09 * span:
                sel.insert(0, j)
        probs, tv = probs[sorted(sel)], tv[sorted(sel)]
    layout["xaxis2"].update({"tickmode": "array", "tickvals": _r(tv, 8),
                             "ticktext": [f"{100 * q:g} %" for q in probs],
                             "tickangle": 0})
    return label


def _varying(a: Any, n: int) -> np.ndarray | None:
    """Per-point limits (unequal subgroup sizes) when they really vary, else None."""
    if a is None:
        return None
    arr = np.asarray(a, dtype=float)
    if arr.size != n or not np.isfinite(arr).any():
        return None
    fin = arr[np.isfinite(arr)]
    if float(fin.max() - fin.min()) <= 1e-9 * max(1.0, float(np.abs(fin).max())):
        return None
    return arr


#: Hover text of a chart point: its 1-based number, the value and the serial(s) (customdata).
_POINT_HOVER = "point %{x}: %{y}<br>serial %{customdata}<extra></extra>"


def _serials_at(serials: list[str] | None, idx: Any, n: int) -> list[str]:
    """The (plotly-escaped) serials of points ``idx``; "—" where unknown."""
    if serials is None or len(serials) != n:
        return ["—" for _ in idx]
    esc = _escape_str
    return [esc(s) if type(s) is str else _t(s)
            for s in map(serials.__getitem__, np.asarray(idx, dtype=np.intp).tolist())]


def _control(values: np.ndarray, start: int, axis: str, center: float | None,
             lcl: float | None, ucl: float | None, violations: tuple[Violation, ...], chart: str,
             traces: list[Any], shapes: list[Any],
             notes: list[Any], max_points: int,
             limits: tuple[Any, Any] = (None, None), serials: list[str] | None = None) -> None:
    y = np.asarray(values, dtype=float)
    x = np.arange(start, start + y.size)
    keep = decimate_minmax(np.nan_to_num(y), max_points)
    traces.append({"type": "scatter", "mode": "lines+markers" if y.size <= 500 else "lines",
                   "x": x[keep].tolist(), "y": _raw(y[keep]), "xaxis": f"x{axis}",
                   "yaxis": f"y{axis}", "showlegend": False,
                   "line": {"color": "#1f3b73", "width": 1}, "marker": {"size": 3},
                   "customdata": _serials_at(serials, keep, y.size),
                   "hovertemplate": _POINT_HOVER})
    var_lcl, var_ucl = _varying(limits[0], y.size), _varying(limits[1], y.size)
    for label, line, color, dash in (("UCL", ucl, _LIMIT, "dash"),
                                     ("CL", center, _CENTER, "solid"), ("LCL", lcl, _LIMIT, "dash")):
        per_point = var_ucl if label == "UCL" else var_lcl if label == "LCL" else None
        if per_point is not None:  # limits that change with the subgroup size: a step line
            traces.append({"type": "scatter", "mode": "lines", "x": x[keep].tolist(),
                           "y": _r(per_point[keep], 10), "xaxis": f"x{axis}",
                           "yaxis": f"y{axis}", "showlegend": False, "hoverinfo": "skip",
                           "line": {"color": color, "dash": dash, "width": 1.2, "shape": "hvh"}})
            notes.append(_label(label, None, _r(float(per_point[np.isfinite(per_point)][-1]), 10),
                                axis, False, color))
            continue
        v = _num(line)
        if v is not None:
            shapes.append(_hline(_r(v, 10), axis, color, dash))
            notes.append(_label(label, None, _r(v, 10), axis, False, color))
    rules: dict[int, list[int]] = {}
    for viol in violations:
        i = int(viol.index)
        if viol.chart == chart and 0 <= i < y.size:
            rules.setdefault(i, []).append(int(viol.rule))
    if rules:
        idx = sorted(rules)
        traces.append({"type": "scatter", "mode": "markers", "x": [int(x[i]) for i in idx],
                       "y": _raw(y[idx]), "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                       "text": ["rule " + ", ".join(str(r) for r in sorted(set(rules[i])))
                                for i in idx],
                       "customdata": _serials_at(serials, idx, y.size),
                       "name": "rule broken", "showlegend": False,
                       "marker": {"size": 8, "color": _VIOL, "symbol": "x"},
                       "hovertemplate": "point %{x}: %{y}<br>serial %{customdata}<br>%{text}"
                                        "<extra></extra>"})


def _run_chart(fs: FeatureStats, v: np.ndarray, seq: np.ndarray, lots: list[str],
               traces: list[Any], shapes: list[Any], notes: list[Any],
               max_points: int, serials: list[str] | None = None) -> list[str]:
    keep = decimate_minmax(v, max_points)
    lot_arr = np.asarray(lots, dtype=object)
    order = list(dict.fromkeys(lots))
    for j, lot in enumerate(order):
        sel = keep[lot_arr[keep] == lot]
        traces.append({"type": "scatter", "mode": "markers", "x": seq[sel].tolist(),
                       "y": _raw(v[sel]), "xaxis": "x4", "yaxis": "y4", "name": _t(lot),
                       "showlegend": False, "legendgroup": f"lot{j}",
                       "marker": {"size": 4, "color": LOT_COLORS[j % len(LOT_COLORS)]},
                       "customdata": _serials_at(serials, sel, v.size),
                       "hovertemplate": "seq %{x}: %{y}<br>serial %{customdata}"
                                        "<extra>%{fullData.name}</extra>"})
    _spec_lines(fs, "4", False, shapes, notes, nominal=False)
    slope = _num(fs.drift.slope) if fs.drift is not None else None
    if slope is not None and v.size >= 2:
        # OLS passes through the centroid: intercept = ȳ − b·x̄ (HAC changes only the errors).
        xs = seq.astype(float)
        b0 = float(v.mean()) - slope * float(xs.mean())
        x0, x1 = float(xs.min()), float(xs.max())
        sig = bool(fs.drift is not None and fs.drift.significant)
        traces.append({"type": "scatter", "mode": "lines", "x": [x0, x1],
                       "y": _r([b0 + slope * x0, b0 + slope * x1], 10), "xaxis": "x4",
                       "yaxis": "y4", "showlegend": False,
                       "name": "drift" + (" (significant)" if sig else ""),
                       "line": {"color": _VIOL if sig else "#555555",
                                "dash": "solid" if sig else "dot", "width": 2},
                       "hoverinfo": "skip"})
    return order


def _box(fs: FeatureStats, v: np.ndarray, lots: list[str], order: list[str],
         traces: list[Any], shapes: list[Any], notes: list[Any],
         serials: list[str] | None = None) -> None:
    lot_arr = np.asarray(lots, dtype=object)
    masks = {lot: lot_arr == lot for lot in order}
    stats_ = [(lot, box_stats(v[masks[lot]])) for lot in order if masks[lot].any()]
    if not stats_:
        return
    names = [_t(lot) for lot, _ in stats_]
    colors = {lot: LOT_COLORS[j % len(LOT_COLORS)] for j, lot in enumerate(order)}
    for (lot, st), name in zip(stats_, names):  # one box per lot, coloured as in the run chart
        c = colors[lot]
        trace: dict[str, Any] = {"type": "box", "x": [name], "xaxis": "x6", "yaxis": "y6",
                                 "showlegend": False, "name": name, "boxpoints": False,
                                 "marker": {"color": c}, "line": {"color": c, "width": 1.2},
                                 "fillcolor": "rgba(255,255,255,0)"}
        for key in ("q1", "median", "q3", "lowerfence", "upperfence", "mean"):
            trace[key] = [_r(st[key], 10)]
        traces.append(trace)
    ox: list[str] = []
    oy: list[Any] = []
    oc: list[str] = []
    for (lot, s), name in zip(stats_, names):
        where = np.flatnonzero(masks[lot] & ((v < s["lowerfence"]) | (v > s["upperfence"])))
        where = where[:200]
        ox += [name] * int(where.size)
        oy += _raw(v[where])
        oc += _serials_at(serials, where, v.size)
    if ox:
        traces.append({"type": "scatter", "mode": "markers", "x": ox, "y": oy, "xaxis": "x6",
                       "yaxis": "y6", "showlegend": False, "name": "outside fences",
                       "marker": {"size": 4, "color": "#1f3b73", "symbol": "circle-open"},
                       "customdata": oc,
                       "hovertemplate": "%{x}: %{y}<br>serial %{customdata}<extra></extra>"})
    _spec_lines(fs, "6", False, shapes, notes, nominal=False)


def _layout(chart: str, unit: str) -> tuple[dict[str, Any], list[Any], int]:
    """Figure layout of the six panels, their title annotations and the first point number of
    the dispersion chart (2 for a moving range, else 1)."""
    x_title, r_title, r_start = {
        "xbar-r": ("X̄ chart", "R chart", 1), "xbar-s": ("X̄ chart", "S chart", 1),
    }.get(chart, ("Individuals chart", "Moving-range chart", 2))
    layout: dict[str, Any] = {
        "height": 600, "autosize": True, "margin": {"l": 58, "r": 40, "t": 34, "b": 34},
        "font": {"size": 10, "family": "Helvetica, Arial, sans-serif"},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "bargap": 0.02,
        "hovermode": "closest",
        "legend": {"x": 0.45, "xanchor": "right", "y": 1.0, "yanchor": "top",
                   "bgcolor": "rgba(255,255,255,0.75)", "font": {"size": 9}},
    }
    titles = {"": "Histogram", "2": "Probability plot", "3": x_title,
              "4": "Run chart by lot, drift fit", "5": r_title, "6": "Box plot by lot"}
    annotations: list[Any] = []
    for ax, col, row, _ in _PANELS:
        axis_style = {"showline": True, "linecolor": "#888", "mirror": True, "zeroline": False,
                      "gridcolor": "#eeeeee", "ticks": "outside", "ticklen": 3,
                      "automargin": True}
        layout[f"xaxis{ax}"] = {**axis_style, "domain": list(_COLS[col]),
                                "anchor": f"y{ax}"}
        layout[f"yaxis{ax}"] = {**axis_style, "domain": list(_ROWS[row]), "anchor": f"x{ax}"}
        annotations.append({"text": f"<b>{titles[ax]}</b>", "x": _COLS[col][0],
                            "y": _ROWS[row][1], "xref": "paper", "yref": "paper",
                            "showarrow": False, "yanchor": "bottom", "xanchor": "left",
                            "yshift": 9, "font": {"size": 11}})
    layout["xaxis6"]["type"] = "category"
    layout["yaxis"]["title"] = {"text": "count"}
    if unit:
        for ax in ("", "3", "4", "6"):
            key = "xaxis" if ax == "" else f"yaxis{ax}"
            layout[key]["title"] = {"text": unit, "standoff": 2}
    layout["xaxis3"]["title"] = {"text": "subgroup" if r_start == 1 else "observation",
                                 "standoff": 2}
    layout["xaxis4"]["title"] = {"text": "sequence", "standoff": 2}
    return layout, annotations, r_start


def point_serials(fs: FeatureStats) -> tuple[list[str] | None, list[str] | None]:
    """Serials of the points of the X̄/I chart and of the R/S/MR chart, as
    :class:`~pilotqa.results.Violation` names them: an individual by its part, a moving range by
    its later reading, a subgroup by its parts ("first … last", from ``subgroup_sizes``).
    None where the series does not match the chart."""
    ids = [str(x) for x in fs.series.part_id]
    st = fs.stability
    n_x = int(np.asarray(fs.series.x_points).size)
    if fs.individuals or st is None or not st.subgroup_sizes:
        x = ids if len(ids) == n_x else None
        return x, (ids[1:] if x is not None else None)
    sizes = [int(k) for k in st.subgroup_sizes]
    if sum(sizes) != len(ids) or len(sizes) != n_x:
        return None, None
    out, a = [], 0
    for k in sizes:
        group = ids[a:a + k]
        out.append(group[0] if len(group) == 1 else f"{group[0]} … {group[-1]}")
        a += k
    return out, out


def _control_charts(fs: FeatureStats, v: np.ndarray, r_start: int, traces: list[Any],
                    shapes: list[Any], notes: list[Any], max_points: int) -> None:
    """The X̄/I chart and the R/S/MR chart with their limits and rule-breaking points."""
    st: Stability | None = fs.stability
    sr = fs.series
    viol = st.violations if st is not None else ()
    xp = np.asarray(sr.x_points, dtype=float)
    rp = np.asarray(sr.range_points, dtype=float)
    x_serials, r_serials = point_serials(fs)
    _control(xp, 1, "3", st.center if st else None, st.lcl if st else None,
             st.ucl if st else None, viol, "x", traces, shapes, notes, max_points,
             (sr.x_lcl, sr.x_ucl), x_serials)
    if rp.size:
        _control(rp, r_start, "5", st.range_center if st else None,
                 st.range_lcl if st else None, st.range_ucl if st else None, viol, "range",
                 traces, shapes, notes, max_points, (sr.range_lcl, sr.range_ucl), r_serials)


def sixpack(fs: FeatureStats, *, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """The capability sixpack of one characteristic as plotly.js JSON ``{"data", "layout"}``.

    Parameters
    ----------
    fs : FeatureStats
        The characteristic's statistics (spec, stability, drift, model …) and plot series
        (``fs.series``: readings, sequence, lots, chart points and per-point limits).
    max_points : int
        Decimation threshold of the run and control charts.

    Returns
    -------
    dict
        JSON-safe figure (no NaN/Infinity): ``data`` (traces), ``layout``.
    """
    v = np.asarray(fs.series.values, dtype=float)
    finite = np.isfinite(v)
    seq = np.asarray(fs.series.sequence)
    lots = list(fs.series.lot or ["—"] * v.size)
    serials: list[str] | None = [str(x) for x in fs.series.part_id]
    if serials is not None and len(serials) != v.size:
        serials = None
    if not finite.all():
        v, seq = v[finite], seq[finite]
        lots = [lo for lo, ok in zip(lots, finite) if ok]
        serials = [x for x, ok in zip(serials, finite) if ok] if serials is not None else None
    lots = [str(lo) if lo is not None else "—" for lo in lots]
    chart = str((fs.stability.chart if fs.stability else None) or "i-mr").lower()
    layout, annotations, r_start = _layout(chart, _t(fs.unit or ""))
    traces: list[Any] = []
    shapes: list[Any] = []
    cm = fs.capability_model
    model = _light_model(cm.distribution, cm.params) if cm is not None else None
    if v.size:
        _histogram(fs, v, model, traces, shapes, annotations)
        label = _probability(fs, v, model, traces, layout, max_points, serials)
        annotations[1]["text"] = f"<b>Probability plot ({_t(label)})</b>"
        _control_charts(fs, v, r_start, traces, shapes, annotations, max_points)
        order = _run_chart(fs, v, seq, lots, traces, shapes, annotations, max_points, serials)
        _box(fs, v, lots, order, traces, shapes, annotations, serials)
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    # readings at the float limit (±1.8e308) overflow a curve or a range to ±inf: a gap instead
    safe: dict[str, Any] = _json_clean({"data": traces, "layout": layout})
    return safe


def attribute_chart(fs: FeatureStats) -> dict[str, Any]:
    """Run chart of a go/no-go characteristic: the cumulative number of nonconforming parts
    over the production sequence (a step line), each part a point named by its serial, the
    nonconforming ones marked ✕. ``fs.series.values`` holds 1 for a nonconforming part, 0 for
    a conforming one (:mod:`pilotqa.stats.attributes`); an empty series gives no traces."""
    bad = np.asarray(fs.series.values, dtype=float) > 0.5
    seq = np.asarray(fs.series.sequence)
    ids = [str(x) for x in fs.series.part_id]
    serials = ids if len(ids) == bad.size else None
    cum = np.cumsum(bad)
    idx = np.arange(bad.size)
    traces: list[Any] = []
    if bad.size:
        traces.append({"type": "scatter", "mode": "lines+markers" if bad.size <= 500 else "lines",
                       "x": seq.tolist(), "y": cum.tolist(), "name": "nonconforming so far",
                       "line": {"color": "#1f3b73", "width": 1.2, "shape": "hv"},
                       "marker": {"size": 3}, "showlegend": False,
                       "customdata": _serials_at(serials, idx, bad.size),
                       "hovertemplate": "seq %{x}: %{y} nonconforming so far<br>serial "
                                        "%{customdata}<extra></extra>"})
    if bad.any():
        where = idx[bad]
        traces.append({"type": "scatter", "mode": "markers", "x": seq[where].tolist(),
                       "y": cum[where].tolist(), "name": "nonconforming", "showlegend": False,
                       "marker": {"size": 9, "color": _VIOL, "symbol": "x"},
                       "customdata": _serials_at(serials, where, bad.size),
                       "hovertemplate": "seq %{x}: nonconforming<br>serial %{customdata}"
                                        "<extra></extra>"})
    layout: dict[str, Any] = {
        "height": 240, "autosize": True, "margin": {"l": 58, "r": 30, "t": 30, "b": 34},
        "font": {"size": 10, "family": "Helvetica, Arial, sans-serif"},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "hovermode": "closest",
        "title": {"text": "<b>Nonconforming parts over the sequence</b>", "font": {"size": 11},
                  "x": 0, "xanchor": "left"},
        "xaxis": {"title": {"text": "sequence"}, "showline": True, "linecolor": "#888",
                  "mirror": True, "zeroline": False, "gridcolor": "#eeeeee"},
        "yaxis": {"title": {"text": "nonconforming (cumulative)"}, "rangemode": "tozero",
                  "dtick": max(1, int(cum[-1]) // 5) if bad.size else 1, "showline": True,
                  "linecolor": "#888", "mirror": True, "gridcolor": "#eeeeee"},
    }
    return {"data": traces, "layout": layout}
