"""Block encoding of an input matrix X from its parametric loader (DESIGN §5 row 2).

Derivation (Gilyén–Su–Low–Wiebe arXiv:1806.01838, Lemma 47; Kerenidis–Prakash split).
The loader of X (shape ``rows × cols``, row register I of ``n_r`` qubits above column
register J of ``n_c`` qubits, flag f) is ``RY_f · T_col · T_row`` where the tree's first
``n_r`` levels act on I only and the last ``n_c`` levels target J, multiplexed on I:

* ``T_row |0⟩_I = |ℓ⟩ = Σ_i (‖X_i‖/‖X‖_F) |i⟩``   (row norms),
* ``T_col |i⟩_I|0⟩_J = |i⟩ ⊗ |X_i⟩ = |i⟩ ⊗ Σ_j (X_ij/‖X_i‖) |j⟩``  for every basis |i⟩
  (each level's target is still |0⟩ when it runs, which is all the tree needs),
* ``⟨0_f| RY_f |0_f⟩ = ‖X‖_F / B``.

Hence ``⟨0_f|⟨i|_I⟨0|_J · T_col† · T_row · RY_f · |0_f⟩|0⟩_I|j⟩_J
= (T_col|i,0⟩)† (|ℓ⟩|j⟩) ‖X‖_F/B = (X_ij/‖X_i‖)(‖X_i‖/‖X‖_F)(‖X‖_F/B) = X_ij / B``:
input on J, output on I.  To make input and output the same register we use a system
register S of ``n = max(n_r, n_c)`` qubits with ``J = S[:n_c]`` and an ancilla register
``I' `` of ``n`` qubits with ``I = I'[:n_r]``, and end with ``SWAP(S, I')``: the output i moves
to S, and the post-selected ancillas I' receive J (must be 0, as above) and the input's
high bits ``S[n_c:]`` (so padded columns give 0); output high bits come from the untouched
``I'[n_r:]`` (so padded rows give 0).  Only the ancilla-0 branch of the SWAP matters, and
there ``CX(I'→S)·CX(S→I')`` (time order) agrees with it: 2n CX instead of 3n.  Block: ``X`` zero-padded to ``2^n × 2^n`` over ``B``.

``alpha = B``; ancillas ``n + 1`` (I' and the flag); qubits ``2n + 1``.  The circuit's
parameters are the loader's (same vector name, same indices), so ``bind(X)`` is the
loader's bind.

Between ``T_row`` and ``T_col†`` the row register holds ``Σ_i ℓ_i |i⟩`` and the input is
untouched on J: a ``middle`` circuit placed there (on S, I' and qubits of its own) that
acts as ``Σ_i |i⟩⟨i| ⊗ W_i`` on (I', S) turns the block into ``(x_iᵀ W_i)_i`` rows
(:mod:`qcompile.quantum.rotary` puts rotary keys there).

Without the flag (``flag=False``) the block is ``X/‖X‖_F``: the same circuit less ``RY_f``
and its qubit, one ancilla fewer.  Its scale then depends on the input, so only a caller
that puts ``‖X‖_F/B`` back into its own input-dependent weights may use it
(:func:`qcompile.quantum.diagonal.shifted_diagonal`'s folded norm flags); ``alpha`` is
still reported as ``B``, the scale of the flagged block it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

from qcompile.circuit.ir import Circuit
from qcompile.quantum.state_preparation import LoaderBlock, append_tree, axis_qubits, state_preparation


@dataclass
class InputBlockEncoding(LoaderBlock):
    """Block encoding of an input matrix; ``bind(X)`` gives the loader's parameter values."""


def input_block_encoding(shape, bound: float, name: str = "x", middle=None, flag: bool = True) -> InputBlockEncoding:
    """Parametric block encoding of an input matrix ``X`` of ``shape = (rows, cols)`` with ``‖X‖_F ≤ bound``.

    ``alpha = bound``; system ``n = max(1, ⌈log2 rows⌉, ⌈log2 cols⌉)`` qubits, ancillas
    ``n + 1``.  Derivation in the module docstring.  ``middle = (extra, build)`` adds
    ``extra`` qubits after the flag and calls ``build(circuit, system, rows, extras)``
    between the row preparation and the column un-preparation (module docstring); the
    caller accounts for what it does to the block.  ``flag=False`` leaves the norm flag
    out: the block is ``X/‖X‖_F`` (module docstring), ancillas ``n``.
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) != 2:
        raise ValueError(f"input_block_encoding takes a matrix shape [rows, cols], got {list(shape)}")
    loader = state_preparation(shape, bound=bound, name=name)
    n_r, n_c = axis_qubits(shape[0]), axis_qubits(shape[1])
    if n_r + n_c == 0:  # a 1×1 input: the loader padded it to one column qubit
        n_c = 1
    n = max(n_r, n_c, 1)
    m = n_r + n_c  # loader's system qubits (column qubits low)
    system = tuple(range(n))
    rows_reg = tuple(range(n, 2 * n))
    flag = 2 * n if flag else None
    width = 2 * n + (flag is not None)
    # loader qubit k -> circuit qubit: columns J = S[:n_c], rows I = I'[:n_r]
    loader_map = tuple(system[:n_c]) + tuple(rows_reg[:n_r])
    extra = middle[0] if middle else 0
    circuit = Circuit(width + extra)
    angles = circuit.declare_parameters(name, loader.circuit.parameters[name])  # the loader's vector
    flag_angle, tree = angles[0], angles[1:]
    circuit.add_register(f"{name}.system", system)
    circuit.add_register(f"{name}.rows", rows_reg)
    if flag is not None:
        circuit.add_register(f"{name}.flag", (flag,))
        circuit.append("ry", (flag,), (flag_angle,))
    # T_row: levels 0..n_r-1 (targets are the row qubits), acting on I only
    append_tree(circuit, loader_map, tree, levels=range(n_r))
    if middle:
        middle[1](circuit, system, rows_reg, tuple(range(width, width + extra)))
    # T_col^†: the remaining levels, inverted
    col = Circuit(width + extra)
    append_tree(col, loader_map, tree, levels=range(n_r, m))
    circuit.compose(col.inverse())
    # SWAP(S, I') on the branch where I' ends at 0: CX(I'→S) then CX(S→I') maps
    # (I'=a, S=s) to (I'=s, S=s⊕a), so post-selecting I'=0 leaves S = a, as SWAP does (2n CX, not 3n).
    for s, r in zip(system, rows_reg):
        circuit.append("cx", (r, s))
    for s, r in zip(system, rows_reg):
        circuit.append("cx", (s, r))
    extras = tuple(range(width, width + extra))   # the middle's own qubits (its caller assigns them)
    flags = (flag,) if flag is not None else ()
    return InputBlockEncoding(circuit, float(bound), system, rows_reg + flags + extras, "block_encoding", shape,
                              {"loader_registers": loader.info["registers"], "rows": rows_reg},
                              bound=float(bound), name=name)
