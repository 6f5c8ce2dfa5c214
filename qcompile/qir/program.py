"""The quantum IR of one model and output token: stages of linear forms and their glue.

A :class:`QuantumIR` is what ``lower-to-quantum`` produces from the tensor IR and what
``build-circuits`` turns into circuits: a list of :class:`Stage` records (one circuit
each: the linear form it prepares, for the selected token or for every token, and the
glue after it), the matrix inputs its loaders read (:class:`MatrixInput`) and its
nonlinear sources.  It is text (:meth:`QuantumIR.to_text`, :mod:`qcompile.qir.printer`),
figures (:meth:`QuantumIR.stats`) and checks (:meth:`QuantumIR.verify`,
:mod:`qcompile.qir.verify`), like the tensor IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qcompile.qir.glue import Glue
from qcompile.qir.nodes import ROW, Const, Form, InputMatrix, InputRow, Nonlinear, known_alpha


@dataclass(frozen=True)
class MatrixInput:
    """A float matrix the circuits load parametrically: a model input, the result of
    input preparation (``node``), or the all-token output of a stage (``stage``), with
    ``‖X‖_F ≤ bound`` and every row's norm ``≤ row_bound`` (None: only ``bound`` is known,
    which bounds every row too); with ``groups > 1`` each row is ``groups`` equal blocks of
    norm ``≤ group_bound`` each."""

    name: str
    seq: int
    features: int
    bound: float
    node: int | None = None
    stage: int | None = None
    row_bound: float | None = None
    groups: int = 1
    group_bound: float | None = None

    @property
    def row_alpha(self) -> float:
        """The bound a single row's loader declares: ``min(row_bound, bound)``."""
        return float(self.bound if self.row_bound is None else min(self.row_bound, self.bound))

    def row(self, token: int = ROW) -> InputRow:
        """The source for one of its rows."""
        return InputRow(self.name, self.seq, self.features, self.bound, token, self.row_bound)

    @property
    def block(self) -> int:
        """The side of ``X`` zero-padded to a square power of two (its block encoding's)."""
        from qcompile.lowering.polynomials import qubits_for

        return 2 ** max(qubits_for(self.seq), qubits_for(self.features))

    def matrix(self, transpose: bool = False, batch: int = 1) -> InputMatrix:
        """The factor ``I_batch ⊗ X`` (or ``Xᵀ``); with heads each block is padded to
        :attr:`block` (see :class:`~qcompile.qir.nodes.InputMatrix`)."""
        return InputMatrix(self.name, self.seq, self.features, self.bound, transpose, batch,
                           self.block if batch > 1 else 0, self.row_bound, self.groups, self.group_bound)


@dataclass(frozen=True)
class Stage:
    """One circuit: the form it prepares (``rows="one"``: the selected token's row,
    ``rows="all"``: every row, the token register kept as the high part of the output),
    its output length, and the glue after it (None for the last stage)."""

    index: int
    form: Form
    rows: str
    glue: Glue | None
    seq: int = 1

    @property
    def alpha(self) -> float:
        """The stage circuit's subnormalisation (for ``rows="all"``: of the whole matrix)."""
        if self.rows == "all":
            return self.form.alpha * _all_rows_factor(self.form, self.seq)
        return self.form.alpha

    @property
    def row_qubits(self) -> int:
        """Qubits of each row's register in an all-rows stage: enough for the widest vector
        its form passes through (its source, every factor's input and output), so every
        block encoding acts on the same row register below the token register."""
        from qcompile.lowering.polynomials import qubits_for

        widths = [self.form.dim]
        for t in self.form.terms:
            widths.append(t.source.dim)
            widths.extend(d for f in t.factors for d in f.shape)
        return max(qubits_for(w) for w in widths)

    @property
    def row_length(self) -> int:
        """Length of one row in the read-out: the form's width, except in an all-rows
        stage, where each row fills its register (:attr:`row_qubits`; the token register
        sits above it) and the glue reads the first ``width`` entries of each."""
        if self.rows != "all":
            return self.form.dim
        return 2 ** self.row_qubits

    @property
    def dim(self) -> int:
        """Length of the read-out vector (every row, padded as :attr:`row_length` says, for
        ``rows="all"``)."""
        return self.row_length * (self.seq if self.rows == "all" else 1)


def _all_rows_factor(form: Form, seq: int) -> float:
    """Extra subnormalisation of the all-rows circuit of ``form``: constants are spread
    over the token register as ``√seq |+⟩ ⊗ c`` (factor √seq); input rows come with their
    token already (the loader prepares all rows at once, factor 1)."""
    factors = [np.sqrt(seq) if isinstance(t.source, Const) else 1.0 for t in form.terms]
    # the LCU's alpha is Σ |c| α_k f_k; return the ratio to Σ |c| α_k
    total = sum(t.alpha for t in form.terms)
    return float(sum(t.alpha * f for t, f in zip(form.terms, factors)) / total) if total else 1.0


@dataclass(frozen=True)
class QuantumIR:
    """The quantum IR of one model and token: stages, matrix inputs, nonlinear sources,
    the block encoding of its dense factors (``method``), and ``info`` (figures the
    passes record: the calibrated error bound, the tolerance)."""

    model_name: str
    token: int
    stages: list[Stage]
    matrix_inputs: dict[str, MatrixInput]
    nonlinear: list[Nonlinear] = field(default_factory=list)
    output_dim: int = 0
    method: str = "dilation"
    info: dict = field(default_factory=dict)

    #: the IR level passes over it take (:data:`qcompile.passes.manager.LEVELS`)
    ir_level = "quantum"

    def to_text(self) -> str:
        """Deterministic text (quantum-IR dump, golden files)."""
        from qcompile.qir.printer import print_quantum_ir

        return print_quantum_ir(self)

    def polynomials(self) -> dict:
        """``{node: scalar function}`` of the chosen polynomials (the surrogate reference's)."""
        return {nl.node: nl.polynomial for nl in self.nonlinear}

    def stats(self) -> dict:
        """Stage count, terms per stage, alphas (None while not known yet) and
        polynomial degrees (None before ``select-polynomials``)."""
        return {
            "stages": len(self.stages),
            "terms": [len(s.form.terms) for s in self.stages],
            "alpha": [known_alpha(s) for s in self.stages],
            "nonlinear": {f"%{n.node}": getattr(n.polynomial, "degree", None) for n in self.nonlinear},
        }

    def verify(self) -> None:
        """Check the invariants (:func:`qcompile.qir.verify.verify_quantum_ir`)."""
        from qcompile.qir.verify import verify_quantum_ir

        verify_quantum_ir(self)


def nonlinear_sources(stages) -> list[Nonlinear]:
    """Every nonlinear source object the stages use, each once, arguments before the
    sources built on them (the order a rebuild visits them in)."""
    seen: set[int] = set()
    out: list[Nonlinear] = []

    def form(f: Form) -> None:
        for t in f.terms:
            source(t.source)
            for fac in reversed(t.factors):
                if fac.kind == "rank_one":
                    source(fac.source)
                elif fac.kind == "diagonal":
                    form(fac.form)

    def source(s) -> None:
        if isinstance(s, Nonlinear) and id(s) not in seen:
            seen.add(id(s))
            form(s.argument)
            out.append(s)

    for st in stages:
        form(st.form)
    return out
