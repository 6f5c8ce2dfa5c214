"""What the peephole passes (``cancel-inverses``, ``merge-rotations``) share: commutation,
gate identities up to the IR's aliases, and the backward walk over earlier gates.

* :func:`commutes` — a sound, cheap commutation test.  Each gate is given, per qubit, the
  Pauli it commutes with on that qubit (:func:`qubit_paulis`, from the gate table's
  ``target_pauli``): ``"z"`` for diagonal gates and for control qubits
  (``z s sdg t tdg rz p cz mcz mcp mcrz``, controls of ``cx ccx mcx mcrx mcry``), ``"x"``
  for ``x``, ``rx`` and the target of ``cx ccx mcx mcrx``, ``"y"`` for ``y``, ``ry`` and the
  target of ``mcry``, and nothing for ``h``, ``swap``, ``measure``, ``reset``, ``barrier``.
  Two gates commute when on every shared qubit both have the same Pauli: both are then
  block diagonal in the joint eigenbasis of those (mutually commuting) single-qubit Paulis, ``A = Σ_k P_k ⊗ A_k`` and
  ``B = Σ_k P_k ⊗ B_k`` with ``A_k``, ``B_k`` on disjoint qubits, so ``AB = BA``.  Gates on
  disjoint qubits always commute.
* :func:`canonical_key` — a gate's identity up to the IR's aliases (``x = cx = ccx = mcx``
  with 0/1/2 controls, ``z/cz/mcz``, ``p/mcp`` and ``s sdg t tdg`` as ``mcp`` angles,
  ``rx/ry/rz`` as ``mcrx/mcry/mcrz`` without controls, control sets compared as sets,
  symmetric qubit sets for ``cz mcz mcp swap``); :func:`rotation_key` the same for the
  gates that add their angles.
* :class:`GateFrontier` — the output gate list under construction, with per-qubit
  histories so that a pass can walk back from a new gate over the earlier gates touching
  its qubits, newest first, and stop at the first one it does not commute with.
* :class:`PeepholeScan` — that walk with integers, as both passes run it: per distinct
  ``(name, qubits)`` a Pauli bit mask, a "clash" mask and numbered keys
  (:func:`gate_info`), so ``commutes`` is one ``&``, and the merged per-qubit histories
  visited a window at a time (:func:`walk_window`): the same gates in the same order,
  with the same ``max_lookback`` bound, as the step-by-step walk.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from qcompile.circuit.gates import GATES, UNITARY
from qcompile.circuit.ir import Angle, Circuit, Gate, wrap_phase

#: gates never moved across anything (they also stop every backward walk)
FENCES = frozenset(GATES) - UNITARY


def qubit_paulis(gate: Gate) -> dict[int, str | None]:
    """Per qubit of ``gate``, the Pauli ("z", "x", "y") the gate commutes with there, or None."""
    qs = gate.qubits
    pauli = GATES[gate.name].target_pauli
    if pauli is None:
        return {q: None for q in qs}
    out: dict[int, str | None] = {q: "z" for q in qs[:-1]}
    out[qs[-1]] = pauli
    return out


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
    facts = GATES[n]
    family = facts.controlled or n
    angles = gate.params if facts.phase is None else (facts.phase,)
    if GATES[family].symmetric:
        return (family, frozenset(qs)), angles
    if facts.controlled is not None:
        return (family, frozenset(qs[:-1]), qs[-1]), angles
    return (n, qs), angles


def rotation_key(gate: Gate) -> tuple | None:
    """``(axis, controls, target)`` / ``("mcp", qubits)`` grouping gates that add their
    angles, or None for other gates."""
    return canonical_key(gate)[0] if GATES[gate.name].rotation else None


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


class PeepholeScan(GateFrontier):
    """A :class:`GateFrontier` whose gates carry their :func:`gate_info` integers: the walk
    of a peephole pass, looking back from each new gate for a partner (module docstring).

    ``info(gate)`` is :func:`gate_info`, computed once per distinct ``(name, qubits)``;
    ``push(gate, info, key)`` appends a gate with its Pauli bits and the pass's key
    (``info[2]``, the canonical key, or ``info[3]``, the rotation key); ``partner`` walks back.
    """

    def __init__(self, num_qubits: int, max_lookback: int = 256):
        super().__init__(num_qubits, max_lookback)
        self.paulis: list[int] = []
        self.keys: list[int] = []
        self._infos: dict[tuple, tuple[int, int, int, int]] = {}
        self._key_ids: dict = {}
        self._windows = tuple(window_sizes(4 * max_lookback))

    def info(self, gate: Gate) -> tuple[int, int, int, int]:
        """``(paulis, clash, key, rkey)`` of ``gate`` (:func:`gate_info`)."""
        shape = (gate.name, gate.qubits)
        info = self._infos.get(shape)
        if info is None:
            info = self._infos[shape] = gate_info(gate, self._key_ids)
        return info

    def push(self, gate: Gate, info: tuple[int, int, int, int], key: int) -> None:
        """Append ``gate`` with its Pauli bits (``info[0]``) and the pass's ``key``."""
        idx = len(self.gates)
        self.gates.append(gate)
        for q in gate.qubits:
            self._per_qubit[q].append(idx)
        self.paulis.append(info[0])
        self.keys.append(key)

    def partner(self, gate: Gate, key: int, clash: int, match: Callable[[Gate, Gate], object]) -> tuple[int, object]:
        """Walk back from ``gate`` (not yet pushed) over the live gates on its qubits, newest
        first, at most ``4 * max_lookback`` history entries: at the first gate ``h`` with
        the pass key ``key`` for which ``match(h, gate)`` is not None, ``(its index, that
        value)``; ``(-1, None)`` at the first gate that does not commute with ``gate``
        (its Pauli bits meet ``clash``) or when the walk ends."""
        gates, per_qubit, paulis, keys = self.gates, self._per_qubit, self.paulis, self.keys
        qs = gate.qubits
        done = 0
        for w in self._windows:
            window = walk_window(per_qubit, qs, w)
            for k in range(done, len(window)):
                idx = window[k]
                h = gates[idx]
                if h is None:
                    continue
                if keys[idx] == key:
                    value = match(h, gate)
                    if value is not None:
                        return idx, value
                if paulis[idx] & clash:
                    return -1, None
            if len(window) < w:
                break
            done = w
        return -1, None


def circuit_with_gates(circuit: Circuit, gates: list[Gate], phase_delta: float = 0.0) -> Circuit:
    """A new circuit like ``circuit`` (registers, parameters, clbits) with ``gates``."""
    return Circuit(circuit.num_qubits, list(gates), wrap_phase(circuit.global_phase + phase_delta),
                   circuit.num_clbits, dict(circuit.registers), dict(circuit.parameters))
