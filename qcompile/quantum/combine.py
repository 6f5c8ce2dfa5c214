"""Combining blocks: product, apply-to-state, tensor product, leg relabelling (DESIGN §5 row 5).

All results lay their qubits out as: system register first (``0..n-1``, in the order of
the operands' ``system_qubits``), then the ancillas of the operand applied first, then
those of the next.  Ancillas are never shared between factors (each is post-selected on
0 at the end, which is only exact when no other factor touches it).  A relabelled block
(output on another register than its input, :mod:`qcompile.quantum.base`) is composed
as it is: the next factor reads its output register, so the relabelling costs no gate.

Padding.  Logical shapes must agree (``a.shape[1] == b.shape[0]``); when the padded
system sizes still differ (e.g. ``a`` is 8×3 on 3 qubits, ``b`` is 3×3 on 2), the smaller
factor acts as ``X ⊗ I`` on the extra (most significant) qubits, which is exact: the
other factor's zero padding annihilates every branch where an extra qubit is 1.
"""

from __future__ import annotations

from typing import Sequence

from qcompile.circuit.ir import Circuit
from qcompile.quantum.base import QuantumBlock


def _other_qubits(block: QuantumBlock, register) -> list[int]:
    """The block's qubits outside ``register``: its ancillas in their order, then (a
    relabelled block) the rest of its output register."""
    reg = set(register)
    rest = [q for q in block.ancilla_qubits if q not in reg]
    return rest + [q for q in block.output_qubits if q not in reg and q not in rest]


def product_ancillas(block: QuantumBlock) -> list[int]:
    """The block's ancillas that only single-qubit gates touch (at least one): each is in
    a product state with everything else, so post-selecting it on 0 multiplies the block by
    a number (a loader's flag: ``‖x‖/B``)."""
    multi = set()
    touched = set()
    for g in block.circuit.gates:
        if len(g.qubits) > 1:
            multi.update(g.qubits)
        else:
            touched.update(g.qubits)
    return [q for q in block.ancilla_qubits if q in touched and q not in multi]


def _sequential(first: QuantumBlock, second: QuantumBlock, kind: str, shape: tuple[int, ...], info: dict) -> QuantumBlock:
    """``second`` after ``first``: ``second``'s input register on ``first``'s output
    register (the system register ``0..n-1``, padded to the wider of the two), every other
    qubit of each side by side after it.  A relabelled ``second`` leaves the output on its
    own output register, and the shared system register joins the post-selected qubits.

    Flag on padding (``first`` a state).  When ``second``'s input register is wider than
    ``first``'s output, the extra (padding) qubits enter at |0⟩ and ``second``'s block is
    zero on every input column with a padding bit set (its logical columns fit ``first``'s
    register, the padding convention).  A product ancilla ``f`` of ``first``
    (:func:`product_ancillas`) in the state ``v|0⟩ + w|1⟩`` may then sit on a padding qubit
    instead of a fresh one: the ``v|0⟩`` part is the input the padding qubit gave before,
    now times ``v`` (which post-selecting ``f`` on 0 multiplied by), and the ``w|1⟩`` part
    meets zero columns, so its whole output lies where ``second``'s ancillas are not 0.
    The block is unchanged and one qubit is saved per flag so placed."""
    out1, in2 = first.output_qubits, tuple(second.system_qubits)
    n = max(len(out1), len(in2))
    system = list(range(n))
    map1 = dict(zip(out1, system))
    padding = system[len(out1):len(in2)]
    if first.kind == "state" and padding:
        map1.update(zip(product_ancillas(first), padding))
    nxt = n
    for q in _other_qubits(first, out1):
        if q in map1:
            continue
        map1[q] = nxt
        nxt += 1
    map2 = dict(zip(in2, system))
    for q in _other_qubits(second, in2):
        map2[q] = nxt
        nxt += 1
    circuit = Circuit(nxt)
    circuit.compose(first.circuit, [map1[q] for q in range(first.circuit.num_qubits)])
    circuit.compose(second.circuit, [map2[q] for q in range(second.circuit.num_qubits)])
    output = [map2[q] for q in second.output_qubits] + system[len(in2):]
    ancillas = [q for q in range(nxt) if q not in set(output)]
    if not second.is_relabelled:  # keep the plain layout's order: first's ancillas, then second's
        ancillas = [map1[q] for q in _other_qubits(first, out1) if map1[q] >= n] \
            + [map2[q] for q in _other_qubits(second, in2)]
    block_info = dict(info)
    if kind == "block_encoding":
        inputs = [map1[q] for q in first.system_qubits] + system[len(out1):]
        if tuple(inputs) != tuple(output):
            block_info["output_qubits"] = tuple(output)
        return QuantumBlock(circuit, first.alpha * second.alpha, tuple(inputs), tuple(ancillas), kind, shape,
                            block_info)
    return QuantumBlock(circuit, first.alpha * second.alpha, tuple(output), tuple(ancillas), kind, shape,
                        block_info)


def settled(block: QuantumBlock) -> QuantumBlock:
    """The same block encoding with its output moved back onto its input register
    (nothing to do unless it is relabelled).

    On the post-selected branch the input register reads 0 at the output, so
    ``CX(out→in)`` then ``CX(in→out)`` (time order) moves the output there and clears the
    output register, as a SWAP would on that branch: ``2n`` CX.  Used where one register
    must hold both (an LCU's SELECT, a QSVT's alternation of U and U†)."""
    if not block.is_relabelled:
        return block
    circuit = block.circuit.copy()
    out, inp = block.output_qubits, tuple(block.system_qubits)
    for o, i in zip(out, inp):
        circuit.append("cx", (o, i))
    for o, i in zip(out, inp):
        circuit.append("cx", (i, o))
    ancillas = tuple(q for q in range(circuit.num_qubits) if q not in set(inp))
    info = {k: v for k, v in block.info.items() if k != "output_qubits"}
    if "cx" in info:
        info["cx"] += 2 * len(out)
    return QuantumBlock(circuit, block.alpha, inp, ancillas, block.kind, tuple(block.shape), info)


def product(a: QuantumBlock, b: QuantumBlock) -> QuantumBlock:
    """Block encoding of ``A·B`` (``b``'s circuit first, then ``a``'s).

    ``alpha = α_a·α_b``; ancillas ``a_a + a_b`` (``b``'s first).  Raises ValueError
    unless both are block encodings with ``a.shape[1] == b.shape[0]``.
    """
    if a.kind != "block_encoding" or b.kind != "block_encoding":
        raise ValueError("product takes two block encodings; use apply(block, state) for a state")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"product: shapes {list(a.shape)} and {list(b.shape)} do not chain")
    return _sequential(b, a, "block_encoding", (a.shape[0], b.shape[1]), {"factors": (a.shape, b.shape)})


def apply(be: QuantumBlock, state: QuantumBlock) -> QuantumBlock:
    """Subnormalised state of ``A·v`` from a block encoding of ``A`` and a state of ``v``.

    ``alpha = α_A·α_v``; ancillas ``a_v + a_A``, less the state's product flags placed on
    the padding qubits when ``A``'s register is wider than ``v``'s (see :func:`_sequential`).  Raises ValueError on a kind or
    dimension mismatch.
    """
    if be.kind != "block_encoding" or state.kind != "state":
        raise ValueError("apply takes a block encoding and a state")
    if len(state.shape) != 1 or be.shape[1] != state.shape[0]:
        raise ValueError(f"apply: matrix shape {list(be.shape)} does not act on a vector of shape {list(state.shape)}")
    return _sequential(state, be, "state", (be.shape[0],), {"factors": (be.shape, state.shape)})


def tensor(a: QuantumBlock, b: QuantumBlock) -> QuantumBlock:
    """``A ⊗ B`` (``np.kron`` order: ``b`` holds the least significant system qubits).

    Both block encodings or both states.  ``alpha = α_a·α_b``, ancillas ``a_b + a_a``.
    ``shape``: the Kronecker shape of the logical shapes when ``b`` is unpadded along an
    axis, otherwise the padded dimension along it.  A relabelled factor stays relabelled:
    the input registers sit side by side at ``0..``, the outputs likewise in the result.
    """
    if a.kind != b.kind:
        raise ValueError("tensor takes two block encodings or two states")
    na, nb = len(a.system_qubits), len(b.system_qubits)
    mb = dict(zip(b.system_qubits, range(nb)))
    ma = dict(zip(a.system_qubits, range(nb, nb + na)))
    nxt = na + nb
    for block, mapping in ((b, mb), (a, ma)):
        for q in _other_qubits(block, block.system_qubits):
            mapping[q] = nxt
            nxt += 1
    circuit = Circuit(nxt)
    circuit.compose(b.circuit, [mb[q] for q in range(b.circuit.num_qubits)])
    circuit.compose(a.circuit, [ma[q] for q in range(a.circuit.num_qubits)])
    shape = tuple(da * db if db == 2**nb else 2 ** (na + nb) for da, db in zip(a.shape, b.shape))
    inputs = tuple(range(na + nb))
    output = tuple(mb[q] for q in b.output_qubits) + tuple(ma[q] for q in a.output_qubits)
    ancillas = tuple(mb[q] for q in b.ancilla_qubits) + tuple(ma[q] for q in a.ancilla_qubits)
    info = {"factors": (a.shape, b.shape)}
    if output != inputs:
        info["output_qubits"] = output
    return QuantumBlock(circuit, a.alpha * b.alpha, inputs, ancillas, a.kind, shape, info)


def relabel(block: QuantumBlock, system_order: Sequence[int]) -> QuantumBlock:
    """The same circuit (zero gates) with ``system_qubits = tuple(system_order)``.

    ``system_order`` must be a permutation of ``block.system_qubits``; new register bit
    ``k`` is qubit ``system_order[k]`` (e.g. reversing the order transposes a 2-leg
    state's legs when both have the same size).  The logical shape becomes the padded one.
    """
    if block.is_relabelled:
        raise ValueError("relabel: the block's output is on another register than its input; settle it first")
    order = tuple(int(q) for q in system_order)
    if sorted(order) != sorted(block.system_qubits):
        raise ValueError(f"relabel: {list(order)} is not a permutation of the system qubits {list(block.system_qubits)}")
    n = len(order)
    shape = (2**n,) if block.kind == "state" else (2**n, 2**n)
    if order == tuple(block.system_qubits):
        shape = tuple(block.shape)
    return QuantumBlock(block.circuit.copy(), block.alpha, order, tuple(block.ancilla_qubits), block.kind, shape,
                        dict(block.info))
