"""Elementwise f(v) by QSVT on diag(v/α) applied to |+>^n: exp, GELU, ReLU, callables."""

import math

import numpy as np
import pytest

from qcompile.backends.cirq import statevector_cirq
from qcompile.backends.qiskit import to_qiskit, unitary
from qcompile.errors import NotSupportedError
from qcompile.quantum.elementwise import elementwise
from qcompile.quantum.polynomials import Polynomial
from qcompile.quantum.state_preparation import state_preparation

FINE = np.linspace(-1, 1, 20001)


def both_states(block, values=None):
    """α × ancilla-0 amplitudes from the Qiskit and the Cirq statevector."""
    from qiskit.quantum_info import Statevector

    circ = block.circuit if values is None else block.circuit.bind(values)
    sq = Statevector(to_qiskit(circ)).data
    sc = statevector_cirq(circ)
    return block.block(sq[:, None]), block.block(sc[:, None])


def torch_gelu(x):
    """PyTorch's exact GELU (the test using it skips cleanly without torch)."""
    torch = pytest.importorskip("torch")
    return torch.nn.functional.gelu(torch.tensor(x, dtype=torch.float64)).numpy()


@pytest.mark.parametrize("name,ref,seed", [("exp", np.exp, 0), ("exp", np.exp, 1), ("gelu", torch_gelu, 2),
                                           ("gelu", torch_gelu, 3)])
def test_exp_and_gelu_on_random_8_vector(name, ref, seed):
    v = np.random.default_rng(seed).normal(size=8)
    st = state_preparation(v)
    tol = 1e-6
    out = elementwise(st, name, tol)
    p = out.info["polynomial"]
    alpha = np.linalg.norm(v)
    # the polynomial meets its tolerance against the true function on [-α, α]
    assert np.max(np.abs(p(FINE) - ref(alpha * FINE))) <= tol
    # the circuit reproduces the polynomial's values, on both backends
    for got in both_states(out):
        assert np.max(np.abs(got - p(v / alpha))) <= 1e-9
        assert np.max(np.abs(got - ref(v))) <= tol + 1e-9
    assert math.isclose(out.alpha, out.info["K"] * math.sqrt(8), rel_tol=1e-14)
    assert out.info["error"] <= tol


def test_relu_and_callable():
    v = np.random.default_rng(7).normal(size=4)
    st = state_preparation(v)
    out = elementwise(st, "relu", 5e-2)
    got = out.block(unitary(out.circuit))
    assert np.max(np.abs(got - np.maximum(v, 0))) <= 5e-2
    assert np.max(np.abs(got - out.info["polynomial"](v / np.linalg.norm(v)))) <= 1e-9
    out2 = elementwise(st, lambda x: np.sin(x) + 0.1, 1e-8)
    assert np.max(np.abs(out2.block(unitary(out2.circuit)) - (np.sin(v) + 0.1))) <= 1e-8 + 1e-9


def test_definite_parity_polynomial_given():
    v = np.random.default_rng(8).normal(size=4)
    st = state_preparation(v)
    p = Polynomial((0.0, 2.0, 0.0, -0.5), "odd")  # 2 T1 − 0.5 T3 on t = v/α
    out = elementwise(st, None, 1e-3, polynomial=p)
    assert len(out.ancilla_qubits) == 2 + 1  # diagonal (n) + phase qubit, no LCU
    assert np.max(np.abs(out.block(unitary(out.circuit)) - p(v / np.linalg.norm(v)))) <= 1e-9


def test_parametric_loader_one_circuit_many_inputs():
    loader = state_preparation(4, bound=2.0)
    out = elementwise(loader, "exp", 1e-7)
    assert out.circuit.is_parametric
    p = out.info["polynomial"]
    rng = np.random.default_rng(9)
    for _ in range(2):
        x = rng.normal(size=4)
        x *= rng.uniform(0.3, 2.0) / np.linalg.norm(x)
        values = loader.bind(x)
        got_q, got_c = both_states(out, values)
        for got in (got_q, got_c):
            assert np.max(np.abs(got - p(x / 2.0))) <= 1e-9
            assert np.max(np.abs(got - np.exp(x))) <= 1e-7 + 1e-9


def test_rejects_block_encoding():
    from qcompile.quantum.diagonal import diagonal_from_state

    with pytest.raises(NotSupportedError):
        elementwise(diagonal_from_state(state_preparation([1.0, 2.0])), "exp", 1e-3)
