"""Real-amplitude state preparation: the uniformly-controlled-RY tree (Möttönen et al.,
quant-ph/0407010), fixed (numeric angles) or parametric (angles are circuit parameters
bound from the input in O(N log N)), with an optional ``bound`` flag qubit (DESIGN §5 row 1).

Layout.  A vector of length ``N`` lives on ``n = max(1, ⌈log2 N⌉)`` system qubits,
zero-padded.  An array of shape ``(d_0, …, d_{r-1})`` gives each axis its own register of
``⌈log2 d_k⌉`` qubits (zero-padded per axis), row-major: the last axis is the least
significant register.  ``info["registers"]`` lists each axis' qubits (little-endian).

Tree.  Level ``k = 0 … n-1`` has target system qubit ``t = n-1-k`` and the ``k`` more
significant qubits as controls; it is one multiplexed RY with ``2^k`` angles
``θ_j = 2·atan2(r_{j,1}, r_{j,0})`` where ``r_{j,b}`` is the norm of the amplitudes below
prefix ``(j, b)`` (at the last level the signed amplitudes themselves, so negative entries
come out exactly).  Each multiplexor is ``RY(φ_0) CX RY(φ_1) CX … RY(φ_{L-1})`` with CX
controls read off the Gray code and ``φ = (Walsh–Hadamard(θ') permuted by the Gray code)/L``.
The closing CX of every multiplexor is omitted: its target is still |0⟩ when the level
runs, and ``CX · RY(π-θ)|0⟩ = RY(θ)|0⟩`` on the branch where the top control is 1, so the
angles ``θ'_j = π - θ_j`` for those ``j`` absorb it.  CX count: ``Σ_{k=1}^{n-1} (2^k - 1)
= 2^n - n - 1``.  The circuit is therefore only guaranteed to map |0⟩ (every target
register still at 0 when its level runs) to the state; that is all a loader needs, and
``⟨0|U^†`` is likewise exact (used by PREP† in :mod:`qcompile.quantum.lcu`).

Flag.  With a bound ``B`` a flag qubit (index ``n``) gets ``RY(θ_f)``,
``cos(θ_f/2) = ‖x‖/B``: post-selected on 0 it leaves ``x/B``, so ``alpha = B``.
Parameter vector ``name`` has ``2^n`` entries: ``name[0]`` is the flag angle and level
``k``'s angles are ``name[2^k … 2^{k+1}-1]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qcompile.circuit.ir import Angle, Circuit
from qcompile.errors import BindError, InternalError
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.multiplexor import fwht, gray_code, multiplexor_angles  # noqa: F401 (re-exported)


# ---- shapes and padding -------------------------------------------------------------------
def axis_qubits(dim: int) -> int:
    """Qubits of a register holding a leg of dimension ``dim``: ``⌈log2 dim⌉``."""
    if dim < 1:
        raise ValueError(f"dimension must be >= 1, got {dim}")
    return (dim - 1).bit_length()


def padded_layout(shape: Sequence[int]) -> tuple[int, list[tuple[int, ...]]]:
    """``(n, registers)``: total system qubits (at least 1) and each axis' qubit indices.

    Row-major: the last axis takes the least significant qubits.
    """
    bits = [axis_qubits(int(d)) for d in shape]
    regs: list[tuple[int, ...]] = []
    pos = sum(bits)
    for b in bits:
        pos -= b
        regs.append(tuple(range(pos, pos + b)))
    n = max(1, sum(bits))
    return n, regs


def embed(array: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """The flat, zero-padded amplitude vector of ``array`` (shape ``shape``) on ``2^n`` entries."""
    n, _ = padded_layout(shape)
    padded_shape = tuple(2 ** axis_qubits(int(d)) for d in shape)
    out = np.zeros(padded_shape, dtype=float)
    out[tuple(slice(0, int(d)) for d in shape)] = array
    flat = out.reshape(-1)
    if flat.size < 2**n:
        flat = np.concatenate([flat, np.zeros(2**n - flat.size)])
    return flat


# ---- angle computation ----------------------------------------------------------------------
def tree_angles(amplitudes: np.ndarray) -> np.ndarray:
    """All ``2^n - 1`` tree circuit angles (levels concatenated) for real ``amplitudes`` of length 2^n.

    Zero vectors give all-zero angles.  Cost O(N log N).
    """
    a = np.asarray(amplitudes, dtype=float)
    n = int(round(math.log2(a.size)))
    # r[t] has length 2^{n-t}: signed amplitudes for t = 0, partial norms above.
    r = [a]
    for _ in range(n - 1):
        prev = r[-1]
        r.append(np.hypot(prev[0::2], prev[1::2]))
    out = []
    for k in range(n):
        t = n - 1 - k
        pairs = r[t]
        theta = 2.0 * np.arctan2(pairs[1::2], pairs[0::2])  # length 2^k, index j = control value
        if k >= 1:  # absorb the omitted closing CX (top control bit set)
            top = np.arange(theta.size) >= theta.size // 2
            theta = np.where(top, math.pi - theta, theta)
        out.append(multiplexor_angles(theta))
    return np.concatenate(out) if out else np.zeros(0)


# ---- circuit construction -------------------------------------------------------------------
def append_multiplexed_ry(circuit: Circuit, target: int, controls: Sequence[int], angles: Sequence[Angle],
                          closing_cx: bool = True, skip: Sequence[bool] | None = None) -> None:
    """Append a Gray-code multiplexed RY: ``RY(φ_0) CX RY(φ_1) … RY(φ_{L-1}) [CX]``.

    ``controls`` is the little-endian control register (``L = 2^len(controls)`` angles).
    CX ``i`` (after ``RY(φ_i)``) is controlled by ``controls[ctz(i+1)]``; the closing CX
    is on the top control.  ``skip[i]`` drops ``RY(φ_i)`` and merges the CXs around it by
    control parity (FABLE compression); the result equals the multiplexor with ``φ_i = 0``.
    """
    k = len(controls)
    size = 2**k
    if len(angles) != size:
        raise ValueError(f"a multiplexor with {k} controls needs {size} angles, got {len(angles)}")
    pending: list[int] = []  # control-parity of CXs not yet emitted

    def flush() -> None:
        for c in sorted(set(c for c in pending if pending.count(c) % 2 == 1)):
            circuit.append("cx", (c, target))
        pending.clear()

    for i in range(size):
        if skip is None or not skip[i]:
            flush()
            circuit.append("ry", (target,), (angles[i],))
        if i < size - 1:
            pending.append(controls[(i + 1 & -(i + 1)).bit_length() - 1])
        elif closing_cx and k > 0:
            pending.append(controls[k - 1])
    flush()


def append_tree(circuit: Circuit, qubits: Sequence[int], angles: Sequence[Angle],
                levels: range | None = None) -> None:
    """Append tree levels (default all) on ``qubits`` (little-endian) with the concatenated angles."""
    n = len(qubits)
    for k in (range(n) if levels is None else levels):
        t = n - 1 - k
        append_multiplexed_ry(circuit, qubits[t], tuple(qubits[t + 1:]), angles[2**k - 1: 2 ** (k + 1) - 1],
                              closing_cx=False)


# ---- the public record ----------------------------------------------------------------------
@dataclass
class LoaderBlock(QuantumBlock):
    """A block whose circuit is parametric in one input array (a loader or a block built on it).

    ``bound`` is the declared ``‖input‖_F`` bound (``None``: fixed, nothing to bind);
    ``name`` the parameter vector; ``bind(array)`` returns ``{name: angles}``;
    ``with_input(array)`` the bound block (same kind, plain :class:`QuantumBlock`).
    """

    bound: float | None = None
    name: str = "x"
    method: str = "tree"

    @property
    def is_parametric(self) -> bool:
        """True when the circuit's angles are bound from an input."""
        return self.bound is not None

    def bind(self, vector) -> dict[str, np.ndarray]:
        """Parameter values for input ``vector`` (shape ``self.shape``, ``‖vector‖ ≤ bound``).

        Raises :class:`BindError` on a wrong shape, non-finite entries, or a norm above
        the bound.  The tree: O(N log N), one flag angle and the tree's Walsh–Hadamard
        angles.  The Schmidt construction: the flag angle, then every angle of
        :func:`schmidt_gates` (an SVD of the √N × √N reshaped vector and the QSDs of its
        factors, O(N^{3/2})).
        """
        if self.bound is None:
            raise BindError("this state preparation is fixed; it has no input to bind")
        x = np.asarray(vector, dtype=float) if _is_real_array(vector) else None
        if x is None or x.shape != tuple(self.shape):
            got = "a non-numeric value" if x is None else f"shape {list(x.shape)}"
            raise BindError(f"input '{self.name}' must have shape {list(self.shape)}, got {got}")
        if not np.all(np.isfinite(x)):
            raise BindError(f"input '{self.name}' has non-finite entries (nan or inf)")
        norm = float(np.linalg.norm(x))
        if norm > self.bound * (1 + 1e-12):
            raise BindError(f"input '{self.name}' has norm {norm:.6g}, above its declared bound {self.bound:.6g}")
        flag = 2.0 * math.acos(min(1.0, norm / self.bound))
        if self.method == "schmidt":
            n = len(self.system_qubits)
            v = embed(x, self.shape) / norm if norm > 0 else _zero_state(n)
            gates = schmidt_gates(v, n).gates
            if [g[:2] for g in gates] != self.info["skeleton"]:  # pragma: no cover - fixed by construction
                raise InternalError("the Schmidt state preparation changed its gate skeleton")
            return {self.name: np.array([flag] + [g[2] for g in gates if g[2] is not None])}
        angles = np.concatenate([[flag], tree_angles(embed(x, self.shape))])
        return {self.name: angles}

    def with_input(self, vector) -> QuantumBlock:
        """This block with ``vector`` bound: a plain :class:`QuantumBlock` on the bound circuit."""
        circuit = self.circuit.bind(self.bind(vector))
        return QuantumBlock(circuit, self.alpha, self.system_qubits, self.ancilla_qubits, self.kind,
                            tuple(self.shape), dict(self.info))


@dataclass
class StatePreparation(LoaderBlock):
    """A state-preparation block (``kind="state"``): fixed (``bound is None``) or a parametric loader."""


def _is_real_array(value) -> bool:
    try:
        arr = np.asarray(value)
    except Exception:  # pragma: no cover - exotic inputs
        return False
    return arr.dtype.kind in "biuf"


def state_preparation(vector_or_size, bound: float | None = None, name: str = "x") -> StatePreparation:
    """Prepare a real vector: fixed (a vector, no bound) or a parametric loader (a size/shape and a bound).

    * ``state_preparation(v)``: circuit ``U`` with ``U|0⟩ = v/‖v‖`` on ``n`` system qubits,
      ``alpha = ‖v‖``, no ancilla.
    * ``state_preparation(N or shape, bound=B)``: ``n`` system qubits + 1 flag (ancilla,
      qubit ``n``), ``alpha = B``; after ``bind(x)`` the flag-0 branch holds ``x/B`` for
      every ``x`` of that shape with ``‖x‖ ≤ B``.  Parameters: vector ``name`` of ``2^n``
      entries.
    CX count: ``2^n - n - 1`` (see module doc).
    """
    if bound is not None:
        shape = (int(vector_or_size),) if np.ndim(vector_or_size) == 0 else tuple(int(d) for d in vector_or_size)
        if not shape or any(d < 1 for d in shape):
            raise ValueError(f"a loader needs positive dimensions, got {list(shape)}")
        bound = float(bound)
        if not (bound > 0 and math.isfinite(bound)):
            raise ValueError(f"the bound must be a positive finite number, got {bound}")
        n, regs = padded_layout(shape)
        circuit = Circuit(n + 1)
        circuit.add_register(f"{name}.flag", (n,))
        for axis, reg in enumerate(regs):
            circuit.add_register(f"{name}.{axis}", reg)
        if uses_schmidt(shape):
            gates = schmidt_gates(_generic_state(n), n).gates
            params = circuit.declare_parameters(name, 1 + sum(g[2] is not None for g in gates))
            circuit.append("ry", (n,), (params[0],))
            _append_gates(circuit, gates, iter(params[1:]))
            return StatePreparation(circuit, bound, tuple(range(n)), (n,), "state", shape,
                                    {"registers": regs, "cx": n_cx(circuit), "skeleton": [g[:2] for g in gates]},
                                    bound=bound, name=name, method="schmidt")
        params = circuit.declare_parameters(name, 2**n)
        circuit.append("ry", (n,), (params[0],))
        append_tree(circuit, tuple(range(n)), params[1:])
        return StatePreparation(circuit, bound, tuple(range(n)), (n,), "state", shape,
                                {"registers": regs, "cx": n_cx(circuit)}, bound=bound, name=name)

    if np.ndim(vector_or_size) == 0:
        raise ValueError("a parametric loader needs a bound: state_preparation(size, bound=B)")
    if not _is_real_array(vector_or_size):
        raise ValueError("state_preparation takes a real vector (complex amplitudes are not supported)")
    v = np.asarray(vector_or_size, dtype=float)
    if not np.all(np.isfinite(v)):
        raise ValueError("the vector has non-finite entries")
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        raise ValueError("cannot prepare the zero vector (its alpha would be 0)")
    shape = v.shape
    n, regs = padded_layout(shape)
    circuit = Circuit(n)
    for axis, reg in enumerate(regs):
        circuit.add_register(f"{name}.{axis}", reg)
    if uses_schmidt(shape):
        _append_gates(circuit, schmidt_gates(embed(v, shape) / norm, n).gates)
        method = "schmidt"
    else:
        append_tree(circuit, tuple(range(n)), [float(a) for a in tree_angles(embed(v, shape) / norm)])
        method = "tree"
    return StatePreparation(circuit, norm, tuple(range(n)), (), "state", tuple(shape),
                            {"registers": regs, "cx": n_cx(circuit)}, bound=None, name=name, method=method)


# ---- the Schmidt (Plesch–Brukner) construction ---------------------------------------------
#: vectors on at least this many qubits (one axis) are prepared by :func:`schmidt_gates`;
#: below, the tree is as cheap (n = 2: 1 CX, n = 3: 4)
SCHMIDT_MIN_QUBITS = 4


def uses_schmidt(shape: Sequence[int]) -> bool:
    """True when an array of ``shape`` is prepared by the Schmidt construction: a vector
    (one axis) on at least :data:`SCHMIDT_MIN_QUBITS` qubits.  Arrays with several axes keep
    the tree, whose levels :func:`qcompile.quantum.input_block_encoding` splits into rows
    and columns."""
    return len(shape) == 1 and padded_layout(shape)[0] >= SCHMIDT_MIN_QUBITS


def schmidt_gates(v: np.ndarray, n: int):
    """The gates preparing the real unit vector ``v`` (``2^n`` entries) from |0⟩, in the
    Plesch–Brukner form (arXiv:1003.5760), with a fixed skeleton
    (:mod:`qcompile.quantum.unitary_synthesis`); a :class:`~.unitary_synthesis.Ops`.

    Split the qubits into A (the low ``⌈n/2⌉``) and B (the high ``⌊n/2⌋``, ``k`` of them);
    ``v_{a + 2^{|A|} b} = M_{ba}`` and the SVD ``M = U_B·diag(s)·V_Aᵀ`` give the Schmidt form
    ``v = Σ_i s_i (V_A e_i)_A ⊗ (U_B e_i)_B``.  Gates, in time order: an RZ on qubit 0 (at
    |0⟩: it only sets the global phase, cancelling the one the synthesis leaves, so the
    state is ``v`` exactly, which matters once the circuit is controlled); the tree
    preparing ``s`` on A's low ``k`` qubits; ``k`` CX copying them onto B
    (``Σ s_i |i⟩_A |i⟩_B``); then ``V_A`` on A (its QSD; for odd ``n`` the isometry of its
    ``2^k`` columns, A's top qubit entering at |0⟩) and ``U_B`` on B (QSD).

    CX (n = 4…10: 9, 20, 47, 100, 215, 444, 919; tree: 11, 26, 57, 120, 247, 502, 1013):
    even n, ``2^k − k − 1 + k + 2·QSD(k)``; odd n, ``2^k − k − 1 + k + QSD(k) + ISO(k+1)``
    with ``QSD(k) = (23/48)·4^k − (3/2)·2^k + 4/3`` (``QSD(2) = 3``) and
    ``ISO(k+1) = 3·QSD(k) + 2^{k+1} − 1 − 2`` (one A.2 chain through its three QSDs), so the
    leading term is ``(23/24)·2^n`` for even n and ``(23/32)·2^n`` for odd n.
    """
    from qcompile.quantum.unitary_synthesis import Ops, isometry_columns, synthesize

    k = n // 2
    na = n - k
    a_qubits, b_qubits = tuple(range(na)), tuple(range(na, n))
    m = np.asarray(v, dtype=float).reshape(2**k, 2**na)   # row b, column a
    u_b, s, vh = np.linalg.svd(m, full_matrices=False)     # m = u_b diag(s) vh
    ops = Ops([("rz", (0,), 0.0)])
    tree = Circuit(n)
    append_tree(tree, a_qubits[:k], [float(t) for t in tree_angles(s)])
    ops.gates.extend((g.name, g.qubits, g.params[0] if g.params else None) for g in tree.gates)
    for a, b in zip(a_qubits, b_qubits):
        ops.two("cx", a, b)
    first = synthesize(vh.T, a_qubits) if na == k else isometry_columns(vh.T, a_qubits)
    second = synthesize(u_b, b_qubits)
    ops.gates.extend(first.gates + second.gates)
    phase = first.phase + second.phase
    ops.gates[0] = ("rz", (0,), -2.0 * phase)  # RZ(θ)|0⟩ = e^{−iθ/2}|0⟩
    return ops


def _generic_state(n: int) -> np.ndarray:
    """A fixed generic unit vector (the skeleton does not depend on it)."""
    v = np.random.default_rng(20260).normal(size=2**n)
    return v / np.linalg.norm(v)


def _zero_state(n: int) -> np.ndarray:
    v = np.zeros(2**n)
    v[0] = 1.0
    return v


def _append_gates(circuit: Circuit, gates, params=None) -> None:
    """Append ``(name, qubits, angle or None)`` gates; with ``params``, each angle slot takes
    the next parameter instead of its value."""
    for name, qubits, angle in gates:
        if angle is None:
            circuit.append(name, qubits)
        else:
            circuit.append(name, qubits, (next(params) if params is not None else angle,))


def n_cx(circuit: Circuit) -> int:
    """CX count in CX + 1q terms: cx, cz = 1, swap = 3, ccx = 6 (multi-controlled gates raise)."""
    ops = circuit.count_ops()
    cost = {"cx": 1, "cz": 1, "swap": 3, "ccx": 6}
    one_qubit = {"ry", "rz", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "p"}
    other = set(ops) - set(cost) - one_qubit
    if other:
        raise ValueError(f"n_cx: gates {sorted(other)} have no fixed CX cost")
    return sum(cost[g] * ops.get(g, 0) for g in cost)
