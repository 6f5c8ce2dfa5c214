"""``qcompile.resources.estimate``: the resources of a model, from its quantum IR alone.

Two ways to get the quantum IR (:class:`~qcompile.lowering.symbolic.Lowered`):

* **compiled** (models small enough to build, :func:`qcompile.compiler.check_size`): the
  very lowering :func:`qcompile.compile` runs (weights, calibrated polynomial degrees).
  Each distinct dense weight block is synthesised once, as the compiler builds it (the
  dilation's Qiskit QSD depends on the matrix by a few gates;
  :func:`qcompile.resources.estimate.synthesised_dense_cost`), and enters with its own
  counts; FABLE blocks are counted by formula with the matrix's compression mask.  At
  ``-O0`` (no circuit pass) qubits, CX and every gate count by name are then those of
  the compiled circuits, exactly, with either method.  At ``-O1``/``-O2`` they are those
  of the folded circuits as built, before the circuit passes, which only remove gates and
  reuse ancillas (``-O2``'s fusion and resynthesis depend on the weights): upper bounds
  the compiled circuits never exceed.
* **abstract** (larger models, or ``mode="abstract"``): the same lowering over
  :class:`~qcompile.lowering.linalg.AbstractMatrix` weights (shapes and norms,
  :mod:`qcompile.resources.norms`), each nonlinearity's degree from
  :mod:`qcompile.resources.degrees` at the tolerance (no calibration: that needs the
  circuits' inputs).  α's are then bounds from the norms, degrees upper bounds, and the
  dense blocks get the generic dilation count
  (:func:`qcompile.resources.counts.dilation_cost`), so the report calls qubits, CX and
  gate counts upper bounds at every level.  They assume generic weights: a bias that is
  exactly zero is dropped when compiled, and a nonlinearity whose argument thereby loses
  its constant term keeps the parity split (one qubit more,
  :func:`qcompile.lowering.polynomials.shift_allowed`), which the abstract lowering cannot
  see.

Stacks of layers: a model whose layer count is a ``dim layers`` is lowered with one layer.
Only the last layer's selected token is needed; every earlier layer must produce every
token's row for the next one's keys and values, and the compiler builds one token per run,
so a stack costs ``runs = seq·(layers − 1) + 1`` runs of the one-layer circuits (a
statement about today's staging, not a lower bound for the model).

Figures per stage: qubits (output, ancillas), gates by name (IR and CX + 1q basis), CX,
rotations and a T-count estimate (the T states Microsoft's resource estimator counts,
:func:`t_states`: ``⌈0.53·log2(R/ε) + 5.3⌉`` per rotation for R rotations synthesised
within a total ``ε`` = a tenth of the tolerance, 4 per ``ccx`` (a CCZ state), 1 per
``t``/``tdg``), a depth bound (the basis gate count), ``log10 α``, the
success probability for a unit-norm output ``1/α²`` (``‖y‖²/α²`` for an output ``y``) and
the amplitude-amplification rounds ``⌈π α/4⌉`` it implies, each nonlinearity's degree and approximation error
(measured for a chosen polynomial, the coefficient-tail bound for an estimate), and the
calls to every loader and weight block encoding.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from qcompile.errors import QcompileError

#: share of the tolerance given to rotation synthesis in the T-count estimate
SYNTHESIS_SHARE = 0.1


@dataclass
class StageResources:
    """The estimated circuit of one stage (see the module docstring for each figure)."""

    index: int
    qubits: int
    output_qubits: int
    ancillas: int
    gates: dict
    basis_gates: dict
    cx: int
    rotations: int
    t_count: int
    depth_bound: int
    log10_alpha: float
    degrees: dict
    calls: dict
    polynomial_errors: dict = field(default_factory=dict)

    @property
    def success_probability(self) -> float:
        """``1/α²``: the post-selection probability of a unit-norm output (which needs
        ``α ≥ 1``; 0.0 when it underflows — ``log10_alpha`` keeps the exact figure)."""
        return min(1.0, 10.0 ** (-2.0 * max(self.log10_alpha, 0.0)))

    @property
    def amplification_rounds(self) -> float:
        """``⌈π α / 4⌉`` amplitude-amplification rounds for a unit-norm output."""
        if self.log10_alpha > 300:
            return math.inf
        return float(math.ceil(math.pi * 10.0 ** self.log10_alpha / 4.0))

    def to_dict(self) -> dict:
        """JSON-ready figures."""
        return {"stage": self.index, "qubits": self.qubits, "output_qubits": self.output_qubits,
                "ancillas": self.ancillas, "cx": self.cx, "gates": self.gates,
                "basis_gates": self.basis_gates, "rotations": self.rotations, "t_count": self.t_count,
                "depth_bound": self.depth_bound, "log10_alpha": self.log10_alpha,
                "success_probability_unit_output": self.success_probability,
                "amplification_rounds_unit_output": self.amplification_rounds,
                "degrees": self.degrees, "polynomial_errors": self.polynomial_errors, "calls": self.calls}


@dataclass
class ResourceReport:
    """Resources of one model (module docstring); ``exactness`` says, per figure,
    ``"exact"``, ``"upper bound"`` or ``"estimate"``; ``note`` why a small model was
    estimated from the abstract lowering (``mode="auto"`` when the compiler cannot
    calibrate it, e.g. a polynomial degree beyond its limit)."""

    model: str
    dims: dict
    mode: str
    method: str
    optimization: int
    tolerance: float
    token: int
    layers: int
    runs: int
    stages: list = field(default_factory=list)
    exactness: dict = field(default_factory=dict)
    seconds: float = 0.0
    note: str | None = None
    # ---- per stage, certified [low, high] bounds of the success probability (qcompile.success)
    success_bounds: list = field(default_factory=list)

    @property
    def qubits(self) -> int:
        """The widest stage."""
        return max(s.qubits for s in self.stages)

    @property
    def cx(self) -> int:
        """CX of one run (all stages)."""
        return sum(s.cx for s in self.stages)

    def totals(self) -> dict:
        """Sums over the stages of one run and over all ``runs``."""
        gates: Counter = Counter()
        for s in self.stages:
            gates.update(s.gates)
        one = {"cx": self.cx, "rotations": sum(s.rotations for s in self.stages),
               "t_count": sum(s.t_count for s in self.stages),
               "depth_bound": sum(s.depth_bound for s in self.stages)}
        return {"per_run": {**one, "gates": dict(sorted(gates.items()))},
                "all_runs": {k: v * self.runs for k, v in one.items()}}

    def to_dict(self) -> dict:
        """JSON-ready report (``qubits`` and ``cx`` at the top level, as in ``--stats``)."""
        return {"model": self.model, "dims": self.dims, "mode": self.mode, "method": self.method,
                "optimization": self.optimization, "tolerance": self.tolerance, "token": self.token,
                "qubits": self.qubits, "cx": self.cx, "layers": self.layers, "runs": self.runs,
                "log10_alpha": [s.log10_alpha for s in self.stages],
                "success_probability_unit_output": [s.success_probability for s in self.stages],
                "degrees": {k: v for s in self.stages for k, v in s.degrees.items()},
                "totals": self.totals(), "stages": [s.to_dict() for s in self.stages],
                "exactness": self.exactness, "seconds": self.seconds, "note": self.note,
                "success_probability_bounds": self.success_bounds}  # ---- qcompile.success


#: T states per synthesised rotation, ``⌈A·log2(R/ε) + B⌉`` for R rotations within a total
#: synthesis error ε: the resource estimator's model (repeat-until-success synthesis with
#: fallback, Kliuchnikov et al. 2022; ``tests/resources/test_physical.py`` checks it
#: against the estimator)
ROTATION_T_SLOPE = 0.53
ROTATION_T_OFFSET = 5.3
#: T states per Toffoli (one CCZ state, as the estimator counts it)
CCZ_T_STATES = 4


def rotation_t_states(rotations: int, epsilon: float) -> int:
    """T states per rotation when ``rotations`` rotations share the synthesis error
    ``epsilon`` (the estimator's ``numTsPerRotation``); 0 without rotations."""
    if rotations <= 0:
        return 0
    return math.ceil(ROTATION_T_SLOPE * math.log2(rotations / epsilon) + ROTATION_T_OFFSET)


def t_states(basis: dict, rotations: int, epsilon: float) -> int:
    """The T states of a CX + 1q circuit: ``t``/``tdg`` gates, 4 per ``ccx`` and
    :func:`rotation_t_states` per rotation (the estimator's ``numTstates``)."""
    return (basis.get("t", 0) + basis.get("tdg", 0) + CCZ_T_STATES * basis.get("ccx", 0)
            + rotations * rotation_t_states(rotations, epsilon))


def _t_count(basis: dict, rotations: int, tolerance: float) -> int:
    return t_states(basis, rotations, SYNTHESIS_SHARE * tolerance)


def stage_resources(estimator, stage, tolerance: float) -> StageResources:
    """The :class:`StageResources` of one stage of ``estimator``'s program."""
    from qcompile.qir.nodes import Nonlinear
    from qcompile.resources.estimate import ROTATIONS, basis_counts

    node = estimator.stage(stage)
    cost = node.cost
    basis = basis_counts(cost.counts)
    rotations = sum(basis.get(r, 0) for r in ROTATIONS)
    degrees, errors = {}, {}
    for src in stage.form.sources():
        if isinstance(src, Nonlinear):
            degrees[f"%{src.node} {src.function}"] = int(src.polynomial.degree)
            errors[f"%{src.node} {src.function}"] = float(src.polynomial.error)
    return StageResources(stage.index, cost.num_qubits, cost.system, cost.ancillas,
                          cost.counts.by_name(), basis, cost.counts.cx(), rotations,
                          _t_count(basis, rotations, tolerance), sum(basis.values()),
                          node.log_alpha / math.log(10.0), degrees, dict(sorted(node.calls.items())), errors)


def _lowered(model, token: int, tolerance: float, mode: str, norms, method: str, optimization: int,
             coherent: bool = False):
    """The quantum IR of the level: the compiler's own passes (compiled mode) or the
    abstract lowering with the same foldings and estimated polynomials; ``coherent``: one
    stage (:mod:`qcompile.coherent`)."""
    if mode == "compiled":
        from qcompile.passes.manager import PassManager
        from qcompile.passes.pipelines import quantum_pipeline

        return PassManager(quantum_pipeline(token, tolerance, method, optimization, coherent)).run(model)
    from qcompile.lowering.symbolic import lower
    from qcompile.qir.fold import refold, with_polynomials
    from qcompile.qir.linalg import AbstractLinearAlgebra
    from qcompile.resources.degrees import estimate_policy
    from qcompile.resources.norms import abstract_weights

    weights = abstract_weights(model.ir.weight_shapes(), norms)
    program = lower(model, token, la=AbstractLinearAlgebra(), weights=weights, method=method)
    if coherent:
        from qcompile.coherent import make_coherent

        program = make_coherent(program, la=AbstractLinearAlgebra())
    if optimization >= 1:   # the passes of the level: fold-linear-chains, fold-constants
        program = refold(refold(program, chains=True, constants=False), chains=False, constants=True)
    return with_polynomials(program, estimate_policy(tolerance))


def estimate(model_or_path, *, dims: dict | None = None, optimization: int = 1, tolerance: float = 1e-3,
             norms: dict | None = None, token="model", method: str = "dilation", mode: str = "auto",
             coherent: bool = False) -> ResourceReport:
    """The :class:`ResourceReport` of a model (a path or .qtf text; module docstring).

    ``dims`` overrides ``dim`` values (``{"d_model": 4096}``); ``norms`` is a norms JSON
    object (:mod:`qcompile.resources.norms`); ``mode``: ``"auto"`` (compiled quantum IR
    when the model can be built, else abstract), ``"compiled"`` or ``"abstract"``.
    ``optimization`` selects the quantum IR: ``-O0`` unfolded (one block encoding per
    weight), ``-O1``/``-O2`` after the IR-level fusion passes; the circuit passes of those
    levels only remove gates and reuse ancillas, so there the counts are upper bounds.
    In compiled mode at ``-O0`` qubits, CX and gates are exact (each dense block is
    synthesised once and counted as built); the report's ``exactness`` says, per figure,
    which are exact and which are bounds.  ``coherent``: the model as one circuit
    (:mod:`qcompile.coherent`; a stack of layers is refused).
    """
    from qcompile.compiler import CompileOptions, check_size, prepare
    from qcompile.model import sequence_length
    from qcompile.model import load

    from qcompile.resources.norms import check_norms
    from qcompile.validate import check_dims

    dims, norms = check_dims(dims), check_norms(norms)
    t0 = time.perf_counter()
    options = CompileOptions(tolerance, method, optimization, coherent=coherent)
    if mode not in ("auto", "compiled", "abstract"):
        raise QcompileError(f"unknown mode {mode!r}; use auto, compiled or abstract")
    mode_asked = mode
    dims = dict(dims or {})
    if isinstance(model_or_path, (str, os.PathLike)):
        probe = load(model_or_path, dims=dims) if dims else load(model_or_path)
        layers = int(probe.dims.get("layers", 1))
        model = load(model_or_path, dims={**dims, "layers": 1}) if layers > 1 else probe
    else:
        model, layers = model_or_path, 1
    if coherent and layers > 1:
        from qcompile.coherent import refuse

        refuse(model.name, f"it stacks {layers} layers, each run once per token")
    fallback = None
    if mode == "auto":
        try:
            check_size(model)
            mode = "compiled"
        except QcompileError:
            mode = "abstract"
    elif mode == "compiled":
        try:
            check_size(model)
        except QcompileError as exc:
            raise QcompileError(f"{exc.message.split(';')[0]}; estimate it with --mode abstract (or auto)") from None
    model, tok = prepare(model, token, size_check=False)
    tolerance, method, optimization = options.tolerance, options.method, options.optimization
    try:
        lowered = _lowered(model, tok, float(tolerance), mode, norms, method, optimization, coherent)
    except QcompileError as exc:
        # auto: a model the compiler cannot calibrate (e.g. a degree beyond its limit) is
        # still estimated, from the abstract lowering, and the report says why
        if mode != "compiled" or mode_asked != "auto":
            raise
        fallback = exc.message
        mode = "abstract"
        lowered = _lowered(model, tok, float(tolerance), mode, norms, method, optimization, coherent)
    from qcompile.resources.estimate import Estimator, synthesised_dense_cost

    # concrete weights: every dilation counted as synthesised (exact); abstract ones: the
    # generic count (an upper bound); FABLE: its formula with the matrix's mask (exact)
    dense = synthesised_dense_cost if mode == "compiled" and method == "dilation" else None
    est = Estimator(lowered, dense_cost=dense)
    stages = [stage_resources(est, st, float(tolerance)) for st in lowered.stages]
    seq = sequence_length(model)
    runs = seq * (layers - 1) + 1
    # compiled -O0: the circuits as built, every block counted from its own construction;
    # otherwise the circuit passes (-O1/-O2) or the generic dense count (abstract) bound them
    exact_counts = mode == "compiled" and optimization == 0
    exactness = {
        "qubits": "exact" if exact_counts else "upper bound",
        "cx": "exact" if exact_counts else "upper bound",
        "gates": "exact" if exact_counts else "upper bound",
        "degrees": "exact (calibrated)" if mode == "compiled" else "upper bound at the tolerance (not calibrated)",
        "alpha": "exact" if mode == "compiled" else "bound from the weight norms",
        "t_count": "estimate (T states, the resource estimator's synthesis model)",
        "depth": "upper bound (gate count)",
    }
    note = None if fallback is None else f"not compilable at this tolerance ({fallback}); estimated from the abstract lowering"
    # ---- certified success-probability bounds per stage (qcompile.success)
    from qcompile.success import success_bounds
    bounds = [[b.low, b.high] for b in success_bounds(lowered)]
    return ResourceReport(model.name, dict(model.dims, layers=layers) if layers > 1 else dict(model.dims),
                          mode, method, optimization, float(tolerance), tok, layers, runs, stages, exactness,
                          time.perf_counter() - t0, note, bounds)


def write_shipped_table() -> str:
    """Estimate every shipped configuration and example at every level and write the
    multi-controlled gates' lowered counts they needed to the package's table."""
    import glob
    import json
    import os

    from qcompile.resources import gates

    gates.reset_cache()
    here = os.path.dirname(__file__)
    for path in sorted(glob.glob(os.path.join(here, "..", "..", "examples", "*.qtf"))):
        for level in (0, 1):
            try:
                estimate(path, optimization=level, mode="abstract")
            except Exception:  # noqa: BLE001 - examples the lowering does not support
                pass
    version, digest = gates.cache_key()
    out = os.path.join(os.path.dirname(gates.__file__), gates.SHIPPED)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"qiskit": version, "decompose": digest, "gates": dict(sorted(gates.cache().items()))}, fh)
        fh.write("\n")
    return out
