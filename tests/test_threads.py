"""Two threads for one analysis (pilotqa.threads): same results either way, the switch, its errors."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotqa.errors import PolicyError
from pilotqa.threads import THREADS_ENV, concurrent, thread_count
from pilotqa_cli.main import cli
from tests.golden.make_golden import golden_document, sample_inputs


@pytest.mark.parametrize(("env", "cpus", "expected"), [
    (None, 2, 2), (None, 1, 1), ("1", 8, 1), (" 2 ", 1, 2), ("16", 8, 2),
])
def test_thread_count(monkeypatch: pytest.MonkeyPatch, env: str | None, cpus: int, expected: int) -> None:
    if env is None:
        monkeypatch.delenv(THREADS_ENV, raising=False)
    else:
        monkeypatch.setenv(THREADS_ENV, env)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(cpus)))
    assert thread_count() == expected


@pytest.mark.parametrize("env", ["0", "-1", "two", "1.5"])
def test_bad_thread_count_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv(THREADS_ENV, env)
    with pytest.raises(PolicyError, match=f"{THREADS_ENV} must be a positive whole number.*{env!r}"):
        thread_count()


@pytest.mark.parametrize(("env", "other_thread"), [("1", False), ("2", True)])
def test_concurrent_runs_on_a_second_thread_or_at_once(monkeypatch: pytest.MonkeyPatch, env: str,
                                                        other_thread: bool) -> None:
    monkeypatch.setenv(THREADS_ENV, env)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    seen: list[threading.Thread] = []
    with concurrent() as run:
        fut = run(lambda a, b: seen.append(threading.current_thread()) or a + b, 2, 3)
        assert fut.result() == 5
        failed = run(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result()
    assert (seen[0] is not threading.main_thread()) is other_thread


def test_bad_thread_count_stops_the_command_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(THREADS_ENV, "many")
    sample = sample_inputs()[0]
    r = CliRunner().invoke(cli, ["analyze", str(sample), "--out", str(tmp_path / "o"), "--format", "json"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and THREADS_ENV in lines[0] and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("path", sample_inputs(), ids=lambda p: p.name)
def test_same_document_on_one_thread_and_on_two(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setenv(THREADS_ENV, "1")
    one = golden_document(path)
    monkeypatch.setenv(THREADS_ENV, "2")
    two = golden_document(path)
    assert one == two  # exact: every float bit for bit


def test_preload_imports_on_a_background_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from pilotqa.threads import preload

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setenv(THREADS_ENV, "1")
    assert preload(("colorsys",)) is None
    monkeypatch.setenv(THREADS_ENV, "2")
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    # a module that fails to import ends the preload quietly (the main thread's import reports it)
    thread = preload(("pilotqa_no_such_module", "colorsys"))
    assert thread is not None and thread.daemon
    thread.join(10)
    assert "colorsys" not in sys.modules
    thread = preload(("colorsys",))
    assert thread is not None
    thread.join(10)
    assert "colorsys" in sys.modules


def test_the_warning_filters_are_the_same_after_an_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """catch_warnings is not thread-safe; compute restores the filters once both threads are done.
    Forced here: the worker's block saves the filters and ignores everything, the main thread's
    block then saves that "ignore" state, the worker's exit restores the original, and the main
    thread's exit restores its "ignore" — which would stay for the rest of the process."""
    import warnings

    import pilotqa.stats as stats

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setenv(THREADS_ENV, "2")
    entered, leave, done = threading.Event(), threading.Event(), threading.Event()
    shape_step, resolution_all = stats._shape_step, stats.resolution_all

    def worker_side(*args: object) -> object:
        out = shape_step(*args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            entered.set()
            assert leave.wait(30)
        done.set()
        return out

    def main_side(*args: object) -> object:
        out = resolution_all(*args)
        assert entered.wait(30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            leave.set()
            assert done.wait(30)
        return out

    monkeypatch.setattr(stats, "_shape_step", worker_side)
    monkeypatch.setattr(stats, "resolution_all", main_side)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("default")
        before = list(warnings.filters)
        golden_document(sample_inputs()[0])
        assert warnings.filters == before
