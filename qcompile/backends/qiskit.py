"""Emit the circuit IR as a ``qiskit.QuantumCircuit`` (1:1, gate by gate).

Symbolic angles become elements of one ``ParameterVector`` per parameter-vector name.
The ``qiskit`` backend that simulates the emitted circuits is :mod:`qcompile.backends.aer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qcompile.circuit.ir import Circuit, ParamExpr
from qcompile.circuit.emission import exact_memo_key

if TYPE_CHECKING:  # pragma: no cover
    import qiskit


def to_qiskit(circuit: Circuit, aer_native: bool = False) -> "qiskit.QuantumCircuit":
    """The Qiskit circuit with the same qubits, gates, parameters and global phase.

    Multi-controlled rotations become ``RXGate(θ).control(k)`` etc. (standard gates with
    definitions).  ``aer_native=True`` is for simulation only: multi-controlled Z, phase
    and rotations become instructions named ``mcz``/``mcphase``/``mcrx``/``mcry``/``mcrz``,
    which Qiskit Aer executes natively (no transpilation, much faster) but which have no
    definition.  (``mcphase`` is the name of ``MCPhaseGate``, which Aer runs the same way;
    as a plain ``Gate`` its symbolic angle is also seen by Aer's ``parameter_binds``, which
    skip the parameters of a ``ControlledGate`` — Qiskit/qiskit-aer#2403.)

    Instructions are appended without Qiskit's per-call argument broadcasting (the IR's
    gates are already checked), parameterless gates are built once per width, and each
    distinct gate without a symbolic angle becomes one ``CircuitInstruction`` appended
    wherever the gate repeats (memo key ``(name, qubits, params, clbits)``, stored only
    when :func:`qcompile.circuit.emission.exact_memo_key` allows it): a QSVT circuit of 500k gates
    with under two thousand distinct ones emits in about a second.  Operations are
    therefore shared between instructions, as when a Qiskit user appends one gate object
    several times; do not mutate them in place.
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import CircuitInstruction, ParameterVector
    from qiskit.circuit import Gate as QiskitGate
    from qiskit.circuit import library as lib

    fixed = {"h": lib.HGate(), "x": lib.XGate(), "y": lib.YGate(), "z": lib.ZGate(), "s": lib.SGate(),
             "sdg": lib.SdgGate(), "t": lib.TGate(), "tdg": lib.TdgGate(), "cx": lib.CXGate(),
             "cz": lib.CZGate(), "swap": lib.SwapGate(), "ccx": lib.CCXGate()}
    single = {"rx": lib.RXGate, "ry": lib.RYGate, "rz": lib.RZGate, "p": lib.PhaseGate}
    rotation = {"mcrx": lib.RXGate, "mcry": lib.RYGate, "mcrz": lib.RZGate}
    wide: dict[tuple[str, int], object] = {}

    def multi(name: str, width: int):
        """The parameterless multi-controlled gate of ``width`` qubits (built once)."""
        key = (name, width)
        if key not in wide:
            if name == "mcx":
                wide[key] = lib.MCXGate(width - 1)
            elif aer_native:
                wide[key] = QiskitGate("mcz", width, [])
            else:
                wide[key] = lib.ZGate().control(width - 1, annotated=False)
        return wide[key]

    qc = QuantumCircuit(circuit.num_qubits, circuit.num_clbits, global_phase=circuit.global_phase)
    vectors = {name: ParameterVector(name, size) for name, size in sorted(circuit.parameters.items())}
    qubits, clbits = qc.qubits, qc.clbits

    def angle(a):
        if isinstance(a, ParamExpr):
            return vectors[a.parameter.name][a.parameter.index] * a.coeff + a.offset
        return float(a)

    def operation(g):
        """The Qiskit operation of one IR gate."""
        q, n = g.qubits, g.name
        if n in fixed:
            return fixed[n]
        if n in single:
            return single[n](angle(g.params[0]))
        if n in ("mcx", "mcz"):
            return fixed[n[2:]] if len(q) == 1 else multi(n, len(q))
        if n in rotation:
            theta = angle(g.params[0])
            if len(q) == 1:
                return rotation[n](theta)
            if aer_native:
                return QiskitGate(n, len(q), [theta])
            return rotation[n](theta).control(len(q) - 1, annotated=False)
        if n == "mcp":
            theta = angle(g.params[0])
            if len(q) == 1:
                return lib.PhaseGate(theta)
            if aer_native:  # what Aer runs for MCPhaseGate, but with bindable parameters
                return QiskitGate("mcphase", len(q), [theta])
            return lib.MCPhaseGate(theta, len(q) - 1)
        if n == "measure":
            return lib.Measure()
        if n == "reset":
            return lib.Reset()
        if n == "barrier":
            return lib.Barrier(len(q))
        raise ValueError(f"to_qiskit: unknown circuit-IR gate '{n}'")  # pragma: no cover

    # CircuitInstructions are immutable: one per distinct gate without a symbolic angle,
    # appended wherever the gate repeats (a gate with a symbolic angle gets its own
    # operation, so binding parameters never touches a shared object)
    memo: dict = {}
    append = qc._append
    for g in circuit.gates:
        key = (g.name, g.qubits, g.params, g.clbits)
        try:
            inst = memo.get(key)
        except TypeError:  # an unhashable angle: build without the memo
            key, inst = None, None
        if inst is None:
            inst = CircuitInstruction(operation(g), tuple([qubits[i] for i in g.qubits]),
                                      tuple([clbits[i] for i in g.clbits]))
            if key is not None and exact_memo_key(g.params) and not g.is_parametric:
                memo[key] = inst
        append(inst)
    return qc


def unitary(circuit: Circuit) -> np.ndarray:
    """The circuit's unitary in Qiskit's (little-endian) order; bound circuits only."""
    from qiskit.quantum_info import Operator

    if circuit.is_parametric:
        raise ValueError("bind the circuit's parameters before taking its unitary")
    qc = to_qiskit(circuit)
    qc.remove_final_measurements(inplace=True)
    return Operator(qc).data
