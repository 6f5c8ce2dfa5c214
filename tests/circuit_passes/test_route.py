"""route: layout + routing with Qiskit, symbolic angles kept, roles remapped."""

from __future__ import annotations

import numpy as np
import pytest

from passes_helpers import postselected_output
from qcompile.circuit.ir import Circuit, ParamExpr, Parameter
from qcompile.circuit.stage import StageCircuit
from qcompile.errors import PassError
from qcompile.passes import get_pass
from qcompile.circuit.synthesis import from_qiskit_parametric
from qcompile.passes.route import coupling_map


def _edges(target: str) -> set[tuple[int, int]]:
    return {tuple(e) for e in coupling_map(target).get_edges()}


@pytest.mark.parametrize("example,target", [("lcu", "line:6"), ("gelu", "grid:2x4"), ("random", "line:5")])
def test_route_respects_the_coupling_map_and_the_output(examples, example, target):
    stage, inputs = examples[example]
    text = stage.to_text()
    out = get_pass("route", target=target).run(stage, {})
    assert stage.to_text() == text
    out.verify()
    assert out.circuit.is_parametric  # routed without the input
    edges = _edges(target)
    for g in out.circuit.gates:
        assert len(g.qubits) <= 2
        if len(g.qubits) == 2:
            assert g.qubits in edges or g.qubits[::-1] in edges
    n = stage.circuit.num_qubits
    assert sorted(out.info["layout"]) == list(range(n))
    assert [out.info["final_layout"][q] for q in stage.output] == list(out.output)
    for values in inputs:
        np.testing.assert_allclose(postselected_output(out, values), postselected_output(stage, values),
                                   atol=1e-9, rtol=0)


def test_heavy_hex_target_places_every_gate_on_an_edge(examples):
    stage, _ = examples["chain"]
    out = get_pass("route", target="heavy-hex:3").run(stage, {})
    assert out.circuit.num_qubits == 19
    edges = _edges("heavy-hex:3")
    assert all(g.qubits in edges or g.qubits[::-1] in edges for g in out.circuit.gates if len(g.qubits) == 2)


def test_parametric_round_trip_keeps_affine_angles():
    from qcompile.backends.qiskit import to_qiskit

    c = Circuit(2)
    c.append("ry", [0], [ParamExpr(Parameter("x", 1), -0.5, 0.25)]).append("cx", [0, 1])
    c.append("p", [1], [ParamExpr(Parameter("w", 0))])
    c.declare_parameters("x", 3)
    back = from_qiskit_parametric(to_qiskit(c), dict(c.parameters))
    assert [str(g) for g in back.gates] == [str(g) for g in c.gates]
    assert back.parameters == {"w": 1, "x": 3}


@pytest.mark.parametrize("target", ["ring:4", "grid:2", "heavy-hex:2", "line:0"])
def test_bad_targets_are_pass_errors(target):
    with pytest.raises(PassError):
        coupling_map(target)


def test_route_needs_a_big_enough_target():
    st = StageCircuit(Circuit(3).append("cx", [0, 2]), (0,), (1, 2), 1.0)
    with pytest.raises(PassError, match="needs 3"):
        get_pass("route", target="line:2").run(st, {})
    with pytest.raises(PassError, match="target"):
        get_pass("route").run(st, {})
