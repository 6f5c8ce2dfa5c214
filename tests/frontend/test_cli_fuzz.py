"""Hypothesis over the command line's flags and numeric ranges (beside the ``.qtf`` fuzz of
test_frontend_fuzz.py): any combination of flags with values from every range — huge,
negative, zero, fractional, NaN, infinite, words, 5000-digit numbers — ends in exit 0, or in
exit 2 with one ``error:`` line; never a traceback, an internal error or a signal.

Commands that compile (compile, verify, run, bind) always get at least one value outside
its range, so every example is refused before any work and the test stays fast; the cheap
commands (check, ir, reference, resources) also run their valid combinations.
"""

from __future__ import annotations

import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcompile.cli import main

from frontend_support import EXAMPLES

HANG = 60

NUMBERS = st.one_of(
    st.integers(-10**6, 10**6).map(str), st.integers(-2**80, 2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "1", "-1", "nan", "inf", "-inf", "1e999", "1e-320", "0.5", "", " ", "abc", "0x10",
                     "1_000", "9" * 5000, "2**70", "1e3", "+5", "-0"]),
)
#: a value certainly outside the range of each flag
INVALID = {
    "--shots": ["0", "-1", "1000000000000", "2.5", "many"],
    "--seed": ["-1", str(2**70), "x"],
    "--inputs": ["0", "-3", "10000000", "1.5"],
    "--tolerance": ["0", "1", "-1", "nan", "inf", "2", "x"],
    "--token": ["-1", "first", "9" * 50, "99"],
    "--target": ["line:0", "line:1000000000", "grid:0x0", "heavy-hex:2", "ring:4", "line:1"],
    "--passes": ["merge-rotations{atol=nan}", "drop-small-rotations{eps=-1}", "cancel-inverses{max_lookback=0}",
                 "route{target=line:99999999}", "nope", "merge-rotations{atol=1e999}"],
    "-O": ["3", "-1", "x"],
    "--backend": ["qiskit,,", "bogus", ""],
    "--qasm": ["4", "1"],
}
COMPILING = ("compile", "verify", "run", "bind")
FLAGS = {
    "compile": ["--shots", "--tolerance", "--token", "--target", "--passes", "-O", "--qasm"],
    "verify": ["--shots", "--seed", "--inputs", "--tolerance", "--token", "--target", "--passes", "-O", "--backend"],
    "run": ["--shots", "--seed", "--tolerance", "--token", "--target", "--passes", "-O", "--backend"],
    "bind": ["--tolerance", "--token", "--target", "--passes", "-O"],
    "reference": ["--tolerance"],
    "resources": ["--tolerance", "-O", "--token"],
    "ir": ["--tolerance"],
    "check": [],
}


@st.composite
def command_lines(draw, tmp):
    command = draw(st.sampled_from(sorted(FLAGS)))
    model = str(EXAMPLES / "linear.qtf")
    argv = [command, model]
    if command == "compile":
        argv += ["-o", str(tmp / "out.qasm")]
    if command in ("run",):
        argv += ["--bind", str(tmp / "x.npy")]
    if command in ("reference", "bind"):
        argv += ["--input", str(tmp / "x.npy")]
    if command == "bind":
        argv += ["--json", str(tmp / "p.json")]
    flags = FLAGS[command]
    chosen = draw(st.lists(st.sampled_from(flags), unique=True, max_size=len(flags))) if flags else []
    forced = None
    if command in COMPILING:
        forced = draw(st.sampled_from([f for f in flags if f in INVALID]))
        if forced not in chosen:
            chosen.append(forced)
    for flag in chosen:
        if flag == forced:
            value = draw(st.sampled_from(INVALID[flag]))
        elif flag in ("--target", "--passes", "--backend"):
            value = draw(st.sampled_from(INVALID[flag] + ["line:8", "merge-rotations", "qiskit"]))
        else:
            value = draw(NUMBERS)
        if command == "resources" and flag == "--tolerance":
            value = draw(st.sampled_from(["0", "nan", "2", "-1", "x"]))   # a valid one estimates for seconds
        argv += [flag, value]
    if command == "resources" and draw(st.booleans()):
        argv += ["--set", "seq=" + draw(NUMBERS)]
    return command, forced, argv


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-fuzz")
    np.save(folder / "x.npy", np.eye(4) * 0.4)
    return folder


def _alarm(signum, frame):
    raise TimeoutError(f"a command line ran over {HANG} s: a hang")


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flags_end_cleanly(tmp, capsys, data):
    command, forced, argv = data.draw(command_lines(tmp))
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG)
    try:
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    assert code in (0, 2), (argv, code, err)
    if forced is not None:
        assert code == 2, (argv, out)
    if code == 2:
        first = err.strip().splitlines()[0]
        assert first.startswith(("error:", "linear.qtf:", "<pipeline>:")), (argv, err)
