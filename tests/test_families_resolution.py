"""resolution_all works on each feature's distinct readings and finds each reading's decimals in
numpy (issue 16). The computation it replaced — the nine-way polars expression on every reading
(:func:`pilotqa.stats.resolution._decimals_expr`, kept in the package as the reference form) and
every reading through the joins — is kept here as the reference; both must agree exactly on
hypothesis-drawn readings (gauge steps, computed values, halves, huge and tiny magnitudes,
negative values, missing and non-finite readings, one-sided limits).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from hypothesis import example, given, settings as hsettings, strategies as st

from pilotqa.stats.resolution import (
    _EXACT,
    MAX_DECIMALS,
    MAX_PCT_TOLERANCE,
    MIN_DISTINCT,
    RESOLUTION_SCHEMA,
    _decimals,
    _decimals_expr,
    resolution_all,
)


def reference_resolution_all(meas: pl.DataFrame, specs: pl.DataFrame) -> pl.DataFrame:
    """resolution_all before issue 16's change (every reading through the polars pipeline)."""
    m = meas.select("feature", "value").filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    m = m.with_columns(_decimals_expr().alias("_dec"))
    summ = m.group_by("feature").agg(
        pl.len().alias("n"),
        pl.col("_dec").max().alias("dec"),
        pl.col("value").mean().alias("mean"),
        pl.col("value").std(ddof=1).alias("sd"),
        pl.col("value").abs().max().alias("_amax"),
    )
    # A grid of whole numbers exists only while value·10^d stays exact in a float (< 2^53):
    # larger readings (e.g. 1e308, or 1e12 with 6 decimals) fall back to the smallest difference.
    too_big = pl.col("_amax") * 10.0 ** pl.col("dec").cast(pl.Float64) >= _EXACT
    summ = summ.with_columns(pl.when(too_big).then(pl.lit(MAX_DECIMALS + 1, dtype=pl.Int64))
                             .otherwise(pl.col("dec")).alias("dec"))
    m = m.join(summ.select("feature", "dec", "mean", "sd"), on="feature")
    inside = m.filter(
        (pl.col("sd").is_null()) | (pl.col("sd") == 0)
        | ((pl.col("value") - pl.col("mean")).abs() <= 3 * pl.col("sd"))
    )
    distinct = inside.group_by("feature").agg(pl.col("value").round_sig_figs(12).n_unique().alias("distinct_values"))
    # Integer grid for features with a fixed number of decimals; rounded floats otherwise.
    grid = (
        m.filter(pl.col("dec") <= MAX_DECIMALS)
        .with_columns((pl.col("value") * 10.0 ** pl.col("dec").cast(pl.Float64)).round(0).cast(pl.Int64).alias("_k"))
        .group_by("feature")
        .agg(pl.col("_k").unique().sort().diff().drop_nulls().alias("_dk"), pl.col("dec").first())
    )
    cont = (
        m.filter(pl.col("dec") > MAX_DECIMALS)
        .group_by("feature")
        .agg(pl.col("value").round_sig_figs(12).unique().sort().diff().drop_nulls().min().alias("_mind"))
    )
    step: dict[str, tuple[float | None, str]] = {}
    for feat, dk, dec in grid.iter_rows():
        arr = np.asarray(dk, dtype=np.int64)
        arr = arr[arr > 0]
        step[feat] = (float(np.gcd.reduce(arr)) * 10.0 ** (-dec) if arr.size else None, "decimals")
    for feat, mind in cont.iter_rows():
        ok = mind is not None and math.isfinite(mind) and mind > 0
        step[feat] = (float(mind) if ok else None, "min-difference")
    huge = set(summ.filter(pl.col("_amax") >= _EXACT)["feature"].to_list())

    sp = specs.select("feature", "nominal", "lsl", "usl", "lower_bound_zero")
    df = sp.join(summ.select("feature", "n"), on="feature", how="left").join(distinct, on="feature", how="left")
    rows: list[dict[str, Any]] = []
    for r in df.iter_rows(named=True):
        feat = r["feature"]
        n = int(r["n"] or 0)
        st, how = step.get(feat, (None, "decimals"))
        lo, hi, nom = r["lsl"], r["usl"], r["nominal"]
        tol: float | None = None
        if lo is not None and hi is not None:
            tol = hi - lo
        elif lo is not None or hi is not None:
            lim = hi if hi is not None else lo
            if nom is not None and nom != lim:
                tol = abs(lim - nom)
            elif r["lower_bound_zero"]:
                tol = abs(lim) or None
        pct = 100.0 * st / tol if st is not None and tol else None
        dv = int(r["distinct_values"]) if r["distinct_values"] is not None else (0 if n == 0 else None)
        note: str | None = None
        adequate: bool | None
        if n == 0:
            adequate, note = None, "No readings: resolution not judged."
        elif dv is not None and dv <= 1 and n >= 2:
            adequate = False
            note = "All readings are equal at the gauge resolution: the process spread is not resolved."
        elif pct is None and feat in huge and st is None:
            adequate = None
            note = ("Resolution not judged: readings this large (beyond 2^53 in magnitude) leave no "
                    "gauge step that floating point can resolve.")
        elif pct is None:
            adequate = None
            note = ("Resolution not judged: fewer than two distinct readings." if st is None
                    else "Resolution not judged against the tolerance: no two-sided tolerance and no nominal to measure it from.")
        else:
            fine = pct <= MAX_PCT_TOLERANCE
            if n < 10:
                adequate = fine
                note = f"Only {n} readings: adequacy judged on the step alone (≤ {MAX_PCT_TOLERANCE:g} % of tolerance)."
            else:
                adequate = fine and (dv or 0) >= MIN_DISTINCT
                if not fine:
                    note = (f"Gauge step {st:.6g} is {pct:.1f} % of the tolerance (more than "
                            f"{MAX_PCT_TOLERANCE:g} %, AIAG MSA rule of tens).")
                elif (dv or 0) < MIN_DISTINCT:
                    note = (f"Only {dv} distinct readings inside the process spread (x̄ ± 3s); at least "
                            f"{MIN_DISTINCT} are needed for capability to mean anything (AIAG MSA).")
        if how == "min-difference" and st is not None and note is None:
            note = "Readings carry no fixed number of decimals; step = smallest difference between distinct readings."
        rows.append({"feature": feat, "step": st, "step_method": how if st is not None else None,
                     "tolerance": tol, "pct_tolerance": pct if pct is None or math.isfinite(pct) else None,
                     "distinct_values": dv, "adequate": adequate, "note": note})
    return pl.DataFrame(rows, schema=RESOLUTION_SCHEMA)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
gauge_value = st.builds(lambda k, d: k / 10.0**d, st.integers(-10**9, 10**9), st.integers(0, 10))


@hsettings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(finite, gauge_value, st.builds(lambda k: k + 0.5, st.integers(-10**6, 10**6))),
                       min_size=1, max_size=50))
@example(values=[0.5, -0.5, 2.5e-9, 1e308, -1e-308, 5e-324, 123456789.123456789, 0.0, -0.0, 4.5e11, 5.5e12])
def test_decimals_equal_the_polars_expression(values: list[float]) -> None:
    v = np.array(values, dtype=float)
    want = pl.DataFrame({"value": v}).select(_decimals_expr())["literal"].to_numpy()
    assert _decimals(v).tolist() == want.tolist()


def _same_frame(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.schema == want.schema and got.height == want.height
    for r, s in zip(got.iter_rows(named=True), want.iter_rows(named=True)):
        for k in r:
            a, b = r[k], s[k]
            assert (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b, (k, a, b)


@st.composite
def inspections(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows: list[dict[str, Any]] = []
    specs: list[dict[str, Any]] = []
    for f in range(draw(st.integers(1, 5))):
        n = draw(st.integers(0, 40))
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        kind = draw(st.sampled_from(["step", "computed", "constant", "huge", "mixed"]))
        centre = draw(st.sampled_from([0.0, 1.0, 10.0, -3.0, 1e6]))
        if kind == "step":
            step = draw(st.sampled_from([1.0, 0.5, 0.01, 0.002, 0.005, 1e-4, 2e-8]))
            v = centre + np.round(rng.normal(0.0, 10.0, n)) * step
        elif kind == "computed":
            v = centre + rng.normal(0.0, 0.01, n)
        elif kind == "constant":
            v = np.full(n, centre + 0.25)
        elif kind == "huge":
            v = np.round(rng.normal(0.0, 10.0, n)) * draw(st.sampled_from([1e12, 1e15, 1e300]))
        else:
            v = np.where(rng.random(n) < 0.5, np.round(rng.normal(centre, 1.0, n), 3), rng.normal(centre, 1.0, n))
        vals: list[float | None] = [float(x) for x in v]
        for k in range(n):
            if rng.random() < 0.05:
                vals[k] = draw(st.sampled_from([None, math.nan, math.inf]))
        rows += [{"feature": f"F{f}", "value": x} for x in vals]
        tol = draw(st.sampled_from([0.1, 1.0, 100.0]))
        side = draw(st.sampled_from(["both", "upper", "lower", "none"]))
        specs.append({"feature": f"F{f}", "nominal": draw(st.sampled_from([None, centre])),
                      "lsl": centre - tol if side in ("both", "lower") else None,
                      "usl": centre + tol if side in ("both", "upper") else None,
                      "lower_bound_zero": draw(st.booleans())})
    meas = pl.DataFrame(rows, schema={"feature": pl.String, "value": pl.Float64})
    sp = pl.DataFrame(specs, schema={"feature": pl.String, "nominal": pl.Float64, "lsl": pl.Float64,
                                     "usl": pl.Float64, "lower_bound_zero": pl.Boolean})
    return meas, sp


@hsettings(max_examples=150, deadline=None)
@given(data=inspections())
def test_resolution_equals_reference(data: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    meas, specs = data
    _same_frame(resolution_all(meas, specs), reference_resolution_all(meas, specs))


def test_signed_zeros_and_repeated_readings() -> None:
    # −0.0 and 0.0, repeated readings, a feature of one distinct reading: the distinct-readings
    # computation sees what the every-reading computation saw
    meas = pl.DataFrame({"feature": ["A"] * 6 + ["B"] * 4 + ["C"] * 3,
                         "value": [0.0, -0.0, 0.001, -0.001, 0.0, 0.002, -0.0, -0.0, 0.0, 0.0, 1.5, 1.5, 1.5]})
    specs = pl.DataFrame({"feature": ["A", "B", "C"], "nominal": [0.0, 0.0, 1.5], "lsl": [-0.05, -0.05, 1.0],
                          "usl": [0.05, 0.05, 2.0], "lower_bound_zero": [False, False, False]})
    _same_frame(resolution_all(meas, specs), reference_resolution_all(meas, specs))
