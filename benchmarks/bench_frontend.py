"""Front-end speed: parse + build + desugar + verify + print the IR of gpt2_small.qtf.

Run ``python benchmarks/bench_frontend.py``; prints the best of N runs in seconds.  The
acceptance target is "well under a second" (random weights are generated lazily, so
none of GPT-2's 124M parameters is created).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import qcompile

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gpt2_small.qtf"


def measure(path: Path = EXAMPLE, repeats: int = 5) -> tuple[float, int, int]:
    """(best seconds, IR nodes, printed characters) over ``repeats`` load-and-print runs."""
    qcompile.load(path)  # warm-up: imports, Lark grammar compilation
    best = float("inf")
    nodes = chars = 0
    for _ in range(repeats):
        start = time.perf_counter()
        model = qcompile.load(path)
        text = model.ir.to_text()
        best = min(best, time.perf_counter() - start)
        nodes, chars = len(model.ir), len(text)
    return best, nodes, chars


def main() -> None:
    """Print the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("model", nargs="?", default=str(EXAMPLE))
    args = parser.parse_args()
    start = time.perf_counter()
    qcompile.load(args.model)
    cold = time.perf_counter() - start
    best, nodes, chars = measure(Path(args.model), args.repeats)
    print(f"{Path(args.model).name}: load + print IR: {best:.4f} s (best of {args.repeats}), "
          f"first call incl. grammar compilation {cold:.4f} s; {nodes} IR nodes, "
          f"{chars} characters")


if __name__ == "__main__":
    main()
