"""The propagated error bound holds: polynomial surrogate vs exact model, per input.

The NumPy evaluation of the staged forms with the chosen polynomials is what the circuits
compute (checked elsewhere against the simulators); here the bound computed from it must
cover its distance to the exact transformer, for many random admissible inputs.
"""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from qcompile.lowering.inputs import prepare_matrices
from qcompile.lowering.polynomials import tolerance_policy
from qcompile.lowering.symbolic import lower
from qcompile.program import random_input
from qcompile.qir.bounds import program_error_bound
from qcompile.qir.evaluate import run_numeric

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("name,per_op", [("mlp", 1e-3), ("mlp_relu", 3e-2), ("attention_head", 1e-2),
                                         ("attention", 1e-3), ("encoder_block", 1e-3),
                                         ("encoder_prenorm", 1e-3), ("protein_tiny", 1e-3)])
def test_bound_covers_the_distance_to_the_exact_model(name, per_op):
    model = qcompile.load(ROOT / "examples" / f"{name}.qtf")
    low = lower(model, model.output.token, tolerance_policy(per_op))
    rng = np.random.default_rng(11)
    for _ in range(8):
        x = random_input(model, rng)
        outs = run_numeric(low, prepare_matrices(model, low, x), lambda nl, v: nl.polynomial(v))
        bound, per_stage = program_error_bound(low, outs)
        exact = qcompile.select_output(model, qcompile.reference(model, x))
        err = float(np.linalg.norm(outs[-1] - exact))
        assert err <= bound + 1e-12
        assert len(per_stage) == len(low.stages) and np.isfinite(bound)


@pytest.mark.parametrize("path,per_op", [("tests/lowering/shapes/rms53.qtf", 1e-2), ("examples/mlp_silu.qtf", 1e-2),
                                         ("tests/lowering/shapes/qk_gqa.qtf", 1e-3)])
def test_bound_with_polynomial_norms_covers_the_exact_model(path, per_op):
    """The term rule's norm bounds of a polynomial's values (sup|P| + ε per entry: the gated
    MLP's diag(silu(gate)), SiLU's output) keep the bound above the true distance."""
    model = qcompile.load(ROOT / path)
    low = lower(model, model.output.token, tolerance_policy(per_op))
    rng = np.random.default_rng(12)
    for _ in range(8):
        x = random_input(model, rng)
        outs = run_numeric(low, prepare_matrices(model, low, x), lambda nl, v: nl.polynomial(v))
        bound, _ = program_error_bound(low, outs)
        exact = qcompile.select_output(model, qcompile.reference(model, x))
        assert np.linalg.norm(outs[-1] - exact) <= bound


@pytest.mark.parametrize("path,per_op", [("tests/stacked/stack_prenorm.qtf", 1e-3), ("examples/gpt2_tiny.qtf", 1e-4),
                                         ("examples/llama_tiny.qtf", 1e-5)])
def test_stacked_bound_with_per_row_errors_covers_the_exact_model(path, per_op):
    """Stacks carry one error bound per row into the next segment (its layer norms divide
    each row by that row's norm with that row's error): the propagated bound still covers
    the distance of the whole stack's surrogate to the exact model, pre-LN GPT-2 and
    Llama (RMSNorm, SwiGLU, rotary, grouped-query attention) alike."""
    import qcompile.lowering.calibration as cal
    from qcompile.compiler import CompileOptions
    from qcompile.qir.fold import with_polynomials
    from qcompile.stacked import lower_stacked, stacked_numeric

    model = qcompile.load(ROOT / path)
    token = model.output.token
    real = cal.calibrate_jointly
    try:   # the structures alone; every piece then gets the same fixed per-op tolerance
        cal.calibrate_jointly = lambda structures, worst, tol, fixed: (structures, 0.0, (0.0, {}))
        stacked = lower_stacked(model, token, CompileOptions(0.5))   # rows bounded for any per-op ≤ 0.5
    finally:
        cal.calibrate_jointly = real
    lowered = {k: with_polynomials(st, tolerance_policy(per_op)) for k, st in stacked.structures.items()}
    rng = np.random.default_rng(13)
    for _ in range(4):
        x = random_input(model, rng)
        out, bound = stacked_numeric(stacked.segments, lowered, x)
        exact = qcompile.select_output(model, qcompile.reference(model, x))
        assert np.linalg.norm(out - exact) <= bound < 10.0


def test_bound_covers_eliminated_softmax():
    model = qcompile.load(HERE / "att1.qtf")
    low = lower(model, model.output.token, tolerance_policy(1e-2))
    rng = np.random.default_rng(5)
    for _ in range(8):
        x = random_input(model, rng)
        outs = run_numeric(low, prepare_matrices(model, low, x), lambda nl, v: nl.polynomial(v))
        bound, _ = program_error_bound(low, outs)
        exact = qcompile.select_output(model, qcompile.reference(model, x))
        assert np.linalg.norm(outs[-1] - exact) <= bound + 1e-12


def test_calibrated_compile_meets_the_tolerance_on_fresh_inputs():
    prog = qcompile.compile(ROOT / "examples" / "mlp.qtf", tolerance=1e-3)
    rng = np.random.default_rng(99)
    for _ in range(5):
        x = random_input(prog.model, rng)
        outs = run_numeric(prog.lowered, prog.matrices(x), lambda nl, v: nl.polynomial(v))
        bound, _ = program_error_bound(prog.lowered, outs)
        assert bound <= 1e-3


def test_input_independent_bound_gets_the_whole_tolerance():
    """A single-stage program's bound does not depend on the input, so calibration
    spends the whole tolerance on it (not a margin): mlp_relu's ReLU, whose degree grows
    like 1/ε, lands just below the tolerance instead of a quarter of it."""
    from qcompile.lowering.calibration import calibrate
    from qcompile.qir.bounds import input_independent

    model = qcompile.load(ROOT / "examples" / "mlp_relu.qtf")
    low, worst = calibrate(model, model.output.token, 1e-2)
    assert input_independent(low)
    assert 0.9e-2 <= worst <= 1e-2
    rng = np.random.default_rng(3)
    for _ in range(4):  # the same bound for every input, and it covers the exact model
        x = random_input(model, rng)
        outs = run_numeric(low, prepare_matrices(model, low, x), lambda nl, v: nl.polynomial(v))
        bound, _ = program_error_bound(low, outs)
        exact = qcompile.select_output(model, qcompile.reference(model, x))
        assert bound == pytest.approx(worst, rel=1e-12)
        assert np.linalg.norm(outs[-1] - exact) <= bound


def test_input_dependent_bound_keeps_the_margin():
    """With layer-norm glue the bound depends on the input: calibration keeps it below
    the margin on its samples."""
    from qcompile.lowering.calibration import CALIBRATION_MARGIN, calibrate
    from qcompile.qir.bounds import input_independent

    model = qcompile.load(ROOT / "examples" / "attention_head.qtf")
    low, worst = calibrate(model, model.output.token, 1e-2)
    assert not input_independent(low)
    assert worst <= CALIBRATION_MARGIN * 1e-2


def test_kinked_function_gets_the_budget():
    """With a ReLU beside an exp, the exp's share of the per-op tolerance is 1e-3: its
    degree grows by a few while the ReLU's (∝ 1/ε) keeps the budget."""
    from qcompile.lowering.polynomials import LOG_SHARE, tolerance_shares

    assert tolerance_shares(["exp", "gelu"]) == {"exp": 1.0, "gelu": 1.0}
    assert tolerance_shares(["exp", "relu"]) == {"exp": LOG_SHARE, "relu": 1.0}
    from qcompile.lowering.calibration import calibrate

    model = qcompile.load(ROOT / "tests" / "lowering" / "layer_relu.qtf")
    low, worst = calibrate(model, model.output.token, 1e-1)
    errors = {nl.function: nl.polynomial.error for nl in low.nonlinear}
    assert errors["exp"] <= 2 * LOG_SHARE * errors["relu"]
    assert worst <= 0.25 * 1e-1


@pytest.mark.parametrize("name", ["attention_head", "attention", "encoder_block", "encoder_prenorm", "mlp_silu"])
def test_circuit_errors_are_carried_through_every_glue(name):
    """A circuit that moves each stage's read-out by at most ``c_k`` (dropped rotations)
    moves the output by at most the bound with ``circuit_errors=c`` and no polynomial
    errors: every glue kind (softmax's block sums included) carries the read-out's error."""
    from qcompile.qir.evaluate import evaluate_stage, hand_on, surrogate_rule

    model = qcompile.load(ROOT / "examples" / f"{name}.qtf")
    low = lower(model, model.output.token, tolerance_policy(1e-3))
    rng = np.random.default_rng(13)
    for _ in range(6):
        x = random_input(model, rng)
        ideal = run_numeric(low, prepare_matrices(model, low, x), surrogate_rule)
        mats, vecs, outs, sizes = prepare_matrices(model, low, x), {}, [], []
        for st, clean in zip(low.stages, ideal):
            eta = rng.standard_normal(clean.shape)
            size = 1e-6 * max(float(np.linalg.norm(clean)), 1.0)
            out = evaluate_stage(st, mats, vecs, surrogate_rule) + size * eta / np.linalg.norm(eta)
            outs.append(out)
            sizes.append(size)
            hand_on(st.glue, out, mats, vecs)
        moved = float(np.linalg.norm(outs[-1] - ideal[-1]))
        bound, _ = program_error_bound(low, outs, None, sizes, polynomials=False)
        assert 0 < moved <= bound * (1 + 1e-9)   # rounding of the last stage's own perturbation
