"""Time writing each example's OpenQASM, stage by stage, against Qiskit's exporter.

    python benchmarks/bench_qasm.py [--repeat R] [--no-qiskit] [EXAMPLE ...]

For every stage: the gates after lowering (what the file holds), the size of the
OpenQASM 3 text, the best of ``R`` timings of :func:`qcompile.backends.qasm.to_qasm`
(version 3, symbolic inputs), and -- in the same process, as a yardstick -- one timing of
``qiskit.qasm3.dumps`` on the same lowered circuit converted with
:func:`qcompile.backends.qiskit.to_qiskit` (the conversion itself is not timed).  The
ratio column is Qiskit's time over ours.  Compile time is not part of any figure.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEFAULT = ["linear", "mlp", "attention_head", "attention", "encoder_block"]


def _best(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls of ``fn`` and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench(name: str, repeat: int, qiskit: bool) -> list[dict]:
    """One row per stage of example ``name`` (or one ``{"error": ...}`` row)."""
    import qcompile
    from qcompile.backends.qasm import to_qasm
    from qcompile.circuit.decompose import lower_multicontrolled

    try:
        program = qcompile.compile(str(EXAMPLES / f"{name}.qtf"))
    except qcompile.QcompileError as exc:
        return [{"name": name, "error": str(exc).splitlines()[0]}]
    rows = []
    for k, sc in enumerate(program.stages):
        circuit, header = sc.circuit, program.header(k)
        ours, text = _best(lambda: to_qasm(circuit, 3, header), repeat)
        row = {"name": name, "stage": k, "qubits": circuit.num_qubits, "gates": len(circuit),
               "bytes": len(text), "ours_s": ours, "qiskit_s": None}
        low = lower_multicontrolled(circuit, keep_cp=True)
        row["lowered"] = len(low)
        if qiskit:
            from qiskit import qasm3

            from qcompile.backends.qiskit import to_qiskit

            qc = to_qiskit(low)
            t = time.perf_counter()
            qasm3.dumps(qc)
            row["qiskit_s"] = time.perf_counter() - t
        rows.append(row)
    return rows


def main() -> None:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("examples", nargs="*", default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3, help="timings of to_qasm per stage (best kept)")
    ap.add_argument("--no-qiskit", action="store_true", help="skip the qiskit.qasm3.dumps yardstick")
    args = ap.parse_args()
    head = (f"{'example':<15}{'stage':>6}{'qubits':>7}{'gates':>8}{'lowered':>9}{'MB':>7}"
            f"{'ours s':>9}{'qiskit s':>10}{'ratio':>8}")
    print(head)
    print("-" * len(head))
    total_ours = total_qiskit = 0.0
    for name in args.examples:
        for r in bench(name, args.repeat, not args.no_qiskit):
            if "error" in r:
                print(f"{name:<15} error: {r['error']}")
                continue
            total_ours += r["ours_s"]
            q = r["qiskit_s"]
            qs, ratio = ("-", "-") if q is None else (f"{q:.3f}", f"{q / r['ours_s']:.1f}x")
            if q is not None:
                total_qiskit += q
            print(f"{r['name']:<15}{r['stage']:>6}{r['qubits']:>7}{r['gates']:>8}{r['lowered']:>9}"
                  f"{r['bytes'] / 1e6:>7.2f}{r['ours_s']:>9.3f}{qs:>10}{ratio:>8}")
    tail = f"total: ours {total_ours:.3f} s"
    if not args.no_qiskit and total_ours > 0:
        tail += f", qiskit.qasm3.dumps {total_qiskit:.3f} s ({total_qiskit / total_ours:.1f}x ours)"
    print(tail)


if __name__ == "__main__":
    main()
