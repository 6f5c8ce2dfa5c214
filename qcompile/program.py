"""Compiled programs: the :class:`Program` of one output token (:func:`qcompile.compile`
returns it; stacked models get a :class:`~qcompile.stacked.StackedProgram`).

A program is one input-parametric circuit per stage (DESIGN §1) plus the classical glue
between stages.  Running it on an input:

1. input preparation (embedding lookup + positional encoding for token/text inputs) and
   the loaders' angles are computed from the input (O(size of the input));
2. stage k's circuit is bound (its loaders read the model input and the vectors earlier
   stages produced) and simulated; its output register, post-selected on every ancilla
   reading 0 and multiplied by ``alpha_k``, is the stage's vector;
3. the glue normalises that vector (layer norm) or divides each head's block by its sum
   (softmax), which is what the next stage loads.

The last stage's vector is the model's output for the selected token.  Intermediate
stages are read out from the simulator's state vector (amplitude readout; on hardware this
is tomography, which qcompile does not implement); ``shots`` samples only the last stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qcompile.circuit.ir import register_indices
from qcompile.circuit.stage import StageCircuit
from qcompile.errors import BindError, InternalError, QcompileError
from qcompile.lowering.inputs import random_input  # noqa: F401 - part of the program API
from qcompile.validate import check_run_arguments, check_stage_arguments

#: a statevector above this many qubits is not simulated
MAX_SIMULATED_QUBITS = 22


@dataclass
class StageResult:
    """One stage's run: its vector (alpha × post-selected amplitudes, unpadded), the
    post-selection probability, and the glued vector it hands on (None for the last)."""

    output: np.ndarray
    success_probability: float
    handed_on: np.ndarray | None = None


@dataclass
class RunResult:
    """A program run on one input.

    ``output``: the model output for the selected token (alpha × post-selected
    amplitudes of the last stage); ``error_bound``: bound on ‖output − exact model‖₂ for
    this input (:mod:`qcompile.lowering.bounds`); ``circuit_error_bound``: the part of it
    the circuit passes declared (rotations dropped by ``merge-rotations``,
    ``fuse-single-qubit`` or ``drop-small-rotations``), a bound on ‖output − surrogate‖₂
    beyond rounding (0 when nothing was dropped); with shots, ``probabilities`` and ``standard_errors``
    estimate ``|y_k|²/‖y‖²`` from the post-selected samples, ``kept_shots`` of ``shots``.
    """

    output: np.ndarray
    stages: list[StageResult]
    backend: str
    error_bound: float = float("nan")
    shots: int | None = None
    probabilities: np.ndarray | None = None
    standard_errors: np.ndarray | None = None
    kept_shots: int | None = None
    circuit_error_bound: float = 0.0

    @property
    def success_probability(self) -> float:
        """Product of the stages' post-selection probabilities."""
        return float(np.prod([s.success_probability for s in self.stages]))


class ProgramCommon:
    """What :class:`Program` and :class:`~qcompile.stacked.StackedProgram` share: the
    references (``self.model``, ``self.token``, ``self.polynomials()``) and the emitters
    over ``self.stages`` (stage circuits in run order)."""

    @property
    def error_bound(self) -> float:
        """The program's error bound: the largest propagated bound on
        ‖output − exact model‖₂ over the calibration inputs, including the rotations the
        circuit passes dropped (a stacked program: its calibrated bound, the drops are
        carried per run).  :meth:`run` gives the bound of each input."""
        return float(self.info.get("error_bound", self.info.get("calibrated_error_bound", float("nan"))))

    def references(self, x) -> tuple[np.ndarray, np.ndarray]:
        """``(exact, surrogate)`` outputs of the model on input ``x``: the NumPy
        reference, and the same with the compiled polynomials; a vector for one output
        token, the ``[seq, d]`` matrix for ``token = all``."""
        from qcompile.reference.interpreter import bind_inputs, evaluate

        model = self.model
        inputs = bind_inputs(model, x)
        out = model.ir.output
        exact = evaluate(model.ir, model.weights, inputs, "exact")[out]
        sur = evaluate(model.ir, model.weights, inputs, "surrogate", self.polynomials())[out]
        shape = np.asarray if self.token == "all" else np.ravel
        return shape(exact), shape(sur)

    def describe(self, files=None, bound_input=None, qasm_version=None) -> dict:
        """The JSON description of the program (``OUT.program.json``, format
        ``qcompile-program/2``): per stage circuit in run order its file (``files``),
        segment and query token, alpha, output and post-selected qubits and clbits, glue,
        and the parameter vectors (loaders) it reads and where they come from; a stacked
        program also lists its segments (each runs one program per token, the next loads
        their rows).  ``bound_input`` (``{"file": ...}`` or ``{"text": ...}``) says which
        input the files were bound to."""
        input_names = {s.name for s in self.model.inputs}
        from_segment = self.segment_inputs()
        out = {
            "format": "qcompile-program/2",
            "model": self.model.name,
            "token": self.token,
            "tolerance": self.tolerance,
            "alpha": self.alpha,
            "error_bound": self.error_bound,
            "error_bound_note": "largest propagated bound on ||output - exact model||_2 over the "
                                "calibration inputs (rotations dropped by the passes included); "
                                "'qcompile run' reports it per input",
            "qasm_version": qasm_version,
            "bound_input": bound_input,
            "output": "alpha of the last stage * amplitudes of its output qubits (little-endian) "
                      "when every post-selected qubit and clbit reads 0",
            "runs": len(self.pieces()),
            "stages": [],
        }
        if from_segment:
            out["segments"] = [{"index": seg.index, "tokens": seg.tokens, "reads": seg.input or "the model input",
                                "hands_on": None if seg is self.segments[-1] else
                                "alpha * post-selected amplitudes of each token's last stage, stacked as "
                                "the rows of the next segment's input"}
                               for seg in self.segments]
            out["output"] += ("; with token = all, one program per token gives that token's row"
                              if self.token == "all" else "")
        final = self.pieces()[-1][2].lowered.stages[-1].glue
        if final is not None:   # a coherent program's read-out rule (qcompile.coherent)
            out["output"] += f"; then the read-out rule: {final.describe()}"
        index = 0
        for seg_index, tok, prog in self.pieces():
            stages = prog.lowered.stages
            producer = {st.glue.produces: index + k for k, st in enumerate(stages) if st.glue is not None}
            for k, (sc, st) in enumerate(zip(prog.stages, stages)):
                loaders = []
                for pname, length in sorted(sc.circuit.parameters.items()):
                    kind, source, loader = prog.loaders[pname]
                    if source in producer:
                        origin = f"glue of stage {producer[source]}"
                    elif source in from_segment:
                        origin = f"rows read out by segment {from_segment[source]}'s programs, stacked"
                    elif source in input_names:
                        origin = f"model input '{source}'"
                    else:
                        origin = "input preparation (embedding lookup + positional encoding)"
                    reads = f"{source}[{loader.info['row']}]" if kind == "row" else source
                    loaders.append({"parameter": pname, "length": int(length), "kind": kind,
                                    "reads": reads, "from": origin,
                                    **({"computes": loader.info["computes"]} if "computes" in loader.info else {})})
                entry = {"index": index, "segment": seg_index, "token": tok, "stage": k, "name": sc.name,
                         "qubits": sc.circuit.num_qubits, "alpha": sc.alpha,
                         "output_qubits": list(sc.output),
                         "output_length": int(sc.info.get("dim", 2 ** len(sc.output))),
                         "postselect_qubits": list(sc.postselect),
                         "postselect_clbits": list(sc.postselect_clbits),
                         "glue": None if st.glue is None else st.glue.to_json(), "loaders": loaders}
                # ---- an amplified stage says how to undo its known scalar (qcompile.passes.amplify)
                if "amplification" in sc.info:
                    from qcompile.passes.amplify import amplification_json
                    entry["amplification"] = amplification_json(sc)
                if files is not None:
                    entry["file"] = files[index]
                if bound_input is not None:
                    entry["bound_by"] = ("the input" if index == 0 else
                                         "the input and earlier stages' outputs, computed by ideal "
                                         "statevector simulation")
                out["stages"].append(entry)
                index += 1
        return out

    def figures(self, run=None) -> dict:
        """:meth:`stats`, and after a ``run`` (a :class:`RunResult`) its measured success
        probability and the error bound of its input (``--stats``)."""
        out = self.stats()
        if run is not None:
            out["success_probability"] = run.success_probability
            out["error_bound_for_input"] = run.error_bound
        # ---- per stage: success probability, certified bounds, repetitions, shots (qcompile.success)
        from qcompile.success import success_json
        out["success"] = success_json(self, run)
        return out

    def to_qiskit(self, stage: int | None = None):
        """Qiskit circuit(s): one per stage (a list), or the given stage's."""
        from qcompile.backends.qiskit import to_qiskit

        stage is None or check_stage_arguments(stage, len(self.stages))

        if stage is not None:
            return to_qiskit(self.stages[stage].circuit)
        return [to_qiskit(s.circuit) for s in self.stages]

    def to_cirq(self, stage: int | None = None):
        """Cirq circuit(s): one per stage (a list), or the given stage's."""
        from qcompile.backends.cirq import to_cirq

        stage is None or check_stage_arguments(stage, len(self.stages))

        if stage is not None:
            return to_cirq(self.stages[stage].circuit)
        return [to_cirq(s.circuit) for s in self.stages]


@dataclass
class Program(ProgramCommon):
    """A compiled model: stage circuits, glue, loaders, polynomials (see module doc)."""

    model: object
    lowered: object
    stages: list[StageCircuit]
    loaders: dict
    tolerance: float
    token: int
    info: dict = field(default_factory=dict)

    # ---- properties ---------------------------------------------------------------------
    @property
    def alpha(self) -> float:
        """The last stage's subnormalisation: output = alpha × post-selected amplitudes."""
        return float(self.stages[-1].alpha)

    @property
    def nonlinear(self):
        """The nonlinear sources with their chosen polynomials."""
        return self.lowered.nonlinear

    def polynomials(self) -> dict:
        """``{node: scalar function}`` for ``qcompile.reference(mode="surrogate")``."""
        return {nl.node: nl.polynomial for nl in self.lowered.nonlinear}

    def pieces(self) -> list[tuple[int, int, "Program"]]:
        """``(segment, token, program)`` of every program run per input: this one
        (:class:`~qcompile.stacked.StackedProgram` has several)."""
        return [(0, self.token, self)]

    def segment_inputs(self) -> dict[str, int]:
        """Input name → segment whose rows it holds: none for a one-segment program."""
        return {}

    def glue(self) -> list:
        """The glue after each stage (None after the last)."""
        return [st.glue for st in self.lowered.stages]

    # ---- binding ------------------------------------------------------------------------
    def matrices(self, x) -> dict[str, np.ndarray]:
        """The matrix inputs (model inputs after input preparation) for user input ``x``."""
        from qcompile.lowering.inputs import prepare_matrices

        return prepare_matrices(self.model, self.lowered, x)

    def parameter_values(self, stage: int, matrices: dict, vectors: dict) -> dict[str, np.ndarray]:
        """Angle values for every parameter vector of ``stage``'s circuit."""
        values = {}
        for pname in self.stages[stage].circuit.parameters:
            kind, source, loader = self.loaders[pname]
            data = vectors.get(source) if kind == "vector" else matrices.get(source)
            if data is None:
                raise InternalError(f"stage {stage} reads {source} before it exists")
            values.update(loader.bind(data[loader.info["row"]] if kind == "row" else data))
        return values

    def stage_inputs(self, x, stage: int) -> tuple[dict, dict]:
        """``(matrices, vectors)`` the loaders of ``stage`` read for input ``x``: the
        model's matrix inputs and, after the first stage, the glued outputs of the earlier
        stages (from one ideal statevector run of the program, cached for the last ``x``)."""
        mats = self.matrices(x)
        vectors: dict = {}
        if stage == 0:
            return mats, vectors
        key = _input_key(x)
        cached = getattr(self, "_last_run", None)
        if cached is not None and cached[0] == key:
            res = cached[1]
        else:
            res = self.run(x)
            self._last_run = (key, res)
        for st, r in zip(self.lowered.stages[:stage], res.stages[:stage]):
            (mats if st.glue.hands_on_matrix else vectors)[st.glue.produces] = r.handed_on
        return mats, vectors

    def stage_values(self, x, stage: int) -> dict[str, np.ndarray]:
        """The parameter values of ``stage``'s circuit for input ``x`` (earlier stages run
        ideally, see :meth:`stage_inputs`)."""
        check_stage_arguments(stage, len(self.stages))
        return self.parameter_values(stage, *self.stage_inputs(x, stage))

    def bind(self, x, stage: int = 0):
        """Stage ``stage``'s circuit with the angles of input ``x`` bound (earlier stages'
        outputs computed by ideal statevector simulation)."""
        check_stage_arguments(stage, len(self.stages))
        return self.stages[stage].circuit.bind(self.stage_values(x, stage))

    # ---- running ------------------------------------------------------------------------
    def run(self, x, backend: str = "qiskit", shots: int | None = None, seed: int | None = None,
            input_errors: dict | None = None, input_circuit_errors: dict | None = None) -> RunResult:
        """Simulate every stage on input ``x`` (see the module docstring).
        ``input_errors``: per input matrix, a bound on the error of each of its rows (a
        segment of a stacked program reads rows computed by the previous segment), carried
        into the run's error bound; ``input_circuit_errors``: the part of it due to dropped
        rotations, carried into ``circuit_error_bound``."""
        check_run_arguments(backend, shots, seed)
        from qcompile.qir.evaluate import hand_on

        mats = self.matrices(x)
        vectors: dict[str, np.ndarray] = {}
        results = []
        last = len(self.stages) - 1
        probs = errs = kept = None
        for k, (sc, st) in enumerate(zip(self.stages, self.lowered.stages)):
            values = self.parameter_values(k, mats, vectors)
            out, p = _readout(sc, values, backend, seed)
            results.append(StageResult(out, p, hand_on(st.glue, out, mats, vectors)))
            if k == last and shots:
                probs, errs, kept = _sample_output(sc, values, backend, shots, seed)
        from qcompile.qir.bounds import program_error_bound

        outs = [r.output for r in results]
        dropped = self.circuit_errors()
        bound, _ = program_error_bound(self.lowered, outs, input_errors, dropped)
        circuit_bound = 0.0
        if any(dropped) or any(np.any(e) for e in (input_circuit_errors or {}).values()):
            circuit_bound = program_error_bound(self.lowered, outs, input_circuit_errors, dropped,
                                                polynomials=False)[0]
        return RunResult(_model_output(results), results, backend, bound, shots, probs, errs, kept,
                         circuit_bound)

    def run_many(self, xs, backend: str = "qiskit", seed: int | None = None) -> list[RunResult]:
        """:meth:`run` on each input of ``xs`` (no shots), stage by stage: each stage
        circuit runs every input in ONE simulator call where the backend binds many
        parameter sets at once (:meth:`~qcompile.backends.registry.Backend.statevectors`:
        Aer's ``parameter_binds``, qsim's sweeps); a stage that measures mid-circuit runs
        input by input.  The results equal :meth:`run`'s for each input."""
        from qcompile.backends.registry import check_fits, get_backend
        from qcompile.qir.bounds import program_error_bound
        from qcompile.qir.evaluate import hand_on

        xs = list(xs)
        sim = get_backend(backend)
        mats = [self.matrices(x) for x in xs]
        vectors: list[dict] = [{} for _ in xs]
        results: list[list[StageResult]] = [[] for _ in xs]
        for k, (sc, st) in enumerate(zip(self.stages, self.lowered.stages)):
            check_fits(backend, sc.circuit.num_qubits, f"stage {sc.name}")
            values = [self.parameter_values(k, m, v) for m, v in zip(mats, vectors)]
            states = [None] * len(xs) if _measures(sc) else sim.statevectors(sc.circuit, values, seed)
            for i, (vals, state) in enumerate(zip(values, states)):
                out, p = _readout(sc, vals, backend, seed, state)
                results[i].append(StageResult(out, p, hand_on(st.glue, out, mats[i], vectors[i])))
        dropped = self.circuit_errors()
        runs = []
        for res in results:
            outs = [r.output for r in res]
            bound, _ = program_error_bound(self.lowered, outs, None, dropped)
            circuit_bound = (program_error_bound(self.lowered, outs, None, dropped, polynomials=False)[0]
                             if any(dropped) else 0.0)
            runs.append(RunResult(_model_output(res), res, backend, bound, None, None, None, None, circuit_bound))
        return runs

    def circuit_errors(self) -> list[float]:
        """Per stage, how far its read-out may move from the exact lowering's because the
        circuit passes dropped rotations (:attr:`~qcompile.circuit.stage.StageCircuit.dropped_output_error`)."""
        return [sc.dropped_output_error for sc in self.stages]

    # ---- emission -----------------------------------------------------------------------
    def qasm(self, version: int = 3, x=None, stage: int = 0, note: tuple[str, ...] = ()) -> str:
        """OpenQASM text of one stage.  Version 3 keeps the loaders' angles as ``input``
        parameters unless ``x`` is given; version 2 needs ``x`` (bound angles).  A header
        comment states alpha, the output qubits and the qubits to post-select (after the
        ``note`` lines, if any)."""
        check_stage_arguments(stage, len(self.stages), version)
        from qcompile.backends.qasm import to_qasm

        circuit = self.stages[stage].circuit
        if x is not None:
            circuit = self.bind(x, stage)
        elif version == 2:
            raise BindError("OpenQASM 2 has no input parameters: bind an input (--bind) or use version 3")
        header = list(note) + self.header(stage)
        return to_qasm(circuit, version=version, header=header)

    def header(self, stage: int) -> list[str]:
        """Header comment lines for a stage's QASM."""
        sc, st = self.stages[stage], self.lowered.stages[stage]
        glue = "output of the model" if st.glue is None else f"then {st.glue.kind} -> {st.glue.produces}"
        return [f"qcompile: model {self.model.name}, token {self.token}, stage {stage} of {len(self.stages)}",
                f"alpha = {sc.alpha!r}: output = alpha * amplitudes of the output register "
                f"when every post-selected qubit reads 0",
                f"output qubits (little-endian): {list(sc.output)}",
                f"post-select to 0: {list(sc.postselect)}",
                f"after this stage: {glue}"] + _amplification_note(sc)  # ---- amplify (see below)

    # ---- figures ------------------------------------------------------------------------
    def stats(self) -> dict:
        """Figures of the whole program: per stage and totals (qubits = the widest stage).

        ``success_probability_bound`` is None: no input-independent lower bound exists
        (an input of norm 0 is admissible and is post-selected with probability 0);
        :meth:`run` and :func:`verify` report the probability each input had."""
        per = [s.stats() for s in self.stages]
        gates: dict[str, int] = {}
        for p in per:
            for name, n in p["gates"].items():
                gates[name] = gates.get(name, 0) + n
        return {
            "model": self.model.name,
            "token": self.token,
            "stages": len(self.stages),
            "qubits": max(p["qubits"] for p in per),
            "cx": sum(p["cx"] for p in per),
            "gates": dict(sorted(gates.items())),
            "depth": sum(p["depth"] for p in per),
            "ancillas": max(p["postselect_qubits"] for p in per),
            "alpha": self.alpha,
            "error_bound": self.error_bound,
            "tolerance": self.tolerance,
            "success_probability_bound": None,
            "output_qubits": list(self.stages[-1].output),
            "postselect_qubits": list(self.stages[-1].postselect),
            "polynomials": [{"node": f"%{nl.node}", "function": nl.function,
                             "degree": nl.polynomial.degree, "error": nl.polynomial.error,
                             "input_alpha": nl.polynomial.input_alpha}
                            for nl in self.lowered.nonlinear],
            "per_stage": [{"alpha": s.alpha, "qubits": p["qubits"], "cx": p["cx"], "depth": p["depth"],
                           "output_qubits": list(s.output), "postselect_qubits": list(s.postselect),
                           "glue": None if st.glue is None else st.glue.kind}
                          for s, p, st in zip(self.stages, per, self.lowered.stages)],
        }


def _model_output(results: list[StageResult]) -> np.ndarray:
    """The model output of a run: the last stage's vector, or what its read-out rule makes
    of it (a coherent program's ``(Z·y, Z) ↦ y``, :class:`~qcompile.qir.glue.ScaledOutput`)."""
    last = results[-1]
    return last.output if last.handed_on is None else last.handed_on


def _readout(sc: StageCircuit, values: dict, backend: str, seed, state=None) -> tuple[np.ndarray, float]:
    """alpha × the post-selected output amplitudes (real, unpadded) and the success
    probability; ``state``: the stage's final state when already simulated (a batch).
    A stage whose state vector would not fit the backend's memory is refused, naming the
    backends that would fit (:func:`qcompile.backends.registry.check_fits`)."""
    from qcompile.backends.registry import check_fits
    from qcompile.simulate import postselected_statevector, statevector

    if state is not None:
        sv = state
    else:
        check_fits(backend, sc.circuit.num_qubits, f"stage {sc.name}")
        if _measures(sc):
            sv = postselected_statevector(sc.circuit, backend, values=values)
        else:
            sv = statevector(sc.circuit, backend, values=values, seed=seed)
    amps = sv[register_indices(sc.output)]
    # ---- an amplified stage (qcompile.passes.amplify): its own amplitudes, from the known g
    from qcompile.quantum.amplify import undo_amplification
    amps = undo_amplification(sc, amps)
    dim = sc.info.get("dim", len(amps))
    out = sc.alpha * amps
    imag = float(np.max(np.abs(out.imag))) if out.size else 0.0
    scale = max(1.0, float(np.max(np.abs(out.real))))
    # dropped rotations may move the output by alpha × their declared error, phases included
    if imag > 1e-6 * scale + sc.dropped_output_error:
        raise InternalError(f"stage {sc.name} output has an imaginary part {imag:.3g}")
    return out.real[:dim].copy(), float(np.sum(np.abs(amps) ** 2))


def _amplification_note(sc: StageCircuit) -> list[str]:
    """QASM header lines of an amplified stage (:func:`qcompile.passes.amplify.amplification_note`)."""
    from qcompile.passes.amplify import amplification_note
    return amplification_note(sc)


def _measures(sc: StageCircuit) -> bool:
    """The stage's circuit measures or resets mid-circuit (ancilla reuse)."""
    return any(g.name in ("measure", "reset") for g in sc.circuit.gates)


def _sample_output(sc: StageCircuit, values: dict, backend: str, shots: int, seed):
    """Estimate ``|y_k|²/‖y‖²`` from ``shots`` measurements of every qubit, keeping the
    shots where every post-selected qubit and every mid-circuit measurement read 0.
    The final measurements write fresh classical bits after the circuit's own.  Returns
    (probabilities, standard errors ``√(p(1−p)/kept)``, kept shots)."""
    from qcompile.circuit.ir import Circuit
    from qcompile.simulate import sample_counts

    n, m0 = sc.circuit.num_qubits, sc.circuit.num_clbits
    m = m0 + n
    c = Circuit(n, list(sc.circuit.gates), sc.circuit.global_phase, m, {}, dict(sc.circuit.parameters))
    for q in range(n):
        c.append("measure", (q,), clbits=(m0 + q,))
    counts = sample_counts(c, shots, backend, values=values, seed=seed)
    dim = sc.info.get("dim", 2 ** len(sc.output))
    hist = np.zeros(2 ** len(sc.output))
    for bits, cnt in counts.items():
        b = bits.replace(" ", "")
        bit = [int(b[m - 1 - j]) for j in range(m)]       # clbit j is character m-1-j
        if any(bit[j] for j in sc.postselect_clbits) or any(bit[m0 + q] for q in sc.postselect):
            continue
        k = sum(bit[m0 + q] << i for i, q in enumerate(sc.output))
        hist[k] += cnt
    kept = int(hist.sum())
    if kept == 0:
        raise QcompileError(f"no shot of {shots} passed post-selection; use more shots")
    p = hist / kept
    return p[:dim], np.sqrt(p * (1 - p) / kept)[:dim], kept


# ---- compile ------------------------------------------------------------------------------


def _input_key(x):
    """A hashable identity of an input value (text, token ids or a float array)."""
    if isinstance(x, str):
        return ("text", x)
    arr = np.asarray(x)
    return (arr.dtype.str, arr.shape, arr.tobytes())
