"""simulate.statevector / sample_counts on both backends (bit order, binding, statistics)."""

from __future__ import annotations

import numpy as np
import pytest

from qcompile.circuit.ir import Circuit
from qcompile.circuit.random import random_circuit
from qcompile.simulate import sample_counts, statevector

BACKENDS = ["qiskit", "cirq"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_deterministic_counts_bit_order(backend):
    # qubit 0 -> clbit 2 (value 1), qubit 1 -> clbit 0 (value 0), clbit 1 never measured
    c = Circuit(2, num_clbits=3)
    c.append("x", [0]).append("measure", [0], clbits=[2]).append("measure", [1], clbits=[0])
    assert sample_counts(c, 50, backend, seed=1) == {"100": 50}


@pytest.mark.parametrize("backend", BACKENDS)
def test_last_measurement_wins_and_reset(backend):
    c = Circuit(1, num_clbits=1)
    c.append("x", [0]).append("measure", [0], clbits=[0]).append("reset", [0]).append("measure", [0], clbits=[0])
    assert sample_counts(c, 20, backend, seed=2) == {"0": 20}


@pytest.mark.parametrize("backend", BACKENDS)
def test_sampled_distribution_matches_born_rule(backend):
    rng = np.random.default_rng(9)
    c = random_circuit(3, 25, rng, symbolic=0.3)
    vals = {"x": rng.uniform(-2, 2, 4).tolist()}
    probs = np.abs(statevector(c, backend, vals)) ** 2
    m = c.copy()
    m.num_clbits = 3
    for q in range(3):
        m.append("measure", [q], clbits=[q])
    shots = 4000
    counts = sample_counts(m, shots, backend, values=vals, seed=3)
    freq = np.zeros(8)
    for key, n in counts.items():
        freq[int(key, 2)] = n / shots
    # total-variation distance; ~0.03 expected for 8 outcomes and 4000 shots
    assert 0.5 * np.abs(freq - probs).sum() < 0.06


def test_parametric_needs_values_and_unknown_backend_rejected():
    c = Circuit(1)
    (x,) = c.declare_parameters("x", 1)
    c.append("rx", [0], [x])
    for backend in BACKENDS:
        with pytest.raises(ValueError):
            statevector(c, backend)
    with pytest.raises(ValueError):
        statevector(c, "braket", {"x": [0.1]})


@pytest.mark.parametrize("backend", BACKENDS)
def test_statevector_after_mid_circuit_reset(backend):
    c = Circuit(2, num_clbits=1)
    c.append("h", [0]).append("measure", [0], clbits=[0]).append("reset", [0]).append("x", [1])
    sv = statevector(c, backend, seed=4)
    assert abs(abs(sv[2]) - 1) < 1e-10


def test_unitary_both_backends_agree_with_values():
    from qcompile.simulate import unitary

    rng = np.random.default_rng(21)
    c = random_circuit(3, 20, rng, symbolic=0.5)
    vals = {"x": rng.uniform(-2, 2, 4).tolist()}
    uq, uc = unitary(c, "qiskit", vals), unitary(c, "cirq", vals)
    assert np.abs(uq - uc).max() < 1e-10
    assert np.abs(uq[:, 0] - statevector(c, "cirq", vals)).max() < 1e-10
