"""Run a stage on a noisy simulator: unmitigated (:func:`run_noisy`) or with a plan
(:func:`run_mitigated`), and the ideal reference (:func:`ideal_distribution`).

``shots=None`` means exact density-matrix simulation (infinite shots); otherwise each
executed circuit is sampled: ``shots`` per scale factor, split evenly over the twirled
copies, and ``shots`` per calibration circuit.  Seeds: circuit ``i`` of a plan gets the ``i``-th
child of ``numpy.random.SeedSequence(seed)`` — not ``seed + i``: Aer seeds shot ``j`` with
``seed + j``, so neighbouring seeds would replay almost the same shots.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from qcompile.mitigation.basis import to_noise_basis
from qcompile.mitigation.measure import joint_output, measurement_layout, normalised, with_final_measurements
from qcompile.mitigation.noise import NoiseSpec, parse_noise
from qcompile.mitigation.plan import DistributionEstimate, MitigationPlan
from qcompile.mitigation.simulators import run_distribution

Values = Mapping[str, Sequence[float]]


def _bound(circuit, values: Values | None):
    if circuit.is_parametric:
        if values is None:
            raise ValueError("the stage circuit is parametric: pass values={name: vector}")
        return circuit.bind(values)
    return circuit


def run_noisy(stage, shots: int | None = None, backend: str = "qiskit", noise: "str | NoiseSpec" = "depolarizing:0,0",
              seed: int | None = None, values: Values | None = None) -> DistributionEstimate:
    """The post-selected output distribution of ``stage`` under ``noise`` (no mitigation).

    The circuit is lowered to the noise basis, every qubit measured at the end; the
    estimate is the normalised counts (or exact probabilities) of output values among the
    shots whose post-selected bits are all 0, with the post-selection rate.
    """
    noise = parse_noise(noise)
    circuit = with_final_measurements(to_noise_basis(_bound(stage.circuit, values)))
    dist = run_distribution(circuit, noise, shots, backend, seed)
    p, rate = normalised(joint_output(dist, measurement_layout(stage)))
    return DistributionEstimate(p, rate)


def ideal_distribution(stage, values: Values | None = None) -> DistributionEstimate:
    """The noiseless post-selected output distribution (exact)."""
    return run_noisy(stage, None, "qiskit", NoiseSpec(0.0, 0.0, 0.0), values=values)


def run_plan(plan: MitigationPlan, shots: int | None = None, backend: str = "qiskit",
             noise: "str | NoiseSpec" = "depolarizing:0,0", seed: int | None = None,
             values: Values | None = None) -> list[np.ndarray]:
    """One clbit distribution per planned circuit (shot split in the module doc)."""
    noise = parse_noise(noise)
    circuits = plan.bound_circuits(values)
    seeds = [None] * len(circuits) if seed is None else circuit_seeds(seed, len(circuits))
    results = []
    for pc, c, s in zip(plan.circuits, circuits, seeds):
        n = None
        if shots is not None:
            n = max(1, shots // plan.copies) if pc.role == "execute" else shots
        results.append(run_distribution(c, noise, n, backend, s))
    return results


def circuit_seeds(seed: int, count: int) -> list[int]:
    """``count`` independent 32-bit simulator seeds derived from ``seed`` (module doc)."""
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(seed).spawn(count)]


def run_mitigated(stage, plan: MitigationPlan, shots: int | None = None, backend: str = "qiskit",
                  noise: "str | NoiseSpec" = "depolarizing:0,0", seed: int | None = None,
                  values: Values | None = None) -> DistributionEstimate:
    """The mitigated post-selected output distribution: run the plan, then ``plan.combine``."""
    if plan.stage_name != stage.name or plan.layout != measurement_layout(stage):
        raise ValueError(f"this plan was built for stage '{plan.stage_name}', not for '{stage.name}'")
    return plan.combine(run_plan(plan, shots, backend, noise, seed, values))
