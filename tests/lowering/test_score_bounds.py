"""The row-wise (max-norm) alpha of attention scores bounds every score, on hostile inputs.

The exp polynomial is chosen for ``exp(a·t)`` on ``[−1, 1]`` with ``a`` the alpha of the
scores' diagonal encoding (:mod:`qcompile.qir.scores`); every score must satisfy
``|v_i| ≤ a`` for every admissible input, or the polynomial is evaluated outside the
interval it approximates exp on.  Here the scores the program computes are recorded for
random inputs, inputs at the declared bound, every token equal, and one token carrying the
whole norm.
"""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from qcompile.compiler import lower_quantum
from qcompile.lowering.inputs import prepare_matrices, random_input, scale_to_bound
from qcompile.qir.evaluate import run_numeric
from qcompile.qir.scores import argument_alpha, row_plan, uses_rows

ROOT = Path(__file__).resolve().parents[2]


def _hostile_inputs(model, rng):
    spec = model.inputs[0]
    out = [random_input(model, rng) for _ in range(12)]
    if spec.kind != "float":
        return out
    v = rng.normal(size=spec.shape[1:])
    out.append(scale_to_bound(spec, np.tile(v, (spec.shape[0], 1))))   # every token the same, at the bound
    one = np.zeros(spec.shape)
    one[-1] = v
    out.append(scale_to_bound(spec, one))                       # one token carries all it may
    for _ in range(6):                                          # random directions at the bound
        out.append(scale_to_bound(spec, rng.normal(size=spec.shape)))
    return out


@pytest.mark.parametrize("path,kind", [("examples/encoder_prenorm.qtf", "plain"),
                                       ("examples/encoder_block.qtf", "plain"),
                                       ("examples/protein_tiny.qtf", "plain"),
                                       ("tests/lowering/shapes/pre_unpad.qtf", "plain"),
                                       ("tests/lowering/shapes/qk_norm4.qtf", "grouped"),
                                       ("tests/lowering/shapes/rope_rows.qtf", "rotary")])
@pytest.mark.parametrize("level", [0, 1])
def test_scores_within_their_row_wise_alpha(path, kind, level):
    model = qcompile.load(ROOT / path)
    low = lower_quantum(ROOT / path, tolerance=1e-3, optimization=level)
    exps = [nl for nl in low.nonlinear if nl.function == "exp"]
    assert exps and all(uses_rows(nl.argument) for nl in exps)
    assert kind in {row_plan(t).kind for nl in exps for t in nl.argument.terms if row_plan(t)}
    for nl in exps:   # the polynomial is chosen for the row-wise alpha, below the 2-norm one
        assert nl.polynomial.input_alpha == pytest.approx(argument_alpha(nl.argument))
        assert argument_alpha(nl.argument) < nl.argument.alpha
    seen = {}

    def rule(nl, v):
        seen.setdefault(nl.node, []).append(float(np.max(np.abs(v))))
        return nl.polynomial(v)

    rng = np.random.default_rng(21)
    for x in _hostile_inputs(model, rng):
        run_numeric(low, prepare_matrices(model, low, x), rule)
    for nl in exps:
        worst = max(seen[nl.node])
        assert worst <= nl.polynomial.input_alpha
        assert worst > 0.05 * nl.polynomial.input_alpha          # the bound is not vacuous
