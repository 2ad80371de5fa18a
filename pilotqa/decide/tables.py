"""Acceptance-sampling tables as data, and the look-ups that read them.

The tables themselves live in ``pilotqa/decide/data/*.json`` (each file names its sources);
this module only reads them and applies the rules printed in the standards:

* :func:`code_letter` — sample size code letters, MIL-STD-105E Table I = ANSI/ASQ Z1.4-2003
  Table I = ISO 2859-1 Table 1 (levels S-1..S-4, I, II, III).
* :func:`attributes_plan` — single sampling, MIL-STD-105E Tables II-A (normal) and II-B
  (tightened) = Z1.4 Tables II-A/II-B = ISO 2859-1 Tables 2-A/2-B. The arrow rule
  (MIL-STD-105E §9.4 / Z1.4 §9.4): "when no sampling plan is available for a given combination
  of AQL and code letter, the tables direct the user to a different letter; the sample size to
  be used is given by the new code letter, not by the original letter". For reduced inspection
  (Table II-C) only the sample sizes are tabulated — its acceptance numbers could not be verified
  from public sources, so a reduced-inspection look-up raises :class:`~pilotqa.errors.InputError`.
* :func:`variables_plan` — ANSI/ASQ Z1.9-2003 (tables identical to 1993 and 2008) Section B,
  standard-deviation method, variability unknown: single limit, Form 1 (code letters Table A-2,
  sample size and acceptability constant k from Table B-1), or double specification limit, Form 2
  (``limits="double"``: estimated percent nonconforming above and below, :func:`estimated_percent_nonconforming`,
  against the maximum allowable percent nonconforming M; one AQL for both limits or one per
  limit). M is *derived* from the k of Table B-1 (:func:`maximum_percent_nonconforming`,
  ``variables_m_form2.json``, checked against the printed Z1.9 Table B-3 by
  ``benchmarks/derive_form2_m.py``). MIL-STD-414 (1957) Table A-2 and Section B Table B-1 on
  request (``standard="MIL-STD-414"``). The two standards share the k values at equal sample size
  but use different code letters and sample sizes (Z1.9 J = 35, MIL-STD-414 J = 30). Equivalent
  international standard: ISO 3951-1 (not tabulated here). :func:`variables_plan_for_limits` /
  :func:`plan_for_feature` pick Form 2 for a characteristic with both limits and Form 1 for one
  limit; :func:`form2_estimate` applies a Form 2 plan to a sample and
  :func:`form2_calculator_formulas` writes the same as spreadsheet formulas.
* :func:`c0_plan` — zero-acceptance-number plans after Squeglia, *Zero Acceptance Number
  Sampling Plans* (5th ed., ASQ 2008, Table 1a); only the cells on which two independent public
  transcriptions agree are shipped (see ``c0_squeglia.json``).

In every look-up: when the sample size reaches the lot size, the plan is 100 % inspection
(MIL-STD-105E Table II-A footnote: "if sample size equals or exceeds lot or batch size, do
100 percent inspection").
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from pilotqa.errors import InputError

__all__ = [
    "ATTRIBUTE_LEVELS",
    "SEVERITIES",
    "VARIABLES_STANDARDS",
    "load_table",
    "attribute_aqls",
    "variables_aqls",
    "c0_aqls",
    "code_letter",
    "attributes_plan",
    "variables_plan",
    "variables_plan_for_limits",
    "plan_for_feature",
    "FeaturePlan",
    "estimated_percent_nonconforming",
    "maximum_percent_nonconforming",
    "form2_m_table",
    "form2_calculator_formulas",
    "FORM2_ESTIMATE_TEXT",
    "form2_estimate",
    "c0_plan",
]

ATTRIBUTE_LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
SEVERITIES: tuple[str, ...] = ("normal", "tightened", "reduced")
VARIABLES_STANDARDS: tuple[str, ...] = ("Z1.9", "MIL-STD-414")

_CODE_LETTERS = "code_letters_105e.json"
_SINGLE = "single_sampling_105e.json"
_VARIABLES = "variables_z19_414.json"
_C0 = "c0_squeglia.json"
_FORM2 = "variables_m_form2.json"


@lru_cache(maxsize=None)
def load_table(name: str) -> dict[str, Any]:
    """Load one table file of ``pilotqa/decide/data`` (cached; treat the result as read-only)."""
    text = resources.files("pilotqa.decide").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# ----------------------------------------------------------------------------- helpers
def _norm_level(level: str) -> str:
    s = str(level).strip().upper().replace(" ", "")
    if s in {"S1", "S2", "S3", "S4"}:
        s = f"S-{s[1]}"
    return s


def _check_lot_size(lot_size: int) -> int:
    if isinstance(lot_size, bool) or not isinstance(lot_size, (int, float)) or lot_size != int(lot_size):
        raise InputError(f"lot size must be a whole number of parts, got {lot_size!r}")
    n = int(lot_size)
    if n < 2:
        raise InputError(f"lot size must be at least 2 parts, got {n}")
    return n


def _match_aql(aql: float | str, allowed: list[str], what: str) -> str:
    """Return the table's AQL label equal to ``aql`` (numerically), else InputError listing them."""
    try:
        value = float(aql)
    except (TypeError, ValueError):
        value = math.nan
    for label in allowed:
        if math.isclose(float(label), value, rel_tol=1e-9, abs_tol=1e-12):
            return label
    raise InputError(
        f"AQL {aql!r} is not a column of {what}; allowed values: {', '.join(allowed)}"
    )


def _row_for(rows: list[dict[str, Any]], lot_size: int) -> dict[str, Any]:
    for row in rows:
        if lot_size >= row["min"] and (row["max"] is None or lot_size <= row["max"]):
            return row
    lo = rows[0]["min"]
    raise InputError(f"lot size {lot_size} is below the smallest lot size of the table ({lo})")


def _range_text(row: dict[str, Any]) -> str:
    return f"{row['min']}–{row['max']}" if row["max"] is not None else f"{row['min']} and over"


def attribute_aqls() -> list[float]:
    """AQL columns (percent nonconforming) of the single-sampling master tables."""
    return [float(a) for a in load_table(_SINGLE)["aqls"]]


def variables_aqls() -> list[float]:
    """Normal-inspection AQL columns of the variables k table (Z1.9 Table B-1)."""
    return [float(a) for a in load_table(_VARIABLES)["k_columns"] if a != "T"]


def c0_aqls() -> list[float]:
    """AQL columns of the c = 0 table."""
    return [float(a) for a in load_table(_C0)["aqls"]]


# ----------------------------------------------------------------------------- Table I
def code_letter(lot_size: int, level: str = "II") -> str:
    """Sample size code letter for a lot size and inspection level.

    Source: MIL-STD-105E Table I (= ANSI/ASQ Z1.4-2003 Table I = ISO 2859-1 Table 1); general
    levels I, II (default), III and special levels S-1..S-4.

    Raises
    ------
    InputError
        lot size < 2 or an unknown level (the message lists the allowed levels).
    """
    n = _check_lot_size(lot_size)
    lv = _norm_level(level)
    if lv not in ATTRIBUTE_LEVELS:
        raise InputError(f"inspection level {level!r} is not in MIL-STD-105E Table I; "
                         f"allowed: {', '.join(ATTRIBUTE_LEVELS)}")
    row = _row_for(load_table(_CODE_LETTERS)["rows"], n)
    return str(row["letters"][lv])


# ----------------------------------------------------------------------------- Table II
def _hundred_percent(plan: dict[str, Any], lot_size: int) -> dict[str, Any]:
    if plan["sample_size"] is not None and plan["sample_size"] >= lot_size:
        plan["hundred_percent"] = True
        plan["rule_text"] += (f" The sample size {plan['sample_size']} is not smaller than the lot "
                              f"size {lot_size}: inspect all {lot_size} parts (100 %).")
        plan["sample_size"] = lot_size
    else:
        plan["hundred_percent"] = False
    return plan


def attributes_plan(lot_size: int, aql: float, level: str = "II",
                    severity: str = "normal") -> dict[str, Any]:
    """Single sampling plan by attributes (MIL-STD-105E / ANSI/ASQ Z1.4 / ISO 2859-1).

    Code letter from Table I, then Ac/Re from Table II-A (normal) or II-B (tightened). An arrow
    sends the user to the first plan below (↓) or above (↑) in the same AQL column; the sample
    size of the letter landed on is used (MIL-STD-105E §9.4).

    Returns
    -------
    dict
        ``method`` ("attributes"), ``standard``, ``code_letter`` (of Table I), ``plan_letter``
        (after the arrow), ``sample_size``, ``accept``, ``reject``, ``aql``, ``level``,
        ``severity``, ``lot_size``, ``hundred_percent``, ``arrow`` (None/"up"/"down"),
        ``rule_text`` (how to apply it, in words).

    Raises
    ------
    InputError
        bad lot size, level or AQL (allowed values listed); reduced inspection (Table II-C
        acceptance numbers not verified); a cell whose arrow leaves the table or that is not
        verified.
    """
    n_lot = _check_lot_size(lot_size)
    sev = str(severity).strip().lower()
    if sev not in SEVERITIES:
        raise InputError(f"severity {severity!r} unknown; allowed: {', '.join(SEVERITIES)}")
    table = load_table(_SINGLE)
    label = _match_aql(aql, table["aqls"], "MIL-STD-105E Table II-A")
    letter = code_letter(n_lot, level)
    if sev == "reduced":
        raise InputError(
            "reduced inspection (MIL-STD-105E Table II-C): pilotqa tabulates only the reduced "
            f"sample size (code letter {letter}: n = {table['reduced_sample_sizes'][letter]}); the "
            "acceptance/rejection numbers of Table II-C could not be verified from public sources "
            "— take them from a licensed copy of ANSI/ASQ Z1.4 or ISO 2859-1"
        )
    grid: dict[str, list[str | None]] = table[sev]
    letters: list[str] = table["letters"]
    col = table["aqls"].index(label)
    i = letters.index(letter)
    cell = grid[letter][col]
    arrow = cell if cell in ("up", "down") else None
    j = i
    while cell in ("up", "down"):
        j += 1 if cell == "down" else -1
        if j < 0 or j >= len(letters):
            cell = None
            break
        cell = grid[letters[j]][col]
    tname = "II-A (normal)" if sev == "normal" else "II-B (tightened)"
    if cell is None:
        raise InputError(
            f"MIL-STD-105E Table {tname} gives no verified plan for code letter {letter} at AQL "
            f"{label} (lot size {n_lot}, level {_norm_level(level)}); choose another AQL or level"
        )
    ac, re_ = (int(x) for x in cell.split("/"))
    plan_letter = letters[j]
    n = int(table["sample_sizes"][plan_letter])
    via = ""
    if arrow:
        via = (f" (letter {letter} has an arrow {'↓' if arrow == 'down' else '↑'} at this AQL; the "
               f"first plan {'below' if arrow == 'down' else 'above'} it is letter {plan_letter})")
    accept_txt = ("accept the lot only if no nonconforming part is found, reject it on the first one"
                  if ac == 0 else
                  f"accept the lot if at most {ac} nonconforming part{'s are' if ac != 1 else ' is'} found, "
                  f"reject it if {re_} or more are found")
    rule = (f"Per lot of {n_lot}: draw {n} parts at random{via}; {accept_txt} (MIL-STD-105E / "
            f"ANSI/ASQ Z1.4 Table {tname}, level {_norm_level(level)}, AQL {label} %).")
    plan = {
        "method": "attributes", "standard": "ANSI/ASQ Z1.4-2003 (MIL-STD-105E, ISO 2859-1)",
        "code_letter": letter, "plan_letter": plan_letter, "sample_size": n, "accept": ac,
        "reject": re_, "aql": float(label), "level": _norm_level(level), "severity": sev,
        "lot_size": n_lot, "arrow": arrow, "rule_text": rule,
    }
    return _hundred_percent(plan, n_lot)


# ----------------------------------------------------------------------------- variables
def estimated_percent_nonconforming(q: float, n: int) -> float:
    """Estimated lot percent nonconforming beyond one limit from its quality index Q (s-method).

    ANSI/ASQ Z1.9 / MIL-STD-414, variability unknown, standard-deviation method: with
    Q_U = (U − x̄)/s or Q_L = (x̄ − L)/s from n readings,

    .. math:: \\hat p = 100 \\cdot I_x\\!\\left(\\tfrac{n-2}{2}, \\tfrac{n-2}{2}\\right), \\qquad
              x = \\max\\!\\left(0,\\ \\tfrac12 - \\tfrac12\\,Q\\,\\tfrac{\\sqrt n}{n-1}\\right)

    where :math:`I_x(a, b)` is the regularised incomplete beta function (the distribution
    function of the symmetric beta distribution); x is capped at 1 (mean beyond the limit).
    This is the minimum-variance unbiased estimator of the fraction of a normal population
    beyond the limit (Lieberman, G. J. & Resnikoff, G. J. (1955), "Sampling plans for inspection
    by variables", JASA 50, 457–516), the function MIL-STD-414 and Z1.9 tabulate in their
    Table B-5 ("Table for estimating the lot percent defective/nonconforming using the standard
    deviation method"); the same formula is used by the CRAN package AQLSchemes (Lawson,
    ``EPn``/``MPn``).

    >>> round(estimated_percent_nonconforming(1.53, 5), 3)   # Z1.9 D, AQL 1.0: at Q = k
    3.231
    >>> estimated_percent_nonconforming(10.0, 35)
    0.0
    """
    from scipy.special import betainc

    n = int(n)
    if n < 3:
        raise InputError(f"the s-method estimate needs a sample of at least 3, got n = {n}")
    qf = float(q)
    if not math.isfinite(qf):
        raise InputError(f"quality index Q must be a finite number, got {q!r}")
    x = min(1.0, max(0.0, 0.5 - 0.5 * qf * math.sqrt(n) / (n - 1)))
    a = (n - 2) / 2.0
    return float(100.0 * betainc(a, a, x))


def maximum_percent_nonconforming(k: float, n: int) -> float:
    """M of a Form 2 plan: the estimate of :func:`estimated_percent_nonconforming` at Q = k.

    Because the estimate falls as Q rises, "p̂ ≤ M" and "Q ≥ k" accept the same samples for a
    single limit: M derived this way makes Form 2 the same test as the Form 1 plan of the table.
    """
    return estimated_percent_nonconforming(k, n)


def _m_round(m: float) -> float:
    """M to 4 significant digits (the standard prints 3)."""
    return float(f"{m:.4g}")


def form2_m_table() -> dict[str, Any]:
    """The M table (``variables_m_form2.json``) derived from the k table.

    For each standard, severity (normal, tightened) and code letter: M in percent per normal AQL
    column, "down" where the k table has an arrow, None where k is not verified. Tightened
    inspection uses the k of the next smaller AQL column (Table B-1/B-3 bottom row), so its M too.
    """
    table = load_table(_VARIABLES)
    cols: list[str] = table["k_columns"]
    normal_cols = [c for c in cols if c != "T"]
    out: dict[str, Any] = {}
    for std_key in VARIABLES_STANDARDS:
        std = table["standards"][std_key]
        per_sev: dict[str, Any] = {}
        for sev in ("normal", "tightened"):
            letters: dict[str, list[Any]] = {}
            for letter, n in std["sample_sizes"].items():
                row = table["k"][str(n)]
                cells: list[Any] = []
                for label in normal_cols:
                    k = row[cols.index(label) - (1 if sev == "tightened" else 0)]
                    if isinstance(k, (int, float)) and not isinstance(k, bool):
                        cells.append(_m_round(maximum_percent_nonconforming(float(k), int(n))))
                    else:
                        cells.append(k)  # "down" or None
                letters[letter] = cells
            per_sev[sev] = letters
        out[std_key] = per_sev
    return {"aql_columns": normal_cols, "m": out}


@lru_cache(maxsize=512)
def _variables_cell(n_lot: int, aql: float, level: str, sev: str,
                    std_key: str) -> tuple[str, str, int, float, str, str | None, str]:
    """Resolve one Table A-2/B-1 look-up: (letter, plan letter, n, k, AQL label, arrow, level)
    (cached: every characteristic of a run with the same lot size and AQL asks the same)."""
    table = load_table(_VARIABLES)
    std = table["standards"][std_key]
    lv = _norm_level(level)
    if lv not in std["levels"]:
        raise InputError(f"inspection level {level!r} is not in {std_key} Table A-2; allowed: "
                         f"{', '.join(std['levels'])}")
    cols: list[str] = table["k_columns"]
    normal_cols = [c for c in cols if c != "T"]
    label = _match_aql(aql, normal_cols, f"{std_key} Table B-1")
    col = cols.index(label) - (1 if sev == "tightened" else 0)
    if n_lot < std["rows"][0]["min"]:
        raise InputError(f"lot size {n_lot} is below the smallest lot size of {std_key} Table A-2 "
                         f"({std['rows'][0]['min']})")
    row = _row_for(std["rows"], n_lot)
    letter = str(row["letters"][lv])
    order = list(std["sample_sizes"])
    i = order.index(letter)
    arrow = None
    k: Any = table["k"][str(std["sample_sizes"][letter])][col]
    j = i
    while k == "down":
        arrow = "down"
        j += 1
        if j >= len(order):
            k = None
            break
        k = table["k"][str(std["sample_sizes"][order[j]])][col]
    if k is None:
        raise InputError(f"{std_key} Table B-1 gives no verified k for code letter {letter} at AQL {label} "
                         f"({sev}); choose another AQL or level")
    plan_letter = order[j]
    return letter, plan_letter, int(std["sample_sizes"][plan_letter]), float(k), label, arrow, lv


@lru_cache(maxsize=512)
def _form2_m(std_key: str, sev: str, plan_letter: str, label: str) -> float:
    """M (percent) of ``variables_m_form2.json`` for a resolved plan letter and AQL column."""
    data = load_table(_FORM2)
    cell = data["m"][std_key][sev][plan_letter][data["aql_columns"].index(label)]
    if not isinstance(cell, (int, float)) or isinstance(cell, bool):  # pragma: no cover - k exists here
        raise InputError(f"{std_key}: no M for code letter {plan_letter} at AQL {label} ({sev})")
    return float(cell)


def _check_std(standard: str) -> str:
    std_key = next((s for s in VARIABLES_STANDARDS if s.lower() == str(standard).strip().lower()), None)
    if std_key is None:
        raise InputError(f"variables standard {standard!r} unknown; allowed: {', '.join(VARIABLES_STANDARDS)}")
    return std_key


def _check_sev(severity: str) -> str:
    sev = str(severity).strip().lower()
    if sev not in ("normal", "tightened"):
        raise InputError(f"variables plans: severity {severity!r} not tabulated; allowed: normal, tightened")
    return sev


def _pct_text(m: float) -> str:
    return f"{m:.3g} %"


#: How the Form 2 estimate is computed, in words (part of every Form 2 rule text).
FORM2_ESTIMATE_TEXT = (
    "estimate the percent of the lot above USL (p_U, from Q_U) and below LSL (p_L, from Q_L), each as "
    "100·I_x(a, a) with a = (n − 2)/2 = {a:g} and x = max(0, ½ − ½·Q·√n/(n − 1)), where I_x is the "
    "symmetric beta distribution function (Excel/LibreOffice BETA.DIST(x; a; a; 1); the standard "
    "tabulates it in Table B-5) — the unbiased estimate of the share of a normal lot beyond that limit"
)


def _as_plan(plan: Any) -> Mapping[str, Any]:
    """A plan dict, or a typed plan object (:class:`pilotqa.results.Plan`) read by attribute."""
    if isinstance(plan, Mapping):
        return plan
    keys = ("method", "form", "sample_size", "m", "m_lower", "m_upper")
    return {k: getattr(plan, k) for k in keys if getattr(plan, k, None) is not None}


def form2_estimate(plan: Any, mean: float, s: float, lsl: float | None,
                   usl: float | None) -> dict[str, Any]:
    """Apply a Form 2 plan to one sample: estimated percents nonconforming and the lot decision.

    Returns ``{"q_upper", "q_lower", "p_upper", "p_lower", "p_total", "accept"}`` (percent; a side
    without a limit has Q None and p 0). Accept when p_U ≤ M_U, p_L ≤ M_L and p_U + p_L ≤ M
    (one AQL: M_U = M_L = M, so only the sum matters).

    >>> plan = variables_plan(1000, 0.65, limits="double")     # Z1.9 J, n = 35, M = 1.87 %
    >>> r = form2_estimate(plan, 10.0, 0.3, 9.0, 11.0)
    >>> round(r["p_total"], 3), r["accept"]
    (0.026, True)
    """
    plan = _as_plan(plan)
    if plan.get("method") != "variables" or plan.get("form") != 2:
        raise InputError("form2_estimate needs a double-limit (Form 2) variables plan")
    n = int(plan["sample_size"])
    if not (math.isfinite(float(mean)) and math.isfinite(float(s)) and float(s) > 0):
        raise InputError(f"mean and a positive standard deviation are needed, got {mean!r}, {s!r}")
    qu = (float(usl) - float(mean)) / float(s) if usl is not None else None
    ql = (float(mean) - float(lsl)) / float(s) if lsl is not None else None
    pu = estimated_percent_nonconforming(qu, n) if qu is not None else 0.0
    pl = estimated_percent_nonconforming(ql, n) if ql is not None else 0.0
    m = float(plan["m"])
    m_u, m_l = float(plan.get("m_upper", m)), float(plan.get("m_lower", m))
    return {"q_upper": qu, "q_lower": ql, "p_upper": pu, "p_lower": pl, "p_total": pu + pl,
            "accept": bool(pu <= m_u and pl <= m_l and pu + pl <= m)}


def variables_plan(lot_size: int, aql: float, level: str = "II", severity: str = "normal",
                   standard: str = "Z1.9", limits: str = "single", aql_lower: float | None = None,
                   aql_upper: float | None = None) -> dict[str, Any]:
    """Variables plan, standard-deviation method (variability unknown): Form 1 or Form 2.

    ANSI/ASQ Z1.9-2003 Table A-2 (code letter) and Table B-1 (sample size n, acceptability
    constant k); or MIL-STD-414 (1957) Table A-2 and Table B-1 with ``standard="MIL-STD-414"``
    (levels I–V, default IV). Tightened inspection uses the k of the next smaller AQL column
    (Table B-1 bottom row). An arrow ("no plan at this sample size") sends the user to the first
    larger sample size that has a k; that plan's letter and n are used. The method assumes
    normally distributed readings.

    ``limits="single"`` — Form 1 (Z1.9 §B5 / MIL-STD-414 §B5): from the n readings compute x̄ and
    s; Q_U = (U − x̄)/s, Q_L = (x̄ − L)/s; accept when every defined Q ≥ k. The plan also carries
    ``m``, the M of the equivalent Form 2 single-limit plan.

    ``limits="double"`` — Form 2 for a double specification limit (Z1.9 / MIL-STD-414 Section B
    Part II, "M method"): estimate the percent nonconforming above U and below L
    (:func:`estimated_percent_nonconforming`) and accept when p̂_U + p̂_L ≤ M (one AQL for both
    limits, Example B-3). With different AQLs (``aql_lower`` ≠ ``aql_upper``, Example B-4):
    accept when p̂_L ≤ M_L, p̂_U ≤ M_U and p̂_L + p̂_U ≤ max(M_L, M_U). M is the maximum allowable
    percent nonconforming of the code letter and AQL (Table B-3), here derived from the k of
    Table B-1 by :func:`maximum_percent_nonconforming` (``variables_m_form2.json``). When the
    two AQLs resolve to different sample sizes (an arrow in one column only), the larger sample
    size is used for both limits (pilotqa's rule; both columns have a plan at that size).

    Returns
    -------
    dict
        ``method`` ("variables"), ``standard``, ``code_letter``, ``plan_letter``,
        ``sample_size``, ``k`` (Form 1; None for Form 2), ``form`` (1 or 2), ``m`` (percent:
        Form 1 — the equivalent single-limit M; Form 2 — the bound on p̂_U + p̂_L), for Form 2
        also ``m_lower``, ``m_upper``, ``aql_lower``, ``aql_upper``; ``aql``, ``level``,
        ``severity``, ``lot_size``, ``hundred_percent``, ``arrow``, ``rule_text``.

    Raises
    ------
    InputError
        bad lot size, level, AQL, severity, standard or ``limits``; no verified k in the column.
    """
    n_lot = _check_lot_size(lot_size)
    sev = _check_sev(severity)
    std_key = _check_std(standard)
    lim = str(limits).strip().lower()
    if lim not in ("single", "double"):
        raise InputError(f"limits {limits!r} unknown; allowed: single, double")
    if lim == "double":
        return _variables_plan_form2(n_lot, aql, level, sev, std_key,
                                     aql if aql_lower is None else aql_lower,
                                     aql if aql_upper is None else aql_upper)
    if aql_lower is not None or aql_upper is not None:
        raise InputError("aql_lower/aql_upper apply to double-limit (Form 2) plans only")
    letter, plan_letter, n, k, label, arrow, lv = _variables_cell(n_lot, aql, level, sev, std_key)
    via = (f" (letter {letter} has no plan at this AQL; the first plan below it is letter "
           f"{plan_letter})") if arrow else ""
    rule = (f"Per lot of {n_lot}: measure {n} parts drawn at random{via}; compute the mean x̄ and "
            f"the standard deviation s (n − 1 divisor); accept the lot if (USL − x̄)/s ≥ {k} and "
            f"(x̄ − LSL)/s ≥ {k} for each defined limit, otherwise reject it ({std_key} "
            f"standard-deviation method, Form 1, level {lv}, AQL {label} %, {sev} inspection). "
            "Valid only for normally distributed readings.")
    plan = {
        "method": "variables", "standard": std_key, "code_letter": letter,
        "plan_letter": plan_letter, "sample_size": n, "k": k, "aql": float(label),
        "level": lv, "severity": sev, "lot_size": n_lot, "arrow": arrow, "rule_text": rule,
        "form": 1, "m": _form2_m(std_key, sev, plan_letter, label),
    }
    return _hundred_percent(plan, n_lot)


def _variables_plan_form2(n_lot: int, aql: float, level: str, sev: str, std_key: str,
                          aql_lower: float, aql_upper: float) -> dict[str, Any]:
    lo = _variables_cell(n_lot, aql_lower, level, sev, std_key)
    hi = _variables_cell(n_lot, aql_upper, level, sev, std_key)
    order = list(load_table(_VARIABLES)["standards"][std_key]["sample_sizes"])
    letter, lv = lo[0], lo[6]
    plan_letter = max(lo[1], hi[1], key=order.index)
    n = int(load_table(_VARIABLES)["standards"][std_key]["sample_sizes"][plan_letter])
    arrow = "down" if plan_letter != letter else None
    m_lo = _form2_m(std_key, sev, plan_letter, lo[4])
    m_hi = _form2_m(std_key, sev, plan_letter, hi[4])
    same = lo[4] == hi[4]
    via = (f" (letter {letter} has no plan at this AQL; the first plan below it is letter "
           f"{plan_letter})") if arrow else ""
    head = (f"Per lot of {n_lot}: measure {n} parts drawn at random{via}; compute the mean x̄ and the "
            "standard deviation s (n − 1 divisor) and the quality indices Q_U = (USL − x̄)/s and "
            f"Q_L = (x̄ − LSL)/s; {FORM2_ESTIMATE_TEXT.format(a=(n - 2) / 2)}")
    if same:
        accept = (f"; accept the lot if p_U + p_L ≤ M = {_pct_text(m_lo)}, otherwise reject it "
                  f"({std_key} standard-deviation method, double specification limit, Form 2, one AQL "
                  f"{lo[4]} % for both limits")
    else:
        accept = (f"; accept the lot if p_L ≤ M_L = {_pct_text(m_lo)}, p_U ≤ M_U = {_pct_text(m_hi)} and "
                  f"p_L + p_U ≤ {_pct_text(max(m_lo, m_hi))} (the larger M), otherwise reject it ({std_key} "
                  "standard-deviation method, double specification limit, Form 2, AQL "
                  f"{lo[4]} % at the lower and {hi[4]} % at the upper limit")
    rule = (head + accept + f", level {lv}, {sev} inspection). Valid only for normally distributed "
            "readings.")
    plan = {
        "method": "variables", "standard": std_key, "code_letter": letter, "plan_letter": plan_letter,
        "sample_size": n, "k": None, "aql": float(lo[4]) if same else None,
        "level": lv, "severity": sev, "lot_size": n_lot, "arrow": arrow, "rule_text": rule,
        "form": 2, "m": max(m_lo, m_hi), "m_lower": m_lo, "m_upper": m_hi,
        "aql_lower": float(lo[4]), "aql_upper": float(hi[4]),
    }
    return _hundred_percent(plan, n_lot)


def variables_plan_for_limits(lot_size: int, aql: float, lsl: float | None, usl: float | None,
                              level: str = "II", severity: str = "normal",
                              standard: str = "Z1.9") -> dict[str, Any]:
    """The variables plan a characteristic's limits call for: Form 2 (double limit, one AQL for
    both) when both LSL and USL are given, Form 1 (single limit) otherwise.

    Drop-in for :func:`variables_plan` in the decision (same keys, see there).
    """
    both = lsl is not None and usl is not None
    return variables_plan(lot_size, aql, level=level, severity=severity, standard=standard,
                          limits="double" if both else "single")


@dataclass(frozen=True)
class FeaturePlan:
    """A plan with the lot size it assumes (see :func:`plan_for_feature`).

    ``plan`` has exactly the keys of :func:`variables_plan`; ``lot_size_assumed`` is True when the
    lot size was not given (``--lot-size`` or the policy's ``plans.default_lot_size``), and then
    ``lot_size_note`` is the sentence to show.
    """

    plan: dict[str, Any]
    lot_size: int
    lot_size_assumed: bool
    lot_size_source: str | None
    lot_size_note: str | None


def plan_for_feature(lot_size: int, aql: float, lsl: float | None, usl: float | None,
                     level: str = "II", severity: str = "normal", standard: str = "Z1.9",
                     lot_size_source: str | None = None,
                     lot_size_given: bool = True) -> FeaturePlan:
    """Variables plan of one characteristic (:func:`variables_plan_for_limits`) with the lot size
    it assumes.

    ``lot_size_given`` False (neither ``--lot-size`` nor the policy gave it) makes
    ``lot_size_assumed`` True and ``lot_size_note`` say which lot size the plan assumes and where
    it came from (``lot_size_source``, e.g. "the pilot's mean lot size (150 parts in 3 lots)").
    """
    plan = variables_plan_for_limits(lot_size, aql, lsl, usl, level=level, severity=severity,
                                     standard=standard)
    note = None
    if not lot_size_given:
        note = (f"Lot size not given (--lot-size or the policy's plans.default_lot_size): the plan assumes "
                f"lots of {int(lot_size)} parts" + (f", {lot_size_source}" if lot_size_source else "")
                + "; the sample size depends on the lot size, so give the production lot size.")
    return FeaturePlan(plan=plan, lot_size=int(lot_size), lot_size_assumed=not lot_size_given,
                       lot_size_source=lot_size_source, lot_size_note=note)


_CELL_REF = re.compile(r"^(?:'[A-Za-z0-9 _.-]{1,31}'!|[A-Za-z_][A-Za-z0-9_.]{0,30}!)?\$?[A-Z]{1,3}\$?[1-9][0-9]{0,6}$")


def _num_literal(x: float) -> str:
    v = float(x)
    if not math.isfinite(v):
        raise InputError(f"a formula constant must be finite, got {x!r}")
    return repr(v)


def form2_calculator_formulas(plan: Any, mean_cell: str, s_cell: str,
                              lsl: float | None, usl: float | None) -> dict[str, str]:
    """Spreadsheet formulas (Excel / LibreOffice) of a Form 2 calculator for one characteristic.

    The user enters the sample's mean in ``mean_cell`` and standard deviation in ``s_cell``
    (A1 references, optionally with a sheet name); ``plan`` is the plan dict or the typed
    :class:`pilotqa.results.Plan`. The formulas give Q_U, Q_L, the estimated
    percent nonconforming above/below (:func:`estimated_percent_nonconforming`, with
    ``BETA.DIST``), their total and "accept"/"reject" by the plan's rule. Every formula is empty
    ("") until both inputs are numbers and s > 0.

    Safe by construction: the only inputs are the two references (checked against an A1-reference
    pattern, else :class:`~pilotqa.errors.InputError`) and numbers from the plan and the limits
    (written as float literals); no text from the data enters a formula.

    Returns
    -------
    dict
        ``q_upper``, ``q_lower``, ``p_upper``, ``p_lower`` (percent), ``p_total`` (percent),
        ``decision`` — each a formula string starting with "=". A side without a limit gives
        ``p_*`` = 0 and ``q_*`` = "".
    """
    plan = _as_plan(plan)
    if plan.get("method") != "variables" or plan.get("form") != 2:
        raise InputError("the Form 2 calculator needs a double-limit (Form 2) variables plan")
    for ref in (mean_cell, s_cell):
        if not isinstance(ref, str) or not _CELL_REF.match(ref):
            raise InputError(f"not a cell reference: {ref!r}")
    n = int(plan["sample_size"])
    if n < 3:
        raise InputError(f"Form 2 needs a sample of at least 3, got n = {n}")
    a = _num_literal((n - 2) / 2.0)
    factor = _num_literal(math.sqrt(n) / (n - 1))
    ok = f"AND(ISNUMBER({mean_cell}),ISNUMBER({s_cell}),{s_cell}>0)"

    def q(limit: float | None, upper: bool) -> str:
        if limit is None:
            return '=""'
        lim = _num_literal(limit)
        expr = f"({lim}-{mean_cell})/{s_cell}" if upper else f"({mean_cell}-{lim})/{s_cell}"
        return f'=IF({ok},{expr},"")'

    def p(limit: float | None, upper: bool) -> str:
        if limit is None:
            return f'=IF({ok},0,"")'
        lim = _num_literal(limit)
        qq = f"({lim}-{mean_cell})/{s_cell}" if upper else f"({mean_cell}-{lim})/{s_cell}"
        x = f"MIN(1,MAX(0,0.5-0.5*{qq}*{factor}))"
        return f'=IF({ok},100*BETA.DIST({x},{a},{a},TRUE()),"")'

    pu, pl = p(usl, True)[1:], p(lsl, False)[1:]
    total = f'=IF({ok},({pu})+({pl}),"")'
    m_tot = _num_literal(plan["m"])
    m_lo = _num_literal(plan.get("m_lower", plan["m"]))
    m_hi = _num_literal(plan.get("m_upper", plan["m"]))
    cond = f"AND(({pu})<={m_hi},({pl})<={m_lo},({pu})+({pl})<={m_tot})"
    decision = f'=IF({ok},IF({cond},"accept","reject"),"")'
    return {"q_upper": q(usl, True), "q_lower": q(lsl, False), "p_upper": p(usl, True),
            "p_lower": p(lsl, False), "p_total": total, "decision": decision}


# ----------------------------------------------------------------------------- c = 0
def c0_plan(lot_size: int, aql: float) -> dict[str, Any]:
    """Zero-acceptance-number plan (Squeglia, *Zero Acceptance Number Sampling Plans*, 5th ed.).

    Accept the lot when the sample holds no nonconforming part, reject it on one. A printed
    asterisk ("inspect every unit") and n ≥ lot size both give 100 % inspection. Cells that the
    public transcriptions disagree on are not shipped (InputError).

    Returns
    -------
    dict
        ``method`` ("c0"), ``standard``, ``code_letter`` (None), ``sample_size``, ``accept`` (0),
        ``reject`` (1), ``aql``, ``lot_size``, ``lot_range``, ``hundred_percent``, ``rule_text``.
    """
    n_lot = _check_lot_size(lot_size)
    table = load_table(_C0)
    label = _match_aql(aql, table["aqls"], "the c = 0 table")
    row = _row_for(table["rows"], n_lot)
    cell = row["n"][table["aqls"].index(label)]
    if cell is None:
        raise InputError(f"the c = 0 table cell for lot size {_range_text(row)} at AQL {label} is not "
                         "verified (public transcriptions or editions disagree); use the attributes "
                         "method or a licensed copy of Squeglia's table")
    n = n_lot if cell == "all" else int(cell)
    rule = (f"Per lot of {n_lot}: inspect {n} parts drawn at random; accept the lot only if none "
            f"is nonconforming, reject it on the first nonconforming part (c = 0 plan, lot size "
            f"{_range_text(row)}, AQL {label} %; Squeglia, Zero Acceptance Number Sampling Plans).")
    plan = {
        "method": "c0", "standard": "Squeglia c=0 (5th ed.)", "code_letter": None,
        "sample_size": n, "accept": 0, "reject": 1, "aql": float(label), "lot_size": n_lot,
        "lot_range": _range_text(row), "rule_text": rule,
    }
    return _hundred_percent(plan, n_lot)
