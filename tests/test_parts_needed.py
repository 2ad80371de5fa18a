"""Parts still needed (pilotqa.decide.parts_needed): the formulas against the decision's own
bound functions, the adapter on real pipeline results, and (slow) the simulation claim."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pilotqa.decide import Policy, decide
from pilotqa.decide import parts_needed as P
from pilotqa.model import Inspection
from pilotqa.settings import Settings
from pilotqa.stats import compute
from pilotqa.stats.capability import bissell_ci, bissell_lower

Z = 1.959963984540054


def test_issue_example_length_45() -> None:
    # "Length 45" (Ppk 1.49, n = 59, major): about 185 parts in total, 125 more
    total = P.normal_parts_needed(1.49, 59, 1.33)
    assert total == 185
    assert bissell_lower(1.49, total, 0.95) >= 1.33 > bissell_lower(1.49, total - 1, 0.95)


@pytest.mark.parametrize("ppk,n", [(1.4, 30), (1.6, 50), (2.0, 30), (1.34, 125)])
def test_total_is_the_first_n_whose_bound_reaches(ppk: float, n: int) -> None:
    total = P.normal_parts_needed(ppk, n, 1.33)
    assert total is not None and total >= n
    assert bissell_lower(ppk, total, 0.95) >= 1.33
    if total > n:
        assert bissell_lower(ppk, total - 1, 0.95) < 1.33


def test_not_reachable_when_estimate_at_or_below_requirement() -> None:
    assert P.normal_parts_needed(1.33, 50, 1.33) is None
    assert P.normal_parts_needed(1.1, 50, 1.33) is None
    assert P.subgroup_parts_needed(1.5, 1.2, 125, 25, 100.0, 1.33) is None


def test_subgroups_both_bounds_and_counted_in_subgroups() -> None:
    ppk, cpk, k0, m, df0 = 1.5, 1.6, 25, 5, 100.0
    k = P.subgroup_parts_needed(ppk, cpk, k0 * m, k0, df0, 1.33)
    assert k is not None and k > k0

    def both(kk: int) -> bool:
        nn = kk * m
        lp = bissell_ci(ppk, nn, nn - 1, Z)[0]
        lc = bissell_ci(cpk, nn, df0 * kk / k0, Z)[0]
        return bool(lp >= 1.33 and lc >= 1.33)

    assert both(k) and not both(k - 1)


def test_model_parts_needed_scales_the_half_width() -> None:
    total, bad = P.model_parts_needed([("lognorm", 1.6, 1.2), ("gamma", 1.7, 1.45)], 50, 1.33)
    assert bad is None
    # lognorm: h = 0.4, N = 50·(0.4/0.27)² = 109.7 → 110; gamma needs less
    assert total == math.ceil(50 * (0.4 / 0.27) ** 2)
    assert 1.6 - 0.4 * math.sqrt(50 / total) >= 1.33 > 1.6 - 0.4 * math.sqrt(50 / (total - 1))
    assert P.model_parts_needed([("lognorm", 1.6, 1.2), ("weibull_min", 1.3, 1.0)], 50, 1.33) == (None, "weibull_min")


def test_what_would_reach_gives_the_required_estimate() -> None:
    n, req = 59, 1.33
    c_star = P.required_point_estimate(req, n, n - 1)
    assert bissell_lower(c_star, n, 0.95) == pytest.approx(req, abs=1e-9)
    # off-centre process: mean 10.3 in 9…11, σ 0.15 → Ppk 1.556 > req? use σ 0.2 → Ppk 1.167
    mean, s = 10.3, 0.2
    ppk = (11.0 - mean) / (3 * s)
    w = P.what_would_reach("Ppk", ppk, s, mean, 9.0, 11.0, req, n, n - 1)
    new_mean = mean - w["centring_shift"]          # toward the centre
    assert min(11.0 - new_mean, new_mean - 9.0) / (3 * s) == pytest.approx(c_star)
    assert w["centring_sufficient"] is True          # Pp = 1.67 ≥ C*
    assert w["centring_shift_pct_tolerance"] == pytest.approx(100 * w["centring_shift"] / 2.0)
    s_new = s * (1 - w["sigma_reduction_pct"] / 100)
    assert (11.0 - mean) / (3 * s_new) == pytest.approx(c_star)
    # centred but too wide: centring cannot help, σ must shrink
    w2 = P.what_would_reach("Ppk", 1.2, 1 / 3.6, 10.0, 9.0, 11.0, req, n, n - 1)
    assert w2["centring_sufficient"] is False
    assert w2["sigma_reduction_pct_if_centred"] == pytest.approx(w2["sigma_reduction_pct"])


def test_parts_needed_json_shape() -> None:
    r = P.PartsNeeded(total=185, additional=126, reachable=True, basis="b")
    assert set(r.to_json()) >= {"total", "additional", "reachable", "basis", "if_unreachable"}
    assert "126 more parts (185 in total)" in r.sentence()


# ----------------------------------------------------------------------------- adapter, real pipeline
def _inspection(specs: dict[str, tuple[float, float, int]], lots: int = 3, seed: int = 1) -> Inspection:
    """One feature per entry: (true Ppk, mean offset in units, n); tolerance 10 ± 1."""
    rng = np.random.default_rng(seed)
    rows = []
    for feat, (ppk, off, n) in specs.items():
        sigma = (1.0 - abs(off)) / (3 * ppk)
        v = np.round(rng.normal(10.0 + off, sigma, n), 4)
        for i, x in enumerate(v):
            rows.append((f"P{i:04d}", f"L{1 + i * lots // n}", i, feat, float(x)))
    meas = pl.DataFrame(rows, schema=["part_id", "lot", "sequence", "feature", "value"], orient="row").with_columns(
        pl.lit(None, dtype=pl.Int64).alias("subgroup"), pl.lit(None, dtype=pl.Datetime("us")).alias("timestamp"))
    feats = list(specs)
    spec = pl.DataFrame({"feature": feats, "nominal": [10.0] * len(feats), "lsl": [9.0] * len(feats),
                         "usl": [11.0] * len(feats), "unit": ["mm"] * len(feats), "class": ["major"] * len(feats),
                         "lower_bound_zero": [False] * len(feats), "source": ["test"] * len(feats)})
    return Inspection(measurements=meas.select("part_id", "lot", "subgroup", "sequence", "timestamp", "feature",
                                               "value"), specs=spec, layout="long")


def test_adapter_on_pipeline_results() -> None:
    insp = _inspection({"GOOD_SOON": (1.55, 0.0, 40), "INCAPABLE": (1.0, 0.25, 60), "CAPABLE": (2.6, 0.0, 150)})
    settings = Settings(lot_size=500)
    stats = compute(insp, settings)
    pol = Policy()
    decisions = decide(stats, insp, settings, pol).decisions
    by = {fs.feature: (fs, d) for fs, d in zip(stats, decisions)}
    fs, d = by["CAPABLE"]
    assert d.verdict != "keep_100" and P.parts_needed_for(fs, d, pol) is None
    fs, d = by["GOOD_SOON"]  # seed 1: estimate 1.64, bound 1.27 at n = 40
    assert d.verdict == "keep_100" and d.evidence.ppk is not None and d.evidence.ppk > 1.33
    r = P.parts_needed_for(fs, d, pol)
    assert r is not None and r.reachable and r.unit == "parts"
    assert r.total == P.normal_parts_needed(d.evidence.ppk, d.evidence.n, 1.33)
    assert r.additional == r.total - d.evidence.n and r.additional > 0
    fs, d = by["INCAPABLE"]
    assert d.verdict == "keep_100"
    r = P.parts_needed_for(fs, d, pol)
    assert r is not None and not r.reachable and r.total is None
    assert r.if_unreachable is not None  # seed 1: estimate 1.31 ≤ 1.33, off-centre by 0.25
    assert r.if_unreachable["required_point_estimate"] > 1.33 and r.if_unreachable["centring_sufficient"]
    assert "cannot release it" in r.if_unreachable["text"] and "toward the centre" in r.if_unreachable["text"]


def test_adapter_other_reasons_say_more_parts_will_not_help() -> None:
    insp = _inspection({"D": (2.0, 0.0, 150)})
    # a strong drift: add a trend of 40 % of the tolerance over the run
    meas = insp.measurements.with_columns((pl.col("value") + pl.col("sequence") * (0.8 / 150)).alias("value"))
    insp = Inspection(measurements=meas, specs=insp.specs, layout="long")
    settings = Settings(lot_size=500)
    stats = compute(insp, settings)
    pol = Policy()
    (d,) = decide(stats, insp, settings, pol).decisions
    assert d.verdict == "keep_100"
    r = P.parts_needed_for(stats[0], d, pol)
    assert r is not None and not r.reachable and "more parts alone will not release it" in r.basis
    assert any("drift" in x for x in r.if_unreachable["reasons"])  # type: ignore[index]


# ----------------------------------------------------------------------------- simulation (slow)
@pytest.mark.slow
def test_stated_parts_reach_the_bound_about_half_the_time() -> None:
    """Median-type estimate: pilots that add the stated number of parts from a process equal to
    the estimate reach the bound in about half of the runs (benchmarks/parts_needed_check.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from parts_needed_check import normal_cell, subgroup_cell

    for cell in (normal_cell(1.5, 50, 1500, seed=11), subgroup_cell(1.5, 25, 1500, seed=11)):
        k = cell["kept_reachable"]
        assert k > 300
        assert 0.40 <= cell["holds"] / k <= 0.65, cell
        # from the true process (true Ppk 1.5 > 1.33) the kept pilots tend to have underestimated it
        assert cell["same"] / k >= 0.45, cell
