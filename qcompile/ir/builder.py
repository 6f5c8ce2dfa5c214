"""Build the source tensor IR from the AST: name resolution, dim arithmetic, weight naming.

Weight names follow PyTorch ``state_dict`` conventions so that weights round-trip:

* ``linear`` -> ``linear1.weight``/``linear1.bias``, ``linear2.*``, ... (in source order,
  as in ``nn.TransformerEncoderLayer``'s feed-forward), or ``NAME.*`` with ``name = "NAME"``;
* ``layernorm`` -> ``norm1.*``, ``norm2.*``, ...;
* ``attention`` -> ``self_attn.in_proj_weight`` etc. (then ``self_attn2``, ...);
* ``embed`` -> ``embed.weight``;
* ``encoder`` -> the names of one ``nn.TransformerEncoderLayer`` without prefix when they
  are free, else under ``encoder.``, ``encoder2.``, ...;
* a ``layer`` body's weights get the prefix ``layers.N.`` for ``repeat`` (call N) and
  ``LAYERNAME.`` for a single call.

Sugar (attention, encoder, layer calls) stays in this IR; the desugar pass expands it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from qcompile.errors import QcompileError, QtfSemanticError, SourceLocation
from qcompile.functions import function_names, is_function
from qcompile.grammar import ast
from qcompile.ir import ops
from qcompile.ir.graph import Graph
from qcompile.validate import MAX_DIM, MAX_IR_OPS, MAX_REPEAT


@dataclass(frozen=True)
class InputSpec:
    """A declared model input: ``kind`` is ``float``, ``tokens`` or ``text``.  A float input
    has ``‖X‖_F ≤ bound`` and, when declared (``bound b per token``), every row's norm
    ``≤ row_bound``; ``bound`` is then at most ``√seq·row_bound``."""

    name: str
    shape: tuple[int, ...]
    kind: str
    bound: float | None = None
    vocab: int | None = None
    alphabet: str | None = None
    loc: SourceLocation | None = dataclasses.field(default=None, compare=False)
    row_bound: float | None = None


#: how each input option is written in a .qtf file (for messages)
_OPTION_NAMES = {"bound": "bound", "token_bound": "bound ... per token", "vocab": "vocab",
                 "alphabet": "alphabet"}


@dataclass(frozen=True)
class WeightSource:
    """Where weights come from: ``random`` with ``seed``, or a ``file`` path as written;
    ``naming`` is the checkpoint naming scheme of ``weights "m.safetensors" naming gpt2``
    (None: the file uses qcompile's PyTorch names)."""

    kind: str
    seed: int | None = None
    path: str | None = None
    loc: SourceLocation | None = dataclasses.field(default=None, compare=False)
    naming: str | None = None


@dataclass(frozen=True)
class OutputSpec:
    """The output value and token selection (an index, resolved from ``last``, or ``all``)."""

    name: str
    token: int | str
    loc: SourceLocation | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class BuildResult:
    """Everything the builder extracts from a model."""

    name: str
    graph: Graph
    dims: dict
    inputs: tuple[InputSpec, ...]
    weights: WeightSource | None
    output: OutputSpec


def _err(message: str, loc) -> QtfSemanticError:
    return QtfSemanticError(message, loc)


@dataclass(frozen=True)
class _Tensor:
    node: int


class _Names:
    """Weight-name allocation inside one graph (model or layer body)."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, name: str, loc) -> str:
        if name in self.used:
            raise _err(f"the weight name '{name}' is used twice", loc)
        self.used.add(name)
        return name

    def first_free(self, base: str) -> str:
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}{n}"
        self.used.add(name)
        return name

    def counted(self, base: str) -> str:
        n = 1
        while f"{base}{n}" in self.used:
            n += 1
        self.used.add(f"{base}{n}")
        return f"{base}{n}"


_ENCODER_PARTS = ("self_attn", "linear1", "linear2", "norm1", "norm2")


class _Scope:
    """Values visible while building one graph."""

    def __init__(self, builder: "Builder", graph: Graph, values: dict):
        self.builder = builder
        self.graph = graph
        self.values = values  # name -> _Tensor
        self.names = _Names()

    def emit(self, op: ops.Op) -> _Tensor:
        op = dataclasses.replace(op, type=op.infer(self.graph.input_types(op)))
        return _Tensor(self.graph.add(op))

    def type_of(self, t: _Tensor) -> ops.TensorType:
        return self.graph.op(t.node).type


class Builder:
    """Builds a :class:`BuildResult` from an :class:`ast.Model` (use :func:`build`)."""

    def __init__(self, model: ast.Model, overrides: dict[str, int] | None = None):
        self.model = model
        self.overrides = dict(overrides or {})
        self.dims: dict[str, int] = {}
        self.layer_defs: dict[str, ast.LayerDef] = {}
        self.graph = Graph(model.name)
        self.body_keys: dict[tuple, str] = {}
        self.call_stack: list[str] = []

    # --- entry point
    def build(self) -> BuildResult:
        m = self.model
        for st in m.statements:
            if isinstance(st, ast.LayerDef):
                if st.name in self.layer_defs:
                    raise _err(f"layer '{st.name}' is defined twice", st.loc)
                if hasattr(self, f"_op_{st.name}") or is_function(st.name):
                    raise _err(f"'{st.name}' is a built-in operation; give the layer another "
                               f"name", st.loc)
                if len(set(st.params)) != len(st.params):
                    raise _err(f"layer '{st.name}' has repeated parameter names", st.loc)
                self.layer_defs[st.name] = st
        scope = _Scope(self, self.graph, {})
        inputs, weights, output = [], None, None
        for st in m.statements:
            if isinstance(st, ast.DimDef):
                self._define_dim(st, scope)
            elif isinstance(st, (ast.WeightsRandom, ast.WeightsFile)):
                if weights is not None:
                    raise _err("the model has two weights statements", st.loc)
                weights = (WeightSource("random", seed=st.seed, loc=st.loc)
                           if isinstance(st, ast.WeightsRandom)
                           else WeightSource("file", path=st.path, loc=st.loc,
                                             naming=getattr(st, "naming", None)))
            elif isinstance(st, ast.InputDecl):
                inputs.append(self._input(st, scope))
            elif isinstance(st, ast.Assign):
                self._assign(st, scope)
            elif isinstance(st, ast.OutputDecl):
                if output is not None:
                    raise _err("the model has two output statements", st.loc)
                output = self._output(st, scope)
        if not inputs:
            raise _err(f"model '{m.name}' declares no input", m.loc)
        if output is None:
            raise _err(f"model '{m.name}' has no output statement (e.g. 'output y[token = "
                       f"last]')", m.loc)
        unknown = sorted(set(self.overrides) - set(self.dims))
        if unknown:
            raise QcompileError(f"model '{m.name}' has no dim named {', '.join(unknown)}; its dims are: "
                                f"{', '.join(self.dims) or 'none'}")
        if weights is None and self.graph.weight_shapes():
            raise _err(f"model '{m.name}' uses weights but has no weights statement (e.g. "
                       f"'weights random(seed = 0)')", m.loc)
        return BuildResult(m.name, self.graph, dict(self.dims), tuple(inputs), weights, output)

    # --- statements
    def _check_free(self, name: str, scope: _Scope, loc) -> None:
        if name in self.dims or name in scope.values:
            raise _err(f"'{name}' is already defined", loc)
        if name in self.layer_defs:
            raise _err(f"'{name}' is already the name of a layer", loc)

    def _define_dim(self, st: ast.DimDef, scope: _Scope) -> None:
        self._check_free(st.name, scope, st.loc)
        value = self._dim(st.value, scope, f"dim {st.name}")
        if st.name in self.overrides:
            value = self.overrides[st.name]
        self.dims[st.name] = value

    def _dim(self, expr: ast.Expr, scope: _Scope, what: str) -> int:
        value = self._eval(expr, scope)
        if isinstance(value, _Tensor) or isinstance(value, (str, bool)) \
                or not isinstance(value, int):
            raise _err(f"{what} must be a whole number", expr.loc)
        if value <= 0:
            raise _err(f"{what} must be positive, got {_short_int(value)}", expr.loc)
        if value > MAX_DIM:
            raise _err(f"{what} is {_short_int(value)}, above the limit of {MAX_DIM:,}", expr.loc)
        return value

    def _input(self, st: ast.InputDecl, scope: _Scope) -> InputSpec:
        self._check_free(st.name, scope, st.loc)
        shape = tuple(self._dim(e, scope, "a shape entry") for e in st.shape)
        opts: dict[str, ast.Expr] = {}
        for key, expr in st.options:
            if key in opts:
                raise _err(f"option '{_OPTION_NAMES[key]}' is given twice", expr.loc)
            opts[key] = expr
        allowed = {"float": {"bound", "token_bound"}, "tokens": {"vocab"}, "text": {"alphabet"}}[st.kind]
        for key, expr in opts.items():
            if key not in allowed:
                want = " or ".join(sorted(_OPTION_NAMES[k] for k in allowed))
                raise _err(f"'{_OPTION_NAMES[key]}' does not apply to this input (it takes {want})",
                           expr.loc)
        bound = row_bound = vocab = alphabet = None
        if st.kind == "float":
            if len(shape) != 2:
                raise _err(f"a float input has shape [seq, features], got {len(shape)} "
                           f"entries", st.loc)
            if not opts:
                raise _err(f"input '{st.name}' needs a bound on its norm (e.g. 'bound 4.0', or "
                           f"'bound 2.0 per token' for every token's norm)", st.loc)
            bound, row_bound = (self._positive(opts[k], scope) if k in opts else None
                                for k in ("bound", "token_bound"))
            if row_bound is not None:
                # every row ≤ b  ⇒  ‖X‖_F ≤ √seq·b; a tighter declared bound stays
                implied = math.sqrt(shape[0]) * row_bound
                bound = implied if bound is None else min(bound, implied)
                row_bound = min(row_bound, bound)
        else:
            if len(shape) != 1:
                raise _err(f"a token input has shape [seq], got {len(shape)} entries", st.loc)
            if st.kind == "tokens":
                if "vocab" not in opts:
                    raise _err(f"input '{st.name}' needs a vocabulary size (e.g. 'vocab 20')",
                               st.loc)
                vocab = self._dim(opts["vocab"], scope, "the vocabulary size")
            else:
                if "alphabet" not in opts:
                    raise _err(f"input '{st.name}' needs an alphabet (e.g. 'alphabet "
                               f"\"ACGT\"')", st.loc)
                alphabet = opts["alphabet"].value
                if not alphabet:
                    raise _err("the alphabet is empty", opts["alphabet"].loc)
                if len(set(alphabet)) != len(alphabet):
                    raise _err("the alphabet repeats a letter", opts["alphabet"].loc)
                vocab = len(alphabet)
        spec = InputSpec(st.name, shape, st.kind, bound, vocab, alphabet, st.loc, row_bound)
        op = ops.Input(name=st.name, kind=st.kind, shape=shape, bound=bound, row_bound=row_bound,
                       vocab=vocab if st.kind == "tokens" else None, alphabet=alphabet,
                       loc=st.loc)
        scope.values[st.name] = scope.emit(op)
        return spec

    def _positive(self, expr: ast.Expr, scope: _Scope) -> float:
        """A bound option's value: a positive finite number."""
        value = self._eval(expr, scope)
        if isinstance(value, _Tensor) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value <= 0:
            raise _err("the bound must be a positive number", expr.loc)
        return float(value)

    def _assign(self, st: ast.Assign, scope: _Scope) -> None:
        self._check_free(st.target, scope, st.loc)
        value = self._eval(st.value, scope)
        if not isinstance(value, _Tensor):
            raise _err(f"'{st.target}' must be a tensor; use 'dim' for numbers", st.loc)
        scope.values[st.target] = value

    def _output(self, st: ast.OutputDecl, scope: _Scope) -> OutputSpec:
        if st.name not in scope.values:
            raise _err(self._unknown(st.name, scope), st.loc)
        node = scope.values[st.name]
        t = scope.type_of(node)
        if not t.legs or t.legs[0].name != "t" or t.dtype != "float":
            raise _err(f"the output must be a float tensor [seq, features], got {t}", st.loc)
        seq = t.legs[0].dim
        token = st.token
        if isinstance(token, str):
            if token == "last":
                token = seq - 1
            elif token != "all":
                raise _err(f"token must be 'last', 'all' or a position, got '{token}'",
                           st.token_loc)
        elif not 0 <= token < seq:
            raise _err(f"token {token} is out of range: the output has {seq} tokens "
                       f"(0 to {seq - 1})", st.token_loc)
        out = scope.emit(ops.SelectToken(inputs=(node.node,), token=token, loc=st.loc))
        self.graph.set_output(out.node)
        return OutputSpec(st.name, token, st.loc)

    # --- expressions
    def _unknown(self, name: str, scope: _Scope) -> str:
        import difflib

        if name in self.dims:
            return f"'{name}' is a dim (a number), but a tensor is needed here"
        known = list(self.dims) + list(scope.values)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown name '{name}'{hint}"

    def _eval(self, e: ast.Expr, scope: _Scope):
        if isinstance(e, ast.Number):
            return e.value
        if isinstance(e, ast.String):
            return e.value
        if isinstance(e, ast.Name):
            if e.name in scope.values:
                return scope.values[e.name]
            if e.name in self.dims:
                return self.dims[e.name]
            if e.name in self.layer_defs:
                raise _err(f"'{e.name}' is a layer; call it like {e.name}(x)", e.loc)
            raise _err(self._unknown(e.name, scope), e.loc)
        if isinstance(e, ast.Neg):
            v = self._eval(e.operand, scope)
            if isinstance(v, _Tensor):
                return self._scale(v, -1.0, e, scope)
            if isinstance(v, str):
                raise _err("cannot negate a string", e.loc)
            return -v
        if isinstance(e, ast.BinOp):
            return self._binop(e, scope)
        if isinstance(e, ast.Call):
            return self._call(e, scope)
        if isinstance(e, ast.Repeat):
            count = self._dim(e.count, scope, "the repeat count")
            if count > MAX_REPEAT:
                raise _err(f"the repeat count {count:,} is above the limit of {MAX_REPEAT:,}", e.count.loc)
            result = self._layer_call(e.call, scope, count, repeat=True)
            size = expanded_size(scope.graph)
            if size > MAX_IR_OPS:
                raise _err(f"this repeat makes the model {size:,} operations once expanded, above the "
                           f"limit of {MAX_IR_OPS:,}", e.loc)
            return result
        raise _err("unsupported expression", e.loc)  # pragma: no cover

    def _scale(self, t: _Tensor, factor, e, scope: _Scope) -> _Tensor:
        if isinstance(factor, str) or not math.isfinite(factor):
            raise _err("a tensor can only be scaled by a finite number", e.loc)
        return scope.emit(ops.Scale(inputs=(t.node,), factor=float(factor), loc=e.loc))

    def _binop(self, e: ast.BinOp, scope: _Scope):
        a = self._eval(e.left, scope)
        b = self._eval(e.right, scope)
        if isinstance(a, str) or isinstance(b, str):
            raise _err(f"strings cannot be used with '{e.op}'", e.loc)
        ta, tb = isinstance(a, _Tensor), isinstance(b, _Tensor)
        if ta and tb:
            if e.op == "+":
                return scope.emit(ops.Add(inputs=(a.node, b.node), loc=e.loc))
            if e.op == "-":
                nb = self._scale(b, -1.0, e, scope)
                return scope.emit(ops.Add(inputs=(a.node, nb.node), loc=e.loc))
            if e.op == "*":
                return scope.emit(ops.Mul(inputs=(a.node, b.node), loc=e.loc))
            raise _err(f"'{e.op}' between two tensors is not supported (use matmul for "
                       f"products)", e.loc)
        if ta or tb:
            t, s = (a, b) if ta else (b, a)
            if e.op == "*":
                return self._scale(t, s, e, scope)
            if e.op == "/" and ta:
                if s == 0:
                    raise _err("division of a tensor by zero", e.right.loc)
                return self._scale(t, 1.0 / s, e, scope)
            raise _err(f"'{e.op}' between a tensor and a number is not supported", e.loc)
        if e.op == "+":
            return a + b
        if e.op == "-":
            return a - b
        if e.op == "*":
            return a * b
        if b == 0:
            raise _err("division by zero", e.right.loc)
        if isinstance(a, int) and isinstance(b, int):
            if a % b:
                raise _err(f"{a} / {b} is not a whole number", e.loc)
            return a // b
        return a / b

    # --- calls
    def _call(self, e: ast.Call, scope: _Scope):
        if e.func in self.layer_defs:
            return self._layer_call(e, scope, 1, repeat=False)
        if is_function(e.func):
            return self._elementwise(e, scope)
        handler = getattr(self, f"_op_{e.func}", None)
        if handler is None:
            import difflib

            names = sorted(n[4:] for n in dir(self) if n.startswith("_op_")) + function_names()
            close = difflib.get_close_matches(e.func, names + list(self.layer_defs), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _err(f"unknown operation or layer '{e.func}'{hint}", e.loc)
        return handler(e, scope)

    def _args(self, e: ast.Call, scope: _Scope, positional: list[tuple[str, str]],
              keywords: dict[str, tuple[str, object]]) -> dict:
        """Check and evaluate arguments.  ``positional``: (name, kind) required in order;
        ``keywords``: name -> (kind, default).  Kinds: tensor, dim, number, bool, string,
        or a tuple of allowed bare words."""
        if len(e.args) != len(positional):
            want = ", ".join(n for n, _ in positional)
            raise _err(f"{e.func} takes {len(positional)} positional argument(s) ({want}), "
                       f"got {len(e.args)}", e.loc)
        out = {}
        for (name, kind), expr in zip(positional, e.args):
            out[name] = self._arg(expr, kind, scope, f"{e.func}'s argument '{name}'")
        seen = set()
        for kw in e.kwargs:
            if kw.name not in keywords:
                allowed = ", ".join(sorted(keywords)) or "none"
                raise _err(f"{e.func} has no option '{kw.name}' (options: {allowed})", kw.loc)
            if kw.name in seen:
                raise _err(f"option '{kw.name}' is given twice", kw.loc)
            seen.add(kw.name)
            out[kw.name] = self._arg(kw.value, keywords[kw.name][0], scope,
                                     f"{e.func}'s option '{kw.name}'")
        for name, (kind, default) in keywords.items():
            if name not in out:
                if default is _REQUIRED:
                    raise _err(f"{e.func} needs the option '{name} = ...'", e.loc)
                out[name] = default
        return out

    def _arg(self, expr: ast.Expr, kind, scope: _Scope, what: str):
        if kind == "bool" or isinstance(kind, tuple):
            words = ("true", "false") if kind == "bool" else kind
            if isinstance(expr, ast.Name) and expr.name in words:
                return {"true": True, "false": False}.get(expr.name, expr.name) \
                    if kind == "bool" else expr.name
            raise _err(f"{what} must be one of: {', '.join(words)}", expr.loc)
        if kind == "string":
            if isinstance(expr, ast.String) and expr.value.replace(".", "").replace("_", "") \
                    .isalnum():
                return expr.value
            raise _err(f"{what} must be a quoted name like \"fc1\"", expr.loc)
        value = self._eval(expr, scope)
        if kind == "tensor":
            if not isinstance(value, _Tensor):
                raise _err(f"{what} must be a tensor", expr.loc)
            return value
        if kind == "dim":
            return self._dim(expr, scope, what)
        if kind == "number":
            if isinstance(value, (_Tensor, str)) or not math.isfinite(value):
                raise _err(f"{what} must be a number", expr.loc)
            return float(value)
        raise AssertionError(kind)  # pragma: no cover

    def _features(self, t: _Tensor, scope: _Scope, e) -> int:
        ty = scope.type_of(t)
        if not ty.legs:
            raise _err(f"{e.func} needs a tensor with a feature leg, got {ty}", e.loc)
        return ty.legs[-1].dim

    def _op_linear(self, e, scope):
        """linear(x, n [, bias = false] [, name = "fc1"] [, tie = "embed"]): ``tie`` reuses
        the weight of the op named so (an output projection tied to the embedding: GPT-2's
        lm_head), which must exist with the shape [n, features]; a tied linear has no bias"""
        a = self._args(e, scope, [("x", "tensor"), ("out_features", "dim")],
                       {"bias": ("bool", True), "name": ("string", None), "tie": ("string", None)})
        if a["tie"]:
            return self._tied_linear(a, e, scope)
        base = (scope.names.take(a["name"], e.loc) if a["name"]
                else scope.names.counted("linear"))
        return scope.emit(ops.Linear(
            inputs=(a["x"].node,), weight=f"{base}.weight",
            bias=f"{base}.bias" if a["bias"] else None,
            in_features=self._features(a["x"], scope, e), out_features=a["out_features"],
            loc=e.loc))

    def _tied_linear(self, a, e, scope):
        weight = f"{a['tie']}.weight"
        n_in = self._features(a["x"], scope, e)
        shape = scope.graph.weight_shapes().get(weight)
        if shape is None:
            raise _err(f"tie = \"{a['tie']}\" names no weight: define the op it ties to first "
                       f"(its weight would be {weight})", e.loc)
        if shape != (a["out_features"], n_in):
            raise _err(f"tie = \"{a['tie']}\": {weight} has shape {list(shape)}, a linear to "
                       f"{a['out_features']} features needs {[a['out_features'], n_in]}", e.loc)
        return scope.emit(ops.Linear(inputs=(a["x"].node,), weight=weight, bias=None, in_features=n_in,
                                     out_features=a["out_features"], tied=True, loc=e.loc))

    def _op_matmul(self, e, scope):
        """matmul(a, b)"""
        a = self._args(e, scope, [("a", "tensor"), ("b", "tensor")], {})
        return scope.emit(ops.MatMul(inputs=(a["a"].node, a["b"].node), loc=e.loc))

    def _op_transpose(self, e, scope):
        """transpose(x): swap the last two legs"""
        a = self._args(e, scope, [("x", "tensor")], {})
        n = len(scope.type_of(a["x"]).legs)
        if n < 2:
            raise _err(f"transpose needs two legs, got {scope.type_of(a['x'])}", e.loc)
        perm = tuple(range(n - 2)) + (n - 1, n - 2)
        return scope.emit(ops.Transpose(inputs=(a["x"].node,), perm=perm, loc=e.loc))

    def _op_split_heads(self, e, scope):
        """split_heads(x, heads)"""
        a = self._args(e, scope, [("x", "tensor"), ("heads", "dim")], {})
        return scope.emit(ops.SplitHeads(inputs=(a["x"].node,), heads=a["heads"], loc=e.loc))

    def _op_merge_heads(self, e, scope):
        """merge_heads(x)"""
        a = self._args(e, scope, [("x", "tensor")], {})
        return scope.emit(ops.MergeHeads(inputs=(a["x"].node,), loc=e.loc))

    def _op_softmax(self, e, scope):
        """softmax(x): over the last leg"""
        a = self._args(e, scope, [("x", "tensor")], {})
        ty = scope.type_of(a["x"])
        if not ty.legs:
            raise _err(f"softmax needs a tensor, got {ty}", e.loc)
        return scope.emit(ops.Softmax(inputs=(a["x"].node,), leg=ty.legs[-1].name, loc=e.loc))

    def _op_causal_mask(self, e, scope):
        """causal_mask(scores)"""
        a = self._args(e, scope, [("x", "tensor")], {})
        return scope.emit(ops.CausalMask(inputs=(a["x"].node,), loc=e.loc))

    def _op_layernorm(self, e, scope):
        """layernorm(x [, eps = 1e-5] [, name = "ln"])"""
        a = self._args(e, scope, [("x", "tensor")],
                       {"eps": ("number", 1e-5), "name": ("string", None)})
        if a["eps"] < 0:
            raise _err("eps must not be negative", e.loc)
        base = (scope.names.take(a["name"], e.loc) if a["name"]
                else scope.names.counted("norm"))
        return scope.emit(ops.LayerNorm(
            inputs=(a["x"].node,), weight=f"{base}.weight", bias=f"{base}.bias",
            features=self._features(a["x"], scope, e), eps=a["eps"], loc=e.loc))

    def _elementwise(self, e, scope):
        """f(x) for a registered elementwise function f (:mod:`qcompile.functions`)"""
        a = self._args(e, scope, [("x", "tensor")], {})
        return scope.emit(ops.Elementwise(inputs=(a["x"].node,), function=e.func, loc=e.loc))

    def _op_posenc(self, e, scope):
        """posenc(seq, d_model): the sinusoidal table"""
        a = self._args(e, scope, [("seq", "dim"), ("d_model", "dim")], {})
        return scope.emit(ops.PosEnc(seq=a["seq"], features=a["d_model"], loc=e.loc))

    def _op_embed(self, e, scope):
        """embed(ids, d_model [, name = "embed"])"""
        a = self._args(e, scope, [("ids", "tensor"), ("d_model", "dim")],
                       {"name": ("string", None)})
        ids = scope.type_of(a["ids"])
        node = scope.graph.op(a["ids"].node)
        vocab = node.vocab if node.opname == "input" and node.kind == "tokens" else None
        if node.opname == "input" and node.kind == "text":
            vocab = len(node.alphabet)
        if ids.dtype != "int" or vocab is None:
            raise _err(f"embed needs a token or text input, got {ids}", e.args[0].loc)
        base = (scope.names.take(a["name"], e.loc) if a["name"]
                else scope.names.first_free("embed"))
        return scope.emit(ops.Embed(inputs=(a["ids"].node,), weight=f"{base}.weight",
                                    vocab=vocab, features=a["d_model"], loc=e.loc))

    def _op_attention(self, e, scope):
        """attention(x, heads = h [, causal = true] [, name = "self_attn"]
        [, projections = separate] [, kv_heads = g] [, bias = false] [, rope = true]
        [, rope_base = 10000] [, qk_norm = true] [, eps = 1e-6] [, kind = gaussian]):
        ``kind = gaussian`` is QSANN's Gaussian attention (separate projections)"""
        a = self._args(e, scope, [("x", "tensor")],
                       {"heads": ("dim", _REQUIRED), "causal": ("bool", False),
                        "name": ("string", None), "projections": (("fused", "separate"), None),
                        "kv_heads": ("dim", None), "bias": ("bool", True), "rope": ("bool", False),
                        "rope_base": ("number", 10000.0), "qk_norm": ("bool", False),
                        "eps": ("number", 1e-6), "kind": (("softmax", "gaussian"), "softmax")})
        feats = self._features(a["x"], scope, e)
        self._check_heads(a["heads"], feats, e)
        separate = (a["kv_heads"] is not None or a["rope"] or a["qk_norm"] or not a["bias"]
                    or a["kind"] == "gaussian")
        projections = a["projections"] or ("separate" if separate else "fused")
        if a["rope_base"] <= 0 or a["eps"] < 0:
            raise _err("rope_base must be positive and eps not negative", e.loc)
        base = (scope.names.take(a["name"], e.loc) if a["name"]
                else scope.names.first_free("self_attn"))
        return scope.emit(ops.Attention(inputs=(a["x"].node,), heads=a["heads"],
                                        causal=a["causal"], features=feats,
                                        prefix=base + ".", projections=projections,
                                        kv_heads=a["kv_heads"], bias=a["bias"], rope=a["rope"],
                                        rope_base=a["rope_base"], qk_norm=a["qk_norm"], eps=a["eps"],
                                        kind=a["kind"], loc=e.loc))

    def _op_rmsnorm(self, e, scope):
        """rmsnorm(x [, eps = 1e-6] [, name = "norm"]): Hugging Face LlamaRMSNorm"""
        a = self._args(e, scope, [("x", "tensor")], {"eps": ("number", 1e-6), "name": ("string", None)})
        if a["eps"] < 0:
            raise _err("eps must not be negative", e.loc)
        base = scope.names.take(a["name"], e.loc) if a["name"] else scope.names.counted("norm")
        return scope.emit(ops.RMSNorm(inputs=(a["x"].node,), weight=f"{base}.weight",
                                      features=self._features(a["x"], scope, e), eps=a["eps"], loc=e.loc))

    def _op_rope(self, e, scope):
        """rope(x [, base = 10000]): rotary position embedding over [.., positions, features]"""
        a = self._args(e, scope, [("x", "tensor")], {"base": ("number", 10000.0)})
        if a["base"] <= 0:
            raise _err("the rope base must be positive", e.loc)
        return scope.emit(ops.RoPE(inputs=(a["x"].node,), base=a["base"], loc=e.loc))

    def _op_repeat_heads(self, e, scope):
        """repeat_heads(x, times): grouped-query attention's key/value sharing"""
        a = self._args(e, scope, [("x", "tensor"), ("times", "dim")], {})
        return scope.emit(ops.RepeatHeads(inputs=(a["x"].node,), times=a["times"], loc=e.loc))

    def _op_swiglu(self, e, scope):
        """swiglu(x, d_ff [, name = "mlp"]): down(silu(gate(x)) * up(x)), no biases
        (Hugging Face LlamaMLP: weights NAME.gate_proj, NAME.up_proj, NAME.down_proj)"""
        a = self._args(e, scope, [("x", "tensor"), ("d_ff", "dim")], {"name": ("string", None)})
        base = scope.names.take(a["name"], e.loc) if a["name"] else scope.names.first_free("mlp")
        d = self._features(a["x"], scope, e)

        def proj(x, part, n_in, n_out):
            return scope.emit(ops.Linear(inputs=(x.node,), weight=f"{base}.{part}.weight", bias=None,
                                         in_features=n_in, out_features=n_out, loc=e.loc))

        gate = scope.emit(ops.Elementwise(inputs=(proj(a["x"], "gate_proj", d, a["d_ff"]).node,),
                                          function="silu", loc=e.loc))
        hidden = scope.emit(ops.Mul(inputs=(gate.node, proj(a["x"], "up_proj", d, a["d_ff"]).node), loc=e.loc))
        return proj(hidden, "down_proj", a["d_ff"], d)

    def _op_positions(self, e, scope):
        """positions(seq, d_model [, max = n] [, name = "wpe"]): learned position embeddings"""
        a = self._args(e, scope, [("seq", "dim"), ("d_model", "dim")],
                       {"max": ("dim", None), "name": ("string", None)})
        base = scope.names.take(a["name"], e.loc) if a["name"] else scope.names.first_free("wpe")
        return scope.emit(ops.Positions(weight=f"{base}.weight", seq=a["seq"], features=a["d_model"],
                                        max_positions=a["max"] or a["seq"], loc=e.loc))

    def _op_encoder(self, e, scope):
        """encoder(x, heads = h, d_ff = f [, norm_first = true] [, activation = relu]
        [, causal = true] [, eps = 1e-5] [, name = "enc"])"""
        a = self._args(e, scope, [("x", "tensor")],
                       {"heads": ("dim", _REQUIRED), "d_ff": ("dim", _REQUIRED),
                        "norm_first": ("bool", False), "activation": (tuple(function_names()), "gelu"),
                        "causal": ("bool", False), "eps": ("number", 1e-5),
                        "name": ("string", None)})
        feats = self._features(a["x"], scope, e)
        self._check_heads(a["heads"], feats, e)
        if a["eps"] < 0:
            raise _err("eps must not be negative", e.loc)
        if a["name"]:
            prefix = scope.names.take(a["name"], e.loc) + "."
        elif not any(p in scope.names.used for p in _ENCODER_PARTS):
            for p in _ENCODER_PARTS:
                scope.names.used.add(p)
            prefix = ""
        else:
            prefix = scope.names.first_free("encoder") + "."
        return scope.emit(ops.Encoder(
            inputs=(a["x"].node,), heads=a["heads"], d_ff=a["d_ff"], features=feats,
            norm_first=a["norm_first"], activation=a["activation"], causal=a["causal"],
            eps=a["eps"], prefix=prefix, loc=e.loc))

    def _check_heads(self, heads: int, feats: int, e) -> None:
        if feats % heads:
            loc = next((kw.value.loc for kw in e.kwargs if kw.name == "heads"), e.loc)
            raise _err(f"heads = {heads} does not divide d_model = {feats}", loc)

    # --- user layers
    def _layer_call(self, e: ast.Call, scope: _Scope, count: int, repeat: bool) -> _Tensor:
        if e.func not in self.layer_defs:
            raise _err(f"unknown layer '{e.func}'", e.loc)
        d = self.layer_defs[e.func]
        if e.kwargs:
            raise _err(f"layer '{e.func}' takes no options", e.kwargs[0].loc)
        if len(e.args) != len(d.params):
            raise _err(f"layer '{e.func}' takes {len(d.params)} argument(s), got "
                       f"{len(e.args)}", e.loc)
        if e.func in self.call_stack:
            raise _err(f"layer '{e.func}' calls itself", e.loc)
        args = []
        for expr in e.args:
            v = self._eval(expr, scope)
            if not isinstance(v, _Tensor):
                raise _err(f"arguments of layer '{e.func}' must be tensors", expr.loc)
            args.append(v)
        types = tuple(scope.type_of(a) for a in args)
        key = self._body(d, types, e)
        body = self.graph.layers[key]
        result = body.op(body.output).type
        if repeat and count > 1 and result != types[0]:
            raise _err(f"repeat needs layer '{e.func}' to return the shape of its first "
                       f"argument {types[0]}, but it returns {result}", e.loc)
        prefix = scope.names.first_free("layers" if repeat else e.func)
        return scope.emit(ops.CallLayer(inputs=tuple(a.node for a in args), layer=key,
                                        count=count, prefix=prefix, indexed=repeat,
                                        param_types=types, result_type=result, loc=e.loc))

    def _body(self, d: ast.LayerDef, types: tuple, e) -> str:
        sig = (d.name, types)
        if sig in self.body_keys:
            return self.body_keys[sig]
        n = sum(1 for (name, _) in self.body_keys if name == d.name)
        key = d.name if n == 0 else f"{d.name}_{n + 1}"
        body = Graph(key)
        body.layers = self.graph.layers  # shared by all bodies
        inner = _Scope(self, body, {})
        for i, (pname, ty) in enumerate(zip(d.params, types)):
            if pname in self.dims:
                raise _err(f"parameter '{pname}' of layer '{d.name}' hides a dim", d.loc)
            inner.values[pname] = inner.emit(ops.Param(index=i, name=pname, param_type=ty,
                                                       loc=d.loc))
        self.call_stack.append(d.name)
        try:
            for st in d.body:
                self._assign(st, inner)
            result = self._eval(d.result, inner)
        finally:
            self.call_stack.pop()
        if not isinstance(result, _Tensor):
            raise _err(f"layer '{d.name}' must return a tensor", d.result.loc)
        body.set_output(result.node)
        self.graph.layers[key] = body
        self.body_keys[sig] = key
        return key


_REQUIRED = object()


def _short_int(value: int) -> str:
    """An integer for a message: its digits, or how many there are when that is long."""
    digits = len(str(abs(value))) if abs(value) < 10**400 else None
    if digits is not None and digits <= 20:
        return str(value)
    return f"a number of {digits if digits is not None else 'over 400'} digits"


#: ops one sugar op becomes in the desugared IR (attention: 3 projections, 3 head splits,
#: transpose, scores, scale, mask, softmax, product, merge, output projection); an upper
#: bound is all the size check needs
_SUGAR_OPS = {"attention": 16, "encoder": 48}


def expanded_size(graph: Graph, memo: dict | None = None) -> int:
    """The number of ops ``graph`` has once every layer call and repeat is expanded (an
    upper bound for attention and encoder sugar), computed without expanding anything:
    each layer body is counted once (``memo``) and a repeat multiplies its body's size."""
    memo = {} if memo is None else memo
    total = 0
    for _, op in graph.nodes():
        if op.opname == "call" and op.layer in graph.layers:
            if op.layer not in memo:
                memo[op.layer] = expanded_size(graph.layers[op.layer], memo)
            total += op.count * memo[op.layer]
        else:
            total += _SUGAR_OPS.get(op.opname, 1)
    return total


def build(model: ast.Model, overrides: dict[str, int] | None = None) -> BuildResult:
    """Build the source IR (sugar kept) and model facts from a parsed model.

    ``overrides`` replaces the values of named ``dim`` statements (dims defined from them
    follow, e.g. ``d_ff = 4 * d_model``); naming a dim the model lacks is an error."""
    for name, value in (overrides or {}).items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise QcompileError(f"dim {name} must be a positive whole number, got {value!r}")
    return Builder(model, overrides).build()
