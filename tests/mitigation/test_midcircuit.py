"""Stages whose ancilla is measured mid-circuit (post-selected clbit) and reused."""

import math

import numpy as np
import pytest

from qcompile.circuit.ir import Circuit
from qcompile.circuit.stage import StageCircuit
from qcompile.mitigation import build_plan, run_mitigated, run_noisy

A, B, C = 1.1, 0.8, 1.9


def _stage() -> StageCircuit:
    c = Circuit(2, num_clbits=1)
    c.append("ry", (0,), (C,))
    c.append("ry", (1,), (A,))
    c.append("measure", (1,), (), (0,))
    c.append("reset", (1,))
    c.append("ry", (1,), (B,))
    c.append("cx", (0, 1))
    return StageCircuit(c, (0,), (1,), 1.0, name="reuse", postselect_clbits=(0,))


def _expected():
    """Mid-circuit c0 = 0 with prob cos²(A/2); then q1 = ry(B)|0> xor q0, post-selected on 0."""
    joint = np.array([math.cos(C / 2) ** 2 * math.cos(B / 2) ** 2, math.sin(C / 2) ** 2 * math.sin(B / 2) ** 2])
    return joint / joint.sum(), math.cos(A / 2) ** 2 * joint.sum()


def test_exact_mode_asks_for_shots():
    with pytest.raises(ValueError, match="shots"):
        run_noisy(_stage(), None, "qiskit", "depolarizing:0,0")


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_noiseless_sampling_post_selects_the_midcircuit_bit(backend):
    shots = 20000 if backend == "qiskit" else 1500  # Cirq simulates each repetition (mid-circuit measurement)
    got = run_noisy(_stage(), shots, backend, "depolarizing:0,0", seed=3)
    want, rate = _expected()
    n_kept = rate * shots
    assert got.postselection_rate == pytest.approx(rate, abs=5 * math.sqrt(rate * (1 - rate) / shots))
    assert np.all(np.abs(got.distribution - want) <= 5 * np.sqrt(want * (1 - want) / n_kept))


def test_readout_correction_covers_midcircuit_bits():
    noise = "depolarizing:0,0,readout:0.1"
    shots = 40000
    want, rate = _expected()
    raw = run_noisy(_stage(), shots, "qiskit", noise, seed=4)
    fixed = run_mitigated(_stage(), build_plan(_stage(), "readout", noise), shots, "qiskit", noise, seed=4)
    assert np.abs(raw.distribution - want).max() > 0.1  # misread ancillas and outputs: 0.62 vs 0.74
    assert fixed.postselection_rate == pytest.approx(rate, abs=0.015)
    assert np.abs(fixed.distribution - want).max() < 0.03
