"""The fast JSON writer (issue 16) gives exactly what the plain one gave.

* :func:`pilotqa.report.json.dumps` writes flat objects and arrays with the C encoder and walks
  only the nesting in Python; its text must equal ``json.dumps(indent=2, ensure_ascii=False,
  allow_nan=False)`` on any JSON value, and it must refuse NaN and infinities as that does.
* :func:`pilotqa.report.json.to_json` converts without paths and walks a value again with paths
  only when it holds a non-finite number: value and recorded paths must equal the plain
  recursive conversion (``_reference_to_json`` below, the former implementation).
* :func:`pilotqa.report.json.build_document` passes only the parts that are not features through
  ``json_safe``: the document must equal ``json_safe`` of the whole.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotqa.report.json import build_document, dumps, feature_json, to_json
from pilotqa.results import json_name
from pilotqa.util import json_safe
from tests.report_fixtures import make_result


def _reference_dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


def _reference_to_json(obj: Any, where: str = "$", bad: list[str] | None = None) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            key = json_name(f)
            if key is not None and not (f.metadata.get("omit_none") and getattr(obj, f.name) is None):
                out[key] = _reference_to_json(getattr(obj, f.name), f"{where}.{key}", bad)
        return out
    if isinstance(obj, (list, tuple)):
        return [_reference_to_json(v, f"{where}[{i}]", bad) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        return {str(k): _reference_to_json(v, f"{where}.{k}", bad) for k, v in obj.items()}
    return json_safe(obj, where, bad)


_TEXT = st.one_of(st.text(max_size=6), st.sampled_from(["", "\n", '"', "\\", "\x00", "é", "\u2028",
                                                       "\U0001f600", "a, b", "[", "}", ": "]))
_LEAF = st.one_of(_TEXT, st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                  st.booleans(), st.none())
_KEY = st.one_of(_TEXT, st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                 st.booleans(), st.none())


@settings(max_examples=500, deadline=None)
@given(st.recursive(_LEAF, lambda kids: st.one_of(
    st.lists(kids, max_size=5), st.lists(kids, max_size=3).map(tuple),
    st.dictionaries(_KEY, kids, max_size=5)), max_leaves=30))
def test_dumps_equals_json_dumps_indent_2(obj: Any) -> None:
    assert dumps(obj) == _reference_dumps(obj)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("wrap", [
    lambda x: {"a": x},                       # a flat object
    lambda x: {"a": [1], "b": x},             # a leaf in a nested object
    lambda x: [[1, 2], x],                    # a leaf in a nested array
    lambda x: {"a": {"b": [0.5, x]}},         # deep in a flat array
])
def test_dumps_refuses_non_finite_numbers(bad: float, wrap: Any) -> None:
    with pytest.raises(ValueError):
        _reference_dumps(wrap(bad))
    with pytest.raises(ValueError):
        dumps(wrap(bad))


def test_dumps_refuses_what_json_cannot_write() -> None:
    for obj in ({"a": object()}, {"a": [1], "b": {1, 2}}, {(1, 2): 3}, {"a": [1], (1, 2): 3}):
        with pytest.raises(TypeError):
            _reference_dumps(obj)
        with pytest.raises(TypeError):
            dumps(obj)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Inner:
    x: Any
    hidden: Any = field(default=None, metadata={"json": False})


@dataclass(frozen=True)
class _Outer:
    a: Any
    inner: _Inner
    items: tuple[Any, ...] = ()
    maybe: Any = field(default=None, metadata={"omit_none": True})
    renamed: Any = field(default=1, metadata={"json": "class"})
    table: dict[Any, Any] = field(default_factory=dict)


_VALUES = st.one_of(st.floats(), st.integers(), st.none(), st.booleans(), _TEXT,
                    st.floats().map(np.float64), st.integers(-5, 5).map(np.int64),
                    st.booleans().map(np.bool_))


@settings(max_examples=400, deadline=None)
@given(a=_VALUES, x=_VALUES, items=st.lists(_VALUES, max_size=4).map(tuple),
       maybe=st.one_of(st.none(), _VALUES), renamed=_VALUES,
       table=st.dictionaries(st.one_of(_TEXT, st.integers()), _VALUES, max_size=3),
       nested=st.booleans())
def test_to_json_equals_the_plain_conversion(a: Any, x: Any, items: tuple[Any, ...], maybe: Any,
                                             renamed: Any, table: dict[Any, Any],
                                             nested: bool) -> None:
    inner = _Inner(x, hidden=math.nan)
    obj: Any = _Outer(a, inner, items, maybe, renamed, table)
    if nested:
        obj = [obj, {"k": (obj, inner)}]
    got_bad: list[str] = []
    ref_bad: list[str] = []
    got = to_json(obj, "$.x", got_bad)
    ref = _reference_to_json(obj, "$.x", ref_bad)
    assert json.dumps(got, allow_nan=True) == json.dumps(ref, allow_nan=True)
    assert got_bad == ref_bad
    assert to_json(obj) == _reference_to_json(obj)  # no list given: the same values


def test_feature_json_and_document_with_non_finite_numbers() -> None:
    res = make_result(3, 60)
    fr = res.features[1]
    stats = dataclasses.replace(fr.stats, mean=math.nan, sigma_within=math.inf)
    feats = list(res.features)
    feats[1] = dataclasses.replace(fr, stats=stats)
    res = dataclasses.replace(res, features=tuple(feats))
    bad: list[str] = []
    doc = feature_json(res.features[1], bad)
    assert doc["mean"] is None and doc["sigma_within"] is None
    assert bad == [f"$.features[{fr.feature}].mean", f"$.features[{fr.feature}].sigma_within"]
    document = build_document(res)
    assert document["features"][1]["mean"] is None
    assert document["input"]["notes"][-1].startswith("internal: non-finite numbers replaced by "
                                                     f"null at $.features[{fr.feature}].mean")
    assert dumps(document) == _reference_dumps(document)


def test_document_is_json_safe_of_the_whole() -> None:
    res = make_result(6, 80)
    document = build_document(res)
    assert list(document)[-1] == "features"
    again: list[str] = []
    assert json_safe(document, "$", again) == document and again == []
    assert dumps(document) == _reference_dumps(document)
