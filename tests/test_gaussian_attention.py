"""Gaussian projected attention (QSANN's weights exp(−(q_t − k_s)²), ``attention(x, heads = h,
kind = gaussian)``): the language construct, the NumPy reference against an independent
PyTorch implementation of the formula, the polynomial degree estimate, the normalised
weights' error bound, and its resource figures at GPT-2-small dimensions."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from example_registry import path

import qcompile
from qcompile.errors import QtfSemanticError
from qcompile.lowering.inputs import random_input
from qcompile.reference import kernels
from qcompile.reference.interpreter import reference

torch = pytest.importorskip("torch")

SOURCE = """model g {{
  dim seq = 5, d_model = 8, heads = {heads}
  weights random(seed = 3)
  input x: [seq, d_model] bound 2.0
  a = attention(x, heads = heads, causal = {causal}, kind = gaussian{extra})
  y = layernorm(x + a)
  output y[token = last]
}}"""


def _torch_gaussian_block(x, w, heads, causal, scale=1.0):
    """The formula written out in PyTorch: per head one scalar query and key, weights
    softmax(−(q_t − k_s)²) over s (= exp(−(q−k)²)/Σ_s exp(−(q−k)²)), causal mask, values,
    output projection, residual, layer norm."""
    t = {k: torch.tensor(np.asarray(v), dtype=torch.float64) for k, v in w.items()}
    x = torch.tensor(x, dtype=torch.float64)
    seq, d = x.shape
    q = (x @ t["self_attn.q_proj.weight"].T + t["self_attn.q_proj.bias"]) * scale    # [seq, heads]
    k = (x @ t["self_attn.k_proj.weight"].T + t["self_attn.k_proj.bias"]) * scale
    v = x @ t["self_attn.v_proj.weight"].T + t["self_attn.v_proj.bias"]
    dh = d // heads
    out = torch.empty(seq, d, dtype=torch.float64)
    for h in range(heads):
        logits = -(q[:, h, None] - k[None, :, h]) ** 2
        if causal:
            logits = logits.masked_fill(torch.triu(torch.ones(seq, seq, dtype=torch.bool), 1), -math.inf)
        out[:, h * dh:(h + 1) * dh] = torch.softmax(logits, dim=-1) @ v[:, h * dh:(h + 1) * dh]
    a = out @ t["self_attn.o_proj.weight"].T + t["self_attn.o_proj.bias"]
    y = torch.nn.functional.layer_norm(x + a, (d,), t["norm1.weight"], t["norm1.bias"], eps=1e-5)
    return y.numpy()


@pytest.mark.parametrize("heads,causal", [(1, "false"), (2, "true"), (4, "true")])
def test_reference_equals_an_independent_pytorch_formula(heads, causal):
    model = qcompile.load(SOURCE.format(heads=heads, causal=causal, extra=""))
    rng = np.random.default_rng(heads)
    for _ in range(3):
        x = random_input(model, rng)
        want = _torch_gaussian_block(x, model.weights, heads, causal == "true")
        assert np.max(np.abs(reference(model, x) - want)) < 1e-12


def test_reference_does_not_underflow_when_every_key_is_far():
    """Scaled-up projections put every (q − k)² far beyond exp's range; the reference shifts
    by the row's smallest one (same weights) where a plain exp(−(q−k)²) would give 0/0."""
    model = qcompile.load(SOURCE.format(heads=2, causal="true", extra=""))
    w = dict(model.weights)
    for name in ("self_attn.q_proj.weight", "self_attn.q_proj.bias"):
        w[name] = np.asarray(w[name]) * 400.0
    model = dataclasses.replace(model, weights=w)
    x = random_input(model, np.random.default_rng(0))
    got = reference(model, x)
    want = _torch_gaussian_block(x, model.weights, 2, True)
    assert np.all(np.isfinite(got)) and np.max(np.abs(got - want)) < 1e-9


def test_surrogate_kernel_applies_the_polynomial_to_raw_values_and_masks_to_zero():
    x = np.array([[0.3, -np.inf, 1.2], [0.0, 0.5, -0.5]])
    p = lambda v: 1.0 - v * v / 2        # any even "polynomial"
    got = kernels.gaussian_softmax(x, gauss=p)
    e = np.where(np.isneginf(x), 0.0, p(np.where(np.isneginf(x), 0.0, x)))
    assert np.array_equal(got, e / e.sum(axis=1, keepdims=True))
    with pytest.raises(ValueError, match="all -inf"):
        kernels.gaussian_softmax(np.full((1, 2), -np.inf))


@pytest.mark.parametrize("extra,match", [
    (", projections = fused", "projections = separate"),
    (", rope = true", "no rope"),
    (", qk_norm = true", "no rope, qk_norm"),
    (", kv_heads = 1", "kv_heads"),
])
def test_options_gaussian_attention_cannot_take(extra, match):
    with pytest.raises(QtfSemanticError, match=match):
        qcompile.load(SOURCE.format(heads=2, causal="true", extra=extra))


def test_unknown_attention_kind_is_refused():
    with pytest.raises(QtfSemanticError, match="softmax, gaussian"):
        qcompile.load(SOURCE.format(heads=2, causal="true", extra="").replace("gaussian", "cosine"))


def test_gaussian_weights_are_named_like_hugging_face_separate_projections():
    model = qcompile.load(path("attention_gaussian"))
    shapes = model.ir.weight_shapes()
    assert shapes["self_attn.q_proj.weight"] == (2, 4) and shapes["self_attn.k_proj.bias"] == (2,)
    assert shapes["self_attn.v_proj.weight"] == (4, 4) and shapes["self_attn.o_proj.weight"] == (4, 4)


@pytest.mark.parametrize("a", [0.3, 3.0, 40.0, 250.0])
@pytest.mark.parametrize("tol", [1e-3, 1e-8])
def test_gaussian_degree_is_the_chebyshev_tail_and_bounds_the_fit(a, tol):
    """The closed-form Bessel coefficients give the DCT's degree; the compiler's interpolant
    meets the tolerance at that degree or below, and is even."""
    from qcompile.functions import get_function
    from qcompile.quantum.degrees import chebyshev_tail_degree, gaussian_degree

    g = get_function("gaussian")
    d, err = gaussian_degree(a, tol)
    assert (d, pytest.approx(err, rel=1e-3)) == chebyshev_tail_degree(g, a, tol)
    assert d % 2 == 0 and err <= tol
    if d <= 2000:
        p = g.polynomial(a, tol, 4000)
        assert p.degree <= d and p.definite_parity == "even"


def test_gaussian_weights_bound_holds_on_adversarial_scores():
    """Normalised weights f(s)/Σf(s) with f = exp(−x²) move by at most ½·sup|f'/f|·‖Δs‖ =
    α‖Δs‖ when s and s + Δs lie in [−α, α] (glue.BlockSum): random points, and Δs along the
    top singular vector of the Jacobian (the steepest direction)."""
    from qcompile.functions import get_function

    lip = get_function("gaussian").log_lipschitz
    rng = np.random.default_rng(5)

    def weights(s):
        return kernels.gaussian_softmax(s)

    worst = 0.0
    for _ in range(400):
        alpha = float(rng.choice([0.5, 2.0, 6.0]))
        n = int(rng.integers(2, 9))
        s = rng.uniform(-alpha, alpha, n)
        a = weights(s)
        jac = (np.diag(a) - np.outer(a, a)) @ np.diag(-2 * s)
        _, _, vt = np.linalg.svd(jac)
        for step in (rng.normal(size=n), vt[0]):
            ds = step / np.linalg.norm(step) * float(rng.uniform(1e-6, 0.5))
            s2 = np.clip(s + ds, -alpha, alpha)
            moved = np.linalg.norm(weights(s2) - a)
            bound = 0.5 * lip(alpha) * np.linalg.norm(s2 - s)
            assert moved <= bound * (1 + 1e-12) + 1e-15
            worst = max(worst, moved / bound if bound else 0.0)
    assert worst > 0.2     # the steepest direction comes within a few of the bound: it is not vacuous


def test_gpt2_small_gaussian_alpha_and_degree():
    """At GPT-2 small's dimensions the Gaussian's weights are bounded by 1, so the largest
    log10 alpha stays small (≤ 10) and no stage's unit-output
    success probability is below 10⁻⁸; the Gaussian's polynomial is even, one QSVT sequence
    (README: its degree is far above 10³, its argument's alpha being a 2-norm over heads ×
    keys)."""
    from qcompile.resources.api import estimate

    top = lambda r: max(s.log10_alpha for s in r.stages)
    gauss = estimate(path("gpt2_small_gaussian"))
    assert top(gauss) <= 10
    assert min(s.success_probability for s in gauss.stages) > 1e-8
    (degree,) = [v for k, v in gauss.to_dict()["degrees"].items() if k.endswith(" gaussian")]
    assert degree % 2 == 0
