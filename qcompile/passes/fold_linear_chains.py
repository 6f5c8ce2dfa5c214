"""``fold-linear-chains``: multiply chains of fixed linear maps in the quantum IR."""

from __future__ import annotations

from qcompile.passes.manager import Pass, register_pass


@register_pass
class FoldLinearChains(Pass):
    """Fold chains of fixed linear maps with no nonlinearity between them into one dense
    factor (``W₂·W₁ → W₂W₁``; in attention the keys' ``W_kᵀ`` with the query's ``W_q``
    and the centering and ``γ`` of a layer norm with the next weight), and merge terms
    that differ only in their leading fixed map (``x + W x → (I + W) x``).  One block
    encoding replaces several, and ``α = ‖W₂W₁‖ ≤ ‖W₂‖‖W₁‖``.  Exact: the forms compute
    the same vectors (:func:`qcompile.qir.fold.refold`).  Polynomials are cleared
    (their arguments' α changed); ``select-polynomials`` chooses them after."""

    name = "fold-linear-chains"
    kind = "transformation"
    takes = "quantum"
    description = "quantum IR: multiply dense chains (incl. W_k.W_q^T), merge x + Wx into (I+W)x"

    def run(self, lowered, properties):
        from qcompile.qir.fold import refold

        return refold(lowered, chains=True, constants=False)
