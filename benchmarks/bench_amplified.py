"""Every stage of every small example amplified to success probability ≥ 1/2, verified.

For each example (default: every single-program small example of the registry): compile at
-O1 (tolerance 1e-3; mlp_relu 1e-1, whose ReLU degree grows like 1/tolerance and whose
amplified stage at 1e-3 is 61 M CX, beyond this machine's memory), run 8 random inputs,
take ``p_min`` = half the smallest stage success probability seen (an assumption, recorded
by the ``amplify`` pass), amplify every stage whose smallest ``p`` is below 1/2, and verify
the amplified program on ``--inputs`` other random inputs on Qiskit and Cirq.  ``verify``
fails a row if an amplified stage misses its target, so ``ok`` also says every stage
succeeded with probability ≥ 1/2.  Prints, per example, the calls of each stage's circuit,
the CX of all stages before and after amplification, the smallest stage success
probability after amplification and the seconds verification took.  Expect minutes per
encoder-sized example (up to ~20 M CX per amplified program).

    python benchmarks/bench_amplified.py [--inputs N] [MODEL ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from example_registry import EXAMPLES, path  # noqa: E402

import qcompile  # noqa: E402
from qcompile.lowering.inputs import random_input  # noqa: E402

BASE = "cancel-inverses,merge-rotations"          # -O1's circuit passes
TOLERANCE = {"mlp_relu": 1e-1}                    # everything else: 1e-3


def amplified(name: str) -> tuple:
    """The plain and the amplified program of ``name``."""
    tol = TOLERANCE.get(name, 1e-3)
    plain = qcompile.compile(path(name), tolerance=tol, passes=BASE)
    rng = np.random.default_rng(100)
    runs = plain.run_many([random_input(plain.model, rng) for _ in range(8)])
    seen = [min(r.stages[k].success_probability for r in runs) for k in range(len(plain.stages))]
    amp = ",".join(f"amplify{{stages={k},p_min={0.5 * p:.3g}}}" for k, p in enumerate(seen) if p < 0.5)
    prog = qcompile.compile(path(name), tolerance=tol, passes=f"{BASE},{amp}" if amp else BASE)
    return plain, prog


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=2)
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    names = args.models or [n for n, e in EXAMPLES.items() if e.compiles and not e.stacked and not e.llm]
    print(f"{'model':<20} {'calls per stage':<22} {'CX plain':>10} {'CX amplified':>13} {'min p after':>12} "
          f"{'ok':>5} {'verify s':>9}", flush=True)
    for name in names:
        plain, prog = amplified(name)
        calls = [sum(sc.info["amplification"]["calls"].values()) if "amplification" in sc.info else 1
                 for sc in prog.stages]
        t = time.perf_counter()
        rep = qcompile.verify(prog, inputs=args.inputs, backends=("qiskit", "cirq"))
        after = min(p for r in rep.rows for p in r.stage_success)
        cx0 = sum(sc.stats()["cx"] for sc in plain.stages)
        cx1 = sum(sc.stats()["cx"] for sc in prog.stages)
        print(f"{name:<20} {', '.join(map(str, calls)):<22} {cx0:>10,} {cx1:>13,} {after:>12.3f} "
              f"{str(rep.ok):>5} {time.perf_counter() - t:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
