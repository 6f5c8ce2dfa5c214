"""Folding, twirling and DD leave the ideal circuit unchanged (Qiskit unitaries, phase included)."""

import numpy as np
import pytest

from qcompile.circuit.ir import Circuit
from qcompile.mitigation import (MitigationError, extrapolate, extrapolation_weights, fold_gates, fold_global,
                                 idle_windows, insert_dd, to_noise_basis, twirl)
from qcompile.mitigation.twirl import twirl_frames
from qcompile.simulate import unitary


def _circuit(seed: int = 0, n: int = 4, gates: int = 30) -> Circuit:
    """A random noise-basis circuit with cx, cz, rotations and Cliffords."""
    rng = np.random.default_rng(seed)
    c = Circuit(n)
    for _ in range(gates):
        kind = rng.integers(5)
        if kind == 0:
            a, b = rng.choice(n, 2, replace=False)
            c.append("cx", (int(a), int(b)))
        elif kind == 1:
            a, b = rng.choice(n, 2, replace=False)
            c.append("cz", (int(a), int(b)))
        else:
            name = ["rx", "ry", "rz"][kind - 2]
            c.append(name, (int(rng.integers(n)),), (float(rng.uniform(-np.pi, np.pi)),))
    c.append("s", (0,))
    c.append("h", (1,))
    c.global_phase = 0.3
    return c


def _same(a: Circuit, b: Circuit) -> None:
    np.testing.assert_allclose(unitary(a), unitary(b), atol=1e-10)


@pytest.mark.parametrize("scale", [3, 5])
def test_gate_folding_is_the_identity_ideally(scale):
    c = _circuit()
    folded = fold_gates(c, scale)
    _same(c, folded)
    n2 = sum(g.name in ("cx", "cz") for g in c.gates)
    assert sum(g.name in ("cx", "cz") for g in folded.gates) == scale * n2


@pytest.mark.parametrize("scale", [2.0, 3.0, 4.4])
def test_global_folding_is_the_identity_ideally(scale):
    c = _circuit(1)
    folded = fold_global(c, scale)
    _same(c, folded)
    assert abs(len(folded.gates) / len(c.gates) - scale) <= 1.0 / len(c.gates)


def test_folding_rejects_bad_scales():
    with pytest.raises(MitigationError, match="odd integer"):
        fold_gates(_circuit(), 2)
    with pytest.raises(MitigationError, match=">= 1"):
        fold_global(_circuit(), 0.5)


def test_richardson_is_exact_for_quadratics():
    scales = [1.0, 3.0, 5.0]
    coeffs = np.array([[0.4, -0.1], [0.05, 0.02], [-0.003, 0.001]])  # value(λ) = c0 + c1 λ + c2 λ²
    values = np.array([coeffs[0] + coeffs[1] * s + coeffs[2] * s**2 for s in scales])
    np.testing.assert_allclose(extrapolate(scales, values), coeffs[0], atol=1e-12)


def test_linear_extrapolation_matches_numpy_polyfit():
    scales = [1.0, 2.0, 3.0, 5.0]
    y = np.array([0.9, 0.82, 0.71, 0.55])
    want = np.polynomial.polynomial.polyfit(scales, y, 1)[0]
    assert extrapolate(scales, y, "linear") == pytest.approx(want, abs=1e-12)
    assert extrapolation_weights(scales, "poly2").sum() == pytest.approx(1.0)
    with pytest.raises(MitigationError):
        extrapolation_weights(scales, "cubic")


@pytest.mark.parametrize("name", ["cx", "cz"])
def test_all_sixteen_frames_leave_the_gate_invariant(name):
    frames = twirl_frames(name)
    assert len({f[:2] for f in frames}) == 16
    for pa, pb, qa, qb, sign in frames:
        c = Circuit(2)
        c.append(name, (0, 1))
        t = Circuit(2)
        for p, q in ((pa, 0), (pb, 1)):
            if p != "i":
                t.append(p, (q,))
        t.append(name, (0, 1))
        for p, q in ((qa, 0), (qb, 1)):
            if p != "i":
                t.append(p, (q,))
        np.testing.assert_allclose(unitary(t), sign * unitary(c), atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_twirled_circuit_equals_original(seed):
    c = _circuit(seed)
    t = twirl(c, np.random.default_rng(seed))
    assert len(t.gates) > len(c.gates)
    _same(c, t)


@pytest.mark.parametrize("sequence", ["xx", "xy4"])
def test_dd_is_the_identity_ideally_and_keeps_depth(sequence):
    c = _circuit(3, n=5, gates=40)
    d = insert_dd(c, sequence)
    assert len(d.gates) > len(c.gates)
    assert d.depth() == c.depth()
    _same(c, d)


def test_dd_leaves_qubits_alone_before_their_first_gate():
    c = Circuit(3)
    c.append("h", (0,))
    for _ in range(4):
        c.append("rx", (0,), (0.3,))
    c.append("cx", (0, 2))
    assert all(q != 2 for q, _, _ in idle_windows(c))
    assert all(g.qubits != (2,) for g in insert_dd(c).gates if g.name == "x")


def test_dd_on_a_lowered_library_circuit(loader):
    stage, values, _ = loader
    c = to_noise_basis(stage.circuit.bind(values))
    _same(c, insert_dd(c, "xy4"))
