"""Emit the circuit IR as a ``cirq.Circuit`` (1:1, gate by gate) and simulate it with Cirq
(the ``cirq`` backend, :class:`CirqBackend`).

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

from qcompile.backends.registry import Backend, register_backend
from qcompile.circuit.emission import EmissionCache, exact_memo_key
from qcompile.circuit.ir import Circuit, Gate, ParamExpr
from qcompile.circuit.schedule import scheduled_items

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


def cirq_depolarizing_probability(p: float, num_qubits: int) -> float:
    """Cirq's ``depolarize`` probability for our (Aer's) depolarizing parameter ``p``:
    Cirq applies one of the ``4^n − 1`` non-identity Paulis with total probability ``p'``,
    Aer's channel ``ρ ↦ (1−p) ρ + p · Tr(ρ) I/2^n`` is the same for ``p' = p (1 − 4^{-n})``."""
    return p * (1.0 - 4.0 ** (-num_qubits))


def _counts(result, num_clbits: int, shots: int) -> dict[str, int]:
    """``{bitstring: count}`` (clbit ``num_clbits-1`` leftmost) from a ``cirq.Result``
    whose measurement keys are ``c{j}``: the last result of each clbit, 0 if never measured."""
    values = np.zeros(shots, dtype=np.int64)
    for j in range(num_clbits):
        rec = result.records.get(f"c{j}")
        if rec is not None:
            values |= rec[:, -1, 0].astype(np.int64) << j
    found, counts = np.unique(values, return_counts=True)
    return {format(int(v), f"0{num_clbits}b"): int(n) for v, n in zip(found, counts)}


@register_backend
class CirqBackend(Backend):
    """Cirq's complex128 state-vector and density-matrix simulators."""

    name = "cirq"
    description = "Cirq: emit a cirq.Circuit; simulate with its state-vector and density-matrix simulators"
    simulates = True
    simulates_noise = True

    def emit(self, circuit: Circuit) -> "cirq.Circuit":
        """The ``cirq.Circuit`` (:func:`to_cirq`)."""
        return to_cirq(circuit)

    def statevector(self, circuit: Circuit, values: Mapping[str, Sequence[float]] | None = None,
                    seed: int | None = None, initial_state: np.ndarray | None = None) -> np.ndarray:
        """:func:`statevector_cirq` (emitted once per IR circuit, except when starting from
        ``initial_state``: a one-off circuit)."""
        return statevector_cirq(circuit, values, seed=seed, initial_state=initial_state,
                                cache=initial_state is None)

    def sample_measured(self, circuit: Circuit, shots: int, seed: int | None = None) -> dict[str, int]:
        """``cirq.Simulator.run`` (keys ``c{j}``)."""
        import cirq

        result = cirq.Simulator(dtype=np.complex128, seed=seed).run(to_cirq(circuit), repetitions=shots)
        return _counts(result, circuit.num_clbits, shots)

    def unitary(self, circuit: Circuit) -> np.ndarray:
        """:func:`unitary_cirq`."""
        return unitary_cirq(circuit)

    def noise_model(self, noise) -> "cirq.NoiseModel":
        """A ``cirq.NoiseModel`` with the same channels as the ``qiskit`` backend's.

        After each 1-qubit operation ``cirq.depolarize(p1')``, after each 2-qubit operation
        ``cirq.depolarize(p2', n_qubits=2)`` (``p'`` from :func:`cirq_depolarizing_probability`),
        before each measurement ``cirq.bit_flip(q)`` on the measured qubit; a 1-qubit
        ``cirq.I`` (idle marker) becomes ``cirq.rz(θ)``.  Resets and global-phase operations
        are noiseless; operations on 3+ qubits raise ValueError.
        """
        import cirq

        p1 = cirq_depolarizing_probability(noise.p1, 1)
        p2 = cirq_depolarizing_probability(noise.p2, 2)
        q = noise.readout
        idle = noise.idle

        class DepolarizingReadoutNoise(cirq.NoiseModel):
            """Depolarizing noise after gates, symmetric bit flips before measurements."""

            def noisy_operation(self, operation):
                """``operation`` with its noise channels (class docstring)."""
                qubits = operation.qubits
                if cirq.is_measurement(operation):
                    return ([cirq.bit_flip(q).on(x) for x in qubits] if q > 0 else []) + [operation]
                if not qubits or isinstance(operation.gate, cirq.ResetChannel):
                    return operation
                if isinstance(operation.gate, cirq.IdentityGate):
                    return [operation, cirq.rz(idle).on(*qubits)] if idle and len(qubits) == 1 else operation
                if len(qubits) == 1:
                    return [operation, cirq.depolarize(p1).on(*qubits)] if p1 > 0 else operation
                if len(qubits) == 2:
                    return [operation, cirq.depolarize(p2, n_qubits=2).on(*qubits)] if p2 > 0 else operation
                raise ValueError(f"no noise rule for the {len(qubits)}-qubit operation {operation}; "
                                 "lower the circuit with to_noise_basis first")

        return DepolarizingReadoutNoise()

    @staticmethod
    def _noisy_circuit(circuit: Circuit, noise) -> "cirq.Circuit":
        """The Cirq circuit to run under ``noise``: with an idle error, in schedule order with
        a ``cirq.I`` on every idle qubit-layer (:func:`qcompile.circuit.schedule.scheduled_items`)."""
        import cirq

        if not noise.idle:
            return to_cirq(circuit)
        qs = line_qubits(circuit.num_qubits)
        ops = []
        for item in scheduled_items(circuit):
            if isinstance(item, Gate):
                one = Circuit(circuit.num_qubits, [item], 0.0, circuit.num_clbits)
                ops.extend(to_cirq(one).all_operations())
            else:
                ops.append(cirq.I.on(qs[item[1]]))
        ops.extend(to_cirq(Circuit(circuit.num_qubits, [], circuit.global_phase)).all_operations())
        return cirq.Circuit(ops)

    def noisy_probabilities(self, circuit: Circuit, noise) -> np.ndarray:
        """The diagonal of ``cirq.DensityMatrixSimulator``'s final density matrix."""
        import cirq

        sim = cirq.DensityMatrixSimulator(noise=self.noise_model(noise), dtype=np.complex128)
        rho = sim.simulate(self._noisy_circuit(circuit, noise),
                           qubit_order=little_endian_order(circuit.num_qubits)).final_density_matrix
        return np.clip(np.real(np.diag(rho)), 0.0, None)

    def noisy_counts(self, circuit: Circuit, noise, shots: int, seed: int | None = None) -> dict[str, int]:
        """``cirq.DensityMatrixSimulator(noise=…).run``."""
        import cirq

        sim = cirq.DensityMatrixSimulator(noise=self.noise_model(noise), dtype=np.complex128, seed=seed)
        result = sim.run(self._noisy_circuit(circuit, noise), repetitions=shots)
        return _counts(result, circuit.num_clbits, shots)
