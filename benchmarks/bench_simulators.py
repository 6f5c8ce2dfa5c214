"""Simulators side by side, and verification spread over processes, in one run.

1. Time per state-vector run of the widest stages of the compiled examples on every
   simulator: ``qiskit`` (Aer, CPU), ``cirq`` (Cirq's own complex128 simulation), ``qsim``
   (qsimcirq, single precision) and, where a GPU is present, ``qiskit_gpu``; one input at
   a time and as one batch of ``--batch`` inputs (``Backend.statevectors``), and each
   backend's largest amplitude difference from Cirq's state.
2. ``qcompile verify`` of one example (default ``encoder_block``, ``--inputs 8``) serially
   and with ``--jobs 2``: wall times, their ratio, and whether the rows are identical.

    python benchmarks/bench_simulators.py [--stages 3] [--batch 4] [--verify encoder_block] [--inputs 8]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict

import numpy as np

#: examples whose stages are candidates for "the widest stages" (compiled at -O1, tolerance 1e-3)
CANDIDATES = ("attention", "encoder_block", "encoder_prenorm", "protein_tiny", "mlp")


def widest_stages(count: int):
    """``(example, stage index, program)`` of the ``count`` stages with most qubits, then gates."""
    import qcompile

    found = []
    for name in CANDIDATES:
        program = qcompile.compile(os.path.join("examples", f"{name}.qtf"))
        for k, sc in enumerate(program.stages):
            found.append((sc.circuit.num_qubits, len(sc.circuit.gates), name, k, program))
    found.sort(key=lambda t: (-t[0], -t[1]))
    return [(name, k, program) for _, _, name, k, program in found[:count]]


def time_simulators(count: int, batch: int) -> list[dict]:
    from qcompile.backends.registry import get_backend
    from qcompile.lowering.inputs import random_input

    names = [n for n in ("qiskit", "cirq", "qsim", "qiskit_gpu") if get_backend(n).unavailable() is None]
    rows = []
    for example, k, program in widest_stages(count):
        sc = program.stages[k]
        rng = np.random.default_rng(0)
        values = [program.stage_values(random_input(program.model, rng), k) for _ in range(batch)]
        reference = None
        row = {"example": example, "stage": k, "qubits": sc.circuit.num_qubits, "gates": len(sc.circuit.gates)}
        for name in ["cirq"] + [n for n in names if n != "cirq"]:
            sim = get_backend(name)
            sim.statevector(sc.circuit, values[0])                       # emit / translate once
            t0 = time.perf_counter()
            one = [sim.statevector(sc.circuit, v) for v in values]
            t1 = time.perf_counter()
            many = sim.statevectors(sc.circuit, values)
            t2 = time.perf_counter()
            if reference is None:
                reference = one
            row[name] = {"s_per_run": (t1 - t0) / batch, "s_per_run_batched": (t2 - t1) / batch,
                         "max_diff_vs_cirq": max(float(np.max(np.abs(a - r))) for a, r in zip(one, reference)),
                         "batch_equals_single": all(np.array_equal(a, b) for a, b in zip(one, many))}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def time_verify(example: str, inputs: int, jobs: int) -> dict:
    import qcompile

    program = qcompile.compile(os.path.join("examples", f"{example}.qtf"))
    t0 = time.perf_counter()
    serial = qcompile.verify(program, inputs=inputs)
    t1 = time.perf_counter()
    parallel = qcompile.verify(program, inputs=inputs, jobs=jobs)
    t2 = time.perf_counter()
    out = {"example": example, "inputs": inputs, "backends": "qiskit,cirq", "serial_s": t1 - t0,
           f"jobs{jobs}_s": t2 - t1, "ratio": (t1 - t0) / (t2 - t1), "ok": [serial.ok, parallel.ok],
           "rows_identical": [asdict(r) for r in serial.rows] == [asdict(r) for r in parallel.rows],
           "cores": os.cpu_count()}
    print(json.dumps(out), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stages", type=int, default=3)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--verify", default="encoder_block")
    ap.add_argument("--inputs", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-simulators", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    result = {}
    if not args.skip_simulators:
        result["simulators"] = time_simulators(args.stages, args.batch)
    if args.verify:
        result["verify"] = time_verify(args.verify, args.inputs, args.jobs)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
