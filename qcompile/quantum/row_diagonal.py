"""Max-norm diagonal block encodings of attention scores: row loaders and row-wise diagonals.

The diagonal of a vector ``v`` built from its state (:mod:`qcompile.quantum.diagonal`) has
``alpha ≥ ‖v‖₂``; when ``v`` is attention scores, ``v_(β,s) = ⟨x_s, u_β⟩`` (key row ``x_s``
against head ``β``'s block of a query vector ``u``), the diagonal can be built from the
rows instead, with ``alpha = R·α_u`` where ``R`` bounds every row's norm: a bound on
``max|v|``, not on ``‖v‖₂`` (no ``√seq``).

**Row loader.**  For a matrix ``X`` (``2^{n_r} × 2^{n_c}`` after zero padding) with every
row ``‖x_i‖ ≤ R``, the circuit ``RL`` on a row register ``I`` (``n_r`` qubits, only read),
a column register ``J`` (``n_c ≥ 1`` qubits, starts at 0) and a flag ``f`` (starts at 0):
``RL |i⟩|0⟩_J|0⟩_f = |i⟩ ⊗ (x_i/R ⊗ |0⟩_f + |g_i⟩ ⊗ |1⟩_f)`` for every basis ``|i⟩``.
Proof: its first part is the column levels of the state-preparation tree of ``X``
(:mod:`qcompile.quantum.state_preparation`) multiplexed on ``I``; for each basis ``|i⟩`` they
prepare ``x_i/‖x_i‖`` (each level's target is still 0 when it runs, all the tree needs;
the last level carries the signs; a zero row gives ``|0⟩``), then an RY on ``f``
multiplexed on ``I`` with ``cos(θ_i/2) = ‖x_i‖/R ∈ [0, 1]`` scales the ``f = 0`` branch by
``‖x_i‖/R``.  Its adjoint therefore has ``⟨i|⟨0_J 0_f| RL† |i'⟩|w⟩|0_f⟩ = δ_ii' ⟨x_i|w⟩/R``
for every ``w`` (the unloader).

**Row-wise diagonal** (:func:`row_diagonal`), index register ``(s, β)`` (``β``: heads, the high
bits), work register ``W``:

* *plain*: prepare a state ``u/α_u`` on ``W = (c, β')``; ``CX β → β'``; unload ``X``'s row
  ``s`` from ``c``.  Post-selecting ``W``, the flag and ``u``'s ancillas on 0 keeps
  ``Σ_c x_s[c] u[β, c] / (R α_u)``, and ``(s, β)`` is only read: the block is
  ``diag(v)/(R α_u)`` with ``v_(β,s) = ⟨x_s, u_β⟩``.  ``|v| ≤ ‖x_s‖‖u_β‖ ≤ R α_u``.
* *rotary* (RoPE keys ``k_s = M R̃_s x_s``-like, :class:`qcompile.qir.nodes.RotaryKeys`): as
  *plain*, with ``Σ_s |s⟩⟨s| ⊗ R̃_sᵀ`` on ``W``'s feature bits controlled by the index's row
  bits (:func:`qcompile.quantum.rotary.append_row_rotations`) and then the settled block
  encoding of ``M`` on ``W`` (its own ancillas, post-selected) between preparing ``u`` and
  the ``CX``: the block is ``diag(v)/(R α_M α_u)`` with ``v_(β,s) = ⟨x_s, (M R̃_sᵀ u)_β⟩``,
  and ``|v| ≤ R·‖M‖₂·‖u‖ ≤ R α_M α_u`` (``R̃_s`` is orthogonal).
* *grouped* (QK-norm: every head's block of the keys and of the query has its own bound):
  load the query's head ``β`` (row loader of the ``heads × d_q`` query, rows ``≤ R_q``) into
  ``W``'s low bits, ``CX β → β''``, apply the chain of block encodings of ``P`` (``α_P``),
  then ``CX β → β'`` and ``CX β → γ`` (the group bits of the key features) and unload the
  keys' group row ``x_(s,β)`` (the ``(seq·heads) × d_k`` matrix of every row's head
  blocks, rows ``≤ R_k``) from the low bits.  The block is ``diag(v)/(R_k α_P R_q)`` with
  ``v_(β,s) = ⟨x_(s,β), (P q_β)_(β,β)⟩`` — the scores ``Σ_γ ⟨x_(s,γ), (P q)_(β,γ)⟩``
  exactly when ``P`` maps head ``β`` of the query into group ``β`` of head ``β``'s block
  only (the caller checks it), and ``|v| ≤ R_k ‖P‖₂ R_q ≤ R_k α_P R_q``.

Padding: rows past ``seq`` or heads past ``B`` are zero rows, whose flag angle is ``π``
(amplitude 0), so padded diagonal entries are 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.errors import BindError
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.multiplexor import multiplexor_angles
from qcompile.quantum.state_preparation import (
    LoaderBlock,
    append_multiplexed_ry,
    append_tree,
    tree_angles,
)


@dataclass
class RowLoader(LoaderBlock):
    """The row loader of a matrix input (module docstring).  System: ``J`` (low) then ``I``;
    the flag is the ancilla; only the block's columns with ``J = 0`` are specified.

    ``groups`` arranges the bound array first: 0 — a matrix ``rows × cols`` as it is;
    ``g > 0`` — a matrix ``seq × (g·d)`` whose row ``s`` is split into ``g`` blocks of ``d``,
    row ``(s, β)`` of the loaded matrix being block ``β`` of row ``s`` (``β`` the low row
    bits); a vector of ``g·d`` entries is the ``g × d`` matrix of its blocks."""

    row_qubits: int = 0
    column_qubits: int = 1
    groups: int = 0
    head_qubits: int = 0

    def arrange(self, array) -> np.ndarray:
        """The padded ``2^{n_r} × 2^{n_c}`` matrix of rows for a bound input."""
        x = np.asarray(array, dtype=float)
        if self.groups:
            g = self.groups
            if x.ndim == 1:
                x = x.reshape(1, g, -1)
            else:
                x = x.reshape(x.shape[0], g, -1)
            seq, _, d = x.shape
            hb = 2 ** self.head_qubits
            padded = np.zeros((seq, hb, d))
            padded[:, :g, :] = x
            x = padded.reshape(seq * hb, d)
        rows, cols = 2 ** self.row_qubits, 2 ** self.column_qubits
        if x.ndim != 2 or x.shape[0] > rows or x.shape[1] > cols:
            raise BindError(f"input '{self.name}' of shape {list(np.shape(array))} does not fit a row loader "
                            f"of {rows} x {cols}")
        out = np.zeros((rows, cols))
        out[:x.shape[0], :x.shape[1]] = x
        return out

    def bind(self, array) -> dict[str, np.ndarray]:
        """Parameter values for an input whose every row (group) has norm ``≤ bound``
        (:class:`BindError` otherwise)."""
        x = np.asarray(array, dtype=float)
        if x.shape != tuple(self.shape):
            raise BindError(f"input '{self.name}' must have shape {list(self.shape)}, got {list(x.shape)}")
        if not np.all(np.isfinite(x)):
            raise BindError(f"input '{self.name}' has non-finite entries (nan or inf)")
        m = self.arrange(x)
        norms = np.linalg.norm(m, axis=1)
        if norms.max(initial=0.0) > self.bound * (1 + 1e-12):
            raise BindError(f"input '{self.name}' has a row of norm {norms.max():.6g}, above its row bound "
                            f"{self.bound:.6g}")
        theta = 2.0 * np.arccos(np.minimum(1.0, norms / self.bound))
        n_r = self.row_qubits
        tree = tree_angles(m.reshape(-1))            # levels 0..n_r+n_c-1, concatenated
        columns = tree[2**n_r - 1:]                   # the column levels (multiplexed on the rows)
        return {self.name: np.concatenate([multiplexor_angles(theta), columns])}


def row_loader(shape, bound: float, name: str, row_qubits: int, column_qubits: int, groups: int = 0,
               head_qubits: int = 0) -> RowLoader:
    """The parametric :class:`RowLoader` of an input of ``shape`` (module docstring) on
    ``row_qubits`` row and ``column_qubits ≥ 1`` column qubits, every row (group) of norm
    ``≤ bound``; ``alpha = bound``.  Qubits: ``J`` = ``0..n_c-1``, ``I`` next, the flag last.
    CX: ``2^{n_r+n_c} − 2^{n_r}`` (column levels) ``+ 2^{n_r}`` (the flag's multiplexor, with
    its closing CX) when ``n_r > 0``."""
    n_r, n_c = int(row_qubits), max(1, int(column_qubits))
    bound = float(bound)
    if not (bound > 0 and math.isfinite(bound)):
        raise ValueError(f"the row bound must be a positive finite number, got {bound}")
    m = n_r + n_c
    circuit = Circuit(m + 1)
    params = circuit.declare_parameters(name, 2**m)
    flag_params, tree = params[:2**n_r], params[2**n_r:]
    qubits = tuple(range(m))                        # J low, I high: the tree's layout
    # the column levels (k = n_r … m−1) read their angles at [2^k − 1, 2^{k+1} − 1) of the
    # full tree's concatenation; ``tree`` starts at 2^{n_r} − 1
    offset = 2**n_r - 1
    padded = [None] * offset + list(tree)
    append_tree(circuit, qubits, padded, levels=range(n_r, m))
    append_multiplexed_ry(circuit, m, qubits[n_c:], flag_params, closing_cx=n_r > 0)
    circuit.add_register(f"{name}.columns", qubits[:n_c])
    circuit.add_register(f"{name}.rows", qubits[n_c:])
    circuit.add_register(f"{name}.flag", (m,))
    return RowLoader(circuit, bound, qubits, (m,), "block_encoding", tuple(int(d) for d in shape),
                     {"row_qubits": n_r, "column_qubits": n_c}, bound=bound, name=name,
                     row_qubits=n_r, column_qubits=n_c, groups=int(groups), head_qubits=int(head_qubits))


def _settled(block: QuantumBlock) -> QuantumBlock:
    from qcompile.quantum.combine import settled

    return settled(block)


def row_diagonal(keys: RowLoader, index: tuple[int, int], *, state: QuantumBlock | None = None,
                 queries: RowLoader | None = None, chain: Sequence[QuantumBlock] = (),
                 dims: tuple[int, int] = (0, 0), length: int | None = None,
                 rotary: tuple[QuantumBlock, Sequence[float], int, int] | None = None) -> QuantumBlock:
    """Block encoding of ``diag(v)`` for scores ``v`` (module docstring).

    ``index = (n_s, n_b)``: the index register's row and head qubits (``s`` low).
    Plain: ``state`` is ``u`` (its system: ``c`` low, then ``n_b`` head bits), ``keys`` rows
    are ``s`` (``n_r = n_s``); ``alpha = R·α_u``.  Grouped: ``queries`` loads head ``β``'s
    query (rows: heads, ``n_r = n_b``), ``chain`` are the block encodings of ``P``'s factors
    in the order they apply, ``dims = (q_bits, k_bits)``: per-head query bits and the
    head's padded key-block bits (``log2 block``), ``keys`` rows are ``(s, β)`` with ``β``
    low; ``alpha = R_k·Π α·R_q``.  Rotary (plain only): ``rotary = (M, frequencies,
    head_dim, row_qubits)``, the rotations controlled by the low ``row_qubits`` row bits;
    ``alpha = R·α_M·α_u``.  System: the index register (qubits ``0 … n_s+n_b−1``);
    everything else is post-selected.  ``length``: the logical diagonal length.
    """
    n_s, n_b = index
    n_idx = n_s + n_b
    s_bits, b_bits = tuple(range(n_s)), tuple(range(n_s, n_idx))
    if (state is None) == (queries is None):
        raise ValueError("row_diagonal takes a state (plain) or a query loader (grouped)")
    n_c = keys.column_qubits
    if state is not None:
        width = len(state.system_qubits)
        if width != n_c + n_b or keys.row_qubits != n_s:
            raise ValueError(f"plain row diagonal: state on {width} qubits, keys {keys.row_qubits}x{n_c}, "
                             f"index {index}")
        w = tuple(range(n_idx, n_idx + width))
        anc = tuple(range(n_idx + width, n_idx + width + len(state.ancilla_qubits)))
        inner = _settled(rotary[0]) if rotary is not None else None
        first = n_idx + width + len(anc)
        inner_anc = tuple(range(first, first + (len(inner.ancilla_qubits) if inner else 0)))
        flag = first + len(inner_anc)
        circuit = Circuit(flag + 1, parameters=dict(state.circuit.parameters))
        circuit.compose(state.placed(w, anc, flag + 1))
        alpha = keys.alpha * state.alpha
        if inner is not None:
            from qcompile.quantum.rotary import append_row_rotations

            _, frequencies, head_dim, row_qubits = rotary
            if len(inner.system_qubits) != width or row_qubits > n_s:
                raise ValueError(f"rotary row diagonal: keys' map on {len(inner.system_qubits)} qubits, "
                                 f"work register {width}, rotations on {row_qubits} of {n_s} row bits")
            append_row_rotations(circuit, w[:n_c], s_bits, row_qubits, frequencies, head_dim)
            circuit.compose(inner.placed(w, inner_anc, flag + 1))
            alpha *= inner.alpha
        for k in range(n_b):
            circuit.append("cx", (b_bits[k], w[n_c + k]))
        extra = anc + inner_anc + (flag,)
        unload_rows = s_bits
    else:
        q_bits, k_bits = dims
        chain = [_settled(b) for b in chain]
        width = max([queries.column_qubits + n_b, k_bits + n_b] + [len(b.system_qubits) for b in chain])
        w = tuple(range(n_idx, n_idx + width))
        nxt = n_idx + width
        flag_q = nxt
        nxt += 1
        placed = []
        for b in chain:
            a = tuple(range(nxt, nxt + len(b.ancilla_qubits)))
            nxt += len(a)
            placed.append((b, a))
        flag = nxt
        circuit = Circuit(flag + 1)
        if queries.row_qubits != n_b or queries.column_qubits != q_bits or keys.row_qubits != n_s + n_b:
            raise ValueError("grouped row diagonal: loader shapes do not match the index register")
        # load head β's query: rows from the index's head bits, columns on W's low bits
        circuit.compose(queries.circuit, list(w[:q_bits]) + list(b_bits) + [flag_q])
        for k in range(n_b):
            circuit.append("cx", (b_bits[k], w[q_bits + k]))
        alpha = keys.alpha * queries.alpha
        for b, a in placed:
            circuit.compose(b.placed(w[:len(b.system_qubits)], a, flag + 1))
            alpha *= b.alpha
        for k in range(n_b):
            circuit.append("cx", (b_bits[k], w[k_bits + k]))       # head bits β' of the key block
            circuit.append("cx", (b_bits[k], w[n_c + k]))          # group bits γ inside the block
        extra = (flag_q,) + tuple(q for _, a in placed for q in a) + (flag,)
        unload_rows = b_bits + s_bits                               # rows (s, β), β low
    # unload the key row: RL† with J on W's low bits, I on the index bits, its flag
    circuit.compose(keys.circuit.inverse(), list(w[:n_c]) + list(unload_rows) + [flag])
    n = length if length is not None else 2**n_idx
    return QuantumBlock(circuit, float(alpha), tuple(range(n_idx)), w + extra, "block_encoding", (n, n),
                        {"row_diagonal": "grouped" if state is None else "rotary" if rotary else "plain"})
