"""Memos for emitting one circuit-IR circuit many times (simulation of many inputs).

:class:`EmissionCache` keeps what an emitter produced from an IR circuit for as long as
that circuit is unchanged; :func:`exact_memo_key` says when two gates may share one
emitted object.  Both emitters (:mod:`qcompile.backends.qiskit`,
:mod:`qcompile.backends.cirq`) and the simulators (:mod:`qcompile.simulate`) use them.
"""

from __future__ import annotations

import math
import operator
import weakref
from collections import OrderedDict
from typing import Any, Callable, Sequence

from qcompile.circuit.ir import Circuit, ParamExpr


def exact_memo_key(params: Sequence) -> bool:
    """True when a gate with these angles may be memoised by an emitter under the key
    ``(name, qubits, params, clbits)``: every gate with an equal key then emits the same.

    Tuple equality treats ``0.0 == -0.0``, ``1 == 1.0`` and ``True == 1``, so only keys
    whose angles are all nonzero, non-NaN Python floats, or :class:`ParamExpr` with a plain
    ``int`` index, Python-float coefficient and offset and a nonzero coefficient, are
    stored: any key equal to one of those denotes the same float values, except that an
    offset may be ``0.0`` in one and ``-0.0`` in the other — the Cirq emitter drops a zero
    offset either way, and the Qiskit emitter memoises no gate with a symbolic angle.
    Gates failing the test are built afresh.
    """
    for p in params:
        if type(p) is float:
            if not p or p != p:
                return False
        elif type(p) is ParamExpr:
            c, o = p.coeff, p.offset
            if (type(c) is not float or type(o) is not float or not c or c != c or o != o
                    or type(p.parameter.index) is not int):
                return False
        else:
            return False
    return True


class EmissionCache:
    """A small memo from IR circuits to something emitted from them (a Qiskit circuit, a
    list of Cirq operations), so that simulating one parametric circuit for many inputs
    emits it once and only binds the parameters per input.

    IR circuits are mutable, so an entry cannot be keyed on the object alone.  An entry
    is looked up by ``id(circuit)`` and holds a weak reference to its circuit plus a
    snapshot of everything an emitter reads: ``num_qubits``, ``num_clbits``,
    ``global_phase`` (its sign included) and the gate list.  It is used only while the
    weak reference still points at this very circuit (so a recycled ``id`` never hits)
    and the snapshot matches, the gate list compared *by identity*, element by element:
    gates are immutable, so the same gate objects in the same order emit the same thing,
    whereas ``append``, ``compose``, item assignment, a new ``gates`` list, a changed phase
    or width all force a fresh emission.  The check costs one pointer comparison per gate
    (milliseconds for 500k gates), far less than emitting.  Nothing is stored on the
    circuit (it would be pickled and copied with it); an entry is dropped when its circuit
    is garbage-collected, and at most ``size`` entries (the most recently used) are kept.
    Cached values are shared between callers, so they must never be mutated.
    """

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._entries: "OrderedDict[int, tuple]" = OrderedDict()

    @staticmethod
    def _snapshot(circuit: Circuit) -> tuple:
        phase = float(circuit.global_phase)
        return circuit.num_qubits, circuit.num_clbits, phase, math.copysign(1.0, phase)

    def get(self, circuit: Circuit, build: Callable[[Circuit], Any]) -> Any:
        """``build(circuit)``, reused from an earlier call while ``circuit`` is unchanged."""
        key = id(circuit)
        entry = self._entries.get(key)
        if entry is not None:
            ref, snapshot, gates, value = entry
            now = circuit.gates
            if (ref() is circuit and snapshot == self._snapshot(circuit) and len(gates) == len(now)
                    and all(map(operator.is_, gates, now))):
                self._entries.move_to_end(key)
                return value
        snapshot, gates = self._snapshot(circuit), list(circuit.gates)
        value = build(circuit)
        entries = self._entries

        def drop(dead, key=key):
            old = entries.get(key)
            if old is not None and old[0] is dead:
                del entries[key]

        entries[key] = (weakref.ref(circuit, drop), snapshot, gates, value)
        entries.move_to_end(key)
        while len(entries) > self.size:
            entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
