"""(Re)build ``pilotqa/stats/data/signal_null.json``: the null distribution of Nelson-rule signal
counts on in-control charts (:func:`pilotqa.stats.signal_null.build_table`).

Usage::

    python benchmarks/signal_null_table.py [--runs 16000]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "pilotqa" / "stats" / "data" / "signal_null.json"


def main(argv: list[str] | None = None) -> int:
    from pilotqa.stats.signal_null import build_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=16000)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = build_table(args.runs, progress=lambda k: print(f"{k} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} kB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
