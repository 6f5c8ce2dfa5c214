"""Physical estimates through Microsoft's resource estimator (qcompile.resources.physical).

The estimator is an optional extra (``qcompile[physical]``): tests that call it skip
without it; the counting rules and the missing-package message are tested either way.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest

from example_registry import COMPILABLE, EXAMPLES, path
from qcompile.circuit.ir import Circuit, ParamExpr, Parameter
from qcompile.errors import QcompileError
from qcompile.resources import physical as P
from qcompile.resources.api import ROTATION_T_OFFSET, ROTATION_T_SLOPE, rotation_t_states, t_states


def _estimator():
    try:
        return P.estimator_module()
    except P.EstimatorMissingError:
        pytest.skip("the resource estimator (qcompile[physical]) is not installed")


def _estimate(counts: dict, budget: float = 1e-3) -> dict:
    est = _estimator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return est.LogicalCounts(counts).estimate({"errorBudget": budget}).data()


# ---- counting rules (no estimator needed) ---------------------------------------------------

def test_rotation_angles_are_classified_as_the_estimator_does():
    c = Circuit(2)
    c.append("rz", (0,), (math.pi / 4,))          # T
    c.append("rx", (1,), (-3 * math.pi / 4,))     # T (odd multiple)
    c.append("ry", (0,), (math.pi / 2,))          # Clifford
    c.append("p", (1,), (math.pi / 4 + 1e-15,))   # T within the snapping tolerance
    c.append("rz", (0,), (0.3,))                  # rotation
    c.append("t", (1,))
    counts = P.circuit_logical_counts(c, lower=False)
    assert (counts.t_count, counts.rotation_count, counts.ccz_count) == (4, 1, 0)
    assert counts.measurement_count == 2 and counts.num_qubits == 2


def test_parametric_angles_are_rotations_and_depth_counts_rotation_layers():
    x = Parameter("x", 0)
    c = Circuit(3, parameters={"x": 1})
    c.append("ry", (0,), (ParamExpr(x, 1.0, 0.0),))   # layer 0 on qubit 0
    c.append("rz", (1,), (0.2,))                      # layer 0 on qubit 1: parallel
    c.append("cx", (0, 2))                            # syncs qubit 2 to level 1
    c.append("rz", (2,), (0.4,))                      # layer 1
    c.append("t", (1,))                               # layer 1 (a T layer, no new rotation layer)
    c.append("ccx", (0, 1, 2))                        # layer 2 on all three
    c.append("rz", (0,), (0.5,))                      # layer 3
    counts = P.circuit_logical_counts(c, lower=False, final_measurements=False)
    assert counts.rotation_count == 4 and counts.t_count == 1 and counts.ccz_count == 1
    assert counts.rotation_depth == 3 and counts.measurement_count == 0


def test_counts_compose_and_split():
    a = P.LogicalCounts(5, 10, 20, 7, 1, 5)
    b = P.LogicalCounts(9, 1, 2, 2, 0, 9)
    ab = a.then(b)
    assert (ab.num_qubits, ab.t_count, ab.rotation_depth, ab.measurement_count) == (9, 11, 9, 14)
    assert a.repeated(3).rotation_count == 60 and a.repeated(3).num_qubits == 5
    assert a.part(3).t_count == 4 and a.part(3).rotation_depth == 3     # rounded up


def test_missing_estimator_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "qdk", None)
    monkeypatch.setitem(sys.modules, "qsharp", None)
    with pytest.raises(P.EstimatorMissingError, match=r"pip install 'qcompile\[physical\]'"):
        P.physical_resources(path("linear"))


def test_bad_qubit_model_and_budget_are_user_errors():
    _estimator()
    with pytest.raises(QcompileError, match="unknown qubit model 'qubit_gate_ps'"):
        P.physical_resources(path("linear"), qubit_models=("qubit_gate_ps",))
    with pytest.raises(QcompileError, match="error budget"):
        P.physical_resources(path("linear"), error_budget=2.0)


# ---- against the estimator --------------------------------------------------------------------

@pytest.mark.parametrize("rotations,budget", [(1, 1e-3), (149, 1e-4 / 3), (34651, 1e-3), (10**9, 1e-6)])
def test_t_states_per_rotation_match_the_estimator(rotations, budget):
    """The T estimate of ``qcompile resources`` is the estimator's, per rotation and in total:
    its formula at the estimator's default split (a third of the budget for synthesis).  The
    estimator may move budget the logical part leaves unused to synthesis, which saves at
    most one T state per rotation (149 rotations at 1e-4/3: 17.009 → 17), never more."""
    counts = {"numQubits": 7, "tCount": 11, "rotationCount": rotations, "rotationDepth": rotations,
              "cczCount": 3, "measurementCount": 7}
    data = _estimate(counts, 3 * budget)      # the estimator gives rotations a third of the budget
    breakdown = data["physicalCounts"]["breakdown"]
    assert data["errorBudget"]["rotations"] == pytest.approx(budget)
    ours = rotation_t_states(rotations, budget)
    saved = ours - breakdown["numTsPerRotation"]
    assert saved in (0, 1)
    if saved:
        assert ROTATION_T_SLOPE * math.log2(rotations / budget) + ROTATION_T_OFFSET - (ours - 1) < 0.05
    basis = {"t": 6, "tdg": 5, "ccx": 3}
    assert t_states(basis, rotations, budget) == breakdown["numTstates"] + saved * rotations


def test_our_counts_equal_what_the_estimator_traces_on_linear():
    """Cross-check: the compiled circuit of ``linear`` bound to one input, counted by us and
    traced by the estimator through its Qiskit interoperability."""
    import qcompile
    from qcompile.lowering.inputs import random_input

    _estimator()
    pytest.importorskip("qdk.qiskit")
    program = qcompile.compile(path("linear"))
    x = random_input(program.model, np.random.default_rng(3))
    bound = program.bind(x, 0)
    ours = P.circuit_logical_counts(P.snapped_lowered(bound), lower=False)
    traced = P.traced_logical_counts(bound)
    assert ours.to_estimator() == traced.to_estimator()
    assert ours.rotation_count > 0 and ours.t_count > 0
    # the parametric circuit counts every loader angle as a rotation: never fewer rotations
    assert P.program_logical_counts(program).rotation_count >= ours.rotation_count


def test_segments_give_the_whole_computations_figures():
    """Estimating k equal parts with budget/k gives the whole's qubits, distance and
    factories, and k times a part's runtime is the whole's."""
    _estimator()
    counts = P.LogicalCounts(20, 10**6, 10**8, 10**7, 10**5, 10**4)
    whole = P.physical_estimate(counts, "qubit_gate_ns_e4", 1e-3, segments=1)
    parts = P.physical_estimate(counts, "qubit_gate_ns_e4", 1e-3, segments=100)
    assert whole.error is None and parts.error is None
    assert (parts.physical_qubits, parts.code_distance, parts.t_factories) == \
        (whole.physical_qubits, whole.code_distance, whole.t_factories)
    assert parts.runtime_ns == pytest.approx(whole.runtime_ns, rel=1e-6)
    assert P.segments_needed(counts) == 1 and P.segments_needed(counts.repeated(10**7)) == 10**3


def test_llm_configuration_gets_physical_figures():
    """An LLM-scale model: counts from the estimate, beyond 2^64, estimated in parts."""
    _estimator()
    report = P.physical_resources(path("llama2_7b"), qubit_models=("qubit_gate_ns_e4",))
    assert report.runs == 4096 * 31 + 1 and report.counts.rotation_count > 2**64
    (e,) = report.estimates
    assert e.error is None and e.segments > 1
    assert e.physical_qubits > 0 and e.code_distance > 0 and e.runtime_ns > 0 and e.t_factories > 0
    assert report.to_dict()["estimates"][0]["runtime_s"] == pytest.approx(e.runtime_ns * 1e-9)


def test_controlled_phases_count_as_their_decomposition():
    """A 2-qubit controlled phase (kept by lower_to_cx) counts as Qiskit's CPhaseGate
    definition (p(θ/2), CX, p(−θ/2), CX, p(θ/2)): the estimator traces the same counts,
    rotation depth included, from the same circuit."""

    _estimator()
    pytest.importorskip("qdk.qiskit")
    c = Circuit(3).append("h", [0]).append("h", [1]).append("mcp", [0, 1], [0.3]).append("mcp", [1, 2], [math.pi / 2])
    c.append("mcp", [0, 2], [math.pi])
    ours = P.circuit_logical_counts(P.snapped_lowered(c), lower=False)
    assert ours.to_estimator() == P.traced_logical_counts(c).to_estimator()
    assert ours.rotation_count == 3 and ours.t_count == 3       # θ/2 = 0.15: rotations; π/4: T; π/2: Clifford


@pytest.mark.parametrize("name", [n for n in COMPILABLE if not EXAMPLES[n].stacked])
def test_every_compiled_example_gets_logical_counts(compiled_with_dumps, name):
    """``resources --physical`` on every compilable example: its circuits are counted
    (no gate the counter cannot read), with rotations and at least one qubit per stage."""
    program = compiled_with_dumps(name, 1).program
    counts = P.program_logical_counts(program)
    assert counts.num_qubits == max(sc.circuit.num_qubits for sc in program.stages)
    assert counts.rotation_count > 0
