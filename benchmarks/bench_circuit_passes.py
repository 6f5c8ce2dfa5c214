"""Circuit-level optimisation passes vs Qiskit's optimiser (issue 5 acceptance figures).

Per library circuit (LCU, QSVT/elementwise, dilation chains; up to ~12 qubits):

* CX count and depth (in the CX + 1q basis) of our -O0, our -O2, and
  ``qiskit.transpile(our -O0 circuit, basis_gates=[cx, rz, ry, rx, h, x, ...],
  optimization_level=3)``; -O2 / Qiskit-O3 CX ratio.
* compile time of our -O2 pipeline vs Qiskit's O3 on the same circuit, same process:
  median of ``--repeat`` runs after one warm-up run each (so one-time costs — our cached
  MCX templates, Qiskit's plugin loading — are excluded on both sides).
* qubits with and without ancilla reuse.
* a check that -O2 kept the post-selected output (max |Δ(α·amplitudes)| over 3 inputs).
* routed on a line of as many qubits as the circuit has: our ``-O2 --target line:N``
  (ancilla reuse off) vs ``qiskit.transpile(-O0, coupling_map, optimization_level=3)``.

Depth: multi-controlled gates are lowered (``lower_multicontrolled``) and ``ccx`` unrolled
to CX + 1q by ``qiskit.transpile(optimization_level=0)`` before counting, so our depth and
Qiskit's are in the same basis.

Run: ``python benchmarks/bench_circuit_passes.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

BASIS = ["cx", "rz", "ry", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "p"]


def stage_of(block, name):
    from qcompile.circuit.stage import StageCircuit

    return StageCircuit(block.circuit, tuple(block.system_qubits), tuple(block.ancilla_qubits),
                        float(block.alpha), name)


def inputs_for(loader, seed: int, count: int = 3) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        x = rng.normal(size=loader.shape)
        x *= 0.8 * loader.bound / np.linalg.norm(x)
        out.append(loader.bind(x))
    return out


def examples(quick: bool):
    """(name, stage circuit, input bindings) for the benchmark."""
    from qcompile.quantum import apply, block_encoding, elementwise, lcu, state_preparation

    rng = np.random.default_rng(2026)
    out = []
    x4 = state_preparation(4, bound=2.0, name="x")
    w = [rng.normal(size=(4, 4)) for _ in range(3)]
    terms = [apply(block_encoding(w[0]), x4), apply(block_encoding(w[1]), x4)]
    out.append(("lcu 2 terms, d=4", stage_of(lcu([0.7, -0.4], terms), "lcu"), inputs_for(x4, 1)))
    out.append(("lcu then weight, d=4", stage_of(apply(block_encoding(w[2]), lcu([0.7, -0.4], terms)), "lcuw"),
                inputs_for(x4, 2)))
    x8 = state_preparation(8, bound=2.0, name="x")
    w8 = [rng.normal(size=(8, 8)) for _ in range(3)]
    chain = x8
    for m in w8:
        chain = apply(block_encoding(m), chain)
    out.append(("dilation chain x3, d=8", stage_of(chain, "chain"), inputs_for(x8, 3)))
    g4 = state_preparation(4, bound=1.0, name="x")
    out.append(("elementwise gelu, d=4", stage_of(elementwise(g4, "gelu", 1e-2), "gelu"), inputs_for(g4, 4)))
    if not quick:
        e8 = state_preparation(8, bound=1.0, name="x")
        out.append(("elementwise exp, d=8", stage_of(elementwise(e8, "exp", 1e-3), "exp"), inputs_for(e8, 5)))
        t8 = [apply(block_encoding(w8[0]), x8), apply(block_encoding(w8[1]), x8)]
        out.append(("lcu 2 terms, d=8", stage_of(lcu([0.5, 0.5], t8), "lcu8"), inputs_for(x8, 6)))
    return out


def cx_depth_qiskit(qc) -> tuple[int, int]:
    ops = qc.count_ops()
    return int(ops.get("cx", 0)), int(qc.depth(lambda inst: inst.operation.name != "barrier"))


def ours_cx_depth(circuit) -> tuple[int, int]:
    """CX and depth in the CX + 1q basis (multi-controlled gates lowered, ccx unrolled)."""
    from qiskit import transpile

    from qcompile.backends.qiskit import to_qiskit
    from qcompile.circuit.decompose import lower_multicontrolled

    qc = transpile(to_qiskit(lower_multicontrolled(circuit)), basis_gates=BASIS + ["measure", "reset"],
                   optimization_level=0)
    return cx_depth_qiskit(qc)


def output_error(a, b, inputs) -> float:
    """max |α·amplitudes(a) − α·amplitudes(b)| on the post-selected branch over ``inputs``."""
    from qiskit.quantum_info import Statevector

    from qcompile.backends.qiskit import to_qiskit
    from qcompile.circuit.ir import Circuit

    def amps(stage, values):
        c = stage.circuit.bind(values) if stage.circuit.is_parametric else stage.circuit
        n = c.num_qubits
        psi = np.zeros(2**n, dtype=complex)
        psi[0] = 1
        seg = Circuit(n, global_phase=c.global_phase)
        basis = np.arange(2**n)
        for g in c.gates + [None]:
            if g is None or g.name in ("measure", "reset"):
                psi = Statevector(psi).evolve(to_qiskit(seg)).data
                seg = Circuit(n)
                if g is not None and g.name == "measure":
                    psi = np.where((basis >> g.qubits[0]) & 1, 0, psi)
            elif g.name != "barrier":
                seg.add_gate(g)
        vals = np.arange(2 ** len(stage.output))
        idx = np.zeros_like(vals)
        for k, q in enumerate(stage.output):
            idx |= ((vals >> k) & 1) << q
        return stage.alpha * psi[idx]

    return max(float(np.max(np.abs(amps(a, v) - amps(b, v)))) for v in inputs)


def main() -> None:
    from qiskit import transpile

    from qcompile.backends.qiskit import to_qiskit
    from qcompile.passes import PassManager
    from qcompile.passes.pipelines import optimization_pipeline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the small examples")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per example (median)")
    args = parser.parse_args()

    def timed(fn):
        fn()  # warm-up
        times, result = [], None
        for _ in range(max(args.repeat, 1)):
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
        return result, float(np.median(times))

    header = (f"{'example':<24} {'qubits':>6} {'reuse':>5} | {'CX O0':>6} {'CX O2':>6} {'CX Q3':>6} "
              f"{'O2/Q3':>5} | {'dep O0':>6} {'dep O2':>6} {'dep Q3':>6} | {'t O2':>7} {'t Q3':>7} "
              f"{'ratio':>5} | {'max err':>8}")
    print(header)
    print("-" * len(header))
    for name, stage, inputs in examples(args.quick):
        cx0, d0 = ours_cx_depth(stage.circuit)
        o2, t_ours = timed(lambda: PassManager(optimization_pipeline(2)).run(stage))
        no_reuse = PassManager(optimization_pipeline(2, ancilla_reuse=False)).run(stage)
        cx2, d2 = ours_cx_depth(o2.circuit)
        qc = to_qiskit(stage.circuit)
        q3, t_q = timed(lambda: transpile(qc, basis_gates=BASIS, optimization_level=3, seed_transpiler=0))
        cxq, dq = cx_depth_qiskit(q3)
        err = output_error(o2, stage, inputs)
        print(f"{name:<24} {no_reuse.circuit.num_qubits:>6} {o2.circuit.num_qubits:>5} | {cx0:>6} {cx2:>6} "
              f"{cxq:>6} {cx2 / max(cxq, 1):>5.2f} | {d0:>6} {d2:>6} {dq:>6} | {t_ours:>6.3f}s "
              f"{t_q:>6.3f}s {t_ours / t_q:>5.2f} | {err:>8.1e}")
    print("\nqubits = without ancilla reuse (-O2 minus ancilla-reuse), reuse = with it; "
          "ratio = our -O2 time / Qiskit O3 time; max err = max |Δ α·amplitude| (-O2 vs -O0, 3 inputs)")

    from qcompile.passes.route import coupling_map

    print(f"\n{'routed on line:N':<30} {'CX O2':>6} {'CX Q3':>6} {'O2/Q3':>5} | {'t O2':>7} {'t Q3':>7} | {'max err':>8}")
    for name, stage, inputs in examples(True):
        target = f"line:{stage.circuit.num_qubits}"
        routed, t_ours = timed(lambda: PassManager(optimization_pipeline(2, target=target,
                                                                         ancilla_reuse=False)).run(stage))
        q3, t_q = timed(lambda: transpile(to_qiskit(stage.circuit), basis_gates=BASIS, optimization_level=3,
                                          coupling_map=coupling_map(target), seed_transpiler=0))
        cx2, cxq = ours_cx_depth(routed.circuit)[0], cx_depth_qiskit(q3)[0]
        print(f"{name + ' ' + target:<30} {cx2:>6} {cxq:>6} {cx2 / max(cxq, 1):>5.2f} | {t_ours:>6.3f}s "
              f"{t_q:>6.3f}s | {output_error(routed, stage, inputs):>8.1e}")


if __name__ == "__main__":
    main()
