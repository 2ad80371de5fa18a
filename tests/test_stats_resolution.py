"""Gauge resolution inferred from readings (AIAG MSA rule of tens, ≥ 5 distinct categories)."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pilotqa.stats.resolution import RESOLUTION_SCHEMA, resolution_all


def _meas(data: dict[str, list[float]]) -> pl.DataFrame:
    return pl.DataFrame({"feature": [f for f, v in data.items() for _ in v],
                         "value": [x for v in data.values() for x in v]})


def _specs(rows: list[tuple[str, float | None, float | None, float | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame({"feature": [r[0] for r in rows], "nominal": [r[1] for r in rows],
                         "lsl": [r[2] for r in rows], "usl": [r[3] for r in rows],
                         "lower_bound_zero": [r[4] for r in rows]},
                        schema_overrides={"nominal": pl.Float64, "lsl": pl.Float64, "usl": pl.Float64})


@pytest.mark.parametrize("step", [0.001, 0.002, 0.005, 0.01, 0.0001, 0.5])
def test_known_gauge_steps_are_recovered(step: float) -> None:
    rng = np.random.default_rng(int(step * 1e5))
    k = np.round(rng.normal(0, 6, 120)).astype(int)
    vals = [round(42.0 + int(v) * step, 6) for v in k]
    out = resolution_all(_meas({"A": vals}), _specs([("A", 42.0, 42.0 - 100 * step, 42.0 + 100 * step, False)]))
    r = out.row(0, named=True)
    assert r["step"] == pytest.approx(step, rel=1e-9)
    assert r["step_method"] == "decimals"
    assert r["pct_tolerance"] == pytest.approx(0.5, rel=1e-9)
    assert r["adequate"] is True
    assert out.schema == pl.Schema(RESOLUTION_SCHEMA)


def test_coarse_step_and_few_distinct_values_are_flagged() -> None:
    # Step 0.01 on a tolerance of 0.05 = 20 % > 10 % (AIAG MSA rule of tens).
    coarse = [10.00, 10.01, 10.02, 10.01, 10.00, 10.02, 10.01, 10.03, 10.01, 10.02, 10.00, 9.99]
    # Fine step but only 3 distinct readings among 30 (AIAG MSA: ≥ 5 distinct categories).
    few = [5.001, 5.002, 5.003] * 10
    out = resolution_all(_meas({"C": coarse, "F": few}),
                         _specs([("C", 10.0, 9.975, 10.025, False), ("F", 5.0, 4.9, 5.1, False)]))
    c, f = out.row(0, named=True), out.row(1, named=True)
    assert c["pct_tolerance"] == pytest.approx(20.0) and c["adequate"] is False and "rule of tens" in c["note"]
    assert f["distinct_values"] == 3 and f["adequate"] is False and "distinct" in f["note"]


def test_continuous_values_fall_back_to_minimum_difference() -> None:
    vals = list(np.random.default_rng(0).normal(1.0, 0.01, 50))
    r = resolution_all(_meas({"X": vals}), _specs([("X", 1.0, 0.9, 1.1, False)])).row(0, named=True)
    s = np.sort(np.unique(vals))
    assert r["step_method"] == "min-difference"
    assert r["step"] == pytest.approx(np.min(np.diff(s)), rel=1e-6)


def test_one_sided_tolerances_and_edge_cases() -> None:
    pos = [0.012, 0.020, 0.031, 0.008, 0.015, 0.022, 0.027, 0.018, 0.011, 0.025]
    out = resolution_all(
        _meas({"P": pos, "Q": pos, "R": pos, "E": [3.0] * 8}),
        _specs([("P", 0.0, None, 0.1, True),        # nominal 0, USL 0.1 → tolerance 0.1
                ("Q", None, None, 0.05, True),      # no nominal, bounded at zero → |USL|
                ("R", None, None, 0.05, False),     # no nominal, not bounded: not judged
                ("E", 3.0, 2.9, 3.1, False),        # all equal
                ("N", 1.0, 0.0, 2.0, False)]),      # no readings
    )
    rows = {r["feature"]: r for r in out.iter_rows(named=True)}
    assert rows["P"]["tolerance"] == pytest.approx(0.1) and rows["P"]["pct_tolerance"] == pytest.approx(1.0)
    assert rows["Q"]["tolerance"] == pytest.approx(0.05)
    assert rows["R"]["pct_tolerance"] is None and rows["R"]["adequate"] is None
    assert rows["E"]["step"] is None and rows["E"]["distinct_values"] == 1 and rows["E"]["adequate"] is False
    assert rows["N"]["adequate"] is None and rows["N"]["distinct_values"] == 0
    assert list(rows) == ["P", "Q", "R", "E", "N"]
