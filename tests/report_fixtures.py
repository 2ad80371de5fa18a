"""Analysis results for the report tests (HTML, XLSX, browser).

:func:`make_result` generates an inspection (normal readings, a planted drift and a planted lot
shift, lognormal readings for the one-sided characteristics), runs the real pipeline
(:func:`pilotqa.analysis.analyze`) on it, and then replaces each characteristic's decision by a
cyclic one (keep 100 %, variables plan, attributes plan, reduced audit, with typed
:class:`~pilotqa.results.Plan` objects) so every kind of plan is rendered whatever the generated
numbers decide. Names, lots, units, metadata and file names are parameters so the tests can plant
hostile strings anywhere; :func:`with_feature` changes one characteristic of a (frozen) result.
:func:`pipeline_result` runs the real pipeline on a bundled sample.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pilotqa.analysis import AnalysisResult, analyze
from pilotqa.model import MEASUREMENT_SCHEMA, SPEC_SCHEMA, Inspection, SourceFile
from pilotqa.results import Decision, FeatureResult, Plan, PlanEntry
from pilotqa.settings import Settings

__all__ = ["make_result", "with_feature", "pipeline_result", "INJECTION",
           "BREAKOUT", "FORMULAS", "SAMPLE_LONG", "SAMPLE_WIDE", "parse_report", "ReportParser",
           "Chromium", "find_chromium", "CHROMIUM_FLAGS", "CDPError", "GENERATED"]

REPO = Path(__file__).resolve().parent.parent
SAMPLE_LONG = REPO / "sample_data" / "housing_pilot_long.csv"
SAMPLE_WIDE = REPO / "sample_data" / "housing_pilot_wide.xlsx"

#: Markup that must show as text, never as a tag.
INJECTION = "<script>alert(1)</script>"
#: A string that tries to close an embedding <script> element and open a new one.
BREAKOUT = "</script><script>alert(2)</script>"
#: Spreadsheet formula-injection payloads (OWASP CSV-injection examples).
FORMULAS = ("=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1",
            "=HYPERLINK(\"http://example.invalid\",\"x\")")
#: Generation time of every :func:`make_result` result.
GENERATED = datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc)

_SPECS: list[tuple[str, float, float | None, float | None, str, str]] = [
    ("BORE_A_DIA", 42.0, 42.000, 42.025, "mm", "critical"),
    ("BORE_B_DIA", 30.0, 29.985, 30.015, "mm", "major"),
    ("BORE_C_DEPTH", 18.0, 17.950, 18.050, "mm", "major"),
    ("FACE_LENGTH", 85.0, 84.900, 85.100, "mm", "major"),
    ("HOLE1_POS", 0.0, None, 0.100, "mm", "major"),
    ("FLATNESS_TOP", 0.0, None, 0.050, "mm", "minor"),
    ("THREAD_M8_DEPTH", 16.0, 16.000, 16.500, "mm", "major"),
    ("SLOT_WIDTH", 10.0, 9.980, 10.020, "mm", "critical"),
    ("PIN_HOLE_DIA", 6.0, 6.000, 6.012, "mm", "major"),
    ("OVERALL_HEIGHT", 55.0, 54.950, 55.050, "mm", "minor"),
    ("ROUGHNESS_RA", 0.0, None, 1.600, "µm", "minor"),
    ("WALL_THICKNESS", 3.0, 2.900, 3.100, "mm", "minor"),
]
_VERDICTS = ("keep_100", "variables_plan", "attributes_plan", "reduced_audit")
_PLANS: dict[str, Plan] = {  # shapes as pilotqa.decide.tables returns them
    "variables_plan": Plan(method="variables", standard="Z1.9", code_letter="I", sample_size=25,
                           k=1.98, aql=0.65, level="II", lot_size=500, hundred_percent=False,
                           rule_text="Per lot of 500: measure 25 parts; accept the lot if "
                                     "(USL − x̄)/s ≥ 1.98 and (x̄ − LSL)/s ≥ 1.98."),
    "attributes_plan": Plan(method="attributes", standard="Z1.4", code_letter="H",
                            sample_size=80, accept=1, reject=2, aql=0.65, lot_size=500,
                            hundred_percent=False,
                            rule_text="Per lot of 500: draw 80 parts; accept if at most 1 "
                                      "nonconforming part is found."),
    "reduced_audit": Plan(method="reduced_audit", pieces_per_lot=2, periodic_every=50,
                          sample_size=12, lot_size=500, reaction_limits=(1.0, 2.0),
                          rule_text="Measure the first and the last part of every lot and one "
                                    "part every 50 parts."),
}


def _values(k: int, lsl: float | None, usl: float, seq: np.ndarray, lot_index: np.ndarray,
            rng: np.random.Generator) -> np.ndarray:
    n = seq.size
    if lsl is None:
        return np.round(rng.lognormal(np.log(usl / 4), 0.35, n), 4)
    mid, tol = (lsl + usl) / 2, usl - lsl
    values = rng.normal(mid, tol / 8, n)
    if k % len(_SPECS) == 2:
        values = values + 0.25 * tol * seq / n  # drift
    if k % len(_SPECS) == 3:
        values = values + 0.12 * tol * (lot_index == 1)  # lot effect
    return np.round(values, 4)


def _inspection(n_features: int, n_parts: int, seed: int, names: list[str] | None,
                metadata: dict[str, str] | None, files: list[dict[str, str]] | None,
                lots: list[str] | None, unit: str | None, serial_prefix: str = "SN") -> Inspection:
    rng = np.random.default_rng(seed)
    lot_names = lots or ["L01", "L02", "L03"]
    lot_index = np.array([min(i * len(lot_names) // n_parts, len(lot_names) - 1)
                          for i in range(n_parts)])
    seq = np.arange(1, n_parts + 1)
    start = datetime(2026, 10, 5, 6, 0)
    stamps = []
    for j in range(len(lot_names)):  # each lot: one 9-hour shift, a week after the previous
        m = int(np.sum(lot_index == j))
        stamps += [start + timedelta(days=7 * j, hours=9 * q / max(m - 1, 1)) for q in range(m)]
    rows, specs = [], []
    for k in range(n_features):
        base = _SPECS[k % len(_SPECS)]
        name = names[k] if names and k < len(names) else (
            base[0] if k < len(_SPECS) else f"{base[0]}_{k}")
        _, nominal, lsl, usl, u, klass = base
        assert usl is not None
        specs.append({"feature": name, "nominal": nominal, "lsl": lsl, "usl": usl,
                      "unit": unit if unit is not None else u, "class": klass,
                      "lower_bound_zero": lsl is None, "source": "fixture"})
        for i, v in enumerate(_values(k, lsl, usl, seq, lot_index, rng)):
            rows.append({"part_id": f"{serial_prefix}{i + 1:04d}", "lot": lot_names[lot_index[i]],
                         "subgroup": None, "sequence": int(seq[i]), "timestamp": stamps[i],
                         "feature": name, "value": float(v)})
    meta = metadata if metadata is not None else {
        "part_number": "HSG-4711", "revision": "C", "description": "Pump housing, AlSi9Cu3",
        "supplier": "Example Precision GmbH"}
    src = files if files is not None else [
        {"path": "sample_data/housing_pilot_long.csv", "sha256": "ab" * 32, "format": "csv"}]
    return Inspection(measurements=pl.DataFrame(rows, schema=MEASUREMENT_SCHEMA),
                      specs=pl.DataFrame(specs, schema=SPEC_SCHEMA), layout="long",
                      files=[SourceFile(**f) for f in src], metadata=dict(meta),
                      notes=["3 cells 'N/M' counted as not measured"])


def _plan_entry(fr: FeatureResult) -> PlanEntry:
    p = fr.decision.plan
    return PlanEntry(feature=fr.feature, class_=fr.class_, verdict=fr.verdict,
                     method=p.method if p else "100%", sample_size=p.sample_size if p else None,
                     accept=p.accept if p else None, reject=p.reject if p else None,
                     k=p.k if p else None,
                     frequency="every lot of 500" if p else "every part",
                     rule=p.rule_text if p else "Measure every part (100 % inspection).")


def make_result(n_features: int = 12, n_parts: int = 150, *, seed: int = 0,
                names: list[str] | None = None, metadata: dict[str, str] | None = None,
                files: list[dict[str, str]] | None = None, lots: list[str] | None = None,
                unit: str | None = None, serial_prefix: str = "SN") -> AnalysisResult:
    """The real analysis of a generated inspection with ``n_features`` characteristics, the
    decisions replaced cyclically by keep 100 % / variables / attributes / reduced audit; the
    parts are ``<serial_prefix>0001`` … (a hostile prefix plants markup or formulas in every
    serial)."""
    insp = _inspection(n_features, n_parts, seed, names, metadata, files, lots, unit,
                       serial_prefix)
    res = analyze(insp, Settings(lot_size=500), generated_at=GENERATED)
    feats = []
    for k, fr in enumerate(res.features):
        verdict = _VERDICTS[k % 4]
        dec = dataclasses.replace(fr.decision, verdict=verdict, plan=_PLANS.get(verdict))
        feats.append(FeatureResult(stats=fr.stats, decision=dec))
    n_sampled = sum(f.verdict != "keep_100" for f in feats)
    return dataclasses.replace(
        res, features=tuple(feats), inspection_plan=tuple(_plan_entry(f) for f in feats),
        overall=f"{n_sampled} of {len(feats)} characteristics may leave 100 % inspection; "
                f"{len(feats) - n_sampled} stay at 100 %.")


def with_feature(result: AnalysisResult, i: int, *, decision: Decision | None = None,
                 **stats: Any) -> AnalysisResult:
    """``result`` with characteristic ``i``'s statistics fields replaced by ``stats`` (keyword
    = field name) and its decision by ``decision``."""
    fr = result.features[i]
    new = FeatureResult(stats=dataclasses.replace(fr.stats, **stats) if stats else fr.stats,
                        decision=decision or fr.decision)
    feats = result.features[:i] + (new,) + result.features[i + 1:]
    return dataclasses.replace(result, features=feats)


@functools.lru_cache(maxsize=4)
def pipeline_result(path: Path = SAMPLE_LONG) -> AnalysisResult:
    """The real analysis of ``path`` (``pilotqa.read.read`` + ``pilotqa.analysis.analyze``),
    cached: the report tests only read it."""
    from pilotqa.read import read

    return analyze(read([path]))


# ---------------------------------------------------------------- headless Chromium over CDP
import base64  # noqa: E402
import fcntl  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import queue  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

#: Flags this machine needs (see the environment notes): no sandbox as root, no GPU, and no
#: background traffic to the closed network.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-extensions",
                  "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                  "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,1000",
                  # a headless page must not be treated as a background tab (timers, frames)
                  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--disable-backgrounding-occluded-windows")


def find_chromium(install: bool = True) -> tuple[str | None, str]:
    """Path of a Chromium binary, installing Debian's ``chromium`` with apt-get when absent and
    running as root. Returns (path or None, reason when None)."""
    for cand in (os.environ.get("PILOTQA_CHROMIUM"), "/usr/bin/chromium",
                 shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and os.path.exists(cand):
            return cand, ""
    if not install:
        return None, "no chromium binary found"
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "chromium is not installed and cannot be installed (not root or no apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    proc = subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True,
                          text=True, env=env, timeout=900)
    if proc.returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True, env=env, timeout=600)
        proc = subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True,
                              text=True, env=env, timeout=900)
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium", ""
    return None, ("apt-get install -y chromium failed: "
                  + (proc.stderr or proc.stdout).strip().splitlines()[-1:][0]
                  if (proc.stderr or proc.stdout).strip() else "apt-get install chromium failed")


def open_offline(exe: str, path: Path) -> "Chromium":
    """A headless Chromium (offline, 1280 × 1000 page) showing the file ``path``."""
    c = Chromium(exe)
    c.open_page(1280, 1000)
    c.offline()
    c.navigate(path.as_uri())
    return c


def while_painting(open_browser: Callable[[], "Chromium"],
                   body: Callable[["Chromium"], None]) -> None:
    """Run ``body`` on a browser from ``open_browser`` (closed after). If the body fails while
    the browser has stopped producing animation frames — seen once in CI: no frame for 120 s —
    it is printed and run once more on a fresh browser. A report cannot cause such a stall without
    blocking the page, which fails the evaluation at once; any other failure is raised as is."""
    c = open_browser()
    with c:
        try:
            body(c)
            return
        except AssertionError:
            if not c.frame_stalls and c.next_frame(wait=2.0):
                raise
            print(f"headless Chromium stopped producing frames ({c.frame_state()}); "
                  "repeating with a fresh browser")
    with open_browser() as fresh:
        body(fresh)


class CDPError(RuntimeError):
    """A DevTools-protocol command failed."""


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    JSON messages separated by NUL on file descriptors 3 and 4), standard library only.

    Use as a context manager; :meth:`open_page` gives a page session with console, log and
    network events recorded in :attr:`events`.
    """

    def __init__(self, executable: str, flags: tuple[str, ...] = CHROMIUM_FLAGS) -> None:
        self.profile = tempfile.mkdtemp(prefix="pilotqa-chromium-")
        r0, self._to_child_w = os.pipe()
        self._from_child_r, w0 = os.pipe()
        # Descriptors 3 and 4 must be the pipe ends in the child: a tiny launcher dup2()s them
        # there from copies numbered >= 10, so neither copy is overwritten by the other.
        to_child_r = fcntl.fcntl(r0, fcntl.F_DUPFD, 10)
        from_child_w = fcntl.fcntl(w0, fcntl.F_DUPFD, 10)
        os.close(r0)
        os.close(w0)
        args = [executable, *flags, f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe", "about:blank"]
        launcher = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
                    "os.execv(sys.argv[3], sys.argv[3:])")
        self.stderr_path = Path(self.profile).with_suffix(".log")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-c", launcher, str(to_child_r),
                                      str(from_child_w), *args],
                                     pass_fds=(to_child_r, from_child_w),
                                     stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=self._stderr)
        os.close(to_child_r)
        os.close(from_child_w)
        self._id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._event_cv = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session: str | None = None
        self.frame_stalls = 0

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child_r, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg and msg["id"] in self._replies:
                    self._replies[msg["id"]].put(msg)
                else:
                    with self._event_cv:
                        self.events.append(msg)
                        self._event_cv.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None, *,
             session: str | None | bool = True, timeout: float = 60.0) -> dict[str, Any]:
        """Send a command (to the page session unless ``session=None``) and wait for its reply."""
        with self._lock:
            self._id += 1
            mid = self._id
            self._replies[mid] = queue.Queue()
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        sid = self.session if session is True else session
        if sid:
            msg["sessionId"] = sid
        try:
            os.write(self._to_child_w, json.dumps(msg).encode() + b"\0")
        except BrokenPipeError:
            log = self.stderr_path.read_text(errors="replace")[-2000:]
            raise CDPError(f"{method}: chromium exited ({self.proc.poll()}): {log}") from None
        try:
            reply = self._replies[mid].get(timeout=timeout)
        except queue.Empty:
            log = self.stderr_path.read_text(errors="replace")[-1500:].strip()
            raise CDPError(f"{method}: no reply within {timeout} s (chromium "
                           f"{'running' if self.proc.poll() is None else 'exited'}; "
                           f"its log ends: {log or '(empty)'})") from None
        finally:
            self._replies.pop(mid, None)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, timeout: float = 60.0, since: int = 0) -> dict[str, Any]:
        """Wait for an event named ``method`` (among events recorded after index ``since``)."""
        end = time.monotonic() + timeout
        with self._event_cv:
            while True:
                for ev in self.events[since:]:
                    if ev.get("method") == method:
                        return ev
                left = end - time.monotonic()
                if left <= 0:
                    raise CDPError(f"no {method} event within {timeout} s")
                self._event_cv.wait(left)

    def open_page(self, width: int = 1280, height: int = 1000) -> None:
        """Create a page, attach to it and enable the domains whose events the tests read."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=None)
        att = self.send("Target.attachToTarget", {"targetId": target["targetId"],
                                                   "flatten": True}, session=None)
        self.session = att["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False})
        # The page must be the visible, focused tab: a headless tab that Chromium treats as hidden
        # runs no animation frames (requestAnimationFrame, IntersectionObserver, scroll events).
        self.send("Page.bringToFront")
        self.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        self.frame_stalls = 0

    def next_frame(self, wait: float = 5.0) -> bool:
        """Wait for two animation frames (the page painted, its IntersectionObservers ran) —
        at most ``wait`` seconds. Headless Chromium has been seen (CI, 2026-11-30) to stop
        producing frames for a page, so an unbounded wait hung a test for 120 s; a stall is
        counted in :attr:`frame_stalls`, the tab is brought to the front again, and False is
        returned, leaving the test's own assertion (all plots drawn) to decide."""
        got = self.evaluate(
            "new Promise(r => { const t = setTimeout(() => r(false), %d); "
            "requestAnimationFrame(() => requestAnimationFrame(() => { clearTimeout(t); "
            "r(true); })); })" % int(wait * 1000))
        if not got:
            self.frame_stalls += 1
            self.send("Page.bringToFront")
        return bool(got)

    def frame_state(self) -> str:
        """Visibility, focus and frame stalls, for an assertion message."""
        return (f"visibility={self.evaluate('document.visibilityState')}, "
                f"focus={self.evaluate('document.hasFocus()')}, frame stalls={self.frame_stalls}")

    def offline(self) -> None:
        """Emulate a page with no network at all."""
        self.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                       "downloadThroughput": -1,
                                                       "uploadThroughput": -1})

    def navigate(self, url: str, timeout: float = 120.0) -> None:
        """Navigate and wait for the load event."""
        since = len(self.events)
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", timeout=timeout, since=since)

    def evaluate(self, expression: str, timeout: float = 120.0) -> Any:
        """Evaluate JavaScript in the page (promises awaited) and return its value."""
        res = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                             "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in res:
            raise CDPError(f"JavaScript error: {res['exceptionDetails']}")
        return res.get("result", {}).get("value")

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def print_pdf(self, timeout: float = 300.0) -> bytes:
        """Print the page to PDF with the page's own CSS page size and backgrounds."""
        res = self.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True},
                        timeout=timeout)
        return base64.b64decode(res["data"])

    def problems(self) -> dict[str, list[str]]:
        """Console errors, uncaught exceptions, log errors and requests that left the file."""
        out: dict[str, list[str]] = {"console": [], "exceptions": [], "log": [],
                                     "failed": [], "requests": []}
        for ev in list(self.events):
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out["console"].append(" ".join(str(a.get("value", a.get("description", "")))
                                               for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                out["exceptions"].append(str(p.get("exceptionDetails", {}).get("text")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out["log"].append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.loadingFailed":
                out["failed"].append(f"{p.get('errorText')} {p.get('requestId')}")
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "blob:", "about:")):
                    out["requests"].append(url)
        return out

    def close(self) -> None:
        try:
            self.send("Browser.close", session=None, timeout=10)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_child_w, self._from_child_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)
        self._stderr.close()
        self.stderr_path.unlink(missing_ok=True)

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- HTML structure parser
from html.parser import HTMLParser  # noqa: E402


class ReportParser(HTMLParser):
    """Collects what the report tests check: every start tag with its attributes, script and
    style contents, feature sections, the summary table's header and rows (cell texts and the
    cells' CSS classes) and the texts of ``span.fname`` headings."""

    _VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.sections: list[str] = []
        self.summary_rows: list[list[str]] = []
        self.summary_head: list[str] = []
        self.summary_classes: list[list[str]] = []
        self._head: list[str] | None = None
        self._cls: list[str] | None = None
        self.fnames: list[str] = []
        self.title = ""
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._buf: list[str] | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_summary_body = False
        self._fname: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("script", "style"):
            self._buf = []
        if tag == "section" and "feature" in (a.get("class") or "").split():
            self.sections.append(str(a.get("id")))
        if tag == "table" and a.get("id") == "summary-table":
            self._summary = True
        if tag == "tbody" and getattr(self, "_summary", False):
            self._in_summary_body = True
        if tag == "th" and getattr(self, "_summary", False) and not self._in_summary_body:
            self._head = []
        if self._in_summary_body and tag == "tr":
            self._row, self._cls = [], []
        if self._row is not None and tag == "td":
            self._cell = []
            if self._cls is not None:
                self._cls.append(a.get("class") or "")
        if tag == "span" and a.get("class") == "fname":
            self._fname = []
        if tag == "title":
            self._in_title = True
        if tag not in self._VOID:
            self._stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._buf is not None:
            content = "".join(self._buf)
            if tag == "script":
                self.scripts.append((self._stack[-1][1] if self._stack else {}, content))
            else:
                self.styles.append(content)
            self._buf = None
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "th" and self._head is not None:
            self.summary_head.append("".join(self._head).strip())
            self._head = None
        if tag == "tr" and self._row is not None:
            self.summary_rows.append(self._row)
            self.summary_classes.append(self._cls or [])
            self._row, self._cls = None, None
        if tag == "tbody" and self._in_summary_body:
            self._in_summary_body = False
            self._summary = False
        if tag == "span" and self._fname is not None:
            self.fnames.append("".join(self._fname))
            self._fname = None
        if tag == "title":
            self._in_title = False
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._buf is not None:
            self._buf.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._head is not None:
            self._head.append(data)
        if self._fname is not None:
            self._fname.append(data)
        if self._in_title:
            self.title += data


def parse_report(text: str) -> ReportParser:
    """Parse a report with :class:`ReportParser`."""
    p = ReportParser()
    p.feed(text)
    p.close()
    return p
