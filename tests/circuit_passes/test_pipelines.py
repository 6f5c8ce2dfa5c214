"""Optimisation levels and the pass manager driving the circuit passes."""

from __future__ import annotations

import numpy as np
import pytest

from passes_helpers import cx_of, postselected_output
from qcompile.errors import PassError
from qcompile.passes import PassManager, available_passes, parse_pipeline
from qcompile.passes.pipelines import optimization_pipeline

CIRCUIT_PASSES = {"cancel-inverses", "merge-rotations", "fuse-single-qubit", "consolidate-two-qubit",
                  "drop-small-rotations", "ancilla-reuse", "route"}


def _names(passes) -> list[str]:
    return [p.name for p in passes]


def test_levels():
    assert optimization_pipeline(0) == []
    assert _names(optimization_pipeline(1)) == ["cancel-inverses", "merge-rotations"]
    o2 = _names(optimization_pipeline(2))
    assert set(o2) == CIRCUIT_PASSES - {"drop-small-rotations", "route"}
    assert o2[-1] == "ancilla-reuse"
    assert "ancilla-reuse" not in _names(optimization_pipeline(2, ancilla_reuse=False))
    assert _names(optimization_pipeline(0, target="line:5")) == ["route"]
    with_eps = optimization_pipeline(2, eps=1e-4, target="grid:2x3")
    names = _names(with_eps)
    assert "drop-small-rotations" in names
    assert names[names.index("route"):] == ["route", "consolidate-two-qubit", "fuse-single-qubit",
                                            "cancel-inverses", "merge-rotations"]


def test_bad_level_or_option():
    with pytest.raises(PassError):
        optimization_pipeline(3)
    with pytest.raises(PassError):
        optimization_pipeline(2, taget="line:4")


def test_every_circuit_pass_is_listed_with_a_description():
    listed = {name: desc for name, kind, desc in available_passes()}
    for name in CIRCUIT_PASSES:
        assert listed[name] and "\n" not in listed[name]


@pytest.mark.parametrize("example", ["lcu-then-weight", "gelu"])
def test_o2_through_the_pass_manager(examples, example):
    stage, inputs = examples[example]
    pm = PassManager(optimization_pipeline(2), verify=True)
    out = pm.run(stage)
    assert cx_of(out) < cx_of(stage)
    assert out.circuit.num_qubits <= stage.circuit.num_qubits
    for values in inputs:
        np.testing.assert_allclose(postselected_output(out, values), postselected_output(stage, values),
                                   atol=1e-9, rtol=0)


def test_pipeline_string_with_options(examples):
    stage, inputs = examples["chain"]
    passes = parse_pipeline("merge-rotations,drop-small-rotations{eps=0.05},ancilla-reuse,route{target=line:4}")
    out = PassManager(passes, verify=True).run(stage)
    assert out.circuit.num_qubits == 4 and out.info["target"] == "line:4"
    bound = out.info["dropped_rotation_error"]
    assert bound > 0.0  # eps=0.05 does drop rotations here
    for values in inputs:  # the change of alpha*y is at most alpha * the operator-norm bound
        diff = np.linalg.norm(postselected_output(out, values) - postselected_output(stage, values))
        assert diff <= stage.alpha * bound + 1e-9


def test_o2_with_a_target_stays_on_the_coupling_map(examples):
    from qcompile.passes.route import coupling_map

    stage, inputs = examples["gelu"]
    out = PassManager(optimization_pipeline(2, target="line:7"), verify=True).run(stage)
    edges = {tuple(e) for e in coupling_map("line:7").get_edges()}
    assert all(g.qubits in edges for g in out.circuit.gates if len(g.qubits) == 2)
    assert out.info["target"] == "line:7"
    for values in inputs:
        np.testing.assert_allclose(postselected_output(out, values), postselected_output(stage, values),
                                   atol=1e-9, rtol=0)
