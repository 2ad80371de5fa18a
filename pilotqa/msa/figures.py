"""Plotly figure specifications (plain JSON dicts) of a gauge study.

Crossed GR&R: the familiar six-panel layout (AIAG MSA 4th ed. ch. III §B graphical analysis;
Minitab "Gage R&R (Crossed)" six-pack):

====================  ======================================================================
panel                 content
====================  ======================================================================
components            bars of % contribution, % study variation and % tolerance for GRR,
                      repeatability, reproducibility and part-to-part
R chart by appraiser  the range of each appraiser's trials per part, R̿, UCL = D4·R̿, LCL = D3·R̿
X̄ chart by appraiser  each appraiser's part averages, X̿ ± A2·R̿ (A2 = 3/(d2·√r))
by part               every reading by part, with the part averages
by appraiser          every reading by appraiser, with the appraiser averages
interaction           each appraiser's part averages joined, part by part
====================  ======================================================================

Type 1: run chart of the readings with the reference and reference ± K/200·T, and a histogram.
Text from the input (part and appraiser labels, names) is HTML-escaped for plotly's
pseudo-HTML renderer.
"""
from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from pilotqa.stats.constants import d2, d3

__all__ = ["grr_figure", "type1_figure", "COLORS"]

#: Okabe–Ito colour-blind-safe palette, cycled over appraisers.
COLORS: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                           "#F0E442", "#000000")
_LIMIT = "#c0392b"
_CENTER = "#2e7d32"
_COLS = ((0.0, 0.44), (0.56, 1.0))
_ROWS = ((0.74, 1.0), (0.38, 0.63), (0.0, 0.27))


def _t(text: Any) -> str:
    return html.escape(str(text), quote=False)


def _axes(layout: dict[str, Any], titles: list[str]) -> None:
    for i, title in enumerate(titles):
        col, row = i % 2, i // 2
        sfx = "" if i == 0 else str(i + 1)
        layout[f"xaxis{sfx}"] = {"domain": list(_COLS[col]), "anchor": f"y{sfx}",
                                 "automargin": True}
        layout[f"yaxis{sfx}"] = {"domain": list(_ROWS[row]), "anchor": f"x{sfx}",
                                 "automargin": True, "zeroline": False}
        layout.setdefault("annotations", []).append({
            "text": f"<b>{title}</b>", "xref": "paper", "yref": "paper", "showarrow": False,
            "x": sum(_COLS[col]) / 2, "y": _ROWS[row][1] + 0.035, "xanchor": "center",
            "font": {"size": 12}})


def _hline(axis: str, x0: float, x1: float, y: float, color: str, dash: str = "dash",
           name: str = "") -> dict[str, Any]:
    return {"type": "scatter", "mode": "lines", "x": [x0, x1], "y": [y, y],
            "xaxis": "x" + axis, "yaxis": "y" + axis, "showlegend": False, "hoverinfo": "name",
            "name": name, "line": {"color": color, "dash": dash, "width": 1}}


def grr_figure(doc: dict[str, Any]) -> dict[str, Any]:
    """The six-panel figure of a crossed GR&R characteristic object (``pilotqa.msa/1``)."""
    y = np.asarray(doc["data"]["values"], dtype=float)
    a, p, r = y.shape
    apps = [_t(s) for s in doc.get("appraisers") or [str(i + 1) for i in range(a)]]
    parts = [_t(s) for s in doc.get("parts") or [str(i + 1) for i in range(p)]]
    data: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"height": 900, "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
                              "legend": {"orientation": "h", "y": -0.06}, "barmode": "group",
                              "hovermode": "closest"}
    _axes(layout, ["Components of variation", "R chart by appraiser", "X̄ chart by appraiser",
                   "Measurements by part", "Measurements by appraiser",
                   "Appraiser × part interaction"])
    # 1 components of variation
    labels = ["Gage R&R", "Repeat", "Reprod", "Part-to-part"]
    keys = ["grr", "ev", "reprod", "pv"]
    for name, obj, color in (("% contribution", "pct_contribution", "#1f3b73"),
                             ("% study var", "pct_study_var", "#7fa7d6"),
                             ("% tolerance", "pct_tolerance", "#c9a227")):
        vals = doc.get(obj) or {}
        reprod = None
        if vals.get("av") is not None:
            if obj == "pct_contribution":
                reprod = (vals.get("av") or 0) + (vals.get("interaction") or 0)
            else:
                reprod = math.hypot(vals.get("av") or 0, vals.get("interaction") or 0)
        ys = [vals.get("grr"), vals.get("ev"), reprod, vals.get("pv")]
        if all(v is None for v in ys):
            continue
        data.append({"type": "bar", "name": name, "x": labels, "y": ys, "xaxis": "x",
                     "yaxis": "y", "marker": {"color": color}})
    del keys
    layout["yaxis"]["title"] = {"text": "percent"}
    # 2 R chart, 3 X̄ chart
    ranges = y.max(axis=2) - y.min(axis=2)
    means = y.mean(axis=2)
    rbar, xbar = float(ranges.mean()), float(y.mean())
    d4, d3_ = 1 + 3 * d3(r) / d2(r), max(0.0, 1 - 3 * d3(r) / d2(r))
    a2 = 3 / (d2(r) * math.sqrt(r))
    xs = list(range(1, a * p + 1))
    for i in range(a):
        seg = xs[i * p:(i + 1) * p]
        color = COLORS[i % len(COLORS)]
        data.append({"type": "scatter", "mode": "lines+markers", "x": seg,
                     "y": ranges[i].tolist(), "xaxis": "x2", "yaxis": "y2", "name": apps[i],
                     "legendgroup": apps[i], "showlegend": False, "marker": {"color": color},
                     "text": [f"appraiser {apps[i]}, part {pt}" for pt in parts],
                     "hoverinfo": "text+y"})
        data.append({"type": "scatter", "mode": "lines+markers", "x": seg,
                     "y": means[i].tolist(), "xaxis": "x3", "yaxis": "y3", "name": apps[i],
                     "legendgroup": apps[i], "showlegend": False, "marker": {"color": color},
                     "text": [f"appraiser {apps[i]}, part {pt}" for pt in parts],
                     "hoverinfo": "text+y"})
    n = a * p + 0.5
    data += [_hline("2", 0.5, n, rbar, _CENTER, "solid", "R̿"),
             _hline("2", 0.5, n, d4 * rbar, _LIMIT, "dash", "UCL"),
             _hline("2", 0.5, n, d3_ * rbar, _LIMIT, "dash", "LCL"),
             _hline("3", 0.5, n, xbar, _CENTER, "solid", "X̿"),
             _hline("3", 0.5, n, xbar + a2 * rbar, _LIMIT, "dash", "UCL"),
             _hline("3", 0.5, n, xbar - a2 * rbar, _LIMIT, "dash", "LCL")]
    ticks = {"tickvals": [i * p + (p + 1) / 2 for i in range(a)], "ticktext": apps}
    layout["xaxis2"].update(ticks)
    layout["xaxis3"].update(ticks)
    # 4 by part, 5 by appraiser
    px_, py_, ax_, ay_ = [], [], [], []
    for i in range(a):
        for j in range(p):
            for k in range(r):
                px_.append(parts[j])
                py_.append(float(y[i, j, k]))
                ax_.append(apps[i])
                ay_.append(float(y[i, j, k]))
    data.append({"type": "scatter", "mode": "markers", "x": px_, "y": py_, "xaxis": "x4",
                 "yaxis": "y4", "showlegend": False, "name": "reading",
                 "marker": {"color": "#8a96a3", "size": 5}})
    data.append({"type": "scatter", "mode": "lines+markers", "x": parts,
                 "y": y.mean(axis=(0, 2)).tolist(), "xaxis": "x4", "yaxis": "y4",
                 "showlegend": False, "name": "part average", "line": {"color": _CENTER}})
    data.append({"type": "box", "x": ax_, "y": ay_, "xaxis": "x5", "yaxis": "y5",
                 "showlegend": False, "name": "readings", "boxpoints": "all", "jitter": 0.3,
                 "marker": {"color": "#1f3b73", "size": 4}, "boxmean": True})
    layout["xaxis4"].update({"type": "category", "title": {"text": "part"}})
    layout["xaxis5"].update({"type": "category", "title": {"text": "appraiser"}})
    # 6 interaction
    for i in range(a):
        data.append({"type": "scatter", "mode": "lines+markers", "x": parts,
                     "y": means[i].tolist(), "xaxis": "x6", "yaxis": "y6", "name": apps[i],
                     "legendgroup": apps[i], "marker": {"color": COLORS[i % len(COLORS)]}})
    layout["xaxis6"].update({"type": "category", "title": {"text": "part"}})
    return {"data": data, "layout": layout}


def type1_figure(doc: dict[str, Any]) -> dict[str, Any]:
    """Run chart and histogram of a Type 1 characteristic object (``pilotqa.msa/1``)."""
    x = np.asarray(doc["data"]["values"], dtype=float)
    idx = list(range(1, x.size + 1))
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines+markers", "x": idx, "y": x.tolist(), "xaxis": "x",
         "yaxis": "y", "name": "reading", "marker": {"color": "#1f3b73", "size": 5}}]
    layout: dict[str, Any] = {
        "height": 380, "margin": {"l": 60, "r": 20, "t": 40, "b": 40}, "showlegend": False,
        "xaxis": {"domain": [0.0, 0.62], "anchor": "y", "title": {"text": "measurement"}},
        "yaxis": {"domain": [0.0, 0.9], "anchor": "x", "zeroline": False},
        "xaxis2": {"domain": [0.7, 1.0], "anchor": "y2", "title": {"text": "count"}},
        "yaxis2": {"domain": [0.0, 0.9], "anchor": "x2", "matches": "y", "showticklabels": False},
        "annotations": [
            {"text": "<b>Run chart</b>", "xref": "paper", "yref": "paper", "x": 0.31, "y": 1.0,
             "showarrow": False},
            {"text": "<b>Histogram</b>", "xref": "paper", "yref": "paper", "x": 0.85, "y": 1.0,
             "showarrow": False}]}
    ref, tol = doc.get("reference"), doc.get("tolerance")
    n = x.size + 0.5
    data.append(_hline("", 0.5, n, float(x.mean()), "#8a96a3", "dot", "mean"))
    if ref is not None:
        data.append(_hline("", 0.5, n, float(ref), _CENTER, "solid", "reference"))
        if tol:
            half = float(tol) * 0.1
            data += [_hline("", 0.5, n, float(ref) + half, _LIMIT, "dash", "ref + 0.1·T"),
                     _hline("", 0.5, n, float(ref) - half, _LIMIT, "dash", "ref − 0.1·T")]
    counts, edges = np.histogram(x, bins=min(20, max(5, int(math.sqrt(x.size)))))
    data.append({"type": "bar", "orientation": "h", "x": counts.tolist(),
                 "y": ((edges[:-1] + edges[1:]) / 2).tolist(), "width": float(np.diff(edges)[0])
                 if edges.size > 1 else None, "xaxis": "x2", "yaxis": "y2",
                 "marker": {"color": "#9db4cc"}, "name": "count"})
    return {"data": data, "layout": layout}
