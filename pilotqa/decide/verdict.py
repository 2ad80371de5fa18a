"""Evidence → verdict: may a characteristic leave 100 % inspection, and which plan replaces it.

For each characteristic (:class:`~pilotqa.results.FeatureStats` from :mod:`pilotqa.stats`)
:func:`decide` returns a :class:`~pilotqa.results.Decision` (verdict, plan, reasons, evidence):

* ``keep_100`` — at least one check of :data:`CHECKS` fails; **every** failing check is listed.
* ``reduced_audit`` — very capable (lower bound ≥ ``reduced_audit.min_lower_bound``), normal,
  stable, no significant drift, lot or stream effect at all, ≥ ``evidence.min_lots`` lots.
* ``variables_plan`` — normal data: ANSI/ASQ Z1.9-2003 (or MIL-STD-414) s-method.
* ``attributes_plan`` — non-normal (or undetermined) data: a variables plan assumes normality
  (Z1.9 §A7 "applicable only when the normality of the measurements is assured"), so an attributes
  plan is offered instead: Squeglia c = 0 or ANSI/ASQ Z1.4 n/Ac/Re per the class's policy.

Go/no-go characteristics (``type == "attribute"``) run the checks of
:func:`pilotqa.decide.attributes.attribute_checks` instead (upper bound of the nonconforming
fraction against ``class.<c>.attribute_max_p_upper``) and get an attributes plan.

The checks are a table (:data:`CHECKS`): each is a named function of the characteristic's
statistics that returns the reasons it fails (``fails``), remarks that do not block (``info``) and
the evidence it contributes; a new check is one entry.

Capability bound. For normal data the bound is the lower limit of ``ppk_ci`` (and ``cpk_ci``
with rational subgroups) from :mod:`pilotqa.stats` (Bissell 1990). For non-normal data Bissell's
interval is not valid (evaluated at the percentile index, its lower 97.5 % bound covered the
true index in only 80–88 % of simulated lognormal and Weibull pilot runs). Each fitted model
gets a delta-method interval on its ML fit
(:func:`pilotqa.stats.distributions.percentile_ppk_interval`; 96–98 % in the same simulation),
and the bound is the lowest lower limit among the models within the policy's
``requirements.non_normal_aic_window`` of the best (:func:`model_bound`), because the data of a
pilot rarely single out one family. A non-normal feature never gets a variables plan or the
reduced audit: its plan (attributes) checks conformance directly and does not rely on the
fitted model. When the chosen model has no interval, the bound is "not available" and the
characteristic stays at 100 %.

References: AIAG PPAP 4th ed. §2.2.11; AIAG SPC 2nd ed.; Bissell, A. F. (1990) "How reliable is
your capability index?", Appl. Statist. 39(3); ISO 22514-2; ANSI/ASQ Z1.4-2003 / MIL-STD-105E;
ANSI/ASQ Z1.9-2003 / MIL-STD-414; Squeglia, Zero Acceptance Number Sampling Plans, 5th ed.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from pilotqa.decide import tables
from pilotqa.decide.parts_needed import parts_needed_for
from pilotqa.decide.policy import CLASS_NAMES, ClassRule, Policy
from pilotqa.errors import InputError, PolicyError
from pilotqa.model import Inspection
from pilotqa.results import (
    VERDICTS,
    CapabilityModel,
    Decision,
    Evidence,
    FeatureStats,
    GaugeEvidence,
    Plan,
    PlanEntry,
    Stability,
    from_mapping,
)
from pilotqa.settings import Settings

__all__ = ["DecisionSummary", "decide", "decide_feature", "resolve_lot_size", "stability_signals", "check_stream_effect",
           "model_bound", "CHECKS", "VERDICTS", "check_critical_names"]


@dataclass(frozen=True)
class DecisionSummary:
    """Part-level result: one decision and one inspection-plan entry per feature (spec order),
    the one-line statement, and the lot size the plans assume with where it came from."""

    decisions: tuple[Decision, ...]
    inspection_plan: tuple[PlanEntry, ...]
    overall: str
    lot_size: int
    lot_size_source: str


# ----------------------------------------------------------------------------- text helpers
def _f2(x: float) -> str:
    return f"{x:.2f}"


def _g(x: float) -> str:
    """Two significant digits below 1, three above (slopes, steps)."""
    return f"{x:.2g}" if abs(x) < 1 else f"{x:.3g}"


def _p(p: float | None) -> str:
    if p is None:
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _pct(x: float) -> str:
    return f"{x:.0f} %" if abs(x) >= 10 else f"{x:.1f} %"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


# ----------------------------------------------------------------------------- inputs
def resolve_lot_size(settings: Settings, policy: Policy, insp: Inspection | None) -> tuple[int, str]:
    """Lot size for the plans and a sentence saying where it came from.

    ``--lot-size`` when given; else ``plans.default_lot_size`` of the policy when > 0; else the
    pilot's mean lot size (parts per lot, rounded, at least 2) — a pilot lot is usually smaller
    than a production lot, so the reason asks for ``--lot-size``.
    """
    if settings.lot_size:
        return int(settings.lot_size), "given with --lot-size"
    if policy.plans.default_lot_size > 0:
        return policy.plans.default_lot_size, "policy plans.default_lot_size"
    parts, lots = 0, 1
    if insp is not None and insp.n_parts:  # measured or go/no-go checked parts
        parts = int(insp.n_parts)
        lots = max(1, len(insp.lots))
    size = max(2, int(round(parts / lots))) if parts else 2
    return size, f"the pilot's mean lot size ({parts} parts in {lots} lot{_s(lots)})"


def check_critical_names(settings: Settings, features: list[str]) -> None:
    """Every ``--critical`` name must be a characteristic of the inspection.

    Raises :class:`~pilotqa.errors.PolicyError` naming the unknown names and the known ones, so a
    misspelt name never silently leaves a critical characteristic at its default class.
    """
    unknown = [c for c in settings.critical if c not in set(features)]
    if unknown:
        known = ", ".join(features[:20]) + (" …" if len(features) > 20 else "")
        raise PolicyError(f"--critical names unknown characteristic(s) {', '.join(unknown)}; known: {known}",
                          key="critical")


def _feature_class(fs: FeatureStats, settings: Settings, policy: Policy) -> tuple[str, str]:
    if fs.feature in settings.critical:
        return "critical", "marked critical on the command line (--critical)"
    c = fs.class_
    if isinstance(c, str) and c.strip().lower() in CLASS_NAMES:
        return c.strip().lower(), "from the specification"
    return policy.default_class, f"no class in the export: policy default_class = {policy.default_class}"


def _is_normal(fs: FeatureStats) -> tuple[bool | None, str]:
    """Decision basis: True = normal theory, False = a fitted non-normal model, None = unknown."""
    cm = fs.capability_model
    if cm is not None and cm.decision_basis:
        return cm.decision_basis.lower().startswith("normal"), cm.decision_basis
    if fs.normality.normal is True:
        return True, "normal"
    if fs.normality.normal is False:
        return False, "non-normal"
    return None, "unknown"


def model_bound(cm: CapabilityModel, window: float) -> tuple[float | None, str | None, list[str]]:
    """Decision bound of a fitted non-normal model: the lowest lower interval limit of the
    percentile Ppk among ``cm.alternatives`` within ``window`` AIC units of the best model.

    Returns (bound, model giving it, names of the plausible models). The bound is None when the
    chosen model has no interval. A plausible alternative without an interval is passed over.
    Why the minimum: a pilot rarely tells lognormal from gamma or Weibull, and their 99.865 %
    points differ. In simulated lognormal pilots (n = 50 and 125, docs/decision-quality.md) a
    characteristic exactly at the requirement was released in 13–19 % of runs with the chosen
    model alone, 7.5–8 % with ΔAIC ≤ 2 (Burnham & Anderson 2002 §2.6: models within
    2 units have substantial support). With the guards against invented tails (no Johnson SU
    below 200 readings, a stricter switch away from normal) ΔAIC ≤ 6, the default, releases
    3–3.5 % there for 1–4.5 points of release at true Ppk 2.0.
    """
    if not cm.alternatives:  # no alternatives recorded: the chosen model's own interval
        lo = cm.ppk_ci[0] if cm.ppk_ci else None
        return lo, (cm.distribution if lo is not None else None), []
    plausible = [a for a in cm.alternatives if a.aic_delta is not None and a.aic_delta <= window + 1e-9]
    names = [a.distribution for a in plausible]
    if not plausible or not plausible[0].ppk_ci or plausible[0].ppk_ci[0] is None:
        return None, None, names
    lows = [(a.ppk_ci[0], a.distribution) for a in plausible if a.ppk_ci and a.ppk_ci[0] is not None]
    lo, model = min(lows, key=lambda t: t[0])
    return lo, model, names


@dataclass(frozen=True)
class SignalTest:
    """Run-rule signals against chance: count, expected count, p-value, rules, 0-based points."""

    signals: int
    expected: float
    p_value: float
    rules_fired: tuple[int, ...]
    points: tuple[int, ...]


def stability_signals(stab: Stability, rules: tuple[int, ...], n_x: int, n_range: int) -> SignalTest:
    """Are the run-rule signals more than an in-control process produces by chance?

    The count K of distinct (chart, rule, point) signals is compared with its null distribution
    for this chart type, subgroup size, rule set and number of points
    (:func:`pilotqa.stats.signal_null.chart_signal_p_value`: in-control normal charts simulated
    through the same Phase I limits and rule definitions, tabulated once): p = P(K' ≥ K).
    Signals of runs cluster (one long run flags several consecutive points), which the earlier
    Poisson approximation treated as independent: it blocked 6.5–9 % of stable processes against a
    nominal 5 %; the null distribution blocks 1.8–4.8 % (docs/decision-quality.md).
    ``rules``, ``n_x`` and ``n_range`` are kept for the record; the chart's own ``rules`` and
    ``n_points`` define the null distribution.
    """
    from pilotqa.stats.signal_null import chart_signal_p_value

    keys = {(v.chart, v.rule, v.index) for v in stab.violations}
    p, expected, _method = chart_signal_p_value(stab)
    return SignalTest(signals=len(keys), expected=float(expected), p_value=min(1.0, max(0.0, float(p))),
                      rules_fired=tuple(sorted({v.rule for v in stab.violations})),
                      points=tuple(sorted({v.index for v in stab.violations})))


# ----------------------------------------------------------------------------- the checks
@dataclass
class _Context:
    """What every check of one characteristic reads: its statistics, class rule and settings."""

    fs: FeatureStats
    settings: Settings
    policy: Policy
    cls: str
    rule: ClassRule
    normal: bool | None
    basis: str
    unit: str
    conf_txt: str
    gauge: GaugeEvidence | None = None


@dataclass
class CheckOutcome:
    """What one check says: reasons it fails, remarks that do not block, evidence it adds."""

    fails: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


def _has_subgroups(fs: FeatureStats) -> bool:
    return fs.sigma_within_method in ("pooled", "rbar", "sbar")


def check_evidence(c: _Context) -> CheckOutcome:
    """Minimum evidence: ≥ ``evidence.min_parts`` parts or ≥ ``evidence.min_subgroups`` subgroups."""
    fs, ev = c.fs, c.policy.evidence
    has_sub = _has_subgroups(fs)
    out = CheckOutcome(evidence={"n": fs.n, "n_subgroups": fs.n_subgroups, "subgroups": has_sub,
                                 "sigma_within_method": fs.sigma_within_method})
    if not (fs.n >= ev.min_parts or (has_sub and fs.n_subgroups is not None and fs.n_subgroups >= ev.min_subgroups)):
        sub_txt = f" in {fs.n_subgroups} subgroups" if has_sub and fs.n_subgroups is not None else ""
        out.fails.append(f"only {fs.n} part{_s(fs.n)} measured{sub_txt}; at least {ev.min_parts} parts or "
                         f"{ev.min_subgroups} subgroups are required")
    return out


def check_out_of_tolerance(c: _Context) -> CheckOutcome:
    """No more than ``requirements.max_out_of_spec`` pilot parts out of tolerance."""
    oos, allowed = c.fs.n_out_of_spec, c.policy.requirements.max_out_of_spec
    out = CheckOutcome(evidence={"n_out_of_spec": oos})
    if oos > allowed:
        serials = [o.part_id for o in c.fs.out_of_spec]
        named = (": " + ", ".join(serials[:10]) + (" …" if len(serials) > 10 else "")) if serials else ""
        out.fails.append(f"{oos} of {c.fs.n} pilot parts are out of tolerance{named}; at most {allowed} "
                         "allowed before leaving 100 % inspection")
    return out


def _bound_label(c: _Context) -> tuple[dict[str, float | None], dict[str, float | None], str, str | None, str]:
    """(point estimates, lower bounds, bound method text, model giving the bound, label suffix)."""
    fs, req = c.fs, c.policy.requirements
    point: dict[str, float | None] = {}
    bounds: dict[str, float | None] = {}
    cm = fs.capability_model
    if c.normal is False and cm is not None:
        dist = cm.distribution
        # ISO 22514-2 percentile indices estimate total spread, so a fitted model has no Cpk
        # (Minitab's non-normal capability likewise): only the Ppk bound is required.
        point["Ppk"] = cm.ppk
        bounds["Ppk"], bound_model, plausible = model_bound(cm, req.non_normal_aic_window)
        window = f"{req.non_normal_aic_window:g}"
        method = (f"lowest lower limit of the two-sided {c.conf_txt} delta-method intervals of the ISO "
                  f"22514-2 percentile-method Ppk among the fitted models within ΔAIC ≤ {window} of the "
                  f"best ({', '.join(plausible) or dist or 'none'}); here {bound_model or dist or 'none'} "
                  "(pilotqa.stats.distributions.percentile_ppk_interval)")
        extra = f" (percentile method, {dist or 'fitted model'}"
        if bound_model and bound_model != dist:
            extra += (f"; bound from {bound_model}, the most pessimistic of the {len(plausible)} models "
                      f"within ΔAIC ≤ {window}")
        return point, bounds, method, bound_model, extra + ")"
    point["Ppk"], bounds["Ppk"] = fs.ppk, (fs.ppk_ci[0] if fs.ppk_ci else None)
    if _has_subgroups(fs):
        point["Cpk"], bounds["Cpk"] = fs.cpk, (fs.cpk_ci[0] if fs.cpk_ci else None)
    return point, bounds, f"lower limit of the two-sided {c.conf_txt} Bissell interval (pilotqa.stats)", None, ""


def check_capability(c: _Context) -> CheckOutcome:
    """The lower confidence bound of Ppk (and Cpk with subgroups) reaches the class requirement."""
    point, bounds, method, bound_model, extra = _bound_label(c)
    req = c.rule.min_lower_bound
    out = CheckOutcome(evidence={
        "decision_basis": c.basis, "normal": c.normal, "ppk": point.get("Ppk"), "ppk_lower": bounds.get("Ppk"),
        "cpk": point.get("Cpk"), "cpk_lower": bounds.get("Cpk"),
        "lower_bound": min((b for b in bounds.values() if b is not None), default=None),
        "required": req, "confidence": c.fs.confidence, "bound_method": method, "bound_model": bound_model,
    })
    if c.fs.lsl is None and c.fs.usl is None:
        out.fails.append("no specification limits: capability cannot be shown and no sampling plan can be set; "
                         "give the tolerance (--spec FILE)")
        return out
    for idx, lb in bounds.items():
        if lb is None:
            out.fails.append(f"{idx}{extra} lower {c.conf_txt} bound is not available (see the notes), "
                             f"so {idx} ≥ {_f2(req)} cannot be shown for a {c.cls} characteristic")
        elif lb < req:
            pt = point.get(idx)
            out.fails.append(f"{idx}{extra} lower {c.conf_txt} bound {_f2(lb)} < {_f2(req)} "
                             f"required for a {c.cls} characteristic"
                             + (f" (point estimate {_f2(pt)}, n = {c.fs.n})" if pt is not None else ""))
    return out


def _traced_points(stab: Stability) -> list[str]:
    """Signalling points as the chart numbers them (1-based) with their serials: ``51 (SN0051)``."""
    seen: dict[int, str | None] = {}
    for v in stab.violations:
        point = v.point if v.point is not None else v.index + 1
        seen.setdefault(point, v.part_id)
    return [f"{p} ({sn})" if sn else str(p) for p, sn in sorted(seen.items())]


def check_stability(c: _Context) -> CheckOutcome:
    """A stable process: no run-rule signals beyond chance (:func:`stability_signals`)."""
    fs, req = c.fs, c.policy.requirements
    stab = fs.stability
    stable = stab.stable if stab is not None else None
    rules_on = tuple(c.settings.rules)
    sig: SignalTest | None = None
    accepted: bool | None = stable
    if stab is not None and stable is False:
        has_sub = _has_subgroups(fs)
        n_x = fs.n_subgroups if has_sub and fs.n_subgroups else fs.n
        sig = stability_signals(stab, rules_on, n_x, n_x if has_sub else max(fs.n - 1, 0))
    out = CheckOutcome()
    if req.stable:
        if stab is not None and stable is False and sig is not None:
            rl, pts = sig.rules_fired, _traced_points(stab)
            pts_txt = ", ".join(pts[:6]) + (" …" if len(pts) > 6 else "")
            what = (f"Nelson rule{_s(len(rl))} {', '.join(str(r) for r in rl)} fired "
                    f"{sig.signals} time{_s(sig.signals)} (point{_s(len(pts))} {pts_txt}) on the {stab.chart} chart")
            chance = (f"an in-control process shows about {sig.expected:.1f} such signals on {fs.n} parts "
                      f"with rules {', '.join(str(r) for r in rules_on)} ({_p(sig.p_value)})")
            if req.strict_stability or sig.p_value < c.settings.alpha:
                out.fails.append(f"not stable: {what}; {chance}")
            else:
                accepted = True
                out.info.append(f"{what} — no more than chance: {chance}; treated as stable, but look at these points")
        elif stable is None:
            out.fails.append("stability could not be judged (no control chart); a stable process is required")
    out.evidence = {"stable": stable, "stability_accepted": accepted,
                    "stability_signals": sig.signals if sig else 0,
                    "stability_signals_expected": sig.expected if sig else None,
                    "stability_signals_p": sig.p_value if sig else None}
    return out


def check_drift(c: _Context) -> CheckOutcome:
    """No drift that is both significant and above ``--drift-pct`` % of the tolerance."""
    dr = c.fs.drift
    out = CheckOutcome(evidence={"drift_significant": None, "drift_practically_relevant": None,
                                 "drift_pct_tolerance": None})
    if dr is None:
        return out
    d_pct, d_rel = dr.drift_pct_tolerance, dr.practically_relevant
    if d_rel is None and d_pct is not None:
        d_rel = abs(d_pct) > c.settings.drift_pct
    out.evidence = {"drift_significant": dr.significant, "drift_practically_relevant": d_rel,
                    "drift_pct_tolerance": d_pct}
    flag = bool(dr.significant) and d_rel is not False
    if dr.significant:
        txt = (f"drift {_g(dr.slope) if dr.slope is not None else 'n/a'}{c.unit}/part, {_p(dr.p_value)}"
               + (f", {_pct(abs(d_pct))} of tolerance over the run" if d_pct is not None else ""))
        if dr.parts_to_limit is not None:
            txt += f"; the ±3σ band reaches a limit in about {dr.parts_to_limit:.0f} more parts"
        if flag and c.policy.requirements.no_drift:
            out.fails.append(txt + f" (significant and above the {c.settings.drift_pct:g} % relevance limit)")
        elif not flag:
            out.info.append(txt + " — significant but not practically relevant")
    return out


def check_lot_effect(c: _Context) -> CheckOutcome:
    """No lot effect that is both significant and above ``--lot-effect-pct`` % of the tolerance;
    at least ``evidence.min_lots`` lots (a single lot only with a caveat where the class allows).

    The p-value quoted is that of the test that decided significance (``lots.test_used``: Welch's
    ANOVA when the Brown–Forsythe test finds unequal lot variances, else the classical F test).
    """
    lt = c.fs.lots
    k = lt.k if lt is not None else 1
    out = CheckOutcome(evidence={"lots": k, "lot_effect_significant": None, "lot_effect_practically_relevant": None,
                                 "lot_means_range_pct_tolerance": None, "lot_effect_test": None,
                                 "lot_effect_p": None})
    if lt is not None:
        l_pct, l_rel = lt.lot_mean_range_pct_tolerance, lt.practically_relevant
        if l_rel is None and l_pct is not None:
            l_rel = l_pct > c.settings.lot_effect_pct
        out.evidence.update(lot_effect_significant=lt.significant, lot_effect_practically_relevant=l_rel,
                            lot_means_range_pct_tolerance=l_pct, lot_effect_test=lt.test_used,
                            lot_effect_p=lt.p_used)
        flag = bool(lt.significant) and l_rel is not False
        if k >= 2 and lt.significant:
            test = "Welch ANOVA" if lt.test_used == "welch" else "ANOVA"
            txt = (f"lot effect across {k} lots ({test}, {_p(lt.p_used)})"
                   + (f", range of lot means {_pct(l_pct)} of tolerance" if l_pct is not None else "")
                   + (f", between-lot share of variance {lt.between_lot_share * 100:.0f} %"
                      if lt.between_lot_share is not None else ""))
            if flag and c.policy.requirements.no_lot_effect:
                out.fails.append(txt + f" (significant and above the {c.settings.lot_effect_pct:g} % relevance limit)")
            elif not flag:
                out.info.append(txt + " — significant but not practically relevant")
    lot_count_rule(c, k, out, "measured")
    return out


def lot_count_rule(c: _Context, k: int, out: CheckOutcome, verb: str) -> None:
    """At least ``evidence.min_lots`` lots; a class that allows a single lot gets a plan with a
    caveat instead (``verb``: how the next lot is checked — "measured" or "checked")."""
    ev = c.policy.evidence
    if k >= ev.min_lots:
        return
    if not c.rule.allow_single_lot:
        out.fails.append(f"only {k} lot{_s(k)} in the pilot: lot-to-lot consistency cannot be "
                         f"shown, and a {c.cls} characteristic needs at least {ev.min_lots} lots")
    else:
        out.info.append(f"only {k} lot{_s(k)} in the pilot: lot-to-lot consistency is not shown; "
                        f"the plan is provisional — re-evaluate when the next lot has been {verb}")


def check_resolution(c: _Context) -> CheckOutcome:
    """Gauge resolution adequate (step ≤ 10 % of the tolerance, enough distinct values)."""
    res = c.fs.resolution
    adequate = res.adequate if res is not None else None
    out = CheckOutcome(evidence={"resolution_adequate": adequate})
    if c.policy.requirements.resolution_adequate and adequate is False and res is not None:
        step, pct, dv = res.step, res.pct_tolerance, res.distinct_values
        both = step is not None and pct is not None
        out.fails.append("gauge resolution inadequate: "
                         + (f"step {_g(step)}{c.unit} = {_pct(pct)} of the tolerance (> 10 %)"  # type: ignore[arg-type]
                            if both else "")
                         + (f"{'; ' if both else ''}{dv} distinct values" if dv is not None else ""))
    elif adequate is None:
        out.info.append("gauge resolution could not be judged")
    return out


def _offset(x: float) -> str:
    """A signed offset with two significant digits below 1, three above (``+0.008``)."""
    return f"{x:+.2g}" if abs(x) < 1 else f"{x:+.3g}"


def check_stream_effect(c: _Context) -> CheckOutcome:
    """No stream effect — fixture, nest, spindle, machine, operator … (``--by`` and the recognised
    stream columns, :func:`pilotqa.stats.factors.streams_all`) — that is both significant and above
    ``stream_effect_pct`` % of the tolerance (``requirements.no_stream_effect``).

    The same rule as :func:`check_lot_effect` (the lot and stream analyses are one computation,
    :func:`pilotqa.stats.factors.factor_effect_all`): significant = p < α of the test the
    Brown–Forsythe test selects (Welch's ANOVA when the stream variances differ, else the
    classical F test); practically relevant = range of stream means > ``stream_effect_pct`` % of
    the tolerance. The reason names the factor, the stream whose mean lies farthest from the mean
    of the other streams' readings and that offset in units and % of the tolerance. The evidence
    carries the blocking effect (else the most pronounced significant one, else the largest
    offset).
    """
    out = CheckOutcome(evidence={"stream_effect_significant": None, "stream_effect_practically_relevant": None,
                                 "stream_factor": None, "stream": None, "stream_offset": None,
                                 "stream_offset_pct_tolerance": None, "stream_effect_p": None})
    limit = c.settings.stream_effect_pct
    ranked: list[tuple[tuple[int, int, float], str, Any, bool | None]] = []
    for factor, se in c.fs.streams.items():
        rel = se.practically_relevant
        if rel is None and se.mean_range_pct_tolerance is not None:
            rel = se.mean_range_pct_tolerance > limit
        flag = bool(se.significant) and rel is not False
        ranked.append(((int(flag), int(bool(se.significant)), abs(se.offset_pct_tolerance or 0.0)), factor, se, rel))
        if not se.significant:
            continue
        test = "Welch ANOVA" if se.test_used == "welch" else "ANOVA"
        where = (f"{factor} {se.stream} sits {_offset(se.offset)}{c.unit}" if se.offset is not None and se.stream
                 else f"{factor} means differ")
        txt = (where
               + (f" ({_pct(abs(se.offset_pct_tolerance))} of tolerance)" if se.offset_pct_tolerance is not None else "")
               + (" from the others" if se.offset is not None else "")
               + f", {test} {_p(se.p_used)} across {se.k} {factor}{'es' if factor.endswith(('s', 'x', 'sh', 'ch')) else 's'}"
               + (f", range of the {factor} means {_pct(se.mean_range_pct_tolerance)} of tolerance"
                  if se.k > 2 and se.mean_range_pct_tolerance is not None else "")
               + (f", {factor} share of variance {se.between_share * 100:.0f} %" if se.between_share is not None else ""))
        if flag and c.policy.requirements.no_stream_effect:
            out.fails.append(f"stream effect: {txt} (significant and above the {limit:g} % relevance limit)")
        elif not flag:
            out.info.append(f"stream effect: {txt} — significant but not practically relevant")
    if ranked:
        _key, factor, se, rel = max(ranked, key=lambda t: t[0])
        out.evidence.update(stream_effect_significant=se.significant, stream_effect_practically_relevant=rel,
                            stream_factor=factor, stream=se.stream, stream_offset=se.offset,
                            stream_offset_pct_tolerance=se.offset_pct_tolerance, stream_effect_p=se.p_used)
    return out


def check_gauge(c: _Context) -> CheckOutcome:
    """The gauge behind the characteristic (``analyze --msa``): a gauge study whose verdict is
    ``not_acceptable`` (AIAG MSA 4th ed.: %GRR > 30 % or ndc < 5, by the study's criteria) blocks
    the release; ``conditional`` (10–30 %) releases only with a note. The report shows Ppk with
    the gauge's variance removed, σ_process = √(σ²_observed − σ²_GRR) (AIAG MSA 4th ed. ch. I §E),
    beside the observed Ppk; the decision itself stays on the observed data (conservative)."""
    g, fs = c.gauge, c.fs
    out = CheckOutcome()
    if g is None:
        return out
    from pilotqa.stats.capability import process_sigma

    ppk_process = None
    sp = process_sigma(fs.sigma_overall, g.sigma_grr)
    if sp is not None and sp > 0 and fs.ppk is not None and fs.sigma_overall:
        ppk_process = fs.ppk * fs.sigma_overall / sp
    out.evidence = {"gauge_verdict": g.verdict, "gauge_pct_grr_tolerance": g.pct_grr_tolerance,
                    "gauge_ndc": g.ndc, "gauge_source": g.source, "ppk_process": ppk_process}
    what = (f"{g.method} study: "
            + (f"%GRR {g.pct_grr_tolerance:.1f} % of tolerance" if g.pct_grr_tolerance is not None else "%GRR n/a")
            + (f", ndc {g.ndc}" if g.ndc is not None else "") + f" ({g.source})")
    if g.verdict == "not_acceptable":
        out.fails.append(f"measured with a gauge that is not acceptable ({what}): the readings cannot show "
                         "capability; improve the measurement system first")
    elif g.verdict == "conditional":
        out.info.append(f"gauge conditionally acceptable ({what}); released with this note — AIAG MSA "
                        "accepts 10–30 % %GRR depending on the application")
    elif g.verdict == "not_assessed":
        out.info.append(f"gauge study not assessed against a tolerance ({what})")
    return out



#: The release checks, in the order their reasons are listed. Each entry: (name, check).
CHECKS: tuple[tuple[str, Callable[[_Context], CheckOutcome]], ...] = (
    ("minimum evidence", check_evidence),
    ("out of tolerance", check_out_of_tolerance),
    ("capability bound", check_capability),
    ("stability", check_stability),
    ("drift", check_drift),
    ("lot effect", check_lot_effect),
    ("stream effect", check_stream_effect),
    ("resolution", check_resolution),
    ("gauge", check_gauge),
)


# ----------------------------------------------------------------------------- plan choice
def _plan(d: dict[str, Any]) -> Plan:
    return from_mapping(Plan, d, "plan")


def _reduced_audit(c: _Context, ev: Evidence, lot_size: int) -> tuple[Plan, str] | None:
    """The reduced audit when the characteristic qualifies (see the module docstring)."""
    ra = c.policy.reduced_audit
    lb = ev.lower_bound
    single_lot = ev.lots < c.policy.evidence.min_lots
    ok = (ra.enabled and c.normal is True and lb is not None and lb >= ra.min_lower_bound
          and ev.stable is True and not ev.drift_significant and not (ev.lots >= 2 and ev.lot_effect_significant)
          and not ev.stream_effect_significant
          and not single_lot and ev.resolution_adequate is True)
    if not ok:
        return None
    per_lot = ra.pieces_per_lot + math.ceil(lot_size / ra.periodic_every)
    mean, so = c.fs.mean, c.fs.sigma_overall
    react = (mean - 3 * so, mean + 3 * so) if mean is not None and so is not None else None
    n = min(per_lot, lot_size)
    plan = Plan(
        method="reduced_audit", pieces_per_lot=ra.pieces_per_lot, periodic_every=ra.periodic_every,
        sample_size=n, lot_size=lot_size, reaction_limits=react,
        rule_text=(f"Measure the first and the last part of every lot and one part every "
                   f"{ra.periodic_every} parts ({n} parts per lot of {lot_size}); "
                   "every reading must lie inside the tolerance"
                   + (f" and inside the reaction limits {react[0]:.6g} … {react[1]:.6g}{c.unit} (pilot mean ± 3σ)"
                      if react else "")
                   + "; one reading outside returns the characteristic to 100 % inspection until "
                   "the cause is found."),
    )
    return plan, "reduced audit"


def _why_not_normal(c: _Context) -> str:
    norm, cm = c.fs.normality, c.fs.capability_model
    dist = cm.distribution if cm is not None else None
    if norm.normal is False:
        return ("the readings are not normally distributed (Anderson–Darling "
                + (_p(norm.ad_p_value) if norm.ad_p_value is not None else "test")
                + (f"; best fit {dist}" if dist else "") + ")")
    if c.normal is False:
        return (f"the decision uses the fitted {dist or 'non-normal'} model (percentile method"
                + ("; bounded at zero" if c.fs.lower_bound_zero else "") + ")")
    return "normality could not be established"


def _choose_plan(c: _Context, ev: Evidence, lot_size: int, info: list[str]) -> tuple[str, Plan | None, list[str]]:
    """Verdict, plan and reasons for a characteristic that passed every check."""
    policy, rule, cls = c.policy, c.rule, c.cls
    level, sev = c.settings.inspection_level, policy.plans.severity
    _point, bounds, _m, _bm, extra = _bound_label(c)
    lb_txt = ", ".join(f"{i}{extra} lower {c.conf_txt} bound {_f2(b)}" for i, b in bounds.items() if b is not None)
    reasons: list[str] = []
    ra = _reduced_audit(c, ev, lot_size)
    if ra is not None:
        reasons.append(f"{lb_txt} ≥ {_f2(policy.reduced_audit.min_lower_bound)} (reduced-audit level), stable, "
                       f"no significant drift or lot effect across {ev.lots} lots: reduced audit")
        return "reduced_audit", ra[0], reasons
    plan: Plan | None = None
    verdict = ""
    if c.normal is True:
        try:
            # Z1.9 / MIL-STD-414: Form 2 (M method) for two limits, Form 1 (k method) for one
            plan = _plan(tables.variables_plan_for_limits(lot_size, rule.aql, c.fs.lsl, c.fs.usl, level=level,
                                                          severity=sev, standard=policy.plans.variables_standard))
            verdict = "variables_plan"
            reasons.append(f"{lb_txt} ≥ {_f2(rule.min_lower_bound)} required for a {cls} characteristic; "
                           "stable, no relevant drift or lot effect; readings consistent with a normal "
                           "distribution: variables plan")
        except InputError as exc:
            reasons.append(f"no variables plan ({exc}); attributes plan instead")
    if plan is None:
        if c.normal is not True:
            reasons.append(f"{lb_txt or 'capability'} ≥ {_f2(rule.min_lower_bound)} required for a {cls} "
                           f"characteristic, but {_why_not_normal(c)}: a variables plan assumes normality, so an "
                           "attributes plan is used")
        methods = [rule.attributes_method] + [m for m in ("attributes", "c0") if m != rule.attributes_method]
        errors = []
        for m in methods:
            try:
                plan = _plan(tables.c0_plan(lot_size, rule.aql) if m == "c0"
                             else tables.attributes_plan(lot_size, rule.aql, level=level, severity=sev))
                break
            except InputError as exc:
                errors.append(str(exc))
        if plan is None:
            return "keep_100", None, ["no sampling plan available: " + "; ".join(errors)]
        verdict = "attributes_plan"
    ra_rule = policy.reduced_audit
    if ra_rule.enabled and c.normal is True and ev.lower_bound is not None and ev.lower_bound >= ra_rule.min_lower_bound:
        info.append("capable enough for the reduced audit, but it needs ≥ "
                    f"{policy.evidence.min_lots} lots, a stable process, no significant drift or lot effect and "
                    "adequate resolution")
    return verdict, plan, reasons


# ----------------------------------------------------------------------------- one feature
def decide_feature(fs: FeatureStats, settings: Settings, policy: Policy, lot_size: int,
                   lot_size_note: str, gauge: GaugeEvidence | None = None) -> Decision:
    """Run every check of :data:`CHECKS` on one characteristic, then choose the plan."""
    cls, cls_source = _feature_class(fs, settings, policy)
    normal, basis = _is_normal(fs)
    ctx = _Context(fs=fs, settings=settings, policy=policy, cls=cls, rule=policy.rule(cls), normal=normal,
                   basis=basis, unit=f" {fs.unit}" if fs.unit else "", conf_txt=f"{fs.confidence * 100:g} %",
                   gauge=gauge)
    fails: list[str] = []
    info: list[str] = []
    ev_fields: dict[str, Any] = {"class_": cls, "class_source": cls_source, "lot_size": lot_size,
                                 "lot_size_source": lot_size_note, "aql": ctx.rule.aql}
    go_nogo = fs.type == "attribute"  # go/no-go characteristic: pilotqa.decide.attributes
    if go_nogo:
        from pilotqa.decide.attributes import attribute_checks, choose_attribute_plan
    for _name, check in (attribute_checks() if go_nogo else CHECKS):
        outcome = check(ctx)
        fails += outcome.fails
        info += outcome.info
        ev_fields.update(outcome.evidence)
    ev_fields = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in ev_fields.items()}
    evidence = Evidence(**ev_fields)
    if fails:
        kept = Decision(verdict="keep_100", plan=None, reasons=tuple(fails + info), evidence=evidence)
        return kept if go_nogo else dataclasses.replace(kept, parts_needed=parts_needed_for(fs, kept, policy))
    verdict, plan, reasons = (choose_attribute_plan(ctx, evidence, lot_size, info) if go_nogo
                              else _choose_plan(ctx, evidence, lot_size, info))
    if plan is not None:
        if not settings.lot_size:
            reasons.append(f"lot size not given (--lot-size): plan shown for lots of {lot_size} parts, {lot_size_note}")
        if plan.hundred_percent:
            reasons.append(f"at a lot size of {lot_size} the plan's sample size reaches the lot size: "
                           "in effect 100 % inspection")
    return Decision(verdict=verdict, plan=plan, reasons=tuple(reasons + info), evidence=evidence)


def _plan_entry(fs: FeatureStats, dec: Decision) -> PlanEntry:
    plan, verdict, cls = dec.plan, dec.verdict, dec.evidence.class_
    if plan is None or verdict == "keep_100" or plan.hundred_percent:
        return PlanEntry(feature=fs.feature, class_=cls, verdict=verdict, method="100%", sample_size=None,
                         accept=None, reject=None, k=None, frequency="every part",
                         rule=(plan.rule_text if plan is not None else "") or "Measure every part (100 % inspection).")
    if verdict == "reduced_audit":
        return PlanEntry(feature=fs.feature, class_=cls, verdict=verdict, method="reduced_audit",
                         sample_size=plan.sample_size, accept=None, reject=None, k=None,
                         frequency=f"first and last part of each lot + 1 every {plan.periodic_every} parts",
                         rule=plan.rule_text)
    return PlanEntry(feature=fs.feature, class_=cls, verdict=verdict, method=plan.method,
                     sample_size=plan.sample_size, accept=plan.accept, reject=plan.reject, k=plan.k,
                     frequency=f"every lot of {plan.lot_size}", rule=plan.rule_text)


def _overall(plan: tuple[PlanEntry, ...]) -> str:
    total = len(plan)
    if total == 0:
        return "No characteristics to decide."
    leave = [p for p in plan if p.method != "100%"]
    names = {"variables_plan": "variables plan", "attributes_plan": "attributes plan", "reduced_audit": "reduced audit"}
    counts = {v: sum(1 for p in leave if p.verdict == v) for v in names}
    parts = [f"{c} {names[v]}" for v, c in counts.items() if c]
    stay = total - len(leave)
    forced = sum(1 for p in plan if p.verdict != "keep_100" and p.method == "100%")
    s = (f"{len(leave)} of {total} characteristic{_s(total)} may leave 100 % inspection"
         + (f" ({', '.join(parts)})" if parts else "") + f"; {stay} stay{'s' if stay == 1 else ''} at 100 %")
    if forced:
        s += f" ({forced} only because the plan's sample size reaches the lot size)"
    return s + "."


def decide(features: list[FeatureStats], insp: Inspection | None, settings: Settings,
           policy: Policy | None = None, gauges: Mapping[str, GaugeEvidence] | None = None) -> DecisionSummary:
    """Decide every characteristic and build the part-level inspection plan.

    Returns one :class:`~pilotqa.results.Decision` and one plan entry per characteristic (same
    order) and the one-line overall statement. See the module docstring for the rules and
    :mod:`pilotqa.decide.policy` for the defaults. Raises :class:`~pilotqa.errors.PolicyError`
    when ``settings.critical`` names a characteristic that is not in ``features``.
    """
    pol = policy or Policy()
    check_critical_names(settings, [fs.feature for fs in features])
    lot_size, note = resolve_lot_size(settings, pol, insp)
    gauges = gauges or {}
    decisions = tuple(decide_feature(fs, settings, pol, lot_size, note, gauges.get(fs.feature)) for fs in features)
    entries = tuple(_plan_entry(fs, d) for fs, d in zip(features, decisions))
    return DecisionSummary(decisions=decisions, inspection_plan=entries, overall=_overall(entries),
                           lot_size=lot_size, lot_size_source=note)
