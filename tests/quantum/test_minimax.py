"""Minimax approximation of |t| (Remez) and the ReLU polynomial built from it."""

import numpy as np
import pytest

from qcompile.quantum.minimax import BERNSTEIN, abs_minimax, abs_minimax_degree
from qcompile.functions import relu
from qcompile.quantum.polynomials import chebyshev_approximation, parity_parts, relu_approximation

FINE = np.linspace(-1.0, 1.0, 200001)


@pytest.mark.parametrize("m", [5, 40, 300])
def test_abs_minimax_meets_bernstein_and_equioscillates(m):
    """The sup error of the degree-2m best approximation sits just below β/(2m)
    (Varga–Carpenter: 2m·E_2m increases to β) and is attained at m + 2 points of [0, 1]
    with alternating signs: the Chebyshev alternation theorem's certificate of optimality."""
    coefs, err = abs_minimax(m)
    e = np.polynomial.chebyshev.chebval(FINE, coefs) - np.abs(FINE)
    assert np.max(np.abs(e)) == pytest.approx(err, rel=1e-6)
    assert 0.99 * BERNSTEIN <= 2 * m * err <= BERNSTEIN
    # on [0, 1] the error alternates at m + 2 points (the Remez reference); the peaks
    # cluster like Chebyshev points near t = 1, so sample uniformly in the angle
    t = np.cos(np.linspace(0.0, np.pi / 2, 400001))
    half = np.polynomial.chebyshev.chebval(t, coefs) - t
    peaks = np.abs(half) >= err * (1 - 1e-2)  # the grid samples each peak within 1%
    signs = np.sign(half[peaks])
    assert np.count_nonzero(np.diff(signs)) + 1 >= m + 2


def test_minimax_beats_chebyshev_interpolation():
    """For the same tolerance the minimax ReLU needs ~2.3x fewer QSVT queries than the
    Chebyshev interpolant (whose odd part also costs a second, full-degree QSVT)."""
    tol = 2e-3
    p = relu_approximation(1.0, tol)
    cheb = chebyshev_approximation(relu, tol, max_degree=4000)
    queries = lambda q: sum(part.degree for part in parity_parts(q))  # noqa: E731
    assert queries(cheb) >= 4 * queries(p)


@pytest.mark.parametrize("alpha,tol", [(1.0, 1e-1), (3.0, 1e-3), (0.5, 2e-4)])
def test_relu_polynomial_error_and_parity(alpha, tol):
    """P(t) = α(t + q(t))/2 is within the tolerance of relu(α t) on a grid finer than the
    construction's; its odd part is exactly α t/2 (one query)."""
    p = relu_approximation(alpha, tol)
    err = np.max(np.abs(p(FINE) - relu(alpha * FINE)))
    assert err <= tol and err == pytest.approx(p.error, rel=1e-6)
    even, odd = parity_parts(p)
    assert odd.degree == 1 and odd.coefficients[1] == pytest.approx(alpha / 2, rel=1e-15)
    assert p.degree == 2 * abs_minimax_degree(2 * tol / alpha)


def test_relu_degree_limit_is_a_clear_error():
    from qcompile.quantum.polynomials import PolynomialError

    with pytest.raises(PolynomialError, match="degree"):
        relu_approximation(3.0, 1e-5, max_degree=2000)
