"""IR-level fusion passes (``fold-linear-chains``, ``fold-constants``) on the quantum IR.

The unfolded quantum IR (one block encoding per weight and fixed map, -O0) and the IR
after each pass must compute the same vectors — checked against the reference transformer
with exact nonlinearities, before and after each pass — while the passes lower the number
of factors, terms and the subnormalisation alpha.
"""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from example_registry import COMPILABLE, EXAMPLES, path
from qcompile.qir import nodes as F
from qcompile.lowering.inputs import prepare_matrices
from qcompile.passes.manager import PassManager, get_pass
from qcompile.lowering.calibration import lower_structure
from qcompile.lowering.inputs import random_input
from qcompile.qir.evaluate import run_numeric
from qcompile.qir.fold import refold, with_polynomials
from qcompile.reference.interpreter import bind_inputs, evaluate

from test_lowering_symbolic import FUNCTIONS, exact_policy

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MODELS = [Path(path(n)) for n in COMPILABLE if not EXAMPLES[n].stacked] + \
    [HERE / f"{n}.qtf" for n in ("att1", "attc", "att1c")]


def _reference_error(model, lowered, seed=3, inputs=3) -> float:
    polys = {}
    for node, op in model.ir.nodes():
        if op.opname in ("softmax", "elementwise"):   # softmax: exp, or Gaussian attention's
            polys[node] = FUNCTIONS[op.function]
    low = with_polynomials(lowered, exact_policy)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(inputs):
        x = random_input(model, rng)
        out = run_numeric(low, prepare_matrices(model, low, x), lambda nl, v: nl.polynomial(v))[-1]
        ref = evaluate(model.ir, model.weights, bind_inputs(model, x), "surrogate", polys)[model.ir.output]
        worst = max(worst, float(np.max(np.abs(out - ref))))
    return worst


def _size(lowered):
    """(terms, factors, dense factors) over every form, nonlinear arguments included."""
    terms = factors = dense = 0
    seen = set()

    def visit(form):
        nonlocal terms, factors, dense
        for t in form.terms:
            terms += 1
            factors += len(t.factors)
            dense += sum(isinstance(f, F.Dense) for f in t.factors)
            if isinstance(t.source, F.Nonlinear) and id(t.source) not in seen:
                seen.add(id(t.source))
                visit(t.source.argument)

    for st in lowered.stages:
        visit(st.form)
    return terms, factors, dense


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_each_fold_pass_keeps_the_result(path):
    """Unfolded, after fold-linear-chains, after fold-constants: the same outputs as the
    reference (to rounding), and never more terms or factors."""
    model = qcompile.load(path)
    tok = model.output.token
    raw = lower_structure(model, tok, chains=False, constants=False)
    chains = refold(raw, chains=True, constants=False)
    both = refold(chains, chains=False, constants=True)
    for low in (raw, chains, both):
        low.verify()
        assert _reference_error(model, low) < 1e-10
    sizes = [_size(low) for low in (raw, chains, both)]
    assert sizes[1][1] <= sizes[0][1] and sizes[2][0] <= sizes[1][0]


def test_folding_lowers_alpha_on_attention():
    """On attention_head the folds remove block encodings and lower the score stage's
    alpha (‖W₂W₁‖ ≤ ‖W₂‖‖W₁‖; the exp argument's alpha is what the degree grows with)."""
    model = qcompile.load(ROOT / "examples" / "attention_head.qtf")
    tok = model.output.token
    raw = lower_structure(model, tok, chains=False, constants=False)
    folded = refold(refold(raw, True, False), False, True)
    arg = lambda low: next(s for s in low.stages[0].form.sources() if isinstance(s, F.Nonlinear)).argument  # noqa: E731
    assert arg(folded).alpha < arg(raw).alpha
    assert _size(folded)[2] < _size(raw)[2]


def test_fold_passes_are_registered_and_run_in_the_pass_manager():
    """The passes are named, listed and run by the pass manager on the quantum IR."""
    from qcompile.passes.lower_to_quantum import LowerToQuantum

    model = qcompile.load(ROOT / "examples" / "mlp.qtf")
    out = PassManager([LowerToQuantum(), get_pass("fold-linear-chains"), get_pass("fold-constants")]).run(model)
    assert all(nl.polynomial is None for nl in out.nonlinear)
    from qcompile.passes.manager import available_passes

    names = {n for n, _, _ in available_passes()}
    assert {"fold-linear-chains", "fold-constants", "select-polynomials", "lower-to-quantum"} <= names
