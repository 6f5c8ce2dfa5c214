"""``coherent``: the staged quantum IR as one stage, no classical glue (:mod:`qcompile.coherent`)."""

from __future__ import annotations

from qcompile.passes.manager import Pass, register_pass


@register_pass
class Coherent(Pass):
    """Replace the glue between stages by circuitry (:func:`qcompile.coherent.make_coherent`):
    a single-head softmax normaliser is absorbed into the output state, which then holds
    ``(Z·y, Z)``; a model it cannot build (layer norm, several heads) is refused with a
    sentence naming what."""

    name = "coherent"
    kind = "transformation"
    takes = "quantum"
    description = "quantum IR: one stage, the softmax normaliser absorbed into the output (coherent mode)"

    def run(self, lowered, properties):
        from qcompile.coherent import make_coherent

        return make_coherent(lowered)
