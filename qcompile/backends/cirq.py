"""Emit the circuit IR as a ``cirq.Circuit`` (1:1, gate by gate) and simulate it with Cirq.

Conventions:

* Qubit ``i`` is ``cirq.LineQubit(i)``; classical bit ``j`` is the measurement key ``c{j}``.
* The symbolic angle element ``x[17]`` becomes ``sympy.Symbol("x_17")`` — the vector name,
  an underscore, the index (:func:`symbol_name`).  :func:`resolver` turns
  ``{name: vector}`` into the matching ``cirq.ParamResolver``.
* Every gate matches Qiskit's matrix exactly, global phase included:
  ``cirq.rx/ry/rz`` are ``exp(-iθP/2)`` like Qiskit's; ``p(λ)`` is
  ``cirq.ZPowGate(exponent=λ/π)`` = ``diag(1, e^{iλ})``; ``mcx``/``mcz``/``mcp`` are
  ``cirq.X/Z/ZPowGate(...).controlled(k)`` on ``controls + (target,)``.  The circuit's
  global phase is a ``cirq.global_phase_operation``.  Barriers are skipped.
* Endianness: Cirq orders a state vector big-endian in the ``qubit_order`` it is given
  (the first qubit is the most significant bit).  Our order is little-endian (qubit ``i``
  has weight ``2**i``), so the helpers here pass ``qubit_order = [LineQubit(n-1), ...,
  LineQubit(0)]``; the result then needs no further permutation.  Equivalently, a
  big-endian Cirq vector ``v`` on ``LineQubit(0..n-1)`` maps to ours by
  ``v.reshape([2]*n).transpose(reversed(range(n))).reshape(-1)``.
* Simulation (:func:`statevector_cirq`) uses the same operations except that a
  two-control X is a flat ``ControlledOperation`` (faster to apply than ``cirq.TOFFOLI``,
  same arithmetic), applies them one by one with ``cirq.act_on``, and keeps them per IR
  circuit so that a parametric circuit is emitted once and only resolved per input.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from qcompile.circuit.ir import Circuit, ParamExpr
from qcompile.circuit.emission import EmissionCache, exact_memo_key

if TYPE_CHECKING:  # pragma: no cover
    import cirq


def symbol_name(name: str, index: int) -> str:
    """The sympy symbol name used for parameter element ``name[index]``: ``f"{name}_{index}"``."""
    return f"{name}_{index}"


def _angle(a):
    """A float, or the sympy expression ``coeff * Symbol(name_index) + offset``."""
    if isinstance(a, ParamExpr):
        import sympy

        sym = sympy.Symbol(symbol_name(a.parameter.name, a.parameter.index))
        expr = sym * a.coeff if a.coeff != 1.0 else sym
        return expr + a.offset if a.offset else expr
    return float(a)


def _exponent(a):
    """``a / π`` as a Cirq exponent (float or sympy expression)."""
    if isinstance(a, ParamExpr):
        import sympy

        return _angle(a) / sympy.pi
    return float(a) / math.pi


def line_qubits(n: int) -> list["cirq.LineQubit"]:
    """``[LineQubit(0), ..., LineQubit(n-1)]``."""
    import cirq

    return [cirq.LineQubit(i) for i in range(n)]


def little_endian_order(n: int) -> list["cirq.LineQubit"]:
    """The ``qubit_order`` that makes Cirq's vectors/matrices little-endian (reversed line)."""
    return list(reversed(line_qubits(n)))


def _fixed_gates() -> dict:
    """The Cirq gate of each parameterless fixed-width IR gate."""
    import cirq

    return {"h": cirq.H, "x": cirq.X, "y": cirq.Y, "z": cirq.Z, "s": cirq.S, "sdg": cirq.S**-1,
            "t": cirq.T, "tdg": cirq.T**-1, "cx": cirq.CNOT, "cz": cirq.CZ, "swap": cirq.SWAP,
            "ccx": cirq.CCX}


def _operations(circuit: Circuit, flat: bool, parametric: list[int] | None = None
                ) -> list["cirq.Operation"]:
    """The Cirq operations of ``circuit`` in gate order (barriers skipped, the global phase
    operation last), see the module docstring.  If ``parametric`` is a list, the positions
    (in the returned list) of the operations with a symbolic angle are appended to it.

    Cirq operations are immutable, so each distinct gate is built once and the same
    operation object is reused wherever the gate repeats (a QSVT circuit of 500k gates
    has under two thousand distinct ones; building and validating every ``ControlledGate``
    and ``ControlledOperation`` afresh dominated emission).  The memo key is
    ``(name, qubits, params, clbits)``, stored only when
    :func:`qcompile.circuit.emission.exact_memo_key` says equal keys emit the same gate.

    ``flat=True`` (simulation only) emits a two-control X (``mcx`` on three qubits,
    ``ccx``) as ``ControlledOperation(controls, X(target))`` instead of ``cirq.TOFFOLI``:
    the same slice swap on the state, but Cirq's ``CCXPowGate`` builds two nested
    ``ControlledGate`` objects every time it is applied, which made it ~3x slower than the
    flat form.  Every other gate is the same as with ``flat=False``.
    """
    import cirq

    qs = line_qubits(circuit.num_qubits)
    fixed = _fixed_gates()
    controlled: dict[tuple[str, int], "cirq.Gate"] = {}   # parameterless (name, controls)
    memo: dict = {}   # key -> (operation, has a symbolic angle)
    ops = []
    append = ops.append
    for g in circuit.gates:
        n = g.name
        if n == "barrier":
            continue
        key = (n, g.qubits, g.params, g.clbits)
        try:
            hit = memo.get(key)
        except TypeError:  # an unhashable angle: build without the memo
            key, hit = None, None
        if hit is None:
            hit = (_operation(g, qs, flat, fixed, controlled), g.is_parametric)
            if key is not None and exact_memo_key(g.params):
                memo[key] = hit
        if hit[1] and parametric is not None:
            parametric.append(len(ops))
        append(hit[0])
    phase = float(circuit.global_phase)
    if phase % (2 * math.pi):
        append(cirq.global_phase_operation(np.exp(1j * phase)))
    return ops


def _operation(g, qs, flat: bool, fixed: dict, controlled: dict) -> "cirq.Operation":
    """The Cirq operation of one IR gate (``qs``: the line qubits; ``controlled`` caches
    the parameterless ``X/Z.controlled(k)`` gates by ``(name, k)``)."""
    import cirq

    n = g.name
    q = [qs[i] for i in g.qubits]
    if n == "measure":
        return cirq.measure(q[0], key=f"c{g.clbits[0]}")
    if n == "reset":
        return cirq.reset(q[0])
    if n in ("rx", "ry", "rz"):
        return getattr(cirq, n)(_angle(g.params[0])).on(q[0])
    if n == "p":
        return cirq.ZPowGate(exponent=_exponent(g.params[0])).on(q[0])
    if n in ("mcrx", "mcry", "mcrz"):
        base = getattr(cirq, n[2:])(_angle(g.params[0]))
        k = len(q) - 1
        return (base.controlled(k) if k else base).on(*q)
    if n in ("mcx", "mcz", "mcp"):
        k = len(q) - 1
        if n == "mcp":
            base = cirq.ZPowGate(exponent=_exponent(g.params[0]))
            return (base.controlled(k) if k else base).on(*q)
        base = cirq.X if n == "mcx" else cirq.Z
        if not k:
            return base.on(q[0])
        if flat and k == 2 and n == "mcx":
            return cirq.ControlledOperation(q[:2], base.on(q[2]))
        gate = controlled.get((n, k))
        if gate is None:
            gate = controlled[(n, k)] = base.controlled(k)
        return gate.on(*q)
    if flat and n == "ccx":
        return cirq.ControlledOperation(q[:2], cirq.X.on(q[2]))
    return fixed[n].on(*q)


def to_cirq(circuit: Circuit) -> "cirq.Circuit":
    """The Cirq circuit with the same gates, symbolic angles and global phase (see module doc).

    Each call returns a new ``cirq.Circuit`` (Cirq circuits are mutable); repeated gates
    share one immutable operation object (see :func:`_operations`)."""
    import cirq

    return cirq.Circuit(_operations(circuit, flat=False))


def resolver(values: Mapping[str, Sequence[float]]) -> "cirq.ParamResolver":
    """A ``cirq.ParamResolver`` binding ``name_index`` to ``values[name][index]``."""
    import cirq

    return cirq.ParamResolver({symbol_name(name, i): float(v)
                               for name, vec in values.items() for i, v in enumerate(vec)})


def unitary_cirq(circuit: Circuit) -> np.ndarray:
    """The circuit's unitary computed by Cirq, in our little-endian order (bound circuits only)."""
    if circuit.is_parametric:
        raise ValueError("bind the circuit's parameters before taking its unitary")
    if any(g.name in ("measure", "reset") for g in circuit.gates):
        raise ValueError("a circuit with measure/reset has no unitary")
    c = to_cirq(circuit)
    return c.unitary(qubit_order=little_endian_order(circuit.num_qubits), dtype=np.complex128)


class _Emitted:
    """The simulation operations of one IR circuit: ``ops`` (``_operations(circuit,
    flat=True)``), the positions of those with a symbolic angle, and whether the circuit
    measures or resets."""

    __slots__ = ("ops", "parametric", "nonunitary")

    def __init__(self, circuit: Circuit) -> None:
        self.parametric: list[int] = []
        self.ops = _operations(circuit, flat=True, parametric=self.parametric)
        self.nonunitary = any(g.name in ("measure", "reset") for g in circuit.gates)


#: emitted simulation operations of the most recently simulated IR circuits
_CACHE = EmissionCache()


def _simulation_operations(circuit: Circuit, cache: bool = True) -> _Emitted:
    """The :class:`_Emitted` operations of ``circuit``, emitted once per IR circuit and
    reused while it is unchanged (:class:`qcompile.circuit.emission.EmissionCache` says how a
    mutated circuit is detected); ``cache=False`` emits afresh without reading or writing
    the cache (for one-off circuits)."""
    return _CACHE.get(circuit, _Emitted) if cache else _Emitted(circuit)


def _resolved(entry: _Emitted, values: Mapping[str, Sequence[float]] | None) -> list:
    """``entry``'s operations with their symbols resolved from ``values`` (each distinct
    parameterised operation once: repeated gates share one operation object)."""
    import cirq

    if not entry.parametric:
        return entry.ops
    if values is None:
        raise ValueError("the circuit is parametric: pass values={name: vector}")
    res = resolver(values)
    ops = list(entry.ops)
    done: dict[int, "cirq.Operation"] = {}
    for i in entry.parametric:
        op = ops[i]
        new = done.get(id(op))
        if new is None:
            new = cirq.resolve_parameters(op, res)
            if cirq.is_parameterized(new):
                missing = sorted(s.name for s in cirq.parameter_symbols(new))
                raise ValueError(f"no value for the circuit parameters {', '.join(missing)}")
            done[id(op)] = new
        ops[i] = new
    return ops


def statevector_cirq(circuit: Circuit, values: Mapping[str, Sequence[float]] | None = None,
                     seed: int | None = None, initial_state: np.ndarray | None = None,
                     cache: bool = True) -> np.ndarray:
    """The final state of ``circuit`` with Cirq's complex128 state-vector simulation,
    little-endian.  ``values`` binds symbolic angles (ignored for a circuit without any);
    ``initial_state`` (little-endian, normalised) replaces |0...0>; ``cache=False`` skips
    the emission cache (for a circuit simulated only once).

    A unitary circuit is run by applying each operation with ``cirq.act_on`` to one
    ``cirq.StateVectorSimulationState`` — exactly what ``cirq.Simulator`` does per
    operation, without its per-moment step results, its split of the circuit into an
    unparameterised prefix, and per-qubit product states (together over half the time on
    large circuits).  The emitted operations are cached per IR circuit and only their
    parameters are resolved per call (:func:`_simulation_operations`).  With mid-circuit
    measure/reset, ``cirq.Simulator(dtype=complex128, seed=seed)`` runs the circuit and the
    result is one random trajectory (``seed`` fixes it).
    """
    import cirq

    entry = _simulation_operations(circuit, cache)
    ops = _resolved(entry, values)
    order = little_endian_order(circuit.num_qubits)
    # cirq's state is big-endian in ``order``: reversing the line makes it ours
    start = 0 if initial_state is None else np.asarray(initial_state, dtype=np.complex128)
    if entry.nonunitary:
        sim = cirq.Simulator(dtype=np.complex128, seed=seed)
        out = sim.simulate(cirq.Circuit(ops), qubit_order=order, initial_state=start)
        return np.asarray(out.final_state_vector, dtype=np.complex128)
    state = cirq.StateVectorSimulationState(qubits=order, initial_state=start, dtype=np.complex128)
    for op in ops:
        cirq.act_on(op, state)
    return np.array(state.target_tensor, dtype=np.complex128).reshape(-1)
