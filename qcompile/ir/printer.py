"""Deterministic text form of the tensor IR, one op per line.

::

    %5: [t:4, d:8] = linear %4 {weight = @linear1.weight, bias = @linear1.bias}   # mlp.qtf:7:7

Locations use the .qtf file's basename; ``<- origin`` follows when the op came from sugar
or a layer instance.  Layer bodies (source IR only) are printed first as
``layer NAME(%0: [..]) { ... }`` blocks.
"""

from __future__ import annotations


def format_op(node: int, op) -> str:
    """One printed line for ``op`` with id ``node`` (no indentation, no newline)."""
    operands = ", ".join(f"%{i}" for i in op.inputs)
    attrs = op.attributes()
    text = f"%{node}: {op.type} = {op.printed_name}"
    if operands:
        text += " " + operands
    if attrs:
        text += " {" + ", ".join(f"{k} = {v}" for k, v in attrs) + "}"
    comment = []
    if op.loc is not None:
        comment.append(f"{op.loc.file}:{op.loc.line}:{op.loc.column}")
    if op.origin:
        comment.append(f"<- {op.origin}")
    if comment:
        text += "   # " + " ".join(comment)
    return text


def _body_lines(graph, indent: str) -> list[str]:
    lines = [indent + format_op(n, op) for n, op in graph.nodes()]
    if graph.output is not None:
        lines.append(f"{indent}output %{graph.output}")
    return lines


def print_graph(graph) -> str:
    """The whole graph as text (ends with a newline)."""
    lines = [f"model {graph.name}"]
    for name in sorted(graph.layers):
        body = graph.layers[name]
        params = ", ".join(f"%{n}: {op.type}" for n, op in body.nodes() if op.opname == "param")
        lines.append(f"layer {name}({params}) {{")
        lines += _body_lines(body, "  ")
        lines.append("}")
    lines += _body_lines(graph, "")
    return "\n".join(lines) + "\n"
