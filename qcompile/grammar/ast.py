"""The .qtf abstract syntax tree: frozen, value-equal records, each with a source location.

Expressions are shared between dimension arithmetic (``d_model / heads``) and tensor
computations (``layernorm(x + a)``); the builder (:mod:`qcompile.ir.builder`) decides which
is which from the names they use.
"""

from __future__ import annotations

from dataclasses import dataclass

from qcompile.errors import SourceLocation


@dataclass(frozen=True)
class Node:
    """Base of every AST node: ``loc`` is where the node starts in the source."""

    loc: SourceLocation


# --- expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    """An integer or floating-point literal."""

    value: int | float


@dataclass(frozen=True)
class String(Node):
    """A double-quoted string literal (quotes removed)."""

    value: str


@dataclass(frozen=True)
class Name(Node):
    """A reference to a dim, a tensor value, a layer parameter or a bare word (``last``)."""

    name: str


@dataclass(frozen=True)
class BinOp(Node):
    """``left op right`` with ``op`` one of ``+ - * /``."""

    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Neg(Node):
    """Unary minus."""

    operand: "Expr"


@dataclass(frozen=True)
class Keyword(Node):
    """A keyword argument ``name = value`` inside a call."""

    name: str
    value: "Expr"


@dataclass(frozen=True)
class Call(Node):
    """``func(args, key = value, ...)``: a built-in op or a user ``layer``."""

    func: str
    args: tuple["Expr", ...]
    kwargs: tuple[Keyword, ...]


@dataclass(frozen=True)
class Repeat(Node):
    """``repeat count layer(args)``: apply a layer ``count`` times, feeding its output back."""

    count: "Expr"
    call: Call


Expr = Number | String | Name | BinOp | Neg | Call | Repeat


# --- statements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DimDef(Node):
    """``dim name = expr`` (one item of a ``dim`` statement)."""

    name: str
    value: Expr


@dataclass(frozen=True)
class WeightsRandom(Node):
    """``weights random(seed = N)``."""

    seed: int


@dataclass(frozen=True)
class WeightsFile(Node):
    """``weights "file.npz"`` or ``weights "m.safetensors" naming gpt2`` (path relative to
    the .qtf file's folder; ``naming``: the checkpoint's naming scheme, None for qcompile's
    PyTorch names)."""

    path: str
    naming: str | None = None


@dataclass(frozen=True)
class InputDecl(Node):
    """``input name: [dims] bound B [bound b per token]`` | ``input name: int[seq] vocab V`` |
    ``input name: text[seq] alphabet "..."``.  ``kind`` is ``float``, ``tokens`` or ``text``;
    ``options`` maps option name to its expression and location."""

    name: str
    kind: str
    shape: tuple[Expr, ...]
    options: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Assign(Node):
    """``name = expr``."""

    target: str
    value: Expr


@dataclass(frozen=True)
class LayerDef(Node):
    """``layer name(params) { assignments; return expr }``."""

    name: str
    params: tuple[str, ...]
    body: tuple[Assign, ...]
    result: Expr


@dataclass(frozen=True)
class OutputDecl(Node):
    """``output name[token = last | K | all]`` (``token`` is ``"last"``, ``"all"`` or an int)."""

    name: str
    token: str | int
    token_loc: SourceLocation


Statement = DimDef | WeightsRandom | WeightsFile | InputDecl | Assign | LayerDef | OutputDecl


@dataclass(frozen=True)
class Model(Node):
    """A whole ``model NAME { ... }`` with its statements in source order."""

    name: str
    statements: tuple[Statement, ...]
    source_file: str
