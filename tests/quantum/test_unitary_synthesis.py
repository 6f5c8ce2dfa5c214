"""Fixed-skeleton QSD (unitary_synthesis): exact unitaries with their phase, and counts."""

import numpy as np
import pytest
from scipy.stats import ortho_group, unitary_group

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.circuit.ir import Circuit
from qcompile.quantum.unitary_synthesis import isometry_columns, isometry_counts, qsd_counts, synthesize, zyz


def circuit_of(ops, n):
    c = Circuit(n)
    for name, qubits, angle in ops.gates:
        c.append(name, qubits, () if angle is None else (angle,))
    return c


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_synthesis_is_exact_with_its_phase(n):
    U = unitary_group.rvs(2**n, random_state=n)
    ops = synthesize(U, tuple(range(n)))
    c = circuit_of(ops, n)
    for M in (unitary(c), unitary_cirq(c)):
        assert np.max(np.abs(np.exp(1j * ops.phase) * M - U)) <= 1e-11
    assert c.count_ops() == qsd_counts(n)


def test_skeleton_does_not_depend_on_the_matrix():
    """Generic, real, diagonal and identity matrices: the same gates on the same qubits."""
    n = 3
    mats = [unitary_group.rvs(8, random_state=1), ortho_group.rvs(8, random_state=2), np.eye(8),
            np.diag(np.exp(1j * np.arange(8.0)))]
    skeletons = []
    for U in mats:
        ops = synthesize(U, (0, 1, 2))
        skeletons.append([g[:2] for g in ops.gates])
        assert np.max(np.abs(np.exp(1j * ops.phase) * unitary(circuit_of(ops, n)) - U)) <= 1e-10
    assert all(s == skeletons[0] for s in skeletons)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_isometry_maps_the_columns(n):
    O = ortho_group.rvs(2**n, random_state=10 + n)
    cols = O[:, : 2 ** (n - 1)]
    ops = isometry_columns(cols, tuple(range(n)))
    c = circuit_of(ops, n)
    M = np.exp(1j * ops.phase) * unitary(c)
    assert np.max(np.abs(M[:, : 2 ** (n - 1)] - cols)) <= 1e-10
    assert c.count_ops() == isometry_counts(n)


def test_qsd_counts_are_shendes():
    for n, cx in {2: 3, 3: 20, 4: 100, 5: 444}.items():
        counts = qsd_counts(n)
        assert counts["cx"] + counts.get("cz", 0) == cx
        assert cx == round(23 / 48 * 4**n - 1.5 * 2**n + 4 / 3) or n == 2


def test_zyz_rebuilds_with_phase():
    from qcompile.quantum.unitary_synthesis import _ry, _rz

    for seed in range(8):
        u = unitary_group.rvs(2, random_state=seed)
        a, b, g, d = zyz(u)
        assert np.max(np.abs(np.exp(1j * a) * _rz(b) @ _ry(g) @ _rz(d) - u)) <= 1e-14
    for u in (np.eye(2), np.array([[0, 1], [1, 0]]), np.diag([1j, -1j])):
        a, b, g, d = zyz(u)
        assert np.max(np.abs(np.exp(1j * a) * _rz(b) @ _ry(g) @ _rz(d) - u)) <= 1e-14
