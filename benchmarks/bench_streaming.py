"""One-pass capability summaries on polars' streaming engine versus its in-memory engine (issue 16, item 4).

The same seeded long CSV export as ``bench_pipeline.py`` (its :func:`generate` is imported, not
copied) is summarised per characteristic by one lazy query that starts at ``pl.scan_csv``:

* ``overall`` — one ``group_by("feature")``: n, readings without a value, mean, s (ddof 1),
  readings outside the limits, and the limits (first per characteristic); its state is one row
  per characteristic;
* ``full`` — one scan too: a ``group_by("feature", "lot", "subgroup")`` of partial sums (nᵢ,
  missing, outside the limits, x̄ᵢ, varᵢ, rangeᵢ; a subgroup never spans lots, as pilotqa reads
  it), then a ``group_by("feature")`` over that subgroup table: n, x̄ and s merged from the
  partial sums (Chan, Golub & LeVeque), k, n̄, Σ(nᵢ−1), Σ(nᵢ−1)sᵢ², R̄ and Minitab's weighted
  R̄/d2 — everything :func:`pilotqa.stats.capability.sigma_within_all` needs for the ``pooled``
  and ``rbar`` estimators. Its state is one row per subgroup (N/5 here), not per reading.

The indices Cp, Cpk, Pp, Ppk, the Cp/Pp χ² intervals and the Cpk/Ppk Bissell intervals are then
computed from the per-characteristic summary (one row per characteristic) by the formulas written
out in :func:`indices` — independently of pilotqa's own ``capability_from_summary``.

Each run is a fresh subprocess (``--child``) that collects the query with
``engine="streaming"`` or ``engine="in-memory"``. The child reports the wall and CPU seconds of
the query alone, its peak resident memory (``VmHWM`` of /proc/self/status) right after the
collect and at the end (the indices import scipy), and the peak anonymous and file-backed
memory during the query (RssAnon/RssFile sampled every 10 ms). The parent times the whole child
and reads its own resource usage with ``os.wait4`` (CPU = user + system seconds of all threads,
``ru_maxrss``) — per child: ``RUSAGE_CHILDREN`` would carry the largest earlier child's peak
into every later figure, and a child's ``ru_maxrss`` starts from its parent's size, which is
why the CSV is generated in a child too and the parent stays small. A ``baseline`` child only
starts Python and imports polars: the floor under every figure.

Second pass (``--second-pass yes|no|only``, once per size): the readings are partitioned by
characteristic in one streaming pass (``sink_parquet(pl.PartitionBy(...))``; ``--buckets B``
partitions by B hash buckets of the characteristic name instead), then each characteristic,
one partition in memory at a time, gets the statistics that need its ordered series, by
pilotqa's own functions (control chart with Nelson rules 1–4 and the serial of the first
signal, drift test, normality tests); see :func:`child_second_pass`.

Checks (always run, not timed): the streaming and in-memory summaries and indices agree to
floating-point noise (relative 1e-9), and on the smallest size pilotqa's own
:func:`pilotqa.stats.capability.capability_all` (after :func:`pilotqa.read.read` of the same
file) gives the same n, mean, s, σ_within (``rbar`` and ``pooled``), Cp, Cpk, Pp, Ppk and their
intervals for every characteristic. No library code is changed.

Usage::

    .venv/bin/python benchmarks/bench_streaming.py                       # 1e6 and 1e7, 3 runs each
    .venv/bin/python benchmarks/bench_streaming.py --sizes 1e5 --repeat 1
    .venv/bin/python benchmarks/bench_streaming.py --sizes 1e6,1e7 --second-pass only --buckets 16

Sizes: ``1e5`` = 300 × 500, ``1e6`` = 1,000 × 1,000, ``1e7`` = 1,000 × 10,000 characteristics ×
parts (subgroups of 5, 3 lots), or any ``FxP``. The CSVs are written to a temporary folder under
``--tmp`` (default /tmp; free space is checked first, about 92 bytes per reading) and deleted at
the end. The result is printed and written to ``benchmarks/out/bench_streaming-<UTC>.json``
(git-ignored).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_pipeline  # noqa: E402  (the generator of the long CSV, reused)

PRESETS: dict[str, tuple[int, int]] = {"1e5": (300, 500), "1e6": (1000, 1000), "1e7": (1000, 10000)}
ENGINES = ("streaming", "in-memory")
QUERIES = ("overall", "full")
BYTES_PER_READING = 100  # measured: 92 at 1e6; a margin
RTOL = 1e-9

#: Columns compared between engines and against capability_all.
SUMMARY_COLS = ("n", "n_missing", "n_out_of_spec", "mean", "s")
WITHIN_COLS = ("k", "nbar", "dfp", "ss", "rbar", "rbar_num", "rbar_den", "sigma_rbar", "sigma_pooled")
INDEX_COLS = tuple(f"{k}_{m}" for m in ("rbar", "pooled") for k in ("cp", "cpk")) + ("pp", "ppk") + tuple(
    f"{k}_ci_{e}_{m}" for m in ("rbar", "pooled") for k in ("cp", "cpk") for e in ("low", "high")) + tuple(
    f"{k}_ci_{e}" for k in ("pp", "ppk") for e in ("low", "high"))


def parse_size(text: str) -> tuple[str, int, int]:
    """``'1e7'`` -> ('1e7', 1000, 10000); ``'40x200'`` -> ('40x200', 40, 200)."""
    return bench_pipeline.parse_size(text, PRESETS)


# --------------------------------------------------------------------------- the query
def constants_table(max_n: int = 100) -> dict[str, list[float]]:
    """d2(n) and d3(n) for subgroup sizes 2 … ``max_n`` from :mod:`pilotqa.stats.constants`.

    Computed once in the parent and handed to the children as numbers, so a child imports
    nothing but polars before its query (importing ``pilotqa.stats`` pulls in scipy and
    statsmodels, whose memory and start-up would otherwise be counted as the query's).
    """
    import numpy as np

    from pilotqa.stats.constants import d2_array, d3_array

    sizes = np.arange(2, max_n + 1)
    return {"n": sizes.tolist(), "d2": d2_array(sizes).tolist(), "d3": d3_array(sizes).tolist()}


def plan(csv: Path, query: str = "full", consts: dict[str, list[float]] | None = None) -> Any:
    """The lazy per-characteristic summary of the long CSV (see the module docstring).

    Returns a ``polars.LazyFrame`` with one row per characteristic: ``feature``, ``n``,
    ``n_missing``, ``n_out_of_spec``, ``mean``, ``s``, ``nominal``, ``lsl``, ``usl`` and, for
    ``query="full"``, ``n_nullsub`` (readings without a subgroup number), ``k`` (subgroups of ≥ 2
    readings), ``nbar``, ``dfp`` = Σ(nᵢ−1), ``ss`` = Σ(nᵢ−1)sᵢ², ``rbar`` = mean range and
    ``rbar_num``/``rbar_den`` (Minitab's weighted R̄/d2: Σ fᵢ rᵢ/d2(nᵢ) / Σ fᵢ, fᵢ = (d2/d3)²).
    """
    import polars as pl

    lf = pl.scan_csv(csv, schema_overrides={"value": pl.Float64, "nominal": pl.Float64, "lsl": pl.Float64,
                                             "usl": pl.Float64, "subgroup": pl.Int64})
    lf = lf.select("feature", "lot", "subgroup", "value", "nominal", "lsl", "usl")
    v = pl.col("value")
    out = lf.group_by("feature").agg(
        v.count().alias("n"),
        v.is_null().sum().alias("n_missing"),
        ((v < pl.col("lsl")) | (v > pl.col("usl"))).fill_null(False).sum().alias("n_out_of_spec"),
        v.mean().alias("mean"),
        v.std(ddof=1).alias("s"),
        pl.col("nominal").first(), pl.col("lsl").first(), pl.col("usl").first(),
    )
    if query == "overall":
        return out
    c = constants_table() if consts is None else consts
    table = pl.LazyFrame({"n_i": c["n"], "d2_i": c["d2"], "d3_i": c["d3"]},
                         schema={"n_i": pl.Int64, "d2_i": pl.Float64, "d3_i": pl.Float64})
    # One scan: partial sums per (feature, lot, subgroup) — a subgroup never spans lots (pilotqa's
    # reader renumbers subgroup numbers reused across lots); readings without a subgroup form
    # the group with a null subgroup — then the feature's figures from these partial sums.
    sub = (
        lf.group_by("feature", "lot", "subgroup")
        .agg(
            v.count().cast(pl.Int64).alias("n_i"),
            v.is_null().sum().alias("miss_i"),
            ((v < pl.col("lsl")) | (v > pl.col("usl"))).fill_null(False).sum().alias("oos_i"),
            v.mean().alias("mean_i"),
            v.var(ddof=0).alias("var0_i"),
            (v.max() - v.min()).alias("r_i"),
            pl.col("nominal").first(), pl.col("lsl").first(), pl.col("usl").first(),
        )
        .join(table, on="n_i", how="left")
    )
    n_i = pl.col("n_i")
    m_i = pl.col("mean_i").fill_null(0.0)
    grand = (n_i * m_i).sum() / n_i.sum()
    ok = pl.col("subgroup").is_not_null() & (n_i >= 2)
    f_i = (pl.col("d2_i") / pl.col("d3_i")) ** 2
    return sub.group_by("feature").agg(
        n_i.sum().alias("n"),
        pl.col("miss_i").sum().alias("n_missing"),
        pl.col("oos_i").sum().alias("n_out_of_spec"),
        grand.alias("mean"),
        # Chan, Golub & LeVeque (1983): M2 = Σ nᵢ·varᵢ(ddof 0) + Σ nᵢ(x̄ᵢ − x̄)²
        (((n_i * pl.col("var0_i").fill_null(0.0)).sum() + (n_i * (m_i - grand) ** 2).sum())
         / (n_i.sum() - 1)).sqrt().alias("s"),
        pl.col("nominal").first(), pl.col("lsl").first(), pl.col("usl").first(),
        n_i.filter(pl.col("subgroup").is_null()).sum().alias("n_nullsub"),
        ok.sum().alias("k"),
        n_i.filter(ok).cast(pl.Float64).mean().alias("nbar"),
        (n_i - 1).filter(ok).sum().cast(pl.Float64).alias("dfp"),
        (n_i * pl.col("var0_i")).filter(ok).sum().alias("ss"),
        pl.col("r_i").filter(ok).mean().alias("rbar"),
        (f_i * pl.col("r_i") / pl.col("d2_i")).filter(ok).sum().alias("rbar_num"),
        f_i.filter(ok).sum().alias("rbar_den"),
    ).with_columns(pl.when(pl.col("n") > 1).then(pl.col("s")).alias("s"))


def indices(summary: Any, confidence: float = 0.95) -> Any:
    """Capability indices and intervals from the per-characteristic summary of :func:`plan`.

    Within σ (only for characteristics whose readings all carry a subgroup number; the others
    need the moving range of the sorted series, a second pass):

    * ``rbar``: σ̂ = Σ fᵢ rᵢ/d2(nᵢ) / Σ fᵢ, fᵢ = d2(nᵢ)²/d3(nᵢ)² (= R̄/d2(n) for equal sizes),
      ν = 0.9·k·(n̄ − 1);
    * ``pooled``: σ̂ = √(Σ(nᵢ−1)sᵢ² / Σ(nᵢ−1)) / c4(ν + 1), ν = Σ(nᵢ−1),
      c4(m) = √(2/(m−1))·Γ(m/2)/Γ((m−1)/2).

    Cp = (USL − LSL)/6σ, Cpk = min(USL − x̄, x̄ − LSL)/3σ over the defined sides; Pp, Ppk the same
    with s (ν = n − 1). Cp/Pp interval Ĉ·√(χ²_{α/2,ν}/ν) … Ĉ·√(χ²_{1−α/2,ν}/ν); Cpk/Ppk Bissell's
    Ĉ ∓ z·√(1/(9n) + Ĉ²/(2ν)). References: Montgomery, *Introduction to Statistical Quality
    Control* 8th ed. §6.2, §8.3; Bissell (1990), Appl. Statist. 39(3) 331–340; Minitab 21
    "Methods and formulas" (within σ and its degrees of freedom) — the same definitions as
    :mod:`pilotqa.stats.capability`, written out again here so the check is independent.
    """
    import numpy as np
    import polars as pl
    from scipy import special, stats

    def col(name: str) -> Any:
        return summary[name].cast(pl.Float64).fill_null(np.nan).to_numpy()

    n, mean, s, lsl, usl = (col(c) for c in ("n", "mean", "s", "lsl", "usl"))
    out: dict[str, Any] = {"feature": summary["feature"]}
    alpha = 1.0 - confidence
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))

    def index_pair(sig: Any) -> tuple[Any, Any]:
        with np.errstate(divide="ignore", invalid="ignore"):
            sig = np.where(sig > 0, sig, np.nan)
            cp = (usl - lsl) / (6.0 * sig)
            cpk = np.fmin((usl - mean) / (3.0 * sig), (mean - lsl) / (3.0 * sig))
        return cp, cpk

    def intervals(cp: Any, cpk: Any, nu: Any, suffix: str) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            nu = np.where(nu > 0, nu, np.nan)
            out[f"{'cp' if suffix != '' else 'pp'}_ci_low{suffix}"] = cp * np.sqrt(stats.chi2.ppf(alpha / 2, nu) / nu)
            out[f"{'cp' if suffix != '' else 'pp'}_ci_high{suffix}"] = cp * np.sqrt(stats.chi2.ppf(1 - alpha / 2, nu) / nu)
            half = z * np.sqrt(1.0 / (9.0 * np.where(n >= 2, n, np.nan)) + cpk**2 / (2.0 * nu))
            out[f"{'cpk' if suffix != '' else 'ppk'}_ci_low{suffix}"] = cpk - half
            out[f"{'cpk' if suffix != '' else 'ppk'}_ci_high{suffix}"] = cpk + half

    out["pp"], out["ppk"] = index_pair(s)
    intervals(out["pp"], out["ppk"], n - 1.0, "")
    if "k" in summary.columns:
        individuals = col("n_nullsub") > 0
        k, nbar, dfp, ss = col("k"), col("nbar"), col("dfp"), col("ss")
        with np.errstate(divide="ignore", invalid="ignore"):
            sig_r = col("rbar_num") / col("rbar_den")
            m = dfp + 1.0  # c4 of ν + 1 readings, by log-gamma (exact for large ν too)
            c4 = np.sqrt(2.0 / (m - 1.0)) * np.exp(special.gammaln(m / 2.0) - special.gammaln((m - 1.0) / 2.0))
            sig_p = np.sqrt(ss / dfp) / c4
        sig_r[individuals] = np.nan
        sig_p[individuals] = np.nan
        out["sigma_rbar"], out["sigma_pooled"] = sig_r, sig_p
        for name, sig, nu in (("rbar", sig_r, 0.9 * k * (nbar - 1.0)), ("pooled", sig_p, dfp)):
            cp, cpk = index_pair(sig)
            out[f"cp_{name}"], out[f"cpk_{name}"] = cp, cpk
            intervals(cp, cpk, nu, f"_{name}")
    frame = pl.DataFrame(out)
    return frame.with_columns([pl.col(c).fill_nan(None) for c in frame.columns if c != "feature"])


# --------------------------------------------------------------------------- children
def _hwm_mb() -> float:
    """Peak resident memory of this process since it started (VmHWM of /proc/self/status), MB.

    Not ``ru_maxrss``: on Linux that starts from the parent's resident size at fork (exec keeps
    the old address space's high-water mark in the process's maximum), so a child of a large
    parent would report at least the parent's memory. VmHWM belongs to the new address space.
    """
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status")


def _status_kb(*keys: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        name, _, rest = line.partition(":")
        if name in keys:
            out[name] = int(rest.split()[0])
    return out


class _Sampler:
    """Largest anonymous and file-backed resident memory of this process, sampled every 10 ms.

    The CSV reader maps the file: the pages it has touched count in the resident size (VmHWM)
    as file-backed memory the kernel may drop and re-read, whereas anonymous memory (RssAnon:
    buffers, hash tables, frames) is what a query really holds. Linux keeps no peak of either,
    hence sampling (a peak shorter than 10 ms may be missed).
    """

    def __init__(self) -> None:
        import threading

        self.peak = {"RssAnon": 0, "RssFile": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            now = _status_kb("RssAnon", "RssFile")
            for k, v in now.items():
                self.peak[k] = max(self.peak[k], v)
            if self._stop.wait(0.01):
                return

    def __enter__(self) -> "_Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _self_usage() -> tuple[float, float]:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, _hwm_mb()


def child(csv: Path, engine: str, query: str, dest: Path, consts: dict[str, list[float]]) -> dict[str, Any]:
    """One run: collect the query with ``engine``, compute the indices, save the result to ``dest``.

    Timed from building the lazy plan to the collected summary (``query_*``), then with the
    indices (which import scipy; ``query_plus_indices_*``)."""
    import polars as pl

    cpu0, rss0 = _self_usage()
    anon0 = _status_kb("RssAnon")["RssAnon"] / 1024.0
    w = time.perf_counter()
    with _Sampler() as sampler:
        summary = plan(csv, query, consts).collect(engine=engine).sort("feature")
    wall_q = time.perf_counter() - w
    cpu1, rss_q = _self_usage()
    idx = indices(summary)
    wall_all = time.perf_counter() - w
    cpu2, rss_end = _self_usage()
    summary.join(idx, on="feature", how="left").write_parquet(dest)
    return {"query_wall_s": wall_q, "query_cpu_s": cpu1 - cpu0, "query_plus_indices_wall_s": wall_all,
            "query_plus_indices_cpu_s": cpu2 - cpu0, "rss_mb_after_import": rss0, "rss_mb_after_query": rss_q,
            "rss_mb_end": rss_end, "anon_mb_before_query": anon0,
            "anon_mb_peak_query": sampler.peak["RssAnon"] / 1024.0,
            "file_mb_peak_query": sampler.peak["RssFile"] / 1024.0, "rows": summary.height,
            "polars": pl.__version__}


def run_child(args: list[str]) -> dict[str, Any]:
    """Run this script as a child; wall seconds, and the child's own CPU seconds and peak RSS (wait4)."""
    cmd = [sys.executable, __file__, *args]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    _pid, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed with exit code {proc.returncode}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
            "peak_rss_mb": ru.ru_maxrss / 1024.0, "load_average": os.getloadavg()[0]}


def child_second_pass(csv: Path, folder: Path, buckets: int = 0) -> dict[str, Any]:
    """The partition-by-characteristic second pass, measured in two steps.

    1. ``partition``: one streaming pass writes the readings (feature, part_id, lot, subgroup,
       sequence, value) to a Parquet dataset (``sink_parquet(pl.PartitionBy(folder, key=...))``):
       one folder per characteristic (``buckets=0``), or per hash bucket of the characteristic
       name (``buckets=B``: ``feature.hash(seed=0) % B``; the sink keeps a buffer per open
       partition, so fewer partitions hold less memory while writing).
    2. ``per characteristic``: each partition is read alone (a bucket is split by characteristic
       in memory), each characteristic sorted by sequence and given the statistics that need the
       whole ordered series, by pilotqa's own functions: the control chart with Nelson rules 1–4
       (:func:`pilotqa.stats.stability.chart_from_values`, X̄–R on the (lot, subgroup) subgroups;
       the serial of the first signalling point's first part is looked up), the drift test
       (:func:`pilotqa.stats.drift.drift_test`: HAC OLS and Mann–Kendall) and the normality tests
       (:func:`pilotqa.stats.distributions.normality`: Anderson–Darling and Shapiro–Wilk).
       Memory is held for one partition at a time.
    """
    import warnings

    import numpy as np
    import polars as pl

    out: dict[str, Any] = {"buckets": buckets}
    cpu0, _ = _self_usage()
    w = time.perf_counter()
    with _Sampler() as sampler:
        lf = pl.scan_csv(csv, schema_overrides={"value": pl.Float64, "subgroup": pl.Int64, "sequence": pl.Int64})
        lf = lf.select("feature", "part_id", "lot", "subgroup", "sequence", "value")
        if buckets:
            lf.with_columns((pl.col("feature").hash(seed=0) % buckets).alias("bucket")).sink_parquet(
                pl.PartitionBy(folder, key="bucket", include_key=False), mkdir=True, engine="streaming")
        else:
            lf.sink_parquet(pl.PartitionBy(folder, key="feature", include_key=True), mkdir=True, engine="streaming")
    cpu1, _ = _self_usage()
    out["partition"] = {"wall_s": time.perf_counter() - w, "cpu_s": cpu1 - cpu0,
                        "anon_mb_peak": sampler.peak["RssAnon"] / 1024.0,
                        "file_mb_peak": sampler.peak["RssFile"] / 1024.0,
                        "partitions": sum(1 for p in folder.iterdir() if p.is_dir()),
                        "dataset_mb": sum(f.stat().st_size for f in folder.rglob("*.parquet")) / 1e6}
    from pilotqa.stats.distributions import normality
    from pilotqa.stats.drift import drift_test
    from pilotqa.stats.stability import chart_from_values

    anon_imports = _status_kb("RssAnon")["RssAnon"] / 1024.0
    cpu0, _ = _self_usage()
    w = time.perf_counter()
    largest, largest_partition, n_signals, n_drift, n_nonnormal = 0, 0, 0, 0, 0
    serials: list[tuple[str, str]] = []
    with _Sampler() as sampler, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy: Shapiro–Wilk p-value "may not be accurate" for N > 5000
        for part in sorted(p for p in folder.iterdir() if p.is_dir()):
            whole = pl.read_parquet(part, hive_partitioning=False).drop_nulls("value")
            largest_partition = max(largest_partition, whole.height)
            for df in whole.partition_by("feature", maintain_order=True):
                df = df.sort("sequence", maintain_order=True)
                largest = max(largest, df.height)
                v = df["value"].to_numpy()
                ids = df.select(pl.struct("lot", "subgroup").rank("dense")).to_series().to_numpy()
                chart = chart_from_values(v, ids)
                sig = chart.violations((1, 2, 3, 4))
                if sig:
                    # the first part of each subgroup, subgroups in order of their first reading
                    firsts = np.sort(np.unique(ids, return_index=True)[1])
                    serials.append((str(df["feature"][0]), str(df["part_id"][int(firsts[sig[0]["index"]])])))
                n_signals += bool(sig)
                d = drift_test(df["sequence"].to_numpy(), v)
                n_drift += bool(d["p_value"] is not None and d["p_value"] < 0.05 and d["mann_kendall_p"] is not None
                                and d["mann_kendall_p"] < 0.05)
                doc, _notes = normality(v)
                n_nonnormal += doc["normal"] is False
    cpu1, _ = _self_usage()
    out["per_characteristic"] = {
        "wall_s": time.perf_counter() - w, "cpu_s": cpu1 - cpu0, "anon_mb_after_imports": anon_imports,
        "anon_mb_peak": sampler.peak["RssAnon"] / 1024.0, "largest_characteristic_readings": largest,
        "largest_partition_readings": largest_partition,
        "characteristics_with_signals": n_signals, "drift_flagged": n_drift, "non_normal": n_nonnormal,
        "first_serials": [serial for _f, serial in sorted(serials)[:3]]}
    out["rss_mb_end"] = _hwm_mb()
    return out


# --------------------------------------------------------------------------- checks
def max_rel_diff(a: Any, b: Any, cols: tuple[str, ...]) -> dict[str, float]:
    """Largest |a − b| / max(|a|, |b|, tiny) per column (rows matched by feature; null = null)."""
    import numpy as np
    import polars as pl

    j = a.join(b, on="feature", how="full", suffix="_b", coalesce=True)
    if j.height != a.height or j.height != b.height:
        raise AssertionError(f"feature sets differ: {a.height} vs {b.height} rows, {j.height} joined")
    out: dict[str, float] = {}
    for c in cols:
        x = j[c].cast(pl.Float64).to_numpy()
        y = j[f"{c}_b"].cast(pl.Float64).to_numpy()
        nx, ny = np.isnan(x), np.isnan(y)
        if (nx != ny).any():
            raise AssertionError(f"{c}: null in one result only for {int((nx != ny).sum())} feature(s)")
        ok = ~nx
        scale = np.maximum(np.maximum(np.abs(x[ok]), np.abs(y[ok])), 1e-300)
        out[c] = float(np.max(np.abs(x[ok] - y[ok]) / scale)) if ok.any() else 0.0
    return out


def library_frame(csv: Path) -> Any:
    """pilotqa's own capability_all on the file (read with pilotqa.read.read), rbar and pooled.

    Returns one row per feature with the columns of :func:`indices` / :func:`plan` named alike.
    """
    import polars as pl

    from pilotqa.read import ReadOptions, read
    from pilotqa.settings import Settings
    from pilotqa.stats.capability import capability_all

    insp = read([csv], ReadOptions())
    frames = {}
    for method in ("rbar", "pooled"):
        frames[method] = capability_all(insp.measurements, insp.specs, Settings(sigma_within=method))
    r, p = frames["rbar"], frames["pooled"]
    cols: dict[str, Any] = {
        "feature": r["feature"], "n": r["n"], "n_missing": r["n_missing"], "n_out_of_spec": r["n_out_of_spec"],
        "mean": r["mean"], "s": r["sigma_overall"], "sigma_rbar": r["sigma_within"], "sigma_pooled": p["sigma_within"],
        "pp": r["pp"], "ppk": r["ppk"],
    }
    for k in ("pp", "ppk"):
        for e in ("low", "high"):
            cols[f"{k}_ci_{e}"] = r[f"{k}_ci_{e}"]
    for name, fr in frames.items():
        cols[f"cp_{name}"], cols[f"cpk_{name}"] = fr["cp"], fr["cpk"]
        for k in ("cp", "cpk"):
            for e in ("low", "high"):
                cols[f"{k}_ci_{e}_{name}"] = fr[f"{k}_ci_{e}"]
    return pl.DataFrame(cols)


def child_check_library(csv: Path, result: Path, dest: Path) -> dict[str, Any]:
    """Compare a saved streaming result with pilotqa's capability_all on the same file."""
    import polars as pl

    lib = library_frame(csv)
    ours = pl.read_parquet(result)
    cols = (*SUMMARY_COLS, "sigma_rbar", "sigma_pooled", *INDEX_COLS)
    diffs = max_rel_diff(ours.select("feature", *cols), lib.select("feature", *cols), cols)
    sample = (ours.select("feature", "n", "mean", "s", "sigma_rbar", "cpk_rbar", "cpk_pooled", "ppk", "ppk_ci_low")
              .join(lib.select("feature", pl.col("cpk_rbar").alias("lib_cpk_rbar"),
                               pl.col("cpk_pooled").alias("lib_cpk_pooled"), pl.col("ppk").alias("lib_ppk"),
                               pl.col("ppk_ci_low").alias("lib_ppk_ci_low")), on="feature")
              .sort("feature").head(3))
    doc = {"features": lib.height, "max_rel_diff": diffs, "sample": sample.to_dicts()}
    dest.write_text(json.dumps(doc, default=float), encoding="utf-8")
    return doc


# --------------------------------------------------------------------------- parent
def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = 0
    import polars as pl

    return {"cpus": os.cpu_count(), "cpu_model": model, "mem_gb": round(mem / 1024**2, 1),
            "python": sys.version.split()[0], "polars": pl.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e6,1e7", help="comma-separated: 1e5, 1e6, 1e7 or FxP")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size, engine and query (medians reported)")
    ap.add_argument("--queries", default=",".join(QUERIES), help="overall, full or both")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()), help="where the CSVs are written")
    ap.add_argument("--out-dir", type=Path, default=OUT, help="folder of the JSON result")
    ap.add_argument("--second-pass", choices=("yes", "no", "only"), default="yes",
                    help="also measure the partition-by-characteristic second pass once per size (default yes); "
                         "'only' skips the engine comparison")
    ap.add_argument("--buckets", type=int, default=0,
                    help="second pass: partition by B hash buckets of the characteristic name instead of one "
                         "partition per characteristic (default 0 = per characteristic)")
    ap.add_argument("--child", choices=("run", "baseline", "check", "generate", "constants", "second"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--features", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--parts", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--query", choices=QUERIES, help=argparse.SUPPRESS)
    ap.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--consts", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.child == "baseline":
        import polars  # noqa: F401
        a.dest.write_text(json.dumps({"rss_mb_end": _hwm_mb()}), encoding="utf-8")
        return
    if a.child == "generate":
        bench_pipeline.generate(a.csv, a.features, a.parts)
        return
    if a.child == "constants":
        a.dest.write_text(json.dumps(constants_table()), encoding="utf-8")
        return
    if a.child == "run":
        doc = child(a.csv, a.engine, a.query, a.dest, json.loads(a.consts.read_text(encoding="utf-8")))
        a.dest.with_suffix(".json").write_text(json.dumps(doc), encoding="utf-8")
        return
    if a.child == "check":
        child_check_library(a.csv, a.result, a.dest)
        return
    if a.child == "second":
        doc = child_second_pass(a.csv, a.dest.with_suffix(".d"), a.buckets)
        a.dest.write_text(json.dumps(doc), encoding="utf-8")
        return

    import polars as pl

    sizes = [parse_size(s.strip()) for s in a.sizes.split(",") if s.strip()]
    queries = tuple(q.strip() for q in a.queries.split(",") if q.strip())
    need = max(nf * np_ for _, nf, np_ in sizes) * BYTES_PER_READING
    free = shutil.disk_usage(a.tmp).free
    print(f"free space in {a.tmp}: {free / 1e9:.1f} GB; the largest CSV needs about {need / 1e9:.2f} GB",
          file=sys.stderr)
    if free < 2 * need:
        raise SystemExit(f"not enough free space in {a.tmp}: {free / 1e9:.1f} GB free, want {2 * need / 1e9:.1f} GB")
    work = Path(tempfile.mkdtemp(prefix="pilotqa-stream-", dir=a.tmp))
    started = datetime.now(timezone.utc)
    results: list[dict[str, Any]] = []
    consts = work / "d2d3.json"
    try:
        # the parent stays small (generation and pilotqa's constants run in children): a child's
        # ru_maxrss starts at its parent's resident size (see _hwm_mb)
        run_child(["--child", "constants", "--dest", str(consts)])
        base = []
        for _ in range(3):
            b = run_child(["--child", "baseline", "--dest", str(work / "baseline.json")])
            b.update(json.loads((work / "baseline.json").read_text(encoding="utf-8")))
            base.append(b)
        baseline = {"rss_mb": statistics.median(b["rss_mb_end"] for b in base),
                    "ru_maxrss_mb": statistics.median(b["peak_rss_mb"] for b in base),
                    "cpu_s": statistics.median(b["cpu_s"] for b in base),
                    "wall_s": statistics.median(b["wall_s"] for b in base)}
        print(f"baseline (python + import polars): {baseline['rss_mb']:.0f} MB peak RSS (ru_maxrss "
              f"{baseline['ru_maxrss_mb']:.0f} MB), {baseline['cpu_s']:.2f} s CPU", file=sys.stderr)
        for label, nf, np_ in sizes:
            csv = work / f"long_{nf}x{np_}.csv"
            t = time.perf_counter()
            run_child(["--child", "generate", "--csv", str(csv), "--features", str(nf), "--parts", str(np_)])
            size_mb = csv.stat().st_size / 1e6
            print(f"[{label}] {nf} × {np_} = {nf * np_:,} readings, {size_mb:.0f} MB CSV (generated in "
                  f"{time.perf_counter() - t:.0f} s); load average {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
            runs: dict[str, list[dict[str, Any]]] = {}
            saved: dict[str, Path] = {}
            for i in range(a.repeat if a.second_pass != "only" else 0):
                for query in queries:
                    for engine in ENGINES:
                        key = f"{query}/{engine}"
                        dest = work / f"{label}-{query}-{engine}.parquet"
                        r = run_child(["--child", "run", "--csv", str(csv), "--engine", engine, "--query", query,
                                       "--dest", str(dest), "--consts", str(consts)])
                        r.update(json.loads(dest.with_suffix(".json").read_text(encoding="utf-8")))
                        runs.setdefault(key, []).append(r)
                        saved[key] = dest
                        print(f"[{label}] run {i + 1}/{a.repeat} {key:20s} wall {r['wall_s']:6.2f} s, CPU "
                              f"{r['cpu_s']:6.2f} s, peak RSS {r['rss_mb_after_query']:6.0f} MB at the query (anonymous {r['anon_mb_peak_query']:.0f}, file {r['file_mb_peak_query']:.0f}), {r['rss_mb_end']:.0f} MB at the end (query {r['query_wall_s']:.2f} s, "
                              f"{r['query_cpu_s']:.2f} s CPU; load {r['load_average']:.1f})", file=sys.stderr, flush=True)
            # streaming == in-memory, to float noise
            agree: dict[str, dict[str, float]] = {}
            for query in (queries if runs else ()):
                s_ = pl.read_parquet(saved[f"{query}/streaming"])
                m_ = pl.read_parquet(saved[f"{query}/in-memory"])
                cols = tuple(c for c in (*SUMMARY_COLS, *WITHIN_COLS, *INDEX_COLS, "pp_ci_low") if c in s_.columns)
                agree[query] = max_rel_diff(s_, m_, cols)
                worst = max(agree[query].values())
                if worst > RTOL:
                    raise SystemExit(f"[{label}] {query}: streaming and in-memory differ by {worst:.2e} relative")
                print(f"[{label}] {query}: streaming = in-memory for {s_.height} characteristics, largest relative "
                      f"difference {worst:.1e}", file=sys.stderr, flush=True)
            lib: dict[str, Any] | None = None
            if label == sizes[0][0] and "full" in queries and runs:
                dest = work / f"{label}-check.json"
                run_child(["--child", "check", "--csv", str(csv), "--result", str(saved["full/streaming"]),
                           "--dest", str(dest)])
                lib = json.loads(dest.read_text(encoding="utf-8"))
                worst = max(lib["max_rel_diff"].values())
                print(f"[{label}] streaming = pilotqa capability_all for {lib['features']} characteristics, largest "
                      f"relative difference {worst:.1e}", file=sys.stderr, flush=True)
                if worst > RTOL:
                    raise SystemExit(f"[{label}] streaming result differs from capability_all: {lib['max_rel_diff']}")
            second: dict[str, Any] | None = None
            if a.second_pass != "no":
                dest = work / f"{label}-second.json"
                proc = run_child(["--child", "second", "--csv", str(csv), "--dest", str(dest),
                                  "--buckets", str(a.buckets)])
                second = {**json.loads(dest.read_text(encoding="utf-8")), "process": proc}
                shutil.rmtree(dest.with_suffix(".d"), ignore_errors=True)
                p1, p2 = second["partition"], second["per_characteristic"]
                print(f"[{label}] second pass: partition {p1['wall_s']:.1f} s wall, {p1['cpu_s']:.1f} s CPU, anonymous "
                      f"peak {p1['anon_mb_peak']:.0f} MB; per characteristic {p2['wall_s']:.1f} s wall, "
                      f"{p2['cpu_s']:.1f} s CPU, anonymous peak {p2['anon_mb_peak']:.0f} MB (after imports "
                      f"{p2['anon_mb_after_imports']:.0f}), largest characteristic {p2['largest_characteristic_readings']:,} "
                      f"readings; process peak RSS {second['rss_mb_end']:.0f} MB", file=sys.stderr, flush=True)
            med = {key: {m: statistics.median(r[m] for r in rs)
                         for m in ("wall_s", "cpu_s", "peak_rss_mb", "query_wall_s", "query_cpu_s", "rss_mb_after_query",
                                   "rss_mb_end", "rss_mb_after_import", "anon_mb_peak_query",
                                   "file_mb_peak_query", "anon_mb_before_query")}
                   for key, rs in runs.items()}
            results.append({"size": label, "characteristics": nf, "parts": np_, "readings": nf * np_,
                            "csv_mb": size_mb, "median": med, "runs": runs, "streaming_vs_in_memory": agree,
                            "vs_capability_all": lib, "second_pass": second})
            csv.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    doc = {"started": started.isoformat(timespec="seconds"), "machine": machine(), "repeat": a.repeat,
           "load_average_end": os.getloadavg(), "baseline": baseline, "results": results}
    a.out_dir.mkdir(parents=True, exist_ok=True)
    dest_json = a.out_dir / f"bench_streaming-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    dest_json.write_text(json.dumps(doc, indent=1, default=float), encoding="utf-8")
    print(f"\nmedian of {a.repeat} run(s), each a fresh process; load average at the end "
          + " / ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"baseline: python + import polars {baseline['rss_mb']:.0f} MB peak RSS, {baseline['cpu_s']:.2f} s CPU\n")
    print("| size | query | engine | query: wall s | query: CPU s | peak RSS at the query, MB "
          "(anonymous / file-backed) | process: wall s | process: CPU s | process: peak RSS MB (ru_maxrss) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        for key, m in r["median"].items():
            q, e = key.split("/")
            print(f"| {r['size']} ({r['readings']:,}, {r['csv_mb']:.0f} MB) | {q} | {e} | {m['query_wall_s']:.2f} | "
                  f"{m['query_cpu_s']:.2f} | {m['rss_mb_after_query']:.0f} ({m['anon_mb_peak_query']:.0f} / "
                  f"{m['file_mb_peak_query']:.0f}) | {m['wall_s']:.2f} | {m['cpu_s']:.2f} | "
                  f"{m['rss_mb_end']:.0f} ({m['peak_rss_mb']:.0f}) |")
    for r in results:
        sp = r.get("second_pass")
        if sp:
            p1, p2 = sp["partition"], sp["per_characteristic"]
            print(f"second pass {r['size']}: partition into {p1['partitions']} partitions {p1['wall_s']:.1f} s wall ({p1['cpu_s']:.1f} s CPU), "
                  f"anonymous peak {p1['anon_mb_peak']:.0f} MB, dataset {p1['dataset_mb']:.0f} MB; per characteristic "
                  f"(chart + rules, drift, normality) {p2['wall_s']:.1f} s wall ({p2['cpu_s']:.1f} s CPU), anonymous peak "
                  f"{p2['anon_mb_peak']:.0f} MB of which {p2['anon_mb_after_imports']:.0f} MB after the imports; largest "
                  f"characteristic {p2['largest_characteristic_readings']:,} readings, largest partition "
                  f"{p2['largest_partition_readings']:,}; signals in "
                  f"{p2['characteristics_with_signals']}, e.g. {', '.join(p2['first_serials'])}")
    print(f"\nwrote {dest_json}")


if __name__ == "__main__":
    main()
