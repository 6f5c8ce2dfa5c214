"""Simulate circuit-IR circuits on a registered backend (:mod:`qcompile.backends.registry`:
``qiskit`` = Qiskit Aer / quantum_info, ``cirq``, ``qsim`` = qsimcirq, ``qiskit_gpu`` = Aer on
an NVIDIA GPU) — no own simulator.  :func:`statevectors` runs one circuit on many parameter
sets in one simulator call where the backend can (Aer's ``parameter_binds``, qsim's sweeps).

Orders:

* :func:`statevector` returns amplitudes little-endian: index ``k = Σ_i b_i 2^i`` where
  ``b_i`` is qubit ``i`` (Qiskit's order; the Cirq backend reorders, see
  :mod:`qcompile.backends.cirq`).
* :func:`sample_counts` returns ``{bitstring: count}`` over *all* ``num_clbits`` classical
  bits, written Qiskit-style with clbit ``num_clbits-1`` leftmost and clbit 0 rightmost,
  so ``int(bitstring, 2) = Σ_j c_j 2^j``.  A clbit measured several times holds its last
  result; a clbit never measured reads 0.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from qcompile.backends.registry import Backend, available_backends, bind_values, get_backend
from qcompile.circuit.ir import Circuit

Values = Mapping[str, Sequence[float]]


def simulators() -> tuple[str, ...]:
    """The names of the registered backends that simulate, sorted (also ``BACKENDS``)."""
    return tuple(n for n in available_backends() if get_backend(n).simulates)


def __getattr__(name: str):
    if name == "BACKENDS":  # read from the registry when asked: backends may register late
        return simulators()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _simulator(backend: str) -> Backend:
    """The registered backend ``backend``, which must simulate."""
    sim = get_backend(backend)
    if not sim.simulates:
        raise sim.unsupported("simulate")
    return sim


def statevector(circuit: Circuit, backend: str = "qiskit", values: Values | None = None,
                seed: int | None = None) -> np.ndarray:
    """The final state from |0…0> (little-endian), parameters bound with ``values``.

    ``qiskit``: Aer's statevector method on the circuit emitted with Aer-native
    multi-controlled gates (:class:`qcompile.backends.aer.QiskitBackend`); ``cirq``:
    Cirq's complex128 state-vector simulation with the symbols resolved from ``values``
    (:func:`qcompile.backends.cirq.statevector_cirq`).  Both backends emit a parametric
    circuit once and reuse it for every ``values`` while the IR circuit is unchanged.
    With measure/reset the state is one random trajectory (``seed`` fixes it).
    """
    return _simulator(backend).statevector(circuit, values, seed)


def statevectors(circuit: Circuit, values_list: Sequence[Values], backend: str = "qiskit",
                 seed: int | None = None) -> list[np.ndarray]:
    """:func:`statevector` for each parameter set of ``values_list``, in order, batched into
    one simulator call where the backend supports it
    (:meth:`~qcompile.backends.registry.Backend.statevectors`)."""
    return _simulator(backend).statevectors(circuit, list(values_list), seed)


def unitary(circuit: Circuit, backend: str = "qiskit", values: Values | None = None) -> np.ndarray:
    """The circuit's unitary (little-endian rows/columns), parameters bound with ``values``.

    ``qiskit``: ``qiskit.quantum_info.Operator``; ``cirq``: ``cirq.unitary`` with the
    reversed qubit order.  Measure/reset are rejected (final measurements are dropped on
    the Qiskit path only if nothing follows them).
    """
    sim = _simulator(backend)
    return sim.unitary(bind_values(circuit, values))


def sample_counts(circuit: Circuit, shots: int, backend: str = "qiskit", values: Values | None = None,
                  seed: int | None = None) -> dict[str, int]:
    """Sample ``shots`` runs and count the classical-bit strings (order in the module doc).

    ``qiskit`` uses ``qiskit_aer.AerSimulator``; ``cirq`` uses ``cirq.Simulator.run``
    (keys ``c{j}``).  A circuit that measures nothing gives ``{"0" * num_clbits: shots}``.
    """
    return _simulator(backend).sample(circuit, shots, values, seed)


def postselected_statevector(circuit: Circuit, backend: str = "qiskit", values: Values | None = None
                             ) -> np.ndarray:
    """The unnormalised state on the branch where every mid-circuit measurement reads 0.

    The circuit is cut at each ``measure``; every segment is simulated exactly (the
    backend's statevector started from the previous segment's state), and at each
    measurement the amplitudes with the measured qubit at 1 are removed.  A ``reset`` of
    a qubit just projected to 0 is then the identity.  The squared norm of the result is
    the probability of all those outcomes being 0 (the circuits of ancilla reuse
    post-select every mid-circuit outcome on 0).
    """
    sim = _simulator(backend)
    bound = bind_values(circuit, values)
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
        if seg.gates or seg.global_phase != 0.0:
            state = sim.statevector(seg, initial_state=state)
        if k < len(cuts):
            q = cuts[k]
            state[(np.arange(2**n) >> q) & 1 == 1] = 0.0
            norm = float(np.linalg.norm(state))
            if norm == 0.0:
                return np.zeros(2**n, dtype=np.complex128)
            state /= norm
            scale *= norm
    return scale * state


def block_matrix(block, backend: str = "qiskit") -> np.ndarray:
    """``alpha ×`` the block a block encoding ``block`` (a
    :class:`~qcompile.quantum.base.QuantumBlock`) encodes, from ONE statevector: each input
    qubit is entangled with a fresh reference qubit, so the amplitude at (reference = j,
    output = i, other qubits 0) is ``block[i, j]/√N`` (N = 2^inputs).  Cheaper than the
    full unitary for the block checks of wide blocks."""
    from qcompile.circuit.ir import register_indices

    n, m = len(block.system_qubits), block.circuit.num_qubits
    c = Circuit(m + n)
    for k, q in enumerate(block.system_qubits):
        c.append("h", (m + k,))
        c.append("cx", (m + k, q))
    c.compose(block.circuit, list(range(m)))
    sv = np.asarray(_simulator(backend).statevector(c))
    rows = register_indices(block.output_qubits)
    cols = np.arange(2**n) << m
    return block.alpha * sv[np.add.outer(rows, cols)] * np.sqrt(2**n)
