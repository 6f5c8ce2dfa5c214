"""The ASAP schedule of a circuit and the windows in which its qubits idle.

Schedule: ASAP layers, each gate one layer on its qubits (as :meth:`Circuit.depth`; a
barrier synchronises its qubits).  A qubit is *idle* in the layers strictly between two
consecutive gates on it, and after its last gate up to the circuit's last layer (before
the final measurement).  Windows before a qubit's first gate are skipped (it is still in
|0⟩).  Dynamical decoupling (:mod:`qcompile.mitigation.dd`) fills these windows; noisy
simulators with an idle error put an identity on every idle qubit-layer
(:func:`scheduled_items`).
"""

from __future__ import annotations

from qcompile.circuit.ir import Circuit, Gate


def schedule(circuit: Circuit) -> list[int]:
    """ASAP layer (from 0) of every gate; barriers get the layer their qubits reach."""
    level = [0] * circuit.num_qubits
    out = []
    for g in circuit.gates:
        top = max((level[q] for q in g.qubits), default=0)
        if g.name == "barrier":
            out.append(top)
            for q in g.qubits:
                level[q] = top
            continue
        out.append(top)
        for q in g.qubits:
            level[q] = top + 1
    return out


def idle_windows(circuit: Circuit) -> list[tuple[int, int, int]]:
    """``(qubit, first idle layer, last idle layer)`` for every idle window (module doc).

    A gate in layer ``l`` occupies ``[l, l+1)`` on its qubits, a barrier the instant
    before its layer (windows end at barriers, so no pulse crosses one).
    """
    layers = schedule(circuit)
    depth = max((layer + 1 for layer, g in zip(layers, circuit.gates) if g.name not in ("barrier", "measure")),
                default=0)
    uses: dict[int, list[tuple[int, int, str]]] = {q: [] for q in range(circuit.num_qubits)}
    for layer, g in zip(layers, circuit.gates):
        span = (layer, layer) if g.name == "barrier" else (layer, layer + 1)
        for q in g.qubits:
            uses[q].append((span[0], span[1], g.name))
    windows = []
    for q, spans in uses.items():
        started = False  # no pulses before the qubit's first gate: it is still in |0>
        for (_, end, name), (start, _, _) in zip(spans, spans[1:]):
            started = started or name != "barrier"
            if started and start > end:
                windows.append((q, end, start - 1))
        gates = [s for s in spans if s[2] != "barrier"]
        if gates and gates[-1][2] not in ("measure", "reset") and depth > spans[-1][1]:
            windows.append((q, spans[-1][1], depth - 1))
    return sorted(windows, key=lambda w: (w[1], w[0]))


def split_final_measurements(circuit: Circuit) -> tuple[Circuit, list[Gate]]:
    """The circuit without its final measurements, and those measurements."""
    touched: set[int] = set()
    final: list[int] = []
    for i in range(len(circuit.gates) - 1, -1, -1):
        g = circuit.gates[i]
        if g.name == "measure" and g.qubits[0] not in touched:
            final.append(i)
        if g.name != "barrier":
            touched.update(g.qubits)
    body = circuit.copy()
    keep = set(final)
    body.gates = [g for i, g in enumerate(circuit.gates) if i not in keep]
    return body, [circuit.gates[i] for i in sorted(final)]


def scheduled_items(circuit: Circuit) -> list:
    """The gates in schedule order with an ``("id", q)`` marker on every idle qubit-layer
    (:func:`idle_windows` of the circuit without its final measurements; those come last,
    all together, as on hardware)."""
    body, finals = split_final_measurements(circuit)
    timed = [(layer - (0.5 if g.name == "barrier" else 0.0), i, g)
             for i, (layer, g) in enumerate(zip(schedule(body), body.gates))]
    order = len(timed)
    for q, start, end in idle_windows(body):
        for layer in range(start, end + 1):
            timed.append((layer, order, ("id", q)))
            order += 1
    timed.sort(key=lambda t: (t[0], t[1]))
    return [item for _, _, item in timed] + finals
