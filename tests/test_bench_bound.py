"""The lower-bound benchmark (benchmarks/bench_bound.py): every level runs the command with its
steps replaced by their recorded results, and a replay that does not stand for the step it replaces
is refused. No timing is asserted (speed goals live in benchmarks/)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_bound  # noqa: E402
import bench_pipeline  # noqa: E402

pytestmark = pytest.mark.slow  # a dozen child processes of the command


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    work = tmp_path_factory.mktemp("bound")
    csv = work / "a.csv"
    bench_pipeline.generate(csv, 12, 40)
    cache = work / "a.pickle"
    reference = bench_bound.record(csv, cache, work / "record")
    return csv, cache, reference


def test_every_level_writes_the_full_runs_document(recorded: tuple[Path, Path, dict[str, Any]],
                                                   tmp_path: Path) -> None:
    csv, cache, reference = recorded
    assert len(reference["features"]) == 12 and "generated_at" not in reference
    runs: dict[str, list[dict[str, Any]]] = {"floor": [bench_bound.run("floor", csv, cache, tmp_path / "floor")]}
    for level in bench_bound.LEVELS:
        out = tmp_path / level.replace(" ", "_").replace("+", "")
        runs[level] = [bench_bound.measure_level(level, csv, cache, out, reference)]
        assert runs[level][0]["wall"] > 0 and runs[level][0]["cpu"] > 0
        written = (out / f"{csv.stem}.json").exists()
        assert written == (level != "read + imports")  # the last level writes nothing
    rows = bench_bound.table("12x40", runs).splitlines()
    assert [r.split(" | ")[0].lstrip("| ") for r in rows[2:]] == ["floor", *bench_bound.LEVELS]


@pytest.fixture(scope="module")
def other_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Results recorded from another file: they do not describe a.csv."""
    work = tmp_path_factory.mktemp("bound_other")
    other = work / "b.csv"
    bench_pipeline.generate(other, 12, 41)
    cache = work / "b.pickle"
    bench_bound.record(other, cache, work / "record_b")
    return cache


@pytest.mark.parametrize("level", ["fits free", "stats free", "decide free"])
def test_a_replay_that_is_not_the_step_is_refused(recorded: tuple[Path, Path, dict[str, Any]], other_cache: Path,
                                                  level: str, tmp_path: Path) -> None:
    # fails too when a level's replacement does not take effect (the level would run the real step);
    # another file's time order and fits do not even fit a.csv's frame-level results: that child fails
    csv, _, reference = recorded
    with pytest.raises(SystemExit, match=f"{level}: (the JSON differs|the child failed)"):
        bench_bound.measure_level(level, csv, other_cache, tmp_path / "replay", reference)
