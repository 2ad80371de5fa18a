"""pilotqa statistics stage: every feature's capability, normality, stability, drift, resolution
and lot-to-lot statistics, assembled into its JSON object (``pilotqa.analysis/1``).

:func:`compute` is the stage's entry point (``Inspection`` + ``Settings`` → one
:class:`~pilotqa.model.FeatureResult` per feature, spec order). Per-feature statistics are computed
for all features at once by the frame-level functions of the submodules (polars ``group_by``);
Python loops only run around the scipy/statsmodels tests and fits.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from pilotqa.errors import PolicyError
from pilotqa.model import FeatureResult, Inspection
from pilotqa.settings import SIGMA_WITHIN_METHODS, Settings
from pilotqa.util import json_safe

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
    normality,
    percentile_indices,
)
from .resolution import resolution_all

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

_INDEX_KEYS = ("cp", "cpl", "cpu", "cpk", "pp", "ppl", "ppu", "ppk", "cpm")


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


def _optional_stage(module: str, func: str) -> Any:
    """Import a sibling stage lazily (they import this package's submodules themselves)."""
    import importlib

    try:
        mod = importlib.import_module(f"pilotqa.stats.{module}")
    except ModuleNotFoundError as exc:  # only a missing module itself, never an error inside it
        if exc.name != f"pilotqa.stats.{module}":
            raise
        return None
    return getattr(mod, func)


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


def compute(insp: Inspection, settings: Settings | None = None) -> list[FeatureResult]:
    """Statistics of every feature of an inspection, as JSON feature objects plus plot series.

    Parameters
    ----------
    insp : pilotqa.model.Inspection
        Canonical inspection (measurements + specs).
    settings : pilotqa.settings.Settings, optional
        ``sigma_within``, ``confidence``, ``alpha``, ``rules``, ``lot_effect_pct``, ``drift_pct``.

    Returns
    -------
    list of pilotqa.model.FeatureResult
        Spec order. ``doc`` keys: feature, unit, nominal, lsl, usl, class, lower_bound_zero, n,
        n_missing, n_out_of_spec, n_subgroups, subgroup_size, mean, sigma_within,
        sigma_within_method, df_within, sigma_overall, cp, cpl, cpu, cpk, pp, ppl, ppu, ppk, cpm,
        target, target_source, cp_ci, cpk_ci, pp_ci, ppk_ci ([low, high] or null), confidence,
        ppm_expected (from the model the decision uses, see ``ppm_expected_model``),
        ppm_expected_normal, ppm_expected_within, ppm_observed, normality, capability_model,
        stability, drift, resolution, lots, notes. All values JSON-safe (no NaN/Infinity).
        ``series``: values, sequence, lot (time order, nulls dropped), x_points, range_points.

    Raises
    ------
    pilotqa.errors.PolicyError
        Unknown ``sigma_within`` or a confidence/alpha outside (0, 1).

    Notes
    -----
    Formulas and references: :func:`capability_from_summary`, :func:`sigma_within_all`,
    :func:`normality`, :func:`capability_model`, :func:`resolution_all` and the stability, drift
    and lots modules. Undefined numbers are null with the reason in ``notes``.
    """
    settings = settings or Settings()
    _check_settings(settings)
    meas_all = insp.measurements
    specs = insp.specs
    meas = meas_all.filter(pl.col("value").is_not_null())

    cap = capability_all(meas_all, specs, settings)
    res = resolution_all(meas, specs)
    sigma_map = {r["feature"]: r["sigma_within"] for r in cap.select("feature", "sigma_within").iter_rows(named=True)}

    stab_fn = _optional_stage("stability", "stability_all")
    drift_fn = _optional_stage("drift", "drift_all")
    lots_fn = _optional_stage("lots", "lots_all")
    stab = stab_fn(meas, settings) if stab_fn else {}
    drift = drift_fn(meas, specs, sigma_map, settings) if drift_fn else {}
    lots = lots_fn(meas, specs, settings) if lots_fn else {}

    ordered = meas.sort("feature", "sequence", "subgroup", "part_id", nulls_last=True, maintain_order=True)
    parts = {k[0] if isinstance(k, tuple) else k: v for k, v in ordered.partition_by("feature", as_dict=True).items()}
    spec_rows = {r["feature"]: r for r in specs.iter_rows(named=True)}
    res_rows = {r["feature"]: r for r in res.iter_rows(named=True)}

    out: list[FeatureResult] = []
    for row in cap.iter_rows(named=True):
        feat = row["feature"]
        sp = spec_rows[feat]
        part = parts.get(feat)
        values = part["value"].to_numpy() if part is not None else np.array([], dtype=float)
        n = int(row["n"])
        sd_zero = n >= 2 and row["sigma_overall"] is not None and row["sigma_overall"] == 0.0
        notes = _capability_notes({**row, "nominal": sp["nominal"], "lsl": sp["lsl"], "usl": sp["usl"]}, sd_zero)

        norm_doc, norm_notes = normality(values, settings.alpha)
        notes += norm_notes
        normal_idx = {k: row[k] for k in ("cp", "cpk", "pp", "ppk", "ppl", "ppu", "ppm_expected")}
        model, model_notes = capability_model(
            values, sp["lsl"], sp["usl"], bool(sp["lower_bound_zero"]), norm_doc, normal_idx,
            settings.alpha, row["sigma_within_method"], settings.confidence,
        )
        notes += model_notes
        if model is None and n >= 1:
            notes.append("No capability model: the readings have no spread.")
        if model is not None and model["decision_basis"] == "percentile":
            ppm_expected, ppm_model = model["ppm_expected"], model["distribution"]
        else:
            ppm_expected, ppm_model = row["ppm_expected"], ("normal" if row["ppm_expected"] is not None else None)

        r = res_rows.get(feat)
        resolution = None
        if r is not None:
            resolution = {k: r[k] for k in ("step", "pct_tolerance", "distinct_values", "adequate", "step_method", "tolerance")}
            if r["note"]:
                notes.append(r["note"])
            if r["adequate"] is False and norm_doc["normal"] is False:
                notes.append("Normality tests react to readings rounded to a coarse gauge step; the rejection may "
                             "reflect the resolution rather than the process.")

        st = stab.get(feat) if stab_fn else None
        stab_doc, stab_series = (st if st is not None else (None, {}))
        if stab_fn is None:
            notes.append("Stability analysis not available in this build.")
        elif st is None:
            notes.append("No control chart: no readings.")
        drift_doc = drift.get(feat) if drift_fn else None
        if drift_fn is None:
            notes.append("Drift analysis not available in this build.")
        lots_doc = lots.get(feat) if lots_fn else None
        if lots_fn is None:
            notes.append("Lot-to-lot analysis not available in this build.")
        elif lots_doc is None and n >= 1:
            n_lots = part["lot"].n_unique() if part is not None else 0
            notes.append(f"Lot-to-lot analysis needs at least 2 lots; {n_lots} lot(s) present." if n_lots < 2
                         else "Lot-to-lot analysis not possible for this feature (too few readings per lot).")

        if (model is not None and model["decision_basis"] == "percentile" and isinstance(lots_doc, dict)
                and lots_doc.get("significant")):
            notes.append("The lot means differ significantly: the non-normal shape may come from the lot-to-lot "
                         "shift, and the fitted model then describes the mixture of lots.")
        individuals = bool(row["individuals"]) if row["individuals"] is not None else True
        sigma_within = row["sigma_within"]
        doc: dict[str, Any] = {
            "feature": feat,
            "unit": sp["unit"],
            "nominal": sp["nominal"],
            "lsl": sp["lsl"],
            "usl": sp["usl"],
            "class": sp["class"],
            "lower_bound_zero": bool(sp["lower_bound_zero"]) if sp["lower_bound_zero"] is not None else False,
            "n": n,
            "n_missing": int(row["n_missing"]),
            "n_out_of_spec": int(row["n_out_of_spec"]),
            "n_subgroups": None if individuals else row["n_subgroups"],
            "subgroup_size": None if individuals else row["subgroup_size"],
            "mean": row["mean"],
            "sigma_within": sigma_within,
            "sigma_within_method": row["sigma_within_method"] if sigma_within is not None else None,
            "df_within": row["df_within"],
            "sigma_overall": row["sigma_overall"],
            **{k: row[k] for k in _INDEX_KEYS},
            "target": row["target"],
            "target_source": row["target_source"],
            **{f"{k}_ci": ([row[f"{k}_ci_low"], row[f"{k}_ci_high"]] if row[f"{k}_ci_low"] is not None else None)
               for k in ("cp", "cpk", "pp", "ppk")},
            "confidence": settings.confidence,
            "ppm_expected": ppm_expected,
            "ppm_expected_model": ppm_model,
            "ppm_expected_normal": row["ppm_expected"],
            "ppm_expected_within": row["ppm_expected_within"],
            "ppm_observed": row["ppm_observed"],
            "normality": norm_doc,
            "capability_model": model,
            "stability": stab_doc,
            "drift": drift_doc,
            "resolution": resolution,
            "lots": lots_doc,
            "notes": notes,
        }
        series: dict[str, Any] = {
            "values": values.astype(float),
            "sequence": part["sequence"].to_numpy() if part is not None else np.array([], dtype=np.int64),
            "lot": part["lot"].to_list() if part is not None else [],
            "x_points": stab_series.get("x_points", np.array([], dtype=float)),
            "range_points": stab_series.get("range_points", np.array([], dtype=float)),
        }
        for k, v in stab_series.items():
            series.setdefault(k, v)
        out.append(FeatureResult(feature=feat, doc=json_safe(doc), series=series))
    return out
