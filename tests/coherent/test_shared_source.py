"""Block check of the shared-source branch of a stage form (StageBuilder.shared_source):
terms ``c_k F_k s`` of one source become ``s``'s state with the LCU of the chains ``F_k``
applied once.  The post-selected output register times alpha must be ``(Σ c_k F_k) s``,
and zero past the form's length (the padding argument of the docstring), on Qiskit and
Cirq, on the path that applies the LCU to the state as it is and on the padded path; the
resource estimator counts the same circuit."""

from __future__ import annotations

import numpy as np
import pytest

from qcompile.circuit.ir import register_indices
from qcompile.circuit.metrics import cx_count
from qcompile.lowering.circuits import StageBuilder
from qcompile.qir.nodes import Const, Dense, Term
from qcompile.quantum.state_preparation import state_preparation
from qcompile.resources import counts as C
from qcompile.resources.estimate import Estimator, Node, synthesised_dense_cost
from qcompile.simulate import statevector


class _Builder(StageBuilder):
    """A stage builder whose every source is the fixed state of ``v``."""

    def __init__(self, v):
        super().__init__(None)
        self.v = v

    def source(self, s, *args):
        return state_preparation(self.v)


class _Estimator(Estimator):
    def __init__(self, v):
        super().__init__(None, dense_cost=synthesised_dense_cost)
        self.v = v

    def source(self, s, *args):
        return Node(C.const_cost(len(self.v), None), float(np.log(np.linalg.norm(self.v))))


def _cases():
    rng = np.random.default_rng(4)
    m = lambda r, c: Dense(rng.normal(size=(r, c)), "dilation", "w")
    v = rng.normal(size=3)
    src = Const(v)
    same = [Term(0.7, (m(5, 3),), src), Term(-1.2, (m(5, 4), m(4, 3)), src)]        # every chain on 3 qubits
    padded = [Term(1.0, (), src), Term(-1.3, (m(3, 8), m(8, 3)), src)]              # identity on 2 qubits
    return [("same width", v, same, 5), ("padded", v, padded, 3)]


def _expected(terms, v):
    out = 0
    for t in terms:
        w = v
        for f in reversed(t.factors):
            w = f.matrix @ w
        out = out + t.coeff * w
    return out


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
@pytest.mark.parametrize("case", range(2))
def test_shared_source_block(case, backend):
    name, v, terms, dim = _cases()[case]
    block = _Builder(v).shared_source(dim, terms, 0, None)
    want = _expected(terms, v)
    alpha = sum(abs(t.coeff) * np.prod([f.alpha for f in t.factors]) for t in terms) * np.linalg.norm(v)
    assert block.alpha == pytest.approx(alpha, rel=1e-12)
    sv = statevector(block.circuit, backend)
    amps = block.alpha * sv[register_indices(block.system_qubits)]
    np.testing.assert_allclose(amps[:dim], want, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(amps[dim:], 0, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("case", range(2))
def test_estimator_counts_the_shared_source_circuit(case):
    _, v, terms, dim = _cases()[case]
    block = _Builder(v).shared_source(dim, terms, 0, None)
    node = _Estimator(v).shared_source(terms, 0, None)
    assert node.cost.system + node.cost.ancillas == block.circuit.num_qubits
    assert node.cost.counts.cx() == cx_count(block.circuit)
    assert node.log_alpha == pytest.approx(np.log(block.alpha), rel=1e-12)
