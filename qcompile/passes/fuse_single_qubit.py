"""The ``fuse-single-qubit`` pass: each maximal run of numeric 1-qubit gates → ≤ 3 rotations.

A run is a maximal sequence of consecutive gates on one qubit that are 1-qubit, unitary and
numeric (a symbolic angle, a multi-qubit gate, ``measure``/``reset``/``barrier`` end it).
Its 2×2 product ``U`` is decomposed by ``qiskit.synthesis.OneQubitEulerDecomposer`` in the
ZYZ, ZXZ and XYX bases, ``U = e^{iφ}·R₁(a)·R₂(b)·R₁(c)``; rotations whose angle is ≡ 0 are
dropped with their exact phase (:func:`qcompile.passes.merge_rotations.reduce_rotation`),
the basis with the fewest gates wins, and the run is replaced only when that is strictly
fewer gates than the run.  ``φ`` goes into the circuit's global phase, so the result is
exact including the phase (up to float rounding, ~1e-15).  Every candidate is checked
against ``U``: one off by more than its dropped rotations + ``check_atol`` (default 1e-13)
is not used (a safety net like ``consolidate-two-qubit``'s: on the 134,024 runs of
encoder_prenorm's -O2 softmax stage the worst miss was 6e-16, so none was refused).  The fused gates sit where the
run's first gate was; every gate between the run's gates acts on other qubits, so this
moves nothing across a gate it does not commute with.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from qcompile.circuit.gates import UNITARY, one_qubit_matrix
from qcompile.circuit.ir import Gate, wrap_phase
from qcompile.circuit.peephole import circuit_with_gates
from qcompile.passes.manager import Pass, register_pass
from qcompile.passes.merge_rotations import reduce_rotation

#: (basis name, rotation names for the first/middle/last Euler angle in time order)
_EULER_BASES = (("ZYZ", ("rz", "ry", "rz")), ("ZXZ", ("rz", "rx", "rz")), ("XYX", ("rx", "ry", "rx")))


def is_fusable(gate: Gate) -> bool:
    """A numeric unitary gate on exactly one qubit."""
    return len(gate.qubits) == 1 and gate.name in UNITARY and not gate.is_parametric


@lru_cache(maxsize=None)
def _decomposer(basis: str):
    from qiskit.synthesis import OneQubitEulerDecomposer

    return OneQubitEulerDecomposer(basis)


def _misses(u: np.ndarray, gates: list[Gate], phase: float) -> float:
    """max entry of ``|e^{i·phase}·Π gates − u|``."""
    v = np.eye(2, dtype=complex)
    for g in gates:
        v = one_qubit_matrix(g) @ v
    return float(np.max(np.abs(np.exp(1j * phase) * v - u)))


def synthesize_one_qubit(u: np.ndarray, qubit: int, atol: float = 1e-12, check_atol: float = 1e-13
                         ) -> tuple[list[Gate], float, float] | None:
    """``(gates, global phase, dropped error)`` with ``e^{i·phase}·Π gates = u``: the
    shortest of the ZYZ/ZXZ/XYX Euler forms with identity rotations removed, among those
    within their dropped error + ``check_atol`` of ``u``; None if none is."""
    if abs(u[0, 1]) < 1e-15 and abs(u[1, 0]) < 1e-15:  # diagonal: one rz (or nothing)
        lam = float(np.angle(u[1, 1]) - np.angle(u[0, 0]))
        phase = float(np.angle(u[0, 0]) + np.angle(u[1, 1])) / 2
        kept, ph, err = reduce_rotation("rz", lam, atol)
        gates = [Gate("rz", (qubit,), (kept,))] if kept is not None else []
        if _misses(u, gates, phase + ph) <= err + check_atol:
            return gates, phase + ph, err
    best = None
    for basis, names in _EULER_BASES:
        theta, phi, lam, phase = _decomposer(basis).angles_and_phase(u)
        mid, ph, dropped = reduce_rotation(names[1], float(theta), atol)
        phase += ph
        # without the middle rotation the outer two share an axis and add up
        plan = [(names[0], lam), (names[1], mid), (names[2], phi)] if mid is not None else [(names[0], lam + phi)]
        gates: list[Gate] = []
        for name, angle in plan:
            kept, ph, err = reduce_rotation(name, float(angle), atol)
            phase += ph
            dropped += err
            if kept is not None:
                gates.append(Gate(name, (qubit,), (kept,)))
        if _misses(u, gates, float(phase)) > dropped + check_atol:
            continue
        if best is None or len(gates) < len(best[0]):
            best = (gates, float(phase), dropped)
        if len(best[0]) < 3:  # 2 ZYZ rotations: not a single rx/ry/rz, no basis does better
            break
    return best


def fuse_single_qubit_runs(circuit, atol: float = 1e-12):
    """``(new circuit, runs fused, dropped error)`` — the transformation of the module doc."""
    slots: list[list[Gate]] = [[g] for g in circuit.gates]
    runs: dict[int, list[int]] = {}
    phase = 0.0
    dropped = 0.0
    fused = 0

    def flush(q: int) -> None:
        nonlocal phase, dropped, fused
        run = runs.pop(q, None)
        if not run or len(run) < 2:
            return
        u = np.eye(2, dtype=complex)
        for i in run:
            u = one_qubit_matrix(circuit.gates[i]) @ u
        found = synthesize_one_qubit(u, q, atol)
        if found is None or len(found[0]) >= len(run):
            return
        gates, ph, err = found
        if all(circuit.gates[i].free for i in run):
            gates = [g.as_free() for g in gates]
        fused += 1
        phase = wrap_phase(phase + ph)
        dropped += err
        slots[run[0]] = gates
        for i in run[1:]:
            slots[i] = []

    for i, g in enumerate(circuit.gates):
        if is_fusable(g):
            runs.setdefault(g.qubits[0], []).append(i)
        else:
            for q in g.qubits:
                flush(q)
    for q in list(runs):
        flush(q)
    gates = [g for slot in slots for g in slot]
    return circuit_with_gates(circuit, gates, phase), fused, dropped


@register_pass
class FuseSingleQubit(Pass):
    """Replaces every maximal run of numeric 1-qubit gates by at most 3 Euler rotations
    when that is shorter (module docstring); exact with the global phase.  Writes
    ``properties["fused_runs"]``."""

    name = "fuse-single-qubit"
    takes = "circuit"
    description = "fuse runs of numeric 1-qubit gates into at most 3 rotations (exact, phase kept)"
    options = {"atol": 1e-12}
    option_ranges = {"atol": (0.0, 6.283185307179586)}

    def run(self, ir, properties: dict):
        """A new StageCircuit with fused 1-qubit runs."""
        circuit, fused, dropped = fuse_single_qubit_runs(ir.circuit, self.options["atol"])
        properties["fused_runs"] = fused
        out = ir.replace_circuit(circuit)
        if dropped:
            out.info["dropped_rotation_error"] = out.info.get("dropped_rotation_error", 0.0) + dropped
        return out
