"""QSP phase factors by symmetric QSP (Dong–Meng–Whaley–Lin arXiv:2002.11649), own Newton solver.

Two conventions appear (DESIGN §5 "Polynomials", research/algorithms.md §3):

* **Wx** (the solver's): ``U_Φ(x) = e^{iφ_0 Z} Π_{k=1..d} W(x) e^{iφ_k Z}`` with
  ``W(x) = [[x, i√(1−x²)], [i√(1−x²), x]]``; the target is ``P(x) = Im ⟨0|U_Φ(x)|0⟩``.
  Phases are symmetric, ``φ_k = φ_{d−k}``, and parametrised by ``⌈(d+1)/2⌉`` *reduced*
  phases (Dong–Lin–Ni–Wang arXiv:2307.12468 / pyqsp's ``sym_qsp``): for odd d the full
  list is ``reversed(r) + r``, for even d it is ``reversed(r[1:]) + [2 r_0] + r[1:]``.
  To first order ``P ≈ Σ_j 2 r_j T_{2j+parity}``, so ``r = c/2`` (reduced Chebyshev
  coefficients) is the Newton starting point.
* **Reflection** (what :func:`qcompile.quantum.qsvt.qsvt` uses): projector-controlled
  phases ``PC(φ) = e^{iφ(2Π−I)}`` alternating with the block encoding U and U†,
  ``PC(φ'_0) U_1 PC(φ'_1) ⋯ U_d PC(φ'_d)`` with ``U_k = U`` when ``d−k`` is even (the
  rightmost factor is U).  On a 1-d singular value x the reflection is
  ``R(x) = [[x, √(1−x²)], [√(1−x²), −x]]``.  Conversion (checked numerically by
  :func:`qsp_phases` on every call):

      φ'_0 = φ_0 − π/4 + (d−1)π/2,   φ'_k = φ_k − π/2 (1 ≤ k ≤ d−1),   φ'_d = φ_d − π/4

  The −π/4, −π/2 shifts give ``P_Wx = i^d ⟨0|R-sequence|0⟩`` (research §3); the extra
  ``(d−1)π/2`` on φ'_0 multiplies the block by ``i^{d−1}`` so that
  ``Re ⟨0|R-sequence|0⟩ = Im P_Wx = P``.  For d = 0 the single phase is φ'_0 = φ_0 − π/2.
  The real part is what the QSVT circuit realises exactly, by averaging the sequences
  with phases Φ' and −Φ' (one extra qubit).

The solver is Newton's method on the reduced phases.  Residuals are taken at the
``⌈(d+1)/2⌉`` positive Chebyshev nodes (they determine a parity-definite polynomial of
degree d), the QSP product is evaluated vectorised over all nodes at once, and the exact
Jacobian comes from prefix/suffix products in O(d · nodes) per iteration
(``∂⟨0|U|0⟩/∂φ_k = i·(prefix_k Z suffix_k)_{00}``).
"""

from __future__ import annotations

import math

import numpy as np

from qcompile.errors import NotSupportedError, QcompileError
from qcompile.quantum.polynomials import Polynomial


class PhaseFindingError(QcompileError):
    """QSP phases could not be found to the requested accuracy (e.g. |P| too close to 1)."""


# ---- responses -----------------------------------------------------------------------------

def _response(phases: np.ndarray, x: np.ndarray, reflection: bool) -> np.ndarray:
    """⟨0|e^{iφ_0 Z} S(x) e^{iφ_1 Z} ⋯ S(x) e^{iφ_d Z}|0⟩ for every x, vectorised."""
    x = np.asarray(x, dtype=float)
    s = np.sqrt(np.clip(1.0 - x * x, 0.0, None))
    off = s if reflection else 1j * s
    low = -x if reflection else x
    e = np.exp(1j * np.asarray(phases, dtype=float))
    a0 = np.full(x.shape, e[0], dtype=complex)
    a1 = np.zeros(x.shape, dtype=complex)
    for ek in e[1:]:
        a0, a1 = (a0 * x + a1 * off) * ek, (a0 * off + a1 * low) * np.conj(ek)
    return a0


def wx_response(phases, x) -> np.ndarray:
    """⟨0|U_Φ(x)|0⟩ in the Wx convention (complex; the QSP target is its imaginary part)."""
    return _response(np.asarray(phases, float), x, reflection=False)


def reflection_response(phases, x) -> np.ndarray:
    """⟨0|PC(φ_0) R(x) PC(φ_1) ⋯ R(x) PC(φ_d)|0⟩ (complex; :func:`qsvt` realises its real
    part)."""
    return _response(np.asarray(phases, float), x, reflection=True)


def wx_to_reflection(phases) -> np.ndarray:
    """Convert Wx phases (target Im⟨0|U|0⟩) to reflection phases (target Re⟨0|·|0⟩)."""
    ph = np.array(phases, dtype=float)
    d = len(ph) - 1
    if d == 0:
        return ph - math.pi / 2
    ph[1:-1] -= math.pi / 2
    ph[0] += -math.pi / 4 + (d - 1) * math.pi / 2
    ph[-1] -= math.pi / 4
    return ph


# ---- the Newton solver ---------------------------------------------------------------------

def _full_from_reduced(r: np.ndarray, parity: int) -> np.ndarray:
    if parity == 1:
        return np.concatenate([r[::-1], r])
    return np.concatenate([r[:0:-1], [2.0 * r[0]], r[1:]])


def _value_and_jacobian(r: np.ndarray, parity: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Im⟨0|U_Φ(x)|0⟩ at every node and its Jacobian w.r.t. the reduced phases."""
    phi = _full_from_reduced(r, parity)
    d = len(phi) - 1
    e = np.exp(1j * phi)
    s = 1j * np.sqrt(1.0 - x * x)
    m = len(x)
    # prefix first rows a_k = e_0^T D_0 W D_1 ⋯ W D_k
    pa0 = np.empty((d + 1, m), complex)
    pa1 = np.empty((d + 1, m), complex)
    pa0[0], pa1[0] = e[0], 0.0
    for k in range(1, d + 1):
        a0, a1 = pa0[k - 1], pa1[k - 1]
        pa0[k] = (a0 * x + a1 * s) * e[k]
        pa1[k] = (a0 * s + a1 * x) * np.conj(e[k])
    # suffix first columns b_k = W D_{k+1} ⋯ W D_d e_0
    sb0 = np.empty((d + 1, m), complex)
    sb1 = np.empty((d + 1, m), complex)
    sb0[d], sb1[d] = 1.0, 0.0
    for k in range(d, 0, -1):
        v0, v1 = e[k] * sb0[k], np.conj(e[k]) * sb1[k]
        sb0[k - 1] = x * v0 + s * v1
        sb1[k - 1] = s * v0 + x * v1
    value = pa0[d].imag
    # d Im U00 / d φ_k = Im(i (a0 b0 − a1 b1)) = Re(a0 b0 − a1 b1)
    g = (pa0 * sb0 - pa1 * sb1).real  # (d+1, m)
    n = len(r)
    jac = np.empty((m, n))
    if parity == 1:
        mid = (d + 1) // 2
        for j in range(n):
            jac[:, j] = g[mid + j] + g[mid - 1 - j]
    else:
        mid = d // 2
        jac[:, 0] = 2.0 * g[mid]
        for j in range(1, n):
            jac[:, j] = g[mid + j] + g[mid - j]
    return value, jac


def symmetric_qsp_phases(poly: Polynomial, *, max_iterations: int = 50,
                         residual_target: float = 1e-14) -> np.ndarray:
    """Symmetric Wx-convention phases (d+1 of them) with Im⟨0|U_Φ(x)|0⟩ = P(x).

    ``poly`` must have definite parity and sup norm < 1.  Newton on the reduced phases;
    stops when the max residual at the nodes is ≤ ``residual_target`` or stops improving.
    Unverified: use :func:`qsp_phases`, which always rebuilds P.
    """
    parity_name = poly.definite_parity
    if parity_name is None:
        raise PhaseFindingError("QSP phases need a polynomial of definite parity; split it with parity_parts")
    parity = 1 if parity_name == "odd" else 0
    d = poly.degree
    if parity == 1 and d % 2 == 0:  # zero odd polynomial
        d = 1
    if parity == 0 and d % 2 == 1:  # cannot happen for a definite-parity polynomial
        d += 1
    c = np.zeros(d + 1)
    c[: poly.degree + 1] = poly.coefficients
    coef = c[parity::2]
    n = len(coef)
    x = np.cos((2 * np.arange(1, n + 1) - 1) * np.pi / (4 * n))
    target = np.polynomial.chebyshev.chebval(x, c)
    r = coef / 2.0
    best = (np.inf, r)
    for _ in range(max_iterations):
        val, jac = _value_and_jacobian(r, parity, x)
        res = val - target
        err = float(np.max(np.abs(res)))
        if err < best[0]:
            best = (err, r)
        elif err > 2 * best[0] and best[0] < 1e-12:
            break
        if err <= residual_target:
            break
        try:
            r = r - np.linalg.solve(jac, res)
        except np.linalg.LinAlgError as exc:
            raise PhaseFindingError(f"singular Jacobian in QSP Newton iteration (degree {d})") from exc
        if not np.all(np.isfinite(r)):
            raise PhaseFindingError(f"QSP Newton iteration diverged (degree {d}); is |P| < 1?")
    return _full_from_reduced(best[1], parity)


def _check_points(d: int) -> np.ndarray:
    m = max(4 * (d + 1), 400)
    return np.concatenate([np.cos(np.pi * np.arange(m + 1) / m), np.linspace(-1, 1, 201)])


def qsp_phases(poly: Polynomial, *, tolerance: float = 1e-10, convention: str = "reflection",
               max_iterations: int = 50) -> np.ndarray:
    """Verified QSP phases for a real polynomial P of definite parity with |P| < 1 on [-1, 1].

    ``convention="reflection"`` (default) returns the d+1 projector phases
    :func:`qcompile.quantum.qsvt.qsvt` uses (``Re⟨0|PC(φ_0) R ⋯ R PC(φ_d)|0⟩ = P``);
    ``"wx"`` returns the symmetric Wx phases (``Im⟨0|U_Φ|0⟩ = P``).  Always verified:
    the response is rebuilt from the returned phases on ≥ 4(d+1) Chebyshev extrema plus
    a uniform grid, and :class:`PhaseFindingError` is raised if max|response − P| >
    ``tolerance``.
    """
    if convention not in ("reflection", "wx"):
        raise NotSupportedError(f"convention must be 'reflection' or 'wx', got {convention!r}")
    s = poly.sup_norm()
    if s >= 1.0:
        raise PhaseFindingError(f"QSP needs |P| < 1 on [-1, 1]; this polynomial reaches {s:.6g} "
                                "(use scale_to_unit)")
    wx = symmetric_qsp_phases(poly, max_iterations=max_iterations)
    phases = wx if convention == "wx" else wx_to_reflection(wx)
    pts = _check_points(len(phases) - 1)
    resp = wx_response(phases, pts).imag if convention == "wx" else reflection_response(phases, pts).real
    err = float(np.max(np.abs(resp - poly(pts))))
    if not err <= tolerance:
        raise PhaseFindingError(f"QSP phases for degree {poly.degree} reproduce P only to {err:.3g} "
                                f"(> {tolerance:g}); |P| = {s:.6g} may be too close to 1")
    return phases
