"""The tensor-IR verifier: structural and shape/leg consistency checks."""

from __future__ import annotations

from qcompile.errors import IRVerifyError, QcompileError
from qcompile.functions import is_function


def verify_graph(graph, *, is_body: bool = False, allow_sugar: bool = True) -> None:
    """Raise IRVerifyError unless ``graph`` is well formed.

    Checks: operands exist and precede their user (ids are topological); every op has a
    type equal to what ``op.infer`` gives for its operand types; ``param`` ops only in layer
    bodies; elementwise ops apply registered functions; layer calls name an existing body whose parameter/result types match; the
    output id exists; each weight name is used with one shape; no sugar op remains when
    ``allow_sugar`` is False.  Layer bodies are verified recursively.
    """
    for node, op in graph.nodes():
        for i in op.inputs:
            if not (isinstance(i, int) and 0 <= i < node):
                raise IRVerifyError(f"%{node} ({op.printed_name}) reads %{i}, which does not "
                                    f"precede it", op.loc)
        if op.type is None:
            raise IRVerifyError(f"%{node} ({op.printed_name}) has no type", op.loc)
        if len(set(op.type.names)) != len(op.type.legs):
            raise IRVerifyError(f"%{node} ({op.printed_name}) has repeated leg names: {op.type}",
                                op.loc)
        if op.sugar and not allow_sugar:
            raise IRVerifyError(f"%{node} is the sugar op {op.opname}, which should have been "
                                f"desugared", op.loc)
        if op.opname == "elementwise" and not is_function(op.function, language=False):
            raise IRVerifyError(f"%{node} applies the unregistered function '{op.function}'", op.loc)
        if op.opname == "param" and not is_body:
            raise IRVerifyError(f"%{node}: a param op outside a layer body", op.loc)
        try:
            want = op.infer(graph.input_types(op))
        except IRVerifyError:
            raise
        except QcompileError as err:
            raise IRVerifyError(f"%{node} ({op.printed_name}): {err.message}", op.loc) from None
        if want != op.type:
            raise IRVerifyError(f"%{node} ({op.printed_name}) has type {op.type} but its operands "
                                f"give {want}", op.loc)
        if op.opname == "call":
            body = graph.layers.get(op.layer)
            if body is None:
                raise IRVerifyError(f"%{node} calls the unknown layer '{op.layer}'", op.loc)
            params = [b.type for _, b in body.nodes() if b.opname == "param"]
            if tuple(params) != op.param_types or body.output is None \
                    or body.op(body.output).type != op.result_type:
                raise IRVerifyError(f"%{node}: call types do not match layer "
                                    f"'{op.layer}'", op.loc)
            if op.count > 1 and op.result_type != op.param_types[0]:
                raise IRVerifyError(f"%{node}: repeated layer '{op.layer}' must return the "
                                    f"shape of its first argument", op.loc)
    if graph.output is not None and graph.output not in graph:
        raise IRVerifyError(f"the output %{graph.output} does not exist")
    if not is_body and len(graph) and graph.output is None:
        raise IRVerifyError("the graph has no output")
    if not is_body:  # bodies share the root's ``layers`` dict
        for body in graph.layers.values():
            verify_graph(body, is_body=True, allow_sugar=allow_sugar)
    graph.weight_shapes()  # raises on a weight used with two shapes
