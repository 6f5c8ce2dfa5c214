"""The quantum IR's simplifications: folding linear chains and constants.

The lowering builds forms with the exact algebra of :mod:`qcompile.qir.algebra` (every
weight and fixed map its own factor, every constant its own term: the ``-O0`` quantum
IR).  The IR-level fusion passes simplify them here, explicitly:

* **chains** (``fold-linear-chains``): a dense factor multiplies into the dense factor
  after it (``W₂·W₁ → (W₂W₁)``, incl. attention's ``W_k·W_qᵀ``), and terms equal but for
  their leading dense matrix and coefficient merge (``x + W x → (I + W) x``, the sign
  and coefficient moved into the matrix);
* **constants** (``fold-constants``): a dense factor applied to a constant becomes the
  constant it computes (``W·c → (Wc)``) and the constants of a form add up into one.

:class:`Folding` is the algebra with the chosen simplifications; :func:`refold` rebuilds
a whole program with it (a :class:`~qcompile.qir.visitor.FormVisitor`), then merges
terms behind common factors (:func:`factor_terms`).  Every simplification is exact: the
forms compute the same vectors (the fusion tests compare them with the reference), and
subnormalisations only shrink (``‖W₂W₁‖ ≤ ‖W₂‖‖W₁‖``).  Concrete and abstract matrices
(:mod:`qcompile.qir.linalg`) fold by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qcompile.errors import InternalError
from qcompile.qir import algebra
from qcompile.qir.linalg import identity, is_abstract, is_identity, is_zero, same_matrix
from qcompile.qir.nodes import Const, Dense, Diagonal, Form, Nonlinear, RankOne, Term, array_identity
from qcompile.qir.visitor import FormVisitor


# ---- merge keys ----------------------------------------------------------------------------


def _factor_key(f):
    if isinstance(f, Dense):
        return ("dense", array_identity(f.matrix), f.method)
    if isinstance(f, RankOne):
        return ("rank1", _source_key(f.source), array_identity(f.right))
    if isinstance(f, Diagonal):
        return ("diagonal", id(f.form))
    if f.kind == "rotary":
        return ("rotary", f.base, f.heads, f.head_dim)
    if f.kind == "rotary_keys":
        return ("rotary_keys", f.matrix, array_identity(f.inner.matrix), f.rotary)
    return ("input", f.name, f.transpose, f.batch, f.block)


def _source_key(s):
    if isinstance(s, Const):
        return ("const", array_identity(s.vector))   # terms merge only behind equal constants
    if isinstance(s, Nonlinear):
        return ("nonlinear", s.node, id(s))          # one nonlinear source object
    if s.kind == "input_row":
        return ("row", s.name, s.token)
    return ("stage", s.name)


def _merge_key(t: Term):
    """Identity of everything but a leading dense factor and the coefficient: terms
    with equal keys merge by adding their leading dense matrices."""
    rest = t.factors[1:] if t.factors and isinstance(t.factors[0], Dense) else t.factors
    return (tuple(_factor_key(f) for f in rest), _source_key(t.source))


# ---- the folding algebra -------------------------------------------------------------------


@dataclass(frozen=True)
class Folding:
    """The form algebra with the simplifications ``chains`` and ``constants`` (module
    docstring); ``method`` is the block encoding of dense factors it creates where no
    operand had one (a sum of identities, ``x + x``).  With neither simplification it is
    the exact algebra of :mod:`qcompile.qir.algebra`."""

    chains: bool = False
    constants: bool = False
    method: str = "dilation"

    @property
    def folds(self) -> bool:
        """True if it simplifies anything."""
        return self.chains or self.constants

    def apply_factor(self, factor, form: Form) -> Form:
        """``factor · form``, dense factors folded into leading dense factors
        (``chains``) and into constants (``constants``)."""
        if not self.folds:
            return algebra.apply_factor(factor, form)
        out_dim, in_dim = factor.shape
        if in_dim != form.dim:
            raise InternalError(f"cannot apply a {out_dim}x{in_dim} map to a vector of length {form.dim}")
        terms = []
        for t in form.terms:
            if isinstance(factor, Dense):
                if not t.factors and isinstance(t.source, Const) and self.constants:
                    terms.append(Term(t.coeff, (), Const(factor.matrix @ t.source.vector)))
                    continue
                if t.factors and isinstance(t.factors[0], Dense) and self.chains:
                    lead = Dense(factor.matrix @ t.factors[0].matrix, factor.method)
                    terms.append(Term(t.coeff, (lead,) + t.factors[1:], t.source))
                    continue
            terms.append(Term(t.coeff, (factor,) + t.factors, t.source))
        return self.simplify(Form(out_dim, tuple(terms)))

    def add(self, *forms: Form) -> Form:
        """The sum of forms, simplified."""
        return self.simplify(algebra.add(*forms))

    def simplify(self, form: Form) -> Form:
        """Merge terms that differ only in their leading dense factor and coefficient
        (``chains``: their matrices add, ``x + W x = (I + W) x``, and a dense-led term's
        coefficient moves into its matrix), fold all constants into one
        (``constants``), drop zero terms.  Order of first appearance is kept, so
        printing stays deterministic; unfolded kinds of terms are kept as they are."""
        if not self.folds:
            return form
        groups: dict = {}
        order = []
        const = None
        loose = []
        for t in form.terms:
            if not t.factors and isinstance(t.source, Const):
                if not self.constants:
                    loose.append(t)
                    continue
                v = t.coeff * t.source.vector
                const = v if const is None else const + v
                continue
            if not self.chains:
                loose.append(t)
                continue
            k = _merge_key(t)
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
                              self.method)
                terms.append(Term(1.0, (Dense(m, method),) + rest, t0.source))
        terms += loose  # kept unfolded (in their order)
        if const is not None and not is_zero(const):
            terms.append(Term(1.0, (), Const(const)))
        return Form(form.dim, tuple(terms))


def _leading_matrix(t: Term, abstract: bool = False):
    """The term's coefficient times its leading dense matrix (the identity if none; an
    abstract identity when the other matrices it is added to are abstract)."""
    if t.factors and isinstance(t.factors[0], Dense):
        return t.coeff * t.factors[0].matrix
    return t.coeff * identity(t.dim, abstract)


def normal_form(form: Form, method: str) -> tuple[Term, ...]:
    """The terms of ``form`` with their dense chains multiplied out and dense maps of
    constants applied.  The attention rules need this normal form *locally* (the keys'
    matrix ``M`` is rearranged into ``G``/``H``), whatever folding the program gets."""
    full = Folding(chains=True, constants=True, method=method)
    parts = []
    for t in form.terms:
        f = algebra.source_form(t.source, t.coeff)
        for fac in reversed(t.factors):
            f = full.apply_factor(fac, f)
        parts.extend(f.terms)
    return tuple(parts)


# ---- merging behind common factors ---------------------------------------------------------


def _slots(t: Term):
    """A term as (slots, the other factors): ``slot_0 · N_1 · slot_1 ··· N_k · slot_k ·
    source``, each slot the tuple of dense factors between two other factors (one at
    most once chains are folded; empty = the identity)."""
    slots, others, current = [], [], []
    for f in t.factors:
        if isinstance(f, Dense):
            current.append(f)
        else:
            slots.append(tuple(current))
            others.append(f)
            current = []
    slots.append(tuple(current))
    return slots, tuple(others)


def _slot_dims(source, others) -> list[int]:
    """The identity dimension of each slot of a term with these non-dense factors."""
    if not others:
        return [source.dim]
    return [others[0].shape[0]] + [o.shape[1] for o in others]


def _same_slot(a: tuple, b: tuple) -> bool:
    """Two slots hold the same dense factors (the same records or equal matrices)."""
    return len(a) == len(b) and all(x is y or (x.shape == y.shape and same_matrix(x.matrix, y.matrix))
                                    for x, y in zip(a, b))


def _same_source(a, b) -> bool:
    """The same source: equal constants, or equal keys (rows, stage inputs, one nonlinear
    source object)."""
    if isinstance(a, Const) or isinstance(b, Const):
        return isinstance(a, Const) and isinstance(b, Const) and same_matrix(a.vector, b.vector)
    return _source_key(a) == _source_key(b)


def _slot_matrix(slot: tuple, dim: int, abstract: bool):
    """The product of a slot's dense factors (the identity for an empty slot)."""
    m = identity(dim, abstract)
    for f in reversed(slot):
        m = f.matrix @ m
    return m


def factor_terms(form: Form, folding: Folding) -> Form:
    """Merge terms behind common factors.  ``chains``: terms equal but for one dense slot,
    ``P·D₁·S + P·D₂·S = P·(D₁ + D₂)·S`` (``P``/``S`` the same other factors, dense slots
    and source; a missing slot is the identity) — ``x + W x → (I + W) x`` behind a common
    block encoding.  ``constants``: terms equal but for their constant sources,
    ``P·c₁ + P·c₂ = P·(c₁ + c₂)``.  Incremental folding gets both by adding values before
    applying the rest; a program refolded term by term needs this step, or it keeps LCU
    terms (and index qubits) more."""
    items = []
    for t in form.terms:
        slots, others = _slots(t)
        items.append([t.coeff, slots, others, t.source])
    merged = True
    while merged:
        merged = False
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                a, b = items[i], items[j]
                if a[2] is not b[2] and tuple(_factor_key(f) for f in a[2]) != tuple(_factor_key(f) for f in b[2]):
                    continue
                if len(a[1]) != len(b[1]):
                    continue
                diff = [k for k in range(len(a[1])) if not _same_slot(a[1][k], b[1][k])]
                if not _same_source(a[3], b[3]):
                    if folding.constants and not diff and isinstance(a[3], Const) and isinstance(b[3], Const):
                        v = a[0] * a[3].vector + b[0] * b[3].vector
                        del items[j]
                        if not is_zero(v):
                            items[i] = [1.0, a[1], a[2], Const(v)]
                        else:
                            del items[i]
                        merged = True
                        break
                    continue
                if len(diff) > 1 or (diff and not folding.chains):
                    continue
                k = diff[0] if diff else 0
                dims = _slot_dims(a[3], a[2])
                abstract = any(is_abstract(f.matrix) for f in a[1][k] + b[1][k])
                m = a[0] * _slot_matrix(a[1][k], dims[k], abstract) + b[0] * _slot_matrix(b[1][k], dims[k], abstract)
                method = next((f.method for f in a[1][k] + b[1][k]), folding.method)
                del items[j]
                if is_zero(m):
                    del items[i]
                else:
                    slots = list(a[1])
                    slots[k] = () if is_identity(m) else (Dense(m, method),)
                    items[i] = [1.0, slots, a[2], a[3]]
                merged = True
                break
            if merged:
                break
    terms = []
    for coeff, slots, others, source in items:
        factors = []
        for k, o in enumerate(others):
            factors.extend(slots[k])
            factors.append(o)
        factors.extend(slots[-1])
        terms.append(Term(coeff, tuple(factors), source))
    return Form(form.dim, tuple(terms))


# ---- rebuilding a program ------------------------------------------------------------------


class _Rebuild(FormVisitor):
    """Re-applies the algebra to every form, term by term and factor by factor, with a
    :class:`Folding`; nonlinear sources are rebuilt bottom-up (their argument first) and
    stay shared.  ``policy(function, argument, node)`` chooses each nonlinearity's
    polynomial from its rebuilt argument; without it polynomials are kept (or dropped)."""

    memoize = True

    def __init__(self, folding: Folding, policy=None, drop_polynomials: bool = False):
        super().__init__()
        self.folding = folding
        self.policy = policy
        self.drop = drop_polynomials
        self.order: list[Nonlinear] = []

    def input_row(self, s):
        return s

    const = stage_input = input_row

    def nonlinear(self, s):
        arg = self.form(s.argument)
        if self.policy is not None:
            poly = self.policy(s.function, arg, s.node)
        else:
            poly = None if self.drop else s.polynomial
        out = Nonlinear(s.function, arg, s.node, poly)
        self.order.append(out)
        return out

    def dense(self, f, value):
        return self.folding.apply_factor(f, value)

    input_matrix = rotary = rotary_keys = dense

    def rank_one(self, f, value):
        return self.folding.apply_factor(RankOne(self.source(f.source), f.right), value)

    def diagonal(self, f, value):
        return self.folding.apply_factor(Diagonal(self.diagonal_form(f.form)), value)

    def diagonal_form(self, form):
        """A diagonal factor's vector, rebuilt once per form object."""
        hit = self._memo.get(id(form))
        if hit is None:
            hit = (form, self.form(form))
            self._memo[id(form)] = hit
        return hit[1]

    def term(self, t):
        value = algebra.source_form(self.source(t.source), t.coeff)
        for f in reversed(t.factors):
            value = self.factor(f, value)
        return value

    def combine(self, form, values):
        out = self.folding.add(*values) if values else Form(form.dim, ())
        if self.folding.folds:
            out = factor_terms(out, self.folding)
        return out


def rebuild(program, folding: Folding, policy=None, drop_polynomials: bool = False):
    """A new quantum IR (:class:`~qcompile.qir.program.QuantumIR`) with every stage form
    rebuilt with ``folding``; ``drop_polynomials`` clears the chosen polynomials (they
    belong to the old arguments)."""
    rb = _Rebuild(folding, policy, drop_polynomials)
    stages = [replace(st, form=rb.form(st.form)) for st in program.stages]
    return replace(program, stages=stages, nonlinear=list(rb.order), info=dict(program.info))


def with_polynomials(program, policy):
    """The same structure with every nonlinearity's polynomial chosen by ``policy``."""
    return rebuild(program, Folding(method=program.method), policy)


def without_polynomials(program):
    """The same structure with every polynomial cleared."""
    return rebuild(program, Folding(method=program.method), drop_polynomials=True)


def refold(program, chains: bool, constants: bool):
    """The program with the given foldings applied (polynomials cleared: folding changes
    the arguments' subnormalisations they were chosen for)."""
    return rebuild(program, Folding(chains, constants, program.method), drop_polynomials=True)
