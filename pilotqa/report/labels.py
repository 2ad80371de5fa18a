"""Plain-language labels for the report's appendix: the analysis settings and the release policy
as a QA engineer reads them ("Ppk lower bound required, critical: 1.67", not
``class.critical.min_lower_bound``), the glossary of the indices and tests the report uses, and
the sentence on the lot size the sampling plans assume.

The rows are built from :func:`pilotqa.report.text.settings_display` (the settings with the
decision block of :func:`pilotqa.decide.policy.decision_settings`, and the policy) so the HTML
appendix and the XLSX Cover sheet show the same values. A key without a label here (a policy
key added later) is shown by its name with the dots and underscores spelled out, never dropped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotqa.report.text import flat_items, scalar_text, settings_display

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["SETTING_LABELS", "POLICY_LABELS", "CLASS_FIELD_LABELS", "GLOSSARY", "plain_label",
           "settings_rows", "policy_rows", "lot_size_sentence"]

#: The analysis options (``Settings.to_json`` and the decision block).
SETTING_LABELS: dict[str, str] = {
    "sigma_within": "Within-subgroup σ estimator",
    "confidence": "Confidence level of the index intervals (two-sided)",
    "rules": "Nelson run rules checked",
    "lot_effect_pct": "Lot effect relevant from (% of tolerance)",
    "drift_pct": "Drift relevant from (% of tolerance)",
    "stream_effect_pct": "Stream effect relevant from (% of tolerance)",
    "alpha": "Significance level of the tests",
    "lot_size": "Production lot size given (--lot-size)",
    "inspection_level": "Inspection level of the sampling plans",
    "critical": "Characteristics made critical (--critical)",
    "by": "Stream factors (--by)",
    "lower_bound_meaning": "The lower bound is",
    "assumed_lot_size": "Lot size the sampling plans assume",
    "lot_size_source": "Where that lot size comes from",
}

#: Per-class policy fields; the row label is "<label>, <class>".
CLASS_FIELD_LABELS: dict[str, str] = {
    "min_lower_bound": "Ppk lower bound required",
    "aql": "AQL of the sampling plans (%)",
    "attributes_method": "Attributes plan",
    "allow_single_lot": "Release allowed from a single lot",
    "attribute_max_p_upper": "Go/no-go: largest upper bound on the nonconforming fraction",
}

#: The other policy keys.
POLICY_LABELS: dict[str, str] = {
    "default_class": "Class of a characteristic without one",
    "evidence.min_parts": "Fewest parts for a release",
    "evidence.min_subgroups": "Fewest subgroups for a release (subgrouped data)",
    "evidence.min_lots": "Fewest lots for lot-to-lot evidence",
    "requirements.stable": "Release requires a stable process",
    "requirements.strict_stability": "Every run-rule signal blocks (no allowance for chance)",
    "requirements.no_drift": "Release requires no relevant drift",
    "requirements.no_lot_effect": "Release requires no relevant lot effect",
    "requirements.resolution_adequate": "Release requires an adequate gauge resolution",
    "requirements.no_stream_effect": "Release requires no relevant stream effect",
    "requirements.max_out_of_spec": "Most out-of-tolerance pilot parts allowed",
    "requirements.non_normal_aic_window": "Non-normal models weighed within ΔAIC of",
    "reduced_audit.enabled": "Reduced audit allowed",
    "reduced_audit.min_lower_bound": "Ppk lower bound required for a reduced audit",
    "reduced_audit.pieces_per_lot": "Reduced audit: parts per lot (first, last)",
    "reduced_audit.periodic_every": "Reduced audit: one more part every",
    "plans.variables_standard": "Variables-plan standard",
    "plans.severity": "Inspection severity",
    "plans.default_lot_size": "Default lot size (0 = from the pilot)",
}

_VALUE_WORDS: dict[str, str] = {"c0": "c = 0 (Squeglia)", "attributes": "Z1.4 attributes plan",
                                "auto": "automatic", "mr": "moving range", "pooled": "pooled"}

#: (term, explanation) of the indices and tests the report uses.
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Cp, Cpk", "Capability from the within-subgroup σ (short-term): Cp = (USL − LSL)/6σ, "
                "Cpk = min(USL − μ, μ − LSL)/3σ — what the process could do without shifts "
                "between subgroups."),
    ("Pp, Ppk", "The same with the overall σ of every reading: how the pilot was actually "
                "produced. The release decision uses Ppk (and Cpk too with rational subgroups)."),
    ("Cpm", "Taguchi index (USL − LSL)/(6·√(σ² + (μ − T)²)): penalises distance from the target "
            "T; shown only for characteristics with two limits, where a target between them "
            "means something."),
    ("Lower bound (Bissell)", "Lower end of the two-sided confidence interval of Cpk/Ppk by "
                              "Bissell's normal approximation (Bissell 1990). The decision "
                              "compares this bound, not the point estimate, with the requirement, "
                              "so a small pilot cannot pass by luck."),
    ("PPAP point estimate", "The customer's criterion Ppk ≥ requirement on the estimate itself "
                            "(AIAG PPAP); shown beside the bound for comparison."),
    ("Percentile method", "For a non-normal characteristic, indices from the 0.135 %, 50 % and "
                          "99.865 % points of the fitted distribution (ISO 22514-2), marked †."),
    ("Anderson–Darling", "Test of normality; a p-value below the significance level says the "
                         "readings are unlikely to come from a normal distribution."),
    ("Nelson rules", "Run rules on the control chart (1: a point beyond 3σ; 2: nine in a row on "
                     "one side; 3: six in a row rising or falling; 4: fourteen alternating …). "
                     "Signals are judged against the number an in-control process shows by chance."),
    ("Welch ANOVA", "Test whether the lot means differ, without assuming equal variances; a lot "
                    "effect blocks only when it is also relevant in % of the tolerance."),
    ("Brown–Forsythe", "Test whether the lot (or stream) variances differ: Levene's test on "
                       "deviations from the medians."),
    ("Form 1 / Form 2", "ANSI/ASQ Z1.9 variables plans. Form 1 (k method): accept the lot when "
                        "(USL − x̄)/s and (x̄ − LSL)/s are at least k. Form 2 (M method, two "
                        "limits): estimate the percent nonconforming above USL and below LSL "
                        "and accept when their sum is at most M."),
    ("c = 0", "Attributes plan that accepts a lot only when the sample holds no nonconforming "
              "part (Squeglia, Zero Acceptance Number Sampling Plans); used for critical "
              "characteristics."),
    ("Clopper–Pearson bound", "Go/no-go characteristics: exact one-sided upper confidence bound "
                              "on the nonconforming fraction from x nonconforming of n."),
)


def plain_label(key: str) -> str:
    """The plain-language label of a flattened settings/policy key."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "class" and parts[2] in CLASS_FIELD_LABELS:
        return f"{CLASS_FIELD_LABELS[parts[2]]}, {parts[1]}"
    if key in POLICY_LABELS:
        return POLICY_LABELS[key]
    if parts[-1] in SETTING_LABELS and len(parts) <= 2:
        return SETTING_LABELS[parts[-1]]
    text = " · ".join(p.replace("_", " ") for p in parts)
    return text[:1].upper() + text[1:]


def _value(v: Any) -> str:
    if isinstance(v, str) and v in _VALUE_WORDS:
        return _VALUE_WORDS[v]
    if v is None:
        return "not given"
    if isinstance(v, (list, tuple)) and not v:
        return "none"
    return scalar_text(v)


def settings_rows(result: "AnalysisResult") -> list[tuple[str, str]]:
    """(label, value) of the analysis settings, each option once (the decision block repeats
    them), then what the decision block adds: what the lower bound means, the lot size the
    plans assume and where it came from."""
    settings, _ = settings_display(result)
    decision = dict(settings.pop("decision", {}) or {})
    rows = [(plain_label(k), _value(v)) for k, v in settings.items()]
    extra = {"lower_bound_meaning": decision.get("lower_bound_meaning"),
             "assumed_lot_size": result.lot_size, "lot_size_source": result.lot_size_source}
    rows += [(SETTING_LABELS[k], _value(v)) for k, v in extra.items() if v is not None]
    return rows


def policy_rows(result: "AnalysisResult") -> list[tuple[str, str]]:
    """(label, value) of every policy value, in the policy's order."""
    _, policy = settings_display(result)
    return [(plain_label(k), _value(v)) for k, v in flat_items(policy)]


def lot_size_sentence(result: "AnalysisResult") -> str | None:
    """When no lot size was given (``--lot-size`` or the policy): which lot size the plans
    assume and where it came from; None when it was given."""
    if result.settings.lot_size is not None:
        return None
    if result.policy.plans.default_lot_size > 0:
        return None
    return (f"No production lot size was given (--lot-size, or a default lot size in a policy "
            f"file): the sampling plans assume lots of {result.lot_size} "
            f"parts — {result.lot_size_source}. Give --lot-size for the real lot size; plans, "
            "sample sizes and acceptance numbers depend on it.")
