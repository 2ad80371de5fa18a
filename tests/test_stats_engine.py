"""The statistics engine: every feature's JSON object, edge cases, JSON safety, schema."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from pilotqa.errors import PolicyError
from pilotqa.model import MEASUREMENT_SCHEMA, Inspection
from pilotqa.report.json import to_json
from pilotqa.results import FeatureStats
from pilotqa.settings import Settings
from pilotqa.stats import compute, json_safe


def _doc(fs: FeatureStats) -> dict[str, Any]:
    """The feature's statistics as written to JSON (without the decision)."""
    out: dict[str, Any] = to_json(fs)
    return out

REQUIRED_KEYS = (
    "feature unit nominal lsl usl class lower_bound_zero n n_missing n_out_of_spec n_subgroups subgroup_size "
    "mean sigma_within sigma_within_method sigma_overall cp cpl cpu cpk pp ppl ppu ppk cpm cp_ci cpk_ci pp_ci "
    "ppk_ci confidence ppm_expected ppm_observed normality capability_model stability drift resolution lots notes"
).split()


def _inspection(readings: dict[str, list[float | None]], specs: list[tuple[Any, ...]],
                lots: dict[str, list[str]] | None = None, subgroup: dict[str, list[int]] | None = None) -> Inspection:
    rows: list[dict[str, Any]] = []
    for f, vals in readings.items():
        for i, v in enumerate(vals):
            rows.append({"part_id": f"P{i:04d}", "lot": (lots or {}).get(f, ["L1"] * len(vals))[i],
                         "subgroup": (subgroup or {}).get(f, [None] * len(vals))[i], "sequence": i,
                         "timestamp": None, "feature": f, "value": v})
    meas = pl.DataFrame(rows, schema=MEASUREMENT_SCHEMA)
    sp = pl.DataFrame(
        {"feature": [s[0] for s in specs], "nominal": [s[1] for s in specs], "lsl": [s[2] for s in specs],
         "usl": [s[3] for s in specs], "unit": ["mm"] * len(specs), "class": ["major"] * len(specs),
         "lower_bound_zero": [s[4] if len(s) > 4 else False for s in specs], "source": ["test"] * len(specs)},
        schema_overrides={"nominal": pl.Float64, "lsl": pl.Float64, "usl": pl.Float64},
    )
    return Inspection(measurements=meas, specs=sp, layout="long")


@pytest.fixture(scope="module")
def feature_validator() -> Any:
    import jsonschema

    path = Path(__file__).resolve().parents[1] / "pilotqa" / "schema" / "analysis.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    sub = dict(schema["properties"]["features"]["items"])
    sub["$defs"] = schema.get("$defs", {})
    return jsonschema.Draft202012Validator(sub)


@pytest.fixture(scope="module")
def edge_results() -> list[FeatureStats]:
    rng = np.random.default_rng(42)
    n = 60
    lots3 = [f"L{1 + i * 3 // n}" for i in range(n)]
    readings: dict[str, list[float | None]] = {
        "NORMAL": list(rng.normal(10.0, 0.01, n)),
        "SUBGROUPS": list(rng.normal(5.0, 0.02, 50)),
        "POSITION": list(np.round(np.abs(rng.normal(0, 0.015, (n, 2))).sum(axis=1), 4)),
        "ONE": [1.0],
        "ALLNULL": [None, None, None],
        "CONST": [2.0] * 20,
        "ALLOUT": list(rng.normal(20.0, 0.1, 30)),
        "NOLIMITS": list(rng.normal(1.0, 0.1, 30)),
        "TWO": [1.0, 1.1],
        "MISSING": [1.0, None, 1.02, 0.99, 1.01, None, 1.0, 1.03, 0.98, 1.0],
    }
    specs = [("NORMAL", 10.0, 9.95, 10.05), ("SUBGROUPS", 5.0, 4.9, 5.1), ("POSITION", 0.0, None, 0.1, True),
             ("ONE", 1.0, 0.0, 2.0), ("ALLNULL", 1.0, 0.0, 2.0), ("CONST", 2.0, 1.0, 3.0),
             ("ALLOUT", 10.0, 9.0, 11.0), ("NOLIMITS", None, None, None), ("TWO", 1.0, 0.0, 2.0),
             ("MISSING", 1.0, 0.9, 1.1), ("NODATA", 1.0, 0.0, 2.0)]
    lots = {"NORMAL": lots3, "POSITION": lots3}
    sub = {"SUBGROUPS": [i // 5 + 1 for i in range(50)]}
    return compute(_inspection(readings, specs, lots, sub), Settings())


def _by(results: list[FeatureStats]) -> dict[str, dict[str, Any]]:
    return {r.feature: _doc(r) for r in results}


def test_spec_order_keys_and_json_safety(edge_results: list[FeatureStats], feature_validator: Any) -> None:
    assert [r.feature for r in edge_results] == ["NORMAL", "SUBGROUPS", "POSITION", "ONE", "ALLNULL", "CONST",
                                                 "ALLOUT", "NOLIMITS", "TWO", "MISSING", "NODATA"]
    for r in edge_results:
        for k in REQUIRED_KEYS:
            assert k in _doc(r), (r.feature, k)
        json.dumps(_doc(r), allow_nan=False)
        errors = list(feature_validator.iter_errors(_doc(r)))
        assert not errors, (r.feature, [e.message for e in errors[:3]])
        assert all(isinstance(s, str) and s for s in _doc(r)["notes"])


def test_normal_individuals_feature(edge_results: list[FeatureStats]) -> None:
    d = _by(edge_results)["NORMAL"]
    assert d["sigma_within_method"] == "mr" and d["n_subgroups"] is None and d["subgroup_size"] is None
    # Nothing from the overall SD is labelled C: Cp uses sigma_within, Pp uses sigma_overall.
    assert d["cp"] == pytest.approx(0.1 / (6 * d["sigma_within"]))
    assert d["pp"] == pytest.approx(0.1 / (6 * d["sigma_overall"]))
    assert d["cpk_ci"][0] < d["cpk"] < d["cpk_ci"][1]
    assert d["normality"]["normal"] is True and d["capability_model"]["decision_basis"] == "normal"
    assert d["ppm_expected"] == d["ppm_expected_normal"]
    assert d["stability"] is not None and d["drift"] is not None and d["resolution"]["step"] is not None
    fr = next(r for r in edge_results if r.feature == "NORMAL")
    assert np.all(np.diff(fr.series.sequence) > 0) and len(fr.series.values) == 60
    assert len(fr.series.lot) == 60 and len(fr.series.part_id) == 60
    assert len(fr.series.x_points) == 60 and len(fr.series.range_points) == 59


def test_subgrouped_feature_uses_pooled(edge_results: list[FeatureStats]) -> None:
    d = _by(edge_results)["SUBGROUPS"]
    assert d["sigma_within_method"] == "pooled" and d["n_subgroups"] == 10 and d["subgroup_size"] == 5.0


def test_one_sided_bounded_at_zero(edge_results: list[FeatureStats]) -> None:
    d = _by(edge_results)["POSITION"]
    assert d["cp"] is None and d["pp"] is None and d["cpk"] == d["cpu"] and d["ppk"] == d["ppu"]
    assert d["cp_ci"] is None and d["cpk_ci"] is not None
    cm = d["capability_model"]
    assert cm["candidates"] and cm["decision_basis"] in ("normal", "percentile") and cm["reason"]
    if cm["decision_basis"] == "percentile":
        assert d["ppm_expected"] == cm["ppm_expected"] and d["ppm_expected_model"] == cm["distribution"]
    assert any("upper specification limit" in s for s in d["notes"])


@pytest.mark.parametrize("feature, phrase", [
    ("ONE", "Only one reading"), ("ALLNULL", "No readings"), ("CONST", "All readings are equal"),
    ("ALLOUT", "outside the specification"), ("NOLIMITS", "No specification limits"),
    ("NODATA", "No readings"), ("MISSING", "not measured"),
])
def test_edge_cases_explain_themselves(edge_results: list[FeatureStats], feature: str, phrase: str) -> None:
    d = _by(edge_results)[feature]
    assert any(phrase in s for s in d["notes"]), d["notes"]


def test_edge_case_values(edge_results: list[FeatureStats]) -> None:
    d = _by(edge_results)
    assert d["ALLNULL"]["n"] == 0 and d["ALLNULL"]["n_missing"] == 3 and d["ALLNULL"]["mean"] is None
    assert d["NODATA"]["n"] == 0 and d["NODATA"]["capability_model"] is None
    assert d["ONE"]["n"] == 1 and d["ONE"]["sigma_overall"] is None and d["ONE"]["cpk"] is None
    assert d["CONST"]["sigma_overall"] == 0.0 and d["CONST"]["cpk"] is None and d["CONST"]["capability_model"] is None
    assert d["CONST"]["resolution"]["adequate"] is False
    assert d["ALLOUT"]["n_out_of_spec"] == 30 and d["ALLOUT"]["ppm_observed"] == 1e6
    assert d["NOLIMITS"]["cpk"] is None and d["NOLIMITS"]["ppm_observed"] is None and d["NOLIMITS"]["mean"] is not None
    assert d["TWO"]["cp_ci"] is not None and d["TWO"]["normality"]["normal"] is None
    assert d["MISSING"]["n"] == 8 and d["MISSING"]["n_missing"] == 2
    for f in ("ONE", "NORMAL"):
        lots = d[f]["lots"]
        assert lots is None or isinstance(lots, dict)


def test_bad_settings_raise_policy_error() -> None:
    insp = _inspection({"A": [1.0, 2.0, 3.0]}, [("A", 2.0, 0.0, 4.0)])
    with pytest.raises(PolicyError, match="sigma_within"):
        compute(insp, Settings(sigma_within="median"))
    with pytest.raises(PolicyError, match="confidence"):
        compute(insp, Settings(confidence=1.5))


def test_sigma_within_setting_is_recorded() -> None:
    rng = np.random.default_rng(3)
    insp = _inspection({"A": list(rng.normal(0, 1, 40))}, [("A", 0.0, -5.0, 5.0)],
                       subgroup={"A": [i // 4 for i in range(40)]})
    for method in ("pooled", "rbar", "sbar", "mr"):
        d = _doc(compute(insp, Settings(sigma_within=method))[0])
        assert d["sigma_within_method"] == method


def test_json_safe() -> None:
    assert json_safe({"x": np.array([1.0, np.nan]), "y": np.bool_(True), "z": (np.float32(2.5),)}) == \
        {"x": [1.0, None], "y": True, "z": [2.5]}


def test_sample_data_long_csv(sample_dir: Path) -> None:
    path = sample_dir / "housing_pilot_long.csv"
    from pilotqa.read import read

    res = compute(read([path]), Settings())
    d = {r.feature: _doc(r) for r in res}
    assert len(res) == 12
    for doc in d.values():
        json.dumps(doc, allow_nan=False)
    # Bounded-at-zero features get a fitted model; the roughness is generated lognormal.
    assert d["ROUGHNESS_RA"]["capability_model"]["candidates"]
    assert d["HOLE1_POS"]["cp"] is None and d["HOLE1_POS"]["cpk"] is not None
    # The drifting feature: overall spread much larger than the moving-range sigma.
    assert d["BORE_C_DEPTH"]["ppk"] < d["BORE_C_DEPTH"]["cpk"]
