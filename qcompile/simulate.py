"""Simulate circuit-IR circuits with Qiskit (quantum_info / Aer) or Cirq — no own simulator.

Orders:

* :func:`statevector` returns amplitudes little-endian: index ``k = Σ_i b_i 2^i`` where
  ``b_i`` is qubit ``i`` (Qiskit's order; the Cirq path reorders, see
  :mod:`qcompile.backends.cirq`).
* :func:`sample_counts` returns ``{bitstring: count}`` over *all* ``num_clbits`` classical
  bits, written Qiskit-style with clbit ``num_clbits-1`` leftmost and clbit 0 rightmost,
  so ``int(bitstring, 2) = Σ_j c_j 2^j``.  A clbit measured several times holds its last
  result; a clbit never measured reads 0.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from qcompile.circuit.emission import EmissionCache
from qcompile.circuit.ir import Circuit

BACKENDS = ("qiskit", "cirq")

Values = Mapping[str, Sequence[float]]


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown simulation backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def _bound(circuit: Circuit, values: Values | None) -> Circuit:
    if circuit.is_parametric:
        if values is None:
            raise ValueError("the circuit is parametric: pass values={name: vector}")
        return circuit.bind(values)
    return circuit


def statevector(circuit: Circuit, backend: str = "qiskit", values: Values | None = None,
                seed: int | None = None) -> np.ndarray:
    """The final state from |0…0> (little-endian), parameters bound with ``values``.

    ``qiskit``: Aer's statevector method on the circuit emitted with Aer-native
    multi-controlled gates (no transpilation; final measurements dropped; gate fusion
    from 14 qubits, see :data:`AER_FUSION_THRESHOLD`); ``cirq``: Cirq's complex128
    state-vector simulation with the symbols resolved from ``values``
    (:func:`qcompile.backends.cirq.statevector_cirq`).  Both backends emit a parametric
    circuit once and reuse it for every ``values`` while the IR circuit is unchanged.
    With measure/reset the state is one random trajectory (``seed`` fixes it).
    """
    _check_backend(backend)
    if backend == "cirq":
        from qcompile.backends.cirq import statevector_cirq

        return statevector_cirq(circuit, values, seed=seed)
    sim = _aer_statevector_simulator(circuit.num_qubits)
    aer = _AER_CACHE.get(circuit, _AerStatevectorCircuit)
    qc, binds = aer.qc, None
    if aer.parametric:
        if values is None:
            raise ValueError("the circuit is parametric: pass values={name: vector}")
        Circuit(0, parameters=dict(circuit.parameters)).bind(values)  # Circuit.bind's checks
        value = {p: float(values[p.vector.name][p.index]) for p in aer.parameters}
        if value and aer.bindable:
            binds = [{p: [v] for p, v in value.items()}]
        elif value:
            qc = qc.assign_parameters(value, inplace=False)
    result = sim.run(qc, shots=1, seed_simulator=seed, parameter_binds=binds).result()
    return np.asarray(result.get_statevector(), dtype=np.complex128)


#: IR gates whose symbolic angle Aer's ``parameter_binds`` bind correctly in the emission
#: of ``to_qiskit(..., aer_native=True)`` (standard rx/ry/rz/p, plain ``Gate`` mc* and
#: ``mcphase``; Aer skips a ``ControlledGate``'s parameters, Qiskit/qiskit-aer#2403).
#: ``tests/backends`` checks each against ``assign_parameters``.
AER_BINDABLE = frozenset({"rx", "ry", "rz", "p", "mcp", "mcrx", "mcry", "mcrz"})


class _AerStatevectorCircuit:
    """``to_qiskit(circuit, aer_native=True)`` with its symbolic angles left as
    ``ParameterVector`` elements, final measurements removed and ``save_statevector``
    appended, for :func:`statevector` to bind per input.  Binding uses Aer's
    ``parameter_binds`` when every symbolic gate is in :data:`AER_BINDABLE` (the angles Aer
    binds are bit-identical to those of ``circuit.bind(values)``, and binding costs far
    less than binding the IR and emitting it again), else ``assign_parameters``."""

    __slots__ = ("qc", "parameters", "parametric", "bindable")

    def __init__(self, circuit: Circuit) -> None:
        import qiskit_aer  # noqa: F401  (gives QuantumCircuit.save_statevector)

        from qcompile.backends.qiskit import to_qiskit

        self.qc = to_qiskit(circuit, aer_native=True)
        if any(g.name == "measure" for g in circuit.gates):  # a DAG round trip: only when needed
            self.qc.remove_final_measurements(inplace=True)
        self.qc.save_statevector()
        self.parameters = list(self.qc.parameters)
        symbolic = {g.name for g in circuit.gates if g.params and g.is_parametric}
        self.parametric = bool(symbolic)
        self.bindable = symbolic <= AER_BINDABLE


#: the Aer circuits of the most recently simulated IR circuits (see :class:`EmissionCache`);
#: a Qiskit circuit is large (~90 MiB for 500k gates), so only a few are kept — enough
#: for the stages of one program verified input after input
_AER_CACHE = EmissionCache(size=4)


def unitary(circuit: Circuit, backend: str = "qiskit", values: Values | None = None) -> np.ndarray:
    """The circuit's unitary (little-endian rows/columns), parameters bound with ``values``.

    ``qiskit``: ``qiskit.quantum_info.Operator``; ``cirq``: ``cirq.unitary`` with the
    reversed qubit order.  Measure/reset are rejected (final measurements are dropped on
    the Qiskit path only if nothing follows them).
    """
    _check_backend(backend)
    bound = _bound(circuit, values)
    if backend == "cirq":
        from qcompile.backends.cirq import unitary_cirq

        return unitary_cirq(bound)
    from qcompile.backends.qiskit import unitary as unitary_qiskit

    return unitary_qiskit(bound)


def sample_counts(circuit: Circuit, shots: int, backend: str = "qiskit", values: Values | None = None,
                  seed: int | None = None) -> dict[str, int]:
    """Sample ``shots`` runs and count the classical-bit strings (order in the module doc).

    ``qiskit`` uses ``qiskit_aer.AerSimulator``; ``cirq`` uses ``cirq.Simulator.run``
    (keys ``c{j}``).  A circuit that measures nothing gives ``{"0" * num_clbits: shots}``.
    """
    _check_backend(backend)
    if shots <= 0:
        raise ValueError("shots must be positive")
    bound = _bound(circuit, values)
    m = bound.num_clbits
    if m == 0 or not any(g.name == "measure" for g in bound.gates):
        return {"0" * m: shots}
    if backend == "qiskit":
        from qiskit_aer import AerSimulator

        from qcompile.backends.qiskit import to_qiskit

        sim = AerSimulator()
        qc = to_qiskit(bound, aer_native=True)   # Aer runs it as emitted: no transpilation
        raw = sim.run(qc, shots=shots, seed_simulator=seed).result().get_counts()
        counts: dict[str, int] = {}
        for key, n in raw.items():
            k = key.replace(" ", "").zfill(m) if m else ""
            counts[k] = counts.get(k, 0) + int(n)
        return dict(sorted(counts.items()))
    import cirq

    from qcompile.backends.cirq import to_cirq

    result = cirq.Simulator(dtype=np.complex128, seed=seed).run(to_cirq(bound), repetitions=shots)
    bits = np.zeros((shots, m), dtype=np.int64)
    for j in range(m):
        rec = result.records.get(f"c{j}")
        if rec is not None:
            bits[:, j] = rec[:, -1, 0]
    counts = {}
    for row in bits:
        k = "".join(str(int(b)) for b in row[::-1])
        counts[k] = counts.get(k, 0) + 1
    return dict(sorted(counts.items()))


#: below this many qubits Aer runs single-threaded: with thousands of small gates on a
#: 2^15-amplitude state, OpenMP's per-gate overhead costs more than it saves (measured 2-3x
#: faster single-threaded on the attention stages of the examples, 2 cores)
AER_PARALLEL_THRESHOLD = 18

#: Aer fuses gates only when a circuit has *more* qubits than ``fusion_threshold`` (its
#: default 14, although its docs say "greater than or equal"); 13 turns fusion on from 14
#: qubits, where it measured about 2x faster on the examples' 14-qubit stages (13k gates
#: of encoder_block/protein_tiny, and 2.2x on the 506k of mlp_relu).  Fused gates change
#: amplitudes only by rounding (~1e-14 on mlp_relu).
AER_FUSION_THRESHOLD = 13
#: up to this many qubits, fused gates have at most :data:`AER_SMALL_FUSION_MAX_QUBIT`
#: qubits: there Aer's default of 5 spends more time fusing than it saves (4 measured 2x
#: faster on mlp's 15-qubit stage and 3.6x on mlp_relu's 14), while above it Aer's default
#: is kept (5 measured faster on the 17-qubit stages of attention and encoder_block)
AER_SMALL_FUSION_QUBITS = 15
AER_SMALL_FUSION_MAX_QUBIT = 4


def _aer_statevector_simulator(num_qubits: int):
    """Aer's double-precision statevector simulator, with the thread and fusion settings
    above for a ``num_qubits``-qubit circuit.  Importing qiskit_aer also gives
    ``QuantumCircuit.save_statevector``, so callers build the simulator first."""
    from qiskit_aer import AerSimulator

    options = {"statevector_parallel_threshold": AER_PARALLEL_THRESHOLD,
               "fusion_threshold": AER_FUSION_THRESHOLD}
    if num_qubits <= AER_SMALL_FUSION_QUBITS:
        options["fusion_max_qubit"] = AER_SMALL_FUSION_MAX_QUBIT
    return AerSimulator(method="statevector", precision="double", **options)


def postselected_statevector(circuit: Circuit, backend: str = "qiskit", values: Values | None = None
                             ) -> np.ndarray:
    """The unnormalised state on the branch where every mid-circuit measurement reads 0.

    The circuit is cut at each ``measure``; every segment is simulated exactly (Aer's
    statevector method, or Cirq's state-vector simulation, started from the previous
    segment's state), and at each measurement the amplitudes with the measured qubit at 1 are
    removed.  A ``reset`` of a qubit just projected to 0 is then the identity.  The
    squared norm of the result is the probability of all those outcomes being 0 (the
    circuits of ancilla reuse post-select every mid-circuit outcome on 0).
    """
    _check_backend(backend)
    bound = _bound(circuit, values)
    n = bound.num_qubits
    segments: list[list] = [[]]
    cuts: list[int] = []
    for g in bound.gates:
        if g.name == "measure":
            cuts.append(g.qubits[0])
            segments.append([])
        elif g.name == "reset":
            continue
        elif g.name != "barrier":
            segments[-1].append(g)
    state = np.zeros(2**n, dtype=np.complex128)
    state[0] = 1.0
    scale = 1.0
    for k, gates in enumerate(segments):
        seg = Circuit(n, gates, bound.global_phase if k == 0 else 0.0)
        state = _evolve(seg, state, backend)
        if k < len(cuts):
            q = cuts[k]
            state[(np.arange(2**n) >> q) & 1 == 1] = 0.0
            norm = float(np.linalg.norm(state))
            if norm == 0.0:
                return np.zeros(2**n, dtype=np.complex128)
            state /= norm
            scale *= norm
    return scale * state


def _evolve(circuit: Circuit, state: np.ndarray, backend: str) -> np.ndarray:
    """``circuit`` applied to the normalised ``state`` (little-endian)."""
    if not circuit.gates and circuit.global_phase == 0.0:
        return state
    if backend == "cirq":
        from qcompile.backends.cirq import statevector_cirq

        return statevector_cirq(circuit, initial_state=state, cache=False)
    from qiskit import QuantumCircuit

    from qcompile.backends.qiskit import to_qiskit

    sim = _aer_statevector_simulator(circuit.num_qubits)
    body = to_qiskit(circuit, aer_native=True)
    phase = body.global_phase
    body.global_phase = 0.0      # Aer drops a circuit's global phase after set_statevector
    qc = QuantumCircuit(circuit.num_qubits)
    qc.set_statevector(state)
    qc.compose(body, inplace=True)
    qc.save_statevector()
    out = np.asarray(sim.run(qc, shots=1).result().get_statevector(), dtype=np.complex128)
    return out * np.exp(1j * float(phase))
