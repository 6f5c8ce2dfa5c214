"""Build the circuit of each stage from its linear form (quantum IR → circuit IR).

One rule per construct, each a call into the quantum library (:mod:`qcompile.quantum`):

* term ``c · F_1 ··· F_m · s``: the source's state, then each factor's block encoding
  applied to it (:func:`qcompile.quantum.combine.apply`), ``alpha = Π α(F)·α(s)``;
* form ``Σ c_k term_k``: :func:`qcompile.quantum.lcu.lcu` of the term states,
  ``alpha = Σ |c_k| α_k``; terms that share one nonlinear source ``s`` (a coherent
  program's ``Z·y``) are one branch: ``s``'s state prepared once, then the LCU of their
  factor chains applied to it, ``(Σ c_k F_k)·s`` — the same vector and the same
  ``alpha = Σ |c_k| Π α(F_k)·α(s)``, without preparing ``s`` once per (controlled) term;
* sources: a matrix input's row ``x_j`` has a parametric loader of its own (the row's
  angles, alpha = the matrix's row bound); every row at once is the matrix's loader, the token
  register the high part of the output; a constant is a fixed state preparation
  (spread over the token register by Hadamards for all-row stages, ``alpha·√seq``); a stage
  input is a parametric loader with its bound; a nonlinear source is
  :func:`qcompile.quantum.elementwise.elementwise` of its argument's state with the chosen
  polynomial, or, when its argument has attention-score terms
  (:mod:`qcompile.qir.scores`), QSVT of the argument's diagonal built term by term with
  those terms row by row (:mod:`qcompile.quantum.row_diagonal`, a max-norm alpha);
* factors: a dense matrix is the block encoding of its method (:func:`block_encoding`:
  the dilation or FABLE), an input
  matrix ``I_B ⊗ X`` is :func:`input_block_encoding` (its adjoint for ``Xᵀ``) tensored with
  the identity on the batch register, a rank-one ``u wᵀ`` is :func:`rank_one_block`.

Every loader of the same matrix input or stage input shares one parameter vector, so the
stage circuit is parametric in exactly the program's inputs.  The builder checks that each
stage's circuit alpha equals the quantum IR's (they are computed independently).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.circuit.stage import StageCircuit
from qcompile.errors import InternalError, NotImplementedYetError
from qcompile.lowering.polynomials import MARGIN
from qcompile.qir.nodes import ROW, Form, StageInput
from qcompile.qir.program import QuantumIR, Stage
from qcompile.qir.visitor import FormVisitor
from qcompile.quantum.base import QuantumBlock


def parameter_name(name: str) -> str:
    """The parameter-vector name of a loaded matrix or vector (an identifier valid in
    OpenQASM): ``x`` stays ``x``, ``ln%15`` becomes ``ln15``, ``%5`` becomes ``in5``."""
    if name.startswith("%"):
        name = "in" + name[1:]
    name = re.sub(r"[^A-Za-z0-9_]", "", name)
    return name if name and name[0].isalpha() else "v" + name


def identity_block(num_qubits: int) -> QuantumBlock:
    """The identity on ``num_qubits`` qubits as a block encoding (no gates, alpha 1)."""
    return QuantumBlock(Circuit(num_qubits), 1.0, tuple(range(num_qubits)), (), "block_encoding",
                        (2**num_qubits, 2**num_qubits))


def rank_one_block(u: QuantumBlock, w: np.ndarray) -> QuantumBlock:
    """Block encoding of ``u wᵀ`` from a state ``u`` (``alpha_u``) and a fixed vector ``w``.

    Circuit on system S (n qubits), a fresh register R (n qubits) and ``u``'s ancillas:
    ``W†`` (the fixed preparation of ``ŵ``, inverted) on S, then ``CX(S→R)·CX(R→S)``
    (moves S into R, which starts at 0, and leaves S at 0), then ``U_u`` on S.  Post-selecting
    R on 0 keeps the component ``⟨0|W†|j⟩ = w_j/‖w‖``, and ``U_u`` turns the cleared S into
    ``u/α_u`` (its ancillas post-selected too): ``⟨i|A|j⟩ = (u_i/α_u)(w_j/‖w‖)``.
    ``alpha = α_u·‖w‖``; ancillas ``n + a_u``.
    """
    from qcompile.quantum.state_preparation import state_preparation

    wprep = state_preparation(np.asarray(w, dtype=float))
    n = max(len(u.system_qubits), len(wprep.system_qubits))
    a = len(u.ancilla_qubits)
    num = 2 * n + a
    system = tuple(range(n))
    fresh = tuple(range(n, 2 * n))
    anc = tuple(range(2 * n, num))
    circuit = Circuit(num, parameters=dict(u.circuit.parameters))
    winv = wprep.circuit.inverse()
    circuit.compose(winv, list(system[:len(wprep.system_qubits)]))
    for s, r in zip(system, fresh):
        circuit.append("cx", (s, r))
    for s, r in zip(system, fresh):
        circuit.append("cx", (r, s))
    circuit.compose(u.placed(system, anc, num))
    shape = (u.shape[0], len(w))
    return QuantumBlock(circuit, u.alpha * float(np.linalg.norm(w)), system, fresh + anc,
                        "block_encoding", shape, {"rank_one": True})


def _negate(block: QuantumBlock) -> QuantumBlock:
    c = block.circuit.copy()
    c.global_phase += math.pi
    return QuantumBlock(c, block.alpha, block.system_qubits, block.ancilla_qubits, block.kind,
                        tuple(block.shape), dict(block.info))


class StageBuilder(FormVisitor):
    """Builds stage circuits for one :class:`~qcompile.qir.program.QuantumIR` (a
    :class:`~qcompile.qir.visitor.FormVisitor` whose values are
    :class:`~qcompile.quantum.base.QuantumBlock` states; the context is the token, or
    :data:`~qcompile.qir.nodes.ROW` for an all-rows stage, and its sequence length)."""

    def __init__(self, lowered: QuantumIR):
        super().__init__()
        self.lowered = lowered
        self._loaders: dict = {}
        #: the row register of the all-rows stage being built (Stage.row_qubits)
        self.row_qubits = 0

    # ---- sources ---------------------------------------------------------------------
    def matrix_loader(self, name: str):
        """The parametric loader of the matrix input ``name`` (shape ``seq × d``)."""
        key = ("matrix", name)
        if key not in self._loaders:
            from qcompile.quantum.state_preparation import state_preparation

            mi = self.lowered.matrix_inputs[name]
            self._loaders[key] = state_preparation((mi.seq, mi.features), bound=mi.bound,
                                                   name=parameter_name(name))
        return self._loaders[key]

    def vector_loader(self, src: StageInput):
        """The parametric loader of a stage input."""
        key = ("vector", src.name)
        if key not in self._loaders:
            from qcompile.quantum.state_preparation import state_preparation

            self._loaders[key] = state_preparation(src.dim, bound=src.bound,
                                                   name=parameter_name(src.name))
        return self._loaders[key]

    def row_loader(self, name: str, token: int):
        """The parametric loader of row ``token`` of the matrix input ``name``:
        ``[x_j/B, √(1 − ‖x_j‖²/B²)]`` with the matrix's row bound ``B``
        (:attr:`~qcompile.qir.program.MatrixInput.row_alpha`: ``‖x_j‖ ≤ B``; binding a row
        above it raises), its own parameter vector ``NAME_rJ`` bound from that row."""
        key = ("row", name, token)
        if key not in self._loaders:
            from qcompile.quantum.state_preparation import state_preparation

            mi = self.lowered.matrix_inputs[name]
            ld = state_preparation(mi.features, bound=mi.row_alpha, name=f"{parameter_name(name)}_r{token}")
            ld.info["row"] = int(token)
            self._loaders[key] = ld
        return self._loaders[key]

    def loader_table(self) -> dict:
        """Every loader built so far: parameter-vector name -> (``"matrix"``, ``"row"``
        or ``"vector"``, the matrix input or stage input it reads, the loader block; a
        row loader's ``info["row"]`` is its row)."""
        return {ld.name: (key[0] if key[0] in ("row", "vector") else "matrix", key[1], ld)
                for key, ld in self._loaders.items()}

    def input_row(self, src, token: int, seq: int | None) -> QuantumBlock:
        """Row ``token`` of a matrix input: the row's own loader (alpha = the matrix's
        row bound; ``⌈log2 features⌉`` qubits and a flag), or every row (``token == ROW``: the
        matrix's loader, the token register the high part of the output)."""
        token = src.token if src.token != ROW else token
        if token == ROW:
            loader = self.matrix_loader(src.name)
            rows_q, cols_q = loader.info["registers"]      # per axis: (rows, cols) qubits
            return self._row_register(loader, tuple(cols_q), tuple(rows_q), src.seq)
        ld = self.row_loader(src.name, token)
        return QuantumBlock(ld.circuit, ld.alpha, ld.system_qubits, ld.ancilla_qubits, "state", (src.features,))

    def const(self, src, token: int, seq: int | None) -> QuantumBlock:
        """A fixed vector; in an all-rows stage the same vector on every row: the uniform
        superposition of the ``seq`` tokens on a register above it (Hadamards when ``seq``
        is a power of two, else a fixed state preparation), ``alpha·√seq``."""
        from qcompile.quantum.state_preparation import state_preparation

        prep = state_preparation(src.vector)
        if token != ROW:
            return prep
        nt = max(1, math.ceil(math.log2(seq)))
        n = len(prep.system_qubits)
        c = Circuit(n + nt)
        c.compose(prep.circuit)
        if 2**nt == seq:
            for q in range(n, n + nt):
                c.append("h", (q,))
        else:
            uniform = state_preparation(np.ones(seq))
            c.compose(uniform.circuit, list(range(n, n + nt)))
        spread = QuantumBlock(c, prep.alpha * math.sqrt(seq), tuple(range(n + nt)), (), "state", (seq * 2**n,))
        return self._row_register(spread, tuple(range(n)), tuple(range(n, n + nt)), seq)

    def _row_register(self, block: QuantumBlock, row_q: tuple, token_q: tuple, seq: int) -> QuantumBlock:
        """An all-rows state whose row register ``row_q`` is widened to the stage's
        :attr:`~qcompile.qir.program.Stage.row_qubits` by fresh qubits (|0⟩: the padding of
        each row) between it and the token register ``token_q``."""
        extra = self.row_qubits - len(row_q)
        if extra < 0:
            raise InternalError(f"a row register of {len(row_q)} qubits in a stage of {self.row_qubits}")
        n = block.circuit.num_qubits
        circuit = block.circuit
        if extra:
            circuit = Circuit(n + extra)
            circuit.compose(block.circuit)
        system = row_q + tuple(range(n, n + extra)) + token_q
        return QuantumBlock(circuit, block.alpha, system, block.ancilla_qubits, "state", (seq * 2**self.row_qubits,))

    def stage_input(self, src, token: int, seq: int | None) -> QuantumBlock:
        """A vector read out by an earlier stage: its parametric loader."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages reading a stage vector are not implemented yet")
        return self.vector_loader(src)

    def nonlinear(self, src, token: int, seq: int | None) -> QuantumBlock:
        """``f`` of a form: QSVT on the diagonal encoding of the argument's state with the
        chosen polynomial (:func:`qcompile.quantum.elementwise.elementwise`); the diagonal
        is built term by term for row-wise scores (:meth:`argument_diagonal`) and with the
        constant terms as its constant term for a shifted polynomial or where a norm flag
        folds into them (:meth:`shifted_argument_diagonal`, :func:`joins_constant`)."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages with nonlinearities are not implemented yet")
        from qcompile.qir.scores import uses_rows
        from qcompile.quantum.elementwise import elementwise, elementwise_of_diagonal

        choice = src.polynomial
        if choice.shift:
            diag = self.shifted_argument_diagonal(src.argument, token, seq, choice.shift * choice.input_alpha,
                                                  src.node)
            _check_alpha(diag, choice.input_alpha * (1.0 + choice.shift), f"the shifted diagonal of %{src.node}")
            return elementwise_of_diagonal(diag, None, choice.tolerance, polynomial=choice.even, margin=MARGIN,
                                           shape=(src.argument.dim,))
        rows = uses_rows(src.argument)
        if rows or joins_constant(src.argument, token):
            diag = self.argument_diagonal(src.argument, token, seq) if rows \
                else self.shifted_argument_diagonal(src.argument, token, seq, 0.0, src.node)
            _check_alpha(diag, choice.input_alpha, f"the diagonal of %{src.node}")
            return elementwise_of_diagonal(diag, src.function, choice.tolerance, polynomial=choice.p_raw,
                                           margin=MARGIN, shape=(src.argument.dim,))
        arg = narrowed(self.form(src.argument, token, seq), src.argument.dim)
        _check_alpha(arg, choice.input_alpha, f"the argument of %{src.node}")
        return elementwise(arg, src.function, choice.tolerance, polynomial=choice.p_raw, margin=MARGIN)

    def shifted_argument_diagonal(self, form: Form, token: int, seq: int | None, shift: float,
                                  node: int = 0) -> QuantumBlock:
        """``diag(v + shift)`` of a nonlinearity's argument ``v`` (a shifted polynomial,
        :class:`~qcompile.lowering.polynomials.PolynomialChoice`), ``alpha = α + shift``.
        The shift and the argument's constant terms (:func:`constant_part`) are one fixed
        diagonal: with the term-by-term diagonal (row-wise arguments) one more LCU term
        (:func:`qcompile.quantum.diagonal.constant_diagonal`), otherwise the constant term of
        :func:`qcompile.quantum.diagonal.shifted_diagonal` beside the states of the other
        branches (as :meth:`form` builds them), with the norm flags of one matrix input
        folded into its weights (:func:`folded_flags`; their parameter vector
        ``NAME_lcuNODE``, bound from the input's norm)."""
        from qcompile.lowering.polynomials import qubits_for
        from qcompile.qir.scores import uses_rows
        from qcompile.quantum.diagonal import NormFold, constant_diagonal, shifted_diagonal
        from qcompile.quantum.lcu import lcu

        n = qubits_for(form.dim)
        rest, constant, weight = constant_part(form, token, shift)
        if uses_rows(form):
            terms = tuple(t for _, ts in rest for t in ts)
            coeffs, blocks = self.argument_diagonal_terms(Form(form.dim, terms), token, seq) if terms else ([], [])
            fixed = constant_diagonal(np.full(2**n, shift) if constant is None else constant, weight, n)
            return _diagonal_of(lcu(coeffs + [1.0], blocks + [fixed]), form.dim)
        fold = folded_flags(rest)
        states = self.branch_states(rest, form.dim, token, seq, fold)
        if fold is None:
            return shifted_diagonal([c for c, _ in rest], states, n, constant, weight)
        x, powers = fold
        folded = NormFold(f"{parameter_name(x.name)}_lcu{node}", self.input_loader(x), powers)
        diag = shifted_diagonal([c for c, _ in rest], states, n, constant, weight, folded)
        binder = diag.info["binder"]
        self._loaders[("fold", x.name, binder.name)] = binder
        return diag

    def argument_diagonal(self, form: Form, token: int, seq: int | None) -> QuantumBlock:
        """The block encoding of ``diag(v)`` of a nonlinearity's argument built term by term
        (:mod:`qcompile.qir.scores`): each row-wise term by
        :func:`qcompile.quantum.row_diagonal.row_diagonal`, every other by the COPY
        construction on its own state, added by one LCU (``alpha = Σ |c_k| a_k``)."""
        from qcompile.quantum.lcu import lcu

        coeffs, blocks = self.argument_diagonal_terms(form, token, seq)
        if len(blocks) == 1:
            b = _negate(blocks[0]) if coeffs[0] < 0 else blocks[0]
            return QuantumBlock(b.circuit, abs(coeffs[0]) * b.alpha, b.system_qubits, b.ancilla_qubits,
                                "block_encoding", (form.dim, form.dim), b.info)
        return _diagonal_of(lcu(coeffs, blocks), form.dim)

    def argument_diagonal_terms(self, form: Form, token: int, seq: int | None) -> tuple[list, list]:
        """``(coefficients, diagonal blocks)`` of :meth:`argument_diagonal`'s terms."""
        from qcompile.lowering.polynomials import qubits_for
        from qcompile.qir.nodes import Term
        from qcompile.qir.scores import row_plan
        from qcompile.quantum.diagonal import diagonal_from_state

        blocks, coeffs = [], []
        for t in form.terms:
            plan = row_plan(t)
            if plan is None:
                state = narrowed(self.form(Form(form.dim, (Term(1.0, t.factors, t.source),)), token, seq), form.dim)
                blocks.append(diagonal_from_state(state))
            else:
                blocks.append(self.row_diagonal_block(t, plan, token, seq))
            coeffs.append(t.coeff)
        n = qubits_for(form.dim)
        for b in blocks:
            if len(b.system_qubits) != n:
                raise InternalError(f"a diagonal on {len(b.system_qubits)} qubits in an argument of {n}")
        return coeffs, blocks

    def row_diagonal_block(self, t, plan, token: int, seq: int | None) -> QuantumBlock:
        """The row-wise diagonal of one scores term ``(I_B ⊗ X)·F₂⋯F_m·s`` or with rotary keys
        first (``plan``: plain, rotary or grouped, :func:`qcompile.qir.scores.row_plan`)."""
        from qcompile.lowering.polynomials import qubits_for
        from qcompile.qir.nodes import Term
        from qcompile.quantum.block_encoding import block_encoding
        from qcompile.quantum.row_diagonal import row_diagonal, row_loader

        factors = t.factors[1:] if plan.unpad else t.factors
        x, rest = factors[0], factors[1:]
        rope = x if plan.kind == "rotary" else None
        x = rope.matrix if rope is not None else x
        pname = parameter_name(x.name)
        if x.batch > 1:
            n_s, n_b = (x.block - 1).bit_length(), (x.batch - 1).bit_length()
        else:
            n_s, n_b = qubits_for(x.seq), 0
        length = x.shape[0]
        if plan.unpad:   # the padded diagonal, its rows' padding bits post-selected (scores.RowPlan)
            block = self.row_diagonal_block(Term(t.coeff, factors, t.source), replace(plan, unpad=False), token, seq)
            n_keep = (x.seq - 1).bit_length()
            sys_q = tuple(block.system_qubits)
            keep = sys_q[:n_keep] + sys_q[n_s:]
            dropped = sys_q[n_keep:n_s]
            return QuantumBlock(block.circuit, block.alpha, keep, tuple(block.ancilla_qubits) + dropped,
                                "block_encoding", (t.dim, t.dim), block.info)
        if plan.kind in ("plain", "rotary"):
            n_c = n_s if x.batch > 1 else qubits_for(x.features)
            key = ("rowsld", x.name, "plain")
            if key not in self._loaders:
                bound = x.row_bound if x.row_bound is not None else x.bound
                self._loaders[key] = row_loader((x.seq, x.features), bound, f"{pname}_rows", n_s, n_c)
            u_dim = rest[0].shape[0] if rest else t.source.dim
            u = self.form(Form(u_dim, (Term(1.0, rest, t.source),)), token, seq)
            u = _pad_system(narrowed(u, u_dim), n_c + n_b)
            rotary = None
            if rope is not None:
                rotary = (block_encoding(rope.inner.matrix, method=rope.inner.method), rope.rotary.frequencies(),
                          rope.rotary.head_dim, min(n_s, qubits_for(x.seq)))
            return row_diagonal(self._loaders[key], (n_s, n_b), state=u, length=length, rotary=rotary)
        src = t.source
        heads = x.batch
        dk, dq = x.features // heads, src.dim // heads
        kkey, qkey = ("rowsld", x.name, "groups"), ("vector", src.name, "heads")
        if kkey not in self._loaders:
            self._loaders[kkey] = row_loader((x.seq, x.features), x.group_bound, f"{pname}_groups", n_s + n_b,
                                             (dk - 1).bit_length(), groups=heads, head_qubits=n_b)
        if qkey not in self._loaders:
            self._loaders[qkey] = row_loader((src.dim,), src.group_bound, f"{parameter_name(src.name)}_heads", n_b,
                                             (dq - 1).bit_length(), groups=heads, head_qubits=n_b)
        chain = [block_encoding(f.matrix, method=f.method) for f in reversed(rest)]
        return row_diagonal(self._loaders[kkey], (n_s, n_b), queries=self._loaders[qkey], chain=chain,
                            dims=((dq - 1).bit_length(), n_s), length=length)

    # ---- factors ---------------------------------------------------------------------
    def factor_block(self, f, token: int, seq: int | None) -> QuantumBlock:
        """The block encoding of factor ``f`` alone (its rule, applied to nothing)."""
        return self.factor(f, _BARE, token, seq)

    def _applied(self, be: QuantumBlock, f, state: QuantumBlock, token: int, seq: int | None) -> QuantumBlock:
        """``be`` (the block encoding of factor ``f``) applied to ``state``; in an
        all-rows stage tensored with the identity on the token register first."""
        from qcompile.quantum.combine import apply, tensor

        if state is _BARE:
            return be
        if token == ROW:   # on the row register (padded to the stage's width) below the token register
            nt = max(1, math.ceil(math.log2(seq)))
            pad = self.row_qubits - len(be.system_qubits)
            if pad < 0:
                raise InternalError(f"a block on {len(be.system_qubits)} qubits in rows of {self.row_qubits}")
            if pad:
                be = tensor(identity_block(pad), be)
            be = tensor(identity_block(nt), be)
            length = seq * 2**self.row_qubits
            be = QuantumBlock(be.circuit, be.alpha, be.system_qubits, be.ancilla_qubits, be.kind,
                              (length, length), be.info)
        return apply(be, state)

    def dense(self, f, state, token: int, seq: int | None) -> QuantumBlock:
        """A fixed matrix: its block encoding by the factor's method (dilation or FABLE)."""
        from qcompile.quantum.block_encoding import block_encoding

        return self._applied(block_encoding(f.matrix, method=f.method), f, state, token, seq)

    def rank_one(self, f, state, token: int, seq: int | None) -> QuantumBlock:
        """``u wᵀ``: :func:`rank_one_block` of the source's state and ``w``."""
        return self._applied(rank_one_block(self.source(f.source, token, seq), f.right), f, state, token, seq)

    def diagonal(self, f, state, token: int, seq: int | None) -> QuantumBlock:
        """``diag(u)`` of a computed vector: the COPY construction on ``u``'s state
        (:func:`qcompile.quantum.diagonal.diagonal_from_state`, alpha = alpha(u))."""
        from qcompile.quantum.diagonal import diagonal_from_state

        if token == ROW:
            raise NotImplementedYetError("all-row stages with elementwise products are not implemented yet")
        u = narrowed(self.form(f.form, token, seq), f.form.dim)
        return self._applied(diagonal_from_state(u), f, state, token, seq)

    def rotary(self, f, state, token: int, seq: int | None) -> QuantumBlock:
        """A rotary factor left generic: only an all-rows stage keeps one (a one-row stage
        binds it to the selected token's rotation, a dense factor)."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages with rotary embeddings are not implemented yet")
        raise InternalError("a rotary factor reached a one-row stage unbound")

    def rotary_keys(self, f, state, token: int, seq: int | None) -> QuantumBlock:
        """Scores against rotary keys: the input matrix's block encoding with the
        row-controlled rotations and the keys' map inside
        (:func:`qcompile.quantum.rotary.rotary_keys_block_encoding`)."""
        from qcompile.quantum.block_encoding import block_encoding
        from qcompile.quantum.rotary import rotary_keys_block_encoding

        if token == ROW:
            raise NotImplementedYetError("all-row stages with attention scores are not implemented yet")
        x = f.matrix
        keys = block_encoding(f.inner.matrix, method=f.inner.method)
        be = rotary_keys_block_encoding((x.seq, x.features), x.bound, parameter_name(x.name), keys, x.batch,
                                        f.rotary.head_dim, f.rotary.frequencies())
        self._loaders.setdefault(("rotary", x.name), be)
        be = QuantumBlock(be.circuit, be.alpha, be.system_qubits, be.ancilla_qubits, be.kind, f.shape, be.info)
        return self._applied(be, f, state, token, seq)

    def input_matrix(self, f, state, token: int, seq: int | None, flag: bool = True) -> QuantumBlock:
        """``I_batch ⊗ X`` (or ``Xᵀ``) from the input's loader (``flag=False``: without its
        norm flag, :meth:`~qcompile.qir.visitor.FormVisitor.term_without_flags`)."""
        return self._applied(self.input_matrix_block(f, flag), f, state, token, seq)

    def input_loader(self, f, flag: bool = True):
        """The input block encoding of input-matrix factor ``f``'s matrix (with or without
        its norm flag; both read the same parameter vector, bound alike)."""
        from qcompile.quantum.input_block_encoding import input_block_encoding

        key = ("inputbe", f.name) if flag else ("inputbe", f.name, "flagless")
        if key not in self._loaders:
            self._loaders[key] = input_block_encoding((f.seq, f.features), f.bound,
                                                      name=parameter_name(f.name), flag=flag)
        return self._loaders[key]

    def input_matrix_block(self, f, flag: bool = True) -> QuantumBlock:
        """The block encoding of ``I_batch ⊗ X`` or ``I_batch ⊗ Xᵀ`` from the input's loader
        (``flag=False``: without the norm flag)."""
        from qcompile.quantum.combine import tensor

        be = self.input_loader(f, flag)
        if f.transpose:
            be = QuantumBlock(be.circuit.inverse(), be.alpha, be.system_qubits, be.ancilla_qubits,
                              "block_encoding", (f.features, f.seq))
        else:
            be = QuantumBlock(be.circuit, be.alpha, be.system_qubits, be.ancilla_qubits,
                              "block_encoding", (f.seq, f.features))
        if f.batch > 1:   # heads: X's block padded to block × block under a head register
            nb = math.ceil(math.log2(f.batch))
            if 2 ** len(be.system_qubits) != f.block:
                raise InternalError(f"the block encoding of {f.name} has {len(be.system_qubits)} system "
                                    f"qubits, the quantum IR padded its heads' blocks to {f.block}")
            be = tensor(identity_block(nb), be)
            be = QuantumBlock(be.circuit, be.alpha, be.system_qubits, be.ancilla_qubits, be.kind,
                              f.shape, be.info)
        return be

    # ---- terms and forms -------------------------------------------------------------
    def form(self, form: Form, token: int, seq: int | None = None) -> QuantumBlock:
        """The state of ``form``; terms sharing a nonlinear source are one branch
        (:func:`source_branches`, module docstring)."""
        branches = source_branches(form, token)
        if branches is None:
            return super().form(form, token, seq)
        return self.combine_blocks([c for c, _ in branches], self.branch_states(branches, form.dim, token, seq),
                                   form.dim)

    def branch_states(self, branches, dim: int, token: int, seq: int | None, fold=None) -> list[QuantumBlock]:
        """The state of each ``(coeff, terms)`` branch (:func:`source_branches`): a lone
        term's own, or the shared source's (:meth:`shared_source`).  ``fold = (x, powers)``
        (:func:`folded_flags`): branch ``k`` with ``powers[k] > 0`` loads ``x``'s matrix
        input without its norm flags
        (:meth:`~qcompile.qir.visitor.FormVisitor.term_without_flags`)."""
        x, powers = fold if fold is not None else (None, [0] * len(branches))
        return [self.term_without_flags(ts[0], x.name, token, seq) if p
                else self.term(ts[0], token, seq) if len(ts) == 1 else self.shared_source(dim, ts, token, seq)
                for (_, ts), p in zip(branches, powers)]

    def shared_source(self, dim: int, terms: list, token: int, seq: int | None) -> QuantumBlock:
        """``(Σ c_k F_k)·s`` for terms ``c_k F_k s`` of one source: ``s``'s state, then
        the LCU of the factor chains (each the product of its factors' block encodings, the
        identity for none); ``alpha = Σ |c_k| Π α(F_k) · α(s)``.

        Registers.  When every chain spans the widest register (``n`` qubits) the LCU is
        applied to the state as it is: each chain's block is zero on its padding columns
        (its first factor's block encoding pads with zero columns, and a product pads the
        narrower factor by ``X ⊗ I`` under a factor with zero columns there), so the
        state's product flags may sit on the padding qubits (:func:`~qcompile.quantum.combine.apply`).
        Otherwise the narrower chains act as ``I ⊗ chain`` on ``n`` qubits, which is not
        zero there, and the state is padded with fresh |0⟩ qubits instead."""
        from qcompile.lowering.polynomials import qubits_for
        from qcompile.quantum.combine import apply, product, settled
        from qcompile.quantum.lcu import lcu

        state = self.source(terms[0].source, token, seq)
        chains = []
        for t in terms:
            if not t.factors:
                n = qubits_for(t.source.dim)
                chains.append(QuantumBlock(Circuit(n), 1.0, tuple(range(n)), (), "block_encoding",
                                           (t.source.dim, t.source.dim)))
                continue
            be = self.factor_block(t.factors[-1], token, seq)
            for f in reversed(t.factors[:-1]):
                be = product(self.factor_block(f, token, seq), be)
            chains.append(settled(be))
        n = max(len(c.system_qubits) for c in chains)
        if all(len(c.system_qubits) == n for c in chains) and n >= len(state.system_qubits):
            op = lcu([t.coeff for t in terms], chains)
            return apply(QuantumBlock(op.circuit, op.alpha, op.system_qubits, op.ancilla_qubits, op.kind,
                                      (dim, t.source.dim), op.info), state)
        n = max(n, len(state.system_qubits))
        op = lcu([t.coeff for t in terms], [_pad_system(c, n) for c in chains])
        op = QuantumBlock(op.circuit, op.alpha, op.system_qubits, op.ancilla_qubits, op.kind, (dim, 2**n), op.info)
        return apply(op, _pad_system(state, n))

    def combine(self, form: Form, blocks: list, token: int, seq: int | None = None) -> QuantumBlock:
        """The state of ``form``: an LCU of its terms' states (a single term negated when
        its coefficient is negative)."""
        if not form.terms:
            raise InternalError("a stage computes the zero vector")
        return self.combine_blocks([t.coeff for t in form.terms], blocks, form.dim)

    def combine_blocks(self, coeffs: list, blocks: list, dim: int) -> QuantumBlock:
        """The LCU ``Σ coeffs[k]·blocks[k]`` of states of vectors of length ``dim``."""
        from qcompile.quantum.lcu import lcu

        n = max(len(b.system_qubits) for b in blocks)
        blocks = [_pad_system(b, n) for b in blocks]
        if len(blocks) == 1:
            b = blocks[0]
            b = _negate(b) if coeffs[0] < 0 else b
            return QuantumBlock(b.circuit, abs(coeffs[0]) * b.alpha, b.system_qubits, b.ancilla_qubits,
                                "state", (dim,), b.info)
        out = lcu(coeffs, blocks)
        return QuantumBlock(out.circuit, out.alpha, out.system_qubits, out.ancilla_qubits, "state",
                            (dim,), out.info)

    def stage(self, stage: Stage) -> StageCircuit:
        """The circuit of one stage, checked against the quantum IR's alpha."""
        token = ROW if stage.rows == "all" else self.lowered.token
        seq = stage.seq if stage.rows == "all" else None
        self.row_qubits = stage.row_qubits if stage.rows == "all" else 0
        block = self.form(stage.form, token, seq)
        if not math.isclose(block.alpha, stage.alpha, rel_tol=1e-9):
            raise InternalError(f"stage {stage.index} circuit alpha {block.alpha} differs from the "
                                f"quantum IR's {stage.alpha}")
        c = block.circuit.copy()
        c.registers = {}
        c.add_register("output", block.system_qubits)
        return StageCircuit(c, tuple(block.system_qubits), tuple(block.ancilla_qubits), block.alpha,
                            name=f"stage{stage.index}",
                            info={"dim": stage.dim})


#: the "state" a factor is applied to when only its block encoding is wanted (:meth:`StageBuilder.factor_block`)
_BARE = object()


def source_branches(form: Form, token) -> list[tuple[float, list]] | None:
    """The branches of a form whose terms share a nonlinear source object: ``(coeff,
    terms)`` in order of first appearance, a lone term with its own coefficient, a shared
    source's terms with 1 (their coefficients go inside its branch); None when no two terms
    share one or the form is a generic row (``token`` ``ROW``).  The circuit builder and
    the estimator both build a form from these branches."""
    if token == ROW:
        return None
    groups: dict = {}
    for i, t in enumerate(form.terms):
        key = id(t.source) if t.source.kind == "nonlinear" else ("term", i)
        groups.setdefault(key, []).append(t)
    if all(len(g) == 1 for g in groups.values()):
        return None
    return [(g[0].coeff, g) if len(g) == 1 else (1.0, g) for g in groups.values()]


def _check_alpha(block: QuantumBlock, want: float, what: str) -> None:
    """InternalError unless ``block``'s alpha is the ``want`` its polynomial was chosen for
    (the circuit and the quantum IR compute alphas independently)."""
    if not math.isclose(block.alpha, want, rel_tol=1e-9):
        raise InternalError(f"alpha of {what} is {block.alpha}, polynomial chosen for {want}")


def _diagonal_of(out: QuantumBlock, dim: int) -> QuantumBlock:
    """An LCU of diagonal block encodings as the ``dim × dim`` diagonal block it encodes."""
    return QuantumBlock(out.circuit, out.alpha, out.system_qubits, out.ancilla_qubits, "block_encoding",
                        (dim, dim), out.info)


def split_constants(form: Form, token) -> tuple[list, list]:
    """``(branches, constants)``: the branches of ``form`` (:func:`source_branches`, every
    term its own branch when none share a source) that are not a lone constant term, and
    the lone constant terms ``c·b`` (no factor)."""
    branches = source_branches(form, token)
    if branches is None:
        branches = [(t.coeff, [t]) for t in form.terms]
    rest, constants = [], []
    for c, ts in branches:
        if len(ts) == 1 and ts[0].source.kind == "const" and not ts[0].factors:
            constants.append(ts[0])
        else:
            rest.append((c, ts))
    return rest, constants


def folded_flags(branches) -> tuple[object, tuple[int, ...]] | None:
    """The norm flags a shifted diagonal folds into its weights
    (:func:`qcompile.quantum.diagonal.shifted_diagonal`): ``(x, powers)``, ``x`` the first
    input-matrix factor (:class:`~qcompile.qir.nodes.InputMatrix`) that is a direct factor
    of a lone-term branch and ``powers[k]`` the number of branch ``k``'s direct factors
    that load ``x``'s matrix (0 for a branch sharing a source: its inner LCU has fixed
    weights); None when no branch has one.  The builder and the estimator both follow it."""
    found = [f for _, ts in branches if len(ts) == 1 for f in ts[0].factors if f.kind == "input_matrix"]
    if not found:
        return None
    x = found[0]
    return x, tuple(sum(1 for f in ts[0].factors if f.kind == "input_matrix" and f.name == x.name)
                    if len(ts) == 1 else 0 for _, ts in branches)


def joins_constant(form: Form, token) -> bool:
    """Whether a nonlinearity's argument (not row-wise) builds its diagonal with its
    constant terms as :func:`qcompile.quantum.diagonal.shifted_diagonal`'s constant term
    and shift 0, without a shifted polynomial: where it has a lone constant term and a norm
    flag to fold into it (:func:`folded_flags`), which saves the flag's ancilla.  The
    builder and the estimator both follow it."""
    rest, constants = split_constants(form, token)
    return bool(constants) and folded_flags(rest) is not None


def constant_part(form: Form, token, shift: float):
    """``(branches, w, weight)``: the non-constant branches of ``form``
    (:func:`split_constants`), the fixed vector ``w = shift + Σ c·b`` of its constant terms
    ``c·b`` (None when there is none: ``w = shift`` everywhere) and
    ``weight = shift + Σ |c|·‖b‖ ≥ max|w|`` (the alpha the quantum IR counts for them, plus
    the shift)."""
    rest, constants = split_constants(form, token)
    constant, weight = None, float(shift)
    for t in constants:
        b = t.coeff * np.asarray(t.source.vector, dtype=float)
        constant = (np.full(b.size, float(shift)) if constant is None else constant) + b
        weight += abs(t.coeff) * t.source.alpha
    return rest, constant, weight


def narrowed(state: QuantumBlock, dim: int) -> QuantumBlock:
    """The state of a vector of length ``dim`` on exactly ``qubits_for(dim)`` system
    qubits.  A term can leave it on a wider register (an input matrix's block encoding
    is square, ``max(rows, cols)``); the entries past ``dim`` are zero, so the top system
    qubits read 0 on the good branch and simply become post-selected ancillas (no gate).
    The elementwise construction's ``alpha = K·√N`` counts exactly these qubits."""
    from qcompile.lowering.polynomials import qubits_for

    n = qubits_for(dim)
    system = tuple(state.system_qubits)
    if len(system) <= n:
        return state
    return QuantumBlock(state.circuit, state.alpha, system[:n], system[n:] + tuple(state.ancilla_qubits),
                        state.kind, (2**n,), dict(state.info))


def _pad_system(block: QuantumBlock, n: int) -> QuantumBlock:
    """The same state on ``n ≥`` its system qubits: extra |0⟩ system qubits on top."""
    k = len(block.system_qubits)
    if k == n:
        return block
    num = block.circuit.num_qubits + (n - k)
    c = Circuit(num, parameters=dict(block.circuit.parameters))
    c.compose(block.circuit)
    extra = tuple(range(block.circuit.num_qubits, num))
    return QuantumBlock(c, block.alpha, tuple(block.system_qubits) + extra, block.ancilla_qubits,
                        block.kind, (2**n,) if block.kind == "state" else (2**n, 2**n), dict(block.info))


@dataclass
class StageProgram:
    """The circuit IR of a whole program: the quantum IR it came from, one
    :class:`StageCircuit` per stage, and the loaders (parameter vector -> what it reads).
    Circuit-level passes run on it stage by stage (:class:`ForEachStage`)."""

    lowered: QuantumIR
    stages: list
    loaders: dict

    #: the IR level passes over it take (:data:`qcompile.passes.manager.LEVELS`)
    ir_level = "circuit"

    def with_stages(self, stages) -> "StageProgram":
        """A copy with new stage circuits."""
        return StageProgram(self.lowered, list(stages), self.loaders)

    def to_text(self, max_lines: int | None = None) -> str:
        """Every stage circuit's text, in order; with ``max_lines``, each stage keeps its
        share of the lines and says how many gates it left out."""
        if max_lines is None or sum(len(sc.circuit.gates) for sc in self.stages) <= max_lines:
            return "".join(sc.to_text() for sc in self.stages)
        share = max(1, max_lines // len(self.stages))
        parts = []
        for sc in self.stages:
            gates = sc.circuit.gates
            if len(gates) <= share:
                parts.append(sc.to_text())
                continue
            head = sc.replace_circuit(replace(sc.circuit, gates=gates[:share]))
            parts.append(head.to_text() + f"# ... {len(gates) - share} more gates of {sc.name} left out "
                         f"({len(gates)} in all; the text keeps {share} per stage)\n")
        return "".join(parts)

    def stats(self) -> dict:
        """Widest stage, total CX, gates by name, summed depth."""
        per = [sc.stats() for sc in self.stages]
        gates: dict = {}
        for p in per:
            for name, n in p["gates"].items():
                gates[name] = gates.get(name, 0) + n
        return {"stages": len(per), "qubits": max(p["qubits"] for p in per),
                "cx": sum(p["cx"] for p in per), "depth": sum(p["depth"] for p in per),
                "gates": dict(sorted(gates.items()))}

    def verify(self) -> None:
        """Verify every stage circuit."""
        for sc in self.stages:
            sc.verify()
