"""Deep equality for the property tests that compare a fast path with its reference
(tests/test_families_*.py, the JSON and figure converters)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def assert_same(a: Any, b: Any, path: str = "") -> None:
    """Equal bit for bit (NaN equals NaN), arrays element by element, dicts key by key and in order."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        assert x.shape == y.shape, path
        assert np.array_equal(x, y, equal_nan=True), (path, x, y)
    elif isinstance(a, (list, tuple)):
        assert type(b) is type(a) and len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same(u, v, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert type(a) is type(b) and a == b, (path, a, b)


def type_tree(v: Any) -> Any:
    """The JSON-like value ``v`` with every leaf replaced by its type's name (dicts and lists kept):
    two converters' outputs with equal JSON text can still differ here (1 vs 1.0, -0.0 vs 0)."""
    if isinstance(v, dict):
        return {k: type_tree(x) for k, x in v.items()}
    if isinstance(v, list):
        return [type_tree(x) for x in v]
    return type(v).__name__
