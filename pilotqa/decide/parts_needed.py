"""Parts still needed: how many more parts would let a capability bound reach the requirement.

A characteristic kept at 100 % inspection because the lower confidence bound of its capability
index falls short of the requirement raises one question: *measure more parts, or fix the
process?* This module answers it per characteristic, with the same lower-bound formulas the
decision uses, assuming the point estimate and the spread of the data hold ("if the process
stays as measured"):

* **Normal data, individuals** — Bissell's bound of Ppk (:func:`pilotqa.stats.capability.bissell_ci`)

  .. math:: L(N) = \\hat P_{pk} - z_{(1+c)/2}\\sqrt{\\frac{1}{9N} + \\frac{\\hat P_{pk}^2}{2(N-1)}}

  The total N is the smallest N with :math:`L(N) \\ge R` (R = requirement). L increases with N
  towards :math:`\\hat P_{pk}`, so N exists exactly when :math:`\\hat P_{pk} > R`.
* **Normal data, rational subgroups** — the decision needs both bounds: Ppk as above with
  N = k·m parts (k subgroups of m) and Cpk with ν = the within-σ degrees of freedom, which grow
  in proportion to k (pooled Σ(nᵢ − 1), R̄ 0.9·k(m − 1), S̄ f·k(m − 1)):
  :math:`\\nu(k) = \\nu_{now}\\,k/k_{now}`. The answer is counted in subgroups.
* **Fitted non-normal model** — the delta-method interval of the percentile Ppk
  (:func:`pilotqa.stats.distributions.percentile_ppk_interval`) has a half-width
  :math:`z\\,\\widehat{se}` with :math:`\\widehat{se} \\propto 1/\\sqrt N` (large-sample theory of
  ML estimates), so with :math:`h = \\hat P - L` at the current n:
  :math:`N = n\\,(h / (\\hat P - R))^2`. The decision takes the lowest bound among the plausible
  models (ΔAIC within the policy's window), so the total is the largest N among them, and no
  N exists when any plausible model's point estimate is at or below R.

**A median-type estimate.** N is where the bound *would* reach R if the point estimate stayed as
it is. The next parts scatter the estimate around the true value, so pilots that add the
stated number of parts reach the bound in roughly half of the runs when the estimate is right
(docs/decision-quality.md measures it); it is a planning figure, not a guarantee.

**Not reachable.** When the point estimate is at or below the requirement, no number of parts
from the same process releases the characteristic; :func:`what_would_reach` then says what would
reach it at the current n: the point estimate C* whose bound equals R, the centring shift of
the mean (units and % of tolerance) if centring alone suffices, and the σ reduction in % (at
the current mean, and after centring).

References: Bissell, A. F. (1990), "How reliable is your capability index?", Appl. Statist.
39(3), 331–340; Montgomery, *Introduction to Statistical Quality Control* 8th ed., §8.3.5;
Casella & Berger (2002), *Statistical Inference* 2nd ed., §5.5.4 (delta method, se ∝ 1/√n);
Meeker & Escobar (1998), *Statistical Methods for Reliability Data*, ch. 8 (planning sample
sizes from the large-sample standard error).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from pilotqa.results import PartsNeeded  # the typed result (defined upstream, read by the report)

if TYPE_CHECKING:  # typed results of the lead's pipeline; only read here
    from pilotqa.decide.policy import Policy
    from pilotqa.results import Decision, FeatureStats

__all__ = [
    "PartsNeeded",
    "bissell_lower_at",
    "required_point_estimate",
    "normal_parts_needed",
    "subgroup_parts_needed",
    "model_parts_needed",
    "what_would_reach",
    "parts_needed_for",
    "MAX_PARTS",
]

#: Search limit: beyond this many parts (or subgroups) the answer is reported as not reachable in
#: practice (the estimate is barely above the requirement).
MAX_PARTS: int = 1_000_000


@lru_cache(maxsize=64)
def _z(confidence: float) -> float:
    """z = Φ⁻¹((1 + confidence)/2) (cached: the searches below evaluate the bound thousands of times)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf((1.0 + confidence) / 2.0)


def bissell_lower_at(index: float, n: float, nu: float, confidence: float = 0.95) -> float:
    """Bissell's lower bound :math:`\\hat C - z\\sqrt{1/(9n) + \\hat C^2/(2\\nu)}` (the decision's)."""
    return float(index) - _z(confidence) * math.sqrt(1.0 / (9.0 * n) + float(index) ** 2 / (2.0 * nu))


def _smallest(ok: Any, start: int) -> int | None:
    """Smallest integer ≥ start with ok(i) (ok monotone: False … False True …), or None ≤ MAX_PARTS."""
    if ok(start):
        return start
    hi = max(start + 1, 2 * start)
    while not ok(hi):
        if hi >= MAX_PARTS:
            return None
        hi = min(MAX_PARTS, hi * 2)
    lo = hi // 2 if hi // 2 >= start else start
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def required_point_estimate(requirement: float, n: float, nu: float, confidence: float = 0.95) -> float:
    """The index estimate whose Bissell lower bound equals ``requirement`` at this n and ν.

    The bound increases with the estimate for ν > z²/2 (ν ≥ 2 at 95 %), so bisection finds it.

    >>> round(required_point_estimate(1.33, 30, 29), 3)
    1.811
    """
    lo, hi = float(requirement), float(requirement) + 1.0
    while bissell_lower_at(hi, n, nu, confidence) < requirement:
        hi += max(1.0, hi)
        if hi > 1e6:  # pragma: no cover - ν too small for the bound to be increasing
            raise ValueError(f"no estimate reaches {requirement} at n = {n}, ν = {nu}")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid == lo or mid == hi:  # lo and hi are adjacent floats: no further step changes either
            break
        if bissell_lower_at(mid, n, nu, confidence) >= requirement:
            hi = mid
        else:
            lo = mid
    return hi


def normal_parts_needed(ppk: float, n: int, requirement: float, confidence: float = 0.95) -> int | None:
    """Total parts N (≥ n) at which Bissell's lower bound of Ppk (ν = N − 1) reaches the
    requirement if the estimate holds; None when the estimate is at or below the requirement
    (or N would exceed :data:`MAX_PARTS`).

    >>> normal_parts_needed(1.49, 59, 1.33)   # a shop file's "Length 45": 185 in total, 126 more
    185
    """
    if ppk is None or not math.isfinite(ppk) or ppk <= requirement:
        return None
    return _smallest(lambda m: bissell_lower_at(ppk, m, m - 1, confidence) >= requirement, max(int(n), 3))


def subgroup_parts_needed(ppk: float, cpk: float | None, n: int, n_subgroups: int, df_within: float | None,
                          requirement: float, confidence: float = 0.95) -> int | None:
    """Total number of subgroups k at which both bounds — Ppk (N = k·m parts, ν = N − 1) and Cpk
    (ν = df_within·k/k_now) — reach the requirement; None when either estimate is at or below it.

    m = n / n_subgroups (the mean subgroup size).
    """
    if n_subgroups is None or n_subgroups < 1:
        raise ValueError("subgroup_parts_needed needs the number of subgroups")
    m = n / n_subgroups
    need_c = cpk is not None and df_within is not None and df_within > 0
    if ppk is None or not math.isfinite(ppk) or ppk <= requirement:
        return None
    if need_c and (not math.isfinite(float(cpk)) or float(cpk) <= requirement):  # type: ignore[arg-type]
        return None

    def ok(k: int) -> bool:
        big_n = k * m
        if big_n < 3 or bissell_lower_at(ppk, big_n, big_n - 1, confidence) < requirement:
            return False
        if need_c:
            nu = float(df_within) * k / n_subgroups  # type: ignore[arg-type]
            return nu > 0 and bissell_lower_at(float(cpk), big_n, nu, confidence) >= requirement  # type: ignore[arg-type]
        return True

    return _smallest(ok, int(n_subgroups))


def model_parts_needed(models: Sequence[tuple[str, float | None, float | None]], n: int,
                       requirement: float) -> tuple[int | None, str | None]:
    """Total parts for fitted non-normal models (delta-method bounds, half-width ∝ 1/√N).

    ``models`` = (name, Ppk estimate, lower bound) of every plausible model (the decision takes the
    lowest bound among them). Returns (N, None), or (None, name of a model whose estimate is at or
    below the requirement, or whose bound is missing).
    """
    worst = 0
    for name, p, lo in models:
        if p is None or lo is None or not math.isfinite(p) or not math.isfinite(lo):
            return None, name
        if p <= requirement:
            return None, name
        h = p - lo
        need = int(n) if h <= 0 else math.ceil(n * (h / (p - requirement)) ** 2 - 1e-9)
        worst = max(worst, need, int(n))
    if worst > MAX_PARTS:
        return None, None
    return worst, None


def what_would_reach(index: str, point: float, sigma: float | None, mean: float | None,
                     lsl: float | None, usl: float | None, requirement: float, n: float, nu: float,
                     confidence: float = 0.95) -> dict[str, Any]:
    """What would let the bound of a normal-theory index (Cpk/Ppk) reach the requirement at the
    current n: the required point estimate C* and the centring shift or σ reduction that gives it.

    Cpk = d/(3σ) with d the distance of the mean to the nearer limit, so C* needs d* = 3σC*: the
    mean moves by d* − d toward the centre (both limits; enough if C* ≤ Cp) or away from the one
    limit; or σ shrinks to d/(3C*) (reduction 1 − Ĉ/C*), or after centring to (U − L)/(6C*).
    """
    c_star = required_point_estimate(requirement, n, nu, confidence)
    out: dict[str, Any] = {"index": index, "point_estimate": point, "required_point_estimate": c_star,
                           "centring_shift": None, "centring_shift_pct_tolerance": None,
                           "centring_sufficient": None, "sigma_reduction_pct": None,
                           "sigma_reduction_pct_if_centred": None}
    if sigma is None or not sigma > 0 or mean is None:
        return out
    both = lsl is not None and usl is not None
    shift = 3.0 * sigma * (c_star - point)
    out["centring_shift"] = shift
    out["sigma_reduction_pct"] = 100.0 * (1.0 - point / c_star) if point > 0 else 100.0
    if both:
        tol = float(usl) - float(lsl)  # type: ignore[arg-type]
        cp = tol / (6.0 * sigma)
        out["centring_shift_pct_tolerance"] = 100.0 * shift / tol
        out["centring_sufficient"] = bool(c_star <= cp)
        out["sigma_reduction_pct_if_centred"] = max(0.0, 100.0 * (1.0 - cp / c_star))
    else:
        out["centring_sufficient"] = True
    return out


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _unreachable_text(w: Mapping[str, Any], requirement: float, unit: str, n: int, both: bool) -> str:
    head = (f"More parts from the same process cannot release it: the {w['index']} estimate "
            f"{w['point_estimate']:.2f} is at or below the requirement {requirement:.2f}; at n = {n} the bound "
            f"reaches it with an estimate of {w['required_point_estimate']:.2f}")
    red = w.get("sigma_reduction_pct")
    if w.get("centring_shift") is None:  # fitted model: no location shift to offer
        return head + (f", i.e. about {red:.0f} % less spread." if red is not None else ".")
    toward = "toward the centre of the tolerance" if both else "away from the limit"
    pct = w.get("centring_shift_pct_tolerance")
    move = (f"move the mean {_fmt(abs(w['centring_shift']))}{unit} {toward}"
            + (f" ({abs(pct):.1f} % of the tolerance)" if pct is not None else ""))
    if w.get("centring_sufficient"):
        return head + f": {move}, or reduce σ by {red:.0f} % at the current mean."
    cen = w.get("sigma_reduction_pct_if_centred")
    return (head + f": reduce σ by {red:.0f} % at the current mean"
            + (f", or by {cen:.0f} % once the mean is centred (centring alone is not enough)" if cen is not None else "")
            + ".")


def _combine(ws: list[dict[str, Any]]) -> dict[str, Any]:
    """Binding requirements of several indices (Cpk and Ppk share the mean): the largest shift and
    reduction; centring suffices only when it does for every index."""
    if len(ws) == 1:
        return ws[0]
    main = max(ws, key=lambda w: (w["required_point_estimate"] - w["point_estimate"]))
    out = dict(main)
    shifts = [w["centring_shift"] for w in ws if w["centring_shift"] is not None]
    if shifts:
        out["centring_shift"] = max(shifts)
        pcts = [w["centring_shift_pct_tolerance"] for w in ws if w["centring_shift_pct_tolerance"] is not None]
        out["centring_shift_pct_tolerance"] = max(pcts) if pcts else None
        out["centring_sufficient"] = all(bool(w["centring_sufficient"]) for w in ws)
    reds = [w["sigma_reduction_pct"] for w in ws if w["sigma_reduction_pct"] is not None]
    out["sigma_reduction_pct"] = max(reds) if reds else None
    cen = [w["sigma_reduction_pct_if_centred"] for w in ws if w["sigma_reduction_pct_if_centred"] is not None]
    out["sigma_reduction_pct_if_centred"] = max(cen) if cen else None
    out["indices"] = [w["index"] for w in ws]
    return out


# ----------------------------------------------------------------------------- adapter
def _other_blockers(fs: "FeatureStats", decision: "Decision", policy: "Policy | None") -> list[str]:
    ev = decision.evidence
    out: list[str] = []
    if ev.n_out_of_spec > (policy.requirements.max_out_of_spec if policy is not None else 0):
        out.append(f"{ev.n_out_of_spec} part(s) out of tolerance")
    if ev.stable is False and ev.stability_accepted is False:
        out.append("run-rule signals beyond chance (not stable)")
    elif ev.stable is None and (policy is None or policy.requirements.stable):
        out.append("stability could not be judged")
    if ev.drift_significant and ev.drift_practically_relevant is not False:
        out.append("a relevant drift")
    if ev.lot_effect_significant and ev.lot_effect_practically_relevant is not False:
        out.append("a relevant lot effect")
    if ev.resolution_adequate is False:
        out.append("inadequate gauge resolution")
    if policy is not None and ev.lots < policy.evidence.min_lots and not policy.rule(ev.class_).allow_single_lot:
        out.append(f"only {ev.lots} lot(s): another lot is needed, not more parts of this one")
    return out


def parts_needed_for(fs: "FeatureStats", decision: "Decision", policy: "Policy | None" = None,
                     window: float | None = None) -> PartsNeeded | None:
    """Parts still needed for one decided characteristic (typed results of the pipeline).

    None unless the verdict is ``keep_100``. Kept for other reasons than the capability bound
    (out-of-tolerance parts, instability, drift, lot effect, resolution, a single lot): not
    reachable by more parts, with the reasons. Kept for the bound: :func:`normal_parts_needed`,
    :func:`subgroup_parts_needed` or :func:`model_parts_needed` with the decision's own inputs
    (``window`` = the policy's ``requirements.non_normal_aic_window``, default 6), and
    :func:`what_would_reach` when the estimate is at or below the requirement. Too few parts for
    the evidence rule (``evidence.min_parts``) raises the total to that minimum.
    """
    if decision.verdict != "keep_100":
        return None
    ev = decision.evidence
    req = float(ev.required)
    conf = float(ev.confidence)
    win = window if window is not None else (policy.requirements.non_normal_aic_window if policy is not None else 6.0)
    blockers = _other_blockers(fs, decision, policy)
    lb = ev.lower_bound
    bound_short = lb is None or lb < req
    unit = " " + fs.unit if fs.unit else ""
    if blockers:
        return PartsNeeded(total=None, additional=None, reachable=False,
                           basis=("kept at 100 % for " + "; ".join(blockers) + ": more parts alone will not "
                                  "release it — remove the cause, then measure a new pilot"),
                           if_unreachable={"reasons": blockers, "capability_bound_short": bool(bound_short)})
    min_parts = policy.evidence.min_parts if policy is not None else 0
    if not bound_short:
        # kept only for too little evidence
        least = max(ev.n, min_parts)
        return PartsNeeded(total=least, additional=least - ev.n, reachable=True,
                           basis=f"the evidence rule needs at least {min_parts} parts; the capability bound already "
                                 "reaches the requirement")
    n = int(ev.n)
    both = fs.lsl is not None and fs.usl is not None
    if ev.normal is False:
        cm = fs.capability_model
        if cm is None:
            return PartsNeeded(None, None, False, "no fitted model: the bound cannot be projected")
        alts = list(cm.alternatives)
        plaus = [a for a in alts if a.aic_delta is not None and a.aic_delta <= win + 1e-9] if alts else []
        models = ([(a.distribution, a.ppk, a.ppk_ci[0] if a.ppk_ci else None) for a in plaus] if plaus
                  else [(cm.distribution, cm.ppk, cm.ppk_ci[0] if cm.ppk_ci else None)])
        total, bad = model_parts_needed(models, n, req)
        basis = (f"delta-method bound of the percentile Ppk, half-width ∝ 1/√N, N = n·(h/(P̂ − R))² for each of "
                 f"the {len(models)} plausible model(s) (ΔAIC ≤ {win:g}), the largest; requirement {req:.2f}, "
                 f"{conf * 100:g} % two-sided interval; assumes the estimates hold (median-type figure)")
        if total is not None:
            total = max(total, min_parts)
            return PartsNeeded(total=total, additional=total - n, reachable=True, basis=basis)
        m = next((x for x in models if x[0] == bad), models[0])
        p, lo = m[1], m[2]
        if p is None or lo is None:
            return PartsNeeded(None, None, False, f"the {bad} model has no interval: the bound cannot be projected")
        r_star = req + (p - lo)  # half-width held at the current n
        w = {"index": f"Ppk ({bad})", "point_estimate": p, "required_point_estimate": r_star,
             "centring_shift": None, "centring_shift_pct_tolerance": None, "centring_sufficient": None,
             "sigma_reduction_pct": 100.0 * (1.0 - p / r_star) if p > 0 else 100.0,
             "sigma_reduction_pct_if_centred": None}
        w["text"] = _unreachable_text(w, req, unit, n, both)
        return PartsNeeded(None, None, False, basis + f"; not reachable: the {bad} estimate {p:.2f} ≤ {req:.2f}",
                           if_unreachable=w)
    # normal theory
    ppk = ev.ppk
    if ppk is None:
        return PartsNeeded(None, None, False, "no Ppk estimate: the bound cannot be projected")
    if ev.subgroups and ev.n_subgroups:
        k_now = int(ev.n_subgroups)
        m_size = fs.subgroup_size or max(1, round(n / k_now))
        cpk = ev.cpk
        k_tot = subgroup_parts_needed(ppk, cpk, n, k_now, fs.df_within, req, conf)
        basis = (f"Bissell bounds of Ppk (ν = N − 1) and Cpk (ν = within-σ degrees of freedom, ∝ subgroups) with "
                 f"N = subgroups × {m_size}; requirement {req:.2f}, {conf * 100:g} % two-sided interval; assumes the "
                 "estimates hold (median-type figure)")
        if k_tot is not None:
            k_tot = max(k_tot, math.ceil(min_parts / m_size) if min_parts else k_tot)
            return PartsNeeded(total=k_tot, additional=k_tot - k_now, reachable=True, basis=basis,
                               unit="subgroups", subgroup_size=int(m_size))
        ws = []
        if ppk <= req:
            ws.append(what_would_reach("Ppk", ppk, fs.sigma_overall, fs.mean, fs.lsl, fs.usl, req, n, n - 1, conf))
        if cpk is not None and fs.df_within and cpk <= req:
            ws.append(what_would_reach("Cpk", cpk, fs.sigma_within, fs.mean, fs.lsl, fs.usl, req, n,
                                       float(fs.df_within), conf))
        if not ws:  # beyond MAX_PARTS
            return PartsNeeded(None, None, False, basis + "; more than a million subgroups: not reachable in practice",
                               unit="subgroups", subgroup_size=int(m_size))
        w = _combine(ws)
        w["text"] = _unreachable_text(w, req, unit, n, both)
        return PartsNeeded(None, None, False, basis, if_unreachable=w, unit="subgroups", subgroup_size=int(m_size))
    total = normal_parts_needed(ppk, n, req, conf)
    basis = (f"Bissell bound of Ppk, ν = N − 1: smallest N with P̂pk − z·√(1/(9N) + P̂pk²/(2(N − 1))) ≥ {req:.2f}, "
             f"{conf * 100:g} % two-sided interval; assumes the estimate holds (median-type figure)")
    if total is not None:
        total = max(total, min_parts)
        return PartsNeeded(total=total, additional=total - n, reachable=True, basis=basis)
    if ppk > req:
        return PartsNeeded(None, None, False, basis + "; more than a million parts: not reachable in practice")
    w = what_would_reach("Ppk", ppk, fs.sigma_overall, fs.mean, fs.lsl, fs.usl, req, n, n - 1, conf)
    w["text"] = _unreachable_text(w, req, unit, n, both)
    return PartsNeeded(None, None, False, basis, if_unreachable=w)
