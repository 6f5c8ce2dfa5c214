"""Every user mistake: a QcompileError with file:line:col, source line, caret, one sentence.

One test per error kind.  Messages must not leak Lark terminal names.
"""

import re

import numpy as np
import pytest

import qcompile
from qcompile.errors import QtfSemanticError, QtfSyntaxError, WeightError

HEAD = "model m {\n  weights random(seed = 1)\n  input x: [4, 4] bound 1.0\n"


def error_of(text, cls=qcompile.QcompileError):
    with pytest.raises(cls) as info:
        qcompile.load(text, filename="/any/dir/bad.qtf")
    return info.value


def assert_rendered(err, line, column, fragment):
    text = str(err)
    first, source, caret = text.split("\n")
    assert first.startswith(f"bad.qtf:{line}:{column}: error: "), text
    assert fragment in first, text
    assert caret.index("^") - 4 == column - 1  # 4 spaces of indent
    assert source.strip() == err.location.source_line.strip()
    assert not re.search(r"__ANON|\$END|[A-Z]{4,}_", text), text


def test_unexpected_token_says_what_was_expected():
    err = error_of(HEAD + "  y = gelu(x))\n  output y\n}\n", QtfSyntaxError)
    assert_rendered(err, 4, 14, "unexpected ')'; expected")


def test_unexpected_token_inside_expression():
    err = error_of(HEAD + "  y = gelu(x, )\n  output y\n}\n", QtfSyntaxError)
    assert_rendered(err, 4, 15, "unexpected ')'")
    assert "a name" in str(err) and "a number" in str(err)


def test_missing_closing_brace():
    err = error_of(HEAD + "  output x\n", QtfSyntaxError)
    assert "closing '}' missing" in str(err)


def test_unterminated_string():
    err = error_of('model m {\n  weights "w.npz\n}\n', QtfSyntaxError)
    assert_rendered(err, 2, 11, "unterminated string")


def test_unexpected_character():
    err = error_of(HEAD + "  y = x $ 2\n  output y\n}\n", QtfSyntaxError)
    assert_rendered(err, 4, 9, "unexpected character '$'")


def test_unknown_name_suggests_close_match():
    err = error_of(HEAD + "  y = layernorm(xx)\n  output y\n}\n", QtfSemanticError)
    assert_rendered(err, 4, 17, "unknown name 'xx' (did you mean 'x'?)")


def test_unknown_operation():
    err = error_of(HEAD + "  y = gleu(x)\n  output y\n}\n", QtfSemanticError)
    assert_rendered(err, 4, 7, "unknown operation or layer 'gleu'")


def test_shape_mismatch_names_both_shapes():
    err = error_of(HEAD + "  y = x + linear(x, 8)\n  output y\n}\n", QtfSemanticError)
    assert_rendered(err, 4, 9, "[t:4, d:4] and [t:4, d:8]")


def test_matmul_shape_mismatch():
    err = error_of(HEAD + "  z = linear(x, 3)\n  y = matmul(z, x)\n  output y\n}\n",
                   QtfSemanticError)
    assert_rendered(err, 5, 7, "matmul shapes do not fit: [t:4, d:3] and [t:4, d:4]")


def test_dim_not_positive():
    err = error_of("model m {\n  dim a = 4 - 4\n  input x: [4, a] bound 1.0\n  output x\n}\n",
                   QtfSemanticError)
    assert_rendered(err, 2, 13, "dim a must be positive, got 0")


def test_dim_division_must_be_exact():
    err = error_of("model m {\n  dim a = 6 / 4\n  input x: [4, a] bound 1.0\n  output x\n}\n",
                   QtfSemanticError)
    assert_rendered(err, 2, 13, "6 / 4 is not a whole number")


def test_heads_must_divide_d_model():
    err = error_of("model m {\n  weights random(seed = 1)\n  input x: [4, 6] bound 1.0\n"
                   "  y = attention(x, heads = 4)\n  output y\n}\n", QtfSemanticError)
    assert_rendered(err, 4, 28, "heads = 4 does not divide d_model = 6")


def test_missing_required_option():
    err = error_of(HEAD + "  y = encoder(x, heads = 2)\n  output y\n}\n", QtfSemanticError)
    assert_rendered(err, 4, 7, "needs the option 'd_ff = ...'")


def test_unknown_option():
    err = error_of(HEAD + "  y = gelu(x, bias = 1)\n  output y\n}\n", QtfSemanticError)
    assert_rendered(err, 4, 15, "gelu has no option 'bias'")


def test_output_token_out_of_range():
    err = error_of(HEAD + "  output x[token = 9]\n}\n", QtfSemanticError)
    assert_rendered(err, 4, 20, "token 9 is out of range")


def test_missing_output():
    err = error_of(HEAD + "}\n", QtfSemanticError)
    assert "has no output statement" in str(err)


def test_repeat_needs_shape_preserving_layer():
    err = error_of(HEAD + "  layer b(v) { return linear(v, 8) }\n  y = repeat 2 b(x)\n"
                   "  output y\n}\n", QtfSemanticError)
    assert_rendered(err, 5, 16, "returns [t:4, d:8]")


def test_input_needs_bound():
    err = error_of("model m {\n  input x: [4, 4]\n  output x\n}\n", QtfSemanticError)
    assert_rendered(err, 2, 9, "needs a bound")


def test_missing_weight_file(tmp_path):
    (tmp_path / "m.qtf").write_text('model m {\n  weights "nope.npz"\n  input x: [4, 4] bound 1.0\n'
                                    '  y = linear(x, 4)\n  output y\n}\n')
    with pytest.raises(WeightError) as info:
        qcompile.load(tmp_path / "m.qtf")
    assert "does not exist" in str(info.value)
    assert str(info.value).startswith("m.qtf:2:3: error:")


def _write_model(tmp_path, weights):
    np.savez(tmp_path / "w.npz", **weights)
    path = tmp_path / "m.qtf"
    path.write_text('model m {\n  weights "w.npz"\n  input x: [4, 4] bound 1.0\n'
                    '  y = linear(x, 2, name = "fc1")\n  output y\n}\n')
    return path


def test_weight_with_wrong_shape(tmp_path):
    path = _write_model(tmp_path, {"fc1.weight": np.zeros((4, 4)), "fc1.bias": np.zeros(2)})
    with pytest.raises(WeightError) as info:
        qcompile.load(path)
    assert "fc1.weight" in str(info.value) and "[2, 4]" in str(info.value)


def test_weight_missing_from_file(tmp_path):
    path = _write_model(tmp_path, {"fc1.weight": np.zeros((2, 4))})
    with pytest.raises(WeightError) as info:
        qcompile.load(path)
    assert "missing" in str(info.value) and "fc1.bias" in str(info.value)


def test_weight_with_unknown_name(tmp_path):
    path = _write_model(tmp_path, {"fc1.weight": np.zeros((2, 4)), "fc1.bias": np.zeros(2),
                                   "fc2.weight": np.zeros(2)})
    with pytest.raises(WeightError) as info:
        qcompile.load(path)
    assert "fc2.weight" in str(info.value)


def test_missing_model_file_is_a_user_error(tmp_path):
    with pytest.raises(qcompile.QcompileError):
        qcompile.load(tmp_path / "absent.qtf")
