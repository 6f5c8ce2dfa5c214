"""The ``cancel-inverses`` pass: remove pairs ``g … g⁻¹`` that meet through commuting gates.

Each gate walks back over the earlier gates it commutes with
(:func:`qcompile.circuit.peephole.commutes`) to the newest one of the same family on the
same qubits (:func:`qcompile.circuit.peephole.canonical_key`) and annihilates with it when
the two are exact inverses (:func:`is_inverse_pair`).  The walk is
:class:`qcompile.circuit.peephole.PeepholeScan`'s.

Free gates (``Gate.free``, see :mod:`qcompile.circuit.ir`) only matter when a circuit is
controlled afterwards.  The circuit-level passes work on final stage circuits, which are
never controlled, so the flag does not restrict what they combine; a gate they create is
free only when every gate it replaces was free (so untouched regions keep their flags).
"""

from __future__ import annotations

from qcompile.circuit.gates import GATES
from qcompile.circuit.ir import Angle, Circuit, Gate, ParamExpr
from qcompile.circuit.peephole import FENCES, PeepholeScan, canonical_key, circuit_with_gates
from qcompile.passes.manager import Pass, register_pass


def is_inverse_pair(a: Gate, b: Gate) -> bool:
    """True when ``b = a⁻¹`` exactly (same family and qubits, angles exactly negated)."""
    if a.name in FENCES or b.name in FENCES:
        return False
    ka, pa = canonical_key(a)
    kb, pb = canonical_key(b)
    return ka == kb and _negated(pa, pb)


def _negated(pa: tuple[Angle, ...], pb: tuple[Angle, ...]) -> bool:
    """True when the angles ``pb`` are exactly ``pa`` negated (both empty: every angle-free
    family, h x y z mcx mcz swap, is self-inverse)."""
    if not pa and not pb:
        return True
    return len(pa) == len(pb) and all(_negates(x, y) for x, y in zip(pa, pb))


def _negates(x: Angle, y: Angle) -> bool:
    if isinstance(x, ParamExpr) or isinstance(y, ParamExpr):
        return isinstance(x, ParamExpr) and isinstance(y, ParamExpr) and y == -x
    return float(x) == -float(y)


def _canonical_params(gate: Gate) -> tuple[Angle, ...]:
    """The angles :func:`canonical_key` pairs with the key."""
    phase = GATES[gate.name].phase
    return gate.params if phase is None else (phase,)


def _cancels(h: Gate, g: Gate) -> bool | None:
    """True when ``h`` (same canonical key as ``g``) is ``g``'s inverse, else None."""
    return True if _negated(_canonical_params(h), _canonical_params(g)) else None


def cancel_inverse_pairs(circuit: Circuit, max_lookback: int = 256) -> tuple[Circuit, int]:
    """``(new circuit, pairs removed)``: each gate meets the newest earlier gate it does
    not commute with (or its inverse) and annihilates with it when they are inverses.

    Exact (no phase change: only exact inverse pairs go).  Cascades: after ``x x`` goes,
    ``h … h`` around it meets and goes too.
    """
    scan = PeepholeScan(circuit.num_qubits, max_lookback)
    info_of, partner, push = scan.info, scan.partner, scan.push
    removed = 0
    for g in circuit.gates:
        info = info_of(g)
        if g.name not in FENCES:
            hit, _ = partner(g, info[2], info[1], _cancels)
            if hit >= 0:
                scan.remove(hit)
                removed += 1
                continue
        push(g, info, info[2])
    return circuit_with_gates(circuit, scan.live_gates()), removed


@register_pass
class CancelInverses(Pass):
    """Removes adjacent inverse pairs (``h h``, ``cx cx``, ``s sdg``, ``rz(a) rz(-a)``,
    ``mcx``/``mcz`` on the same qubits), looking through gates that commute
    (:func:`qcompile.circuit.peephole.commutes`); exact.  Writes ``properties["cancelled_pairs"]``."""

    name = "cancel-inverses"
    takes = "circuit"
    description = "remove pairs of mutually inverse gates that meet through commuting gates"
    options = {"max_lookback": 256}
    option_ranges = {"max_lookback": (1, 1_000_000)}

    def run(self, ir, properties: dict):
        """A new StageCircuit without the cancelled pairs."""
        circuit, removed = cancel_inverse_pairs(ir.circuit, self.options["max_lookback"])
        properties["cancelled_pairs"] = removed
        return ir.replace_circuit(circuit)
