"""Run a circuit-level pass on every stage of a :class:`~qcompile.lowering.circuits.StageProgram`."""

from __future__ import annotations

from numbers import Number

from qcompile.passes.manager import Pass, PropertySet


class ForEachStage(Pass):
    """Adapter (not registered): applies ``inner`` — a pass over one
    :class:`~qcompile.circuit.stage.StageCircuit` — to each stage of a program, so one
    pass manager runs the whole pipeline (lowering, building, circuit passes) and its
    dumps, printing and timing cover every step.  Takes ``inner``'s name, kind, levels
    and description.

    Each stage runs with a property set of its own; afterwards every key the inner pass
    wrote is kept per stage in ``properties[key + "_per_stage"]`` (a list in stage order)
    and, when every stage's value is a number, summed in ``properties[key]`` (otherwise
    ``properties[key]`` is the list too)."""

    kind = "transformation"

    def __init__(self, inner: Pass):
        super().__init__()
        self.inner = inner
        self.name = inner.name
        self.kind = inner.kind
        self.takes = inner.takes
        self.gives = inner.gives
        self.description = inner.description
        self.requires = inner.requires
        self.options = inner.options

    def run(self, program, properties):
        out, written = [], []
        for sc in program.stages:
            props = PropertySet(properties)
            result = self.inner.run(sc, props)
            out.append(result)
            written.append({k: v for k, v in props.items() if k not in properties or properties[k] is not v})
        for key in dict.fromkeys(k for w in written for k in w):
            values = [w.get(key) for w in written]
            numeric = all(isinstance(v, Number) and not isinstance(v, bool) for v in values)
            properties[key] = sum(values) if numeric else values
            properties[f"{key}_per_stage"] = values
        if self.inner.kind == "analysis":
            return None
        return program.with_stages(out)

    def __repr__(self) -> str:
        return repr(self.inner)
