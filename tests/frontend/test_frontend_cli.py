"""The command line: exit codes, messages, no tracebacks, deterministic output."""

import json
import subprocess
import sys

import numpy as np
import pytest

import qcompile
from qcompile.cli import main

from frontend_support import EXAMPLES, admissible_input

ENC = str(EXAMPLES / "encoder_block.qtf")


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_a_summary_and_what_compile_will_say(capsys):
    code, out, err = run(["check", ENC], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("ok: model encoder_block:")
    assert "12 weights (172 parameters)" in out and lines[1].startswith("compile: within the size limits")


def test_check_says_compile_will_refuse_a_model_too_large(capsys):
    code, out, err = run(["check", str(EXAMPLES / "gpt2_small.qtf")], capsys)
    assert code == 0 and out.splitlines()[1].startswith("compile: refused: model gpt2_small is too large")


def test_ir_prints_final_ir(capsys):
    code, out, _ = run(["ir", ENC], capsys)
    assert code == 0
    assert out == qcompile.load(ENC).ir.to_text()


def test_ir_output_is_byte_identical_twice(capsys):
    first = run(["ir", ENC, "--print-ir-after-all"], capsys)[1]
    second = run(["ir", ENC, "--print-ir-after-all"], capsys)[1]
    assert first == second
    assert first.count("// ----- IR after") == 3


def test_print_ir_after_one_pass(capsys):
    code, out, _ = run(["ir", ENC, "--print-ir-after", "desugar"], capsys)
    assert code == 0
    assert out.count("// ----- IR after desugar (2) -----") == 1
    assert "IR after shape-inference" not in out


def test_dump_dir_writes_numbered_files(tmp_path, capsys):
    code, _, _ = run(["ir", ENC, "--dump-dir", str(tmp_path)], capsys)
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["00-input.ir", "00-input.json", "01-shape-inference.ir",
                     "01-shape-inference.json", "02-desugar.ir", "02-desugar.json",
                     "03-verify-ir.ir", "03-verify-ir.json", "index.html"]
    meta = json.loads((tmp_path / "02-desugar.json").read_text())
    assert meta["stats_after"]["nodes"] == 22


def test_time_passes_goes_to_stderr(capsys):
    code, out, err = run(["ir", ENC, "--time-passes"], capsys)
    assert code == 0 and "desugar" in err and "total" in err
    assert out == qcompile.load(ENC).ir.to_text()


def test_reference_saves_every_token(tmp_path, capsys):
    model = qcompile.load(ENC)
    x = admissible_input(model)
    np.save(tmp_path / "x.npy", x)
    code, out, _ = run(["reference", ENC, "--input", str(tmp_path / "x.npy"),
                        "--output", str(tmp_path / "y.npy")], capsys)
    assert code == 0 and "3*" in out
    assert np.array_equal(np.load(tmp_path / "y.npy"), qcompile.reference(model, x))


def test_reference_text_input(capsys):
    code, out, _ = run(["reference", str(EXAMPLES / "protein_tiny.qtf"), "--text", "MKTA"],
                       capsys)
    assert code == 0 and "protein_tiny" in out


def test_reference_bound_violation_is_user_error(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.full((4, 4), 10.0))
    code, _, err = run(["reference", ENC, "--input", str(tmp_path / "x.npy")], capsys)
    assert code == 2 and "bound" in err and "Traceback" not in err


def test_reference_surrogate_uses_the_compilers_polynomials(tmp_path, capsys):
    model = qcompile.load(EXAMPLES / "mlp.qtf")
    x = np.full((4, 4), 0.2)
    np.save(tmp_path / "x.npy", x)
    code, _, err = run(["reference", str(EXAMPLES / "mlp.qtf"), "--input", str(tmp_path / "x.npy"),
                        "--mode", "surrogate", "--output", str(tmp_path / "y.npy")], capsys)
    assert code == 0, err
    got = np.load(tmp_path / "y.npy")
    exact = qcompile.reference(model, x)
    # a polynomial GELU: close to the exact model, but not equal to it
    assert np.abs(got - exact).max() < 1e-2 and not np.array_equal(got, exact)


def test_compile_without_command_writes_the_circuit(tmp_path, capsys):
    code, _, err = run([str(EXAMPLES / "linear.qtf"), "-o", str(tmp_path / "c.qasm")], capsys)
    assert code == 0, err
    assert (tmp_path / "c.qasm").read_text().startswith("OPENQASM 3.0;")


def test_syntax_error_exit_2_with_caret_no_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.qtf"
    bad.write_text("model m {\n  input x: [4, 4] bound 1.0\n  y = gelu(x))\n  output y\n}\n")
    code, out, err = run(["check", str(bad)], capsys)
    assert code == 2 and out == ""
    assert err.startswith("bad.qtf:3:14: error: unexpected ')'")
    assert "^" in err and "Traceback" not in err


def test_debug_flag_shows_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.qtf"
    bad.write_text("model m { }")
    code, _, err = run(["check", str(bad), "--debug"], capsys)
    assert code == 2 and "Traceback" in err


def test_internal_error_exit_3(monkeypatch, capsys):
    import qcompile.model

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(qcompile.model, "load", boom)
    code, _, err = run(["check", ENC], capsys)
    assert code == 3
    assert err.splitlines()[0] == "internal error: RuntimeError: kaboom"
    assert "--debug" in err and "Traceback" not in err


def test_bad_flag_is_argparse_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["ir", ENC, "--no-such-flag"])
    assert info.value.code == 2


def test_python_dash_m_entry_point(tmp_path):
    bad = tmp_path / "bad.qtf"
    bad.write_text("model m {\n  input x: [4, 4] bound 1.0\n  output zz\n}\n")
    proc = subprocess.run([sys.executable, "-m", "qcompile", "check", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("bad.qtf:3:10: error: unknown name 'zz'")
    assert "Traceback" not in proc.stderr


def test_ir_source_prints_ir_before_desugar(capsys):
    code, out, _ = run(["ir", str(EXAMPLES / "encoder_stack.qtf"), "--source"], capsys)
    assert code == 0 and "layer block(" in out and "= call %0" in out


def test_passes_lists_front_end_passes(capsys):
    code, out, _ = run(["passes"], capsys)
    assert code == 0
    for name in ("shape-inference", "desugar", "verify-ir"):
        assert name in out
