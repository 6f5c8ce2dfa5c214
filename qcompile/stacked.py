"""Stacked programs: stacked layers and the output of every token.

A :class:`~qcompile.program.Program` computes one token's output.  Two things need more:

* ``output y[token = all]`` asks for every token's row: one program per token;
* a stack of layers: the second layer's attention reads the first layer's output for
  every token (its keys and values), which no circuit for one query can prepare.  The
  model is cut there (:mod:`qcompile.lowering.segments`) into *segments*; segment ``k``
  is compiled once per token, and segment ``k+1`` loads the matrix of their outputs.

A :class:`StackedProgram` holds, per segment, one program per token it needs (every
token for inner segments; the selected token, or all, for the last).  Running it on an
input: every program of segment 0 runs on the model input; their outputs (α × the
post-selected amplitudes of each program's last stage) are stacked into the matrix the
next segment's loaders read, with the data-independent bound ``√(Σ_j α_j²)``; and so on.
Between segments the classical work is readout, stacking and loader angles, O(seq·d):
no weight and no nonlinear function is applied classically (DESIGN §1).  The runs per
input are ``seq·(segments − 1) + (1 or seq)``.

The per-op tolerance is calibrated jointly
(:func:`qcompile.lowering.calibration.calibrate_jointly`) on the whole stack, with each
run's error bound carried into the next segment as the error of its input matrix (the
Frobenius norm of the rows' bounds).  Each program's polynomials are chosen for its own
arguments' alphas: the same for every token unless an alpha depends on the token (rotary
embeddings), and the surrogate reference then evaluates each token's row with its own
program's polynomial (:class:`TokenRows`), so the compiled output matches it.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from qcompile.errors import InternalError, NotImplementedYetError
from qcompile.program import ProgramCommon
from qcompile.validate import check_run_arguments, check_stage_arguments


@dataclass
class Segment:
    """One segment of a stacked program: its model (:mod:`qcompile.lowering.segments`),
    the name of the input holding the previous segment's rows (None for the first), the
    map of its node ids to the full model's, and one compiled program per token."""

    index: int
    model: object
    input: str | None
    node_map: dict
    programs: dict = field(default_factory=dict)

    @property
    def tokens(self) -> list[int]:
        """The tokens compiled, ascending."""
        return sorted(self.programs)


@dataclass
class StackedProgram(ProgramCommon):
    """A model compiled as segments × tokens of :class:`~qcompile.program.Program` (see
    the module docstring).  ``token``: the output token (an index) or ``"all"``."""

    model: object
    segments: list[Segment]
    tolerance: float
    token: int | str
    info: dict = field(default_factory=dict)

    # ---- structure ----------------------------------------------------------------------
    def pieces(self) -> list[tuple[int, int, object]]:
        """``(segment, token, program)`` in run order."""
        return [(seg.index, tok, seg.programs[tok]) for seg in self.segments for tok in seg.tokens]

    def segment_inputs(self) -> dict[str, int]:
        """Input name → the segment whose rows it holds (loaders of later segments)."""
        return {seg.input: seg.index - 1 for seg in self.segments if seg.input is not None}

    def _located(self) -> list[tuple[int, int, object, int]]:
        """Every stage circuit in run order as ``(segment, token, program, local stage)``."""
        return [(s, t, p, k) for s, t, p in self.pieces() for k in range(len(p.stages))]

    @property
    def stages(self) -> list:
        """Every stage circuit of every program, in run order."""
        return [p.stages[k] for _, _, p, k in self._located()]

    @property
    def alpha(self) -> float:
        """The output subnormalisation: the largest over the last segment's programs
        (each token's output is its own program's ``alpha`` × post-selected amplitudes)."""
        return max(p.alpha for p in self.segments[-1].programs.values())

    @property
    def nonlinear(self) -> list:
        """One nonlinear source per full-model node (the programs share polynomials)."""
        seen: dict[int, object] = {}
        for seg in self.segments:
            for prog in seg.programs.values():
                for nl in prog.lowered.nonlinear:
                    seen.setdefault(seg.node_map[nl.node], nl)
        return [seen[k] for k in sorted(seen)]

    def polynomials(self) -> dict:
        """``{full-model node: scalar function}`` for the surrogate reference (a
        :class:`TokenRows` where the token programs chose different polynomials)."""
        return token_polynomials((seg.node_map[nl.node], tok, nl.polynomial) for seg in self.segments
                                 for tok, prog in seg.programs.items() for nl in prog.lowered.nonlinear)

    # ---- running ------------------------------------------------------------------------
    def run(self, x, backend: str = "qiskit", shots: int | None = None, seed: int | None = None):
        """Run every program (module docstring); a :class:`~qcompile.program.RunResult`
        whose ``output`` is the selected token's vector or the ``[seq, d]`` matrix, whose
        ``stages`` are every stage run in order, and whose ``error_bound`` bounds
        ‖output − exact‖ (Frobenius for a matrix)."""
        check_run_arguments(backend, shots, seed)
        from qcompile.program import RunResult

        if shots and self.token == "all":
            raise NotImplementedYetError("sampling the output of every token is not implemented yet; "
                                         "select one token to sample it")
        inp, errors, circuit_errors, stages = x, None, None, []
        result = None
        for seg in self.segments:
            rows, bounds, circuit_bounds = [], [], []
            last = seg is self.segments[-1]
            for tok in seg.tokens:
                r = seg.programs[tok].run(inp, backend=backend, shots=shots if last else None,
                                          seed=seed, input_errors=errors,
                                          input_circuit_errors=circuit_errors)
                stages += r.stages
                rows.append(r.output)
                bounds.append(r.error_bound)
                circuit_bounds.append(r.circuit_error_bound)
                result = r
            bound = math.sqrt(sum(b * b for b in bounds))
            circuit_bound = math.sqrt(sum(b * b for b in circuit_bounds))
            if last:
                output = np.stack(rows) if self.token == "all" else rows[0]
                return RunResult(output, stages, backend, bound, shots, result.probabilities,
                                 result.standard_errors, result.kept_shots, circuit_bound)
            nxt = self.segments[seg.index + 1]   # each row keeps its own bound
            inp, errors = np.stack(rows), {nxt.input: np.array(bounds)}
            circuit_errors = {nxt.input: np.array(circuit_bounds)}
        raise InternalError("a stacked program without segments")  # pragma: no cover

    def segment_input(self, x, segment: int):
        """The input segment ``segment``'s programs read for model input ``x`` (earlier
        segments run by ideal statevector simulation; cached for the last ``x``)."""
        if segment == 0:
            return x
        from qcompile.program import _input_key

        key = (_input_key(x), segment)
        cached = getattr(self, "_inputs", {})
        if key not in cached:
            inp = x
            for seg in self.segments[:segment]:
                inp = np.stack([seg.programs[t].run(inp).output for t in seg.tokens])
            cached = {key: inp}
            self._inputs = cached
        return cached[key]

    # ---- emission -----------------------------------------------------------------------
    def qasm(self, version: int = 3, x=None, stage: int = 0) -> str:
        """OpenQASM of stage circuit ``stage`` (run order, see :attr:`stages`); with ``x``
        bound (earlier segments simulated ideally to get this one's input)."""
        check_stage_arguments(stage, len(self.stages), version)
        seg, tok, prog, local = self._located()[stage]
        inp = None if x is None else self.segment_input(x, seg)
        src = "the model input" if seg == 0 else f"the rows of segment {seg - 1}"
        note = (f"qcompile: stage {stage} of {len(self.stages)} in run order: segment {seg} of "
                f"{len(self.segments)} (reads {src}), query token {tok}",)
        return prog.qasm(version, x=inp, stage=local, note=note)

    def bind(self, x, stage: int = 0):
        """Stage circuit ``stage`` (run order) with input ``x``'s angles bound (earlier
        stages and segments simulated ideally)."""
        check_stage_arguments(stage, len(self.stages))
        seg, _, prog, local = self._located()[stage]
        return prog.bind(self.segment_input(x, seg), local)

    # ---- figures ------------------------------------------------------------------------
    def stats(self) -> dict:
        """Figures over every run of one input: ``qubits`` the widest stage, ``cx``,
        ``gates``, ``depth`` summed over all stage runs; ``segments``, ``runs`` (programs
        per input); per stage its segment and token."""
        per = []
        gates: dict[str, int] = {}
        for seg, tok, prog, k in self._located():
            sc = prog.stages[k]
            s = sc.stats()
            for name, n in s["gates"].items():
                gates[name] = gates.get(name, 0) + n
            glue = prog.lowered.stages[k].glue
            per.append({"segment": seg, "token": tok, "stage": k, "alpha": sc.alpha, "qubits": s["qubits"],
                        "cx": s["cx"], "depth": s["depth"], "output_qubits": list(sc.output),
                        "postselect_qubits": list(sc.postselect),
                        "glue": None if glue is None else glue.kind,
                        "postselect_count": s["postselect_qubits"]})
        last = self.stages[-1]
        return {
            "model": self.model.name,
            "token": self.token,
            "segments": len(self.segments),
            "runs": len(self.pieces()),
            "stages": len(per),
            "qubits": max(p["qubits"] for p in per),
            "cx": sum(p["cx"] for p in per),
            "gates": dict(sorted(gates.items())),
            "depth": sum(p["depth"] for p in per),
            "ancillas": max(p.pop("postselect_count") for p in per),
            "alpha": self.alpha,
            "error_bound": self.error_bound,
            "tolerance": self.tolerance,
            "success_probability_bound": None,
            "output_qubits": list(last.output),
            "postselect_qubits": list(last.postselect),
            "polynomials": [{"node": f"%{node}", "function": nl.function, "degree": nl.polynomial.degree,
                             "error": nl.polynomial.error, "input_alpha": nl.polynomial.input_alpha}
                            for node, nl in zip(sorted(self.polynomials()), self.nonlinear)],
            "per_stage": per,
        }


# ---- compiling ------------------------------------------------------------------------------


def needs_stacking(model, token) -> bool:
    """True when ``model`` must be compiled as a :class:`StackedProgram`: every token's
    output is asked for, or an attention reads a value that needs a cut."""
    from qcompile.lowering.segments import find_cut

    return token == "all" or find_cut(model.ir) is not None


def lower_stacked(model, token, options, callbacks=()):
    """Cut ``model`` into segments and lower every (segment, token) to its quantum IR with
    jointly calibrated polynomials (``options``: a
    :class:`~qcompile.compiler.CompileOptions`).  Returns ``(segments, lowered, bound,
    choice)``: ``lowered[(segment, token)]`` the quantum IR with its polynomials,
    ``bound`` the largest propagated bound over the calibration inputs, ``choice`` the
    per-op tolerance and shares (a :class:`StackedLowered`)."""
    from qcompile.model import with_token
    from qcompile.lowering.calibration import calibrate_jointly, calibration_samples
    from qcompile.lowering.segments import SegmentModel, find_cut, prefix_model, suffix_model
    from qcompile.passes.manager import PassManager
    from qcompile.passes.pipelines import structure_pipeline
    from qcompile.qir.bounds import input_independent
    from qcompile.lowering.polynomials import alpha_bound

    segments: list[Segment] = []
    structures: dict[tuple[int, int], object] = {}
    current = SegmentModel(model, None, None, {n: n for n, _ in model.ir.nodes()})

    def lower_piece(seg_model, k, tok):
        manager = PassManager(structure_pipeline(tok, options.method, options.optimization),
                              callbacks=_piece_callbacks(callbacks, k, tok))
        return manager.run(with_token(seg_model, tok))

    while True:
        k = len(segments)
        cut = find_cut(current.model.ir)
        if cut is None:
            break
        head = prefix_model(current.model, cut, current.node_map)
        head_model = _named(head.model, model.name, k)
        rows = head_model.ir.op(head_model.ir.output).type.legs[0].dim
        seg = Segment(k, head_model, current.input, head.node_map, dict.fromkeys(range(rows)))
        alphas = []
        for tok in seg.tokens:
            structures[(k, tok)] = lower_piece(head_model, k, tok)
            # the rows' bound needs the last stage's alpha before any polynomial is chosen:
            # exact for a normalised output (post-LN), an upper bound valid for every
            # polynomial the calibration may choose for a residual sum (pre-LN)
            alphas.append(alpha_bound(structures[(k, tok)].stages[-1].form, options.tolerance))
        segments.append(seg)
        bound = math.sqrt(sum(a * a for a in alphas))
        current = suffix_model(current.model, cut, bound, current.node_map)
    k = len(segments)
    last_model = _named(current.model, model.name, k) if segments else current.model
    rows = last_model.ir.op(last_model.ir.output).type.legs[0].dim
    last = Segment(k, last_model, current.input, current.node_map,
                   dict.fromkeys(range(rows) if token == "all" else [token]))
    for tok in last.tokens:
        structures[(k, tok)] = lower_piece(last.model, k, tok)
    segments.append(last)

    keys = list(structures)
    samples = calibration_samples(model)

    def worst(pieces) -> float:
        lowered = dict(zip(keys, pieces))
        return max(stacked_numeric(segments, lowered, x, token == "all")[1] for x in samples)

    fixed = len(segments) == 1 and all(input_independent(s) for s in structures.values())
    pieces, bound, choice = calibrate_jointly([structures[key] for key in keys], worst, options.tolerance, fixed)
    for piece in pieces:
        piece.info["tolerance"] = options.tolerance
    return StackedLowered(segments, dict(zip(keys, pieces)), bound, choice, structures)


@dataclass
class StackedLowered:
    """The quantum IR of a stacked model (what ``qcompile ir --quantum`` prints for a
    stack): per (segment, token) its :class:`~qcompile.qir.program.QuantumIR` with the
    jointly chosen polynomials (``lowered``) and before them (``structures``), the
    calibrated bound and the ``choice`` of per-op tolerance and shares."""

    segments: list[Segment]
    lowered: dict
    bound: float
    choice: tuple = (0.0, {})
    structures: dict = field(default_factory=dict)

    def to_text(self) -> str:
        """Every piece's quantum IR, each under a line naming its segment and token."""
        parts = []
        for seg in self.segments:
            src = "the model input" if seg.input is None else f"{seg.input} (the rows of segment {seg.index - 1})"
            for tok in seg.tokens:
                parts.append(f"# segment {seg.index} of {len(self.segments)}, token {tok}, reads {src}\n")
                parts.append(self.lowered[(seg.index, tok)].to_text())
        return "".join(parts)

    def polynomials(self) -> dict:
        """``{full-model node: scalar function}`` (the surrogate reference's; see
        :func:`token_polynomials`)."""
        return token_polynomials((seg.node_map[node], tok, poly) for seg in self.segments for tok in seg.tokens
                                 for node, poly in self.lowered[(seg.index, tok)].polynomials().items())


class TokenRows:
    """A surrogate function whose polynomial depends on the token: row ``t`` along axis
    −2 (the query token of a softmax's scores ``[.., query, key]``, the token of an
    elementwise op's ``[.., token, feature]`` input) goes through token ``t``'s
    program's polynomial; rows of tokens with no program of their own (the last
    segment's other tokens, which the output does not read) through ``default``.
    Token programs differ where a nonlinearity's argument has a token-dependent alpha
    (rotary embeddings rotate each query by its own angles), each polynomial chosen for
    its own program's alpha, so the surrogate reference computes each row as its
    circuit does."""

    def __init__(self, by_token: dict, default):
        self.by_token = dict(by_token)
        self.default = default
        self.degree = max(p.degree for p in self.by_token.values())
        self.error = max(p.error for p in self.by_token.values())
        self.input_alpha = max(p.input_alpha for p in self.by_token.values())
        self.function = getattr(default, "function", None)     # what the node computes (e.g. sigmoid)

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        if x.ndim < 2:
            return np.asarray(self.default(x), dtype=float)
        out = np.empty_like(x)
        for t in range(x.shape[-2]):
            out[..., t, :] = self.by_token.get(t, self.default)(x[..., t, :])
        return out


def token_polynomials(items) -> dict:
    """``{node: polynomial}`` from ``(node, token, polynomial)`` triples: the polynomial
    itself where every token's program chose the same one, else a :class:`TokenRows`
    (whose default is the last token's polynomial)."""
    per_node: dict[int, dict] = {}
    for node, tok, poly in items:
        per_node.setdefault(node, {})[tok] = poly
    out = {}
    for node, by_token in per_node.items():
        polys = list(by_token.values())
        same = all(p.p_raw.coefficients == polys[0].p_raw.coefficients and p.input_alpha == polys[0].input_alpha
                   for p in polys)
        out[node] = polys[0] if same else TokenRows(by_token, by_token[max(by_token)])
    return out


def _named(seg_model, name: str, k: int):
    """The segment model renamed ``NAME[segment k]`` (QASM headers and dumps say which)."""
    import dataclasses

    return dataclasses.replace(seg_model, name=f"{name}[segment {k}]")


def stacked_numeric(segments: list[Segment], lowered: dict, x, all_tokens: bool = False
                    ) -> tuple[np.ndarray, float]:
    """What the whole stack computes on input ``x`` and its propagated error bound,
    evaluated with the NumPy evaluator of the quantum IR (what the circuits compute, no
    circuits): each segment's rows' bounds become the next segment's input error.  The
    output is the last segment's row, or (``all_tokens``) its rows stacked."""
    from qcompile.lowering.inputs import prepare_matrices
    from qcompile.qir.bounds import program_error_bound
    from qcompile.qir.evaluate import run_numeric, surrogate_rule

    inp, errors = x, None
    for seg in segments:
        rows, bounds = [], []
        for tok in seg.tokens:
            low = lowered[(seg.index, tok)]
            outs = run_numeric(low, prepare_matrices(seg.model, low, inp), surrogate_rule)
            rows.append(outs[-1])
            bounds.append(program_error_bound(low, outs, errors)[0])
        total = math.sqrt(sum(b * b for b in bounds))
        if seg is segments[-1]:
            return (np.stack(rows) if all_tokens else rows[0]), total
        inp, errors = np.stack(rows), {segments[seg.index + 1].input: np.array(bounds)}
    raise InternalError("a stacked program without segments")  # pragma: no cover


def _piece_callbacks(callbacks, segment: int, token: int) -> list:
    """The pass-manager callbacks for one piece: dumps go to ``DIR/segK.tokJ``."""
    from qcompile.passes.dumps import DumpDir

    out = []
    for cb in callbacks:
        if isinstance(cb, DumpDir):
            cb = DumpDir(os.path.join(cb.path, f"seg{segment}.tok{token}"))
        out.append(cb)
    return out


def compile_stacked(model, token, options, callbacks=()) -> StackedProgram:
    """Compile ``model`` as a :class:`StackedProgram` (module docstring): segments, one
    joint calibration (:func:`lower_stacked`; each piece keeps the polynomials it chose,
    reported to the callbacks as its ``select-polynomials`` step), then per (segment,
    token) ``build-circuits`` and the circuit passes of ``options``' level."""
    from qcompile.passes.build_circuits import BuildCircuits
    from qcompile.passes.manager import PassManager
    from qcompile.passes.pipelines import circuit_pipeline, per_stage, structure_pipeline
    from qcompile.passes.select_polynomials import SelectPolynomials
    from qcompile.program import Program

    start = time.perf_counter()
    stacked = lower_stacked(model, token, options, callbacks)
    segments, lowered, bound, (per_op, shares) = stacked.segments, stacked.lowered, stacked.bound, stacked.choice
    seconds = (time.perf_counter() - start) / max(1, len(lowered))
    log_share = min(shares.values(), default=1.0)
    pipeline = [BuildCircuits()] + per_stage(circuit_pipeline(options.optimization, options.target, options.passes))
    for seg in segments:
        for tok in seg.tokens:
            piece = lowered[(seg.index, tok)]
            first = len(structure_pipeline(tok, options.method, options.optimization)) + 2
            manager = PassManager(pipeline, callbacks=_piece_callbacks(callbacks, seg.index, tok), first_index=first)
            select = SelectPolynomials(tolerance=options.tolerance, per_op=per_op, log_share=log_share)
            manager.report_step(select, stacked.structures[(seg.index, tok)], piece, seconds)
            built = manager.run(piece)
            seg.programs[tok] = Program(seg.model, built.lowered, built.stages, built.loaders, options.tolerance, tok)
    prog = StackedProgram(model, segments, options.tolerance, token,
                          info={"calibrated_error_bound": bound, "per_op_tolerance": per_op})
    return prog
