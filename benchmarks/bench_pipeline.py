"""End-to-end speed and memory of pilotqa against the polars floor, stage by stage (issue 16).

For each size it generates (seeded, into a temporary folder, never committed) one long CSV export
— ``part_id, lot, subgroup, sequence, timestamp, feature, value, nominal, lsl, usl, unit, class``,
3 lots, subgroups of 5 consecutive parts, 90 % normal two-sided characteristics (a few with a
planted drift or lot shift) and 10 % lognormal ones bounded at zero with an upper limit only —
and measures, each in a fresh subprocess (so imports, caches and peak memory are its own):

* **floor**: ``polars.read_csv`` of the file plus one ``group_by("feature")`` computing n, mean,
  s and the mean subgroup range R̄ per characteristic (the ranges by a window over
  feature × subgroup) — the least any tool must do to read the file and summarise it;
* **pilotqa**, per stage: ``import`` (pilotqa's read, analysis and report modules),
  ``scipy.stats`` (imported by pilotqa only inside the functions that use it; timed as its own row
  so that its cost is not charged to the first family that needs it), ``read``
  (:func:`pilotqa.read.read`), the statistics families inside :func:`pilotqa.stats.compute` —
  ``capability`` (``capability_all``), ``resolution``, ``stability``, ``drift``, ``lots``,
  ``streams``, ``normality+fits`` (``normality_all`` and ``lean_prefits`` for all features,
  ``capability_model`` per feature) and
  ``stats rest`` (assembly of the typed results: compute minus the families) — ``decide`` (the
  rest of :func:`pilotqa.analysis.analyze`: decisions, plans, readiness), and each writer
  ``json``, ``html``, ``xlsx`` (:func:`pilotqa.report.outputs.write_outputs` with one format).
  The families are timed by wrapping the functions ``pilotqa.stats.compute`` calls from the
  outside (monkeypatching the names in ``pilotqa.stats``); no library code is changed.
  Peak resident memory (``ru_maxrss`` of the child) is recorded after the analysis with JSON
  (the "full analysis" of the issue) and at the end (after HTML and XLSX). The totals include
  the imports (what a user of the command waits for); the floor's excludes importing polars.
  The pilotqa child imports ``pilotqa_cli`` first, as the ``pilotqa`` command does, so it runs with
  the command's allocator option (``_RJEM_MALLOC_CONF=dirty_decay_ms:0``, see ``cli/__init__.py``);
  the floor runs with polars' defaults.

It also times the README's first command end to end
(``pilotqa analyze sample_data/housing_pilot_wide.xlsx --lot-size 500``, all three outputs) and
``pilotqa --help`` as subprocesses (median of 3 each).

**Bytecode.** An installed pilotqa is loaded from compiled bytecode (pip compiles every module at
install). A development checkout on a machine that sets ``PYTHONDONTWRITEBYTECODE`` (this one
does) compiles pilotqa's source in every new process instead, time no user pays, spread over
``import`` and the stages whose modules load on first use. So the benchmark compiles pilotqa and
``cli/`` once before measuring (``compileall``: the git-ignored ``__pycache__`` folders any Python
run writes by default); the children then read that bytecode like an installed package's.
``--source-imports`` skips this step (the old way: source is compiled where no bytecode exists).

Wall seconds are what a user waits; CPU seconds (user + system of the child) are steadier on a
shared machine. Both are medians over ``--repeat`` runs; the machine's load average is recorded
with the result, because other processes inflate every figure.

Usage::

    .venv/bin/python benchmarks/bench_pipeline.py                      # 1e4 and 1e5, all stages
    .venv/bin/python benchmarks/bench_pipeline.py --sizes 1e4,1e5,1e6 --repeat 3
    .venv/bin/python benchmarks/bench_pipeline.py --sizes 12x150 --stages read,analysis,json
    .venv/bin/python benchmarks/bench_pipeline.py --sizes 1e6 --stages read,analysis,json --no-cli

Sizes: ``1e4`` = 12 characteristics × 835 parts, ``1e5`` = 300 × 500 (1.5e5 readings),
``1e6`` = 1,000 × 1,000, ``sample`` = 12 × 150, or any ``FxP``. The table is printed and the
whole result written to ``benchmarks/out/bench_pipeline-<UTC time>.json`` (git-ignored).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
PRESETS: dict[str, tuple[int, int]] = {
    "sample": (12, 150),
    "1e4": (12, 835),
    "1e5": (300, 500),
    "1e6": (1000, 1000),
}
STAGES = ("read", "analysis", "json", "html", "xlsx")
FAMILIES: dict[str, tuple[str, ...]] = {
    "capability": ("capability_all",),
    "resolution": ("resolution_all",),
    "stability": ("stability_all",),
    "drift": ("drift_all",),
    "lots": ("lots_all",),
    "streams": ("streams_all", "stream_factors"),
    "normality+fits": ("normality", "normality_all", "lean_prefits", "capability_model"),
}
SUBGROUP = 5
N_LOTS = 3


def parse_size(text: str, presets: dict[str, tuple[int, int]] | None = None) -> tuple[str, int, int]:
    """``'1e5'`` -> ('1e5', 300, 500); ``'40x200'`` -> ('40x200', 40, 200) (``presets``: the named
    sizes, :data:`PRESETS` by default)."""
    presets = PRESETS if presets is None else presets
    if text in presets:
        return (text, *presets[text])
    f, _, p = text.lower().partition("x")
    if not (f.isdigit() and p.isdigit()):
        raise SystemExit(f"unknown size '{text}': use {', '.join(presets)} or FxP (e.g. 40x200)")
    return text, int(f), int(p)


# --------------------------------------------------------------------------- data
def generate(path: Path, n_features: int, n_parts: int, seed: int = 16) -> None:
    """Write the long CSV export described in the module docstring (seeded)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    n_lbz = max(1, n_features // 10)
    names = [f"CHAR_{i:04d}" for i in range(n_features)]
    part = np.arange(n_parts)
    lot_of_part = np.minimum(part * N_LOTS // n_parts, N_LOTS - 1)
    nominal = np.round(rng.uniform(5.0, 100.0, n_features), 2)
    tol = np.round(rng.uniform(0.02, 0.2, n_features), 3)
    sigma = tol / rng.uniform(6.0, 12.0, n_features)  # Pp between 1 and 2
    vals = nominal[:, None] + rng.normal(0.0, 1.0, (n_features, n_parts)) * sigma[:, None]
    # planted effects on some normal characteristics: drift over the run, a shifted lot
    drift = rng.random(n_features) < 0.1
    vals += (drift * sigma * 2.0)[:, None] * (part / max(1, n_parts - 1))[None, :]
    shift = rng.random(n_features) < 0.1
    vals += (shift * sigma * 1.0)[:, None] * (lot_of_part == N_LOTS - 1)[None, :]
    lsl = nominal - tol / 2
    usl = nominal + tol / 2
    # bounded-at-zero characteristics (position, flatness): lognormal, upper limit only
    vals[:n_lbz] = rng.lognormal(math.log(0.02), 0.4, (n_lbz, n_parts))
    nominal[:n_lbz] = 0.0
    usl[:n_lbz] = 0.1
    lsl_col: list[float | None] = [None if i < n_lbz else float(lsl[i]) for i in range(n_features)]
    classes = np.array(["critical", "major", "minor"])[rng.integers(0, 3, n_features)]
    t0 = datetime(2026, 10, 5, 6, 0, tzinfo=timezone.utc).timestamp()
    stamps = [datetime.fromtimestamp(t0 + 720 * j, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") for j in part]
    # part-major order, as a CMM writes it: every characteristic of part 1, then part 2 …
    frame = pl.DataFrame({
        "part_id": np.repeat([f"SN{j + 1:07d}" for j in part], n_features),
        "lot": np.repeat([f"L{k + 1:02d}" for k in lot_of_part], n_features),
        "subgroup": np.repeat(part // SUBGROUP + 1, n_features),
        "sequence": np.repeat(part + 1, n_features),
        "timestamp": np.repeat(stamps, n_features),
        "feature": np.tile(names, n_parts),
        "value": np.round(vals.T.ravel(), 4),
        "nominal": np.tile(nominal, n_parts),
        "lsl": pl.Series([*lsl_col] * n_parts, dtype=pl.Float64),
        "usl": np.tile(usl, n_parts),
        "unit": ["mm"] * (n_features * n_parts),
        "class": np.tile(classes, n_parts),
    })
    frame.write_csv(path, float_precision=4)


def generate_in_child(path: Path, n_features: int, n_parts: int) -> None:
    """:func:`generate` in a separate process. Linux counts in a child's peak RSS (``ru_maxrss``,
    also ``os.wait4``'s) the resident size of the parent it was started from (the high-water mark
    survives ``exec``): a parent holding the generated 10^6 readings (~420 MB) would floor every
    measured peak there. So the parent never holds the data (its own peak is recorded with the
    result, ``parent_rss_mb``)."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import bench_pipeline as b; "
            "b.generate(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))")
    subprocess.run([sys.executable, "-c", code, str(Path(__file__).resolve().parent), str(path), str(n_features),
                    str(n_parts)], check=True, cwd=ROOT)


def _hwm_mb() -> float:
    """Peak resident memory of this process's own address space, MB (``VmHWM``: unlike
    ``ru_maxrss`` it starts anew at ``exec``, so it is not floored by whoever started us)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return _rss_mb()  # pragma: no cover - not Linux


# --------------------------------------------------------------------------- children
def _rss_mb() -> float:
    """Peak resident memory of this process so far, MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Clock:
    """Wall and CPU seconds per named stage (accumulated over calls)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def run(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        w, c = time.perf_counter(), _cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            self.add(name, time.perf_counter() - w, _cpu() - c)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            return self.run(name, fn, *args, **kwargs)

        return timed


def child_floor(csv: Path) -> dict[str, Any]:
    """The floor: polars reads the CSV and summarises every characteristic in one group_by."""
    clock = _Clock()
    import polars as pl

    def floor() -> pl.DataFrame:
        df = pl.read_csv(csv)
        return (
            df.with_columns(
                (pl.col("value").max() - pl.col("value").min()).over("feature", "subgroup").alias("_range"),
                (pl.int_range(pl.len()) == 0).over("feature", "subgroup").alias("_first"),
            )
            .group_by("feature")
            .agg(
                pl.len().alias("n"),
                pl.col("value").mean().alias("mean"),
                pl.col("value").std().alias("s"),
                pl.col("_range").filter(pl.col("_first")).mean().alias("rbar"),
            )
        )

    out = clock.run("floor", floor)
    return {"wall": clock.wall, "cpu": clock.cpu, "rss_mb": {"end": _rss_mb()}, "n_features": out.height}


def child_pilotqa(csv: Path, out_dir: Path, stages: tuple[str, ...]) -> dict[str, Any]:
    """pilotqa on the file, stage by stage (see the module docstring)."""
    import pilotqa_cli  # noqa: F401  # the allocator option the `pilotqa` command sets before polars loads

    clock = _Clock()
    rss: dict[str, float] = {}

    def imports() -> None:
        import pilotqa.analysis  # noqa: F401
        import pilotqa.read  # noqa: F401
        import pilotqa.read.detect  # noqa: F401
        import pilotqa.read.validate  # noqa: F401
        import pilotqa.report.outputs  # noqa: F401
        import pilotqa.stats  # noqa: F401
        for fmt in ("json", "html", "xlsx"):
            if fmt in stages:
                __import__(f"pilotqa.report.{fmt}")

    clock.run("import", imports)
    if "analysis" in stages:
        # pilotqa imports scipy.stats inside the functions that need it (Kendall's tau, the fits …);
        # timed here as its own row so its ~0.7 s is not charged to whichever family uses it first
        clock.run("scipy.stats", __import__, "scipy.stats")
    import pilotqa.analysis as analysis
    import pilotqa.stats as pstats
    from pilotqa.read import ReadOptions, read
    from pilotqa.report.outputs import write_outputs
    from pilotqa.settings import Settings

    insp = clock.run("read", read, [csv], ReadOptions())
    rss["read"] = _rss_mb()
    info: dict[str, Any] = {"characteristics": len(insp.feature_names), "parts": insp.n_parts,
                            "readings": insp.measurements.height}
    if "analysis" not in stages:
        return {"wall": clock.wall, "cpu": clock.cpu, "rss_mb": rss, **info}
    for family, names in FAMILIES.items():
        for name in names:
            setattr(pstats, name, clock.wrap(family, getattr(pstats, name)))
    setattr(analysis, "compute", clock.wrap("compute", analysis.compute))
    result = clock.run("analysis", analysis.analyze, insp, Settings(lot_size=500))
    info["overall"] = result.overall
    rss["analysis"] = _rss_mb()
    for fmt in ("json", "html", "xlsx"):
        if fmt in stages:
            clock.run(fmt, write_outputs, result, out_dir, "bench", (fmt,), force=True)
            rss[fmt] = _rss_mb()
    # derived stages: the rest of compute, and of analyze (decide)
    for d in (clock.wall, clock.cpu):
        fam = sum(d.get(f, 0.0) for f in FAMILIES)
        d["stats rest"] = d.get("compute", 0.0) - fam
        d["decide"] = d.get("analysis", 0.0) - d.get("compute", 0.0)
    return {"wall": clock.wall, "cpu": clock.cpu, "rss_mb": rss, **info}


# --------------------------------------------------------------------------- parent
def compile_bytecode() -> None:
    """Compile pilotqa and its command (``cli/``) to bytecode in their ``__pycache__`` folders, as
    pip does at install (``compileall`` writes even where ``PYTHONDONTWRITEBYTECODE`` is set, which
    only stops the import system from writing; it still reads valid bytecode)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "pilotqa", "cli"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)


def run_child(kind: str, csv: Path, stages: tuple[str, ...], work: Path) -> dict[str, Any]:
    """The floor or pilotqa stage by stage in a fresh process; pilotqa on one thread
    (``PILOTQA_THREADS=1``), so that each stage's seconds are its own."""
    out_json = work / f"result-{kind}.json"
    cmd = [sys.executable, __file__, "--child", kind, "--csv", str(csv), "--stages", ",".join(stages),
           "--child-out", str(out_json), "--work", str(work)]
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "PILOTQA_THREADS": "1"})
    return json.loads(out_json.read_text(encoding="utf-8"))


def command_formats(stages: tuple[str, ...]) -> tuple[str, ...]:
    """The outputs the command writes in the side-by-side run: the writer stages asked for."""
    return tuple(f for f in ("json", "html", "xlsx") if f in stages)


def command_args(csv: Path, formats: tuple[str, ...], out: Path) -> list[str]:
    """The ``pilotqa`` arguments of the timed command (also bench_bound.py's)."""
    return ["analyze", str(csv), "--format", ",".join(formats), "--lot-size", "500", "--out", str(out),
            "--force", "-q"]


def run_command(csv: Path, formats: tuple[str, ...], work: Path) -> dict[str, Any]:
    """``pilotqa analyze <csv> --format … --lot-size 500`` as a user runs it (two threads where the
    machine has two CPUs): wall and CPU seconds and the peak RSS of that process (``os.wait4``)."""
    exe = str(Path(sys.executable).with_name("pilotqa"))
    cmd = [exe, *command_args(csv, formats, work / "command")]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return {"command": " ".join(cmd), "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024.0}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_command(cmd: list[str], repeat: int = 3) -> dict[str, Any]:
    """Wall and CPU seconds (user + system of the finished child) of a command, ``repeat`` times."""
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), _children_cpu()
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t)
        cpus.append(_children_cpu() - c)
    return {"command": " ".join(cmd), "wall_s": walls, "cpu_s": cpus, "median_s": statistics.median(walls),
            "median_cpu_s": statistics.median(cpus)}


def _median(runs: list[dict[str, Any]], key: str) -> dict[str, float]:
    names = sorted({k for r in runs for k in r[key]})
    return {k: statistics.median(r[key].get(k, 0.0) for r in runs) for k in names}


ROWS = ("import", "scipy.stats", "read", "capability", "resolution", "stability", "drift", "lots", "streams",
        "normality+fits", "stats rest", "decide", "json", "html", "xlsx")


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table: floor and pilotqa per stage, wall (CPU) seconds, peak RSS, ratios."""
    head = "| stage | " + " | ".join(f"{r['size']} ({r['characteristics']} × {r['parts']})" for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]

    def cell(wall: float | None, cpu: float | None) -> str:
        return "–" if wall is None else f"{wall:.2f} ({cpu:.2f})"

    def row(label: str, get: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(get(r) for r in results) + " |")

    row("**floor** (polars read + group_by)", lambda r: cell(r["floor"]["wall"]["floor"], r["floor"]["cpu"]["floor"]))
    for name in ROWS:
        row(name, lambda r, n=name: cell(r["pilotqa"]["wall"].get(n), r["pilotqa"]["cpu"].get(n))
            if n in r["pilotqa"]["wall"] else "–")
    row("**analysis + JSON**, one thread (import … json)", lambda r: cell(r["full_json_wall"], r["full_json_cpu"]))
    row("**all outputs**, one thread (import … xlsx)", lambda r: cell(r["full_wall"], r["full_cpu"])
        if all(k in r["pilotqa"]["wall"] for k in ("html", "xlsx")) else "–")
    row("ratio analysis + JSON, one thread / floor, wall (CPU)",
        lambda r: f"{r['full_json_wall'] / r['floor']['wall']['floor']:.1f}× "
                  f"({r['full_json_cpu'] / r['floor']['cpu']['floor']:.1f}×)")

    def command(r: dict[str, Any], get: Callable[[dict[str, Any]], str]) -> str:
        return "–" if not r.get("command") else get(r["command"])

    row("**`pilotqa analyze --format …`** (the command as users run it, two threads)",
        lambda r: command(r, lambda c: f"{cell(c['wall'], c['cpu'])} [{','.join(c['formats'])}]"))
    row("ratio the command / floor, wall (CPU)",
        lambda r: command(r, lambda c: f"{c['wall'] / r['floor']['wall']['floor']:.1f}× "
                                       f"({c['cpu'] / r['floor']['cpu']['floor']:.1f}×)"))
    row("peak RSS floor, MB", lambda r: f"{r['floor']['rss_mb']['end']:.0f}")
    row("peak RSS after read / analysis + JSON / all (one thread), MB",
        lambda r: " / ".join(f"{r['pilotqa']['rss_mb'][k]:.0f}" for k in ("read", "json", "xlsx")
                             if k in r["pilotqa"]["rss_mb"]))
    row("peak RSS of the command, MB", lambda r: command(r, lambda c: f"{c['rss_mb']:.0f}"))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e4,1e5", help="comma-separated: 1e4, 1e5, 1e6, sample or FxP")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size (medians are reported)")
    ap.add_argument("--stages", default=",".join(STAGES),
                    help=f"pilotqa stages to run, from {','.join(STAGES)} (analysis needs read)")
    ap.add_argument("--no-cli", action="store_true", help="skip the README command and --help timings")
    ap.add_argument("--keep", action="store_true", help="keep the generated CSVs and outputs")
    ap.add_argument("--source-imports", action="store_true",
                    help="do not compile pilotqa first (children use whatever bytecode exists)")
    ap.add_argument("--out-dir", type=Path, default=OUT, help="folder of the JSON result (default: benchmarks/out)")
    ap.add_argument("--child", choices=("floor", "pilotqa"), help=argparse.SUPPRESS)
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    stages = tuple(s.strip() for s in a.stages.split(",") if s.strip())
    bad = [s for s in stages if s not in STAGES]
    if bad:
        raise SystemExit(f"unknown stage(s) {bad}; allowed: {', '.join(STAGES)}")
    stages = tuple(s for s in STAGES if s in stages or s == "read")
    if any(s in stages for s in ("json", "html", "xlsx")) and "analysis" not in stages:
        stages = tuple(s for s in STAGES if s in stages or s == "analysis")

    if a.child:
        doc = child_floor(a.csv) if a.child == "floor" else child_pilotqa(a.csv, a.work / "reports", stages)
        a.child_out.write_text(json.dumps(doc), encoding="utf-8")
        return

    sizes = [parse_size(s.strip()) for s in a.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="pilotqa-bench-"))
    if not a.source_imports:
        compile_bytecode()
    started = datetime.now(timezone.utc)
    results: list[dict[str, Any]] = []
    try:
        for label, nf, np_ in sizes:
            csv = work / f"long_{nf}x{np_}.csv"
            t = time.perf_counter()
            generate_in_child(csv, nf, np_)
            print(f"[{label}] {nf} × {np_} = {nf * np_:,} readings, {csv.stat().st_size / 1e6:.1f} MB CSV "
                  f"(generated in {time.perf_counter() - t:.1f} s); load average {os.getloadavg()[0]:.1f}",
                  file=sys.stderr, flush=True)
            floors, runs, commands = [], [], []
            formats = command_formats(stages)
            for i in range(a.repeat):
                floors.append(run_child("floor", csv, stages, work))
                t = time.perf_counter()
                runs.append(run_child("pilotqa", csv, stages, work))
                took = time.perf_counter() - t
                if formats:
                    commands.append(run_command(csv, formats, work))
                print(f"[{label}] run {i + 1}/{a.repeat}: floor {floors[-1]['wall']['floor']:.2f} s, pilotqa by "
                      f"stage {took:.1f} s (process)"
                      + (f", the command {commands[-1]['wall']:.2f} s" if commands else ""), file=sys.stderr, flush=True)
            pq = {"wall": _median(runs, "wall"), "cpu": _median(runs, "cpu"),
                  "rss_mb": {k: max(r["rss_mb"][k] for r in runs) for k in runs[0]["rss_mb"]}}
            fl = {"wall": _median(floors, "wall"), "cpu": _median(floors, "cpu"),
                  "rss_mb": {"end": max(r["rss_mb"]["end"] for r in floors)}}
            json_part = [k for k in ("import", "scipy.stats", "read", "analysis", "json") if k in pq["wall"]]
            all_part = [k for k in ("import", "scipy.stats", "read", "analysis", "json", "html", "xlsx") if k in pq["wall"]]
            results.append({
                "size": label, "characteristics": runs[0]["characteristics"], "parts": runs[0]["parts"],
                "readings": runs[0]["readings"], "csv_mb": csv.stat().st_size / 1e6, "repeat": a.repeat,
                "floor": fl, "pilotqa": pq, "runs": {"floor": floors, "pilotqa": runs},
                "full_json_wall": sum(pq["wall"][k] for k in json_part),
                "full_json_cpu": sum(pq["cpu"][k] for k in json_part),
                "full_wall": sum(pq["wall"][k] for k in all_part),
                "full_cpu": sum(pq["cpu"][k] for k in all_part),
                "overall": runs[0].get("overall"),
                "command": None if not commands else {
                    "formats": list(formats), "runs": commands,
                    "wall": statistics.median(c["wall"] for c in commands),
                    "cpu": statistics.median(c["cpu"] for c in commands),
                    "rss_mb": max(c["rss_mb"] for c in commands)},
            })
            if not a.keep:
                csv.unlink()
        cli: dict[str, Any] = {}
        if not a.no_cli:
            exe = str(Path(sys.executable).with_name("pilotqa"))
            cli["readme_command_1"] = time_command(
                [exe, "analyze", "sample_data/housing_pilot_wide.xlsx", "--lot-size", "500",
                 "--out", str(work / "readme"), "--force", "-q"])
            cli["help"] = time_command([exe, "--help"])
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}", file=sys.stderr)
    doc = {"started": started.isoformat(timespec="seconds"), "python": sys.version.split()[0],
           "cpus": os.cpu_count(), "load_average_end": os.getloadavg(), "stages": stages,
           "bytecode": "as found" if a.source_imports else "compiled first (compileall)",
           "parent_rss_mb": _hwm_mb(),
           "results": results, "cli": cli}
    a.out_dir.mkdir(parents=True, exist_ok=True)
    dest = a.out_dir / f"bench_pipeline-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    dest.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    print("\nwall seconds (CPU seconds), median of", a.repeat, "run(s); load average at the end",
          " / ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(table(results))
    print(f"(peak RSS of this parent process, VmHWM: {doc['parent_rss_mb']:.0f} MB — a floor of every child's figure)")
    for name, c in cli.items():
        print(f"{name}: median {c['median_s']:.2f} s wall ({c['median_cpu_s']:.2f} s CPU) of "
              f"{', '.join(f'{w:.2f}' for w in c['wall_s'])}  ({c['command']})")
    print(f"\nwrote {dest}")


if __name__ == "__main__":
    main()
