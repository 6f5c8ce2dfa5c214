"""Cutting a model into segments (stacked layers) and the numeric stack: no circuits."""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from qcompile.compiler import CompileOptions
from qcompile.errors import QcompileError
from qcompile.lowering.inputs import random_input
from qcompile.lowering.polynomials import alpha_bound
from qcompile.lowering.segments import find_cut, prefix_model, suffix_model
from qcompile.stacked import lower_stacked, stacked_numeric

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def test_cut_is_the_previous_layers_output():
    """encoder_stack is cut at layer 0's last layer norm; a single layer needs no cut; a
    pre-LN stack (GPT-2) is cut at the residual sum every later value depends on."""
    stack = qcompile.load(ROOT / "examples" / "encoder_stack.qtf")
    cut = find_cut(stack.ir)
    assert stack.ir.op(cut).opname == "layernorm"
    assert "layers.0" in stack.ir.op(cut).weight
    assert find_cut(qcompile.load(ROOT / "examples" / "encoder_block.qtf").ir) is None
    gpt2 = qcompile.load(ROOT / "examples" / "gpt2_small.qtf")
    assert gpt2.ir.op(find_cut(gpt2.ir)).opname == "add"


def test_segments_compose_to_the_model():
    """The prefix's every-token output fed to the suffix gives the model's output (exact
    reference), and both segments are well-formed IR."""
    model = qcompile.load(ROOT / "examples" / "encoder_stack.qtf")
    cut = find_cut(model.ir)
    head = prefix_model(model, cut)
    tail = suffix_model(model, cut, bound=100.0)
    head.model.ir.verify()
    tail.model.ir.verify()
    assert find_cut(tail.model.ir) is None
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = random_input(model, rng)
        rows = qcompile.reference(head.model, x)
        assert np.allclose(qcompile.reference(tail.model, rows), qcompile.reference(model, x), atol=1e-12)


def test_numeric_stack_equals_the_surrogate_and_the_bound_covers_the_exact_model():
    """The jointly calibrated quantum IR of the example stack, evaluated in NumPy, is the
    surrogate reference of the whole model (every token); its propagated bound covers the
    distance to the exact model and stays within the tolerance's margin."""
    model = qcompile.load(ROOT / "examples" / "encoder_stack.qtf")
    tol = 0.5
    stacked = lower_stacked(model, "all", CompileOptions(tol))
    segments, lowered = stacked.segments, stacked.lowered
    assert [len(s.tokens) for s in segments] == [4, 4]
    polys = {}
    for seg in segments:
        for low in (lowered[(seg.index, t)] for t in seg.tokens):
            for nl in low.nonlinear:
                polys[seg.node_map[nl.node]] = nl.polynomial
    rng = np.random.default_rng(8)
    for _ in range(3):
        x = random_input(model, rng)
        out, bound = stacked_numeric(segments, lowered, x, all_tokens=True)
        sur = qcompile.reference(model, x, mode="surrogate", polynomials=polys)
        exact = qcompile.reference(model, x)
        assert np.max(np.abs(out - sur)) <= 1e-10
        assert np.linalg.norm(out - exact) <= bound
        assert bound <= tol


def test_stack_at_a_tolerance_beyond_the_degree_limit_is_a_clear_error():
    """ReLU's degree grows like 1/ε: encoder_stack at 1e-3 is refused with the degree
    it would need and the advice to loosen the tolerance."""
    model = qcompile.load(ROOT / "examples" / "encoder_stack.qtf")
    with pytest.raises(QcompileError, match="degree limit.*looser --tolerance"):
        lower_stacked(model, "all", CompileOptions(1e-3))


def test_prenorm_rows_bound_covers_every_calibrated_alpha():
    """A pre-LN layer's output is a residual sum whose alpha depends on the polynomials
    chosen later: the rows' bound the next segment loads (alpha_bound, before calibration)
    is at least every calibrated alpha, at a loose and a tight tolerance."""
    model = qcompile.load(HERE / "stack_prenorm.qtf")
    for tol in (0.1, 1e-3):
        stacked = lower_stacked(model, 1, CompileOptions(tol))
        head, tail = stacked.segments
        bounds = [alpha_bound(stacked.structures[(0, t)].stages[-1].form, tol) for t in head.tokens]
        alphas = [stacked.lowered[(0, t)].stages[-1].alpha for t in head.tokens]
        assert all(a <= b for a, b in zip(alphas, bounds))
        assert tail.model.inputs[0].bound == pytest.approx(np.sqrt(sum(b * b for b in bounds)), rel=1e-12)
