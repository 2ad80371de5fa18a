"""The README documents every command and option, and every option has help text."""
from __future__ import annotations

import click
import pytest

from pilotqa_cli.main import cli

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    return [(name, cli.get_command(ctx, name)) for name in cli.list_commands(ctx)]  # type: ignore[misc]


@pytest.mark.parametrize("name", [n for n, _ in _commands()])
def test_command_is_documented(name: str) -> None:
    assert f"pilotqa {name}" in README


@pytest.mark.parametrize(
    "name,opt",
    [
        (n, o)
        for n, c in _commands()
        for p in c.params
        if isinstance(p, click.Option)
        for o in p.opts
        if o.startswith("--")
    ],
)
def test_option_is_documented_and_has_help(name: str, opt: str) -> None:
    cmd = dict(_commands())[name]
    param = next(p for p in cmd.params if opt in p.opts)
    assert isinstance(param, click.Option) and param.help, f"{name} {opt} has no help text"
    assert f"`{opt}" in README, f"option {opt} of `pilotqa {name}` is not in the README"


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in README
