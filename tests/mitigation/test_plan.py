"""Method choice, the mitigate pass, and end-to-end mitigation on a 5-qubit LCU linear layer."""

import numpy as np
import pytest

from qcompile.errors import PassError
from qcompile.mitigation import (MitigationError, build_plan, choose_methods, ideal_distribution, run_mitigated,
                                 run_noisy, to_noise_basis, tvd)
from qcompile.passes import PassManager, parse_pipeline

from mitigation_support import NOISE


def _used(choices):
    return {c.method for c in choices if c.use}


def test_choose_methods_follows_the_error_rates(linear_layer):
    stage = linear_layer[0]
    circuit = to_noise_basis(stage.circuit)
    assert _used(choose_methods(NOISE, circuit)) == {"zne", "readout"}
    assert _used(choose_methods("depolarizing:0,0,readout:0.02", circuit)) == {"readout"}
    assert _used(choose_methods("depolarizing:1e-7,1e-7", circuit)) == set()
    too_noisy = choose_methods("depolarizing:1e-2,5e-2", circuit)
    assert "zne" not in _used(too_noisy)
    assert all(c.reason for c in too_noisy)
    assert "idle" in next(c.reason for c in too_noisy if c.method == "dd")


def test_plan_circuit_roles_and_counts(linear_layer):
    stage, _, _ = linear_layer
    plan = build_plan(stage, "zne+twirl+dd+readout", twirls=3)
    roles = [pc.role for pc in plan.circuits]
    assert roles.count("execute") == 9 and roles.count("calibrate-0") == 1 and roles.count("calibrate-1") == 1
    assert plan.scales == (1.0, 3.0, 5.0)
    assert [m for m, _ in plan.reasons] == ["zne", "twirl", "dd", "readout"]
    with pytest.raises(MitigationError, match="unknown mitigation method"):
        build_plan(stage, "zne+magic")
    with pytest.raises(MitigationError, match="needs a noise model"):
        build_plan(stage, "auto")


def test_every_planned_circuit_is_ideally_the_stage(loader):
    stage, values, _ = loader
    plan = build_plan(stage, "zne+twirl+dd+readout", twirls=2)
    ideal = ideal_distribution(stage, values)
    results = [np.asarray(r) for r in _exact_ideal(plan, values)]
    got = plan.combine(results)
    np.testing.assert_allclose(got.distribution, ideal.distribution, atol=1e-10)
    assert got.postselection_rate == pytest.approx(ideal.postselection_rate, abs=1e-10)


def _exact_ideal(plan, values):
    from qcompile.mitigation.simulators import exact_distribution

    return [exact_distribution(c, "depolarizing:0,0") for c in plan.bound_circuits(values)]


def test_mitigate_pass_attaches_plan_and_keeps_the_circuit(linear_layer):
    stage = linear_layer[0]
    (p,) = parse_pipeline('mitigate{methods=zne+twirl+dd+readout,twirls=2}')
    pm = PassManager([p], verify=True)
    out = pm.run(stage)
    assert out.to_text() == stage.to_text()
    assert out.circuit.gates == stage.circuit.gates
    assert "mitigation" not in stage.info
    plan = out.info["mitigation"]
    assert plan.methods == ("zne", "twirl", "dd", "readout")
    assert pm.properties["mitigation"]["circuits"] == len(plan.circuits)


def test_mitigate_pass_auto_and_errors(linear_layer):
    stage = linear_layer[0]
    (p,) = parse_pipeline(f'mitigate{{noise="{NOISE}"}}')
    out = PassManager([p]).run(stage)
    assert out.info["mitigation"].methods == ("zne", "readout")
    with pytest.raises(PassError, match="needs a noise model"):
        PassManager(parse_pipeline("mitigate")).run(stage)
    with pytest.raises(PassError, match="odd integer"):
        PassManager(parse_pipeline("mitigate{methods=zne,scales=1+2}")).run(stage)


def test_mitigation_lowers_the_error_on_the_linear_layer(linear_layer):
    """Exact density matrices (no shot noise): mitigated TVD well below unmitigated."""
    stage, values, y = linear_layer
    ideal = ideal_distribution(stage, values)
    np.testing.assert_allclose(ideal.distribution, y**2 / np.sum(y**2), atol=1e-10)
    raw = run_noisy(stage, None, "qiskit", NOISE, values=values)
    plan = build_plan(stage, "auto", NOISE, twirls=2)
    fixed = run_mitigated(stage, plan, None, "qiskit", NOISE, values=values)
    before = tvd(raw.distribution, ideal.distribution)
    after = tvd(fixed.distribution, ideal.distribution)
    assert before > 0.05
    assert after <= 0.5 * before
    assert abs(fixed.postselection_rate - ideal.postselection_rate) < abs(raw.postselection_rate - ideal.postselection_rate)


def test_sampled_mitigation_on_cirq_beats_unmitigated(loader):
    """Cirq sampling, 3-qubit loader under heavier noise (so the bias dominates the shot noise)."""
    stage, values, _ = loader
    noise = "depolarizing:2e-3,3e-2,readout:5e-2"
    ideal = ideal_distribution(stage, values).distribution
    raw = run_noisy(stage, 20000, "cirq", noise, seed=1, values=values).distribution
    plan = build_plan(stage, "zne+readout", noise)
    fixed = run_mitigated(stage, plan, 20000, "cirq", noise, seed=1, values=values).distribution
    assert tvd(fixed, ideal) < tvd(raw, ideal)


def test_dd_removes_idle_phase_error_and_is_chosen_for_it(linear_layer):
    """Exact simulation with a coherent idle error only: DD (echo-spaced X pulses) cancels it."""
    stage, values, _ = linear_layer
    noise = "depolarizing:0,0,idle:0.005"
    ideal = ideal_distribution(stage, values).distribution
    raw = tvd(run_noisy(stage, None, "qiskit", noise, values=values).distribution, ideal)
    plan = build_plan(stage, "auto", noise)
    assert plan.methods == ("dd",)
    fixed = tvd(run_mitigated(stage, plan, None, "qiskit", noise, values=values).distribution, ideal)
    assert raw > 0.05
    assert fixed <= 0.25 * raw
