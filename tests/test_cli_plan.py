"""CLI: ``pilotqa plan`` and ``pilotqa policy`` — exit codes, messages, --json keys."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pilotqa.decide.policy import Policy, load_policy
from pilotqa_cli.plan_cmd import plan, policy


def _run(cmd, args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cmd, args)


def test_plan_attributes_text() -> None:
    r = _run(plan, ["--lot-size", "1000", "--aql", "1.0"])
    assert r.exit_code == 0, r.output
    # MIL-STD-105E Table I: 501–1200, II → J; Table II-A: J, AQL 1.0 → n = 80, Ac 2, Re 3
    assert "code letter J" in r.output and "n = 80" in r.output and "Ac = 2" in r.output and "Re = 3" in r.output
    assert "How to apply it" in r.output


def test_plan_json_keys() -> None:
    r = _run(plan, ["--lot-size", "1000", "--aql", "1.0", "--json"])
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert {"method", "code_letter", "sample_size", "accept", "reject"} <= set(d)
    assert (d["method"], d["code_letter"], d["sample_size"], d["accept"], d["reject"]) == ("attributes", "J", 80, 2, 3)
    r = _run(plan, ["--lot-size", "1000", "--aql", "1.0", "--method", "variables", "--json"])
    d = json.loads(r.output)
    # Z1.9 Table A-2: J (n = 35); Table B-1 (Lisboa transcription) AQL 1.00 → k = 1.89
    assert (d["method"], d["code_letter"], d["sample_size"], d["k"]) == ("variables", "J", 35, 1.89)
    r = _run(plan, ["--lot-size", "100", "--aql", "1.0", "--method", "c0", "--json"])
    d = json.loads(r.output)
    # Squeglia c = 0: lot 91–150, AQL 1.0 → 13
    assert (d["method"], d["sample_size"], d["accept"], d["reject"]) == ("c0", 13, 0, 1)


def test_plan_double_limits_json() -> None:
    r = _run(plan, ["--lot-size", "1000", "--aql", "0.65", "--limits", "double", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    # Z1.9 J (n = 35), AQL 0.65: Form 2, M derived from k = 2.03 → 1.87 % (printed Table B-3: 1.87)
    assert (d["method"], d["form"], d["sample_size"], d["m"], d["k"]) == ("variables", 2, 35, 1.87, None)
    r = _run(plan, ["--lot-size", "1000", "--aql", "0.65", "--method", "variables", "--json"])
    d = json.loads(r.output)
    assert (d["form"], d["k"], d["m"]) == (1, 2.03, 1.87)
    r = _run(plan, ["--lot-size", "1000", "--aql", "0.65", "--limits", "double", "--aql-upper", "1.0", "--json"])
    d = json.loads(r.output)
    assert (d["aql_lower"], d["aql_upper"], d["m_lower"], d["m_upper"], d["m"]) == (0.65, 1.0, 1.87, 2.687, 2.687)


def test_plan_double_limits_text_and_usage_errors() -> None:
    r = _run(plan, ["--lot-size", "1000", "--aql", "0.65", "--limits", "double"])
    assert r.exit_code == 0 and "Form 2" in r.output and "M = 1.87 %" in r.output
    assert _run(plan, ["--lot-size", "1000", "--aql", "0.65", "--limits", "double", "--method", "c0"]).exit_code == 2
    assert _run(plan, ["--lot-size", "1000", "--aql", "0.65", "--method", "variables", "--aql-upper", "1.0"]).exit_code == 2


def test_plan_errors_exit_2() -> None:
    r = _run(plan, ["--lot-size", "1000", "--aql", "0.7"])
    assert r.exit_code == 2
    assert "pilotqa: error: AQL 0.7 is not a column" in r.output and "0.65, 1.0" in r.output
    r = _run(plan, ["--lot-size", "1", "--aql", "1.0"])
    assert r.exit_code == 2 and "at least 2" in r.output
    r = _run(plan, ["--lot-size", "200", "--aql", "0.65", "--severity", "reduced"])
    assert r.exit_code == 2 and "Table II-C" in r.output
    r = _run(plan, ["--lot-size", "200", "--aql", "0.65", "--method", "bogus"])
    assert r.exit_code == 2  # click usage error


def test_policy_show_round_trips(tmp_path: Path) -> None:
    r = _run(policy, ["--show"])
    assert r.exit_code == 0 and "[class.critical]" in r.output
    p = tmp_path / "p.toml"
    p.write_text(r.output, encoding="utf-8")
    assert load_policy(str(p)) == Policy()


def test_policy_check(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[class.major]\naql = 1.0\n", encoding="utf-8")
    r = _run(policy, ["--check", str(good)])
    assert r.exit_code == 0 and "aql = 1.0" in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[evidence]\nmin_partz = 3\n", encoding="utf-8")
    r = _run(policy, ["--check", str(bad)])
    assert r.exit_code == 2 and "key 'evidence.min_partz'" in r.output
    assert _run(policy, []).exit_code == 2
