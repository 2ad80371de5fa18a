"""Issue 10: pyproject allows Python 3.10, which has no ``tomllib``; the policy and spec TOML
readers then use the ``tomli`` backport (declared for python_version < '3.11')."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pilotqa.util import toml_module


def test_toml_falls_back_to_tomli_without_tomllib(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tomli

    monkeypatch.setitem(sys.modules, "tomllib", None)  # `import tomllib` now fails as on Python 3.10
    assert toml_module() is tomli
    from pilotqa.decide.policy import load_policy

    p = tmp_path / "policy.toml"
    p.write_text("[requirements]\nnon_normal_aic_window = 4\n", encoding="utf-8")
    assert load_policy(str(p)).requirements.non_normal_aic_window == 4.0
    from pilotqa.errors import PolicyError

    p.write_text("[requirements\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(str(p))


def test_toml_uses_tomllib_where_it_exists() -> None:
    if sys.version_info >= (3, 11):
        import tomllib

        assert toml_module() is tomllib
