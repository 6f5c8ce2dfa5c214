"""The trained sequon classifier (examples/sequon.qtf, examples/train_sequon.py): its data
follow the biological rule, its PyTorch model is the .qtf model (reference to ≤ 1e-6), and
the compiled program classifies held-out peptides from shots as the PyTorch model does."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from example_registry import EXAMPLES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
import train_sequon as T  # noqa: E402

SHOTS = 400


@pytest.fixture(scope="module")
def data():
    return T.sequon_dataset()


@pytest.fixture(scope="module")
def torch_model():
    return T.load_model()


@pytest.fixture(scope="module")
def model():
    return T.qcompile_model()


@pytest.fixture(scope="module")
def program(model):
    import qcompile

    return qcompile.compile(model, tolerance=EXAMPLES["sequon"].tolerance)


def test_labels_are_the_sequon_rule_and_the_splits_share_no_peptide(data):
    assert T.has_sequon("ANKTA") and T.has_sequon("NNSS") and T.has_sequon("QNAT")
    assert not T.has_sequon("NPSA") and not T.has_sequon("NANS") and not T.has_sequon("SANK")
    seen = set()
    for split in ("train", "val", "test"):
        peptides = [p for p, _ in data[split]]
        assert all(len(p) == T.SEQ and set(p) <= set(T.ALPHABET) for p in peptides)
        assert all(y == T.has_sequon(p) for p, y in data[split])
        assert not seen & set(peptides) and len(set(peptides)) == len(peptides)
        seen |= set(peptides)
    labels = [y for _, y in data["train"]]
    assert 0.4 < np.mean(labels) < 0.6


def test_pytorch_state_dict_names_are_the_qtf_weight_names(model, torch_model):
    shapes = {k: tuple(v.shape) for k, v in torch_model.state_dict().items()}
    assert shapes == {k: v.shape for k, v in model.weights.items()}


def test_reference_equals_pytorch_on_every_held_out_peptide(data, model, torch_model):
    import qcompile

    peptides = [p for p, _ in data["test"]]
    with torch.no_grad():
        expected = torch_model(torch.as_tensor(T.token_ids(peptides))).numpy()    # every token
    got = np.stack([qcompile.reference(model, p) for p in peptides])
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-6


def test_trained_weights_classify_the_held_out_set(data, torch_model):
    assert T.accuracy(torch_model, data["test"]) >= 0.95


def test_training_is_deterministic(data):
    a, b = (T.train(data["train"][:200], steps=5).state_dict() for _ in range(2))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_shots_classify_held_out_peptides_as_pytorch_does(data, program, torch_model):
    # one held-out peptide of each class; decided as the classical model does except with
    # probability exp(-2·kept·margin²) (Hoeffding).  The head is one sigmoid stage (a two-way
    # softmax) of subnormalisation α with ‖p‖² ≥ 1/2, so a shot is kept with probability
    # ≥ 1/(2α²), and kept ≥ (1/(2α²) − δ)·SHOTS except with probability exp(−2·SHOTS·δ²) = 1e-6
    alpha = program.stages[-1].alpha
    delta = np.sqrt(np.log(1e6) / (2 * SHOTS))
    kept_min = (1 / (2 * alpha**2) - delta) * SHOTS
    picks = [next(p for p, y in data["test"] if y == label) for label in (1, 0)]
    classical = T.predict(torch_model, picks)
    for i, (peptide, p) in enumerate(zip(picks, classical)):
        q = p ** 2 / np.sum(p ** 2)
        assert kept_min > 0 and np.exp(-2 * kept_min * (q[1] - 0.5) ** 2) < 1e-6
        run = program.run(peptide, shots=SHOTS, seed=i)
        assert run.kept_shots >= kept_min
        assert np.argmax(run.probabilities) == np.argmax(p)
        assert np.linalg.norm(run.output - p) <= run.error_bound + 1e-9
