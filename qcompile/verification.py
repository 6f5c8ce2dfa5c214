"""Verification: one compiled program, many random admissible inputs, both references.

:func:`verify` binds ``inputs`` random admissible inputs into ONE compiled artifact
(compiling it first if given a model), simulates each on every backend and checks, per
input and backend: ``max|compiled − surrogate| ≤ 1e-8`` (plus what the circuit passes
declared they dropped), ``max|compiled − exact| ≤`` the run's error bound, and the bound
``≤`` the tolerance; with ``shots``, the sampled output distribution is within 4 standard
errors of ``|y|²/‖y‖²``.  :func:`noise_check` runs the last stage of the same inputs under a
noise model, unmitigated and mitigated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from qcompile.errors import QcompileError
from qcompile.validate import check_verify_arguments

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
    # ---- per stage (qcompile.success): the circuit's post-selection probability, and whether
    # every certified bound held and every amplified stage met its target
    stage_success: list | None = None
    success_ok: bool | None = None


@dataclass
class VerifyReport:
    """The rows of a verification and what they show."""

    model: str
    token: int
    tolerance: float
    rows: list[VerifyRow]

    @property
    def ok(self) -> bool:
        """True when there is at least one row and every row passed."""
        return bool(self.rows) and all(r.ok for r in self.rows)

    def summary(self) -> dict:
        """Runs, passes, the largest errors and bound, the surrogate limit applied."""
        r = self.rows
        return {"runs": len(r), "passed": sum(x.ok for x in r),
                "max_surrogate_error": max((x.surrogate_error for x in r), default=None),
                "max_exact_error": max((x.exact_error for x in r), default=None),
                "max_error_bound": max((x.error_bound for x in r), default=None),
                "surrogate_limit": max((x.surrogate_limit for x in r), default=SURROGATE_TOLERANCE),
                "min_success_probability": min((x.success_probability for x in r), default=None),
                # ---- the smallest post-selection probability of any stage circuit (qcompile.success)
                "min_stage_success_probability": min((min(x.stage_success) for x in r if x.stage_success),
                                                     default=None)}

    def to_json(self) -> dict:
        """A JSON-serialisable report: the model, the checks' limits, ``ok``, the summary
        and the rows."""
        return {"model": self.model, "token": self.token, "tolerance": self.tolerance,
                "surrogate_tolerance": SURROGATE_TOLERANCE, "ok": self.ok, "summary": self.summary(),
                "rows": [asdict(r) for r in self.rows]}


def verify(program_or_model, inputs: int = 20, backends=("qiskit", "cirq"), shots: int | None = None,
           seed: int = 0, tolerance: float = 1e-3, progress=None, jobs: int | None = 1,
           scheduler=None, retries: int = 2) -> VerifyReport:
    """Compile once (unless given a :class:`~qcompile.program.Program` or a
    :class:`~qcompile.stacked.StackedProgram`), bind ``inputs`` random admissible inputs
    into that one program, simulate on each backend and check them (module docstring).
    ``progress(done, total)`` is called after each run.  A verification of no input is
    refused: it would check nothing.

    The input × backend runs are independent jobs (:func:`check_run`).  ``jobs=1`` runs
    them here one after another; ``jobs=N`` (None: every core) in N worker processes on
    this machine; ``scheduler`` (a Dask scheduler address such as ``tcp://host:8786``, or
    a ``distributed.Client``) on a Dask cluster.  The inputs are drawn here, in the serial
    order, and each job runs exactly the serial code, so the rows — in the serial order —
    the report and its ``ok`` are those of a serial run.  A job whose worker fails or is
    lost is run again, up to ``retries`` more times (Dask: its own rescheduling of a lost
    worker's tasks, plus ``retries``); a job that still fails raises its error."""
    from qcompile.compiler import check_size, compile
    from qcompile.lowering.inputs import random_input
    from qcompile.program import Program
    from qcompile.stacked import StackedProgram

    if isinstance(inputs, bool) or not isinstance(inputs, int) or inputs < 1:
        raise QcompileError(f"verify needs at least one input, got inputs={inputs!r}")
    check_verify_arguments(inputs, backends, shots, seed, tolerance)
    if not backends:
        raise QcompileError("verify needs at least one backend")
    workers = _worker_count(jobs)
    compiled = isinstance(program_or_model, (Program, StackedProgram))
    if not compiled:
        from qcompile.compiler import load_model

        program_or_model = load_model(program_or_model)
        for backend in backends:
            check_size(program_or_model, backend)
    program = program_or_model if compiled else compile(program_or_model, tolerance=tolerance)
    model = program.model
    rng = np.random.default_rng(seed)
    tasks = []
    for i in range(inputs):
        x = random_input(model, rng)
        exact, sur = program.references(x)
        tasks += [(i, x, exact, sur, backend, shots, seed) for backend in backends]
    if scheduler is not None:
        rows = _run_on_dask(program, tasks, scheduler, retries, progress)
    elif workers > 1 and len(tasks) > 1:
        rows = _run_in_processes(program, tasks, min(workers, len(tasks)), retries, progress)
    else:
        rows = []
        for task in tasks:
            rows.append(check_run(program, *task))
            if progress is not None:
                progress(len(rows), len(tasks))
    return VerifyReport(model.name, program.token, program.tolerance, rows)


def check_run(program, i: int, x, exact, sur, backend: str, shots: int | None, seed: int) -> VerifyRow:
    """One job of :func:`verify`: input ``i`` (``x``, its exact and surrogate references)
    run on ``backend`` with seed ``seed + i``, and its checks."""
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
        # (a coherent program's register holds (y, 1) up to scale: its read-out rule says so)
        lowered = getattr(program, "lowered", None)
        final = lowered.stages[-1].glue if lowered is not None else None
        held = final.register(sur) if final is not None else sur
        target = held ** 2 / np.sum(held ** 2)
        se = np.sqrt(target * (1 - target) / r.kept_shots)
        shots_ok = bool(np.all(np.abs(r.probabilities - target) <= 4 * se + 1e-12))
        ok = ok and shots_ok
    # ---- success probabilities (qcompile.success): certified bounds hold, amplified stages reach their target
    from qcompile.success import success_report
    stages = success_report(program, r)
    success_ok = all(s.bound_holds and s.target_met is not False for s in stages)
    ok = ok and success_ok
    return VerifyRow(i, backend, es, ee, float(r.error_bound), r.success_probability, bool(ok),
                     shots_ok, float(limit), [s.p_run for s in stages], success_ok)


def _worker_count(jobs) -> int:
    """``jobs`` checked: a positive integer, or None for every core."""
    import os

    if jobs is None:
        return os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise QcompileError(f"jobs must be a positive number of processes, got {jobs!r}")
    return jobs


# ---- worker processes on this machine -------------------------------------------------------

_WORKER_PROGRAM = None


def _init_worker(program_bytes: bytes) -> None:
    """Process-pool initializer: unpickle the program once per worker."""
    import pickle

    global _WORKER_PROGRAM
    _WORKER_PROGRAM = pickle.loads(program_bytes)


def _worker_job(task) -> VerifyRow:
    """A :func:`check_run` of the worker's program."""
    return check_run(_WORKER_PROGRAM, *task)


def _run_in_processes(program, tasks: list, workers: int, retries: int, progress) -> list[VerifyRow]:
    """Every task in a pool of ``workers`` spawned processes, the program sent once to each.
    A job that raises is retried up to ``retries`` times; when a worker dies the pool
    breaks, and the jobs it had not finished go to a new pool (at most ``retries`` new
    pools).  Rows come back in task order."""
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    blob = pickle.dumps(program)
    rows: dict[int, VerifyRow] = {}
    failures: dict[int, int] = {}
    pending = set(range(len(tasks)))
    broken_pools = 0
    context = multiprocessing.get_context("spawn")
    while pending:
        broken = False
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context,
                                 initializer=_init_worker, initargs=(blob,)) as pool:
            futures = {pool.submit(_worker_job, tasks[j]): j for j in sorted(pending)}
            for future in as_completed(futures):
                j = futures[future]
                try:
                    rows[j] = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                except Exception:
                    failures[j] = failures.get(j, 0) + 1
                    if failures[j] > retries:
                        raise
                    continue
                pending.discard(j)
                if progress is not None:
                    progress(len(rows), len(tasks))
        if broken and pending:
            broken_pools += 1
            if broken_pools > retries:
                raise QcompileError(f"verify lost its worker processes {broken_pools} times; "
                                    f"{len(pending)} of {len(tasks)} runs did not finish")
    return [rows[j] for j in range(len(tasks))]


# ---- a Dask cluster ---------------------------------------------------------------------------


def _dask_job(program, task) -> VerifyRow:
    """A :func:`check_run` on a Dask worker (the program is scattered once)."""
    return check_run(program, *task)


def _run_on_dask(program, tasks: list, scheduler, retries: int, progress) -> list[VerifyRow]:
    """Every task on the Dask cluster of ``scheduler`` (an address or a ``Client``): the
    program is broadcast to the workers once, each task submitted with ``retries``; tasks
    of a lost worker are rescheduled by Dask.  Rows come back in task order."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        from qcompile.errors import NotSupportedError

        raise NotSupportedError("verify --scheduler needs Dask's distributed package: "
                                "pip install 'qcompile[dask]'") from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, set_as_default=False) if own else scheduler
    except OSError as exc:
        raise QcompileError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        shared = client.scatter(program, broadcast=True)
        futures = {client.submit(_dask_job, shared, task, retries=retries, pure=False): j
                   for j, task in enumerate(tasks)}
        rows: dict[int, VerifyRow] = {}
        for future in as_completed(futures, loop=client.loop):
            rows[futures[future]] = future.result()
            if progress is not None:
                progress(len(rows), len(tasks))
        return [rows[j] for j in range(len(tasks))]
    finally:
        if own:
            client.close()


def noise_check(program, inputs: int, noise, backend: str, seed: int = 0, shots: int | None = None,
                mitigate: str | None = None) -> list[dict]:
    """Per input (the same inputs :func:`verify` draws with ``seed``): the total variation
    distance of the last stage's post-selected output distribution under ``noise`` from
    the ideal one, and with ``mitigate`` (methods or ``"auto"``) the mitigated distance.
    Earlier stages run ideally; their glued outputs are the last stage's loader values."""
    from qcompile.errors import NotImplementedYetError
    from qcompile.lowering.inputs import random_input
    from qcompile.mitigation import build_plan, ideal_distribution, run_mitigated, run_noisy, tvd

    if len(program.pieces()) > 1:
        raise NotImplementedYetError("the noise check of a program of several runs (stacked layers or "
                                     "every token) is not implemented yet; compile one token of one layer")
    stage = program.stages[-1]
    plan = build_plan(stage, mitigate, noise, seed=seed) if mitigate else None
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(inputs):
        x = random_input(program.model, rng)
        values = program.stage_values(x, len(program.stages) - 1)
        ideal = ideal_distribution(stage, values)
        noisy = run_noisy(stage, shots, backend, noise, seed + i, values)
        row = {"input": i, "backend": backend, "tvd_unmitigated": tvd(noisy.distribution, ideal.distribution),
               "postselection_rate": noisy.postselection_rate}
        if plan is not None:
            mit = run_mitigated(stage, plan, shots, backend, noise, seed + i, values)
            row["tvd_mitigated"] = tvd(mit.distribution, ideal.distribution)
            row["methods"] = list(plan.methods)
        rows.append(row)
    return rows
