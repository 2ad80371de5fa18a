"""Control-chart constants: the stored table against independent derivations and printed tables."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import gammaln, ndtr

from pilotqa.stats.constants import (
    CONTROL_CONSTANTS,
    D2_MR2,
    D4_MEDIAN_MR2,
    ControlConstants,
    c4,
    d2,
    d2_array,
    d3,
    sbar_df_factor,
)


def _c4_closed(n: int) -> float:
    # c4(n) = sqrt(2/(n-1)) Γ(n/2)/Γ((n-1)/2)  (Montgomery 8th ed. §6.3), written independently.
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def _d2_quad(n: int) -> float:
    # d2(n) = ∫ 1 − (1−Φ)^n − Φ^n dx (definition of the mean relative range).
    return integrate.quad(lambda x: 1 - (1 - ndtr(x)) ** n - ndtr(x) ** n, -np.inf, np.inf, epsabs=1e-12)[0]


def _d3_quad(n: int) -> float:
    # E[R²] = 2∬_{x<y} 1 − Φ(y)^n − (1−Φ(x))^n + (Φ(y)−Φ(x))^n dx dy;  d3 = sqrt(E[R²] − d2²).
    f = lambda y, x: 1 - ndtr(y) ** n - (1 - ndtr(x)) ** n + (ndtr(y) - ndtr(x)) ** n  # noqa: E731
    er2 = 2 * integrate.dblquad(f, -9, 9, lambda x: x, lambda x: 9, epsabs=1e-9, epsrel=1e-9)[0]
    return math.sqrt(er2 - _d2_quad(n) ** 2)


def test_table_covers_2_to_25_and_is_immutable() -> None:
    assert sorted(CONTROL_CONSTANTS) == list(range(2, 26))
    with pytest.raises(TypeError):
        CONTROL_CONSTANTS[2] = ControlConstants(2, 1.0, 1.0, 1.0)  # type: ignore[index]
    with pytest.raises(AttributeError):
        CONTROL_CONSTANTS[2].d2 = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("n", range(2, 26))
def test_c4_table_equals_closed_form(n: int) -> None:
    # The table's c4 (7 decimals) against the closed form; the vectorised c4() as well.
    assert CONTROL_CONSTANTS[n].c4 == pytest.approx(_c4_closed(n), abs=5e-8)
    assert float(c4(n)) == pytest.approx(_c4_closed(n), rel=1e-12)


@pytest.mark.parametrize("n", range(2, 26))
def test_d2_table_equals_integral(n: int) -> None:
    assert CONTROL_CONSTANTS[n].d2 == pytest.approx(_d2_quad(n), abs=5e-8)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 17, 25])
def test_d3_table_equals_double_integral(n: int) -> None:
    assert CONTROL_CONSTANTS[n].d3 == pytest.approx(_d3_quad(n), abs=5e-7)


# Printed control-chart factors, n = 5 and n = 10, at the precision of Montgomery ISQC App. VI
# (3 decimals for d2, d3 and the chart factors; 4 for c4). The book's page was not seen in a
# public copy; the values are confirmed (4 decimals) in the R package SixSigma vignette "Shewhart
# Constants" (https://rdrr.io/cran/SixSigma/f/inst/doc/ShewhartConstants.pdf): n = 5: d2 2.3259,
# d3 0.8641, c4 0.9400, A2 0.5768, D4 2.1145, B4 2.0890; n = 10: d2 3.0775, d3 0.7971, c4 0.9727,
# A2 0.3083, D3 0.2230, D4 1.7770, B3 0.2837, B4 1.7163. A3 (not in that vignette) is the hand
# calculation 3/(c4·√n): 1.427 and 0.975.
@pytest.mark.parametrize(
    "n, d2_, d3_, c4_, a2, a3, d3f, d4f, b3, b4",
    [
        (5, 2.326, 0.864, 0.9400, 0.577, 1.427, 0.000, 2.114, 0.000, 2.089),
        (10, 3.078, 0.797, 0.9727, 0.308, 0.975, 0.223, 1.777, 0.284, 1.716),
    ],
)
def test_printed_table_values(n: int, d2_: float, d3_: float, c4_: float, a2: float, a3: float,
                              d3f: float, d4f: float, b3: float, b4: float) -> None:
    k = CONTROL_CONSTANTS[n]
    assert k.d2 == pytest.approx(d2_, abs=5e-4)
    assert k.d3 == pytest.approx(d3_, abs=5e-4)
    assert k.c4 == pytest.approx(c4_, abs=5e-5)
    for got, want in ((k.A2, a2), (k.A3, a3), (k.D3, d3f), (k.D4, d4f), (k.B3, b3), (k.B4, b4)):
        assert got == pytest.approx(want, abs=5e-4)


def test_moving_range_constants() -> None:
    # σ̂ = MR̄/1.128 for span-2 moving ranges: d2(2) = 2/√π = 1.1284 (definition; 1.1284 in the
    # SixSigma R vignette cited above, printed 1.128 in SPC tables -> abs 5e-4).
    assert D2_MR2 == pytest.approx(2 / math.sqrt(math.pi), abs=5e-8)
    assert D2_MR2 == pytest.approx(1.128, abs=5e-4)
    # Median moving range (span 2): median|X1 − X2|/σ = √2·Φ⁻¹(0.75) = 0.95387 (definition; the
    # value 0.954 for Minitab's "d4" constant was not re-checked against Minitab's page).
    assert D4_MEDIAN_MR2 == pytest.approx(math.sqrt(2) * stats.norm.ppf(0.75), rel=1e-9)
    assert D4_MEDIAN_MR2 == pytest.approx(0.954, abs=5e-4)


def test_d2_d3_match_sas_qc_functions() -> None:
    # SAS/QC documentation, D2 and D3 functions (accurate to ten decimals):
    # d2(5) = 2.3259289473, d3(5) = 0.8640819411
    # (https://support.sas.com/documentation/cdl/en/qcug/63964/HTML/default/qcug_functions_sect009.htm
    # and ..._sect010.htm). The table stores 7 decimals -> abs 5e-8.
    assert CONTROL_CONSTANTS[5].d2 == pytest.approx(2.3259289473, abs=5e-8)
    assert CONTROL_CONSTANTS[5].d3 == pytest.approx(0.8640819411, abs=5e-8)


def test_beyond_table_integrates() -> None:
    # n = 30 is outside the table: the functions integrate; check against the definitions.
    assert d2(30) == pytest.approx(_d2_quad(30), abs=1e-9)
    assert d3(30) == pytest.approx(_d3_quad(30), abs=1e-6)
    assert list(np.isnan(d2_array([1, 2]))) == [True, False]


def test_c4_large_n_and_invalid() -> None:
    # For large n, c4 ≈ 1 − 1/(4n) (Montgomery 8th ed. §6.3, approximation 4(n−1)/(4n−3)).
    n = 5000
    assert float(c4(n)) == pytest.approx(4 * (n - 1) / (4 * n - 3), abs=1e-8)
    assert math.isnan(float(c4(1)))
    assert float(c4(2)) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)
    assert np.exp(gammaln(0.5)) == pytest.approx(math.sqrt(math.pi))
    with pytest.raises(ValueError):
        d2(1)


# Minitab 21, "Methods and formulas for potential capability measures in Normal Capability
# Analysis", Cp confidence interval bounds, S̄ method ν = f_n·k·(n − 1), table of f_n: 2 0.88,
# 3 0.92, 4 0.94, 5 0.95, 6–7 0.96, 8–9 0.97, 10–17 0.98, 18–64 0.99, 65– 1.00 (confirmed at
# https://support.minitab.com/en-us/minitab/21/help-and-how-to/quality-and-process-improvement/capability-analysis/how-to/capability-analysis/normal-capability-analysis/methods-and-formulas/potential-capability/).
@pytest.mark.parametrize("n, f", [(2, 0.88), (3, 0.92), (4, 0.94), (5, 0.95), (6, 0.96), (7, 0.96),
                                  (8, 0.97), (9, 0.97), (10, 0.98), (17, 0.98), (18, 0.99), (64, 0.99), (65, 1.0)])
def test_sbar_df_factor(n: int, f: float) -> None:
    assert sbar_df_factor(n) == f
