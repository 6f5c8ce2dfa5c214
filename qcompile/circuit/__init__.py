"""Backend-neutral circuit IR (see :mod:`qcompile.circuit.ir` for the conventions)."""

from qcompile.circuit.decompose import basis_gate_set, lower_multicontrolled
from qcompile.circuit.ir import GATE_SPECS, Angle, Circuit, Gate, ParamExpr, Parameter, controlled_gates

__all__ = ["GATE_SPECS", "Angle", "Circuit", "Gate", "ParamExpr", "Parameter", "basis_gate_set",
           "controlled_gates", "lower_multicontrolled"]
