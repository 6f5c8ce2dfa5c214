"""The ``merge-rotations`` pass: ``rz(a) rz(b) → rz(a+b)`` (rx, ry, p, mcp, mcrx/y/z), exactly.

A rotation walks back over the gates it commutes with (see
:func:`qcompile.circuit.peephole.commutes`; the walk is
:class:`qcompile.circuit.peephole.PeepholeScan`'s) to the newest earlier rotation of the
same axis on the same qubits and is added into it: ``R(a)·R(b) = R(a+b)`` for
``R ∈ {rx, ry, rz}`` and their multi-controlled forms ``mcrx/mcry/mcrz`` (same control
set and target; ``rx ≡ mcrx`` without controls), and ``p``/``mcp`` (qubit sets compared as
sets, ``p ≡`` 1-qubit ``mcp``).  Symbolic angles stay :class:`ParamExpr`: ``c₁·x[i] + o₁`` and ``c₂·x[i] + o₂``
merge to ``(c₁+c₂)·x[i] + (o₁+o₂)`` (a plain number when the coefficients cancel); angles of
different parameters do not merge, and the walk continues past them (they commute).

Identity rotations are dropped with their exact phase (:func:`reduce_rotation`):
``rx/ry/rz(θ) = (−1)^k R(θ − 2πk)``, so an angle ≡ 0 (mod 4π) is the identity and one
≡ 2π (mod 4π) is ``−I`` (global phase π is kept); ``p(θ)``/``mcp(θ)`` are the identity for
θ ≡ 0 (mod 2π); a controlled rotation ``mcr*(θ)`` is the identity only for θ ≡ 0 (mod 4π)
(at 2π it is a phase −1 on the controls, not a global phase, and is kept).  "≡ 0" means within ``atol`` (default 1e-12) after reduction; whatever is
dropped is bounded by |r|/2 per gate in operator norm (``p`` dropped as ``r/2`` of global
phase, see :func:`reduce_rotation`) and added to ``info["dropped_rotation_error"]``.

A stage's read-out is ``alpha`` × amplitudes, so a dropped remainder moves it by up to
``alpha·|r|/2``: at the alpha of an exp stage (10⁵–10⁶) remainders of 1e-13 are visible
at the 1e-8 of the surrogate check.  So the pass drops a remainder only while
``alpha × (the stage's dropped error)`` stays within ``output_budget`` (default 1e-12);
past it, the near-identity rotation is kept as it is (exact, one gate more).
"""

from __future__ import annotations

import math

from qcompile.circuit.ir import Angle, Gate, ParamExpr, wrap_phase
from qcompile.circuit.peephole import PeepholeScan, circuit_with_gates
from qcompile.passes.manager import Pass, register_pass


def add_angles(a: Angle, b: Angle) -> Angle | None:
    """``a + b`` as an angle, or None when both are symbolic in different parameters."""
    if isinstance(a, ParamExpr) and isinstance(b, ParamExpr):
        if a.parameter != b.parameter:
            return None
        coeff = a.coeff + b.coeff
        if coeff == 0.0:
            return a.offset + b.offset
        return ParamExpr(a.parameter, coeff, a.offset + b.offset)
    if isinstance(a, ParamExpr):
        return a + float(b)
    if isinstance(b, ParamExpr):
        return b + float(a)
    return float(a) + float(b)


def reduce_rotation(name: str, theta: float, atol: float, controls: int = 0) -> tuple[float | None, float, float]:
    """``(angle or None, global phase, dropped error)`` for a numeric rotation.

    ``rx/ry/rz`` (and ``mcr*`` with ``controls = 0``): ``r = θ − 2πk`` in [−π, π] and
    ``R(θ) = (−1)^k R(r)``, so the phase is ``kπ``; if ``|r| ≤ atol`` the gate goes (angle
    None) and ``|r|/2 ≥ ‖R(r) − I‖`` is the error.  Otherwise the angle is kept as given.
    ``mcrx/mcry/mcrz`` with controls: ``r = θ mod 4π`` in [−2π, 2π]; dropped (no phase)
    when ``|r| ≤ atol``, error ``‖C-R(r) − I‖ = ‖R(r) − I‖ ≤ |r|/2``.
    ``p/mcp``: ``p(θ) = p(r)``, ``r = θ mod 2π`` in [−π, π]; if ``|r| ≤ atol`` the gate
    goes with global phase ``r/2`` (``‖e^{ir/2}·I − diag(1,…,1,e^{ir})‖ = 2 sin(|r|/4) ≤
    |r|/2``).
    """
    if name in ("mcrx", "mcry", "mcrz") and controls > 0:
        r = math.remainder(theta, 4 * math.pi)
        return (theta, 0.0, 0.0) if abs(r) > atol else (None, 0.0, abs(r) / 2)
    r = math.remainder(theta, 2 * math.pi)
    if abs(r) > atol:
        return theta, 0.0, 0.0
    if name in ("rx", "ry", "rz", "mcrx", "mcry", "mcrz"):
        k = round((theta - r) / (2 * math.pi))
        return None, (math.pi if k % 2 else 0.0), abs(r) / 2
    return None, r / 2, abs(r) / 2


def _controls(gate: Gate) -> int:
    """Number of controls of a multi-controlled rotation (0 for other gates)."""
    return len(gate.qubits) - 1 if gate.name in ("mcrx", "mcry", "mcrz") else 0


def _merged_angle(h: Gate, g: Gate) -> Angle | None:
    """The angle of ``h`` (same rotation key as ``g``) and ``g`` merged, or None when they
    do not add up (symbolic in different parameters)."""
    a, b = g.params[0], h.params[0]
    return b + a if type(a) is float and type(b) is float else add_angles(b, a)


def merge_rotations(circuit, atol: float = 1e-12, max_lookback: int = 256, budget: float = math.inf):
    """``(new circuit, merges, dropped error)`` — the transformation of the module docstring;
    identity rotations are dropped only while the dropped error stays ≤ ``budget``."""
    scan = PeepholeScan(circuit.num_qubits, max_lookback)
    info_of, partner, push = scan.info, scan.partner, scan.push
    phase = 0.0
    dropped = 0.0
    merges = 0
    for g in circuit.gates:
        info = info_of(g)
        key = info[3]
        if key < 0:
            push(g, info, key)
            continue
        target, angle = partner(g, key, info[1], _merged_angle)
        if target >= 0:
            merges += 1
            old = scan.gates[target]
            merged = Gate(old.name, old.qubits, (angle,), free=old.free and g.free)
            if isinstance(angle, ParamExpr):
                scan.replace(target, merged)
                continue
            kept, ph, err = reduce_rotation(old.name, angle, atol, _controls(old))
            if kept is None and dropped + err <= budget:
                phase = wrap_phase(phase + ph)
                dropped += err
                scan.remove(target)
            else:
                scan.replace(target, merged)
            continue
        a = g.params[0]
        if not isinstance(a, ParamExpr):  # a rotation has one angle
            kept, ph, err = reduce_rotation(g.name, float(a), atol, _controls(g))
            if kept is None and dropped + err <= budget:
                phase = wrap_phase(phase + ph)
                dropped += err
                continue
        push(g, info, key)
    return circuit_with_gates(circuit, scan.live_gates(), phase), merges, dropped


@register_pass
class MergeRotations(Pass):
    """Merges same-axis rotations on the same qubits through commuting gates and drops
    identity rotations with their exact global phase (module docstring) within the
    stage's ``output_budget``; writes ``properties["merged_rotations"]`` and adds the
    (≤ atol-sized) dropped remainder to ``info["dropped_rotation_error"]``."""

    name = "merge-rotations"
    takes = "circuit"
    description = "merge same-axis rotations (rx ry rz p mcp mcrx mcry mcrz; symbolic too), drop identities"
    options = {"atol": 1e-12, "max_lookback": 256, "output_budget": 1e-12}
    option_ranges = {"atol": (0.0, 6.283185307179586), "max_lookback": (1, 1_000_000),
                     "output_budget": (0.0, 1.0)}

    def run(self, ir, properties: dict):
        """A new StageCircuit with merged rotations."""
        spent = ir.alpha * ir.info.get("dropped_rotation_error", 0.0)
        left = max(self.options["output_budget"] - spent, 0.0)
        budget = left / ir.alpha if ir.alpha > 0 else math.inf   # alpha 0: nothing is read out
        circuit, merges, dropped = merge_rotations(ir.circuit, self.options["atol"],
                                                   self.options["max_lookback"], budget)
        properties["merged_rotations"] = merges
        out = ir.replace_circuit(circuit)
        if dropped:
            out.info["dropped_rotation_error"] = out.info.get("dropped_rotation_error", 0.0) + dropped
        return out
