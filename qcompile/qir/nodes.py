"""The quantum IR's records: linear forms of one row of a tensor value.

Between nonlinearities and normalisation points a transformer is linear in its inputs, so
the value of one token's row is a *linear form*: a signed sum of terms, each a chain of
block-encodable factors applied to a block-encodable source vector::

    v = Σ_k  c_k · F_k1 · F_k2 ··· F_km · s_k

This is exactly the shape of an LCU of products of block encodings (DESIGN §5), so a form
is compiled term by term (each term: prepare the source's subnormalised state, apply the
factors' block encodings) and the terms are combined by one LCU.  Its subnormalisation is
data independent: ``alpha(v) = Σ |c_k| · Π alpha(F) · alpha(s)``.

Vectors are flattened row-major over their legs (NumPy order), unpadded; padding to
powers of two happens only when a circuit is built.

Factors (maps between flattened vector spaces):

* :class:`Dense` — a fixed matrix with the block encoding it will get (``method``);
* :class:`InputMatrix` — ``I_batch ⊗ X`` (or ``I_batch ⊗ Xᵀ``) for a matrix input ``X``
  (a model input or a matrix read out by an earlier stage), block-encoded from its
  parametric loader with ``alpha = bound``;
* :class:`RankOne` — ``u wᵀ`` with ``u`` a source vector and ``w`` fixed, block-encoded
  from ``u``'s state preparation and ``w``'s (``alpha = alpha(u)·‖w‖``); it appears when
  the softmax normalisation is eliminated: ``Z·x_j = x_j 1ᵀ e``;
* :class:`Diagonal` — ``diag(u)`` of a computed vector ``u`` (a form): the elementwise
  product ``u ∘ v = diag(u) v`` of two computed values (a gated MLP's ``gate * up``),
  block-encoded from ``u``'s state by the COPY construction (``alpha = alpha(u)``);
* :class:`Rotary` — the rotary position embedding ``R_t`` of the form's own row ``t``
  (per head); bound to a token it is the fixed rotation ``R_j`` (a dense factor);
* :class:`RotaryKeys` — the scores' map with rotary keys, ``a ↦ (x_sᵀ M R_sᵀ a)_s``: the
  input matrix's block encoding with a rotation controlled by its row register inside
  (``alpha = bound · alpha(M)``).

Sources (vectors a circuit can prepare):

* :class:`InputRow` — row ``token`` of a matrix input (a parametric loader of that row
  alone), ``alpha = row_bound`` (a bound on every row's norm, at most the matrix's
  ``bound``: ``‖x_j‖ ≤ ‖X‖_F ≤ bound``); ``token`` may be :data:`ROW` (the generic row,
  bound to the selected token when a stage is built; all rows at once: ``alpha = bound``);
* :class:`Const` — a fixed vector, ``alpha = ‖c‖``;
* :class:`StageInput` — a vector read out by an earlier stage, loaded with a parametric
  loader and a declared bound;
* :class:`Nonlinear` — ``f`` applied elementwise to a form (QSVT on the diagonal block
  encoding of the form's state, DESIGN §5), carrying the polynomial chosen for it.

Every record is frozen and value-equal (arrays compare by their entries, abstract
matrices by identity: they are distinct unknowns).  Each has a ``kind`` naming it for
:class:`qcompile.qir.visitor.FormVisitor`.  The records hold no algebra: that is
:mod:`qcompile.qir.algebra` (exact, no simplification) and :mod:`qcompile.qir.fold`
(the IR-level fusion passes' simplifications).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Union

import numpy as np

from qcompile.errors import InternalError
from qcompile.qir.linalg import is_abstract, paired_layout, spectral_norm, vector_norm  # noqa: F401 (re-exported)

#: the generic row index of a row-wise form (instantiated to the selected token)
ROW = -1

#: the block encodings a dense factor can get: ``"dilation"`` (alpha = ‖W‖₂, a unitary
#: dilation synthesised by QSD) or ``"fable"`` (alpha = 2ⁿ·max|Wᵢⱼ|)
DENSE_METHODS = ("dilation", "fable")


class AlphaNotKnownYet(InternalError):
    """A subnormalisation that depends on a polynomial not chosen yet was asked for.

    Printing and statistics show such a value as "not known yet" (the quantum IR between
    ``lower-to-quantum`` and ``select-polynomials`` has no polynomials); anything that
    needs the number (building circuits, bounds) hitting it is a bug."""


def known_alpha(node) -> float | None:
    """``node.alpha`` (12 significant digits), or None while a polynomial it depends on is
    not chosen yet."""
    try:
        return float(f"{node.alpha:.12g}")
    except AlphaNotKnownYet:
        return None


def _frozen_array(a):
    if is_abstract(a):
        return a
    arr = np.array(a, dtype=np.float64)
    arr.setflags(write=False)
    return arr


def array_identity(a):
    """A hashable identity of a fixed array: shape and bytes for a concrete one, the
    object for an abstract one."""
    if is_abstract(a):
        return ("abstract", id(a))
    return (a.shape, a.tobytes())


class _ValueEqual:
    """Value equality and hashing from :meth:`_value` (computed once per record)."""

    __slots__ = ()

    def _value(self) -> tuple:  # pragma: no cover - every record defines it
        raise NotImplementedError

    def _cached_value(self) -> tuple:
        try:
            return self.__dict__["_value_key"]
        except KeyError:
            key = self._value()
            object.__setattr__(self, "_value_key", key)
            return key

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        return type(self) is type(other) and self._cached_value() == other._cached_value()

    def __hash__(self) -> int:
        return hash(self._cached_value())


# ---- factors -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dense(_ValueEqual):
    """A fixed real matrix factor (``out_dim × in_dim``) and the block encoding it gets
    (``method``, one of :data:`DENSE_METHODS`: it fixes alpha, which the lowering needs
    before any circuit exists); ``label`` says where it came from (printing only)."""

    kind: ClassVar[str] = "dense"
    matrix: np.ndarray
    method: str
    label: str = ""

    def __post_init__(self):
        if self.method not in DENSE_METHODS:
            raise InternalError(f"unknown dense block-encoding method {self.method!r}")
        object.__setattr__(self, "matrix", _frozen_array(self.matrix))

    def _value(self):
        return ("dense", array_identity(self.matrix), self.method)

    @property
    def shape(self) -> tuple[int, int]:
        """``(out_dim, in_dim)``."""
        return self.matrix.shape

    @property
    def alpha(self) -> float:
        """Subnormalisation of its block encoding: the spectral norm (dilation) or
        ``2^n · max|Wᵢⱼ|`` with ``n = max(1, ⌈log2 max(rows, cols)⌉)`` (FABLE; for an
        abstract matrix ``max|Wᵢⱼ| ≤ ‖W‖₂`` bounds it)."""
        if self.method == "fable":
            n = max(1, (max(self.shape) - 1).bit_length())
            m = self.matrix
            peak = spectral_norm(m) if is_abstract(m) else (float(np.max(np.abs(m))) if m.size else 0.0)
            return float(2**n * peak)
        return spectral_norm(self.matrix)

    def __str__(self) -> str:
        lab = f" {self.label}" if self.label else ""
        return f"dense[{self.shape[0]}x{self.shape[1]}{lab}]"


@dataclass(frozen=True)
class InputMatrix:
    """``I_batch ⊗ X`` (``transpose=False``: maps ``[batch, d] -> [batch, seq]``) or
    ``I_batch ⊗ Xᵀ`` (maps ``[batch, seq] -> [batch, d]``) for the matrix input ``name``
    of shape ``(seq, d)`` with ``‖X‖_F ≤ bound``.

    With heads (``batch > 1``) each head's block is ``X`` zero-padded to ``block × block``
    (``block = 2ⁿ``, ``n`` the qubits of the wider of ``seq`` and ``d``): the block
    encoding of ``X`` is square on ``n`` qubits and the head register sits above it, so
    ``I_batch ⊗ X`` maps ``[batch, block] -> [batch, block]``; the lowering pads and
    unpads the heads' blocks around it with fixed maps where ``seq`` or ``d`` is not
    ``block``.

    ``row_bound`` bounds every row's norm (None: ``bound`` does); with ``groups > 1`` every
    row is ``groups`` equal blocks of norm ``≤ group_bound`` each (QK-norm's keys).  The
    block encoding uses ``bound``; a row-wise diagonal of the scores uses the row bounds
    (:mod:`qcompile.qir.scores`)."""

    kind: ClassVar[str] = "input_matrix"
    name: str
    seq: int
    features: int
    bound: float
    transpose: bool = False
    batch: int = 1
    block: int = 0
    row_bound: float | None = None
    groups: int = 1
    group_bound: float | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(out_dim, in_dim)``."""
        if self.block:
            return (self.batch * self.block, self.batch * self.block)
        if self.transpose:
            return (self.batch * self.features, self.batch * self.seq)
        return (self.batch * self.seq, self.batch * self.features)

    @property
    def alpha(self) -> float:
        """``bound`` (the loader's subnormalisation)."""
        return float(self.bound)

    def __str__(self) -> str:
        t = "ᵀ" if self.transpose else ""
        b = f"I{self.batch}⊗" if self.batch > 1 else ""
        return f"{b}{self.name}{t}"


@dataclass(frozen=True, eq=False)
class RankOne(_ValueEqual):
    """``u wᵀ`` with ``u`` the vector of ``source`` and ``w`` a fixed vector."""

    kind: ClassVar[str] = "rank_one"
    source: "Source"
    right: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "right", _frozen_array(self.right))

    def _value(self):
        return ("rank_one", self.source, array_identity(self.right))

    @property
    def shape(self) -> tuple[int, int]:
        """``(len(u), len(w))``."""
        return (self.source.dim, self.right.shape[0])

    @property
    def alpha(self) -> float:
        """``alpha(u) · ‖w‖``."""
        return self.source.alpha * vector_norm(self.right)

    def __str__(self) -> str:
        return f"({self.source})·w[{self.right.shape[0]}]ᵀ"


@dataclass(frozen=True, eq=False)
class Diagonal(_ValueEqual):
    """``diag(u)`` for the vector ``u`` of ``form`` (module docstring)."""

    kind: ClassVar[str] = "diagonal"
    form: "Form"

    def _value(self):
        return ("diagonal", self.form)

    @property
    def shape(self) -> tuple[int, int]:
        """``(len(u), len(u))``."""
        return (self.form.dim, self.form.dim)

    @property
    def alpha(self) -> float:
        """``alpha(u)`` (``‖diag(u)‖₂ = ‖u‖_∞ ≤ ‖u‖₂ ≤ alpha(u)``)."""
        return self.form.alpha

    def __str__(self) -> str:
        return f"diag[{self.form}]"


@dataclass(frozen=True)
class Rotary:
    """``I_heads ⊗ R_t``: the rotary position embedding (Hugging Face ``rotate_half``
    convention) of a generic row's own token ``t``, on ``heads`` blocks of ``head_dim``
    features: the pair ``(i, i + head_dim/2)`` turns by ``t·base^(−2i/head_dim)``.  Bound
    to a token (:func:`qcompile.qir.algebra.instantiate`) it is the dense rotation
    :meth:`matrix` of that token; ``method`` is the block encoding that dense factor gets.
    Orthogonal, so ``alpha = 1``."""

    kind: ClassVar[str] = "rotary"
    base: float
    heads: int
    head_dim: int
    method: str = "dilation"
    abstract: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        """``(heads·head_dim, heads·head_dim)``."""
        n = self.heads * self.head_dim
        return (n, n)

    @property
    def alpha(self) -> float:
        """1 (an orthogonal map)."""
        return 1.0

    def frequencies(self) -> np.ndarray:
        """``ω_i = base^(−2i/head_dim)`` for the ``head_dim/2`` pairs."""
        return rotary_frequencies(self.base, self.head_dim)

    def matrix(self, token: int):
        """``I_heads ⊗ R_token`` (an abstract orthogonal matrix when ``abstract``)."""
        from qcompile.qir.linalg import AbstractMatrix

        n = self.heads * self.head_dim
        if self.abstract:
            return AbstractMatrix((n, n), 1.0, float(np.sqrt(n)))
        half = self.head_dim // 2
        theta = token * self.frequencies()
        c, s = np.cos(theta), np.sin(theta)
        r = np.zeros((self.head_dim, self.head_dim))
        i = np.arange(half)
        r[i, i], r[i, i + half] = c, -s            # (R v)_i = v_i cos − v_{i+h} sin
        r[i + half, i], r[i + half, i + half] = s, c
        return np.kron(np.eye(self.heads), r)

    def at(self, token: int) -> Dense:
        """The dense factor of this rotation at ``token``."""
        return Dense(self.matrix(token), self.method, f"rope@{token}")

    def __str__(self) -> str:
        return f"rope[{self.heads}x{self.head_dim}]"


def rotary_frequencies(base: float, head_dim: int) -> np.ndarray:
    """``base^(−2i/head_dim)`` for ``i < head_dim/2`` (Hugging Face Llama's ``inv_freq``)."""
    return 1.0 / np.power(float(base), np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)


@dataclass(frozen=True, eq=False)
class RotaryKeys(_ValueEqual):
    """Scores against rotary keys: ``a ↦ y`` with ``y[β, s] = Σ_c X̃[s, c] (M R̃_sᵀ a)[β, c]``.

    ``matrix`` is the keys' input ``X`` (``batch`` heads, each block padded to ``block``);
    ``inner`` is ``M`` (``batch·block × batch·block``, the heads' key projections padded);
    ``rotary`` gives ``R̃_s = I_batch ⊗ (E R_s Eᵀ + rest)``: each head's rotation in the
    *paired layout* where feature ``i < head_dim/2`` sits at ``i`` and its partner
    ``i + head_dim/2`` at ``i + 2^(m−1)`` (``m`` the qubits of ``head_dim``), so one qubit
    holds every pair (:func:`paired_layout` is ``E``; the query side applies ``E``).
    Block encoding: the input matrix's with ``Σ_s |s⟩⟨s| ⊗ R̃_sᵀ`` and ``M``'s block
    encoding between its row preparation and its column un-preparation
    (:mod:`qcompile.quantum.rotary`); ``alpha = bound · alpha(M)``."""

    kind: ClassVar[str] = "rotary_keys"
    matrix: InputMatrix
    inner: Dense
    rotary: Rotary

    def _value(self):
        return ("rotary_keys", self.matrix, self.inner, self.rotary)

    @property
    def name(self) -> str:
        """The input matrix's name."""
        return self.matrix.name

    @property
    def shape(self) -> tuple[int, int]:
        """``(batch·block, batch·block)``."""
        return self.matrix.shape

    @property
    def alpha(self) -> float:
        """``bound · alpha(M)`` (the rotations are unitary)."""
        return self.matrix.alpha * self.inner.alpha

    def rotation(self, token: int) -> np.ndarray:
        """``R̃_token = I_batch ⊗ I ⊗ R'_token`` (``batch·block`` square): ``R'`` turns the
        basis pair ``(i, i + 2^(m−1))`` of the low ``m = ⌈log2 head_dim⌉`` qubits by
        ``token·ω_i`` for each rotary pair ``i < head_dim/2`` and fixes the rest (what the
        circuit does, :mod:`qcompile.quantum.rotary`; on the paired layout's image it is
        ``E R_token Eᵀ``)."""
        n = self.rotary.head_dim
        size = 2 ** max(1, (n - 1).bit_length())
        top, i = size // 2, np.arange(n // 2)
        theta = token * self.rotary.frequencies()
        r = np.eye(size)
        r[i, i], r[i, i + top] = np.cos(theta), -np.sin(theta)
        r[i + top, i], r[i + top, i + top] = np.sin(theta), np.cos(theta)
        return np.kron(np.eye(self.matrix.batch * (self.matrix.block // size)), r)

    def __str__(self) -> str:
        return f"{self.matrix}·rope·({self.inner})"


Factor = Union[Dense, InputMatrix, RankOne, Diagonal, Rotary, RotaryKeys]


# ---- sources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputRow:
    """Row ``token`` (or :data:`ROW`) of the matrix input ``name`` (``seq × features``)
    with ``‖X‖_F ≤ bound`` and every row's norm ``≤ row_bound`` (None: ``bound``)."""

    kind: ClassVar[str] = "input_row"
    name: str
    seq: int
    features: int
    bound: float
    token: int = ROW
    row_bound: float | None = None

    @property
    def dim(self) -> int:
        """Length of the row."""
        return self.features

    @property
    def alpha(self) -> float:
        """The subnormalisation of its loader: for one row (``token ≠ ROW``) the row bound
        (the row's own loader, ``‖x_j‖ ≤ row_bound``); for the generic row the matrix's
        bound (an all-rows stage loads every row at once, ``‖X‖_F ≤ bound``)."""
        if self.token != ROW and self.row_bound is not None:
            return float(min(self.row_bound, self.bound))
        return float(self.bound)

    def at(self, token: int) -> "InputRow":
        """This source with the generic row bound to ``token``."""
        if self.token != ROW:
            return self
        return InputRow(self.name, self.seq, self.features, self.bound, token, self.row_bound)

    def __str__(self) -> str:
        tok = "j" if self.token == ROW else str(self.token)
        return f"{self.name}[{tok}]"


@dataclass(frozen=True, eq=False)
class Const(_ValueEqual):
    """A fixed vector."""

    kind: ClassVar[str] = "const"
    vector: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "vector", _frozen_array(self.vector))

    def _value(self):
        return ("const", array_identity(self.vector))

    @property
    def dim(self) -> int:
        """Its length."""
        return self.vector.shape[0]

    @property
    def alpha(self) -> float:
        """Its 2-norm."""
        return vector_norm(self.vector)

    def __str__(self) -> str:
        return f"const[{self.dim}]"


@dataclass(frozen=True)
class StageInput:
    """A vector read out at the end of stage ``stage`` and loaded again with ``‖v‖ ≤ bound``;
    with ``groups > 1`` it is ``groups`` equal blocks of norm ``≤ group_bound`` each (the
    per-head normalisation of QK-norm's query)."""

    kind: ClassVar[str] = "stage_input"
    name: str
    dim: int
    bound: float
    stage: int
    groups: int = 1
    group_bound: float | None = None

    @property
    def alpha(self) -> float:
        """The declared bound."""
        return float(self.bound)

    def __str__(self) -> str:
        return f"{self.name}"


@dataclass(frozen=True, eq=False)
class Nonlinear(_ValueEqual):
    """``function`` applied entrywise to the vector of ``argument`` (a :class:`Form`).

    ``node`` is the tensor-IR node it implements (the surrogate reference's key);
    ``polynomial`` is filled by polynomial selection: a record with ``alpha`` (the output
    subnormalisation), ``degree``, ``error`` and ``__call__`` (the scalar surrogate on
    real values), or None before ``select-polynomials``.
    """

    kind: ClassVar[str] = "nonlinear"
    function: str
    argument: "Form"
    node: int
    polynomial: object = None

    def _value(self):
        return ("nonlinear", self.function, self.argument, self.node, self.polynomial)

    @property
    def dim(self) -> int:
        """Length of the vector."""
        return self.argument.dim

    @property
    def alpha(self) -> float:
        """Subnormalisation of the elementwise construction (needs the polynomial)."""
        if self.polynomial is None:
            raise AlphaNotKnownYet(f"no polynomial chosen yet for %{self.node} ({self.function})")
        return float(self.polynomial.alpha)

    def __str__(self) -> str:
        return f"{self.function}(%{self.node})"


Source = Union[InputRow, Const, StageInput, Nonlinear]


# ---- terms and forms -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Term(_ValueEqual):
    """``coeff · factors[0] · factors[1] ··· source`` (factors apply right to left)."""

    coeff: float
    factors: tuple[Factor, ...]
    source: Source

    def _value(self):
        return ("term", float(self.coeff), self.factors, self.source)

    @property
    def dim(self) -> int:
        """Length of the resulting vector."""
        return self.factors[0].shape[0] if self.factors else self.source.dim

    @property
    def alpha(self) -> float:
        """``|coeff| · Π alpha(factor) · alpha(source)``."""
        a = abs(self.coeff) * self.source.alpha
        for f in self.factors:
            a *= f.alpha
        return a

    def __str__(self) -> str:
        chain = " · ".join(str(f) for f in self.factors)
        body = f"{chain} · {self.source}" if chain else str(self.source)
        return f"{self.coeff:+.6g} {body}"


@dataclass(frozen=True, eq=False)
class Form(_ValueEqual):
    """A signed sum of terms of equal length ``dim`` (see the module docstring)."""

    dim: int
    terms: tuple[Term, ...] = field(default_factory=tuple)

    def __post_init__(self):
        for t in self.terms:
            if t.dim != self.dim:
                raise InternalError(f"term of length {t.dim} in a form of length {self.dim}")

    def _value(self):
        return ("form", self.dim, self.terms)

    @property
    def alpha(self) -> float:
        """``Σ_k alpha(term_k)``: the LCU's subnormalisation."""
        return float(sum(t.alpha for t in self.terms))

    def sources(self):
        """Every source of every term (and, recursively, of nonlinear arguments' forms
        and rank-one factors)."""
        for t in self.terms:
            yield t.source
            if isinstance(t.source, Nonlinear):
                yield from t.source.argument.sources()
            for f in t.factors:
                if isinstance(f, RankOne):
                    yield f.source
                elif isinstance(f, Diagonal):
                    yield from f.form.sources()

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.terms) if self.terms else "0"
