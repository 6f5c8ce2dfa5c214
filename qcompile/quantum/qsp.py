"""QSP phase factors for the compiler's QSVT conventions: the inverse nonlinear Fourier
transform (default, any degree) or symmetric-QSP Newton (Dong–Meng–Whaley–Lin arXiv:2002.11649).

Two conventions appear (DESIGN §5 "Polynomials", research/algorithms.md §3):

* **Wx** (the solvers'): ``U_Φ(x) = e^{iφ_0 Z} Π_{k=1..d} W(x) e^{iφ_k Z}`` with
  ``W(x) = [[x, i√(1−x²)], [i√(1−x²), x]]``; the target is ``P(x) = Im ⟨0|U_Φ(x)|0⟩``.
  Phases are symmetric, ``φ_k = φ_{d−k}``.
* **Reflection** (what :func:`qcompile.quantum.qsvt.qsvt` uses): projector-controlled
  phases ``PC(φ) = e^{iφ(2Π−I)}`` alternating with the block encoding U and U†,
  ``PC(φ'_0) U_1 PC(φ'_1) ⋯ U_d PC(φ'_d)`` with ``U_k = U`` when ``d−k`` is even (the
  rightmost factor is U).  On a 1-d singular value x the reflection is
  ``R(x) = [[x, √(1−x²)], [√(1−x²), −x]]``.  Conversion (the Wx→projector shift of DESIGN §5):

      φ'_0 = φ_0 − π/4 + (d−1)π/2,   φ'_k = φ_k − π/2 (1 ≤ k ≤ d−1),   φ'_d = φ_d − π/4

  The −π/4, −π/2 shifts give ``P_Wx = i^d ⟨0|R-sequence|0⟩`` (research §3); the extra
  ``(d−1)π/2`` on φ'_0 multiplies the block by ``i^{d−1}`` so that
  ``Re ⟨0|R-sequence|0⟩ = Im P_Wx = P``.  For d = 0 the single phase is φ'_0 = φ_0 − π/2.
  The real part is what the QSVT circuit realises exactly, by averaging the sequences
  with phases Φ' and −Φ' (one extra qubit).

**The inverse nonlinear Fourier transform** (:func:`nlft_phases`).  Conjugating the Wx
sequence by a Hadamard, ``U_Φ(cos θ) = H·e^{iφ_0 X} e^{iθZ} e^{iφ_1 X} ⋯ e^{iθZ} e^{iφ_d X}·H``,
and with ``z = e^{2iθ}`` and ``γ_k = i·tan φ_k`` that product is the nonlinear Fourier
transform ``G(z) = Π_k [[1, γ_k z^k], [−γ̄_k z^{−k}, 1]]/√(1+|γ_k|²) = [[a, b], [−b*, a*]]``
times ``diag(z^{d/2}, z^{−d/2})`` (Ni–Ying arXiv:2410.06409; Alexis–Mnatsakanyan–Thiele).
Then ``Im ⟨0|U_Φ|0⟩ = Im(b(z) z^{−d/2})``, so choosing
``b_k = i·c_{|2k−d|}/2`` (``b_{d/2} = i·c_0``) for ``P = Σ_j c_j T_j`` makes
``b(z) z^{−d/2} = i·P(cos θ)`` on the circle: ``|b| = |P| < 1``.  The phases follow in
three steps, all FFT-based:

1. *Weiss*: the outer ``a*`` with ``|a|² = 1 − |b|²`` on the circle,
   ``a* = exp(2·P₊ log √(1−|b|²))`` (``P₊`` the analytic projection), sampled on ``N``
   points (``N = 8(d+1)`` first, ×4 while the rebuilt polynomial misses the tolerance:
   the log's Fourier tail decays slower the closer ``|P|`` comes to 1 on a long stretch);
2. *inverse NLFT*, the layer-stripping (Schur) recursion ``γ_0 = b(0)/a*(0)``,
   ``[a*, b] ← [[1, γ̄], [−γ, 1]]·[a*, b]/√(1+|γ|²)``, ``b ← b/z``, run divide-and-conquer
   (the first m parameters depend only on the first m coefficients; the second half's
   generator is the first half's 2×2 polynomial transfer matrix, unitary on the circle,
   applied by FFT), O(d log² d);
3. ``φ_k = arctan(Im γ_k)`` (the γ are imaginary: ``b`` is and ``a*`` is real).

The transfer matrices are unitary on the circle and the recursion is the Schur algorithm
on a Schur function bounded by ``max|P| < 1``, so nothing grows: at degree 10⁴ (the ReLU
minimax polynomial at sup 0.99) the phases rebuild P to 4e-13 and agree with the Newton
solver's symmetric phases to 1e-14 at low degree.

Why this algorithm.  Newton on the reduced phases (this module's older solver, QSPPACK's
``Newton``, pyqsp's ``sym_qsp``) builds a d × d/2 Jacobian, O(d²) memory and O(d³) per
step: degree 2000 was the practical limit here.  The fixed-point iteration (QSPPACK's
``FPI``, Dong–Lin–Ni–Wang) is O(d²) per sweep and only converges for ``max|P|`` well below
1, while the compiler scales every part to ``1 − 10⁻²``.  GQSP (Motlagh–Wiebe; Qrisp's
``gqsp_angles`` completes P by an FFT and strips layers one at a time, O(d²)) needs
controlled calls of a Hermitian block encoding and one-sided polynomials, not the
projector-phase QSVT of a non-Hermitian block the compiler emits.  The inverse NLFT
(QSPPACK's ``INFFT``, Ni–Sarkar–Ying–Lin) gives the same symmetric phases as Newton in
O(d log² d), is stable for ``max|P| < 1``, and needs nothing but FFTs.

Verification (:func:`qsp_phases`, always).  Up to degree :data:`DIRECT_CHECK_DEGREE` the
response is evaluated from the phases on ≥ 4(d+1) Chebyshev extrema plus a uniform grid,
in the convention returned.  Above it, the phases are multiplied out again by a product
tree of the 2×2 polynomial matrices (FFT, O(d log² d)), the Chebyshev coefficients of
``Im⟨0|U_Φ|0⟩`` are read off ``b`` and the difference to P is evaluated on 4(d+1)
Chebyshev extrema (a DCT); the reflection phases differ from the Wx ones by the constant
shifts above, an identity the direct check confirms at every lower degree.
"""

from __future__ import annotations

import functools
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


# ---- the inverse nonlinear Fourier transform ------------------------------------------------

#: leaves of the divide-and-conquer Schur recursion: parameters stripped one at a time
_LEAF = 128
#: Weiss step: first grid size per coefficient, growth factor, the largest grid tried, and
#: the size of ``a*``'s coefficients past the degree (zero in exact arithmetic) it must reach
_WEISS_OVERSAMPLING, _WEISS_GROWTH, _WEISS_MAX_POINTS, _WEISS_TAIL = 8, 4, 2**24, 1e-15


def _fft_len(n: int) -> int:
    from scipy.fft import next_fast_len

    return next_fast_len(int(n))


def _polymul(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Full product of two complex coefficient arrays (FFT above a few dozen terms)."""
    from scipy.fft import fft, ifft

    n = len(p) + len(q) - 1
    if min(len(p), len(q)) <= 48:
        return np.convolve(p, q)
    size = _fft_len(n)
    return ifft(fft(p, size) * fft(q, size))[:n]


def _matmul(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Products of 2×2 polynomial matrices, ``(..., 2, 2, L)`` arrays (batched; complex128
    or, for an extended-precision rebuild, clongdouble: SciPy's FFT keeps the dtype)."""
    from scipy.fft import fft, ifft

    n = P.shape[-1] + Q.shape[-1] - 1
    size = _fft_len(n)
    prod = np.einsum("...ikl,...kjl->...ijl", fft(P, size, axis=-1), fft(Q, size, axis=-1))
    return ifft(prod, axis=-1)[..., :n]


def _b_from_chebyshev(c: np.ndarray, d: int) -> np.ndarray:
    """``b_k = i·c_{|2k−d|}/2`` (``b_{d/2} = i·c_0``): ``b(z) z^{−d/2} = i·P(cos θ)``, ``z = e^{2iθ}``."""
    k = np.arange(d + 1)
    j = np.abs(2 * k - d)
    cc = np.zeros(d + 1)
    cc[: len(c)] = c
    return 1j * np.where(j == 0, cc[0], cc[j] / 2.0)


def _outer_complement(b: np.ndarray, points: int) -> tuple[np.ndarray, float]:
    """Coefficients ``0..d`` of the outer ``a*`` with ``|a*|² = 1 − |b|²`` on the circle and
    ``a*(0) > 0`` (the Weiss step), from ``points`` samples, and the largest coefficient
    past ``d`` (``a*`` is a polynomial of degree ``d``: this is the sampling error)."""
    from scipy.fft import fft, ifft

    d = len(b) - 1
    values = points * ifft(b, points)                      # b(z_j), z_j = e^{2πij/N}
    magnitude = 1.0 - (values.real ** 2 + values.imag ** 2)
    if not np.all(magnitude > 0):
        raise PhaseFindingError("QSP needs |P| < 1 on [-1, 1]; the polynomial reaches 1")
    h = fft(0.5 * np.log(magnitude)) / points             # log|a| = Σ h_k z^k
    g = np.zeros(points, complex)
    g[0] = h[0]
    g[1: points // 2] = 2.0 * h[1: points // 2]           # analytic part with real part log|a|
    a = fft(np.exp(points * ifft(g))) / points
    return a[: d + 1], float(np.max(np.abs(a[d + 1: points // 2]), initial=0.0))


def _strip_layers(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layer stripping on truncated series: the ``n`` parameters of ``(a*, b)`` mod ``z^n`` and
    the transfer matrix ``Θ = S_{n−1}⋯S_0`` (``(2, 2, n+1)``), ``S_k = [[z, γ̄z], [−γ, 1]]/s``.

    One 2-row buffer holds ``[z^k a*, b]`` and ``Θ``'s rows: every step is one 2×2 mixing
    and a shift of the first row, so ``γ_k`` is read at column ``k``."""
    n = len(A)
    H = np.zeros((2, 3, n + 1), complex)
    H[0, 0, :n], H[1, 0, :n] = A, B
    H[0, 1, 0] = H[1, 2, 0] = 1.0
    H = H.reshape(2, -1)
    out = np.empty_like(H)
    mix = np.empty((2, 2), complex)
    gam = [0j] * n
    for k in range(n):
        g = complex(H[1, k]) / complex(H[0, k])
        gam[k] = g
        s = 1.0 / math.sqrt(1.0 + g.real * g.real + g.imag * g.imag)
        mix[0, 0] = mix[1, 1] = s
        mix[0, 1] = s * g.conjugate()
        mix[1, 0] = -s * g
        np.matmul(mix, H, out=out)
        H[1] = out[1]
        H[0, 1:] = out[0, :-1]                            # first row times z (all three blocks)
        H[0, 0::n + 1] = 0.0
    H = H.reshape(2, 3, n + 1)
    return np.array(gam), np.stack([H[:, 1], H[:, 2]], axis=1)   # Θ[i, j]: row i, block j + 1


def _inverse_nlft(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``n = len(A)`` nonlinear Fourier parameters of ``(a*, b)`` and their transfer
    matrix, divide and conquer: ``z^m [a*_m, b_m] = Θ_m [a*, b]`` gives the second half's
    generator from the first half's ``Θ_m``; both products use one FFT length."""
    from scipy.fft import fft, ifft

    n = len(A)
    if n <= _LEAF:
        return _strip_layers(A, B)
    m = n // 2
    g_left, t_left = _inverse_nlft(A[:m], B[:m])
    size = _fft_len(m + n)
    f_left = fft(t_left, size, axis=-1)
    gen = ifft(np.einsum("ijl,jl->il", f_left, fft(np.stack([A, B]), size, axis=-1)), axis=-1)[:, m:n]
    g_right, t_right = _inverse_nlft(gen[0], gen[1])
    theta = ifft(np.einsum("ikl,kjl->ijl", fft(t_right, size, axis=-1), f_left), axis=-1)[..., : n + 1]
    return np.concatenate([g_left, g_right]), theta


def _step_matrices(gamma: np.ndarray) -> np.ndarray:
    """``S_k = [[z, γ̄_k z], [−γ_k, 1]]/√(1+|γ_k|²)`` as a ``(K, 2, 2, 2)`` array (γ's dtype)."""
    s = 1.0 / np.sqrt(1.0 + np.abs(gamma) ** 2)
    S = np.zeros((len(gamma), 2, 2, 2), gamma.dtype)
    S[:, 0, 0, 1] = s
    S[:, 0, 1, 1] = np.conj(gamma) * s
    S[:, 1, 0, 0] = -gamma * s
    S[:, 1, 1, 0] = s
    return S


def _transfer_matrix(gamma: np.ndarray) -> np.ndarray:
    """``Θ = S_d ⋯ S_0`` by a product tree, one batched FFT product per level."""
    mats = _step_matrices(gamma)
    while mats.shape[0] > 1:
        if mats.shape[0] % 2:
            eye = np.zeros((1,) + mats.shape[1:], mats.dtype)
            eye[0, 0, 0, 0] = eye[0, 1, 1, 0] = 1.0
            mats = np.concatenate([mats, eye])
        mats = _matmul(mats[1::2], mats[0::2])
    return mats[0]


def rebuilt_chebyshev(phases, extended: bool = False) -> np.ndarray:
    """Chebyshev coefficients of ``Im⟨0|U_Φ(x)|0⟩`` for Wx phases ``Φ`` (``d + 1`` of them),
    from the nonlinear Fourier transform of ``γ_k = i·tan φ_k`` (``b = −Θ₁₀``, module
    docstring), O(d log² d).  The FFT products round at about 5e-12 in sup norm at degree
    10⁵ (2e-14 at 10³); ``extended=True`` multiplies in long double (x87: 64-bit mantissa),
    about 5× slower and 100× more accurate, for measuring phases to 1e-13."""
    ph = np.asarray(phases, dtype=np.longdouble if extended else float)
    d = len(ph) - 1
    b = -_transfer_matrix(1j * np.tan(ph))[1, 0][: d + 1]
    c = np.zeros(d + 1, dtype=ph.dtype)
    np.add.at(c, np.abs(2 * np.arange(d + 1) - d), b.imag)
    return c


def nlft_phases(poly: Polynomial, points: int | None = None) -> np.ndarray:
    """Symmetric Wx-convention phases (d+1 of them) with Im⟨0|U_Φ(x)|0⟩ = P(x), by the
    inverse nonlinear Fourier transform (module docstring).  ``points``: the Weiss grid;
    by default ``8(d+1)``, ×4 until ``a*``'s coefficients past ``d`` are below 1e-15 (or
    the grid reaches 2²⁴ points).  Unverified: use :func:`qsp_phases`, which always
    rebuilds P."""
    c, d, _ = _coefficients(poly)
    b = _b_from_chebyshev(c, d)
    if points is None:
        points = _fft_len(max(1024, _WEISS_OVERSAMPLING * (d + 1)))
        a, tail = _outer_complement(b, points)
        while tail > _WEISS_TAIL and points * _WEISS_GROWTH <= _WEISS_MAX_POINTS:
            points = _fft_len(points * _WEISS_GROWTH)
            a, tail = _outer_complement(b, points)
    else:
        a, _ = _outer_complement(b, points)
    gamma, _ = _inverse_nlft(a, b)
    return np.arctan(gamma.imag)


def _coefficients(poly: Polynomial) -> tuple[np.ndarray, int, int]:
    """(Chebyshev coefficients padded to the QSP degree, that degree d, parity 0/1)."""
    parity_name = poly.definite_parity
    if parity_name is None:
        raise PhaseFindingError("QSP phases need a polynomial of definite parity; split it with parity_parts")
    parity = 1 if parity_name == "odd" else 0
    d = poly.degree
    if parity == 1 and d % 2 == 0:  # zero odd polynomial
        d = 1
    c = np.zeros(d + 1)
    c[: poly.degree + 1] = poly.coefficients
    return c, d, parity


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
    c, d, parity = _coefficients(poly)
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


#: up to this degree the phases are checked by evaluating the QSP product on a grid (O(d²));
#: above it by multiplying the phases out again with FFTs (O(d log² d))
DIRECT_CHECK_DEGREE = 2000


def _check_points(d: int) -> np.ndarray:
    m = max(4 * (d + 1), 400)
    return np.concatenate([np.cos(np.pi * np.arange(m + 1) / m), np.linspace(-1, 1, 201)])


def rebuilt_error(phases, poly: Polynomial, convention: str = "wx", extended: bool = False) -> float:
    """max |(polynomial the phases realise) − P|: on ≥ 4(d+1) Chebyshev extrema and a
    uniform grid from the QSP product itself up to :data:`DIRECT_CHECK_DEGREE`; above it
    (or with ``extended``) from the phases multiplied out again (:func:`rebuilt_chebyshev`,
    Wx phases) and the coefficient difference evaluated on 4(d+1) Chebyshev extrema by a DCT."""
    ph = np.asarray(phases, dtype=float)
    d = len(ph) - 1
    if d <= DIRECT_CHECK_DEGREE and not extended:
        pts = _check_points(d)
        resp = wx_response(ph, pts).imag if convention == "wx" else reflection_response(ph, pts).real
        return float(np.max(np.abs(resp - poly(pts))))
    if convention != "wx":
        raise NotSupportedError("above the direct-check degree the rebuild takes Wx phases")
    from scipy.fft import dct

    diff = rebuilt_chebyshev(ph, extended)
    diff[: len(poly.coefficients)] -= np.asarray(poly.coefficients, dtype=diff.dtype)
    diff = diff.astype(float)
    m = 4 * (d + 1)
    padded = np.zeros(m + 1)
    padded[: d + 1] = diff
    values = dct(padded, type=1) / 2.0 + (padded[0] + padded[m] * (-1.0) ** np.arange(m + 1)) / 2.0
    return float(np.max(np.abs(values)))


def qsp_phases(poly: Polynomial, *, tolerance: float = 1e-10, convention: str = "reflection",
               method: str = "nlft", max_iterations: int = 50) -> np.ndarray:
    """Verified QSP phases for a real polynomial P of definite parity with |P| < 1 on [-1, 1].

    ``convention="reflection"`` (default) returns the d+1 projector phases
    :func:`qcompile.quantum.qsvt.qsvt` uses (``Re⟨0|PC(φ_0) R ⋯ R PC(φ_d)|0⟩ = P``);
    ``"wx"`` returns the symmetric Wx phases (``Im⟨0|U_Φ|0⟩ = P``).  ``method``:
    ``"nlft"`` (default, any degree) or ``"newton"`` (degrees up to a few thousand).
    Always verified (:func:`rebuilt_error`): :class:`PhaseFindingError` is raised if the
    rebuilt polynomial is farther than ``tolerance`` from P.  Computed once per polynomial
    and arguments in a process (a stacked program builds each QSVT once per token).
    """
    return _cached_phases(poly, float(tolerance), convention, method, int(max_iterations)).copy()


@functools.lru_cache(maxsize=64)
def _cached_phases(poly: Polynomial, tolerance: float, convention: str, method: str,
                   max_iterations: int) -> np.ndarray:
    return _qsp_phases(poly, tolerance=tolerance, convention=convention, method=method,
                       max_iterations=max_iterations)


def _qsp_phases(poly: Polynomial, *, tolerance: float, convention: str, method: str,
                max_iterations: int) -> np.ndarray:
    if convention not in ("reflection", "wx"):
        raise NotSupportedError(f"convention must be 'reflection' or 'wx', got {convention!r}")
    if method not in ("nlft", "newton"):
        raise NotSupportedError(f"method must be 'nlft' or 'newton', got {method!r}")
    s = poly.sup_norm()
    if s >= 1.0:
        raise PhaseFindingError(f"QSP needs |P| < 1 on [-1, 1]; this polynomial reaches {s:.6g} "
                                "(use scale_to_unit)")
    if method == "newton":
        wx = symmetric_qsp_phases(poly, max_iterations=max_iterations)
    else:
        wx = nlft_phases(poly)
    err = rebuilt_error(wx, poly)
    if not err <= tolerance:
        raise PhaseFindingError(f"QSP phases for degree {poly.degree} reproduce P only to {err:.3g} "
                                f"(> {tolerance:g}); |P| = {s:.6g} may be too close to 1")
    if convention == "wx":
        return wx
    phases = wx_to_reflection(wx)
    if len(phases) - 1 <= DIRECT_CHECK_DEGREE:
        err = rebuilt_error(phases, poly, "reflection")
        if not err <= tolerance:  # pragma: no cover - the conversion is an identity
            raise PhaseFindingError(f"reflection phases for degree {poly.degree} reproduce P only to {err:.3g}")
    return phases
