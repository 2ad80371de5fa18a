"""Stability charts at 10^6 readings (issue 16): the subgroup-size constants d2, d3 and c4 are
evaluated once per distinct size and looked up (:func:`pilotqa.stats.stability._per_size`); the
numbers must be those of the functions evaluated on every subgroup, bit for bit (the vectorised
charts are held equal to the per-feature computation in tests/test_families_stability.py)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, strategies as st

from pilotqa.stats.constants import c4, d2_array, d3_array
from pilotqa.stats.stability import _per_size


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("fn, high", [(c4, 6000), (d2_array, 26), (d3_array, 26)])
@given(sizes=st.lists(st.integers(0, 6000), min_size=1, max_size=300))
def test_per_size_lookup_equals_the_function(fn: Callable[[Any], Any], high: int, sizes: list[int]) -> None:
    a = np.asarray([s % high for s in sizes], dtype=np.int64)
    assert _same(_per_size(fn, a), np.asarray(fn(a), dtype=float))


def test_per_size_on_many_subgroups_and_unusual_input() -> None:
    rng = np.random.default_rng(2)
    many = rng.integers(1, 9, 200_000)
    for fn in (c4, d2_array, d3_array):
        assert _same(_per_size(fn, many), np.asarray(fn(many), dtype=float))
    for odd in (np.zeros(0, dtype=np.int64), np.array([-1, 2, 5]), np.array([2.0, 5.0])):
        assert _same(_per_size(c4, odd), np.asarray(c4(odd), dtype=float))
