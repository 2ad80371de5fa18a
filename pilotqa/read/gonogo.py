"""Go/no-go (attribute) readings: the token table and the helpers every reader calls.

A thread gauge, a pin gauge or a visual check gives a verdict per part, not a number: ``OK`` /
``NOK``, ``pass`` / ``fail``, ``i.O.`` / ``n.i.O.`` … A column (wide layout), a characteristic
(long layout, characteristic-per-row report) whose every non-blank reading is such a token is an
**attribute characteristic**: it is read into :attr:`pilotqa.model.Inspection.attribute_readings`
(one row per part: ``conforming`` True/False and the ``raw`` cell), never dropped and never a
reason to refuse the file. Numbers and tokens mixed in one characteristic stay an
:class:`~pilotqa.errors.InputError` naming the cell.

The token table (one place; extend :data:`TOKENS` / :data:`GATED_TOKENS`)
    Cells are matched case- and language-insensitively after :func:`token_key`: case folded,
    blanks, dots, hyphens, underscores and slashes removed — ``n.i.O.``, ``N I O`` and ``nio``
    are one key; ``no-go``, ``No Go`` and ``NOGO`` another.

    * :data:`TOKENS` are go/no-go verdicts wherever they appear: OK/NOK (not OK), pass/fail,
      i.O./n.i.O. (in Ordnung), IO/NIO, G/NG (no good), go/no-go, accept/reject, good/bad,
      gut/schlecht, conforming/nonconforming (conforme/non conforme), ✓/✗, 合格/不合格, 良/不良.
    * :data:`GATED_TOKENS` are read as verdicts **only** in a column (or characteristic) whose
      heading says it holds go/no-go results (:func:`heading_says_gonogo`: go/no-go, OK/NOK,
      pass/fail, i.O., attribute, Lehre (gauge), visual/Sicht …): ``1``/``0``, ``y``/``n``,
      ``yes``/``no``, ``ja``/``nein``, ``P``/``F``, TRUE/FALSE. Elsewhere a 0/1 column is a
      measured count and a yes/no column may mean "defect present? yes" — reading those as
      verdicts would invert them. In a go/no-go column ``1``, ``yes``, ``P``, TRUE mean
      *conforming* (the part passed the check). A heading that names only the failing state
      ("Defect", "Reject", "NOK", "Fehler") does not open the gate: ``1`` there would mean the
      opposite, and the column stays numeric.
    * Not in the table on purpose: a lone ``x`` (a tick on one form, a cross on another).

Blank and not-measured cells (:data:`pilotqa.read.cells.MISSING_TOKENS`) in a go/no-go column are
parts not checked: left out of the characteristic's readings and counted in a note.

Reader hooks. Inside a reader, go/no-go rows travel with the measurement rows (value null) and
carry two extra columns, :data:`RAW_COL` (the cell) and :data:`OK_COL` (conforming), so that the
reader's lot, sequence and sheet handling applies to them unchanged; :func:`split` then moves
them out of the measurements (and their spec rows out of the specs) into the attribute-readings
frame just before the :class:`~pilotqa.model.Inspection` is built.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import polars as pl

from pilotqa.errors import InputError
from pilotqa.model import ATTRIBUTE_READING_SCHEMA, Inspection
from pilotqa.read.cells import MISSING_TOKENS, parse_cell

__all__ = [
    "TOKENS", "GATED_TOKENS", "RAW_COL", "OK_COL", "CLASS_COL", "GoNoGo", "token_key",
    "heading_says_gonogo", "classify", "read_cells", "long_readings", "long_readings_frame",
    "LongGoNoGoFrame", "attach", "split",
    "rows_back", "readings_frame", "has_attribute_data", "SUMMARY_HEADINGS", "is_summary_heading",
    "summary_note", "report_readings",
]

#: go/no-go token (after :func:`token_key`) -> conforming. Read as a verdict in any column.
TOKENS: dict[str, bool] = {
    # English
    "ok": True, "okay": True, "nok": False, "notok": False, "nonok": False,
    "pass": True, "passed": True, "fail": False, "failed": False,
    "go": True, "nogo": False, "good": True, "nogood": False, "bad": False, "g": True, "ng": False,
    "accept": True, "accepted": True, "acc": True, "reject": False, "rejected": False, "rej": False,
    "conforming": True, "conform": True, "nonconforming": False, "notconforming": False,
    "inspec": True, "outofspec": False,
    # German: in Ordnung / nicht in Ordnung, gut / schlecht
    "io": True, "inordnung": True, "nio": False, "nichtinordnung": False, "gut": True,
    "schlecht": False,
    # French, Spanish, Italian, Portuguese
    "conforme": True, "nonconforme": False, "noconforme": False, "naoconforme": False,
    "pasa": True, "nopasa": False,
    # symbols
    "✓": True, "✔": True, "☑": True, "✗": False, "✘": False, "☒": False, "✕": False,
    # Chinese / Japanese: pass / fail, good / defective
    "合格": True, "不合格": False, "良": True, "不良": False, "良品": True, "不良品": False,
}

#: Tokens read as verdicts only under a go/no-go heading (:func:`heading_says_gonogo`).
GATED_TOKENS: dict[str, bool] = {
    "1": True, "0": False, "y": True, "n": False, "yes": True, "no": False, "ja": True, "j": True,
    "nein": False, "p": True, "f": False, "true": True, "false": False, "wahr": True, "falsch": False,
    "oui": True, "non": False, "si": True, "sí": True,
}

_PASS_WORDS = re.compile(r"(?:^| )(?:go|ok|pass|i o|io|accept|gut|g ng)(?: |$)|go ?no ?go|gonogo|attribut|"
                         r"lehre|visual|sicht|go nogo|ok ?nok|pass ?fail|i o n i o")

#: Headings of columns that hold a whole-part verdict or a remark, not a characteristic: a
#: "Result"/"Status" column of OK/NOK summarises the other columns (reading it as a characteristic
#: would count each defect twice), a "Remarks" column of "OK" is a comment. Such a column is not
#: read as a go/no-go characteristic; :func:`summary_note` names its failing rows instead.
SUMMARY_HEADINGS: frozenset[str] = frozenset({
    "result", "results", "status", "overall", "overall result", "part result", "total", "verdict",
    "disposition", "decision", "ergebnis", "gesamtergebnis", "befund", "gesamt", "remarks", "remark",
    "comment", "comments", "note", "notes", "bemerkung", "bemerkungen", "kommentar", "anmerkung",
    "operator", "inspector", "prufer", "prüfer", "werker", "initials", "signature", "resultat", "résultat",
})

#: internal reader columns (removed by :func:`split`)
RAW_COL, OK_COL, CLASS_COL = "_go_raw", "_go_ok", "_go_class"

_KEY_STRIP = re.compile(r"[\s._\-/\u00a0]+")
_ZERO_ONE = re.compile(r"^[+]?([01])(?:[.,]0*)?$")


def token_key(raw: Any) -> str | None:
    """Normalised form of a cell for the token tables (None for a blank cell or another number).

    >>> [token_key(x) for x in ("n.i.O.", " No-Go ", "OK", 1, 0.0, "1,0", True, 2.5)]
    ['nio', 'nogo', 'ok', '1', '0', '1', 'true', None]
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)):
        return ("1" if raw == 1 else "0") if raw in (0, 1) else None
    s = str(raw).strip().casefold()
    m = _ZERO_ONE.match(s)
    if m:
        return m.group(1)
    return _KEY_STRIP.sub("", s)


def heading_says_gonogo(heading: Any) -> bool:
    """Does a column heading (or characteristic name) say its readings are go/no-go verdicts?

    True for go/no-go, OK/NOK, pass/fail, i.O./n.i.O., attribute, Lehre, visual/Sicht …; False
    for a heading naming only the failing state (Defect, Reject, NOK, Fehler), where a 1 would
    mean *nonconforming*.

    >>> [heading_says_gonogo(h) for h in ("Thread go/no-go", "OK/NOK", "Gewindelehre", "Defects", "Count")]
    [True, True, True, False, False]
    """
    if heading is None:
        return False
    h = " ".join(re.sub(r"[^\w]+", " ", str(heading).casefold().replace("_", " ")).split())
    return bool(_PASS_WORDS.search(h))


def is_summary_heading(heading: Any) -> bool:
    """A heading of a whole-part verdict or remark column (:data:`SUMMARY_HEADINGS`)."""
    if heading is None:
        return False
    return " ".join(re.sub(r"[^\w]+", " ", str(heading).casefold()).split()) in SUMMARY_HEADINGS


def summary_note(cells: Sequence[Any], heading: Any, rows1: Sequence[int], where: str) -> str | None:
    """For a summary column (:func:`is_summary_heading`) of go/no-go tokens: a note naming the
    spreadsheet rows whose verdict is nonconforming, so that no NOK disappears unmentioned."""
    if not is_summary_heading(heading):
        return None
    bad = [r for v, r in zip(cells, rows1) if not _blank(v) and classify(v, True) is False]
    if not bad or any(not _blank(v) and classify(v, True) is None for v in cells):
        return None
    shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
    return (f"{where} '{heading}' is a whole-part verdict column, not read as a characteristic; "
            f"it marks {len(bad)} part{'s' if len(bad) != 1 else ''} nonconforming (row{'s' if len(bad) != 1 else ''} "
            f"{shown}): check that a characteristic explains {'them' if len(bad) != 1 else 'it'}")


def classify(raw: Any, gated: bool) -> bool | None:
    """Conforming (True), nonconforming (False) or not a go/no-go token (None)."""
    key = token_key(raw)
    if key is None:
        return None
    if key in TOKENS:
        return TOKENS[key]
    if gated and key in GATED_TOKENS:
        return GATED_TOKENS[key]
    return None


def _blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and raw != raw:
        return True
    return isinstance(raw, str) and raw.replace("\u00a0", " ").strip().lower() in MISSING_TOKENS


@dataclass(frozen=True)
class GoNoGo:
    """The go/no-go readings of one column or characteristic: per cell conforming (None = not
    checked: blank / N/A) and the cell as written."""

    conforming: tuple[bool | None, ...]
    raw: tuple[str | None, ...]

    @property
    def not_checked(self) -> int:
        return sum(c is None for c in self.conforming)


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def read_cells(cells: Sequence[Any], heading: Any, *, skip_summary: bool = True) -> GoNoGo | None:
    """The go/no-go readings of a column or characteristic, or None when it is not one.

    It is one when at least one cell is non-blank and every non-blank cell is a token of
    :data:`TOKENS` (or of :data:`GATED_TOKENS` when :func:`heading_says_gonogo` says so of
    ``heading``). A column of 0/1 under a go/no-go heading must also hold no other number. A
    column headed like a whole-part verdict or a remark (:func:`is_summary_heading`) is not one
    unless ``skip_summary`` is False (a long table's characteristic named "Status").
    """
    if skip_summary and is_summary_heading(heading):
        return None
    gated = heading_says_gonogo(heading)
    out: list[bool | None] = []
    seen = False
    for v in cells:
        if _blank(v):
            out.append(None)
            continue
        c = classify(v, gated)
        if c is None:
            return None
        out.append(c)
        seen = True
    if not seen:
        return None
    return GoNoGo(tuple(out), tuple(None if c is None else _text(v) for v, c in zip(cells, out)))


@dataclass(frozen=True)
class LongGoNoGo:
    """Go/no-go readings found in the value column of a long table (one entry per body row)."""

    cells: list[Any]  #: the value cells with go/no-go cells blanked (for the numeric parser)
    mask: pl.Series  #: True where the row is a go/no-go reading (of an attribute characteristic)
    raw: list[str | None]
    ok: list[bool | None]

    def columns(self) -> list[pl.Series]:
        """The internal go/no-go columns for the reader's measurement frame."""
        return [pl.Series(RAW_COL, self.raw, dtype=pl.String), pl.Series(OK_COL, self.ok, dtype=pl.Boolean)]


def long_readings(cells: Sequence[Any], features: Sequence[str],
                  place: Callable[[int], dict[str, Any]], prefix: Callable[[int], str]) -> LongGoNoGo:
    """Per characteristic of a long table: are all its readings go/no-go tokens?

    ``cells`` are the value cells and ``features`` the feature name of each row; the feature name
    acts as the heading for the gated tokens. A characteristic whose readings mix numbers and
    tokens is an :class:`~pilotqa.errors.InputError` at its first token cell (``place(i)`` gives
    file/sheet/row/column of row ``i``, ``prefix(i)`` the "cell B7: " text).
    """
    by_feat: dict[str, list[int]] = {}
    for i, f in enumerate(features):
        by_feat.setdefault(f, []).append(i)
    raw: list[str | None] = [None] * len(cells)
    ok: list[bool | None] = [None] * len(cells)
    mask = [False] * len(cells)
    out_cells = list(cells)
    for f, idx in by_feat.items():
        sub = [cells[i] for i in idx]
        if not any(isinstance(v, str) for v in sub) and not heading_says_gonogo(f):
            continue  # all numbers (fast path): a measured characteristic
        got = _long_feature(f, idx, sub, place, prefix)
        if got is None:
            continue
        for i, c, r in zip(idx, got.conforming, got.raw):
            mask[i] = True
            out_cells[i] = None
            ok[i], raw[i] = c, r
    return LongGoNoGo(out_cells, pl.Series("go", mask, dtype=pl.Boolean), raw, ok)


def _long_feature(f: str, idx: Sequence[int], sub: Sequence[Any], place: Callable[[int], dict[str, Any]],
                  prefix: Callable[[int], str]) -> GoNoGo | None:
    """The go/no-go readings of one characteristic of a long table (rows ``idx``, cells ``sub``),
    None when it is measured; numbers mixed with tokens are an InputError at the first token."""
    got = read_cells(sub, f, skip_summary=False)
    if got is not None:
        return got
    gated = heading_says_gonogo(f)
    tok = [k for k, v in enumerate(sub) if not _blank(v) and classify(v, gated) is not None]
    if tok:
        num = [k for k, v in enumerate(sub) if not _blank(v) and isinstance(parse_cell(v), float)]
        if num:
            k = tok[0]
            raise InputError(f"{prefix(idx[k])}'{_text(sub[k])}' is a go/no-go (attribute) result, but "
                             f"characteristic '{f}' also has measured values (e.g. "
                             f"'{_text(sub[num[0]])}'); one characteristic holds either "
                             "numbers or go/no-go results", **place(idx[k]))
    return None


@dataclass(frozen=True)
class LongGoNoGoFrame:
    """:class:`LongGoNoGo` as whole columns (:func:`long_readings_frame`)."""

    values: pl.Series  #: the value cells with go/no-go cells nulled (for the numeric parser)
    mask: pl.Series  #: True where the row is a go/no-go reading
    raw: pl.Series
    ok: pl.Series

    def columns(self) -> list[pl.Series]:
        """The internal go/no-go columns for the reader's measurement frame."""
        return [self.raw.alias(RAW_COL), self.ok.alias(OK_COL)]


def long_readings_frame(cells: pl.Series, features: pl.Series, place: Callable[[int], dict[str, Any]],
                        prefix: Callable[[int], str]) -> LongGoNoGoFrame:
    """:func:`long_readings` on String columns (a CSV read by polars), with the same result and
    errors: only characteristics whose heading opens the gated tokens or that hold a non-blank
    cell polars does not read as a number go through the per-cell code. (A text polars reads
    as a number — digits, sign, point, exponent, inf/nan — is never a key of :data:`TOKENS`, so
    the other characteristics are measured ones, as :func:`long_readings` finds.)"""
    n = len(cells)
    odd = cells.is_not_null() & cells.str.strip_chars().cast(pl.Float64, strict=False).is_null()
    feats = features.unique(maintain_order=True).to_list()
    cand = set(features.filter(odd).unique().to_list())
    cand.update(f for f in feats if f not in cand and heading_says_gonogo(f))
    raw = pl.repeat(None, n, dtype=pl.String, eager=True)
    ok = pl.repeat(None, n, dtype=pl.Boolean, eager=True)
    if not cand:
        return LongGoNoGoFrame(cells, pl.repeat(False, n, dtype=pl.Boolean, eager=True).alias("go"), raw, ok)
    sel = pl.DataFrame([features.alias("f"), cells.alias("v")]).with_row_index("i").filter(
        pl.col("f").is_in(pl.Series(list(cand), dtype=pl.String).implode()))
    by_feat: dict[str, tuple[list[int], list[Any]]] = {f: ([], []) for f in feats if f in cand}
    for i, f, v in sel.iter_rows():
        by_feat[f][0].append(i)
        by_feat[f][1].append(v)
    hit_i: list[int] = []
    hit_raw: list[str | None] = []
    hit_ok: list[bool | None] = []
    for f, (idx, sub) in by_feat.items():
        got = _long_feature(f, idx, sub, place, prefix)
        if got is not None:
            hit_i += idx
            hit_raw += got.raw
            hit_ok += got.conforming
    mask = pl.repeat(False, n, dtype=pl.Boolean, eager=True).alias("go")
    if hit_i:
        at = pl.Series(hit_i, dtype=pl.Int64)
        mask = mask.scatter(at, True)
        raw = raw.scatter(at, pl.Series(hit_raw, dtype=pl.String))
        ok = ok.scatter(at, pl.Series(hit_ok, dtype=pl.Boolean))
        cells = pl.select(pl.when(mask).then(None).otherwise(cells).alias(cells.name)).to_series()
    return LongGoNoGoFrame(cells, mask, raw, ok)


def attach(m: pl.DataFrame, columns: dict[str, tuple[GoNoGo, list[int]]]) -> pl.DataFrame:
    """Add the go/no-go columns to a wide sheet's unpivoted frame: ``columns`` maps a feature
    name to its readings and the body rows (``_order``) they belong to."""
    if not columns:
        return m
    rows = [(f, o, r, c) for f, (g, order) in columns.items() for o, r, c in zip(order, g.raw, g.conforming)]
    extra = pl.DataFrame({"feature": [x[0] for x in rows], "_order": [x[1] for x in rows],
                          RAW_COL: [x[2] for x in rows], OK_COL: [x[3] for x in rows]},
                         schema={"feature": pl.String, "_order": m.schema["_order"], RAW_COL: pl.String,
                                 OK_COL: pl.Boolean})
    return m.join(extra, on=["feature", "_order"], how="left")


def readings_frame(rows: list[dict[str, Any]]) -> pl.DataFrame | None:
    """An attribute-readings frame (:data:`~pilotqa.model.ATTRIBUTE_READING_SCHEMA`) from dicts."""
    if not rows:
        return None
    return pl.DataFrame([{k: r.get(k) for k in ATTRIBUTE_READING_SCHEMA} for r in rows],
                        schema=ATTRIBUTE_READING_SCHEMA)


def rows_back(insp: Inspection) -> pl.DataFrame:
    """The measurements of a sub-reader's Inspection with its go/no-go readings appended as
    reader rows (value null, :data:`RAW_COL`/:data:`OK_COL`/:data:`CLASS_COL`), so that the
    calling reader's lot and sequence handling applies to them; :func:`split` takes them out."""
    g = insp.attribute_readings
    if g is None or not g.height:
        return insp.measurements
    back = g.select(
        "part_id", "lot", "subgroup", "sequence", "timestamp", "feature",
        pl.lit(None, dtype=pl.Float64).alias("value"),
        pl.col("raw").alias(RAW_COL), pl.col("conforming").alias(OK_COL), pl.col("class").alias(CLASS_COL))
    return pl.concat([insp.measurements, back], how="diagonal_relaxed")


def split(meas: pl.DataFrame, specs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, list[str]]:
    """Move the go/no-go rows of a reader's measurement frame into an attribute-readings frame.

    Returns (measurements without them and without the internal columns, specs without the
    attribute characteristics, the attribute readings or None, notes). A characteristic is an
    attribute characteristic when any of its rows carries a verdict; its rows without one are
    parts not checked (counted in a note). Its class comes from the reader (:data:`CLASS_COL`)
    or else from its spec row.
    """
    if OK_COL not in meas.columns:
        return meas, specs, None, []
    feats = meas.filter(pl.col(OK_COL).is_not_null())["feature"].unique(maintain_order=True)
    internal = [c for c in (RAW_COL, OK_COL, CLASS_COL) if c in meas.columns]
    if not feats.len():
        return meas.drop(internal), specs, None, []
    is_go = pl.col("feature").is_in(feats.implode())
    go = meas.filter(is_go)
    notes: list[str] = []
    for f, k in (go.filter(pl.col(OK_COL).is_null()).group_by("feature", maintain_order=True).len()
                 .iter_rows()):
        notes.append(f"{f}: {k} part{'s' if k != 1 else ''} without a go/no-go result (blank / not "
                     "checked), left out of this characteristic")
    go = go.filter(pl.col(OK_COL).is_not_null())
    cls = specs.select("feature", pl.col("class").alias("_spec_class"))
    go = go.join(cls, on="feature", how="left")
    if CLASS_COL not in go.columns:
        go = go.with_columns(pl.lit(None, dtype=pl.String).alias(CLASS_COL))
    readings = go.select(
        "part_id", "lot", "subgroup", "sequence", "timestamp", "feature",
        pl.col(OK_COL).alias("conforming"), pl.col(RAW_COL).alias("raw"),
        pl.coalesce(pl.col(CLASS_COL), pl.col("_spec_class")).alias("class"))
    counts = readings.group_by("feature", maintain_order=True).agg(
        pl.len().alias("n"), (~pl.col("conforming")).sum().alias("x"))
    notes.append("go/no-go (attribute) characteristics, read from the token table of "
                 "pilotqa.read.gonogo: " + ", ".join(f"{f} ({x} of {n} nonconforming)"
                                                     for f, n, x in counts.iter_rows()))
    return (meas.filter(~is_go).drop(internal), specs.filter(~pl.col("feature").is_in(feats.implode())),
            readings, notes)


def has_attribute_data(insp: Inspection) -> bool:
    """True when the inspection holds go/no-go readings or AQDEF attribute counts (K2004 = 1)
    that :mod:`pilotqa.stats.attributes` analyses — a file without measured values is then
    still analysable."""
    if insp.attribute_readings is not None and insp.attribute_readings.height:
        return True
    a = insp.attributes
    return a is not None and a.filter(pl.col("char_type").is_null() | (pl.col("char_type") == 1)).height > 0


def report_readings(go_rows: dict[str, tuple[GoNoGo, str | None]], parts: Sequence[str],
                    lots: Sequence[str | None], stamps: Sequence[Any]) -> tuple[pl.DataFrame | None, list[str]]:
    """The attribute readings of a characteristic-per-row report: ``go_rows`` maps a
    characteristic to its row's readings (one per serial column) and its class; ``parts``,
    ``lots``, ``stamps`` describe the serial columns (sequence = column order 1…n)."""
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for feat, (g, cls) in go_rows.items():
        for j, (ok, raw) in enumerate(zip(g.conforming, g.raw)):
            if ok is None:
                continue
            rows.append({"part_id": parts[j], "lot": lots[j], "subgroup": None, "sequence": j + 1,
                         "timestamp": stamps[j], "feature": feat, "conforming": ok, "raw": raw, "class": cls})
        if g.not_checked:
            notes.append(f"{feat}: {g.not_checked} serial{'s' if g.not_checked != 1 else ''} without a go/no-go "
                         "result (blank / not checked), left out of this characteristic")
    return readings_frame(rows), notes


def apply_spec_file(extra: pl.DataFrame, insp: Inspection) -> tuple[pl.DataFrame, Inspection, list[str]]:
    """A ``--spec`` file's entries for go/no-go characteristics: their class goes to the attribute
    readings (the spec file overrides the export, as for measured characteristics), limits are
    ignored with a note (a verdict has no limits). Returns the spec-file frame without those
    entries (the rest goes to :func:`pilotqa.read.specs.merge_specs`), the inspection and notes.
    Names match exactly, else case- and space-insensitively."""
    from dataclasses import replace

    from pilotqa.read.specs import normalize_class

    g = insp.attribute_readings
    if g is None or not g.height or not extra.height:
        return extra, insp, []
    feats = g["feature"].unique(maintain_order=True).to_list()
    key = {" ".join(f.lower().split()): f for f in feats}
    hits: dict[str, str | None] = {}
    notes: list[str] = []
    keep: list[bool] = []
    for r in extra.iter_rows(named=True):
        f = r["feature"] if r["feature"] in feats else key.get(" ".join(str(r["feature"]).lower().split()))
        keep.append(f is None)
        if f is None:
            continue
        hits[f] = normalize_class(r.get("class"), file=r.get("source"), column=f"class of '{f}'")
        if r.get("has_limits"):
            notes.append(f"spec file gives limits for go/no-go characteristic '{f}': ignored (a verdict has no limits)")
    if not hits:
        return extra, insp, []
    cls = {f: c for f, c in hits.items() if c is not None}
    if cls:
        g = g.with_columns(pl.col("feature").replace_strict(cls, default=pl.col("class"), return_dtype=pl.String)
                           .alias("class"))
        notes.append("class from the spec file for go/no-go characteristic(s): "
                     + ", ".join(f"{f} = {c}" for f, c in cls.items()))
    return extra.filter(pl.Series(keep, dtype=pl.Boolean)), replace(insp, attribute_readings=g), notes
