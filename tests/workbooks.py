"""Test helper: write small XLSX workbooks with openpyxl (a real writer), sheet by sheet."""
from __future__ import annotations

from pathlib import Path
from typing import IO, Any, TypeVar

import openpyxl


_Target = TypeVar("_Target", Path, IO[bytes])


def write_xlsx(path: _Target, sheets: dict[str, list[list[Any]]],
               merges: dict[str, list[str]] | None = None) -> _Target:
    """Write ``sheets`` (name -> rows) to ``path`` (a file path or a binary stream), merging the
    given ranges per sheet (so merged cells are real), and return it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path
