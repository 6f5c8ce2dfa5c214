"""LCU with signed coefficients, for block encodings and states (residual connection x + A x)."""

import math

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.circuit.ir import Circuit
from qcompile.quantum import QuantumBlock, diagonal_from_state, lcu, state_preparation
from qcompile.quantum.lcu import index_code


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


# ---- prefix-code index -----------------------------------------------------------------------
def _depths(tree, depth=0):
    if isinstance(tree, int):
        return {tree: depth}
    return {**_depths(tree[0], depth + 1), **_depths(tree[1], depth + 1)}


@pytest.mark.parametrize("seed", range(6))
def test_index_code_meets_the_kraft_bound(seed):
    """max_k (depth_k + a_k) of the tree is the value index_code reports, and equals
    ⌈log2 Σ 2^{a_k}⌉, below which no prefix code exists (Σ 2^{-l_k} ≤ 1)."""
    rng = np.random.default_rng(seed)
    for K in range(2, 12):
        a = [int(x) for x in rng.integers(0, 9, size=K)]
        if seed == 0:
            a = [0] * K if K % 2 else [8] + [0] * (K - 1)   # flat-like and one-wide-term extremes
        tree, width = index_code(a)
        depths = _depths(tree)
        assert sorted(depths) == list(range(K))
        assert width == max(depths[k] + a[k] for k in range(K))
        assert width == math.ceil(math.log2(sum(2**x for x in a)) - 1e-12)
        assert width <= (K - 1).bit_length() + max(a)


def _wide_block(matrix, extra):
    """A block encoding of ``matrix`` on one system qubit with ``extra + 1`` ancillas: its
    dilation times ``extra`` dilations of the identity."""
    from qcompile.quantum.block_encoding import block_encoding
    from qcompile.quantum.combine import product

    b = block_encoding(np.asarray(matrix, float))
    for _ in range(extra):
        b = product(block_encoding(np.eye(2)), b)
    return b


def _unitary_block(theta):
    c = Circuit(1)
    c.append("ry", (0,), (theta,))
    return QuantumBlock(c, 1.0, (0,), (), "block_encoding", (2, 2))


@pytest.mark.parametrize("coeffs", [[0.7, -1.2, 0.4, 2.0], [-1.0, 0.5, 0.0, 0.3], [1.0, 1.0, -1.0, 1.0]])
def test_lcu_prefix_code_block(coeffs):
    """Terms of 4, 3, 1 and 0 ancillas: 5 ancillas (flat: 6); the block on both
    simulators equals Σ c_k A_k and alpha Σ |c_k| α_k."""
    rng = np.random.default_rng(abs(int(10 * coeffs[0])))
    mats = [rng.normal(size=(2, 2)) for _ in range(3)]
    theta = float(rng.uniform(0, np.pi))
    blocks = [_wide_block(mats[0], 3), _wide_block(mats[1], 2), _wide_block(mats[2], 0), _unitary_block(theta)]
    assert [len(b.ancilla_qubits) for b in blocks] == [4, 3, 1, 0]
    out = lcu(coeffs, blocks)
    ry = np.array([[np.cos(theta / 2), -np.sin(theta / 2)], [np.sin(theta / 2), np.cos(theta / 2)]])
    expect = coeffs[0] * mats[0] + coeffs[1] * mats[1] + coeffs[2] * mats[2] + coeffs[3] * ry
    kept = [b for c, b in zip(coeffs, blocks) if c != 0]
    assert len(out.ancilla_qubits) == math.ceil(math.log2(sum(2 ** len(b.ancilla_qubits) for b in kept)))
    assert len(out.ancilla_qubits) < 2 + 4
    assert math.isclose(out.alpha, sum(abs(c) * b.alpha for c, b in zip(coeffs, blocks)), rel_tol=1e-14)
    for got in both_blocks(out):
        assert np.max(np.abs(got - expect)) <= 1e-9


def test_lcu_prefix_code_states_with_a_loader():
    """States: a loader applied through two wide factors next to two fixed states (the
    shape of an attention score's terms); parametric, checked on random inputs."""
    from qcompile.quantum.block_encoding import block_encoding
    from qcompile.quantum.combine import apply

    rng = np.random.default_rng(3)
    loader = state_preparation(4, bound=3.0)
    m1, m2 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    y1, y2 = rng.normal(size=4), rng.normal(size=4)
    wide = apply(block_encoding(m2), apply(block_encoding(m1), loader))
    terms = [wide, state_preparation(y1), apply(block_encoding(m1), state_preparation(y2))]
    coeffs = [1.0, -0.5, 2.0]
    out = lcu(coeffs, terms)
    assert [len(t.ancilla_qubits) for t in terms] == [3, 0, 1]
    assert len(out.ancilla_qubits) == 4 and out.circuit.num_qubits <= 16   # flat: 2 + 3
    for _ in range(3):
        x = rng.normal(size=4)
        x *= rng.uniform(0.1, 3.0) / np.linalg.norm(x)
        expect = coeffs[0] * m2 @ m1 @ x + coeffs[1] * y1 + coeffs[2] * m1 @ y2
        for got in both_blocks(bound_block(out, loader.bind(x))):
            assert np.max(np.abs(got - expect)) <= 1e-9


@pytest.mark.parametrize("ancillas", [(3, 2, 1, 0), (2, 2, 1, 1, 0), (4, 1, 1, 0, 0), (3, 3, 0, 0), (0, 1, 2, 3, 2)])
def test_select_plan_controls_single_out_each_branch(ancillas):
    """The prefix-code SELECT with its planned controls (select_plan: a subset of each
    codeword, chosen against what the other branches hold when the term runs, garbage
    included) gives the block Σ c_k A_k on both simulators; for a = (3, 2, 1, 0) every
    term runs under one control (or one AND target), none under its whole codeword."""
    from qcompile.quantum.lcu import select_plan

    rng = np.random.default_rng(sum(ancillas) + len(ancillas))
    mats = [rng.normal(size=(2, 2)) for _ in ancillas]
    blocks, expect = [], np.zeros((2, 2))
    coeffs = list(rng.choice([-1.0, 1.0], size=len(ancillas)) * rng.uniform(0.3, 2.0, size=len(ancillas)))
    for c, a, m in zip(coeffs, ancillas, mats):
        if a == 0:
            theta = float(rng.uniform(0, np.pi))
            blocks.append(_unitary_block(theta))
            expect += c * np.array([[np.cos(theta / 2), -np.sin(theta / 2)], [np.sin(theta / 2), np.cos(theta / 2)]])
        else:
            blocks.append(_wide_block(m, a - 1))
            expect += c * m
    out = lcu(coeffs, blocks)
    assert len(out.ancilla_qubits) == math.ceil(math.log2(sum(2**a for a in ancillas)))
    for got in both_blocks(out):
        assert np.max(np.abs(got - expect)) <= 1e-9
    if ancillas == (3, 2, 1, 0):
        tree, q = index_code(list(ancillas))
        _, steps = select_plan(tree, q, list(ancillas), [10, 10, 10, 1])
        assert all(len(s.controls) == 1 or s.target is not None for s in steps)
