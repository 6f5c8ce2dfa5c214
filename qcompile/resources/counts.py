"""Exact gate counts of the quantum library's constructions, from sizes alone.

Every function ``<construction>_cost`` mirrors the structure of the circuit the library
builds (:mod:`qcompile.quantum` and the small steps of :mod:`qcompile.lowering.circuits`)
and returns a :class:`BlockCost`: a :class:`GateCounts` multiset plus the register sizes.
Composite constructions are costed from their children's ``BlockCost`` with the same
operations the builders apply to circuits (``+`` for composition, ``*`` for repetition,
:meth:`GateCounts.controlled`, :meth:`GateCounts.inverse`), never by fitting numbers;
the only fitted formula is the Qiskit-synthesised dilation (see :func:`dilation_cost`),
which is flagged ``exact=False``.  It is what an abstract matrix (shape and norms only)
gets; a concrete matrix is costed exactly by synthesising its block once
(:func:`qcompile.resources.estimate.synthesised_dense_cost`, :meth:`BlockCost.of`), which
is what :func:`qcompile.resources.api.estimate` does in compiled mode.

Nothing here builds a gate list, so the functions run in time polynomial in the number of
qubits (not in the dimension) except where the construction's own count is what is asked
(e.g. a FABLE compression mask of ``4^n`` flags, given explicitly).

Global phase.  :meth:`qcompile.circuit.ir.Circuit.controlled` turns a nonzero global phase
into one ``p``/``mcp`` gate on the controls, so a block's phase changes the count of an LCU
term.  :class:`BlockCost` therefore carries the circuit's global ``phase`` (a float, summed
exactly as the builders sum it) or ``None`` when it is not known from sizes (the dilation's
phase depends on the matrix): an unknown phase is costed as one phase gate, an upper bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from qcompile.circuit.gates import GATES

Key = tuple[str, int, bool]

#: phases closer than this to 0 (mod 2π) add no gate when controlled (as in Circuit.controlled)
_PHASE_EPS = 1e-15


# ---- the multiset of gates ------------------------------------------------------------------
class GateCounts:
    """An immutable multiset of gates keyed by ``(name, width, free)``.

    ``name`` and ``width`` are those of :class:`qcompile.circuit.ir.Gate` (``width =
    len(gate.qubits)``), ``free`` is ``Gate.free``.  Zero counts are dropped, so two
    multisets are equal exactly when they hold the same gates.
    """

    __slots__ = ("_counts",)

    def __init__(self, counts: Mapping[Key, int] | Iterable[tuple[Key, int]] | None = None):
        acc: dict[Key, int] = {}
        items = counts.items() if isinstance(counts, Mapping) else (counts or ())
        for (name, width, free), n in items:
            n = int(n)
            if n < 0:
                raise ValueError(f"negative count {n} for gate {name}")
            key = (str(name), int(width), bool(free))
            acc[key] = acc.get(key, 0) + n
        self._counts = tuple(sorted((k, v) for k, v in acc.items() if v))

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def gate(cls, name: str, width: int = 1, free: bool = False, count: int = 1) -> "GateCounts":
        """``count`` copies of one gate."""
        return cls({(name, width, free): count})

    @classmethod
    def of(cls, circuit) -> "GateCounts":
        """The counts of an actual :class:`~qcompile.circuit.ir.Circuit` (barriers included
        in the multiset, excluded from :meth:`by_name` and :meth:`total`)."""
        acc: dict[Key, int] = {}
        for g in circuit.gates:
            key = (g.name, len(g.qubits), bool(g.free))
            acc[key] = acc.get(key, 0) + 1
        return cls(acc)

    # ---- algebra -----------------------------------------------------------------------
    def items(self) -> tuple[tuple[Key, int], ...]:
        """``((name, width, free), count)`` pairs, sorted."""
        return self._counts

    def __add__(self, other: "GateCounts") -> "GateCounts":
        if not isinstance(other, GateCounts):
            return NotImplemented
        return GateCounts(self._counts + other._counts)

    def __mul__(self, k: int) -> "GateCounts":
        """``k`` repetitions (``k >= 0``)."""
        if int(k) != k or k < 0:
            raise ValueError(f"repetitions must be a non-negative integer, got {k}")
        return GateCounts({key: n * int(k) for key, n in self._counts})

    __rmul__ = __mul__

    def controlled(self, k: int = 1) -> "GateCounts":
        """What :meth:`Circuit.controlled` with ``k`` controls does to these gates
        (:func:`qcompile.circuit.ir.controlled_gates`): free gates stay as they are; a gate
        with a multi-controlled counterpart (``GATES[name].controlled``: x/cx/ccx/mcx → mcx,
        z/cz/mcz → mcz, p/mcp/s/sdg/t/tdg → mcp, rotations → mcr*) becomes it, ``k`` qubits
        wider; y → free sdg, mcx, free s; h → free ry, mcz, free ry; swap → free cx, mcx,
        free cx.  (The global phase's extra gate is :meth:`BlockCost.controlled`.)"""
        if k < 1:
            raise ValueError(f"controlled needs at least one control, got {k}")
        acc: dict[Key, int] = {}

        def put(key: Key, n: int) -> None:
            acc[key] = acc.get(key, 0) + n

        for (name, w, free), n in self._counts:
            facts = GATES[name]
            if free:
                put((name, w, True), n)
            elif facts.controlled is not None:
                put((facts.controlled, w + k, False), n)
            elif name == "barrier":
                put(("barrier", w + k, False), n)
            elif not facts.unitary:
                raise ValueError(f"cannot control {name}")
            elif name == "y":
                put(("sdg", 1, True), n)
                put(("s", 1, True), n)
                put(("mcx", 1 + k, False), n)
            elif name == "h":
                put(("ry", 1, True), 2 * n)
                put(("mcz", 1 + k, False), n)
            elif name == "swap":
                put(("cx", 2, True), 2 * n)
                put(("mcx", 2 + k, False), n)
            else:  # pragma: no cover - every IR gate is covered above
                raise ValueError(f"no controlled rule for {name}")
        return GateCounts(acc)

    def inverse(self) -> "GateCounts":
        """What :meth:`Circuit.inverse` does to the names: s↔sdg, t↔tdg, the rest unchanged."""
        for (name, _, _), _n in self._counts:
            if GATES[name].inverse == "none":
                raise ValueError(f"{name} has no inverse")
        return GateCounts({(GATES[name].dagger or name, w, f): n for (name, w, f), n in self._counts})

    def as_free(self, free: bool = True) -> "GateCounts":
        """Every gate marked free (or not), as :func:`qcompile.quantum.qsvt._all_free` does."""
        return GateCounts([((name, w, free), n) for (name, w, _), n in self._counts])

    # ---- figures -----------------------------------------------------------------------
    def by_name(self) -> dict[str, int]:
        """Counts by gate name, barriers excluded, sorted: equals ``Circuit.count_ops()``."""
        out: dict[str, int] = {}
        for (name, _, _), n in self._counts:
            if name != "barrier":
                out[name] = out.get(name, 0) + n
        return dict(sorted(out.items()))

    def cx(self) -> int:
        """CX count in the CX + 1q basis, as :func:`qcompile.circuit.metrics.cx_count`:
        cx, cz = 1, swap = 3, ccx = 6, multi-controlled gates as lowered by
        :func:`qcompile.circuit.decompose.lower_multicontrolled` (taken from ``cx_count`` of
        a one-gate circuit, cached per name and width)."""
        return sum(n * _gate_cx(name, w) for (name, w, _), n in self._counts)

    def total(self) -> int:
        """Number of gates (barriers excluded)."""
        return sum(n for (name, _, _), n in self._counts if name != "barrier")

    def __eq__(self, other) -> bool:
        return isinstance(other, GateCounts) and self._counts == other._counts

    def __hash__(self) -> int:
        return hash(self._counts)

    def __repr__(self) -> str:
        body = ", ".join(f"{'~' if f else ''}{name}/{w}: {n}" for (name, w, f), n in self._counts)
        return f"GateCounts({{{body}}})"


@lru_cache(maxsize=None)
def _gate_cx(name: str, width: int) -> int:
    """CX cost of one gate: :func:`qcompile.resources.gates.gate_cx` (equal to
    :func:`qcompile.circuit.metrics.cx_count` on a one-gate circuit; disk-cached)."""
    from qcompile.resources.gates import gate_cx

    return gate_cx(name, width)


EMPTY = GateCounts()


# ---- the block record -----------------------------------------------------------------------
@dataclass(frozen=True)
class BlockCost:
    """The cost of a :class:`~qcompile.quantum.base.QuantumBlock` without its gates.

    ``counts``: the gates; ``system``/``ancillas``: register sizes (``num_qubits`` is their
    sum); ``exact``: False when ``counts`` is an upper bound rather than the exact count
    (Qiskit-synthesised dilations, or an unknown phase controlled); ``phase``: the
    circuit's global phase, or ``None`` when it is not determined by sizes;
    ``relabelled``: the block leaves its output on another register than its input
    (FABLE; :attr:`qcompile.quantum.base.QuantumBlock.is_relabelled`), which
    :func:`settled_cost` pays for where one register must hold both; ``product_flags``:
    its ancillas that only single-qubit gates touch (a loader's flag), which
    :func:`apply_cost` may put on the padding qubits of a wider factor
    (:func:`qcompile.quantum.combine.product_ancillas`).
    """

    counts: GateCounts
    system: int
    ancillas: int
    exact: bool = True
    phase: float | None = 0.0
    relabelled: bool = False
    product_flags: int = 0

    @property
    def num_qubits(self) -> int:
        """System plus ancilla qubits."""
        return self.system + self.ancillas

    @classmethod
    def of(cls, block) -> "BlockCost":
        """The cost of an actual block (its circuit's counts and global phase)."""
        from qcompile.quantum.combine import product_ancillas

        return cls(GateCounts.of(block.circuit), len(block.system_qubits), len(block.ancilla_qubits),
                   True, float(block.circuit.global_phase), bool(block.is_relabelled),
                   len(product_ancillas(block)))

    def controlled(self, k: int = 1) -> GateCounts:
        """Gates of ``circuit.controlled(k controls)``: :meth:`GateCounts.controlled` plus
        the global phase as one ``p`` (k = 1) or ``mcp`` (k controls) gate when it is
        nonzero mod 2π (always counted when the phase is unknown)."""
        return self.counts.controlled(k) + _phase_gate(self.phase, k)


def _phase_gate(phase: float | None, k: int) -> GateCounts:
    """The gate Circuit.controlled adds for a global ``phase`` on ``k`` controls."""
    if phase is not None:
        p = phase % (2 * math.pi)
        if not (abs(p) > _PHASE_EPS and abs(p - 2 * math.pi) > _PHASE_EPS):
            return EMPTY
    return GateCounts.gate("p", 1) if k == 1 else GateCounts.gate("mcp", k)


def _add_phase(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _all_exact(*blocks: BlockCost) -> bool:
    return all(b.exact for b in blocks)


def _qubits(dim: int) -> int:
    """``⌈log2 dim⌉`` (the library's ``axis_qubits``)."""
    if dim < 1:
        raise ValueError(f"dimension must be >= 1, got {dim}")
    return (int(dim) - 1).bit_length()


def _dims(dims) -> tuple[int, ...]:
    return (int(dims),) if isinstance(dims, (int,)) or not hasattr(dims, "__len__") else tuple(int(d) for d in dims)


# ---- multiplexors and the state-preparation tree --------------------------------------------
def multiplexor_cost(num_controls: int, closing_cx: bool = True, skip: Sequence[bool] | None = None) -> GateCounts:
    """Gray-code multiplexed RY with ``k = num_controls`` controls
    (:func:`qcompile.quantum.state_preparation.append_multiplexed_ry`).

    Without ``skip``: ``2^k`` RY and ``2^k − 1`` CX (+1 closing CX when ``closing_cx`` and
    ``k > 0``).  With a ``skip`` mask (``2^k`` flags, FABLE compression) the count is the
    builder's: skipped RYs are left out and the pending CXs between kept RYs are merged
    by control parity (only controls hit an odd number of times are emitted).  This walks
    the mask once, O(2^k · k), without building gates.
    """
    k = int(num_controls)
    size = 2**k
    if skip is None:
        cx = size - 1 + (1 if closing_cx and k > 0 else 0)
        return GateCounts({("ry", 1, False): size, ("cx", 2, False): cx})
    if len(skip) != size:
        raise ValueError(f"a multiplexor with {k} controls needs {size} skip flags, got {len(skip)}")
    ry = cx = 0
    odd: set[int] = set()
    for i in range(size):
        if not skip[i]:
            cx += len(odd)
            odd.clear()
            ry += 1
        if i < size - 1:
            odd ^= {(i + 1 & -(i + 1)).bit_length() - 1}
        elif closing_cx and k > 0:
            odd ^= {k - 1}
    cx += len(odd)
    return GateCounts({("ry", 1, False): ry, ("cx", 2, False): cx})


def tree_cost(num_qubits: int, levels: range | None = None) -> GateCounts:
    """The state-preparation tree (:func:`append_tree`) on ``n`` qubits, levels ``levels``
    (default all): level ``k`` is a multiplexor with ``k`` controls and no closing CX,
    ``2^k`` RY and ``2^k − 1`` CX.  All levels: ``2^n − 1`` RY and ``2^n − n − 1`` CX
    (Gray-code multiplexors).  Zero angles are not skipped, so the count does not depend
    on the vector."""
    levels = range(num_qubits) if levels is None else levels
    ry = sum(2**k for k in levels)
    cx = sum(2**k - 1 for k in levels)
    return GateCounts({("ry", 1, False): ry, ("cx", 2, False): cx})


def state_preparation_cost(dims, parametric: bool) -> BlockCost:
    """:func:`qcompile.quantum.state_preparation.state_preparation` of an array of shape
    ``dims`` (an int for a vector).

    ``n = max(1, Σ_axes ⌈log2 d⌉)`` system qubits (per-axis zero padding).  Tree (arrays
    with several axes, vectors on fewer than 4 qubits): ``2^n − 1`` RY, ``2^n − n − 1`` CX.
    Schmidt construction (vectors on ``n ≥ 4`` qubits, :func:`schmidt_cost`).  Parametric
    loader: one more RY on the flag qubit (1 ancilla, a product flag).  Every rotation is
    emitted even when its angle is 0, so the count depends only on the padded size, never
    on the entries.
    """
    from qcompile.quantum.state_preparation import uses_schmidt

    shape = _dims(dims)
    n = max(1, sum(_qubits(d) for d in shape))
    counts = schmidt_cost(n) if uses_schmidt(shape) else tree_cost(n)
    if parametric:
        return BlockCost(counts + GateCounts.gate("ry"), n, 1, product_flags=1)
    return BlockCost(counts, n, 0)


def schmidt_cost(n: int) -> GateCounts:
    """:func:`qcompile.quantum.state_preparation.schmidt_gates` on ``n`` qubits: one RZ (the
    phase), the tree on ``k = ⌊n/2⌋`` qubits, ``k`` CX, the QSD of ``V_A`` (``n − k`` qubits;
    for odd ``n`` the isometry of its columns) and of ``U_B`` (``k`` qubits), as counted by
    :func:`qcompile.quantum.unitary_synthesis.qsd_counts` and ``isometry_counts``."""
    from qcompile.quantum.unitary_synthesis import isometry_counts, qsd_counts

    k = n // 2
    first = qsd_counts(n - k) if n % 2 == 0 else isometry_counts(n - k)
    parts = [tree_cost(k), GateCounts.gate("rz"), GateCounts.gate("cx", 2, count=k)]
    for c in (first, qsd_counts(k)):
        parts.append(GateCounts({(name, 1 if name in ("ry", "rz") else 2, False): v for name, v in c.items()}))
    out = EMPTY
    for p in parts:
        out = out + p
    return out


# ---- block encodings ------------------------------------------------------------------------
def input_block_encoding_cost(shape, transpose: bool = False, flag: bool = True) -> BlockCost:
    """:func:`qcompile.quantum.input_block_encoding.input_block_encoding` of a
    ``rows × cols`` input (``transpose``: its inverse, as ``StageBuilder.input_matrix``
    uses for ``Xᵀ``; same names since RY and CX are their own kind's inverse).

    ``n_r = ⌈log2 rows⌉``, ``n_c = ⌈log2 cols⌉`` (``n_c = 1`` for a 1×1 input),
    ``m = n_r + n_c``, ``n = max(n_r, n_c, 1)``: the flag RY, the loader's tree on ``m``
    qubits split in a forward part (levels ``< n_r``) and an inverted part (the rest), and
    the 2n CX of the half SWAP.  Total ``2^m`` RY and ``2^m − m − 1 + 2n`` CX; system ``n``,
    ancillas ``n + 1``.  ``flag=False``: no flag RY, ancillas ``n``.
    """
    rows, cols = (int(d) for d in shape)
    n_r, n_c = _qubits(rows), _qubits(cols)
    if n_r + n_c == 0:
        n_c = 1
    n = max(n_r, n_c, 1)
    m = n_r + n_c
    counts = (GateCounts.gate("ry", count=int(flag)) + tree_cost(m, range(n_r))
              + tree_cost(m, range(n_r, m)).inverse() + GateCounts.gate("cx", 2, count=2 * n))
    if transpose:
        counts = counts.inverse()
    return BlockCost(counts, n, n + int(flag), product_flags=int(flag))


def input_matrix_cost(seq: int, features: int, batch: int = 1, transpose: bool = False,
                      flag: bool = True) -> BlockCost:
    """``StageBuilder.input_matrix``: the input block encoding (inverted for ``Xᵀ``; without
    its norm flag when ``flag`` is False), tensored with the identity on a
    ``⌈log2 batch⌉``-qubit batch register when ``batch > 1`` (no gates, more system qubits)."""
    be = input_block_encoding_cost((seq, features), transpose, flag)
    if batch > 1:
        be = tensor_cost(identity_block_cost(math.ceil(math.log2(batch))), be)
    return be


def rotary_keys_cost(seq: int, features: int, batch: int, head_dim: int, keys: BlockCost) -> BlockCost:
    """:func:`qcompile.quantum.rotary.rotary_keys_block_encoding`: the input block encoding
    of the ``seq × features`` matrix with, between its halves, one multiplexed RY per row
    qubit (``m = ⌈log2 head_dim⌉`` controls, closing CX: ``2^m`` RY and ``2^m`` CX each) and
    the keys' block encoding (settled); system ``n + ⌈log2 batch⌉``, ancillas
    ``n + 1`` plus the keys'."""
    be = input_block_encoding_cost((seq, features))
    m = max(1, _qubits(head_dim))
    keys = settled_cost(keys)
    counts = be.counts + _qubits(seq) * multiplexor_cost(m) + keys.counts
    return BlockCost(counts, be.system + _qubits(batch), be.ancillas + keys.ancillas, keys.exact, keys.phase,
                     product_flags=be.product_flags + keys.product_flags)


def fable_cost(n: int, skip: Sequence[bool] | None = None) -> BlockCost:
    """FABLE block encoding on ``n`` system qubits (``block_encoding(..., method="fable")``).

    ``H^{⊗n}`` on the index register, a multiplexed RY with ``2n`` controls and no
    closing CX (``4^n`` RY, ``4^n − 1`` CX), ``H^{⊗n}`` on the input register (the SWAP
    is a relabelling: the output is the index register): ``2n`` H, ``4^n`` RY,
    ``4^n − 1`` CX; system ``n``, ancillas ``n + 1``, relabelled.

    The builder drops every rotation whose Walsh angle is ``≤ threshold`` in size, and at
    threshold 0 that still drops the angles that are exactly 0 (structured matrices:
    identity, padding, repeated entries).  Without ``skip`` the count assumes none is
    dropped (generic dense weights) and is otherwise an upper bound (merging pending
    CXs never adds one); pass the mask (``4^n`` flags, index as in ``fable_angles``) for the
    exact count of a particular matrix.
    """
    counts = GateCounts.gate("h", count=2 * n) + multiplexor_cost(2 * n, closing_cx=False, skip=skip)
    return BlockCost(counts, n, n + 1, relabelled=True)


def settled_cost(block: BlockCost) -> BlockCost:
    """:func:`qcompile.quantum.combine.settled`: a relabelled block's output moved back
    onto its input register, ``2n`` CX; any other block unchanged."""
    if not block.relabelled:
        return block
    return BlockCost(block.counts + GateCounts.gate("cx", 2, count=2 * block.system), block.system,
                     block.ancillas, block.exact, block.phase, product_flags=block.product_flags)


def orthogonal_qsd_cx(num_qubits: int) -> int:
    """CX count of Qiskit's ``qs_decomposition`` (block-ZXZ, Krol & Al-Ars
    arXiv:2403.13692, with optimisations A.1 and A.2) of a generic real orthogonal
    ``m``-qubit matrix of determinant +1, after ``transpile(O1)``.

    ``m = 1``: 0; ``m = 2``: 2 (``SO(4)`` is ``SU(2) ⊗ SU(2)`` in the magic basis);
    ``m ≥ 3``: ``(22/48)·4^m − (3/2)·2^m + 5/3 = (11·4^m − 36·2^m + 40)/24`` (Qiskit's
    documented count; measured m = 3…6: 19, 95, 423, 1783, checked by the tests).
    Structured matrices come out lower."""
    m = int(num_qubits)
    if m <= 1:
        return 0
    if m == 2:
        return 2
    return (11 * 4**m - 36 * 2**m + 40) // 24


def dilation_cx(num_system: int) -> int:
    """CX count of the one-ancilla dilation of a generic real ``N × N`` matrix on
    ``n = num_system`` qubits (``block_encoding(W)``, the SVD construction):
    ``2·orthogonal_qsd_cx(n) + 2^n − 1`` (``U`` and ``Vᵀ`` by QSD, the multiplexed RY
    without its closing CX).  N = 2…64: 1, 7, 45, 205, 877, 3629 (≈ (11/12)·N² + N, from
    0.86·N² at N = 32); structured matrices (diagonal, permutations, zero Walsh angles)
    come out lower, random ones by a CX or two lower when Qiskit's 1q merging lets two CX
    cancel: an upper bound."""
    n = int(num_system)
    return 2 * orthogonal_qsd_cx(n) + 2**n - 1


def _qsd_one_qubit(m: int) -> dict[str, int]:
    """Typical single-qubit gates of Qiskit's QSD of a generic orthogonal ``m``-qubit
    matrix, by name (fitted to random matrices, m = 2…6)."""
    if m <= 0:
        return {}
    if m == 1:
        return {"ry": 2}
    if m == 2:
        return {"rx": 2, "ry": 6, "rz": 7}
    return {"h": 2 * (4 ** (m - 2) - 1) // 3, "rx": 1, "ry": 3 * 4**m // 8 + 1,
            "rz": 17 * 4**m // 16 - 3 * 2**m // 2 + 2}


def dilation_one_qubit(num_system: int) -> dict[str, int]:
    """Single-qubit gates of a generic dilation on ``n = num_system`` system qubits, by
    name: the two QSDs' typical figures and the multiplexor's ``2^n`` RY.  Qiskit's 1q
    resynthesis merges some across the pieces and trades ``rz`` for ``rx`` between seeds
    (measured totals stayed within these figures); the guaranteed bound is on the total,
    :func:`dilation_one_qubit_bound`."""
    n = int(num_system)
    out: dict[str, int] = {}
    for name, k in _qsd_one_qubit(n).items():
        out[name] = out.get(name, 0) + 2 * k
    out["ry"] = out.get("ry", 0) + 2**n
    return dict(sorted(out.items()))


def dilation_one_qubit_bound(num_system: int) -> int:
    """Upper bound on all single-qubit gates of a dilation on ``n`` system qubits (``m = n + 1``
    qubits): ``3·(2·CX + m)``.  Every qubit's gate sequence is cut by its CXs into at most
    ``c_q + 1`` single-qubit runs (``Σ_q c_q = 2·CX``), and O1's 1q optimisation leaves
    each run at most 3 gates (an Euler triple, or a shorter original run)."""
    n = int(num_system)
    return 3 * (2 * dilation_cx(n) + n + 1)


def dilation_cost(n: int) -> BlockCost:
    """Unitary-dilation block encoding on ``n`` system qubits + 1 ancilla
    (``block_encoding(W, method="dilation")``), ``exact=False``, phase unknown.

    ``cx`` is :func:`dilation_cx` (an upper bound), the single-qubit figures are the
    typical ones of :func:`dilation_one_qubit` (their total is below
    :func:`dilation_one_qubit_bound`).  Both depend on the matrix, which this function
    never sees: the estimator uses it for abstract matrices only, and counts a concrete
    one from its synthesised block
    (:func:`qcompile.resources.estimate.synthesised_dense_cost`).
    """
    one = dilation_one_qubit(n)
    counts = GateCounts({("cx", 2, False): dilation_cx(n), **{(k, 1, False): v for k, v in one.items()}})
    return BlockCost(counts, n, 1, exact=False, phase=None)


def block_encoding_cost(shape, method: str = "dilation", skip: Sequence[bool] | None = None) -> BlockCost:
    """:func:`qcompile.quantum.block_encoding.block_encoding` of a ``rows × cols`` matrix:
    zero-padded to ``n = max(1, ⌈log2 max(rows, cols)⌉)`` qubits, then
    :func:`dilation_cost` (the generic count from the shape alone, an upper bound; the
    exact count of a given matrix needs its synthesis,
    :func:`qcompile.resources.estimate.synthesised_dense_cost`) or :func:`fable_cost`
    (exact for generic weights, or with the ``skip`` mask)."""
    rows, cols = (int(d) for d in shape)
    n = max(1, _qubits(max(rows, cols)))
    if method == "dilation":
        if skip is not None:
            raise ValueError("skip is a FABLE mask")
        return dilation_cost(n)
    if method == "fable":
        return fable_cost(n, skip)
    raise ValueError(f"unknown block-encoding method {method!r} (use 'dilation' or 'fable')")


# ---- combining blocks -------------------------------------------------------------------------
def _sequential_cost(first: BlockCost, second: BlockCost, relabelled: bool, merged: int = 0) -> BlockCost:
    """``second`` after ``first`` on a shared system register, ancillas side by side (a
    relabelled factor is read where it left its output: no gate); ``merged`` of
    ``first``'s product flags sit on padding qubits of the shared register."""
    return BlockCost(first.counts + second.counts, max(first.system, second.system),
                     first.ancillas - merged + second.ancillas, _all_exact(first, second),
                     _add_phase(first.phase, second.phase), relabelled,
                     first.product_flags - merged + second.product_flags)


def product_cost(a: BlockCost, b: BlockCost) -> BlockCost:
    """:func:`qcompile.quantum.combine.product` ``A·B``: both circuits, system
    ``max(n_a, n_b)``, ancillas ``a_a + a_b``; relabelled when either factor is."""
    return _sequential_cost(b, a, a.relabelled or b.relabelled)


def apply_cost(factor: BlockCost, state: BlockCost) -> BlockCost:
    """:func:`qcompile.quantum.combine.apply`: the state's gates then the factor's; system
    ``max`` of both, phases added; ancillas summed, less the state's product flags that
    sit on the factor's padding qubits (``min(flags, n_factor − n_state)``)."""
    merged = min(state.product_flags, max(0, factor.system - state.system))
    return _sequential_cost(state, factor, False, merged)


def tensor_cost(a: BlockCost, b: BlockCost) -> BlockCost:
    """:func:`qcompile.quantum.combine.tensor` ``A ⊗ B``: both circuits side by side,
    systems and ancillas summed; relabelled when either factor is."""
    return BlockCost(b.counts + a.counts, a.system + b.system, a.ancillas + b.ancillas,
                     _all_exact(a, b), _add_phase(b.phase, a.phase), a.relabelled or b.relabelled,
                     a.product_flags + b.product_flags)


def relabel_cost(block: BlockCost) -> BlockCost:
    """:func:`qcompile.quantum.combine.relabel`: the same circuit."""
    return block


def lcu_cost(terms: Sequence[BlockCost], signs: Sequence[int] | None = None) -> BlockCost:
    """:func:`qcompile.quantum.lcu.lcu` of ``K`` terms on the same system size.

    ``signs[k]`` is the sign of coefficient ``c_k`` (+1, −1, or 0 for a term with zero
    weight ``|c_k|·α_k``, which the builder leaves out); default all +1.

    ``K = 1``: the term itself (a negative sign adds π to the global phase, no gate).
    ``K ≥ 2``, ``m = ⌈log2 K⌉`` index qubits: PREP and PREP† are fixed state
    preparations on ``m`` qubits marked free (``2·(2^m − 1)`` free RY,
    ``2·(2^m − m − 1)`` free CX); each kept term ``k`` adds ``2·(m − popcount(k))`` free X
    (0-controls) and its circuit controlled on the ``m`` index qubits
    (:meth:`BlockCost.controlled`; the term's phase, plus π when ``c_k < 0``, becomes a
    ``p``/``mcp`` gate unless it is 0 mod 2π).  System ``n``, ancillas
    ``max_k a_k + m``; the LCU's own global phase is 0.  Where the prefix-code index
    (:func:`qcompile.quantum.lcu.index_code`) of the kept terms needs fewer ancillas,
    :func:`_prefix_lcu_cost`.
    """
    from qcompile.quantum.lcu import index_code

    terms = [settled_cost(t) for t in terms]
    if not terms:
        raise ValueError("lcu needs at least one term")
    signs = [1] * len(terms) if signs is None else [int(s) for s in signs]
    if len(signs) != len(terms) or any(s not in (-1, 0, 1) for s in signs):
        raise ValueError("signs must hold one of -1, 0, +1 per term")
    kept = [k for k, s in enumerate(signs) if s != 0]
    code = index_code([terms[k].ancillas for k in kept])
    if code is not None and code[1] < (len(terms) - 1).bit_length() + max(t.ancillas for t in terms):
        return _prefix_lcu_cost(code[0], code[1], [terms[k] for k in kept], [signs[k] for k in kept])
    return _flat_lcu_cost(terms, signs)


def _prefix_lcu_cost(tree, q: int, terms: list[BlockCost], signs: list[int]) -> BlockCost:
    """:func:`lcu_cost` on a prefix-code index of ``q`` qubits
    (:func:`qcompile.quantum.lcu._prefix_lcu`, steps by
    :func:`qcompile.quantum.lcu.select_plan`): PREP and PREP† free trees on the ``max l``
    codeword qubits; each term adds ``2·zeros`` free X (its controls of value 0) and its
    circuit controlled on its controls, or, with an AND target, ``4·zeros`` free X, two
    free MCX on ``controls + 1`` qubits and its circuit controlled on one qubit."""
    from qcompile.quantum.lcu import select_plan

    n = terms[0].system
    if any(t.system != n for t in terms):
        raise ValueError("lcu terms must act on the same system size")
    weights = [sum(c for (_, _, free), c in t.counts.items() if not free) for t in terms]
    codes, steps = select_plan(tree, q, [t.ancillas for t in terms], weights)
    low = q - max(len(c) for c in codes.values())
    prep = tree_cost(q - low).as_free()
    counts = prep + prep.inverse()
    exact = all(t.exact for t in terms)
    for step in steps:
        t = terms[step.term]
        phase = t.phase if signs[step.term] > 0 else _add_phase(t.phase, math.pi)
        exact = exact and phase is not None
        zeros = sum(1 for _, v in step.controls if not v)
        body = BlockCost(t.counts, t.system, t.ancillas, t.exact, phase)
        if step.target is not None:
            counts = counts + GateCounts.gate("x", 1, True, 4 * zeros) \
                + GateCounts.gate("mcx", len(step.controls) + 1, True, 2) + body.controlled(1)
        else:
            counts = counts + GateCounts.gate("x", 1, True, 2 * zeros) + body.controlled(len(step.controls))
    return BlockCost(counts, n, q, exact, 0.0)


def _flat_lcu_cost(terms: list[BlockCost], signs: list[int]) -> BlockCost:
    """:func:`lcu_cost` in the flat layout."""
    n = terms[0].system
    if any(t.system != n for t in terms):
        raise ValueError("lcu terms must act on the same system size")
    K = len(terms)
    m = (K - 1).bit_length()
    a_max = max(t.ancillas for t in terms)
    exact = all(t.exact for t in terms)
    if m == 0:
        t = terms[0]
        phase = t.phase if signs[0] >= 0 else _add_phase(t.phase, math.pi)
        return BlockCost(t.counts, n, a_max, exact, None if phase is None else 0.0 + phase,
                         product_flags=t.product_flags)
    prep = tree_cost(m).as_free()
    counts = prep + prep.inverse()
    for k, (t, s) in enumerate(zip(terms, signs)):
        if s == 0:
            continue
        phase = t.phase if s > 0 else _add_phase(t.phase, math.pi)
        exact = exact and phase is not None
        zeros = m - bin(k).count("1")
        counts = counts + GateCounts.gate("x", 1, True, 2 * zeros)
        counts = counts + BlockCost(t.counts, t.system, t.ancillas, t.exact, phase).controlled(m)
    return BlockCost(counts, n, a_max + m, exact, 0.0)


def diagonal_cost(state: BlockCost) -> BlockCost:
    """:func:`qcompile.quantum.diagonal.diagonal_from_state` (COPY): the state's circuit and
    ``n`` CX onto a fresh ``n``-qubit system register; ancillas ``n + a``."""
    return BlockCost(state.counts + GateCounts.gate("cx", 2, count=state.system), state.system,
                     state.system + state.ancillas, state.exact, state.phase, product_flags=state.product_flags)


def constant_diagonal_cost(n: int) -> BlockCost:
    """:func:`qcompile.quantum.diagonal.constant_diagonal`: a multiplexed RY on one ancilla
    with ``n`` controls (:func:`multiplexor_cost`)."""
    return BlockCost(multiplexor_cost(n), n, 1)


def shifted_diagonal_cost(terms: Sequence[BlockCost], signs: Sequence[int], n: int, constant: bool,
                          folded: bool = False) -> BlockCost:
    """:func:`qcompile.quantum.diagonal.shifted_diagonal`: the states widened to ``m + n``
    system qubits (``m`` the widest, at least ``n``, and 2 with ``folded`` norm flags), the
    constant term (``n`` CX, after a multiplexed RY with ``n`` controls when ``constant``
    and one RY when ``folded``) with a positive coefficient, their :func:`lcu_cost`, then
    ``n`` CX.  System ``n``; ancillas ``m`` + the LCU's."""
    m = max([t.system for t in terms] + [n, 2 if folded else 1])
    padded = [pad_system_cost(t, m + n) for t in terms]
    term = (multiplexor_cost(n) if constant else EMPTY) + GateCounts.gate("ry", count=int(folded)) \
        + GateCounts.gate("cx", 2, count=n)
    lcu = lcu_cost(padded + [BlockCost(term, m + n, 0)], list(signs) + [1])
    return BlockCost(lcu.counts + GateCounts.gate("cx", 2, count=n), n, m + lcu.ancillas, lcu.exact, lcu.phase)


# ---- QSVT and elementwise functions -------------------------------------------------------------
def qsvt_definite_cost(block: BlockCost, degree: int) -> BlockCost:
    """:func:`qcompile.quantum.qsvt.qsvt_definite` of degree ``d`` on a block with ``a``
    ancillas (:func:`real_qsvt_circuit`).

    Two free H on the phase qubit, one RZ for the folded first/last phase, ``d − 1``
    projector phases (each one RZ between two free flips; a flip is ``2a`` free X around a
    free ``mcx`` on ``a + 1`` qubits, or one free X when ``a = 0``), and ``d`` calls:
    ``⌈d/2⌉`` U and ``⌊d/2⌋`` U†, all free except the last U of an odd degree.  Every
    RZ is emitted whatever its phase (a zero phase is not skipped), so the count does not
    depend on the phases.  Global phase: ``(d mod 2)·φ_U``.  Ancillas ``a + 1``.
    """
    d = int(degree)
    if d < 0:
        raise ValueError(f"degree must be >= 0, got {d}")
    block = settled_cost(block)
    a = block.ancillas
    if a:
        flip = GateCounts.gate("x", 1, True, 2 * a) + GateCounts.gate("mcx", a + 1, True)
    else:
        flip = GateCounts.gate("x", 1, True)
    pc = flip * 2 + GateCounts.gate("rz")
    u_free = block.counts.as_free()
    u_dag = block.counts.inverse().as_free()
    n_u, n_udag = (d + 1) // 2, d // 2
    odd = d % 2
    counts = (GateCounts.gate("h", 1, True, 2) + GateCounts.gate("rz") + pc * max(d - 1, 0)
              + u_free * (n_u - odd) + u_dag * n_udag + block.counts * odd)
    phase = block.phase if odd else 0.0  # U and U† phases cancel exactly in pairs
    # the phase qubit sees only H, RZ and (no ancilla to control on) X: a product flag
    return BlockCost(counts, block.system, a + 1, block.exact, phase, product_flags=int(a == 0))


def qsvt_cost(block: BlockCost, degree: int, parity: str | None = None, other_degree: int | None = None) -> BlockCost:
    """:func:`qcompile.quantum.qsvt.qsvt` of a polynomial of degree ``d``.

    ``parity`` "even"/"odd": :func:`qsvt_definite_cost`.  ``parity=None`` (mixed): the
    even and odd parts get their own QSVT and are added by a 2-term LCU with positive
    coefficients (:func:`lcu_cost`): the part of ``d``'s parity has degree ``d``, the other
    part degree ``other_degree`` (its last nonzero Chebyshev coefficient; default
    ``d − 1``, the generic case).  Ancillas ``a + 2``.
    """
    d = int(degree)
    if parity is not None:
        if parity not in ("even", "odd") or d % 2 != (parity == "odd"):
            raise ValueError(f"a degree-{d} polynomial cannot have parity {parity!r}")
        return qsvt_definite_cost(block, d)
    other = d - 1 if other_degree is None else int(other_degree)
    if other < 0 or other >= d or (d - other) % 2 == 0:
        raise ValueError(f"the other-parity part of a degree-{d} polynomial cannot have degree {other}")
    d_even, d_odd = (d, other) if d % 2 == 0 else (other, d)
    return lcu_cost([qsvt_definite_cost(block, d_even), qsvt_definite_cost(block, d_odd)])


def elementwise_cost(argument: BlockCost, degree: int, parity: str | None = None,
                     other_degree: int | None = None) -> BlockCost:
    """:func:`qcompile.quantum.elementwise.elementwise` of a state ``argument`` with a
    polynomial of degree ``d`` (``parity``/``other_degree`` as in :func:`qsvt_cost`).

    ``diagonal_from_state`` (:func:`diagonal_cost`), the QSVT (:func:`qsvt_cost`), and ``n``
    H on the system register (``|+⟩^n``).  System ``n``; ancillas ``n + a + 1`` (+1 mixed).
    The count depends on the polynomial only through its degree(s), not its phases.
    """
    return elementwise_of_diagonal_cost(diagonal_cost(argument), degree, parity, other_degree)


def elementwise_of_diagonal_cost(diagonal: BlockCost, degree: int, parity: str | None = None,
                                 other_degree: int | None = None) -> BlockCost:
    """:func:`qcompile.quantum.elementwise.elementwise_of_diagonal`: the QSVT of the
    diagonal's block encoding (:func:`qsvt_cost`) and ``n`` H on its system register."""
    be = qsvt_cost(diagonal, degree, parity, other_degree)
    return BlockCost(GateCounts.gate("h", count=be.system) + be.counts, be.system, be.ancillas,
                     be.exact, be.phase, product_flags=be.product_flags)


def row_loader_cost(row_qubits: int, column_qubits: int) -> BlockCost:
    """:func:`qcompile.quantum.row_diagonal.row_loader`: the column levels of the tree on
    ``n_r + n_c`` qubits (:func:`tree_cost`) and the flag's multiplexor on ``n_r`` controls
    (closing CX when ``n_r > 0``); system ``n_r + n_c``, the flag its ancilla."""
    n_r, n_c = int(row_qubits), max(1, int(column_qubits))
    counts = tree_cost(n_r + n_c, range(n_r, n_r + n_c)) + multiplexor_cost(n_r, closing_cx=n_r > 0)
    return BlockCost(counts, n_r + n_c, 1, True, 0.0)


def row_diagonal_cost(keys: BlockCost, index: tuple[int, int], state: BlockCost | None = None,
                      queries: BlockCost | None = None, chain: Sequence[BlockCost] = (),
                      width: int = 0, rotary: tuple[BlockCost, int, int] | None = None) -> BlockCost:
    """:func:`qcompile.quantum.row_diagonal.row_diagonal`.  Plain: ``state``'s circuit,
    ``n_b`` CX and the keys' row loader inverted; ancillas: the state's system and
    ancillas and the flag.  Rotary (``rotary = (M, head_dim, row_qubits)``): plain plus
    one multiplexed RY per rotated row bit (``m = ⌈log2 head_dim⌉`` controls, closing CX)
    and the settled ``M``, whose ancillas are added.  Grouped: the queries' row loader, ``n_b`` CX, every settled
    factor of the chain, ``2·n_b`` CX and the keys' loader inverted; ancillas: the work
    register (``width`` qubits), two flags and the chain's ancillas.  System ``n_s + n_b``."""
    n_s, n_b = index
    if state is not None:
        counts = state.counts + GateCounts.gate("cx", 2, count=n_b) + keys.counts.inverse()
        ancillas, exact, phase = state.system + state.ancillas + 1, state.exact and keys.exact, state.phase
        if rotary is not None:
            inner, head_dim, row_qubits = rotary
            inner = settled_cost(inner)
            counts = counts + row_qubits * multiplexor_cost(max(1, _qubits(head_dim))) + inner.counts
            ancillas, exact, phase = ancillas + inner.ancillas, exact and inner.exact, _add_phase(phase, inner.phase)
        return BlockCost(counts, n_s + n_b, ancillas, exact, phase)
    chain = [settled_cost(b) for b in chain]
    counts = queries.counts + GateCounts.gate("cx", 2, count=3 * n_b) + keys.counts.inverse()
    phase: float | None = 0.0
    for b in chain:
        counts = counts + b.counts
        phase = _add_phase(phase, b.phase)
    return BlockCost(counts, n_s + n_b, width + 2 + sum(b.ancillas for b in chain),
                     _all_exact(keys, queries, *chain), phase)


def rank_one_cost(u: BlockCost, w_len: int) -> BlockCost:
    """:func:`qcompile.lowering.circuits.rank_one_block` of a state ``u`` and a fixed vector
    of length ``w_len``: the fixed preparation of ``w`` inverted (``n_w = max(1, ⌈log2
    w_len⌉)`` qubits, :func:`state_preparation_cost`), ``2n`` CX with
    ``n = max(n_u, n_w)``, and ``u``'s circuit.  System ``n``, ancillas ``n + a_u``."""
    w = state_preparation_cost(w_len, parametric=False)
    n = max(u.system, w.system)
    counts = w.counts.inverse() + GateCounts.gate("cx", 2, count=2 * n) + u.counts
    return BlockCost(counts, n, n + u.ancillas, u.exact, u.phase, product_flags=u.product_flags)


# ---- the StageBuilder's small steps (qcompile.lowering.circuits) --------------------------------
def identity_block_cost(num_qubits: int) -> BlockCost:
    """``identity_block``: no gates, ``num_qubits`` system qubits."""
    return BlockCost(EMPTY, int(num_qubits), 0)


def input_row_cost(seq: int, features: int, token: int | None = None) -> BlockCost:
    """``StageBuilder.input_row``: row ``token`` of a ``seq × features`` input is its own
    parametric loader (:func:`state_preparation_cost` of ``features`` entries: system =
    the feature register, ancilla = the flag); ``token=None`` (or ``ROW = -1``): every
    row, the matrix's loader (system = columns and rows, ancilla = the flag)."""
    if token is None or token < 0:
        return state_preparation_cost((seq, features), parametric=True)
    if not 0 <= token < seq:
        raise ValueError(f"token {token} is not a row of a {seq}-row input")
    return state_preparation_cost(features, parametric=True)


def const_cost(dims, seq: int | None = None) -> BlockCost:
    """``StageBuilder.const``: a fixed state preparation of a vector of shape ``dims``
    (:func:`state_preparation_cost`), and with ``seq`` the uniform superposition of the
    tokens on the register above it (all-row spreading): ``max(1, log2 seq)`` H for a power
    of two, else the fixed state preparation of ``seq`` equal entries."""
    prep = state_preparation_cost(dims, parametric=False)
    if seq is None:
        return prep
    nt = max(1, math.ceil(math.log2(seq)))
    spread = GateCounts.gate("h", count=nt) if 2**nt == seq else state_preparation_cost(seq, parametric=False).counts
    return BlockCost(prep.counts + spread, prep.system + nt, 0)


def pad_system_cost(block: BlockCost, n: int) -> BlockCost:
    """``_pad_system``: the same gates on ``n ≥ system`` system qubits."""
    if n < block.system:
        raise ValueError(f"cannot pad {block.system} system qubits down to {n}")
    return BlockCost(block.counts, int(n), block.ancillas, block.exact, block.phase,
                     product_flags=block.product_flags)


def narrowed_cost(block: BlockCost, n: int) -> BlockCost:
    """``narrowed``: a state on at most ``n`` system qubits, the rest become ancillas."""
    if block.system <= n:
        return block
    return BlockCost(block.counts, int(n), block.ancillas + block.system - int(n), block.exact, block.phase,
                     product_flags=block.product_flags)


def negate_cost(block: BlockCost) -> BlockCost:
    """``_negate``: the same gates, global phase + π (which costs a gate only when the
    block is later controlled)."""
    return BlockCost(block.counts, block.system, block.ancillas, block.exact, _add_phase(block.phase, math.pi),
                     product_flags=block.product_flags)
