"""The ``amplify`` pass: amplified stages verify exactly as before on both simulators, reach
their target, and say what they cost; misuse is refused with a sentence."""

import math

import numpy as np
import pytest

import qcompile
from example_registry import path
from qcompile.errors import PassError
from qcompile.success import success_report

BASE = "cancel-inverses,merge-rotations"


def compiled(name: str, amplify: str, tolerance: float = 1e-3):
    return qcompile.compile(path(name), tolerance=tolerance, passes=f"{BASE},{amplify}")


@pytest.mark.parametrize("name,amplify,stages", [
    ("linear", "amplify{p_min=0.05}", [0]),
    ("attention_head", "amplify{stages=1,p_min=0.02}", [1]),
])
def test_amplified_program_verifies_on_both_simulators(name, amplify, stages):
    prog = compiled(name, amplify)
    plain = qcompile.compile(path(name), passes=BASE)
    report = qcompile.verify(prog, inputs=2, backends=("qiskit", "cirq"))
    assert report.ok, report.to_json()
    for k, sc in enumerate(prog.stages):
        amp = sc.info.get("amplification")
        assert (amp is not None) == (k in stages)
        if amp:
            # the cost is counted: calls, CX and depth before and after
            assert sum(amp["calls"].values()) > 1
            assert amp["cx_after"] == sc.stats()["cx"] > amp["cx_before"] == plain.stages[k].stats()["cx"]
    for row in report.rows:
        assert row.success_ok
        for k in stages:
            # every verify input had p ≥ the design bound here, so the target holds
            assert row.stage_success[k] >= 0.5


def test_readout_equals_the_unamplified_program():
    prog = compiled("attention_head", "amplify{stages=1,p_min=0.02}")
    plain = qcompile.compile(path("attention_head"), passes=BASE)
    x = qcompile.program.random_input(prog.model, np.random.default_rng(3))
    a, b = prog.run(x), plain.run(x, backend="cirq")
    assert np.max(np.abs(a.output - b.output)) <= 1e-10
    for sa, sb in zip(a.stages, b.stages):
        assert abs(sa.success_probability - sb.success_probability) <= 1e-12
    rows = success_report(prog, a)
    response = prog.stages[1].info["amplification"]["response"]
    assert math.isclose(rows[1].p_run, float(response.success(b.stages[1].success_probability)), rel_tol=1e-9)
    assert rows[1].p_run > rows[1].p and rows[1].repetitions < 1 / rows[1].p


def test_a_stage_already_above_target_is_left_alone():
    prog = compiled("linear", "amplify{p_min=0.6}")
    assert "amplification" not in prog.stages[0].info


def test_description_and_qasm_say_how_to_undo_it():
    prog = compiled("linear", "amplify{p_min=0.05,target=0.7}")
    entry = prog.describe()["stages"][0]["amplification"]
    assert entry["method"] == "fixed-point" and entry["target"] == 0.7 and entry["assumed"] is True
    assert "response" not in entry
    text = prog.qasm(3)
    assert "amplified (fixed-point" in text and "g^-1" in text
    figures = prog.figures(prog.run(qcompile.program.random_input(prog.model, np.random.default_rng(0))))
    stage = figures["success"]["stages"][0]
    assert stage["queries"] == sum(entry["calls"].values()) and stage["p_run"] >= 0.7


def test_dropped_rotations_are_carried_through_the_amplification():
    """Rotations an earlier pass dropped (an operator-norm error e of U) enter the bound as
    L·Q·e: Q calls of U, L the read-out's Lipschitz constant."""
    from qcompile.lowering.circuits import StageProgram
    from qcompile.passes.amplify import Amplify

    prog = qcompile.compile(path("linear"), passes=BASE)
    sc = prog.stages[0].replace_circuit(prog.stages[0].circuit)
    sc.info["dropped_rotation_error"] = 1e-13
    out = Amplify(p_min=0.05).run(StageProgram(prog.lowered, [sc], prog.loaders), {}).stages[0]
    amp = out.info["amplification"]
    calls = sum(amp["calls"].values())
    assert math.isclose(out.info["dropped_rotation_error"], amp["recovery_lipschitz"] * calls * 1e-13,
                        rel_tol=1e-12)
    assert amp["recovery_lipschitz"] > 1


@pytest.mark.parametrize("passes,message", [
    ("amplify", "no positive certified lower bound"),
    ("amplify{stages=3,p_min=0.1}", "stage 3 does not exist"),
    ("amplify{p_min=0.1,method=ylc}", "method"),
    ("amplify{p_min=0.1,method=exact}", "not tight"),
    ("amplify{p_min=1e-9,max_gates=1000000}", "calls of U"),
    ("amplify{p_min=1e-9,max_gates=1000000000}", "degree above"),
    ("ancilla-reuse,amplify{p_min=0.1}", "before ancilla-reuse"),
    ("amplify{p_min=0.1},amplify{p_min=0.1}", "amplified already"),
])
def test_misuse_is_refused_with_a_sentence(passes, message):
    with pytest.raises(PassError, match=message):
        qcompile.compile(path("linear"), passes=passes)


def test_stage_lists():
    from qcompile.passes.amplify import parse_stages

    assert parse_stages(None, 3) == [0, 1, 2] == parse_stages("all", 3)
    assert parse_stages(1, 3) == [1]
    assert parse_stages("0;2", 3) == [0, 2] == parse_stages("2 0", 3)
    with pytest.raises(PassError):
        parse_stages("x", 3)


def test_cli_run_prints_each_stage_success_and_the_amplified_stage(tmp_path):
    """``qcompile run --passes 'amplify{...}'``: the per-stage success table names the
    amplified stage, its post-selection probability is at least the target (p is above the
    design bound here), and the output still matches the exact model."""
    import re
    import subprocess
    import sys

    x = tmp_path / "x.npy"
    np.save(x, np.random.default_rng(0).normal(size=(4, 4)) * 0.3)
    res = subprocess.run([sys.executable, "-m", "qcompile.cli", "run", path("attention_head"), "--bind", str(x),
                          "--passes", "amplify{stages=0,p_min=0.005}"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "success probability per stage" in res.stdout and "fixed-point to 0.5" in res.stdout
    row = next(line for line in res.stdout.splitlines() if "stage0" in line)
    p, p_run = (float(v) for v in re.findall(r"[-+]?\d[\d.e+-]*", row.split("stage0")[1])[0:3:2])   # p, p run
    assert p >= 0.005 and p_run >= 0.5
    err = float(re.search(r"max \|compiled - exact\| = ([\d.e+-]+)", res.stdout).group(1))
    assert err <= 1e-3
