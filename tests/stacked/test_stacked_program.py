"""Stacked programs on the simulators: one compiled artifact, many inputs, both references."""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from qcompile.lowering.inputs import random_input
from qcompile.stacked import StackedProgram

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def tiny():
    """Two stacked post-LN layers (seq 2, d 2, two heads), compiled once at 1e-3."""
    return qcompile.compile(HERE / "stack_tiny.qtf", tolerance=1e-3)


@pytest.fixture(scope="module")
def prenorm():
    """Two stacked pre-LN layers (seq 2, d 4, two heads), compiled once at 1e-2."""
    return qcompile.compile(HERE / "stack_prenorm.qtf", tolerance=1e-2)


def test_stack_structure(tiny):
    """Segment 0 runs once per token, segment 1 once for the output token: 3 programs;
    segment 1 loads the matrix of segment 0's rows with the bound √(Σ α_j²)."""
    assert isinstance(tiny, StackedProgram)
    assert [seg.tokens for seg in tiny.segments] == [[0, 1], [1]]
    alphas = [tiny.segments[0].programs[t].alpha for t in (0, 1)]
    spec = tiny.segments[1].model.inputs[0]
    assert spec.name == tiny.segments[1].input
    assert spec.bound == pytest.approx(np.sqrt(sum(a * a for a in alphas)), rel=1e-12)
    assert tiny.stats()["runs"] == 3
    assert all(sc.circuit.num_qubits <= 16 for sc in tiny.stages)


@pytest.mark.parametrize("backend,inputs", [("qiskit", 3), ("cirq", 1)])
def test_stack_matches_the_references(tiny, backend, inputs):
    """The same compiled stack bound to several inputs: compiled = surrogate to 1e-8,
    |compiled − exact| within the run's bound, bound within the tolerance."""
    circuits = [sc.circuit for sc in tiny.stages]
    rng = np.random.default_rng(30)
    for _ in range(inputs):
        x = random_input(tiny.model, rng)
        exact, sur = tiny.references(x)
        r = tiny.run(x, backend=backend)
        assert np.max(np.abs(r.output - sur)) <= 1e-8
        assert np.linalg.norm(r.output - exact) <= r.error_bound + 1e-8
        assert r.error_bound <= tiny.tolerance
        assert len(r.stages) == len(tiny.stages)
    assert all(a is b for a, b in zip((sc.circuit for sc in tiny.stages), circuits))


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_prenorm_stack_matches_the_references(prenorm, backend):
    """Two pre-LN layers (the rows between them are residual sums, loaded with the bound
    alpha_bound gives before calibration): compiled = surrogate, exact within the bound."""
    prog = prenorm
    assert all(sc.circuit.num_qubits <= 16 for sc in prog.stages)
    x = random_input(prog.model, np.random.default_rng(31))
    exact, sur = prog.references(x)
    r = prog.run(x, backend=backend)
    assert np.max(np.abs(r.output - sur)) <= 1e-8
    assert np.linalg.norm(r.output - exact) <= r.error_bound + 1e-8
    assert r.error_bound <= prog.tolerance


def test_every_token_of_a_linear_layer():
    """token = all: one program per token; each row is x_j Wᵀ + b, on both backends."""
    prog = qcompile.compile(ROOT / "examples" / "linear.qtf", token="all")
    w, b = prog.model.weights["fc1.weight"], prog.model.weights["fc1.bias"]
    x = random_input(prog.model, np.random.default_rng(2))
    for backend in ("qiskit", "cirq"):
        y = prog.run(x, backend=backend).output
        assert y.shape == (4, 4)
        assert np.max(np.abs(y - (x @ w.T + b))) <= 1e-10


def test_verify_api_on_a_stack(tiny):
    """qcompile.verify accepts a stacked program (same checks, one row per input)."""
    report = qcompile.verify(tiny, inputs=1, backends=("qiskit",), seed=3)
    assert report.ok and len(report.rows) == 1


def test_shots_of_every_token_are_not_implemented_yet():
    prog = qcompile.compile(ROOT / "examples" / "linear.qtf", token="all")
    x = random_input(prog.model, np.random.default_rng(2))
    with pytest.raises(qcompile.NotImplementedYetError, match="select one token"):
        prog.run(x, shots=100)


def test_rotary_stack_has_one_polynomial_per_token_and_verifies():
    """With rotary embeddings the scores' alpha depends on the query token, so the token
    programs choose different exp polynomials (before: an internal error); the surrogate
    reference evaluates each token's row with its own program's polynomial, and the
    compiled stack matches it on both simulators."""
    from qcompile.stacked import TokenRows

    prog = qcompile.compile(HERE / "stack_rope.qtf", tolerance=1e-2)
    rows = [p for p in prog.polynomials().values() if isinstance(p, TokenRows)]
    assert rows and len({p.input_alpha for p in rows[0].by_token.values()}) > 1
    report = qcompile.verify(prog, inputs=2, backends=("qiskit", "cirq"), seed=3)
    assert report.ok and len(report.rows) == 4
