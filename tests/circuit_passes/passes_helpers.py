"""Shared helpers for the circuit-pass tests: example stage circuits and an independent
post-selected-output simulator (Qiskit ``Statevector`` per unitary segment, NumPy
projectors for mid-circuit measurements)."""

from __future__ import annotations

import numpy as np
from qiskit.quantum_info import Statevector

from qcompile.backends.qiskit import to_qiskit
from qcompile.circuit.ir import Circuit
from qcompile.circuit.stage import StageCircuit


def stage_of(block, name: str = "stage") -> StageCircuit:
    """A QuantumBlock wrapped as a StageCircuit (output = system, postselect = ancillas)."""
    return StageCircuit(block.circuit, tuple(block.system_qubits), tuple(block.ancilla_qubits),
                        float(block.alpha), name)


def cx_of(stage: StageCircuit) -> int:
    """CX count after lowering every multi-controlled gate (``lower_multicontrolled``)."""
    from qcompile.circuit.decompose import lower_multicontrolled
    from qcompile.circuit.metrics import cx_count

    return cx_count(lower_multicontrolled(stage.circuit))


def postselected_output(stage: StageCircuit, values=None) -> np.ndarray:
    """``alpha ×`` the output-register amplitudes on the branch where every mid-circuit
    measurement and every post-selected qubit read 0 (unnormalised, phase included)."""
    c = stage.circuit.bind(values) if stage.circuit.is_parametric else stage.circuit
    n = c.num_qubits
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1.0
    seg = Circuit(n, global_phase=c.global_phase)
    basis = np.arange(2**n)

    def flush():
        nonlocal psi, seg
        if seg.gates or seg.global_phase:
            psi = Statevector(psi).evolve(to_qiskit(seg)).data
        seg = Circuit(n)

    for g in c.gates:
        if g.name == "measure":
            flush()
            assert g.clbits[0] in stage.postselect_clbits, "a measurement outside the post-selection"
            psi = np.where((basis >> g.qubits[0]) & 1, 0.0, psi)
        elif g.name == "reset":
            flush()
            q = g.qubits[0]
            assert np.linalg.norm(psi[((basis >> q) & 1) == 1]) < 1e-12, "reset of a qubit not in |0>"
        elif g.name != "barrier":
            seg.add_gate(g)
    flush()
    m = len(stage.output)
    vals = np.arange(2**m)
    idx = np.zeros(2**m, dtype=np.int64)
    for k, q in enumerate(stage.output):
        idx |= ((vals >> k) & 1) << q
    return stage.alpha * psi[idx]
