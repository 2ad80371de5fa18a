"""The browser-test harness's one retry (tests/report_fixtures.while_painting): a failing check is
repeated on a fresh browser only when the browser had stopped producing animation frames; any
other failure is raised at once. Runs without a browser (stand-in objects)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.report_fixtures import while_painting


class _Browser:
    def __init__(self, log: list[str], stalls: int, paints: bool) -> None:
        self.log, self.frame_stalls, self.paints = log, stalls, paints

    def next_frame(self, wait: float = 5.0) -> bool:
        if not self.paints:
            self.frame_stalls += 1
        return self.paints

    def frame_state(self) -> str:
        return f"frame stalls={self.frame_stalls}"

    def __enter__(self) -> "_Browser":
        self.log.append("open")
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append("close")


def _run(browsers: list[_Browser], fail_first: bool) -> int:
    calls = []

    def body(c: Any) -> None:
        calls.append(c)
        assert not (fail_first and len(calls) == 1), "first attempt fails"

    it = iter(browsers)
    while_painting(lambda: next(it), body)  # type: ignore[arg-type, return-value]
    return len(calls)


def test_a_painting_browser_that_fails_is_not_retried() -> None:
    log: list[str] = []
    with pytest.raises(AssertionError, match="first attempt fails"):
        _run([_Browser(log, 0, True), _Browser(log, 0, True)], fail_first=True)
    assert log == ["open", "close"]


def test_a_stalled_browser_is_retried_once_on_a_fresh_one(capsys: pytest.CaptureFixture[str]) -> None:
    log: list[str] = []
    assert _run([_Browser(log, 3, False), _Browser(log, 0, True)], fail_first=True) == 2
    assert log == ["open", "close", "open", "close"]
    assert "stopped producing frames" in capsys.readouterr().out


def test_a_stall_found_only_after_the_failure_counts_too() -> None:
    log: list[str] = []
    assert _run([_Browser(log, 0, False), _Browser(log, 0, True)], fail_first=True) == 2


def test_a_second_failure_is_raised() -> None:
    log: list[str] = []

    def body(c: Any) -> None:
        raise AssertionError("always")

    with pytest.raises(AssertionError, match="always"):
        while_painting(lambda: _Browser(log, 3, False), body)  # type: ignore[arg-type, return-value]
    assert log == ["open", "close", "open", "close"]


def test_success_needs_one_browser() -> None:
    log: list[str] = []
    assert _run([_Browser(log, 0, True)], fail_first=False) == 1
    assert log == ["open", "close"]
