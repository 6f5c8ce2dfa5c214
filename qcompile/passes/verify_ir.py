"""The ``verify-ir`` analysis: run the tensor-IR verifier and record that it passed."""

from __future__ import annotations

from qcompile.passes.manager import Pass, register_pass


@register_pass
class VerifyIR(Pass):
    """Checks the IR's invariants (raises IRVerifyError); writes ``ir_verified``."""

    name = "verify-ir"
    kind = "analysis"
    takes = "tensor"
    description = "check operand order, types, layer calls and weight shapes of the IR"

    def run(self, ir, properties: dict) -> None:
        """Verify ``ir``; set ``properties["ir_verified"] = True``."""
        ir.verify()
        properties["ir_verified"] = True
