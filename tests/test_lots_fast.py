"""The fast lot/stream tests (issue 16) equal the library functions they replace.

:func:`pilotqa.stats.factors.factor_effect_all` computes the classical and Welch ANOVA,
Kruskal–Wallis, Brown–Forsythe and the Tukey HSD p-values with the arithmetic of
``scipy.stats.f_oneway`` / ``statsmodels.stats.oneway.anova_oneway(use_var="unequal")`` /
``scipy.stats.kruskal`` / ``scipy.stats.levene(center="median")`` / ``scipy.stats.tukey_hsd``
instead of calling them once per feature. These tests call the library functions on generated
data — ties, constant groups, groups of one reading, two groups, unequal sizes, several
features with interleaved rows — and require the same numbers (to 1e-9 relative, the golden
JSON's tolerance; on the library versions the module was written against they are bit-equal)
and the same None for an undefined number.

Tukey p-values are the exception: they come from our own vectorised studentized range
(:mod:`pilotqa.stats.studentized_range`), not from ``scipy.stats.studentized_range.sf`` (an
adaptive quadrature with ``epsabs=1e-11``), so they are compared within scipy's 1e-11 absolute
— the accuracy scipy itself promises — and the reject decisions must be equal unless scipy's
p lies within that of α (``tests/test_studentized_range.py`` tests the distribution itself).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings as hsettings, strategies as st
from scipy import stats
from statsmodels.stats.oneway import anova_oneway

from pilotqa.settings import Settings
from pilotqa.stats.factors import (MIN_PER_GROUP, _kruskal_sums_all, _oneway_tests, _tukey_pairs, factor_effect_all,
                                    streams_all)
from pilotqa.stats.lots import lots_all
from pilotqa.util import finite_or_none


def _same(a: Any, b: Any) -> bool:
    """Equal floats (1e-9 relative, 1e-12 absolute) or both undefined (None/NaN/±inf)."""
    fa, fb = finite_or_none(a), finite_or_none(b)
    if fa is None or fb is None:
        return fa is None and fb is None
    return math.isclose(fa, fb, rel_tol=1e-9, abs_tol=1e-12)


def _same_p(a: Any, b: Any) -> bool:
    """Tukey p-values: within scipy's quadrature tolerance 1e-11 absolute, or both undefined."""
    fa, fb = finite_or_none(a), finite_or_none(b)
    if fa is None or fb is None:
        return fa is None and fb is None
    return abs(fa - fb) <= 1e-11


def _library(groups: list[np.ndarray]) -> dict[str, Any]:
    """The four tests by the library functions (warnings of degenerate data silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        an = stats.f_oneway(*groups)
        we = anova_oneway(groups, use_var="unequal")
        kw = stats.kruskal(*groups)
        lv = stats.levene(*groups, center="median")
    return {"anova_f": an.statistic, "anova_p": an.pvalue, "welch_f": we.statistic, "welch_p": we.pvalue,
            "kruskal_h": kw.statistic, "kruskal_p": kw.pvalue, "levene_w": lv.statistic, "levene_p": lv.pvalue}


# Readings on a coarse grid (ties, constant groups), at a location and scale drawn per example.
_group = st.lists(st.integers(0, 6), min_size=1, max_size=9)
_groups = st.lists(_group, min_size=2, max_size=5)
_scale = st.sampled_from([1.0, 0.001, 0.25, 1000.0])
_loc = st.sampled_from([0.0, 12.5, -3.0, 250.0])


def _as_arrays(groups: list[list[int]], scale: float, loc: float) -> list[np.ndarray]:
    return [loc + scale * np.asarray(g, dtype=float) for g in groups]


@given(_groups, _scale, _loc)
@example([[1, 2, 3], [4, 5, 6]], 1.0, 0.0)                  # two lots
@example([[2, 2, 2], [3, 3, 3, 3]], 1.0, 12.5)              # every lot constant, lots differ
@example([[2, 2, 2], [2, 2]], 0.25, 0.0)                    # all readings equal
@example([[2, 2, 2], [1, 5, 3], [0, 6]], 0.001, 250.0)      # one constant lot, unequal sizes
@example([[1, 3], [5, 5]], 1.0, 0.0)                        # Brown–Forsythe: constant |y - median|
@example([[0, 6, 6, 6, 6, 6, 6, 6, 6], [0, 0, 0, 0, 0, 0, 0, 0, 6]], 1000.0, -3.0)  # heavy ties
def test_oneway_tests_equal_the_library_functions(groups: list[list[int]], scale: float, loc: float) -> None:
    arrays = [a for a in _as_arrays(groups, scale, loc) if a.size >= MIN_PER_GROUP]
    if len(arrays) < 2:
        return  # not tested by factor_effect_all (fewer than 2 groups of >= 2 readings)
    got, ref = _oneway_tests(arrays), _library(arrays)
    for key, want in ref.items():
        assert _same(got[key], want), (key, got[key], want, groups, scale, loc)


# Each example integrates the studentized range for every pair of both triangles in tukey_hsd
# (10-15 ms per pair): fewer examples than the default keep the suite's time reasonable.
@hsettings(max_examples=40)
@given(_groups, _scale, _loc)
@example([[1, 2, 3], [4, 5, 6], [6, 6, 6]], 1.0, 0.0)
@example([[2, 2, 2], [3, 3, 3], [3, 3]], 1.0, 0.0)          # MSE = 0: t = inf and 0/0
@example([[1, 2], [4, 5, 6, 6], [0, 1, 2, 3, 4]], 0.001, 12.5)
def test_tukey_pairs_equal_tukey_hsd(groups: list[list[int]], scale: float, loc: float) -> None:
    arrays = [a for a in _as_arrays(groups, scale, loc)[:4] if a.size >= MIN_PER_GROUP]
    if len(arrays) < 2:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = stats.tukey_hsd(*arrays).pvalue
    pairs = _tukey_pairs(arrays)
    k = len(arrays)
    assert [(i, j) for i, j, _ in pairs] == [(i, j) for i in range(k) for j in range(i + 1, k)]
    for i, j, p in pairs:
        assert _same_p(p, ref[i, j]), (i, j, p, ref[i, j])


def _frame(features: dict[str, list[list[int]]], scale: float, interleave: bool) -> pl.DataFrame:
    """Long measurements of several features; groups named G1, G2 … in production order, or
    (``interleave``) with the readings of the groups alternating in production order."""
    rows: list[dict[str, Any]] = []
    for f_i, (feat, groups) in enumerate(features.items()):
        labelled = [(f"G{g + 1}", v) for g, vals in enumerate(groups) for v in vals]
        if interleave:
            labelled = sorted(labelled, key=lambda t: (int(t[0][1:]) * 7919 + int(t[1] * 31)) % 13)
        rows += [{"feature": feat, "lot": lot, "sequence": s + 1, "value": 10.0 * f_i + scale * v}
                 for s, (lot, v) in enumerate(labelled)]
    frame = pl.DataFrame(rows, schema={"feature": pl.String, "lot": pl.String, "sequence": pl.Int64,
                                       "value": pl.Float64})
    # the rows of all features mixed, as a part-major export writes them
    return frame.sample(fraction=1.0, shuffle=True, seed=3)


def _specs(features: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"feature": features, "nominal": [None] * len(features),
                         "lsl": [-100.0] * len(features), "usl": [100.0] * len(features),
                         "lower_bound_zero": [False] * len(features)},
                        schema={"feature": pl.String, "nominal": pl.Float64, "lsl": pl.Float64,
                                "usl": pl.Float64, "lower_bound_zero": pl.Boolean})


@hsettings(max_examples=30)  # Tukey pairs of up to 4 features per example (see above)
@given(st.lists(_groups, min_size=1, max_size=4), _scale, st.booleans())
@example([[[1, 2, 3], [4]], [[5, 5], [5, 5, 5]], [[0, 1], [6, 6], [3, 4, 5]]], 1.0, True)
def test_factor_effect_all_equals_the_library_per_feature(features_groups: list[list[list[int]]], scale: float,
                                                          interleave: bool) -> None:
    """Every feature of one frame (rows mixed, groups possibly interleaved in time) gets the
    library functions' results on that feature's tested groups, in production order."""
    features = {f"F{i}": g for i, g in enumerate(features_groups)}
    meas = _frame(features, scale, interleave)
    res = factor_effect_all(meas, _specs(list(features)), Settings(), "lot", tukey_min_k=2,
                            tukey_only_significant=False)
    alpha = Settings().alpha
    for feat in features:
        sub = meas.filter(pl.col("feature") == feat).sort("sequence")
        order = sub.group_by("lot").agg(pl.col("sequence").min(), pl.len()).sort("sequence", "lot")
        if order.height < 2:
            assert res[feat] is None
            continue
        r = res[feat]
        assert r is not None
        tested = [lot for lot, n in zip(order["lot"], order["len"]) if n >= MIN_PER_GROUP]
        assert r["k"] == len(tested)
        if len(tested) < 2:
            assert r["anova_p"] is None and r["tukey"] == []
            continue
        groups = [sub.filter(pl.col("lot") == lot)["value"].to_numpy() for lot in tested]
        ref = _library(groups)
        for key in ("anova_f", "anova_p", "welch_f", "welch_p", "kruskal_p", "levene_p"):
            assert _same(r[key], ref[key]), (feat, key, r[key], ref[key])
            assert (r[key] is None) == (finite_or_none(ref[key]) is None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tk = stats.tukey_hsd(*groups).pvalue
        want = [(tested[i], tested[j], tk[i, j]) for i in range(len(tested)) for j in range(i + 1, len(tested))]
        assert [(t["a"], t["b"]) for t in r["tukey"]] == [(a, b) for a, b, _ in want]
        for t, (_, _, p) in zip(r["tukey"], want):
            assert _same_p(t["p_adj"], p)
            assert t["reject"] == bool(p < alpha) or abs(p - alpha) <= 1e-11
        # the grand mean and the tested groups' summaries come from the same readings
        assert _same(r["mean_range"], max(g.mean() for g in groups) - min(g.mean() for g in groups))


def test_lots_all_edge_cases_against_the_library() -> None:
    """A lot of one reading (excluded), a constant lot, unequal sizes: ``lots_all`` keys."""
    groups = {"A": [10.0, 10.2, 9.9, 10.1], "B": [11.0, 11.0, 11.0], "C": [10.5], "D": [9.0, 9.4, 9.3, 9.8, 9.6]}
    rows = [(lot, v) for lot, vals in groups.items() for v in vals]
    meas = pl.DataFrame({"feature": ["F"] * len(rows), "lot": [r[0] for r in rows],
                         "sequence": list(range(1, len(rows) + 1)), "value": [r[1] for r in rows]})
    r = lots_all(meas, _specs(["F"]), Settings())["F"]
    assert r is not None and r["k"] == 3
    assert any("C" in n and "fewer than 2" in n for n in r["notes"])
    tested = [np.asarray(groups[g]) for g in ("A", "B", "D")]
    ref = _library(tested)
    for key in ("anova_f", "anova_p", "welch_f", "welch_p", "kruskal_p", "levene_p"):
        assert _same(r[key], ref[key]), key
    assert r["welch_p"] is None  # lot B has zero variance: Welch weights undefined
    assert r["significant"] is True
    tk = stats.tukey_hsd(*tested).pvalue
    assert [(t["lot_a"], t["lot_b"]) for t in r["tukey"]] == [("A", "B"), ("A", "D"), ("B", "D")]
    assert [t["p_adj"] for t in r["tukey"]] == pytest.approx([tk[0, 1], tk[0, 2], tk[1, 2]], rel=0, abs=1e-11)


def test_non_finite_readings_fall_back_to_the_library_functions() -> None:
    """A NaN reading (the readers never produce one) gives the library functions' answer."""
    meas = pl.DataFrame({"feature": ["F"] * 6, "lot": ["A"] * 3 + ["B"] * 3, "sequence": list(range(6)),
                         "value": [1.0, 1.1, float("nan"), 2.0, 2.1, 2.2]})
    r = factor_effect_all(meas, _specs(["F"]), Settings(), "lot")["F"]
    assert r is not None
    ref = _library([np.array([1.0, 1.1, float("nan")]), np.array([2.0, 2.1, 2.2])])
    for key in ("anova_p", "welch_p", "kruskal_p", "levene_p"):
        assert _same(r[key], ref[key]), key


def test_streams_all_tukey_pairs_equal_tukey_hsd() -> None:
    """Stream analysis (Tukey whenever ≥ 3 streams, significant or not): interleaved nests."""
    rng = np.random.default_rng(16)
    n = 40
    nests = np.array(["N1", "N2", "N3", "N4"])[np.arange(n) % 4]
    vals = 5.0 + rng.normal(0, 0.01, n) + np.where(nests == "N3", 0.004, 0.0)
    meas = pl.DataFrame({"feature": ["F"] * n, "lot": ["L1"] * n, "sequence": list(range(1, n + 1)),
                         "value": np.round(vals, 4), "nest": nests})
    doc = streams_all(meas, _specs(["F"]), Settings(), ("nest",))["F"]["nest"]
    groups = [meas.filter(pl.col("nest") == s)["value"].to_numpy() for s in ("N1", "N2", "N3", "N4")]
    tk = stats.tukey_hsd(*groups).pvalue
    assert len(doc["tukey"]) == 6
    for t in doc["tukey"]:
        i, j = int(t["stream_a"][1]) - 1, int(t["stream_b"][1]) - 1
        assert _same_p(t["p_adj"], tk[i, j])
    ref = _library(groups)
    assert _same(doc["anova_p"], ref["anova_p"]) and _same(doc["levene_p"], ref["levene_p"])


@hsettings(max_examples=60)
@given(st.lists(_groups, min_size=1, max_size=5), _scale)
@example([[[2, 2], [2, 2, 2]], [[1, 5, 3], [0, 6]]], 1.0)   # one feature all equal (H = NaN), one with ties
def test_kruskal_sums_of_all_features_equal_the_per_feature_ranks(features_groups: list[list[list[int]]],
                                                                  scale: float) -> None:
    """The rank and tie sums of every feature from one lexsort (``_kruskal_sums_all``, used by
    ``factor_effect_all``) give the same H and p, bit for bit, as one argsort per feature."""
    feats = [[scale * np.asarray(g, dtype=float) for g in groups if len(g) >= MIN_PER_GROUP]
             for groups in features_groups]
    values = np.concatenate([g for f in feats for g in f] or [np.zeros(0)])
    sizes = np.array([g.size for f in feats for g in f], dtype=np.int64)
    codes = np.array([i for i, f in enumerate(feats) for _ in f], dtype=np.int64)
    ssbn, tie = _kruskal_sums_all(values, sizes, codes)
    rows = {c: r for r, c in enumerate(np.unique(codes))}
    for i, groups in enumerate(feats):
        if len(groups) < 2:
            continue
        alone, batched = _oneway_tests(groups), _oneway_tests(groups, (float(ssbn[rows[i]]), float(tie[rows[i]])))
        for key in ("kruskal_h", "kruskal_p"):
            assert alone[key] == batched[key] or (math.isnan(alone[key]) and math.isnan(batched[key])), key
