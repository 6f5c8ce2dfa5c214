"""Emit the circuit IR as a ``qiskit.QuantumCircuit`` (1:1, gate by gate).

Symbolic angles become elements of one ``ParameterVector`` per parameter-vector name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qcompile.circuit.ir import Circuit, ParamExpr

if TYPE_CHECKING:  # pragma: no cover
    import qiskit


def to_qiskit(circuit: Circuit, aer_native: bool = False) -> "qiskit.QuantumCircuit":
    """The Qiskit circuit with the same qubits, gates, parameters and global phase.

    Multi-controlled rotations become ``RXGate(θ).control(k)`` etc. (standard gates with
    definitions).  ``aer_native=True`` is for simulation only: multi-controlled Z and
    rotations become instructions named ``mcz``/``mcrx``/``mcry``/``mcrz``, which Qiskit
    Aer executes natively (no transpilation, much faster) but which have no definition.
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import Gate as QiskitGate
    from qiskit.circuit import ParameterVector
    from qiskit.circuit.library import MCPhaseGate, MCXGate, RXGate, RYGate, RZGate, ZGate

    rotation = {"mcrx": RXGate, "mcry": RYGate, "mcrz": RZGate}

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
            elif aer_native:
                qc.append(QiskitGate("mcz", len(q), []), q)
            else:
                qc.append(ZGate().control(len(q) - 1, annotated=False), q)
        elif n in rotation:
            if len(q) == 1:
                getattr(qc, n[2:])(p[0], q[0])
            elif aer_native:
                qc.append(QiskitGate(n, len(q), [p[0]]), q)
            else:
                qc.append(rotation[n](p[0]).control(len(q) - 1, annotated=False), q)
        elif n == "mcp":
            if len(q) == 1:
                qc.p(p[0], q[0])
            else:
                qc.append(MCPhaseGate(p[0], len(q) - 1), q)
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


#: Qiskit gate names that map 1:1 onto circuit-IR gates of the same name.
_DIRECT = {"h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "p", "cx", "cz", "swap", "ccx",
           "measure", "reset", "barrier"}
#: basis the circuit IR accepts from Qiskit; transpile to it before :func:`from_qiskit`.
QISKIT_BASIS = ["cx", "rz", "ry", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "p", "cz", "swap", "ccx"]


def from_qiskit(qc: "qiskit.QuantumCircuit") -> Circuit:
    """Convert a bound Qiskit circuit whose gates are all in :data:`QISKIT_BASIS` (plus
    ``u``/``u3``/``id``/``measure``/``reset``/``barrier``) into the circuit IR.

    Used to bring Qiskit's synthesis (e.g. ``qs_decomposition``) into our IR; transpile to
    ``QISKIT_BASIS`` first.  ``u(θ, φ, λ)`` becomes ``rz(λ) ry(θ) rz(φ)`` plus the global
    phase ``(φ + λ)/2`` (exact).
    """
    if qc.parameters:
        raise ValueError("from_qiskit needs a bound circuit")
    out = Circuit(qc.num_qubits, num_clbits=qc.num_clbits, global_phase=float(qc.global_phase))
    for inst in qc.data:
        op = inst.operation
        qs = [qc.find_bit(q).index for q in inst.qubits]
        cs = [qc.find_bit(c).index for c in inst.clbits]
        name = op.name
        params = [float(p) for p in op.params]
        if name in _DIRECT:
            out.append(name, qs, params, cs)
        elif name in ("u", "u3"):
            th, ph, lam = params
            out.append("rz", qs, (lam,))
            out.append("ry", qs, (th,))
            out.append("rz", qs, (ph,))
            out.global_phase += (ph + lam) / 2
        elif name == "id":
            continue
        else:
            raise ValueError(f"from_qiskit: gate '{name}' is outside the circuit-IR basis; transpile first")
    return out
