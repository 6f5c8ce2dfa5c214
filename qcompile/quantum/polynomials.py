"""Real polynomials on [-1, 1] in the Chebyshev basis, and Chebyshev interpolation of targets.

These are the polynomials QSVT applies (DESIGN §5 "Polynomials"): a target f(β·t) on
[-1, 1] is interpolated at Chebyshev points with the smallest degree whose sup error on a
dense grid is within the requested tolerance, split into even/odd parts when it has no
definite parity, and scaled by a constant K so that |P/K| ≤ 1 − margin (QSP needs |P| < 1).

Ready-made targets (errors and degrees measured with :func:`chebyshev_approximation`):

* ``exp(β t)``: entire, degree grows like O(β + log(1/tol)); tol 1e-10: β = 1 → 10,
  β = 2 → 13, β = 4 → 18.
* ``GELU(α t)`` (erf form, PyTorch's default): entire, degree O(α + log(1/tol));
  α = 1: tol 1e-6 → 8, 1e-10 → 13; α = 4: tol 1e-6 → 22, 1e-10 → 31.
* ``ReLU(α t)``: the kink at 0 limits every polynomial to *first order*.  ReLU is not
  interpolated: it is ``α(t + |t|)/2`` with the *minimax* even polynomial of ``|t|``
  (:mod:`qcompile.quantum.minimax`, Remez), sup error ``α·E_d/2 ≤ 0.14·α/d`` at degree ``d``, so
  the degree grows like ``0.14·α/tol`` (α = 1: tol 1e-2 → 14, 1e-3 → 140, 1e-4 → 1400),
  and the odd part is exactly ``α t/2`` (one QSVT query).  We state this plainly rather
  than hide it behind a smooth surrogate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from qcompile.errors import QcompileError

Parity = Literal["even", "odd"] | None

#: points of the dense evaluation grid used for sup norms and sup errors
DENSE_GRID_POINTS = 4001
#: above this degree sup norms use a DCT on Chebyshev extrema instead of the dense grid
DIRECT_SUP_DEGREE = 2000


class PolynomialError(QcompileError):
    """A polynomial request cannot be met (tolerance unreachable, zero polynomial, ...)."""


def _trim(coefs: np.ndarray) -> np.ndarray:
    nz = np.flatnonzero(coefs)
    return coefs[: nz[-1] + 1] if nz.size else coefs[:1]


@dataclass(frozen=True)
class Polynomial:
    """A real polynomial P(t) = Σ_k c_k T_k(t) on [-1, 1].

    ``coefficients`` are the Chebyshev coefficients (lowest first).  ``parity`` is
    ``"even"``/``"odd"`` when declared (the coefficients of the other parity must then be
    exactly zero) or ``None``.  ``error`` is the measured sup error against the target it
    approximates (``None`` when there is no target) and ``label`` names that target.
    """

    coefficients: tuple[float, ...]
    parity: Parity = None
    error: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        c = _trim(np.asarray(self.coefficients, dtype=float))
        if not np.all(np.isfinite(c)):
            raise PolynomialError("polynomial coefficients must be finite")
        if self.parity not in ("even", "odd", None):
            raise PolynomialError(f"parity must be 'even', 'odd' or None, got {self.parity!r}")
        if self.parity is not None:
            wrong = c[(1 if self.parity == "even" else 0)::2]
            if np.any(wrong != 0.0):
                raise PolynomialError(f"coefficients of the wrong parity in an {self.parity} polynomial")
        object.__setattr__(self, "coefficients", tuple(float(x) for x in c))

    @classmethod
    def from_chebyshev(cls, coefficients, parity: Parity = None, *, error: float | None = None,
                       label: str = "") -> "Polynomial":
        """A polynomial from Chebyshev coefficients; with ``parity`` the other parity's
        coefficients are dropped (set to zero)."""
        c = np.array(coefficients, dtype=float)
        if parity == "even":
            c[1::2] = 0.0
        elif parity == "odd":
            c[0::2] = 0.0
        return cls(tuple(c), parity, error, label)

    @property
    def chebyshev(self) -> np.polynomial.Chebyshev:
        """The same polynomial as a ``numpy.polynomial.Chebyshev`` on [-1, 1]."""
        return np.polynomial.Chebyshev(np.array(self.coefficients))

    @property
    def degree(self) -> int:
        """Degree (index of the last non-zero Chebyshev coefficient; 0 for constants)."""
        return len(self.coefficients) - 1

    @property
    def definite_parity(self) -> Parity:
        """The declared parity, or the parity the coefficients actually have, or None."""
        if self.parity is not None:
            return self.parity
        c = np.array(self.coefficients)
        if not np.any(c[1::2]):
            return "even"
        if not np.any(c[0::2]):
            return "odd"
        return None

    def __call__(self, t):
        """P(t), elementwise over arrays."""
        return np.polynomial.chebyshev.chebval(t, np.array(self.coefficients))

    def sup_norm(self) -> float:
        """max |P| on [-1, 1].

        Up to degree :data:`DIRECT_SUP_DEGREE`: over a dense grid (4001 uniform points and
        the Chebyshev extrema of order 8·degree), with every local maximum of the grid
        refined by Newton steps on P' = 0 inside its neighbouring grid cells.  Above it (the
        grid evaluation is O(d²) there): P on the ``16(d+1)+1`` Chebyshev extrema by one
        DCT, and the 16 largest local maxima refined the same way; by Ehlich–Zeller the
        sampled maximum is within a factor ``1/cos(π/32) ≈ 1 + 4.8e-3`` of the sup, and the
        refinement closes that gap at the maxima it visits."""
        c = np.array(self.coefficients)
        if self.degree > DIRECT_SUP_DEGREE:
            return _sup_norm_by_dct(c)
        pts = np.unique(_sup_points(self.degree))
        vals = np.abs(np.polynomial.chebyshev.chebval(pts, c))
        best = float(vals.max())
        if self.degree < 2:
            return best
        inner = np.flatnonzero((vals[1:-1] >= vals[:-2]) & (vals[1:-1] >= vals[2:])) + 1
        if inner.size:
            d1 = np.polynomial.chebyshev.chebder(c)
            d2 = np.polynomial.chebyshev.chebder(d1)
            lo, hi = pts[inner - 1], pts[inner + 1]
            x = pts[inner].copy()
            for _ in range(4):
                g2 = np.polynomial.chebyshev.chebval(x, d2)
                step = np.divide(np.polynomial.chebyshev.chebval(x, d1), g2,
                                 out=np.zeros_like(x), where=g2 != 0)
                x = np.clip(x - step, lo, hi)
            best = max(best, float(np.max(np.abs(np.polynomial.chebyshev.chebval(x, c)))))
        return best

    def __truediv__(self, k: float) -> "Polynomial":
        err = None if self.error is None else self.error / abs(k)
        return Polynomial(tuple(np.array(self.coefficients) / k), self.parity, err, self.label)

    def __str__(self) -> str:
        par = self.definite_parity or "mixed"
        return f"Polynomial(degree {self.degree}, {par}{', ' + self.label if self.label else ''})"


def _chebyshev_extrema_values(c: np.ndarray, m: int, signed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(x_j, |P(x_j)|)`` (``P(x_j)`` when ``signed``) on the ``m + 1`` Chebyshev extrema
    ``x_j = cos(πj/m)`` (``m ≥`` degree), by one DCT-I: ``P(x_j) = Σ_k c_k cos(πjk/m)``."""
    from scipy.fft import dct

    padded = np.zeros(m + 1)
    padded[: len(c)] = c
    vals = dct(padded, type=1) / 2.0 + (padded[0] + padded[m] * (-1.0) ** np.arange(m + 1)) / 2.0
    return np.cos(np.pi * np.arange(m + 1) / m), (vals if signed else np.abs(vals))


def _interpolate_by_dct(g: Callable, d: int) -> np.ndarray:
    """Chebyshev coefficients of the degree-``d`` interpolant of ``g`` at the ``d + 1``
    Chebyshev points of the first kind (``numpy``'s ``chebinterpolate``), by a DCT-II."""
    from scipy.fft import dct

    x = np.cos(np.pi * (np.arange(d + 1) + 0.5) / (d + 1))
    c = dct(g(x), type=2) / (d + 1)
    c[0] /= 2.0
    return c


def _sup_norm_by_dct(c: np.ndarray, refine: int = 16) -> float:
    """max |P| for a high degree d: P on the ``16(d+1)+1`` Chebyshev extrema by one DCT,
    then the ``refine`` largest local maxima polished by Newton steps on ``dP/dθ = 0`` in
    ``x = cos θ`` (each step one ``refine × d`` cosine sum, no O(d²) Clenshaw loop)."""
    d = len(c) - 1
    m = 16 * (d + 1)
    x, vals = _chebyshev_extrema_values(c, m)
    best = float(vals.max())
    inner = np.flatnonzero((vals[1:-1] >= vals[:-2]) & (vals[1:-1] >= vals[2:])) + 1
    inner = inner[np.argsort(vals[inner])[-refine:]]
    if inner.size == 0:
        return best
    k = np.arange(d + 1)
    theta = np.pi * inner / m
    lo, hi = np.pi * (inner - 1) / m, np.pi * (inner + 1) / m
    for _ in range(4):
        ang = np.outer(theta, k)
        f1 = -(np.sin(ang) * (k * c)).sum(axis=1)
        f2 = -(np.cos(ang) * (k * k * c)).sum(axis=1)
        step = np.divide(f1, f2, out=np.zeros_like(f1), where=f2 != 0)
        theta = np.clip(theta - step, lo, hi)
    return max(best, float(np.max(np.abs(np.cos(np.outer(theta, k)) @ c))))


def _sup_points(degree: int) -> np.ndarray:
    m = max(8 * degree, 64)
    ext = np.cos(np.pi * np.arange(m + 1) / m)
    return np.concatenate([np.linspace(-1.0, 1.0, DENSE_GRID_POINTS), ext])


def _parity_target(g: Callable, parity: Parity) -> Callable:
    if parity == "even":
        return lambda t: 0.5 * (g(t) + g(-t))
    if parity == "odd":
        return lambda t: 0.5 * (g(t) - g(-t))
    return g


def _detect_parity(g: Callable) -> Parity:
    t = np.linspace(0.0, 1.0, 1001)
    a, b = g(t), g(-t)
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-300)
    if float(np.max(np.abs(a - b))) <= 1e-14 * scale:
        return "even"
    if float(np.max(np.abs(a + b))) <= 1e-14 * scale:
        return "odd"
    return None


def chebyshev_approximation(f: Callable, tolerance: float, domain_scale: float = 1.0,
                            max_degree: int = 1000, parity: Parity = None,
                            label: str = "") -> Polynomial:
    """The lowest-degree Chebyshev interpolant P of g(t) = f(domain_scale·t) on [-1, 1]
    whose sup error max|P − g| on a dense grid (4001 points + Chebyshev extrema) is at
    most ``tolerance``.

    ``f`` must accept NumPy arrays.  With ``parity`` the target is the even or odd part of
    g ((g(t) ± g(−t))/2), only degrees of that parity are tried, and the error is measured
    against that part.  The search doubles the degree until the tolerance is met and then
    scans the last octave, so the result is the smallest passing degree at or above half
    the first passing power of two.  Above degree :data:`DIRECT_SUP_DEGREE` each attempt
    is O(d log d): the interpolant by a DCT of the samples at the d+1 Chebyshev points,
    its error on the 16(d+1)+1 Chebyshev extrema by another, and the last octave is
    bisected (a passing degree within it, the smallest when the error falls monotonically).
    Raises :class:`PolynomialError` when ``max_degree`` does not suffice.  With ``parity=None`` a target that is even or odd to rounding
    (|g(t) ∓ g(−t)| ≤ 1e-14·max|g| on the grid, e.g. tanh, cosh) is treated as such, so
    no QSVT is spent on a zero part.
    """
    if not tolerance > 0:
        raise PolynomialError(f"tolerance must be positive, got {tolerance}")
    raw = lambda t: np.asarray(f(domain_scale * np.asarray(t, dtype=float)), dtype=float)  # noqa: E731
    if parity is None:
        parity = _detect_parity(raw)
    g = _parity_target(raw, parity)
    step = 1 if parity is None else 2
    first = {None: 0, "even": 0, "odd": 1}[parity]

    def attempt(d: int) -> tuple[float, np.ndarray]:
        if d > DIRECT_SUP_DEGREE:
            c = _interpolate_by_dct(g, d)
        else:
            c = np.polynomial.chebyshev.chebinterpolate(g, d)
        if parity == "even":
            c[1::2] = 0.0
        elif parity == "odd":
            c[0::2] = 0.0
        if d > DIRECT_SUP_DEGREE:
            pts, vals = _chebyshev_extrema_values(c, 16 * (d + 1), signed=True)
            return float(np.max(np.abs(vals - g(pts)))), c
        pts = _sup_points(d)
        err = float(np.max(np.abs(np.polynomial.chebyshev.chebval(pts, c) - g(pts))))
        return err, c

    def fix(d: int) -> int:
        return d if (d - first) % step == 0 else d + 1

    lo, d = first, fix(max(first, 1))
    while True:
        err, c = attempt(d)
        if err <= tolerance:
            break
        if d >= max_degree:
            raise PolynomialError(
                f"Chebyshev approximation of {label or 'the target'} needs degree > {max_degree} "
                f"for tolerance {tolerance:g} (error {err:.3g} at degree {d})")
        lo, d = d, min(fix(2 * d), max_degree)
    best = (d, err, c)
    if d > DIRECT_SUP_DEGREE:
        low = lo  # fails (or is the start); bisect (low, d] for the passing boundary
        while d - low > step:
            mid = fix((low + d) // 2)
            if mid >= d:
                break
            e, cc = attempt(mid)
            if e <= tolerance:
                d, best = mid, (mid, e, cc)
            else:
                low = mid
    else:
        for dd in range(fix(lo + 1), d, step):
            e, cc = attempt(dd)
            if e <= tolerance:
                best = (dd, e, cc)
                break
    _, err, c = best
    return Polynomial.from_chebyshev(c, parity, error=err, label=label)


def parity_parts(p: Polynomial) -> tuple[Polynomial, Polynomial]:
    """(even part, odd part) of P: P_e(t) = (P(t)+P(−t))/2, P_o(t) = (P(t)−P(−t))/2.

    Each part has sup norm ≤ sup norm of P.  The parts carry no ``error``.
    """
    c = np.array(p.coefficients)
    e, o = c.copy(), c.copy()
    e[1::2] = 0.0
    o[0::2] = 0.0
    return (Polynomial.from_chebyshev(e, "even", label=p.label + " (even part)" if p.label else ""),
            Polynomial.from_chebyshev(o, "odd", label=p.label + " (odd part)" if p.label else ""))


def scale_to_unit(p: Polynomial, margin: float = 1e-2) -> tuple[Polynomial, float]:
    """(P/K, K) with K = sup|P| / (1 − margin), so that |P/K| ≤ 1 − margin on [-1, 1].

    Polynomials already within 1 − margin are still rescaled (K may be < 1), so the
    result always has sup norm exactly 1 − margin; K is what a caller multiplies α by.
    """
    if not 0 <= margin < 1:
        raise PolynomialError(f"margin must be in [0, 1), got {margin}")
    s = p.sup_norm()
    if s == 0.0:
        raise PolynomialError("cannot scale the zero polynomial")
    k = s / (1.0 - margin)
    return p / k, k


# ---- ready-made targets ----------------------------------------------------------------------

def exp_approximation(beta: float, tolerance: float, max_degree: int = 1000) -> Polynomial:
    """Chebyshev interpolant of exp(β t) on [-1, 1] within ``tolerance`` (mixed parity)."""
    return chebyshev_approximation(np.exp, tolerance, beta, max_degree, label=f"exp({beta:g} t)")


#: the largest ReLU degree :func:`relu_approximation` builds (its Remez exchange is O(m³))
RELU_MINIMAX_MAX_DEGREE = 20000


def relu_approximation(alpha: float, tolerance: float, max_degree: int = 2000) -> Polynomial:
    """The minimax-based polynomial of ReLU(α t) on [-1, 1] within ``tolerance``:
    ``P(t) = α·(t + q(t))/2`` with ``q`` the best even approximation of ``|t|`` of degree
    ``2m`` (:func:`qcompile.quantum.minimax.abs_minimax`), so the odd part is exactly
    ``α t/2`` (degree 1) and the sup error is ``α·E_{2m}/2 ≤ α·β/(4m)``.

    The degree still grows like 1/tol (the kink: ``2m ≈ 0.28·α/tol``), 2.3× below
    Chebyshev interpolation of the same target.  Raises :class:`PolynomialError` above
    ``max_degree``."""
    from qcompile.quantum.minimax import abs_minimax, abs_minimax_degree

    alpha = float(alpha)
    if not (alpha > 0 and tolerance > 0):
        raise PolynomialError(f"relu approximation needs alpha > 0 and tolerance > 0, got {alpha}, {tolerance}")
    label = f"relu({alpha:g} t)"
    m = abs_minimax_degree(2.0 * tolerance / alpha)
    if 2 * m > RELU_MINIMAX_MAX_DEGREE and 2 * m <= max_degree:
        from qcompile.errors import NotImplementedYetError

        raise NotImplementedYetError(
            f"the minimax approximation of {label} needs degree {2 * m} for tolerance {tolerance:g}; above "
            f"degree {RELU_MINIMAX_MAX_DEGREE} it is not implemented yet (the Remez exchange solves a dense "
            f"system, O(m³): degree 10⁴ takes about 40 s)")
    if 2 * m > max_degree:
        from qcompile.quantum.minimax import BERNSTEIN

        top = max(1, max_degree // 2)  # E_{2m} ≈ β/(2m) (no Remez run at a size never built)
        raise PolynomialError(
            f"the minimax approximation of {label} needs degree {2 * m} > {max_degree} for tolerance "
            f"{tolerance:g} (error about {alpha * BERNSTEIN / (4 * top):.3g} at degree {2 * top})")
    coefs, err = abs_minimax(m)
    c = 0.5 * alpha * np.array(coefs)
    c[1] = 0.5 * alpha
    return Polynomial.from_chebyshev(c, error=0.5 * alpha * err, label=label)


def abs_interpolant(degree: int, sup: float = 0.99) -> Polynomial:
    """The even Chebyshev interpolant of ``|t|`` (a ReLU's kink) of ``degree`` on
    ``[-1, 1]``, by a DCT at ``4·degree`` Chebyshev nodes, scaled to sup norm ``sup``: a
    high-degree QSP target whose phases must be found to ``degree`` 10⁵."""
    from scipy.fft import dct

    m = 4 * degree
    t = np.cos(np.pi * (np.arange(m) + 0.5) / m)
    c = dct(np.abs(t), type=2) / m
    c[0] /= 2
    c = c[: degree + 1]
    c[1::2] = 0.0
    p = Polynomial.from_chebyshev(c, "even")
    return p / (p.sup_norm() / sup)


# ---- mixed parity through a shifted even polynomial -------------------------------------------

#: the weights of the gap ``|s| < s₀`` :func:`shifted_even_approximation` tries, smallest
#: (fastest convergence on ``[s₀, 1]``) first
GAP_WEIGHTS = (1e-6, 1e-4, 1e-2, 1e-1)

#: the shifts ``c`` :func:`qcompile.lowering.polynomials.shifted_choice` tries (``s ∈ [(c−1)/(c+1), 1]``)
SHIFTS = (1.5, 2.0, 3.0)


def shifted_variable(t, shift: float):
    """``s = (t + c)/(1 + c)``: maps ``t ∈ [−1, 1]`` onto ``[(c − 1)/(c + 1), 1]``."""
    return (np.asarray(t, dtype=float) + shift) / (1.0 + shift)


def compose_shift(even: Polynomial, shift: float, label: str = "") -> Polynomial:
    """``P(t) = E((t + c)/(1 + c))`` as a polynomial in ``t`` (same degree): the interpolant
    of ``E∘shift`` at ``deg + 1`` Chebyshev points, exact up to rounding."""
    c = np.array(even.coefficients)
    d = even.degree
    coefs = np.polynomial.chebyshev.chebinterpolate(
        lambda t: np.polynomial.chebyshev.chebval(shifted_variable(t, shift), c), max(d, 0))
    return Polynomial.from_chebyshev(coefs, label=label)


def shifted_even_approximation(g: Callable, tolerance: float, shift: float, *, bound: float = 0.0,
                               start: int = 2, max_degree: int = 4096, label: str = "") -> Polynomial:
    """The lowest-degree even polynomial ``E`` this fit finds with
    ``|E((t + c)/(1 + c)) − g(t)| ≤ tolerance`` on the dense grid of ``t ∈ [−1, 1]`` (the
    grid :func:`chebyshev_approximation` measures on) and ``sup|E|`` at most 1% above
    ``max(bound, sup of the fit's target)``; :class:`PolynomialError` when ``max_degree``
    does not suffice.

    Why it exists: QSVT of a polynomial of mixed parity needs its even and odd parts as two
    QSVT circuits added by an LCU (one more qubit).  With ``s = (t + c)/(1 + c)``, ``c > 1``,
    every ``s`` met lies in ``[s₀, 1]``, ``s₀ = (c − 1)/(c + 1) > 0``, so an *even* ``E``
    approximating ``G(s) = g((1 + c)s − c)`` on ``[s₀, 1]`` computes ``g`` with definite
    parity.  Its values on the gap ``(−s₀, s₀)`` are never used, only bounded through
    ``sup|E|`` (the QSVT scale, which the caller measures).

    Such an ``E`` exists for every tolerance: ``E(s) = Q(x)`` with ``x = 2s² − 1 = T₂(s)``
    and ``Q`` any polynomial; ``H(x) = G(√((1 + x)/2))`` is analytic on ``[x₀, 1]``,
    ``x₀ = 2s₀² − 1``, so its Chebyshev interpolants there converge geometrically.
    Fit: weighted least squares for ``Q`` in the Chebyshev basis on Chebyshev points of
    ``[−1, 1]``, towards ``H`` on ``[x₀, 1]`` (weight 1) and on the gap ``[−1, x₀)``
    towards ``H``'s second-order Taylor continuation from ``x₀`` (smooth, unlike ``H``
    itself: ``√(1 + x)`` at ``x = −1``), with each gap weight of :data:`GAP_WEIGHTS` in
    turn: a small one lets ``Q`` follow ``H`` on ``[x₀, 1]`` best, a larger one holds it
    down on the gap where ``H``'s continuation would make it large (``g`` with poles near
    the real axis, e.g. sigmoid of a large alpha).  A degree passes when one of the weights
    meets both the error and the sup (the next weight is tried only when the error is met:
    a larger one fits ``[x₀, 1]`` no better in least squares); the degree is doubled from
    ``start`` until one passes, then bisected in the last octave.  Every error and sup is
    measured, never assumed.
    """
    cheb = np.polynomial.chebyshev
    c = float(shift)
    s0 = (c - 1.0) / (c + 1.0)
    x0 = 2.0 * s0 * s0 - 1.0
    H = lambda x: np.asarray(g((1.0 + c) * np.sqrt(np.clip((1.0 + x) / 2.0, 0.0, None)) - c), dtype=float)
    step = 1e-3 * (1.0 - x0)
    h0, h1, h2 = (float(v) for v in H(x0 + step * np.arange(3)))
    d1, d2 = (-3 * h0 + 4 * h1 - h2) / (2 * step), (h0 - 2 * h1 + h2) / step**2

    def target(x):
        return np.where(x >= x0, H(x), h0 + d1 * (x - x0) + 0.5 * d2 * (x - x0) ** 2)

    dense = np.linspace(-1.0, 1.0, DENSE_GRID_POINTS)
    allowed = 1.01 * max(float(bound), float(np.max(np.abs(target(dense)))))

    def attempt(k: int):
        m = 4 * k + 257
        x = np.cos(np.pi * (np.arange(m) + 0.5) / m)
        v = cheb.chebvander(x, k)
        y = target(x)
        t = _sup_points(2 * k)
        ext = np.concatenate([dense, np.cos(np.pi * np.arange(8 * k + 65) / (8 * k + 64))])
        err = math.inf
        for gw in GAP_WEIGHTS:
            w = np.where(x >= x0, 1.0, gw)
            q, *_ = np.linalg.lstsq(v * w[:, None], y * w, rcond=None)
            coefs = np.zeros(2 * k + 1)
            coefs[::2] = q                     # T_j(T_2(s)) = T_2j(s)
            err = float(np.max(np.abs(cheb.chebval(shifted_variable(t, c), coefs) - g(t))))
            if err > tolerance:    # a larger gap weight only pulls Q further from H on [x₀, 1]
                break
            if float(np.max(np.abs(cheb.chebval(ext, q)))) <= allowed:
                return True, err, coefs
        return False, err, None

    k_max = max(1, max_degree // 2)
    lo, k = 0, min(max(1, int(start) // 2), k_max)
    while True:
        ok, err, coefs = attempt(k)
        if ok:
            break
        if k >= k_max:
            raise PolynomialError(f"the shifted even fit of {label or 'the target'} needs degree > {2 * k_max} "
                                  f"for tolerance {tolerance:g} (error {err:.3g} at degree {2 * k})")
        lo, k = k, min(2 * k, k_max)
    best = (err, coefs)
    while k - lo > 1:                      # k passes, lo fails (or is 0)
        mid = (lo + k) // 2
        ok, e, cc = attempt(mid)
        if ok:
            k, best = mid, (e, cc)
        else:
            lo = mid
    return Polynomial.from_chebyshev(best[1], parity="even", error=best[0], label=label)
