"""Resource estimates of a lowered program, from the quantum IR alone.

:class:`Estimator` walks a :class:`~qcompile.lowering.symbolic.Lowered` program exactly as
:class:`~qcompile.lowering.circuits.StageBuilder` builds its circuits — term by term,
factor by factor, one LCU per form, one QSVT per nonlinear source — but combines gate
*counts* (:mod:`qcompile.resources.counts`) instead of gates, so its cost does not grow with
the circuit.  Every count is a function of sizes, degrees and phases except the dense
dilation's (Qiskit's QSD of the matrix's unitary dilation), which depends on the entries:
:func:`~qcompile.resources.counts.dilation_cost` gives a generic count, an upper bound.
Over concrete weights (compiled mode) :func:`qcompile.resources.api.estimate` passes
``dense_cost=synthesised_dense_cost`` instead: each distinct matrix's block encoding is
synthesised once, as the compiler builds it, and its own counts and global phase enter the
walk, so every stage's qubits, CX and gates by name equal the built -O0 circuit's (the
tests check this on every example and at several sizes).  Over abstract weights the
generic count stays, and the counts are upper bounds.

Per stage it reports qubits (system/output, ancillas), gates by name, CX, the CX + 1q
lowering of multi-controlled gates (rotations, T gates), a depth bound, ``log10 α``, the
calls made to each loader and weight block encoding, and each nonlinearity's degree.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from qcompile.errors import InternalError, NotImplementedYetError
from qcompile.lowering.circuits import parameter_name, source_branches
from qcompile.lowering.polynomials import qubits_for
from qcompile.qir.linalg import fingerprint, is_abstract, vector_norm
from qcompile.qir.nodes import ROW
from qcompile.qir.visitor import FormVisitor
from qcompile.resources import counts as C
from qcompile.resources.gates import lowered_gate

LOG10 = math.log(10.0)

#: gates of the CX + 1q basis that are arbitrary-angle rotations (synthesised approximately
#: in a fault-tolerant gate set)
ROTATIONS = ("rz", "ry", "rx", "p")


@dataclass
class Node:
    """An estimated block: its counts, ``ln α`` and the calls it makes to named blocks."""

    cost: "C.BlockCost"
    log_alpha: float
    calls: Counter = field(default_factory=Counter)


def basis_counts(counts: "C.GateCounts") -> dict[str, int]:
    """Gates by name after lowering every multi-controlled gate to CX + 1q."""
    out: Counter = Counter()
    for (name, width, _free), n in counts.items():
        if name.startswith("mc") and width > 1:
            for sub, k in lowered_gate(name, width):
                out[sub] += n * k
        else:
            out[name] += n
    return dict(sorted(out.items()))


def _logsumexp(values) -> float:
    values = [v for v in values if v != -math.inf]
    if not values:
        return -math.inf
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


class Estimator(FormVisitor):
    """Estimates the stage circuits of one quantum IR (see the module docstring): a
    :class:`~qcompile.qir.visitor.FormVisitor` over :class:`Node` values that mirrors
    :class:`~qcompile.lowering.circuits.StageBuilder` rule for rule.

    ``dense_cost(factor) -> BlockCost`` replaces the dense blocks' cost formula:
    :func:`synthesised_dense_cost` (what :func:`qcompile.resources.api.estimate` passes in
    compiled mode with the dilation) makes the walk exact at -O0; without it a dilation is
    costed by the generic :func:`~qcompile.resources.counts.dilation_cost` (an upper
    bound) and FABLE by its formula with the matrix's compression mask (exact for a
    concrete matrix).  Each dense factor is costed with its own method.
    """

    def __init__(self, lowered, dense_cost=None):
        super().__init__()
        self.lowered = lowered
        self.dense_cost = dense_cost
        #: the row register of the all-rows stage being estimated (Stage.row_qubits)
        self.row_qubits = 0

    # ---- sources --------------------------------------------------------------------
    def input_row(self, src, token: int, seq: int | None) -> Node:
        """A row's loader, or every row's (``StageBuilder.input_row``)."""
        tok = src.token if src.token != ROW else token
        cost = C.input_row_cost(src.seq, src.features, None if tok == ROW else tok)
        if tok == ROW:   # the row register widened to the stage's (StageBuilder._row_register)
            cost = C.pad_system_cost(cost, self.row_qubits + qubits_for(src.seq))
        what = parameter_name(src.name) if tok == ROW else f"{parameter_name(src.name)} row {tok}"
        alpha = src.bound if tok == ROW else src.at(tok).alpha   # one row: the row bound
        return Node(cost, _log(alpha), Counter({f"load {what}": 1}))

    def const(self, src, token: int, seq: int | None) -> Node:
        """A fixed state preparation (spread over the token register in an all-rows stage)."""
        if token == ROW:
            cost = C.pad_system_cost(C.const_cost(src.dim, seq), self.row_qubits + qubits_for(seq))
            return Node(cost, _log(src.alpha) + 0.5 * math.log(seq))
        return Node(C.const_cost(src.dim, None), _log(src.alpha))

    def stage_input(self, src, token: int, seq: int | None) -> Node:
        """A stage vector's parametric loader."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages reading a stage vector are not implemented yet")
        cost = C.state_preparation_cost(src.dim, parametric=True)
        return Node(cost, _log(src.bound), Counter({f"load {parameter_name(src.name)}": 1}))

    def nonlinear(self, src, token: int, seq: int | None) -> Node:
        """QSVT of the argument's diagonal encoding (``StageBuilder.nonlinear``)."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages with nonlinearities are not implemented yet")
        from qcompile.lowering.circuits import joins_constant
        from qcompile.qir.scores import uses_rows

        poly = src.polynomial
        degree, parity, other = _degrees(poly)
        rows = uses_rows(src.argument)
        if getattr(poly, "shift", 0.0) or (not rows and joins_constant(src.argument, token)):
            arg = self.shifted_argument_diagonal(src.argument, token, seq)
            cost = C.elementwise_of_diagonal_cost(arg.cost, degree, parity, other)
        elif rows:
            arg = self.argument_diagonal(src.argument, token, seq)
            cost = C.elementwise_of_diagonal_cost(arg.cost, degree, parity, other)
        else:
            arg = self.form(src.argument, token, seq)
            cost = C.elementwise_cost(C.narrowed_cost(arg.cost, qubits_for(src.argument.dim)), degree, parity, other)
        log_a = getattr(poly, "log_alpha", None)
        if log_a is None:
            log_a = math.log(poly.alpha)
        calls = Counter({k: v * degree for k, v in arg.calls.items()})
        calls[f"qsvt {src.function} %{src.node} (degree {degree})"] += 1
        return Node(cost, log_a, calls)

    def shifted_argument_diagonal(self, form, token: int, seq: int | None) -> Node:
        """The shifted diagonal of a nonlinearity's argument
        (``StageBuilder.shifted_argument_diagonal``); ``log_alpha`` unused."""
        from qcompile.lowering.circuits import folded_flags, split_constants
        from qcompile.qir.nodes import Form
        from qcompile.qir.scores import uses_rows

        n = qubits_for(form.dim)
        rest, constants = split_constants(form, token)
        if uses_rows(form):
            terms = tuple(t for _, ts in rest for t in ts)
            costs, signs, calls = self.argument_diagonal_terms(Form(form.dim, terms), token, seq) if terms \
                else ([], [], Counter())
            return Node(C.lcu_cost(costs + [C.constant_diagonal_cost(n)], signs + [1]), 0.0, calls)
        fold = folded_flags(rest)
        nodes = self.branch_nodes(rest, token, seq, fold)
        signs = [1 if c > 0 else -1 for c, _ in rest]
        cost = C.shifted_diagonal_cost([nd.cost for nd in nodes], signs, n, bool(constants), fold is not None)
        return Node(cost, 0.0, sum((nd.calls for nd in nodes), Counter()))

    def argument_diagonal(self, form, token: int, seq: int | None) -> Node:
        """The term-by-term diagonal of a nonlinearity's argument
        (``StageBuilder.argument_diagonal``); ``log_alpha`` unused (the polynomial's)."""
        costs, signs, calls = self.argument_diagonal_terms(form, token, seq)
        if len(costs) == 1:
            cost = C.negate_cost(costs[0]) if signs[0] < 0 else costs[0]
        else:
            cost = C.lcu_cost(costs, signs)
        return Node(cost, 0.0, calls)

    def argument_diagonal_terms(self, form, token: int, seq: int | None) -> tuple[list, list, Counter]:
        """``(costs, signs, calls)`` of :meth:`argument_diagonal`'s terms."""
        from qcompile.qir.nodes import Form, Term
        from qcompile.qir.scores import row_plan

        costs, calls, signs = [], Counter(), []
        n = qubits_for(form.dim)
        for t in form.terms:
            plan = row_plan(t)
            if plan is None:
                node = self.form(Form(form.dim, (Term(1.0, t.factors, t.source),)), token, seq)
                costs.append(C.diagonal_cost(C.narrowed_cost(node.cost, n)))
            else:
                node = self.row_diagonal(t, plan, token, seq)
                costs.append(node.cost)
            calls += node.calls
            signs.append(1 if t.coeff > 0 else -1)
        return costs, signs, calls

    def row_diagonal(self, t, plan, token: int, seq: int | None) -> Node:
        """One scores term's row-wise diagonal (``StageBuilder.row_diagonal_block``)."""
        from qcompile.qir.nodes import Form, Term

        factors = t.factors[1:] if plan.unpad else t.factors
        x, rest = factors[0], factors[1:]
        rope = x if plan.kind == "rotary" else None
        x = rope.matrix if rope is not None else x
        if x.batch > 1:
            n_s, n_b = (x.block - 1).bit_length(), (x.batch - 1).bit_length()
        else:
            n_s, n_b = qubits_for(x.seq), 0
        name = parameter_name(x.name)
        if plan.kind in ("plain", "rotary"):
            n_c = n_s if x.batch > 1 else qubits_for(x.features)
            u_dim = rest[0].shape[0] if rest else t.source.dim
            u = self.form(Form(u_dim, (Term(1.0, rest, t.source),)), token, seq)
            state = C.pad_system_cost(C.narrowed_cost(u.cost, qubits_for(u_dim)), n_c + n_b)
            rotary = None
            calls = u.calls + Counter({f"unload rows of {name}": 1})
            if rope is not None:
                keys = self._dense_node(rope.inner)
                rotary = (keys.cost, rope.rotary.head_dim, min(n_s, qubits_for(x.seq)))
                calls += keys.calls + Counter({f"rotate rows of {name} (rotary keys)": 1})
            cost = C.row_diagonal_cost(C.row_loader_cost(n_s, n_c), (n_s, n_b), state=state, rotary=rotary)
        else:
            heads = x.batch
            dk, dq = x.features // heads, t.source.dim // heads
            q_bits, k_cols = (dq - 1).bit_length(), (dk - 1).bit_length()
            chain = [self._dense_node(f) for f in reversed(rest)]
            width = max([q_bits + n_b, n_s + n_b] + [nd.cost.system for nd in chain])
            cost = C.row_diagonal_cost(C.row_loader_cost(n_s + n_b, k_cols), (n_s, n_b),
                                       queries=C.row_loader_cost(n_b, q_bits), chain=[nd.cost for nd in chain],
                                       width=width)
            calls = sum((nd.calls for nd in chain), Counter()) + Counter(
                {f"unload head rows of {name}": 1, f"load heads of {parameter_name(t.source.name)}": 1})
        if plan.unpad:
            n_keep = (x.seq - 1).bit_length()
            cost = C.BlockCost(cost.counts, n_keep + n_b, cost.ancillas + n_s - n_keep, cost.exact, cost.phase)
        return Node(cost, 0.0, calls)

    # ---- factors --------------------------------------------------------------------
    def factor_node(self, f, token: int, seq: int | None) -> Node:
        """The block encoding of factor ``f`` alone (``StageBuilder.factor_block``)."""
        return self.factor(f, _BARE, token, seq)

    def _applied(self, fac: Node, f, state: Node, token: int, seq: int | None) -> Node:
        """The factor's block encoding applied to ``state`` (tensored with the token
        register's identity in an all-rows stage)."""
        if state is _BARE:
            return fac
        if token == ROW:   # on the stage's row register, below the token register
            nt = max(1, math.ceil(math.log2(seq)))
            cost = fac.cost
            if cost.system < self.row_qubits:
                cost = C.tensor_cost(C.identity_block_cost(self.row_qubits - cost.system), cost)
            fac = Node(C.tensor_cost(C.identity_block_cost(nt), cost), fac.log_alpha, fac.calls)
        return Node(C.apply_cost(fac.cost, state.cost), state.log_alpha + fac.log_alpha, state.calls + fac.calls)

    def dense(self, f, state: Node, token: int, seq: int | None) -> Node:
        """A dense block encoding (dilation or FABLE, the factor's method)."""
        return self._applied(self._dense_node(f), f, state, token, seq)

    def _dense_node(self, f) -> Node:
        """The block encoding of dense factor ``f`` alone."""
        rows, cols = f.shape
        if self.dense_cost is not None:
            cost = self.dense_cost(f)
        else:
            cost = C.block_encoding_cost((rows, cols), method=f.method, skip=_fable_skip(f, f.method))
        if f.method == "dilation":
            alpha = f.alpha
        else:  # FABLE: 2^n · max|W|
            alpha = 2 ** qubits_for(max(rows, cols)) * _max_abs(f.matrix)
        return Node(cost, _log(alpha), Counter({f"dense {rows}x{cols} block encoding": 1}))

    def rotary(self, f, state: Node, token: int, seq: int | None) -> Node:
        """A rotary factor left generic (only an all-rows stage keeps one)."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages with rotary embeddings are not implemented yet")
        raise InternalError("a rotary factor reached a one-row stage unbound")

    def rotary_keys(self, f, state: Node, token: int, seq: int | None) -> Node:
        """Scores against rotary keys (``StageBuilder.rotary_keys``): the input block
        encoding with the row-controlled rotations and the keys' block encoding inside."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages with attention scores are not implemented yet")
        keys, x = self._dense_node(f.inner), f.matrix
        cost = C.rotary_keys_cost(x.seq, x.features, x.batch, f.rotary.head_dim, keys.cost)
        calls = keys.calls + Counter({f"load {parameter_name(x.name)} with rotary keys (block encoding)": 1})
        return self._applied(Node(cost, _log(x.bound) + keys.log_alpha, calls), f, state, token, seq)

    def diagonal(self, f, state: Node, token: int, seq: int | None) -> Node:
        """``diag(u)`` by the COPY construction on ``u``'s state (``StageBuilder.diagonal``)."""
        if token == ROW:
            raise NotImplementedYetError("all-row stages with elementwise products are not implemented yet")
        u = self.form(f.form, token, seq)
        fac = Node(C.diagonal_cost(C.narrowed_cost(u.cost, qubits_for(f.form.dim))), u.log_alpha, u.calls)
        return self._applied(fac, f, state, token, seq)

    def input_matrix(self, f, state: Node, token: int, seq: int | None, flag: bool = True) -> Node:
        """A loaded matrix's block encoding (without its norm flag: ``flag=False``)."""
        cost = C.input_matrix_cost(f.seq, f.features, f.batch, f.transpose, flag)
        fac = Node(cost, _log(f.bound), Counter({f"load {parameter_name(f.name)} (block encoding)": 1}))
        return self._applied(fac, f, state, token, seq)

    def rank_one(self, f, state: Node, token: int, seq: int | None) -> Node:
        """``u wᵀ`` from ``u``'s state."""
        u = self.source(f.source, token, seq)
        fac = Node(C.rank_one_cost(u.cost, f.shape[1]), u.log_alpha + _log(vector_norm(f.right)), u.calls)
        return self._applied(fac, f, state, token, seq)

    # ---- forms ------------------------------------------------------------------------
    def form(self, form, token: int, seq: int | None = None) -> Node:
        """A form's state; terms sharing a nonlinear source are one branch
        (``StageBuilder.form``)."""
        branches = source_branches(form, token)
        if branches is None:
            return super().form(form, token, seq)
        return self.combine_nodes([c for c, _ in branches], self.branch_nodes(branches, token, seq))

    def branch_nodes(self, branches, token: int, seq: int | None, fold=None) -> list[Node]:
        """Each ``(coeff, terms)`` branch's node (``StageBuilder.branch_states``, norm flags
        folded as ``fold`` says)."""
        x, powers = fold if fold is not None else (None, [0] * len(branches))
        return [self.term_without_flags(ts[0], x.name, token, seq) if p
                else self.term(ts[0], token, seq) if len(ts) == 1 else self.shared_source(ts, token, seq)
                for (_, ts), p in zip(branches, powers)]

    def shared_source(self, terms: list, token: int, seq: int | None) -> Node:
        """``(Σ c_k F_k)·s`` (``StageBuilder.shared_source``): the source's state, then the
        LCU of the factor chains (products of the factors' block encodings)."""
        state = self.source(terms[0].source, token, seq)
        chains = []
        for t in terms:
            if not t.factors:
                chains.append(Node(C.identity_block_cost(qubits_for(t.source.dim)), 0.0))
                continue
            node = self.factor_node(t.factors[-1], token, seq)
            for f in reversed(t.factors[:-1]):
                fac = self.factor_node(f, token, seq)
                node = Node(C.product_cost(fac.cost, node.cost), fac.log_alpha + node.log_alpha, fac.calls + node.calls)
            chains.append(Node(C.settled_cost(node.cost), node.log_alpha, node.calls))
        n = max(c.cost.system for c in chains)
        costs = [c.cost for c in chains]
        st = state.cost
        if not (all(c.system == n for c in costs) and n >= st.system):
            n = max(n, st.system)
            costs = [C.pad_system_cost(c, n) for c in costs]
            st = C.pad_system_cost(st, n)
        signs = [1 if t.coeff > 0 else -1 for t in terms]
        op = C.lcu_cost(costs, signs)
        log_op = _logsumexp([_log(abs(t.coeff)) + c.log_alpha for t, c in zip(terms, chains)])
        calls = sum((c.calls for c in chains), state.calls)
        return Node(C.apply_cost(op, st), state.log_alpha + log_op, calls)

    def combine(self, form, nodes: list, token: int, seq: int | None = None) -> Node:
        """A form's state: one LCU of its terms (``StageBuilder.combine``)."""
        if not form.terms:
            raise InternalError("a stage computes the zero vector")
        return self.combine_nodes([t.coeff for t in form.terms], nodes)

    def combine_nodes(self, coeffs: list, nodes: list) -> Node:
        """The LCU ``Σ coeffs[k]·nodes[k]`` (``StageBuilder.combine_blocks``)."""
        n = max(nd.cost.system for nd in nodes)
        costs = [C.pad_system_cost(nd.cost, n) for nd in nodes]
        logs = [_log(abs(c)) + nd.log_alpha for c, nd in zip(coeffs, nodes)]
        calls = sum((nd.calls for nd in nodes), Counter())
        if len(nodes) == 1:
            cost = C.negate_cost(costs[0]) if coeffs[0] < 0 else costs[0]
            return Node(cost, logs[0], calls)
        signs = [1 if c > 0 else -1 for c in coeffs]
        return Node(C.lcu_cost(costs, signs), _logsumexp(logs), calls)

    def stage(self, stage) -> Node:
        """The estimated circuit of one stage (``StageBuilder.stage``)."""
        token = ROW if stage.rows == "all" else self.lowered.token
        seq = stage.seq if stage.rows == "all" else None
        self.row_qubits = stage.row_qubits if stage.rows == "all" else 0
        return self.form(stage.form, token, seq)


#: the "state" a factor is applied to when only its block encoding is wanted (:meth:`Estimator.factor_node`)
_BARE = object()

#: synthesised dense block costs, keyed by (method, shape, dtype, digest of the entries);
#: bounded so a long-lived process does not keep every matrix it ever estimated
_SYNTHESISED: dict = {}
_SYNTHESISED_MAX = 4096


def synthesised_dense_cost(f) -> "C.BlockCost":
    """The exact cost of the block encoding the compiler builds for the dense factor ``f``
    (``StageBuilder.dense``: ``block_encoding(f.matrix, method=f.method)``): its circuit's
    gate counts and global phase (:meth:`~qcompile.resources.counts.BlockCost.of`).

    The block is synthesised once per distinct matrix (the dilation is Qiskit's QSD, a
    fraction of a second at compilable sizes; blocks repeated across terms, stages and
    estimates are looked up by a digest of the entries, shape and dtype).  An abstract
    matrix has no entries to synthesise: it gets the generic
    :func:`~qcompile.resources.counts.block_encoding_cost` (an upper bound for the
    dilation).
    """
    m, method = f.matrix, f.method
    if is_abstract(m):
        return C.block_encoding_cost(f.shape, method=method)
    import hashlib

    import numpy as np

    arr = np.asarray(m)
    key = (method, arr.shape, arr.dtype.str, hashlib.sha256(fingerprint(arr)).digest())
    cost = _SYNTHESISED.get(key)
    if cost is None:
        from qcompile.quantum.block_encoding import block_encoding

        cost = C.BlockCost.of(block_encoding(arr, method=method))
        if len(_SYNTHESISED) >= _SYNTHESISED_MAX:
            _SYNTHESISED.pop(next(iter(_SYNTHESISED)))
        _SYNTHESISED[key] = cost
    return cost


def _fable_skip(f, method: str):
    """FABLE's skipped rotations (exactly-zero angles) of a concrete dense factor; None
    (a generic matrix: every rotation kept) for the dilation or an abstract matrix."""
    if method != "fable" or is_abstract(f.matrix):
        return None
    import numpy as np

    from qcompile.quantum.block_encoding import _padded_matrix, fable_angles

    W, n, _ = _padded_matrix(f.matrix)
    phi, _ = fable_angles(W, n)
    return [bool(v) for v in np.abs(phi) <= 0.0]


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _degrees(poly) -> tuple[int, str | None, int | None]:
    """(degree, parity or None, degree of the other-parity part) of a chosen polynomial
    (a :class:`~qcompile.lowering.polynomials.PolynomialChoice`) or an estimate (the
    function's parity, else generic: the other part has degree ``d − 1``)."""
    p_raw = getattr(poly, "p_raw", None)
    d = int(poly.degree)
    if getattr(poly, "shift", 0.0):   # an even polynomial of the shifted variable
        return d, "even", None
    if p_raw is None:
        return d, getattr(poly, "parity", None), None
    if p_raw.definite_parity is not None:
        return d, p_raw.definite_parity, None
    from qcompile.quantum.polynomials import parity_parts

    even, odd = parity_parts(p_raw)
    other = odd.degree if d % 2 == 0 else even.degree
    return d, None, int(other)


def _max_abs(m) -> float:
    if is_abstract(m):
        return float(m.spectral)
    import numpy as np

    return float(np.max(np.abs(m))) if m.size else 0.0
