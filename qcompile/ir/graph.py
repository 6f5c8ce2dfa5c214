"""The tensor IR container: a wrapper over ``networkx.DiGraph``.

Nodes are integer ids (printed ``%0, %1, ...``) holding frozen op records
(:mod:`qcompile.ir.ops`); an edge ``a -> b`` means op ``b`` reads the value of ``a``.  Ids
are assigned in insertion order and an op may only read existing ids, so id order is a
topological order and printing is deterministic.  ``layers`` holds the bodies of user
``layer`` definitions (source IR only; the desugar pass inlines them).  The raw graph is
available as ``.graph`` for experts; passes use the methods.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from qcompile.errors import IRVerifyError
from qcompile.ir.ops import Op


class Graph:
    """A tensor-IR graph of one model (or of one layer body)."""

    #: the IR level passes over it take (:data:`qcompile.passes.manager.LEVELS`)
    ir_level = "tensor"

    def __init__(self, name: str = "model"):
        import networkx as nx

        self.name = name
        self._g = nx.DiGraph()
        self.output: int | None = None
        self.layers: dict[str, Graph] = {}
        #: set by the desugar pass: no sugar op may remain (checked by verify)
        self.desugared = False

    # --- construction
    def add(self, op: Op) -> int:
        """Append ``op`` (its operands must already be in the graph); return its id."""
        node = self._g.number_of_nodes()
        for i in op.inputs:
            if i not in self._g:
                raise IRVerifyError(f"op {op.opname} reads %{i}, which does not exist yet")
        self._g.add_node(node, op=op)
        for pos, i in enumerate(op.inputs):
            # several operands may be the same value: keep every position on the edge
            if self._g.has_edge(i, node):
                self._g.edges[i, node]["positions"].append(pos)
            else:
                self._g.add_edge(i, node, positions=[pos])
        return node

    def set_output(self, node: int) -> None:
        """Mark ``node`` as the graph's result."""
        self.output = node

    # --- access
    @property
    def graph(self):
        """The underlying ``networkx.DiGraph`` (node attribute ``op``); read-only use."""
        return self._g

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    def __contains__(self, node: int) -> bool:
        return node in self._g

    def op(self, node: int) -> Op:
        """The op record of ``node``."""
        return self._g.nodes[node]["op"]

    def nodes(self) -> Iterator[tuple[int, Op]]:
        """``(id, op)`` pairs in id (= topological) order."""
        for node in range(self._g.number_of_nodes()):
            yield node, self._g.nodes[node]["op"]

    def users(self, node: int) -> list[int]:
        """Ids of the ops that read ``node``, ascending."""
        return sorted(self._g.successors(node))

    def input_types(self, op: Op):
        """Types of ``op``'s operands (in operand order)."""
        return [self.op(i).type for i in op.inputs]

    def find(self, opname: str) -> list[int]:
        """Ids of every op named ``opname``."""
        return [n for n, op in self.nodes() if op.opname == opname]

    def input_nodes(self) -> list[int]:
        """Ids of the model's ``input`` ops."""
        return self.find("input")

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every weight name read by the graph (layer calls expanded) -> its full shape."""
        shapes: dict[str, tuple[int, ...]] = {}
        for _, op in self.nodes():
            items = list(op.weight_shapes())
            if op.opname == "call" and op.layer in self.layers:
                body = self.layers[op.layer].weight_shapes()
                for i in range(op.count):
                    pre = op.instance_prefix(i)
                    items += [(pre + k, v) for k, v in body.items()]
            for name, shape in items:
                if name in shapes and shapes[name] != shape:
                    raise IRVerifyError(f"weight '{name}' is used with shapes {shapes[name]} "
                                        f"and {shape}")
                shapes[name] = shape
        return dict(sorted(shapes.items()))

    # --- reporting
    def to_text(self) -> str:
        """Deterministic text form (see :mod:`qcompile.ir.printer`)."""
        from qcompile.ir.printer import print_graph

        return print_graph(self)

    def stats(self) -> dict:
        """``{"nodes": n, "ops": {opname: count}, "parameters": number of weight scalars,
        "weights": number of weight tensors}``."""
        counts = Counter(op.printed_name for _, op in self.nodes())
        shapes = self.weight_shapes()
        params = 0
        for shape in shapes.values():
            size = 1
            for d in shape:
                size *= d
            params += size
        return {"nodes": len(self), "ops": dict(sorted(counts.items())),
                "parameters": params, "weights": len(shapes)}

    def verify(self) -> None:
        """Check the invariants; raise IRVerifyError (see :mod:`qcompile.ir.verify`)."""
        from qcompile.ir.verify import verify_graph

        verify_graph(self, allow_sugar=not self.desugared)

    def __repr__(self) -> str:
        return f"<Graph {self.name}: {len(self)} nodes>"
