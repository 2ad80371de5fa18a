"""The canonical inspection model: what every reader produces and every later stage reads.

* ``measurements`` — long frame, one row per reading, schema :data:`MEASUREMENT_SCHEMA`.
  ``value`` is null only for a reading the source explicitly marks as *not measured*
  (blank cell, "N/M", "N/A", a deleted AQDEF value …); the reader then adds a note saying so.
  A cell it cannot interpret is an :class:`~pilotqa.errors.InputError`, never a null.
* ``specs`` — one row per feature, schema :data:`SPEC_SCHEMA`; ``lsl``/``usl`` null = no limit
  on that side.
* ``attributes`` — optional attribute (go/no-go) data, schema :data:`ATTRIBUTE_SCHEMA`.
* ``attribute_readings`` — optional per-part go/no-go readings, schema
  :data:`ATTRIBUTE_READING_SCHEMA` (one row per part and attribute characteristic).
* ``metadata`` — part number, revision, description, supplier, operation, report date …
  (keys: ``part_number``, ``revision``, ``description``, ``supplier``, ``operation``, ``date``,
  plus anything else the export carries, all strings).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

__all__ = [
    "MEASUREMENT_SCHEMA",
    "STREAM_COLUMNS",
    "SPEC_SCHEMA",
    "ATTRIBUTE_SCHEMA",
    "ATTRIBUTE_READING_SCHEMA",
    "CLASSES",
    "SourceFile",
    "Inspection",
    "empty_measurements",
    "empty_specs",
    "sha256_file",
    "merge_metadata",
    "stream_key",
    "combine",
]

MEASUREMENT_SCHEMA: dict[str, pl.DataType] = {
    "part_id": pl.String(),
    "lot": pl.String(),
    "subgroup": pl.Int64(),
    "sequence": pl.Int64(),
    "timestamp": pl.Datetime("us"),
    "feature": pl.String(),
    "value": pl.Float64(),
}

#: Optional string columns of the measurements frame (after the canonical ones, in this order,
#: only when a reader has them): the process stream of each reading — fixture, nest (cavity),
#: spindle, machine, operator, gauge — that the stream analysis treats like ``lot``.
STREAM_COLUMNS: tuple[str, ...] = ("fixture", "nest", "spindle", "machine", "operator", "gauge")

SPEC_SCHEMA: dict[str, pl.DataType] = {
    "feature": pl.String(),
    "nominal": pl.Float64(),
    "lsl": pl.Float64(),
    "usl": pl.Float64(),
    "unit": pl.String(),
    "class": pl.String(),
    "lower_bound_zero": pl.Boolean(),
    "source": pl.String(),
}

ATTRIBUTE_SCHEMA: dict[str, pl.DataType] = {
    "feature": pl.String(),
    "lot": pl.String(),
    "subgroup": pl.Int64(),
    "timestamp": pl.Datetime("us"),
    "sample_size": pl.Int64(),
    "nonconforming": pl.Int64(),
    #: AQDEF K2004 characteristic type (1 attribute; 5/6 error-log sheet); null from other readers
    "char_type": pl.Int64(),
}

#: One go/no-go reading of one part (a cell OK/NOK, pass/fail, i.O./n.i.O. …, read through the
#: token table :data:`pilotqa.read.gonogo.TOKENS`): ``conforming`` True = accepted, False =
#: nonconforming; ``raw`` the cell as written; ``class`` the characteristic class the export
#: gives (null when none). Parts that have only such readings still count as parts.
ATTRIBUTE_READING_SCHEMA: dict[str, pl.DataType] = {
    "part_id": pl.String(),
    "lot": pl.String(),
    "subgroup": pl.Int64(),
    "sequence": pl.Int64(),
    "timestamp": pl.Datetime("us"),
    "feature": pl.String(),
    "conforming": pl.Boolean(),
    "raw": pl.String(),
    "class": pl.String(),
}

#: Allowed characteristic classes, most severe first.
CLASSES: tuple[str, ...] = ("critical", "major", "minor")


def empty_measurements() -> pl.DataFrame:
    """An empty measurements frame with the canonical schema."""
    return pl.DataFrame(schema=MEASUREMENT_SCHEMA)


def empty_specs() -> pl.DataFrame:
    """An empty specs frame with the canonical schema."""
    return pl.DataFrame(schema=SPEC_SCHEMA)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class SourceFile:
    """One input file: its path as given, SHA-256, and the detected format/layout."""

    path: str
    sha256: str
    format: str


@dataclass
class Inspection:
    """Canonical inspection: measurements + specs + where they came from.

    Attributes
    ----------
    measurements : pl.DataFrame
        Schema :data:`MEASUREMENT_SCHEMA`.
    specs : pl.DataFrame
        Schema :data:`SPEC_SCHEMA`; exactly one row per feature in ``measurements``.
    layout : str
        ``long``, ``wide``, ``characteristic-rows``, ``aqdef``, ``pcdmis``, ``calypso`` or
        ``mixed`` when several inputs had different layouts.
    files : list[SourceFile]
    metadata : dict[str, str]
    notes : list[str]
        Everything the reader assumed or counted (e.g. "3 cells 'N/M' counted as not measured").
    attributes : pl.DataFrame | None
        Sampled attribute counts (schema :data:`ATTRIBUTE_SCHEMA`: AQDEF K0020 sample size /
        K0021 number nonconforming per sample) or None.
    attribute_readings : pl.DataFrame | None
        Per-part go/no-go readings (schema :data:`ATTRIBUTE_READING_SCHEMA`) or None; their
        characteristics are not in ``specs`` (they have no limits) and their parts count in
        :attr:`n_parts`.
    details : dict
        Reader-specific description for ``pilotqa inspect`` (header row found, columns …).
    streams : tuple[str, ...]
        Stream columns of ``measurements`` beyond :data:`STREAM_COLUMNS` (a column named with
        ``--by``, kept as a String column after the recognised ones).
    """

    measurements: pl.DataFrame
    specs: pl.DataFrame
    layout: str
    files: list[SourceFile] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    attributes: pl.DataFrame | None = None
    details: dict[str, Any] = field(default_factory=dict)
    attribute_readings: pl.DataFrame | None = None
    streams: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Enforce the canonical column order and dtypes (cheap; catches reader bugs early).
        self.measurements = self.measurements.select(
            [pl.col(c).cast(t) for c, t in MEASUREMENT_SCHEMA.items()]
            + [pl.col(c).cast(pl.String) for c in STREAM_COLUMNS if c in self.measurements.columns]
            + [pl.col(c).cast(pl.String) for c in dict.fromkeys(self.streams)
               if c in self.measurements.columns and c not in STREAM_COLUMNS and c not in MEASUREMENT_SCHEMA]
        )
        self.specs = self.specs.select([pl.col(c).cast(t) for c, t in SPEC_SCHEMA.items()])
        if self.attributes is not None:
            self.attributes = self.attributes.select(
                [pl.col(c).cast(t) if c in self.attributes.columns else pl.lit(None, dtype=t).alias(c)
                 for c, t in ATTRIBUTE_SCHEMA.items()]
            )
        if self.attribute_readings is not None:
            self.attribute_readings = self.attribute_readings.select(
                [pl.col(c).cast(t) if c in self.attribute_readings.columns else pl.lit(None, dtype=t).alias(c)
                 for c, t in ATTRIBUTE_READING_SCHEMA.items()]
            )

    @property
    def feature_names(self) -> list[str]:
        """Feature names in spec order."""
        return self.specs["feature"].to_list()

    @property
    def lots(self) -> list[str]:
        """Distinct lots in order of first appearance (by sequence), of measured and go/no-go
        checked parts."""
        frames = [f.select("sequence", "lot") for f in (self.measurements, self.attribute_readings)
                  if f is not None and f.height]
        if not frames:
            return []
        return pl.concat(frames).sort("sequence", maintain_order=True)["lot"].unique(maintain_order=True).drop_nulls().to_list()

    @property
    def n_parts(self) -> int:
        """Number of distinct parts (lot, part_id), measured or only go/no-go checked."""
        keys = [f.select("lot", "part_id") for f in (self.measurements, self.attribute_readings)
                if f is not None and f.height]
        return int(pl.concat(keys).select(pl.struct("lot", "part_id").n_unique()).item()) if keys else 0


def merge_metadata(dicts: list[dict[str, str]]) -> dict[str, str]:
    """Merge the metadata of several sheets or files without hiding disagreements.

    A key with one value keeps it; two or three different values are joined with `` / ``; more
    become ``first … last (N values)`` (e.g. the measurement date of 150 per-part CMM files).

    >>> merge_metadata([{"part_number": "A", "date": "d1"}, {"part_number": "A", "date": "d2"}])
    {'part_number': 'A', 'date': 'd1 / d2'}
    """
    values: dict[str, list[str]] = {}
    for d in dicts:
        for k, v in d.items():
            seen = values.setdefault(k, [])
            if v not in seen:
                seen.append(v)
    out: dict[str, str] = {}
    for k, vals in values.items():
        if len(vals) <= 3:
            out[k] = " / ".join(vals)
        else:
            out[k] = f"{vals[0]} … {vals[-1]} ({len(vals)} values)"
    return out


def stream_key(name: str) -> str:
    """Normalised name of a stream column (``--by``): lower case, inner blanks/hyphens → ``_``.

    >>> stream_key(" Press  No-2 ")
    'press_no_2'
    """
    import re

    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def combine(parts: list[Inspection]) -> Inspection:
    """Combine several inspections (one per input file) into one.

    Sequences are renumbered so the files follow each other in the order given; a file whose
    measurements carry no lot (lot null) gets its file stem as lot. Specs of the same feature must
    agree (else :class:`~pilotqa.errors.SpecError`); a feature specified only in some files takes
    that spec.
    """
    from pilotqa.errors import InputError, SpecError

    if len(parts) == 1:
        return parts[0]
    frames: list[pl.DataFrame] = []
    go_frames: list[pl.DataFrame] = []  # go/no-go readings, renumbered with their file's parts
    offset = 1  # sequences start at 1, as a single file's do
    for insp in parts:
        m = insp.measurements
        g = insp.attribute_readings if insp.attribute_readings is not None else None
        seqs = [f["sequence"].drop_nulls() for f in (m, g) if f is not None and f.height]
        if seqs and pl.concat(seqs).len():
            s = pl.concat(seqs)
            shift = offset - int(s.min())  # type: ignore[arg-type]
            m = m.with_columns((pl.col("sequence") + shift).alias("sequence"))
            g = g.with_columns((pl.col("sequence") + shift).alias("sequence")) if g is not None else None
            offset = int(s.max()) + shift + 1  # type: ignore[arg-type]
        if m["lot"].null_count() and insp.files:
            m = m.with_columns(pl.col("lot").fill_null(Path(insp.files[0].path).stem))
        if g is not None:
            if g["lot"].null_count() and insp.files:
                g = g.with_columns(pl.col("lot").fill_null(Path(insp.files[0].path).stem))
            go_frames.append(g)
        frames.append(m)
    names = [p.files[0].path if p.files else f"input {k + 1}" for k, p in enumerate(parts)]
    _check_readings_once(frames, names, InputError)
    # every spec row names its file, so that a problem found later can say where it came from;
    # a feature measured in a file without a spec there gets a spec-less row naming that file,
    # kept only when no file specifies the feature (placed last, as finalize would add it)
    sp = pl.concat([p.specs.with_columns(pl.col("source").fill_null(pl.lit(n)))
                    for p, n in zip(parts, names)])
    bare = [pl.DataFrame({"feature": f.filter(~f.is_in(p.specs["feature"].implode())), "source": n})
            for p, n, m in zip(parts, names, frames)
            if (f := m["feature"].unique(maintain_order=True).drop_nulls()).len()]
    bare_rows = pl.concat(bare).filter(~pl.col("feature").is_in(sp["feature"].implode())) if bare else None
    if bare_rows is not None and bare_rows.height:
        sp = pl.concat([sp, bare_rows.unique("feature", keep="first", maintain_order=True)],
                       how="diagonal_relaxed")
    # a file that gives a feature no nominal or limit does not contradict one that does
    given = pl.col("nominal").is_not_null() | pl.col("lsl").is_not_null() | pl.col("usl").is_not_null()
    specified = sp.filter(given)["feature"].implode()
    sp = sp.filter(given | ~pl.col("feature").is_in(specified))
    specs = sp.unique(subset=["feature", "nominal", "lsl", "usl"], keep="first", maintain_order=True)
    dup = specs.filter(pl.col("feature").is_duplicated())
    if dup.height:
        f = dup["feature"][0]
        rows = dup.filter(pl.col("feature") == f)
        raise SpecError(
            f"feature '{f}' has different specifications in different input files: "
            + "; ".join(
                f"{r['source']}: nominal {r['nominal']}, LSL {r['lsl']}, USL {r['usl']}"
                for r in rows.iter_rows(named=True)
            )
        )
    layouts = {p.layout for p in parts}
    meta = merge_metadata([p.metadata for p in parts])
    attrs = [p.attributes for p in parts if p.attributes is not None]
    return Inspection(
        measurements=pl.concat(frames, how="diagonal"),  # stream columns only some files have
        specs=specs,
        layout=layouts.pop() if len(layouts) == 1 else "mixed",
        files=[f for p in parts for f in p.files],
        metadata=meta,
        notes=[n for p in parts for n in p.notes],
        attributes=pl.concat(attrs) if attrs else None,
        attribute_readings=_go_readings_once(go_frames),
        details={"inputs": [p.details for p in parts]},
        streams=tuple(dict.fromkeys(c for p in parts for c in p.streams)),
    )


def _check_readings_once(frames: list[pl.DataFrame], names: list[str], error: type) -> None:
    """Each (lot, part, feature) is read once across the files: a repeat names both places."""
    keys = pl.concat([m.select("lot", "part_id", "feature").with_columns(pl.lit(k).alias("_f"))
                      for k, m in enumerate(frames)])
    dup = keys.filter(pl.struct("lot", "part_id", "feature").is_duplicated())
    if not dup.height:
        return
    r = dup.row(0, named=True)
    same = dup.filter((pl.col("lot") == r["lot"]) & (pl.col("part_id") == r["part_id"])
                      & (pl.col("feature") == r["feature"]))
    where = list(dict.fromkeys(names[k] for k in same["_f"].to_list()))
    what = f"part '{r['part_id']}' of lot '{r['lot']}' has {same.height} readings of feature '{r['feature']}'"
    if len(where) == 1:
        raise error(f"{what}; each part may have one reading per feature", file=where[0])
    raise error(f"{what}: in {' and '.join(where[:3])}{' …' if len(where) > 3 else ''}; each part "
                "may have one reading per feature (files of different lots need a lot column, "
                "or each file is its own lot only when the data names none)")


def _go_readings_once(frames: list[pl.DataFrame]) -> pl.DataFrame | None:
    """The go/no-go readings of several files, each (lot, part, characteristic) once: a repeat
    (the same part checked in two files of one lot) is an InputError naming it."""
    from pilotqa.errors import InputError

    if not frames:
        return None
    g = pl.concat(frames)
    dup = g.filter(pl.struct("lot", "part_id", "feature").is_duplicated())
    if dup.height:
        r = dup.row(0, named=True)
        raise InputError(f"part '{r['part_id']}' of lot '{r['lot']}' has more than one go/no-go result for "
                         f"'{r['feature']}' across the input files; each part may have one per characteristic "
                         "(files of different lots need a lot column, or each file is its own lot only when "
                         "the data names none)")
    return g
