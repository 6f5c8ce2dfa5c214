"""Pauli twirling of the 2-qubit gates ``cx`` and ``cz``.

For a Clifford gate ``G`` and a Pauli string ``P = P_a ⊗ P_b`` the frame ``P`` before and
``Q = G P G†`` after leave the gate invariant: ``Q G P = G P† P = G`` (Paulis are Hermitian).
``G P G†`` is ``±`` a Pauli string; the sign goes into the circuit's global phase, so a
twirled circuit equals the original exactly (phase included).  Averaging results over
random frames turns any error channel around the gate into a Pauli channel (coherent
errors become stochastic), the noise model under which extrapolation is well behaved.
The 16 frames per gate are computed once from the matrices below (little-endian:
``index = bit(first qubit) + 2·bit(second qubit)``).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from qcompile.circuit.ir import Circuit, Gate

_PAULI = {"i": np.eye(2), "x": np.array([[0, 1], [1, 0]]), "y": np.array([[0, -1j], [1j, 0]]),
          "z": np.diag([1.0, -1.0])}


def _matrix(name: str) -> np.ndarray:
    if name == "cx":  # control = first qubit (low bit), target = second
        m = np.zeros((4, 4))
        for i in range(4):
            m[i ^ 2 if i & 1 else i, i] = 1
        return m
    return np.diag([1.0, 1.0, 1.0, -1.0])


def _string(pa: str, pb: str) -> np.ndarray:
    return np.kron(_PAULI[pb], _PAULI[pa])  # second qubit is the high bit


@lru_cache(maxsize=None)
def twirl_frames(name: str) -> tuple[tuple[str, str, str, str, int], ...]:
    """``(P_a, P_b, Q_a, Q_b, sign)`` for the 16 Pauli frames of ``cx``/``cz`` on (a, b):
    ``(Q_a ⊗ Q_b) G (P_a ⊗ P_b) = sign · G``."""
    g = _matrix(name)
    frames = []
    for pa, pb in itertools.product("ixyz", repeat=2):
        target = g @ _string(pa, pb) @ g.conj().T
        for qa, qb in itertools.product("ixyz", repeat=2):
            overlap = np.trace(_string(qa, qb).conj().T @ target) / 4
            if abs(abs(overlap) - 1) < 1e-12:
                frames.append((pa, pb, qa, qb, int(round(overlap.real))))
                break
    return tuple(frames)


def twirl(circuit: Circuit, rng: np.random.Generator, gates=("cx", "cz")) -> Circuit:
    """A copy with every ``cx``/``cz`` wrapped in a random Pauli frame (identity frames add
    no gate); the same unitary and global phase as ``circuit``."""
    out = circuit.copy()
    out.gates = []
    phase = 0.0
    for g in circuit.gates:
        if g.name not in gates:
            out.gates.append(g)
            continue
        frames = twirl_frames(g.name)
        pa, pb, qa, qb, sign = frames[int(rng.integers(len(frames)))]
        a, b = g.qubits
        out.gates.extend(Gate(p, (q,)) for p, q in ((pa, a), (pb, b)) if p != "i")
        out.gates.append(g)
        out.gates.extend(Gate(p, (q,)) for p, q in ((qa, a), (qb, b)) if p != "i")
        if sign < 0:
            phase += math.pi
    out.global_phase = circuit.global_phase + phase
    return out
