"""The CSV fast path with its columns read as Categorical (issue 16, peak memory).

:func:`pilotqa.read.grids.csv_frame` reads a column whose sampled lines repeat their texts as
``Categorical`` (:func:`~pilotqa.read.grids._repeating_columns`) and the long reader handles such
a column through its distinct texts (:func:`~pilotqa.read.grids.per_distinct`). Which columns
are chosen must never change a cell or a result: here the choice is forced to every column and
to none, and the grid, the inspection and every error are compared with the csv-module grid and
the per-cell reader (the generators and comparisons of ``tests/test_read_fast.py``).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilotqa.errors import PilotqaError
from pilotqa.read import ReadOptions, grids
from tests.test_read_fast import (CELLS, COLUMN_READS, SETTINGS, _read, _same, _slow_grid, _write,
                                  long_table)

CHOICES = {"all": lambda p, names, options: set(names), "none": lambda p, names, options: set()}


@SETTINGS
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=30),
       delim=st.sampled_from([",", ";", "\t", "|"]), crlf=st.booleans(),
       quote=st.sampled_from([0, 1, 2]), choice=st.sampled_from(sorted(CHOICES)))
def test_coded_frame_rows_equal_the_csv_module_grid(rows: list[list[str]], delim: str, crlf: bool,
                                                    quote: int, choice: str) -> None:
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(grids, "_repeating_columns", CHOICES[choice])
        with tempfile.TemporaryDirectory() as d:
            p = _write(Path(d), rows, delim, crlf, False, quote=quote)
            frame = grids.csv_frame(p)
            try:
                slow: Any = _slow_grid(p)
            except PilotqaError as exc:
                slow = exc
            if frame is None:
                return
            coded = [grids.is_coded(frame.to_series(j)) for j in range(frame.width)]
            assert all(coded) if choice == "all" else not any(coded)
            assert not isinstance(slow, Exception), slow
            assert grids.frame_rows(frame) == slow
    finally:
        mp.undo()


@SETTINGS
@given(table=long_table(), crlf=st.booleans(), quote=st.sampled_from([0, 1, 2]),
       choice=st.sampled_from(sorted(CHOICES)))
def test_long_csv_from_coded_columns_equals_per_cell_reader(table: tuple[list[list[str]], str, bool],
                                                            crlf: bool, quote: int, choice: str) -> None:
    rows, delim, damaged = table
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(grids, "_repeating_columns", CHOICES[choice])
        with tempfile.TemporaryDirectory() as d:
            p = _write(Path(d), rows, delim, crlf, False, quote=quote)
            assert grids.csv_frame(p) is not None
            COLUMN_READS.clear()
            fast = _read(p, True, mp, ReadOptions())
            assert COLUMN_READS or damaged
            _same(fast, _read(p, False, mp, ReadOptions()))
    finally:
        mp.undo()


def test_repeating_columns_are_the_low_cardinality_ones(tmp_path: Path) -> None:
    """Feature, part, lot, unit repeat (coded); the readings do not (String); cells unchanged."""
    lines = ["Serial,Lot,Characteristic,Actual,Unit"]
    lines += [f"SN{p:03d},L1,F{f},{p * 10 + f + 0.5:.4f},mm" for p in range(60) for f in range(8)]
    p = tmp_path / "long.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = grids.csv_frame(p)
    assert frame is not None
    assert [grids.is_coded(frame.to_series(j)) for j in range(5)] == [True, True, True, False, True]
    assert grids.frame_rows(frame) == [ln.split(",") for ln in lines]


def test_per_distinct_spreads_a_per_cell_map_back_to_the_rows() -> None:
    c = pl.Series("x", ["b ", None, " a", "b ", "c"], dtype=pl.Categorical(pl.Categories.random()))
    got = grids.per_distinct(c, lambda u: u.str.strip_chars().str.len_bytes())
    assert got.to_list() == [1, None, 1, 1, 1] and got.name == "x"
    assert grids.per_distinct(c, lambda u: u.str.strip_chars()).to_list() == ["b", None, "a", "b", "c"]
    assert grids.per_distinct(c.filter(c.is_null()), lambda u: u.str.strip_chars()).to_list() == [None]
    s = pl.Series("y", ["b ", None])  # a String column: fn sees it whole
    assert grids.per_distinct(s, lambda u: u.str.strip_chars()).to_list() == ["b", None]


def test_without_per_column_categories_every_column_is_text(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """On a polars without ``pl.Categories`` (before 1.32) the frame is all String, same cells."""
    lines = ["Serial,Characteristic,Actual"] + [f"SN{p},F{f},{p}.{f}" for p in range(40) for f in range(5)]
    p = tmp_path / "long.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.delattr(pl, "Categories")
    frame = grids.csv_frame(p)
    assert frame is not None and not any(grids.is_coded(frame.to_series(j)) for j in range(3))
    assert grids.frame_rows(frame) == [ln.split(",") for ln in lines]
