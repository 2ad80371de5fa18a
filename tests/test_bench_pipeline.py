"""The pipeline benchmark (benchmarks/bench_pipeline.py) runs and measures what it says; no timing is asserted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_pipeline  # noqa: E402


def test_generated_export_has_the_stated_shape(tmp_path: Path) -> None:
    csv = tmp_path / "g.csv"
    bench_pipeline.generate(csv, 20, 30)
    df = pl.read_csv(csv)
    assert df.height == 600 and df["feature"].n_unique() == 20 and df["part_id"].n_unique() == 30
    assert sorted(df["lot"].unique().to_list()) == ["L01", "L02", "L03"]
    per_subgroup = df.group_by("feature", "subgroup").len()["len"]
    assert per_subgroup.min() == per_subgroup.max() == 5
    # 10 % bounded-at-zero characteristics: upper limit only
    lbz = df.filter(pl.col("lsl").is_null())["feature"].unique()
    assert lbz.len() == 2 and df.filter(pl.col("feature").is_in(lbz.implode()))["value"].min() > 0
    # seeded: the same file twice
    bench_pipeline.generate(tmp_path / "h.csv", 20, 30)
    assert (tmp_path / "h.csv").read_bytes() == csv.read_bytes()


def test_sizes() -> None:
    assert bench_pipeline.parse_size("1e5") == ("1e5", 300, 500)
    assert bench_pipeline.parse_size("1e6") == ("1e6", 1000, 1000)
    assert bench_pipeline.parse_size("7x40") == ("7x40", 7, 40)


def test_run_records_every_stage(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_pipeline.py"), "--sizes", "4x30", "--no-cli",
         "--stages", "read,analysis,json", "--out-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (doc_path,) = tmp_path.glob("bench_pipeline-*.json")
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    (r,) = doc["results"]
    # pilotqa read the generated file as generated
    assert (r["characteristics"], r["parts"], r["readings"]) == (4, 30, 120)
    wall = r["pilotqa"]["wall"]
    for stage in ("import", "read", "capability", "resolution", "stability", "drift", "lots", "normality+fits",
                  "stats rest", "decide", "json"):
        assert stage in wall and wall[stage] >= 0.0, stage
    assert "html" not in wall and "xlsx" not in wall
    # the families are parts of compute, compute part of the analysis
    families = sum(wall[f] for f in ("capability", "resolution", "stability", "drift", "lots", "streams",
                                     "normality+fits"))
    assert families <= wall["compute"] <= wall["analysis"]
    assert r["floor"]["wall"]["floor"] > 0 and r["pilotqa"]["rss_mb"]["json"] >= r["pilotqa"]["rss_mb"]["read"] > 0
    assert "| drift |" in out.stdout and "floor" in out.stdout
    assert doc["bytecode"] == "compiled first (compileall)"
    # the command itself, side by side with the floor: it wrote the JSON it was asked for, its own
    # seconds and peak memory recorded
    cmd = r["command"]
    assert cmd["formats"] == ["json"] and len(cmd["runs"]) == 1 and "--format json" in cmd["runs"][0]["command"]
    assert cmd["wall"] > 0 and cmd["cpu"] > 0 and cmd["rss_mb"] > 50
    assert "ratio the command / floor" in out.stdout
    # the data were generated in a child: the parent stays small, so it floors no child's peak RSS
    assert doc["parent_rss_mb"] < 100


def test_a_childs_peak_rss_counts_its_parents_size() -> None:
    """Why bench_pipeline generates in a child and records VmHWM: a process started from a big
    parent reports at least the parent's resident size as its own ru_maxrss (Linux keeps the
    high-water mark over exec), while its VmHWM is its own."""
    child = ("import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "
             "next(int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:')))")
    code = ("import subprocess, sys; big = bytearray(300 * 2**20); big[::4096] = b'x' * len(big[::4096]); "
            f"print(subprocess.run([sys.executable, '-c', {child!r}], capture_output=True, text=True).stdout)")
    maxrss, hwm = map(int, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout.split())
    assert maxrss >= 300 > 100 > hwm

def test_run_command_reports_a_failing_command(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(SystemExit, match="exited with 2"):
        bench_pipeline.run_command(tmp_path / "missing.csv", ("json",), tmp_path)


def test_pilotqa_is_compiled_to_bytecode_before_measuring() -> None:
    """Like an installed package (pip compiles at install), also where PYTHONDONTWRITEBYTECODE is
    set: after compile_bytecode every pilotqa and command module has valid bytecode to read."""
    bench_pipeline.compile_bytecode()
    probe = ("import importlib.util, pathlib, pkgutil, pilotqa, pilotqa_cli; "
             "mods = [m.name for p in (pilotqa, pilotqa_cli) "
             "for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.')]; "
             "import importlib; files = [importlib.util.find_spec(m).origin for m in mods]; "
             "print(len(files), all(pathlib.Path(importlib.util.cache_from_source(f)).is_file() "
             "for f in files))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout.split()
    assert int(out[0]) > 50 and out[1] == "True", out
