"""Weights: expected shapes, .npz round trip, every load error, random-weight determinism."""

import hashlib
import pickle

import numpy as np
import pytest

from qcompile.errors import SourceLocation, WeightError
from qcompile.weights import (
    encoder_layer_weight_shapes, load_npz, random_weights, save_npz, torch_state_dict_to_numpy,
)

LOC = SourceLocation(file="enc.qtf", line=3, column=3, source_line='  weights "enc.npz"')
SHAPES = encoder_layer_weight_shapes(4, 8)


def _weights(seed=1, prefix=""):
    return random_weights(encoder_layer_weight_shapes(4, 8, prefix=prefix), seed)


def _save_raw(path, **arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _error(path, expected=SHAPES):
    with pytest.raises(WeightError) as info:
        load_npz(path, expected, location=LOC)
    err = info.value
    assert err.location == LOC
    assert "\n" not in err.message
    assert "^" in str(err) and "enc.qtf:3:3" in str(err)
    return err.message


def test_encoder_layer_shapes_match_torch():
    torch = pytest.importorskip("torch")
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                             batch_first=True)
    want = {k: tuple(v.shape) for k, v in layer.state_dict().items()}
    assert encoder_layer_weight_shapes(4, 8) == want


def test_encoder_layer_shapes_prefix():
    shapes = encoder_layer_weight_shapes(4, 8, prefix="layers.1.")
    assert shapes["layers.1.linear1.weight"] == (8, 4)
    assert all(k.startswith("layers.1.") for k in shapes)


def test_round_trip(tmp_path):
    w = _weights()
    path = tmp_path / "w.npz"
    save_npz(path, w)
    assert path.exists()  # saved exactly at the path given
    back = load_npz(path, SHAPES)
    assert back.keys() == w.keys()
    for k in w:
        assert back[k].dtype == np.float64
        assert np.array_equal(back[k], w[k])


def test_torch_state_dict_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                             batch_first=True)
    path = tmp_path / "enc.npz"
    # the README's export snippet, verbatim
    np.savez(path, **{k: v.detach().numpy() for k, v in layer.state_dict().items()})
    loaded = load_npz(path, SHAPES)
    sd = torch_state_dict_to_numpy(layer.state_dict())
    for k, v in sd.items():
        assert np.array_equal(loaded[k], v)
        assert np.array_equal(v, layer.state_dict()[k].double().numpy())


def test_common_prefix_is_stripped(tmp_path):
    path = tmp_path / "w.npz"
    save_npz(path, _weights(prefix="encoder.layers.0."))
    back = load_npz(path, SHAPES)
    assert np.array_equal(back["norm2.bias"], _weights(prefix="encoder.layers.0.")[
        "encoder.layers.0.norm2.bias"])


def test_stack_prefix_is_kept_and_outer_prefix_stripped(tmp_path):
    expected = {**encoder_layer_weight_shapes(4, 8, "layers.0."),
                **encoder_layer_weight_shapes(4, 8, "layers.1.")}
    stored = random_weights({"encoder." + k: v for k, v in expected.items()}, seed=2)
    path = tmp_path / "w.npz"
    save_npz(path, stored)
    back = load_npz(path, expected)
    assert set(back) == set(expected)
    assert np.array_equal(back["layers.1.linear2.weight"], stored["encoder.layers.1.linear2.weight"])


def test_bookkeeping_buffers_are_ignored(tmp_path):
    path = tmp_path / "w.npz"
    _save_raw(path, **_weights(), **{"norm1.num_batches_tracked": np.array(3)})
    assert set(load_npz(path, SHAPES)) == set(SHAPES)


def test_missing_file(tmp_path):
    assert "does not exist" in _error(tmp_path / "nope.npz")


def test_directory_is_refused(tmp_path):
    assert "directory" in _error(tmp_path)


def test_unreadable_file(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"this is not a zip archive at all")
    assert "not a readable .npz" in _error(path)


def test_truncated_archive(tmp_path):
    path = tmp_path / "w.npz"
    save_npz(path, _weights())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "not a readable .npz" in _error(path)


def test_single_npy_array_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.zeros(3))
    assert "single array" in _error(path)


def test_pickle_file_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(pickle.dumps({"linear1.weight": [1.0, 2.0]}))
    assert "pickled data" in _error(path)


def test_object_array_in_npz_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    w = dict(_weights())
    w["linear1.bias"] = np.array([{"evil": 1}] * 8, dtype=object)
    _save_raw(path, **w)  # np.savez pickles object arrays inside the archive
    msg = _error(path)
    assert "object array" in msg and "linear1.bias" in msg


def test_missing_weight(tmp_path):
    path = tmp_path / "w.npz"
    w = dict(_weights())
    del w["norm2.bias"]
    save_npz(path, w)
    assert _error(path) == f"weight file '{path}' is missing the weight 'norm2.bias'"


def test_unexpected_weight_with_suggestion(tmp_path):
    path = tmp_path / "w.npz"
    w = dict(_weights())
    w["linear1.weigth"] = w.pop("linear1.weight")
    save_npz(path, w)
    msg = _error(path)
    assert "unexpected weight 'linear1.weigth'" in msg
    assert "did you mean 'linear1.weight'?" in msg


def test_extra_weight_is_an_error(tmp_path):
    path = tmp_path / "w.npz"
    save_npz(path, {**_weights(), "classifier.weight": np.zeros((2, 4))})
    assert "unexpected weight 'classifier.weight'" in _error(path)


def test_wrong_shape_names_both_shapes(tmp_path):
    path = tmp_path / "w.npz"
    w = dict(_weights())
    w["linear1.weight"] = np.zeros((4, 8))
    save_npz(path, w)
    assert _error(path) == (f"weight 'linear1.weight' in '{path}' has shape [4, 8], "
                            "but the model expects [8, 4]")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(tmp_path, bad):
    path = tmp_path / "w.npz"
    w = dict(_weights())
    w["norm1.weight"] = w["norm1.weight"].copy()
    w["norm1.weight"][2] = bad
    save_npz(path, w)
    assert "non-finite" in _error(path)


def test_non_numeric_dtype(tmp_path):
    path = tmp_path / "w.npz"
    w = dict(_weights())
    w["norm1.bias"] = np.array(["a", "b", "c", "d"])
    _save_raw(path, **w)
    assert "dtype" in _error(path)


def test_error_without_location(tmp_path):
    with pytest.raises(WeightError) as info:
        load_npz(tmp_path / "nope.npz", SHAPES)
    assert info.value.location is None
    assert str(info.value).startswith("error: ")


def test_random_weights_shapes_and_scales():
    shapes = encoder_layer_weight_shapes(16, 32)
    w = random_weights(shapes, seed=3)
    assert {k: v.shape for k, v in w.items()} == shapes
    assert np.max(np.abs(w["linear1.weight"])) <= 1 / np.sqrt(16)
    assert np.max(np.abs(w["linear2.weight"])) <= 1 / np.sqrt(32)
    assert np.max(np.abs(w["linear2.bias"])) <= 1 / np.sqrt(32)
    assert np.max(np.abs(w["linear2.bias"])) > 0  # biases are exercised
    assert np.all(np.abs(w["norm1.weight"] - 1) <= 0.1) and not np.all(w["norm1.weight"] == 1)
    assert np.all(np.abs(w["norm1.bias"]) <= 0.1) and not np.all(w["norm1.bias"] == 0)
    # roughly uniform: the spread fills most of the interval
    assert np.max(np.abs(w["self_attn.in_proj_weight"])) > 0.8 / np.sqrt(16)


def test_random_weights_are_deterministic_and_seed_dependent():
    a, b, c = _weights(seed=7), _weights(seed=7), _weights(seed=8)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert all(not np.array_equal(a[k], c[k]) for k in a)


def test_adding_a_weight_leaves_the_others_unchanged():
    base = random_weights({"a.weight": (3, 2), "a.bias": (3,)}, seed=4)
    more = random_weights({"z.weight": (5, 5), "a.weight": (3, 2), "a.bias": (3,)}, seed=4)
    assert np.array_equal(base["a.weight"], more["a.weight"])
    assert np.array_equal(base["a.bias"], more["a.bias"])


def test_random_weights_checksum_is_stable_across_machines():
    # Cross-machine and cross-NumPy-version determinism is the property under test, so a
    # checksum stored once (computed when the generator was written) is the right oracle:
    # any change of the generator, the seeding or the scales changes it.
    w = random_weights(encoder_layer_weight_shapes(4, 8, prefix="layers.0."), seed=7)
    h = hashlib.sha256()
    for k in sorted(w):
        h.update(k.encode())
        h.update(np.ascontiguousarray(w[k], dtype="<f8").tobytes())
    assert h.hexdigest() == "3d71d8c4337fa704e5750e079d6d930cf322a5f886b8be8af10ef7775239167a"


def test_random_weights_rejects_non_integer_seed():
    with pytest.raises(WeightError):
        random_weights(SHAPES, seed=1.5)


def test_save_npz_rejects_bad_names(tmp_path):
    with pytest.raises(WeightError):
        save_npz(tmp_path / "w.npz", {"": np.zeros(2)})


def test_pickled_npy_file_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    assert "pickled data" in _error(path)


def test_uniform_stream_is_the_raw_pcg64_stream():
    # random_weights relies on Generator.random == (raw >> 11) * 2**-53 of PCG64's raw
    # output, which NumPy's bit-generator stability policy fixes; check the identity.
    from qcompile.weights import _name_seed, _uniform

    got = _uniform(7, "linear1.weight", (8, 4))
    raw = np.random.PCG64(_name_seed(7, "linear1.weight")).random_raw(32).astype(np.uint64)
    want = (raw >> np.uint64(11)).astype(np.float64).reshape(8, 4) * 2.0 ** -53
    assert np.array_equal(got, want)


def test_each_weight_depends_only_on_itself_and_its_sibling():
    shapes = encoder_layer_weight_shapes(4, 8)
    full = random_weights(shapes, seed=9)
    for name, shape in shapes.items():
        sub = {name: shape}
        sibling = name[: -len("bias")] + "weight" if name.endswith("bias") else None
        if sibling in shapes:
            sub[sibling] = shapes[sibling]
        assert np.array_equal(random_weights(sub, seed=9)[name], full[name])
