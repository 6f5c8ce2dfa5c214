"""Independent NumPy reference matrices for the circuit-IR gates (little-endian)."""

from __future__ import annotations

import numpy as np

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1, -1]).astype(complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)


def phase(t: float) -> np.ndarray:
    return np.diag([1, np.exp(1j * t)])


def rot(pauli: np.ndarray, t: float) -> np.ndarray:
    """exp(-i t P / 2) for a Pauli P."""
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * pauli


def one_qubit(name: str, params=()) -> np.ndarray:
    fixed = {"h": H, "x": X, "y": Y, "z": Z, "s": phase(np.pi / 2), "sdg": phase(-np.pi / 2),
             "t": phase(np.pi / 4), "tdg": phase(-np.pi / 4)}
    if name in fixed:
        return fixed[name]
    (t,) = params
    return {"rx": rot(X, t), "ry": rot(Y, t), "rz": rot(Z, t), "p": phase(t)}[name]


def controlled(u: np.ndarray, k: int) -> np.ndarray:
    """|1..1><1..1| ⊗ U + (I − |1..1><1..1|) ⊗ I with the k controls as the HIGH bits of
    the local register (target qubits first, little-endian)."""
    d = u.shape[0]
    out = np.eye(d * 2**k, dtype=complex)
    out[-d:, -d:] = u
    return out


def local_matrix(name: str, nq: int, params=()) -> np.ndarray:
    """Matrix of a gate on its own qubits in the IR's order (qubit j of the gate = bit j)."""
    if name in ("mcx", "mcz", "mcp", "mcrx", "mcry", "mcrz"):
        base = {"mcx": X, "mcz": Z}.get(name)
        if base is None:
            base = phase(params[0]) if name == "mcp" else one_qubit(name[2:], params)
        # qubits are controls + (target,): target is the LAST gate qubit = highest bit.
        return embed(controlled(base, nq - 1), list(range(nq - 1, nq)) + list(range(nq - 1)), nq)
    if name == "cx":
        return embed(controlled(X, 1), [1, 0], 2)
    if name == "cz":
        return controlled(Z, 1)
    if name == "ccx":
        return embed(controlled(X, 2), [2, 0, 1], 3)
    if name == "swap":
        return np.eye(4)[[0, 2, 1, 3]].astype(complex)
    return one_qubit(name, params)


def embed(u: np.ndarray, qubits, n: int) -> np.ndarray:
    """The n-qubit matrix applying ``u`` (little-endian over ``qubits``) to ``qubits``."""
    m = len(qubits)
    t = u.reshape([2] * (2 * m))
    ident = np.eye(2**n, dtype=complex).reshape([2] * n + [2**n])
    # local tensor axis j <-> local qubit m-1-j; global qubit q <-> axis n-1-q
    axes = [n - 1 - qubits[m - 1 - j] for j in range(m)]
    out = np.tensordot(t, ident, axes=(list(range(m, 2 * m)), axes))
    out = np.moveaxis(out, list(range(m)), axes)
    return out.reshape(2**n, 2**n)


def circuit_unitary(circuit) -> np.ndarray:
    """Product of the gates' NumPy matrices times e^{i global_phase} (bound circuits)."""
    n = circuit.num_qubits
    u = np.exp(1j * circuit.global_phase) * np.eye(2**n, dtype=complex)
    for g in circuit.gates:
        if g.name == "barrier":
            continue
        u = embed(local_matrix(g.name, len(g.qubits), g.params), list(g.qubits), n) @ u
    return u
