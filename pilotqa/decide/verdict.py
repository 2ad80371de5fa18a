"""Evidence → verdict: may a characteristic leave 100 % inspection, and which plan replaces it.

For each feature (``FeatureResult.doc`` filled by :mod:`pilotqa.stats`) :func:`decide` sets
``doc["decision"] = {"verdict", "plan", "reasons", "evidence"}``:

* ``keep_100`` — at least one policy condition fails; **every** failing condition is listed.
* ``reduced_audit`` — very capable (lower bound ≥ ``reduced_audit.min_lower_bound``), normal,
  stable, no significant drift or lot effect at all, ≥ ``evidence.min_lots`` lots.
* ``variables_plan`` — normal data: ANSI/ASQ Z1.9-2003 (or MIL-STD-414) s-method, Form 1.
* ``attributes_plan`` — non-normal (or undetermined) data: a variables plan assumes normality
  (Z1.9 §A7 "applicable only when the normality of the measurements is assured"), so an attributes
  plan is offered instead: Squeglia c = 0 or ANSI/ASQ Z1.4 n/Ac/Re per the class's policy.

Capability bound. For normal data the bound is the lower limit of ``ppk_ci`` (and ``cpk_ci``
with rational subgroups) from :mod:`pilotqa.stats` (Bissell 1990). For non-normal data Bissell's
interval is not valid (evaluated at the percentile index, its lower 97.5 % bound covered the
true index in only 80–88 % of simulated lognormal and Weibull pilot runs). Each fitted model
gets a delta-method interval on its ML fit
(:func:`pilotqa.stats.distributions.percentile_ppk_interval`; 96–98 % in the same simulation),
and the bound is the lowest lower limit among the models within the policy's
``requirements.non_normal_aic_window`` of the best (:func:`_model_bound`), because the data of a
pilot rarely single out one family. A non-normal feature never gets a variables plan or the
reduced audit: its plan (attributes) checks conformance directly and does not rely on the
fitted model. When the chosen model has no interval, the bound is "not available" and the
characteristic stays at 100 %.

References: AIAG PPAP 4th ed. §2.2.11; AIAG SPC 2nd ed.; Bissell, A. F. (1990) "How reliable is
your capability index?", Appl. Statist. 39(3); ISO 22514-2; ANSI/ASQ Z1.4-2003 / MIL-STD-105E;
ANSI/ASQ Z1.9-2003 / MIL-STD-414; Squeglia, Zero Acceptance Number Sampling Plans, 5th ed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from pilotqa.decide import tables
from pilotqa.decide.policy import CLASS_NAMES, Policy, decision_settings
from pilotqa.errors import InputError
from pilotqa.model import FeatureResult, Inspection
from pilotqa.util import finite_or_none as _num

__all__ = ["DecisionSummary", "decide", "bissell_lower", "resolve_lot_size", "VERDICTS"]

VERDICTS: tuple[str, ...] = ("keep_100", "variables_plan", "attributes_plan", "reduced_audit")


@dataclass
class DecisionSummary:
    """Part-level result: one inspection-plan entry per feature (spec order) and one line."""

    inspection_plan: list[dict[str, Any]]
    overall: str
    settings: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- helpers
def bissell_lower(index: float, n: int, confidence: float) -> float | None:
    """Lower limit of Bissell's two-sided interval for a Cpk/Ppk-type index.

    .. math:: L = \\hat C - z_{(1+c)/2}\\sqrt{1/(9n) + \\hat C^2/(2(n-1))}

    Bissell (1990), Appl. Statist. 39(3) 331–340; Montgomery 8th ed. §8.3.5. Returns None for
    n < 2 or a non-finite index.
    """
    if index is None or n is None or n < 2 or not math.isfinite(float(index)):
        return None
    z = NormalDist().inv_cdf((1.0 + confidence) / 2.0)
    return float(index) - z * math.sqrt(1.0 / (9.0 * n) + float(index) ** 2 / (2.0 * (n - 1)))


def _model_bound(cm: Any, window: float) -> tuple[float | None, str | None, list[str]]:
    """Decision bound of a fitted non-normal model: the lowest lower interval limit of the
    percentile Ppk among ``cm["alternatives"]`` within ``window`` AIC units of the best model.

    Returns (bound, model giving it, names of the plausible models). The bound is None when the
    chosen model has no interval. A plausible alternative without an interval is passed over.
    Why the minimum: a pilot rarely tells lognormal from gamma or Weibull, and their 99.865 %
    points differ. In simulated lognormal pilots (n = 50 and 125, docs/decision-quality.md) a
    characteristic exactly at the requirement was released in 13–19 % of runs with the chosen
    model alone, 7.5–8 % with ΔAIC ≤ 2 (the default; Burnham & Anderson 2002 §2.6: models within
    2 units have substantial support) and 3.5 % with ΔAIC ≤ 4, which costs much power.
    """
    if not isinstance(cm, dict):
        return None, None, []
    alts = [a for a in cm.get("alternatives") or [] if isinstance(a, dict)]
    if not alts:  # a document without alternatives: the chosen model's own interval
        lo = _lo(cm.get("ppk_ci"))
        return lo, (cm.get("distribution") if lo is not None else None), []
    plausible = [a for a in alts if _num(a.get("aic_delta")) is not None
                 and float(a["aic_delta"]) <= window + 1e-9]
    if not plausible or _lo(plausible[0].get("ppk_ci")) is None:
        return None, None, [str(a.get("distribution")) for a in plausible]
    lows = [(lo, str(a.get("distribution"))) for a in plausible
            if (lo := _lo(a.get("ppk_ci"))) is not None]
    lo, model = min(lows, key=lambda t: t[0])
    return lo, model, [str(a.get("distribution")) for a in plausible]


def _lo(ci: Any) -> float | None:
    if isinstance(ci, (list, tuple)) and ci:
        return _num(ci[0])
    return None


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


def resolve_lot_size(settings: Any, policy: Policy, insp: Inspection | None) -> tuple[int, str]:
    """Lot size for the plans and a sentence saying where it came from.

    ``--lot-size`` when given; else ``plans.default_lot_size`` of the policy when > 0; else the
    pilot's mean lot size (parts per lot, rounded, at least 2) — a pilot lot is usually smaller
    than a production lot, so the reason asks for ``--lot-size``.
    """
    if getattr(settings, "lot_size", None):
        return int(settings.lot_size), "given with --lot-size"
    if policy.plans.default_lot_size > 0:
        return policy.plans.default_lot_size, "policy plans.default_lot_size"
    parts, lots = 0, 1
    if insp is not None:
        try:
            parts = int(insp.n_parts)
            lots = max(1, len(insp.lots))
        except Exception:  # noqa: BLE001 - an inspection without the columns: fall back below
            parts, lots = 0, 1
    size = max(2, int(round(parts / lots))) if parts else 2
    return size, f"the pilot's mean lot size ({parts} parts in {lots} lot{'s' if lots != 1 else ''})"


def _feature_class(fr: FeatureResult, settings: Any, policy: Policy) -> tuple[str, str]:
    if fr.feature in tuple(getattr(settings, "critical", ()) or ()):
        return "critical", "marked critical on the command line (--critical)"
    c = fr.doc.get("class")
    if isinstance(c, str) and c.strip().lower() in CLASS_NAMES:
        return c.strip().lower(), "from the specification"
    return policy.default_class, f"no class in the export: policy default_class = {policy.default_class}"


def _is_normal(doc: dict[str, Any]) -> tuple[bool | None, str]:
    """Decision basis: True = normal theory, False = a fitted non-normal model, None = unknown."""
    cm = doc.get("capability_model") or {}
    basis = cm.get("decision_basis") if isinstance(cm, dict) else None
    norm = doc.get("normality") or {}
    flag = norm.get("normal") if isinstance(norm, dict) else None
    if isinstance(basis, str) and basis:
        b = basis.lower()
        if b.startswith("normal"):
            return True, basis
        return False, basis
    if flag is True:
        return True, "normal"
    if flag is False:
        return False, "non-normal"
    return None, "unknown"


def _unit(doc: dict[str, Any]) -> str:
    u = doc.get("unit")
    return f" {u}" if u else ""


#: Per-point false-alarm probability of each Nelson rule on the X̄/I chart of an in-control normal
#: process (the marginal probability that a given point signals): rule 1 2·(1 − Φ(3)); rule 2
#: 2·0.5⁹; rule 3 2/6!; rule 4 2·E₁₄/14! (E = Euler zigzag number); rule 5 2·[3p²(1−p) + p³],
#: p = 1 − Φ(2); rule 6 2·[5p⁴(1−p) + p⁵], p = 1 − Φ(1); rule 7 (2Φ(1) − 1)¹⁵; rule 8
#: (2(1 − Φ(1)))⁸. Nelson (1984) J. Qual. Technol. 16(4) 237–239 designed the tests to have
#: false-alarm rates of this order; Montgomery 8th ed. §5.3.6 warns that using several rules
#: together raises the overall false-alarm rate.
NELSON_FALSE_ALARM: dict[int, float] = {1: 0.0027, 2: 0.0039, 3: 0.0028, 4: 0.0046, 5: 0.0031,
                                        6: 0.0055, 7: 0.0033, 8: 0.0001}
#: Rule 1 on the range chart: MR (span 2) above D4·MR̄ = 3.686σ, P = 2(1 − Φ(3.686/√2)) ≈ 0.0092;
#: R of subgroups of 5 above D4·R̄ ≈ 0.0046 (approximation used for every subgroup chart).
RANGE_FALSE_ALARM: dict[str, float] = {"i-mr": 0.0092, "default": 0.0046}


def _poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(λ)."""
    if k <= 0:
        return 1.0
    term, cdf = math.exp(-lam), 0.0
    for i in range(k):
        cdf += term
        term *= lam / (i + 1)
    return max(0.0, 1.0 - cdf)


def stability_signals(stab: dict[str, Any], rules: tuple[int, ...], n_x: int, n_range: int) -> dict[str, Any]:
    """Are the run-rule signals more than an in-control process produces by chance?

    Expected number of signalling points under control: λ = N_x·Σ_r p_r + N_range·p_range
    (:data:`NELSON_FALSE_ALARM`, :data:`RANGE_FALSE_ALARM`); the observed count of (chart, rule,
    point) signals is compared with Poisson(λ), p = P(X ≥ observed). Runs make signals cluster
    (a long run flags several consecutive points), so this test errs on the side of calling a
    process unstable.
    """
    viol = [v for v in (stab.get("violations") or []) if isinstance(v, dict)]
    keys = {(v.get("chart"), v.get("rule"), v.get("index")) for v in viol}
    chart = str(stab.get("chart") or "")
    # the range chart contributes only when rule 1 is applied to it (not to an MR chart by default,
    # see pilotqa.stats.stability.RANGE_RULES_BY_CHART)
    range_rules = stab.get("range_rules")
    range_tested = 1 in (range_rules if range_rules is not None else [1])
    p_range = RANGE_FALSE_ALARM.get(chart, RANGE_FALSE_ALARM["default"]) if range_tested else 0.0
    lam = max(n_x, 0) * sum(NELSON_FALSE_ALARM.get(int(r), 0.0) for r in rules) + max(n_range, 0) * p_range
    k = len(keys)
    return {"signals": k, "expected": lam, "p_value": _poisson_sf(k, lam) if lam > 0 else (1.0 if k == 0 else 0.0),
            "rules_fired": sorted({int(v["rule"]) for v in viol if v.get("rule") is not None}),
            "points": sorted({int(v["index"]) for v in viol if v.get("index") is not None})}


# ----------------------------------------------------------------------------- one feature
def _evaluate(fr: FeatureResult, settings: Any, policy: Policy, lot_size: int,
              lot_size_note: str) -> dict[str, Any]:
    doc = fr.doc
    conf = float(getattr(settings, "confidence", 0.95))
    conf_txt = f"{conf * 100:g} %"
    cls, cls_source = _feature_class(fr, settings, policy)
    rule = policy.rule(cls)
    req = policy.requirements
    ev = policy.evidence
    fails: list[str] = []
    info: list[str] = []
    unit = _unit(doc)

    n = int(doc.get("n") or 0)
    n_sub = doc.get("n_subgroups")
    n_sub = int(n_sub) if isinstance(n_sub, (int, float)) and not isinstance(n_sub, bool) else None
    method = doc.get("sigma_within_method")
    has_sub = method in ("pooled", "rbar", "sbar")

    # 1. evidence quantity
    enough = n >= ev.min_parts or (has_sub and n_sub is not None and n_sub >= ev.min_subgroups)
    if not enough:
        sub_txt = f" in {n_sub} subgroups" if has_sub and n_sub is not None else ""
        fails.append(f"only {n} part{'' if n == 1 else 's'} measured{sub_txt}; at least {ev.min_parts} parts or "
                     f"{ev.min_subgroups} subgroups are required")

    # 2. parts out of tolerance
    oos = doc.get("n_out_of_spec")
    oos = int(oos) if isinstance(oos, (int, float)) and not isinstance(oos, bool) else 0
    if oos > req.max_out_of_spec:
        fails.append(f"{oos} of {n} pilot parts are out of tolerance; at most {req.max_out_of_spec} "
                     "allowed before leaving 100 % inspection")

    # 3. capability lower bound
    normal, basis = _is_normal(doc)
    cm = doc.get("capability_model") or {}
    bounds: dict[str, float | None] = {}
    point: dict[str, float | None] = {}
    bound_method: str
    bound_model: str | None = None
    if normal is False:
        dist = cm.get("distribution") if isinstance(cm, dict) else None
        # ISO 22514-2 percentile indices estimate total spread, so a fitted model has no Cpk
        # (Minitab's non-normal capability likewise): only the Ppk bound is required.
        point["Ppk"] = _num(cm.get("ppk")) if isinstance(cm, dict) else None
        bounds["Ppk"], bound_model, plausible = _model_bound(cm, req.non_normal_aic_window)
        window = f"{req.non_normal_aic_window:g}"
        bound_method = (f"lowest lower limit of the two-sided {conf_txt} delta-method intervals of the ISO "
                        f"22514-2 percentile-method Ppk among the fitted models within ΔAIC ≤ {window} of the "
                        f"best ({', '.join(plausible) or dist or 'none'}); here {bound_model or dist or 'none'} "
                        "(pilotqa.stats.distributions.percentile_ppk_interval)")
        label_extra = f" (percentile method, {dist or 'fitted model'}"
        if bound_model and bound_model != dist:
            label_extra += (f"; bound from {bound_model}, the most pessimistic of the {len(plausible)} models "
                            f"within ΔAIC ≤ {window}")
        label_extra += ")"
    else:
        bound_method = f"lower limit of the two-sided {conf_txt} Bissell interval (pilotqa.stats)"
        point["Ppk"], bounds["Ppk"] = _num(doc.get("ppk")), _lo(doc.get("ppk_ci"))
        if has_sub:
            point["Cpk"], bounds["Cpk"] = _num(doc.get("cpk")), _lo(doc.get("cpk_ci"))
        label_extra = ""
    for idx, lb in bounds.items():
        if lb is None:
            fails.append(f"{idx}{label_extra} lower {conf_txt} bound is not available (see the notes), "
                         f"so {idx} ≥ {_f2(rule.min_lower_bound)} cannot be shown for a {cls} characteristic")
        elif lb < rule.min_lower_bound:
            pt = point.get(idx)
            fails.append(f"{idx}{label_extra} lower {conf_txt} bound {_f2(lb)} < {_f2(rule.min_lower_bound)} "
                         f"required for a {cls} characteristic"
                         + (f" (point estimate {_f2(pt)}, n = {n})" if pt is not None else ""))
    lower_bound = min((b for b in bounds.values() if b is not None), default=None)

    # 4. stability
    stab = doc.get("stability") or {}
    stable = stab.get("stable") if isinstance(stab, dict) else None
    rules_on = tuple(getattr(settings, "rules", (1, 2, 3, 4)) or ())
    alpha = float(getattr(settings, "alpha", 0.05))
    sig: dict[str, Any] | None = None
    # what the decision concluded: True = stable (no signal, or signals at chance level),
    # False = not stable, None = not judged
    stability_accepted: bool | None = stable
    if isinstance(stab, dict) and stable is False:
        n_x = n_sub if has_sub and n_sub else n
        sig = stability_signals(stab, rules_on, n_x, n_x if has_sub else max(n - 1, 0))
    if req.stable:
        if stable is False and sig is not None:
            rl = sig["rules_fired"]
            pts = ", ".join(str(p) for p in sig["points"][:6]) + (" …" if len(sig["points"]) > 6 else "")
            what = (f"Nelson rule{'s' if len(rl) != 1 else ''} {', '.join(str(r) for r in rl)} fired "
                    f"{sig['signals']} time{'s' if sig['signals'] != 1 else ''} (point{'s' if len(sig['points']) != 1 else ''} "
                    f"{pts}) on the {stab.get('chart', 'control')} chart")
            chance = (f"an in-control process shows about {sig['expected']:.1f} such signals on {n} parts "
                      f"with rules {', '.join(str(r) for r in rules_on)} ({_p(sig['p_value'])})")
            if req.strict_stability or sig["p_value"] < alpha:
                fails.append(f"not stable: {what}; {chance}")
            else:
                stability_accepted = True
                info.append(f"{what} — no more than chance: {chance}; treated as stable, but look at these points")
        elif stable is None:
            fails.append("stability could not be judged (no control chart); a stable process is required")

    # 5. drift
    dr = doc.get("drift") or {}
    d_sig = dr.get("significant") if isinstance(dr, dict) else None
    d_pct = _num(dr.get("drift_pct_tolerance")) if isinstance(dr, dict) else None
    d_rel = dr.get("practically_relevant") if isinstance(dr, dict) else None
    if d_rel is None and d_pct is not None:
        d_rel = abs(d_pct) > float(getattr(settings, "drift_pct", 10.0))
    drift_flag = bool(d_sig) and d_rel is not False
    if isinstance(dr, dict) and d_sig:
        slope = _num(dr.get("slope"))
        txt = (f"drift {_g(slope) if slope is not None else 'n/a'}{unit}/part, {_p(_num(dr.get('p_value')))}"
               + (f", {_pct(abs(d_pct))} of tolerance over the run" if d_pct is not None else ""))
        ptl = _num(dr.get("parts_to_limit"))
        if ptl is not None:
            txt += f"; the ±3σ band reaches a limit in about {ptl:.0f} more parts"
        if drift_flag and req.no_drift:
            fails.append(txt + f" (significant and above the {getattr(settings, 'drift_pct', 10.0):g} % relevance limit)")
        elif not drift_flag:
            info.append(txt + " — significant but not practically relevant")

    # 6. lots
    lt = doc.get("lots") or {}
    k = lt.get("k") if isinstance(lt, dict) else None
    k = int(k) if isinstance(k, (int, float)) and not isinstance(k, bool) else 1
    l_sig = lt.get("significant") if isinstance(lt, dict) else None
    l_rel = lt.get("practically_relevant") if isinstance(lt, dict) else None
    l_pct = _num(lt.get("range_pct_tolerance")) if isinstance(lt, dict) else None
    if l_rel is None and l_pct is None and isinstance(lt, dict):
        lot_means = [_num(p.get("mean")) for p in lt.get("per_lot") or [] if isinstance(p, dict)]
        means = [m for m in lot_means if m is not None]
        lsl, usl = _num(doc.get("lsl")), _num(doc.get("usl"))
        if len(means) >= 2 and lsl is not None and usl is not None and usl > lsl:
            l_pct = (max(means) - min(means)) / (usl - lsl) * 100.0
    if l_rel is None and l_pct is not None:
        l_rel = l_pct > float(getattr(settings, "lot_effect_pct", 10.0))
    lot_flag = bool(l_sig) and l_rel is not False
    if k >= 2 and l_sig:
        p = _num(lt.get("anova_p")) if _num(lt.get("welch_p")) is None else _num(lt.get("welch_p"))
        share = _num(lt.get("between_lot_share"))
        txt = (f"lot effect across {k} lots, {_p(p)}"
               + (f", range of lot means {_pct(l_pct)} of tolerance" if l_pct is not None else "")
               + (f", between-lot share of variance {share * 100:.0f} %" if share is not None else ""))
        if lot_flag and req.no_lot_effect:
            fails.append(txt + f" (significant and above the {getattr(settings, 'lot_effect_pct', 10.0):g} % relevance limit)")
        elif not lot_flag:
            info.append(txt + " — significant but not practically relevant")
    single_lot = k < ev.min_lots
    if single_lot:
        if not rule.allow_single_lot:
            fails.append(f"only {k} lot{'s' if k != 1 else ''} in the pilot: lot-to-lot consistency cannot be "
                         f"shown, and a {cls} characteristic needs at least {ev.min_lots} lots")
        else:
            info.append(f"only {k} lot{'s' if k != 1 else ''} in the pilot: lot-to-lot consistency is not shown; "
                        "the plan is provisional — re-evaluate when the next lot has been measured")

    # 7. resolution
    res = doc.get("resolution") or {}
    adequate = res.get("adequate") if isinstance(res, dict) else None
    if req.resolution_adequate and adequate is False:
        step, pct, dv = _num(res.get("step")), _num(res.get("pct_tolerance")), res.get("distinct_values")
        fails.append("gauge resolution inadequate: "
                     + (f"step {_g(step)}{unit} = {_pct(pct)} of the tolerance (> 10 %)" if step is not None and pct is not None else "")
                     + (f"{'; ' if step is not None and pct is not None else ''}{dv} distinct values" if dv is not None else ""))
    elif adequate is None:
        info.append("gauge resolution could not be judged")

    evidence: dict[str, Any] = {
        "class": cls, "class_source": cls_source, "n": n, "n_subgroups": n_sub,
        "subgroups": has_sub, "sigma_within_method": method, "lots": k,
        "decision_basis": basis, "normal": normal,
        "ppk": point.get("Ppk"), "ppk_lower": bounds.get("Ppk"),
        "cpk": point.get("Cpk"), "cpk_lower": bounds.get("Cpk"),
        "lower_bound": lower_bound, "required": rule.min_lower_bound, "confidence": conf,
        "bound_method": bound_method, "bound_model": bound_model,
        "stable": stable, "stability_accepted": stability_accepted,
        "stability_signals": sig["signals"] if sig else 0,
        "stability_signals_expected": sig["expected"] if sig else None,
        "stability_signals_p": sig["p_value"] if sig else None, "drift_significant": d_sig,
        "drift_practically_relevant": d_rel, "drift_pct_tolerance": d_pct,
        "lot_effect_significant": l_sig, "lot_effect_practically_relevant": l_rel,
        "lot_means_range_pct_tolerance": l_pct, "resolution_adequate": adequate,
        "n_out_of_spec": oos, "lot_size": lot_size, "lot_size_source": lot_size_note,
        "aql": rule.aql,
    }
    evidence = {k_: (None if isinstance(v, float) and not math.isfinite(v) else v) for k_, v in evidence.items()}

    if fails:
        return {"verdict": "keep_100", "plan": None, "reasons": fails + info, "evidence": evidence}

    reasons: list[str] = []
    level = str(getattr(settings, "inspection_level", "II"))
    sev = policy.plans.severity
    lb_txt = ", ".join(f"{i}{label_extra} lower {conf_txt} bound {_f2(b)}" for i, b in bounds.items() if b is not None)
    ra = policy.reduced_audit
    ra_ok = (ra.enabled and normal is True and lower_bound is not None and lower_bound >= ra.min_lower_bound
             and stable is True and not d_sig and not (k >= 2 and l_sig) and not single_lot
             and adequate is True)
    if ra_ok:
        per_lot = ra.pieces_per_lot + math.ceil(lot_size / ra.periodic_every)
        mean, so = _num(doc.get("mean")), _num(doc.get("sigma_overall"))
        react = [mean - 3 * so, mean + 3 * so] if mean is not None and so is not None else None
        plan = {
            "method": "reduced_audit", "pieces_per_lot": ra.pieces_per_lot,
            "periodic_every": ra.periodic_every, "sample_size": min(per_lot, lot_size),
            "lot_size": lot_size, "reaction_limits": react,
            "rule_text": (f"Measure the first and the last part of every lot and one part every "
                          f"{ra.periodic_every} parts ({min(per_lot, lot_size)} parts per lot of {lot_size}); "
                          "every reading must lie inside the tolerance"
                          + (f" and inside the reaction limits {react[0]:.6g} … {react[1]:.6g}{unit} (pilot mean ± 3σ)" if react else "")
                          + "; one reading outside returns the characteristic to 100 % inspection until "
                          "the cause is found."),
        }
        reasons.append(f"{lb_txt} ≥ {_f2(ra.min_lower_bound)} (reduced-audit level), stable, no significant "
                       f"drift or lot effect across {k} lots: reduced audit")
        verdict = "reduced_audit"
    else:
        plan = None
        verdict = ""
        if normal is True:
            try:
                plan = tables.variables_plan(lot_size, rule.aql, level=level, severity=sev,
                                             standard=policy.plans.variables_standard)
                verdict = "variables_plan"
                reasons.append(f"{lb_txt} ≥ {_f2(rule.min_lower_bound)} required for a {cls} characteristic; "
                               "stable, no relevant drift or lot effect; readings consistent with a normal "
                               "distribution: variables plan")
            except InputError as exc:
                reasons.append(f"no variables plan ({exc}); attributes plan instead")
        if plan is None:
            if normal is not True:
                norm = doc.get("normality") or {}
                flag = norm.get("normal") if isinstance(norm, dict) else None
                adp = _num(norm.get("ad_p_value")) if isinstance(norm, dict) else None
                dist = cm.get("distribution") if isinstance(cm, dict) else None
                if flag is False:
                    why = ("the readings are not normally distributed (Anderson–Darling "
                           + (_p(adp) if adp is not None else "test")
                           + (f"; best fit {dist}" if dist else "") + ")")
                elif normal is False:
                    why = (f"the decision uses the fitted {dist or 'non-normal'} model (percentile method"
                           + ("; bounded at zero" if doc.get("lower_bound_zero") else "") + ")")
                else:
                    why = "normality could not be established"
                reasons.append(f"{lb_txt or 'capability'} ≥ {_f2(rule.min_lower_bound)} required for a {cls} "
                               f"characteristic, but {why}: a variables plan assumes normality, so an "
                               "attributes plan is used")
            methods = [rule.attributes_method] + [m for m in ("attributes", "c0") if m != rule.attributes_method]
            errors = []
            for m in methods:
                try:
                    plan = (tables.c0_plan(lot_size, rule.aql) if m == "c0"
                            else tables.attributes_plan(lot_size, rule.aql, level=level, severity=sev))
                    break
                except InputError as exc:
                    errors.append(str(exc))
            if plan is None:
                return {"verdict": "keep_100", "plan": None,
                        "reasons": ["no sampling plan available: " + "; ".join(errors)] + info,
                        "evidence": evidence}
            verdict = "attributes_plan"
        if ra.enabled and normal is True and lower_bound is not None and lower_bound >= ra.min_lower_bound:
            info.append("capable enough for the reduced audit, but it needs ≥ "
                        f"{ev.min_lots} lots, a stable process, no significant drift or lot effect and "
                        "adequate resolution")
    assert plan is not None  # internal invariant: every branch above sets a plan or returns
    if not getattr(settings, "lot_size", None):
        reasons.append(f"lot size not given (--lot-size): plan shown for lots of {lot_size} parts, {lot_size_note}")
    if plan.get("hundred_percent"):
        reasons.append(f"at a lot size of {lot_size} the plan's sample size reaches the lot size: "
                       "in effect 100 % inspection")
    return {"verdict": verdict, "plan": plan, "reasons": reasons + info, "evidence": evidence}


def _plan_entry(fr: FeatureResult, dec: dict[str, Any]) -> dict[str, Any]:
    plan = dec.get("plan") or {}
    verdict = dec["verdict"]
    cls = dec["evidence"]["class"]
    if verdict == "keep_100" or plan.get("hundred_percent"):
        return {"feature": fr.feature, "class": cls, "verdict": verdict, "method": "100%",
                "sample_size": None, "accept": None, "reject": None, "k": None,
                "frequency": "every part", "rule": plan.get("rule_text") or "Measure every part (100 % inspection)."}
    if verdict == "reduced_audit":
        return {"feature": fr.feature, "class": cls, "verdict": verdict, "method": "reduced_audit",
                "sample_size": plan["sample_size"], "accept": None, "reject": None, "k": None,
                "frequency": (f"first and last part of each lot + 1 every {plan['periodic_every']} parts"),
                "rule": plan["rule_text"]}
    return {"feature": fr.feature, "class": cls, "verdict": verdict, "method": plan["method"],
            "sample_size": plan["sample_size"], "accept": plan.get("accept"), "reject": plan.get("reject"),
            "k": plan.get("k"), "frequency": f"every lot of {plan['lot_size']}", "rule": plan["rule_text"]}


def _overall(plan: list[dict[str, Any]]) -> str:
    total = len(plan)
    if total == 0:
        return "No characteristics to decide."
    leave = [p for p in plan if p["method"] != "100%"]
    counts = {v: sum(1 for p in leave if p["verdict"] == v) for v in ("variables_plan", "attributes_plan", "reduced_audit")}
    names = {"variables_plan": "variables plan", "attributes_plan": "attributes plan", "reduced_audit": "reduced audit"}
    parts = [f"{c} {names[v]}" for v, c in counts.items() if c]
    stay = total - len(leave)
    forced = sum(1 for p in plan if p["verdict"] != "keep_100" and p["method"] == "100%")
    s = (f"{len(leave)} of {total} characteristic{'s' if total != 1 else ''} may leave 100 % inspection"
         + (f" ({', '.join(parts)})" if parts else "") + f"; {stay} stay{'s' if stay == 1 else ''} at 100 %")
    if forced:
        s += f" ({forced} only because the plan's sample size reaches the lot size)"
    return s + "."


def decide(features: list[FeatureResult], insp: Inspection | None, settings: Any,
           policy: Policy | None = None) -> DecisionSummary:
    """Decide every feature and build the part-level inspection plan.

    Sets ``fr.doc["decision"]`` on each feature; returns the inspection plan (one entry per
    feature, same order) and the one-line overall statement. See the module docstring for the
    rules and :mod:`pilotqa.decide.policy` for the defaults.
    """
    pol = policy or Policy()
    lot_size, note = resolve_lot_size(settings, pol, insp)
    entries: list[dict[str, Any]] = []
    for fr in features:
        dec = _evaluate(fr, settings, pol, lot_size, note)
        fr.doc["decision"] = dec
        entries.append(_plan_entry(fr, dec))
    src = "given with --lot-size" if getattr(settings, "lot_size", None) else note
    return DecisionSummary(inspection_plan=entries, overall=_overall(entries),
                           settings=decision_settings(pol, settings, lot_size, src))
