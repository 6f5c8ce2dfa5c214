"""Size figures of a circuit: gate counts, CX count in the CX + 1q basis, depth."""

from __future__ import annotations

from qcompile.circuit.gates import cx_cost
from qcompile.circuit.ir import Circuit


def cx_count(circuit: Circuit) -> int:
    """CX gates needed in the CX + single-qubit basis (cz = 1, swap = 3, ccx = 6,
    multi-controlled gates as lowered by :func:`qcompile.circuit.decompose.lower_multicontrolled`;
    :func:`qcompile.circuit.gates.cx_cost` per gate)."""
    return sum(cx_cost(g.name, len(g.qubits)) for g in circuit.gates)


def circuit_metrics(circuit: Circuit) -> dict:
    """``{"gates": {name: count}, "cx": CX count, "depth": depth, "num_gates": total}``."""
    ops = circuit.count_ops()
    return {"gates": ops, "num_gates": sum(ops.values()), "cx": cx_count(circuit),
            "depth": circuit.depth()}
