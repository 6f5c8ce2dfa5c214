"""``build-circuits``: quantum IR → circuit IR (one stage circuit per stage)."""

from __future__ import annotations

from qcompile.passes.manager import Pass, register_pass


@register_pass
class BuildCircuits(Pass):
    """Build every stage's input-parametric circuit from its linear form with the quantum
    library (:class:`~qcompile.lowering.circuits.StageBuilder`); each dense factor gets
    the block encoding its quantum IR chose (``dilation`` or ``fable``).  Output: a
    :class:`~qcompile.lowering.circuits.StageProgram`."""

    name = "build-circuits"
    kind = "transformation"
    takes, gives = "quantum", "circuit"
    description = "quantum IR -> circuit IR: one input-parametric circuit per stage"

    def run(self, lowered, properties):
        from qcompile.lowering.circuits import StageBuilder, StageProgram

        builder = StageBuilder(lowered)
        stages = [builder.stage(s) for s in lowered.stages]
        return StageProgram(lowered, stages, builder.loader_table())
