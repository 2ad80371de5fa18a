"""The lot/stream tests from reductions of all features at once (issue 16, 10^6 readings) equal the
per-feature computation bit for bit.

:func:`pilotqa.stats.factors.factor_effect_all` takes every reduction over readings (group means,
variances, medians, centred sums, the means of the other groups …) for all groups and features at
once (:func:`~pilotqa.stats.factors._oneway_parts`: slices of one length as the rows of one 2-D
array) and evaluates the one-way tests from them (:func:`~pilotqa.stats.factors._oneway_from_parts`).
These tests require the very same floats as :func:`~pilotqa.stats.factors._oneway_tests`, which
``tests/test_lots_fast.py`` holds equal to scipy/statsmodels, and as the per-group computations of
``_extreme_offset`` / ``_tukey_stats``; and the numpy production order equal to polars' sort.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings as hsettings, strategies as st

import pilotqa.stats.factors as factors
from pilotqa.stats.factors import (MIN_PER_GROUP, _extreme_offset, _kruskal_sums_all, _oneway_all,
                                    _oneway_from_parts, _oneway_parts, _oneway_tests, _production_order, _tukey_stats,
                                    _variance_components_all, variance_components)
from pilotqa.util import finite_or_none
from tests.equality import assert_same

# Readings on a coarse grid (ties, constant groups) or continuous, at a location and scale per example.
_group = st.lists(st.integers(0, 6), min_size=MIN_PER_GROUP, max_size=12)
_groups = st.lists(_group, min_size=2, max_size=5)
_scale = st.sampled_from([1.0, 0.001, 0.37, 1000.0, 1e-9])
_loc = st.sampled_from([0.0, 12.5, -3.0, 250.0, 1e6])


def _features(features_groups: list[list[list[int]]], scale: float, loc: float, jitter: int
              ) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(jitter)
    out = []
    for groups in features_groups:
        arrays = [loc + scale * np.asarray(g, dtype=float) for g in groups]
        if jitter % 2:  # continuous readings: no ties, every reduction rounds
            arrays = [a + scale * rng.normal(0, 1, a.size) for a in arrays]
        out.append(arrays)
    return out


def _layout(feats: list[list[np.ndarray]], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``v_group``, ``v_feature`` (each feature's readings in a shuffled production order),
    ``g_n`` and ``g_feature`` as factor_effect_all passes them."""
    rng = np.random.default_rng(seed)
    v_group = np.concatenate([g for f in feats for g in f])
    v_feature = np.concatenate([rng.permutation(np.concatenate(f)) for f in feats])
    g_n = np.array([g.size for f in feats for g in f], dtype=np.int64)
    g_feature = np.array([3 * i + 1 for i, f in enumerate(feats) for _ in f], dtype=np.int64)
    return v_group, v_feature, g_n, g_feature


@hsettings(max_examples=150)
@given(st.lists(_groups, min_size=1, max_size=6), _scale, _loc, st.integers(0, 2**16))
@example([[[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5, 6]]], 1.0, 0.0, 0)          # equal lengths: one batch
@example([[[2, 2, 2], [3, 3, 3, 3]], [[2, 2, 2], [2, 2]]], 0.25, 12.5, 0)         # constant groups, all equal
@example([[[2, 2, 2], [1, 5, 3], [0, 6]], [[1, 3], [5, 5]]], 0.001, 250.0, 0)     # unequal sizes, BF 0/0
@example([[[0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4], [6, 5, 4, 3, 2, 1, 0, 6, 5, 4, 3, 2]]] * 3, 0.37, 1e6, 1)
def test_oneway_from_parts_equals_oneway_tests(features_groups: list[list[list[int]]], scale: float, loc: float,
                                               jitter: int) -> None:
    feats = _features(features_groups, scale, loc, jitter)
    v_group, v_feature, g_n, g_feature = _layout(feats, jitter)
    parts = _oneway_parts(v_group, v_feature, g_n, g_feature)
    ssbn, tie = _kruskal_sums_all(v_group, g_n, g_feature)
    every = _oneway_all(parts, g_n, g_feature, ssbn, tie)
    vc_all = _variance_components_all(g_n, parts["mean"], np.sqrt(parts["var"]), g_feature)
    pos = 0
    for row, groups in enumerate(feats):
        idx = list(range(pos, pos + len(groups)))
        pos += len(groups)
        ns = [g.size for g in groups]
        sums = (float(ssbn[row]), float(tie[row]))
        one = _oneway_from_parts(parts, idx, row, ns, sums)
        assert_same(one, _oneway_tests(groups, sums), f"feature {row}")
        assert every["done"][row] and every["k"][row] == len(groups)
        assert_same({key: float(every[key][row]) for key in one}, one, f"feature {row}, all at once")
        # variance components from the group summaries, all features at once
        sds = np.sqrt(parts["var"][idx])
        ref = variance_components(ns, parts["mean"][idx], sds)
        assert vc_all["done"][row] and bool(vc_all["truncated"][row]) is ref["truncated"]
        for key in ("between_share", "sigma_between", "sigma_within", "sigma_bw"):
            assert_same(finite_or_none(float(vc_all[key][row])), ref[key], f"feature {row}, {key}")
        # the other reductions factor_effect_all takes from the parts
        start = sum(g.size for f in feats[:row] for g in f)
        vals = v_feature[start:start + sum(ns)]
        assert_same(float(parts["grand"][row]), float(vals.mean()))
        assert bool(parts["finite"][row]) is bool(np.isfinite(vals).all())
        assert bool(parts["const"][idx].all()) is (not any(np.ptp(g) > 0 for g in groups))
        target = loc + 1.0
        names = [f"G{i}" for i in range(len(groups))]
        assert_same(_extreme_offset(groups, names, target, (parts["mean"][idx], parts["omean"][idx])),
                    _extreme_offset(groups, names, target))
        q, k, df = _tukey_stats(groups, parts["mean"][idx], parts["var"][idx])
        q_ref, k_ref, df_ref = _tukey_stats(groups)
        assert_same(q, q_ref)
        assert (k, df) == (k_ref, df_ref)


@pytest.mark.parametrize("block", [1 << 18, 1000])
def test_oneway_parts_of_a_bench_sized_layout(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many features of a few lengths (the rows of the 2-D batches, in one block or several),
    continuous readings."""
    monkeypatch.setattr(factors, "_BLOCK", block)
    rng = np.random.default_rng(5)
    feats = [[rng.normal(10 + 0.01 * i, 0.1, n) for n in sizes]
             for i, sizes in enumerate([(334, 333, 333)] * 40 + [(500, 500)] * 10 + [(2, 700, 3)] * 5)]
    v_group, v_feature, g_n, g_feature = _layout(feats, 1)
    parts = _oneway_parts(v_group, v_feature, g_n, g_feature)
    ssbn, tie = _kruskal_sums_all(v_group, g_n, g_feature)
    every = _oneway_all(parts, g_n, g_feature, ssbn, tie)
    assert every["done"].all()
    pos = 0
    for row, groups in enumerate(feats):
        idx = list(range(pos, pos + len(groups)))
        pos += len(groups)
        sums = (float(ssbn[row]), float(tie[row]))
        one = _oneway_from_parts(parts, idx, row, [g.size for g in groups], sums)
        assert_same(one, _oneway_tests(groups, sums))
        assert_same({key: float(every[key][row]) for key in one}, one)


def _order_frame(fi: list[int], seq: list[Any], rows: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"_fi": fi, "sequence": seq, "_row": rows, "value": [float(r) for r in rows]},
                        schema={"_fi": pl.UInt32, "sequence": pl.Int64, "_row": pl.UInt32, "value": pl.Float64})


@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.integers(-5, 5), st.none(),
                                                        st.sampled_from([2**40, -(2**40), 2**62]))),
                min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_production_order_equals_polars_sort(keys: list[tuple[int, int | None]], rnd: Any) -> None:
    rows = list(range(len(keys)))
    rnd.shuffle(rows)
    frame = _order_frame([k[0] for k in keys], [k[1] for k in keys], rows)
    want = frame.sort(["_fi", "sequence", "_row"])["_row"].to_list()
    assert frame["_row"].to_numpy()[_production_order(frame)].tolist() == want


def test_production_order_without_nulls_uses_one_key_and_equals_polars() -> None:
    rng = np.random.default_rng(0)
    n = 5000
    frame = _order_frame(rng.integers(0, 50, n).tolist(), rng.integers(1, 300, n).tolist(),
                         rng.permutation(n).tolist())
    want = frame.sort(["_fi", "sequence", "_row"])["_row"].to_list()
    assert frame["_row"].to_numpy()[_production_order(frame)].tolist() == want
