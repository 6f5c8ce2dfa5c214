"""Hugging Face checkpoints onto qcompile models: ``weights "m.safetensors" naming gpt2``.

A Hugging Face ``state_dict`` names and lays out parameters its own way; a ``naming``
translates one into the PyTorch-module names the ``.qtf`` model uses.  Each naming expects
the model to name its ops as the shipped examples do (``examples/gpt2_tiny.qtf``,
``llama_tiny.qtf``, ``bert_tiny.qtf``: the op names are the checkpoint's module names
where the language allows), so the translation is mostly a change of prefix:

* ``gpt2`` (``GPT2Model`` / ``GPT2LMHeadModel``): ``h.N.`` → ``layers.N.``;
  ``attn.c_attn`` → ``attn.in_proj_*``, ``attn.c_proj`` → ``attn.out_proj.*``,
  ``mlp.c_fc`` → ``c_fc``, ``mlp.c_proj`` → ``c_proj``; GPT-2's ``Conv1D`` stores weights
  as ``[in, out]`` (``y = x W + b``), so every Conv1D weight is transposed to ``nn.Linear``'s
  ``[out, in]``; ``lm_head`` is tied to ``wte`` (the model writes ``tie = "wte"``).
* ``llama`` (``LlamaModel`` / ``LlamaForCausalLM``): the names are the model's already
  (``embed_tokens``, ``layers.N.self_attn.{q,k,v,o}_proj``, ``layers.N.mlp.{gate,up,down}_proj``,
  ``input_layernorm``, ``post_attention_layernorm``, ``norm``, ``lm_head``); a
  ``model.`` prefix is dropped.
* ``bert`` (``BertModel``): ``embeddings.word_embeddings`` → ``word_embeddings``,
  ``embeddings.position_embeddings`` → ``position_embeddings`` with the token-type-0 row
  ``token_type_embeddings[0]`` added to every position (the model has one segment, so this
  is exact), ``embeddings.LayerNorm`` → ``embeddings_norm``, ``encoder.layer.N.`` →
  ``layers.N.`` with ``attention.self.{query,key,value}`` → ``attention.{q,k,v}_proj``,
  ``attention.output.dense`` → ``attention.o_proj``, ``attention.output.LayerNorm`` →
  ``attention_norm``, ``intermediate.dense`` → ``intermediate``, ``output.dense`` →
  ``output``, ``output.LayerNorm`` → ``output_norm``; the pooler is not used.

Names the checkpoint lacks, or parameters it has that the model does not use, are
reported by the caller's name and shape checks (:mod:`qcompile.weights`); buffers that are
not parameters (GPT-2's causal ``attn.bias``/``masked_bias``, rotary ``inv_freq``, BERT's
``position_ids``) are dropped here.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

import numpy as np

from qcompile.errors import NotImplementedYetError, WeightError

#: buffers of Hugging Face modules that are not parameters
_BUFFERS = re.compile(r"(^|\.)(attn\.bias|attn\.masked_bias|rotary_emb\.inv_freq|position_ids)$")


def _gpt2(arrays: dict) -> dict:
    out = {}
    for name, value in arrays.items():
        new = re.sub(r"^(transformer\.)?h\.(\d+)\.", r"layers.\2.", name)
        new = re.sub(r"^transformer\.", "", new)
        new, n = re.subn(r"attn\.c_attn\.weight$", "attn.in_proj_weight", new)
        new, m = re.subn(r"attn\.c_proj\.weight$", "attn.out_proj.weight", new)
        new, f = re.subn(r"mlp\.(c_fc|c_proj)\.weight$", r"\1.weight", new)
        new = re.sub(r"attn\.c_attn\.bias$", "attn.in_proj_bias", new)
        new = re.sub(r"attn\.c_proj\.bias$", "attn.out_proj.bias", new)
        new = re.sub(r"mlp\.(c_fc|c_proj)\.bias$", r"\1.bias", new)
        if new == "lm_head.weight":      # tied to wte: the model reads wte
            continue
        out[new] = np.ascontiguousarray(value.T) if (n or m or f) else value   # Conv1D: [in, out]
    return out


def _llama(arrays: dict) -> dict:
    return {re.sub(r"^model\.", "", name): value for name, value in arrays.items()}


_BERT_RULES = [
    (r"^(bert\.)?embeddings\.word_embeddings\.", "word_embeddings."),
    (r"^(bert\.)?embeddings\.LayerNorm\.", "embeddings_norm."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.self\.query\.", r"layers.\2.attention.q_proj."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.self\.key\.", r"layers.\2.attention.k_proj."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.self\.value\.", r"layers.\2.attention.v_proj."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.output\.dense\.", r"layers.\2.attention.o_proj."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.", r"layers.\2.attention_norm."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.intermediate\.dense\.", r"layers.\2.intermediate."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.output\.dense\.", r"layers.\2.output."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.output\.LayerNorm\.", r"layers.\2.output_norm."),
]


def _bert(arrays: dict) -> dict:
    out = {}
    positions = types = None
    for name, value in arrays.items():
        if re.search(r"embeddings\.position_embeddings\.weight$", name):
            positions = value
            continue
        if re.search(r"embeddings\.token_type_embeddings\.weight$", name):
            types = value
            continue
        if re.match(r"^(bert\.)?pooler\.", name):
            continue
        new = name
        for pattern, replacement in _BERT_RULES:
            new = re.sub(pattern, replacement, new)
        out[new] = value
    if positions is not None:
        out["position_embeddings.weight"] = positions + (types[0] if types is not None else 0.0)
    return out


#: every naming: name -> the translation of a checkpoint's arrays
NAMINGS: dict[str, Callable[[dict], dict]] = {"gpt2": _gpt2, "llama": _llama, "bert": _bert}


def rename(arrays: Mapping[str, np.ndarray], naming: str, shapes: Mapping[str, tuple] | None = None) -> dict:
    """The checkpoint ``arrays`` (Hugging Face names) under the model's names for
    ``naming`` (module docstring); non-parameter buffers dropped.  ``shapes`` (the model's
    weight shapes) is accepted for the caller's checks and not used here."""
    del shapes
    try:
        translate = NAMINGS[naming]
    except KeyError:
        raise NotImplementedYetError(f"weight naming '{naming}' is not implemented yet; known: "
                                     f"{', '.join(sorted(NAMINGS))}") from None
    kept = {k: np.asarray(v) for k, v in arrays.items() if not _BUFFERS.search(k)}
    out = translate(kept)
    clash = [k for k in out if list(out).count(k) > 1]
    if clash:  # pragma: no cover - the rules map distinct names to distinct names
        raise WeightError(f"naming {naming} maps two checkpoint arrays onto {clash[0]}")
    return out
