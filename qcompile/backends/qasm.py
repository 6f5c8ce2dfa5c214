"""Emit the circuit IR as OpenQASM 2 or 3 text using only standard-library gates (the
emit-only backends ``qasm2`` and ``qasm3``).

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
  ``x_17``.  The inputs are *loader angles* — rotation angles of the state-preparation
  trees that load the model input (:mod:`qcompile.quantum.state_preparation`) — not the
  input's values; the file says so in a comment (:data:`INPUTS_COMMENT`) and
  :func:`qcompile.bind_parameters` (``qcompile bind``) computes them.  Computing them in
  the file, as OpenQASM 3 classical code over raw ``input float`` values, needs ``sqrt``
  and ``arctan``/``arccos``, which Qiskit's importers do not load (``qiskit.qasm3.loads``:
  "'FunctionCall' cannot be resolved into a Qiskit value"; ``loads_experimental`` panics on
  call expressions; neither accepts ``float`` declarations), so qcompile does not emit it.
"""

from __future__ import annotations

import math
import re
from typing import ClassVar, Sequence

from qcompile.backends.registry import Backend, register_backend
from qcompile.circuit.decompose import gate_key, lower_gate
from qcompile.circuit.ir import Circuit, Gate, ParamExpr, wrap_phase
from qcompile.errors import BindError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: the comment an OpenQASM 3 file with inputs carries above its input declarations
INPUTS_COMMENT = ("inputs NAME_i are loader angles (radians), computed from the model input and not its values: "
                  "`qcompile bind MODEL --input x.npy --json params.json` (same compile options) or "
                  "qcompile.bind_parameters(program, x) gives them")


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

    The text equals rendering ``lower_multicontrolled(circuit, keep_cp=True)`` gate by
    gate; each distinct gate of ``circuit`` (:func:`~qcompile.circuit.decompose.gate_key`)
    is lowered and rendered once, its repeats reuse that text.
    """
    if version not in (2, 3):
        raise ValueError(f"OpenQASM version must be 2 or 3, got {version!r}")
    if version == 2 and circuit.is_parametric:
        names = ", ".join(sorted(circuit.parameters))
        raise BindError(f"OpenQASM 2 cannot express symbolic angles; bind the circuit's "
                        f"parameters ({names}) first or emit OpenQASM 3")
    body, phase, parameters = _lowered_body(circuit, version)
    lines = ["OPENQASM 2.0;" if version == 2 else "OPENQASM 3.0;"]
    lines += [f"// {part}".rstrip() for h in header for part in str(h).splitlines() or [""]]
    lines.append('include "qelib1.inc";' if version == 2 else 'include "stdgates.inc";')
    if version == 3:
        if parameters:
            lines.append(f"// {INPUTS_COMMENT}")
        for name, size in sorted(parameters.items()):
            lines += [f"input float[64] {input_name(name, i)};" for i in range(size)]
    n, m = circuit.num_qubits, circuit.num_clbits
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
    lines += body
    return "\n".join(lines) + "\n"


def _lowered_body(circuit: Circuit, version: int) -> tuple[list[str], float, dict[str, int]]:
    """The gate text of ``lower_multicontrolled(circuit, keep_cp=True)`` (one string per
    original gate, several lines each; gates that write nothing are left out), its global
    phase and its parameter sizes.

    Distinct gates are lowered once (through a scratch circuit, which range-checks them and
    records their parameters as :func:`lower_multicontrolled` does); the template phases
    are added one by one in circuit order, so the float sum is the same as there.  The
    ``mcx`` templates inside different gates are shared objects (``memo``), so each of
    their lines is formatted once (``lines``, keyed by ``id`` and holding the gate, so a
    recycled id can never hit).
    """
    scratch = Circuit(circuit.num_qubits, [], 0.0, circuit.num_clbits, {}, dict(circuit.parameters))
    phase = circuit.global_phase
    cache: dict = {}
    memo: dict = {}
    lines: dict[int, tuple[Gate, str]] = {}
    body: list[str] = []
    append = body.append
    for g in circuit.gates:
        key = gate_key(g)
        try:
            hit = cache.get(key)
        except TypeError:  # an unhashable angle: render it without the cache
            key, hit = None, None
        if hit is None:
            gates, phases = lower_gate(g, keep_cp=True, memo=memo)
            for lg in gates:
                scratch.add_gate(lg)
            scratch.gates.clear()
            hit = ("\n".join(filter(None, [_line(lg, version, lines) for lg in gates])), phases)
            if key is not None:
                cache[key] = hit
        text, phases = hit
        if text:
            append(text)
        for ph in phases:
            phase = wrap_phase(phase + ph)
    return body, float(phase), scratch.parameters


def _line(g: Gate, version: int, lines: dict[int, tuple[Gate, str]]) -> str:
    """The text of one lowered gate (lines joined, "" for none), looked up in ``lines``."""
    hit = lines.get(id(g))
    if hit is not None and hit[0] is g:
        return hit[1]
    text = "\n".join(_gate_lines(g, version))
    lines[id(g)] = (g, text)
    return text


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


class _OpenQasmBackend(Backend):
    """OpenQASM text of one ``version``; emits, does not simulate."""

    version: ClassVar[int] = 3

    def emit(self, circuit: Circuit) -> str:
        """:func:`to_qasm` of this backend's ``version``."""
        return to_qasm(circuit, version=self.version)


@register_backend
class Qasm2Backend(_OpenQasmBackend):
    """OpenQASM 2 text (bound circuits only)."""

    name = "qasm2"
    description = "OpenQASM 2 text (qelib1.inc gates, bound circuits only); emit only"
    version = 2


@register_backend
class Qasm3Backend(_OpenQasmBackend):
    """OpenQASM 3 text with ``input`` parameters."""

    name = "qasm3"
    description = "OpenQASM 3 text (stdgates.inc gates, symbolic angles as inputs); emit only"
    version = 3
