"""Noise specs and the Aer / Cirq noise models against an independent NumPy density matrix."""

import numpy as np
import pytest

from qcompile.circuit.ir import Circuit
from qcompile.errors import QcompileError
from qcompile.mitigation import NoiseSpec, NoiseSpecError, parse_noise, to_aer, to_cirq_noise, with_final_measurements
from qcompile.mitigation.simulators import exact_distribution, sampled_distribution


def test_parse_full_spec_with_spaces():
    assert parse_noise(" depolarizing: 1e-4, 1e-3, readout: 0.01 ") == NoiseSpec(1e-4, 1e-3, 0.01)


def test_parse_without_readout_and_round_trip():
    spec = parse_noise("depolarizing:0.002,0.02")
    assert spec == NoiseSpec(0.002, 0.02, 0.0)
    assert parse_noise(str(spec)) == spec


@pytest.mark.parametrize("bad, words", [
    ("amplitude:0.1,0.2", "must start with 'depolarizing:'"),
    ("depolarizing:0.1", "two depolarizing rates"),
    ("depolarizing:0.1,0.2,0.3", "two depolarizing rates"),
    ("depolarizing:abc,0.2", "must be a number"),
    ("depolarizing:0.1,1.5", "[0, 1]"),
    ("depolarizing:0.1,0.2,readout:0.7", "[0, 0.5]"),
    ("depolarizing:0.1,0.2,readout:0.5", "below 0.5"),
    ("depolarizing:0.1,0.2,crosstalk:0.1", "unknown term"),
    ("depolarizing:0.1,0.2,readout:", "needs a value"),
])
def test_bad_specs_raise_plain_sentences(bad, words):
    with pytest.raises(NoiseSpecError) as info:
        parse_noise(bad)
    assert isinstance(info.value, QcompileError)
    assert words in info.value.message


def test_models_are_built():
    model = to_aer("depolarizing:1e-4,1e-3,readout:1e-2")
    assert "cx" in model.noise_instructions and "ry" in model.noise_instructions
    assert to_cirq_noise("depolarizing:1e-4,1e-3") is not None


def _bell() -> Circuit:
    c = Circuit(2)
    c.append("h", (0,))
    c.append("cx", (0, 1))
    return with_final_measurements(c)


def _numpy_bell(p1, p2, q):
    """H on q0, depolarize(p1) on q0, CX(0->1), depolarize(p2), readout flips: plain NumPy."""
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    cx = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])  # little-endian, control q0
    rho = np.zeros((4, 4))
    rho[0, 0] = 1
    u = np.kron(np.eye(2), h)
    rho = u @ rho @ u.T
    r = rho.reshape(2, 2, 2, 2)  # (q1, q0, q1', q0')
    traced_q0 = np.einsum("aibi->ab", r)
    rho = (1 - p1) * rho + p1 * np.kron(traced_q0, np.eye(2) / 2)
    rho = cx @ rho @ cx.T
    rho = (1 - p2) * rho + p2 * np.eye(4) / 4
    probs = np.real(np.diag(rho))
    flip = np.array([[1 - q, q], [q, 1 - q]])
    return np.kron(flip, flip) @ probs


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_exact_noisy_distribution_matches_numpy(backend):
    p1, p2, q = 0.03, 0.08, 0.05
    got = exact_distribution(_bell(), NoiseSpec(p1, p2, q), backend)
    np.testing.assert_allclose(got, _numpy_bell(p1, p2, q), atol=1e-12)


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_sampling_matches_exact(backend):
    noise = NoiseSpec(0.03, 0.08, 0.05)
    shots = 4000
    got = sampled_distribution(_bell(), noise, shots, backend, seed=11)
    want = _numpy_bell(0.03, 0.08, 0.05)
    sigma = np.sqrt(want * (1 - want) / shots)
    assert np.all(np.abs(got - want) <= 5 * sigma + 1e-12)


def test_idle_term_parses():
    assert parse_noise("depolarizing:1e-4,1e-3,readout:1e-2,idle:0.002") == NoiseSpec(1e-4, 1e-3, 1e-2, 0.002)
    assert parse_noise("depolarizing:0,0,idle:-0.01").idle == -0.01
    with pytest.raises(NoiseSpecError, match="idle"):
        parse_noise("depolarizing:0,0,idle:4")


def _idle_circuit() -> Circuit:
    """q0 waits 4 layers while q1 works, then CX and H: idle phase θ per layer shows up."""
    c = Circuit(2)
    c.append("h", (0,))
    c.append("cx", (0, 1))
    for _ in range(4):
        c.append("rx", (1,), (0.4,))
    c.append("cx", (1, 0))
    c.append("h", (0,))
    return with_final_measurements(c)


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_idle_phase_error_matches_numpy(backend):
    theta = 0.3
    got = exact_distribution(_idle_circuit(), NoiseSpec(0.0, 0.0, 0.0, theta), backend)
    # NumPy: the same circuit with rz(θ) on q0 in each of its 4 idle layers
    from qcompile.circuit.ir import Gate
    from qcompile.simulate import statevector

    c = Circuit(2)
    c.append("h", (0,))
    c.append("cx", (0, 1))
    for _ in range(4):
        c.append("rx", (1,), (0.4,))
        c.add_gate(Gate("rz", (0,), (theta,)))
    c.append("cx", (1, 0))
    c.append("h", (0,))
    np.testing.assert_allclose(got, np.abs(statevector(c)) ** 2, atol=1e-12)
