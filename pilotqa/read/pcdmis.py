"""Hexagon PC-DMIS report exports: the legacy text report and a CSV export of the same table.

No redistributable real PC-DMIS export was found (see ``shared/reference/inspection-formats.md``
§b); the layout below follows that sheet's description of the legacy dimension report:

* a run header — ``PART NAME : …``, ``REV NUMBER : …``, ``SER NUMBER : …``,
  ``STATS COUNT : …``, ``DATE=… TIME=…`` (or ``DATE: … TIME: …``); a new ``PART NAME`` line after
  dimensions starts the next run (= next part) when several runs are concatenated;
* one block per dimension: ``DIM <name>= <LOCATION|TRUE POSITION|FLATNESS …> OF <type>
  <feature>  UNITS=MM|IN``, a header line (``AX NOMINAL +TOL -TOL [BONUS] MEAS DEV OUTTOL``, the
  column order varies — it is taken from the header), one line per axis (X, Y, Z, D, DF, TP, M,
  T …), optionally ``END OF DIMENSION <name>``;
* the CSV export: the same columns with a feature / dimension name column, one row per axis,
  ``PART NAME``/``SER NUMBER``/``DATE``/``TIME`` either as columns or as ``key,value`` rows above
  the header row.

Readings: ``MEAS``. Specs: ``nominal + (+TOL)`` and ``nominal − |−TOL|`` (``−TOL`` is read as a
magnitude below nominal, the usual PC-DMIS display); a GD&T dimension (true position, form,
orientation, runout, profile) or a ``TP`` axis is one-sided: nominal 0, USL = tolerance, bounded
at 0. An axis line without a tolerance (the X/Y lines of a true-position block) is a reported
coordinate, not a characteristic: it is counted in ``details`` and not read. ``OUTTOL`` is compared
with the limits and disagreements are noted (a sign-convention check).
Features are named ``FEATURE.AXIS`` (``CIR1.D``, ``HOLE3.TP``); a dimension without a feature
(distances, angles) uses the dimension name.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pilotqa.errors import InputError
from pilotqa.model import MEASUREMENT_SCHEMA, SPEC_SCHEMA, Inspection, SourceFile, sha256_file
from pilotqa.read.aqdef import decode_text
from pilotqa.read.cells import CellProblem, Missing, parse_cell
from pilotqa.read.grids import MAX_CELL_CHARS, _field_limit, csv_refusal
from pilotqa.read.dates import combine_date_time
from pilotqa.read.limits import limit_from_tolerance

if TYPE_CHECKING:
    from pilotqa.read import ReadOptions

__all__ = ["FORMAT", "sniff", "read_path", "GDT_WORDS", "parse_date_time"]

FORMAT = "pcdmis"

#: words in a dimension's description that make it a one-sided GD&T characteristic
GDT_WORDS = ("TRUE POSITION", "POSITION", "FLATNESS", "ROUNDNESS", "CIRCULARITY", "STRAIGHTNESS",
             "CYLINDRICITY", "PERPENDICULARITY", "PARALLELISM", "ANGULARITY", "RUNOUT",
             "PROFILE", "CONCENTRICITY", "COAXIALITY", "SYMMETRY")
_DIM_RE = re.compile(r"^\s*DIM\s+([^=\s]+)\s*=\s*(.*?)\s*(?:UNITS\s*=\s*(\w+))?\s*(?:,\$)?\s*$",
                     re.IGNORECASE)
_HEADER_WORDS = {"AX", "NOMINAL", "+TOL", "-TOL", "MEAS", "DEV", "OUTTOL", "BONUS", "TOL",
                 "DEVANG", "MAX", "MIN"}
_RUN_KEYS = {"PART NAME": "part_name", "REV NUMBER": "revision", "SER NUMBER": "serial",
             "SERIAL NUMBER": "serial", "STATS COUNT": "stats_count"}
_KV_RE = re.compile(r"(PART NAME|REV NUMBER|SER NUMBER|SERIAL NUMBER|STATS COUNT|DATE|TIME)\s*[:=]\s*"
                    r"(.*?)(?=\s{2,}(?:PART NAME|REV NUMBER|SER NUMBER|SERIAL NUMBER|STATS COUNT|"
                    r"DATE|TIME)\s*[:=]|$)", re.IGNORECASE)
_MODIFIERS = {"MMC", "LMC", "RFS"}
_BLANKS_RE = re.compile(r"\s{3,}")
#: Longest line of a text report (longer lines are refused: no report line comes near it).
MAX_LINE_CHARS = 4096
_GRAPH_RE = re.compile(r"^[-#<>+|]+$")
_CSV_SYNONYMS = {
    "feature": ("feature", "feat", "feature name"),
    "dimension": ("dimension", "dim", "dim name", "dimension name", "name"),
    "axis": ("ax", "axis", "control"),
    "nominal": ("nominal", "nom"),
    "ptol": ("+tol", "plus tol", "upper tol", "+tolerance"),
    "mtol": ("-tol", "minus tol", "lower tol", "-tolerance"),
    "tol": ("tol", "tolerance"),
    "meas": ("meas", "measured", "actual"),
    "dev": ("dev", "deviation"),
    "outtol": ("outtol", "out tol", "out of tol"),
    "part_name": ("part name",),
    "serial": ("ser number", "serial number", "serial", "ser no"),
    "date": ("date",),
    "time": ("time",),
    "dimtype": ("type", "dimension type"),
    "units": ("units", "unit"),
}


def sniff(path: Path, head: bytes) -> bool:
    """Text report: a ``DIM name=`` line and an ``AX … MEAS`` header; CSV: a header row with
    ``AX``/axis, ``+TOL``, ``-TOL`` and ``MEAS``."""
    text = head.decode("latin-1", errors="replace")
    upper = text.upper()
    if re.search(r"^\s*DIM\s+[^=\s]+\s*=", upper, re.MULTILINE) and re.search(
            r"^\s*AX\s+.*MEAS", upper, re.MULTILINE):
        return True
    for line in upper.splitlines()[:60]:
        cells = {c.strip().strip('"') for c in re.split(r"[,;\t]", line)}
        if {"+TOL", "-TOL", "MEAS"} <= cells and ({"AX", "AXIS"} & cells):
            return True
    return False


def parse_date_time(date: str | None, time: str | None) -> datetime | None:
    """Combine a report DATE and TIME (US ``m/d/yyyy`` as PC-DMIS prints it, or ``dd.mm.yyyy`` /
    ISO; 12- or 24-hour time). None when not recognised."""
    order = ("mdy_slash", "dmy_dot", "iso", "long")  # pilotqa.read.dates families
    return combine_date_time(date, time, order) or combine_date_time(date, None, order)


class _Run:
    def __init__(self, ordinal: int, line: int) -> None:
        self.ordinal = ordinal
        self.line = line
        self.info: dict[str, str] = {}
        self.rows: list[dict[str, Any]] = []

    @property
    def part_id(self) -> str:
        return self.info.get("serial") or self.info.get("stats_count") or str(self.ordinal)


def _is_gdt(desc: str) -> bool:
    d = desc.upper()
    return any(w in d for w in GDT_WORDS)


def _feature_of(dim: str, desc: str) -> str:
    m = re.search(r"\bOF\s+(?:\w+\s+)?(\S+)\s*$", desc, re.IGNORECASE)
    if m and not re.search(r"\b(FROM|TO|BETWEEN)\b", desc, re.IGNORECASE):
        return m.group(1)
    return dim


def _num(raw: str | None, file: str, line: int, col: str) -> float | None:
    if raw is None:
        return None
    r = parse_cell(raw)
    if isinstance(r, Missing):
        return None
    if isinstance(r, CellProblem):
        raise InputError(r.reason, file=file, line=line, column=col)
    return r


def _assign_columns(header: str, line: str) -> dict[str, str]:
    """Tokens of an axis line -> header columns. Equal counts map in order; otherwise each token
    goes to the header column whose right edge is nearest to the token's right edge (the report
    right-aligns numbers under their headings)."""
    heads = [(m.group(0).upper(), m.end()) for m in re.finditer(r"\S+", header)]
    toks = [(m.group(0), m.end()) for m in re.finditer(r"\S+", line)]
    axis = toks[0][0]
    rest = [(t, e) for t, e in toks[1:] if not _GRAPH_RE.match(t) and t.upper() not in _MODIFIERS]
    cols = heads[1:]
    out: dict[str, str] = {"AX": axis}
    if len(rest) == len(cols):
        for (t, _), (h, _) in zip(rest, cols):
            out[h] = t
        return out
    for t, e in rest:
        h = min(cols, key=lambda c: abs(c[1] - e))[0]
        if h in out:
            raise ValueError(f"two values under column '{h}'")
        out[h] = t
    return out


def _parse_text(text: str, file: str) -> tuple[list[_Run], dict[str, Any]]:
    runs: list[_Run] = []
    run: _Run | None = None
    dim: tuple[str, str, str | None, int] | None = None
    header: str | None = None
    untoleranced = 0
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise InputError(f"a line of {len(line):,} characters; a PC-DMIS report line has at "
                             f"most {MAX_LINE_CHARS:,}", file=file, line=lineno)
        # runs of blanks shortened to two for the key/value and DIM patterns (same meaning; a
        # long run would make their backtracking quadratic); axis lines keep their columns
        s = _BLANKS_RE.sub("  ", line.strip())
        if not s:
            continue
        up = s.upper()
        kvs = _KV_RE.findall(s) if re.match(r"(PART NAME|REV NUMBER|SER NUMBER|SERIAL NUMBER|"
                                             r"STATS COUNT|DATE|TIME)\s*[:=]", up) else []
        if kvs:
            if run is None or (up.startswith("PART NAME") and run.rows):
                run = _Run(len(runs) + 1, lineno)
                runs.append(run)
            for k, v in kvs:
                key = _RUN_KEYS.get(k.upper(), k.lower())
                run.info[key] = v.strip()
            continue
        m = _DIM_RE.match(s)
        if m:
            if run is None:
                run = _Run(1, lineno)
                runs.append(run)
            dim = (m.group(1), m.group(2), m.group(3), lineno)
            header = None
            continue
        if up.startswith("END OF DIM"):
            dim, header = None, None
            continue
        first = up.split()[0]
        if dim is not None and first == "AX":
            header = line
            continue
        if dim is not None and header is not None and re.match(r"^[A-Z]{1,3}$", first) and \
                first not in _HEADER_WORDS:
            try:
                cols = _assign_columns(header, line)
            except ValueError as exc:
                raise InputError(f"axis line of DIM {dim[0]} does not fit its header: {exc}",
                                 file=file, line=lineno) from None
            row = _row(cols, dim, file, lineno)
            if row is None:
                untoleranced += 1
            elif run is not None:
                run.rows.append(row)
            continue
        # anything else (GRAPH=OFF …, report titles, comments) is report furniture
    return runs, {"untoleranced_axis_lines": untoleranced}


def _row(cols: dict[str, str], dim: tuple[str, str, str | None, int], file: str,
         line: int) -> dict[str, Any] | None:
    name, desc, units, _ = dim
    nominal = _num(cols.get("NOMINAL"), file, line, "NOMINAL")
    ptol = _num(cols.get("+TOL"), file, line, "+TOL")
    mtol = _num(cols.get("-TOL"), file, line, "-TOL")
    tol = _num(cols.get("TOL"), file, line, "TOL")
    meas_raw = cols.get("MEAS")
    if ptol is None and mtol is None and tol is None:
        return None
    if meas_raw is None:
        raise InputError(f"DIM {name} axis {cols['AX']}: no MEAS value", file=file, line=line)
    return {"dim": name, "desc": desc, "units": units, "axis": cols["AX"].upper(),
            "nominal": nominal, "ptol": ptol, "mtol": mtol, "tol": tol,
            "meas_raw": meas_raw, "outtol": _num(cols.get("OUTTOL"), file, line, "OUTTOL"),
            "line": line}


def _parse_csv(text: str, file: str) -> tuple[list[_Run], dict[str, Any]]:
    sample = text[:4096]
    delim = max([",", ";", "\t"], key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[str]] = []
    try:
        with _field_limit(MAX_CELL_CHARS):
            rows.extend(reader)
    except csv.Error as exc:
        raise csv_refusal(exc, file, reader.line_num) from None
    runs: list[_Run] = []
    run: _Run | None = None
    cols: dict[str, int] | None = None
    untoleranced = 0
    for lineno, cells in enumerate(rows, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        low = [c.lower() for c in cells]
        if "meas" in low and "+tol" in low:
            cols = {}
            for canon, names in _CSV_SYNONYMS.items():
                for i, c in enumerate(low):
                    if c in names and canon not in cols:
                        cols[canon] = i
            if run is None or run.rows:
                run = _Run(len(runs) + 1, lineno)
                runs.append(run)
            continue
        if cols is None or (len([c for c in cells if c]) <= 2 and low[0].rstrip(":") in
                            ("part name", "ser number", "serial number", "rev number", "date",
                             "time", "stats count")):
            key = low[0].rstrip(":").strip()
            if key == "part name" and run is not None and run.rows:
                run = None
            if run is None:
                run = _Run(len(runs) + 1, lineno)
                runs.append(run)
            val = next((c for c in cells[1:] if c), "")
            run.info[_RUN_KEYS.get(key.upper(), key)] = val
            cols = None if key == "part name" else cols
            continue

        def get(k: str) -> str | None:
            i = cols.get(k) if cols else None
            return cells[i] if i is not None and i < len(cells) and cells[i] != "" else None

        serial = get("serial")
        if run is None:
            run = _Run(len(runs) + 1, lineno)
            runs.append(run)
        if serial is not None and run.rows and run.info.get("serial") not in (None, serial):
            run = _Run(len(runs) + 1, lineno)
            runs.append(run)
        for k in ("serial", "date", "time", "part_name"):
            if get(k) is not None:
                run.info[k] = get(k) or ""
        name = get("dimension") or get("feature")
        if name is None or get("axis") is None:
            raise InputError("row has no dimension/feature name or axis", file=file, line=lineno)
        feature = get("feature") or name
        desc = get("dimtype") or ""
        r = _row({"AX": get("axis") or "", "NOMINAL": get("nominal") or "",
                  "+TOL": get("ptol") or "", "-TOL": get("mtol") or "", "TOL": get("tol") or "",
                  "MEAS": get("meas") or "", "OUTTOL": get("outtol") or ""},
                 (name, f"{desc} OF {feature}" if get("feature") else desc, get("units"), lineno),
                 file, lineno)
        if r is None:
            untoleranced += 1
        else:
            run.rows.append(r)
    if cols is None and not runs:
        raise InputError("no PC-DMIS header row (AX, +TOL, -TOL, MEAS) found", file=file)
    return runs, {"untoleranced_axis_lines": untoleranced}


def read_path(path: Path, opts: "ReadOptions") -> Inspection:
    """Read one PC-DMIS text report or CSV export (one or several runs = parts)."""
    path = Path(path)
    file = str(path)
    text, enc, notes = decode_text(path.read_bytes(), file)
    is_text = bool(re.search(r"^\s*DIM\s+[^=\s]+\s*=", text, re.IGNORECASE | re.MULTILINE))
    runs, info = (_parse_text if is_text else _parse_csv)(text, file)
    runs = [r for r in runs if r.rows]
    if not runs:
        raise InputError("no toleranced dimension found in the PC-DMIS report", file=file)
    meas: list[dict[str, Any]] = []
    specs: dict[str, dict[str, Any]] = {}
    spec_lines: dict[str, int] = {}
    seen_dims: dict[str, str] = {}
    disagreements = 0
    missing = 0
    lot = path.parent.name or path.stem
    for seq, run in enumerate(runs, start=1):
        ts = parse_date_time(run.info.get("date"), run.info.get("time"))
        if run.info.get("date") and ts is None:
            raise InputError(f"run header DATE '{run.info.get('date')}' / TIME "
                             f"'{run.info.get('time')}' not recognised", file=file, line=run.line)
        for r in run.rows:
            feat = f"{_feature_of(r['dim'], r['desc'])}.{r['axis']}"
            if feat in seen_dims and seen_dims[feat] != r["dim"]:
                feat = f"{feat} ({r['dim']})"
            seen_dims.setdefault(feat, r["dim"])
            spec = _spec(r, feat, path.name)
            old = specs.get(feat)
            if old is None:
                specs[feat], spec_lines[feat] = spec, r["line"]
            elif (old["nominal"], old["lsl"], old["usl"]) != (spec["nominal"], spec["lsl"],
                                                             spec["usl"]):
                raise InputError(f"'{feat}' has nominal/tolerances {spec['nominal']}/{spec['lsl']}/"
                                 f"{spec['usl']} here but {old['nominal']}/{old['lsl']}/{old['usl']}"
                                 f" on line {spec_lines[feat]}", file=file, line=r["line"])
            v = parse_cell(r["meas_raw"])
            if isinstance(v, CellProblem):
                raise InputError(f"MEAS of '{feat}': {v.reason}", file=file, line=r["line"])
            value = None if isinstance(v, Missing) else v
            missing += value is None
            if value is not None and r["outtol"] is not None:
                over = (spec["usl"] is not None and value > spec["usl"] + 1e-9) or \
                    (spec["lsl"] is not None and value < spec["lsl"] - 1e-9)
                if over != (abs(r["outtol"]) > 0):
                    disagreements += 1
            meas.append({"part_id": run.part_id, "lot": lot, "subgroup": None, "sequence": seq,
                         "timestamp": ts, "feature": feat, "value": value})
    if missing:
        notes.append(f"{missing} empty MEAS value(s) counted as not measured")
    if disagreements:
        notes.append(f"OUTTOL disagrees with the limits read from NOMINAL/+TOL/-TOL for "
                     f"{disagreements} reading(s) — check the -TOL sign convention of the export")
    if info["untoleranced_axis_lines"]:
        notes.append(f"{info['untoleranced_axis_lines']} axis line(s) without a tolerance (reported "
                     "coordinates) are not characteristics and were not read")
    notes.append("PC-DMIS: no lot in the export; lot = the folder name")
    first = runs[0].info
    meta = {k: v for k, v in {"part_number": first.get("part_name"),
                              "revision": first.get("revision")}.items() if v}
    return Inspection(
        measurements=pl.DataFrame(meas, schema=MEASUREMENT_SCHEMA),
        specs=pl.DataFrame(list(specs.values()), schema=SPEC_SCHEMA),
        layout="pcdmis",
        files=[SourceFile(file, sha256_file(path), FORMAT)],
        metadata=meta, notes=notes,
        details={"format": FORMAT, "variant": "text report" if is_text else "csv",
                 "encoding": enc, "runs": len(runs), "features": len(specs),
                 "readings": len(meas), **info,
                 "assumptions": ["-TOL read as a magnitude below nominal",
                                 "GD&T dimensions and TP axes one-sided, bounded at 0"]},
    )


def _spec(r: dict[str, Any], feat: str, fname: str) -> dict[str, Any]:
    units = (r["units"] or "").lower() or None
    gdt = _is_gdt(r["desc"]) and r["axis"] not in ("X", "Y", "Z", "D", "DF", "R", "A") \
        or r["axis"] == "TP"
    nominal = r["nominal"]
    if gdt:
        tol = r["tol"] if r["tol"] is not None else r["ptol"]
        if r["axis"] == "TP" and r["ptol"] is not None:
            tol = r["ptol"]
        return {"feature": feat, "nominal": nominal if nominal is not None else 0.0, "lsl": None,
                "usl": limit_from_tolerance(nominal or 0.0, tol), "unit": units,
                "class": None, "lower_bound_zero": True,
                "source": f"{fname}: DIM {r['dim']} (GD&T, one-sided: USL = tolerance)"}
    if nominal is None:
        raise InputError(f"'{feat}': toleranced axis without NOMINAL", file=fname, line=r["line"])
    ptol = r["ptol"] if r["ptol"] is not None else r["tol"]
    mtol = r["mtol"] if r["mtol"] is not None else r["tol"]
    return {"feature": feat, "nominal": nominal,
            "lsl": limit_from_tolerance(nominal, -abs(mtol) if mtol is not None else None),
            "usl": limit_from_tolerance(nominal, ptol),
            "unit": units, "class": None, "lower_bound_zero": False,
            "source": f"{fname}: DIM {r['dim']} NOMINAL/+TOL/-TOL"}
