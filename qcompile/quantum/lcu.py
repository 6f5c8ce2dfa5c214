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
ancillas even when one block is much wider than the rest.  Give term ``k`` instead a
binary codeword ``c_k`` of length ``l_k`` from a prefix code, on one register R of ``Q``
qubits: bit ``j`` of ``c_k`` on ``R[Q−1−j]``, the block's ancillas on ``R[0..a_k−1]``,
which needs ``a_k + l_k ≤ Q``.  PREP prepares ``Σ_k √(|c_k| α_k/λ) |c_k 0…0⟩``; SELECT
applies ``U_k`` controlled on its ``l_k`` codeword bits.  On branch ``k`` the bits below
its codeword start at 0 (PREP) and no other term fires (prefix codes differ at a position
both codewords hold, which no block touches), so ``⟨0|PREP† SELECT PREP|0⟩`` is the flat
LCU's block: same matrix, same alpha, ``Q`` ancillas in all (PREP is a tree on the
``max_k l_k`` codeword positions only; the rest of R starts at 0).  Merging the two items of
least ancilla count first (``a = max(a_i, a_j) + 1``, ties by position; the codeword is
the path in the tree) minimises ``Q = max_k (l_k + a_k)``, to ``⌈log2 Σ_k 2^{a_k}⌉``
(Kraft: lengths ``l_k`` exist iff ``Σ 2^{-l_k} ≤ 1``).

Control compression.  Positions ``p < Q − max_k l_k`` hold no codeword bit, so they are
|0⟩ on every branch until a block with ``a_k > p`` runs.  SELECT runs the terms in order
of ``a_k``; a term with ``l_k ≥ 2`` and ``a_k < Q − max l`` computes the AND of its
codeword into ``t = R[a_k]`` (one MCX, 1 on branch ``k`` only), applies ``U_k``
controlled on ``t`` alone and uncomputes the AND, instead of ``l_k`` controls on every gate.

:func:`lcu` uses the prefix code only where it needs fewer ancillas than the flat layout
(e.g. ``a = (4, 3, 1, 0)``: 5 instead of 6), so every other LCU keeps its circuit.
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
    then the terms of zero weight are left out and the index is a prefix code.
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
            return _prefix_lcu(code[0], code[1], [coeffs[k] for k in kept], [blocks[k] for k in kept], coeffs, blocks)
    return _flat_lcu(coeffs, blocks)


def codewords(tree) -> dict[int, tuple[int, ...]]:
    """Term position -> its codeword (the path from the root: 0 left, 1 right)."""
    if isinstance(tree, int):
        return {tree: ()}
    out = {}
    for bit, child in enumerate(tree):
        out.update({k: (bit,) + c for k, c in codewords(child).items()})
    return out


def _prefix_lcu(tree, q: int, coeffs, blocks, all_coeffs, all_blocks) -> QuantumBlock:
    """The LCU on a prefix-code index register of ``q`` qubits (module docstring)."""
    kind, n = _check_blocks(coeffs, blocks)
    weights = np.array([abs(c) * b.alpha for c, b in zip(coeffs, blocks)])
    lam = float(weights.sum())
    codes = codewords(tree)
    num = n + q
    system = tuple(range(n))
    reg = tuple(range(n, num))
    circuit = Circuit(num)
    circuit.add_register("lcu.index", reg)
    low = q - max(len(c) for c in codes.values())   # reg[:low] holds no codeword bit: PREP leaves it at 0
    amps = np.zeros(2 ** (q - low))
    for k, code in codes.items():
        amps[sum(bit << (q - low - 1 - j) for j, bit in enumerate(code))] = math.sqrt(weights[k] / lam)
    prep = Circuit(num)
    append_tree(prep, reg[low:], [float(a) for a in tree_angles(amps)])
    prep.gates = [g.as_free() for g in prep.gates]   # PREP† cancels it when SELECT is left out
    circuit.compose(prep)
    for k in sorted(codes, key=lambda k: (len(blocks[k].ancilla_qubits), k)):
        code, b = codes[k], blocks[k]
        a = len(b.ancilla_qubits)
        body = b.placed(system, reg[:a], num)
        if coeffs[k] < 0:
            body.global_phase += math.pi
        controls = tuple(reg[q - 1 - j] for j in range(len(code)))
        flips = [reg[q - 1 - j] for j, bit in enumerate(code) if not bit]
        if len(code) >= 2 and a < low:
            t = reg[a]
            for step in (0, 1):
                _free_flips(circuit, flips)
                circuit.add_gate(Gate("mcx", controls + (t,), free=True))
                _free_flips(circuit, flips)
                if step == 0:
                    circuit.compose(body.controlled((t,), num_qubits=num))
        else:
            _free_flips(circuit, flips)
            circuit.compose(body.controlled(controls, num_qubits=num))
            _free_flips(circuit, flips)
    circuit.compose(prep.inverse())
    shapes = {tuple(b.shape) for b in blocks}
    shape = shapes.pop() if len(shapes) == 1 else tuple(max(s) for s in zip(*[b.shape for b in blocks]))
    info = {"coefficients": [float(c) for c in all_coeffs], "alphas": [b.alpha for b in all_blocks],
            "index_code": tree, "index_qubits": reg}
    return QuantumBlock(circuit, lam, system, reg, kind, shape, info)


def _free_flips(circuit: Circuit, qubits) -> None:
    for q in qubits:
        circuit.add_gate(Gate("x", (q,), free=True))


def _check_blocks(coeffs, blocks) -> tuple[str, int]:
    """``(kind, system size)`` of the LCU's blocks; ValueError on what :func:`lcu` refuses."""
    if len(coeffs) != len(blocks) or not blocks:
        raise ValueError(f"lcu needs one coefficient per block, got {len(coeffs)} coefficients and {len(blocks)} blocks")
    if not all(math.isfinite(c) for c in coeffs):
        raise ValueError("lcu coefficients must be finite")
    kinds = {b.kind for b in blocks}
    if len(kinds) != 1:
        raise ValueError("lcu cannot mix block encodings and states")
    n = len(blocks[0].system_qubits)
    for b in blocks:
        if len(b.system_qubits) != n:
            raise ValueError(f"lcu blocks must act on the same system size: shapes {list(blocks[0].shape)} "
                             f"({n} qubits) and {list(b.shape)} ({len(b.system_qubits)} qubits)")
    return kinds.pop(), n


def _flat_lcu(coeffs: list[float], blocks: list[QuantumBlock]) -> QuantumBlock:
    """The flat layout of :func:`lcu` (module docstring)."""
    from qcompile.quantum.combine import settled

    blocks = [settled(b) for b in blocks]  # SELECT needs each block's output on its input register
    kind, n = _check_blocks(coeffs, blocks)
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
