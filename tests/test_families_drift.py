"""drift (issue 16): hac_trend takes the Student t tail and quantile from scipy.special (the
functions scipy.stats.t calls) instead of importing scipy.stats. The scipy.stats form is kept
here as the reference and must give the same bits on hypothesis-drawn series.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings as hsettings, strategies as st

from pilotqa.stats.drift import hac_trend, newey_west_lags


def reference_hac_trend(sequence: Any, values: Any, group: Any = None, *, confidence: float = 0.95) -> dict[str, Any]:
    """hac_trend before issue 16's change (p-value and interval from scipy.stats.t)."""
    from scipy import stats

    s = np.asarray(sequence, dtype=float)
    y = np.asarray(values, dtype=float)
    g = np.zeros(s.size, dtype=np.intp) if group is None else np.asarray(group, dtype=np.intp)
    n_groups = int(g.max()) + 1 if g.size else 0
    n = np.bincount(g, minlength=n_groups).astype(float)
    lags = np.array([newey_west_lags(int(k)) for k in n], dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ds = s - (np.bincount(g, weights=s, minlength=n_groups) / n)[g]
        dy = y - (np.bincount(g, weights=y, minlength=n_groups) / n)[g]
        sxx = np.bincount(g, weights=ds * ds, minlength=n_groups)
        slope = np.bincount(g, weights=ds * dy, minlength=n_groups) / sxx
        intercept = np.bincount(g, weights=y, minlength=n_groups) / n - slope * (
            np.bincount(g, weights=s, minlength=n_groups) / n)
        v = ds * (dy - slope[g] * ds)
        meat = np.bincount(g, weights=v * v, minlength=n_groups).astype(np.float64)
        for lag in range(1, int(lags.max(initial=0)) + 1):
            same = g[lag:] == g[:-lag]
            w = np.clip(1.0 - lag / (lags + 1.0), 0.0, None)
            cross = np.bincount(g[lag:][same], weights=(v[lag:] * v[:-lag])[same], minlength=n_groups)
            meat += 2.0 * w * cross
        se = np.sqrt(n / (n - 2.0) * meat) / sxx
        df = n - 2.0
        t = slope / se
        p = 2.0 * stats.t.sf(np.abs(t), df)
        q = stats.t.ppf(1.0 - (1.0 - confidence) / 2.0, df)
    bad = ~(sxx > 0) | (n <= 2)
    for arr in (slope, intercept, se, t, p):
        arr[bad] = np.nan
    return {
        "n": n.astype(np.int64), "lags": lags, "slope": slope, "intercept": intercept, "se": se, "t": t,
        "p_value": p, "ci_low": np.where(bad, np.nan, slope - q * se),
        "ci_high": np.where(bad, np.nan, slope + q * se),
    }



@hsettings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.integers(1, 60), min_size=1, max_size=6), seed=st.integers(0, 2**31 - 1),
       confidence=st.floats(0.5, 0.999), rounded=st.booleans())
def test_hac_trend_equals_scipy_stats_form(lengths: list[int], seed: int, confidence: float, rounded: bool) -> None:
    rng = np.random.default_rng(seed)
    s = np.concatenate([np.sort(rng.integers(0, 3 * n + 1, n)).astype(float) for n in lengths])
    y = np.concatenate([rng.normal(0.0, 1.0, n) + rng.normal() * np.arange(n) for n in lengths])
    if rounded:
        y = np.round(y, 1)  # ties, constant stretches, zero residuals
    g = np.repeat(np.arange(len(lengths)), lengths)
    got = hac_trend(s, y, g, confidence=confidence)
    want = reference_hac_trend(s, y, g, confidence=confidence)
    assert list(got) == list(want)
    for k in got:
        assert np.array_equal(np.asarray(got[k], dtype=float), np.asarray(want[k], dtype=float), equal_nan=True), k
