"""Static typing gate: ``mypy`` with the project's ``[tool.mypy]`` configuration reports no error.

The configuration (pyproject.toml) sets ``files = ["pilotqa", "cli"]`` and
``disallow_untyped_defs``, so this test fails on a missing annotation or a type error anywhere
in the package or the command line.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_reports_no_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install -e '.[test]')")
    # mypy reads pyproject.toml and resolves `files` relative to the working directory
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      "--no-error-summary", "--hide-error-context"])
    assert status == 0, f"mypy found problems:\n{stdout}{stderr}"
    assert "error:" not in stdout, stdout
