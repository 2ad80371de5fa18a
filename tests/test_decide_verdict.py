"""Verdicts on hand-built feature documents (the keys pilotqa.stats writes, issue 3 §7)."""
from __future__ import annotations

import json
import math
from typing import Any

import polars as pl
import pytest

from pilotqa.decide import Policy, decide
from pilotqa.decide.policy import policy_from_dict
from pilotqa.decide.verdict import resolve_lot_size
from pilotqa.model import Inspection
from pilotqa.report.json import feature_json, to_json
from pilotqa.results import FeatureResult, FeatureStats, from_mapping
from pilotqa.settings import Settings
from pilotqa.stats.capability import bissell_lower

S500 = Settings(lot_size=500)


def make_doc(feature: str = "BORE", ppk: float = 1.8, n: int = 150, cls: str | None = "major",
             **over: Any) -> dict[str, Any]:
    """A feature document as pilotqa.stats writes it: normal, stable, no drift, 3 equal lots."""
    lo = bissell_lower(ppk, n, 0.95)
    doc: dict[str, Any] = {
        "feature": feature, "unit": "mm", "class": cls, "nominal": 10.0, "lsl": 9.9, "usl": 10.1,
        "n": n, "n_missing": 0, "n_out_of_spec": 0, "mean": 10.0,
        "sigma_within": 0.1 / (3 * ppk), "sigma_within_method": "mr", "sigma_overall": 0.1 / (3 * ppk),
        "ppk": ppk, "ppk_ci": [lo, ppk + (ppk - lo)], "cpk": ppk, "cpk_ci": [lo, ppk + (ppk - lo)],
        "normality": {"ad_statistic": 0.3, "ad_p_value": 0.55, "sw_p_value": 0.6, "normal": True},
        "capability_model": {"distribution": "normal", "params": {}, "method": "normal", "ppk": ppk},
        "stability": {"chart": "i-mr", "violations": [], "stable": True},
        "drift": {"slope": 1e-6, "p_value": 0.6, "mann_kendall_p": 0.7, "drift_pct_tolerance": 0.8,
                  "parts_to_limit": None, "significant": False},
        "lots": {"k": 3, "anova_p": 0.5, "welch_p": 0.5, "between_lot_share": 0.0,
                 "per_lot": [{"lot": f"L{i}", "mean": 10.0} for i in range(3)], "significant": False},
        "resolution": {"step": 0.001, "pct_tolerance": 0.5, "distinct_values": 60, "adequate": True},
        "notes": [],
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k] = {**doc[k], **v}
        else:
            doc[k] = v
    return doc


#: Every key of a feature's statistics with a neutral value; make_doc's keys override these.
_DEFAULTS: dict[str, Any] = {
    "feature": "F", "unit": None, "nominal": None, "lsl": None, "usl": None, "class": None,
    "lower_bound_zero": False, "n": 0, "n_missing": 0, "n_out_of_spec": 0, "n_subgroups": None,
    "subgroup_size": None, "mean": None, "sigma_within": None, "sigma_within_method": None,
    "df_within": None, "sigma_overall": None, **{k: None for k in ("cp", "cpl", "cpu", "cpk", "pp", "ppl", "ppu",
                                                                     "ppk", "cpm", "target", "target_source",
                                                                     "cp_ci", "cpk_ci", "pp_ci", "ppk_ci")},
    "confidence": 0.95, "ppm_expected": None, "ppm_expected_model": None, "ppm_expected_normal": None,
    "ppm_expected_within": None, "ppm_observed": None, "capability_model": None, "stability": None,
    "drift": None, "resolution": None, "lots": None, "notes": [],
    "normality": {"ad_statistic": None, "ad_p_value": None, "sw_p_value": None, "normal": None},
}
_NESTED: dict[str, dict[str, Any]] = {
    "capability_model": {"distribution": "normal", "params": {}, "method": "normal", "cp": None, "cpk": None,
                         "pp": None, "ppk": None, "ppl": None, "ppu": None, "ppm_expected": None,
                         "percentiles": None, "selection": None, "candidates": [], "decision_basis": None,
                         "reason": ""},
    "stability": {"chart": "i-mr", "center": None, "lcl": None, "ucl": None, "range_center": None,
                  "range_lcl": None, "range_ucl": None, "violations": [], "stable": None, "sigma": None,
                  "sigma_method": "mr_d2", "rules": [1, 2, 3, 4], "range_rules": [1], "nsigma": 3.0, "phase": "I",
                  "n_points": 150, "subgroup_size": 1, "subgroup_sizes": [1], "notes": []},
    "drift": {"slope": None, "intercept": None, "slope_ci": None, "p_value": None, "hac_maxlags": None,
              "mann_kendall_p": None, "kendall_tau": None, "n": 0, "notes": []},
    "lots": {"k": 1, "anova_f": None, "anova_p": None, "welch_f": None, "welch_p": None, "kruskal_p": None,
             "levene_p": None, "variance_test": "brown-forsythe", "between_lot_share": None,
             "sigma_between": None, "sigma_within_lots": None, "sigma_bw": None, "var_between_truncated": None,
             "cp_bw": None, "cpk_bw": None, "lot_mean_range": None, "lot_mean_range_pct_tolerance": None,
             "tolerance": None, "per_lot": [], "tukey": [], "test_used": None, "significant": None,
             "practically_relevant": None, "notes": []},
    "resolution": {"step": None, "pct_tolerance": None, "distinct_values": None, "adequate": None,
                   "step_method": None, "tolerance": None},
}
_LOT = {"lot": "L", "n": 50, "mean": None, "sd": None, "pp": None, "ppk": None, "first_sequence": None}


def to_stats(doc: dict[str, Any]) -> FeatureStats:
    """A complete, typed FeatureStats from a partial feature document (missing keys neutral)."""
    full = {**_DEFAULTS, **doc}
    for key, base in _NESTED.items():
        if isinstance(full.get(key), dict):
            full[key] = {**base, **full[key]}
    if full["capability_model"] is not None and full["capability_model"]["decision_basis"] is None:
        normal = full["normality"]["normal"] is not False
        full["capability_model"]["decision_basis"] = "normal" if normal else "percentile"
    if full["lots"] is not None:
        full["lots"]["per_lot"] = [{**_LOT, **p} for p in full["lots"]["per_lot"]]
        if full["lots"]["test_used"] is None:
            full["lots"]["test_used"] = "welch" if full["lots"]["welch_p"] is not None else "anova"
    return from_mapping(FeatureStats, full)


class _Fr:
    """A decided feature as its JSON object (``doc``), which is what the tests read."""

    def __init__(self, fr: FeatureResult) -> None:
        self.result = fr
        self.doc = feature_json(fr)


def run(*docs: dict[str, Any], settings: Settings = S500, policy: Policy | None = None) -> tuple[list[_Fr], Any]:
    stats = [to_stats(d) for d in docs]
    summary = decide(stats, None, settings, policy or Policy())
    frs = [_Fr(FeatureResult(stats=s, decision=d)) for s, d in zip(stats, summary.decisions)]
    for fr in frs:
        json.dumps(fr.doc["decision"], allow_nan=False)
    return frs, summary


def test_bissell_lower_reference() -> None:
    # Montgomery, Introduction to Statistical Quality Control 8th ed. §8.3.5 (Bissell's interval):
    # n = 20, Ĉpk = 1.33, 95 % → 0.88 ≤ Cpk ≤ 1.78 (two decimals printed → abs 0.005)
    assert bissell_lower(1.33, 20, 0.95) == pytest.approx(0.88, abs=0.005)


def test_capable_stable_gets_variables_plan() -> None:
    (fr,), s = run(make_doc(ppk=1.8))
    d = fr.doc["decision"]
    assert d["verdict"] == "variables_plan"
    # Z1.9 Table A-2: lot 401–500, level II → I, n = 25. Two limits → Form 2 (issue 13): accept on
    # the estimated percent nonconforming p_L + p_U ≤ M; M for I / AQL 0.65 is the value derived
    # in pilotqa/decide/data/variables_m_form2.json from k = 1.98 (Table B-1) — pinned here, see
    # tests/test_decide_tables.py for the check against the printed Table B-3.
    from pilotqa.decide.tables import variables_plan

    plan = d["plan"]
    assert plan["sample_size"] == 25 and plan["form"] == 2 and plan["k"] is None
    assert plan["m"] == pytest.approx(variables_plan(500, 0.65, limits="double")["m"])
    assert d["evidence"]["ppk_lower"] == pytest.approx(bissell_lower(1.8, 150, 0.95))
    assert any("≥ 1.33 required for a major" in r for r in d["reasons"])
    entry = to_json(s.inspection_plan[0])
    assert set(entry) == {"feature", "class", "verdict", "method", "sample_size", "accept", "reject", "k",
                          "frequency", "rule"}
    assert entry["method"] == "variables" and "p_U" in entry["rule"] and "p_L" in entry["rule"]
    # one limit (USL only) → Form 1 with Table B-1's k = 1.98
    (fr1,), _ = run(make_doc(ppk=1.8, lsl=None))
    p1 = fr1.doc["decision"]["plan"]
    assert p1["form"] == 1 and p1["k"] == pytest.approx(1.98)


def test_drift_keeps_100_with_reason() -> None:
    (fr,), _ = run(make_doc(drift={"slope": 0.0004, "p_value": 0.002, "significant": True,
                                   "drift_pct_tolerance": 18.0, "parts_to_limit": 120.0}))
    d = fr.doc["decision"]
    assert d["verdict"] == "keep_100" and d["plan"] is None
    (reason,) = [r for r in d["reasons"] if r.startswith("drift")]
    assert "0.0004 mm/part" in reason and "p = 0.002" in reason and "18 % of tolerance" in reason


def test_significant_but_small_drift_does_not_block() -> None:
    (fr,), _ = run(make_doc(drift={"slope": 1e-5, "p_value": 0.01, "significant": True, "drift_pct_tolerance": 4.0}))
    d = fr.doc["decision"]
    assert d["verdict"] == "variables_plan"
    assert any("not practically relevant" in r for r in d["reasons"])


def test_lot_effect_keeps_100() -> None:
    per_lot = [{"lot": "L1", "mean": 9.98}, {"lot": "L2", "mean": 10.0}, {"lot": "L3", "mean": 10.03}]
    # range of lot means 0.05 mm of a 0.2 mm tolerance = 25 % (as pilotqa.stats.lots writes it)
    (fr,), _ = run(make_doc(lots={"significant": True, "welch_p": 0.0001, "anova_p": 0.2, "test_used": "welch",
                                  "per_lot": per_lot, "between_lot_share": 0.4,
                                  "lot_mean_range_pct_tolerance": 25.0, "practically_relevant": True}))
    d = fr.doc["decision"]
    assert d["verdict"] == "keep_100"
    assert any("lot effect across 3 lots (Welch ANOVA, p < 0.001)" in r and "25 % of tolerance" in r
               for r in d["reasons"]), d["reasons"]
    # issue 10: the evidence carries the % of tolerance (it was always null: the verdict read a key
    # the statistics never wrote)
    assert d["evidence"]["lot_means_range_pct_tolerance"] == 25.0
    assert d["evidence"]["lot_effect_test"] == "welch" and d["evidence"]["lot_effect_p"] == 0.0001


def test_lot_effect_reason_quotes_the_p_of_the_test_that_decided() -> None:
    """Issue 10: the classical ANOVA decided (equal lot variances), so its p is quoted — not
    Welch's (the old reason said "significant … p = 0.20")."""
    per_lot = [{"lot": "L1", "mean": 9.98}, {"lot": "L2", "mean": 10.0}, {"lot": "L3", "mean": 10.03}]
    (fr,), _ = run(make_doc(lots={"significant": True, "welch_p": 0.2, "anova_p": 0.003, "test_used": "anova",
                                  "per_lot": per_lot, "lot_mean_range_pct_tolerance": 25.0}))
    reasons = fr.doc["decision"]["reasons"]
    assert any("lot effect across 3 lots (ANOVA, p = 0.003)" in r for r in reasons), reasons
    assert not any("p = 0.20" in r for r in reasons)


def test_unknown_critical_name_is_refused_by_the_library() -> None:
    """Issue 10: the library (not only the CLI) refuses a --critical name it does not know."""
    from pilotqa.errors import PolicyError

    with pytest.raises(PolicyError, match="BOER"):
        run(make_doc("BORE"), settings=Settings(lot_size=500, critical=("BOER",)))


def test_non_normal_gets_attributes_plan() -> None:
    doc = make_doc(normality={"normal": False, "ad_p_value": 0.003},
                   capability_model={"distribution": "lognormal", "method": "percentile", "ppk": 1.9,
                                     "ppk_ci": [1.52, 2.28]})
    (fr,), _ = run(doc)
    d = fr.doc["decision"]
    assert d["verdict"] == "attributes_plan"
    assert d["plan"]["method"] == "attributes"  # major → Z1.4; MIL-STD-105E II-A, H (lot 500), AQL 0.65 → ↓ J 80 1/2
    assert (d["plan"]["sample_size"], d["plan"]["accept"], d["plan"]["reject"]) == (80, 1, 2)
    assert any("not normally distributed" in r and "lognormal" in r for r in d["reasons"])
    # the bound is the lower limit of the fitted model's (delta-method) interval
    assert d["evidence"]["ppk_lower"] == 1.52
    assert "delta-method" in d["evidence"]["bound_method"]


def _alt(dist: str, delta: float, lo: float | None) -> dict[str, object]:
    return {"distribution": dist, "aic_delta": delta, "ppk": 1.9,
            "ppk_ci": None if lo is None else [lo, lo + 0.8]}


@pytest.mark.parametrize("window,bound,model", [(0.0, 1.52, "lognorm"), (2.0, 1.21, "gamma"),
                                                (4.0, 1.05, "johnsonsu")])
def test_non_normal_bound_is_the_lowest_among_plausible_models(window: float, bound: float,
                                                                model: str) -> None:
    """The decision bound is the lowest lower limit among the fitted models within the policy's
    AIC window of the best (docs/decision-quality.md, 'Non-normal characteristics')."""
    from dataclasses import replace

    from pilotqa.decide.policy import Policy

    alts = [_alt("lognorm", 0.0, 1.52), _alt("gamma", 1.6, 1.21), _alt("weibull_min", 2.5, None),
            _alt("johnsonsu", 3.9, 1.05), _alt("norm", 9.0, 0.2)]
    doc = make_doc(normality={"normal": False, "ad_p_value": 0.003},
                   capability_model={"distribution": "lognorm", "method": "percentile", "ppk": 1.9,
                                     "ppk_ci": [1.52, 2.28], "alternatives": alts})
    base = Policy()
    pol = replace(base, requirements=replace(base.requirements, non_normal_aic_window=window))
    (fr,), _ = run(doc, policy=pol)
    ev = fr.doc["decision"]["evidence"]
    assert ev["ppk_lower"] == bound and ev["bound_model"] == model
    assert ev["ppk"] == 1.9  # the chosen model's index
    released = fr.doc["decision"]["verdict"] != "keep_100"
    assert released == (bound >= 1.33)
    if model != "lognorm":  # kept at 100 %: the reason names the model that gave the bound
        assert not released
        assert any(f"Ppk (percentile method, lognorm; bound from {model}, the most pessimistic of the "
                   f"{4 if window == 4.0 else 2} models within ΔAIC ≤ {window:g}) lower 95 % bound "
                   f"{bound:.2f} < 1.33" in r for r in fr.doc["decision"]["reasons"]), fr.doc["decision"]["reasons"]


def test_non_normal_without_model_interval_stays_at_100() -> None:
    """No interval for the fitted model's Ppk (singular information): the capability cannot be
    shown, so the characteristic is kept at 100 % with that reason — never a guessed bound."""
    doc = make_doc(normality={"normal": False, "ad_p_value": 0.003},
                   capability_model={"distribution": "foldnorm", "method": "percentile", "ppk": 2.5,
                                     "ppk_ci": None})
    (fr,), _ = run(doc)
    d = fr.doc["decision"]
    assert d["verdict"] == "keep_100"
    assert any("Ppk (percentile method, foldnorm) lower 95 % bound is not available" in r
               for r in d["reasons"]), d["reasons"]


def test_non_normal_critical_uses_c0() -> None:
    doc = make_doc(ppk=2.4, cls="critical", normality={"normal": False, "ad_p_value": 0.001},
                   capability_model={"distribution": "weibull", "ppk": 2.4, "ppk_ci": [1.9, 2.9]})
    (fr,), _ = run(doc)
    d = fr.doc["decision"]
    # Squeglia c = 0, lot 281–500, AQL 0.10 → n = 125
    assert d["verdict"] == "attributes_plan" and d["plan"]["method"] == "c0" and d["plan"]["sample_size"] == 125


def test_too_few_parts_keeps_100() -> None:
    (fr,), _ = run(make_doc(ppk=3.0, n=20))
    d = fr.doc["decision"]
    assert d["verdict"] == "keep_100"
    assert any("only 20 parts" in r and "30 parts" in r for r in d["reasons"])


def test_critical_vs_major_threshold() -> None:
    # Ppk 1.8, n = 150: lower bound ≈ 1.59 — enough for major (1.33), not for critical (1.67)
    frs, _ = run(make_doc("A", ppk=1.8), make_doc("B", ppk=1.8), settings=Settings(lot_size=500, critical=("B",)))
    assert frs[0].doc["decision"]["verdict"] == "variables_plan"
    d = frs[1].doc["decision"]
    assert d["verdict"] == "keep_100" and d["evidence"]["class"] == "critical"
    assert any("1.59 < 1.67 required for a critical characteristic" in r for r in d["reasons"])


def test_keep_100_lists_every_failing_reason() -> None:
    doc = make_doc(ppk=1.0, n_out_of_spec=2,
                   stability={"stable": False, "violations": [{"chart": "x", "rule": 2, "index": i} for i in range(40, 60)]},
                   drift={"significant": True, "p_value": 0.001, "slope": 0.001, "drift_pct_tolerance": 30.0},
                   resolution={"adequate": False, "step": 0.05, "pct_tolerance": 25.0, "distinct_values": 5})
    (fr,), _ = run(doc)
    reasons = fr.doc["decision"]["reasons"]
    assert fr.doc["decision"]["verdict"] == "keep_100"
    for fragment in ("out of tolerance", "< 1.33 required", "not stable: Nelson rule 2", "drift", "resolution"):
        assert any(fragment in r for r in reasons), fragment


def test_reduced_audit() -> None:
    (fr,), s = run(make_doc(ppk=2.6))
    d = fr.doc["decision"]
    assert d["verdict"] == "reduced_audit"
    # first + last piece + 1 per 100 parts in a lot of 500 = 7 parts
    assert d["plan"]["sample_size"] == 7 and d["plan"]["reaction_limits"] is not None
    assert s.inspection_plan[0].method == "reduced_audit"


def test_reduced_audit_needs_no_significant_drift() -> None:
    (fr,), _ = run(make_doc(ppk=2.6, drift={"significant": True, "p_value": 0.02, "drift_pct_tolerance": 3.0}))
    assert fr.doc["decision"]["verdict"] == "variables_plan"


def test_single_lot() -> None:
    one = {"k": 1, "per_lot": [{"lot": "L1", "mean": 10.0}], "significant": None}
    frs, _ = run(make_doc("A", ppk=2.6, cls="critical", lots=one), make_doc("B", ppk=2.6, lots=one))
    crit, major = (fr.doc["decision"] for fr in frs)
    assert crit["verdict"] == "keep_100" and any("only 1 lot" in r for r in crit["reasons"])
    # major: a plan with a caveat, never the reduced audit on a single lot
    assert major["verdict"] == "variables_plan" and any("provisional" in r for r in major["reasons"])


def test_default_class_from_policy() -> None:
    pol = policy_from_dict({"default_class": "minor"})
    # Ppk 1.4, n = 150: lower ≈ 1.24 — fails major (1.33), passes minor (1.00)
    (fr,), _ = run(make_doc(ppk=1.4, cls=None))
    assert fr.doc["decision"]["verdict"] == "keep_100" and fr.doc["decision"]["evidence"]["class"] == "major"
    (fr2,), _ = run(make_doc(ppk=1.4, cls=None), policy=pol)
    assert fr2.doc["decision"]["verdict"] == "variables_plan"
    assert "default_class" in fr2.doc["decision"]["evidence"]["class_source"]


def test_subgroups_require_cpk_bound_too() -> None:
    doc = make_doc(ppk=1.8, sigma_within_method="pooled", n_subgroups=30, cpk=1.4,
                   cpk_ci=[bissell_lower(1.4, 150, 0.95), 1.6])
    (fr,), _ = run(doc)
    d = fr.doc["decision"]
    assert d["verdict"] == "keep_100" and any(r.startswith("Cpk lower") for r in d["reasons"])


def test_hundred_percent_plan_and_overall_line() -> None:
    frs, s = run(make_doc("A", ppk=1.8), make_doc("B", ppk=1.0), make_doc("C", ppk=2.6),
                 settings=Settings(lot_size=500))
    assert s.overall == ("2 of 3 characteristics may leave 100 % inspection (1 variables plan, 1 reduced audit); "
                         "1 stays at 100 %.")
    # tiny lots: Z1.9 lot 2–8 → B, n = 3 at AQL 0.65 → ↓ D, n = 5 ≥ lot 4 → in effect 100 %
    (fr,), s2 = run(make_doc("A", ppk=1.8), settings=Settings(lot_size=4))
    assert s2.inspection_plan[0].method == "100%"
    assert any("in effect 100 %" in r for r in fr.doc["decision"]["reasons"])


def test_lot_size_default_is_pilot_mean() -> None:
    m = pl.DataFrame({
        "part_id": [str(i) for i in range(90)], "lot": ["L1"] * 30 + ["L2"] * 60,
        "subgroup": [None] * 90, "sequence": list(range(90)), "timestamp": [None] * 90,
        "feature": ["BORE"] * 90, "value": [10.0] * 90,
    })
    specs = pl.DataFrame({"feature": ["BORE"], "nominal": [10.0], "lsl": [9.9], "usl": [10.1], "unit": ["mm"],
                          "class": ["major"], "lower_bound_zero": [False], "source": ["test"]})
    insp = Inspection(measurements=m, specs=specs, layout="long")
    size, note = resolve_lot_size(Settings(), Policy(), insp)
    assert size == 45 and "90 parts in 2 lots" in note
    summary = decide([to_stats(make_doc(ppk=1.8))], insp, Settings(), Policy())
    d = to_json(summary.decisions[0])
    assert d["plan"]["lot_size"] == 45 and any("lot size not given" in r for r in d["reasons"])


def test_isolated_signals_within_chance_do_not_block() -> None:
    # Two signals on 150 individuals with rules 1–4: about 150·(0.0027 + 0.0039 + 0.0028 + 0.0046)
    # + 149·0.0092 ≈ 3.5 are expected by chance (Nelson 1984 false-alarm rates) → treated as stable.
    viol = [{"chart": "x", "rule": 1, "index": 50}, {"chart": "x", "rule": 3, "index": 69}]
    (fr,), _ = run(make_doc(stability={"stable": False, "violations": viol}))
    d = fr.doc["decision"]
    assert d["verdict"] == "variables_plan"
    assert any("no more than chance" in r and "points 51, 70" in r for r in d["reasons"])
    assert d["evidence"]["stability_signals"] == 2
    # the null distribution of the signal count (pilotqa.stats.signal_null), not a Poisson tail
    from pilotqa.stats.signal_null import signal_p_value

    p, expected, _ = signal_p_value("i-mr", (1, 2, 3, 4), 150, 2, 1)
    assert d["evidence"]["stability_signals_p"] == pytest.approx(p)
    assert d["evidence"]["stability_signals_expected"] == pytest.approx(expected)
    assert p > 0.05
    # strict_stability: any signal blocks
    strict = policy_from_dict({"requirements": {"strict_stability": True}})
    (fr2,), _ = run(make_doc(stability={"stable": False, "violations": viol}), policy=strict)
    assert fr2.doc["decision"]["verdict"] == "keep_100"
    # the reduced audit needs a chart without any signal
    (fr3,), _ = run(make_doc(ppk=2.6, stability={"stable": False, "violations": viol}))
    assert fr3.doc["decision"]["verdict"] == "variables_plan"


def test_signal_count_is_judged_against_its_null_distribution() -> None:
    """Many signals on a stable-looking chart are more than chance; none is chance."""
    from pilotqa.decide.verdict import stability_signals
    from pilotqa.results import Stability, Violation
    from pilotqa.stats.signal_null import signal_p_value

    viol = [{"chart": "x", "rule": 2, "index": i} for i in range(40, 60)]
    stab = to_stats(make_doc(stability={"stable": False, "n_points": 150, "violations": viol})).stability
    assert isinstance(stab, Stability) and all(isinstance(v, Violation) for v in stab.violations)
    sig = stability_signals(stab, (1, 2, 3, 4), 150, 149)
    assert sig.signals == 20 and sig.p_value < 1e-3
    assert sig.p_value == pytest.approx(signal_p_value("i-mr", (1, 2, 3, 4), 150, 20, 1)[0])
    quiet = to_stats(make_doc(stability={"stable": True, "n_points": 150})).stability
    assert quiet is not None and stability_signals(quiet, (1, 2, 3, 4), 150, 149).p_value == 1.0


def test_kept_characteristic_states_parts_needed() -> None:
    """Issue 13: a characteristic kept only because its bound falls short says how many parts in
    total would let the bound reach the requirement (pilotqa.decide.parts_needed); one kept for
    another reason says more parts alone will not release it; a released one has none."""
    from pilotqa.decide.parts_needed import normal_parts_needed

    (kept, other, released), _ = run(make_doc("A", ppk=1.5, n=40), make_doc("B", ppk=1.5, n=150, n_out_of_spec=1),
                                     make_doc("C", ppk=1.8))
    pn = kept.doc["decision"]["parts_needed"]
    assert kept.doc["decision"]["verdict"] == "keep_100" and pn["reachable"] is True
    assert pn["total"] == normal_parts_needed(1.5, 40, 1.33, 0.95) and pn["additional"] == pn["total"] - 40
    assert pn["total"] > 40
    pn2 = other.doc["decision"]["parts_needed"]
    assert pn2["reachable"] is False and "more parts alone will not release it" in pn2["basis"]
    assert released.doc["decision"]["parts_needed"] is None
