"""Layout control for spreadsheet readers: rows that are not the heading row, and what to say
when detection fails.

Shop sheets put rows around the heading row that detection must step over:

* a **balloon row** above the characteristic names — the drawing's balloon numbers (``1 2 3``,
  ``(1)``, ``①``), optionally labelled ``Balloon``/``Char No.``/``Item`` in its first cell;
* an **"Actual" sub-header row** under the heading (or under the spec rows) of a wide sheet —
  every characteristic column says ``Actual``/``Measured``/``Ist``…, the part column is blank.

:data:`LAYOUTS` are the values of ``--layout``; ``--header-row N`` names the heading row (1-based,
as a spreadsheet shows it). :func:`tried_rows` formats the rows detection tried for the message
that suggests both options.
"""
from __future__ import annotations

import re
from typing import Any

from pilotqa.read.specs import norm_heading
from pilotqa.read.vocabulary import REPORT_ROLES, synonyms

__all__ = ["LAYOUTS", "HINT", "is_balloon_row", "is_reading_subheader", "tried_rows"]

#: ``--layout`` values: long, wide, characteristic-per-row report, AS9102 Form 3
LAYOUTS: tuple[str, ...] = ("long", "wide", "charrows", "as9102")
#: what a detection-failure message suggests
HINT = ("name the heading row with --header-row N (as the spreadsheet numbers it) or the layout "
        "with --layout long|wide|charrows|as9102")

_BALLOON_LABELS = frozenset(norm_heading(w) for w in REPORT_ROLES["balloon"])
_BALLOON_RE = re.compile(r"^[(\[]?\d{1,4}[a-z]?[)\]]?$|^[\u2460-\u2473\u24f5-\u24fe\u2776-\u277f]$",
                         re.IGNORECASE)
_READING_WORDS = frozenset({norm_heading(w) for w in synonyms("value")} | {
    "actual", "actuals", "measured", "results", "result", "readings", "measured values",
    "actual values", "ist", "ist-werte", "istwerte", "messwerte"})


def _balloon_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and 0 < v < 10000):
        return True
    return isinstance(v, str) and _BALLOON_RE.match(v.strip()) is not None


def is_balloon_row(row: list[Any]) -> bool:
    """Balloon numbers (two or more) and blanks, optionally after a balloon label in the first
    non-empty cell.

    >>> is_balloon_row([None, None, 1, 2, 3]), is_balloon_row(["Balloon", "(1)", "(2)"])
    (True, True)
    >>> is_balloon_row(["S1", 10.01, 10.02]), is_balloon_row(["Serial", "Bore", "Length"])
    (False, False)
    """
    cells = [v for v in row if v is not None and not (isinstance(v, str) and not v.strip())]
    if cells and isinstance(cells[0], str) and norm_heading(cells[0]) in _BALLOON_LABELS:
        cells = cells[1:]
    return len(cells) >= 2 and all(_balloon_number(v) for v in cells)


def is_reading_subheader(row: list[Any], key_col: int) -> bool:
    """A row under the headings whose cells (beyond the part column ``key_col``, which is blank
    or says the same) all say Actual / Measured / Ist … — a label of the readings below.

    >>> is_reading_subheader([None, None, "Actual", "Actual"], 0)
    True
    >>> is_reading_subheader(["S1", None, 10.01, 10.02], 0)
    False
    """
    cells = [(j, v) for j, v in enumerate(row) if v is not None and str(v).strip()]
    words = [v for j, v in cells if j != key_col]
    key = row[key_col] if key_col < len(row) else None
    if key is not None and str(key).strip() and norm_heading(key) not in _READING_WORDS:
        return False
    return bool(words) and all(isinstance(v, str) and norm_heading(v) in _READING_WORDS
                               for v in words)


def tried_rows(rows0: list[int], limit: int = 12) -> str:
    """``rows 1-4, 6, 9`` for 0-based row indices (as a spreadsheet numbers them).

    >>> tried_rows([0, 1, 2, 3, 5, 8])
    'rows 1-4, 6, 9'
    """
    if not rows0:
        return "no rows"
    nums = sorted({r + 1 for r in rows0})
    runs: list[list[int]] = []
    for n in nums:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return ("rows " if len(nums) > 1 else "row ") + ", ".join(parts[:limit]) + more
