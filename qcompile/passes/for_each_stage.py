"""Run a circuit-level pass on every stage of a :class:`~qcompile.lowering.circuits.StageProgram`."""

from __future__ import annotations

from qcompile.passes.manager import Pass


class ForEachStage(Pass):
    """Adapter (not registered): applies ``inner`` — a pass over one
    :class:`~qcompile.circuit.stage.StageCircuit` — to each stage of a program, so one
    pass manager runs the whole pipeline (lowering, building, circuit passes) and its
    dumps, printing and timing cover every step.  Takes ``inner``'s name, kind and
    description."""

    kind = "transformation"

    def __init__(self, inner: Pass):
        super().__init__()
        self.inner = inner
        self.name = inner.name
        self.kind = inner.kind
        self.description = inner.description
        self.requires = inner.requires
        self.options = inner.options

    def run(self, program, properties):
        if self.inner.kind == "analysis":
            for sc in program.stages:
                self.inner.run(sc, properties)
            return None
        return program.with_stages([self.inner.run(sc, properties) for sc in program.stages])

    def __repr__(self) -> str:
        return repr(self.inner)
