"""Compile and run every example (except gpt2_small): stages, qubits, CX, gates, compile
time, run time per input on Qiskit, and the error vs the surrogate reference.

    python benchmarks/bench_examples.py [--inputs N] [--tolerance T] [-O L] [--cirq] [EXAMPLE ...]

Cirq is skipped by default (``--cirq`` adds it, except for programs above 15 qubits or
100k CX, where it is slow).  Models that cannot be compiled are listed with the reason.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEFAULT = ["linear", "mlp", "mlp_relu", "attention_head", "attention", "encoder_block",
           "encoder_prenorm", "encoder_stack", "protein_tiny"]
CIRQ_MAX_QUBITS = 15
CIRQ_MAX_CX = 100_000


def bench(name: str, inputs: int, tolerance: float, level: int, cirq: bool) -> dict:
    """Figures for one example (or ``{"error": reason}``)."""
    import qcompile
    from qcompile.program import random_input
    from qcompile.reference.interpreter import bind_inputs, evaluate

    t0 = time.perf_counter()
    try:
        program = qcompile.compile(str(EXAMPLES / f"{name}.qtf"), tolerance=tolerance, optimization=level)
    except qcompile.QcompileError as exc:
        return {"name": name, "error": str(exc).splitlines()[0]}
    compile_s = time.perf_counter() - t0
    stats = program.stats()
    model = program.model
    rng = np.random.default_rng(0)
    backends = ["qiskit"] + (["cirq"] if cirq and stats["qubits"] <= CIRQ_MAX_QUBITS
                                    and stats["cx"] <= CIRQ_MAX_CX else [])
    times = {b: [] for b in backends}
    worst = 0.0
    for _ in range(inputs):
        x = random_input(model, rng)
        sur = evaluate(model.ir, model.weights, bind_inputs(model, x), "surrogate",
                       program.polynomials())[model.ir.output]
        for b in backends:
            t = time.perf_counter()
            y = program.run(x, backend=b).output
            times[b].append(time.perf_counter() - t)
            worst = max(worst, float(np.max(np.abs(np.ravel(y) - np.ravel(sur)))))
    return {"name": name, "stages": stats["stages"], "qubits": stats["qubits"], "cx": stats["cx"],
            "gates": sum(stats["gates"].values()), "depth": stats["depth"], "compile_s": compile_s,
            "run_s": {b: float(np.mean(v)) for b, v in times.items()}, "surrogate_error": worst,
            "error_bound": program.info.get("calibrated_error_bound")}


def main() -> None:
    """Run the benchmark and print a table."""
    from rich.console import Console
    from rich.table import Table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("examples", nargs="*", default=DEFAULT)
    ap.add_argument("--inputs", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=1e-2)
    ap.add_argument("-O", dest="level", type=int, default=1, choices=(0, 1, 2))
    ap.add_argument("--cirq", action="store_true")
    args = ap.parse_args()
    table = Table(title=f"examples at tolerance {args.tolerance:g}, -O{args.level}, {args.inputs} input(s)")
    for col in ("example", "stages", "qubits", "CX", "gates", "depth", "compile s", "run s/input (qiskit)",
                "run s/input (cirq)", "surrogate err", "bound"):
        table.add_column(col, justify="right")
    console = Console(width=160)
    for name in args.examples:
        r = bench(name, args.inputs, args.tolerance, args.level, args.cirq)
        if "error" in r:
            table.add_row(name, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-")
            console.print(f"[yellow]{name}: not compiled: {r['error']}[/yellow]")
            continue
        cq = r["run_s"].get("cirq")
        table.add_row(name, str(r["stages"]), str(r["qubits"]), str(r["cx"]), str(r["gates"]), str(r["depth"]),
                      f"{r['compile_s']:.2f}", f"{r['run_s']['qiskit']:.2f}",
                      "-" if cq is None else f"{cq:.2f}", f"{r['surrogate_error']:.1e}",
                      f"{r['error_bound']:.1e}")
        console.print(f"done {name}", highlight=False)
    console.print(table)


if __name__ == "__main__":
    main()
