"""Polynomial degrees and QSVT scales estimated without fitting (resource estimation).

The compiler chooses each nonlinearity's polynomial by interpolating ``f(a·t)`` on
``[-1, 1]`` (ReLU: a minimax construction) (:func:`qcompile.lowering.polynomials.choose_polynomial`); at LLM sizes ``a``
(the argument's subnormalisation) reaches thousands, where ``e^{a}`` overflows and an
interpolant is out of reach.  Here the degree comes from the Chebyshev coefficients
``c_k`` of ``f(a·t)`` instead: an interpolant of degree ``d`` is within
``2·Σ_{k>d}|c_k|`` of ``f`` (Trefethen, *ATAP* Thm 8.2's aliasing argument), so the
smallest ``d`` with ``2·tail(d) ≤ tolerance`` is an upper bound of the degree the
compiler picks (up to the ±1 of a parity step).  Coefficients:

* ``exp(a t)``: ``c_0 = I_0(a)``, ``c_k = 2 I_k(a)`` (modified Bessel functions), summed in
  log space (``log I_k`` from ``scipy.special.ive`` for small ``k``, the uniform Debye
  expansion for ``k ≥ 30``, relative error O(1/k)), so ``a`` may be 10⁵.
* ``relu(a t) = a(t + |t|)/2``: not interpolated but built from the minimax polynomial
  of ``|t|`` (:mod:`qcompile.quantum.minimax`), whose degree ``2⌈β·a/(4·tol)⌉`` and error
  bound ``a·β/(4m)`` are closed forms (Bernstein's constant ``β``): the compiler's degree
  exactly.
* ``gelu(a t)``: coefficients from a discrete cosine transform of samples at Chebyshev
  points (grid doubled until the last coefficients are at rounding level).

The QSVT scale ``K = (sup|f_even| + sup|f_odd|)/(1 − margin)`` of the mixed-parity target
(each part's sup is at ``t = 1`` for these functions): ``exp``: ``e^a``; ``relu``: ``a``;
``gelu``: ``a·erf(a/√2)/2 + a/2``.  The output subnormalisation is ``K·√N`` as in
:mod:`qcompile.quantum.elementwise`; it is kept as a logarithm because ``e^a`` overflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qcompile.errors import QcompileError
from qcompile.lowering.polynomials import MARGIN, qubits_for


@dataclass(frozen=True)
class DegreeEstimate:
    """The estimated polynomial of one nonlinearity (duck-types
    :class:`~qcompile.lowering.polynomials.PolynomialChoice` for the lowering).

    ``degree``: an upper bound of the interpolant degree meeting ``tolerance``;
    ``error``: the bound ``2·tail(degree)``; ``log_alpha``: natural log of the output
    subnormalisation ``K·√N``; ``alpha``: ``e^{log_alpha}`` (``inf`` beyond floats).
    """

    function: str
    input_alpha: float
    degree: int
    error: float
    tolerance: float
    log_K: float
    log_alpha: float
    lipschitz: float

    @property
    def alpha(self) -> float:
        """The output subnormalisation (``inf`` if it does not fit in a float)."""
        return math.exp(self.log_alpha) if self.log_alpha < 709 else math.inf

    @property
    def K(self) -> float:
        """The QSVT scale (``inf`` if it does not fit in a float)."""
        return math.exp(self.log_K) if self.log_K < 709 else math.inf


def _log_bessel_i(k: np.ndarray, a: float) -> np.ndarray:
    """``log I_k(a)`` for integers ``k ≥ 0`` and ``a > 0``."""
    from scipy.special import ive

    out = np.empty(k.shape)
    small = k < 30
    out[small] = np.log(ive(k[small], a)) + a
    nu = k[~small].astype(float)
    z = a / nu
    s = np.sqrt(1.0 + z * z)
    out[~small] = nu * (s + np.log(z / (1.0 + s))) - 0.5 * np.log(2 * np.pi * nu) - 0.5 * np.log(s)
    return out


def _degree_from_log_coefficients(logc: np.ndarray, tolerance: float) -> tuple[int, float]:
    """Smallest ``d`` with ``2·Σ_{k>d} c_k ≤ tolerance`` (``logc[k] = log|c_k|``)."""
    # reverse cumulative log-sum-exp: tail[d] = log Σ_{k>d} c_k
    rev = np.logaddexp.accumulate(logc[::-1])[::-1]
    tail = np.append(rev[1:], -np.inf)
    ok = np.nonzero(math.log(2.0) + tail <= math.log(tolerance))[0]
    if ok.size == 0:
        raise QcompileError("internal error: coefficient range too short for the tolerance")
    d = int(ok[0])
    return d, float(2.0 * math.exp(tail[d])) if np.isfinite(tail[d]) else 0.0


def _exp_degree(a: float, tolerance: float) -> tuple[int, float]:
    # the coefficients 2 I_k(a) decrease in k, so the tail criterion is monotone: bisect
    # on d, summing each tail over a window long enough that its rest is negligible
    # where the criterion can hold (there the terms fall off by a constant ratio)
    window = 4096
    log_goal = math.log(tolerance) - math.log(2.0)

    def log_tail(d: int) -> float:
        k = np.arange(d + 1, d + 1 + window)
        v = _log_bessel_i(k, a) + math.log(2.0)
        m = float(np.max(v))
        return m + math.log(float(np.sum(np.exp(v - m))))

    lo, hi = 0, 64
    while log_tail(hi) > log_goal:
        lo, hi = hi, 2 * hi
    while lo < hi:
        mid = (lo + hi) // 2
        if log_tail(mid) <= log_goal:
            hi = mid
        else:
            lo = mid + 1
    return hi, 2.0 * math.exp(log_tail(hi))


def _relu_degree(a: float, tolerance: float) -> tuple[int, float]:
    # the compiler's construction a(t + q(t))/2, q the minimax even polynomial of |t| of
    # degree 2m, m = ⌈β a/(4 tol)⌉: the same degree, error ≤ a·β/(4m)
    from qcompile.quantum.minimax import BERNSTEIN, abs_minimax_degree

    m = abs_minimax_degree(2.0 * tolerance / a)
    return 2 * m, a * BERNSTEIN / (4.0 * m)


def _gelu_degree(a: float, tolerance: float) -> tuple[int, float]:
    from scipy.fft import dct

    from qcompile.quantum.polynomials import gelu

    n = 256
    while True:
        t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
        c = dct(gelu(a * t), type=2) / n
        c[0] /= 2.0
        scale = max(1.0, float(np.max(np.abs(c))))
        if np.max(np.abs(c[-n // 8:])) <= 1e-14 * scale or n >= 2**22:
            break
        n *= 2
    logc = np.log(np.maximum(np.abs(c), 1e-300))
    return _degree_from_log_coefficients(logc, tolerance)


def estimate_polynomial(function: str, input_alpha: float, dim: int, tolerance: float,
                        margin: float = MARGIN) -> DegreeEstimate:
    """The :class:`DegreeEstimate` of ``function(input_alpha · t)`` within ``tolerance``
    for an argument of length ``dim`` (module docstring)."""
    a = float(input_alpha)
    if not (math.isfinite(a) and a > 0):
        raise QcompileError(f"cannot estimate the polynomial of {function}: its argument's "
                            f"subnormalisation is {a:g}")
    if function == "exp":
        degree, error = _exp_degree(a, tolerance)
        log_k, lip = a, (math.exp(a) if a < 709 else math.inf)
    elif function == "relu":
        degree, error = _relu_degree(a, tolerance)
        log_k, lip = math.log(a), 1.0
    elif function == "gelu":
        from scipy.special import erf

        degree, error = _gelu_degree(a, tolerance)
        log_k, lip = math.log(a * float(erf(a / math.sqrt(2.0))) / 2.0 + a / 2.0), 1.13
    else:
        raise QcompileError(f"no degree estimate for the function {function!r}")
    log_k -= math.log(1.0 - margin)
    log_alpha = log_k + 0.5 * qubits_for(dim) * math.log(2.0)
    return DegreeEstimate(function, a, int(degree), float(error), float(tolerance), float(log_k),
                          float(log_alpha), float(lip))


def estimate_policy(tolerance: float):
    """A lowering policy (see :func:`qcompile.lowering.symbolic.lower`) giving every
    nonlinearity an estimated polynomial of tolerance ``tolerance``."""

    def policy(function: str, argument, node: int) -> DegreeEstimate:
        return estimate_polynomial(function, argument.alpha, argument.dim, tolerance)

    return policy
