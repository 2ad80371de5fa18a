"""The release decision of a go/no-go (attribute) characteristic (``FeatureStats.type ==
"attribute"``, statistics from :mod:`pilotqa.stats.attributes`).

A go/no-go characteristic has no measured value, hence no capability index, chart, drift or
normality; what a pilot can show is an upper confidence bound on its nonconforming fraction. It
leaves 100 % inspection (verdict ``attributes_plan``) only when every check of
:data:`ATTRIBUTE_CHECKS` passes:

* **minimum evidence** — the same rule as a measured characteristic (``evidence.min_parts``);
* **nonconforming parts** — at most ``requirements.max_out_of_spec`` pilot parts failed the check
  (default 0); the reason names them by serial;
* **nonconforming fraction** — the one-sided Clopper–Pearson upper bound ``p_upper`` at
  ``p_upper_confidence`` (the variables decision's one-sided level, 97.5 % by default) is at most
  the class's ``attribute_max_p_upper``; when it is not, the reason states how many parts checked
  with none nonconforming would show the requirement: n = ⌈ln(1 − C)/ln(1 − p_max)⌉ (success-run
  theorem, the same C; :func:`pilotqa.stats.attributes.zero_failure_n`);
* **lots** — fewer than ``evidence.min_lots`` lots block a class without ``allow_single_lot``
  (critical), as for a measured characteristic;
* **gauge** — an unacceptable gauge study (``analyze --msa``) blocks, as for a measured one.

The plan is the class's ``attributes_method``: Squeglia c = 0 (``c0``) or ANSI/ASQ Z1.4 n/Ac/Re
(``attributes``) at the class's AQL (:mod:`pilotqa.decide.tables`); the other method is the
fallback when the first has no plan for the lot size. A variables plan never applies.

References: Clopper & Pearson (1934) Biometrika 26(4) 404–413; NIST/SEMATECH e-Handbook §7.2.4.1;
ANSI/ASQ Z1.4-2003; Squeglia, Zero Acceptance Number Sampling Plans, 5th ed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from pilotqa.decide import tables
from pilotqa.errors import InputError
from pilotqa.results import Evidence, Plan, from_mapping
from pilotqa.stats.attributes import fmt_pct, zero_failure_n

if TYPE_CHECKING:
    from pilotqa.decide.verdict import CheckOutcome, _Context

__all__ = ["ATTRIBUTE_CHECKS", "attribute_checks", "choose_attribute_plan", "check_nonconforming",
           "check_attribute_bound", "check_attribute_lots"]

#: Evidence fields that do not apply to a go/no-go characteristic (no measured values).
_NOT_APPLICABLE: dict[str, Any] = {
    "n_subgroups": None, "subgroups": False, "sigma_within_method": None, "decision_basis": "attribute",
    "normal": None, "ppk": None, "ppk_lower": None, "cpk": None, "cpk_lower": None, "lower_bound": None,
    "bound_model": None, "stable": None, "stability_accepted": None, "stability_signals": 0,
    "stability_signals_expected": None, "stability_signals_p": None, "drift_significant": None,
    "drift_practically_relevant": None, "drift_pct_tolerance": None, "lot_effect_significant": None,
    "lot_effect_practically_relevant": None, "lot_means_range_pct_tolerance": None, "lot_effect_test": None,
    "lot_effect_p": None, "resolution_adequate": None,
}


def _outcome() -> "CheckOutcome":
    from pilotqa.decide.verdict import CheckOutcome

    return CheckOutcome()


def check_nonconforming(c: "_Context") -> "CheckOutcome":
    """No more than ``requirements.max_out_of_spec`` pilot parts failed the go/no-go check."""
    fs, allowed = c.fs, c.policy.requirements.max_out_of_spec
    x = fs.n_nonconforming or 0
    out = _outcome()
    out.evidence = {"n_out_of_spec": x, "n_nonconforming": x}
    if x > allowed:
        serials = [o.part_id for o in fs.out_of_spec]
        named = (": " + ", ".join(serials[:10]) + (" …" if len(serials) > 10 else "")) if serials else \
            " (sample counts: the parts are not named)"
        out.fails.append(f"{x} of {fs.n} pilot parts failed the go/no-go check{named}; at most {allowed} "
                         "allowed before leaving 100 % inspection")
    return out


def check_attribute_bound(c: "_Context") -> "CheckOutcome":
    """The upper confidence bound of the nonconforming fraction is at most the class's
    ``attribute_max_p_upper`` (see the module docstring)."""
    fs, p_max = c.fs, c.rule.attribute_max_p_upper
    conf = fs.p_upper_confidence if fs.p_upper_confidence is not None else (1 + fs.confidence) / 2
    n0 = zero_failure_n(p_max, conf)
    pu = fs.p_upper
    out = _outcome()
    out.evidence = {**_NOT_APPLICABLE, "required": p_max, "confidence": fs.confidence,
                    "bound_method": (f"one-sided {conf * 100:g} % Clopper-Pearson upper bound of the nonconforming "
                                     f"fraction, required ≤ class.{c.cls}.attribute_max_p_upper"),
                    "p_upper": pu, "p_upper_confidence": conf, "attribute_max_p_upper": p_max,
                    "zero_failure_parts": n0}
    demo = (f"n = {n0} parts with none nonconforming would show p ≤ {fmt_pct(p_max)} "
            f"with {conf * 100:g} % confidence")
    if pu is None:
        out.fails.append(f"no parts checked: p ≤ {fmt_pct(p_max)} cannot be shown for a {c.cls} go/no-go "
                         f"characteristic; {demo}")
    elif pu > p_max:
        out.fails.append(f"{fs.success_run}, above the {fmt_pct(p_max)} allowed for a {c.cls} go/no-go "
                         f"characteristic (attribute_max_p_upper); {demo}")
    return out


def check_attribute_lots(c: "_Context") -> "CheckOutcome":
    """At least ``evidence.min_lots`` lots, unless the class allows a single lot (with a caveat)."""
    from pilotqa.decide.verdict import lot_count_rule

    k = len(set(c.fs.series.lot)) or 1
    out = _outcome()
    out.evidence = {"lots": k}
    lot_count_rule(c, k, out, "checked")
    return out


def attribute_checks() -> tuple[tuple[str, Callable[["_Context"], "CheckOutcome"]], ...]:
    """The release checks of a go/no-go characteristic, in the order their reasons are listed."""
    from pilotqa.decide.verdict import check_evidence, check_gauge

    return (
        ("minimum evidence", check_evidence),
        ("nonconforming parts", check_nonconforming),
        ("nonconforming fraction", check_attribute_bound),
        ("lots", check_attribute_lots),
        ("gauge", check_gauge),
    )


#: Names of the go/no-go checks (the functions: :func:`attribute_checks`).
ATTRIBUTE_CHECKS: tuple[str, ...] = ("minimum evidence", "nonconforming parts", "nonconforming fraction", "lots",
                                     "gauge")


def choose_attribute_plan(c: "_Context", ev: Evidence, lot_size: int,
                          info: list[str]) -> tuple[str, Plan | None, list[str]]:
    """Verdict, plan and reasons for a go/no-go characteristic that passed every check."""
    rule, level, sev = c.rule, c.settings.inspection_level, c.policy.plans.severity
    methods = [rule.attributes_method] + [m for m in ("attributes", "c0") if m != rule.attributes_method]
    errors: list[str] = []
    plan: Plan | None = None
    for m in methods:
        try:
            plan = from_mapping(Plan, tables.c0_plan(lot_size, rule.aql) if m == "c0"
                                else tables.attributes_plan(lot_size, rule.aql, level=level, severity=sev), "plan")
            break
        except InputError as exc:
            errors.append(str(exc))
    if plan is None:
        return "keep_100", None, ["no sampling plan available: " + "; ".join(errors)]
    fs = c.fs
    what = "Squeglia c = 0" if plan.method == "c0" else "ANSI/ASQ Z1.4"
    reasons = [f"{fs.success_run} ≤ {fmt_pct(rule.attribute_max_p_upper)} allowed for a {c.cls} go/no-go "
               f"characteristic, no pilot part nonconforming: attributes plan ({what} at AQL {rule.aql:g} %)"]
    return "attributes_plan", plan, reasons
