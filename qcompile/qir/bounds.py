"""The error bound of a compiled program against the exact model, for one input.

The compiled program differs from the exact transformer in one way only: each
nonlinearity is a polynomial (sup error ``ε`` on its domain, chosen by polynomial
selection).  Everything else is exact linear algebra (layer norm's eps included: the glue
applies it) (verified to rounding against the surrogate reference).  The bound is
propagated through the quantum IR with the same subnormalisations the circuits use
(``α(F) ≥ ‖F‖₂`` for every factor and ``α(s) ≥ ‖s‖`` for every source):

* a term ``c F₁⋯F_m s``: ``|c| (Π ν(F)·err(s) + Σ_i Π_{j≠i} ν(F_j)·(ν(s)+err(s))·err(F_i))``
  with ``ν`` a norm bound valid for every admissible input, of the compiled and of the
  exact value alike (the telescoping sum has compiled factors left of ``i``, exact ones
  right of it; :meth:`_Bound.norm`): ``α``, except for a polynomial's values, whose
  entries are ``P`` (compiled) or ``f`` (exact) at points of the domain
  ``|v_i| ≤ ‖v‖ ≤ α(v)`` where ``|f| ≤ |P| + ε``: ``‖P(v)‖, ‖f(v)‖ ≤ √dim·(sup|P| + ε)``
  and ``‖diag(c·P(v))‖₂ = ‖c·P(v)‖_∞ ≤ |c|·(sup|P| + ε)`` (``α`` also carries the QSVT
  scale and the padded length);
* a nonlinear source ``f(v)``: ``√N·ε + L_f·err(v)`` (``L_f`` bounds ``|f'|``);
* each glue kind bounds its own result (:meth:`qcompile.qir.glue.Glue.error`): layer
  norm's direction by Dunkl–Williams, a softmax numerator read out by a stage directly
  (softmax is ½-Lipschitz in the 2-norm; weights ``f(s)/Σf(s)`` of another ``f`` are
  ``½·sup|f'/f|``-Lipschitz, :class:`qcompile.qir.glue.BlockSum`).

Norms that depend on the data (``‖c̃‖``, ``Z̃``) are the ones the run observed, so the bound
is rigorous for that run (given the observed stage outputs) and is evaluated per input.

A computed matrix (the rows an all-rows stage or an earlier segment read out) carries one
error bound per row: a generic row read in an all-rows stage, or one selected row, takes
its own row's bound, and the whole matrix as a factor its Frobenius norm.  An all-rows
stage is bounded row by row (each row is the same form of its own input row), and its
layer norm divides each row by that row's own norm with that row's own error.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from qcompile.errors import InternalError
from qcompile.qir.nodes import ROW
from qcompile.qir.visitor import FormVisitor


class _Bound(FormVisitor):
    """Error bounds of sources, factors and terms (module docstring).  ``matrices`` and
    ``vectors``: bounds on the error of each loaded matrix and stage vector; ``poly``: 1 to
    count the polynomials' own errors, 0 to leave them out."""

    memoize = True

    def __init__(self, matrices: dict, vectors: dict, poly: float, row: int | None = None):
        super().__init__()
        self.matrices, self.vectors, self.poly, self.row = matrices, vectors, poly, row

    # sources: the error of the vector
    def input_row(self, s):
        errors = self.matrices.get(s.name)
        if errors is None:
            return 0.0
        if np.ndim(errors) == 0:   # one bound of ‖ΔX‖_F: every row's too
            return float(errors)
        token = self.row if s.token == ROW else s.token
        if token is None:
            raise InternalError(f"the error of a generic row of {s.name} needs a row")
        return float(errors[token])

    def matrix_error(self, name: str) -> float:
        """``‖ΔX‖_F`` of a matrix input from its rows' bounds (0 if exact)."""
        errors = self.matrices.get(name)
        return 0.0 if errors is None else float(np.linalg.norm(errors))

    def const(self, s):
        return 0.0

    def stage_input(self, s):
        return self.vectors[s.name]

    def nonlinear(self, s):
        p = s.polynomial
        return math.sqrt(s.dim) * p.error * self.poly + p.lipschitz * self.form(s.argument)

    # factors: the error of the map (value unused)
    def dense(self, f, value=None):
        return 0.0

    def input_matrix(self, f, value=None):
        return self.matrix_error(f.name)

    def rotary(self, f, value=None):
        return 0.0

    def rotary_keys(self, f, value=None):
        # X ↦ (x_sᵀ M R_sᵀ)_s is linear in X and ‖R_s‖ = 1: ‖ΔX‖_F · alpha(M)
        return self.matrix_error(f.name) * f.inner.alpha

    def rank_one(self, f, value=None):
        return float(np.linalg.norm(f.right)) * self.source(f.source)

    def diagonal(self, f, value=None):
        # ‖diag(u) − diag(ũ)‖₂ = ‖u − ũ‖_∞ ≤ ‖u − ũ‖₂
        return self.form(f.form)

    @staticmethod
    def norm(node) -> float:
        """A bound on ``‖node‖₂`` for every admissible input (module docstring): ``α``,
        or less for a polynomial's values and their diagonal."""
        if node.kind == "nonlinear" and node.polynomial is not None:
            p = node.polynomial
            return min(node.alpha, math.sqrt(node.dim) * (p.sup + p.error))
        if node.kind == "diagonal" and len(node.form.terms) == 1:
            t = node.form.terms[0]
            if not t.factors and t.source.kind == "nonlinear" and t.source.polynomial is not None:
                p = t.source.polynomial
                return min(node.alpha, abs(t.coeff) * (p.sup + p.error))
        return node.alpha

    def term(self, t):
        es = self.source(t.source)
        norms = [self.norm(f) for f in t.factors]
        errs = [self.factor(f, None) for f in t.factors]
        total = float(np.prod(norms)) * es if norms else es
        for i, e in enumerate(errs):
            if e:
                others = float(np.prod([a for j, a in enumerate(norms) if j != i]))
                total += others * (self.norm(t.source) + es) * e
        return abs(t.coeff) * total

    def combine(self, form, values):
        return float(sum(values))

    def softmax_parts(self, nl, size: int, circuit: float = 0.0) -> tuple[float, float]:
        """For a softmax numerator ``e = P(s)`` in blocks of ``size`` (one per head): the
        read-out's error per block at the compiled scores (the polynomial's ``√size·ε``
        plus ``circuit``, the bound on how far the stage's circuit moves its whole
        read-out, hence each block) and the scores' error times ``sup|f'/f|`` over the
        argument's domain ``[−α, α]`` (the registry's ``log_lipschitz``: 1 for exp, ``2α``
        for Gaussian attention's exp(−x²))."""
        from qcompile.functions import get_function

        lip = get_function(nl.function).log_lipschitz(nl.polynomial.input_alpha)
        return math.sqrt(size) * nl.polynomial.error * self.poly + circuit, lip * self.form(nl.argument)


def input_independent(program) -> bool:
    """True when the bound does not depend on the input: no stage has glue (the bound
    reads stage outputs only through the glue's norms), i.e. a single-stage program."""
    return all(st.glue is None for st in program.stages)


def program_error_bound(program, stage_outputs, input_errors=None, circuit_errors=None,
                        polynomials: bool = True) -> tuple[float, list[float]]:
    """Bound on ‖compiled − exact‖₂ of the output for one run, and the bound after each
    stage (before its glue).  ``stage_outputs``: each stage's read-out vector;
    ``input_errors``: per matrix input that is itself computed (the rows a previous segment
    of a stacked program read out), a bound on each row's error (an array, one per row) or
    one bound on ‖ΔX‖_F, none for the others; ``circuit_errors``: per stage, a bound on how far its read-out
    moves because its circuit is not the exact lowering (alpha × the operator-norm error of
    dropped rotations), added before the glue (to each row of an all-rows stage).
    ``polynomials=False`` leaves the polynomials' own errors out: the bound is then on
    ‖compiled − surrogate‖ (what the circuit errors alone can move)."""
    matrices = {name: np.asarray(e, dtype=float) for name, e in (input_errors or {}).items()}
    vectors = {}
    extra = list(circuit_errors or [])
    poly = 1.0 if polynomials else 0.0
    per_stage = []
    for k, (st, out) in enumerate(zip(program.stages, stage_outputs)):
        bound = _Bound(matrices, vectors, poly)
        added = extra[k] if k < len(extra) else 0.0
        if st.rows == "all":   # row by row; the stage's bound is their Frobenius norm
            delta = np.array([_Bound(matrices, vectors, poly, row=j).form(st.form) for j in range(st.seq)]) + added
            per_stage.append(float(np.linalg.norm(delta)))
        else:
            delta = bound.form(st.form) + added
            per_stage.append(delta)
        if st.glue is not None:
            parts = functools.partial(bound.softmax_parts, circuit=added)
            err = st.glue.error(out, delta, st, parts)
            (matrices if st.glue.hands_on_matrix else vectors)[st.glue.produces] = err
            if st.glue.final:   # a read-out rule (coherent mode): the output is its result
                return err, per_stage
    return per_stage[-1], per_stage
