"""The error bound of a compiled program against the exact model, for one input.

The compiled program differs from the exact transformer in one way only: each
nonlinearity is a polynomial (sup error ``ε`` on its domain, chosen by polynomial
selection).  Everything else is exact linear algebra (layer norm's eps included: the glue
applies it) (verified to rounding against the surrogate reference).  The bound is
propagated through the quantum IR with the same subnormalisations the circuits use
(``α(F) ≥ ‖F‖₂`` for every factor and ``α(s) ≥ ‖s‖`` for every source):

* a term ``c F₁⋯F_m s``: ``|c| (Π α(F)·err(s) + Σ_i Π_{j≠i} α(F_j)·(α(s)+err(s))·err(F_i))``;
* a nonlinear source ``f(v)``: ``√N·ε + L_f·err(v)`` (``L_f`` bounds ``|f'|``), except
  a softmax numerator read out by a stage, where the normalised result is bounded
  directly: ``‖Δa‖ ≤ √(Σ_heads ((δ + ‖ã‖√S δ)/(Z̃ − √S δ))²) + ½‖Δs‖`` — the polynomial's
  part per head, and the scores' error through softmax, which is ½-Lipschitz in the
  2-norm (its Jacobian ``diag(p) − ppᵀ`` has ``vᵀJv = Var_p(v) ≤ ½`` for unit ``v``,
  by Popoviciu's inequality);
* layer-norm glue (eps applied exactly): ``f(c) = c/√(‖c‖² + κ)``, ``κ = d·eps``, is the
  first ``d`` entries of the unit vector along ``ĉ = (c, √κ)``, so when ``c`` moves by
  ``δ`` it moves by at most ``2δ/(‖ĉ‖ + ‖ĉ'‖) ≤ 2δ/(2√(‖c̃‖² + κ) − δ)`` (the
  Dunkl–Williams inequality of inner-product spaces) and never more than 2; with the
  softmax sum read out beside ``Z·c``, ``c̃ = out/Z̃`` first moves by ``(δ + ‖c̃‖δ)/(Z̃ − δ)``.

Norms that depend on the data (``‖c̃‖``, ``Z̃``) are the ones the run observed, so the bound
is rigorous for that run (given the observed stage outputs) and is evaluated per input.
"""

from __future__ import annotations

import math

import numpy as np

from qcompile.lowering import forms as F


def _source_error(s, env) -> float:
    if isinstance(s, F.InputRow):
        return env["mat"].get(s.name, 0.0)
    if isinstance(s, F.Const):
        return 0.0
    if isinstance(s, F.StageInput):
        return env["vec"][s.name]
    if isinstance(s, F.Nonlinear):
        p = s.polynomial
        return math.sqrt(s.dim) * p.error * env["poly"] + p.lipschitz * form_error(s.argument, env)
    raise TypeError(s)  # pragma: no cover


def _factor_error(f, env) -> float:
    if isinstance(f, F.Dense):
        return 0.0
    if isinstance(f, F.InputMatrix):
        return env["mat"].get(f.name, 0.0)
    if isinstance(f, F.RankOne):
        return float(np.linalg.norm(f.right)) * _source_error(f.source, env)
    raise TypeError(f)  # pragma: no cover


def term_error(t: F.Term, env) -> float:
    """Error bound of one term (see the module docstring)."""
    es = _source_error(t.source, env)
    alphas = [f.alpha for f in t.factors]
    errs = [_factor_error(f, env) for f in t.factors]
    total = float(np.prod(alphas)) * es if alphas else es
    for i, e in enumerate(errs):
        if e:
            others = float(np.prod([a for j, a in enumerate(alphas) if j != i]))
            total += others * (t.source.alpha + es) * e
    return abs(t.coeff) * total


def form_error(form: F.Form, env) -> float:
    """Error bound of a form: the sum over its terms."""
    return float(sum(term_error(t, env) for t in form.terms))


def _softmax_error(stage, out: np.ndarray, env) -> float | None:
    """Direct bound on the normalised softmax a = e/Z handed on by a block_sum stage."""
    terms = stage.form.terms
    if len(terms) != 1 or not isinstance(terms[0].source, F.Nonlinear):
        return None
    nl = terms[0].source
    blocks = stage.glue.blocks
    size = stage.form.dim // blocks
    delta = math.sqrt(size) * nl.polynomial.error * env["poly"]   # per block, polynomial part
    ds = form_error(nl.argument, env)                    # error of the scores
    e = out.reshape(blocks, size)
    total = 0.0
    for b in range(blocks):
        z = float(e[b].sum())
        a = e[b] / z if z > 0 else e[b]
        denom = z - math.sqrt(size) * delta
        if denom <= 0:
            return math.inf
        total += ((delta + np.linalg.norm(a) * math.sqrt(size) * delta) / denom) ** 2
    return math.sqrt(total) + 0.5 * ds


def _normalize_error(c: np.ndarray, delta: float, eps: float) -> float:
    """Bound on how far layer norm's direction moves (module docstring: Dunkl–Williams)."""
    n = math.sqrt(float(c @ c) + c.shape[0] * eps)
    if 2 * n <= delta:
        return 2.0
    return min(2.0, 2 * delta / (2 * n - delta))


def input_independent(lowered) -> bool:
    """True when the bound does not depend on the input: no stage has glue (the bound
    reads stage outputs only through the glue's norms), i.e. a single-stage program."""
    return all(st.glue is None for st in lowered.stages)


def program_error_bound(lowered, stage_outputs, model, input_errors=None, circuit_errors=None,
                        polynomials: bool = True) -> tuple[float, list[float]]:
    """Bound on ‖compiled − exact‖₂ of the output for one run, and the bound after each
    stage (before its glue).  ``stage_outputs``: each stage's read-out vector;
    ``input_errors``: a bound on ‖X − X_exact‖_F per matrix input that is itself computed
    (the rows a previous segment of a stacked program read out), 0 for the others;
    ``circuit_errors``: per stage, a bound on how far its read-out moves because its circuit
    is not the exact lowering (alpha × the operator-norm error of dropped rotations), added
    before the glue.  ``polynomials=False`` leaves the polynomials' own errors out: the
    bound is then on ‖compiled − surrogate‖ (what the circuit errors alone can move)."""
    del model
    env = {"mat": dict(input_errors or {}), "vec": {}, "poly": 1.0 if polynomials else 0.0}
    extra = list(circuit_errors or [])
    per_stage = []
    for k, (st, out) in enumerate(zip(lowered.stages, stage_outputs)):
        delta = form_error(st.form, env)
        if st.rows == "all":
            delta *= math.sqrt(st.seq)
        delta += extra[k] if k < len(extra) else 0.0
        per_stage.append(delta)
        g = st.glue
        if g is None:
            continue
        if g.kind == "normalize":
            env["vec"][g.produces] = _normalize_error(out, delta, g.eps)
        elif g.kind == "normalize_scaled":
            z = float(out[-1])
            c = out[:-1] / z if z > 0 else out[:-1]
            dc = (delta + float(np.linalg.norm(c)) * delta) / (z - delta) if z > delta else math.inf
            env["vec"][g.produces] = _normalize_error(c, dc, g.eps)
        elif g.kind == "normalize_rows":
            rows = out.reshape(g.rows, -1)
            errs = [_normalize_error(r, delta, g.eps) for r in rows]
            env["mat"][g.produces] = float(np.sqrt(np.sum(np.square(errs))))
        elif g.kind == "block_sum":
            direct = _softmax_error(st, out, env)
            if direct is None:  # pragma: no cover - the lowering always makes single-term numerators
                direct = math.inf
            env["vec"][g.produces] = direct
    return per_stage[-1], per_stage
