"""Before/after comparison of two pilot runs: the ``pilotqa.comparison/1`` document.

:func:`compare` analyses each side with :func:`pilotqa.analysis.analyze` (same settings and
policy, so each side's verdict is exactly what ``pilotqa analyze`` would say), then compares the
readings of every characteristic present on both sides with its own statistics
(:mod:`pilotqa.compare.stats`, computed from the measurement frames and specs, not from the
analysis documents). It does no file I/O.

How ``change`` is decided
-------------------------
Two tests per characteristic: the change in mean (Welch's t) and the change in spread
(Brown–Forsythe, robust to the skewed and bounded characteristics a pilot has). Their p-values,
over all characteristics compared, are adjusted by Holm's method, so the chance that *any*
characteristic of an unchanged process is called changed is at most α (``settings.alpha``,
0.05); the raw p-values are reported too (``mean_p``, ``sigma_p``). ``change`` is ``no_change``
unless at least one adjusted p-value is below α. Its direction is the direction of the
significant effects on capability:

* spread: σ after < σ before is better;
* mean: better when the distance from the mean to the nearest specification limit grew
  (centring for a two-sided tolerance; lower for an upper-only limit, higher for a lower-only);
* when a significant spread change and a significant mean change point in opposite directions,
  the sign of the Ppk change (after − before) decides.

``improved`` or ``worse`` follows. The Ppk of each side (normal theory, with Bissell's interval)
and the interval of their difference (delta method, :func:`pilotqa.compare.stats.ppk_change`)
are reported but do not decide on their own: the Ppk difference is far noisier than the two
tests it is made of. The verdict of each side comes from its own analysis.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from pilotqa.compare.stats import SampleComparison, compare_samples, holm
from pilotqa.errors import InputError
from pilotqa.model import Inspection
from pilotqa.settings import Settings
from pilotqa.util import json_safe

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult
    from pilotqa.decide.policy import Policy

__all__ = ["SCHEMA_ID", "AnalysisView", "analysis_view", "ComparisonResult", "compare",
           "feature_entry", "decide_changes",
           "VERDICT_TEXT", "MULTIPLICITY", "PPK_INTERVAL"]

SCHEMA_ID = "pilotqa.comparison/1"

#: Verdicts in words, as the conclusions write them.
VERDICT_TEXT: dict[str, str] = {
    "keep_100": "keep 100 %",
    "attributes_plan": "attributes plan",
    "variables_plan": "variables plan",
    "reduced_audit": "reduced audit",
}
MULTIPLICITY = "holm"
PPK_INTERVAL = ("delta method: Bissell variance 1/(9n) + Ppk^2/(2(n-1)) of each side, "
                "independent samples, variances added")


# ----------------------------------------------------------------- the one accessor
@dataclass(frozen=True)
class AnalysisView:
    """What the comparison takes from one side's analysis of a characteristic."""

    verdict: str | None
    class_: str | None
    ppk: float | None
    ppk_ci: tuple[float, float] | None
    decision_basis: str | None
    distribution: str | None


def analysis_view(fr: Any) -> AnalysisView:
    """The verdict, class, Ppk and decision basis of one analysed characteristic.

    The only place that reads an analysis's per-characteristic result
    (:class:`pilotqa.results.FeatureResult`): when its shape changes, only this function does.
    """
    st = fr.stats
    ci = st.ppk_ci
    model = st.capability_model
    return AnalysisView(
        verdict=fr.verdict,
        class_=fr.class_,
        ppk=st.ppk,
        ppk_ci=(ci[0], ci[1]) if ci is not None and None not in ci else None,
        decision_basis=fr.decision.evidence.decision_basis,
        distribution=model.distribution if model is not None else None,
    )


# ----------------------------------------------------------------- result
@dataclass
class ComparisonResult:
    """Both analyses, the readings each comparison used, and the document."""

    before: "AnalysisResult"
    after: "AnalysisResult"
    settings: Settings
    generated_at: datetime
    document: dict[str, Any] = field(default_factory=dict)
    #: feature -> (before readings, after readings) in time order (the report plots them)
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def _specs(insp: Inspection) -> dict[str, dict[str, Any]]:
    return {r["feature"]: r for r in insp.specs.iter_rows(named=True)}


def _values(insp: Inspection) -> dict[str, np.ndarray]:
    m = insp.measurements.filter(pl.col("value").is_not_null()).sort("sequence")
    return {str(k[0]): g["value"].to_numpy().astype(float)
            for k, g in m.group_by("feature", maintain_order=True)}


def _fnum(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _tolerance(spec: dict[str, Any]) -> float | None:
    """USL − LSL; one-sided: |limit − nominal| (|limit| without a usable nominal)."""
    lsl, usl, nom = _fnum(spec.get("lsl")), _fnum(spec.get("usl")), _fnum(spec.get("nominal"))
    if lsl is not None and usl is not None:
        return usl - lsl if usl > lsl else None
    lim = usl if usl is not None else lsl
    if lim is None:
        return None
    t = abs(lim - nom) if nom is not None else 0.0
    t = t or abs(lim)
    return t or None


def _headroom(mean: float | None, spec: dict[str, Any]) -> float | None:
    """Distance from the mean to the nearest limit (negative outside)."""
    if mean is None:
        return None
    lsl, usl = _fnum(spec.get("lsl")), _fnum(spec.get("usl"))
    d = [x for x in ((usl - mean) if usl is not None else None,
                     (mean - lsl) if lsl is not None else None) if x is not None]
    return min(d) if d else None


def _p_text(p: float | None, p_adj: float | None) -> str:
    """``p < 0.001``, or ``p = 0.036, adjusted 0.834`` when Holm's adjustment changes the text."""
    if p is None:
        return "p n/a"

    def f(x: float) -> str:
        return "< 0.001" if x < 0.001 else f"{x:.3f}"

    text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if p_adj is not None and f(p_adj) != f(p):
        text += f", adjusted {f(p_adj)}"
    return text


def _signed(x: float, fmt: str) -> str:
    s = format(x, fmt)
    return s.replace("-", "\u2212") if x < 0 else "+" + s


def _decimals(tol: float | None) -> int:
    if not tol or tol <= 0:
        return 4
    return int(min(7, max(2, math.ceil(-math.log10(tol / 1000.0)))))


def _side(res: "AnalysisResult") -> dict[str, Any]:
    insp = res.inspection
    return {
        "files": [{"path": f.path, "sha256": f.sha256, "format": f.format} for f in insp.files],
        "layout": insp.layout,
        "parts": insp.n_parts,
        "lots": insp.lots,
        "features": len(insp.feature_names),
        "readings": insp.measurements.height,
        "metadata": dict(insp.metadata),
        "overall": res.overall,
        "notes": list(insp.notes),
    }


def _feature_entry(name: str, sb: dict[str, Any], sa: dict[str, Any], c: SampleComparison,
                   vb: AnalysisView, va: AnalysisView) -> dict[str, Any]:
    tol = _tolerance(sb)
    m, s, p = c.mean, c.spread, c.ppk

    def pct(x: float | None) -> float | None:
        return None if x is None or not tol else 100.0 * x / tol

    notes: list[str] = []
    if any(_fnum(sb.get(k)) != _fnum(sa.get(k)) for k in ("lsl", "usl", "nominal")):
        notes.append(
            f"the specification changed: before LSL {sb.get('lsl')}, USL {sb.get('usl')}, nominal "
            f"{sb.get('nominal')}; after LSL {sa.get('lsl')}, USL {sa.get('usl')}, nominal "
            f"{sa.get('nominal')} (each side's Ppk uses its own limits; % of tolerance uses "
            "the before tolerance)")
    if c.n_before < 2 or c.n_after < 2:
        notes.append(f"too few readings to compare (before {c.n_before}, after {c.n_after}; "
                     "at least 2 each)")
    for side, v in (("before", vb), ("after", va)):
        if v.decision_basis not in (None, "normal"):
            notes.append(f"the {side} verdict is based on a fitted {v.distribution or 'non-normal'} "
                         "model; the Ppk compared here is the normal-theory index")
    return {
        "feature": name,
        "unit": sb.get("unit") or sa.get("unit"),
        "class": vb.class_ or va.class_ or sb.get("class") or sa.get("class"),
        "nominal": _fnum(sb.get("nominal")),
        "lsl": _fnum(sb.get("lsl")),
        "usl": _fnum(sb.get("usl")),
        "tolerance": tol,
        "n_before": c.n_before,
        "n_after": c.n_after,
        "mean_before": c.mean_before,
        "mean_after": c.mean_after,
        "sigma_before": c.sd_before,
        "sigma_after": c.sd_after,
        "mean_diff": m.diff,
        "mean_diff_ci": None if m.ci_low is None else [m.ci_low, m.ci_high],
        "mean_diff_pct_tolerance": pct(m.diff),
        "mean_diff_ci_pct_tolerance": None if m.ci_low is None or not tol
        else [pct(m.ci_low), pct(m.ci_high)],
        "mean_t": m.t,
        "mean_df": m.df,
        "mean_p": m.p,
        "mean_p_adjusted": None,
        "sigma_ratio": s.ratio,
        "sigma_ratio_ci": None if s.ci_low is None else [s.ci_low, s.ci_high],
        "sigma_change_pct": None if s.ratio is None else 100.0 * (s.ratio - 1.0),
        "sigma_test": "brown_forsythe",
        "sigma_statistic": c.bf_statistic,
        "sigma_p": c.bf_p,
        "sigma_p_adjusted": None,
        "f_statistic": s.f,
        "f_p": s.f_p,
        "ppk_before": p.before,
        "ppk_before_ci": None if p.before_ci is None else list(p.before_ci),
        "ppk_after": p.after,
        "ppk_after_ci": None if p.after_ci is None else list(p.after_ci),
        "ppk_diff": p.diff,
        "ppk_diff_ci": None if p.diff_ci is None else list(p.diff_ci),
        "verdict_before": vb.verdict,
        "verdict_after": va.verdict,
        "decision_basis_before": vb.decision_basis,
        "decision_basis_after": va.decision_basis,
        "mean_significant": False,
        "sigma_significant": False,
        "change": "no_change",
        "conclusion": "",
        "notes": notes,
    }


def _decide(e: dict[str, Any], sb: dict[str, Any], alpha: float) -> None:
    """Set ``mean_significant``, ``sigma_significant``, ``change`` and ``conclusion`` of an entry."""
    pm, ps = e["mean_p_adjusted"], e["sigma_p_adjusted"]
    e["mean_significant"] = sig_m = pm is not None and pm < alpha
    e["sigma_significant"] = sig_s = ps is not None and ps < alpha
    signs: list[int] = []
    if sig_s and e["sigma_ratio"] is not None:
        signs.append(1 if e["sigma_ratio"] < 1.0 else -1)
    if sig_m:
        hb, ha = _headroom(e["mean_before"], sb), _headroom(e["mean_after"], sb)
        if hb is not None and ha is not None and ha != hb:
            signs.append(1 if ha > hb else -1)
    direction = 0
    if signs and all(x == signs[0] for x in signs):
        direction = signs[0]
    elif signs and e["ppk_diff"]:
        direction = 1 if e["ppk_diff"] > 0 else -1
    if (sig_m or sig_s) and direction == 0:
        e["notes"].append("a significant change whose effect on capability has no direction "
                          "(no specification limit to measure it against); reported as no_change")
    e["change"] = "improved" if direction > 0 else "worse" if direction < 0 else "no_change"

    unit = e["unit"] or ""
    dec = _decimals(e["tolerance"])
    parts: list[str] = []
    if e["sigma_change_pct"] is not None:
        parts.append(f"σ {_signed(e['sigma_change_pct'], '.0f')} % ({_p_text(e['sigma_p'], ps)})")
    if e["mean_diff"] is not None:
        t = f"mean {_signed(e['mean_diff'], f'.{dec}f')}{(' ' + unit) if unit else ''}"
        if e["mean_diff_pct_tolerance"] is not None:
            t += f" = {_signed(e['mean_diff_pct_tolerance'], '.1f')} % of tolerance"
        parts.append(f"{t} ({_p_text(e['mean_p'], pm)})")
    if e["change"] != "no_change":
        # lead with what changed significantly
        parts = ([x for x in parts if (x.startswith("σ") and sig_s) or (x.startswith("mean") and sig_m)]
                 or parts)
    vb, va = e["verdict_before"], e["verdict_after"]
    vbt, vat = VERDICT_TEXT.get(vb or "", vb or "n/a"), VERDICT_TEXT.get(va or "", va or "n/a")
    verdict = f"verdict {vbt} → {vat}" if vb != va else f"verdict {vbt} (unchanged)"
    head = {"improved": "improved", "worse": "worse", "no_change": "no change"}[e["change"]]
    e["conclusion"] = f"{head}: " + ", ".join(parts + [verdict])
    ci = e["ppk_diff_ci"]
    if e["change"] == "no_change" and ci is not None and (ci[0] > 0 or ci[1] < 0):
        e["notes"].append("the interval of the Ppk change excludes 0, but it is one of many "
                          "unadjusted intervals and neither the mean nor the spread changed "
                          "significantly after Holm's adjustment; unchanged processes give such "
                          "an interval for about 1 characteristic in 20")
    if e["change"] == "no_change" and vb != va:
        e["notes"].append("the verdict changed although neither the mean nor the spread changed "
                          "significantly: the lower confidence bound of Ppk moved across the "
                          "requirement within sampling noise")


def feature_entry(name: str, spec_before: dict[str, Any], spec_after: dict[str, Any],
                  c: SampleComparison, view_before: AnalysisView | None = None,
                  view_after: AnalysisView | None = None) -> dict[str, Any]:
    """The document entry of one characteristic before :func:`decide_changes` completes it."""
    none_view = AnalysisView(None, None, None, None, None, None)
    return _feature_entry(name, spec_before, spec_after, c, view_before or none_view,
                          view_after or none_view)


def decide_changes(entries: list[dict[str, Any]], specs_before: dict[str, dict[str, Any]],
                   alpha: float) -> None:
    """Holm-adjust the 2 tests of every entry (over all entries) and set ``change``/``conclusion``.

    See the module docstring for the rule.
    """
    adjusted = holm([p for e in entries for p in (e["mean_p"], e["sigma_p"])])
    for i, e in enumerate(entries):
        e["mean_p_adjusted"], e["sigma_p_adjusted"] = adjusted[2 * i], adjusted[2 * i + 1]
        _decide(e, specs_before[e["feature"]], alpha)


def compare(
    before: Inspection,
    after: Inspection,
    settings: Settings | None = None,
    policy: "Policy | None" = None,
    *,
    generated_at: datetime | None = None,
) -> ComparisonResult:
    """Compare two pilot runs characteristic by characteristic.

    Parameters
    ----------
    before, after : the two runs as read by :func:`pilotqa.read.read` (each one or more inputs).
    settings, policy : used for both analyses (defaults as :func:`pilotqa.analysis.analyze`);
        ``settings.confidence`` is the level of every interval, ``settings.alpha`` the
        family-wise significance level of ``change``.

    Returns
    -------
    ComparisonResult whose ``document`` is the ``pilotqa.comparison/1`` JSON document
    (schema ``pilotqa/schema/comparison.schema.json``).

    Raises
    ------
    InputError
        when no characteristic is present on both sides.
    """
    from pilotqa import __version__
    from pilotqa.analysis import analyze
    from pilotqa.decide.policy import load_policy

    settings = settings or Settings()
    policy = policy or load_policy(None)
    names_b, names_a = before.feature_names, after.feature_names
    common = [n for n in names_b if n in set(names_a)]
    if not common:
        raise InputError(
            "BEFORE and AFTER have no characteristic in common (before: "
            f"{', '.join(names_b[:8]) or 'none'}; after: {', '.join(names_a[:8]) or 'none'})")
    unknown = sorted(set(settings.critical) - set(names_b) - set(names_a))
    if unknown:
        raise InputError(f"--critical names unknown characteristic(s): {', '.join(unknown)}; "
                         f"known: {', '.join(dict.fromkeys(names_b + names_a))}")

    def side_settings(names: list[str]) -> Settings:
        # a characteristic marked critical that exists on one side only is critical there
        return replace(settings, critical=tuple(c for c in settings.critical if c in set(names)))

    res_b = analyze(before, side_settings(names_b), policy)
    res_a = analyze(after, side_settings(names_a), policy)
    views_b = {fr.feature: analysis_view(fr) for fr in res_b.features}
    views_a = {fr.feature: analysis_view(fr) for fr in res_a.features}
    specs_b, specs_a = _specs(before), _specs(after)
    vals_b, vals_a = _values(before), _values(after)
    empty = np.array([], dtype=float)
    none_view = AnalysisView(None, None, None, None, None, None)

    entries: list[dict[str, Any]] = []
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in common:
        sb, sa = specs_b[name], specs_a[name]
        xb, xa = vals_b.get(name, empty), vals_a.get(name, empty)
        c = compare_samples(xb, xa, lsl_before=_fnum(sb["lsl"]), usl_before=_fnum(sb["usl"]),
                            lsl_after=_fnum(sa["lsl"]), usl_after=_fnum(sa["usl"]),
                            confidence=settings.confidence)
        entries.append(_feature_entry(name, sb, sa, c, views_b.get(name, none_view),
                                      views_a.get(name, none_view)))
        series[name] = (xb, xa)

    decide_changes(entries, specs_b, settings.alpha)

    only_before = [n for n in names_b if n not in set(names_a)]
    only_after = [n for n in names_a if n not in set(names_b)]
    by_change = {k: [e["feature"] for e in entries if e["change"] == k]
                 for k in ("improved", "worse", "no_change")}
    overall_parts = []
    for k, label in (("improved", "improved"), ("worse", "worse")):
        if by_change[k]:
            overall_parts.append(f"{label}: {', '.join(by_change[k])}")
    overall_parts.append(f"{len(by_change['no_change'])} of {len(entries)} without a significant "
                         "change")
    if only_before:
        overall_parts.append(f"only before: {', '.join(only_before)}")
    if only_after:
        overall_parts.append(f"only after: {', '.join(only_after)}")
    gen = generated_at or datetime.now(timezone.utc).replace(microsecond=0)
    bad: list[str] = []
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "pilotqa", "version": __version__},
        "generated_at": gen.isoformat(),
        "before": _side(res_b),
        "after": _side(res_a),
        "settings": {
            **settings.to_json(),
            "policy": policy.to_json(),
            "multiplicity": MULTIPLICITY,
            "mean_test": "welch",
            "sigma_test": "brown_forsythe",
            "ppk_interval": PPK_INTERVAL,
        },
        "overall": "; ".join(overall_parts),
        "summary": {**by_change, "only_before": only_before, "only_after": only_after},
        "features": entries,
    }
    document = json_safe(document, "$", bad)
    if bad:  # pragma: no cover - every number above is finite or None by construction
        raise RuntimeError("non-finite numbers in the comparison at " + ", ".join(bad[:10]))
    return ComparisonResult(before=res_b, after=res_a, settings=settings, generated_at=gen,
                            document=document, series=series)

