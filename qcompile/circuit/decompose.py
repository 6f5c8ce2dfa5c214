"""Lower multi-controlled gates (``mcx``/``mcz``/``mcp``) to a fixed basis, exactly.

Every rule below is exact *including the global phase* (verified against NumPy in
``tests/circuit/test_decompose.py``).  Rules:

* ``mcx`` with k controls: k = 0, 1, 2 -> ``x``/``cx``/``ccx``; k > ``max_controls`` ->
  Qiskit's ancilla-free synthesis (the cheaper in CX count of ``synth_mcx_noaux_v24`` and
  ``synth_mcx_noaux_hp24``), transpiled to :data:`qcompile.backends.qiskit.QISKIT_BASIS`
  and converted back with ``from_qiskit``.  The result is cached per k and relabelled.
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

from qcompile.circuit.ir import Angle, Circuit, Gate

#: largest mcp (controls + target) lowered by the Gray-code rule; larger ones recurse.
GRAY_MAX_QUBITS = 9

_BASIS = ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "p",
          "cx", "cz", "swap", "ccx", "measure", "reset", "barrier")


def basis_gate_set(keep_cp: bool = False) -> frozenset[str]:
    """Gate names :func:`lower_multicontrolled` emits (with the default ``max_controls=2``).

    1-qubit: h x y z s sdg t tdg rx ry rz p; 2-qubit: cx cz swap; 3-qubit: ccx; plus
    measure, reset, barrier.  With ``keep_cp`` also ``mcp`` on exactly 2 qubits (a
    controlled phase, emitted as ``cp``/``cu1``).
    """
    names = set(_BASIS)
    if keep_cp:
        names.add("mcp")
    return frozenset(names)


# ---- templates: gate lists on local qubits 0..n-1 -----------------------------------------
# A template entry is (name, local qubits, angle scale or None); a phase-gate angle is
# scale * λ for the mcp being lowered.

@lru_cache(maxsize=None)
def _mcx_template(k: int) -> Circuit:
    """``mcx`` with k >= 3 controls (local qubits 0..k-1) on target k, in QISKIT_BASIS."""
    from qiskit import transpile
    from qiskit.synthesis import synth_mcx_noaux_hp24, synth_mcx_noaux_v24

    from qcompile.backends.qiskit import QISKIT_BASIS, from_qiskit

    best = None
    for synth in (synth_mcx_noaux_v24, synth_mcx_noaux_hp24):
        qc = transpile(synth(k), basis_gates=QISKIT_BASIS, optimization_level=2, seed_transpiler=0)
        cx = qc.count_ops().get("cx", 0) + qc.count_ops().get("cz", 0)
        if best is None or cx < best[0]:
            best = (cx, qc)
    out = from_qiskit(best[1])
    if out.num_qubits != k + 1:  # pragma: no cover - synthesis is ancilla-free
        raise RuntimeError("MCX synthesis used ancillas")
    return out


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
    """
    if max_controls < 2:
        raise ValueError("max_controls must be at least 2 (ccx is a basis gate)")
    out = Circuit(circuit.num_qubits, [], circuit.global_phase, circuit.num_clbits,
                  dict(circuit.registers), dict(circuit.parameters))
    for g in circuit.gates:
        _lower_gate(g, out, max_controls, keep_cp)
    return out


def _lower_gate(g: Gate, out: Circuit, max_controls: int, keep_cp: bool) -> None:
    name, q = g.name, g.qubits
    k = len(q) - 1
    if name == "mcx":
        if k <= 2:
            out.add_gate(Gate(("x", "cx", "ccx")[k], q))
        elif k <= max_controls:
            out.add_gate(g)
        else:
            tpl = _mcx_template(k)
            for tg in tpl.gates:
                out.add_gate(tg.relabel(q))
            out.global_phase += tpl.global_phase
    elif name == "mcz":
        if k <= 1:
            out.add_gate(Gate(("z", "cz")[k], q))
        else:
            out.add_gate(Gate("h", q[-1:]))
            _lower_gate(Gate("mcx", q), out, max_controls, keep_cp)
            out.add_gate(Gate("h", q[-1:]))
    elif name in ("mcrx", "mcry", "mcrz"):
        # C^k-R(θ) = R(θ/2) · MC(X|Z) · R(−θ/2) · MC(X|Z): X R_y/z(φ) X = R_y/z(−φ), Z R_x(φ) Z = R_x(−φ)
        th: Angle = g.params[0]
        r, t = name[2:], q[-1:]
        if k == 0:
            out.add_gate(Gate(r, t, (th,)))
            return
        flip = "mcz" if r == "rx" else "mcx"
        out.add_gate(Gate(r, t, (th * 0.5,)))
        _lower_gate(Gate(flip, q), out, max_controls, keep_cp)
        out.add_gate(Gate(r, t, (th * -0.5,)))
        _lower_gate(Gate(flip, q), out, max_controls, keep_cp)
    elif name == "mcp":
        lam: Angle = g.params[0]
        if k == 0:
            out.add_gate(Gate("p", q, (lam,)))
            return
        for n, local, scale in _mcp_template(k, keep_cp):
            qs = tuple(q[i] for i in local)
            if scale is None:
                _lower_gate(Gate(n, qs), out, max_controls, keep_cp)
            else:
                out.add_gate(Gate(n, qs, (lam * scale,)))
    else:
        out.add_gate(g)
