"""pilotqa.stats.distributions imports scipy.stats only inside the functions that use it (issue
16: scipy.stats is a large share of the start-up time), and the constants it computes without it
are scipy.stats' numbers."""
from __future__ import annotations

import ast
from pathlib import Path

from scipy import stats

from pilotqa.stats import distributions as D

ROOT = Path(__file__).resolve().parents[1]


def test_percentile_points_equal_scipy_stats_norm_cdf() -> None:
    assert D.P_LOW == float(stats.norm.cdf(-3.0))
    assert D.P_HIGH == float(stats.norm.cdf(3.0))


def test_no_module_level_scipy_stats_import() -> None:
    for rel in ("pilotqa/stats/distributions.py", "pilotqa/util.py", "pilotqa/stats/__init__.py"):
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for node in tree.body:  # top-level statements only
            if isinstance(node, ast.ImportFrom):
                names = {f"{node.module}.{a.name}" for a in node.names}
                assert node.module is None or not node.module.startswith("scipy.stats"), rel
                assert "scipy.stats" not in names, rel
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("scipy.stats") for a in node.names), rel


def test_dist_is_the_scipy_stats_distribution() -> None:
    assert D._dist("johnsonsu") is stats.johnsonsu and D._dist("norm") is stats.norm
