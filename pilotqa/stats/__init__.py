"""pilotqa statistics stage: every feature's capability, normality, stability, drift, resolution
and lot-to-lot statistics, assembled into one typed :class:`~pilotqa.results.FeatureStats` each.

:func:`compute` is the stage's entry point (``Inspection`` + ``Settings`` → one
:class:`~pilotqa.results.FeatureStats` per feature, spec order). Per-feature statistics are computed
for all features at once by the frame-level functions of the submodules (polars ``group_by``);
Python loops only run around the scipy/statsmodels tests and fits.
"""
from __future__ import annotations

import dataclasses
import typing
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
import polars as pl

from pilotqa.errors import PolicyError
from pilotqa.model import Inspection
from pilotqa.results import (
    CapabilityModel,
    Drift,
    FeatureStats,
    Interval,
    LotEffect,
    Normality,
    OutOfSpec,
    Resolution,
    Series,
    Stability,
    StreamEffect,
    from_mapping,
)
from pilotqa.settings import SIGMA_WITHIN_METHODS, Settings
from pilotqa.threads import concurrent
from pilotqa.util import finite_or_none, json_safe

from .capability import (
    CAPABILITY_SCHEMA,
    capability_all,
    capability_from_summary,
    choose_target,
    index_from_sigma,
    sigma_within_all,
)
from .constants import CONTROL_CONSTANTS, ControlConstants, c4, d2, d3
from .distributions import (
    capability_model,
    fit_candidates,
    lean_prefits,
    normality,
    normality_all,
    percentile_indices,
)
from .attributes import attribute_features
from .drift import drift_all
from .factors import input_aliases, input_headings, stream_factors, streams_all
from .lots import lots_all
from .resolution import resolution_all
from .stability import stability_all

__all__ = [
    "compute",
    "json_safe",
    "capability_all",
    "capability_from_summary",
    "index_from_sigma",
    "sigma_within_all",
    "choose_target",
    "CAPABILITY_SCHEMA",
    "normality",
    "fit_candidates",
    "percentile_indices",
    "capability_model",
    "resolution_all",
    "CONTROL_CONSTANTS",
    "ControlConstants",
    "c4",
    "d2",
    "d3",
]



def _check_settings(settings: Settings) -> None:
    if settings.sigma_within not in SIGMA_WITHIN_METHODS:
        raise PolicyError(
            f"unknown sigma_within '{settings.sigma_within}'; allowed: {', '.join(SIGMA_WITHIN_METHODS)}",
            key="sigma_within",
        )
    if not 0.0 < float(settings.confidence) < 1.0:
        raise PolicyError(f"confidence must lie strictly between 0 and 1, got {settings.confidence}", key="confidence")
    if not 0.0 < float(settings.alpha) < 1.0:
        raise PolicyError(f"alpha must lie strictly between 0 and 1, got {settings.alpha}", key="alpha")


def _fmt(v: float | None, digits: int = 4) -> str:
    return "n/a" if v is None else f"{v:.{digits}g}"


def _capability_notes(row: dict[str, Any], sd_zero: bool) -> list[str]:
    """Sentences explaining undefined or assumed capability values of one feature."""
    notes: list[str] = []
    n, lo, hi = row["n"], row["lsl"], row["usl"]
    if row["n_missing"]:
        notes.append(f"{row['n_missing']} reading(s) marked as not measured were left out.")
    if n == 0:
        notes.append("No readings for this feature: no statistics.")
        return notes
    if n == 1:
        notes.append("Only one reading: spread, capability indices and intervals are undefined.")
    elif sd_zero:
        notes.append("All readings are equal (no spread at the gauge resolution): capability indices, "
                     "intervals and the expected PPM are undefined.")
    if lo is None and hi is None:
        notes.append("No specification limits: capability indices and PPM are undefined.")
    elif lo is None or hi is None:
        side = "upper" if hi is not None else "lower"
        s = "u" if hi is not None else "l"
        notes.append(f"Only a{'n' if side == 'upper' else ''} {side} specification limit: Cp and Pp are undefined; "
                     f"Cpk = Cp{s} and Ppk = Pp{s}.")
    if row["target_source"] == "mid-tolerance":
        notes.append(f"Cpm target = mid-tolerance ({_fmt(row['target'], 8)}): "
                     + ("no nominal given." if row["nominal"] is None else "the nominal lies on or outside a limit."))
    elif row["target_source"] is None and (lo is not None or hi is not None) and n >= 2:
        notes.append("Cpm undefined: one-sided limit without a nominal inside the conforming side.")
    if n >= 1 and row["n_out_of_spec"] == n and (lo is not None or hi is not None):
        notes.append(f"All {n} readings are outside the specification.")
    if row["sigma_note"]:
        notes.append(row["sigma_note"])
    if n >= 2 and not sd_zero and row["sigma_within"] is None:
        notes.append("Within-subgroup sigma could not be estimated: Cp/Cpk and their intervals are undefined.")
    if n >= 2 and n < 25:
        notes.append(f"Only {n} readings: the index intervals are wide; read the lower bounds, not the point values.")
    return notes


def _interval(row: dict[str, Any], key: str) -> Interval | None:
    """``(low, high)`` of ``<key>_ci_low``/``<key>_ci_high`` in a capability row, None when undefined."""
    low = finite_or_none(row[f"{key}_ci_low"])
    return None if low is None else (low, finite_or_none(row[f"{key}_ci_high"]))


def compute(insp: Inspection, settings: Settings | None = None) -> list[FeatureStats]:
    """Statistics of every feature of an inspection, one typed result per feature.

    Parameters
    ----------
    insp : pilotqa.model.Inspection
        Canonical inspection (measurements + specs).
    settings : pilotqa.settings.Settings, optional
        ``sigma_within``, ``confidence``, ``alpha``, ``rules``, ``lot_effect_pct``, ``drift_pct``.

    Returns
    -------
    list of pilotqa.results.FeatureStats
        Spec order; every field documented there (``ppm_expected`` comes from the model the
        decision uses, see ``ppm_expected_model``). No NaN/Infinity: an undefined number is None
        with its reason in ``notes``. ``series`` holds the plotted arrays (time order).

    Raises
    ------
    pilotqa.errors.PolicyError
        Unknown ``sigma_within`` or a confidence/alpha outside (0, 1).

    Notes
    -----
    Formulas and references: :func:`capability_from_summary`, :func:`sigma_within_all`,
    :func:`normality`, :func:`capability_model`, :func:`resolution_all` and the stability, drift
    and lots modules. Undefined numbers are null with the reason in ``notes``. Go/no-go
    characteristics (``type = "attribute"``, :mod:`pilotqa.stats.attributes`) follow the
    measured ones.
    """
    settings = settings or Settings()
    _check_settings(settings)
    meas_all = insp.measurements
    specs = insp.specs
    meas = meas_all.filter(pl.col("value").is_not_null())

    # frame-level statistics of all features at once; the readings' shape (normality, the fits and
    # the capability model of each feature: the costliest part, mostly numpy) runs on a second
    # thread beside the other families (mostly polars), see :func:`concurrent`
    cap = capability_all(meas_all, specs, settings)
    cap_rows = list(cap.iter_rows(named=True))
    spec_rows = {r["feature"]: r for r in specs.iter_rows(named=True)}
    # the outer catch_warnings restores the warning filters once both threads are done: the
    # scipy/statsmodels calls silence their numeric warnings with catch_warnings, which is not
    # thread-safe (one thread's exit may restore what the other set), see pilotqa.threads
    with warnings.catch_warnings(), concurrent() as run:
        shape = run(_shape_step, meas, cap_rows, spec_rows, settings)
        res = resolution_all(meas, specs)
        sigma_map = {r["feature"]: r["sigma_within"] for r in cap_rows}
        stab = stability_all(meas, settings)
        drift = drift_all(meas, specs, sigma_map, settings)
        lots = lots_all(meas, specs, settings)
        # stream factors (--by and the recognised stream columns): the same analysis as the lots
        streams = streams_all(meas, specs, settings,
                              stream_factors(meas_all, settings.by, input_headings(insp.details),
                                             input_aliases(insp.details)))
        rows, values, norm, models = shape.result()
    res_rows = {r["feature"]: r for r in res.iter_rows(named=True)}
    shared = _SharedTexts()  # serials and lots shared by all features' series
    parts = _parts(meas, rows)
    return [
        _feature_stats(row, spec_rows[row["feature"]], parts.get(row["feature"]),
                       res_rows.get(row["feature"]), stab.get(row["feature"]), drift.get(row["feature"]),
                       lots.get(row["feature"]), settings, streams.get(row["feature"]), v, nd, shared, model)
        for row, v, nd, model in zip(cap_rows, values, norm, models)
    ] + attribute_features(insp, settings)  # go/no-go characteristics after the measured ones


def _parts(meas: pl.DataFrame, rows: dict[Any, pl.Series]) -> dict[Any, pl.DataFrame]:
    """Each feature's readings in time order (``rows``: :func:`time_rows`), without the columns
    no feature-level step reads (the feature itself, the timestamp): one gather of all rows, feature
    after feature, and a slice (no copy) per feature."""
    if not rows:
        return {}
    narrow = meas.drop("feature", "timestamp", strict=False)
    ordered = narrow[pl.concat(list(rows.values()))]
    out: dict[Any, pl.DataFrame] = {}
    start = 0
    for feature, idx in rows.items():
        out[feature] = ordered.slice(start, idx.len())
        start += idx.len()
    return out


def time_rows(meas: pl.DataFrame) -> dict[Any, pl.Series]:
    """The row numbers of each feature's readings in time order, by feature (features in the
    order of their first reading).

    Time order is the order of ``sort("sequence", "subgroup", "part_id", nulls_last=True,
    maintain_order=True)`` of the feature's readings in reading order, a
    stable sort: computed for all features at once (one ``group_by`` sorting row numbers; no
    sort where every feature's sequence numbers are whole numbers, none missing, strictly
    increasing in reading order — an export in reading order, :func:`_rows_in_reading_order`).
    Only the row numbers are held (4 bytes a reading), not a copy of the readings.
    """
    fast = _rows_in_reading_order(meas)
    if fast is not None:
        return fast
    rows = pl.col("_row").sort_by("sequence", "subgroup", "part_id", nulls_last=True, maintain_order=True)
    grouped = (meas.select("feature", "sequence", "subgroup", "part_id").with_row_index("_row")
               .group_by("feature", maintain_order=True).agg(rows))
    return dict(zip(grouped["feature"].to_list(), grouped["_row"]))


def _rows_in_reading_order(meas: pl.DataFrame) -> dict[Any, pl.Series] | None:
    """:func:`time_rows` when every feature's sequence numbers are whole numbers, none missing,
    strictly increasing in reading order (then time order is reading order), else None: the rows
    of each feature by one stable numpy argsort of the features' codes (reading order kept within
    a feature), features ordered by their first row."""
    seq_type = meas.schema.get("sequence")
    if (not meas.height or seq_type is None or not seq_type.is_integer() or meas["sequence"].null_count()
            or meas["feature"].null_count()):
        return None
    codes = meas["feature"].cast(pl.Categorical).to_physical().to_numpy()
    order = np.argsort(codes, kind="stable")
    grouped_codes = codes[order]
    seq = meas["sequence"].to_numpy()[order]
    same = grouped_codes[1:] == grouped_codes[:-1]
    if not bool(np.all(seq[1:][same] > seq[:-1][same])):
        return None
    groups = np.split(order.astype(np.uint32), np.flatnonzero(~same) + 1)
    groups.sort(key=lambda g: int(g[0]))  # features in the order of their first reading
    names = meas["feature"].gather([int(g[0]) for g in groups]).to_list()
    return {name: pl.Series("_row", g, dtype=pl.UInt32) for name, g in zip(names, groups)}


def _shape_step(meas: pl.DataFrame, cap_rows: list[dict[str, Any]], spec_rows: dict[str, dict[str, Any]],
                settings: Settings) -> tuple[dict[Any, pl.Series], list[NDArray[np.float64]],
                                             list[tuple[dict[str, Any], list[str]]],
                                             list[tuple[CapabilityModel | None, list[str]]]]:
    """Each feature's row numbers in time order (:func:`time_rows`) and readings, their
    normality, and the capability model the decision uses with its notes (:func:`_model_step`),
    for every feature (``cap_rows`` order). The Johnson SU / folded-normal fits
    of every feature that gets fitted run in one batch (:func:`lean_prefits`: the same numbers as
    :func:`capability_model` fitting each feature alone)."""
    rows = time_rows(meas)
    column = meas["value"].to_numpy()
    empty = np.array([], dtype=float)
    values = [column[rows[r["feature"]].to_numpy()].astype(float) if r["feature"] in rows else empty
              for r in cap_rows]
    norm = normality_all(values, settings.alpha)  # = [normality(v, settings.alpha) for v in values]
    prefits = lean_prefits([(v, bool(spec_rows[r["feature"]]["lower_bound_zero"]), nd[0])
                            for v, r, nd in zip(values, cap_rows, norm)])
    models: list[tuple[CapabilityModel | None, list[str]]] = []
    for v, row, nd, pre in zip(values, cap_rows, norm, prefits):
        notes: list[str] = []
        models.append((_model_step(v, row, spec_rows[row["feature"]], nd[0], settings, notes, pre), notes))
    return rows, values, norm, models


def _model_step(values: NDArray[np.float64], row: dict[str, Any], sp: dict[str, Any], norm_doc: dict[str, Any],
                settings: Settings, notes: list[str], prefit: dict[str, Any] | None = None) -> CapabilityModel | None:
    """The capability model the decision uses (normal theory or a fitted distribution)."""
    normal_idx = {k: row[k] for k in ("cp", "cpk", "pp", "ppk", "ppl", "ppu", "ppm_expected")}
    model_doc, model_notes = capability_model(
        values, sp["lsl"], sp["usl"], bool(sp["lower_bound_zero"]), norm_doc, normal_idx,
        settings.alpha, row["sigma_within_method"], settings.confidence, prefit,
    )
    notes += model_notes
    if model_doc is None:
        if int(row["n"]) >= 1:
            notes.append("No capability model: the readings have no spread.")
        return None
    return from_mapping(CapabilityModel, json_safe(model_doc), f"{row['feature']}: capability_model")


def _resolution_step(r: dict[str, Any] | None, normal: bool | None, notes: list[str]) -> Resolution | None:
    """The gauge-resolution result of one feature, with its notes."""
    if r is None:
        return None
    if r["note"]:
        notes.append(r["note"])
    if r["adequate"] is False and normal is False:
        notes.append("Normality tests react to readings rounded to a coarse gauge step; the rejection may "
                     "reflect the resolution rather than the process.")
    return Resolution(
        step=finite_or_none(r["step"]), pct_tolerance=finite_or_none(r["pct_tolerance"]),
        distinct_values=r["distinct_values"], adequate=r["adequate"], step_method=r["step_method"],
        tolerance=finite_or_none(r["tolerance"]),
    )


def _texts(col: pl.Series, canon: dict[str, str] | None = None) -> tuple[str, ...]:
    """``tuple(str(x) for x in col.to_list())``; a text column without nulls is already that.
    With ``canon`` (one dict shared by all features), equal texts are the same ``str`` object
    across features — a serial or lot measured on a thousand characteristics is held once, not
    a thousand times (the tuples are equal either way)."""
    if col.dtype == pl.Utf8 and col.null_count() == 0:
        texts = col.to_list()
        if canon is None:
            return tuple(texts)
        return tuple(map(canon.setdefault, texts, texts))
    return tuple(str(x) for x in col.to_list())


class _SharedTexts:
    """The serial and lot texts of every feature's series, shared across features: a column equal
    to the previous feature's (same dtype, values and nulls — a run where every part is measured
    on every characteristic) gets that feature's tuple itself; any other column gets a new tuple
    of shared ``str`` objects (:func:`_texts` with one dict). Tuples equal to ``_texts(col)``."""

    def __init__(self) -> None:
        self.canon: dict[str, str] = {}
        self._last: dict[str, tuple[pl.Series, tuple[str, ...]]] = {}

    def texts(self, col: pl.Series, key: str) -> tuple[str, ...]:
        prev = self._last.get(key)
        if prev is not None and prev[0].len() == col.len() and prev[0].equals(col, check_dtypes=True):
            return prev[1]
        out = _texts(col, self.canon)
        self._last[key] = (col, out)
        return out


def _series(part: pl.DataFrame | None, values: NDArray[np.float64], stab_series: dict[str, Any],
            shared: _SharedTexts | None = None) -> Series:
    """The plotted arrays of one feature (time order) and the serial of every reading (texts
    shared across features through ``shared``, :class:`_SharedTexts`)."""
    empty = np.array([], dtype=float)

    def chart(key: str) -> NDArray[np.float64]:
        return np.asarray(stab_series.get(key, empty), dtype=float)

    return Series(
        values=values.astype(float),
        sequence=part["sequence"].to_numpy() if part is not None else np.array([], dtype=np.int64),
        lot=(_texts(part["lot"]) if shared is None else shared.texts(part["lot"], "lot")) if part is not None else (),
        part_id=((_texts(part["part_id"]) if shared is None else shared.texts(part["part_id"], "part_id"))
                 if part is not None else ()),
        x_points=chart("x_points"), range_points=chart("range_points"), x_lcl=chart("x_lcl"),
        x_ucl=chart("x_ucl"), range_lcl=chart("range_lcl"), range_ucl=chart("range_ucl"),
    )


def _context_notes(n: int, part: pl.DataFrame | None, st: Any, lots_doc: dict[str, Any] | None,
                   model: CapabilityModel | None) -> list[str]:
    """Notes on analyses that could not run, and on a non-normal shape that may be a lot mixture."""
    notes: list[str] = []
    if st is None:
        notes.append("No control chart: no readings.")
    if lots_doc is None and n >= 1:
        n_lots = part["lot"].n_unique() if part is not None else 0
        notes.append(f"Lot-to-lot analysis needs at least 2 lots; {n_lots} lot(s) present." if n_lots < 2
                     else "Lot-to-lot analysis not possible for this feature (too few readings per lot).")
    if model is not None and model.decision_basis == "percentile" and lots_doc and lots_doc.get("significant"):
        notes.append("The lot means differ significantly: the non-normal shape may come from the lot-to-lot "
                     "shift, and the fitted model then describes the mixture of lots.")
    return notes


def _out_of_spec(part: pl.DataFrame | None, lsl: float | None, usl: float | None,
                 values: NDArray[np.float64] | None = None) -> tuple[OutOfSpec, ...]:
    """Every reading below LSL or above USL, by serial, in time order (the same comparison as
    ``n_out_of_spec`` in :func:`pilotqa.stats.capability.capability_all`); ``values``: the
    part's ``value`` column as a float array, when the caller has it."""
    if part is None or (lsl is None and usl is None):
        return ()
    v = part["value"].to_numpy() if values is None else values
    bad = np.zeros(v.shape[0], dtype=bool)
    if lsl is not None:
        bad |= v < lsl
    if usl is not None:
        bad |= (v > usl) | np.isnan(v)  # polars orders NaN above every number, as capability_all counts it
    idx = np.flatnonzero(bad)
    if not idx.size:
        return ()
    return tuple(
        OutOfSpec(part_id=str(pid), lot=None if lot is None else str(lot), value=float(x),
                  limit=float(lsl if lsl is not None and x < lsl else usl),  # type: ignore[arg-type]
                  side="lower" if lsl is not None and x < lsl else "upper")
        for pid, lot, x in zip(part["part_id"].gather(idx).to_list(), part["lot"].gather(idx).to_list(),
                               v[idx].tolist())
    )


def _serials(names: list[str]) -> str:
    """Serials of one chart point: one part, or a subgroup's parts as ``first … last (k parts)``."""
    if len(names) <= 3:
        return ", ".join(names)
    return f"{names[0]} … {names[-1]} ({len(names)} parts)"


class _Groups(Sequence[list[Any]]):
    """Subgroup serials built on demand: group i is ``ids[rows[starts[i]:ends[i]]]``."""

    def __init__(self, ids: pl.Series, rows: NDArray[np.int64], ends: list[int]) -> None:
        self._ids, self._rows, self._ends = ids, rows, ends
        self._starts = [0, *ends[:-1]]
        self._n = len(ends)
        self._values: list[Any] | None = None  # the serials as Python values, on first use
        self._rowlist: list[int] = []  # rows as a Python list, on first use

    def __len__(self) -> int:
        return self._n

    @typing.overload
    def __getitem__(self, i: int) -> list[Any]: ...

    @typing.overload
    def __getitem__(self, i: slice) -> Sequence[list[Any]]: ...

    def __getitem__(self, i: int | slice) -> list[Any] | Sequence[list[Any]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if not -self._n <= i < self._n:
            raise IndexError(i)
        i %= self._n
        if self._values is None:
            self._values = self._ids.to_list()
            self._rowlist = self._rows.tolist()
        values = self._values
        return [values[r] for r in self._rowlist[self._starts[i]:self._ends[i]]]


def _subgroup_serials(part: pl.DataFrame) -> Sequence[list[Any]]:
    """The serials of each subgroup (in reading order), subgroups ordered by their smallest
    sequence number, then by subgroup (missing last) — what ``group_by("subgroup")`` with
    ``min(sequence)`` and ``sort(["first", "subgroup"], nulls_last=True)`` gives, in one pass
    (without missing subgroups or sequence numbers, vectorised and each group's serials listed
    only when asked for)."""
    sub_col, seq_col = part["subgroup"], part["sequence"]
    if (sub_col.null_count() == 0 and seq_col.null_count() == 0 and sub_col.dtype.is_integer()
            and seq_col.dtype.is_integer() and part.height):
        sub, seq = sub_col.to_numpy(), seq_col.to_numpy()
        keys, inv = np.unique(sub, return_inverse=True)
        first_seq = np.full(keys.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_seq, inv, seq)
        rank = np.empty(keys.size, dtype=np.int64)
        rank[np.lexsort((keys, first_seq))] = np.arange(keys.size)  # by first sequence, then subgroup
        rows = np.argsort(rank[inv], kind="stable")  # reading order inside each subgroup
        ends = np.cumsum(np.bincount(rank[inv], minlength=keys.size)).tolist()
        return _Groups(part["part_id"].cast(pl.Utf8), rows, ends)
    ids = part["part_id"].cast(pl.Utf8).to_list()
    first: dict[Any, Any] = {}
    members: dict[Any, list[str | None]] = {}
    for sub, seq, pid in zip(part["subgroup"].to_list(), part["sequence"].to_list(), ids):
        if sub not in members:
            members[sub] = []
            first[sub] = None
        members[sub].append(pid)
        if seq is not None and (first[sub] is None or seq < first[sub]):
            first[sub] = seq
    order = sorted(members, key=lambda k: (first[k] is None, first[k] if first[k] is not None else 0,
                                           k is None, k if k is not None else 0))
    return [members[k] for k in order]


def _trace_violations(stab: Stability | None, part: pl.DataFrame | None, individuals: bool) -> Stability | None:
    """Give every run-rule signal the serial of its part and the 1-based point number the chart shows.

    Individuals: X point i is reading i; an MR point i is |x[i+1] − x[i]|, numbered and traced by
    its later reading (point i + 2). Subgroups: point i is the i-th subgroup in the order of its
    first sequence number (as :func:`pilotqa.stats.stability.stability_all` orders them).
    """
    if stab is None or part is None or not stab.violations:
        return stab
    ids: tuple[str, ...] = ()
    groups: Sequence[list[Any]] = ()
    if individuals:
        ids = _texts(part["part_id"])  # point i is reading i: its group is [ids[i]]
    else:
        groups = _subgroup_serials(part)
    n_ids, n_groups = len(ids), len(groups)
    out = []
    for v in stab.violations:
        pos = v.index + 1 if individuals and v.chart == "range" else v.index
        names: list[Any]
        if individuals:
            names = [ids[pos]] if 0 <= pos < n_ids else []
        else:
            names = groups[pos] if 0 <= pos < n_groups else []
        # dataclasses.replace(v, part_id=…, point=…) without its per-call field inspection
        out.append(type(v)(**{**v.__dict__, "part_id": _serials(names) if names else None, "point": pos + 1}))
    return dataclasses.replace(stab, violations=tuple(out))


def _feature_stats(row: dict[str, Any], sp: dict[str, Any], part: pl.DataFrame | None, res_row: dict[str, Any] | None,
                   st: Any, drift_doc: dict[str, Any] | None, lots_doc: dict[str, Any] | None,
                   settings: Settings, streams_doc: dict[str, dict[str, Any]] | None,
                   values: NDArray[np.float64], norm: tuple[dict[str, Any], list[str]],
                   shared: _SharedTexts | None,
                   model_step: tuple[CapabilityModel | None, list[str]]) -> FeatureStats:
    """Assemble one feature's typed statistics from the frame-level results and the readings'
    shape computed for all features at once by :func:`_shape_step` (``values``: its readings in
    time order; ``norm``: its :func:`normality` and notes; ``model_step``: the capability model
    the decision uses and its notes); ``shared``: the serial and lot texts shared by all
    features, :class:`_SharedTexts`."""
    feat = row["feature"]
    n = int(row["n"])
    sd_zero = n >= 2 and row["sigma_overall"] is not None and row["sigma_overall"] == 0.0
    notes = _capability_notes({**row, "nominal": sp["nominal"], "lsl": sp["lsl"], "usl": sp["usl"]}, sd_zero)
    norm_doc, norm_notes = norm
    notes += norm_notes
    model = model_step[0]
    notes += model_step[1]
    ppm_model: str | None
    if model is not None and model.decision_basis == "percentile":
        ppm_expected, ppm_model = model.ppm_expected, model.distribution
    else:
        ppm_expected, ppm_model = row["ppm_expected"], ("normal" if row["ppm_expected"] is not None else None)
    resolution = _resolution_step(res_row, norm_doc["normal"], notes)
    stab_doc, stab_series = (st if st is not None else (None, {}))
    notes += _context_notes(n, part, st, lots_doc, model)
    individuals = bool(row["individuals"]) if row["individuals"] is not None else True
    sigma_within = row["sigma_within"]
    streams = {factor: from_mapping(StreamEffect, json_safe(doc), f"{feat}: streams.{factor}")
               for factor, doc in (streams_doc or {}).items()}
    shifted = [factor for factor, s in streams.items() if s.significant]
    if model is not None and model.decision_basis == "percentile" and shifted:
        notes.append(f"The {' and '.join(shifted)} means differ significantly: the non-normal shape may come from "
                     "the shift between streams, and the fitted model then describes their mixture.")
    series = _series(part, values, stab_series, shared)
    if streams and part is not None:
        series = dataclasses.replace(series, streams={
            factor: tuple(None if v is None else str(v) for v in part[factor].to_list())
            for factor in streams if factor in part.columns})
    return FeatureStats(
        feature=feat,
        unit=sp["unit"],
        nominal=finite_or_none(sp["nominal"]),
        lsl=finite_or_none(sp["lsl"]),
        usl=finite_or_none(sp["usl"]),
        class_=sp["class"],
        lower_bound_zero=bool(sp["lower_bound_zero"]) if sp["lower_bound_zero"] is not None else False,
        n=n,
        n_missing=int(row["n_missing"]),
        n_out_of_spec=int(row["n_out_of_spec"]),
        n_subgroups=None if individuals else row["n_subgroups"],
        subgroup_size=None if individuals else row["subgroup_size"],
        mean=finite_or_none(row["mean"]),
        sigma_within=finite_or_none(sigma_within),
        sigma_within_method=row["sigma_within_method"] if sigma_within is not None else None,
        df_within=finite_or_none(row["df_within"]),
        sigma_overall=finite_or_none(row["sigma_overall"]),
        cp=finite_or_none(row["cp"]), cpl=finite_or_none(row["cpl"]), cpu=finite_or_none(row["cpu"]),
        cpk=finite_or_none(row["cpk"]), pp=finite_or_none(row["pp"]), ppl=finite_or_none(row["ppl"]),
        ppu=finite_or_none(row["ppu"]), ppk=finite_or_none(row["ppk"]), cpm=finite_or_none(row["cpm"]),
        target=finite_or_none(row["target"]),
        target_source=row["target_source"],
        cp_ci=_interval(row, "cp"), cpk_ci=_interval(row, "cpk"), pp_ci=_interval(row, "pp"),
        ppk_ci=_interval(row, "ppk"),
        confidence=settings.confidence,
        ppm_expected=finite_or_none(ppm_expected),
        ppm_expected_model=ppm_model,
        ppm_expected_normal=finite_or_none(row["ppm_expected"]),
        ppm_expected_within=finite_or_none(row["ppm_expected_within"]),
        ppm_observed=finite_or_none(row["ppm_observed"]),
        normality=from_mapping(Normality, json_safe(norm_doc), f"{feat}: normality"),
        capability_model=model,
        stability=_trace_violations(
            None if stab_doc is None else from_mapping(Stability, json_safe(stab_doc), f"{feat}: stability"),
            part, individuals),
        drift=None if drift_doc is None else from_mapping(Drift, json_safe(drift_doc), f"{feat}: drift"),
        resolution=resolution,
        lots=None if lots_doc is None else from_mapping(LotEffect, json_safe(lots_doc), f"{feat}: lots"),
        notes=tuple(notes),
        out_of_spec=_out_of_spec(part, finite_or_none(sp["lsl"]), finite_or_none(sp["usl"]), values),
        streams=streams,
        series=series,
    )
