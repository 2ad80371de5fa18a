"""Hostile and damaged input at the reading stage (issue 17): every file ends in a result or an
InputError naming the file and the place — never another exception, never a hang — and the
documented hard limits (cell length, columns, workbook cells, unpacked XLSX size) are refused in
one line. Each case is the minimal form of a crash or hang the fuzzer found (tests/fuzz)."""
from __future__ import annotations

import io
import struct
import time
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from pilotqa.errors import InputError, SpecError
from pilotqa.read import read
from pilotqa.read.grids import (MAX_CELL_CHARS, MAX_COLUMNS, MAX_WORKBOOK_CELLS, MAX_XLSX_UNPACKED,
                                ole2_problem, read_grids)

from .conftest import SAMPLE
from .fuzz.corpus import long_csv, wide_xlsx

XLS = SAMPLE / "housing_pilot_report.xls"


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def _refused(paths: list[Path], *where: str) -> str:
    """The InputError message of reading ``paths``; it names every file in ``where``."""
    with pytest.raises(InputError) as ei:
        read(paths)
    msg = str(ei.value)  # (a cell's line break may be quoted; the command line prints one line)
    for w in where:
        assert w in msg, msg
    return msg


# ------------------------------------------------------------------------------------- CSV
def test_csv_field_longer_than_a_cell_is_refused_with_its_line(tmp_path: Path) -> None:
    # a field over 131,072 characters used to escape as _csv.Error (exit 1)
    text = "part,feature,value,lsl,usl\nP1,D,1.0,0,2\nP2,D,\"" + "9" * 140_000 + "\",0,2\n"
    msg = _refused([_write(tmp_path, "long.csv", text)], "long.csv", "line 3")
    assert f"{MAX_CELL_CHARS:,} characters" in msg


def test_csv_cell_at_the_limit_is_read(tmp_path: Path) -> None:
    text = "part,feature,value,lsl,usl,remark\n" + "".join(
        f"P{i},D,1.0{i},0,2,{'x' * MAX_CELL_CHARS}\n" for i in range(5))
    (_, rows), = read_grids(_write(tmp_path, "ok.csv", text))
    assert len(rows) == 6 and len(rows[1][5]) == MAX_CELL_CHARS


def test_csv_with_too_many_columns_is_refused(tmp_path: Path) -> None:
    head = "part," + ",".join(f"F{j}" for j in range(MAX_COLUMNS + 5))
    msg = _refused([_write(tmp_path, "wide.csv", head + "\nP1," + ",".join(["1"] * (MAX_COLUMNS + 5)) + "\n")],
                   "wide.csv", "line 1")
    assert f"{MAX_COLUMNS:,} columns" in msg


@pytest.mark.parametrize("body", [
    'P1,D,"1.0\n2.0",0,2\n',            # a line break inside a quoted reading
    'P1,D,1.0"",0,2\nP2,"D,2.0,0,2\n',  # stray and unbalanced quotes
    "P1,D,1.\x000,0,2\n",               # a NUL byte
    "P1,D,\x1b[2J1.0,0,2\n",            # an escape sequence
])
def test_csv_malformed_quoting_and_stray_bytes_give_a_located_refusal(tmp_path: Path, body: str) -> None:
    p = _write(tmp_path, "bad.csv", "part,feature,value,lsl,usl\nP0,D,1.5,0,2\n" + body)
    msg = _refused([p], "bad.csv")
    assert "row" in msg or "line" in msg or "not a supported inspection export" in msg


def test_csv_is_streamed_and_repeated_texts_are_shared(tmp_path: Path) -> None:
    (_, rows), = read_grids(_write(tmp_path, "long.csv", long_csv()))
    assert rows[1][4] is rows[2][4] or rows[1][4] is rows[5][4]  # feature names kept once
    assert all(r and r[-1] is not None for r in rows)


def test_csv_windows_1252_after_the_first_block(tmp_path: Path) -> None:
    """A byte that is not UTF-8 far into the file: read again as Windows-1252, whole."""
    text = long_csv().decode() + "SN9999,L09,999,2026-10-05T06:00:00,BORE_A_DIA,42.01,42,42,42.025,µm,major\r\n"
    (_, rows), = read_grids(_write(tmp_path, "late.csv", text.encode("cp1252")))
    assert rows[-1][9] == "µm"


def test_utf16_csv_with_bom_is_decoded(tmp_path: Path) -> None:
    (_, rows), = read_grids(_write(tmp_path, "u16.csv", long_csv().decode().encode("utf-16")))
    assert rows[0][:2] == ["part_id", "lot"] and len(rows) > 10


# ------------------------------------------------------------------------------------ XLSX
def test_xlsx_named_dat_is_read_by_content(tmp_path: Path) -> None:
    insp = read([_write(tmp_path, "export.dat", wide_xlsx())])
    assert insp.measurements.height > 0


def _rezip(data: bytes, change: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, change.get(info.filename, src.read(info)))
    return buf.getvalue()


def _sheet(data: bytes) -> tuple[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    name = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    return name, z.read(name)


@pytest.mark.parametrize("edit", [
    (b"<v>42.", b"<v>1..2"),                      # a number cell that is not a number
    (b"<c r=\"C2\" t=\"n\"", b"<c r=\"C2\" t=\"n\" t=\"s\""),  # duplicate attribute: XML error
    (b"<v>", b"<v>\x1b"),                           # a control character XML forbids
    (b"</sheetData>", b""),                         # truncated XML
])
def test_damaged_worksheet_xml_is_a_located_refusal(tmp_path: Path, edit: tuple[bytes, bytes]) -> None:
    data = wide_xlsx()
    name, xml = _sheet(data)
    assert edit[0] in xml
    p = _write(tmp_path, "bad.xlsx", _rezip(data, {name: xml.replace(edit[0], edit[1], 1)}))
    _refused([p], "bad.xlsx")


def test_shared_string_index_out_of_range(tmp_path: Path) -> None:
    data = wide_xlsx()
    name, xml = _sheet(data)
    xml = xml.replace(b't="inlineStr"><is><t>Part no.</t></is>', b't="s"><v>99999</v>', 1)
    _refused([_write(tmp_path, "sst.xlsx", _rezip(data, {name: xml}))], "sst.xlsx", "sheet")


def test_damaged_zip_container_is_refused(tmp_path: Path) -> None:
    data = wide_xlsx()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(_sheet(data)[0])
    magic = bytearray(data)
    magic[info.header_offset: info.header_offset + 4] = b"PK\x09\x09"  # local header destroyed
    _refused([_write(tmp_path, "magic.xlsx", bytes(magic))], "magic.xlsx")
    crc = bytearray(data)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(8):  # bytes inside the deflated sheet: inflate or CRC error while reading rows
        crc[start + info.compress_size // 2 + k] ^= 0x5A
    _refused([_write(tmp_path, "crc.xlsx", bytes(crc))], "crc.xlsx")


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    data = wide_xlsx()
    name, xml = _sheet(data)
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != name:
                z.writestr(info.filename, src.read(info))
        with z.open(name, "w", force_zip64=True) as fh:
            cut = xml.index(b"<sheetData>") + len(b"<sheetData>")
            fh.write(xml[:cut])
            for _ in range(MAX_XLSX_UNPACKED // (1 << 20) + 8):
                fh.write(b" " * (1 << 20))
            fh.write(xml[cut:])
    p = _write(tmp_path, "bomb.xlsx", buf.getvalue())
    assert p.stat().st_size < 2_000_000
    t0 = time.perf_counter()
    msg = _refused([p], "bomb.xlsx", "unpacks to")
    assert time.perf_counter() - t0 < 5 and "MB" in msg


def test_declared_sheet_size_is_not_trusted(tmp_path: Path) -> None:
    """<dimension ref="A1:XFD1048576"/> used to pad every row to 16,384 cells (and add empty rows
    to a million): now the grid holds what the sheet holds."""
    data = wide_xlsx()
    name, xml = _sheet(data)
    xml = xml.replace(b'<dimension ref="A1:F41"', b'<dimension ref="A1:XFD1048576"', 1)
    assert b"XFD1048576" in xml
    t0 = time.perf_counter()
    (_, rows), = read_grids(_write(tmp_path, "dim.xlsx", _rezip(data, {name: xml})))
    assert time.perf_counter() - t0 < 5 and len(rows) < 100 and max(map(len, rows)) < 10


def test_workbook_cell_limit(tmp_path: Path) -> None:
    """Cells far to the right in many rows (each row padded to its last cell) are refused
    before they exhaust memory."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("S")
    rows_needed = MAX_WORKBOOK_CELLS // MAX_COLUMNS + 2
    for r in range(rows_needed):
        ws.append([None] * (MAX_COLUMNS - 1) + [r])
    buf = io.BytesIO()
    wb.save(buf)
    msg = _refused([_write(tmp_path, "far.xlsx", buf.getvalue())], "far.xlsx", "sheet 'S'")
    assert f"{MAX_WORKBOOK_CELLS:,} cells" in msg


def test_xlsx_cell_longer_than_excel_allows(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws.append(["part", "feature", "value"])
    ws.append(["P1", "D", "1" * (MAX_CELL_CHARS + 1)])
    buf = io.BytesIO()
    wb.save(buf)
    _refused([_write(tmp_path, "cell.xlsx", buf.getvalue())], "cell.xlsx", "sheet 'S'", "row 2",
             "cell C2")


# ------------------------------------------------------------------------------------- XLS
def ole_with_short_stream_loop() -> bytes:
    """A minimal OLE2 file whose 100-byte 'Workbook' stream lives in the short-stream container
    and whose short sector chain loops (0 -> 1 -> 0): xlrd's compdoc follows such a chain
    without a check, appending empty slices forever (the one-byte-changed .xls that grew to
    6.9 GB in 300 s)."""
    hdr = bytearray(512)
    hdr[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", hdr, 24, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<H", hdr, 32, 6)
    struct.pack_into("<iiiiiiii", hdr, 44, 1, 1, 0, 4096, 2, 1, -2, 0)
    struct.pack_into("<109i", hdr, 76, *([0] + [-1] * 108))
    fat = [-3, -2, -2, -2] + [-1] * 124

    def entry(name: str, etype: int, child: int, first: int, size: int) -> bytes:
        e = bytearray(128)
        n = (name + "\0").encode("utf-16-le")
        e[0:len(n)] = n
        struct.pack_into("<H", e, 64, len(n))
        e[66], e[67] = etype, 1
        struct.pack_into("<iii", e, 68, -1, -1, child)
        struct.pack_into("<ii", e, 116, first, size)
        return bytes(e)

    directory = entry("Root Entry", 5, 1, 3, 128) + entry("Workbook", 2, -1, 0, 100) + bytes(256)
    ssat = [1, 0] + [-1] * 126
    return bytes(hdr) + struct.pack("<128i", *fat) + directory + struct.pack("<128i", *ssat) + bytes(512)


def test_ole2_loop_is_refused_without_running_into_it(tmp_path: Path) -> None:
    data = ole_with_short_stream_loop()
    assert ole2_problem(data) == "the short stream 'Workbook' loops"
    t0 = time.perf_counter()
    msg = _refused([_write(tmp_path, "loop.xls", data)], "loop.xls", "OLE2")
    assert time.perf_counter() - t0 < 5 and "not a readable XLS workbook" in msg


def test_sample_xls_passes_the_container_check() -> None:
    assert ole2_problem(XLS.read_bytes()) is None


@pytest.mark.parametrize("where", ["fat", "dir", "sst", "truncate"])
def test_damaged_xls_is_a_located_refusal_or_read(tmp_path: Path, where: str) -> None:
    """KeyError / IndexError / struct.error / AssertionError out of xlrd used to be exit 1."""
    data = bytearray(XLS.read_bytes())
    if where == "fat":
        data[512 + 4 * 3: 512 + 4 * 4] = struct.pack("<i", 3)  # a sector pointing at itself
    elif where == "dir":
        d = struct.unpack("<i", bytes(data[48:52]))[0]
        data[512 + 512 * d + 128 + 76: 512 + 512 * d + 128 + 80] = struct.pack("<i", 1)  # child = self
    elif where == "sst":
        at = data.find(b"\xfd\x00\x0a\x00")  # LABELSST -> a string index far out of range
        data[at + 10: at + 14] = struct.pack("<I", 0x7FFFFFFF)
    else:
        data = data[: len(data) // 2]
    p = _write(tmp_path, "damaged.xls", bytes(data))
    try:
        read([p])
    except InputError as exc:
        assert "damaged.xls" in str(exc)


# --------------------------------------------------------------------------- PC-DMIS, policy
def test_pcdmis_text_line_of_blanks_does_not_hang(tmp_path: Path) -> None:
    """A key/value line with a long run of blanks made a regex backtrack quadratically."""
    text = ("PART NAME  : HOUSING" + " " * 4000 + "x\nDIM A= LOCATION OF CIRCLE C UNITS=MM\n"
            "AX NOMINAL +TOL -TOL MEAS\nD 10.0 0.05 0.05 10.01\n")
    t0 = time.perf_counter()
    read([_write(tmp_path, "report.txt", text)])
    long = _write(tmp_path, "long.txt", text.replace(" " * 4000, " " * 40_000))
    _refused([long], "long.txt", "line 1")
    assert time.perf_counter() - t0 < 5


def test_pcdmis_csv_with_a_line_break_in_an_unquoted_field(tmp_path: Path) -> None:
    text = ("Serial,Dimension,Axis,Nominal,+Tol,-Tol,Meas\nS1,D1,D,10,0.05,0.05,10.01\n"
            "S2,D1,D,10,0.05,0.05,10\r.02\n")
    _refused([_write(tmp_path, "pc.csv", text)], "pc.csv")


def test_policy_file_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    from pilotqa.decide.policy import load_policy
    from pilotqa.errors import PolicyError

    p = _write(tmp_path, "policy.toml", "# policy\n[evidence]\nmin_parts = 30 # m\xe4x\n".encode("latin-1"))
    with pytest.raises(PolicyError, match=r"policy\.toml: line 3: not UTF-8"):
        load_policy(str(p))


# --------------------------------------------------------------------------- several files
def _split(tmp_path: Path, overlap: bool) -> tuple[Path, Path]:
    from .fuzz.corpus import split_long

    a, b = split_long(overlap)
    return _write(tmp_path, "a.csv", a), _write(tmp_path, "b.csv", b)


def test_duplicate_reading_across_files_names_both_files(tmp_path: Path) -> None:
    a, b = _split(tmp_path, overlap=True)
    msg = _refused([a, b], str(a), str(b), "2 readings of feature")
    assert "part 'SN" in msg


def test_same_file_twice_names_it(tmp_path: Path) -> None:
    p = _write(tmp_path, "long.csv", long_csv())
    _refused([p, p], str(p), "readings of feature")


def test_conflicting_specs_name_both_files(tmp_path: Path) -> None:
    a, b = _split(tmp_path, overlap=False)
    b.write_text(b.read_text().replace(",42.0250,", ",42.0300,"))
    with pytest.raises(SpecError) as ei:
        read([a, b])
    msg = str(ei.value)
    assert "different specifications" in msg and "a.csv" in msg and "b.csv" in msg


def test_feature_without_spec_in_a_folder_names_its_file(tmp_path: Path) -> None:
    """In a CALYPSO folder, a truncated file left a feature without nominal and tolerances: the
    refusal named no file."""
    from .fuzz.corpus import calypso_files

    files = calypso_files(4)
    for name, data in files.items():
        _write(tmp_path, name.split("/")[-1], data)
    chr2 = tmp_path / "SN0002_chr.txt"
    lines = chr2.read_bytes().split(b"\r\n")
    cut = lines[2].split(b"\t")
    chr2.write_bytes(b"\r\n".join(lines[:2] + [b"\t".join(cut[:3]) + b"X\t" + b"\t".join(cut[3:6])]) + b"\r\n")
    # no longer a refusal: the feature is analysed and kept at 100 %, and the note names its file
    insp = read([tmp_path])
    (msg,) = [n for n in insp.notes if "no specification" in n]
    assert "'BORE_B_DIAX'" in msg and "SN0002_chr.txt" in msg


def test_file_without_a_spec_does_not_contradict_one_with_specs(tmp_path: Path) -> None:
    a, b = _split(tmp_path, overlap=False)
    lines = b.read_text().splitlines()
    b.write_text("\n".join([lines[0]] + [",".join(ln.split(",")[:6] + ["", "", "", "mm", ""])
                                         for ln in lines[1:]]) + "\n")
    insp = read([a, b])
    assert insp.specs.filter(pl.col("usl").is_null()).height == 0


def test_long_reading_cell_with_a_run_of_blanks_does_not_hang() -> None:
    """'30.000' followed by 140,000 blanks and a letter made the number pattern backtrack
    quadratically (a CALYPSO file took minutes)."""
    from pilotqa.read.cells import CellProblem, parse_cell

    t0 = time.perf_counter()
    r = parse_cell("30.000" + " " * 140_000 + "x")
    assert isinstance(r, CellProblem) and "140,007 characters" in r.reason
    assert time.perf_counter() - t0 < 1


def test_attribute_characteristic_without_samples_gives_valid_json(tmp_path: Path, validate_document: object) -> None:
    """An AQDEF characteristic typed attribute (K2004 1) whose value lines carry no sample counts:
    n = 0, no bound p_upper — the document left the key out while the schema required it."""
    from pilotqa.analysis import analyze
    from pilotqa.report.json import build_document

    from .fuzz.corpus import dfd_dfx

    dfd, dfx = dfd_dfx()
    _write(tmp_path, "p.dfd", dfd.replace(b"K2004/1 0", b"K2004/1 1"))
    _write(tmp_path, "p.dfx", dfx)
    doc = build_document(analyze(read([tmp_path / "p.dfd"])))
    attr = [f for f in doc["features"] if f.get("type") == "attribute"]
    assert attr and attr[0]["n"] == 0 and "p_upper" not in attr[0]
    validate_document(doc)  # type: ignore[operator]


def test_toml_integer_past_pythons_digit_limit(tmp_path: Path) -> None:
    """tomllib raises a plain ValueError (not TOMLDecodeError) for an integer of more than
    4,300 digits: spec and policy files refuse it with their name."""
    from pilotqa.decide.policy import load_policy
    from pilotqa.errors import PolicyError

    big = "9" * 5000
    spec = _write(tmp_path, "spec.toml", f"[features.D]\nnominal = {big}\n")
    data = _write(tmp_path, "data.csv", "part,feature,value\nP1,D,1.0\nP2,D,1.1\n")
    from pilotqa.read import ReadOptions

    with pytest.raises(InputError, match=r"spec\.toml: not a valid TOML file"):
        read([data], ReadOptions(spec_file=str(spec)))
    pol = _write(tmp_path, "policy.toml", f"[evidence]\nmin_parts = {big}\n")
    with pytest.raises(PolicyError, match=r"policy\.toml: not valid TOML"):
        load_policy(str(pol))


def test_denormal_tolerance_is_shown_not_a_crash() -> None:
    """A limit of 5e-324 (the smallest float) made the report's decimals a log of zero."""
    from types import SimpleNamespace

    from pilotqa.report.text import value_decimals

    fs = SimpleNamespace(lsl=0.0, usl=5e-324, nominal=0.0, lower_bound_zero=False)
    assert value_decimals(fs) == 7  # type: ignore[arg-type]


def test_no_readings_in_a_file_with_its_companion_names_the_file(tmp_path: Path) -> None:
    """A CALYPSO table read with its header file (two files, one input) whose readings are all
    blank: the refusal named no file."""
    from .fuzz.corpus import calypso_files

    files = calypso_files(1)
    for name, data in files.items():
        _write(tmp_path, name.split("/")[-1], data)
    chr1 = tmp_path / "SN0001_chr.txt"
    lines = chr1.read_bytes().split(b"\r\n")
    head = lines[0].split(b"\t")
    k = head.index(b"actual")
    body = []
    for ln in lines[1:]:
        cells = ln.split(b"\t")
        if len(cells) > k:
            cells[k] = b""
        body.append(b"\t".join(cells))
    chr1.write_bytes(b"\r\n".join([lines[0]] + body))
    _refused([chr1], "no numeric readings", "SN0001_chr.txt")


def test_toml_dotted_key_of_many_parts_is_refused_quickly(tmp_path: Path) -> None:
    """'key1.1.1.1…' with 70,000 parts: tomllib builds the key in quadratic time and memory (a
    policy file grew past 4 GB). Lines longer than 10,000 characters are refused first."""
    from pilotqa.decide.policy import load_policy
    from pilotqa.errors import PolicyError
    from pilotqa.read import ReadOptions

    key = "non_normal" + "1." * 70_000 + "x = 1"
    t0 = time.perf_counter()
    pol = _write(tmp_path, "policy.toml", f"# policy\n{key}\n")
    with pytest.raises(PolicyError, match=r"policy\.toml: line 2: longer than 10,000 characters"):
        load_policy(str(pol))
    spec = _write(tmp_path, "spec.toml", f"[features.D]\n{key}\n")
    data = _write(tmp_path, "data.csv", "part,feature,value\nP1,D,1.0\nP2,D,1.1\n")
    with pytest.raises(InputError, match=r"spec\.toml, line 2: longer than 10,000"):
        read([data], ReadOptions(spec_file=str(spec)))
    assert time.perf_counter() - t0 < 5


def test_toml_integer_past_the_float_range_in_a_spec(tmp_path: Path) -> None:
    """lsl = 111…1 (400 digits) is a valid TOML integer; float() of it overflowed (exit 1)."""
    from pilotqa.read import ReadOptions

    spec = _write(tmp_path, "spec.toml", "[features.D]\nnominal = 1.0\nlsl = " + "1" * 400 + "\n")
    data = _write(tmp_path, "data.csv", "part,feature,value\nP1,D,1.0\nP2,D,1.1\n")
    with pytest.raises(InputError, match=r"spec\.toml, column 'features\.D\.lsl'.*floating-point range"):
        read([data], ReadOptions(spec_file=str(spec)))


def test_policy_number_past_the_float_range(tmp_path: Path) -> None:
    from pilotqa.decide.policy import load_policy
    from pilotqa.errors import PolicyError

    pol = _write(tmp_path, "policy.toml", "[requirements]\nnon_normal_aic_window = " + "1" * 400 + "\n")
    with pytest.raises(PolicyError, match=r"policy\.toml, key 'requirements\.non_normal_aic_window': expected a number"):
        load_policy(str(pol))


def test_duplicate_part_in_a_dfd_dfx_pair_names_the_files(tmp_path: Path) -> None:
    """One input read from two files (.dfd + .dfx): a part measured twice named no file."""
    from .fuzz.corpus import dfd_dfx

    dfd, dfx = dfd_dfx()
    lines = dfx.split(b"\r\n")
    first = lines[: lines.index(next(ln for ln in lines if ln.startswith(b"K0014"))) + 1]
    _write(tmp_path, "p.dfd", dfd)
    _write(tmp_path, "p.dfx", b"\r\n".join(first + lines))
    _refused([tmp_path / "p.dfd"], "p.dfd", "p.dfx", "2 readings of feature")
