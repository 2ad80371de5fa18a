"""XLSX summary workbook of an analysis (openpyxl), ready to paste into a control plan.

Sheets (all rendered from ``result.document``, so the workbook and the JSON agree):

* **Summary** — one row per characteristic like the HTML summary table: class, spec, n, mean,
  Cpk/Ppk with their lower confidence bounds, stable/drift/lot flags, verdict and plan;
  critical first.
* **Inspection plan** — per characteristic: 100 % or the plan (method, standard, code letter,
  sample size per lot, Ac/Re or k, AQL, lot size), frequency, acceptance rule, reasons.
* **Statistics** — every number of every feature object, flattened (``normality.ad_p_value``,
  ``cpk_ci.lower`` …), plus the decision evidence.
* **Lots** — per-lot statistics of each characteristic.
* **Cover** — metadata, lots, input files with SHA-256, settings, policy, version, time.

Numbers are stored as numbers with number formats; each table has a frozen header row and an
auto-filter; columns get widths from their contents. Every string goes through
:func:`pilotqa.report.safe.xlsx_text`: text that a spreadsheet could take for a formula
(``= + - @``, tab, CR …) is written as an explicit string cell with ``quotePrefix`` set, so no
cell of the workbook is ever a formula.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pilotqa.report.html import VERDICT_LABELS, ordered_features, plan_summary, value_decimals
from pilotqa.report.safe import xlsx_text

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["write_xlsx", "build_workbook", "put", "SHEETS"]

#: Sheet names, in workbook order.
SHEETS: tuple[str, ...] = ("Summary", "Inspection plan", "Statistics", "Lots", "Cover")

_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1F3B73")
_FILLS = {
    "keep_100": PatternFill("solid", fgColor="FBE4E2"),
    "attributes_plan": PatternFill("solid", fgColor="FFF1D6"),
    "variables_plan": PatternFill("solid", fgColor="E3F4E8"),
    "reduced_audit": PatternFill("solid", fgColor="D3EFDC"),
    "ok": PatternFill("solid", fgColor="E3F4E8"),
    "bad": PatternFill("solid", fgColor="FBE4E2"),
}
_IDX = "0.00"
_P = "0.0000"
_INT = "0"
_PPM = "#,##0.0"
_INDEX_KEYS = {"cp", "cpk", "pp", "ppk", "cpm", "cpl", "cpu", "ppl", "ppu"}
_VALUE_KEYS = {"mean", "nominal", "lsl", "usl", "sigma_within", "sigma_overall", "center",
               "lcl", "ucl", "range_center", "range_lcl", "range_ucl", "sd", "step"}


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    """Write one cell safely: finite numbers as numbers (with ``fmt``), None/NaN as empty,
    booleans as "yes"/"no", everything else as protected text (never a formula)."""
    cell = ws.cell(row=row, column=col)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return
    if _finite(value):
        cell.value = value
        if fmt:
            cell.number_format = fmt
        return
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        value = ", ".join("" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)
                          for v in value)
    text, quote = xlsx_text(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl infers "f" for a leading "="; force a string cell
    if quote:
        cell.quotePrefix = True


def _table(ws: Worksheet, headers: list[str], rows: Iterable[list[tuple[Any, str | None]]],
           *, start_row: int = 1, freeze: str = "B2", fills: list[str | None] | None = None,
           fill_cols: dict[int, list[str | None]] | None = None) -> int:
    """Header + rows of (value, number format); frozen header, auto-filter, widths.

    Returns the number of data rows written.
    """
    for j, h in enumerate(headers, start=1):
        put(ws, start_row, j, h)
        c = ws.cell(row=start_row, column=j)
        c.font, c.fill = _HEAD_FONT, _HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [max(6, len(h) + 2) for h in headers]
    n = 0
    for i, row in enumerate(rows, start=start_row + 1):
        n += 1
        for j, (v, fmt) in enumerate(row, start=1):
            put(ws, i, j, v, fmt)
            shown = (f"{v:.6g}" if isinstance(v, float) else str(v)) if v is not None else ""
            widths[j - 1] = max(widths[j - 1], min(len(shown) + 2, 60))
    for (col, marks) in (fill_cols or {}).items():
        for i, mark in enumerate(marks, start=start_row + 1):
            if mark in _FILLS:
                ws.cell(row=i, column=col).fill = _FILLS[mark]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = freeze
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A{start_row}:{last}{start_row + max(n, 1)}"
    return n


def _ci(doc: dict[str, Any], key: str) -> tuple[Any, Any]:
    ci = doc.get(key)
    return (ci[0], ci[1]) if isinstance(ci, (list, tuple)) and len(ci) == 2 else (None, None)


def _flag_text(x: Any, good: bool, bad_text: str) -> tuple[str | None, str | None]:
    if x is None:
        return None, None
    return ("ok", "ok") if bool(x) == good else ("bad", bad_text)


def _summary(ws: Worksheet, feats: list[dict[str, Any]], order: list[int], conf: str) -> None:
    headers = ["#", "Characteristic", "Class", "Nominal", "LSL", "USL", "Unit", "n", "Mean",
               "Cpk", f"Cpk lower ({conf})", "Ppk", f"Ppk lower ({conf})", "Stable", "Drift",
               "Lot effect", "Verdict", "Plan", "Required lower bound", "Decision basis"]
    rows, verdict_marks = [], []
    flag_marks: dict[int, list[str | None]] = {14: [], 15: [], 16: []}
    for i in order:
        doc = feats[i]
        d = value_decimals(doc)
        vf, mf = "0." + "0" * d, "0." + "0" * (d + 1)
        dec = doc.get("decision") or {}
        ev = dec.get("evidence") or {}
        verdict = dec.get("verdict")
        cm = doc.get("capability_model") or {}
        ppk, ppk_lo = doc.get("ppk"), _ci(doc, "ppk_ci")[0]
        if cm.get("decision_basis") == "percentile":
            # the Ppk the decision used (percentile method of the fitted model; "Decision basis"
            # says so); the normal-theory values stay on the Statistics sheet
            ppk, ppk_lo = cm.get("ppk"), ev.get("ppk_lower")
        row: list[tuple[Any, str | None]] = [
            (i + 1, _INT), (doc.get("feature"), None), (doc.get("class"), None),
            (doc.get("nominal"), vf), (doc.get("lsl"), vf), (doc.get("usl"), vf),
            (doc.get("unit"), None), (doc.get("n"), _INT), (doc.get("mean"), mf),
            (doc.get("cpk"), _IDX), (_ci(doc, "cpk_ci")[0], _IDX), (ppk, _IDX), (ppk_lo, _IDX)]
        for col, (x, good, bad) in zip((14, 15, 16), (
                ((doc.get("stability") or {}).get("stable"), True, "unstable"),
                ((doc.get("drift") or {}).get("significant"), False, "drift"),
                ((doc.get("lots") or {}).get("significant"), False, "lot effect"))):
            mark, text = _flag_text(x, good, bad)
            if col == 14 and x is False and ev.get("stability_accepted") is True:
                mark, text = None, "signals (chance)"  # the decision judged them chance
            flag_marks[col].append(mark)
            row.append((text, None))
        row += [(VERDICT_LABELS.get(str(verdict), verdict), None),
                (plan_summary(verdict, dec.get("plan")), None),
                (ev.get("required"), _IDX), (ev.get("decision_basis"), None)]
        rows.append(row)
        verdict_marks.append(verdict)
    _table(ws, headers, rows, freeze="C2", fill_cols={17: verdict_marks, **flag_marks})


def _plan_sheet(ws: Worksheet, doc: dict[str, Any], feats: list[dict[str, Any]],
                order: list[int]) -> None:
    entries = {str(e.get("feature")): e for e in doc.get("inspection_plan") or []
               if isinstance(e, dict)}
    headers = ["#", "Characteristic", "Class", "Verdict", "Inspection", "Method", "Standard",
               "Code letter", "Sample size per lot", "Accept (Ac)", "Reject (Re)", "k",
               "AQL %", "Lot size", "Frequency", "Acceptance rule", "Reasons"]
    rows, marks = [], []
    for i in order:
        f = feats[i]
        dec = f.get("decision") or {}
        plan: dict[str, Any] = dec["plan"] if isinstance(dec.get("plan"), dict) else {}
        e = entries.get(str(f.get("feature")), {})
        verdict = e.get("verdict", dec.get("verdict"))
        method = e.get("method", plan.get("method"))
        hundred = verdict == "keep_100" or method == "100%" or bool(plan.get("hundred_percent"))
        rows.append([
            (i + 1, _INT), (f.get("feature"), None), (e.get("class", f.get("class")), None),
            (VERDICT_LABELS.get(str(verdict), verdict), None),
            ("100 %" if hundred else "sampling", None), (method, None),
            (plan.get("standard"), None), (plan.get("code_letter"), None),
            (e.get("sample_size", plan.get("sample_size")), _INT),
            (e.get("accept", plan.get("accept")), _INT),
            (e.get("reject", plan.get("reject")), _INT), (e.get("k", plan.get("k")), "0.000"),
            (plan.get("aql"), "0.00#"), (plan.get("lot_size"), _INT),
            (e.get("frequency"), None), (e.get("rule", plan.get("rule_text")), None),
            ("; ".join(str(r) for r in dec.get("reasons") or []), None)])
        marks.append(verdict)
    _table(ws, headers, rows, freeze="C2", fill_cols={4: marks})
    for col in ("P", "Q"):
        ws.column_dimensions[col].width = 60
        for cell in ws[col][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _flatten_feature(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(f"{prefix}.{k}" if prefix else str(k), x)
        elif isinstance(v, (list, tuple)):
            leaf = prefix.rsplit(".", 1)[-1]
            if leaf.endswith("_ci") and len(v) == 2:
                out[f"{prefix}.lower"], out[f"{prefix}.upper"] = v[0], v[1]
            elif leaf in ("violations", "tukey", "per_lot"):
                out[f"{prefix}.count"] = len(v)
            elif all(not isinstance(x, (dict, list)) for x in v):
                out[prefix] = ", ".join("—" if x is None else str(x) for x in v)
        else:
            out[prefix] = v

    for k, v in doc.items():
        if k in ("notes",):
            continue
        if k == "decision" and isinstance(v, dict):
            out["decision.verdict"] = v.get("verdict")
            walk("decision.evidence", v.get("evidence") or {})
            continue
        walk(k, v)
    return out


def _stat_format(key: str, decimals: int) -> str | None:
    leaf = key.rsplit(".", 1)[-1]
    base = key.split(".")[0].removesuffix("_ci")
    if leaf in ("n", "n_missing", "n_out_of_spec", "k", "count", "distinct_values", "lots",
                "n_subgroups", "lot_size", "parts_to_limit"):
        return _INT
    if leaf.endswith("_p") or leaf.endswith("p_value") or leaf == "p_value":
        return _P
    if base in _INDEX_KEYS or leaf in _INDEX_KEYS or leaf in ("lower_bound", "required",
                                                               "ppk_lower", "cpk_lower"):
        return "0.000"
    if leaf.startswith("ppm"):
        return _PPM
    if leaf in _VALUE_KEYS:
        return "0." + "0" * (decimals + 1)
    return None


def _statistics(ws: Worksheet, feats: list[dict[str, Any]], order: list[int]) -> None:
    flat = [_flatten_feature(feats[i]) for i in order]
    keys: list[str] = []
    seen: set[str] = set()
    for f in flat:
        for k in f:
            if k not in seen and k != "feature":
                seen.add(k)
                keys.append(k)
    rows = []
    for i, f in zip(order, flat):
        d = value_decimals(feats[i])
        rows.append([(i + 1, _INT), (f.get("feature"), None)]
                    + [(f.get(k), _stat_format(k, d)) for k in keys])
    _table(ws, ["#", "Characteristic"] + keys, rows, freeze="C2")


def _lots_sheet(ws: Worksheet, feats: list[dict[str, Any]], order: list[int]) -> None:
    cols: list[str] = []
    data: list[tuple[int, dict[str, Any], int]] = []
    for i in order:
        for p in (feats[i].get("lots") or {}).get("per_lot") or []:
            if not isinstance(p, dict):
                continue
            data.append((i, p, value_decimals(feats[i])))
            for k, v in p.items():
                if k not in cols and not isinstance(v, (dict, list)):
                    cols.append(k)
    rows = []
    for i, p, d in data:
        rows.append([(i + 1, _INT), (feats[i].get("feature"), None)]
                    + [(p.get(k), _stat_format(k, d)) for k in cols])
    _table(ws, ["#", "Characteristic"] + cols, rows, freeze="C2")


def _cover(ws: Worksheet, doc: dict[str, Any]) -> None:
    inp = doc.get("input") or {}
    tool = doc.get("tool") or {}
    settings = dict(doc.get("settings") or {})
    policy = settings.pop("policy", None) or doc.get("policy") or {}
    rows: list[tuple[str, Any]] = [("report", "pilotqa capability summary"),
                                   ("overall", doc.get("overall"))]
    meta = inp.get("metadata") or {}
    for key in ("part_number", "revision", "description", "supplier"):
        rows.append((key.replace("_", " "), meta.get(key)))
    rows += [(str(k).replace("_", " "), v) for k, v in meta.items()
             if k not in ("part_number", "revision", "description", "supplier")]
    rows += [("parts", inp.get("parts")), ("characteristics", inp.get("features")),
             ("readings", inp.get("readings")), ("layout", inp.get("layout")),
             ("pilotqa version", tool.get("version")),
             ("generated (UTC)", doc.get("generated_at"))]
    for lot in inp.get("lot_details") or []:
        if isinstance(lot, dict):
            rows.append((f"lot {lot.get('lot')}",
                         f"{lot.get('parts')} parts, {lot.get('first_timestamp') or '—'} … "
                         f"{lot.get('last_timestamp') or '—'}"))
    for i, f in enumerate((f for f in inp.get("files") or [] if isinstance(f, dict)), start=1):
        rows.append((f"input file {i}", f.get("path")))
        rows.append((f"input file {i} SHA-256", f.get("sha256")))

    def flat(prefix: str, d: Any) -> None:
        for k, v in (d.items() if isinstance(d, dict) else []):
            if isinstance(v, dict):
                flat(f"{prefix}{k}.", v)
            else:
                rows.append((f"{prefix}{k}", v))

    flat("setting ", settings)
    flat("policy ", policy)
    for note in inp.get("notes") or []:
        rows.append(("input note", note))
    _table(ws, ["item", "value"], [[(k, None), (v, None)] for k, v in rows], freeze="A2")
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 90


def build_workbook(result: "AnalysisResult") -> Workbook:
    """The summary workbook of ``result`` (not yet saved)."""
    from pilotqa.report.json import build_document

    doc = build_document(result)
    feats = [f for f in doc.get("features") or [] if isinstance(f, dict)]
    order = ordered_features(feats)
    conf_v: Any = (doc.get("settings") or {}).get("confidence")
    conf = f"{100 * float(conf_v):g} %" if _finite(conf_v) else "CI"
    wb = Workbook()
    wb.properties.creator = "pilotqa"
    meta = ((doc.get("input") or {}).get("metadata") or {})
    wb.properties.title = xlsx_text(f"Capability summary {meta.get('part_number') or ''}")[0]
    ws = wb.active
    ws.title = SHEETS[0]
    _summary(ws, feats, order, conf)
    _plan_sheet(wb.create_sheet(SHEETS[1]), doc, feats, order)
    _statistics(wb.create_sheet(SHEETS[2]), feats, order)
    _lots_sheet(wb.create_sheet(SHEETS[3]), feats, order)
    _cover(wb.create_sheet(SHEETS[4]), doc)
    return wb


def write_xlsx(result: "AnalysisResult", path: Path) -> None:
    """Write the summary workbook of ``result`` to ``path``."""
    build_workbook(result).save(Path(path))
