"""A softmax over two entries lowers to one elementwise sigmoid of their difference.

``softmax(a, b) = (σ(a − b), σ(b − a))`` exactly, and σ's QSVT scale is below 1 whatever
the argument's bound, where exp's is ``e^α``: the stage needs no normalisation point and
succeeds with probability ≥ 1/(2α²).  The compiled program must match both references on
both simulators, and the surrogate reference must evaluate the node as the circuit does.
"""

import numpy as np
import pytest

import qcompile
from qcompile.compiler import lower_quantum
from qcompile.reference import kernels

SRC = """model pair {
  dim seq = 3, d_model = 4
  weights random(seed = 5)
  input x: [seq, d_model] bound 3.0
  p = softmax(linear(x, 2))
  output p[token = 1]
}
"""


def test_pair_softmax_kernel_is_softmax():
    x = np.random.default_rng(0).normal(size=(5, 2)) * 20
    assert np.max(np.abs(kernels.pair_softmax(x, axis=-1) - kernels.softmax(x, axis=-1))) <= 1e-15
    assert np.max(np.abs(kernels.pair_softmax(x.T, axis=0) - kernels.softmax(x.T, axis=0))) <= 1e-15
    with pytest.raises(ValueError):
        kernels.pair_softmax(np.zeros((2, 3)))


def test_two_way_softmax_is_one_sigmoid_stage_and_verifies(tmp_path):
    path = tmp_path / "pair.qtf"
    path.write_text(SRC)
    low = lower_quantum(path, tolerance=1e-3, optimization=1)
    assert [nl.function for nl in low.nonlinear] == ["sigmoid"]
    assert len(low.stages) == 1 and low.stages[0].glue is None          # no normalisation point
    prog = qcompile.compile(path, tolerance=1e-3)
    report = qcompile.verify(prog, inputs=3, backends=("qiskit", "cirq"), seed=2)
    assert report.ok, report.summary
    alpha = prog.stages[-1].alpha
    assert all(r.success_probability >= 1 / (2 * alpha**2) for r in report.rows)   # ‖p‖² ≥ 1/2
