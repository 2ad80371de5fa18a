"""Readers: every supported export -> :class:`pilotqa.model.Inspection`.

Entry point :func:`read`. Format is chosen by content sniffing (see :mod:`pilotqa.read.detect`);
each format module exposes::

    FORMAT: str                                   # e.g. "aqdef"
    def sniff(path: Path, head: bytes) -> bool    # cheap content test on the first 64 KiB
    def read_path(path: Path, opts: ReadOptions) -> Inspection
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from pilotqa.model import Inspection

__all__ = ["ReadOptions", "read"]


@dataclass(frozen=True)
class ReadOptions:
    """Options that shape reading.

    sheet : read only this sheet of a workbook (default: every sheet with data).
    subgroup_size : form subgroups of N consecutive parts when the data has no subgroup column.
    column_map : ``{source heading (case-insensitive): canonical name}`` from ``--map``.
    spec_file : a CSV/XLSX/TOML spec file completing or overriding the export's specs.
    part, revision : override the part number / revision of the export's metadata.
    strict : raise on a data/specification problem (missing spec, LSL >= USL, no numeric data);
        False collects them in ``Inspection.details["problems"]`` (``pilotqa inspect``).
    by : stream columns named with ``--by``: a column of a long export with this heading is kept
        per reading (``Inspection.streams``) for the stream analysis.
    two_sided : characteristics (``--two-sided NAME``) kept two-sided although their name says
        form/orientation/location/runout and their lower limit is 0 (the GD&T rule of
        :func:`pilotqa.read.validate.finalize` would read them one-sided).
    header_row : the 1-based row holding the characteristic names or column headings
        (``--header-row``), overriding detection.
    layout : ``long``, ``wide``, ``charrows`` or ``as9102`` (``--layout``), overriding detection.
    """

    sheet: str | None = None
    subgroup_size: int | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    spec_file: str | None = None
    part: str | None = None
    revision: str | None = None
    strict: bool = True
    by: tuple[str, ...] = ()
    two_sided: tuple[str, ...] = ()
    header_row: int | None = None
    layout: str | None = None


def read(paths: Sequence[str | Path], opts: ReadOptions | None = None) -> Inspection:
    """Read one or more files and/or folders into one validated Inspection.

    Several inputs are combined in the order given (each file's lot defaults to its stem);
    folders are expanded to the supported files they hold, ordered by measurement time.
    """
    from pilotqa.model import combine
    from pilotqa.read.detect import read_inputs
    from pilotqa.read.validate import finalize

    opts = opts or ReadOptions()
    parts, skipped = read_inputs([Path(p) for p in paths], opts)
    insp = combine(parts)
    insp.notes = list(dict.fromkeys(insp.notes))  # one note per distinct text (many files/part)
    for path, why in skipped:
        insp.notes.append(f"skipped {path}: {why}")
    return finalize(insp, opts)
