"""Polynomial selection: the polynomial each nonlinearity is compiled with.

A nonlinear source ``f(v)`` is built by QSVT on the diagonal encoding of ``v``'s state,
whose entries are ``t = v/α`` with ``α`` the argument form's subnormalisation (data
independent).  The polynomial ``P_raw`` is the Chebyshev interpolant of ``f(α·t)`` on
``[-1, 1]`` of the smallest degree whose sup error is at most the op's tolerance (for
ReLU: ``α(t + q(t))/2`` with ``q`` the minimax polynomial of ``|t|``); the
compiled circuit then computes ``P_raw(v/α)`` exactly, and the surrogate reference uses the
same scalar function (:meth:`PolynomialChoice.__call__`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from qcompile.quantum.polynomials import SHIFTS as SHIFT_CHOICES
from qcompile.quantum.polynomials import Polynomial, parity_parts, scale_to_unit

#: the QSVT margin: scaled polynomials stay within 1 − MARGIN on [-1, 1]
MARGIN = 1e-2


def qubits_for(dim: int) -> int:
    """System qubits of a vector of length ``dim`` (at least one)."""
    return max(1, math.ceil(math.log2(dim))) if dim > 1 else 1


@dataclass(frozen=True)
class PolynomialChoice:
    """The polynomial of one nonlinearity and what follows from it.

    ``p_raw`` ≈ ``f(input_alpha · t)`` on ``[-1, 1]`` with sup ``error``; ``K`` is its QSVT
    scale (``K_e + K_o`` for mixed parity); ``alpha = K·√N`` is the subnormalisation of the
    elementwise construction's output state (``N = 2^n`` the padded length);
    ``lipschitz`` bounds ``|f'|`` on ``[-input_alpha, input_alpha]`` (error propagation).
    ``shift`` ``c > 0`` (with ``even``): ``p_raw(t) = even((t + c)/(1 + c))``, an even
    polynomial of the shifted variable, QSVT'd on the diagonal of ``(v + c·α)/((1 + c)α)``
    with no parity LCU (:func:`qcompile.quantum.polynomials.shifted_even_approximation`);
    ``K`` is then ``even``'s scale.
    """

    function: str
    p_raw: Polynomial
    input_alpha: float
    K: float
    alpha: float
    error: float
    tolerance: float
    lipschitz: float
    shift: float = 0.0
    even: Polynomial | None = None

    @property
    def degree(self) -> int:
        """The polynomial's degree."""
        return self.p_raw.degree

    @functools.cached_property
    def sup(self) -> float:
        """``sup |P_raw|`` on ``[−1, 1]`` (on the grid its error is measured on, the same
        Chebyshev points and uniform grid), so ``|P(v_i)| ≤ sup`` for every entry of an
        argument with ``‖v‖ ≤ input_alpha``."""
        return float(np.max(np.abs(self.p_raw(_grid(self.p_raw.degree)))))

    def __call__(self, x) -> np.ndarray:
        """The surrogate scalar function on real values: ``P_raw(x / input_alpha)``."""
        return np.asarray(self.p_raw(np.asarray(x, dtype=float) / self.input_alpha), dtype=float)


def qsvt_scale(p_raw: Polynomial, margin: float = MARGIN) -> float:
    """``K`` exactly as :func:`qcompile.quantum.elementwise.elementwise` computes it."""
    if p_raw.definite_parity is not None:
        return scale_to_unit(p_raw, margin)[1]
    return float(sum(scale_to_unit(part, margin)[1] for part in parity_parts(p_raw)))


def _grid(degree: int) -> np.ndarray:
    """Where a polynomial of ``degree`` is measured on ``[−1, 1]``: ``8·degree + 65``
    Chebyshev points and 4001 uniform points."""
    t = np.cos(np.pi * np.arange(8 * degree + 65) / (8 * degree + 64))
    return np.concatenate([t, np.linspace(-1, 1, 4001)])


def choose_polynomial(function: str, input_alpha: float, dim: int, tolerance: float,
                      max_degree: int = 100_000, shift: bool = False) -> PolynomialChoice:
    """The polynomial of ``f(input_alpha · t)`` within ``tolerance`` (absolute, in units
    of f: the registry entry's rule, :mod:`qcompile.functions` — the smallest-degree
    Chebyshev interpolant, or ReLU's minimax construction) and its QSVT scale and output
    alpha.  ``shift`` (the argument allows it, :func:`shift_allowed`) with a shiftable
    function (:attr:`~qcompile.functions.ElementwiseFunction.shiftable`): the shifted even
    rule (:func:`shifted_choice`) whenever the plain polynomial's degree is at most
    :data:`SHIFT_MAX_PLAIN_DEGREE`, so below that whether it is taken, and with it the
    qubit count, depends on the program's structure only, not on ``input_alpha``."""
    from qcompile.functions import get_function

    f = get_function(function)
    p = f.polynomial(input_alpha, tolerance, max_degree, label=f"{function}({input_alpha:.6g} t)")
    t = _grid(p.degree)
    err = float(np.max(np.abs(p(t) - f(input_alpha * t))))
    k = qsvt_scale(p)
    n = qubits_for(dim)
    shifted = shifted_choice(f, p, float(input_alpha), float(tolerance), k) \
        if shift and f.shiftable and p.degree <= SHIFT_MAX_PLAIN_DEGREE else None
    if shifted is not None:
        c, even, p, err, k = shifted
        return PolynomialChoice(function, p, float(input_alpha), float(k), float(k * math.sqrt(2**n)),
                                err, float(tolerance), float(f.lipschitz(input_alpha)), c, even)
    return PolynomialChoice(function, p, float(input_alpha), float(k), float(k * math.sqrt(2**n)),
                            err, float(tolerance), float(f.lipschitz(input_alpha)))


def shift_allowed(argument) -> bool:
    """True when a nonlinearity's argument has a lone constant term ``c·b``: the shift of the
    shifted even rule then joins it (:func:`qcompile.lowering.circuits.constant_part`), so
    the argument's LCU keeps its terms, index code and cost per call, and the rule only
    trades the parity qubit and the split's two QSVTs for one even QSVT.  Without one the
    shift would be an LCU term of its own, which controls every other term on one more
    index qubit (measured on llama_tiny, whose attention and SwiGLU have no bias: 3.7–4.7×
    the CX of those stages for no qubit saved), so the split is kept.  Structural: the
    same for every alpha.  (A bias that is exactly zero is dropped when compiled, so its
    argument can lose the constant term that the abstract estimate, which cannot see
    values, keeps.)"""
    return any(t.source.kind == "const" and not t.factors for t in argument.terms)


#: the largest degree of the shifted even fit (its least squares cost grows like d³)
SHIFT_MAX_DEGREE = 4096

#: the shifted even rule is taken up to this plain (split) degree; its fit then needs about
#: twice it (measured: ≤ 2.2× for gelu, silu and sigmoid, less for exp), within
#: :data:`SHIFT_MAX_DEGREE`.  Above it, or where the fit misses (:func:`shifted_choice`),
#: the split is used: the only places where the rule, and a stage's qubits, depend on an
#: alpha (no shipped example or test comes near them: the suite's largest plain degree of
#: a shiftable function is 129).
SHIFT_MAX_PLAIN_DEGREE = 1024


def shifted_choice(f, p: Polynomial, a: float, tolerance: float, k: float):
    """The shifted even rule for the mixed-parity ``p`` of ``f(a·t)`` whose split has QSVT
    scale ``k = K_e + K_o``: ``(c, even, p_raw, error, K)``.

    For each shift ``c`` (:data:`~qcompile.quantum.polynomials.SHIFTS`) the even fit
    (:func:`~qcompile.quantum.polynomials.shifted_even_approximation`) is made within
    ``tolerance/2``; where its sup exceeds the split's ``(K_e + K_o)(1 − margin)`` it is
    scaled down to it when the error stays within ``tolerance``, so ``K ≤ K_e + K_o``
    whenever that is reachable, and otherwise ``K`` is the fit's own (measured) sup.  The
    shift with the smallest ``degree × K`` (QSVT calls times alpha: the calls per
    amplified success) is taken.  None when no fit reaches the tolerance within
    :data:`SHIFT_MAX_DEGREE` (none of the tests' functions, alphas and tolerances does;
    the least squares' rounding could at tolerances near 1e-13), and the caller keeps the
    split: an honest circuit with one qubit more rather than a refusal."""
    from qcompile.quantum.polynomials import PolynomialError, compose_shift, shifted_even_approximation

    g = lambda t: np.asarray(f(a * np.asarray(t, dtype=float)), dtype=float)  # noqa: E731
    cap = k * (1.0 - MARGIN) * (1.0 - 4e-16)     # the largest sup that keeps K ≤ K_e + K_o (a few ulp below)
    # every candidate's K is at least (max|g| − tolerance)/(1 − margin): a later shift can only
    # win below degree best_cost / that, so its search stops there
    t = _grid(p.degree)
    k_floor = max(float(np.max(np.abs(g(t)))) - tolerance, 1e-300) / (1.0 - MARGIN)
    best, best_cost = None, math.inf
    for c in SHIFT_CHOICES:
        limit = min(SHIFT_MAX_DEGREE, int(best_cost / k_floor) if best is not None else SHIFT_MAX_DEGREE)
        try:
            even = shifted_even_approximation(g, tolerance / 2, c, bound=cap, start=min(p.degree, limit),
                                              max_degree=limit, label=p.label)
        except PolynomialError:
            continue
        options = [even]
        sup = even.sup_norm()
        if sup > cap:
            options.insert(0, Polynomial.from_chebyshev(np.array(even.coefficients) * (cap / sup), parity="even"))
        for e in options:
            p_raw = compose_shift(e, c, label=p.label)
            t = _grid(p_raw.degree)
            err = float(np.max(np.abs(p_raw(t) - g(t))))
            if err <= tolerance:
                break
        else:
            continue
        ke = scale_to_unit(e, MARGIN)[1]
        if e.degree * ke < best_cost:
            best, best_cost = (c, e, p_raw, err, ke), e.degree * ke
    return best


#: the share of the per-op tolerance the entire functions get when the program also has
#: a kinked one: their degrees grow by ~log(1/share) while the kinked ones keep the budget
LOG_SHARE = 1e-3


def tolerance_shares(functions) -> dict[str, float]:
    """Per function, the fraction of the per-op tolerance it is given: 1, except
    :data:`LOG_SHARE` for the ``"log"``-growth functions of a program that also has an
    ``"inverse"``-growth one (its degree is the expensive one: an error budget spent on
    exp or GELU costs a ReLU ~1000× more degree than it saves them)."""
    from qcompile.functions import get_function

    growth = {f: get_function(f).growth for f in set(functions)}
    kinked = any(g == "inverse" for g in growth.values())
    return {f: LOG_SHARE if kinked and g == "log" else 1.0 for f, g in growth.items()}


def tolerance_policy(tolerance: float, shares: dict[str, float] | None = None):
    """A lowering policy giving every nonlinearity the polynomial tolerance
    ``tolerance × shares[function]`` (default share 1: the same tolerance for all)."""
    shares = shares or {}

    def policy(function: str, argument, node: int) -> PolynomialChoice:
        from qcompile.qir.scores import argument_alpha

        return choose_polynomial(function, argument_alpha(argument), argument.dim,
                                 tolerance * shares.get(function, 1.0), shift=shift_allowed(argument))

    return policy


def alpha_bound(form, tolerance: float) -> float:
    """An upper bound of ``form.alpha`` before any polynomial is chosen, valid for every
    polynomial within ``tolerance`` of its function (a stacked program needs a segment's
    output bound before the joint calibration chooses them).

    A nonlinear source's alpha is ``K·√N`` with ``K = (sup|P_even| + sup|P_odd|)/(1 − margin)``
    (or ``sup|P|/(1 − margin)`` ≤ that for a definite parity).  The even part of the error
    ``P − f`` is at most its sup ``ε`` and so is the odd part, hence ``sup|P_even| ≤
    sup|f_even| + ε`` and likewise for the odd part: ``K ≤ (sup|f_even| + sup|f_odd| + 2ε)
    /(1 − margin)`` with ``ε ≤ tolerance``, the parts' sups taken over ``|x| ≤ a`` for the
    argument's alpha bound ``a`` (they grow with ``a``: sups over a larger interval)."""
    from qcompile.functions import get_function
    from qcompile.qir.visitor import FormVisitor

    class _Bound(FormVisitor):
        memoize = True

        def input_row(self, s):
            return s.alpha

        const = stage_input = input_row

        def nonlinear(self, s):
            if s.polynomial is not None:
                return s.alpha
            a = self.form(s.argument)
            scale = math.exp(get_function(s.function).log_qsvt_scale(a)) * (1 + 1e-9) + 2 * tolerance
            return scale / (1 - MARGIN) * math.sqrt(2 ** qubits_for(s.argument.dim))

        def dense(self, f, value):
            return f.alpha * value

        input_matrix = rotary = rotary_keys = dense

        def rank_one(self, f, value):
            return self.source(f.source) * float(np.linalg.norm(f.right)) * value

        def diagonal(self, f, value):
            return self.form(f.form) * value

        def weigh(self, coeff, value, term):
            return abs(coeff) * value

        def combine(self, form, values):
            return float(sum(values))

    return _Bound().form(form)
