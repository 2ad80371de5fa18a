"""The ``pilotqa.analysis/1`` JSON document — the contract other programs read.

Schema: ``pilotqa/schema/analysis.schema.json`` (a superset of the team's design schema: every
key named there is kept with its meaning; keys are only ever added). Numbers are numbers, an
undefined number is ``null`` (its reason in the feature's ``notes``); NaN and Infinity never
appear (:func:`dumps` uses ``allow_nan=False``).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pilotqa.decide.policy import decision_settings
from pilotqa.results import FeatureResult, json_name
from pilotqa.util import json_safe

if TYPE_CHECKING:
    from pilotqa.analysis import AnalysisResult

__all__ = ["SCHEMA_ID", "build_document", "feature_json", "to_json", "dumps", "write_json", "schema_path"]

SCHEMA_ID = "pilotqa.analysis/1"


def schema_path() -> Path:
    """Path of the JSON Schema shipped with pilotqa."""
    return Path(__file__).resolve().parent.parent / "schema" / "analysis.schema.json"


def _lot_details(meas: pl.DataFrame) -> list[dict[str, Any]]:
    if not meas.height:
        return []
    g = (
        meas.group_by("lot", maintain_order=True)
        .agg(
            pl.col("part_id").n_unique().alias("parts"),
            pl.col("sequence").min().alias("first_sequence"),
            pl.col("timestamp").min().alias("first_timestamp"),
            pl.col("timestamp").max().alias("last_timestamp"),
        )
        .sort("first_sequence")
    )
    return g.to_dicts()


def to_json(obj: Any, where: str = "$", bad: list[str] | None = None) -> Any:
    """JSON value of a typed result: dataclasses become objects keyed by their JSON names
    (:func:`pilotqa.results.json_name`; fields marked ``json=False`` are left out), tuples become
    lists, non-finite floats become null (their path appended to ``bad``)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            key = json_name(f)
            if key is not None and not (f.metadata.get("omit_none") and getattr(obj, f.name) is None):
                out[key] = to_json(getattr(obj, f.name), f"{where}.{key}", bad)
        return out
    if isinstance(obj, (list, tuple)):
        return [to_json(v, f"{where}[{i}]", bad) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        return {str(k): to_json(v, f"{where}.{k}", bad) for k, v in obj.items()}
    return json_safe(obj, where, bad)


def feature_json(fr: FeatureResult, bad: list[str] | None = None) -> dict[str, Any]:
    """The feature object of ``pilotqa.analysis/1``: the statistics, the class the decision used
    (``class``, ``class_source``) and the ``decision``."""
    where = f"$.features[{fr.feature}]"
    doc: dict[str, Any] = to_json(fr.stats, where, bad)
    doc["class"] = fr.class_
    doc["class_source"] = fr.class_source
    doc["decision"] = to_json(fr.decision, f"{where}.decision", bad)
    return doc


def build_document(result: "AnalysisResult") -> dict[str, Any]:
    """Assemble the JSON document of one analysis (JSON-safe, validated by the tests).

    This is the one place where ``pilotqa.analysis/1`` is written.
    """
    from pilotqa import __version__

    insp = result.inspection
    bad: list[str] = []
    features = [feature_json(fr, bad) for fr in result.features]
    attributes: list[dict[str, Any]] = []
    if insp.attributes is not None and insp.attributes.height:
        attributes = (
            insp.attributes.group_by("feature", maintain_order=True)
            .agg(
                pl.len().alias("samples"),
                pl.col("sample_size").sum().alias("inspected"),
                pl.col("nonconforming").sum().alias("nonconforming"),
            )
            .to_dicts()
        )
    decision = decision_settings(result.policy, result.settings, result.lot_size, result.lot_size_source)
    decision.pop("policy", None)
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "pilotqa", "version": __version__},
        "generated_at": result.generated_at.isoformat(),
        "input": {
            "files": [{"path": f.path, "sha256": f.sha256, "format": f.format} for f in insp.files],
            "layout": insp.layout,
            "parts": insp.n_parts,
            "lots": insp.lots,
            "lot_details": _lot_details(insp.measurements),
            "features": len(result.features),
            "readings": insp.measurements.height,
            # go/no-go verdicts read per part (Inspection.attribute_readings)
            "go_nogo_readings": insp.attribute_readings.height if insp.attribute_readings is not None else 0,
            "metadata": dict(insp.metadata),
            "attribute_characteristics": attributes,
            "notes": list(insp.notes),
        },
        "settings": {
            **result.settings.to_json(),
            "policy": result.policy.to_json(),
            "decision": decision,
        },
        "inspection_plan": to_json(result.inspection_plan, "$.inspection_plan", bad),
        "overall": result.overall,
        "readiness": to_json(result.readiness, "$.readiness", bad),
        "features": features,
    }
    document = json_safe(document, "$", bad)
    if bad:
        document["input"]["notes"].append(
            "internal: non-finite numbers replaced by null at " + ", ".join(bad[:10])
        )
    return document


def dumps(document: dict[str, Any]) -> str:
    """Serialise a document; raises ValueError if a NaN or Infinity slipped through."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write the document as UTF-8 JSON."""
    path.write_text(dumps(document) + "\n", encoding="utf-8")
