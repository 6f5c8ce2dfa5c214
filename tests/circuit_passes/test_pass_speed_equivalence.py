"""The fast paths of cancel-inverses, merge-rotations and the circuit IR give exactly what
the straightforward gate-by-gate algorithms give (same gates, same order, same flags,
same angles bit for bit, same phase).  The references below are the plain versions of
each algorithm, written with the public helpers (``commutes``, ``is_inverse_pair``,
``rotation_key``, ``add_angles``, ``reduce_rotation``, ``Gate.relabel``,
``controlled_gates``, ``Circuit.add_gate``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qcompile.circuit.ir import Circuit, Gate, ParamExpr, Parameter, controlled_gates, wrap_phase
from qcompile.circuit.peephole import FENCES, GateFrontier, circuit_with_gates, commutes, rotation_key, walk_window
from qcompile.passes.cancel_inverses import cancel_inverse_pairs, is_inverse_pair
from qcompile.passes.merge_rotations import _controls, add_angles, merge_rotations, reduce_rotation

X = [ParamExpr(Parameter("x", i)) for i in range(3)]
ANGLES = [math.pi / 4, -math.pi / 4, math.pi / 2, -math.pi / 2, math.pi, 2 * math.pi, 0.3, -0.3, 0.0]


# ------------------------------------------------------------------ reference algorithms
def _ref_walk(front: GateFrontier, qubits) -> list[int]:
    """Live indices touching ``qubits``, newest first: one merged step per distinct history
    entry (live or not), at most ``4 * max_lookback`` steps."""
    lists = [front._per_qubit[q] for q in qubits]
    pos = [len(h) - 1 for h in lists]
    out, steps = [], 0
    while steps < 4 * front.max_lookback:
        steps += 1
        best = max((h[p] for h, p in zip(lists, pos) if p >= 0), default=-1)
        if best < 0:
            break
        pos = [p - 1 if p >= 0 and h[p] == best else p for h, p in zip(lists, pos)]
        if front.gates[best] is not None:
            out.append(best)
    return out


def _ref_cancel(circuit: Circuit, max_lookback: int) -> tuple[Circuit, int]:
    front = GateFrontier(circuit.num_qubits, max_lookback)
    removed = 0
    for g in circuit.gates:
        if g.name not in FENCES:
            hit = None
            for idx in _ref_walk(front, g.qubits):
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


def _ref_merge(circuit: Circuit, atol: float, max_lookback: int):
    front = GateFrontier(circuit.num_qubits, max_lookback)
    phase = dropped = 0.0
    merges = 0
    for g in circuit.gates:
        key = rotation_key(g)
        if key is None:
            front.add(g)
            continue
        target = None
        for idx in _ref_walk(front, g.qubits):
            h = front.gates[idx]
            if rotation_key(h) == key:
                total = add_angles(h.params[0], g.params[0])
                if total is not None:
                    target, angle = idx, total
                    break
            if h.name in FENCES or not commutes(h, g):
                break
        if target is not None:
            merges += 1
            old = front.gates[target]
            merged = Gate(old.name, old.qubits, (angle,), free=old.free and g.free)
            if isinstance(angle, ParamExpr):
                front.replace(target, merged)
                continue
            kept, ph, err = reduce_rotation(old.name, angle, atol, _controls(old))
            phase = wrap_phase(phase + ph)
            dropped += err
            if kept is None:
                front.remove(target)
            else:
                front.replace(target, merged)
            continue
        if not g.is_parametric:
            kept, ph, err = reduce_rotation(g.name, float(g.params[0]), atol, _controls(g))
            if kept is None:
                phase = wrap_phase(phase + ph)
                dropped += err
                continue
        front.add(g)
    return circuit_with_gates(circuit, front.live_gates(), phase), merges, dropped


def _ref_compose(target: Circuit, other: Circuit, qubits=None) -> Circuit:
    mapping = list(range(other.num_qubits)) if qubits is None else list(qubits)
    for name, size in other.parameters.items():
        target.parameters[name] = max(target.parameters.get(name, 0), size)
    target.num_clbits = max(target.num_clbits, other.num_clbits)
    for g in other.gates:
        target.add_gate(g.relabel(mapping))
    target.global_phase = wrap_phase(target.global_phase + other.global_phase)
    return target


def _ref_controlled(c: Circuit, controls, num_qubits=None, qubits=None) -> Circuit:
    controls = tuple(int(q) for q in controls)
    n = num_qubits if num_qubits is not None else c.num_qubits + len(controls)
    mapping = list(range(c.num_qubits)) if qubits is None else list(qubits)
    out = Circuit(n, num_clbits=c.num_clbits, parameters=dict(c.parameters))
    for g in c.gates:
        for cg in controlled_gates(g.relabel(mapping), controls):
            out.add_gate(cg)
    phase = c.global_phase % (2 * math.pi)
    if abs(phase) > 1e-15 and abs(phase - 2 * math.pi) > 1e-15:
        out.append("p" if len(controls) == 1 else "mcp", controls, (phase,))
    return out


def _ref_depth(c: Circuit) -> int:
    level = [0] * c.num_qubits
    for g in c.gates:
        top = max((level[q] for q in g.qubits), default=0) + (g.name != "barrier")
        for q in g.qubits:
            level[q] = top
    return max(level, default=0)


# ------------------------------------------------------------------------ test circuits
def _exact(c: Circuit) -> str:
    """Everything about a circuit, with -0.0 told from 0.0 and angle types shown."""
    return repr(([g.__dict__ for g in c.gates], c.num_qubits, c.global_phase, c.num_clbits,
                 list(c.registers.items()), list(c.parameters.items())))


def _gate_pool(n: int, rng) -> list[Gate]:
    """Gates on ``n`` qubits that often cancel or merge with each other."""
    pool = []
    for _ in range(40):
        k = int(rng.integers(1, 4))
        qs = tuple(int(q) for q in rng.choice(n, size=k, replace=False))
        t = qs[-1:]
        name = str(rng.choice(["h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "p",
                               "cx", "cz", "swap", "mcx", "mcz", "mcp", "mcrx", "mcry", "mcrz"]))
        if name in ("cx", "cz", "swap"):
            if k < 2:
                continue
            qs = qs[:2]
        elif name in ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "p"):
            qs = t
        params = ()
        if name in ("rx", "ry", "rz", "p", "mcp", "mcrx", "mcry", "mcrz"):
            a = X[int(rng.integers(3))] * float(rng.choice([1.0, -1.0, 0.5])) if rng.random() < 0.25 \
                else float(rng.choice(ANGLES))
            params = (a,)
        pool.append(Gate(name, qs, params, free=bool(rng.random() < 0.3)))
    return pool


def _circuit(n: int, size: int, seed: int, fences: bool = True) -> Circuit:
    rng = np.random.default_rng(seed)
    pool = _gate_pool(n, rng)
    c = Circuit(n, num_clbits=1)
    c.declare_parameters("x", 3)
    for _ in range(size):
        r = rng.random()
        if fences and r < 0.02:
            c.add_gate(Gate("barrier", tuple(int(q) for q in rng.choice(n, size=2, replace=False))))
        elif fences and r < 0.03:
            c.add_gate(Gate("measure", (int(rng.integers(n)),), clbits=(0,)))
        elif r < 0.25 and c.gates and c.gates[-1].name not in FENCES:
            c.add_gate(c.gates[-1].inverse())  # an inverse pair, maybe across later gates
        else:
            c.add_gate(pool[int(rng.integers(len(pool)))])
    return c


# -------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_lookback", [0, 1, 2, 3, 256])
def test_cancel_inverses_matches_reference(seed, max_lookback):
    c = _circuit(5 + seed % 3, 400, seed)
    got, n_got = cancel_inverse_pairs(c, max_lookback)
    ref, n_ref = _ref_cancel(c, max_lookback)
    assert n_got == n_ref
    assert _exact(got) == _exact(ref)
    if max_lookback == 256:
        assert n_ref > 0  # the circuits do exercise cancellation


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_lookback", [0, 1, 2, 3, 256])
def test_merge_rotations_matches_reference(seed, max_lookback):
    c = _circuit(5 + seed % 3, 400, 100 + seed)
    got = merge_rotations(c, 1e-12, max_lookback)
    ref = _ref_merge(c, 1e-12, max_lookback)
    assert got[1:] == ref[1:]
    assert _exact(got[0]) == _exact(ref[0])
    if max_lookback == 256:
        assert ref[1] > 0


def test_walk_back_matches_merged_walk_over_long_histories():
    """Windows (1, 8, 64, … gates) against the step-by-step merge, with deleted and
    trimmed entries and a lookback bound the walks reach."""
    rng = np.random.default_rng(7)
    for lookback in (1, 2, 5, 40):
        front = GateFrontier(6, lookback)
        for _ in range(1500):
            k = int(rng.integers(1, 4))
            front.add(Gate("mcz", tuple(int(q) for q in rng.choice(6, size=k, replace=False))))
            if rng.random() < 0.3:
                live = [i for i, g in enumerate(front.gates) if g is not None]
                front.remove(live[int(rng.integers(len(live)))])
            qs = tuple(int(q) for q in rng.choice(6, size=int(rng.integers(1, 5)), replace=False))
            assert list(front.walk_back(qs)) == _ref_walk(front, qs)
        # a window never holds an index twice and is sorted newest first
        win = walk_window(front._per_qubit, (0, 1, 2), 64)
        assert win == sorted(set(win), reverse=True)


@pytest.mark.parametrize("seed", range(4))
def test_compose_matches_gate_by_gate(seed):
    other = _circuit(4, 200, 50 + seed)
    other.global_phase = 0.25
    for mapping in (None, [0, 1, 2, 3], [3, 5, 0, 2], [np.int64(3), 5, 0, 2], [np.int64(0), 1, 2, 3]):
        base = Circuit(6, [Gate("h", (0,))], 0.5, parameters={"y": 2})
        got = base.copy().compose(other, mapping)
        ref = _ref_compose(base.copy(), other, mapping)
        assert _exact(got) == _exact(ref)
    bad = Circuit(2)
    bad.append("cx", (0, 1))
    for mapping in ([1, 1], [0, 5]):
        with pytest.raises(ValueError) as e_got:
            Circuit(3).compose(bad, mapping)
        with pytest.raises(ValueError) as e_ref:
            _ref_compose(Circuit(3), bad, mapping)
        assert str(e_got.value) == str(e_ref.value)


@pytest.mark.parametrize("seed", range(4))
def test_controlled_matches_gate_by_gate(seed):
    c = _circuit(4, 200, 70 + seed, fences=False)
    c.global_phase = 0.7
    for controls, num_qubits, qubits in (((4,), None, None), ((4, 5), None, None),
                                         ((0, 6), 7, [1, 2, 3, 4]), ((5,), 6, [4, 0, 3, 1])):
        got = c.controlled(controls, num_qubits=num_qubits, qubits=qubits)
        ref = _ref_controlled(c, controls, num_qubits=num_qubits, qubits=qubits)
        assert _exact(got) == _exact(ref)
    for controls, qubits in (((1,), None), ((4, 4), None)):  # overlap, repeated control
        with pytest.raises(ValueError) as e_got:
            c.controlled(controls, qubits=qubits)
        with pytest.raises(ValueError) as e_ref:
            _ref_controlled(c, controls, qubits=qubits)
        assert str(e_got.value) == str(e_ref.value)


def test_depth_and_count_ops_match_reference():
    c = _circuit(6, 500, 3)
    assert c.depth() == _ref_depth(c)
    counts: dict[str, int] = {}
    for g in c.gates:
        if g.name != "barrier":
            counts[g.name] = counts.get(g.name, 0) + 1
    assert list(c.count_ops().items()) == sorted(counts.items())
    assert Circuit(3).depth() == 0 and Circuit(3).count_ops() == {}
