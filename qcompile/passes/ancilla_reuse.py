"""The ``ancilla-reuse`` pass: measure finished post-selected qubits mid-circuit, reset them,
and put later qubits on their wires — fewer qubits, same post-selected output.

Lifetimes.  Qubit ``q``'s lifetime is the closed interval ``[first, last]`` of indices of
the gates touching it.  A post-selected qubit's lifetime ends at its last gate; an output
qubit's never ends (``[first, ∞)``: its wire is never measured or reset); a post-selected
qubit no gate touches has no lifetime and is removed (it is |0⟩ throughout).  The interval
graph (an edge between overlapping lifetimes, built with networkx) is coloured greedily
in order of start time with ``networkx.greedy_color`` — optimal for interval graphs, so
the number of wires equals the largest number of simultaneously live qubits (wires are
then numbered by the smallest original qubit they carry).  Each colour
is one wire; qubits of one colour live on it one after another.  When a post-selected
qubit's lifetime ends and another qubit later starts on the same wire, the pass inserts
``measure q -> c_new; reset q`` right after its last gate and appends ``c_new`` to
``postselect_clbits``.  The last owner of a wire keeps its role (output position, or final
post-selection).

Why this is exact (on the post-selected branch, success probability included).  Measuring
a qubit that no later gate touches commutes with every later gate (they act on other
qubits), so the projector ``|0⟩⟨0|_q`` of "q reads 0" may be applied right after q's last
gate instead of at the end — the deferred-measurement principle.  On the branch where it
read 0 the wire holds |0⟩, ``reset`` does nothing there, and the next owner starts in |0⟩
exactly as its own fresh qubit did.  The unnormalised post-selected state, and hence
``alpha × amplitudes`` and the success probability, are unchanged.  This holds wherever
the last gate sits — also inside an LCU SELECT or a QSVT body of the flat circuit, since
a qubit used by a later iteration is, by definition, not finished yet.

When it is NOT exact: if the resulting circuit were used coherently as a sub-block
afterwards — controlled, inverted, repeated (QSVT, amplitude amplification) or put in an
LCU — because measurement and reset are not unitary and the qubit's "last gate" would no
longer be its last.  The pass therefore runs on final stage circuits only (after all
blocks are assembled).  It is also wrong for a qubit that is discarded rather than
post-selected on 0; such qubits are not allowed in a :class:`StageCircuit` (every qubit is
output or post-selected).
"""

from __future__ import annotations

import math

from qcompile.circuit.ir import Circuit, Gate
from qcompile.passes.manager import Pass, register_pass


def qubit_lifetimes(circuit: Circuit) -> dict[int, tuple[int, int]]:
    """``{qubit: (first gate index, last gate index)}`` for every qubit some gate touches
    (barriers excluded: they order, but do not use, a qubit)."""
    life: dict[int, tuple[int, int]] = {}
    for i, g in enumerate(circuit.gates):
        if g.name == "barrier":
            continue
        for q in g.qubits:
            first = life[q][0] if q in life else i
            life[q] = (first, i)
    return life


def reuse_assignment(circuit: Circuit, output: tuple[int, ...]) -> tuple[dict[int, tuple[int, float]], dict[int, int]]:
    """``(intervals, colour)``: each kept qubit's ``(start, end)`` (``end = inf`` for
    outputs) and its wire number from the greedy-by-start colouring of the interval graph."""
    import networkx as nx

    life = qubit_lifetimes(circuit)
    outs = set(output)
    intervals: dict[int, tuple[int, float]] = {}
    for q in range(circuit.num_qubits):
        if q in outs:
            intervals[q] = (life[q][0] if q in life else 0, math.inf)
        elif q in life:
            intervals[q] = life[q]
    graph = nx.Graph()
    graph.add_nodes_from(intervals)
    order = sorted(intervals, key=lambda q: (intervals[q][0], q))
    active: list[int] = []
    for q in order:  # sweep by start: an edge to every interval still open at q's start
        start = intervals[q][0]
        active = [p for p in active if intervals[p][1] >= start]
        graph.add_edges_from((p, q) for p in active)
        active.append(q)
    colour = nx.greedy_color(graph, strategy=lambda g, colors: iter(order))
    # number the wires by the smallest original qubit on them (stable, readable numbering)
    lowest: dict[int, int] = {}
    for q, c in colour.items():
        lowest[c] = min(q, lowest.get(c, q))
    rank = {c: i for i, c in enumerate(sorted(lowest, key=lowest.get))}
    return intervals, {q: rank[c] for q, c in colour.items()}


def reuse_ancillas(stage):
    """The stage circuit with finished post-selected qubits recycled (module docstring)."""
    circuit = stage.circuit
    intervals, colour = reuse_assignment(circuit, stage.output)
    wires = max(colour.values(), default=-1) + 1
    if wires == circuit.num_qubits:  # nothing to gain: keep the numbering
        result = stage.replace_circuit(circuit.copy())
        result.info["ancilla_reuse"] = {"qubits_before": wires, "qubits_after": wires,
                                        "wire_of": {q: q for q in range(wires)}, "measured_midcircuit": 0}
        return result
    owners: dict[int, list[int]] = {}
    for q in sorted(intervals, key=lambda q: intervals[q][0]):
        owners.setdefault(colour[q], []).append(q)
    # qubit -> position after which it is measured and reset (not for a wire's last owner)
    release: dict[int, list[int]] = {}
    for qs in owners.values():
        for q in qs[:-1]:
            release.setdefault(int(intervals[q][1]), []).append(q)
    clbit = circuit.num_clbits
    new_clbits: list[int] = []
    gates: list[Gate] = []
    for i, g in enumerate(circuit.gates):
        if g.name == "barrier":  # keep it on the qubits alive at this point
            qs = tuple(dict.fromkeys(colour[q] for q in g.qubits
                                     if q in intervals and intervals[q][0] <= i <= intervals[q][1]))
            if qs:
                gates.append(Gate("barrier", qs))
            continue
        gates.append(g.relabel(colour))
        for q in release.get(i, ()):
            gates.append(Gate("measure", (colour[q],), (), (clbit,)))
            gates.append(Gate("reset", (colour[q],)))
            new_clbits.append(clbit)
            clbit += 1
    registers = {name: tuple(colour[q] for q in qs if q in colour) for name, qs in circuit.registers.items()}
    out = Circuit(wires, gates, circuit.global_phase, clbit,
                  {k: v for k, v in registers.items() if v}, dict(circuit.parameters))
    last_owner = {qs[-1] for qs in owners.values()}
    postselect = tuple(sorted(colour[q] for q in stage.postselect if q in last_owner))
    result = stage.replace_circuit(out, output=tuple(colour[q] for q in stage.output),
                                   postselect=postselect,
                                   postselect_clbits=tuple(stage.postselect_clbits) + tuple(new_clbits))
    result.info["ancilla_reuse"] = {"qubits_before": circuit.num_qubits, "qubits_after": wires,
                                    "wire_of": {q: colour[q] for q in sorted(colour)},
                                    "measured_midcircuit": len(new_clbits)}
    return result


@register_pass
class AncillaReuse(Pass):
    """Measures and resets post-selected qubits after their last gate and moves later
    qubits onto their wires (interval-graph colouring); exact on the post-selected branch
    of a final stage circuit (module docstring).  Writes ``properties["qubits_saved"]``."""

    name = "ancilla-reuse"
    takes = "circuit"
    description = "measure+reset finished post-selected qubits mid-circuit and reuse their wires"

    def run(self, ir, properties: dict):
        """A new StageCircuit on fewer (or as many) qubits."""
        out = reuse_ancillas(ir)
        properties["qubits_saved"] = ir.circuit.num_qubits - out.circuit.num_qubits
        return out
