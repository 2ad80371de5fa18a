"""Capability at 10^5+ readings: the pooled within-subgroup sigma adds the subgroups in one fixed
order (first appearance), so repeated runs give the same bits. Polars' unordered group_by had
handed the per-feature sums their subgroups in a different order from run to run (differences of
~1e-14 relative in sigma_within and the indices, reports not reproducible bit for bit)."""
from __future__ import annotations

import numpy as np
import polars as pl

from pilotqa.stats.capability import sigma_within_all


def _measurements(n_features: int = 300, n_subgroups: int = 100, size: int = 5) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    n = n_features * n_subgroups * size
    part = np.arange(n) // n_features  # part-major, as an export writes the rows
    return pl.DataFrame({
        "feature": [f"C{i:04d}" for i in np.arange(n) % n_features],
        "subgroup": part // size + 1,
        "sequence": part + 1,
        "value": rng.normal(10.0, 0.01, n),
    })


def test_pooled_sigma_is_the_same_bits_run_after_run() -> None:
    meas = _measurements()
    first = sigma_within_all(meas, "pooled").sort("feature")
    for _ in range(4):
        again = sigma_within_all(meas, "pooled").sort("feature")
        assert first["sigma_within"].to_list() == again["sigma_within"].to_list()
    assert first.height == 300 and first["sigma_within"].is_not_null().all()
