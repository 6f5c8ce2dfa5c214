"""The :class:`Model` record and :func:`load`: .qtf text -> parsed, built, desugared, verified.

::

    model = qcompile.load("examples/encoder_block.qtf")
    model.inputs[0].shape, model.weights["linear1.weight"].shape, print(model.ir.to_text())
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass

from qcompile.errors import QcompileError
from qcompile.ir.builder import InputSpec, OutputSpec, WeightSource, build
from qcompile.ir.graph import Graph

#: models with more weight scalars than this get lazily generated random weights
EAGER_WEIGHT_LIMIT = 1_000_000


@dataclass(frozen=True, eq=False)
class Model:
    """A loaded model.

    ``inputs``: declared inputs (name, shape, kind ``float|tokens|text``, bound, vocab,
    alphabet); ``weights``: name -> float64 array (PyTorch state_dict names; a read-only
    lazy mapping for large random models); ``ir``: the desugared tensor IR;
    ``source_ir``: the IR before desugaring; ``output``: the token selection; ``dims``:
    the ``dim`` values; ``path``: the .qtf file (None for text).
    """

    name: str
    inputs: tuple[InputSpec, ...]
    weights: Mapping
    ir: Graph
    source_ir: Graph
    output: OutputSpec
    dims: dict
    path: str | None
    weight_source: WeightSource | None

    #: the IR level passes over it take: a model is its tensor IR
    ir_level = "tensor"

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every weight name -> its shape (without materialising the weights)."""
        return self.ir.weight_shapes()

    # the pass-manager protocol, so a model is the input IR of ``lower-to-quantum``
    def to_text(self) -> str:
        """The tensor IR's text."""
        return self.ir.to_text()

    def stats(self) -> dict:
        """The tensor IR's figures."""
        return self.ir.stats()

    def verify(self) -> None:
        """Verify the tensor IR."""
        self.ir.verify()


class LazyRandomWeights(Mapping):
    """Seeded random weights generated on first access of each name.

    Values equal ``qcompile.weights.random_weights(shapes, seed)`` entry by entry (each
    weight has its own generator), so laziness never changes numbers.
    """

    def __init__(self, shapes: dict[str, tuple[int, ...]], seed: int):
        self._shapes = dict(shapes)
        self._seed = seed
        self._cache: dict = {}

    def __getitem__(self, name: str):
        if name not in self._cache:
            from qcompile.weights import random_weights

            if name not in self._shapes:
                raise KeyError(name)
            sub = {name: self._shapes[name]}
            if name.endswith("bias"):  # the bias's scale depends on its sibling's shape
                sibling = name[: -len("bias")] + "weight"
                if sibling in self._shapes:
                    sub[sibling] = self._shapes[sibling]
            arr = random_weights(sub, self._seed)[name]
            arr.setflags(write=False)
            self._cache[name] = arr
        return self._cache[name]

    def __iter__(self):
        return iter(self._shapes)

    def __len__(self) -> int:
        return len(self._shapes)

    def __repr__(self) -> str:
        return f"<LazyRandomWeights {len(self)} weights, seed {self._seed}>"


def sequence_length(model) -> int:
    """The number of tokens the model's output selects from."""
    for _, op in model.ir.nodes():
        if op.opname == "select_token":
            return model.ir.op(op.inputs[0]).type.legs[0].dim
    return 1


def resolve_token(model, token) -> int | str:
    """The output token asked for: ``"model"`` (or None: the ``output`` line's),
    ``"last"``, ``"all"`` or an index in range."""
    n_tokens = sequence_length(model)
    if token is None or token == "model":
        token = model.output.token
    if token == "last":
        token = n_tokens - 1
    if token == "all":
        return "all"
    if isinstance(token, bool) or not isinstance(token, (numbers.Integral, str)):
        raise QcompileError(f"token must be 'last', 'all' or an index, got {token!r}")
    try:
        token = int(token)
    except (TypeError, ValueError):
        raise QcompileError(f"token must be 'last', 'all' or an index, got {token!r}") from None
    if not 0 <= token < n_tokens:
        raise QcompileError(f"token {token} is out of range: the model has {n_tokens} tokens")
    return token


def with_token(model, token: int | str):
    """The model with its output token replaced (the IR's select_token op)."""
    g = model.ir
    if all(op.token == token for _, op in g.nodes() if op.opname == "select_token"):
        return model
    out = Graph(g.name)
    for node, op in g.nodes():
        if op.opname == "select_token" and op.token != token:
            op = dataclasses.replace(op, token=token)
            op = dataclasses.replace(op, type=op.infer(out.input_types(op)))
        out.add(op)
    out.set_output(g.output)
    out.desugared = g.desugared
    return dataclasses.replace(model, ir=out)


def default_pipeline():
    """The front-end passes ``load`` runs: shape inference, desugar, verification."""
    from qcompile.passes.desugar import Desugar
    from qcompile.passes.shape_inference import ShapeInference
    from qcompile.passes.verify_ir import VerifyIR

    return [ShapeInference(), Desugar(), VerifyIR()]


def _read_source(path_or_text, filename):
    """``(text, path or None, name shown in messages)`` of a path or of .qtf text."""
    from qcompile.files import read_text
    from qcompile.validate import looks_like_source

    check_model_argument(path_or_text)
    if isinstance(path_or_text, os.PathLike) or not looks_like_source(path_or_text):
        path = os.fspath(path_or_text)
        return read_text(path, "model file"), path, filename or path
    text = path_or_text[1:] if path_or_text.startswith("\ufeff") else path_or_text
    return text, None, filename or "<string>"


def load(path_or_text, *, filename: str | None = None, callbacks=(), verify: bool = False,
         dims: dict[str, int] | None = None, weights_root=None) -> Model:
    """Parse, build, shape-infer, desugar and verify a model; load or create its weights.

    ``path_or_text`` is a path to a .qtf file or the .qtf text itself (text: it has a line
    break, or starts with ``model NAME {`` and names no existing file); ``filename`` names
    the source in error messages (its basename is shown).  ``weights "f.npz"`` (or
    ``.safetensors``) is resolved relative to the .qtf file's folder (the current folder
    for text) and must lie inside that folder or inside ``weights_root`` (an untrusted
    model cannot read other files: :func:`qcompile.weights.resolve_weights_path`).
    ``callbacks`` are pass-manager callbacks (dumps, printing, timing); ``verify`` verifies
    after every pass.  ``dims`` overrides ``dim`` values by name (``qcompile resources
    --set d_model=4096``).  Every user mistake raises a QcompileError subclass.
    """
    from qcompile.grammar.parser import parse
    from qcompile.passes.manager import PassManager
    from qcompile.validate import check_dims

    dims = check_dims(dims) or None
    if weights_root is not None:
        if not isinstance(weights_root, (str, os.PathLike)) or not os.path.isdir(weights_root):
            raise QcompileError(f"weights_root must be an existing folder, got {weights_root!r}")
    text, path, shown = _read_source(path_or_text, filename)
    try:
        ast_model = parse(text, shown)
        built = build(ast_model, dims)
    except RecursionError:
        from qcompile.errors import QtfSyntaxError, SourceLocation

        first = text.splitlines()[0] if text.splitlines() else ""
        raise QtfSyntaxError("the model nests expressions too deeply; split long expressions "
                             "into several assignments",
                             SourceLocation(os.path.basename(shown), 1, 1, first)) from None
    manager = PassManager(default_pipeline(), callbacks=callbacks, verify=verify)
    ir = manager.run(built.graph)
    check_weight_owners(ir)
    shapes = ir.weight_shapes()
    weights: Mapping = {}
    src = built.weights
    if src is not None and src.kind == "file":
        from qcompile.weights import load_weights, resolve_weights_path

        real = resolve_weights_path(src.path, path, weights_root, src.loc)
        weights = load_weights(real, shapes, location=src.loc, naming=getattr(src, "naming", None),
                               shown=src.path)
    elif src is not None:
        lazy = LazyRandomWeights(shapes, src.seed)
        size = sum(_prod(s) for s in shapes.values())
        weights = lazy if size > EAGER_WEIGHT_LIMIT else {k: lazy[k] for k in lazy}
    return Model(name=built.name, inputs=built.inputs, weights=weights, ir=ir,
                 source_ir=built.graph, output=built.output, dims=built.dims, path=path,
                 weight_source=src)


def check_weight_owners(ir: Graph) -> None:
    """Refuse two operations that read the same weight (a hand-named ``linear`` called
    ``self_attn.out_proj`` beside an ``attention``, say): their parameters would be
    silently shared.  The sharing the language makes on purpose is allowed: the q, k and v
    projections of one attention read disjoint row blocks of ``in_proj_weight``, and a
    tied linear (``tie = "wte"``) reads the weight of the op it names."""
    from qcompile.errors import QtfSemanticError

    owners: dict[str, list] = {}
    for _, op in ir.nodes():
        for name in _weights_read(op):
            owners.setdefault(name, []).append(op)
    for name, ops in owners.items():
        if sum(not getattr(op, "tied", False) for op in ops) < 2:
            continue
        rows = [(getattr(op, "row_start", 0), getattr(op, "out_features", 0)) for op in ops]
        sliced = all(op.opname == "linear" and getattr(op, "weight_rows", None) for op in ops)
        disjoint = len({r for r, _ in rows}) == len(rows)
        same_construct = len({getattr(op, "loc", None) for op in ops}) == 1
        if sliced and disjoint and same_construct:
            continue
        first, second = ops[0], ops[-1]
        where = f" (first used at {first.loc})" if first.loc is not None else ""
        raise QtfSemanticError(f"the weight '{name}' is read by two operations{where}: their parameters "
                               f"would be shared; give one of them another name", second.loc)


def _weights_read(op) -> list[str]:
    """The weight names one desugared op reads."""
    names = []
    for field in ("weight", "bias"):
        value = getattr(op, field, None)
        if isinstance(value, str):
            names.append(value)
    return names


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def check_model_argument(value) -> None:
    """What :func:`qcompile.load` and the compile entry points accept as a model: a
    :class:`~qcompile.model.Model`, a non-empty path (``str`` or path-like) or .qtf text."""
    from qcompile.validate import _shown

    if isinstance(value, Model) or isinstance(value, os.PathLike):
        return
    if not isinstance(value, str):
        raise QcompileError(f"expected a model, a path to a .qtf file or .qtf text, got {_shown(value)}")
    if not value.strip():
        raise QcompileError("expected a path to a .qtf file or .qtf text, got an empty string")
