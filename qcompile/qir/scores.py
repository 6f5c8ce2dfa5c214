"""The diagonal encoding of a nonlinearity's argument: from its state, or row by row.

A nonlinear source ``f(v)`` is QSVT on a block encoding of ``diag(v)/a`` with ``a ≥
max|v_i|`` (the polynomial approximates ``f(a·t)`` on ``[−1, 1]``).  Built from the
state of ``v`` (COPY, :mod:`qcompile.quantum.diagonal`) ``a`` is the form's alpha, a bound
on ``‖v‖₂``.  Attention scores have terms ``c·(I_B ⊗ X)·F₂⋯F_m·s`` whose entries are
``c·⟨x_s, u_β⟩`` with ``u = F₂⋯F_m s``; such a term gets the row-wise diagonal
(:mod:`qcompile.quantum.row_diagonal`) with a bound on its largest entry:

* **plain** — ``|⟨x_s, u_β⟩| ≤ ‖x_s‖·‖u‖ ≤ R·Π α(F_k)·α(s)``, ``R`` the keys' row bound
  (``‖x_s‖ ≤ R`` for every row: :class:`~qcompile.qir.nodes.InputMatrix`);
* **rotary** — the term starts with rotary keys (:class:`~qcompile.qir.nodes.RotaryKeys`,
  RoPE): ``v_(β,s) = ⟨x_s, (M R̃_sᵀ u)_β⟩`` with ``R̃_s`` orthogonal, so
  ``|v| ≤ ‖x_s‖·‖M‖₂·‖R̃_sᵀ u‖ ≤ R·α(M)·Π α(F_k)·α(s)``;
* **grouped** — keys in ``B = batch`` groups of ``d_k`` features (``≤ R_k`` each), the
  source a stage vector in ``B`` groups of ``d_q`` (``≤ R_q`` each), the factors all dense
  with product ``P`` mapping head ``β``'s query group only into group ``β`` of head
  ``β``'s key block (:func:`~qcompile.qir.linalg.heads_aligned`): then
  ``⟨x_s, (P q)_β⟩ = ⟨x_(s,β), P_ββ q_β⟩`` and ``|·| ≤ R_k·‖P‖₂·R_q ≤ R_k·Π α(F_k)·R_q``
  (no ``√B`` from the heads: QK-norm's scores are bounded by the scale).

Every other term keeps the COPY diagonal of its own state (``alpha`` its 2-norm bound,
which bounds its largest entry).  The terms' diagonals are added by one LCU, so the
argument's diagonal alpha is ``Σ_k |c_k|·a_k``, a bound on ``max|v_i|`` by the triangle
inequality; it is used when some term is row-wise and it is below the form's alpha.
``d_k``, ``d_q`` must be powers of two, at least 2 (the groups are then qubit fields).
"""

from __future__ import annotations

from dataclasses import dataclass

from qcompile.qir.linalg import heads_aligned
from qcompile.qir.nodes import Form, InputMatrix, RotaryKeys, Term


@dataclass(frozen=True)
class RowPlan:
    """How one term's diagonal is built row by row: ``kind`` ``"plain"``, ``"rotary"`` or ``"grouped"``,
    ``alpha`` (without the term's coefficient) and ``unpad``: the term starts with the map
    dropping each head's padded rows (``seq`` a power of two: the diagonal of the padded
    scores with the padding bits of the row index post-selected on 0, since a diagonal
    block keeps them 0)."""

    kind: str
    alpha: float
    unpad: bool = False


def _is_unpad(f, x: InputMatrix) -> bool:
    """True when ``f`` is the map keeping the first ``seq`` of every head's ``block`` rows
    (``pad_blocks(batch, seq, block)ᵀ``) and ``seq`` is a power of two."""
    from qcompile.qir.linalg import is_abstract

    if f.kind != "dense" or x.batch < 2 or not _power_of_two(x.seq):
        return False
    if f.shape != (x.batch * x.seq, x.batch * x.block):
        return False
    if is_abstract(f.matrix):
        return f.matrix.kind == "unpad"
    import numpy as np

    want = np.zeros(f.shape)
    for b in range(x.batch):
        want[b * x.seq + np.arange(x.seq), b * x.block + np.arange(x.seq)] = 1.0
    return bool(np.array_equal(np.asarray(f.matrix), want))


def _power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def _chain_product(factors):
    m = factors[0].matrix
    for f in factors[1:]:
        m = m @ f.matrix
    return m


def _keys(f) -> InputMatrix | None:
    """The keys' input matrix of a scores factor: the factor itself, or the matrix of rotary
    keys (None for any other factor)."""
    if isinstance(f, InputMatrix):
        return f
    return f.matrix if isinstance(f, RotaryKeys) else None


def row_plan(term: Term) -> RowPlan | None:
    """The row-wise diagonal of ``term`` (module docstring), or None when it has none or
    its alpha is not below the term's own (the COPY diagonal's)."""
    factors, unpad = term.factors, False
    if len(factors) > 1 and _keys(factors[1]) is not None and _is_unpad(factors[0], _keys(factors[1])):
        factors, unpad = factors[1:], True
    x = _keys(factors[0]) if factors else None
    if x is None or x.transpose:
        return None
    rest = factors[1:]
    if x.batch > 1 and not x.block:
        return None
    tail = term.source.alpha
    for f in rest:
        tail *= f.alpha
    row = x.row_bound if x.row_bound is not None else x.bound
    if isinstance(factors[0], RotaryKeys):
        best = RowPlan("rotary", row * factors[0].inner.alpha * tail, unpad)
    else:
        plain = RowPlan("plain", row * tail, unpad)
        grouped = _grouped(x, rest, term.source, unpad)
        best = grouped if grouped is not None and grouped.alpha < plain.alpha else plain
    own = term.alpha / abs(term.coeff) if term.coeff else 0.0
    return best if best.alpha < own else None


def _grouped(x: InputMatrix, rest, source, unpad: bool) -> RowPlan | None:
    heads = x.batch
    if heads < 2 or x.groups != heads or x.group_bound is None or not rest:
        return None
    if source.kind != "stage_input" or source.groups != heads or source.group_bound is None:
        return None
    dk, dq = x.features // heads, source.dim // heads
    if not (_power_of_two(dk) and _power_of_two(dq) and dk >= 2 and dq >= 2) or any(f.kind != "dense" for f in rest):
        return None
    if not heads_aligned(_chain_product(rest), heads, x.block, dk):
        return None
    alpha = x.group_bound * source.group_bound
    for f in rest:
        alpha *= f.alpha
    return RowPlan("grouped", alpha, unpad)


def diagonal_alpha(form: Form) -> float:
    """``Σ_k |c_k|·a_k`` with ``a_k`` the row-wise alpha of term ``k`` or its own alpha
    (``|c_k|·a_k = term.alpha`` then)."""
    total = 0.0
    for t in form.terms:
        plan = row_plan(t)
        total += abs(t.coeff) * plan.alpha if plan is not None else t.alpha
    return float(total)


def uses_rows(form: Form) -> bool:
    """True when the argument's diagonal is built term by term with row-wise terms (some
    term has a row plan, so the sum is below the form's alpha)."""
    return any(row_plan(t) is not None for t in form.terms)


def argument_alpha(form: Form) -> float:
    """The subnormalisation of the diagonal encoding of ``form`` a nonlinearity gets (a
    bound on its largest entry): :func:`diagonal_alpha` when :func:`uses_rows`, else the
    form's alpha (COPY of its state)."""
    return diagonal_alpha(form) if uses_rows(form) else form.alpha
