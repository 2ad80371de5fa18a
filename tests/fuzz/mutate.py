"""Mutations of fuzz cases: bytes, text cells, headings, encodings, XLSX (cells, XML, zip), XLS
(OLE2 container and BIFF records) and relations between several files.

Every mutation is a function ``(data, rng) -> (data, name)`` on the bytes of one file of a case;
:func:`mutate` applies one to three of them to a random file of the case, chosen by the file's
kind. Everything is driven by a ``random.Random``, so a (seed, index) pair always gives the same
input (:func:`generate`).
"""
from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime

from .corpus import FORMATS, Case, seeds

__all__ = ["SPECIALS", "mutate", "generate", "case_for"]

Op = Callable[[bytes, random.Random], tuple[bytes, str]]

#: Values a cell is set to: huge, tiny, signed zero, text NaN/inf, dates, control characters,
#: long strings, quotes and separators, Excel errors, formulas, units, censored readings.
SPECIALS: tuple[str, ...] = (
    "", "1e308", "-1e308", "1.7976931348623157e308", "1e309", "-0", "-0.0", "nan", "NaN", "inf",
    "-inf", "Infinity", "1e-320", "0", "0.000000000000000000001", "123456789012345678901234567890",
    "12.3456789012345678", "2024-03-01", "2024-03-01 08:00:00", "01.03.2024/08:00:00", "3/1/2024",
    "#DIV/0!", "N/A", "OK", "<0.001", "1,5", "1.000,5", "1 234,5", "=1+2", "\x00", "\x1b[2J",
    "a\u202eb", "\u2028", "é", "µm", "x" * 10_000, "9" * 10_000, "1" * 400, '"', '""', "'",
    "\t", ";", ",", "\r", "\x0f", "\x14", "K0001/1 5", "-", "+", "e", "1e", ".", "Ø20 ±0.02",
    "10 mm", "TRUE", "0x1F", "1e308e", "--1", "1..2", "\ufeff", "<script>alert(1)</script>",
)

_NUM_RE = re.compile(rb"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")


def _special(rng: random.Random) -> str:
    return rng.choice(SPECIALS)


def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


# ------------------------------------------------------------------------------ byte level
def flip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    b = bytearray(data)
    if not b:
        return b"\x00", "flip(empty)"
    k = rng.choice((1, 1, 1, 2, 4, 16))
    for _ in range(k):
        i = rng.randrange(len(b))
        b[i] = rng.randrange(256) if rng.random() < 0.5 else b[i] ^ (1 << rng.randrange(8))
    return bytes(b), f"flip{k}"


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if len(data) < 2:
        return b"", "truncate"
    n = rng.randrange(1, len(data))
    return data[:n], f"truncate@{n}"


def insert_junk(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    junk = rng.choice((b"\x00", b"\xff\xfe", b'"', b'"""', b"\r", b"\n\n\n", b"\x1a", b"\xe9",
                       bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))))
    i = rng.randrange(len(data) + 1)
    return data[:i] + junk + data[i:], "insert"


def delete_range(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if not data:
        return data, "delete"
    i = rng.randrange(len(data))
    n = rng.randrange(1, min(len(data) - i, 200) + 1)
    return data[:i] + data[i + n:], "delete"


# ------------------------------------------------------------------------------ text level
def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _delim(line: bytes) -> bytes:
    for d in (b"\x0f", b"\t", b";", b","):
        if d in line:
            return d
    return b" "


def line_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    lines = _lines(data)
    if len(lines) < 2:
        return data, "line-noop"
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    how = rng.choice(("dup", "del", "swap", "keep-head", "move-to-end"))
    if how == "dup":
        lines.insert(j, lines[i])
    elif how == "del":
        del lines[i]
    elif how == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "keep-head":  # a one-part (or heading-only) file
        lines = lines[: rng.randrange(1, min(len(lines), 6) + 1)]
    else:
        lines.append(lines.pop(i))
    return b"\n".join(lines), f"line-{how}"


def cell_set(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One field of one line (by the line's separator) set to a special value."""
    lines = _lines(data)
    i = rng.randrange(len(lines))
    d = _delim(lines[i])
    cells = lines[i].split(d)
    j = rng.randrange(len(cells))
    v = _special(rng)
    cells[j] = _enc(v)
    lines[i] = d.join(cells)
    return b"\n".join(lines), f"cell={v[:12]!r}"


def number_set(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A number token (or all its equal occurrences) replaced by a special value / another number."""
    found = list(_NUM_RE.finditer(data))
    if not found:
        return cell_set(data, rng)
    m = rng.choice(found)
    v = _special(rng) if rng.random() < 0.7 else repr(rng.choice((-1, 1)) * rng.random() * 10 ** rng.randrange(-6, 6))
    if rng.random() < 0.25:  # every occurrence: consistent changes (specs, limits, conflicts)
        tok = m.group(0)
        return re.sub(rb"(?<![\d.])" + re.escape(tok) + rb"(?![\d.])", _enc(v).replace(b"\\", b"\\\\"), data), f"all-numbers={v[:12]!r}"
    return data[: m.start()] + _enc(v) + data[m.end():], f"number={v[:12]!r}"


def column_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Column-wise: constant column (zero variance), emptied column, swapped columns."""
    lines = _lines(data)
    body = [k for k, ln in enumerate(lines) if ln.strip()]
    if len(body) < 3:
        return data, "column-noop"
    d = _delim(lines[body[1]])
    rows = [lines[k].split(d) for k in body]
    width = max(len(r) for r in rows)
    j, j2 = rng.randrange(width), rng.randrange(width)
    how = rng.choice(("constant", "empty", "swap", "widen"))
    first = rows[1][j] if j < len(rows[1]) else b""
    for r in rows[1:]:
        if how == "constant" and j < len(r):
            r[j] = first
        elif how == "empty" and j < len(r):
            r[j] = b""
        elif how == "swap" and j < len(r) and j2 < len(r):
            r[j], r[j2] = r[j2], r[j]
    if how == "swap" and j < len(rows[0]) and j2 < len(rows[0]) and rng.random() < 0.5:
        rows[0][j], rows[0][j2] = rows[0][j2], rows[0][j]
    if how == "widen":  # many columns: the last field repeated
        k = rng.choice((50, 500, 3000))
        rows = [r + [r[-1]] * k for r in rows]
    for k, r in zip(body, rows):
        lines[k] = d.join(r)
    return b"\n".join(lines), f"column-{how}"


def heading_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Headings / labels: duplicated, swapped, blanked; LSL and USL (and their kin) swapped."""
    pairs = ((b"lsl", b"usl"), (b"LSL", b"USL"), (b"K2110", b"K2111"), (b"uppertol", b"lowertol"),
             (b"+TOL", b"-TOL"), (b"+Tol", b"-Tol"), (b"feature", b"part_id"), (b"lot", b"value"))
    present = [p for p in pairs if p[0] in data and p[1] in data]
    if present and rng.random() < 0.5:
        a, b = rng.choice(present)
        return data.replace(a, b"\x00SW\x00").replace(b, a).replace(b"\x00SW\x00", b), f"swap-{a.decode()}"
    lines = _lines(data)
    i = next((k for k, ln in enumerate(lines) if re.search(rb"[A-Za-z]", ln)), 0)
    d = _delim(lines[i])
    cells = lines[i].split(d)
    j, j2 = rng.randrange(len(cells)), rng.randrange(len(cells))
    how = rng.choice(("dup", "swap", "blank", "upper"))
    if how == "dup":
        cells[j2] = cells[j]
    elif how == "swap":
        cells[j], cells[j2] = cells[j2], cells[j]
    elif how == "blank":
        cells[j] = b""
    else:
        cells = [c.upper() for c in cells]
    lines[i] = d.join(cells)
    return b"\n".join(lines), f"heading-{how}"


def encoding_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    text = data.decode("utf-8", "replace")
    how = rng.choice(("utf-16", "utf-16-le", "utf-16-be", "latin-1", "bom", "double-bom", "cp1252"))
    if how in ("latin-1", "cp1252"):
        text = text.replace("a", "ä", 3).replace("u", "µ", 1)
        return text.encode(how, "replace"), how
    if how == "bom":
        return b"\xef\xbb\xbf" + data, how
    if how == "double-bom":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + data, how
    return text.encode(how, "surrogatepass"), how


def delimiter_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    seps = (b",", b";", b"\t", b"|", b" ")
    a, b = rng.sample(seps, 2)
    if rng.random() < 0.5:
        return data.replace(a, b), f"delim-{a!r}->{b!r}"
    lines = _lines(data)
    idx = rng.sample(range(len(lines)), max(1, len(lines) // 3))
    for k in idx:
        lines[k] = lines[k].replace(a, b)
    out = b"\n".join(lines)
    if rng.random() < 0.3:
        out = out.replace(b".", b",")
    return out, "delim-mixed"


def control_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    ch = rng.choice((b"\x00", b"\x1b", b"\x7f", b"\x0c", b"\x0b", b"\r", "\u2028".encode(), b"\x85",
                     "\ufffe".encode(), b"\xed\xa0\x80"))
    b = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        i = rng.randrange(len(b) + 1)
        b[i:i] = ch
    return bytes(b), "control"


def long_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    n = rng.choice((10_000, 40_000, 140_000))
    s = rng.choice((b"x", b"9", b"1.", b" ", b'"')) * n
    i = rng.randrange(len(data) + 1)
    return data[:i] + s + data[i:], f"long{n}"


def line_endings(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    how = rng.choice(("cr", "lf", "crlf-mixed"))
    d = data.replace(b"\r\n", b"\n")
    if how == "cr":
        return d.replace(b"\n", b"\r"), how
    if how == "lf":
        return d, how
    lines = d.split(b"\n")
    return b"".join(ln + (b"\r\n" if k % 2 else b"\n") for k, ln in enumerate(lines)), how


TEXT_OPS: tuple[tuple[float, Op], ...] = (
    (3, flip), (2, truncate), (1, insert_junk), (1, delete_range), (3, line_op), (4, cell_set),
    (5, number_set), (2, column_op), (2, heading_op), (1.5, encoding_op), (1.5, delimiter_op),
    (1, control_op), (0.7, long_op), (0.5, line_endings),
)


# ------------------------------------------------------------------------------ XLSX
def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, body in members:
            z.writestr(info.filename, body)
    return buf.getvalue()


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i, z.read(i)) for i in z.infolist()]


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xlsx_xml_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    try:
        members = _members(data)
    except Exception:
        return flip(data, rng)
    cand = [k for k, (i, _) in enumerate(members)
            if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"]
    if not cand:
        return flip(data, rng)
    k = rng.choice(cand)
    info, body = members[k]
    how = rng.choice(("value", "value", "value", "raw", "ref", "type", "row", "string-swap"))
    name = f"xml-{how}"
    if how in ("value", "raw"):
        found = list(re.finditer(rb"<(v|t)(?: [^>]*)?>([^<]*)</\1>", body))
        if found:
            m = rng.choice(found)
            v = _special(rng)
            new = v.encode("utf-8", "surrogateescape") if how == "raw" else _xml_escape(v).encode("utf-8", "surrogateescape")
            body = body[: m.start(2)] + new + body[m.end(2):]
            name += f"={v[:12]!r}"
    elif how == "ref":
        found = list(re.finditer(rb'\br="([A-Z]+\d+)"', body))
        if found:
            m = rng.choice(found)
            new = rng.choice((b"XFD1048576", b"A1048576", b"XFD1", b"A1", b"ZZZZ9", b"A0", b"B2"))
            body = body[: m.start(1)] + new + body[m.end(1):]
            name += "=" + new.decode()
    elif how == "type":
        found = list(re.finditer(rb'<c r="[A-Z]+\d+"( t="\w+")?', body))
        if found:
            m = rng.choice(found)
            t = rng.choice((b' t="s"', b' t="n"', b' t="e"', b' t="b"', b' t="d"', b' t="str"',
                            b' t="inlineStr"', b""))
            body = body[: m.end(0) - len(m.group(1) or b"")] + t + body[m.end(0):]
    elif how == "row":
        rows = list(re.finditer(rb"<row\b.*?</row>", body, re.S))
        if rows:
            m = rng.choice(rows)
            body = body[: m.start()] + (m.group(0) * 2 if rng.random() < 0.5 else b"") + body[m.end():]
    else:
        found = list(re.finditer(rb"<t(?: [^>]*)?>([^<]*)</t>", body))
        if len(found) > 1:
            a, b = rng.sample(found, 2)
            if a.start() > b.start():
                a, b = b, a
            body = (body[: a.start(1)] + b.group(1) + body[a.end(1): b.start(1)] + a.group(1)
                    + body[b.end(1):])
    members[k] = (info, body)
    return _rezip(members), name


def xlsx_cell_op(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Cell-level mutation through openpyxl: value, row/column deletion, one-part sheet, constant
    column, swapped heading cells, a date in a reading cell."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data))
    except Exception:
        return flip(data, rng)
    ws = rng.choice(wb.worksheets)
    if ws.max_row < 1 or ws.max_column < 1:
        return data, "xlsx-noop"
    if ws.max_row * ws.max_column > 200_000:  # a far cell (XFD1048576) from an earlier mutation:
        return flip(data, rng)  # openpyxl would take minutes to edit such a sheet
    r, c = rng.randrange(1, ws.max_row + 1), rng.randrange(1, ws.max_column + 1)
    how = rng.choice(("value", "value", "number", "date", "none", "delete-row", "delete-col",
                      "one-part", "constant", "swap-head", "many-cols"))
    if how == "value":
        v = _special(rng)
        ws.cell(r, c).value = v.replace("\x00", "").replace("\x1b", "")  # openpyxl refuses C0
    elif how == "number":
        ws.cell(r, c).value = rng.choice((1e308, -1e308, -0.0, 5e-324, 1e15 + 0.3, 123456789.123456789, 0))
    elif how == "date":
        ws.cell(r, c).value = datetime(2024, 3, 1, 8, 0)
    elif how == "none":
        ws.cell(r, c).value = None
    elif how == "delete-row":
        ws.delete_rows(r)
    elif how == "delete-col":
        ws.delete_cols(c)
    elif how == "one-part":
        keep = rng.randrange(1, 8)
        if ws.max_row > keep:
            ws.delete_rows(keep + 1, ws.max_row - keep)
    elif how == "constant":
        v = ws.cell(min(ws.max_row, 6), c).value
        for rr in range(2, ws.max_row + 1):
            ws.cell(rr, c).value = v
    elif how == "swap-head":
        c2 = rng.randrange(1, ws.max_column + 1)
        a, b = ws.cell(1, c), ws.cell(1, c2)
        a.value, b.value = b.value, a.value
    else:
        for rr in range(1, ws.max_row + 1):
            v = ws.cell(rr, ws.max_column).value
            for cc in range(ws.max_column + 1, ws.max_column + 200):
                ws.cell(rr, cc).value = v if rr > 1 else f"F{cc}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), f"xlsx-{how}"


def zip_damage(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    how = rng.choice(("eocd", "central", "local", "drop", "bomb", "lie", "stored-garbage"))
    if how in ("eocd", "central", "local"):
        sig = {"eocd": b"PK\x05\x06", "central": b"PK\x01\x02", "local": b"PK\x03\x04"}[how]
        pos = [m.start() for m in re.finditer(re.escape(sig), data)]
        if not pos:
            return flip(data, rng)
        i = rng.choice(pos) + rng.randrange(4, 46)
        b = bytearray(data)
        if i < len(b):
            b[i] = rng.randrange(256)
        return bytes(b), f"zip-{how}"
    try:
        members = _members(data)
    except Exception:
        return truncate(data, rng)
    if how == "drop":
        k = rng.randrange(len(members))
        name = members[k][0].filename
        del members[k]
        return _rezip(members), f"zip-drop-{name}"
    if how == "stored-garbage":
        k = rng.randrange(len(members))
        members[k] = (members[k][0], bytes(rng.randrange(256) for _ in range(200)))
        return _rezip(members), "zip-garbage"
    sheet = next((k for k, (i, _) in enumerate(members) if i.filename.startswith("xl/worksheets/")), 0)
    if how == "bomb":
        # a sheet that inflates to ~300 MB of blanks (a few hundred KB compressed)
        info, body = members[sheet]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i, (inf, bd) in enumerate(members):
                if i != sheet:
                    z.writestr(inf.filename, bd)
            with z.open(info.filename, "w", force_zip64=True) as fh:
                cut = body.find(b"<sheetData>")
                cut = cut + len(b"<sheetData>") if cut >= 0 else len(body) // 2
                fh.write(body[:cut])
                chunk = b" " * (1 << 20)
                for _ in range(300):
                    fh.write(chunk)
                fh.write(body[cut:])
        return buf.getvalue(), "zip-bomb"
    # "lie": the declared uncompressed size of a sheet is enormous
    out = bytearray(data)
    for m in re.finditer(rb"PK\x01\x02", data):
        n = struct.unpack("<H", data[m.start() + 28: m.start() + 30])[0]
        fname = data[m.start() + 46: m.start() + 46 + n]
        if fname.startswith(b"xl/worksheets/"):
            out[m.start() + 24: m.start() + 28] = struct.pack("<I", 0xFFFFFFF0)
            break
    return bytes(out), "zip-size-lie"


XLSX_OPS: tuple[tuple[float, Op], ...] = (
    (4, xlsx_cell_op), (3, xlsx_xml_op), (2, zip_damage), (1.5, flip), (1, truncate),
)


# ------------------------------------------------------------------------------ XLS (OLE2)
def ole_flip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One byte changed in the container structures: header, FAT sectors, directory."""
    b = bytearray(data)
    where = rng.choice(("header", "header", "fat", "dir", "any", "any"))
    if where == "header":
        i = rng.randrange(0x2C, 0x200) if rng.random() < 0.8 else rng.randrange(0, 0x2C)
    elif where == "fat" and len(b) > 512:
        first_fat = struct.unpack("<i", bytes(b[76:80]))[0]
        base = 512 + max(first_fat, 0) * 512
        i = min(len(b) - 1, base + rng.randrange(512))
    elif where == "dir" and len(b) > 512:
        d = struct.unpack("<i", bytes(b[48:52]))[0]
        base = 512 + max(d, 0) * 512
        i = min(len(b) - 1, base + rng.randrange(512))
    else:
        i = rng.randrange(len(b))
    old = b[i]
    b[i] = rng.choice((0x00, 0xFF, 0xFE, 0xFD, old ^ 1, old ^ 0x80, rng.randrange(256)))
    return bytes(b), f"ole-{where}@{i}"


def biff_number(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A NUMBER record's double set to 1e308 / NaN / inf / -0 / a denormal; or a LABELSST index
    or RK value changed."""
    recs = [m.start() for m in re.finditer(rb"\x03\x02\x0e\x00", data)]
    if recs and rng.random() < 0.7:
        p = rng.choice(recs) + 4 + 6
        v = rng.choice((1e308, -1e308, float("nan"), float("inf"), -0.0, 5e-324, 1e20))
        return data[:p] + struct.pack("<d", v) + data[p + 8:], f"biff-number={v}"
    sst = [m.start() for m in re.finditer(rb"\xfd\x00\x0a\x00", data)]
    if sst:
        p = rng.choice(sst) + 4 + 6
        v = rng.choice((0, 1, 2, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF))
        return data[:p] + struct.pack("<I", v) + data[p + 4:], f"biff-labelsst={v}"
    return ole_flip(data, rng)


XLS_OPS: tuple[tuple[float, Op], ...] = (
    (4, ole_flip), (3, biff_number), (2, flip), (1, truncate), (0.5, insert_junk),
)


# ------------------------------------------------------------------------------ driver
def _pick(ops: tuple[tuple[float, Op], ...], rng: random.Random) -> Op:
    return rng.choices([o for _, o in ops], weights=[w for w, _ in ops])[0]


def _ops_for(name: str, data: bytes) -> tuple[tuple[float, Op], ...]:
    if data[:4] == b"PK\x03\x04":
        return XLSX_OPS
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return XLS_OPS
    return TEXT_OPS


def mutate(case: Case, rng: random.Random) -> Case:
    """One to three mutations of one file of ``case`` (mostly its target)."""
    names = sorted(case.files)
    target = case.target_name() if rng.random() < 0.8 else rng.choice(names)
    if case.kind == "calypso" and rng.random() < 0.5:
        target = rng.choice(names)
    data = case.files[target]
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = _pick(_ops_for(target, data), rng)
        try:
            data, what = op(data, rng)
        except Exception as exc:  # a mutation that does not apply (merged cell …): flip bytes
            data, what = flip(data, rng)
            what += f" (after {op.__name__}: {type(exc).__name__})"
        case = case.with_file(target, data, f"{target}:{what}")
    if rng.random() < 0.03:  # the file given under another extension (formats by content)
        ext = rng.choice((".dat", ".txt", ".csv", ".xlsx", ".xls", ""))
        if target in case.inputs:
            new = target.rsplit(".", 1)[0] + ext
            if new not in case.files:
                files = {(new if k == target else k): v for k, v in case.files.items()}
                inputs = tuple(new if i == target else i for i in case.inputs)
                case = Case(case.kind, files, inputs, case.spec, case.policy, case.options,
                            new if case.target == target else case.target, case.history + (f"rename->{ext}",))
    return case


def case_for(seed: int, index: int, kind: str | None = None) -> Case:
    """The ``index``-th fuzz input of campaign ``seed`` (formats in turn unless ``kind``)."""
    rng = random.Random(f"{seed}:{index}")
    k = kind or FORMATS[index % len(FORMATS)]
    pool = seeds()[k]
    case = rng.choices([c for _, c in pool], weights=[w for w, _ in pool])[0]
    return mutate(case, rng)


def generate(n: int, seed: int = 0, kinds: tuple[str, ...] | None = None) -> Iterator[Case]:
    for i in range(n):
        k = kinds[i % len(kinds)] if kinds else None
        yield case_for(seed, i, k)
