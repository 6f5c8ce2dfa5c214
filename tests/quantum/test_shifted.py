"""The shifted even rule: a mixed-parity function as an even polynomial of
s = (t + c)/(1 + c), QSVT'd on the diagonal of v + c·α (constant term folded into the
argument's LCU).  Block checks on Qiskit and Cirq, many random inputs."""

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.lowering.polynomials import MARGIN, SHIFT_MAX_PLAIN_DEGREE, choose_polynomial, qsvt_scale
from qcompile.quantum import state_preparation
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.diagonal import constant_diagonal, shifted_diagonal
from qcompile.quantum.elementwise import elementwise_of_diagonal
from qcompile.quantum.polynomials import PolynomialError, shifted_even_approximation


def both_blocks(block):
    return block.block(unitary(block.circuit)), block.block(unitary=unitary_cirq(block.circuit))


def bound(block, values):
    c = block.circuit.bind(values) if block.circuit.is_parametric else block.circuit
    return QuantumBlock(c, block.alpha, block.system_qubits, block.ancilla_qubits, block.kind, block.shape,
                        block.info)


@pytest.mark.parametrize("n,seed", [(1, 0), (2, 1), (3, 2)])
def test_constant_diagonal_block(n, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=2**n - (n > 1))          # zero-padded when shorter
    weight = np.max(np.abs(values)) * 1.3
    d = constant_diagonal(values, weight, n)
    padded = np.zeros(2**n)
    padded[:values.size] = values
    assert d.alpha == weight and len(d.ancilla_qubits) == 1
    for got in both_blocks(d):
        assert np.max(np.abs(got - np.diag(padded))) <= 1e-10
    with pytest.raises(ValueError):
        constant_diagonal(values, 0.5 * np.max(np.abs(values)), n)   # weight below max|w|


@pytest.mark.parametrize("wide,with_constant", [(False, True), (True, True), (False, False)])
def test_shifted_diagonal_block_many_inputs(wide, with_constant):
    """diag(c1 x + c2 y + w)/λ, x and y bound through parametric loaders (flags included),
    w fixed; λ = |c1| B1 + |c2| B2 + weight; a wider state's top qubits read 0."""
    rng = np.random.default_rng(3)
    n = 2
    lx = state_preparation(4, bound=2.0, name="x")
    ly = state_preparation(8 if wide else 4, bound=1.5, name="y")
    w = rng.normal(size=4) if with_constant else None
    shift = 0.7
    const = None if w is None else w + shift
    weight = shift + (0.0 if w is None else float(np.linalg.norm(w)))
    coeffs = [1.3, -0.4]
    d = shifted_diagonal(coeffs, [lx, ly], n, const, weight)
    assert d.alpha == pytest.approx(1.3 * 2.0 + 0.4 * 1.5 + weight)
    assert len(d.system_qubits) == n
    for _ in range(4):
        x = rng.normal(size=4)
        x *= rng.uniform(0.1, 2.0) / np.linalg.norm(x)
        y = np.zeros(8 if wide else 4)
        y[:4] = rng.normal(size=4)
        y *= rng.uniform(0.1, 1.5) / np.linalg.norm(y)
        values = {**lx.bind(x), **ly.bind(y)}
        want = 1.3 * x - 0.4 * y[:4] + (shift if w is None else const)
        for got in both_blocks(bound(d, values)):
            assert np.max(np.abs(got - np.diag(want))) <= 1e-9


def test_shifted_even_fit_is_measured_and_refuses_past_its_degree():
    g = lambda t: np.exp(3.0 * np.asarray(t))
    e = shifted_even_approximation(g, 1e-6, 2.0)
    assert e.definite_parity == "even" and e.error <= 1e-6
    t = np.linspace(-1, 1, 2001)
    assert np.max(np.abs(e(np.asarray((t + 2.0) / 3.0)) - g(t))) <= 1e-6
    with pytest.raises(PolynomialError, match="needs degree > 8"):
        shifted_even_approximation(g, 1e-6, 2.0, max_degree=8)


#: (function, alpha) for the rule's sweep; exp stops at 10: exp(30 t) to an absolute 1e-3
#: (values up to 1e13) is past float64, and the plain fit refuses it before any rule applies
SWEEP = [(f, a) for f in ("exp", "gelu", "silu", "sigmoid", "gelu_tanh")
         for a in (0.05, 0.3, 1.0, 3.0, 10.0, 30.0) if not (f == "exp" and a > 10)]


@pytest.mark.parametrize("function,a", SWEEP)
@pytest.mark.parametrize("tol", [1e-3, 1e-6])
def test_rule_is_taken_at_every_alpha(function, a, tol):
    """The rule depends on the structure only: taken for every alpha and tolerance below
    the plain-degree limit, within the tolerance, |even| ≤ 1 − margin after its scale K
    (so the QSVT exists), and p_raw is the even polynomial of the shifted variable."""
    mixed = choose_polynomial(function, a, 8, tol)
    ch = choose_polynomial(function, a, 8, tol, shift=True)
    assert mixed.degree <= SHIFT_MAX_PLAIN_DEGREE
    assert mixed.shift == 0.0 and ch.shift > 1.0 and ch.even.definite_parity == "even"
    assert ch.error <= tol
    assert ch.even.sup_norm() <= ch.K * (1 - MARGIN) * (1 + 1e-12)
    t = np.linspace(-1, 1, 1001)
    assert np.max(np.abs(ch.p_raw(t) - ch.even((t + ch.shift) / (1 + ch.shift)))) <= 1e-9 * ch.K


@pytest.mark.parametrize("function,a,tol", [("exp", 2.33, 3.6e-6), ("exp", 9.2, 4e-6), ("gelu", 2.7, 4e-6)])
def test_rule_keeps_the_split_alpha_where_reachable(function, a, tol):
    mixed = choose_polynomial(function, a, 8, tol)
    ch = choose_polynomial(function, a, 8, tol, shift=True)
    assert ch.K <= qsvt_scale(mixed.p_raw)


def test_relu_keeps_the_parity_split():
    assert choose_polynomial("relu", 2.0, 4, 1e-2, shift=True).shift == 0.0


def test_shifted_elementwise_end_to_end():
    """exp of c1·x + b through the shifted diagonal and the even QSVT: amplitudes
    P_raw(v/α)/(K·√N) for random inputs, both backends (the stage construction)."""
    rng = np.random.default_rng(11)
    n = 2
    lx = state_preparation(4, bound=2.0, name="x")
    b = rng.normal(size=4) * 0.3
    alpha = 2.0 + float(np.linalg.norm(b))
    ch = choose_polynomial("exp", alpha, 4, 1e-5, shift=True)
    assert ch.shift > 0
    shift = ch.shift * alpha
    d = shifted_diagonal([1.0], [lx], n, b + shift, shift + float(np.linalg.norm(b)))
    assert d.alpha == pytest.approx(alpha * (1 + ch.shift))
    out = elementwise_of_diagonal(d, None, 1e-5, polynomial=ch.even, margin=MARGIN, shape=(4,))
    assert out.alpha == pytest.approx(ch.alpha) and len(out.ancilla_qubits) == len(d.ancilla_qubits) + 1
    for _ in range(3):
        x = rng.normal(size=4)
        x *= rng.uniform(0.1, 2.0) / np.linalg.norm(x)
        v = x + b
        st = bound(out, lx.bind(x))
        for u in (unitary(st.circuit), unitary_cirq(st.circuit)):
            got = st.block(u)
            assert np.max(np.abs(got - ch.p_raw(v / alpha))) <= 1e-8
            assert np.max(np.abs(got - np.exp(v))) <= 1e-5 + 1e-8


def test_rule_needs_a_lone_constant_term_to_join():
    """The shift joins a lone constant term; a constant behind a factor, or none, keeps the
    split (the shift would be an LCU term of its own, controlling every other term)."""
    from qcompile.lowering.polynomials import shift_allowed
    from qcompile.qir.nodes import Const, Dense, Form, Term

    b = Const(np.ones(4))
    behind = Term(1.0, (Dense(np.eye(4), "dilation"),), b)
    assert shift_allowed(Form(4, (behind, Term(1.0, (), b))))
    assert not shift_allowed(Form(4, (behind,)))


@pytest.mark.parametrize("x_scale", ["random", "at_bound", "zero"])
def test_folded_norm_flags_block_many_inputs(x_scale):
    """Flagless input block encodings in a shifted diagonal (NormFold): states X·u (one
    folded flag), X·Xᵀ·u' (two) and a loaded y (its flag kept); PREP and the constant
    term's angles bound from ‖X‖_F.  Same block diag(c1 Xu + c2 XXᵀu' + c3 y + w)/λ and
    the same λ as with the flags, for many X (norm in (0, B], at B, and X = 0), one
    ancilla fewer per folded flag."""
    from qcompile.quantum.combine import apply
    from qcompile.quantum.diagonal import NormFold
    from qcompile.quantum.input_block_encoding import input_block_encoding

    rng = np.random.default_rng(11)
    n, B = 2, 2.0
    u, u2 = rng.normal(size=4), rng.normal(size=4)
    flagged = input_block_encoding((4, 4), B, name="x")
    bare = input_block_encoding((4, 4), B, name="x", flag=False)
    assert len(bare.ancilla_qubits) == len(flagged.ancilla_qubits) - 1
    bare_t = QuantumBlock(bare.circuit.inverse(), bare.alpha, bare.system_qubits, bare.ancilla_qubits,
                          "block_encoding", (4, 4))
    ly = state_preparation(4, bound=1.5, name="y")
    states = [apply(bare, state_preparation(u)), apply(bare, apply(bare_t, state_preparation(u2))), ly]
    coeffs = [0.8, -0.6, 1.1]
    w = rng.normal(size=4)
    shift = 1.2
    weight = shift + float(np.linalg.norm(w))
    d = shifted_diagonal(coeffs, states, n, w + shift, weight, folded=NormFold("fold", flagged, (1, 2, 0)))
    lam = 0.8 * B * np.linalg.norm(u) + 0.6 * B**2 * np.linalg.norm(u2) + 1.1 * 1.5 + weight
    assert d.alpha == pytest.approx(lam)
    unfolded = shifted_diagonal(coeffs, [apply(flagged, state_preparation(u)),
                                         apply(flagged, apply(QuantumBlock(flagged.circuit.inverse(), B,
                                                                           flagged.system_qubits,
                                                                           flagged.ancilla_qubits,
                                                                           "block_encoding", (4, 4)),
                                                              state_preparation(u2))), ly],
                                n, w + shift, weight)
    assert unfolded.alpha == pytest.approx(lam)
    assert d.circuit.num_qubits < unfolded.circuit.num_qubits
    binder = d.info["binder"]
    for _ in range(3):
        x = rng.normal(size=(4, 4))
        norm = {"random": rng.uniform(0.05, B), "at_bound": B, "zero": 0.0}[x_scale]
        x *= norm / np.linalg.norm(x)
        y = rng.normal(size=4)
        y *= rng.uniform(0.1, 1.5) / np.linalg.norm(y)
        values = {**flagged.bind(x), **ly.bind(y), **binder.bind(x)}
        want = 0.8 * x @ u - 0.6 * x @ x.T @ u2 + 1.1 * y + w + shift
        for got in both_blocks(bound(d, values)):
            assert np.max(np.abs(got - np.diag(want))) <= 1e-9
    with pytest.raises(Exception, match="above its declared bound"):
        binder.bind(np.full((4, 4), 1.0))
