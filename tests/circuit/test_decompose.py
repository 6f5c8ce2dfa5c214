"""lower_multicontrolled is exact (global phase included) and keeps mcp angles symbolic."""

from __future__ import annotations

import math

import numpy as np
import pytest

import circuit_numpy_ref as R
from qcompile.circuit.decompose import basis_gate_set, lower_multicontrolled
from qcompile.circuit.ir import Circuit, ParamExpr, Parameter

TOL = 1e-10


def reference(name, qubits, n, lam=None):
    base = {"mcx": R.X, "mcz": R.Z}.get(name)
    base = R.phase(lam) if base is None else base
    k = len(qubits) - 1
    # local register: target first (low bit), then the controls (high bits)
    return R.embed(R.controlled(base, k), [qubits[-1]] + list(qubits[:-1]), n)


@pytest.mark.parametrize("name", ["mcx", "mcz", "mcp"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_lowering_exact(name, k):
    rng = np.random.default_rng(100 * k + len(name))
    n = k + 2  # one spectator qubit
    qubits = [int(q) for q in rng.permutation(n)[: k + 1]]
    lam = float(rng.uniform(-math.pi, math.pi))
    c = Circuit(n, global_phase=0.25)
    c.append(name, qubits, [lam] if name == "mcp" else [])
    low = lower_multicontrolled(c)
    assert set(low.count_ops()) <= basis_gate_set()
    ref = np.exp(0.25j) * reference(name, qubits, n, lam)
    assert np.abs(R.circuit_unitary(low) - ref).max() < TOL


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_symbolic_mcp_stays_affine_and_binds_exactly(k):
    rng = np.random.default_rng(k)
    n = k + 1
    qubits = [int(q) for q in rng.permutation(n)]
    c = Circuit(n)
    theta = ParamExpr(Parameter("w", 1), coeff=-1.5, offset=0.3)
    c.append("mcp", qubits, [theta])
    low = lower_multicontrolled(c, keep_cp=True)
    assert low.is_parametric and low.parameters == {"w": 2}
    assert set(low.count_ops()) <= basis_gate_set(keep_cp=True)
    for _ in range(3):
        w = rng.uniform(-4, 4, 2).tolist()
        ref = reference("mcp", qubits, n, -1.5 * w[1] + 0.3)
        assert np.abs(R.circuit_unitary(low.bind({"w": w})) - ref).max() < TOL


@pytest.mark.parametrize("k", [3, 4])
def test_mcp_recursion_rule_is_exact(monkeypatch, k):
    from qcompile.circuit import decompose

    # force the recursion (normally used past GRAY_MAX_QUBITS) at a small, fast size
    monkeypatch.setattr(decompose, "GRAY_MAX_QUBITS", 2)
    decompose._mcp_template.cache_clear()
    try:
        c = Circuit(k + 1)
        theta = ParamExpr(Parameter("w", 0), coeff=0.5)
        c.append("mcp", list(range(k + 1)), [theta])
        low = lower_multicontrolled(c)
        assert "mcx" not in low.count_ops() and low.is_parametric
        ref = np.diag(np.r_[np.ones(2 ** (k + 1) - 1), np.exp(0.45j)])
        assert np.abs(R.circuit_unitary(low.bind({"w": [0.9]})) - ref).max() < TOL
    finally:
        decompose._mcp_template.cache_clear()


def test_max_controls_keeps_small_mcx_and_rejects_below_two():
    c = Circuit(5)
    c.append("mcx", [0, 1, 2, 3]).append("mcx", [0, 1, 2, 3, 4]).append("mcx", [1, 2])
    low = lower_multicontrolled(c, max_controls=3)
    ops = low.count_ops()
    assert ops.get("mcx") == 1 and ops.get("cx", 0) > 1
    with pytest.raises(ValueError):
        lower_multicontrolled(c, max_controls=1)


def test_other_gates_pass_through_unchanged():
    c = Circuit(3, num_clbits=1, global_phase=0.1)
    c.append("h", [0]).append("rz", [1], [0.2]).append("measure", [0], clbits=[0]).append("reset", [0])
    c.append("barrier", [0, 1, 2]).append("swap", [1, 2])
    low = lower_multicontrolled(c)
    assert low.gates == c.gates and low.global_phase == c.global_phase
