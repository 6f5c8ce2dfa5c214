"""The ``shape-inference`` pass: recompute every value's legs from its operands."""

from __future__ import annotations

import dataclasses

from qcompile.ir.graph import Graph
from qcompile.passes.manager import Pass, register_pass


def infer_graph(graph: Graph) -> Graph:
    """A copy of ``graph`` whose ops carry the types ``op.infer`` gives (layer bodies too).

    Raises QtfSemanticError at the op's .qtf location on any shape/leg mismatch.
    """
    layers: dict[str, Graph] = {}
    out = _infer_one(graph, layers)
    for name, body in graph.layers.items():
        layers[name] = _infer_one(body, layers)
    return out


def _infer_one(graph: Graph, layers: dict) -> Graph:
    new = Graph(graph.name)
    new.layers = layers
    new.desugared = graph.desugared
    for _, op in graph.nodes():
        op = dataclasses.replace(op, type=op.infer(new.input_types(op)))
        new.add(op)
    if graph.output is not None:
        new.set_output(graph.output)
    return new


@register_pass
class ShapeInference(Pass):
    """Recomputes the type (named legs) of every op from its operands."""

    name = "shape-inference"
    kind = "transformation"
    takes = "tensor"
    description = "recompute every value's named legs from its operands; report mismatches"

    def run(self, ir: Graph, properties: dict) -> Graph:
        """Return a re-typed copy of ``ir``."""
        return infer_graph(ir)
