"""Models whose sequence length, width, head count or feed-forward width is not a power of
two, with grouped-query attention, pre-LN, RMSNorm and SwiGLU: one compiled circuit,
several random inputs, both simulators, both references."""

from pathlib import Path

import pytest

import qcompile

SHAPES = sorted((Path(__file__).resolve().parent / "shapes").glob("*.qtf"))


@pytest.mark.parametrize("path", SHAPES, ids=[p.stem for p in SHAPES])
def test_shape_compiles_and_verifies(path):
    """compiled = surrogate to 1e-8 and |compiled − exact| ≤ bound ≤ tolerance, for two
    inputs on Qiskit and Cirq; at most 16 qubits."""
    prog = qcompile.compile(path, tolerance=1e-2)
    assert all(sc.circuit.num_qubits <= 16 for sc in prog.stages)
    report = qcompile.verify(prog, inputs=2, backends=("qiskit", "cirq"), seed=5)
    assert report.ok, report.summary
    assert len(report.rows) == 4


@pytest.mark.parametrize("path", SHAPES, ids=[p.stem for p in SHAPES])
def test_estimate_is_exact_at_O0(path):
    """The resource walk counts these shapes' -O0 circuits exactly (padded heads, row
    registers widened in all-rows stages, tokens spread over a register that is not a power
    of two, rotary keys): qubits, CX and every gate by name, per stage."""
    from qcompile.circuit.metrics import cx_count
    from qcompile.resources.api import estimate

    prog = qcompile.compile(path, optimization=0, tolerance=1e-2)
    rep = estimate(path, mode="compiled", optimization=0, tolerance=1e-2)
    for r, sc in zip(rep.stages, prog.stages, strict=True):
        assert (r.qubits, r.cx, r.gates) == (sc.circuit.num_qubits, cx_count(sc.circuit), sc.circuit.count_ops())
    assert rep.exactness["qubits"] == rep.exactness["cx"] == rep.exactness["gates"] == "exact"
