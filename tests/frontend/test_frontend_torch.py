"""Agreement with PyTorch (skipped without torch): weights exported as a state_dict .npz."""

import numpy as np
import pytest

import qcompile

torch = pytest.importorskip("torch")


def _export(module, path, prefix=""):
    np.savez(path, **{prefix + k: v.detach().numpy() for k, v in module.state_dict().items()})


def _input(seed, bound):
    x = np.random.default_rng(seed).normal(size=(4, 4))
    return x * (0.95 * bound / np.linalg.norm(x))



@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_pytorch(tmp_path, norm_first):
    torch.manual_seed(11 + norm_first)
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                             activation="gelu", batch_first=True,
                                             norm_first=norm_first).eval()
    _export(layer, tmp_path / "encoder.npz")
    flag = "true" if norm_first else "false"
    (tmp_path / "enc.qtf").write_text(
        "model enc {\n  dim seq = 4, d_model = 4\n  weights \"encoder.npz\"\n"
        "  input x: [seq, d_model] bound 4.0\n"
        f"  y = encoder(x, heads = 2, d_ff = 8, norm_first = {flag})\n"
        "  output y[token = last]\n}\n")
    model = qcompile.load(tmp_path / "enc.qtf")
    for seed in range(3):
        x = _input(seed, 4.0)
        with torch.no_grad():
            want = layer.double()(torch.tensor(x)[None])[0].numpy()
        got = qcompile.reference(model, x)
        assert np.max(np.abs(got - want)) <= 1e-6


def test_shipped_encoder_block_accepts_pytorch_weights(tmp_path):
    """examples/encoder_block.qtf, with its weights statement pointed at a PyTorch export."""
    from frontend_support import EXAMPLES, admissible_input

    torch.manual_seed(3)
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                             activation="gelu", batch_first=True).eval()
    _export(layer, tmp_path / "encoder.npz")
    text = (EXAMPLES / "encoder_block.qtf").read_text()
    text = text.replace("weights random(seed = 7)", 'weights "encoder.npz"')
    (tmp_path / "encoder_block.qtf").write_text(text)
    model = qcompile.load(tmp_path / "encoder_block.qtf")
    x = admissible_input(model, 5, 0.95)
    with torch.no_grad():
        want = layer.double()(torch.tensor(x)[None])[0].numpy()
    assert np.max(np.abs(qcompile.reference(model, x) - want)) <= 1e-6


def test_causal_attention_matches_multihead_attention_with_mask(tmp_path):
    torch.manual_seed(5)
    mha = torch.nn.MultiheadAttention(4, 2, batch_first=True).double().eval()
    _export(mha, tmp_path / "attn.npz", prefix="self_attn.")
    (tmp_path / "attn.qtf").write_text(
        'model attn {\n  weights "attn.npz"\n  input x: [4, 4] bound 2.0\n'
        "  y = attention(x, heads = 2, causal = true)\n  output y[token = all]\n}\n")
    model = qcompile.load(tmp_path / "attn.qtf")
    x = _input(9, 2.0)
    mask = torch.triu(torch.full((4, 4), float("-inf"), dtype=torch.float64), diagonal=1)
    t = torch.tensor(x)[None]
    with torch.no_grad():
        want = mha(t, t, t, attn_mask=mask, need_weights=False)[0][0].numpy()
    got = qcompile.reference(model, x)
    assert np.max(np.abs(got - want)) <= 1e-6
    with torch.no_grad():
        unmasked = mha(t, t, t, need_weights=False)[0][0].numpy()
    assert np.max(np.abs(got - unmasked)) > 1e-3  # the mask matters


def test_weights_round_trip_to_pytorch(tmp_path):
    """model.weights loads into a fresh nn.TransformerEncoderLayer with strict=True."""
    from frontend_support import EXAMPLES, admissible_input

    model = qcompile.load(EXAMPLES / "encoder_block.qtf")
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                             activation="gelu", batch_first=True).double().eval()
    layer.load_state_dict({k: torch.tensor(v) for k, v in model.weights.items()}, strict=True)
    x = admissible_input(model, 1, 0.95)
    with torch.no_grad():
        want = layer(torch.tensor(x)[None])[0].numpy()
    assert np.max(np.abs(qcompile.reference(model, x) - want)) <= 1e-6
