"""The ``pilotqa.analysis/1`` JSON document — the contract other programs read.

Schema: ``pilotqa/schema/analysis.schema.json`` (a superset of the team's design schema: every
key named there is kept with its meaning; keys are only ever added). Numbers are numbers, an
undefined number is ``null`` (its reason in the feature's ``notes``); NaN and Infinity never
appear (:func:`dumps` uses ``allow_nan=False``).
"""
from __future__ import annotations

import dataclasses
import json
import os
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from math import isfinite
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
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
    """Per lot (in order of ``first_sequence``): distinct parts, first sequence number, first and
    last timestamp.

    The readings are reduced to one row per (lot, part) first — a group-by that hashes each
    reading once — and the lots are summarised from those: the same numbers as grouping the
    readings by lot with ``n_unique`` of the serials (a null serial counts once in both), in
    the same order (lots by first appearance, then sorted by first sequence), in about half the
    time at 10^6 readings.
    """
    if not meas.height:
        return []
    per_part = meas.group_by("lot", "part_id", maintain_order=True).agg(
        pl.col("sequence").min(),
        pl.col("timestamp").min().alias("first_timestamp"),
        pl.col("timestamp").max().alias("last_timestamp"),
    )
    g = (
        per_part.group_by("lot", maintain_order=True)
        .agg(
            pl.len().alias("parts"),
            pl.col("sequence").min().alias("first_sequence"),
            pl.col("first_timestamp").min(),
            pl.col("last_timestamp").max(),
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
        return [v if (u := type(v)) is float and v - v == 0.0 or v is None or u is str or u is int
                or u is bool else _fast(v) for v in obj]
    if t is dict:
        return {str(k): _fast(v) for k, v in obj.items()}
    spec = _FIELDS.get(t)
    if spec is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        spec = _fields(t)
    if spec is not None:
        out: dict[str, Any] = {}
        for name, key, omit_none in spec:
            v = getattr(obj, name)
            if v is None:
                if not omit_none:
                    out[key] = None
            elif (t := type(v)) is float and v - v == 0.0 or t is str or t is int or t is bool:
                out[key] = v  # kept as it is, without a call (``v - v``: NaN unless finite)
            else:
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


def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


#: Compact encoder (the C one where there is one) whose item separator is a bare newline: the
#: text :func:`_indent` turns into ``indent=2``. ``encode_basestring`` escapes every control
#: character, so each newline byte of its output is an item separator (never inside a string).
if c_make_encoder is not None:
    _compact_chunks = c_make_encoder(None, _no_default, encode_basestring, None, ": ", ",\n",
                                     False, False, False)

    def _compact(o: Any) -> str:
        return "".join(_compact_chunks(o, 0))
else:  # pragma: no cover - CPython always has the C encoder
    _compact = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",\n", ": ")).encode

#: Marker byte of "newline + indentation of depth k" (k = index): control characters, which the
#: encoder never writes raw; 10 (the newline itself) left out.
_MARKS = tuple(k for k in range(1, 32) if k != 10)
_MARK = np.array(_MARKS, dtype=np.uint8)
_EXPAND = tuple((bytes([m]), b"\n" + b"  " * k) for k, m in enumerate(_MARKS))
#: ``bytes.translate`` table: 1 for a quote, bracket or newline, 0 for any other byte.
_STRUCTURE = bytes(1 if chr(i) in '"{}[]\n' else 0 for i in range(256))
#: Bytes of compact text indented per call of :func:`_indent` (bounds its temporary arrays).
_CHUNK = 1 << 21


def _indent(b: bytes, depth: int) -> tuple[bytes, int] | None:
    """UTF-8 compact text (:func:`_compact`) indented as ``json.dumps(indent=2)`` writes it;
    ``b`` starts at nesting ``depth`` (0, or after a newline of a longer text). Returns the text
    and the depth at its end, or None when the nesting gets deeper than :data:`_MARKS` allows.

    Structure is found with numpy, without a Python loop: escaped quotes and backslashes are
    blanked (same length), every unescaped quote toggles "inside a string", brackets outside
    strings change the depth. Each newline byte becomes the marker of its depth, a marker is
    inserted after every non-empty opening bracket and before every non-empty closing one
    (``{}`` and ``[]`` stay as they are, as in ``json.dumps``), then each marker is replaced by a
    newline and its indentation (one ``bytes.replace`` per depth).
    """
    a = np.frombuffer(b, dtype=np.uint8)
    blank = b if b"\\" not in b else b.replace(b"\\\\", b"\0\0").replace(b'\\"', b"\0\0")
    pos = np.flatnonzero(np.frombuffer(blank.translate(_STRUCTURE), dtype=np.bool_))
    c = a[pos]
    quote = c == 34
    keep = ~(np.logical_xor.accumulate(quote) | quote)
    pos, c = pos[keep], c[keep]
    if not len(c):
        return b, depth
    opening = (c == 123) | (c == 91)
    closing = (c == 125) | (c == 93)
    d = np.cumsum(opening, dtype=np.int64)  # depth after each bracket or newline
    d -= np.cumsum(closing, dtype=np.int64)
    d += depth
    top = int(d.max())
    if top >= len(_MARKS):
        return None
    empty = np.zeros(len(c) + 1, dtype=bool)  # an opening bracket directly followed by its close
    empty[1:-1] = opening[:-1] & closing[1:] & (pos[1:] == pos[:-1] + 1)
    opening &= ~empty[1:]
    closing &= ~empty[:-1]
    newline = c == 10
    marked = a.copy()
    marked[pos[newline]] = _MARK[d[newline]]
    at = opening | closing
    out = np.insert(marked, pos[at] + opening[at], _MARK[d[at]]).tobytes()
    for mark, text in _EXPAND[: top + 1]:
        out = out.replace(mark, text)
    return out, int(d[-1])


def _indented_utf8(document: Any, errors: str) -> bytes | None:
    """UTF-8 of ``json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)`` (``errors``
    of the encoding: ``"surrogatepass"`` or ``"strict"``), None when nested deeper than
    :func:`_indent` handles. Written compactly by the C encoder with a newline as item separator,
    then indented by :func:`_indent` in pieces of about :data:`_CHUNK` bytes cut at newlines."""
    b = _compact(document).encode("utf-8", errors)
    pieces: list[bytes] = []
    pos, depth = 0, 0
    while pos < len(b):
        cut = b.find(b"\n", pos + _CHUNK)
        end = len(b) if cut < 0 else cut + 1
        done = _indent(b[pos:end], depth)
        if done is None:
            return None
        piece, depth = done
        pieces.append(piece)
        pos = end
    return b"".join(pieces)


def dumps(document: dict[str, Any]) -> str:
    """Serialise a document; raises ValueError if a NaN or Infinity slipped through.

    The text is ``json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)`` (the
    tests compare both). Python 3.11's C encoder writes no indentation, and the pure-Python
    indenting encoder costs a call per value, so the document is written compactly by the C
    encoder and indented afterwards (:func:`_indented_utf8`). A document nested deeper than
    that handles is written by ``json.dumps`` itself.
    """
    text = _indented_utf8(document, "surrogatepass")
    if text is None:
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
    return text.decode("utf-8", "surrogatepass")


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write the document as UTF-8 JSON: ``dumps(document)`` and a newline, each newline as the
    platform writes text (``os.linesep``), as ``path.write_text`` would — the UTF-8 bytes are
    written as they are, without decoding and encoding them again. A text that is not valid
    UTF-8 (a lone surrogate) or nested too deep goes through ``write_text`` itself, which then
    raises or writes exactly as before."""
    try:
        data = _indented_utf8(document, "strict")
    except UnicodeEncodeError:
        data = None
    if data is None:
        path.write_text(dumps(document) + "\n", encoding="utf-8")
        return
    newline = os.linesep.encode()
    with path.open("wb") as fh:
        fh.write(data if newline == b"\n" else data.replace(b"\n", newline))
        fh.write(newline)
