"""The batched normality tests of the statistics stage (issue 16): :func:`normality_all` gives
the documents and notes of :func:`normality` sample by sample, and :func:`_normal_ad_rows` the A²
of :func:`_normal_ad` row by row — exactly (``==`` on floats)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotqa.stats import distributions as D
from tests.test_fits_fast import _sample
from pilotqa.stats.distributions import _normal_ad, _normal_ad_rows, normality, normality_all

KINDS = ("normal", "lognormal", "rounded", "t3", "constant", "with_nan")


@given(rows=st.integers(1, 30), n=st.integers(3, 900), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(KINDS[:4]))
def test_normal_ad_rows_equal_the_one_sample_statistic(rows: int, n: int, seed: int, kind: str) -> None:
    x = np.stack([_sample(kind, n, seed + r) for r in range(rows)])
    got = _normal_ad_rows(np.ascontiguousarray(x))
    with np.errstate(all="ignore"):
        want = [_normal_ad(x[r])[0] for r in range(rows)]
    assert [float(g) == w or (math.isnan(g) and math.isnan(w)) for g, w in zip(got, want)] == [True] * rows


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from([0, 1, 2, 3, 5, 7, 8, 9, 25, 200, 501])),
                      min_size=1, max_size=12),
       seed=st.integers(0, 2**32 - 1), alpha=st.sampled_from([0.05, 0.01, 0.2]))
def test_normality_all_equals_normality_one_by_one(parts: list[tuple[str, int]], seed: int, alpha: float) -> None:
    samples = [_sample(kind, n, seed + i) for i, (kind, n) in enumerate(parts)]
    assert normality_all(samples, alpha) == [normality(x, alpha) for x in samples]


def test_normality_all_in_blocks_and_beyond_5000_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(D, "_NORMALITY_CELLS", 1000)
    samples = [_sample(k, n, i) for i, (k, n) in enumerate(
        [("normal", 300), ("t3", 300), ("lognormal", 300), ("rounded", 300), ("normal", 5001), ("t3", 5001),
         ("normal", 4), ("with_nan", 300)])]
    got = normality_all(samples)
    assert got == [normality(x) for x in samples]
    assert any("approximate for more than 5000" in n for n in got[4][1])
    assert normality_all([]) == []
