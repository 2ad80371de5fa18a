"""drift's Mann–Kendall tests of all series at once (issue 16, 10^6 readings) equal
``scipy.stats.kendalltau`` called on each series alone, bit for bit.

:func:`pilotqa.stats.drift._mann_kendall` ranks all series of one length in one 2-D sort, counts
ties with whole-array operations and the discordant pairs with scipy's own counter, then evaluates
kendalltau's formula operation for operation. These tests draw series that reach every branch of
kendalltau: long series (asymptotic p), n ≤ 33 and (almost) monotone series (exact p, left to
kendalltau), ties in the readings, in the sequence and in both, sequences out of order, constant
readings, NaN — and require the same (tau, p) bits as the per-series call.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings as hsettings, strategies as st
from scipy import stats

import pilotqa.stats.drift as drift
from tests.equality import assert_same

SHAPES = ("noise", "rounded", "few_values", "seq_ties", "seq_ties_rounded", "monotone", "one_swap",
          "unsorted_seq", "nan", "constant", "trend")


def _series(shape: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    i = np.arange(n, dtype=float)
    seq = i + 1.0
    y = rng.normal(10.0, 0.1, n)
    if shape == "rounded":
        y = np.round(y, 1)
    elif shape == "few_values":
        y = rng.integers(0, 3, n).astype(float)
    elif shape == "seq_ties":
        seq = i // 3 + 1.0
    elif shape == "seq_ties_rounded":
        seq, y = i // 2 + 1.0, np.round(y, 1)
    elif shape == "monotone":
        y = 0.01 * i
    elif shape == "one_swap":
        y = 0.01 * i
        if n >= 2:
            y[[0, 1]] = y[[1, 0]]
    elif shape == "unsorted_seq":
        seq = rng.permutation(n) // 2 + 1.0
        y = np.round(y, 1)
    elif shape == "nan":
        y[rng.integers(0, n)] = math.nan
    elif shape == "constant":
        y = np.full(n, 10.0)
    elif shape == "trend":
        y = y + 0.002 * i
    return seq, y


def _reference(s: np.ndarray, y: np.ndarray, starts: list[int], ends: list[int]) -> dict[int, tuple[float, float]]:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (a, b) in enumerate(zip(starts, ends)):
            r = stats.kendalltau(s[a:b], y[a:b])
            out[i] = (r.statistic, r.pvalue)
    return out


def _check(series: list[tuple[np.ndarray, np.ndarray]]) -> None:
    s = np.concatenate([x for x, _ in series])
    y = np.concatenate([v for _, v in series])
    ends = np.cumsum([x.size for x, _ in series]).tolist()
    starts = [0, *ends[:-1]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = drift._mann_kendall(s, y, starts, ends)
    ref = _reference(s, y, starts, ends)
    assert sorted(got) == sorted(ref)
    for i in ref:
        assert_same([*got[i]], [*ref[i]], f"series {i}")


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SHAPES), st.sampled_from([3, 4, 5, 20, 33, 34, 35, 60, 200, 1200]),
                          st.integers(0, 2**31 - 1)), min_size=1, max_size=8))
@example([("noise", 1200, 1), ("noise", 1200, 2), ("rounded", 1200, 3)])   # one 2-D batch, asymptotic
@example([("monotone", 200, 0), ("one_swap", 200, 0), ("trend", 200, 5)])  # exact p for long series
@example([("seq_ties_rounded", 60, 7), ("unsorted_seq", 60, 8), ("few_values", 60, 9)])  # ties in x and y
@example([("constant", 34, 0), ("nan", 34, 1), ("noise", 34, 2)])          # NaN results, NaN input
def test_mann_kendall_equals_kendalltau_per_series(spec: list[tuple[str, int, int]]) -> None:
    _check([_series(shape, n, seed) for shape, n, seed in spec])


def test_the_same_series_each_alone_and_in_a_batch() -> None:
    """A series' result does not depend on the others of its length in the batch."""
    rng = np.random.default_rng(11)
    series = [(np.arange(1.0, 301.0), np.round(rng.normal(0, 1, 300), 1)) for _ in range(6)]
    _check(series)
    for one in series:
        _check([one])


def test_series_ranked_in_several_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drift, "_MK_BLOCK", 130)
    _check([_series(shape, 60, i) for i, shape in enumerate(SHAPES)] + [_series("rounded", 200, 3)])


def test_series_longer_than_the_fast_limit_go_to_kendalltau(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drift, "_MK_FAST_MAX_N", 50)
    _check([_series("rounded", 60, 1), _series("noise", 40, 2), _series("seq_ties", 60, 3)])


def test_without_scipys_counter_kendalltau_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    import scipy.stats._stats as scipy_stats_private

    monkeypatch.delattr(scipy_stats_private, "_kendall_dis")
    _check([_series("rounded", 60, 1), _series("seq_ties", 60, 3)])


@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.integers(-5, 5), st.none(),
                                                        st.sampled_from([2**40, -(2**40), 2**62]))),
                min_size=1, max_size=40))
def test_feature_sequence_order_equals_polars_stable_sort(keys: list[tuple[int, int | None]]) -> None:
    """drift_all's numpy order of the readings is polars' stable (feature code, sequence) sort,
    ties in row order, also with null sequences and spans that do not fit one 64-bit key."""
    import polars as pl

    data = pl.DataFrame({"_feature_code": [k[0] for k in keys], "sequence": [k[1] for k in keys],
                         "value": [float(i) for i in range(len(keys))]},
                        schema={"_feature_code": pl.UInt32, "sequence": pl.Int64, "value": pl.Float64})
    want = data.sort(["_feature_code", "sequence"], maintain_order=True)["value"].to_list()
    assert data["value"].to_numpy()[drift._feature_sequence_order(data)].tolist() == want


def test_feature_sequence_order_keeps_ties_in_row_order_on_many_rows() -> None:
    import polars as pl

    rng = np.random.default_rng(4)
    n = 20_000
    data = pl.DataFrame({"_feature_code": rng.integers(0, 30, n), "sequence": rng.integers(1, 40, n),
                         "value": np.arange(n, dtype=float)},
                        schema={"_feature_code": pl.UInt32, "sequence": pl.Int64, "value": pl.Float64})
    want = data.sort(["_feature_code", "sequence"], maintain_order=True)["value"].to_list()
    assert data["value"].to_numpy()[drift._feature_sequence_order(data)].tolist() == want


@given(st.lists(st.tuples(st.sampled_from(SHAPES + ("nan_seq", "two_seq")), st.sampled_from([1, 3, 4, 5, 6, 34]),
                          st.integers(0, 2**31 - 1)), min_size=1, max_size=8))
def test_series_screened_as_tested_are_not_degenerate(spec: list[tuple[str, int, int]]) -> None:
    """drift_all skips _degenerate only for series it screens as certainly tested; the screen must
    never pass a series _degenerate would stop (and passes the ordinary ones)."""
    series = []
    for shape, n, seed in spec:
        s, y = _series(shape if shape in SHAPES else "noise", n, seed)
        if shape == "nan_seq":
            s[seed % n] = math.nan
        elif shape == "two_seq":
            s = np.where(np.arange(n) < n // 2, 1.0, 2.0)
        series.append((s, y))
    seq = np.concatenate([x for x, _ in series])
    val = np.concatenate([v for _, v in series])
    ends = np.cumsum([x.size for x, _ in series])
    starts = ends - np.array([x.size for x, _ in series])
    sure = drift._surely_tested(seq, val, starts, ends)
    for (s, y), ok, (shape, _n, _seed) in zip(series, sure.tolist(), spec):
        degenerate = drift._degenerate(s, y)
        if ok:
            assert degenerate is None
        if shape in ("noise", "trend", "rounded", "few_values", "seq_ties") and degenerate is None:
            assert ok  # the ordinary series (finite, in sequence order) pass the screen
