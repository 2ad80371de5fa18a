"""Analysis settings: every option that shapes the numbers (written to JSON ``settings``)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Settings", "SIGMA_WITHIN_METHODS"]

#: Within-subgroup sigma estimators (see pilotqa.stats.capability).
SIGMA_WITHIN_METHODS: tuple[str, ...] = ("auto", "pooled", "rbar", "sbar", "mr")


@dataclass(frozen=True)
class Settings:
    """Options of one analysis.

    sigma_within : "auto" = ``pooled`` with subgroups, ``mr`` for individuals.
    confidence : two-sided confidence level of the index intervals.
    rules : enabled Nelson rules (1..8).
    lot_effect_pct : a lot effect is practically relevant when the range of lot means exceeds
        this % of the tolerance.
    drift_pct : a drift is practically relevant when it exceeds this % of the tolerance over the run.
    lot_size : production lot size used for sampling plans.
    critical : features marked critical on the command line.
    stream_effect_pct : a stream effect (fixture, nest, machine …) is practically relevant when
        the range of stream means exceeds this % of the tolerance.
    by : stream factors named with ``--by`` (analysed besides the recognised stream columns).
    """

    sigma_within: str = "auto"
    confidence: float = 0.95
    rules: tuple[int, ...] = (1, 2, 3, 4)
    lot_effect_pct: float = 10.0
    drift_pct: float = 10.0
    alpha: float = 0.05
    lot_size: int | None = None
    inspection_level: str = "II"
    critical: tuple[str, ...] = field(default_factory=tuple)
    stream_effect_pct: float = 10.0
    by: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["rules"] = list(self.rules)
        d["critical"] = list(self.critical)
        d["by"] = list(self.by)
        return d
