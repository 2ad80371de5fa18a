"""The ``pilotqa.msa/1`` JSON document: one object per characteristic's gauge study.

Schema: ``pilotqa/schema/msa.schema.json``. Standard deviations are σ in measurement units
(``ev``, ``av``, ``interaction``, ``grr``, ``pv``, ``tv``); the spreads k·σ are under
``study_variation`` with k = ``settings.criteria.study_var``. Undefined numbers are null,
never NaN or Infinity (:func:`dumps` uses ``allow_nan=False``).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Sequence

from pilotqa.msa.model import GaugeStudy
from pilotqa.msa.stats import (
    COMPONENTS,
    Criteria,
    grr_anova,
    grr_range,
    grr_verdict,
    ndc,
    percentages,
    type1,
)
from pilotqa.util import json_safe

__all__ = ["SCHEMA_ID", "Method", "schema_path", "analyse_study", "build_document", "dumps",
           "write_json"]

SCHEMA_ID = "pilotqa.msa/1"
Method = Literal["auto", "anova", "range", "type1"]


def schema_path() -> Path:
    """Path of the JSON Schema of the document shipped with pilotqa."""
    return Path(__file__).resolve().parent.parent / "schema" / "msa.schema.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def analyse_study(study: GaugeStudy, method: Method = "auto",
                  criteria: Criteria = Criteria()) -> dict[str, Any]:
    """The characteristic object of one study (see the schema for every key).

    ``method`` chooses the GR&R method of a crossed study (``auto`` = ANOVA); a Type 1 study is
    always analysed as Type 1.
    """
    base: dict[str, Any] = {
        "feature": study.feature, "source": study.source, "unit": study.unit,
        "lsl": study.lsl, "usl": study.usl, "tolerance": study.tolerance,
    }
    notes = list(study.notes)
    if study.kind == "type1":
        r = type1(study.data, study.reference, study.tolerance, criteria)
        notes += list(r.notes)
        return {**base, "method": "type1", "study": "type1", "reference": r.reference,
                "n": r.n, "mean": r.mean, "sd": r.sd, "bias": r.bias, "bias_t": r.bias_t,
                "bias_p": r.bias_p, "cg": r.cg, "cgk": r.cgk,
                "pct_var_repeatability": r.pct_var_repeatability,
                "pct_var_repeatability_bias": r.pct_var_repeatability_bias,
                "verdict": r.verdict, "verdict_basis": "cg_cgk", "reasons": list(r.reasons),
                "notes": notes, "data": {"values": study.data.tolist()}}
    grr = grr_range(study.data, criteria) if method == "range" else grr_anova(study.data,
                                                                               criteria)
    notes += list(grr.notes)
    sig = grr.sigma
    pct = percentages(sig, study.tolerance, criteria.study_var)
    n_cat, n_exact = ndc(sig["pv"], sig["grr"])
    verdict, basis, reasons = grr_verdict(pct, n_cat, sig["grr"], criteria)
    a, p, t = study.shape
    return {
        **base, "method": grr.method, "study": "crossed", "appraisers": list(study.appraisers),
        "parts": list(study.parts), "trials": t, "n": a * p * t,
        **{k: sig[k] for k in COMPONENTS},
        "study_variation": {k: _times(criteria.study_var, sig[k]) for k in COMPONENTS},
        **pct,
        "ndc": n_cat, "ndc_exact": n_exact,
        "anova": grr.anova, "anova_pooled": grr.anova_pooled,
        "interaction_p": grr.interaction_p, "interaction_pooled": grr.interaction_pooled,
        "intervals": ({k: grr.intervals.get(k) for k in COMPONENTS} if grr.intervals else None),
        "range_stats": grr.range_stats,
        "verdict": verdict, "verdict_basis": basis, "reasons": reasons, "notes": notes,
        "data": {"values": study.data.tolist()},
    }


def build_document(studies: Sequence[GaugeStudy], *, files: Sequence[Path] = (),
                   notes: Sequence[str] = (), method: Method = "auto",
                   criteria: Criteria = Criteria(),
                   overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Assemble the ``pilotqa.msa/1`` document of a set of studies (JSON-safe)."""
    from pilotqa import __version__

    chars = [analyse_study(s, method, criteria) for s in studies]
    bad: list[str] = []
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "pilotqa", "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": {"files": [{"path": str(f), "sha256": _sha256(f),
                             "format": "aqdef" if f.suffix.lower() == ".dfq" else
                             f.suffix.lower().lstrip(".")} for f in files],
                  "notes": list(notes)},
        "settings": {"method": method, "criteria": criteria.to_json(),
                     "confidence_intervals": "MLS (Burdick, Borror & Montgomery 2005) for "
                                             "variance components; chi-square for repeatability",
                     "overrides": dict(overrides or {})},
        "characteristics": chars,
    }
    doc = json_safe(doc, "$", bad)
    if bad:
        doc["input"]["notes"].append("internal: non-finite numbers replaced by null at "
                                     + ", ".join(bad[:10]))
    return doc


def dumps(document: dict[str, Any]) -> str:
    """Serialise a document; raises ValueError if a NaN or Infinity slipped through."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write the document as UTF-8 JSON."""
    Path(path).write_text(dumps(document) + "\n", encoding="utf-8")


def _times(k: float, x: float | None) -> float | None:
    return None if x is None else k * x
