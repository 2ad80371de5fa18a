"""The HTML report in a real browser: Debian's headless Chromium over the DevTools protocol.

Chromium is started with networking disabled (offline emulation, every host name unresolvable,
no background traffic). The tests record console errors, uncaught exceptions, failed and
non-file requests (all must be zero), check that every plot renders (lazily while scrolling, and
all at once before printing), that the summary sorts, that hostile names stay text, and that the
PDF print has one page per characteristic with the running header. A screenshot is written to
``test-artifacts/report.png``.

When ``/usr/bin/chromium`` is absent the tests try ``apt-get install -y chromium`` (as root);
if that is impossible they are skipped with the reason.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from pilotqa.report.html import write_html
from tests.report_fixtures import (BREAKOUT, INJECTION, REPO, SAMPLE_WIDE, Chromium, find_chromium,
                                   make_result, open_offline, pipeline_result, while_painting)

pytestmark = pytest.mark.browser
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def chromium_exe() -> str:
    exe, why = find_chromium(install=True)
    if exe is None:
        print(f"browser tests skipped: {why}")
        pytest.skip(why)
    return exe


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    res = pipeline_result(SAMPLE_WIDE)
    path = tmp_path_factory.mktemp("html") / "report.html"
    write_html(res, path)
    return path, res


def _no_problems(c: Chromium) -> None:
    probs = c.problems()
    assert probs == {"console": [], "exceptions": [], "log": [], "failed": [], "requests": []}
    assert not [e for e in c.events if e.get("method") == "Page.javascriptDialogOpening"]


FIG_STATES = ("Array.from(document.querySelectorAll('div.fig')).map(d => d.getAttribute('data-fig') "
              "+ ':' + d.getAttribute('data-state') + '@' + Math.round(d.getBoundingClientRect().top))")


def _rendered(c: Chromium) -> int:
    return int(c.evaluate(
        "document.querySelectorAll('div.fig[data-state=done] svg.main-svg').length > 0 ? "
        "Array.from(document.querySelectorAll('div.fig')).filter(d => "
        "d.getAttribute('data-state') === 'done' && d.classList.contains('js-plotly-plot') && "
        "d.querySelector('svg.main-svg')).length : 0"))


def _scroll_to_bottom(c: Chromium) -> None:
    """Scroll down a screen at a time until the bottom; plots render as they come into view.
    Each step waits for two animation frames, so the browser has painted (and the
    IntersectionObserver has looked at) every scroll position before the next one. Stops early
    when the browser has stopped producing frames (three waits in vain)."""
    height = int(c.evaluate("document.documentElement.scrollHeight"))
    for y in range(0, height + 1000, 800):
        c.evaluate(f"window.scrollTo(0, {y})")
        if not c.next_frame() and c.frame_stalls >= 3:
            return


def test_renders_offline_lazily_without_errors(chromium_exe: str, report) -> None:  # type: ignore[no-untyped-def]
    path, res = report
    n = len(res.features)

    def body(c: Chromium) -> None:
        time.sleep(0.5)
        first = _rendered(c)
        _scroll_to_bottom(c)
        deadline = time.monotonic() + (10 if c.frame_stalls else 60)
        while _rendered(c) < n and time.monotonic() < deadline:
            time.sleep(0.2)
        assert first < n  # lazy: the plots far below the fold were not drawn before scrolling
        assert _rendered(c) == n, (c.evaluate(FIG_STATES), c.frame_state())
        assert c.evaluate("document.querySelectorAll('.js-plotly-plot').length") == n
        # the six panels of each sixpack are there
        assert c.evaluate("document.querySelectorAll("
                          "'.js-plotly-plot .cartesianlayer > g.subplot').length") == 6 * n
        c.evaluate("document.querySelector('section.feature').scrollIntoView()")
        time.sleep(0.3)
        ARTIFACTS.mkdir(exist_ok=True)
        c.screenshot(ARTIFACTS / "report.png")
        assert (ARTIFACTS / "report.png").stat().st_size > 10_000
        assert c.evaluate("performance.getEntriesByName('pilotqa-first-plot').length") == 1
        _no_problems(c)

    while_painting(lambda: open_offline(chromium_exe, path), body)


def test_summary_sorts_by_clicking_a_header(chromium_exe: str, report) -> None:  # type: ignore[no-untyped-def]
    path, res = report
    with open_offline(chromium_exe, path) as c:
        col = c.evaluate("Array.from(document.querySelectorAll('#summary-table thead th'))"
                         ".findIndex(th => th.textContent.trim() === 'Ppk')")
        assert col >= 0
        values = ("Array.from(document.querySelectorAll('#summary-table tbody tr'))"
                  f".map(r => r.cells[{col}].getAttribute('data-v'))")
        c.evaluate(f"document.querySelectorAll('#summary-table thead th')[{col}].click()")
        asc = c.evaluate(values)
        nums = [float(v) for v in asc if v]
        assert nums == sorted(nums) and asc[: len(nums)] == [v for v in asc if v]  # nulls last
        c.evaluate(f"document.querySelectorAll('#summary-table thead th')[{col}].click()")
        desc = [float(v) for v in c.evaluate(values) if v]
        assert desc == sorted(nums, reverse=True)
        assert len(asc) == len(res.features)
        _no_problems(c)


def _pdf_pages(pdf: Path) -> list[str]:
    """Text of each page: poppler's pdftotext when installed (fast), else pypdf."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    try:
        from pypdf import PdfReader
    except ImportError:
        pytest.skip("neither poppler's pdftotext nor pypdf is installed to read the PDF")
    return [p.extract_text() or "" for p in PdfReader(str(pdf)).pages]


def test_prints_one_page_per_characteristic(chromium_exe: str, report,  # type: ignore[no-untyped-def]
                                            tmp_path: Path) -> None:
    path, res = report
    n = len(res.features)
    meta = res.inspection.metadata
    with open_offline(chromium_exe, path) as c:
        pdf = c.print_pdf()
        # printing fired beforeprint: every plot was drawn, not only the first screen
        assert c.evaluate("document.querySelectorAll('div.fig[data-state=done]').length") == n
        _no_problems(c)
    out = tmp_path / "report.pdf"
    out.write_bytes(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    pages = _pdf_pages(out)
    assert len(pages) >= 1 + n
    total = len(pages)
    part = str(meta.get("part_number") or "—")
    starts: dict[int, int] = {}
    for i, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        # running header on every page: part number, revision and "page i of N"
        assert f"page {i} of {total}" in flat, (i, flat[:200])
        assert f"Part {part}" in flat, (i, flat[:200])
        for m in re.finditer(r"characteristic (\d+) of (\d+)", flat):
            assert int(m.group(2)) == n
            starts.setdefault(int(m.group(1)), i)
    # each characteristic starts on its own page
    assert sorted(starts) == list(range(1, n + 1))
    assert len(set(starts.values())) == n


def test_hostile_names_stay_text_in_the_browser(chromium_exe: str, tmp_path: Path) -> None:
    names = [INJECTION, BREAKOUT, "<img src=x onerror=alert(3)>"]
    res = make_result(3, names=names, lots=[INJECTION, BREAKOUT, "L3"],
                      metadata={"part_number": INJECTION, "revision": BREAKOUT,
                                "description": "</title><script>alert(5)</script>",
                                "supplier": "x"},
                      files=[{"path": f"{INJECTION}.csv", "sha256": "0" * 64, "format": "csv"}])
    path = tmp_path / "hostile.html"
    write_html(res, path)
    with open_offline(chromium_exe, path) as c:
        assert c.evaluate("window.pilotqaRenderAll().then(() => "
                          "document.querySelectorAll('.js-plotly-plot').length)") == 3
        assert c.evaluate("Array.from(document.querySelectorAll('span.fname'))"
                          ".map(e => e.textContent)") == [INJECTION, BREAKOUT, names[2]]
        assert c.evaluate("document.querySelectorAll('script:not([type])').length") == 2
        assert c.evaluate("document.querySelectorAll('img').length") == 0
        assert c.evaluate("document.title").startswith("Capability report " + INJECTION)
        # lot names reach the plots as text
        ticks = c.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot g.x6tick text'))"
                           ".map(t => t.textContent)")
        assert ticks[:3] == [INJECTION, BREAKOUT, "L3"]
        _no_problems(c)


def test_a_jump_draws_the_figure_in_view_and_not_those_skipped(chromium_exe: str,
                                                                report) -> None:  # type: ignore[no-untyped-def]
    """Jumping straight to the last characteristic (a link, End key, a dragged scroll bar) draws
    the figure that is then in view; the ones jumped over stay undrawn until they are reached."""
    path, res = report
    n = len(res.features)

    def body(c: Chromium) -> None:
        c.evaluate("Array.from(document.querySelectorAll('div.fig')).pop().scrollIntoView()")
        c.next_frame()
        deadline = time.monotonic() + (10 if c.frame_stalls else 60)
        last = "Array.from(document.querySelectorAll('div.fig')).pop().getAttribute('data-state')"
        while c.evaluate(last) != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.evaluate(last) == "done", (c.evaluate(FIG_STATES), c.frame_state())
        middle = c.evaluate("document.querySelectorAll('div.fig')"
                            f"[{n // 2}].getAttribute('data-state')")
        assert middle is None, (c.evaluate(FIG_STATES), c.frame_state())
        _no_problems(c)

    while_painting(lambda: open_offline(chromium_exe, path), body)


def test_after_printing_figures_return_to_the_screen_size_when_reached(
        chromium_exe: str, report) -> None:  # type: ignore[no-untyped-def]
    """Printing draws every figure at the print size; afterwards a figure is relaid out for the
    screen when it comes into view, not all of them at once on afterprint (that second drawing
    of every figure would add to the print time)."""
    path, res = report
    n = len(res.features)
    sizes = "Array.from(document.querySelectorAll('div.fig')).map(d => d.getAttribute('data-size'))"

    def body(c: Chromium) -> None:
        c.print_pdf()
        assert c.evaluate("document.querySelectorAll('div.fig[data-state=done]').length") == n
        c.next_frame()
        after = c.evaluate(sizes)
        assert after.count("print") >= n - 2, after  # only those near the viewport went back
        c.evaluate("Array.from(document.querySelectorAll('div.fig')).pop().scrollIntoView()")
        c.next_frame()
        last = ("(() => { const d = Array.from(document.querySelectorAll('div.fig')).pop(); "
                "return d.getAttribute('data-size') + ':' + d.getAttribute('data-state') + ':' "
                "+ Math.round(d.getBoundingClientRect().width); })()")
        deadline = time.monotonic() + (10 if c.frame_stalls else 60)
        while not c.evaluate(last).startswith("screen:done") and time.monotonic() < deadline:
            time.sleep(0.2)
        size, state, width = c.evaluate(last).split(":")
        assert (size, state) == ("screen", "done"), c.evaluate(sizes)
        # drawn across the page again, not at the 715 px print width
        svg_width = c.evaluate("Math.round(Array.from(document.querySelectorAll('div.fig'))"
                               ".pop().querySelector('svg.main-svg').getBoundingClientRect().width)")
        assert svg_width > 800 and abs(svg_width - int(width)) <= 4, (svg_width, width)
        # and with Plotly's own (hoverable) markers again instead of the printed dot paths
        lastfig = "Array.from(document.querySelectorAll('div.fig')).pop()"
        assert c.evaluate(f"{lastfig}.querySelectorAll('path.pqdots').length") == 0
        assert c.evaluate(f"{lastfig}.querySelectorAll('path.point').length") > 100
        _no_problems(c)

    while_painting(lambda: open_offline(chromium_exe, path), body)


#: Every visible marker of every figure as "subplot x y" (pixels, 2 decimals): Plotly's own
#: markers (path.point, translate) and the printed dot paths (path.pqdots, "M x,y h0" each).
VISIBLE_POINTS = r"""(root => {
  const out = [];
  root.querySelectorAll('g.subplot').forEach(sp => {
    const name = sp.getAttribute('class').split(' ')[1];
    sp.querySelectorAll('path.point').forEach(p => {
      if (getComputedStyle(p).opacity === '0') { return; }
      const m = /translate\(([-\d.e]+),\s*([-\d.e]+)\)/.exec(p.getAttribute('transform') || '');
      if (m) { out.push(name + ' ' + (+m[1]).toFixed(2) + ' ' + (+m[2]).toFixed(2)); }
    });
    sp.querySelectorAll('path.pqdots').forEach(p => {
      for (const m of p.getAttribute('d').matchAll(/M([-\d.e]+),([-\d.e]+)h0/g)) {
        out.push(name + ' ' + (+m[1]).toFixed(2) + ' ' + (+m[2]).toFixed(2));
      }
    });
  });
  return out.sort();
})"""
#: The axis ranges Plotly settled on, per axis.
RANGES = ("(div => Object.keys(div._fullLayout).filter(k => /^[xy]axis[0-9]*$/.test(k)).sort()"
          ".map(k => k + ' ' + div._fullLayout[k].range.map(v => (+v).toPrecision(12)).join(' ')))")


def test_printed_dots_are_plotlys_own_markers(chromium_exe: str, report) -> None:  # type: ignore[no-untyped-def]
    """For print, each long plain marker series is drawn as one path of round dots. Compared
    with Plotly drawing the very same figure at the print size with its own markers (a scratch
    plot in the same page): the same points at the same pixels (to 0.01 px), the same axis
    ranges, and far fewer SVG elements."""
    path, res = report
    with open_offline(chromium_exe, path) as c:
        c.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        c.evaluate("window.pilotqaRenderAll()")
        figs = c.evaluate("Array.from(document.querySelectorAll('div.fig')).map(d => d.getAttribute('data-fig'))")
        converted = 0
        for fig in figs:
            div = f"document.querySelector('div.fig[data-fig={fig}]')"
            printed = c.evaluate(f"{VISIBLE_POINTS}({div})")
            ranges = c.evaluate(f"{RANGES}({div})")
            dots = c.evaluate(f"{div}.querySelectorAll('path.pqdots').length")
            elements = c.evaluate(f"{div}.querySelectorAll('path').length")
            # the same figure drawn by Plotly alone, with the print size of the report's script
            scratch = c.evaluate(f"""(async () => {{
              const src = {div};
              const spec = JSON.parse(document.getElementById('{fig}').textContent);
              Object.keys(spec.layout).forEach(k => {{
                if (/^[xy]axis[0-9]*$/.test(k) && spec.layout[k].ticklabeloverflow === undefined) {{
                  spec.layout[k].ticklabeloverflow = 'allow'; }} }});
              spec.layout.width = 715;
              spec.layout.height = src.classList.contains('attr') ? 240 : 400;
              spec.layout.autosize = false;
              const d = document.createElement('div');
              src.parentNode.insertBefore(d, src.nextSibling);
              await Plotly.newPlot(d, spec.data, spec.layout, {{displayModeBar: false}});
              const out = [{VISIBLE_POINTS}(d), {RANGES}(d), d.querySelectorAll('path').length];
              Plotly.purge(d); d.remove();
              return out;
            }})()""")
            assert printed == scratch[0], fig
            assert ranges == scratch[1], fig
            if dots:
                converted += 1
                assert elements < scratch[2] - 40 * dots, (fig, elements, scratch[2])
        assert converted >= len(res.features) - 3  # go/no-go charts of few parts may not need it
        _no_problems(c)


def test_print_falls_back_to_plotlys_markers_when_the_dots_cannot_be_placed(
        chromium_exe: str, report) -> None:  # type: ignore[no-untyped-def]
    """Should a future Plotly not offer what the printed dots need (here: the stand-in trace's
    group cannot be found), the figure is printed as Plotly draws it, markers and all."""
    path, res = report
    with open_offline(chromium_exe, path) as c:
        c.evaluate("(() => { const q = Element.prototype.querySelector; "
                   "Element.prototype.querySelector = function (s) { "
                   "return /tracepqdots/.test(s) ? null : q.call(this, s); }; })()")
        c.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        c.evaluate("window.pilotqaRenderAll()")
        c.next_frame()
        n = len(res.features)
        assert c.evaluate("document.querySelectorAll('div.fig[data-state=done]').length") == n
        assert c.evaluate("document.querySelectorAll('path.pqdots').length") == 0
        # every reading is a visible Plotly marker again (the stand-ins are redrawn as the series)
        assert c.evaluate("Array.from(document.querySelectorAll('path.point')).filter(p => "
                          "getComputedStyle(p).opacity === '0').length") == 0
        points = c.evaluate("Array.from(document.querySelectorAll('div.fig')).map(d => "
                            "d.querySelectorAll('path.point').length)")
        assert min(points[:3]) > 100, points
        assert c.evaluate("document.querySelector('div.fig svg.main-svg').getAttribute('width')") == "715"
        _no_problems(c)
