"""Linear combination of unitaries (Childs–Wiebe LCU) with signed real coefficients.

For blocks ``B_k`` encoding ``A_k/α_k`` (block encodings) or ``v_k/α_k`` (subnormalised
states) on the same number ``n`` of system qubits::

    W = (PREP† ⊗ I) · SELECT · (PREP ⊗ I),   PREP|0⟩ = Σ_k √(|c_k| α_k / λ) |k⟩,
    SELECT = Σ_k |k⟩⟨k| ⊗ sign(c_k) U_k,      λ = Σ_k |c_k| α_k

Post-selecting the index register and every block ancilla on 0 leaves
``Σ_k p_k² sign(c_k) A_k/α_k = (Σ_k c_k A_k)/λ``, so ``alpha = λ``; the same circuit
serves states (``U_k|0⟩``), since only ``⟨0|PREP†`` and ``PREP|0⟩`` enter.
Ancillas: ``⌈log2 K⌉`` index qubits + ``max_k a_k`` shared block ancillas (block ``k``
uses the first ``a_k`` of them; the rest stay |0⟩ on its branch).  ``K = 1`` has no index
register (a negative sign is a global phase π); ``K`` not a power of two pads PREP with
zero amplitudes.  SELECT applies ``U_k`` controlled on index value ``k`` with
``Circuit.controlled`` (0-controls by X conjugation); ``sign(c_k) = -1`` is a global
phase π on ``U_k`` before controlling, i.e. a phase gate on the index value.

Prefix-code index (:func:`index_code`).  The flat layout spends ``⌈log2 K⌉ + max_k a_k``
ancillas even when one block is much wider than the rest.  A two-term LCU of an LCU is
again an LCU of the leaves: ``lcu([c, 1], [B, lcu(c', B')])`` encodes
``(c·A + Σ c'_k A'_k)/(|c|α + Σ |c'_k| α'_k)``, the same matrix and alpha, and its inner
LCU's index and block ancillas are block ancillas of the outer one, shared with ``B``.
Nesting two-term LCUs along a binary tree gives term ``k`` a codeword of length
``l_k`` (its depth) and ``max_k (l_k + a_k)`` ancillas.  Merging the two items of least
ancilla count first (``a = max(a_i, a_j) + 1``; ties by position) minimises that maximum,
which is ``⌈log2 Σ_k 2^{a_k}⌉`` (Kraft: lengths ``l_k`` exist iff ``Σ 2^{-l_k} ≤ 1``).
:func:`lcu` nests along this tree only where it needs fewer ancillas than the flat
layout (e.g. ``a = (4, 3, 1, 0)``: 5 instead of 6), so every other LCU keeps its circuit.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from qcompile.circuit.ir import Circuit, Gate
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.state_preparation import append_tree, tree_angles


def index_code(ancillas: Sequence[int]):
    """The binary tree of the prefix-code index for terms with ``ancillas[k]`` ancillas
    (module docstring), as nested pairs of term positions, and its ancilla count
    ``max_k (depth_k + a_k)``; ``None`` for fewer than two terms."""
    import heapq

    if len(ancillas) < 2:
        return None
    heap = [(int(a), k, k) for k, a in enumerate(ancillas)]
    heapq.heapify(heap)
    order = len(ancillas)
    while len(heap) > 1:
        a1, _, n1 = heapq.heappop(heap)
        a2, _, n2 = heapq.heappop(heap)
        heapq.heappush(heap, (max(a1, a2) + 1, order, (n1, n2)))
        order += 1
    a, _, tree = heap[0]
    return tree, a


def lcu(coefficients: Sequence[float], blocks: Sequence[QuantumBlock]) -> QuantumBlock:
    """Block (or state) encoding of ``Σ_k c_k A_k`` for signed real ``c_k``.

    ``alpha = Σ_k |c_k| α_k``; ancillas ``⌈log2 K⌉ + max_k a_k`` (flat layout), or
    ``⌈log2 Σ_k 2^{a_k}⌉`` where the prefix-code index (module docstring) needs fewer:
    then the terms of zero weight are left out and the LCU is a tree of two-term LCUs.
    Qubit layout: system ``0..n-1`` (in the first block's system order), shared block
    ancillas next, index register last.  Zero coefficients are kept in the flat layout
    (zero PREP amplitude).  Raises ValueError on mixed kinds, unequal system sizes, or no
    nonzero coefficient.
    """
    from qcompile.quantum.combine import settled

    coeffs = [float(c) for c in coefficients]
    blocks = [settled(b) for b in blocks]
    if len(coeffs) == len(blocks) and blocks:
        kept = [k for k, (c, b) in enumerate(zip(coeffs, blocks)) if c * b.alpha != 0.0]
        flat = (len(blocks) - 1).bit_length() + max(len(b.ancilla_qubits) for b in blocks)
        code = index_code([len(blocks[k].ancilla_qubits) for k in kept])
        if code is not None and code[1] < flat:
            return _tree_lcu(code[0], [coeffs[k] for k in kept], [blocks[k] for k in kept], coeffs, blocks)
    return _flat_lcu(coeffs, blocks)


def _tree_lcu(tree, coeffs, blocks, all_coeffs, all_blocks) -> QuantumBlock:
    """The LCU nested along ``tree`` (pairs of positions in ``coeffs``/``blocks``)."""
    def build(node):
        if isinstance(node, int):
            return coeffs[node], blocks[node]
        (c1, b1), (c2, b2) = build(node[0]), build(node[1])
        return 1.0, _flat_lcu([c1, c2], [b1, b2])

    _, out = build(tree)
    info = dict(out.info)
    info.update({"coefficients": [float(c) for c in all_coeffs], "alphas": [b.alpha for b in all_blocks],
                 "index_code": tree})
    return QuantumBlock(out.circuit, out.alpha, out.system_qubits, out.ancilla_qubits, out.kind, out.shape, info)


def _flat_lcu(coeffs: list[float], blocks: list[QuantumBlock]) -> QuantumBlock:
    """The flat layout of :func:`lcu` (module docstring)."""
    from qcompile.quantum.combine import settled

    blocks = [settled(b) for b in blocks]  # SELECT needs each block's output on its input register
    if len(coeffs) != len(blocks) or not blocks:
        raise ValueError(f"lcu needs one coefficient per block, got {len(coeffs)} coefficients and {len(blocks)} blocks")
    if not all(math.isfinite(c) for c in coeffs):
        raise ValueError("lcu coefficients must be finite")
    kinds = {b.kind for b in blocks}
    if len(kinds) != 1:
        raise ValueError("lcu cannot mix block encodings and states")
    kind = kinds.pop()
    n = len(blocks[0].system_qubits)
    for b in blocks:
        if len(b.system_qubits) != n:
            raise ValueError(f"lcu blocks must act on the same system size: shapes {list(blocks[0].shape)} "
                             f"({n} qubits) and {list(b.shape)} ({len(b.system_qubits)} qubits)")
    weights = np.array([abs(c) * b.alpha for c, b in zip(coeffs, blocks)])
    lam = float(weights.sum())
    if lam == 0.0:
        raise ValueError("lcu needs at least one nonzero coefficient")

    K = len(blocks)
    m = (K - 1).bit_length()
    a_max = max(len(b.ancilla_qubits) for b in blocks)
    num = n + a_max + m
    system = tuple(range(n))
    shared = tuple(range(n, n + a_max))
    index = tuple(range(n + a_max, num))
    circuit = Circuit(num)
    circuit.add_register("lcu.index", index)

    if m == 0:
        body = blocks[0].placed(system, shared, num)
        if coeffs[0] < 0:
            body.global_phase += math.pi
        circuit.compose(body)
    else:
        amps = np.zeros(2**m)
        amps[:K] = np.sqrt(weights / lam)
        prep = Circuit(num)
        append_tree(prep, index, [float(a) for a in tree_angles(amps)])
        # PREP, PREP† and the X conjugations are free: with SELECT left out they cancel,
        # so a controlled LCU controls only its branches (see qcompile.circuit.ir)
        prep.gates = [g.as_free() for g in prep.gates]
        circuit.compose(prep)
        for k, (c, b) in enumerate(zip(coeffs, blocks)):
            if weights[k] == 0.0:
                continue
            body = b.placed(system, shared, num)
            if c < 0:
                body.global_phase += math.pi
            zeros = [q for bit, q in enumerate(index) if not (k >> bit) & 1]
            for q in zeros:
                circuit.add_gate(Gate("x", (q,), free=True))
            circuit.compose(body.controlled(index, num_qubits=num))
            for q in zeros:
                circuit.add_gate(Gate("x", (q,), free=True))
        circuit.compose(prep.inverse())

    shapes = {tuple(b.shape) for b in blocks}
    shape = shapes.pop() if len(shapes) == 1 else tuple(max(s) for s in zip(*[b.shape for b in blocks]))
    info = {"coefficients": coeffs, "alphas": [b.alpha for b in blocks], "index_qubits": index,
            "block_ancillas": shared}
    return QuantumBlock(circuit, lam, system, shared + index, kind, shape, info)
