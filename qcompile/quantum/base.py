"""The record every quantum-library construction returns.

A :class:`QuantumBlock` is either a *block encoding* (``kind="block_encoding"``) of a
matrix A, meaning ``(<0|_anc ⊗ I) U (|0>_anc ⊗ I) = A / alpha`` on the system register,
or a *subnormalised state* (``kind="state"``) of a vector v, meaning
``(<0|_anc ⊗ I) U |0...0> = v / alpha``.  ``ancilla_qubits`` are all the qubits that
start in |0> and are post-selected on 0 (ancillas and flags alike); every other qubit of
the circuit is a system qubit.  Register values are little-endian in the order
``system_qubits`` lists them (see :mod:`qcompile.circuit.ir`).

A block encoding may leave its output on other qubits than it reads its input from (a
SWAP replaced by relabelling, as FABLE's): ``info["output_qubits"]`` then names the
output register, ``system_qubits`` is the input register, and ``ancilla_qubits`` are
the qubits post-selected at the output (every qubit but the output register); the qubits
that start in |0> are every qubit but the input register.  The block is
``(⟨0| ⊗ ⟨i|_out) U (|0⟩ ⊗ |j⟩_in) = A_ij / alpha``.  The record lives in ``info`` so that
rebuilding a block from its fields and its ``info`` keeps it.
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
        out = self.output_qubits
        roles = set(out) | set(self.ancilla_qubits)
        if len(roles) != len(out) + len(self.ancilla_qubits):
            raise ValueError("a qubit is both output and ancilla")
        if roles != set(range(self.circuit.num_qubits)):
            raise ValueError("every qubit must be a system or an ancilla qubit")
        if self.is_relabelled:
            if self.kind != "block_encoding" or len(out) != len(self.system_qubits) \
                    or not set(self.system_qubits) <= roles:
                raise ValueError("a relabelled block is a block encoding whose output register is as wide as its input")

    @property
    def output_qubits(self) -> tuple[int, ...]:
        """The output register: ``system_qubits`` unless the block is relabelled (module doc)."""
        out = self.info.get("output_qubits") if self.info else None
        return tuple(self.system_qubits) if out is None else tuple(out)

    @property
    def is_relabelled(self) -> bool:
        """True when the output register differs from the input register."""
        return self.output_qubits != tuple(self.system_qubits)

    def placed(self, system, ancillas, num_qubits: int) -> Circuit:
        """This block's circuit on a ``num_qubits`` circuit: its ``i``-th system qubit on
        ``system[i]`` and its ``i``-th ancilla on ``ancillas[i]`` (extra ancillas allowed)."""
        if self.is_relabelled:
            raise ValueError("placed() needs the input and output on one register; settle the block first")
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
        idx = register_indices(self.output_qubits)
        if self.kind == "state":
            return self.alpha * unitary[idx, 0]
        return self.alpha * unitary[np.ix_(idx, register_indices(self.system_qubits))]
