"""LCU with signed coefficients, for block encodings and states (residual connection x + A x)."""

import math

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.quantum import QuantumBlock, diagonal_from_state, lcu, state_preparation


def both_blocks(block):
    return block.block(unitary(block.circuit)), block.block(unitary=unitary_cirq(block.circuit))


def bound_block(block, values):
    return QuantumBlock(block.circuit.bind(values), block.alpha, block.system_qubits, block.ancilla_qubits,
                        block.kind, block.shape, block.info)


def diag_block(v):
    """A block encoding of diag(v) (independent check: compared with np.diag)."""
    return diagonal_from_state(state_preparation(v))


@pytest.mark.parametrize("K,seed", [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)])
def test_lcu_of_block_encodings(K, seed):
    rng = np.random.default_rng(seed)
    n = 2
    vs = [rng.normal(size=2**n) for _ in range(K)]
    coeffs = rng.normal(size=K)
    blocks = [diag_block(v) for v in vs]
    out = lcu(coeffs, blocks)
    expect = sum(c * np.diag(v) for c, v in zip(coeffs, vs))
    assert math.isclose(out.alpha, sum(abs(c) * b.alpha for c, b in zip(coeffs, blocks)), rel_tol=1e-14)
    assert len(out.ancilla_qubits) == math.ceil(math.log2(K)) + max(len(b.ancilla_qubits) for b in blocks)
    for got in both_blocks(out):
        assert np.max(np.abs(got - expect)) <= 1e-9


def test_lcu_negative_single_block():
    v = np.array([1.0, -2.0, 0.5, 3.0])
    out = lcu([-1.5], [diag_block(v)])
    assert len(out.ancilla_qubits) == len(diag_block(v).ancilla_qubits)
    for got in both_blocks(out):
        assert np.max(np.abs(got - (-1.5) * np.diag(v))) <= 1e-9


def test_lcu_pads_ancillas_of_smaller_blocks():
    rng = np.random.default_rng(5)
    v1, v2 = rng.normal(size=4), rng.normal(size=4)
    small = diag_block(v1)  # 2 ancillas
    big = diagonal_from_state(state_preparation(4, bound=5.0))  # 3 ancillas (flag)
    values = state_preparation(4, bound=5.0).bind(v2)
    out = lcu([0.7, -1.3], [small, big])
    assert len(out.ancilla_qubits) == 1 + 3
    got = bound_block(out, values)
    for blk in both_blocks(got):
        assert np.max(np.abs(blk - (0.7 * np.diag(v1) - 1.3 * np.diag(v2)))) <= 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lcu_of_states_residual_shape(seed):
    """x + y for two subnormalised states (K = 2), with a parametric loader in one branch."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=8)
    loader = state_preparation(8, bound=3.0)
    out = lcu([1.0, 1.0], [loader, state_preparation(y)])
    assert out.kind == "state"
    assert math.isclose(out.alpha, 3.0 + np.linalg.norm(y), rel_tol=1e-14)
    assert len(out.ancilla_qubits) == 1 + 1
    for _ in range(5):
        x = rng.normal(size=8)
        x *= rng.uniform(0.1, 3.0) / np.linalg.norm(x)
        for got in both_blocks(bound_block(out, loader.bind(x))):
            assert np.max(np.abs(got - (x + y))) <= 1e-9


def test_lcu_zero_coefficient_and_errors():
    rng = np.random.default_rng(9)
    v1, v2, v3 = (rng.normal(size=4) for _ in range(3))
    out = lcu([2.0, 0.0, -1.0], [diag_block(v1), diag_block(v2), diag_block(v3)])
    assert np.max(np.abs(out.block(unitary(out.circuit)) - (2 * np.diag(v1) - np.diag(v3)))) <= 1e-9
    with pytest.raises(ValueError, match="system size"):
        lcu([1, 1], [diag_block(v1), diag_block(rng.normal(size=8))])
    with pytest.raises(ValueError, match="mix"):
        lcu([1, 1], [diag_block(v1), state_preparation(v1)])
    with pytest.raises(ValueError):
        lcu([0.0], [diag_block(v1)])
    with pytest.raises(ValueError):
        lcu([1.0, 2.0], [diag_block(v1)])
