"""The compile / verify / run / ir --quantum commands: files, JSON, exit codes, messages."""

from __future__ import annotations

import json

import numpy as np

import qcompile

from cli_support import example, random_float_input

STATS_KEYS = {"qubits", "cx", "gates", "depth", "alpha", "error_bound", "success_probability_bound",
              "output_qubits", "postselect_qubits", "stages"}


def test_verify_linear_passes_and_writes_json(tmp_path, cli):
    code, out, err = cli("verify", example("linear"), "--inputs", "2", "--json", tmp_path / "v.json")
    assert code == 0, err
    assert "ok: linear" in out and "4/4 runs pass" in out
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["ok"] is True and len(data["rows"]) == 4
    assert {r["backend"] for r in data["rows"]} == {"qiskit", "cirq"}
    row = data["rows"][0]
    assert {"surrogate_error", "exact_error", "error_bound", "success_probability", "ok"} <= set(row)
    assert STATS_KEYS <= set(data["stats"])


def test_verify_exit_1_when_a_check_fails(monkeypatch, cli):
    monkeypatch.setattr("qcompile.verification.SURROGATE_TOLERANCE", -1.0)  # impossible
    code, out, _ = cli("verify", example("linear"), "--inputs", "1", "--backend", "qiskit")
    assert code == 1
    assert "FAILED" in out


def test_verify_noise_zero_gives_zero_tvd(tmp_path, cli):
    code, out, err = cli("verify", example("linear"), "--inputs", "1", "--backend", "qiskit",
                         "--noise", "depolarizing:0,0", "--mitigate", "readout", "--json", tmp_path / "n.json")
    assert code == 0, err
    assert "TVD" in out
    rows = json.loads((tmp_path / "n.json").read_text())["noise"]["rows"]
    assert len(rows) == 1
    assert rows[0]["tvd_unmitigated"] < 1e-9 and rows[0]["tvd_mitigated"] < 1e-9


def test_verify_noise_raises_tvd(tmp_path, cli):
    code, _, err = cli("verify", example("linear"), "--inputs", "1", "--backend", "qiskit",
                       "--noise", "depolarizing:1e-3,2e-2", "--json", tmp_path / "n.json")
    assert code == 0, err
    row = json.loads((tmp_path / "n.json").read_text())["noise"]["rows"][0]
    assert 1e-4 < row["tvd_unmitigated"] <= 1


def test_gpt2_small_refused_fast(tmp_path, cli):
    code, out, err = cli(example("gpt2_small"), "-o", tmp_path / "g.qasm")
    assert code == 2
    assert "qcompile resources" in err and "too large" in err
    assert "Traceback" not in err and not (tmp_path / "g.qasm").exists()


def test_qasm2_needs_bound_input(tmp_path, cli):
    code, _, err = cli(example("linear"), "-o", tmp_path / "l.qasm", "--qasm", "2")
    assert code == 2
    assert "--bind" in err and "Traceback" not in err
    assert not (tmp_path / "l.qasm").exists()


def test_missing_output_directory_refused_before_compiling(tmp_path, cli):
    code, _, err = cli(example("linear"), "-o", tmp_path / "nowhere" / "l.qasm")
    assert code == 2 and "nowhere" in err and "does not exist" in err and "Traceback" not in err
    code, _, err = cli(example("linear"), "-o", tmp_path / "l.qasm", "--stats", tmp_path / "no" / "s.json")
    assert code == 2 and "--stats" in err and not (tmp_path / "l.qasm").exists()


def test_user_errors_are_one_message(tmp_path, cli):
    code, _, err = cli("run", example("linear"), "--bind", tmp_path / "missing.npy")
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    code, _, err = cli("verify", example("linear"), "--backend", "braket")
    assert code == 2 and "unknown backend" in err
    code, _, err = cli("verify", example("linear"), "--noise", "gaussian:1")
    assert code == 2 and "Traceback" not in err
    code, _, err = cli("verify", example("linear"), "--noise", "depolarizing:0,0", "--mitigate", "magic")
    assert code == 2 and "unknown mitigation method" in err
    code, _, err = cli("verify", example("linear"), "--mitigate", "zne")
    assert code == 2 and "--noise" in err


def test_compile_writes_stats_and_program(tmp_path, cli):
    code, _, err = cli(example("linear"), "-o", tmp_path / "l.qasm", "--stats", tmp_path / "s.json", "-O2")
    assert code == 0, err
    stats = json.loads((tmp_path / "s.json").read_text())
    assert STATS_KEYS <= set(stats)
    assert stats["stages"] == 1 and stats["error_bound"] is not None
    prog = json.loads((tmp_path / "l.program.json").read_text())
    assert prog["stages"][0]["file"] == str(tmp_path / "l.qasm")
    assert prog["stages"][0]["output_qubits"] == stats["output_qubits"]


def test_multi_stage_compile_writes_every_stage(tmp_path, cli):
    code, out, err = cli(example("attention_head"), "-o", tmp_path / "ah.qasm", "--tolerance", "1e-2",
                         "--stats", tmp_path / "s.json")
    assert code == 0, err
    prog = json.loads((tmp_path / "ah.program.json").read_text())
    assert len(prog["stages"]) == 2
    s0, s1 = prog["stages"]
    assert s0["file"].endswith("ah.qasm") and s1["file"].endswith("ah.s1.qasm")
    assert (tmp_path / "ah.s1.qasm").read_text().startswith("OPENQASM 3.0;")
    assert s0["glue"]["kind"] == "block_sum" and s1["glue"] is None
    produced = s0["glue"]["produces"]
    assert any(ld["reads"] == produced and ld["from"] == "glue of stage 0" for ld in s1["loaders"])
    assert "stage 1 of 2" in (tmp_path / "ah.s1.qasm").read_text()
    assert json.loads((tmp_path / "s.json").read_text())["stages"] == 2


def test_run_prints_output_and_references(tmp_path, cli):
    model = qcompile.load(example("linear"))
    x = random_float_input(model, 3)
    np.save(tmp_path / "x.npy", x)
    code, out, err = cli("run", example("linear"), "--bind", tmp_path / "x.npy", "--shots", "2000", "--seed", "1")
    assert code == 0, err
    ref = np.ravel(qcompile.select_output(model, qcompile.reference(model, x)))
    assert f"{ref[0]:.8f}" in out
    assert "error bound" in out and "success probability" in out and "±" in out


def test_ir_quantum(cli):
    code, out, err = cli("ir", example("attention_head"), "--quantum", "--tolerance", "1e-2")
    assert code == 0, err
    assert out.startswith("quantum-ir attention_head") and "stage 1" in out and "block_sum" in out


def test_verify_after_O2_and_routing(cli):
    code, out, err = cli("verify", example("linear"), "-O2", "--target", "line:5", "--inputs", "1",
                         "--backend", "qiskit,cirq")
    assert code == 0, err + out
    code, out, err = cli("verify", example("linear"), "--passes", "cancel-inverses", "--target", "line:7",
                         "--inputs", "1", "--backend", "qiskit")
    assert code == 0, err + out
