"""NumPy reference kernels with PyTorch's conventions (float64).

Every function here is plain NumPy math on float64 arrays and mirrors one PyTorch module
or functional (``nn.Linear``, ``F.gelu``, ``nn.LayerNorm``, ``nn.MultiheadAttention``,
``nn.TransformerEncoderLayer``), so that the tensor-IR interpreter can reproduce a trained
PyTorch model to round-off.  Sequences are unbatched: ``x`` has shape ``[seq, d]``
(PyTorch's ``batch_first=True`` with the batch dimension dropped).

*Surrogate mode.*  The compiler replaces each nonlinearity by a polynomial.  The kernels
take the nonlinearity as a callable (``exp`` for softmax and attention, ``act`` for the
feed-forward activation) so the same code computes both the exact and the surrogate
reference.  A custom ``exp`` is applied to the *raw* scores (no max shift, see
:func:`softmax`), because the compiled circuit applies its polynomial to the raw scores.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from qcompile.functions import gelu, get_function, relu  # noqa: F401 - gelu and relu are kernels too

ArrayFn = Callable[[np.ndarray], np.ndarray]

#: state_dict names of one ``nn.TransformerEncoderLayer`` (without any prefix)
ENCODER_LAYER_WEIGHT_NAMES = (
    "self_attn.in_proj_weight", "self_attn.in_proj_bias",
    "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
)


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def linear(x, weight, bias=None) -> np.ndarray:
    """``nn.Linear``: y = x Wᵀ + b, with W of shape [out, in] and b of shape [out]."""
    y = _f64(x) @ _f64(weight).T
    if bias is not None:
        y = y + _f64(bias)
    return y


def softmax(x, axis: int = -1, exp: ArrayFn = np.exp) -> np.ndarray:
    """softmax(x)_i = exp(x_i) / Σ_j exp(x_j) along ``axis``.

    With ``exp=np.exp`` the scores are shifted by their maximum first (the usual stable
    evaluation; mathematically identical).  With any other ``exp`` (a polynomial
    surrogate of exp) the scores are NOT shifted: the surrogate is applied to the raw
    scores, exactly as the compiled circuit applies its polynomial, and the result is
    e_i / Σ_j e_j with e = exp(x).  Entries equal to −inf (masked positions) get weight
    exactly 0 for any ``exp``; a row whose entries are all −inf is an error.
    """
    x = _f64(x)
    masked = np.isneginf(x)
    if np.any(np.all(masked, axis=axis)):
        raise ValueError("softmax over a row whose entries are all -inf")
    if exp is np.exp:
        shifted = x - np.max(x, axis=axis, keepdims=True)
        e = np.exp(shifted)
    else:
        e = _f64(exp(np.where(masked, 0.0, x)))
        e = np.where(masked, 0.0, e)
    return e / np.sum(e, axis=axis, keepdims=True)


def pair_softmax(x, axis: int = -1, sigmoid: ArrayFn | None = None) -> np.ndarray:
    """softmax over an axis of length 2 as the compiler lowers it:
    ``(σ(x_0 − x_1), σ(x_1 − x_0))``, which equals ``softmax(x)`` exactly
    (``e^a/(e^a + e^b) = 1/(1 + e^(b−a))``); ``sigmoid`` is the surrogate of σ (None: exact)."""
    x = np.moveaxis(_f64(x), axis, -1)
    if x.shape[-1] != 2:
        raise ValueError(f"pair_softmax needs an axis of length 2, got {x.shape[-1]}")
    d = x[..., :1] - x[..., 1:]
    f = sigmoid if sigmoid is not None else get_function("sigmoid")
    out = np.concatenate([_f64(f(d)), _f64(f(-d))], axis=-1)
    return np.moveaxis(out, -1, axis)


def gaussian_softmax(x, axis: int = -1, gauss: ArrayFn | None = None) -> np.ndarray:
    """Gaussian attention weights (QSANN): ``g(x_i) / Σ_j g(x_j)`` along ``axis`` with
    ``g(x) = exp(−x²)``.

    With ``gauss=None`` every ``x²`` is shifted by the row's smallest one first (the same
    weights, no underflow).  With a ``gauss`` given (a polynomial surrogate of exp(−x²))
    it is applied to the raw values, as the compiled circuit does.  Entries equal to −inf
    (masked positions) get weight exactly 0; a row whose entries are all −inf is an error.
    """
    x = _f64(x)
    masked = np.isneginf(x)
    if np.any(np.all(masked, axis=axis)):
        raise ValueError("gaussian softmax over a row whose entries are all -inf")
    safe = np.where(masked, 0.0, x)
    if gauss is None:
        sq = np.where(masked, np.inf, safe * safe)
        g = np.exp(-(sq - np.min(sq, axis=axis, keepdims=True)))
    else:
        g = _f64(gauss(safe))
    g = np.where(masked, 0.0, g)
    return g / np.sum(g, axis=axis, keepdims=True)


def layernorm(x, weight=None, bias=None, eps: float = 1e-5, axis: int = -1) -> np.ndarray:
    """``nn.LayerNorm``: (x − mean) / √(var + eps) · γ + β along ``axis``.

    ``var`` is the biased variance (divide by n), as in PyTorch.  ``weight`` (γ) and
    ``bias`` (β) default to 1 and 0.  The surrogate reference uses ``eps=0``.
    """
    x = _f64(x)
    mean = np.mean(x, axis=axis, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=axis, keepdims=True)
    y = centred / np.sqrt(var + eps)
    if weight is not None:
        y = y * _f64(weight)
    if bias is not None:
        y = y + _f64(bias)
    return y


def rmsnorm(x, weight=None, eps: float = 1e-6, axis: int = -1) -> np.ndarray:
    """Hugging Face ``LlamaRMSNorm`` (``nn.RMSNorm``): ``x / √(mean(x²) + eps) · weight``
    along ``axis`` (``weight`` defaults to 1)."""
    x = _f64(x)
    y = x / np.sqrt(np.mean(x * x, axis=axis, keepdims=True) + eps)
    return y if weight is None else y * _f64(weight)


def rope_tables(positions: int, dim: int, base: float = 10000.0) -> tuple[np.ndarray, np.ndarray]:
    """``(cos, sin)`` of Hugging Face Llama's rotary embedding, shape [positions, dim]:
    ``inv_freq = base^(−2i/dim)`` for ``i < dim/2``, angles ``p·inv_freq`` repeated twice
    (``emb = cat(freqs, freqs)``)."""
    inv_freq = 1.0 / np.power(float(base), np.arange(0, dim, 2, dtype=np.float64) / dim)
    freqs = np.outer(np.arange(positions, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb), np.sin(emb)


def rope(x, base: float = 10000.0) -> np.ndarray:
    """Rotary position embedding over the last two axes ``[.., positions, dim]`` (Hugging
    Face ``apply_rotary_pos_emb`` with ``rotate_half``): ``x·cos + rotate_half(x)·sin``,
    ``rotate_half(x) = cat(−x[dim/2:], x[:dim/2])``."""
    x = _f64(x)
    cos, sin = rope_tables(x.shape[-2], x.shape[-1], base)
    half = x.shape[-1] // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * cos + rotated * sin


def posenc(seq: int, d: int) -> np.ndarray:
    """Sinusoidal positional encoding, shape [seq, d].

    PE(pos, 2i) = sin(pos / 10000^(2i/d)) and PE(pos, 2i+1) = cos(pos / 10000^(2i/d)),
    for pos = 0..seq−1 (an odd ``d`` ends with a sine column).
    """
    pos = np.arange(seq, dtype=np.float64)[:, None]
    even = np.arange(0, d, 2, dtype=np.float64)
    angles = pos / np.power(10000.0, even / d)
    pe = np.zeros((seq, d), dtype=np.float64)
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d // 2])
    return pe


def posenc_norm(seq: int, d: int) -> float:
    """‖posenc(seq, d)‖_F without building the table: every (sin, cos) column pair of a
    row has unit norm, so the square is ``seq·⌊d/2⌋``, plus the last sine column's
    squares when ``d`` is odd (O(seq))."""
    total = float(seq * (d // 2))
    if d % 2:
        angles = np.arange(seq, dtype=np.float64) / np.power(10000.0, (d - 1) / d)
        total += float(np.sum(np.sin(angles) ** 2))
    return float(np.sqrt(total))


def causal_mask(seq: int) -> np.ndarray:
    """Additive causal mask, shape [seq, seq]: 0 where key ≤ query, −inf above the diagonal.

    Same as ``nn.Transformer.generate_square_subsequent_mask(seq)``.
    """
    mask = np.zeros((seq, seq), dtype=np.float64)
    mask[np.triu_indices(seq, k=1)] = -np.inf
    return mask


def multihead_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                        heads: int, causal: bool = False, exp: ArrayFn = np.exp) -> np.ndarray:
    """Self-attention as ``nn.MultiheadAttention(x, x, x)``, x of shape [seq, d].

    [q, k, v] = x W_inᵀ + b_in (W_in is [3d, d], rows in the order q, k, v); each is split
    into ``heads`` blocks of d_h = d/heads columns; per head
    o_h = softmax((q_h/√d_h) k_hᵀ + M) v_h with M the causal mask (−inf above the
    diagonal) when ``causal``; the heads are concatenated and y = o W_outᵀ + b_out.
    ``exp`` is passed to :func:`softmax` (masked entries get weight exactly 0).
    """
    x = _f64(x)
    seq, d = x.shape
    if d % heads:
        raise ValueError(f"d_model {d} is not divisible by heads {heads}")
    dh = d // heads
    qkv = linear(x, in_proj_weight, in_proj_bias)
    q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
    q = q / np.sqrt(dh)
    mask = causal_mask(seq) if causal else np.zeros((seq, seq))
    out = np.empty((seq, d), dtype=np.float64)
    for h in range(heads):
        cols = slice(h * dh, (h + 1) * dh)
        scores = q[:, cols] @ k[:, cols].T + mask
        out[:, cols] = softmax(scores, axis=-1, exp=exp) @ v[:, cols]
    return linear(out, out_proj_weight, out_proj_bias)


def encoder_layer(x, weights: Mapping[str, np.ndarray], heads: int, norm_first: bool = False,
                  activation: str = "gelu", eps: float = 1e-5, exp: ArrayFn = np.exp,
                  act: ArrayFn | None = None, causal: bool = False) -> np.ndarray:
    """``nn.TransformerEncoderLayer`` (dropout 0, eval mode) on x of shape [seq, d].

    With SA the self-attention of :func:`multihead_attention`, FF(h) =
    linear2(act(linear1(h))) and LN1, LN2 the two layer norms (``eps``):
    post-LN (default): x ← LN1(x + SA(x)); x ← LN2(x + FF(x)).
    pre-LN (``norm_first``): x ← x + SA(LN1(x)); x ← x + FF(LN2(x)).
    ``weights`` uses the layer's state_dict names without prefix
    (:data:`ENCODER_LAYER_WEIGHT_NAMES`).  ``activation`` names a registered elementwise
    function (:mod:`qcompile.functions`: "gelu" (erf), "relu", ...);
    ``act``, when given, replaces it (a surrogate polynomial); ``exp`` is the softmax's
    exponential; ``causal`` applies the causal mask (``is_causal``/``src_mask``).
    """
    if act is None:
        act = get_function(activation)
    w = weights

    def sa(h):
        return multihead_attention(h, w["self_attn.in_proj_weight"], w["self_attn.in_proj_bias"],
                                   w["self_attn.out_proj.weight"], w["self_attn.out_proj.bias"],
                                   heads, causal=causal, exp=exp)

    def ff(h):
        hidden = _f64(act(linear(h, w["linear1.weight"], w["linear1.bias"])))
        return linear(hidden, w["linear2.weight"], w["linear2.bias"])

    def ln1(h):
        return layernorm(h, w["norm1.weight"], w["norm1.bias"], eps=eps)

    def ln2(h):
        return layernorm(h, w["norm2.weight"], w["norm2.bias"], eps=eps)

    x = _f64(x)
    if norm_first:
        x = x + sa(ln1(x))
        return x + ff(ln2(x))
    x = ln1(x + sa(x))
    return ln2(x + ff(x))


__all__ = [
    "ENCODER_LAYER_WEIGHT_NAMES", "causal_mask", "encoder_layer", "gaussian_softmax", "gelu", "layernorm",
    "linear", "multihead_attention", "posenc", "relu", "rmsnorm", "rope", "rope_tables", "softmax",
]
