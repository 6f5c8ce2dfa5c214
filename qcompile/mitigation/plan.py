"""The mitigation plan: which methods, which circuits to run, how to combine their results.

Recipe (``MitigationPlan.combine``), all steps linear until the last:

1. *readout*: each executed circuit's clbit distribution is corrected with the tensored
   inverse confusion estimated from the two calibration circuits
   (:mod:`qcompile.mitigation.readout`), before post-selection — a misread ancilla must be
   un-flipped, not discarded;
2. the *joint* vector ``J[k] = P(output = k, post-selected bits = 0)`` is taken
   (:func:`qcompile.mitigation.measure.joint_output`);
3. *twirl*: the joint vectors of the random Pauli-frame copies of one scale are averaged;
4. *ZNE*: the averaged joint vectors at the scale factors are extrapolated to zero noise,
   component by component (:func:`qcompile.mitigation.zne.extrapolate`);
5. clip to [0, 1] and renormalise: the post-selected output distribution; the sum before
   renormalising is the mitigated post-selection rate.

Why the joint probabilities and not the conditional distribution: ``J[k]`` is the
expectation value of the projector ``|k⟩⟨k| ⊗ |0⟩⟨0|_anc``, linear in the noisy state, so
its dependence on the noise scale is the smooth decay ZNE's model assumes (for global
depolarizing noise exactly ``F(λ) J_ideal[k] + (1 − F(λ))/2^n``).  The conditional
``J[k]/ΣJ`` is a ratio of two such curves, not polynomial-like in λ, and renormalising
before extrapolating would also let the ancilla noise leak into every output value.
Renormalising once, after extrapolation, keeps every step a fixed linear map of the data.

DD is applied last to every executed circuit (after folding and twirling, which change the
schedule).  All circuits are in the noise basis and keep the stage's symbolic input
parameters; the runner binds them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.mitigation.basis import one_qubit_count, to_noise_basis, two_qubit_count
from qcompile.circuit.schedule import idle_windows
from qcompile.mitigation.dd import SEQUENCES, insert_dd
from qcompile.mitigation.measure import (MeasurementLayout, joint_output, measurement_layout, normalised,
                                         with_final_measurements)
from qcompile.mitigation.noise import ONE_QUBIT_GATES, TWO_QUBIT_GATES, NoiseSpec, parse_noise
from qcompile.mitigation.readout import calibration_circuits, confusion_from_calibration, correct_readout
from qcompile.mitigation.twirl import twirl
from qcompile.mitigation.zne import MitigationError, check_scales, extrapolate, fold_gates, fold_global

METHODS = ("zne", "twirl", "dd", "readout")
FOLDINGS = ("cx", "all", "global")

#: choose_methods thresholds: expected gate errors per shot E for which ZNE is used
ZNE_MIN_ERRORS = 1e-3
ZNE_MAX_ERRORS_AT_TOP_SCALE = 3.0
#: DD is used when it lowers the summed idle infidelity by at least this much
DD_MIN_GAIN = 1e-3
#: readout correction is used when (readout error) × (measured bits) is at least this
READOUT_MIN_FLIPS = 1e-3


@dataclass(frozen=True)
class DistributionEstimate:
    """A post-selected output distribution (over output values, little-endian) and the
    post-selection rate (fraction of shots with every post-selected bit 0)."""

    distribution: np.ndarray
    postselection_rate: float


@dataclass(frozen=True)
class MethodChoice:
    """One method, whether it is used, and why."""

    method: str
    use: bool
    reason: str


@dataclass(frozen=True)
class PlannedCircuit:
    """A circuit to execute: ``role`` is ``"execute"`` (the stage, folded at ``scale``,
    twirl copy ``copy``) or ``"calibrate-0"``/``"calibrate-1"`` (readout calibration)."""

    role: str
    circuit: Circuit
    scale: float = 1.0
    copy: int = 0


@dataclass(frozen=True)
class MitigationPlan:
    """Circuits to run and the recipe to combine their results (module doc).

    ``choices``: a :class:`MethodChoice` per method (the reasons); ``methods``: the ones
    used; ``scales``: ZNE scale factors (``(1.0,)`` without ZNE); ``copies``: twirled
    copies per scale.
    """

    stage_name: str
    num_qubits: int
    layout: MeasurementLayout
    circuits: tuple[PlannedCircuit, ...]
    methods: tuple[str, ...]
    choices: tuple[MethodChoice, ...]
    scales: tuple[float, ...] = (1.0,)
    copies: int = 1
    extrapolation: str = "richardson"
    folding: str = "cx"
    dd_sequence: str = "xx"

    @property
    def reasons(self) -> list[tuple[str, str]]:
        """``(method, reason)`` for every method used."""
        return [(c.method, c.reason) for c in self.choices if c.use]

    def bound_circuits(self, values: Mapping[str, Sequence[float]] | None = None) -> list[Circuit]:
        """Every planned circuit with the stage's input parameters bound."""
        out = []
        for pc in self.circuits:
            c = pc.circuit
            if c.is_parametric:
                if values is None:
                    raise ValueError("the stage circuit is parametric: pass values={name: vector}")
                c = c.bind(values)
            out.append(c)
        return out

    def combine_joint(self, results: Sequence[np.ndarray]) -> np.ndarray:
        """Steps 1–4 of the recipe: the mitigated (unnormalised) joint vector."""
        if len(results) != len(self.circuits):
            raise ValueError(f"the plan has {len(self.circuits)} circuits, got {len(results)} results")
        confusion = None
        if "readout" in self.methods:
            by_role = {pc.role: r for pc, r in zip(self.circuits, results)}
            confusion = confusion_from_calibration(by_role["calibrate-0"], by_role["calibrate-1"], self.num_qubits)
        sums: dict[float, np.ndarray] = {}
        counts: dict[float, int] = {}
        for pc, dist in zip(self.circuits, results):
            if pc.role != "execute":
                continue
            if confusion is not None:
                dist = correct_readout(dist, confusion, self.layout.clbit_qubits)
            j = joint_output(dist, self.layout)
            sums[pc.scale] = sums.get(pc.scale, 0.0) + j
            counts[pc.scale] = counts.get(pc.scale, 0) + 1
        averaged = [sums[s] / counts[s] for s in self.scales]
        if len(self.scales) == 1:
            return averaged[0]
        return extrapolate(self.scales, np.array(averaged), self.extrapolation)

    def combine(self, results: Sequence[np.ndarray]) -> DistributionEstimate:
        """The mitigated post-selected output distribution from one clbit distribution per
        planned circuit (same order as ``circuits``)."""
        dist, rate = normalised(self.combine_joint(results))
        return DistributionEstimate(dist, rate)

    def summary(self) -> dict:
        """Methods, reasons and circuit counts (JSON-ready, for dumps)."""
        return {"methods": list(self.methods), "reasons": {c.method: ("used: " if c.use else "skipped: ") + c.reason
                                                          for c in self.choices},
                "circuits": len(self.circuits), "scales": list(self.scales), "copies": self.copies,
                "extrapolation": self.extrapolation, "folding": self.folding}


# ---------------------------------------------------------------------------- choosing
def choose_methods(noise: "str | NoiseSpec", circuit: Circuit | None = None, measured_bits: int | None = None,
                   scales: Sequence[float] = (1, 3, 5), dd_sequence: str = "xx") -> list[MethodChoice]:
    """Pick methods from the error rates and (optionally) the noise-basis circuit.

    * ``readout`` when ``q · m ≥ 1e-3`` (``m`` measured bits: a shot has a flipped bit
      with probability ≈ ``q m``);
    * ``zne`` when the expected number of gate errors per shot
      ``E = p2 · n_2q + p1 · n_1q`` satisfies ``E ≥ 1e-3`` (below, the bias is under the shot
      noise of any practical run) and ``λ_max · E ≤ 3`` (above, the folded circuits keep
      less than ``e^{-3} ≈ 5%`` of the signal and extrapolation amplifies noise);
    * ``twirl`` never for this model: twirling turns coherent 2-qubit errors into Pauli
      noise (which ZNE's smooth-decay model assumes), but depolarizing noise already is
      Pauli noise and the frame gates add 1-qubit errors (measured: +15% TVD in
      ``benchmarks/bench_mitigation.py``).  A model with coherent errors would turn it on
      together with ZNE;
    * ``dd`` when the model has an idle phase error ``θ`` and, summed over the idle windows
      long enough for the sequence (``w`` layers each), the infidelity it removes,
      ``Σ sin²(θ w/2)``, exceeds what it adds, ``Σ (k·p1 + sin²(θ/2))`` (``k`` pulses, one
      layer of residual phase when the free layers do not split evenly), by ``≥ 1e-3``.
    Without a circuit, ``n_2q = n_1q = m = 1`` per unit (rates alone).
    """
    noise = parse_noise(noise)
    n2 = two_qubit_count(circuit) if circuit is not None else 1
    n1 = one_qubit_count(circuit) if circuit is not None else 1
    m = measured_bits if measured_bits is not None else (circuit.num_qubits if circuit is not None else 1)
    out = []
    flips = noise.readout * m
    if noise.readout == 0:
        out.append(MethodChoice("readout", False, "the noise model has no readout error"))
    elif flips < READOUT_MIN_FLIPS:
        out.append(MethodChoice("readout", False, f"readout error {noise.readout:g} on {m} bits flips only "
                                f"{flips:.2%} of shots"))
    else:
        out.append(MethodChoice("readout", True, f"readout error {noise.readout:g} on {m} measured bits flips a bit "
                                f"in about {min(flips, 1):.1%} of shots; 2 calibration circuits correct it"))
    e = noise.p2 * n2 + noise.p1 * n1
    top = max(float(s) for s in scales)
    what = f"E = p2·n_2q + p1·n_1q = {noise.p2:g}·{n2} + {noise.p1:g}·{n1} = {e:.3g} expected gate errors per shot"
    if e < ZNE_MIN_ERRORS:
        out.append(MethodChoice("zne", False, f"{what}: the gate-noise bias is below practical shot noise"))
        zne = False
    elif top * e > ZNE_MAX_ERRORS_AT_TOP_SCALE:
        out.append(MethodChoice("zne", False, f"{what}: at scale {top:g} only e^-{top * e:.2g} of the signal "
                                "survives, extrapolation would amplify noise"))
        zne = False
    else:
        out.append(MethodChoice("zne", True, f"{what}: at scale {top:g} the fidelity ≈ e^-{top * e:.2g} "
                                f"= {math.exp(-top * e):.2f}, enough signal to extrapolate"))
        zne = True
    if not zne:
        out.append(MethodChoice("twirl", False, "only useful together with ZNE"))
    else:
        out.append(MethodChoice("twirl", False, "the 2-qubit noise is already a Pauli (depolarizing) channel, so "
                                "random frames cannot change it; their extra Pauli gates (up to 4 per 2-qubit "
                                "gate) would only add 1-qubit noise"))
    out.append(_choose_dd(noise, circuit, dd_sequence))
    return [c for name in METHODS for c in out if c.method == name]


def _choose_dd(noise: NoiseSpec, circuit: Circuit | None, sequence: str) -> MethodChoice:
    """DD when the idle phase error it removes exceeds the gate error its pulses add."""
    if noise.idle == 0:
        return MethodChoice("dd", False, "the noise model has no idle (dephasing) error; pulses on idle "
                            "qubits would only add 1-qubit gate noise")
    if circuit is None:
        return MethodChoice("dd", True, f"idle phase error {noise.idle:g} rad per layer (no circuit given to "
                            "weigh it against the pulse cost)")
    k = len(SEQUENCES[sequence])
    windows = [end - start + 1 for _, start, end in idle_windows(circuit) if end - start + 1 >= k]
    removed = sum(math.sin(noise.idle * w / 2) ** 2 for w in windows)
    added = sum(k * noise.p1 + math.sin(noise.idle / 2) ** 2 for _ in windows)
    what = (f"{len(windows)} idle windows of >= {k} layers ({sum(windows)} qubit-layers); idle phase "
            f"{noise.idle:g} rad/layer costs ≈ {removed:.3g} summed infidelity, {sequence} pulses ≈ {added:.3g}")
    if removed - added >= DD_MIN_GAIN:
        return MethodChoice("dd", True, what)
    return MethodChoice("dd", False, what + ": the pulses would not pay for themselves")


def parse_methods(methods: "str | Iterable[str]") -> tuple[str, ...]:
    """``"zne+twirl+dd+readout"``, ``"zne,twirl"``, an iterable, ``"none"`` or ``"auto"``
    (returned as ``("auto",)``); MitigationError for unknown names."""
    if isinstance(methods, str):
        text = methods.strip().lower()
        if text in ("auto", "none", ""):
            return ("auto",) if text == "auto" else ()
        names = [m.strip() for m in text.replace(",", "+").split("+")]
    else:
        names = [str(m).strip().lower() for m in methods]
    for n in names:
        if n not in METHODS:
            raise MitigationError(f"unknown mitigation method '{n}'; choose from {', '.join(METHODS)}, 'auto' or 'none'")
    return tuple(m for m in METHODS if m in names)


# ---------------------------------------------------------------------------- building
def _fold(circuit: Circuit, scale: float, folding: str) -> Circuit:
    if folding == "global":
        return fold_global(circuit, scale)
    gates = TWO_QUBIT_GATES if folding == "cx" else ONE_QUBIT_GATES + TWO_QUBIT_GATES
    return fold_gates(circuit, scale, gates)


def build_plan(stage, methods: "str | Iterable[str]" = "auto", noise: "str | NoiseSpec | None" = None, *,
               scales: Sequence[float] = (1, 3, 5), extrapolation: str = "richardson", folding: str = "cx",
               twirls: int = 8, dd_sequence: str = "xx", seed: int = 0) -> MitigationPlan:
    """The plan for a :class:`~qcompile.circuit.stage.StageCircuit` (module doc).

    ``methods="auto"`` asks :func:`choose_methods` (``noise`` required); explicit methods
    are used as given (their reason: "requested").  ``folding``: ``cx`` (2-qubit gates),
    ``all`` (every gate) or ``global``; ``twirls``: Pauli-frame copies per scale.
    """
    chosen = parse_methods(methods)
    base = to_noise_basis(stage.circuit)
    layout = measurement_layout(stage)
    if chosen == ("auto",):
        if noise is None:
            raise MitigationError("methods='auto' needs a noise model to choose from, e.g. "
                                  "noise='depolarizing:1e-4,1e-3,readout:1e-2'")
        choices = tuple(choose_methods(noise, base, len(layout.output_clbits) + len(layout.postselect_clbits),
                                       scales, dd_sequence))
        chosen = tuple(c.method for c in choices if c.use)
    else:
        choices = tuple(MethodChoice(m, m in chosen, "requested" if m in chosen else "not requested")
                        for m in METHODS)
    if folding not in FOLDINGS:
        raise MitigationError(f"unknown folding '{folding}'; use one of {', '.join(FOLDINGS)}")
    if "twirl" in chosen and twirls < 1:
        raise MitigationError(f"twirling needs at least one copy, got twirls={twirls}")
    use_scales = check_scales(scales, folding != "global") if "zne" in chosen else (1.0,)
    if "zne" in chosen:
        extrapolate(use_scales, np.zeros(len(use_scales)), extrapolation)  # validates the method early
    copies = twirls if "twirl" in chosen else 1
    rng = np.random.default_rng(seed)
    planned = []
    for s in use_scales:
        folded = base if s == 1.0 else _fold(base, s, folding)
        for k in range(copies):
            c = twirl(folded, rng) if "twirl" in chosen else folded
            if "dd" in chosen:
                c = insert_dd(c, dd_sequence)
            planned.append(PlannedCircuit("execute", with_final_measurements(c), s, k))
    if "readout" in chosen:
        zeros, ones = calibration_circuits(base.num_qubits)
        planned += [PlannedCircuit("calibrate-0", zeros), PlannedCircuit("calibrate-1", ones)]
    return MitigationPlan(stage.name, base.num_qubits, layout, tuple(planned), chosen, choices, use_scales,
                          copies, extrapolation, folding, dd_sequence)


def idle_fraction(circuit: Circuit) -> float:
    """Fraction of qubit-layers that are idle windows (a figure for reports)."""
    depth = circuit.depth()
    if depth == 0 or circuit.num_qubits == 0:
        return 0.0
    idle = sum(end - start + 1 for _, start, end in idle_windows(circuit))
    return idle / (depth * circuit.num_qubits)
