"""Coherent mode vs the staged program: cost and verification, one run.

For each example (default: linear, mlp, attention_head), at tolerance 1e-3 and -O1: the
staged program and the coherent one circuit (``--coherent``, :mod:`qcompile.coherent`),
each with its stages, qubits (widest circuit), CX and depth (summed over stages), the
smallest per-stage success probability over the inputs and the largest expected
repetitions ``Σ_k 1/p_k`` per post-selected sample of every stage; then the coherent
program verified on ``--inputs`` random inputs on Qiskit and Cirq (max error vs the
surrogate reference, vs the exact model, and the error bound).  Models coherent mode
refuses are listed with the reason.

    python benchmarks/bench_coherent.py [--inputs N] [MODEL ...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import qcompile
from qcompile.coherent import cost_rows
from qcompile.errors import NotImplementedYetError
from qcompile.lowering.inputs import random_input
from qcompile.verification import verify


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=["linear", "mlp", "attention_head"])
    ap.add_argument("--inputs", type=int, default=3)
    ap.add_argument("--refused", nargs="*", default=["attention", "encoder_block", "encoder_prenorm",
                                                     "protein_tiny", "encoder_stack"])
    args = ap.parse_args()
    print(f"{'model':<16} {'mode':<9} {'stages':>6} {'qubits':>6} {'CX':>8} {'depth':>7} "
          f"{'min p per stage':>22} {'repetitions':>11}")
    for name in args.models:
        path = f"examples/{name}.qtf"
        staged = qcompile.compile(path)
        coherent = qcompile.compile(path, coherent=True)
        rng = np.random.default_rng(0)
        xs = [random_input(staged.model, rng) for _ in range(args.inputs)]
        for r in cost_rows({"staged": staged, "coherent": coherent}, xs):
            p = ", ".join(f"{v:.3g}" for v in r["success_probability"])
            print(f"{name:<16} {r['mode']:<9} {r['stages']:>6} {r['qubits']:>6} {r['cx']:>8} {r['depth']:>7} "
                  f"{p:>22} {r['repetitions']:>11.1f}")
        t = time.perf_counter()
        rep = verify(coherent, inputs=args.inputs, backends=("qiskit", "cirq"), seed=1)
        s = rep.summary()
        print(f"{'':<16} verify coherent: {'ok' if rep.ok else 'FAILED'} {s['passed']}/{s['runs']} runs "
              f"(qiskit, cirq), max |c - surrogate| {s['max_surrogate_error']:.1e}, max |c - exact| "
              f"{s['max_exact_error']:.1e}, max bound {s['max_error_bound']:.1e} ({time.perf_counter() - t:.0f} s)")
    for name in args.refused:
        try:
            qcompile.compile(f"examples/{name}.qtf", coherent=True, tolerance=0.5)
            print(f"{name:<16} coherent: compiled")
        except NotImplementedYetError as exc:
            print(f"{name:<16} refused: {exc.message}")


if __name__ == "__main__":
    main()
