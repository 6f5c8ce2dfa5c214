"""Small stage circuits for the mitigation tests (built with qcompile.quantum)."""

import numpy as np

from qcompile.circuit.stage import StageCircuit
from qcompile.quantum import apply, block_encoding, lcu, state_preparation

NOISE = "depolarizing:1e-4,1e-3,readout:1e-2"


def linear_layer_stage(seed: int = 0):
    """y = W x + b: bound loader (2 system + 1 flag), dilation BE, LCU with a fixed bias state.

    Returns (stage, values, y) on 5 qubits; y is the NumPy result."""
    rng = np.random.default_rng(seed)
    loader = state_preparation(4, bound=2.0)
    W = rng.normal(size=(4, 4))
    bias = rng.normal(size=4)
    block = lcu([1.0, 1.0], [apply(block_encoding(W), loader), state_preparation(bias)])
    x = rng.normal(size=4)
    x *= 1.5 / np.linalg.norm(x)
    stage = StageCircuit(block.circuit, block.system_qubits, block.ancilla_qubits, block.alpha, name="linear")
    return stage, loader.bind(x), W @ x + bias


def loader_stage(seed: int = 1):
    """A bound 3-qubit loader (2 system qubits + 1 flag) and its input vector."""
    rng = np.random.default_rng(seed)
    loader = state_preparation(4, bound=2.0)
    x = rng.normal(size=4)
    x *= 1.2 / np.linalg.norm(x)
    stage = StageCircuit(loader.circuit, loader.system_qubits, loader.ancilla_qubits, loader.alpha, name="loader")
    return stage, loader.bind(x), x
