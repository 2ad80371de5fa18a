"""Typed errors raised by the pilotqa library; the CLI maps them to exit code 2 in one place.

Hierarchy::

    PilotqaError
      InputError(file, sheet, row, column)   bad or unreadable input data
      SpecError                              inconsistent / missing specification
      PolicyError(key)                       bad policy file or value
      OutputError(path)                      an output folder or file that cannot be written
      InsufficientDataError(n, needed)       too little data for a requested computation
    PilotqaWarning                           pilotqa's own warnings (errors in the test-suite)
"""
from __future__ import annotations

__all__ = [
    "PilotqaError",
    "InputError",
    "SpecError",
    "PolicyError",
    "OutputError",
    "InsufficientDataError",
    "PilotqaWarning",
    "location",
]


def location(
    file: str | None = None,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    line: int | None = None,
) -> str:
    """Human-readable place: ``file.xlsx, sheet 'Lot 1', row 12, column 'Bore A'``."""
    parts: list[str] = []
    if file:
        parts.append(str(file))
    if sheet is not None:
        parts.append(f"sheet '{sheet}'")
    if line is not None:
        parts.append(f"line {line}")
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column '{column}'")
    return ", ".join(parts)


class PilotqaError(Exception):
    """Base class of every error pilotqa raises on purpose (exit code 2 in the CLI)."""


class InputError(PilotqaError):
    """Bad input data, with its place.

    ``row`` is the 1-based row as a spreadsheet program shows it (header row = 1 in a CSV),
    ``line`` the 1-based line in a text file; ``column`` the column's heading or letter.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.line = line
        where = location(file, sheet, row, column, line)
        super().__init__(f"{where}: {message}" if where else message)


class SpecError(InputError):
    """Specification problem: LSL >= USL, missing spec for a feature, ambiguous tolerances."""


class PolicyError(PilotqaError):
    """Bad policy file or value; ``key`` names the offending key (dotted path)."""

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None) -> None:
        self.key = key
        self.file = file
        prefix = ", ".join(p for p in [file or "", f"key '{key}'" if key else ""] if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class OutputError(PilotqaError):
    """An output folder or file that cannot be used (dangling link, a path under a file, not
    writable, a folder where a file should go); ``path`` names it. Bad usage: exit 2."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class InsufficientDataError(PilotqaError):
    """Too little data: ``n`` available, ``needed`` required."""

    def __init__(self, message: str, *, n: int, needed: int) -> None:
        self.n = n
        self.needed = needed
        super().__init__(message)


class PilotqaWarning(UserWarning):
    """A warning raised by pilotqa itself."""
