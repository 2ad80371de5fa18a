"""The part-level answer: may the part go to repeat production with sampling, and if not, what
containment applies and which pilot parts are nonconforming (by serial).

A pilot run is released or contained as a part. :func:`readiness` turns the per-characteristic
decisions into one statement (``readiness`` in ``pilotqa.analysis/1``):

* ``ready_for_sampling`` — every characteristic may leave 100 % inspection and no pilot part is
  nonconforming: repeat production with the inspection plan.
* ``containment_required`` — some characteristics stay at 100 % inspection (containment) or
  nonconforming pilot parts need disposition, but every kept characteristic's capability *point
  estimate* meets its class requirement: the evidence (parts, lots) or stability/drift/lot
  consistency is what is missing, and repeat production may start with 100 % inspection of those
  characteristics until the analysis, re-run on more parts, releases them.
* ``not_ready`` — at least one kept characteristic's point estimate is below its requirement (or
  undefined): measuring more parts of the same process cannot release it (the lower bound stays
  below the point estimate); the process must change. 100 % inspection of it is the containment
  meanwhile.

The PPAP point-estimate criterion (AIAG PPAP 4th ed. §2.2.11.3: Ppk ≥ 1.67 for special
characteristics, ≥ 1.33 otherwise) is weaker than pilotqa's lower-bound rule; the distinction
between ``containment_required`` and ``not_ready`` is exactly whether the point estimate meets it.
"""
from __future__ import annotations

from pilotqa.results import FeatureResult, NonconformingPart, Readiness, ReadinessItem

__all__ = ["readiness", "STATUSES"]

STATUSES: tuple[str, ...] = ("ready_for_sampling", "containment_required", "not_ready")


def _item(fr: FeatureResult) -> ReadinessItem:
    reason = fr.decision.reasons[0] if fr.decision.reasons else ""
    return ReadinessItem(feature=fr.feature, class_=fr.class_, verdict=fr.verdict, reason=reason)


def _point_meets(fr: FeatureResult) -> bool:
    """The capability point estimate the decision used meets the class requirement (a go/no-go
    characteristic: the observed nonconforming fraction x/n is at most the largest upper bound
    allowed, ``attribute_max_p_upper``)."""
    ev = fr.decision.evidence
    if fr.stats.type == "attribute":
        frac = fr.stats.fraction_nonconforming
        return frac is not None and ev.attribute_max_p_upper is not None and frac <= ev.attribute_max_p_upper
    points = [p for p in (ev.ppk, ev.cpk if ev.subgroups else None) if p is not None]
    return ev.ppk is not None and all(p >= ev.required for p in points)


def _nonconforming(features: tuple[FeatureResult, ...]) -> tuple[NonconformingPart, ...]:
    by_part: dict[tuple[str, str | None], list[str]] = {}
    for fr in features:
        for o in fr.stats.out_of_spec:
            names = by_part.setdefault((o.part_id, o.lot), [])
            if fr.feature not in names:
                names.append(fr.feature)
    return tuple(NonconformingPart(part_id=p, lot=lot, features=tuple(f)) for (p, lot), f in by_part.items())


def readiness(features: tuple[FeatureResult, ...]) -> Readiness:
    """The part's readiness for repeat production with sampling (see the module docstring).

    >>> readiness(()).status
    'ready_for_sampling'
    """
    kept = tuple(_item(fr) for fr in features if fr.verdict == "keep_100")
    released = tuple(_item(fr) for fr in features if fr.verdict != "keep_100")
    bad_parts = _nonconforming(features)
    incapable = [fr.feature for fr in features if fr.verdict == "keep_100" and not _point_meets(fr)]
    n = len(features)
    serials = ", ".join(p.part_id for p in bad_parts[:10]) + (" …" if len(bad_parts) > 10 else "")
    bad_what = ("nonconforming (out of tolerance or failed a go/no-go check)"
                if any(fr.stats.type == "attribute" for fr in features) else "out of tolerance")
    nc_txt = (f" {len(bad_parts)} pilot part{'s' if len(bad_parts) != 1 else ''} {bad_what} need "
              f"disposition: {serials}." if bad_parts else "")
    kept_names = ", ".join(k.feature for k in kept)
    if incapable:
        status = "not_ready"
        one = len(incapable) == 1
        statement = (f"Not ready for repeat production with sampling: the capability point estimate of "
                     f"{', '.join(incapable)} {'is' if one else 'are'} below {'its' if one else 'their'} "
                     f"requirement, so more parts from the same process cannot release "
                     f"{'it' if one else 'them'}; the process must change. Containment meanwhile: 100 % "
                     f"inspection of {kept_names}.{nc_txt}")
    elif kept or bad_parts:
        status = "containment_required"
        statement = ("Repeat production only with containment: "
                     + (f"100 % inspection of {kept_names} until a re-run of this analysis on more parts "
                        "releases them (see each characteristic's reasons); "
                        f"{len(released)} of {n} characteristics on the sampling plan." if kept
                        else f"all {n} characteristics may leave 100 % inspection, but")
                     + nc_txt)
    else:
        status = "ready_for_sampling"
        statement = (f"Ready for repeat production with sampling: all {n} characteristics may leave 100 % "
                     "inspection (see the inspection plan); no pilot part is out of tolerance.")
    return Readiness(status=status, statement=statement, kept_100=kept, released=released,
                     nonconforming_parts=bad_parts)
