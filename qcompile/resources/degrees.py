"""Polynomial degrees and QSVT scales estimated without fitting (resource estimation).

The compiler chooses each nonlinearity's polynomial by fitting ``f(a·t)`` on ``[-1, 1]``
(:func:`qcompile.lowering.polynomials.choose_polynomial`); at LLM sizes ``a`` (the
argument's subnormalisation) reaches thousands, where ``e^{a}`` overflows.  Here each
function's registry entry (:mod:`qcompile.functions`) gives an upper bound of that degree
(:mod:`qcompile.quantum.degrees`: Chebyshev coefficient tails) and the QSVT scale
``K = (sup|f_even| + sup|f_odd|)/(1 − margin)`` of ``f(a·t)`` as a logarithm: ``exp``:
``ln K = a``; ``relu``: ``ln a``; ``gelu``: ``ln(a·erf(a/√2)/2 + a/2)``.  The output
subnormalisation is ``K·√N`` as in :mod:`qcompile.quantum.elementwise`, kept as a logarithm
because ``e^a`` overflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qcompile.errors import QcompileError
from qcompile.lowering.polynomials import MARGIN, SHIFT_MAX_PLAIN_DEGREE, qubits_for


@dataclass(frozen=True)
class DegreeEstimate:
    """The estimated polynomial of one nonlinearity (duck-types
    :class:`~qcompile.lowering.polynomials.PolynomialChoice` for the lowering).

    ``degree``: an upper bound of the interpolant degree meeting ``tolerance``;
    ``error``: the bound ``2·tail(degree)``; ``log_alpha``: natural log of the output
    subnormalisation ``K·√N``; ``alpha``: ``e^{log_alpha}`` (``inf`` beyond floats);
    ``parity``: the function's (its registry entry's), None when it has none.
    """

    function: str
    input_alpha: float
    degree: int
    error: float
    tolerance: float
    log_K: float
    log_alpha: float
    lipschitz: float
    parity: str | None = None
    shift: float = 0.0

    @property
    def alpha(self) -> float:
        """The output subnormalisation (``inf`` if it does not fit in a float)."""
        return math.exp(self.log_alpha) if self.log_alpha < 709 else math.inf

    @property
    def K(self) -> float:
        """The QSVT scale (``inf`` if it does not fit in a float)."""
        return math.exp(self.log_K) if self.log_K < 709 else math.inf


def estimate_polynomial(function: str, input_alpha: float, dim: int, tolerance: float,
                        margin: float = MARGIN, shift: bool = False) -> DegreeEstimate:
    """The :class:`DegreeEstimate` of ``function(input_alpha · t)`` within ``tolerance``
    for an argument of length ``dim`` (module docstring).  ``shift`` (the argument allows
    the shifted even rule, :func:`qcompile.lowering.polynomials.shift_allowed`): where the
    compiler takes that rule (a shiftable function whose plain degree is at most
    :data:`~qcompile.lowering.polynomials.SHIFT_MAX_PLAIN_DEGREE`) its own choice is made,
    so that the estimate has the compiler's qubits, degree and alpha."""
    from qcompile.functions import get_function

    a = float(input_alpha)
    if not (math.isfinite(a) and a > 0):
        raise QcompileError(f"cannot estimate the polynomial of {function}: its argument's "
                            f"subnormalisation is {a:g}")
    entry = get_function(function)
    degree, error = entry.estimated_degree(a, tolerance)
    log_k = entry.log_qsvt_scale(a) - math.log(1.0 - margin)
    log_alpha = log_k + 0.5 * qubits_for(dim) * math.log(2.0)
    if shift and entry.shiftable and int(degree) <= 2 * SHIFT_MAX_PLAIN_DEGREE:
        from qcompile.lowering.polynomials import choose_polynomial
        from qcompile.quantum.polynomials import PolynomialError

        try:
            choice = choose_polynomial(function, a, dim, tolerance, max_degree=SHIFT_MAX_PLAIN_DEGREE, shift=True)
        except PolynomialError:   # a plain degree above the limit (or past float64): the compiler splits it too
            choice = None
        if choice is not None and choice.shift:
            return DegreeEstimate(function, a, choice.degree, choice.error, float(tolerance), math.log(choice.K),
                                  math.log(choice.alpha), choice.lipschitz, "even", choice.shift)
    return DegreeEstimate(function, a, int(degree), float(error), float(tolerance), float(log_k),
                          float(log_alpha), float(entry.lipschitz(a)), entry.parity)


def estimate_policy(tolerance: float):
    """A lowering policy (see :func:`qcompile.lowering.symbolic.lower`) giving every
    nonlinearity an estimated polynomial of tolerance ``tolerance``."""

    def policy(function: str, argument, node: int) -> DegreeEstimate:
        from qcompile.lowering.polynomials import shift_allowed
        from qcompile.qir.scores import argument_alpha

        return estimate_polynomial(function, argument_alpha(argument), argument.dim, tolerance,
                                   shift=shift_allowed(argument))

    return policy
