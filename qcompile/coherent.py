"""Coherent mode (``--coherent``): the model as ONE circuit, no classical glue between stages.

The staged lowering (:mod:`qcompile.lowering.symbolic`) ends a stage at every normalisation
point; its glue (:mod:`qcompile.qir.glue`) turns the read-out vector into the next stage's
loaded input.  :func:`make_coherent` replaces that glue by circuitry, kind by kind, or
refuses with :class:`~qcompile.errors.NotImplementedYetError` naming the kind:

* **no glue** (one stage: ``linear``, ``mlp``) — the program already is one circuit; it is
  returned unchanged.
* :class:`~qcompile.qir.glue.BlockSum` **with one block** (single-head softmax) whose result
  the last stage reads only linearly (as the source of its top-level terms) — *absorbed*.
  Claim: let stage 0 read out ``e`` (the polynomial ``exp`` of the scores, masked), glued to
  ``p = e/Z`` with ``Z = 1ᵀe > 0``, and let the last stage compute
  ``y = Σ_{t∈P} c_t F_t p + Σ_{t∉P} c_t G_t s_t`` (``P``: the terms whose source is ``p``).
  Then ``Z·y = Σ_{t∈P} c_t F_t e + Σ_{t∉P} c_t G_t (s_t wᵀ) e_src`` (``1ᵀe = wᵀ e_src``, a
  rank-one factor, :func:`qcompile.lowering.symbolic._times_sum`), a linear form in the
  sources of ``e`` and the loaded rows, and so is ``v = (Z·y, Z)`` (``Z`` through the fixed
  row ``1ᵀ``).  The one stage prepares ``v/α`` on its post-selected branch (the usual LCU of
  products: the construction every stage uses), hence its post-selected, normalised state is
  ``(y, 1)/√(‖y‖² + 1)`` and :class:`~qcompile.qir.glue.ScaledOutput` reads
  ``y = v[:-1]/v[-1]`` — exactly the staged program's output, with no vector loaded in
  between.  (Amplitude amplification cannot do this division: it normalises by the 2-norm
  of the state, not by the data-dependent 1-norm ``Z``; the absorption needs neither.)
* :class:`~qcompile.qir.glue.BlockSum` with several blocks (multi-head softmax) — refused:
  every head has its own sum ``Z_h`` and the heads are mixed afterwards, so no single scale
  of the state absorbs them.
* :class:`~qcompile.qir.glue.Normalize`, ``NormalizeScaled``, ``NormalizeRows`` (layer and
  RMS norm, QK-norm) — refused: ``1/√(‖c‖² + d·eps)`` multiplies a vector that is then fed on
  nonlinearly or offset by ``β``, so it cannot be absorbed; building it coherently needs
  QSVT of ``x^{-1/2}`` on the block encoding ``⟨0|U†ΠU|0⟩ = ‖c‖²/α²`` of the stage's success
  probability, whose only data-independent lower bound is ``d·eps/α²`` (10⁻⁶ or less on the
  examples), i.e. a polynomial of degree ~α²/(d·eps); fixed-point amplification alone leaves
  a data-dependent amplitude ``g(√p)`` on the normalised state, an error of order δ.
* a softmax result that a nonlinearity, a diagonal or a rank-one factor reads, or that
  another stage than the last reads, and more than one softmax stage — refused (no single
  linear form carries ``Z``).

The single circuit's cost is that of its one stage (qubits, CX, depth) and its success
probability ``‖v‖²/α²`` is read like any stage's (:mod:`qcompile.success`).
"""

from __future__ import annotations

from dataclasses import replace

from qcompile.errors import NotImplementedYetError

# form·(1ᵀe) and 1ᵀe: the lowering's own helpers (they eliminate a softmax normaliser before a layer norm)
from qcompile.lowering.symbolic import _sum_form, _times_sum
from qcompile.qir import algebra as A
from qcompile.qir.glue import BlockSum, ScaledOutput
from qcompile.qir.linalg import LinearAlgebra
from qcompile.qir.nodes import Diagonal, Form, Nonlinear, RankOne, StageInput, Term
from qcompile.qir.program import QuantumIR, Stage, nonlinear_sources

_REFUSED = {
    "normalize": "layer norm (its 1/sqrt(|c|^2 + d*eps) would need a coherent normalisation)",
    "normalize_scaled": "layer norm after an attention (its 1/sqrt(|c|^2 + d*eps) would need a "
                        "coherent normalisation)",
    "normalize_rows": "layer norm of every token (each row would need its own coherent normalisation)",
}


def refuse(model_name: str, why: str):
    """The plain-sentence error of a model coherent mode cannot build."""
    raise NotImplementedYetError(f"coherent mode (one circuit) of model {model_name} is not implemented yet: "
                                 f"{why}; compile it without --coherent (staged)")


def make_coherent(qir: QuantumIR, la: LinearAlgebra | None = None) -> QuantumIR:
    """The one-stage quantum IR computing the same output as the staged ``qir`` (module
    docstring: the rule per glue kind and its proof); refuses what it cannot build."""
    la = la or LinearAlgebra()
    stages = qir.stages
    if len(stages) == 1:
        return replace(qir, info={**qir.info, "coherent": True})
    for st in stages[:-1]:
        kind = st.glue.kind
        if kind in _REFUSED:
            refuse(qir.model_name, f"stage {st.index} ends with {_REFUSED[kind]}")
        if not isinstance(st.glue, BlockSum):
            refuse(qir.model_name, f"stage {st.index} ends with glue '{kind}'")
        if st.glue.blocks != 1:
            refuse(qir.model_name, f"stage {st.index} normalises a softmax of {st.glue.blocks} heads, each by "
                                   "its own sum, and no single scale absorbs them")
    if len(stages) > 2:
        refuse(qir.model_name, f"it has {len(stages) - 1} softmax normalisations; one is absorbed at most")
    first, last = stages
    name = first.glue.produces
    _check_linear_use(qir.model_name, last.form, name)
    e = first.form
    d = last.form.dim
    direct = [t for t in last.form.terms if _reads(t, name)]
    others = Form(d, tuple(t for t in last.form.terms if not _reads(t, name)))
    zy = A.add(*([_through(t, e) for t in direct] + [_times_sum(others, e, la, qir.method)]))
    v = A.add(A.apply_dense(la.embed_top(d), zy, qir.method, "embed"),
              A.apply_dense(la.unit_column(d + 1, d), _sum_form(e, la, qir.method), qir.method, "Z"))
    stage = Stage(0, v, "one", ScaledOutput("output", first.glue.node))
    return replace(qir, stages=[stage], nonlinear=nonlinear_sources([stage]),
                   info={**qir.info, "coherent": True})


def _reads(t: Term, name: str) -> bool:
    return isinstance(t.source, StageInput) and t.source.name == name


def _through(t: Term, e: Form) -> Form:
    """``c·F₁⋯F_m e``: the term with its source ``p`` replaced by ``e``."""
    f = A.scale(e, t.coeff)
    for fac in reversed(t.factors):
        f = A.apply_factor(fac, f)
    return f


def _check_linear_use(model_name: str, form: Form, name: str) -> None:
    """Refuse when ``form`` reads the stage vector ``name`` other than as a term's source
    (inside a nonlinearity's argument, a diagonal or a rank-one factor)."""
    def nested(src):
        if isinstance(src, Nonlinear):
            yield from src.argument.sources()
            for s in src.argument.sources():
                yield from nested(s)

    for t in form.terms:
        inner = list(nested(t.source))
        for f in t.factors:
            if isinstance(f, RankOne):
                inner += [f.source, *nested(f.source)]
            elif isinstance(f, Diagonal):
                inner += list(f.form.sources())
        if any(isinstance(s, StageInput) and s.name == name for s in inner):
            refuse(model_name, f"the softmax result {name} feeds a nonlinearity or a product, so its "
                               "1/Z cannot be absorbed into the output state")


def cost_rows(programs: dict, inputs: list, backend: str = "qiskit") -> list[dict]:
    """Cost of each compiled program (``{"staged": ..., "coherent": ...}``) side by side:
    stages, qubits (the widest circuit), CX and depth (summed over stages), and on
    ``inputs`` the smallest post-selection probability of each stage circuit (``p_run``,
    :mod:`qcompile.success`: an amplified stage's) and the largest expected repetitions
    ``Σ_k 1/p_run,k`` for one post-selected sample of every stage (the staged program's
    read-outs between stages, tomography on hardware, not counted)."""
    from qcompile.success import success_report

    rows = []
    for label, prog in programs.items():
        s = prog.stats()
        runs = [[st.p_run for st in success_report(prog, r)] for r in prog.run_many(inputs, backend=backend)] \
            if inputs else []
        p_min = [min(ps[k] for ps in runs) for k in range(len(prog.stages))] if runs else []
        reps = max(sum(1.0 / p for p in ps) for ps in runs) if runs else None
        rows.append({"mode": label, "stages": s["stages"], "qubits": s["qubits"], "cx": s["cx"],
                     "depth": s["depth"], "success_probability": p_min, "repetitions": reps})
    return rows
