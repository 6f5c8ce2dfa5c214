"""The Cirq emitter agrees with the Qiskit emitter exactly, global phase and qubit order included."""

from __future__ import annotations

import math

import cirq
import numpy as np
import pytest
import sympy
from qiskit.quantum_info import Statevector

from qcompile.backends.cirq import resolver, statevector_cirq, symbol_name, to_cirq, unitary_cirq
from qcompile.backends.qiskit import to_qiskit, unitary
from qcompile.circuit.ir import Circuit
from qcompile.circuit.random import random_circuit
from qcompile.simulate import statevector

TOL = 1e-10


@pytest.mark.parametrize("seed", range(6))
def test_random_circuits_same_state_in_qiskit_and_cirq(seed):
    rng = np.random.default_rng(seed)
    c = random_circuit(4, 40, rng, symbolic=0.4)
    assert c.is_parametric
    vals = {"x": rng.uniform(-3, 3, 4).tolist()}
    # Qiskit side: bind the emitted ParameterVector; Cirq side: ParamResolver on symbols
    qc = to_qiskit(c)
    qb = qc.assign_parameters({p: vals["x"][p.index] for p in qc.parameters})
    sv_q = Statevector(qb).data
    sv_c = statevector_cirq(c, vals)
    assert np.abs(sv_q - sv_c).max() < TOL
    assert np.abs(statevector(c, "qiskit", vals) - sv_c).max() < TOL
    assert np.abs(statevector(c, "cirq", vals) - sv_c).max() < TOL


def test_unitaries_agree_including_global_phase():
    rng = np.random.default_rng(42)
    c = random_circuit(3, 30, rng)
    assert abs(c.global_phase) > 1e-3
    assert np.abs(unitary(c) - unitary_cirq(c)).max() < TOL


@pytest.mark.parametrize("k", [1, 6, 11])
def test_endianness_basis_state_index(k):
    n = 4
    c = Circuit(n)
    for i in range(n):
        if k >> i & 1:
            c.append("x", [i])
    for backend in ("qiskit", "cirq"):
        sv = statevector(c, backend)
        assert abs(sv[k] - 1) < TOL


def test_big_endian_cirq_native_order_is_the_documented_permutation():
    rng = np.random.default_rng(5)
    c = random_circuit(3, 15, rng)
    n = c.num_qubits
    native = cirq.Simulator(dtype=np.complex128).simulate(
        to_cirq(c), qubit_order=cirq.LineQubit.range(n)).final_state_vector
    ours = native.reshape([2] * n).transpose(list(reversed(range(n)))).reshape(-1)
    assert np.abs(ours - statevector(c, "qiskit")).max() < TOL


def test_symbols_and_resolver_naming():
    c = Circuit(1)
    (a, b) = c.declare_parameters("theta", 2)
    c.append("rz", [0], [b * 2.0 + 0.5])
    cc = to_cirq(c)
    assert symbol_name("theta", 1) == "theta_1"
    assert {s.name for s in cirq.parameter_symbols(cc)} == {"theta_1"}
    r = resolver({"theta": [0.0, 0.25]})
    assert r.value_of(sympy.Symbol("theta_1")) == 0.25
    u = cirq.unitary(cirq.resolve_parameters(cc, r))
    assert np.allclose(u, np.diag([np.exp(-0.5j), np.exp(0.5j)]), atol=TOL)


def test_measure_reset_barrier():
    c = Circuit(2, num_clbits=2)
    c.append("x", [1]).append("barrier", [0, 1]).append("measure", [1], clbits=[0]).append("reset", [1])
    c.append("measure", [1], clbits=[1])
    cc = to_cirq(c)
    ops = list(cc.all_operations())
    assert len(ops) == 4  # barrier skipped
    assert [cirq.measurement_key_name(o) for o in ops if cirq.is_measurement(o)] == ["c0", "c1"]
    assert any(isinstance(o.gate, cirq.ResetChannel) for o in ops)


def test_global_phase_operation_present():
    c = Circuit(1, global_phase=math.pi / 3)
    c.append("h", [0])
    u = cirq.unitary(to_cirq(c))
    assert np.allclose(u, np.exp(1j * math.pi / 3) * np.array([[1, 1], [1, -1]]) / math.sqrt(2), atol=TOL)
