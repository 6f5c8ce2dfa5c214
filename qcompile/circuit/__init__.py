"""Backend-neutral circuit IR (see :mod:`qcompile.circuit.ir` for the conventions)."""

from qcompile.circuit.ir import GATE_SPECS, Angle, Circuit, Gate, ParamExpr, Parameter, controlled_gates

__all__ = ["GATE_SPECS", "Angle", "Circuit", "Gate", "ParamExpr", "Parameter", "controlled_gates"]
