"""Header-block metadata and cell-text helpers of the characteristic-per-row reader.

A characteristic-per-row inspection report (:mod:`pilotqa.read.charrows`) carries a header
block above its table (``Part number: HSG-4711``, ``Revision: C`` …) and often signature or
remark lines below it. :func:`read_metadata` turns those label/value pairs into the
Inspection's metadata; :func:`norm_label`, :func:`is_blank` and :func:`display_text` are the
small cell helpers the reader shares with it. This module must not import
:mod:`pilotqa.read.charrows` (which imports it).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pilotqa.read.specs import metadata_key
from pilotqa.read.vocabulary import LOT_LABELS as _LOT_LABELS
from pilotqa.read.vocabulary import REPORT_METADATA_LABELS

__all__ = ["LOT_LABELS", "UNIT_IN_HEADING_RE", "display_text", "is_blank", "is_label", "norm_label",
           "read_metadata"]

#: Labels of a lot (header block, or a row between table header and data).
LOT_LABELS = _LOT_LABELS
#: Header-block labels beyond :data:`pilotqa.read.specs.METADATA_LABELS` -> metadata key.
_META_LABELS: dict[str, str] = REPORT_METADATA_LABELS
_LABEL_RE = re.compile(r"^\s*([^\W\d_][\w .#/()&\-]{0,40}?)\s*:\s*(.*)$", re.DOTALL)
_FIELD_NO_RE = re.compile(r"^\d{1,2}\.?\s+")
#: A unit in parentheses in a heading, e.g. ``Nominal (mm)``.
UNIT_IN_HEADING_RE = re.compile(r"\((mm|µm|um|μm|in|inch|°|deg)\)", re.IGNORECASE)


def norm_label(v: Any) -> str:
    """Heading/label normalised for lookup: lower case, one space, − → -, no trailing ':' '.'."""
    if v is None:
        return ""
    s = str(v).replace("\u2212", "-").replace("\u2013", "-").replace("\u00a0", " ")
    s = UNIT_IN_HEADING_RE.sub("", s)
    s = re.sub(r"\s+", " ", s).strip().lower().rstrip(":").strip()
    if len(s) > 1 and s.endswith(".") and s not in {"#."}:
        s = s[:-1]
    return re.sub(r"\.(?=\s|$)", "", s) if s not in {"-", "+"} else s


def is_blank(v: Any) -> bool:
    """True for an empty cell (None or whitespace-only text)."""
    return v is None or (isinstance(v, str) and not v.strip())


def display_text(v: Any) -> str:
    """A cell as display text (numbers without a spurious .0, dates as ISO)."""
    if isinstance(v, datetime):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return re.sub(r"\s+", " ", str(v)).strip()


def is_label(v: Any) -> bool:
    """True when ``v`` is a known header-block label (``Part number``, ``Rev level`` …; an
    AS9102 field number in front, ``1. Part Number``, is ignored)."""
    if not isinstance(v, str):
        return False
    bare = _FIELD_NO_RE.sub("", norm_label(v))
    return bare in _META_LABELS or metadata_key(bare) is not None


def read_metadata(rows: list[list[Any]], first: int, last: int, meta: dict[str, str],
                  header: bool) -> None:
    """Label/value pairs of rows[first:last] into ``meta`` (first occurrence wins).

    Pairs are ``Label: value`` in one cell, a label cell (ending in ':' or a known label) and
    the next non-empty cell of its row, or a row of known labels with the values below them.
    In the header block (``header``) a lone text cell before any label is the title.
    """

    def put(label: str, value: Any) -> None:
        n = norm_label(label)
        n = _FIELD_NO_RE.sub("", n)  # AS9102: "1. Part Number"
        key = _META_LABELS.get(n) or metadata_key(n) or re.sub(r"[^a-z0-9]+", "_", n).strip("_")
        if not header and key in {"notes", "note", "remarks", "remark", "comments", "comment"}:
            return  # free text below the table is not metadata
        if not key or is_blank(value) or re.fullmatch(r"[\s_.\-…]*", display_text(value)):
            return  # an empty signature line ("Approved by: ______") carries no value
        meta.setdefault(key, display_text(value))

    skip: set[tuple[int, int]] = set()
    for r in range(first, min(last, len(rows))):
        row = rows[r]
        cells = [(c, v) for c, v in enumerate(row) if not is_blank(v)]
        # labels in one row, values below (a vertical header block)
        if (len(cells) >= 2 and all(is_label(v) for _, v in cells)
                and r + 1 < last and r + 1 < len(rows)):
            below = rows[r + 1]
            for c, v in cells:
                if c < len(below) and not is_blank(below[c]):
                    put(v, below[c])
                    skip.add((r + 1, c))
            continue
        i = 0
        while i < len(cells):
            c, v = cells[i]
            if (r, c) in skip:
                i += 1
                continue
            if isinstance(v, str):
                m = _LABEL_RE.match(v)
                if m and m.group(2).strip():
                    put(m.group(1), m.group(2).strip())
                    i += 1
                    continue
                if (m or is_label(v)) and i + 1 < len(cells):
                    nv = cells[i + 1][1]
                    if not (isinstance(nv, str) and (_LABEL_RE.match(nv) or is_label(nv))):
                        put(m.group(1) if m else v, nv)
                        i += 2
                        continue
                if not m and "title" not in meta and header and len(cells) == 1 and not meta:
                    meta["title"] = display_text(v)
            i += 1
