"""The `pilotqa` command's allocator option (cli/__init__.py, issue 16): appended after polars' own
defaults, a user's own dirty_decay_ms kept, and in effect in a real `pilotqa` process."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pilotqa_cli import allocator_conf


def test_unset_gets_the_option() -> None:
    assert allocator_conf(None) == "dirty_decay_ms:0"
    assert allocator_conf("") == "dirty_decay_ms:0"


def test_polars_defaults_inherited_from_a_parent_are_overridden() -> None:
    inherited = "dirty_decay_ms:500,muzzy_decay_ms:1000"
    assert allocator_conf(inherited) == inherited + ",dirty_decay_ms:0"


def test_a_users_own_choice_is_kept() -> None:
    assert allocator_conf("dirty_decay_ms:2000") == "dirty_decay_ms:2000"
    assert allocator_conf("dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:7") == (
        "dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:7")
    assert allocator_conf("narenas:2") == "narenas:2,dirty_decay_ms:0"


def test_the_command_process_runs_with_it_after_polars_loads() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    env["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:500,muzzy_decay_ms:1000"  # as a polars-importing parent leaves it
    code = "import pilotqa_cli, polars, os; print(os.environ['_RJEM_MALLOC_CONF'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip().split(",")[-1] == "dirty_decay_ms:0"


def test_one_malloc_arena_unless_the_user_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes

    from pilotqa_cli import one_malloc_arena

    calls: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, param: int, value: int) -> int:
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert one_malloc_arena() is True and calls == [(-8, 1)]  # M_ARENA_MAX, 1
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert one_malloc_arena() is False and calls == [(-8, 1)]


def test_glibc_accepts_the_arena_option() -> None:
    """On this (glibc) machine the real mallopt takes it (returns 1)."""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    code = "import pilotqa_cli; print(pilotqa_cli.one_malloc_arena())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
