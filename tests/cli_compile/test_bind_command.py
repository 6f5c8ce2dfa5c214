"""17.4: a user binds the model's own input to the OpenQASM 3 file without Python against
qcompile's internals: ``qcompile bind`` writes the input values by name, Qiskit's importer
loads the file, and the bound circuit gives the reference; binding the raw values of x
instead (what the file's inputs are not) gives a wrong output."""

from __future__ import annotations

import json

import numpy as np

import qcompile

from cli_support import example, postselected_output, random_float_input


def _output(text: str, values: dict, stage: dict) -> np.ndarray:
    import qiskit.qasm3
    from qiskit.quantum_info import Statevector

    qc = qiskit.qasm3.loads(text)
    binding = {p: values[p.name] for p in qc.parameters}
    sv = Statevector(qc.assign_parameters(binding)).data
    return stage["alpha"] * postselected_output(sv, stage["output_qubits"], qc.num_qubits)


def test_bind_values_reproduce_the_reference_through_qiskits_importer(tmp_path, cli):
    model = qcompile.load(example("linear"))
    x = random_float_input(model, 17)
    np.save(tmp_path / "x.npy", x)
    code, _, err = cli(example("linear"), "-o", tmp_path / "l.qasm")
    assert code == 0, err
    code, out, err = cli("bind", example("linear"), "--input", tmp_path / "x.npy", "--json", tmp_path / "p.json")
    assert code == 0 and "input values" in out, err
    text = (tmp_path / "l.qasm").read_text()
    assert "loader angles" in text.split("input float[64]")[0]          # the file says what its inputs are
    description = json.loads((tmp_path / "l.program.json").read_text())
    assert "bind" in description["inputs_note"]
    stage = description["stages"][0]
    values = json.loads((tmp_path / "p.json").read_text())["stages"][0]["inputs"]
    y = _output(text, values, stage)
    ref = np.ravel(qcompile.select_output(model, qcompile.reference(model, x)))
    assert np.max(np.abs(y[:len(ref)] - ref)) <= 1e-8
    # the raw values of the row the loader reads are not its inputs: a wrong output
    row = stage["loaders"][0]["reads"]
    k = int(row[row.index("[") + 1:-1]) if "[" in row else None
    raw = np.ravel(x[k] if k is not None else x)
    wrong = {name: float(raw[int(name.rsplit("_", 1)[1]) % len(raw)]) for name in values}
    assert np.max(np.abs(_output(text, wrong, stage)[:len(ref)] - ref)) > 1e-2


def test_bind_parameters_covers_every_stage_of_a_staged_program():
    program = qcompile.compile(example("attention_head"), tolerance=1e-2)
    x = random_float_input(program.model, 3)
    values = qcompile.bind_parameters(program, x)
    assert [s["index"] for s in values["stages"]] == list(range(len(program.stages)))
    for k, stage in enumerate(values["stages"]):
        names = {f"{n}_{i}" for n, size in program.stages[k].circuit.parameters.items() for i in range(size)}
        assert set(stage["inputs"]) == names
    assert values["stages"][1]["computed_from"].startswith("the input and earlier stages")
