"""Hostile command lines (issues 17 and 18): every case ends in one plain error line with
exit status 2 — never a traceback, a hang, a signal or a success that is not one — and is
refused before the work it would waste (no output file appears, no input is touched).

Each case is ``(id, argv, expected message fragment)``; ``{tmp}`` is a folder holding the
files of :func:`hostile_files`, ``{ex}`` the examples folder.  Cases run in-process
(``qcompile.cli.main``) under an alarm that turns a hang into a failure; the few that need
a real process (a full disk or a closed pipe on standard output) run as subprocesses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qcompile.cli import main

from cli_support import EXAMPLES

#: seconds a hostile case may take before it counts as a hang (a watchdog, not a timing)
HANG = 60


def hostile_files(tmp: Path) -> None:
    """The files the cases read: models, inputs of every wrong kind, norms files."""
    for name in ("linear", "encoder_block", "mlp"):
        shutil.copy(EXAMPLES / f"{name}.qtf", tmp / f"{name}.qtf")
    x = np.eye(4)[::-1] * 0.4
    np.save(tmp / "x.npy", x)
    np.save(tmp / "x3.npy", np.zeros((3, 4)))
    np.save(tmp / "complex.npy", x * (1 + 1j))
    np.save(tmp / "bool.npy", np.eye(4, dtype=bool))
    np.save(tmp / "text.npy", np.array([["a"] * 4] * 4))
    np.save(tmp / "object.npy", np.array([{"evil": 1}] * 4, dtype=object), allow_pickle=True)
    np.savez(tmp / "x.npz", x=x)
    with open(tmp / "huge.npy", "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (10**15,)})
    os.mkfifo(tmp / "fifo.npy")
    os.mkfifo(tmp / "fifo.qtf")
    (tmp / "adir").mkdir()
    (tmp / "afile").write_text("not a folder")
    (tmp / "norms_nan.json").write_text('{"fc1.weight": {"spectral": NaN}}')
    (tmp / "norms_neg.json").write_text('{"fc1.weight": {"spectral": -1}}')
    (tmp / "norms_str.json").write_text('{"fc1.weight": {"spectral": "big"}}')
    (tmp / "norms_key.json").write_text('{"fc1.weight": {"spectrall": 1.0}}')
    (tmp / "norms_list.json").write_text('[1, 2]')
    (tmp / "embed_1e9.qtf").write_text(
        "model e {\n  dim seq = 4, d = 4\n  weights random(seed = 1)\n  input ids: int[seq] vocab 1000000000\n"
        "  y = embed(ids, d)\n  output y\n}\n")
    np.save(tmp / "ids.npy", np.arange(4))
    (tmp / "posenc.qtf").write_text(
        "model p {\n  dim seq = 200000, d = 200000\n  weights random(seed = 1)\n  input ids: int[seq] vocab 4\n"
        "  y = embed(ids, d) + posenc(seq, d)\n  output y\n}\n")
    np.save(tmp / "ids200000.npy", np.zeros(200000, dtype=np.int64))
    (tmp / "wide.qtf").write_text(
        "model w {\n  dim seq = 4, d = 40000\n  weights random(seed = 1)\n  input x: [seq, d] bound 1.0\n"
        "  y = linear(x, d)\n  output y\n}\n")
    np.save(tmp / "xwide.npy", np.zeros((4, 40000)))
    sub = tmp / "models"
    sub.mkdir()
    (sub / "outside.qtf").write_text(
        'model o {\n  dim seq = 4, d = 4\n  weights "../w.npz"\n  input x: [seq, d] bound 1.0\n'
        "  y = linear(x, d)\n  output y\n}\n")
    np.savez(tmp / "w.npz", **{"linear1.weight": np.eye(4), "linear1.bias": np.zeros(4)})


L, ENC = "{tmp}/linear.qtf", "{tmp}/encoder_block.qtf"

#: (id, argv, fragment of the one-line error) — every one must exit 2
CASES = [
    # 17.11 flags that crashed a dependency, and ranges
    ("shots-1e12", ["run", L, "--bind", "{tmp}/x.npy", "--shots", "1000000000000"], "--shots"),
    ("shots-0", ["verify", L, "--inputs", "1", "--shots", "0"], "--shots"),
    ("shots-text", ["run", L, "--bind", "{tmp}/x.npy", "--shots", "many"], "--shots"),
    ("seed-negative", ["verify", L, "--inputs", "1", "--seed", "-1"], "--seed"),
    ("seed-2**70", ["verify", L, "--inputs", "1", "--seed", str(2**70)], "--seed"),
    ("seed-5000-digits", ["run", L, "--bind", "{tmp}/x.npy", "--seed", "9" * 5000], "--seed"),
    ("inputs-0", ["verify", L, "--inputs", "0"], "--inputs"),
    ("inputs-1e7", ["verify", L, "--inputs", "10000000"], "--inputs"),
    ("tolerance-nan", ["compile", L, "-o", "{tmp}/a.qasm", "--tolerance", "nan"], "--tolerance"),
    ("tolerance-inf", ["compile", L, "-o", "{tmp}/a.qasm", "--tolerance", "inf"], "--tolerance"),
    ("tolerance-0", ["verify", L, "--tolerance", "0"], "--tolerance"),
    ("tolerance-1", ["run", L, "--bind", "{tmp}/x.npy", "--tolerance", "1"], "--tolerance"),
    ("tolerance-text", ["reference", L, "--input", "{tmp}/x.npy", "--tolerance", "small"], "--tolerance"),
    ("target-1e9", ["compile", L, "-o", "{tmp}/a.qasm", "--target", "line:1000000000"], "4,096 qubits"),
    ("target-line-1", ["compile", ENC, "-o", "{tmp}/a.qasm", "--target", "line:1"], "needs at least"),
    ("target-grid-0", ["compile", L, "-o", "{tmp}/a.qasm", "--target", "grid:0x5"], "qubits"),
    ("target-heavy-hex-even", ["compile", L, "-o", "{tmp}/a.qasm", "--target", "heavy-hex:4"], "odd"),
    ("target-bogus", ["verify", L, "--target", "ring:5"], "unknown routing target"),
    ("target-in-passes", ["compile", L, "-o", "{tmp}/a.qasm", "--passes", "route{target=line:1000000000}"],
     "4,096 qubits"),
    ("token-out-of-range", ["compile", L, "-o", "{tmp}/a.qasm", "--token", "99"], "out of range"),
    ("token-word", ["compile", L, "-o", "{tmp}/a.qasm", "--token", "first"], "--token"),
    ("token-5000-digits", ["compile", L, "-o", "{tmp}/a.qasm", "--token", "9" * 5000], "--token"),
    ("set-1e30", ["resources", L, "--set", "seq=" + "1" + "0" * 30], "above the limit"),
    ("set-5000-digits", ["resources", L, "--set", "seq=" + "9" * 5000], "above the limit"),
    ("set-zero", ["resources", L, "--set", "seq=0"], "--set"),
    ("set-word", ["resources", L, "--set", "seq=many"], "--set"),
    # 18.1 pass options: ranges, and a bound above the tolerance
    ("atol-1e999", ["compile", L, "-o", "{tmp}/a.qasm", "--passes", "merge-rotations{atol=1e999}"], "atol"),
    ("atol-negative", ["compile", L, "-o", "{tmp}/a.qasm", "--passes", "merge-rotations{atol=-1}"], "atol"),
    ("eps-nan", ["compile", L, "-o", "{tmp}/a.qasm", "--passes", "drop-small-rotations{eps=nan}"], "eps"),
    ("eps-10", ["compile", L, "-o", "{tmp}/a.qasm", "--passes", "drop-small-rotations{eps=10}"], "eps"),
    ("lookback-0", ["verify", L, "--passes", "cancel-inverses{max_lookback=0}"], "max_lookback"),
    ("eps-3-bound", ["compile", L, "-o", "{tmp}/a.qasm", "--passes", "drop-small-rotations{eps=3}"],
     "above the tolerance"),
    ("backend-empty-entry", ["verify", L, "--inputs", "1", "--backend", "qiskit,,"], "empty entry"),
    ("backend-emit-only", ["run", L, "--bind", "{tmp}/x.npy", "--backend", "qasm3"], "qasm3"),
    # 17.12 inputs accepted silently
    ("input-complex", ["reference", L, "--input", "{tmp}/complex.npy"], "complex"),
    ("input-bool", ["reference", L, "--input", "{tmp}/bool.npy"], "bool"),
    ("input-text", ["run", L, "--bind", "{tmp}/text.npy"], "real numbers"),
    ("input-npz", ["reference", L, "--input", "{tmp}/x.npz"], ".npz"),
    ("input-pickle", ["reference", L, "--input", "{tmp}/object.npy"], "pickled"),
    ("input-wrong-shape", ["reference", L, "--input", "{tmp}/x3.npy"], "[3, 4]"),
    # 17.10 / 17.13 allocation from headers, files that are not files
    ("input-header-1e15", ["reference", L, "--input", "{tmp}/huge.npy"], "[1000000000000000]"),
    ("input-fifo", ["reference", L, "--input", "{tmp}/fifo.npy"], "named pipe"),
    ("input-dev-zero", ["run", L, "--bind", "/dev/zero"], "device"),
    ("input-directory", ["reference", L, "--input", "{tmp}/adir"], "directory"),
    ("input-missing", ["reference", L, "--input", "{tmp}/nope.npy"], "does not exist"),
    ("model-dev-zero", ["check", "/dev/zero"], "device"),
    ("model-fifo", ["check", "{tmp}/fifo.qtf"], "named pipe"),
    ("model-directory", ["ir", "{tmp}/adir"], "directory"),
    ("model-empty-path", ["check", ""], "empty"),
    ("model-missing", ["check", "{tmp}/nope.qtf"], "does not exist"),
    # 17.15 confinement
    ("weights-outside-folder", ["check", "{tmp}/models/outside.qtf"], "outside the model's folder"),
    ("weights-root-missing", ["check", L, "--weights-root", "{tmp}/nowhere"], "weights_root"),
    # 18.2 memory guards on reference
    ("reference-vocab-1e9", ["reference", "{tmp}/embed_1e9.qtf", "--input", "{tmp}/ids.npy"], "GiB of memory"),
    ("reference-posenc", ["reference", "{tmp}/posenc.qtf", "--input", "{tmp}/ids200000.npy"], "of memory, over the limit"),
    ("reference-linear-40000", ["reference", "{tmp}/wide.qtf", "--input", "{tmp}/xwide.npy"], "GiB of memory"),
    # 18.3 output paths checked before the work, never clobbering inputs
    ("o-the-model", ["compile", L, "-o", L], "would overwrite the model file"),
    ("o-the-input", ["compile", L, "-o", "{tmp}/x.npy", "--qasm", "2", "--bind", "{tmp}/x.npy"],
     "would overwrite the --bind file"),
    ("stats-the-program-json", ["compile", L, "-o", "{tmp}/b.qasm", "--stats", "{tmp}/b.program.json"],
     "would both write"),
    ("o-missing-folder", ["compile", ENC, "-o", "{tmp}/nodir/a.qasm"], "does not exist"),
    ("o-read-only", ["compile", ENC, "-o", "/proc/a.qasm"], "cannot write"),
    ("o-directory", ["compile", L, "-o", "{tmp}/adir"], "is a directory"),
    ("o-device", ["compile", L, "-o", "/dev/full"], "not a regular file"),
    ("reference-output-the-model", ["reference", L, "--input", "{tmp}/x.npy", "--output", L],
     "would overwrite the model file"),
    ("verify-json-missing-folder", ["verify", L, "--inputs", "1", "--json", "{tmp}/nodir/v.json"], "does not exist"),
    ("resources-json-missing-folder", ["resources", L, "--json", "{tmp}/nodir/r.json"], "does not exist"),
    ("bind-json-the-input", ["bind", L, "--input", "{tmp}/x.npy", "--json", "{tmp}/x.npy"], "would overwrite"),
    ("dump-dir-a-file", ["compile", L, "-o", "{tmp}/c.qasm", "--dump-dir", "{tmp}/afile"], "not a directory"),
    ("dump-dir-dev-full", ["compile", L, "-o", "{tmp}/c.qasm", "--dump-dir", "/dev/full"], "not a directory"),
    ("dump-dir-read-only", ["ir", L, "--dump-dir", "/proc/qcompile-dump"], "cannot be created"),
    # 18.5 --norms validated
    ("norms-nan", ["resources", L, "--norms", "{tmp}/norms_nan.json"], "finite number"),
    ("norms-negative", ["resources", L, "--norms", "{tmp}/norms_neg.json"], "finite number"),
    ("norms-string", ["resources", L, "--norms", "{tmp}/norms_str.json"], "finite number"),
    ("norms-unknown-figure", ["resources", L, "--norms", "{tmp}/norms_key.json"], "unknown figure"),
    ("norms-not-object", ["resources", L, "--norms", "{tmp}/norms_list.json"], "JSON object"),
    ("norms-dev-zero", ["resources", L, "--norms", "/dev/zero"], "device"),
]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    """One folder of hostile files for every case."""
    folder = tmp_path_factory.mktemp("hostile")
    hostile_files(folder)
    return folder


def _alarm(signum, frame):
    raise TimeoutError(f"a hostile case ran over {HANG} s: a hang")


def run_cli(argv, capsys):
    """``(exit status, stdout, stderr)`` of the CLI in-process, under a hang watchdog."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG)
    try:
        try:
            code = main(argv)
        except SystemExit as exc:       # argparse's own refusals
            code = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    return code, out, err


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_command_line_is_refused_plainly(case, tmp, capsys):
    name, argv, fragment = case
    if name.startswith(("o-read-only", "dump-dir-read-only")) and not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux's /proc (read-only even for root)")
    argv = [a.replace("{tmp}", str(tmp)) for a in argv]
    before = _snapshot(tmp)
    code, out, err = run_cli(argv, capsys)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "internal error" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith(("error:", f"{Path(argv[1]).name}:", "<pipeline>:")), err
    assert fragment in err, err
    assert len(lines[0]) < 400
    # nothing written, nothing overwritten (a refused compile leaves no partial file)
    assert _snapshot(tmp) == before


def test_reference_output_is_written_exactly_where_asked(tmp, capsys):
    """18.3: ``--output Y`` writes Y, not Y.npy."""
    out = tmp / "Y"
    code, _, err = run_cli(["reference", str(tmp / "linear.qtf"), "--input", str(tmp / "x.npy"),
                            "--output", str(out)], capsys)
    assert code == 0, err
    assert out.is_file() and not (tmp / "Y.npy").exists()
    assert np.load(out, allow_pickle=False).shape == (4, 4)
    out.unlink()


def test_weights_root_allows_a_folder_outside_the_model(tmp, capsys):
    """17.15: the model of the confinement case loads once its folder's parent is allowed."""
    code, out, err = run_cli(["check", str(tmp / "models" / "outside.qtf"), "--weights-root", str(tmp)], capsys)
    assert code == 0 and out.startswith("ok: model o"), err


def test_the_confinement_message_reveals_nothing(tmp, capsys):
    """17.15: an existing and a missing foreign file get the same message, naming no path."""
    models = tmp / "models"
    errs = []
    for target in ("../w.npz", "../nope.npz", "/etc/passwd"):
        path = models / "probe.qtf"
        path.write_text((models / "outside.qtf").read_text().replace("../w.npz", target))
        errs.append(run_cli(["check", str(path)], capsys)[2].splitlines()[0])
        path.unlink()
    assert errs[0] == errs[1] == errs[2]
    assert "w.npz" not in errs[0] and "passwd" not in errs[0]


def test_a_refused_dump_dir_leaves_earlier_files_alone(tmp, capsys):
    """18.3: the dump folder's earlier dump files are replaced, and the CLI says so."""
    dump = tmp / "dump"
    dump.mkdir()
    (dump / "01-old.ir").write_text("old")
    (dump / "notes.txt").write_text("mine")
    code, _, err = run_cli(["ir", str(tmp / "linear.qtf"), "--dump-dir", str(dump)], capsys)
    assert code == 0, err
    assert "earlier dump" in err and (dump / "notes.txt").read_text() == "mine"
    shutil.rmtree(dump)


def _subprocess(args, **kw):
    return subprocess.run([sys.executable, "-m", "qcompile", *args], capture_output=True, text=True,
                          timeout=HANG, **kw)


def test_stdout_to_a_full_device_is_a_plain_error(tmp):
    """18.3: stdout on /dev/full: one sentence, exit 2."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        res = subprocess.run([sys.executable, "-m", "qcompile", "ir", str(tmp / "linear.qtf")],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=HANG)
    assert res.returncode == 2 and res.stderr.startswith("error: cannot write to standard output"), res.stderr
    assert "Traceback" not in res.stderr and "Exception ignored" not in res.stderr


def test_stdout_to_a_closed_pipe_stops_quietly(tmp):
    """17.8 / 18.3: ``qcompile ir ... | head``: no message, the status SIGPIPE would give."""
    proc = subprocess.Popen([sys.executable, "-m", "qcompile", "ir", "--print-ir-after-all",
                             str(tmp / "encoder_block.qtf")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=HANG)
    assert proc.returncode in (0, 141) and err == "", err


def test_numpy_warnings_do_not_leak(tmp, capsys):
    """18.4's leak: softmax of huge scores prints no RuntimeWarning on the command line."""
    path = tmp / "softmax.qtf"
    path.write_text("model s {\n  dim seq = 4, d = 4\n  weights random(seed = 1)\n  input x: [seq, d] bound 1.0\n"
                    "  y = softmax(x * 1000000)\n  output y\n}\n")
    code, _, err = run_cli(["reference", str(path), "--input", str(tmp / "x.npy")], capsys)
    assert "Warning" not in err, err
    path.unlink()


def test_bind_writes_the_values_of_every_stage(tmp, capsys):
    """17.4: ``qcompile bind`` writes the loader angles of the QASM 3 inputs."""
    out = tmp / "params.json"
    code, _, err = run_cli(["bind", str(tmp / "linear.qtf"), "--input", str(tmp / "x.npy"), "--json", str(out)],
                           capsys)
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["format"] == "qcompile-parameters/1" and len(data["stages"]) == 1
    assert all(isinstance(v, float) for v in data["stages"][0]["inputs"].values())
    out.unlink()


def test_case_count():
    """The hostile command lines of this file (the report quotes the count)."""
    assert len(CASES) >= 70 and len({c[0] for c in CASES}) == len(CASES)
