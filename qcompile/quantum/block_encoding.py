"""Block encodings of a dense real matrix W (DESIGN §5 row 3): a one-ancilla dilation at
``α = ‖W‖₂`` built from the SVD, and FABLE.

Padding: a ``rows × cols`` matrix is zero-padded to ``2^n × 2^n`` with
``n = max(1, ⌈log2 max(rows, cols)⌉)``; ``.block(unitary)`` returns the padded matrix and
``shape`` keeps ``(rows, cols)``.  System qubits ``0..n-1`` (little-endian row/column
index), ancillas after them.
"""

from __future__ import annotations

import math

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.state_preparation import append_multiplexed_ry, axis_qubits, multiplexor_angles, n_cx


def _padded_matrix(matrix) -> tuple[np.ndarray, int, tuple[int, int]]:
    W = np.asarray(matrix)
    if W.dtype.kind not in "biuf":
        raise ValueError("block_encoding takes a real matrix")
    W = np.atleast_2d(W.astype(float))
    if W.ndim != 2:
        raise ValueError(f"block_encoding takes a matrix, got shape {list(W.shape)}")
    if not np.all(np.isfinite(W)):
        raise ValueError("the matrix has non-finite entries")
    rows, cols = W.shape
    n = max(1, axis_qubits(max(rows, cols)))
    P = np.zeros((2**n, 2**n))
    P[:rows, :cols] = W
    return P, n, (rows, cols)


def dilation_unitary(A: np.ndarray) -> np.ndarray:
    """The orthogonal ``[[A, √(I−AAᵀ)], [√(I−AᵀA), −Aᵀ]]`` for real square ``‖A‖₂ ≤ 1``.

    Built from the SVD ``A = U Σ Vᵀ``: ``√(I−AAᵀ) = U C Uᵀ``, ``√(I−AᵀA) = V C Vᵀ``,
    ``C = √((1−Σ)(1+Σ))``; orthogonality then holds to rounding (``A`` is used as the
    reconstructed ``U Σ Vᵀ``, which differs from the input by ~1e-16).
    """
    U, s, Vt = np.linalg.svd(A)
    s = np.clip(s, 0.0, 1.0)
    c = np.sqrt((1.0 - s) * (1.0 + s))
    Ar = (U * s) @ Vt
    V = Vt.T
    return np.block([[Ar, (U * c) @ U.T], [(V * c) @ V.T, -Ar.T]])


def _spectral_alpha(W: np.ndarray, alpha: float | None) -> tuple[float, float]:
    norm = float(np.linalg.norm(W, 2))
    if alpha is None:
        alpha = norm if norm > 0 else 1.0
    alpha = float(alpha)
    if not alpha >= norm * (1 - 1e-12) or alpha <= 0:
        raise ValueError(f"alpha {alpha:.6g} is below the spectral norm {norm:.6g} of the matrix")
    return alpha, norm


def _synthesised(qc) -> Circuit:
    """A Qiskit circuit transpiled to the IR basis (optimization level 1: 1q runs merged)
    and converted; levels 2/3 only trade CX for CZ here (same 2q count, measured N = 4..32)."""
    from qiskit import transpile

    from qcompile.circuit.synthesis import QISKIT_BASIS, from_qiskit

    return from_qiskit(transpile(qc, basis_gates=QISKIT_BASIS, optimization_level=1))


def _qsd_dilation(W: np.ndarray, n: int, shape: tuple[int, int], alpha: float | None) -> QuantumBlock:
    """The Halmos dilation of ``W/α`` on ``n + 1`` qubits, synthesised whole by Qiskit's QSD
    (the construction before :func:`_svd_dilation`; kept for comparison)."""
    from qiskit.synthesis import qs_decomposition

    alpha, norm = _spectral_alpha(W, alpha)
    M = dilation_unitary(W / alpha)
    orth = float(np.max(np.abs(M.T @ M - np.eye(M.shape[0]))))
    if orth > 1e-12:  # pragma: no cover - would be a numerical defect of the SVD
        raise ValueError(f"dilation is not orthogonal (error {orth:.2e})")
    circuit = _synthesised(qs_decomposition(M))
    circuit.add_register("be.dilation", (n,))
    return QuantumBlock(circuit, alpha, tuple(range(n)), (n,), "block_encoding", shape,
                        {"method": "dilation", "construction": "qsd", "cx": n_cx(circuit),
                         "spectral_norm": norm, "orthogonality_error": orth})


def singular_value_factors(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(U, c, Vᵀ)`` with ``A = U·diag(c)·Vᵀ``, ``U, V ∈ SO(N)`` (determinant +1) and
    ``c ∈ [−1, 1]`` for a real square ``A`` with ``‖A‖₂ ≤ 1``.

    From the SVD: a factor of determinant −1 has its last column (row of ``Vᵀ``) negated
    and the last singular value's sign flipped with it, which leaves the product unchanged;
    a diagonal ``A`` keeps ``U = V = I`` (its entries are the ``c``), so structured blocks
    pay only the multiplexor."""
    N = A.shape[0]
    if not np.any(A - np.diag(np.diag(A))):
        return np.eye(N), np.clip(np.diag(A).copy(), -1.0, 1.0), np.eye(N)
    U, s, Vt = np.linalg.svd(A)
    c = np.clip(s, 0.0, 1.0)
    if np.linalg.det(U) < 0:
        U[:, -1] *= -1.0
        c[-1] *= -1.0
    if np.linalg.det(Vt) < 0:
        Vt[-1, :] *= -1.0
        c[-1] *= -1.0
    return U, c, Vt


def _orthogonal_circuit(qc, M: np.ndarray, qubits) -> None:
    """Append Qiskit's QSD of the orthogonal ``M`` on ``qubits`` (nothing for the identity)."""
    from qiskit.synthesis import qs_decomposition

    if M.shape[0] == 1 or np.array_equal(M, np.eye(M.shape[0])):
        return
    qc.compose(qs_decomposition(M), qubits, inplace=True)


def _svd_dilation(W: np.ndarray, n: int, shape: tuple[int, int], alpha: float | None) -> QuantumBlock:
    """One-ancilla block encoding of ``W/α`` from its singular value decomposition (see
    :func:`block_encoding`)."""
    from qiskit import QuantumCircuit

    alpha, norm = _spectral_alpha(W, alpha)
    U, c, Vt = singular_value_factors(W / alpha)
    N = 2**n
    theta = 2.0 * np.arccos(c)
    top = np.arange(N) >= N // 2  # absorb the closing CX: the ancilla enters at |0>
    theta = np.where(top, math.pi - theta, theta)
    phi = multiplexor_angles(theta)
    qc = QuantumCircuit(n + 1)
    _orthogonal_circuit(qc, Vt, range(n))
    mux = Circuit(n + 1)
    append_multiplexed_ry(mux, n, tuple(range(n)), [float(p) for p in phi], closing_cx=False,
                          skip=list(phi == 0.0))
    for g in mux.gates:
        getattr(qc, g.name)(*g.params, *g.qubits)
    _orthogonal_circuit(qc, U, range(n))
    circuit = _synthesised(qc)
    circuit.add_register("be.ancilla", (n,))
    return QuantumBlock(circuit, alpha, tuple(range(n)), (n,), "block_encoding", shape,
                        {"method": "dilation", "construction": "svd", "cx": n_cx(circuit),
                         "spectral_norm": norm})


def fable_angles(W: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """FABLE's multiplexed-RY angles ``φ̂`` (Gray-code order, ``4^n`` of them) for the
    padded ``2^n × 2^n`` matrix ``W``, and the scale ``max|Wᵢⱼ|`` (see
    :func:`block_encoding`).  The multiplexor is controlled on ``(L, R)`` (L the low
    bits), value ``k = ℓ + N·r`` rotating by ``θ[ℓ, r]``, ``cos(θ/2) = W_ℓr / max|W|``.
    Rotations with ``|φ̂_k| ≤ threshold`` are left out of the circuit, so the exactly-zero
    angles of a structured matrix cost nothing."""
    amax = float(np.max(np.abs(W)))
    scale = amax if amax > 0 else 1.0
    a = np.clip(W / scale, -1.0, 1.0)
    theta_k = (2.0 * np.arccos(a)).T.reshape(-1)  # index r·N + ℓ holds θ[ℓ, r]
    top = np.arange(theta_k.size) >= theta_k.size // 2  # absorb the closing CX (ancilla starts at |0>)
    theta_k = np.where(top, math.pi - theta_k, theta_k)
    return multiplexor_angles(theta_k), scale


def _fable(W: np.ndarray, n: int, shape: tuple[int, int], threshold: float) -> QuantumBlock:
    N = 2**n
    phi, scale = fable_angles(W, n)
    skip = np.abs(phi) <= threshold
    dropped = float(np.sum(np.abs(phi[skip])))
    alpha = N * scale

    right = tuple(range(n))          # input register R
    left = tuple(range(n, 2 * n))    # index register L, the output register
    anc = 2 * n
    circuit = Circuit(2 * n + 1)
    circuit.add_register("be.fable_right", right)
    circuit.add_register("be.fable_left", left)
    circuit.add_register("be.fable_rotation", (anc,))
    for q in left:
        circuit.append("h", (q,))
    append_multiplexed_ry(circuit, anc, left + right, [float(p) for p in phi], closing_cx=False, skip=list(skip))
    for q in right:
        circuit.append("h", (q,))
    info = {"method": "fable", "cx": n_cx(circuit), "threshold": threshold,
            "rotations": int(np.count_nonzero(~skip)), "dropped": int(np.count_nonzero(skip)),
            "error_bound": alpha * dropped / 2.0, "output_qubits": left}
    return QuantumBlock(circuit, alpha, right, right + (anc,), "block_encoding", shape, info)


def block_encoding(matrix, method: str = "dilation", threshold: float = 0.0, alpha: float | None = None,
                   construction: str = "svd") -> QuantumBlock:
    """Block encoding of a real matrix W (zero-padded to ``2^n × 2^n``).

    ``method="dilation"``: one ancilla (qubit ``n``, the most significant), ``A = W/α``
    with ``α = ‖W‖₂`` (or the given ``alpha ≥ ‖W‖₂``): a unitary whose ancilla-0 block is
    ``A``.  ``construction="svd"`` (default) builds it from ``A = U·diag(c)·Vᵀ``
    (:func:`singular_value_factors`, ``U, V ∈ SO(N)``, ``c ∈ [−1, 1]``): in time order
    ``Vᵀ`` on the system, a multiplexed ``RY(θ_j)`` on the ancilla controlled by the system
    register with ``cos(θ_j/2) = c_j``, then ``U``; so
    ``(⟨0|⊗I) U·MUX·Vᵀ (|0⟩⊗I) = U·diag(cos(θ/2))·Vᵀ = A``.  ``U`` and ``Vᵀ`` are
    synthesised by Qiskit's ``qs_decomposition`` (block-ZXZ, ``(22/48)·N²`` CX leading
    term each), the multiplexor is the Gray-code one with ``N − 1`` CX (its closing CX is
    absorbed because the ancilla enters at |0⟩; its exactly-zero Walsh angles are left
    out), and the whole circuit is transpiled to the IR basis at level 1: about
    ``(11/12)·N² + N`` CX against ``(23/12)·N²`` for ``construction="qsd"``, Qiskit's QSD of
    the ``2N × 2N`` Halmos dilation ``[[A, √(I−AAᵀ)], [√(I−AᵀA), −Aᵀ]]``.
    ``info["cx"]``: CX count.

    ``method="fable"`` (Camps & Van Beeumen, arXiv:2205.00081): ``α = 2^n · max|Wᵢⱼ|``,
    ``2n+1`` qubits: input register R = qubits ``0..n-1``, index register L = qubits
    ``n..2n-1``, rotation qubit ``2n``.  FABLE's circuit is ``H_L · SWAP_{LR} · O_A · H_L``
    with ``O_A = Σ |ℓ r⟩⟨ℓ r| ⊗ RY(θ_ℓr)``, ``cos(θ_ℓr/2) = W_ℓr / max|W|``; the SWAP is
    removed by relabelling: the output register is L (``info["output_qubits"]``) and the
    final Hadamards act on R, which is post-selected with the rotation qubit.  In time
    order ``H_L · O_A · H_R``: ``H_L|0⟩|j⟩_R = Σ_ℓ|ℓ⟩|j⟩/√N → Σ_ℓ a_{ℓj}|ℓ⟩|j⟩/√N`` on the
    rotation qubit's 0 branch, and ``⟨i|_L ⟨0|_R H_R`` keeps ``a_{ij}/N``.  ``O_A`` is a
    Gray-code multiplexed RY with ``N²`` rotations and ``N² − 1`` CX (the closing CX is
    absorbed because the rotation qubit starts in |0⟩), and no other CX: ``N² − 1`` in all.
    ``ancilla_qubits`` are R and the rotation qubit (post-selected at the output);
    :func:`qcompile.quantum.combine.apply` reads the output from L, and
    :func:`qcompile.quantum.combine.settled` moves it back onto R where one register must
    hold both (``2n`` CX).

    Compression: rotations with ``|φ̂_k| ≤ threshold`` are dropped and the CXs between
    kept rotations merged by control parity.  Error bound (``info["error_bound"]``): the
    realised angles are ``θ̃ = θ − Σ_{k dropped} ±φ̂_k`` (every Walsh sign is ±1), so
    ``|θ_{ij} − θ̃_{ij}| ≤ S := Σ_{dropped}|φ̂_k|``; ``cos(·/2)`` is ½-Lipschitz, so every
    entry of ``W − α·block`` is at most ``max|W|·S/2``, and ``‖E‖₂ ≤ ‖E‖_F ≤ N·max|E_{ij}|``:
    ``‖W − α·block‖₂ ≤ α·S/2``.  (A bound in exact arithmetic; the simulated block also
    carries ~1e-15 of floating-point rounding.)
    """
    W, n, shape = _padded_matrix(matrix)
    if method == "dilation":
        if construction == "svd":
            return _svd_dilation(W, n, shape, alpha)
        if construction == "qsd":
            return _qsd_dilation(W, n, shape, alpha)
        raise ValueError(f"unknown dilation construction {construction!r} (use 'svd' or 'qsd')")
    if method == "fable":
        if alpha is not None:
            raise ValueError("FABLE fixes alpha = 2^n · max|W_ij|; do not pass alpha")
        if not (threshold >= 0 and math.isfinite(threshold)):
            raise ValueError(f"threshold must be a finite number >= 0, got {threshold}")
        return _fable(W, n, shape, float(threshold))
    raise ValueError(f"unknown block-encoding method {method!r} (use 'dilation' or 'fable')")
