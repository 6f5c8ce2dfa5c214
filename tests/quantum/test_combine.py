"""product, apply, tensor, relabel: blocks vs NumPy on Qiskit and Cirq."""

import math

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.quantum import QuantumBlock, apply, block_encoding, lcu, product, relabel, state_preparation, tensor


def both_blocks(block):
    return block.block(unitary(block.circuit)), block.block(unitary=unitary_cirq(block.circuit))


def padded(M, n):
    out = np.zeros((2**n,) * M.ndim)
    out[tuple(slice(0, d) for d in M.shape)] = M
    return out


def bound_block(block, values):
    return QuantumBlock(block.circuit.bind(values), block.alpha, block.system_qubits, block.ancilla_qubits,
                        block.kind, block.shape, block.info)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_product_of_fable_and_dilation(seed):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    a, b = block_encoding(A, method="fable"), block_encoding(B)
    p = product(a, b)
    assert math.isclose(p.alpha, a.alpha * b.alpha, rel_tol=1e-15)
    assert len(p.ancilla_qubits) == len(a.ancilla_qubits) + len(b.ancilla_qubits)
    for got in both_blocks(p):
        assert np.max(np.abs(got - A @ B)) <= 1e-9


def test_product_with_different_padded_sizes():
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(8, 3)), rng.normal(size=(3, 3))  # 3 vs 2 system qubits
    p = product(block_encoding(A), block_encoding(B))
    assert p.shape == (8, 3)
    for got in both_blocks(p):
        assert np.max(np.abs(got - padded(A @ B, 3))) <= 1e-9
    q = product(block_encoding(B), block_encoding(A.T))  # 3x3 times 3x8
    assert np.max(np.abs(q.block(unitary(q.circuit)) - padded(B @ A.T, 3))) <= 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_apply_to_parametric_loader(seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(4, 4))
    loader = state_preparation(4, bound=2.0)
    out = apply(block_encoding(W), loader)
    assert out.kind == "state" and out.shape == (4,)
    assert math.isclose(out.alpha, 2.0 * np.linalg.norm(W, 2), rel_tol=1e-15)
    for _ in range(5):
        x = rng.normal(size=4)
        x *= rng.uniform(0.1, 2.0) / np.linalg.norm(x)
        for got in both_blocks(bound_block(out, loader.bind(x))):
            assert np.max(np.abs(got - W @ x)) <= 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_residual_x_plus_Ax(seed):
    """The transformer's residual connection: LCU with K = 2 of x and A x (same loader)."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(4, 4))
    loader = state_preparation(4, bound=1.5)
    Ax = apply(block_encoding(W, method="fable"), loader)
    res = lcu([1.0, 1.0], [loader, Ax])
    assert math.isclose(res.alpha, loader.alpha + Ax.alpha, rel_tol=1e-15)
    assert len(res.ancilla_qubits) == 1 + max(len(loader.ancilla_qubits), len(Ax.ancilla_qubits))
    for _ in range(5):
        x = rng.normal(size=4)
        x *= rng.uniform(0.1, 1.5) / np.linalg.norm(x)
        for got in both_blocks(bound_block(res, loader.bind(x))):
            assert np.max(np.abs(got - (x + W @ x))) <= 1e-9


@pytest.mark.parametrize("seed", [0, 1])
def test_tensor_blocks_and_states(seed):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(2, 2)), rng.normal(size=(4, 4))
    t = tensor(block_encoding(A), block_encoding(B, method="fable"))
    assert t.shape == (8, 8)
    for got in both_blocks(t):
        assert np.max(np.abs(got - np.kron(A, B))) <= 1e-9
    u, v = rng.normal(size=2), rng.normal(size=3)
    s = tensor(state_preparation(u), state_preparation(v))
    assert np.max(np.abs(s.block(unitary(s.circuit)) - np.kron(u, padded(v, 2)))) <= 1e-9


def test_relabel_is_zero_gates_and_permutes():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2, 4))
    st = state_preparation(X)  # qubits 0,1 = column, 2 = row
    r = relabel(st, (2, 0, 1))  # new bit 0 = row
    assert r.circuit.gates == st.circuit.gates
    expect = np.zeros(8)
    for i in range(2):
        for j in range(4):
            expect[i + 2 * j] = X[i, j]  # value = row + 2·column
    for got in both_blocks(r):
        assert np.max(np.abs(got - expect)) <= 1e-9
    W = rng.normal(size=(4, 4))
    be = block_encoding(W)
    swapped = relabel(be, tuple(reversed(be.system_qubits)))
    perm = [0, 2, 1, 3]  # bit reversal on 2 qubits
    assert np.max(np.abs(swapped.block(unitary(swapped.circuit)) - W[np.ix_(perm, perm)])) <= 1e-9


def test_dimension_errors():
    rng = np.random.default_rng(0)
    a, b = block_encoding(rng.normal(size=(4, 3))), block_encoding(rng.normal(size=(4, 4)))
    with pytest.raises(ValueError, match=r"\[4, 3\] and \[4, 4\]"):
        product(a, b)
    with pytest.raises(ValueError, match=r"\[4, 3\].*\[4\]"):
        apply(a, state_preparation(rng.normal(size=4)))
    with pytest.raises(ValueError):
        tensor(a, state_preparation(rng.normal(size=4)))
    with pytest.raises(ValueError, match="permutation"):
        relabel(b, (0, 0))


# ---- a loader's flag on the padding qubit of a wider factor -------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_flag_sits_on_the_padding_qubit(seed):
    """apply(W 8×4, loader of 4 entries): the loader's flag (touched by one RY only) is the
    third system qubit instead of a fresh one, and the block is unchanged for many inputs."""
    from qcompile.quantum.combine import product_ancillas
    from qcompile.resources import counts as R

    rng = np.random.default_rng(seed)
    W = rng.normal(size=(8, 4))
    loader = state_preparation(4, bound=2.0)
    assert product_ancillas(loader) == [2]
    out = apply(block_encoding(W), loader)
    assert out.circuit.num_qubits == 3 + 1 and len(out.ancilla_qubits) == 1
    cost = R.apply_cost(R.block_encoding_cost((8, 4)), R.state_preparation_cost(4, True))
    assert cost.num_qubits == 4 and cost.product_flags == 0
    for _ in range(3):
        x = rng.normal(size=4)
        x *= rng.uniform(0.2, 2.0) / np.linalg.norm(x)
        b = bound_block(out, loader.bind(x))
        for got in both_blocks(b):
            assert np.max(np.abs(got - W @ x)) <= 1e-9


def test_no_flag_moves_without_padding_or_into_a_product():
    """Same width: nothing to place.  A product of block encodings keeps its flags: the
    padding qubits are inputs of the product."""
    from qcompile.quantum import input_block_encoding

    rng = np.random.default_rng(3)
    loader = state_preparation(4, bound=2.0)
    same = apply(block_encoding(rng.normal(size=(4, 4))), loader)
    assert same.circuit.num_qubits == 2 + 1 + 1
    x = input_block_encoding((2, 2), 1.0)
    W = rng.normal(size=(4, 2))
    p = product(block_encoding(W), x)
    assert p.circuit.num_qubits == 2 + len(x.ancilla_qubits) + 1
    X = rng.normal(size=(2, 2))
    X *= 0.8 / np.linalg.norm(X)
    got = bound_block(p, x.bind(X)).block(unitary(p.circuit.bind(x.bind(X))))
    assert np.max(np.abs(got - padded(W @ X, 2))) <= 1e-9
