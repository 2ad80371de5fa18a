"""Measurement resolution inferred from the readings: gauge step, % of tolerance, distinct values.

AIAG MSA practice: the measurement resolution (discrimination) should be at most 1/10 of the
tolerance, and the readings should fall into at least five distinct categories across the process
spread — otherwise a capability index describes the gauge's rounding more than the process.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

__all__ = ["resolution_all", "RESOLUTION_SCHEMA", "MAX_PCT_TOLERANCE", "MIN_DISTINCT", "MAX_DECIMALS"]

#: Largest acceptable step as % of the tolerance (AIAG MSA 4th ed.: "rule of tens").
MAX_PCT_TOLERANCE: float = 10.0
#: Fewest distinct readings inside the process spread (AIAG MSA 4th ed.: ≥ 5 distinct categories).
MIN_DISTINCT: int = 5
#: Decimals tried when looking for the gauge's step; more means "no fixed step" (computed values).
MAX_DECIMALS: int = 8

#: Magnitude above which a float no longer holds every whole number (2^53).
_EXACT: float = float(2**53)

#: Output schema of :func:`resolution_all`.
RESOLUTION_SCHEMA: dict[str, pl.DataType] = {
    "feature": pl.String(),
    "step": pl.Float64(),
    "step_method": pl.String(),
    "tolerance": pl.Float64(),
    "pct_tolerance": pl.Float64(),
    "distinct_values": pl.Int64(),
    "adequate": pl.Boolean(),
    "note": pl.String(),
}


def _decimals_expr(col: str = "value") -> pl.Expr:
    """Fewest decimals (0 … MAX_DECIMALS) that represent each reading; MAX_DECIMALS + 1 = none.

    The reference form of :func:`_decimals`: d is the smallest with
    :math:`|v·10^d - \\mathrm{round}(v·10^d)| \\le \\max(10^{-6}, |v·10^d|·10^{-12})`."""
    expr: pl.Expr = pl.lit(MAX_DECIMALS + 1, dtype=pl.Int64)
    for d in range(MAX_DECIMALS, -1, -1):
        scaled = pl.col(col) * (10.0**d)
        ok = (scaled - scaled.round(0)).abs() <= pl.max_horizontal(pl.lit(1e-6), scaled.abs() * 1e-12)
        expr = pl.when(ok).then(pl.lit(d, dtype=pl.Int64)).otherwise(expr)
    return expr


def _decimals(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """:func:`_decimals_expr` in numpy: each reading is tested at d = 0, 1, … only until it fits
    (most readings stop at the gauge's decimals instead of being tested at all nine).

    Same arithmetic (v·10^d, its distance to the nearest whole number, the tolerance
    max(10⁻⁶, |v·10^d|·10⁻¹²)); numpy rounds halves to even where polars rounds them away from
    zero, which moves the distance of a half (0.5 either way) not at all.
    """
    out = np.full(values.shape, MAX_DECIMALS + 1, dtype=np.int64)
    todo = np.arange(values.size)
    v = values
    for d in range(MAX_DECIMALS + 1):
        if not todo.size:
            break
        scaled = v * (10.0**d)
        ok = np.abs(scaled - np.round(scaled)) <= np.maximum(1e-6, np.abs(scaled) * 1e-12)
        out[todo[ok]] = d
        todo, v = todo[~ok], v[~ok]
    return out


def resolution_all(meas: pl.DataFrame, specs: pl.DataFrame) -> pl.DataFrame:
    """Inferred gauge resolution and its adequacy for every feature (one row per feature, spec order).

    Parameters
    ----------
    meas : polars.DataFrame
        Measurements (``MEASUREMENT_SCHEMA``); nulls ignored.
    specs : polars.DataFrame
        Specs (``SPEC_SCHEMA``).

    Returns
    -------
    polars.DataFrame
        Schema :data:`RESOLUTION_SCHEMA`: ``step`` (value unit; null with fewer than two distinct
        readings), ``step_method`` ("decimals" or "min-difference"), ``tolerance`` used (value
        unit), ``pct_tolerance`` = step/tolerance·100, ``distinct_values`` (distinct readings
        inside x̄ ± 3s), ``adequate`` (bool or null), ``note``.

    Notes
    -----
    Step: the readings are scanned for the fewest decimals d (≤ 8) that represent every value
    exactly (to floating-point noise); the step is then the greatest common divisor of the
    differences between the distinct readings in units of 10⁻ᵈ (so a gauge stepping by 0.002 or
    0.005 is recognised). Readings with no fixed number of decimals (converted or computed values)
    fall back to the smallest positive difference between distinct readings (rounded to 12
    significant digits). Both are lower-bound estimates of the true resolution when n is small.

    Tolerance: USL − LSL; with one limit, |limit − nominal| when a nominal differs from the limit,
    else |limit| when the feature is bounded at zero, else undefined.

    .. math:: \\%tol = 100\\,\\frac{step}{tolerance}

    adequate = pct_tolerance ≤ 10 and distinct_values ≥ 5 (AIAG MSA). With fewer than 10 readings
    the distinct-value criterion is not judged (a small sample cannot show 5 categories), and
    adequacy rests on the step alone.

    Validated against: constructed readings at known steps (tests/test_stats_resolution.py).

    References
    ----------
    AIAG, *Measurement Systems Analysis* 4th ed. (2010), ch. I §E "Discrimination" (rule of tens)
    and ch. III (number of distinct categories ≥ 5); AIAG SPC manual 2nd ed., ch. II (range charts
    with few possible values indicate inadequate discrimination).

    Examples
    --------
    >>> import polars as pl
    >>> m = pl.DataFrame({"feature": ["A"] * 6, "value": [1.002, 1.004, 1.000, 1.006, 1.002, 1.008]})
    >>> s = pl.DataFrame({"feature": ["A"], "nominal": [1.0], "lsl": [0.95], "usl": [1.05],
    ...                   "lower_bound_zero": [False]})
    >>> r = resolution_all(m, s).row(0, named=True)
    >>> round(r["step"], 6), round(r["pct_tolerance"], 3)
    (0.002, 2.0)
    """
    m = meas.select("feature", "value").filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    summ = m.group_by("feature").agg(
        pl.len().alias("n"),
        pl.col("value").mean().alias("mean"),
        pl.col("value").std(ddof=1).alias("sd"),
        pl.col("value").abs().max().alias("_amax"),
    )
    # Everything below depends on each feature's *set* of readings (the largest decimals, the
    # distinct readings inside x̄ ± 3s, the gaps between distinct readings): computed on the
    # distinct (feature, reading) pairs, far fewer than the readings of a gauge with a step.
    u = m.group_by("feature").agg(pl.col("value").unique()).explode("value")
    u = u.with_columns(pl.Series("_dec", _decimals(u["value"].to_numpy()), dtype=pl.Int64))
    summ = summ.join(u.group_by("feature").agg(pl.col("_dec").max().alias("dec")), on="feature", how="left")
    # A grid of whole numbers exists only while value·10^d stays exact in a float (< 2^53):
    # larger readings (e.g. 1e308, or 1e12 with 6 decimals) fall back to the smallest difference.
    too_big = pl.col("_amax") * 10.0 ** pl.col("dec").cast(pl.Float64) >= _EXACT
    summ = summ.with_columns(pl.when(too_big).then(pl.lit(MAX_DECIMALS + 1, dtype=pl.Int64))
                             .otherwise(pl.col("dec")).alias("dec"))
    m = u.join(summ.select("feature", "dec", "mean", "sd"), on="feature")
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
    # gcd of each feature's positive gaps, all features at once (np.gcd.reduceat over the gaps
    # laid end to end; gcd is exact on integers, so the same as one np.gcd.reduce per feature)
    lens = grid["_dk"].list.len().to_numpy().astype(np.int64)
    gaps = grid.filter(pl.col("_dk").list.len() > 0)["_dk"].explode().to_numpy().astype(np.int64)
    owner = np.repeat(np.arange(lens.size), lens)
    keep = gaps > 0
    gaps, owner = gaps[keep], owner[keep]
    n_gaps = np.bincount(owner, minlength=lens.size)
    has = n_gaps > 0
    gcds = np.zeros(lens.size, dtype=np.int64)
    if gaps.size:
        gcds[has] = np.gcd.reduceat(gaps, np.concatenate(([0], np.cumsum(n_gaps)[:-1]))[has])
    for feat, dec, g, ok in zip(grid["feature"].to_list(), grid["dec"].to_list(), gcds.tolist(), has.tolist()):
        step[feat] = (float(g) * 10.0 ** (-dec) if ok else None, "decimals")
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
