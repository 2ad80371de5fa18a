"""Self-contained HTML report of a before/after comparison (one file, offline).

Rendered from ``result.document`` (the ``pilotqa.comparison/1`` document, so the HTML and the
JSON agree) plus ``result.series`` (the readings of each side, for the plots):

* header — part, both sides' inputs (files with SHA-256, parts, lots) and overall statements,
  the settings that decide (confidence, α, Holm), the one-line overall comparison;
* summary table — one row per characteristic: change, mean difference with its interval (units
  and % of tolerance), σ ratio with its interval, Ppk before/after/difference with intervals,
  verdict before → after, the conclusion; characteristics present on one side only below it;
* one section per characteristic — overlaid before/after histograms and a before/after run
  chart (specification limits drawn), the numbers, notes.

plotly.js (from the plotly package) is inlined once; each figure is a JSON block in
``<script type="application/json">`` written by :func:`pilotqa.report.safe.json_for_script`.
No resource is loaded from anywhere. Every input string (feature names, metadata, file names,
notes) goes through jinja2 autoescaping; ``Markup`` comes only from the safe helpers and for
plotly.js itself.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from jinja2 import Environment
from markupsafe import Markup, escape

from pilotqa.compare.core import VERDICT_TEXT
from pilotqa.report.html import plotly_js as _plotly_js  # the one checked, inlined bundle
from pilotqa.report.safe import NULL_TEXT, clean_text, json_for_script

if TYPE_CHECKING:
    from pilotqa.compare.core import ComparisonResult

__all__ = ["render_comparison_html", "write_comparison_html", "MAX_RUN_POINTS"]

#: More readings than this per side are thinned (every k-th) in the run chart.
MAX_RUN_POINTS = 4000

_BEFORE_COLOR = "#7f8c9d"
_AFTER_COLOR = "#1f77b4"
_LIMIT_COLOR = "#c0392b"

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="{{ generator }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'">
<link rel="icon" href="data:,">
<title>{{ title }}</title>
<style>
body { font: 14px/1.4 Helvetica, Arial, sans-serif; color: #222; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
.overall { font-size: 1.1em; font-weight: bold; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #1f3b73; color: #fff; font-weight: normal; }
table.kv th { background: #eef1f6; color: #222; }
td.num { text-align: right; white-space: nowrap; }
.c-improved { background: #e3f4e8; } .c-worse { background: #fbe4e2; } .c-no_change { background: #f4f4f4; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 8px; margin-right: .4em; }
.sides { display: flex; gap: 2em; flex-wrap: wrap; }
.fig { width: 100%; height: 360px; }
.figs { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
section.feature { border-top: 2px solid #1f3b73; margin-top: 2em; page-break-before: always; }
.notes li { color: #555; }
@media print { .figs { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>Before/after comparison{% if part %} — {{ part }}{% endif %}{% if revision %} <span>rev. {{ revision }}</span>{% endif %}</h1>
  <p class="overall" id="overall">{{ overall }}</p>
  <p>
  {% for k, label in change_labels %}<span class="badge c-{{ k }}">{{ label }}: {{ counts[k] }}</span>{% endfor %}
  </p>
  <div class="sides">
  {% for side in sides %}
    <section>
      <h2>{{ side.label }}</h2>
      <table class="kv">
        <tr><th>parts</th><td>{{ side.parts }}</td></tr>
        <tr><th>lots</th><td>{{ side.lots }}</td></tr>
        <tr><th>readings</th><td>{{ side.readings }}</td></tr>
        <tr><th>analysis</th><td>{{ side.overall }}</td></tr>
        {% for f in side.files %}
        <tr><th>file</th><td>{{ f.path }} <small>({{ f.format }}, SHA-256 {{ f.sha256 }})</small></td></tr>
        {% endfor %}
        {% for k, v in side.metadata %}
        <tr><th>{{ k }}</th><td>{{ v }}</td></tr>
        {% endfor %}
      </table>
    </section>
  {% endfor %}
  </div>
  <p><small>{{ method_text }} Generated {{ generated_at }} by {{ generator }}.</small></p>
</header>
<main>
<h2>Summary</h2>
<table id="summary">
  <tr><th>characteristic</th><th>class</th><th>change</th><th>verdict before → after</th><th>conclusion</th></tr>
  {% for r in rows %}
  <tr class="c-{{ r.change }}">
    <td><a href="#f{{ loop.index }}">{{ r.feature }}</a></td><td>{{ r.cls }}</td><td>{{ r.change_text }}</td>
    <td>{{ r.verdicts }}</td><td>{{ r.conclusion }}</td>
  </tr>
  {% endfor %}
</table>
<h2>Numbers</h2>
<table id="numbers">
  <tr><th>characteristic</th><th>n before / after</th><th>mean after − before ({{ conf }} CI)</th><th>% of tol.</th><th>p (Welch)</th>
      <th>σ after/before ({{ conf }} CI)</th><th>p (Brown–Forsythe)</th><th>Ppk before</th><th>Ppk after</th>
      <th>ΔPpk ({{ conf }} CI)</th></tr>
  {% for r in rows %}
  <tr class="c-{{ r.change }}">
    <td><a href="#f{{ loop.index }}">{{ r.feature }}</a></td><td class="num">{{ r.n }}</td>
    <td class="num">{{ r.mean_diff }}</td><td class="num">{{ r.mean_pct }}</td><td class="num">{{ r.mean_p }}</td>
    <td class="num">{{ r.sigma_ratio }}</td><td class="num">{{ r.sigma_p }}</td>
    <td class="num">{{ r.ppk_before }}</td><td class="num">{{ r.ppk_after }}</td><td class="num">{{ r.ppk_diff }}</td>
  </tr>
  {% endfor %}
</table>
<p><small>p-values as computed; the change is decided on the Holm-adjusted values (in each
characteristic's section and the conclusion).</small></p>
{% if only_before or only_after %}
<h2>Characteristics on one side only</h2>
<table class="kv" id="one-side">
  <tr><th>only before</th><td>{{ only_before | join(", ") if only_before else "—" }}</td></tr>
  <tr><th>only after</th><td>{{ only_after | join(", ") if only_after else "—" }}</td></tr>
</table>
{% endif %}
{% for s in sections %}
<section class="feature" id="f{{ loop.index }}">
  <h2>{{ s.feature }} <small>({{ s.cls }}, {{ s.spec }})</small></h2>
  <p class="c-{{ s.change }}"><b>{{ s.conclusion }}</b></p>
  <div class="figs">
    <div class="fig" data-fig="fig-h{{ loop.index }}"></div>
    <div class="fig" data-fig="fig-r{{ loop.index }}"></div>
  </div>
  <script type="application/json" id="fig-h{{ loop.index }}">{{ s.hist }}</script>
  <script type="application/json" id="fig-r{{ loop.index }}">{{ s.run }}</script>
  <table class="kv">
  {% for k, v in s.table %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
  </table>
  {% if s.notes %}<ul class="notes">{% for n in s.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</section>
{% endfor %}
</main>
<script>{{ plotly_js }}</script>
<script>
(function () {
  "use strict";
  var CONFIG = { displaylogo: false, responsive: true, typesetMath: false, displayModeBar: "hover",
                 modeBarButtonsToRemove: ["sendDataToCloud"] };
  var figs = Array.prototype.slice.call(document.querySelectorAll("div.fig[data-fig]"));
  function draw(div) {
    if (div.getAttribute("data-state")) { return; }
    div.setAttribute("data-state", "rendering");
    try {
      var spec = JSON.parse(document.getElementById(div.getAttribute("data-fig")).textContent);
      Promise.resolve(Plotly.newPlot(div, spec.data, spec.layout, CONFIG)).then(function () {
        div.setAttribute("data-state", "done");
      }, function () { div.setAttribute("data-state", "error"); });
    } catch (err) {
      div.setAttribute("data-state", "error");
      div.textContent = "This plot could not be drawn.";
    }
  }
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) { draw(e.target); io.unobserve(e.target); } });
    }, { rootMargin: "400px" });
    figs.forEach(function (d) { io.observe(d); });
  } else { figs.forEach(draw); }
  window.addEventListener("beforeprint", function () { figs.forEach(draw); });
})();
</script>
</body>
</html>
"""


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _decimals(tol: Any) -> int:
    t = _num(tol)
    if not t or t <= 0:
        return 4
    return int(min(7, max(2, math.ceil(-math.log10(t / 1000.0)))))


def _f(x: Any, dec: int = 2, signed: bool = False) -> str:
    v = _num(x)
    if v is None:
        return NULL_TEXT
    s = f"{v:+.{dec}f}" if signed else f"{v:.{dec}f}"
    return s.replace("-", "\u2212")


def _ci(ci: Any, dec: int, signed: bool = False) -> str:
    if not isinstance(ci, list) or len(ci) != 2:
        return ""
    return f" [{_f(ci[0], dec, signed)}, {_f(ci[1], dec, signed)}]"


def _p(x: Any) -> str:
    v = _num(x)
    if v is None:
        return NULL_TEXT
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _verdicts(e: dict[str, Any]) -> str:
    vb = VERDICT_TEXT.get(e.get("verdict_before") or "", e.get("verdict_before") or NULL_TEXT)
    va = VERDICT_TEXT.get(e.get("verdict_after") or "", e.get("verdict_after") or NULL_TEXT)
    return f"{vb} → {va}" if vb != va else f"{vb} (unchanged)"


def _limit_shapes(e: dict[str, Any], axis: str) -> list[dict[str, Any]]:
    shapes = []
    for key, dash in (("lsl", "solid"), ("usl", "solid"), ("nominal", "dot")):
        v = _num(e.get(key))
        if v is None:
            continue
        line = {"color": _LIMIT_COLOR if key != "nominal" else "#888", "width": 1.5, "dash": dash}
        if axis == "x":
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": v, "x1": v,
                           "y0": 0, "y1": 1, "line": line})
        else:
            shapes.append({"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1,
                           "y0": v, "y1": v, "line": line})
    return shapes


def _plot_text(text: str) -> str:
    """Input text for a plotly label: plotly reads labels as a subset of HTML (``<b>``, ``<a
    href>`` …), so the text is entity-escaped (plotly shows ``&lt;`` as "<", never as a tag)."""
    return str(escape(clean_text(text)))


def _clean_list(x: np.ndarray) -> list[float]:
    return [float(v) for v in x if math.isfinite(float(v))]


def histogram_figure(e: dict[str, Any], before: np.ndarray, after: np.ndarray) -> dict[str, Any]:
    """Overlaid histograms of both runs on common bins, with the specification limits."""
    name = str(e["feature"])
    both = np.concatenate([before, after]) if before.size + after.size else np.array([0.0])
    lo, hi = float(np.min(both)), float(np.max(both))
    n = max(before.size, after.size, 1)
    bins = int(min(40, max(8, math.ceil(math.sqrt(n)))))
    size = (hi - lo) / bins if hi > lo else 1.0
    xbins = {"start": lo - size / 2, "end": hi + size / 2, "size": size}
    data = [
        {"type": "histogram", "x": _clean_list(before), "name": f"before (n = {before.size})",
         "opacity": 0.55, "marker": {"color": _BEFORE_COLOR}, "xbins": xbins,
         "histnorm": "probability density"},
        {"type": "histogram", "x": _clean_list(after), "name": f"after (n = {after.size})",
         "opacity": 0.55, "marker": {"color": _AFTER_COLOR}, "xbins": xbins,
         "histnorm": "probability density"},
    ]
    layout = {"title": {"text": _plot_text(f"{name}: distribution before and after"), "x": 0.01,
                        "xanchor": "left"},
              "barmode": "overlay", "shapes": _limit_shapes(e, "x"),
              "xaxis": {"title": {"text": _plot_text(str(e.get("unit") or ""))}},
              "yaxis": {"title": {"text": "density"}}, "legend": {"orientation": "h", "y": -0.25},
              "margin": {"l": 50, "r": 20, "t": 50, "b": 70}}
    return {"data": data, "layout": layout}


def _thin(x: np.ndarray, start: int) -> tuple[list[int], list[float]]:
    step = max(1, math.ceil(x.size / MAX_RUN_POINTS))
    idx = list(range(0, x.size, step))
    return [start + i for i in idx], [float(x[i]) for i in idx]


def run_figure(e: dict[str, Any], before: np.ndarray, after: np.ndarray) -> dict[str, Any]:
    """Run chart: the before readings, then the after readings, in order, with limits and means."""
    name = str(e["feature"])
    xb, yb = _thin(before, 1)
    xa, ya = _thin(after, before.size + 1)
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines+markers", "x": xb, "y": yb, "name": "before",
         "marker": {"size": 4, "color": _BEFORE_COLOR}, "line": {"width": 1}},
        {"type": "scatter", "mode": "lines+markers", "x": xa, "y": ya, "name": "after",
         "marker": {"size": 4, "color": _AFTER_COLOR}, "line": {"width": 1}},
    ]
    shapes = _limit_shapes(e, "y")
    for key, x0, x1, color in (("mean_before", 1, max(before.size, 1), _BEFORE_COLOR),
                               ("mean_after", before.size + 1, before.size + max(after.size, 1),
                                _AFTER_COLOR)):
        v = _num(e.get(key))
        if v is not None:
            shapes.append({"type": "line", "xref": "x", "yref": "y", "x0": x0, "x1": x1, "y0": v,
                           "y1": v, "line": {"color": color, "width": 2, "dash": "dash"}})
    if before.size and after.size:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": before.size + 0.5,
                       "x1": before.size + 0.5, "y0": 0, "y1": 1,
                       "line": {"color": "#444", "width": 1, "dash": "dashdot"}})
    layout = {"title": {"text": _plot_text(f"{name}: run chart, before then after"), "x": 0.01,
                        "xanchor": "left"},
              "shapes": shapes, "xaxis": {"title": {"text": "reading (before, then after)"}},
              "yaxis": {"title": {"text": _plot_text(str(e.get("unit") or ""))}},
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"l": 60, "r": 20, "t": 50, "b": 70}}
    return {"data": data, "layout": layout}


def _side(label: str, d: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": label, "parts": d.get("parts"), "readings": d.get("readings"),
        "lots": ", ".join(str(x) for x in d.get("lots") or []) or NULL_TEXT,
        "overall": d.get("overall") or NULL_TEXT, "files": d.get("files") or [],
        "metadata": sorted((str(k), str(v)) for k, v in (d.get("metadata") or {}).items()),
    }


def _context(result: "ComparisonResult") -> dict[str, Any]:
    from pilotqa import __version__

    doc = result.document
    conf = f"{100 * float(doc['settings']['confidence']):g} %"
    meta = {**(doc["after"].get("metadata") or {}), **(doc["before"].get("metadata") or {})}
    rows, sections = [], []
    empty = np.array([], dtype=float)
    for e in doc["features"]:
        dec = _decimals(e.get("tolerance"))
        change_text = {"improved": "improved", "worse": "worse", "no_change": "no change"}[e["change"]]
        rows.append({
            "feature": e["feature"], "change": e["change"], "change_text": change_text,
            "cls": e.get("class") or NULL_TEXT, "n": f"{e['n_before']} / {e['n_after']}",
            "mean_diff": _f(e["mean_diff"], dec, True) + _ci(e["mean_diff_ci"], dec, True),
            "mean_pct": _f(e["mean_diff_pct_tolerance"], 1, True),
            "mean_p": _p(e["mean_p"]),
            "sigma_ratio": _f(e["sigma_ratio"], 2) + _ci(e["sigma_ratio_ci"], 2),
            "sigma_p": _p(e["sigma_p"]),
            "ppk_before": _f(e["ppk_before"]) + _ci(e["ppk_before_ci"], 2),
            "ppk_after": _f(e["ppk_after"]) + _ci(e["ppk_after_ci"], 2),
            "ppk_diff": _f(e["ppk_diff"], 2, True) + _ci(e["ppk_diff_ci"], 2, True),
            "verdicts": _verdicts(e), "conclusion": e["conclusion"],
        })
        before, after = result.series.get(e["feature"], (empty, empty))
        spec = ", ".join(f"{k.upper() if k != 'nominal' else 'nominal'} {_f(e[k], dec)}"
                         for k in ("nominal", "lsl", "usl") if e.get(k) is not None)
        table = [
            ("n before / after", f"{e['n_before']} / {e['n_after']}"),
            ("mean before / after", f"{_f(e['mean_before'], dec)} / {_f(e['mean_after'], dec)}"),
            ("σ before / after", f"{_f(e['sigma_before'], dec)} / {_f(e['sigma_after'], dec)}"),
            (f"mean after − before ({conf} CI)", rows[-1]["mean_diff"]),
            ("… in % of tolerance", _f(e["mean_diff_pct_tolerance"], 1, True)
             + _ci(e["mean_diff_ci_pct_tolerance"], 1, True)),
            ("Welch t, df, p, Holm-adjusted p",
             f"{_f(e['mean_t'], 3)}, {_f(e['mean_df'], 1)}, {_p(e['mean_p'])}, {_p(e['mean_p_adjusted'])}"),
            (f"σ after / before ({conf} CI, F-based)", rows[-1]["sigma_ratio"]),
            ("Brown–Forsythe W, p, Holm-adjusted p",
             f"{_f(e['sigma_statistic'], 3)}, {_p(e['sigma_p'])}, {_p(e['sigma_p_adjusted'])}"),
            ("F test p (normal data)", _p(e["f_p"])),
            (f"Ppk before ({conf} CI)", rows[-1]["ppk_before"]),
            (f"Ppk after ({conf} CI)", rows[-1]["ppk_after"]),
            (f"Ppk after − before ({conf} CI, delta method)", rows[-1]["ppk_diff"]),
            ("verdict", rows[-1]["verdicts"]),
        ]
        sections.append({
            "feature": e["feature"], "cls": e.get("class") or NULL_TEXT,
            "spec": (spec or "no limits") + (f" {e['unit']}" if e.get("unit") else ""),
            "change": e["change"], "conclusion": e["conclusion"],
            "hist": json_for_script(histogram_figure(e, before, after)),
            "run": json_for_script(run_figure(e, before, after)),
            "table": table, "notes": e.get("notes") or [],
        })
    s = doc["settings"]
    method_text = (f"Mean: Welch's t-test; spread: Brown–Forsythe test (σ-ratio interval from the F "
                   f"distribution); p-values Holm-adjusted over all {2 * len(doc['features'])} tests, "
                   f"a change is significant when the adjusted p < {s['alpha']:g}; intervals "
                   f"{conf}; Ppk normal theory with Bissell's interval, the difference by the "
                   "delta method.")
    counts = {k: len(doc["summary"][k]) for k in ("improved", "worse", "no_change")}
    return {
        "generator": f"pilotqa {__version__}",
        "title": clean_text("pilotqa comparison" + (f" — {meta['part_number']}" if meta.get("part_number") else "")),
        "part": meta.get("part_number"), "revision": meta.get("revision"),
        "overall": doc["overall"], "counts": counts,
        "change_labels": [("improved", "improved"), ("worse", "worse"), ("no_change", "no change")],
        "sides": [_side("Before", doc["before"]), _side("After", doc["after"])],
        "method_text": method_text, "generated_at": doc["generated_at"], "conf": conf,
        "rows": rows, "sections": sections,
        "only_before": doc["summary"]["only_before"], "only_after": doc["summary"]["only_after"],
        "plotly_js": _plotly_js(),
    }


@functools.lru_cache(maxsize=1)
def _template() -> Any:
    return Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(_TEMPLATE)


def render_comparison_html(result: "ComparisonResult") -> str:
    """The complete HTML report of a comparison as a string."""
    return str(_template().render(**_context(result)))


def write_comparison_html(result: "ComparisonResult", path: Path) -> None:
    """Write the HTML report of ``result`` to ``path`` (UTF-8)."""
    Path(path).write_text(render_comparison_html(result), encoding="utf-8")
