"""Run one measured noise-basis circuit on a noisy simulator; return its clbit distribution.

Two modes, on every backend that simulates noise (``qiskit``: Aer, ``cirq``; see
:mod:`qcompile.backends.registry`), with the same noise (``noise.py``):

* ``shots=None`` — *exact*: the final density matrix (the backend's
  ``noisy_probabilities``), the qubit probabilities mapped onto the clbits of the final
  measurements, then the readout bit flips applied as the classical channel they are (per
  clbit ``[[1−q, q], [q, 1−q]]``).  Only circuits whose measurements are all final (no
  gate on a qubit after its measurement, no reset).
* ``shots=N`` — sampling (the backend's ``noisy_counts``; no transpilation, so folded
  gate pairs are not cancelled); readout errors come from the noise models.  The counts
  are returned divided by ``N``.

The clbit distribution is a vector over ``2^m`` values, index ``Σ_j c_j 2^j``.

With an ``idle`` error the backends run the circuit in schedule order with an identity
instruction on every idle qubit-layer (:func:`qcompile.circuit.schedule.scheduled_items`).
"""

from __future__ import annotations

import numpy as np

from qcompile.backends.registry import Backend, get_backend
from qcompile.circuit.ir import Circuit
from qcompile.mitigation.noise import parse_noise
from qcompile.mitigation.readout import apply_tensored, symmetric_confusion


def _noisy_simulator(circuit: Circuit, backend: str) -> Backend:
    """The registered backend ``backend``, which must simulate noise; ``circuit`` must be bound."""
    sim = get_backend(backend)
    if not sim.simulates_noise:
        raise sim.unsupported("simulate noise")
    if circuit.is_parametric:
        raise ValueError("bind the circuit's parameters before running it")
    return sim


def final_measurements(circuit: Circuit) -> dict[int, int]:
    """``{clbit: qubit}`` when every measurement is final; ValueError otherwise."""
    done: set[int] = set()
    out: dict[int, int] = {}
    for g in circuit.gates:
        if g.name == "reset" or any(q in done for q in g.qubits if g.name != "barrier"):
            raise ValueError("exact noisy simulation needs every measurement at the end (no mid-circuit "
                             "measurement or reset); pass shots=N instead")
        if g.name == "measure":
            done.add(g.qubits[0])
            out[g.clbits[0]] = g.qubits[0]
    return out


def exact_distribution(circuit: Circuit, noise, backend: str = "qiskit") -> np.ndarray:
    """Exact clbit distribution of a bound, measured, noise-basis circuit (module doc)."""
    sim = _noisy_simulator(circuit, backend)
    noise = parse_noise(noise)
    measured = final_measurements(circuit)
    unitary_part = Circuit(circuit.num_qubits, [g for g in circuit.gates if g.name != "measure"],
                           circuit.global_phase)
    probs = sim.noisy_probabilities(unitary_part, noise)
    u = np.arange(probs.size)
    v = np.zeros(probs.size, dtype=np.int64)
    for c, q in measured.items():
        v |= ((u >> q) & 1) << c
    dist = np.bincount(v, weights=probs, minlength=2 ** circuit.num_clbits).astype(float)
    dist /= dist.sum()
    if noise.readout > 0:
        flip = symmetric_confusion(noise.readout)
        dist = apply_tensored(dist, {c: flip for c in measured}, circuit.num_clbits)
    return dist


def sampled_distribution(circuit: Circuit, noise, shots: int, backend: str = "qiskit",
                         seed: int | None = None) -> np.ndarray:
    """Clbit frequencies from ``shots`` noisy runs (module doc)."""
    sim = _noisy_simulator(circuit, backend)
    if shots <= 0:
        raise ValueError("shots must be positive")
    noise = parse_noise(noise)
    dist = np.zeros(2**circuit.num_clbits)
    for key, n in sim.noisy_counts(circuit, noise, shots, seed).items():
        dist[int(key, 2)] += n
    return dist / shots


def run_distribution(circuit: Circuit, noise, shots: int | None = None, backend: str = "qiskit",
                     seed: int | None = None) -> np.ndarray:
    """:func:`exact_distribution` when ``shots`` is None, else :func:`sampled_distribution`."""
    if shots is None:
        return exact_distribution(circuit, noise, backend)
    return sampled_distribution(circuit, noise, shots, backend, seed)
