"""The ``qsim`` backend: Google's qsim (``qsimcirq``), a fast C++ state-vector simulator
for the Cirq circuits of :mod:`qcompile.backends.cirq`.

qsim fuses gates into blocks of up to :data:`QSIM_FUSED_GATE_QUBITS` qubits and applies
them with SIMD kernels on every core; the symbols of a parametric circuit are resolved by
qsim itself, and many inputs run in one ``simulate_sweep`` call
(:meth:`QsimBackend.statevectors`).  qsim computes in **single precision** (complex64):
amplitudes differ from Cirq's complex128 ones by rounding of order 1e-7 of the state's
norm, which is too coarse for ``verify``'s surrogate check (1e-8 on the output); it is the
fast path for exploring, not the reference.  The state is little-endian, as every
backend's (the reversed line order of :func:`qcompile.backends.cirq.little_endian_order`).
Install it with ``pip install 'qcompile[qsim]'``.
"""

from __future__ import annotations

import os

import numpy as np

from qcompile.backends.cirq import _counts, little_endian_order, resolver, to_cirq
from qcompile.backends.registry import Backend, Values, bind_values, register_backend
from qcompile.circuit.emission import EmissionCache
from qcompile.circuit.ir import Circuit

#: qsim's gate fusion: the largest block it fuses (its default 2; 4 measured fastest on the
#: examples' 13-17-qubit stages)
QSIM_FUSED_GATE_QUBITS = 4

INSTALL_HINT = "pip install 'qcompile[qsim]' (qsimcirq)"

#: the Cirq circuits of the most recently simulated IR circuits
_CACHE = EmissionCache(size=4)


class _QsimCircuit:
    """One IR circuit as a ``cirq.Circuit`` (symbols kept) and whether it measures or resets."""

    __slots__ = ("circuit", "nonunitary")

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = to_cirq(circuit)
        self.nonunitary = any(g.name in ("measure", "reset") for g in circuit.gates)


def _simulator(seed=None):
    import qsimcirq

    options = qsimcirq.QSimOptions(max_fused_gate_size=QSIM_FUSED_GATE_QUBITS, cpu_threads=os.cpu_count() or 1)
    return qsimcirq.QSimSimulator(options, seed=seed)


@register_backend
class QsimBackend(Backend):
    """qsim's state-vector simulator (single precision, multi-threaded, batched sweeps)."""

    name = "qsim"
    description = "qsim (qsimcirq): fast multi-threaded state vectors of the Cirq circuits, single precision"
    simulates = True
    amplitude_bytes = 8

    def unavailable(self) -> str | None:
        """Why qsim cannot run here (qsimcirq missing), or None."""
        try:
            import qsimcirq  # noqa: F401
        except ImportError:
            return f"qsimcirq is not installed; {INSTALL_HINT}"
        return None

    def _check(self) -> None:
        missing = self.unavailable()
        if missing:
            raise _not_supported(self.name, missing)

    def emit(self, circuit: Circuit):
        """The ``cirq.Circuit`` qsim runs (:func:`qcompile.backends.cirq.to_cirq`)."""
        return to_cirq(circuit)

    def statevector(self, circuit: Circuit, values: Values | None = None, seed: int | None = None,
                    initial_state: np.ndarray | None = None) -> np.ndarray:
        """qsim's final state (little-endian, returned as complex128 but computed in single
        precision); ``initial_state`` is rounded to complex64, as qsim takes it."""
        if initial_state is not None:
            self._check()
            bound = bind_values(circuit, values)
            start = np.asarray(initial_state, dtype=np.complex64)
            out = _simulator(seed).simulate(to_cirq(bound), qubit_order=little_endian_order(circuit.num_qubits),
                                            initial_state=start)
            return np.asarray(out.final_state_vector, dtype=np.complex128)
        return self.statevectors(circuit, [values], seed)[0]

    def statevectors(self, circuit: Circuit, values_list, seed: int | None = None) -> list[np.ndarray]:
        """One ``simulate_sweep`` over every parameter set of ``values_list`` (qsim
        resolves the symbols; the circuit is translated once)."""
        self._check()
        entry = _CACHE.get(circuit, _QsimCircuit)
        values_list = list(values_list)
        if circuit.is_parametric and any(v is None for v in values_list):
            raise ValueError("the circuit is parametric: pass values={name: vector}")
        for values in values_list:
            if circuit.is_parametric:
                Circuit(0, parameters=dict(circuit.parameters)).bind(values)  # Circuit.bind's checks
        params = [resolver(v) if circuit.is_parametric else None for v in values_list]
        order = little_endian_order(circuit.num_qubits)
        sim = _simulator(seed)
        if not circuit.is_parametric:
            state = np.asarray(sim.simulate(entry.circuit, qubit_order=order).final_state_vector,
                               dtype=np.complex128)
            return [state.copy() for _ in values_list]
        results = sim.simulate_sweep(entry.circuit, params=params, qubit_order=order)
        return [np.asarray(r.final_state_vector, dtype=np.complex128) for r in results]

    def sample_measured(self, circuit: Circuit, shots: int, seed: int | None = None) -> dict[str, int]:
        """qsim's ``run`` (keys ``c{j}``, as the ``cirq`` backend's)."""
        self._check()
        result = _simulator(seed).run(to_cirq(circuit), repetitions=shots)
        return _counts(result, circuit.num_clbits, shots)


def _not_supported(name: str, why: str):
    from qcompile.errors import NotSupportedError

    return NotSupportedError(f"backend '{name}' cannot run here: {why}")
