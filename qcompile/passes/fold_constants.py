"""``fold-constants``: apply fixed maps to constants and add constants up (quantum IR)."""

from __future__ import annotations

from qcompile.passes.manager import Pass, register_pass


@register_pass
class FoldConstants(Pass):
    """Fold constant additions: a fixed map applied to a constant becomes the constant
    it computes (``W·b → (Wb)``, e.g. the next layer's weight times a bias or LayerNorm
    β), and every constant of a form becomes one (``b₁ + b₂``): one state preparation
    instead of a block encoding per map and a term per constant.  Exact (same vectors).
    Polynomials are cleared; ``select-polynomials`` chooses them after."""

    name = "fold-constants"
    kind = "transformation"
    takes = "quantum"
    description = "quantum IR: apply fixed maps to constants, sum the constants of a form"

    def run(self, lowered, properties):
        from qcompile.qir.fold import refold

        return refold(lowered, chains=False, constants=True)
