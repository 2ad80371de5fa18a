"""Seed cases of the fuzzer: one per input format and layout, derived from ``sample_data/``, the
test fixtures (``tests/data/``) and ``../shared/real_exports/``.

A :class:`Case` is a set of files (relative path -> bytes) and the command-line arguments that
name them. Seeds are kept small (3-4 characteristics, 20-40 parts) so that one analysis takes a
fraction of a second; the full sample files are seeds too, with a lower weight.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
TESTDATA = REPO / "tests" / "data"
REAL = REPO.parent / "shared" / "real_exports"

__all__ = ["Case", "seeds", "FORMATS", "REPO", "SAMPLE", "REAL"]


@dataclass(frozen=True)
class Case:
    """Files of one fuzz input and the arguments of ``pilotqa analyze``.

    ``files`` maps a relative path (``a.csv``, ``run/SN1_chr.txt``) to its bytes; ``inputs``,
    ``spec`` and ``policy`` are relative paths (a folder for CALYPSO). ``kind`` is the format
    the outcome is counted under; ``target`` the file the mutations work on (default: the first
    input); ``history`` the mutations applied.
    """

    kind: str
    files: dict[str, bytes]
    inputs: tuple[str, ...]
    spec: str | None = None
    policy: str | None = None
    options: tuple[str, ...] = ()
    target: str | None = None
    history: tuple[str, ...] = field(default=())

    def target_name(self) -> str:
        if self.target is not None:
            return self.target
        first = self.inputs[0]
        if first in self.files:
            return first
        return sorted(k for k in self.files if k.startswith(first + "/"))[0]

    def with_file(self, name: str, data: bytes, what: str) -> "Case":
        files = dict(self.files)
        files[name] = data
        return replace(self, files=files, history=self.history + (what,))


# ------------------------------------------------------------------------------ source data
FEATURES = ("BORE_A_DIA", "BORE_B_DIA", "HOLE1_POS", "ROUGHNESS_RA")


@lru_cache(maxsize=None)
def _long_rows() -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of the sample long CSV, cut to FEATURES and 36 parts of 3 lots."""
    with open(SAMPLE / "housing_pilot_long.csv", newline="", encoding="utf-8") as fh:
        rd = csv.DictReader(fh)
        head = list(rd.fieldnames or [])
        rows = list(rd)
    keep_parts: dict[str, int] = {}
    for r in rows:
        if r["part_id"] not in keep_parts:
            keep_parts[r["part_id"]] = len(keep_parts)
    by_lot: dict[str, list[str]] = {}
    for r in rows:
        lst = by_lot.setdefault(r["lot"], [])
        if r["part_id"] not in lst:
            lst.append(r["part_id"])
    parts = {p for lst in by_lot.values() for p in lst[:12]}
    out = [r for r in rows if r["part_id"] in parts and r["feature"] in FEATURES]
    return head, out


def _parts() -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    head, rows = _long_rows()
    specs: dict[str, dict[str, str]] = {}
    parts: dict[str, dict[str, str]] = {}
    for r in rows:
        specs.setdefault(r["feature"], r)
        p = parts.setdefault(r["part_id"], {"part_id": r["part_id"], "lot": r["lot"],
                                            "timestamp": r["timestamp"], "sequence": r["sequence"]})
        p[r["feature"]] = r["value"]
    return specs, list(parts.values())


def _csv(rows: list[list[str]], delim: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


@lru_cache(maxsize=None)
def long_csv() -> bytes:
    head, rows = _long_rows()
    return _csv([head] + [[r[h] for h in head] for r in rows])


def long_csv_without_specs() -> bytes:
    head, rows = _long_rows()
    h = ["part_id", "lot", "sequence", "feature", "value"]
    return _csv([h] + [[r[c] for c in h] for r in rows])


@lru_cache(maxsize=None)
def wide_rows() -> list[list[str]]:
    specs, parts = _parts()
    feats = list(specs)
    rows = [["Part no.", "Lot", *feats]]
    rows.append(["Nominal", "", *[specs[f]["nominal"] for f in feats]])
    rows.append(["USL", "", *[specs[f]["usl"] for f in feats]])
    rows.append(["LSL", "", *[specs[f]["lsl"] for f in feats]])
    rows.append(["Unit", "", *[specs[f]["unit"] for f in feats]])
    for p in parts:
        rows.append([p["part_id"], p["lot"], *[p[f] for f in feats]])
    return rows


def wide_csv(delim: str = ";") -> bytes:
    rows = [[c.replace(".", ",") if delim == ";" else c for c in r] for r in wide_rows()]
    return _csv(rows, delim)


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    from tests.workbooks import write_xlsx

    return write_xlsx(io.BytesIO(), sheets).getvalue()


def _num(s: str) -> object:
    try:
        return float(s)
    except ValueError:
        return s if s else None


@lru_cache(maxsize=None)
def wide_xlsx() -> bytes:
    rows = [[_num(c) if i else c for i, c in enumerate(r)] for r in wide_rows()]
    return _xlsx({"Pilot": rows})


@lru_cache(maxsize=None)
def lots_xlsx() -> bytes:
    """Wide layout, one sheet per lot (lots from sheet names)."""
    rows = wide_rows()
    head, specs, body = rows[0], rows[1:5], rows[5:]
    sheets: dict[str, list[list[object]]] = {}
    for r in body:
        sheets.setdefault(f"Lot {r[1]}", [[head[0], *head[2:]]] + [[s[0], *map(_num, s[2:])] for s in specs])
        sheets[f"Lot {r[1]}"].append([r[0], *map(_num, r[2:])])
    return _xlsx(sheets)


@lru_cache(maxsize=None)
def long_xlsx() -> bytes:
    head, rows = _long_rows()
    out: list[list[object]] = [list(head)]
    for r in rows:
        out.append([r["part_id"], r["lot"], int(r["sequence"]),
                    datetime.fromisoformat(r["timestamp"]), r["feature"], float(r["value"]),
                    *[_num(r[c]) for c in ("nominal", "lsl", "usl")], r["unit"], r["class"]])
    return _xlsx({"Readings": out})


@lru_cache(maxsize=None)
def dfq(sep: bool = True) -> bytes:
    specs, parts = _parts()
    feats = list(specs)
    lines = [f"K0100 {len(feats)}", "K1001/1 HSG-4711", "K1002/1 Pump housing", "K1004/1 C"]
    for i, f in enumerate(feats, start=1):
        s = specs[f]
        lines += [f"K2001/{i} {i}", f"K2002/{i} {f}", f"K2004/{i} 0", f"K2101/{i} {s['nominal']}"]
        if s["lsl"]:
            lines += [f"K2110/{i} {s['lsl']}"]
        else:
            lines += [f"K2110/{i} 0", f"K2120/{i} 2"]
        lines += [f"K2111/{i} {s['usl']}", f"K2142/{i} {s['unit']}"]
    for p in parts:
        when = datetime.fromisoformat(p["timestamp"]).strftime("%d.%m.%Y/%H:%M:%S")
        if sep:
            lines.append("\x0f".join("\x14".join([p[f], "0", when, "", p["lot"]]) for f in feats))
        else:
            for i, f in enumerate(feats, start=1):
                lines += [f"K0001/{i} {p[f]}", f"K0004/{i} {when}", f"K0006/{i} {p['lot']}"]
        lines.append(f"K0014/0 {p['part_id']}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def dfd_dfx() -> tuple[bytes, bytes]:
    text = dfq(sep=False).decode("cp1252").splitlines()
    head = [ln for ln in text if not ln.startswith("K0")] + [text[0]]
    vals = [ln for ln in text if ln.startswith("K0") and not ln.startswith("K0100")]
    return ("\r\n".join(head) + "\r\n").encode("cp1252"), ("\r\n".join(vals) + "\r\n").encode("cp1252")


_PC_DIMS = (("BORE_A", "LOCATION OF CIRCLE CIR1", "D", "BORE_A_DIA"),
            ("BORE_B", "LOCATION OF CIRCLE CIR2", "D", "BORE_B_DIA"),
            ("POS1", "TRUE POSITION OF CIRCLE HOLE1", "TP", "HOLE1_POS"))


def pcdmis_text() -> bytes:
    specs, parts = _parts()
    out: list[str] = []
    for p in parts:
        t = datetime.fromisoformat(p["timestamp"])
        out += [f"PART NAME  : HOUSING                      REV NUMBER : C",
                f"SER NUMBER : {p['part_id']}              STATS COUNT : {p['sequence']}",
                f"DATE={t.month}/{t.day}/{t.year}     TIME={t:%H:%M:%S}", ""]
        for dim, desc, ax, feat in _PC_DIMS:
            s = specs[feat]
            nom = float(s["nominal"])
            plus = float(s["usl"]) - nom
            minus = nom - float(s["lsl"]) if s["lsl"] else 0.0
            meas = float(p[feat])
            out += [f"DIM {dim}= {desc}  UNITS=MM ,$",
                    "AX       NOMINAL       +TOL       -TOL       MEAS        DEV     OUTTOL",
                    f"{ax:<8} {nom:8.4f}   {plus:8.4f}   {minus:8.4f}   {meas:8.4f}   "
                    f"{meas - nom:8.4f}     0.0000", f"END OF DIMENSION {dim}"]
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


def pcdmis_csv() -> bytes:
    specs, parts = _parts()
    rows = [["Part Name", "Serial Number", "Date", "Time", "Dimension", "Feature", "Axis",
             "Nominal", "+Tol", "-Tol", "Meas", "Dev", "OutTol"]]
    for p in parts:
        t = datetime.fromisoformat(p["timestamp"])
        for dim, desc, ax, feat in _PC_DIMS:
            s = specs[feat]
            nom = float(s["nominal"])
            rows.append(["HOUSING", p["part_id"], f"{t.month}/{t.day}/{t.year}", f"{t:%H:%M:%S}", dim,
                         desc.rsplit(" ", 1)[-1], ax, f"{nom:.4f}", f"{float(s['usl']) - nom:.4f}",
                         f"{nom - float(s['lsl']) if s['lsl'] else 0.0:.4f}",
                         f"{float(p[feat]):.4f}", f"{float(p[feat]) - nom:.4f}", "0"])
    return _csv(rows)


def calypso_files(n_parts: int = 20) -> dict[str, bytes]:
    folder = SAMPLE / "housing_pilot_calypso"
    names = sorted(p.name for p in folder.glob("*_chr.txt"))[:n_parts]
    out: dict[str, bytes] = {}
    for nm in names:
        chr_lines = (folder / nm).read_bytes().split(b"\r\n")
        keep = [chr_lines[0]] + [ln for ln in chr_lines[1:] if any(
            f"\t{f}\t".encode() in ln for f in FEATURES)]
        out[f"run/{nm}"] = b"\r\n".join(keep) + b"\r\n"
        hdr = nm.replace("_chr", "_hdr")
        out[f"run/{hdr}"] = (folder / hdr).read_bytes()
    return out


def spec_csv() -> bytes:
    specs, _ = _parts()
    rows = [["feature", "nominal", "lsl", "usl", "unit", "class"]]
    for f, s in specs.items():
        rows.append([f, s["nominal"], s["lsl"], s["usl"], s["unit"], s["class"]])
    return _csv(rows)


def spec_toml() -> bytes:
    specs, _ = _parts()
    out = []
    for f, s in specs.items():
        out.append(f"[features.{f}]")
        out.append(f"nominal = {s['nominal']}")
        if s["lsl"]:
            out.append(f"lsl = {s['lsl']}")
        out.append(f"usl = {s['usl']}")
        out.append(f'unit = "{s["unit"]}"')
        out.append(f'class = "{s["class"]}"\n')
    return "\n".join(out).encode("utf-8")


@lru_cache(maxsize=None)
def policy_toml() -> bytes:
    from pilotqa.decide.policy import policy_toml_text as text

    return text().encode("utf-8")


def split_long(overlap: bool) -> tuple[bytes, bytes]:
    head, rows = _long_rows()
    lots = sorted({r["lot"] for r in rows})
    a = [r for r in rows if r["lot"] == lots[0] or (overlap and r is rows[-1])]
    b = [r for r in rows if r["lot"] != lots[0]]
    return (_csv([head] + [[r[h] for h in head] for r in a]),
            _csv([head] + [[r[h] for h in head] for r in b]))


# ------------------------------------------------------------------------------ the seeds
#: Format labels under which outcomes are counted.
FORMATS = ("csv", "xlsx", "xls", "aqdef", "pcdmis", "calypso", "spec", "policy", "multi")


def _real_dfq() -> list[Path]:
    if not REAL.is_dir():
        return []
    return sorted(p for p in REAL.rglob("*") if p.suffix.lower() == ".dfq" and p.stat().st_size < 400_000)


@lru_cache(maxsize=None)
def seeds() -> dict[str, list[tuple[float, Case]]]:
    """Weighted seed cases per format."""
    out: dict[str, list[tuple[float, Case]]] = {k: [] for k in FORMATS}

    def add(kind: str, w: float, case: Case) -> None:
        out[kind].append((w, case))

    add("csv", 3, Case("csv", {"long.csv": long_csv()}, ("long.csv",)))
    add("csv", 2, Case("csv", {"wide.csv": wide_csv(";")}, ("wide.csv",)))
    add("csv", 1, Case("csv", {"wide.tsv": wide_csv("\t")}, ("wide.tsv",)))
    add("csv", 0.5, Case("csv", {"housing_pilot_long.csv": (SAMPLE / "housing_pilot_long.csv").read_bytes()},
                         ("housing_pilot_long.csv",)))
    add("xlsx", 3, Case("xlsx", {"wide.xlsx": wide_xlsx()}, ("wide.xlsx",)))
    add("xlsx", 2, Case("xlsx", {"lots.xlsx": lots_xlsx()}, ("lots.xlsx",)))
    add("xlsx", 2, Case("xlsx", {"long.xlsx": long_xlsx()}, ("long.xlsx",)))
    for name in ("housing_pilot_wide.xlsx", "housing_pilot_report.xlsx"):
        add("xlsx", 1, Case("xlsx", {name: (SAMPLE / name).read_bytes()}, (name,)))
    add("xlsx", 0.5, Case("xlsx", {"formulas.xlsx": (TESTDATA / "libreoffice_formulas.xlsx").read_bytes()},
                          ("formulas.xlsx",)))
    add("xls", 3, Case("xls", {"report.xls": (SAMPLE / "housing_pilot_report.xls").read_bytes()},
                       ("report.xls",)))
    add("xls", 1, Case("xls", {"legacy.xls": (TESTDATA / "legacy_long_errors.xls").read_bytes()},
                       ("legacy.xls",)))
    add("aqdef", 3, Case("aqdef", {"run.dfq": dfq(True)}, ("run.dfq",)))
    add("aqdef", 2, Case("aqdef", {"keys.dfq": dfq(False)}, ("keys.dfq",)))
    dfd, dfx = dfd_dfx()
    add("aqdef", 1, Case("aqdef", {"pair.dfd": dfd, "pair.dfx": dfx}, ("pair.dfd",)))
    add("aqdef", 0.5, Case("aqdef", {"housing_pilot.dfq": (SAMPLE / "housing_pilot.dfq").read_bytes()},
                           ("housing_pilot.dfq",)))
    real = _real_dfq()
    for p in real:
        add("aqdef", 3.0 / max(len(real), 1), Case("aqdef", {p.name: p.read_bytes()}, (p.name,)))
    add("pcdmis", 2, Case("pcdmis", {"report.txt": pcdmis_text()}, ("report.txt",)))
    add("pcdmis", 2, Case("pcdmis", {"report.csv": pcdmis_csv()}, ("report.csv",)))
    add("calypso", 1, Case("calypso", calypso_files(), ("run",)))
    add("calypso", 1, Case("calypso", calypso_files(6), ("run/SN0001_chr.txt",), target="run/SN0001_chr.txt"))
    add("spec", 2, Case("spec", {"data.csv": long_csv_without_specs(), "spec.csv": spec_csv()},
                        ("data.csv",), spec="spec.csv", target="spec.csv"))
    add("spec", 1, Case("spec", {"data.csv": long_csv_without_specs(), "spec.toml": spec_toml()},
                        ("data.csv",), spec="spec.toml", target="spec.toml"))
    add("spec", 1, Case("spec", {"data.csv": long_csv(), "spec.xlsx": _xlsx({"Specs": [
        [_num(c) if i else c for i, c in enumerate(r)] for r in csv.reader(io.StringIO(spec_csv().decode()))]})},
        ("data.csv",), spec="spec.xlsx", target="spec.xlsx"))
    add("policy", 1, Case("policy", {"long.csv": long_csv(), "policy.toml": policy_toml()},
                          ("long.csv",), policy="policy.toml", target="policy.toml",
                          options=("--lot-size", "500")))
    a, b = split_long(False)
    add("multi", 2, Case("multi", {"a.csv": a, "b.csv": b}, ("a.csv", "b.csv"), target="b.csv"))
    a, b = split_long(True)
    add("multi", 1, Case("multi", {"a.csv": a, "b.csv": b}, ("a.csv", "b.csv"), target="b.csv"))
    add("multi", 1, Case("multi", {"long.csv": long_csv()}, ("long.csv", "long.csv")))
    add("multi", 1, Case("multi", {"run.dfq": dfq(True), "keys.dfq": dfq(False)}, ("run.dfq", "keys.dfq"),
                         target="keys.dfq"))
    add("multi", 1, Case("multi", {"long.csv": long_csv(), "wide.xlsx": wide_xlsx()}, ("long.csv", "wide.xlsx"),
                         target="wide.xlsx"))
    add("multi", 1, Case("multi", {"d/a.csv": split_long(False)[0], "d/b.csv": split_long(False)[1]},
                         ("d",), target="d/b.csv"))
    return out
