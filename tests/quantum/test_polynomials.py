"""Chebyshev interpolation with degree from a tolerance, parity parts, scaling, named targets."""

import math

import numpy as np
import pytest

from qcompile.functions import relu
from qcompile.quantum.polynomials import (Polynomial, PolynomialError, chebyshev_approximation,
                                          exp_approximation, parity_parts, relu_approximation, scale_to_unit)

FINE = np.linspace(-1.0, 1.0, 20001)


@pytest.mark.parametrize("f,scale,tol", [(np.exp, 2.0, 1e-10), (np.exp, 0.5, 1e-6), (np.tanh, 3.0, 1e-8),
                                         (np.cos, 5.0, 1e-9)])
def test_approximation_meets_tolerance_and_degree_is_minimal(f, scale, tol):
    p = chebyshev_approximation(f, tol, domain_scale=scale)
    assert np.max(np.abs(p(FINE) - f(scale * FINE))) <= tol
    # one degree less (Chebyshev interpolant of degree d-1) misses the tolerance
    c = np.polynomial.chebyshev.chebinterpolate(lambda t: f(scale * t), p.degree - 1)
    assert np.max(np.abs(np.polynomial.chebyshev.chebval(FINE, c) - f(scale * FINE))) > tol


def test_parity_option_fits_the_even_part_with_even_degrees_only():
    p = chebyshev_approximation(np.exp, 1e-9, domain_scale=2.0, parity="even")
    assert p.parity == "even" and p.degree % 2 == 0
    assert not np.any(np.array(p.coefficients)[1::2])
    assert np.max(np.abs(p(FINE) - np.cosh(2 * FINE))) <= 1e-9


def test_polynomial_call_matches_numpy_chebyshev():
    c = np.random.default_rng(0).normal(size=9)
    p = Polynomial(tuple(c))
    assert np.allclose(p(FINE), np.polynomial.Chebyshev(c)(FINE), atol=1e-14)
    assert p.degree == 8 and p.definite_parity is None


def test_declared_parity_rejects_wrong_coefficients():
    with pytest.raises(PolynomialError):
        Polynomial((0.1, 0.2, 0.3), parity="even")


def test_parity_parts_sum_and_symmetry():
    p = exp_approximation(1.5, 1e-8)
    e, o = parity_parts(p)
    assert np.allclose(e(FINE) + o(FINE), p(FINE), atol=1e-14)
    assert np.allclose(e(FINE), e(-FINE), atol=1e-14)
    assert np.allclose(o(FINE), -o(-FINE), atol=1e-14)
    assert (e.parity, o.parity) == ("even", "odd")


def test_sup_norm_matches_a_fine_grid():
    rng = np.random.default_rng(1)
    for _ in range(5):
        p = Polynomial(tuple(rng.normal(size=15)))
        dense = np.max(np.abs(p(np.linspace(-1, 1, 200001))))
        assert dense - 1e-12 <= p.sup_norm() <= dense + 1e-6


def test_scale_to_unit():
    p = exp_approximation(2.0, 1e-10)
    q, k = scale_to_unit(p, 0.05)
    assert math.isclose(np.max(np.abs(q(FINE))), 0.95, rel_tol=1e-6)
    assert np.allclose(k * q(FINE), p(FINE), atol=1e-13)
    assert math.isclose(k, math.exp(2.0) / 0.95, rel_tol=1e-9)


def test_relu_approximation_first_order():
    p1 = relu_approximation(1.0, 1e-1)
    p2 = relu_approximation(1.0, 1e-2)
    assert np.max(np.abs(p2(FINE) - relu(FINE))) <= 1e-2
    assert np.max(np.abs(p1(FINE) - relu(FINE))) <= 1e-1
    # first-order convergence: ten times the accuracy costs several times the degree
    assert p2.degree >= 4 * p1.degree


def test_unreachable_tolerance_raises():
    with pytest.raises(PolynomialError):
        chebyshev_approximation(relu, 1e-6, max_degree=64)


def test_symmetric_target_gets_definite_parity():
    assert chebyshev_approximation(np.tanh, 1e-8, domain_scale=3.0).parity == "odd"
    assert chebyshev_approximation(np.cosh, 1e-8, domain_scale=3.0).parity == "even"
    assert exp_approximation(2.0, 1e-8).parity is None
