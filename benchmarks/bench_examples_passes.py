"""Our passes (IR-level fusion + circuit passes) vs Qiskit's optimiser on the examples.

For each example and stage: CX count (CX + 1q basis) and qubits of our -O0 program (the
unfolded quantum IR, no circuit pass), of our -O2 program (``fold-linear-chains``,
``fold-constants``, then the -O2 circuit passes incl. ancilla reuse; ``q reuse`` gives its
qubits before and after ``ancilla-reuse``), and of
``qiskit.transpile(our -O0 circuit, basis_gates=[cx, rz, ry, rx, h, x, ...],
optimization_level=3)``; the -O2/Qiskit-O3 CX ratio, and times: our whole -O2 compile
(from the model) vs Qiskit's O3 on the -O0 stages (same process, one run each).  Large
stages take Qiskit minutes; pick examples on the command line.

Run: ``python benchmarks/bench_examples_passes.py [linear mlp attention_head ...]
[--tolerance 1e-2]``.
"""

from __future__ import annotations

import argparse
import time

BASIS = ["cx", "rz", "ry", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "p"]


def qiskit_o3(circuit):
    """(CX, depth, qubits, seconds) of Qiskit's O3 on the circuit (emitted with standard gates)."""
    from qiskit import transpile

    from qcompile.backends.qiskit import to_qiskit

    qc = to_qiskit(circuit)
    t = time.perf_counter()
    out = transpile(qc, basis_gates=BASIS, optimization_level=3, seed_transpiler=0)
    return out.count_ops().get("cx", 0), out.depth(), out.num_qubits, time.perf_counter() - t


def main() -> None:
    """Print the table."""
    import qcompile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("examples", nargs="*", default=["linear", "mlp", "attention_head"])
    ap.add_argument("--tolerance", type=float, default=1e-2)
    args = ap.parse_args()
    print(f"{'example':16} {'stage':>5} {'q O0':>5} {'q reuse':>9} {'q Qk':>5} {'CX O0':>9} {'CX O2':>9} "
          f"{'CX Qk O3':>9} {'O2/Qk':>6}")
    for name in args.examples:
        path = f"examples/{name}.qtf"
        prog0 = qcompile.compile(path, tolerance=args.tolerance, optimization=0)
        t = time.perf_counter()
        prog2 = qcompile.compile(path, tolerance=args.tolerance, optimization=2)
        t_ours = time.perf_counter() - t
        t_qk = 0.0
        tot = [0, 0]
        for k, (sc0, sc2) in enumerate(zip(prog0.stages, prog2.stages)):
            cx_q, _, q_q, t_q = qiskit_o3(sc0.circuit)
            t_qk += t_q
            tot[0] += sc2.stats()["cx"]
            tot[1] += cx_q
            s0, s2 = sc0.stats(), sc2.stats()
            before = sc2.info.get("ancilla_reuse", {}).get("qubits_before", s2["qubits"])
            reuse = f"{before}->{s2['qubits']}"
            print(f"{name:16} {k:>5} {s0['qubits']:>5} {reuse:>9} {q_q:>5} {s0['cx']:>9} {s2['cx']:>9} "
                  f"{cx_q:>9} {s2['cx'] / max(cx_q, 1):>6.2f}", flush=True)
        print(f"{name:16} total CX: our -O2 {tot[0]}, Qiskit O3 {tot[1]} (ratio {tot[0] / max(tot[1], 1):.2f}); "
              f"time: our -O2 compile {t_ours:.1f} s, Qiskit O3 on the -O0 stages {t_qk:.1f} s "
              f"(ratio {t_ours / max(t_qk, 1e-9):.2f})", flush=True)


if __name__ == "__main__":
    main()
