"""The tensor IR: op records (:mod:`.ops`), the graph container (:mod:`.graph`), the builder
from the AST (:mod:`.builder`), the verifier (:mod:`.verify`) and the printer
(:mod:`.printer`)."""

from qcompile.ir.graph import Graph
from qcompile.ir.ops import Leg, Op, TensorType, tensor_type

__all__ = ["Graph", "Leg", "Op", "TensorType", "tensor_type"]
