"""Decision policy: defaults, TOML overrides, validation errors naming the key, --show round trip."""
from __future__ import annotations

from pathlib import Path

import pytest

from pilotqa.decide.policy import Policy, decision_settings, load_policy, policy_toml_text
from pilotqa.errors import PolicyError
from pilotqa.settings import Settings


def _write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "policy.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_defaults() -> None:
    pol = load_policy(None)
    assert pol == Policy()
    # AIAG PPAP-inspired release bounds (issue 4): 1.67 / 1.33 / 1.00
    assert (pol.critical.min_lower_bound, pol.major.min_lower_bound, pol.minor.min_lower_bound) == (1.67, 1.33, 1.00)
    assert (pol.critical.aql, pol.major.aql, pol.minor.aql) == (0.10, 0.65, 1.5)
    assert pol.default_class == "major"
    assert (pol.evidence.min_parts, pol.evidence.min_subgroups, pol.evidence.min_lots) == (30, 25, 2)
    assert pol.reduced_audit.min_lower_bound == 2.0
    assert pol.critical.allow_single_lot is False and pol.major.allow_single_lot is True


def test_override_subset(tmp_path: Path) -> None:
    path = _write(tmp_path, 'default_class = "minor"\n[class.major]\naql = 1.0\n[evidence]\nmin_parts = 50\n')
    pol = load_policy(path)
    assert pol.default_class == "minor" and pol.major.aql == 1.0 and pol.evidence.min_parts == 50
    # untouched values keep their defaults
    assert pol.major.min_lower_bound == 1.33 and pol.evidence.min_subgroups == 25
    # an integer is accepted where a float is expected
    pol2 = load_policy(_write(tmp_path, "[class.minor]\nmin_lower_bound = 1\n"))
    assert pol2.minor.min_lower_bound == 1.0 and isinstance(pol2.minor.min_lower_bound, float)


@pytest.mark.parametrize(
    "text,key",
    [
        ("[evidence]\nmin_partz = 3\n", "evidence.min_partz"),
        ("[class.major]\nmin_lower = 1.5\n", "class.major.min_lower"),
        ("[class.blocker]\naql = 1.0\n", "class.blocker"),
        ("colour = 'red'\n", "colour"),
    ],
)
def test_unknown_key_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as ei:
        load_policy(path)
    assert ei.value.key == key
    assert f"key '{key}'" in str(ei.value) and path in str(ei.value)


@pytest.mark.parametrize(
    "text,key,fragment",
    [
        ('[evidence]\nmin_parts = "thirty"\n', "evidence.min_parts", "whole number"),
        ("[evidence]\nmin_parts = 1\n", "evidence.min_parts", "out of range"),
        ("[requirements]\nstable = 1\n", "requirements.stable", "true or false"),
        ("[class.major]\naql = 0.7\n", "class.major.aql", "allowed: 0.1, 0.15"),
        ('[class.major]\nattributes_method = "skip"\n', "class.major.attributes_method", "attributes, c0"),
        ('default_class = "fatal"\n', "default_class", "critical, major, minor"),
        ("[class.major]\nmin_lower_bound = -1.0\n", "class.major.min_lower_bound", "out of range"),
        # thresholds not ordered: major above critical
        ("[class.major]\nmin_lower_bound = 2.5\n", "class.major.min_lower_bound", "not ordered"),
        # AQLs not ordered: minor tighter than major
        ("[class.minor]\naql = 0.25\n", "class.major.aql", "not ordered"),
        ("[reduced_audit]\nmin_lower_bound = 1.5\n", "reduced_audit.min_lower_bound", "must not be below"),
        ("[plans]\ndefault_lot_size = 1\n", "plans.default_lot_size", "at least 2"),
    ],
)
def test_bad_values(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as ei:
        load_policy(path)
    assert ei.value.key == key
    assert fragment in str(ei.value)


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(_write(tmp_path, "[class.major\n"))
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(str(tmp_path / "nope.toml"))


def test_show_round_trip(tmp_path: Path) -> None:
    text = policy_toml_text()
    assert load_policy(_write(tmp_path, text)) == Policy()
    # a changed policy round-trips too
    pol = load_policy(_write(tmp_path, "[class.critical]\nmin_lower_bound = 2.0\naql = 0.15\n"
                                       "[reduced_audit]\nmin_lower_bound = 2.5\nperiodic_every = 50\n"))
    assert load_policy(_write(tmp_path, policy_toml_text(pol))) == pol
    # every key carries a comment
    assert all("#" in line for line in text.splitlines() if "=" in line)


def test_to_json_and_decision_settings() -> None:
    import json

    js = Policy().to_json()
    assert js["class"]["critical"]["min_lower_bound"] == 1.67 and js["evidence"]["min_lots"] == 2
    ds = decision_settings(Policy(), Settings(confidence=0.95, critical=("BORE",)), 500, "given with --lot-size")
    json.dumps(ds, allow_nan=False)
    assert ds["lot_size"] == 500 and ds["critical_from_cli"] == ["BORE"]
    assert "97.5" in ds["lower_bound_meaning"]
