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
  standard-deviation method, variability unknown, single limit, Form 1: code letters Table A-2,
  sample size and acceptability constant k from Table B-1; MIL-STD-414 (1957) Table A-2 and
  Section B Table B-1 on request (``standard="MIL-STD-414"``). The two standards share the k
  values at equal sample size but use different code letters and sample sizes (Z1.9 J = 35,
  MIL-STD-414 J = 30). Equivalent international standard: ISO 3951-1 (not tabulated here).
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
from functools import lru_cache
from importlib import resources
from typing import Any

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
    "c0_plan",
]

ATTRIBUTE_LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
SEVERITIES: tuple[str, ...] = ("normal", "tightened", "reduced")
VARIABLES_STANDARDS: tuple[str, ...] = ("Z1.9", "MIL-STD-414")

_CODE_LETTERS = "code_letters_105e.json"
_SINGLE = "single_sampling_105e.json"
_VARIABLES = "variables_z19_414.json"
_C0 = "c0_squeglia.json"


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
def variables_plan(lot_size: int, aql: float, level: str = "II", severity: str = "normal",
                   standard: str = "Z1.9") -> dict[str, Any]:
    """Variables plan, standard-deviation method, single limit, Form 1.

    ANSI/ASQ Z1.9-2003 Table A-2 (code letter) and Table B-1 (sample size n, acceptability
    constant k); or MIL-STD-414 (1957) Table A-2 and Table B-1 with ``standard="MIL-STD-414"``
    (levels I–V, default IV). Acceptance rule (Z1.9 §B5 / MIL-STD-414 §B5): from the n readings
    compute x̄ and s; Q_U = (U − x̄)/s, Q_L = (x̄ − L)/s; accept when every defined Q ≥ k. Tightened
    inspection uses the k of the next smaller AQL column (Table B-1 bottom row). An arrow ("no
    plan at this sample size") sends the user to the first larger sample size that has a k;
    that plan's letter and n are used. The method assumes normally distributed readings.

    Returns
    -------
    dict
        ``method`` ("variables"), ``standard``, ``code_letter``, ``plan_letter``,
        ``sample_size``, ``k``, ``aql``, ``level``, ``severity``, ``lot_size``,
        ``hundred_percent``, ``arrow``, ``rule_text``.
    """
    n_lot = _check_lot_size(lot_size)
    sev = str(severity).strip().lower()
    if sev not in ("normal", "tightened"):
        raise InputError(f"variables plans: severity {severity!r} not tabulated; allowed: normal, tightened")
    table = load_table(_VARIABLES)
    std_key = next((s for s in VARIABLES_STANDARDS if s.lower() == str(standard).strip().lower()), None)
    if std_key is None:
        raise InputError(f"variables standard {standard!r} unknown; allowed: {', '.join(VARIABLES_STANDARDS)}")
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
    n = int(std["sample_sizes"][plan_letter])
    via = (f" (letter {letter} has no plan at this AQL; the first plan below it is letter "
           f"{plan_letter})") if arrow else ""
    rule = (f"Per lot of {n_lot}: measure {n} parts drawn at random{via}; compute the mean x̄ and "
            f"the standard deviation s (n − 1 divisor); accept the lot if (USL − x̄)/s ≥ {k} and "
            f"(x̄ − LSL)/s ≥ {k} for each defined limit, otherwise reject it ({std_key} "
            f"standard-deviation method, Form 1, level {lv}, AQL {label} %, {sev} inspection). "
            "Valid only for normally distributed readings.")
    plan = {
        "method": "variables", "standard": std_key, "code_letter": letter,
        "plan_letter": plan_letter, "sample_size": n, "k": float(k), "aql": float(label),
        "level": lv, "severity": sev, "lot_size": n_lot, "arrow": arrow, "rule_text": rule,
    }
    return _hundred_percent(plan, n_lot)


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
