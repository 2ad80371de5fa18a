"""The ``pilotqa.analysis/1`` JSON document — the contract other programs read.

Schema: ``pilotqa/schema/analysis.schema.json`` (a superset of the team's design schema: every
key named there is kept with its meaning; keys are only ever added). Numbers are numbers, an
undefined number is ``null`` (its reason in the feature's ``notes``); NaN and Infinity never
appear (:func:`dumps` uses ``allow_nan=False``).
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from math import isfinite
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


class _NonFinite(Exception):
    """Raised by the fast conversion at the first non-finite float (its path is then needed)."""


#: Per dataclass type: (attribute, JSON key, omit when None) of each field written to JSON.
_FIELDS: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, str, bool], ...]:
    spec = _FIELDS.get(cls)
    if spec is None:
        spec = tuple((f.name, key, bool(f.metadata.get("omit_none")))
                     for f in dataclasses.fields(cls) if (key := json_name(f)) is not None)
        _FIELDS[cls] = spec
    return spec


def _fast(obj: Any) -> Any:
    """:func:`_to_json_paths` without building paths: plain ``float``/``int``/``bool``/``str``/
    ``None``/``list``/``tuple``/``dict`` and dataclasses by their exact type, anything else as
    that function does; raises :class:`_NonFinite` where that function would record a path."""
    t = type(obj)
    if t is float:
        if isfinite(obj):
            return obj
        raise _NonFinite
    if obj is None or t is str or t is int or t is bool:
        return obj
    if t is list or t is tuple:
        return [_fast(v) for v in obj]
    if t is dict:
        return {str(k): _fast(v) for k, v in obj.items()}
    spec = _FIELDS.get(t)
    if spec is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        spec = _fields(t)
    if spec is not None:
        out: dict[str, Any] = {}
        for name, key, omit_none in spec:
            v = getattr(obj, name)
            if not (omit_none and v is None):
                out[key] = _fast(v)
        return out
    if isinstance(obj, (list, tuple)):
        return [_fast(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _fast(v) for k, v in obj.items()}
    probe: list[str] = []
    value = json_safe(obj, "$", probe)
    if probe:
        raise _NonFinite
    return value


def _to_json_paths(obj: Any, where: str, bad: list[str] | None) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for name, key, omit_none in _fields(type(obj)):
            v = getattr(obj, name)
            if not (omit_none and v is None):
                out[key] = _to_json_paths(v, f"{where}.{key}", bad)
        return out
    if isinstance(obj, (list, tuple)):
        return [_to_json_paths(v, f"{where}[{i}]", bad) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        return {str(k): _to_json_paths(v, f"{where}.{k}", bad) for k, v in obj.items()}
    return json_safe(obj, where, bad)


def to_json(obj: Any, where: str = "$", bad: list[str] | None = None) -> Any:
    """JSON value of a typed result: dataclasses become objects keyed by their JSON names
    (:func:`pilotqa.results.json_name`; fields marked ``json=False`` are left out), tuples become
    lists, non-finite floats become null (their path appended to ``bad``).

    The value is built without paths first (field lists cached per type); only a value holding a
    non-finite number is walked again with paths, so ``bad`` gets the same entries in the same
    order either way.
    """
    try:
        return _fast(obj)
    except _NonFinite:
        return _to_json_paths(obj, where, bad)


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
    }
    # Everything but the features through json_safe (the features are JSON values already, and
    # json_safe leaves such values as they are); "features" is the last key, as before.
    document = json_safe(document, "$", bad)
    document["features"] = features
    if bad:
        document["input"]["notes"].append(
            "internal: non-finite numbers replaced by null at " + ", ".join(bad[:10])
        )
    return document


_SCALARS = frozenset((str, int, float, bool, type(None)))
_scalar = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


#: Compact encoder per nesting depth whose item separator is the newline and indentation of
#: that depth's items (see :func:`dumps`): the C encoder where there is one.
_FLAT: dict[int, Callable[[Any], str]] = {}


def _flat(depth: int) -> Callable[[Any], str]:
    enc = _FLAT.get(depth)
    if enc is None:
        item_sep = ",\n" + "  " * (depth + 1)
        if c_make_encoder is not None:
            it = c_make_encoder(None, _no_default, encode_basestring, None, ": ", item_sep,
                                False, False, False)

            def enc(o: Any) -> str:
                return "".join(it(o, 0))
        else:  # pragma: no cover - CPython always has the C encoder
            enc = json.JSONEncoder(ensure_ascii=False, allow_nan=False,
                                   separators=(item_sep, ": ")).encode
        _FLAT[depth] = enc
    return enc


def _leaf(v: Any) -> str:
    """A number, string, boolean or null as :func:`json.dumps` writes it (``allow_nan=False``)."""
    t = type(v)
    if t is str:
        return encode_basestring(v)
    if t is float and isfinite(v):
        return float.__repr__(v)
    if t is int:
        return int.__repr__(v)
    return _scalar(v)


def _key(k: Any) -> str:
    """A dict key as :func:`json.dumps` writes it (str kept; float, bool, None, int converted)."""
    if isinstance(k, str):
        return encode_basestring(k)
    if isinstance(k, (float, bool)) or k is None:
        return encode_basestring(_scalar(k))
    if isinstance(k, int):
        return encode_basestring(int.__repr__(k))
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _indented(o: Any, depth: int, out: list[str]) -> None:
    """Append ``o`` as ``json.dumps(indent=2)`` writes it at nesting ``depth`` (a container)."""
    inner = "\n" + "  " * (depth + 1)
    if isinstance(o, dict):
        if not o:
            out.append("{}")
        elif all(type(v) in _SCALARS for v in o.values()):
            out.append("{" + inner + _flat(depth)(o)[1:-1] + "\n" + "  " * depth + "}")
        else:
            sep = "{" + inner
            for k, v in o.items():
                if type(v) in _SCALARS:
                    out.append(sep + _key(k) + ": " + _leaf(v))
                else:
                    out.append(sep + _key(k) + ": ")
                    _indented(v, depth + 1, out)
                sep = "," + inner
            out.append("\n" + "  " * depth + "}")
    elif isinstance(o, (list, tuple)):
        if not o:
            out.append("[]")
        elif all(type(v) in _SCALARS for v in o):
            out.append("[" + inner + _flat(depth)(o)[1:-1] + "\n" + "  " * depth + "]")
        else:
            sep = "[" + inner
            for v in o:
                if type(v) in _SCALARS:
                    out.append(sep + _leaf(v))
                else:
                    out.append(sep)
                    _indented(v, depth + 1, out)
                sep = "," + inner
            out.append("\n" + "  " * depth + "]")
    else:
        out.append(_scalar(o))


def dumps(document: dict[str, Any]) -> str:
    """Serialise a document; raises ValueError if a NaN or Infinity slipped through.

    The text is ``json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)`` (the
    tests compare both): Python 3.11's C encoder writes no indentation, so an object or array
    holding only numbers, strings, booleans and nulls is written by the C encoder with the
    newline and indentation of its items as the item separator, and only the nesting around
    such leaves is walked in Python.
    """
    out: list[str] = []
    _indented(document, 0, out)
    return "".join(out)


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write the document as UTF-8 JSON."""
    path.write_text(dumps(document) + "\n", encoding="utf-8")
