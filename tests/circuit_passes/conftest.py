"""Example stage circuits for the circuit-pass tests (built once per session)."""

from __future__ import annotations

import numpy as np
import pytest

from passes_helpers import stage_of
from qcompile.circuit.random import random_circuit
from qcompile.circuit.stage import StageCircuit
from qcompile.quantum import apply, block_encoding, elementwise, lcu, state_preparation


def _inputs(loader, size: int, seed: int, count: int = 3) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        x = rng.normal(size=size)
        x *= rng.uniform(0.3, 0.95) * loader.bound / np.linalg.norm(x)
        out.append(loader.bind(x))
    return out


@pytest.fixture(scope="session")
def examples() -> dict[str, tuple[StageCircuit, list[dict]]]:
    """name -> (stage circuit, three bindings of its input parameters)."""
    rng = np.random.default_rng(11)
    w1, w2, w3 = (rng.normal(size=(4, 4)) for _ in range(3))
    loader = state_preparation(4, bound=2.0, name="x")
    vals = _inputs(loader, 4, 1)
    terms = [apply(block_encoding(w1), loader), apply(block_encoding(w2), loader)]
    out = {
        "lcu": (stage_of(lcu([0.7, -0.4], terms), "lcu"), vals),
        "chain": (stage_of(apply(block_encoding(w2), apply(block_encoding(w1), loader)), "chain"), vals),
        "lcu-then-weight": (stage_of(apply(block_encoding(w3), lcu([0.7, -0.4], terms)), "lcu-w"), vals),
    }
    gl = state_preparation(4, bound=1.0, name="x")
    out["gelu"] = (stage_of(elementwise(gl, "gelu", 1e-2), "gelu"), _inputs(gl, 4, 2))
    rc = random_circuit(4, 80, np.random.default_rng(5), symbolic=0.3, param_size=4)
    rvals = [{"x": np.random.default_rng(s).uniform(-3, 3, size=4)} for s in range(3)]
    out["random"] = (StageCircuit(rc, (0, 1), (2, 3), 1.0, "random"), rvals)
    return out
