"""Golden JSON: the analysis of every sample file matches the committed document.

The golden files (tests/golden/*.json) are written by ``tests/golden/make_golden.py`` and updated
only deliberately (the commit says which numbers or verdicts changed and why). A refactoring must
leave them unchanged: every key of the golden document is present with an equal value (floats to
1e-9 relative, for floating-point noise); keys added by a change are allowed.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.golden.make_golden import GOLDEN, golden_document, sample_inputs


def _diff(golden: Any, new: Any, path: str, out: list[str]) -> None:
    if len(out) >= 20:
        return
    if isinstance(golden, dict):
        if not isinstance(new, dict):
            out.append(f"{path}: expected an object, got {type(new).__name__}")
            return
        for k, v in golden.items():
            if k not in new:
                out.append(f"{path}.{k}: missing")
            else:
                _diff(v, new[k], f"{path}.{k}", out)
    elif isinstance(golden, list):
        if not isinstance(new, list) or len(new) != len(golden):
            out.append(f"{path}: expected a list of {len(golden)}, got {new!r:.120}")
            return
        for i, (g, n) in enumerate(zip(golden, new)):
            _diff(g, n, f"{path}[{i}]", out)
    elif isinstance(golden, float) and isinstance(new, (int, float)) and not isinstance(new, bool):
        if not math.isclose(golden, float(new), rel_tol=1e-9, abs_tol=1e-12):
            out.append(f"{path}: {golden!r} -> {new!r}")
    elif golden != new or type(golden) is not type(new) and not (
        isinstance(golden, int) and isinstance(new, float) and not isinstance(golden, bool)
    ):
        out.append(f"{path}: {golden!r:.200} -> {new!r:.200}")


def test_diff_finds_a_changed_value() -> None:
    out: list[str] = []
    _diff({"a": [1.0, {"b": "x"}], "c": True}, {"a": [1.0 + 1e-6, {"b": "y"}], "c": 1, "d": 0}, "$", out)
    assert out == ["$.a[0]: 1.0 -> 1.000001", "$.a[1].b: 'x' -> 'y'", "$.c: True -> 1"]


@pytest.mark.parametrize("path", sample_inputs(), ids=lambda p: p.name)
def test_sample_analysis_matches_golden(path: Path) -> None:
    golden_file = GOLDEN / f"{path.name}.json"
    assert golden_file.exists(), f"no golden document for {path.name}: run tests/golden/make_golden.py"
    golden = json.loads(golden_file.read_text(encoding="utf-8"))
    new = golden_document(path)
    out: list[str] = []
    _diff(golden, new, "$", out)
    assert not out, f"{path.name} differs from its golden JSON:\n" + "\n".join(out)
