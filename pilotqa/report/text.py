"""Text and ordering shared by the HTML report and the XLSX workbook.

Everything here reads the typed results (:mod:`pilotqa.results`,
:class:`pilotqa.analysis.AnalysisResult`) by attribute: a misspelt field fails under
``mypy --strict``. The settings blocks of the cover pages are the one exception: they show
:meth:`pilotqa.settings.Settings.to_json`, :meth:`pilotqa.decide.policy.Policy.to_json` and
:func:`pilotqa.decide.policy.decision_settings` as they are (display of options, not results).
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from pilotqa.decide.policy import decision_settings
from pilotqa.report.safe import NULL_TEXT, clean_text
from pilotqa.results import FeatureResult, FeatureStats, Plan, Stability
from pilotqa.stats.drift import tolerance_width
from pilotqa.util import finite_or_none, json_safe

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["VERDICT_LABELS", "READINESS_LABELS", "LOT_HEADINGS", "CLASS_ORDER", "fmt_value",
           "scalar_text", "value_decimals",
           "plan_summary", "ordered_features", "verdict_label", "settings_display", "flat_items",
           "LotDetail", "lot_details", "generated_text", "ApprovalLine", "approval_lines",
           "Finding", "out_of_spec_findings", "signal_findings", "chart_names", "SIDE_TEXT"]

#: Display names of the verdicts, in the order "most inspection" first.
VERDICT_LABELS: dict[str, str] = {
    "keep_100": "Keep 100 %",
    "attributes_plan": "Attributes plan",
    "variables_plan": "Variables plan",
    "reduced_audit": "Reduced audit",
}
#: Display names of the readiness statuses (:class:`pilotqa.results.Readiness`).
READINESS_LABELS: dict[str, str] = {
    "ready_for_sampling": "Ready for repeat production with sampling",
    "containment_required": "Containment required",
    "not_ready": "Not ready for repeat production",
}
#: Readable headings of the per-lot table (fields of :class:`pilotqa.results.LotSummary`).
LOT_HEADINGS: dict[str, str] = {"lot": "Lot", "n": "n", "mean": "Mean", "sd": "Std. dev.",
                                "pp": "Pp", "ppk": "Ppk", "first_sequence": "First part (sequence)"}
#: Sort rank of the characteristic classes (critical first; unknown last).
CLASS_ORDER: dict[str, int] = {"critical": 0, "major": 1, "minor": 2}


def fmt_value(x: Any, kind: str = "g", decimals: int = 4) -> str:
    """Text of a number for the report; None/NaN -> "—", a boolean -> "yes"/"no".

    kind: ``val`` (``decimals`` places), ``idx`` (2 places), ``p`` (p-value: 3 places,
    "< 0.001"), ``ppm`` (0 or 1 place), ``pct`` (1 place), ``int``, ``g`` (6 significant).
    """
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    v = finite_or_none(x)
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


def scalar_text(v: Any) -> str:
    """Text of a plain value: None -> "—", booleans yes/no, floats to 6 significant digits,
    lists and tuples joined, mappings as JSON, anything else as (XML-clean) text."""
    if v is None:
        return NULL_TEXT
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, float):
        return fmt_value(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(scalar_text(x) for x in v) if v else NULL_TEXT
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, allow_nan=False, default=str)
    return clean_text(str(v))


def value_decimals(fs: FeatureStats) -> int:
    """Decimals for a characteristic's readings: resolve 1/1000 of the tolerance (2 … 7).

    The tolerance is :func:`pilotqa.stats.drift.tolerance_width`; where that is undefined for a
    one-sided limit (no nominal, or nominal = limit) the size of the limit |limit| is used.
    """
    tol, _ = tolerance_width(fs.lsl, fs.usl, fs.nominal, fs.lower_bound_zero)
    if tol is None and (fs.lsl is None) != (fs.usl is None):
        limit = fs.usl if fs.usl is not None else fs.lsl
        tol = abs(limit) if limit is not None else None
    if not tol or tol <= 0 or not math.isfinite(tol):
        return 4
    if tol / 1000.0 == 0.0:  # a denormal tolerance (e.g. 5e-324): as fine as shown
        return 7
    return int(min(7, max(2, math.ceil(-math.log10(tol / 1000.0)))))


def verdict_label(verdict: str) -> str:
    """Display name of a verdict (the verdict itself when unknown)."""
    return VERDICT_LABELS.get(verdict, verdict)


def plan_summary(verdict: str, plan: Plan | None) -> str:
    """One-line description of a feature's inspection plan for tables."""
    if verdict == "keep_100":
        return "100 % inspection"
    if plan is None:
        return verdict_label(verdict)
    if plan.hundred_percent:
        return "100 % (the plan's sample reaches the lot size)"
    if plan.method == "reduced_audit":
        every = plan.periodic_every
        return (f"audit {scalar_text(plan.sample_size)} per lot: first, last"
                + (f", 1 every {scalar_text(every)}" if every is not None else ""))
    parts: list[str] = []
    if plan.method:
        parts.append(scalar_text(plan.method))
    if plan.sample_size is not None:
        parts.append(f"n = {scalar_text(plan.sample_size)}")
    if plan.k is not None:
        parts.append(f"k = {scalar_text(plan.k)}")
    elif plan.accept is not None:
        parts.append(f"Ac {scalar_text(plan.accept)}"
                     + (f" / Re {scalar_text(plan.reject)}" if plan.reject is not None else ""))
    if plan.code_letter:
        parts.append(f"code {scalar_text(plan.code_letter)}")
    if plan.aql is not None:
        parts.append(f"AQL {scalar_text(plan.aql)}")
    return ", ".join(parts) or verdict_label(verdict)


def ordered_features(features: Sequence[FeatureResult]) -> list[int]:
    """Indices of the features in report order: critical, major, minor, then unknown class;
    within a class in input (spec) order."""
    return sorted(range(len(features)),
                  key=lambda i: (CLASS_ORDER.get(features[i].class_, 3), i))


def settings_display(result: "AnalysisResult") -> tuple[dict[str, Any], dict[str, Any]]:
    """(settings, policy) as the cover pages show them: the analysis options with the
    ``decision`` block (:func:`pilotqa.decide.policy.decision_settings`), and the policy."""
    decision = decision_settings(result.policy, result.settings, result.lot_size,
                                 result.lot_size_source)
    decision.pop("policy", None)
    settings: dict[str, Any] = json_safe({**result.settings.to_json(), "decision": decision})
    policy: dict[str, Any] = json_safe(result.policy.to_json())
    return settings, policy


@dataclass(frozen=True)
class LotDetail:
    """One lot of the inspection: name, parts, first and last timestamp (ISO text or None)."""

    lot: str | None
    parts: int | None
    first: str | None
    last: str | None


def flat_items(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """A nested settings/policy mapping as ``[("a.b", value)]`` in order (an empty mapping is
    a value), for the cover pages."""
    rows: list[tuple[str, Any]] = []
    for k, v in d.items():
        if isinstance(v, dict) and v:
            rows += flat_items(v, f"{prefix}{k}.")
        else:
            rows.append((f"{prefix}{k}", v))
    return rows


def lot_details(result: "AnalysisResult") -> tuple[LotDetail, ...]:
    """The lots in order of first sequence — the rows of the JSON ``input.lot_details``."""
    from pilotqa.report.json import _lot_details

    rows = json_safe(_lot_details(result.inspection.measurements))
    return tuple(LotDetail(lot=r["lot"], parts=r["parts"], first=r["first_timestamp"],
                           last=r["last_timestamp"]) for r in rows)


def generated_text(result: "AnalysisResult") -> str:
    """Generation time as the reports print it: ``YYYY-MM-DD HH:MM:SS UTC``."""
    return result.generated_at.isoformat().replace("T", " ")[:19] + " UTC"


@dataclass(frozen=True)
class ApprovalLine:
    """One line of the approval block: role, name (None = a blank line to fill in by hand),
    where the name came from, and the date (None = blank)."""

    role: str
    name: str | None
    source: str | None
    date: str | None


#: Export header keys (``Inspection.metadata``, compared case-insensitively) naming who prepared
#: the inspection report (AQDEF K1222 and the tabular readers' "Prüfer" map to ``inspector``).
PREPARER_KEYS: tuple[str, ...] = ("prepared_by", "inspector", "prüfer", "pruefer")
#: Export header keys naming who approved it.
APPROVER_KEYS: tuple[str, ...] = ("approved_by", "approver", "freigabe")


def _from_header(meta: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, str | None]:
    lower = {str(k).strip().lower(): v for k, v in meta.items()}
    for key in keys:
        v = lower.get(key)
        if v is not None and str(v).strip():
            return str(v).strip(), f"export header ({key})"
    return None, None


def approval_lines(result: "AnalysisResult") -> tuple[ApprovalLine, ApprovalLine]:
    """Prepared-by and approved-by lines: the ``analyze --prepared-by/--approved-by`` names
    (:class:`pilotqa.results.ReportMeta`), else the export header's inspector/approver, else
    blank. The preparation date is the report's generation date when a preparer is named; the
    approval date is always left to the approver."""
    meta = dict(result.inspection.metadata)
    rm = result.report_meta
    out = []
    for role, given, option, keys in (
            ("Prepared by", rm.prepared_by, "--prepared-by", PREPARER_KEYS),
            ("Approved by", rm.approved_by, "--approved-by", APPROVER_KEYS)):
        name, source = (given.strip(), option) if given and given.strip() else _from_header(meta, keys)
        out.append(ApprovalLine(role=role, name=name, source=source, date=None))
    prepared, approved = out
    if prepared.name is not None:
        prepared = dataclasses.replace(prepared, date=result.generated_at.date().isoformat())
    return prepared, approved


# ---------------------------------------------------------------- findings by serial
#: How an out-of-tolerance side reads in the report.
SIDE_TEXT: dict[str, str] = {"lower": "below LSL", "upper": "above USL",
                             "nonconforming": "nonconforming"}


@dataclass(frozen=True)
class Finding:
    """One out-of-tolerance reading or run-rule signal of a characteristic, traced to a part:
    ``point`` is 1-based (a reading's position in time order; a signal's point as the chart
    numbers it), ``serial`` the part (a subgroup: "first … last"), ``lot`` its lot. An
    out-of-tolerance finding has ``value``/``limit``/``side`` (go/no-go: ``reading``), a signal
    ``chart`` (I, MR, X̄, R, S) and ``rule``."""

    kind: str  # "out_of_tolerance" or "signal"
    point: int | None
    serial: str
    lot: str | None
    value: float | None = None
    limit: float | None = None
    side: str | None = None
    reading: str | None = None
    chart: str | None = None
    rule: int | None = None


def chart_names(st: Stability | None) -> tuple[str, str]:
    """Short names of the location and dispersion charts: (I, MR), (X̄, R) or (X̄, S)."""
    chart = (st.chart if st is not None else "") or "i-mr"
    return {"xbar-r": ("X̄", "R"), "xbar-s": ("X̄", "S")}.get(chart.lower(), ("I", "MR"))


def _serial_lots(fs: FeatureStats) -> dict[str, str]:
    out: dict[str, str] = {}
    for pid, lot in zip(fs.series.part_id, fs.series.lot):
        out.setdefault(str(pid), str(lot))
    return out


def out_of_spec_findings(fs: FeatureStats) -> list[Finding]:
    """The characteristic's readings outside the tolerance, with their 1-based position in
    time order (None when the serial is not among the plotted readings)."""
    position: dict[str, int] = {}
    for i, pid in enumerate(fs.series.part_id):
        position.setdefault(str(pid), i + 1)
    return [Finding(kind="out_of_tolerance", point=position.get(o.part_id), serial=o.part_id,
                    lot=o.lot, value=o.value, limit=o.limit, side=SIDE_TEXT.get(o.side, o.side),
                    reading=o.reading) for o in fs.out_of_spec]


def signal_findings(fs: FeatureStats) -> list[Finding]:
    """The run-rule signals, location chart first, each by point order."""
    st = fs.stability
    if st is None:
        return []
    lots = _serial_lots(fs)
    names = chart_names(st)
    out = []
    for v in sorted(st.violations, key=lambda v: (v.chart != "x", v.index, v.rule)):
        serial = v.part_id or NULL_TEXT
        out.append(Finding(kind="signal", point=v.point if v.point is not None else v.index + 1,
                           serial=serial, lot=lots.get(serial.split(" … ")[0]),
                           chart=names[0] if v.chart == "x" else names[1], rule=v.rule))
    return out
