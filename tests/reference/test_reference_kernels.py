"""The NumPy reference kernels against PyTorch (float64) and independent formulas."""

import math

import numpy as np
import pytest

from qcompile.errors import NotSupportedError
from qcompile.reference import kernels as K
from qcompile.weights import encoder_layer_weight_shapes, random_weights

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = 1e-6


@pytest.fixture(autouse=True)
def _torch_seed():
    torch.manual_seed(1234)


def _np(t):
    return t.detach().numpy()


def test_linear_matches_nn_linear():
    lin = torch.nn.Linear(5, 3, dtype=torch.float64)
    x = torch.randn(4, 5, dtype=torch.float64)
    got = K.linear(_np(x), _np(lin.weight), _np(lin.bias))
    assert np.max(np.abs(got - _np(lin(x)))) <= TOL


def test_linear_without_bias():
    lin = torch.nn.Linear(5, 3, bias=False, dtype=torch.float64)
    x = torch.randn(4, 5, dtype=torch.float64)
    assert np.max(np.abs(K.linear(_np(x), _np(lin.weight)) - _np(lin(x)))) <= TOL


def test_gelu_is_the_erf_gelu():
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    assert np.max(np.abs(K.gelu(_np(x)) - _np(F.gelu(x)))) <= TOL


def test_relu():
    x = torch.randn(50, dtype=torch.float64)
    assert np.array_equal(K.relu(_np(x)), _np(F.relu(x)))


def test_softmax_matches_torch():
    x = torch.randn(3, 5, dtype=torch.float64) * 5
    assert np.max(np.abs(K.softmax(_np(x)) - _np(F.softmax(x, dim=-1)))) <= TOL
    assert np.max(np.abs(K.softmax(_np(x), axis=0) - _np(F.softmax(x, dim=0)))) <= TOL


def test_layernorm_matches_nn_layernorm():
    ln = torch.nn.LayerNorm(6, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.uniform_(-0.5, 0.5)
    x = torch.randn(4, 6, dtype=torch.float64)
    got = K.layernorm(_np(x), _np(ln.weight), _np(ln.bias), eps=1e-5)
    assert np.max(np.abs(got - _np(ln(x)))) <= TOL


def test_layernorm_eps_zero_is_unit_variance():
    x = np.random.default_rng(0).normal(size=(3, 8))
    y = K.layernorm(x, eps=0.0)
    assert np.allclose(y.mean(axis=-1), 0, atol=1e-14)
    assert np.allclose((y * y).mean(axis=-1), 1, atol=1e-14)


@pytest.mark.parametrize("d", [4, 5, 8])
def test_posenc_formula(d):
    seq = 6
    pe = K.posenc(seq, d)
    assert pe.shape == (seq, d)
    for pos in range(seq):
        for j in range(d):
            i = j // 2
            angle = pos / 10000 ** (2 * i / d)
            want = math.sin(angle) if j % 2 == 0 else math.cos(angle)
            assert abs(pe[pos, j] - want) <= 1e-15


@pytest.mark.parametrize("seq,d", [(6, 4), (6, 5), (1, 1), (97, 33)])
def test_posenc_norm_closed_form(seq, d):
    """The loader bound uses ‖PE‖_F without the table (every sin/cos pair has unit norm)."""
    assert K.posenc_norm(seq, d) == pytest.approx(float(np.linalg.norm(K.posenc(seq, d))), rel=1e-14)


def test_causal_mask_matches_torch():
    want = _np(torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64))
    assert np.array_equal(K.causal_mask(5), want)


def test_softmax_with_custom_exp_uses_raw_scores():
    def poly(t):  # a surrogate exp, NOT shift-invariant: raw scores must be used
        return 1.0 + t + t * t / 2.0

    x = np.array([[0.3, -0.2, 0.9], [1.5, 0.1, -0.4]])
    e = poly(x)
    want = e / e.sum(axis=-1, keepdims=True)
    assert np.max(np.abs(K.softmax(x, exp=poly) - want)) <= 1e-15
    shifted = poly(x - x.max(axis=-1, keepdims=True))
    assert np.max(np.abs(K.softmax(x, exp=poly) - shifted / shifted.sum(-1, keepdims=True))) > 1e-3


def test_softmax_custom_exp_gives_masked_entries_zero_weight():
    x = np.array([[0.5, -np.inf, 0.25]])
    got = K.softmax(x, exp=lambda t: 1.0 + t)
    assert got[0, 1] == 0.0
    assert np.allclose(got, [[1.5 / 2.75, 0.0, 1.25 / 2.75]], atol=1e-15)


def _mha(d, heads, bias=True):
    mha = torch.nn.MultiheadAttention(d, heads, dropout=0.0, bias=bias, batch_first=True,
                                      dtype=torch.float64)
    with torch.no_grad():  # torch zero-initialises the biases: make them nonzero
        if bias:
            mha.in_proj_bias.uniform_(-0.5, 0.5)
            mha.out_proj.bias.uniform_(-0.5, 0.5)
    return mha.eval()


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("heads", [1, 2])
def test_multihead_attention_matches_torch(causal, heads):
    d, seq = 4, 5
    mha = _mha(d, heads)
    x = torch.randn(1, seq, d, dtype=torch.float64) * 2
    mask = torch.nn.Transformer.generate_square_subsequent_mask(seq, dtype=torch.float64) \
        if causal else None
    with torch.no_grad():
        want, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
    got = K.multihead_attention(_np(x[0]), _np(mha.in_proj_weight), _np(mha.in_proj_bias),
                                _np(mha.out_proj.weight), _np(mha.out_proj.bias),
                                heads, causal=causal)
    assert np.max(np.abs(got - _np(want[0]))) <= TOL


def test_causal_attention_first_token_sees_only_itself():
    mha = _mha(4, 2)
    x = np.random.default_rng(3).normal(size=(4, 4))
    args = (_np(mha.in_proj_weight), _np(mha.in_proj_bias), _np(mha.out_proj.weight),
            _np(mha.out_proj.bias))
    full = K.multihead_attention(x, *args, heads=2, causal=True)
    alone = K.multihead_attention(x[:1], *args, heads=2, causal=True)
    assert np.max(np.abs(full[0] - alone[0])) <= 1e-14


def test_multihead_attention_rejects_bad_heads():
    with pytest.raises(ValueError):
        K.multihead_attention(np.zeros((2, 4)), np.zeros((12, 4)), np.zeros(12),
                              np.zeros((4, 4)), np.zeros(4), heads=3)


def _torch_layer(norm_first, activation):
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                             activation=activation, batch_first=True,
                                             norm_first=norm_first, dtype=torch.float64)
    with torch.no_grad():  # exercise every bias and the LayerNorm affine parameters
        for name, p in layer.named_parameters():
            if name.endswith("bias"):
                p.uniform_(-0.5, 0.5)
            elif name.startswith("norm"):
                p.uniform_(0.5, 1.5)
    return layer.eval()


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_encoder_layer_matches_torch(norm_first, activation):
    layer = _torch_layer(norm_first, activation)
    weights = {k: _np(v) for k, v in layer.state_dict().items()}
    x = torch.randn(1, 6, 4, dtype=torch.float64) * 2
    with torch.no_grad():
        want = _np(layer(x)[0])
    got = K.encoder_layer(_np(x[0]), weights, heads=2, norm_first=norm_first,
                          activation=activation)
    assert np.max(np.abs(got - want)) <= TOL


def test_encoder_layer_causal_matches_torch():
    layer = _torch_layer(False, "gelu")
    weights = {k: _np(v) for k, v in layer.state_dict().items()}
    x = torch.randn(1, 5, 4, dtype=torch.float64)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    with torch.no_grad():
        want = _np(layer(x, src_mask=mask, is_causal=True)[0])
    got = K.encoder_layer(_np(x[0]), weights, heads=2, causal=True)
    assert np.max(np.abs(got - want)) <= TOL


def test_encoder_layer_with_surrogates_uses_them():
    weights = random_weights(encoder_layer_weight_shapes(4, 8), seed=5)
    x = np.random.default_rng(1).normal(size=(3, 4))

    def exp2(t):
        return 1.0 + t + t * t / 2.0

    def act2(t):
        return 0.5 * t + 0.25 * t * t

    got = K.encoder_layer(x, weights, heads=2, exp=exp2, act=act2, eps=0.0)
    # independent re-derivation of the post-LN layer with the same polynomials
    w = weights
    d, dh = 4, 2
    qkv = x @ w["self_attn.in_proj_weight"].T + w["self_attn.in_proj_bias"]
    q, k, v = qkv[:, :d] / np.sqrt(dh), qkv[:, d:2 * d], qkv[:, 2 * d:]
    heads = []
    for h in range(2):
        s = exp2(q[:, h * dh:(h + 1) * dh] @ k[:, h * dh:(h + 1) * dh].T)
        heads.append((s / s.sum(1, keepdims=True)) @ v[:, h * dh:(h + 1) * dh])
    a = np.concatenate(heads, 1) @ w["self_attn.out_proj.weight"].T + w["self_attn.out_proj.bias"]

    def ln(z, g, b):
        c = z - z.mean(1, keepdims=True)
        return c / np.sqrt((c ** 2).mean(1, keepdims=True)) * g + b

    h1 = ln(x + a, w["norm1.weight"], w["norm1.bias"])
    f = act2(h1 @ w["linear1.weight"].T + w["linear1.bias"]) @ w["linear2.weight"].T + w["linear2.bias"]
    want = ln(h1 + f, w["norm2.weight"], w["norm2.bias"])
    assert np.max(np.abs(got - want)) <= 1e-12
    assert np.max(np.abs(got - K.encoder_layer(x, weights, heads=2))) > 1e-3


def test_encoder_layer_rejects_unknown_activation():
    weights = random_weights(encoder_layer_weight_shapes(4, 8), seed=5)
    with pytest.raises(NotSupportedError, match="unknown elementwise function 'tanh'"):
        K.encoder_layer(np.zeros((2, 4)), weights, heads=2, activation="tanh")
