"""Tensor IR: golden printed IR, determinism, verification after each pass, weights."""

import dataclasses

import numpy as np
import pytest

import qcompile
from qcompile.errors import IRVerifyError
from qcompile.ir import ops
from qcompile.ir.builder import build
from qcompile.grammar.parser import parse
from qcompile.model import default_pipeline
from qcompile.passes.manager import PassManager

from frontend_support import EXAMPLES, GOLDEN, LARGE_EXAMPLES, SMALL_EXAMPLES, update_golden


def _compare_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if update_golden():
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"missing golden file {path}; see tests/frontend/frontend_support.py"
    assert text == path.read_text(encoding="utf-8"), f"printed IR differs from {path}"


@pytest.mark.parametrize("example", SMALL_EXAMPLES)
def test_golden_ir(example):
    model = qcompile.load(EXAMPLES / f"{example}.qtf")
    _compare_golden(f"{example}.ir", model.ir.to_text())


def test_golden_source_ir_with_layer_bodies():
    model = qcompile.load(EXAMPLES / "encoder_stack.qtf")
    _compare_golden("encoder_stack.source.ir", model.source_ir.to_text())


@pytest.mark.parametrize("example", SMALL_EXAMPLES + LARGE_EXAMPLES)
def test_printing_is_deterministic(example):
    a = qcompile.load(EXAMPLES / f"{example}.qtf").ir.to_text()
    b = qcompile.load(EXAMPLES / f"{example}.qtf").ir.to_text()
    assert a == b


@pytest.mark.parametrize("example", SMALL_EXAMPLES + LARGE_EXAMPLES)
def test_ir_verified_after_each_pass(example):
    path = EXAMPLES / f"{example}.qtf"
    built = build(parse(path.read_text(), str(path)))
    manager = PassManager(default_pipeline(), verify=True)
    ir = manager.run(built.graph)
    assert [r.name for r in manager.records] == ["shape-inference", "desugar", "verify-ir"]
    assert manager.properties["ir_verified"] is True
    assert all(not op.sugar for _, op in ir.nodes())


def test_ids_are_topological_and_output_is_select_token():
    ir = qcompile.load(EXAMPLES / "encoder_block.qtf").ir
    for node, op in ir.nodes():
        assert all(i < node for i in op.inputs)
    assert ir.op(ir.output).opname == "select_token"
    assert ir.users(0) == sorted(ir.users(0))


def test_verifier_catches_a_wrong_type():
    ir = qcompile.load(EXAMPLES / "mlp.qtf").ir
    bad = type(ir)(ir.name)
    bad.desugared = True
    for node, op in ir.nodes():
        if op.printed_name == "gelu":
            op = dataclasses.replace(op, type=ops.tensor_type(("t", 4), ("d", 3)))
        bad.add(op)
    bad.set_output(ir.output)
    with pytest.raises(IRVerifyError, match="gelu"):
        bad.verify()


def test_verifier_rejects_sugar_after_desugar():
    model = qcompile.load(EXAMPLES / "attention.qtf")
    src = model.source_ir
    src.desugared = True
    try:
        with pytest.raises(IRVerifyError, match="sugar"):
            src.verify()
    finally:
        src.desugared = False


def test_encoder_weights_use_pytorch_state_dict_names():
    from qcompile.weights import encoder_layer_weight_shapes

    model = qcompile.load(EXAMPLES / "encoder_block.qtf")
    assert model.weight_shapes() == dict(sorted(encoder_layer_weight_shapes(4, 8).items()))
    assert set(model.weights) == set(encoder_layer_weight_shapes(4, 8))


def test_repeat_prefixes_layers_n():
    from qcompile.weights import encoder_layer_weight_shapes

    model = qcompile.load(EXAMPLES / "encoder_stack.qtf")
    want = {**encoder_layer_weight_shapes(4, 8, "layers.0."),
            **encoder_layer_weight_shapes(4, 8, "layers.1.")}
    assert model.weight_shapes() == dict(sorted(want.items()))
    origins = {op.origin for _, op in model.ir.nodes()}
    assert "block[layers.1]/attention" in origins


def test_qkv_are_row_slices_of_in_proj():
    ir = qcompile.load(EXAMPLES / "attention.qtf").ir
    lins = [op for _, op in ir.nodes() if op.opname == "linear"]
    sl = [(op.weight, op.row_start, op.out_features, op.rows) for op in lins[:3]]
    assert sl == [("self_attn.in_proj_weight", 4 * i, 4, 12) for i in range(3)]
    assert all(op.origin == "attention" for op in lins)


def test_stats_count_ops_and_parameters():
    stats = qcompile.load(EXAMPLES / "mlp.qtf").ir.stats()
    assert stats["ops"] == {"gelu": 1, "input": 1, "linear": 2, "select_token": 1}
    assert stats["nodes"] == 5
    assert stats["parameters"] == 8 * 4 + 8 + 4 * 8 + 4


def test_random_weights_deterministic_and_match_weights_module():
    from qcompile.weights import random_weights

    a = qcompile.load(EXAMPLES / "encoder_block.qtf")
    b = qcompile.load(EXAMPLES / "encoder_block.qtf")
    direct = random_weights(a.weight_shapes(), 7)
    for name in a.weights:
        assert np.array_equal(a.weights[name], b.weights[name])
        assert np.array_equal(a.weights[name], direct[name])


def test_gpt2_small_builds_without_materialising_weights():
    model = qcompile.load(EXAMPLES / "gpt2_small.qtf")
    stats = model.ir.stats()
    assert stats["ops"]["softmax"] == 12 and stats["ops"]["causal_mask"] == 12
    assert stats["parameters"] > 100_000_000
    assert len(model.weights) == stats["weights"]
    assert model.weights._cache == {}  # nothing generated yet
    assert model.weights["layers.11.ln_2.weight"].shape == (768,)


def test_text_input_and_embed():
    model = qcompile.load(EXAMPLES / "protein_tiny.qtf")
    (spec,) = model.inputs
    assert (spec.kind, spec.shape, spec.alphabet) == ("text", (4,), "ACDEFGHIKLMNPQRSTVWY")
    assert model.weight_shapes()["embed.weight"] == (20, 4)


def test_weights_file_round_trip_relative_to_qtf(tmp_path):
    from qcompile.weights import save_npz

    model = qcompile.load(EXAMPLES / "encoder_stack.qtf")
    (tmp_path / "sub").mkdir()
    save_npz(tmp_path / "sub" / "stack.npz", model.weights)
    text = (EXAMPLES / "encoder_stack.qtf").read_text()
    (tmp_path / "sub" / "encoder_stack.qtf").write_text(
        text.replace("weights random(seed = 10)", 'weights "stack.npz"'))
    again = qcompile.load(tmp_path / "sub" / "encoder_stack.qtf")
    assert set(again.weights) == set(model.weights)
    for name in model.weights:
        assert np.array_equal(again.weights[name], model.weights[name])
    assert again.ir.to_text() == model.ir.to_text()


def test_load_text_with_filename_uses_basename():
    text = (EXAMPLES / "mlp.qtf").read_text()
    ir = qcompile.load(text, filename="/elsewhere/mlp.qtf").ir
    assert ir.to_text() == qcompile.load(EXAMPLES / "mlp.qtf").ir.to_text()


def test_op_records_are_frozen_value_equal_and_hashable():
    ir = qcompile.load(EXAMPLES / "attention.qtf").ir
    again = qcompile.load(EXAMPLES / "attention.qtf").ir
    assert [op for _, op in ir.nodes()] == [op for _, op in again.nodes()]
    assert len({op for _, op in ir.nodes()}) == len(ir)  # hashable; operands differ
    with pytest.raises(dataclasses.FrozenInstanceError):
        ir.op(0).origin = "x"
    assert ir.input_nodes() == [0]
