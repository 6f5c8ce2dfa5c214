"""Polynomial degrees from Chebyshev coefficients, without fitting (resource estimation).

The compiler interpolates ``f(a·t)`` on ``[-1, 1]``; at LLM sizes ``a`` (the argument's
subnormalisation) reaches thousands, where ``e^{a}`` overflows and an interpolant is out
of reach.  An interpolant of degree ``d`` is within ``2·Σ_{k>d}|c_k|`` of ``f`` (Trefethen,
*ATAP* Thm 8.2's aliasing argument), so the smallest ``d`` with ``2·tail(d) ≤ tolerance``
bounds the degree the compiler picks (up to the ±1 of a parity step).  Coefficients:

* ``exp(a t)``: ``c_0 = I_0(a)``, ``c_k = 2 I_k(a)`` (modified Bessel functions), summed in
  log space (``log I_k`` from ``scipy.special.ive`` for small ``k``, the uniform Debye
  expansion for ``k ≥ 30``, relative error O(1/k)), so ``a`` may be 10⁵
  (:func:`exp_degree`);
* ``exp(−(a t)²)`` (Gaussian attention): with ``t = cos θ``, ``t² = (1 + cos 2θ)/2``, so
  ``c_{2k} = 2(−1)^k e^{−a²/2} I_k(a²/2)`` (``c_0`` without the 2) and the odd ones vanish:
  the degree grows like ``2a·√(ln 1/tol)`` (:func:`gaussian_degree`);
* ``relu(a t) = a(t + |t|)/2`` is built from the minimax polynomial of ``|t|``
  (:mod:`qcompile.quantum.minimax`), whose degree ``2⌈β·a/(4·tol)⌉`` and error bound
  ``a·β/(4m)`` are closed forms (:func:`relu_minimax_degree`): the compiler's degree exactly;
* any other function: coefficients from a discrete cosine transform of samples at
  Chebyshev points, the grid doubled until the last coefficients are at rounding level
  (:func:`chebyshev_tail_degree`).
"""

from __future__ import annotations

import math

import numpy as np

from qcompile.errors import InternalError


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


def degree_from_log_coefficients(logc: np.ndarray, tolerance: float) -> tuple[int, float]:
    """Smallest ``d`` with ``2·Σ_{k>d} c_k ≤ tolerance`` (``logc[k] = log|c_k|``), and that bound."""
    # reverse cumulative log-sum-exp: tail[d] = log Σ_{k>d} c_k
    rev = np.logaddexp.accumulate(logc[::-1])[::-1]
    tail = np.append(rev[1:], -np.inf)
    ok = np.nonzero(math.log(2.0) + tail <= math.log(tolerance))[0]
    if ok.size == 0:
        raise InternalError("coefficient range too short for the tolerance")
    d = int(ok[0])
    return d, float(2.0 * math.exp(tail[d])) if np.isfinite(tail[d]) else 0.0


def exp_degree(a: float, tolerance: float) -> tuple[int, float]:
    """Degree bound and error bound of the interpolant of ``exp(a t)`` (module docstring)."""
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


def gaussian_degree(a: float, tolerance: float) -> tuple[int, float]:
    """Degree bound and error bound of the interpolant of ``exp(−(a t)²)`` (module
    docstring): ``|c_{2k}| = 2·I_k(x)e^{−x}``, ``x = a²/2``, summed in log space."""
    x = 0.5 * a * a
    if x == 0.0:
        return 0, 0.0
    # I_k(x)e^{−x} ≈ e^{−k²/(2x)}/√(2πx): the range runs well past k ≈ √(2x·ln(4/tol));
    # degree_from_log_coefficients refuses a range too short for the tolerance
    span = math.log(4.0 / tolerance) + 50.0
    kmax = math.ceil(span + math.sqrt(2.0 * x * span + span * span)) + 8
    k = np.arange(kmax + 1)
    logc = np.full(2 * kmax + 1, -np.inf)
    logc[0::2] = _log_bessel_i(k, x) - x + math.log(2.0)
    logc[0] -= math.log(2.0)
    return degree_from_log_coefficients(logc, tolerance)


def relu_minimax_degree(a: float, tolerance: float) -> tuple[int, float]:
    """The compiler's ReLU degree: ``a(t + q(t))/2`` with ``q`` the minimax even
    polynomial of ``|t|`` of degree ``2m``, ``m = ⌈β a/(4 tol)⌉``; error ≤ ``a·β/(4m)``."""
    from qcompile.quantum.minimax import BERNSTEIN, abs_minimax_degree

    m = abs_minimax_degree(2.0 * tolerance / a)
    return 2 * m, a * BERNSTEIN / (4.0 * m)


def chebyshev_tail_degree(f, a: float, tolerance: float) -> tuple[int, float]:
    """Degree bound and error bound for ``f(a t)`` from its Chebyshev coefficients (a DCT
    of samples at Chebyshev points, the grid doubled until the last eighth of the
    coefficients is at rounding level)."""
    from scipy.fft import dct

    n = 256
    while True:
        t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
        c = dct(f(a * t), type=2) / n
        c[0] /= 2.0
        scale = max(1.0, float(np.max(np.abs(c))))
        if np.max(np.abs(c[-n // 8:])) <= 1e-14 * scale or n >= 2**22:
            break
        n *= 2
    logc = np.log(np.maximum(np.abs(c), 1e-300))
    return degree_from_log_coefficients(logc, tolerance)
