"""Normality tests, maximum-likelihood distribution fits and ISO 22514-2 percentile indices.

* :func:`normality` — Anderson–Darling (statistic, p-value; normal with estimated parameters)
  and Shapiro–Wilk p-value.
* :func:`fit_candidates` — ML fits of normal, lognormal, Weibull, gamma, half-normal, folded
  normal and Johnson SU (scipy.stats), ranked by AIC.
* :func:`percentile_indices` — Pp, Ppl, Ppu, Ppk and expected PPM of a fitted model by the
  ISO 22514-2 percentile method.
* :func:`percentile_ppk_interval` — confidence interval of the percentile Ppk of a fitted model
  (delta method on the ML estimates).
* :func:`capability_model` — the per-feature choice between the normal-theory indices and the
  percentile indices of the best fitted model, with the reason.

Why AIC and not the AD statistic for the choice: AIC = 2k − 2 ln L is comparable across families
with different numbers of parameters, whereas the AD statistic of the fitted model rewards the
most flexible family (a 4-parameter Johnson SU almost always has the smallest AD), and AD
p-values for fitted non-normal families would need family-specific critical values. The AD
statistic of every candidate is still reported for inspection.
"""
from __future__ import annotations

import bisect
import math
import warnings
from dataclasses import dataclass, field
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr as _ndtr

from pilotqa.util import finite_or_none as _f

__all__ = [
    "FitResult",
    "normality",
    "normality_all",
    "ad_statistic",
    "fit_candidates",
    "percentile_indices",
    "percentile_ppk_interval",
    "capability_model",
    "fits_wanted",
    "lean_prefits",
    "MIN_N_AD",
    "MIN_N_FIT",
    "AIC_MARGIN",
    "ALPHA_SWITCH",
    "MIN_N_BY_PARAMS",
    "ALTERNATIVES_AIC_WINDOW",
    "P_LOW",
    "P_HIGH",
]

#: Smallest sample for the Anderson–Darling p-value approximation (D'Agostino & Stephens 1986).
MIN_N_AD: int = 8
#: Smallest sample for which distributions are fitted (fewer readings cannot pin a tail).
MIN_N_FIT: int = 10
#: A non-normal model must beat the normal one by at least this much AIC to be used (models
#: within 2 AIC units have substantial support: Burnham & Anderson 2002, §2.6).
AIC_MARGIN: float = 2.0
#: --- guards of the non-normal path (issue 13: a fitted model must not invent tails) ---
#: A characteristic without a natural bound (not bounded at zero) leaves the normal model only
#: when normality is *strongly* rejected: AD p below this level (not just below α). At α = 0.05
#: one normal pilot in twenty is rejected by chance and a flexible model then fits the noise.
ALPHA_SWITCH: float = 0.01
#: Smallest sample for fitting a family with this many free parameters (1 … 4). A 3-parameter
#: (threshold) model needs 50 readings, the 4-parameter Johnson SU 200: below that its tails are
#: extrapolated from a handful of extreme readings (ISO 22514-2 asks for enough data to identify
#: the distribution; pilotqa's choice of numbers, measured in docs/decision-quality.md).
MIN_N_BY_PARAMS: dict[int, int] = {1: 10, 2: 30, 3: 50, 4: 200}
#: A fitted model's Ppk interval wider than this multiple of the normal-theory (Bissell) interval
#: of the same Ppk and n, or a 0.135–99.865 % range beyond this multiple of the data's ±3s (or
#: below its inverse), gets a note: the tails are extrapolated beyond what n readings support.
WIDE_FACTOR: float = 2.0
SPREAD_FACTOR: float = 1.5
#: Candidates within this AIC distance of the best model are reported as ``alternatives`` with
#: their percentile Ppk and interval (the decision's policy chooses how many of them to heed).
ALTERNATIVES_AIC_WINDOW: float = 10.0
#: ISO 22514-2 percentile points (the ±3σ points of a normal distribution).
#: Φ(∓3) by ``scipy.special.ndtr``, the function ``scipy.stats.norm.cdf`` evaluates (the same
#: numbers, tested), so importing this module does not import ``scipy.stats``.
P_LOW: float = float(_ndtr(-3.0))  # 0.00135
P_HIGH: float = float(_ndtr(3.0))  # 0.99865


def _dist(name: str) -> Any:
    """The ``scipy.stats`` distribution ``name`` (scipy.stats is imported on first use: it is a
    large share of the command's start-up time)."""
    from scipy import stats

    return getattr(stats, name)


def normality(values: ArrayLike, alpha: float = 0.05) -> tuple[dict[str, Any], list[str]]:
    """Anderson–Darling and Shapiro–Wilk tests of normality (parameters estimated).

    Parameters
    ----------
    values : array_like
        Readings (no nulls).
    alpha : float
        Significance level; ``normal`` is False when the AD p-value is below it.

    Returns
    -------
    (doc, notes)
        ``doc`` = {``ad_statistic`` (A², unadjusted, as Minitab prints it), ``ad_p_value``,
        ``sw_p_value``, ``normal`` (bool or None)}; ``notes`` explains any null.

    Notes
    -----
    .. math:: A^2 = -n - \\frac{1}{n}\\sum_{i=1}^{n}(2i-1)\\left[\\ln\\Phi(z_{(i)}) +
              \\ln\\left(1-\\Phi(z_{(n+1-i)})\\right)\\right], \\quad z = (x-\\bar x)/s

    The p-value uses the modified statistic A²(1 + 0.75/n + 2.25/n²) and the piecewise formula of
    D'Agostino & Stephens (1986), as ``statsmodels.stats.diagnostic.normal_ad`` implements it
    (n ≥ 8; computed by :func:`_normal_ad`, the same operations). Shapiro–Wilk by
    ``scipy.stats.shapiro`` (Royston's algorithm, n ≥ 3). When AD is not
    available ``normal`` falls back to the Shapiro–Wilk p-value. Both tests are sensitive to
    readings rounded to a coarse gauge resolution (many ties).

    Validated against: the defining sum of the AD statistic and ``scipy.stats.anderson``
    (tests/test_stats_distributions.py).

    References
    ----------
    Anderson & Darling (1954), *JASA* 49, 765–769; D'Agostino & Stephens (1986), *Goodness-of-Fit
    Techniques*, Table 4.9; Shapiro & Wilk (1965), *Biometrika* 52; NIST/SEMATECH e-Handbook
    §1.3.5.14 and §7.2.1.3.

    Examples
    --------
    >>> doc, notes = normality([9.8, 10.1, 10.0, 9.9, 10.2, 10.0, 9.7, 10.3, 10.1, 9.9])
    >>> doc["normal"]
    True
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    doc: dict[str, Any] = {"ad_statistic": None, "ad_p_value": None, "sw_p_value": None, "normal": None}
    notes: list[str] = []
    if n < 3:
        notes.append(f"Normality not tested: {n} reading(s), at least 3 needed.")
        return doc, notes
    if np.ptp(x) == 0:
        notes.append("Normality not tested: all readings are equal.")
        return doc, notes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from scipy.stats import shapiro

        sw = shapiro(x)
    doc["sw_p_value"] = _f(sw.pvalue)
    if n > 5000:
        notes.append("Shapiro–Wilk p-value is approximate for more than 5000 readings.")
    if n >= MIN_N_AD:
        a2, p = _normal_ad(x)
        doc["ad_statistic"] = _f(a2)
        doc["ad_p_value"] = _f(p)
        if doc["ad_p_value"] is not None:
            doc["normal"] = bool(doc["ad_p_value"] >= alpha)
    else:
        notes.append(f"Anderson–Darling p-value not computed for n = {n} < {MIN_N_AD}; normality judged by Shapiro–Wilk.")
    if doc["normal"] is None and doc["sw_p_value"] is not None:
        doc["normal"] = bool(doc["sw_p_value"] >= alpha)
    return doc, notes


def _normal_ad(x: NDArray[np.float64]) -> tuple[float, float]:
    """Anderson–Darling A² and p-value for normality with estimated mean and SD — the same
    operations as ``statsmodels.stats.diagnostic.normal_ad`` for one sample (equality tested in
    tests/test_fits_fast.py), without its argument handling and without importing statsmodels.

    .. math:: A^2 = -n - \\sum_{i=1}^{n}\\frac{2i-1}{n}\\left[\\ln\\Phi(w_{(i)})
              + \\ln\\left(1-\\Phi(w_{(n+1-i)})\\right)\\right],\\quad w = (x-\\bar x)/s

    p from :math:`A^{2*} = A^2(1 + 0.75/n + 2.25/n^2)` by D'Agostino & Stephens (1986), Table 4.9:
    1 − exp(−13.436 + 101.14A − 223.73A²) for A < 0.2, 1 − exp(−8.318 + 42.796A − 59.938A²) for
    A < 0.34, exp(0.9177 − 4.279A − 1.38A²) for A < 0.6, exp(1.2937 − 5.709A + 0.0186A²) up to
    13, else 0.
    """
    from scipy.special import ndtr  # scipy.stats.norm.cdf of a standardised value

    n = x.shape[0]
    y = np.sort(x)
    w = (y - np.mean(x)) / np.std(x, ddof=1)
    z = ndtr(w)
    i = np.arange(1, n + 1)
    with np.errstate(divide="ignore"):
        ad_values = (2 * i - 1.0) / n * (np.log(z) + np.log1p(-z[::-1]))
    a2 = -n - np.sum(ad_values)
    return float(a2), _ad_p_value(a2, n)


def _ad_p_value(a2: Any, n: int) -> float:
    """The p-value of :func:`_normal_ad` from A² (D'Agostino & Stephens 1986, Table 4.9, on the
    modified statistic A²(1 + 0.75/n + 2.25/n²))."""
    a = a2 * (1 + 0.75 / n + 2.25 / n ** 2)
    if a >= 0.00 and a < 0.200:
        p = 1 - np.exp(-13.436 + 101.14 * a - 223.73 * a ** 2)
    elif a < 0.340:
        p = 1 - np.exp(-8.318 + 42.796 * a - 59.938 * a ** 2)
    elif a < 0.600:
        p = np.exp(0.9177 - 4.279 * a - 1.38 * a ** 2)
    elif a <= 13:
        p = np.exp(1.2937 - 5.709 * a + 0.0186 * a ** 2)
    else:
        p = 0.0
    return float(p)


def _normal_ad_rows(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """A² of :func:`_normal_ad` for every row of the C-contiguous 2-D array ``x`` (one sample of n
    readings per row): the same operations with each row's mean and SD as a column, the reversed
    CDF values per row, and row sums along the contiguous axis (numpy's pairwise sum, as for a
    row alone), so each A² is the number :func:`_normal_ad` gives for that row
    (tests/test_fits_normality.py)."""
    from scipy.special import ndtr

    n = x.shape[1]
    y = np.sort(x, axis=1)
    i = np.arange(1, n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant row: SD 0, A² NaN as for the row alone
        w = (y - np.mean(x, axis=1, keepdims=True)) / np.std(x, axis=1, ddof=1, keepdims=True)
        z = ndtr(w)
        ad_values = (2 * i - 1.0) / n * (np.log(z) + np.log1p(-z[:, ::-1]))
    return np.asarray(-n - np.sum(ad_values, axis=1), dtype=np.float64)


#: Largest block of :func:`normality_all` in readings (samples × n).
_NORMALITY_CELLS = 1_000_000


def normality_all(samples: Sequence[ArrayLike], alpha: float = 0.05) -> list[tuple[dict[str, Any], list[str]]]:
    """:func:`normality` of many samples: ``[normality(x, alpha) for x in samples]``, the same
    documents and notes, with the samples of equal size tested together — Shapiro–Wilk by
    ``scipy.stats.shapiro(…, axis=1)`` (scipy applies the one-sample test to each row) and the
    Anderson–Darling A² by :func:`_normal_ad_rows` (tests/test_fits_normality.py)."""
    xs = []
    for values in samples:
        x = np.asarray(values, dtype=float)
        xs.append(x[np.isfinite(x)])
    out: list[tuple[dict[str, Any], list[str]] | None] = [None] * len(xs)
    groups: dict[int, list[int]] = {}
    for k, x in enumerate(xs):
        if x.size < 3 or np.ptp(x) == 0:
            out[k] = normality(x, alpha)
        else:
            groups.setdefault(x.size, []).append(k)
    for n, members in groups.items():
        per = max(1, _NORMALITY_CELLS // n)
        for lo in range(0, len(members), per):
            chunk = members[lo:lo + per]
            rows = np.ascontiguousarray(np.stack([xs[k] for k in chunk]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from scipy.stats import shapiro

                sw_p = np.atleast_1d(shapiro(rows, axis=1).pvalue)
            a2s = _normal_ad_rows(rows) if n >= MIN_N_AD else None
            for r, k in enumerate(chunk):
                doc: dict[str, Any] = {"ad_statistic": None, "ad_p_value": None, "sw_p_value": _f(sw_p[r]),
                                       "normal": None}
                notes: list[str] = []
                if n > 5000:
                    notes.append("Shapiro–Wilk p-value is approximate for more than 5000 readings.")
                if a2s is not None:
                    a2 = a2s[r]
                    doc["ad_statistic"] = _f(float(a2))
                    doc["ad_p_value"] = _f(_ad_p_value(a2, n))
                    if doc["ad_p_value"] is not None:
                        doc["normal"] = bool(doc["ad_p_value"] >= alpha)
                else:
                    notes.append(f"Anderson–Darling p-value not computed for n = {n} < {MIN_N_AD}; normality "
                                 "judged by Shapiro–Wilk.")
                if doc["normal"] is None and doc["sw_p_value"] is not None:
                    doc["normal"] = bool(doc["sw_p_value"] >= alpha)
                out[k] = (doc, notes)
    return [o for o in out if o is not None]


def ad_statistic(sorted_x: NDArray[np.float64], cdf: Any) -> float:
    """Anderson–Darling statistic A² of sorted data against a fully specified cdf.

    Notes
    -----
    .. math:: A^2 = -n - \\frac1n\\sum_{i=1}^n (2i-1)[\\ln F(x_{(i)}) + \\ln(1-F(x_{(n+1-i)}))]

    References
    ----------
    Anderson & Darling (1954); NIST e-Handbook §1.3.5.14.

    Examples
    --------
    >>> from scipy import stats
    >>> round(ad_statistic(np.array([-1.0, 0.0, 1.0]), stats.norm.cdf), 4)
    0.1895
    """
    n = sorted_x.size
    u = np.clip(cdf(sorted_x), 1e-300, 1.0 - 1e-16)
    i = np.arange(1, n + 1)
    return float(-n - np.sum((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))) / n)


@dataclass(frozen=True)
class FitResult:
    """One maximum-likelihood fit.

    Attributes
    ----------
    distribution : str
        scipy.stats name (``norm``, ``lognorm``, ``weibull_min``, ``gamma``, ``halfnorm``,
        ``foldnorm``, ``johnsonsu``).
    params : dict[str, float]
        Parameters in scipy.stats' parameterisation (shape names, ``loc``, ``scale``).
    n_params : int
        Number of estimated parameters (a fixed ``loc`` = 0 does not count).
    loglik, aic : float
        Log-likelihood and AIC = 2k − 2 ln L.
    ad_statistic : float
        Anderson–Darling A² of the data against the fitted model.
    frozen : object
        The fitted model with the methods of a frozen scipy distribution (``ppf``, ``cdf``,
        ``sf``, ``logpdf``, …; :class:`_Model` from :func:`fit_candidates`).
    """

    distribution: str
    params: dict[str, float]
    n_params: int
    loglik: float
    aic: float
    ad_statistic: float
    frozen: Any = field(repr=False, compare=False)
    fixed: dict[str, float] = field(default_factory=dict, repr=False, compare=False)


class _Model:
    """A fitted scipy.stats family with its parameters, used where a frozen distribution was.

    ``ppf``/``cdf``/``sf``/``logpdf`` call ``dist.<method>(x, *params)`` — exactly what scipy's
    frozen distribution does (``rv_frozen.ppf(q) = dist.ppf(q, *args)``), so every number is the
    same — without building a frozen object (scipy formats a docstring for each one, about a
    millisecond). Any other attribute is taken from the frozen distribution, built on first use.
    """

    __slots__ = ("dist", "args", "_frozen")

    def __init__(self, dist: Any, args: tuple[float, ...]) -> None:
        self.dist = dist
        self.args = tuple(args)
        self._frozen: Any = None

    def ppf(self, q: Any) -> Any:
        return self.dist.ppf(q, *self.args)

    def cdf(self, x: Any) -> Any:
        return self.dist.cdf(x, *self.args)

    def sf(self, x: Any) -> Any:
        return self.dist.sf(x, *self.args)

    def logpdf(self, x: Any) -> Any:
        return self.dist.logpdf(x, *self.args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in _Model.__slots__:
            raise AttributeError(name)
        if self._frozen is None:
            self._frozen = self.dist(*self.args)
        return getattr(self._frozen, name)


def _candidates(lower_bound_zero: bool, positive: bool) -> list[tuple[str, dict[str, float]]]:
    """(scipy name, fixed arguments) to try."""
    cands: list[tuple[str, dict[str, float]]] = [("norm", {})]
    if lower_bound_zero:
        # Natural boundary at 0: two-parameter models anchored there.
        if positive:
            cands += [("lognorm", {"floc": 0.0}), ("weibull_min", {"floc": 0.0}), ("gamma", {"floc": 0.0})]
        cands += [("halfnorm", {"floc": 0.0}), ("foldnorm", {"floc": 0.0})]
    else:
        # No natural boundary: three-parameter (free threshold) versions.
        cands += [("lognorm", {}), ("weibull_min", {}), ("gamma", {})]
    cands.append(("johnsonsu", {}))
    return cands


def _weibull_loc0(y: NDArray[np.float64]) -> tuple[float, float] | None:
    """ML shape and scale of a two-parameter Weibull (y > 0) from the profile score equation.

    Solves  Σ yᶜ ln y / Σ yᶜ − 1/c − mean(ln y) = 0  (increasing in c) by Brent's method.
    """
    from scipy.optimize import brentq

    if y.size < 2 or y.min() <= 0 or np.ptp(y) == 0:
        return None
    ly = np.log(y)
    lmax = ly.max()
    mean_ly = ly.mean()

    def g(c: float) -> float:
        w = np.exp(c * (ly - lmax))
        return float(np.sum(w * ly) / np.sum(w) - 1.0 / c - mean_ly)

    lo, hi = 1e-3, 1.0
    while g(hi) < 0:
        hi *= 4.0
        if hi > 1e7:
            return None
    c = brentq(g, lo, hi, xtol=1e-10, rtol=1e-12)
    scale = float(np.exp(lmax) * np.mean(np.exp(c * (ly - lmax))) ** (1.0 / c))
    return float(c), scale


def _fit_fast(name: str, x: NDArray[np.float64], fixed: dict[str, float]) -> tuple[float, ...]:
    """ML fit in scipy's parameter order, with fast paths for the Weibull and 3-parameter models.

    Three-parameter lognormal, Weibull and gamma are fitted by profile likelihood: the threshold
    γ = x₍₁₎ − e^t·s is searched over t (bounded, 10⁻³ s … 10³ s below the smallest reading)
    with the two-parameter ML fit of x − γ inside (closed form for the lognormal, the score
    equation for the Weibull, scipy's gamma fit with fixed location). Bounding γ away from x₍₁₎
    avoids the degenerate likelihood spike at the smallest reading.
    """
    from scipy.optimize import minimize_scalar

    dist = _dist(name)
    if name == "weibull_min" and fixed:
        res = _weibull_loc0(x)
        if res is None:
            raise ValueError("Weibull fit failed")
        return (res[0], 0.0, res[1])
    if name in ("lognorm", "weibull_min", "gamma") and not fixed:
        x1 = float(x.min())
        s = float(x.std(ddof=1))

        def inner(gamma_: float) -> tuple[float, ...] | None:
            y = x - gamma_
            if name == "lognorm":
                ly = np.log(y)
                return (float(ly.std()), gamma_, float(np.exp(ly.mean())))
            if name == "weibull_min":
                r = _weibull_loc0(y)
                return None if r is None else (r[0], gamma_, r[1])
            a, _, sc = _dist("gamma").fit(y, floc=0.0)
            return (float(a), gamma_, float(sc))

        loglik = _logpdf_sum(dist, x)  # float(np.sum(dist.logpdf(x, *par))), without scipy's argument handling

        def nll(t: float) -> float:
            par = inner(x1 - math.exp(t) * s)
            if par is None:
                return math.inf
            v = -loglik(par)
            return v if math.isfinite(v) else math.inf

        opt = minimize_scalar(nll, bounds=(math.log(1e-3), math.log(1e3)), method="bounded",
                              options={"xatol": 1e-4})
        par = inner(x1 - math.exp(float(opt.x)) * s)
        if par is None:
            raise ValueError(f"{name} fit failed")
        return par
    if name in _LEAN_FIT:
        return tuple(float(p) for p in _generic_ml_fit(dist, x, fixed))
    if name == "halfnorm" and set(fixed) == {"floc"}:
        return _halfnorm_fit_floc(x, float(fixed["floc"]))
    return tuple(float(p) for p in dist.fit(x, **fixed))


def _halfnorm_fit_floc(x: NDArray[np.float64], floc: float) -> tuple[float, float]:
    """``scipy.stats.halfnorm.fit(x, floc=floc)`` for finite readings: scipy's closed-form ML
    estimate with the same operations (``halfnorm_gen.fit``: ``stats.moment(x, order=2,
    center=floc) ** 0.5``, the moment being ``mean((x − floc)**2)``), without its argument
    handling; readings below ``floc`` raise as scipy does (a ``ValueError``). Equality tested in
    tests/test_fits_speed_lockstep.py.

    .. math:: \\hat\\sigma = \\Big(\\frac1n\\sum_i (x_i - \\text{loc})^2\\Big)^{1/2}
    """
    data = np.asarray(x, dtype=float)
    if data.size == 0 or not np.isfinite(data).all():
        raise ValueError("The data contains non-finite values.")
    if np.min(data) < floc:
        raise ValueError(f"halfnorm: readings below the fixed location {floc}")
    a_zero_mean = data - np.asarray(floc, dtype=data.dtype)[()]
    scale = np.mean(a_zero_mean**2) ** 0.5
    return (float(floc), float(scale))


#: Families fitted by scipy's generic ``rv_continuous.fit`` (no closed form or own ``fit``):
#: :func:`_generic_ml_fit` runs the same optimisation with a leaner objective.
_LEAN_FIT = frozenset({"johnsonsu", "foldnorm"})


def _generic_ml_fit(dist: Any, x: NDArray[np.float64], fixed: dict[str, float]) -> tuple[float, ...]:
    """Maximum-likelihood fit exactly as scipy's generic ``rv_continuous.fit`` does it (method
    "MLE", optimiser ``scipy.optimize.fmin``), with the penalised negative log-likelihood
    evaluated without scipy's per-call argument handling.

    Same start (``dist._fitstart``), same fixed arguments (``floc``), same Nelder–Mead simplex and
    tolerances (``fmin`` defaults, xtol = ftol = 10⁻⁴), and the objective computes the same
    floating-point operations in the same order as ``rv_continuous._penalized_nnlf``:

    .. math:: -\\sum_{z_i \\in S} \\ln f(z_i;\\,\\theta) + n_{bad}\\cdot 100\\ln(x_{max})
              + n\\ln(\\text{scale}),\\qquad z_i = (x_i - \\text{loc})/\\text{scale}

    (readings outside the support S or with a non-finite log-density are counted in
    :math:`n_{bad}`), so the simplex follows the same path to the same optimum. Equality with
    ``dist.fit`` is tested in tests/test_fits_fast.py; :func:`lean_fits` runs the same fits of
    many samples in lockstep (the same numbers).

    References
    ----------
    scipy.stats ``rv_continuous.fit`` and ``_penalized_nnlf`` (SciPy 1.x); Nelder & Mead (1965),
    *Computer Journal* 7(4), 308–313.
    """
    job = _GenericJob(dist, x, fixed)
    with np.errstate(all="ignore"):  # scipy's _logpdf ignores log(0) too
        if job.kind == "johnsonsu":
            vals = _nelder_mead(_johnsonsu_nnlf(job.data), job.x0)
        elif job.kind == "foldnorm":
            vals = _nelder_mead(_foldnorm_nnlf(job.data, job.args[1]), job.x0)
        else:
            vals = _nelder_mead(lambda th: job.nnlf(th), job.x0)
    return job.finish(vals)


#: ``dist.stats(1, …, 1, moments="mv")`` of each family :func:`_fitstart` has seen
_STD_MOMENTS: dict[str, Any] = {}


def _fitstart(dist: Any, data: NDArray[np.float64]) -> tuple[Any, ...]:
    """``dist._fitstart(data)`` — scipy's generic start of a fit: shapes 1, location and scale by
    the method of moments, moved so the support covers the data (``rv_continuous._fitstart``,
    ``_fit_loc_scale_support`` and ``fit_loc_scale``, the same operations) — with the moments of
    the standard family (shapes 1, a constant) computed once per family instead of once per fit.
    A family with its own start (any of those methods overridden) gets scipy's call. Equality
    tested in tests/test_fits_lockstep.py.

    .. math:: \\hat s = \\sqrt{\\hat\\mu_2/\\mu_2},\\qquad \\hat l = \\bar x - \\hat s\\,\\mu
    """
    for cls in type(dist).__mro__:  # the family's classes up to scipy's rv_continuous
        if cls.__name__ == "rv_continuous":
            break
        if any(name in vars(cls) for name in ("_fitstart", "_fit_loc_scale_support", "fit_loc_scale", "stats")):
            return tuple(dist._fitstart(data))
    else:
        return tuple(dist._fitstart(data))
    args = (1.0,) * dist.numargs
    if dist.name not in _STD_MOMENTS:
        _STD_MOMENTS[dist.name] = dist.stats(*args, **{"moments": "mv"})
    mu, mu2 = _STD_MOMENTS[dist.name]
    tmp = np.asarray(data)
    muhat = tmp.mean()
    mu2hat = tmp.var()
    scale_hat = np.sqrt(mu2hat / mu2)
    with np.errstate(invalid="ignore"):
        loc_hat = muhat - scale_hat * mu
    if not np.isfinite(loc_hat):
        loc_hat = 0
    if not (np.isfinite(scale_hat) and (0 < scale_hat)):
        scale_hat = 1
    dist._argcheck(*args)
    a, b = dist._get_support(*args)
    support_width = b - a
    if support_width <= 0:
        return args + (loc_hat, scale_hat)
    a_hat = loc_hat + a * scale_hat
    b_hat = loc_hat + b * scale_hat
    data_a = np.min(data)
    data_b = np.max(data)
    if a_hat < data_a and data_b < b_hat:
        return args + (loc_hat, scale_hat)
    data_width = data_b - data_a
    margin = data_width * 0.1
    if support_width < np.inf:
        return args + ((data_a - a) - margin, (data_width + 2 * margin) / support_width)
    if a > -np.inf:
        return args + ((data_a - a) - margin, 1)
    if b < np.inf:
        return args + ((data_b - b) + margin, 1)
    raise RuntimeError


class _GenericJob:
    """The set-up of one :func:`_generic_ml_fit` (start, fixed and free arguments, the objective
    to use) and its last step (:meth:`finish`: the full parameter tuple, checked as scipy checks
    it). ``kind`` is "johnsonsu" or "foldnorm" when the lean objective of that family applies
    (Johnson SU without fixed arguments; folded normal with a fixed location at or below every
    reading), else "generic"."""

    def __init__(self, dist: Any, x: NDArray[np.float64], fixed: dict[str, float]) -> None:
        data = np.asarray(x, dtype=float).ravel()
        if not np.isfinite(data).all():
            raise ValueError("The data contains non-finite values.")
        n_shapes = dist.numargs
        start = tuple(_fitstart(dist, data))
        args = list(start[:n_shapes]) + [start[-2], start[-1]]
        keys = [f"f{i}" for i in range(n_shapes)] + ["floc", "fscale"]
        unknown = set(fixed) - set(keys)
        if unknown:
            raise TypeError(f"unsupported fixed argument(s) {sorted(unknown)}")
        fixed_idx = [i for i, k in enumerate(keys) if k in fixed]
        for i in fixed_idx:
            args[i] = fixed[keys[i]]
        self.dist, self.data, self.args = dist, data, args
        self.fixed_idx = fixed_idx
        self.free_idx = [i for i in range(len(args)) if i not in fixed_idx]
        self.x0 = [float(args[i]) for i in self.free_idx]
        if dist.name == "johnsonsu" and not fixed_idx:
            self.kind = "johnsonsu"
        elif dist.name == "foldnorm" and fixed_idx == [1] and float(data.min()) >= float(args[1]):
            self.kind = "foldnorm"
        else:
            self.kind = "generic"

    def nnlf(self, theta: Any) -> float:
        """scipy's ``_penalized_nnlf`` of the free parameters ``theta`` (any family)."""
        dist, xd, args, free_idx = self.dist, self.data, self.args, self.free_idx
        full: Any
        if self.fixed_idx:
            full = args[:]
            for j, i in enumerate(free_idx):
                full[i] = theta[j]
        else:
            full = theta
        loc, scale, shapes = full[-2], full[-1], tuple(full[:-2])
        if not dist._argcheck(*shapes) or scale <= 0:
            return math.inf
        n = xd.size
        z = (xd - loc) / scale
        n_log_scale = n * np.log(scale)
        inside = dist._support_mask(z, *shapes)
        n_bad = z.size - np.count_nonzero(inside)
        if n_bad > 0:
            z = z[inside]
        lp = dist._logpdf(z, *shapes)
        finite = np.isfinite(lp)
        n_nonfinite = finite.size - np.count_nonzero(finite)
        total = np.sum(lp[finite]) if n_nonfinite else np.sum(lp)
        return float(-total + (n_bad + n_nonfinite) * _LOGXMAX * 100 + n_log_scale)

    def finish(self, vals: list[float]) -> tuple[float, ...]:
        full = list(self.args)
        for j, i in enumerate(self.free_idx):
            full[i] = vals[j]
        loc, scale, shapes = full[-2], full[-1], tuple(full[:-2])
        if not (np.all(self.dist._argcheck(*shapes)) and scale > 0):
            raise ValueError("Optimization converged to parameters that are outside the range allowed")
        return tuple(full)


class _MaxCalls(Exception):
    """The objective's call budget is spent (``fmin``'s ``maxfun``)."""


def _nelder_mead(func: Any, x0: list[float]) -> list[float]:
    """``scipy.optimize.fmin(func, x0, disp=0)`` (default options: xtol = ftol = 10⁻⁴, at most
    200·N iterations and evaluations, initial simplex x0 with each coordinate ×1.05 or 0.00025
    when zero) step for step, on Python floats instead of small numpy arrays: the steps of
    :func:`_nelder_mead_steps`, each point evaluated by ``func``.

    References
    ----------
    Nelder & Mead (1965), *Computer Journal* 7(4), 308–313; SciPy ``optimize._optimize``.
    """
    steps = _nelder_mead_steps(x0)
    try:
        point = next(steps)
        while True:
            point = steps.send(float(func(point)))
    except StopIteration as done:
        return list(done.value)


def _nelder_mead_lockstep(func: Any, starts: list[list[float]]) -> list[list[float] | BaseException]:
    """:func:`_nelder_mead` of several problems at once: in each round every unfinished problem
    asks for one point, and ``func(problems, points)`` evaluates them together (``points`` one
    row per problem; one list of values, or of exceptions for the points it could not evaluate,
    or an array of values). Each problem's simplex takes the same steps as alone, so its result
    is the same; a problem whose objective raised gets the exception instead (as
    :func:`_nelder_mead` would raise it). At least :data:`_ARRAY_SIMPLICES` problems with starts
    of equal length step together in :class:`_Simplices` (the bookkeeping of all simplices as
    arrays); fewer step as one :func:`_nelder_mead_steps` generator each (a round of the arrays
    costs about as much as 40 generator steps)."""
    out: list[list[float] | BaseException] = [[] for _ in starts]
    by_dim: dict[int, list[int]] = {}
    for i, x0 in enumerate(starts):
        by_dim.setdefault(len(x0), []).append(i)
    small: list[int] = []
    for dim, ids in by_dim.items():
        if dim == 0 or len(ids) < _ARRAY_SIMPLICES:
            small += ids
            continue
        for i, res in zip(ids, _Simplices(func, ids, [starts[i] for i in ids]).run()):
            out[i] = res
    if not small:
        return out
    gens = {i: _nelder_mead_steps(starts[i]) for i in sorted(small)}
    pending: dict[int, list[float]] = {}
    for i, g in gens.items():
        try:
            pending[i] = next(g)
        except StopIteration as done:  # no free parameter: the empty start (budget 0)
            out[i] = list(done.value)
    while pending:
        problems = list(pending)
        values = func(problems, [pending[i] for i in problems])
        nxt = {}
        for i, v in zip(problems, values):
            if isinstance(v, BaseException):
                gens[i].close()
                out[i] = v
                continue
            try:
                nxt[i] = gens[i].send(float(v))
            except StopIteration as done:
                out[i] = list(done.value)
        pending = nxt
    return out


#: Fewest problems of one dimension that :func:`_nelder_mead_lockstep` steps as arrays.
_ARRAY_SIMPLICES = 40


#: the step a simplex of :class:`_Simplices` waits on: its starting vertices, a reflection,
#: expansion, outside or inside contraction point, or a shrunk vertex
_INIT, _REFLECT, _EXPAND, _CONTRACT, _ICONTRACT, _SHRINK = range(6)


class _Simplices:
    """The Nelder–Mead simplices of :func:`_nelder_mead_steps` for many problems of the same
    dimension N, held as arrays (vertices ``sim`` K×(N+1)×N, values ``fsim``, per problem the
    step it waits on, its call and iteration counts) and advanced together: each round evaluates
    one point per unfinished problem (``func(problems, points)``) and moves every simplex to its
    next point with whole-array operations, each problem's row taking the branch of its state
    (masks and ``numpy.where``).

    Every point is the same floating-point expression as in :func:`_nelder_mead_steps` (and
    scipy's ``_minimize_neldermead``), computed elementwise: reflection (1+ρ)·x̄ − ρ·w,
    expansion (1+ρχ)·x̄ − ρχ·w, contractions (1+ψρ)·x̄ − ψρ·w and (1−ψ)·x̄ + ψ·w (computed as
    (1−ψ)·x̄ − (−ψ)·w: a product with −ψ is the negated product with ψ, and subtracting a negated
    number is adding it, exactly), shrink x₀ + σ·(xⱼ − x₀), with ρ = 1, χ = 2, ψ = σ = 0.5 and the
    centroid summed vertex by vertex then divided by N; the vertices of a problem that ends an
    iteration are ordered by ``numpy.argsort`` of its row of ``fsim`` (the 1-D sort scipy uses,
    applied row by row; the generator's insertion of a new distinct value is that order too); the
    stopping rule (max|xᵢ − x₀| ≤ 10⁻⁴ and max|f₀ − fᵢ| ≤ 10⁻⁴, NaN failing it), the budget of
    200·N evaluations and iterations, and a budget spent part-way (vertices sorted, best
    returned) are those of the generator. So each simplex visits the same points and returns the
    same vertex as alone (tests/test_fits_lockstep.py, tests/test_fits_speed_lockstep.py).
    """

    def __init__(self, func: Any, ids: list[int], starts: list[list[float]]) -> None:
        k, n = len(starts), len(starts[0])
        self.func, self.ids, self.k, self.n = func, ids, k, n
        self.plain_ids = ids == list(range(k))
        self.maxfun = self.maxiter = n * 200
        x0 = np.array(starts, dtype=float).reshape(k, n)
        sim = np.repeat(x0[:, None, :], n + 1, axis=1)
        for c in range(n):
            col = x0[:, c]
            sim[:, c + 1, c] = np.where(col != 0, (1 + 0.05) * col, 0.00025)
        self.sim = sim
        self.fsim = np.full((k, n + 1), np.inf)
        self.phase = np.full(k, _INIT, dtype=np.int8)
        self.j = np.zeros(k, dtype=np.intp)        # the vertex evaluated (start, shrink)
        self.calls = np.zeros(k, dtype=np.intp)
        self.iters = np.zeros(k, dtype=np.intp)
        self.point = sim[:, 0].copy()
        self.xbar = np.zeros((k, n))
        self.xr = np.zeros((k, n))
        self.fxr = np.zeros(k)
        self.alive = np.ones(k, dtype=bool)
        self.out: list[list[float] | BaseException] = [[] for _ in range(k)]

    def _order(self, i: NDArray[np.intp]) -> None:
        """Vertices of problems ``i`` sorted by value (``numpy.argsort`` of each row, as scipy
        sorts one)."""
        if i.size:
            f = self.fsim[i]
            ind = np.argsort(f, axis=1)
            rows = np.arange(i.size)[:, None]
            self.fsim[i] = f[rows, ind]
            self.sim[i] = self.sim[i][rows, ind]

    def _finish(self, i: NDArray[np.intp]) -> None:
        if i.size:
            self.alive[i] = False
            for r, best in zip(i.tolist(), self.sim[i, 0].tolist()):
                self.out[r] = best

    def _round(self, al: NDArray[np.bool_], v: NDArray[np.float64]) -> None:
        """The values ``v`` of the points the problems ``al`` asked for; each problem moves to its
        next point, or stops."""
        n, sim, fsim = self.n, self.sim, self.fsim
        self.calls += al
        ph = np.where(al, self.phase, -1)
        ends = np.zeros(self.k, dtype=bool)     # iteration over: worst vertex replaced or simplex shrunk
        p_init = ph == _INIT
        if p_init.any():
            i = np.flatnonzero(p_init)
            fsim[i, self.j[i]] = v[i]
            self.j[i] += 1
            full = self.j[i] == n + 1
            more = i[~full]
            self.point[more] = sim[more, self.j[more]]
            i = i[full]
            self._order(i)       # the generator sorts twice (its ``finally``, then the next line):
            self.iters[i] = 0    # the second sort and iterations = 1 as the end of an iteration
            ends[i] = True
        p_refl, p_exp, p_shr = ph == _REFLECT, ph == _EXPAND, ph == _SHRINK
        p_con, p_icon = ph == _CONTRACT, ph == _ICONTRACT
        worst = sim[:, -1].copy()
        f_worst = fsim[:, -1].copy()
        lt0, lt2, lt1 = v < fsim[:, 0], v < fsim[:, -2], v < f_worst
        fxr = np.where(p_refl, v, self.fxr)
        self.fxr = fxr
        to_exp = p_refl & lt0                          # the generator's if / elif chain
        refl_in = p_refl & ~lt0 & lt2
        to_con = p_refl & ~lt0 & ~lt2 & lt1
        to_icon = p_refl & ~lt0 & ~lt2 & ~lt1
        better = p_exp & (v < fxr)
        con_ok = (p_con & (v <= fxr)) | (p_icon & (v < f_worst))
        take_point = better | con_ok                   # worst vertex ← the point just evaluated
        take_xr = refl_in | (p_exp & ~better)          # worst vertex ← the reflection
        replaced = take_point | take_xr
        if replaced.any():
            sim[:, -1] = np.where(take_point[:, None], self.point, np.where(take_xr[:, None], self.xr, worst))
            fsim[:, -1] = np.where(take_point, v, np.where(take_xr, fxr, f_worst))
            ends |= replaced
        shrink = (p_con | p_icon) & ~con_ok            # contraction rejected: shrink from vertex 1
        jn = np.where(shrink, 1, self.j + 1)
        if p_shr.any():
            i = np.flatnonzero(p_shr)
            fsim[i, self.j[i]] = v[i]
            done = p_shr & (jn > n)
            ends |= done
            shrink |= p_shr & ~done
        # the points asked for next: expansion, contractions (one formula, per-row coefficients)
        formula = to_exp | to_con | to_icon
        asks = formula | shrink
        over = asks & (self.calls >= self.maxfun)      # the budget ran out part-way through an iteration
        if formula.any():
            a = np.where(to_exp, 1 + 1 * 2, np.where(to_con, 1 + 0.5 * 1, 1 - 0.5))
            b = np.where(to_exp, 1 * 2, np.where(to_con, 0.5 * 1, -0.5))
            new = a[:, None] * self.xbar - b[:, None] * worst
            ok = formula & ~over
            self.point = np.where(ok[:, None], new, self.point)
            self.phase = np.where(ok, np.where(to_exp, _EXPAND, np.where(to_con, _CONTRACT, _ICONTRACT)),
                                  self.phase).astype(np.int8)
        if shrink.any():
            i = np.flatnonzero(shrink)
            jj = jn[i]
            s0 = sim[i, 0]
            sim[i, jj] = s0 + 0.5 * (sim[i, jj] - s0)  # x₀ + σ·(xⱼ − x₀)
            self.j[i] = jj
            i = np.flatnonzero(shrink & ~over)
            self.point[i] = sim[i, self.j[i]]
            self.phase[i] = _SHRINK
        self.iters += ends
        self._order(np.flatnonzero(ends | over))
        if over.any():
            self._finish(np.flatnonzero(over))  # all vertices sorted, the best returned
        if ends.any():
            self._iterate(ends)

    def _iterate(self, ends: NDArray[np.bool_]) -> None:
        """The top of the generator's loop for the problems ``ends``: stop (budget, convergence)
        or ask for the reflection."""
        s, f = self.sim, self.fsim
        stop = ends & ((self.calls >= self.maxfun) | (self.iters >= self.maxiter))
        near = ends & ~stop & (np.abs(f[:, :1] - f[:, 1:]) <= 1e-4).all(axis=1)
        if near.any():  # values within 10⁻⁴ (seldom): the vertices too?
            i = np.flatnonzero(near)
            stop[i[(np.abs(s[i, 1:, :] - s[i, :1, :]) <= 1e-4).reshape(i.size, -1).all(axis=1)]] = True
        if stop.any():
            self._finish(np.flatnonzero(stop))
        go = ends & ~stop
        if not go.any():
            return
        tot = s[:, 0]
        for r in range(1, self.n):
            tot = tot + s[:, r]
        xbar = tot / self.n
        xr = (1 + 1) * xbar - 1 * s[:, -1]  # (1 + ρ)·x̄ − ρ·w
        g = go[:, None]
        self.xbar = np.where(g, xbar, self.xbar)
        self.xr = np.where(g, xr, self.xr)
        self.point = np.where(g, xr, self.point)
        self.phase[go] = _REFLECT

    def run(self) -> list[list[float] | BaseException]:
        with np.errstate(all="ignore"):  # rows of other problems may hold inf/NaN (as floats, silently)
            while True:
                act = np.flatnonzero(self.alive)
                if not act.size:
                    return self.out
                values = self.func(act.tolist() if self.plain_ids else [self.ids[r] for r in act.tolist()],
                                   self.point[act])
                v = np.full(self.k, np.nan)
                al = np.zeros(self.k, dtype=bool)
                if isinstance(values, np.ndarray):  # a value for every point
                    v[act] = values
                    al[act] = True
                    self._round(al, v)
                    continue
                failed = [r for r, x in enumerate(values) if isinstance(x, BaseException)]
                if failed:
                    for r in failed:
                        self.out[int(act[r])] = values[r]
                    self.alive[act[failed]] = False
                    ok = np.ones(act.size, dtype=bool)
                    ok[failed] = False
                    act = act[ok]
                    values = [x for r, x in enumerate(values) if ok[r]]
                v[act] = [float(x) for x in values]
                al[act] = True
                self._round(al, v)


def _nelder_mead_steps(x0: list[float]) -> Generator[list[float], float, list[float]]:
    """The Nelder–Mead simplex of ``scipy.optimize.fmin`` as a generator: it yields each point to
    evaluate, is sent the objective's value there, and returns the best vertex.

    The reflection, expansion, contraction and shrink points are the same floating-point
    expressions as scipy's ``_minimize_neldermead`` (ρ = 1, χ = 2, ψ = σ = 0.5; the centroid
    summed row by row), and the vertices are ordered by ``numpy.argsort`` as there, so the
    simplex visits the same points and stops at the same vertex (tests/test_fits_fast.py).

    References
    ----------
    Nelder & Mead (1965), *Computer Journal* 7(4), 308–313; SciPy ``optimize._optimize``.
    """
    n = len(x0)
    rho, chi, psi, sigma = 1, 2, 0.5, 0.5
    maxfun = maxiter = n * 200
    sim = [list(x0)]
    for k in range(n):
        y = list(x0)
        y[k] = (1 + 0.05) * y[k] if y[k] != 0 else 0.00025
        sim.append(y)
    calls = 0

    fsim = [math.inf] * (n + 1)
    clean = [False]  # fsim strictly increasing, no NaN (as the last order() left it)

    def order() -> None:
        # distinct, non-NaN values have one sorted order, found by Python's sort; with ties or
        # NaN, numpy's argsort decides (as in scipy)
        if len(set(fsim)) == len(fsim) and all(v == v for v in fsim):
            ind: Any = sorted(range(len(fsim)), key=fsim.__getitem__)
            clean[0] = True
        else:
            ind = np.argsort(np.array(fsim, dtype=float))
            clean[0] = False
        sim[:] = [sim[i] for i in ind]
        fsim[:] = [fsim[i] for i in ind]

    def order_last() -> None:
        # only the last vertex changed: if the others are strictly increasing without NaN and
        # its value is a new non-NaN one, the sorted order inserts it where bisect finds its place
        v = fsim[-1]
        if clean[0] and v == v and v not in fsim[:-1]:
            k = bisect.bisect_left(fsim, v, 0, n)
            if k < n:
                fsim.insert(k, fsim.pop())
                sim.insert(k, sim.pop())
            return
        order()

    try:
        for k in range(n + 1):
            if calls >= maxfun:
                raise _MaxCalls
            calls += 1
            fsim[k] = float((yield sim[k]))
    except _MaxCalls:
        pass
    finally:
        order()
    order()
    iterations = 1
    while calls < maxfun and iterations < maxiter:
        try:
            s0 = sim[0]
            # scipy: max|sim[1:] − sim[0]| ≤ xatol and max|fsim[0] − fsim[1:]| ≤ fatol (a NaN
            # difference makes numpy's max NaN, so the test fails; all() fails on it too)
            if (all(abs(v - v0) <= 1e-4 for row in sim[1:] for v, v0 in zip(row, s0))
                    and all(abs(fsim[0] - fv) <= 1e-4 for fv in fsim[1:])):
                break
            tot = list(sim[0])
            for row in sim[1:-1]:
                tot = [a + b for a, b in zip(tot, row)]
            xbar = [t / n for t in tot]
            worst = sim[-1]
            xr = [(1 + rho) * b - rho * w for b, w in zip(xbar, worst)]
            if calls >= maxfun:
                raise _MaxCalls
            calls += 1
            fxr = float((yield xr))
            doshrink = 0
            if fxr < fsim[0]:
                xe = [(1 + rho * chi) * b - rho * chi * w for b, w in zip(xbar, worst)]
                if calls >= maxfun:
                    raise _MaxCalls
                calls += 1
                fxe = float((yield xe))
                if fxe < fxr:
                    sim[-1], fsim[-1] = xe, fxe
                else:
                    sim[-1], fsim[-1] = xr, fxr
            elif fxr < fsim[-2]:
                sim[-1], fsim[-1] = xr, fxr
            elif fxr < fsim[-1]:
                xc = [(1 + psi * rho) * b - psi * rho * w for b, w in zip(xbar, worst)]
                if calls >= maxfun:
                    raise _MaxCalls
                calls += 1
                fxc = float((yield xc))
                if fxc <= fxr:
                    sim[-1], fsim[-1] = xc, fxc
                else:
                    doshrink = 1
            else:
                xcc = [(1 - psi) * b + psi * w for b, w in zip(xbar, worst)]
                if calls >= maxfun:
                    raise _MaxCalls
                calls += 1
                fxcc = float((yield xcc))
                if fxcc < fsim[-1]:
                    sim[-1], fsim[-1] = xcc, fxcc
                else:
                    doshrink = 1
            if doshrink:
                for j in range(1, n + 1):
                    sim[j] = [a + sigma * (b - a) for a, b in zip(sim[0], sim[j])]
                    if calls >= maxfun:
                        raise _MaxCalls
                    calls += 1
                    fsim[j] = float((yield sim[j]))
            iterations += 1
        except _MaxCalls:
            doshrink = 1  # the budget ran out part-way: sort all vertices
        if doshrink:
            order()
        else:
            order_last()
    return sim[0]


#: ln of the largest float: scipy's ``_LOGXMAX`` (``scipy.stats._distn_infrastructure``), the
#: penalty unit of its fits' objective; defined here so no private scipy name is imported
_LOGXMAX = float(np.log(np.finfo(float).max))

#: scipy's ``_norm_pdf_C`` (√(2π) as numpy computes it). The lean objectives evaluate scipy's
#: ``_norm_pdf(x) = exp(-x**2/2.0)/_NORM_PDF_C`` with ``x*x`` (what ``x**2`` computes) and
#: ``-(v)/2.0`` as ``v*(-0.5)``: negation is exact, and v/2 and v·0.5 are the same real number,
#: so IEEE rounding gives the same double (also for subnormal and infinite v; a NaN stays a NaN,
#: only its sign bit may differ, which no later step reads).
_NORM_PDF_C = np.sqrt(2 * np.pi)


def _norm_pdf_inplace(buf: NDArray[np.float64]) -> None:
    """``buf`` ← φ(buf) = exp(−buf²/2)/√(2π) in place, as scipy's ``_norm_pdf`` computes it:
    ``x*x``, then ``·(−0.5)`` (the same double as ``−(x*x)/2.0``), ``exp``, ``/ _NORM_PDF_C``."""
    np.multiply(buf, buf, out=buf)
    np.multiply(buf, -0.5, out=buf)
    np.exp(buf, out=buf)
    np.divide(buf, _NORM_PDF_C, out=buf)


def _penalised_total(lp: NDArray[np.float64], n_log_scale: Any, logxmax: float) -> float:
    """scipy's ``_nnlf_and_penalty`` + n·ln(scale) of log-densities ``lp``: −(sum of the finite
    ones) + (number of others)·100·ln(x_max) + n·ln(scale) (``logxmax`` = scipy's ``_LOGXMAX``).
    A finite sum of all of them means none is infinite or NaN (either would make the sum so), and
    it is the same sum."""
    total = np.sum(lp)
    if math.isfinite(total):
        bad = 0
    else:
        finite = np.isfinite(lp)
        bad = lp.size - int(np.count_nonzero(finite))
        total = np.sum(lp[finite])
    return float(-total + bad * logxmax * 100 + n_log_scale)


def _johnsonsu_nnlf(data: NDArray[np.float64]) -> Any:
    """The penalised negative log-likelihood of scipy's generic fit for Johnson SU, as a function
    of (a, b, loc, scale): the same operations as ``rv_continuous._penalized_nnlf`` with
    ``johnsonsu._logpdf(z, a, b) = ln(b/√(z²+1) · φ(a + b·asinh z))``, computed in preallocated
    buffers. The support is the real line, so with finite loc and scale no reading is outside
    it; any other case goes through scipy's own objective."""
    dist = _dist("johnsonsu")
    n = data.size
    z = np.empty_like(data)
    w = np.empty_like(data)
    u = np.empty_like(data)

    def nnlf(theta: list[float]) -> float:
        a, b, loc, scale = theta
        if not (b > 0 and a == a) or scale <= 0:
            return math.inf
        if not (math.isfinite(loc) and math.isfinite(scale)):
            return float(dist._penalized_nnlf(np.array(theta), data))
        np.subtract(data, loc, out=z)
        np.divide(z, scale, out=z)
        n_log_scale = n * np.log(scale)
        np.multiply(z, z, out=w)                 # x2 = x*x
        np.add(w, 1.0, out=w)
        np.sqrt(w, out=w)
        np.divide(b * 1.0, w, out=w)            # b*1.0/np.sqrt(x2+1.0)
        np.arcsinh(z, out=u)
        np.multiply(b, u, out=u)
        np.add(a, u, out=u)                     # a + b*np.arcsinh(x)
        _norm_pdf_inplace(u)                    # _norm_pdf(a + b*np.arcsinh(x))
        np.multiply(w, u, out=w)
        np.log(w, out=w)                        # generic _logpdf = log(_pdf)
        return _penalised_total(w, n_log_scale, _LOGXMAX)

    return nnlf


def _foldnorm_nnlf(data: NDArray[np.float64], loc: float) -> Any:
    """The penalised negative log-likelihood of scipy's generic fit for the folded normal with a
    fixed location, as a function of (c, scale): the same operations as
    ``rv_continuous._penalized_nnlf`` with ``foldnorm._logpdf(z, c) = ln(φ(z + c) + φ(z − c))``,
    in preallocated buffers. Only for readings ≥ loc: then z = (x − loc)/scale ≥ 0 lies in the
    support [0, ∞) for every scale > 0, so no reading is penalised for leaving it."""
    n = data.size
    z = np.empty_like(data)
    w = np.empty_like(data)
    u = np.empty_like(data)

    def nnlf(theta: list[float]) -> float:
        c, scale = theta
        if not c >= 0 or scale <= 0:
            return math.inf
        np.subtract(data, loc, out=z)
        np.divide(z, scale, out=z)
        n_log_scale = n * np.log(scale)
        for buf, op in ((u, np.add), (w, np.subtract)):  # _norm_pdf(x + c), _norm_pdf(x - c)
            op(z, c, out=buf)
            _norm_pdf_inplace(buf)
        np.add(u, w, out=u)
        np.log(u, out=u)                        # generic _logpdf = log(_pdf)
        return _penalised_total(u, n_log_scale, _LOGXMAX)

    return nnlf


#: Largest batch of :func:`lean_fits` in readings (samples × n): its work arrays stay near 8 MB.
_LOCKSTEP_CELLS = 1_000_000


class _RowsObjective:
    """The lean objective (:func:`_johnsonsu_nnlf` or :func:`_foldnorm_nnlf`) of many samples of
    the same size at once, for :func:`_nelder_mead_lockstep`: ``self(problems, points)``
    evaluates sample ``problems[j]`` at ``points[j]``.

    The samples are the rows of one C-contiguous 2-D array, and every step of the single-sample
    objective is applied to the rows of the unfinished samples together: each element gets the
    same floating-point operation as alone (the parameters broadcast from a column, the unary
    functions on a contiguous array), and ``np.sum(axis=1)`` of a C-contiguous array adds each
    row as ``np.sum`` adds it alone (numpy's pairwise summation along the contiguous axis;
    equality tested in tests/test_fits_lockstep.py). n·ln(scale) is computed per sample as there;
    a sample with a non-finite sum, a parameter outside the family's range or a non-finite
    location or scale is evaluated by the single-sample objective itself."""

    def __init__(self, kind: str, rows: NDArray[np.float64], loc: float = 0.0) -> None:
        self.kind, self.rows, self.loc = kind, rows, loc
        k, self.n = rows.shape
        self.buf = [np.empty_like(rows) for _ in range(3)]
        self.single: dict[int, Any] = {}
        self.data_idx: list[int] = []
        self.data = rows[:0]

    def _alone(self, i: int) -> Any:
        if i not in self.single:
            data = self.rows[i]
            self.single[i] = (_johnsonsu_nnlf(data) if self.kind == "johnsonsu"
                              else _foldnorm_nnlf(data, self.loc))
        return self.single[i]

    def _log_densities(self, data: NDArray[np.float64], par: NDArray[np.float64], z: NDArray[np.float64],
                       w: NDArray[np.float64], u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The log-densities of the rows ``data`` at the parameters ``par`` (one row each), in the
        work arrays ``z``, ``w``, ``u`` (rows of ``self.buf``), and their row sums."""
        with np.errstate(all="ignore"):  # numpy's error state is per thread
            if self.kind == "johnsonsu":
                ca, cb, cloc, cscale = (par[:, k:k + 1] for k in range(4))
                np.subtract(data, cloc, out=z)
                np.divide(z, cscale, out=z)
                np.multiply(z, z, out=w)                 # the steps of _johnsonsu_nnlf
                np.add(w, 1.0, out=w)
                np.sqrt(w, out=w)
                np.divide(cb * 1.0, w, out=w)
                np.arcsinh(z, out=u)
                np.multiply(cb, u, out=u)
                np.add(ca, u, out=u)
                _norm_pdf_inplace(u)
                np.multiply(w, u, out=w)
                np.log(w, out=w)
                lp = w
            else:
                cc, cscale = par[:, 0:1], par[:, 1:2]
                np.subtract(data, self.loc, out=z)
                np.divide(z, cscale, out=z)
                for buf, op in ((u, np.add), (w, np.subtract)):  # the steps of _foldnorm_nnlf
                    op(z, cc, out=buf)
                    _norm_pdf_inplace(buf)
                np.add(u, w, out=u)
                np.log(u, out=u)
                lp = u
            return lp, np.sum(lp, axis=1)

    def __call__(self, problems: list[int], points: Any) -> list[Any] | NDArray[np.float64]:
        pts = np.asarray(points, dtype=float).reshape(len(problems), -1)
        if self.kind == "johnsonsu":
            a, b, loc, scale = pts.T
            plain = (b > 0) & (a == a) & (scale > 0) & np.isfinite(loc) & np.isfinite(scale)
        else:
            c, scale = pts.T
            plain = (c >= 0) & (scale > 0)
        batch = np.flatnonzero(plain)
        out: list[Any] = [None] * len(problems)
        if batch.size:
            m, n = batch.size, self.n
            idx = list(problems) if m == len(problems) else [problems[j] for j in batch.tolist()]
            z, w, u = (buf[:m] for buf in self.buf)
            if idx != self.data_idx:  # the unfinished samples' rows, gathered once per set of samples
                self.data_idx = idx
                self.data = (self.rows[idx[0]:idx[0] + m] if idx == list(range(idx[0], idx[0] + m))
                             else self.rows[idx])
            data = self.data
            par = pts[batch]
            n_log_scale = n * np.log(np.ascontiguousarray(par[:, -1]))  # n·ln(scale) of each sample, as alone
            lp, totals = self._log_densities(data, par, z, w, u)
            values = -totals + 0 * _LOGXMAX * 100 + n_log_scale
            finite = np.isfinite(totals)
            if m == len(problems) and finite.all():
                return values  # every point on the array path: the values as one array
            for r, j in enumerate(batch.tolist()):
                out[j] = float(values[r])
            for r in np.flatnonzero(~finite).tolist():
                out[int(batch[r])] = _penalised_total(lp[r], n_log_scale[r], _LOGXMAX)
        for j in np.flatnonzero(~plain).tolist():
            try:
                out[j] = self._alone(problems[j])(pts[j].tolist())
            except Exception as exc:  # noqa: BLE001 - the fit of this sample fails alone too
                out[j] = exc
        return out


def lean_fits(samples: list[tuple[NDArray[np.float64], str, dict[str, float]]]) -> list[tuple[float, ...] | Exception]:
    """:func:`_generic_ml_fit` of many samples: ``[(readings, family, fixed), …]`` → the fitted
    parameters of each (as ``_fit_fast`` returns them) or the exception its fit raised.

    The same fits, run together: samples whose lean objective applies (Johnson SU; folded normal
    at a fixed location) are grouped by family, location and size, and each group's Nelder–Mead
    simplices step in lockstep (:func:`_nelder_mead_lockstep`) with the points of one round
    evaluated as one array computation (:class:`_RowsObjective`); every simplex visits the same
    points as alone, so the parameters are the same numbers (tests/test_fits_lockstep.py). Other
    samples are fitted one by one.
    """
    out: list[tuple[float, ...] | Exception] = [ValueError("not fitted")] * len(samples)
    groups: dict[tuple[str, float, int], list[tuple[int, _GenericJob]]] = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for k, (x, name, fixed) in enumerate(samples):
            try:
                job = _GenericJob(_dist(name), x, fixed)
            except Exception as exc:  # noqa: BLE001 - as _fit_fast would raise it
                out[k] = exc
                continue
            if job.kind == "generic":
                try:
                    out[k] = tuple(float(p) for p in _generic_ml_fit(job.dist, x, fixed))
                except Exception as exc:  # noqa: BLE001
                    out[k] = exc
                continue
            loc = float(job.args[1]) if job.kind == "foldnorm" else 0.0
            groups.setdefault((job.kind, loc, job.data.size), []).append((k, job))
        tasks: list[tuple[str, float, list[tuple[int, _GenericJob]]]] = []
        for (kind, loc, n), members in groups.items():
            per = max(1, _LOCKSTEP_CELLS // max(n, 1))
            tasks += [(kind, loc, members[lo:lo + per]) for lo in range(0, len(members), per)]
        done = []
        for kind, loc, chunk in tasks:
            rows = np.ascontiguousarray(np.stack([job.data for _, job in chunk]))
            done.append(_nelder_mead_lockstep(_RowsObjective(kind, rows, loc), [job.x0 for _, job in chunk]))
        for (_, _, chunk), results in zip(tasks, done):
            for (k, job), res in zip(chunk, results):
                if isinstance(res, BaseException):
                    out[k] = res if isinstance(res, Exception) else RuntimeError(repr(res))
                    continue
                try:
                    out[k] = tuple(float(p) for p in job.finish(res))
                except Exception as exc:  # noqa: BLE001
                    out[k] = exc
    return out



def fits_wanted(x: NDArray[np.float64], lower_bound_zero: bool, normal_doc: dict[str, Any]) -> bool:
    """Whether :func:`capability_model` fits distributions to the finite readings ``x`` (its
    conditions: spread, normality rejected — strongly without a natural bound — or a bound at
    zero, and n ≥ :data:`MIN_N_FIT`)."""
    if x.size < max(2, MIN_N_FIT) or np.ptp(x) == 0:
        return False
    if not lower_bound_zero:
        if normal_doc.get("normal") is not False:
            return False
        p_norm = normal_doc.get("ad_p_value")
        if p_norm is None:
            p_norm = normal_doc.get("sw_p_value")
        if p_norm is None or p_norm >= ALPHA_SWITCH:
            return False
    return True


def lean_prefits(features: list[tuple[ArrayLike, bool, dict[str, Any]]]) -> list[dict[str, tuple[float, ...] | Exception] | None]:
    """The Johnson SU and folded-normal fits :func:`capability_model` will run, of many features
    at once (:func:`lean_fits`): ``[(readings, lower_bound_zero, normality doc), …]`` → for each
    feature None (no fits wanted, :func:`fits_wanted`) or {family: parameters or exception}, to
    pass as ``capability_model(…, prefit=…)``. The same numbers as fitting each feature alone."""
    jobs: list[tuple[NDArray[np.float64], str, dict[str, float]]] = []
    where: list[tuple[int, str]] = []
    out: list[dict[str, tuple[float, ...] | Exception] | None] = [None] * len(features)
    for k, (values, lbz, doc) in enumerate(features):
        x = np.asarray(values, dtype=float)
        x = x[np.isfinite(x)]
        if not fits_wanted(x, lbz, doc):
            continue
        out[k] = {}
        positive = bool(x.size and x.min() > 0)
        for name, fixed in _candidates(lbz, positive):
            if name not in _LEAN_FIT:
                continue
            k_free = (_dist(name).numargs + 2) - len(fixed)
            if x.size < MIN_N_BY_PARAMS.get(k_free, 0):
                continue
            jobs.append((x, name, fixed))
            where.append((k, name))
    for (k, name), res in zip(where, lean_fits(jobs)):
        out[k][name] = res  # type: ignore[index]
    return out

def fit_candidates(values: ArrayLike, lower_bound_zero: bool = False,
                   min_n_by_params: dict[int, int] | None = None,
                   prefit: dict[str, tuple[float, ...] | Exception] | None = None) -> list[FitResult]:
    """Fit the candidate distributions by maximum likelihood; best (lowest AIC) first.

    Parameters
    ----------
    values : array_like
        Readings (finite, not all equal).
    lower_bound_zero : bool
        True for characteristics bounded at 0 (position, flatness, runout, roughness): location
        fixed at 0 for lognormal, Weibull, gamma (only if every reading is > 0), half-normal and
        folded normal. Otherwise three-parameter lognormal, Weibull and gamma (free threshold).
        Normal and Johnson SU are always tried.
    min_n_by_params : dict, optional
        {number of free parameters: smallest n}; a family needing more readings than the sample
        has is not fitted (:data:`MIN_N_BY_PARAMS` in :func:`capability_model`).
    prefit : dict, optional
        {family: parameters or the exception its fit raised} already computed for these readings
        by :func:`lean_prefits` (the same numbers ``_fit_fast`` gives); those families are not
        fitted again.

    Returns
    -------
    list of FitResult
        Successful fits sorted by AIC; fits that fail or give a non-finite likelihood are left out.

    Notes
    -----
    ML estimation by ``scipy.stats.<dist>.fit``. AIC = 2k − 2 ln L (Akaike 1974). Threshold
    (loc) estimates of 3-parameter fits at or above the smallest reading are rejected (the
    likelihood is unbounded there).

    References
    ----------
    Akaike (1974), *IEEE Trans. Autom. Control* 19(6), 716–723; Johnson (1949), *Biometrika* 36;
    ISO 22514-2:2017 §6 (distribution identification before the percentile method).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> fit_candidates(rng.lognormal(0.0, 0.6, 200), lower_bound_zero=True)[0].distribution
    'lognorm'
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    xs = np.sort(x)
    out: list[FitResult] = []
    positive = bool(x.size and x.min() > 0)
    for name, fixed in _candidates(lower_bound_zero, positive):
        dist = _dist(name)
        if min_n_by_params is not None:  # skip families the sample is too small to pin down
            k_free = (dist.numargs + 2) - len(fixed)
            if x.size < min_n_by_params.get(k_free, 0):
                continue
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if prefit is not None and name in prefit:
                    done = prefit[name]
                    if isinstance(done, Exception):
                        raise done
                    par = done
                else:
                    par = _fit_fast(name, x, fixed)
                frozen = _Model(dist, par)
                ll = _logpdf_sum(dist, x)(par)
        except Exception:  # noqa: BLE001 - a failed optimiser just drops the candidate
            continue
        if not math.isfinite(ll):
            continue
        names = ([s.strip() for s in dist.shapes.split(",")] if dist.shapes else []) + ["loc", "scale"]
        params = dict(zip(names, (float(p) for p in par)))
        if not fixed and name in ("lognorm", "weibull_min", "gamma") and params["loc"] >= xs[0]:
            continue
        k = len(par) - len(fixed)
        with np.errstate(all="ignore"):
            a2 = ad_statistic(xs, _cdf_fast(dist, par))
        out.append(FitResult(name, params, k, ll, 2 * k - 2 * ll, a2, frozen, dict(fixed)))
    out.sort(key=lambda r: r.aic)
    return out


def percentile_indices(frozen: Any, lsl: float | None, usl: float | None) -> dict[str, float | None]:
    """ISO 22514-2 percentile-method indices of a fitted distribution.

    Parameters
    ----------
    frozen : scipy.stats frozen distribution
        The fitted model.
    lsl, usl : float or None
        Specification limits (None = no limit).

    Returns
    -------
    dict
        ``x0_135``, ``x50``, ``x99_865`` (quantiles, value unit); ``pp``, ``ppl``, ``ppu``,
        ``ppk`` (dimensionless; ``pp`` None unless both limits); ``ppm_expected``
        (10⁶·[F(LSL) + 1 − F(USL)]).

    Notes
    -----
    .. math::
        P_p = \\frac{USL-LSL}{X_{99.865\\%}-X_{0.135\\%}},\\quad
        P_{pu} = \\frac{USL-X_{50\\%}}{X_{99.865\\%}-X_{50\\%}},\\quad
        P_{pl} = \\frac{X_{50\\%}-LSL}{X_{50\\%}-X_{0.135\\%}},\\quad P_{pk}=\\min(P_{pu},P_{pl})

    For a normal model these equal the usual Pp, Ppu, Ppl, Ppk. The fitted spread is the total
    (overall) variation, so the results are performance (P) indices.

    Validated against: the normal special case (tests/test_stats_distributions.py).

    References
    ----------
    ISO 22514-2:2017, §6.2 (percentile method, l = 3); ISO 21747:2006; Clements, J. A. (1989),
    "Process capability calculations for non-normal distributions", *Quality Progress* 22(9);
    Minitab 21 "ISO method" glossary.

    Examples
    --------
    >>> from scipy import stats
    >>> r = percentile_indices(stats.norm(10.0, 1.0), 4.0, 19.0)
    >>> round(r["pp"], 6), round(r["ppk"], 6)
    (2.5, 2.0)
    """
    return _percentile_indices(frozen, lsl, usl, True)


def _percentile_indices(frozen: Any, lsl: float | None, usl: float | None,
                        with_ppm: bool) -> dict[str, float | None]:
    """:func:`percentile_indices`; ``with_ppm=False`` leaves ``ppm_expected`` None (the delta
    method's gradient only needs Ppk, and the tail probabilities cost two more scipy calls)."""
    lo_q, med, hi_q = (float(v) for v in frozen.ppf([P_LOW, 0.5, P_HIGH]))
    res = _indices_from_quantiles(lo_q, med, hi_q, lsl, usl)
    lo, hi = _f(lsl), _f(usl)
    if with_ppm and (lo is not None or hi is not None):
        with np.errstate(all="ignore"):
            p_out = (float(frozen.cdf(lo)) if lo is not None else 0.0) + (float(frozen.sf(hi)) if hi is not None else 0.0)
        res["ppm_expected"] = _f(1e6 * p_out)
    return res


def _indices_from_quantiles(lo_q: float, med: float, hi_q: float, lsl: float | None,
                            usl: float | None) -> dict[str, float | None]:
    """The indices of :func:`percentile_indices` from the model's 0.135 %, 50 % and 99.865 %
    points (``ppm_expected`` left None)."""
    lo, hi = _f(lsl), _f(usl)
    res: dict[str, float | None] = {"x0_135": _f(lo_q), "x50": _f(med), "x99_865": _f(hi_q),
                                    "pp": None, "ppl": None, "ppu": None, "ppk": None, "ppm_expected": None}
    with np.errstate(all="ignore"):
        if lo is not None and hi is not None and hi_q > lo_q:
            res["pp"] = _f((hi - lo) / (hi_q - lo_q))
        if hi is not None and hi_q > med:
            res["ppu"] = _f((hi - med) / (hi_q - med))
        if lo is not None and med > lo_q:
            res["ppl"] = _f((med - lo) / (med - lo_q))
        sides = [v for v in (res["ppu"], res["ppl"]) if v is not None]
        res["ppk"] = min(sides) if sides else None
    return res


def _ppks(dist: Any, params: list[NDArray[np.float64]], lsl: float | None, usl: float | None) -> list[float]:
    """``[_percentile_indices(_Model(dist, tuple(p)), lsl, usl, False)["ppk"] for p in params]``
    (NaN for None) with one ``dist.ppf`` call: the quantiles of every parameter vector as one
    array, each row's parameters a column. scipy's ``ppf`` reduces its broadcast arguments to
    flat arrays and applies the family's elementwise ``_ppf``, so each element is the number the
    row's own call gives."""
    if not params:
        return []
    par = np.array(params, dtype=float)
    q = np.tile(np.array([P_LOW, 0.5, P_HIGH]), (par.shape[0], 1))
    quant = dist.ppf(q, *(par[:, k:k + 1] for k in range(par.shape[1])))
    out = []
    for lo_q, med, hi_q in quant.tolist():
        v = _indices_from_quantiles(lo_q, med, hi_q, lsl, usl)["ppk"]
        out.append(math.nan if v is None else float(v))
    return out


def percentile_ppk_interval(fit: FitResult, values: ArrayLike, lsl: float | None,
                            usl: float | None, confidence: float = 0.95) -> tuple[float, float] | None:
    """Two-sided Wald confidence interval of the ISO 22514-2 percentile Ppk of an ML fit,
    by the delta method.

    Parameters
    ----------
    fit : FitResult
        The fitted model (its family, fixed arguments and ML parameters).
    values : array_like
        The readings it was fitted to.
    lsl, usl : float or None
        Specification limits.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (lower, upper) or None
        None when the interval cannot be computed (no limit, a singular or indefinite observed
        information matrix, a non-finite index near the estimate).

    Notes
    -----
    With θ̂ the ML estimate of the free parameters, ``I(θ̂) = −∇²ℓ(θ̂)`` the observed Fisher
    information and ``g(θ) = Ppk(θ)`` the percentile index of :func:`percentile_indices`:

    .. math::
        \\widehat{\\mathrm{se}} = \\sqrt{\\nabla g(\\hat\\theta)^\\top I(\\hat\\theta)^{-1}
        \\nabla g(\\hat\\theta)},\\qquad
        \\hat P_{pk} \\pm z_{1-\\alpha/2}\\,\\widehat{\\mathrm{se}}

    Derivatives are central finite differences (``statsmodels.tools.numdiff``'s ``approx_hess3``
    and centred ``approx_fprime``, the same operations in :func:`_approx_hess3` and
    :func:`_approx_grad_centered`, their points evaluated in one batch by :func:`_logpdf_sums`
    and :func:`_ppks`) with steps of
    10⁻⁴ of the readings' SD for location and scale and 10⁻⁴·max(|θ|, 1) for shapes. This is the
    large-sample interval for functions of distribution quantiles used for fitted lifetime
    models (Meeker & Escobar 1998, ch. 8). It treats the family as known: the uncertainty of
    choosing the family is not included (the decision weighs every plausible family's interval,
    see ``alternatives`` in :func:`capability_model`). Why not Bissell's formula evaluated at the
    percentile index: that formula is derived for normal data and its lower 97.5 % bound
    covered the true percentile Ppk in only 80–85 % (lognormal) and 86–88 % (Weibull) of
    simulated pilot runs (n = 50 and 150, true Ppk 1.5, upper limit), against 96–98 % for this
    interval (tests/test_stats_distributions.py, slow Monte-Carlo test).

    References
    ----------
    Casella & Berger (2002), *Statistical Inference* 2nd ed., §5.5.4 (delta method) and §10.1.3;
    Meeker, W. Q. & Escobar, L. A. (1998), *Statistical Methods for Reliability Data*, ch. 8;
    ISO 22514-2:2017 §6 (percentile indices).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(10.0, 1.0, 200)
    >>> fit = next(f for f in fit_candidates(x) if f.distribution == "norm")
    >>> lo, hi = percentile_ppk_interval(fit, x, 4.0, 16.0)
    >>> lo < percentile_indices(fit.frozen, 4.0, 16.0)["ppk"] < hi
    True
    """
    if lsl is None and usl is None:
        return None
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    dist = _dist(fit.distribution)
    names = list(fit.params)
    par = np.array([fit.params[k] for k in names], dtype=float)
    free = [i for i, k in enumerate(names) if f"f{k}" not in fit.fixed]
    if not free or x.size < 3:
        return None
    spread = float(x.std(ddof=1)) or 1.0
    steps = np.array([1e-4 * spread if names[i] in ("loc", "scale") else 1e-4 * max(abs(par[i]), 1.0)
                      for i in free])

    def full(th: NDArray[np.float64]) -> NDArray[np.float64]:
        p = par.copy()
        p[free] = th
        return p

    logpdf_sums = _logpdf_sums(dist, x)

    def loglik(ths: list[NDArray[np.float64]]) -> list[float]:
        return logpdf_sums([full(th) for th in ths])

    def ppk(ths: list[NDArray[np.float64]]) -> list[float]:
        return _ppks(dist, [full(th) for th in ths], lsl, usl)

    th0 = par[free]
    at_estimate: list[float] = []

    def ppk_and_estimate(ths: list[NDArray[np.float64]]) -> list[float]:
        # the gradient's points and the estimate itself in one batch (each value as alone)
        values = ppk([th0, *ths])
        at_estimate.append(values[0])
        return values[1:]

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            info = -np.atleast_2d(_approx_hess3(th0, None, steps, loglik))
            grad = _approx_grad_centered(th0, None, steps, ppk_and_estimate)
            p0 = at_estimate[0]
            if not (np.all(np.isfinite(info)) and np.all(np.isfinite(grad)) and math.isfinite(p0)):
                return None
            if np.any(np.linalg.eigvalsh((info + info.T) / 2) <= 0):
                return None  # not a proper maximum: the curvature gives no standard error
            var = float(grad @ np.linalg.solve(info, grad))
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return None
    if not math.isfinite(var) or var < 0:
        return None
    half = _z_two_sided(confidence) * math.sqrt(var)
    lo, hi = _f(p0 - half), _f(p0 + half)
    return None if lo is None or hi is None else (lo, hi)


def _z_two_sided(confidence: float) -> float:
    """The standard normal quantile z₁₋α/₂ of a two-sided interval at ``confidence``:
    ``scipy.stats.norm.ppf(0.5 + confidence/2)``, which is ``scipy.special.ndtri`` of it times
    scale 1 plus loc 0 (the same double), computed without scipy.stats' argument handling."""
    from scipy.special import ndtri

    return float(ndtri(0.5 + confidence / 2))


def _logpdf_sum(dist: Any, x: NDArray[np.float64]) -> Any:
    """``params -> float(np.sum(dist.logpdf(x, *params)))`` computed as scipy's public
    ``rv_continuous.logpdf`` computes it when every reading lies in the support and the
    parameters are valid — ``dist._logpdf(z, *shapes) − ln(scale)`` with z = (x − loc)/scale and
    the shapes and scale broadcast to one value per reading, as ``argsreduce`` passes them — without
    its argument handling; any other case calls ``dist.logpdf`` itself. Equality with
    ``dist.logpdf`` is tested in tests/test_fits_fast.py."""
    n = x.size
    argcheck, support_mask, logpdf = dist._argcheck, dist._support_mask, dist._logpdf

    def total(params: Any) -> float:
        *shapes, loc, scale = (float(p) for p in params)
        if scale > 0 and np.all(argcheck(*shapes)):
            z = np.asarray((x - loc) / scale, dtype=np.float64)
            if np.all(support_mask(z, *shapes)) and not np.isnan(z).any():
                lp = logpdf(z, *(np.full(n, v) for v in shapes)) - np.log(np.full(n, scale))
                return float(np.sum(lp))
        return float(np.sum(dist.logpdf(x, *params)))

    return total


def _cdf_fast(dist: Any, params: tuple[float, ...]) -> Any:
    """``x -> dist.cdf(x, *params)`` computed as scipy's public ``rv_continuous.cdf`` computes it
    when the parameters are valid and every point lies inside the open support — the family's
    ``_cdf(z, *shapes)`` with z = (x − loc)/scale and each shape repeated once per point (as
    ``argsreduce`` passes them) — without its argument handling and masks; any other case calls
    ``dist.cdf`` itself. Equality tested in tests/test_fits_lockstep.py."""
    *shapes, loc, scale = (float(p) for p in params)
    argcheck, open_mask, cdf = dist._argcheck, dist._open_support_mask, dist._cdf

    def f(x: Any) -> Any:
        if scale > 0 and np.all(argcheck(*shapes)):
            z = np.asarray((np.asarray(x) - loc) / scale, dtype=np.float64)
            if z.ndim == 1 and z.size and np.all(open_mask(z, *shapes)):
                return cdf(z, *(np.full(z.size, v) for v in shapes))
        return dist.cdf(x, *params)

    return f


def _logpdf_sums(dist: Any, x: NDArray[np.float64]) -> Any:
    """``[total(p) for p in params]`` of :func:`_logpdf_sum` in one array computation: the
    standardised readings of every parameter vector as the rows of one C-contiguous array, each
    shape and ln(scale) repeated along its row (as ``np.full`` gives it to a single row), the
    family's elementwise ``_logpdf`` applied once and each row summed by ``np.sum(axis=1)`` (the
    pairwise sum of the row alone). Parameter vectors that :func:`_logpdf_sum` does not take on
    its fast path (a reading outside the support, an invalid shape or scale) are evaluated by it.
    Equality tested in tests/test_fits_lockstep.py."""
    n = x.size
    argcheck, support_mask, logpdf = dist._argcheck, dist._support_mask, dist._logpdf
    single = _logpdf_sum(dist, x)

    def totals(params: list[Any]) -> list[float]:
        out: list[float] = [math.nan] * len(params)
        rows: list[int] = []
        vals: list[list[float]] = []
        for j, p in enumerate(params):
            *shapes, loc, scale = (float(v) for v in p)
            if scale > 0 and np.all(argcheck(*shapes)):
                rows.append(j)
                vals.append([*shapes, loc, scale])
            else:
                out[j] = single(p)
        if not rows:
            return out
        par = np.array(vals, dtype=float)
        cols = [par[:, k:k + 1] for k in range(par.shape[1])]
        shape_cols, cloc, cscale = cols[:-2], cols[-2], cols[-1]
        z = np.asarray((x - cloc) / cscale, dtype=np.float64)
        ok = np.all(support_mask(z, *shape_cols), axis=1) & ~np.isnan(z).any(axis=1)
        for r in np.flatnonzero(~ok).tolist():
            out[rows[r]] = single(params[rows[r]])
        keep = np.flatnonzero(ok)
        if keep.size:
            if keep.size < len(rows):
                z = z[keep]
                shape_cols, cscale = [c[keep] for c in shape_cols], cscale[keep]
            lp = (logpdf(z, *(np.repeat(c, n, axis=1) for c in shape_cols))
                  - np.log(np.repeat(cscale, n, axis=1)))
            for r, t in zip(keep.tolist(), np.sum(lp, axis=1).tolist()):
                out[rows[r]] = float(t)
        return out

    return totals


def _approx_hess3(x: NDArray[np.float64], f: Any, h: NDArray[np.float64], f_many: Any = None) -> NDArray[np.float64]:
    """Hessian of ``f`` at ``x`` by central differences with steps ``h`` — the operations of
    ``statsmodels.tools.numdiff.approx_hess3`` (Ridout 2009, eq. 9), without importing statsmodels:

    .. math:: H_{ij} = \\frac{f(x+e_i+e_j) - f(x+e_i-e_j) - (f(x-e_i+e_j) - f(x-e_i-e_j))}{4h_ih_j}

    With ``f_many`` (a list of points → their values, as ``f`` gives them) every point is
    evaluated in one call and the same differences are taken.
    """
    n = len(x)
    ee = np.diag(h)
    if f_many is not None:
        points = []
        for i in range(n):
            for j in range(i, n):
                points += [x + ee[i, :] + ee[j, :], x + ee[i, :] - ee[j, :],
                           x - ee[i, :] + ee[j, :], x - ee[i, :] - ee[j, :]]
        values = iter(f_many(points))

        def f(_p: Any) -> Any:
            return next(values)
    hess = np.outer(h, h)
    for i in range(n):
        for j in range(i, n):
            hess[i, j] = np.squeeze((f(x + ee[i, :] + ee[j, :]) - f(x + ee[i, :] - ee[j, :])
                                     - (f(x - ee[i, :] + ee[j, :]) - f(x - ee[i, :] - ee[j, :])))
                                    / (4.0 * hess[i, j]))
            hess[j, i] = hess[i, j]
    return hess


def _approx_grad_centered(x: NDArray[np.float64], f: Any, h: NDArray[np.float64],
                          f_many: Any = None) -> NDArray[np.float64]:
    """Gradient of a scalar ``f`` at ``x`` by central differences — the operations of
    ``statsmodels.tools.numdiff.approx_fprime(x, f, epsilon=h, centered=True)``, which halves
    the steps: with :math:`\\epsilon = h/2`, :math:`g_k = (f(x+\\epsilon_k e_k) -
    f(x-\\epsilon_k e_k))/(2\\epsilon_k)`. With ``f_many`` (a list of points → their values, as
    ``f`` gives them) every point is evaluated in one call and the same differences are taken."""
    n = len(x)
    eps = np.asarray(h) / 2.0
    grad = np.zeros((n, 1), float)
    ei = np.zeros((n,), float)
    if f_many is not None:
        points = []
        for k in range(n):
            ei[k] = eps[k]
            points += [x + ei, x - ei]
            ei[k] = 0.0
        values = iter(f_many(points))

        def f(_p: Any) -> Any:
            return next(values)
    for k in range(n):
        ei[k] = eps[k]
        grad[k, :] = (f(x + ei) - f(x - ei)) / (2 * eps[k])
        ei[k] = 0.0
    return np.asarray(grad, dtype=float).ravel()


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def _extrapolation_note(fit: FitResult, x: NDArray[np.float64], pct: dict[str, float | None],
                        ci: tuple[float, float] | None, confidence: float) -> str | None:
    """A note when a fitted model's tails reach beyond what the data support (issue 13).

    Two signs: its Ppk interval is more than :data:`WIDE_FACTOR` times as wide as the
    normal-theory (Bissell) interval of the same Ppk and n,
    :math:`2z\\sqrt{1/(9n) + P_{pk}^2/(2(n-1))}`; or its 0.135–99.865 % range differs from the
    data's ±3s by more than a factor :data:`SPREAD_FACTOR` (the model stretches or shrinks the
    tails it extrapolates). None when neither holds.
    """
    n = x.size
    bits: list[str] = []
    ppk = pct.get("ppk")
    if ci is not None and ppk is not None and n >= 3:
        z = _z_two_sided(confidence)
        normal_w = 2 * z * math.sqrt(1 / (9 * n) + ppk**2 / (2 * (n - 1)))
        width = ci[1] - ci[0]
        if normal_w > 0 and width > WIDE_FACTOR * normal_w:
            bits.append(f"its Ppk interval is {width / normal_w:.1f} times as wide as the normal-theory interval "
                        f"at n = {n}")
    lo_q, hi_q, s = pct.get("x0_135"), pct.get("x99_865"), float(x.std(ddof=1))
    if lo_q is not None and hi_q is not None and s > 0:
        ratio = (hi_q - lo_q) / (6 * s)
        if ratio > SPREAD_FACTOR or ratio < 1 / SPREAD_FACTOR:
            bits.append(f"its 0.135–99.865 % range is {ratio:.2g} times the data's ±3s")
    if not bits:
        return None
    return (f"The fitted {fit.distribution} model extrapolates its tails beyond what {n} readings support ("
            + "; ".join(bits) + "): treat its Ppk and bound with caution.")


def capability_model(
    values: ArrayLike,
    lsl: float | None,
    usl: float | None,
    lower_bound_zero: bool,
    normal_doc: dict[str, Any],
    normal_indices: dict[str, Any],
    alpha: float = 0.05,
    sigma_within_method: str | None = None,
    confidence: float = 0.95,
    prefit: dict[str, tuple[float, ...] | Exception] | None = None,
) -> tuple[dict[str, Any] | None, list[str]]:
    """Choose the model behind the decision indices: normal theory or a fitted distribution.

    Parameters
    ----------
    values : array_like
        Readings of one feature.
    lsl, usl : float or None
        Specification limits.
    lower_bound_zero : bool
        The characteristic is bounded at 0 (position, flatness, runout, roughness).
    normal_doc : dict
        Output of :func:`normality`.
    normal_indices : dict
        Normal-theory ``cp``, ``cpk``, ``pp``, ``ppk``, ``ppm_expected`` of the feature.
    alpha : float
        Significance level of the normality test.
    sigma_within_method : str or None
        Name of the within estimator (only quoted in the reason).
    confidence : float
        Level of the two-sided ``ppk_ci`` of a fitted model (:func:`percentile_ppk_interval`).
    prefit : dict, optional
        Fits already computed for these readings (:func:`lean_prefits`), passed to
        :func:`fit_candidates`; the result is the same with or without them.

    Returns
    -------
    (model, notes)
        ``model`` = {``distribution``, ``params``, ``method``, ``cp``, ``cpk``, ``pp``, ``ppk``,
        ``ppl``, ``ppu``, ``ppm_expected``, ``percentiles``, ``selection``, ``candidates``,
        ``decision_basis`` ("normal" or "percentile"), ``reason``, and for a fitted non-normal
        model ``ppk_ci`` / ``ci_method`` and ``alternatives``}, or None when the readings
        have no spread (n < 2 or all equal).

    Notes
    -----
    Distributions are fitted when the feature is bounded at zero, or when normality is rejected
    *strongly* (AD p < :data:`ALPHA_SWITCH`, not just < α: a characteristic without a natural bound
    is decided with the normal model unless the evidence against it is material), and n ≥
    :data:`MIN_N_FIT`; a family is fitted only with n ≥ :data:`MIN_N_BY_PARAMS` for its number of
    parameters (no Johnson SU below 200 readings). A fitted model whose tails reach beyond what
    the data support (:func:`_extrapolation_note`) gets a note in ``notes`` and ``reason``. The candidate with the lowest AIC is chosen
    (:func:`fit_candidates`) unless the normal model's AIC is within :data:`AIC_MARGIN` of it
    (then the simpler normal model is kept). If a non-normal model wins, decisions use its ISO 22514-2
    percentile indices (:func:`percentile_indices`), which estimate total spread — so the model's
    ``cp``/``cpk`` are null and ``pp``/``ppk`` carry the indices, as in Minitab's non-normal
    capability analysis. Otherwise decisions use the normal-theory indices.

    ``alternatives`` lists every candidate within :data:`ALTERNATIVES_AIC_WINDOW` AIC units of
    the best (the best first): ``distribution``, ``aic_delta``, ``ppk`` and ``ppk_ci`` by the same
    percentile method and interval. Pilot samples rarely tell lognormal from gamma or Weibull,
    yet the 99.865 % point — and so Ppk — differs between them; the decision
    (:mod:`pilotqa.decide.verdict`) takes the lowest bound among the models the data cannot rule
    out, so that choosing a light-tailed model by chance does not release a characteristic.

    References
    ----------
    ISO 22514-2:2017 §6; Minitab 21 "Nonnormal Capability Analysis — methods and formulas";
    AIAG SPC manual 2nd ed., ch. IV (non-normal data); Burnham & Anderson (2002), *Model
    Selection and Multimodel Inference* 2nd ed., §2.6.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    notes: list[str] = []
    if x.size < 2 or np.ptp(x) == 0:
        return None, notes
    normal_model: dict[str, Any] = {
        "distribution": "normal",
        "params": {"mean": _f(x.mean()), "sd": _f(x.std(ddof=1))},
        "method": "normal",
        "cp": normal_indices.get("cp"), "cpk": normal_indices.get("cpk"),
        "pp": normal_indices.get("pp"), "ppk": normal_indices.get("ppk"),
        "ppl": normal_indices.get("ppl"), "ppu": normal_indices.get("ppu"),
        "ppm_expected": normal_indices.get("ppm_expected"),
        "percentiles": None, "selection": None, "candidates": [],
        "decision_basis": "normal", "reason": "",
    }
    rejected = normal_doc.get("normal") is False
    p_txt = f"AD p = {_fmt(normal_doc.get('ad_p_value'))}" if normal_doc.get("ad_p_value") is not None else (
        f"Shapiro–Wilk p = {_fmt(normal_doc.get('sw_p_value'))}")
    cpk_name = f"Cpk (sigma_within '{sigma_within_method}')" if sigma_within_method else "Cpk"
    if not rejected and not lower_bound_zero:
        normal_model["reason"] = (f"Normality not rejected ({p_txt}, α = {alpha:g}); decisions use the "
                                  f"normal-theory indices ({cpk_name}, Ppk).")
        return normal_model, notes
    # issue 13 guard: without a natural bound, leave the normal model only on strong evidence
    p_norm = normal_doc.get("ad_p_value") if normal_doc.get("ad_p_value") is not None else normal_doc.get("sw_p_value")
    if not lower_bound_zero and (p_norm is None or p_norm >= ALPHA_SWITCH):
        normal_model["reason"] = (f"Normality rejected ({p_txt} < α = {alpha:g}) but not strongly (p ≥ "
                                  f"{ALPHA_SWITCH:g}): a characteristic without a natural bound is decided with "
                                  f"the normal model unless the evidence against it is material; decisions use "
                                  f"the normal-theory indices ({cpk_name}, Ppk).")
        return normal_model, notes
    why = (f"normality rejected ({p_txt} < α = {alpha:g})" if rejected
           else "the characteristic is bounded at zero")
    if x.size < MIN_N_FIT:
        normal_model["reason"] = (f"{why[0].upper()}{why[1:]}, but only {x.size} readings — too few to fit a "
                                  f"distribution (n ≥ {MIN_N_FIT}); decisions use the normal-theory indices.")
        notes.append(normal_model["reason"])
        return normal_model, notes
    fits = fit_candidates(x, lower_bound_zero, MIN_N_BY_PARAMS, prefit)
    if not fits:
        normal_model["reason"] = f"{why[0].upper()}{why[1:]}, but no distribution could be fitted; normal-theory indices used."
        notes.append(normal_model["reason"])
        return normal_model, notes
    cand = [{"distribution": f.distribution, "aic": _f(f.aic), "loglik": _f(f.loglik),
             "ad_statistic": _f(f.ad_statistic), "n_params": f.n_params} for f in fits]
    best = fits[0]
    norm_fit = next((f for f in fits if f.distribution == "norm"), None)
    if norm_fit is not None and norm_fit.aic - best.aic < AIC_MARGIN:
        normal_model["selection"] = "aic"
        normal_model["candidates"] = cand
        if best is norm_fit:
            how = f"the normal model has the lowest AIC of {len(fits)} candidates"
        else:
            how = (f"the normal model's AIC is within {AIC_MARGIN:g} of the best candidate ({best.distribution}), "
                   "so the simpler model is kept")
        normal_model["reason"] = (f"Distributions fitted because {why}; {how}; decisions use the normal-theory "
                                  "indices.")
        return normal_model, notes
    pct = percentile_indices(best.frozen, lsl, usl)
    alternatives: list[dict[str, Any]] = []
    ci: tuple[float, float] | None = None
    for f in fits:
        delta = f.aic - best.aic
        if delta > ALTERNATIVES_AIC_WINDOW:
            continue
        alt_ppk = pct["ppk"] if f is best else percentile_indices(f.frozen, lsl, usl)["ppk"]
        alt_ci = percentile_ppk_interval(f, x, lsl, usl, confidence) if alt_ppk is not None else None
        if f is best:
            ci = alt_ci
        if alt_ppk is not None and alt_ci is None:
            notes.append(f"No confidence interval for the percentile Ppk of the {f.distribution} fit: the "
                         "likelihood's curvature at the estimate gives no standard error.")
        alternatives.append({"distribution": f.distribution, "aic_delta": _f(delta), "ppk": _f(alt_ppk),
                             "ppk_ci": list(alt_ci) if alt_ci is not None else None})
    wide = _extrapolation_note(best, x, pct, ci, confidence)  # issue 13: say when tails are extrapolated
    if wide:
        notes.append(wide)
    model = {
        "distribution": best.distribution,
        "params": {k: _f(v) for k, v in best.params.items()},
        "method": "ISO 22514-2 percentile",
        "cp": None, "cpk": None,
        "pp": pct["pp"], "ppk": pct["ppk"], "ppl": pct["ppl"], "ppu": pct["ppu"],
        "ppm_expected": pct["ppm_expected"],
        "ppk_ci": list(ci) if ci is not None else None,
        "ci_method": f"delta method on the ML fit, two-sided {confidence:.0%}" if ci is not None else None,
        "alternatives": alternatives,
        "percentiles": {"x0_135": pct["x0_135"], "x50": pct["x50"], "x99_865": pct["x99_865"]},
        "selection": "aic",
        "candidates": cand,
        "decision_basis": "percentile",
        "reason": (f"Distributions fitted because {why}; {best.distribution} (scipy.stats parameterisation) has the "
                   f"lowest AIC of {len(fits)} candidates, so decisions use its ISO 22514-2 percentile indices "
                   f"(Ppk = {_fmt(pct['ppk'])}; normal-theory Ppk = {_fmt(normal_indices.get('ppk'))}). "
                   "Percentile indices describe total spread, so only Pp/Ppk are given for this model."
                   + (f" {wide}" if wide else "")),
    }
    return model, notes
