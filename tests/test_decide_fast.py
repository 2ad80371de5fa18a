"""decide (issue 16): the searches for "parts needed" take z = Φ⁻¹((1 + c)/2) from a cache and
stop the bisection once its two ends are adjacent floats (no later step could move either), and
the chart-signal p-value looks each (chart, rules, length) null distribution up once. The
computations they replaced are kept here as the reference; results must be the same bits.
"""
from __future__ import annotations

import math
from statistics import NormalDist
from typing import Iterable

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from pilotqa.decide import parts_needed as P
from pilotqa.stats.signal_null import _ONDEMAND_RUNS, _ondemand, _sf_at, _table, signal_p_value, table_key


def reference_bissell_lower_at(index: float, n: float, nu: float, confidence: float = 0.95) -> float:
    z = NormalDist().inv_cdf((1.0 + confidence) / 2.0)
    return float(index) - z * math.sqrt(1.0 / (9.0 * n) + float(index) ** 2 / (2.0 * nu))


def reference_required_point_estimate(requirement: float, n: float, nu: float, confidence: float = 0.95) -> float:
    """required_point_estimate before issue 16's change: always 200 bisection steps."""
    lo, hi = float(requirement), float(requirement) + 1.0
    while reference_bissell_lower_at(hi, n, nu, confidence) < requirement:
        hi += max(1.0, hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if reference_bissell_lower_at(mid, n, nu, confidence) >= requirement:
            hi = mid
        else:
            lo = mid
    return hi


def reference_signal_p_value(chart: str, rules: Iterable[int], n_points: int, signals: int,
                             subgroup_size: int | None = None) -> tuple[float, float, str]:
    """signal_p_value before issue 16's change (the table looked up on every call)."""
    rl = tuple(sorted(set(int(r) for r in rules)))
    k = int(signals)
    n = int(n_points)
    if chart == "i-mr":
        m = 1
    else:
        m = int(subgroup_size or 5)
        if chart == "xbar-r":
            m = min(max(m, 2), 9)
        elif chart == "xbar-s" and m < 10:
            m = 10
    if not rl or n < 1:
        return (1.0 if k == 0 else 0.0), 0.0, "no rules"
    tab = _table()
    key = table_key(chart, m, rl)
    lengths = [int(x) for x in tab.get("lengths", [])]
    case = tab.get("cases", {}).get(key)
    if case is not None and lengths and lengths[0] <= n <= lengths[-1]:
        j = int(np.searchsorted(lengths, n))
        if lengths[j] == n:
            sf = case[str(n)]
            p, mean = _sf_at(sf, k), float(sum(sf[1:]))
        else:
            a, b = lengths[j - 1], lengths[j]
            w = (n - a) / (b - a)
            sa, sb = case[str(a)], case[str(b)]
            p = (1 - w) * _sf_at(sa, k) + w * _sf_at(sb, k)
            mean = (1 - w) * sum(sa[1:]) + w * sum(sb[1:])
        method = f"tabulated null distribution ({tab.get('runs_per_cell')} simulated charts per length)"
    else:
        sf = _ondemand(chart, m, rl, n)
        p, mean = _sf_at(sf, k), float(sum(sf[1:]))
        method = f"simulated null distribution ({_ONDEMAND_RUNS} charts, fixed seed)"
    return max(p, 5e-5), mean, method



@hsettings(max_examples=300, deadline=None)
@given(index=st.floats(-2.0, 5.0), n=st.integers(2, 100_000), nu_frac=st.floats(0.05, 1.0),
       requirement=st.sampled_from([1.0, 1.33, 1.67, 2.0]), confidence=st.sampled_from([0.9, 0.95, 0.99]))
def test_bound_and_required_estimate_equal_reference(index: float, n: int, nu_frac: float, requirement: float,
                                                     confidence: float) -> None:
    nu = max(5.0, nu_frac * (n - 1))  # ν > z²/2: the bound increases with the estimate
    assert P.bissell_lower_at(index, n, nu, confidence) == reference_bissell_lower_at(index, n, nu, confidence)
    assert (P.required_point_estimate(requirement, n, nu, confidence)
            == reference_required_point_estimate(requirement, n, nu, confidence))


def test_z_is_checked_and_cached() -> None:
    with pytest.raises(ValueError):
        P._z(1.0)
    assert P._z(0.95) == NormalDist().inv_cdf(0.975)


@hsettings(max_examples=300, deadline=None)
@given(chart=st.sampled_from(["i-mr", "xbar-r", "xbar-s"]),
       rules=st.sampled_from([(1, 2, 3, 4), (1,), tuple(range(1, 9)), (2, 3), ()]),
       n=st.one_of(st.integers(0, 520), st.sampled_from([5, 6, 150, 500])), k=st.integers(0, 40),
       m=st.one_of(st.none(), st.integers(1, 14)))
def test_signal_p_value_equals_reference(chart: str, rules: tuple[int, ...], n: int, k: int, m: int | None) -> None:
    if (rules not in ((1, 2, 3, 4), (1,), tuple(range(1, 9))) or n > 500) and n > 40:
        n = 40  # keep on-demand simulations (not tabulated) small
    assert signal_p_value(chart, rules, n, k, m) == reference_signal_p_value(chart, rules, n, k, m)
