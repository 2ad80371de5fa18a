"""Write ``streams/housing_pilot_fixtures.csv``: the bundled pilot run as machined on two fixtures.

The parts of ``housing_pilot_long.csv`` alternate between fixture F1 (odd serials) and F2 (even
serials); on F2, SLOT_WIDTH sits +0.006 mm higher (15 % of its 0.04 mm tolerance: a fixture whose
locating pin is worn). Every other characteristic is unchanged, so ``pilotqa analyze
sample_data/streams/housing_pilot_fixtures.csv --lot-size 500`` names fixture F2 and its offset for
SLOT_WIDTH (kept at 100 %: it is the reduced-audit characteristic of the plain run) and no stream
effect elsewhere (``fixture`` is a recognised stream column; ``--by
fixture`` says it explicitly). Deterministic: no random numbers.

    python sample_data/make_fixture_run.py
"""
from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHIFTED, OFFSET = "SLOT_WIDTH", Decimal("0.0060")


def main() -> None:
    src, dst = HERE / "housing_pilot_long.csv", HERE / "streams" / "housing_pilot_fixtures.csv"
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0]) + ["fixture"]
    with dst.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            fixture = "F1" if int(r["part_id"][2:]) % 2 else "F2"
            if fixture == "F2" and r["feature"] == SHIFTED:
                r["value"] = str(Decimal(r["value"]) + OFFSET)
            w.writerow({**r, "fixture": fixture})
    print("wrote", dst.relative_to(HERE.parent))


if __name__ == "__main__":
    main()
