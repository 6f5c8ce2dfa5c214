"""Rebuild a lowered program's forms: refolding them, or choosing their polynomials.

:func:`rebuild` re-applies the form algebra to every stage's form, term by term and factor
by factor, under the :func:`~qcompile.lowering.forms.folding` in force: with folding on
this is the IR-level fusion (``fold-linear-chains``, ``fold-constants``); with folding off
it reproduces the structure exactly.  Nonlinear sources are rebuilt bottom-up (their
argument first) and stay shared: one source used by several terms or stages becomes one
new source.  ``policy`` (as in :func:`qcompile.lowering.symbolic.lower`) chooses each
nonlinearity's polynomial from its rebuilt argument; without it polynomials are kept.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qcompile.lowering import forms as F
from qcompile.lowering.symbolic import Lowered


class _Rebuilder:
    def __init__(self, policy=None, drop_polynomials: bool = False):
        self.policy = policy
        self.drop = drop_polynomials
        self.memo: dict[int, F.Nonlinear] = {}
        self.order: list[F.Nonlinear] = []

    def source(self, s):
        if not isinstance(s, F.Nonlinear):
            return s
        got = self.memo.get(id(s))
        if got is None:
            arg = self.form(s.argument)
            if self.policy is not None:
                poly = self.policy(s.function, arg, s.node)
            else:
                poly = None if self.drop else s.polynomial
            got = F.Nonlinear(s.function, arg, s.node, poly)
            self.memo[id(s)] = got
            self.order.append(got)
        return got

    def factor(self, f):
        if isinstance(f, F.RankOne):
            return F.RankOne(self.source(f.source), f.right)
        return f

    def form(self, form: F.Form) -> F.Form:
        parts = []
        for t in form.terms:
            out = F.source_form(self.source(t.source), t.coeff)
            for fac in reversed(t.factors):
                out = F.apply_factor(self.factor(fac), out)
            parts.append(out)
        out = F.add(*parts) if parts else F.Form(form.dim, ())
        if F.folds("chains") or F.folds("constants"):
            out = factor_terms(out, slots=F.folds("chains"), constants=F.folds("constants"))
        return out


def _slots(t: F.Term):
    """A term as (slots, the other factors): ``slot_0 · N_1 · slot_1 ··· N_k · slot_k ·
    source``, each slot the tuple of dense factors between two other factors (one at
    most once chains are folded; empty = the identity)."""
    slots, others, current = [], [], []
    for f in t.factors:
        if isinstance(f, F.Dense):
            current.append(f)
        else:
            slots.append(tuple(current))
            others.append(f)
            current = []
    slots.append(tuple(current))
    return slots, tuple(others)


def _slot_dims(t: F.Term, others) -> list[int]:
    """The identity dimension of each slot of ``t``."""
    if not others:
        return [t.source.dim]
    return [others[0].shape[0]] + [o.shape[1] for o in others]


def _same(a: tuple, b: tuple) -> bool:
    """Two slots hold the same dense factors (the same objects or equal matrices)."""
    return len(a) == len(b) and all(x is y or (x.shape == y.shape and bool(np.array_equal(x.matrix, y.matrix)))
                                    for x, y in zip(a, b))


def _same_source(a, b) -> bool:
    """The same source: equal constants, or equal keys (rows, stage inputs, one nonlinear
    source object)."""
    if isinstance(a, F.Const) or isinstance(b, F.Const):
        return isinstance(a, F.Const) and isinstance(b, F.Const) and \
            (a is b or bool(np.array_equal(a.vector, b.vector)))
    return a.key() == b.key()


def _slot_matrix(slot: tuple, dim: int) -> np.ndarray:
    """The product of a slot's dense factors (the identity for an empty slot)."""
    m = np.eye(dim)
    for f in reversed(slot):
        m = f.matrix @ m
    return m


def factor_terms(form: F.Form, slots: bool = True, constants: bool = True) -> F.Form:
    """Merge terms behind common factors.  ``slots``: terms equal but for one dense slot,
    ``P·D₁·S + P·D₂·S = P·(D₁ + D₂)·S`` (``P``/``S`` the same other factors, dense slots
    and source; a missing slot is the identity) — ``x + W x → (I + W) x`` behind a common
    block encoding.  ``constants``: terms equal but for their constant sources,
    ``P·c₁ + P·c₂ = P·(c₁ + c₂)``.  The incremental folding of the lowering gets both by
    adding values before it applies the rest; an unfolded program refolded term by term
    needs this step, or it keeps LCU terms (and index qubits) more."""
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
                if a[2] is not b[2] and tuple(f.key() for f in a[2]) != tuple(f.key() for f in b[2]):
                    continue
                if len(a[1]) != len(b[1]):
                    continue
                diff = [k for k in range(len(a[1])) if not _same(a[1][k], b[1][k])]
                if not _same_source(a[3], b[3]):
                    if constants and not diff and isinstance(a[3], F.Const) and isinstance(b[3], F.Const):
                        v = a[0] * a[3].vector + b[0] * b[3].vector
                        del items[j]
                        if np.any(v):
                            items[i] = [1.0, a[1], a[2], F.Const(v)]
                        else:
                            del items[i]
                        merged = True
                        break
                    continue
                if len(diff) > 1 or (diff and not slots):
                    continue
                k = diff[0] if diff else 0
                dims = _slot_dims(F.Term(a[0], tuple(x for x in a[2]), a[3]), a[2])
                eye = np.eye(dims[k])
                m = a[0] * _slot_matrix(a[1][k], dims[k]) + b[0] * _slot_matrix(b[1][k], dims[k])
                method = next((f.method for f in a[1][k] + b[1][k]), None)
                del items[j]
                if not np.any(m):
                    del items[i]
                else:
                    slots = list(a[1])
                    slots[k] = () if np.array_equal(m, eye) else \
                        ((F.Dense(m, method=method) if method else F.Dense(m)),)
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
        terms.append(F.Term(coeff, tuple(factors), source))
    return F.Form(form.dim, tuple(terms))


def rebuild(lowered: Lowered, policy=None, drop_polynomials: bool = False) -> Lowered:
    """A new :class:`Lowered` with every stage form rebuilt (module docstring);
    ``drop_polynomials`` clears the chosen polynomials (they belong to the old arguments)."""
    rb = _Rebuilder(policy, drop_polynomials)
    stages = [replace(st, form=rb.form(st.form)) for st in lowered.stages]
    return Lowered(lowered.model_name, lowered.token, stages, dict(lowered.matrix_inputs),
                   list(rb.order), lowered.output_dim, dict(lowered.info))


def with_polynomials(lowered: Lowered, policy) -> Lowered:
    """The same structure with every nonlinearity's polynomial chosen by ``policy``."""
    with F.folding(chains=False, constants=False):
        return rebuild(lowered, policy)


def refold(lowered: Lowered, chains: bool, constants: bool) -> Lowered:
    """The program with the given foldings applied (polynomials cleared: folding changes
    the arguments' subnormalisations they were chosen for)."""
    with F.folding(chains=chains, constants=constants):
        return rebuild(lowered, drop_polynomials=True)
