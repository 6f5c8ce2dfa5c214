"""Parser: AST shape, locations, frozen value-equal nodes."""

import dataclasses

import pytest

from qcompile.errors import QtfSyntaxError
from qcompile.grammar import ast
from qcompile.grammar.parser import parse

SRC = """# comment line
model m {
  dim a = 4, b = (a + 4) / 2   # trailing comment
  weights random(seed = 7)
  input x: [a, b] bound 4.0
  y = linear(x, b, bias = false)
  output y[token = last]
}
"""


def test_parse_builds_statements_in_order():
    m = parse(SRC, "dir/m.qtf")
    kinds = [type(s).__name__ for s in m.statements]
    assert kinds == ["DimDef", "DimDef", "WeightsRandom", "InputDecl", "Assign", "OutputDecl"]
    assert m.name == "m"


def test_locations_use_basename_line_and_column():
    m = parse(SRC, "/some/where/m.qtf")
    assign = m.statements[4]
    assert (assign.loc.file, assign.loc.line, assign.loc.column) == ("m.qtf", 6, 3)
    assert assign.loc.source_line == "  y = linear(x, b, bias = false)"
    call = assign.value
    assert isinstance(call, ast.Call) and call.func == "linear"
    assert call.kwargs[0].name == "bias" and call.loc.column == 7


def test_dim_expression_tree():
    m = parse(SRC)
    b = m.statements[1].value
    assert isinstance(b, ast.BinOp) and b.op == "/"
    assert isinstance(b.left, ast.BinOp) and b.left.op == "+"


def test_ast_is_frozen_and_value_equal():
    assert parse(SRC, "m.qtf") == parse(SRC, "m.qtf")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse(SRC).statements[0].name = "z"


def test_weights_file_input_kinds_and_repeat():
    m = parse('model m { weights "w.npz" input s: text[8] alphabet "ACGT" '
              'input i: int[8] vocab 20 layer f(x) { y = x return y } z = repeat 3 f(s) '
              'output z[token = all] }')
    wf, s, i, layer, z, out = m.statements
    assert wf == ast.WeightsFile(wf.loc, "w.npz")
    assert (s.kind, i.kind) == ("text", "tokens")
    assert layer.params == ("x",) and isinstance(z.value, ast.Repeat)
    assert out.token == "all"


def test_lark_exceptions_never_escape():
    import lark

    for text in ["", "model", "model m {", "model m { y = }", 'model m { weights "x }',
                 "model m { y = f(a = 1, x) }", "\x00"]:
        with pytest.raises(QtfSyntaxError) as info:
            parse(text)
        assert not isinstance(info.value, lark.exceptions.LarkError)
