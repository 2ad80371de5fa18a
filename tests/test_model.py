"""The canonical model: schema enforcement and combining several inputs into lots."""
from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from pilotqa.errors import SpecError
from pilotqa.model import MEASUREMENT_SCHEMA, SPEC_SCHEMA, Inspection, SourceFile, combine


def _insp(name: str, values: list[float], lot: str | None, lsl: float = 9.9) -> Inspection:
    n = len(values)
    meas = pl.DataFrame({
        "part_id": [f"P{i}" for i in range(n)],
        "lot": [lot] * n,
        "subgroup": [None] * n,
        "sequence": list(range(1, n + 1)),
        "timestamp": [datetime(2026, 1, 1)] * n,
        "feature": ["D"] * n,
        "value": values,
    })
    specs = pl.DataFrame({"feature": ["D"], "nominal": [10.0], "lsl": [lsl], "usl": [10.1],
                          "unit": ["mm"], "class": ["major"], "lower_bound_zero": [False],
                          "source": [name]})
    return Inspection(meas, specs, "long", files=[SourceFile(f"/x/{name}.csv", "0" * 64, "tabular")])


def test_schema_is_enforced() -> None:
    i = _insp("a", [10.0, 10.01], "L1")
    assert i.measurements.schema == pl.Schema(MEASUREMENT_SCHEMA)
    assert i.specs.schema == pl.Schema(SPEC_SCHEMA)
    assert i.n_parts == 2 and i.lots == ["L1"] and i.feature_names == ["D"]


def test_combine_makes_lots_from_files_and_renumbers_sequence() -> None:
    c = combine([_insp("lot1", [10.0, 10.01], None), _insp("lot2", [10.02, 10.03, 10.04], None)])
    assert c.lots == ["lot1", "lot2"]
    assert c.measurements["sequence"].to_list() == [1, 2, 3, 4, 5]
    assert c.n_parts == 5 and len(c.files) == 2 and c.specs.height == 1


def test_combine_refuses_conflicting_specs() -> None:
    with pytest.raises(SpecError, match="different specifications"):
        combine([_insp("a", [10.0], "L1"), _insp("b", [10.0], "L2", lsl=9.8)])
