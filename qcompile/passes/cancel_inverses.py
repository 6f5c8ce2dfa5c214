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

Speed: :func:`cancel_inverse_pairs` and :func:`~qcompile.passes.merge_rotations.merge_rotations`
run the walk above with integers — per distinct ``(name, qubits)`` a Pauli bit mask, a
"clash" mask and numbered keys (:func:`gate_info`), so ``commutes`` is one ``&`` — and
visit the merged per-qubit histories a window at a time (:func:`walk_window`): the same
gates in the same order, with the same ``max_lookback`` bound, as the step-by-step walk.

Free gates (``Gate.free``, see :mod:`qcompile.circuit.ir`) only matter when a circuit is
controlled afterwards.  The circuit-level passes work on final stage circuits, which are
never controlled, so the flag does not restrict what they combine; a gate they create is
free only when every gate it replaces was free (so untouched regions keep their flags).
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

from qcompile.circuit.ir import Angle, Circuit, Gate, ParamExpr, wrap_phase
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


# ---- fast path shared by cancel-inverses and merge-rotations ---------------------------
# Per (name, qubits) the passes need the gate's Paulis, its canonical and rotation keys;
# one run of a pass computes them once per distinct (name, qubits) and keeps integers:
#
# * ``paulis``: bit ``4q + c`` set for each qubit ``q`` of the gate, ``c`` = 0 for "z",
#   1 for "x", 2 for "y", 3 for None (the class :func:`qubit_paulis` gives it);
# * ``clash``: for each qubit ``q`` of the gate, the bits ``4q + c`` of every class ``c``
#   another gate must not have there to commute (all four for a None qubit, the other
#   three otherwise).  So ``commutes(a, b)`` is ``not (paulis(a) & clash(b))``.
# * ``key`` / ``rkey``: numbers of :func:`canonical_key` and
#   :func:`rotation_key` (-1 for None) in the run's
#   numbering; fences get a key no other gate has (they are never an inverse pair).
_PAULI_CLASS = {"z": 0, "x": 1, "y": 2, None: 3}


def rotation_key(gate: Gate) -> tuple | None:
    """``(axis, controls, target)`` / ``("mcp", qubits)`` grouping gates that add their
    angles, or None for other gates."""
    n = gate.name
    if n in ("rx", "ry", "rz"):
        return "mc" + n, frozenset(), gate.qubits[0]
    if n in ("mcrx", "mcry", "mcrz"):
        return n, frozenset(gate.qubits[:-1]), gate.qubits[-1]
    if n in ("p", "mcp"):
        return "mcp", frozenset(gate.qubits)
    return None


def gate_info(gate: Gate, key_ids: dict) -> tuple[int, int, int, int]:
    """``(paulis, clash, key, rkey)`` of ``gate`` as described above; ``key_ids`` numbers
    the keys (use one dict for all gates a pass compares, so equal keys get equal numbers)."""
    paulis = clash = 0
    for q, c in qubit_paulis(gate).items():
        cls = _PAULI_CLASS[c]
        paulis |= 1 << (4 * q + cls)
        clash |= (0b1111 if cls == 3 else 0b1111 & ~(1 << cls)) << (4 * q)
    key = ("fence", gate.name, gate.qubits) if gate.name in FENCES else canonical_key(gate)[0]
    rk = rotation_key(gate)
    rkey = None if rk is None else ("rotation",) + rk
    for k in (key, rkey):
        if k is not None and k not in key_ids:
            key_ids[k] = len(key_ids)
    return paulis, clash, key_ids[key], -1 if rkey is None else key_ids[rkey]


def _canonical_params(gate: Gate) -> tuple[Angle, ...]:
    """The angles :func:`canonical_key` pairs with the key."""
    alias = _PHASE_ALIAS.get(gate.name)
    return gate.params if alias is None else (alias,)


def walk_window(per_qubit: list[list[int]], qubits: Sequence[int], w: int) -> list[int]:
    """The first ``w`` steps of a backward walk: the ``w`` newest distinct history indices
    (live or deleted but not yet trimmed) of ``qubits``, newest first.

    They are among the ``w`` newest entries of each history (a newer entry of the same
    history is newer in the union too), so a sorted union of those tails is exact; a walk
    that needs more steps asks again with a larger ``w`` (see :func:`window_sizes`).
    """
    if len(qubits) == 1:
        return per_qubit[qubits[0]][:-w - 1:-1]
    if w == 1:
        tops = [per_qubit[q][-1] for q in qubits if per_qubit[q]]
        return [max(tops)] if tops else []
    tails: list[int] = []
    for q in qubits:
        tails += per_qubit[q][-w:]
    window = sorted(set(tails), reverse=True)
    del window[w:]
    return window


def window_sizes(limit: int) -> Iterator[int]:
    """Window sizes of a walk of at most ``limit`` steps: 1, 8, 64, … then ``limit``."""
    w = 1
    while w < limit:
        yield w
        w *= 8
    if limit > 0:
        yield limit


def _walk_indices(per_qubit: list[list[int]], qubits: Sequence[int], limit: int) -> Iterator[int]:
    """History indices (live or not) of ``qubits``, newest first, distinct, at most ``limit``:
    the merge of their histories, one :func:`walk_window` after another."""
    done = 0
    for w in window_sizes(limit):
        window = walk_window(per_qubit, qubits, w)
        yield from window[done:]
        if len(window) < w:
            return
        done = w


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
        """Live gate indices touching ``qubits``, newest first: the history entries (live or
        deleted but not yet trimmed) are visited in merged order, at most ``4 * max_lookback``."""
        gates = self.gates
        for idx in _walk_indices(self._per_qubit, tuple(qubits), 4 * self.max_lookback):
            if gates[idx] is not None:
                yield idx

    def live_gates(self) -> list[Gate]:
        """The remaining gates in order."""
        return [g for g in self.gates if g is not None]


def circuit_with_gates(circuit: Circuit, gates: list[Gate], phase_delta: float = 0.0) -> Circuit:
    """A new circuit like ``circuit`` (registers, parameters, clbits) with ``gates``."""
    return Circuit(circuit.num_qubits, list(gates), wrap_phase(circuit.global_phase + phase_delta),
                   circuit.num_clbits, dict(circuit.registers), dict(circuit.parameters))


def cancel_inverse_pairs(circuit: Circuit, max_lookback: int = 256) -> tuple[Circuit, int]:
    """``(new circuit, pairs removed)``: each gate meets the newest earlier gate it does
    not commute with (or its inverse) and annihilates with it when they are inverses.

    Exact (no phase change: only exact inverse pairs go).  Cascades: after ``x x`` goes,
    ``h … h`` around it meets and goes too.
    """
    front = GateFrontier(circuit.num_qubits, max_lookback)
    # the walk of the docstring, inlined: gates[idx] with paulis[idx]/keys[idx] from gate_info
    gates, per_qubit, limit = front.gates, front._per_qubit, 4 * max_lookback
    paulis: list[int] = []
    keys: list[int] = []
    info_cache: dict[tuple, tuple[int, int, int, int]] = {}
    key_ids: dict = {}
    removed = 0
    for g in circuit.gates:
        qs = g.qubits
        info = info_cache.get((g.name, qs))
        if info is None:
            info = info_cache[(g.name, qs)] = gate_info(g, key_ids)
        if g.name not in FENCES:
            clash, key = info[1], info[2]
            hit, done = -1, 0
            for w in window_sizes(limit):
                window = walk_window(per_qubit, qs, w)
                stop = False
                for k in range(done, len(window)):
                    idx = window[k]
                    h = gates[idx]
                    if h is None:
                        continue
                    if keys[idx] == key:
                        pa, pb = _canonical_params(h), _canonical_params(g)
                        if (not pa and not pb) or (len(pa) == len(pb) and all(_negates(x, y) for x, y in zip(pa, pb))):
                            hit, stop = idx, True
                            break
                    if paulis[idx] & clash:
                        stop = True
                        break
                if stop or len(window) < w:
                    break
                done = w
            if hit >= 0:
                front.remove(hit)
                removed += 1
                continue
        idx = len(gates)  # front.add(g), inlined
        gates.append(g)
        for q in qs:
            per_qubit[q].append(idx)
        paulis.append(info[0])
        keys.append(info[2])
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
