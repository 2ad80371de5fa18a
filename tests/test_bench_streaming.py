"""The streaming benchmark's one-pass aggregation (benchmarks/bench_streaming.py) gives pilotqa's numbers.

Tiny inputs, no timing: the lazy per-characteristic summary collected with the streaming and with
the in-memory engine, and the indices computed from it, against
:func:`pilotqa.stats.capability.capability_all` on the same file read by :func:`pilotqa.read.read`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_streaming  # noqa: E402

COMPARED = (*bench_streaming.SUMMARY_COLS, "sigma_rbar", "sigma_pooled", *bench_streaming.INDEX_COLS)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 characteristics × 40 parts (3 lots, so subgroups 3 and 6 span a lot boundary), with a
    few readings blanked (not measured) so that subgroup sizes differ."""
    d = tmp_path_factory.mktemp("stream")
    full = d / "full.csv"
    bench_streaming.bench_pipeline.generate(full, 12, 40)
    df = pl.read_csv(full)
    blank = (pl.int_range(pl.len()) % 37 == 5) & (pl.col("feature") != "CHAR_0003")
    df = df.with_columns(pl.when(blank).then(None).otherwise(pl.col("value")).alias("value"))
    path = d / "long.csv"
    df.write_csv(path, float_precision=4)
    return path


@pytest.fixture(scope="module")
def consts() -> dict[str, list[float]]:
    return bench_streaming.constants_table(30)


def _ours(path: Path, engine: str, consts: dict[str, list[float]], query: str = "full") -> pl.DataFrame:
    summary = bench_streaming.plan(path, query, consts).collect(engine=engine).sort("feature")
    return summary.join(bench_streaming.indices(summary), on="feature", how="left")


def test_export_has_missing_readings_and_subgroups_across_lots(export: Path) -> None:
    df = pl.read_csv(export)
    assert df["value"].null_count() > 0
    spans = df.group_by("subgroup").agg(pl.col("lot").n_unique().alias("lots")).filter(pl.col("lots") > 1)
    assert spans.height >= 1  # so the (lot, subgroup) key matters


def test_streaming_equals_in_memory(export: Path, consts: dict[str, list[float]]) -> None:
    for query in bench_streaming.QUERIES:
        s = _ours(export, "streaming", consts, query)
        m = _ours(export, "in-memory", consts, query)
        cols = tuple(c for c in COMPARED if c in s.columns)
        diffs = bench_streaming.max_rel_diff(s, m, cols)
        assert s.height == 12 and max(diffs.values()) <= bench_streaming.RTOL, (query, diffs)


def test_streaming_summary_equals_capability_all(export: Path, consts: dict[str, list[float]]) -> None:
    ours = _ours(export, "streaming", consts)
    lib = bench_streaming.library_frame(export)
    assert ours["n_missing"].sum() > 0 and ours["n_missing"].sum() == lib["n_missing"].sum()
    diffs = bench_streaming.max_rel_diff(ours.select("feature", *COMPARED), lib.select("feature", *COMPARED), COMPARED)
    assert max(diffs.values()) <= bench_streaming.RTOL, diffs
    # the indices are defined (not null on both sides) for the two-sided characteristics
    assert ours.filter(pl.col("lsl").is_not_null())["cpk_rbar"].null_count() == 0


def test_subgroup_count_and_lot_key(export: Path, consts: dict[str, list[float]]) -> None:
    from pilotqa.read import ReadOptions, read
    from pilotqa.settings import Settings
    from pilotqa.stats.capability import capability_all

    insp = read([export], ReadOptions())
    lib = capability_all(insp.measurements, insp.specs, Settings(sigma_within="rbar")).sort("feature")
    ours = _ours(export, "streaming", consts)
    assert ours["k"].cast(pl.Int64).to_list() == lib["n_subgroups"].to_list()
    # ignoring the lot would merge the subgroups that span a lot boundary: fewer subgroups
    naive = pl.read_csv(export).drop_nulls("value").group_by("feature", "subgroup").len().filter(pl.col("len") >= 2)
    assert naive.height < int(ours["k"].sum())


def test_parse_size() -> None:
    assert bench_streaming.parse_size("1e7") == ("1e7", 1000, 10000)
    assert bench_streaming.parse_size("3x9") == ("3x9", 3, 9)


def test_second_pass_finds_pilotqa_signals_and_serials(export: Path, tmp_path: Path) -> None:
    """The partition-by-characteristic pass (one characteristic in memory at a time, pilotqa's own
    per-series functions) reports the run-rule signals, their first serial and the non-normal
    characteristics that the whole analysis reports."""
    from pilotqa.read import ReadOptions, read
    from pilotqa.settings import Settings
    from pilotqa.stats import compute

    doc = bench_streaming.child_second_pass(export, tmp_path / "parts")
    per = doc["per_characteristic"]
    assert len([p for p in (tmp_path / "parts").iterdir() if p.is_dir()]) == 12
    fs = sorted(compute(read([export], ReadOptions()), Settings()), key=lambda f: f.feature)
    flagged = [f.stability.violations for f in fs if f.stability is not None and f.stability.violations]
    assert flagged and per["characteristics_with_signals"] == len(flagged)
    # pilotqa names the whole subgroup ("SN0000011 … SN0000015 (5 parts)"): its first serial
    first = [str(v[0].part_id).split(" ")[0].rstrip(",") for v in flagged[:3]]
    assert per["first_serials"] == first
    assert per["non_normal"] == sum(f.normality is not None and f.normality.normal is False for f in fs)
    assert per["largest_characteristic_readings"] <= 40


def test_second_pass_by_hash_buckets_gives_the_same_findings(export: Path, tmp_path: Path) -> None:
    by_feature = bench_streaming.child_second_pass(export, tmp_path / "f")
    by_bucket = bench_streaming.child_second_pass(export, tmp_path / "b", buckets=3)
    assert by_bucket["partition"]["partitions"] == 3 and by_feature["partition"]["partitions"] == 12
    keys = ("characteristics_with_signals", "drift_flagged", "non_normal", "first_serials",
            "largest_characteristic_readings")
    assert {k: by_bucket["per_characteristic"][k] for k in keys} == {k: by_feature["per_characteristic"][k] for k in keys}
    assert by_bucket["per_characteristic"]["largest_partition_readings"] > 40
