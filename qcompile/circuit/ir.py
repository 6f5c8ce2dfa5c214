"""The backend-neutral circuit IR: gates from a fixed basis on integer qubits.

Conventions (every emitter and every test relies on them):

* Qubit ``i`` of a :class:`Circuit` is Qiskit's qubit ``i`` and Cirq's ``LineQubit(i)``.
* A *register value* is little-endian in the order the register lists its qubits: the
  register ``(q0, q1, q2)`` holds ``k = b(q0) + 2 b(q1) + 4 b(q2)``.  Qiskit's own
  statevector order is the same rule applied to ``range(num_qubits)``; Cirq's is the
  reverse, and the Cirq emitter/simulation helpers undo that.
* Angles follow Qiskit's gate definitions: ``rz(t) = diag(e^{-it/2}, e^{it/2})``,
  ``p(t) = diag(1, e^{it})``, ``ry(t) = [[cos t/2, -sin t/2], [sin t/2, cos t/2]]``.
* ``mcx``/``mcz``/``mcp``/``mcrx``/``mcry``/``mcrz`` take their qubits as
  ``controls + (target,)``; ``mcz`` and ``mcp`` are symmetric in all their qubits.  The
  multi-controlled rotations keep nested control cheap (one gate however deep the
  nesting); emitters to OpenQASM lower them to ``mcx`` and rotations.
* A gate may be *free*: it need not be controlled when the circuit is.  A circuit's free
  gates must cancel to the identity whenever all its non-free gates are left out (the
  ``U, U†`` calls of a QSVT sequence, PREP and PREP† of an LCU, X conjugations).
  :meth:`Circuit.controlled` copies free gates uncontrolled, which is exact under that
  invariant and is what makes controlled QSVT cost only controlled phase rotations.
* A circuit has a ``global_phase``; it matters once the circuit is controlled, so
  :meth:`Circuit.controlled` turns it into a phase gate on the controls.

What each gate name means (arity, angles, inverse, commutation, cost) is in
:mod:`qcompile.circuit.gates`.

Parameters: an angle is either a float or a :class:`ParamExpr`, ``coeff * x[i] + offset``
for a symbolic :class:`Parameter` ``x[i]`` (input loaders).  Affine expressions are closed
under everything the library does to a gate (inversion, halving for controlled rotations).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Iterable, Mapping, Sequence, Union

import numpy as np

from qcompile.circuit.gates import GATE_SPECS, GATES

_new_object = object.__new__
_gate_name = attrgetter("name")
_set_attr = object.__setattr__  # how the frozen dataclass's own __init__ sets fields


@dataclass(frozen=True, order=True)
class Parameter:
    """A symbolic circuit parameter: element ``index`` of parameter vector ``name``."""

    name: str
    index: int

    def __str__(self) -> str:
        return f"{self.name}[{self.index}]"


@dataclass(frozen=True)
class ParamExpr:
    """An affine angle ``coeff * parameter + offset``."""

    parameter: Parameter
    coeff: float = 1.0
    offset: float = 0.0

    def __mul__(self, k: float) -> "ParamExpr":
        return ParamExpr(self.parameter, self.coeff * k, self.offset * k)

    __rmul__ = __mul__

    def __neg__(self) -> "ParamExpr":
        return self * -1.0

    def __add__(self, c: float) -> "ParamExpr":
        return ParamExpr(self.parameter, self.coeff, self.offset + float(c))

    __radd__ = __add__

    def __sub__(self, c: float) -> "ParamExpr":
        return self + (-float(c))

    def __rsub__(self, c: float) -> "ParamExpr":
        return -self + c

    def bind(self, values: Mapping[str, Sequence[float]]) -> float:
        """The numeric angle for parameter-vector values ``values[name][index]``."""
        return self.coeff * float(values[self.parameter.name][self.parameter.index]) + self.offset

    def __str__(self) -> str:
        s = str(self.parameter)
        if self.coeff != 1.0:
            s = f"{self.coeff!r}*{s}"
        if self.offset:
            s = f"{s} + {self.offset!r}"
        return s


Angle = Union[float, ParamExpr]


def wrap_phase(phase: float) -> float:
    """``phase`` reduced to [−π, π] (``math.remainder`` is exact).  Passes that add up the
    global phases of many replaced pieces keep the running sum reduced, so it keeps the
    absolute precision of a number below π instead of the ulp of a large sum: on
    encoder_prenorm's 1.2M-gate softmax stage at -O2 the unreduced sums left a 2.7e-9
    state error (1.3e-8 on that stage's output, alpha 5e4), reduced 5e-12 (2e-10)."""
    return math.remainder(float(phase), 2 * math.pi)


def register_indices(qubits: Sequence[int]) -> np.ndarray:
    """Full-state index (little-endian over the circuit's qubits) of each value of the
    register ``qubits`` with every other qubit at 0: value ``k`` of ``(q0, q1, …)`` sits
    at ``Σ_i bit_i(k)·2^{q_i}``."""
    vals = np.arange(2 ** len(qubits))
    idx = np.zeros(2 ** len(qubits), dtype=np.int64)
    for k, q in enumerate(qubits):
        idx |= ((vals >> k) & 1) << q
    return idx


def _with_qubits(gate: "Gate", qubits: tuple[int, ...]) -> "Gate":
    """``gate`` on ``qubits`` without re-running ``Gate.__post_init__``: for callers that
    know the result is valid (same name and angles, no repeated qubit).  The frozen
    instance gets its field dict in one step (same keys, same order as ``__init__``)."""
    g = _new_object(Gate)
    _set_attr(g, "name", gate.name)
    _set_attr(g, "qubits", qubits)
    _set_attr(g, "params", gate.params)
    _set_attr(g, "clbits", gate.clbits)
    _set_attr(g, "free", gate.free)
    return g


def _mapped_qubits(name: str, qubits: tuple[int, ...], mapping) -> tuple[int, ...]:
    """``qubits`` moved by ``mapping``, or ValueError when the result repeats a qubit."""
    qs = tuple([mapping[q] for q in qubits])
    if len(qs) > 1 and len(set(qs)) != len(qs):
        raise ValueError(f"gate {name} repeats a qubit: {qs}")
    return qs


def _same_ints(a: tuple, b: tuple) -> bool:
    """True when ``a == b`` element by element and every element is a plain ``int``
    (then a gate on ``a`` may stand for the same gate on ``b``)."""
    return a == b and all(type(q) is int for q in a) and all(type(q) is int for q in b)


def _basis_gate(name: str, qubits: tuple[int, ...], params: tuple) -> "Gate":
    """``Gate(name, qubits, params)`` without ``__post_init__``: for a variadic basis gate
    with the right number of angles on distinct qubits (the caller guarantees it)."""
    g = _new_object(Gate)
    _set_attr(g, "name", name)
    _set_attr(g, "qubits", qubits)
    _set_attr(g, "params", params)
    _set_attr(g, "clbits", ())
    _set_attr(g, "free", False)
    return g


def _neg(a: Angle) -> Angle:
    return -a


def _half(a: Angle) -> Angle:
    return a * 0.5


def _controlled_params(facts, params: tuple) -> tuple:
    """The angles of a gate's multi-controlled counterpart: its own, or the phase of s/t."""
    return params if facts.phase is None else (facts.phase,)


@dataclass(frozen=True)
class Gate:
    """One basis gate on integer qubits (and, for ``measure``, one classical bit)."""

    name: str
    qubits: tuple[int, ...]
    params: tuple[Angle, ...] = ()
    clbits: tuple[int, ...] = ()
    free: bool = False

    def __post_init__(self) -> None:
        spec = GATE_SPECS.get(self.name)
        if spec is None:
            raise ValueError(f"'{self.name}' is not a basis gate of the circuit IR")
        nq, npar = spec
        qs = self.qubits
        n = len(qs)
        if nq is not None and n != nq:
            raise ValueError(f"gate {self.name} acts on {nq} qubits, got {qs}")
        if len(self.params) != npar:
            raise ValueError(f"gate {self.name} takes {npar} angles, got {self.params}")
        if n > 1 and len(set(qs)) != n:
            raise ValueError(f"gate {self.name} repeats a qubit: {qs}")

    @property
    def is_parametric(self) -> bool:
        """True when some angle is symbolic."""
        return any(isinstance(p, ParamExpr) for p in self.params)

    def inverse(self) -> "Gate":
        """The inverse gate (raises for measure/reset)."""
        facts = GATES[self.name]
        rule = facts.inverse
        if rule == "self":
            return self
        if rule == "dagger":
            return Gate(facts.dagger, self.qubits, free=self.free)
        if rule == "negate":
            return Gate(self.name, self.qubits, tuple(_neg(p) for p in self.params), free=self.free)
        raise ValueError(f"{self.name} has no inverse")

    def bind(self, values: Mapping[str, Sequence[float]]) -> "Gate":
        """This gate with every symbolic angle replaced by its value."""
        if not self.is_parametric:
            return self
        params = tuple(p.bind(values) if isinstance(p, ParamExpr) else p for p in self.params)
        return Gate(self.name, self.qubits, params, self.clbits, self.free)

    def relabel(self, mapping: Mapping[int, int] | Sequence[int]) -> "Gate":
        """This gate with qubit ``q`` moved to ``mapping[q]``."""
        # name, arity and angles are unchanged, so only the repeat check can fail: build
        # the (frozen) gate without re-running __post_init__ (hot in compose/lowering)
        return _with_qubits(self, _mapped_qubits(self.name, self.qubits, mapping))

    def as_free(self, free: bool = True) -> "Gate":
        """This gate marked free (or not): see the module docstring."""
        return Gate(self.name, self.qubits, self.params, self.clbits, free)

    def __str__(self) -> str:
        args = ", ".join(str(p) if isinstance(p, ParamExpr) else f"{p:.12g}" for p in self.params)
        head = f"{self.name}({args})" if self.params else self.name
        qs = " ".join(f"q{q}" for q in self.qubits)
        if self.clbits:
            qs += " -> " + " ".join(f"c{c}" for c in self.clbits)
        return f"{'~' if self.free else ''}{head} {qs}"


def controlled_gates(gate: Gate, controls: tuple[int, ...]) -> list[Gate]:
    """Basis gates implementing ``gate`` controlled on all ``controls`` being |1>.

    Rules (each exact, no global phase left over):
    a free gate stays as it is (see the module docstring);
    a gate with a multi-controlled counterpart (``GATES[name].controlled``) becomes it:
    x/cx/ccx/mcx -> mcx; z/cz/mcz -> mcz; p/mcp and s, sdg, t, tdg (their ``phase``) -> mcp;
    rx/ry/rz/mcrx/mcry/mcrz -> mcrx/mcry/mcrz;
    y = S X S†; h = RY(π/4) Z RY(−π/4); swap: CX · C(CX) · CX.
    """
    if set(controls) & set(gate.qubits):
        raise ValueError("control qubit overlaps the controlled gate")
    if gate.free:
        return [gate]
    n, q = gate.name, gate.qubits
    facts = GATES[n]
    if facts.controlled is not None:
        return [Gate(facts.controlled, controls + q, _controlled_params(facts, gate.params))]
    if n == "barrier":
        return [Gate("barrier", controls + q)]
    if not facts.unitary:
        raise ValueError(f"cannot control {n}")
    if n == "y":
        return [Gate("sdg", q, free=True), Gate("mcx", controls + q), Gate("s", q, free=True)]
    if n == "h":
        return [Gate("ry", q, (-math.pi / 4,), free=True), Gate("mcz", controls + q),
                Gate("ry", q, (math.pi / 4,), free=True)]
    if n == "swap":
        a, b = q
        return [Gate("cx", (a, b), free=True), Gate("mcx", controls + (b, a)), Gate("cx", (a, b), free=True)]
    raise ValueError(f"no controlled rule for {n}")  # pragma: no cover


@dataclass
class Circuit:
    """A gate list on ``num_qubits`` qubits with named registers and a global phase.

    ``registers`` maps a name (a tensor leg, ``anc3``, ``flag``...) to its qubits in
    little-endian order.  ``parameters`` maps each symbolic parameter vector name to its
    length.  Builders mutate a circuit in place; passes return new circuits.
    """

    num_qubits: int
    gates: list[Gate] = field(default_factory=list)
    global_phase: float = 0.0
    num_clbits: int = 0
    registers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    parameters: dict[str, int] = field(default_factory=dict)

    # ---- building -------------------------------------------------------------------
    def append(self, name: str, qubits: Iterable[int], params: Iterable[Angle] = (),
               clbits: Iterable[int] = ()) -> "Circuit":
        """Append one basis gate; returns ``self`` for chaining."""
        g = Gate(name, tuple(int(q) for q in qubits), tuple(params), tuple(clbits))
        self.add_gate(g)
        return self

    def add_gate(self, gate: Gate) -> None:
        """Append an already-built :class:`Gate` (qubits are range-checked)."""
        n = self.num_qubits
        for q in gate.qubits:
            if not 0 <= q < n:
                raise ValueError(f"qubit {q} out of range for a {n}-qubit circuit")
        if gate.clbits:
            for c in gate.clbits:
                if not 0 <= c < self.num_clbits:
                    raise ValueError(f"clbit {c} out of range ({self.num_clbits} clbits)")
        if gate.params:
            for p in gate.params:
                if isinstance(p, ParamExpr):
                    size = self.parameters.get(p.parameter.name, 0)
                    self.parameters[p.parameter.name] = max(size, p.parameter.index + 1)
        self.gates.append(gate)

    def add_register(self, name: str, qubits: Sequence[int]) -> tuple[int, ...]:
        """Name a group of qubits (little-endian); returns the tuple."""
        if name in self.registers:
            raise ValueError(f"register {name!r} already exists")
        self.registers[name] = tuple(qubits)
        return self.registers[name]

    def add_unique_register(self, name: str, qubits: Sequence[int]) -> str:
        """Name a group of qubits ``name``, or ``name2``, ``name3``, … when that is taken
        (a construction nested in one of its own kind); returns the name used."""
        used, k = name, 1
        while used in self.registers:
            k += 1
            used = f"{name}{k}"
        self.add_register(used, qubits)
        return used

    def declare_parameters(self, name: str, size: int) -> list[ParamExpr]:
        """Declare a parameter vector ``name`` of length ``size``; returns its elements."""
        self.parameters[name] = max(self.parameters.get(name, 0), size)
        return [ParamExpr(Parameter(name, i)) for i in range(size)]

    def compose(self, other: "Circuit", qubits: Sequence[int] | None = None) -> "Circuit":
        """Append ``other`` with its qubit ``i`` placed on ``qubits[i]`` (identity if None)."""
        mapping = list(range(other.num_qubits)) if qubits is None else list(qubits)
        if len(mapping) != other.num_qubits:
            raise ValueError(f"compose needs {other.num_qubits} qubits, got {len(mapping)}")
        for name, size in other.parameters.items():
            self.parameters[name] = max(self.parameters.get(name, 0), size)
        if other.num_clbits > self.num_clbits:
            self.num_clbits = other.num_clbits
        n = self.num_qubits
        # with every target in range a relabelled gate without clbits passes add_gate's
        # range checks: append it directly, recording symbolic angles as add_gate does
        in_range = all(0 <= q < n for q in mapping)
        append, params = self.gates.append, self.parameters
        # g.relabel(mapping), with the new qubits computed once per distinct qubit tuple;
        # a gate the mapping leaves in place is reused (gates are immutable)
        moved: dict[tuple[int, ...], tuple[int, ...]] = {}
        for g in other.gates:
            qs = g.qubits
            new = moved.get(qs)
            if new is None:
                new = _mapped_qubits(g.name, qs, mapping)
                moved[qs] = new = qs if _same_ints(new, qs) else new
            h = g if new is qs else _with_qubits(g, new)
            if not in_range or h.clbits:
                self.add_gate(h)
                continue
            if h.params:
                for p in h.params:
                    if isinstance(p, ParamExpr):
                        params[p.parameter.name] = max(params.get(p.parameter.name, 0), p.parameter.index + 1)
            append(h)
        self.global_phase = wrap_phase(self.global_phase + other.global_phase)
        return self

    # ---- whole-circuit transforms -----------------------------------------------------
    def copy(self) -> "Circuit":
        """A shallow copy (gates are immutable)."""
        return Circuit(self.num_qubits, list(self.gates), self.global_phase, self.num_clbits,
                       dict(self.registers), dict(self.parameters))

    def inverse(self) -> "Circuit":
        """The adjoint circuit (raises if it measures or resets)."""
        out = self.copy()
        out.gates = [g.inverse() for g in reversed(self.gates)]
        out.global_phase = -self.global_phase
        return out

    def controlled(self, controls: Sequence[int], num_qubits: int | None = None,
                   qubits: Sequence[int] | None = None) -> "Circuit":
        """This circuit controlled on ``controls`` (all |1>), in basis gates.

        The result has ``num_qubits`` qubits (default: ours + len(controls)); our qubit
        ``i`` goes to ``qubits[i]`` (default ``i``).  The global phase becomes an ``mcp``
        (or ``p``) gate on the controls.
        """
        controls = tuple(int(c) for c in controls)
        n = num_qubits if num_qubits is not None else self.num_qubits + len(controls)
        mapping = list(range(self.num_qubits)) if qubits is None else list(qubits)
        out = Circuit(n, num_clbits=self.num_clbits, parameters=dict(self.parameters))
        if len(set(controls)) != len(controls):  # every controlled gate would repeat a qubit
            for g in self.gates:
                for cg in controlled_gates(g.relabel(mapping), controls):
                    out.add_gate(cg)
        else:
            self._controlled_into(out, controls, mapping)
        phase = self.global_phase % (2 * math.pi)
        if abs(phase) > 1e-15 and abs(phase - 2 * math.pi) > 1e-15:
            if len(controls) == 1:
                out.append("p", controls, (phase,))
            else:
                out.append("mcp", controls, (phase,))
        return out

    def _controlled_into(self, out: "Circuit", controls: tuple[int, ...], mapping) -> None:
        """``out.add_gate(cg)`` for every ``cg`` in ``controlled_gates(g.relabel(mapping),
        controls)``, ``g`` in our gates (``controls`` without repeats), with the work per
        distinct qubit tuple done once and the common rules building their gate directly."""
        cset = set(controls)
        n, gates, params = out.num_qubits, out.gates, out.parameters
        moved: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[int, ...] | None]] = {}
        for g in self.gates:
            qs = g.qubits
            entry = moved.get(qs)
            if entry is None:
                new = _mapped_qubits(g.name, qs, mapping)
                new = qs if _same_ints(new, qs) else new
                ok = not (cset & set(new)) and all(0 <= q < n for q in new) and all(0 <= c < n for c in controls)
                # (mapped qubits, controls + mapped qubits if both are in range and disjoint)
                moved[qs] = entry = (new, controls + new if ok else None)
            new, both = entry
            name = g.name
            if both is None or g.clbits:
                h = g if new is qs else _with_qubits(g, new)
                for cg in controlled_gates(h, controls):
                    out.add_gate(cg)
                continue
            if g.free:  # controlled_gates keeps a free gate as it is
                cg = g if new is qs else _with_qubits(g, new)
            elif (facts := GATES[name]).controlled is not None:
                cg = _basis_gate(facts.controlled, both, _controlled_params(facts, g.params))
            else:
                for cg in controlled_gates(g if new is qs else _with_qubits(g, new), controls):
                    out.add_gate(cg)
                continue
            # out.add_gate(cg): qubits are in range (checked above) and there are no clbits
            if cg.params:
                for p in cg.params:
                    if isinstance(p, ParamExpr):
                        params[p.parameter.name] = max(params.get(p.parameter.name, 0), p.parameter.index + 1)
            gates.append(cg)

    def relabel(self, mapping: Mapping[int, int] | Sequence[int], num_qubits: int | None = None) -> "Circuit":
        """A copy with qubit ``q`` moved to ``mapping[q]`` (registers follow)."""
        n = num_qubits if num_qubits is not None else self.num_qubits
        out = Circuit(n, [g.relabel(mapping) for g in self.gates], self.global_phase,
                      self.num_clbits, {k: tuple(mapping[q] for q in v) for k, v in self.registers.items()},
                      dict(self.parameters))
        return out

    def bind(self, values: Mapping[str, Sequence[float]]) -> "Circuit":
        """A copy with every symbolic angle bound; ``values[name]`` is a float vector."""
        for name, size in self.parameters.items():
            if name not in values:
                raise KeyError(f"no values for parameter vector {name!r}")
            if len(values[name]) != size:
                raise ValueError(f"parameter vector {name!r} has {size} entries, got {len(values[name])}")
        out = self.copy()
        out.gates = [g.bind(values) for g in self.gates]
        out.parameters = {}
        return out

    # ---- inspection -------------------------------------------------------------------
    @property
    def is_parametric(self) -> bool:
        """True when some gate has a symbolic angle."""
        return any(g.is_parametric for g in self.gates)

    def count_ops(self) -> dict[str, int]:
        """Gate counts by name (barriers excluded), sorted by name."""
        counts = Counter(map(_gate_name, self.gates))
        counts.pop("barrier", None)
        return dict(sorted(counts.items()))

    def depth(self) -> int:
        """Circuit depth counting every non-barrier gate as one layer on its qubits."""
        level = [0] * self.num_qubits
        for g in self.gates:
            if g.name == "barrier":
                top = max((level[q] for q in g.qubits), default=0)
                for q in g.qubits:
                    level[q] = top
                continue
            qs = g.qubits
            if len(qs) == 1:
                level[qs[0]] += 1
                continue
            top = max([level[q] for q in qs]) + 1
            for q in qs:
                level[q] = top
        return max(level, default=0)

    def __len__(self) -> int:
        return len(self.gates)

    def __str__(self) -> str:
        lines = [f"circuit {self.num_qubits} qubits, {len(self.gates)} gates, global phase {self.global_phase:.12g}"]
        for name, qs in self.registers.items():
            lines.append(f"  register {name} = {list(qs)}")
        lines.extend("  " + str(g) for g in self.gates)
        return "\n".join(lines)
