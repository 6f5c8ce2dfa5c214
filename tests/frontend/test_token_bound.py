"""``input x: [seq, d] bound b per token``: every row's norm ≤ b.

The declaration reaches the loaders (the row bound that max-norm scores use), binding refuses
a token above it, random admissible inputs respect it, and mistakes get located errors.
"""

import math

import numpy as np
import pytest

import qcompile
from qcompile.errors import BindError, QtfSemanticError
from qcompile.lowering.inputs import random_input, scale_to_bound

BODY = "  y = attention(x, heads = 2)\n  output y[token = last]\n}\n"


def model(options: str):
    return qcompile.load("model m {\n  weights random(seed = 1)\n  input x: [4, 4] " + options + "\n"
                         + BODY, filename="/any/m.qtf")


def test_per_token_bound_implies_the_matrix_bound():
    spec = model("bound 2.0 per token").inputs[0]
    assert spec.row_bound == 2.0 and spec.bound == pytest.approx(2.0 * math.sqrt(4))


@pytest.mark.parametrize("options,bound,row", [("bound 3.0 bound 2.0 per token", 3.0, 2.0),
                                               ("bound 2.0 per token bound 9.0", 4.0, 2.0),
                                               ("bound 1.0 bound 2.0 per token", 1.0, 1.0)])
def test_both_bounds_keep_the_tighter(options, bound, row):
    spec = model(options).inputs[0]
    assert spec.bound == pytest.approx(bound) and spec.row_bound == pytest.approx(row)


def test_the_ir_prints_the_per_token_bound():
    from qcompile.ir.printer import print_graph
    assert "token_bound = 2" in print_graph(model("bound 2.0 per token").ir)


@pytest.mark.parametrize("text,fragment", [
    ("input x: [4, 4] bound 0 per token", "the bound must be a positive number"),
    ("input x: [4, 4] bound 1.0 per token bound 2.0 per token", "option 'bound ... per token' is given twice"),
    ("input x: int[4] vocab 5 bound 1.0 per token", "'bound ... per token' does not apply to this input"),
])
def test_mistakes_are_located(text, fragment):
    with pytest.raises(QtfSemanticError) as info:
        qcompile.load("model m {\n  weights random(seed = 1)\n  " + text + "\n  output x\n}\n",
                      filename="/any/bad.qtf")
    first = str(info.value).split("\n")[0]
    assert first.startswith("bad.qtf:3:") and fragment in first


def test_binding_refuses_a_token_above_its_bound():
    m = model("bound 2.0 per token")
    x = np.zeros((4, 4))
    x[1, 0] = 2.0                                   # at the bound: accepted
    qcompile.reference(m, x)
    x[1, 0] = 2.01                                  # ‖X‖_F = 2.01 ≤ 4, but token 1 is above 2
    with pytest.raises(BindError, match=r"token \(row 1\) of norm 2\.01, above its declared bound 2 per token"):
        qcompile.reference(m, x)


def test_random_and_scaled_inputs_are_admissible_and_reach_the_bound():
    m = model("bound 3.0 bound 2.0 per token")
    spec = m.inputs[0]
    rng = np.random.default_rng(3)
    xs = [random_input(m, rng) for _ in range(200)]
    rows = np.array([np.linalg.norm(x, axis=1) for x in xs])
    assert rows.max() <= spec.row_bound * (1 + 1e-12) and rows.max() > 0.9 * spec.row_bound
    assert max(np.linalg.norm(x) for x in xs) <= spec.bound * (1 + 1e-12)
    for x in xs[:20]:
        qcompile.reference(m, x)                     # binding accepts every one
    y = scale_to_bound(spec, rng.normal(size=spec.shape))
    assert max(np.linalg.norm(y) / spec.bound, np.linalg.norm(y, axis=1).max() / spec.row_bound) \
        == pytest.approx(1.0)


def test_the_scores_alpha_follows_the_per_token_bound(tmp_path):
    """The exp argument's alpha is the keys' row bound × the query's bound, so a per-token
    bound lowers it below what the matrix bound alone allows (every row ≤ ‖X‖_F)."""
    from qcompile.compiler import lower_quantum
    from qcompile.qir.scores import argument_alpha

    def exp_alpha(options):
        path = tmp_path / "m.qtf"
        path.write_text("model m {\n  weights random(seed = 1)\n  input x: [4, 4] " + options + "\n" + BODY)
        low = lower_quantum(path, tolerance=1e-3, optimization=1)
        return max(argument_alpha(nl.argument) for nl in low.nonlinear if nl.function == "exp")

    whole, two, one = exp_alpha("bound 4.0"), exp_alpha("bound 2.0 per token"), exp_alpha("bound 1.0 per token")
    assert one < two < whole
