"""stability_all computes every feature's chart at once (issue 16); these tests keep the
straightforward per-feature computation — one polars partition per feature, then
:func:`control_chart` and its :meth:`violations` — as the reference and require the vectorised
result to equal it exactly (every number, signal, note and plotted array), on hypothesis-drawn
frames: several features, individuals and subgroups, unequal and single-reading subgroups,
missing subgroup numbers, ties, constant features, every rule subset.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from hypothesis import given, settings as hsettings, strategies as st

from pilotqa.settings import Settings
from tests.equality import assert_same as _same
from pilotqa.stats.stability import (
    _choose_from_sizes,
    _doc,
    _size_tables,
    choose_chart,
    control_chart,
    stability_all,
)


def reference_stability_all(meas: pl.DataFrame, settings: Settings) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The per-feature computation stability_all replaced (one chart + rule evaluation per feature)."""
    rules = sorted(set(int(r) for r in settings.rules))
    out: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    if meas.height == 0:
        return out
    m = meas.select("feature", "subgroup", "sequence", "value")
    structure = (
        m.group_by("feature", "subgroup").agg(pl.len().alias("n")).group_by("feature")
        .agg(pl.col("n").filter(pl.col("subgroup").is_null()).sum().alias("null_rows"),
             pl.col("n").filter(pl.col("subgroup").is_not_null()).max().alias("max_n"))
        .with_columns(((pl.col("null_rows") > 0) | (pl.col("max_n").fill_null(1) <= 1)).alias("individuals"),
                      ((pl.col("null_rows") > 0) & pl.col("max_n").is_not_null()).alias("mixed"))
    )
    indiv = set(structure.filter(pl.col("individuals"))["feature"].to_list())
    mixed = set(structure.filter(pl.col("mixed"))["feature"].to_list())
    ind = (m.filter(pl.col("feature").is_in(list(indiv)))
           .sort(["feature", "sequence"], nulls_last=True, maintain_order=True)
           .with_columns(pl.col("value").diff().abs().over("feature").alias("mr")))
    for key, g in ind.partition_by("feature", as_dict=True, maintain_order=True).items():
        feat = str(key[0])
        v = g["value"].to_numpy().astype(float)
        notes = ["some readings carry no subgroup: the feature is charted as individuals (I–MR)"] if feat in mixed else []
        ch = None if v.size < 2 else control_chart(v, np.ones(v.size, np.int64), g["mr"].to_numpy()[1:], "i-mr")
        out[feat] = _doc(ch, rules, notes)
    sg = (m.filter(~pl.col("feature").is_in(list(indiv))).group_by("feature", "subgroup")
          .agg(pl.len().alias("n"), pl.col("value").mean().alias("mean"),
               (pl.col("value").max() - pl.col("value").min()).alias("range"),
               pl.col("value").std(ddof=1).alias("sd"), pl.col("sequence").min().alias("first_seq"))
          .sort(["feature", "first_seq", "subgroup"], nulls_last=True))
    for key, g in sg.partition_by("feature", as_dict=True, maintain_order=True).items():
        n = g["n"].to_numpy().astype(np.int64)
        kind = choose_chart(n)[0]
        col = "range" if kind == "xbar-r" else "sd"
        spread = np.where(n >= 2, g[col].fill_null(float("nan")).to_numpy().astype(float), np.nan)
        out[str(key[0])] = _doc(control_chart(g["mean"].to_numpy().astype(float), n, spread, kind), rules, [])
    return out


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for f in range(draw(st.integers(1, 5))):
        n = draw(st.integers(1, 60))
        layout = draw(st.sampled_from(["individuals", "equal", "unequal", "mixed", "ones"]))
        size = draw(st.integers(2, 12))
        grid = draw(st.sampled_from([0.0, 0.001, 0.5]))  # 0: continuous readings; else rounded (ties)
        shape = draw(st.sampled_from(["normal", "constant", "trend", "alternate", "shift"]))
        seed = draw(st.integers(0, 2**31 - 1))
        rng = np.random.default_rng(seed)
        i = np.arange(n)
        v = {"normal": rng.normal(10.0, 0.2, n), "constant": np.full(n, 3.25),
             "trend": 0.05 * i + rng.normal(0.0, 0.01, n), "alternate": (-1.0) ** i + rng.normal(0.0, 0.05, n),
             "shift": np.where(i > n // 2, 1.0, 0.0) + rng.normal(0.0, 0.3, n)}[shape]
        if grid:
            v = np.round(v / grid) * grid
        seq = rng.permutation(n) + 1 if draw(st.booleans()) else i + 1
        if layout == "individuals":
            sub: list[int | None] = [None] * n
        elif layout == "equal":
            sub = [int(k) // size + 1 for k in i]
        elif layout == "unequal":
            sub = [int(x) for x in sorted(rng.integers(1, max(2, n // 3) + 1, n).tolist())]
        elif layout == "mixed":
            sub = [None if k % 7 == 3 else int(k) // size + 1 for k in i]
        else:
            sub = [int(k) + 1 for k in i]
        rows += [{"feature": f"F{f}", "subgroup": sub[k], "sequence": int(seq[k]), "value": float(v[k])}
                 for k in range(n)]
    order = draw(st.permutations(range(len(rows))))
    return pl.DataFrame([rows[k] for k in order], schema={"feature": pl.String, "subgroup": pl.Int64,
                                                           "sequence": pl.Int64, "value": pl.Float64})


@hsettings(max_examples=150, deadline=None)
@given(meas=frames(), rules=st.sets(st.integers(1, 8), min_size=1))
def test_vectorised_equals_per_feature(meas: pl.DataFrame, rules: set[int]) -> None:
    settings = Settings(rules=tuple(sorted(rules)))
    _same(stability_all(meas, settings), reference_stability_all(meas, settings))


def test_vectorised_equals_per_feature_on_a_bench_sized_frame() -> None:
    # 40 features x 500 readings: subgroups of 5 (X̄–R), of 12 (X̄–S) and individuals, with signals
    rng = np.random.default_rng(16)
    parts = []
    for f in range(40):
        n = 500
        v = rng.normal(0.0, 1.0, n) + (0.004 * np.arange(n) if f % 3 == 0 else 0.0)
        sub = None if f % 4 == 1 else (np.arange(n) // (12 if f % 5 == 2 else 5) + 1)
        parts.append(pl.DataFrame({"feature": f"C{f:02d}", "subgroup": sub, "sequence": np.arange(n) + 1,
                                   "value": np.round(v, 3)},
                                  schema={"feature": pl.String, "subgroup": pl.Int64, "sequence": pl.Int64,
                                          "value": pl.Float64}))
    meas = pl.concat(parts)
    for rules in ((1, 2, 3, 4), tuple(range(1, 9))):
        got = stability_all(meas, Settings(rules=rules))
        assert sum(len(d["violations"]) for d, _ in got.values()) > 0
        _same(got, reference_stability_all(meas, Settings(rules=rules)))


@hsettings(max_examples=300, deadline=None)
@given(series=st.lists(st.lists(st.integers(1, 14), min_size=1, max_size=40), min_size=1, max_size=6))
def test_chart_choice_from_size_tables_equals_choose_chart(series: list[list[int]]) -> None:
    sizes = np.array([v for s in series for v in s], dtype=np.int64)
    tables = _size_tables(sizes, np.array([len(s) for s in series], dtype=np.int64))
    for s, table in zip(series, tables):
        assert table == sorted((v, s.count(v)) for v in set(s))
        assert _choose_from_sizes(table) == choose_chart(s)


def test_subgroups_without_sequence_numbers_sort_last() -> None:
    # subgroups whose readings carry no sequence number have no first sequence: they follow the others
    meas = pl.DataFrame({
        "feature": ["A"] * 12 + ["B"] * 6,
        "subgroup": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6] + [1, 1, 2, 2, 3, 3],
        "sequence": [5, 6, None, None, 1, 2, 3, 4, None, None, 9, 10] + [None] * 6,
        "value": [1.0, 1.2, 0.8, 0.9, 1.1, 1.3, 0.7, 1.0, 1.4, 1.2, 0.9, 1.1, 2.0, 2.2, 1.9, 2.4, 2.1, 2.0],
    }, schema={"feature": pl.String, "subgroup": pl.Int64, "sequence": pl.Int64, "value": pl.Float64})
    got = stability_all(meas, Settings())
    _same(got, reference_stability_all(meas, Settings()))
    assert np.allclose(got["A"][1]["x_points"][-2:], [0.85, 1.3], rtol=1e-12)  # subgroups 2 and 5, in subgroup order
