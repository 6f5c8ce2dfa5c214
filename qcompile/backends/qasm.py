"""Emit the circuit IR as OpenQASM 2 or 3 text using only standard-library gates.

Both versions first apply :func:`qcompile.circuit.decompose.lower_multicontrolled`
(``keep_cp=True``), so multi-controlled gates become ``ccx``/``cx``/``cz``/1-qubit gates
and 2-qubit controlled phases; no ``opaque`` or ``unitary`` gate is ever written.

* Registers: one ``q`` of ``num_qubits`` qubits (qubit ``i`` is ``q[i]``) and, when the
  circuit has classical bits, one ``c`` (bit ``j`` is ``c[j]``).
* OpenQASM 2 (``include "qelib1.inc"``, the original library that Qiskit's and Cirq's
  loaders both accept): ``p`` -> ``u1``, controlled phase -> ``cu1``, ``swap`` -> three
  ``cx`` (``swap`` is not in the original ``qelib1.inc``).  Barriers are dropped (Cirq's
  importer rejects them).  The circuit must be bound (else :class:`BindError`).  OpenQASM
  2 has no global phase statement, so a phase θ is written exactly as
  ``u1(θ) q[0]; x q[0]; u1(θ) q[0]; x q[0];`` (= e^{iθ} I): the sign of every amplitude
  survives the round trip, which the contract (α × amplitudes = y) needs.
* OpenQASM 3 (``include "stdgates.inc"``): the symbolic element ``x[17]`` becomes the
  program input ``input float[64] x_17;`` (every element of every parameter vector is
  declared; same naming as the Cirq emitter), angles are affine expressions of inputs;
  the global phase is ``gphase(θ);``; ``c[j] = measure q[i];``, ``reset``, ``barrier``.
  ``qiskit.qasm3.loads`` turns the inputs into Qiskit ``Parameter`` objects named
  ``x_17``.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

from qcompile.circuit.decompose import lower_multicontrolled
from qcompile.circuit.ir import Circuit, ParamExpr
from qcompile.errors import BindError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _num(x: float) -> str:
    """A float literal that round-trips exactly (always with a decimal point)."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"angle {x} is not finite")
    r = repr(x)
    if "e" in r and "." not in r:
        mant, exp = r.split("e")
        r = f"{mant}.0e{exp}"
    return r


def input_name(name: str, index: int) -> str:
    """The OpenQASM 3 input (and Cirq symbol) name of parameter element ``name[index]``."""
    if not _IDENT.match(name):
        raise ValueError(f"parameter vector name {name!r} is not an OpenQASM identifier")
    return f"{name}_{index}"


def _angle(a) -> str:
    if isinstance(a, ParamExpr):
        s = input_name(a.parameter.name, a.parameter.index)
        if a.coeff != 1.0:
            s = f"{_num(a.coeff)}*{s}"
        if a.offset:
            s = f"{s} + {_num(a.offset)}" if a.offset > 0 else f"{s} - {_num(-a.offset)}"
        return s
    return _num(a)


def to_qasm(circuit: Circuit, version: int = 3, header: Sequence[str] = ()) -> str:
    """OpenQASM ``version`` (2 or 3) text for ``circuit`` (see the module doc).

    ``header`` lines are written as ``//`` comments after the version line (a line with
    newlines becomes several comments).
    Raises :class:`BindError` for a parametric circuit with ``version=2``.
    """
    if version not in (2, 3):
        raise ValueError(f"OpenQASM version must be 2 or 3, got {version!r}")
    if version == 2 and circuit.is_parametric:
        names = ", ".join(sorted(circuit.parameters))
        raise BindError(f"OpenQASM 2 cannot express symbolic angles; bind the circuit's "
                        f"parameters ({names}) first or emit OpenQASM 3")
    low = lower_multicontrolled(circuit, keep_cp=True)
    lines = ["OPENQASM 2.0;" if version == 2 else "OPENQASM 3.0;"]
    lines += [f"// {part}".rstrip() for h in header for part in str(h).splitlines() or [""]]
    lines.append('include "qelib1.inc";' if version == 2 else 'include "stdgates.inc";')
    phase = float(low.global_phase)
    if version == 3:
        for name, size in sorted(low.parameters.items()):
            lines += [f"input float[64] {input_name(name, i)};" for i in range(size)]
    n, m = low.num_qubits, low.num_clbits
    if version == 2:
        lines.append(f"qreg q[{n}];")
        if m:
            lines.append(f"creg c[{m}];")
    else:
        lines.append(f"qubit[{n}] q;")
        if m:
            lines.append(f"bit[{m}] c;")
    if version == 3 and phase % (2 * math.pi):
        lines.append(f"gphase({_num(phase)});")
    if version == 2 and phase % (2 * math.pi):
        # u1(θ)·X·u1(θ)·X = e^{iθ} I on q[0]: the global phase, exactly, in qelib1 gates
        lines += [f"u1({_num(phase)}) q[0];", "x q[0];", f"u1({_num(phase)}) q[0];", "x q[0];"]
    for g in low.gates:
        lines += _gate_lines(g, version)
    return "\n".join(lines) + "\n"


def _gate_lines(g, version: int) -> list[str]:
    qs = [f"q[{i}]" for i in g.qubits]
    args = ", ".join(qs) if version == 3 else ",".join(qs)
    n = g.name
    if n == "measure":
        c = f"c[{g.clbits[0]}]"
        return [f"measure {qs[0]} -> {c};" if version == 2 else f"{c} = measure {qs[0]};"]
    if n == "reset":
        return [f"reset {qs[0]};"]
    if n == "barrier":
        return [f"barrier {args};"] if version == 3 and qs else []
    if n == "swap" and version == 2:
        a, b = qs
        return [f"cx {a},{b};", f"cx {b},{a};", f"cx {a},{b};"]
    if n == "mcp":  # exactly 2 qubits after lowering with keep_cp
        name = "cu1" if version == 2 else "cp"
        return [f"{name}({_angle(g.params[0])}) {args};"]
    if n == "p" and version == 2:
        n = "u1"
    if g.params:
        return [f"{n}({', '.join(_angle(p) for p in g.params)}) {args};"]
    return [f"{n} {args};"]
