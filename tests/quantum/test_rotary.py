"""Block checks of the rotary-keys block encoding (qcompile.quantum.rotary): the circuit's
block equals ``a ↦ (x_sᵀ K R̃_sᵀ a)_s`` as the quantum IR evaluates it."""

import numpy as np
import pytest

from qcompile.qir.nodes import Dense, InputMatrix, Rotary, RotaryKeys, paired_layout
from qcompile.quantum.block_encoding import block_encoding
from qcompile.quantum.rotary import rotary_keys_block_encoding
from qcompile.simulate import unitary


def _block(blk, u):
    """``alpha · ⟨0_anc, i| U |0_anc, j⟩`` over the system register (little-endian)."""
    n = len(blk.system_qubits)
    idx = np.zeros(2**n, dtype=int)
    for k, q in enumerate(blk.system_qubits):
        idx |= ((np.arange(2**n) >> k) & 1) << q
    return blk.alpha * u[np.ix_(idx, idx)]


def _expected(f: RotaryKeys, x: np.ndarray) -> np.ndarray:
    """The factor's matrix column by column from its definition (rows ``s`` of each head)."""
    m, size = f.matrix, f.shape[1]
    out = np.zeros((size, size))
    for j in range(size):
        a = np.eye(size)[j]
        y = np.zeros((m.batch, m.block))
        for s in range(x.shape[0]):
            w = (f.inner.matrix @ (f.rotation(s).T @ a)).reshape(m.batch, m.block)
            y[:, s] = w[:, :x.shape[1]] @ x[s]
        out[:, j] = y.reshape(-1)
    return out


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
@pytest.mark.parametrize("seq,features,heads,head_dim", [(3, 4, 2, 2), (4, 2, 1, 2), (2, 4, 1, 4), (3, 6, 1, 6)])
def test_rotary_keys_block(seq, features, heads, head_dim, backend):
    rng = np.random.default_rng(seq * 100 + features * 10 + heads)
    block = 2 ** max(1, (max(seq, features) - 1).bit_length())
    x = rng.normal(size=(seq, features))
    x *= 1.5 / np.linalg.norm(x)
    keys = rng.normal(size=(heads * block, heads * block)) / block
    rot = Rotary(7.0, heads, head_dim)
    f = RotaryKeys(InputMatrix("x", seq, features, 2.0, False, heads, block), Dense(keys, "dilation"), rot)
    blk = rotary_keys_block_encoding((seq, features), 2.0, "x", block_encoding(keys), heads, head_dim,
                                     rot.frequencies())
    assert blk.alpha == pytest.approx(2.0 * f.inner.alpha, rel=1e-12)
    got = _block(blk, unitary(blk.circuit, backend, values=blk.bind(x)))
    want = np.zeros_like(got)
    e = _expected(f, x)
    want[:e.shape[0], :e.shape[1]] = e
    assert np.abs(got - want).max() < 1e-9


def test_rotation_on_the_paired_layout_is_the_embedding():
    """``R̃_s E = E R_s`` per head: the circuit's rotation of the padded paired layout is
    Hugging Face's rotary matrix of token ``s`` (pairs ``(i, i + head_dim/2)``)."""
    for head_dim, block in [(2, 2), (4, 8), (6, 8)]:
        rot = Rotary(10.0, 1, head_dim)
        f = RotaryKeys(InputMatrix("x", 3, block, 1.0, False, 1, block), Dense(np.eye(block), "dilation"), rot)
        e = paired_layout(head_dim, block)
        for s in range(4):
            assert np.allclose(f.rotation(s) @ e, e @ rot.matrix(s), atol=1e-14)
        assert np.allclose(e.T @ e, np.eye(head_dim))


def test_rotary_matrix_is_the_reference_rope():
    """Rotary.matrix(t) applied to each row is qcompile.reference's rope (HF convention)."""
    from qcompile.reference.kernels import rope

    rng = np.random.default_rng(3)
    v = rng.normal(size=(5, 6))
    rot = Rotary(10000.0, 1, 6)
    assert np.allclose(np.stack([rot.matrix(t) @ v[t] for t in range(5)]), rope(v), atol=1e-14)
