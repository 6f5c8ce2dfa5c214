"""The ``qiskit`` backend: Qiskit Aer simulation (state vector, shots, noisy density matrix)
and ``qiskit.quantum_info`` unitaries of circuits emitted by :mod:`qcompile.backends.qiskit`.

Circuits are emitted with Aer-native multi-controlled gates (``to_qiskit(...,
aer_native=True)``) and run as emitted, without transpilation.  A parametric circuit is
emitted once per IR circuit (:data:`_AER_CACHE`) and only bound per input.
"""

from __future__ import annotations

import math

import numpy as np

from qcompile.backends.qiskit import to_qiskit, unitary
from qcompile.backends.registry import Backend, Values, bind_values, register_backend
from qcompile.circuit.emission import EmissionCache
from qcompile.circuit.gates import ONE_CX_GATES, ONE_QUBIT_GATES
from qcompile.circuit.ir import Circuit, Gate
from qcompile.circuit.schedule import scheduled_items

#: IR gates whose symbolic angle Aer's ``parameter_binds`` bind correctly in the emission
#: of ``to_qiskit(..., aer_native=True)`` (standard rx/ry/rz/p, plain ``Gate`` mc* and
#: ``mcphase``; Aer skips a ``ControlledGate``'s parameters, Qiskit/qiskit-aer#2403).
#: ``tests/backends`` checks each against ``assign_parameters``.
AER_BINDABLE = frozenset({"rx", "ry", "rz", "p", "mcp", "mcrx", "mcry", "mcrz"})

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


class _AerStatevectorCircuit:
    """``to_qiskit(circuit, aer_native=True)`` with its symbolic angles left as
    ``ParameterVector`` elements, final measurements removed and ``save_statevector``
    appended, for :meth:`QiskitBackend.statevector` to bind per input.  Binding uses Aer's
    ``parameter_binds`` when every symbolic gate is in :data:`AER_BINDABLE` (the angles Aer
    binds are bit-identical to those of ``circuit.bind(values)``, and binding costs far
    less than binding the IR and emitting it again), else ``assign_parameters``."""

    __slots__ = ("qc", "parameters", "parametric", "bindable")

    def __init__(self, circuit: Circuit) -> None:
        import qiskit_aer  # noqa: F401  (gives QuantumCircuit.save_statevector)

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


def _counts(raw: dict, num_clbits: int) -> dict[str, int]:
    """Aer's counts with the register spaces removed and every key ``num_clbits`` long, sorted."""
    counts: dict[str, int] = {}
    for key, n in raw.items():
        k = key.replace(" ", "").zfill(num_clbits) if num_clbits else ""
        counts[k] = counts.get(k, 0) + int(n)
    return dict(sorted(counts.items()))


@register_backend
class QiskitBackend(Backend):
    """Qiskit Aer (statevector, shots, density matrix) and ``quantum_info`` (unitaries)."""

    name = "qiskit"
    description = "Qiskit: emit a QuantumCircuit; simulate with Aer (ideal and noisy) and quantum_info"
    simulates = True
    simulates_noise = True

    def emit(self, circuit: Circuit):
        """The ``qiskit.QuantumCircuit`` (:func:`qcompile.backends.qiskit.to_qiskit`)."""
        return to_qiskit(circuit)

    def statevector(self, circuit: Circuit, values: Values | None = None, seed: int | None = None,
                    initial_state: np.ndarray | None = None) -> np.ndarray:
        """Aer's statevector method on the circuit emitted with Aer-native multi-controlled
        gates (no transpilation; final measurements dropped; gate fusion from 14 qubits,
        see :data:`AER_FUSION_THRESHOLD`), emitted once per IR circuit while it is
        unchanged and bound per call."""
        if initial_state is not None:
            return self._evolve(bind_values(circuit, values), initial_state)
        return self.statevectors(circuit, [values], seed)[0]

    def statevectors(self, circuit: Circuit, values_list, seed: int | None = None) -> list[np.ndarray]:
        """:meth:`statevector` for each parameter set of ``values_list``: when every symbolic
        gate is bindable (:data:`AER_BINDABLE`), ONE Aer run with ``parameter_binds`` holding
        every set (one experiment per set, bit-identical to running them one by one);
        otherwise one run per set with ``assign_parameters``."""
        self._check_available()
        sim = self._statevector_simulator(circuit.num_qubits)
        aer = _AER_CACHE.get(circuit, _AerStatevectorCircuit)
        values_list = list(values_list)
        if not aer.parametric:
            result = sim.run(aer.qc, shots=1, seed_simulator=seed).result()
            state = np.asarray(result.get_statevector(), dtype=np.complex128)
            return [state.copy() for _ in values_list]
        sets = []
        for values in values_list:
            if values is None:
                raise ValueError("the circuit is parametric: pass values={name: vector}")
            Circuit(0, parameters=dict(circuit.parameters)).bind(values)  # Circuit.bind's checks
            sets.append({p: float(values[p.vector.name][p.index]) for p in aer.parameters})
        if aer.bindable:
            binds = [{p: [s[p] for s in sets] for p in aer.parameters}]
            result = sim.run(aer.qc, shots=1, seed_simulator=seed, parameter_binds=binds).result()
            return [np.asarray(result.get_statevector(i), dtype=np.complex128) for i in range(len(sets))]
        out = []
        for value in sets:
            qc = aer.qc.assign_parameters(value, inplace=False)
            result = sim.run(qc, shots=1, seed_simulator=seed).result()
            out.append(np.asarray(result.get_statevector(), dtype=np.complex128))
        return out

    def _statevector_simulator(self, num_qubits: int):
        """The Aer statevector simulator for a ``num_qubits``-qubit circuit (CPU)."""
        return _aer_statevector_simulator(num_qubits)

    def _check_available(self) -> None:
        """Raise the plain reason this backend cannot run here, if any."""
        missing = self.unavailable()
        if missing:
            from qcompile.errors import NotSupportedError

            raise NotSupportedError(f"backend '{self.name}' cannot run here: {missing}")

    def _evolve(self, circuit: Circuit, state: np.ndarray) -> np.ndarray:
        """``circuit`` (bound, no measurement) applied to the normalised ``state``."""
        from qiskit import QuantumCircuit

        self._check_available()
        sim = self._statevector_simulator(circuit.num_qubits)
        body = to_qiskit(circuit, aer_native=True)
        phase = body.global_phase
        body.global_phase = 0.0      # Aer drops a circuit's global phase after set_statevector
        qc = QuantumCircuit(circuit.num_qubits)
        qc.set_statevector(state)
        qc.compose(body, inplace=True)
        qc.save_statevector()
        out = np.asarray(sim.run(qc, shots=1).result().get_statevector(), dtype=np.complex128)
        return out * np.exp(1j * float(phase))

    def sample_measured(self, circuit: Circuit, shots: int, seed: int | None = None) -> dict[str, int]:
        """``qiskit_aer.AerSimulator`` on the circuit as emitted (no transpilation)."""
        from qiskit_aer import AerSimulator

        sim = AerSimulator()
        qc = to_qiskit(circuit, aer_native=True)
        raw = sim.run(qc, shots=shots, seed_simulator=seed).result().get_counts()
        return _counts(raw, circuit.num_clbits)

    def unitary(self, circuit: Circuit) -> np.ndarray:
        """``qiskit.quantum_info.Operator`` (final measurements dropped)."""
        return unitary(circuit)

    def noise_model(self, noise):
        """A ``qiskit_aer.noise.NoiseModel``: depolarizing errors on every 1q/2q gate of the
        noise basis, a symmetric ``ReadoutError`` on every qubit, and the coherent error
        ``rz(θ)`` on ``id`` instructions (idle markers) — rates that are 0 are left out."""
        from qiskit_aer.noise import NoiseModel, ReadoutError, coherent_unitary_error, depolarizing_error

        model = NoiseModel(basis_gates=list(ONE_QUBIT_GATES + ONE_CX_GATES) + ["id"])
        if noise.idle:
            half = noise.idle / 2
            rz = [[complex(math.cos(half), -math.sin(half)), 0], [0, complex(math.cos(half), math.sin(half))]]
            model.add_all_qubit_quantum_error(coherent_unitary_error(rz), ["id"])
        if noise.p1 > 0:
            model.add_all_qubit_quantum_error(depolarizing_error(noise.p1, 1), list(ONE_QUBIT_GATES))
        if noise.p2 > 0:
            model.add_all_qubit_quantum_error(depolarizing_error(noise.p2, 2), list(ONE_CX_GATES))
        if noise.readout > 0:
            q = noise.readout
            model.add_all_qubit_readout_error(ReadoutError([[1 - q, q], [q, 1 - q]]))
        return model

    @staticmethod
    def _noisy_circuit(circuit: Circuit, noise):
        """The Qiskit circuit to run under ``noise``: with an idle error, in schedule order
        with an ``id`` on every idle qubit-layer (:func:`qcompile.circuit.schedule.scheduled_items`)."""
        if not noise.idle:
            return to_qiskit(circuit)
        items = scheduled_items(circuit)
        gates = [g for g in items if isinstance(g, Gate)]
        plain = to_qiskit(Circuit(circuit.num_qubits, gates, circuit.global_phase, circuit.num_clbits))
        out = plain.copy_empty_like()
        data = iter(plain.data)
        for item in items:
            if isinstance(item, Gate):
                out.append(next(data))
            else:
                out.id(item[1])
        return out

    def noisy_probabilities(self, circuit: Circuit, noise) -> np.ndarray:
        """Aer's density-matrix method with ``save_probabilities``."""
        from qiskit_aer import AerSimulator

        qc = self._noisy_circuit(circuit, noise)
        qc.save_probabilities(label="p")
        sim = AerSimulator(method="density_matrix", precision="double", noise_model=self.noise_model(noise))
        data = sim.run(qc, shots=1).result().data(0)
        return np.asarray(data["p"], dtype=float)

    def noisy_counts(self, circuit: Circuit, noise, shots: int, seed: int | None = None) -> dict[str, int]:
        """``AerSimulator(noise_model=…)`` on the circuit as emitted (no transpilation, so
        folded gate pairs are not cancelled)."""
        from qiskit_aer import AerSimulator

        sim = AerSimulator(noise_model=self.noise_model(noise), seed_simulator=seed)
        raw = sim.run(self._noisy_circuit(circuit, noise), shots=shots).result().get_counts()
        return _counts(raw, circuit.num_clbits)
