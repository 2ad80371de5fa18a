"""Null distribution of Nelson-rule signal counts (pilotqa.stats.signal_null): the simulation
counts exactly what the real chart reports, the table is a proper tail function, and the test
keeps the share of in-control charts called unstable at or below α."""
from __future__ import annotations

import numpy as np
import pytest

from pilotqa.stats import signal_null as S
from pilotqa.stats.stability import chart_from_values


@pytest.mark.parametrize("chart,m", [("i-mr", 1), ("xbar-r", 5), ("xbar-r", 2), ("xbar-s", 10)])
@pytest.mark.parametrize("rules", [(1, 2, 3, 4), (1, 2, 3, 4, 5, 6, 7, 8), (2, 5)])
def test_simulated_count_equals_the_real_charts_count(chart: str, m: int, rules: tuple[int, ...]) -> None:
    # the same random numbers through pilotqa.stats.stability (Phase I chart + ControlChart.violations)
    rng = np.random.default_rng(4)
    for t in range(60):
        n = int(rng.integers(6, 90))
        seed = [17, t, n, m]
        k_sim = int(S.simulate_signal_counts(chart, rules, n, m, runs=1, seed=seed)[0])
        r = np.random.default_rng(seed)
        if chart == "i-mr":
            ch = chart_from_values(r.standard_normal((1, n))[0])
        else:
            raw = r.standard_normal((1, n, m))[0]
            ch = chart_from_values(raw.ravel(), np.repeat(np.arange(n), m), chart=chart)
        assert k_sim == len(ch.violations(rules)), (t, n)


def test_tail_probabilities() -> None:
    sf = S.tail_probabilities(np.array([0, 0, 1, 1, 1, 3]))
    assert sf[:4] == [1.0, pytest.approx(4 / 6, abs=1e-5), pytest.approx(1 / 6, abs=1e-5), pytest.approx(1 / 6, abs=1e-5)]


def test_table_is_a_tail_function_for_every_case() -> None:
    tab = S._table()
    assert set(tab["cases"]) == {S.table_key(c, m, r) for c, m, r in S.TABLE_CASES}
    for key, per_n in tab["cases"].items():
        assert [int(n) for n in per_n] == list(S.TABLE_LENGTHS), key
        for sf in per_n.values():
            assert sf[0] == 1.0 and all(a >= b for a, b in zip(sf, sf[1:])), key


def test_table_agrees_with_a_fresh_simulation() -> None:
    # I–MR, rules 1–4, 50 points: tabulated P(K ≥ k) against 4000 new charts (other seed)
    sf = S._table()["cases"]["i-mr/1/1,2,3,4"]["50"]
    fresh = S.tail_probabilities(S.simulate_signal_counts("i-mr", (1, 2, 3, 4), 50, 1, 4000, seed=[99, 1]))
    for k in (1, 2, 3):
        se = np.sqrt(sf[k] * (1 - sf[k]) / 4000)
        assert abs(fresh[k] - sf[k]) < 4 * se + 1e-3


@pytest.mark.parametrize("chart,m,n", [("i-mr", 1, 37), ("i-mr", 1, 150), ("xbar-r", 5, 30), ("xbar-r", 4, 64)])
def test_in_control_charts_are_blocked_at_most_alpha(chart: str, m: int, n: int) -> None:
    # fresh in-control charts (a seed the table never used); n = 37 and 64 test the interpolation
    counts = S.simulate_signal_counts(chart, (1, 2, 3, 4), n, m, 3000, seed=[123, n, m])
    blocked = sum(S.signal_p_value(chart, (1, 2, 3, 4), n, int(k), m)[0] < 0.05 for k in counts)
    assert blocked / 3000 <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 3000)


def test_more_signals_smaller_p_and_beyond_the_table() -> None:
    ps = [S.signal_p_value("i-mr", (1, 2, 3, 4), 150, k)[0] for k in range(0, 22)]
    assert ps[0] == 1.0 and all(a >= b for a, b in zip(ps, ps[1:])) and ps[-1] < 0.001
    # a length beyond the table and a rule set not tabulated: simulated on demand, reproducibly
    p1 = S.signal_p_value("i-mr", (1, 5), 700, 6)
    assert p1 == S.signal_p_value("i-mr", (1, 5), 700, 6) and "simulated" in p1[2]
    assert "tabulated" in S.signal_p_value("xbar-r", (1, 2, 3, 4), 77, 2, 5)[2]


def test_chart_signal_p_value_reads_a_stability_object() -> None:
    stab = {"chart": "i-mr", "rules": [1, 2, 3, 4], "n_points": 150, "subgroup_size": 1, "subgroup_sizes": [1],
            "violations": [{"chart": "x", "rule": 2, "index": i} for i in (20, 21, 22)]
            + [{"chart": "x", "rule": 1, "index": 22}]}
    p, expected, _ = S.chart_signal_p_value(stab)
    assert p == S.signal_p_value("i-mr", (1, 2, 3, 4), 150, 4)[0]
    assert expected == pytest.approx(sum(S._table()["cases"]["i-mr/1/1,2,3,4"]["150"][1:]))
