"""Success-probability figures (qcompile.success): the certified bounds hold on random and
extreme admissible inputs of every compiled example, each rule on a hand-made stage, and
the shot formula matches a simulated estimator."""

import math

import numpy as np
import pytest

from example_registry import COMPILABLE, EXAMPLES
from qcompile.lowering.inputs import scale_to_bound
from qcompile.success import (NormBounds, polynomial_min_abs, shots_for_precision, stage_norm_bounds,
                              success_bounds, success_report)

SINGLE = [n for n in COMPILABLE if not EXAMPLES[n].stacked]


def _inputs(model, rng, count: int):
    """Random admissible inputs, plus extreme ones for float inputs: norm 0 (≈), tiny, the bound."""
    from qcompile.lowering.inputs import random_input

    xs = [random_input(model, rng) for _ in range(count)]
    spec = model.inputs[0]
    if spec.kind == "float":
        v = rng.normal(size=spec.shape)
        xs += [scale_to_bound(spec, v, s) for s in (1e-9, 1e-3, 1.0)]
        one_row = np.zeros(spec.shape)
        one_row[0] = 1.0                                          # every other row 0
        xs.append(scale_to_bound(spec, one_row))
    return xs


@pytest.mark.parametrize("name", SINGLE)
def test_norm_bounds_hold_on_random_and_extreme_inputs(name, compiled_with_dumps):
    from qcompile.lowering.inputs import prepare_matrices
    from qcompile.qir.evaluate import run_numeric, surrogate_rule

    prog = compiled_with_dumps(name, 1).program
    lowered = prog.lowered
    bounds = stage_norm_bounds(lowered)
    rng = np.random.default_rng(11)
    for x in _inputs(prog.model, rng, 25):
        try:
            outs = run_numeric(lowered, prepare_matrices(prog.model, lowered, x), surrogate_rule)
        except Exception as exc:       # an input the glue refuses (layer norm of 0) is not admissible
            assert "BindError" in type(exc).__name__ or "undefined" in str(exc)
            continue
        for st, out, nb in zip(lowered.stages, outs, bounds):
            norm = float(np.linalg.norm(out))
            assert nb.low * (1 - 1e-9) <= norm <= nb.high * (1 + 1e-9) + 1e-12, (st.index, norm, nb)


@pytest.mark.parametrize("name", ["attention", "encoder_block"])
def test_the_softmax_stage_has_a_positive_bound(name, compiled_with_dumps):
    """exp stays positive on the scores' range: the numerator stage is bounded below."""
    prog = compiled_with_dumps(name, 1).program
    sb = success_bounds(prog.lowered)[0]
    assert 0 < sb.low < 1e-3 and sb.reason == ""


def test_run_figures_hold_the_bound(compiled_with_dumps):
    import qcompile

    prog = compiled_with_dumps("attention_head", 1).program
    run = prog.run(qcompile.program.random_input(prog.model, np.random.default_rng(2)))
    rows = success_report(prog, run)
    assert [r.bound_holds for r in rows] == [True, True]
    for r, s in zip(rows, run.stages):
        assert r.p == r.p_run == s.success_probability and r.queries == 1
        assert math.isclose(r.repetitions, 1 / r.p) and r.shots == math.ceil(1 / (r.p * 1e-4))


def _stage(form, glue=None, index=0):
    from qcompile.qir.program import Stage

    return Stage(index, form, "one", glue)


class _IR:
    def __init__(self, stages):
        self.stages, self.token = stages, 0


def test_each_rule_on_a_hand_made_stage():
    from qcompile.qir.glue import BlockSum, Normalize
    from qcompile.qir.nodes import Const, Dense, Form, InputRow, StageInput, Term

    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 3))
    c = rng.normal(size=3)
    s = np.linalg.svd(w, compute_uv=False)
    tall = rng.normal(size=(2, 3))          # wide: a kernel
    stage0 = _stage(Form(3, (Term(2.0, (Dense(w, "dilation"),), Const(c)),)), Normalize("v", eps=0.0))
    stage1 = _stage(Form(3, (Term(1.0, (Dense(w, "dilation"),), StageInput("v", 3, 1.0, 0)),
                             Term(-0.1, (), Const(c)))), BlockSum("a", blocks=1), 1)
    stage2 = _stage(Form(2, (Term(1.0, (Dense(tall, "dilation"),), StageInput("a", 3, 2.0, 1)),)), None, 2)
    stage3 = _stage(Form(3, (Term(1.0, (), InputRow("x", 2, 3, 5.0, 0)),)), None, 3)
    b = stage_norm_bounds(_IR([stage0, stage1, stage2, stage3]))
    n = np.linalg.norm(c)
    assert b[0].low == pytest.approx(2 * s[-1] * n) and b[0].high == pytest.approx(2 * s[0] * n)
    # a unit vector through W, minus a constant: reverse triangle inequality
    assert b[1].low == pytest.approx(max(0.0, s[-1] - 0.1 * n)) and b[1].high == pytest.approx(s[0] + 0.1 * n)
    # a softmax block of 3 sums to 1: norm ≥ 1/√3; a wide matrix has a kernel
    assert b[2].low == 0.0 and "kernel" in b[2].reason
    assert b[3] == NormBounds(0.0, 5.0, b[3].reason) and "may be 0" in b[3].reason


def test_polynomial_min_abs_against_a_grid():
    from qcompile.quantum.polynomials import Polynomial

    rng = np.random.default_rng(5)
    for _ in range(20):
        coef = rng.normal(size=7)
        coef[0] += 4.0 * rng.choice([-1, 1])      # often root-free near 0
        p = Polynomial(tuple(coef))
        r = float(rng.uniform(0.05, 1.0))
        grid = np.abs(p(np.linspace(-r, r, 200001)))
        m = polynomial_min_abs(p, r)
        assert m <= grid.min() + 1e-12
        assert m >= grid.min() - 1e-6 or m == 0.0
        if grid.min() > 1e-3:
            assert m > 0


def test_shot_formula_matches_a_simulated_estimator():
    """ŷ_k = α√(n_k/S): its RMS error stays within ε‖y‖ per entry with S = ⌈1/(pε²)⌉, even
    for an entry seen about once (where the delta method's α/(2√S) fails)."""
    rng = np.random.default_rng(1)
    alpha, y = 3.0, np.array([0.3, -0.2, 0.1, 0.02])
    p = float(y @ y) / alpha**2
    eps = 0.1
    shots = int(shots_for_precision(p, eps))
    assert shots == math.ceil(1 / (p * eps**2))
    pi = np.concatenate([y**2 / alpha**2, [1 - p]])
    counts = rng.multinomial(shots, pi, size=20000)[:, :4]
    rms = np.sqrt(np.mean((alpha * np.sqrt(counts / shots) - np.abs(y)) ** 2, axis=0)) / np.linalg.norm(y)
    assert np.all(rms <= eps)
    assert rms.max() >= 0.4 * eps        # large counts: about ε/2; the bound is not loose by more


def test_amplified_shot_formula_matches_a_simulated_estimator():
    """ŷ_k = α·g⁻¹(√(K/S))·√(n_k/K) for an amplified stage: RMS within ε‖y‖ at S = ⌈κ²/(p_run ε²)⌉."""
    from qcompile.quantum.amplify import design_monotone

    response = design_monotone(0.02, 0.5)
    rng = np.random.default_rng(2)
    alpha, y = 4.0, np.array([0.5, -0.3, 0.2, 0.1])
    p = float(y @ y) / alpha**2
    p_run = float(response.success(p))
    eps = 0.05
    shots = int(shots_for_precision(p_run, eps, response, p))
    u2 = y**2 / (y @ y)
    kept = rng.binomial(shots, p_run, size=4000)
    est = []
    for k in kept:
        x = response.invert(math.sqrt(k / shots))
        est.append(alpha * x * np.sqrt(rng.multinomial(k, u2) / k))
    rms = np.sqrt(np.mean((np.array(est) - np.abs(y)) ** 2, axis=0)) / np.linalg.norm(y)
    assert np.all(rms <= eps)
    assert shots < math.ceil(1 / (p * eps**2)) * 10      # the same order as the plain figure
