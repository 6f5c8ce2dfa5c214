"""State preparation: fixed and parametric loaders, checked against NumPy on Qiskit and Cirq."""

import math

import numpy as np
import pytest
from qiskit import transpile
from qiskit.circuit.library import StatePreparation as QiskitStatePreparation
from qiskit.quantum_info import Statevector

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import to_qiskit, unitary
from qcompile.errors import BindError
from qcompile.quantum import state_preparation


def qiskit_block(block):
    """``block``'s state (alpha × the ancilla-0 column), its unitary taken with Qiskit."""
    return block.block(unitary(block.circuit))


def padded(x, n):
    out = np.zeros(2**n)
    out[: x.size] = np.ravel(x)
    return out


def random_input(rng, shape, bound, scale=None):
    x = rng.normal(size=shape)
    r = rng.uniform(0.05, 1.0) * bound if scale is None else scale
    return x * (r / np.linalg.norm(x))


@pytest.mark.parametrize("size", [3, 4, 7, 8, 13, 16])
def test_parametric_loader_many_inputs_one_circuit(size):
    rng = np.random.default_rng(size)
    bound = 2.5
    sp = state_preparation(size, bound=bound)
    n = len(sp.system_qubits)
    assert n == math.ceil(math.log2(size))
    assert sp.alpha == bound and len(sp.ancilla_qubits) == 1
    assert sp.circuit.parameters == {"x": 2**n}
    inputs = [random_input(rng, (size,), bound) for _ in range(5)] + [random_input(rng, (size,), bound, bound)]
    for x in inputs:
        b = sp.with_input(x)
        expect = padded(x, n)
        assert np.max(np.abs(b.block(unitary(b.circuit)) - expect)) <= 1e-9
        assert np.max(np.abs(b.block(unitary=unitary_cirq(b.circuit)) - expect)) <= 1e-9


def test_negative_entries_and_zero_input():
    sp = state_preparation(4, bound=1.0)
    x = np.array([-0.5, 0.5, -0.5, -0.5])
    assert np.max(np.abs(qiskit_block(sp.with_input(x)) - x)) <= 1e-12
    assert np.max(np.abs(qiskit_block(sp.with_input(np.zeros(4))))) <= 1e-12


def test_matrix_shape_is_row_major_with_padded_axes():
    rng = np.random.default_rng(3)
    sp = state_preparation((3, 5), bound=4.0)
    assert sp.info["registers"] == [(3, 4), (0, 1, 2)]
    for _ in range(3):
        X = random_input(rng, (3, 5), 4.0)
        got = qiskit_block(sp.with_input(X)).reshape(4, 8)
        assert np.max(np.abs(got[:3, :5] - X)) <= 1e-9
        assert np.max(np.abs(got[3:, :])) <= 1e-12 and np.max(np.abs(got[:, 5:])) <= 1e-12


def test_qiskit_parameter_binding_matches_bind():
    rng = np.random.default_rng(11)
    sp = state_preparation(8, bound=3.0)
    qc = to_qiskit(sp.circuit)
    for _ in range(3):
        x = random_input(rng, (8,), 3.0)
        values = sp.bind(x)["x"]
        vector = [p for p in qc.parameters]  # ParameterVector elements sorted by index
        bound_qc = qc.assign_parameters(dict(zip(vector, values)))
        sv = Statevector(bound_qc).data
        assert np.max(np.abs(3.0 * sv[:8] - x)) <= 1e-9  # flag (qubit 3) = 0 block


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_cx_count_formula(n):
    sp = state_preparation(2**n, bound=1.0)
    assert sp.circuit.count_ops().get("cx", 0) == 2**n - n - 1
    assert set(sp.circuit.count_ops()) <= {"cx", "ry"}


@pytest.mark.parametrize("n", [2, 3, 4])
def test_cx_not_worse_than_qiskit_o3(n):
    rng = np.random.default_rng(n)
    v = rng.normal(size=2**n)
    v /= np.linalg.norm(v)
    qc = QiskitStatePreparation(v)
    from qiskit import QuantumCircuit

    wrap = QuantumCircuit(n)
    wrap.append(qc, range(n))
    qiskit_cx = transpile(wrap, basis_gates=["cx", "u"], optimization_level=3, seed_transpiler=0).count_ops().get("cx", 0)
    ours = state_preparation(v).circuit.count_ops().get("cx", 0)
    assert ours <= qiskit_cx


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_preparation(seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=6) * 3
    sp = state_preparation(v)
    assert sp.ancilla_qubits == () and not sp.circuit.is_parametric
    assert math.isclose(sp.alpha, np.linalg.norm(v), rel_tol=1e-15)
    assert np.max(np.abs(sp.block(unitary(sp.circuit)) - padded(v, 3))) <= 1e-9
    assert np.max(np.abs(sp.block(unitary=unitary_cirq(sp.circuit)) - padded(v, 3))) <= 1e-9


def test_bind_errors():
    sp = state_preparation(4, bound=1.0)
    with pytest.raises(BindError, match=r"shape \[4\]"):
        sp.bind(np.ones(5) * 0.1)
    with pytest.raises(BindError, match="non-finite"):
        sp.bind(np.array([0.1, np.nan, 0.0, 0.0]))
    with pytest.raises(BindError, match=r"norm 2.*bound 1"):
        sp.bind(np.array([2.0, 0.0, 0.0, 0.0]))
    with pytest.raises(BindError):
        state_preparation([1.0, 2.0]).bind([1.0, 2.0])


def test_constructor_errors():
    with pytest.raises(ValueError):
        state_preparation(4)  # size without bound
    with pytest.raises(ValueError):
        state_preparation(np.zeros(4))
    with pytest.raises(ValueError):
        state_preparation(4, bound=-1.0)
