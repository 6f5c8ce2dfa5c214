"""Yoder–Low–Chuang fixed-point amplitude amplification."""

import math

import numpy as np
import pytest

from qcompile.backends.cirq import statevector_cirq
from qcompile.backends.qiskit import to_qiskit
from qcompile.errors import NotImplementedYetError
from qcompile.quantum.amplification import (fixed_point_amplification, ylc_gamma, ylc_length,
                                            ylc_success_probability)
from qcompile.quantum.block_encoding import block_encoding
from qcompile.quantum.state_preparation import state_preparation


def good_branches(block):
    from qiskit.quantum_info import Statevector

    sq = Statevector(to_qiskit(block.circuit)).data
    sc = statevector_cirq(block.circuit)
    return block.block(sq[:, None]), block.block(sc[:, None])


@pytest.mark.parametrize("delta,w", [(0.1, 0.05), (0.2, 0.2), (0.05, 0.3)])
def test_success_probability_and_direction(delta, w):
    rng = np.random.default_rng(int(100 * w))
    loader = state_preparation(4, bound=1.0)
    for lam in (w, 0.5 * (w + 1), 0.97):
        x = rng.normal(size=4)
        x *= math.sqrt(lam) / np.linalg.norm(x)
        out = fixed_point_amplification(loader.with_input(x), delta, w)
        assert out.alpha == 1.0
        u = x / np.linalg.norm(x)
        for good in good_branches(out):
            prob = float(np.linalg.norm(good) ** 2)
            assert prob >= 1 - delta**2 - 1e-12
            # independent: YLC's closed-form success probability
            assert abs(prob - ylc_success_probability(out.info["L"], delta, lam)) <= 1e-9
            # the good part is c·u: direction preserved
            c = np.vdot(u, good)
            assert np.max(np.abs(good - c * u)) <= 1e-9


def test_plain_state_would_fail_without_amplification():
    x = np.array([0.1, -0.2, 0.05, 0.1])  # λ = 0.0725
    st = state_preparation(4, bound=1.0).with_input(x)
    lam = float(np.sum(x**2))
    good = st.block(statevector_cirq(st.circuit)[:, None])
    assert math.isclose(np.linalg.norm(good) ** 2, lam, rel_tol=1e-9)
    out = fixed_point_amplification(st, 0.1, 0.07)
    assert np.linalg.norm(good_branches(out)[0]) ** 2 >= 0.99 - 1e-12


@pytest.mark.parametrize("delta,w", [(0.1, 0.01), (0.3, 0.5), (1e-3, 0.1)])
def test_length_is_smallest_odd_meeting_the_width(delta, w):
    L = ylc_length(delta, w)
    assert L % 2 == 1
    assert 1 - ylc_gamma(L, delta) ** 2 <= w
    if L > 1:
        assert 1 - ylc_gamma(L - 2, delta) ** 2 > w
    assert L <= math.log(2 / delta) / math.sqrt(w) + 2


def test_calls():
    st = state_preparation(2, bound=1.0).with_input([0.2, 0.1])
    out = fixed_point_amplification(st, 0.1, 0.04)
    L = out.info["L"]
    assert out.info["calls"] == {"U": (L + 1) // 2, "U_dagger": (L - 1) // 2}


def test_block_encoding_input_not_implemented():
    with pytest.raises(NotImplementedYetError):
        fixed_point_amplification(block_encoding(np.eye(2) * 0.5), 0.1, 0.1)


@pytest.mark.parametrize("delta,w", [(0.1, 0.05), (0.2, 0.3)])
def test_qsvt_method_is_phase_exact(delta, w):
    rng = np.random.default_rng(7)
    loader = state_preparation(4, bound=1.0)
    for lam in (w, 0.5 * (w + 1), 1.0):
        x = rng.normal(size=4)
        x *= math.sqrt(lam) / np.linalg.norm(x)
        out = fixed_point_amplification(loader.with_input(x), delta, w, method="qsvt")
        p = out.info["polynomial"]
        u = x / np.linalg.norm(x)
        for good in good_branches(out):
            # exactly P(√λ)·u: real, positive, no phase
            assert np.max(np.abs(good - p(math.sqrt(lam)) * u)) <= 1e-9
            assert np.linalg.norm(good) ** 2 >= 1 - delta**2
