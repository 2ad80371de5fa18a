"""The XLSX writer's XML rows (issue 16) against openpyxl's cells, cell by cell.

:func:`pilotqa.report.xlsx.write_xlsx` writes the data rows of the workbook's tables as XML text
(:mod:`pilotqa.report.sheetxml`); :func:`pilotqa.report.xlsx._write_openpyxl` writes the same
workbook with every cell an openpyxl cell (the writer before issue 16's XML rows). Both files are
read back with openpyxl and compared: sheets, widths, frozen panes, filters, merged ranges,
validations, conditional formats, and every cell's value, type, number format, font, fill,
border, alignment, protection, quotePrefix, comment and hyperlink; and the packages themselves
are compared member by member (the same bytes in the same order, but for the save time in
``docProps/core.xml``), so LibreOffice and Excel cannot tell them apart either.
"""
from __future__ import annotations

import copy
import math
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotqa.report.sheetxml import escape_text, number_text, text_cell
from pilotqa.report.xlsx import _Sheet, _table, _write_openpyxl, write_xlsx
from tests.report_fixtures import FORMULAS, INJECTION, make_result

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (REPO / "sample_data").iterdir()
                 if p.suffix not in (".py", ".md") and not p.name.startswith((".", "_"))
                 and p.name not in ("compare", "streams"))
QDAS = REPO.parent / "shared" / "real_exports" / "qdas_examples" / "ENG"


def _style(c: Any, cache: dict[tuple[int, ...], tuple[Any, ...]]) -> tuple[Any, ...]:
    """Number format, font, fill, border, alignment, protection and quotePrefix of a cell
    (by its style array, cached per workbook)."""
    key = tuple(c._style or ())
    got = cache.get(key)
    if got is None:
        # copies: openpyxl's style proxies compare unequal to each other whatever they hold
        got = cache[key] = (c.number_format, copy.copy(c.font), copy.copy(c.fill),
                            copy.copy(c.border), copy.copy(c.alignment),
                            copy.copy(c.protection), c.quotePrefix)
    return got


def _comment(c: Any) -> Any:
    k = c.comment
    return None if k is None else (k.text, k.author, k.width, k.height)


def workbook_differences(ref_path: Path, new_path: Path, limit: int = 20) -> list[str]:
    """Everything that differs between two workbooks read back with openpyxl (empty: none)."""
    a, b = openpyxl.load_workbook(ref_path), openpyxl.load_workbook(new_path)
    out: list[str] = []
    if a.sheetnames != b.sheetnames:
        return [f"sheets {a.sheetnames} != {b.sheetnames}"]
    props = ("creator", "title")
    for p in props:
        if getattr(a.properties, p) != getattr(b.properties, p):
            out.append(f"property {p}")
    if list(a.defined_names) != list(b.defined_names):
        out.append("defined names")
    style_a: dict[tuple[int, ...], tuple[Any, ...]] = {}
    style_b: dict[tuple[int, ...], tuple[Any, ...]] = {}
    same_style: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for wa, wb in zip(a.worksheets, b.worksheets):
        t = wa.title
        sheet_level = {
            "freeze": (wa.freeze_panes, wb.freeze_panes),
            "filter": (wa.auto_filter.ref, wb.auto_filter.ref),
            "merged": (sorted(map(str, wa.merged_cells.ranges)),
                       sorted(map(str, wb.merged_cells.ranges))),
            "widths": ({k: (d.width, d.customWidth) for k, d in wa.column_dimensions.items()},
                       {k: (d.width, d.customWidth) for k, d in wb.column_dimensions.items()}),
            "heights": ({k: d.height for k, d in wa.row_dimensions.items() if d.height},
                        {k: d.height for k, d in wb.row_dimensions.items() if d.height}),
            "validations": ([str(v.sqref) for v in wa.data_validations.dataValidation],
                            [str(v.sqref) for v in wb.data_validations.dataValidation]),
            "conditional": ([str(r.sqref) for r in wa.conditional_formatting],
                            [str(r.sqref) for r in wb.conditional_formatting]),
            "size": ((wa.max_row, wa.max_column), (wb.max_row, wb.max_column)),
        }
        for what, (x, y) in sheet_level.items():
            if x != y:
                out.append(f"{t}: {what} {str(x)[:200]} != {str(y)[:200]}")
        for ra, rb in zip(wa.iter_rows(), wb.iter_rows()):
            for ca, cb in zip(ra, rb):
                where = f"{t}!{ca.coordinate}"
                if ca.value != cb.value or type(ca.value) is not type(cb.value):
                    out.append(f"{where}: value {ca.value!r:.80} != {cb.value!r:.80}")
                if ca.data_type != cb.data_type:
                    out.append(f"{where}: type {ca.data_type} != {cb.data_type}")
                pair = (tuple(ca._style or ()), tuple(cb._style or ()))
                if pair not in same_style:
                    sa, sb = _style(ca, style_a), _style(cb, style_b)
                    if sa == sb:
                        same_style.add(pair)
                if pair not in same_style:
                    out.append(f"{where}: style {sa} != {sb}")
                if _comment(ca) != _comment(cb):
                    out.append(f"{where}: comment")
                if (ca.hyperlink and ca.hyperlink.target) != (cb.hyperlink and cb.hyperlink.target):
                    out.append(f"{where}: hyperlink")
                if len(out) >= limit:
                    return out
    return out


def _both(result: Any, tmp_path: Path, stem: str = "w") -> tuple[Path, Path]:
    ref, new = tmp_path / f"{stem}-openpyxl.xlsx", tmp_path / f"{stem}-xml.xlsx"
    _write_openpyxl(result, ref)
    write_xlsx(result, new)
    assert package_differences(ref, new) == []
    return ref, new


def package_differences(ref_path: Path, new_path: Path) -> list[str]:
    """Zip members that differ in name, order or content (core.xml: but for its times)."""
    with zipfile.ZipFile(ref_path) as a, zipfile.ZipFile(new_path) as b:
        if a.namelist() != b.namelist():
            return [f"members {a.namelist()} != {b.namelist()}"]
        out = []
        for name in a.namelist():
            x, y = a.read(name), b.read(name)
            if name == "docProps/core.xml":
                x, y = (re.sub(rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"", z)
                        for z in (x, y))
            if x != y:
                out.append(name)
        return out


def _valid_package(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[-1] == "[Content_Types].xml" and "xl/workbook.xml" in names
        types = z.read("[Content_Types].xml").decode()
        for n in names:
            if n.startswith("xl/worksheets/sheet"):
                assert f"/{n}" in types, n


# ------------------------------------------------------------------------------ whole workbooks
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_samples_cell_identical(sample: Path, tmp_path: Path) -> None:
    from pilotqa.analysis import analyze
    from pilotqa.read import read
    from pilotqa.settings import Settings

    res = analyze(read([sample]), Settings(lot_size=500))
    ref, new = _both(res, tmp_path)
    assert workbook_differences(ref, new) == []
    _valid_package(new)


@pytest.mark.parametrize("name", ["Subgroup_Shaft_8081.dfq",
                                  pytest.param("Out_of_Spec_2.dfq", marks=pytest.mark.slow)])
def test_qdas_example_cell_identical(name: str, tmp_path: Path) -> None:
    if not (QDAS / name).exists():
        pytest.skip(f"{QDAS / name} (shared Q-DAS examples) not on this machine")
    from pilotqa.analysis import analyze
    from pilotqa.read import read
    from pilotqa.settings import Settings

    res = analyze(read([QDAS / name]), Settings(lot_size=500))
    ref, new = _both(res, tmp_path)
    assert workbook_differences(ref, new) == []


def test_hostile_result_cell_identical(tmp_path: Path) -> None:
    """Formula payloads, markup, control characters, white space and non-BMP characters in
    names, lots, units and metadata; many parts (fills on out-of-tolerance readings)."""
    names = list(FORMULAS) + [INJECTION, "bad\x01char", "  lead", "trail  ", "   ", "a&b<c>\"'",
                              "\U0001F600\U0001D518", "#N/A", "x" * 40000]
    res = make_result(len(names), n_parts=90, names=names, lots=["=L1", "+L2", "@L3"],
                      unit="=mm", metadata={"part_number": "=cmd|' /C calc'!A0",
                                            "revision": "-1+1", "description": "@SUM(1,1)",
                                            "supplier": "\t=1"})
    ref, new = _both(res, tmp_path)
    assert workbook_differences(ref, new) == []
    wb = openpyxl.load_workbook(new)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t"))]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_go_nogo_readings_cell_identical(layout: str, tmp_path: Path) -> None:
    """Go/no-go readings (shown as written, nonconforming parts filled) beside measured ones."""
    from pilotqa.analysis import analyze
    from pilotqa.read import read
    from pilotqa.settings import Settings
    from tests.test_gonogo import _long_rows, _wide_rows, _write

    rows = _wide_rows() if layout == "wide" else _long_rows()
    path = _write(tmp_path, f"{layout}.xlsx" if layout == "wide" else f"{layout}.csv", rows)
    res = analyze(read([path]), Settings(lot_size=500))
    assert res.inspection.attribute_readings is not None
    ref, new = _both(res, tmp_path)
    assert workbook_differences(ref, new) == []


@pytest.mark.slow
def test_bench_export_cell_identical(tmp_path: Path) -> None:
    """The 300 x 500 export of benchmarks/bench_pipeline.py (1.5 x 10^5 readings)."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_pipeline import generate

    from pilotqa.analysis import analyze
    from pilotqa.read import read
    from pilotqa.settings import Settings

    csv = tmp_path / "bench.csv"
    generate(csv, 300, 500)
    res = analyze(read([csv]), Settings(lot_size=500))
    ref, new = _both(res, tmp_path)
    assert workbook_differences(ref, new) == []
    _valid_package(new)


# ------------------------------------------------------------------------------ awkward values
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["", " ", "  x", "x  ", "=1+1", "+1", "-1", "@A1", "\t=1", "\r\n=1", "＝1", "#N/A",
     "<t>&amp;</t>", "]]>", "\x00\x01\x0b\x1f", "\ufffe\uffff", "\U0001F600", "x" * 33000,
     " \u00a0", "\u2028a\u2029", "a\r\nb", "1e5", "TRUE"])
_VALUES = (_TEXT | st.floats() | st.integers(-2 ** 70, 2 ** 70) | st.booleans() | st.none()
           | st.sampled_from([0.1 + 0.2, 1e308, 5e-324, -0.0, 1e16, 2.0 ** 53 + 1, 1 / 3,
                              123456789.12345679])
           | st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1))
           | st.lists(st.one_of(st.none(), st.floats(allow_nan=False), st.integers(), _TEXT),
                      max_size=3))
_FORMATS = st.sampled_from([None, "0", "0.00", "0.0000", "#,##0.0", "0.00#", "0.000000"])
_MARKS = st.sampled_from([None, "bad", "ok", "keep_100", "input", "unknown"])


def _cell(data: st.DataObject) -> tuple[Any, str | None]:
    v = data.draw(_VALUES)
    # a date with a number format that is no date format makes openpyxl register its default
    # date format as well (an unused entry of styles.xml); the writer never pairs them
    fmt = data.draw(st.sampled_from([None, "yyyy-mm-dd"]) if isinstance(v, datetime)
                    else _FORMATS)
    return v, fmt


def _write_table(path: Path, rows: list[list[tuple[Any, str | None]]],
                 marks: dict[int, list[str | None]], wrap: tuple[int, ...], fast: bool) -> None:
    from openpyxl import Workbook

    from pilotqa.report.sheetxml import SheetBody, assemble

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("T")
    body = SheetBody() if fast else None
    try:
        sh = _Sheet(ws, {}, body)
        width = max([len(r) for r in rows] + [1])
        _table(sh, [f"h{j}" for j in range(width)], rows, fill_cols=marks, wrap_cols=wrap)
        if body is None:
            wb.save(path)
        else:
            import io

            buf = io.BytesIO()
            wb.save(buf)
            assemble(buf.getvalue(), path, {ws.path[1:]: body})
    finally:
        if body is not None:
            body.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(data=st.data())
def test_awkward_values_round_trip_like_openpyxl(tmp_path_factory: pytest.TempPathFactory,
                                                 data: st.DataObject) -> None:
    n_rows = data.draw(st.integers(1, 4))
    n_cols = data.draw(st.integers(1, 5))
    rows = [[_cell(data) for _ in range(data.draw(st.integers(0, n_cols)))]
            for _ in range(n_rows)]
    marks = {c: [data.draw(_MARKS) for _ in range(n_rows)]
             for c in data.draw(st.sets(st.integers(1, n_cols + 2), max_size=2))}
    wrap = tuple(data.draw(st.sets(st.integers(1, n_cols + 1), max_size=2)))
    tmp = tmp_path_factory.mktemp("awk")
    _write_table(tmp / "ref.xlsx", rows, marks, wrap, fast=False)
    _write_table(tmp / "new.xlsx", rows, marks, wrap, fast=True)
    assert workbook_differences(tmp / "ref.xlsx", tmp / "new.xlsx") == []
    assert package_differences(tmp / "ref.xlsx", tmp / "new.xlsx") == []
    # numbers as numbers (openpyxl's 16 digits), never a formula
    ws = openpyxl.load_workbook(tmp / "new.xlsx")["T"]
    for i, row in enumerate(rows, start=2):
        for j, (v, _) in enumerate(row, start=1):
            c = ws.cell(i, j)
            assert c.data_type != "f"
            if type(v) is float and math.isfinite(v):
                assert c.value == float("%.16g" % v) and c.data_type == "n"
            elif type(v) is str and v[:1] in ("=", "+", "-", "@"):
                assert c.data_type == "s" and c.quotePrefix


def test_number_text_is_openpyxls() -> None:
    from openpyxl.compat import safe_string

    for x in (0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 1e16, 123.0, 1e-7, 12,
              -(2 ** 53), 2 ** 60, 10 ** 20 + 1):
        assert number_text(x) == safe_string(x)
    assert number_text(123.0) == "123" and number_text(0.1 + 0.2) == "0.3"


def test_text_cell_escapes_and_preserves_space() -> None:
    assert escape_text('a&b<c>"\'') == 'a&amp;b&lt;c&gt;"\''
    assert text_cell("A1", "", "x") == '<c r="A1" t="inlineStr"><is><t>x</t></is></c>'
    assert 'xml:space="preserve"' in text_cell("A1", ' s="2"', " x")
    assert text_cell("A1", "", "") == '<c r="A1" t="inlineStr" />'


def test_body_goes_before_the_end_of_sheet_data(tmp_path: Path) -> None:
    import io

    from pilotqa.report.sheetxml import SheetBody, assemble

    for sheet in (b'<worksheet><sheetData><row r="1"></row></sheetData><x/></worksheet>',
                  b"<worksheet><sheetData /><x/></worksheet>",
                  b"<worksheet><sheetData/><x/></worksheet>"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("a.xml", b"<a/>")
            z.writestr("xl/worksheets/sheet1.xml", sheet)
        body = SheetBody()
        body.write('<row r="2"><c r="A2" t="n"><v>1</v></c></row>')
        assemble(buf.getvalue(), tmp_path / "o.zip", {"xl/worksheets/sheet1.xml": body})
        body.close()
        with zipfile.ZipFile(tmp_path / "o.zip") as z:
            assert z.namelist() == ["a.xml", "xl/worksheets/sheet1.xml"]
            got = z.read("xl/worksheets/sheet1.xml")
        assert got.endswith(b'<row r="2"><c r="A2" t="n"><v>1</v></c></row></sheetData>'
                            b"<x/></worksheet>"), got
        assert got.count(b"<sheetData>") == 1
    with pytest.raises(ValueError):
        body = SheetBody()
        try:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("s.xml", b"<worksheet/>")
            assemble(buf.getvalue(), tmp_path / "p.zip", {"s.xml": body})
        finally:
            body.close()


# ------------------------------------------------------------------------------ readings grid
def _parts_by_dict(insp: Any) -> tuple[list[tuple[str, Any, Any]], dict[tuple[str, str], Any]]:
    """The Readings sheet's parts and cells as the writer before issue 16 found them: every
    row in a dict by (serial, name) as text, the first row of a pair kept."""
    import polars as pl

    cols = ["part_id", "lot", "sequence", "timestamp", "feature"]
    frames = [insp.measurements.select(cols + [pl.col("value").cast(pl.String).alias("raw"),
                                              pl.col("value")])]
    if insp.attribute_readings is not None and insp.attribute_readings.height:
        frames.append(insp.attribute_readings.select(
            cols + [pl.col("raw"), pl.lit(None, dtype=pl.Float64).alias("value")]))
    m = pl.concat(frames, how="vertical_relaxed")
    parts = (m.group_by("part_id", maintain_order=True)
             .agg(pl.col("lot").first(), pl.col("sequence").min(), pl.col("timestamp").min())
             .sort(["sequence", "part_id"], nulls_last=True))
    cells: dict[tuple[str, str], Any] = {}
    for pid, feat, value, raw in m.select("part_id", "feature", "value", "raw").iter_rows():
        cells.setdefault((str(pid), str(feat)), value if value is not None else raw)
    return [(str(r[0]), r[1], r[3]) for r in parts.iter_rows()], cells


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_readings_grid_equals_the_dict_of_every_reading(data: st.DataObject) -> None:
    """Repeated (serial, characteristic) rows (the first one shown), parts without a reading
    of a characteristic, a null serial, names not measured, go/no-go readings as text."""
    from types import SimpleNamespace

    import polars as pl

    from pilotqa.model import ATTRIBUTE_READING_SCHEMA, MEASUREMENT_SCHEMA
    from pilotqa.report.xlsx import _readings_parts

    serial = st.sampled_from(["S1", "S2", "S3", "None", "10"]) | st.none()
    name = st.sampled_from(["A", "B", "C", "None"])
    n = data.draw(st.integers(0, 25))
    meas = pl.DataFrame({
        "part_id": [data.draw(serial) for _ in range(n)], "lot": ["L1"] * n,
        "subgroup": [1] * n, "sequence": [data.draw(st.integers(1, 5)) for _ in range(n)],
        "timestamp": [datetime(2026, 1, 1)] * n, "feature": [data.draw(name) for _ in range(n)],
        "value": [data.draw(st.floats(allow_nan=False) | st.none()) for _ in range(n)]},
        schema=MEASUREMENT_SCHEMA)
    k = data.draw(st.integers(0, 8))
    attr = pl.DataFrame({
        "part_id": [data.draw(serial) for _ in range(k)], "lot": ["L1"] * k, "subgroup": [1] * k,
        "sequence": [data.draw(st.integers(1, 5)) for _ in range(k)],
        "timestamp": [datetime(2026, 1, 1)] * k, "feature": ["G"] * k,
        "conforming": [True] * k, "raw": [data.draw(st.sampled_from(["OK", "NOK"]) | st.none())
                                          for _ in range(k)],
        "class": ["minor"] * k}, schema=ATTRIBUTE_READING_SCHEMA) if k else None
    insp = SimpleNamespace(measurements=meas, attribute_readings=attr)
    features = data.draw(st.lists(st.sampled_from(["A", "B", "C", "None", "G", "Z"]), max_size=6))
    parts, columns = _readings_parts(SimpleNamespace(inspection=insp), features)  # type: ignore[arg-type]
    want_parts, cells = _parts_by_dict(insp)
    assert parts == want_parts
    assert len(columns) == len(features)
    for f, col in zip(features, columns):
        assert len(col) == len(parts)
        for (pid, _, _), got in zip(parts, col):
            want = cells.get((pid, f))
            if want is None or (isinstance(want, float) and math.isnan(want)):
                # no reading (or a NaN one): NaN or None, both an empty cell
                assert got is None or (isinstance(got, float) and math.isnan(got)), (pid, f, got)
            else:
                assert got == want and type(got) is type(want), (pid, f, got, want)
