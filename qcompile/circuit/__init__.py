"""Backend-neutral circuit IR (see :mod:`qcompile.circuit.ir` for the conventions)."""

from qcompile.circuit.decompose import basis_gate_set, lower_multicontrolled
from qcompile.circuit.gates import GATE_SPECS, GATES, GateFacts
from qcompile.circuit.ir import Angle, Circuit, Gate, ParamExpr, Parameter, controlled_gates

__all__ = ["GATES", "GATE_SPECS", "Angle", "Circuit", "Gate", "GateFacts", "ParamExpr", "Parameter",
           "basis_gate_set", "controlled_gates", "lower_multicontrolled"]
