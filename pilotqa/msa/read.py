"""Read gauge studies: long CSV/XLSX tables, the wide GR&R sheet, AQDEF GC files.

Layouts (headings matched case-insensitively, ignoring spaces, ``_ - . / #`` and umlaut
spelling; English and German):

* **long** — one reading per row. Columns: part (``part``, ``part_id``, ``sample``, ``Teil``,
  ``Teil-Nr``, ``Prüfling``), appraiser (``operator``, ``appraiser``, ``inspector``, ``Prüfer``,
  ``Bediener``, ``Werker``), trial (``trial``, ``replicate``, ``repeat``, ``run``, ``Versuch``,
  ``Wiederholung``, ``Messung``), value (``value``, ``measurement``, ``reading``, ``Messwert``,
  ``Wert``, ``Istwert``); optional ``feature`` (``characteristic``, ``Merkmal``), ``tolerance``
  (``Toleranz``), ``lsl``/``usl`` (``lower limit``, ``USG``, ``UGW`` / ``upper limit``, ``OSG``,
  ``OGW``), ``reference`` (``reference value``, ``master``, ``Referenz``, ``Normal``), ``unit``
  (``Einheit``). Without a trial column the trials are numbered in row order within each
  appraiser and part. Without part and appraiser columns the value column is a Type 1 study.
* **wide** — one row per part, one column per appraiser and trial: headings such as ``A1``,
  ``A_2``, ``Op A Trial 3``, ``Prüfer B Messung 1``; or two heading rows, the appraiser names
  (merged cells allowed) above the trial numbers. The part column is the one headed like a part
  (else the first column).
* **AQDEF** — ``.dfq`` GC studies (:mod:`pilotqa.msa.kfields`).

A design that is not balanced (a cell with another number of trials than the rest, a missing
appraiser × part cell, a duplicate trial) or a blank / non-numeric reading is refused with an
:class:`~pilotqa.errors.InputError` naming the file, sheet, row and column.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from pilotqa.errors import InputError
from pilotqa.msa.kfields import read_gc_file, sniff_aqdef
from pilotqa.msa.model import GaugeStudy
from pilotqa.read.aqdef import decode_text
from pilotqa.read.cells import CellProblem, Missing, excel_column_letter, parse_cell
from pilotqa.util import cell_text

__all__ = ["ReadSettings", "read_studies", "HEADINGS"]

#: canonical column -> accepted headings (normalised: lower case, no separators, ä→ae …)
HEADINGS: dict[str, tuple[str, ...]] = {
    "part": ("part", "partid", "partno", "partnumber", "parts", "sample", "specimen", "teil",
             "teilnr", "teilenr", "teilnummer", "pruefling", "prueflinge", "bauteil", "probe"),
    "appraiser": ("operator", "appraiser", "inspector", "op", "pruefer", "bediener", "werker",
                  "bedienerin", "prueferin"),
    "trial": ("trial", "trials", "replicate", "repeat", "repetition", "run", "rep", "versuch",
              "wiederholung", "messung", "messungnr", "durchgang", "trialno"),
    "value": ("value", "measurement", "measuredvalue", "reading", "result", "messwert", "wert",
              "istwert", "ergebnis", "y"),
    "feature": ("feature", "characteristic", "merkmal", "char", "featurename"),
    "tolerance": ("tolerance", "tol", "toleranz", "t"),
    "lsl": ("lsl", "lowerlimit", "lowerspec", "lowerspecificationlimit", "usg", "ugw",
            "untereGrenze".lower(), "unteretoleranzgrenze", "untererGrenzwert".lower()),
    "usl": ("usl", "upperlimit", "upperspec", "upperspecificationlimit", "osg", "ogw",
            "oberegrenze", "oberetoleranzgrenze", "obererGrenzwert".lower()),
    "reference": ("reference", "referencevalue", "ref", "master", "mastervalue", "referenz",
                  "referenzwert", "normal", "normalwert", "sollwertnormal"),
    "unit": ("unit", "units", "einheit"),
}
_LOOKUP = {alias: canon for canon, aliases in HEADINGS.items() for alias in aliases}
_WIDE_RE = re.compile(
    r"^(?P<app>.*?[^\W\d_].*?|[^\W\d_])[\s_\-/.:,#]*"
    r"(?:(?:trial|versuch|messung|wiederholung|wdh|run|rep|replicate|t|m|r)[\s_\-.#:]*)?"
    r"(?P<trial>\d+)$", re.IGNORECASE)
_APP_WORDS = re.compile(r"^(?:operator|appraiser|inspector|op|pr[üu]e?fer|bediener|werker)"
                        r"[\s_\-.:#]*", re.IGNORECASE)


@dataclass(frozen=True)
class ReadSettings:
    """What the user told ``pilotqa msa`` about the input (overrides what the file says)."""

    tolerance: float | None = None
    lsl: float | None = None
    usl: float | None = None
    reference: float | None = None
    sheet: str | None = None
    type1: bool = False


def _norm(h: Any) -> str:
    s = cell_text(h).lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    return re.sub(r"[\s_\-./#()\[\]:]+", "", s)


@dataclass
class _Grid:
    file: str
    sheet: str | None
    rows: list[list[Any]]  # rows[i] is spreadsheet row i + 1


def _csv_grid(path: Path) -> _Grid:
    text, _enc, _ = decode_text(path.read_bytes(), str(path))
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    return _Grid(str(path), None, rows)


def _xlsx_grids(path: Path, sheet: str | None) -> list[_Grid]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for bad files
        raise InputError(f"cannot open the workbook: {exc}", file=str(path)) from None
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            raise InputError(f"no sheet '{sheet}'; sheets: {', '.join(names)}", file=str(path))
        out = []
        for name in [sheet] if sheet is not None else names:
            rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
            if any(any(c not in (None, "") for c in r) for r in rows):
                out.append(_Grid(str(path), name, rows))
        return out
    finally:
        wb.close()


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _number(g: _Grid, row: int, col: int, heading: str, what: str = "reading") -> float:
    raw = g.rows[row][col] if col < len(g.rows[row]) else None
    r = parse_cell(raw)
    where = {"file": g.file, "sheet": g.sheet, "row": row + 1, "column": heading}
    if isinstance(r, Missing):
        raise InputError(f"blank {what}: a gauge study needs every reading of its design",
                         **where)  # type: ignore[arg-type]
    if isinstance(r, CellProblem):
        raise InputError(r.reason, **where)  # type: ignore[arg-type]
    return r


def _header_row(g: _Grid) -> int | None:
    """Index of the first row naming a value column (long) or wide appraiser/trial columns."""
    for i, row in enumerate(g.rows[:20]):
        canon = {_LOOKUP.get(_norm(c)) for c in row if not _blank(c)}
        if "value" in canon:
            return i
        wide = sum(1 for c in row if not _blank(c) and _wide_label(c) is not None)
        if wide >= 2:
            return i
        if "part" in canon and i + 1 < len(g.rows):
            ints = [t for t in map(parse_cell, g.rows[i + 1])
                    if isinstance(t, float) and t == int(t) and t >= 1]
            if len(ints) >= 2:
                return i
    return None


def _wide_label(c: Any) -> tuple[str, int] | None:
    text = cell_text(c)
    if _LOOKUP.get(_norm(text)) is not None:
        return None
    m = _WIDE_RE.match(text)
    if not m:
        return None
    app = _APP_WORDS.sub("", m.group("app").strip(" _-/.:,#")).strip() or m.group("app").strip()
    return app, int(m.group("trial"))


def _spec_from(settings: ReadSettings, lsl: float | None, usl: float | None,
               tol: float | None) -> tuple[float | None, float | None, float | None]:
    if settings.lsl is not None or settings.usl is not None:
        lsl, usl = settings.lsl, settings.usl
        tol = None
    if settings.tolerance is not None:
        tol = settings.tolerance
    elif lsl is not None and usl is not None:
        if usl <= lsl:
            raise InputError(f"USL {usl:g} is not above LSL {lsl:g}")
        tol = float(f"{usl - lsl:.12g}")
    return lsl, usl, tol


def _column_constant(g: _Grid, rows: Sequence[int], col: int | None, heading: str,
                     what: str) -> float | None:
    if col is None:
        return None
    vals: dict[float, int] = {}
    for r in rows:
        raw = g.rows[r][col] if col < len(g.rows[r]) else None
        if _blank(raw):
            continue
        vals.setdefault(_number(g, r, col, heading, what), r)
    if len(vals) > 1:
        (v1, r1), (v2, r2) = list(vals.items())[:2]
        raise InputError(f"{what} differs within one characteristic ({v1:g} in row {r1 + 1}, "
                         f"{v2:g} in row {r2 + 1})", file=g.file, sheet=g.sheet, row=r2 + 1,
                         column=heading)
    return next(iter(vals), None)


def _long(g: _Grid, h: int, settings: ReadSettings, stem: str) -> list[GaugeStudy]:
    head = g.rows[h]
    cols: dict[str, int] = {}
    for j, c in enumerate(head):
        canon = _LOOKUP.get(_norm(c)) if not _blank(c) else None
        if canon is not None and canon not in cols:
            cols[canon] = j
    heading = {k: cell_text(head[j]) for k, j in cols.items()}
    body = [i for i in range(h + 1, len(g.rows)) if any(not _blank(c) for c in g.rows[i])]
    if not body:
        raise InputError("no readings below the heading row", file=g.file, sheet=g.sheet,
                         row=h + 1)
    by_feature: dict[str, list[int]] = {}
    for i in body:
        name = stem
        if "feature" in cols:
            raw = g.rows[i][cols["feature"]] if cols["feature"] < len(g.rows[i]) else None
            if _blank(raw):
                raise InputError("blank characteristic name", file=g.file, sheet=g.sheet,
                                 row=i + 1, column=heading["feature"])
            name = cell_text(raw)
        by_feature.setdefault(name, []).append(i)
    src = f"{Path(g.file).name}" + (f", sheet '{g.sheet}'" if g.sheet else "")
    crossed = "part" in cols or "appraiser" in cols
    if settings.type1 and crossed:
        raise InputError("--method type1 was given, but the table has part/appraiser columns "
                         "(a crossed GR&R)", file=g.file, sheet=g.sheet, row=h + 1)
    out = []
    for name, rows in by_feature.items():
        lsl = _column_constant(g, rows, cols.get("lsl"), heading.get("lsl", ""), "LSL")
        usl = _column_constant(g, rows, cols.get("usl"), heading.get("usl", ""), "USL")
        tol = _column_constant(g, rows, cols.get("tolerance"), heading.get("tolerance", ""),
                               "tolerance")
        lsl, usl, tol = _spec_from(settings, lsl, usl, tol)
        unit = None
        if "unit" in cols:
            units = {cell_text(g.rows[r][cols["unit"]]) for r in rows
                     if cols["unit"] < len(g.rows[r]) and not _blank(g.rows[r][cols["unit"]])}
            unit = next(iter(units)) if len(units) == 1 else None
        values = [_number(g, r, cols["value"], heading["value"]) for r in rows]
        if not crossed:
            ref = settings.reference
            if ref is None:
                ref = _column_constant(g, rows, cols.get("reference"),
                                       heading.get("reference", ""), "reference value")
            out.append(GaugeStudy(feature=name, kind="type1", data=np.array(values, dtype=float),
                                  lsl=lsl, usl=usl, tolerance=tol, reference=ref, unit=unit,
                                  source=f"{src}: long table, Type 1 (value column "
                                         f"'{heading['value']}')"))
            continue
        for need in ("part", "appraiser"):
            if need not in cols:
                other = "appraiser" if need == "part" else "part"
                raise InputError(f"the table has a {other} column but no {need} column; a "
                                 f"crossed GR&R needs both (headings: "
                                 f"{', '.join(HEADINGS[need][:6])} …)", file=g.file,
                                 sheet=g.sheet, row=h + 1)
        cells: dict[tuple[str, str], dict[int, tuple[float, int]]] = {}
        apps: list[str] = []
        parts: list[str] = []
        for r, v in zip(rows, values):
            key = []
            for need in ("appraiser", "part"):
                raw = g.rows[r][cols[need]] if cols[need] < len(g.rows[r]) else None
                if _blank(raw):
                    raise InputError(f"blank {need}", file=g.file, sheet=g.sheet, row=r + 1,
                                     column=heading[need])
                key.append(cell_text(raw))
            app, part = key
            if app not in apps:
                apps.append(app)
            if part not in parts:
                parts.append(part)
            cell = cells.setdefault((app, part), {})
            if "trial" in cols:
                t_raw = g.rows[r][cols["trial"]] if cols["trial"] < len(g.rows[r]) else None
                t_num = parse_cell(t_raw)
                if not isinstance(t_num, float) or t_num != int(t_num) or t_num < 1:
                    raise InputError(f"trial '{cell_text(t_raw)}' is not a trial number 1, 2, …",
                                     file=g.file, sheet=g.sheet, row=r + 1,
                                     column=heading["trial"])
                t = int(t_num)
                if t in cell:
                    raise InputError(f"appraiser '{app}', part '{part}', trial {t} given twice "
                                     f"(rows {cell[t][1] + 1} and {r + 1})", file=g.file,
                                     sheet=g.sheet, row=r + 1, column=heading["trial"])
            else:
                t = len(cell) + 1
            cell[t] = (v, r)
        out.append(_crossed(g, name, apps, parts, cells, lsl, usl, tol, unit,
                            f"{src}: long table" + ("" if "trial" in cols else
                                                    ", trials numbered in row order")))
    return out


def _crossed(g: _Grid, name: str, apps: list[str], parts: list[str],
             cells: dict[tuple[str, str], dict[int, tuple[float, int]]], lsl: float | None,
             usl: float | None, tol: float | None, unit: str | None,
             source: str) -> GaugeStudy:
    sizes = {k: len(v) for k, v in cells.items()}
    for a in apps:
        for p in parts:
            if (a, p) not in cells:
                raise InputError(f"characteristic '{name}': appraiser '{a}' has no reading of "
                                 f"part '{p}' — the crossed design is incomplete", file=g.file,
                                 sheet=g.sheet)
    counts: dict[int, int] = {}
    for n in sizes.values():
        counts[n] = counts.get(n, 0) + 1
    r = max(counts, key=lambda n: (counts[n], n))
    for (a, p), cell in cells.items():
        trials = sorted(cell)
        if len(cell) != r or trials != list(range(1, r + 1)):
            last = max(row for _, row in cell.values())
            raise InputError(f"characteristic '{name}': appraiser '{a}', part '{p}' has trials "
                             f"{', '.join(map(str, trials))} but the study has {r} trials per "
                             "appraiser and part — unbalanced designs are not analysed",
                             file=g.file, sheet=g.sheet, row=last + 1)
    if r < 2:
        raise InputError(f"characteristic '{name}': one trial per appraiser and part; a GR&R "
                         "needs at least 2", file=g.file, sheet=g.sheet)
    data = np.array([[[cells[(a, p)][t][0] for t in range(1, r + 1)] for p in parts]
                     for a in apps], dtype=float)
    return GaugeStudy(feature=name, kind="crossed", data=data, appraisers=tuple(apps),
                      parts=tuple(parts), lsl=lsl, usl=usl, tolerance=tol, unit=unit,
                      source=source)


def _wide(g: _Grid, h: int, settings: ReadSettings, stem: str) -> list[GaugeStudy]:
    head = g.rows[h]
    labels: dict[int, tuple[str, int]] = {}
    two_rows = False
    for j, c in enumerate(head):
        if not _blank(c) and (lab := _wide_label(c)) is not None:
            labels[j] = lab
    part_col = next((j for j, c in enumerate(head)
                     if not _blank(c) and _LOOKUP.get(_norm(c)) == "part"), None)
    if len(labels) < 2 and h + 1 < len(g.rows):
        # two heading rows: appraiser names (merged cells) over trial numbers
        nxt = g.rows[h + 1]
        app = None
        for j in range(len(nxt)):
            top = head[j] if j < len(head) else None
            if not _blank(top) and _LOOKUP.get(_norm(top)) != "part":
                app = _APP_WORDS.sub("", cell_text(top)).strip() or cell_text(top)
            t = parse_cell(nxt[j])
            if app is not None and isinstance(t, float) and t == int(t) and t >= 1 and \
                    j != part_col:
                labels[j] = (app, int(t))
        two_rows = True
    if len(labels) < 2:
        raise InputError("no value column and no appraiser/trial columns (such as 'A1', 'A2' or "
                         "'Operator A Trial 1') in the heading row", file=g.file, sheet=g.sheet,
                         row=h + 1)
    if part_col is None:
        part_col = min(j for j in range(len(head)) if j not in labels)
        if part_col > min(labels):
            part_col = 0
    first = h + (2 if two_rows else 1)
    apps: list[str] = []
    for a, _ in labels.values():
        if a not in apps:
            apps.append(a)
    seen: dict[tuple[str, int], int] = {}
    for j, lab in labels.items():
        if lab in seen:
            raise InputError(f"appraiser '{lab[0]}' trial {lab[1]} has two columns "
                             f"({excel_column_letter(seen[lab])} and {excel_column_letter(j)})",
                             file=g.file, sheet=g.sheet, row=h + 1)
        seen[lab] = j
    cells: dict[tuple[str, str], dict[int, tuple[float, int]]] = {}
    parts: list[str] = []
    for i in range(first, len(g.rows)):
        row = g.rows[i]
        if all(_blank(c) for c in row):
            continue
        raw = row[part_col] if part_col < len(row) else None
        if _blank(raw):
            raise InputError("blank part", file=g.file, sheet=g.sheet, row=i + 1,
                             column=cell_text(head[part_col]) or excel_column_letter(part_col))
        part = cell_text(raw)
        if part in parts:
            raise InputError(f"part '{part}' appears in two rows", file=g.file, sheet=g.sheet,
                             row=i + 1)
        parts.append(part)
        for j, (a, t) in labels.items():
            heading = cell_text(head[j]) if not two_rows else f"{a} {t}"
            v = _number(g, i, j, heading or excel_column_letter(j))
            cells.setdefault((a, part), {})[t] = (v, i)
    if not parts:
        raise InputError("no part rows below the heading", file=g.file, sheet=g.sheet,
                         row=h + 1)
    lsl, usl, tol = _spec_from(settings, None, None, None)
    src = f"{Path(g.file).name}" + (f", sheet '{g.sheet}'" if g.sheet else "")
    return [_crossed(g, stem if not g.sheet or g.sheet.lower().startswith("sheet") else g.sheet,
                     apps, parts, cells, lsl, usl, tol, None, f"{src}: wide GR&R sheet")]


def _grid_studies(g: _Grid, settings: ReadSettings, stem: str) -> list[GaugeStudy]:
    h = _header_row(g)
    if h is None:
        raise InputError("no heading row naming a value column (value, Messwert, …) or "
                         "appraiser/trial columns (A1, A2, …) in the first 20 rows",
                         file=g.file, sheet=g.sheet)
    canon = {_LOOKUP.get(_norm(c)) for c in g.rows[h] if not _blank(c)}
    if "value" in canon:
        return _long(g, h, settings, stem)
    return _wide(g, h, settings, stem)


def _files(inputs: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in inputs:
        p = Path(p)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in
                          (".csv", ".txt", ".xlsx", ".xlsm", ".dfq"))
        else:
            out.append(p)
    return out


def read_studies(inputs: Sequence[Path], settings: ReadSettings = ReadSettings()
                 ) -> tuple[list[GaugeStudy], list[str], list[Path]]:
    """Every gauge study in the inputs.

    Returns
    -------
    (studies, notes, files) : the studies (characteristic names unique across the inputs),
    notes on what was skipped or assumed, and the files read.
    """
    studies: list[GaugeStudy] = []
    notes: list[str] = []
    files = _files(inputs)
    for f in files:
        head = f.read_bytes()[:256]
        stem = f.stem
        if f.suffix.lower() in (".dfq", ".dfd") or sniff_aqdef(head):
            st, n = read_gc_file(f)
            notes += n
            if settings.tolerance is not None or settings.lsl is not None or \
                    settings.usl is not None or settings.reference is not None:
                st = [_override(s, settings) for s in st]
        elif f.suffix.lower() in (".xlsx", ".xlsm"):
            st = []
            for g in _xlsx_grids(f, settings.sheet):
                st += _grid_studies(g, settings, stem if g.sheet is None else stem)
        elif f.suffix.lower() in (".csv", ".txt"):
            st = _grid_studies(_csv_grid(f), settings, stem)
        else:
            raise InputError("not a gauge study file pilotqa msa reads (CSV, XLSX, AQDEF .dfq)",
                             file=str(f))
        if settings.type1:
            bad = [s.feature for s in st if s.kind != "type1"]
            if bad:
                raise InputError(f"--method type1 was given, but '{bad[0]}' is a crossed GR&R",
                                 file=str(f))
        studies += st
    if not studies:
        raise InputError("no Type 1 or crossed GR&R study found in the input(s)"
                         + (f" ({'; '.join(notes)})" if notes else ""))
    seen: dict[str, int] = {}
    out: list[GaugeStudy] = []
    for study in studies:
        k = seen.get(study.feature, 0)
        seen[study.feature] = k + 1
        out.append(study if k == 0 else replace(
            study, feature=f"{study.feature} ({k + 1})",
            notes=study.notes + (f"name repeated in the inputs; suffix ({k + 1}) added",)))
    return out, notes, files


def _override(s: GaugeStudy, settings: ReadSettings) -> GaugeStudy:
    lsl, usl, tol = _spec_from(settings, s.lsl, s.usl, s.tolerance)
    ref = settings.reference if settings.reference is not None else s.reference
    return replace(s, lsl=lsl, usl=usl, tolerance=tol, reference=ref,
                   notes=s.notes + ("tolerance / limits / reference from the command line",))
