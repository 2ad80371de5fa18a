"""Specification sources: heading/label vocabularies, tolerance conventions, ``--spec`` files.

Three places carry specifications:

* **spec columns of a long table** (``nominal``, ``lsl``, ``usl``, ``+tol``, ``-tol`` … one value
  per reading row, constant per feature) — see :data:`HEADING_SYNONYMS`;
* **spec rows of a wide table**, labelled in the first column (``Nominal``, ``USL``/``LSL``,
  ``Max``/``Min``, ``+Tol``/``-Tol``, ``Upper``/``Lower``, ``Class``, ``Unit``) — see
  :data:`SPEC_LABELS`;
* a separate **spec file** (``--spec FILE``): CSV or XLSX with one row per feature and the same
  headings as a long table (``feature`` plus any of ``nominal``, ``lsl``, ``usl``, ``+tol``,
  ``-tol``, ``tol``, ``unit``, ``class``, ``lower_bound_zero``), or TOML::

      [features.BORE_A_DIA]          # one table per feature (quote names with spaces or dots)
      nominal = 42.0125
      lsl = 42.000                   # limits ...
      usl = 42.025
      unit = "mm"
      class = "critical"             # critical/major/minor (CC, KC, SC, significant, standard …)

      [features.BORE_B_DIA]
      nominal = 30.0
      tol_plus = 0.015               # ... or offsets from nominal:
      tol_minus = 0.015              #     lsl = nominal - |tol_minus|, usl = nominal + tol_plus
                                     #     (tol = 0.015 for a symmetric ±tolerance)
      [features.HOLE1_POS]
      nominal = 0
      usl = 0.1                      # one-sided: leave the other limit out
      lower_bound_zero = true        # natural lower bound (position, flatness, roughness)

  A tolerance zone that does not contain the nominal (``+0.03/+0.01``) must be written as
  ``lsl``/``usl``.

How a spec file combines with the export (:func:`merge_specs`): for each feature it names,
the limits (nominal, lsl, usl) are replaced **as a group** when the file gives any of them
(a spec entry defines the whole tolerance); ``unit``, ``class`` and ``lower_bound_zero``
replace the export's value individually when given. Fields the file leaves out keep the
export's value, so a spec file can also just complete an export that has no specs. The
``source`` column records where each feature's spec came from.

Tolerance conventions (:func:`resolve_limits`) are decided explicitly and never guessed:
``USL``/``LSL``/``Max``/``Min`` are limits; ``+Tol``/``-Tol`` are offsets from the nominal (a
``-Tol`` row or column of positive numbers holds magnitudes, one with negative numbers signed
values; both signs at once is refused); plain ``Upper``/``Lower`` are limits when the numbers
bracket the nominal and offsets when they straddle zero — when the numbers allow both readings
with different results, or neither, a :class:`~pilotqa.errors.SpecError` names the place.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Callable

import polars as pl

from pilotqa.errors import InputError, SpecError
from pilotqa.model import SPEC_SCHEMA
from pilotqa.read.cells import CellProblem, Missing, parse_cell
from pilotqa.read.limits import add_decimal
from pilotqa.read.vocabulary import HEADINGS, METADATA_LABELS, SPEC_ROW_LABELS, synonyms
from pilotqa.util import cell_text as _cell_text

__all__ = [
    "HEADING_SYNONYMS",
    "CANONICAL_NAMES",
    "SPEC_LABELS",
    "CLASS_SYNONYMS",
    "METADATA_LABELS",
    "Place",
    "norm_heading",
    "heading_canonical",
    "spec_label",
    "metadata_key",
    "metadata_pairs",
    "merge_sheet_specs",
    "specs_per_feature",
    "normalize_class",
    "parse_bool",
    "parse_spec_number",
    "resolve_limits",
    "read_spec_file",
    "merge_specs",
]

#: Canonical column -> accepted headings (normalised by :func:`norm_heading`), best first; the
#: words live in :data:`pilotqa.read.vocabulary.HEADINGS` (by language).
#: When two columns of one table map to the same canonical name the better-ranked one wins.
HEADING_SYNONYMS: dict[str, tuple[str, ...]] = {c: synonyms(c) for c in HEADINGS}

#: Names a ``--map SRC=CANONICAL`` may target.
CANONICAL_NAMES: tuple[str, ...] = tuple(HEADING_SYNONYMS)

_NUMERIC_FIELDS = ("nominal", "lsl", "usl", "tol_plus", "tol_minus", "tol", "upper", "lower")
_SPEC_FIELDS = ("nominal", "lsl", "usl", "tol_plus", "tol_minus", "tol", "upper", "lower",
                "unit", "class", "lower_bound_zero")

#: Spec-row labels of the wide layout (first column) -> spec field.
SPEC_LABELS: dict[str, str] = {
    syn: field for field in _SPEC_FIELDS for syn in HEADING_SYNONYMS[field]
}
SPEC_LABELS.update(SPEC_ROW_LABELS)

#: Accepted class words (case-insensitive) -> canonical class.
CLASS_SYNONYMS: dict[str, str] = {
    "critical": "critical", "cc": "critical", "kc": "critical", "crit": "critical",
    "key": "critical", "key characteristic": "critical", "critical characteristic": "critical",
    "major": "major", "sc": "major", "significant": "major", "maj": "major",
    "significant characteristic": "major",
    "minor": "minor", "standard": "minor", "std": "minor",
}

#: ``Place(field_or_column, index) -> InputError keyword arguments`` (file, sheet, row, column).
Place = Callable[[str, int], dict[str, Any]]

_MINUS_RE = re.compile("[\u2212\u2013\u2014]")
_BRACKET_RE = re.compile(r"\s*[\[(][^\])]*[\])]\s*$")
_SYM_SPACE_RE = re.compile(r"\s*([+\-±/#])\s*")


def norm_heading(raw: Any) -> str:
    """Normalise a heading or label for synonym lookup.

    Lower case, unicode minus/dashes -> ``-``, ``_`` -> space, whitespace collapsed, spaces
    around ``+ - ± / #`` removed, a trailing unit in brackets (``"Value [mm]"``) and trailing
    ``:`` or ``.`` dropped.
    """
    if raw is None:
        return ""
    s = _MINUS_RE.sub("-", str(raw)).replace("\u00a0", " ").replace("_", " ").lower().strip()
    s = " ".join(s.split()).rstrip(":. ")
    s = _BRACKET_RE.sub("", s) or s
    return _SYM_SPACE_RE.sub(r"\1", s).strip()


_HEADING_INDEX: dict[str, tuple[str, int]] = {}
for _canon, _syns in HEADING_SYNONYMS.items():
    for _rank, _syn in enumerate(_syns):
        _HEADING_INDEX.setdefault(norm_heading(_syn), (_canon, _rank))
_LABEL_INDEX = {norm_heading(k): v for k, v in SPEC_LABELS.items()}
_META_INDEX = {norm_heading(k): v for k, v in METADATA_LABELS.items()}


def heading_canonical(raw: Any) -> tuple[str, int] | None:
    """``(canonical name, rank)`` for a column heading, or None when it is not a known one."""
    return _HEADING_INDEX.get(norm_heading(raw))


def spec_label(raw: Any) -> str | None:
    """The spec field a wide-layout row label names (``"USL"`` -> ``"usl"``), else None."""
    if not isinstance(raw, str):
        return None
    return _LABEL_INDEX.get(norm_heading(raw))


def metadata_key(raw: Any) -> str | None:
    """The metadata key of a header-block label (``"Part number:"`` -> ``"part_number"``)."""
    if not isinstance(raw, str):
        return None
    return _META_INDEX.get(norm_heading(raw))


def normalize_class(raw: Any, **place: Any) -> str | None:
    """Canonical class (critical/major/minor) of a class cell; None when blank.

    Accepts CC/KC/critical/key -> critical, SC/significant/major -> major, minor/standard ->
    minor, case-insensitive. Anything else is a :class:`SpecError` at ``place``.
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    s = " ".join(str(raw).strip().lower().split())
    if not s:
        return None
    if s in CLASS_SYNONYMS:
        return CLASS_SYNONYMS[s]
    raise SpecError(
        f"class '{raw}' is not one of critical, major, minor (also accepted: CC, KC, key -> "
        "critical; SC, significant -> major; standard -> minor)",
        **place,
    )


_TRUE = {"true", "yes", "y", "1", "x", "ja", "wahr"}
_FALSE = {"false", "no", "n", "0", "nein", "falsch"}


def parse_bool(raw: Any, **place: Any) -> bool | None:
    """A yes/no cell (``lower_bound_zero``); None when blank, SpecError when not a yes/no."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    s = str(raw).strip().lower()
    if not s:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise SpecError(f"'{raw}' is not a yes/no value (use true/false)", **place)


def parse_spec_number(raw: Any, **place: Any) -> float | None:
    """A spec cell (nominal, limit, tolerance) as float; None when blank; SpecError if not a number."""
    r = parse_cell(raw)
    if isinstance(r, Missing):
        return None
    if isinstance(r, CellProblem):
        raise SpecError(f"specification cell: {r.reason}", **place)
    return r


_add = add_decimal  # limits in decimal arithmetic (42 + 0.025 -> 42.025 exactly)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _classify_upper_lower(nom: float | None, up: float, lo: float) -> str:
    """'limits', 'offsets', 'same' (both readings agree), 'both' or 'neither'."""
    lim = lo < up and (nom is None or lo <= nom <= up)
    off = nom is not None and lo < up and lo <= 0 <= up
    if lim and off:
        return "same" if nom == 0 else "both"
    return "limits" if lim else "offsets" if off else "neither"


def resolve_limits(
    fields: dict[str, list[Any]],
    n: int,
    place: Place,
    *,
    names: list[str],
    what: str = "row",
) -> tuple[list[float | None], list[float | None], list[float | None], list[str]]:
    """Turn the spec fields of ``n`` features into ``(nominal, lsl, usl, notes)``.

    Parameters
    ----------
    fields : dict
        Spec field (``nominal``, ``lsl``, ``usl``, ``tol_plus``, ``tol_minus``, ``tol``,
        ``upper``, ``lower``) -> list of ``n`` floats/None; absent fields are not keys.
    place : Place
        ``place(field, i)`` gives the InputError keywords of feature ``i``'s cell of ``field``.
    names : list[str]
        Feature names (for messages).
    what : str
        ``"row"`` (wide layout: a field is a labelled row) or ``"column"`` (long table, spec file).

    Notes
    -----
    Limits: ``lsl``/``usl``. Offsets: ``usl = nominal + tol_plus``; ``lsl = nominal - v`` when the
    ``tol_minus`` field holds magnitudes (no negative value), ``nominal + v`` when it holds signed
    values (no positive value); ``tol`` is symmetric. ``upper``/``lower`` are read as limits or
    offsets by :func:`_classify_upper_lower` for every feature; all features of the field must
    agree, else SpecError. Where limits and offsets both give a side they must agree.
    """
    nom: list[float | None] = list(fields.get("nominal", [None] * n))
    lsl: list[float | None] = list(fields.get("lsl", [None] * n))
    usl: list[float | None] = list(fields.get("usl", [None] * n))
    notes: list[str] = []

    def need_nominal(field: str, i: int, label: str) -> float:
        nominal = nom[i]
        if nominal is None:
            raise SpecError(
                f"feature '{names[i]}' has a {label} tolerance but no nominal to apply it to; "
                "add the nominal or give the limits (USL/LSL)",
                **place(field, i),
            )
        return nominal

    def put(side: list[float | None], i: int, x: float, field: str, label: str) -> None:
        current = side[i]
        if current is not None and not _close(current, x):
            raise SpecError(
                f"feature '{names[i]}': the {label} {current:g} given as a limit disagrees with "
                f"{x:g} from nominal and tolerance",
                **place(field, i),
            )
        side[i] = x

    tp = fields.get("tol_plus")
    if tp is not None:
        for i, v in enumerate(tp):
            if v is not None:
                put(usl, i, _add(need_nominal("tol_plus", i, "+tol"), v), "tol_plus", "USL")
    tm = fields.get("tol_minus")
    if tm is not None:
        pos = [i for i, v in enumerate(tm) if v is not None and v > 0]
        neg = [i for i, v in enumerate(tm) if v is not None and v < 0]
        if pos and neg:
            p, q = place("tol_minus", pos[0]), place("tol_minus", neg[0])
            raise SpecError(
                f"the -tol {what} holds positive values (e.g. {tm[pos[0]]:g} for '{names[pos[0]]}', "
                f"{_where(p)}) and negative values (e.g. {tm[neg[0]]:g} for '{names[neg[0]]}', "
                f"{_where(q)}): it is ambiguous whether they are magnitudes or signed offsets; "
                "write all as magnitudes, all signed, or give LSL/USL instead",
                **p,
            )
        sign = 1.0 if neg else -1.0
        for i, v in enumerate(tm):
            if v is not None:
                put(lsl, i, _add(need_nominal("tol_minus", i, "-tol"), sign * v), "tol_minus", "LSL")
    tt = fields.get("tol")
    if tt is not None:
        for i, v in enumerate(tt):
            if v is not None:
                c = need_nominal("tol", i, "±")
                put(lsl, i, _add(c, -abs(v)), "tol", "LSL")
                put(usl, i, _add(c, abs(v)), "tol", "USL")
    up, lo = fields.get("upper"), fields.get("lower")
    if up is not None or lo is not None:
        if up is None or lo is None:
            f = "upper" if up is not None else "lower"
            raise SpecError(
                f"a '{f}' {what} without its counterpart: it is ambiguous whether it holds a "
                f"limit or a tolerance; label it {'USL or +Tol' if f == 'upper' else 'LSL or -Tol'}",
                **place(f, 0),
            )
        _apply_upper_lower(nom, up, lo, lsl, usl, place, names, what, notes, put)
    return nom, lsl, usl, notes


def _where(kw: dict[str, Any]) -> str:
    from pilotqa.errors import location

    return location(kw.get("file"), kw.get("sheet"), kw.get("row"), kw.get("column"))


def _apply_upper_lower(
    nom: list[float | None], up: list[Any], lo: list[Any], lsl: list[float | None],
    usl: list[float | None], place: Place, names: list[str], what: str, notes: list[str],
    put: Callable[..., None],
) -> None:
    kinds: dict[str, list[int]] = {"limits": [], "offsets": [], "same": [], "both": [], "neither": []}
    for i, (u, l) in enumerate(zip(up, lo)):
        if u is None and l is None:
            continue
        if u is None or l is None:
            kinds["neither"].append(i)
            continue
        kinds[_classify_upper_lower(nom[i], u, l)].append(i)
    how = ("label the rows USL/LSL (limits) or +Tol/-Tol (offsets from the nominal)"
           if what == "row" else "name the columns USL/LSL or +Tol/-Tol (e.g. with --map)")
    if kinds["neither"]:
        i = kinds["neither"][0]
        raise SpecError(
            f"'Upper'/'Lower' of '{names[i]}' ({up[i]}, {lo[i]}, nominal {nom[i]}) are neither "
            f"limits around the nominal nor offsets around zero; {how}",
            **place("upper", i),
        )
    if kinds["limits"] and kinds["offsets"]:
        i, j = kinds["limits"][0], kinds["offsets"][0]
        raise SpecError(
            f"'Upper'/'Lower' read as limits for '{names[i]}' but as offsets for '{names[j]}' "
            f"({_where(place('upper', j))}); it is ambiguous which they are; {how}",
            **place("upper", i),
        )
    if kinds["limits"] or kinds["offsets"]:
        mode = "limits" if kinds["limits"] else "offsets"
    elif kinds["both"]:
        i = kinds["both"][0]
        nominal = nom[i]
        assert nominal is not None  # _classify_upper_lower returns "both" only with a nominal
        raise SpecError(
            f"'Upper' {up[i]:g} and 'Lower' {lo[i]:g} of '{names[i]}' (nominal {nominal:g}) could be "
            f"limits ({lo[i]:g} to {up[i]:g}) or tolerances ({nominal + lo[i]:g} to "
            f"{nominal + up[i]:g}); it is ambiguous, refusing to guess; {how}",
            **place("upper", i),
        )
    else:
        mode = "limits"  # every feature has nominal 0: both readings give the same limits
    p = place("upper", kinds[mode][0] if kinds[mode] else 0)
    notes.append(f"{_where({k: v for k, v in p.items() if k != 'column'})}: 'Upper'/'Lower' read "
                 f"as {'limits' if mode == 'limits' else 'tolerances from the nominal'}")
    for i, (u, l) in enumerate(zip(up, lo)):
        if u is None or l is None:
            continue
        if mode == "limits":
            put(usl, i, u, "upper", "USL")
            put(lsl, i, l, "lower", "LSL")
        else:
            put(usl, i, _add(nom[i], u), "upper", "USL")  # type: ignore[arg-type]
            put(lsl, i, _add(nom[i], l), "lower", "LSL")  # type: ignore[arg-type]


def metadata_pairs(row: list[Any]) -> dict[str, str] | None:
    """``{"part_number": "X", ...}`` when a row is a header-block row of label/value pairs.

    Recognised: ``"Part number:" | "X"`` (a label ending in ``:``, or a known label followed by
    one value), several pairs on one row, and ``"Part number: X"`` in one cell (also after a
    CSV comment ``#``). Other rows give None.
    """
    cells = [(j, v) for j, v in enumerate(row) if v is not None]
    if not cells or not isinstance(cells[0][1], str):
        return None
    first = cells[0][1].strip().lstrip("#").strip()
    if len(cells) == 1:
        if ":" in first:
            k, _, v = first.partition(":")
            key = metadata_key(k)
            if key and v.strip():
                return {key: v.strip()}
        return None
    if len(cells) > 8:
        return None
    colon = first.endswith(":")
    if not colon and not (metadata_key(first) and len(cells) == 2
                          and heading_canonical(cells[1][1]) is None):
        return None
    out: dict[str, str] = {}
    i = 0
    while i < len(cells):
        lab = cells[i][1]
        if isinstance(lab, str) and (lab.strip().endswith(":") or metadata_key(lab)) and i + 1 < len(cells):
            key = metadata_key(lab) or norm_heading(lab).replace(" ", "_")
            out[key] = _cell_text(cells[i + 1][1])
            i += 2
        else:
            i += 1
    return out or None


def merge_sheet_specs(frames: list[pl.DataFrame], file: str) -> pl.DataFrame:
    """One spec row per feature from several sheets' specs; differing limits are a SpecError."""
    specs = pl.concat(frames)
    out: list[dict[str, Any]] = []
    by: dict[str, dict[str, Any]] = {}
    for r in specs.iter_rows(named=True):
        f = r["feature"]
        if f not in by:
            by[f] = dict(r)
            out.append(by[f])
            continue
        b = by[f]
        has_b = any(b[k] is not None for k in ("nominal", "lsl", "usl"))
        has_r = any(r[k] is not None for k in ("nominal", "lsl", "usl"))
        if has_b and has_r and any(b[k] != r[k] for k in ("nominal", "lsl", "usl")):
            raise SpecError(
                f"feature '{f}' has different specifications in different sheets: "
                f"{b['source']}: nominal {b['nominal']}, LSL {b['lsl']}, USL {b['usl']}; "
                f"{r['source']}: nominal {r['nominal']}, LSL {r['lsl']}, USL {r['usl']}", file=file)
        if not has_b and has_r:
            for k in ("nominal", "lsl", "usl", "source"):
                b[k] = r[k]
        for k in ("unit", "class", "lower_bound_zero"):
            if b[k] is None:
                b[k] = r[k]
    return pl.DataFrame(out, schema=SPEC_SCHEMA) if out else pl.DataFrame(schema=SPEC_SCHEMA)


def _placed(parse: Callable[..., Any], raw: Any, where: Callable[[], dict[str, Any]]) -> Any:
    """``parse(raw, **where())``, with the place made only when ``parse`` refuses the cell (the
    same value, or the same SpecError at that place)."""
    try:
        return parse(raw)
    except SpecError:
        return parse(raw, **where())


def specs_per_feature(
    frame: pl.DataFrame, fields: list[str], place: Place, heading: Callable[[str], str],
    source: Callable[[int, int], str] | None,
) -> tuple[pl.DataFrame, list[str]]:
    """Spec columns of a long table (repeated on every reading row) -> one spec row per feature.

    Parameters
    ----------
    frame : pl.DataFrame
        ``feature``, ``_i`` (0-based body row) and one column per spec field: numbers (Float64)
        for nominal/lsl/usl/tol…, text for unit/class/lower_bound_zero.
    fields : list[str]
        The spec fields present.
    place : Place
        ``place(field, i)``: InputError keywords of body row ``i``'s cell of ``field``.
    heading : callable
        The column heading of a field (for messages).
    source : callable or None
        ``source(first_i, last_i)`` -> the ``source`` text of a feature's spec.

    A field must hold one value per feature (blank cells ignored); a change between rows is a
    SpecError naming both rows.
    """
    for f in fields:
        bad = (frame.filter(pl.col(f).is_not_null()).group_by("feature", maintain_order=True)
               .agg(pl.col(f).n_unique().alias("k")).filter(pl.col("k") > 1))
        if bad.height:
            feat = bad["feature"][0]
            sub = frame.filter((pl.col("feature") == feat) & pl.col(f).is_not_null()).unique(
                subset=[f], keep="first", maintain_order=True).head(2)
            (v1, i1), (v2, i2) = [(r[f], r["_i"]) for r in sub.iter_rows(named=True)]
            p1, p2 = place(f, i1), place(f, i2)
            raise SpecError(
                f"the spec column '{heading(f)}' of feature '{feat}' changes between rows "
                f"{p1.get('row')} ({v1}) and {p2.get('row')} ({v2}); a feature's spec must be the "
                "same in every row", **p2)
    firsts = frame.group_by("feature", maintain_order=True).agg(
        *[pl.col(f).drop_nulls().first() for f in fields],
        *[pl.col("_i").filter(pl.col(f).is_not_null()).first().alias(f"_i_{f}") for f in fields],
        pl.col("_i").min().alias("_a"), pl.col("_i").max().alias("_b"))
    names = firsts["feature"].to_list()
    n = len(names)

    first_i = {f: firsts[f"_i_{f}"].to_list() for f in fields}  # as lists: looked up per feature
    first_a = firsts["_a"].to_list()

    def at(f: str, i: int) -> dict[str, Any]:
        k = first_i[f][i] if f in first_i else None
        return place(f, first_a[i] if k is None else k)

    num = {f: firsts[f].to_list() for f in fields if f in _NUMERIC_FIELDS}
    nom, lsl, usl, notes = resolve_limits(num, n, at, names=names, what="column")
    col = {f: firsts[f].to_list() if f in fields else [None] * n
           for f in ("unit", "class", "lower_bound_zero")}
    specs = pl.DataFrame(
        {"feature": names, "nominal": nom, "lsl": lsl, "usl": usl, "unit": col["unit"],
         "class": [_placed(normalize_class, v, lambda: at("class", i))
                   for i, v in enumerate(col["class"])],
         "lower_bound_zero": [_placed(parse_bool, v, lambda: at("lower_bound_zero", i))
                              for i, v in enumerate(col["lower_bound_zero"])],
         "source": [source(a, b) if source else None
                    for a, b in zip(first_a, firsts["_b"].to_list())]},
        schema=SPEC_SCHEMA)
    return specs, notes


# ---------------------------------------------------------------------------------------------
# --spec FILE
# ---------------------------------------------------------------------------------------------

#: Spec-file frame: SPEC_SCHEMA plus ``has_limits`` (the entry defines nominal/lsl/usl).
_SPEC_FILE_SCHEMA: dict[str, pl.DataType] = {**SPEC_SCHEMA, "has_limits": pl.Boolean()}


def read_spec_file(path: str | Path) -> pl.DataFrame:
    """Read a ``--spec`` file (CSV, XLSX or TOML; see the module docstring).

    Returns a frame with the columns of ``SPEC_SCHEMA`` plus ``has_limits`` (True when the entry
    gives nominal, limits or tolerances); ``source`` names the file and row / TOML table.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("spec file not found", file=str(p))
    if p.stat().st_size == 0:
        raise InputError("the spec file is empty", file=str(p))
    if p.suffix.lower() == ".toml":
        return _read_spec_toml(p)
    from pilotqa.read.grids import read_grids

    grids = read_grids(p)
    for sheet, rows in grids:
        df = _spec_table(rows, str(p), sheet)
        if df is not None:
            return df
    raise InputError(
        "no spec table found: expected a heading row with 'feature' and any of nominal, lsl, "
        "usl, +tol, -tol, tol, unit, class, lower_bound_zero",
        file=str(p),
    )


def _read_spec_toml(p: Path) -> pl.DataFrame:
    from pilotqa.util import MAX_TOML_LINE_CHARS, toml_long_line, toml_module

    tomllib = toml_module()

    try:
        text = p.read_text(encoding="utf-8-sig")
        long_line = toml_long_line(text)
        if long_line:  # (tomllib is quadratic in a dotted key's parts)
            raise InputError(f"longer than {MAX_TOML_LINE_CHARS:,} characters; not a spec file",
                             file=str(p), line=long_line)
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as exc:  # ValueError: an
        # integer of more than 4,300 digits (Python's conversion limit)
        raise InputError(f"not a valid TOML file: {exc}", file=str(p)) from None
    feats = doc.get("features")
    if not isinstance(feats, dict) or not feats:
        raise InputError("expected tables [features.NAME] with nominal/lsl/usl or tol_plus/"
                         "tol_minus, unit, class, lower_bound_zero", file=str(p))
    allowed = {"nominal", "lsl", "usl", "tol_plus", "tol_minus", "tol", "unit", "class",
               "lower_bound_zero"}
    names = list(feats)
    fields: dict[str, list[Any]] = {k: [None] * len(names) for k in allowed}
    for i, name in enumerate(names):
        entry = feats[name]
        if not isinstance(entry, dict):
            raise SpecError("expected a table of spec values", file=str(p), column=f"features.{name}")
        for k, v in entry.items():
            if k not in allowed:
                raise SpecError(f"unknown key '{k}'; allowed: {', '.join(sorted(allowed))}",
                                file=str(p), column=f"features.{name}.{k}")
            fields[k][i] = v
    rows = [[n] + [fields[k][i] for k in sorted(allowed)] for i, n in enumerate(names)]
    heading = ["feature"] + sorted(allowed)
    df = _spec_from_table(heading, rows, file=str(p), sheet=None,
                          place_of=lambda col, i: {"file": str(p),
                                                   "column": f"features.{names[i]}.{col}"},
                          source_of=lambda i: f"{p.name} [features.{names[i]}]")
    return df


def _spec_table(rows: list[list[Any]], file: str, sheet: str | None) -> pl.DataFrame | None:
    for r, row in enumerate(rows[:50]):
        canon = [heading_canonical(c) for c in row]
        if any(c and c[0] == "feature" for c in canon) and any(
            c and c[0] in _SPEC_FIELDS for c in canon
        ):
            heading = [str(c) if c is not None else "" for c in row]
            body = [x for x in rows[r + 1:] if any(v not in (None, "") for v in x)]
            idx = [k + r + 2 for k, x in enumerate(rows[r + 1:]) if any(v not in (None, "") for v in x)]
            name = Path(file).name
            sh = f", sheet '{sheet}'" if sheet else ""
            return _spec_from_table(
                heading, body, file=file, sheet=sheet,
                place_of=lambda col, i: {"file": file, "sheet": sheet, "row": idx[i], "column": col},
                source_of=lambda i: f"{name}{sh}, row {idx[i]}",
            )
    return None


def _spec_from_table(
    heading: list[str], body: list[list[Any]], *, file: str, sheet: str | None,
    place_of: Callable[[str, int], dict[str, Any]], source_of: Callable[[int], str],
) -> pl.DataFrame:
    cols: dict[str, int] = {}
    for j, h in enumerate(heading):
        c = heading_canonical(h)
        if c and c[0] in (*_SPEC_FIELDS, "feature") and c[0] not in cols:
            cols[c[0]] = j
    n = len(body)
    cell = [[row[j] if j < len(row) else None for row in body] for j in range(len(heading))]

    def col_name(field: str) -> str:
        return heading[cols[field]] if field in cols else field

    names = []
    for i in range(n):
        v = cell[cols["feature"]][i]
        if v is None or str(v).strip() == "":
            raise SpecError("feature name is blank", **place_of(col_name("feature"), i))
        names.append(str(v).strip())
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        i = names.index(dup[0])
        raise SpecError(f"feature '{dup[0]}' is listed twice in the spec file",
                        **place_of(col_name("feature"), names.index(dup[0], i + 1)))
    num: dict[str, list[Any]] = {}
    for f in ("nominal", "lsl", "usl", "tol_plus", "tol_minus", "tol", "upper", "lower"):
        if f in cols:
            num[f] = [parse_spec_number(cell[cols[f]][i], **place_of(col_name(f), i))
                      for i in range(n)]
    nom, lsl, usl, _ = resolve_limits(
        num, n, lambda f, i: place_of(col_name(f), i), names=names, what="column")
    has_limits = [any(num[f][i] is not None for f in num) for i in range(n)]
    unit = [None if "unit" not in cols or cell[cols["unit"]][i] in (None, "")
            else str(cell[cols["unit"]][i]).strip() for i in range(n)]
    klass = [normalize_class(cell[cols["class"]][i], **place_of(col_name("class"), i))
             if "class" in cols else None for i in range(n)]
    lbz = [parse_bool(cell[cols["lower_bound_zero"]][i], **place_of(col_name("lower_bound_zero"), i))
           if "lower_bound_zero" in cols else None for i in range(n)]
    return pl.DataFrame(
        {"feature": names, "nominal": nom, "lsl": lsl, "usl": usl, "unit": unit,
         "class": klass, "lower_bound_zero": lbz, "source": [source_of(i) for i in range(n)],
         "has_limits": has_limits},
        schema=_SPEC_FILE_SCHEMA,
    )


def merge_specs(base: pl.DataFrame, extra: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Complete/override ``base`` (export specs, SPEC_SCHEMA) with a spec file's frame.

    See the module docstring for the rules. Features are matched by exact name, else by a
    unique case- and space-insensitive match. Returns the merged specs (base order, then
    nothing new: features without readings are not added) and notes.
    """
    notes: list[str] = []
    key = {" ".join(f.lower().split()): f for f in base["feature"].to_list()}
    present = set(base["feature"].to_list())
    rows = {r["feature"]: r for r in base.iter_rows(named=True)}
    unused: list[str] = []
    renamed: list[str] = []
    for e in extra.iter_rows(named=True):
        f = e["feature"]
        if f not in present:
            alt = key.get(" ".join(f.lower().split()))
            if alt is None:
                unused.append(f)
                continue
            renamed.append(f"'{f}' -> '{alt}'")
            f = alt
        r = rows[f]
        base_src = r["source"]
        base_has = any(r[k] is not None for k in ("nominal", "lsl", "usl"))
        if e["has_limits"]:
            differ = any(r[k] != e[k] for k in ("nominal", "lsl", "usl"))
            for k in ("nominal", "lsl", "usl"):
                r[k] = e[k]
            r["source"] = (f"{e['source']} (overriding {base_src})" if base_has and differ
                           and base_src else e["source"])
        completed = [k for k in ("unit", "class", "lower_bound_zero")
                     if e[k] is not None and r[k] != e[k]]
        for k in completed:
            r[k] = e[k]
        if completed and not e["has_limits"]:
            r["source"] = (f"{base_src}; {', '.join(completed)} from {e['source']}" if base_src
                           else e["source"])
    if renamed:
        notes.append("spec file features matched ignoring case/spaces: " + ", ".join(renamed))
    if unused:
        notes.append("spec file lists features that have no readings (ignored): " + ", ".join(unused))
    merged = pl.DataFrame([rows[f] for f in base["feature"].to_list()], schema=SPEC_SCHEMA) \
        if rows else base
    return merged, notes
