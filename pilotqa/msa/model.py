"""The gauge-study data model shared by the readers, the statistics and the writers.

A :class:`GaugeStudy` is one characteristic's study as read, before any statistics:

* ``kind == "crossed"`` — a crossed GR&R (AIAG MSA 4th ed. ch. III §B; Q-DAS "Type 2", and
  "Type 3" with a single appraiser): ``data`` has the shape (appraisers, parts, trials), every
  cell filled (the readers refuse unbalanced or incomplete designs, naming the cell or line);
* ``kind == "type1"`` — a Type 1 study (VDA 5 / Bosch booklet 10; Minitab "Type 1 Gage Study"):
  ``data`` has the shape (n,), the repeated readings of one reference part in measurement order.

The tolerance is ``usl − lsl`` when both limits are known, or the ``tolerance`` given directly;
one-sided specifications leave it ``None`` (the indices that need it are then null, with a note).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["GaugeStudy", "StudyKind"]

StudyKind = Literal["crossed", "type1"]


@dataclass(frozen=True)
class GaugeStudy:
    """One characteristic's gauge study.

    Attributes
    ----------
    feature : str
        Characteristic name (matched by name when the result is used in a capability decision).
    kind : {"crossed", "type1"}
        Crossed GR&R or Type 1 study.
    data : ndarray of float
        ``(appraisers, parts, trials)`` for a crossed study, ``(n,)`` for Type 1, in the units of
        the measurement.
    appraisers, parts : tuple of str
        Labels along the first two axes of a crossed study (empty for Type 1).
    lsl, usl, tolerance : float or None
        Specification limits and the tolerance width ``T`` (``usl − lsl`` unless given).
    reference : float or None
        Reference value of the Type 1 part (master value).
    unit : str or None
        Unit of the readings.
    source : str
        Where the study came from (file, sheet / AQDEF characteristic number, layout).
    notes : tuple of str
        What the reader assumed or noticed.
    """

    feature: str
    kind: StudyKind
    data: NDArray[np.float64]
    appraisers: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    lsl: float | None = None
    usl: float | None = None
    tolerance: float | None = None
    reference: float | None = None
    unit: str | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def shape(self) -> tuple[int, ...]:
        """``(appraisers, parts, trials)`` or ``(n,)``."""
        return tuple(int(x) for x in self.data.shape)
