"""ZEISS CALYPSO table files: ``<plan>_chr.txt`` (characteristics) with ``<plan>_hdr.txt``.

``_chr.txt`` layout (source: ``EricRosenfeld1/CalypsoAPI:CalypsoAPI.Test/files/test_chr.txt`` as
described in ``shared/reference/inspection-formats.md`` §c; the file itself is not
redistributable): tab-separated, one header row, one row per characteristic; columns
``planid, partnb, id, type, idsymbol, actual, nominal, uppertol, lowertol, deviation, exceed,
… natuppertolid, natlowertolid, decimalplaces …`` (the header ends with a trailing tab).
Readings: ``actual``; limits: ``nominal + lowertol`` / ``nominal + uppertol`` (tolerances are
relative to nominal); ``natlowertolid`` / ``natuppertolid`` = 2 marks a natural boundary (1 = an
ordinary limit — inferred from one file); ``idsymbol`` is the language-neutral type key —
``gdt…`` symbols (``gdtFlat``, ``gdtRound``, position, runout, profile …) are GD&T
characteristics: one-sided, bounded at 0. No unit column exists: units stay empty. The table
may end with a line holding only ``END`` (the real file does); ``partnb`` is the measured part's
number (the real file: ``10``) and ``planid`` the measurement plan's name (metadata ``plan``).
Part id: ``partnbinc`` of the header table, else the row's ``partnb``, else the header's
``partnb``, else the file name; rows of several parts in one table are read as several parts.

``_hdr.txt``: no public example was found, so it is read defensively — either a header row plus
one value row (tab-separated like ``_chr.txt``) or ``key<TAB>value`` lines. Keys used (case
-insensitive): ``partnbinc`` / ``partnb`` (part id), ``date`` + ``time`` (timestamp),
``lot``/``batch``/``charge``, else ``order`` (lot), ``operator``, ``planid``; everything else is
kept in ``details``. One ``_chr.txt`` is one measured part; a folder of them forms the inspection.
A ``_fet.txt`` feature table beside it is recognised and not used.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pilotqa.errors import InputError
from pilotqa.model import MEASUREMENT_SCHEMA, SPEC_SCHEMA, Inspection, SourceFile, sha256_file
from pilotqa.read.aqdef import decode_text
from pilotqa.read import dates
from pilotqa.read.cells import CellProblem, Missing, parse_cell
from pilotqa.read.limits import limit_from_tolerance

if TYPE_CHECKING:
    from pilotqa.read import ReadOptions

__all__ = ["FORMAT", "sniff", "is_companion", "read_path", "GDT_SYMBOLS", "read_header"]

FORMAT = "calypso"

#: idsymbol values (lower case, besides any ``gdt…`` symbol) treated as one-sided GD&T
GDT_SYMBOLS = frozenset({"position", "truePosition".lower(), "flatness", "roundness",
                         "straightness", "cylindricity", "runout", "totalrunout", "profile",
                         "lineprofile", "surfaceprofile", "parallelism", "perpendicularity",
                         "angularity", "concentricity", "coaxiality", "symmetry"})
_REQUIRED = ("id", "actual", "nominal")
_LOT_KEYS = ("lot", "batch", "charge", "u_lot", "u_batch")
_DATE_ORDER = ("iso", "dmy_dot", "mdy_slash", "dmy_slash", "ymd_slash")  # pilotqa.read.dates


def _stem_base(path: Path) -> str | None:
    m = re.match(r"^(.*)_(chr|hdr|fet)$", path.stem, re.IGNORECASE)
    return m.group(1) if m else None


def _partner(path: Path, kind: str) -> Path | None:
    base = _stem_base(path)
    if base is None:
        return None
    for cand in path.parent.iterdir():
        if cand.is_file() and cand.suffix.lower() == path.suffix.lower() and \
                cand.stem.lower() == f"{base}_{kind}".lower():
            return cand
    return None


def _first_line(head: bytes) -> list[str]:
    line = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("latin-1").rstrip("\r")
    return [c.strip().lower() for c in line.split("\t")]


def sniff(path: Path, head: bytes) -> bool:
    """A ``_chr.txt`` table (tab-separated header with ``id``, ``actual``, ``nominal`` and
    ``idsymbol``/``uppertol``) or an orphan ``_hdr.txt`` (reported as an error when read)."""
    cols = set(_first_line(head))
    if set(_REQUIRED) <= cols and ({"idsymbol", "uppertol", "planid"} & cols):
        return True
    kind = path.stem.lower().rsplit("_", 1)[-1]
    return kind == "hdr" and path.suffix.lower() == ".txt" and b"\t" in head


def is_companion(path: Path, head: bytes) -> bool:
    """``_hdr.txt`` / ``_fet.txt`` beside their ``_chr.txt`` are read with it."""
    kind = path.stem.lower().rsplit("_", 1)[-1]
    return kind in ("hdr", "fet") and _partner(path, "chr") is not None


def read_header(path: Path) -> dict[str, str]:
    """Header table -> ``{lower-case key: value}`` (header row + value row, or key/value lines)."""
    text, _, _ = decode_text(path.read_bytes(), str(path))
    rows = [ln.rstrip("\r").split("\t") for ln in text.splitlines() if ln.strip()]
    if not rows:
        return {}
    if len(rows) >= 2 and len([c for c in rows[0] if c.strip()]) > 2:
        if len(rows) > 2:
            raise InputError(f"header table has {len(rows) - 1} value rows; one part per file "
                             "expected", file=str(path), line=3)
        keys = [c.strip().lower() for c in rows[0]]
        return {k: v.strip() for k, v in zip(keys, rows[1]) if k}
    out: dict[str, str] = {}
    for i, r in enumerate(rows, start=1):
        if len(r) < 2:
            raise InputError("expected 'key<TAB>value'", file=str(path), line=i)
        out[r[0].strip().lower()] = r[1].strip()
    return out


def _timestamp(hdr: dict[str, str], file: str, notes: list[str]) -> datetime | None:
    date, time = hdr.get("date", ""), hdr.get("time", "")
    if not date:
        return None
    if " " in date and not time:
        date, time = date.split(" ", 1)
    got = dates.parse_date(date, _DATE_ORDER)
    if got is not None:
        if got[1] == "mdy_slash" and got[0].day <= 12:
            notes.append("CALYPSO: header dates with '/' read as month/day/year")
        ts = dates.combine_date_time(date, time, _DATE_ORDER)
        if ts is not None:
            return ts
    raise InputError(f"header date/time '{date} {time}' not recognised", file=file)


def _is_gdt(symbol: str) -> bool:
    s = symbol.strip().lower()
    return s.startswith("gdt") or s in GDT_SYMBOLS


def read_path(path: Path, opts: "ReadOptions") -> Inspection:
    """Read one ``_chr.txt`` (with its ``_hdr.txt`` when present) = one measured part."""
    path = Path(path)
    file = str(path)
    if path.stem.lower().endswith("_hdr"):
        raise InputError("a CALYPSO header table without its _chr.txt characteristics table",
                         file=file)
    text, enc, notes = decode_text(path.read_bytes(), file)
    lines = text.splitlines()
    if not lines:
        raise InputError("the file is empty", file=file)
    header = [c.strip() for c in lines[0].rstrip("\r").split("\t")]
    low = [c.lower() for c in header]
    missing_cols = [c for c in _REQUIRED if c not in low]
    if missing_cols:
        raise InputError(f"CALYPSO table lacks column(s) {missing_cols}", file=file, line=1)
    col = {c: i for i, c in reversed(list(enumerate(low))) if c}
    hdr_path = _partner(path, "hdr")
    hdr = read_header(hdr_path) if hdr_path else {}
    ts = _timestamp(hdr, str(hdr_path), notes) if hdr_path else None
    file_part = hdr.get("partnbinc") or None
    fallback_part = hdr.get("partnb") or _stem_base(path) or path.stem
    lot = next((hdr[k] for k in _LOT_KEYS if hdr.get(k)), None)
    if lot is None and hdr.get("order"):
        lot = hdr["order"]
        notes.append("CALYPSO: lot taken from the header field 'order'")
    if lot is None:
        lot = path.parent.name or None
        notes.append("CALYPSO: no lot in the header; lot = the folder name")
    if hdr_path is None:
        notes.append("CALYPSO: no _hdr.txt beside the _chr.txt; part id from the partnb column "
                     "(else the file name), no timestamp")

    def cell(cells: list[str], name: str) -> str:
        i = col.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def num(cells: list[str], name: str, lineno: int) -> float | None:
        r = parse_cell(cell(cells, name))
        if isinstance(r, Missing):
            return None
        if isinstance(r, CellProblem):
            raise InputError(r.reason, file=file, line=lineno, column=name)
        return r

    meas: list[dict[str, Any]] = []
    specs: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    spec_of: dict[str, dict[str, Any]] = {}
    parts: dict[str, int] = {}  # part id -> sequence (order of first appearance)
    plans: list[str] = []
    empty = 0
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.rstrip("\r").split("\t")
        if [c.strip() for c in cells if c.strip()] == ["END"]:
            rest = [i for i, ln in enumerate(lines[lineno:], start=lineno + 1) if ln.strip()]
            if rest:
                raise InputError(f"text after the closing END line (line {rest[0]})", file=file,
                                 line=rest[0])
            notes.append(f"CALYPSO: the table ends with an END line (line {lineno})")
            break
        name = cell(cells, "id")
        if not name:
            raise InputError("characteristic row without id", file=file, line=lineno, column="id")
        part_id = file_part or cell(cells, "partnb") or fallback_part
        if (part_id, name) in seen:
            raise InputError(f"characteristic '{name}' appears twice (line {seen[(part_id, name)]})",
                             file=file, line=lineno, column="id")
        seen[(part_id, name)] = lineno
        seq = parts.setdefault(part_id, len(parts) + 1)
        plan = cell(cells, "planid")
        if plan and plan not in plans:
            plans.append(plan)
        actual = num(cells, "actual", lineno)
        empty += actual is None
        nominal = num(cells, "nominal", lineno)
        up, lo = num(cells, "uppertol", lineno), num(cells, "lowertol", lineno)
        usl, lsl = limit_from_tolerance(nominal, up), limit_from_tolerance(nominal, lo)
        nat_lo, nat_up = cell(cells, "natlowertolid"), cell(cells, "natuppertolid")
        symbol = cell(cells, "idsymbol")
        lbz = False
        how = "nominal + uppertol/lowertol"
        if _is_gdt(symbol):
            lbz, lsl = True, None
            how += f"; GD&T '{symbol}': one-sided, bounded at 0"
        elif nat_lo == "2":
            lbz = lsl == 0.0 or lsl is None
            lsl = None
            how += "; natlowertolid 2: lower value is a natural boundary"
        if nat_up == "2":
            usl = None
            how += "; natuppertolid 2: upper value is a natural boundary"
        spec = {"feature": name, "nominal": nominal, "lsl": lsl, "usl": usl, "unit": None,
                "class": None, "lower_bound_zero": lbz, "source": f"{path.name} ({how})"}
        known = spec_of.get(name)
        if known is None:
            spec_of[name] = spec
            specs.append(spec)
        elif (known["nominal"], known["lsl"], known["usl"]) != (nominal, lsl, usl):
            raise InputError(f"characteristic '{name}' has other limits than on line "
                             f"{seen[next(k for k in seen if k[1] == name)]}", file=file,
                             line=lineno, column="nominal")
        meas.append({"part_id": part_id, "lot": lot, "subgroup": None, "sequence": seq,
                     "timestamp": ts, "feature": name, "value": actual})
    if not meas:
        raise InputError("the CALYPSO table holds no characteristic rows", file=file)
    if empty:
        notes.append(f"{empty} empty 'actual' cell(s) counted as not measured")
    fet = _partner(path, "fet")
    meta = {k: v for k, v in {"part_number": hdr.get("partnb") if hdr.get("partnbinc") else None,
                              "plan": hdr.get("planid") or " / ".join(plans) or None,
                              "operator": hdr.get("operator"), "order": hdr.get("order")}.items()
            if v}
    return Inspection(
        measurements=pl.DataFrame(meas, schema=MEASUREMENT_SCHEMA),
        specs=pl.DataFrame(specs, schema=SPEC_SCHEMA),
        layout="calypso",
        files=[SourceFile(str(p), sha256_file(p), FORMAT) for p in (path, hdr_path) if p],
        metadata=meta, notes=notes,
        details={"format": FORMAT, "encoding": enc, "characteristics": len(specs),
                 "header_file": str(hdr_path) if hdr_path else None,
                 "header_fields": hdr, "feature_table": str(fet) if fet else None,
                 "feature_table_used": False,
                 "unused_columns": [c for c in header if c and c.lower() not in
                                    {"id", "actual", "nominal", "uppertol", "lowertol", "idsymbol",
                                     "natlowertolid", "natuppertolid", "planid", "partnb"}],
                 "assumptions": ["natlowertolid/natuppertolid 2 = natural boundary (one file)",
                                 "idsymbol gdt* = one-sided GD&T, bounded at 0",
                                 "no unit column: unit left empty"]},
    )
