"""QSVT blocks: α·block == P^{(SV)}(A/α) on Qiskit and Cirq, for diagonal, symmetric and
non-symmetric A, definite and mixed parity."""

import math

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.errors import NotSupportedError
from qcompile.quantum.block_encoding import block_encoding
from qcompile.quantum.diagonal import diagonal_from_state
from qcompile.quantum.polynomials import Polynomial, chebyshev_approximation, scale_to_unit
from qcompile.quantum.qsvt import qsvt
from qcompile.quantum.state_preparation import state_preparation


def both_blocks(block):
    return block.block(unitary(block.circuit)), block.block(unitary=unitary_cirq(block.circuit))


def sv_function(a, p):
    """Reference P^{(SV)}(a): W P(Σ) V^T (odd), V P(Σ) V^T (even), written out here."""
    w, s, vt = np.linalg.svd(a)
    if p.definite_parity == "odd":
        return w @ np.diag(p(s)) @ vt
    return vt.T @ np.diag(p(s)) @ vt


def eig_function(a, p):
    """Reference P(a) for symmetric a by its eigendecomposition."""
    lam, v = np.linalg.eigh(a)
    return v @ np.diag(p(lam)) @ v.T


def unit_poly(f, degree, parity, sup=0.95):
    c = np.polynomial.chebyshev.chebinterpolate(f, degree)
    return scale_to_unit(Polynomial.from_chebyshev(c, parity), 1 - sup)[0]


@pytest.mark.parametrize("degree,seed", [(1, 0), (4, 1), (9, 2), (16, 3), (31, 4)])
def test_diagonal_block(degree, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=4)
    be = diagonal_from_state(state_preparation(v))
    parity = "odd" if degree % 2 else "even"
    p = unit_poly(lambda t: np.cos(3 * t + 0.4) if parity == "even" else np.sin(2.5 * t), degree, parity)
    out = qsvt(be, p)
    assert out.alpha == 1.0
    assert len(out.ancilla_qubits) == len(be.ancilla_qubits) + 1
    expect = np.diag(p(v / np.linalg.norm(v)))
    for got in both_blocks(out):
        assert np.max(np.abs(got - expect)) <= 1e-9


@pytest.mark.parametrize("degree,seed", [(3, 10), (10, 11), (25, 12)])
def test_symmetric_block(degree, seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(4, 4))
    m = m + m.T
    be = block_encoding(m)
    parity = "odd" if degree % 2 else "even"
    p = unit_poly(lambda t: np.exp(-2 * t * t) if parity == "even" else np.tanh(3 * t), degree, parity)
    out = qsvt(be, p)
    expect = eig_function(m / be.alpha, p)
    for got in both_blocks(out):
        assert np.max(np.abs(got - expect)) <= 1e-9


@pytest.mark.parametrize("degree,seed", [(2, 20), (7, 21), (20, 22), (29, 23)])
def test_non_symmetric_block(degree, seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(4, 4))
    be = block_encoding(m, alpha=1.2 * np.linalg.norm(m, 2))
    parity = "odd" if degree % 2 else "even"
    p = unit_poly(lambda t: np.cos(4 * t) if parity == "even" else np.sin(4 * t), degree, parity)
    out = qsvt(be, p)
    expect = sv_function(m / be.alpha, p)
    for got in both_blocks(out):
        assert np.max(np.abs(got - expect)) <= 1e-9


@pytest.mark.parametrize("seed", [30, 31])
def test_mixed_parity_via_lcu(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(2, 2))
    m = m + m.T
    be = block_encoding(m)
    p = chebyshev_approximation(np.exp, 1e-10, domain_scale=1.5)
    out = qsvt(be, p, margin=0.02)
    # α = K_e + K_o with K = sup|part| / (1 - margin); for exp: cosh(1.5) + sinh(1.5) = e^1.5
    assert math.isclose(out.alpha, math.exp(1.5) / 0.98, rel_tol=1e-8)
    assert len(out.ancilla_qubits) == len(be.ancilla_qubits) + 2
    expect = eig_function(m / be.alpha, p)
    for got in both_blocks(out):
        assert np.max(np.abs(got - expect)) <= 1e-9


def test_scale_multiplies_alpha():
    v = np.random.default_rng(40).normal(size=2)
    be = diagonal_from_state(state_preparation(v))
    p = unit_poly(np.sin, 5, "odd")
    out = qsvt(be, p, scale=3.0)
    assert np.max(np.abs(out.block(unitary(out.circuit)) - 3.0 * np.diag(p(v / np.linalg.norm(v))))) <= 1e-9


def test_calls_and_gate_structure():
    be = diagonal_from_state(state_preparation([0.3, -0.5, 0.1, 0.7]))
    p = unit_poly(np.sin, 7, "odd")
    out = qsvt(be, p)
    assert out.info["calls"] == {"U": 4, "U_dagger": 3}
    n_u = be.circuit.count_ops().get("cx", 0)
    # every U / U† contributes its CX; 2(d−1) MCX on the a = n + 0 ancillas
    assert out.circuit.count_ops()["mcx"] == 2 * (7 - 1)
    assert out.circuit.count_ops()["cx"] == 7 * n_u


def test_qsvt_rejects_state():
    with pytest.raises(NotSupportedError):
        qsvt(state_preparation([1.0, 2.0]), Polynomial((0.0, 0.5), "odd"))


@pytest.mark.parametrize("c", [0.3, -0.8])
def test_constant_polynomial(c):
    be = diagonal_from_state(state_preparation([0.5, -0.1]))
    out = qsvt(be, Polynomial((c,), "even"))
    for got in both_blocks(out):
        assert np.max(np.abs(got - c * np.eye(2))) <= 1e-12
