"""Success probability and amplitude amplification, every shipped example in one run.

For each small example (the compiler's own quantum IR) and each LLM configuration (the
abstract estimate), at tolerance 1e-3 and -O1: the largest log10 α of a stage, the
smallest stage success probability (``1/α²`` for a unit-norm output, or the certified
lower bound of :mod:`qcompile.success` where it is larger), the most repetitions per
post-selected sample, and log10 of the CX per post-selected sample of every stage over all
runs without amplification, with exact amplification and with fixed-point amplification
to ½ (:mod:`qcompile.resources.amplification`; ``qcompile resources`` prints the same per
stage).  The ratio column is how many orders of magnitude amplification saves.

    python benchmarks/bench_success.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from example_registry import EXAMPLES  # noqa: E402

from qcompile.resources.amplification import amplification_estimates, amplification_summary  # noqa: E402
from qcompile.resources.api import estimate  # noqa: E402


def main() -> None:
    names = [n for n, e in EXAMPLES.items() if e.llm or (e.compiles and not e.stacked)]
    head = (f"{'model':<18} {'max log10 α':>12} {'min log10 p':>12} {'max log10 reps':>15} "
            f"{'log10 CX plain':>15} {'exact':>10} {'fixed pt':>10} {'saved (orders)':>15} {'s':>5}")
    print(head)
    for name in names:
        t = time.perf_counter()
        rep = estimate(os.path.join("examples", f"{name}.qtf"), tolerance=1e-3)
        rows = amplification_estimates(rep)
        s = amplification_summary(rows, rep.runs)
        top = max(r.log10_alpha for r in rows)
        print(f"{name:<18} {top:>12.2f} {s['smallest_log10_p']:>12.2f} {s['max_log10_repetitions']:>15.2f} "
              f"{s['log10_cx_plain']:>15.2f} {s['log10_cx_exact']:>10.2f} {s['log10_cx_fixed_point']:>10.2f} "
              f"{s['log10_cx_plain'] - s['log10_cx_fixed_point']:>15.2f} {time.perf_counter() - t:>5.1f}", flush=True)


if __name__ == "__main__":
    main()
