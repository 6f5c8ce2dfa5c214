"""Dilation and FABLE block encodings vs NumPy, on Qiskit and Cirq."""

import math

import numpy as np
import pytest

from qcompile.circuit.ir import register_indices
from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import to_qiskit, unitary
from qcompile.quantum import block_encoding
from qcompile.quantum.block_encoding import dilation_unitary
from qcompile.simulate import block_matrix


def both_blocks(block):
    return block.block(unitary(block.circuit)), block.block(unitary=unitary_cirq(block.circuit))


def block_by_columns(be):
    """alpha × ancilla-0 block from one Qiskit statevector per input column (cheap at 9+ qubits)."""
    from qiskit.quantum_info import Statevector

    qc = to_qiskit(be.circuit)
    n = len(be.system_qubits)
    out = np.zeros((2**n, 2**n), dtype=complex)
    idx, rows = register_indices(be.system_qubits), register_indices(be.output_qubits)
    for j in range(2**n):
        sv = Statevector.from_int(int(idx[j]), 2**qc.num_qubits).evolve(qc).data
        out[:, j] = sv[rows]
    return be.alpha * out


def pad(W):
    n = max(1, math.ceil(math.log2(max(W.shape))))
    P = np.zeros((2**n, 2**n))
    P[: W.shape[0], : W.shape[1]] = W
    return P, n


CASES = [((4, 4), 0), ((4, 4), 1), ((3, 5), 2), ((8, 8), 3), ((2, 7), 4), ((16, 16), 5)]


@pytest.mark.parametrize("shape,seed", CASES[:5])
def test_dilation_block(shape, seed):
    W = np.random.default_rng(seed).normal(size=shape)
    P, n = pad(W)
    be = block_encoding(W)
    assert math.isclose(be.alpha, np.linalg.norm(W, 2), rel_tol=1e-12)
    assert be.ancilla_qubits == (n,) and be.system_qubits == tuple(range(n)) and be.shape == shape
    assert set(be.circuit.count_ops()) <= {"cx", "rz", "ry", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "p"}
    for got in both_blocks(be):
        assert np.max(np.abs(got - P)) <= 1e-9


def test_dilation_given_alpha_and_too_small_alpha():
    W = np.random.default_rng(8).normal(size=(4, 4))
    norm = np.linalg.norm(W, 2)
    be = block_encoding(W, alpha=2 * norm)
    assert be.alpha == 2 * norm
    assert np.max(np.abs(be.block(unitary(be.circuit)) - W)) <= 1e-9
    with pytest.raises(ValueError, match="spectral norm"):
        block_encoding(W, alpha=0.5 * norm)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dilation_unitary_is_orthogonal(seed):
    A = np.random.default_rng(seed).normal(size=(8, 8))
    A /= np.linalg.norm(A, 2)  # the top singular value is exactly at the edge
    M = dilation_unitary(A)
    assert np.max(np.abs(M.T @ M - np.eye(16))) <= 1e-12
    assert np.max(np.abs(M[:8, :8] - A)) <= 1e-12


@pytest.mark.parametrize("N", [2, 4, 8, 16, 32])
def test_svd_dilation_block_and_cx(N):
    """The one-ancilla dilation at alpha = ‖W‖₂: its block on Qiskit and Cirq, and at most N² CX
    (2·QSD(n) + N − 1 for a generic matrix)."""
    from qcompile.circuit.metrics import cx_count
    from qcompile.resources.counts import dilation_cx

    W = np.random.default_rng(N).normal(size=(N, N))
    be = block_encoding(W)
    n = be.circuit.num_qubits - 1
    assert be.info["construction"] == "svd" and be.ancilla_qubits == (n,)
    assert math.isclose(be.alpha, np.linalg.norm(W, 2), rel_tol=1e-12)
    assert cx_count(be.circuit) <= dilation_cx(n) <= N * N
    blocks = both_blocks(be) if N <= 8 else (block_matrix(be, "qiskit"), block_matrix(be, "cirq"))
    for got in blocks:
        assert np.max(np.abs(got - W)) <= 1e-9


def test_svd_dilation_beats_the_qsd_of_the_halmos_dilation():
    from qcompile.circuit.metrics import cx_count

    W = np.random.default_rng(3).normal(size=(8, 8))
    svd, qsd = block_encoding(W), block_encoding(W, construction="qsd")
    assert qsd.info["construction"] == "qsd" and np.max(np.abs(qsd.block(unitary(qsd.circuit)) - W)) <= 1e-9
    assert cx_count(svd.circuit) < cx_count(qsd.circuit) / 2 + 8


@pytest.mark.parametrize("W", [np.diag([0.5, -1.0, 2.0, 0.25]), np.eye(4), np.diag([1.0, 2.0, 3.0])])
def test_svd_dilation_of_a_diagonal_is_the_multiplexor_alone(W):
    from qcompile.quantum.block_encoding import singular_value_factors

    P, _ = pad(W)
    U, c, Vt = singular_value_factors(P / np.linalg.norm(W, 2))
    assert np.array_equal(U, np.eye(4)) and np.array_equal(Vt, np.eye(4))
    be = block_encoding(W)
    assert be.circuit.count_ops().get("cx", 0) <= 3
    for got in both_blocks(be):
        assert np.max(np.abs(got - P)) <= 1e-12


def test_singular_value_factors_are_rotations():
    from qcompile.quantum.block_encoding import singular_value_factors

    for seed in range(6):
        A = np.random.default_rng(seed).normal(size=(4, 4))
        A /= np.linalg.norm(A, 2)
        U, c, Vt = singular_value_factors(A)
        assert np.linalg.det(U) > 0 and np.linalg.det(Vt) > 0 and np.all(np.abs(c) <= 1)
        assert np.max(np.abs((U * c) @ Vt - A)) <= 1e-12


def test_fable_applied_to_a_state_and_settled():
    """FABLE's output register is L (a relabelling, no SWAP): apply reads it there at N² − 1 CX,
    settled() moves it back onto R for an LCU or a QSVT (2n CX more)."""
    from qcompile.quantum import apply, settled, state_preparation

    rng = np.random.default_rng(11)
    W, v = rng.normal(size=(4, 4)), rng.normal(size=4)
    be = block_encoding(W, method="fable")
    st = apply(be, state_preparation(v))
    assert st.kind == "state" and st.circuit.count_ops()["cx"] == 15 + 1
    for got in (st.block(unitary(st.circuit)), st.block(unitary=unitary_cirq(st.circuit))):
        assert np.max(np.abs(got - W @ v)) <= 1e-9
    s = settled(be)
    assert not s.is_relabelled and s.circuit.count_ops()["cx"] == 15 + 4
    for got in both_blocks(s):
        assert np.max(np.abs(got - W)) <= 1e-9


@pytest.mark.parametrize("shape,seed", CASES)
def test_fable_uncompressed_is_exact(shape, seed):
    W = np.random.default_rng(seed).normal(size=shape)
    P, n = pad(W)
    be = block_encoding(W, method="fable")
    assert math.isclose(be.alpha, 2**n * np.max(np.abs(W)), rel_tol=1e-15)
    assert len(be.ancilla_qubits) == n + 1 and len(be.system_qubits) == n
    assert be.circuit.num_qubits == 2 * n + 1
    assert be.info["error_bound"] == 0.0
    assert be.circuit.count_ops()["cx"] <= 4**n - 1 + n
    assert be.circuit.count_ops()["ry"] <= 4**n
    blocks = both_blocks(be) if n <= 3 else (block_by_columns(be),)
    for got in blocks:
        assert np.max(np.abs(got - P)) <= 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [1e-3, 1e-2, 5e-2])
def test_fable_compression_error_bound_holds(seed, threshold):
    rng = np.random.default_rng(seed)
    # a smooth matrix compresses well in the Walsh basis
    x = np.linspace(0, 1, 8)
    W = np.cos(3 * np.add.outer(x, x)) + 0.01 * rng.normal(size=(8, 8))
    full = block_encoding(W, method="fable")
    be = block_encoding(W, method="fable", threshold=threshold)
    err = np.linalg.norm(be.block(unitary(be.circuit)) - W, 2)
    assert be.info["dropped"] > 0
    assert err <= be.info["error_bound"]
    assert be.info["rotations"] < full.info["rotations"]
    assert be.circuit.count_ops()["cx"] <= full.circuit.count_ops()["cx"]


def test_block_encoding_errors():
    with pytest.raises(ValueError, match="method"):
        block_encoding(np.eye(2), method="qrom")
    with pytest.raises(ValueError):
        block_encoding(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(ValueError):
        block_encoding(np.eye(2) * 1j)


# ---- block encoding of an input matrix from its loader ------------------------------------------
from qcompile.errors import BindError  # noqa: E402
from qcompile.quantum import input_block_encoding  # noqa: E402


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 8), (8, 2), (1, 1)])
def test_input_block_encoding_many_inputs_one_circuit(shape):
    rng = np.random.default_rng(sum(shape))
    bound = 3.0
    be = input_block_encoding(shape, bound=bound)
    n = max(1, math.ceil(math.log2(max(shape))))
    assert be.alpha == bound
    assert len(be.system_qubits) == n and len(be.ancilla_qubits) == n + 1
    assert be.circuit.is_parametric
    for k in range(5):
        X = rng.normal(size=shape)
        X *= (bound if k == 0 else rng.uniform(0.05, bound)) / np.linalg.norm(X)
        P, _ = pad(X)
        if P.shape[0] < 2**n:
            P = np.pad(P, ((0, 2**n - P.shape[0]), (0, 2**n - P.shape[0])))
        for got in both_blocks(be.with_input(X)):
            assert np.max(np.abs(got - P)) <= 1e-9


def test_input_block_encoding_bind_errors():
    be = input_block_encoding((2, 4), bound=1.0)
    with pytest.raises(BindError, match=r"shape \[2, 4\]"):
        be.bind(np.zeros((4, 2)))
    with pytest.raises(BindError, match="bound"):
        be.bind(np.ones((2, 4)))
    with pytest.raises(ValueError):
        input_block_encoding((2, 2, 2), bound=1.0)
