"""Confidence intervals for variance components of a balanced crossed gauge study.

The modified large-sample (MLS) method for linear combinations of expected mean squares,
as tabulated for gauge R&R studies by Burdick, Borror & Montgomery (2005), *Design and Analysis
of Gauge R&R Studies*, ASA-SIAM, ch. 3 and Appendix B (the two-factor random model with and
without interaction), going back to Graybill & Wang (1980, JASA 75, 869–873: all coefficients
positive) and Ting, Burdick, Graybill, Jeyaratnam & Lu (1990, J. Stat. Comput. Simul. 35,
135–143: differences). The repeatability variance has the exact chi-square interval.

For γ = Σ_q c_q S²_q (S²_q a mean square with n_q degrees of freedom), with
G_q = 1 − n_q / χ²_{1−α/2; n_q} and H_q = n_q / χ²_{α/2; n_q} − 1:

* all c_q > 0 (Graybill–Wang):
  L = γ̂ − √(Σ G_q² c_q² S⁴_q),  U = γ̂ + √(Σ H_q² c_q² S⁴_q);
* positive terms P and negative terms R (Ting et al.):
  V_L = Σ_P G_p² c_p² S⁴_p + Σ_R H_r² c_r² S⁴_r + Σ_P Σ_R G_pr |c_p c_r| S²_p S²_r
  (+ Σ_{p<t ∈ P} G*_pt c_p c_t S²_p S²_t when P has two or more terms),
  V_U = Σ_P H_p² c_p² S⁴_p + Σ_R G_r² c_r² S⁴_r + Σ_P Σ_R H_pr |c_p c_r| S²_p S²_r,
  G_pr = [(F_{1−α/2; n_p, n_r} − 1)² − G_p² F²_{1−α/2} − H_r²] / F_{1−α/2},
  H_pr = [(1 − F_{α/2; n_p, n_r})² − H_p² F²_{α/2} − G_r²] / F_{α/2},
  G*_pt = [(1 − n_pt/χ²_{1−α/2; n_pt})² n_pt²/(n_p n_t) − G_p² n_p/n_t − G_t² n_t/n_p]/(|P| − 1),
  n_pt = n_p + n_t.

A lower bound below zero is reported as zero (a variance cannot be negative), as BBM do.
"""
from __future__ import annotations

import math
from typing import Sequence

from scipy import stats

__all__ = ["mls_interval", "chi2_interval"]


def chi2_interval(ms: float, df: float, confidence: float) -> tuple[float, float]:
    """Exact interval for σ² estimated by a mean square with ``df`` degrees of freedom.

    .. math:: [\\, df·S^2/χ^2_{1−α/2; df},\\; df·S^2/χ^2_{α/2; df} \\,]

    Reference: Burdick, Borror & Montgomery (2005) eq. (2.10); any text on the chi-square
    interval for a normal variance.

    >>> lo, hi = chi2_interval(1.0, 10, 0.95)
    >>> round(lo, 4), round(hi, 4)
    (0.4882, 3.0798)
    """
    alpha = 1.0 - confidence
    return (df * ms / float(stats.chi2.ppf(1 - alpha / 2, df)),
            df * ms / float(stats.chi2.ppf(alpha / 2, df)))


def _g(n: float, alpha: float) -> float:
    return 1.0 - n / float(stats.chi2.ppf(1 - alpha / 2, n))


def _h(n: float, alpha: float) -> float:
    return n / float(stats.chi2.ppf(alpha / 2, n)) - 1.0


def mls_interval(coefs: Sequence[float], ms: Sequence[float], dfs: Sequence[float],
                 confidence: float = 0.95) -> tuple[float, float, float]:
    """MLS interval of γ = Σ c_q S²_q (formulas in the module docstring).

    Parameters
    ----------
    coefs, ms, dfs : sequences of float
        Coefficients c_q (any sign, zeros ignored), mean squares S²_q and their degrees of
        freedom n_q.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (estimate, lower, upper) : the point estimate γ̂ (may be negative) and the interval, its
    lower end clipped at zero.

    Examples
    --------
    A single mean square reproduces the exact chi-square interval:

    >>> est, lo, hi = mls_interval([1.0], [1.0], [10], 0.95)
    >>> round(lo, 4), round(hi, 4)
    (0.4882, 3.0798)
    """
    alpha = 1.0 - confidence
    terms = [(c, s, n) for c, s, n in zip(coefs, ms, dfs) if c != 0.0]
    est = sum(c * s for c, s, _ in terms)
    pos = [(c, s, n) for c, s, n in terms if c > 0]
    neg = [(-c, s, n) for c, s, n in terms if c < 0]
    vl = sum((_g(n, alpha) * c * s) ** 2 for c, s, n in pos)
    vu = sum((_h(n, alpha) * c * s) ** 2 for c, s, n in pos)
    vl += sum((_h(n, alpha) * c * s) ** 2 for c, s, n in neg)
    vu += sum((_g(n, alpha) * c * s) ** 2 for c, s, n in neg)
    for cp, sp, n_p in pos:
        gp, hp = _g(n_p, alpha), _h(n_p, alpha)
        for cr, sr, n_r in neg:
            gr, hr = _g(n_r, alpha), _h(n_r, alpha)
            f_hi = float(stats.f.ppf(1 - alpha / 2, n_p, n_r))
            f_lo = float(stats.f.ppf(alpha / 2, n_p, n_r))
            g_pr = ((f_hi - 1) ** 2 - gp ** 2 * f_hi ** 2 - hr ** 2) / f_hi
            h_pr = ((1 - f_lo) ** 2 - hp ** 2 * f_lo ** 2 - gr ** 2) / f_lo
            vl += g_pr * cp * cr * sp * sr
            vu += h_pr * cp * cr * sp * sr
    if neg and len(pos) >= 2:
        for i, (cp, sp, n_p) in enumerate(pos):
            for ct, st, n_t in pos[i + 1:]:
                n_pt = n_p + n_t
                g_pt = _g(n_pt, alpha)
                g_star = ((g_pt ** 2) * n_pt ** 2 / (n_p * n_t) - _g(n_p, alpha) ** 2 * n_p / n_t
                          - _g(n_t, alpha) ** 2 * n_t / n_p) / (len(pos) - 1)
                vl += g_star * cp * ct * sp * st
    lower = max(0.0, est - math.sqrt(max(vl, 0.0)))
    upper = max(0.0, est + math.sqrt(max(vu, 0.0)))
    return est, lower, upper
