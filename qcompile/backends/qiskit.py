"""Emit the circuit IR as a ``qiskit.QuantumCircuit`` (1:1, gate by gate).

Symbolic angles become elements of one ``ParameterVector`` per parameter-vector name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qcompile.circuit.ir import Circuit, ParamExpr

if TYPE_CHECKING:  # pragma: no cover
    import qiskit


def to_qiskit(circuit: Circuit) -> "qiskit.QuantumCircuit":
    """The Qiskit circuit with the same qubits, gates, parameters and global phase."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.circuit.library import MCXGate, ZGate, PhaseGate

    qc = QuantumCircuit(circuit.num_qubits, circuit.num_clbits, global_phase=circuit.global_phase)
    vectors = {name: ParameterVector(name, size) for name, size in sorted(circuit.parameters.items())}

    def angle(a):
        if isinstance(a, ParamExpr):
            return vectors[a.parameter.name][a.parameter.index] * a.coeff + a.offset
        return float(a)

    for g in circuit.gates:
        q = list(g.qubits)
        p = [angle(a) for a in g.params]
        n = g.name
        if n == "mcx":
            if len(q) == 1:
                qc.x(q[0])
            else:
                qc.append(MCXGate(len(q) - 1), q)
        elif n == "mcz":
            if len(q) == 1:
                qc.z(q[0])
            else:
                qc.append(ZGate().control(len(q) - 1), q)
        elif n == "mcp":
            if len(q) == 1:
                qc.p(p[0], q[0])
            else:
                qc.append(PhaseGate(p[0]).control(len(q) - 1), q)
        elif n == "measure":
            qc.measure(q[0], g.clbits[0])
        elif n == "barrier":
            qc.barrier(*q)
        else:
            getattr(qc, n)(*p, *q)
    return qc


def unitary(circuit: Circuit) -> np.ndarray:
    """The circuit's unitary in Qiskit's (little-endian) order; bound circuits only."""
    from qiskit.quantum_info import Operator

    if circuit.is_parametric:
        raise ValueError("bind the circuit's parameters before taking its unitary")
    qc = to_qiskit(circuit)
    qc.remove_final_measurements(inplace=True)
    return Operator(qc).data
