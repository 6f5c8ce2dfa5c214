"""Lower multi-controlled gates (``mcx``/``mcz``/``mcp``) to a fixed basis, exactly, and whole
circuits to CX + 1q (:func:`lower_to_cx`, borrowing idle qubits as dirty ancillas).

Every rule below is exact *including the global phase* (verified against NumPy in
``tests/circuit/test_decompose.py``).  Rules:

* ``mcx`` with k controls: k = 0, 1, 2 -> ``x``/``cx``/``ccx``; k > ``max_controls`` ->
  Qiskit's ancilla-free synthesis (:func:`qcompile.circuit.synthesis.mcx_noaux_template`:
  the cheaper in CX count of ``synth_mcx_noaux_v24`` and ``synth_mcx_noaux_hp24``),
  cached per k and relabelled.
* ``mcz`` with k controls: k = 0, 1 -> ``z``/``cz``; k >= 2 -> ``h(t) · mcx · h(t)`` (the
  ``mcx`` lowered as above).
* ``mcp(λ)`` on n = k + 1 qubits: k = 0 -> ``p``; k = 1 -> kept as a 2-qubit ``mcp``
  (a controlled phase, ``cp``) when ``keep_cp`` else the n = 2 Gray-code rule below;
  2 <= k and n <= :data:`GRAY_MAX_QUBITS` -> Gray-code phase polynomial:
  ``x_1 ⋯ x_n = 2^{1-n} Σ_{S≠∅} (-1)^{|S|+1} ⊕_{i∈S} x_i``, so the gate is the product over
  nonempty subsets S of ``p(±λ/2^{n-1})`` on the parity of S, walked in Gray-code order
  (2^n − 1 ``p`` gates, 2^n − 2 ``cx``); larger n -> the recursion
  ``C^k P(λ) = CP(λ/2)[c_k,t] · C^{k-1}X[c_1..c_{k-1} → c_k] · CP(−λ/2)[c_k,t] ·
  C^{k-1}X[c_1..c_{k-1} → c_k] · C^{k-1}P(λ/2)[c_1..c_{k-1},t]``.
  All angles are ``±λ/2^j``, i.e. affine in λ, so a symbolic ``ParamExpr`` angle stays
  symbolic (one template per k, instantiated by scaling the angle).
"""

from __future__ import annotations

from functools import lru_cache
from math import copysign

from qcompile.circuit.gates import LOWERED_GATES
from qcompile.circuit.ir import Angle, Circuit, Gate, ParamExpr, wrap_phase
from qcompile.circuit.peephole import circuit_with_gates
from qcompile.circuit.synthesis import ccx_template, mcx_noaux_template, mcx_template

#: largest mcp (controls + target) lowered by the Gray-code rule; larger ones recurse.
GRAY_MAX_QUBITS = 9


def basis_gate_set(keep_cp: bool = False) -> frozenset[str]:
    """Gate names :func:`lower_multicontrolled` emits (with the default ``max_controls=2``).

    1-qubit: h x y z s sdg t tdg rx ry rz p; 2-qubit: cx cz swap; 3-qubit: ccx; plus
    measure, reset, barrier.  With ``keep_cp`` also ``mcp`` on exactly 2 qubits (a
    controlled phase, emitted as ``cp``/``cu1``).
    """
    names = set(LOWERED_GATES)
    if keep_cp:
        names.add("mcp")
    return frozenset(names)


# ---- templates: gate lists on local qubits 0..n-1 -----------------------------------------
# A template entry is (name, local qubits, angle scale or None); a phase-gate angle is
# scale * λ for the mcp being lowered.

def _gray_phase(n: int) -> tuple[tuple[str, tuple[int, ...], float | None], ...]:
    """Gray-code template for the all-ones phase ``e^{iλ x_0⋯x_{n-1}}`` on n qubits."""
    out: list[tuple[str, tuple[int, ...], float | None]] = []
    unit = 1.0 / 2 ** (n - 1)
    for j in range(n):  # subsets whose largest element is j, parity kept on qubit j
        size = 1
        out.append(("p", (j,), unit))
        prev = 0
        for step in range(1, 2**j):
            gray = step ^ (step >> 1)
            flipped = (gray ^ prev).bit_length() - 1
            out.append(("cx", (flipped, j), None))
            size = bin(gray).count("1") + 1
            out.append(("p", (j,), unit if size % 2 else -unit))
            prev = gray
        if prev:
            out.append(("cx", (prev.bit_length() - 1, j), None))
    return tuple(out)


@lru_cache(maxsize=None)
def _mcp_template(k: int, keep_cp: bool) -> tuple[tuple[str, tuple[int, ...], float | None], ...]:
    """Template for ``mcp(λ)`` with k >= 1 controls (local 0..k-1) and target k."""
    if k == 1 and keep_cp:
        return (("mcp", (0, 1), 1.0),)
    if k + 1 <= GRAY_MAX_QUBITS:
        return _gray_phase(k + 1)
    t, ck = k, k - 1
    rest = tuple(range(k - 1))
    cp = _mcp_template(1, keep_cp)
    out = [(n, tuple((ck, t)[q] for q in qs), s * 0.5 if s is not None else None) for n, qs, s in cp]
    out.append(("mcx", rest + (ck,), None))
    out += [(n, tuple((ck, t)[q] for q in qs), s * -0.5 if s is not None else None) for n, qs, s in cp]
    out.append(("mcx", rest + (ck,), None))
    sub = _mcp_template(k - 1, keep_cp)
    local = rest + (t,)
    out += [(n, tuple(local[q] for q in qs), s * 0.5 if s is not None else None) for n, qs, s in sub]
    return tuple(out)


# ---- the pass ---------------------------------------------------------------------------

def lower_multicontrolled(circuit: Circuit, max_controls: int = 2, keep_cp: bool = False) -> Circuit:
    """A copy of ``circuit`` with every ``mcx``/``mcz``/``mcp`` rewritten as above.

    ``mcx`` with at most ``max_controls`` (>= 2) controls is kept (renamed
    ``x``/``cx``/``ccx`` when it has <= 2); ``mcz`` and ``mcp`` with >= 2 controls are always
    lowered (their inner ``mcx`` follow ``max_controls``).  Exact, no ancillas, global phase
    preserved (templates from Qiskit add theirs to ``global_phase``); symbolic ``mcp``
    angles stay symbolic.  With the default ``max_controls=2`` the output uses only
    :func:`basis_gate_set`.

    Each distinct gate (see :func:`gate_key`) is lowered once per call; its repeats reuse
    the same (immutable) output gates, and the template phases are still added one by one
    in circuit order, so the result equals lowering every gate afresh.
    """
    _check_max_controls(max_controls)
    out = Circuit(circuit.num_qubits, [], circuit.global_phase, circuit.num_clbits,
                  dict(circuit.registers), dict(circuit.parameters))
    cache: dict = {}
    memo: dict = {}
    extend = out.gates.extend
    for g in circuit.gates:
        key = gate_key(g)
        try:
            hit = cache.get(key)
        except TypeError:  # an unhashable angle: lower it without the cache
            key, hit = None, None
        if hit is None:
            gates, phases = lower_gate(g, max_controls, keep_cp, memo)
            n0 = len(out.gates)
            for lg in gates:  # first occurrence: range checks and parameter sizes
                out.add_gate(lg)
            hit = (tuple(out.gates[n0:]), phases)
            if key is not None:
                cache[key] = hit
        else:
            extend(hit[0])
        for ph in hit[1]:
            out.global_phase = wrap_phase(out.global_phase + ph)
    return out


def lower_gate(gate: Gate, max_controls: int = 2, keep_cp: bool = False,
               memo: dict | None = None) -> tuple[tuple[Gate, ...], tuple[float, ...]]:
    """The gates that :func:`lower_multicontrolled` writes for the one gate ``gate``, and
    the global-phase terms its templates contribute, in the order they are added.

    The terms are returned one by one (not summed) so a caller adding them to a running
    phase reproduces :func:`lower_multicontrolled`'s floating-point sum exactly.  A
    ``memo`` dict, passed again on later calls, keeps each relabelled ``mcx`` template:
    gates that contain the same ``mcx`` (e.g. ``mcrz`` with different angles on the same
    qubits) then share those very :class:`Gate` objects.
    """
    _check_max_controls(max_controls)
    gates: list[Gate] = []
    phases: list[float] = []
    _lower_gate(gate, gates, phases, max_controls, keep_cp, memo)
    return tuple(gates), tuple(phases)


def gate_key(gate: Gate):
    """A hashable key under which two gates get the same lowering and the same text.

    :class:`Gate` equality treats ``0.0 == -0.0`` and ``1 == 1.0 == np.float64(1)``; the
    key adds each angle's type and sign (of the ``ParamExpr`` coefficient and offset) so
    that gates differing only there are told apart.
    """
    if not gate.params:
        return gate
    return (gate, tuple(_angle_tag(p) for p in gate.params))


def _angle_tag(a: Angle):
    if isinstance(a, ParamExpr):
        return (type(a.coeff), copysign(1.0, a.coeff), type(a.offset), copysign(1.0, a.offset))
    return (type(a), copysign(1.0, a))


def _check_max_controls(max_controls: int) -> None:
    if max_controls < 2:
        raise ValueError("max_controls must be at least 2 (ccx is a basis gate)")


def _lower_gate(g: Gate, out: list[Gate], phases: list[float], max_controls: int,
                keep_cp: bool, memo: dict | None = None) -> None:
    """Append ``g``'s lowering to ``out`` and its template phases to ``phases`` (``memo``:
    see :func:`lower_gate`; its keys are the ``mcx`` qubit tuples)."""
    name, q = g.name, g.qubits
    k = len(q) - 1
    if name == "mcx":
        if k <= 2:
            out.append(Gate(("x", "cx", "ccx")[k], q))
        elif k <= max_controls:
            out.append(g)
        else:
            tpl = mcx_noaux_template(k)
            body = None if memo is None else memo.get(q)
            if body is None:
                body = tuple([tg.relabel(q) for tg in tpl.gates])
                if memo is not None:
                    memo[q] = body
            out.extend(body)
            phases.append(tpl.global_phase)
    elif name == "mcz":
        if k <= 1:
            out.append(Gate(("z", "cz")[k], q))
        else:
            out.append(Gate("h", q[-1:]))
            _lower_gate(Gate("mcx", q), out, phases, max_controls, keep_cp, memo)
            out.append(Gate("h", q[-1:]))
    elif name in ("mcrx", "mcry", "mcrz"):
        # C^k-R(θ) = R(θ/2) · MC(X|Z) · R(−θ/2) · MC(X|Z): X R_y/z(φ) X = R_y/z(−φ), Z R_x(φ) Z = R_x(−φ)
        th: Angle = g.params[0]
        r, t = name[2:], q[-1:]
        if k == 0:
            out.append(Gate(r, t, (th,)))
            return
        flip = "mcz" if r == "rx" else "mcx"
        out.append(Gate(r, t, (th * 0.5,)))
        _lower_gate(Gate(flip, q), out, phases, max_controls, keep_cp, memo)
        out.append(Gate(r, t, (th * -0.5,)))
        _lower_gate(Gate(flip, q), out, phases, max_controls, keep_cp, memo)
    elif name == "mcp":
        lam: Angle = g.params[0]
        if k == 0:
            out.append(Gate("p", q, (lam,)))
            return
        for n, local, scale in _mcp_template(k, keep_cp):
            qs = tuple(q[i] for i in local)
            if scale is None:
                _lower_gate(Gate(n, qs), out, phases, max_controls, keep_cp, memo)
            else:
                out.append(Gate(n, qs, (lam * scale,)))
    else:
        out.append(g)


def _expand(g: Gate, n: int, idle: list[int]) -> tuple[list[Gate], float]:
    """One gate in CX + 1q gates (+ cz, 2-qubit mcp): ``(gates, global phase)``; ``idle``
    are the qubits it may borrow as dirty ancillas."""

    k = len(g.qubits) - 1
    name = g.name
    if name in ("mcrx", "mcry", "mcrz") and k >= 1:
        # C^k-R(θ) = R(θ/2) · F · R(−θ/2) · F with F = MCX (ry, rz) or MCZ (rx) on the same qubits
        r, t, th = name[2:], g.qubits[-1:], g.params[0]
        flip = Gate("mcz" if r == "rx" else "mcx", g.qubits)
        out, phase = [Gate(r, t, (th * 0.5,))], 0.0
        for part in (flip, Gate(r, t, (th * -0.5,)), flip):
            sub, ph = _expand(part, n, idle)
            out += sub
            phase = wrap_phase(phase + ph)
        return out, phase
    if name in ("mcx", "mcz") and k >= 3:
        busy = set(g.qubits)
        free = [q for q in idle if q not in busy]
        tpl, used = mcx_template(k, len(free))
        qubits = g.qubits + tuple(free[:used])
        body = [x.relabel(qubits) for x in tpl.gates]
        if name == "mcz":
            h = Gate("h", g.qubits[-1:])
            body = [h] + body + [h]
        return body, tpl.global_phase
    if name == "ccx" or (name == "mcx" and k == 2):
        tpl = ccx_template()
        return [x.relabel(g.qubits) for x in tpl.gates], tpl.global_phase
    if name in ("mcx", "mcz", "mcp", "mcrx", "mcry", "mcrz"):
        low = lower_multicontrolled(Circuit(n, [g]))
        out, phase = [], low.global_phase
        for x in low.gates:
            sub, ph = _expand(x, n, idle) if x.name in ("ccx", "mcx", "mcz") and len(x.qubits) > 2 \
                else ([x], 0.0)
            out += sub
            phase = wrap_phase(phase + ph)
        return out, phase
    return [g], 0.0


def lower_to_cx(circuit: Circuit, borrow_ancillas: bool = True) -> Circuit:
    """``circuit`` in CX + 1q gates (+ cz, swap, 2-qubit mcp), same unitary including the
    global phase: ``mcx``/``mcz`` with ≥ 3 controls by :func:`mcx_template` (borrowing other
    qubits of the circuit as dirty ancillas when that is cheaper: they are returned to
    their state whatever it is, so this is exact).  Only qubits already in use at that
    point (between their first and last gate) are borrowed, so no qubit's lifetime grows
    and ``ancilla-reuse`` loses nothing.  ``mcrx/mcry/mcrz`` as
    ``R(θ/2)·F·R(−θ/2)·F`` (F = MCX, or MCZ for rx), ``mcp`` by
    :func:`qcompile.circuit.decompose.lower_multicontrolled`, ``ccx`` by Qiskit's 6-CX
    definition.  The pieces of a free gate are free."""
    gates: list[Gate] = []
    phase = 0.0
    n = circuit.num_qubits
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, g in enumerate(circuit.gates):
        for q in g.qubits:
            first.setdefault(q, i)
            last[q] = i
    for i, g in enumerate(circuit.gates):
        if len(g.qubits) <= 2 and g.name not in ("mcrx", "mcry", "mcrz"):
            gates.append(g)
            continue
        idle = [q for q in first if first[q] < i < last[q]] if borrow_ancillas else []
        sub, ph = _expand(g.as_free(False) if g.free else g, n, sorted(idle))
        gates += [x.as_free() for x in sub] if g.free else sub
        phase = wrap_phase(phase + ph)
    return circuit_with_gates(circuit, gates, phase)
