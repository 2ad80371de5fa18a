"""Measurement system analysis: gauge studies beside the capability study (``pilotqa msa``).

Modules: :mod:`~pilotqa.msa.model` (the study), :mod:`~pilotqa.msa.read` and
:mod:`~pilotqa.msa.kfields` (long / wide tables, AQDEF GC files), :mod:`~pilotqa.msa.stats` and
:mod:`~pilotqa.msa.intervals` (Type 1, GR&R by ANOVA and by ranges, MLS intervals),
:mod:`~pilotqa.msa.document` (the ``pilotqa.msa/1`` JSON), :mod:`~pilotqa.msa.figures` and
:mod:`~pilotqa.msa.report` (HTML, XLSX, safe writing), :mod:`~pilotqa.msa.effect` (gauge evidence
for the release decision).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from pilotqa.msa.document import Method, build_document
from pilotqa.msa.read import ReadSettings, read_studies
from pilotqa.msa.stats import Criteria

__all__ = ["Criteria", "ReadSettings", "run_msa"]


def run_msa(inputs: Sequence[str | Path], settings: ReadSettings = ReadSettings(),
            method: Method = "auto", criteria: Criteria = Criteria()) -> dict[str, Any]:
    """Read every gauge study in ``inputs`` and return the ``pilotqa.msa/1`` document."""
    studies, notes, files = read_studies([Path(p) for p in inputs], settings)
    overrides = {k: v for k, v in (("tolerance", settings.tolerance), ("lsl", settings.lsl),
                                   ("usl", settings.usl), ("reference", settings.reference))
                 if v is not None}
    return build_document(studies, files=files, notes=notes, method=method, criteria=criteria,
                          overrides=overrides)
