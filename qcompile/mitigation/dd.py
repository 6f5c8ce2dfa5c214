"""Dynamical decoupling: identity pulse sequences on idle windows of a layered schedule.

Schedule and idle windows: :mod:`qcompile.circuit.schedule` (ASAP layers; a qubit idles
between two of its gates and after its last one, not before its first).  Sequences (time
order), placed in free layers of the window so the depth does not grow:

* ``xx``:  ``X · X`` = I, in a window of ≥ 2 layers;
* ``xy4``: ``X Y X Y`` = ``(Y X)² = −I``, in a window of ≥ 4 layers; the ``−1`` is added
  to the global phase so the circuit stays equal, phase included.

Pulses are spaced as an echo (:func:`pulse_slots`).

Ideally the output circuit equals the input; against slow (coherent, low-frequency)
dephasing during idling — the ``idle:θ`` term of :mod:`qcompile.mitigation.noise` — the
pulses echo the error away.  Against the gate-only depolarizing model they only add
1-qubit noise.
"""

from __future__ import annotations

import math

from qcompile.circuit.ir import Circuit, Gate
from qcompile.circuit.schedule import idle_windows, schedule
from qcompile.mitigation.zne import MitigationError

SEQUENCES = {"xx": ("x", "x"), "xy4": ("x", "y", "x", "y")}
_PHASE = {"xx": 0.0, "xy4": math.pi}


def pulse_slots(start: int, width: int, pulses: int) -> list[int]:
    """Layers of ``pulses`` pulses in a window of ``width`` layers from ``start``.

    Echo spacing ``τ/2 · P · τ · P · … · P · τ/2`` of the ``width − pulses`` free layers
    (middle gaps ``free // pulses``, the rest split between both ends), so that a static
    phase error ``θ`` per idle layer cancels: the sign of the accumulated ``Z`` rotation
    flips at each X/Y pulse, and ``τ/2 − τ + τ − … + τ/2 = 0`` (exact when ``pulses``
    divides the free layers).
    """
    free = width - pulses
    gap = free // pulses
    ends = free - gap * (pulses - 1)
    slot = start + ends // 2
    out = []
    for _ in range(pulses):
        out.append(slot)
        slot += gap + 1
    return out


def insert_dd(circuit: Circuit, sequence: str = "xx", min_idle: int | None = None) -> Circuit:
    """A copy of ``circuit`` with ``sequence`` inserted in every idle window of at least
    ``min_idle`` layers (default: the sequence length); equal to ``circuit`` as a unitary.

    Each pulse after a window's first layer is preceded by a 2-qubit barrier with a qubit
    busy in the layer before the pulse, so the ASAP schedule
    (:func:`qcompile.circuit.schedule.schedule`) keeps the
    pulse in its echo slot; the depth does not change.
    """
    if sequence not in SEQUENCES:
        raise MitigationError(f"unknown dynamical-decoupling sequence '{sequence}'; use one of {', '.join(SEQUENCES)}")
    pulses = SEQUENCES[sequence]
    need = max(len(pulses), min_idle or 0)
    layers = schedule(circuit)
    timed: list[tuple[int, int, Gate]] = [(l, i, g) for i, (l, g) in enumerate(zip(layers, circuit.gates))]
    # a qubit busy in each layer: pins a pulse to its slot (ASAP would pull it to the window start)
    anchor: dict[int, int] = {}
    for l, g in zip(layers, circuit.gates):
        if g.name != "barrier":
            anchor.setdefault(l, g.qubits[0])
    order = len(timed)
    count = 0
    for q, start, end in idle_windows(circuit):
        width = end - start + 1
        if width < need:
            continue
        for slot, name in zip(pulse_slots(start, width, len(pulses)), pulses):
            if slot > start:
                timed.append((slot, order, Gate("barrier", (anchor[slot - 1], q))))
            timed.append((slot, order + 1, Gate(name, (q,))))
            order += 2
        count += 1
    # a barrier sits just before its layer: after every gate of earlier layers, before its own
    timed.sort(key=lambda t: (t[0] - (0.5 if t[2].name == "barrier" else 0.0), t[1]))
    out = circuit.copy()
    out.gates = [g for _, _, g in timed]
    out.global_phase = circuit.global_phase + count * _PHASE[sequence]
    return out
