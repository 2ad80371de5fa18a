"""Ragged tables: one row much wider than the headings must not make every row as wide.

Regression tests from the fuzzing campaign of issue 17 (seed 3017, inputs 3266, 5012, 5229: a
``column-widen`` mutation of a long CSV). A 1.7–12 MB file with one line of ~3,000 cells and
up to 1.6 million short lines was padded to rows × widest row cells and took 4–22 GB. The
minimal inputs here have 60,000 short rows and one row of 3,000 extra cells, once inside the
first lines (where the delimiter and width are sampled) and once far below them. The peak
memory is measured in a fresh process (``ru_maxrss`` of the child), not timed.
"""
from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

_HEAD = "part_id,lot,sequence,feature,value,nominal,lsl,usl"


def _ragged(path: Path, at: int, extra: str) -> Path:
    lines = [_HEAD]
    for i in range(60_000):
        p, f = divmod(i, 3)
        lines.append(f"SN{p:05d},L1,{p + 1},{'ABC'[f]},{10 + ((i * 7919) % 200 - 100) / 10_000:.4f},10,9.9,10.1")
    lines[at] = lines[at] + extra
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    code = ("import sys, resource\n"
            "from pilotqa_cli.main import main\n"
            "try:\n    main()\nfinally:\n"
            "    print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600)
    rss_kb = float(next(ln.split()[1] for ln in p.stderr.splitlines() if ln.startswith("MAXRSS")))
    return p, rss_kb / 1024


@pytest.mark.parametrize("at", [5, 50_000], ids=["in-the-sampled-head", "far-below-the-head"])
@pytest.mark.parametrize("extra", ["," * 3000, ",x" * 3000], ids=["blank-cells", "text-cells"])
def test_one_very_wide_row_does_not_widen_the_table(tmp_path: Path, at: int, extra: str) -> None:
    f = _ragged(tmp_path / "ragged.csv", at, extra)
    p, peak_mb = _run("inspect", str(f))
    assert p.returncode == 0, p.stderr
    assert "features  3" in p.stdout and "parts     20000" in p.stdout
    # 60,000 rows x 3,001 cells would be 180 million cells (several GB); the table is 8 wide
    assert peak_mb < 900, f"peak RSS {peak_mb:.0f} MB"
    if "x" in extra:  # cells with content right of the last heading are named, not dropped silently
        assert f"row {at + 1}: 3000 cell(s) right of the last heading (column H)" in p.stdout
