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
from dataclasses import dataclass, field, fields, replace
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

__all__ = ["SCHEMA_ID", "AnalysisView", "analysis_view", "FeatureComparison", "ComparisonResult",
           "compare", "comparison_document", "feature_entry", "decide_changes",
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


# ----------------------------------------------------------------- results
Interval = tuple[float, float]


@dataclass(frozen=True)
class FeatureComparison:
    """The comparison of one characteristic present on both sides.

    Field names are the keys of its ``features[]`` object in ``pilotqa.comparison/1`` (``class_``
    is written ``class``); differences are after − before, ratios after / before, intervals at
    ``settings.confidence``; an undefined number is None. ``mean_p``/``sigma_p`` are the raw
    Welch and Brown–Forsythe p-values, ``*_adjusted`` Holm's over all tests of the comparison;
    ``change`` and ``conclusion`` follow the rule in the module docstring.
    """

    feature: str
    unit: str | None
    class_: str | None
    nominal: float | None
    lsl: float | None
    usl: float | None
    tolerance: float | None
    n_before: int
    n_after: int
    mean_before: float | None
    mean_after: float | None
    sigma_before: float | None
    sigma_after: float | None
    mean_diff: float | None
    mean_diff_ci: Interval | None
    mean_diff_pct_tolerance: float | None
    mean_diff_ci_pct_tolerance: Interval | None
    mean_t: float | None
    mean_df: float | None
    mean_p: float | None
    sigma_ratio: float | None
    sigma_ratio_ci: Interval | None
    sigma_change_pct: float | None
    sigma_statistic: float | None
    sigma_p: float | None
    f_statistic: float | None
    f_p: float | None
    ppk_before: float | None
    ppk_before_ci: Interval | None
    ppk_after: float | None
    ppk_after_ci: Interval | None
    ppk_diff: float | None
    ppk_diff_ci: Interval | None
    verdict_before: str | None
    verdict_after: str | None
    decision_basis_before: str | None
    decision_basis_after: str | None
    notes: tuple[str, ...] = ()
    sigma_test: str = "brown_forsythe"
    mean_p_adjusted: float | None = None
    sigma_p_adjusted: float | None = None
    mean_significant: bool = False
    sigma_significant: bool = False
    change: str = "no_change"
    conclusion: str = ""

    def to_json(self) -> dict[str, Any]:
        """The characteristic's JSON object (intervals as lists, NaN never present)."""
        d = {("class" if f.name == "class_" else f.name): getattr(self, f.name) for f in fields(self)}
        out: dict[str, Any] = json_safe(d, f"$.features[{self.feature}]")
        return out


@dataclass
class ComparisonResult:
    """Both analyses, the per-characteristic comparisons, the readings they used, the document."""

    before: "AnalysisResult"
    after: "AnalysisResult"
    settings: Settings
    policy: "Policy"
    generated_at: datetime
    features: tuple[FeatureComparison, ...] = ()
    only_before: tuple[str, ...] = ()
    only_after: tuple[str, ...] = ()
    overall: str = ""
    #: the ``pilotqa.comparison/1`` document (:func:`comparison_document`), which the HTML and
    #: XLSX render, so the three outputs agree
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


def _measure(name: str, sb: dict[str, Any], sa: dict[str, Any], c: SampleComparison,
             vb: AnalysisView, va: AnalysisView) -> FeatureComparison:
    """The comparison of one characteristic before the decision (:func:`decide_changes`)."""
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
    fitted = [f"{side} {v.distribution or 'non-normal'}" for side, v in (("before", vb), ("after", va))
              if v.decision_basis not in (None, "normal")]
    if fitted:
        notes.append(f"the verdict rests on a fitted model ({', '.join(fitted)}); the Ppk compared "
                     "here is the normal-theory index")

    def iv(lo: float | None, hi: float | None) -> Interval | None:
        return None if lo is None or hi is None else (lo, hi)

    pct_lo, pct_hi = pct(m.ci_low), pct(m.ci_high)
    return FeatureComparison(
        feature=name,
        unit=sb.get("unit") or sa.get("unit"),
        class_=vb.class_ or va.class_ or sb.get("class") or sa.get("class"),
        nominal=_fnum(sb.get("nominal")), lsl=_fnum(sb.get("lsl")), usl=_fnum(sb.get("usl")),
        tolerance=tol,
        n_before=c.n_before, n_after=c.n_after,
        mean_before=c.mean_before, mean_after=c.mean_after,
        sigma_before=c.sd_before, sigma_after=c.sd_after,
        mean_diff=m.diff, mean_diff_ci=iv(m.ci_low, m.ci_high),
        mean_diff_pct_tolerance=pct(m.diff), mean_diff_ci_pct_tolerance=iv(pct_lo, pct_hi),
        mean_t=m.t, mean_df=m.df, mean_p=m.p,
        sigma_ratio=s.ratio, sigma_ratio_ci=iv(s.ci_low, s.ci_high),
        sigma_change_pct=None if s.ratio is None else 100.0 * (s.ratio - 1.0),
        sigma_statistic=c.bf_statistic, sigma_p=c.bf_p,
        f_statistic=s.f, f_p=s.f_p,
        ppk_before=p.before, ppk_before_ci=p.before_ci, ppk_after=p.after,
        ppk_after_ci=p.after_ci, ppk_diff=p.diff, ppk_diff_ci=p.diff_ci,
        verdict_before=vb.verdict, verdict_after=va.verdict,
        decision_basis_before=vb.decision_basis, decision_basis_after=va.decision_basis,
        notes=tuple(notes),
    )


def _decide(e: FeatureComparison, sb: dict[str, Any], alpha: float, pm: float | None,
            ps: float | None) -> FeatureComparison:
    """``e`` with the adjusted p-values, the significance flags, ``change`` and ``conclusion``."""
    sig_m = pm is not None and pm < alpha
    sig_s = ps is not None and ps < alpha
    notes = list(e.notes)
    signs: list[int] = []
    if sig_s and e.sigma_ratio is not None:
        signs.append(1 if e.sigma_ratio < 1.0 else -1)
    if sig_m:
        hb, ha = _headroom(e.mean_before, sb), _headroom(e.mean_after, sb)
        if hb is not None and ha is not None and ha != hb:
            signs.append(1 if ha > hb else -1)
    direction = 0
    if signs and all(x == signs[0] for x in signs):
        direction = signs[0]
    elif signs and e.ppk_diff:
        direction = 1 if e.ppk_diff > 0 else -1
    if (sig_m or sig_s) and direction == 0:
        notes.append("a significant change whose effect on capability has no direction "
                     "(no specification limit to measure it against); reported as no_change")
    change = "improved" if direction > 0 else "worse" if direction < 0 else "no_change"

    unit = e.unit or ""
    dec = _decimals(e.tolerance)
    sigma_text = mean_text = None
    if e.sigma_change_pct is not None:
        sigma_text = f"σ {_signed(e.sigma_change_pct, '.0f')} % ({_p_text(e.sigma_p, ps)})"
    if e.mean_diff is not None:
        t = f"mean {_signed(e.mean_diff, f'.{dec}f')}{(' ' + unit) if unit else ''}"
        if e.mean_diff_pct_tolerance is not None:
            t += f" = {_signed(e.mean_diff_pct_tolerance, '.1f')} % of tolerance"
        mean_text = f"{t} ({_p_text(e.mean_p, pm)})"
    parts = [x for x in (sigma_text, mean_text) if x]
    if change != "no_change":  # name only what changed significantly
        parts = [x for x, sig in ((sigma_text, sig_s), (mean_text, sig_m)) if x and sig] or parts
    vb, va = e.verdict_before, e.verdict_after
    vbt, vat = VERDICT_TEXT.get(vb or "", vb or "n/a"), VERDICT_TEXT.get(va or "", va or "n/a")
    verdict = f"verdict {vbt} → {vat}" if vb != va else f"verdict {vbt} (unchanged)"
    head = {"improved": "improved", "worse": "worse", "no_change": "no change"}[change]
    ci = e.ppk_diff_ci
    if change == "no_change" and ci is not None and (ci[0] > 0 or ci[1] < 0):
        notes.append("the interval of the Ppk change excludes 0, but it is one of many "
                     "unadjusted intervals and neither the mean nor the spread changed "
                     "significantly after Holm's adjustment; unchanged processes give such "
                     "an interval for about 1 characteristic in 20")
    if change == "no_change" and vb != va:
        notes.append("the verdict changed although neither the mean nor the spread changed "
                     "significantly: the lower confidence bound of Ppk moved across the "
                     "requirement within sampling noise")
    return replace(e, mean_p_adjusted=pm, sigma_p_adjusted=ps, mean_significant=sig_m,
                   sigma_significant=sig_s, change=change,
                   conclusion=f"{head}: " + ", ".join(parts + [verdict]), notes=tuple(notes))


def feature_entry(name: str, spec_before: dict[str, Any], spec_after: dict[str, Any],
                  c: SampleComparison, view_before: AnalysisView | None = None,
                  view_after: AnalysisView | None = None) -> FeatureComparison:
    """The comparison of one characteristic before :func:`decide_changes` completes it."""
    none_view = AnalysisView(None, None, None, None, None, None)
    return _measure(name, spec_before, spec_after, c, view_before or none_view,
                    view_after or none_view)


def decide_changes(entries: list[FeatureComparison], specs_before: dict[str, dict[str, Any]],
                   alpha: float) -> list[FeatureComparison]:
    """Holm-adjust the 2 tests of every characteristic (over all of them) and decide each
    ``change`` and ``conclusion`` (the rule is in the module docstring)."""
    adjusted = holm([p for e in entries for p in (e.mean_p, e.sigma_p)])
    return [_decide(e, specs_before[e.feature], alpha, adjusted[2 * i], adjusted[2 * i + 1])
            for i, e in enumerate(entries)]


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

    measured: list[FeatureComparison] = []
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in common:
        sb, sa = specs_b[name], specs_a[name]
        xb, xa = vals_b.get(name, empty), vals_a.get(name, empty)
        c = compare_samples(xb, xa, lsl_before=_fnum(sb["lsl"]), usl_before=_fnum(sb["usl"]),
                            lsl_after=_fnum(sa["lsl"]), usl_after=_fnum(sa["usl"]),
                            confidence=settings.confidence)
        measured.append(_measure(name, sb, sa, c, views_b.get(name, none_view),
                                 views_a.get(name, none_view)))
        series[name] = (xb, xa)
    features = tuple(decide_changes(measured, specs_b, settings.alpha))

    only_before = tuple(n for n in names_b if n not in set(names_a))
    only_after = tuple(n for n in names_a if n not in set(names_b))
    result = ComparisonResult(
        before=res_b, after=res_a, settings=settings, policy=policy,
        generated_at=generated_at or datetime.now(timezone.utc).replace(microsecond=0),
        features=features, only_before=only_before, only_after=only_after,
        overall=_overall(features, only_before, only_after), series=series)
    result.document = comparison_document(result)
    return result


def _overall(features: tuple[FeatureComparison, ...], only_before: tuple[str, ...],
             only_after: tuple[str, ...]) -> str:
    parts = [f"{k}: {', '.join(f.feature for f in features if f.change == k)}"
             for k in ("improved", "worse") if any(f.change == k for f in features)]
    n_same = sum(f.change == "no_change" for f in features)
    parts.append(f"{n_same} of {len(features)} without a significant change")
    if only_before:
        parts.append(f"only before: {', '.join(only_before)}")
    if only_after:
        parts.append(f"only after: {', '.join(only_after)}")
    return "; ".join(parts)


def comparison_document(result: ComparisonResult) -> dict[str, Any]:
    """The ``pilotqa.comparison/1`` document of a comparison (the one place it is built)."""
    from pilotqa import __version__

    by_change = {k: [f.feature for f in result.features if f.change == k]
                 for k in ("improved", "worse", "no_change")}
    bad: list[str] = []
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "pilotqa", "version": __version__},
        "generated_at": result.generated_at.isoformat(),
        "before": _side(result.before),
        "after": _side(result.after),
        "settings": {
            **result.settings.to_json(),
            "policy": result.policy.to_json(),
            "multiplicity": MULTIPLICITY,
            "mean_test": "welch",
            "sigma_test": "brown_forsythe",
            "ppk_interval": PPK_INTERVAL,
        },
        "overall": result.overall,
        "summary": {**by_change, "only_before": list(result.only_before),
                    "only_after": list(result.only_after)},
        "features": [f.to_json() for f in result.features],
    }
    document = json_safe(document, "$", bad)
    if bad:  # pragma: no cover - every number is finite or None by construction
        raise RuntimeError("non-finite numbers in the comparison at " + ", ".join(bad[:10]))
    return document

