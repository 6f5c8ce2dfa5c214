"""The ``mitigate`` pass: attach an error-mitigation plan to a stage circuit.

``mitigate{methods=zne+twirl+dd+readout}`` (or ``methods=auto`` with
``noise="depolarizing:p1,p2,readout:q"``) builds a
:class:`qcompile.mitigation.MitigationPlan` — the extra circuits (folded, twirled,
decoupled, calibration) and the recipe combining their results — and returns a copy of
the :class:`~qcompile.circuit.stage.StageCircuit` with the plan in
``info["mitigation"]``.  The stage's own circuit is not changed (same gates, same
meaning).  The plan's summary (methods, reasons, circuit count) goes into the property
set under ``"mitigation"``.
"""

from __future__ import annotations

from qcompile.errors import PassError, QcompileError
from qcompile.passes.manager import Pass, register_pass


@register_pass
class Mitigate(Pass):
    """Plans zero-noise extrapolation, Pauli twirling, dynamical decoupling and readout correction."""

    name = "mitigate"
    takes = "circuit"
    kind = "transformation"
    description = "attach an error-mitigation plan (zne, twirl, dd, readout) and its extra circuits to a stage"
    options = {"methods": "auto", "noise": "", "scales": "1+3+5", "extrapolation": "richardson",
               "folding": "cx", "twirls": 8, "dd": "xx", "seed": 0}
    option_ranges = {"twirls": (1, 10_000), "seed": (0, 2**32 - 1)}

    def run(self, ir, properties: dict):
        """Return ``ir`` with ``info["mitigation"]`` set to the plan (circuit unchanged)."""
        from qcompile.mitigation.plan import build_plan

        o = self.options
        try:
            scales = [float(s) for s in str(o["scales"]).replace(",", "+").split("+") if s.strip()]
        except ValueError:
            raise PassError(f"option 'scales' of pass 'mitigate' must be numbers joined by '+', got '{o['scales']}'") from None
        try:
            plan = build_plan(ir, o["methods"], o["noise"] or None, scales=scales, extrapolation=o["extrapolation"],
                              folding=o["folding"], twirls=o["twirls"], dd_sequence=o["dd"], seed=o["seed"])
        except PassError:
            raise
        except QcompileError as exc:
            raise PassError(f"pass 'mitigate': {exc.message}") from exc
        out = ir.replace_circuit(ir.circuit)
        out.info["mitigation"] = plan
        properties["mitigation"] = plan.summary()
        return out
