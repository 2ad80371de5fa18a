"""Mutation fuzzing at a small, fixed budget in the normal test suite (issue 17).

Every mutated input (``tests/fuzz/mutate.py``, seeds from ``tests/fuzz/corpus.py``) runs the real
command line in-process — ``analyze`` writing HTML, JSON and XLSX, then ``inspect`` — and must end
in exit 0 with valid outputs or exit 2 with one stderr line naming the file; never a crash, a hang
(30 s cap per input), a second stderr line or a refusal that says nowhere. The inputs are fixed
(seed :data:`SEED`), so a failure here is reproducible with
``python benchmarks/fuzz_campaign.py --seed 20170 --kinds <format> --replay <index>``.

``PILOTQA_FUZZ_N`` raises the number of inputs per format (default :data:`N_PER_FORMAT`); the
large campaign is ``python benchmarks/fuzz_campaign.py --n 10000``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .corpus import FORMATS
from .harness import run_case, run_subprocess
from .mutate import case_for

SEED = 20170
#: Inputs per format in the normal suite (9 formats; about a minute in all on two cores).
N_PER_FORMAT = int(os.environ.get("PILOTQA_FUZZ_N", "10"))
#: Seconds one input may take before it counts as a hang.
CAP_SECONDS = 30.0


@pytest.mark.parametrize("kind", FORMATS)
def test_mutated_inputs_end_in_a_result_or_a_located_refusal(kind: str, tmp_path: Path) -> None:
    failures = []
    for i in range(N_PER_FORMAT):
        case = case_for(SEED, i, kind)
        o = run_case(case, tmp_path / f"case{i}", timeout=CAP_SECONDS)
        if o.failed:
            failures.append(f"input {i} ({'; '.join(o.history)[:200]}): {o.status} in {o.command}: "
                            f"{o.message[:400]}")
    assert not failures, (f"{len(failures)} of {N_PER_FORMAT} {kind} inputs failed (replay: "
                          f"benchmarks/fuzz_campaign.py --seed {SEED} --kinds {kind} --replay <i>):\n"
                          + "\n".join(failures))


@pytest.mark.parametrize("kind, index", [("xls", 1), ("csv", 2), ("multi", 0)])
def test_console_script_agrees_with_the_in_process_run(kind: str, index: int, tmp_path: Path) -> None:
    """The process boundary: real stderr (C-level output, warnings at interpreter exit) and the
    exit status of the installed script, for a few inputs."""
    case = case_for(SEED, index, kind)
    inproc = run_case(case, tmp_path / "a", timeout=CAP_SECONDS, commands=("analyze",))
    sub = run_subprocess(case, tmp_path / "b")
    assert not sub.failed, f"{sub.status}: {sub.message}"
    assert (sub.status, sub.exit_code) == (inproc.status, inproc.exit_code)
