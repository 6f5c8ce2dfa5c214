"""Random mutations of the shipped examples: only QcompileError subclasses may escape load."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qcompile

from frontend_support import EXAMPLES, LARGE_EXAMPLES

SOURCES = {p.name: p.read_text() for p in sorted(EXAMPLES.glob("*.qtf"))
           if p.stem not in LARGE_EXAMPLES}
TOKENS = ["model", "dim", "weights", "random", "seed", "input", "layer", "return", "repeat",
          "output", "token", "last", "all", "int", "text", "bound", "vocab", "alphabet",
          "linear", "matmul", "transpose", "softmax", "layernorm", "gelu", "relu", "attention",
          "encoder", "embed", "posenc", "split_heads", "merge_heads", "causal_mask", "heads",
          "x", "y", "(", ")", "{", "}", "[", "]", ",", "=", "+", "-", "*", "/", ":", "#", '"',
          "0", "1", "-3", "4.0", "1e9", "99999999999", '"w.npz"', "true", "false", "\n", " "]


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(SOURCES)))
    text = SOURCES[name]
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "token"]))
        if kind == "delete":
            end = min(len(text), pos + draw(st.integers(1, 12)))
            text = text[:pos] + text[end:]
        elif kind == "insert":
            text = text[:pos] + draw(st.text(min_size=1, max_size=3)) + text[pos:]
        elif kind == "replace":
            text = text[:pos] + draw(st.characters()) + text[pos + 1:]
        else:
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
    return name, text


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_only_qcompile_errors_escape_load(case):
    name, text = case
    try:
        model = qcompile.load(text, filename=name)
    except qcompile.QcompileError as err:
        assert str(err)  # renders without raising
        return
    model.ir.to_text()
