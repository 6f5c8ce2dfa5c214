"""Error mitigation and noisy simulation of stage circuits (DESIGN §6, issue 5 item 5).

Noise specs (``depolarizing:p1,p2[,readout:q]``) → Aer/Cirq noise models; zero-noise
extrapolation by folding, Pauli twirling, dynamical decoupling, readout calibration; a
:class:`MitigationPlan` holding the extra circuits and the recipe to combine results;
runners for unmitigated and mitigated noisy simulation.
"""

from qcompile.mitigation.basis import NOISE_BASIS, to_noise_basis
from qcompile.circuit.schedule import idle_windows
from qcompile.mitigation.dd import insert_dd
from qcompile.mitigation.measure import joint_output, measurement_layout, tvd, with_final_measurements
from qcompile.mitigation.noise import NoiseSpec, NoiseSpecError, parse_noise, to_aer, to_cirq_noise
from qcompile.mitigation.plan import (DistributionEstimate, MethodChoice, MitigationPlan, PlannedCircuit,
                                      build_plan, choose_methods)
from qcompile.mitigation.readout import calibration_circuits, confusion_from_calibration, correct_readout
from qcompile.mitigation.runner import ideal_distribution, run_mitigated, run_noisy, run_plan
from qcompile.mitigation.twirl import twirl
from qcompile.mitigation.zne import MitigationError, extrapolate, extrapolation_weights, fold_gates, fold_global

__all__ = [
    "NOISE_BASIS", "to_noise_basis", "idle_windows", "insert_dd", "joint_output", "measurement_layout", "tvd",
    "with_final_measurements", "NoiseSpec", "NoiseSpecError", "parse_noise", "to_aer", "to_cirq_noise",
    "DistributionEstimate", "MethodChoice", "MitigationPlan", "PlannedCircuit", "build_plan", "choose_methods",
    "calibration_circuits", "confusion_from_calibration", "correct_readout", "ideal_distribution",
    "run_mitigated", "run_noisy", "run_plan", "twirl", "MitigationError", "extrapolate",
    "extrapolation_weights", "fold_gates", "fold_global",
]
