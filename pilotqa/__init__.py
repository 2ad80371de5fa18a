"""pilotqa — pilot-run statistical quality analyzer.

Public API (imported lazily so ``import pilotqa`` stays cheap)::

    from pilotqa import read, analyze
    insp = read(["export.xlsx"])            # -> pilotqa.model.Inspection
    result = analyze(insp)                  # -> pilotqa.analysis.AnalysisResult

Data flows one way: read -> model -> stats -> decide -> report.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "read", "analyze"]


def read(*args: Any, **kwargs: Any) -> Any:
    """Read inspection export(s) into an :class:`pilotqa.model.Inspection` (see :func:`pilotqa.read.read`)."""
    from pilotqa.read import read as _read

    return _read(*args, **kwargs)


def analyze(*args: Any, **kwargs: Any) -> Any:
    """Run the statistics and decision pipeline (see :func:`pilotqa.analysis.analyze`)."""
    from pilotqa.analysis import analyze as _analyze

    return _analyze(*args, **kwargs)
