"""Decision policy: the rules that turn statistics into "may this characteristic leave 100 %
inspection, and what do we measure instead?" — built-in defaults, TOML overrides, validation.

Defaults and why a QA engineer can defend them
----------------------------------------------
* **Capability, judged on the lower confidence bound** (AIAG PPAP 4th ed. §2.2.11.3: Ppk > 1.67
  acceptable for special characteristics, 1.33–1.67 "may be acceptable", < 1.33 not acceptable;
  AIAG SPC 2nd ed. for the indices). Because a pilot is small, pilotqa requires the *lower* limit of
  the two-sided ``settings.confidence`` interval of Ppk — and of Cpk when the data have rational
  subgroups — to reach 1.67 (critical), 1.33 (major) or 1.00 (minor). With the default 95 % interval
  the bound is a one-sided 97.5 % bound, so a process whose true index equals the requirement is
  released in about 2.5 % of pilots (docs/decision-quality.md measures this).
* **Minimum evidence**: ≥ 30 parts, or ≥ 25 subgroups (AIAG SPC 2nd ed.: 25 subgroups for
  preliminary control limits; AIAG PPAP §2.2.11.1: at least 100 readings for a preliminary study —
  30 is pilotqa's floor below which the confidence bound is too wide to pass anyway).
* **Lots**: lot-to-lot consistency needs ≥ 2 lots (``evidence.min_lots``). With a single lot
  pilotqa keeps a *critical* characteristic at 100 % (``allow_single_lot = false``): between-lot
  variation (material batch, setup, tool change) is exactly what a one-lot pilot cannot show, and
  for a safety/critical characteristic that unknown is not acceptable. A major or minor
  characteristic may get a sampling plan with a stated caveat ("provisional, re-evaluate after the
  next lot"): lot-by-lot acceptance sampling is itself the check on later lots. The reduced audit
  is never granted on a single lot.
* **Stable**: with Nelson rules 1–4 on 150 individuals an in-control process shows about two
  false signals (each rule has a false-alarm rate of ~0.3–0.5 % per point, Nelson 1984), so "no
  rule fired" would keep most capable processes at 100 % by chance. pilotqa therefore calls a
  process unstable when its signals exceed what chance explains (Poisson upper tail < α, see
  :func:`pilotqa.decide.verdict.stability_signals`) and names the signalling points either way;
  ``strict_stability = true`` restores "any signal blocks". The reduced audit always requires a
  chart without any signal.
* **No relevant drift, no relevant lot effect, adequate gauge resolution, no part out of
  tolerance** — each can be switched off in ``[requirements]``.
* **AQL per class** (percent nonconforming) for the plans: critical 0.10, major 0.65, minor 1.5.
  0.10 is the smallest AQL of ANSI/ASQ Z1.9 Table B-1, so one AQL serves the variables,
  attributes and c = 0 tables; critical characteristics use c = 0 plans when an attributes plan is
  needed (Squeglia; accept nothing nonconforming). 0.65 / 1.5 are the usual major/minor AQLs of
  MIL-STD-105E practice (ISO 2859-1 leaves the choice to the parties).
* **Reduced audit**: lower bound ≥ 2.0 (Cpk bound too with subgroups), normal, stable, no
  statistically significant drift or lot effect at all, ≥ 2 lots: check the first and the last part
  of each lot plus one part every 100 parts against the tolerance and the reaction limits
  (pilot mean ± 3 σ overall); any part outside them returns the characteristic to 100 %.
* ``default_class = "major"`` for characteristics whose export carries no class.
* **Go/no-go (attribute) characteristics** (thread/pin gauges, visual checks; no measured value,
  so no capability index): they leave 100 % inspection only when the one-sided upper confidence
  bound of the nonconforming fraction (Clopper–Pearson, at the same one-sided level as the
  variables bound, 97.5 % by default; :mod:`pilotqa.stats.attributes`) is at most
  ``class.<c>.attribute_max_p_upper`` — by default **the class's AQL**: 0.001 (0.1 %) critical,
  0.0065 major, 0.015 minor — and no pilot part was nonconforming
  (``requirements.max_out_of_spec``). Why the AQL: the sampling plan that replaces 100 %
  inspection is built to accept lots at that quality (ANSI/ASQ Z1.4 §3.2; Squeglia c = 0
  plans at the same AQL), so the pilot must show, with the same confidence the variables
  decision uses, that the process is no worse than what the plan would accept. A stricter value
  (e.g. the ~32 ppm a Ppk of 1.33 implies) cannot be shown by attributes at pilot sizes — by
  the success-run theorem zero nonconforming parts in n show at best p ≤ 1 − 0.025^(1/n) —
  so those characteristics would simply stay at 100 %. The cost of the AQL choice is stated,
  not hidden: it takes 3688 conforming parts in a row to release a critical go/no-go
  characteristic (0.1 %), 566 for major and 245 for minor, which the decision reports
  ("n = … parts with none nonconforming would show p ≤ …"); a 150-part pilot keeps every
  go/no-go characteristic at 100 % unless the policy is relaxed (docs/decision-quality.md
  measures the release rates). The plan is the class's ``attributes_method`` (Squeglia c = 0
  for critical, ANSI/ASQ Z1.4 n/Ac/Re otherwise), the same key the non-normal variables use.

TOML files override any subset (``pilotqa analyze --policy FILE``); unknown keys, wrong types,
values out of range and unordered thresholds raise :class:`~pilotqa.errors.PolicyError` naming
the dotted key and the file.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from pilotqa.errors import PolicyError

__all__ = [
    "ClassRule",
    "EvidenceRule",
    "Requirements",
    "ReducedAuditRule",
    "PlanRule",
    "Policy",
    "CLASS_NAMES",
    "ATTRIBUTE_METHODS",
    "load_policy",
    "policy_from_dict",
    "policy_toml_text",
    "decision_settings",
    "allowed_aqls",
]

CLASS_NAMES: tuple[str, ...] = ("critical", "major", "minor")
ATTRIBUTE_METHODS: tuple[str, ...] = ("attributes", "c0")


@dataclass(frozen=True)
class ClassRule:
    """Rule for one characteristic class.

    min_lower_bound : required lower confidence bound of Ppk (and Cpk with subgroups).
    aql : AQL in percent nonconforming for the sampling plans of this class.
    attributes_method : "attributes" (ANSI/ASQ Z1.4 n/Ac/Re) or "c0" (Squeglia c = 0) when an
        attributes plan is needed (non-normal data).
    allow_single_lot : may a plan be given when the pilot holds fewer than ``evidence.min_lots``.
    attribute_max_p_upper : go/no-go characteristics: the largest upper confidence bound of the
        nonconforming fraction (a fraction, 0.001 = 0.1 %) that may leave 100 % inspection.
    """

    min_lower_bound: float
    aql: float
    attributes_method: str
    allow_single_lot: bool
    attribute_max_p_upper: float = 0.0065


@dataclass(frozen=True)
class EvidenceRule:
    """Minimum evidence: parts, or subgroups when the data have rational subgroups; lots."""

    min_parts: int = 30
    min_subgroups: int = 25
    min_lots: int = 2


@dataclass(frozen=True)
class Requirements:
    """Which conditions must hold to leave 100 % inspection."""

    stable: bool = True
    strict_stability: bool = False
    no_drift: bool = True
    no_lot_effect: bool = True
    resolution_adequate: bool = True
    no_stream_effect: bool = True
    max_out_of_spec: int = 0
    #: 6 since issue 13: with the non-normal guards, ΔAIC ≤ 6 releases 3–3.5 % of lognormal pilots at the
    #: requirement (≤ 5 % goal; 7.5–8 % with 2) for 1–4.5 points of release at Ppk 2.0
    #: (docs/decision-quality.md, 'A non-normal path that cannot invent tails')
    non_normal_aic_window: float = 6.0


@dataclass(frozen=True)
class ReducedAuditRule:
    """The reduced-audit tier for very capable, stable characteristics."""

    enabled: bool = True
    min_lower_bound: float = 2.0
    pieces_per_lot: int = 2
    periodic_every: int = 100


@dataclass(frozen=True)
class PlanRule:
    """How plans are looked up.

    variables_standard : "Z1.9" (ANSI/ASQ Z1.9-2003) or "MIL-STD-414".
    severity : "normal" or "tightened" (start of a new supplier is normal, MIL-STD-105E §8.1).
    default_lot_size : lot size when ``--lot-size`` is not given; 0 = the pilot's mean lot size.
    """

    variables_standard: str = "Z1.9"
    severity: str = "normal"
    default_lot_size: int = 0


def _default_critical() -> ClassRule:
    return ClassRule(min_lower_bound=1.67, aql=0.10, attributes_method="c0", allow_single_lot=False,
                     attribute_max_p_upper=0.001)


def _default_major() -> ClassRule:
    return ClassRule(min_lower_bound=1.33, aql=0.65, attributes_method="attributes", allow_single_lot=True,
                     attribute_max_p_upper=0.0065)


def _default_minor() -> ClassRule:
    return ClassRule(min_lower_bound=1.00, aql=1.5, attributes_method="attributes", allow_single_lot=True,
                     attribute_max_p_upper=0.015)


@dataclass(frozen=True)
class Policy:
    """The whole decision policy (frozen; build variants with :func:`dataclasses.replace`)."""

    default_class: str = "major"
    critical: ClassRule = field(default_factory=_default_critical)
    major: ClassRule = field(default_factory=_default_major)
    minor: ClassRule = field(default_factory=_default_minor)
    evidence: EvidenceRule = field(default_factory=EvidenceRule)
    requirements: Requirements = field(default_factory=Requirements)
    reduced_audit: ReducedAuditRule = field(default_factory=ReducedAuditRule)
    plans: PlanRule = field(default_factory=PlanRule)

    def rule(self, cls: str) -> ClassRule:
        """The :class:`ClassRule` of class ``cls`` (critical/major/minor)."""
        if cls not in CLASS_NAMES:
            raise PolicyError(f"unknown characteristic class {cls!r}; allowed: {', '.join(CLASS_NAMES)}",
                              key="default_class")
        rule: ClassRule = getattr(self, cls)
        return rule

    def to_json(self) -> dict[str, Any]:
        """JSON-safe nested dict, the same layout as the TOML file."""
        out: dict[str, Any] = {"default_class": self.default_class, "class": {}}
        for name in CLASS_NAMES:
            out["class"][name] = dataclasses.asdict(getattr(self, name))
        for sect in ("evidence", "requirements", "reduced_audit", "plans"):
            out[sect] = dataclasses.asdict(getattr(self, sect))
        return out


# ----------------------------------------------------------------------------- validation
def allowed_aqls() -> list[float]:
    """AQLs usable in a policy: present in Z1.9 Table B-1, MIL-STD-105E Table II-A and the c = 0 table."""
    from pilotqa.decide.tables import attribute_aqls, c0_aqls, variables_aqls

    a, c = set(attribute_aqls()), set(c0_aqls())
    return [x for x in variables_aqls() if x in a and x in c]


_SECTIONS: dict[str, type] = {
    "evidence": EvidenceRule,
    "requirements": Requirements,
    "reduced_audit": ReducedAuditRule,
    "plans": PlanRule,
}

_CHOICES: dict[str, tuple[str, ...]] = {
    "default_class": CLASS_NAMES,
    "attributes_method": ATTRIBUTE_METHODS,
    "variables_standard": ("Z1.9", "MIL-STD-414"),
    "severity": ("normal", "tightened"),
}

_RANGES: dict[str, tuple[float, float]] = {
    "min_lower_bound": (0.0, 10.0),
    "min_parts": (2, 100000),
    "min_subgroups": (2, 100000),
    "min_lots": (1, 1000),
    "max_out_of_spec": (0, 100000),
    "non_normal_aic_window": (0.0, 10.0),
    "pieces_per_lot": (1, 1000),
    "periodic_every": (1, 10000000),
    "default_lot_size": (0, 100000000),
    "attribute_max_p_upper": (0.0, 0.5),
}


def _typed(value: Any, proto: Any, key: str, file: str | None) -> Any:
    """Check ``value`` against the type of the default ``proto`` and the key's range/choices."""
    name = key.rsplit(".", 1)[-1]
    if isinstance(proto, bool):
        if not isinstance(value, bool):
            raise PolicyError(f"expected true or false, got {value!r}", key=key, file=file)
        return value
    if isinstance(proto, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"expected a whole number, got {value!r}", key=key, file=file)
    elif isinstance(proto, float):
        try:
            number = math.nan if isinstance(value, bool) or not isinstance(value, (int, float)) \
                else float(value)
        except OverflowError:  # a whole number past the float range
            number = math.inf
        if not math.isfinite(number):
            raise PolicyError(f"expected a number, got {value!r}", key=key, file=file)
        value = number
    elif isinstance(proto, str):
        if not isinstance(value, str):
            raise PolicyError(f"expected a string, got {value!r}", key=key, file=file)
        choices = _CHOICES.get(name)
        if choices is not None:
            match = next((c for c in choices if c.lower() == value.strip().lower()), None)
            if match is None:
                raise PolicyError(f"{value!r} is not allowed; allowed: {', '.join(choices)}", key=key, file=file)
            value = match
    if name in _RANGES:
        lo, hi = _RANGES[name]
        if not (lo <= value <= hi) or (name in ("min_lower_bound", "attribute_max_p_upper") and value <= 0):
            raise PolicyError(f"{value!r} is out of range ({lo} to {hi})", key=key, file=file)
    if name == "default_lot_size" and value == 1:
        raise PolicyError("a lot holds at least 2 parts (0 = use the pilot's mean lot size)", key=key, file=file)
    if name == "aql":
        ok = allowed_aqls()
        if not any(math.isclose(value, a, rel_tol=1e-9) for a in ok):
            raise PolicyError(f"AQL {value!r} is not in the sampling tables; allowed: "
                              f"{', '.join(f'{a:g}' for a in ok)}", key=key, file=file)
    return value


def _merge_dataclass(obj: Any, data: Any, prefix: str, file: str | None) -> Any:
    if not isinstance(data, dict):
        raise PolicyError(f"expected a table [{prefix}], got {data!r}", key=prefix, file=file)
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}.{k}"
        if k not in names:
            raise PolicyError(f"unknown key; allowed in [{prefix}]: {', '.join(sorted(names))}", key=key, file=file)
        changes[k] = _typed(v, getattr(obj, k), key, file)
    return dataclasses.replace(obj, **changes)


def policy_from_dict(data: dict[str, Any], file: str | None = None, base: Policy | None = None) -> Policy:
    """Apply a (parsed TOML) mapping to ``base`` (default: built-in policy) and validate it."""
    pol = base or Policy()
    changes: dict[str, Any] = {}
    for k, v in data.items():
        if k == "default_class":
            changes[k] = _typed(v, pol.default_class, k, file)
        elif k == "class":
            if not isinstance(v, dict):
                raise PolicyError("expected tables [class.critical], [class.major], [class.minor]", key="class", file=file)
            for cname, cdata in v.items():
                if cname not in CLASS_NAMES:
                    raise PolicyError(f"unknown class; allowed: {', '.join(CLASS_NAMES)}", key=f"class.{cname}", file=file)
                changes[cname] = _merge_dataclass(getattr(pol, cname), cdata, f"class.{cname}", file)
        elif k in _SECTIONS:
            changes[k] = _merge_dataclass(getattr(pol, k), v, k, file)
        else:
            raise PolicyError("unknown key; allowed top-level keys: default_class, class, "
                              + ", ".join(_SECTIONS), key=k, file=file)
    pol = dataclasses.replace(pol, **changes)
    _check_order(pol, file)
    return pol


def _check_order(pol: Policy, file: str | None) -> None:
    """Thresholds must be ordered: critical ≥ major ≥ minor; AQLs the other way round."""
    c, M, m = pol.critical, pol.major, pol.minor
    if not (c.min_lower_bound >= M.min_lower_bound >= m.min_lower_bound):
        raise PolicyError(
            f"thresholds not ordered: critical {c.min_lower_bound} ≥ major {M.min_lower_bound} ≥ minor "
            f"{m.min_lower_bound} is required", key="class.major.min_lower_bound", file=file)
    if not (c.aql <= M.aql <= m.aql):
        raise PolicyError(f"AQLs not ordered: critical {c.aql} ≤ major {M.aql} ≤ minor {m.aql} is required",
                          key="class.major.aql", file=file)
    if not (c.attribute_max_p_upper <= M.attribute_max_p_upper <= m.attribute_max_p_upper):
        raise PolicyError(
            f"go/no-go limits not ordered: critical {c.attribute_max_p_upper} ≤ major {M.attribute_max_p_upper} "
            f"≤ minor {m.attribute_max_p_upper} is required", key="class.major.attribute_max_p_upper", file=file)
    if pol.reduced_audit.min_lower_bound < c.min_lower_bound:
        raise PolicyError(
            f"the reduced-audit bound {pol.reduced_audit.min_lower_bound} must not be below the critical "
            f"release bound {c.min_lower_bound}", key="reduced_audit.min_lower_bound", file=file)


def load_policy(path: str | None) -> Policy:
    """Built-in policy, overridden by the TOML file ``path`` when given.

    Raises
    ------
    PolicyError
        unreadable file, TOML syntax error, unknown key, bad value or unordered thresholds; the
        message names the file and the dotted key.
    """
    if path is None:
        return Policy()
    from pilotqa.util import toml_module

    tomllib = toml_module()

    from pilotqa.util import MAX_TOML_LINE_CHARS, toml_long_line

    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
        long_line = toml_long_line(text)
        if long_line:
            raise PolicyError(f"line {long_line}: longer than {MAX_TOML_LINE_CHARS:,} characters; "
                              "not a policy file", file=str(path))
        data = tomllib.loads(text)
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file: {exc.strerror or exc}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", file=str(path)) from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8; say where the first other byte is
        line = exc.object[:exc.start].count(b"\n") + 1
        raise PolicyError(f"line {line}: not UTF-8 text (a TOML file is UTF-8)", file=str(path)) from None
    except ValueError as exc:  # an integer of more than 4,300 digits (Python's conversion limit)
        raise PolicyError(f"not valid TOML: {exc}", file=str(path)) from None
    return policy_from_dict(data, file=str(path))


# ----------------------------------------------------------------------------- TOML text
_COMMENTS: dict[str, str] = {
    "default_class": "class of a characteristic whose export carries none (critical, major, minor)",
    "min_lower_bound": "lower confidence bound of Ppk (and Cpk with subgroups) required to leave 100 %",
    "aql": "AQL, % nonconforming, for this class's sampling plans",
    "attributes_method": "plan when an attributes plan is needed: attributes (Z1.4 n/Ac/Re) or c0 (Squeglia)",
    "allow_single_lot": "may a plan be given when the pilot has fewer than evidence.min_lots lots",
    "attribute_max_p_upper": ("go/no-go characteristics: largest upper 97.5 % (Clopper-Pearson) bound of the "
                              "nonconforming fraction that may leave 100 % (0.001 = 0.1 %; default = the AQL)"),
    "min_parts": "minimum parts measured ...",
    "min_subgroups": "... or minimum rational subgroups (AIAG SPC: 25)",
    "min_lots": "lots needed before lot-to-lot consistency can be claimed",
    "stable": "run-rule signals must not exceed what an in-control process shows by chance (Poisson, alpha)",
    "strict_stability": "true = any single Nelson-rule signal blocks the release",
    "no_drift": "no drift that is both significant and practically relevant",
    "no_lot_effect": "no lot effect that is both significant and practically relevant",
    "no_stream_effect": ("no stream effect (fixture, nest, spindle, machine, operator …; --by) that is both "
                         "significant and practically relevant"),
    "resolution_adequate": "gauge resolution ≤ 1/10 of the tolerance and enough distinct values",
    "max_out_of_spec": "pilot parts out of tolerance tolerated before release",
    "non_normal_aic_window": ("non-normal data: the capability bound is the lowest among the fitted models within "
                              "this AIC distance of the best (0 = the chosen model only; at most 10; default 6 keeps "
                              "the release of a skewed process at the requirement at 3–3.5 %)"),
    "enabled": "offer the reduced audit tier",
    "reduced_audit.min_lower_bound": "lower bound (Ppk, and Cpk with subgroups) needed for the reduced audit",
    "pieces_per_lot": "first and last piece of every lot",
    "periodic_every": "plus one part every this many parts",
    "variables_standard": "Z1.9 (ANSI/ASQ Z1.9-2003) or MIL-STD-414",
    "severity": "normal or tightened (start with normal, MIL-STD-105E §8.1)",
    "default_lot_size": "lot size when --lot-size is not given; 0 = the pilot's mean lot size",
}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_table(obj: Any, section: str = "") -> list[str]:
    lines = []
    for f in dataclasses.fields(obj):
        val = _toml_value(getattr(obj, f.name))
        com = _COMMENTS.get(f"{section}.{f.name}", _COMMENTS.get(f.name))
        lines.append(f"{f.name} = {val}" + (f"  # {com}" if com else ""))
    return lines


def policy_toml_text(policy: Policy | None = None) -> str:
    """The policy as commented TOML (what ``pilotqa policy --show`` prints); round-trips
    through :func:`load_policy`."""
    pol = policy or Policy()
    out = [
        "# pilotqa decision policy. Override any subset in a file and pass it with --policy FILE.",
        "# A characteristic leaves 100 % inspection only when the LOWER confidence bound of Ppk",
        "# (and of Cpk when the data have subgroups) reaches min_lower_bound of its class and every",
        "# [requirements] check passes (AIAG PPAP 4th ed. §2.2.11; AIAG SPC 2nd ed.).",
        "# A go/no-go (attribute) characteristic leaves 100 % only when no pilot part failed it and the",
        "# one-sided upper bound of its nonconforming fraction (Clopper-Pearson, same one-sided level as",
        "# the Ppk bound) is at most attribute_max_p_upper of its class; its plan is attributes_method.",
        "",
        f"default_class = {_toml_value(pol.default_class)}  # {_COMMENTS['default_class']}",
        "",
    ]
    for name in CLASS_NAMES:
        out.append(f"[class.{name}]")
        out += _toml_table(getattr(pol, name))
        out.append("")
    heads = {
        "evidence": "# minimum evidence before any release",
        "requirements": "# conditions that must hold (each reason is listed when it fails)",
        "reduced_audit": "# very capable, stable characteristics: first/last piece + periodic check",
        "plans": "# sampling-plan look-up (tables: MIL-STD-105E/Z1.4, Z1.9/MIL-STD-414, Squeglia c=0)",
    }
    for sect in ("evidence", "requirements", "reduced_audit", "plans"):
        out.append(f"[{sect}]  {heads[sect]}")
        out += _toml_table(getattr(pol, sect), sect)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def decision_settings(policy: Policy, settings: Any, lot_size_used: int | None = None,
                      lot_size_source: str | None = None) -> dict[str, Any]:
    """The settings that shaped the verdicts (for the JSON ``settings`` block and the report):
    the policy, the confidence level and what its bound means, the inspection level, drift/lot
    relevance thresholds, the lot size used and where it came from, and CLI-critical features."""
    conf = float(getattr(settings, "confidence", 0.95))
    return {
        "policy": policy.to_json(),
        "confidence": conf,
        "lower_bound_meaning": (f"lower limit of the two-sided {conf * 100:g} % interval "
                                f"= one-sided {(1 + conf) / 2 * 100:g} % lower bound"),
        "inspection_level": getattr(settings, "inspection_level", "II"),
        "drift_pct": getattr(settings, "drift_pct", None),
        "lot_effect_pct": getattr(settings, "lot_effect_pct", None),
        "stream_effect_pct": getattr(settings, "stream_effect_pct", None),
        "alpha": getattr(settings, "alpha", None),
        "lot_size": lot_size_used,
        "lot_size_source": lot_size_source,
        "critical_from_cli": list(getattr(settings, "critical", ()) or ()),
    }
