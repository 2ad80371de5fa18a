"""Write a ``pilotqa.msa/1`` document as JSON, an offline HTML report and an XLSX workbook.

* HTML: one file, no network (plotly.js inlined once, a Content-Security-Policy that forbids
  loading anything); a summary table, then per characteristic the verdict with its reasons, the
  six-panel GR&R figure (:mod:`pilotqa.msa.figures`) or the Type 1 run chart, the components
  table with % study variation, % tolerance, % contribution and the confidence intervals, the
  ANOVA table(s) and the notes. Every input text goes through jinja2 autoescaping; JSON for the
  figures through :func:`pilotqa.report.safe.json_for_script`.
* XLSX: sheets Summary, Components, ANOVA, Type 1, Data, Cover; every string through
  :func:`pilotqa.report.safe.xlsx_text`, so text starting with ``= + - @`` is stored as text
  (string cell with ``quotePrefix``), never as a formula.
* Overwrite protection as :mod:`pilotqa.report.outputs`: an existing target is replaced only
  when pilotqa wrote it (a JSON document with ``"schema": "pilotqa.msa/1"``, or
  :func:`pilotqa.report.outputs.written_by_pilotqa` for HTML/XLSX) or with ``force``; an
  output path equal to an input is always refused.
"""
from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any, Callable, Sequence

from jinja2 import DictLoader, Environment
from markupsafe import Markup

from pilotqa.errors import InputError
from pilotqa.msa.document import write_json
from pilotqa.msa.figures import grr_figure, type1_figure
from pilotqa.report.html import plotly_js as _plotly_js  # the one checked, inlined bundle
from pilotqa.report.outputs import written_by_pilotqa
from pilotqa.report.safe import NULL_TEXT, clean_text, json_for_script, xlsx_text

__all__ = ["FORMATS", "render_html", "write_html", "write_xlsx", "write_outputs",
           "VERDICT_LABELS", "COMPONENT_LABELS"]

FORMATS: tuple[str, ...] = ("html", "json", "xlsx")
VERDICT_LABELS = {"acceptable": "Acceptable", "conditional": "Conditionally acceptable",
                  "not_acceptable": "Not acceptable", "not_assessed": "Not assessed"}
COMPONENT_LABELS = {"ev": "Repeatability (EV)", "av": "Reproducibility (AV)",
                    "interaction": "Interaction (part × appraiser)", "grr": "Gage R&R (GRR)",
                    "pv": "Part-to-part (PV)", "tv": "Total (TV)"}
_COMPONENTS = tuple(COMPONENT_LABELS)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="{{ generator }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'">
<link rel="icon" href="data:,">
<title>Measurement system analysis</title>
<style>
body { margin: 0 auto; max-width: 1180px; padding: 16px 20px 40px; font: 13px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d232b; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin: 16px 0 6px; } h3 { font-size: 13px; margin: 8px 0 4px; }
table { border-collapse: collapse; } table.grid th, table.grid td { border: 1px solid #d5dae0; padding: 3px 6px; text-align: left; vertical-align: top; }
table.grid thead th { background: #eef1f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 9px; }
.v-acceptable { background: #e3f4e8; color: #1b7f3b; } .v-conditional { background: #fff1d6; color: #8a5a00; }
.v-not_acceptable { background: #fbe4e2; color: #b3261e; } .v-not_assessed { background: #e8ebef; color: #5d6875; }
.feature { border-top: 2px solid #1f3b73; margin-top: 26px; padding-top: 6px; }
.fig { width: 100%; border: 1px solid #eef0f3; } .fig.grr { height: 900px; } .fig.type1 { height: 380px; }
ul.notes { color: #5d6875; font-size: 12px; } .muted { color: #5d6875; } .tables { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
@media print { .feature { break-before: page; } .fig.grr { height: 820px; } }
</style>
</head>
<body>
<h1>Measurement system analysis</h1>
<p class="muted">Generated {{ generated }} by {{ generator }}. Standard deviations in measurement units; study variation = {{ k }}·σ; GR&amp;R verdict per AIAG MSA 4th ed. (%GRR ≤ {{ accept }} % acceptable, ≤ {{ reject }} % conditionally acceptable, ndc ≥ {{ ndc_min }}); Type 1 per Bosch booklet 10 (Cg, Cgk ≥ {{ cg_min }}).</p>
<table class="grid">
<thead><tr><th>#</th><th>Characteristic</th><th>Method</th><th>Tolerance</th><th>%GRR of tolerance</th><th>%GRR of study var.</th><th>ndc</th><th>Cg</th><th>Cgk</th><th>Verdict</th></tr></thead>
<tbody>
{% for r in rows %}<tr><td class="num">{{ loop.index }}</td><td><a href="#c{{ loop.index }}">{{ r.feature }}</a></td><td>{{ r.method }}</td><td class="num">{{ r.tol }}</td><td class="num">{{ r.pct_tol }}</td><td class="num">{{ r.pct_sv }}</td><td class="num">{{ r.ndc }}</td><td class="num">{{ r.cg }}</td><td class="num">{{ r.cgk }}</td><td><span class="badge v-{{ r.verdict }}">{{ r.verdict_label }}</span></td></tr>
{% endfor %}</tbody>
</table>
<h3>Input</h3>
<ul class="notes">{% for f in files %}<li>{{ f.path }} ({{ f.format }}, SHA-256 {{ f.sha256 }})</li>{% endfor %}
{% for n in input_notes %}<li>{{ n }}</li>{% endfor %}</ul>
{% for s in sections %}
<section class="feature" id="c{{ loop.index }}">
<h2>#{{ loop.index }} {{ s.feature }} <span class="badge v-{{ s.verdict }}">{{ s.verdict_label }}</span></h2>
<p class="muted">{{ s.method_text }} · {{ s.source }}{% if s.spec %} · {{ s.spec }}{% endif %}</p>
<ul>{% for r in s.reasons %}<li>{{ r }}</li>{% endfor %}</ul>
<div class="fig {{ s.kind }}" data-fig="fig{{ loop.index }}" role="img" aria-label="{{ s.kind }} charts"></div>
<script type="application/json" id="fig{{ loop.index }}">{{ s.fig_json }}</script>
<div class="tables">
<div>
{% if s.components %}
<h3>Components of variation{% if s.conf %} ({{ s.conf }} intervals of σ){% endif %}</h3>
<table class="grid"><thead><tr><th>source</th><th>σ</th><th>{{ k }}·σ</th><th>% study var</th><th>% tolerance</th><th>% contribution</th>{% if s.conf %}<th>σ lower</th><th>σ upper</th>{% endif %}</tr></thead>
<tbody>{% for c in s.components %}<tr>{% for v in c %}<td{% if not loop.first %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
<p>ndc = {{ s.ndc }}</p>
{% endif %}
{% if s.kv %}<table class="grid">{% for k2, v in s.kv %}<tr><th>{{ k2 }}</th><td class="num">{{ v }}</td></tr>{% endfor %}</table>{% endif %}
</div>
<div>
{% for t in s.anova %}<h3>{{ t.title }}</h3>
<table class="grid"><thead><tr><th>source</th><th>df</th><th>SS</th><th>MS</th><th>F</th><th>p</th></tr></thead>
<tbody>{% for row in t.rows %}<tr>{% for v in row %}<td{% if not loop.first %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
{% endfor %}
{% if s.notes %}<h3>Notes</h3><ul class="notes">{% for n in s.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</div>
</div>
</section>
{% endfor %}
<script>
{{ plotly_js }}
</script>
<script>
(function () {
  "use strict";
  /* A figure is drawn when it comes near the viewport, and all of them before printing. */
  var CONFIG = { displaylogo: false, responsive: true, typesetMath: false };
  var figs = Array.prototype.slice.call(document.querySelectorAll("div.fig[data-fig]"));
  function render(div) {
    if (div.getAttribute("data-state")) { return; }
    try {
      var spec = JSON.parse(document.getElementById(div.getAttribute("data-fig")).textContent);
      Plotly.newPlot(div, spec.data, spec.layout, CONFIG);
      div.setAttribute("data-state", "done");
    } catch (err) {
      div.setAttribute("data-state", "error");
      div.textContent = "This plot could not be drawn.";
    }
  }
  window.addEventListener("beforeprint", function () { figs.forEach(render); });
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { io.unobserve(e.target); render(e.target); }
      });
    }, { rootMargin: "600px 0px" });
    figs.forEach(function (d) { io.observe(d); });
  } else {
    figs.forEach(render);
  }
})();
</script>
</body>
</html>
"""


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def _fmt(x: Any, kind: str = "g") -> str:
    v = _num(x)
    if v is None:
        return NULL_TEXT
    if kind == "pct":
        return f"{v:.1f}"
    if kind == "idx":
        return f"{v:.2f}"
    if kind == "p":
        return "< 0.001" if v < 0.001 else f"{v:.3f}"
    if kind == "int":
        return f"{v:.0f}"
    return f"{v:.6g}"


def _text(x: Any) -> str:
    return clean_text(str(x)) if x is not None else NULL_TEXT


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=DictLoader({"msa.html.j2": _TEMPLATE}), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True)


def _spec_text(c: dict[str, Any]) -> str:
    parts = []
    for key, label in (("lsl", "LSL"), ("usl", "USL"), ("tolerance", "T"),
                       ("reference", "reference")):
        if _num(c.get(key)) is not None:
            parts.append(f"{label} {_fmt(c[key])}")
    unit = c.get("unit")
    return ", ".join(parts) + (f" ({_text(unit)})" if unit else "")


def _section(c: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    k = _num(((doc.get("settings") or {}).get("criteria") or {}).get("study_var")) or 6.0
    s: dict[str, Any] = {
        "feature": _text(c.get("feature")), "verdict": str(c.get("verdict")),
        "verdict_label": VERDICT_LABELS.get(str(c.get("verdict")), _text(c.get("verdict"))),
        "source": _text(c.get("source")), "spec": _spec_text(c),
        "reasons": [_text(r) for r in c.get("reasons") or []],
        "notes": [_text(n) for n in c.get("notes") or []], "components": [], "anova": [],
        "kv": [], "conf": "", "ndc": _fmt(c.get("ndc"), "int"),
    }
    if c.get("method") == "type1":
        s["kind"] = "type1"
        s["method_text"] = "Type 1 study (Bosch booklet 10 / VDA 5)"
        s["kv"] = [("n", _fmt(c.get("n"), "int")), ("mean", _fmt(c.get("mean"))),
                   ("s", _fmt(c.get("sd"))), ("reference", _fmt(c.get("reference"))),
                   ("bias", _fmt(c.get("bias"))), ("bias t", _fmt(c.get("bias_t"))),
                   ("bias p", _fmt(c.get("bias_p"), "p")), ("Cg", _fmt(c.get("cg"), "idx")),
                   ("Cgk", _fmt(c.get("cgk"), "idx")),
                   ("%Var (repeatability)", _fmt(c.get("pct_var_repeatability"), "pct")),
                   ("%Var (repeatability and bias)",
                    _fmt(c.get("pct_var_repeatability_bias"), "pct"))]
        s["fig_json"] = json_for_script(type1_figure(c))
        return s
    s["kind"] = "grr"
    s["method_text"] = ("crossed GR&R, ANOVA method" if c.get("method") == "anova"
                        else "crossed GR&R, average-and-range method") + \
        f" ({len(c.get('appraisers') or [])} appraisers × {len(c.get('parts') or [])} parts × " \
        f"{c.get('trials')} trials)"
    conf = _num(((doc.get("settings") or {}).get("criteria") or {}).get("confidence"))
    intervals = c.get("intervals") or {}
    if intervals and conf:
        s["conf"] = f"{100 * conf:g} %"
    for key in _COMPONENTS:
        row = [COMPONENT_LABELS[key], _fmt(c.get(key)), _fmt((c.get("study_variation") or {})
                                                           .get(key)),
               _fmt((c.get("pct_study_var") or {}).get(key), "pct"),
               _fmt((c.get("pct_tolerance") or {}).get(key), "pct"),
               _fmt((c.get("pct_contribution") or {}).get(key), "pct")]
        if s["conf"]:
            ci = intervals.get(key) or [None, None]
            row += [_fmt(ci[0]), _fmt(ci[1])]
        s["components"].append(row)
    for key, title in (("anova", "ANOVA with interaction"),
                       ("anova_pooled", "ANOVA, interaction pooled (model used)")):
        rows = c.get(key)
        if rows:
            s["anova"].append({"title": title, "rows": [
                [_text(r.get("source")).replace("_x_", " × "), _fmt(r.get("df"), "int"),
                 _fmt(r.get("ss")), _fmt(r.get("ms")), _fmt(r.get("f")), _fmt(r.get("p"), "p")]
                for r in rows]})
    rs = c.get("range_stats") or {}
    if rs:
        s["kv"] = [("R̿", _fmt(rs.get("rbar"))), ("X̄ diff", _fmt(rs.get("xdiff"))),
                   ("Rp", _fmt(rs.get("rp"))), ("K1", _fmt(rs.get("K1"))),
                   ("K2", _fmt(rs.get("K2"))), ("K3", _fmt(rs.get("K3"))),
                   ("UCL R", _fmt(rs.get("ucl_r")))]
    s["fig_json"] = json_for_script(grr_figure(c))
    return s


def render_html(doc: dict[str, Any]) -> str:
    """The HTML report of a ``pilotqa.msa/1`` document."""
    chars = doc.get("characteristics") or []
    crit = (doc.get("settings") or {}).get("criteria") or {}
    tool = doc.get("tool") or {}
    rows = []
    for c in chars:
        rows.append({
            "feature": _text(c.get("feature")), "method": _text(c.get("method")),
            "tol": _fmt(c.get("tolerance")),
            "pct_tol": _fmt((c.get("pct_tolerance") or {}).get("grr"), "pct"),
            "pct_sv": _fmt((c.get("pct_study_var") or {}).get("grr"), "pct"),
            "ndc": _fmt(c.get("ndc"), "int"), "cg": _fmt(c.get("cg"), "idx"),
            "cgk": _fmt(c.get("cgk"), "idx"), "verdict": str(c.get("verdict")),
            "verdict_label": VERDICT_LABELS.get(str(c.get("verdict")), _text(c.get("verdict")))})
    inp = doc.get("input") or {}
    return _env().get_template("msa.html.j2").render(
        generator=f"pilotqa {_text(tool.get('version'))}",
        generated=str(doc.get("generated_at", "")).replace("T", " ")[:19] + " UTC",
        k=_fmt(crit.get("study_var")), accept=_fmt(crit.get("grr_accept")),
        reject=_fmt(crit.get("grr_reject")), ndc_min=_fmt(crit.get("ndc_min"), "int"),
        cg_min=_fmt(crit.get("cg_min")), rows=rows,
        files=[{k: _text(f.get(k)) for k in ("path", "format", "sha256")}
               for f in inp.get("files") or []],
        input_notes=[_text(n) for n in inp.get("notes") or []],
        sections=[_section(c, doc) for c in chars], plotly_js=_plotly_js())


def write_html(doc: dict[str, Any], path: Path) -> None:
    """Write the HTML report to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(doc), encoding="utf-8")


# ------------------------------------------------------------------ XLSX
def _put(ws: Any, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    """One cell: finite numbers as numbers, None as empty, text protected (never a formula)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return
    cell = ws.cell(row=row, column=col)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
        if fmt:
            cell.number_format = fmt
        return
    if isinstance(value, bool):
        value = "yes" if value else "no"
    text, quote = xlsx_text(value)
    cell.value = text
    cell.data_type = "s"
    if quote:
        cell.quotePrefix = True


def _sheet(wb: Any, title: str, headers: list[str], rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    for j, h in enumerate(headers, start=1):
        _put(ws, 1, j, h)
        c = ws.cell(row=1, column=j)
        c.font, c.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F3B73")
    widths = [max(8, len(h) + 2) for h in headers]
    for i, row in enumerate(rows, start=2):
        for j, v in enumerate(row, start=1):
            _put(ws, i, j, v)
            widths[j - 1] = max(widths[j - 1], min(60, len(str(v)) + 2 if v is not None else 0))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(2, len(rows) + 1)}"


def write_xlsx(doc: dict[str, Any], path: Path) -> None:
    """Write the workbook (sheets Summary, Components, ANOVA, Type 1, Data, Cover)."""
    from openpyxl import Workbook

    chars = doc.get("characteristics") or []
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "pilotqa"
    grr = [c for c in chars if c.get("method") != "type1"]
    t1 = [c for c in chars if c.get("method") == "type1"]
    _sheet(wb, "Summary", ["characteristic", "method", "tolerance", "%GRR of tolerance",
                           "%GRR of study variation", "ndc", "Cg", "Cgk", "verdict", "basis",
                           "reasons"],
           [[c.get("feature"), c.get("method"), c.get("tolerance"),
             (c.get("pct_tolerance") or {}).get("grr"), (c.get("pct_study_var") or {}).get("grr"),
             c.get("ndc"), c.get("cg"), c.get("cgk"), c.get("verdict"), c.get("verdict_basis"),
             "; ".join(str(r) for r in c.get("reasons") or [])] for c in chars])
    comp_rows = []
    for c in grr:
        for key in _COMPONENTS:
            ci = (c.get("intervals") or {}).get(key) or [None, None]
            comp_rows.append([c.get("feature"), COMPONENT_LABELS[key], c.get(key),
                              (c.get("study_variation") or {}).get(key),
                              (c.get("pct_study_var") or {}).get(key),
                              (c.get("pct_tolerance") or {}).get(key),
                              (c.get("pct_contribution") or {}).get(key), ci[0], ci[1]])
    _sheet(wb, "Components", ["characteristic", "source", "sigma", "study variation",
                              "% study var", "% tolerance", "% contribution", "sigma lower",
                              "sigma upper"], comp_rows)
    anova_rows = []
    for c in grr:
        for key in ("anova", "anova_pooled"):
            for r in c.get(key) or []:
                anova_rows.append([c.get("feature"), "full" if key == "anova" else "pooled",
                                   r.get("source"), r.get("df"), r.get("ss"), r.get("ms"),
                                   r.get("f"), r.get("p")])
    _sheet(wb, "ANOVA", ["characteristic", "model", "source", "df", "SS", "MS", "F", "p"],
           anova_rows)
    _sheet(wb, "Type 1", ["characteristic", "n", "mean", "s", "reference", "bias", "bias t",
                          "bias p", "Cg", "Cgk", "%Var repeatability", "verdict"],
           [[c.get("feature"), c.get("n"), c.get("mean"), c.get("sd"), c.get("reference"),
             c.get("bias"), c.get("bias_t"), c.get("bias_p"), c.get("cg"), c.get("cgk"),
             c.get("pct_var_repeatability"), c.get("verdict")] for c in t1])
    data_rows: list[list[Any]] = []
    for c in chars:
        vals = (c.get("data") or {}).get("values") or []
        if c.get("method") == "type1":
            data_rows += [[c.get("feature"), None, None, i + 1, v] for i, v in enumerate(vals)]
            continue
        apps, parts = c.get("appraisers") or [], c.get("parts") or []
        for i, per_app in enumerate(vals):
            for j, per_part in enumerate(per_app):
                for t, v in enumerate(per_part):
                    data_rows.append([c.get("feature"), apps[i] if i < len(apps) else i + 1,
                                      parts[j] if j < len(parts) else j + 1, t + 1, v])
    _sheet(wb, "Data", ["characteristic", "appraiser", "part", "trial", "value"], data_rows)
    inp = doc.get("input") or {}
    crit = (doc.get("settings") or {}).get("criteria") or {}
    cover = [["schema", doc.get("schema")], ["generated", doc.get("generated_at")],
             ["pilotqa", (doc.get("tool") or {}).get("version")]]
    cover += [[f"input {f.get('path')}", f.get("sha256")] for f in inp.get("files") or []]
    cover += [[f"criteria.{k}", v] for k, v in crit.items()]
    cover += [["note", n] for n in inp.get("notes") or []]
    _sheet(wb, "Cover", ["item", "value"], cover)
    wb.save(path)


# ------------------------------------------------------------------ outputs
def _ours(path: Path) -> bool:
    if path.suffix == ".json":
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("schema") == "pilotqa.msa/1"
        except (OSError, ValueError, AttributeError):
            return False
    return written_by_pilotqa(path)


def write_outputs(doc: dict[str, Any], out_dir: Path, stem: str,
                  formats: Sequence[str] = FORMATS, *, force: bool = False,
                  inputs: Sequence[str | Path] = ()) -> list[Path]:
    """Write ``out_dir/<stem>.msa.<fmt>`` for each format; returns the paths written.

    Raises
    ------
    InputError
        A target exists that pilotqa did not write (without ``force``), or is an input.
    """
    from pilotqa.report.outputs import write_targets  # exclusive temporary files, atomic rename

    def writer(fmt: str) -> Callable[[Path], None]:
        w = {"json": write_json, "html": write_html, "xlsx": write_xlsx}[fmt]
        return lambda path: w(doc, path)

    return write_targets(out_dir, [(out_dir / f"{stem}.msa.{fmt}", writer(fmt)) for fmt in formats],
                         force=force, inputs=inputs, ours=_ours)
