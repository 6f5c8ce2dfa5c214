"""Run one measured noise-basis circuit on a noisy simulator; return its clbit distribution.

Two modes, both on Qiskit Aer and on Cirq, with the same noise (``noise.py``):

* ``shots=None`` — *exact*: the final density matrix (Aer ``method="density_matrix"`` +
  ``save_probabilities``; ``cirq.DensityMatrixSimulator``), the qubit probabilities mapped
  onto the clbits of the final measurements, then the readout bit flips applied as the
  classical channel they are (per clbit ``[[1−q, q], [q, 1−q]]``).  Only circuits whose
  measurements are all final (no gate on a qubit after its measurement, no reset).
* ``shots=N`` — sampling: ``AerSimulator(noise_model=…)`` (no transpilation, so folded
  gate pairs are not cancelled) or ``cirq.DensityMatrixSimulator(noise=…).run``; readout
  errors come from the noise models.  The counts are returned divided by ``N``.

The clbit distribution is a vector over ``2^m`` values, index ``Σ_j c_j 2^j``.

With an ``idle`` error the circuit is emitted in schedule order with an identity
instruction on every idle qubit-layer (:func:`qcompile.mitigation.dd.idle_windows` of the
circuit without its final measurements; those come last, all together, as on hardware).
"""

from __future__ import annotations

import numpy as np

from qcompile.circuit.ir import Circuit, Gate
from qcompile.mitigation.dd import idle_windows, schedule
from qcompile.mitigation.noise import NoiseSpec, parse_noise, to_aer, to_cirq_noise
from qcompile.mitigation.readout import apply_tensored, symmetric_confusion

BACKENDS = ("qiskit", "cirq")


def _check(circuit: Circuit, backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown noisy-simulation backend '{backend}'; choose one of {', '.join(BACKENDS)}")
    if circuit.is_parametric:
        raise ValueError("bind the circuit's parameters before running it")


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


def _split_final_measurements(circuit: Circuit) -> tuple[Circuit, list[Gate]]:
    """The circuit without its final measurements, and those measurements."""
    touched: set[int] = set()
    final: list[int] = []
    for i in range(len(circuit.gates) - 1, -1, -1):
        g = circuit.gates[i]
        if g.name == "measure" and g.qubits[0] not in touched:
            final.append(i)
        if g.name != "barrier":
            touched.update(g.qubits)
    body = circuit.copy()
    keep = set(final)
    body.gates = [g for i, g in enumerate(circuit.gates) if i not in keep]
    return body, [circuit.gates[i] for i in sorted(final)]


def _scheduled_items(circuit: Circuit, idle: bool) -> list:
    """Gates in schedule order, with ``("id", q)`` markers on idle qubit-layers if ``idle``."""
    if not idle:
        return list(circuit.gates)
    body, finals = _split_final_measurements(circuit)
    timed = [(l - (0.5 if g.name == "barrier" else 0.0), i, g) for i, (l, g) in enumerate(zip(schedule(body), body.gates))]
    order = len(timed)
    for q, start, end in idle_windows(body):
        for layer in range(start, end + 1):
            timed.append((layer, order, ("id", q)))
            order += 1
    timed.sort(key=lambda t: (t[0], t[1]))
    return [item for _, _, item in timed] + finals


def to_qiskit_noisy(circuit: Circuit, noise: NoiseSpec):
    """The Qiskit circuit to run under ``noise`` (idle markers as ``id`` if ``noise.idle``)."""
    from qcompile.backends.qiskit import to_qiskit

    if not noise.idle:
        return to_qiskit(circuit)
    items = _scheduled_items(circuit, True)
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


def to_cirq_noisy(circuit: Circuit, noise: NoiseSpec):
    """The Cirq circuit to run under ``noise`` (idle markers as ``cirq.I`` if ``noise.idle``)."""
    import cirq

    from qcompile.backends.cirq import line_qubits, to_cirq

    if not noise.idle:
        return to_cirq(circuit)
    qs = line_qubits(circuit.num_qubits)
    ops = []
    for item in _scheduled_items(circuit, True):
        if isinstance(item, Gate):
            one = Circuit(circuit.num_qubits, [item], 0.0, circuit.num_clbits)
            ops.extend(to_cirq(one).all_operations())
        else:
            ops.append(cirq.I.on(qs[item[1]]))
    ops.extend(to_cirq(Circuit(circuit.num_qubits, [], circuit.global_phase)).all_operations())
    return cirq.Circuit(ops)


def _qubit_probabilities(circuit: Circuit, noise: NoiseSpec, backend: str) -> np.ndarray:
    """Noisy probabilities of all qubit values (little-endian), measurements dropped."""
    unitary_part = Circuit(circuit.num_qubits, [g for g in circuit.gates if g.name != "measure"],
                           circuit.global_phase)
    if backend == "qiskit":
        from qiskit_aer import AerSimulator

        qc = to_qiskit_noisy(unitary_part, noise)
        qc.save_probabilities(label="p")
        sim = AerSimulator(method="density_matrix", precision="double", noise_model=to_aer(noise))
        data = sim.run(qc, shots=1).result().data(0)
        return np.asarray(data["p"], dtype=float)
    import cirq

    from qcompile.backends.cirq import little_endian_order

    c = to_cirq_noisy(unitary_part, noise)
    sim = cirq.DensityMatrixSimulator(noise=to_cirq_noise(noise), dtype=np.complex128)
    rho = sim.simulate(c, qubit_order=little_endian_order(circuit.num_qubits)).final_density_matrix
    return np.clip(np.real(np.diag(rho)), 0.0, None)


def exact_distribution(circuit: Circuit, noise, backend: str = "qiskit") -> np.ndarray:
    """Exact clbit distribution of a bound, measured, noise-basis circuit (module doc)."""
    _check(circuit, backend)
    noise = parse_noise(noise)
    measured = final_measurements(circuit)
    probs = _qubit_probabilities(circuit, noise, backend)
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
    _check(circuit, backend)
    if shots <= 0:
        raise ValueError("shots must be positive")
    noise = parse_noise(noise)
    m = circuit.num_clbits
    dist = np.zeros(2**m)
    if backend == "qiskit":
        from qiskit_aer import AerSimulator

        sim = AerSimulator(noise_model=to_aer(noise), seed_simulator=seed)
        counts = sim.run(to_qiskit_noisy(circuit, noise), shots=shots).result().get_counts()
        for key, n in counts.items():
            dist[int(key.replace(" ", ""), 2)] += n
        return dist / shots
    import cirq

    sim = cirq.DensityMatrixSimulator(noise=to_cirq_noise(noise), dtype=np.complex128, seed=seed)
    result = sim.run(to_cirq_noisy(circuit, noise), repetitions=shots)
    values = np.zeros(shots, dtype=np.int64)
    for j in range(m):
        rec = result.records.get(f"c{j}")
        if rec is not None:
            values |= rec[:, -1, 0].astype(np.int64) << j
    return np.bincount(values, minlength=2**m) / shots


def run_distribution(circuit: Circuit, noise, shots: int | None = None, backend: str = "qiskit",
                     seed: int | None = None) -> np.ndarray:
    """:func:`exact_distribution` when ``shots`` is None, else :func:`sampled_distribution`."""
    if shots is None:
        return exact_distribution(circuit, noise, backend)
    return sampled_distribution(circuit, noise, shots, backend, seed)
