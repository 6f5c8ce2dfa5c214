"""The gate-fact table (:mod:`qcompile.circuit.gates`) against the gates' NumPy matrices."""

from __future__ import annotations

import numpy as np
import pytest

import circuit_numpy_ref as R
from qcompile.circuit.decompose import basis_gate_set, lower_gate
from qcompile.circuit.gates import GATES, ROTATIONS, UNITARY, one_qubit_matrix
from qcompile.circuit.metrics import cx_cost
from qcompile.circuit.ir import Gate
from qcompile.circuit.synthesis import QISKIT_BASIS
from qcompile.passes.route import ROUTING_BASIS

ANGLE = 0.7
PAULI = {"x": R.X, "y": R.Y, "z": R.Z}
#: every unitary gate, the variadic ones with two controls
SHAPES = [(name, GATES[name].num_qubits or 3) for name in GATES if name in UNITARY]


def matrix(name: str, nq: int) -> np.ndarray:
    return R.local_matrix(name, nq, (ANGLE,) * GATES[name].num_angles)


@pytest.mark.parametrize("name,nq", SHAPES)
def test_target_pauli_and_controls_commute_with_the_gate(name, nq):
    facts = GATES[name]
    if facts.target_pauli is None:
        return
    u = matrix(name, nq)
    paulis = [R.Z] * (nq - 1) + [PAULI[facts.target_pauli]]
    for q, p in enumerate(paulis):
        op = R.embed(p, [q], nq)
        assert np.abs(u @ op - op @ u).max() < 1e-12, (name, q)
    assert facts.diagonal == bool(np.abs(u - np.diag(np.diag(u))).max() < 1e-12)


@pytest.mark.parametrize("name", ["h", "swap"])
def test_gates_without_a_target_pauli_commute_with_none(name):
    nq = GATES[name].num_qubits
    u = matrix(name, nq)
    for p in PAULI.values():
        op = R.embed(p, [nq - 1], nq)
        assert np.abs(u @ op - op @ u).max() > 0.1


@pytest.mark.parametrize("name,nq", SHAPES)
def test_controlled_counterpart_base_and_phase(name, nq):
    facts = GATES[name]
    if facts.controlled is None:
        assert name in ("h", "y", "swap")
        return
    family = GATES[facts.controlled]
    angles = (ANGLE,) if facts.phase is None else (facts.phase,)
    # the gate is its counterpart with its own qubits as controls + target
    counterpart = R.local_matrix(facts.controlled, nq, angles * family.num_angles)
    assert np.abs(counterpart - matrix(name, nq)).max() < 1e-12
    base = facts.base or name
    assert GATES[base].num_qubits == 1 and GATES[base].controlled == facts.controlled


@pytest.mark.parametrize("name", [n for n in GATES if GATES[n].num_qubits == 1 and n in UNITARY])
def test_one_qubit_matrix_and_rotation_flag(name):
    gate = Gate(name, (0,), (ANGLE,) * GATES[name].num_angles)
    assert np.abs(one_qubit_matrix(gate) - R.one_qubit(name, gate.params)).max() < 1e-15
    assert (name in ROTATIONS) == (GATES[name].num_angles == 1)


@pytest.mark.parametrize("name,nq", [("cx", 2), ("cz", 2), ("swap", 2), ("ccx", 3), ("mcx", 4), ("mcz", 4),
                                     ("mcp", 3), ("mcrx", 2), ("mcry", 3), ("mcrz", 2), ("rz", 1), ("h", 1)])
def test_cx_cost_counts_the_lowering(name, nq):
    gate = Gate(name, tuple(range(nq)), (ANGLE,) * GATES[name].num_angles)
    cx_per_gate = {"cx": 1, "cz": 1, "swap": 3, "ccx": 6}
    lowered, _ = lower_gate(gate)
    assert cx_cost(name, nq) == sum(cx_per_gate.get(g.name, 0) for g in lowered)


def test_qiskit_bases_are_the_table_basis():
    unitary_basis = {n for n in basis_gate_set() if n in UNITARY}
    assert set(QISKIT_BASIS) == unitary_basis and len(QISKIT_BASIS) == len(unitary_basis)
    assert set(ROUTING_BASIS) == {n for n in unitary_basis if GATES[n].num_qubits <= 2}
