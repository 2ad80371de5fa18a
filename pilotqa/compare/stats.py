"""Two-sample statistics of a before/after comparison: mean, spread, Ppk and multiplicity.

Every function has a summary-statistics core (n, mean, standard deviation) so it can be checked
against textbook examples that print only summaries, and the raw-data layer
(:func:`compare_samples`) computes those summaries and calls the cores. Differences are always
*after − before*; ratios are *after / before*.

All functions are pure (arrays in, frozen dataclasses or floats out); an undefined value is
``None``, never NaN.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "MeanChange",
    "SpreadChange",
    "PpkChange",
    "SampleComparison",
    "mean_change_from_summary",
    "spread_change_from_summary",
    "brown_forsythe",
    "ppk_normal",
    "ppk_variance_bissell",
    "ppk_change",
    "holm",
    "compare_samples",
]


def _fin(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


@dataclass(frozen=True)
class MeanChange:
    """Change in mean, after − before.

    diff : x̄_after − x̄_before (units of the readings).
    se : standard error of ``diff``.
    df : degrees of freedom (Welch–Satterthwaite, or n₁ + n₂ − 2 with ``equal_var``).
    t : test statistic diff / se.
    p : two-sided p-value of H0: equal means.
    ci_low, ci_high : two-sided ``confidence`` interval of ``diff``.
    pooled_sd : the pooled standard deviation (only with ``equal_var``; else None).
    """

    diff: float | None
    se: float | None
    df: float | None
    t: float | None
    p: float | None
    ci_low: float | None
    ci_high: float | None
    pooled_sd: float | None = None


def mean_change_from_summary(
    n_before: int, mean_before: float, sd_before: float,
    n_after: int, mean_after: float, sd_after: float,
    confidence: float = 0.95, *, equal_var: bool = False,
) -> MeanChange:
    """Welch's two-sample t-test (or Student's with ``equal_var``) and the interval of the change.

    Notes
    -----
    .. math::

        d = \\bar x_a - \\bar x_b,\\quad SE = \\sqrt{s_a^2/n_a + s_b^2/n_b},\\quad T = d/SE,

        \\nu = \\frac{(s_a^2/n_a + s_b^2/n_b)^2}{(s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)}

    and the interval :math:`d \\pm t_{1-\\alpha/2,\\nu}\\,SE`. With ``equal_var`` the pooled
    :math:`s_p^2 = ((n_a-1)s_a^2 + (n_b-1)s_b^2)/(n_a+n_b-2)`, :math:`SE = s_p\\sqrt{1/n_a+1/n_b}`
    and ν = n_a + n_b − 2. Welch's form is the default: a process change often changes the spread
    too, and Welch's test keeps its level when the variances differ. Assumes independent,
    approximately normal readings (the means are, by the central limit theorem, for pilot sizes).

    Validated against: NIST/SEMATECH e-Handbook §1.3.5.3 (AUTO83B.DAT, pooled T = −12.62059,
    s_p = 6.34260, ν = 326) and ``scipy.stats.ttest_ind`` (tests/test_compare_stats.py).

    References
    ----------
    NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.5.3 "Two-Sample t-Test for Equal
    Means"; Welch, B. L. (1947), *Biometrika* 34, 28–35.

    Examples
    --------
    >>> r = mean_change_from_summary(249, 20.14458, 6.41470, 79, 30.48101, 6.10771, equal_var=True)
    >>> round(r.t, 4), r.df
    (12.6206, 326.0)
    """
    na, nb = float(n_after), float(n_before)
    if na < 2 or nb < 2:
        return MeanChange(None, None, None, None, None, None, None)
    va, vb = float(sd_after) ** 2, float(sd_before) ** 2
    diff = float(mean_after) - float(mean_before)
    pooled: float | None = None
    if equal_var:
        df = na + nb - 2.0
        sp2 = ((na - 1) * va + (nb - 1) * vb) / df
        pooled = math.sqrt(sp2)
        se = pooled * math.sqrt(1.0 / na + 1.0 / nb)
    else:
        qa, qb = va / na, vb / nb
        se = math.sqrt(qa + qb)
        denom = qa**2 / (na - 1) + qb**2 / (nb - 1)
        df = (qa + qb) ** 2 / denom if denom > 0 else float("nan")
    if not se > 0 or not math.isfinite(df):
        # both samples constant: a difference is either certain or nothing
        return MeanChange(diff, 0.0, None, None, None if diff else 1.0, diff, diff, pooled)
    t = diff / se
    p = float(2.0 * stats.t.sf(abs(t), df))
    q = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    return MeanChange(diff, se, df, t, p, diff - q * se, diff + q * se, pooled)


@dataclass(frozen=True)
class SpreadChange:
    """Change in spread, after / before.

    ratio : s_after / s_before (σ ratio; < 1 = less spread after).
    ci_low, ci_high : two-sided ``confidence`` interval of σ_after/σ_before (F-based, normal data).
    f : s_after² / s_before²; df_after = n_after − 1, df_before = n_before − 1.
    f_p : two-sided p-value of the F test of equal variances (normal data).
    """

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    f: float | None
    df_after: int
    df_before: int
    f_p: float | None


def spread_change_from_summary(n_before: int, sd_before: float, n_after: int, sd_after: float,
                               confidence: float = 0.95) -> SpreadChange:
    """σ ratio with its F-based interval and the two-sided F test of equal variances.

    Notes
    -----
    With :math:`F = s_a^2/s_b^2` on (ν_a, ν_b) = (n_a − 1, n_b − 1) degrees of freedom, the
    interval of σ_a²/σ_b² is
    :math:`[F / F_{1-\\alpha/2;\\,\\nu_a,\\nu_b},\\ F / F_{\\alpha/2;\\,\\nu_a,\\nu_b}]`
    (quantiles of the F distribution), and the σ-ratio interval is its square root. The two-sided
    p-value is :math:`2\\min(P(F_{\\nu_a,\\nu_b} \\le F),\\,P(F_{\\nu_a,\\nu_b} \\ge F))`. Both are
    exact for normal data and sensitive to non-normality; the decision therefore uses the
    Brown–Forsythe test (:func:`brown_forsythe`) and this interval describes the size.

    Validated against: NIST/SEMATECH e-Handbook §1.3.5.9 (ceramic strength, two batches of 240:
    F = 1.123037, critical values 0.7756 and 1.2894) (tests/test_compare_stats.py).

    References
    ----------
    NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.5.9 "F-Test for Equality of Two
    Variances"; Montgomery, *Introduction to Statistical Quality Control*, 7th ed., §4.4.

    Examples
    --------
    >>> r = spread_change_from_summary(240, 61.85425, 240, 65.54909)
    >>> round(r.f, 6)
    1.123037
    """
    na, nb = int(n_after), int(n_before)
    if na < 2 or nb < 2 or not sd_before > 0:
        return SpreadChange(None, None, None, None, na - 1, nb - 1, None)
    ratio = float(sd_after) / float(sd_before)
    f = ratio * ratio  # (multiplication gives inf, ** would raise OverflowError)
    dfa, dfb = na - 1, nb - 1
    if not math.isfinite(f) or (0.0 < f < sys.float_info.min) or (f == 0.0 and sd_after > 0):
        # spreads hundreds of orders of magnitude apart: F overflows or underflows to a
        # subnormal; the ratio would be inf or 0 though both spreads are positive
        return SpreadChange(None, None, None, None, dfa, dfb, None)
    alpha = 1.0 - confidence
    lo_q = float(stats.f.ppf(alpha / 2.0, dfa, dfb))
    hi_q = float(stats.f.ppf(1.0 - alpha / 2.0, dfa, dfb))
    p = float(min(1.0, 2.0 * min(stats.f.cdf(f, dfa, dfb), stats.f.sf(f, dfa, dfb))))
    return SpreadChange(math.sqrt(f), math.sqrt(f / hi_q), math.sqrt(f / lo_q), f, dfa, dfb, p)


def brown_forsythe(before: ArrayLike, after: ArrayLike) -> tuple[float | None, float | None]:
    """Brown–Forsythe test of equal spread (Levene's test with the median as centre).

    Notes
    -----
    One-way ANOVA F on :math:`z_{ij} = |x_{ij} - \\tilde x_i|` (deviations from each sample's
    median); robust to non-normal and skewed data, which is why the comparison decides on it.
    Computed by ``scipy.stats.levene(center="median")``.

    Returns
    -------
    (W, p) : the statistic and its p-value; (None, None) with fewer than 2 readings on a side or
        no spread at all.

    References
    ----------
    Brown, M. B. & Forsythe, A. B. (1974), *JASA* 69, 364–367; NIST/SEMATECH e-Handbook §1.3.5.10.

    Examples
    --------
    >>> w, p = brown_forsythe([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 5.0, 7.0])
    >>> round(w, 4)     # |deviations| 1.5 .5 .5 1.5 and 3 1 1 3: F = (2/1) / (5/6)
    2.4
    """
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    if a.size < 2 or b.size < 2:
        return None, None
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return None, None
    with np.errstate(divide="ignore", invalid="ignore"):  # no within-group spread: undefined
        w, p = stats.levene(a, b, center="median")
    return _fin(w), _fin(p)


def ppk_normal(mean: float, sd: float, lsl: float | None, usl: float | None) -> float | None:
    """Normal-theory Ppk = min(USL − x̄, x̄ − LSL) / (3s); one-sided: the defined side.

    The same definition as the analysis (:func:`pilotqa.stats.capability.capability_from_summary`,
    s = overall sample standard deviation, n − 1 divisor).

    References
    ----------
    AIAG SPC manual 2nd ed., ch. IV; Montgomery 7th ed. §8.3.

    Examples
    --------
    >>> ppk_normal(50.0, 1.75, 38.0, 62.0) == 12.0 / 5.25
    True
    """
    if not (sd > 0 and math.isfinite(sd)) or (lsl is None and usl is None):
        return None
    sides = []
    if usl is not None:
        sides.append((usl - mean) / (3.0 * sd))
    if lsl is not None:
        sides.append((mean - lsl) / (3.0 * sd))
    return _fin(min(sides))


def ppk_variance_bissell(ppk: float, n: int) -> float:
    """Bissell's large-sample variance of an estimated Ppk: 1/(9n) + Ppk²/(2(n − 1)).

    References
    ----------
    Bissell, A. F. (1990), "How reliable is your capability index?", *Applied Statistics* 39(3),
    331–340 (the same approximation gives the analysis's ``ppk_ci``).

    Examples
    --------
    >>> round(ppk_variance_bissell(1.0, 50), 6)
    0.012426
    """
    try:
        return 1.0 / (9.0 * n) + ppk**2 / (2.0 * (n - 1))
    except OverflowError:  # an index of ~1e154 and beyond (no spread at all, to rounding)
        return math.inf


@dataclass(frozen=True)
class PpkChange:
    """Ppk of each side with its interval, and the change after − before with its interval."""

    before: float | None
    before_ci: tuple[float, float] | None
    after: float | None
    after_ci: tuple[float, float] | None
    diff: float | None
    diff_ci: tuple[float, float] | None


def ppk_change(ppk_before: float | None, n_before: int, ppk_after: float | None, n_after: int,
               confidence: float = 0.95) -> PpkChange:
    """Intervals of two independent Ppk estimates and of their difference (delta method).

    Notes
    -----
    Each side's interval is Bissell's :math:`\\hat P \\pm z_{1-\\alpha/2}\\sqrt{V}` with
    :math:`V = 1/(9n) + \\hat P^2/(2(n-1))` (:func:`ppk_variance_bissell`). The two runs are
    independent samples, so the variance of the difference is the sum and

    .. math:: \\hat P_a - \\hat P_b \\pm z_{1-\\alpha/2}\\sqrt{V_a + V_b}.

    Why the delta method and not a bootstrap: it is the same first-order approximation as the
    analysis's own ``ppk_ci`` (so the comparison and the two analyses agree), it is deterministic
    (no seed; the same files always give the same report), costs nothing for hundreds of
    characteristics, and for pilot sizes (n ≥ 30 per side) Bissell's variance is accurate for
    normal data (the coverage of this difference interval is checked by simulation in
    tests/test_compare_stats.py). A percentile bootstrap would be no more honest for
    non-normal data at these sizes (its coverage for min-type indices is poor in the tails) and
    would make the report depend on a random seed. The interval assumes approximately normal
    readings on both sides, like the normal-theory Ppk itself.

    References
    ----------
    Bissell (1990), *Applied Statistics* 39(3), 331–340; Kotz & Johnson, *Process Capability
    Indices* (1993), ch. 3 (variance of the estimated Cpk); Casella & Berger, *Statistical
    Inference* 2nd ed., §5.5.4 (delta method).

    Examples
    --------
    >>> r = ppk_change(1.0, 50, 1.5, 50)
    >>> round(r.diff, 3), [round(v, 3) for v in r.diff_ci]
    (0.5, [0.12, 0.88])
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))

    def ci(p: float | None, n: int) -> tuple[tuple[float, float] | None, float | None]:
        if p is None or n < 2:
            return None, None
        v = ppk_variance_bissell(p, n)
        if not math.isfinite(v):
            return None, None
        h = z * math.sqrt(v)
        return (p - h, p + h), v

    bci, vb = ci(ppk_before, n_before)
    aci, va = ci(ppk_after, n_after)
    if ppk_before is None or ppk_after is None or vb is None or va is None:
        return PpkChange(ppk_before, bci, ppk_after, aci, None, None)
    d = ppk_after - ppk_before
    h = z * math.sqrt(va + vb)
    if not (math.isfinite(d) and math.isfinite(h)):
        return PpkChange(ppk_before, bci, ppk_after, aci, None, None)
    return PpkChange(ppk_before, bci, ppk_after, aci, d, (d - h, d + h))


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (None stays None and is not counted).

    Notes
    -----
    Sort the m defined p-values ascending, :math:`p_{(1)} \\le … \\le p_{(m)}`; the adjusted value
    is :math:`\\tilde p_{(i)} = \\min(1, \\max_{j \\le i} (m - j + 1)\\,p_{(j)})`. Rejecting
    :math:`\\tilde p < \\alpha` controls the family-wise error rate at α for any dependence.

    Validated against: ``statsmodels.stats.multitest.multipletests(method="holm")``.

    References
    ----------
    Holm, S. (1979), "A simple sequentially rejective multiple test procedure", *Scandinavian
    Journal of Statistics* 6, 65–70.

    Examples
    --------
    >>> holm([0.01, None, 0.04, 0.03])
    [0.03, None, 0.06, 0.06]
    """
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    m = len(idx)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda k: pvalues[k])):  # type: ignore[arg-type,return-value]
        p = pvalues[i]
        assert p is not None
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = round(running, 15)
    return out


@dataclass(frozen=True)
class SampleComparison:
    """Everything :func:`compare_samples` computes for one characteristic."""

    n_before: int
    n_after: int
    mean_before: float | None
    mean_after: float | None
    sd_before: float | None
    sd_after: float | None
    mean: MeanChange
    spread: SpreadChange
    bf_statistic: float | None
    bf_p: float | None
    ppk: PpkChange


def _summary(x: np.ndarray) -> tuple[int, float | None, float | None]:
    n = int(x.size)
    mean = float(x.mean()) if n else None
    sd = float(x.std(ddof=1)) if n >= 2 else None
    return n, mean, sd


def compare_samples(before: ArrayLike, after: ArrayLike, *, lsl_before: float | None = None,
                    usl_before: float | None = None, lsl_after: float | None = None,
                    usl_after: float | None = None, confidence: float = 0.95) -> SampleComparison:
    """All comparison statistics of one characteristic from its readings (NaN readings dropped).

    Each side's Ppk uses that side's limits (an engineering change may change the spec).

    Examples
    --------
    >>> c = compare_samples([1.0, 2.0, 3.0, 2.0], [2.0, 3.0, 4.0, 3.0], lsl_before=0.0,
    ...                     usl_before=5.0, lsl_after=0.0, usl_after=5.0)
    >>> c.mean.diff, c.spread.ratio
    (1.0, 1.0)
    """
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    a = a[np.isfinite(a)]
    b = b[np.isfinite(b)]
    nb, mb, sb = _summary(a)
    na, ma, sa = _summary(b)
    if mb is None or ma is None or sb is None or sa is None:
        mean = MeanChange(None if mb is None or ma is None else ma - mb, None, None, None, None, None, None)
        spread = SpreadChange(None, None, None, None, max(na - 1, 0), max(nb - 1, 0), None)
        ppk = PpkChange(None, None, None, None, None, None)
        return SampleComparison(nb, na, mb, ma, sb, sa, mean, spread, None, None, ppk)
    mean = mean_change_from_summary(nb, mb, sb, na, ma, sa, confidence)
    spread = spread_change_from_summary(nb, sb, na, sa, confidence)
    w, p = brown_forsythe(a, b)
    ppk = ppk_change(ppk_normal(mb, sb, lsl_before, usl_before), nb,
                     ppk_normal(ma, sa, lsl_after, usl_after), na, confidence)
    return SampleComparison(nb, na, mb, ma, sb, sa, mean, spread, w, p, ppk)
