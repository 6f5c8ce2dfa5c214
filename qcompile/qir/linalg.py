"""The matrices the lowering builds: concrete (NumPy) or abstract (shape and norms only).

The symbolic lowering (:mod:`qcompile.lowering.symbolic`) and the quantum IR's algebra
(:mod:`qcompile.qir.algebra`, :mod:`qcompile.qir.fold`) only ever need, of a fixed matrix, its shape, its
spectral norm (the subnormalisation of its block encoding) and products, sums and
rearrangements of it.  At sizes that can be compiled the matrices are NumPy arrays.  For
resource estimation at LLM sizes (``qcompile resources``) they are
:class:`AbstractMatrix` records — shape, an upper bound (or, for random weights, an
estimate) of the spectral and Frobenius norms — so a 4096-wide layer lowers in
milliseconds and no weight is ever generated.  The structure of the lowered program
(stages, terms, factor shapes, sources) is the same in both cases; only norms become
bounds.

Norm rules for abstract results (each an upper bound given bounds of the operands):
``‖AB‖₂ ≤ ‖A‖₂‖B‖₂``, ``‖AB‖_F ≤ min(‖A‖₂‖B‖_F, ‖A‖_F‖B‖₂)``, ``‖A+B‖ ≤ ‖A‖+‖B‖``,
a submatrix's norms are at most the matrix's, ``‖I_b ⊗ A‖₂ = ‖A‖₂``,
``‖I_b ⊗ A‖_F = √b‖A‖_F``, a block diagonal's spectral norm is its blocks' maximum.

:class:`LinearAlgebra` (concrete) and :class:`AbstractLinearAlgebra` build the special
matrices the lowering needs (centering, permutations, masks, ...) in one or the other
representation; the lowering holds one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def paired_layout(head_dim: int, block: int) -> np.ndarray:
    """``E`` (``block × head_dim``): feature ``i < head_dim/2`` to ``i``, ``i + head_dim/2``
    to ``i + 2^(m−1)`` with ``m = ⌈log2 head_dim⌉`` (one qubit then holds every rotary pair)."""
    half = head_dim // 2
    top = 2 ** (max(1, (head_dim - 1).bit_length()) - 1)
    e = np.zeros((block, head_dim))
    i = np.arange(half)
    e[i, i] = 1.0
    e[i + top, i + half] = 1.0
    return e


@dataclass(frozen=True, eq=False)
class AbstractVector:
    """A fixed vector known by its length and a bound on its 2-norm."""

    length: int
    norm: float
    max_abs: float | None = None

    __array_ufunc__ = None  # make NumPy defer to our operators

    @property
    def sup(self) -> float:
        """A bound on the largest entry (the norm if nothing better is known)."""
        return self.norm if self.max_abs is None else min(self.norm, self.max_abs)

    def __getitem__(self, rows) -> "AbstractVector":
        """Entries ``rows`` (a slice): norms bounded by the vector's."""
        if not isinstance(rows, slice):
            raise TypeError("abstract vectors only support slices")
        return AbstractVector(len(range(*rows.indices(self.length))), self.norm, self.max_abs)

    @property
    def shape(self) -> tuple[int]:
        """``(length,)``."""
        return (self.length,)

    ndim = 1

    def __mul__(self, k) -> "AbstractVector":
        return AbstractVector(self.length, abs(float(k)) * self.norm)

    __rmul__ = __mul__

    def __neg__(self) -> "AbstractVector":
        return self

    def __add__(self, other) -> "AbstractVector":
        return AbstractVector(self.length, self.norm + vector_norm(other))

    __radd__ = __add__


@dataclass(frozen=True, eq=False)
class AbstractMatrix:
    """A fixed matrix known by its shape and bounds on its norms.

    ``kind="identity"`` marks an exact identity (it vanishes in products, as ``np.eye``
    does in the concrete form algebra); ``kind="diagonal"`` a diagonal matrix; every other
    abstract matrix is treated as generic (nonzero, not the identity; ``kind="unpad"``
    records ``pad_blocks(...)ᵀ``, generic in products).  ``aligned =
    (heads, group)``: the matrix (``heads·block × heads·n``) maps head ``β``'s columns
    only into rows ``β·block + [β·group, (β+1)·group)`` (QK-norm's keys map; kept by
    products with diagonal matrices, which do not move supports).
    """

    shape: tuple[int, int]
    spectral: float
    frobenius: float
    kind: str = "general"
    max_row_norm: float | None = None
    aligned: tuple[int, int] | None = None

    __array_ufunc__ = None
    ndim = 2

    @classmethod
    def identity(cls, n: int) -> "AbstractMatrix":
        """The ``n × n`` identity."""
        return cls((n, n), 1.0, math.sqrt(n), "identity")

    @property
    def size(self) -> int:
        """Number of entries."""
        return self.shape[0] * self.shape[1]

    @property
    def T(self) -> "AbstractMatrix":
        """The transpose (same norms)."""
        return AbstractMatrix((self.shape[1], self.shape[0]), self.spectral, self.frobenius,
                              self.kind if self.kind in ("identity", "diagonal") else "general")

    def __matmul__(self, other):
        if isinstance(other, (AbstractVector,)) or (isinstance(other, np.ndarray) and other.ndim == 1):
            if self.shape[1] != vector_length(other):
                raise ValueError(f"cannot apply a {self.shape} matrix to a vector of length {vector_length(other)}")
            if self.kind == "identity":
                return other
            return AbstractVector(self.shape[0], self.spectral * vector_norm(other))
        o = as_abstract(other)
        if self.shape[1] != o.shape[0]:
            raise ValueError(f"cannot multiply {self.shape} by {o.shape}")
        if self.kind == "identity":
            return o
        if o.kind == "identity":
            return self
        kind = "diagonal" if self.kind == o.kind == "diagonal" else "general"
        aligned = o.aligned if self.kind == "diagonal" else (self.aligned if o.kind == "diagonal" else None)
        return AbstractMatrix((self.shape[0], o.shape[1]), self.spectral * o.spectral,
                              min(self.spectral * o.frobenius, self.frobenius * o.spectral), kind,
                              aligned=aligned)

    def __rmatmul__(self, other):
        return as_abstract(other) @ self

    def __mul__(self, k) -> "AbstractMatrix":
        k = float(k)
        if k == 1.0:
            return self
        kind = "diagonal" if self.kind in ("identity", "diagonal") else "general"
        return AbstractMatrix(self.shape, abs(k) * self.spectral, abs(k) * self.frobenius, kind,
                              aligned=self.aligned)

    __rmul__ = __mul__

    def __neg__(self) -> "AbstractMatrix":
        return self if self.kind != "identity" else AbstractMatrix(self.shape, 1.0, self.frobenius)

    def __add__(self, other) -> "AbstractMatrix":
        if isinstance(other, (int, float)) and other == 0:
            return self
        o = as_abstract(other)
        if o.shape != self.shape:
            raise ValueError(f"cannot add {self.shape} and {o.shape}")
        return AbstractMatrix(self.shape, self.spectral + o.spectral, self.frobenius + o.frobenius)

    __radd__ = __add__

    def __sub__(self, other) -> "AbstractMatrix":
        return self + other

    def __rsub__(self, other) -> "AbstractMatrix":
        return self + other

    def __getitem__(self, rows) -> "AbstractMatrix":
        """Rows ``rows`` (a slice): a submatrix, norms bounded by the matrix's."""
        if not isinstance(rows, slice):
            raise TypeError("abstract matrices only support row slices")
        n = len(range(*rows.indices(self.shape[0])))
        return AbstractMatrix((n, self.shape[1]), self.spectral, self.frobenius)


def is_diagonal(m) -> bool:
    """True when ``m`` is known to be diagonal (square): exactly, for a concrete matrix."""
    if isinstance(m, AbstractMatrix):
        return m.kind in ("identity", "diagonal") and m.shape[0] == m.shape[1]
    a = np.asarray(m)
    return a.ndim == 2 and a.shape[0] == a.shape[1] and not np.any(a - np.diag(np.diag(a)))


def heads_aligned(m, heads: int, block: int, group: int) -> bool:
    """True when ``m`` (``heads·block × heads·n``) maps head ``β``'s columns only into rows
    ``β·block + [β·group, (β+1)·group)`` (every other entry exactly 0; for an abstract matrix
    its ``aligned`` record)."""
    if isinstance(m, AbstractMatrix):
        return m.aligned == (heads, group) and m.shape[0] == heads * block and m.shape[1] % heads == 0
    a = np.asarray(m)
    if a.ndim != 2 or a.shape[0] != heads * block or a.shape[1] % heads:
        return False
    n = a.shape[1] // heads
    mask = np.zeros(a.shape, dtype=bool)
    for b in range(heads):
        mask[b * block + b * group: b * block + (b + 1) * group, b * n:(b + 1) * n] = True
    return not np.any(a[~mask])


def mark_aligned(m, heads: int, group: int):
    """``m`` with the ``aligned`` record of :func:`heads_aligned` (abstract matrices; a
    concrete one is returned as it is: its entries say it)."""
    if isinstance(m, AbstractMatrix):
        from dataclasses import replace

        return replace(m, aligned=(int(heads), int(group)))
    return m


def mark_unpad(m):
    """``m`` (the map keeping each head's first rows, ``pad_blocks(...)ᵀ``) recorded as such
    when abstract (``kind="unpad"``); a concrete one is returned as it is."""
    if isinstance(m, AbstractMatrix):
        from dataclasses import replace

        return replace(m, kind="unpad")
    return m


def is_abstract(x) -> bool:
    """True for :class:`AbstractMatrix` and :class:`AbstractVector`."""
    return isinstance(x, (AbstractMatrix, AbstractVector))


def as_abstract(m) -> AbstractMatrix:
    """An abstract record of a concrete matrix (its exact norms) or ``m`` itself."""
    if isinstance(m, AbstractMatrix):
        return m
    a = np.asarray(m, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {a.shape}")
    return AbstractMatrix(a.shape, spectral_norm(a), float(np.linalg.norm(a)))


def spectral_norm(m) -> float:
    """‖m‖₂ (a bound for abstract matrices)."""
    if isinstance(m, AbstractMatrix):
        return float(m.spectral)
    return float(np.linalg.norm(m, 2)) if m.size else 0.0


def vector_norm(v) -> float:
    """‖v‖₂ (a bound for abstract vectors)."""
    if isinstance(v, AbstractVector):
        return float(v.norm)
    return float(np.linalg.norm(v))


def vector_length(v) -> int:
    """Length of a concrete or abstract vector."""
    return v.length if isinstance(v, AbstractVector) else int(np.asarray(v).shape[0])


def is_zero(x) -> bool:
    """True if ``x`` is exactly zero (abstract values never are)."""
    if is_abstract(x):
        return False
    return not np.any(x)


def is_identity(m) -> bool:
    """True if ``m`` is exactly a square identity."""
    if isinstance(m, AbstractMatrix):
        return m.kind == "identity"
    return m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(m.shape[0]))


def identity(n: int, abstract: bool = False):
    """The ``n × n`` identity, concrete or abstract."""
    return AbstractMatrix.identity(n) if abstract else np.eye(n)


def same_matrix(a, b) -> bool:
    """True if ``a`` and ``b`` are the same fixed matrix: equal entries for concrete
    matrices, the same record for abstract ones (two abstract matrices are distinct
    unknowns unless they are one object)."""
    if a is b:
        return True
    if is_abstract(a) or is_abstract(b):
        return False
    return a.shape == b.shape and bool(np.array_equal(a, b))


def fingerprint(v):
    """A hashable identity of a fixed vector (its bytes; abstract vectors by object)."""
    if isinstance(v, AbstractVector):
        return ("abstract", id(v))
    return np.asarray(v).tobytes()


class LinearAlgebra:
    """Builds the lowering's special matrices as NumPy arrays (compilable sizes)."""

    abstract = False

    def eye(self, n: int):
        """The identity."""
        return np.eye(n)

    def kron_eye(self, batch: int, m):
        """``I_batch ⊗ m``."""
        return np.kron(np.eye(batch), m) if batch > 1 else m

    def tile(self, v, batch: int):
        """``v`` repeated ``batch`` times."""
        return np.tile(v, batch)

    def permutation(self, idx: np.ndarray):
        """``P`` with ``(P x)[i] = x[idx[i]]``."""
        size = len(idx)
        p = np.zeros((size, size))
        p[np.arange(size), idx] = 1.0
        return p

    def diag(self, v, scale: float = 1.0):
        """``scale · diag(v)``."""
        return scale * np.diag(np.asarray(v, dtype=float))

    def centering(self, d: int):
        """``I − 11ᵀ/d``."""
        return np.eye(d) - np.ones((d, d)) / d

    def pair_difference(self, batch: int):
        """``I_batch ⊗ [[1, −1], [−1, 1]]``: each pair's differences ``(a − b, b − a)``."""
        return np.kron(np.eye(batch), np.array([[1.0, -1.0], [-1.0, 1.0]]))

    def embed_top(self, d: int):
        """The ``(d+1) × d`` map putting a vector in the first ``d`` entries."""
        return np.vstack([np.eye(d), np.zeros((1, d))])

    def unit_column(self, rows: int, index: int):
        """The ``rows × 1`` matrix with a 1 at ``index``."""
        m = np.zeros((rows, 1))
        m[index, 0] = 1.0
        return m

    def ones_row(self, d: int):
        """The ``1 × d`` all-ones matrix (the sum of a vector's entries)."""
        return np.ones((1, d))

    def outer(self, u, w):
        """``u wᵀ``."""
        return np.outer(u, w)

    def sum_of_columns_map(self, m, coeff: float):
        """``coeff · mᵀ 1`` (the weights of ``1ᵀ m x``)."""
        return coeff * (np.asarray(m).T @ np.ones(m.shape[0]))

    def block_diag(self, blocks):
        """The block-diagonal matrix of ``blocks``."""
        from scipy.linalg import block_diag

        return block_diag(*blocks)

    def head_blocks(self, m, batch: int, inner: int):
        """The ``batch`` row blocks of height ``inner`` of ``m`` (one per head)."""
        return [m[beta * inner:(beta + 1) * inner, :] for beta in range(batch)]

    def bias_blocks(self, vector, coeff: float, batch: int, inner: int, seq: int, features: bool):
        """Per head β, the rank-one ``1_seq c_βᵀ`` (``features``) or ``c_β 1_seqᵀ`` of the
        constant ``coeff·vector`` split into ``batch`` blocks of length ``inner``."""
        c = coeff * np.asarray(vector).reshape(batch, inner)
        return [np.outer(np.ones(seq), c[b]) if features else np.outer(c[b], np.ones(seq))
                for b in range(batch)]

    def pad_blocks(self, batch: int, inner: int, block: int):
        """The ``(batch·block) × (batch·inner)`` map putting each of ``batch`` blocks of
        length ``inner`` at the start of a block of length ``block`` (zeros after it)."""
        p = np.zeros((batch * block, batch * inner))
        for b in range(batch):
            p[b * block + np.arange(inner), b * inner + np.arange(inner)] = 1.0
        return p

    def paired_layout(self, batch: int, head_dim: int, block: int):
        """``I_batch ⊗ E`` with ``E`` the rotary paired layout of one head
        (:func:`paired_layout`, ``block × head_dim``)."""

        return np.kron(np.eye(batch), paired_layout(head_dim, block))

    def rotary_bias_blocks(self, vector, coeff: float, batch: int, inner: int, seq: int, rotary):
        """Per head β, the ``seq × inner`` matrix whose row ``s`` is ``R_s c_β`` for the
        constant ``coeff·vector`` split into ``batch`` blocks (a rotary key bias)."""
        c = coeff * np.asarray(vector).reshape(batch, inner)
        rot = [rotary.matrix(s)[:inner, :inner] for s in range(seq)]
        return [np.stack([r @ c[b] for r in rot]) for b in range(batch)]

    def repeat_blocks(self, groups: int, times: int, inner: int):
        """The ``(groups·times·inner) × (groups·inner)`` map copying block ``g`` of length
        ``inner`` to blocks ``g·times … g·times + times − 1`` (grouped-query attention)."""
        r = np.zeros((groups * times * inner, groups * inner))
        for h in range(groups * times):
            g = h // times
            r[h * inner + np.arange(inner), g * inner + np.arange(inner)] = 1.0
        return r


class AbstractLinearAlgebra(LinearAlgebra):
    """Builds the same matrices as :class:`AbstractMatrix` records (exact norms where
    they are known in closed form)."""

    abstract = True

    def eye(self, n: int):
        return AbstractMatrix.identity(n)

    def kron_eye(self, batch: int, m):
        if batch <= 1:
            return m
        a = as_abstract(m)
        if a.kind == "identity":
            return AbstractMatrix.identity(batch * a.shape[0])
        return AbstractMatrix((batch * a.shape[0], batch * a.shape[1]), a.spectral,
                              math.sqrt(batch) * a.frobenius, "diagonal" if a.kind == "diagonal" else "general")

    def tile(self, v, batch: int):
        return AbstractVector(batch * vector_length(v), math.sqrt(batch) * vector_norm(v))

    def permutation(self, idx):
        size = len(idx)
        return AbstractMatrix((size, size), 1.0, math.sqrt(size))

    def diag(self, v, scale: float = 1.0):
        if isinstance(v, AbstractVector):
            return AbstractMatrix((v.length, v.length), abs(scale) * v.sup, abs(scale) * v.norm, "diagonal")
        a = np.abs(np.asarray(v, dtype=float)) * abs(scale)
        return AbstractMatrix((len(a), len(a)), float(a.max()) if a.size else 0.0, float(np.linalg.norm(a)),
                              "diagonal")

    def centering(self, d: int):
        return AbstractMatrix((d, d), 1.0, math.sqrt(d - 1))

    def pair_difference(self, batch: int):
        return AbstractMatrix((2 * batch, 2 * batch), 2.0, 2.0 * math.sqrt(batch))

    def embed_top(self, d: int):
        return AbstractMatrix((d + 1, d), 1.0, math.sqrt(d))

    def unit_column(self, rows: int, index: int):
        return AbstractMatrix((rows, 1), 1.0, 1.0)

    def ones_row(self, d: int):
        return AbstractMatrix((1, d), math.sqrt(d), math.sqrt(d))

    def outer(self, u, w):
        n = vector_norm(u) * vector_norm(w)
        return AbstractMatrix((vector_length(u), vector_length(w)), n, n)

    def sum_of_columns_map(self, m, coeff: float):
        a = as_abstract(m)
        return AbstractVector(a.shape[1], abs(coeff) * a.spectral * math.sqrt(a.shape[0]))

    def block_diag(self, blocks):
        bs = [as_abstract(b) for b in blocks]
        return AbstractMatrix((sum(b.shape[0] for b in bs), sum(b.shape[1] for b in bs)),
                              max(b.spectral for b in bs), math.sqrt(sum(b.frobenius**2 for b in bs)))

    def head_blocks(self, m, batch: int, inner: int):
        a = as_abstract(m)
        return [AbstractMatrix((inner, a.shape[1]), a.spectral, a.frobenius)] * batch

    def bias_blocks(self, vector, coeff: float, batch: int, inner: int, seq: int, features: bool):
        n = abs(coeff) * vector_norm(vector) * math.sqrt(seq)
        shape = (seq, inner) if features else (inner, seq)
        return [AbstractMatrix(shape, n, n)] * batch

    def pad_blocks(self, batch: int, inner: int, block: int):
        if inner == block:
            return AbstractMatrix.identity(batch * block)
        return AbstractMatrix((batch * block, batch * inner), 1.0, math.sqrt(batch * inner))

    def paired_layout(self, batch: int, head_dim: int, block: int):
        return AbstractMatrix((batch * block, batch * head_dim), 1.0, math.sqrt(batch * head_dim))

    def rotary_bias_blocks(self, vector, coeff: float, batch: int, inner: int, seq: int, rotary):
        # rows R_s c_β: the same norms as the unrotated 1 c_βᵀ
        return self.bias_blocks(vector, coeff, batch, inner, seq, True)

    def repeat_blocks(self, groups: int, times: int, inner: int):
        # each column appears `times` times: singular values √times
        return AbstractMatrix((groups * times * inner, groups * inner), math.sqrt(times),
                              math.sqrt(times * groups * inner))
