"""The comparison report in a real browser (Debian's headless Chromium, offline): every plot
renders as it scrolls into view, nothing is requested from the network, no console error, and a
hostile characteristic name stays text. Screenshot: ``test-artifacts/compare.png``."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from pilotqa.compare import compare
from pilotqa.compare.outputs import write_comparison
from pilotqa.read import read
from tests.report_fixtures import REPO, Chromium, find_chromium, open_offline, while_painting

from .conftest import SAMPLE
from .test_compare import EVIL, _evil_run

pytestmark = pytest.mark.browser
ARTIFACTS = REPO / "test-artifacts"
DONE = ("Array.from(document.querySelectorAll('div.fig')).filter(d => "
        "d.getAttribute('data-state') === 'done' && d.querySelector('svg.main-svg')).length")


@pytest.fixture(scope="module")
def chromium_exe() -> str:
    exe, why = find_chromium(install=True)
    if exe is None:
        pytest.skip(why)
    return exe


def _render_all(c: Chromium, n: int) -> None:
    height = int(c.evaluate("document.documentElement.scrollHeight"))
    for y in range(0, height + 1000, 800):
        c.evaluate(f"window.scrollTo(0, {y})")
        if not c.next_frame() and c.frame_stalls >= 3:
            break
    deadline = time.monotonic() + (10 if c.frame_stalls else 60)
    while int(c.evaluate(DONE)) < n and time.monotonic() < deadline:
        time.sleep(0.2)


def _problems_free(c: Chromium) -> None:
    assert c.problems() == {"console": [], "exceptions": [], "log": [], "failed": [], "requests": []}
    assert not [e for e in c.events if e.get("method") == "Page.javascriptDialogOpening"]


def test_sample_comparison_renders_every_plot_offline(chromium_exe: str, tmp_path: Path) -> None:
    r = compare(read([SAMPLE / "compare" / "housing_pilot_before.csv"]),
                read([SAMPLE / "compare" / "housing_pilot_after.csv"]))
    (path,) = write_comparison(r, tmp_path, "cmp", ("html",))
    n = 2 * len(r.document["features"])

    def body(c: Chromium) -> None:
        time.sleep(0.5)
        assert int(c.evaluate(DONE)) < n  # lazy: plots far below are not drawn yet
        _render_all(c, n)
        assert int(c.evaluate(DONE)) == n, c.frame_state()
        # histograms: 2 bar traces; run charts: 2 scatter traces
        assert c.evaluate("document.querySelectorAll('.js-plotly-plot g.trace.bars').length") == n
        c.evaluate("document.getElementById('f2').scrollIntoView()")
        time.sleep(0.3)
        ARTIFACTS.mkdir(exist_ok=True)
        c.screenshot(ARTIFACTS / "compare.png")
        _problems_free(c)

    while_painting(lambda: open_offline(chromium_exe, path), body)


def test_hostile_names_stay_text(chromium_exe: str, tmp_path: Path) -> None:
    b, a = _evil_run(tmp_path / "b.csv", 1, 1.0), _evil_run(tmp_path / "a.csv", 2, 0.5)
    r = compare(read([b]), read([a]))
    (path,) = write_comparison(r, tmp_path / "out", "cmp", ("html",))

    def body(c: Chromium) -> None:
        _render_all(c, 4)
        assert int(c.evaluate(DONE)) == 4, c.frame_state()
        assert c.evaluate("document.querySelector('#summary a').textContent") == EVIL
        titles = c.evaluate("Array.from(document.querySelectorAll('.gtitle')).map(t => t.textContent)")
        assert any(t.startswith(EVIL) for t in titles), titles
        _problems_free(c)

    while_painting(lambda: open_offline(chromium_exe, path), body)
