"""The pipeline: Inspection -> statistics -> decisions -> one typed :class:`AnalysisResult`.

:func:`analyze` is the one call the CLI (and a library user) makes; it does no file I/O and
builds no document: the ``pilotqa.analysis/1`` JSON is written from the result by
:func:`pilotqa.report.json.build_document`, the HTML and XLSX read the same typed result.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

from pilotqa.decide.policy import Policy, load_policy
from pilotqa.decide.readiness import readiness
from pilotqa.decide.verdict import DecisionSummary, decide
from pilotqa.model import Inspection
from pilotqa.results import FeatureResult, GaugeEvidence, PlanEntry, Readiness, ReportMeta
from pilotqa.settings import Settings
from pilotqa.stats import compute

__all__ = ["AnalysisResult", "analyze"]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one analysis produced, typed: the inspection, the options, one
    :class:`~pilotqa.results.FeatureResult` per characteristic (spec order), the part's
    inspection plan and one-line statement, and the lot size the plans assume."""

    inspection: Inspection
    settings: Settings
    policy: Policy
    features: tuple[FeatureResult, ...]
    inspection_plan: tuple[PlanEntry, ...]
    overall: str
    lot_size: int
    lot_size_source: str
    generated_at: datetime
    #: the part-level answer (status, statement, kept/released characteristics, nonconforming serials)
    readiness: Readiness
    #: who prepared / approves the report (HTML and XLSX approval block only; no statistic uses it)
    report_meta: ReportMeta = ReportMeta()


def analyze(
    insp: Inspection,
    settings: Settings | None = None,
    policy: Policy | None = None,
    *,
    generated_at: datetime | None = None,
    gauges: Mapping[str, GaugeEvidence] | None = None,
) -> AnalysisResult:
    """Run statistics and decisions for every feature of ``insp``.

    Parameters
    ----------
    insp : the canonical inspection (from :func:`pilotqa.read.read`).
    settings : analysis options (defaults: :class:`pilotqa.settings.Settings`).
    policy : release policy (defaults: the built-in policy).
    generated_at : timestamp recorded in the document (default: now, UTC).
    gauges : gauge evidence by characteristic name (``pilotqa.msa.effect.load_msa_results``); an
        unacceptable gauge keeps its characteristic at 100 % (``verdict.check_gauge``).

    Raises
    ------
    pilotqa.errors.PolicyError
        Invalid settings, or ``settings.critical`` naming a characteristic that is not there.
    """
    settings = settings or Settings()
    policy = policy or load_policy(None)
    stats = compute(insp, settings)
    summary: DecisionSummary = decide(stats, insp, settings, policy, gauges)
    features = tuple(FeatureResult(stats=s, decision=d) for s, d in zip(stats, summary.decisions))
    return AnalysisResult(
        inspection=insp,
        settings=settings,
        policy=policy,
        features=features,
        inspection_plan=summary.inspection_plan,
        overall=summary.overall,
        lot_size=summary.lot_size,
        lot_size_source=summary.lot_size_source,
        generated_at=generated_at or datetime.now(timezone.utc).replace(microsecond=0),
        readiness=readiness(features),
    )
