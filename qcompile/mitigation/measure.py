"""Final measurements of a stage and the post-selected output distribution.

Every executed circuit measures all its qubits at the end: qubit ``q`` into the new
classical bit ``base + q`` (``base`` = the stage's own clbits, written by mid-circuit
measurements).  A *clbit distribution* is a NumPy vector over all ``2^m`` clbit values,
index ``v = Σ_j c_j 2^j`` (clbit ``j`` has weight ``2^j``, as in Qiskit's bitstrings).

From it, the *joint* vector ``J[k] = P(output = k, every post-selected bit = 0)``
(output value little-endian in ``stage.output`` order) and the post-selected output
distribution ``J / ΣJ``; ``ΣJ`` is the post-selection rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcompile.circuit.ir import Circuit, Gate


@dataclass(frozen=True)
class MeasurementLayout:
    """Which clbits hold the output register and which must read 0.

    ``num_clbits``: clbits of the measured circuit; ``output_clbits[i]`` holds output
    qubit ``i``; ``postselect_clbits`` must all read 0; ``clbit_qubits[j]`` is the qubit
    whose (last) measurement writes clbit ``j`` (-1 if never written).
    """

    num_clbits: int
    output_clbits: tuple[int, ...]
    postselect_clbits: tuple[int, ...]
    clbit_qubits: tuple[int, ...]


def measurement_layout(stage) -> MeasurementLayout:
    """The layout of :func:`with_final_measurements` applied to ``stage``'s circuit."""
    circuit = stage.circuit
    base, n = circuit.num_clbits, circuit.num_qubits
    owners = [-1] * (base + n)
    for g in circuit.gates:
        if g.name == "measure":
            owners[g.clbits[0]] = g.qubits[0]
    for q in range(n):
        owners[base + q] = q
    return MeasurementLayout(base + n, tuple(base + q for q in stage.output),
                             tuple(base + q for q in stage.postselect) + tuple(stage.postselect_clbits),
                             tuple(owners))


def with_final_measurements(circuit: Circuit) -> Circuit:
    """A copy that measures qubit ``q`` into the new clbit ``circuit.num_clbits + q``."""
    base = circuit.num_clbits
    out = circuit.copy()
    out.num_clbits = base + circuit.num_qubits
    out.gates.extend(Gate("measure", (q,), (), (base + q,)) for q in range(circuit.num_qubits))
    return out


def joint_output(dist: np.ndarray, layout: MeasurementLayout) -> np.ndarray:
    """``J[k] = Σ dist[v]`` over clbit values ``v`` with output bits ``k`` and all
    post-selected bits 0 (linear in ``dist``; quasi-probabilities pass through)."""
    dist = np.asarray(dist, dtype=float)
    v = np.arange(dist.size)
    keep = np.ones(dist.size, dtype=bool)
    for c in layout.postselect_clbits:
        keep &= ((v >> c) & 1) == 0
    k = np.zeros(dist.size, dtype=np.int64)
    for i, c in enumerate(layout.output_clbits):
        k |= ((v >> c) & 1) << i
    return np.bincount(k[keep], weights=dist[keep], minlength=2 ** len(layout.output_clbits))


def normalised(joint: np.ndarray) -> tuple[np.ndarray, float]:
    """Clip to [0, 1], then ``(J/ΣJ, ΣJ)``; a zero vector gives the uniform distribution and rate 0."""
    j = np.clip(np.asarray(joint, dtype=float), 0.0, 1.0)
    total = float(j.sum())
    if total <= 0.0:
        return np.full(j.size, 1.0 / j.size), 0.0
    return j / total, min(total, 1.0)


def tvd(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance ``½ Σ |p_k − q_k|``."""
    return 0.5 * float(np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float)).sum())
