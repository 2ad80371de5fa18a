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


def browser_times(html: Path, repeat: int) -> dict[str, float] | None:
    """Median DOMContentLoaded, first plot, all plots (ms) and JS heap (MB) over ``repeat``."""
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
            # the cover fills the first screen: scroll to the first characteristic and time
            # until its sixpack is drawn (IntersectionObserver -> Plotly.newPlot)
            first = c.evaluate("new Promise(res => { const t = performance.now(); "
                               "document.querySelector('section.feature').scrollIntoView(); "
                               "const poll = () => { const e = performance.getEntriesByName("
                               "'pilotqa-first-plot'); if (e.length) res(e[0].startTime - t); "
                               "else setTimeout(poll, 2); }; poll(); })", timeout=120)
            all_ms = c.evaluate("(() => { const t = performance.now(); "
                                "return window.pilotqaRenderAll().then(() => "
                                "performance.now() - t); })()", timeout=1800)
            heap = {m["name"]: m["value"] for m in
                    c.send("Performance.getMetrics")["metrics"]}.get("JSHeapUsedSize", 0.0)
            probs = c.problems()
            if any(probs.values()):
                raise RuntimeError(f"browser problems: {probs}")
            runs.append({"dcl_ms": float(dcl), "first_plot_ms": float(first),
                         "render_all_ms": float(all_ms),
                         "heap_mb": heap / 2**20})
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[12, 200, 1000])
    ap.add_argument("--parts", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="keep the reports in this folder")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="pilotqa-bench-"))
    out.mkdir(parents=True, exist_ok=True)
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
