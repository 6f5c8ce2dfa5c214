"""Row bounds of loaded matrices: one row's loader declares ``‖x_j‖ ≤ row bound``.

The lowering gives every matrix input a bound on each row's norm (prepared inputs: the
embedding table's largest row, the first ``seq`` rows of learned positions, ``√⌈d/2⌉``
for sinusoidal ones; layer-normed rows: ``√groups``).  A single row's loader uses it as
its subnormalisation, so it must hold for every admissible input; these tests try the
worst ones.
"""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from qcompile.lowering.inputs import prepare_matrices, random_input
from qcompile.lowering.symbolic import lower
from qcompile.reference import kernels

ROOT = Path(__file__).resolve().parents[2]


def _row_norms(m):
    return np.linalg.norm(np.asarray(m, dtype=float), axis=-1)


@pytest.mark.parametrize("d", range(1, 10))
def test_posenc_rows_within_their_bound(d):
    """Every sinusoidal row has ⌊d/2⌋ unit (sin, cos) pairs and, for odd d, one more entry."""
    rows = _row_norms(kernels.posenc(64, d))
    assert rows.max() <= np.sqrt((d + 1) // 2) * (1 + 1e-12)
    if d % 2 == 0:
        assert np.allclose(rows, np.sqrt(d // 2))   # tight


def _worst_text(model, seq):
    """The text repeating the letter whose embedding row is longest (every row at the bound)."""
    spec = model.inputs[0]
    op = next(op for _, op in model.ir.nodes() if op.opname == "embed")
    table = np.asarray(model.weights[op.weight], dtype=float)
    letter = spec.alphabet[int(np.argmax(_row_norms(table[:len(spec.alphabet)])))]
    return letter * seq


@pytest.mark.parametrize("name", ["protein_tiny", "sequon", "gpt2_tiny"])
def test_prepared_rows_within_the_row_bound(name):
    """Embedding plus positions: random and worst-case inputs keep every row within the row
    bound, which is below the Frobenius bound the row loader used before."""
    path = ROOT / "examples" / f"{name}.qtf"
    model = qcompile.load(path, dims={"layers": 1}) if name == "gpt2_tiny" else qcompile.load(path)
    low = lower(model, model.output.token)
    prepared = [mi for mi in low.matrix_inputs.values() if mi.node is not None]
    assert prepared and all(mi.row_alpha < mi.bound for mi in prepared)
    spec = model.inputs[0]
    rng = np.random.default_rng(3)
    inputs = [random_input(model, rng) for _ in range(6)]
    if spec.kind == "text":
        inputs.append(_worst_text(model, spec.shape[0]))
    else:   # token ids: the longest embedding row everywhere
        op = next(op for _, op in model.ir.nodes() if op.opname == "embed")
        inputs.append(np.full(spec.shape, int(np.argmax(_row_norms(model.weights[op.weight])))))
    for x in inputs:
        mats = prepare_matrices(model, low, x)   # raises BindError above either bound
        for mi in prepared:
            assert _row_norms(mats[mi.name]).max() <= mi.row_alpha * (1 + 1e-12)


@pytest.mark.parametrize("path", ["examples/encoder_prenorm.qtf", "tests/lowering/shapes/qk_norm.qtf",
                                  "tests/lowering/shapes/qk_gqa.qtf"])
def test_layer_normed_rows_within_the_row_bound(path):
    """Rows normalised by the glue (layer norm of every token, per head with QK-norm): each
    group is c/√(‖c‖² + d·eps), so a row's norm is below √groups for any read-out, including
    rows far above and far below the eps scale, a zero group and eps = 0."""
    from dataclasses import replace

    model = qcompile.load(ROOT / path)
    low = lower(model, model.output.token)
    produced = [mi for mi in low.matrix_inputs.values() if mi.stage is not None]
    assert produced
    rng = np.random.default_rng(4)
    for mi in produced:
        st = low.stages[mi.stage]
        glue = st.glue
        assert mi.row_alpha == pytest.approx(np.sqrt(glue.groups)) and mi.row_alpha < mi.bound
        for scale in (1e-9, 1e-3, 1.0, 1e6):
            out = rng.normal(size=st.dim) * scale
            rows = out.reshape(glue.rows, -1)
            rows[0, :] = 0.0
            rows[0, :max(1, (glue.width or rows.shape[1]) // glue.groups)] = scale   # one group only
            for g in (glue, replace(glue, eps=0.0)):
                if g.eps == 0 and scale == 1e-9:
                    continue
                value = g.apply(rows.reshape(-1) if g.eps else out + 1e-3)
                assert _row_norms(value.reshape(glue.rows, -1)).max() <= mi.row_alpha * (1 + 1e-12)
