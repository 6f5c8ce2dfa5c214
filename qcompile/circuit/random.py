"""Random circuit-IR circuits over the whole gate basis (for property tests and fuzzing)."""

from __future__ import annotations

import math

import numpy as np

from qcompile.circuit.gates import GATE_SPECS, GATES, UNITARY
from qcompile.circuit.ir import Circuit, ParamExpr, Parameter

#: unitary gate names :func:`random_circuit` draws from (all of the IR's unitary basis).
UNITARY_GATES = tuple(n for n in GATES if n in UNITARY)


def random_circuit(num_qubits: int, num_gates: int, rng: np.random.Generator, *,
                   symbolic: float = 0.0, param_name: str = "x", param_size: int = 4,
                   max_controls: int = 3, global_phase: bool = True) -> Circuit:
    """A circuit of ``num_gates`` gates drawn uniformly from :data:`UNITARY_GATES` on
    random distinct qubits, random angles in (−2π, 2π), and a random global phase.

    With probability ``symbolic`` an angle is ``coeff * param_name[i] + offset`` with
    random ``i < param_size``, ``coeff`` in (−2, 2) and ``offset`` in (−π, π).
    ``mcx``/``mcz``/``mcp`` get 0..``max_controls`` controls (bounded by ``num_qubits``).
    """
    out = Circuit(num_qubits, global_phase=float(rng.uniform(-math.pi, math.pi)) if global_phase else 0.0)
    if symbolic > 0:
        out.declare_parameters(param_name, param_size)
    names = [n for n in UNITARY_GATES if (GATE_SPECS[n][0] or 1) <= num_qubits]
    for _ in range(num_gates):
        name = names[int(rng.integers(len(names)))]
        nq, npar = GATE_SPECS[name]
        if nq is None:
            nq = 1 + int(rng.integers(0, min(max_controls, num_qubits - 1) + 1))
        qubits = [int(q) for q in rng.choice(num_qubits, size=nq, replace=False)]
        params = []
        for _ in range(npar):
            if rng.random() < symbolic:
                p = Parameter(param_name, int(rng.integers(param_size)))
                params.append(ParamExpr(p, float(rng.uniform(-2, 2)), float(rng.uniform(-math.pi, math.pi))))
            else:
                params.append(float(rng.uniform(-2 * math.pi, 2 * math.pi)))
        out.append(name, qubits, params)
    return out
