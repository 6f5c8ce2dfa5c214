"""Passes declare the IR level they take and give; a pipeline at the wrong level is refused
before anything runs, with a sentence naming the pass and both levels."""

import pytest

import qcompile
from example_registry import path
from qcompile.errors import PassError
from qcompile.passes.manager import LEVELS, PassManager, available_passes, check_levels, get_pass
from qcompile.passes.pipelines import compile_pipeline


@pytest.mark.parametrize("name", [n for n, _, _ in available_passes()])
def test_every_pass_declares_its_level(name):
    p = get_pass(name)
    assert p.takes in LEVELS and p.output_level in LEVELS


@pytest.mark.parametrize("level", [0, 1, 2])
def test_the_compile_pipeline_is_level_consistent(level):
    check_levels(compile_pipeline(3, 1e-3, optimization=level), "tensor")


def test_a_quantum_pass_among_circuit_passes_is_refused():
    with pytest.raises(PassError, match="pass 'fold-constants' works on the quantum IR, but after "
                                        "'cancel-inverses' the IR is circuits"):
        qcompile.compile(path("linear"), passes="cancel-inverses,fold-constants")


def test_the_cli_says_so_in_one_sentence(capsys):
    from qcompile.cli import main

    code = main([path("linear"), "-o", "/tmp/never-written.qasm", "--passes", "fold-constants"])
    err = capsys.readouterr().err
    assert code == 2 and "works on the quantum IR" in err and "Traceback" not in err


def test_a_circuit_pass_on_a_model_is_refused_before_running():
    model = qcompile.load(path("linear"))
    with pytest.raises(PassError, match="works on circuits, but as the pipeline's input the IR is the tensor IR"):
        PassManager([get_pass("cancel-inverses")]).run(model)
