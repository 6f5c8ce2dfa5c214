"""Faster emission and simulation must not change any result.

* ``to_cirq``/``to_qiskit`` memoise repeated gates: the output must equal emitting every
  gate afresh (the pre-memo emitters, reproduced here), signed zeros and angle types included.
* ``statevector`` emits a parametric circuit once per IR circuit and binds per input: the
  state must equal binding the IR first and simulating the bound circuit, for every input,
  and a mutated circuit must never be served a stale emission.
* Aer's ``parameter_binds`` must bind every symbolic gate kind the Qiskit emitter produces.
"""

from __future__ import annotations

import gc
import math

import cirq
import numpy as np
import pytest
from qiskit_aer import AerSimulator

from qcompile.backends import cirq as cirq_backend
from qcompile.backends.cirq import little_endian_order, resolver, statevector_cirq, to_cirq
from qcompile.backends.qiskit import to_qiskit
from qcompile.circuit.emission import EmissionCache, exact_memo_key
from qcompile.circuit.ir import Circuit, Gate, Parameter, ParamExpr
from qcompile.circuit.random import random_circuit
from qcompile.backends.aer import _AER_CACHE, AER_BINDABLE
from qcompile.simulate import postselected_statevector, statevector

TOL = 1e-12


# ---- reference emitters: every gate built afresh (the emitters before memoisation) ----------

def _ref_angle(a):
    import sympy

    if isinstance(a, ParamExpr):
        sym = sympy.Symbol(f"{a.parameter.name}_{a.parameter.index}")
        expr = sym * a.coeff if a.coeff != 1.0 else sym
        return expr + a.offset if a.offset else expr
    return float(a)


def _ref_exponent(a):
    import sympy

    return _ref_angle(a) / sympy.pi if isinstance(a, ParamExpr) else float(a) / math.pi


def _ref_to_cirq(circuit: Circuit) -> cirq.Circuit:
    return cirq.Circuit(_ref_cirq_ops(circuit))


def _ref_cirq_ops(circuit: Circuit) -> list:
    """The reference Cirq operations in gate order."""
    qs = cirq.LineQubit.range(circuit.num_qubits)
    ops = []
    for g in circuit.gates:
        q = [qs[i] for i in g.qubits]
        n = g.name
        if n == "barrier":
            continue
        if n == "measure":
            ops.append(cirq.measure(q[0], key=f"c{g.clbits[0]}"))
        elif n == "reset":
            ops.append(cirq.reset(q[0]))
        elif n in ("rx", "ry", "rz"):
            ops.append(getattr(cirq, n)(_ref_angle(g.params[0])).on(q[0]))
        elif n == "p":
            ops.append(cirq.ZPowGate(exponent=_ref_exponent(g.params[0])).on(q[0]))
        elif n in ("mcrx", "mcry", "mcrz"):
            base = getattr(cirq, n[2:])(_ref_angle(g.params[0]))
            k = len(q) - 1
            ops.append((base.controlled(k) if k else base).on(*q))
        elif n in ("mcx", "mcz", "mcp"):
            base = {"mcx": cirq.X, "mcz": cirq.Z}.get(n)
            if base is None:
                base = cirq.ZPowGate(exponent=_ref_exponent(g.params[0]))
            k = len(q) - 1
            ops.append((base.controlled(k) if k else base).on(*q))
        else:
            gate = {"h": cirq.H, "x": cirq.X, "y": cirq.Y, "z": cirq.Z, "s": cirq.S, "sdg": cirq.S**-1,
                    "t": cirq.T, "tdg": cirq.T**-1, "cx": cirq.CNOT, "cz": cirq.CZ, "swap": cirq.SWAP,
                    "ccx": cirq.CCX}[n]
            ops.append(gate.on(*q))
    phase = float(circuit.global_phase)
    if phase % (2 * math.pi):
        ops.append(cirq.global_phase_operation(np.exp(1j * phase)))
    return ops


def _ref_to_qiskit(circuit: Circuit, aer_native: bool):
    from qiskit import QuantumCircuit
    from qiskit.circuit import Gate as QiskitGate
    from qiskit.circuit import ParameterVector
    from qiskit.circuit import library as lib

    qc = QuantumCircuit(circuit.num_qubits, circuit.num_clbits, global_phase=circuit.global_phase)
    vectors = {name: ParameterVector(name, size) for name, size in sorted(circuit.parameters.items())}

    def angle(a):
        if isinstance(a, ParamExpr):
            return vectors[a.parameter.name][a.parameter.index] * a.coeff + a.offset
        return float(a)

    fixed = {"h": lib.HGate, "x": lib.XGate, "y": lib.YGate, "z": lib.ZGate, "s": lib.SGate,
             "sdg": lib.SdgGate, "t": lib.TGate, "tdg": lib.TdgGate, "cx": lib.CXGate,
             "cz": lib.CZGate, "swap": lib.SwapGate, "ccx": lib.CCXGate}
    single = {"rx": lib.RXGate, "ry": lib.RYGate, "rz": lib.RZGate, "p": lib.PhaseGate}
    for g in circuit.gates:
        q, n = list(g.qubits), g.name
        if n in fixed:
            op = fixed[n]()
        elif n in single:
            op = single[n](angle(g.params[0]))
        elif n in ("mcx", "mcz"):
            if len(q) == 1:
                op = fixed[n[2:]]()
            elif n == "mcx":
                op = lib.MCXGate(len(q) - 1)
            elif aer_native:
                op = QiskitGate("mcz", len(q), [])
            else:
                op = lib.ZGate().control(len(q) - 1, annotated=False)
        elif n in ("mcrx", "mcry", "mcrz"):
            base = single[n[2:]](angle(g.params[0]))
            if len(q) == 1:
                op = base
            elif aer_native:
                op = QiskitGate(n, len(q), [angle(g.params[0])])
            else:
                op = base.control(len(q) - 1, annotated=False)
        elif n == "mcp":
            theta = angle(g.params[0])
            if len(q) == 1:
                op = lib.PhaseGate(theta)
            elif aer_native:   # the Aer instruction MCPhaseGate stands for
                op = QiskitGate("mcphase", len(q), [theta])
            else:
                op = lib.MCPhaseGate(theta, len(q) - 1)
        elif n == "measure":
            op = lib.Measure()
        elif n == "reset":
            op = lib.Reset()
        else:
            op = lib.Barrier(len(q))
        qc.append(op, q, list(g.clbits))
    return qc


def _param_tag(p):
    """A comparable tag of a Qiskit parameter: exact float (sign of zero included) or text."""
    if isinstance(p, (float, int, np.floating)):
        return ("f", float(p).hex())
    return ("e", str(p))


def _qiskit_rows(qc):
    return [(inst.operation.name, inst.operation.num_qubits, tuple(qc.find_bit(b).index for b in inst.qubits),
             tuple(qc.find_bit(b).index for b in inst.clbits), tuple(_param_tag(p) for p in inst.operation.params))
            for inst in qc.data]


def _repeating_circuit(seed: int, parametric: bool, measure: bool = False) -> Circuit:
    """Gates drawn from a small pool, so that most of them repeat, with ±0 angles, ints,
    numpy floats and ±0 ParamExpr coefficients/offsets among the angles."""
    rng = np.random.default_rng(seed)
    n = 5
    c = Circuit(n, global_phase=0.4, num_clbits=2 if measure else 0)
    xs = c.declare_parameters("x", 3) if parametric else []
    angles = [0.0, -0.0, 0.7, np.float64(0.7), -1.25, 2, math.pi]
    names = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "p", "cx", "cz", "swap", "ccx",
             "mcx", "mcz", "mcp", "mcrx", "mcry", "mcrz", "barrier"]
    pool = []
    for _ in range(40):
        name = names[int(rng.integers(len(names)))]
        width = {"cx": 2, "cz": 2, "swap": 2, "ccx": 3}.get(name, 1)
        if name.startswith("mc") or name == "barrier":
            width = int(rng.integers(1, n + 1))
        qs = tuple(int(q) for q in rng.permutation(n)[:width])
        params = ()
        if name in ("rx", "ry", "rz", "p", "mcp", "mcrx", "mcry", "mcrz"):
            a = angles[int(rng.integers(len(angles)))]
            if parametric and rng.random() < 0.5:
                a = ParamExpr(xs[int(rng.integers(3))].parameter, float(rng.choice([1.0, -0.0, 0.0, -0.5, 2.0])),
                              float(rng.choice([0.0, -0.0, 0.3])))
            params = (a,)
        pool.append(Gate(name, qs, params))
    for _ in range(150):
        c.add_gate(pool[int(rng.integers(len(pool)))])
    if measure:
        c.append("measure", [1], clbits=[0]).append("reset", [1]).append("h", [1])
        c.append("measure", [2], clbits=[1])
    return c


# ---- emitters ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("parametric", [False, True])
def test_to_cirq_equals_fresh_emission(seed, parametric):
    c = _repeating_circuit(seed, parametric, measure=seed == 0)
    assert to_cirq(c) == _ref_to_cirq(c)
    # the simulation emission differs only in two-control X, which is a flat ControlledOperation
    sim_ops = cirq_backend._operations(c, flat=True)
    ref_ops = _ref_cirq_ops(c)
    assert len(sim_ops) == len(ref_ops)
    for op, ref in zip(sim_ops, ref_ops):
        assert not isinstance(op.gate, cirq.CCXPowGate)
        if isinstance(ref.gate, cirq.CCXPowGate):
            assert op == cirq.ControlledOperation(ref.qubits[:2], cirq.X(ref.qubits[2]))
        else:
            assert op == ref


def test_to_cirq_keeps_signed_zero_and_shares_repeated_operations():
    c = Circuit(2)
    for a in (0.0, -0.0, 0.0, -0.0):
        c.append("rz", [0], [a]).append("mcry", [0, 1], [0.5])
    ops = list(to_cirq(c).all_operations())
    signs = [math.copysign(1.0, op.gate.exponent) for op in ops if isinstance(op.gate, cirq.Rz)]
    assert signs == [1.0, -1.0, 1.0, -1.0]
    mcry = [op for op in cirq_backend._operations(c, flat=True) if isinstance(op, cirq.ControlledOperation)]
    assert len(mcry) == 4 and all(op is mcry[0] for op in mcry)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("parametric", [False, True])
@pytest.mark.parametrize("aer_native", [False, True])
def test_to_qiskit_equals_fresh_emission(seed, parametric, aer_native):
    c = _repeating_circuit(seed, parametric, measure=seed == 0)
    qc, ref = to_qiskit(c, aer_native=aer_native), _ref_to_qiskit(c, aer_native)
    assert float(qc.global_phase) == float(ref.global_phase)
    assert _qiskit_rows(qc) == _qiskit_rows(ref)


def test_exact_memo_key():
    x = Parameter("x", 0)
    assert exact_memo_key(()) and exact_memo_key((0.5, -2.0)) and exact_memo_key((ParamExpr(x, 2.0, 0.0),))
    for bad in ((0.0,), (-0.0,), (1,), (np.float64(0.5),), (math.nan,), (ParamExpr(x, 0.0, 1.0),),
                (ParamExpr(x, 1, 0.0),), (ParamExpr(Parameter("x", True), 1.0, 0.0),)):
        assert not exact_memo_key(bad), bad


# ---- simulation: parametric emission reused across inputs --------------------------------

def _aer_bound_reference(c: Circuit, values) -> np.ndarray:
    """The old path: bind the IR, emit, run Aer (no fusion below 14 qubits either way)."""
    b = c.bind(values) if c.is_parametric else c
    qc = to_qiskit(b, aer_native=True)
    qc.save_statevector()
    sim = AerSimulator(method="statevector", precision="double")
    return np.asarray(sim.run(qc, shots=1).result().get_statevector())


def _cirq_simulator_reference(c: Circuit, values) -> np.ndarray:
    """The old path: cirq.Simulator on the exported circuit with a ParamResolver."""
    res = resolver(values) if values is not None else cirq.ParamResolver({})
    out = cirq.Simulator(dtype=np.complex128).simulate(_ref_to_cirq(c), param_resolver=res,
                                                       qubit_order=little_endian_order(c.num_qubits))
    return np.asarray(out.final_state_vector)


@pytest.mark.parametrize("seed", range(3))
def test_parametric_statevector_equals_binding_first_for_many_inputs(seed):
    rng = np.random.default_rng(100 + seed)
    c = random_circuit(5, 60, rng, symbolic=0.5, max_controls=3)
    for _ in range(4):
        vals = {"x": rng.uniform(-3, 3, 4).tolist()}
        sq = statevector(c, "qiskit", vals)
        assert np.abs(sq - _aer_bound_reference(c, vals)).max() == 0.0  # same angles, same Aer run
        sc = statevector(c, "cirq", vals)
        assert np.abs(sc - _cirq_simulator_reference(c, vals)).max() < TOL
        assert np.abs(sq - sc).max() < 1e-10


_BINDABLE_CASES = [(name, k) for name in sorted(AER_BINDABLE)
                   for k in ((0,) if name in ("rx", "ry", "rz", "p") else (0, 1, 2, 3))]


@pytest.mark.parametrize("name,controls", _BINDABLE_CASES)
def test_aer_parameter_binds_bind_every_symbolic_gate_kind(name, controls):
    # Aer's parameter_binds skip a ControlledGate's parameters (Qiskit/qiskit-aer#2403):
    # every symbolic gate the emitter produces must come out as if bound beforehand
    c = Circuit(5)
    (x,) = c.declare_parameters("x", 1)
    for q in range(5):
        c.append("h", [q])
    c.append(name, list(range(controls + 1)), [x * 1.3 + 0.2])
    c.append("rx", [4], [x * -0.5])
    vals = {"x": [0.7]}
    sq = statevector(c, "qiskit", vals)
    assert _AER_CACHE.get(c, lambda _: None).bindable
    assert np.abs(sq - _aer_bound_reference(c, vals)).max() == 0.0
    assert np.abs(sq - statevector(c, "cirq", vals)).max() < 1e-10


def test_wide_circuit_keeps_global_phase_with_aer_fusion():
    # from 14 qubits Aer fuses gates (aer.AER_FUSION_THRESHOLD): only rounding may change
    rng = np.random.default_rng(3)
    c = random_circuit(14, 150, rng, symbolic=0.3, max_controls=3)
    assert abs(c.global_phase) > 1e-3
    vals = {"x": rng.uniform(-2, 2, 4).tolist()}
    assert np.abs(statevector(c, "qiskit", vals) - statevector(c, "cirq", vals)).max() < 1e-10


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_mutated_circuit_is_never_served_a_stale_emission(backend):
    rng = np.random.default_rng(8)
    c = random_circuit(4, 30, rng, symbolic=0.5)
    vals = {"x": rng.uniform(-2, 2, 4).tolist()}

    def fresh():
        return _aer_bound_reference(c, vals) if backend == "qiskit" else _cirq_simulator_reference(c, vals)

    def check():
        assert np.abs(statevector(c, backend, vals) - fresh()).max() < TOL

    check()
    c.append("ry", [2], [0.9])                                   # append
    check()
    c.gates[3] = Gate("mcry", (0, 1, 2), (c.declare_parameters("x", 4)[1] * 0.5,))   # item assignment
    check()
    c.gates = list(reversed(c.gates))                            # a new list
    check()
    c.global_phase += 0.25                                       # phase
    check()
    c.compose(random_circuit(4, 5, rng))                         # compose
    check()
    c.gates.pop()                                                # shorter
    check()


def test_emission_cache_drops_dead_circuits_and_is_bounded():
    cache = EmissionCache(size=3)
    built = []

    def build(circuit):
        built.append(circuit)
        return len(built)

    keep = [Circuit(1) for _ in range(5)]
    for c in keep:
        cache.get(c, build)
    assert len(cache._entries) == 3                 # bounded
    assert cache.get(keep[-1], build) == 5          # a hit: not rebuilt
    assert cache.get(keep[0], build) == 6           # evicted: rebuilt
    tmp = Circuit(1)
    cache.get(tmp, build)
    key = id(tmp)
    built.clear()
    del tmp
    gc.collect()
    assert key not in cache._entries                # dropped with its circuit
    z = Circuit(1, global_phase=0.0)
    first = cache.get(z, build)
    z.global_phase = -0.0
    assert cache.get(z, build) != first             # the sign of a zero phase counts


def test_values_are_checked_like_circuit_bind():
    c = Circuit(1)
    (x,) = c.declare_parameters("x", 1)
    c.append("rx", [0], [x])
    with pytest.raises(KeyError):
        statevector(c, "qiskit", {"y": [0.1]})
    with pytest.raises(ValueError):
        statevector(c, "qiskit", {"x": [0.1, 0.2]})
    with pytest.raises(ValueError):
        statevector(c, "cirq", {"y": [0.1]})


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_postselected_statevector_backends_agree(backend):
    c = Circuit(3, num_clbits=1)
    c.append("h", [0]).append("ry", [1], [0.4]).append("mcx", [0, 1, 2]).append("measure", [2], clbits=[0])
    c.append("reset", [2]).append("mcry", [0, 2], [0.3]).append("h", [1])
    c.global_phase = 0.7
    ref = postselected_statevector(c, "qiskit")
    assert np.abs(postselected_statevector(c, backend) - ref).max() < 1e-10
    assert abs(np.linalg.norm(ref) - 1) > 1e-3   # a real post-selection


def test_statevector_cirq_initial_state_and_empty_circuit():
    rng = np.random.default_rng(4)
    c = random_circuit(3, 20, rng)
    psi = rng.normal(size=8) + 1j * rng.normal(size=8)
    psi /= np.linalg.norm(psi)
    ref = cirq.Simulator(dtype=np.complex128).simulate(
        _ref_to_cirq(c), initial_state=psi, qubit_order=little_endian_order(3)).final_state_vector
    assert np.abs(statevector_cirq(c, initial_state=psi) - ref).max() < TOL
    assert np.abs(statevector_cirq(c, initial_state=psi, cache=False) - ref).max() < TOL
    assert np.allclose(statevector_cirq(Circuit(0)), [1.0])
