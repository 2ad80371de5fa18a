"""Raw cell grids of inspection tables: delimited text, XLSX/XLSM and legacy XLS workbooks.

:func:`read_grids` gives every (or one) sheet as a list of rows of cell values — numbers
(whole numbers as int), text, datetimes, booleans; blanks as None; trailing blank cells and rows
dropped — so that the layout readers (:mod:`pilotqa.read.tabular`, :mod:`pilotqa.read.charrows`,
``--spec`` files) never depend on the file type. Workbooks are recognised by content (ZIP with
``xl/workbook.xml``; OLE2 signature), text by its extension and separators.

* **CSV/TXT/TSV** — UTF-8 (with or without BOM), else Windows-1252; separator ``; \\t , |`` by
  counting (:func:`detect_delimiter`).
* **XLSX/XLSM** — openpyxl, read-only, saved formula results. A formula without a saved result
  becomes its formula text, so that it is refused where a reading is expected instead of
  reading as a blank.
* **XLS** (Excel 97-2003, BIFF8) — xlrd; error cells become their Excel text (``#DIV/0!``).
  The OLE2 container's sector chains are checked before xlrd sees the file (a damaged chain
  can otherwise send xlrd into an endless loop).

Hard limits (a file beyond them is refused with one line naming the file and the place, so no
input can exhaust memory or run for minutes): :data:`MAX_CELL_CHARS` characters in a cell (Excel's
own limit), :data:`MAX_COLUMNS` columns (Excel's), :data:`MAX_WORKBOOK_CELLS` cells in a workbook
(counted up to the last cell of each row), :data:`MAX_XLSX_UNPACKED` bytes for an XLSX once
unpacked (a "zip bomb" is refused before it is unpacked). A damaged file of any kind is an
:class:`~pilotqa.errors.InputError` naming the file (and sheet), never another exception.
"""
from __future__ import annotations

import csv
import io
import os
import re
import struct
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pilotqa.errors import InputError, PilotqaError
from pilotqa.read.cells import excel_column_letter

if TYPE_CHECKING:
    import polars as pl

__all__ = ["read_grids", "detect_delimiter", "decode_text", "is_xlsx", "is_xls", "is_workbook",
           "csv_frame", "frame_rows", "is_coded", "per_distinct", "distinct_texts",
           "OLE2_MAGIC", "TEXT_EXTENSIONS", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_WORKBOOK_CELLS",
           "MAX_XLSX_UNPACKED", "ole2_problem"]

#: Longest cell, in characters (Excel's own limit); a longer CSV field or cell is refused.
MAX_CELL_CHARS = 32_767
#: Most columns in a table (Excel's limit, column XFD).
MAX_COLUMNS = 16_384
#: Most cells in one workbook, counted up to the last cell of each row (blanks included).
MAX_WORKBOOK_CELLS = 2_000_000
#: Largest XLSX once unpacked, in bytes (the sum of the sizes its ZIP directory declares).
MAX_XLSX_UNPACKED = 100 * 1024 * 1024

#: Extensions of delimited text files read as tables.
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}

#: First eight bytes of an OLE2 compound document: the container of a legacy Excel 97-2003
#: workbook (BIFF8 ``.xls``), as of Word ``.doc`` files (the XLS reader then refuses it clearly).
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except Exception:  # a damaged ZIP raises BadZipFile, OSError, ValueError, struct.error …
        return False


def is_xls(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == OLE2_MAGIC
    except OSError:
        return False


def is_workbook(path: Path) -> bool:
    """An Excel workbook, new (XLSX/XLSM) or legacy (XLS), by content."""
    return is_xlsx(path) or is_xls(path)



def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_delimiter(text: str) -> str:
    """The field separator of delimited text: the candidate (``; \\t , |``) splitting most lines
    into the same, largest number of fields; ties go to the earlier candidate, so a German
    ``;`` file with decimal commas is not split at its commas."""
    lines = [ln for ln in text.splitlines()[:400] if ln.strip() and not ln.lstrip().startswith("#")]
    lines = lines[:100]
    best, best_n = ",", 1
    for d in (";", "\t", ",", "|"):
        try:
            counts = Counter(len(r) for r in csv.reader(lines, delimiter=d))
        except csv.Error:  # a field past the size limit: not this separator's evidence
            continue
        if not counts:
            continue
        n, freq = counts.most_common(1)[0]
        if n > best_n and freq >= 0.5 * len(lines):
            best, best_n = d, n
    return best


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for r in rows:
        r = [None if v is None or (type(v) is str and not v.strip()) else v for v in r]
        while r and r[-1] is None:
            r.pop()
        out.append(r)
    while out and not out[-1]:
        out.pop()
    return out


def read_grids(path: str | Path, sheet: str | None = None) -> list[tuple[str | None, list[list[Any]]]]:
    """Raw cell grids of a CSV (one grid, sheet None) or of every (or one) workbook sheet.

    Cells are as openpyxl (XLSX) or xlrd (XLS) give them (float/int/str/datetime/bool), CSV
    fields as strings; blank cells are None, trailing blank cells and rows are dropped.

    Raises
    ------
    InputError
        a damaged or unreadable file, or one beyond the limits of the module docstring; the
        message names the file and, where there is one, the sheet, row/line and column.
    """
    p = Path(path)
    if is_xlsx(p):
        return _xlsx_grids(p, sheet)
    if is_xls(p):
        return _xls_grids(p, sheet)
    return [(None, _csv_grid(p))]


# ----------------------------------------------------------------------------------------- CSV

def csv_refusal(exc: csv.Error, file: str, line_num: int) -> InputError:
    """The one-line refusal of a delimited file the csv module could not read, at its line (a
    field over the cell limit worded as such)."""
    why = str(exc)
    if "field larger than field limit" in why:
        why = f"a field longer than {MAX_CELL_CHARS:,} characters (the limit of a cell)"
    return InputError(f"not readable as delimited text: {why}", file=file, line=max(line_num, 1))


@contextmanager
def _field_limit(n: int) -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(n)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _text_encoding(head: bytes) -> list[tuple[str, str]]:
    """Encodings to try, in order, as (codec, errors)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [("utf-16", "strict"), ("cp1252", "replace")]
    return [("utf-8-sig", "strict"), ("cp1252", "replace")]


def _csv_grid(p: Path) -> list[list[Any]]:
    """The rows of a delimited text file, read as a stream (the file is never held whole, as
    bytes or as one string): UTF-8 (BOM allowed) or UTF-16 with BOM, else Windows-1252.

    Repeated short texts (headings, feature names, lots, limits in every row of a long table)
    are kept once; blanks become None and trailing blanks are dropped as rows are read.
    """
    try:
        with open(p, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(p)) from None
    for enc, errors in _text_encoding(head):
        try:
            return _csv_rows(p, enc, errors)
        except UnicodeError:
            continue  # not this encoding: read again with the next one
    raise InputError("the file is neither UTF-8 nor Windows-1252 text", file=str(p))  # pragma: no cover


#: Bytes that keep a delimited text file off the polars path (:func:`csv_frame`): NUL (csv
#: refuses a line with one) and the information separators U+001C…U+001F (``str.isspace`` calls
#: them blank, polars' whitespace does not).
_SLOW_BYTES = (b"\x00", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
#: Bytes that start every whitespace character but CR/LF in UTF-8 (space, tab, VT, FF; U+0085,
#: U+00A0; U+1680; U+2000…U+205F; U+3000): a file without them has no whitespace-only field.
_SPACE_BYTES = (b" ", b"\t", b"\x0b", b"\x0c", b"\xc2", b"\xe1", b"\xe2", b"\xe3")


def csv_frame(path: str | Path) -> "pl.DataFrame | None":
    """The cells of a delimited text file read by polars' CSV engine, or None when that cannot be
    shown to give exactly the rows of the per-row reader (:func:`_csv_rows`), which then reads it.

    The frame has one column per field position (``column_1`` …), one row per line, String —
    or Categorical for a column whose texts repeat (:func:`_repeating_columns`; each distinct
    text held once, a cell reads back as its text; :func:`per_distinct` maps such a column
    through its distinct texts): a blank or whitespace-only field is null, trailing all-null columns and rows are dropped, so
    that :func:`frame_rows` of it equals :func:`read_grids`' grid cell for cell (the property test
    ``tests/test_read_fast.py`` checks it on generated files). The file is memory-mapped by
    polars; it is never held as one Python string or as Python rows.

    The fast path applies to UTF-8 text (BOM allowed) with ``\\n`` or ``\\r\\n`` line ends, without
    NUL or U+001C…U+001F, whose quotes (if any) only enclose whole fields without quotes or line
    breaks inside (:func:`_simple_quotes`), whose widest line is among the lines the separator
    is detected on (polars refuses a longer line), within :data:`MAX_COLUMNS` columns and
    :data:`MAX_CELL_CHARS` characters a cell. Text that is not UTF-8 is Windows-1252, as for the
    per-row reader: it is transcoded chunk by chunk into a private temporary UTF-8 file first.
    Anything else — UTF-16, doubled quotes, quoted line breaks, a quote inside a field, lone
    ``\\r`` line ends, a limit reached (whose error the per-row reader words and locates) —
    returns None.
    """
    p = Path(path)
    got = _utf8_frame(p)
    if got is not _NOT_UTF8:
        return got  # type: ignore[return-value]
    # Windows-1252, as the per-row reader falls back to it: transcoded chunk by chunk (a
    # single-byte code, so chunks decode alone) into a temporary UTF-8 file that polars reads
    try:
        with tempfile.TemporaryDirectory(prefix="pilotqa-csv-") as d:
            q = Path(d) / "utf8.csv"
            with open(p, "rb") as src, open(q, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk.decode("cp1252", errors="replace").encode("utf-8"))
            got = _utf8_frame(q)
    except OSError:
        return None
    return None if got is _NOT_UTF8 else got  # type: ignore[return-value]


#: :func:`_utf8_frame`'s answer for a file that is not UTF-8 text.
_NOT_UTF8 = object()


def _utf8_frame(p: Path) -> "pl.DataFrame | None | object":
    """:func:`csv_frame` of a UTF-8 file; :data:`_NOT_UTF8` when it is not valid UTF-8."""
    import numpy as np
    import polars as pl

    n_lf = n_cr = n_crlf = 0
    last = b""
    spaces = quotes = False
    size = 0
    try:
        with open(p, "rb") as fh:
            first = fh.read(1 << 20)
            if not first or first.startswith((b"\xff\xfe", b"\xfe\xff")):
                return None
            chunk = first
            sample = [first]  # the file's start, for _repeating_columns (at most _SAMPLE_BYTES)
            sample_lines = first.count(b"\n")
            while chunk:
                if any(b in chunk for b in _SLOW_BYTES):
                    return None
                n_lf += int(np.count_nonzero(np.frombuffer(chunk, np.uint8) == 10))  # "\n": 2x bytes.count
                size += len(chunk)
                if b"\r" in chunk or last == b"\r":
                    n_cr += chunk.count(b"\r")
                    n_crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
                spaces = spaces or any(b in chunk for b in _SPACE_BYTES)
                quotes = quotes or b'"' in chunk
                last = chunk[-1:]
                chunk = fh.read(1 << 20)
                if chunk and sample_lines <= _SAMPLE_ROWS and len(sample) << 20 < _SAMPLE_BYTES:
                    sample.append(chunk)
                    sample_lines += chunk.count(b"\n")
    except OSError:
        return None
    if n_cr != n_crlf:
        return None  # a lone CR ends a line for the csv module, not for polars
    n_lines = n_lf + (last != b"\n")
    try:
        text = first[:262144].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < 262144 - 4:
            return _NOT_UTF8
        text = first[:exc.start].decode("utf-8-sig")
    text = text[:65536]
    delim = detect_delimiter(text)
    width = max((ln.count(delim) + 1 for ln in text.split("\n")), default=1)
    if width > MAX_COLUMNS or width * n_lines > 4 * size + 4096:
        return None  # a wide line among short ones: the frame would pad every line to its width
    if quotes:
        simple = _simple_quotes(p, delim, n_lines)
        if not simple:
            return _NOT_UTF8 if simple is None else None
    names = [f"column_{k + 1}" for k in range(width)]
    options: dict[str, Any] = dict(has_header=False, separator=delim, quote_char='"' if quotes else None,
                                   missing_columns="insert", encoding="utf8", raise_if_empty=False)
    head = b"".join(sample)
    cats = _repeating_columns(head if len(head) == size else head[:head.rfind(b"\n") + 1], names, options)
    del head, sample
    try:
        frame = pl.read_csv(p, schema={n: pl.Categorical(pl.Categories.random()) if n in cats else pl.String
                                       for n in names}, **options)
    except Exception as exc:  # a line wider than the sampled ones …: the per-row reader
        return _NOT_UTF8 if "utf-8" in str(exc).lower() else None
    if frame.height != n_lines or frame.width != width:
        return None
    # a Categorical column's cells are its distinct texts (each checked once): the texts of its
    # own categories (each column has its own, filled by this read with its cells' texts only)
    distinct = {n: frame[n].dtype.categories.to_series().drop_nulls()  # type: ignore[attr-defined]
                for n in names if n in cats}
    cells = [distinct[n] if n in cats else frame[n] for n in names]
    if max((c.str.len_bytes().max() or 0 for c in cells), default=0) > MAX_CELL_CHARS and max(  # type: ignore[operator]
            (c.str.len_chars().max() or 0 for c in cells), default=0) > MAX_CELL_CHARS:  # type: ignore[operator]
        return None  # the per-row reader refuses it with the line
    del cells
    if spaces or quotes:  # blank ("", whitespace-only) fields are None, as str.isspace says
        blank: list[pl.Expr] = []
        for n in names:
            if n not in cats:
                blank.append(pl.when(pl.col(n).str.strip_chars().str.len_bytes() > 0).then(pl.col(n)))
            elif (gone := distinct[n].filter(distinct[n].str.strip_chars().str.len_bytes() == 0)).len():
                blank.append(pl.when(~pl.col(n).is_in(gone.implode())).then(pl.col(n)))
        frame = frame.with_columns(blank)
    counts = frame.null_count().row(0)
    keep = len(counts)
    while keep and counts[keep - 1] == frame.height:
        keep -= 1
    frame = frame.select(names[:keep])
    if keep and min(counts[:keep]):  # (a column without blanks: no blank row to drop at the end)
        filled = frame.select(pl.any_horizontal(pl.all().is_not_null()).alias("x"))["x"]
        nonempty = filled.arg_true()
        frame = frame.head(int(nonempty[-1]) + 1 if len(nonempty) else 0)
    elif not keep:
        frame = frame.head(0)
    return frame


#: Lines of a CSV sampled by :func:`_repeating_columns`.
_SAMPLE_ROWS = 20_000
#: Most bytes of a CSV's start :func:`_utf8_frame` keeps for :func:`_repeating_columns`.
_SAMPLE_BYTES = 8 << 20


def _repeating_columns(head: bytes, names: list[str], options: dict[str, Any]) -> set[str]:
    """The columns of a CSV whose first :data:`_SAMPLE_ROWS` lines (of its whole lines within the
    first :data:`_SAMPLE_BYTES`, ``head``, read by :func:`_utf8_frame`'s scan) hold at most one distinct
    text per four lines (characteristic names, lots, part ids, units, limits …): :func:`csv_frame`
    reads them as ``Categorical`` (each column its own categories), which holds every distinct
    text once and each cell as a 4-byte code instead of a 16-byte string view — the same cells,
    in a quarter of the memory (10^6 readings: 0.2 instead of 0.3 GB at the peak of the read).
    Which columns are chosen never changes a cell: a Categorical cell reads back as its text.
    None is chosen on a polars without per-column categories (``pl.Categories``, polars 1.32):
    every column is then String, as before."""
    import polars as pl

    if not hasattr(getattr(pl, "Categories", None), "random"):
        return set()
    try:
        frame = pl.read_csv(io.BytesIO(head), schema={n: pl.String for n in names}, n_rows=_SAMPLE_ROWS,
                            **options)
    except Exception:  # the whole read decides (and words) it
        return set()
    n = frame.height
    if not n:
        return set()
    return {c for c, k in zip(names, frame.select(pl.all().n_unique()).row(0)) if 4 * k <= n}


def distinct_texts(c: "pl.Series") -> "pl.Series":
    """The distinct non-null cells of a String or Categorical column, as String."""
    import polars as pl

    return c.unique(maintain_order=True).drop_nulls().cast(pl.String)


def is_coded(c: "pl.Series") -> bool:
    """Is this column of a :func:`csv_frame` Categorical (each distinct text held once)?"""
    import polars as pl

    return isinstance(c.dtype, pl.Categorical)


def per_distinct(c: "pl.Series", fn: "Callable[[pl.Series], pl.Series]") -> "pl.Series":
    """``fn`` of a :func:`csv_frame` column, row by row: a String column is passed to ``fn``
    whole; of a Categorical column ``fn`` sees each distinct non-null text once (a String series)
    and its results are spread back to the rows by their codes (a null cell gives null). ``fn``
    must be a per-cell map (a cell's result depends on that cell alone, one result per cell),
    which makes both ways give the same series."""
    import polars as pl

    if not is_coded(c):
        return fn(c).alias(c.name)
    u = c.unique(maintain_order=True).drop_nulls()
    codes = u.to_physical().cast(pl.Int64)
    got = fn(u.cast(pl.String))
    size = int(codes.max()) + 1 if len(u) else 0  # type: ignore[arg-type]
    lut = pl.Series(c.name, dtype=got.dtype).extend_constant(None, size)
    if len(u):
        lut = lut.scatter(codes, got)
    return lut.gather(c.to_physical()).alias(c.name)


def _simple_quotes(p: Path, delim: str, n_lines: int) -> bool | None:
    """Does every line split into fields that are either quoted whole (``"…"`` without a quote or
    line break inside) or hold no quote at all? Then the csv module and polars split and unquote
    every line alike; a doubled quote, a quote inside a field or a quoted line break gives False
    (the per-row reader then reads the file); None when the file is not UTF-8. Checked by
    polars' regex engine over the lines."""
    import polars as pl

    d = {"\t": r"\t", "|": r"\|"}.get(delim, delim)
    field = f'(?:"[^"\\r\\n]*"|[^"{d}\\r\\n]*)'
    try:
        lines = pl.read_csv(p, has_header=False, separator="\x00", quote_char=None,
                            schema={"line": pl.String}, encoding="utf8", raise_if_empty=False)
    except Exception as exc:  # not UTF-8 (None), or another refusal: the per-row reader
        return None if "utf-8" in str(exc).lower() else False
    return lines.height == n_lines and bool(
        lines["line"].str.contains(f"^{field}(?:{d}{field})*\\r?$").fill_null(True).all())


def frame_rows(frame: "pl.DataFrame") -> list[list[Any]]:
    """The rows of a :func:`csv_frame` as lists, trailing None cells dropped (the grid form)."""
    out: list[list[Any]] = []
    for t in frame.iter_rows():
        r = list(t)
        while r and r[-1] is None:
            r.pop()
        out.append(r)
    return out


def _csv_rows(p: Path, enc: str, errors: str) -> list[list[Any]]:
    file = str(p)
    rows: list[list[Any]] = []
    seen: dict[str, str] = {}
    with open(p, encoding=enc, errors=errors, newline="") as fh, _field_limit(MAX_CELL_CHARS):
        delim = detect_delimiter(fh.read(65536))
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delim)
        try:
            for row in reader:
                if len(row) > MAX_COLUMNS:
                    raise InputError(f"{len(row):,} fields in one line; at most {MAX_COLUMNS:,} "
                                     "columns are read", file=file, line=reader.line_num)
                out: list[Any] = []
                for v in row:
                    if not v or v.isspace():
                        out.append(None)
                    elif len(v) <= 48:
                        out.append(seen.setdefault(v, v))
                    else:
                        out.append(v)
                while out and out[-1] is None:
                    out.pop()
                rows.append(out)
        except csv.Error as exc:
            raise csv_refusal(exc, file, reader.line_num) from None
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror or exc})", file=file) from None
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _why(exc: BaseException) -> str:
    """A short, one-line reason from a third-party parser's exception."""
    text = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_zip(p: Path) -> None:
    """Refuse a damaged ZIP container or one that unpacks to more than MAX_XLSX_UNPACKED."""
    try:
        with zipfile.ZipFile(p) as z:
            infos = z.infolist()
    except Exception as exc:  # BadZipFile, ValueError, struct.error … on a damaged directory
        raise InputError(f"damaged XLSX (ZIP) container ({_why(exc)})", file=str(p)) from None
    total = sum(max(i.file_size, 0) for i in infos)
    if total > MAX_XLSX_UNPACKED:
        raise InputError(
            f"the workbook unpacks to {total / 2**20:,.0f} MB, more than the "
            f"{MAX_XLSX_UNPACKED / 2**20:,.0f} MB an inspection export may take; refused unread",
            file=str(p))


def _long_cell(row: tuple[Any, ...] | list[Any]) -> int | None:
    """Index of the first text cell longer than MAX_CELL_CHARS, else None."""
    for j, v in enumerate(row):
        if type(v) is str and len(v) > MAX_CELL_CHARS:
            return j
    return None


def _xlsx_grids(p: Path, sheet: str | None) -> list[tuple[str | None, list[list[Any]]]]:
    import openpyxl

    _check_zip(p)
    file = str(p)
    fh = open(p, "rb")  # a file object: openpyxl then does not insist on an .xlsx name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style", unsupported extensions …
            try:
                wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            except Exception as exc:  # openpyxl raises many types on damaged files
                raise InputError(f"not a readable XLSX workbook ({_why(exc)})", file=file) from None
            try:
                names = _pick_sheets(list(wb.sheetnames), sheet, p)
                grids = []
                paths = {}
                cells = 0
                for n in names:
                    rows: list[list[Any]] = []
                    try:
                        ws = wb[n]
                        paths[n] = getattr(ws, "_worksheet_path", None)
                        ws.reset_dimensions()  # a declared size is not trusted: no padding to it
                        for row in ws.iter_rows(values_only=True):
                            cells += len(row)
                            if cells > MAX_WORKBOOK_CELLS:
                                raise InputError(
                                    f"more than {MAX_WORKBOOK_CELLS:,} cells (counting blanks up to "
                                    "the last cell of each row); refused", file=file, sheet=n,
                                    row=len(rows) + 1)
                            j = _long_cell(row)
                            if j is not None:
                                raise InputError(f"cell {excel_column_letter(j)}{len(rows) + 1} holds more "
                                                 f"than {MAX_CELL_CHARS:,} characters (Excel's limit)",
                                                 file=file, sheet=n, row=len(rows) + 1,
                                                 column=excel_column_letter(j))
                            rows.append(list(row))
                    except PilotqaError:
                        raise
                    except Exception as exc:  # damaged sheet XML, shared-string index, CRC …
                        raise InputError(f"damaged worksheet, unreadable after row {len(rows)} "
                                         f"({_why(exc)})", file=file, sheet=n) from None
                    grids.append((n, rows))
            finally:
                wb.close()
    finally:
        fh.close()
    out: list[tuple[str | None, list[list[Any]]]] = []
    for n, rows in grids:
        part = paths[n]
        if part:
            for r0, c0, formula in _uncalculated_formulas(p, part):
                if r0 >= len(rows) + 1 or c0 >= MAX_COLUMNS:
                    continue  # beyond every row openpyxl read: not a cell of the table
                while len(rows) <= r0:
                    rows.append([])
                row = rows[r0] = list(rows[r0])
                row.extend([None] * (c0 + 1 - len(row)))
                if row[c0] is None:
                    row[c0] = formula
        out.append((n, _trim(rows)))
    return out


_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_F_RE = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_V_RE = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_T_RE = re.compile(rb'\bt="(\w+)"')


def _uncalculated_formulas(p: Path, part: str) -> list[tuple[int, int, str]]:
    """Cells of one worksheet that hold a formula but no saved result: (row0, col0, "=formula").

    openpyxl's ``data_only`` view gives None for such a cell, which would read as a blank (a
    file written by a program that does not calculate, e.g. a script). A formula whose result
    is an empty string keeps an (empty) ``<v>`` element and is not listed. The formula text
    takes the cell's place in the grid, so a reading cell holding it is refused with its
    address (:func:`pilotqa.read.cells.parse_cell`), never counted as *not measured*.

    "No saved result" means no ``<v>`` element, or an empty one in a cell that is not of text
    type (openpyxl writes ``<v/>`` for a formula it cannot calculate; Excel and LibreOffice write
    ``t="str"`` with an empty ``<v>`` for a formula whose result is the empty text, as in
    ``=IF(…, "", …)``: that cell is a genuine blank).
    """
    import html

    try:
        with zipfile.ZipFile(p) as z:
            xml = z.read(part)
    except Exception:  # BadZipFile, OSError, KeyError, zlib.error … (openpyxl read it already)
        return []
    if b"<f" not in xml and b":f" not in xml:
        return []
    found = []
    for m in _CELL_RE.finditer(xml):
        body = m.group(2)
        f = _F_RE.search(body)
        if f is None:
            continue
        v = _V_RE.search(body)
        if v is not None and (v.group(1) or b"").strip():
            continue  # a saved result
        t = _T_RE.search(m.group(1))
        if v is not None and t is not None and t.group(1) in (b"str", b"s", b"inlineStr"):
            continue  # a saved empty-text result, e.g. =IF(…, "", …)
        ref = _REF_RE.search(m.group(1))
        if ref is None:
            continue
        col = 0
        for ch in ref.group(1):
            col = col * 26 + ch - 64
        text = html.unescape((f.group(1) or b"").decode("utf-8", "replace")).strip()
        found.append((int(ref.group(2)) - 1, col - 1, "=" + (text or "(shared formula)")))
    return found


def _pick_sheets(names: list[str], sheet: str | None, p: Path) -> list[str]:
    """Every sheet, or the one named by ``--sheet`` (exact, else case-insensitive match)."""
    if sheet is None:
        return names
    match = [n for n in names if n == sheet] or [n for n in names if n.lower() == sheet.lower()]
    if not match:
        raise InputError(
            f"no sheet named '{sheet}'; the workbook has: " + ", ".join(f"'{n}'" for n in names),
            file=str(p),
        )
    return match[:1]


def ole2_problem(mem: bytes) -> str | None:
    """Why an OLE2 compound document (the container of a BIFF8 ``.xls``) cannot be read safely,
    or None.

    Checks what xlrd's ``compdoc`` module relies on without checking it (a damaged file can
    otherwise loop forever there, growing without bound): 512-byte sectors with 64-byte short
    sectors; every sector chain (master and sector allocation tables, directory, short-stream
    container and table, every stream) inside the file, free of loops and properly ended; the
    directory tree free of loops.
    """
    if len(mem) < 512:
        return "shorter than the 512-byte OLE2 header"
    if mem[28:30] != b"\xfe\xff":
        return "not a little-endian OLE2 header"
    ssz, sssz = struct.unpack("<HH", mem[30:34])
    if (ssz, sssz) != (9, 6):
        return f"sector sizes 2^{ssz}/2^{sssz}; an Excel 97-2003 workbook has 512/64"
    sec = 512
    nent = sec // 4
    (_nsat, dir_first, _, min_std, ssat_first, _nssat, msatx_first,
     nmsatx) = struct.unpack("<iiiiiiii", mem[44:76])
    nsecs = (len(mem) - 512 + sec - 1) // sec

    def sector(sid: int) -> bytes:
        chunk = mem[512 + sec * sid: 512 + sec * (sid + 1)]
        return chunk + b"\xff" * (sec - len(chunk))  # a short last sector: padded, as free

    msat = list(struct.unpack("<109i", mem[76:512]))
    if not (nmsatx == 0 and msatx_first in (-2, -1, 0)):
        sid, seen = msatx_first, set()
        while sid not in (-2, -1, -4):
            if sid < 0 or sid >= nsecs or sid in seen:
                return "the master sector allocation table's chain is broken"
            seen.add(sid)
            ids = struct.unpack(f"<{nent}i", sector(sid))
            msat.extend(ids[:-1])
            sid = ids[-1]
    sat: list[int] = []
    for sid in msat:
        if sid in (-1, -2):
            continue
        if sid < 0 or sid >= nsecs:
            return "truncated (the sector allocation table lies past the end of the file)"
        sat.extend(struct.unpack(f"<{nent}i", sector(sid)))

    def chain(start: int, table: list[int], n_units: int, what: str) -> list[int] | str:
        out: list[int] = []
        seen: set[int] = set()
        s = start
        while s >= 0:
            if s >= len(table) or s >= n_units:
                return f"the {what} runs past the end of the file"
            if s in seen:
                return f"the {what} loops"
            seen.add(s)
            out.append(s)
            s = table[s]
        if s != -2:
            return f"the {what} is not properly ended"
        return out

    dirs = chain(dir_first, sat, nsecs, "directory's sector chain")
    if isinstance(dirs, str):
        return dirs
    dbytes = b"".join(sector(s) for s in dirs)
    entries = [dbytes[k:k + 128] for k in range(0, len(dbytes) - 127, 128)]
    if not entries or entries[0][66] != 5:
        return "no root entry in the directory"

    def field(e: bytes) -> tuple[int, int, int, int, int, int]:
        etype = e[66]
        left, right, child = struct.unpack("<iii", e[68:80])
        first, size = struct.unpack("<ii", e[116:124])
        return etype, left, right, child, first, size

    # the directory tree (xlrd walks it recursively): every entry at most once, bounded depth
    visited: set[int] = set()
    stack = [(field(entries[0])[3], 1)]
    while stack:
        did, depth = stack.pop()
        if did < 0:
            continue
        if did >= len(entries) or did in visited or did == 0:
            return "the directory tree is damaged"
        if depth > 200:
            return "the directory tree is too deep"
        visited.add(did)
        etype, left, right, child, _, _ = field(entries[did])
        stack += [(left, depth + 1), (right, depth + 1)]
        if etype == 1:
            stack.append((child, depth + 1))
    _, _, _, _, root_first, root_size = field(entries[0])
    sscs_units = 0
    if root_first >= 0 and root_size > 0:
        sscs = chain(root_first, sat, nsecs, "short-stream container's sector chain")
        if isinstance(sscs, str):
            return sscs
        sscs_units = len(sscs) * sec // 64
    ssat: list[int] = []
    if root_size > 0:
        found = chain(ssat_first, sat, nsecs, "short sector allocation table's chain")
        if isinstance(found, str):
            return found
        for sid in found:
            ssat.extend(struct.unpack(f"<{nent}i", sector(sid)))
    for did in visited:
        etype, _, _, _, first, size = field(entries[did])
        if etype != 2 or size <= 0 or first < 0:
            continue
        name = entries[did][:64].decode("utf-16-le", "replace").split("\x00")[0]
        if size >= min_std:
            got = chain(first, sat, nsecs, f"stream '{name}'")
        else:
            got = chain(first, ssat, sscs_units, f"short stream '{name}'")
        if isinstance(got, str):
            return got
    return None


def _xls_grids(p: Path, sheet: str | None) -> list[tuple[str | None, list[list[Any]]]]:
    """Raw grids of a legacy Excel 97-2003 workbook (BIFF8) through xlrd, with the same cell
    types as :func:`_xlsx_grids`: numbers (whole numbers as int), text, datetimes (converted
    with the workbook's 1900/1904 date mode), booleans. An error cell becomes its Excel text
    (``#DIV/0!``, ``#N/A`` …) so that it is refused with its place, never read as blank.

    The OLE2 container is checked first (:func:`ole2_problem`); xlrd's own messages go nowhere
    (it prints them to stdout by default)."""
    import xlrd

    file = str(p)
    try:
        mem = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=file) from None
    problem = ole2_problem(mem)
    if problem:
        raise InputError(f"not a readable XLS workbook (damaged OLE2 container: {problem})",
                         file=file)
    with open(os.devnull, "w") as devnull:
        try:
            wb = xlrd.open_workbook(file_contents=mem, on_demand=True, ragged_rows=True,
                                    logfile=devnull)
        except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors on damage
            raise InputError(f"not a readable XLS workbook ({_why(exc)})", file=file) from None
        try:
            out: list[tuple[str | None, list[list[Any]]]] = []
            cells = 0
            for name in _pick_sheets(list(wb.sheet_names()), sheet, p):
                rows: list[list[Any]] = []
                try:
                    sh = wb.sheet_by_name(name)
                    for r in range(sh.nrows):
                        cells += sh.row_len(r)
                        if cells > MAX_WORKBOOK_CELLS:
                            raise InputError(
                                f"more than {MAX_WORKBOOK_CELLS:,} cells (counting blanks up to the "
                                "last cell of each row); refused", file=file, sheet=name, row=r + 1)
                        rows.append(_xls_row(sh.row_types(r), sh.row_values(r), wb.datemode, xlrd))
                        j = _long_cell(rows[-1])
                        if j is not None:
                            raise InputError(f"cell {excel_column_letter(j)}{r + 1} holds more than "
                                             f"{MAX_CELL_CHARS:,} characters (Excel's limit)",
                                             file=file, sheet=name, row=r + 1, column=excel_column_letter(j))
                    wb.unload_sheet(name)
                except PilotqaError:
                    raise
                except Exception as exc:  # damaged BIFF records
                    raise InputError(f"damaged worksheet, unreadable after row {len(rows)} "
                                     f"({_why(exc)})", file=file, sheet=name) from None
                out.append((name, _trim(rows)))
            return out
        finally:
            wb.release_resources()


def _xls_row(types: Any, values: Any, datemode: int, xlrd: Any) -> list[Any]:
    row: list[Any] = []
    for ctype, v in zip(types, values):
        if ctype == xlrd.XL_CELL_NUMBER:
            row.append(int(v) if float(v).is_integer() and abs(v) < 2**53 else v)
        elif ctype == xlrd.XL_CELL_TEXT:
            row.append(v)
        elif ctype == xlrd.XL_CELL_DATE:
            try:
                row.append(xlrd.xldate_as_datetime(v, datemode))
            except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                row.append(v)  # a date Excel itself cannot show: keep the number
        elif ctype == xlrd.XL_CELL_BOOLEAN:
            row.append(bool(v))
        elif ctype == xlrd.XL_CELL_ERROR:
            row.append(xlrd.error_text_from_code.get(v, f"#ERROR{v}"))
        else:
            row.append(None)
    return row
