"""Helpers for the compile/verify/run CLI tests: example paths, compiled programs (once
per session), random inputs and the post-selected output read-out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import qcompile
from qcompile.lowering.inputs import scale_to_bound

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: tolerance per example: looser for the nonlinear ones keeps the polynomials short
TOLERANCES = {"linear": 1e-3, "mlp": 1e-2, "mlp_relu": 1e-1, "attention_head": 1e-2}

_PROGRAMS: dict[str, qcompile.Program] = {}


def example(name: str) -> str:
    """Path of ``examples/NAME.qtf``."""
    return str(EXAMPLES / f"{name}.qtf")


def program_for(name: str) -> qcompile.Program:
    """The compiled program of an example, compiled once per test session."""
    if name not in _PROGRAMS:
        _PROGRAMS[name] = qcompile.compile(example(name), tolerance=TOLERANCES[name])
    return _PROGRAMS[name]


def random_float_input(model, seed: int) -> np.ndarray:
    """A float input of the model's shape at 0.75 × its bound (per token too, if declared)."""
    spec = model.inputs[0]
    return scale_to_bound(spec, np.random.default_rng(seed).normal(size=spec.shape), 0.75)


def postselected_output(state: np.ndarray, output_qubits, num_qubits: int) -> np.ndarray:
    """Amplitudes of the output register (little-endian) with every other qubit at 0."""
    n = len(output_qubits)
    assert num_qubits >= n
    idx = [sum(((k >> i) & 1) << q for i, q in enumerate(output_qubits)) for k in range(2 ** n)]
    return np.asarray(state)[idx]


