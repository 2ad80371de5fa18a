"""Gauge-study statistics: crossed GR&R (ANOVA and average-and-range) and the Type 1 study.

Every number is a standard deviation σ (not a 6σ or 5.15σ spread); the study-variation
multiplier only enters the % of tolerance and is recorded with the result.

References
----------
* AIAG, *Measurement Systems Analysis* reference manual, 4th ed. (2010), ch. III §B
  ("Variable measurement system study – guidelines": average-and-range method, ANOVA method,
  acceptability: %GRR ≤ 10 % acceptable, 10–30 % may be acceptable, > 30 % not acceptable;
  ndc ≥ 5), and its Appendix C (K1, K2, K3 as 1/d2*).
* Burdick, Borror & Montgomery (2005), *Design and Analysis of Gauge R&R Studies*, ch. 3
  (two-factor random model, expected mean squares, MLS intervals — :mod:`pilotqa.msa.intervals`).
* Robert Bosch GmbH, *Booklet 10: Capability of Measurement and Test Processes* (2010), Type 1
  study (Cg, Cgk); VDA 5 (2010) §4; Minitab "Type 1 Gage Study" methods and formulas (Cg, Cgk,
  the bias t-test).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from pilotqa.errors import InsufficientDataError
from pilotqa.msa.intervals import chi2_interval, mls_interval
from pilotqa.stats.constants import d2, d3

__all__ = [
    "Criteria",
    "COMPONENTS",
    "range_constants",
    "anova_two_way",
    "grr_anova",
    "grr_range",
    "type1",
    "grr_verdict",
]

#: Keys of the standard deviations of a GR&R, in report order.
COMPONENTS: tuple[str, ...] = ("ev", "av", "interaction", "grr", "pv", "tv")

Verdict = Literal["acceptable", "conditional", "not_acceptable", "not_assessed"]


@dataclass(frozen=True)
class Criteria:
    """Settings and acceptance thresholds of a gauge study (all recorded in the JSON).

    Attributes
    ----------
    study_var : float
        Study-variation multiplier k (6 by default, AIAG 4th ed.; 5.15 in the 3rd ed.):
        % tolerance = 100·k·σ/T.
    pool_alpha : float
        The part × appraiser interaction is pooled into repeatability when its p-value exceeds
        this (AIAG 4th ed. ch. III §B uses 0.25; Minitab 0.05).
    confidence : float
        Two-sided level of the variance-component intervals.
    grr_accept, grr_reject : float
        %GRR ≤ grr_accept → acceptable; ≤ grr_reject → conditional; above → not acceptable.
    ndc_min : int
        Fewer distinct categories make the gauge not acceptable (AIAG: 5; 0 disables).
    basis : {"tolerance", "study_var"}
        Which %GRR the verdict uses; "tolerance" falls back to study variation (with a note)
        when the tolerance is unknown.
    type1_percent, type1_spread : float
        K (% of T) and L (σ multiple) of Cg = (K/100·T)/(L·s), Cgk = (K/200·T − |bias|)/(L/2·s)
        (Bosch booklet 10: K = 20, L = 6; the older 4s form: K = 15, L = 4).
    cg_min, cgk_min : float
        Cg, Cgk needed for "acceptable" (1.33).
    """

    study_var: float = 6.0
    pool_alpha: float = 0.25
    confidence: float = 0.95
    grr_accept: float = 10.0
    grr_reject: float = 30.0
    ndc_min: int = 5
    basis: Literal["tolerance", "study_var"] = "tolerance"
    type1_percent: float = 20.0
    type1_spread: float = 6.0
    cg_min: float = 1.33
    cgk_min: float = 1.33

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class AnovaTable:
    """Balanced two-way crossed ANOVA (parts × appraisers with replication)."""

    a: int
    p: int
    r: int
    ss: dict[str, float]
    df: dict[str, int]

    def ms(self, key: str) -> float:
        return self.ss[key] / self.df[key] if self.df[key] > 0 else float("nan")


def range_constants(appraisers: int, parts: int, trials: int) -> dict[str, float]:
    """AIAG MSA 4th ed. (Appendix C) constants of the average-and-range method.

    .. math::
        K_1 = 1/d_2(m{=}\\text{trials}),\\quad
        K_2 = 1/d_2^*(g{=}1, m{=}\\text{appraisers}),\\quad
        K_3 = 1/d_2^*(g{=}1, m{=}\\text{parts}),\\quad
        d_2^*(1, m) = \\sqrt{d_2(m)^2 + d_3(m)^2}

    K1 takes g = appraisers × parts as large (AIAG: "assumed to be greater than 15"), so d2*
    becomes d2. d2*(1, m) is the exact value of Duncan's d2* for one range (E[R²] = σ²(d2² + d3²)).
    Reproduces the printed table: K1 = 0.8862, 0.5908 (2, 3 trials); K2 = 0.7071, 0.5231
    (2, 3 appraisers); K3 = 0.7071 … 0.3146 (2 … 10 parts).

    >>> k = range_constants(3, 10, 3)
    >>> round(k["K1"], 4), round(k["K2"], 4), round(k["K3"], 4)
    (0.5908, 0.5231, 0.3146)
    """
    def d2star1(m: int) -> float:
        return math.sqrt(d2(m) ** 2 + d3(m) ** 2)

    return {"K1": 1.0 / d2(trials),
            "K2": 1.0 / d2star1(appraisers) if appraisers >= 2 else 0.0,
            "K3": 1.0 / d2star1(parts)}


def anova_two_way(data: NDArray[np.float64]) -> AnovaTable:
    """Sums of squares of the balanced crossed design y[appraiser, part, trial].

    .. math::
        SS_P = a r \\sum_j(\\bar y_{·j·} − \\bar y)^2,\\;
        SS_O = p r \\sum_i(\\bar y_{i··} − \\bar y)^2,\\;
        SS_{PO} = r \\sum_{ij}(\\bar y_{ij·} − \\bar y_{i··} − \\bar y_{·j·} + \\bar y)^2,\\;
        SS_E = \\sum_{ijk}(y_{ijk} − \\bar y_{ij·})^2

    with df p − 1, a − 1, (p − 1)(a − 1), a p (r − 1) (Montgomery, *Design and Analysis of
    Experiments*, 8th ed., §5.3; AIAG MSA 4th ed. Table III-B 5). Equal to statsmodels'
    ``anova_lm`` of ``value ~ C(part) * C(appraiser)`` (type I = type II for a balanced design;
    checked in ``tests/test_msa_stats.py``).
    """
    a, p, r = data.shape
    g = data.mean()
    cell = data.mean(axis=2)
    app = data.mean(axis=(1, 2))
    part = data.mean(axis=(0, 2))
    ss = {
        "part": float(a * r * ((part - g) ** 2).sum()),
        "appraiser": float(p * r * ((app - g) ** 2).sum()),
        "interaction": float(r * ((cell - app[:, None] - part[None, :] + g) ** 2).sum()),
        "repeatability": float(((data - cell[:, :, None]) ** 2).sum()),
        "total": float(((data - g) ** 2).sum()),
    }
    df = {"part": p - 1, "appraiser": a - 1, "interaction": (p - 1) * (a - 1),
          "repeatability": a * p * (r - 1), "total": a * p * r - 1}
    return AnovaTable(a, p, r, ss, df)


def _row(source: str, df: int, ss: float, ms: float | None, f: float | None,
         dfd: int | None) -> dict[str, Any]:
    p = float(sps.f.sf(f, df, dfd)) if f is not None and dfd and math.isfinite(f) else None
    return {"source": source, "df": df, "ss": ss, "ms": ms,
            "f": f if f is not None and math.isfinite(f) else None, "p": p}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


@dataclass(frozen=True)
class GrrResult:
    """A crossed GR&R's estimates (σ in measurement units; see :data:`COMPONENTS`)."""

    method: Literal["anova", "range"]
    sigma: dict[str, float | None]
    anova: list[dict[str, Any]] | None = None
    anova_pooled: list[dict[str, Any]] | None = None
    interaction_p: float | None = None
    interaction_pooled: bool | None = None
    intervals: dict[str, list[float] | None] = field(default_factory=dict)
    range_stats: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()


def grr_anova(data: NDArray[np.float64], criteria: Criteria = Criteria()) -> GrrResult:
    """Crossed GR&R by two-way random-effects ANOVA (AIAG MSA 4th ed. ch. III §B, ANOVA method).

    Expected mean squares of the model y = μ + P + O + PO + ε (all random; Burdick, Borror &
    Montgomery 2005 Table 3.2) give

    .. math::
        σ^2_E = MS_E,\\quad σ^2_{PO} = (MS_{PO} − MS_E)/r,\\quad
        σ^2_O = (MS_O − MS_{PO})/(p r),\\quad σ^2_P = (MS_P − MS_{PO})/(a r)

    EV = σ_E, AV = σ_O, INT = σ_PO, GRR = √(EV² + AV² + INT²), PV = σ_P, TV = √(GRR² + PV²).
    When the interaction's F = MS_PO/MS_E has p > ``criteria.pool_alpha`` (AIAG: 0.25) it is
    pooled: MS_E' = (SS_PO + SS_E)/(df_PO + df_E), σ²_O = (MS_O − MS_E')/(p r),
    σ²_P = (MS_P − MS_E')/(a r), INT = null. A negative estimate is set to zero (AIAG; noted).
    F tests of parts and appraisers use MS_PO (random model) or the pooled MS_E'. With one
    appraiser (Q-DAS Type 3) the model is one-way: parts and repeatability only, AV = 0.

    Intervals: repeatability by the chi-square interval, the others by the MLS method
    (:mod:`pilotqa.msa.intervals`), at ``criteria.confidence``; reported as σ (square roots).

    Validated against: AIAG MSA 4th ed. ANOVA example (EV 0.199933, AV 0.226838,
    GRR 0.302373, PV 1.042327, ndc 4) and Minitab's crossed gage R&R example on the same data
    (``tests/test_msa_stats.py``).

    Raises
    ------
    InsufficientDataError
        Fewer than 2 parts or 2 trials.
    """
    a, p, r = data.shape
    if p < 2 or r < 2:
        raise InsufficientDataError(f"a crossed GR&R needs at least 2 parts and 2 trials "
                                    f"(got {p} parts, {r} trials)", n=min(p, r), needed=2)
    t = anova_two_way(data)
    notes: list[str] = []
    ms_e, df_e = t.ms("repeatability"), t.df["repeatability"]
    ms_p, df_p = t.ms("part"), t.df["part"]
    conf = criteria.confidence
    intervals: dict[str, list[float] | None] = {}

    def sd(v: float, name: str) -> float:
        if v < 0:
            notes.append(f"the {name} variance estimate is negative ({v:.4g}); set to 0 (AIAG)")
            return 0.0
        return math.sqrt(v)

    def ci(est_lo_hi: tuple[float, float, float]) -> list[float]:
        return [math.sqrt(est_lo_hi[1]), math.sqrt(est_lo_hi[2])]

    lo, hi = chi2_interval(ms_e, df_e, conf)
    if a == 1:
        var_p = (ms_p - ms_e) / r
        sigma: dict[str, float | None] = {"ev": math.sqrt(ms_e), "av": 0.0,
                                          "interaction": None, "pv": sd(var_p, "part")}
        table = [_row("part", df_p, t.ss["part"], ms_p, _ratio(ms_p, ms_e), df_e),
                 _row("repeatability", df_e, t.ss["repeatability"], ms_e, None, None),
                 _row("total", t.df["total"], t.ss["total"], None, None, None)]
        intervals["ev"] = [math.sqrt(lo), math.sqrt(hi)]
        intervals["pv"] = ci(mls_interval([1 / r, -1 / r], [ms_p, ms_e], [df_p, df_e], conf))
        intervals["grr"] = intervals["ev"]
        intervals["tv"] = ci(mls_interval([1 / r, (r - 1) / r], [ms_p, ms_e], [df_p, df_e], conf))
        notes.append("one appraiser (Type 3 study): one-way ANOVA, AV = 0")
        grr = math.sqrt(ms_e)
        sigma["grr"] = grr
        sigma["tv"] = math.hypot(grr, sigma["pv"] or 0.0)
        sigma = {k: sigma[k] for k in COMPONENTS}
        return GrrResult("anova", sigma, table, None, None, None, intervals, None, tuple(notes))
    ms_o, df_o = t.ms("appraiser"), t.df["appraiser"]
    ms_po, df_po = t.ms("interaction"), t.df["interaction"]
    f_int = _ratio(ms_po, ms_e)
    p_int = float(sps.f.sf(f_int, df_po, df_e)) if f_int is not None else 1.0
    full = [_row("part", df_p, t.ss["part"], ms_p, _ratio(ms_p, ms_po), df_po),
            _row("appraiser", df_o, t.ss["appraiser"], ms_o, _ratio(ms_o, ms_po), df_po),
            _row("part_x_appraiser", df_po, t.ss["interaction"], ms_po, f_int, df_e),
            _row("repeatability", df_e, t.ss["repeatability"], ms_e, None, None),
            _row("total", t.df["total"], t.ss["total"], None, None, None)]
    pooled = p_int > criteria.pool_alpha
    reduced = None
    if pooled:
        df_e2 = df_po + df_e
        ms_e2 = (t.ss["interaction"] + t.ss["repeatability"]) / df_e2
        reduced = [_row("part", df_p, t.ss["part"], ms_p, _ratio(ms_p, ms_e2), df_e2),
                   _row("appraiser", df_o, t.ss["appraiser"], ms_o, _ratio(ms_o, ms_e2), df_e2),
                   _row("repeatability", df_e2, t.ss["interaction"] + t.ss["repeatability"],
                        ms_e2, None, None),
                   _row("total", t.df["total"], t.ss["total"], None, None, None)]
        notes.append(f"part × appraiser interaction not significant (p = {p_int:.4g} > "
                     f"{criteria.pool_alpha:g}): pooled into repeatability (AIAG)")
        var_e, var_o, var_p = ms_e2, (ms_o - ms_e2) / (p * r), (ms_p - ms_e2) / (a * r)
        sigma = {"ev": math.sqrt(var_e), "av": sd(var_o, "appraiser"), "interaction": None,
                 "pv": sd(var_p, "part")}
        lo, hi = chi2_interval(ms_e2, df_e2, conf)
        ms3, df3 = [ms_p, ms_o, ms_e2], [df_p, df_o, df_e2]
        intervals["ev"] = [math.sqrt(lo), math.sqrt(hi)]
        intervals["av"] = ci(mls_interval([0, 1 / (p * r), -1 / (p * r)], ms3, df3, conf))
        intervals["interaction"] = None
        intervals["grr"] = ci(mls_interval([0, 1 / (p * r), (p * r - 1) / (p * r)], ms3, df3,
                                           conf))
        intervals["pv"] = ci(mls_interval([1 / (a * r), 0, -1 / (a * r)], ms3, df3, conf))
        n = a * p * r
        intervals["tv"] = ci(mls_interval([1 / (a * r), 1 / (p * r),
                                           (n - a - p) / n], ms3, df3, conf))
    else:
        var_po = (ms_po - ms_e) / r
        var_o, var_p = (ms_o - ms_po) / (p * r), (ms_p - ms_po) / (a * r)
        sigma = {"ev": math.sqrt(ms_e), "av": sd(var_o, "appraiser"),
                 "interaction": sd(var_po, "part × appraiser interaction"),
                 "pv": sd(var_p, "part")}
        ms4, df4 = [ms_p, ms_o, ms_po, ms_e], [df_p, df_o, df_po, df_e]
        intervals["ev"] = [math.sqrt(lo), math.sqrt(hi)]
        intervals["av"] = ci(mls_interval([0, 1 / (p * r), -1 / (p * r), 0], ms4, df4, conf))
        intervals["interaction"] = ci(mls_interval([0, 0, 1 / r, -1 / r], ms4, df4, conf))
        intervals["grr"] = ci(mls_interval([0, 1 / (p * r), (p - 1) / (p * r),
                                            (r - 1) / r], ms4, df4, conf))
        intervals["pv"] = ci(mls_interval([1 / (a * r), 0, -1 / (a * r), 0], ms4, df4, conf))
        n = a * p * r
        intervals["tv"] = ci(mls_interval([1 / (a * r), 1 / (p * r), (a * p - a - p) / n,
                                           (r - 1) / r], ms4, df4, conf))
    grr = math.sqrt(sum((sigma[k] or 0.0) ** 2 for k in ("ev", "av", "interaction")))
    sigma["grr"] = grr
    sigma["tv"] = math.hypot(grr, sigma["pv"] or 0.0)
    sigma = {k: sigma[k] for k in COMPONENTS}
    return GrrResult("anova", sigma, full, reduced, p_int, pooled, intervals, None, tuple(notes))


def grr_range(data: NDArray[np.float64], criteria: Criteria = Criteria()) -> GrrResult:
    """Crossed GR&R by the average-and-range method (AIAG MSA 4th ed. ch. III §B, Figs III-B 15/16).

    .. math::
        EV = \\bar{\\bar R} K_1,\\quad
        AV = \\sqrt{(\\bar X_{DIFF} K_2)^2 − EV^2/(n r)},\\quad
        GRR = \\sqrt{EV^2 + AV^2},\\quad PV = R_p K_3,\\quad TV = \\sqrt{GRR^2 + PV^2}

    R̿ = mean of the ranges of each appraiser's trials on each part, X̄_DIFF = max − min of the
    appraiser averages, R_p = range of the part averages, n parts, r trials; K1, K2, K3 from
    :func:`range_constants`. AV is 0 when the square root's argument is negative (AIAG), and with
    one appraiser. No interaction term (``interaction`` null). The ranges above
    UCL_R = D4·R̿ (D4 = 1 + 3 d3/d2) are listed, as AIAG asks them to be investigated.

    Validated against: AIAG MSA 4th ed. GR&R report (R̿ 0.3417, X̄_DIFF 0.4447, R_p 3.511,
    EV 0.20188, AV 0.22963, GRR 0.30575, PV 1.10456, TV 1.14610, ndc 5).
    """
    a, p, r = data.shape
    if p < 2 or r < 2:
        raise InsufficientDataError(f"a crossed GR&R needs at least 2 parts and 2 trials "
                                    f"(got {p} parts, {r} trials)", n=min(p, r), needed=2)
    k = range_constants(a, p, r)
    ranges = data.max(axis=2) - data.min(axis=2)
    rbar = float(ranges.mean())
    app_means = data.mean(axis=(1, 2))
    xdiff = float(app_means.max() - app_means.min())
    rp = float(np.ptp(data.mean(axis=(0, 2))))
    ev = rbar * k["K1"]
    av2 = (xdiff * k["K2"]) ** 2 - ev ** 2 / (p * r)
    notes: list[str] = []
    if a >= 2 and av2 < 0:
        notes.append("(X̄_DIFF·K2)² < EV²/(n r): AV set to 0 (AIAG)")
    av = math.sqrt(av2) if a >= 2 and av2 > 0 else 0.0
    grr = math.hypot(ev, av)
    pv = rp * k["K3"]
    d4 = 1 + 3 * d3(r) / d2(r)
    ucl = d4 * rbar
    out = [{"appraiser": int(i), "part": int(j), "range": float(ranges[i, j])}
           for i, j in zip(*np.nonzero(ranges > ucl + 1e-12))]
    if out:
        notes.append(f"{len(out)} range(s) above UCL_R = D4·R̿ = {ucl:.4g}: AIAG asks for the "
                     "cause before the study is used")
    stats_ = {"rbar": rbar, "xdiff": xdiff, "rp": rp, **k, "d4": d4, "ucl_r": ucl,
              "ranges_above_ucl": out}
    sigma: dict[str, float | None] = {"ev": ev, "av": av, "interaction": None, "grr": grr,
                                      "pv": pv, "tv": math.hypot(grr, pv)}
    return GrrResult("range", sigma, None, None, None, None, {}, stats_, tuple(notes))


def percentages(sigma: dict[str, float | None], tolerance: float | None,
                study_var: float) -> dict[str, dict[str, float | None]]:
    """% study variation, % tolerance and % contribution of each component (AIAG 4th ed.).

    .. math::
        \\%SV_c = 100 σ_c/σ_{TV},\\quad \\%T_c = 100 k σ_c / T,\\quad
        \\%C_c = 100 σ_c^2/σ_{TV}^2
    """
    tv = sigma.get("tv") or 0.0
    out: dict[str, dict[str, float | None]] = {"pct_study_var": {}, "pct_tolerance": {},
                                               "pct_contribution": {}}
    for key in COMPONENTS:
        s = sigma.get(key)
        out["pct_study_var"][key] = 100 * s / tv if s is not None and tv > 0 else None
        out["pct_contribution"][key] = 100 * s * s / (tv * tv) if s is not None and tv > 0 else None
        out["pct_tolerance"][key] = (100 * study_var * s / tolerance
                                     if s is not None and tolerance else None)
    return out


def ndc(pv: float | None, grr: float | None) -> tuple[int | None, float | None]:
    """Number of distinct categories ⌊1.41·PV/GRR⌋ (AIAG MSA 4th ed. ch. III §B); None if GRR = 0.

    >>> n, x = ndc(1.042327, 0.302373)
    >>> n, round(x, 3)
    (4, 4.86)
    """
    if pv is None or not grr:
        return None, None
    x = 1.41 * pv / grr
    return int(math.floor(x + 1e-9)), x


def grr_verdict(pct: dict[str, dict[str, float | None]], n_categories: int | None,
                grr: float | None, criteria: Criteria) -> tuple[Verdict, str, list[str]]:
    """AIAG acceptability of a GR&R: (verdict, basis, reasons).

    %GRR ≤ ``grr_accept`` (10) acceptable, ≤ ``grr_reject`` (30) conditionally acceptable
    (AIAG: "may be acceptable depending on the importance of the application, cost of the
    measurement device, cost of repair …" — the reason must be recorded), above not acceptable;
    ndc < ``ndc_min`` (5) makes it not acceptable (AIAG 4th ed. ch. III §B).
    """
    reasons: list[str] = []
    basis = criteria.basis
    value = pct["pct_tolerance"]["grr"] if basis == "tolerance" else None
    if basis == "tolerance" and value is None:
        reasons.append("no tolerance known: %GRR judged against the study variation")
        basis = "study_var"
    if basis == "study_var":
        value = pct["pct_study_var"]["grr"]
    if value is None:
        return "not_assessed", basis, reasons + ["%GRR undefined (total variation is 0)"]
    label = "tolerance" if basis == "tolerance" else "study variation"
    verdict: Verdict
    if value <= criteria.grr_accept:
        verdict = "acceptable"
        reasons.append(f"%GRR = {value:.1f} % of {label} ≤ {criteria.grr_accept:g} %")
    elif value <= criteria.grr_reject:
        verdict = "conditional"
        reasons.append(f"%GRR = {value:.1f} % of {label} is between {criteria.grr_accept:g} % "
                       f"and {criteria.grr_reject:g} %: acceptable only with a recorded reason "
                       "(importance of the characteristic, cost of a better gauge)")
    else:
        verdict = "not_acceptable"
        reasons.append(f"%GRR = {value:.1f} % of {label} > {criteria.grr_reject:g} %")
    if criteria.ndc_min > 0:
        if n_categories is None:
            if grr == 0:
                reasons.append("GRR = 0: ndc unbounded")
        elif n_categories < criteria.ndc_min:
            verdict = "not_acceptable"
            reasons.append(f"ndc = {n_categories} < {criteria.ndc_min}: the gauge cannot "
                           "distinguish enough categories of parts")
    return verdict, basis, reasons


@dataclass(frozen=True)
class Type1Result:
    """A Type 1 study's statistics (see :func:`type1`)."""

    n: int
    mean: float
    sd: float
    reference: float | None
    tolerance: float | None
    bias: float | None
    bias_t: float | None
    bias_p: float | None
    cg: float | None
    cgk: float | None
    pct_var_repeatability: float | None
    pct_var_repeatability_bias: float | None
    verdict: Verdict
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()


def type1(values: NDArray[np.float64], reference: float | None, tolerance: float | None,
          criteria: Criteria = Criteria()) -> Type1Result:
    """Type 1 study of one reference part (Bosch booklet 10; VDA 5 §4; Minitab Type 1).

    .. math::
        \\text{bias} = \\bar x − x_{ref},\\quad t = \\text{bias}/(s/\\sqrt n)\\ (df = n − 1),

        C_g = \\frac{K/100 · T}{L · s},\\quad
        C_{gk} = \\frac{K/200 · T − |\\bar x − x_{ref}|}{L/2 · s}

    with K = ``criteria.type1_percent`` (20) and L = ``criteria.type1_spread`` (6), i.e.
    Cg = 0.2·T/(6·s), Cgk = (0.1·T − |bias|)/(3·s); s the sample standard deviation
    (ddof = 1). The bias t-test is :func:`scipy.stats.ttest_1samp` (two-sided).
    %Var(repeatability) = 100·L·s/(K/100·T) = 100/Cg and %Var(repeatability and bias)
    = 100/Cgk (Minitab). Acceptable when Cg ≥ ``cg_min`` and Cgk ≥ ``cgk_min`` (1.33).
    Without T the indices are null; without a reference the bias and Cgk are null; the
    verdict is then "not_assessed".

    Validated against: an independent hand calculation (``tests/test_msa_stats.py``); no
    published Type 1 example with its data was found.

    Examples
    --------
    >>> r = type1(np.array([10.001, 9.999, 10.002, 9.998, 10.000]), 10.0, 0.1)
    >>> round(r.cg, 3), round(r.cgk, 3), r.verdict
    (2.108, 2.108, 'acceptable')
    """
    x = np.asarray(values, dtype=float)
    n = int(x.size)
    if n < 2:
        raise InsufficientDataError(f"a Type 1 study needs at least 2 readings (got {n})",
                                    n=n, needed=2)
    mean, s = float(x.mean()), float(x.std(ddof=1))
    notes: list[str] = []
    if n < 25:
        notes.append(f"only {n} readings; Bosch booklet 10 asks for at least 25 (preferably 50)")
    bias = bias_t = bias_p = None
    if reference is not None:
        bias = mean - reference
        if s > 0:
            res = sps.ttest_1samp(x, reference)
            bias_t, bias_p = float(res.statistic), float(res.pvalue)
    k, ell = criteria.type1_percent / 100.0, criteria.type1_spread
    cg = cgk = None
    if tolerance and s > 0:
        cg = k * tolerance / (ell * s)
        if bias is not None:
            cgk = (k / 2 * tolerance - abs(bias)) / (ell / 2 * s)
    elif tolerance and s == 0:
        notes.append("all readings equal (s = 0): Cg and Cgk unbounded, reported as null")
    reasons: list[str] = []
    verdict: Verdict
    if cg is None or cgk is None:
        verdict = "not_assessed"
        if not tolerance:
            reasons.append("no tolerance (two limits or --tolerance) — Cg and Cgk need T")
        if reference is None:
            reasons.append("no reference value (--reference, a reference column or K2213) — "
                           "bias and Cgk need it")
        if tolerance and s == 0:
            reasons.append("s = 0")
    else:
        ok = cg >= criteria.cg_min and cgk >= criteria.cgk_min
        verdict = "acceptable" if ok else "not_acceptable"
        reasons.append(f"Cg = {cg:.2f} {'≥' if cg >= criteria.cg_min else '<'} "
                       f"{criteria.cg_min:g}, Cgk = {cgk:.2f} "
                       f"{'≥' if cgk >= criteria.cgk_min else '<'} {criteria.cgk_min:g}")
    return Type1Result(
        n=n, mean=mean, sd=s, reference=reference, tolerance=tolerance, bias=bias,
        bias_t=bias_t, bias_p=bias_p, cg=cg, cgk=cgk,
        pct_var_repeatability=100 / cg if cg else None,
        pct_var_repeatability_bias=100 / cgk if cgk and cgk > 0 else None,
        verdict=verdict, reasons=tuple(reasons), notes=tuple(notes))
