"""Control-chart and sigma-unbiasing constants (d2, d3, c4 and the chart factors built on them).

The table :data:`CONTROL_CONSTANTS` holds d2, d3 and c4 for subgroup sizes n = 2 … 25 as an
immutable mapping. The values are the defining integrals evaluated numerically (SciPy quadrature,
7 decimals); they agree to the printed precision (4 decimals) with the tables in Montgomery,
*Introduction to Statistical Quality Control* 8th ed., Appendix Table VI, ASTM MNL-7 (Manual on
Presentation of Data and Control Chart Analysis) and the AIAG SPC manual 2nd ed. Appendix E.
``tests/test_stats_constants.py`` re-derives them (c4 in closed form, d2 and d3 by integration).

Definitions (normal data, subgroup size n, Φ the standard normal cdf):

* d2(n) = E[R]/σ = ∫ 1 − (1 − Φ(x))ⁿ − Φ(x)ⁿ dx
* d3(n) = SD[R]/σ, from E[R²] = 2∬_{x<y} 1 − Φ(y)ⁿ − (1 − Φ(x))ⁿ + (Φ(y) − Φ(x))ⁿ dx dy
* c4(n) = E[s]/σ = √(2/(n−1)) · Γ(n/2) / Γ((n−1)/2)

For n > 25 :func:`d2` and :func:`d3` integrate on demand (cached); :func:`c4` is closed form for
every n ≥ 2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "ControlConstants",
    "CONTROL_CONSTANTS",
    "CONSTANTS_SOURCE",
    "c4",
    "d2",
    "d3",
    "d2_array",
    "d3_array",
    "sbar_df_factor",
    "D2_MR2",
    "D4_MEDIAN_MR2",
]

CONSTANTS_SOURCE = (
    "Defining integrals evaluated with SciPy quadrature; agree to 4 decimals with Montgomery, "
    "Introduction to Statistical Quality Control 8th ed., Appendix Table VI, ASTM MNL-7 and "
    "AIAG SPC manual 2nd ed., Appendix E."
)


@dataclass(frozen=True)
class ControlConstants:
    """d2, d3 and c4 for one subgroup size, and the chart factors derived from them.

    Attributes
    ----------
    n : int
        Subgroup size.
    d2, d3 : float
        Mean and standard deviation of the relative range R/σ.
    c4 : float
        Mean of the relative sample standard deviation s/σ.

    Notes
    -----
    Derived factors (AIAG SPC manual 2nd ed., Appendix E; Montgomery 8th ed., App. VI):
    A2 = 3/(d2√n), A3 = 3/(c4√n), D3 = max(0, 1 − 3d3/d2), D4 = 1 + 3d3/d2,
    B3 = max(0, 1 − 3√(1−c4²)/c4), B4 = 1 + 3√(1−c4²)/c4, E2 = 3/d2.
    """

    n: int
    d2: float
    d3: float
    c4: float

    @property
    def A2(self) -> float:  # noqa: N802 - textbook symbol
        return 3.0 / (self.d2 * math.sqrt(self.n))

    @property
    def A3(self) -> float:  # noqa: N802
        return 3.0 / (self.c4 * math.sqrt(self.n))

    @property
    def D3(self) -> float:  # noqa: N802
        return max(0.0, 1.0 - 3.0 * self.d3 / self.d2)

    @property
    def D4(self) -> float:  # noqa: N802
        return 1.0 + 3.0 * self.d3 / self.d2

    @property
    def B3(self) -> float:  # noqa: N802
        return max(0.0, 1.0 - 3.0 * math.sqrt(1.0 - self.c4**2) / self.c4)

    @property
    def B4(self) -> float:  # noqa: N802
        return 1.0 + 3.0 * math.sqrt(1.0 - self.c4**2) / self.c4

    @property
    def E2(self) -> float:  # noqa: N802
        return 3.0 / self.d2


# n: (d2, d3, c4) — see module docstring for the source.
_TABLE: dict[int, tuple[float, float, float]] = {
    2: (1.1283792, 0.8525025, 0.7978846),
    3: (1.6925688, 0.8883680, 0.8862269),
    4: (2.0587507, 0.8798082, 0.9213177),
    5: (2.3259289, 0.8640819, 0.9399856),
    6: (2.5344127, 0.8480397, 0.9515329),
    7: (2.7043568, 0.8332053, 0.9593688),
    8: (2.8472006, 0.8198315, 0.9650305),
    9: (2.9700263, 0.8078343, 0.9693107),
    10: (3.0775055, 0.7970507, 0.9726593),
    11: (3.1728727, 0.7873146, 0.9753501),
    12: (3.2584553, 0.7784783, 0.9775594),
    13: (3.3359804, 0.7704162, 0.9794056),
    14: (3.4067631, 0.7630231, 0.9809714),
    15: (3.4718269, 0.7562114, 0.9823162),
    16: (3.5319828, 0.7499081, 0.9834835),
    17: (3.5878840, 0.7440518, 0.9845064),
    18: (3.6400638, 0.7385909, 0.9854100),
    19: (3.6889630, 0.7334815, 0.9862141),
    20: (3.7349501, 0.7286863, 0.9869343),
    21: (3.7783358, 0.7241733, 0.9875829),
    22: (3.8193846, 0.7199148, 0.9881703),
    23: (3.8583234, 0.7158867, 0.9887045),
    24: (3.8953481, 0.7120682, 0.9891927),
    25: (3.9306292, 0.7084408, 0.9896404),
}

#: Immutable table n -> ControlConstants for n = 2 … 25.
CONTROL_CONSTANTS: Mapping[int, ControlConstants] = MappingProxyType(
    {n: ControlConstants(n, *v) for n, v in _TABLE.items()}
)

#: d2 for the span-2 moving range: σ̂ = MR̄ / 1.128 (AIAG SPC 2nd ed.; Montgomery 8th ed. §6.4).
D2_MR2: float = _TABLE[2][0]

#: Median moving range span 2: median|X₁−X₂|/σ = √2·Φ⁻¹(0.75) = 0.954 (Minitab's d4 for MR̃).
D4_MEDIAN_MR2: float = math.sqrt(2.0) * float(special.ndtri(0.75))  # Φ⁻¹ = scipy.stats.norm.ppf


def c4(n: ArrayLike) -> NDArray[np.float64]:
    """Unbiasing constant c4(n) = E[s]/σ for normal samples of size n (vectorised).

    Parameters
    ----------
    n : array_like of int or float
        Sample size(s); values < 2 give NaN.

    Returns
    -------
    numpy.ndarray of float
        c4 for each n (a 0-d array for scalar input; use ``float(c4(5))``).

    Notes
    -----
    .. math:: c_4(n) = \\sqrt{\\frac{2}{n-1}}\\,\\frac{\\Gamma(n/2)}{\\Gamma((n-1)/2)}

    evaluated through log-gamma so large n (pooled degrees of freedom in the thousands) are exact.

    Validated against: the printed table (Montgomery 8th ed., App. VI) to 4 decimals.

    References
    ----------
    Montgomery, *Introduction to Statistical Quality Control* 8th ed., §6.3 and App. VI;
    Minitab, "Methods and formulas — unbiasing constants c4()".

    Examples
    --------
    >>> round(float(c4(5)), 4)
    0.94
    """
    arr = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sqrt(2.0 / (arr - 1.0)) * np.exp(special.gammaln(arr / 2.0) - special.gammaln((arr - 1.0) / 2.0))
    return np.where(arr >= 2, out, np.nan)


@lru_cache(maxsize=256)
def _d2_integral(n: int) -> float:
    from scipy import integrate  # only for subgroups above the table (n > 25)

    def f(x: float) -> float:
        p = special.ndtr(x)
        return float(1.0 - (1.0 - p) ** n - p**n)

    return float(integrate.quad(f, -np.inf, np.inf, epsabs=1e-12, epsrel=1e-12)[0])


@lru_cache(maxsize=256)
def _d3_integral(n: int) -> float:
    from scipy import integrate

    phi = special.ndtr

    def f(y: float, x: float) -> float:
        return float(1.0 - phi(y) ** n - (1.0 - phi(x)) ** n + (phi(y) - phi(x)) ** n)

    # The integrand vanishes beyond ±9 (Φ(−9) ≈ 1e-19).
    er2 = 2.0 * integrate.dblquad(f, -9.0, 9.0, lambda x: x, lambda x: 9.0, epsabs=1e-9, epsrel=1e-9)[0]
    return float(math.sqrt(er2 - _d2_integral(n) ** 2))


def d2(n: int) -> float:
    """Mean relative range d2(n) = E[R]/σ of a normal sample of size n ≥ 2.

    Notes
    -----
    .. math:: d_2(n) = \\int_{-\\infty}^{\\infty} 1 - (1-\\Phi(x))^n - \\Phi(x)^n \\, dx

    Table value for n ≤ 25, numerical integration (cached) above.

    References
    ----------
    Montgomery 8th ed., App. VI; AIAG SPC manual 2nd ed., App. E.

    Examples
    --------
    >>> round(d2(2), 3)
    1.128
    """
    n = int(n)
    if n < 2:
        raise ValueError(f"d2 needs a subgroup size of at least 2, got {n}")
    return _TABLE[n][0] if n in _TABLE else _d2_integral(n)


def d3(n: int) -> float:
    """Standard deviation of the relative range, d3(n) = SD[R]/σ, normal sample of size n ≥ 2.

    References
    ----------
    Montgomery 8th ed., App. VI; AIAG SPC manual 2nd ed., App. E.

    Examples
    --------
    >>> round(d3(5), 3)
    0.864
    """
    n = int(n)
    if n < 2:
        raise ValueError(f"d3 needs a subgroup size of at least 2, got {n}")
    return _TABLE[n][1] if n in _TABLE else _d3_integral(n)


def d2_array(n: ArrayLike) -> NDArray[np.float64]:
    """Vectorised :func:`d2`; sizes < 2 give NaN."""
    arr = np.asarray(n, dtype=np.int64)
    out = np.full(arr.shape, np.nan)
    for v in np.unique(arr):
        if v >= 2:
            out[arr == v] = d2(int(v))
    return out


def d3_array(n: ArrayLike) -> NDArray[np.float64]:
    """Vectorised :func:`d3`; sizes < 2 give NaN."""
    arr = np.asarray(n, dtype=np.int64)
    out = np.full(arr.shape, np.nan)
    for v in np.unique(arr):
        if v >= 2:
            out[arr == v] = d3(int(v))
    return out


def sbar_df_factor(n: float) -> float:
    """Minitab's factor f_n in the degrees of freedom ν = f_n·k·(n − 1) of the S̄/c4 estimator.

    References
    ----------
    Minitab 21, "Methods and formulas for potential capability measures in Normal Capability
    Analysis — Cp confidence interval bounds" (table of f_n).

    Examples
    --------
    >>> sbar_df_factor(5)
    0.95
    """
    m = int(round(n))
    if m <= 2:
        return 0.88
    for upper, f in ((3, 0.92), (4, 0.94), (5, 0.95), (7, 0.96), (9, 0.97), (17, 0.98), (64, 0.99)):
        if m <= upper:
            return f
    return 1.0
