"""Diagonal block encoding of a subnormalised state's amplitudes (COPY construction,
research/algorithms.md §2; Rattew & Rebentrost arXiv:2309.09839 Thm 2).

Given a state block ``U`` with ``U|0⟩ = |0_a⟩ ⊗ v/α + (garbage with ancilla ≠ 0)`` on
system register ``S`` (n qubits), add a fresh n-qubit register ``D`` and::

    W = CNOT^{⊗n}_{D_i → S_i} · (U ⊗ I_D)

(control: fresh qubit ``D_i``; target: old system qubit ``S_i``).  Then
``W |0⟩_S|0_a⟩|j⟩_D = Σ_k (v_k/α)|k⊕j⟩_S|0_a⟩|j⟩_D + garbage``, and projecting ``S`` and
the old ancillas on 0 keeps ``k = j``: ``(⟨0|_{S,a} ⊗ I) W (|0⟩_{S,a} ⊗ I) = diag(v)/α``.
So ``alpha = α`` (unchanged), ancillas ``n + a`` (old system + old ancillas), system = D,
cost: one U and n CX.
"""

from __future__ import annotations

from qcompile.circuit.ir import Circuit
from qcompile.quantum.base import QuantumBlock


def diagonal_from_state(state: QuantumBlock) -> QuantumBlock:
    """Block encoding of ``diag(v)`` from a subnormalised state of ``v`` (COPY construction).

    ``alpha = state.alpha``; ancillas ``n + a`` (``n`` system, ``a`` ancilla qubits of the
    state); the fresh system register is placed after the state's qubits.
    """
    if state.kind != "state":
        raise ValueError("diagonal_from_state needs a subnormalised state, got a block encoding")
    old = state.circuit.num_qubits
    n = len(state.system_qubits)
    fresh = tuple(range(old, old + n))
    circuit = Circuit(old + n, parameters=dict(state.circuit.parameters))
    for name, qs in state.circuit.registers.items():
        circuit.add_register(name, qs)
    circuit.compose(state.circuit, list(range(old)))
    for d, s in zip(fresh, state.system_qubits):
        circuit.append("cx", (d, s))
    circuit.add_register("diag", fresh)
    length = state.shape[0] if len(state.shape) == 1 else 2**n
    return QuantumBlock(circuit, state.alpha, fresh, tuple(state.system_qubits) + tuple(state.ancilla_qubits),
                        "block_encoding", (length, length), {"copied_from": tuple(state.system_qubits)})
