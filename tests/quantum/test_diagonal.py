"""COPY construction: diag(v)/α from a subnormalised state of v."""

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.quantum import diagonal_from_state, state_preparation


def both_blocks(block):
    return block.block(unitary(block.circuit)), block.block(unitary=unitary_cirq(block.circuit))


@pytest.mark.parametrize("size,seed", [(4, 0), (3, 1), (8, 2), (5, 3)])
def test_diagonal_from_fixed_state(size, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=size) * 2
    st = state_preparation(v)
    d = diagonal_from_state(st)
    n = len(st.system_qubits)
    expect = np.diag(np.concatenate([v, np.zeros(2**n - size)]))
    assert d.alpha == st.alpha
    assert len(d.ancilla_qubits) == n + len(st.ancilla_qubits) and len(d.system_qubits) == n
    assert d.kind == "block_encoding" and d.shape == (size, size)
    for got in both_blocks(d):
        assert np.max(np.abs(got - expect)) <= 1e-9


def test_diagonal_from_parametric_loader_many_inputs():
    rng = np.random.default_rng(7)
    sp = state_preparation(4, bound=2.0)
    d = diagonal_from_state(sp)
    assert d.alpha == 2.0 and len(d.ancilla_qubits) == 2 + 1
    for _ in range(5):
        x = rng.normal(size=4)
        x *= rng.uniform(0.1, 2.0) / np.linalg.norm(x)
        bound = d.circuit.bind(sp.bind(x))
        u = d.__class__(bound, d.alpha, d.system_qubits, d.ancilla_qubits, d.kind, d.shape)
        for got in both_blocks(u):
            assert np.max(np.abs(got - np.diag(x))) <= 1e-9


def test_diagonal_rejects_block_encodings():
    st = state_preparation([1.0, 2.0])
    d = diagonal_from_state(st)
    with pytest.raises(ValueError):
        diagonal_from_state(d)
