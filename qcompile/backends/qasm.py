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

Hierarchical output.  A QSVT calls the same block encoding ``d`` times (``U`` and ``U†``
alternately), an LCU its PREP and PREP† around every select: these calls are maximal runs
of *free* gates (:mod:`qcompile.circuit.ir`), and their text repeats verbatim.  Every run
whose lowered text occurs at least twice (and is long enough to be worth a definition) is
written once as ``gate qc_blkK(p0, …) a0, a1, … { … }`` — its qubits become the gate's
qubit arguments, the OpenQASM 3 inputs it reads its angle parameters (a gate body cannot
read a global input) — and each occurrence becomes one call.  A call means exactly its
body with the arguments put back, so the file denotes the same circuit, and the global
phase is accounted as before; files shrink by about the QSVT degree.  Likewise a
multi-controlled gate (``mcx``, ``mcz``, or a rotation ``mcrx``/``mcry``/``mcrz``/``mcp`` of
any numeric angle) on the same qubits is lowered once into a
``gate qc_rotK(qc_t_0) …`` / ``gate qc_mcK …`` definition and called (:class:`_Rotations`).
Runs and rotations that read an OpenQASM 3 ``input`` stay inline: Qiskit 2.x's
``qiskit.qasm3.loads`` simulates gate definitions called with input arguments to a wrong
state (the text is right: expanded by substitution it equals the gate-by-gate file), and a
file must load back into Qiskit as written.
Hierarchical output is what ``qcompile MODEL -o OUT`` writes; :func:`to_qasm` writes it
with ``hierarchical=True`` or inside :func:`hierarchical_output`, else gate by gate.
"""

from __future__ import annotations

import contextlib
import contextvars
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


_HIERARCHICAL = contextvars.ContextVar("qcompile_qasm_hierarchical", default=False)


@contextlib.contextmanager
def hierarchical_output(on: bool = True):
    """Within this block :func:`to_qasm` (and so ``Program.qasm``) writes hierarchical
    OpenQASM unless told otherwise (module docstring)."""
    token = _HIERARCHICAL.set(bool(on))
    try:
        yield
    finally:
        _HIERARCHICAL.reset(token)


def to_qasm(circuit: Circuit, version: int = 3, header: Sequence[str] = (), hierarchical: bool | None = None) -> str:
    """OpenQASM ``version`` (2 or 3) text for ``circuit`` (see the module doc); with
    ``hierarchical`` (default: inside :func:`hierarchical_output` only) repeated blocks and
    multi-controlled gates are written once as ``gate`` definitions.

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
    if hierarchical is None:
        hierarchical = _HIERARCHICAL.get()
    rotations = _Rotations(version) if hierarchical else None
    body, phase, parameters, free = _lowered_body(circuit, version, rotations)
    definitions: list[str] = []
    if hierarchical:
        inputs = {input_name(name, i) for name, size in parameters.items() for i in range(size)}
        body, definitions = _factor_blocks(body, free, inputs, version)
        definitions = rotations.definitions + definitions
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
    lines += definitions
    if version == 3 and phase % (2 * math.pi):
        lines.append(f"gphase({_num(phase)});")
    if version == 2 and phase % (2 * math.pi):
        # u1(θ)·X·u1(θ)·X = e^{iθ} I on q[0]: the global phase, exactly, in qelib1 gates
        lines += [f"u1({_num(phase)}) q[0];", "x q[0];", f"u1({_num(phase)}) q[0];", "x q[0];"]
    lines += body
    return "\n".join(lines) + "\n"


def _lowered_body(circuit: Circuit, version: int, rotations: "_Rotations | None" = None
                  ) -> tuple[list[str], float, dict[str, int], list[bool]]:
    """The gate text of ``lower_multicontrolled(circuit, keep_cp=True)`` (one string per
    original gate, several lines each; gates that write nothing are left out), its global
    phase, its parameter sizes and, per string, whether its gate is free.

    Distinct gates are lowered once (through a scratch circuit, which range-checks them and
    records their parameters as :func:`lower_multicontrolled` does); the template phases
    are added one by one in circuit order, so the float sum is the same as there.  The
    ``mcx`` templates inside different gates are shared objects (``memo``), so each of
    their lines is formatted once (``lines``, keyed by ``id`` and holding the gate, so a
    recycled id can never hit).  With ``rotations``, a multi-controlled rotation whose
    lowering is one template of its angle is written as a call of that template's ``gate``
    definition (:class:`_Rotations`).
    """
    scratch = Circuit(circuit.num_qubits, [], 0.0, circuit.num_clbits, {}, dict(circuit.parameters))
    phase = circuit.global_phase
    cache: dict = {}
    memo: dict = {}
    lines: dict[int, tuple[Gate, str]] = {}
    body: list[str] = []
    free: list[bool] = []
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
            call = rotations.call(g, gates, phases) if rotations is not None else None
            hit = (call or "\n".join(filter(None, [_line(lg, version, lines) for lg in gates])), phases)
            if key is not None:
                cache[key] = hit
        text, phases = hit
        if text:
            append(text)
            free.append(bool(g.free) and g.name not in ("measure", "reset", "barrier"))
        for ph in phases:
            phase = wrap_phase(phase + ph)
    return body, float(phase), scratch.parameters, free


class _Rotations:
    """``gate`` definitions of multi-controlled rotations as templates of their angle.

    The QSVT's projector-controlled phases are one ``mcrz`` (or ``mcrx``/``mcry``/``mcp``)
    on the same qubits with a different angle each: lowered, each is hundreds of lines that
    differ only in angles proportional to it.  The gate is lowered once with a symbolic
    angle ``qc_t_0`` (the lowering is closed under affine angles); an occurrence is written
    as ``qc_rotK(angle) q[...];`` only when its own lowering is that template at its angle,
    gate for gate (same names and qubits, angles — numbers —
    equal to 1e-15 relative), else as before.  An angle that reads an input stays
    inline (module docstring).  Global phases stay where they were: the caller adds
    each occurrence's own, so the definition holds only gates."""

    def __init__(self, version: int):
        self.version = version
        self.templates: dict = {}      # (name, qubits) -> (gate name, symbolic gates) or None
        self.definitions: list[str] = []

    def call(self, g: Gate, gates, phases) -> str | None:
        """The call text for gate ``g`` (numerically lowered to ``gates``), or None."""
        from qcompile.circuit.ir import Parameter

        if len(g.qubits) < 3 or not ((g.name in ("mcrx", "mcry", "mcrz", "mcp") and len(g.params) == 1)
                                     or (g.name in ("mcx", "mcz") and not g.params)):
            return None
        if any(isinstance(a, ParamExpr) for a in g.params):
            return None          # an input's angle stays inline (see the module docstring)
        key = (g.name, g.qubits)
        if key not in self.templates:
            angle = (ParamExpr(Parameter("qc_t", 0)),) if g.params else ()
            sym, _ = lower_gate(Gate(g.name, g.qubits, angle), keep_cp=True, memo={})
            text = "\n".join(filter(None, ["\n".join(_gate_lines(lg, self.version)) for lg in sym]))
            if len(text) < MIN_BLOCK_CHARS:
                self.templates[key] = None
            else:
                name = f"qc_rot{len(self.definitions)}"
                qubits = sorted({int(q) for q in _QUBIT.findall(text)})
                qarg = {q: f"a{k}" for k, q in enumerate(qubits)}
                sep = ", " if self.version == 3 else ","
                inner = _QUBIT.sub(lambda m: qarg[int(m.group(1))], text)
                self.definitions.append(f"gate {name}{'(qc_t_0)' if angle else ''} {sep.join(qarg.values())} {{\n  "
                                        + inner.replace("\n", "\n  ") + "\n}")
                self.templates[key] = (name, sym, sep.join(f"q[{q}]" for q in qubits))
        template = self.templates[key]
        if template is None or not _same_lowering(gates, template[1], g.params[0] if g.params else 0.0):
            return None
        name, _, qubits = template
        return f"{name}({_angle(g.params[0])}) {qubits};" if g.params else f"{name} {qubits};"


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-15 * max(1.0, abs(y))


def _same_lowering(actual, template, angle) -> bool:
    """True when ``actual`` (a gate's lowering) is ``template`` (its lowering with the
    symbolic angle ``qc_t``) with ``angle`` (a number or an affine input expression) put
    in, gate for gate."""
    if len(actual) != len(template):
        return False
    for a, b in zip(actual, template):
        if a.name != b.name or a.qubits != b.qubits or len(a.params) != len(b.params):
            return False
        for x, y in zip(a.params, b.params):
            if not isinstance(y, ParamExpr):              # a constant of the template
                if isinstance(x, ParamExpr) or not _close(float(x), float(y)):
                    return False
            elif isinstance(angle, ParamExpr):            # k·t + m at t = c·p + o
                if not (isinstance(x, ParamExpr) and x.parameter == angle.parameter
                        and _close(x.coeff, y.coeff * angle.coeff)
                        and _close(x.offset, y.coeff * angle.offset + y.offset)):
                    return False
            elif isinstance(x, ParamExpr) or not _close(float(x), y.coeff * float(angle) + y.offset):
                return False
    return True


#: a run of free gates becomes a ``gate`` definition when its text is at least this long
#: and occurs at least twice
MIN_BLOCK_CHARS = 200
_QUBIT = re.compile(r"q\[(\d+)\]")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _factor_blocks(body: list[str], free: list[bool], inputs: set[str], version: int
                   ) -> tuple[list[str], list[str]]:
    """``body`` with every repeated maximal run of free gates replaced by a call of one
    ``gate`` definition (module docstring), and the definitions."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, f in enumerate(free + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            runs.append((start, i))
            start = None
    texts = {}
    counts: dict[str, int] = {}
    for a, b in runs:
        text = "\n".join(body[a:b])
        texts[(a, b)] = text
        if len(text) >= MIN_BLOCK_CHARS and not (inputs and any(w in inputs for w in _WORD.findall(text))):
            counts[text] = counts.get(text, 0) + 1
    names: dict[str, tuple[str, str]] = {}      # run text -> (gate name, call arguments)
    definitions: list[str] = []
    out: list[str] = []
    pos = 0
    for a, b in runs:
        text = texts[(a, b)]
        if counts.get(text, 0) < 2:
            continue
        if text not in names:
            names[text] = _define(text, f"qc_blk{len(names)}", inputs, version, definitions)
        out += body[pos:a]
        name, args = names[text]
        out.append(f"{name}{args};")
        pos = b
    out += body[pos:]
    return out, definitions


def _define(text: str, name: str, inputs: set[str], version: int, definitions: list[str]) -> tuple[str, str]:
    """Append the definition of gate ``name`` with body ``text``; return its name and the
    arguments of a call that reproduces ``text``."""
    qubits = sorted({int(q) for q in _QUBIT.findall(text)})
    qarg = {q: f"a{k}" for k, q in enumerate(qubits)}
    params = sorted({w for w in _WORD.findall(text) if w in inputs}) if inputs else []
    parg = {p: f"p{k}" for k, p in enumerate(params)}
    inner = _QUBIT.sub(lambda m: qarg[int(m.group(1))], text)
    if parg:
        inner = _WORD.sub(lambda m: parg.get(m.group(0), m.group(0)), inner)
    sep = ", " if version == 3 else ","
    head = f"gate {name}" + (f"({', '.join(parg.values())})" if parg else "") + " " + sep.join(qarg.values())
    definitions.append(head + " {\n  " + inner.replace("\n", "\n  ") + "\n}")
    call_q = sep.join(f"q[{q}]" for q in qubits)
    return name, (f"({', '.join(params)})" if params else "") + " " + call_q


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
