"""Derive the Form 2 M table from the k table and check it against printed M values.

Writes ``pilotqa/decide/data/variables_m_form2.json``: for ANSI/ASQ Z1.9 and MIL-STD-414, normal
and tightened inspection, every code letter and AQL column, the maximum allowable percent
nonconforming M = 100·I_x((n−2)/2, (n−2)/2), x = max(0, ½ − ½·k·√n/(n−1)) — the standard's
estimator of the lot percent nonconforming (Table B-5) evaluated at Q = k
(:func:`pilotqa.decide.tables.maximum_percent_nonconforming`).

The check: ANSI/ASQ Z1.9 Table B-3 (normal and tightened, double limit and Form 2) as
transcribed in the CRAN package AQLSchemes 1.7-2 (J. Lawson, ``R/AAZ19.R``, matrix
``ANSIASQZ19M``, sigma unknown; GPL). A printed M is *confirmed* when it lies in the range of M
that the printed k allows: k is printed to 2 decimals (3 below 1), so the true k lies within
±0.005 (±0.0005), and M is printed to 3 significant digits. Only cells where Table B-1 has a k
(no arrow) are compared; AQLSchemes stores arrow cells with filler values.

Usage::

    python benchmarks/derive_form2_m.py            # print the check
    python benchmarks/derive_form2_m.py --write    # (re)write the data file
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pilotqa" / "decide" / "data" / "variables_m_form2.json"

#: Z1.9 Table B-3, σ unknown, per code letter B…P (n = 3 … 200) and column T, 0.10 … 10 (the
#: last two columns, 6.5 and 10, are outside pilotqa's k table) — AQLSchemes 1.7-2 ``R/AAZ19.R``.
PRINTED_COLUMNS = ["T", "0.10", "0.15", "0.25", "0.40", "0.65", "1.0", "1.5", "2.5", "4.0", "6.5", "10"]
PRINTED_LETTERS = "BCDEFGHIJKLMNP"
_PRINTED_BY_COLUMN = [
    [0.077, 0.077, 0.077, 0.077, 0.077, 0.186, 0.228, 0.250, 0.253, 0.243, 0.225, 0.218, 0.202, 0.204],
    [0.005, 0.005, 0.005, 0.005, 0.179, 0.311, 0.356, 0.378, 0.373, 0.355, 0.326, 0.315, 0.292, 0.294],
    [0.087, 0.087, 0.087, 0.087, 0.349, 0.491, 0.531, 0.551, 0.534, 0.503, 0.461, 0.444, 0.412, 0.414],
    [0.421, 0.421, 0.421, 0.421, 0.714, 0.839, 0.864, 0.874, 0.833, 0.778, 0.711, 0.684, 0.636, 0.637],
    [0.041, 0.041, 0.041, 1.050, 1.270, 1.330, 1.330, 1.320, 1.240, 1.160, 1.060, 1.020, 0.946, 0.945],
    [1.340, 1.340, 1.340, 2.130, 2.140, 2.090, 2.030, 2.000, 1.870, 1.730, 1.590, 1.520, 1.420, 1.420],
    [1.490, 1.490, 3.330, 3.540, 3.270, 3.060, 2.930, 2.860, 2.660, 2.470, 2.270, 2.180, 2.050, 2.040],
    [5.460, 5.460, 5.820, 5.340, 4.720, 4.320, 4.100, 3.970, 3.700, 3.440, 3.170, 3.060, 2.880, 2.860],
    [7.590, 10.88, 9.800, 8.400, 7.260, 6.550, 6.180, 5.980, 5.580, 5.210, 4.830, 4.670, 4.420, 4.390],
    [18.86, 16.41, 14.37, 12.19, 10.53, 9.480, 8.950, 8.650, 8.110, 7.610, 7.100, 6.880, 6.560, 6.520],
]


def _decimals(x: float) -> int:
    s = repr(float(x))
    return len(s.split(".")[1].rstrip("0")) if "." in s else 0


def printed_check() -> list[dict[str, Any]]:
    """Compare every Z1.9 cell that has a k with the printed M (see the module docstring)."""
    from pilotqa.decide.tables import load_table, maximum_percent_nonconforming

    table = load_table("variables_z19_414.json")
    cols = table["k_columns"]
    sizes = table["standards"]["Z1.9"]["sample_sizes"]
    rows = []
    for ci, label in enumerate(PRINTED_COLUMNS):
        if label not in cols:
            continue
        for li, letter in enumerate(PRINTED_LETTERS):
            n = int(sizes[letter])
            k = table["k"][str(n)][cols.index(label)]
            if not isinstance(k, (int, float)):
                continue
            printed = _PRINTED_BY_COLUMN[ci][li]
            dk = 0.5 * 10 ** -max(2, _decimals(k))
            lo, hi = maximum_percent_nonconforming(k + dk, n), maximum_percent_nonconforming(k - dk, n)
            dm = 0.5 * 10 ** (math.floor(math.log10(printed)) - 2)  # 3 significant digits
            derived = maximum_percent_nonconforming(k, n)
            rows.append({
                "letter": letter, "n": n, "aql_column": label, "k": k, "m_derived": round(derived, 4),
                "m_printed": printed, "m_range_from_k": [round(lo, 4), round(hi, 4)],
                "confirmed": bool(hi >= printed - dm and lo <= printed + dm),
            })
    return rows


def build() -> dict[str, Any]:
    from pilotqa.decide.tables import form2_m_table

    derived = form2_m_table()
    check = printed_check()
    confirmed = sum(r["confirmed"] for r in check)
    return {
        "description": (
            "Maximum allowable percent nonconforming M for variables plans, standard-deviation method, "
            "variability unknown: double specification limit and Form 2 (single limit). Per standard, "
            "severity and code letter, one value per AQL column (normal-inspection AQL labels). DERIVED, "
            "not transcribed: M = 100*I_x((n-2)/2, (n-2)/2) with x = max(0, 1/2 - 1/2*k*sqrt(n)/(n-1)), the "
            "standard's estimate of the lot percent nonconforming (Table B-5) at Q = k, from the k of "
            "variables_z19_414.json (4 significant digits). So a single-limit Form 2 test (p <= M) accepts "
            "exactly the samples the Form 1 test (Q >= k) accepts. 'down' = arrow (use the first plan "
            "below); null = k not verified. Tightened = the k one AQL column to the left."),
        "generated_by": "python benchmarks/derive_form2_m.py --write",
        "estimator_reference": (
            "Lieberman & Resnikoff (1955) JASA 50, 457-516 (minimum-variance unbiased estimate); MIL-STD-414 "
            "(1957) and ANSI/ASQ Z1.9 Table B-5; CRAN AQLSchemes EPn/MPn (J. Lawson)"),
        "printed_check": {
            "source": ("ANSI/ASQ Z1.9 Table B-3 (sigma unknown) as transcribed in CRAN AQLSchemes 1.7-2, "
                       "R/AAZ19.R (matrix ANSIASQZ19M); Z1.9 code letters; no public copy of MIL-STD-414 "
                       "Table B-3 could be read (OCR garbled), so the n = 30 and 40 rows are unchecked"),
            "rule": ("confirmed = the printed M lies within the M range allowed by the printed k's "
                     "rounding (+-0.005; +-0.0005 for 3-decimal k) and the printed M's own rounding"),
            "cells_compared": len(check),
            "cells_confirmed": confirmed,
            "cells": check,
        },
        **derived,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    data = build()
    chk = data["printed_check"]
    print(f"{chk['cells_confirmed']} of {chk['cells_compared']} printed Z1.9 M values confirmed")
    for r in chk["cells"]:
        if not r["confirmed"]:
            print(f"  differs: {r['letter']} (n = {r['n']}) AQL {r['aql_column']}: k = {r['k']} gives "
                  f"{r['m_derived']} ({r['m_range_from_k'][0]}–{r['m_range_from_k'][1]}), printed {r['m_printed']}")
    if args.write:
        OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
