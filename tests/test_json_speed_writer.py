"""The faster JSON writer and typed-result conversion (issue 16) give exactly what the plain ones gave.

* :func:`pilotqa.report.json.dumps` writes the document compactly with the C encoder and indents
  the text with numpy in pieces cut at newlines (:func:`pilotqa.report.json._indent`): its text
  must equal ``json.dumps(indent=2, ensure_ascii=False, allow_nan=False)`` for any JSON value —
  strings full of brackets, quotes, backslashes, control characters and non-ASCII text, empty
  containers, pieces as small as one item (``_CHUNK`` lowered), and nesting deeper than the
  indentation markers cover (written by ``json.dumps`` itself).
* :func:`pilotqa.report.json._lot_details` reduces the readings per (lot, part) first: it must
  give the lot table of the plain group-by (``_reference_lot_details``, the former expression).
* :func:`pilotqa.results.from_mapping` builds without the names of nested values and starts
  again with names only at a bad key: objects and error messages must equal the named
  conversion's (``_from_mapping_named``, the former implementation), also for one-shot iterables.
* :func:`pilotqa.util.json_safe` without paths gives the values it gives with paths, and
  :func:`pilotqa.util.finite_or_none` takes a plain float without calls: the same value as the
  general conversion (``_reference_finite_or_none``, the former implementation).
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pilotqa.report.json as pj
from pilotqa.report.json import build_document, dumps, write_json
from pilotqa.results import (
    CapabilityModel, Drift, LotEffect, Normality, Stability, Violation, _from_mapping_named, from_mapping,
)
from pilotqa.util import finite_or_none, json_safe
from tests.equality import type_tree
from tests.report_fixtures import make_result
from tests.test_fits_fast import MODEL_DOC


def _reference(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


#: Text that looks like JSON structure, escapes, control characters, non-ASCII and a lone surrogate.
_NASTY = ["", "{", "}", "[", "]", "[]", "{}", '"', "\\", '\\"', '"\\', "\n", "\r\n", "\t", "\x00", "\x01",
          "\x1f", "\x7f", "é", "σ", "…", "\u2028", "\U0001f600", "\ud800", "a, b", ": ", '{"a": [1]}',
          "\\\\\"", "\\n", ",\n  "]
_TEXT = st.one_of(st.text(max_size=8), st.sampled_from(_NASTY),
                  st.lists(st.sampled_from(_NASTY), max_size=6).map("".join))
_LEAF = st.one_of(_TEXT, st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                  st.booleans(), st.none())
_KEY = st.one_of(_TEXT, st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                 st.booleans(), st.none())
_JSON = st.recursive(_LEAF, lambda kids: st.one_of(
    st.lists(kids, max_size=5), st.lists(kids, max_size=3).map(tuple),
    st.dictionaries(_KEY, kids, max_size=5)), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(obj=_JSON, chunk=st.sampled_from([0, 1, 7, 64, 1 << 21]))
@example(obj={"a": [], "b": {}, "c": [[]], "d": [{}, {"e": []}]}, chunk=0)
@example(obj=[{"k": '"}]\\'}, ["[", {"\n": "{"}]], chunk=1)
def test_dumps_equals_json_dumps_in_any_pieces(obj: Any, chunk: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pj, "_CHUNK", chunk)
        assert dumps(obj) == _reference(obj)


def _nested(depth: int, leaf: Any) -> Any:
    obj = leaf
    for i in range(depth):
        obj = [obj, i] if i % 2 else {"k": obj, "s": "]}"}
    return obj


@pytest.mark.parametrize("depth", [0, 1, 29, 30, 31, 45])
@pytest.mark.parametrize("chunk", [1, 1 << 21])
def test_dumps_deep_nesting(depth: int, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """30 indentation markers (depths 0-29); deeper documents are written by json.dumps."""
    monkeypatch.setattr(pj, "_CHUNK", chunk)
    obj = _nested(depth, [1.5, "x", None])
    assert dumps(obj) == _reference(obj)


def test_dumps_refuses_non_finite_numbers_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pj, "_CHUNK", 1)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            dumps({"a": [1, 2, {"b": [0.5, bad]}]})
    with pytest.raises(TypeError):
        dumps({"a": [1, {"b": object()}]})


def test_dumps_of_a_document_in_small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    document = build_document(make_result(5, 60))
    text = _reference(document)
    for chunk in (1, 100, 5000, 1 << 21):
        monkeypatch.setattr(pj, "_CHUNK", chunk)
        assert dumps(document) == text


def _write_text_reference(document: Any, path: Path) -> None:
    """The former ``write_json``."""
    path.write_text(_reference(document) + "\n", encoding="utf-8")


@pytest.mark.parametrize("document", [
    build_document(make_result(4, 50)), {"a": "σ … ü \U0001f600", "b": [[], {}, ["\n"]]}, _nested(40, "x"), "s",
])
def test_write_json_writes_the_bytes_of_write_text(document: Any, tmp_path: Path) -> None:
    write_json(document, tmp_path / "a.json")
    _write_text_reference(document, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_write_json_errors_as_before(tmp_path: Path) -> None:
    """A lone surrogate cannot be written as UTF-8 (same error as write_text); a NaN is refused
    before the file is created."""
    bad = {"a": ["x", "\ud800"]}
    with pytest.raises(UnicodeEncodeError) as got:
        write_json(bad, tmp_path / "a.json")
    with pytest.raises(UnicodeEncodeError) as ref:
        _write_text_reference(bad, tmp_path / "b.json")
    assert str(got.value) == str(ref.value)
    with pytest.raises(ValueError):
        write_json({"a": [1.0, math.nan]}, tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists()


# ----------------------------------------------------------------------------- lot details
def _reference_lot_details(meas: pl.DataFrame) -> list[dict[str, Any]]:
    if not meas.height:
        return []
    return (
        meas.group_by("lot", maintain_order=True)
        .agg(
            pl.col("part_id").n_unique().alias("parts"),
            pl.col("sequence").min().alias("first_sequence"),
            pl.col("timestamp").min().alias("first_timestamp"),
            pl.col("timestamp").max().alias("last_timestamp"),
        )
        .sort("first_sequence")
        .to_dicts()
    )


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["A", "B", "C", "L01", "L10"])),
                               st.one_of(st.none(), st.sampled_from(["P1", "P2", "P3", "SN7", ""])),
                               st.one_of(st.none(), st.integers(-3, 40)),
                               st.one_of(st.none(), st.integers(0, 10_000))), max_size=60))
def test_lot_details_equal_the_plain_group_by(rows: list[tuple[Any, ...]]) -> None:
    t0 = datetime(2026, 1, 1)
    meas = pl.DataFrame(
        {"part_id": [r[1] for r in rows], "lot": [r[0] for r in rows], "sequence": [r[2] for r in rows],
         "timestamp": [None if r[3] is None else t0 + timedelta(minutes=r[3]) for r in rows],
         "value": [1.0] * len(rows)},
        schema={"part_id": pl.String, "lot": pl.String, "sequence": pl.Int64, "timestamp": pl.Datetime("us"),
                "value": pl.Float64})
    assert pj._lot_details(meas) == _reference_lot_details(meas)


def test_lot_details_of_an_analysis() -> None:
    meas = make_result(6, 80).inspection.measurements
    got = pj._lot_details(meas)
    assert got == _reference_lot_details(meas) and len(got) >= 2


# ----------------------------------------------------------------------------- from_mapping
_STAB = {"chart": "xbar-r", "center": 1.0, "lcl": 0.5, "ucl": 1.5, "range_center": 0.2, "range_lcl": 0.0,
         "range_ucl": 0.4, "violations": [{"chart": "x", "rule": 1, "index": 3, "part_id": "SN1", "point": 4},
                                          {"chart": "range", "rule": 2, "index": 5}],
         "stable": False, "sigma": 0.1, "sigma_method": "rbar_d2", "rules": [1, 2], "range_rules": [1],
         "nsigma": 3.0, "phase": "I", "n_points": 20, "subgroup_size": 5, "subgroup_sizes": [5],
         "notes": ["a", "b"]}
_MODEL = MODEL_DOC


def _outcome(fn: Any, *args: Any) -> tuple[str, str]:
    try:
        return "ok", repr(fn(*args))
    except Exception as exc:  # noqa: BLE001 - the outcome compared, whatever it is
        return type(exc).__name__, str(exc)


def _mutations() -> Iterator[tuple[type, dict[str, Any]]]:
    """Good documents, documents with optional keys left out, unknown and missing keys at every
    level, and values of other types."""
    yield Stability, _STAB
    yield CapabilityModel, _MODEL
    yield Violation, {"chart": "x", "rule": 1, "index": 4}
    yield Stability, {**_STAB, "violations": [{"chart": "x", "rule": 1, "index": 3, "oops": 1}]}
    yield Stability, {**_STAB, "violations": [{"chart": "x", "index": 3}]}
    yield Stability, {**_STAB, "extra": 1, "more": 2}
    yield Stability, {k: v for k, v in _STAB.items() if k != "phase"}
    yield Stability, {**_STAB, "violations": (Violation("x", 1, 2), {"chart": "x", "rule": 1, "index": 3})}
    yield Stability, {**_STAB, "violations": None}
    yield Stability, {**_STAB, "rules": 5}
    yield CapabilityModel, {**_MODEL, "percentiles": {"x0_135": 0.1, "x50": 1.0}}
    yield CapabilityModel, {**_MODEL, "percentiles": None, "ppk_ci": None}
    yield CapabilityModel, {**_MODEL, "params": [("s", 0.4)]}
    yield CapabilityModel, {**_MODEL, "alternatives": [{"distribution": "x", "aic_delta": 0.0, "ppk": None,
                                                        "ppk_ci": None, "oops": 1}]}
    yield CapabilityModel, {k: v for k, v in _MODEL.items() if k not in ("ci_method", "alternatives")}
    yield Normality, {"ad_statistic": 1.0, "ad_p_value": 0.5, "sw_p_value": 0.4, "normal": True, 3: 4}
    yield Drift, {"slope": 1.0}
    yield LotEffect, {}


@pytest.mark.parametrize("i", range(len(list(_mutations()))))
@pytest.mark.parametrize("where", ["", "F1: stats"])
def test_from_mapping_equals_the_named_conversion(i: int, where: str) -> None:
    cls, data = list(_mutations())[i]
    assert _outcome(from_mapping, cls, data, where) == _outcome(_from_mapping_named, cls, data, where)


def test_from_mapping_of_one_shot_iterables_starts_again_from_the_same_data() -> None:
    """A generator is not converted by the unnamed pass (it could be consumed by it before a bad
    key further on sends the conversion back to the start)."""
    def gen() -> Iterator[Any]:
        yield from _STAB["violations"]

    bad = {**_STAB, "rules": (r for r in [1, 2]), "violations": gen(), "oops": 1}
    with pytest.raises(TypeError, match=r"^S: unknown key\(s\) oops$"):
        from_mapping(Stability, bad, "S")
    good = {**_STAB, "rules": (r for r in [1, 2]), "violations": gen()}
    assert from_mapping(Stability, good) == _from_mapping_named(Stability, {**_STAB})
    nested_bad = {**_STAB, "rules": iter([1, 2]),
                  "violations": iter([{"chart": "x", "rule": 1, "index": 3}, {"chart": "x", "rule": 1}])}
    with pytest.raises(TypeError, match=r"^S\.violations\[1\]: missing key index$"):
        from_mapping(Stability, nested_bad, "S")


def test_from_mapping_of_another_mapping_type() -> None:
    from types import MappingProxyType
    assert from_mapping(Stability, MappingProxyType(_STAB)) == from_mapping(Stability, dict(_STAB))


# ----------------------------------------------------------------------------- json_safe
_ANY = st.recursive(
    st.one_of(st.floats(), st.integers(), st.none(), st.booleans(), st.text(max_size=4),
              st.floats().map(np.float64), st.integers(-5, 5).map(np.int64), st.booleans().map(np.bool_),
              st.floats(width=32).map(np.float32)),
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.lists(kids, max_size=3).map(tuple),
                           st.dictionaries(st.one_of(st.text(max_size=3), st.integers(), st.none()), kids,
                                           max_size=4),
                           st.lists(st.floats(), max_size=4).map(np.array)),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(obj=_ANY)
def test_json_safe_without_paths_equals_with_paths(obj: Any) -> None:
    bad: list[str] = []
    with_paths = json_safe(obj, "$", bad)
    without = json_safe(obj)
    assert json.dumps(without, allow_nan=True) == json.dumps(with_paths, allow_nan=True)
    assert type_tree(without) == type_tree(with_paths)


def _reference_finite_or_none(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@settings(max_examples=300, deadline=None)
@given(x=st.one_of(st.floats(), st.integers(), st.booleans(), st.none(), st.text(max_size=5),
                   st.floats().map(np.float64), st.integers(-9, 9).map(np.int64), st.booleans().map(np.bool_),
                   st.sampled_from(["1.5", " 2 ", "nan", "inf", "-0.0", "1e400", b"3"]),
                   st.floats().map(lambda f: [f])))
@example(x=-0.0)
@example(x=float("-inf"))
def test_finite_or_none_equals_the_general_conversion(x: Any) -> None:
    got, ref = finite_or_none(x), _reference_finite_or_none(x)
    assert type(got) is type(ref) and (got == ref or (got is None and ref is None))
    assert got is None or math.copysign(1.0, got) == math.copysign(1.0, ref)  # type: ignore[arg-type]
