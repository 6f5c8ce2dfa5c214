"""Readout-error calibration and correction with a tensored (per-qubit) confusion model.

Model: qubit ``q``'s measurement reports ``b'`` for true bit ``b`` with probability
``A_q[b', b]`` independently of the other qubits, so a clbit distribution transforms as
``d_noisy = (⊗_j A_{q(j)}) d_true`` (clbit ``j`` written by qubit ``q(j)``).  Two
calibration circuits estimate every ``A_q`` at once (2 circuits for any width, so the
method scales): all qubits measured in |0…0⟩ gives ``A_q[1, 0]`` from qubit ``q``'s
marginal, all in |1…1⟩ (an ``x`` on each) gives ``A_q[0, 1]``.  Correction applies the
per-clbit inverses (a linear map, cost ``O(m 2^m)``), or, with ``method="least_squares"``,
the nearest probability vector ``argmin ‖A p − d‖₂, p ≥ 0`` (``scipy.optimize.nnls``,
``m ≤ 10``) renormalised.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from qcompile.circuit.ir import Circuit


def apply_tensored(dist: np.ndarray, matrices: Mapping[int, np.ndarray], num_clbits: int) -> np.ndarray:
    """``(⊗_j M_j) dist`` with ``M_j = matrices[j]`` (2×2) on clbit ``j`` (identity if absent)."""
    t = np.asarray(dist, dtype=float).reshape((2,) * num_clbits) if num_clbits else np.asarray(dist, dtype=float)
    for j, m in matrices.items():
        axis = num_clbits - 1 - j  # little-endian index: clbit j is axis m-1-j of the C-order reshape
        t = np.moveaxis(np.tensordot(np.asarray(m, dtype=float), t, axes=([1], [axis])), 0, axis)
    return t.reshape(-1)


def symmetric_confusion(q: float) -> np.ndarray:
    """``[[1−q, q], [q, 1−q]]``: the confusion matrix of a symmetric bit flip."""
    return np.array([[1.0 - q, q], [q, 1.0 - q]])


def calibration_circuits(num_qubits: int) -> tuple[Circuit, Circuit]:
    """The all-0 and all-1 calibration circuits: qubit ``q`` measured into clbit ``q``."""
    zeros = Circuit(num_qubits, num_clbits=num_qubits)
    ones = Circuit(num_qubits, num_clbits=num_qubits)
    for q in range(num_qubits):
        ones.append("x", (q,))
    for c in (zeros, ones):
        for q in range(num_qubits):
            c.append("measure", (q,), (), (q,))
    return zeros, ones


def _marginal_one(dist: np.ndarray, clbit: int) -> float:
    v = np.arange(dist.size)
    return float(dist[((v >> clbit) & 1) == 1].sum())


def confusion_from_calibration(zeros: np.ndarray, ones: np.ndarray, num_qubits: int) -> dict[int, np.ndarray]:
    """Per-qubit confusion matrices ``A_q`` from the clbit distributions of the two
    calibration circuits of :func:`calibration_circuits`."""
    out = {}
    for q in range(num_qubits):
        e01 = _marginal_one(np.asarray(zeros, dtype=float), q)  # P(read 1 | prepared 0)
        e10 = 1.0 - _marginal_one(np.asarray(ones, dtype=float), q)  # P(read 0 | prepared 1)
        out[q] = np.array([[1.0 - e01, e10], [e01, 1.0 - e10]])
    return out


def correct_readout(dist: np.ndarray, confusion: Mapping[int, np.ndarray], clbit_qubits, method: str = "inverse") -> np.ndarray:
    """Undo readout errors on a clbit distribution.

    ``clbit_qubits[j]``: the qubit whose measurement writes clbit ``j`` (-1: never written,
    left alone).  ``"inverse"``: apply ``⊗ A^{-1}`` (linear; the result may have small
    negative entries: quasi-probabilities); ``"least_squares"``: nonnegative least squares
    on the full tensored matrix, then normalised.  Raises ValueError for a singular
    confusion matrix (readout error 1/2) or an unknown method.
    """
    m = len(clbit_qubits)
    mats = {j: np.asarray(confusion[q], dtype=float) for j, q in enumerate(clbit_qubits) if q >= 0}
    for j, a in mats.items():
        if abs(np.linalg.det(a)) < 1e-9:
            raise ValueError(f"the confusion matrix of clbit {j} is singular: readout carries no information")
    if method == "inverse":
        return apply_tensored(dist, {j: np.linalg.inv(a) for j, a in mats.items()}, m)
    if method == "least_squares":
        if m > 10:
            raise ValueError("least-squares readout correction is limited to 10 clbits; use method='inverse'")
        from scipy.optimize import nnls

        full = np.eye(1)
        for j in reversed(range(m)):  # kron order: clbit m-1 is the most significant factor
            full = np.kron(full, mats.get(j, np.eye(2)))
        p, _ = nnls(full, np.asarray(dist, dtype=float))
        s = p.sum()
        return p / s if s > 0 else p
    raise ValueError(f"unknown readout-correction method '{method}'; use 'inverse' or 'least_squares'")
