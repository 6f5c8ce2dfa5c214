"""Our circuit passes vs Qiskit's optimiser on the compiled transformer examples.

For each example and stage: CX count and depth (CX + 1q basis) of our -O0 circuit, of our
-O2 pipeline applied to it, and of ``qiskit.transpile(our -O0 circuit,
basis_gates=[cx, rz, ry, rx, h, x, ...], optimization_level=3)``; the -O2/Qiskit-O3 CX
ratio and compile-time ratio (same process, one run each), and qubits with and without
ancilla reuse.  Large stages take Qiskit minutes; pick examples on the command line.

Run: ``python benchmarks/bench_examples_passes.py [linear mlp attention_head ...]
[--tolerance 1e-2]``.
"""

from __future__ import annotations

import argparse
import time

BASIS = ["cx", "rz", "ry", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "p"]


def qiskit_o3(circuit):
    """(CX, depth, seconds) of Qiskit's O3 on the circuit (emitted with standard gates)."""
    from qiskit import transpile

    from qcompile.backends.qiskit import to_qiskit

    qc = to_qiskit(circuit)
    t = time.perf_counter()
    out = transpile(qc, basis_gates=BASIS, optimization_level=3, seed_transpiler=0)
    return out.count_ops().get("cx", 0), out.depth(), time.perf_counter() - t


def main() -> None:
    """Print the table."""
    import qcompile
    from qcompile.passes.manager import PassManager
    from qcompile.passes.pipelines import optimization_pipeline

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("examples", nargs="*", default=["linear", "mlp", "attention_head"])
    ap.add_argument("--tolerance", type=float, default=1e-2)
    args = ap.parse_args()
    print(f"{'example':16} {'stage':>5} {'q O0':>5} {'q O2':>5} {'CX O0':>9} {'CX O2':>9} "
          f"{'CX Qk O3':>9} {'O2/Qk':>6} {'t O2 s':>7} {'t Qk s':>7}")
    for name in args.examples:
        prog = qcompile.compile(f"examples/{name}.qtf", tolerance=args.tolerance, optimization=0)
        for k, sc in enumerate(prog.stages):
            t = time.perf_counter()
            o2 = PassManager(optimization_pipeline(2)).run(sc)
            t_o2 = time.perf_counter() - t
            cx_q, _, t_q = qiskit_o3(sc.circuit)
            s0, s2 = sc.stats(), o2.stats()
            print(f"{name:16} {k:>5} {s0['qubits']:>5} {s2['qubits']:>5} {s0['cx']:>9} {s2['cx']:>9} "
                  f"{cx_q:>9} {s2['cx'] / max(cx_q, 1):>6.2f} {t_o2:>7.1f} {t_q:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
