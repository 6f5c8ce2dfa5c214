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

Fewer controls (:func:`select_plan`).  SELECT runs the terms in order of ``a_k``.  When
term ``k`` runs, each branch ``j`` holds on R its codeword and zeros elsewhere, except on
the ancillas of a term that already ran, positions ``< a_j ≤ a_k``, which term ``k`` never
reads: its codeword sits at ``≥ a_k``.  So ``U_k`` need only be controlled on a subset
``P_k`` of its codeword positions at which every other branch holds a value different
from ``k``'s (the full codeword always works: two codewords differ at a position both
hold).  Which child of each tree node gets bit 0 is free; the plan takes the assignment
that minimises the controls' cost (weighted by the terms' gate counts).  Where
``|P_k| ≥ 2`` and some position ``t ≥ a_k`` outside ``P_k`` reads 0 on every branch (no
codeword holds a 1 there), the AND of ``P_k`` is computed into ``t`` (one MCX, 1 on branch
``k`` only), ``U_k`` is controlled on ``t`` alone and the AND uncomputed.  Either way ``U_k``
fires on branch ``k`` only, and the block is unchanged.

:func:`lcu` uses the prefix code only where it needs fewer ancillas than the flat layout
(e.g. ``a = (4, 3, 1, 0)``: 5 instead of 6), so every other LCU keeps its circuit.

Weights known only at bind time.  With ``prep_parameters = (name, offset)`` PREP's tree
angles are the circuit parameters ``name[offset + i]`` instead of numbers, and the block's
``info["prep_layout"]`` (:class:`PrepLayout`) gives, for any weights ``w_k ≥ 0``, the angles
that prepare ``Σ_k √(w_k/Σw) |slot_k⟩`` (:meth:`PrepLayout.angles`).  The block is then
``Σ_k (w_k/Σw) sign(c_k) U_k`` for the bound weights: a caller whose block ``k`` encodes
``A_k/α_k(x)`` with an input-dependent ``α_k(x)`` binds ``w_k = |c_k| α_k(x)``
(:func:`qcompile.quantum.diagonal.shifted_diagonal`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from qcompile.circuit.ir import Circuit, Gate, Parameter, ParamExpr
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


@dataclass(frozen=True)
class PrepLayout:
    """Where PREP puts each term's amplitude: ``slots[k]`` (None for a term left out) in
    a vector of ``size`` amplitudes prepared by a state-preparation tree."""

    slots: tuple
    size: int

    def amplitudes(self, weights) -> np.ndarray:
        """PREP's amplitudes for term weights ``w_k ≥ 0``: ``√(w_k/Σw)`` at ``slots[k]``
        (the sum over the terms kept; all zero when that sum is)."""
        w = np.maximum(np.asarray(weights, dtype=float), 0.0)
        kept = [(k, s) for k, s in enumerate(self.slots) if s is not None]
        total = float(sum(w[k] for k, _ in kept))
        amps = np.zeros(self.size)
        if total > 0:
            for k, s in kept:
                amps[s] = math.sqrt(w[k] / total)
        return amps

    def angles(self, weights) -> np.ndarray:
        """PREP's tree angles for term weights ``w_k ≥ 0`` (:meth:`amplitudes`)."""
        return tree_angles(self.amplitudes(weights))


def _append_prep(circuit: Circuit, qubits, amps: np.ndarray, prep_parameters) -> Circuit:
    """PREP's tree on ``qubits`` (free gates: PREP† cancels it when SELECT is left out),
    with fixed angles for ``amps`` or, given ``prep_parameters = (name, offset)``, the
    parameters ``name[offset + i]``; returns the PREP circuit (to append its inverse)."""
    prep = Circuit(circuit.num_qubits)
    angles = [float(a) for a in tree_angles(amps)]
    if prep_parameters is not None:
        name, offset = prep_parameters
        prep.declare_parameters(name, offset + len(angles))
        angles = [ParamExpr(Parameter(name, offset + i)) for i in range(len(angles))]
    append_tree(prep, qubits, angles)
    prep.gates = [g.as_free() for g in prep.gates]
    circuit.compose(prep)
    return prep


def lcu(coefficients: Sequence[float], blocks: Sequence[QuantumBlock], prep_parameters=None) -> QuantumBlock:
    """Block (or state) encoding of ``Σ_k c_k A_k`` for signed real ``c_k``.

    ``alpha = Σ_k |c_k| α_k``; ancillas ``⌈log2 K⌉ + max_k a_k`` (flat layout), or
    ``⌈log2 Σ_k 2^{a_k}⌉`` where the prefix-code index (module docstring) needs fewer:
    then the terms of zero weight are left out and the index is a prefix code.
    ``prep_parameters = (name, offset)``: PREP's angles are parameters, bound from
    ``info["prep_layout"]`` (module docstring).  Qubit layout: system ``0..n-1`` (in the
    first block's system order), shared block ancillas next, index register last.  Zero
    coefficients are kept in the flat layout (zero PREP amplitude).  Raises ValueError on
    mixed kinds, unequal system sizes, or no nonzero coefficient.
    """
    from qcompile.quantum.combine import settled

    coeffs = [float(c) for c in coefficients]
    blocks = [settled(b) for b in blocks]
    if len(coeffs) == len(blocks) and blocks:
        kept = [k for k, (c, b) in enumerate(zip(coeffs, blocks)) if c * b.alpha != 0.0]
        flat = (len(blocks) - 1).bit_length() + max(len(b.ancilla_qubits) for b in blocks)
        code = index_code([len(blocks[k].ancilla_qubits) for k in kept])
        if code is not None and code[1] < flat:
            return _prefix_lcu(code[0], code[1], kept, coeffs, blocks, prep_parameters)
    return _flat_lcu(coeffs, blocks, prep_parameters)


def codewords(tree) -> dict[int, tuple[int, ...]]:
    """Term position -> its codeword (the path from the root: 0 left, 1 right)."""
    if isinstance(tree, int):
        return {tree: ()}
    out = {}
    for bit, child in enumerate(tree):
        out.update({k: (bit,) + c for k, c in codewords(child).items()})
    return out


@dataclass(frozen=True)
class SelectStep:
    """One term of a prefix-code SELECT (:func:`select_plan`): ``controls`` are ``(position
    in R, value)`` pairs that single out its branch when it runs; ``target`` a position of R
    that reads 0 on every branch then, into which their AND is computed (None: the body is
    controlled on ``controls`` directly)."""

    term: int
    controls: tuple[tuple[int, int], ...]
    target: int | None


#: internal tree nodes up to which every bit assignment is tried (2^nodes plans: 64 take
#: at most ~0.2 s for 7 terms)
SELECT_SEARCH_NODES = 6


def _assigned(tree, flips, counter=None) -> dict[int, tuple[int, ...]]:
    """Codewords with node ``i`` (pre-order) giving bit 0 to its right child when
    ``flips >> i & 1``."""
    counter = counter if counter is not None else [0]
    if isinstance(tree, int):
        return {tree: ()}
    flip = (flips >> counter[0]) & 1
    counter[0] += 1
    out = {}
    for bit, child in enumerate(tree):
        out.update({k: (bit ^ flip,) + c for k, c in _assigned(child, flips, counter).items()})
    return out


def _control_factor(k: int) -> int:
    """Relative cost of a gate controlled on ``k`` qubits (the CX of a ``k``-controlled X)."""
    from qcompile.circuit.metrics import cx_cost

    return cx_cost("mcx", k + 1)


def select_plan(tree, q: int, ancillas, weights) -> tuple[dict, tuple[SelectStep, ...]]:
    """``(codewords, steps)`` of a prefix-code SELECT on ``q`` qubits for terms with
    ``ancillas[k]`` ancillas and ``weights[k]`` controlled gates (module docstring): steps in
    run order (``a_k``, then position), codeword bit ``j`` on ``R[q−1−j]``.  Every bit
    assignment is tried up to :data:`SELECT_SEARCH_NODES` internal nodes (the tree's
    default beyond); the cheapest, first on ties, is returned.  A pure function of its
    arguments (cached): the circuit builder and the resource estimate share it."""
    return _select_plan(tree, int(q), tuple(int(a) for a in ancillas), tuple(float(w) for w in weights))


@lru_cache(maxsize=256)
def _select_plan(tree, q: int, ancillas: tuple, weights: tuple) -> tuple[dict, tuple[SelectStep, ...]]:
    """:func:`select_plan` on hashable arguments."""
    order = sorted(range(len(ancillas)), key=lambda k: (ancillas[k], k))
    nodes = len(ancillas) - 1
    best = None
    for flips in range(2 ** nodes if nodes <= SELECT_SEARCH_NODES else 1):
        codes = _assigned(tree, flips)
        steps, cost = _select_steps(codes, q, ancillas, order, weights)
        if best is None or cost < best[0]:
            best = (cost, codes, tuple(steps))
    return best[1], best[2]


def _select_steps(codes, q: int, ancillas, order, weights) -> tuple[list[SelectStep], float]:
    """The steps of one bit assignment and their cost (module docstring)."""
    from itertools import combinations

    # branch j's value at a position p >= a_k when term k runs: its codeword bit, else 0
    held = {k: {q - 1 - j: bit for j, bit in enumerate(code)} for k, code in codes.items()}
    steps, cost = [], 0.0
    for k in order:
        mine = sorted(held[k].items(), reverse=True)
        others = [j for j in codes if j != k]
        chosen = mine
        for size in range(1, len(mine) + 1):
            found = next((c for c in combinations(mine, size)
                          if all(any(held[j].get(p, 0) != v for p, v in c) for j in others)), None)
            if found is not None:
                chosen = list(found)
                break
        target = None
        if len(chosen) >= 2:
            used = {p for p, _ in chosen}
            target = next((t for t in range(ancillas[k], q) if t not in used
                           and all(held[j].get(t, 0) == 0 for j in codes)), None)
        if target is None:
            cost += weights[k] * _control_factor(len(chosen))
        else:
            cost += weights[k] * _control_factor(1) + 2 * _control_factor(len(chosen))
        steps.append(SelectStep(k, tuple(chosen), target))
    return steps, cost


def _prefix_lcu(tree, q: int, kept, all_coeffs, all_blocks, prep_parameters) -> QuantumBlock:
    """The LCU on a prefix-code index register of ``q`` qubits (module docstring) of the
    terms ``kept`` (positions in ``all_coeffs``/``all_blocks``)."""
    coeffs, blocks = [all_coeffs[k] for k in kept], [all_blocks[k] for k in kept]
    kind, n = _check_blocks(coeffs, blocks)
    weights = np.array([abs(c) * b.alpha for c, b in zip(coeffs, blocks)])
    lam = float(weights.sum())
    codes = codewords(tree)
    num = n + q
    system = tuple(range(n))
    reg = tuple(range(n, num))
    circuit = Circuit(num)
    circuit.add_register("lcu.index", reg)
    codes, steps = select_plan(tree, q, [len(b.ancilla_qubits) for b in blocks],
                               [sum(1 for g in b.circuit.gates if not g.free) for b in blocks])
    low = q - max(len(c) for c in codes.values())   # reg[:low] holds no codeword bit: PREP leaves it at 0
    slot = {k: sum(bit << (q - low - 1 - j) for j, bit in enumerate(code)) for k, code in codes.items()}
    layout = PrepLayout(tuple(slot.get(kept.index(i)) if i in kept else None for i in range(len(all_blocks))),
                        2 ** (q - low))
    all_weights = [abs(c) * b.alpha for c, b in zip(all_coeffs, all_blocks)]
    prep = _append_prep(circuit, reg[low:], layout.amplitudes(all_weights), prep_parameters)
    for step in steps:
        b = blocks[step.term]
        body = b.placed(system, reg[:len(b.ancilla_qubits)], num)
        if coeffs[step.term] < 0:
            body.global_phase += math.pi
        controls = tuple(reg[p] for p, _ in step.controls)
        flips = [reg[p] for p, v in step.controls if not v]
        if step.target is not None:
            t = reg[step.target]
            for stage in (0, 1):
                _free_flips(circuit, flips)
                circuit.add_gate(Gate("mcx", controls + (t,), free=True))
                _free_flips(circuit, flips)
                if stage == 0:
                    circuit.compose(body.controlled((t,), num_qubits=num))
        else:
            _free_flips(circuit, flips)
            circuit.compose(body.controlled(controls, num_qubits=num))
            _free_flips(circuit, flips)
    circuit.compose(prep.inverse())
    shapes = {tuple(b.shape) for b in blocks}
    shape = shapes.pop() if len(shapes) == 1 else tuple(max(s) for s in zip(*[b.shape for b in blocks]))
    info = {"coefficients": [float(c) for c in all_coeffs], "alphas": [b.alpha for b in all_blocks],
            "index_code": tree, "codewords": codes, "index_qubits": reg, "prep_layout": layout}
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


def _flat_lcu(coeffs: list[float], blocks: list[QuantumBlock], prep_parameters=None) -> QuantumBlock:
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

    layout = PrepLayout(tuple(k if w != 0.0 else None for k, w in enumerate(weights)), 2**m)
    if m == 0:
        body = blocks[0].placed(system, shared, num)
        if coeffs[0] < 0:
            body.global_phase += math.pi
        circuit.compose(body)
    else:
        # PREP, PREP† and the X conjugations are free: with SELECT left out they cancel,
        # so a controlled LCU controls only its branches (see qcompile.circuit.ir)
        prep = _append_prep(circuit, index, layout.amplitudes(weights), prep_parameters)
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
            "block_ancillas": shared, "prep_layout": layout}
    return QuantumBlock(circuit, lam, system, shared + index, kind, shape, info)
