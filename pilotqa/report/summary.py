"""One row of the summary table, shared by the HTML report and the XLSX Summary sheet.

:func:`summary_row` is the only place that decides what a characteristic's summary row says —
which Ppk and lower bound it shows (the ones the decision used), and the texts and statuses of
the Stable, Drift and Lot-effect cells (from the decision's evidence) — so the two summaries
cannot disagree. The HTML writer formats the numbers as text, the XLSX writer stores them as
numbers; both take the flag texts and statuses as they are.
"""
from __future__ import annotations

from dataclasses import dataclass

from pilotqa.results import Decision, Evidence, FeatureResult
from pilotqa.report.text import plan_summary, value_decimals, verdict_label

__all__ = ["Flag", "SummaryRow", "summary_row", "stable_flag", "drift_flag", "lot_flag",
           "ppap_flag", "parts_needed_text", "FLAG_STATUSES", "PPAP_HEADING", "PARTS_HEADING",
           "PPAP_SENTENCE"]

#: Heading of the PPAP point-estimate column (HTML and XLSX).
PPAP_HEADING = "PPAP Ppk ≥ req. (point estimate)"
#: Heading of the parts-needed column (HTML and XLSX).
PARTS_HEADING = "Parts needed"
#: Why the decision uses the lower bound rather than the PPAP point estimate (under the table).
PPAP_SENTENCE = (
    "The PPAP column compares the Ppk point estimate with the requirement, as customers' PPAP "
    "manuals do; the decision uses the lower confidence bound instead, because at pilot sizes a "
    "point estimate that just meets the requirement comes from a process that misses it about "
    "half the time, while the bound keeps that risk at the stated confidence.")

#: Statuses of a flag cell: good, bad, signals judged to be chance, not judged.
FLAG_STATUSES: tuple[str, ...] = ("ok", "bad", "warn", "na")


@dataclass(frozen=True)
class Flag:
    """A yes/no evidence cell: ``text`` (None when not judged) and ``status`` (``ok``, ``bad``,
    ``warn`` = rules fired but the decision judged the signals consistent with chance, ``na``)."""

    text: str | None
    status: str


_NA = Flag(None, "na")
_OK = Flag("ok", "ok")


def stable_flag(ev: Evidence) -> Flag:
    """Stable cell: ok, unstable, or "signals (chance)" when rules fired but the decision
    accepted them as chance (:func:`pilotqa.decide.verdict.stability_signals`)."""
    if ev.stable is None:
        return _NA
    if ev.stable:
        return _OK
    if ev.stability_accepted:
        return Flag("signals (chance)", "warn")
    return Flag("unstable", "bad")


def drift_flag(ev: Evidence) -> Flag:
    """Drift cell: ok, or "drift" when the trend is significant."""
    if ev.drift_significant is None:
        return _NA
    return Flag("drift", "bad") if ev.drift_significant else _OK


def lot_flag(ev: Evidence) -> Flag:
    """Lot-effect cell: ok, or "lot effect" when the lot means differ significantly."""
    if ev.lot_effect_significant is None:
        return _NA
    return Flag("lot effect", "bad") if ev.lot_effect_significant else _OK


def ppap_flag(ev: Evidence) -> Flag:
    """PPAP cell: "yes" when the Ppk point estimate the decision used reaches the required value
    (the customer's point-estimate criterion), "no" when not, undefined without a Ppk."""
    if ev.ppk is None or ev.p_upper is not None:  # no Ppk, or a go/no-go characteristic
        return _NA
    return Flag("yes", "ok") if ev.ppk >= ev.required else Flag("no", "bad")


def parts_needed_text(dec: Decision) -> str | None:
    """Parts-needed cell of a kept characteristic: "185 (125 more)", "40 subgroups of 5
    (12 more)" or "not reachable"; None when the decision has no parts-needed figure."""
    pn = dec.parts_needed
    if pn is None:
        return None
    if not pn.reachable or pn.total is None:
        return "not reachable"
    unit = "" if pn.unit == "parts" else f" subgroups of {pn.subgroup_size}"
    more = f" ({pn.additional} more)" if pn.additional is not None else ""
    return f"{pn.total}{unit}{more}"


@dataclass(frozen=True)
class SummaryRow:
    """What the summary shows for one characteristic (numbers unformatted).

    ``ppk``/``ppk_lower`` are the ones the decision used: for a fitted non-normal model
    (``percentile``) its ISO 22514-2 percentile Ppk and the decision's bound, else the
    normal-theory Ppk and the lower end of its interval. ``decimals`` is the number of decimals
    of the specification values (:func:`pilotqa.report.text.value_decimals`; the mean gets one
    more).
    """

    number: int
    feature: str
    class_: str
    nominal: float | None
    lsl: float | None
    usl: float | None
    unit: str | None
    n: int
    mean: float | None
    decimals: int
    cpk: float | None
    cpk_lower: float | None
    ppk: float | None
    ppk_lower: float | None
    percentile: bool
    required: float | None
    stable: Flag
    drift: Flag
    lot_effect: Flag
    ppap: Flag
    parts_needed: str | None
    parts_needed_total: int | None
    verdict: str
    verdict_label: str
    plan: str
    decision_basis: str

    @property
    def flags(self) -> tuple[Flag, Flag, Flag]:
        """The Stable, Drift and Lot-effect cells, in column order."""
        return self.stable, self.drift, self.lot_effect

    def index_status(self, x: float | None) -> str:
        """``ok``/``bad`` of an index against the required lower bound, ``""`` when either is
        undefined."""
        if x is None or self.required is None:
            return ""
        return "ok" if x >= self.required else "bad"


def summary_row(fr: FeatureResult, number: int) -> SummaryRow:
    """The summary row of one characteristic; ``number`` is its 1-based position in the input."""
    fs, dec = fr.stats, fr.decision
    ev = dec.evidence
    return SummaryRow(
        number=number, feature=fs.feature, class_=fr.class_, nominal=fs.nominal, lsl=fs.lsl,
        usl=fs.usl, unit=fs.unit, n=fs.n, mean=fs.mean, decimals=value_decimals(fs),
        cpk=fs.cpk, cpk_lower=fs.cpk_ci[0] if fs.cpk_ci else None,
        ppk=ev.ppk, ppk_lower=ev.ppk_lower, percentile=ev.decision_basis == "percentile",
        required=ev.required, stable=stable_flag(ev), drift=drift_flag(ev), lot_effect=lot_flag(ev),
        ppap=ppap_flag(ev), parts_needed=parts_needed_text(dec),
        parts_needed_total=dec.parts_needed.total if dec.parts_needed is not None else None,
        verdict=dec.verdict, verdict_label=verdict_label(dec.verdict),
        plan=plan_summary(dec.verdict, dec.plan), decision_basis=ev.decision_basis,
    )
