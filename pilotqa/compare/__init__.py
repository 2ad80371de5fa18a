"""Before/after comparison of two pilot runs (``pilotqa compare``).

* :mod:`pilotqa.compare.stats` — two-sample statistics (Welch, F and Brown–Forsythe, Ppk with
  Bissell intervals and the delta-method interval of the difference, Holm).
* :mod:`pilotqa.compare.core` — :func:`compare`: both analyses, the per-characteristic comparison,
  the ``pilotqa.comparison/1`` document (schema ``pilotqa/schema/comparison.schema.json``).
* :mod:`pilotqa.compare.html`, :mod:`pilotqa.compare.xlsx`, :mod:`pilotqa.compare.outputs` —
  the offline HTML report, the workbook, and writing them safely.
"""
from __future__ import annotations

from pilotqa.compare.core import SCHEMA_ID, ComparisonResult, compare

__all__ = ["SCHEMA_ID", "ComparisonResult", "compare"]
