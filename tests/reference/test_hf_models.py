"""The NumPy reference against Hugging Face ``transformers`` on tiny GPT-2, Llama and BERT
models built from a config alone (no download): each checkpoint's ``state_dict``, renamed by
``qcompile.hf_weights`` (``naming gpt2|llama|bert``), drives the shipped tiny example, and
``qcompile.reference`` must equal the model's ``last_hidden_state`` to ≤ 1e-6 (Llama's
RMSNorm and rotary tables run in float32 inside ``transformers`` whatever the model's dtype,
which limits that comparison to ~1e-7; the float64 ops are checked to rounding below)."""

from __future__ import annotations

import numpy as np
import pytest

import qcompile
from example_registry import path
from qcompile.hf_weights import rename
from qcompile.reference import kernels as K

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _configs():
    t = transformers
    common = dict(vocab_size=32)
    return {
        "gpt2": (t.GPT2Model, t.GPT2Config(n_embd=8, n_layer=2, n_head=2, n_positions=8, resid_pdrop=0,
                                           embd_pdrop=0, attn_pdrop=0, bos_token_id=0, eos_token_id=0,
                                           **common), {}),
        "llama": (t.LlamaModel, t.LlamaConfig(hidden_size=8, intermediate_size=16, num_hidden_layers=2,
                                              num_attention_heads=2, num_key_value_heads=1,
                                              max_position_embeddings=16, rms_norm_eps=1e-6,
                                              attention_bias=False, **common), {}),
        "bert": (t.BertModel, t.BertConfig(hidden_size=8, intermediate_size=16, num_hidden_layers=2,
                                           num_attention_heads=2, max_position_embeddings=16,
                                           hidden_dropout_prob=0, attention_probs_dropout_prob=0, **common),
                 {"add_pooling_layer": False}),
    }


@pytest.mark.parametrize("naming", ["gpt2", "llama", "bert"])
def test_reference_equals_transformers(naming, tmp_path):
    """The checkpoint as people share it: the ``state_dict`` saved as safetensors, read by the
    example's own text with ``weights "tiny.safetensors" naming NAME``."""
    import re

    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    cls, config, kwargs = _configs()[naming]
    torch.manual_seed(0)
    hf = cls(config, **kwargs).eval().double()
    state = {k: v.detach().numpy() for k, v in hf.state_dict().items()}
    safetensors_numpy.save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, tmp_path / "tiny.safetensors")
    source = open(path(f"{naming}_tiny"), encoding="utf-8").read()
    source, n = re.subn(r"weights random\(seed = \d+\)", f'weights "tiny.safetensors" naming {naming}', source)
    assert n == 1
    (tmp_path / "tiny.qtf").write_text(source, encoding="utf-8")
    model = qcompile.load(tmp_path / "tiny.qtf")
    assert sorted(model.weights) == sorted(rename(state, naming))   # every parameter used, none missing
    rng = np.random.default_rng(1)
    for _ in range(3):
        ids = rng.integers(0, 32, size=4)
        with torch.no_grad():
            ref = hf(torch.tensor(ids)[None]).last_hidden_state[0].numpy()
        assert np.max(np.abs(qcompile.reference(model, ids) - ref)) <= 1e-6


def test_rmsnorm_equals_torch():
    x = np.random.default_rng(2).normal(size=(3, 4, 8))
    w = np.random.default_rng(3).normal(size=8)
    norm = torch.nn.RMSNorm(8, eps=1e-6, dtype=torch.float64)
    norm.weight.data = torch.tensor(w)
    assert np.max(np.abs(K.rmsnorm(x, w, 1e-6) - norm(torch.tensor(x)).detach().numpy())) <= 1e-14


def test_rope_equals_transformers_apply_rotary_pos_emb():
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    x = np.random.default_rng(4).normal(size=(2, 5, 6))         # [heads, positions, head dim]
    cos, sin = K.rope_tables(5, 6, 500.0)
    q, _ = apply_rotary_pos_emb(torch.tensor(x)[None], torch.tensor(x)[None], torch.tensor(cos)[None],
                                torch.tensor(sin)[None])
    assert np.max(np.abs(K.rope(x, 500.0) - q[0].numpy())) <= 1e-14
