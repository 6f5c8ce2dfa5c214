"""The ``desugar`` pass: attention, encoder and layer calls -> primitive tensor ops.

Produced ops keep the sugar op's source location and get an ``origin`` naming where they
came from, e.g. ``block[layers.1]/encoder/attention``, so later passes can pattern-match
whole constructs.  Weight names are composed with layer-instance prefixes
(``layers.1.self_attn.in_proj_weight``); the q/k/v projections read row slices of
``in_proj_weight``/``in_proj_bias`` (no weight is copied).

Attention (``nn.MultiheadAttention``, D features, H heads, d_h = D/H)::

    q, k, v = linear x {rows 0:D | D:2D | 2D:3D of in_proj}     [t, d:D]
    qh, kh, vh = split_heads                                   [h, t, k]
    kt = transpose kh {perm [0, 2, 1], t->s}                   [h, k, s]
    s  = scale (matmul qh kt) {1/sqrt(d_h)}  [causal_mask]     [h, t, s]
    o  = merge_heads (matmul (softmax s over s) vh)            [t, d:D]
    y  = linear o {out_proj}

Gaussian attention (``kind = gaussian``, QSANN's weights; ``q``, ``k``: one scalar per
head)::

    q, k = linear x {q_proj | k_proj}                           [t, d:H]
    a  = pair_difference q k      (a[h,t,s] = q[t,h] − k[s,h])   [h, t, s]
    w  = softmax a {function gaussian}  [causal_mask before it]  [h, t, s]
    y  = linear (merge_heads (matmul w (split_heads (linear x {v_proj})))) {o_proj}

Encoder (post-LN): y = LN2(h + W2 act(W1 h)), h = LN1(x + attn(x));
pre-LN (``norm_first``): r = x + attn(LN1(x)), y = r + W2 act(W1 LN2(r)).
"""

from __future__ import annotations

import dataclasses
import math

from qcompile.errors import IRVerifyError
from qcompile.ir import ops
from qcompile.ir.graph import Graph
from qcompile.passes.manager import Pass, register_pass


class _Emitter:
    """Appends typed ops to ``graph`` with a fixed location and origin."""

    def __init__(self, graph: Graph, loc, origin: str):
        self.graph = graph
        self.loc = loc
        self.origin = origin

    def __call__(self, cls, inputs, **fields) -> int:
        op = cls(inputs=tuple(inputs), loc=self.loc, origin=self.origin, **fields)
        op = dataclasses.replace(op, type=op.infer(self.graph.input_types(op)))
        return self.graph.add(op)


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def expand_attention(emit: _Emitter, x: int, op: ops.Attention) -> int:
    """Emit multi-head self-attention ``op`` on ``x`` ([t, d:features]); return the output id."""
    d, heads, groups, prefix = op.features, op.heads, op.groups, op.prefix
    dh = d // heads
    if op.kind == "gaussian":
        return _gaussian_attention(emit, x, op)
    if op.projections == "fused":
        w, b = prefix + "in_proj_weight", prefix + "in_proj_bias"
        q, k, v = [emit(ops.Linear, [x], weight=w, bias=b, in_features=d, out_features=d,
                        row_start=i * d, weight_rows=3 * d) for i in range(3)]
        out_w, out_b = prefix + "out_proj.weight", prefix + "out_proj.bias"
    else:
        def proj(name, rows):
            return emit(ops.Linear, [x], weight=f"{prefix}{name}.weight",
                        bias=f"{prefix}{name}.bias" if op.bias else None, in_features=d, out_features=rows)

        q, k, v = proj("q_proj", d), proj("k_proj", groups * dh), proj("v_proj", groups * dh)
        out_w, out_b = prefix + "o_proj.weight", (prefix + "o_proj.bias" if op.bias else None)
    qh = emit(ops.SplitHeads, [q], heads=heads)
    kh, vh = (emit(ops.SplitHeads, [n], heads=groups) for n in (k, v))
    if op.qk_norm:
        qh = emit(ops.RMSNorm, [qh], weight=prefix + "q_norm.weight", features=dh, eps=op.eps)
        kh = emit(ops.RMSNorm, [kh], weight=prefix + "k_norm.weight", features=dh, eps=op.eps)
    if op.rope:
        qh = emit(ops.RoPE, [qh], base=op.rope_base)
        kh = emit(ops.RoPE, [kh], base=op.rope_base)
    if groups != heads:
        kh, vh = (emit(ops.RepeatHeads, [n], times=heads // groups) for n in (kh, vh))
    kt = emit(ops.Transpose, [kh], perm=(0, 2, 1), rename=(("t", "s"),))
    scores = emit(ops.MatMul, [qh, kt])
    scores = emit(ops.Scale, [scores], factor=1.0 / math.sqrt(dh))
    if op.causal:
        scores = emit(ops.CausalMask, [scores])
    probs = emit(ops.Softmax, [scores], leg="s")
    out = emit(ops.MatMul, [probs, vh])
    merged = emit(ops.MergeHeads, [out])
    return emit(ops.Linear, [merged], weight=out_w, bias=out_b, in_features=d, out_features=d)


def _gaussian_attention(emit: _Emitter, x: int, op: ops.Attention) -> int:
    """Emit Gaussian attention ``op`` (``kind = gaussian``, separate projections) on ``x``."""
    d, heads, prefix = op.features, op.heads, op.prefix

    def proj(name, rows):
        return emit(ops.Linear, [x], weight=f"{prefix}{name}.weight",
                    bias=f"{prefix}{name}.bias" if op.bias else None, in_features=d, out_features=rows)

    q, k, v = proj("q_proj", heads), proj("k_proj", heads), proj("v_proj", d)
    args = emit(ops.PairDifference, [q, k])
    if op.causal:
        args = emit(ops.CausalMask, [args])
    weights = emit(ops.Softmax, [args], leg="s", function="gaussian")
    out = emit(ops.MatMul, [weights, emit(ops.SplitHeads, [v], heads=heads)])
    merged = emit(ops.MergeHeads, [out])
    return emit(ops.Linear, [merged], weight=prefix + "o_proj.weight",
                bias=prefix + "o_proj.bias" if op.bias else None, in_features=d, out_features=d)


def expand_encoder(emit: _Emitter, x: int, op: ops.Encoder) -> int:
    """Emit one ``nn.TransformerEncoderLayer`` on ``x``; return the output id."""
    p, d, f = op.prefix, op.features, op.d_ff
    sub = lambda part: _Emitter(emit.graph, emit.loc, _join(emit.origin, part))  # noqa: E731
    ffn_emit, attn_emit = sub("feedforward"), sub("attention")

    def norm(i: int, v: int) -> int:
        return emit(ops.LayerNorm, [v], weight=f"{p}norm{i}.weight", bias=f"{p}norm{i}.bias",
                    features=d, eps=op.eps)

    def attn(v: int) -> int:
        return expand_attention(attn_emit, v, ops.Attention(heads=op.heads, causal=op.causal, features=d,
                                                            prefix=p + "self_attn."))

    def ffn(v: int) -> int:
        h = ffn_emit(ops.Linear, [v], weight=f"{p}linear1.weight", bias=f"{p}linear1.bias",
                     in_features=d, out_features=f)
        h = ffn_emit(ops.Elementwise, [h], function=op.activation)
        return ffn_emit(ops.Linear, [h], weight=f"{p}linear2.weight", bias=f"{p}linear2.bias",
                        in_features=f, out_features=d)

    if op.norm_first:
        r = emit(ops.Add, [x, attn(norm(1, x))])
        return emit(ops.Add, [r, ffn(norm(2, r))])
    h = norm(1, emit(ops.Add, [x, attn(x)]))
    return norm(2, emit(ops.Add, [h, ffn(h)]))


def _inline(src: Graph, dst: Graph, layers: dict, args: list[int], prefix: str,
            origin: str, depth: int = 0) -> int:
    """Copy ``src`` into ``dst`` expanding sugar; params read ``args``; return the output."""
    if depth > 100:
        raise IRVerifyError("layer calls nest too deeply (recursion?)")
    ids: dict[int, int] = {}
    for node, op in src.nodes():
        inputs = [ids[i] for i in op.inputs]
        where = _join(origin, op.origin)
        if op.opname == "param":
            ids[node] = args[op.index]
            continue
        if op.opname == "attention":
            emit = _Emitter(dst, op.loc, _join(where, "attention"))
            ids[node] = expand_attention(emit, inputs[0], op.with_prefix(prefix))
        elif op.opname == "encoder":
            emit = _Emitter(dst, op.loc, _join(where, "encoder"))
            ids[node] = expand_encoder(emit, inputs[0], op.with_prefix(prefix))
        elif op.opname == "call":
            body = layers[op.layer]
            carried = list(inputs)
            for i in range(op.count):
                pre = prefix + op.instance_prefix(i)
                result = _inline(body, dst, layers, carried, pre,
                                 _join(where, f"{op.layer}[{pre[:-1]}]"), depth + 1)
                carried = [result] + carried[1:]
            ids[node] = carried[0]
        else:
            new = dataclasses.replace(op.with_prefix(prefix), inputs=tuple(inputs),
                                      origin=where)
            new = dataclasses.replace(new, type=new.infer(dst.input_types(new)))
            ids[node] = dst.add(new)
    return ids[src.output] if src.output is not None else -1


def desugar_graph(graph: Graph) -> Graph:
    """A new graph with every sugar op and layer call expanded into primitives (refused,
    before anything is expanded, when it would exceed :data:`qcompile.validate.MAX_IR_OPS` ops)."""
    check_expanded_size(graph)
    out = Graph(graph.name)
    result = _inline(graph, out, graph.layers, [], "", "")
    if graph.output is not None:
        out.set_output(result)
    out.desugared = True
    return out


def check_expanded_size(graph: Graph) -> None:
    """Refuse a model whose expanded IR would pass the size limit (counted, not built)."""
    from qcompile.errors import SizeError
    from qcompile.ir.builder import expanded_size
    from qcompile.validate import MAX_IR_OPS

    size = expanded_size(graph)
    if size > MAX_IR_OPS:
        raise SizeError(f"model {graph.name} has about {size:,} operations once its layers are expanded, above "
                        f"the limit of {MAX_IR_OPS:,}")


@register_pass
class Desugar(Pass):
    """Expands attention/encoder sugar and layer calls/repeats into primitive ops."""

    name = "desugar"
    kind = "transformation"
    takes = "tensor"
    description = "expand attention, encoder and layer/repeat into primitive tensor ops"

    def run(self, ir: Graph, properties: dict) -> Graph:
        """Return the desugared copy of ``ir``."""
        return desugar_graph(ir)
