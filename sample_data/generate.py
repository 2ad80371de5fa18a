"""Seeded generator of the bundled sample pilot run (committed output beside this file).

Part HSG-4711 rev. C, an aluminium pump housing (AlSi9Cu3), machined in three pilot lots
(L01: 50 parts, L02: 45, L03: 55 = 150 parts), 12 characteristics measured on a CMM and a
roughness tester. Planted on purpose (so the analysis has something to find):

=================  =========  ===============================================================
feature            class      what is planted
=================  =========  ===============================================================
BORE_A_DIA         critical   capable and stable (Cp about 2.1)
BORE_B_DIA         major      marginal (Cp about 1.1)
BORE_C_DEPTH       major      tool wear: +0.0003 mm per part (about 45 % of tolerance over run)
FACE_LENGTH        major      lot shift: lot L02 sits 0.045 mm higher
HOLE1_POS          major      position (GD&T, one-sided, bounded at 0), right-skewed (Rayleigh)
FLATNESS_TOP       minor      flatness (one-sided, bounded at 0), gamma-shaped
THREAD_M8_DEPTH    major      marginal, with 3 parts below the lower limit
SLOT_WIDTH         critical   capable and stable
PIN_HOLE_DIA       major      capable
OVERALL_HEIGHT     minor      capable
ROUGHNESS_RA       minor      Ra in µm, lognormal, one-sided
WALL_THICKNESS     minor      capable
=================  =========  ===============================================================

Outputs (``python sample_data/generate.py``):

* ``housing_pilot_long.csv`` — long layout: one row per reading with its spec columns.
* ``housing_pilot_wide.xlsx`` — wide layout like an Excel-exported CMM report: a small header
  block (part number, revision …), spec rows (Nominal, USL, LSL, Unit, Class) above one row per
  part (Part, Lot, Date, then one column per characteristic).

Readings are rounded to the gauge resolution (0.0001 mm CMM, 0.01 µm roughness).
"""
from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 4711
LOTS = (("L01", 50, datetime(2026, 10, 5, 6, 0)), ("L02", 45, datetime(2026, 10, 12, 6, 0)),
        ("L03", 55, datetime(2026, 10, 19, 6, 0)))
METADATA = {
    "part_number": "HSG-4711",
    "revision": "C",
    "description": "Pump housing, AlSi9Cu3",
    "supplier": "Example Precision GmbH",
}

# feature, nominal, lsl, usl, unit, class, decimals
FEATURES: list[tuple[str, float, float | None, float | None, str, str, int]] = [
    ("BORE_A_DIA", 42.0, 42.000, 42.025, "mm", "critical", 4),
    ("BORE_B_DIA", 30.0, 29.985, 30.015, "mm", "major", 4),
    ("BORE_C_DEPTH", 18.0, 17.950, 18.050, "mm", "major", 4),
    ("FACE_LENGTH", 85.0, 84.900, 85.100, "mm", "major", 4),
    ("HOLE1_POS", 0.0, None, 0.100, "mm", "major", 4),
    ("FLATNESS_TOP", 0.0, None, 0.050, "mm", "minor", 4),
    ("THREAD_M8_DEPTH", 16.0, 16.000, 16.500, "mm", "major", 4),
    ("SLOT_WIDTH", 10.0, 9.980, 10.020, "mm", "critical", 4),
    ("PIN_HOLE_DIA", 6.0, 6.000, 6.012, "mm", "major", 4),
    ("OVERALL_HEIGHT", 55.0, 54.950, 55.050, "mm", "minor", 4),
    ("ROUGHNESS_RA", 0.0, None, 1.600, "µm", "minor", 2),
    ("WALL_THICKNESS", 3.0, 2.900, 3.100, "mm", "minor", 4),
]


def simulate(rng: np.random.Generator) -> tuple[list[dict[str, object]], dict[str, np.ndarray]]:
    """Parts (part_id, lot, sequence, timestamp) and the readings per feature, in part order."""
    parts: list[dict[str, object]] = []
    seq = 0
    for lot, n, start in LOTS:
        for i in range(n):
            seq += 1
            parts.append({
                "part_id": f"SN{seq:04d}",
                "lot": lot,
                "sequence": seq,
                "timestamp": start + timedelta(minutes=12 * i),
            })
    n = len(parts)
    lot_idx = np.array([{"L01": 0, "L02": 1, "L03": 2}[str(p["lot"])] for p in parts])
    k = np.arange(n)
    v: dict[str, np.ndarray] = {}
    v["BORE_A_DIA"] = rng.normal(42.0125, 0.0020, n)
    v["BORE_B_DIA"] = rng.normal(30.0010, 0.0045, n)
    # tool wear: depth grows 0.0003 mm per part from 17.975 (45 % of the 0.1 mm tolerance over 150 parts)
    v["BORE_C_DEPTH"] = 17.975 + 0.0003 * k + rng.normal(0, 0.004, n)
    v["FACE_LENGTH"] = rng.normal(84.995, 0.010, n) + np.where(lot_idx == 1, 0.045, 0.0)
    # true position of a hole: radial error of a 2-D normal offset -> Rayleigh (right-skewed, >= 0)
    v["HOLE1_POS"] = 2 * np.hypot(rng.normal(0, 0.0085, n), rng.normal(0, 0.0085, n))
    v["FLATNESS_TOP"] = rng.gamma(4.0, 0.0025, n)
    thread = rng.normal(16.22, 0.075, n)
    low = rng.choice(n, 3, replace=False)
    thread[low] = 16.0 - rng.uniform(0.01, 0.05, 3)
    v["THREAD_M8_DEPTH"] = thread
    v["SLOT_WIDTH"] = rng.normal(10.001, 0.0025, n)
    v["PIN_HOLE_DIA"] = rng.normal(6.0062, 0.0011, n)
    v["OVERALL_HEIGHT"] = rng.normal(55.002, 0.0070, n)
    v["ROUGHNESS_RA"] = rng.lognormal(np.log(0.55), 0.28, n)
    v["WALL_THICKNESS"] = rng.normal(3.004, 0.018, n)
    for name, *_rest, dec in FEATURES:
        v[name] = np.round(v[name], dec)
    return parts, v


def _fmt(x: float | None, dec: int) -> str:
    return "" if x is None else f"{x:.{dec}f}"


def write_long_csv(path: Path, parts: list[dict[str, object]], v: dict[str, np.ndarray]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["part_id", "lot", "sequence", "timestamp", "feature", "value",
                    "nominal", "lsl", "usl", "unit", "class"])
        for i, p in enumerate(parts):
            ts = p["timestamp"]
            assert isinstance(ts, datetime)
            for name, nom, lsl, usl, unit, cls, dec in FEATURES:
                w.writerow([p["part_id"], p["lot"], p["sequence"], ts.isoformat(timespec="seconds"),
                            name, _fmt(float(v[name][i]), dec), _fmt(nom, dec), _fmt(lsl, dec),
                            _fmt(usl, dec), unit, cls])


def write_wide_xlsx(path: Path, parts: list[dict[str, object]], v: dict[str, np.ndarray]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "CMM results"
    ws.append(["Part number", METADATA["part_number"]])
    ws.append(["Revision", METADATA["revision"]])
    ws.append(["Description", METADATA["description"]])
    ws.append(["Supplier", METADATA["supplier"]])
    ws.append([])
    names = [f[0] for f in FEATURES]
    ws.append(["Part", "Lot", "Date"] + names)
    header_row = ws.max_row
    for c in ws[header_row]:
        c.font = Font(bold=True)
    ws.append(["Nominal", None, None] + [f[1] for f in FEATURES])
    ws.append(["USL", None, None] + [f[3] for f in FEATURES])
    ws.append(["LSL", None, None] + [f[2] for f in FEATURES])
    ws.append(["Unit", None, None] + [f[4] for f in FEATURES])
    ws.append(["Class", None, None] + [f[5] for f in FEATURES])
    for i, p in enumerate(parts):
        ws.append([p["part_id"], p["lot"], p["timestamp"]] + [float(v[n][i]) for n in names])
    for row in ws.iter_rows(min_row=header_row + 6, min_col=3, max_col=3):
        for c in row:
            c.number_format = "yyyy-mm-dd hh:mm"
    ws.freeze_panes = ws.cell(row=header_row + 6, column=4)
    wb.save(path)


def main() -> None:
    rng = np.random.default_rng(SEED)
    parts, v = simulate(rng)
    write_long_csv(HERE / "housing_pilot_long.csv", parts, v)
    write_wide_xlsx(HERE / "housing_pilot_wide.xlsx", parts, v)


if __name__ == "__main__":
    main()
