"""The record every quantum-library construction returns.

A :class:`QuantumBlock` is either a *block encoding* (``kind="block_encoding"``) of a
matrix A, meaning ``(<0|_anc ⊗ I) U (|0>_anc ⊗ I) = A / alpha`` on the system register,
or a *subnormalised state* (``kind="state"``) of a vector v, meaning
``(<0|_anc ⊗ I) U |0...0> = v / alpha``.  ``ancilla_qubits`` are all the qubits that
start in |0> and are post-selected on 0 (ancillas and flags alike); every other qubit of
the circuit is a system qubit.  Register values are little-endian in the order
``system_qubits`` lists them (see :mod:`qcompile.circuit.ir`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from qcompile.circuit.ir import Circuit, register_indices


@dataclass
class QuantumBlock:
    """A circuit with its subnormalisation ``alpha`` and its register roles.

    ``shape`` is the logical (unpadded) shape of the encoded matrix ``(rows, cols)`` or
    ``(length,)`` for a state.  ``bind`` (loaders only) maps an input array to the
    parameter values of ``circuit``.  ``info`` holds construction-specific figures
    (polynomial degree and error, FABLE's dropped-angle bound, ...).
    """

    circuit: Circuit
    alpha: float
    system_qubits: tuple[int, ...]
    ancilla_qubits: tuple[int, ...]
    kind: Literal["block_encoding", "state"]
    shape: tuple[int, ...]
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        roles = set(self.system_qubits) | set(self.ancilla_qubits)
        if len(roles) != len(self.system_qubits) + len(self.ancilla_qubits):
            raise ValueError("a qubit is both system and ancilla")
        if roles != set(range(self.circuit.num_qubits)):
            raise ValueError("every qubit must be a system or an ancilla qubit")

    def placed(self, system, ancillas, num_qubits: int) -> Circuit:
        """This block's circuit on a ``num_qubits`` circuit: its ``i``-th system qubit on
        ``system[i]`` and its ``i``-th ancilla on ``ancillas[i]`` (extra ancillas allowed)."""
        mapping = [0] * self.circuit.num_qubits
        for i, q in enumerate(self.system_qubits):
            mapping[q] = system[i]
        for i, q in enumerate(self.ancilla_qubits):
            mapping[q] = ancillas[i]
        out = Circuit(num_qubits, parameters=dict(self.circuit.parameters))
        return out.compose(self.circuit, mapping)

    def block(self, unitary: np.ndarray) -> np.ndarray:
        """``alpha`` × the ancilla-0 block of the circuit's ``unitary`` (little-endian, e.g.
        ``qcompile.simulate.unitary(block.circuit)``): the encoded matrix (padded) or the
        state vector."""
        idx = register_indices(self.system_qubits)
        if self.kind == "state":
            return self.alpha * unitary[idx, 0]
        return self.alpha * unitary[np.ix_(idx, idx)]
