"""Emit the circuit IR as a ``cirq.Circuit`` (1:1, gate by gate) and simulate it with Cirq.

Conventions:

* Qubit ``i`` is ``cirq.LineQubit(i)``; classical bit ``j`` is the measurement key ``c{j}``.
* The symbolic angle element ``x[17]`` becomes ``sympy.Symbol("x_17")`` — the vector name,
  an underscore, the index (:func:`symbol_name`).  :func:`resolver` turns
  ``{name: vector}`` into the matching ``cirq.ParamResolver``.
* Every gate matches Qiskit's matrix exactly, global phase included:
  ``cirq.rx/ry/rz`` are ``exp(-iθP/2)`` like Qiskit's; ``p(λ)`` is
  ``cirq.ZPowGate(exponent=λ/π)`` = ``diag(1, e^{iλ})``; ``mcx``/``mcz``/``mcp`` are
  ``cirq.X/Z/ZPowGate(...).controlled(k)`` on ``controls + (target,)``.  The circuit's
  global phase is a ``cirq.global_phase_operation``.  Barriers are skipped.
* Endianness: Cirq orders a state vector big-endian in the ``qubit_order`` it is given
  (the first qubit is the most significant bit).  Our order is little-endian (qubit ``i``
  has weight ``2**i``), so the helpers here pass ``qubit_order = [LineQubit(n-1), ...,
  LineQubit(0)]``; the result then needs no further permutation.  Equivalently, a
  big-endian Cirq vector ``v`` on ``LineQubit(0..n-1)`` maps to ours by
  ``v.reshape([2]*n).transpose(reversed(range(n))).reshape(-1)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from qcompile.circuit.ir import Circuit, ParamExpr

if TYPE_CHECKING:  # pragma: no cover
    import cirq


def symbol_name(name: str, index: int) -> str:
    """The sympy symbol name used for parameter element ``name[index]``: ``f"{name}_{index}"``."""
    return f"{name}_{index}"


def _angle(a):
    """A float, or the sympy expression ``coeff * Symbol(name_index) + offset``."""
    if isinstance(a, ParamExpr):
        import sympy

        sym = sympy.Symbol(symbol_name(a.parameter.name, a.parameter.index))
        expr = sym * a.coeff if a.coeff != 1.0 else sym
        return expr + a.offset if a.offset else expr
    return float(a)


def _exponent(a):
    """``a / π`` as a Cirq exponent (float or sympy expression)."""
    if isinstance(a, ParamExpr):
        import sympy

        return _angle(a) / sympy.pi
    return float(a) / math.pi


def line_qubits(n: int) -> list["cirq.LineQubit"]:
    """``[LineQubit(0), ..., LineQubit(n-1)]``."""
    import cirq

    return [cirq.LineQubit(i) for i in range(n)]


def little_endian_order(n: int) -> list["cirq.LineQubit"]:
    """The ``qubit_order`` that makes Cirq's vectors/matrices little-endian (reversed line)."""
    return list(reversed(line_qubits(n)))


def to_cirq(circuit: Circuit) -> "cirq.Circuit":
    """The Cirq circuit with the same gates, symbolic angles and global phase (see module doc)."""
    import cirq

    qs = line_qubits(circuit.num_qubits)
    ops = []
    for g in circuit.gates:
        q = [qs[i] for i in g.qubits]
        n = g.name
        if n == "barrier":
            continue
        if n == "measure":
            ops.append(cirq.measure(q[0], key=f"c{g.clbits[0]}"))
        elif n == "reset":
            ops.append(cirq.reset(q[0]))
        elif n in ("rx", "ry", "rz"):
            ops.append(getattr(cirq, n)(_angle(g.params[0])).on(q[0]))
        elif n == "p":
            ops.append(cirq.ZPowGate(exponent=_exponent(g.params[0])).on(q[0]))
        elif n in ("mcrx", "mcry", "mcrz"):
            base = getattr(cirq, n[2:])(_angle(g.params[0]))
            k = len(q) - 1
            ops.append((base.controlled(k) if k else base).on(*q))
        elif n in ("mcx", "mcz", "mcp"):
            base = {"mcx": cirq.X, "mcz": cirq.Z}.get(n)
            if base is None:
                base = cirq.ZPowGate(exponent=_exponent(g.params[0]))
            k = len(q) - 1
            ops.append((base.controlled(k) if k else base).on(*q))
        else:
            gate = {
                "h": cirq.H, "x": cirq.X, "y": cirq.Y, "z": cirq.Z,
                "s": cirq.S, "sdg": cirq.S**-1, "t": cirq.T, "tdg": cirq.T**-1,
                "cx": cirq.CNOT, "cz": cirq.CZ, "swap": cirq.SWAP, "ccx": cirq.CCX,
            }[n]
            ops.append(gate.on(*q))
    phase = float(circuit.global_phase)
    if phase % (2 * math.pi):
        ops.append(cirq.global_phase_operation(np.exp(1j * phase)))
    return cirq.Circuit(ops)


def resolver(values: Mapping[str, Sequence[float]]) -> "cirq.ParamResolver":
    """A ``cirq.ParamResolver`` binding ``name_index`` to ``values[name][index]``."""
    import cirq

    return cirq.ParamResolver({symbol_name(name, i): float(v)
                               for name, vec in values.items() for i, v in enumerate(vec)})


def unitary_cirq(circuit: Circuit) -> np.ndarray:
    """The circuit's unitary computed by Cirq, in our little-endian order (bound circuits only)."""
    if circuit.is_parametric:
        raise ValueError("bind the circuit's parameters before taking its unitary")
    if any(g.name in ("measure", "reset") for g in circuit.gates):
        raise ValueError("a circuit with measure/reset has no unitary")
    c = to_cirq(circuit)
    return c.unitary(qubit_order=little_endian_order(circuit.num_qubits), dtype=np.complex128)


def statevector_cirq(circuit: Circuit, values: Mapping[str, Sequence[float]] | None = None,
                     seed: int | None = None) -> np.ndarray:
    """The final state of ``circuit`` from |0...0> with ``cirq.Simulator`` (complex128),
    little-endian.  ``values`` binds symbolic angles.  With mid-circuit measure/reset the
    result is one random trajectory (``seed`` fixes it)."""
    import cirq

    c = to_cirq(circuit)
    res = resolver(values) if values is not None else cirq.ParamResolver({})
    if circuit.is_parametric and values is None:
        raise ValueError("the circuit is parametric: pass values={name: vector}")
    sim = cirq.Simulator(dtype=np.complex128, seed=seed)
    out = sim.simulate(c, param_resolver=res, qubit_order=little_endian_order(circuit.num_qubits))
    return np.asarray(out.final_state_vector, dtype=np.complex128)
