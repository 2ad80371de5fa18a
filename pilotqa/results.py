"""Typed results handed from ``stats`` to ``decide`` to ``report``.

Every per-characteristic result is a frozen dataclass whose field names are the keys of the
``pilotqa.analysis/1`` document (a field named ``class_`` is written as ``class``; a field whose
metadata says ``json=False`` — the plot series — is not written). The document itself is built in
exactly one place, :func:`pilotqa.report.json.build_document`; the report reads these objects by
attribute, so a misspelt field fails at type-check time (``mypy --strict``) or at the first test,
never silently as ``None``.

Lists are tuples (the objects are frozen); an interval is ``(low, high)``; an undefined number is
``None`` (never NaN/Infinity: the constructors in :mod:`pilotqa.stats` pass every float through
:func:`pilotqa.util.finite_or_none`).

:func:`from_mapping` builds one of these classes from a plain mapping (the shape the statistics
functions of :mod:`pilotqa.stats` return), checking every key against the class: an unknown or a
missing key raises ``TypeError`` naming it, so the statistics and their consumers cannot drift
apart unnoticed.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, TypeVar, Union

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Interval", "Normality", "Candidate", "Alternative", "Percentiles", "CapabilityModel",
    "Violation", "Stability", "Drift", "LotSummary", "TukeyPair", "LotEffect", "Resolution",
    "StreamSummary", "StreamTukeyPair", "StreamEffect",
    "Series", "FeatureStats", "OutOfSpec", "Readiness", "ReadinessItem", "NonconformingPart", "GaugeEvidence", "PartsNeeded", "Plan", "Evidence", "Decision", "FeatureResult", "PlanEntry",
    "ReportMeta",
    "from_mapping", "json_name", "VERDICTS",
]

#: A two-sided interval ``(low, high)``; either end may be undefined.
Interval = tuple[float | None, float | None]

#: The verdicts, "most inspection" first.
VERDICTS: tuple[str, ...] = ("keep_100", "attributes_plan", "variables_plan", "reduced_audit")


def _json(name: str) -> dict[str, Any]:
    """Field metadata: the JSON key differs from the Python name (``class_`` → ``class``)."""
    return {"json": name}


_NOT_JSON: dict[str, Any] = {"json": False}
#: Field metadata: left out of the JSON object when None (plan fields a method does not use).
_OMIT_NONE: dict[str, Any] = {"omit_none": True}


def json_name(f: dataclasses.Field[Any]) -> str | None:
    """JSON key of a dataclass field (None = not written to JSON)."""
    key = f.metadata.get("json", f.name)
    return None if key is False else str(key)


# ----------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Normality:
    """Normality tests of one characteristic (:func:`pilotqa.stats.distributions.normality`)."""

    ad_statistic: float | None
    ad_p_value: float | None
    sw_p_value: float | None
    normal: bool | None


@dataclass(frozen=True)
class Candidate:
    """One fitted distribution (AIC ranking, :func:`pilotqa.stats.distributions.fit_candidates`)."""

    distribution: str
    aic: float | None
    loglik: float | None
    ad_statistic: float | None
    n_params: int


@dataclass(frozen=True)
class Alternative:
    """A fitted model within the AIC window of the best: its percentile Ppk and interval."""

    distribution: str
    aic_delta: float | None
    ppk: float | None
    ppk_ci: Interval | None


@dataclass(frozen=True)
class Percentiles:
    """ISO 22514-2 percentiles of a fitted model (0.135 %, 50 %, 99.865 %)."""

    x0_135: float | None
    x50: float | None
    x99_865: float | None


@dataclass(frozen=True)
class CapabilityModel:
    """The model behind the decision indices (:func:`pilotqa.stats.distributions.capability_model`).

    ``decision_basis`` is ``"normal"`` (normal-theory indices) or ``"percentile"`` (a fitted
    non-normal model's ISO 22514-2 percentile indices, with ``ppk_ci`` by the delta method and
    ``alternatives`` within the AIC window).
    """

    distribution: str
    params: Mapping[str, float | None]
    method: str
    cp: float | None
    cpk: float | None
    pp: float | None
    ppk: float | None
    ppl: float | None
    ppu: float | None
    ppm_expected: float | None
    percentiles: Percentiles | None
    selection: str | None
    candidates: tuple[Candidate, ...]
    decision_basis: str
    reason: str
    ppk_ci: Interval | None = None
    ci_method: str | None = None
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class Violation:
    """One run-rule signal: chart (``x`` or ``range``), Nelson rule, 0-based point index, and the
    serial and 1-based point number a customer traces it by."""

    chart: str
    rule: int
    index: int
    #: serial of the signalling point's part (subgroup: its parts' serials, first … last)
    part_id: str | None = None
    #: 1-based number of the point as the chart shows it (an MR point is numbered by its later reading)
    point: int | None = None


@dataclass(frozen=True)
class OutOfSpec:
    """One pilot reading outside the tolerance: serial, lot, value, the limit it passed and which.

    For a go/no-go characteristic: a nonconforming part (``value`` and ``limit`` None, ``side``
    ``"nonconforming"``, ``reading`` the cell as written, e.g. ``"NOK"``)."""

    part_id: str
    lot: str | None
    value: float | None
    limit: float | None
    side: str  # "lower" (below LSL), "upper" (above USL) or "nonconforming" (go/no-go)
    reading: str | None = field(default=None, metadata=_OMIT_NONE)


@dataclass(frozen=True)
class Stability:
    """Control chart and Nelson rules (:func:`pilotqa.stats.stability.stability_all`)."""

    chart: str
    center: float | None
    lcl: float | None
    ucl: float | None
    range_center: float | None
    range_lcl: float | None
    range_ucl: float | None
    violations: tuple[Violation, ...]
    stable: bool | None
    sigma: float | None
    sigma_method: str
    rules: tuple[int, ...]
    range_rules: tuple[int, ...]
    nsigma: float
    phase: str
    n_points: int
    subgroup_size: int | None
    subgroup_sizes: tuple[int, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Drift:
    """Trend over the production sequence (:func:`pilotqa.stats.drift.drift_all`)."""

    slope: float | None
    intercept: float | None
    slope_ci: Interval | None
    p_value: float | None
    hac_maxlags: int | None
    mann_kendall_p: float | None
    kendall_tau: float | None
    n: int
    notes: tuple[str, ...]
    tolerance: float | None = None
    tolerance_basis: str | None = None
    sequence_span: int | None = None
    drift_pct_tolerance: float | None = None
    parts_to_limit: int | None = None
    significant: bool | None = None
    practically_relevant: bool | None = None


@dataclass(frozen=True)
class LotSummary:
    """One lot of one characteristic: size, mean, SD, Pp/Ppk, first sequence number."""

    lot: str
    n: int
    mean: float | None
    sd: float | None
    pp: float | None
    ppk: float | None
    first_sequence: int | None


@dataclass(frozen=True)
class TukeyPair:
    """One Tukey HSD comparison of two lots."""

    lot_a: str
    lot_b: str
    diff: float | None
    p_adj: float | None
    reject: bool


@dataclass(frozen=True)
class LotEffect:
    """Lot-to-lot analysis (:func:`pilotqa.stats.lots.lots_all`)."""

    k: int
    anova_f: float | None
    anova_p: float | None
    welch_f: float | None
    welch_p: float | None
    kruskal_p: float | None
    levene_p: float | None
    variance_test: str
    between_lot_share: float | None
    sigma_between: float | None
    sigma_within_lots: float | None
    sigma_bw: float | None
    var_between_truncated: bool | None
    cp_bw: float | None
    cpk_bw: float | None
    lot_mean_range: float | None
    lot_mean_range_pct_tolerance: float | None
    tolerance: float | None
    per_lot: tuple[LotSummary, ...]
    tukey: tuple[TukeyPair, ...]
    test_used: str | None
    significant: bool | None
    practically_relevant: bool | None
    notes: tuple[str, ...]

    @property
    def p_used(self) -> float | None:
        """p-value of the test that decided significance (``test_used``: Welch or classical ANOVA)."""
        return self.welch_p if self.test_used == "welch" else self.anova_p


@dataclass(frozen=True)
class StreamSummary:
    """One stream (fixture, nest, machine …) of one characteristic: size, mean, SD, Pp/Ppk with
    Ppk's Bissell interval, first sequence number."""

    stream: str
    n: int
    mean: float | None
    sd: float | None
    ppk: float | None
    ppk_ci: Interval | None
    pp: float | None = None
    first_sequence: int | None = None


@dataclass(frozen=True)
class StreamTukeyPair:
    """One Tukey HSD comparison of two streams (``diff`` = mean_a − mean_b)."""

    stream_a: str
    stream_b: str
    diff: float | None
    p_adj: float | None
    reject: bool


@dataclass(frozen=True)
class StreamEffect:
    """Stream analysis of one factor (:func:`pilotqa.stats.factors.streams_all`; the same
    computation as the lot analysis). ``stream`` is the stream whose mean lies farthest from the
    mean of the others, ``offset`` that distance (units, signed) and ``offset_pct_tolerance`` in
    % of the tolerance; ``between_share`` is the stream share of the total variance."""

    factor: str
    k: int
    anova_f: float | None
    anova_p: float | None
    welch_p: float | None
    levene_p: float | None
    between_share: float | None
    per_stream: tuple[StreamSummary, ...]
    significant: bool | None
    practically_relevant: bool | None
    stream: str | None
    offset: float | None
    offset_pct_tolerance: float | None
    tukey: tuple[StreamTukeyPair, ...]
    notes: tuple[str, ...]
    welch_f: float | None = None
    kruskal_p: float | None = None
    variance_test: str = "brown-forsythe"
    test_used: str | None = None
    sigma_between: float | None = None
    sigma_within: float | None = None
    sigma_bw: float | None = None
    var_between_truncated: bool | None = None
    cp_bw: float | None = None
    cpk_bw: float | None = None
    mean_range: float | None = None
    mean_range_pct_tolerance: float | None = None
    tolerance: float | None = None

    @property
    def p_used(self) -> float | None:
        """p-value of the test that decided significance (``test_used``: Welch or classical ANOVA)."""
        return self.welch_p if self.test_used == "welch" else self.anova_p


@dataclass(frozen=True)
class Resolution:
    """Gauge resolution against the tolerance (:func:`pilotqa.stats.resolution.resolution_all`)."""

    step: float | None
    pct_tolerance: float | None
    distinct_values: int | None
    adequate: bool | None
    step_method: str | None
    tolerance: float | None


@dataclass(frozen=True, eq=False)
class Series:
    """Arrays the report plots (not written to JSON), in time (sequence) order, nulls dropped.

    ``x_points``/``range_points`` are the X̄ (or I) and R/S/MR chart statistics per point (an MR
    chart has one point fewer); ``x_lcl`` … ``range_ucl`` the per-point limits (empty when no chart).
    """

    values: NDArray[np.float64]
    sequence: NDArray[np.int64]
    lot: tuple[str, ...]
    part_id: tuple[str, ...]
    x_points: NDArray[np.float64]
    range_points: NDArray[np.float64]
    x_lcl: NDArray[np.float64]
    x_ucl: NDArray[np.float64]
    range_lcl: NDArray[np.float64]
    range_ucl: NDArray[np.float64]
    #: stream label of every reading (aligned with ``values``) by factor, for the plot by stream
    streams: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> "Series":
        """No plotted data (a characteristic without readings, or a hand-built result)."""
        f = np.array([], dtype=np.float64)
        return cls(values=f, sequence=np.array([], dtype=np.int64), lot=(), part_id=(), x_points=f,
                   range_points=f, x_lcl=f, x_ucl=f, range_lcl=f, range_ucl=f)


@dataclass(frozen=True)
class FeatureStats:
    """Every statistic of one characteristic (:func:`pilotqa.stats.compute`).

    ``class_`` is the class given by the specification (None when the export has none); the class
    the decision used is :attr:`FeatureResult.class_`.
    """

    feature: str
    unit: str | None
    nominal: float | None
    lsl: float | None
    usl: float | None
    class_: str | None = field(metadata=_json("class"))
    lower_bound_zero: bool
    n: int
    n_missing: int
    n_out_of_spec: int
    n_subgroups: int | None
    subgroup_size: int | None
    mean: float | None
    sigma_within: float | None
    sigma_within_method: str | None
    df_within: float | None
    sigma_overall: float | None
    cp: float | None
    cpl: float | None
    cpu: float | None
    cpk: float | None
    pp: float | None
    ppl: float | None
    ppu: float | None
    ppk: float | None
    cpm: float | None
    target: float | None
    target_source: str | None
    cp_ci: Interval | None
    cpk_ci: Interval | None
    pp_ci: Interval | None
    ppk_ci: Interval | None
    confidence: float
    ppm_expected: float | None
    ppm_expected_model: str | None
    ppm_expected_normal: float | None
    ppm_expected_within: float | None
    ppm_observed: float | None
    normality: Normality
    capability_model: CapabilityModel | None
    stability: Stability | None
    drift: Drift | None
    resolution: Resolution | None
    lots: LotEffect | None
    notes: tuple[str, ...]
    #: "variable" (measured) or "attribute" (go/no-go)
    type: str = "variable"
    #: every reading outside the tolerance, by serial (time order)
    out_of_spec: tuple[OutOfSpec, ...] = ()
    #: stream analyses by factor (fixture, nest, machine …; ``--by``); empty without streams
    streams: Mapping[str, StreamEffect] = field(default_factory=dict)
    # go/no-go (type "attribute") only, left out of the JSON of a variable characteristic
    # (pilotqa.stats.attributes): x nonconforming of n, x/n, the one-sided Clopper–Pearson upper
    # bound on the nonconforming fraction, its confidence and method, the success-run sentence
    # and where the data came from (per-part readings or AQDEF sample counts)
    n_nonconforming: int | None = field(default=None, metadata=_OMIT_NONE)
    fraction_nonconforming: float | None = field(default=None, metadata=_OMIT_NONE)
    p_upper: float | None = field(default=None, metadata=_OMIT_NONE)
    p_upper_confidence: float | None = field(default=None, metadata=_OMIT_NONE)
    p_upper_method: str | None = field(default=None, metadata=_OMIT_NONE)
    success_run: str | None = field(default=None, metadata=_OMIT_NONE)
    attribute_source: str | None = field(default=None, metadata=_OMIT_NONE)
    series: Series = field(default_factory=Series.empty, metadata=_NOT_JSON)

    @property
    def individuals(self) -> bool:
        """True when the characteristic is charted as individuals (no rational subgroups)."""
        return self.sigma_within_method not in ("pooled", "rbar", "sbar")


# ----------------------------------------------------------------------------- decision
@dataclass(frozen=True)
class Plan:
    """A sampling plan (:mod:`pilotqa.decide.tables`) or the reduced audit.

    ``method``: ``variables`` (ANSI/ASQ Z1.9 / MIL-STD-414), ``attributes`` (ANSI/ASQ Z1.4),
    ``c0`` (Squeglia c = 0) or ``reduced_audit``. Fields a method does not use are None.
    """

    method: str
    sample_size: int
    lot_size: int
    rule_text: str
    standard: str | None = field(default=None, metadata=_OMIT_NONE)
    code_letter: str | None = None
    plan_letter: str | None = field(default=None, metadata=_OMIT_NONE)
    accept: int | None = field(default=None, metadata=_OMIT_NONE)
    reject: int | None = field(default=None, metadata=_OMIT_NONE)
    k: float | None = None
    aql: float | None = field(default=None, metadata=_OMIT_NONE)
    level: str | None = field(default=None, metadata=_OMIT_NONE)
    severity: str | None = field(default=None, metadata=_OMIT_NONE)
    arrow: str | None = None
    lot_range: str | None = field(default=None, metadata=_OMIT_NONE)
    hundred_percent: bool | None = field(default=None, metadata=_OMIT_NONE)
    pieces_per_lot: int | None = field(default=None, metadata=_OMIT_NONE)
    periodic_every: int | None = field(default=None, metadata=_OMIT_NONE)
    reaction_limits: Interval | None = field(default=None, metadata=_OMIT_NONE)
    form: int | None = field(default=None, metadata=_OMIT_NONE)
    m: float | None = field(default=None, metadata=_OMIT_NONE)
    m_upper: float | None = field(default=None, metadata=_OMIT_NONE)
    m_lower: float | None = field(default=None, metadata=_OMIT_NONE)
    aql_upper: float | None = field(default=None, metadata=_OMIT_NONE)
    aql_lower: float | None = field(default=None, metadata=_OMIT_NONE)


@dataclass(frozen=True)
class Evidence:
    """The numbers a decision rests on (one flat record per characteristic)."""

    class_: str = field(metadata=_json("class"))
    class_source: str
    n: int
    n_subgroups: int | None
    subgroups: bool
    sigma_within_method: str | None
    lots: int
    decision_basis: str
    normal: bool | None
    ppk: float | None
    ppk_lower: float | None
    cpk: float | None
    cpk_lower: float | None
    lower_bound: float | None
    required: float
    confidence: float
    bound_method: str
    bound_model: str | None
    stable: bool | None
    stability_accepted: bool | None
    stability_signals: int
    stability_signals_expected: float | None
    stability_signals_p: float | None
    drift_significant: bool | None
    drift_practically_relevant: bool | None
    drift_pct_tolerance: float | None
    lot_effect_significant: bool | None
    lot_effect_practically_relevant: bool | None
    lot_means_range_pct_tolerance: float | None
    lot_effect_test: str | None
    lot_effect_p: float | None
    resolution_adequate: bool | None
    n_out_of_spec: int
    lot_size: int
    lot_size_source: str
    aql: float
    #: the gauge study behind the characteristic (``analyze --msa``), None without one
    gauge_verdict: str | None = None
    gauge_pct_grr_tolerance: float | None = None
    gauge_ndc: int | None = None
    gauge_source: str | None = None
    #: Ppk with the gauge's variance removed, σ²_process = σ²_observed − σ²_GRR (shown, not decided on)
    ppk_process: float | None = None
    #: the stream effect that blocks (or the most pronounced one): factor, stream, offset
    stream_effect_significant: bool | None = None
    stream_effect_practically_relevant: bool | None = None
    stream_factor: str | None = None
    stream: str | None = None
    stream_offset: float | None = None
    stream_offset_pct_tolerance: float | None = None
    stream_effect_p: float | None = None
    #: go/no-go characteristics only (omitted otherwise; pilotqa.decide.attributes): x of n
    #: nonconforming, the upper bound p_upper at confidence p_upper_confidence against the class's
    #: ``attribute_max_p_upper`` (also in ``required``), and the parts that, checked with none
    #: nonconforming, would show p ≤ that requirement (success-run theorem, same confidence)
    n_nonconforming: int | None = field(default=None, metadata=_OMIT_NONE)
    p_upper: float | None = field(default=None, metadata=_OMIT_NONE)
    p_upper_confidence: float | None = field(default=None, metadata=_OMIT_NONE)
    attribute_max_p_upper: float | None = field(default=None, metadata=_OMIT_NONE)
    zero_failure_parts: int | None = field(default=None, metadata=_OMIT_NONE)


@dataclass(frozen=True)
class PartsNeeded:
    """How many parts (or subgroups) would let the capability bound reach the requirement.

    Attributes
    ----------
    total : int or None
        Total number of parts (``unit == "parts"``) or subgroups (``"subgroups"``), the current
        ones included, at which the bound would reach the requirement; None when not reachable.
    additional : int or None
        ``total`` minus what was measured.
    reachable : bool
        More parts (or subgroups) from the same process, measured the same way, can release the
        characteristic (if the point estimate holds).
    basis : str
        The formula and assumptions in one sentence, or why more parts will not do.
    if_unreachable : mapping or None
        When not reachable because of capability: ``index``, ``point_estimate``, ``required_point_estimate``
        (the estimate whose bound equals the requirement at the current n), ``centring_shift``
        (units, toward the centre / away from the limit; None for a fitted model without a
        location shift), ``centring_shift_pct_tolerance``, ``centring_sufficient``,
        ``sigma_reduction_pct`` (at the current mean), ``sigma_reduction_pct_if_centred``
        (both limits only) and ``text``. When kept for other reasons: ``reasons``.
    unit : str
        ``"parts"`` or ``"subgroups"``.
    subgroup_size : int or None
        Parts per subgroup when ``unit == "subgroups"``.
    """

    total: int | None
    additional: int | None
    reachable: bool
    basis: str
    if_unreachable: Mapping[str, Any] | None = None
    unit: str = "parts"
    subgroup_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"total", "additional", "reachable", "basis", "if_unreachable", "unit", "subgroup_size"}``."""
        return {"total": self.total, "additional": self.additional, "reachable": self.reachable,
                "basis": self.basis,
                "if_unreachable": dict(self.if_unreachable) if self.if_unreachable is not None else None,
                "unit": self.unit, "subgroup_size": self.subgroup_size}

    def sentence(self) -> str:
        """One sentence for the report's verdict box."""
        if self.reachable and self.total is not None and self.additional is not None:
            what = self.unit if self.unit == "parts" else f"subgroups of {self.subgroup_size}"
            return (f"About {self.additional} more {what} ({self.total} in total) from the same process would let "
                    "the bound reach the requirement if the estimate holds (a median-type figure: about half "
                    "of such pilots get there).")
        if self.if_unreachable and self.if_unreachable.get("text"):
            return str(self.if_unreachable["text"])
        return self.basis


@dataclass(frozen=True)
class Decision:
    """May the characteristic leave 100 % inspection, with which plan, and why."""

    verdict: str
    plan: Plan | None
    reasons: tuple[str, ...]
    evidence: Evidence
    #: for a characteristic kept at 100 %: the parts still needed, or why more parts will not do
    parts_needed: PartsNeeded | None = None


@dataclass(frozen=True)
class PlanEntry:
    """One row of the part's inspection plan (``inspection_plan`` in JSON)."""

    feature: str
    class_: str = field(metadata=_json("class"))
    verdict: str
    method: str
    sample_size: int | None
    accept: int | None
    reject: int | None
    k: float | None
    frequency: str
    rule: str


@dataclass(frozen=True)
class GaugeEvidence:
    """The measurement system behind one characteristic (from a ``pilotqa.msa/1`` result,
    :func:`pilotqa.msa.effect.load_msa_results`).

    ``pct_grr_tolerance``: %GRR of the tolerance, 100·k·σ_GRR/T (k = ``study_var``, 6 or 5.15;
    None for a Type 1 study); ``ndc``: number of distinct categories (GR&R only); ``verdict`` ∈
    acceptable / conditional / not_acceptable / not_assessed; ``sigma_grr``: σ of the measurement
    system (Type 1: repeatability only, a lower bound of σ_GRR); ``source``: the result file.
    """

    feature: str
    method: str
    pct_grr_tolerance: float | None
    ndc: int | None
    verdict: str
    sigma_grr: float | None
    source: str
    study_var: float = 6.0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadinessItem:
    """One characteristic in the readiness statement: its verdict and the first reason."""

    feature: str
    class_: str = field(metadata=_json("class"))
    verdict: str
    reason: str


@dataclass(frozen=True)
class NonconformingPart:
    """A pilot part with at least one characteristic out of tolerance (or rejected go/no-go)."""

    part_id: str
    lot: str | None
    features: tuple[str, ...]


@dataclass(frozen=True)
class Readiness:
    """The part-level answer: may the part go to repeat production with sampling?

    ``status``: ``ready_for_sampling`` (every characteristic may leave 100 % inspection and no
    pilot part is nonconforming), ``containment_required`` (some characteristics stay at 100 %
    inspection, or nonconforming parts need disposition, but every kept characteristic's point
    estimate meets its requirement) or ``not_ready`` (a kept characteristic's capability point
    estimate is below its requirement or undefined: the process must change, more parts alone
    will not release it).
    """

    status: str
    statement: str
    kept_100: tuple[ReadinessItem, ...]
    released: tuple[ReadinessItem, ...]
    nonconforming_parts: tuple[NonconformingPart, ...]


@dataclass(frozen=True)
class FeatureResult:
    """Statistics and decision of one characteristic, as the report reads them.

    ``class_`` / ``class_source``: the class the decision used (specification, ``--critical`` or
    the policy's default). The JSON feature object is ``stats`` with ``class``/``class_source``
    replaced by these and ``decision`` added.
    """

    stats: FeatureStats
    decision: Decision

    @property
    def feature(self) -> str:
        return self.stats.feature

    @property
    def class_(self) -> str:
        return self.decision.evidence.class_

    @property
    def class_source(self) -> str:
        return self.decision.evidence.class_source

    @property
    def verdict(self) -> str:
        return self.decision.verdict


@dataclass(frozen=True)
class ReportMeta:
    """Report metadata that changes no number: who prepared the report and who approves it
    (``analyze --prepared-by`` / ``--approved-by``); None = not given (the report then falls back
    to the export's inspector, or leaves a blank line to sign). Not written to the JSON."""

    prepared_by: str | None = None
    approved_by: str | None = None


# ----------------------------------------------------------------------------- mapping → type
T = TypeVar("T")


def from_mapping(cls: type[T], data: Mapping[str, Any], where: str = "") -> T:
    """Build the dataclass ``cls`` from ``data`` (keys = JSON names), recursively.

    Nested dataclasses, ``tuple[X, ...]``, ``X | None``, ``Mapping[str, float]`` and intervals are
    converted from dicts and lists. An unknown key, or a missing key of a field without a default,
    raises ``TypeError`` naming it. The per-class conversion plan (type hints resolved once) is
    cached (:func:`_plan`).

    The object is first built without the names of nested values (:attr:`_Plan.build`; a name is
    only needed for an error); only when a key is unknown or missing somewhere (or a value is not
    a plain dict, list or tuple) is it built again by :func:`_from_mapping_named`,
    which raises the ``TypeError`` naming the place. Both convert in the same order with the same
    operations, so the result, and any other error, is the same either way.

    >>> from_mapping(Violation, {"chart": "x", "rule": 1, "index": 4})
    Violation(chart='x', rule=1, index=4, part_id=None, point=None)
    >>> from_mapping(Violation, {"chart": "x", "rule": 1, "idx": 4})
    Traceback (most recent call last):
    ...
    TypeError: Violation: unknown key(s) idx
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    try:
        return _plan(cls).build(data)
    except _Fallback:
        pass
    return _from_mapping_named(cls, data, where)


def _from_mapping_named(cls: type[T], data: Mapping[str, Any], where: str = "") -> T:
    """:func:`from_mapping` naming every nested value (``where``) for its error messages."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    plan = _plan(cls)
    unknown = [k for k in data if k not in plan.keys]
    if unknown:
        raise TypeError(f"{where or cls.__name__}: unknown key(s) {', '.join(map(str, unknown))}")
    kwargs: dict[str, Any] = {}
    for key, name, conv, required in plan.fields:
        if key in data:
            value = data[key]
            kwargs[name] = value if conv is None else conv(value, f"{where or cls.__name__}.{key}")
        elif required:
            raise TypeError(f"{where or cls.__name__}: missing key {key}")
    return cls(**kwargs)


class _Fallback(Exception):
    """Raised by the unnamed conversion (:attr:`_Plan.build`) where the named one must take over:
    at an unknown or missing key, or at a value to iterate that is not a list or tuple (a mapping
    field: not a dict), which might be consumable only once — the named conversion then starts
    from the same data."""


def _fallback() -> Any:
    raise _Fallback


#: A compiled converter: (value, where) -> converted value; ``where`` names the value in errors.
_Conv = Callable[[Any, str], Any]
#: The same without ``where`` (raising :class:`_Fallback` where the named one must take over).
_Fast = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    """How :func:`from_mapping` builds one dataclass: its JSON keys and, per field, (JSON key,
    field name, converter or None for "as it is", required); ``build``: the whole conversion
    without names (:func:`_builder`)."""

    keys: frozenset[str]
    fields: tuple[tuple[str, str, _Conv | None, bool], ...]
    build: _Fast


@functools.lru_cache(maxsize=None)
def _plan(cls: type[Any]) -> _Plan:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    rows = []
    fast = []
    for f in dataclasses.fields(cls):
        key = json_name(f)
        if key is None:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        rows.append((str(key), f.name, _converter(hints[f.name]), required))
        fast.append((str(key), f.name, _fast_converter(hints[f.name]), required))
    keys = frozenset(r[0] for r in rows)
    return _Plan(keys, tuple(rows), _builder(cls, keys, tuple(fast)))


def _builder(cls: type[Any], keys: frozenset[str],
             fields: tuple[tuple[str, str, _Fast | None, bool], ...]) -> _Fast:
    """``data`` -> ``cls(**converted data)``, the conversion of :func:`_from_mapping_named`
    without building names; raises :class:`_Fallback` at an unknown or a missing key, or when
    ``data`` is not a dict (a mapping of another type is left to the named conversion).

    The keyword arguments are ``data`` itself when no field is renamed or converted, else a copy
    with the present fields that are renamed or converted rewritten, in field order."""
    superset = keys.issuperset
    required = frozenset(key for key, _, _, need in fields if need)
    names = {name for _, name, _, _ in fields}
    rewrite = tuple((key, name, conv) for key, name, conv, _ in fields if key != name or conv is not None)
    # a key that is another field's name would be overwritten by the copy: the loop only
    whole = all(key == name or key not in names for key, name, _, _ in fields)

    def build(data: Mapping[str, Any]) -> Any:
        if type(data) is not dict or not superset(data) or not data.keys() >= required:
            raise _Fallback
        if not rewrite:
            return cls(**data)
        if whole:
            kwargs = dict(data)
            for key, name, conv in rewrite:
                if key in kwargs:
                    value = kwargs.pop(key) if key != name else kwargs[key]
                    kwargs[name] = value if conv is None else conv(value)
            return cls(**kwargs)
        kwargs = {}
        for key, name, conv, _ in fields:
            if key in data:
                value = data[key]
                kwargs[name] = value if conv is None else conv(value)
        return cls(**kwargs)

    return build


def _converter(tp: Any) -> _Conv | None:
    """The converter of one type hint (None: the value is kept as it is). Same rules as the
    recursive description in :func:`from_mapping`: ``X | None`` keeps None, a dataclass is built
    from a mapping (an instance is kept), tuples element by element, mappings as ``dict``."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _converter(args[0]) if len(args) == 1 else None
        if inner is None:
            return None  # None stays None; a union of scalars is kept as it is
        return lambda v, w: None if v is None else inner(v, w)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        dc = tp
        return lambda v, w: v if isinstance(v, dc) else _from_mapping_named(dc, v, w)
    if origin is tuple:
        targs = typing.get_args(tp)
        if len(targs) == 2 and targs[1] is Ellipsis:
            elem = _converter(targs[0])
            if elem is None:
                return lambda v, w: tuple(v)
            return lambda v, w: tuple(elem(x, f"{w}[{i}]") for i, x in enumerate(v))
        convs = [_converter(a) for a in targs]
        return lambda v, w: tuple(x if c is None else c(x, f"{w}[{i}]") for i, (c, x) in enumerate(zip(convs, v)))
    if origin in (Mapping, dict) or tp is Mapping:
        return lambda v, w: dict(v)
    return None


def _fast_converter(tp: Any) -> _Fast | None:
    """:func:`_converter` without ``where``: the same conversions in the same order, of lists,
    tuples and dicts only (anything else to iterate raises :class:`_Fallback`)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _fast_converter(args[0]) if len(args) == 1 else None
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        dc = tp
        return lambda v: v if isinstance(v, dc) else _plan(dc).build(v)
    if origin is tuple:
        targs = typing.get_args(tp)
        if len(targs) == 2 and targs[1] is Ellipsis:
            elem = _fast_converter(targs[0])
            if elem is None:
                return lambda v: tuple(v) if type(v) is list or type(v) is tuple else _fallback()
            return lambda v: (tuple([elem(x) for x in v]) if type(v) is list or type(v) is tuple
                              else _fallback())
        convs = [_fast_converter(a) for a in targs]
        return lambda v: (tuple([x if c is None else c(x) for c, x in zip(convs, v)])
                          if type(v) is list or type(v) is tuple else _fallback())
    if origin in (Mapping, dict) or tp is Mapping:
        return lambda v: dict(v) if type(v) is dict else _fallback()
    return None
