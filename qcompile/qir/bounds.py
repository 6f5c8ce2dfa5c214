"""The error bound of a compiled program against the exact model, for one input.

The compiled program differs from the exact transformer in one way only: each
nonlinearity is a polynomial (sup error ``ε`` on its domain, chosen by polynomial
selection).  Everything else is exact linear algebra (layer norm's eps included: the glue
applies it) (verified to rounding against the surrogate reference).  The bound is
propagated through the quantum IR with the same subnormalisations the circuits use
(``α(F) ≥ ‖F‖₂`` for every factor and ``α(s) ≥ ‖s‖`` for every source):

* a term ``c F₁⋯F_m s``: ``|c| (Π α(F)·err(s) + Σ_i Π_{j≠i} α(F_j)·(α(s)+err(s))·err(F_i))``;
* a nonlinear source ``f(v)``: ``√N·ε + L_f·err(v)`` (``L_f`` bounds ``|f'|``);
* each glue kind bounds its own result (:meth:`qcompile.qir.glue.Glue.error`): layer
  norm's direction by Dunkl–Williams, a softmax numerator read out by a stage directly
  (softmax is ½-Lipschitz in the 2-norm).

Norms that depend on the data (``‖c̃‖``, ``Z̃``) are the ones the run observed, so the bound
is rigorous for that run (given the observed stage outputs) and is evaluated per input.
"""

from __future__ import annotations

import math

import numpy as np

from qcompile.qir.visitor import FormVisitor


class _Bound(FormVisitor):
    """Error bounds of sources, factors and terms (module docstring).  ``matrices`` and
    ``vectors``: bounds on the error of each loaded matrix and stage vector; ``poly``: 1 to
    count the polynomials' own errors, 0 to leave them out."""

    memoize = True

    def __init__(self, matrices: dict, vectors: dict, poly: float):
        super().__init__()
        self.matrices, self.vectors, self.poly = matrices, vectors, poly

    # sources: the error of the vector
    def input_row(self, s):
        return self.matrices.get(s.name, 0.0)

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
        return self.matrices.get(f.name, 0.0)

    def rotary(self, f, value=None):
        return 0.0

    def rotary_keys(self, f, value=None):
        # X ↦ (x_sᵀ M R_sᵀ)_s is linear in X and ‖R_s‖ = 1: ‖ΔX‖_F · alpha(M)
        return self.matrices.get(f.name, 0.0) * f.inner.alpha

    def rank_one(self, f, value=None):
        return float(np.linalg.norm(f.right)) * self.source(f.source)

    def diagonal(self, f, value=None):
        # ‖diag(u) − diag(ũ)‖₂ = ‖u − ũ‖_∞ ≤ ‖u − ũ‖₂
        return self.form(f.form)

    def term(self, t):
        es = self.source(t.source)
        alphas = [f.alpha for f in t.factors]
        errs = [self.factor(f, None) for f in t.factors]
        total = float(np.prod(alphas)) * es if alphas else es
        for i, e in enumerate(errs):
            if e:
                others = float(np.prod([a for j, a in enumerate(alphas) if j != i]))
                total += others * (t.source.alpha + es) * e
        return abs(t.coeff) * total

    def combine(self, form, values):
        return float(sum(values))

    def softmax_parts(self, nl, size: int) -> tuple[float, float]:
        """For a softmax numerator ``e = P(s)`` in blocks of ``size`` (one per head): the
        polynomial's error per block (``√size·ε``) and the scores' error."""
        return math.sqrt(size) * nl.polynomial.error * self.poly, self.form(nl.argument)


def input_independent(program) -> bool:
    """True when the bound does not depend on the input: no stage has glue (the bound
    reads stage outputs only through the glue's norms), i.e. a single-stage program."""
    return all(st.glue is None for st in program.stages)


def program_error_bound(program, stage_outputs, input_errors=None, circuit_errors=None,
                        polynomials: bool = True) -> tuple[float, list[float]]:
    """Bound on ‖compiled − exact‖₂ of the output for one run, and the bound after each
    stage (before its glue).  ``stage_outputs``: each stage's read-out vector;
    ``input_errors``: a bound on ‖X − X_exact‖_F per matrix input that is itself computed
    (the rows a previous segment of a stacked program read out), 0 for the others;
    ``circuit_errors``: per stage, a bound on how far its read-out moves because its circuit
    is not the exact lowering (alpha × the operator-norm error of dropped rotations), added
    before the glue.  ``polynomials=False`` leaves the polynomials' own errors out: the
    bound is then on ‖compiled − surrogate‖ (what the circuit errors alone can move)."""
    matrices, vectors = dict(input_errors or {}), {}
    extra = list(circuit_errors or [])
    per_stage = []
    for k, (st, out) in enumerate(zip(program.stages, stage_outputs)):
        bound = _Bound(matrices, vectors, 1.0 if polynomials else 0.0)
        delta = bound.form(st.form)
        if st.rows == "all":
            delta *= math.sqrt(st.seq)
        delta += extra[k] if k < len(extra) else 0.0
        per_stage.append(delta)
        if st.glue is not None:
            err = st.glue.error(out, delta, st, bound.softmax_parts)
            (matrices if st.glue.hands_on_matrix else vectors)[st.glue.produces] = err
    return per_stage[-1], per_stage
