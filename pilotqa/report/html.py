"""Self-contained HTML capability report (one file, offline, printable).

The report is rendered from ``result.document`` (the ``pilotqa.analysis/1`` JSON document, so
the HTML and the JSON can never disagree) plus ``result.features[i].series`` for the plots:

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

import functools
import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from pilotqa.report.figures import MAX_POINTS, sixpack
from pilotqa.report.safe import NULL_TEXT, clean_text, css_string, json_for_script

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["render_html", "write_html", "VERDICT_LABELS", "CLASS_ORDER", "fmt_value",
           "value_decimals", "plan_summary", "ordered_features"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Display names of the verdicts, in the order "most inspection" first.
VERDICT_LABELS: dict[str, str] = {
    "keep_100": "Keep 100 %",
    "attributes_plan": "Attributes plan",
    "variables_plan": "Variables plan",
    "reduced_audit": "Reduced audit",
}
#: Sort rank of the characteristic classes (critical first; unknown last).
CLASS_ORDER: dict[str, int] = {"critical": 0, "major": 1, "minor": 2}

_PLAN_LABELS: dict[str, str] = {
    "method": "method", "standard": "standard", "code_letter": "code letter",
    "sample_size": "sample size n", "n": "sample size n", "accept": "accept (Ac)",
    "ac": "accept (Ac)", "reject": "reject (Re)", "re": "reject (Re)",
    "k": "acceptability constant k", "aql": "AQL %", "level": "inspection level",
    "inspection_level": "inspection level", "lot_size": "lot size",
    "rule": "acceptance rule", "rule_text": "acceptance rule", "frequency": "frequency",
    "severity": "severity", "plan_letter": "plan letter", "pieces_per_lot": "pieces per lot",
    "periodic_every": "one part every", "reaction_limits": "reaction limits",
    "hundred_percent": "sample = whole lot", "lot_range": "lot-size range", "arrow": "table arrow",
}


# ---------------------------------------------------------------- formatting helpers
def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    return None


def value_decimals(doc: dict[str, Any]) -> int:
    """Decimals for a characteristic's readings: resolve 1/1000 of the tolerance (2 … 7).

    The tolerance is USL − LSL, or |limit − nominal| (|limit| without a nominal) when one-sided.
    """
    lsl, usl, nom = _num(doc.get("lsl")), _num(doc.get("usl")), _num(doc.get("nominal"))
    if lsl is not None and usl is not None:
        tol = usl - lsl
    else:
        lim = usl if usl is not None else lsl
        tol = abs(lim - (nom or 0.0)) if lim is not None else 0.0
        tol = tol or (abs(lim) if lim else 0.0)
    if not tol or tol <= 0:
        return 4
    return int(min(7, max(2, math.ceil(-math.log10(tol / 1000.0)))))


def fmt_value(x: Any, kind: str = "g", decimals: int = 4) -> str:
    """Text of a number for the report; None/NaN -> "—".

    kind: ``val`` (``decimals`` places), ``idx`` (2 places), ``p`` (p-value: 3 places,
    "< 0.001"), ``ppm`` (0 or 1 place), ``pct`` (1 place), ``int``, ``g`` (6 significant).
    """
    if isinstance(x, bool):
        return "yes" if x else "no"
    v = _num(x)
    if v is None:
        return NULL_TEXT
    if kind == "val":
        return f"{v:.{decimals}f}"
    if kind == "idx":
        return f"{v:.2f}"
    if kind == "p":
        return "< 0.001" if v < 0.001 else f"{v:.3f}"
    if kind == "ppm":
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"
    if kind == "pct":
        return f"{v:.1f}"
    if kind == "int":
        return f"{v:.0f}"
    return f"{v:.6g}"


def _flag(x: Any, good: bool) -> tuple[str, str]:
    """(css class, text) of a yes/no evidence flag; ``good`` = which boolean is good."""
    if x is None:
        return "na", NULL_TEXT
    return ("ok" if bool(x) == good else "bad"), ("yes" if x else "no")


def _scalar_text(v: Any) -> str:
    if v is None:
        return NULL_TEXT
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return fmt_value(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(_scalar_text(x) for x in v) if v else NULL_TEXT
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, allow_nan=False, default=str)
    return clean_text(str(v))


def _flatten(d: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested dict -> [("a.b", text)], lists of scalars joined, lists of dicts as JSON."""
    rows: list[tuple[str, str]] = []
    if not isinstance(d, dict):
        return rows
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            rows += _flatten(v, key + ".")
        else:
            rows.append((clean_text(key), _scalar_text(v)))
    return rows


def plan_summary(verdict: str | None, plan: dict[str, Any] | None) -> str:
    """One-line description of a feature's inspection plan for tables."""
    if verdict == "keep_100" or verdict is None:
        return "100 % inspection" if verdict == "keep_100" else NULL_TEXT
    if not plan:
        return VERDICT_LABELS.get(verdict, str(verdict))
    if plan.get("hundred_percent"):
        return "100 % (the plan's sample reaches the lot size)"
    if plan.get("method") == "reduced_audit":
        every = plan.get("periodic_every")
        return (f"audit {_scalar_text(plan.get('sample_size'))} per lot: first, last"
                + (f", 1 every {_scalar_text(every)}" if every is not None else ""))
    parts: list[str] = []
    if plan.get("method"):
        parts.append(_scalar_text(plan["method"]))
    n = plan.get("sample_size", plan.get("n"))
    if n is not None:
        parts.append(f"n = {_scalar_text(n)}")
    if plan.get("k") is not None:
        parts.append(f"k = {_scalar_text(plan['k'])}")
    ac, re_ = plan.get("accept", plan.get("ac")), plan.get("reject", plan.get("re"))
    if plan.get("k") is None and ac is not None:
        parts.append(f"Ac {_scalar_text(ac)}" + (f" / Re {_scalar_text(re_)}" if re_ is not None
                                                 else ""))
    if plan.get("code_letter"):
        parts.append(f"code {_scalar_text(plan['code_letter'])}")
    if plan.get("aql") is not None:
        parts.append(f"AQL {_scalar_text(plan['aql'])}")
    return ", ".join(parts) or VERDICT_LABELS.get(verdict, str(verdict))


def ordered_features(features: list[dict[str, Any]]) -> list[int]:
    """Indices of the features in report order: critical, major, minor, then unknown class;
    within a class in input (spec) order."""
    return sorted(range(len(features)),
                  key=lambda i: (CLASS_ORDER.get(str(features[i].get("class")), 3), i))


def _required(doc: dict[str, Any], policy: dict[str, Any]) -> float | None:
    """Required lower bound of Ppk for this feature, when the decision or policy states it."""
    ev = ((doc.get("decision") or {}).get("evidence") or {})
    for key in ("required", "required_lower_bound", "required_ppk", "ppk_required",
                "min_lower_bound"):
        v = _num(ev.get(key))
        if v is not None:
            return v
    klass = str(doc.get("class"))
    for key, val in policy.items():
        if isinstance(val, dict) and "lower" in key and _num(val.get(klass)) is not None:
            return _num(val.get(klass))
    return None


#: Marks a summary Ppk that is the ISO 22514-2 percentile index of a fitted non-normal model.
PERCENTILE_MARK = " †"


def _ci(doc: dict[str, Any], key: str) -> tuple[Any, Any]:
    ci = doc.get(key)
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        return ci[0], ci[1]
    return None, None


# ---------------------------------------------------------------- context
def _summary_row(i: int, doc: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    dec = doc.get("decision") or {}
    verdict = dec.get("verdict")
    d = value_decimals(doc)
    cpk_lo, _ = _ci(doc, "cpk_ci")
    ppk, (ppk_lo, _) = doc.get("ppk"), _ci(doc, "ppk_ci")
    cm = doc.get("capability_model") or {}
    mark = ""
    if cm.get("decision_basis") == "percentile":
        # show the Ppk the decision used: the fitted model's percentile index and the decision's
        # bound (the lowest among the plausible models, pilotqa.decide.verdict)
        ev = (doc.get("decision") or {}).get("evidence") or {}
        ppk, ppk_lo, mark = cm.get("ppk"), ev.get("ppk_lower"), PERCENTILE_MARK
    req = _required(doc, policy)

    def cell(text: str, sort: Any = None, cls: str = "") -> dict[str, Any]:
        s = "" if sort is None else (f"{sort:.12g}" if isinstance(sort, float) else str(sort))
        return {"text": text, "sort": s, "cls": cls}

    def idx_cell(x: Any, suffix: str = "") -> dict[str, Any]:
        v = _num(x)
        cls = "" if v is None or req is None else ("ok" if v >= req else "bad")
        return cell(fmt_value(v, "idx") + (suffix if v is not None else ""), v, cls)

    stab = (doc.get("stability") or {}).get("stable")
    drift = (doc.get("drift") or {}).get("significant")
    lots = (doc.get("lots") or {}).get("significant")
    klass = str(doc.get("class") or "")
    cells = [
        cell(str(i + 1), i + 1, "num"),
        cell(clean_text(str(doc.get("feature"))), None, "name"),
        cell(klass or NULL_TEXT, CLASS_ORDER.get(klass, 3), f"cls-{klass}"),
        cell(fmt_value(doc.get("nominal"), "val", d), _num(doc.get("nominal")), "num"),
        cell(fmt_value(doc.get("lsl"), "val", d), _num(doc.get("lsl")), "num"),
        cell(fmt_value(doc.get("usl"), "val", d), _num(doc.get("usl")), "num"),
        cell(clean_text(str(doc.get("unit") or NULL_TEXT))),
        cell(fmt_value(doc.get("n"), "int"), _num(doc.get("n")), "num"),
        cell(fmt_value(doc.get("mean"), "val", d + 1), _num(doc.get("mean")), "num"),
        idx_cell(doc.get("cpk")), idx_cell(cpk_lo), idx_cell(ppk, mark), idx_cell(ppk_lo, mark),
    ]
    ev_stable = ((doc.get("decision") or {}).get("evidence") or {}).get("stability_accepted")
    for flag, good, bad_text in ((stab, True, "unstable"), (drift, False, "drift"),
                                 (lots, False, "lot effect")):
        cls, text = _flag(flag, good)
        if cls == "bad":
            text = bad_text
        elif cls == "ok":
            text = "ok"
        if flag is stab and stab is False and ev_stable is True:
            # rules fired, but the decision judged the signals consistent with chance
            cls, text = "warn", "signals (chance)"
        cells.append(cell(text, None if flag is None else int(cls == "bad"), cls))
    vlabel = VERDICT_LABELS.get(str(verdict), NULL_TEXT if verdict is None else str(verdict))
    rank = list(VERDICT_LABELS).index(verdict) if verdict in VERDICT_LABELS else 9
    cells.append(cell(vlabel, rank, f"verdict v-{verdict}"))
    cells.append(cell(plan_summary(verdict, dec.get("plan"))))
    return {"anchor": f"c{i}", "cells": cells, "verdict": verdict or "none"}


def _section(i: int, pos: int, total: int, doc: dict[str, Any], series: dict[str, Any],
             conf: float, max_points: int) -> dict[str, Any]:
    d = value_decimals(doc)
    unit = clean_text(str(doc.get("unit") or ""))
    method = doc.get("sigma_within_method")
    cm = doc.get("capability_model") or {}
    idx_rows = []
    for label, key, ci in (("Cp", "cp", "cp_ci"), ("Cpk", "cpk", "cpk_ci"), ("Pp", "pp", "pp_ci"),
                           ("Ppk", "ppk", "ppk_ci"), ("Cpl", "cpl", None), ("Cpu", "cpu", None),
                           ("Ppl", "ppl", None), ("Ppu", "ppu", None), ("Cpm", "cpm", None)):
        lo, hi = _ci(doc, ci) if ci else (None, None)
        if doc.get(key) is None and ci is None:
            continue
        idx_rows.append([label, fmt_value(doc.get(key), "idx"), fmt_value(lo, "idx"),
                         fmt_value(hi, "idx")])
    if cm and str(cm.get("distribution", "")).lower() not in ("normal", "norm"):
        for key in ("cp", "cpk", "pp", "ppk", "ppl", "ppu"):
            if cm.get(key) is not None:
                mlo, mhi = _ci(cm, "ppk_ci") if key == "ppk" else (None, None)
                idx_rows.append([f"{key.capitalize()} ({clean_text(str(cm.get('distribution')))})",
                                 fmt_value(cm.get(key), "idx"), fmt_value(mlo, "idx"),
                                 fmt_value(mhi, "idx")])
    norm = doc.get("normality") or {}
    process = [
        ("n", f"{fmt_value(doc.get('n'), 'int')} ({fmt_value(doc.get('n_missing'), 'int')} missing,"
              f" {fmt_value(doc.get('n_out_of_spec'), 'int')} out of spec)"),
        ("mean", fmt_value(doc.get("mean"), "val", d + 1)),
        (f"σ within ({clean_text(str(method)) if method else NULL_TEXT})",
         fmt_value(doc.get("sigma_within"), "val", d + 1)),
        ("σ overall", fmt_value(doc.get("sigma_overall"), "val", d + 1)),
        ("PPM expected", fmt_value(doc.get("ppm_expected"), "ppm")),
        ("PPM observed", fmt_value(doc.get("ppm_observed"), "ppm")),
        ("Anderson–Darling A² (p)", f"{fmt_value(norm.get('ad_statistic'), 'g')} "
                                    f"({fmt_value(norm.get('ad_p_value'), 'p')})"),
        ("Shapiro–Wilk p", fmt_value(norm.get("sw_p_value"), "p")),
        ("normal", fmt_value(norm.get("normal"))),
        ("capability model", clean_text(str(cm.get("distribution") or NULL_TEXT))
         + (f" — {clean_text(str(cm['method']))}" if cm.get("method") else "")),
    ]
    if isinstance(cm.get("params"), dict) and cm["params"]:
        process.append(("model parameters", ", ".join(
            f"{clean_text(str(k))} = {_scalar_text(v)}" for k, v in cm["params"].items())))
    if isinstance(cm.get("percentiles"), dict) and cm["percentiles"]:
        process.append(("model X0.135 / X50 / X99.865", " / ".join(
            fmt_value(v, "val", d + 1) for v in cm["percentiles"].values())))
    alts = [a for a in cm.get("alternatives") or [] if isinstance(a, dict)]
    if alts:
        process.append(("fitted models: ΔAIC, Ppk (lower bound)", "; ".join(
            f"{clean_text(str(a.get('distribution')))} {fmt_value(a.get('aic_delta'), 'g')}, "
            f"{fmt_value(a.get('ppk'), 'idx')} ({fmt_value(_ci(a, 'ppk_ci')[0], 'idx')})" for a in alts)))
    if cm.get("decision_basis"):
        process.append(("decisions use", clean_text(str(cm["decision_basis"]))))
    stab = doc.get("stability") or {}
    viol: dict[tuple[str, int], list[int]] = {}
    for v in stab.get("violations") or []:
        viol.setdefault((str(v.get("chart")), int(v.get("rule", 0))), []).append(
            int(v.get("index", -1)) + 1)
    viol_text = "; ".join(
        f"{'X' if c == 'x' else 'range'} chart rule {r}: {len(pts)} point"
        f"{'s' if len(pts) != 1 else ''} ({', '.join(map(str, pts[:5]))}"
        f"{' …' if len(pts) > 5 else ''})" for (c, r), pts in sorted(viol.items())) or "none"
    drift = doc.get("drift") or {}
    lots = doc.get("lots") or {}
    res = doc.get("resolution") or {}
    evidence = [
        ("chart", clean_text(str(stab.get("chart") or NULL_TEXT))),
        ("centre / LCL / UCL", " / ".join(fmt_value(stab.get(k), "val", d + 1)
                                          for k in ("center", "lcl", "ucl"))),
        ("range CL / LCL / UCL", " / ".join(fmt_value(stab.get(k), "val", d + 1)
                                            for k in ("range_center", "range_lcl", "range_ucl"))),
        ("rules broken", viol_text),
        ("stable", fmt_value(stab.get("stable"))),
        (f"drift slope ({unit}/part)" if unit else "drift slope (per part)",
         fmt_value(drift.get("slope"), "g")),
        ("drift p (HAC / Mann–Kendall)", f"{fmt_value(drift.get('p_value'), 'p')} / "
                                         f"{fmt_value(drift.get('mann_kendall_p'), 'p')}"),
        ("drift, % of tolerance", fmt_value(drift.get("drift_pct_tolerance"), "pct")),
        ("parts to a limit", fmt_value(drift.get("parts_to_limit"), "int")),
        ("drift significant", fmt_value(drift.get("significant"))),
        ("lots", fmt_value(lots.get("k"), "int")),
        ("ANOVA F (p) / Welch p", f"{fmt_value(lots.get('anova_f'), 'g')} "
                                  f"({fmt_value(lots.get('anova_p'), 'p')}) / "
                                  f"{fmt_value(lots.get('welch_p'), 'p')}"),
        ("Kruskal–Wallis p / Levene p", f"{fmt_value(lots.get('kruskal_p'), 'p')} / "
                                        f"{fmt_value(lots.get('levene_p'), 'p')}"),
        ("between-lot variance share", fmt_value(lots.get("between_lot_share"), "g")),
        ("lot effect", fmt_value(lots.get("significant"))),
        ("resolution step (% of tol.)", f"{fmt_value(res.get('step'), 'g')} "
                                        f"({fmt_value(res.get('pct_tolerance'), 'pct')})"),
        ("distinct values / adequate", f"{fmt_value(res.get('distinct_values'), 'int')} / "
                                       f"{fmt_value(res.get('adequate'))}"),
    ]
    per_lot = [p for p in (lots.get("per_lot") or []) if isinstance(p, dict)]
    lot_cols: list[str] = []
    for p in per_lot:
        for k, v in p.items():
            if k not in lot_cols and not isinstance(v, (dict, list)):
                lot_cols.append(k)
    lot_rows = [[_scalar_text(p.get(k)) if not isinstance(p.get(k), float)
                 else fmt_value(p.get(k), "idx" if "cp" in k.lower() or "pp" in k.lower()
                                else "val", d + 1) for k in lot_cols] for p in per_lot]
    dec = doc.get("decision") or {}
    verdict = dec.get("verdict")
    plan = dec.get("plan") if isinstance(dec.get("plan"), dict) else {}
    plan_rows = [(clean_text(_PLAN_LABELS.get(str(k), str(k))), _scalar_text(v))
                 for k, v in (plan or {}).items()
                 if v is not None and k not in ("rule_text", "rule", "method")]
    plan_rule = clean_text(str((plan or {}).get("rule_text") or (plan or {}).get("rule") or ""))
    fig = sixpack(doc, series, max_points=max_points)
    return {
        "anchor": f"c{i}", "pos": pos, "total": total, "number": i + 1,
        "name": clean_text(str(doc.get("feature"))), "klass": str(doc.get("class") or ""),
        "unit": unit,
        "spec": [("nominal", fmt_value(doc.get("nominal"), "val", d)),
                 ("LSL", fmt_value(doc.get("lsl"), "val", d)),
                 ("USL", fmt_value(doc.get("usl"), "val", d))],
        "conf": f"{100 * conf:g} %", "idx_rows": idx_rows, "process": process,
        "evidence": evidence, "lot_cols": [clean_text(str(c)) for c in lot_cols],
        "lot_rows": lot_rows, "verdict": verdict or "none",
        "verdict_label": VERDICT_LABELS.get(str(verdict), NULL_TEXT if verdict is None
                                            else clean_text(str(verdict))),
        "plan_rows": plan_rows, "plan_rule": plan_rule,
        "plan_text": plan_summary(verdict, plan) if verdict not in (None, "keep_100") else "",
        "reasons": [clean_text(str(r)) for r in dec.get("reasons") or []],
        "model_reason": clean_text(str(cm.get("reason") or "")),
        "notes": [clean_text(str(n)) for n in doc.get("notes") or []],
        "fig_id": f"fig{i}", "fig_json": json_for_script(fig),
    }


def _lots(inp: dict[str, Any]) -> list[dict[str, str]]:
    details = inp.get("lot_details") or inp.get("lot_dates") or []
    out: list[dict[str, str]] = []
    by_lot = {str(d.get("lot")): d for d in details if isinstance(d, dict)}

    def day(ts: Any) -> str:
        if not ts:
            return ""
        s = str(ts).replace("T", " ")
        return s[:16] if len(s) >= 16 else s

    for lot in inp.get("lots") or list(by_lot):
        d = by_lot.get(str(lot), {})
        first, last = day(d.get("first_timestamp") or d.get("start")), day(
            d.get("last_timestamp") or d.get("end"))
        dates = first if first == last else (f"{first} … {last}" if first and last else
                                             first or last)
        out.append({"lot": clean_text(str(lot)), "parts": _scalar_text(d.get("parts")),
                    "dates": clean_text(dates) or NULL_TEXT})
    return out


def _build_context(result: "AnalysisResult", max_points: int) -> dict[str, Any]:
    from pilotqa.report.json import build_document

    doc = build_document(result)
    inp = doc.get("input") or {}
    meta = {str(k): v for k, v in (inp.get("metadata") or {}).items()}
    settings = dict(doc.get("settings") or {})
    policy = settings.pop("policy", None) or doc.get("policy") or {}
    conf = _num(settings.get("confidence")) or 0.95
    feats: list[dict[str, Any]] = list(doc.get("features") or [])
    series = [vars(fr.stats.series) for fr in result.features]
    series += [{}] * (len(feats) - len(series))
    order = ordered_features(feats)
    generated = doc.get("generated_at")
    if not generated:
        g = getattr(result, "generated_at", None) or datetime.now(timezone.utc)
        generated = g.isoformat()
    gen_text = str(generated).replace("T", " ")[:19] + " UTC"
    part = clean_text(str(meta.get("part_number") or NULL_TEXT))
    rev = clean_text(str(meta.get("revision") or NULL_TEXT))
    known = ("part_number", "revision", "description", "supplier")
    tool = doc.get("tool") or {}
    header_text = f"Part {part}, rev. {rev}"
    return {
        "title": f"Capability report {part} rev. {rev}",
        "part": part, "revision": rev,
        "description": clean_text(str(meta.get("description") or NULL_TEXT)),
        "supplier": clean_text(str(meta.get("supplier") or NULL_TEXT)),
        "other_meta": [(clean_text(k.replace("_", " ")), _scalar_text(v))
                       for k, v in meta.items() if k not in known],
        "lots": _lots(inp), "parts": _scalar_text(inp.get("parts")),
        "n_features": len(feats), "layout": clean_text(str(inp.get("layout") or NULL_TEXT)),
        "readings": _scalar_text(inp.get("readings")),
        "files": [{"path": clean_text(str(f.get("path"))), "sha256": clean_text(str(f.get("sha256"))),
                   "format": clean_text(str(f.get("format") or ""))}
                  for f in inp.get("files") or [] if isinstance(f, dict)],
        "input_notes": [clean_text(str(n)) for n in inp.get("notes") or []],
        "version": clean_text(str(tool.get("version") or "")),
        "generator": f"pilotqa {clean_text(str(tool.get('version') or ''))}".strip(),
        "settings": _flatten(settings), "policy": _flatten(policy),
        "generated": gen_text,
        "overall": clean_text(str(doc.get("overall") or getattr(result, "overall", "") or "")),
        "conf": f"{100 * conf:g} %",
        "counts": {v: sum(1 for f in feats if (f.get("decision") or {}).get("verdict") == v)
                   for v in VERDICT_LABELS},
        "verdict_labels": VERDICT_LABELS,
        "rows": [_summary_row(i, feats[i], policy if isinstance(policy, dict) else {})
                 for i in order],
        "sections": [_section(i, pos + 1, len(feats), feats[i], series[i], conf, max_points)
                     for pos, i in enumerate(order)],
        "css_header": css_string(header_text),
        "css_footer": css_string(f"pilotqa {tool.get('version') or ''} · {gen_text}"),
        "plotly_js": _plotly_js(),
    }


@functools.lru_cache(maxsize=1)
def _plotly_js() -> Markup:
    """plotly.js (bundled with the plotly package), checked to be safe to inline."""
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
        ``document`` (the ``pilotqa.analysis/1`` JSON document) and ``features`` (their
        ``series`` feed the plots).
    max_points : int
        Run and control charts with more points are decimated (min/max per bucket).
    """
    ctx = _build_context(result, max_points)
    return _env().get_template("report.html.j2").render(**ctx)


def write_html(result: "AnalysisResult", path: Path) -> None:
    """Write the HTML report of ``result`` to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(result), encoding="utf-8")
