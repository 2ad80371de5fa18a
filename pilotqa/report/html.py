"""Self-contained HTML capability report (one file, offline, printable).

The report is rendered from the typed :class:`pilotqa.analysis.AnalysisResult` (read by
attribute: the statistics, decision and plot series of each characteristic, the inspection, the
settings and the policy); the summary rows come from :func:`pilotqa.report.summary.summary_row`,
the same rows as the XLSX Summary sheet:

* cover — part, revision, description, supplier and the other metadata, lots with their dates
  and part counts, input files with SHA-256, pilotqa version, settings and policy, generation
  time (UTC), the overall statement;
* summary table — one row per characteristic, critical first, colour-coded, sortable by
  clicking a header (a tiny inline script);
* one section per characteristic — the capability sixpack (:mod:`pilotqa.report.figures`), the
  indices with their confidence intervals, normality, PPM, stability, drift, lot-to-lot and
  resolution evidence, the verdict with its plan and reasons, and the notes.

plotly.js is inlined exactly once; every figure is a JSON block
(``<script type="application/json">``, escaped by :func:`pilotqa.report.safe.json_for_script`)
drawn when it scrolls into view (IntersectionObserver) and all at once before printing
(``beforeprint``) or on "Render all plots". No resource is loaded from anywhere: no CDN, fonts,
images or MathJax. Print CSS puts each characteristic on its own page with a running header
(``@page`` margin boxes with part number, revision and page numbers; each section also repeats
the part and revision in its first line for browsers without margin boxes).

All input text goes through jinja2 with ``autoescape=True``; ``Markup`` is produced only by the
helpers of :mod:`pilotqa.report.safe` and for plotly.js itself.
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from pilotqa import __version__
from pilotqa.report.figures import MAX_POINTS, attribute_chart, sixpack
from pilotqa.report.labels import GLOSSARY, lot_size_sentence, policy_rows, settings_rows
from pilotqa.report.stream_html import streams_block
from pilotqa.report.safe import NULL_TEXT, clean_text, css_string, json_for_script
from pilotqa.report.summary import (PARTS_HEADING, PPAP_HEADING, PPAP_SENTENCE, Flag, SummaryRow,
                                    summary_row)
from pilotqa.report.text import (CLASS_ORDER, LOT_HEADINGS, READINESS_LABELS, VERDICT_LABELS,
                                 approval_lines, fmt_value, generated_text, lot_details,
                                 ordered_features, out_of_spec_findings, plan_summary,
                                 scalar_text, signal_findings, value_decimals, verdict_label)
from pilotqa.results import (CapabilityModel, Decision, FeatureResult, FeatureStats, LotEffect,
                             Plan, Stability)
from pilotqa.util import finite_or_none, json_safe

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["render_html", "write_html", "PERCENTILE_MARK", "READINESS_LABELS", "signal_rows",
           "out_of_spec_rows"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Labels of the plan fields shown on a characteristic's page (others show their field name).
_PLAN_LABELS: dict[str, str] = {
    "standard": "standard", "code_letter": "code letter", "sample_size": "sample size n",
    "accept": "accept (Ac)", "reject": "reject (Re)", "k": "acceptability constant k",
    "aql": "AQL %", "level": "inspection level", "lot_size": "lot size",
    "severity": "severity", "plan_letter": "plan letter", "pieces_per_lot": "pieces per lot",
    "periodic_every": "one part every", "reaction_limits": "reaction limits",
    "hundred_percent": "sample = whole lot", "lot_range": "lot-size range", "arrow": "table arrow",
    "form": "Z1.9 form", "m": "M (max. % nonconforming)", "m_upper": "M above USL %",
    "m_lower": "M below LSL %", "aql_upper": "AQL above USL %", "aql_lower": "AQL below LSL %",
}

#: Rows of a signal table shown on a characteristic's page (the XLSX Findings sheet has all).
MAX_SIGNAL_ROWS = 6

#: Marks a summary Ppk that is the ISO 22514-2 percentile index of a fitted non-normal model.
PERCENTILE_MARK = " †"


# ---------------------------------------------------------------- summary table
def _cell(text: str, sort: Any = None, cls: str = "") -> dict[str, str]:
    s = "" if sort is None else (f"{sort:.12g}" if isinstance(sort, float) else str(sort))
    return {"text": text, "sort": s, "cls": cls}


def _flag_cell(flag: Flag) -> dict[str, str]:
    sort = None if flag.status == "na" else int(flag.status == "bad")
    return _cell(flag.text or NULL_TEXT, sort, flag.status)


def _summary_cells(row: SummaryRow) -> dict[str, Any]:
    """The HTML cells (text, sort key, CSS class) of one summary row."""
    d = row.decimals
    mark = PERCENTILE_MARK if row.percentile else ""

    def idx_cell(x: float | None, suffix: str = "") -> dict[str, str]:
        v = finite_or_none(x)
        return _cell(fmt_value(v, "idx") + (suffix if v is not None else ""), v,
                     row.index_status(v))

    klass = row.class_
    cells = [
        _cell(str(row.number), row.number, "num"),
        _cell(clean_text(row.feature), None, "name"),
        _cell(klass or NULL_TEXT, CLASS_ORDER.get(klass, 3), f"cls-{klass}"),
        _cell(fmt_value(row.nominal, "val", d), finite_or_none(row.nominal), "num"),
        _cell(fmt_value(row.lsl, "val", d), finite_or_none(row.lsl), "num"),
        _cell(fmt_value(row.usl, "val", d), finite_or_none(row.usl), "num"),
        _cell(clean_text(row.unit or NULL_TEXT)),
        _cell(fmt_value(row.n, "int"), finite_or_none(row.n), "num"),
        _cell(fmt_value(row.mean, "val", d + 1), finite_or_none(row.mean), "num"),
        idx_cell(row.cpk), idx_cell(row.cpk_lower), idx_cell(row.ppk, mark),
        idx_cell(row.ppk_lower, mark),
    ]
    cells.append(_flag_cell(row.ppap))
    cells += [_flag_cell(f) for f in row.flags]
    rank = list(VERDICT_LABELS).index(row.verdict) if row.verdict in VERDICT_LABELS else 9
    cells.append(_cell(row.verdict_label, rank, f"verdict v-{row.verdict}"))
    cells.append(_cell(row.plan))
    unreachable = row.parts_needed is not None and row.parts_needed_total is None
    cells.append(_cell(row.parts_needed or NULL_TEXT,
                       10**9 if unreachable else row.parts_needed_total,
                       "num bad" if unreachable else "num"))
    return {"anchor": f"c{row.number - 1}", "cells": cells, "verdict": row.verdict or "none"}


# ---------------------------------------------------------------- characteristic pages
def _index_rows(fs: FeatureStats) -> list[list[str]]:
    """Capability indices with their intervals; a fitted non-normal model's indices after."""
    rows = []
    for label, value, ci in (("Cp", fs.cp, fs.cp_ci), ("Cpk", fs.cpk, fs.cpk_ci),
                             ("Pp", fs.pp, fs.pp_ci), ("Ppk", fs.ppk, fs.ppk_ci)):
        lo, hi = ci or (None, None)
        rows.append([label, fmt_value(value, "idx"), fmt_value(lo, "idx"), fmt_value(hi, "idx")])
    two_sided = fs.lsl is not None and fs.usl is not None  # Cpm needs a target between limits
    for label, x in (("Cpl", fs.cpl), ("Cpu", fs.cpu), ("Ppl", fs.ppl), ("Ppu", fs.ppu),
                     ("Cpm", fs.cpm if two_sided else None)):
        if x is not None:
            rows.append([label, fmt_value(x, "idx"), NULL_TEXT, NULL_TEXT])
    cm = fs.capability_model
    if cm is not None and cm.distribution.lower() not in ("normal", "norm"):
        dist = clean_text(cm.distribution)
        for label, x in (("Cp", cm.cp), ("Cpk", cm.cpk), ("Pp", cm.pp), ("Ppk", cm.ppk),
                         ("Ppl", cm.ppl), ("Ppu", cm.ppu)):
            if x is not None:
                lo, hi = (cm.ppk_ci or (None, None)) if label == "Ppk" else (None, None)
                rows.append([f"{label} ({dist})", fmt_value(x, "idx"), fmt_value(lo, "idx"),
                             fmt_value(hi, "idx")])
    return rows


def _model_rows(cm: CapabilityModel, d: int) -> list[tuple[str, str]]:
    """Parameters, percentiles, the models weighed and the decision basis of a fitted model."""
    rows: list[tuple[str, str]] = []
    if cm.params:
        rows.append(("model parameters", ", ".join(
            f"{clean_text(str(k))} = {scalar_text(v)}" for k, v in cm.params.items())))
    if cm.percentiles is not None:
        pc = cm.percentiles
        rows.append(("model X0.135 / X50 / X99.865", " / ".join(
            fmt_value(v, "val", d + 1) for v in (pc.x0_135, pc.x50, pc.x99_865))))
    if cm.alternatives:
        rows.append(("fitted models: ΔAIC, Ppk (lower bound)", "; ".join(
            f"{clean_text(a.distribution)} {fmt_value(a.aic_delta, 'g')}, "
            f"{fmt_value(a.ppk, 'idx')} ({fmt_value(a.ppk_ci[0] if a.ppk_ci else None, 'idx')})"
            for a in cm.alternatives)))
    if cm.decision_basis:
        rows.append(("decisions use", clean_text(cm.decision_basis)))
    return rows


def _process_rows(fs: FeatureStats, d: int) -> list[tuple[str, str]]:
    """n, mean, σ, PPM, normality tests and the capability model."""
    norm, cm, method = fs.normality, fs.capability_model, fs.sigma_within_method
    model = NULL_TEXT
    if cm is not None:
        model = clean_text(cm.distribution or NULL_TEXT) + (
            f" — {clean_text(cm.method)}" if cm.method else "")
    rows = [
        ("n", f"{fmt_value(fs.n, 'int')} ({fmt_value(fs.n_missing, 'int')} missing,"
              f" {fmt_value(fs.n_out_of_spec, 'int')} out of spec)"),
        ("mean", fmt_value(fs.mean, "val", d + 1)),
        (f"σ within ({clean_text(method) if method else NULL_TEXT})",
         fmt_value(fs.sigma_within, "val", d + 1)),
        ("σ overall", fmt_value(fs.sigma_overall, "val", d + 1)),
        ("PPM expected", fmt_value(fs.ppm_expected, "ppm")),
        ("PPM observed", fmt_value(fs.ppm_observed, "ppm")),
        ("Anderson–Darling A² (p)", f"{fmt_value(norm.ad_statistic, 'g')} "
                                    f"({fmt_value(norm.ad_p_value, 'p')})"),
        ("Shapiro–Wilk p", fmt_value(norm.sw_p_value, "p")),
        ("normal", fmt_value(norm.normal)),
        ("capability model", model),
    ]
    return rows + (_model_rows(cm, d) if cm is not None else [])


def _violations_text(st: Stability | None) -> str:
    """Run-rule signals grouped by chart and rule, with the first five points (1-based)."""
    viol: dict[tuple[str, int], list[int]] = {}
    for v in st.violations if st is not None else ():
        viol.setdefault((str(v.chart), int(v.rule)), []).append(
            int(v.point) if v.point is not None else int(v.index) + 1)
    return "; ".join(
        f"{'X' if c == 'x' else 'range'} chart rule {r}: {len(pts)} point"
        f"{'s' if len(pts) != 1 else ''} ({', '.join(map(str, pts[:5]))}"
        f"{' …' if len(pts) > 5 else ''})" for (c, r), pts in sorted(viol.items())) or "none"


def _stability_rows(st: Stability | None, d: int) -> list[tuple[str, str]]:
    def val(x: float | None) -> str:
        return fmt_value(x, "val", d + 1)

    limits = (st.center, st.lcl, st.ucl) if st else (None, None, None)
    rlimits = (st.range_center, st.range_lcl, st.range_ucl) if st else (None, None, None)
    return [
        ("chart", clean_text(st.chart if st and st.chart else NULL_TEXT)),
        ("centre / LCL / UCL", " / ".join(val(x) for x in limits)),
        ("range CL / LCL / UCL", " / ".join(val(x) for x in rlimits)),
        ("rules broken", _violations_text(st)),
        ("stable", fmt_value(st.stable if st else None)),
    ]


def _evidence_rows(fs: FeatureStats, d: int, unit: str) -> list[tuple[str, str]]:
    """Stability, drift, lot-to-lot and resolution evidence of one characteristic."""
    dr, lt, res = fs.drift, fs.lots, fs.resolution
    rows = _stability_rows(fs.stability, d)
    rows += [
        (f"drift slope ({unit}/part)" if unit else "drift slope (per part)",
         fmt_value(dr.slope if dr else None, "g")),
        ("drift p (HAC / Mann–Kendall)", f"{fmt_value(dr.p_value if dr else None, 'p')} / "
                                         f"{fmt_value(dr.mann_kendall_p if dr else None, 'p')}"),
        ("drift, % of tolerance", fmt_value(dr.drift_pct_tolerance if dr else None, "pct")),
        ("parts to a limit", fmt_value(dr.parts_to_limit if dr else None, "int")),
        ("drift significant", fmt_value(dr.significant if dr else None)),
    ]
    rows += _lot_rows(lt)
    rows += [
        ("resolution step (% of tol.)", f"{fmt_value(res.step if res else None, 'g')} "
                                        f"({fmt_value(res.pct_tolerance if res else None, 'pct')})"),
        ("distinct values / adequate",
         f"{fmt_value(res.distinct_values if res else None, 'int')} / "
         f"{fmt_value(res.adequate if res else None)}"),
    ]
    return rows


def _lot_rows(lt: LotEffect | None) -> list[tuple[str, str]]:
    return [
        ("lots", fmt_value(lt.k if lt else None, "int")),
        ("ANOVA F (p) / Welch p", f"{fmt_value(lt.anova_f if lt else None, 'g')} "
                                  f"({fmt_value(lt.anova_p if lt else None, 'p')}) / "
                                  f"{fmt_value(lt.welch_p if lt else None, 'p')}"),
        ("Kruskal–Wallis p / Levene p", f"{fmt_value(lt.kruskal_p if lt else None, 'p')} / "
                                        f"{fmt_value(lt.levene_p if lt else None, 'p')}"),
        ("between-lot variance share", fmt_value(lt.between_lot_share if lt else None, "g")),
        ("lot effect", fmt_value(lt.significant if lt else None)),
    ]


def signal_rows(fs: FeatureStats) -> list[list[str]]:
    """One row per run-rule signal (:func:`pilotqa.report.text.signal_findings`): 1-based
    point as the chart numbers it, serial, lot, chart, Nelson rule."""
    return [[scalar_text(f.point), clean_text(f.serial), clean_text(f.lot or NULL_TEXT),
             f.chart or NULL_TEXT, scalar_text(f.rule)] for f in signal_findings(fs)]


def out_of_spec_rows(fs: FeatureStats, d: int) -> list[list[str]]:
    """One row per reading outside the tolerance (:func:`pilotqa.report.text.out_of_spec_findings`):
    1-based point in time order, serial, lot, value (go/no-go: the reading as written), the
    limit passed, and which side."""
    return [[scalar_text(f.point), clean_text(f.serial), clean_text(f.lot or NULL_TEXT),
             fmt_value(f.value, "val", d) if f.value is not None
             else clean_text(f.reading or NULL_TEXT),
             fmt_value(f.limit, "val", d), clean_text(f.side or NULL_TEXT)]
            for f in out_of_spec_findings(fs)]


#: Columns of the per-lot table (the fields of :class:`pilotqa.results.LotSummary`).
_LOT_COLUMNS: tuple[str, ...] = tuple(LOT_HEADINGS.values())


def _lot_table(lt: LotEffect | None, d: int) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-lot table (empty without lots)."""
    if lt is None or not lt.per_lot:
        return [], []
    rows = [[scalar_text(p.lot), scalar_text(p.n), fmt_value(p.mean, "val", d + 1),
             fmt_value(p.sd, "val", d + 1), fmt_value(p.pp, "idx"), fmt_value(p.ppk, "idx"),
             scalar_text(p.first_sequence)] for p in lt.per_lot]
    return list(_LOT_COLUMNS), rows


def _plan_block(dec: Decision) -> dict[str, Any]:
    """Verdict, plan line, acceptance rule, plan details and reasons of a decision."""
    verdict, plan = dec.verdict, dec.plan
    return {
        "verdict": verdict or "none",
        "verdict_label": clean_text(verdict_label(verdict)),
        "plan_rows": _plan_rows(plan),
        "plan_rule": clean_text(plan.rule_text or "") if plan is not None else "",
        "plan_text": plan_summary(verdict, plan) if verdict != "keep_100" else "",
        "plan_form": _form_text(plan),
        "reasons": [clean_text(r) for r in dec.reasons],
        "parts_needed": clean_text(dec.parts_needed.sentence()) if dec.parts_needed else "",
    }


def _form_text(plan: Plan | None) -> str:
    """The Form 2 (double specification limit) acceptance criterion of a variables plan."""
    if plan is None or plan.form != 2:
        return ""
    if plan.m_upper is not None and plan.m_lower is not None and plan.m_upper != plan.m_lower:
        return (f"Form 2, separate AQLs: accept when the estimated percent above USL is at most "
                f"M_U = {scalar_text(plan.m_upper)} %, the percent below LSL at most "
                f"M_L = {scalar_text(plan.m_lower)} %, and their sum at most the larger of the two "
                "(Z1.9 / MIL-STD-414 Section B, Example B-4).")
    return (f"Form 2 (double specification limit): accept when the estimated percent "
            f"nonconforming above USL plus below LSL is at most M = {scalar_text(plan.m)} %.")


def _plan_rows(plan: Plan | None) -> list[tuple[str, str]]:
    if plan is None:
        return []
    same = {"m_upper": plan.m, "m_lower": plan.m, "aql_upper": plan.aql, "aql_lower": plan.aql}
    rows = []
    for f in dataclasses.fields(plan):
        v = getattr(plan, f.name)
        if f.name in same and v == same[f.name] and plan.m_upper == plan.m_lower:
            continue  # one AQL for both limits: M and AQL once
        if v is not None and f.name not in ("rule_text", "method"):
            rows.append((clean_text(_PLAN_LABELS.get(f.name, f.name)), scalar_text(v)))
    return rows


def _section(fr: FeatureResult, i: int, pos: int, total: int, conf: float,
             max_points: int, lot_note: str = "") -> dict[str, Any]:
    """The template context of one characteristic's page (``i``: its index in the input)."""
    fs = fr.stats
    d = value_decimals(fs)
    unit = clean_text(fs.unit or "")
    cm = fs.capability_model
    lot_cols, lot_rows = _lot_table(fs.lots, d)
    return {
        "anchor": f"c{i}", "pos": pos, "total": total, "number": i + 1,
        "name": clean_text(fs.feature), "klass": fr.class_ or "", "unit": unit,
        "spec": [("nominal", fmt_value(fs.nominal, "val", d)),
                 ("LSL", fmt_value(fs.lsl, "val", d)),
                 ("USL", fmt_value(fs.usl, "val", d))],
        "conf": f"{100 * conf:g} %", "idx_rows": _index_rows(fs),
        "process": _process_rows(fs, d), "evidence": _evidence_rows(fs, d, unit),
        "lot_cols": lot_cols, "lot_rows": lot_rows, "oos_rows": out_of_spec_rows(fs, d),
        "streams_html": streams_block(fs),  # box plot and table per stream factor (--by), escaped
        **_signals(fs),
        **_plan_block(fr.decision),
        "model_reason": clean_text(cm.reason or "") if cm is not None else "",
        "notes": [clean_text(n) for n in fs.notes],
        "fig_id": f"fig{i}", "fig_json": json_for_script(sixpack(fs, max_points=max_points)),
        "lot_note": lot_note if fr.decision.plan is not None else "",
        **(_attribute_part(fr) if fs.type == "attribute" else {"attribute": False}),
    }


def _attribute_part(fr: FeatureResult) -> dict[str, Any]:
    """A go/no-go characteristic's page: its counts, bound and requirement instead of the
    capability, process and stability tables, and the run chart of nonconforming parts instead
    of the sixpack (none for AQDEF sample counts without per-part readings)."""
    fs, ev = fr.stats, fr.decision.evidence

    def pct(x: float | None) -> str:
        return NULL_TEXT if x is None else f"{100 * x:.3g} %"

    rows = [("parts checked n", fmt_value(fs.n, "int")),
            ("nonconforming", fmt_value(fs.n_nonconforming, "int")),
            ("observed fraction", pct(fs.fraction_nonconforming)),
            (f"upper bound p ({pct(fs.p_upper_confidence)} confidence)", pct(fs.p_upper)),
            ("largest bound allowed for the class", pct(ev.attribute_max_p_upper)),
            ("parts with none nonconforming that would show it",
             fmt_value(ev.zero_failure_parts, "int")),
            ("method", clean_text(fs.p_upper_method or NULL_TEXT)),
            ("data", clean_text(fs.attribute_source or NULL_TEXT))]
    has_series = np.asarray(fs.series.values).size > 0
    return {"attribute": True, "attr_rows": rows,
            "success_run": clean_text(fs.success_run or ""), "idx_rows": [], "process": [],
            "evidence": [], "model_reason": "",
            "fig_json": json_for_script(attribute_chart(fs)) if has_series else ""}


def _signals(fs: FeatureStats) -> dict[str, Any]:
    rows = signal_rows(fs)
    return {"signal_rows": rows[:MAX_SIGNAL_ROWS],
            "signals_more": max(0, len(rows) - MAX_SIGNAL_ROWS)}


def _plan_lot_note(result: "AnalysisResult") -> str:
    """The lot size a characteristic's plan assumes when none was given ("" when given)."""
    if lot_size_sentence(result) is None:
        return ""
    return clean_text(f"The plan assumes lots of {result.lot_size} parts "
                      f"({result.lot_size_source}): no lot size was given (--lot-size).")


# ---------------------------------------------------------------- readiness
def _readiness(result: "AnalysisResult") -> dict[str, Any]:
    """The part-level answer for the top of the report: status, statement, nonconforming
    serials, and per kept characteristic the first reason and what would release it."""
    rd = result.readiness
    by_name = {fr.feature: fr for fr in result.features}
    kept = []
    for item in rd.kept_100:
        fr = by_name.get(item.feature)
        pn = fr.decision.parts_needed if fr is not None else None
        kept.append({"feature": clean_text(item.feature), "klass": clean_text(item.class_ or ""),
                     "reason": clean_text(item.reason),
                     "release": clean_text(pn.sentence()) if pn is not None else NULL_TEXT})
    return {"status": rd.status,
            "label": READINESS_LABELS.get(rd.status, clean_text(rd.status)),
            "statement": clean_text(rd.statement), "kept": kept,
            "released": len(rd.released),
            "parts": [{"part": clean_text(p.part_id), "lot": clean_text(p.lot or NULL_TEXT),
                       "features": clean_text(", ".join(p.features))}
                      for p in rd.nonconforming_parts]}


# ---------------------------------------------------------------- cover
def _lots(result: "AnalysisResult") -> list[dict[str, str]]:
    by_lot = {str(d.lot): d for d in lot_details(result)}

    def day(ts: str | None) -> str:
        return ts.replace("T", " ")[:16] if ts else ""

    out: list[dict[str, str]] = []
    for lot in result.inspection.lots or list(by_lot):
        d = by_lot.get(str(lot))
        first, last = (day(d.first), day(d.last)) if d else ("", "")
        dates = first if first == last else (f"{first} … {last}" if first and last else
                                             first or last)
        out.append({"lot": clean_text(str(lot)), "parts": scalar_text(d.parts if d else None),
                    "dates": clean_text(dates) or NULL_TEXT})
    return out


def _cover(result: "AnalysisResult") -> dict[str, Any]:
    """Metadata, lots, input files, settings and policy of the cover page."""
    insp = result.inspection
    meta = {str(k): v for k, v in json_safe(dict(insp.metadata)).items()}
    part = clean_text(str(meta.get("part_number") or NULL_TEXT))
    rev = clean_text(str(meta.get("revision") or NULL_TEXT))
    known = ("part_number", "revision", "description", "supplier")
    return {
        "title": f"Capability report {part} rev. {rev}",
        "part": part, "revision": rev,
        "description": clean_text(str(meta.get("description") or NULL_TEXT)),
        "supplier": clean_text(str(meta.get("supplier") or NULL_TEXT)),
        "other_meta": [(clean_text(k.replace("_", " ")), scalar_text(v))
                       for k, v in meta.items() if k not in known],
        "lots": _lots(result), "parts": scalar_text(insp.n_parts),
        "layout": clean_text(insp.layout or NULL_TEXT),
        "readings": scalar_text(insp.measurements.height),
        "files": [{"path": clean_text(f.path), "sha256": clean_text(f.sha256),
                   "format": clean_text(f.format or "")} for f in insp.files],
        "input_notes": [clean_text(n) for n in insp.notes],
        "settings": [(clean_text(k), clean_text(v)) for k, v in settings_rows(result)],
        "policy": [(clean_text(k), clean_text(v)) for k, v in policy_rows(result)],
        "glossary": GLOSSARY,
        "lot_size_note": clean_text(lot_size_sentence(result) or ""),
        "css_header": css_string(f"Part {part}, rev. {rev}"),
    }


def _build_context(result: "AnalysisResult", max_points: int) -> dict[str, Any]:
    feats = result.features
    conf = finite_or_none(result.settings.confidence) or 0.95
    order = ordered_features(feats)
    gen_text = generated_text(result)
    version = clean_text(__version__)
    return {
        **_cover(result),
        "n_features": len(feats),
        "version": version, "generator": f"pilotqa {version}".strip(),
        "generated": gen_text,
        "overall": clean_text(result.overall or ""),
        "conf": f"{100 * conf:g} %",
        "counts": {v: sum(1 for f in feats if f.verdict == v) for v in VERDICT_LABELS},
        "verdict_labels": VERDICT_LABELS,
        "readiness": _readiness(result),
        "approval": [{"role": a.role, "name": clean_text(a.name or ""),
                      "source": clean_text(a.source or ""), "date": a.date or ""}
                     for a in approval_lines(result)],
        "rows": [_summary_cells(summary_row(feats[i], i + 1)) for i in order],
        "ppap_heading": PPAP_HEADING, "parts_heading": PARTS_HEADING,
        "ppap_sentence": PPAP_SENTENCE,
        "sections": [_section(feats[i], i, pos + 1, len(feats), conf, max_points,
                              _plan_lot_note(result))
                     for pos, i in enumerate(order)],
        "css_footer": css_string(f"pilotqa {__version__} · {gen_text}"),
        "plotly_js": plotly_js(),
    }


@functools.lru_cache(maxsize=1)
def plotly_js() -> Markup:
    """plotly.js (bundled with the plotly package), checked to be safe to inline; the analysis,
    comparison and gauge-study reports all inline this one bundle."""
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    low = js.lower()
    if "</script" in low or "<!--" in low:  # pragma: no cover - depends on the plotly release
        raise RuntimeError("this plotly.js bundle cannot be inlined in a <script> element")
    return Markup(js)


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_html(result: "AnalysisResult", *, max_points: int = MAX_POINTS) -> str:
    """The complete HTML report of an analysis as a string.

    Parameters
    ----------
    result : AnalysisResult
        The typed analysis (:func:`pilotqa.analysis.analyze`).
    max_points : int
        Run and control charts with more points are decimated (min/max per bucket).
    """
    ctx = _build_context(result, max_points)
    return _env().get_template("report.html.j2").render(**ctx)


def write_html(result: "AnalysisResult", path: Path) -> None:
    """Write the HTML report of ``result`` to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(result), encoding="utf-8")
