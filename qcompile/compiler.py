"""The compiler's entry points: :func:`compile` and :func:`verify`.

``compile`` checks its arguments and the model's size, resolves the output token, and
builds a :class:`~qcompile.program.Program` (one output token of a model whose attention
reads only loaded matrices) or a :class:`~qcompile.stacked.StackedProgram` (stacked layers,
or every token's output).  ``verify`` binds random admissible inputs into one compiled
artifact and checks it against both references.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcompile.errors import NotImplementedYetError, QcompileError
from qcompile.lowering.inputs import random_input
from qcompile.program import Program, _resolve_token, _with_token, check_size, compile_program
from qcompile.stacked import StackedProgram, compile_stacked, needs_stacking


def compile(model_or_path, token="model", tolerance: float = 1e-3, backend: str | None = None,
            method: str = "dilation", optimization: int = 1, target: str | None = None,
            passes: str | None = None, callbacks=()) -> Program | StackedProgram:
    """Compile a model (a :class:`~qcompile.model.Model`, a path or .qtf text) for its
    output token (``"model"``: the one its ``output`` line selects, ``"last"``, an index,
    or ``"all"``) into a :class:`~qcompile.program.Program`, or a
    :class:`~qcompile.stacked.StackedProgram` when the model stacks layers or every
    token's output is asked for.

    ``tolerance`` bounds the propagated error vs the exact model (the polynomial degrees
    are calibrated to it, :mod:`qcompile.lowering.calibration`); the bound of each input is
    evaluated by ``run``/:func:`verify`.  ``backend`` is accepted for API symmetry
    (programs emit to every backend).  ``optimization`` (0, 1, 2) picks the IR-level
    fusion and circuit-level pass pipeline (:mod:`qcompile.passes.pipelines`), ``target``
    routes onto a coupling map (``line:N``, ``grid:RxC``, ``heavy-hex:D``), ``passes``
    replaces the circuit pipeline by an explicit list
    (``"cancel-inverses,merge-rotations{atol=1e-12}"``); ``callbacks`` are pass-manager
    callbacks (IR printing, dumps, timing)."""
    from qcompile.model import Model, load

    if not (isinstance(tolerance, (int, float)) and 0 < tolerance < 1):
        raise QcompileError(f"tolerance must be a number in (0, 1), got {tolerance!r}")
    model = model_or_path if isinstance(model_or_path, Model) else load(model_or_path)
    if len(model.inputs) != 1:
        raise NotImplementedYetError("compiling models with several inputs is not implemented yet")
    check_size(model)
    tok = _resolve_token(model, token)
    if tok != model.output.token:
        model = _with_token(model, tok)
    del backend
    if needs_stacking(model, tok):
        return compile_stacked(model, tok, float(tolerance), method, optimization, target, passes, callbacks)
    return compile_program(model, tok, float(tolerance), method, optimization, target, passes, callbacks)


#: compiled vs surrogate reference on statevector simulators
SURROGATE_TOLERANCE = 1e-8


@dataclass
class VerifyRow:
    """One input on one backend: errors vs both references, the bound, the checks;
    ``surrogate_limit`` is 1e-8 plus what the passes declared they dropped."""

    input: int
    backend: str
    surrogate_error: float
    exact_error: float
    error_bound: float
    success_probability: float
    ok: bool
    shots_ok: bool | None = None
    surrogate_limit: float = SURROGATE_TOLERANCE


@dataclass
class VerifyReport:
    """The rows of a verification and what they show."""

    model: str
    token: int
    tolerance: float
    rows: list[VerifyRow]

    @property
    def ok(self) -> bool:
        """True when every row passed."""
        return all(r.ok for r in self.rows)

    def to_json(self) -> dict:
        """A JSON-serialisable summary."""
        from dataclasses import asdict

        return {"model": self.model, "token": self.token, "tolerance": self.tolerance,
                "surrogate_tolerance": SURROGATE_TOLERANCE, "ok": self.ok,
                "rows": [asdict(r) for r in self.rows]}


def verify(program_or_model, inputs: int = 20, backends=("qiskit", "cirq"), shots: int | None = None,
           seed: int = 0, tolerance: float = 1e-3, progress=None) -> VerifyReport:
    """Compile once (unless given a :class:`Program` or a
    :class:`~qcompile.stacked.StackedProgram`), bind ``inputs`` random admissible
    inputs into that one program, simulate on each backend and check, per input:
    ``max|compiled − surrogate| ≤ 1e-8`` (plus the run's ``circuit_error_bound``: what the
    passes declared they dropped), ``max|compiled − exact| ≤ bound`` and
    ``bound ≤ tolerance``; with ``shots``, the sampled output distribution is within 4
    standard errors of ``|y|²/‖y‖²``.  ``progress(done, total)`` is called after each run.
    """
    compiled = isinstance(program_or_model, (Program, StackedProgram))
    program = program_or_model if compiled else compile(program_or_model, tolerance=tolerance)
    model = program.model
    rng = np.random.default_rng(seed)
    rows = []
    total = inputs * len(backends)
    done = 0
    for i in range(inputs):
        x = random_input(model, rng)
        exact, sur = program.references(x)
        for backend in backends:
            r = program.run(x, backend=backend, shots=shots, seed=seed + i)
            es = float(np.max(np.abs(r.output - sur)))
            ee = float(np.max(np.abs(r.output - exact)))
            # the bound covers the approximation (and any rotations the passes dropped, which
            # is all the surrogate may differ by beyond rounding); rounding is what the
            # surrogate check measures
            limit = SURROGATE_TOLERANCE + r.circuit_error_bound
            ok = (es <= limit
                  and ee <= r.error_bound + SURROGATE_TOLERANCE
                  and r.error_bound <= program.tolerance)
            shots_ok = None
            if shots:
                # 4 standard errors of the binomial estimate, computed from the target
                # (the estimate's own error is 0 for an unseen outcome)
                target = sur ** 2 / np.sum(sur ** 2)
                se = np.sqrt(target * (1 - target) / r.kept_shots)
                shots_ok = bool(np.all(np.abs(r.probabilities - target) <= 4 * se + 1e-12))
                ok = ok and shots_ok
            rows.append(VerifyRow(i, backend, es, ee, float(r.error_bound), r.success_probability, bool(ok),
                                  shots_ok, float(limit)))
            done += 1
            if progress is not None:
                progress(done, total)
    return VerifyReport(model.name, program.token, program.tolerance, rows)
