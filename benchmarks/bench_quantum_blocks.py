"""CX counts of the quantum-block constructions (issue 3 acceptance figures).

1. Parametric state preparation (uniformly controlled RY tree, n = 2..10) vs
   ``qiskit.circuit.library.StatePreparation`` transpiled at optimization_level=3 to
   cx+u, with the anchor 2^n - n - 1.
2. Block encodings of a random N×N matrix (N = 4..64): dilation (Qiskit QSD) vs FABLE
   uncompressed and at two thresholds, with the measured ‖W − α·block‖₂ and FABLE's bound.

Run: ``python benchmarks/bench_quantum_blocks.py [--max-dilation N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def qiskit_state_prep_cx(v: np.ndarray) -> int:
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit.library import StatePreparation

    n = int(np.log2(v.size))
    qc = QuantumCircuit(n)
    qc.append(StatePreparation(v), range(n))
    out = transpile(qc, basis_gates=["cx", "u"], optimization_level=3, seed_transpiler=0)
    return out.count_ops().get("cx", 0)


def block_error(be, W: np.ndarray) -> float:
    """‖W_padded − α·block‖₂, the block read off one Aer statevector (Choi state).

    Each system qubit is first entangled with a reference qubit (Bell pair); then the
    amplitude at (reference = j, system = i, ancillas = 0) is ``block[i, j] / √(2^n)``.
    """
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator
    from qcompile.backends.qiskit import to_qiskit

    n = len(be.system_qubits)
    m = be.circuit.num_qubits
    qc = QuantumCircuit(m + n)
    for k, q in enumerate(be.system_qubits):
        qc.h(m + k)
        qc.cx(m + k, q)
    qc.compose(to_qiskit(be.circuit), qubits=range(m), inplace=True)
    qc.save_statevector()
    sv = np.asarray(AerSimulator(method="statevector").run(qc, shots=1).result().get_statevector())
    idx = be._system_indices()
    cols = np.arange(2**n) << m
    block = sv[np.add.outer(idx, cols)] * np.sqrt(2**n)
    P = np.zeros((2**n, 2**n))
    P[: W.shape[0], : W.shape[1]] = W
    return float(np.linalg.norm(P - be.alpha * block, 2))


def main() -> None:
    from qcompile.quantum import block_encoding, state_preparation

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-dilation", type=int, default=64, help="largest N for the QSD dilation")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)

    print("Parametric state preparation: CX counts (ours: bound loader incl. flag; Qiskit: StatePreparation, O3, cx+u)")
    print(f"{'n':>3} {'ours':>6} {'2^n-n-1':>8} {'qiskit':>7} {'ratio':>6} {'qiskit s':>9}")
    for n in range(2, 11):
        v = rng.normal(size=2**n)
        v /= np.linalg.norm(v)
        ours = state_preparation(2**n, bound=1.0).circuit.count_ops().get("cx", 0)
        t = time.perf_counter()
        ref = qiskit_state_prep_cx(v)
        dt = time.perf_counter() - t
        print(f"{n:>3} {ours:>6} {2**n - n - 1:>8} {ref:>7} {ours / ref:>6.3f} {dt:>9.2f}")

    thresholds = (1e-3, 1e-2)
    print()
    print("Block encodings of a random Gaussian N×N matrix: CX counts and measured ‖W − α·block‖₂")
    head = f"{'N':>3} {'dilation':>9} {'err':>8} {'QSD s':>6} {'FABLE':>6} {'err':>8}"
    for th in thresholds:
        head += f" {'FABLE@' + format(th, 'g'):>11} {'err':>8} {'bound':>8}"
    print(head)
    for N in (4, 8, 16, 32, 64):
        W = rng.normal(size=(N, N))
        row = f"{N:>3}"
        if N <= args.max_dilation:
            t = time.perf_counter()
            dil = block_encoding(W)
            dt = time.perf_counter() - t
            row += f" {dil.info['cx']:>9} {block_error(dil, W):>8.1e} {dt:>6.1f}"
        else:
            row += f" {'skipped':>9} {'':>8} {'':>6}"
        fab = block_encoding(W, method="fable")
        row += f" {fab.info['cx']:>6} {block_error(fab, W):>8.1e}"
        for th in thresholds:
            fc = block_encoding(W, method="fable", threshold=th)
            row += f" {fc.info['cx']:>11} {block_error(fc, W):>8.1e} {fc.info['error_bound']:>8.1e}"
        print(row, flush=True)

    print()
    print("Same for a smooth matrix W_ij = cos(3(x_i + x_j)) (compressible in the Walsh basis), FABLE only")
    print(f"{'N':>3} {'FABLE':>6}" + "".join(f" {'FABLE@' + format(th, 'g'):>11} {'err':>8} {'bound':>8}" for th in thresholds))
    for N in (4, 8, 16, 32, 64):
        x = np.linspace(0, 1, N)
        W = np.cos(3 * np.add.outer(x, x))
        row = f"{N:>3} {block_encoding(W, method='fable').info['cx']:>6}"
        for th in thresholds:
            fc = block_encoding(W, method="fable", threshold=th)
            row += f" {fc.info['cx']:>11} {block_error(fc, W):>8.1e} {fc.info['error_bound']:>8.1e}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
