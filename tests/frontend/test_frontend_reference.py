"""The reference interpreter against independent compositions of the NumPy kernels."""

import numpy as np
import pytest
from scipy.special import erf

import qcompile
from qcompile.errors import BindError, QcompileError
from qcompile.reference import kernels, nonlinear_nodes, select_output

from frontend_support import EXAMPLES, SMALL_EXAMPLES, admissible_input


def load(name):
    return qcompile.load(EXAMPLES / f"{name}.qtf")


def test_linear_example():
    m = load("linear")
    x = admissible_input(m)
    w = m.weights
    assert np.allclose(qcompile.reference(m, x), x @ w["fc1.weight"].T + w["fc1.bias"],
                       atol=1e-13, rtol=0)


def test_mlp_gelu_example():
    m = load("mlp")
    x = admissible_input(m, 1)
    w = m.weights
    h = x @ w["linear1.weight"].T + w["linear1.bias"]
    h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
    want = h @ w["linear2.weight"].T + w["linear2.bias"]
    assert np.allclose(qcompile.reference(m, x), want, atol=1e-13, rtol=0)


def test_mlp_relu_example_without_bias():
    m = load("mlp_relu")
    x = admissible_input(m, 2)
    w = m.weights
    h = np.maximum(x @ w["linear1.weight"].T + w["linear1.bias"], 0)
    assert "linear2.bias" not in w
    assert np.allclose(qcompile.reference(m, x), h @ w["linear2.weight"].T, atol=1e-13, rtol=0)


def test_attention_head_example():
    m = load("attention_head")
    x = admissible_input(m, 3)
    w = m.weights
    q, k, v = (x @ w[f"{n}_proj.weight"].T + w[f"{n}_proj.bias"] for n in "qkv")
    s = q @ k.T * 0.5
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    assert np.allclose(qcompile.reference(m, x), x + p @ v, atol=1e-13, rtol=0)


def test_attention_example():
    m = load("attention")
    x = admissible_input(m, 4)
    w = m.weights
    a = kernels.multihead_attention(x, w["self_attn.in_proj_weight"], w["self_attn.in_proj_bias"],
                                    w["self_attn.out_proj.weight"], w["self_attn.out_proj.bias"],
                                    heads=2)
    want = kernels.layernorm(x + a, w["norm1.weight"], w["norm1.bias"])
    assert np.allclose(qcompile.reference(m, x), want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("name,norm_first", [("encoder_block", False),
                                             ("encoder_prenorm", True)])
def test_encoder_examples(name, norm_first):
    m = load(name)
    x = admissible_input(m, 5)
    want = kernels.encoder_layer(x, m.weights, heads=2, norm_first=norm_first)
    assert np.allclose(qcompile.reference(m, x), want, atol=1e-12, rtol=0)


def test_encoder_stack_example():
    m = load("encoder_stack")
    x = admissible_input(m, 6)
    h = x
    for i in range(2):
        pre = f"layers.{i}."
        layer = {k[len(pre):]: v for k, v in m.weights.items() if k.startswith(pre)}
        h = kernels.encoder_layer(h, layer, heads=2, activation="relu")
    assert np.allclose(qcompile.reference(m, x), h, atol=1e-12, rtol=0)


def test_protein_example_tokenises_text_by_alphabet_index():
    m = load("protein_tiny")
    text = "MKTA"
    ids = ["ACDEFGHIKLMNPQRSTVWY".index(c) for c in text]
    e = m.weights["embed.weight"][ids] + kernels.posenc(4, 4)
    want = kernels.encoder_layer(e, m.weights, heads=2)
    y = qcompile.reference(m, text)
    assert np.allclose(y, want, atol=1e-12, rtol=0)
    assert np.array_equal(select_output(m, y), y[0])
    assert np.array_equal(qcompile.reference(m, np.array(ids)), y)


@pytest.mark.parametrize("example", SMALL_EXAMPLES)
def test_every_example_runs_and_selects_its_output(example):
    m = load(example)
    y = qcompile.reference(m, admissible_input(m))
    assert y.shape[0] == m.inputs[0].shape[0] and np.all(np.isfinite(y))
    out = select_output(m, y)
    assert out.shape == (y.shape if m.output.token == "all" else y.shape[1:])


def test_surrogate_mode_uses_given_polynomials_and_keeps_layernorm_eps():
    m = load("encoder_block")
    x = admissible_input(m, 7)
    nodes = nonlinear_nodes(m)
    assert [m.ir.op(n).printed_name for n in nodes] == ["softmax", "gelu"]

    def exp_poly(t):  # degree-6 Taylor polynomial of exp
        return sum(t ** k / np.prod(np.arange(1, k + 1)) for k in range(7))

    def gelu_poly(t):
        return 0.5 * t + 0.3 * t ** 2

    polys = {nodes[0]: exp_poly, f"%{nodes[1]}": gelu_poly}
    got = qcompile.reference(m, x, mode="surrogate", polynomials=polys)

    w = m.weights
    d, dh = 4, 2
    qkv = x @ w["self_attn.in_proj_weight"].T + w["self_attn.in_proj_bias"]
    heads = []
    for h in range(2):
        q, k, v = (qkv[:, j * d + h * dh: j * d + (h + 1) * dh] for j in range(3))
        e = exp_poly(q @ k.T / np.sqrt(dh))
        heads.append((e / e.sum(axis=1, keepdims=True)) @ v)
    a = np.concatenate(heads, axis=1) @ w["self_attn.out_proj.weight"].T \
        + w["self_attn.out_proj.bias"]

    def ln(z, name):
        c = z - z.mean(axis=1, keepdims=True)
        return c / np.sqrt((c * c).mean(axis=1, keepdims=True) + 1e-5) * w[f"{name}.weight"] \
            + w[f"{name}.bias"]

    hid = ln(x + a, "norm1")
    f = gelu_poly(hid @ w["linear1.weight"].T + w["linear1.bias"]) @ w["linear2.weight"].T \
        + w["linear2.bias"]
    want = ln(hid + f, "norm2")
    assert np.allclose(got, want, atol=1e-12, rtol=0)
    assert not np.allclose(got, qcompile.reference(m, x), atol=1e-6)


def test_surrogate_mode_names_a_missing_polynomial():
    m = load("mlp")
    gelu_node = nonlinear_nodes(m)[0]
    with pytest.raises(QcompileError, match=f"%{gelu_node} \\(gelu\\)"):
        qcompile.reference(m, admissible_input(m), mode="surrogate", polynomials={})


def test_input_above_bound_is_a_bind_error():
    m = load("mlp")
    x = admissible_input(m, fraction=1.01)
    with pytest.raises(BindError, match="above its declared bound"):
        qcompile.reference(m, x)


def test_input_with_wrong_shape_is_a_bind_error():
    with pytest.raises(BindError, match="shape"):
        qcompile.reference(load("mlp"), np.zeros((3, 4)))


def test_token_ids_out_of_range_and_bad_letters():
    m = load("protein_tiny")
    with pytest.raises(BindError, match="not in the alphabet"):
        qcompile.reference(m, "MKTB")
    with pytest.raises(BindError, match="0..19"):
        qcompile.reference(m, np.array([0, 1, 2, 20]))
    with pytest.raises(BindError, match="4 tokens"):
        qcompile.reference(m, "MKT")


def test_unknown_mode():
    m = load("linear")
    with pytest.raises(QcompileError, match="mode"):
        qcompile.reference(m, admissible_input(m), mode="fast")
