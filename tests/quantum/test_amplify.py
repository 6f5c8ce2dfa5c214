"""Block checks of amplitude amplification with read-back (qcompile.quantum.amplify).

Each construction is built around a small U, its unitary taken with Qiskit and Cirq, and
the post-selected block compared with the original block times the response's known
scalar ``g(x)/x`` (``x`` = the original block's norm): same direction, norm recoverable.
"""

import math

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.circuit.random import random_circuit
from qcompile.errors import NotSupportedError
from qcompile.quantum.amplification import fixed_point_amplification
from qcompile.quantum.amplify import (GroverResponse, PolynomialResponse, YLCResponse, amplified_state,
                                      certify_monotone, design, design_exact, design_monotone,
                                      log10_exact_queries, log10_fixed_point_queries, undo_amplification)
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.state_preparation import state_preparation


def blocks(block):
    """The post-selected block (alpha × ancilla-0 amplitudes of column 0) on both simulators."""
    return block.block(unitary(block.circuit)), block.block(unitary_cirq(block.circuit))


def random_state(seed: int, p_range=(0.01, 0.2), qubits: int = 4, output: int = 2) -> QuantumBlock:
    """A random circuit read as a subnormalised state (output = the low ``output`` qubits):
    the first from ``seed`` on whose success probability lies in ``p_range``."""
    for s in range(seed, seed + 1000):
        c = random_circuit(qubits, 16, np.random.default_rng(s), max_controls=2)
        block = QuantumBlock(c, 1.0, tuple(range(output)), tuple(range(output, qubits)), "state", (2**output,))
        p = float(np.linalg.norm(block.block(unitary(c))) ** 2)
        if p_range[0] <= p <= p_range[1]:
            return block
    raise AssertionError("no random circuit in range")  # pragma: no cover


def loaded_state(p: float, seed: int = 0) -> QuantumBlock:
    """A state preparation whose good branch has squared norm ``p`` (output 4 entries, 1 flag)."""
    v = np.random.default_rng(seed).normal(size=4)
    return state_preparation(4, bound=1.0).with_input(v * math.sqrt(p) / np.linalg.norm(v))


def check_scaled(block: QuantumBlock, response, tol: float = 1e-9) -> None:
    """The amplified block is ``g(x)/x`` times the original on Qiskit and Cirq."""
    amp = amplified_state(block, response)
    for orig, new in zip(blocks(block), blocks(amp)):
        x = float(np.linalg.norm(orig))
        assert x > 1e-3
        g = complex(response.amplitude(x))
        assert np.max(np.abs(new - (g / x) * orig)) <= tol
        # the direction is unchanged and the norm comes back from g⁻¹
        back = undo_amplification(_Stage(response), new)
        assert np.max(np.abs(back - orig)) <= tol


class _Stage:
    """Just enough of a StageCircuit for :func:`undo_amplification`."""

    def __init__(self, response):
        self.info = {"amplification": {"response": response}}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("iterations,scale", [(1, 1.0), (2, 0.8), (0, 0.5)])
def test_exact_block_is_original_times_sin(seed, iterations, scale):
    # g is only invertible below its peak: a U whose x is in the increasing range
    bound = min(1.0, math.sin(math.pi / (2 * (2 * iterations + 1))) / scale)
    block = random_state(10 * seed, (0.01, 0.9 * bound**2))
    check_scaled(block, GroverResponse(iterations, scale, bound))


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_fixed_point_block_is_original_times_polynomial(seed):
    response = design_monotone(0.02, 0.5)
    check_scaled(random_state(10 * seed, (0.001, 1.0)), response)


def test_ylc_block_is_original_times_its_complex_response():
    """YLC's circuit (qcompile.quantum.amplification) scales the block by the complex g the
    plane model computes — the phases are what the paper's closed form says."""
    delta, w = 0.3, 0.05
    loader = state_preparation(4, bound=1.0)
    for p in (0.05, 0.3, 0.8):
        v = np.random.default_rng(3).normal(size=4)
        v *= math.sqrt(p) / np.linalg.norm(v)
        out = fixed_point_amplification(loader.with_input(v), delta, w)
        response = YLCResponse(out.info["L"], delta)
        g = complex(response.amplitude(math.sqrt(p)))
        for new in blocks(out):
            assert np.max(np.abs(new - (g / math.sqrt(p)) * v)) <= 1e-9
        assert abs(abs(g) ** 2 - float(response.success(p))) <= 1e-9


def test_ylc_cannot_be_read_back():
    with pytest.raises(NotSupportedError, match="oscillates"):
        YLCResponse(5, 0.3).invert(0.9)


@pytest.mark.parametrize("p_low,target", [(0.02, 0.5), (0.005, 0.5), (0.05, 0.8)])
def test_fixed_point_reaches_target_for_every_p_above_the_bound(p_low, target):
    response = design_monotone(p_low, target)
    for p in np.concatenate([[p_low], np.geomspace(p_low, 1.0, 6)[1:]]):
        amp = amplified_state(loaded_state(float(p)), response)
        for good in blocks(amp):
            measured = float(np.linalg.norm(good) ** 2)
            assert measured >= target - 1e-9
            assert abs(measured - float(response.success(p))) <= 1e-9
    # and the guarantee is not for free: below the bound it may fail
    assert float(response.success(p_low / 16)) < target


def test_fixed_point_queries_grow_like_inverse_sqrt_p():
    d = [design_monotone(p, 0.5).degree for p in (1e-2, 1e-3)]
    ratio = d[1] / d[0]
    assert 2.6 < ratio < 3.6          # √10 = 3.16
    assert all(v * math.sqrt(p) < 3.0 for v, p in zip(d, (1e-2, 1e-3)))


def test_fixed_point_polynomial_is_certified_increasing():
    response = design_monotone(0.01, 0.5)
    assert certify_monotone(response.coefficients, response.min_slope)
    xs = np.linspace(0, 1, 20001)
    assert np.all(np.diff(response.amplitude(xs)) > 0)
    assert float(response.amplitude(1.0)) < 1.0
    # a polynomial that turns back is refused
    assert not certify_monotone([0.0, 1.2, 0.0, -0.3], 0.02)     # P' = 2.1 − 3.6x² < 0 near 1
    assert certify_monotone([0.0, 1.2, 0.0, 0.3], 0.02)          # P' = 0.3 + 3.6x²


def test_exact_design_uses_tight_bounds_and_refuses_loose_ones():
    response = design_exact(0.010, 0.012, 0.5)
    assert isinstance(response, GroverResponse)
    for p in np.linspace(0.010, 0.012, 9):
        amp = amplified_state(loaded_state(float(p)), response)
        for good in blocks(amp):
            assert float(np.linalg.norm(good) ** 2) >= 0.5 - 1e-9
    assert (2 * response.iterations + 1) * math.asin(response.scale * math.sqrt(0.012)) <= math.pi / 2
    assert design_exact(0.01, 1.0, 0.5) is None
    assert isinstance(design(0.01, 1.0, 0.5), PolynomialResponse)
    with pytest.raises(NotSupportedError, match="not tight"):
        design(0.01, 1.0, 0.5, method="exact")


def test_exact_with_a_known_p_succeeds_almost_surely():
    response = design_exact(0.003, 0.003, 0.5)
    amp = amplified_state(loaded_state(0.003), response)
    for good in blocks(amp):
        assert float(np.linalg.norm(good) ** 2) >= math.cos(0.1) ** 2 - 1e-9


def test_inversion_round_trips():
    for response in (design_monotone(0.003, 0.5), GroverResponse(3, 0.9, 0.2)):
        for x in np.linspace(0, response.x_max, 37):
            assert abs(response.invert(float(response.amplitude(x))) - x) <= 1e-13


def test_log10_queries():
    assert log10_exact_queries(-2) == math.log10(15)        # k = ⌊π/(4·0.1002)⌋ = 7
    assert abs(log10_exact_queries(-2 * 143386.0) - (143386 + math.log10(math.pi / 2))) < 1e-9
    assert abs(log10_fixed_point_queries(-3) - math.log10(design_monotone(1e-3, 0.5).degree)) < 1e-12
    big = log10_fixed_point_queries(-2 * 143386.0)
    assert 143386 < big < 143386 + 0.5
    # the estimate below 10⁻³ is within its stated factor of a real design (10⁻⁴: degree 273)
    assert 273 <= 10 ** log10_fixed_point_queries(-4) <= 1.05 * 273
