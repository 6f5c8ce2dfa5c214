"""Coherent mode (qcompile.coherent): one circuit, the softmax normaliser absorbed.

* the state check: the one circuit's post-selected output register, times alpha, is
  ``(Z·y, Z)`` with ``Z`` the sum of the polynomial exp over the keys (computed here from the
  weights) and ``y`` the surrogate reference, on Qiskit and Cirq, for random inputs;
* the algebra on attention_head: the coherent quantum IR evaluates to the staged program's
  output (same polynomials) for random and extreme inputs;
* the read-out rule's error bound holds against adversarial perturbations;
* verification of linear, mlp and a small single-head attention on both backends;
* refused models get a sentence naming what is missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qcompile
from qcompile.coherent import make_coherent
from qcompile.compiler import lower_quantum
from qcompile.errors import IRVerifyError, NotImplementedYetError
from qcompile.lowering.inputs import prepare_matrices, random_input
from qcompile.qir.evaluate import run_numeric, surrogate_rule
from qcompile.qir.glue import ScaledOutput
from qcompile.verification import verify

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
HEAD2 = str(HERE / "head2.qtf")


def example(name: str) -> str:
    return str(ROOT / "examples" / f"{name}.qtf")


@pytest.fixture(scope="module")
def head2():
    return qcompile.compile(HEAD2, coherent=True)


def _z(program, x) -> float:
    """``Σ_s P(score_s)`` from the weights (independent of the lowering)."""
    w = program.model.weights
    j = program.token
    q = x @ w["q_proj.weight"].T + w["q_proj.bias"]
    k = x @ w["k_proj.weight"].T + w["k_proj.bias"]
    scores = 0.7 * (k @ q[j])
    (nl,) = program.nonlinear
    return float(np.sum(nl.polynomial(scores)))


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_one_circuit_holds_z_times_output_and_z(head2, backend):
    from qcompile.circuit.ir import register_indices
    from qcompile.simulate import statevector

    assert len(head2.stages) == 1 and head2.stats()["qubits"] <= 16
    sc = head2.stages[0]
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = random_input(head2.model, rng)
        sv = statevector(sc.circuit, backend, values=head2.stage_values(x, 0))
        held = sc.alpha * sv[register_indices(sc.output)][:sc.info["dim"]]
        z = _z(head2, x)
        _, sur = head2.references(x)
        assert np.max(np.abs(held.imag)) < 1e-10
        np.testing.assert_allclose(held.real, np.append(z * sur, z), atol=1e-9)


def test_attention_head_algebra_equals_the_staged_program():
    staged = lower_quantum(example("attention_head"))
    coherent = make_coherent(staged)
    coherent.verify()
    assert len(staged.stages) == 2 and len(coherent.stages) == 1
    rng = np.random.default_rng(3)
    xs = [random_input(staged_model(), rng) for _ in range(10)]
    xs += [np.full((4, 4), 0.5), np.eye(4) * 1e-6, np.diag([1.0, -1.0, 1.0, -1.0])]   # ‖X‖_F = 2: the bound
    for x in xs:
        mats = prepare_matrices(staged_model(), staged, x)
        want = run_numeric(staged, mats, surrogate_rule)[-1]
        v = run_numeric(coherent, mats, surrogate_rule)[-1]
        np.testing.assert_allclose(coherent.stages[0].glue.apply(v), want, rtol=1e-12, atol=1e-12)


def staged_model():
    from qcompile.compiler import prepare

    return prepare(example("attention_head"))[0]


def test_scaled_output_bound_holds_on_adversarial_perturbations():
    rng = np.random.default_rng(11)
    glue = ScaledOutput("output")
    worst = 0.0
    for _ in range(2000):
        d = int(rng.integers(1, 6))
        y = rng.normal(size=d) * rng.choice([1e-3, 1.0, 30.0])
        z = float(rng.choice([1e-2, 1.0, 50.0]) * rng.uniform(0.5, 2))
        v = np.append(z * y, z)
        delta = float(rng.choice([1e-9, 1e-4, 1e-2])) * z
        # adversarial: along (−ỹ, 1)-like directions, which the Cauchy–Schwarz step is tight for
        direction = rng.normal(size=d + 1) if rng.random() < 0.5 else np.append(-y, 1.0) * rng.choice([-1, 1])
        step = delta * direction / np.linalg.norm(direction)
        observed = v + step
        if observed[-1] <= 0:
            continue
        bound = glue.error(observed, delta, None, None)
        moved = float(np.linalg.norm(glue.apply(observed) - y))
        assert moved <= bound * (1 + 1e-9) + 1e-15
        worst = max(worst, moved / bound if bound else 0.0)
    assert worst > 0.5   # the bound is not vacuous on these perturbations


def test_final_glue_only_on_the_last_stage():
    staged = lower_quantum(example("attention_head"))
    bad = type(staged)(staged.model_name, staged.token,
                       [staged.stages[0].__class__(0, staged.stages[0].form, "one", ScaledOutput("output")),
                        staged.stages[1]], staged.matrix_inputs, staged.nonlinear, staged.output_dim)
    with pytest.raises(IRVerifyError):
        bad.verify()


@pytest.mark.parametrize("name", ["linear", "mlp"])
def test_one_stage_examples_are_already_one_circuit(name):
    coherent = qcompile.compile(example(name), coherent=True)
    staged = qcompile.compile(example(name))
    assert len(coherent.stages) == 1
    assert coherent.stats()["cx"] == staged.stats()["cx"]
    report = verify(coherent, inputs=3, backends=("qiskit", "cirq"))
    assert report.ok, report.summary()


def test_single_head_attention_verifies_on_both_backends(head2):
    report = verify(head2, inputs=4, backends=("qiskit", "cirq"), seed=5)
    assert report.ok, report.summary()
    assert report.summary()["max_surrogate_error"] < 1e-8


def test_shots_sample_the_register_of_y_and_1(head2):
    report = verify(head2, inputs=1, backends=("qiskit",), shots=4000, seed=2)
    assert report.ok and all(r.shots_ok for r in report.rows)


@pytest.mark.parametrize("name, says", [
    ("encoder_block", "softmax of 2 heads"),
    ("attention", "softmax of 2 heads"),
    ("encoder_stack", "several programs"),
])
def test_refused_models_say_why(name, says):
    with pytest.raises(NotImplementedYetError, match=says) as info:
        qcompile.compile(example(name), coherent=True, tolerance=0.5)
    assert "coherent mode (one circuit)" in str(info.value) and "without --coherent" in str(info.value)


def test_layer_norm_is_refused():
    with pytest.raises(NotImplementedYetError, match="layer norm"):
        lower_quantum(str(ROOT / "tests" / "lowering" / "att1.qtf"), coherent=True)


def test_softmax_feeding_a_nonlinearity_is_refused():
    src = (Path(HEAD2).read_text().replace("model head2", "model head2g")
           .replace("y = linear(x + matmul(p, v)", "y = linear(gelu(matmul(p, v))"))
    with pytest.raises(NotImplementedYetError, match="feeds a nonlinearity"):
        lower_quantum(src, coherent=True)


def test_cli_refuses_with_a_sentence(capsys):
    from qcompile.cli import main

    rc = main(["verify", example("encoder_block"), "--coherent", "--inputs", "1"])
    err = capsys.readouterr().err
    assert rc != 0
    assert "coherent mode (one circuit) of model encoder_block is not implemented yet" in err
    assert "Traceback" not in err


def test_cli_run_prints_coherent_beside_staged(tmp_path, capsys):
    from qcompile.cli import main

    x = tmp_path / "x.npy"
    np.save(x, np.array([[0.3, -0.5], [0.8, 0.1]]))
    assert main(["run", HEAD2, "--bind", str(x), "--coherent"]) == 0
    out = capsys.readouterr().out
    assert "coherent vs staged" in out
    rows = [line for line in out.splitlines() if line.strip("│ ").startswith(("staged", "coherent"))]
    assert len(rows) == 2


def test_resources_count_the_coherent_circuit_exactly_at_O0():
    from qcompile.circuit.metrics import cx_count
    from qcompile.resources.api import estimate

    prog = qcompile.compile(HEAD2, optimization=0, coherent=True)
    rep = estimate(HEAD2, mode="compiled", optimization=0, coherent=True)
    (r,), (sc,) = rep.stages, prog.stages
    assert (r.qubits, r.cx, r.gates) == (sc.circuit.num_qubits, cx_count(sc.circuit), sc.circuit.count_ops())
    assert rep.exactness["cx"] == "exact"


def test_resources_abstract_mode_builds_the_coherent_form():
    from qcompile.resources.api import estimate

    staged = estimate(example("attention_head"), mode="abstract")
    coherent = estimate(example("attention_head"), mode="abstract", coherent=True)
    assert len(staged.stages) == 2 and len(coherent.stages) == 1


def test_program_json_states_the_read_out_rule(head2):
    d = head2.describe()
    assert len(d["stages"]) == 1 and d["stages"][0]["glue"]["kind"] == "scaled_output"
    assert "then the read-out rule: the output is the read-out vector without its last entry" in d["output"]
