"""The ``cancel-inverses`` pass: remove pairs ``g … g⁻¹`` that meet through commuting gates.

Also home of the small machinery the other circuit-level fusion passes share:

* :func:`commutes` — a sound, cheap commutation test.  Each gate is given, per qubit, the
  Pauli it commutes with on that qubit: ``"z"`` for diagonal gates and for control qubits
  (``z s sdg t tdg rz p cz mcz mcp mcrz``, controls of ``cx ccx mcx mcrx mcry``), ``"x"``
  for ``x``, ``rx`` and the target of ``cx ccx mcx mcrx``, ``"y"`` for ``y``, ``ry`` and the
  target of ``mcry``, and nothing for ``h``, ``swap``, ``measure``, ``reset``, ``barrier``.
  Two gates commute when on every shared qubit both have the same Pauli: both are then
  block diagonal in the joint eigenbasis of those (mutually commuting) single-qubit Paulis, ``A = Σ_k P_k ⊗ A_k`` and
  ``B = Σ_k P_k ⊗ B_k`` with ``A_k``, ``B_k`` on disjoint qubits, so ``AB = BA``.  Gates on
  disjoint qubits always commute.
* :class:`GateFrontier` — the output gate list under construction, with per-qubit
  histories so that a pass can walk back from a new gate over the earlier gates touching
  its qubits, newest first, and stop at the first one it does not commute with.
* :func:`canonical_key` — a gate's identity up to the IR's aliases (``x = cx = ccx = mcx``
  with 0/1/2 controls, ``z/cz/mcz``, ``p/mcp`` and ``s sdg t tdg`` as ``mcp`` angles,
  ``rx/ry/rz`` as ``mcrx/mcry/mcrz`` without controls, control sets compared as sets,
  symmetric qubit sets for ``cz mcz mcp swap``).

Free gates (``Gate.free``, see :mod:`qcompile.circuit.ir`) only matter when a circuit is
controlled afterwards.  The circuit-level passes work on final stage circuits, which are
never controlled, so the flag does not restrict what they combine; a gate they create is
free only when every gate it replaces was free (so untouched regions keep their flags).
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

from qcompile.circuit.ir import Angle, Circuit, Gate, ParamExpr
from qcompile.passes.manager import Pass, register_pass

#: gates never moved across anything (they also stop every backward walk)
FENCES = frozenset({"measure", "reset", "barrier"})
_DIAGONAL = frozenset({"z", "s", "sdg", "t", "tdg", "rz", "p", "cz", "mcz", "mcp", "mcrz"})
_TARGET_PAULI = {"cx": "x", "ccx": "x", "mcx": "x", "mcrx": "x", "mcry": "y"}
_PHASE_ALIAS = {"s": math.pi / 2, "sdg": -math.pi / 2, "t": math.pi / 4, "tdg": -math.pi / 4}


def qubit_paulis(gate: Gate) -> dict[int, str | None]:
    """Per qubit of ``gate``, the Pauli ("z", "x", "y") the gate commutes with there, or None."""
    n, qs = gate.name, gate.qubits
    if n in _DIAGONAL:
        return {q: "z" for q in qs}
    if n in ("x", "rx"):
        return {qs[0]: "x"}
    if n in ("y", "ry"):
        return {qs[0]: "y"}
    if n in _TARGET_PAULI:
        out: dict[int, str | None] = {q: "z" for q in qs[:-1]}
        out[qs[-1]] = _TARGET_PAULI[n]
        return out
    return {q: None for q in qs}


def commutes(a: Gate, b: Gate) -> bool:
    """True when ``a`` and ``b`` provably commute (rule in the module docstring)."""
    shared = set(a.qubits) & set(b.qubits)
    if not shared:
        return True
    pa, pb = qubit_paulis(a), qubit_paulis(b)
    return all(pa[q] is not None and pa[q] == pb[q] for q in shared)


def canonical_key(gate: Gate) -> tuple[tuple, tuple[Angle, ...]]:
    """``(key, angles)``: equal keys mean the same gate family on the same qubits.

    ``x/cx/ccx/mcx`` → ``("mcx", controls, target)``; ``z/cz/mcz`` → ``("mcz", qubits)``;
    ``p/mcp`` and ``s/sdg/t/tdg`` → ``("mcp", qubits)`` with their angle; ``rx/mcrx`` →
    ``("mcrx", controls, target)`` (ry, rz alike); ``swap`` by its qubit set; everything
    else by name and ordered qubits.
    """
    n, qs = gate.name, gate.qubits
    if n in ("x", "cx", "ccx", "mcx"):
        return ("mcx", frozenset(qs[:-1]), qs[-1]), ()
    if n in ("z", "cz", "mcz"):
        return ("mcz", frozenset(qs)), ()
    if n in ("p", "mcp"):
        return ("mcp", frozenset(qs)), gate.params
    if n in _PHASE_ALIAS:
        return ("mcp", frozenset(qs)), (_PHASE_ALIAS[n],)
    if n == "swap":
        return ("swap", frozenset(qs)), ()
    if n in ("rx", "ry", "rz"):
        return ("mc" + n, frozenset(), qs[0]), gate.params
    if n in ("mcrx", "mcry", "mcrz"):
        return (n, frozenset(qs[:-1]), qs[-1]), gate.params
    return (n, qs), gate.params


def is_inverse_pair(a: Gate, b: Gate) -> bool:
    """True when ``b = a⁻¹`` exactly (same family and qubits, angles exactly negated)."""
    if a.name in FENCES or b.name in FENCES:
        return False
    ka, pa = canonical_key(a)
    kb, pb = canonical_key(b)
    if ka != kb:
        return False
    if not pa and not pb:
        return True  # every angle-free family left (h x y z mcx mcz swap) is self-inverse
    return len(pa) == len(pb) and all(_negates(x, y) for x, y in zip(pa, pb))


def _negates(x: Angle, y: Angle) -> bool:
    if isinstance(x, ParamExpr) or isinstance(y, ParamExpr):
        return isinstance(x, ParamExpr) and isinstance(y, ParamExpr) and y == -x
    return float(x) == -float(y)


class GateFrontier:
    """An append-only gate list with deletion/replacement and per-qubit backward walks.

    ``walk_back(qubits)`` yields the indices of live gates touching any of ``qubits``,
    newest first; a pass stops iterating when it meets a gate it cannot move across.
    ``max_lookback`` bounds how many gates one walk visits (keeps passes linear).
    """

    def __init__(self, num_qubits: int, max_lookback: int = 256):
        self.gates: list[Gate | None] = []
        self._per_qubit: list[list[int]] = [[] for _ in range(num_qubits)]
        self.max_lookback = max_lookback

    def add(self, gate: Gate) -> int:
        """Append ``gate``; returns its index."""
        idx = len(self.gates)
        self.gates.append(gate)
        for q in gate.qubits:
            self._per_qubit[q].append(idx)
        return idx

    def remove(self, idx: int) -> None:
        """Delete the gate at ``idx``."""
        gate = self.gates[idx]
        self.gates[idx] = None
        if gate is not None:
            for q in gate.qubits:
                hist = self._per_qubit[q]
                while hist and self.gates[hist[-1]] is None:
                    hist.pop()

    def replace(self, idx: int, gate: Gate) -> None:
        """Replace the gate at ``idx`` by ``gate`` on the same qubit set."""
        old = self.gates[idx]
        if old is None or set(old.qubits) != set(gate.qubits):
            raise ValueError("replace keeps the qubit set")
        self.gates[idx] = gate

    def walk_back(self, qubits: Sequence[int]) -> Iterator[int]:
        """Live gate indices touching ``qubits``, newest first (bounded by ``max_lookback``)."""
        if len(qubits) == 1:  # fast path: one history, newest first
            hist = self._per_qubit[qubits[0]]
            gates = self.gates
            for k in range(len(hist) - 1, max(len(hist) - 1 - 4 * self.max_lookback, -1), -1):
                if gates[hist[k]] is not None:
                    yield hist[k]
            return
        lists = [self._per_qubit[q] for q in qubits]
        pos = [len(h) - 1 for h in lists]
        steps = 0
        while steps < 4 * self.max_lookback:
            steps += 1
            best = -1
            for h, p in zip(lists, pos):
                if p >= 0 and h[p] > best:
                    best = h[p]
            if best < 0:
                return
            for i, (h, p) in enumerate(zip(lists, pos)):
                if p >= 0 and h[p] == best:
                    pos[i] = p - 1
            if self.gates[best] is not None:
                yield best

    def live_gates(self) -> list[Gate]:
        """The remaining gates in order."""
        return [g for g in self.gates if g is not None]


def circuit_with_gates(circuit: Circuit, gates: list[Gate], phase_delta: float = 0.0) -> Circuit:
    """A new circuit like ``circuit`` (registers, parameters, clbits) with ``gates``."""
    return Circuit(circuit.num_qubits, list(gates), circuit.global_phase + phase_delta,
                   circuit.num_clbits, dict(circuit.registers), dict(circuit.parameters))


def cancel_inverse_pairs(circuit: Circuit, max_lookback: int = 256) -> tuple[Circuit, int]:
    """``(new circuit, pairs removed)``: each gate meets the newest earlier gate it does
    not commute with (or its inverse) and annihilates with it when they are inverses.

    Exact (no phase change: only exact inverse pairs go).  Cascades: after ``x x`` goes,
    ``h … h`` around it meets and goes too.
    """
    front = GateFrontier(circuit.num_qubits, max_lookback)
    removed = 0
    for g in circuit.gates:
        if g.name not in FENCES:
            hit = None
            for idx in front.walk_back(g.qubits):
                h = front.gates[idx]
                if is_inverse_pair(h, g):
                    hit = idx
                    break
                if h.name in FENCES or not commutes(h, g):
                    break
            if hit is not None:
                front.remove(hit)
                removed += 1
                continue
        front.add(g)
    return circuit_with_gates(circuit, front.live_gates()), removed


@register_pass
class CancelInverses(Pass):
    """Removes adjacent inverse pairs (``h h``, ``cx cx``, ``s sdg``, ``rz(a) rz(-a)``,
    ``mcx``/``mcz`` on the same qubits), looking through gates that commute
    (:func:`commutes`); exact.  Writes ``properties["cancelled_pairs"]``."""

    name = "cancel-inverses"
    description = "remove pairs of mutually inverse gates that meet through commuting gates"
    options = {"max_lookback": 256}

    def run(self, ir, properties: dict):
        """A new StageCircuit without the cancelled pairs."""
        circuit, removed = cancel_inverse_pairs(ir.circuit, self.options["max_lookback"])
        properties["cancelled_pairs"] = removed
        return ir.replace_circuit(circuit)
