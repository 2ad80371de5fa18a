"""Gauge evidence for the release decision: what a ``pilotqa.msa/1`` result says about a
characteristic's measurement system, and the process spread with the gauge's variance removed.

Pure functions; ``pilotqa analyze --msa RESULT.json`` reads the evidence with them and the release
decision (:mod:`pilotqa.decide.verdict`) uses it:

* :func:`load_msa_results` reads one or more ``pilotqa.msa/1`` documents and returns one
  :class:`GaugeEvidence` per characteristic name (the name matches the capability analysis'
  ``feature``);
* :func:`process_sigma` removes the measurement variance from an observed standard deviation,
  σ²_process = σ²_observed − σ²_GRR (AIAG MSA 4th ed. ch. I §E, "observed variance = actual
  process variance + measurement system variance"; Montgomery, *Introduction to Statistical
  Quality Control* 8th ed. §8.7, σ²_total = σ²_P + σ²_gauge).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

from pilotqa.errors import InputError
from pilotqa.results import GaugeEvidence  # the typed result the decision reads (defined upstream)
from pilotqa.stats.capability import process_sigma  # the one implementation (the decision uses it too)

__all__ = ["GaugeEvidence", "load_msa_results", "process_sigma", "evidence_from_document"]


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def evidence_from_document(doc: dict[str, Any], source: str = "") -> list[GaugeEvidence]:
    """The evidence of every characteristic of one ``pilotqa.msa/1`` document.

    Raises
    ------
    InputError
        The document is not a ``pilotqa.msa/1`` document.
    """
    if not isinstance(doc, dict) or doc.get("schema") != "pilotqa.msa/1":
        raise InputError("not a pilotqa.msa/1 document (its \"schema\" key differs)",
                         file=source or None)
    k = _num(((doc.get("settings") or {}).get("criteria") or {}).get("study_var")) or 6.0
    out = []
    for c in doc.get("characteristics") or []:
        if not isinstance(c, dict) or not isinstance(c.get("feature"), str):
            raise InputError("a characteristic without a feature name", file=source or None)
        method = str(c.get("method"))
        if method == "type1":
            pct, n, sigma = None, None, _num(c.get("sd"))
        else:
            pct = _num((c.get("pct_tolerance") or {}).get("grr"))
            n = c.get("ndc") if isinstance(c.get("ndc"), int) else None
            sigma = _num(c.get("grr"))
        out.append(GaugeEvidence(
            feature=c["feature"], method=method, pct_grr_tolerance=pct, ndc=n,
            verdict=str(c.get("verdict")), sigma_grr=sigma,
            source=f"{source}: {c.get('source', '')}" if source else str(c.get("source", "")),
            study_var=k, reasons=tuple(str(r) for r in c.get("reasons") or [])))
    return out


def load_msa_results(paths: Iterable[str | Path]) -> dict[str, GaugeEvidence]:
    """Gauge evidence by characteristic name from ``pilotqa.msa/1`` JSON files.

    A name found in two results is an error (say which result applies by removing one).

    Raises
    ------
    InputError
        Unreadable or non-msa JSON, or a characteristic given twice — naming the files.

    Examples
    --------
    >>> load_msa_results([])
    {}
    """
    out: dict[str, GaugeEvidence] = {}
    for p in paths:
        path = Path(p)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the MSA result: {exc}", file=str(path)) from None
        for ev in evidence_from_document(doc, str(path)):
            if ev.feature in out:
                raise InputError(f"characteristic '{ev.feature}' has gauge results in two files "
                                 f"({out[ev.feature].source.split(': ')[0]} and {path})",
                                 file=str(path))
            out[ev.feature] = ev
    return out


