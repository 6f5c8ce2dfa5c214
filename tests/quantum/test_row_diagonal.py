"""Row loaders and row-wise (max-norm) diagonal block encodings: blocks on Qiskit and Cirq."""

import numpy as np
import pytest

from qcompile.backends.cirq import unitary_cirq
from qcompile.backends.qiskit import unitary
from qcompile.errors import BindError
from qcompile.quantum import state_preparation
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.block_encoding import block_encoding
from qcompile.quantum.row_diagonal import row_diagonal, row_loader


def _bound(block, values):
    return QuantumBlock(block.circuit.bind(values), block.alpha, block.system_qubits, block.ancilla_qubits,
                        block.kind, block.shape, block.info)


def both_blocks(block):
    return block.block(unitary(block.circuit)), block.block(unitary=unitary_cirq(block.circuit))


def _rows(rng, rows, cols, bound, scale_first=True):
    x = rng.normal(size=(rows, cols))
    x *= bound * rng.uniform(0.0, 1.0, size=(rows, 1)) / np.linalg.norm(x, axis=1, keepdims=True)
    if scale_first:
        x[0] *= bound / np.linalg.norm(x[0])      # a row at the bound
    return x


@pytest.mark.parametrize("rows,cols,n_r,n_c", [(3, 2, 2, 1), (4, 3, 2, 2), (2, 4, 1, 2), (1, 3, 0, 2), (3, 1, 2, 1)])
def test_row_loader_loads_every_row(rows, cols, n_r, n_c):
    rng = np.random.default_rng(rows * 10 + cols)
    ld = row_loader((rows, cols), 1.5, "x", n_r, n_c)
    x = _rows(rng, rows, cols, 1.5)
    x[-1] = 0.0 if rows > 1 else x[-1]             # a zero row loads nothing
    for got in both_blocks(_bound(ld, ld.bind(x))):
        for i in range(2**n_r):
            col = got[:, i * 2**n_c]                # input |i⟩|0⟩_J
            want = np.zeros(2 ** (n_r + n_c))
            if i < rows:
                want[i * 2**n_c: i * 2**n_c + cols] = x[i]
            assert np.max(np.abs(col - want)) <= 1e-9


def test_row_loader_rejects_a_row_above_its_bound():
    ld = row_loader((2, 2), 1.0, "x", 1, 1)
    with pytest.raises(BindError):
        ld.bind(np.array([[0.6, 0.6], [0.9, 0.5]]))   # second row: norm 1.03
    ld.bind(np.array([[0.6, 0.8], [0.0, 0.0]]))       # a row exactly at the bound is fine


@pytest.mark.parametrize("heads,seq,feat", [(1, 3, 2), (1, 4, 4), (2, 2, 2), (2, 3, 4)])
def test_plain_row_diagonal_is_the_scores(heads, seq, feat):
    """diag(v)/(R·α_u) with v_(β,s) = ⟨x_s, u_β⟩; |v| ≤ R α_u even with rows at the bound."""
    rng = np.random.default_rng(heads * 100 + seq * 10 + feat)
    n_b = (heads - 1).bit_length()
    n = max(1, (max(seq, feat) - 1).bit_length()) if heads > 1 else None
    n_s = n if heads > 1 else max(1, (seq - 1).bit_length())
    n_c = n if heads > 1 else max(1, (feat - 1).bit_length())
    width = 2**n_c
    u = np.zeros(2**n_b * width)
    for b in range(heads):
        u[b * width: b * width + feat] = rng.normal(size=feat)
    st = state_preparation(u)
    ld = row_loader((seq, feat), 2.0, "k", n_s, n_c)
    d = row_diagonal(ld, (n_s, n_b), state=st)
    for trial in range(3):
        x = _rows(rng, seq, feat, 2.0)
        blk = _bound(d, ld.bind(x))
        v = np.zeros(2 ** (n_s + n_b))
        for b in range(heads):
            for s in range(seq):
                v[b * 2**n_s + s] = x[s] @ u[b * width: b * width + feat]
        assert d.alpha == pytest.approx(2.0 * np.linalg.norm(u))
        assert np.max(np.abs(v)) <= d.alpha
        for got in both_blocks(blk):
            assert np.max(np.abs(got - np.diag(v))) <= 1e-9


def test_grouped_row_diagonal_is_the_per_head_scores():
    """QK-norm layout: 2 heads of 2 features, keys seq x 4 with each head's block of norm
    ≤ 1, queries 2 x 2 with each head's block ≤ 1, P block diagonal mapping head β into
    group β of head β's key block; alpha = R_k·α_P·R_q bounds every score."""
    rng = np.random.default_rng(5)
    heads, dh, seq = 2, 2, 3
    block = 4                                         # keys' padded block (seq 3, features 4)
    p = np.zeros((heads * block, heads * dh))
    for b in range(heads):
        p[b * block + b * dh: b * block + (b + 1) * dh, b * dh:(b + 1) * dh] = rng.normal(size=(dh, dh))
    pe = block_encoding(p)
    n_s, n_b = 2, 1
    keys = row_loader((seq, heads * dh), 1.0, "k", n_s + n_b, 1, groups=heads, head_qubits=n_b)
    queries = row_loader((heads * dh,), 1.0, "q", n_b, 1, groups=heads, head_qubits=n_b)
    d = row_diagonal(keys, (n_s, n_b), queries=queries, chain=[pe], dims=(1, 2))
    assert d.alpha == pytest.approx(pe.alpha)
    for trial in range(3):
        k = rng.normal(size=(seq, heads, dh))
        k /= np.linalg.norm(k, axis=2, keepdims=True)     # every group at the bound (eps = 0)
        q = rng.normal(size=(heads, dh))
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        values = {**keys.bind(k.reshape(seq, -1)), **queries.bind(q.reshape(-1))}
        u = p @ q.reshape(-1)
        v = np.zeros(2 ** (n_s + n_b))
        for b in range(heads):
            for s in range(seq):
                v[b * 2**n_s + s] = np.concatenate([k[s].reshape(-1), [0.0] * (block - heads * dh)]) \
                    @ u[b * block:(b + 1) * block]
        assert np.max(np.abs(v)) <= d.alpha
        for got in both_blocks(_bound(d, values)):
            assert np.max(np.abs(got - np.diag(v))) <= 1e-9


@pytest.mark.parametrize("seq,head_dim", [(3, 4), (4, 2)])
def test_rotary_row_diagonal_is_the_rope_scores(seq, head_dim):
    """RoPE keys: v_(β,s) = ⟨x_s, (M R̃_sᵀ u)_β⟩ with R̃_s turning the pair (i, i + 2^(m−1))
    of each head's low m qubits by s·ω_i; alpha = R·α_M·‖u‖ bounds every score."""
    from qcompile.qir.nodes import rotary_frequencies

    rng = np.random.default_rng(seq * 10 + head_dim)
    heads, block, feat = 2, 4, 4
    n_s = n_c = 2
    n_b = 1
    m = max(1, (head_dim - 1).bit_length())
    omega = rotary_frequencies(10.0, head_dim)
    u = rng.normal(size=heads * block)
    mm = rng.normal(size=(heads * block, heads * block))
    me = block_encoding(mm)
    ld = row_loader((seq, feat), 2.0, "k", n_s, n_c)
    d = row_diagonal(ld, (n_s, n_b), state=state_preparation(u), rotary=(me, omega, head_dim, n_s))

    def rotation(s):                     # R̃_s on one head's block of 4 (pairs on the low m qubits)
        size, top = 2**m, 2 ** (m - 1)
        r = np.eye(size)
        for i in range(head_dim // 2):
            c, sn = np.cos(s * omega[i]), np.sin(s * omega[i])
            r[i, i], r[i, i + top], r[i + top, i], r[i + top, i + top] = c, -sn, sn, c
        return np.kron(np.eye(heads * block // size), r)

    assert d.alpha == pytest.approx(2.0 * me.alpha * np.linalg.norm(u))
    for trial in range(2):
        x = _rows(rng, seq, feat, 2.0)
        v = np.zeros(2 ** (n_s + n_b))
        for s in range(seq):
            y = mm @ rotation(s).T @ u
            for b in range(heads):
                v[b * 2**n_s + s] = x[s] @ y[b * block: b * block + feat]
        assert np.max(np.abs(v)) <= d.alpha
        for got in both_blocks(_bound(d, ld.bind(x))):
            assert np.max(np.abs(got - np.diag(v))) <= 1e-9
