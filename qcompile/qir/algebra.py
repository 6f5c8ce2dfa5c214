"""The quantum IR's algebra: exact operations on linear forms, with no simplification.

Applying a factor prepends it to every term; adding concatenates terms; scaling scales
coefficients.  Nothing is multiplied out or merged here: the lowering builds the quantum
IR with these (one block encoding per weight and fixed map, constants kept apart: the
``-O0`` structure), and the IR-level fusion passes simplify it explicitly
(:mod:`qcompile.qir.fold`).
"""

from __future__ import annotations

import numpy as np

from qcompile.errors import InternalError
from qcompile.qir.linalg import is_abstract, is_zero
from qcompile.qir.nodes import ROW, Const, Dense, Diagonal, Form, InputRow, Nonlinear, RankOne, Rotary, Term


def source_form(source, coeff: float = 1.0) -> Form:
    """The form ``coeff · source``."""
    return Form(source.dim, (Term(coeff, (), source),))


def const_form(vector) -> Form:
    """A fixed vector as a form (empty if it is zero)."""
    v = vector if is_abstract(vector) else np.asarray(vector, dtype=np.float64)
    if is_zero(v):
        return Form(v.shape[0], ())
    return source_form(Const(v))


def apply_factor(factor, form: Form) -> Form:
    """``factor · form``: the factor prepended to every term."""
    out_dim, in_dim = factor.shape
    if in_dim != form.dim:
        raise InternalError(f"cannot apply a {out_dim}x{in_dim} map to a vector of length {form.dim}")
    return Form(out_dim, tuple(Term(t.coeff, (factor,) + t.factors, t.source) for t in form.terms))


def apply_dense(matrix, form: Form, method: str, label: str = "") -> Form:
    """``matrix · form`` for a fixed matrix block-encoded with ``method``."""
    m = matrix if is_abstract(matrix) else np.asarray(matrix, dtype=np.float64)
    return apply_factor(Dense(m, method, label), form)


def add(*forms: Form) -> Form:
    """The sum of forms of equal length (their terms, in order)."""
    dim = forms[0].dim
    for f in forms:
        if f.dim != dim:
            raise InternalError(f"cannot add vectors of lengths {dim} and {f.dim}")
    return Form(dim, tuple(t for f in forms for t in f.terms))


def scale(form: Form, k: float) -> Form:
    """``k · form``."""
    return Form(form.dim, tuple(Term(t.coeff * k, t.factors, t.source) for t in form.terms))


def instantiate(form: Form, token: int, _memo: dict | None = None) -> Form:
    """The form with every generic row (:data:`~qcompile.qir.nodes.ROW`) bound to
    ``token``.  A nonlinear source shared by several terms stays shared (one object,
    compiled once)."""
    memo = {} if _memo is None else _memo

    def src(s):
        if isinstance(s, InputRow):
            return s.at(token)
        if isinstance(s, Nonlinear):
            if id(s) not in memo:
                memo[id(s)] = Nonlinear(s.function, instantiate(s.argument, token, memo), s.node, s.polynomial)
            return memo[id(s)]
        return s

    def fac(f):
        if isinstance(f, RankOne):
            return RankOne(src(f.source), f.right)
        if isinstance(f, Diagonal):
            return Diagonal(instantiate(f.form, token, memo))
        if isinstance(f, Rotary):
            return f.at(token)
        return f

    return Form(form.dim, tuple(Term(t.coeff, tuple(fac(f) for f in t.factors), src(t.source))
                                for t in form.terms))


def is_row_generic(form: Form) -> bool:
    """True if every row of the form is computable at once: only generic input rows and
    constants as sources, only dense factors."""
    for t in form.terms:
        if not all(isinstance(f, Dense) for f in t.factors):
            return False
        s = t.source
        if isinstance(s, Const):
            continue
        if not (isinstance(s, InputRow) and s.token == ROW):
            return False
    return True
