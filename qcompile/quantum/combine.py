"""Combining blocks: product, apply-to-state, tensor product, leg relabelling (DESIGN §5 row 5).

All results lay their qubits out as: system register first (``0..n-1``, in the order of
the operands' ``system_qubits``), then the ancillas of the operand applied first, then
those of the next.  Ancillas are never shared between factors (each is post-selected on
0 at the end, which is only exact when no other factor touches it).

Padding.  Logical shapes must agree (``a.shape[1] == b.shape[0]``); when the padded
system sizes still differ (e.g. ``a`` is 8×3 on 3 qubits, ``b`` is 3×3 on 2), the smaller
factor acts as ``X ⊗ I`` on the extra (most significant) qubits, which is exact: the
other factor's zero padding annihilates every branch where an extra qubit is 1.
"""

from __future__ import annotations

from typing import Sequence

from qcompile.circuit.ir import Circuit
from qcompile.quantum.base import QuantumBlock


def _sequential(first: QuantumBlock, second: QuantumBlock, kind: str, shape: tuple[int, ...], info: dict) -> QuantumBlock:
    """``second`` after ``first`` on a shared system register, ancillas side by side."""
    n = max(len(first.system_qubits), len(second.system_qubits))
    a1, a2 = len(first.ancilla_qubits), len(second.ancilla_qubits)
    num = n + a1 + a2
    system = tuple(range(n))
    anc1 = tuple(range(n, n + a1))
    anc2 = tuple(range(n + a1, num))
    circuit = Circuit(num)
    circuit.compose(first.placed(system, anc1, num))
    circuit.compose(second.placed(system, anc2, num))
    return QuantumBlock(circuit, first.alpha * second.alpha, system, anc1 + anc2, kind, shape, info)


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

    ``alpha = α_A·α_v``; ancillas ``a_v + a_A``.  Raises ValueError on a kind or
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
    axis, otherwise the padded dimension along it.
    """
    if a.kind != b.kind:
        raise ValueError("tensor takes two block encodings or two states")
    na, nb = len(a.system_qubits), len(b.system_qubits)
    aa, ab = len(a.ancilla_qubits), len(b.ancilla_qubits)
    num = na + nb + aa + ab
    sys_b = tuple(range(nb))
    sys_a = tuple(range(nb, nb + na))
    anc_b = tuple(range(na + nb, na + nb + ab))
    anc_a = tuple(range(na + nb + ab, num))
    circuit = Circuit(num)
    circuit.compose(b.placed(sys_b, anc_b, num))
    circuit.compose(a.placed(sys_a, anc_a, num))
    shape = tuple(da * db if db == 2**nb else 2 ** (na + nb) for da, db in zip(a.shape, b.shape))
    return QuantumBlock(circuit, a.alpha * b.alpha, sys_b + sys_a, anc_b + anc_a, a.kind, shape,
                        {"factors": (a.shape, b.shape)})


def relabel(block: QuantumBlock, system_order: Sequence[int]) -> QuantumBlock:
    """The same circuit (zero gates) with ``system_qubits = tuple(system_order)``.

    ``system_order`` must be a permutation of ``block.system_qubits``; new register bit
    ``k`` is qubit ``system_order[k]`` (e.g. reversing the order transposes a 2-leg
    state's legs when both have the same size).  The logical shape becomes the padded one.
    """
    order = tuple(int(q) for q in system_order)
    if sorted(order) != sorted(block.system_qubits):
        raise ValueError(f"relabel: {list(order)} is not a permutation of the system qubits {list(block.system_qubits)}")
    n = len(order)
    shape = (2**n,) if block.kind == "state" else (2**n, 2**n)
    if order == tuple(block.system_qubits):
        shape = tuple(block.shape)
    return QuantumBlock(block.circuit.copy(), block.alpha, order, tuple(block.ancilla_qubits), block.kind, shape,
                        dict(block.info))
