"""Symmetric-QSP phases: own Newton solver, conventions, verification."""

import contextlib
import io
import math

import numpy as np
import pytest

from qcompile.quantum.polynomials import Polynomial, abs_interpolant, chebyshev_approximation, scale_to_unit
from qcompile.quantum.qsp import PhaseFindingError, qsp_phases, symmetric_qsp_phases

XS = np.random.default_rng(5).uniform(-1, 1, 300)


def wx_product(phases, x):
    """Independent dense evaluation: e^{iφ0 Z} Π W(x) e^{iφk Z}."""
    s = math.sqrt(1 - x * x)
    w = np.array([[x, 1j * s], [1j * s, x]])
    u = np.diag([np.exp(1j * phases[0]), np.exp(-1j * phases[0])])
    for p in phases[1:]:
        u = u @ w @ np.diag([np.exp(1j * p), np.exp(-1j * p)])
    return u[0, 0]


def reflection_product(phases, x):
    """Independent dense evaluation: PC(φ0) R(x) PC(φ1) ⋯ R(x) PC(φd)."""
    s = math.sqrt(1 - x * x)
    r = np.array([[x, s], [s, -x]])
    u = np.diag([np.exp(1j * phases[0]), np.exp(-1j * phases[0])])
    for p in phases[1:]:
        u = u @ r @ np.diag([np.exp(1j * p), np.exp(-1j * p)])
    return u[0, 0]


def random_poly(degree, seed, sup=0.9):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=degree + 1) / (1 + np.arange(degree + 1))
    p = Polynomial.from_chebyshev(c, "even" if degree % 2 == 0 else "odd")
    return scale_to_unit(p, 1 - sup)[0]


@pytest.mark.parametrize("degree", [0, 1, 2, 3, 6, 11, 24, 37])
def test_reflection_phases_rebuild_polynomial(degree):
    p = random_poly(degree, degree)
    ph = qsp_phases(p)
    assert len(ph) == degree + 1
    got = np.array([reflection_product(ph, x) for x in XS])
    assert np.max(np.abs(got.real - p(XS))) <= 1e-10


@pytest.mark.parametrize("degree", [1, 8, 21])
def test_wx_phases_are_symmetric_and_rebuild_polynomial(degree):
    p = random_poly(degree, 100 + degree)
    ph = qsp_phases(p, convention="wx")
    assert np.allclose(ph, ph[::-1], atol=0)
    got = np.array([wx_product(ph, x) for x in XS])
    assert np.max(np.abs(got.imag - p(XS))) <= 1e-10


def test_same_phases_as_pyqsp_sym_qsp():
    from pyqsp import angle_sequence

    p = scale_to_unit(chebyshev_approximation(np.sinh, 1e-12, domain_scale=3.0, parity="odd"), 0.1)[0]
    with contextlib.redirect_stdout(io.StringIO()):
        full, _, _ = angle_sequence.QuantumSignalProcessingPhases(p.chebyshev, method="sym_qsp",
                                                                  chebyshev_basis=True)
    ours = symmetric_qsp_phases(p)
    assert np.max(np.abs(np.array(full, float) - ours)) <= 1e-8


@pytest.mark.parametrize("sup", [0.9, 0.999])
def test_degree_200_oscillatory_target(sup):
    c = np.polynomial.chebyshev.chebinterpolate(lambda t: sup * np.cos(150 * t), 200)
    p = Polynomial.from_chebyshev(c, "even")
    ph = qsp_phases(p)  # verified internally to 1e-10 on >= 804 points
    xs = XS[:40]
    got = np.array([reflection_product(ph, x) for x in xs])
    assert np.max(np.abs(got.real - p(xs))) <= 1e-10


def test_mixed_parity_is_rejected():
    with pytest.raises(PhaseFindingError):
        qsp_phases(Polynomial((0.1, 0.2)))


def test_sup_norm_one_is_rejected():
    with pytest.raises(PhaseFindingError):
        qsp_phases(Polynomial((0.0, 1.0), "odd"))


# ---- the inverse nonlinear Fourier transform at high degree --------------------------------
from qcompile.quantum import qsp as Q  # noqa: E402


@pytest.mark.parametrize("degree", [1, 4, 17, 60, 151])
def test_nlft_and_newton_find_the_same_symmetric_phases(degree):
    p = random_poly(degree, 7 + degree, sup=0.99)
    nl, nw = qsp_phases(p, convention="wx"), qsp_phases(p, convention="wx", method="newton")
    assert np.max(np.abs(nl - nw)) <= 1e-11


def test_rebuild_by_fft_agrees_with_the_direct_check():
    p = random_poly(301, 3, sup=0.99)
    ph = qsp_phases(p, convention="wx")
    direct = Q.rebuilt_error(ph, p)
    assert abs(Q.rebuilt_error(ph, p, extended=True) - direct) <= 1e-13
    c = Q.rebuilt_chebyshev(ph)
    assert np.max(np.abs(c[: len(p.coefficients)] - p.coefficients)) <= 1e-13


def test_degree_ten_thousand_rebuilds_within_1e_12():
    """A |t| interpolant of degree 10⁴ at sup 0.99 (the shape of a tight ReLU): verified phases,
    and the polynomial they realise (multiplied out in long double) within 1e-12 of the target."""
    p = abs_interpolant(10_000)
    ph = qsp_phases(p, convention="wx")
    assert len(ph) == 10_001 and np.allclose(ph, ph[::-1], atol=1e-14)
    assert Q.rebuilt_error(ph, p, extended=True) <= 1e-12
    refl = qsp_phases(p)  # the reflection convention: the constant shifts of the module docstring
    assert np.allclose(refl[1:-1], ph[1:-1] - np.pi / 2, atol=0)


def test_sup_norm_by_dct_matches_the_dense_grid():
    from qcompile.quantum import polynomials as P

    for degree, seed in ((300, 1), (1501, 2)):
        p = random_poly(degree, seed, sup=0.7)
        assert abs(P._sup_norm_by_dct(np.array(p.coefficients)) - p.sup_norm()) <= 1e-12
