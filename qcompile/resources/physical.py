"""Physical resource estimates: qcompile's logical counts handed to Microsoft's resource
estimator (the ``qsharp`` package, now shipped as ``qdk``; it runs locally).

The estimator takes *logical counts* — logical qubits, T gates, arbitrary-angle rotations
and their depth, CCZ/CCiX gates, measurements — and a qubit model (``qubit_gate_ns_e3``,
``qubit_maj_ns_e4``, …), lays the algorithm out on a surface (or Floquet) code with
Parallel Synthesis Sequential Pauli Computation and returns physical qubits, runtime, code
distance and T factories.  Where the counts come from:

* a compiled program (:func:`program_logical_counts`): every stage circuit lowered to CX +
  1q gates as the QASM emitter does (:func:`qcompile.circuit.decompose.lower_to_cx`) and
  counted with the estimator's own rules (:func:`circuit_logical_counts`): a rotation
  within :data:`CLIFFORD_T_ATOL` of a multiple of π/4 is a T gate (odd multiple) or a
  Clifford (even), any other rotation — every parametric loader angle among them — a
  rotation; T layers and rotation layers are scheduled per qubit as the estimator's
  tracer does, and the rotation depth is the number of layers holding a rotation; every
  qubit is measured at the end of each stage (read-out and post-selection).
  :func:`traced_logical_counts` asks the estimator itself to trace the same circuit
  through its Qiskit interoperability, the cross-check;
* a resource estimate (:func:`report_logical_counts`, LLM-scale models): the
  estimate's CX + 1q counts per stage, every rotation counted as a rotation and the
  rotation depth bounded by the rotation count (no parallelism assumed: upper bounds).

A whole computation is ``runs`` sequential runs of its stages: the logical qubits are the
widest stage's, the counts add up.  The estimator reads counts as 64-bit integers and its
runtime in nanoseconds wraps past 2^64, which LLM-scale counts exceed; such a computation
is estimated as ``segments`` equal sequential parts, each with ``1/segments`` of the error
budget (:func:`physical_estimate`).  That is exact for the estimator's model: the code
distance and the T-state error it needs depend on the counts only through
``count / budget``, so the physical qubits, code distance and T factories of a part are
the whole's and its runtime is the whole's divided by ``segments`` (the tests check it
against the estimator on counts it can take whole).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field, replace

from qcompile.errors import NotSupportedError, QcompileError

#: the estimator's predefined qubit models
QUBIT_MODELS = ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4",
                "qubit_maj_ns_e4", "qubit_maj_ns_e6")
#: the models ``qcompile resources --physical`` reports without ``--qubit-model``
DEFAULT_QUBIT_MODELS = ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_maj_ns_e4")
#: the estimator's default total error budget (split in thirds: logical, T states, rotations)
DEFAULT_ERROR_BUDGET = 1e-3
#: a rotation this close to a multiple of π/4 is counted as a T gate or a Clifford (the
#: circuit passes treat angles within 1e-12 of each other as equal)
CLIFFORD_T_ATOL = 1e-12
#: largest count of one kind (and logical depth) handed to the estimator in one part; well
#: below 2^63 so that its runtime in nanoseconds (depth × a logical cycle of at most a few
#: hundred microseconds at distance 50) cannot wrap
MAX_PART_COUNT = 10**12

INSTALL_HINT = "pip install 'qcompile[physical]' (Microsoft's resource estimator, the qsharp/qdk package)"


class EstimatorMissingError(NotSupportedError):
    """The resource estimator is not installed."""


def estimator_module():
    """``qdk.estimator`` (or ``qsharp.estimator`` from an older ``qsharp``); a plain
    :class:`EstimatorMissingError` naming the extra when neither is installed."""
    try:
        from qdk import estimator
    except ImportError:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                from qsharp import estimator
        except ImportError:
            raise EstimatorMissingError(f"physical estimates need Microsoft's resource estimator: "
                                        f"{INSTALL_HINT}") from None
    return estimator


@dataclass(frozen=True)
class LogicalCounts:
    """The estimator's input (module docstring); ``source`` says where the counts come from."""

    num_qubits: int
    t_count: int
    rotation_count: int
    rotation_depth: int
    ccz_count: int
    measurement_count: int
    ccix_count: int = 0
    source: str = ""

    def then(self, other: "LogicalCounts") -> "LogicalCounts":
        """This computation followed by ``other`` on the same qubits (widest qubits, counts
        and rotation depths added)."""
        return LogicalCounts(max(self.num_qubits, other.num_qubits), self.t_count + other.t_count,
                             self.rotation_count + other.rotation_count,
                             self.rotation_depth + other.rotation_depth, self.ccz_count + other.ccz_count,
                             self.measurement_count + other.measurement_count,
                             self.ccix_count + other.ccix_count, self.source or other.source)

    def repeated(self, times: int) -> "LogicalCounts":
        """``times`` sequential repetitions."""
        return replace(self, t_count=self.t_count * times, rotation_count=self.rotation_count * times,
                       rotation_depth=self.rotation_depth * times, ccz_count=self.ccz_count * times,
                       measurement_count=self.measurement_count * times, ccix_count=self.ccix_count * times)

    def part(self, segments: int) -> "LogicalCounts":
        """One of ``segments`` equal sequential parts (counts rounded up: an upper bound)."""
        def up(n: int) -> int:
            return -(-n // segments)
        return replace(self, t_count=up(self.t_count), rotation_count=up(self.rotation_count),
                       rotation_depth=up(self.rotation_depth), ccz_count=up(self.ccz_count),
                       measurement_count=up(self.measurement_count), ccix_count=up(self.ccix_count))

    def logical_depth_bound(self) -> int:
        """The largest count of one kind: what decides whether the estimator takes it whole."""
        return max(self.t_count, self.rotation_count, self.rotation_depth, self.ccz_count,
                   self.measurement_count, self.ccix_count)

    def to_estimator(self) -> dict:
        """The estimator's ``LogicalCounts`` fields (camel case)."""
        return {"numQubits": int(self.num_qubits), "tCount": int(self.t_count),
                "rotationCount": int(self.rotation_count), "rotationDepth": int(self.rotation_depth),
                "cczCount": int(self.ccz_count), "ccixCount": int(self.ccix_count),
                "measurementCount": int(self.measurement_count)}

    @classmethod
    def from_estimator(cls, data: dict, source: str = "") -> "LogicalCounts":
        """Counts from the estimator's ``logicalCounts`` dictionary."""
        return cls(int(data["numQubits"]), int(data["tCount"]), int(data["rotationCount"]),
                   int(data["rotationDepth"]), int(data["cczCount"]), int(data["measurementCount"]),
                   int(data.get("ccixCount", 0)), source)

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return asdict(self)


# ---- counting a circuit --------------------------------------------------------------------

_ROTATIONS = ("rx", "ry", "rz", "p")
_TWO_QUBIT_CLIFFORDS = ("cx", "cz", "swap", "mcz", "mcx")


def _angle_kind(angle, atol: float) -> str:
    """``"rotation"``, ``"t"`` or ``"clifford"`` for a rotation angle (symbolic: rotation)."""
    from qcompile.circuit.ir import ParamExpr

    if isinstance(angle, ParamExpr):
        return "rotation"
    theta = float(angle)
    multiple = round(theta / (math.pi / 4))
    if abs(multiple * (math.pi / 4) - theta) <= atol:
        return "t" if multiple % 2 else "clifford"
    return "rotation"


def circuit_logical_counts(circuit, atol: float = CLIFFORD_T_ATOL, final_measurements: bool = True,
                           lower: bool = True) -> LogicalCounts:
    """The logical counts of one circuit-IR circuit (module docstring), after
    :func:`~qcompile.circuit.decompose.lower_to_cx` when ``lower``; ``final_measurements``
    adds one measurement per qubit (the stage's read-out and post-selection).

    Scheduling follows the estimator's tracer: each qubit has a layer level; a T gate or a
    rotation goes into the layer at its qubit's level and raises it by one, a CCX syncs
    its three qubits and raises them past its layer, a 2-qubit Clifford syncs its qubits
    to the higher level, 1-qubit Cliffords and measurements are free.  The rotation depth
    is the number of layers that hold a rotation."""
    from qcompile.circuit.decompose import lower_to_cx

    c = lower_to_cx(circuit) if lower else circuit
    level = [0] * c.num_qubits
    layers: list[bool] = []          # per layer: holds a rotation
    t = rot = ccz = meas = 0
    for name, qs, params in _counted_gates(c):
        if name in _ROTATIONS or name in ("t", "tdg"):
            kind = "t" if name in ("t", "tdg") else _angle_kind(params[0], atol)
            if kind == "clifford":
                continue
            q = qs[0]
            lv = level[q]
            if lv == len(layers):
                layers.append(False)
            if kind == "t":
                t += 1
            else:
                rot += 1
                layers[lv] = True
            level[q] = lv + 1
        elif name == "ccx":
            ccz += 1
            lv = max(level[q] for q in qs)
            if lv == len(layers):
                layers.append(False)
            for q in qs:
                level[q] = lv + 1
        elif name == "measure":
            meas += 1
        elif len(qs) >= 2:
            if name not in _TWO_QUBIT_CLIFFORDS or len(qs) > 2:
                raise QcompileError(f"cannot count the logical resources of a {len(qs)}-qubit '{name}' gate; "
                                    "lower the circuit first")
            lv = max(level[q] for q in qs)
            for q in qs:
                level[q] = lv
    if final_measurements:
        meas += c.num_qubits
    return LogicalCounts(c.num_qubits, t, rot, sum(layers), ccz, meas, 0, "compiled circuits")


def _counted_gates(circuit):
    """``(name, qubits, params)`` of each gate, a controlled phase (the 2-qubit ``mcp`` that
    :func:`~qcompile.circuit.decompose.lower_to_cx` keeps) as Qiskit's ``CPhaseGate``
    definition, which the estimator traces: ``p(θ/2)`` on the control, CX, ``p(−θ/2)``,
    CX, ``p(θ/2)`` on the target (a symbolic θ stays a rotation whatever it is halved to)."""
    from qcompile.circuit.ir import ParamExpr

    for g in circuit.gates:
        if g.name == "mcp" and len(g.qubits) == 2:
            a, b = g.qubits
            theta = g.params[0]
            half = theta if isinstance(theta, ParamExpr) else float(theta) / 2
            yield from (("p", (a,), (half,)), ("cx", (a, b), ()),
                        ("p", (b,), (half if isinstance(half, ParamExpr) else -half,)), ("cx", (a, b), ()),
                        ("p", (b,), (half,)))
        else:
            yield g.name, g.qubits, g.params


def program_logical_counts(program, atol: float = CLIFFORD_T_ATOL) -> LogicalCounts:
    """The logical counts of one run of a compiled program (every stage circuit of every
    run, parametric angles counted as rotations), see :func:`circuit_logical_counts`."""
    total = None
    for sc in program.stages:
        counts = circuit_logical_counts(sc.circuit, atol)
        total = counts if total is None else total.then(counts)
    return total


def snapped(circuit, atol: float = CLIFFORD_T_ATOL):
    """``circuit`` (bound) with every rotation angle within ``atol`` of a multiple of π/4
    set to that multiple exactly: the estimator recognises only exact multiples (within
    machine epsilon), while the circuit passes leave angles that rounding moved by ~1e-15."""
    from qcompile.circuit.ir import Gate
    from qcompile.circuit.peephole import circuit_with_gates

    gates = []
    for g in circuit.gates:
        if g.name in _ROTATIONS and _angle_kind(g.params[0], atol) != "rotation":
            g = Gate(g.name, g.qubits, (round(float(g.params[0]) / (math.pi / 4)) * (math.pi / 4),),
                     g.clbits, g.free)
        gates.append(g)
    return circuit_with_gates(circuit, gates)


def traced_logical_counts(circuit, atol: float = CLIFFORD_T_ATOL) -> LogicalCounts:
    """The logical counts the estimator traces from a bound circuit through its Qiskit
    interoperability (``ResourceEstimatorBackend``, no Qiskit transpilation): the circuit
    lowered to CX + 1q (:func:`~qcompile.circuit.decompose.lower_to_cx`), near-multiples
    of π/4 snapped (:func:`snapped`), every qubit measured at the end."""
    from qcompile.backends.qiskit import to_qiskit
    from qcompile.circuit.decompose import lower_to_cx

    estimator_module()
    try:
        from qdk.qiskit import ResourceEstimatorBackend
    except ImportError:  # an older qsharp
        from qsharp.interop.qiskit import ResourceEstimatorBackend
    if circuit.is_parametric:
        raise QcompileError("bind the circuit's parameters before tracing it with the estimator")
    qc = to_qiskit(snapped(lower_to_cx(circuit), atol))
    qc.remove_final_measurements(inplace=True)
    qc.measure_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = ResourceEstimatorBackend(skip_transpilation=True).run(qc, params={}).result()
    return LogicalCounts.from_estimator(result.data()["logicalCounts"], "traced by the estimator")


def program_traced_counts(program, x) -> LogicalCounts:
    """:func:`traced_logical_counts` of every stage of ``program`` bound to input ``x``,
    added up as one run."""
    total = None
    for k in range(len(program.stages)):
        counts = traced_logical_counts(program.bind(x, k))
        total = counts if total is None else total.then(counts)
    return total


def report_logical_counts(report) -> LogicalCounts:
    """The logical counts of all runs of a :class:`~qcompile.resources.api.ResourceReport`
    (module docstring): T = ``t`` + ``tdg``, CCZ = ``ccx``, rotations = every ``rx``,
    ``ry``, ``rz``, ``p`` of the CX + 1q counts, rotation depth = rotations, measurements =
    mid-circuit ones plus every qubit at the end of each stage; all upper bounds."""
    total = None
    for s in report.stages:
        b = s.basis_gates
        rot = sum(int(b.get(r, 0)) for r in _ROTATIONS)
        counts = LogicalCounts(int(s.qubits), int(b.get("t", 0)) + int(b.get("tdg", 0)), rot, rot,
                               int(b.get("ccx", 0)), int(b.get("measure", 0)) + int(s.qubits), 0,
                               f"resource estimate ({report.mode})")
        total = counts if total is None else total.then(counts)
    return total.repeated(int(report.runs))


# ---- the estimator ---------------------------------------------------------------------


@dataclass
class PhysicalEstimate:
    """What the estimator returns for one qubit model (``runtime_ns`` as a float: it can
    exceed 2^64 ns); ``segments``: in how many equal parts it was estimated (module
    docstring); ``error``: the estimator's message when it found no layout."""

    qubit_model: str
    error_budget: float
    physical_qubits: int | None = None
    runtime_ns: float | None = None
    code_distance: int | None = None
    t_factories: int | None = None
    t_states: float | None = None
    ts_per_rotation: int | None = None
    logical_qubits: int | None = None
    logical_cycle_ns: float | None = None
    segments: int = 1
    error: str | None = None

    @property
    def runtime_s(self) -> float | None:
        """The runtime in seconds."""
        return None if self.runtime_ns is None else self.runtime_ns * 1e-9

    def to_dict(self) -> dict:
        """JSON-ready fields (with ``runtime_s``)."""
        return {**asdict(self), "runtime_s": self.runtime_s}


def _estimator_params(qubit_model: str, error_budget: float) -> dict:
    if qubit_model not in QUBIT_MODELS:
        raise QcompileError(f"unknown qubit model '{qubit_model}'; the estimator's models are "
                            f"{', '.join(QUBIT_MODELS)}")
    if isinstance(error_budget, bool) or not isinstance(error_budget, (int, float)) or not 0 < error_budget < 1:
        raise QcompileError(f"the error budget must be a number in (0, 1), got {error_budget!r}")
    return {"qubitParams": {"name": qubit_model}, "errorBudget": float(error_budget)}


def segments_needed(counts: LogicalCounts) -> int:
    """The smallest power of ten that brings every count under :data:`MAX_PART_COUNT`."""
    segments = 1
    while counts.logical_depth_bound() > MAX_PART_COUNT * segments:
        segments *= 10
    return segments


def physical_estimate(counts: LogicalCounts, qubit_model: str = "qubit_gate_ns_e3",
                      error_budget: float = DEFAULT_ERROR_BUDGET, segments: int | None = None
                      ) -> PhysicalEstimate:
    """The estimator's physical figures for ``counts`` under ``qubit_model`` (the
    estimator's default surface code) and ``error_budget``; counts too
    large for it are estimated in ``segments`` equal parts (:func:`segments_needed`,
    module docstring).  A computation the estimator finds no layout for (e.g. a code
    distance beyond its maximum) comes back with ``error`` set."""
    est = estimator_module()
    params = _estimator_params(qubit_model, error_budget)
    if counts.t_count + counts.rotation_count + counts.ccz_count + counts.ccix_count + counts.measurement_count == 0:
        raise QcompileError("the computation has no T gate, rotation, CCZ or measurement: nothing to estimate")
    k = segments or segments_needed(counts)
    part = counts.part(k) if k > 1 else counts
    params["errorBudget"] = float(error_budget) / k
    out = PhysicalEstimate(qubit_model, float(error_budget), segments=k)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            data = est.LogicalCounts(part.to_estimator()).estimate(params).data()
    except BaseException as exc:  # noqa: BLE001 - EstimatorError derives from BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        out.error = str(getattr(exc, "message", exc)).replace("\n", " ")
        return out
    phys = data["physicalCounts"]
    breakdown = phys["breakdown"]
    out.physical_qubits = int(phys["physicalQubits"])
    out.runtime_ns = float(phys["runtime"]) * k
    out.code_distance = int(data["logicalQubit"]["codeDistance"])
    out.logical_cycle_ns = float(data["logicalQubit"]["logicalCycleTime"])
    out.t_factories = int(breakdown["numTfactories"])
    out.t_states = float(breakdown["numTstates"]) * k
    out.ts_per_rotation = int(breakdown["numTsPerRotation"]) if breakdown.get("numTsPerRotation") is not None else None
    out.logical_qubits = int(breakdown["algorithmicLogicalQubits"])
    return out


@dataclass
class PhysicalReport:
    """Physical estimates of one model: its logical counts (of all runs), where they come
    from, and one :class:`PhysicalEstimate` per qubit model; for a compiled model also the
    counts the estimator traced from the same circuits (``traced``, one run, on one
    random admissible input) and our counts of those very bound circuits (``ours_bound``)."""

    model: str
    runs: int
    counts: LogicalCounts
    estimates: list = field(default_factory=list)
    traced: LogicalCounts | None = None
    ours_bound: LogicalCounts | None = None
    per_run: LogicalCounts | None = None

    def to_dict(self) -> dict:
        """JSON-ready report."""
        return {"model": self.model, "runs": self.runs, "logical_counts": self.counts.to_dict(),
                "logical_counts_per_run": None if self.per_run is None else self.per_run.to_dict(),
                "traced_per_run": None if self.traced is None else self.traced.to_dict(),
                "ours_bound_per_run": None if self.ours_bound is None else self.ours_bound.to_dict(),
                "estimates": [e.to_dict() for e in self.estimates]}


def physical_resources(model_or_path, qubit_models=DEFAULT_QUBIT_MODELS,
                       error_budget: float = DEFAULT_ERROR_BUDGET, *, tolerance: float = 1e-3,
                       optimization: int = 1, dims: dict | None = None, norms: dict | None = None,
                       mode: str = "auto", cross_check: bool = False, seed: int = 0) -> PhysicalReport:
    """Physical estimates of a model (``qcompile resources MODEL --physical``).

    ``mode="auto"``: a model small enough to compile (:func:`qcompile.compiler.check_size`)
    is compiled and its circuits counted (:func:`program_logical_counts`); a larger one,
    or with ``mode="estimate"``, gets the counts of :func:`qcompile.resources.estimate`
    (:func:`report_logical_counts`).  ``cross_check`` (compiled models) also has the
    estimator trace the circuits bound to one random admissible input (``seed``)."""
    from qcompile.compiler import check_size

    estimator_module()          # say how to install it before compiling anything
    models = (qubit_models,) if isinstance(qubit_models, str) else tuple(qubit_models)
    for m in models:
        _estimator_params(m, error_budget)
    if mode not in ("auto", "compiled", "estimate"):
        raise QcompileError(f"unknown mode {mode!r}; use auto, compiled or estimate")
    compiled = False
    if mode != "estimate" and not dims and not norms:
        from qcompile.compiler import load_model

        model = load_model(model_or_path)
        try:
            check_size(model)
            compiled = True
        except QcompileError:
            if mode == "compiled":
                raise
    traced = ours_bound = None
    if compiled:
        import numpy as np

        from qcompile.compiler import compile
        from qcompile.lowering.inputs import random_input

        program = compile(model_or_path, tolerance=tolerance, optimization=optimization)
        runs = len(program.pieces())
        per_run = program_logical_counts(program)
        counts = per_run
        name = program.model.name
        if cross_check:
            if runs != 1:
                raise QcompileError("the cross-check traces one-run programs only")
            x = random_input(program.model, np.random.default_rng(seed))
            bound = [program.bind(x, k) for k in range(len(program.stages))]
            traced = ours_bound = None
            for c in bound:
                t = traced_logical_counts(c)
                o = circuit_logical_counts(snapped_lowered(c), lower=False)
                traced = t if traced is None else traced.then(t)
                ours_bound = o if ours_bound is None else ours_bound.then(o)
    else:
        from qcompile.resources.api import estimate

        report = estimate(model_or_path, dims=dims, norms=norms, tolerance=tolerance, optimization=optimization,
                          mode="abstract" if mode == "estimate" else "auto")
        runs, name = report.runs, report.model
        counts = report_logical_counts(report)
        per_run = counts if runs == 1 else report_logical_counts(replace(report, runs=1))
    estimates = [physical_estimate(counts, m, error_budget) for m in models]
    return PhysicalReport(name, runs, counts, estimates, traced, ours_bound, per_run)


def snapped_lowered(circuit, atol: float = CLIFFORD_T_ATOL):
    """``circuit`` lowered to CX + 1q and snapped (:func:`snapped`): what
    :func:`traced_logical_counts` hands the estimator."""
    from qcompile.circuit.decompose import lower_to_cx

    return snapped(lower_to_cx(circuit), atol)


def format_runtime(ns: float | None) -> str:
    """A runtime in the largest unit that keeps it ≥ 1 (ns … years)."""
    if ns is None:
        return "-"
    s = ns * 1e-9
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60), ("s", 1),
                       ("ms", 1e-3), ("µs", 1e-6)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{ns:.3g} ns"
