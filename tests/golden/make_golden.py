"""Write the golden ``pilotqa.analysis/1`` documents of every sample file (tests/golden/*.json).

Run deliberately, only when a change of numbers or verdicts is intended, and say why in the
commit message::

    .venv/bin/python tests/golden/make_golden.py

The test ``tests/test_golden.py`` compares a fresh analysis of each sample with these files:
every key and value of the golden document must be present and equal (floats to 1e-9 relative);
keys that a change adds are allowed.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
GOLDEN = Path(__file__).resolve().parent
FIXED_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)


def sample_inputs() -> list[Path]:
    """Every sample_data input (files and the per-part CALYPSO folder), not the generators."""
    return [
        p for p in sorted(SAMPLE.iterdir())
        if p.suffix not in (".py", ".md") and not p.name.startswith((".", "_")) and p.name not in ("compare", "streams")
    ]


def golden_document(path: Path) -> dict[str, Any]:
    """The analysis document of one sample, as README command 1 runs it (lot size 500)."""
    from pilotqa.analysis import analyze
    from pilotqa.read import read
    from pilotqa.report.json import build_document
    from pilotqa.settings import Settings

    result = analyze(read([path]), Settings(lot_size=500), generated_at=FIXED_TIME)
    doc = build_document(result)
    doc = json.loads(json.dumps(doc))
    doc.pop("generated_at", None)
    # input paths are machine-specific: keep the file name only
    for f in doc.get("input", {}).get("files", []):
        f["path"] = Path(f["path"]).name
    return doc


def main() -> int:
    for p in sample_inputs():
        out = GOLDEN / f"{p.name}.json"
        out.write_text(json.dumps(golden_document(p), indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                       encoding="utf-8")
        print("wrote", out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
