"""qcompile.compile: one program per model, bound to several inputs, equals the references."""

from __future__ import annotations

import math

import numpy as np
import pytest

import qcompile

from cli_support import example, program_for, random_float_input

CASES = [("linear", ("qiskit", "cirq")), ("mlp", ("qiskit", "cirq")), ("mlp_relu", ("qiskit", "cirq")),
         ("attention_head", ("qiskit",))]


@pytest.mark.parametrize("name,backends", CASES, ids=[c[0] for c in CASES])
def test_one_program_many_inputs(name, backends):
    program = program_for(name)
    circuits = [sc.circuit for sc in program.stages]
    assert all(c.is_parametric for c in circuits), "stage circuits must be input-parametric"
    for seed in range(3):
        x = random_float_input(program.model, 100 + seed)
        exact, sur = program.references(x)
        for backend in backends:
            res = program.run(x, backend=backend)
            y = np.ravel(res.output)
            assert y.shape == sur.shape
            assert np.max(np.abs(y - sur)) <= 1e-8, (name, backend, seed)
            assert np.linalg.norm(y - exact) <= res.error_bound + 1e-8
            assert res.error_bound <= program.tolerance
            assert 0 < res.success_probability <= 1
    # binding never rewrote the compiled circuits: the same program served every input
    assert [sc.circuit for sc in program.stages] == circuits
    assert all(a is b for a, b in zip((sc.circuit for sc in program.stages), circuits))


def test_linear_equals_independent_numpy():
    """The linear example against x Wᵀ + b computed here from the weights."""
    program = program_for("linear")
    w, b = program.model.weights["fc1.weight"], program.model.weights["fc1.bias"]
    for seed in range(3):
        x = random_float_input(program.model, seed)
        y = program.run(x).output
        assert np.max(np.abs(y - (x[program.token] @ w.T + b))) <= 1e-8


def test_multi_stage_program_structure():
    program = program_for("attention_head")
    assert len(program.stages) == 2
    glue = program.glue()
    assert glue[0].kind == "block_sum" and glue[-1] is None
    # stage 1 loads the vector stage 0's glue produces
    sources = {program.loaders[p][1] for p in program.stages[1].circuit.parameters}
    assert glue[0].produces in sources


def test_verify_api_reports_failure(monkeypatch):
    program = program_for("linear")
    report = qcompile.verify(program, inputs=1, backends=("qiskit",))
    assert report.ok and len(report.rows) == 1
    monkeypatch.setattr("qcompile.verification.SURROGATE_TOLERANCE", -1.0)  # impossible
    report = qcompile.verify(program, inputs=1, backends=("qiskit",))
    assert not report.ok


def _rotation_angles(program) -> list[float]:
    """|reduced angle| of every numeric rotation of the program's circuits, smallest first."""
    from qcompile.circuit.gates import ROTATIONS

    return sorted(abs(math.remainder(float(g.params[0]), 2 * math.pi)) for sc in program.stages
                  for g in sc.circuit.gates if g.name in ROTATIONS and not g.is_parametric)


def test_dropped_rotations_enter_the_bounds():
    """Rotations dropped by a pass move the output from the surrogate by at most the
    declared amount, propagated through the glue; the exact bound includes it."""
    path = example("linear")
    plain = qcompile.compile(path, tolerance=1e-2, passes="merge-rotations")
    # eps just above the smallest rotation of at least 1e-3 the circuit has, so the pass
    # drops something whatever angles this Qiskit's synthesis produced; linear's alpha
    # (about 2.4) keeps alpha x |angle| / 2 below the tolerance 1e-2
    eps = 1.01 * min(a for a in _rotation_angles(plain) if a >= 1e-3)
    lossy = qcompile.compile(path, tolerance=1e-2, passes=f"merge-rotations,drop-small-rotations{{eps={eps!r}}}")
    # merge-rotations drops only what is within 1e-12 of an identity
    assert max(lossy.circuit_errors()) > 1e-3 and max(plain.circuit_errors()) < 1e-9
    # the program's bound (over the calibration inputs) counts the drops too
    assert lossy.error_bound > plain.error_bound + 1e-3
    assert lossy.stats()["error_bound"] == lossy.error_bound <= 1e-2
    moved = 0.0
    for seed in range(3):
        x = random_float_input(lossy.model, 200 + seed)
        exact, sur = lossy.references(x)
        r, r0 = lossy.run(x), plain.run(x)
        assert r0.circuit_error_bound < 1e-9
        assert 0.0 < r.circuit_error_bound and r.error_bound >= r0.error_bound
        assert np.max(np.abs(r.output - sur)) <= 1e-8 + r.circuit_error_bound
        assert np.linalg.norm(r.output - exact) <= r.error_bound + 1e-8
        moved = max(moved, float(np.max(np.abs(r.output - sur))))
    assert moved > 1e-8  # eps really changed the circuit: the allowance is needed


def test_a_program_whose_bound_exceeds_the_tolerance_is_refused():
    """18.1: dropping rotations until the bound passes the tolerance is not a result."""
    path = example("linear")
    plain = qcompile.compile(path, tolerance=1e-3, passes="merge-rotations")
    eps = 1.01 * max(_rotation_angles(plain))
    with pytest.raises(qcompile.QcompileError, match="above the tolerance"):
        qcompile.compile(path, tolerance=1e-3, passes=f"drop-small-rotations{{eps={eps!r}}}")


def test_shots_within_four_standard_errors():
    program = program_for("linear")
    x = random_float_input(program.model, 7)
    res = program.run(x, shots=100_000, seed=11)
    exact, _ = program.references(x)
    target = exact ** 2 / np.sum(exact ** 2)
    assert res.kept_shots > 1000
    # binomial standard error of each target probability over the kept shots
    se = np.sqrt(target * (1 - target) / res.kept_shots)
    assert np.all(np.abs(res.probabilities - target) <= 4 * se)
    # the program's own standard errors (from the estimates) agree with these to ~10%
    assert np.allclose(res.standard_errors, se, rtol=0.2)
    assert abs(res.probabilities.sum() - 1) < 1e-12


def test_shots_with_ancilla_reuse_O2():
    program = qcompile.compile(program_for("linear").model, tolerance=1e-3, optimization=2)
    assert program.stages[0].postselect_clbits            # -O2 reused an ancilla
    x = random_float_input(program.model, 7)
    res = program.run(x, shots=20_000, seed=11)
    y = np.ravel(res.output)
    target = y ** 2 / np.sum(y ** 2)
    assert np.all(np.abs(res.probabilities - target) <= 4 * np.sqrt(target * (1 - target) / res.kept_shots))


def test_keys_narrower_than_features():
    """seq 2 < d_model 4: the scores come out of X's square block encoding on a wider
    register than their length; the builder narrows it, so the circuit's alpha is the
    quantum IR's and the output matches the surrogate."""
    model = qcompile.load(example("attention_head"), dims={"seq": 2})
    program = qcompile.compile(model, tolerance=1e-2)
    for seed in range(2):
        x = random_float_input(program.model, 40 + seed)
        exact, sur = program.references(x)
        res = program.run(x)
        assert np.max(np.abs(res.output - sur)) <= 1e-8
        assert np.linalg.norm(res.output - exact) <= res.error_bound + 1e-8
