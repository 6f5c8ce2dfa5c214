"""The trained sequon classifier end to end: compile ``examples/sequon.qtf`` once, classify
held-out peptides from shots of the compiled program, and compare with the PyTorch model.

    python benchmarks/bench_sequon.py [--n 64] [--shots 200] [--tolerance 1e-2] [--backend qiskit] [--json OUT]

The held-out peptides are the first ``--n`` of the test split of
``examples/train_sequon.py`` (sequences the training never saw; ``--n 607`` is all of it).  The classical prediction
is the argmax of the PyTorch model's class probabilities; the quantum prediction is the
argmax of the class frequencies among the shots that pass post-selection (``run(text,
shots=…)``: the output register holds ``p/α`` with ``p`` the softmax, so a class is
sampled with probability ``p_k²/‖p‖²``).  Every peptide runs through the same compiled
program; nothing is recompiled per input.

How many shots: with ``k`` kept shots the majority class differs from ``argmax p`` with
probability at most ``exp(−2k·m²)`` (Hoeffding), ``m = |p_1²/‖p‖² − 1/2|`` the peptide's
margin.  So every peptide whose margin exceeds ``m* = √(ln(n/δ)/(2k))`` is classified as
the classical model does, except with probability δ = 1% over the whole set; the script
prints ``m*`` and how many held-out peptides fall below it (those are limited by the
model's own indecision, not by the shots).  The post-selection keeps ``‖p‖² ≥ 1/2`` of
the shots (α = 1 on the last stage), so ``k ≥ shots/2``.  The default 200 shots (k ≥ 100,
m* ≤ 0.24 for n ≤ 607) is chosen from the validation split's margins, all above 0.45.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DELTA = 0.01


def _trainer():
    """``examples/train_sequon.py`` as a module (data, PyTorch model, qcompile model)."""
    sys.path.insert(0, str(EXAMPLES))
    import train_sequon

    return train_sequon


def margin(p: np.ndarray) -> float:
    """``|p_1²/‖p‖² − 1/2|``: how far the sampled class frequency is from a tie."""
    q = p ** 2 / np.sum(p ** 2)
    return float(abs(q[1] - 0.5))


def bench(n: int, shots: int, tolerance: float, backend: str, seed: int) -> dict:
    """Compile once, run ``n`` held-out peptides with ``shots``; the figures as a dict."""
    import qcompile

    T = _trainer()
    data = T.sequon_dataset()
    held = data["test"][:n]
    peptides, labels = [p for p, _ in held], np.array([y for _, y in held])
    torch_model = T.load_model()
    classical = T.predict(torch_model, peptides)
    test_accuracy = T.accuracy(torch_model, data["test"])

    model = T.qcompile_model()
    reference_error = max(float(np.max(np.abs(qcompile.select_output(model, qcompile.reference(model, p)) - c)))
                          for p, c in zip(peptides, classical))
    start = time.perf_counter()
    program = qcompile.compile(model, tolerance=tolerance)
    compile_s = time.perf_counter() - start
    stats = program.stats()

    rows, run_s = [], []
    for i, pep in enumerate(peptides):
        start = time.perf_counter()
        r = program.run(pep, backend=backend, shots=shots, seed=seed + i)
        run_s.append(time.perf_counter() - start)
        rows.append({"peptide": pep, "label": int(labels[i]), "classical": int(np.argmax(classical[i])),
                     "p_classical": classical[i].tolist(), "amplitude": int(np.argmax(r.output)),
                     "quantum": int(np.argmax(r.probabilities)), "frequencies": r.probabilities.tolist(),
                     "kept_shots": r.kept_shots, "margin": margin(classical[i]),
                     "margin_in_se": abs(float(r.probabilities[1]) - 0.5) * 2 * math.sqrt(r.kept_shots),
                     "error_bound": r.error_bound})
    col = {k: np.array([row[k] for row in rows]) for k in ("label", "classical", "quantum", "amplitude",
                                                             "kept_shots", "margin", "margin_in_se")}
    safe = math.sqrt(math.log(n / DELTA) / (2 * int(col["kept_shots"].min())))
    return {
        "n": n, "positives": int(col["label"].sum()), "test_split": len(data["test"]),
        "shots": shots, "tolerance": tolerance, "backend": backend,
        "stages": stats["stages"], "qubits_per_stage": [s["qubits"] for s in stats["per_stage"]],
        "cx_per_stage": [s["cx"] for s in stats["per_stage"]], "cx": stats["cx"],
        "error_bound": program.error_bound, "compile_s": compile_s, "run_s": float(np.mean(run_s)),
        "reference_vs_pytorch": reference_error,
        "classical_accuracy": float(np.mean(col["classical"] == col["label"])),
        "classical_test_accuracy": test_accuracy,
        "quantum_accuracy": float(np.mean(col["quantum"] == col["label"])),
        "agreement": float(np.mean(col["quantum"] == col["classical"])),
        "amplitude_agreement": float(np.mean(col["amplitude"] == col["classical"])),
        "kept_shots_min": int(col["kept_shots"].min()), "kept_shots_mean": float(col["kept_shots"].mean()),
        "safe_margin": safe, "below_safe_margin": int(np.sum(col["margin"] < safe)),
        "smallest_margin": float(col["margin"].min()), "smallest_margin_in_se": float(col["margin_in_se"].min()),
        "rows": rows,
    }


def report(r: dict) -> str:
    """The figures as the lines the script prints."""
    n = r["n"]

    def frac(x):
        return f"{round(x * n)}/{n} = {x:.3f}"

    return "\n".join([
        f"sequon.qtf compiled once in {r['compile_s']:.1f} s (tolerance {r['tolerance']:g}, -O1): "
        f"{r['stages']} stages, qubits per stage {r['qubits_per_stage']}, CX per stage {r['cx_per_stage']} "
        f"(total {r['cx']:,}), error bound {r['error_bound']:.2e}",
        f"held-out: {n} peptides ({r['positives']} with a sequon), the first of the "
        f"{r['test_split']}-peptide test split; reference vs PyTorch: max abs {r['reference_vs_pytorch']:.1e}",
        f"classical accuracy {frac(r['classical_accuracy'])} "
        f"(whole test split {r['classical_test_accuracy']:.4f})",
        f"quantum accuracy {frac(r['quantum_accuracy'])} (argmax of {r['shots']} shots per peptide, "
        f"{r['backend']})",
        f"agreement quantum vs classical {frac(r['agreement'])}; amplitude readout (no shot noise) "
        f"{frac(r['amplitude_agreement'])}",
        f"shots {r['shots']} per peptide, kept after post-selection: min {r['kept_shots_min']}, "
        f"mean {r['kept_shots_mean']:.0f}",
        f"shot noise: margins |q - 1/2| above {r['safe_margin']:.3f} are decided classically except with "
        f"probability {DELTA:g} (Hoeffding, union over {n}); peptides below it: {r['below_safe_margin']}; "
        f"smallest margin {r['smallest_margin']:.4f}; smallest sampled margin "
        f"{r['smallest_margin_in_se']:.1f} × 0.5/√kept (the largest binomial standard error)",
        f"run: {r['run_s']:.1f} s per peptide",
    ])


def main(argv=None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="held-out peptides (default 64)")
    parser.add_argument("--shots", type=int, default=200, help="shots per peptide (default 200)")
    parser.add_argument("--tolerance", type=float, default=1e-2)
    parser.add_argument("--backend", default="qiskit")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed of the first peptide")
    parser.add_argument("--json", help="write the figures and the per-peptide rows here")
    args = parser.parse_args(argv)
    result = bench(args.n, args.shots, args.tolerance, args.backend, args.seed)
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
