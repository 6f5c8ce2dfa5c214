"""Size figures of a circuit: gate counts, CX count in the CX + 1q basis, depth."""

from __future__ import annotations

from functools import lru_cache

from qcompile.circuit.gates import GATES
from qcompile.circuit.ir import Circuit, Gate


@lru_cache(maxsize=None)
def cx_cost(name: str, width: int) -> int:
    """CX count of one gate ``name`` on ``width`` qubits in the CX + 1-qubit basis: the
    table's fixed count (cx, cz = 1, swap = 3, ccx = 6, 0 for the rest), and for a
    multi-controlled gate the count of its lowering by
    :func:`qcompile.circuit.decompose.lower_multicontrolled` (0 without controls)."""
    cx = GATES[name].cx
    if cx is not None:
        return cx
    return _lowered_cx(name, width) if width > 1 else 0


def _lowered_cx(name: str, width: int) -> int:
    """CX count of a multi-controlled gate on ``width`` qubits after lowering."""
    from qcompile.circuit.decompose import lower_gate

    params = (0.3,) * GATES[name].num_angles
    gates, _ = lower_gate(Gate(name, tuple(range(width)), params))
    return sum(cx_cost(g.name, len(g.qubits)) for g in gates)


def cx_count(circuit: Circuit) -> int:
    """CX gates needed in the CX + single-qubit basis (cz = 1, swap = 3, ccx = 6,
    multi-controlled gates as lowered by :func:`qcompile.circuit.decompose.lower_multicontrolled`;
    :func:`cx_cost` per gate)."""
    return sum(cx_cost(g.name, len(g.qubits)) for g in circuit.gates)


def circuit_metrics(circuit: Circuit) -> dict:
    """``{"gates": {name: count}, "cx": CX count, "depth": depth, "num_gates": total}``."""
    ops = circuit.count_ops()
    return {"gates": ops, "num_gates": sum(ops.values()), "cx": cx_count(circuit),
            "depth": circuit.depth()}
