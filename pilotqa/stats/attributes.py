"""Statistics of go/no-go (attribute) characteristics: counts, the observed nonconforming fraction,
an exact one-sided upper confidence bound on the process's nonconforming fraction, and the
zero-failure sample size that would demonstrate a requirement.

Typed result: an attribute characteristic is a :class:`~pilotqa.results.FeatureStats` with
``type = "attribute"`` (so readiness, the inspection plan and the report handle one kind of
object); its variable-only fields are None, and the attribute fields ``n_nonconforming``,
``fraction_nonconforming``, ``p_upper``, ``p_upper_confidence``, ``p_upper_method``,
``success_run`` and ``attribute_source`` are set. ``n_out_of_spec`` = ``n_nonconforming`` and
``out_of_spec`` lists the nonconforming parts by serial (value and limit null, ``side`` =
``"nonconforming"``, ``reading`` = the cell as written).

Formulas
    * observed fraction p̂ = x / n (x nonconforming among n parts checked).
    * one-sided Clopper–Pearson upper bound at confidence C:
      p_U = B⁻¹(C; x + 1, n − x), the C-quantile of the Beta(x + 1, n − x) distribution
      (``scipy.stats.beta.ppf``); for x = 0 it has the closed form p_U = 1 − (1 − C)^(1/n) (the
      success-run theorem: n conforming parts in a row demonstrate p ≤ p_U with confidence C);
      x = n gives p_U = 1. Clopper, C. J. & Pearson, E. S. (1934) "The use of confidence or
      fiducial limits illustrated in the case of the binomial", Biometrika 26(4) 404–413; NIST/
      SEMATECH e-Handbook of Statistical Methods §7.2.4.1 "Confidence intervals" (exact binomial
      limits). For x = 0 and C = 95 % p_U ≈ 3/n (the "rule of three", Hanley & Lippman-Hand
      1983, JAMA 249(13) 1743–1745).
    * zero-failure (success-run) sample size to demonstrate p ≤ p_max with confidence C:
      n = ⌈ln(1 − C) / ln(1 − p_max)⌉ (the smallest n with 1 − (1 − C)^(1/n) ≤ p_max).
      At C = 95 % and p_max = 1 % this is 299 (298 parts give 1 − 0.99²⁹⁸ = 0.94996 < 0.95;
      3/p = 300 by the rule of three).

Confidence: ``p_upper_confidence`` = (1 + ``settings.confidence``)/2, the same one-sided level as
the variables decision's lower capability bound (the lower limit of a two-sided 95 % interval is a
one-sided 97.5 % bound): default 0.975.
"""
from __future__ import annotations

import math

import numpy as np
import polars as pl

from pilotqa.model import Inspection
from pilotqa.results import FeatureStats, Normality, OutOfSpec, Series
from pilotqa.settings import Settings
from pilotqa.util import finite_or_none

__all__ = ["clopper_pearson_upper", "zero_failure_n", "one_sided_confidence", "success_run_statement",
           "attribute_features", "fmt_pct"]


def one_sided_confidence(settings: Settings) -> float:
    """One-sided level of the attribute bound: (1 + two-sided confidence)/2 (0.975 by default)."""
    return (1.0 + float(settings.confidence)) / 2.0


def clopper_pearson_upper(x: int, n: int, conf: float) -> float | None:
    """One-sided Clopper–Pearson upper confidence bound on a binomial proportion.

    p_U = B⁻¹(conf; x + 1, n − x) (``scipy.stats.beta.ppf``); x = 0: 1 − (1 − conf)^(1/n);
    x = n: 1. None when n = 0. Clopper & Pearson (1934) Biometrika 26(4); NIST e-Handbook
    §7.2.4.1.

    >>> round(clopper_pearson_upper(0, 150, 0.975), 4)
    0.0243
    >>> round(clopper_pearson_upper(0, 100, 0.95) * 100, 3)   # rule of three: ≈ 3/n
    2.951
    """
    if n <= 0:
        return None
    if not 0 <= x <= n:
        raise ValueError(f"x = {x} nonconforming out of n = {n}")
    if not 0.0 < conf < 1.0:
        raise ValueError(f"confidence {conf} outside (0, 1)")
    if x == n:
        return 1.0
    if x == 0:
        return float(1.0 - (1.0 - conf) ** (1.0 / n))
    from scipy.stats import beta

    return float(beta.ppf(conf, x + 1, n - x))


def zero_failure_n(p_max: float, conf: float) -> int:
    """Parts to check with none nonconforming to show p ≤ ``p_max`` with confidence ``conf``:
    n = ⌈ln(1 − conf) / ln(1 − p_max)⌉ (success-run theorem).

    >>> zero_failure_n(0.01, 0.95), zero_failure_n(0.01, 0.975), zero_failure_n(0.001, 0.975)
    (299, 368, 3688)
    """
    if not 0.0 < p_max < 1.0 or not 0.0 < conf < 1.0:
        raise ValueError("p_max and conf must lie in (0, 1)")
    n = math.ceil(math.log(1.0 - conf) / math.log1p(-p_max) - 1e-9)
    return max(1, n)


def fmt_pct(p: float) -> str:
    """A fraction as a percentage with two significant digits: 0.0243 → '2.4 %', 0.00051 → '0.051 %'."""
    v = p * 100.0
    if v == 0:
        return "0 %"
    if v >= 10:
        return f"{v:.0f} %"
    digits = max(0, 1 - int(math.floor(math.log10(abs(v)))))
    return f"{v:.{digits}f} %"


def success_run_statement(x: int, n: int, p_upper: float | None, conf: float) -> str:
    """'0 of 150 nonconforming: p ≤ 2.4 % with 97.5 % confidence'."""
    if p_upper is None:
        return "no parts checked: no bound on the nonconforming fraction"
    return f"{x} of {n} nonconforming: p ≤ {fmt_pct(p_upper)} with {conf * 100:g} % confidence"


def _stats(feature: str, cls: str | None, n: int, x: int, settings: Settings, out: tuple[OutOfSpec, ...],
           series: Series, source: str, notes: list[str]) -> FeatureStats:
    conf = one_sided_confidence(settings)
    pu = clopper_pearson_upper(x, n, conf)
    none = None
    return FeatureStats(
        feature=feature, unit=None, nominal=None, lsl=None, usl=None, class_=cls, lower_bound_zero=False,
        n=n, n_missing=0, n_out_of_spec=x, n_subgroups=None, subgroup_size=None, mean=None,
        sigma_within=None, sigma_within_method=None, df_within=None, sigma_overall=None,
        cp=none, cpl=none, cpu=none, cpk=none, pp=none, ppl=none, ppu=none, ppk=none, cpm=none,
        target=None, target_source=None, cp_ci=None, cpk_ci=None, pp_ci=None, ppk_ci=None,
        confidence=float(settings.confidence), ppm_expected=None, ppm_expected_model=None,
        ppm_expected_normal=None, ppm_expected_within=None,
        ppm_observed=finite_or_none(x / n * 1e6) if n else None,
        normality=Normality(ad_statistic=None, ad_p_value=None, sw_p_value=None, normal=None),
        capability_model=None, stability=None, drift=None, resolution=None, lots=None,
        notes=tuple(notes), type="attribute", out_of_spec=out,
        n_nonconforming=x, fraction_nonconforming=(x / n) if n else None,
        p_upper=finite_or_none(pu), p_upper_confidence=conf,
        p_upper_method=("one-sided Clopper-Pearson (exact binomial) upper bound, "
                        "beta.ppf(C, x+1, n-x); x = 0: 1-(1-C)^(1/n)"),
        success_run=success_run_statement(x, n, pu, conf), attribute_source=source,
        series=series,
    )


def _from_readings(g: pl.DataFrame, settings: Settings) -> list[FeatureStats]:
    out: list[FeatureStats] = []
    g = g.sort("feature", "sequence", "part_id", nulls_last=True, maintain_order=True)
    for feat in dict.fromkeys(g.sort("sequence", nulls_last=True, maintain_order=True)["feature"].to_list()):
        f = g.filter(pl.col("feature") == feat)
        n = f.height
        bad = f.filter(~pl.col("conforming"))
        x = bad.height
        cls = next((c for c in f["class"].to_list() if c), None)
        oos = tuple(OutOfSpec(part_id=str(r["part_id"]), lot=None if r["lot"] is None else str(r["lot"]),
                              value=None, limit=None, side="nonconforming", reading=r["raw"])
                    for r in bad.iter_rows(named=True))
        values = (~f["conforming"]).cast(pl.Float64).to_numpy()
        empty = np.array([], dtype=np.float64)
        series = Series(values=values, sequence=f["sequence"].fill_null(0).to_numpy().astype(np.int64),
                        lot=tuple(str(v) for v in f["lot"].to_list()),
                        part_id=tuple(str(v) for v in f["part_id"].to_list()),
                        x_points=empty, range_points=empty, x_lcl=empty, x_ucl=empty, range_lcl=empty,
                        range_ucl=empty)
        notes = [f"Go/no-go characteristic: {n} part{'s' if n != 1 else ''} checked, {x} nonconforming"
                 + (" (" + ", ".join(o.part_id for o in oos[:10]) + (" …" if x > 10 else "") + ")" if x else "")
                 + "; no capability indices (no measured values)."]
        out.append(_stats(feat, cls, n, x, settings, oos, series, "go/no-go readings per part", notes))
    return out


def _from_counts(a: pl.DataFrame, settings: Settings, taken: set[str]) -> list[FeatureStats]:
    out: list[FeatureStats] = []
    a = a.filter(pl.col("char_type").is_null() | (pl.col("char_type") == 1))
    for feat in dict.fromkeys(a["feature"].to_list()):
        if feat in taken:
            continue
        f = a.filter(pl.col("feature") == feat)
        usable = f.filter(pl.col("sample_size").is_not_null() & pl.col("nonconforming").is_not_null())
        n = int(usable["sample_size"].sum() or 0)
        x = int(usable["nonconforming"].sum() or 0)
        notes = [f"Attribute characteristic from sample counts (AQDEF K0020 inspected / K0021 "
                 f"nonconforming): {usable.height} sample{'s' if usable.height != 1 else ''}, {n} parts "
                 f"inspected, {x} nonconforming; the counts do not name the nonconforming parts."]
        if usable.height < f.height:
            notes.append(f"{f.height - usable.height} sample(s) without a sample size or a count were left out.")
        bad_rows = usable.filter(pl.col("nonconforming") > pl.col("sample_size"))
        if bad_rows.height:
            notes.append("a sample reports more nonconforming than inspected; its count was capped.")
            x = min(x, n)
        out.append(_stats(feat, None, n, min(x, n), settings, (), Series.empty(),
                          "sample counts (AQDEF K0020/K0021)", notes))
    return out


def attribute_features(insp: Inspection, settings: Settings | None = None) -> list[FeatureStats]:
    """Typed statistics of every attribute characteristic of ``insp``: the per-part go/no-go
    readings (:attr:`~pilotqa.model.Inspection.attribute_readings`, in order of first appearance),
    then the AQDEF attribute characteristics (K2004 = 1) given as sample counts (K0020 sample
    size, K0021 number nonconforming). AQDEF error-log characteristics (K2004 = 5/6 count
    *errors*, several per part possible) are not binomial data and are not analysed.
    """
    settings = settings or Settings()
    out: list[FeatureStats] = []
    g = insp.attribute_readings
    if g is not None and g.height:
        out += _from_readings(g, settings)
    if insp.attributes is not None and insp.attributes.height:
        out += _from_counts(insp.attributes, settings, {fs.feature for fs in out})
    return out
