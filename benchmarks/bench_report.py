"""Benchmark of the HTML and XLSX reports for 12, 200 and 1,000 characteristics.

Builds synthetic pilot runs (``--parts`` parts in 3 lots; normal, drifting, lot-shifted and
one-sided skewed characteristics), runs them through the real pipeline
(:func:`pilotqa.analysis.analyze`), then measures for each size:

* the HTML report: render/write time, file size, and in headless Chromium (offline) the time to
  DOMContentLoaded, the time from scrolling to the first characteristic until its plot is drawn
  (``performance.mark("pilotqa-first-plot")``), the time to draw all plots ("Render all
  plots", what printing does) and the JS heap after that;
* the XLSX workbook: write time and size.

Run by hand (not part of the test-suite)::

    python benchmarks/bench_report.py                 # 12, 200, 1000 characteristics
    python benchmarks/bench_report.py --sizes 12 200 --parts 50 --repeat 3

Reports at scale (issue 16): ``--pipeline 300x500`` generates bench_pipeline's 1e5 export
(300 characteristics × 500 parts), reads and analyses it as ``pilotqa analyze`` does, writes the
HTML and XLSX (CPU seconds) and measures the report in headless Chromium; ``--html FILE``
measures an existing report instead. For such a report it records

* **open**: navigation to the load event, and to the first characteristic's figure drawn after
  scrolling to it (what a reader waits for);
* **print** (``--pdf``): ``chromium --headless --print-to-pdf`` wall time (the command a user
  runs) and the CPU time of its process tree (``/proc``, polled: on a shared machine the CPU
  time compares better than the wall time), the PDF's pages and whether every figure is in it
  (``pdftotext``: each sixpack prints its "Probability plot" title, each go/no-go chart its
  title), and over the DevTools protocol the split into drawing every figure on
  ``beforeprint`` and ``Page.printToPDF`` itself::

    python benchmarks/bench_report.py --pipeline 300x500 --pdf --repeat 1 --out /tmp/rep

Chromium is driven over the DevTools protocol (``tests/report_fixtures.Chromium``); without a
Chromium binary the browser columns are left empty.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pilotqa.analysis import analyze  # noqa: E402
from pilotqa.model import Inspection, SourceFile  # noqa: E402
from pilotqa.report.html import write_html  # noqa: E402
from pilotqa.report.xlsx import write_xlsx  # noqa: E402


def synthetic(n_features: int, n_parts: int, seed: int = 1) -> Inspection:
    """A pilot run of ``n_parts`` parts in 3 lots with ``n_features`` characteristics."""
    rng = np.random.default_rng(seed)
    lots = np.array(["L01", "L02", "L03"])[np.minimum(np.arange(n_parts) * 3 // n_parts, 2)]
    seq = np.arange(1, n_parts + 1)
    t0 = datetime(2026, 10, 5, 6, 0)
    ts = [t0 + timedelta(days=7 * int(lot[-1]) - 7, minutes=12 * int(i)) for i, lot in
          zip(seq, lots)]
    meas, specs = [], []
    for k in range(n_features):
        name = f"CHAR_{k + 1:04d}"
        kind = k % 6
        if kind == 4:  # one-sided, bounded at zero, skewed (position / flatness)
            v = rng.weibull(2.0, n_parts) * 0.02
            specs.append((name, 0.0, None, 0.1, "mm", "major", True))
        else:
            nom, tol = 10.0 + k, 0.1
            v = rng.normal(nom, tol / 10, n_parts)
            if kind == 2:
                v = v + 0.3 * tol * seq / n_parts  # drift
            if kind == 3:
                v = v + np.where(lots == "L02", 0.2 * tol, 0.0)  # lot shift
            specs.append((name, nom, nom - tol / 2, nom + tol / 2, "mm",
                          ("critical", "major", "minor")[k % 3], False))
        meas.append(pl.DataFrame({"part_id": [f"SN{i:05d}" for i in seq], "lot": lots,
                                  "subgroup": [None] * n_parts, "sequence": seq,
                                  "timestamp": ts, "feature": [name] * n_parts,
                                  "value": np.round(v, 4)}))
    spec_df = pl.DataFrame(specs, schema=["feature", "nominal", "lsl", "usl", "unit", "class",
                                          "lower_bound_zero"], orient="row")
    spec_df = spec_df.with_columns(pl.lit("synthetic").alias("source"))
    return Inspection(measurements=pl.concat(meas), specs=spec_df, layout="long",
                      files=[SourceFile("synthetic.csv", "0" * 64, "csv")],
                      metadata={"part_number": "BENCH-1", "revision": "A",
                                "description": "synthetic benchmark part"})


def browser_times(html: Path, repeat: int, render_all: bool = True) -> dict[str, float] | None:
    """Median load event, DOMContentLoaded, first plot, all plots (ms) and JS heap (MB) over
    ``repeat`` (``render_all=False``: without drawing all plots)."""
    from tests.report_fixtures import Chromium, find_chromium

    exe, _ = find_chromium(install=False)
    if exe is None:
        return None
    runs: list[dict[str, float]] = []
    for _ in range(repeat):
        with Chromium(exe) as c:
            c.open_page(1280, 1000)
            c.offline()
            c.send("Performance.enable")
            c.navigate(html.as_uri(), timeout=600)
            dcl = c.evaluate("performance.getEntriesByType('navigation')[0]"
                             ".domContentLoadedEventEnd")
            load = c.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            # the cover fills the first screen: scroll to the first characteristic and time
            # until its sixpack is drawn (IntersectionObserver -> Plotly.newPlot)
            first = c.evaluate("new Promise(res => { const t = performance.now(); "
                               "document.querySelector('section.feature').scrollIntoView(); "
                               "const poll = () => { const e = performance.getEntriesByName("
                               "'pilotqa-first-plot'); if (e.length) res(e[0].startTime - t); "
                               "else setTimeout(poll, 2); }; poll(); })", timeout=120)
            all_ms = c.evaluate("(() => { const t = performance.now(); "
                                "return window.pilotqaRenderAll().then(() => "
                                "performance.now() - t); })()", timeout=1800) \
                if render_all else float("nan")
            heap = {m["name"]: m["value"] for m in
                    c.send("Performance.getMetrics")["metrics"]}.get("JSHeapUsedSize", 0.0)
            probs = c.problems()
            if any(probs.values()):
                raise RuntimeError(f"browser problems: {probs}")
            runs.append({"load_ms": float(load), "dcl_ms": float(dcl),
                         "first_plot_ms": float(first),
                         "render_all_ms": float(all_ms),
                         "heap_mb": heap / 2**20})
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def pipeline_result(size: str, work: Path) -> Any:
    """bench_pipeline's seeded long CSV of ``FxP`` (characteristics × parts), read and analysed
    with the settings its pilotqa stage uses (``--lot-size 500``)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_pipeline import generate  # type: ignore[import-not-found]

    from pilotqa.read import ReadOptions, read
    from pilotqa.settings import Settings

    nf, np_ = (int(x) for x in size.lower().split("x"))
    csv = work / f"long_{nf}x{np_}.csv"
    if not csv.exists():
        generate(csv, nf, np_)
    return analyze(read([csv], ReadOptions()), Settings(lot_size=500))


def _cpu() -> float:
    return time.process_time()


def open_times(html: Path, repeat: int) -> dict[str, float] | None:
    """Median time (ms) from navigation to the load event, to DOMContentLoaded, and from the
    load to the first characteristic's figure drawn after scrolling to it."""
    b = browser_times(html, repeat, render_all=False)
    if b is None:
        return None
    return {"load_ms": b["load_ms"], "dcl_ms": b["dcl_ms"], "first_plot_ms": b["first_plot_ms"]}


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record in ``seen`` the CPU seconds (user + system, from ``/proc``) of every process below
    ``root``, per process id the largest value seen (polled: a process that ends between two
    polls loses at most one interval). Chromium's helper processes are not reaped into the
    caller's ``RUSAGE_CHILDREN``, so that figure would miss them."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    kids: dict[int, list[tuple[int, float]]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        cpu = (int(rest[11]) + int(rest[12])) / tick
        kids.setdefault(int(rest[1]), []).append((int(name), cpu))
    stack = [root]
    while stack:
        for pid, cpu in kids.get(stack.pop(), []):
            seen[pid] = max(seen.get(pid, 0.0), cpu)
            stack.append(pid)
    try:
        with open(f"/proc/{root}/stat") as fh:
            stat = fh.read()
        rest = stat[stat.rfind(")") + 2:].split()
        seen[root] = max(seen.get(root, 0.0), (int(rest[11]) + int(rest[12])) / tick)
    except OSError:
        pass


def print_times(html: Path, out_pdf: Path) -> dict[str, Any] | None:
    """Print ``html`` to PDF as a user would (``chromium --headless --print-to-pdf``), check every
    figure is in it, and split the time over the DevTools protocol (see the module docstring)."""
    import re
    import subprocess

    from tests.report_fixtures import Chromium, find_chromium

    exe, _ = find_chromium(install=False)
    if exe is None:
        return None
    text = html.read_text(encoding="utf-8")
    n_figs = len(re.findall(r'<div class="fig[^"]*" data-fig=', text))
    n_attr = len(re.findall(r'<div class="fig attr" data-fig=', text))
    profile = Path(tempfile.mkdtemp(prefix="pilotqa-print-"))
    t = time.perf_counter()
    proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu",
                             "--no-pdf-header-footer", f"--user-data-dir={profile}",
                             "--host-resolver-rules=MAP * ~NOTFOUND",
                             f"--print-to-pdf={out_pdf}", html.as_uri()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, float] = {}
    while proc.poll() is None:
        _tree_cpu(proc.pid, seen)
        time.sleep(0.25)
    cli_s = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(f"chromium --print-to-pdf exited with {proc.returncode}")
    cli_cpu = sum(seen.values())
    pdf_text = subprocess.run(["pdftotext", str(out_pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(out_pdf)], capture_output=True, text=True, check=True).stdout).group(1))
    printed = (pdf_text.count("Probability plot")
               + pdf_text.count("Nonconforming parts over the sequence"))
    with Chromium(exe) as c:
        c.open_page(1280, 1000)
        c.offline()
        c.navigate(html.as_uri(), timeout=600)
        t = time.perf_counter()
        c.evaluate("window.dispatchEvent(new Event('beforeprint'))", timeout=3600)
        c.evaluate("window.pilotqaRenderAll()", timeout=3600)
        draw_s = time.perf_counter() - t
        drawn = c.evaluate("document.querySelectorAll('div.fig[data-state=done]').length")
        t = time.perf_counter()
        c.print_pdf(timeout=3600)
        pdf_s = time.perf_counter() - t
        probs = c.problems()
    if any(probs.values()):
        raise RuntimeError(f"browser problems: {probs}")
    return {"print_cli_s": cli_s, "print_cli_cpu_s": cli_cpu, "pdf_pages": pages,
            "pdf_mb": out_pdf.stat().st_size / 2**20,
            "figures": n_figs, "figures_in_pdf": printed, "attribute_figures": n_attr,
            "beforeprint_draw_s": draw_s, "drawn": drawn, "print_to_pdf_s": pdf_s}


def scale_report(args: argparse.Namespace, out: Path) -> None:
    """``--pipeline``/``--html``: write (CPU s) and measure one report at scale."""
    row: dict[str, Any] = {}
    if args.html is not None:
        html = args.html
    else:
        res = pipeline_result(args.pipeline, out)
        html, xlsx = out / f"report_{args.pipeline}.html", out / f"report_{args.pipeline}.xlsx"
        for name, fn, path in (("html", write_html, html), ("xlsx", write_xlsx, xlsx)):
            cpu = []
            for _ in range(args.repeat):
                t = _cpu()
                fn(res, path)
                cpu.append(_cpu() - t)
            row[f"{name}_write_cpu_s"] = statistics.median(cpu)
        row["xlsx_mb"] = xlsx.stat().st_size / 2**20
    row["html_mb"] = html.stat().st_size / 2**20
    row.update(open_times(html, args.repeat) or {})
    if args.pdf:
        row.update(print_times(html, out / (html.stem + ".pdf")) or {})
    for k, v in row.items():
        print(f"{k}: {v:.2f}" if isinstance(v, float) else f"{k}: {v}")
    print(f"\nreport in {html}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[12, 200, 1000])
    ap.add_argument("--parts", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="keep the reports in this folder")
    ap.add_argument("--pipeline", default=None, metavar="FxP",
                    help="measure bench_pipeline's export of F characteristics x P parts")
    ap.add_argument("--html", type=Path, default=None, help="measure this existing report")
    ap.add_argument("--pdf", action="store_true", help="also print to PDF (with --pipeline/--html)")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="pilotqa-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    if args.pipeline or args.html:
        scale_report(args, out)
        return
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        insp = synthetic(n, args.parts)
        t = time.perf_counter()
        res = analyze(insp)
        t_an = time.perf_counter() - t
        html = out / f"report_{n}.html"
        t = time.perf_counter()
        write_html(res, html)
        t_html = time.perf_counter() - t
        xlsx = out / f"report_{n}.xlsx"
        t = time.perf_counter()
        write_xlsx(res, xlsx)
        t_xlsx = time.perf_counter() - t
        b = browser_times(html, args.repeat) or {}
        row = {"features": n, "parts": args.parts, "analyze_s": t_an, "html_write_s": t_html,
               "html_mb": html.stat().st_size / 2**20, "xlsx_write_s": t_xlsx,
               "xlsx_kb": xlsx.stat().st_size / 1024, **b}
        rows.append(row)
        print(row, file=sys.stderr, flush=True)
    head = ("| characteristics | parts | analyze s | HTML write s | HTML MB | DOMContentLoaded ms "
            "| first plot after scroll ms | render all ms | JS heap MB | XLSX write s | XLSX KB |")
    print(head)
    print("|" + "---|" * 11)
    for r in rows:
        print(f"| {r['features']} | {r['parts']} | {r['analyze_s']:.1f} | {r['html_write_s']:.2f} "
              f"| {r['html_mb']:.1f} | {r.get('dcl_ms', float('nan')):.0f} "
              f"| {r.get('first_plot_ms', float('nan')):.0f} "
              f"| {r.get('render_all_ms', float('nan')):.0f} | {r.get('heap_mb', float('nan')):.0f} "
              f"| {r['xlsx_write_s']:.2f} | {r['xlsx_kb']:.0f} |")
    print(f"\nreports in {out}")


if __name__ == "__main__":
    main()
