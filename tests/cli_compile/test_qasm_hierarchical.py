"""17.5: hierarchical OpenQASM (repeated blocks and multi-controlled gates written once as
``gate`` definitions) denotes the same circuit as the gate-by-gate text: Qiskit's and
Cirq's importers load it and simulate to the same state, and it is smaller."""

from __future__ import annotations

import re

import numpy as np
import pytest

import qcompile
from qcompile.backends.qasm import hierarchical_output, to_qasm

from cli_support import example, postselected_output, random_float_input
from example_registry import COMPILABLE, EXAMPLES


@pytest.fixture(scope="module")
def program():
    return qcompile.compile(example("attention_head"), tolerance=1e-2)


def _qiskit_state(text: str) -> np.ndarray:
    import qiskit.qasm2
    import qiskit.qasm3
    from qiskit.quantum_info import Statevector

    qc = (qiskit.qasm2.loads(text, custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
          if text.startswith("OPENQASM 2") else qiskit.qasm3.loads(text))
    return Statevector(_inlined(qc)).data


def _inlined(qc):
    """``qc`` with qcompile's ``gate`` definitions expanded (Statevector would otherwise
    build each defined gate's full matrix, 2^k × 2^k for a k-qubit block)."""
    while any(inst.operation.name.startswith("qc_") for inst in qc.data):
        qc = qc.decompose(gates_to_decompose=sorted({i.operation.name for i in qc.data
                                                     if i.operation.name.startswith("qc_")}))
    return qc


def _cirq_state(text: str) -> np.ndarray:
    import cirq
    from cirq.contrib.qasm_import import circuit_from_qasm

    circuit = circuit_from_qasm(text)
    qubits = sorted(circuit.all_qubits(), key=lambda q: int(str(q).split("_")[-1]))
    return cirq.final_state_vector(circuit, qubit_order=list(reversed(qubits)), dtype=np.complex128)


@pytest.mark.parametrize("stage", [0, 1])
def test_hierarchical_qasm2_is_the_same_circuit(program, stage):
    x = random_float_input(program.model, 21)
    bound = program.bind(x, stage)
    flat, hier = to_qasm(bound, 2, hierarchical=False), to_qasm(bound, 2, hierarchical=True)
    assert len(hier) <= len(flat)
    if stage == 0:   # the QSVT stage calls its blocks again and again: written once each
        assert "gate qc_" in hier and len(hier) < len(flat)
    want = _qiskit_state(flat)
    assert np.max(np.abs(_qiskit_state(hier) - want)) <= 1e-12
    assert np.max(np.abs(_cirq_state(hier) - want)) <= 1e-10
    # the global phase survives: the post-selected output keeps its sign
    sc = program.stages[stage]
    out = sc.alpha * postselected_output(_qiskit_state(hier), sc.output, bound.num_qubits)
    assert np.allclose(out, sc.alpha * postselected_output(want, sc.output, bound.num_qubits), atol=1e-12)


def test_hierarchical_qasm3_with_inputs_binds_to_the_same_state(program):
    import qiskit.qasm3
    from qiskit.quantum_info import Statevector

    sc = program.stages[0]
    text = to_qasm(sc.circuit, 3, hierarchical=True)
    assert text.count("gate qc_") >= 2 and "input float[64]" in text
    x = random_float_input(program.model, 5)
    values = qcompile.bind_parameters(program, x)["stages"][0]["inputs"]
    qc = qiskit.qasm3.loads(text)
    qc = _inlined(qc)
    state = Statevector(qc.assign_parameters({p: values[p.name] for p in qc.parameters})).data
    want = _qiskit_state(to_qasm(program.bind(x, 0), 3, hierarchical=False))
    assert np.max(np.abs(state - want)) <= 1e-12


def test_the_command_line_writes_hierarchical_files(tmp_path, cli, program):
    code, _, err = cli(example("attention_head"), "-o", tmp_path / "h.qasm", "--tolerance", "1e-2")
    assert code == 0, err
    code, _, err = cli(example("attention_head"), "-o", tmp_path / "f.qasm", "--tolerance", "1e-2", "--flat-qasm")
    assert code == 0, err
    hier, flat = (tmp_path / "h.qasm").read_text(), (tmp_path / "f.qasm").read_text()
    assert "gate qc_" in hier and "gate qc_" not in flat and 2 * len(hier) < len(flat)
    with hierarchical_output():
        assert "gate qc_" in program.qasm(2, x=random_float_input(program.model, 2), stage=0)
    assert "gate qc_" not in program.qasm(2, x=random_float_input(program.model, 2), stage=0)


def _expanded(text: str) -> list[str]:
    """The gate lines of ``text`` with every ``gate`` definition's calls replaced by its body
    (arguments substituted: what a definition means in OpenQASM), definitions removed."""
    defs = {}
    for m in _DEF.finditer(text):
        params = [a.strip() for a in (m.group(2) or "").split(",") if a.strip()]
        defs[m.group(1)] = (params, [a.strip() for a in m.group(3).split(",")], m.group(4))
    out: list[str] = []

    def walk(lines, sub):
        for line in lines:
            line = _NAME.sub(lambda w: sub.get(w.group(0), w.group(0)), line.strip()) if sub else line.strip()
            call = _CALL.match(line)
            if call and call.group(1) in defs:
                params, qargs, body = defs[call.group(1)]
                args = [a.strip() for a in (call.group(2) or "").split(",") if a.strip()]
                inner = dict(zip(params, args)) | dict(zip(qargs, (a.strip() for a in call.group(3).split(","))))
                walk(body.split("\n"), inner)
            elif line:
                out.append(line)

    walk(_DEF.sub("", text).split("\n"), {})
    return out


_DEF = re.compile(r"gate (qc_\w+)(?:\(([^)]*)\))? ([^{]*)\{\n(.*?)\n\}\n?", re.S)
_CALL = re.compile(r"(qc_\w+)(?:\(([^)]*)\))? (.*);$")
_NAME = re.compile(r"\b[A-Za-z_]\w*(?:\[\d+\])?")


@pytest.mark.parametrize("name", [n for n in COMPILABLE if not EXAMPLES[n].stacked])
def test_every_example_hierarchical_expands_to_the_flat_file(compiled_with_dumps, name):
    """What ``qcompile MODEL -o OUT`` writes, on every compilable example and stage, in
    OpenQASM 3 with its inputs and in OpenQASM 2 bound: each definition's calls replaced by
    its body give the gate-by-gate file line for line (the importers' own simulations of
    the same construction are checked on attention_head above)."""
    from qcompile.lowering.inputs import random_input

    program = compiled_with_dumps(name, 1).program
    x = random_input(program.model, np.random.default_rng(3))
    for k, sc in enumerate(program.stages):
        for circuit, version in ((sc.circuit, 3), (program.bind(x, k), 2)):
            flat, hier = to_qasm(circuit, version, hierarchical=False), to_qasm(circuit, version, hierarchical=True)
            assert len(hier) <= len(flat)
            got, want = _expanded(hier), [line.strip() for line in flat.split("\n") if line.strip()]
            assert len(got) == len(want), f"stage {k}"
            bad = [(a, b) for a, b in zip(got, want) if a != b and not _same_gate(a, b)]
            assert not bad, f"stage {k}: {bad[:3]}"


def _same_gate(a: str, b: str) -> bool:
    """Two gate lines that differ only in how a numeric angle is written (a rotation
    template's ``0.5*qc_t_0`` at the call's angle vs the number): same gate and qubits,
    angles equal to 1e-12."""
    ma, mb = _GATE.match(a), _GATE.match(b)
    if not (ma and mb) or (ma.group(1), ma.group(3)) != (mb.group(1), mb.group(3)):
        return False
    xa, xb = ma.group(2).split(","), mb.group(2).split(",")
    num = {"__builtins__": {}, "pi": np.pi}
    return len(xa) == len(xb) and all(abs(eval(u, num) - eval(v, num)) <= 1e-12 for u, v in zip(xa, xb))


_GATE = re.compile(r"(\w+)\(([^;]*)\) ([^;]*);$")
