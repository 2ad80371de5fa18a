"""The assembly of the statistics stage (issue 16) without per-feature polars sorts and
dataclasses.replace: the same frames, serials and violations as the code it replaces."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pilotqa.results import Stability, Violation
from pilotqa.stats import (
    _out_of_spec,
    _serials,
    _SharedTexts,
    _subgroup_serials,
    _texts,
    _trace_violations,
    time_rows,
)

ROW = st.tuples(st.one_of(st.none(), st.integers(1, 8)), st.one_of(st.none(), st.integers(-3, 60)),
                st.sampled_from(["A", "B", "C", None]))


def _frame(rows: list[tuple[int | None, int | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame({"subgroup": [r[0] for r in rows], "sequence": [r[1] for r in rows],
                         "part_id": [r[2] for r in rows], "value": [float(i) for i in range(len(rows))]},
                        schema={"subgroup": pl.Int64, "sequence": pl.Int64, "part_id": pl.Utf8, "value": pl.Float64})


def _time_order(part: pl.DataFrame) -> pl.DataFrame:
    """One feature's readings in time order, by definition (the former per-part sort)."""
    return part.sort("sequence", "subgroup", "part_id", nulls_last=True, maintain_order=True)


@given(rows=st.lists(st.tuples(st.sampled_from(["F1", "F2", "F3"]), st.one_of(st.none(), st.integers(1, 8)),
                               st.one_of(st.none(), st.integers(-3, 60)), st.sampled_from(["A", "B", "C", None])),
                     max_size=60),
       order=st.sampled_from(["increasing", "ties", "any"]), text_sequence=st.booleans())
def test_time_rows_give_the_partition_in_time_order(rows: list[tuple[str, int | None, int | None, str | None]],
                                                     order: str, text_sequence: bool) -> None:
    """time_rows + gather = the former split by feature (partition_by, reading order kept) and
    the time-order sort of each part: the same features in the same order, the same rows in the same order."""
    if order == "increasing":  # an export in reading order: no sort (time_rows checks it for all features at once)
        rows = [(r[0], r[1], 3 * i + 1, r[3]) for i, r in enumerate(rows)]
    elif order == "ties":  # never decreasing, but repeated: the subgroup and serial decide
        rows = [(r[0], r[1], i // 3, r[3]) for i, r in enumerate(rows)]
    frame = pl.DataFrame({"feature": [r[0] for r in rows], "subgroup": [r[1] for r in rows],
                          "sequence": [r[2] for r in rows], "part_id": [r[3] for r in rows],
                          "value": [float(i) for i in range(len(rows))]},
                         schema={"feature": pl.Utf8, "subgroup": pl.Int64, "sequence": pl.Int64, "part_id": pl.Utf8,
                                 "value": pl.Float64})
    if text_sequence:  # sequence numbers as text: compared as text by both
        frame = frame.with_columns(pl.col("sequence").cast(pl.Utf8))
    want = {k[0]: _time_order(v) for k, v in frame.partition_by("feature", as_dict=True, maintain_order=True).items()}
    got = time_rows(frame)
    assert list(got) == list(want)
    for feature, idx in got.items():
        assert frame[idx].equals(want[feature]), feature


def _old_trace(stab: Stability | None, part: pl.DataFrame | None, individuals: bool) -> Stability | None:
    """_trace_violations as it was: a list per reading and dataclasses.replace per violation."""
    if stab is None or part is None or not stab.violations:
        return stab
    groups: Any = [[i] for i in _texts(part["part_id"])] if individuals else _subgroup_serials(part)
    out = []
    for v in stab.violations:
        pos = v.index + 1 if individuals and v.chart == "range" else v.index
        names = groups[pos] if 0 <= pos < len(groups) else []
        out.append(dataclasses.replace(v, part_id=_serials(names) if names else None, point=pos + 1))
    return dataclasses.replace(stab, violations=tuple(out))


def _stability(violations: tuple[Violation, ...]) -> Stability:
    kw: dict[str, Any] = {f.name: None for f in dataclasses.fields(Stability)}
    kw.update(chart="xbar_r", violations=violations, rules=(1, 2), range_rules=(1,), subgroup_sizes=(), notes=(),
              sigma_method="rbar", nsigma=3.0, phase="pilot", n_points=0)
    return Stability(**kw)


@given(rows=st.lists(st.tuples(st.integers(1, 6), st.integers(1, 40), st.sampled_from(["S1", "S2", "S3", ""])),
                     min_size=1, max_size=40),
       viol=st.lists(st.tuples(st.sampled_from(["x", "range"]), st.integers(1, 8), st.integers(-2, 45)), max_size=8),
       individuals=st.booleans())
def test_trace_violations_equals_the_replace_per_violation(rows: list[tuple[int, int, str]],
                                                           viol: list[tuple[str, int, int]], individuals: bool) -> None:
    part = _frame(rows)  # type: ignore[arg-type]
    stab = _stability(tuple(Violation(c, r, i) for c, r, i in viol))
    assert _trace_violations(stab, part, individuals) == _old_trace(stab, part, individuals)


@given(values=st.lists(st.one_of(st.floats(-5.0, 5.0, allow_nan=False), st.just(math.nan)), max_size=30),
       lsl=st.one_of(st.none(), st.floats(-3.0, 0.0)), usl=st.one_of(st.none(), st.floats(0.0, 3.0)))
def test_out_of_spec_with_the_values_array_equals_reading_the_column(values: list[float], lsl: float | None,
                                                                     usl: float | None) -> None:
    part = pl.DataFrame({"value": pl.Series(values, dtype=pl.Float64),
                         "part_id": [f"SN{i:03d}" for i in range(len(values))],
                         "lot": [f"L{i % 2}" for i in range(len(values))]})
    v = part["value"].to_numpy().astype(float)
    got, want = _out_of_spec(part, lsl, usl, v), _out_of_spec(part, lsl, usl)
    assert [(o.part_id, o.lot, o.side, o.limit) for o in got] == [(o.part_id, o.lot, o.side, o.limit) for o in want]
    assert np.array_equal([o.value for o in got], [o.value for o in want], equal_nan=True)


@given(a=st.lists(st.sampled_from(["SN1", "SN2", "L01", "", "x y"]), max_size=20),
       b=st.lists(st.sampled_from(["SN1", "SN2", "L01", "", "x y"]), max_size=20), nulls=st.booleans())
def test_shared_texts_equal_the_column_and_are_shared(a: list[str], b: list[str], nulls: bool) -> None:
    canon: dict[str, str] = {}
    ca = pl.Series(a + ([None] if nulls else []), dtype=pl.Utf8)
    cb = pl.Series(b, dtype=pl.Utf8)
    ta, tb = _texts(ca, canon), _texts(cb, canon)
    assert ta == _texts(ca) and tb == _texts(cb)
    assert ta == tuple(str(x) for x in ca.to_list())
    first = {t: t for t in ta if not nulls}
    assert all(t is first[t] for t in tb if t in first)  # one object per text across columns


@given(cols=st.lists(st.lists(st.one_of(st.none(), st.sampled_from(["SN1", "SN2", "L01", ""])), max_size=8),
                     min_size=1, max_size=6),
       repeat=st.booleans(), as_int=st.booleans())
def test_shared_texts_of_successive_features_equal_each_columns_texts(cols: list[list[str | None]], repeat: bool,
                                                                      as_int: bool) -> None:
    """Successive features' columns (equal ones reuse the previous tuple, others get shared
    strings) give the tuples _texts gives each column; a column equal in values but not in dtype
    is not taken for the previous one."""
    shared = _SharedTexts()
    series = [pl.Series(c, dtype=pl.Utf8) for c in cols]
    if repeat:
        series = [s for s in series for _ in range(2)]
    if as_int:  # "1"/"2" texts and integers 1/2: same str() values, different dtypes
        series = [pl.Series(["1", "2"], dtype=pl.Utf8), pl.Series([1, 2], dtype=pl.Int64), pl.Series(["1", None])] + series
    for s in series:
        assert shared.texts(s, "part_id") == _texts(s)


def test_time_rows_list_features_by_first_reading_whatever_their_category_codes() -> None:
    """The features' order is their first reading's, not the order of their category codes
    (codes may come from texts cast earlier in the process)."""
    pl.Series(["A", "M", "Z"]).cast(pl.Categorical).to_physical()  # give A, M, Z codes first
    frame = pl.DataFrame({"feature": ["Z", "A", "M", "Z", "A", "M"], "subgroup": [1, 1, 1, 2, 2, 2],
                          "sequence": [1, 1, 1, 2, 2, 2], "part_id": ["P1"] * 3 + ["P2"] * 3,
                          "value": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    got = time_rows(frame)
    assert list(got) == ["Z", "A", "M"]
    assert [got[f].to_list() for f in got] == [[0, 3], [1, 4], [2, 5]]
