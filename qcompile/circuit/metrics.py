"""Size figures of a circuit: gate counts, CX count in the CX + 1q basis, depth."""

from __future__ import annotations

from functools import lru_cache

from qcompile.circuit.ir import Circuit, Gate

#: CX cost of the fixed-size two- and three-qubit basis gates
_FIXED_CX = {"cx": 1, "cz": 1, "swap": 3, "ccx": 6}


@lru_cache(maxsize=None)
def _multicontrolled_cx(name: str, width: int) -> int:
    """CX count of a multi-controlled gate on ``width`` qubits after lowering."""
    from qcompile.circuit.decompose import lower_multicontrolled

    c = Circuit(width)
    c.add_gate(Gate(name, tuple(range(width)), (0.3,) if name in ("mcp", "mcrx", "mcry", "mcrz") else ()))
    return cx_count(lower_multicontrolled(c))


def cx_count(circuit: Circuit) -> int:
    """CX gates needed in the CX + single-qubit basis (cz = 1, swap = 3, ccx = 6,
    multi-controlled gates as lowered by :func:`qcompile.circuit.decompose.lower_multicontrolled`)."""
    total = 0
    for g in circuit.gates:
        if g.name in _FIXED_CX:
            total += _FIXED_CX[g.name]
        elif g.name in ("mcx", "mcz", "mcp", "mcrx", "mcry", "mcrz"):
            total += _multicontrolled_cx(g.name, len(g.qubits)) if len(g.qubits) > 1 else 0
    return total


def circuit_metrics(circuit: Circuit) -> dict:
    """``{"gates": {name: count}, "cx": CX count, "depth": depth, "num_gates": total}``."""
    ops = circuit.count_ops()
    return {"gates": ops, "num_gates": sum(ops.values()), "cx": cx_count(circuit),
            "depth": circuit.depth()}
