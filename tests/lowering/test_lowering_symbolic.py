"""The symbolic lowering (tensor IR -> staged linear forms) is exact linear algebra.

Evaluating the staged forms with NumPy, with the nonlinearities' exact functions in place
of polynomials, must reproduce the reference transformer run with those same functions as
its "surrogate" polynomials, to rounding, on every compilable example and on small models
that exercise softmax elimination (one head + layer norm) and causal masks.
"""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from example_registry import COMPILABLE, EXAMPLES, path
from qcompile.lowering.inputs import prepare_matrices
from qcompile.qir.evaluate import run_numeric
from qcompile.lowering.symbolic import lower
from qcompile.program import random_input
from qcompile.functions import function_names, get_function
from qcompile.reference.interpreter import bind_inputs, evaluate

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FUNCTIONS = {name: get_function(name) for name in function_names(language=False)}
MODELS = [Path(path(n)) for n in COMPILABLE if not EXAMPLES[n].stacked] + \
    [HERE / f"{n}.qtf" for n in ("att1", "attc", "att1c")]


class ExactFunction:
    """A 'polynomial' record that is the exact function (alpha is irrelevant here)."""

    alpha = 1.0
    degree = 0

    def __init__(self, name):
        self.f = FUNCTIONS[name]

    def __call__(self, x):
        return self.f(x)


def exact_policy(function, argument, node):
    return ExactFunction(function)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_staged_forms_equal_the_reference(path):
    model = qcompile.load(path)
    low = lower(model, model.output.token, exact_policy)
    low.verify()
    polys = {}
    for node, op in model.ir.nodes():
        if op.opname in ("softmax", "elementwise"):   # softmax: exp, or Gaussian attention's
            polys[node] = FUNCTIONS[op.function]
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = random_input(model, rng)
        outs = run_numeric(low, prepare_matrices(model, low, x), lambda nl, v: nl.polynomial(v))
        ref = evaluate(model.ir, model.weights, bind_inputs(model, x), "surrogate", polys)[model.ir.output]
        assert np.max(np.abs(outs[-1] - ref)) < 1e-11


def test_one_head_softmax_before_layernorm_is_eliminated():
    model = qcompile.load(HERE / "att1.qtf")
    low = lower(model, model.output.token, exact_policy)
    kinds = [st.glue.kind if st.glue else None for st in low.stages]
    assert kinds == ["normalize_scaled", None]   # no block_sum stage: 1/Z eliminated


def test_two_heads_need_a_softmax_stage():
    model = qcompile.load(ROOT / "examples" / "attention.qtf")
    low = lower(model, model.output.token, exact_policy)
    assert [st.glue.kind if st.glue else None for st in low.stages] == ["block_sum", "normalize", None]


def test_prenorm_normalises_every_row_first():
    model = qcompile.load(ROOT / "examples" / "encoder_prenorm.qtf")
    low = lower(model, model.output.token, exact_policy)
    assert low.stages[0].rows == "all" and low.stages[0].glue.kind == "normalize_rows"


def test_quantum_ir_text_is_deterministic():
    model = qcompile.load(ROOT / "examples" / "encoder_block.qtf")
    a = lower(model, 3, exact_policy).to_text()
    b = lower(model, 3, exact_policy).to_text()
    assert a == b and "stage 3" in a and "block_sum" in a


def test_one_token_lowering_does_not_see_through_a_stack():
    """The symbolic lowering follows one query token: a second layer's keys are every
    token's output of the first, so it refuses (compile() cuts the stack first: see
    tests/stacked)."""
    model = qcompile.load(ROOT / "examples" / "encoder_stack.qtf")
    with pytest.raises(qcompile.NotImplementedYetError):
        lower(model, model.output.token, exact_policy)
