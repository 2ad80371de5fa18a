"""The polars fast path of the CSV readers (issue 16) against the per-row / per-cell path.

* :func:`pilotqa.read.grids.csv_frame` + :func:`~pilotqa.read.grids.frame_rows` give the grid of
  the csv-module reader cell for cell, or decline (None) for the files it cannot read exactly;
* :func:`pilotqa.read.tabular.read_path` of a long CSV read from the frame's columns
  (:func:`~pilotqa.read.tabular._read_long_frame`) equals the per-cell reader: the same frames,
  specs, notes, details — or the same error, worded and located alike;
* :func:`pilotqa.read.cells.parse_column` equals :func:`~pilotqa.read.cells.parse_cell` cell by cell.

Generated files mix decimal points and commas, blanks, whitespace, missing-value markers,
go/no-go tokens, ragged rows, CRLF line ends and BOMs.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pilotqa.errors import PilotqaError
from pilotqa.read import ReadOptions, grids, tabular
from pilotqa.read.cells import CellProblem, Missing, parse_cell, parse_column

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NUMBERS = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False).map(lambda x: f"{x:.4f}")
WORDS = st.sampled_from(["OK", "NOK", "i.O.", "n.i.O.", "pass", "fail", "n/a", "NA", "-", "NM",
                         "not measured", "nan", "x", "abc", "Länge", "1,5", "0,012", "-2,50",
                         "1.234,5", "1,234.5", "12.01 mm", "<0.001", "#DIV/0!", "=A1", "inf", "+3",
                         " 7 ", "\u00a0", "  ", "\t", "1e3", "0", "1", "yes", "no", "✓"])
CELLS = st.one_of(NUMBERS, WORDS, st.just(""), st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='\r\n\x00'),
    max_size=6))


def _slow_grid(p: Path) -> list[list[Any]]:
    head = p.read_bytes()[:65536]
    for enc, errors in grids._text_encoding(head):
        try:
            return grids._csv_rows(p, enc, errors)
        except UnicodeError:
            continue
    raise AssertionError("unreadable")


def _write(tmp: Path, rows: list[list[str]], delim: str, crlf: bool, bom: bool,
           name: str = "t.csv", quote: int = 0, enc: str = "utf-8") -> Path:
    """``quote``: 0 cells as they are, 1 every cell quoted, 2 every third cell quoted; ``enc``
    utf-8 or cp1252 (characters it lacks written as '?')."""
    eol = "\r\n" if crlf else "\n"
    text = eol.join(delim.join(f'"{c}"' if quote == 1 or (quote == 2 and (k + len(c)) % 3 == 0)
                               else c for k, c in enumerate(r)) for r in rows) + eol
    p = tmp / name
    p.write_bytes((b"\xef\xbb\xbf" if bom and enc == "utf-8" else b"") + text.encode(enc, errors="replace"))
    return p


@SETTINGS
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=30),
       delim=st.sampled_from([",", ";", "\t", "|"]), crlf=st.booleans(), bom=st.booleans(),
       quote=st.sampled_from([0, 0, 1, 2]), enc=st.sampled_from(["utf-8", "utf-8", "cp1252"]))
def test_csv_frame_rows_equal_the_csv_module_grid(rows: list[list[str]], delim: str, crlf: bool,
                                                  bom: bool, quote: int, enc: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = _write(Path(d), rows, delim, crlf, bom, quote=quote, enc=enc)
        frame = grids.csv_frame(p)
        try:
            slow: Any = _slow_grid(p)
        except PilotqaError as exc:
            slow = exc
        if frame is None:
            return  # declined: the per-row reader reads it (checked below that it is rare)
        assert not isinstance(slow, Exception), slow
        assert grids.frame_rows(frame) == slow


def test_csv_frame_takes_plain_files_and_declines_the_rest(tmp_path: Path) -> None:
    plain = _write(tmp_path, [["a", "b", "c"], ["1", " ", "x"], [], ["2,5", "", ""]], ";", True, True)
    frame = grids.csv_frame(plain)
    assert frame is not None
    assert grids.frame_rows(frame) == _slow_grid(plain) == [["a", "b", "c"], ["1", None, "x"], [], ["2,5"]]
    ragged = _write(tmp_path, [["Part:", "X"], ["a", "b", "c", "d"]], ",", False, False, "r.csv")
    assert grids.frame_rows(grids.csv_frame(ragged)) == _slow_grid(ragged)  # type: ignore[arg-type]
    quoted = tmp_path / "quoted.csv"  # whole fields quoted (Excel's "Save as CSV"): taken
    quoted.write_bytes(b'"Serial";"Value"\r\n"S1";"1,5"\r\n"";" "\r\n"S2";2\r\n')
    assert grids.frame_rows(grids.csv_frame(quoted)) == _slow_grid(quoted) == [  # type: ignore[arg-type]
        ["Serial", "Value"], ["S1", "1,5"], [], ["S2", "2"]]
    german = tmp_path / "w.csv"  # Windows-1252 (German Excel): transcoded, taken
    german.write_bytes("Merkmal;Maß\n1,5;\xe4\n".encode("cp1252") + b"\x81;x\n")
    assert grids.frame_rows(grids.csv_frame(german)) == _slow_grid(german) == [  # type: ignore[arg-type]
        ["Merkmal", "Maß"], ["1,5", "ä"], ["\ufffd", "x"]]
    for name, data in [("q.csv", b'a,"b""c"\n1,2\n'), ("ql.csv", b'a,"b\nc"\n'),
                       ("qi.csv", b'a, "b"\n'), ("cr.csv", b"a,b\r1,2\r"),
                       ("u16.csv", "a,b\n1,2\n".encode("utf-16")), ("fs.csv", b"a,b\n\x1c,2\n")]:
        p = tmp_path / name
        p.write_bytes(data)
        assert grids.csv_frame(p) is None, name
    wide = tmp_path / "wide.csv"  # a line wider than the sampled head: declined, read per row
    wide.write_bytes(b"a,b\n" + b"1,2\n" * 40000 + b"1,2,3\n")
    assert grids.csv_frame(wide) is None
    ragged = tmp_path / "ragged.csv"  # one very wide line among many short ones: not padded
    ragged.write_bytes(b"a,b\n" + b"," * 3000 + b"x\n" + b"1,2\n" * 20000)
    assert grids.csv_frame(ragged) is None


COLUMN_READS: list[int] = []  # calls of the column reader (so that a test knows it ran)


def _read(p: Path, fast: bool, monkeypatch: pytest.MonkeyPatch, opts: ReadOptions) -> Any:
    with monkeypatch.context() as m:
        m.setattr(tabular, "_HEAD_ROWS", 202)
        if not fast:
            m.setattr(tabular, "csv_frame", lambda path: None)
        real = tabular._read_long_frame

        def spy(*args: Any) -> Any:
            COLUMN_READS.append(1)
            return real(*args)

        m.setattr(tabular, "_read_long_frame", spy)
        try:
            return tabular.read_path(p, opts)
        except PilotqaError as exc:
            return exc


def _same(a: Any, b: Any) -> None:
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b) and str(a) == str(b), (a, b)
        return
    assert_frame_equal(a.measurements, b.measurements)
    assert_frame_equal(a.specs, b.specs)
    if a.attribute_readings is None or b.attribute_readings is None:
        assert a.attribute_readings is b.attribute_readings is None
    else:
        assert_frame_equal(a.attribute_readings, b.attribute_readings)
    assert (a.notes, a.details, a.metadata, a.layout) == (b.notes, b.details, b.metadata, b.layout)


FEATURE_KIND = st.sampled_from(["num", "num", "num", "comma", "gonogo", "gated", "mixed", "blanky"])


@st.composite
def long_table(draw: st.DrawFn) -> tuple[list[list[str]], str, bool]:
    delim = draw(st.sampled_from([",", ";", "\t"]))
    n_feat = draw(st.integers(1, 4))
    n_part = draw(st.integers(210 // n_feat + 1, 210 // n_feat + 40))  # past the head rows
    kinds = [draw(FEATURE_KIND) for _ in range(n_feat)]
    names = [("Thread go/no-go" if k == "gated" else f"F{i}") for i, k in enumerate(kinds)]
    with_lot, with_ts, with_sub = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    spec_change = draw(st.integers(0, 30)) == 0
    head = ["Serial"] + (["Lot"] * with_lot) + (["Subgroup"] * with_sub) + (["Date"] * with_ts) \
        + ["Characteristic", "Actual", "Nominal", "USL", "LSL", "Unit", "Prüfer"]
    rows = [["Part number: P-1"], head]
    for p in range(n_part):
        for i, (k, nm) in enumerate(zip(kinds, names)):
            x = draw(st.floats(-5, 5, allow_nan=False))
            if k == "num":
                v = draw(st.sampled_from([f"{x:.4f}", f"{x:.4f}", f" {x:.3f} ", "", "n/a", "-"]))
            elif k == "comma":
                v = f"{x:.4f}".replace(".", ",") if delim != "," else f"{x:.4f}"
            elif k == "gonogo":
                v = draw(st.sampled_from(["OK", "NOK", "i.O.", "", "n.i.O."]))
            elif k == "gated":
                v = draw(st.sampled_from(["1", "0", "yes", ""]))
            elif k == "mixed":
                v = draw(st.sampled_from([f"{x:.4f}", f"{x:.4f}", f"{x:.4f}", "OK"]))
            else:
                v = draw(st.sampled_from(["", "", "NM", "not measured", f"{x:.2f}"]))
            nominal = "" if k in ("gonogo", "gated") else f"{i}.0"
            usl = "" if k in ("gonogo", "gated") else f"{i + 5}.0"
            if spec_change and p == n_part - 1 and nominal:
                usl = f"{i + 6}.0"
            row = [f"SN{p:04d}"] + ([f"L{p // 30}"] * with_lot) + ([str(p // 5 + 1)] * with_sub) \
                + ([f"2026-10-05 {6 + p // 60:02d}:{p % 60:02d}"] * with_ts) \
                + [nm, v, nominal, usl, "" if not nominal else f"{i - 5}.0", "mm", "Jürgen"]
            rows.append(row)
        if p == 20 and draw(st.integers(0, 4)) == 0:
            rows.append([])  # a blank line inside the table
    damaged = draw(st.integers(0, 12)) == 0
    if damaged:  # a damaged cell: a lot/serial/feature blank, a bad subgroup …
        r = draw(st.integers(2, len(rows) - 1))
        if rows[r]:
            rows[r][draw(st.integers(0, 2))] = draw(st.sampled_from(["", "x", "1.5"]))
    return rows, delim, damaged


@SETTINGS
@given(table=long_table(), crlf=st.booleans(), bom=st.booleans(), quote=st.sampled_from([0, 0, 1, 2]),
       enc=st.sampled_from(["utf-8", "utf-8", "cp1252"]))
def test_long_csv_from_frame_columns_equals_per_cell_reader(table: tuple[list[list[str]], str, bool],
                                                            crlf: bool, bom: bool, quote: int,
                                                            enc: str) -> None:
    rows, delim, damaged = table
    mp = pytest.MonkeyPatch()
    try:
        with tempfile.TemporaryDirectory() as d:
            p = _write(Path(d), rows, delim, crlf, bom, quote=quote, enc=enc)
            assert grids.csv_frame(p) is not None  # the fast path is exercised, not skipped
            COLUMN_READS.clear()
            fast = _read(p, True, mp, ReadOptions())
            # the column reader ran (a damaged cell may make the layout another one, e.g. a blank
            # characteristic under the headings reads as a two-row heading: then the row reader)
            assert COLUMN_READS or damaged
            _same(fast, _read(p, False, mp, ReadOptions()))
    finally:
        mp.undo()


@SETTINGS
@given(n_feat=st.integers(1, 6), n_part=st.integers(210, 260), delim=st.sampled_from([",", ";"]),
       cells=st.lists(CELLS.filter(lambda c: "," not in c and ";" not in c and "|" not in c
                                   and "\t" not in c), min_size=1, max_size=8))
def test_wide_csv_reads_alike(n_feat: int, n_part: int, delim: str, cells: list[str]) -> None:
    """A wide table past the head rows: the frame's rows, read by the row reader, as per row."""
    rows = [["Serial"] + [f"F{j}" for j in range(n_feat)], ["Nominal"] + ["1.0"] * n_feat,
            ["USL"] + ["2.0"] * n_feat, ["LSL"] + ["0.0"] * n_feat]
    rows += [[f"S{i}"] + [cells[(i * 7 + j) % len(cells)] if (i + j) % 11 == 0 else
                          f"{1 + ((i * 3 + j) % 9 - 4) * 0.01:.3f}" for j in range(n_feat)]
             for i in range(n_part)]
    mp = pytest.MonkeyPatch()
    try:
        with tempfile.TemporaryDirectory() as d:
            p = _write(Path(d), rows, delim, False, False)
            _same(_read(p, True, mp, ReadOptions()), _read(p, False, mp, ReadOptions()))
    finally:
        mp.undo()


def test_long_csv_errors_are_located_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = [["part_id", "lot", "subgroup", "feature", "value", "usl", "lsl"]]
    base += [[f"P{i}", "L1", str(i // 5 + 1), f"F{j}", f"{1 + j * 0.01:.2f}", "2", "0"]
             for i in range(80) for j in range(4)]
    cases = {"value": (100, 4, "abc"), "dup": (150, 0, ""), "sub": (200, 2, "2.5"),
             "lot": (250, 1, ""), "spec": (300, 5, "3"), "tok": (120, 4, "OK")}
    for name, (r, c, v) in cases.items():
        rows = [list(x) for x in base]
        rows[r][c] = v
        if name == "dup":  # row r repeats row 5's part and feature
            rows[r][0], rows[r][3] = rows[5][0], rows[5][3]
        p = _write(tmp_path, rows, ",", False, False, f"{name}.csv")
        COLUMN_READS.clear()
        fast, slow = _read(p, True, monkeypatch, ReadOptions()), _read(p, False, monkeypatch, ReadOptions())
        assert COLUMN_READS == [1], name  # the column reader ran on the fast path only
        assert isinstance(fast, PilotqaError), (name, fast)
        _same(fast, slow)


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.one_of(st.none(), CELLS, NUMBERS.map(lambda s: s.replace(".", ","))),
                      max_size=40))
def test_parse_column_equals_parse_cell(cells: list[str | None]) -> None:
    vals, missing, problems = parse_column(pl.Series("v", cells, dtype=pl.String))
    bad = dict(problems)
    for i, c in enumerate(cells):
        want = parse_cell(c)
        if isinstance(want, Missing):
            assert vals[i] is None and missing[i] and i not in bad
        elif isinstance(want, CellProblem):
            assert vals[i] is None and not missing[i] and bad[i] == want
        else:
            assert vals[i] == want and not missing[i] and i not in bad


@pytest.mark.parametrize("damage", [None, "date", "time", "seq", "feature", "value"])
def test_long_csv_with_date_time_streams_and_metadata_columns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str | None) -> None:
    """Separate date and time columns, a constant 'Part number' column (metadata), a machine
    stream column, a --by column, an unused comment column: read alike on both paths."""
    head = ["Serial", "Date", "Time", "Seq", "Part number", "Machine", "Fixture", "Comment",
            "Merkmal", "Istwert", "Nennmaß", "OT", "UT"]
    rows = [head]
    for i in range(70):
        for j in range(4):
            rows.append([f"S{i}", f"{5 + i // 30:02d}.10.2026", f"{8 + i // 10}:{i % 60:02d}", str(i + 1),
                         "HSG-4711", "M1" if i < 35 else "M2", f"F{i % 2}", "ok" if j else "",
                         f"Merkmal {j}", f"{10 + j + (i % 7) * 0.001:.3f}".replace(".", ","),
                         f"{10 + j}", "0,05", "-0,05"])
    where = {"date": (150, 1, "32.13.2026"), "time": (160, 2, "25:99"), "seq": (170, 3, "x"),
             "feature": (180, 8, ""), "value": (190, 9, "1,2,3")}
    if damage:
        r, c, v = where[damage]
        rows[r][c] = v
    p = _write(tmp_path, rows, ";", True, False)
    assert grids.csv_frame(p) is not None
    for opts in (ReadOptions(), ReadOptions(by=("Fixture",))):
        COLUMN_READS.clear()
        fast, slow = _read(p, True, monkeypatch, opts), _read(p, False, monkeypatch, opts)
        assert COLUMN_READS == [1]
        assert isinstance(fast, PilotqaError) == (damage is not None), fast
        _same(fast, slow)


def test_long_csv_with_cells_right_of_the_last_heading_reads_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells past the last heading (an unquoted separator in a text): the row reader's handling."""
    rows = [["part_id", "feature", "value"]]
    rows += [[f"P{i}", f"F{j}", f"{1 + j * 0.01:.2f}"] for i in range(80) for j in range(4)]
    rows[100] = rows[100] + ["stray", "", "x"]
    p = _write(tmp_path, rows, ",", False, False)
    _same(_read(p, True, monkeypatch, ReadOptions()), _read(p, False, monkeypatch, ReadOptions()))
