"""Q-DAS AQDEF reader: ``.dfq`` (description + values) and ``.dfd`` + ``.dfx`` pairs.

Layout (sources: the Q-DAS ASCII transfer format field list transcribed in
``zwq00000/AQDEF-Sharp:doc/Q-DAS ASCII Transfer Format.txt``; the parsers
``diribet/aqdef-tools`` (AqdefParser.java, KKeyRepository.java) and
``successfactory/aqdef-reader``; real files in ``shared/real_exports`` and the qs-STAT/CALYPSO
export ``smart-person/AQDEF_update:requirement/QDAS files(test)/SAMPLE_DATA.dfq``):

* one entry per line, ``Kxxxx[/i] value``; K0xxx value fields, K1xxx part fields, K2xxx
  characteristic fields, K8xxx chart settings; ``/i`` is the part number on K1xxx lines and the
  characteristic number on K2xxx/K0xxx lines (numbers continue across parts); ``/0`` means "all";
  a key without index means index 1;
* value lines without K-keys: characteristic portions separated by 0x0F, fields inside a portion
  by 0x14 — value, attribute, date/time, events, batch, nest, operator, machine, process
  parameter, gauge (attribute characteristics: subgroup size, number nonconforming, an unused
  field, then attribute, date/time …);
* K-key value lines: the n-th value of a characteristic starts when a key repeats for it
  (the rule of aqdef-tools' ValueIndexCounter), so K0xxx lines that follow a separator line
  belong to that line's value set.

Decisions where the public sources disagree or say nothing (each is noted in
``Inspection.details['assumptions']``):

* K2005 class (classes 0–4 per the field list; meaning of each code not verified):
  4 -> critical, 2 and 3 -> major, 0 and 1 -> minor.
* K2120/K2121 limit type: 2 = natural boundary (the real CALYPSO-written sample uses ``K2120 2``
  with ``K2110 0`` on a roundness, ``1`` on ordinary limits; CALYPSO's own table uses
  ``natlowertolid`` 2 the same way), 3 = natural boundary (aqdef-tools' database comment
  "1 allowance, 2 limit, 3 natural boundary"); any other code = an ordinary specification limit.
  A natural boundary is not a specification limit; one at 0 sets ``lower_bound_zero``.
* K0002 attribute: 0 = valid; 255 (empty field, field list) and 256 (skipped by aqdefreader) =
  value deleted / not measured (kept as a null reading and counted in a note); any other code is
  kept and listed.
* K0006 batch: a leading ``#`` is dropped (aqdef-tools' K0006 converter).
* Value portions with more fields than the ten defined (current qs-STAT writes twelve): the ten
  defined fields are read, the extra ones ignored (counted in a note).
* K0007 nest, K0008 operator, K0010 machine, K0012 gauge are catalogue numbers; ``0`` or empty
  = not given. They are kept per reading as the optional stream columns ``nest``, ``operator``,
  ``machine``, ``gauge`` of the measurements frame.
* One value set (a separator value line, or the n-th K-key value of each characteristic) is one
  part: when its characteristics carry different batches, the part goes to the first non-empty
  batch (noted), so a part is never split into two lots.
* K0004 ``01.01.1970/00:00:00`` (the epoch; qs-STAT writes it for an unset date) = no date.
* K8500 subgroup size n > 1 with K8501 subgroup type 0 (fixed) and no ``--subgroup-size``:
  subgroups of n consecutive values of each characteristic; K8501 = 1 (moving subgroups, a chart
  setting) forms none. Different sizes in one file form none (noted).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pilotqa.errors import InputError
from pilotqa.model import (
    ATTRIBUTE_SCHEMA,
    MEASUREMENT_SCHEMA,
    SPEC_SCHEMA,
    Inspection,
    SourceFile,
    sha256_file,
)
from pilotqa.read import dates
from pilotqa.read.cells import CellProblem, Missing, parse_cell
from pilotqa.read.limits import add_decimal

if TYPE_CHECKING:
    from pilotqa.read import ReadOptions

__all__ = [
    "FORMAT",
    "sniff",
    "is_companion",
    "read_path",
    "decode_text",
    "parse_datetime",
    "CLASS_BY_CODE",
]

FORMAT = "aqdef"

CHAR_SEP = "\x0f"  # between characteristic portions of a value line
FIELD_SEP = "\x14"  # between the fields of one portion

#: K2005 characteristic class -> pilotqa class (see module docstring: not verified).
CLASS_BY_CODE: dict[int, str] = {0: "minor", 1: "minor", 2: "major", 3: "major", 4: "critical"}
_NATURAL_CODES = frozenset({2, 3})
_ATTRIBUTE_TYPES = frozenset({1, 5, 6})
_DELETED_ATTRIBUTES = frozenset({255, 256})
_VARIABLE_FIELDS = ("K0001", "K0002", "K0004", "K0005", "K0006", "K0007", "K0008", "K0010",
                    "K0011", "K0012")
_ATTRIBUTE_FIELDS = ("K0020", "K0021", "", "K0002", "K0004", "K0005", "K0006", "K0007", "K0008",
                     "K0010", "K0011", "K0012")
#: part fields -> metadata keys
_PART_META = {
    "K1001": "part_number", "K1002": "description", "K1003": "short_description",
    "K1004": "revision", "K1041": "drawing", "K1042": "drawing_revision", "K1053": "order",
    "K1062": "customer", "K1071": "supplier_number", "K1072": "supplier", "K1081": "machine_number",
    "K1082": "machine", "K1086": "operation", "K1203": "reason_for_test", "K1204": "date",
    "K1205": "test_end", "K1209": "inspection_type", "K1222": "inspector", "K1900": "remark",
}
_CHAR_USED = {"K2001", "K2002", "K2003", "K2004", "K2005", "K2101", "K2110", "K2111", "K2112",
              "K2113", "K2120", "K2121", "K2142", "K2009"}
_VALUE_USED = {"K0001", "K0002", "K0004", "K0006", "K0007", "K0008", "K0010", "K0012", "K0014",
               "K0020", "K0021"}
#: value fields kept per reading as optional stream columns of the measurements frame
_STREAM_KEYS: dict[str, str] = {"K0007": "nest", "K0008": "operator", "K0010": "machine",
                                "K0012": "gauge"}
_EPOCH = datetime(1970, 1, 1)
_KEY_RE = re.compile(r"^K(\d{4})(?:/(\d+))?(?:[ \t](.*))?$")
_KEY_START_RE = re.compile(rb"^\s*(?:\xef\xbb\xbf)?K\d{4}(?:/\d+)?(?:[ \t]|\r?$)", re.MULTILINE)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_DATE_ORDER = ("dmy_dot", "iso")  # see pilotqa.read.dates


# --------------------------------------------------------------------------- shared helpers
def decode_text(raw: bytes, file: str) -> tuple[str, str, list[str]]:
    """Decode an export: UTF-8 (BOM allowed), else Windows-1252, else Latin-1.

    Returns ``(text, encoding, notes)``. A file that is not valid UTF-8 but holds UTF-8
    multi-byte sequences mixes encodings: it is read as Windows-1252 and a note names the first
    line that is not UTF-8.
    """
    notes: list[str] = []
    try:
        return raw.decode("utf-8-sig"), "utf-8", notes
    except UnicodeDecodeError as exc:
        bad_line = raw.count(b"\n", 0, exc.start) + 1
    try:
        text, enc = raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, enc = raw.decode("latin-1"), "latin-1"
    if _UTF8_MULTIBYTE.search(raw):
        notes.append(
            f"{file}: mixed encodings — the file holds UTF-8 characters but line {bad_line} is not "
            f"UTF-8; read as {enc}, so UTF-8 texts may show as 'Ã…' sequences"
        )
    return text, enc, notes


def parse_datetime(raw: str) -> datetime | None:
    """Parse an AQDEF date/time (``dd.mm.yyyy/hh:mm:ss``, ``dd.mm.yy``, ISO); None if not."""
    return dates.parse_datetime(raw, _DATE_ORDER)


# --------------------------------------------------------------------------- sniffing
def sniff(path: Path, head: bytes) -> bool:
    """An AQDEF file starts (after blank lines / BOM) with a ``Kxxxx`` line; a ``.dfx`` may hold
    separator value lines only."""
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if re.match(rb"K\d{4}(?:/\d+)?(?:[ \t]|\r?\n|$)", stripped):
        return True
    return path.suffix.lower() == ".dfx" and (CHAR_SEP.encode() in head or FIELD_SEP.encode() in head)


def _sibling(path: Path, suffix: str) -> Path | None:
    for cand in path.parent.iterdir() if path.parent.exists() else []:
        if cand.stem == path.stem and cand.suffix.lower() == suffix and cand.is_file():
            return cand
    return None


def is_companion(path: Path, head: bytes) -> bool:
    """A ``.dfx`` next to a ``.dfd`` of the same stem is read together with the ``.dfd``."""
    return path.suffix.lower() == ".dfx" and _sibling(path, ".dfd") is not None


# --------------------------------------------------------------------------- parsing
@dataclass
class _Char:
    index: int
    part: int
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (raw, line)
    dup: list[str] = field(default_factory=list)


@dataclass
class _State:
    file: str
    total: int | None = None
    total_line: int | None = None
    part_fields: dict[int, dict[str, str]] = field(default_factory=dict)
    current_part: int = 1
    chars: dict[int, _Char] = field(default_factory=dict)
    char_defaults: dict[str, tuple[str, int]] = field(default_factory=dict)
    # per characteristic: list of value records (key -> (raw, line))
    records: dict[int, list[dict[str, tuple[str, int]]]] = field(default_factory=dict)
    unmapped: Counter = field(default_factory=Counter)
    n_sep_lines: int = 0
    n_key_values: int = 0
    extra_fields: int = 0  # value portions with fields beyond the defined ones
    epoch_dates: int = 0


def _err(st: _State, line: int, msg: str, file: str | None = None) -> InputError:
    return InputError(msg, file=file or st.file, line=line)


def _char_type(st: _State, idx: int) -> int:
    c = st.chars.get(idx)
    raw = None
    if c is not None and "K2004" in c.fields:
        raw = c.fields["K2004"]
    elif "K2004" in st.char_defaults:
        raw = st.char_defaults["K2004"]
    if raw is None or raw[0].strip() == "":
        return 0
    try:
        return int(float(raw[0].strip()))
    except ValueError:
        raise _err(st, raw[1], f"K2004 (characteristic type) '{raw[0]}' is not a number") from None


def _check_index(st: _State, idx: int, line: int, key: str, file: str) -> None:
    if st.total is not None and idx > st.total:
        raise _err(st, line, f"{key}/{idx}: characteristic index {idx} is out of range — K0100 "
                   f"(line {st.total_line}) says the file has {st.total} characteristics", file)


def _put_value(st: _State, idx: int, key: str, raw: str, line: int, file: str,
               from_all: bool = False) -> None:
    if idx not in st.chars:
        known = f"1..{max(st.chars)}" if st.chars else "none"
        raise _err(st, line, f"{key}/{idx}: value for characteristic {idx}, which the description "
                   f"does not define (characteristics defined: {known})", file)
    recs = st.records.setdefault(idx, [])
    if from_all:
        if recs and key in recs[-1]:
            return  # an explicit entry wins over a /0 entry
        if not recs:
            recs.append({})
    elif not recs or key in recs[-1]:
        recs.append({})
    recs[-1][key] = (raw, line)


def _parse_lines(st: _State, text: str, file: str) -> None:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if CHAR_SEP in line or FIELD_SEP in line:
            _parse_sep_line(st, line, lineno, file)
            continue
        s = line.strip()
        if s.startswith("K"):
            m = _KEY_RE.match(s)
            if not m:
                raise _err(st, lineno, f"malformed K-field line '{s[:40]}' (expected 'Kxxxx[/n] "
                           "value')", file)
            _parse_key_line(st, "K" + m.group(1), m.group(2), (m.group(3) or "").strip(), lineno,
                            file)
            continue
        # a bare number = a one-characteristic value line
        if isinstance(parse_cell(s), float):
            _parse_sep_line(st, s, lineno, file)
            continue
        raise _err(st, lineno, f"line '{s[:40]}' is neither a K-field nor a value line", file)


def _parse_key_line(st: _State, key: str, index: str | None, value: str, line: int,
                    file: str) -> None:
    idx = int(index) if index is not None else 1
    fam = key[1]
    if key == "K0100":
        try:
            st.total = int(value)
        except ValueError:
            raise _err(st, line, f"K0100 (number of characteristics) '{value}' is not a number",
                       file) from None
        st.total_line = line
        return
    if fam == "1":
        st.part_fields.setdefault(idx, {})[key] = value
        if idx != 0:
            st.current_part = idx
        if key not in _PART_META:
            st.unmapped[key] += 1
        return
    if fam == "2" or fam == "8":
        if idx == 0:
            st.char_defaults[key] = (value, line)
        else:
            _check_index(st, idx, line, key, file)
            c = st.chars.get(idx)
            if c is None:
                c = st.chars[idx] = _Char(idx, st.current_part)
            if key in c.fields and c.fields[key][0] != value or key in c.fields and key in _CHAR_USED:
                c.dup.append(f"{key} (lines {c.fields[key][1]} and {line}, the later kept)")
            c.fields[key] = (value, line)
        if key not in _CHAR_USED:
            st.unmapped[key] += 1
        return
    if fam == "0" and int(key[1:]) >= 100:
        st.unmapped[key] += 1  # file-level header fields (K0101 …, K0999): not values
        return
    if fam == "0":
        st.n_key_values += key == "K0001"
        if key not in _VALUE_USED:
            st.unmapped[key] += 1
        if idx == 0:
            for cidx in sorted(st.chars):
                _put_value(st, cidx, key, value, line, file, from_all=True)
        else:
            _check_index(st, idx, line, key, file)
            _put_value(st, idx, key, value, line, file)
        return
    st.unmapped[key] += 1  # K4xxx catalogues, K5xxx structure, K7xxx …: not used


def _parse_sep_line(st: _State, line: str, lineno: int, file: str) -> None:
    st.n_sep_lines += 1
    portions = line.rstrip("\r\n").split(CHAR_SEP)
    n_chars = st.total if st.total is not None else len(st.chars)
    if len(portions) != n_chars:
        raise _err(st, lineno, f"value line has {len(portions)} characteristic portion(s) but the "
                   f"file defines {n_chars} characteristics — truncated or malformed value line",
                   file)
    for i, portion in enumerate(portions, start=1):
        fields = portion.split(FIELD_SEP)
        layout = _ATTRIBUTE_FIELDS if _char_type(st, i) in _ATTRIBUTE_TYPES else _VARIABLE_FIELDS
        if len(fields) > len(layout):
            st.extra_fields += 1  # current qs-STAT appends fields: the defined ones are read
        for key, raw in zip(layout, fields):
            if key:
                _put_value(st, i, key, raw, lineno, file)


# --------------------------------------------------------------------------- building the model
def _num(st: _State, c: _Char | None, key: str) -> float | None:
    src = c.fields.get(key) if c is not None else None
    if src is None:
        src = st.char_defaults.get(key)
    if src is None:
        return None
    r = parse_cell(src[0])
    if isinstance(r, Missing):
        return None
    if isinstance(r, CellProblem):
        raise InputError(f"{key}: {r.reason}", file=st.file, line=src[1])
    return r


def _text(st: _State, c: _Char, key: str) -> str | None:
    src = c.fields.get(key) or st.char_defaults.get(key)
    return src[0] if src and src[0] != "" else None


def _code(st: _State, c: _Char, key: str) -> int | None:
    v = _num(st, c, key)
    return None if v is None else int(v)


def _spec(st: _State, c: _Char, name: str, notes: list[str], source: str) -> dict[str, Any]:
    nominal = _num(st, c, "K2101")
    lo, hi = _num(st, c, "K2110"), _num(st, c, "K2111")
    lo_a, hi_a = _num(st, c, "K2112"), _num(st, c, "K2113")
    how = "limits K2110/K2111"
    if lo is None and lo_a is not None and nominal is not None:
        lo, how = add_decimal(nominal, lo_a), "nominal K2101 + allowances K2112/K2113"
    if hi is None and hi_a is not None and nominal is not None:
        hi, how = add_decimal(nominal, hi_a), "nominal K2101 + allowances K2112/K2113"
    lbz = False
    lt, ut = _code(st, c, "K2120"), _code(st, c, "K2121")
    if lt in _NATURAL_CODES:
        if lo is None or lo == 0.0:
            lbz = True
        notes.append(f"'{name}': lower value {lo} is a natural boundary (K2120 = {lt}), not a "
                     "specification limit" + ("; bounded at zero" if lbz else ""))
        lo = None
    if ut in _NATURAL_CODES:
        notes.append(f"'{name}': upper value {hi} is a natural boundary (K2121 = {ut}), not a "
                     "specification limit")
        hi = None
    if lo is not None and hi is not None and lo == hi:
        notes.append(f"'{name}': lower and upper limit are both {lo:g} (no tolerance zone): read "
                     "as no specification limits")
        lo = hi = None
    elif nominal is not None and ((lo is not None and nominal < lo)
                                  or (hi is not None and nominal > hi)):
        notes.append(f"'{name}': nominal K2101 {nominal:g} lies outside the limits {lo} .. {hi} "
                     "(a zone offset from the nominal, or an unset nominal): the limits are "
                     "kept, the nominal is not used")
        nominal = None
    cls_code = _code(st, c, "K2005")
    cls = CLASS_BY_CODE.get(cls_code) if cls_code is not None else None
    if cls_code is not None and cls is None:
        notes.append(f"'{name}': K2005 class code {cls_code} is not one of 0–4; class left empty")
    return {"feature": name, "nominal": nominal, "lsl": lo, "usl": hi,
            "unit": _text(st, c, "K2142"), "class": cls, "lower_bound_zero": lbz,
            "source": f"{source} ({how}, characteristic {c.index})"}


def _names(st: _State) -> dict[int, str]:
    multi = len({c.part for c in st.chars.values()}) > 1
    out: dict[int, str] = {}
    for idx, c in sorted(st.chars.items()):
        base = _text(st, c, "K2002") or _text(st, c, "K2001") or f"characteristic {idx}"
        if multi:
            pno = st.part_fields.get(c.part, {}).get("K1001") or f"part {c.part}"
            base = f"{pno}/{base}"
        out[idx] = base
    counts = Counter(out.values())
    for idx, name in list(out.items()):
        if counts[name] > 1:
            num = _text(st, st.chars[idx], "K2001")
            out[idx] = f"{name} [{num}]" if num and num != name else f"{name} #{idx}"
    counts = Counter(out.values())  # still equal (same K1001 and K2001): the index decides
    for idx, name in list(out.items()):
        if counts[name] > 1:
            out[idx] = f"{name} #{idx}"
    return out


def _build(st: _State, path: Path, sources: list[Path], extra_notes: list[str],
           encoding: str, opts: "ReadOptions") -> Inspection:
    file = str(path)
    notes = list(extra_notes)
    names = _names(st)
    multi = len({c.part for c in st.chars.values()}) > 1
    meas_rows: list[dict[str, Any]] = []
    attr_rows: list[dict[str, Any]] = []
    spec_rows: list[dict[str, Any]] = []
    attribute_chars: list[str] = []
    skipped_types: list[str] = []
    deleted = 0
    empty = 0
    odd_attr: Counter = Counter()
    no_values: list[str] = []
    part_offsets: dict[int, int] = {}
    offset = 0
    for p in sorted({c.part for c in st.chars.values()}):
        part_offsets[p] = offset
        offset += max((len(st.records.get(i, [])) for i, c in st.chars.items() if c.part == p),
                      default=0)
    for idx, c in sorted(st.chars.items()):
        name = names[idx]
        ctype = _char_type(st, idx)
        recs = st.records.get(idx, [])
        if c.dup:
            notes.append(f"'{name}' (characteristic {idx}): field given twice: " + "; ".join(c.dup))
        if ctype in _ATTRIBUTE_TYPES:
            attribute_chars.append(f"{name} (K2004 = {ctype})")
            for k, rec in enumerate(recs, start=1):
                if _int_field(st, rec, "K0002", file) in _DELETED_ATTRIBUTES:
                    deleted += 1  # a deleted sample (K0002 255/256) is not counted
                    continue
                attr_rows.append({
                    "feature": name, "lot": _lot(rec), "subgroup": k,
                    "timestamp": _ts(st, rec, file),
                    "sample_size": _int_field(st, rec, "K0020", file),
                    "nonconforming": _int_field(st, rec, "K0021", file),
                    "char_type": ctype,  # K2004: 1 is analysed (pilotqa.stats.attributes), 5/6 error logs are not
                })
            continue
        if ctype != 0:
            skipped_types.append(f"{name} (K2004 = {ctype})")
            continue
        if not recs:
            no_values.append(name)
        spec_rows.append(_spec(st, c, name, notes, f"{path.name}: AQDEF K2xxx"))
        for k, rec in enumerate(recs, start=1):
            if "K0001" not in rec:
                raw_line = next(iter(rec.values()))[1]
                raise InputError(f"value set {k} of characteristic {idx} ('{name}') has fields "
                                 f"{sorted(rec)} but no value K0001", file=file, line=raw_line)
            raw, line = rec["K0001"]
            r = parse_cell(raw)
            if isinstance(r, CellProblem):
                raise InputError(f"characteristic {idx} ('{name}'): value K0001 {r.reason}", file=file,
                                 line=line)
            value = None if isinstance(r, Missing) else r
            if value is None:
                empty += 1
            attr = _int_field(st, rec, "K0002", file)
            if attr in _DELETED_ATTRIBUTES:
                if value is not None:
                    deleted += 1
                value = None
            elif attr not in (None, 0):
                odd_attr[attr] += 1
            seq = part_offsets[c.part] + k
            row: dict[str, Any] = {
                "part_id": rec.get("K0014", ("", 0))[0].strip() or None, "lot": _lot(rec),
                "subgroup": None, "sequence": seq, "timestamp": _ts(st, rec, file),
                "feature": name, "value": value, "_line": rec["K0001"][1], "_k": k,
                "_idx": idx}
            for key, col in _STREAM_KEYS.items():
                row[col] = _catalog(rec, key)
            meas_rows.append(row)
    notes += _one_part_per_value_set(st, meas_rows, multi)
    sg_size, sg_notes = _subgroup_size(st, [i for i, c in st.chars.items()
                                            if _char_type(st, i) == 0], opts)
    notes += sg_notes
    if sg_size:
        numbers: dict[tuple[int, int], int] = {}
        for block in sorted({(st.chars[r["_idx"]].part, (r["_k"] - 1) // sg_size)
                             for r in meas_rows}):
            numbers[block] = len(numbers) + 1
        for row in meas_rows:
            row["subgroup"] = numbers[(st.chars[row["_idx"]].part, (row["_k"] - 1) // sg_size)]
    if st.extra_fields:
        notes.append(f"{st.extra_fields} value portion(s) with more than the ten defined fields "
                     "(current qs-STAT writes twelve): the defined fields read, the rest ignored")
    if st.epoch_dates:
        notes.append(f"{st.epoch_dates} date/time(s) K0004 '01.01.1970/00:00:00' (an unset date) "
                     "read as no date")
    if deleted:
        notes.append(f"{deleted} value(s) flagged deleted/empty by their attribute K0002 "
                     "(255/256) counted as not measured")
    if empty:
        notes.append(f"{empty} empty value field(s) counted as not measured")
    if odd_attr:
        notes.append("values kept although their K0002 attribute is not 0 (meaning not verified): "
                     + ", ".join(f"code {a} × {n}" for a, n in sorted(odd_attr.items())))
    if attribute_chars:
        notes.append("attribute characteristics (subgroup size K0020 / nonconforming K0021, not "
                     "measured values): " + ", ".join(attribute_chars))
    if skipped_types:
        notes.append("characteristics of a type pilotqa does not read (K2004 other than 0, 1, 5, "
                     "6) — their values were not read: " + ", ".join(skipped_types))
    if no_values:
        notes.append("characteristics without any value: " + ", ".join(no_values))
    nolimit = [r["feature"] for r in spec_rows if r["lsl"] is None and r["usl"] is None]
    if nolimit:
        notes.append("characteristics without specification limits in the file (no K2110/K2111 "
                     "or K2112/K2113 for their index): " + ", ".join(nolimit))
    if multi:
        notes.append(f"the file holds {len(part_offsets)} AQDEF parts; features are named "
                     "'part number/characteristic'")
    if st.unmapped:
        notes.append(f"{len(st.unmapped)} K-field(s) read but not used: "
                     + ", ".join(sorted(st.unmapped)))
    no_lot = sum(r["lot"] is None for r in meas_rows)
    if no_lot:
        for row in meas_rows:
            row["lot"] = row["lot"] or path.stem
        for row in attr_rows:
            row["lot"] = row["lot"] or path.stem
        notes.append(f"{no_lot} value(s) without a batch K0006: lot = the file name '{path.stem}'")
    meta = _metadata(st)
    streams = [c for c in _STREAM_KEYS.values() if any(r[c] is not None for r in meas_rows)]
    schema = {**MEASUREMENT_SCHEMA, **{c: pl.String() for c in streams}}
    measurements = pl.DataFrame([{k: r[k] for k in schema} for r in meas_rows], schema=schema) \
        if meas_rows else pl.DataFrame(schema=MEASUREMENT_SCHEMA)
    specs = pl.DataFrame(spec_rows, schema=SPEC_SCHEMA) if spec_rows else pl.DataFrame(schema=SPEC_SCHEMA)
    attributes = pl.DataFrame(attr_rows, schema=ATTRIBUTE_SCHEMA) if attr_rows else None
    details = {
        "format": FORMAT,
        "files": [str(s) for s in sources],
        "encoding": encoding,
        "parts_in_file": len(part_offsets),
        "characteristics": len(st.chars),
        "declared_characteristics_k0100": st.total,
        "variable_characteristics": len(spec_rows),
        "attribute_characteristics": attribute_chars,
        "value_lines_separator_notation": st.n_sep_lines,
        "value_fields_k_notation": st.n_key_values,
        "values": len(meas_rows),
        "stream_columns": streams,
        "subgroup_size_k8500": sg_size,
        "unmapped_keys": {k: st.unmapped[k] for k in sorted(st.unmapped)},
        "assumptions": [
            "K2005 class 4 -> critical, 2-3 -> major, 0-1 -> minor (code meanings not verified)",
            "K2120/K2121 = 2 or 3 -> natural boundary, not a specification limit",
            "K0002 = 255/256 -> value deleted/empty; other non-zero codes kept",
            "value portions: the ten defined fields read, extra trailing fields ignored",
            "K0007/K0008/K0010/K0012 = 0 or empty -> not given (catalogue numbers)",
            "K0004 01.01.1970/00:00:00 -> no date",
            "a value set's part takes the first non-empty batch K0006 of its characteristics",
            "K8500 n > 1 with K8501 = 0 -> subgroups of n consecutive values; K8501 = 1 (moving) "
            "-> none",
        ],
    }
    return Inspection(
        measurements=measurements, specs=specs, layout="aqdef",
        files=[SourceFile(str(s), sha256_file(s), FORMAT) for s in sources],
        metadata=meta, notes=notes, attributes=attributes, details=details,
    )


def _lot(rec: dict[str, tuple[str, int]]) -> str | None:
    raw = rec.get("K0006", ("", 0))[0].strip()
    if raw.startswith("#"):
        raw = raw[1:].strip()
    return raw or None


def _ts(st: _State, rec: dict[str, tuple[str, int]], file: str) -> datetime | None:
    src = rec.get("K0004")
    if src is None or not src[0].strip():
        return None
    dt = parse_datetime(src[0])
    if dt is None:
        raise InputError(f"K0004 date/time '{src[0]}' is not 'dd.mm.yyyy/hh:mm:ss'", file=file,
                         line=src[1])
    if dt == _EPOCH:
        st.epoch_dates += 1
        return None
    return dt


def _catalog(rec: dict[str, tuple[str, int]], key: str) -> str | None:
    """A catalogue-number field (nest, operator, machine, gauge): None when empty or 0."""
    raw = rec.get(key, ("", 0))[0].strip()
    return None if raw in ("", "0") else raw


def _one_part_per_value_set(st: _State, rows: list[dict[str, Any]], multi: bool) -> list[str]:
    """Give every reading of one value set (AQDEF part, value number k) the same part and lot.

    The lot is the first non-empty batch of the set's characteristics, the part ident the first
    non-empty K0014, else the value number; a set whose characteristics carry different batches
    is named in a note (its part would otherwise appear twice, once per batch).
    """
    sets: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for r in rows:
        sets.setdefault((st.chars[r["_idx"]].part, r["_k"]), []).append(r)
    conflicts: list[str] = []
    for (part, k), members in sets.items():
        lots = list(dict.fromkeys(r["lot"] for r in members if r["lot"] is not None))
        idents = list(dict.fromkeys(r["part_id"] for r in members if r["part_id"] is not None))
        if len(lots) > 1 or len(idents) > 1:
            conflicts.append(f"line {members[0]['_line']}: batches {lots}" if len(lots) > 1
                             else f"line {members[0]['_line']}: part idents {idents}")
        if idents:
            pid = idents[0]
        elif multi:
            pid = f"{st.part_fields.get(part, {}).get('K1001', part)}#{k}"
        else:
            pid = str(k)
        for r in members:
            r["lot"] = lots[0] if lots else None
            r["part_id"] = pid
    if not conflicts:
        return []
    shown = "; ".join(conflicts[:3]) + (f" and {len(conflicts) - 3} more" if len(conflicts) > 3
                                        else "")
    return [f"{len(conflicts)} value set(s) whose characteristics carry different batch (K0006) or "
            f"part ident (K0014) fields, each read as one part with the first non-empty one: "
            f"{shown}"]


def _subgroup_size(st: _State, variable: list[int], opts: "ReadOptions") -> tuple[int | None,
                                                                                    list[str]]:
    """The K8500 subgroup size to use (module docstring), with notes on what was decided."""
    sizes: dict[tuple[int, int], list[int]] = {}
    for idx in variable:
        if not st.records.get(idx):
            continue
        c = st.chars[idx]
        n_raw, t_raw = _num(st, c, "K8500"), _num(st, c, "K8501")
        n = int(n_raw) if n_raw is not None and n_raw.is_integer() and n_raw >= 1 else 1
        t = int(t_raw) if t_raw is not None and t_raw.is_integer() else 0
        sizes.setdefault((n, t), []).append(idx)
    used = {k for k in sizes if k[0] > 1}
    if not used:
        return None, []
    if opts.subgroup_size is not None:
        return None, [f"K8500 subgroup size(s) {sorted({n for n, _ in used})} of the file not "
                      f"used: --subgroup-size {opts.subgroup_size} given"]
    if len(sizes) > 1:
        desc = ", ".join(f"n = {n} (K8501 = {t}) for {len(ix)}" for (n, t), ix in sorted(sizes.items()))
        return None, [f"K8500/K8501 subgroup settings differ between characteristics ({desc}): "
                      "read as individuals; use --subgroup-size N to form subgroups"]
    (n, t), = sizes
    if t != 0:
        return None, [f"K8500 subgroup size {n} with K8501 = {t} (moving subgroups, a chart "
                      "setting): read as individuals"]
    return n, [f"subgroups of {n} consecutive values from K8500 (subgroup size) with K8501 = 0 "
               "(fixed subgroups)"]


def _int_field(st: _State, rec: dict[str, tuple[str, int]], key: str, file: str) -> int | None:
    src = rec.get(key)
    if src is None or not src[0].strip():
        return None
    try:
        return int(float(src[0].strip().replace(",", ".")))
    except (ValueError, OverflowError):
        raise InputError(f"{key} '{src[0]}' is not a whole number", file=file,
                         line=src[1]) from None


def _metadata(st: _State) -> dict[str, str]:
    meta: dict[str, str] = {}
    parts = sorted(p for p in st.part_fields if p != 0)
    first = st.part_fields.get(parts[0], {}) if parts else {}
    merged = {**st.part_fields.get(0, {}), **first}
    for key, name in _PART_META.items():
        if merged.get(key):
            meta[name] = merged[key]
    if len(parts) > 1:
        meta["part_numbers"] = ", ".join(st.part_fields[p].get("K1001", f"part {p}") for p in parts)
    return meta


def read_path(path: Path, opts: "ReadOptions") -> Inspection:
    """Read a ``.dfq``, or a ``.dfd`` with its ``.dfx`` (same stem, same folder)."""
    path = Path(path)
    suffix = path.suffix.lower()
    sources = [path]
    if suffix == ".dfx":
        dfd = _sibling(path, ".dfd")
        if dfd is None:
            raise InputError("an AQDEF .dfx holds values only; its description (.dfd with the same "
                             "name) is missing", file=str(path))
        path, sources = dfd, [dfd, path]
    elif suffix == ".dfd":
        dfx = _sibling(path, ".dfx")
        if dfx is not None:
            sources = [path, dfx]
    st = _State(file=str(path))
    notes: list[str] = []
    encodings: list[str] = []
    for src in sources:
        text, enc, n = decode_text(src.read_bytes(), str(src))
        notes += n
        encodings.append(enc)
        _parse_lines(st, text, str(src))
    if not st.chars:
        raise InputError("no characteristic (K2xxx field) in the AQDEF file", file=str(path))
    if suffix == ".dfd" and len(sources) == 1:
        notes.append(f"{path.name}: description only — no .dfx with values beside it")
    return _build(st, path, sources, notes, "+".join(dict.fromkeys(encodings)), opts)
