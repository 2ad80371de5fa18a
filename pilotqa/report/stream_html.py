"""The per-stream block of a characteristic's report page: a box plot by stream (inline SVG, no
script, no external resource) and the per-stream table, for every stream factor of
:attr:`pilotqa.results.FeatureStats.streams` (fixture, nest, machine … and ``--by`` columns).

:func:`streams_block` returns an empty string for a characteristic without stream analyses, so the
page of an export without stream columns is unchanged.

Box plot: box from the first to the third quartile (``numpy.percentile``, linear interpolation),
line at the median, whiskers to the most extreme readings within 1.5 IQR of the box (Tukey 1977,
*Exploratory Data Analysis*, ch. 2), readings beyond them as points; dashed lines at LSL/USL.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from markupsafe import Markup, escape

from pilotqa.results import FeatureStats, StreamEffect
from pilotqa.report.text import fmt_value, value_decimals

__all__ = ["streams_block", "box_stats"]

_W, _LEFT, _RIGHT, _ROW, _TOP, _AXIS = 620, 90, 20, 30, 10, 34


def box_stats(values: Sequence[float]) -> dict[str, Any] | None:
    """Quartiles, median, whisker ends (most extreme readings within 1.5 IQR of the box) and
    the readings beyond them; None without readings.

    >>> b = box_stats([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> b["q1"], b["median"], b["q3"], b["lo"], b["hi"], b["outliers"]
    (2.0, 3.0, 4.0, 1.0, 4.0, [100.0])
    """
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return None
    q1, med, q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))
    iqr = q3 - q1
    inside = x[(x >= q1 - 1.5 * iqr) & (x <= q3 + 1.5 * iqr)]
    return {"q1": q1, "median": med, "q3": q3, "lo": float(inside.min()), "hi": float(inside.max()),
            "outliers": [float(v) for v in x if v < inside.min() or v > inside.max()]}


def _svg(fs: FeatureStats, factor: str, se: StreamEffect, d: int) -> str:
    labels = fs.series.streams.get(factor)
    if not labels or len(labels) != len(fs.series.values):
        return ""
    vals = np.asarray(fs.series.values, dtype=float)
    lab = np.asarray(labels, dtype=object)
    names = [p.stream for p in se.per_stream]
    boxes = [(n, box_stats(list(vals[lab == n]))) for n in names]
    pts: list[float] = [v for _, b in boxes if b for v in (b["lo"], b["hi"], *b["outliers"])]
    lim = [v for v in (fs.lsl, fs.usl) if v is not None]
    lo, hi = min(pts + lim, default=0.0), max(pts + lim, default=1.0)
    pad = (hi - lo) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad
    height = _TOP + _ROW * len(boxes) + _AXIS

    def x(v: float) -> float:
        return _LEFT + (v - lo) / (hi - lo) * (_W - _LEFT - _RIGHT)

    out = [f'<svg class="stream-box" role="img" viewBox="0 0 {_W} {height}" width="{_W}" height="{height}" '
           f'aria-label="{escape(fs.feature)} by {escape(factor)}" xmlns="http://www.w3.org/2000/svg">']
    for name, v in (("LSL", fs.lsl), ("USL", fs.usl)):
        if v is not None:
            out.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{_TOP - 4}" y2="{height - _AXIS + 4}" '
                       f'stroke="#c0392b" stroke-dasharray="4 3"><title>{name} {fmt_value(v, "val", d)}</title></line>')
    for i, (name, b) in enumerate(boxes):
        y = _TOP + i * _ROW + _ROW / 2
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12">{escape(name)}</text>')
        if b is None:
            continue
        tip = (f"{escape(factor)} {escape(name)}: median {fmt_value(b['median'], 'val', d)}, "
               f"quartiles {fmt_value(b['q1'], 'val', d)} … {fmt_value(b['q3'], 'val', d)}")
        out.append(f'<line x1="{x(b["lo"]):.1f}" x2="{x(b["hi"]):.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#555"/>')
        out.append(f'<rect x="{x(b["q1"]):.1f}" y="{y - 9:.1f}" width="{max(x(b["q3"]) - x(b["q1"]), 1):.1f}" '
                   f'height="18" fill="#aecbe8" stroke="#2c5d8a"><title>{tip}</title></rect>')
        out.append(f'<line x1="{x(b["median"]):.1f}" x2="{x(b["median"]):.1f}" y1="{y - 9:.1f}" y2="{y + 9:.1f}" '
                   'stroke="#1b3a57" stroke-width="2"/>')
        for v in b["outliers"]:
            out.append(f'<circle cx="{x(v):.1f}" cy="{y:.1f}" r="2.5" fill="none" stroke="#555"/>')
    ya = height - _AXIS + 8
    out.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{ya}" y2="{ya}" stroke="#888"/>')
    for t in np.linspace(lo + pad, hi - pad, 5):
        out.append(f'<text x="{x(float(t)):.1f}" y="{ya + 16}" text-anchor="middle" font-size="11">'
                   f'{fmt_value(float(t), "val", d)}</text>')
    out.append("</svg>")
    return "".join(out)


def _summary(factor: str, se: StreamEffect, unit: str) -> str:
    share = f"{se.between_share * 100:.0f} %" if se.between_share is not None else "—"
    parts = [f"{se.k} {escape(factor)} streams tested",
             f"ANOVA F {fmt_value(se.anova_f, 'g')} (p {fmt_value(se.anova_p, 'p')})",
             f"Welch p {fmt_value(se.welch_p, 'p')}", f"Brown–Forsythe p {fmt_value(se.levene_p, 'p')}",
             f"{escape(factor)} share of variance {share}"]
    if se.stream is not None and se.offset is not None:
        pct = f" ({fmt_value(se.offset_pct_tolerance, 'pct')} % of tolerance)" if se.offset_pct_tolerance is not None else ""
        parts.append(f"{escape(se.stream)} sits {se.offset:+.3g}{escape(unit)}{pct} from the others")
    verdict = ("significant and practically relevant" if se.significant and se.practically_relevant
               else "significant, below the relevance limit" if se.significant
               else "not significant" if se.significant is False else "not tested")
    return "; ".join(parts) + f" — {verdict}."


def streams_block(fs: FeatureStats) -> Markup:
    """HTML of every stream factor of one characteristic (empty without stream analyses)."""
    if not fs.streams:
        return Markup("")
    d = value_decimals(fs)
    unit = f" {fs.unit}" if fs.unit else ""
    html = ['<section class="streams">']
    for factor, se in fs.streams.items():
        html.append(f"<h3>By {escape(factor)}</h3>")
        html.append(f"<p>{_summary(factor, se, unit)}</p>")
        html.append(_svg(fs, factor, se, d))
        html.append(f'<table class="grid compact streams"><thead><tr><th>{escape(factor)}</th><th>n</th><th>mean</th>'
                    "<th>sd</th><th>Ppk</th><th>Ppk interval</th></tr></thead><tbody>")
        for p in se.per_stream:
            ci = (f"{fmt_value(p.ppk_ci[0], 'idx')} … {fmt_value(p.ppk_ci[1], 'idx')}" if p.ppk_ci else "—")
            html.append(f"<tr><td>{escape(p.stream)}</td><td>{p.n}</td><td>{fmt_value(p.mean, 'val', d + 1)}</td>"
                        f"<td>{fmt_value(p.sd, 'val', d + 1)}</td><td>{fmt_value(p.ppk, 'idx')}</td><td>{ci}</td></tr>")
        html.append("</tbody></table>")
        if se.tukey:
            html.append("<table class=\"grid compact streams-tukey\"><thead><tr><th>pair</th><th>difference</th>"
                        "<th>Tukey p</th></tr></thead><tbody>")
            for t in se.tukey:
                html.append(f"<tr><td>{escape(t.stream_a)} − {escape(t.stream_b)}</td>"
                            f"<td>{fmt_value(t.diff, 'val', d + 1)}</td><td>{fmt_value(t.p_adj, 'p')}</td></tr>")
            html.append("</tbody></table>")
        if se.notes:
            html.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in se.notes) + "</ul>")
    html.append("</section>")
    return Markup("".join(html))
