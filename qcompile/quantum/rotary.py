"""Scores against rotary keys: the input matrix's block encoding with a row-controlled
rotation and the keys' projection inside (the keys side of RoPE attention).

With rotary embeddings the key of token ``s`` is ``k_s = R_s M x_s`` with ``R_s`` a
rotation that depends on ``s``, so the scores ``q·k_s = x_sᵀ Mᵀ R_sᵀ q`` are no longer
``X`` times one fixed map of ``q``.  The input matrix's block encoding
(:mod:`qcompile.quantum.input_block_encoding`) holds ``Σ_s ℓ_s |s⟩`` on its row register
between its row preparation and its column un-preparation, with the input ``a`` untouched
on the system register.  Inserting there (time order)

1. ``C = Σ_s |s⟩⟨s| ⊗ R̃_sᵀ`` on the system register, controlled by the row register, and
2. the block encoding of the fixed map ``K`` (the heads' key projections, padded) on the
   system and head registers, ancillas of its own,

leaves ``Σ_s ℓ_s |s⟩ ⊗ K R̃_sᵀ a / α_K`` on the post-selected branch, and the column
un-preparation then reads ``⟨x_s/‖x_s‖| · ⟩`` on every row: the block is
``(x_sᵀ K R̃_sᵀ a)_s / (B·α_K)`` (``B`` the input's bound), output on the row register
moved to the system register by the same SWAP.

``R̃_s`` acts on the *paired layout* of :func:`qcompile.qir.nodes.paired_layout`: the pair
``(i, i + head_dim/2)`` of a head sits on the basis states ``(i, i + 2^(m−1))`` of its
lowest ``m = ⌈log2 head_dim⌉`` system qubits, so the rotation of pair ``i`` by ``s·ω_i`` is
an RY on qubit ``m − 1`` multiplexed by the qubits below it.  ``s = Σ_b 2^b s_b``, and
rotations of one qubit about one axis add, so ``C`` is one multiplexed RY per bit ``b`` of
the row register: controls (the qubits below the target, row bit ``b``), angle
``−2·2^b·ω_i`` when the row bit is 1 and ``0`` otherwise (``R_θᵀ = RY(−2θ)`` in the pair's
basis).  That is ``2^m`` RY and ``2^m`` CX per row bit: ``n_r·2^m`` of each.  The same
gates act on every head (the head register is not a control) and on every value of the
system qubits above ``m`` (``R̃_s = I ⊗ R'_s``, :meth:`qcompile.qir.nodes.RotaryKeys.rotation`).
"""

from __future__ import annotations

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.combine import settled
from qcompile.quantum.input_block_encoding import InputBlockEncoding, input_block_encoding
from qcompile.quantum.state_preparation import append_multiplexed_ry, multiplexor_angles


def rotation_angles(frequencies: np.ndarray, head_dim: int, bit: int) -> np.ndarray:
    """The RY angles of row bit ``bit``'s multiplexor, by control value ``k + 2^(m−1)·s_b``:
    0 when the row bit is 0, ``−2·2^bit·ω_k`` for a pair ``k < head_dim/2`` when it is 1."""
    m = max(1, (head_dim - 1).bit_length())
    theta = np.zeros(2**m)
    half = head_dim // 2
    theta[2 ** (m - 1): 2 ** (m - 1) + half] = -2.0 * 2**bit * np.asarray(frequencies)[:half]
    return theta


def append_row_rotations(circuit: Circuit, system, rows, row_qubits: int, frequencies, head_dim: int) -> None:
    """``Σ_s |s⟩⟨s| ⊗ R'_sᵀ`` on ``system`` controlled by the low ``row_qubits`` of ``rows``
    (module docstring): one multiplexed RY per row bit."""
    m = max(1, (head_dim - 1).bit_length())
    target, below = system[m - 1], tuple(system[:m - 1])
    for b in range(row_qubits):
        angles = multiplexor_angles(rotation_angles(frequencies, head_dim, b))
        append_multiplexed_ry(circuit, target, below + (rows[b],), angles)


def rotary_keys_block_encoding(shape, bound: float, name: str, keys: QuantumBlock, heads: int,
                               head_dim: int, frequencies) -> InputBlockEncoding:
    """Block encoding of ``a ↦ (x_sᵀ K R̃_sᵀ a)_s`` per head (module docstring), ``X`` of
    ``shape = (rows, cols)`` bound from the parametric loader ``name`` (``‖X‖_F ≤ bound``),
    ``K`` the block encoding ``keys`` on the ``heads`` blocks of the padded width.

    System: the input block's ``n`` qubits, then ``⌈log2 heads⌉`` head qubits;
    ``alpha = bound · keys.alpha``; ``bind(X)`` is the loader's bind."""
    from qcompile.quantum.state_preparation import axis_qubits

    keys = settled(keys)
    n_r = axis_qubits(shape[0])
    n = max(n_r, axis_qubits(shape[1]), 1)
    nb = max(0, (heads - 1).bit_length())
    if len(keys.system_qubits) != n + nb:
        raise ValueError(f"the keys' map acts on {len(keys.system_qubits)} qubits, the heads' blocks need {n + nb}")
    extra = nb + len(keys.ancilla_qubits)

    def build(circuit, system, rows, extras):
        append_row_rotations(circuit, system, rows, n_r, frequencies, head_dim)
        heads_q, anc = extras[:nb], extras[nb:]
        where = dict(zip(keys.system_qubits, tuple(system) + tuple(heads_q)))
        where.update(zip(keys.ancilla_qubits, anc))
        circuit.compose(keys.circuit, [where[q] for q in range(keys.circuit.num_qubits)])

    be = input_block_encoding(shape, bound, name, middle=(extra, build))
    heads_q = tuple(range(2 * n + 1, 2 * n + 1 + nb))
    ancillas = tuple(q for q in be.ancilla_qubits if q not in heads_q)
    return InputBlockEncoding(be.circuit, float(bound) * keys.alpha, tuple(be.system_qubits) + heads_q, ancillas,
                              "block_encoding", tuple(shape), dict(be.info), bound=float(bound), name=name)
