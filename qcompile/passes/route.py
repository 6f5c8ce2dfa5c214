"""The ``route`` pass: place and route a stage circuit onto a coupling map with Qiskit.

``route{target=line:N}``, ``grid:RxC`` or ``heavy-hex:D`` (``CouplingMap.from_line(N)``,
``from_grid(R, C)``, ``from_heavy_hex(D)``, D odd).  Multi-controlled gates and ``ccx`` are
lowered to CX + 1q first (:func:`qcompile.circuit.decompose.lower_to_cx`,
exact; routing needs ≤ 2-qubit gates), and ``qiskit.transpile`` runs with the coupling map,
``optimization_level`` (default 1), a fixed ``seed`` (default 0, so output is
deterministic) and the circuit-IR basis without ``ccx``.  Symbolic angles survive: the
circuit goes in with one ``ParameterVector`` per parameter vector and comes back through
:func:`qcompile.circuit.synthesis.from_qiskit_parametric`, which turns every affine
``c·x[i] + o`` back into a :class:`ParamExpr` — so routing never needs the input.

Roles.  Physical qubits left over by the device (more qubits than the circuit) start in
|0⟩ and are never touched by a gate of ours, only moved by swaps; they end in |0⟩ and join
``postselect`` (they read 0 with probability 1).  ``output`` and ``postselect`` are remapped
with the *final* layout (where each logical qubit sits after the router's swaps).
``info["layout"]`` is the initial logical → physical map, ``info["final_layout"]`` the
final one, ``info["target"]`` the target string.
"""

from __future__ import annotations

import re

from qcompile.circuit.decompose import lower_to_cx
from qcompile.circuit.synthesis import from_qiskit_parametric
from qcompile.errors import PassError
from qcompile.passes.manager import Pass, register_pass

#: basis handed to the router: the circuit-IR basis without 3-qubit gates (in the order
#: handed to ``qiskit.transpile``, which may steer its choices)
ROUTING_BASIS = ["cx", "cz", "swap", "rz", "ry", "rx", "p", "h", "x", "y", "z", "s", "sdg", "t", "tdg"]


def coupling_map(target: str):
    """The ``qiskit.transpiler.CouplingMap`` for ``line:N``, ``grid:RxC`` or ``heavy-hex:D``."""
    from qiskit.transpiler import CouplingMap

    text = target.strip().lower()
    m = re.fullmatch(r"line:(\d+)", text)
    if m and int(m.group(1)) >= 1:
        return CouplingMap.from_line(int(m.group(1)))
    m = re.fullmatch(r"grid:(\d+)x(\d+)", text)
    if m and int(m.group(1)) >= 1 and int(m.group(2)) >= 1:
        return CouplingMap.from_grid(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"heavy-hex:(\d+)", text)
    if m and int(m.group(1)) % 2 == 1:
        return CouplingMap.from_heavy_hex(int(m.group(1)))
    raise PassError(f"unknown routing target '{target}'; use line:N, grid:RxC or heavy-hex:D (D odd)")


def route_stage(stage, target: str, optimization_level: int = 1, seed: int = 0):
    """The stage circuit placed and routed on ``target`` (module docstring)."""
    from qiskit import transpile

    from qcompile.backends.qiskit import to_qiskit  # the router works on the emitted circuit

    cmap = coupling_map(target)
    n = stage.circuit.num_qubits
    if cmap.size() < n:
        raise PassError(f"target '{target}' has {cmap.size()} qubits; the circuit needs {n}")
    lowered = lower_to_cx(stage.circuit)
    qc = to_qiskit(lowered)
    routed = transpile(qc, coupling_map=cmap, basis_gates=ROUTING_BASIS,
                       optimization_level=optimization_level, seed_transpiler=seed)
    circuit = from_qiskit_parametric(routed, dict(stage.circuit.parameters))
    layout = routed.layout
    if layout is None:  # pragma: no cover - a coupling map always produces a layout
        initial = final = list(range(routed.num_qubits))
    else:
        initial = layout.initial_index_layout(filter_ancillas=False)
        final = layout.final_index_layout(filter_ancillas=False)
    output = tuple(final[q] for q in stage.output)
    postselect = tuple(sorted(set(range(circuit.num_qubits)) - set(output)))
    circuit.registers = {name: tuple(final[q] for q in qs) for name, qs in stage.circuit.registers.items()}
    out = stage.replace_circuit(circuit, output=output, postselect=postselect)
    out.info["layout"] = {q: initial[q] for q in range(n)}
    out.info["final_layout"] = {q: final[q] for q in range(n)}
    out.info["target"] = target
    return out


@register_pass
class Route(Pass):
    """Places and routes the circuit on a coupling map with ``qiskit.transpile`` (module
    docstring); keeps symbolic angles; remaps output/post-selection.  Writes
    ``properties["layout"]``."""

    name = "route"
    takes = "circuit"
    description = "lay out and route onto a coupling map (line:N, grid:RxC, heavy-hex:D) with Qiskit"
    options = {"target": "", "optimization_level": 1, "seed": 0}
    option_ranges = {"target": "routing-target", "optimization_level": (0, 3), "seed": (0, 2**32 - 1)}

    def run(self, ir, properties: dict):
        """A new StageCircuit on the device's qubits."""
        if not self.options["target"]:
            raise PassError("pass 'route' needs a target, e.g. route{target=line:8}")
        out = route_stage(ir, self.options["target"], self.options["optimization_level"],
                          self.options["seed"])
        properties["layout"] = out.info["layout"]
        return out
