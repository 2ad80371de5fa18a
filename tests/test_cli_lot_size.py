"""``pilotqa analyze`` without a lot size: a warning on stderr names the lot size the plans assume."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pilotqa_cli.main import cli

from .conftest import SAMPLE

LONG = SAMPLE / "housing_pilot_long.csv"


def _analyze(tmp_path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["analyze", str(LONG), "--format", "json", "--out", str(tmp_path),
                                    "--force", *extra], catch_exceptions=False)


def test_warning_when_no_lot_size(tmp_path: Path) -> None:
    r = _analyze(tmp_path, "-q")
    assert r.exit_code == 0, r.output
    # 150 parts in 3 lots: the plans assume lots of 50 (shown even with --quiet)
    assert "warning: no lot size given" in r.stderr and "assume lots of 50 parts" in r.stderr
    assert "no lot size given" not in r.stdout


def test_no_warning_with_lot_size_or_policy(tmp_path: Path) -> None:
    r = _analyze(tmp_path, "-q", "--lot-size", "500")
    assert r.exit_code == 0 and "no lot size given" not in r.stderr
    pol = tmp_path / "p.toml"
    pol.write_text("[plans]\ndefault_lot_size = 800\n", encoding="utf-8")
    r = _analyze(tmp_path, "-q", "--policy", str(pol))
    assert r.exit_code == 0 and "no lot size given" not in r.stderr
