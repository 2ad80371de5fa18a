"""CSV, XLSX and legacy XLS inspection tables: long and wide layouts (characteristic-per-row
sheets are handed to :mod:`pilotqa.read.charrows`; the raw cell grids come from
:mod:`pilotqa.read.grids`).

* **long** — one row per reading: a feature column and a value column (headings matched with
  the synonyms of :data:`pilotqa.read.specs.HEADING_SYNONYMS`, plus ``--map``), optional part,
  lot, subgroup, sequence, timestamp columns and per-row spec columns (constant per feature).
* **wide** — one row per part, one column per characteristic; spec rows labelled in the first
  column (Nominal, USL/LSL, Max/Min, +Tol/-Tol, Upper/Lower, Unit, Class) either above the
  heading row or between it and the parts; "Label: value" cells above the table become metadata.

Every sheet of a workbook is read (or only ``opts.sheet``). A sheet is long when its heading row
has a feature and a value column, else wide. Lots come from a lot column, else from the sheet
name when several data sheets share their features (or the name says "Lot …"), else from the
file stem. Sequence comes from a sequence column, else from the order in which parts first
appear (across sheets in sheet order). Reading cells always go through
:func:`pilotqa.read.cells.parse_column`; a cell that is not a reading is an
:class:`~pilotqa.errors.InputError` with file, sheet, row (as a spreadsheet shows it; the CSV
heading line is row 1) and column. CSV files may use ``,``, ``;``, tab or ``|`` as separator
(detected by counting) and decimal commas.
"""
from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import polars as pl

from pilotqa.errors import InputError, SpecError
from pilotqa.model import STREAM_COLUMNS, SPEC_SCHEMA, Inspection, SourceFile, merge_metadata, sha256_file
from pilotqa.threads import concurrent
from pilotqa.model import stream_key
from pilotqa.read.cells import excel_column_letter, parse_cell, parse_column
from pilotqa.read.dates import parse_datetime, parse_time
from pilotqa.read.layout import HINT, is_balloon_row, is_reading_subheader, tried_rows
from pilotqa.read import gonogo  # go/no-go (attribute) columns and characteristics
from pilotqa.read.grids import (OLE2_MAGIC, TEXT_EXTENSIONS, csv_frame, decode_text, detect_delimiter,
                                distinct_texts, frame_rows, is_coded, is_workbook, is_xlsx, per_distinct,
                                read_grids)
from pilotqa.read.specs import (
    CANONICAL_NAMES,
    heading_canonical,
    merge_sheet_specs,
    metadata_key,
    metadata_pairs,
    norm_heading,
    normalize_class,
    parse_bool,
    resolve_limits,
    spec_label,
    specs_per_feature,
)
from pilotqa.util import cell_text as _s

if TYPE_CHECKING:
    from pilotqa.read import ReadOptions

__all__ = ["FORMAT", "MAP_ALIASES", "sniff", "read_path", "read_grids", "detect_delimiter"]

FORMAT = "tabular"

_ID_FIELDS = ("part_id", "lot", "subgroup", "sequence", "timestamp", "date", "time") + STREAM_COLUMNS
_NUM_SPEC = ("nominal", "lsl", "usl", "tol_plus", "tol_minus", "tol", "upper", "lower")
_SUMMARY = {"mean", "average", "avg", "x̄", "xbar", "std", "std dev", "stdev", "std.dev",
            "sigma", "s", "range", "r", "cp", "cpk", "pp", "ppk", "count", "n", "median",
            "total", "sum", "mittelwert", "spannweite"}
_LOT_NAME_RE = re.compile(r"(?i)(^|[^a-z])(lot|batch|charge|los)([^a-z]|$)|^L\d+$")


# ---------------------------------------------------------------------------------------------
# sniffing
# ---------------------------------------------------------------------------------------------

def sniff(path: Path, head: bytes) -> bool:
    """True for an XLSX/XLSM or legacy XLS workbook (by content) or a delimited text file
    (.csv/.txt/.tsv)."""
    if head[:4] == b"PK\x03\x04":
        return is_xlsx(path)
    if head[:8] == OLE2_MAGIC:
        return True
    if path.suffix.lower() not in TEXT_EXTENSIONS or b"\x00" in head:
        return False
    text = decode_text(head)
    return any(d in text for d in ",;\t|")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

@dataclass
class _Ctx:
    """One file being read: its name, kind, --map, headings seen (for the --map check)."""

    file: str
    xlsx: bool
    cmap: dict[str, str]
    seen: set[str] = field(default_factory=set)
    #: rows _find_header tried as headings, and the balloon row it stepped over (this sheet)
    tried: list[int] = field(default_factory=list)
    balloon_row: int | None = None
    #: columns named with --by (stream_key form): kept per reading as stream columns (long layout)
    by: frozenset[str] = frozenset()
    #: the file's name (``Path(file).name``), as notes and spec sources give it
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = Path(self.file).name

    def place(self, sheet: str | None, r0: int, c0: int, heading: Any) -> dict[str, Any]:
        col = _s(heading) if heading not in (None, "") else excel_column_letter(c0)
        return {"file": self.file, "sheet": sheet, "row": r0 + 1, "column": col}

    def cell(self, r0: int, c0: int) -> str:
        return f"cell {excel_column_letter(c0)}{r0 + 1}: " if self.xlsx else ""

    def canon(self, raw: Any) -> tuple[str, int] | None:
        key = norm_heading(raw)
        self.seen.add(key)
        if key in self.cmap:
            return self.cmap[key], -1
        return heading_canonical(raw)

    def label(self, raw: Any) -> str | None:
        if not isinstance(raw, str):
            return None
        key = norm_heading(raw)
        self.seen.add(key)
        if key in self.cmap and self.cmap[key] in _NUM_SPEC + ("unit", "class", "lower_bound_zero"):
            return self.cmap[key]
        return spec_label(raw)


def _int_cell(v: Any, what: str, ctx: _Ctx, sheet: str | None, r0: int, c0: int, head: Any) -> int:
    if isinstance(v, bool):
        v = None
    if isinstance(v, (int, float)) and float(v).is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("+-").isdigit():
        return int(v.strip())
    shown = "blank" if v is None else f"'{v}'"
    raise InputError(f"{ctx.cell(r0, c0)}{what} is {shown}, expected a whole number",
                     **ctx.place(sheet, r0, c0, head))


def _ts_cell(v: Any, cache: dict[Any, datetime | None], ctx: _Ctx, sheet: str | None, r0: int,
             c0: int, head: Any) -> datetime | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        if v in cache:
            return cache[v]
        s = v.strip()
        out = parse_datetime(s)  # ISO, dd.mm.yyyy[ hh:mm[:ss]], yyyy/mm/dd (pilotqa.read.dates)
        if out is not None:
            cache[v] = out
            return out
    raise InputError(
        f"{ctx.cell(r0, c0)}'{v}' is not a date/time (use ISO 8601 like 2024-03-01 08:00, "
        "or dd.mm.yyyy hh:mm)",
        **ctx.place(sheet, r0, c0, head),
    )


def _texts(name: str, raw: list[Any]) -> pl.Series:
    """Cells as a String series (numbers in their shortest round-trip form), vectorised when
    the cells already are text (CSV)."""
    try:
        return pl.Series(name, raw, dtype=pl.String).str.strip_chars()
    except (TypeError, pl.exceptions.PolarsError):
        return pl.Series(name, [None if v is None else repr(v) if type(v) is float else _s(v)
                                for v in raw], dtype=pl.String)


def _parse_values(raw: list[Any], rows0: list[int], c0: int, head: Any, ctx: _Ctx,
                  sheet: str | None, name: str = "value") -> tuple[pl.Series, pl.Series]:
    """Parse reading cells with :func:`parse_column`; the first bad cell is an InputError."""
    if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in raw):
        ser = pl.Series(name, raw, dtype=pl.Float64, strict=False)
    else:
        ser = pl.Series(name, [None if v is None else v if isinstance(v, str) else
                               repr(v) if isinstance(v, float) else str(v) for v in raw],
                        dtype=pl.String)
    vals, missing, problems = parse_column(ser)
    if problems:
        i, prob = problems[0]
        more = f" ({len(problems) - 1} more such cells in this column)" if len(problems) > 1 else ""
        raise InputError(f"{ctx.cell(rows0[i], c0)}{prob.reason}{more}",
                         **ctx.place(sheet, rows0[i], c0, head))
    return vals.alias(name), missing


def _missing_note(name: str, rows1: list[int], sheet: str | None) -> str:
    """'BORE_A_DIA: 2 readings marked not measured (rows 14, 37)'."""
    k = len(rows1)
    shown = ", ".join(map(str, rows1[:10])) + (", …" if k > 10 else "")
    where = f"sheet '{sheet}', " if sheet else ""
    return (f"{name}: {k} reading{'s' if k > 1 else ''} marked not measured "
            f"({where}row{'s' if k > 1 else ''} {shown})")


@dataclass
class _SheetData:
    sheet: str | None
    layout: str
    measurements: pl.DataFrame  # canonical columns + "_order"
    specs: pl.DataFrame
    has_lot: bool
    has_sequence: bool
    notes: list[str]
    metadata: dict[str, str]
    details: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# table location
# ---------------------------------------------------------------------------------------------

def _find_header(rows: list[list[Any]], ctx: _Ctx) -> tuple[int | None, dict[str, str], list[int]]:
    """(header row index, metadata above it, spec-label rows above it)."""
    meta: dict[str, str] = {}
    pre_spec: list[int] = []
    nonempty = [r for r in range(len(rows)) if rows[r]]
    for k, r in enumerate(nonempty[:80]):
        cells = [v for v in rows[r] if v is not None]
        if ctx.label(cells[0]) and len(cells) >= 2:
            pre_spec.append(r)
            continue
        pairs = metadata_pairs(rows[r])
        if pairs:
            meta.update(pairs)
            continue
        if len(cells) < 2:
            continue
        ctx.tried.append(r)
        nxt = nonempty[k + 1] if k + 1 < len(nonempty) else None
        if is_balloon_row(rows[r]) and nxt is not None and sum(
                isinstance(v, str) for v in rows[nxt]) >= 2:
            ctx.balloon_row = r  # balloon numbers above the characteristic names
            continue
        known = any(ctx.canon(v) for v in cells if isinstance(v, str))
        texty = sum(isinstance(v, str) for v in cells) >= 0.5 * len(cells)
        nxt = nonempty[k + 1] if k + 1 < len(nonempty) else None
        spec_below = nxt is not None and bool(rows[nxt]) and ctx.label(next(
            (v for v in rows[nxt] if v is not None), None)) is not None
        if known or texty or spec_below:
            return r, meta, pre_spec
    return None, meta, pre_spec


def _has_numbers(rows: list[list[Any]]) -> bool:
    return any(isinstance(parse_cell(v), float) for row in rows for v in row
               if v is not None and not isinstance(v, (datetime, date)))


class _Held:
    """A CSV sheet's frame (:func:`~pilotqa.read.grids.csv_frame`) held in one place: the callers
    keep only this holder, so that the column reader (:func:`_read_long_frame`) lets the frame go
    as soon as it has taken the columns it needs (``frame`` None from then on)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame: pl.DataFrame | None = frame

    def rows(self) -> list[list[Any]]:
        """:func:`~pilotqa.read.grids.frame_rows` of the frame (not yet let go)."""
        assert self.frame is not None
        return frame_rows(self.frame)


def _read_sheet(rows: list[list[Any]], sheet: str | None, ctx: _Ctx,
                opts: "ReadOptions", frame: _Held | None = None,
                not_charrows: bool = False) -> _SheetData | str:
    """Read one sheet, or return why it was skipped.

    ``frame``, when given, is the whole CSV as read by :func:`pilotqa.read.grids.csv_frame` and
    ``rows`` only its first :data:`_HEAD_ROWS` rows: a long table is then read from the frame's
    columns (:func:`_read_long_frame`); any other outcome reads the sheet again from all its
    rows, so that the result never depends on the head (``not_charrows``: the head already
    showed that it is no characteristic-per-row table, which looks at its first 201 rows only)."""
    if frame is not None and not _head_suffices(rows, opts):
        return _read_sheet(frame.rows(), sheet, ctx, opts)
    if not any(rows):
        return "empty"
    from pilotqa.read import charrows

    ctx.tried, ctx.balloon_row = [], None
    if opts.layout in ("charrows", "as9102") or (opts.layout is None and not not_charrows and
                                                 charrows.looks_like_charrows(
            rows, dict(opts.column_map or {}), _header_index(opts, rows, ctx, sheet))):
        if frame is not None:
            return _read_sheet(frame.rows(), sheet, ctx, opts)
        ctx.seen.update(norm_heading(v) for row in rows for v in row if isinstance(v, str))
        insp = charrows.read_charrows(rows, file=ctx.file, sheet=sheet, opts=opts)
        m = gonogo.rows_back(insp).with_columns(pl.col("sequence").alias("_order"))  # + go/no-go rows
        return _SheetData(sheet, insp.layout or "characteristic-rows", m, insp.specs,
                          has_lot=m["lot"].null_count() < m.height, has_sequence=False,
                          notes=insp.notes, metadata=insp.metadata,
                          details={"sheet": sheet, **insp.details})
    meta: dict[str, str] = {}
    for r in rows:
        if sum(v is not None for v in r) > 1:
            pairs = metadata_pairs(r)
            if pairs is None:
                meta = {}
                break
            meta.update(pairs)
    if meta:
        return _SheetData(sheet, "metadata", pl.DataFrame(), pl.DataFrame(schema=SPEC_SCHEMA),
                          False, False, [], meta, {})
    forced = _header_index(opts, rows, ctx, sheet)
    hdr, meta, pre_spec = _find_header(rows, ctx) if forced is None else \
        _forced_header(rows, forced, ctx)
    if hdr is None and frame is not None:
        return _read_sheet(frame.rows(), sheet, ctx, opts, not_charrows=True)
    if hdr is None:
        if not _has_numbers(rows):
            return "no readings (no numbers)"
        raise InputError(
            "found no heading row: expected a long table (a feature/characteristic column and a "
            "value/actual column, one row per reading) or a wide table (a part/serial column "
            f"and one column per characteristic, spec rows labelled Nominal/USL/LSL); tried "
            f"{tried_rows(ctx.tried)} as headings; {HINT}",
            file=ctx.file, sheet=sheet,
        )
    canon = [ctx.canon(v) if v is not None else None for v in rows[hdr]]
    names = {c[0] for c in canon if c}
    if opts.layout == "long" and not ("feature" in names and "value" in names):
        raise InputError(f"--layout long: heading row {hdr + 1} has no characteristic and value "
                         "columns (use --map HEADING=feature / HEADING=value)", file=ctx.file,
                         sheet=sheet, row=hdr + 1)
    long = opts.layout != "wide" and "feature" in names and "value" in names
    if frame is not None and not long:
        return _read_sheet(frame.rows(), sheet, ctx, opts, not_charrows=True)
    if long:
        sd = _read_long(rows, hdr, canon, sheet, ctx) if frame is None else \
            _read_long_frame(frame, rows, hdr, canon, sheet, ctx)
    else:
        sd = _read_wide(rows, hdr, canon, pre_spec, sheet, ctx)
    if isinstance(sd, _SheetData):
        sd.metadata = {**meta, **sd.metadata}
        if ctx.balloon_row is not None:
            sd.details["balloon_row"] = ctx.balloon_row + 1
            sd.notes.append(_source(ctx, sheet, f"row {ctx.balloon_row + 1}") + ": balloon "
                            f"numbers above the heading row {hdr + 1}, not read as headings")
    else:
        sd = f"{sd}, with row {hdr + 1} as the heading row"
    return sd


#: Rows of a CSV read as a grid before its layout is known (:func:`_read_sheet` with a frame).
_HEAD_ROWS = 1000


def _head_suffices(head: list[list[Any]], opts: "ReadOptions") -> bool:
    """Do the first rows of a CSV decide its layout exactly as all its rows would?

    The layout steps of :func:`_read_sheet` look at a bounded start of the grid: the
    characteristic-per-row test at most 201 rows, the heading search the first 81 non-empty
    rows, the header-block test up to its first row that is not label/value pairs. Options that
    name a row or a layout other than long are left to the full grid."""
    if opts.header_row is not None or opts.layout not in (None, "long") or len(head) < 202:
        return False
    if sum(1 for r in head if r) < 82:
        return False
    return any(sum(v is not None for v in r) > 1 and metadata_pairs(r) is None for r in head)


def _header_index(opts: "ReadOptions", rows: list[list[Any]], ctx: _Ctx,
                  sheet: str | None) -> int | None:
    """``--header-row N`` as a 0-based index, checked against the sheet; None when not given."""
    if opts.header_row is None:
        return None
    r = opts.header_row - 1
    if r < 0 or r >= len(rows) or not any(v is not None for v in rows[r]):
        raise InputError(f"--header-row {opts.header_row}: the row is empty or beyond the sheet's "
                         f"{len(rows)} rows", file=ctx.file, sheet=sheet, row=opts.header_row)
    return r


def _forced_header(rows: list[list[Any]], hdr: int, ctx: _Ctx) -> tuple[int, dict[str, str],
                                                                         list[int]]:
    """The ``--header-row`` row: metadata and spec-label rows are read from the rows above."""
    meta: dict[str, str] = {}
    pre_spec: list[int] = []
    for r in range(hdr):
        cells = [v for v in rows[r] if v is not None]
        if not cells:
            continue
        if ctx.label(cells[0]) and len(cells) >= 2:
            pre_spec.append(r)
        elif (pairs := metadata_pairs(rows[r])):
            meta.update(pairs)
    return hdr, meta, pre_spec


# ---------------------------------------------------------------------------------------------
# columns shared by both layouts
# ---------------------------------------------------------------------------------------------

def _pick_columns(head: list[Any], canon: list[tuple[str, int] | None], wanted: tuple[str, ...],
                  sheet: str | None, ctx: _Ctx, hdr: int) -> dict[str, int]:
    """Canonical name -> column index; of two columns for one name the better synonym wins."""
    best: dict[str, tuple[int, int]] = {}
    for j, c in enumerate(canon):
        if not c or c[0] not in wanted:
            continue
        name, rank = c
        if name in best:
            k, r = best[name]
            if r == rank:
                raise InputError(
                    f"two columns could be '{name}': '{_s(head[k])}' ({excel_column_letter(k)}) and "
                    f"'{_s(head[j])}' ({excel_column_letter(j)}); say which with --map HEADING={name}",
                    **ctx.place(sheet, hdr, j, head[j]),
                )
            if rank < r:
                best[name] = (j, rank)
        else:
            best[name] = (j, rank)
    return {k: v[0] for k, v in best.items()}


def _ids(body: list[int], rows: list[list[Any]], cols: dict[str, int], head: list[Any],
         sheet: str | None, ctx: _Ctx) -> dict[str, list[Any]]:
    """part_id, lot, subgroup, sequence, timestamp lists for the body rows (None when absent)."""

    def cells(j: int) -> list[Any]:
        return [rows[r][j] if j < len(rows[r]) else None for r in body]

    out: dict[str, list[Any]] = {}
    for name in ("part_id", "lot"):
        if name in cols:
            j = cols[name]
            vals = cells(j)
            for r, v in zip(body, vals):
                if v is None:
                    what = "part id" if name == "part_id" else "lot"
                    raise InputError(f"{ctx.cell(r, j)}{what} is blank",
                                     **ctx.place(sheet, r, j, head[j]))
            out[name] = _texts(name, vals).to_list()
    for name in ("subgroup", "sequence"):
        if name in cols:
            j = cols[name]
            out[name] = [_int_cell(v, name, ctx, sheet, r, j, head[j]) for r, v in zip(body, cells(j))]
    cache: dict[Any, datetime | None] = {}
    # a timestamp column; else a date column (with a separate time column when there is one);
    # else a time column holding date and time
    j_ts = cols.get("timestamp", cols.get("date", cols.get("time")))
    if j_ts is not None:
        out["timestamp"] = [_ts_cell(v, cache, ctx, sheet, r, j_ts, head[j_ts])
                            for r, v in zip(body, cells(j_ts))]
        if "timestamp" not in cols and "date" in cols and "time" in cols:
            j = cols["time"]
            out["timestamp"] = [_with_time(d, v, ctx, sheet, r, j, head[j])
                                for d, r, v in zip(out["timestamp"], body, cells(j))]
    for name in STREAM_COLUMNS:
        if name in cols:
            out[name] = _texts(name, cells(cols[name])).to_list()
    return out


def _stream_frame(idv: dict[str, list[Any]], n: int) -> list[pl.Series]:
    """The optional stream columns (machine, operator, nest …) the table has, as String series."""
    return [pl.Series(c, idv[c], dtype=pl.String) for c in STREAM_COLUMNS if c in idv]


def _constant_streams(idv: dict[str, list[Any]]) -> dict[str, str]:
    """A stream column with one value (``Operator: Anna`` on every row) is metadata too."""
    out: dict[str, str] = {}
    for c in STREAM_COLUMNS:
        vals = {v for v in idv.get(c, []) if v is not None}
        if c in idv and len(vals) == 1:
            out[c] = vals.pop()
    return out


def _with_time(day: datetime | None, v: Any, ctx: _Ctx, sheet: str | None, r0: int, c0: int,
               head: Any) -> datetime | None:
    """A date cell's datetime with the time of a separate time cell (text ``14:30[:05]``, an
    Excel time, or a fraction of a day); the date alone when the time cell is blank."""
    if day is None or v is None or (isinstance(v, str) and not v.strip()):
        return day
    if isinstance(v, time):
        t: time | None = v
    elif isinstance(v, datetime):
        t = v.time()
    elif isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1:
        t = (datetime(2000, 1, 1) + timedelta(seconds=round(float(v) * 86400))).time()
    else:
        t = parse_time(str(v))
    if t is None:
        raise InputError(f"{ctx.cell(r0, c0)}'{v}' is not a time of day (use hh:mm or hh:mm:ss)",
                         **ctx.place(sheet, r0, c0, head))
    return datetime.combine(day.date(), t)


def _check_duplicates(keys: list[tuple[Any, ...]], body: list[int], what: str, sheet: str | None,
                      ctx: _Ctx, col: int | None, head: Any) -> None:
    first: dict[tuple[Any, ...], int] = {}
    for k, r in zip(keys, body):
        if k in first:
            raise InputError(f"{what} {', '.join(str(x) for x in k if x is not None)} appears twice "
                             f"(rows {first[k] + 1} and {r + 1})",
                             **ctx.place(sheet, r, col if col is not None else 0, head))
        first[k] = r


def _source(ctx: _Ctx, sheet: str | None, tail: str) -> str:
    sh = f", sheet '{sheet}'" if sheet else ""
    return f"{ctx.name}{sh}, {tail}"


# ---------------------------------------------------------------------------------------------
# wide layout
# ---------------------------------------------------------------------------------------------

def _read_wide(rows: list[list[Any]], hdr: int, canon: list[tuple[str, int] | None],
               pre_spec: list[int], sheet: str | None, ctx: _Ctx) -> _SheetData | str:
    width = max(len(r) for r in rows)
    head = rows[hdr] + [None] * (width - len(rows[hdr]))
    canon = canon + [None] * (width - len(canon))
    post_spec: list[int] = []
    sub_rows: list[int] = []  # "Actual" / "Measured" rows labelling the readings below
    key_guess = next((j for j, c in enumerate(canon) if c and c[0] == "part_id"), 0)
    r = hdr + 1
    while r < len(rows):
        if rows[r]:
            if not ctx.label(next(v for v in rows[r] if v is not None)):
                if not is_reading_subheader(rows[r], key_guess):
                    break
                sub_rows.append(r)
            else:
                post_spec.append(r)
        r += 1
    data_start = r
    spec_rows = pre_spec + post_spec
    label_cols = {next(j for j, v in enumerate(rows[s]) if v is not None) for s in spec_rows}
    cols = _pick_columns(head, canon, _ID_FIELDS, sheet, ctx, hdr)
    ignored = [j for j, c in enumerate(canon) if c and c[0] == "ignore"]
    notes: list[str] = []
    if "part_id" not in cols:
        cand = min(label_cols) if label_cols else 0
        generic = norm_heading(head[cand]) in {"", "#", "no", "nr", "id", "number", "item", "pos", "index"}
        if cand not in cols.values() and (cand in label_cols or generic):
            cols["part_id"] = cand
    used = set(cols.values()) | set(ignored) | label_cols
    # --by columns: a stream kept per reading, not a feature
    by_j = {j: stream_key(_s(head[j])) for j in range(width)
            if ctx.by and j not in used and head[j] is not None and stream_key(_s(head[j])) in ctx.by}
    used |= set(by_j)
    feats = [j for j in range(width) if j not in used and head[j] is not None]
    blank_head = [j for j in range(width) if j not in used and head[j] is None]
    key_col = cols.get("part_id", feats[0] if feats else 0)
    body: list[int] = []
    last_reading = -1
    footer_from: int | None = None
    for r in range(data_start, len(rows)):
        row = rows[r]
        if not row:
            continue
        key = row[key_col] if key_col < len(row) else None
        if isinstance(key, str) and (norm_heading(key) in _SUMMARY or ctx.label(key)):
            footer_from = r
            break
        body.append(r)
        if any(j < len(row) and row[j] is not None for j in feats):
            last_reading = r
    tail = [r for r in body if r > last_reading]
    body = [r for r in body if r <= last_reading]
    end = tail[0] if tail else footer_from
    if end is not None:
        notes.append(f"{_source(ctx, sheet, f'rows {end + 1}')} and below: not part of the table "
                     "(no readings / summary rows), not read")
    for j in blank_head:
        hit = next((r for r in body if j < len(rows[r]) and rows[r][j] is not None), None)
        if hit is not None:
            raise InputError(f"{ctx.cell(hit, j)}column {excel_column_letter(j)} holds values but "
                             f"has no heading (row {hdr + 1} read as the heading row; {HINT})",
                             **ctx.place(sheet, hit, j, None))
    names = [_s(head[j]) for j in feats]
    seen: dict[str, int] = {}
    for j, nm in zip(feats, names):
        if nm in seen:
            raise InputError(
                f"two columns are headed '{nm}' (columns {excel_column_letter(seen[nm])} and "
                f"{excel_column_letter(j)}); feature names must be unique",
                **ctx.place(sheet, hdr, j, head[j]))
        seen[nm] = j
    # spec rows -> per-feature fields
    field_row: dict[str, int] = {}
    for s in spec_rows:
        lab = next(v for v in rows[s] if v is not None)
        f = ctx.label(lab)
        assert f is not None
        if f in field_row:
            raise SpecError(f"two spec rows say '{f}' (rows {field_row[f] + 1} and {s + 1})",
                            file=ctx.file, sheet=sheet, row=s + 1)
        field_row[f] = s

    def spec_cell(f: str, j: int) -> Any:
        row = rows[field_row[f]]
        return row[j] if j < len(row) else None

    def place(f: str, i: int) -> dict[str, Any]:
        return ctx.place(sheet, field_row.get(f, hdr), feats[i], head[feats[i]])

    from pilotqa.read.specs import parse_spec_number

    by_col = list(zip_longest(*(rows[r] for r in body)))  # the body's columns, transposed once

    def column(j: int) -> list[Any]:
        """The body's cells of column j (None past a row's end)."""
        return list(by_col[j]) if j < len(by_col) else [None] * len(body)

    # go/no-go columns (every reading a pass/fail token, pilotqa.read.gonogo): attribute characteristics
    go = {j: g for j in feats if (g := gonogo.read_cells(column(j), head[j]))}
    num = {f: [parse_spec_number(spec_cell(f, j), **place(f, i)) if j not in go else None  # "Nominal: OK"
               for i, j in enumerate(feats)] for f in _NUM_SPEC if f in field_row}
    notes += [t for j in feats if (t := gonogo.summary_note(  # "Result"/"Status" OK/NOK: name the NOK rows
        column(j), head[j], [r + 1 for r in body],
        _source(ctx, sheet, f"column {excel_column_letter(j)}")))]
    # columns without spec and without any number (operator, comments): not features
    keep = []
    for i, j in enumerate(feats):
        has_spec = any(spec_cell(f, j) is not None for f in field_row)
        vals = [v for v in column(j) if v is not None]
        if j in go or has_spec or any(isinstance(parse_cell(v), float) for v in vals) or not vals:
            keep.append(i)
        else:
            notes.append(f"{_source(ctx, sheet, f'column {excel_column_letter(j)}')} "
                         f"'{names[i]}': no spec and no numeric readings, not read as a feature")
    if len(keep) < len(feats):
        feats = [feats[i] for i in keep]
        names = [names[i] for i in keep]
        num = {f: [v[i] for i in keep] for f, v in num.items()}
    if not feats or not body:
        return "no readings"
    nom, lsl, usl, lim_notes = resolve_limits(num, len(feats), place, names=names, what="row")
    notes += lim_notes
    unit = [None if "unit" not in field_row or spec_cell("unit", j) is None else _s(spec_cell("unit", j))
            for j in feats]
    klass = [normalize_class(spec_cell("class", j), **place("class", i)) if "class" in field_row else None
             for i, j in enumerate(feats)]
    lbz = [parse_bool(spec_cell("lower_bound_zero", j), **place("lower_bound_zero", i))
           if "lower_bound_zero" in field_row else None for i, j in enumerate(feats)]
    rows_txt = ", ".join(str(x + 1) for x in sorted(field_row.values()))
    source = [_source(ctx, sheet, f"column {excel_column_letter(j)}, spec rows {rows_txt}")
              if field_row else None for j in feats]
    specs = pl.DataFrame({"feature": names, "nominal": nom, "lsl": lsl, "usl": usl, "unit": unit,
                          "class": klass, "lower_bound_zero": lbz, "source": source},
                         schema=SPEC_SCHEMA)
    # readings
    idv = _ids(body, rows, cols, head, sheet, ctx)
    if "part_id" not in idv:
        idv["part_id"] = [str(k + 1) for k in range(len(body))]
        notes.append(f"{_source(ctx, sheet, 'no part/serial column')}: parts numbered 1…{len(body)} "
                     "in row order")
    lots = idv.get("lot", [None] * len(body))
    _check_duplicates(list(zip(lots, idv["part_id"])), body, "part", sheet, ctx,
                      cols.get("part_id"), head[cols["part_id"]] if "part_id" in cols else None)
    rows0 = body
    data: dict[str, pl.Series] = {}
    for k, (j, nm) in enumerate(zip(feats, names)):
        if j in go:  # go/no-go column: its verdicts join the frame after the unpivot (gonogo.attach)
            data[f"__f{k}"] = pl.Series(f"__f{k}", [None] * len(body), dtype=pl.Float64)
            continue
        v, miss = _parse_values(column(j), rows0, j, head[j], ctx, sheet, f"__f{k}")
        data[f"__f{k}"] = v
        if miss.any():
            notes.append(_missing_note(nm, [body[i] + 1 for i in miss.arg_true().to_list()], sheet))
    n = len(body)
    base = pl.DataFrame({
        "part_id": idv["part_id"], "lot": lots,
        "subgroup": idv.get("subgroup", [None] * n), "sequence": idv.get("sequence", [None] * n),
        "timestamp": idv.get("timestamp", [None] * n), "_order": body,
    }, schema={"part_id": pl.String, "lot": pl.String, "subgroup": pl.Int64, "sequence": pl.Int64,
               "timestamp": pl.Datetime("us"), "_order": pl.Int64})
    base = base.with_columns(_stream_frame(idv, n))
    for j, c in by_j.items():
        cells_j = column(j)
        base = base.with_columns(pl.Series(c, _texts(c, cells_j).to_list(), dtype=pl.String))
    wide = pl.concat([base, pl.DataFrame(data)], how="horizontal")
    m = wide.unpivot(on=list(data), index=list(base.columns), variable_name="feature",
                     value_name="value").with_columns(
        pl.col("feature").replace_strict({f"__f{k}": nm for k, nm in enumerate(names)}))
    m = gonogo.attach(m, {nm: (go[j], body) for j, nm in zip(feats, names) if j in go})
    if sub_rows:
        notes.append(_source(ctx, sheet, "row" + "s" * (len(sub_rows) > 1) + " "
                             + ", ".join(str(x + 1) for x in sub_rows))
                     + ": a label row of the readings (Actual/Measured …), not read as data")
    details = {"sheet": sheet, "layout": "wide", "header_row": hdr + 1,
               **({"reading_label_rows": [x + 1 for x in sub_rows]} if sub_rows else {}),
               "spec_rows": {f: r + 1 for f, r in field_row.items()},
               "data_rows": [body[0] + 1, body[-1] + 1],
               "columns": {k: excel_column_letter(v) for k, v in cols.items()},
               "features": len(feats), "parts": n}
    return _SheetData(sheet, "wide", m, specs, "lot" in cols, "sequence" in cols, notes,
                      _constant_streams(idv), details)


# ---------------------------------------------------------------------------------------------
# long layout
# ---------------------------------------------------------------------------------------------

_LONG_FIELDS = _ID_FIELDS + ("feature", "value") + _NUM_SPEC + ("unit", "class", "lower_bound_zero")


def _unused_column_note(ctx: _Ctx, sheet: str | None, j: int, heading: Any) -> str:
    """The note for a long table's column that is neither read nor a one-value metadata column."""
    return f"{_source(ctx, sheet, f'column {excel_column_letter(j)}')} '{_s(heading)}' not used"


def _require_part_column(cols: dict[str, int], head: list[Any], sheet: str | None, ctx: _Ctx,
                         hdr: int) -> None:
    """Refuse a long table without a part/serial column, naming its headings."""
    if "part_id" not in cols:
        raise InputError(
            "no part/serial column: expected a heading like part_id, serial, part, s/n (or name "
            "one with --map HEADING=part_id); headings: "
            + ", ".join(f"'{_s(h)}'" for h in head if h is not None),
            file=ctx.file, sheet=sheet, row=hdr + 1)


def _stray_cells_note(rows: list[list[Any]], body: list[int], used: int, sheet: str | None,
                      ctx: _Ctx) -> str | None:
    """A note naming the rows with non-blank cells right of the last heading (column ``used`` on,
    0-based), or None. Such cells have no heading, so they are not read; the note keeps them
    from being dropped silently (a row with more cells than headings is often an unquoted
    delimiter inside a text)."""
    hit: list[int] = []
    n_cells = 0
    for r in body:
        row = rows[r]
        if len(row) > used:
            k = sum(1 for v in row[used:] if v is not None and v != "")
            if k:
                n_cells += k
                hit.append(r)
    if not hit:
        return None
    shown = ", ".join(str(r + 1) for r in hit[:5]) + (f" and {len(hit) - 5} more" if len(hit) > 5 else "")
    return (f"{_source(ctx, sheet, 'row' + 's' * (len(hit) > 1) + ' ' + shown)}: {n_cells} cell(s) right "
            f"of the last heading (column {excel_column_letter(used - 1)}) have no heading and were "
            "not read (more cells than headings: an unquoted delimiter in a text?)")


def _read_long(rows: list[list[Any]], hdr: int, canon: list[tuple[str, int] | None],
               sheet: str | None, ctx: _Ctx) -> _SheetData | str:
    width = max(len(r) for r in rows)
    head = rows[hdr] + [None] * (width - len(rows[hdr]))
    canon = canon + [None] * (width - len(canon))
    cols = _pick_columns(head, canon, _LONG_FIELDS, sheet, ctx, hdr)
    body = [r for r in range(hdr + 1, len(rows)) if rows[r]]
    notes: list[str] = []
    meta: dict[str, str] = {}
    if not body:
        return "no readings (heading row only)"
    # Only the columns up to the last heading are transposed: one ragged row must not pad every
    # row to its width (rows x widest row cells: 1.6 million rows and one row of 3,006 cells
    # took over 20 GB). Cells right of the last heading are named in a note, not read.
    used = max((j for j, h in enumerate(head) if h is not None), default=-1) + 1
    stray_note = _stray_cells_note(rows, body, used, sheet, ctx)
    if stray_note:
        notes.append(stray_note)
    by_col = list(zip_longest(*(rows[r][:used] for r in body)))  # transpose once (C speed)

    def cells(j: int) -> list[Any]:
        return list(by_col[j]) if j < len(by_col) else [None] * len(body)

    by_cols: dict[str, list[Any]] = {}  # --by columns, kept per reading
    for j in range(used):
        if j in cols.values() or head[j] is None or ((cj := canon[j]) and cj[0] == "ignore"):
            continue
        if ctx.by and stream_key(_s(head[j])) in ctx.by:
            by_cols[stream_key(_s(head[j]))] = _texts(_s(head[j]), cells(j)).to_list()
            continue
        key = metadata_key(head[j])
        distinct = {_s(v) for v in cells(j) if v is not None}
        if key and len(distinct) == 1:
            meta[key] = distinct.pop()
        else:
            notes.append(_unused_column_note(ctx, sheet, j, head[j]))
    _require_part_column(cols, head, sheet, ctx, hdr)
    jf = cols["feature"]
    feat_s = _texts("feature", cells(jf))
    if feat_s.null_count():
        r = body[int(feat_s.is_null().arg_true()[0])]
        raise InputError(f"{ctx.cell(r, jf)}feature name is blank", **ctx.place(sheet, r, jf, head[jf]))
    feat = feat_s.to_list()
    idv = _ids(body, rows, cols, head, sheet, ctx)
    n = len(body)
    lots = idv.get("lot", [None] * n)
    _check_duplicates(list(zip(lots, idv["part_id"], feat)), body, "reading of part/feature",
                      sheet, ctx, jf, head[jf])
    jv = cols["value"]
    go = gonogo.long_readings(cells(jv), feat, lambda i: ctx.place(sheet, body[i], jv, head[jv]),
                              lambda i: ctx.cell(body[i], jv))  # go/no-go characteristics (gonogo)
    vals, miss = _parse_values(go.cells, body, jv, head[jv], ctx, sheet)
    miss = miss & ~go.mask
    frame = pl.DataFrame({"feature": feat, "_i": list(range(n))})
    spec_num: dict[str, pl.Series] = {}
    for f in _NUM_SPEC:
        if f in cols:
            j = cols[f]
            raw = cells(j)
            parsed, _, problems = parse_column(_texts(f, raw))
            if problems:
                i, prob = problems[0]
                raise SpecError(f"{ctx.cell(body[i], j)}specification cell: {prob.reason}",
                                **ctx.place(sheet, body[i], j, head[j]))
            spec_num[f] = parsed
    text_cols: dict[str, pl.Series] = {}
    for f in ("unit", "class", "lower_bound_zero"):
        if f in cols:
            text_cols[f] = _texts(f, cells(cols[f]))
    frame = frame.with_columns(*spec_num.values(), *text_cols.values())
    specs, lim_notes = specs_per_feature(
        frame, list(spec_num) + list(text_cols),
        lambda f, i: ctx.place(sheet, body[i], cols.get(f, jf), head[cols.get(f, jf)]),
        lambda f: _s(head[cols[f]]),
        (lambda a, b: _source(ctx, sheet, f"rows {body[a] + 1}-{body[b] + 1}"))
        if spec_num or text_cols else None)
    notes += lim_notes
    missing_idx = miss.arg_true().to_list()
    if missing_idx:
        by_feat: dict[str, list[int]] = {}
        for i in missing_idx:
            by_feat.setdefault(feat[i], []).append(body[i] + 1)
        notes += [_missing_note(f, rr, sheet) for f, rr in by_feat.items()]
    m = pl.DataFrame({
        "part_id": idv["part_id"], "lot": lots,
        "subgroup": idv.get("subgroup", [None] * n), "sequence": idv.get("sequence", [None] * n),
        "timestamp": idv.get("timestamp", [None] * n), "feature": feat, "value": vals,
        "_order": body,
    }, schema={"part_id": pl.String, "lot": pl.String, "subgroup": pl.Int64, "sequence": pl.Int64,
               "timestamp": pl.Datetime("us"), "feature": pl.String, "value": pl.Float64,
               "_order": pl.Int64}).with_columns(_stream_frame(idv, n)).with_columns(go.columns())
    meta.update(_constant_streams(idv))
    m = m.with_columns([pl.Series(c, v, dtype=pl.String) for c, v in by_cols.items()])
    details = {"sheet": sheet, "layout": "long", "header_row": hdr + 1,
               "columns": {k: _s(head[v]) for k, v in cols.items()},
               "data_rows": [body[0] + 1, body[-1] + 1], "features": specs.height,
               "headings": [_s(h) for h in head if h is not None],  # what --by may name
               "parts": m.select(pl.struct("lot", "part_id").n_unique()).item()}
    return _SheetData(sheet, "long", m, specs, "lot" in cols, "sequence" in cols, notes, meta, details)


def _read_long_frame(held: _Held, rows: list[list[Any]], hdr: int,
                     canon: list[tuple[str, int] | None], sheet: str | None,
                     ctx: _Ctx) -> _SheetData | str:
    """:func:`_read_long` on the columns of a CSV frame (:func:`pilotqa.read.grids.csv_frame`):
    the same checks, errors, notes and frame, with each column handled as a whole (polars
    expressions); a column holding anything the expressions do not prove ordinary is handled
    cell by cell by the per-cell code of :func:`_read_long`, so its errors are worded and
    located as there. ``rows`` are the frame's first rows (the heading row among them). The frame
    is let go (``held.frame`` None) once every column it needs is taken, before the specs."""
    frame = held.frame
    assert frame is not None
    width = frame.width
    head = rows[hdr] + [None] * (width - len(rows[hdr]))
    used = max((j for j, h in enumerate(head) if h is not None), default=-1) + 1
    if used < width and frame.slice(hdr + 1).select(frame.columns[used:]).select(
            pl.any_horizontal(pl.all().is_not_null()).any()).item():
        # cells right of the last heading: the row reader's handling (and notes) of them apply
        return _read_long(frame_rows(frame), hdr, canon, sheet, ctx)
    canon = canon + [None] * (width - len(canon))
    cols = _pick_columns(head, canon, _LONG_FIELDS, sheet, ctx, hdr)
    tail = frame.slice(hdr + 1)
    if tail.height and min(tail.null_count().row(0)) == 0:  # a column without blanks: every row filled
        filled = pl.repeat(True, tail.height, dtype=pl.Boolean, eager=True)
    else:
        filled = tail.select(pl.any_horizontal(pl.all().is_not_null()).alias("f"))["f"]
    if filled.all():
        body_s = pl.int_range(hdr + 1, frame.height, eager=True, dtype=pl.Int64)
        bf = tail
    else:
        body_s = (filled.arg_true().cast(pl.Int64) + (hdr + 1)).alias("_order")
        bf = tail.filter(filled)
    del tail, filled
    n = len(body_s)
    notes: list[str] = []
    meta: dict[str, str] = {}
    if not n:
        return "no readings (heading row only)"

    contiguous = n == frame.height - hdr - 1  # every line below the heading row is a body row

    def row0(i: int) -> int:
        return hdr + 1 + i if contiguous else int(body_s[i])

    def col(j: int) -> pl.Series:
        return bf.to_series(j)

    by_cols: dict[str, pl.Series] = {}  # --by columns, kept per reading
    for j in range(width):
        if j in cols.values() or head[j] is None or ((cj := canon[j]) and cj[0] == "ignore"):
            continue
        if ctx.by and stream_key(_s(head[j])) in ctx.by:
            by_cols[stream_key(_s(head[j]))] = _strip(col(j))
            continue
        key = metadata_key(head[j])
        distinct = _strip(col(j).drop_nulls()).unique()
        if key and len(distinct) == 1:
            meta[key] = distinct[0]
        else:
            notes.append(_unused_column_note(ctx, sheet, j, head[j]))
    _require_part_column(cols, head, sheet, ctx, hdr)
    jf = cols["feature"]
    feat = _strip(col(jf)).alias("feature")
    if feat.null_count():
        r = row0(int(feat.is_null().arg_true()[0]))
        raise InputError(f"{ctx.cell(r, jf)}feature name is blank", **ctx.place(sheet, r, jf, head[jf]))
    idv = _ids_frame(bf, body_s, cols, head, sheet, ctx)
    lots = idv.get("lot", pl.repeat(None, n, dtype=pl.String, eager=True))
    # keys of the stripped texts (compact for coded columns): duplicates and parts counted on them
    fkey = _text_key(col(jf), feat)
    pkey = pl.DataFrame([_text_key(col(cols["lot"]), lots) if "lot" in cols else lots,
                         _text_key(col(cols["part_id"]), idv["part_id"])], schema=["a", "b"])
    # lot, part (and feature) keys of coded columns packed into one integer (_pack): no repeat
    # there is none in the texts; otherwise (or when they do not pack) the exact search names it
    part_keys = ([pkey["a"]] if "lot" in cols else []) + [pkey["b"]]  # no lot column: lots all null
    parts = _pack(part_keys)
    blocks = None if parts is None or not fkey.dtype.is_unsigned_integer() else _part_blocks(parts, fkey)
    if blocks is None or not blocks[1]:
        packed = _pack(part_keys + [fkey])
        if packed is None or packed.n_unique() < n:
            _first_duplicate(pkey.with_columns(fkey.alias("c")), body_s, "reading of part/feature", sheet,
                             ctx, jf, head[jf], texts=pl.DataFrame([lots.alias("a"), idv["part_id"].alias("b"),
                                                                    feat.alias("c")]))
        del packed
    n_parts = blocks[0] if blocks is not None else pkey.n_unique() if parts is None else parts.n_unique()
    del parts, part_keys
    jv = cols["value"]
    plain = _plain_readings(col(jv), feat if not is_coded(col(jf)) else _strip(distinct_texts(col(jf))))
    go_columns: list[pl.Series] = []  # the go/no-go columns (none when no reading is go/no-go)
    if plain is not None:
        vals, miss = plain
    else:
        go = gonogo.long_readings_frame(col(jv).cast(pl.String), feat,
                                        lambda i: ctx.place(sheet, row0(i), jv, head[jv]),
                                        lambda i: ctx.cell(row0(i), jv))
        vals, miss, problems = parse_column(go.values.alias("value"))
        if problems:
            i, prob = problems[0]
            more = f" ({len(problems) - 1} more such cells in this column)" if len(problems) > 1 else ""
            raise InputError(f"{ctx.cell(row0(i), jv)}{prob.reason}{more}",
                             **ctx.place(sheet, row0(i), jv, head[jv]))
        miss = miss & ~go.mask
        go_columns = go.columns()
        del go
    del plain
    spec_num: dict[str, pl.Series] = {}
    spec_coded: dict[str, pl.Series] = {}  # coded spec columns whose distinct texts all parse
    for f in _NUM_SPEC:
        if f in cols:
            j = cols[f]
            c = col(j).alias(f)
            if is_coded(c) and not parse_column(_strip(distinct_texts(c)))[2]:
                spec_coded[f] = c  # parsed where needed only (every cell's text parses)
                continue
            parsed, problems = _parse_specs(c)
            if problems:
                i, prob = problems[0]
                raise SpecError(f"{ctx.cell(row0(i), j)}specification cell: {prob.reason}",
                                **ctx.place(sheet, row0(i), j, head[j]))
            spec_num[f] = parsed
    num_fields = [f for f in _NUM_SPEC if f in spec_num or f in spec_coded]
    text_cols: list[str] = [f for f in ("unit", "class", "lower_bound_zero") if f in cols]
    text_raw = {f: col(cols[f]) for f in text_cols}
    held.frame = None  # every other column is taken: the rest of the frame goes
    del frame, bf

    def parsed_at(f: str, at: pl.Series | None = None) -> pl.Series:
        """The spec values of field ``f`` (at rows ``at``, else every row)."""
        if f in spec_num:
            return spec_num[f] if at is None else spec_num[f].gather(at)
        c = spec_coded[f] if at is None else spec_coded[f].gather(at)
        return per_distinct(c, lambda t: parse_column(_strip(t))[0])

    if num_fields or text_cols:
        # each feature's first row of each distinct value of each spec column, and its last row,
        # decide everything specs_per_feature computes: its checks, first values, rows, row range
        # (found on keys equal where the stripped texts are: the texts of those rows only are made)
        fields = num_fields + text_cols
        at = _spec_rows(fkey, [spec_coded.get(f) for f in num_fields] + [text_raw[f] for f in text_cols],
                        fields, lambda f, rows: parsed_at(f, rows) if f in num_fields
                        else _strip(text_raw[f].gather(rows)).alias(f))
        if at is None:  # keys that do not pack into one integer: the windows over every row
            keys = pl.DataFrame([fkey.alias("_f"), *(parsed_at(f) for f in num_fields),
                                 *(_text_key(text_raw[f]).alias(f) for f in text_cols)])
            at = keys.with_row_index("_i").filter(
                pl.any_horizontal([pl.col(f).is_first_distinct().over("_f") for f in fields])
                | pl.col("_f").is_last_distinct())["_i"].cast(pl.Int64)
            del keys
        sframe = pl.DataFrame([feat.gather(at), at.alias("_i"), *(parsed_at(f, at) for f in num_fields),
                               *(_strip(text_raw[f].gather(at)).alias(f) for f in text_cols)])
    else:
        sframe = pl.DataFrame([feat, pl.int_range(0, n, eager=True, dtype=pl.Int64).alias("_i")])
    specs, lim_notes = specs_per_feature(
        sframe, num_fields + text_cols,
        lambda f, i: ctx.place(sheet, row0(i), cols.get(f, jf), head[cols.get(f, jf)]),
        lambda f: _s(head[cols[f]]),
        (lambda a, b: _source(ctx, sheet, f"rows {row0(a) + 1}-{row0(b) + 1}"))
        if num_fields or text_cols else None)
    del sframe, spec_num, spec_coded, text_cols, text_raw
    notes += lim_notes
    missing_idx = miss.arg_true()
    if len(missing_idx):
        by_feat: dict[str, list[int]] = {}
        for f, r in zip(feat.gather(missing_idx).to_list(), body_s.gather(missing_idx).to_list()):
            by_feat.setdefault(f, []).append(r + 1)
        notes += [_missing_note(f, rr, sheet) for f, rr in by_feat.items()]

    def opt(name: str, dtype: pl.DataType) -> pl.Series:
        got = idv.get(name)
        return pl.repeat(None, n, dtype=dtype, eager=True) if got is None else got.cast(dtype)

    m = pl.DataFrame([
        idv["part_id"].cast(pl.String).alias("part_id"), lots.cast(pl.String).alias("lot"),
        opt("subgroup", pl.Int64()).alias("subgroup"), opt("sequence", pl.Int64()).alias("sequence"),
        opt("timestamp", pl.Datetime("us")).alias("timestamp"), feat, vals.alias("value"),
        body_s.alias("_order")]).with_columns(
        [idv[c].alias(c) for c in STREAM_COLUMNS if c in idv]).with_columns(go_columns)
    meta.update(_constant_streams_frame(idv))
    m = m.with_columns([v.cast(pl.String).alias(c) for c, v in by_cols.items()])
    details = {"sheet": sheet, "layout": "long", "header_row": hdr + 1,
               "columns": {k: _s(head[v]) for k, v in cols.items()},
               "data_rows": [row0(0) + 1, row0(n - 1) + 1], "features": specs.height,
               "headings": [_s(h) for h in head if h is not None],  # what --by may name
               "parts": n_parts}
    return _SheetData(sheet, "long", m, specs, "lot" in cols, "sequence" in cols, notes, meta, details)


def _plain_readings(c: pl.Series, names: pl.Series) -> tuple[pl.Series, pl.Series] | None:
    """(values, missing) of a long table's value column when every non-blank cell is a finite
    number polars reads and no characteristic's name (among ``names``, the stripped feature
    names) opens the gated go/no-go tokens — else None.

    Then :func:`gonogo.long_readings_frame` finds no go/no-go reading (no cell polars does not
    read as a number, no gated name; its go/no-go columns would be all null, and
    :func:`gonogo.split` drops them unused) and :func:`~pilotqa.read.cells.parse_column` takes
    every cell from polars' cast of its stripped text — which is the cell itself: polars reads
    no number with blanks at its ends (every character ``str.strip_chars`` removes fails the
    cast), so a cell that casts has none. The cast is made here once (for a coded column, once
    per distinct text, :func:`~pilotqa.read.grids.per_distinct`)."""
    num = per_distinct(c, lambda t: t.cast(pl.String).cast(pl.Float64, strict=False))
    if num.null_count() != c.null_count() or not num.is_finite().all():
        return None
    if any(gonogo.heading_says_gonogo(f) for f in names.unique(maintain_order=True).to_list()):
        return None
    return num.alias("value"), c.is_null().alias("missing")


def _pack(keys: list[pl.Series]) -> pl.Series | None:
    """One UInt64 per row, equal for two rows exactly when each of ``keys`` is (null equal to
    null): the keys' unsigned integer codes as the digits of a mixed-radix number (each key's
    radix its largest code + 2, the top digit standing for null). None when a key is not of an
    unsigned integer type or the product of the radices reaches 2^63."""
    radix: list[int] = []
    total = 1
    for k in keys:
        if not k.dtype.is_unsigned_integer():
            return None
        top = k.max()
        radix.append(int(top) + 2 if top is not None else 1)  # type: ignore[arg-type]
        total *= radix[-1]
    if total >= 2**63:
        return None
    e = pl.lit(0, dtype=pl.UInt64)
    for i, r in enumerate(radix):
        e = e * r + pl.col(f"k{i}").cast(pl.UInt64).fill_null(r - 1)
    return pl.DataFrame([k.alias(f"k{i}") for i, k in enumerate(keys)]).select(e.alias("k"))["k"]


def _part_blocks(parts: pl.Series, fkey: pl.Series) -> tuple[int, bool] | None:
    """(number of parts, whether no part has a feature twice) when the rows come in blocks of
    equal length, one block per part (part-major order, as instruments write them), else None.

    ``parts`` and ``fkey`` are integer keys equal exactly where the (lot, part) and the feature
    texts are (:func:`_pack`, :func:`_text_key`). The second answer is True when every block
    lists the first block's features in its order and those are distinct (shown at once), False
    when that is not shown (the general check then decides)."""
    n = len(parts)
    runs = parts.rle_id()
    k = int(runs[-1]) + 1
    f = n // k
    if f * k != n:
        return None
    r, starts = runs.to_numpy(), np.arange(k) * f
    # run i holds row i*f and run i-1 the row before it: every run is rows i*f … (i+1)*f-1
    if not ((r[starts] == np.arange(k)).all() and (r[starts[1:] - 1] == np.arange(k - 1)).all()):
        return None  # blocks of unequal length
    if parts.gather(starts).n_unique() != k:
        return None  # a part in two blocks
    h = fkey.to_numpy().reshape(k, f)
    return k, bool((h == h[0]).all() and len(np.unique(h[0])) == f)


def _spec_rows(fkey: pl.Series, raw: list[pl.Series | None], fields: list[str],
               values: Callable[[str, pl.Series], pl.Series]) -> pl.Series | None:
    """The rows (0-based, ascending, Int64) that decide :func:`specs_per_feature` — for each spec
    field the first row of each distinct value within a feature, and each feature's last row —
    or None when the keys are not all codes that pack into one integer (:func:`_pack`).

    ``raw`` are the spec columns' cells (Categorical), ``values(field, rows)`` a field's values
    at rows (parsed numbers, stripped texts). The rows are looked for among the first rows of
    each distinct combination of feature and raw spec cells only: a row that is the first of its
    feature with some field's value is the first of its whole combination (no earlier row of the
    feature has that value; equal raw texts have equal values), so the first rows of each value
    within a feature are the same among those rows as among all."""
    if any(c is None or not is_coded(c) for c in raw):
        return None
    packed = _pack([fkey, *(c.to_physical() for c in raw if c is not None)])
    if packed is None:
        return None
    first = packed.is_first_distinct().arg_true().cast(pl.Int64)
    del packed
    sub = pl.DataFrame([fkey.gather(first).alias("_f"), *(values(f, first).alias(f) for f in fields)])
    picked = first.filter(sub.select(pl.any_horizontal(
        [pl.col(f).is_first_distinct().over("_f") for f in fields]).alias("x"))["x"])
    last = fkey.is_last_distinct().arg_true().cast(pl.Int64)
    return pl.concat([picked, last]).unique().sort()


def _strip(c: pl.Series) -> pl.Series:
    """``c.str.strip_chars()``, without a copy when no cell starts or ends with whitespace; a
    Categorical column of :func:`~pilotqa.read.grids.csv_frame` is stripped through its
    distinct texts (:func:`~pilotqa.read.grids.per_distinct`), giving String."""
    if is_coded(c):
        return per_distinct(c, _strip)
    return c.str.strip_chars() if c.str.contains(r"^\s|\s$").any() else c


def _text_key(c: pl.Series, stripped: pl.Series | None = None) -> pl.Series:
    """A key of each cell's stripped text (two cells' keys are equal exactly when their stripped
    texts are): for a Categorical column its codes when no distinct text has blanks at its ends,
    else the dense rank of its distinct stripped texts (UInt32); else the stripped text itself
    (``stripped`` when already made)."""
    if is_coded(c):
        if not distinct_texts(c).str.contains(r"^\s|\s$").any():
            return c.to_physical()  # the texts are stripped: equal codes are equal texts
        return per_distinct(c, lambda u: _strip(u).rank("dense"))
    return _strip(c) if stripped is None else stripped


def _parse_specs(c: pl.Series) -> tuple[pl.Series, list[tuple[int, Any]]]:
    """``parse_column`` of the stripped cells of a specification column (values, problems); a
    Categorical column is parsed through its distinct texts (each cell's value depends on its
    text alone), and again cell by cell only when one is refused, so that the problem named is
    the first in row order."""
    if is_coded(c):
        u = _strip(c.unique(maintain_order=True).drop_nulls())
        _, _, problems = parse_column(u)
        if not problems:
            return per_distinct(c, lambda t: parse_column(_strip(t))[0]), []
    parsed, _, problems = parse_column(_strip(c))
    return parsed, problems


def _repeats(h: pl.Series) -> bool:
    """Does a UInt64 series hold a value twice (sorted neighbours equal)?"""
    hs = h.sort()
    return bool((hs.slice(1) == hs.slice(0, max(len(hs) - 1, 0))).any())


def _first_duplicate(keys: pl.DataFrame, body_s: pl.Series, what: str, sheet: str | None,
                     ctx: _Ctx, col: int | None, head: Any, texts: pl.DataFrame | None = None) -> None:
    """:func:`_check_duplicates` over key columns: the first row whose key appeared before
    (named by its ``texts``, when the keys stand for them: equal exactly where the texts are)."""
    # rows sharing a hash first (cheap); the exact comparison only among them
    h = keys.select(pl.struct(pl.all()).hash().alias("h"))["h"]
    if not _repeats(h):
        return
    same_hash = h.is_duplicated()
    del h
    sub = keys.with_row_index("_k").filter(same_hash)
    again = sub.select(pl.struct(keys.columns).is_first_distinct().not_().alias("d"))["d"].arg_true()
    if not len(again):
        return
    i2 = int(sub["_k"][int(again[0])])
    k = keys.row(i2)
    hit = sub.filter(
        pl.all_horizontal([pl.col(c).eq_missing(pl.lit(v, dtype=keys.schema[c]))
                           for c, v in zip(keys.columns, k)]))["_k"]
    i1 = int(hit[0])
    r1, r2 = int(body_s[i1]), int(body_s[i2])
    k = k if texts is None else texts.row(i2)
    raise InputError(f"{what} {', '.join(str(x) for x in k if x is not None)} appears twice "
                     f"(rows {r1 + 1} and {r2 + 1})",
                     **ctx.place(sheet, r2, col if col is not None else 0, head))


_WHOLE = r"^[+-]?[0-9]+$"


def _whole(c: pl.Series) -> pl.Series:
    """Int64 of each stripped cell that is a whole number (:data:`_WHOLE`) within Int64, else null."""
    return pl.DataFrame([_strip(c).alias("t")]).select(
        pl.when(pl.col("t").str.contains(_WHOLE)).then(pl.col("t").cast(pl.Int64, strict=False)))["t"]


def _ids_frame(bf: pl.DataFrame, body_s: pl.Series, cols: dict[str, int], head: list[Any],
               sheet: str | None, ctx: _Ctx) -> dict[str, pl.Series]:
    """:func:`_ids` on the String columns of a CSV frame: part_id, lot (stripped text),
    subgroup, sequence (whole numbers), timestamp, stream columns. A column with a cell the
    expressions do not accept goes through the per-cell code (its error, its place)."""
    out: dict[str, pl.Series] = {}

    def rows0() -> list[int]:
        return body_s.to_list()

    for name in ("part_id", "lot"):
        if name in cols:
            j = cols[name]
            c = bf.to_series(j)
            if c.null_count():
                r = int(body_s[int(c.is_null().arg_true()[0])])
                what = "part id" if name == "part_id" else "lot"
                raise InputError(f"{ctx.cell(r, j)}{what} is blank", **ctx.place(sheet, r, j, head[j]))
            out[name] = _strip(c).alias(name)
    for name in ("subgroup", "sequence"):
        if name in cols:
            j = cols[name]
            c = bf.to_series(j)
            got = per_distinct(c, _whole)
            if c.null_count() or got.null_count():
                got = pl.Series(name, [_int_cell(v, name, ctx, sheet, r, j, head[j])
                                       for r, v in zip(rows0(), c.to_list())], dtype=pl.Int64)
            out[name] = got.alias(name)
    j_ts = cols.get("timestamp", cols.get("date", cols.get("time")))
    if j_ts is not None:
        c = bf.to_series(j_ts)
        uniq = distinct_texts(c) if is_coded(c) else c.drop_nulls().unique(maintain_order=True)
        parsed = [parse_datetime(v.strip()) for v in uniq.to_list()]
        if any(x is None for x in parsed):  # the first bad cell in row order, as _ts_cell words it
            cache: dict[Any, datetime | None] = {}
            for r, v in zip(rows0(), c.to_list()):
                _ts_cell(v, cache, ctx, sheet, r, j_ts, head[j_ts])
        if is_coded(c):
            ts = per_distinct(c, lambda u: u.replace_strict(uniq, pl.Series(parsed, dtype=pl.Datetime("us")),
                                                            return_dtype=pl.Datetime("us")))
        else:
            ts = c.replace_strict(uniq, pl.Series(parsed, dtype=pl.Datetime("us")), default=None,
                                  return_dtype=pl.Datetime("us"))
        if "timestamp" not in cols and "date" in cols and "time" in cols:
            j = cols["time"]
            ts = pl.Series("timestamp", [_with_time(d, v, ctx, sheet, r, j, head[j]) for d, r, v in
                                         zip(ts.to_list(), rows0(), bf.to_series(j).to_list())],
                           dtype=pl.Datetime("us"))
        out["timestamp"] = ts.alias("timestamp")
    for name in STREAM_COLUMNS:
        if name in cols:
            out[name] = _strip(bf.to_series(cols[name])).alias(name)
    return out


def _constant_streams_frame(idv: dict[str, pl.Series]) -> dict[str, str]:
    """:func:`_constant_streams` of :func:`_ids_frame` columns."""
    out: dict[str, str] = {}
    for c in STREAM_COLUMNS:
        if c in idv:
            vals = idv[c].drop_nulls().unique()
            if len(vals) == 1:
                out[c] = vals[0]
    return out


# ---------------------------------------------------------------------------------------------
# file level
# ---------------------------------------------------------------------------------------------

#: Other spellings of canonical names accepted by ``--map`` (shared with the charrows reader).
MAP_ALIASES: dict[str, str] = {
    "+tol": "tol_plus", "upper_tol": "tol_plus", "plus_tol": "tol_plus", "-tol": "tol_minus",
    "lower_tol": "tol_minus", "minus_tol": "tol_minus", "pm_tol": "tol", "characteristic": "feature",
    "balloon": "feature", "name": "feature", "serial": "part_id",
}


def _column_map(opts: "ReadOptions", file: str) -> dict[str, str]:
    out: dict[str, str] = {}
    allowed = CANONICAL_NAMES + ("ignore",)
    for src, dst in (opts.column_map or {}).items():
        d = str(dst).strip().lower()
        d = MAP_ALIASES.get(d, d)
        if d not in allowed:
            raise InputError(f"--map {src}={dst}: unknown canonical name '{dst}'; use one of: "
                             + ", ".join(allowed), file=file)
        out[norm_heading(src)] = d
    return out


def _grids(path: Path, xlsx: bool, opts: "ReadOptions") -> list[tuple[str | None, list[list[Any]],
                                                                         _Held | None]]:
    """(sheet, rows, frame) of each sheet: a CSV longer than :data:`_HEAD_ROWS` rows that polars
    reads exactly (:func:`~pilotqa.read.grids.csv_frame`) comes as its head rows plus the frame."""
    if not xlsx:
        frame = csv_frame(path)
        if frame is not None and frame.height > _HEAD_ROWS:
            return [(None, frame_rows(frame.head(_HEAD_ROWS)), _Held(frame))]
    return [(s, r, None) for s, r in read_grids(path, opts.sheet if xlsx else None)]


def read_path(path: Path, opts: "ReadOptions") -> Inspection:
    """Read one CSV, XLSX or XLS file (every sheet, or ``opts.sheet``) into an Inspection.

    Lots never stay null: lot column, else sheet name (per-lot sheets), else the file stem. The
    file's SHA-256 is computed on a second thread while it is read (hashlib and polars release
    the GIL; the same digest, sooner), or after it on one thread (:func:`pilotqa.threads.concurrent`)."""
    path = Path(path)
    with concurrent() as run:  # on one thread (PILOTQA_THREADS=1) the digest is taken when asked for
        return _read_path(path, opts, run(sha256_file, path))


def _read_path(path: Path, opts: "ReadOptions", digest: "Future[str]") -> Inspection:
    """:func:`read_path`, with the file's SHA-256 to come from ``digest``."""
    file = str(path)
    xlsx = is_workbook(path)
    ctx = _Ctx(file, xlsx, _column_map(opts, file))
    ctx.by = frozenset(stream_key(b) for b in getattr(opts, "by", ()))
    notes: list[str] = []
    if not xlsx and opts.sheet is not None:
        notes.append(f"{path.name}: --sheet {opts.sheet} does not apply to a CSV file")
    grids = _grids(path, xlsx, opts)
    results: list[_SheetData] = []
    skipped: list[str] = []
    metadata: dict[str, str] = {}
    for k, (sheet, rows, frame) in enumerate(grids):
        got = _read_sheet(rows, sheet, ctx, opts, frame)
        grids[k] = (sheet, rows, None)  # a CSV frame is read: let it go before the file-level steps
        del frame
        if isinstance(got, str) or got.layout == "metadata" or got.measurements.height == 0:
            why = got if isinstance(got, str) else "header block only" if got.layout == "metadata" \
                else "no readings"
            if not isinstance(got, str):
                metadata.update(got.metadata)
            skipped.append(f"sheet '{sheet}': {why}" if sheet is not None else why)
            continue
        results.append(got)
    missing_map = [src for src in ctx.cmap if src not in ctx.seen]
    if missing_map:
        src = next(k for k in opts.column_map if norm_heading(k) == missing_map[0])
        raise InputError(f"--map {src}={opts.column_map[src]}: no column or row label '{src}' in "
                         "this file", file=file)
    if not results:
        if len(grids) == 1 and skipped and skipped[0].endswith("empty"):
            raise InputError("the file holds no data (empty sheet)" if xlsx else "the file is empty",
                             file=file)
        raise InputError("no readings found (" + "; ".join(skipped) + f"); {HINT}", file=file)
    if skipped:
        notes.append(f"{path.name}: skipped " + "; ".join(skipped))
    # lots
    several = len(results) > 1
    same_feats = len({frozenset(r.specs["feature"].to_list()) for r in results}) == 1
    frames = []
    for r in results:
        m = r.measurements
        if not r.has_lot:
            lot = r.sheet if r.sheet is not None and (
                _LOT_NAME_RE.search(r.sheet) or (several and same_feats)) else path.stem
            m = m.with_columns(pl.col("lot").fill_null(pl.lit(lot)))
            if several and lot == r.sheet:
                notes.append(f"{path.name}: sheet '{r.sheet}' read as lot '{lot}'")
        frames.append(m)
    # sequence: from a column, else order of first appearance of each part across the sheets
    seq_max = 0
    seen: dict[tuple[str, str], int] = {}
    done = []
    for r, m in zip(results, frames):
        if r.has_sequence:
            seq_max = max(seq_max, int(m["sequence"].max() or 0))  # type: ignore[arg-type]
        else:
            first = m.group_by("lot", "part_id").agg(pl.col("_order").min()).sort("_order")
            for lot, pid, _ in first.iter_rows():
                if (lot, pid) not in seen:
                    seq_max += 1
                    seen[(lot, pid)] = seq_max
            keys = pl.DataFrame([{"lot": k[0], "part_id": k[1], "_seq": v} for k, v in seen.items()],
                                schema={"lot": pl.String, "part_id": pl.String, "_seq": pl.Int64})
            m = m.join(keys, on=["lot", "part_id"], how="left").with_columns(
                pl.col("_seq").alias("sequence")).drop("_seq")
        done.append(m.drop("_order"))
    layouts = {r.layout for r in results}
    metadata = merge_metadata([metadata] + [r.metadata for r in results])
    for r in results:
        notes.extend(r.notes)
    # go/no-go rows leave the measurements for Inspection.attribute_readings (pilotqa.read.gonogo)
    meas, specs, go_readings, go_notes = gonogo.split(pl.concat(done, how="diagonal_relaxed"),
                                                      merge_sheet_specs([r.specs for r in results], file))
    notes += go_notes
    return Inspection(
        measurements=meas,
        specs=specs,
        attribute_readings=go_readings,
        layout=layouts.pop() if len(layouts) == 1 else "mixed",
        files=[SourceFile(file, digest.result(), FORMAT)],
        metadata=metadata,
        notes=notes,
        streams=tuple(c for c in sorted(ctx.by) if any(c in d.columns for d in done)),
        details={"file": file, "format": FORMAT, "sheets": [r.details for r in results],
                 "skipped": skipped},
    )
