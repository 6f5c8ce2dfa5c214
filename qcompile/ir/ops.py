"""Tensor-IR op records and value types.

Every value carries named legs (index name + dimension), as in a tensor network:
``[t:4, d:4]`` is a sequence of 4 tokens with 4 features, ``[h:2, t:4, k:2]`` the same
split into 2 heads.  Leg names used by the front end:

* ``t`` query/token position, ``s`` key position (attention scores ``[h, t, s]``),
* ``d`` features, ``h`` heads, ``k`` features inside a head.

Ops are frozen, value-equal dataclasses.  Common fields (keyword-only): ``inputs`` (ids of
operand nodes, in operand order), ``type`` (the result type, filled by the builder and the
shape-inference pass), ``loc`` (the .qtf location) and ``origin`` (which sugar op / layer
instance produced this node, e.g. ``layers.1/encoder/attention``; empty for ops the user
wrote directly).  Each op class has ``opname`` (the printed name), ``infer(input_types)``
(the single source of truth for shapes; raises QtfSemanticError at ``loc``) and
``weight_shapes()`` (the state_dict names and full shapes of the weights it reads).
Weights are referenced by name only; a linear may read a row slice of a weight matrix
(``row_start``/``weight_rows``), e.g. the q/k/v thirds of ``in_proj_weight``, so no weight
is ever copied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qcompile.errors import QtfSemanticError, SourceLocation


@dataclass(frozen=True)
class Leg:
    """One named index of a tensor value."""

    name: str
    dim: int

    def __str__(self) -> str:
        return f"{self.name}:{self.dim}"


@dataclass(frozen=True)
class TensorType:
    """The type of a value: its legs (outermost first) and ``dtype`` ``float`` or ``int``."""

    legs: tuple[Leg, ...]
    dtype: str = "float"

    @property
    def shape(self) -> tuple[int, ...]:
        """The NumPy shape."""
        return tuple(leg.dim for leg in self.legs)

    @property
    def names(self) -> tuple[str, ...]:
        """The leg names."""
        return tuple(leg.name for leg in self.legs)

    def __str__(self) -> str:
        body = "[" + ", ".join(str(leg) for leg in self.legs) + "]"
        return body if self.dtype == "float" else f"{self.dtype}{body}"


def tensor_type(*legs: tuple[str, int], dtype: str = "float") -> TensorType:
    """Shorthand: ``tensor_type(("t", 4), ("d", 4))`` is ``[t:4, d:4]``."""
    return TensorType(tuple(Leg(n, int(d)) for n, d in legs), dtype)


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True, kw_only=True)
class Op:
    """Base of every tensor-IR op (see the module docstring for the common fields)."""

    opname: ClassVar[str] = "op"
    #: number of operands (None: any number)
    arity: ClassVar[int | None] = 0
    #: sugar ops exist only before the desugar pass
    sugar: ClassVar[bool] = False
    #: fields holding weight names (prefixed when a layer body is inlined)
    weight_fields: ClassVar[tuple[str, ...]] = ()

    inputs: tuple[int, ...] = ()
    type: TensorType | None = None
    loc: SourceLocation | None = dataclasses.field(default=None, compare=False)
    origin: str = ""

    # --- shapes
    def infer(self, in_types: list[TensorType]) -> TensorType:
        """The result type for operands of types ``in_types`` (raise QtfSemanticError)."""
        raise NotImplementedError

    def check_arity(self, in_types: list[TensorType]) -> None:
        """Raise if the number of operands is wrong."""
        if self.arity is not None and len(in_types) != self.arity:
            self.fail(f"{self.opname} takes {self.arity} tensor operand(s), "
                      f"got {len(in_types)}")

    def fail(self, message: str):
        """Raise a QtfSemanticError located at this op."""
        raise QtfSemanticError(message, self.loc)

    # --- weights
    def weight_shapes(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """``(name, full shape)`` of every weight this op reads."""
        return ()

    def with_prefix(self, prefix: str) -> "Op":
        """A copy whose weight names start with ``prefix`` (used when inlining layers)."""
        changes = {f: prefix + getattr(self, f) for f in self.weight_fields
                   if getattr(self, f) is not None}
        return dataclasses.replace(self, **changes)

    # --- printing
    @property
    def printed_name(self) -> str:
        """The name the printer shows (``opname``; an elementwise op shows its function)."""
        return self.opname

    def attributes(self) -> list[tuple[str, str]]:
        """Printable ``(key, value)`` attributes in a fixed order (None values omitted)."""
        out = []
        for f in dataclasses.fields(self):
            if f.name in ("inputs", "type", "loc", "origin"):
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in self.weight_fields:
                out.append((f.name, "@" + value))
            else:
                out.append((f.name, _fmt(value)))
        return out


def _last_leg(op: Op, t: TensorType, what: str) -> Leg:
    if not t.legs:
        op.fail(f"{what} needs a tensor with at least one leg, got a scalar")
    return t.legs[-1]


# --- sources -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Input(Op):
    """A model input.  ``kind``: ``float`` ([seq, features], ‖X‖_F ≤ ``bound`` and every
    row's norm ≤ ``row_bound`` when one is declared),
    ``tokens`` (int ids < ``vocab``) or ``text`` (letters of ``alphabet``, tokenised by
    index).  Result: ``[t:seq, d:features]`` or ``int[t:seq]``."""

    opname: ClassVar[str] = "input"
    name: str
    kind: str
    shape: tuple[int, ...]
    bound: float | None = None
    vocab: int | None = None
    alphabet: str | None = None
    row_bound: float | None = None

    def infer(self, in_types):
        self.check_arity(in_types)
        if self.kind == "float":
            return tensor_type(("t", self.shape[0]), ("d", self.shape[1]))
        return tensor_type(("t", self.shape[0]), dtype="int")

    def attributes(self):
        out = [("name", self.name)]
        if self.kind != "float":
            out.append(("kind", self.kind))
        if self.bound is not None:
            out.append(("bound", _fmt(self.bound)))
        if self.row_bound is not None:
            out.append(("token_bound", _fmt(self.row_bound)))
        if self.vocab is not None:
            out.append(("vocab", str(self.vocab)))
        if self.alphabet is not None:
            out.append(("alphabet", f'"{self.alphabet}"'))
        return out


@dataclass(frozen=True, kw_only=True)
class Param(Op):
    """Parameter ``index`` of a layer body (only inside ``layer`` bodies of the source IR)."""

    opname: ClassVar[str] = "param"
    index: int
    name: str
    param_type: TensorType

    def infer(self, in_types):
        self.check_arity(in_types)
        return self.param_type

    def attributes(self):
        return [("index", str(self.index)), ("name", self.name)]


@dataclass(frozen=True, kw_only=True)
class PosEnc(Op):
    """Sinusoidal positional encoding constant: PE(p, 2i) = sin(p / 10000^(2i/d)),
    PE(p, 2i+1) = cos(p / 10000^(2i/d)).  Result ``[t:seq, d:features]``."""

    opname: ClassVar[str] = "posenc"
    seq: int
    features: int

    def infer(self, in_types):
        self.check_arity(in_types)
        return tensor_type(("t", self.seq), ("d", self.features))


@dataclass(frozen=True, kw_only=True)
class Embed(Op):
    """Embedding lookup ``weight[ids]``: ``int[t]`` -> ``[t, d:features]``; ``weight`` has
    shape [vocab, features] (``nn.Embedding``)."""

    opname: ClassVar[str] = "embed"
    arity: ClassVar[int] = 1
    weight_fields: ClassVar[tuple[str, ...]] = ("weight",)
    weight: str
    vocab: int
    features: int

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if x.dtype != "int" or len(x.legs) != 1:
            self.fail(f"embed needs token ids of type int[seq], got {x}")
        return TensorType((x.legs[0], Leg("d", self.features)))

    def weight_shapes(self):
        return ((self.weight, (self.vocab, self.features)),)


# --- primitives --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Linear(Op):
    """y = x Wᵀ + b over the last leg (PyTorch ``nn.Linear``), W = ``weight`` rows
    ``row_start : row_start + out_features`` of a [weight_rows, in_features] matrix (and the
    same slice of ``bias``).  ``[..., d:in]`` -> ``[..., d:out]`` (leg name kept).
    ``tied``: the weight is another op's on purpose (an output projection tied to the
    token embedding, ``linear(.., tie = "wte")``)."""

    opname: ClassVar[str] = "linear"
    arity: ClassVar[int] = 1
    weight_fields: ClassVar[tuple[str, ...]] = ("weight", "bias")
    weight: str
    bias: str | None
    in_features: int
    out_features: int
    row_start: int = 0
    weight_rows: int | None = None
    tied: bool = False

    @property
    def rows(self) -> int:
        """Number of rows of the whole weight matrix."""
        return self.out_features if self.weight_rows is None else self.weight_rows

    @property
    def sliced(self) -> bool:
        """True if the op reads a row slice of its weight."""
        return self.row_start != 0 or self.rows != self.out_features

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        last = _last_leg(self, x, "linear")
        if x.dtype != "float":
            self.fail(f"linear needs a float tensor, got {x}")
        if last.dim != self.in_features:
            self.fail(f"linear expects {self.in_features} input features, got a tensor of "
                      f"shape {x}")
        return TensorType(x.legs[:-1] + (Leg(last.name, self.out_features),))

    def weight_shapes(self):
        out = [(self.weight, (self.rows, self.in_features))]
        if self.bias is not None:
            out.append((self.bias, (self.rows,)))
        return tuple(out)

    def attributes(self):
        sl = f"[{self.row_start}:{self.row_start + self.out_features}]" if self.sliced else ""
        out = [("weight", f"@{self.weight}{sl}")]
        if self.bias is not None:
            out.append(("bias", f"@{self.bias}{sl}"))
        if self.tied:
            out.append(("tied", "true"))
        return out


@dataclass(frozen=True, kw_only=True)
class MatMul(Op):
    """Batched matrix product: contracts the last leg of ``a`` with the second-to-last leg
    of ``b``; batch legs must agree.  ``[B.., m, n] x [B.., n, p] -> [B.., m, p]`` (the ``p``
    leg is renamed ``s`` if its name would repeat)."""

    opname: ClassVar[str] = "matmul"
    arity: ClassVar[int] = 2

    def infer(self, in_types):
        self.check_arity(in_types)
        a, b = in_types
        if len(a.legs) < 2 or len(b.legs) < 2 or a.dtype != "float" or b.dtype != "float":
            self.fail(f"matmul needs two float tensors with at least two legs, got {a} and {b}")
        if a.legs[:-2] != b.legs[:-2] or a.legs[-1].dim != b.legs[-2].dim:
            self.fail(f"matmul shapes do not fit: {a} and {b}")
        legs = a.legs[:-1]
        last = b.legs[-1]
        used = {leg.name for leg in legs}
        if last.name in used:
            name = next(n for n in ("s", "u", "v", "w", "z") + tuple(f"s{i}" for i in range(99))
                        if n not in used)
            last = Leg(name, last.dim)
        return TensorType(legs + (last,))


@dataclass(frozen=True, kw_only=True)
class Transpose(Op):
    """Leg permutation (no data movement when lowered): result leg i is input leg
    ``perm[i]``, then names are changed by ``rename`` (pairs old -> new)."""

    opname: ClassVar[str] = "transpose"
    arity: ClassVar[int] = 1
    perm: tuple[int, ...]
    rename: tuple[tuple[str, str], ...] = ()

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if sorted(self.perm) != list(range(len(x.legs))):
            self.fail(f"transpose permutation {list(self.perm)} does not fit shape {x}")
        names = dict(self.rename)
        legs = tuple(Leg(names.get(x.legs[i].name, x.legs[i].name), x.legs[i].dim)
                     for i in self.perm)
        if len({leg.name for leg in legs}) != len(legs):
            self.fail(f"transpose would give repeated leg names: {TensorType(legs)}")
        return TensorType(legs, x.dtype)

    def attributes(self):
        out = [("perm", _fmt(self.perm))]
        if self.rename:
            out.append(("rename", "[" + ", ".join(f"{a}->{b}" for a, b in self.rename) + "]"))
        return out


@dataclass(frozen=True, kw_only=True)
class SplitHeads(Op):
    """``[.., t, d:D] -> [h:heads, .., t, k:D/heads]``; head i takes features
    ``i*D/heads : (i+1)*D/heads`` (``nn.MultiheadAttention`` order)."""

    opname: ClassVar[str] = "split_heads"
    arity: ClassVar[int] = 1
    heads: int

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        last = _last_leg(self, x, "split_heads")
        if "h" in x.names or "k" in x.names:
            self.fail(f"split_heads needs a tensor that is not split into heads yet, got {x}")
        if self.heads < 1 or last.dim % self.heads:
            self.fail(f"heads = {self.heads} does not divide the feature size {last.dim} "
                      f"of {x}")
        return TensorType((Leg("h", self.heads),) + x.legs[:-1]
                          + (Leg("k", last.dim // self.heads),))


@dataclass(frozen=True, kw_only=True)
class MergeHeads(Op):
    """Inverse of split_heads: ``[h:H, .., k:K] -> [.., d:H*K]``."""

    opname: ClassVar[str] = "merge_heads"
    arity: ClassVar[int] = 1

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if len(x.legs) < 2 or x.legs[0].name != "h":
            self.fail(f"merge_heads needs a tensor whose first leg is the head leg h, got {x}")
        return TensorType(x.legs[1:-1] + (Leg("d", x.legs[0].dim * x.legs[-1].dim),))


@dataclass(frozen=True, kw_only=True)
class Add(Op):
    """Elementwise sum of two tensors of identical type (residual connection)."""

    opname: ClassVar[str] = "add"
    arity: ClassVar[int] = 2

    def infer(self, in_types):
        self.check_arity(in_types)
        a, b = in_types
        if a != b:
            self.fail(f"cannot add tensors of different shapes {a} and {b}")
        if a.dtype != "float":
            self.fail(f"cannot add integer tensors ({a})")
        return a


@dataclass(frozen=True, kw_only=True)
class Scale(Op):
    """Multiplication by a compile-time scalar ``factor``."""

    opname: ClassVar[str] = "scale"
    arity: ClassVar[int] = 1
    factor: float

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if x.dtype != "float":
            self.fail(f"cannot scale an integer tensor ({x})")
        return x


@dataclass(frozen=True, kw_only=True)
class CausalMask(Op):
    """Sets score[.., i, j] to -inf where key j > query i (last two legs)."""

    opname: ClassVar[str] = "causal_mask"
    arity: ClassVar[int] = 1

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if len(x.legs) < 2 or x.dtype != "float":
            self.fail(f"causal_mask needs a float tensor with two or more legs, got {x}")
        if x.legs[-2].dim != x.legs[-1].dim:
            self.fail(f"causal_mask needs square scores (queries = keys), got {x}")
        return x


@dataclass(frozen=True, kw_only=True)
class Softmax(Op):
    """Softmax over the leg named ``leg``: f(x) / Σ_leg f(x) with ``f = exp``; with
    ``function = "gaussian"`` ``f(x) = exp(−x²)`` (Gaussian attention's weights).  A
    causal mask's −inf gets weight 0 for both."""

    opname: ClassVar[str] = "softmax"
    arity: ClassVar[int] = 1
    leg: str
    function: str = "exp"

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if self.leg not in x.names or x.dtype != "float":
            self.fail(f"softmax over leg '{self.leg}' impossible for {x}")
        if self.function not in ("exp", "gaussian"):
            self.fail(f"softmax weights must be exp or gaussian, got {self.function}")
        return x

    def attributes(self):
        out = [("leg", self.leg)]
        return out + ([("function", self.function)] if self.function != "exp" else [])


@dataclass(frozen=True, kw_only=True)
class PairDifference(Op):
    """Gaussian attention's score arguments: ``q [t, d:H]``, ``k [t, d:H]`` (one scalar
    per head and token) -> ``[h:H, t, s]`` with ``out[h, t, s] = q[t, h] − k[s, h]``."""

    opname: ClassVar[str] = "pair_difference"
    arity: ClassVar[int] = 2

    def infer(self, in_types):
        self.check_arity(in_types)
        q, k = in_types
        if q != k or len(q.legs) != 2 or q.dtype != "float" or q.legs[0].name != "t":
            self.fail(f"pair_difference needs two float tensors [t, d] of one shape, got {q} and {k}")
        return TensorType((Leg("h", q.legs[1].dim), q.legs[0], Leg("s", q.legs[0].dim)))


@dataclass(frozen=True, kw_only=True)
class LayerNorm(Op):
    """``nn.LayerNorm`` over the last leg: (x - mean)/sqrt(var + eps) * weight + bias."""

    opname: ClassVar[str] = "layernorm"
    arity: ClassVar[int] = 1
    weight_fields: ClassVar[tuple[str, ...]] = ("weight", "bias")
    weight: str
    bias: str
    features: int
    eps: float = 1e-5

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        last = _last_leg(self, x, "layernorm")
        if last.dim != self.features or x.dtype != "float":
            self.fail(f"layernorm expects {self.features} features, got {x}")
        return x

    def weight_shapes(self):
        return ((self.weight, (self.features,)), (self.bias, (self.features,)))

    def attributes(self):
        return [("weight", "@" + self.weight), ("bias", "@" + self.bias),
                ("eps", _fmt(self.eps))]


@dataclass(frozen=True, kw_only=True)
class RMSNorm(Op):
    """RMS normalisation over the last leg (Hugging Face ``LlamaRMSNorm``, ``nn.RMSNorm``):
    ``x / sqrt(mean(x²) + eps) · weight`` (no centring, no bias)."""

    opname: ClassVar[str] = "rmsnorm"
    arity: ClassVar[int] = 1
    weight_fields: ClassVar[tuple[str, ...]] = ("weight",)
    weight: str
    features: int
    eps: float = 1e-6

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        last = _last_leg(self, x, "rmsnorm")
        if last.dim != self.features or x.dtype != "float":
            self.fail(f"rmsnorm expects {self.features} features, got {x}")
        return x

    def weight_shapes(self):
        return ((self.weight, (self.features,)),)

    def attributes(self):
        return [("weight", "@" + self.weight), ("eps", _fmt(self.eps))]


@dataclass(frozen=True, kw_only=True)
class Mul(Op):
    """Elementwise product of two tensors of identical type (a gated MLP's ``gate * up``)."""

    opname: ClassVar[str] = "mul"
    arity: ClassVar[int] = 2

    def infer(self, in_types):
        self.check_arity(in_types)
        a, b = in_types
        if a != b:
            self.fail(f"cannot multiply tensors of different shapes {a} and {b} elementwise")
        if a.dtype != "float":
            self.fail(f"cannot multiply integer tensors ({a})")
        return a


@dataclass(frozen=True, kw_only=True)
class RoPE(Op):
    """Rotary position embedding (Hugging Face Llama convention, ``rotate_half``) over the
    last two legs ``[.., pos, k]``: feature pairs ``(i, i + k/2)`` at position p rotate by
    ``p · base^(−2i/k)``.  ``k`` must be even."""

    opname: ClassVar[str] = "rope"
    arity: ClassVar[int] = 1
    base: float = 10000.0

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if len(x.legs) < 2 or x.dtype != "float":
            self.fail(f"rope needs a float tensor [.., positions, features], got {x}")
        if x.legs[-1].dim % 2:
            self.fail(f"rope needs an even number of features per head, got {x.legs[-1].dim}")
        return x

    def attributes(self):
        return [("base", _fmt(self.base))]


@dataclass(frozen=True, kw_only=True)
class RepeatHeads(Op):
    """Grouped-query attention's key/value sharing (Hugging Face ``repeat_kv``):
    ``[h:G, ..] -> [h:G·times, ..]``, head ``i`` reading group ``i // times``."""

    opname: ClassVar[str] = "repeat_heads"
    arity: ClassVar[int] = 1
    times: int

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if not x.legs or x.legs[0].name != "h":
            self.fail(f"repeat_heads needs a tensor whose first leg is the head leg h, got {x}")
        if self.times < 1:
            self.fail(f"repeat_heads needs a positive count, got {self.times}")
        return TensorType((Leg("h", x.legs[0].dim * self.times),) + x.legs[1:], x.dtype)

    def attributes(self):
        return [("times", str(self.times))]


@dataclass(frozen=True, kw_only=True)
class Positions(Op):
    """Learned absolute position embeddings (GPT-2's ``wpe``, BERT's
    ``position_embeddings``): rows ``0..seq-1`` of ``weight`` [max_positions, features].
    Result ``[t:seq, d:features]``."""

    opname: ClassVar[str] = "positions"
    weight_fields: ClassVar[tuple[str, ...]] = ("weight",)
    weight: str
    seq: int
    features: int
    max_positions: int

    def infer(self, in_types):
        self.check_arity(in_types)
        if self.seq > self.max_positions:
            self.fail(f"{self.seq} positions, but the table has {self.max_positions}")
        return tensor_type(("t", self.seq), ("d", self.features))

    def weight_shapes(self):
        return ((self.weight, (self.max_positions, self.features)),)


@dataclass(frozen=True, kw_only=True)
class Elementwise(Op):
    """A registered elementwise function (:mod:`qcompile.functions`: ``gelu`` in the erf
    form, ``relu``, ...), applied entry by entry; printed under the function's name."""

    opname: ClassVar[str] = "elementwise"
    arity: ClassVar[int] = 1
    function: str

    @property
    def printed_name(self) -> str:
        return self.function

    def infer(self, in_types):
        self.check_arity(in_types)
        if in_types[0].dtype != "float":
            self.fail(f"{self.function} needs a float tensor, got {in_types[0]}")
        return in_types[0]

    def attributes(self):
        return []


@dataclass(frozen=True, kw_only=True)
class SelectToken(Op):
    """Output selection: ``token`` is a position on leg ``t`` (removed) or ``"all"``."""

    opname: ClassVar[str] = "select_token"
    arity: ClassVar[int] = 1
    token: int | str

    def infer(self, in_types):
        self.check_arity(in_types)
        (x,) = in_types
        if not x.legs or x.legs[0].name != "t":
            self.fail(f"the output must have the token leg t first, got {x}")
        if self.token == "all":
            return x
        if not isinstance(self.token, int) or not 0 <= self.token < x.legs[0].dim:
            self.fail(f"token {self.token} is out of range for {x.legs[0].dim} tokens")
        return TensorType(x.legs[1:], x.dtype)


# --- sugar (removed by the desugar pass) --------------------------------------------------


def _check_model_input(op: Op, x: TensorType, what: str) -> Leg:
    if len(x.legs) != 2 or x.dtype != "float":
        op.fail(f"{what} needs a float tensor [seq, d_model], got {x}")
    return x.legs[-1]


@dataclass(frozen=True, kw_only=True)
class Attention(Op):
    """Multi-head self-attention (q = k = v = x), ``[t, d:D] -> [t, d:D]``.

    ``projections="fused"``: ``nn.MultiheadAttention``'s weights ``{prefix}in_proj_weight``
    [3D, D], ``in_proj_bias`` [3D], ``out_proj.weight`` [D, D], ``out_proj.bias`` [D].
    ``projections="separate"`` (Hugging Face Llama/OLMo/Qwen names): ``q_proj.weight`` [D, D],
    ``k_proj.weight``/``v_proj.weight`` [G·d_h, D], ``o_proj.weight`` [D, D], biases
    ``*.bias`` when ``bias``; grouped-query attention with ``kv_heads = G`` (a divisor of
    ``heads``), rotary embeddings of q and k (``rope``, base ``rope_base``), and QK-norm
    (``qk_norm``: RMSNorm of each head's query and key, weights ``q_norm.weight``,
    ``k_norm.weight`` [d_h], eps ``eps``) need it.

    ``kind="gaussian"``: the Gaussian projected attention of quantum self-attention
    networks (QSANN, Li et al. 2022) with classical weights, separate projections: per head
    ``h`` one scalar query ``q_t = W_q[h]·x_t + b_q[h]`` and key ``k_s = W_k[h]·x_s +
    b_k[h]`` (``q_proj.weight``, ``k_proj.weight`` [heads, D]), weights
    ``w_ts = exp(−(q_t − k_s)²)`` normalised over the keys ``s`` (``s ≤ t`` when causal),
    applied to the head's value slice, then ``o_proj`` (no 1/√d_h: a temperature is part of
    the learned ``W_q``, ``W_k``)."""

    opname: ClassVar[str] = "attention"
    arity: ClassVar[int] = 1
    sugar: ClassVar[bool] = True
    weight_fields: ClassVar[tuple[str, ...]] = ("prefix",)
    heads: int
    causal: bool
    features: int
    prefix: str
    projections: str = "fused"
    kv_heads: int | None = None
    bias: bool = True
    rope: bool = False
    rope_base: float = 10000.0
    qk_norm: bool = False
    eps: float = 1e-6
    kind: str = "softmax"

    @property
    def groups(self) -> int:
        """Key/value heads (``heads`` without grouped-query attention)."""
        return self.kv_heads or self.heads

    def infer(self, in_types):
        self.check_arity(in_types)
        last = _check_model_input(self, in_types[0], "attention")
        if last.dim != self.features:
            self.fail(f"attention expects {self.features} features, got {in_types[0]}")
        if self.heads < 1 or self.features % self.heads:
            self.fail(f"heads = {self.heads} does not divide d_model = {self.features}")
        if self.groups < 1 or self.heads % self.groups:
            self.fail(f"kv_heads = {self.groups} does not divide heads = {self.heads}")
        if self.projections not in ("fused", "separate"):
            self.fail(f"projections must be fused or separate, got {self.projections}")
        if self.projections == "fused" and (self.groups != self.heads or self.rope or self.qk_norm
                                            or not self.bias):
            self.fail("kv_heads, rope, qk_norm and bias = false need projections = separate "
                      "(nn.MultiheadAttention's fused weights have none of them)")
        if self.rope and (self.features // self.heads) % 2:
            self.fail(f"rope needs an even head size, got {self.features // self.heads}")
        if self.kind not in ("softmax", "gaussian"):
            self.fail(f"attention kind must be softmax or gaussian, got {self.kind}")
        if self.kind == "gaussian" and (self.projections != "separate" or self.rope or self.qk_norm
                                        or self.groups != self.heads):
            self.fail("kind = gaussian has one scalar query and key per head: it needs projections = "
                      "separate and takes no rope, qk_norm or kv_heads")
        return in_types[0]

    def weight_shapes(self):
        d, p = self.features, self.prefix
        if self.projections == "fused":
            return ((p + "in_proj_weight", (3 * d, d)), (p + "in_proj_bias", (3 * d,)),
                    (p + "out_proj.weight", (d, d)), (p + "out_proj.bias", (d,)))
        dh = d // self.heads
        kv = self.groups * dh
        qk = (d, kv) if self.kind == "softmax" else (self.heads, self.heads)
        out = []
        for name, rows in (("q_proj", qk[0]), ("k_proj", qk[1]), ("v_proj", kv), ("o_proj", d)):
            out.append((f"{p}{name}.weight", (rows, d)))
            if self.bias:
                out.append((f"{p}{name}.bias", (rows,)))
        if self.qk_norm:
            out += [(p + "q_norm.weight", (dh,)), (p + "k_norm.weight", (dh,))]
        return tuple(out)

    def attributes(self):
        out = [("heads", str(self.heads)), ("causal", _fmt(self.causal))]
        if self.projections != "fused":
            out += [("projections", self.projections), ("kv_heads", str(self.groups)), ("bias", _fmt(self.bias)),
                    ("rope", _fmt(self.rope)), ("qk_norm", _fmt(self.qk_norm))]
        if self.kind != "softmax":
            out.append(("kind", self.kind))
        return out + [("weights", "@" + self.prefix + "*")]


@dataclass(frozen=True, kw_only=True)
class Encoder(Op):
    """One ``nn.TransformerEncoderLayer`` (post-LN, or pre-LN if ``norm_first``), weights
    ``{prefix}self_attn.*``, ``linear1.*``, ``linear2.*``, ``norm1.*``, ``norm2.*``."""

    opname: ClassVar[str] = "encoder"
    arity: ClassVar[int] = 1
    sugar: ClassVar[bool] = True
    weight_fields: ClassVar[tuple[str, ...]] = ("prefix",)
    heads: int
    d_ff: int
    features: int
    norm_first: bool = False
    activation: str = "gelu"
    causal: bool = False
    eps: float = 1e-5
    prefix: str = ""

    def infer(self, in_types):
        self.check_arity(in_types)
        last = _check_model_input(self, in_types[0], "encoder")
        if last.dim != self.features:
            self.fail(f"encoder expects {self.features} features, got {in_types[0]}")
        if self.heads < 1 or self.features % self.heads:
            self.fail(f"heads = {self.heads} does not divide d_model = {self.features}")
        return in_types[0]

    def weight_shapes(self):
        d, f, p = self.features, self.d_ff, self.prefix
        return ((p + "self_attn.in_proj_weight", (3 * d, d)),
                (p + "self_attn.in_proj_bias", (3 * d,)),
                (p + "self_attn.out_proj.weight", (d, d)), (p + "self_attn.out_proj.bias", (d,)),
                (p + "linear1.weight", (f, d)), (p + "linear1.bias", (f,)),
                (p + "linear2.weight", (d, f)), (p + "linear2.bias", (d,)),
                (p + "norm1.weight", (d,)), (p + "norm1.bias", (d,)),
                (p + "norm2.weight", (d,)), (p + "norm2.bias", (d,)))

    def attributes(self):
        return [("heads", str(self.heads)), ("d_ff", str(self.d_ff)),
                ("norm_first", _fmt(self.norm_first)), ("activation", self.activation),
                ("causal", _fmt(self.causal)), ("eps", _fmt(self.eps)),
                ("weights", "@" + self.prefix + "*")]


@dataclass(frozen=True, kw_only=True)
class CallLayer(Op):
    """Call of a user ``layer`` (body in ``Graph.layers[layer]``), ``count`` times in a
    row (``repeat``), the first operand carried from one call to the next.  Weight names of
    call i get the prefix ``{prefix}.{i}.`` if ``indexed`` else ``{prefix}.``."""

    opname: ClassVar[str] = "call"
    arity: ClassVar[int | None] = None
    sugar: ClassVar[bool] = True
    weight_fields: ClassVar[tuple[str, ...]] = ("prefix",)
    layer: str
    count: int
    prefix: str
    indexed: bool
    param_types: tuple[TensorType, ...]
    result_type: TensorType

    def instance_prefix(self, i: int) -> str:
        """Weight-name prefix of call number ``i``."""
        return f"{self.prefix}.{i}." if self.indexed else f"{self.prefix}."

    def infer(self, in_types):
        if len(in_types) != len(self.param_types):
            self.fail(f"layer '{self.layer}' takes {len(self.param_types)} argument(s), "
                      f"got {len(in_types)}")
        for got, want in zip(in_types, self.param_types):
            if got != want:
                self.fail(f"layer '{self.layer}' was built for an argument of shape {want}, "
                          f"got {got}")
        return self.result_type

    def attributes(self):
        return [("layer", self.layer), ("count", str(self.count)),
                ("prefix", self.prefix + (".N" if self.indexed else ""))]


#: every op class by printed name
OP_CLASSES: dict[str, type[Op]] = {
    cls.opname: cls for cls in (
        Input, Param, PosEnc, Embed, Linear, MatMul, Transpose, SplitHeads, MergeHeads, Add,
        Scale, CausalMask, Softmax, PairDifference, LayerNorm, RMSNorm, Mul, RoPE, RepeatHeads, Positions, Elementwise,
        SelectToken, Attention, Encoder,
        CallLayer)
}

#: ops whose scalar function is replaced by a polynomial in surrogate mode (softmax's exp,
#: and every elementwise function)
NONLINEAR_OPS: tuple[str, ...] = ("softmax", "elementwise")

#: ops whose second operand is read for every token (attention's keys and values)
ALL_TOKEN_OPERAND_OPS: tuple[str, ...] = ("matmul", "pair_difference")
