"""ancilla-reuse: fewer qubits, same post-selected output (projectors and Aer trajectories)."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import transpile
from qiskit_aer import AerSimulator

from passes_helpers import postselected_output
from qcompile.backends.qiskit import to_qiskit
from qcompile.circuit.ir import Circuit
from qcompile.circuit.stage import StageCircuit
from qcompile.passes import get_pass
from qcompile.passes.ancilla_reuse import qubit_lifetimes, reuse_assignment


def _reuse(stage: StageCircuit) -> StageCircuit:
    text = stage.to_text()
    out = get_pass("ancilla-reuse").run(stage, {})
    assert stage.to_text() == text
    out.verify()
    return out


@pytest.mark.parametrize("example", ["chain", "lcu-then-weight"])
def test_reuse_drops_qubits_and_keeps_the_postselected_output(examples, example):
    stage, inputs = examples[example]
    out = _reuse(stage)
    assert out.circuit.num_qubits < stage.circuit.num_qubits
    assert len(out.postselect_clbits) >= 1
    last_op = {q: g.name for g in out.circuit.gates for q in g.qubits}
    assert all(last_op[q] not in ("measure", "reset") for q in out.output)  # outputs never recycled
    for values in inputs:
        np.testing.assert_allclose(postselected_output(out, values), postselected_output(stage, values),
                                   atol=1e-9, rtol=0)


def _aer_postselected_direction(stage: StageCircuit, values, tries: int = 200) -> np.ndarray:
    """Normalised output-register state of an Aer trajectory whose mid-circuit outcomes all
    read 0, restricted to the branch where the final post-selected qubits read 0."""
    qc = to_qiskit(stage.circuit.bind(values))
    qc.save_statevector()
    sim = AerSimulator(method="statevector", precision="double")
    # optimization_level=0: level >= 1 removes diagonal gates before measurements, which
    # changes the phase of the post-measurement state
    tqc = transpile(qc, sim, optimization_level=0)
    for seed in range(tries):
        res = sim.run(tqc, shots=1, seed_simulator=seed, memory=True).result()
        bits = res.get_memory()[0].replace(" ", "")[::-1]  # bits[j] = clbit j
        if all(bits[c] == "0" for c in stage.postselect_clbits):
            psi = np.asarray(res.get_statevector())
            m = len(stage.output)
            vals = np.arange(2**m)
            idx = np.zeros(2**m, dtype=np.int64)
            for k, q in enumerate(stage.output):
                idx |= ((vals >> k) & 1) << q
            v = psi[idx]
            return v / np.linalg.norm(v)
    raise AssertionError("no trajectory with all mid-circuit outcomes 0")


def test_reuse_matches_aer_mid_circuit_trajectories(examples):
    stage, inputs = examples["chain"]
    out = _reuse(stage)
    for values in inputs:
        ref = postselected_output(stage, values)
        got = _aer_postselected_direction(out, values)
        np.testing.assert_allclose(got, ref / np.linalg.norm(ref), atol=1e-9, rtol=0)


def test_hand_made_reuse_layout():
    # q1 (post-selected) is done after gate 1; q2 starts at gate 2 and takes its wire
    c = Circuit(3).append("h", [1]).append("cx", [1, 0]).append("h", [2]).append("cx", [2, 0])
    st = StageCircuit(c, (0,), (1, 2), 2.0, "t")
    out = _reuse(st)
    assert out.circuit.num_qubits == 2 and out.postselect_clbits == (0,)
    assert [str(g) for g in out.circuit.gates] == [
        "h q1", "cx q1 q0", "measure q1 -> c0", "reset q1", "h q1", "cx q1 q0"]
    assert out.output == (0,) and out.postselect == (1,)
    np.testing.assert_allclose(postselected_output(out), postselected_output(st), atol=1e-12)


def test_untouched_ancilla_is_removed_and_overlaps_are_kept():
    c = Circuit(4).append("h", [0]).append("cx", [0, 1]).append("cx", [1, 2]).append("cx", [2, 0])
    st = StageCircuit(c, (0,), (1, 2, 3), 1.0, "t")
    intervals, colour = reuse_assignment(c, st.output)
    assert 3 not in intervals and qubit_lifetimes(c)[1] == (1, 2)
    assert len(set(colour.values())) == 3  # q0, q1, q2 all overlap
    out = _reuse(st)
    assert out.circuit.num_qubits == 3 and out.postselect_clbits == ()
    np.testing.assert_allclose(postselected_output(out), postselected_output(st), atol=1e-12)


def test_nothing_to_reuse_keeps_the_circuit(examples):
    stage, _ = examples["lcu"]
    out = _reuse(stage)
    assert out.circuit.num_qubits == stage.circuit.num_qubits
    assert out.circuit.gates == stage.circuit.gates
