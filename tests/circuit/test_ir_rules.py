"""Gate matrices, inverse and controlled rules of the circuit IR against NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest

import circuit_numpy_ref as R
from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.circuit.gates import GATE_SPECS
from qcompile.circuit.ir import Circuit, ParamExpr, Parameter
from qcompile.circuit.random import random_circuit

TOL = 1e-10
# every unitary gate with a concrete size (variadic ones at two sizes)
CASES = [(n, GATE_SPECS[n][0]) for n in GATE_SPECS if GATE_SPECS[n][0] and n not in ("measure", "reset")]
CASES += [("mcx", 1), ("mcx", 3), ("mcz", 2), ("mcz", 3), ("mcp", 1), ("mcp", 3)]


def one_gate(name, nq, n, rng, phase=0.0):
    c = Circuit(n, global_phase=phase)
    qubits = [int(q) for q in rng.permutation(n)[:nq]]
    params = [float(rng.uniform(-2 * math.pi, 2 * math.pi)) for _ in range(GATE_SPECS[name][1])]
    c.append(name, qubits, params)
    return c, qubits, params


@pytest.mark.parametrize("name,nq", CASES)
def test_gate_matrix_matches_numpy_in_qiskit_and_cirq(name, nq):
    rng = np.random.default_rng(abs(hash((name, nq))) % 2**32)
    c, qubits, params = one_gate(name, nq, 4, rng, phase=0.61)
    ref = np.exp(0.61j) * R.embed(R.local_matrix(name, nq, params), qubits, 4)
    assert np.abs(unitary(c) - ref).max() < TOL
    assert np.abs(unitary_cirq(c) - ref).max() < TOL


@pytest.mark.parametrize("name,nq", CASES)
def test_inverse_rule(name, nq):
    rng = np.random.default_rng(7 + nq)
    c, _, _ = one_gate(name, nq, 4, rng, phase=-1.3)
    u = R.circuit_unitary(c)
    assert np.abs(R.circuit_unitary(c.inverse()) - u.conj().T).max() < TOL


@pytest.mark.parametrize("name,nq", CASES)
@pytest.mark.parametrize("k", [1, 2])
def test_controlled_rule_with_global_phase(name, nq, k):
    rng = np.random.default_rng(11 * k + nq)
    n = nq + 1  # one idle qubit so the rule must not touch it
    c, _, _ = one_gate(name, nq, n, rng, phase=0.37)
    u = R.circuit_unitary(c)
    # interleave: controls on the first k of the new wires, our qubit i on wire k + i
    total = n + k
    controls = tuple(range(k))
    mapping = [k + i for i in range(n)]
    cc = c.controlled(controls, num_qubits=total, qubits=mapping)
    ref = R.embed(R.controlled(u, k), mapping + list(controls), total)
    assert np.abs(R.circuit_unitary(cc) - ref).max() < TOL
    assert np.abs(unitary(cc) - ref).max() < TOL


def test_controlled_random_circuit_and_symbolic_angles_bind_after():
    rng = np.random.default_rng(3)
    for _ in range(3):
        c = random_circuit(3, 12, rng, symbolic=0.5, max_controls=2)
        vals = {"x": rng.uniform(-3, 3, 4).tolist()}
        cc = c.controlled((3, 4))
        assert cc.is_parametric == c.is_parametric
        ref = R.controlled(R.circuit_unitary(c.bind(vals)), 2)
        assert np.abs(R.circuit_unitary(cc.bind(vals)) - ref).max() < TOL


def test_param_expr_arithmetic_is_affine():
    p = ParamExpr(Parameter("x", 2))
    e = 3.0 - 2 * (p - 0.5)
    assert e.bind({"x": [0, 0, 1.25]}) == pytest.approx(3.0 - 2 * (1.25 - 0.5))
    assert (-e).bind({"x": [0, 0, 1.25]}) == pytest.approx(-(3.0 - 2 * 0.75))


def test_compose_and_relabel_match_numpy_embedding():
    rng = np.random.default_rng(8)
    a = random_circuit(3, 15, rng)
    host = Circuit(5, global_phase=0.2)
    host.append("h", [4])
    mapping = [3, 0, 2]
    host.compose(a, mapping)
    ref = R.embed(R.circuit_unitary(a), mapping, 5) @ R.embed(R.H, [4], 5) * np.exp(0.2j)
    assert np.abs(R.circuit_unitary(host) - ref).max() < TOL
    rel = a.relabel([2, 0, 1])
    assert np.abs(R.circuit_unitary(rel) - R.embed(R.circuit_unitary(a), [2, 0, 1], 3)).max() < TOL
