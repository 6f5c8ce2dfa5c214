"""Lower the tensor IR of one selected token into staged linear forms (the quantum IR).

The tensor IR is evaluated *symbolically*: every value is the linear form
(:mod:`qcompile.lowering.forms`) of one of its rows, with the token left generic
(:data:`~qcompile.lowering.forms.ROW`).  The rules, one per op:

* ``input`` (float) — the row ``x_t`` of a matrix input; token/text inputs, ``embed`` and
  ``posenc`` (and sums and scalings of them) are *input preparation*: computed classically
  at bind time into a float matrix input with a bound derived from the weights.
* ``linear`` — a dense factor ``I ⊗ W`` and a constant ``1 ⊗ b``; ``add``/``scale`` — form
  algebra; ``split_heads``/``merge_heads``/``transpose`` — leg bookkeeping (free).
* ``matmul`` of a row value with an all-token value (attention): the all-token value's rows
  are ``M x_s + c``, so it acts on the row as ``(I_B ⊗ X)·G`` (scores) or ``H·(I_B ⊗ Xᵀ)``
  (values), ``G``/``H`` rearrangements of ``M`` and rank-one dense maps for ``c``.
* ``pair_difference`` (Gaussian attention) — ``q_t − k_s`` for every key: the query
  copied to each key minus the keys' map of the scores applied to a constant;
* ``softmax`` — ``e = exp(scores)`` (Gaussian attention: ``exp(−a²)``) by QSVT (a :class:`~qcompile.lowering.forms.Nonlinear`
  source), masked for causal attention.  The normalisation ``1/Z`` is *eliminated* when the
  only consumer is a layer norm reached through linear ops with one head
  (``LN(x + Vᵀe/Z) = LN(Z·x + Vᵀe)``, ``Z·x = x 1ᵀ e``: a rank-one factor); otherwise it
  ends a stage whose glue divides each head's block by its sum.
* ``layernorm`` — centering ``I − 11ᵀ/d`` (a dense factor, folded), then a normalisation
  point: the stage ends, its glue normalises the read-out vector with LayerNorm's eps
  applied exactly (``c/√(‖c‖² + d·eps)``), and the next stage loads it and applies
  ``√d·diag(γ)`` and ``β``.  With the softmax normaliser eliminated the stage also reads
  out ``Z`` (one more entry), so eps is still exact.  When the
  normalised value is needed for every token (pre-LN attention reads LN(x) of all keys),
  the stage computes all rows at once and its glue normalises each row.
* ``elementwise`` (gelu, relu, ... from :mod:`qcompile.functions`) — elementwise QSVT (a
  nonlinear source).

The result is a :class:`~qcompile.qir.program.QuantumIR`: a list of stages, each a linear
form of the selected token (or of every token) plus the glue that turns its read-out into
the next stage's input.  The forms are built with the exact algebra
(:mod:`qcompile.qir.algebra`): one dense factor per weight and fixed map, constants kept
apart; the IR-level fusion passes fold them.  Dense factors get the block encoding
``method`` the lowering is given.  Polynomials are chosen by a *policy* callback when each
nonlinear source is created (its argument's subnormalisation is known then), or left to
``select-polynomials`` (no policy).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from qcompile.errors import InternalError, NotImplementedYetError
from qcompile.ir.ops import ALL_TOKEN_OPERAND_OPS
from qcompile.qir import algebra as A
from qcompile.qir.fold import normal_form
from qcompile.qir.glue import BlockSum, Normalize, NormalizeRows, NormalizeScaled
from qcompile.qir.linalg import LinearAlgebra, is_abstract, is_diagonal, mark_aligned, mark_unpad
from qcompile.qir.nodes import (ROW, Const, Dense, Diagonal, Form, InputMatrix, InputRow, Nonlinear, RankOne, Rotary, RotaryKeys,
                                StageInput, Term)
from qcompile.qir.program import MatrixInput, QuantumIR, Stage, nonlinear_sources

#: op names that are classical input preparation when all their operands are
PREP_OPS = ("input", "embed", "posenc", "positions", "add", "scale")


# ---- values during evaluation ------------------------------------------------------------


@dataclass
class _Pending:
    """A softmax normaliser not applied yet: the value is ``plain + over / Z`` with
    ``Z = 1ᵀ e`` (one head)."""

    over: Form
    e: Form
    node: int


@dataclass
class _Val:
    """A tensor value during symbolic evaluation.

    ``row``: the name of its token leg (``t`` or, once transposed for attention, ``s``) or
    None; ``form``: the linear form of one row over the other legs (flattened row-major in
    leg order); ``pending``: a softmax normaliser not applied yet; ``masked``: scores with
    a causal mask to apply at the softmax; ``prep``: an input-preparation value (holds a
    :class:`MatrixInput` once it feeds the quantum part) with ``‖X‖_F ≤ bound`` and every
    row's norm ``≤ row_bound``."""

    legs: tuple
    row: str | None
    form: Form | None = None
    pending: _Pending | None = None
    masked: bool = False
    prep: bool = False
    bound: float = 0.0
    row_bound: float = 0.0

    @property
    def names(self):
        return tuple(leg.name for leg in self.legs)

    @property
    def other(self):
        """The non-token legs, in order."""
        return tuple(leg for leg in self.legs if leg.name != self.row)


def _prod(legs) -> int:
    n = 1
    for leg in legs:
        n *= leg.dim
    return n


# ---- the evaluator -----------------------------------------------------------------------


PolicyFn = Callable[[str, Form, int], object]


class _Lowerer:
    def __init__(self, model, token: int, policy: PolicyFn, eliminable: set[int],
                 la: LinearAlgebra | None = None, weights=None, method: str = "dilation"):
        self.model = model
        self.method = method
        self.graph = model.ir
        self.weights = model.weights if weights is None else weights
        self.la = la or LinearAlgebra()
        self.token = token
        self.policy = policy
        self.eliminable = eliminable
        self.stages: list[Stage] = []
        self.inputs: dict[str, MatrixInput] = {}
        self.nonlinear: list[Nonlinear] = []
        self.vals: dict[int, _Val] = {}
        self.prep_nodes = _prep_nodes(self.graph)
        self.all_rows = _read_for_every_token(self.graph)

    # -- helpers
    def fail(self, op, message: str):
        raise NotImplementedYetError(message, op.loc)

    def weight(self, name, rows=None):
        w = self.weights[name]
        if not is_abstract(w):
            w = np.asarray(w, dtype=np.float64)
        return w if rows is None else w[rows]

    def row_form(self, node: int, op) -> _Val:
        """The value of ``node`` as a row form (turning input preparation into a matrix
        input the first time a quantum op reads it)."""
        v = self.vals[node]
        if v.prep:
            mi = self.inputs.get(f"%{node}")
            if mi is None:
                src_op = self.graph.op(node)
                name = src_op.name if src_op.opname == "input" else f"%{node}"
                seq, feat = v.legs[0].dim, v.legs[1].dim
                mi = MatrixInput(name, seq, feat, v.bound, node=node, row_bound=v.row_bound)
                self.inputs[f"%{node}"] = mi
                self.inputs[name] = mi
            return _Val(v.legs, "t", A.source_form(mi.row()))
        return v

    def new_nonlinear(self, function: str, arg: Form, node: int) -> Nonlinear:
        poly = None if self.policy is None else self.policy(function, arg, node)
        nl = Nonlinear(function, arg, node, poly)
        self.nonlinear.append(nl)
        return nl

    def end_stage(self, form: Form, rows: str, glue, seq: int = 1) -> None:
        f = A.instantiate(form, self.token) if rows == "one" else form
        self.stages.append(Stage(len(self.stages), f, rows, glue, seq))

    # -- main loop
    def run(self) -> QuantumIR:
        out_dim = 0
        for node, op in self.graph.nodes():
            if node in self.prep_nodes:
                self.vals[node] = self.prep(node, op)
                continue
            handler = getattr(self, "op_" + op.opname, None)
            if handler is None:
                self.fail(op, f"lowering of '{op.opname}' to circuits is not implemented yet")
            result = handler(node, op)
            if result is not None:
                self.vals[node] = result
            if op.opname == "select_token":
                out_dim = result.form.dim if result is not None else 0
        return QuantumIR(self.model.name, self.token, self.stages, _unique_inputs(self.inputs),
                         nonlinear_sources(self.stages), out_dim, self.method)

    # -- input preparation
    def prep(self, node, op) -> _Val:
        """An input-preparation value with bounds of its Frobenius norm and of every row's
        norm: a float input's declared ``‖X‖_F ≤ B`` bounds both; ``embed`` rows are table
        rows (``≤`` the largest row norm ``r``, ``‖X‖_F ≤ √seq·r``); ``positions`` rows are
        the table's first ``seq`` rows; a ``posenc`` row has ``⌊d/2⌋`` (sin, cos) pairs of
        unit norm and, for odd ``d``, one more entry ``≤ 1`` in magnitude; ``add`` and
        ``scale`` by the triangle inequality and homogeneity, row by row."""
        legs = op.type.legs
        if op.opname == "input":
            if op.kind == "float":
                return _Val(legs, "t", prep=True, bound=float(op.bound),
                            row_bound=float(op.bound if op.row_bound is None else op.row_bound))
            return _Val(legs, "t", prep=True, bound=0.0)
        if op.opname == "posenc":
            from qcompile.reference.kernels import posenc_norm

            return _Val(legs, "t", prep=True, bound=posenc_norm(op.seq, op.features),
                        row_bound=float(np.sqrt((op.features + 1) // 2)))
        if op.opname == "embed":
            e = self.weight(op.weight)
            seq = legs[0].dim
            r = max_row_norm(e)
            return _Val(legs, "t", prep=True, bound=float(np.sqrt(seq) * r), row_bound=float(r))
        if op.opname == "positions":
            table = self.weight(op.weight)
            return _Val(legs, "t", prep=True, bound=rows_norm(table, op.seq), row_bound=max_row_norm(table, op.seq))
        if op.opname == "add":
            a, b = (self.vals[i] for i in op.inputs)
            return _Val(legs, "t", prep=True, bound=a.bound + b.bound, row_bound=a.row_bound + b.row_bound)
        if op.opname == "scale":
            v, k = self.vals[op.inputs[0]], abs(op.factor)
            return _Val(legs, "t", prep=True, bound=k * v.bound, row_bound=k * v.row_bound)
        raise AssertionError(op.opname)  # pragma: no cover

    # -- linear ops
    def op_linear(self, node, op):
        v = self.row_form(op.inputs[0], op)
        self.check_plain_row(op, v, allow_pending=True)
        rows = slice(op.row_start, op.row_start + op.out_features)
        w = self.weight(op.weight, rows)
        batch = _prod(v.other[:-1])
        m = self.la.kron_eye(batch, w)
        form = A.apply_dense(m, v.form, self.method, op.weight)
        if op.bias is not None:
            b = self.weight(op.bias, rows)
            form = A.add(form, A.const_form(self.la.tile(b, batch)))
        pending = None
        if v.pending is not None:
            pending = replace(v.pending, over=A.apply_dense(m, v.pending.over, self.method, op.weight))
        return _Val(op.type.legs, v.row, form, pending)

    def op_add(self, node, op):
        a, b = (self.row_form(i, op) for i in op.inputs)
        if a.row != b.row:
            self.fail(op, "adding a per-token value to an all-token value is not supported yet")
        pa, pb = a.pending, b.pending
        if pa is not None and pb is not None and pa.node != pb.node:
            self.fail(op, "adding two differently normalised softmax results is not supported yet")
        pending = pa or pb
        if pa is not None and pb is not None:
            pending = replace(pa, over=A.add(pa.over, pb.over))
        self.check_mask(op, a, b)
        return _Val(op.type.legs, a.row, A.add(a.form, b.form), pending)

    def op_scale(self, node, op):
        v = self.row_form(op.inputs[0], op)
        pending = None if v.pending is None else replace(v.pending, over=A.scale(v.pending.over, op.factor))
        return _Val(op.type.legs, v.row, A.scale(v.form, op.factor), pending, v.masked)

    def op_split_heads(self, node, op):
        v = self.row_form(op.inputs[0], op)
        if len(v.legs) != 2 or v.row != v.names[0]:
            self.fail(op, f"split_heads of a value of shape {list(v.names)} is not supported yet")
        return _Val(op.type.legs, v.row, v.form, v.pending)

    def op_merge_heads(self, node, op):
        v = self.row_form(op.inputs[0], op)
        if len(v.legs) != 3 or v.row != v.names[1]:
            self.fail(op, f"merge_heads of a value of shape {list(v.names)} is not supported yet")
        return _Val(op.type.legs, v.row, v.form, v.pending)

    def op_transpose(self, node, op):
        v = self.row_form(op.inputs[0], op)
        renames = dict(op.rename)
        old_other = [leg.name for leg in v.other]
        new_legs = op.type.legs
        row = renames.get(v.row, v.row) if v.row is not None else None
        new_other = [v.legs[i].name for i in op.perm if v.legs[i].name != v.row]
        form = v.form
        if new_other != old_other:
            perm = [old_other.index(n) for n in new_other]
            dims = [leg.dim for leg in v.other]
            size = _prod(v.other)
            idx = np.arange(size).reshape(dims).transpose(perm).reshape(-1)
            form = A.apply_dense(self.la.permutation(idx), form, self.method, "transpose")
            if v.pending is not None:
                self.fail(op, "transposing a softmax result is not supported yet")
        return _Val(new_legs, row, form, v.pending, v.masked)

    def op_causal_mask(self, node, op):
        v = self.row_form(op.inputs[0], op)
        return _Val(op.type.legs, v.row, v.form, v.pending, masked=True)

    # -- attention
    def op_matmul(self, node, op):
        a = self.row_form(op.inputs[0], op)
        b = self.row_form(op.inputs[1], op)
        if b.pending is not None or b.masked or a.masked:
            self.fail(op, "this matmul pattern is not supported yet")
        if a.row is None or a.row != a.names[-2]:
            self.fail(op, "matmul needs its left operand indexed by the query token")
        batch_legs = a.legs[:-2]
        n_leg, p_leg = b.legs[-2], b.legs[-1]
        batch = _prod(batch_legs)
        if b.row == p_leg.name:
            op_factors = self.rows_operator(op, b, batch, contract="features")
        elif b.row == n_leg.name:
            op_factors = self.rows_operator(op, b, batch, contract="rows")
        else:
            self.fail(op, "matmul with a value that is not indexed by tokens is not supported yet")
        form = _apply_operator(op_factors, a.form)
        pending = None
        if a.pending is not None:
            pending = replace(a.pending, over=_apply_operator(op_factors, a.pending.over))
        return _Val(op.type.legs, a.row, form, pending)

    def rows_operator(self, op, b: _Val, batch: int, contract: str):
        """The linear map a row vector goes through when multiplied by the all-token value
        ``b`` (rows ``b_s = Σ_k c_k M_k x_s + c``): a list of ``(coeff, factors)``.

        ``contract="features"`` (scores, ``out[β,s] = Σ_n a[β,n] b_s[β,n]``):
        ``(I_B ⊗ X)·G`` with ``G[(β,i),(β,n)] = M[(β,n), i]``.
        ``contract="rows"`` (values, ``out[β,k] = Σ_s a[β,s] b_s[β,k]``):
        ``H·(I_B ⊗ Xᵀ)`` with ``H[(β,k),(β,i)] = M[(β,k), i]``.
        """
        other = b.other
        inner = _prod(other) // batch          # n (features) or k (value features)
        out = []
        for t in normal_form(b.form, self.method):
            if t.factors and isinstance(t.factors[0], Rotary):
                out.append(self.rotary_keys(op, b, t, batch, inner, contract))
                continue
            if isinstance(t.source, Const) and not t.factors:
                seq = b.legs[[leg.name for leg in b.legs].index(b.row)].dim
                blocks = self.la.bias_blocks(t.source.vector, t.coeff, batch, inner, seq,
                                             features=contract == "features")
                out.append((1.0, (Dense(self.la.block_diag(blocks), self.method, "bias"),)))
                continue
            ok = isinstance(t.source, InputRow) and t.source.token == ROW and \
                all(isinstance(f, Dense) for f in t.factors) and len(t.factors) <= 1
            if not ok:
                self.fail(op, "attention over keys/values that are not linear in a loaded "
                              "matrix (e.g. a second stacked layer) is not implemented yet")
            mi = self.inputs[t.source.name]
            m = t.factors[0].matrix if t.factors else self.la.eye(t.source.dim)
            d = m.shape[1]
            blocks = self.la.head_blocks(m, batch, inner)
            x = mi.matrix(contract != "features", batch)
            # with heads, X's block encoding acts on blocks padded to x.block: pad d (and
            # seq) into them and back with fixed maps (identities when they fit exactly)
            pad_d = self.la.pad_blocks(batch, d, x.block) if x.block else None
            pad_s = self.la.pad_blocks(batch, mi.seq, x.block) if x.block and mi.seq != x.block else None
            if contract == "features":
                g = self.la.block_diag([blk.T for blk in blocks])   # (B·d) × (B·n)
                if pad_d is not None and d != x.block:
                    g = pad_d @ g
                if batch > 1 and d == batch * inner and is_diagonal(m):
                    # per-head keys (QK-norm): head β's block of g is M's rows of head β, nonzero
                    # only in group β of the features (M diagonal)
                    g = mark_aligned(g, batch, inner)
                factors = (x, Dense(g, self.method, "keys"))
                if pad_s is not None:
                    factors = (Dense(mark_unpad(pad_s.T), self.method, "unpad"),) + factors
            else:
                h = self.la.block_diag(blocks)                       # (B·k) × (B·d)
                if pad_d is not None and d != x.block:
                    h = h @ pad_d.T
                factors = (Dense(h, self.method, "values"), x)
                if pad_s is not None:
                    factors = factors + (Dense(pad_s, self.method, "pad"),)
            out.append((t.coeff, factors))
            if d != mi.features:
                raise InternalError(f"keys of width {d} read a matrix input of width {mi.features}")
        return out

    def rotary_keys(self, op, b: _Val, t: Term, batch: int, inner: int, contract: str):
        """A scores term whose keys went through a rotary embedding, ``R_s (M x_s + c)``:
        ``(coeff, factors)`` of the map ``a ↦ (x_sᵀ Mᵀ R_sᵀ a)_s`` (:class:`RotaryKeys`,
        the query side first put into the paired layout ``E``) or, for the constant part,
        the fixed blocks with rows ``R_s c``."""
        rot = t.factors[0]
        if contract != "features" or rot.heads != batch or rot.head_dim != inner:
            self.fail(op, "rotary embeddings of attention values are not supported")
        seq = b.legs[[leg.name for leg in b.legs].index(b.row)].dim
        rest = t.factors[1:]
        if isinstance(t.source, Const) and not rest:
            blocks = self.la.rotary_bias_blocks(t.source.vector, t.coeff, batch, inner, seq, rot)
            return (1.0, (Dense(self.la.block_diag(blocks), self.method, "rotary bias"),))
        if not (isinstance(t.source, InputRow) and t.source.token == ROW and len(rest) <= 1
                and all(isinstance(f, Dense) for f in rest)):
            self.fail(op, "rotary keys that are not linear in a loaded matrix are not implemented yet")
        mi = self.inputs[t.source.name]
        m = rest[0].matrix if rest else self.la.eye(t.source.dim)
        d, block = m.shape[1], mi.block
        x = InputMatrix(mi.name, mi.seq, mi.features, mi.bound, False, batch, block,   # padded blocks even for one head
                        mi.row_bound)
        g = self.la.block_diag([blk.T for blk in self.la.head_blocks(m, batch, inner)])   # (B·d) × (B·n)
        pair = self.la.paired_layout(batch, inner, block)                                  # (B·block) × (B·n)
        keys = self.la.pad_blocks(batch, d, block) @ g @ pair.T
        factors = (RotaryKeys(x, Dense(keys, self.method, "keys"), rot), Dense(pair, self.method, "pair"))
        if seq != block:
            factors = (Dense(self.la.pad_blocks(batch, seq, block).T, self.method, "unpad"),) + factors
        if d != mi.features:
            raise InternalError(f"keys of width {d} read a matrix input of width {mi.features}")
        return (t.coeff, factors)

    def op_pair_difference(self, node, op):
        """Gaussian attention's arguments ``a[h, s] = q[h] − k_s[h]`` of the row's token:
        ``q`` copied to every key (``I_H ⊗ 1_seq``, a fixed map), minus the keys
        ``(I_H ⊗ X)·G·1_H``: the scores' map of :meth:`rows_operator` with one feature per
        head, applied to the constant all-ones query."""
        q = self.row_form(op.inputs[0], op)
        k = self.row_form(op.inputs[1], op)
        self.check_plain_row(op, q)
        if k.row != "t" or k.pending is not None or k.masked:
            self.fail(op, "pair_difference needs keys indexed by token")
        heads, seq = op.type.legs[0].dim, op.type.legs[2].dim
        spread = A.apply_dense(self.la.kron_eye(heads, np.ones((seq, 1))), q.form, self.method, "spread")
        keys = _apply_operator(self.rows_operator(op, k, heads, contract="features"),
                               A.const_form(np.ones(heads)))
        return _Val(op.type.legs, "t", A.add(spread, A.scale(keys, -1.0)))

    def op_softmax(self, node, op):
        v = self.row_form(op.inputs[0], op)
        self.check_plain_row(op, v, allow_mask=True)
        if op.leg != v.names[-1]:
            self.fail(op, "softmax over a leg other than the last is not supported yet")
        batch = _prod(v.other[:-1])
        size = v.legs[-1].dim
        if size == 2 and op.function == "exp" and not v.masked and not _reads_key_rows(v.form):
            # a softmax over two entries of one token's own values (a binary head) is σ of
            # their difference, exactly: one elementwise sigmoid of D·v with
            # D = I ⊗ [[1, −1], [−1, 1]], no normalisation point (sup σ < 1).  Attention
            # scores over two keys keep exp and their row-wise diagonal (fewer qubits there).
            pair = self.la.pair_difference(batch)
            nl = self.new_nonlinear("sigmoid", A.apply_dense(pair, v.form, self.method, "pair"), node)
            return _Val(op.type.legs, v.row, A.source_form(nl))
        nl = self.new_nonlinear(op.function, v.form, node)
        e = A.source_form(nl)
        if v.masked:
            mask = (np.arange(size) <= self.token).astype(float)
            e = A.apply_dense(self.la.kron_eye(batch, self.la.diag(mask)), e, self.method, "causal")
        if node in self.eliminable and batch == 1:
            return _Val(op.type.legs, v.row, Form(e.dim, ()), _Pending(e, e, node))
        name = f"softmax%{node}"
        self.end_stage(e, "one", BlockSum(name, node, blocks=batch))
        src = StageInput(name, e.dim, float(np.sqrt(batch)), len(self.stages) - 1)
        return _Val(op.type.legs, v.row, A.source_form(src))

    # -- normalisation points and nonlinearities
    def op_layernorm(self, node, op):
        return self._normalise(node, op, centre=True, bias=self.weight(op.bias))

    def op_rmsnorm(self, node, op):
        return self._normalise(node, op, centre=False, bias=None)

    def _normalise(self, node, op, centre: bool, bias):
        """Layer norm (``centre``: ``c = (I − 11ᵀ/d) u``) or RMS norm (``c = u``): the stage
        ends with ``c`` (beside the softmax sum ``Z`` when its normaliser was eliminated),
        its glue computes ``c/√(‖c‖² + d·eps)``, and the next stage applies ``√d·diag(γ)``
        and ``β``.  Every row at once when attention reads the result for every token.  Over
        a value with heads (QK-norm: ``[h, t, k]``) each head's block is normalised on its
        own (``groups = h``) and ``γ``, ``β`` apply per head."""
        v = self.row_form(op.inputs[0], op)
        groups, d = _prod(v.other[:-1]), v.other[-1].dim
        if groups > 1 and v.pending is not None:
            self.fail(op, f"{op.opname} per head of an attention output is not supported yet")
        u = v.form
        if v.pending is not None:
            u = A.add(_times_sum(v.form, v.pending.e, self.la, self.method), v.pending.over)
        centered = A.apply_dense(self.la.kron_eye(groups, self.la.centering(d)), u, self.method,
                                 "center") if centre else u
        scaled = v.pending is not None
        if scaled:  # read Z out beside Z·c so the glue can apply eps exactly
            centered = A.add(A.apply_dense(self.la.embed_top(d), centered, self.method, "embed"),
                             A.apply_dense(self.la.unit_column(d + 1, d),
                                           _sum_form(v.pending.e, self.la, self.method), self.method, "Z"))
        gamma = self.la.kron_eye(groups, self.la.diag(self.weight(op.weight), np.sqrt(d)))
        if bias is not None and groups > 1:
            bias = self.la.tile(bias, groups)
        name = f"ln%{node}"
        if node in self.all_rows:
            if not A.is_row_generic(centered):
                self.fail(op, f"attention reads this {op.opname} for every token, but its input is not "
                              "linear in a loaded matrix; that is not implemented yet")
            seq = v.legs[v.names.index(v.row)].dim
            glue = NormalizeRows(name, node, rows=seq, eps=op.eps, width=groups * d, groups=groups)
            self.end_stage(centered, "all", glue, seq)
            # each group of a row is c/√(‖c‖² + d·eps), norm < 1 (= 1 with eps = 0): row norm ≤ √groups
            mi = MatrixInput(name, seq, groups * d, float(np.sqrt(seq * groups)), stage=len(self.stages) - 1,
                             row_bound=float(np.sqrt(groups)), groups=groups, group_bound=1.0)
            self.inputs[name] = mi
            src = mi.row()
        else:
            glue = NormalizeScaled(name, node, eps=op.eps) if scaled else Normalize(name, node, eps=op.eps,
                                                                                     groups=groups)
            self.end_stage(centered, "one", glue)
            src = StageInput(name, groups * d, float(np.sqrt(groups)), len(self.stages) - 1,
                             groups if not scaled else 1, 1.0 if not scaled else None)
        form = A.apply_dense(gamma, A.source_form(src), self.method, op.weight)
        if bias is not None:
            form = A.add(form, A.const_form(bias))
        return _Val(op.type.legs, v.row, form)

    def op_mul(self, node, op):
        """``a ∘ b = diag(a)·b``: a diagonal factor built from ``a``'s form."""
        a, b = (self.row_form(i, op) for i in op.inputs)
        for v in (a, b):
            self.check_plain_row(op, v)
        return _Val(op.type.legs, a.row, A.apply_factor(Diagonal(a.form), b.form))

    def op_repeat_heads(self, node, op):
        """Grouped-query attention: each group's block copied to its heads (a fixed map)."""
        v = self.row_form(op.inputs[0], op)
        if v.pending is not None or v.masked:
            self.fail(op, "repeat_heads of a softmax result is not supported yet")
        groups, inner = v.legs[0].dim, _prod(v.other) // v.legs[0].dim
        r = Dense(self.la.repeat_blocks(groups, op.times, inner), self.method, "repeat")
        terms = []
        for t in v.form.terms:   # R (per head) commutes with copying heads: keep it outermost
            if t.factors and isinstance(t.factors[0], Rotary):
                rot = replace(t.factors[0], heads=t.factors[0].heads * op.times)
                terms.append(Term(t.coeff, (rot, r) + t.factors[1:], t.source))
            else:
                terms.append(Term(t.coeff, (r,) + t.factors, t.source))
        return _Val(op.type.legs, v.row, Form(r.shape[0], tuple(terms)))

    def op_rope(self, node, op):
        """Rotary embedding: a :class:`Rotary` factor of the row's own token (the selected
        token's fixed rotation in a one-row stage; inside :class:`RotaryKeys` for keys)."""
        v = self.row_form(op.inputs[0], op)
        self.check_plain_row(op, v)
        if v.names[-2] != v.row:
            self.fail(op, "rope over a leg other than the token leg is not supported")
        heads, head_dim = _prod(v.other[:-1]), v.other[-1].dim
        rot = Rotary(float(op.base), heads, head_dim, self.method, self.la.abstract)
        return _Val(op.type.legs, v.row, A.apply_factor(rot, v.form))

    def op_elementwise(self, node, op):
        v = self.row_form(op.inputs[0], op)
        self.check_plain_row(op, v)
        return _Val(op.type.legs, v.row, A.source_form(self.new_nonlinear(op.function, v.form, node)))

    def op_select_token(self, node, op):
        v = self.row_form(op.inputs[0], op)
        if op.token == "all":
            raise NotImplementedYetError("compiling the output of every token (token = all) is not "
                                         "implemented yet; select one token", op.loc)
        self.check_plain_row(op, v)
        self.end_stage(v.form, "one", None)
        return v

    # -- checks
    def check_plain_row(self, op, v: _Val, allow_pending: bool = False, allow_mask: bool = False):
        if v.row is None or v.row != "t":
            self.fail(op, f"{op.printed_name} of a value not indexed by the query token is not supported yet")
        if v.pending is not None and not allow_pending:
            raise InternalError(f"softmax normaliser of %{v.pending.node} reached {op.printed_name} ({op.loc})")
        if v.masked and not allow_mask:
            self.fail(op, f"{op.printed_name} of masked scores is not supported")

    def check_mask(self, op, *vals):
        if any(v.masked for v in vals):
            self.fail(op, "arithmetic on masked scores is not supported")


def _apply_operator(op_factors, form: Form) -> Form:
    parts = []
    for coeff, factors in op_factors:
        f = form
        for fac in reversed(factors):
            f = A.apply_factor(fac, f)
        parts.append(A.scale(f, coeff))
    return A.add(*parts)


def rows_norm(table, rows: int) -> float:
    """‖table[:rows]‖_F (for an abstract table its Frobenius norm, which bounds it)."""
    if is_abstract(table):
        return float(table.frobenius)
    return float(np.linalg.norm(np.asarray(table, dtype=np.float64)[:rows]))


def max_row_norm(e, rows: int | None = None) -> float:
    """The largest row norm of an embedding table (of its first ``rows`` rows; for an
    abstract table its declared value, or its spectral norm, which bounds every row norm)."""
    if is_abstract(e):
        return float(getattr(e, "max_row_norm", None) or e.spectral)
    e = np.asarray(e, dtype=np.float64)
    return float(np.linalg.norm(e if rows is None else e[:rows], axis=1).max())


def _times_sum(form: Form, e: Form, la: LinearAlgebra, method: str) -> Form:
    """``form · (1ᵀ e)`` as a form in the sources of ``e``: each term ``C s`` becomes
    ``Σ_e C · (s wₑᵀ) · srcₑ`` with ``wₑ = coeffₑ · Dₑᵀ 1`` (``e = Σ coeffₑ Dₑ srcₑ``)."""
    terms = []
    for et in normal_form(e, method):
        if len(et.factors) > 1 or (et.factors and not isinstance(et.factors[0], Dense)):
            raise InternalError("unexpected softmax numerator form")
        w = la.sum_of_columns_map(et.factors[0].matrix if et.factors else la.eye(et.dim), et.coeff)
        for t in form.terms:
            if isinstance(t.source, Const):
                fac = Dense(la.outer(t.source.vector, w), method, "bias·1ᵀ")
            else:
                fac = RankOne(t.source, w)
            chain = t.factors + (fac,)
            f = A.source_form(et.source, t.coeff)
            for factor in reversed(chain):
                f = A.apply_factor(factor, f)
            terms.append(f)
    return A.add(*terms) if terms else Form(form.dim, ())


def _sum_form(e: Form, la: LinearAlgebra, method: str) -> Form:
    """The 1-entry form ``1ᵀ e``."""
    return A.apply_dense(la.ones_row(e.dim), e, method, "sum")


def _prep_nodes(graph) -> set[int]:
    """Nodes computed classically as input preparation: inputs, embed, posenc, and sums
    and scalings of those (only when a token/text input or posenc is involved; a plain
    float input is loaded as it is)."""
    prep: set[int] = set()
    for node, op in graph.nodes():
        if op.opname in ("input", "embed", "posenc", "positions"):
            prep.add(node)
        elif op.opname in ("add", "scale") and all(i in prep for i in op.inputs):
            prep.add(node)
    return prep


def _read_for_every_token(graph) -> set[int]:
    """The normalisation nodes attention reads for every token (its keys or values): those
    reached from a matmul's right operand through ops linear in each row.  Their stages
    compute every row at once; any other normalisation computes the selected row only."""
    through = {"linear", "split_heads", "merge_heads", "transpose", "repeat_heads", "scale", "add", "rope"}
    stack = [op.inputs[1] for _, op in graph.nodes() if op.opname in ALL_TOKEN_OPERAND_OPS]
    seen: set[int] = set()
    out: set[int] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        op = graph.op(n)
        if op.opname in ("layernorm", "rmsnorm"):
            out.add(n)
        elif op.opname in through:
            stack.extend(op.inputs)
    return out


def _reads_key_rows(form: Form) -> bool:
    """True when a term of ``form`` multiplies a loaded matrix (attention scores: the keys'
    rows, plain or rotary), not only the token's own values."""
    return any(f.kind in ("input_matrix", "rotary_keys") for t in form.terms for f in t.factors)


def _unique_inputs(inputs: dict) -> dict[str, MatrixInput]:
    return {mi.name: mi for mi in inputs.values()}


def softmax_eliminable(graph) -> set[int]:
    """Softmax nodes whose normalisation can be eliminated: every path from the softmax
    goes through linear ops (matmul as left operand, linear, add, scale, merge_heads,
    transpose) into one and the same layer norm (a scale-invariant consumer)."""
    linear_ops = {"matmul", "linear", "add", "scale", "merge_heads", "split_heads"}
    out = set()
    for node in graph.find("softmax"):
        frontier, targets, ok = [node], set(), True
        seen = set()
        while frontier and ok:
            n = frontier.pop()
            for u in graph.users(n):
                if u in seen:
                    continue
                seen.add(u)
                op = graph.op(u)
                if op.opname in ("layernorm", "rmsnorm"):
                    targets.add(u)
                elif op.opname in linear_ops and not (op.opname == "matmul" and op.inputs[0] != n):
                    frontier.append(u)
                else:
                    ok = False
        if ok and len(targets) == 1:
            out.add(node)
    return out


def lower(model, token: int, policy: PolicyFn | None = None, la: LinearAlgebra | None = None, weights=None,
          method: str = "dilation") -> QuantumIR:
    """Lower ``model`` (desugared tensor IR) for the selected ``token`` into stages of
    linear forms; ``policy(function, argument_form, node)`` chooses each nonlinearity's
    polynomial record (see :mod:`qcompile.lowering.polynomials`; None: none chosen, the
    ``select-polynomials`` pass chooses them).  Dense factors are block-encoded with
    ``method`` (:data:`~qcompile.qir.nodes.DENSE_METHODS`).

    ``la`` and ``weights``: by default concrete NumPy matrices from ``model.weights``; for
    resource estimation an :class:`~qcompile.qir.linalg.AbstractLinearAlgebra` and a
    mapping of weight names to abstract matrices/vectors (shapes and norms only)."""
    low = _Lowerer(model, token, policy, softmax_eliminable(model.ir), la, weights, method)
    return low.run()
