"""drift (issue 16): the Mann–Kendall tests of all features of one length run in one
``kendalltau(..., axis=1)`` call; the per-feature call it replaced is kept here as the reference
(drift_all must give the same results, every number and note). hac_trend takes the Student t tail and quantile from scipy.special (the
functions scipy.stats.t calls) instead of importing scipy.stats. The scipy.stats form is kept
here as the reference and must give the same bits on hypothesis-drawn series.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from hypothesis import given, settings as hsettings, strategies as st

from pilotqa.settings import Settings
from tests.equality import assert_same as _same
from pilotqa.stats.drift import (
    _num,
    _series_result,
    drift_all,
    hac_trend,
    newey_west_lags,
    parts_to_limit,
    tolerance_width,
)


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


def reference_drift_all(meas: pl.DataFrame, specs: pl.DataFrame, sigma_within: dict[str, float | None],
                        settings: Settings) -> dict[str, dict[str, Any]]:
    """drift_all before issue 16's change: one scipy.stats.kendalltau call per feature."""
    out: dict[str, dict[str, Any]] = {}
    if meas.height == 0:
        return out
    summ = (
        meas.group_by("feature")
        .agg(
            pl.len().alias("n"),
            (pl.col("sequence").max() - pl.col("sequence").min()).alias("span"),
            pl.col("sequence").max().alias("last_seq"),
        )
        .join(specs.select("feature", "nominal", "lsl", "usl", "lower_bound_zero"), on="feature", how="left")
    )
    info = {r["feature"]: r for r in summ.iter_rows(named=True)}
    data = meas.select("feature", "sequence", "value").sort(["feature", "sequence"], maintain_order=True)
    group = data["feature"].rle_id().to_numpy()
    seq = data["sequence"].to_numpy().astype(float)
    val = data["value"].to_numpy().astype(float)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], group.size]
    names = data["feature"].gather(starts).to_list()
    hac = hac_trend(seq, val, group, confidence=settings.confidence)
    alpha = settings.alpha
    for i, (feat, a, b) in enumerate(zip(names, starts, ends)):
        r = info[feat]
        res = _series_result(seq[a:b], val[a:b], hac, i)
        notes: list[str] = res.pop("notes")
        intercept = res["intercept"]
        tol, basis = tolerance_width(r["lsl"], r["usl"], r["nominal"], r["lower_bound_zero"])
        slope = res["slope"]
        span = r["span"]
        pct = _num(abs(slope) * span / tol * 100.0) if (slope is not None and tol and span is not None) else None
        if tol is None:
            notes.append(f"no tolerance width ({basis}): drift not expressed as % of tolerance")
        p, mk = res["p_value"], res["mann_kendall_p"]
        significant: bool | None
        if p is None or mk is None:
            significant = False if slope == 0.0 else None
        else:
            same_sign = np.sign(slope) == np.sign(res["kendall_tau"] or 0.0)
            significant = bool(p < alpha and mk < alpha and same_sign)
            if p < alpha and mk < alpha and not same_sign:
                notes.append("OLS slope and Mann–Kendall trend disagree in sign: not flagged")
        ptl: int | None = None
        if significant:
            sw = sigma_within.get(feat)
            if sw is None or not math.isfinite(sw):
                notes.append("within sigma undefined: parts to limit not projected")
            else:
                ptl, why = parts_to_limit(intercept, slope, float(r["last_seq"]), float(sw), _num(r["lsl"]), _num(r["usl"]))
                if why:
                    notes.append(f"parts to limit not projected: {why}")
        elif significant is False:
            notes.append("no significant drift: parts to limit not projected")
        out[feat] = {
            **res,
            "sequence_span": int(span) if span is not None else None,
            "drift_pct_tolerance": pct,
            "tolerance": _num(tol),
            "tolerance_basis": basis,
            "parts_to_limit": ptl,
            "significant": significant,
            "practically_relevant": (bool(pct > settings.drift_pct) if pct is not None else None),
            "notes": notes,
        }
    return out


@st.composite
def drift_frames(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, float | None]]:
    rows: list[dict[str, Any]] = []
    specs: list[dict[str, Any]] = []
    sigma: dict[str, float | None] = {}
    lengths = draw(st.lists(st.sampled_from([1, 4, 5, 8, 20, 33, 34, 40, 60]), min_size=1, max_size=8))
    for f, n in enumerate(lengths):
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        shape = draw(st.sampled_from(["noise", "trend", "constant", "rounded", "nan", "seq_ties"]))
        i = np.arange(n, dtype=float)
        v = rng.normal(10.0, 0.1, n) + (0.01 * i if shape == "trend" else 0.0)
        if shape == "constant":
            v = np.full(n, 10.0)
        if shape == "rounded":
            v = np.round(v, 1)
        if shape == "nan" and n:
            v[rng.integers(0, n)] = math.nan
        seq = (i // 2 if shape == "seq_ties" else i) + 1
        rows += [{"feature": f"F{f}", "sequence": int(seq[k]), "value": float(v[k])} for k in range(n)]
        specs.append({"feature": f"F{f}", "nominal": 10.0, "lsl": 9.5, "usl": 10.5, "lower_bound_zero": False})
        sigma[f"F{f}"] = draw(st.sampled_from([0.1, None, math.nan]))
    meas = pl.DataFrame(rows, schema={"feature": pl.String, "sequence": pl.Int64, "value": pl.Float64})
    sp = pl.DataFrame(specs, schema={"feature": pl.String, "nominal": pl.Float64, "lsl": pl.Float64,
                                     "usl": pl.Float64, "lower_bound_zero": pl.Boolean})
    return meas, sp, sigma


@hsettings(max_examples=120, deadline=None)
@given(data=drift_frames())
def test_drift_all_equals_per_feature_kendalltau(data: tuple[pl.DataFrame, pl.DataFrame, dict[str, float | None]]) -> None:
    meas, specs, sigma = data
    _same(drift_all(meas, specs, sigma, Settings()), reference_drift_all(meas, specs, sigma, Settings()))
