"""The OpenQASM files the CLI writes re-import into Qiskit and Cirq and give the reference."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qcompile
from qcompile.backends.qasm import input_name

from cli_support import example, postselected_output, program_for, random_float_input


@pytest.fixture(scope="module")
def linear_qasm2(tmp_path_factory):
    """``qcompile linear.qtf -o l.qasm --qasm 2 --bind x.npy --stats l.json``."""
    from qcompile.cli import main

    d = tmp_path_factory.mktemp("qasm2")
    model = qcompile.load(example("linear"))
    x = random_float_input(model, 5)
    np.save(d / "x.npy", x)
    code = main([example("linear"), "-o", str(d / "l.qasm"), "--qasm", "2", "--bind", str(d / "x.npy"),
                 "--stats", str(d / "l.json")])
    assert code == 0
    stats = json.loads((d / "l.json").read_text())
    ref = qcompile.select_output(model, qcompile.reference(model, x))
    return (d / "l.qasm").read_text(), stats, np.ravel(ref)


def _check_stats_roles(stats, num_qubits):
    out, post = stats["output_qubits"], stats["postselect_qubits"]
    assert sorted(out + post) == list(range(num_qubits))
    return out


def test_qasm2_reimports_into_qiskit(linear_qasm2):
    import qiskit.qasm2
    from qiskit.quantum_info import Statevector

    text, stats, ref = linear_qasm2
    assert text.startswith("OPENQASM 2.0;")
    qc = qiskit.qasm2.loads(text, custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    out = _check_stats_roles(stats, qc.num_qubits)
    amps = postselected_output(Statevector(qc).data, out, qc.num_qubits)
    y = stats["alpha"] * amps
    dim = len(ref)
    assert np.max(np.abs(y[:dim] - ref)) <= 1e-8     # sign included: no global phase lost
    assert np.all(np.abs(y[dim:]) <= 1e-8)          # padding (if any) is empty


def test_qasm2_reimports_into_cirq(linear_qasm2):
    import cirq
    from cirq.contrib.qasm_import import circuit_from_qasm

    text, stats, ref = linear_qasm2
    circuit = circuit_from_qasm(text)
    qubits = sorted(circuit.all_qubits(), key=lambda q: int(str(q).split("_")[-1]))
    n = len(qubits)
    # Cirq is big-endian over the qubit order given: reverse it to make q_0 the lowest bit
    state = cirq.final_state_vector(circuit, qubit_order=list(reversed(qubits)), dtype=np.complex128)
    out = _check_stats_roles(stats, n)
    y = stats["alpha"] * postselected_output(state, out, n)
    assert np.max(np.abs(y[:len(ref)] - ref)) <= 1e-8


def test_qasm3_inputs_bound_by_name(tmp_path, cli):
    import qiskit.qasm3
    from qiskit.quantum_info import Statevector

    code, _, err = cli(example("linear"), "-o", tmp_path / "l.qasm", "--tolerance", "1e-3")
    assert code == 0, err
    text = (tmp_path / "l.qasm").read_text()
    assert text.startswith("OPENQASM 3.0;") and "input float[64]" in text
    qc = qiskit.qasm3.loads(text)
    description = json.loads((tmp_path / "l.program.json").read_text())
    stage = description["stages"][0]
    program = program_for("linear")      # the same model and options: the same loaders
    params = {p.name: p for p in qc.parameters}
    for seed in range(3):
        x = random_float_input(program.model, 40 + seed)
        values = program.parameter_values(0, program.matrices(x), {})
        binding = {params[input_name(name, i)]: float(v) for name, vec in values.items()
                   for i, v in enumerate(vec)}
        assert len(binding) == len(params)
        sv = Statevector(qc.assign_parameters(binding)).data
        y = stage["alpha"] * postselected_output(sv, stage["output_qubits"], qc.num_qubits)
        ref = np.ravel(qcompile.select_output(program.model, qcompile.reference(program.model, x)))
        assert np.max(np.abs(y[:len(ref)] - ref)) <= 1e-8


def test_multi_stage_qasm2_bound_last_stage(tmp_path, cli):
    """attention_head with --bind: stage 1's QASM 2 (its loaders bound to stage 0's glued
    output, computed by simulation) re-imports and gives the model output."""
    import qiskit.qasm2
    from qiskit.quantum_info import Statevector

    from qcompile.reference.interpreter import bind_inputs, evaluate

    program = program_for("attention_head")
    x = random_float_input(program.model, 9)
    np.save(tmp_path / "x.npy", x)
    code, _, err = cli(example("attention_head"), "-o", tmp_path / "ah.qasm", "--qasm", "2", "--bind",
                       tmp_path / "x.npy", "--tolerance", "1e-2")
    assert code == 0, err
    description = json.loads((tmp_path / "ah.program.json").read_text())
    stage = description["stages"][1]
    assert "earlier stages" in stage["bound_by"]
    qc = qiskit.qasm2.loads((tmp_path / "ah.s1.qasm").read_text(),
                            custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    y = stage["alpha"] * postselected_output(Statevector(qc).data, stage["output_qubits"], qc.num_qubits)
    model = program.model
    inputs = bind_inputs(model, x)
    sur = np.ravel(evaluate(model.ir, model.weights, inputs, "surrogate", program.polynomials())[model.ir.output])
    exact = np.ravel(evaluate(model.ir, model.weights, inputs, "exact")[model.ir.output])
    assert np.max(np.abs(y.real[:len(sur)] - sur)) <= 1e-8
    assert np.linalg.norm(y.real[:len(exact)] - exact) <= program.run(x).error_bound + 1e-8
