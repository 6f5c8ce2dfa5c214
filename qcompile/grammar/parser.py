"""Parse .qtf text into the AST (:mod:`qcompile.grammar.ast`).

Lark (LALR) does the parsing with the grammar in ``qtf.lark``; a Transformer builds the
frozen AST.  Every Lark exception is translated into a :class:`QtfSyntaxError` with a
file:line:col location and a plain sentence, so none escapes this module.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from qcompile.errors import QcompileError, QtfSyntaxError, SourceLocation
from qcompile.grammar import ast
from qcompile.validate import MAX_INT_LITERAL

#: deepest nesting of expressions (operators, calls, parentheses) a model may use; far
#: beyond what a model needs and well inside Python's recursion limit for the builder
MAX_NESTING = 100
#: parse-tree rules that open one level of expression nesting
_NESTING_RULES = frozenset({"add", "sub", "mul", "div", "neg", "call", "repeat"})

_GRAMMAR = Path(__file__).with_name("qtf.lark")

#: plain words for the grammar's named terminals (users never see Lark's terminal names)
_TERMINAL_WORDS = {
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a number",
    "STRING": "a quoted string",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "$END": "the end of the file",
}


@functools.lru_cache(maxsize=1)
def _lark():
    import lark

    return lark.Lark(_GRAMMAR.read_text(encoding="utf-8"), parser="lalr",
                     propagate_positions=True, maybe_placeholders=True)


def parse(text: str, filename: str = "<string>") -> ast.Model:
    """Parse .qtf source ``text``; locations name ``basename(filename)``.

    Raises QtfSyntaxError (with location, source line and caret) on any syntax error.
    A leading byte-order mark is ignored.  Lines are what the parser counts: only ``\n``
    ends one (a form feed or U+2028 in a comment does not), so a caret always sits under
    the character it names.
    """
    import lark

    if text.startswith("\ufeff"):
        text = text[1:]
    file = os.path.basename(filename) or filename
    lines = source_lines(text)
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise _syntax_error(err, text, file, lines) from None
    except lark.exceptions.LarkError as err:  # pragma: no cover - defensive
        raise QtfSyntaxError(f"cannot parse the model: {err}",
                             SourceLocation(file, 1, 1, lines[0] if lines else "")) from None
    _check_nesting(tree, file, lines)
    try:
        return _ToAst(file, lines).transform(tree)
    except lark.exceptions.VisitError as err:
        if isinstance(err.orig_exc, QcompileError):
            raise err.orig_exc from None
        raise


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` as the parser counts them (split at ``\n`` only)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _check_nesting(tree, file: str, lines: list[str]) -> None:
    """Refuse expressions nested deeper than :data:`MAX_NESTING`, at the expression that
    crosses the limit (walked without recursion, so any depth is safe to check)."""
    import lark

    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, lark.Tree):
            continue
        if node.data in _NESTING_RULES:
            depth += 1
            if depth > MAX_NESTING:
                meta = node.meta
                line = getattr(meta, "line", 1) if not getattr(meta, "empty", True) else 1
                column = getattr(meta, "column", 1) if not getattr(meta, "empty", True) else 1
                raise QtfSyntaxError(f"expressions nest more than {MAX_NESTING} deep here; split this "
                                     "expression into several assignments",
                                     _location(file, lines, line, column))
        stack.extend((child, depth) for child in node.children)


def _location(file: str, lines: list[str], line: int, column: int) -> SourceLocation:
    source = lines[line - 1] if 1 <= line <= len(lines) else ""
    return SourceLocation(file, line, column, source)


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        term = _lark().get_terminal(name)
    except KeyError:
        return name.lower()
    pattern = term.pattern
    if type(pattern).__name__ == "PatternStr":
        return f"'{pattern.value}'"
    return name.lower()


def _expected_words(expected) -> str:
    words = sorted({_describe_terminal(t) for t in expected})
    if "a number" in words and "an integer" in words:
        words.remove("an integer")
    # quoted symbols first, plain words last, for readability
    words.sort(key=lambda w: (not w.startswith("'"), w))
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    if len(words) > 8:
        return ", ".join(words[:8]) + " or another token"
    return ", ".join(words[:-1]) + " or " + words[-1]


def _describe_token(token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "NAME":
        return f"name '{token.value}'"
    if token.type in ("INT", "FLOAT"):
        return f"number {token.value}"
    if token.type == "STRING":
        return f"string {token.value}"
    return f"'{token.value}'"


def _syntax_error(err, text: str, file: str, lines: list[str]) -> QtfSyntaxError:
    import lark

    line = getattr(err, "line", -1)
    column = getattr(err, "column", -1)
    if line is None or line < 1:  # end of input: point just past the last character
        line = max(len(lines), 1)
        column = len(lines[-1]) + 1 if lines else 1
    loc = _location(file, lines, line, column)
    if isinstance(err, lark.exceptions.UnexpectedCharacters):
        char = err.char
        if char == '"':
            return QtfSyntaxError("unterminated string: a string must end with '\"' on the "
                                  "same line", loc)
        shown = repr(char) if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
        return QtfSyntaxError(f"unexpected character {shown}", loc)
    if isinstance(err, lark.exceptions.UnexpectedToken):
        token = err.token
        expected = _expected_words(err.accepts or err.expected)
        got = _describe_token(token)
        if token.type == "$END":
            if "'}'" in {_describe_terminal(t) for t in (err.accepts or err.expected)}:
                return QtfSyntaxError("the file ends too early: is a closing '}' missing?",
                                      loc)
            msg = "the file ends too early"
            if expected:
                msg += f"; expected {expected}"
            return QtfSyntaxError(msg, loc)
        msg = f"unexpected {got}"
        if expected:
            msg += f"; expected {expected}"
        return QtfSyntaxError(msg, loc)
    if isinstance(err, lark.exceptions.UnexpectedEOF):
        expected = _expected_words(err.expected)
        msg = "the file ends too early" + (f"; expected {expected}" if expected else "")
        return QtfSyntaxError(msg, loc)
    return QtfSyntaxError("cannot parse this", loc)  # pragma: no cover - defensive


def _make_transformer():
    import lark
    from lark import v_args

    @v_args(meta=True)
    class ToAst(lark.Transformer):
        """Parse tree -> frozen AST."""

        def __init__(self, file: str, lines: list[str]):
            super().__init__()
            self.file = file
            self.lines = lines

        def _loc(self, meta) -> SourceLocation:
            if getattr(meta, "empty", True):
                return _location(self.file, self.lines, 1, 1)
            return _location(self.file, self.lines, meta.line, meta.column)

        def _tok_loc(self, token) -> SourceLocation:
            return _location(self.file, self.lines, token.line, token.column)

        # --- top level
        def start(self, meta, children):
            return children[0]

        def model(self, meta, children):
            name, *statements = children
            flat = []
            for st in statements:
                flat.extend(st if isinstance(st, list) else [st])
            return ast.Model(self._tok_loc(name), str(name), tuple(flat), self.file)

        def dim_stmt(self, meta, children):
            return list(children)

        def dim_item(self, meta, children):
            name, value = children
            return ast.DimDef(self._tok_loc(name), str(name), value)

        def weights_file(self, meta, children):
            naming = None if len(children) < 2 or children[1] is None else str(children[1])
            return ast.WeightsFile(self._loc(meta), str(children[0])[1:-1], naming)

        def weights_random(self, meta, children):
            return ast.WeightsRandom(self._loc(meta), self._int(children[0]))

        def _int(self, token) -> int:
            """An INT token's value, refused above :data:`MAX_INT_LITERAL` (Python would
            refuse over 4300 digits with a ValueError; no model needs more than 19)."""
            text = str(token)
            if len(text.lstrip("0")) > len(str(MAX_INT_LITERAL)) or int(text.lstrip("0") or "0") > MAX_INT_LITERAL:
                digits = len(text.lstrip("0"))
                raise QtfSyntaxError(f"the integer literal of {digits} digits is too large (the limit is "
                                     f"{MAX_INT_LITERAL:,})", self._tok_loc(token))
            return int(text.lstrip("0") or "0")

        def input_stmt(self, meta, children):
            name, (kind, shape), *options = children
            return ast.InputDecl(self._tok_loc(name), str(name), kind, shape, tuple(options))

        def float_type(self, meta, children):
            return ("float", children[0])

        def int_type(self, meta, children):
            return ("tokens", children[0])

        def text_type(self, meta, children):
            return ("text", children[0])

        def shape(self, meta, children):
            return tuple(children)

        def bound_option(self, meta, children):
            return ("bound", children[0])

        def token_bound_option(self, meta, children):
            return ("token_bound", children[0])

        def vocab_option(self, meta, children):
            return ("vocab", children[0])

        def alphabet_option(self, meta, children):
            tok = children[0]
            return ("alphabet", ast.String(self._tok_loc(tok), str(tok)[1:-1]))

        def assign_stmt(self, meta, children):
            name, value = children
            return ast.Assign(self._tok_loc(name), str(name), value)

        def layer_def(self, meta, children):
            name = children[0]
            params, body, result = [], [], None
            for child in children[1:]:
                if child is None:
                    continue
                if isinstance(child, lark.Token):
                    params.append(str(child))
                elif isinstance(child, ast.Assign):
                    body.append(child)
                else:
                    result = child
            return ast.LayerDef(self._tok_loc(name), str(name), tuple(params), tuple(body),
                                result)

        def return_stmt(self, meta, children):
            return children[0]

        def output_stmt(self, meta, children):
            name, sel = children
            if sel is None:
                return ast.OutputDecl(self._tok_loc(name), str(name), "last",
                                      self._tok_loc(name))
            token, loc = sel
            return ast.OutputDecl(self._tok_loc(name), str(name), token, loc)

        def token_name(self, meta, children):
            return (str(children[0]), self._tok_loc(children[0]))

        def token_index(self, meta, children):
            return (self._int(children[0]), self._tok_loc(children[0]))

        # --- expressions
        def _bin(self, op, meta, children):
            left, token, right = children
            return ast.BinOp(self._tok_loc(token), op, left, right)

        def add(self, meta, children):
            return self._bin("+", meta, children)

        def sub(self, meta, children):
            return self._bin("-", meta, children)

        def mul(self, meta, children):
            return self._bin("*", meta, children)

        def div(self, meta, children):
            return self._bin("/", meta, children)

        def neg(self, meta, children):
            return ast.Neg(self._tok_loc(children[0]), children[1])

        def int_number(self, meta, children):
            return ast.Number(self._tok_loc(children[0]), self._int(children[0]))

        def float_number(self, meta, children):
            text = str(children[0])
            if len(text) > 400:
                raise QtfSyntaxError(f"the number literal of {len(text)} characters is too long",
                                     self._tok_loc(children[0]))
            return ast.Number(self._tok_loc(children[0]), float(text))

        def string(self, meta, children):
            return ast.String(self._tok_loc(children[0]), str(children[0])[1:-1])

        def name(self, meta, children):
            return ast.Name(self._tok_loc(children[0]), str(children[0]))

        def call(self, meta, children):
            name, arguments = children
            args, kwargs = arguments if arguments is not None else ((), ())
            return ast.Call(self._tok_loc(name), str(name), args, kwargs)

        def arguments(self, meta, children):
            args = tuple(c for c in children if not isinstance(c, ast.Keyword))
            kwargs = tuple(c for c in children if isinstance(c, ast.Keyword))
            if any(isinstance(c, ast.Keyword) for c in children):
                first_kw = next(i for i, c in enumerate(children) if isinstance(c, ast.Keyword))
                for c in children[first_kw:]:
                    if not isinstance(c, ast.Keyword):
                        raise QtfSyntaxError("a positional argument cannot follow a keyword "
                                             "argument", c.loc)
            return (args, kwargs)

        def keyword(self, meta, children):
            name, value = children
            return ast.Keyword(self._tok_loc(name), str(name), value)

        def repeat(self, meta, children):
            count, name, (args, kwargs) = children
            call = ast.Call(self._tok_loc(name), str(name), args, kwargs)
            return ast.Repeat(self._loc(meta), count, call)

    return ToAst


@functools.lru_cache(maxsize=1)
def _transformer_class():
    return _make_transformer()


def _ToAst(file, lines):
    return _transformer_class()(file, lines)
