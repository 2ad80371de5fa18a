"""Issue 12: every finding a customer may act on names the serial — out-of-tolerance parts, chart
signals (1-based point numbers beside the 0-based index) — and the part-level readiness block."""
from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from pilotqa.analysis import AnalysisResult, analyze
from pilotqa.decide.readiness import readiness
from pilotqa.read import read
from pilotqa.report.json import build_document
from pilotqa.settings import Settings

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def wide() -> AnalysisResult:
    return analyze(read([SAMPLE / "housing_pilot_wide.xlsx"]), Settings(lot_size=500))


def test_out_of_spec_names_every_serial(wide: AnalysisResult) -> None:
    meas = wide.inspection.measurements.join(wide.inspection.specs.select("feature", "lsl", "usl"), on="feature")
    # independent count: readings outside [LSL, USL] by polars, per feature
    bad = meas.filter((pl.col("value") < pl.col("lsl")) | (pl.col("value") > pl.col("usl")))
    expected = {f: sorted(g["part_id"].to_list()) for (f,), g in bad.group_by("feature")}
    assert expected, "the sample has planted out-of-tolerance parts (sample_data/generate.py)"
    for fr in wide.features:
        got = sorted(o.part_id for o in fr.stats.out_of_spec)
        assert got == expected.get(fr.feature, []), fr.feature
        assert len(got) == fr.stats.n_out_of_spec
        for o in fr.stats.out_of_spec:
            assert (o.side == "lower" and o.value < o.limit) or (o.side == "upper" and o.value > o.limit)
    thread = next(fr for fr in wide.features if fr.stats.out_of_spec)
    serials = [o.part_id for o in thread.stats.out_of_spec]
    assert any(all(s in r for s in serials) for r in thread.decision.reasons)


def test_signals_carry_serial_and_one_based_point(wide: AnalysisResult) -> None:
    n_checked = 0
    for fr in wide.features:
        stab = fr.stats.stability
        assert stab is not None
        for v in stab.violations:
            assert v.point is not None and v.part_id is not None
            if fr.stats.individuals:
                expected_pos = v.index + 1 if v.chart == "range" else v.index  # MR point = its later reading
                assert v.point == expected_pos + 1
                assert v.part_id == fr.stats.series.part_id[expected_pos]
                n_checked += 1
    assert n_checked >= 5
    # the reasons number points as the chart does (1-based) and name the serial
    reasons = " ".join(r for fr in wide.features for r in fr.decision.reasons)
    v0 = next(v for fr in wide.features if fr.stats.stability for v in fr.stats.stability.violations)
    assert f"{v0.point} ({v0.part_id})" in reasons


def test_readiness_names_nonconforming_serials(wide: AnalysisResult, validate_document: Any) -> None:
    r = wide.readiness
    kept = {fr.feature for fr in wide.features if fr.verdict == "keep_100"}
    assert {k.feature for k in r.kept_100} == kept
    assert {k.feature for k in r.released} | kept == {fr.feature for fr in wide.features}
    oos = {o.part_id for fr in wide.features for o in fr.stats.out_of_spec}
    assert {p.part_id for p in r.nonconforming_parts} == oos
    assert all(s in r.statement for s in oos)
    assert r.status in ("containment_required", "not_ready")
    doc = build_document(wide)
    validate_document(doc)
    assert doc["readiness"]["status"] == r.status
    v = doc["features"][0]["stability"]["violations"][0]
    assert {"part_id", "point", "index"} <= set(v)


def test_readiness_status_follows_the_decisions() -> None:
    """ready when everything is released and nothing is out of tolerance; containment when a kept
    characteristic's point estimate meets its requirement; not ready when it does not."""
    from tests.test_decide_verdict import make_doc, run

    frs, _ = run(make_doc("A", ppk=1.8), make_doc("B", ppk=2.6))
    assert readiness(tuple(f.result for f in frs)).status == "ready_for_sampling"
    # Ppk 1.5 with n = 40: point estimate ≥ 1.33 but the lower bound is below → more parts may release it
    frs, _ = run(make_doc("A", ppk=1.8), make_doc("B", ppk=1.5, n=40))
    r = readiness(tuple(f.result for f in frs))
    assert r.status == "containment_required" and [k.feature for k in r.kept_100] == ["B"]
    assert "100 % inspection of B" in r.statement
    frs, _ = run(make_doc("A", ppk=1.8), make_doc("B", ppk=1.1))
    r = readiness(tuple(f.result for f in frs))
    assert r.status == "not_ready" and "B is below its requirement" in r.statement
