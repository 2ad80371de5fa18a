"""The array form of the lockstep Nelder–Mead (:class:`pilotqa.stats.distributions._Simplices`,
behind :func:`_nelder_mead_lockstep`) against each simplex alone (:func:`_nelder_mead`, the
generator scipy's ``fmin`` is tested against) — both ways of stepping (as arrays from one problem
up, :data:`_ARRAY_SIMPLICES` = 1, and as one generator per problem) — in the cases where the bookkeeping branches: the
call budget spent part-way through an iteration (during a reflection, an expansion, a contraction
or a shrink), ties and NaN among the vertex values (the order then comes from ``numpy.argsort``),
shrinks, problems of different dimensions in one batch, a zero coordinate in the start, and
objectives that raise part-way. Equality is exact (``==`` on the floats)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from pilotqa.stats import distributions as D
from pilotqa.stats.distributions import _nelder_mead, _nelder_mead_lockstep
from tests.test_fits_fast import _sample
from tests.test_fits_lockstep import _batched, _one_by_one


def _rosen(x: Any) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _objective(kind: str, i: int) -> Any:
    """Objective ``kind`` of problem ``i`` (a different function per problem)."""
    def f(x: Any) -> float:
        x = np.asarray(x, dtype=float)
        v = _rosen(x) + 0.1 * i
        if kind == "ripple":  # a small ripple: slow convergence, the budget runs out for some
            return v + 1e-3 * math.sin(1e4 * float(np.sum(x)) + i)
        if kind == "slope":  # unbounded below: the simplex expands until the budget of 200·N calls runs out
            return float(np.sum(x)) * (1 + 0.1 * i) + 1e-3 * math.sin(1e4 * float(x[0]))
        if kind == "ties":  # rounded values: many equal vertices, argsort decides the order
            return round(v, 1)
        if kind == "nan":  # a NaN region: NaN values among the vertices
            return math.nan if float(x[0]) > 1.5 - 0.2 * i else v
        if kind == "plateau":  # flat outside a bowl: shrinks
            return min(v, 5.0)
        return v
    return f


#: _ARRAY_SIMPLICES values: every batch stepped as arrays / as generators
WAYS = (1, 10**9)


def _same(a: Any, b: Any) -> bool:
    """Equal floats, NaN equal to NaN (nested lists)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b or (math.isnan(a) and math.isnan(b)))


def _batch(objectives: list[Any], log: list[list[list[float]]] | None = None) -> Any:
    """The batch objective of the lockstep; with ``log``, each problem's evaluated points are
    appended to ``log[i]``."""
    def func(problems: list[int], points: Any) -> list[float]:
        if log is not None:
            for i, p in zip(problems, points):
                log[i].append([float(v) for v in p])
        return [objectives[i](p) for i, p in zip(problems, points)]
    return func


def _logged(f: Any, log: list[list[float]]) -> Any:
    def g(p: Any) -> float:
        log.append([float(v) for v in p])
        return float(f(p))
    return g


@settings(max_examples=60, deadline=None)
@given(starts=st.lists(st.lists(st.floats(-3.0, 3.0, allow_nan=False, width=32), min_size=1, max_size=4),
                       min_size=1, max_size=7),
       kinds=st.lists(st.sampled_from(["plain", "ripple", "slope", "ties", "nan", "plateau"]), min_size=7, max_size=7),
       zero=st.booleans())
def test_array_lockstep_equals_each_simplex_alone(starts: list[list[float]], kinds: list[str], zero: bool) -> None:
    if zero:
        starts[0][0] = 0.0  # scipy's 0.00025 step for a zero coordinate
    objectives = [_objective(kinds[i], i) for i in range(len(starts))]
    for way in WAYS:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(D, "_ARRAY_SIMPLICES", way)
            _check_against_alone(objectives, starts)


def _check_against_alone(objectives: list[Any], starts: list[list[float]]) -> None:
    log: list[list[list[float]]] = [[] for _ in starts]
    with np.errstate(all="ignore"):
        got = _nelder_mead_lockstep(_batch(objectives, log), [list(s) for s in starts])
        for i, s in enumerate(starts):
            seen: list[list[float]] = []
            alone = _nelder_mead(_logged(objectives[i], seen), list(s))
            assert _same(got[i], alone)
            res = got[i]
            assert isinstance(res, list) and all(type(v) is float for v in res)
            assert _same(log[i], seen)  # the same points, in the same order, and as many


@pytest.mark.parametrize("way", WAYS)
def test_budget_spent_in_every_kind_of_step_equals_scipy(way: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Objectives without a minimum, of dimension 1…4: the budget runs out at the top of the loop
    (odd N) or before an expansion point (even N); every result equals scipy's fmin and the
    generator, point for point."""
    monkeypatch.setattr(D, "_ARRAY_SIMPLICES", way)
    starts = [[-1.2, 1.0, 0.5, 0.3][:d] for d in (1, 2, 3, 4) for _ in range(6)]
    objectives = [_objective("slope", i) for i in range(len(starts))]
    log: list[list[list[float]]] = [[] for _ in starts]
    with np.errstate(all="ignore"):
        got = _nelder_mead_lockstep(_batch(objectives, log), starts)
    spent = 0
    for i, s in enumerate(starts):
        with np.errstate(all="ignore"):
            ref = optimize.fmin(objectives[i], np.array(s), disp=0)
        seen: list[list[float]] = []
        with np.errstate(all="ignore"):
            alone = _nelder_mead(_logged(objectives[i], seen), list(s))
        assert _same(got[i], [float(v) for v in ref]) and _same(got[i], alone)
        assert _same(log[i], seen)  # the same points, in the same order, and as many
        spent += len(seen) == 200 * len(s)
    assert spent == len(starts)  # every one ran out of budget


@pytest.mark.parametrize("way", WAYS)
def test_ties_and_nan_equal_scipy(way: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(D, "_ARRAY_SIMPLICES", way)
    starts = [[-1.2, 1.0], [0.5, 2.9, -1.0], [2.0, 2.0], [1.4, 0.1, 0.2, 0.3]]
    for kind in ("ties", "nan", "plateau"):
        objectives = [_objective(kind, i) for i in range(len(starts))]
        with np.errstate(all="ignore"):
            got = _nelder_mead_lockstep(_batch(objectives), starts)
            for i, s in enumerate(starts):
                ref = optimize.fmin(objectives[i], np.array(s), disp=0)
                assert got[i] == [float(v) for v in ref], (kind, i)


@pytest.mark.parametrize("way", WAYS)
def test_problems_that_raise_part_way_get_their_exception_and_the_others_go_on(
        way: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(D, "_ARRAY_SIMPLICES", way)
    errors = [ValueError(f"fails {i}") for i in range(4)]
    calls = [0] * 4

    def func(problems: list[int], points: Any) -> list[Any]:
        out: list[Any] = []
        for i, p in zip(problems, points):
            calls[i] += 1
            out.append(errors[i] if i % 2 == 1 and calls[i] == 7 * i else _rosen(p) + i)
        return out

    starts = [[-1.2, 1.0], [0.3, 0.4], [2.0, -1.0], [1.0, 1.0, 1.0]]
    got = _nelder_mead_lockstep(func, starts)
    assert got[1] is errors[1] and got[3] is errors[3]
    for i in (0, 2):
        assert got[i] == _nelder_mead(lambda p, i=i: _rosen(p) + i, list(starts[i]))


def test_empty_batch_and_empty_start() -> None:
    assert _nelder_mead_lockstep(_batch([]), []) == []
    assert _nelder_mead_lockstep(_batch([_rosen]), [[]]) == [[]] and _nelder_mead(_rosen, []) == []


@pytest.mark.parametrize("lockstep_cells, way", [(10**6, 1), (900, 1), (10**6, 10**9)])
def test_lean_fits_in_chunks_equal_the_fits_one_by_one(monkeypatch: pytest.MonkeyPatch,
                                                       lockstep_cells: int, way: int) -> None:
    """lean_fits with its groups run whole or in chunks, on either simplex path: the same
    parameters, and the same exceptions, as fitting each sample alone."""
    monkeypatch.setattr(D, "_LOCKSTEP_CELLS", lockstep_cells)
    monkeypatch.setattr(D, "_ARRAY_SIMPLICES", way)
    kinds = ("normal", "lognormal", "gamma_shifted", "weibull_rounded", "t3", "bimodal")
    samples: list[tuple[np.ndarray, str, dict[str, float]]] = []
    for i, kind in enumerate(kinds * 2):
        x = _sample(kind, 220, 300 + i)
        samples += [(x, "johnsonsu", {}), (np.abs(x), "foldnorm", {"floc": 0.0})]
    samples.append((np.array([1.0, 2.0, math.inf, 3.0]), "johnsonsu", {}))
    assert _batched(samples) == [_one_by_one(*s) for s in samples]


def test_two_sided_z_is_scipys_normal_quantile() -> None:
    from scipy import stats

    for c in (0.5, 0.8, 0.9, 0.95, 0.9545, 0.99, 0.999, 1e-9, 1 - 1e-12):
        assert D._z_two_sided(c) == float(stats.norm.ppf(0.5 + c / 2))


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["lognormal", "weibull_rounded", "t3", "normal", "constant", "shifted_negative"]),
       n=st.integers(1, 700), seed=st.integers(0, 2**32 - 1), floc=st.sampled_from([0.0, -0.5, 1e-3]))
def test_halfnorm_fit_at_a_fixed_location_equals_scipy(kind: str, n: int, seed: int, floc: float) -> None:
    """The closed-form half-normal fit equals scipy's halfnorm.fit(x, floc=…) bit for bit, and
    fails where scipy's fails (readings below the location)."""
    from scipy import stats

    x = np.abs(_sample(kind, n, seed)) if kind != "shifted_negative" else _sample(kind, n, seed)
    try:
        want: Any = tuple(float(v) for v in stats.halfnorm.fit(x, floc=floc))
    except Exception:  # noqa: BLE001 - scipy's FitDataError
        want = "fails"
    try:
        got: Any = D._halfnorm_fit_floc(x, floc)
    except ValueError:
        got = "fails"
    assert got == want
    if want != "fails":
        assert D._fit_fast("halfnorm", x, {"floc": floc}) == want
