"""Cut a model into segments whose attention reads only loaded matrices (stacked layers).

The lowering (:mod:`qcompile.lowering.symbolic`) follows one query token; attention's keys
and values are every token's row, so they must be *linear in a loaded matrix*: the model
input, input preparation, or a layer norm of such (an all-rows stage).  The keys of a
second stacked layer are the first layer's output for every token, which went through
softmax, layer norms and a feed-forward nonlinearity: no circuit for one query prepares
them.  So the model is cut there:

* segment ``k`` computes the cut value for **every** token (one compiled program per
  token: the output of a layer is one token's row, as for any model);
* segment ``k+1`` is the rest of the model with the cut value as its float input matrix.
  Its loader reads the rows the programs of segment ``k`` read out (α × post-selected
  amplitudes), assembled classically: readout and loader angles, the glue DESIGN §1
  allows.  The input's bound ``‖Y‖_F ≤ √(Σ_j α_j²)`` is data independent (each row's
  circuit has ``‖y_j‖ ≤ α_j``).

The cut for an attention whose keys/values are not linear in a loaded matrix is the
latest node that *dominates* both that attention and the model output (every path from
the inputs passes through it): for a post-LN stack the previous layer's output, for a
pre-LN stack the residual sum before the next layer norm.  Dominators are computed by
networkx on the tensor IR with a virtual root before every source op.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qcompile.errors import NotImplementedYetError
from qcompile.ir.ops import ALL_TOKEN_OPERAND_OPS

#: ops through which a value stays linear in a loaded matrix (the layer norm of such a
#: value is an all-rows stage, see :mod:`qcompile.lowering.symbolic`)
_LINEAR_OPS = {"linear", "add", "scale", "split_heads", "merge_heads", "transpose", "layernorm", "rmsnorm",
               "repeat_heads", "rope"}
#: classical input preparation (as :func:`qcompile.lowering.symbolic._prep_nodes`)
_PREP_OPS = {"input", "embed", "posenc", "positions"}


def _loaded_linear(graph) -> dict[int, bool]:
    """Per node: is its value linear in a loaded matrix (so that every token's row of it
    is available to attention)?"""
    out: dict[int, bool] = {}
    for node, op in graph.nodes():
        if op.opname in _PREP_OPS:
            out[node] = True
        elif op.opname in _LINEAR_OPS:
            out[node] = all(out[i] for i in op.inputs)
        else:
            out[node] = False
    return out


def _dominators(graph, node: int, idom: dict) -> list[int]:
    """The dominators of ``node`` (itself excluded), nearest first, virtual root excluded."""
    chain = []
    while True:
        parent = idom[node]
        if parent == node or parent == "root":
            return chain
        chain.append(parent)
        node = parent


def find_cut(graph) -> int | None:
    """The first cut the model needs (a node id of ``graph``), or None when every
    attention's keys and values are linear in a loaded matrix."""
    import networkx as nx

    linear = _loaded_linear(graph)
    late = [n for n, op in graph.nodes() if op.opname in ALL_TOKEN_OPERAND_OPS and not linear[op.inputs[1]]]
    if not late:
        return None
    g = nx.DiGraph(graph.graph)
    for node, op in graph.nodes():
        if not op.inputs:
            g.add_edge("root", node)
    idom = nx.immediate_dominators(g, "root")
    matmul = late[0]
    output = graph.output
    candidates = set(_dominators(graph, matmul, idom)) & set(_dominators(graph, output, idom))
    candidates = [c for c in candidates if not linear[c]]
    op = graph.op(matmul)
    if not candidates:
        raise NotImplementedYetError("this attention's keys or values pass through a nonlinearity "
                                     "that not every later value depends on; only stacked layers "
                                     "(one value feeding the next layer) can be cut", op.loc)
    cut = max(candidates)
    ctype = graph.op(cut).type
    if len(ctype.legs) != 2 or ctype.legs[0].name != "t" or ctype.dtype != "float":
        raise NotImplementedYetError(f"cutting the model at a value of type {ctype} is not "
                                     "implemented yet (a [t, d] float value is needed)", op.loc)
    return cut


@dataclass(frozen=True)
class SegmentModel:
    """One segment: ``model`` (a :class:`~qcompile.model.Model` of its own graph, whose
    output is the cut value for every token, or the original output for the last
    segment), ``cut`` (the full model's node it ends at; None for the last), ``input``
    (the name of its float input holding the previous segment's rows; None for the
    first) and ``node_map`` (segment node id → full-model node id; a segment's input
    maps to the cut node whose value it holds)."""

    model: object
    cut: int | None
    input: str | None
    node_map: dict


def prefix_model(model, cut: int, base: dict | None = None) -> SegmentModel:
    """The segment of ``model`` that computes node ``cut`` for every token: its
    ancestors, in order, and ``select_token(cut, all)``.  ``base`` maps ``model``'s node
    ids to the original model's (for a model that is itself a segment)."""
    import networkx as nx

    from qcompile.ir.builder import OutputSpec
    from qcompile.ir.graph import Graph
    from qcompile.ir.ops import SelectToken

    g = model.ir
    keep = sorted(nx.ancestors(g.graph, cut) | {cut})
    new = Graph(f"{g.name}")
    ids: dict[int, int] = {}
    for node in keep:
        op = g.op(node)
        ids[node] = new.add(dataclasses.replace(op, inputs=tuple(ids[i] for i in op.inputs)))
    cop = g.op(cut)
    out = new.add(SelectToken(inputs=(ids[cut],), type=cop.type, loc=cop.loc, origin="cut",
                              token="all"))
    new.set_output(out)
    new.desugared = g.desugared
    base = base or {n: n for n, _ in g.nodes()}
    seg = dataclasses.replace(model, ir=new, source_ir=new,
                              output=OutputSpec(f"%{cut}", "all", cop.loc))
    return SegmentModel(seg, base[cut], None, {v: base[k] for k, v in ids.items()})


def suffix_model(model, cut: int, bound: float, base: dict | None = None) -> SegmentModel:
    """The rest of ``model`` after node ``cut``, reading the cut value as a float input
    ``h{cut}`` of shape ``[seq, d]`` with ``‖·‖_F ≤ bound``."""
    import networkx as nx

    from qcompile.ir.builder import InputSpec
    from qcompile.ir.graph import Graph
    from qcompile.ir.ops import Input

    g = model.ir
    base = base or {n: n for n, _ in g.nodes()}
    cop = g.op(cut)
    seq, d = cop.type.shape
    name = f"h{base[cut]}"
    new = Graph(g.name)
    ids: dict[int, int] = {cut: new.add(Input(inputs=(), type=cop.type, loc=cop.loc, origin="cut",
                                              name=name, kind="float", shape=(seq, d),
                                              bound=float(bound)))}
    for node in sorted(nx.descendants(g.graph, cut)):
        op = g.op(node)
        missing = [i for i in op.inputs if i not in ids]
        if missing:  # pragma: no cover - a dominator cut leaves no other way in
            raise NotImplementedYetError(f"%{node} reads %{missing[0]}, which is before the cut", op.loc)
        ids[node] = new.add(dataclasses.replace(op, inputs=tuple(ids[i] for i in op.inputs)))
    new.set_output(ids[g.output])
    new.desugared = g.desugared
    spec = InputSpec(name, (seq, d), "float", float(bound), loc=cop.loc)
    seg = dataclasses.replace(model, ir=new, source_ir=new, inputs=(spec,))
    return SegmentModel(seg, None, name, {v: base[k] for k, v in ids.items()})
