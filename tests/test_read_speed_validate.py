"""The run-based shortcuts of :mod:`pilotqa.read.validate` (issue 16, 10^6 readings) give what the
general code gives: the duplicate-reading check (:func:`~pilotqa.read.validate._unique_in_blocks`
proves uniqueness only where there is uniqueness) and the subgroup renumbering
(:func:`~pilotqa.read.validate.assign_subgroups` on one row per run of (lot, subgroup))."""
from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pilotqa.errors import InputError
from pilotqa.read import validate


@st.composite
def readings(draw: st.DrawFn) -> pl.DataFrame:
    """Part-major readings (blocks of a part, as an instrument writes them), sometimes with a
    reading repeated, a part measured in two blocks, or the rows shuffled."""
    n_parts = draw(st.integers(1, 12))
    n_feat = draw(st.integers(1, 12))
    lots = draw(st.sampled_from([1, 2, 3]))
    rows = []
    for p in range(n_parts):
        for f in range(n_feat):
            rows.append((f"L{p * lots // n_parts}", f"SN{p}", f"F{f}", p + 1))
    kind = draw(st.sampled_from(["plain", "plain", "repeat", "split", "shuffle", "repeat_split"]))
    rnd = random.Random(draw(st.integers(0, 10**6)))
    if kind in ("repeat", "repeat_split"):
        rows.insert(rnd.randrange(len(rows) + 1), rows[rnd.randrange(len(rows))])
    if kind in ("split", "repeat_split") and len(rows) > 2:
        rows.append(rows.pop(0))  # the first part's first reading at the end: two blocks
    if kind == "shuffle":
        rnd.shuffle(rows)
    sub = draw(st.integers(1, 4))
    return pl.DataFrame(
        {"lot": [r[0] for r in rows], "part_id": [r[1] for r in rows], "feature": [r[2] for r in rows],
         "sequence": [r[3] for r in rows], "subgroup": [(r[3] - 1) // sub + 1 for r in rows]},
        schema={"lot": pl.String, "part_id": pl.String, "feature": pl.String, "sequence": pl.Int64,
                "subgroup": pl.Int64})


def _general_duplicate_check(m: pl.DataFrame) -> str | None:
    """The check's general path (the code before the shortcut), its message or None."""
    key = pl.struct("lot", "part_id", "feature")
    dup = m.filter(key.is_duplicated())
    if not dup.height:
        return None
    r = dup.row(0, named=True)
    k = dup.filter((pl.col("lot") == r["lot"]) & (pl.col("part_id") == r["part_id"])
                   & (pl.col("feature") == r["feature"])).height
    return (f"part '{r['part_id']}' of lot '{r['lot']}' has {k} readings of feature "
            f"'{r['feature']}'; each part may have one reading per feature")


@settings(max_examples=200, deadline=None)
@given(m=readings())
def test_duplicate_readings_found_as_by_the_general_check(m: pl.DataFrame) -> None:
    tuples = list(zip(m["lot"], m["part_id"], m["feature"]))
    if validate._unique_in_blocks(m):
        assert len(set(tuples)) == len(tuples)  # shown unique only when unique
    want = _general_duplicate_check(m)
    if want is None:
        validate._check_duplicate_readings(m, "f.csv")
    else:
        with pytest.raises(InputError) as exc:
            validate._check_duplicate_readings(m, "f.csv")
        assert exc.value.message == want


def test_blocks_of_unique_readings_are_shown_unique() -> None:
    m = pl.DataFrame({"lot": ["L1"] * 40, "part_id": [f"P{i // 8}" for i in range(40)],
                      "feature": [f"F{i % 8}" for i in range(40)]})
    assert validate._unique_in_blocks(m)
    assert not validate._unique_in_blocks(m.vstack(m.head(1)))  # a repeat: not shown unique
    # runs of equal length, one listing F0 twice (instead of F7) / every run listing F0 twice
    once = m.with_columns(pl.when(pl.int_range(40) == 15).then(pl.lit("F0")).otherwise("feature")
                          .alias("feature"))
    every = m.with_columns(pl.when(pl.int_range(40) % 8 == 7).then(pl.lit("F0")).otherwise("feature")
                           .alias("feature"))
    for bad in (once, every):
        assert not validate._unique_in_blocks(bad)
        with pytest.raises(InputError, match="has 2 readings of feature 'F0'"):
            validate._check_duplicate_readings(bad, "f.csv")


def _general_subgroups(m: pl.DataFrame) -> pl.DataFrame:
    """The renumbering's general path (the code before the shortcut)."""
    shared = m.group_by("subgroup").agg(pl.col("lot").n_unique().alias("k")).filter(pl.col("k") > 1)
    if not shared.height:
        return m
    order = (m.group_by("lot", "subgroup").agg(pl.col("sequence").min().alias("_s"))
             .sort("_s").with_row_index("_new", offset=1))
    new = m.select("lot", "subgroup").join(
        order.select("lot", "subgroup", pl.col("_new").cast(pl.Int64)), on=["lot", "subgroup"],
        how="left", maintain_order="left")["_new"]
    return m.with_columns(new.alias("subgroup"))


@settings(max_examples=200, deadline=None)
@given(m=readings())
def test_subgroups_renumbered_as_by_the_general_code(m: pl.DataFrame) -> None:
    got, notes = validate.assign_subgroups(m, None)
    want = _general_subgroups(m)
    assert_frame_equal(got, want)
    shared = m.group_by("subgroup").agg(pl.col("lot").n_unique().alias("k")).filter(pl.col("k") > 1)
    assert bool(notes) == bool(shared.height)


def test_subgroups_shared_by_lots_renumbered_from_runs() -> None:
    """Subgroups of 5 parts numbered through the lots, a lot boundary inside subgroup 2, 8
    readings a part: few runs (the run path), renumbered as the general code does."""
    rows = [(f"L{p // 7}", f"SN{p}", p + 1, p // 5 + 1) for p in range(14) for _ in range(8)]
    m = pl.DataFrame({"lot": [r[0] for r in rows], "part_id": [r[1] for r in rows],
                      "sequence": [r[2] for r in rows], "subgroup": [r[3] for r in rows]})
    got, notes = validate.assign_subgroups(m, None)
    assert_frame_equal(got, _general_subgroups(m))
    assert got["subgroup"].unique(maintain_order=True).to_list() == [1, 2, 3, 4]
    assert notes and "renumbered" in notes[0]
