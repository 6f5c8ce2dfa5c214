"""Lower a circuit to the *noise basis*: the gates the noise models act on.

Noise basis: the 1-qubit gates ``h x y z s sdg t tdg rx ry rz p``, the 2-qubit gates
``cx cz``, and ``measure``/``reset``/``barrier``.  Lowering (all exact, global phase kept):
``mcx``/``mcz``/``mcp`` by :func:`qcompile.circuit.decompose.lower_multicontrolled`, then
``swap`` = three ``cx`` and ``ccx`` by Qiskit's definition, the standard 6-CX Clifford+T
circuit (Nielsen & Chuang, Fig. 4.9; :func:`qcompile.circuit.synthesis.ccx_template`).
Symbolic angles stay symbolic.
"""

from __future__ import annotations

from qcompile.circuit.decompose import lower_multicontrolled
from qcompile.circuit.ir import Circuit, Gate
from qcompile.circuit.synthesis import ccx_template
from qcompile.mitigation.noise import ONE_QUBIT_GATES, TWO_QUBIT_GATES

#: every gate name a noise-basis circuit may contain
NOISE_BASIS = frozenset(ONE_QUBIT_GATES + TWO_QUBIT_GATES + ("measure", "reset", "barrier"))


def to_noise_basis(circuit: Circuit) -> Circuit:
    """A copy of ``circuit`` using only :data:`NOISE_BASIS` gates (same unitary, same phase)."""
    lowered = lower_multicontrolled(circuit)
    out = Circuit(lowered.num_qubits, [], lowered.global_phase, lowered.num_clbits,
                  dict(lowered.registers), dict(lowered.parameters))
    for g in lowered.gates:
        if g.name == "ccx":
            ccx = ccx_template()
            out.gates.extend(tg.relabel(g.qubits) for tg in ccx.gates)
            if ccx.global_phase:
                out.global_phase += ccx.global_phase
        elif g.name == "swap":
            a, b = g.qubits
            out.gates.extend([Gate("cx", (a, b)), Gate("cx", (b, a)), Gate("cx", (a, b))])
        elif g.name in NOISE_BASIS:
            out.gates.append(g)
        else:  # pragma: no cover - lower_multicontrolled emits nothing else
            raise ValueError(f"gate {g.name} has no noise-basis lowering")
    return out


def is_noise_basis(circuit: Circuit) -> bool:
    """True when every gate of ``circuit`` is in :data:`NOISE_BASIS`."""
    return all(g.name in NOISE_BASIS for g in circuit.gates)


def two_qubit_count(circuit: Circuit) -> int:
    """Number of ``cx``/``cz`` gates (of a noise-basis circuit)."""
    return sum(1 for g in circuit.gates if g.name in TWO_QUBIT_GATES)


def one_qubit_count(circuit: Circuit) -> int:
    """Number of noisy single-qubit gates (of a noise-basis circuit)."""
    return sum(1 for g in circuit.gates if g.name in ONE_QUBIT_GATES)
