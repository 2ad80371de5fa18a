"""The shortcuts of the long CSV reader at 10^6 readings (issue 16) give what the general code gives.

* :func:`pilotqa.read.tabular._pack` — one integer per row, equal exactly where the key columns are;
* :func:`pilotqa.read.tabular._spec_rows` — the rows deciding the specs, found among the first
  rows of each combination, are those the windows over every row find;
* :func:`pilotqa.read.tabular._plain_readings` — the value column read by one cast equals
  :func:`~pilotqa.read.gonogo.long_readings_frame` + :func:`~pilotqa.read.cells.parse_column`
  (which then find no go/no-go reading), or declines;
* :func:`pilotqa.read.grids._repeating_columns` on the start of the file that the scan keeps
  chooses as reading the file's first lines did.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from pilotqa.read import gonogo, grids, tabular
from pilotqa.read.cells import parse_column


def _coded(values: list[str | None], name: str = "x") -> pl.Series:
    return pl.Series(name, values, dtype=pl.String).cast(pl.Categorical(pl.Categories.random()))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 6)), st.integers(0, 3),
                               st.one_of(st.none(), st.integers(0, 200))), min_size=1, max_size=60))
def test_pack_is_equal_exactly_where_the_keys_are(rows: list[tuple[int | None, int, int | None]]) -> None:
    keys = [pl.Series(f"k{i}", [r[i] for r in rows], dtype=dt)
            for i, dt in enumerate((pl.UInt32, pl.UInt8, pl.UInt64))]
    packed = tabular._pack(keys)
    assert packed is not None
    got = packed.to_list()
    for a in range(len(rows)):
        for b in range(len(rows)):
            assert (got[a] == got[b]) == (rows[a] == rows[b])


def test_pack_declines_text_and_overflow() -> None:
    assert tabular._pack([pl.Series(["a", "b"])]) is None
    big = pl.Series([0, 2**40], dtype=pl.UInt64)
    assert tabular._pack([big, big]) is None
    assert tabular._pack([pl.Series([None, None], dtype=pl.UInt32)]).to_list() == [0, 0]  # type: ignore[union-attr]


def _windows(fkey: pl.Series, values: dict[str, pl.Series]) -> list[int]:
    """The reader's search over every row (its fallback): each field's first row of each value
    within a feature, and each feature's last row."""
    keys = pl.DataFrame([fkey.alias("_f"), *(v.alias(f) for f, v in values.items())])
    return keys.with_row_index("_i").filter(
        pl.any_horizontal([pl.col(f).is_first_distinct().over("_f") for f in values])
        | pl.col("_f").is_last_distinct())["_i"].cast(pl.Int64).to_list()


NUM_TEXT = st.sampled_from(["1.0", "1.00", "1", " 1.0", "2.5", "", "n/a", "-0", "0", "3,5"])
TEXT = st.sampled_from(["mm", " mm", "mm ", "in", "", "critical", "Critical"])


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 4), NUM_TEXT, NUM_TEXT, TEXT), min_size=1, max_size=80))
def test_spec_rows_are_those_of_the_windows_over_every_row(rows: list[tuple[int, str, str, str]]) -> None:
    feat = _coded([f"F{r[0]}" for r in rows], "f")
    raw = {"nominal": _coded([r[1] or None for r in rows], "nominal"),
           "usl": _coded([r[2] or None for r in rows], "usl"),
           "unit": _coded([r[3] or None for r in rows], "unit")}
    fkey = tabular._text_key(feat)

    def values(f: str, at: pl.Series | None = None) -> pl.Series:
        c = raw[f] if at is None else raw[f].gather(at)
        if f == "unit":
            return tabular._strip(c).alias(f)
        return grids.per_distinct(c, lambda t: parse_column(tabular._strip(t))[0]).alias(f)

    got = tabular._spec_rows(fkey, list(raw.values()), list(raw), values)
    assert got is not None and got.dtype == pl.Int64
    want = _windows(fkey, {"nominal": values("nominal"), "usl": values("usl"),
                           "unit": tabular._text_key(raw["unit"])})
    assert got.to_list() == want


def test_spec_rows_decline_text_columns() -> None:
    feat = _coded(["A", "A"])
    assert tabular._spec_rows(tabular._text_key(feat), [pl.Series(["1", "2"])], ["nominal"],
                              lambda f, at: pl.Series(f, [1.0])) is None


CELL = st.sampled_from(["1.5", "-0.25", "1e3", "+2", ".5", "5.", "", " 1.5", "1.5 ", "\u00a01.5",
                        "1,5", "inf", "-inf", "nan", "NaN", "OK", "n/a", "1.5\u2003", "0x10"])


def _finite(text: str) -> bool:
    """Is the text a finite number (Python's float: the same as polars' for these cells)?"""
    try:
        return math.isfinite(float(text.strip()))
    except ValueError:
        return False


def _general(cells: pl.Series, feats: pl.Series) -> Any:
    def place(i: int) -> dict[str, Any]:
        return {"row": i}

    try:
        go = gonogo.long_readings_frame(cells.cast(pl.String), feats, place, lambda i: "")
    except Exception as exc:  # an error of the general code: the shortcut must decline
        return exc
    vals, miss, problems = parse_column(go.values.alias("value"))
    return vals, miss & ~go.mask, problems, go


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(CELL, min_size=1, max_size=40), coded=st.booleans(),
       names=st.sampled_from([["F1", "F2"], ["F1", "Thread go/no-go"]]))
def test_plain_readings_equal_the_general_value_reader(cells: list[str], coded: bool,
                                                       names: list[str]) -> None:
    raw = [c or None for c in cells]
    col = _coded(raw, "column_3") if coded else pl.Series("column_3", raw, dtype=pl.String)
    feats = pl.Series("feature", [names[i % 2] for i in range(len(raw))])
    got = tabular._plain_readings(col, feats)
    want = _general(col, feats)
    plain = all(c is None or (c == c.strip() and _finite(c)) for c in raw) and not any(
        map(gonogo.heading_says_gonogo, feats.unique().to_list()))
    assert (got is not None) == plain
    if got is None:
        return
    vals, miss = got
    assert not isinstance(want, Exception) and not want[2]
    assert_series_equal(vals, want[0].alias("value"))
    assert miss.to_list() == want[1].to_list()
    assert not want[3].mask.any()  # no go/no-go reading: its columns are all null
    assert all(c.null_count() == len(c) for c in want[3].columns())


def test_no_number_with_blanks_at_its_ends_casts() -> None:
    """What _plain_readings relies on: every character polars' strip_chars removes (Unicode
    White_Space) makes polars' number cast fail at either end of a number."""
    import sys

    spaces = [chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace()] + ["\u180e", "\ufeff", "\u200b"]
    stripped = [w for w in spaces if pl.Series([f"1.5{w}"]).str.strip_chars()[0] == "1.5"]
    assert len(stripped) >= 20
    cells = [f"1.5{w}" for w in stripped] + [f"{w}-2e3" for w in stripped] + [f"{w}7{w}" for w in stripped]
    assert pl.Series(cells).cast(pl.Float64, strict=False).null_count() == len(cells)


def test_plain_readings_take_a_coded_column_of_numbers() -> None:
    col = _coded(["0.0243", None, "0.0243", "1e-3", "-2"], "column_7")
    got = tabular._plain_readings(col, pl.Series(["A"] * 5))
    assert got is not None
    assert got[0].to_list() == [0.0243, None, 0.0243, 0.001, -2.0]
    assert got[1].to_list() == [False, True, False, False, False]


@pytest.mark.parametrize("lines", [30_000, 500])
def test_repeating_columns_from_the_kept_start_choose_as_the_file_does(tmp_path: Path, lines: int) -> None:
    """The scan keeps the file's start; the choice made on it is the choice made on the file's
    first lines (every 7th part repeats: coded; the reading column does not)."""
    text = "Serial,Characteristic,Actual\n" + "".join(
        f"SN{k // 7},F{k % 7},{k * 0.001:.4f}\n" for k in range(lines))
    p = tmp_path / "long.csv"
    p.write_text(text, encoding="utf-8")
    names = ["column_1", "column_2", "column_3"]
    options: dict[str, Any] = dict(has_header=False, separator=",", quote_char=None,
                                   missing_columns="insert", encoding="utf8", raise_if_empty=False)
    head = pl.read_csv(p, schema={n: pl.String for n in names}, n_rows=grids._SAMPLE_ROWS, **options)
    want = {c for c, k in zip(names, head.select(pl.all().n_unique()).row(0)) if 4 * k <= head.height}
    frame = grids.csv_frame(p)
    assert frame is not None
    assert {n for n in frame.columns if grids.is_coded(frame[n])} == want == {"column_1", "column_2"}
    assert grids.frame_rows(frame) == [ln.split(",") for ln in text.splitlines()]


@settings(max_examples=200, deadline=None)
@given(n_parts=st.integers(1, 8), n_feat=st.integers(1, 6),
       kind=st.sampled_from(["plain", "permuted", "repeat", "split", "uneven", "dup_feature"]),
       seed=st.integers(0, 10**6))
def test_part_blocks_answer_as_counting_does(n_parts: int, n_feat: int, kind: str, seed: int) -> None:
    import random

    rnd = random.Random(seed)
    rows = [(p, f) for p in range(n_parts) for f in range(n_feat)]
    if kind == "permuted":  # every part lists its features in its own order
        rows = [(p, f) for p in range(n_parts) for f in rnd.sample(range(n_feat), n_feat)]
    elif kind == "repeat" and len(rows) > 1:  # one reading twice, in place of another
        i, j = rnd.randrange(len(rows)), rnd.randrange(len(rows))
        rows[i] = (rows[i][0], rows[j][1])
    elif kind == "split" and n_parts > 1:  # the first part measured again at the end
        rows += [(0, f) for f in range(n_feat)]
    elif kind == "uneven" and len(rows) > 2:  # a block one row short, the next one longer
        rows[n_feat - 1] = (1, n_feat)
    elif kind == "dup_feature" and n_feat > 1:  # every block lists feature 0 twice
        rows = [(p, 0 if f == n_feat - 1 else f) for p, f in rows]
    parts = pl.Series([p for p, _ in rows], dtype=pl.UInt64)
    fkey = pl.Series([f for _, f in rows], dtype=pl.UInt32)
    got = tabular._part_blocks(parts, fkey)
    if kind == "plain":
        assert got == (n_parts, True)
    if got is not None:
        k, unique = got
        assert k == len(set(p for p, _ in rows))
        # one block per part, of equal length
        f = len(rows) // k
        assert [rows[i * f][0] for i in range(k)] == list(dict.fromkeys(p for p, _ in rows))
        assert all(rows[i][0] == rows[i // f * f][0] for i in range(len(rows)))
        if unique:
            assert len(set(rows)) == len(rows)


def test_a_reading_twice_inside_a_regular_block_is_refused_as_by_the_per_row_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_read_fast import _read, _same

    lines = ["Serial,Characteristic,Actual,Nominal,USL,LSL"]
    for p in range(60):
        feats = [f"F{f}" for f in range(6)]
        if p == 41:
            feats[4] = "F1"  # part SN41 lists F1 twice (and no F4): its block is as long as the others
        lines += [f"SN{p},{f},{p * 0.01:.3f},0.0,1.0,-1.0" for f in feats]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = _read(path, True, monkeypatch, tabular_opts())
    assert isinstance(fast, Exception) and "SN41, F1 appears twice" in str(fast)
    _same(fast, _read(path, False, monkeypatch, tabular_opts()))


def tabular_opts() -> Any:
    from pilotqa.read import ReadOptions

    return ReadOptions()


def test_a_read_columns_own_categories_are_its_distinct_texts(tmp_path: Path) -> None:
    """What csv_frame relies on for its cell checks: a column read as Categorical with its own
    categories holds in them exactly the texts of its cells (none of another column)."""
    lines = ["a,b,c"] + [f"x{k % 5},{' ' if k % 7 == 0 else 'y'}{k % 3},z{k}" for k in range(3000)]
    p = tmp_path / "t.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    names = ["column_1", "column_2", "column_3"]
    frame = pl.read_csv(p, has_header=False, separator=",", encoding="utf8",
                        schema={n: pl.Categorical(pl.Categories.random()) for n in names})
    for n in names:
        own = frame[n].dtype.categories.to_series().drop_nulls()  # type: ignore[attr-defined]
        assert sorted(own.to_list()) == sorted(grids.distinct_texts(frame[n]).to_list())
