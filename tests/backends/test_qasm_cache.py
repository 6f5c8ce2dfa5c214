"""to_qasm and lower_multicontrolled reuse the lowering of repeated gates: the output must
equal lowering and rendering every gate afresh (signed zeros, angle types and the order of
the template phases included)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qcompile.backends import qasm as qasm_mod
from qcompile.backends.qasm import to_qasm
from qcompile.circuit.decompose import lower_gate, lower_multicontrolled
from qcompile.circuit.ir import Circuit, Gate, Parameter, ParamExpr, wrap_phase


def _fresh_lowering(circuit: Circuit, keep_cp: bool = False) -> Circuit:
    """Gate-by-gate lowering with no cache at all (the reference)."""
    out = Circuit(circuit.num_qubits, [], circuit.global_phase, circuit.num_clbits,
                  dict(circuit.registers), dict(circuit.parameters))
    for g in circuit.gates:
        gates, phases = lower_gate(g, keep_cp=keep_cp)
        for lg in gates:
            out.add_gate(lg)
        for ph in phases:
            out.global_phase = wrap_phase(out.global_phase + ph)
    return out


def _fresh_qasm(circuit: Circuit, version: int) -> str:
    """The gate lines of the uncached lowering, rendered one gate at a time."""
    low = _fresh_lowering(circuit, keep_cp=True)
    return "\n".join(line for g in low.gates for line in qasm_mod._gate_lines(g, version))


def _repeating_circuit(parametric: bool) -> Circuit:
    rng = np.random.default_rng(11)
    c = Circuit(7, global_phase=0.25)
    x = c.declare_parameters("x", 3) if parametric else None
    angles = [0.0, -0.0, 0.7, np.float64(0.7), -1.25, 2]
    for _ in range(60):
        width = int(rng.integers(2, 7))
        qs = tuple(int(q) for q in rng.permutation(7)[:width])
        name = str(rng.choice(["mcx", "mcz", "mcp", "mcrx", "mcry", "mcrz"]))
        if name in ("mcx", "mcz"):
            c.add_gate(Gate(name, qs))
            continue
        a = angles[int(rng.integers(len(angles)))]
        if parametric and rng.random() < 0.5:
            p = x[int(rng.integers(3))]
            a = ParamExpr(p.parameter, float(rng.choice([1.0, -0.0, 0.0, -0.5])),
                          float(rng.choice([0.0, -0.0, 0.3])))
        c.add_gate(Gate(name, qs, (a,)))
    return c


@pytest.mark.parametrize("parametric", [False, True])
def test_lower_multicontrolled_equals_fresh_lowering(parametric):
    c = _repeating_circuit(parametric)
    for keep_cp in (False, True):
        got, ref = lower_multicontrolled(c, keep_cp=keep_cp), _fresh_lowering(c, keep_cp)
        assert len(got.gates) == len(ref.gates)
        for a, b in zip(got.gates, ref.gates):
            assert repr(a.__dict__) == repr(b.__dict__)  # repr tells -0.0 from 0.0 and types
        assert repr(got.global_phase) == repr(ref.global_phase)
        assert got.parameters == ref.parameters


@pytest.mark.parametrize("parametric,version", [(False, 2), (False, 3), (True, 3)])
def test_to_qasm_equals_gate_by_gate_rendering(parametric, version):
    c = _repeating_circuit(parametric)
    text = to_qasm(c, version)
    body = _fresh_qasm(c, version)
    assert text.endswith(body + "\n")
    low = _fresh_lowering(c, keep_cp=True)
    phase_line = (f"gphase({qasm_mod._num(low.global_phase)});" if version == 3
                  else f"u1({qasm_mod._num(low.global_phase)}) q[0];")
    assert phase_line in text


def test_signed_zero_angles_are_not_merged():
    c = Circuit(3)
    c.add_gate(Gate("mcrz", (0, 1, 2), (0.0,)))
    c.add_gate(Gate("mcrz", (0, 1, 2), (-0.0,)))
    signs = [math.copysign(1.0, g.params[0]) for g in lower_multicontrolled(c).gates if g.name == "rz"]
    assert signs == [1.0, -1.0, -1.0, 1.0]  # θ/2, −θ/2 for θ = +0 then for θ = −0
    lines = [ln for ln in to_qasm(c).splitlines() if ln.startswith("rz")]
    assert lines == ["rz(0.0) q[2];", "rz(-0.0) q[2];", "rz(-0.0) q[2];", "rz(0.0) q[2];"]


def test_checks_survive_the_cache():
    c = Circuit(3, gates=[Gate("mcx", (0, 1, 5)), Gate("mcx", (0, 1, 5))])
    with pytest.raises(ValueError, match="out of range"):
        lower_multicontrolled(c)
    with pytest.raises(ValueError, match="out of range"):
        to_qasm(c)
    with pytest.raises(ValueError, match="repeats a qubit"):
        Gate("cx", (0, 1)).relabel({0: 2, 1: 2})
    big = Circuit(2)
    with pytest.raises(ValueError, match="out of range"):
        big.compose(Circuit(2, gates=[Gate("cx", (0, 1))]), qubits=[1, 4])


def test_parameters_declared_from_lowered_gates():
    x = Parameter("x", 4)
    c = Circuit(4, gates=[Gate("mcp", (0, 1, 2, 3), (ParamExpr(x, 2.0),))])  # not via add_gate
    assert "input float[64] x_4;" in to_qasm(c)
    assert lower_multicontrolled(c).parameters == {"x": 5}


def test_multicontrolled_lowering_is_the_same_in_every_process():
    """The mcx templates come from Qiskit synthesis + transpile; the emitted text must not
    depend on the process (Qiskit's level-2 transpile returned one of two circuits)."""
    import subprocess
    import sys

    code = ("from qcompile.circuit.ir import Circuit, Gate\n"
            "from qcompile.backends.qasm import to_qasm\n"
            "c = Circuit(8)\n"
            "for k in range(3, 8):\n"
            "    c.add_gate(Gate('mcx', tuple(range(k + 1))))\n"
            "print(to_qasm(c, version=2))\n")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(3)}
    assert len(outs) == 1
