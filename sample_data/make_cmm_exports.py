"""Convert the bundled pilot run (``housing_pilot_long.csv``) into CMM export formats.

Outputs (committed beside this script; run ``python sample_data/make_cmm_exports.py``):

* ``housing_pilot.dfq`` — Q-DAS AQDEF, the same pilot run: part fields K1001 (HSG-4711), K1002,
  K1004 (revision), K1072 (supplier); per characteristic K2001 (balloon number), K2002 (name),
  K2004 0, K2005 class (4 critical, 3 major, 1 minor — see ``pilotqa.read.aqdef``), K2101,
  K2110/K2111 (one-sided GD&T / roughness: K2110 0 with K2120 2 = natural boundary), K2142 unit;
  one value line per part in separator notation (0x0F between characteristics, 0x14 between
  value, attribute, date/time, events, batch) followed by ``K0014/0 <serial>``. Windows-1252,
  CR LF, as qs-STAT writes it.
* ``housing_pilot_calypso/`` — one ``<serial>_chr.txt`` + ``<serial>_hdr.txt`` per part, the
  CALYPSO table column set of ``shared/reference/inspection-formats.md`` §c (tab-separated,
  header with trailing tab); the header table holds planid, partnb, partnbinc, date, time,
  operator and order (= lot).
"""
from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "housing_pilot_long.csv"
DFQ = HERE / "housing_pilot.dfq"
CAL = HERE / "housing_pilot_calypso"
META = {"K1001": "HSG-4711", "K1002": "Pump housing, AlSi9Cu3", "K1004": "C",
        "K1072": "Example Precision GmbH"}
CLASS_CODE = {"critical": 4, "major": 3, "minor": 1}
#: features whose lower value is a natural boundary at 0 (GD&T / roughness)
ONE_SIDED = {"HOLE1_POS": "gdtPos", "FLATNESS_TOP": "gdtFlat", "ROUGHNESS_RA": "roughness"}
IDSYMBOL = {"DIA": "diameter", "DEPTH": "distance", "LENGTH": "distance", "WIDTH": "distance",
            "HEIGHT": "distance", "THICKNESS": "distance"}
CHR_COLUMNS = ["planid", "partnb", "id", "type", "idsymbol", "actual", "nominal", "uppertol",
               "lowertol", "deviation", "exceed", "warningLimitCF", "featureid", "featuresigma",
               "comment", "link", "linkmode", "mmc", "useruppertol", "userlowertol", "fftphi",
               "fftphiunit", "zoneroundnessangle", "groupname", "groupname2", "datumAid",
               "datumBid", "datumCid", "natuppertolid", "natlowertolid", "decimalplaces",
               "featurePosX", "featurePosY", "featurePosZ"] + [f"group{i}" for i in range(1, 11)]


def load() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(feature specs in file order, one dict per part: serial, lot, time, feature -> value)."""
    feats: dict[str, dict[str, str]] = {}
    parts: dict[str, dict[str, str]] = {}
    with open(SRC, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            feats.setdefault(r["feature"], r)
            p = parts.setdefault(r["part_id"], {"part_id": r["part_id"], "lot": r["lot"],
                                                "timestamp": r["timestamp"],
                                                "sequence": r["sequence"]})
            p[r["feature"]] = r["value"]
    ordered = sorted(parts.values(), key=lambda p: int(p["sequence"]))
    return list(feats.values()), ordered


def write_dfq(feats: list[dict[str, str]], parts: list[dict[str, str]]) -> None:
    lines = [f"K0100 {len(feats)}"] + [f"{k}/1 {v}" for k, v in META.items()]
    for i, f in enumerate(feats, start=1):
        lines += [f"K2001/{i} {i}", f"K2002/{i} {f['feature']}", f"K2004/{i} 0",
                  f"K2005/{i} {CLASS_CODE[f['class']]}", f"K2101/{i} {f['nominal']}"]
        if f["feature"] in ONE_SIDED:
            lines += [f"K2110/{i} 0", f"K2120/{i} 2", f"K2121/{i} 1"]
        else:
            lines += [f"K2110/{i} {f['lsl']}", f"K2120/{i} 1", f"K2121/{i} 1"]
        lines += [f"K2111/{i} {f['usl']}", f"K2142/{i} {f['unit']}"]
    for p in parts:
        when = datetime.fromisoformat(p["timestamp"]).strftime("%d.%m.%Y/%H:%M:%S")
        portions = ["\x14".join([p[f["feature"]], "0", when, "", p["lot"]]) for f in feats]
        lines.append("\x0f".join(portions))
        lines.append(f"K0014/0 {p['part_id']}")
    DFQ.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def write_calypso(feats: list[dict[str, str]], parts: list[dict[str, str]]) -> None:
    CAL.mkdir(exist_ok=True)
    for old in CAL.glob("*.txt"):
        old.unlink()
    for p in parts:
        rows = ["\t".join(CHR_COLUMNS) + "\t"]
        for f in feats:
            nom = float(f["nominal"])
            one_sided = f["feature"] in ONE_SIDED
            lo = 0.0 if one_sided else float(f["lsl"]) - nom
            up = float(f["usl"]) - nom
            act = float(p[f["feature"]])
            dev = act - nom
            exceed = max(act - (nom + up), (nom + lo) - act, 0.0)
            symbol = ONE_SIDED.get(f["feature"]) or IDSYMBOL[f["feature"].rsplit("_", 1)[-1]]
            vals = defaultdict(str, {
                "planid": "HSG-4711_C", "partnb": p["part_id"], "id": f["feature"],
                "type": symbol, "idsymbol": symbol, "actual": f"{act:.7f}",
                "nominal": f"{nom:.7f}", "uppertol": f"{up:.7f}", "lowertol": f"{lo:.7f}",
                "deviation": f"{dev:.7f}", "exceed": f"{exceed:.7f}" if exceed > 0 else "",
                "useruppertol": f"{up:.7f}", "userlowertol": f"{lo:.7f}",
                "natuppertolid": "1", "natlowertolid": "2" if one_sided else "1",
                "decimalplaces": "4"})
            rows.append("\t".join(vals[c] for c in CHR_COLUMNS) + "\t")
        t = datetime.fromisoformat(p["timestamp"])
        hdr = ["planid\tpartnb\tpartnbinc\tdate\ttime\toperator\torder",
               f"HSG-4711_C\tHSG-4711\t{p['part_id']}\t{t:%Y-%m-%d}\t{t:%H:%M:%S}\tCMM-1\t{p['lot']}"]
        (CAL / f"{p['part_id']}_chr.txt").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8",
                                                     newline="")
        (CAL / f"{p['part_id']}_hdr.txt").write_text("\r\n".join(hdr) + "\r\n", encoding="utf-8",
                                                     newline="")


def main() -> None:
    feats, parts = load()
    write_dfq(feats, parts)
    write_calypso(feats, parts)
    print(f"wrote {DFQ.name} and {CAL.name}/ ({len(parts)} parts, {len(feats)} features)")


if __name__ == "__main__":
    main()
