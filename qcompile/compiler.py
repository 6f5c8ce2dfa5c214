"""The compile driver: :func:`compile`, and the one place its set-up lives.

Every entry point that lowers a model — :func:`compile`, :func:`lower_quantum` (``qcompile
ir --quantum``, the surrogate reference's polynomials), :func:`qcompile.verify`,
:func:`qcompile.resources.estimate` and the CLI's commands — goes through here:

* :class:`CompileOptions` checks the options once (tolerance, block-encoding method,
  optimisation level, routing target, explicit pass list);
* :func:`prepare` loads the model, refuses what the compiler cannot build yet (several
  inputs, sizes beyond simulation: :func:`check_size`) and sets its output token
  (:func:`qcompile.model.resolve_token`);
* the pass pipelines come from :mod:`qcompile.passes.pipelines`; one output token of a
  model whose attention reads only loaded matrices becomes a
  :class:`~qcompile.program.Program`, stacked layers or every token's output a
  :class:`~qcompile.stacked.StackedProgram`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qcompile.errors import NotImplementedYetError, QcompileError, SizeError
from qcompile.model import resolve_token, with_token

#: stages above this many qubits are refused before anything is built
MAX_QUBITS = 24


@dataclass(frozen=True)
class CompileOptions:
    """How to compile (checked on construction, a plain QcompileError per bad value).

    ``tolerance``: the propagated error bound vs the exact model the polynomial degrees
    are calibrated to, in (0, 1); ``method``: the dense block encoding (``dilation`` or
    ``fable``); ``optimization``: 0, 1 or 2 (:mod:`qcompile.passes.pipelines`);
    ``target``: a coupling map to route onto (``line:N``, ``grid:RxC``, ``heavy-hex:D``);
    ``passes``: an explicit circuit pass list replacing the level's; ``coherent``: the
    model as one circuit (:mod:`qcompile.coherent`)."""

    tolerance: float = 1e-3
    method: str = "dilation"
    optimization: int = 1
    target: str | None = None
    passes: str | None = None
    coherent: bool = False

    def __post_init__(self):
        from qcompile.qir.nodes import DENSE_METHODS

        tol = self.tolerance
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
            raise QcompileError(f"tolerance must be a number in (0, 1), got {tol!r}")
        object.__setattr__(self, "tolerance", float(tol))
        if self.method not in DENSE_METHODS:
            raise QcompileError(f"unknown block-encoding method {self.method!r}; use {' or '.join(DENSE_METHODS)}")
        if isinstance(self.optimization, bool) or self.optimization not in (0, 1, 2):
            raise QcompileError(f"unknown optimisation level {self.optimization!r}; use 0, 1 or 2")
        if not isinstance(self.coherent, bool):
            raise QcompileError(f"coherent must be True or False, got {self.coherent!r}")
        for name in ("target", "passes"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise QcompileError(f"{name} must be a string, got {type(value).__name__}")


def load_model(model_or_path):
    """A :class:`~qcompile.model.Model` as it is, or loaded from a path or .qtf text."""
    from qcompile.model import Model, load

    return model_or_path if isinstance(model_or_path, Model) else load(model_or_path)


def check_size(model, backend: str | None = None) -> None:
    """Refuse, before lowering or building any gate, models whose tensors need registers
    too wide to simulate: a stage holds an input loader, block encodings and a copy
    register for every nonlinearity, roughly three times its widest tensor.

    Without ``backend`` the limit is :data:`MAX_QUBITS`.  With a simulating ``backend``
    it is what that simulator's state vector can hold on its device (16 bytes per
    amplitude in double precision, 8 in single, against host or GPU memory:
    :meth:`~qcompile.backends.registry.Backend.max_qubits`), and the message names the
    registered backends that would fit."""
    from qcompile.lowering.polynomials import qubits_for

    if backend is not None:
        from qcompile.backends.registry import check_fits, get_backend

        if get_backend(backend).simulates:
            widest = max((sum(qubits_for(leg.dim) for leg in op.type.legs)
                          for _, op in model.ir.nodes() if op.type is not None and op.type.dtype == "float"),
                         default=0)
            check_fits(backend, 3 * widest + 2, f"model {model.name} (its widest tensor needs {widest} qubits)")
            return

    widest, where = 0, None
    for node, op in model.ir.nodes():
        if op.type is None or op.type.dtype != "float":
            continue
        width = sum(qubits_for(leg.dim) for leg in op.type.legs)
        if width > widest:
            widest, where = width, op
    if 3 * widest + 2 > MAX_QUBITS:
        shape = where.type if where is not None else "?"
        raise SizeError(f"model {model.name} is too large to build as circuits: its tensor {shape} alone "
                        f"needs {widest} qubits and its stages would need about {3 * widest + 2} "
                        f"(limit {MAX_QUBITS}); use `qcompile resources` to estimate its cost instead")


def prepare(model_or_path, token="model", size_check: bool = True):
    """``(model, token)`` ready to lower: loaded, one input, within the size limit (with
    ``size_check``), its output set to the resolved ``token``."""
    model = load_model(model_or_path)
    if len(model.inputs) != 1:
        raise NotImplementedYetError("compiling models with several inputs is not implemented yet")
    if size_check:
        check_size(model)
    tok = resolve_token(model, token)
    return with_token(model, tok), tok


def compile(model_or_path, token="model", tolerance: float = 1e-3, backend: str | None = None,
            method: str = "dilation", optimization: int = 1, target: str | None = None,
            passes: str | None = None, callbacks=(), coherent: bool = False):
    """Compile a model (a :class:`~qcompile.model.Model`, a path or .qtf text) for its
    output token (``"model"``: the one its ``output`` line selects, ``"last"``, an index,
    or ``"all"``) into a :class:`~qcompile.program.Program`, or a
    :class:`~qcompile.stacked.StackedProgram` when the model stacks layers or every
    token's output is asked for.

    ``tolerance`` bounds the propagated error vs the exact model (the polynomial degrees
    are calibrated to it, :mod:`qcompile.lowering.calibration`); the bound of each input is
    evaluated by ``run``/:func:`qcompile.verify`.  ``backend`` is accepted for API symmetry
    (programs emit to every backend).  ``optimization`` (0, 1, 2) picks the IR-level
    fusion and circuit-level pass pipeline (:mod:`qcompile.passes.pipelines`), ``target``
    routes onto a coupling map (``line:N``, ``grid:RxC``, ``heavy-hex:D``), ``passes``
    replaces the circuit pipeline by an explicit list
    (``"cancel-inverses,merge-rotations{atol=1e-12}"``); ``callbacks`` are pass-manager
    callbacks (IR printing, dumps, timing); ``coherent`` builds the model as one circuit
    with no classical glue (:mod:`qcompile.coherent`; refused, with the reason, where it
    cannot be built yet)."""
    from qcompile.stacked import compile_stacked, needs_stacking

    del backend
    options = CompileOptions(tolerance, method, optimization, target, passes, coherent)
    model, tok = prepare(model_or_path, token)
    if needs_stacking(model, tok):
        if coherent:
            from qcompile.coherent import refuse

            refuse(model.name, "it runs several programs (stacked layers or every token's output)")
        return compile_stacked(model, tok, options, callbacks)
    return compile_program(model, tok, options, callbacks)


def compile_program(model, token: int, options: CompileOptions, callbacks=()):
    """One output ``token`` of a prepared model as a :class:`~qcompile.program.Program`:
    one pass manager runs :func:`qcompile.passes.pipelines.compile_pipeline`; the
    program's error bound then counts the rotations the circuit passes dropped."""
    from qcompile.lowering.calibration import sampled_bound
    from qcompile.passes.manager import PassManager
    from qcompile.passes.pipelines import compile_pipeline
    from qcompile.program import Program
    from qcompile.validate import target_qubits

    if options.target is not None:
        target_qubits(options.target)      # a malformed or huge target never reaches the router
    pipeline = compile_pipeline(token, options.tolerance, options.method, options.optimization,
                                options.target, options.passes, options.coherent)
    built = PassManager(pipeline, callbacks=callbacks).run(model)
    program = Program(model, built.lowered, built.stages, built.loaders, options.tolerance, token,
                      info={"calibrated_error_bound": built.lowered.info["calibrated_error_bound"]})
    dropped = program.circuit_errors()
    bound = program.info["calibrated_error_bound"]
    program.info["error_bound"] = sampled_bound(model, built.lowered, dropped) if any(dropped) else bound
    if not math.isfinite(program.info["error_bound"]):  # pragma: no cover - calibration refuses these
        raise QcompileError(f"the error bound of {model.name} is not finite")
    if program.info["error_bound"] > options.tolerance:
        raise QcompileError(f"the compiled circuits of {model.name} have an error bound of "
                            f"{program.info['error_bound']:.3g}, above the tolerance {options.tolerance:g}: the "
                            f"circuit passes dropped rotations worth {max(dropped):.3g} in a stage; use smaller "
                            f"atol/eps pass options or the default passes")
    return program


def lower_quantum(model_or_path, token="model", tolerance: float = 1e-3, optimization: int = 1,
                  method: str = "dilation", callbacks=(), coherent: bool = False):
    """The quantum IR ``compile`` builds its circuits from (lowering, IR-level fusion,
    calibrated polynomials; no circuits): a :class:`~qcompile.qir.program.QuantumIR`, or
    a stacked model's :class:`~qcompile.stacked.StackedLowered`; ``coherent``: one stage."""
    from qcompile.passes.manager import PassManager
    from qcompile.passes.pipelines import quantum_pipeline
    from qcompile.stacked import lower_stacked, needs_stacking

    options = CompileOptions(tolerance, method, optimization, coherent=coherent)
    model, tok = prepare(model_or_path, token)
    if needs_stacking(model, tok):
        if coherent:
            from qcompile.coherent import refuse

            refuse(model.name, "it runs several programs (stacked layers or every token's output)")
        return lower_stacked(model, tok, options, callbacks)
    return PassManager(quantum_pipeline(tok, options.tolerance, method, optimization, coherent),
                       callbacks=callbacks).run(model)
