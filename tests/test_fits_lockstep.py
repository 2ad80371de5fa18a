"""The batched fits of the statistics stage (issue 16) give the numbers of the one-by-one fits:
Nelder–Mead simplices stepped in lockstep (:func:`_nelder_mead_lockstep`), the lean objectives
evaluated for many samples as one array computation (:class:`_RowsObjective`), the Johnson SU /
folded-normal fits of all features before the per-feature assembly (:func:`lean_fits`,
:func:`lean_prefits`) and :func:`capability_model` with those fits passed in.

Equality is exact (``==`` on floats): the batched code performs the same floating-point
operations on every element, and the simplex must stop at the same vertex."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from pilotqa.stats import distributions as D
from tests.test_fits_fast import _sample
from pilotqa.stats.distributions import (
    _foldnorm_nnlf,
    _generic_ml_fit,
    _johnsonsu_nnlf,
    _nelder_mead,
    _nelder_mead_lockstep,
    _RowsObjective,
    capability_model,
    fits_wanted,
    lean_fits,
    lean_prefits,
    normality,
)

KINDS = ("normal", "lognormal", "gamma_shifted", "weibull_rounded", "t3", "bimodal", "shifted_negative")


def _one_by_one(x: np.ndarray, name: str, fixed: dict[str, float]) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return tuple(float(v) for v in _generic_ml_fit(getattr(stats, name), x, fixed))
        except Exception as exc:  # noqa: BLE001 - both must fail alike
            return type(exc).__name__


def _batched(samples: list[tuple[np.ndarray, str, dict[str, float]]]) -> list[Any]:
    return [r if isinstance(r, tuple) else type(r).__name__ for r in lean_fits(samples)]


# --------------------------------------------------------------------------- building blocks
@given(rows=st.integers(1, 40), n=st.integers(1, 1200), seed=st.integers(0, 2**32 - 1))
def test_row_sums_of_a_c_contiguous_array_equal_each_rows_own_sum(rows: int, n: int, seed: int) -> None:
    """The premise of the batched objective: numpy adds each row of ``sum(axis=1)`` as it adds the
    row alone (pairwise summation along the contiguous axis)."""
    a = np.random.default_rng(seed).standard_cauchy((rows, n)) * 1e3
    sums = np.sum(a, axis=1)
    assert [float(s) for s in sums] == [float(np.sum(a[i])) for i in range(rows)]
    # a gathered subset of the rows too (how the unfinished problems are evaluated)
    pick = np.arange(rows)[::2]
    assert [float(s) for s in np.sum(a[pick], axis=1)] == [float(np.sum(a[i])) for i in pick]


def _rosen(x: Any) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


@given(starts=st.lists(st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=3, max_size=3),
                       min_size=1, max_size=6))
def test_lockstep_simplices_equal_each_one_alone(starts: list[list[float]]) -> None:
    def batch(problems: list[int], points: list[list[float]]) -> list[float]:
        return [_rosen(p) + 0.1 * i for i, p in zip(problems, points)]

    got = _nelder_mead_lockstep(batch, [list(s) for s in starts])
    for i, s in enumerate(starts):
        alone = _nelder_mead(lambda p, i=i: _rosen(p) + 0.1 * i, list(s))
        assert got[i] == alone
        assert alone == [float(v) for v in optimize.fmin(lambda p, i=i: _rosen(p) + 0.1 * i, np.array(s), disp=0)]


def test_lockstep_problem_whose_objective_raises_gets_the_exception() -> None:
    boom = ValueError("no value here")

    def batch(problems: list[int], points: list[list[float]]) -> list[Any]:
        return [boom if i == 1 and p[0] > 1.01 else _rosen(p) for i, p in zip(problems, points)]

    got = _nelder_mead_lockstep(batch, [[-1.2, 1.0], [1.0, 1.0], [0.5, 0.5]])
    assert got[1] is boom
    assert got[0] == _nelder_mead(_rosen, [-1.2, 1.0]) and got[2] == _nelder_mead(_rosen, [0.5, 0.5])


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS[:-1]), n=st.integers(5, 700), k=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       family=st.sampled_from(["johnsonsu", "foldnorm"]),
       jitter=st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=4, max_size=4))
def test_rows_objective_equals_the_single_sample_objective(kind: str, n: int, k: int, seed: int, family: str,
                                                          jitter: list[float]) -> None:
    """At ordinary points and at the odd ones (a shape or scale out of range, an infinite location,
    log-densities that underflow to -inf, so the penalised sum is used)."""
    rows = np.stack([_sample(kind, n, seed + i) for i in range(k)])
    if family == "foldnorm":
        rows = np.abs(rows)
    x0 = [float(np.mean(rows)), float(np.std(rows)) or 1.0]
    if family == "johnsonsu":
        base = [0.3, 1.2, x0[0], x0[1]]
        odd = [[0.3, -1.0, x0[0], x0[1]], [0.3, 1.2, x0[0], 0.0], [0.3, 1.2, math.inf, 1.0],
               [math.nan, 1.0, 0.0, 1.0], [40.0, 0.01, x0[0], x0[1] * 1e-9]]
        single = [_johnsonsu_nnlf(rows[i]) for i in range(k)]
    else:
        base = [0.7, x0[1]]
        odd = [[-0.1, 1.0], [0.5, -1.0], [0.5, 1e-300], [1e300, 1e-3]]
        single = [_foldnorm_nnlf(rows[i], 0.0) for i in range(k)]
    points = [[b * math.exp(j / 4) if b > 0 else b + j for b, j in zip(base, jitter)]] + odd
    obj = _RowsObjective(family, np.ascontiguousarray(rows), 0.0)
    for p in points:
        for problems in (list(range(k)), list(range(k))[::-1], list(range(0, k, 2))):
            with np.errstate(all="ignore"):
                got = obj(problems, [list(p)] * len(problems))
                want = [single[i](list(p)) for i in problems]
            assert [float(g) for g in got] == want or all(
                math.isnan(g) and math.isnan(w) or g == w for g, w in zip(got, want))


# --------------------------------------------------------------------------- the fits
@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=8), same_n=st.booleans(),
       n=st.integers(30, 400), seed=st.integers(0, 2**32 - 1))
def test_lean_fits_equal_the_fits_one_by_one(kinds: list[str], same_n: bool, n: int, seed: int) -> None:
    samples: list[tuple[np.ndarray, str, dict[str, float]]] = []
    for i, kind in enumerate(kinds):
        x = _sample(kind, n if same_n else n + 17 * (i % 3), seed + i)
        samples.append((x, "johnsonsu", {}))
        samples.append((x, "foldnorm", {"floc": 0.0}))
    assert _batched(samples) == [_one_by_one(*s) for s in samples]


def test_lean_fits_in_chunks_and_with_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups split into chunks (a small cell budget), a sample with a non-finite reading, an
    unknown fixed argument and a family without a lean objective all end as alone."""
    monkeypatch.setattr(D, "_LOCKSTEP_CELLS", 700)
    samples: list[tuple[np.ndarray, str, dict[str, float]]] = [
        (_sample(k, 250, 40 + i), "johnsonsu", {}) for i, k in enumerate(KINDS)]
    samples += [(np.abs(_sample(k, 250, 90 + i)), "foldnorm", {"floc": 0.0}) for i, k in enumerate(KINDS)]
    samples += [(np.array([1.0, 2.0, math.inf, 3.0]), "johnsonsu", {}),
                (_sample("t3", 250, 7), "johnsonsu", {"fbogus": 1.0}),
                (_sample("lognormal", 250, 8), "gamma", {"floc": 0.0}),
                (_sample("shifted_negative", 250, 9), "foldnorm", {"floc": 0.0})]
    got = _batched(samples)
    assert got == [_one_by_one(*s) for s in samples]
    assert got[-4] == "ValueError" and got[-3] == "TypeError"


@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=5), n=st.sampled_from([8, 12, 40, 210, 260]),
       lbz=st.lists(st.booleans(), min_size=5, max_size=5), seed=st.integers(0, 2**32 - 1))
def test_capability_model_with_prefits_equals_without(kinds: list[str], n: int, lbz: list[bool], seed: int) -> None:
    """lean_prefits of several features, passed to capability_model: the same model documents and
    notes as capability_model fitting alone; fits_wanted says when fits happen."""
    feats = []
    for i, kind in enumerate(kinds):
        x = _sample(kind, n, seed + i)
        if lbz[i]:
            x = np.abs(x)
        feats.append((x, lbz[i], normality(x)[0]))
    pre = lean_prefits(feats)
    for (x, bounded, doc), p in zip(feats, pre):
        usl = float(np.max(x)) + 0.3 * float(np.ptp(x))
        lsl = None if bounded else float(np.min(x)) - 0.3 * float(np.ptp(x))
        alone = capability_model(x, lsl, usl, bounded, doc, {})
        batched = capability_model(x, lsl, usl, bounded, doc, {}, prefit=p)
        assert batched == alone
        assert (p is not None) == fits_wanted(x, bounded, doc)
        fitted = alone[0] is not None and bool(alone[0]["candidates"] or "no distribution could be fitted"
                                               in alone[0]["reason"])
        assert fits_wanted(x, bounded, doc) == fitted


# --------------------------------------------------------------------------- the delta-method interval
FAMILIES = (("norm", {}), ("lognorm", {"floc": 0.0}), ("weibull_min", {"floc": 0.0}), ("gamma", {"floc": 0.0}),
            ("halfnorm", {"floc": 0.0}), ("foldnorm", {"floc": 0.0}), ("lognorm", {}), ("weibull_min", {}),
            ("gamma", {}), ("johnsonsu", {}))


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(kind=st.sampled_from(KINDS), n=st.integers(3, 300), seed=st.integers(0, 2**32 - 1),
       jitter=st.lists(st.floats(-0.3, 0.3, allow_nan=False), min_size=6, max_size=6))
def test_batched_loglik_and_ppk_equal_one_point_at_a_time(kind: str, n: int, seed: int, jitter: list[float]) -> None:
    """_logpdf_sums and _ppks against _logpdf_sum and the per-point percentile Ppk, for every
    family at points around a plausible fit, including points with invalid parameters and with
    readings outside the support (those take the single-point path)."""
    x = _sample(kind, n, seed)
    lsl, usl = float(np.min(x)) - 0.5, float(np.max(x)) + 0.5
    for name, _fixed in FAMILIES:
        dist = getattr(stats, name)
        k = dist.numargs + 2
        base = np.array([1.3] * dist.numargs + [float(np.min(x)) - 0.1, float(np.std(x)) or 1.0])
        pts = [base * (1 + np.array(jitter[:k])), base, base * np.array([1.0] * (k - 1) + [-1.0]),
               base + np.array([0.0] * (k - 2) + [float(np.ptp(x)), 0.0]),  # some readings below loc
               base * np.array([-1.0] * dist.numargs + [1.0, 1.0])]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got = D._logpdf_sums(dist, x)(pts)
            want = [D._logpdf_sum(dist, x)(p) for p in pts]
            assert [g == w or (math.isnan(g) and math.isnan(w)) for g, w in zip(got, want)] == [True] * len(pts), name
            for limits in ((lsl, usl), (None, usl), (lsl, None)):
                ppk = D._ppks(dist, pts, *limits)
                ref = []
                for p in pts:
                    v = D._percentile_indices(D._Model(dist, tuple(p)), *limits, False)["ppk"]
                    ref.append(math.nan if v is None else float(v))
                assert [a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(ppk, ref)] == [True] * len(pts)


@settings(max_examples=40, deadline=None)
@given(start=st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=2, max_size=4),
       digits=st.sampled_from([0, 1, 3]), nan_edge=st.booleans())
def test_nelder_mead_with_ties_and_nan_equals_scipy_fmin(start: list[float], digits: int, nan_edge: bool) -> None:
    """Objective values with many ties (rounded) and NaN regions: the vertex order then comes from
    numpy's argsort, and the insertion of a new vertex must give the same order as sorting."""
    def f(x: Any) -> float:
        v = round(_rosen(x), digits)
        return math.nan if nan_edge and float(np.asarray(x)[0]) > 2.5 else v

    with np.errstate(all="ignore"):
        ref = optimize.fmin(f, np.array(start), disp=0)
    assert _nelder_mead(f, list(start)) == [float(v) for v in ref]


def test_times_minus_half_is_minus_v_over_two() -> None:
    """The lean objectives compute scipy's -(x*x)/2.0 as (x*x)*(-0.5): the same double for every
    non-NaN value (normal, subnormal, huge, infinite, signed zeros)."""
    rng = np.random.default_rng(16)
    v = np.concatenate([rng.standard_cauchy(200_000) * 10.0 ** rng.integers(-320, 300, 200_000),
                        [math.inf, -math.inf, 0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]])
    with np.errstate(all="ignore"):
        ref = np.divide(np.negative(v), 2.0)
        got = np.multiply(v, -0.5)
    assert np.array_equal(ref.view(np.int64), got.view(np.int64))
    assert math.isnan(float(np.multiply(np.array([math.nan]), -0.5)[0]))


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(KINDS), n=st.integers(2, 300), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([1.0, 1e-3, 1e4]))
def test_fitstart_equals_scipys(kind: str, n: int, seed: int, scale: float) -> None:
    """The start of the generic fit with the standard moments cached: scipy's numbers and types,
    for the families without their own start and (by scipy's call) those with one."""
    x = _sample(kind, n, seed) * scale
    for name, _fixed in FAMILIES:
        dist = getattr(stats, name)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            want = dist._fitstart(x)
            got = D._fitstart(dist, x)
        assert len(got) == len(want)
        assert all((g == w or (g != g and w != w)) and type(g) is type(w) for g, w in zip(got, want)), name


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(KINDS), n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1),
       jitter=st.lists(st.floats(-0.5, 0.5, allow_nan=False), min_size=6, max_size=6))
def test_cdf_fast_equals_scipy_cdf(kind: str, n: int, seed: int, jitter: list[float]) -> None:
    """The cdf the fitted models' AD statistic uses: scipy's dist.cdf for every family, also with
    readings on or outside the support and invalid parameters (scipy's own call)."""
    x = np.sort(_sample(kind, n, seed))
    for name, _fixed in FAMILIES:
        dist = getattr(stats, name)
        k = dist.numargs + 2
        base = np.array([1.3] * dist.numargs + [float(np.min(x)) - 0.1, float(np.std(x)) or 1.0])
        for p in (base * (1 + np.array(jitter[:k])), base + np.array([0.0] * (k - 2) + [float(np.ptp(x)), 0.0]),
                  base * np.array([1.0] * (k - 1) + [-1.0]), base * np.array([-1.0] * dist.numargs + [1.0, 1.0])):
            par = tuple(float(v) for v in p)
            with np.errstate(all="ignore"):
                got, want = D._cdf_fast(dist, par)(x), dist.cdf(x, *par)
            assert np.array_equal(got, want, equal_nan=True), name
