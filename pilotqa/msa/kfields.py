"""Gauge-capability (Q-DAS "GC" / solara.MP) studies from AQDEF ``.dfq`` files.

A small K-field parser of its own (the general AQDEF reader :mod:`pilotqa.read.aqdef` builds an
inspection, not a study design). Sources for the fields: the Q-DAS ASCII transfer format field
list (transcribed in ``zwq00000/AQDEF-Sharp:doc/Q-DAS ASCII Transfer Format.txt``): K2202
evaluation type ("Type 1, Type 2 etc."), K2205 number of parts, K2213 master actual value
(Type 1), K2220 number of operators, K2221 number of trials, K2222 number of reference
measurements; value lines as in :mod:`pilotqa.read.aqdef` (portions separated by 0x0F, fields by
0x14: value, attribute, date/time, …) or K0001/K0002 lines.

Study types read (K2202):

* ``1`` — Type 1 study: the readings of one reference part, reference value K2213;
* ``2`` — Type 2 study: crossed GR&R, K2220 appraisers × K2205 parts × K2221 trials;
* ``3`` — Type 3 study: the same without appraiser influence (one appraiser).

Every other evaluation type (linearity 72/94, stability 93, short range 92, attribute 95/96,
CNOMO 4/5, the VDA 5 / ISO 22514-7 uncertainty elements 52–56/90/91/98–108, …) is skipped
with a note. Assumptions, checked on the Q-DAS example set:

* the values of a Type 2/3 study are stored appraiser by appraiser, within an appraiser part by
  part, within a part trial by trial — ``GC/GC_AIAG.DFQ`` and ``GC/MSA_2_Edition/MSA2_TYP2.DFQ``
  then reproduce the AIAG MSA 2nd ed. gasket data sheet (appraiser A: 0.65/0.60, 1.00/1.00, …);
  the operator field K0008 of these files is not an appraiser index (it holds 0–8 at random),
  so it is not used;
* a value whose attribute K0002 is 255 or 256 is "not measured"; such values at the end of a
  characteristic's column are padding of multi-characteristic files and are dropped; one inside
  the design is refused, naming its line;
* the tolerance is K2111 − K2110 when both are limits (K2120/K2121 = 2 or 3 mark a natural
  boundary, which is no limit — as :mod:`pilotqa.read.aqdef`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pilotqa.errors import InputError
from pilotqa.msa.model import GaugeStudy
from pilotqa.read.aqdef import decode_text
from pilotqa.read.cells import CellProblem, Missing, parse_cell

__all__ = ["STUDY_TYPES", "read_gc_file", "sniff_aqdef"]

#: K2202 evaluation type -> what pilotqa reads it as.
STUDY_TYPES: dict[int, str] = {1: "type1", 2: "crossed", 3: "crossed"}

CHAR_SEP = "\x0f"
FIELD_SEP = "\x14"
_KEY_RE = re.compile(r"^K(\d{4})(?:/(\d+))?(?:[ \t](.*))?$")
_EMPTY_ATTRIBUTES = frozenset({255, 256})


@dataclass
class _Char:
    index: int
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    # (value text, attribute text, line) per value record
    values: list[list[tuple[str, int]]] = field(default_factory=list)


def sniff_aqdef(head: bytes) -> bool:
    """True when the file starts (after a BOM / blank lines) with a ``Kxxxx`` line."""
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return re.match(rb"K\d{4}(?:/\d+)?(?:[ \t]|\r?\n|$)", stripped) is not None


def _parse(text: str, file: str) -> tuple[dict[int, _Char], dict[str, str]]:
    chars: dict[int, _Char] = {}
    defaults: dict[str, tuple[str, int]] = {}
    part: dict[str, str] = {}
    total: int | None = None
    pending: dict[int, dict[str, tuple[str, int]]] = {}

    def char(i: int) -> _Char:
        return chars.setdefault(i, _Char(i))

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if CHAR_SEP in line or FIELD_SEP in line or not line.lstrip().startswith("K"):
            portions = line.split(CHAR_SEP)
            n = total if total is not None else max(len(chars), 1)
            if len(portions) != n:
                raise InputError(f"value line has {len(portions)} characteristic portion(s), the "
                                 f"file defines {n} (K0100)", file=file, line=lineno)
            for i, portion in enumerate(portions, start=1):
                f = portion.split(FIELD_SEP)
                char(i).values.append([(f[0], lineno), (f[1] if len(f) > 1 else "", lineno)])
            continue
        m = _KEY_RE.match(line.strip())
        if not m:
            raise InputError(f"malformed K-field line '{line.strip()[:40]}'", file=file,
                             line=lineno)
        key, idx_text, value = "K" + m.group(1), m.group(2), (m.group(3) or "").strip()
        idx = int(idx_text) if idx_text is not None else 1
        if key == "K0100":
            try:
                total = int(value)
            except ValueError:
                raise InputError(f"K0100 '{value}' is not a number", file=file,
                                 line=lineno) from None
        elif key[1] == "1":
            part.setdefault(key, value)
        elif key[1] == "2":
            if idx == 0:
                defaults[key] = (value, lineno)
            else:
                char(idx).fields[key] = (value, lineno)
        elif key in ("K0001", "K0002"):
            targets = sorted(chars) if idx == 0 else [idx]
            for t in targets:
                rec = pending.setdefault(t, {})
                if key in rec:  # a repeated key starts the next value of this characteristic
                    _flush(char(t), rec)
                rec[key] = (value, lineno)
    for t, rec in pending.items():
        _flush(char(t), rec)
    for key, v in defaults.items():
        for c in chars.values():
            c.fields.setdefault(key, v)
    return chars, part


def _flush(c: _Char, rec: dict[str, tuple[str, int]]) -> None:
    if rec:
        line = next(iter(rec.values()))[1]
        c.values.append([rec.get("K0001", ("", line)), rec.get("K0002", ("", line))])
        rec.clear()


def _num(c: _Char, key: str, file: str) -> float | None:
    src = c.fields.get(key)
    if src is None:
        return None
    r = parse_cell(src[0])
    if isinstance(r, Missing):
        return None
    if isinstance(r, CellProblem):
        raise InputError(f"{key}/{c.index}: {r.reason}", file=file, line=src[1])
    return r


def _int(c: _Char, key: str, file: str) -> int | None:
    v = _num(c, key, file)
    return None if v is None else int(v)


def _readings(c: _Char, name: str, file: str) -> list[tuple[float | None, int]]:
    """(value or None when not measured, line) in file order, trailing empties dropped."""
    out: list[tuple[float | None, int]] = []
    for (vtext, line), (atext, _) in c.values:
        attr = int(float(atext)) if atext.strip() not in ("",) and _is_number(atext) else 0
        r = parse_cell(vtext)
        if isinstance(r, CellProblem):
            raise InputError(f"characteristic {c.index} ('{name}'): value {r.reason}", file=file,
                             line=line)
        value = None if isinstance(r, Missing) or attr in _EMPTY_ATTRIBUTES else r
        out.append((value, line))
    while out and out[-1][0] is None:
        out.pop()
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _limits(c: _Char, file: str) -> tuple[float | None, float | None, list[str]]:
    notes: list[str] = []
    nominal = _num(c, "K2101", file)
    lo, hi = _num(c, "K2110", file), _num(c, "K2111", file)
    if lo is None and nominal is not None and _num(c, "K2112", file) is not None:
        lo = nominal + float(_num(c, "K2112", file) or 0.0)
    if hi is None and nominal is not None and _num(c, "K2113", file) is not None:
        hi = nominal + float(_num(c, "K2113", file) or 0.0)
    if _int(c, "K2120", file) in (2, 3) and lo is not None:
        notes.append(f"lower value {lo:g} is a natural boundary (K2120), not a limit")
        lo = None
    if _int(c, "K2121", file) in (2, 3) and hi is not None:
        notes.append(f"upper value {hi:g} is a natural boundary (K2121), not a limit")
        hi = None
    return lo, hi, notes


def read_gc_file(path: Path) -> tuple[list[GaugeStudy], list[str]]:
    """Read the Type 1, 2 and 3 studies of one AQDEF file.

    Returns
    -------
    (studies, notes) : the studies in characteristic order, and file-level notes (skipped
    characteristics with their evaluation type).

    Raises
    ------
    InputError
        The file is malformed, or a study's value count does not fit its declared design
        (K2220 × K2205 × K2221), or a value inside the design is marked not measured — naming
        the line.
    """
    file = str(path)
    text, _enc, dec_notes = decode_text(path.read_bytes(), file)
    chars, part = _parse(text, file)
    if not chars:
        raise InputError("no characteristic (K2xxx field) in the AQDEF file", file=file)
    notes = list(dec_notes)
    studies: list[GaugeStudy] = []
    skipped: list[str] = []
    names: dict[int, str] = {}
    for idx, c in sorted(chars.items()):
        base = (c.fields.get("K2002") or c.fields.get("K2001") or ("", 0))[0].strip()
        names[idx] = base or f"characteristic {idx}"
    counts: dict[str, int] = {}
    for n in names.values():
        counts[n] = counts.get(n, 0) + 1
    for idx, c in sorted(chars.items()):
        name = names[idx] if counts[names[idx]] == 1 else f"{names[idx]} #{idx}"
        etype = _int(c, "K2202", file)
        kind = STUDY_TYPES.get(etype) if etype is not None else None
        if kind is None:
            skipped.append(f"{name} (K2202 = {etype if etype is not None else 'missing'})")
            continue
        readings = _readings(c, name, file)
        lsl, usl, lim_notes = _limits(c, file)
        # usl − lsl carries binary noise (6.03 − 5.97 = 0.0600000000000005): 12 digits kept
        tol = float(f"{usl - lsl:.12g}") if lsl is not None and usl is not None else None
        src = f"{path.name}: AQDEF characteristic {idx}, K2202 = {etype} (Q-DAS Type {etype})"
        unit = (c.fields.get("K2142") or ("", 0))[0].strip() or None
        snotes = [f"{path.name}: {n}" for n in lim_notes]
        if not readings:
            skipped.append(f"{name} (K2202 = {etype}, no values)")
            continue
        if kind == "type1":
            missing = [ln for v, ln in readings if v is None]
            if missing:
                raise InputError(f"characteristic {idx} ('{name}'): Type 1 reading marked not "
                                 "measured (K0002 255/256) inside the study", file=file,
                                 line=missing[0])
            vals = np.array([v for v, _ in readings], dtype=float)
            n_ref = _int(c, "K2222", file)
            if n_ref and n_ref != vals.size:
                snotes.append(f"K2222 announces {n_ref} reference measurements, the file holds "
                              f"{vals.size}; all {vals.size} are used")
            ref = _num(c, "K2213", file)
            studies.append(GaugeStudy(feature=name, kind="type1", data=vals, lsl=lsl, usl=usl,
                                      tolerance=tol, reference=ref, unit=unit, source=src,
                                      notes=tuple(snotes)))
            continue
        n_app = _int(c, "K2220", file) or 1
        n_part = _int(c, "K2205", file)
        n_trial = _int(c, "K2221", file)
        key_line = (c.fields.get("K2202") or ("", 0))[1]
        if not n_part or not n_trial:
            raise InputError(f"characteristic {idx} ('{name}'): a Type {etype} study needs the "
                             "number of parts K2205 and of trials K2221", file=file,
                             line=key_line)
        if etype == 3 and n_app != 1:
            snotes.append(f"Type 3 study with K2220 = {n_app} appraisers: read as a crossed "
                          "study with that many appraisers")
        expected = n_app * n_part * n_trial
        if len(readings) != expected:
            last = readings[-1][1] if readings else key_line
            raise InputError(
                f"characteristic {idx} ('{name}'): the design K2220 × K2205 × K2221 = "
                f"{n_app} × {n_part} × {n_trial} needs {expected} values, the file holds "
                f"{len(readings)} (last value at line {last}); unbalanced or incomplete studies "
                "are not analysed", file=file, line=last)
        for k, (v, ln) in enumerate(readings):
            if v is None:
                a, rest = divmod(k, n_part * n_trial)
                p, t = divmod(rest, n_trial)
                raise InputError(
                    f"characteristic {idx} ('{name}'): the value of appraiser {a + 1}, part "
                    f"{p + 1}, trial {t + 1} is not measured (K0002 255/256 or empty); the "
                    "crossed study needs every cell", file=file, line=ln)
        data = np.array([v for v, _ in readings], dtype=float).reshape(n_app, n_part, n_trial)
        snotes.append("value order assumed appraiser → part → trial (Q-DAS storage order)")
        studies.append(GaugeStudy(
            feature=name, kind="crossed", data=data,
            appraisers=tuple(chr(ord("A") + i) if n_app <= 26 else str(i + 1)
                             for i in range(n_app)),
            parts=tuple(str(i + 1) for i in range(n_part)), lsl=lsl, usl=usl, tolerance=tol,
            unit=unit, source=src, notes=tuple(snotes)))
    if skipped:
        notes.append(f"{path.name}: characteristics of an evaluation type pilotqa msa does not "
                     "read (only K2202 = 1, 2, 3): " + ", ".join(skipped))
    if part.get("K1001") or part.get("K1002"):
        notes.append(f"{path.name}: part {part.get('K1001', '').strip()} "
                     f"{part.get('K1002', '').strip()}".rstrip())
    return studies, notes
