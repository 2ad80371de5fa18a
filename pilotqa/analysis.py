"""The pipeline: Inspection -> statistics -> decisions -> the ``pilotqa.analysis/1`` document.

:func:`analyze` is the one call the CLI (and a library user) makes; it does no file I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pilotqa.model import FeatureResult, Inspection
from pilotqa.settings import Settings

if TYPE_CHECKING:
    from pilotqa.decide.policy import Policy

__all__ = ["AnalysisResult", "analyze"]


@dataclass
class AnalysisResult:
    """Everything one analysis produced; ``document`` is its JSON serialisation."""

    inspection: Inspection
    settings: Settings
    policy: "Policy"
    features: list[FeatureResult]
    inspection_plan: list[dict[str, Any]]
    overall: str
    generated_at: datetime
    decision_settings: dict[str, Any] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)


def analyze(
    insp: Inspection,
    settings: Settings | None = None,
    policy: "Policy | None" = None,
    *,
    generated_at: datetime | None = None,
) -> AnalysisResult:
    """Run statistics and decisions for every feature of ``insp``.

    Parameters
    ----------
    insp : the canonical inspection (from :func:`pilotqa.read.read`).
    settings : analysis options (defaults: :class:`pilotqa.settings.Settings`).
    policy : release policy (defaults: the built-in policy).
    generated_at : timestamp recorded in the document (default: now, UTC).
    """
    from pilotqa.decide import decide
    from pilotqa.decide.policy import load_policy
    from pilotqa.report.json import build_document
    from pilotqa.stats import compute

    settings = settings or Settings()
    policy = policy or load_policy(None)
    features = compute(insp, settings)
    summary = decide(features, insp, settings, policy)
    for fr in features:
        # the class decisions used (spec, --critical, or the policy's default) is the feature's class
        evidence = (fr.doc.get("decision") or {}).get("evidence") or {}
        if evidence.get("class"):
            fr.doc["class"] = evidence["class"]
            fr.doc["class_source"] = evidence.get("class_source")
    result = AnalysisResult(
        inspection=insp,
        settings=settings,
        policy=policy,
        features=features,
        inspection_plan=summary.inspection_plan,
        overall=summary.overall,
        generated_at=generated_at or datetime.now(timezone.utc).replace(microsecond=0),
        decision_settings=summary.settings,
    )
    result.document = build_document(result)
    return result
