"""The ``drop-small-rotations`` pass: remove numeric rotations with |angle| < ``eps``.

For ``rx/ry/rz(θ)`` the angle is first reduced, ``θ = r + 2πk`` with ``r ∈ [−π, π]`` and
``R(θ) = (−1)^k R(r)``; the gate is dropped when ``|r| < eps`` and ``kπ`` goes into the global
phase.  For ``p/mcp(θ)`` (``r = θ mod 2π``) the gate is replaced by the global phase ``r/2``,
the best scalar stand-in for ``diag(1, …, 1, e^{ir})``.  A controlled rotation
``mcrx/mcry/mcrz(θ)`` is reduced mod 4π (``r ∈ [−2π, 2π]``) and dropped without a phase.  In both cases the operator-norm
error of one dropped gate is ``2 sin(|r|/4) ≤ |r|/2``, and for a product of unitaries
``‖Π Uᵢ − Π Vᵢ‖ ≤ Σ ‖Uᵢ − Vᵢ‖``, so ``Σ |r|/2`` over the dropped gates bounds the change of
the whole circuit (and of its post-selected, projected output, since projectors have norm
1); ``alpha`` times it bounds the change of the output vector ``y``.  The pass adds this sum
to ``info["dropped_rotation_error"]`` (the error bound reads it).  Symbolic angles are never
dropped (their value is only known at bind time).  ``eps = 0`` (default) drops nothing.
"""

from __future__ import annotations

from qcompile.circuit.gates import ROTATIONS
from qcompile.circuit.ir import wrap_phase
from qcompile.circuit.peephole import circuit_with_gates
from qcompile.errors import PassError
from qcompile.passes.manager import Pass, register_pass
from qcompile.passes.merge_rotations import reduce_rotation


def drop_small(circuit, eps: float):
    """``(new circuit, gates dropped, error bound Σ|r|/2)`` — see the module docstring."""
    gates = []
    phase = 0.0
    error = 0.0
    dropped = 0
    for g in circuit.gates:
        if g.name in ROTATIONS and not g.is_parametric and eps > 0:
            controls = len(g.qubits) - 1 if g.name in ("mcrx", "mcry", "mcrz") else 0
            kept, ph, err = reduce_rotation(g.name, float(g.params[0]), eps, controls)
            if kept is None and 2 * err < eps:  # err = |r|/2: strictly |r| < eps
                phase = wrap_phase(phase + ph)
                error += err
                dropped += 1
                continue
        gates.append(g)
    return circuit_with_gates(circuit, gates, phase), dropped, error


@register_pass
class DropSmallRotations(Pass):
    """Drops numeric rotations whose reduced angle is below ``eps`` and records the proven
    operator-norm error ``Σ |r|/2`` in ``info["dropped_rotation_error"]`` (module docstring).
    Writes ``properties["dropped_rotations"]``."""

    name = "drop-small-rotations"
    takes = "circuit"
    description = "drop rotations with |angle| < eps; the bound sum |angle|/2 goes into the error budget"
    options = {"eps": 0.0}
    option_ranges = {"eps": (0.0, 6.283185307179586)}

    def run(self, ir, properties: dict):
        """A new StageCircuit without the small rotations."""
        eps = self.options["eps"]
        if eps < 0:
            raise PassError(f"drop-small-rotations needs eps >= 0, got {eps}")
        circuit, dropped, error = drop_small(ir.circuit, eps)
        properties["dropped_rotations"] = dropped
        out = ir.replace_circuit(circuit)
        out.info["dropped_rotation_error"] = out.info.get("dropped_rotation_error", 0.0) + error
        return out
