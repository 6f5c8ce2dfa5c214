"""``qcompile verify --jobs/--scheduler`` and ``qcompile resources --physical`` (issue 16,
items 1 and 3): the flags reach the library, bad values are one sentence with exit 2, a
parallel or Dask verification gives the serial run's rows, and the physical table has the
estimator's figures for every default qubit model."""

from __future__ import annotations

import json
import sys

import pytest

from cli_support import example


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process, argparse's refusals (SystemExit) included: (exit code,
    stdout, stderr)."""
    from qcompile.cli import main

    def run(*argv):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _one_sentence(code: int, err: str) -> None:
    """A user error: exit 2, one line, no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


# ---- flags refused before any work -----------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-3", "two", "1.5", "100000"])
def test_bad_jobs_refused(cli, value):
    code, _, err = cli("verify", example("linear"), "--inputs", "1", "--jobs", value)
    _one_sentence(code, err)
    assert "--jobs" in err


def test_jobs_and_scheduler_exclusive(cli):
    code, _, err = cli("verify", example("linear"), "--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786")
    _one_sentence(code, err)
    assert "--scheduler" in err and "--jobs" in err


def test_scheduler_without_distributed_says_how_to_install(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)      # as if not installed
    code, _, err = cli("verify", example("linear"), "--inputs", "1", "--scheduler", "tcp://127.0.0.1:8786")
    _one_sentence(code, err)
    assert "qcompile[dask]" in err


def test_empty_scheduler_refused(cli):
    code, _, err = cli("verify", example("linear"), "--inputs", "1", "--scheduler", " ")
    _one_sentence(code, err)


@pytest.mark.parametrize("models", ["qubit_gate_xx", "qubit_gate_ns_e3,nope", ","])
def test_bad_qubit_model_refused(cli, models):
    code, _, err = cli("resources", example("linear"), "--physical", "--qubit-model", models)
    _one_sentence(code, err)
    assert "qubit model" in err


@pytest.mark.parametrize("budget", ["0", "1", "-0.1", "2", "nan", "x"])
def test_bad_error_budget_refused(cli, budget):
    code, _, err = cli("resources", example("linear"), "--physical", "--error-budget", budget)
    _one_sentence(code, err)
    assert "--error-budget" in err


@pytest.mark.parametrize("flag", [("--qubit-model", "qubit_gate_ns_e3"), ("--error-budget", "0.01")])
def test_physical_options_need_physical(cli, flag):
    code, _, err = cli("resources", example("linear"), *flag)
    _one_sentence(code, err)
    assert "--physical" in err


def test_physical_without_estimator_says_how_to_install(cli, monkeypatch, tmp_path):
    from qcompile.resources.physical import INSTALL_HINT

    monkeypatch.setitem(sys.modules, "qdk", None)               # as if neither is installed
    monkeypatch.setitem(sys.modules, "qsharp", None)
    code, out, err = cli("resources", example("linear"), "--physical", "--json", tmp_path / "r.json")
    _one_sentence(code, err)
    assert INSTALL_HINT in err
    assert not (tmp_path / "r.json").exists() and out == ""      # refused before any work


def test_verify_refuses_model_too_wide_for_backend(cli):
    code, out, err = cli("verify", example("gpt2_small"), "--backend", "qiskit")
    _one_sentence(code, err)
    assert "qubits" in err and "'qiskit'" in err and out == ""


# ---- the same rows in parallel -----------------------------------------------------------------


def _verify_json(cli, tmp_path, name: str, *flags: str) -> dict:
    path = tmp_path / f"{name}.json"
    code, _, err = cli("verify", example("linear"), "--inputs", "2", "--backend", "qiskit",
                       "--json", path, *flags)
    assert code == 0, err
    return json.loads(path.read_text())


@pytest.mark.parametrize("flags, jobs, scheduler", [((), None, None), (("--jobs", "1"), 1, None),
                                                     (("--scheduler", "tcp://10.0.0.1:8786"), None,
                                                      "tcp://10.0.0.1:8786")])
def test_flags_reach_verify(cli, monkeypatch, flags, jobs, scheduler):
    import qcompile.verification as verification

    seen = {}
    real = verification.verify

    def recording(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **{**kwargs, "jobs": 1, "scheduler": None})    # run it here, serially

    monkeypatch.setattr(verification, "verify", recording)
    code, _, err = cli("verify", example("linear"), "--inputs", "1", "--backend", "qiskit", *flags)
    assert code == 0, err
    assert seen["jobs"] == jobs and seen["scheduler"] == scheduler


def test_jobs_gives_the_serial_rows(cli, tmp_path):
    serial = _verify_json(cli, tmp_path, "serial", "--jobs", "1")
    parallel = _verify_json(cli, tmp_path, "parallel", "--jobs", "2")
    assert len(serial["rows"]) == 2
    assert parallel["rows"] == serial["rows"]
    assert parallel["ok"] == serial["ok"] and parallel["summary"] == serial["summary"]


def test_scheduler_gives_the_serial_rows(cli, tmp_path):
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    serial = _verify_json(cli, tmp_path, "serial", "--jobs", "1")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        dask = _verify_json(cli, tmp_path, "dask", "--scheduler", cluster.scheduler_address)
    assert dask["rows"] == serial["rows"]
    assert dask["ok"] == serial["ok"] and dask["summary"] == serial["summary"]


# ---- physical resources ----------------------------------------------------------------------------


def _estimator_or_skip():
    from qcompile.resources.physical import EstimatorMissingError, estimator_module

    try:
        estimator_module()
    except EstimatorMissingError:
        pytest.skip("Microsoft's resource estimator (qdk/qsharp) is not installed")


def test_physical_table_and_json(cli, tmp_path):
    _estimator_or_skip()
    from qcompile.resources.physical import DEFAULT_ERROR_BUDGET, DEFAULT_QUBIT_MODELS

    path = tmp_path / "r.json"
    code, out, err = cli("resources", example("linear"), "--physical", "--json", path)
    assert code == 0, err
    data = json.loads(path.read_text())
    assert data["stages"], "the logical resource report is still there"
    phys = data["physical"]
    counts = phys["logical_counts"]
    assert counts["source"] == "compiled circuits"
    assert counts["num_qubits"] == data["qubits"]
    assert [e["qubit_model"] for e in phys["estimates"]] == list(DEFAULT_QUBIT_MODELS)
    for e in phys["estimates"]:
        assert e["error"] is None, e
        assert e["error_budget"] == DEFAULT_ERROR_BUDGET
        # a surface code of distance d holds each logical qubit in about 2 d^2 physical ones
        assert e["physical_qubits"] >= 2 * e["code_distance"] ** 2 * counts["num_qubits"]
        assert e["code_distance"] >= 3 and e["t_factories"] >= 1 and e["runtime_ns"] > 0
        assert e["qubit_model"] in out
        assert f"{e['physical_qubits']:,}" in out


def test_physical_qubit_model_and_budget_reach_the_estimator(cli, tmp_path):
    _estimator_or_skip()
    figures = {}
    for budget in ("0.1", "1e-6"):
        path = tmp_path / f"r{budget}.json"
        code, out, err = cli("resources", example("linear"), "--physical", "--qubit-model", "qubit_gate_ns_e4",
                             "--error-budget", budget, "--json", path)
        assert code == 0, err
        (e,) = json.loads(path.read_text())["physical"]["estimates"]
        assert e["qubit_model"] == "qubit_gate_ns_e4" and e["error_budget"] == float(budget)
        assert "qubit_gate_ns_e3" not in out
        figures[budget] = e
    # a smaller error budget needs a larger code distance
    assert figures["1e-6"]["code_distance"] > figures["0.1"]["code_distance"]
