"""Block encodings of a dense real matrix W (DESIGN §5 row 3): unitary dilation and FABLE.

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


def _dilation(W: np.ndarray, n: int, shape: tuple[int, int], alpha: float | None) -> QuantumBlock:
    from qiskit import transpile
    from qiskit.synthesis import qs_decomposition

    from qcompile.circuit.synthesis import QISKIT_BASIS, from_qiskit

    norm = float(np.linalg.norm(W, 2))
    if alpha is None:
        alpha = norm if norm > 0 else 1.0
    alpha = float(alpha)
    if not alpha >= norm * (1 - 1e-12) or alpha <= 0:
        raise ValueError(f"alpha {alpha:.6g} is below the spectral norm {norm:.6g} of the matrix")
    M = dilation_unitary(W / alpha)
    orth = float(np.max(np.abs(M.T @ M - np.eye(M.shape[0]))))
    if orth > 1e-12:  # pragma: no cover - would be a numerical defect of the SVD
        raise ValueError(f"dilation is not orthogonal (error {orth:.2e})")
    # optimization_level 2/3 only trade CX for CZ here (same 2q count, measured N = 4..32)
    qc = transpile(qs_decomposition(M), basis_gates=QISKIT_BASIS, optimization_level=1)
    circuit = from_qiskit(qc)
    circuit.add_register("be.dilation", (n,))
    return QuantumBlock(circuit, alpha, tuple(range(n)), (n,), "block_encoding", shape,
                        {"method": "dilation", "cx": n_cx(circuit), "spectral_norm": norm,
                         "orthogonality_error": orth})


def fable_angles(W: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """FABLE's multiplexed-RY angles ``φ̂`` (Gray-code order, ``4^n`` of them) for the
    padded ``2^n × 2^n`` matrix ``W``, and the scale ``max|Wᵢⱼ|`` (see
    :func:`block_encoding`).  Rotations with ``|φ̂_k| ≤ threshold`` are left out of the
    circuit, so the exactly-zero angles of a structured matrix cost nothing."""
    N = 2**n
    amax = float(np.max(np.abs(W)))
    scale = amax if amax > 0 else 1.0
    a = np.clip(W / scale, -1.0, 1.0)
    theta = 2.0 * np.arccos(a)  # theta[ℓ, r]
    # D' is controlled on (L, R) with value k = ℓ' + N r and angle θ[ℓ' ⊕ r, r].
    lp, r = np.meshgrid(np.arange(N), np.arange(N), indexing="xy")  # lp[r, ℓ'] = ℓ', r[r, ℓ'] = r
    theta_k = theta[lp ^ r, r].reshape(-1)  # row-major over (r, ℓ'): index r·N + ℓ'
    top = np.arange(theta_k.size) >= theta_k.size // 2  # absorb the closing CX (ancilla starts at |0>)
    theta_k = np.where(top, math.pi - theta_k, theta_k)
    return multiplexor_angles(theta_k), scale


def _fable(W: np.ndarray, n: int, shape: tuple[int, int], threshold: float) -> QuantumBlock:
    N = 2**n
    phi, scale = fable_angles(W, n)
    skip = np.abs(phi) <= threshold
    dropped = float(np.sum(np.abs(phi[skip])))
    alpha = N * scale

    system = tuple(range(n))
    left = tuple(range(n, 2 * n))
    anc = 2 * n
    circuit = Circuit(2 * n + 1)
    circuit.add_register("be.system", system)
    circuit.add_register("be.fable_index", left)
    circuit.add_register("be.fable_rotation", (anc,))
    for q in left:
        circuit.append("h", (q,))
    append_multiplexed_ry(circuit, anc, left + system, [float(p) for p in phi], closing_cx=False, skip=list(skip))
    for ql, qr in zip(left, system):
        circuit.append("cx", (ql, qr))
    for q in left:
        circuit.append("h", (q,))
    info = {"method": "fable", "cx": n_cx(circuit), "threshold": threshold,
            "rotations": int(np.count_nonzero(~skip)), "dropped": int(np.count_nonzero(skip)),
            "error_bound": alpha * dropped / 2.0}
    return QuantumBlock(circuit, alpha, system, left + (anc,), "block_encoding", shape, info)


def block_encoding(matrix, method: str = "dilation", threshold: float = 0.0, alpha: float | None = None) -> QuantumBlock:
    """Block encoding of a real matrix W (zero-padded to ``2^n × 2^n``).

    ``method="dilation"``: ``A = W/α``, ``α = ‖W‖₂`` (or the given ``alpha ≥ ‖W‖₂``),
    ``U = [[A, √(I−AAᵀ)], [√(I−AᵀA), −Aᵀ]]`` synthesised by Qiskit's ``qs_decomposition``
    and transpiled to the IR basis; 1 ancilla (qubit ``n``, the most significant).
    ``info["cx"]``: CX count.

    ``method="fable"`` (Camps & Van Beeumen, arXiv:2205.00081): ``α = 2^n · max|Wᵢⱼ|``,
    ``2n+1`` qubits, ancillas ``n + 1`` (index register L = qubits ``n..2n-1`` and the
    rotation qubit ``2n``), system R = qubits ``0..n-1``.  Circuit (time order)
    ``H_L · D' · CX^{⊗n}_{L→R} · H_L`` where ``D' = Σ |ℓ r⟩⟨ℓ r| ⊗ RY(θ_{ℓ⊕r, r})``,
    ``cos(θ_{ij}/2) = Wᵢⱼ / max|W|``: ``H_L|0⟩|j⟩ = Σ_ℓ|ℓ⟩|j⟩/√N`` → ``Σ_ℓ a_{ℓ⊕j,j}|ℓ⟩|j⊕ℓ⟩/√N``,
    and ``⟨0|_L H_L`` with ``R = i`` keeps ``ℓ = i⊕j``: block ``a_{ij}/N``.  (This replaces
    FABLE's n SWAPs by n CX: the CX(R→L) half is absorbed into D' and acts trivially on
    |+⟩_L.)  D' is a Gray-code multiplexed RY with ``N²`` rotations and ``N² − 1`` CX (the
    closing CX is absorbed because the rotation qubit starts in |0⟩).

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
        return _dilation(W, n, shape, alpha)
    if method == "fable":
        if alpha is not None:
            raise ValueError("FABLE fixes alpha = 2^n · max|W_ij|; do not pass alpha")
        if not (threshold >= 0 and math.isfinite(threshold)):
            raise ValueError(f"threshold must be a finite number >= 0, got {threshold}")
        return _fable(W, n, shape, float(threshold))
    raise ValueError(f"unknown block-encoding method {method!r} (use 'dilation' or 'fable')")
