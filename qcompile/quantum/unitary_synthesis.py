"""Unitary synthesis with a gate skeleton that does not depend on the matrix (so its angles
can be circuit parameters): the quantum Shannon decomposition (Shende, Bullock, Markov,
quant-ph/0406176) with its optimisations A.1 and A.2.

An ``n``-qubit unitary U (little-endian on ``qubits``, the last one most significant) is
split by the cosine–sine decomposition ``U = (L0 ⊕ L1)·CS·(R0 ⊕ R1)`` (``CS`` a multiplexed
RY on the top qubit), and every block-diagonal ``M0 ⊕ M1`` is demultiplexed,
``M0 ⊕ M1 = (I ⊗ V)(D ⊕ D†)(I ⊗ W)`` with ``M0 M1† = V D² V†`` (a multiplexed RZ between two
(n−1)-qubit unitaries), down to two-qubit leaves on the two lowest qubits.

* A.1: the CS multiplexor is written with CZ instead of CX (``Z`` and ``X`` both flip the
  sign of an RY), and its closing CZ, diagonal, is folded into ``L1`` (``L1·Z`` on the top
  qubit of the lower register): one CX less per CS.
* A.2: every leaf but the last is a two-CX circuit times a diagonal (Qiskit's
  ``two_qubit_decompose_up_to_diagonal``), and the diagonal, which commutes with every
  multiplexor between two leaves (they are controlled by the leaf qubits), is multiplied
  into the next leaf; the last leaf is a generic three-CX circuit.

CX count (``C(2) = 3``, ``n ≥ 3``): ``(23/48)·4^n − (3/2)·2^n + 4/3`` (n = 3, 4, 5: 20, 100,
444), of which ``Σ_{m=3}^{n} 4^{n−m}(2^{m−1} − 1)`` are CZ.  Every slot is emitted whatever its
angles (a single-qubit slot is always ``RZ·RY·RZ``, each leaf always its two or three CX
with a slot before, between and after them on both qubits), so the gate list depends only
on ``n`` and the synthesis also returns the global phase ``φ`` it leaves
(``U = e^{iφ}·circuit``).

Leaves use Qiskit's two-qubit Weyl decomposition with the number of CX forced
(``TwoQubitBasisDecomposer(_num_basis_uses=…)``, every CX on ``(q0 → q1)``), its single-qubit
runs multiplied into one 2×2 per slot and written as ZYZ angles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qcompile.errors import InternalError
from qcompile.quantum.multiplexor import multiplexor_angles


@dataclass
class Ops:
    """A gate list under construction: ``(name, qubits, angle or None)`` in time order, and
    the global phase ``φ`` the gates leave: the target is ``e^{iφ}`` × the gates' unitary."""

    gates: list
    phase: float = 0.0

    def rot(self, name: str, qubit: int, angle: float) -> None:
        """Append one rotation (emitted even at angle 0)."""
        self.gates.append((name, (qubit,), float(angle)))

    def two(self, name: str, a: int, b: int) -> None:
        """Append a CX or CZ."""
        self.gates.append((name, (a, b), None))


# ---- single-qubit slots ------------------------------------------------------------------------
def zyz(u: np.ndarray) -> tuple[float, float, float, float]:
    """``(α, β, γ, δ)`` with ``u = e^{iα}·RZ(β)·RY(γ)·RZ(δ)`` (RZ(δ) acts first)."""
    u = np.asarray(u, dtype=complex)
    alpha = 0.5 * np.angle(np.linalg.det(u))
    v = u * np.exp(-1j * alpha)
    a, b = v[0, 0], v[1, 0]
    gamma = 2.0 * math.atan2(abs(b), abs(a))
    s = -2.0 * np.angle(a) if abs(a) > 1e-15 else 0.0          # β + δ
    d = 2.0 * np.angle(b) if abs(b) > 1e-15 else 0.0           # β − δ
    beta, delta = 0.5 * (s + d), 0.5 * (s - d)
    # the branch of sqrt(det) may leave −u: fold the sign into the phase
    rebuilt = _rz(beta) @ _ry(gamma) @ _rz(delta)
    if np.vdot(rebuilt.ravel(), v.ravel()).real < 0:
        alpha += math.pi
    return float(alpha), float(beta), float(gamma), float(delta)


def _rz(t: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def _ry(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]])


def slot(ops: Ops, u: np.ndarray, qubit: int) -> None:
    """A single-qubit unitary as ``RZ(δ) RY(γ) RZ(β)`` (time order), its phase recorded."""
    alpha, beta, gamma, delta = zyz(u)
    ops.rot("rz", qubit, delta)
    ops.rot("ry", qubit, gamma)
    ops.rot("rz", qubit, beta)
    ops.phase += alpha


# ---- two-qubit leaves ----------------------------------------------------------------------------
def _leaf(ops: Ops, u: np.ndarray, q0: int, q1: int, cx: int) -> None:
    """``u`` (4×4, q0 the low bit) with exactly ``cx`` CX ``(q0 → q1)``: ``cx + 1`` layers of
    two single-qubit slots around them.  ``cx = 2`` is exact only for a unitary of Weyl
    coordinate ``c = 0`` (what :func:`_up_to_diagonal` leaves)."""
    from qiskit.circuit.library import CXGate
    from qiskit.synthesis import TwoQubitBasisDecomposer

    qc = TwoQubitBasisDecomposer(CXGate(), euler_basis="ZYZ")(u, _num_basis_uses=cx)
    layers = [[np.eye(2, dtype=complex), np.eye(2, dtype=complex)]]
    for inst in qc.data:
        qs = [qc.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "cx":
            if qs != [0, 1]:  # pragma: no cover - Qiskit's decomposer keeps one orientation
                raise InternalError(f"two-qubit decomposer put a CX on {qs}")
            layers.append([np.eye(2, dtype=complex), np.eye(2, dtype=complex)])
        else:
            layers[-1][qs[0]] = np.asarray(inst.operation.to_matrix(), dtype=complex) @ layers[-1][qs[0]]
    if len(layers) != cx + 1:  # pragma: no cover
        raise InternalError(f"two-qubit decomposer used {len(layers) - 1} CX, {cx} forced")
    ops.phase += float(qc.global_phase)
    for k, (a, b) in enumerate(layers):
        if k:
            ops.two("cx", q0, q1)
        slot(ops, a, q0)
        slot(ops, b, q1)


def _up_to_diagonal(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(D, M)`` with ``u = D·M``, ``D`` diagonal and ``M`` two-CX implementable."""
    from qiskit._accelerate.two_qubit_decompose import two_qubit_decompose_up_to_diagonal

    dmat, _ = two_qubit_decompose_up_to_diagonal(np.asarray(u, dtype=complex))
    dmat = np.asarray(dmat, dtype=complex)
    return dmat, dmat.conj().T @ u


# ---- multiplexors ----------------------------------------------------------------------------------
def mux(ops: Ops, name: str, target: int, controls: Sequence[int], theta: np.ndarray,
        closing: bool, two: str = "cx") -> None:
    """Gray-code multiplexed ``name`` (ry or rz) realising ``theta[j]`` for control value ``j``
    (little-endian ``controls``); ``two``: the entangling gate (CX, or CZ for an RY);
    ``closing=False`` leaves out the last one (its caller accounts for it)."""
    k = len(controls)
    phi = multiplexor_angles(np.asarray(theta, dtype=float))
    size = 2**k
    for i in range(size):
        ops.rot(name, target, phi[i])
        if i < size - 1:
            ops.two(two, controls[(i + 1 & -(i + 1)).bit_length() - 1], target)
        elif closing and k:
            ops.two(two, controls[k - 1], target)


# ---- the decomposition -------------------------------------------------------------------------------
def _leaves_then_emit(ops: Ops, plan: list) -> None:
    """Emit a plan: gates, and two-qubit leaves resolved by A.2 in time order."""
    leaf_at = [i for i, item in enumerate(plan) if item[0] == "leaf"]
    carry = None
    for i, item in enumerate(plan):
        if item[0] != "leaf":
            ops.gates.append(item[1])
            continue
        _, u, q0, q1 = item
        if carry is not None:
            u = u @ carry
        if i == leaf_at[-1]:
            _leaf(ops, u, q0, q1, 3)
        else:
            carry, m = _up_to_diagonal(u)
            _leaf(ops, m, q0, q1, 2)


def _plan(plan: list, ops: Ops, u: np.ndarray, qubits: Sequence[int]) -> None:
    """Append the QSD of ``u`` to ``plan`` (leaves as placeholders, other gates emitted into
    a scratch :class:`Ops` and moved over, phases summed into ``ops``)."""
    n = len(qubits)
    if n == 1:
        scratch = Ops([])
        slot(scratch, u, qubits[0])
        plan.extend(("gate", g) for g in scratch.gates)
        ops.phase += scratch.phase
        return
    if n == 2:
        plan.append(("leaf", np.asarray(u, dtype=complex), qubits[0], qubits[1]))
        return
    from scipy.linalg import cossin

    half = 2 ** (n - 1)
    (l0, l1), theta, (r0, r1) = cossin(np.asarray(u, dtype=complex), p=half, q=half, separate=True)
    lower, top = tuple(qubits[:-1]), qubits[-1]
    _demultiplexed(plan, ops, r0, r1, lower, top)
    scratch = Ops([])
    mux(scratch, "ry", top, lower, 2.0 * theta, closing=False, two="cz")
    plan.extend(("gate", g) for g in scratch.gates)
    z = np.ones(half)
    z[half // 2:] = -1.0  # the omitted closing CZ(top, lower[-1]) folded into L1 (A.1)
    _demultiplexed(plan, ops, l0, l1 * z, lower, top)


def _demultiplexed(plan: list, ops: Ops, m0: np.ndarray, m1: np.ndarray, lower: tuple, top: int) -> None:
    """``m0 ⊕ m1`` (``m0`` where ``top`` is 0) = ``(I ⊗ V)(D ⊕ D†)(I ⊗ W)``: W, a multiplexed
    RZ on ``top``, V."""
    from scipy.linalg import schur

    t, v = schur(m0 @ m1.conj().T, output="complex")
    d = np.sqrt(np.diag(t))
    w = (d[:, None] * v.conj().T) @ m1
    _plan(plan, ops, w, lower)
    scratch = Ops([])
    mux(scratch, "rz", top, lower, -2.0 * np.angle(d), closing=True)
    plan.extend(("gate", g) for g in scratch.gates)
    _plan(plan, ops, v, lower)


def synthesize(u: np.ndarray, qubits: Sequence[int]) -> Ops:
    """The gates of ``u`` on ``qubits`` (fixed skeleton; see the module docstring)."""
    ops = Ops([])
    plan: list = []
    _plan(plan, ops, np.asarray(u, dtype=complex), tuple(qubits))
    _leaves_then_emit(ops, plan)
    return ops


def isometry_columns(u_cols: np.ndarray, qubits: Sequence[int]) -> Ops:
    """Gates mapping ``|j⟩|0⟩_top → u_cols[:, j]`` (``2^{n−1}`` orthonormal columns on the
    ``n = len(qubits)`` qubits, ``qubits[-1]`` the top qubit, entering at |0⟩).

    A unitary completing the columns has the CSD ``(L0 ⊕ L1)·CS·(R0 ⊕ R1)``; with the top
    qubit at |0⟩ only ``R0`` acts, so the gates are ``R0`` on the lower qubits, the CS
    multiplexed RY on the top qubit with its closing CX absorbed (the top qubit is |0⟩:
    ``CX·RY(π−θ)|0⟩ = RY(θ)|0⟩`` where the top control is 1), and ``L0 ⊕ L1`` demultiplexed:
    ``3·QSD(n−1) + (2^{n−1} − 1) + 2^{n−1}`` CX (A.2 across all three)."""
    from scipy.linalg import cossin

    cols = np.asarray(u_cols, dtype=complex)
    size, half = cols.shape
    n = len(qubits)
    if n < 2 or size != 2**n or half != 2 ** (n - 1):
        raise InternalError(f"isometry_columns needs 2^{n} x 2^{n - 1} columns, got {cols.shape}")
    q, _ = np.linalg.qr(np.hstack([cols, np.eye(size, dtype=complex)[:, :half]]))
    # QR may turn the given columns by phases: keep them exactly
    overlap = np.sum(q[:, :half].conj() * cols, axis=0)
    q[:, :half] = cols
    if np.max(np.abs(np.abs(overlap) - 1.0)) > 1e-8:  # pragma: no cover - degenerate completion
        raise InternalError("isometry completion lost a column")
    (l0, l1), theta, (r0, _r1) = cossin(q, p=half, q=half, separate=True)
    lower, top = tuple(qubits[:-1]), qubits[-1]
    ops = Ops([])
    plan: list = []
    _plan(plan, ops, r0, lower)
    scratch = Ops([])
    angles = 2.0 * theta
    top_bit = np.arange(half) >= half // 2
    if len(lower):
        angles = np.where(top_bit, math.pi - angles, angles)
    mux(scratch, "ry", top, lower, angles, closing=False)
    plan.extend(("gate", g) for g in scratch.gates)
    _demultiplexed(plan, ops, l0, l1, lower, top)
    _leaves_then_emit(ops, plan)
    return ops


def qsd_counts(n: int) -> dict[str, int]:
    """Gates of :func:`synthesize` on ``n`` qubits, by name (``cx``, ``cz``, ``ry``, ``rz``)."""
    if n <= 0:
        return {}
    if n == 1:
        return {"ry": 1, "rz": 2}
    leaves = 4 ** (n - 2)
    cx = 2 * (leaves - 1) + 3
    slots = 6 * (leaves - 1) + 8
    cz = ry_mux = rz_mux = 0
    for m in range(3, n + 1):
        nodes = 4 ** (n - m)
        cx += nodes * 2 * 2 ** (m - 1)
        cz += nodes * (2 ** (m - 1) - 1)
        ry_mux += nodes * 2 ** (m - 1)
        rz_mux += nodes * 2 * 2 ** (m - 1)
    out = {"cx": cx, "ry": slots + ry_mux, "rz": 2 * slots + rz_mux}
    if cz:
        out["cz"] = cz
    return out


def isometry_counts(n: int) -> dict[str, int]:
    """Gates of :func:`isometry_columns` on ``n ≥ 2`` qubits, by name."""
    if n < 2:
        raise InternalError("isometry_columns needs at least two qubits")
    m = n - 1
    out: dict[str, int] = {}
    if m == 1:  # R0, W, V are single-qubit slots
        parts = [{"ry": 1, "rz": 2}] * 3
    elif m == 2:  # three leaves: two of them at 2 CX (A.2), the last at 3
        parts = [{"cx": 2 + 2 + 3, "ry": 6 + 6 + 8, "rz": 12 + 12 + 16}]
    else:
        one = qsd_counts(m)
        # three QSDs in one A.2 chain: only the last leaf of the three keeps its third CX
        parts = [one, one, one, {"cx": -2, "ry": -4, "rz": -8}]
    for p in parts:
        for k, v in p.items():
            out[k] = out.get(k, 0) + v
    out["ry"] = out.get("ry", 0) + 2**m
    out["cx"] = out.get("cx", 0) + (2**m - 1) + 2**m
    out["rz"] = out.get("rz", 0) + 2**m
    return {k: v for k, v in sorted(out.items()) if v}


