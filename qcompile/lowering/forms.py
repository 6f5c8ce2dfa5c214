"""Linear forms: the quantum IR's normal form for one row of a tensor value.

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

* :class:`Dense` — a fixed matrix (weights, biases folded with anything fixed next to
  them, centering).  Adjacent dense factors are multiplied classically: that is the
  linear-chain folding of DESIGN §6, done once, here.
* :class:`InputMatrix` — ``I_batch ⊗ X`` (or ``I_batch ⊗ Xᵀ``) for a matrix input ``X``
  (a model input or a matrix read out by an earlier stage), block-encoded from its
  parametric loader with ``alpha = bound``.
* :class:`RankOne` — ``u wᵀ`` with ``u`` a source vector and ``w`` fixed, block-encoded
  from ``u``'s state preparation and ``w``'s (``alpha = alpha(u)·‖w‖``).  It appears when
  the softmax normalisation is eliminated: ``Z·x_j = x_j 1ᵀ e``.

Sources (vectors a circuit can prepare):

* :class:`InputRow` — row ``token`` of a matrix input (a parametric loader of that row
  alone), ``alpha = bound`` (the matrix's: ``‖x_j‖ ≤ ‖X‖_F ≤ bound``); ``token`` may be :data:`ROW` (the generic row, bound
  to the selected token when a stage is built).
* :class:`Const` — a fixed vector, ``alpha = ‖c‖``.
* :class:`StageInput` — a vector read out by an earlier stage, loaded with a parametric
  loader and a declared bound.
* :class:`Nonlinear` — ``f`` applied elementwise to a form (QSVT on the diagonal block
  encoding of the form's state, DESIGN §5), carrying the polynomial chosen for it.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from typing import Union

import numpy as np

from qcompile.lowering.linalg import (AbstractMatrix, fingerprint, is_abstract, is_identity, is_zero,
                                      spectral_norm, vector_norm)

#: the generic row index of a row-wise form (instantiated to the selected token)
ROW = -1


def _frozen_array(a) -> np.ndarray:
    if is_abstract(a):
        return a
    arr = np.array(a, dtype=np.float64)
    arr.setflags(write=False)
    return arr


#: the block encoding dense factors get (``"dilation"`` or ``"fable"``): it fixes their
#: alpha, which the lowering needs before any circuit exists (set by :func:`dense_method`)
_DENSE_METHOD: contextvars.ContextVar[str] = contextvars.ContextVar("dense_method", default="dilation")


@contextlib.contextmanager
def dense_method(method: str):
    """Within this context, new :class:`Dense` factors are block-encoded with ``method``
    (``"dilation"``: alpha = ‖W‖₂; ``"fable"``: alpha = 2^n·max|Wᵢⱼ|)."""
    if method not in ("dilation", "fable"):
        raise ValueError(f"unknown block-encoding method {method!r} (use 'dilation' or 'fable')")
    token = _DENSE_METHOD.set(method)
    try:
        yield
    finally:
        _DENSE_METHOD.reset(token)


@dataclass(frozen=True, eq=False)
class Dense:
    """A fixed real matrix factor (``out_dim × in_dim``); ``label`` says where it came from;
    ``method`` is the block encoding it will get (the :func:`dense_method` in force when
    it was created)."""

    matrix: np.ndarray
    label: str = ""
    method: str = field(default_factory=_DENSE_METHOD.get)

    def __post_init__(self):
        object.__setattr__(self, "matrix", _frozen_array(self.matrix))

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

    def key(self):
        return ("dense",)

    def __str__(self) -> str:
        lab = f" {self.label}" if self.label else ""
        return f"dense[{self.shape[0]}x{self.shape[1]}{lab}]"


@dataclass(frozen=True)
class InputMatrix:
    """``I_batch ⊗ X`` (``transpose=False``: maps ``[batch, d] -> [batch, seq]``) or
    ``I_batch ⊗ Xᵀ`` (maps ``[batch, seq] -> [batch, d]``) for the matrix input ``name``
    of shape ``(seq, d)`` with ``‖X‖_F ≤ bound``."""

    name: str
    seq: int
    features: int
    bound: float
    transpose: bool = False
    batch: int = 1

    @property
    def shape(self) -> tuple[int, int]:
        """``(out_dim, in_dim)``."""
        if self.transpose:
            return (self.batch * self.features, self.batch * self.seq)
        return (self.batch * self.seq, self.batch * self.features)

    @property
    def alpha(self) -> float:
        """``bound`` (the loader's subnormalisation)."""
        return float(self.bound)

    def key(self):
        return ("input", self.name, self.transpose, self.batch)

    def __str__(self) -> str:
        t = "ᵀ" if self.transpose else ""
        b = f"I{self.batch}⊗" if self.batch > 1 else ""
        return f"{b}{self.name}{t}"


@dataclass(frozen=True, eq=False)
class RankOne:
    """``u wᵀ`` with ``u`` the vector of ``source`` and ``w`` a fixed vector."""

    source: "Source"
    right: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "right", _frozen_array(self.right))

    @property
    def shape(self) -> tuple[int, int]:
        """``(len(u), len(w))``."""
        return (self.source.dim, self.right.shape[0])

    @property
    def alpha(self) -> float:
        """``alpha(u) · ‖w‖``."""
        return self.source.alpha * vector_norm(self.right)

    def key(self):
        return ("rank1", self.source.key(), fingerprint(self.right))

    def __str__(self) -> str:
        return f"({self.source})·w[{self.right.shape[0]}]ᵀ"


Factor = Union[Dense, InputMatrix, RankOne]


@dataclass(frozen=True)
class InputRow:
    """Row ``token`` (or :data:`ROW`) of the matrix input ``name`` (``seq × features``)."""

    name: str
    seq: int
    features: int
    bound: float
    token: int = ROW

    @property
    def dim(self) -> int:
        """Length of the row."""
        return self.features

    @property
    def alpha(self) -> float:
        """The input's bound."""
        return float(self.bound)

    def key(self):
        return ("row", self.name, self.token)

    def at(self, token: int) -> "InputRow":
        """This source with the generic row bound to ``token``."""
        if self.token != ROW:
            return self
        return InputRow(self.name, self.seq, self.features, self.bound, token)

    def __str__(self) -> str:
        tok = "j" if self.token == ROW else str(self.token)
        return f"{self.name}[{tok}]"


@dataclass(frozen=True, eq=False)
class Const:
    """A fixed vector."""

    vector: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "vector", _frozen_array(self.vector))

    @property
    def dim(self) -> int:
        """Its length."""
        return self.vector.shape[0]

    @property
    def alpha(self) -> float:
        """Its 2-norm."""
        return vector_norm(self.vector)

    def key(self):
        return ("const", fingerprint(self.vector))  # terms merge only behind equal constants

    def __str__(self) -> str:
        return f"const[{self.dim}]"


@dataclass(frozen=True)
class StageInput:
    """A vector read out at the end of stage ``stage`` and loaded again with ``‖v‖ ≤ bound``."""

    name: str
    dim: int
    bound: float
    stage: int

    @property
    def alpha(self) -> float:
        """The declared bound."""
        return float(self.bound)

    def key(self):
        return ("stage", self.name)

    def __str__(self) -> str:
        return f"{self.name}"


@dataclass(frozen=True, eq=False)
class Nonlinear:
    """``function`` applied entrywise to the vector of ``argument`` (a :class:`Form`).

    ``node`` is the tensor-IR node it implements (the surrogate reference's key);
    ``polynomial`` is filled by polynomial selection: a callable record with ``alpha``
    (the output subnormalisation) and ``__call__`` (the scalar surrogate on real values).
    """

    function: str
    argument: "Form"
    node: int
    polynomial: object = None

    @property
    def dim(self) -> int:
        """Length of the vector."""
        return self.argument.dim

    @property
    def alpha(self) -> float:
        """Subnormalisation of the elementwise construction (needs the polynomial)."""
        if self.polynomial is None:
            raise ValueError(f"no polynomial chosen yet for %{self.node} ({self.function})")
        return float(self.polynomial.alpha)

    def key(self):
        return ("nonlinear", self.node, id(self))

    def __str__(self) -> str:
        return f"{self.function}(%{self.node})"


Source = Union[InputRow, Const, StageInput, Nonlinear]


@dataclass(frozen=True, eq=False)
class Term:
    """``coeff · factors[0] · factors[1] ··· source`` (factors apply right to left)."""

    coeff: float
    factors: tuple[Factor, ...]
    source: Source

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

    def key(self):
        """Identity of everything but a leading dense factor and the coefficient: terms
        with equal keys merge by adding their leading dense matrices."""
        rest = self.factors[1:] if self.factors and isinstance(self.factors[0], Dense) else self.factors
        return (tuple(f.key() for f in rest), self.source.key())

    def __str__(self) -> str:
        chain = " · ".join(str(f) for f in self.factors)
        body = f"{chain} · {self.source}" if chain else str(self.source)
        return f"{self.coeff:+.6g} {body}"


@dataclass(frozen=True, eq=False)
class Form:
    """A signed sum of terms of equal length ``dim`` (see the module docstring)."""

    dim: int
    terms: tuple[Term, ...] = field(default_factory=tuple)

    def __post_init__(self):
        for t in self.terms:
            if t.dim != self.dim:
                raise ValueError(f"term of length {t.dim} in a form of length {self.dim}")

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

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.terms) if self.terms else "0"


# ---- algebra -----------------------------------------------------------------------------


def source_form(source: Source, coeff: float = 1.0) -> Form:
    """The form ``coeff · source``."""
    return Form(source.dim, (Term(coeff, (), source),))


def const_form(vector) -> Form:
    """A fixed vector as a form (empty if it is zero)."""
    v = vector if is_abstract(vector) else np.asarray(vector, dtype=np.float64)
    if is_zero(v):
        return Form(v.shape[0], ())
    return source_form(Const(v))


#: which foldings the form algebra does (see :func:`folding`)
_FOLD: contextvars.ContextVar[frozenset] = contextvars.ContextVar(
    "fold", default=frozenset({"chains", "constants"}))


def folds(kind: str) -> bool:
    """True if the :func:`folding` in force folds ``kind`` (``"chains"``/``"constants"``)."""
    return kind in _FOLD.get()


@contextlib.contextmanager
def folding(chains: bool = True, constants: bool = True):
    """Within this context the algebra folds ``chains`` (a dense factor into the dense
    factor after it, ``W₂·W₁ → (W₂W₁)``, and terms differing only in their leading dense
    matrix, ``x + W x → (I + W) x``: linear chains, incl. ``W_k·W_qᵀ``) and/or
    ``constants`` (a dense factor into a constant, ``W·c → (Wc)``, and all constants
    into one).  Outside any context both are on.  With neither, the form keeps every
    factor and term it was built from (the -O0 quantum IR, one block encoding per weight)."""
    token = _FOLD.set(frozenset(k for k, on in (("chains", chains), ("constants", constants)) if on))
    try:
        yield
    finally:
        _FOLD.reset(token)


def _compose_dense(factor: "Dense", factors: tuple) -> tuple:
    """Prepend the dense ``factor`` to ``factors``, multiplying into a leading dense."""
    if factors and isinstance(factors[0], Dense):
        return (Dense(factor.matrix @ factors[0].matrix, method=factor.method),) + factors[1:]
    return (factor,) + factors


def apply_factor(factor: Factor, form: Form) -> Form:
    """``factor · form``.  Dense factors fold into leading dense factors and into
    constants (a fixed matrix times a fixed vector is a fixed vector) as far as
    :func:`folding` allows."""
    out_dim, in_dim = factor.shape
    if in_dim != form.dim:
        raise ValueError(f"cannot apply a {out_dim}x{in_dim} map to a vector of length {form.dim}")
    terms = []
    for t in form.terms:
        if isinstance(factor, Dense):
            if not t.factors and isinstance(t.source, Const) and folds("constants"):
                terms.append(Term(t.coeff, (), Const(factor.matrix @ t.source.vector)))
                continue
            if t.factors and isinstance(t.factors[0], Dense) and folds("chains"):
                terms.append(Term(t.coeff, _compose_dense(factor, t.factors), t.source))
                continue
        terms.append(Term(t.coeff, (factor,) + t.factors, t.source))
    return simplify(Form(out_dim, tuple(terms)))


def apply_dense(matrix, form: Form, label: str = "") -> Form:
    """``matrix · form`` for a fixed matrix."""
    m = matrix if is_abstract(matrix) else np.asarray(matrix, dtype=np.float64)
    return apply_factor(Dense(m, label), form)


def add(*forms: Form) -> Form:
    """The sum of forms of equal length."""
    dim = forms[0].dim
    for f in forms:
        if f.dim != dim:
            raise ValueError(f"cannot add vectors of lengths {dim} and {f.dim}")
    return simplify(Form(dim, tuple(t for f in forms for t in f.terms)))


def scale(form: Form, k: float) -> Form:
    """``k · form``."""
    return Form(form.dim, tuple(Term(t.coeff * k, t.factors, t.source) for t in form.terms))


def _leading_matrix(t: Term, abstract: bool = False) -> np.ndarray:
    """The term's coefficient times its leading dense matrix (identity if none; an
    abstract identity when the other matrices it is added to are abstract)."""
    if t.factors and isinstance(t.factors[0], Dense):
        return t.coeff * t.factors[0].matrix
    return t.coeff * (AbstractMatrix.identity(t.dim) if abstract else np.eye(t.dim))


def simplify(form: Form) -> Form:
    """Merge terms that differ only in their leading dense factor and coefficient (their
    matrices add: ``x + W x = (I + W) x``), fold all constants into one, drop zero terms,
    and normalise each dense-led term so its coefficient is +1 (the sign lives in the
    matrix).  Order of first appearance is kept, so printing stays deterministic.
    Merging is the ``chains`` folding and the constant sum the ``constants`` folding
    (:func:`folding`); without them terms are kept as they are."""
    chains, constants = folds("chains"), folds("constants")
    if not chains and not constants:
        return form
    groups: dict = {}
    order = []
    const = None
    loose = []
    for t in form.terms:
        if not t.factors and isinstance(t.source, Const):
            if not constants:
                loose.append(t)
                continue
            v = t.coeff * t.source.vector
            const = v if const is None else const + v
            continue
        if not chains:
            loose.append(t)
            continue
        k = t.key()
        if k not in groups:
            groups[k] = []
            order.append(k)
        groups[k].append(t)
    terms = []
    for k in order:
        ts = groups[k]
        if len(ts) == 1 and not (ts[0].factors and isinstance(ts[0].factors[0], Dense)):
            terms.append(ts[0])
            continue
        abstract = any(t.factors and isinstance(t.factors[0], Dense) and is_abstract(t.factors[0].matrix)
                       for t in ts)
        m = sum(_leading_matrix(t, abstract) for t in ts)
        if is_zero(m):
            continue
        t0 = ts[0]
        rest = t0.factors[1:] if t0.factors and isinstance(t0.factors[0], Dense) else t0.factors
        if is_identity(m):
            terms.append(Term(1.0, rest, t0.source))
        else:
            method = next((t.factors[0].method for t in ts if t.factors and isinstance(t.factors[0], Dense)),
                          _DENSE_METHOD.get())
            terms.append(Term(1.0, (Dense(m, method=method),) + rest, t0.source))
    terms += loose  # kept unfolded (in their order)
    if const is not None and not is_zero(const):
        terms.append(Term(1.0, (), Const(const)))
    return Form(form.dim, tuple(terms))


def instantiate(form: Form, token: int, _memo: dict | None = None) -> Form:
    """The form with every generic row (:data:`ROW`) bound to ``token``.  A nonlinear
    source shared by several terms stays shared (one object, compiled once)."""
    memo = {} if _memo is None else _memo

    def src(s):
        if isinstance(s, InputRow):
            return s.at(token)
        if isinstance(s, Nonlinear):
            if id(s) not in memo:
                memo[id(s)] = Nonlinear(s.function, instantiate(s.argument, token, memo),
                                        s.node, s.polynomial)
            return memo[id(s)]
        return s

    def fac(f):
        if isinstance(f, RankOne):
            return RankOne(src(f.source), f.right)
        return f

    return Form(form.dim, tuple(Term(t.coeff, tuple(fac(f) for f in t.factors), src(t.source))
                                for t in form.terms))
