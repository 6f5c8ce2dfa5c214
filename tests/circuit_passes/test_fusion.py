"""Gate-fusion passes: golden text on hand-made circuits, exactness on library circuits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.quantum_info import Operator

from passes_helpers import cx_of, postselected_output
from qcompile.backends.qiskit import to_qiskit
from qcompile.circuit.ir import Circuit, Gate, ParamExpr, Parameter
from qcompile.circuit.stage import StageCircuit
from qcompile.errors import PassError
from qcompile.passes import get_pass, parse_pipeline

FUSION = ["cancel-inverses", "merge-rotations", "fuse-single-qubit", "consolidate-two-qubit"]
X0, X1 = Parameter("x", 0), Parameter("x", 1)


def _stage(circuit: Circuit, output=(0,)) -> StageCircuit:
    post = tuple(q for q in range(circuit.num_qubits) if q not in output)
    return StageCircuit(circuit, tuple(output), post, 1.0, "t")


def _run(name: str, circuit: Circuit, **opts) -> StageCircuit:
    st = _stage(circuit)
    out = get_pass(name, **opts).run(st, {})
    out.verify()
    return out


def _lines(stage: StageCircuit) -> list[str]:
    return [str(g) for g in stage.circuit.gates]


def _op(circuit: Circuit) -> np.ndarray:
    return Operator(to_qiskit(circuit)).data


# ---------------------------------------------------------------- golden text
def test_rz_rz_merges_to_the_sum():
    c = Circuit(1).append("rz", [0], [0.25]).append("rz", [0], [0.5])
    assert _lines(_run("merge-rotations", c)) == ["rz(0.75) q0"]


def test_symbolic_rotations_merge_affinely_and_keep_parameters():
    c = Circuit(2)
    c.append("rz", [0], [ParamExpr(X0, 1.0, 0.0)]).append("cx", [0, 1])
    c.append("rz", [0], [ParamExpr(X0, 2.0, 1.0)])  # commutes through the control
    c.append("ry", [1], [ParamExpr(X0)]).append("ry", [1], [ParamExpr(X1)])
    out = _run("merge-rotations", c)
    assert _lines(out) == ["rz(3.0*x[0] + 1.0) q0", "cx q0 q1", "ry(x[0]) q1", "ry(x[1]) q1"]
    assert out.circuit.parameters == {"x": 2}


def test_cancelling_coefficients_leave_a_number():
    c = Circuit(1)
    c.append("p", [0], [ParamExpr(X0, 0.5, 0.25)]).append("p", [0], [ParamExpr(X0, -0.5, 0.5)])
    assert _lines(_run("merge-rotations", c)) == ["p(0.75) q0"]


def test_rz_two_pi_is_minus_identity_and_keeps_the_phase():
    c = Circuit(1).append("rz", [0], [math.pi]).append("rz", [0], [math.pi])
    out = _run("merge-rotations", c)
    assert out.circuit.gates == [] and math.isclose(out.circuit.global_phase, math.pi)
    c4 = Circuit(1).append("rx", [0], [4 * math.pi]).append("p", [0], [2 * math.pi])
    out4 = _run("merge-rotations", c4)
    assert out4.circuit.gates == [] and out4.circuit.global_phase == 0.0


@pytest.mark.parametrize("alpha,kept", [(1.0, 0), (1e5, 1)])
def test_near_identity_rotations_are_dropped_only_within_the_read_out_budget(alpha, kept):
    """Remainders of 1e-13 cost alpha·|r|/2 of read-out: dropped at alpha 1, kept at 1e5
    (merged into one rz(3e-13)); the declared error stays within the 1e-12 budget."""
    c = Circuit(1)
    for _ in range(3):
        c.append("rz", [0], [0.25]).append("rz", [0], [-0.25 + 1e-13])
    st = StageCircuit(c, (0,), (), alpha, "t")
    out = get_pass("merge-rotations").run(st, {})
    assert len(out.circuit.gates) == kept
    assert alpha * out.info.get("dropped_rotation_error", 0.0) <= 1e-12
    assert np.allclose(_op(out.circuit), _op(c), atol=1e-12 / alpha + 1e-15)


def test_h_h_cancels_and_cascades():
    c = Circuit(2).append("h", [0]).append("x", [0]).append("x", [0]).append("h", [0])
    assert _lines(_run("cancel-inverses", c)) == []


def test_cancel_through_disjoint_and_commuting_gates():
    c = Circuit(3)
    c.append("cx", [0, 1]).append("h", [2]).append("rz", [0], [0.3]).append("x", [1])
    c.append("cx", [0, 1])  # rz on the control and x on the target commute with cx
    c.append("mcx", [0, 2, 1]).append("mcx", [2, 0, 1])  # same controls, same target
    c.append("s", [2]).append("sdg", [2]).append("mcz", [0, 1, 2]).append("mcz", [2, 0, 1])
    assert _lines(_run("cancel-inverses", c)) == ["h q2", "rz(0.3) q0", "x q1"]


def test_no_cancel_through_a_non_commuting_gate():
    c = Circuit(2).append("h", [0]).append("cx", [0, 1]).append("h", [0])
    c.append("cx", [0, 1]).append("rx", [1], [0.2]).append("h", [1]).append("cx", [0, 1])
    assert _lines(_run("cancel-inverses", c)) == _lines(_stage(c))


def test_fuse_single_qubit_run_to_at_most_three_rotations():
    rng = np.random.default_rng(3)
    c = Circuit(2)
    for name in ["h", "t", "rx", "s", "ry", "y", "p", "h", "rz", "sdg"]:
        c.append(name, [0], [float(rng.uniform(-3, 3))] if name in ("rx", "ry", "rz", "p") else [])
    c.append("cx", [0, 1]).append("h", [1]).append("h", [1])
    out = _run("fuse-single-qubit", c)
    ops = out.circuit.gates
    assert [g.name for g in ops][-1] == "cx" and len(ops) <= 4
    assert np.allclose(_op(out.circuit), _op(c), atol=1e-12)  # global phase included


def test_fuse_keeps_short_runs_and_symbolic_gates():
    c = Circuit(1).append("h", [0]).append("ry", [0], [ParamExpr(X0)]).append("h", [0])
    assert _lines(_run("fuse-single-qubit", c)) == ["h q0", "ry(x[0]) q0", "h q0"]
    c2 = Circuit(1).append("h", [0]).append("rz", [0], [0.3]).append("h", [0])
    assert _lines(_run("fuse-single-qubit", c2)) == ["rx(0.3) q0"]


def test_consolidate_two_qubit_block_lowers_cx():
    rng = np.random.default_rng(4)
    c = Circuit(3).append("h", [2])
    for _ in range(6):
        c.append("cx", [0, 1]).append("ry", [0], [float(rng.uniform(-3, 3))])
        c.append("cz", [1, 0]).append("rz", [1], [float(rng.uniform(-3, 3))])
    c.append("mcp", [0, 1], [0.4]).append("cx", [1, 2])
    out = _run("consolidate-two-qubit", c)
    assert cx_of(out) <= 3 + 1 < cx_of(_stage(c))
    assert np.allclose(_op(out.circuit), _op(c), atol=1e-10)


def test_consolidate_skips_blocks_the_synthesis_gets_imprecise():
    # a controlled rz(10π + 1e-9) after a near-|+> preparation: Qiskit's KAK returns it
    # ~3e-10 off (found in encoder_prenorm's softmax stage, where that error showed)
    c = Circuit(2).append("ry", [1], [1.5707963231633943]).append("x", [1]).append("h", [0])
    c.append("rz", [0], [-31.415926536788046]).append("cx", [1, 0])
    c.append("rz", [0], [31.415926536788046]).append("cx", [1, 0]).append("h", [0])
    loose = get_pass("consolidate-two-qubit", check_atol=1e-9).run(_stage(c), {})   # the largest check_atol allowed
    assert cx_of(loose) < 2
    err = np.max(np.abs(_op(loose.circuit) - _op(c)))
    props: dict = {}
    out = get_pass("consolidate-two-qubit").run(_stage(c), props)
    assert np.max(np.abs(_op(out.circuit) - _op(c))) <= 1e-13
    # Qiskit 2.x misses by ~3e-10 here; should it get exact, the block is simply replaced
    assert props["imprecise_blocks"] == int(err > 1e-13)
    assert props["consolidated_blocks"] == int(err <= 1e-13)


def test_consolidate_leaves_cheap_blocks_alone():
    c = Circuit(2).append("h", [0]).append("cx", [0, 1]).append("rz", [1], [0.1])
    assert _lines(_run("consolidate-two-qubit", c)) == _lines(_stage(c))


def test_drop_small_rotations_records_a_true_error_bound():
    c = Circuit(2)
    c.append("h", [0]).append("rz", [0], [1e-3]).append("cx", [0, 1]).append("ry", [1], [-4e-4])
    c.append("mcp", [0, 1], [2 * math.pi + 5e-4]).append("rx", [1], [0.5])
    c.append("rz", [1], [ParamExpr(X0, 1e-5)])  # symbolic: never dropped
    st = _stage(c)
    out = get_pass("drop-small-rotations", eps=2e-3).run(st, {})
    assert [g.name for g in out.circuit.gates] == ["h", "cx", "rx", "rz"]
    bound = out.info["dropped_rotation_error"]
    assert math.isclose(bound, (1e-3 + 4e-4 + 5e-4) / 2, rel_tol=1e-9)
    vals = {"x": [0.7]}
    err = np.linalg.norm(_op(out.circuit.bind(vals)) - _op(c.bind(vals)), 2)
    assert 0 < err <= bound


def test_drop_small_rotations_rejects_negative_eps():
    with pytest.raises(PassError):
        get_pass("drop-small-rotations", eps=-1.0).run(_stage(Circuit(1)), {})


# ---------------------------------------------------------------- library circuits
@pytest.mark.parametrize("name", FUSION)
@pytest.mark.parametrize("example", ["lcu", "gelu", "chain", "random"])
def test_fusion_pass_preserves_postselected_output(examples, name, example):
    stage, inputs = examples[example]
    text = stage.to_text()
    out = get_pass(name).run(stage, {})
    assert stage.to_text() == text  # input not mutated
    out.verify()
    assert cx_of(out) <= cx_of(stage)
    assert out.circuit.parameters == stage.circuit.parameters
    for values in inputs:  # bound AFTER the pass: the pass never saw the input
        np.testing.assert_allclose(postselected_output(out, values), postselected_output(stage, values),
                                   atol=1e-9, rtol=0)


def test_fusion_lowers_cx_on_the_lcu(examples):
    stage, _ = examples["lcu"]
    out = stage
    for name in FUSION:
        out = get_pass(name).run(out, {})
    assert cx_of(out) < 0.8 * cx_of(stage)


# ---------------------------------------------------------------- controlled rotations, free gates
def test_controlled_rotations_cancel_and_merge():
    c = Circuit(3)
    c.append("mcry", [0, 1, 2], [0.3]).append("mcry", [1, 0, 2], [-0.3])  # same controls as a set
    c.append("mcrz", [0, 2], [0.25]).append("rz", [0], [0.1]).append("mcrz", [0, 2], [0.5])
    c.append("rx", [1], [0.2]).append("mcrx", [1], [0.3])  # 0 controls: rx
    assert _lines(_run("cancel-inverses", c)) == ["mcrz(0.25) q0 q2", "rz(0.1) q0", "mcrz(0.5) q0 q2",
                                                  "rx(0.2) q1", "mcrx(0.3) q1"]
    out = _run("merge-rotations", c)
    assert _lines(out) == ["mcrz(0.75) q0 q2", "rz(0.1) q0", "rx(0.5) q1"]
    assert np.allclose(_op(out.circuit), _op(c), atol=1e-12)


def test_controlled_rotation_by_two_pi_is_not_a_global_phase():
    c = Circuit(2).append("mcrz", [0, 1], [math.pi]).append("mcrz", [0, 1], [math.pi])
    out = _run("merge-rotations", c)
    assert _lines(out) == [f"mcrz({2 * math.pi:.12g}) q0 q1"] and out.circuit.global_phase == 0.0
    c4 = Circuit(2).append("mcrz", [0, 1], [2 * math.pi]).append("mcrz", [0, 1], [2 * math.pi])
    assert _lines(_run("merge-rotations", c4)) == []
    assert np.allclose(_op(out.circuit), _op(c), atol=1e-12)


def test_free_flags_survive_where_gates_are_untouched_or_all_free():
    c = Circuit(2)
    c.add_gate(Gate("rz", (0,), (0.2,), free=True))
    c.add_gate(Gate("rz", (0,), (0.3,), free=True))
    c.add_gate(Gate("cx", (0, 1), free=True))
    c.add_gate(Gate("ry", (1,), (0.4,)))
    c.add_gate(Gate("ry", (1,), (0.1,), free=True))
    assert _lines(_run("merge-rotations", c)) == ["~rz(0.5) q0", "~cx q0 q1", "ry(0.5) q1"]


def test_lower_to_cx_is_exact_with_borrowed_ancillas():
    from qcompile.circuit.decompose import lower_to_cx

    c = Circuit(7).append("h", [6]).append("ry", [5], [0.7])
    c.append("mcx", [0, 1, 2, 3, 4]).append("mcz", [4, 3, 2, 1, 0]).append("mcry", [1, 2, 3, 4, 6], [0.9])
    c.append("mcrx", [0, 5], [0.4]).append("mcrz", [0, 1, 2, 5], [-1.1]).append("mcp", [0, 1, 6], [0.6])
    c.append("ccx", [0, 6, 5])
    c.add_gate(Gate("mcx", (3, 4, 5, 6, 0), free=True))
    low = lower_to_cx(c)
    assert {g.name for g in low.gates} <= {"cx", "cz", "h", "x", "y", "z", "s", "sdg", "t", "tdg",
                                            "rx", "ry", "rz", "p", "mcp"}
    assert all(len(g.qubits) <= 2 for g in low.gates)
    assert np.allclose(_op(low), _op(c), atol=1e-9)  # every ancilla state: exact as a unitary
    borrowed = lower_to_cx(c)
    plain = lower_to_cx(c, borrow_ancillas=False)
    assert sum(g.name == "cx" for g in borrowed.gates) < sum(g.name == "cx" for g in plain.gates)


def test_consolidate_two_qubit_with_controlled_rotations():
    c = Circuit(2)
    for k in range(4):
        c.append("mcry", [0, 1], [0.3 + k]).append("mcrz", [1, 0], [0.2 - k]).append("h", [k % 2])
    out = _run("consolidate-two-qubit", c)
    assert cx_of(out) <= 3 < cx_of(_stage(c))
    assert np.allclose(_op(out.circuit), _op(c), atol=1e-10)


# ---------------------------------------------------------------- fences and random circuits
@pytest.mark.parametrize("name", FUSION)
def test_measure_reset_and_barrier_are_fences(name):
    c = Circuit(2, num_clbits=1)
    c.append("h", [0]).append("measure", [0], clbits=[0]).append("h", [0])
    c.append("cx", [0, 1]).append("reset", [1]).append("cx", [0, 1])
    c.append("x", [1]).append("barrier", [0, 1]).append("x", [1])
    c.append("rz", [0], [0.1]).append("barrier", [0]).append("rz", [0], [0.2])
    assert _lines(_run(name, c)) == _lines(_stage(c))


@pytest.mark.parametrize("seed", range(6))
def test_every_fusion_pass_keeps_the_unitary_of_random_circuits(seed):
    from qcompile.circuit.random import random_circuit

    rng = np.random.default_rng(100 + seed)
    c = random_circuit(4, 60, rng, symbolic=0.25, param_size=3)
    values = {"x": rng.uniform(-3, 3, size=3)}
    ref = _op(c.bind(values))
    st = _stage(c)
    for name in FUSION + ["consolidate-two-qubit{lower=true}"]:
        p = parse_pipeline(name)[0]
        out = p.run(st, {})
        out.verify()
        assert np.allclose(_op(out.circuit.bind(values)), ref, atol=1e-9), name
        st = out  # chain them too


def test_global_phase_sums_stay_reduced():
    # 400 replaced pieces each add a phase; the running sum is kept in [−π, π] so that it
    # keeps the precision of a small number (qcompile.circuit.ir.wrap_phase)
    from qcompile.circuit.decompose import lower_to_cx

    c = Circuit(4)
    for k in range(400):
        c.append("mcx", [0, 1, 2, 3]).append("rz", [k % 4], [2.9])
    low = lower_to_cx(c)
    fused = _run("fuse-single-qubit", low).circuit
    for out in (low, fused):
        assert abs(out.global_phase) <= math.pi
        assert np.max(np.abs(_op(out) - _op(c))) < 1e-11
