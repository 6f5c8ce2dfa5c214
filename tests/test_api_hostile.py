"""The public API under misuse (issues 17.12, 17.14, 18.1, 18.7): wrong types and values
raise QcompileError subclasses with one plain sentence, never a built-in exception or a
result that checked nothing; the error hierarchy is importable from ``qcompile``; and a
hypothesis test throws arbitrary values at every argument of the cheap entry points."""

from __future__ import annotations

import inspect
import math
import pkgutil
import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import qcompile
from qcompile.resources.api import estimate

from example_registry import COMPILABLE  # noqa: F401 - the registry is the list of examples

LINEAR = "examples/linear.qtf"


@pytest.fixture(scope="module")
def prog():
    return qcompile.compile(LINEAR)


@pytest.fixture(scope="module")
def x():
    return np.eye(4)[::-1] * 0.4


#: (id, call(prog, x), error class) — the API misuse cases
MISUSE = [
    ("qasm-version-4", lambda p, x: p.qasm(4), qcompile.QcompileError),
    ("qasm-version-text", lambda p, x: p.qasm("3"), qcompile.QcompileError),
    ("qasm-version-bool", lambda p, x: p.qasm(True), qcompile.QcompileError),
    ("qasm-stage-99", lambda p, x: p.qasm(3, stage=99), qcompile.QcompileError),
    ("qasm-stage-negative", lambda p, x: p.qasm(3, stage=-1), qcompile.QcompileError),
    ("qasm-2-unbound", lambda p, x: p.qasm(2), qcompile.BindError),
    ("bind-stage-float", lambda p, x: p.bind(x, 1.0), qcompile.QcompileError),
    ("to-qiskit-stage-5", lambda p, x: p.to_qiskit(5), qcompile.QcompileError),
    ("to-cirq-stage-text", lambda p, x: p.to_cirq("0"), qcompile.QcompileError),
    ("run-shots-0", lambda p, x: p.run(x, shots=0), qcompile.QcompileError),
    ("run-shots-2.5", lambda p, x: p.run(x, shots=2.5), qcompile.QcompileError),
    ("run-shots-1e12", lambda p, x: p.run(x, shots=10**12), qcompile.QcompileError),
    ("run-seed-negative", lambda p, x: p.run(x, seed=-1), qcompile.QcompileError),
    ("run-seed-2**70", lambda p, x: p.run(x, seed=2**70), qcompile.QcompileError),
    ("run-backend-number", lambda p, x: p.run(x, backend=3), qcompile.QcompileError),
    ("run-backend-unknown", lambda p, x: p.run(x, backend="bogus"), qcompile.BackendError),
    ("run-complex-input", lambda p, x: p.run(x * 1j), qcompile.BindError),
    ("run-bool-input", lambda p, x: p.run(x > 0), qcompile.BindError),
    ("run-above-bound", lambda p, x: p.run(x * 100), qcompile.BindError),
    ("select-output-wrong-shape", lambda p, x: qcompile.select_output(p.model, np.zeros(3)), qcompile.BindError),
    ("select-output-text", lambda p, x: qcompile.select_output(p.model, "y"), qcompile.BindError),
    ("compile-passes-list", lambda p, x: qcompile.compile(LINEAR, passes=["merge-rotations"]), qcompile.QcompileError),
    ("compile-method-bogus", lambda p, x: qcompile.compile(LINEAR, method="bogus"), qcompile.QcompileError),
    ("compile-token-true", lambda p, x: qcompile.compile(LINEAR, token=True), qcompile.QcompileError),
    ("compile-token-1.7", lambda p, x: qcompile.compile(LINEAR, token=1.7), qcompile.QcompileError),
    ("compile-tolerance-nan", lambda p, x: qcompile.compile(LINEAR, tolerance=math.nan), qcompile.QcompileError),
    ("compile-optimization-3", lambda p, x: qcompile.compile(LINEAR, optimization=3), qcompile.QcompileError),
    ("compile-target-1e9", lambda p, x: qcompile.compile(LINEAR, target="line:1000000000"), qcompile.QcompileError),
    ("compile-passes-atol-inf", lambda p, x: qcompile.compile(LINEAR, passes="merge-rotations{atol=1e999}"),
     qcompile.PassError),
    ("compile-a-number", lambda p, x: qcompile.compile(5), qcompile.QcompileError),
    ("load-empty", lambda p, x: qcompile.load(""), qcompile.QcompileError),
    ("load-none", lambda p, x: qcompile.load(None), qcompile.QcompileError),
    ("load-bytes", lambda p, x: qcompile.load(b"model m {}"), qcompile.QcompileError),
    ("load-dims-list", lambda p, x: qcompile.load(LINEAR, dims=[1, 2]), qcompile.QcompileError),
    ("load-dims-negative", lambda p, x: qcompile.load(LINEAR, dims={"seq": -1}), qcompile.QcompileError),
    ("load-dims-huge", lambda p, x: qcompile.load(LINEAR, dims={"seq": 10**40}), qcompile.QcompileError),
    ("load-dims-unknown", lambda p, x: qcompile.load(LINEAR, dims={"nope": 2}), qcompile.QcompileError),
    ("load-path-with-brace", lambda p, x: qcompile.load("/tmp/no{such}.qtf"), qcompile.QcompileError),
    ("load-weights-root-missing", lambda p, x: qcompile.load(LINEAR, weights_root="/no/such/dir"),
     qcompile.QcompileError),
    ("verify-no-input", lambda p, x: qcompile.verify(p, inputs=0), qcompile.QcompileError),
    ("verify-backends-string", lambda p, x: qcompile.verify(p, inputs=1, backends="qiskit"), qcompile.QcompileError),
    ("verify-no-backend", lambda p, x: qcompile.verify(p, inputs=1, backends=()), qcompile.QcompileError),
    ("verify-shots-negative", lambda p, x: qcompile.verify(p, inputs=1, shots=-1), qcompile.QcompileError),
    ("verify-seed-float", lambda p, x: qcompile.verify(p, inputs=1, seed=0.5), qcompile.QcompileError),
    ("reference-mode-bogus", lambda p, x: qcompile.reference(p.model, x, mode="bogus"), qcompile.QcompileError),
    ("reference-input-none", lambda p, x: qcompile.reference(p.model, None), qcompile.BindError),
    ("reference-input-text", lambda p, x: qcompile.reference(p.model, "abc"), qcompile.BindError),
    ("bind-parameters-of-a-model", lambda p, x: qcompile.bind_parameters(p.model, x), qcompile.QcompileError),
    ("bind-parameters-above-bound", lambda p, x: qcompile.bind_parameters(p, x * 100), qcompile.BindError),
    ("estimate-dims-list", lambda p, x: estimate(LINEAR, dims=[1]), qcompile.QcompileError),
    ("estimate-dims-huge", lambda p, x: estimate(LINEAR, dims={"seq": 10**30}), qcompile.QcompileError),
    ("estimate-norms-nan", lambda p, x: estimate(LINEAR, norms={"fc1.weight": {"spectral": math.nan}}),
     qcompile.QcompileError),
    ("estimate-norms-string", lambda p, x: estimate(LINEAR, norms={"fc1.weight": {"spectral": "2"}}),
     qcompile.QcompileError),
    ("estimate-norms-not-a-dict", lambda p, x: estimate(LINEAR, norms=[1]), qcompile.QcompileError),
]


@pytest.mark.parametrize("case", MISUSE, ids=[c[0] for c in MISUSE])
def test_api_misuse_is_a_plain_error(case, prog, x):
    name, call, cls = case
    with pytest.raises(qcompile.QcompileError) as info:
        call(prog, x)
    assert isinstance(info.value, cls), type(info.value)
    message = info.value.message
    assert message and "\n" not in message and len(message) < 400


def test_every_error_class_is_importable_from_qcompile():
    """17.14: every QcompileError subclass defined in the package is ``qcompile.<Name>``."""
    import qcompile as package

    found = set()
    for info in pkgutil.walk_packages(package.__path__, "qcompile."):
        if info.name.endswith(("hf_weights", "physical", "aer_gpu", "qsim", "__main__")):
            continue          # optional or under construction; imported only on use
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, qcompile.QcompileError) and obj.__module__ == info.name:
                found.add(name)
    for name in sorted(found | {"QcompileError", "InternalError", "SourceLocation", "QcompileWarning"}):
        assert getattr(qcompile, name) is not None, name
    assert "WeightError" in found and "BackendError" in found
    assert not issubclass(qcompile.InternalError, qcompile.QcompileError)


# ---- hypothesis: arbitrary values at every argument --------------------------------------
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.binary(max_size=8), st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(-3, 3), max_size=2),
    st.sampled_from([np.int64(3), np.float32(0.5), np.array([1, 2]), 1j, object()]),
)
HYPO = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _plain(call) -> None:
    """``call()`` succeeds or raises a QcompileError with a one-line message."""
    try:
        call()
    except qcompile.QcompileError as err:
        assert err.message and "\n" not in err.message
        str(err)


@HYPO
@given(version=ANYTHING, stage=ANYTHING)
def test_qasm_arguments(prog, version, stage):
    _plain(lambda: prog.qasm(version, stage=stage))


@HYPO
@given(shots=ANYTHING, seed=ANYTHING, backend=st.one_of(ANYTHING, st.sampled_from(["qiskit", "cirq", "qasm3"])))
def test_run_arguments(prog, x, shots, seed, backend):
    assume(not (isinstance(shots, int) and not isinstance(shots, bool) and shots > 10_000))
    _plain(lambda: prog.run(x, backend=backend, shots=shots, seed=seed))


@HYPO
@given(value=st.one_of(ANYTHING, st.lists(st.lists(st.floats(), min_size=4, max_size=4), min_size=4, max_size=4)))
def test_reference_and_bind_inputs(prog, value):
    _plain(lambda: qcompile.reference(prog.model, value))
    _plain(lambda: qcompile.select_output(prog.model, value))


@HYPO
@given(dims=st.one_of(ANYTHING, st.dictionaries(st.sampled_from(["seq", "d_in", "d_out", "x"]), ANYTHING,
                                                max_size=2)))
def test_load_dims(dims):
    _plain(lambda: qcompile.load(LINEAR, dims=dims))


@HYPO
@given(path=st.one_of(ANYTHING, st.text(max_size=40), st.just("model m {"), st.just("/dev/zero")))
def test_load_path_or_text(path):
    _plain(lambda: qcompile.load(path))


@HYPO
@given(tolerance=ANYTHING, optimization=ANYTHING, method=ANYTHING, token=ANYTHING, target=ANYTHING,
       passes=st.one_of(ANYTHING, st.sampled_from(["merge-rotations{atol=nan}", "route{target=grid:99999x99999}",
                                                   "cancel-inverses{max_lookback=-5}", "nope"])))
def test_compile_arguments(tolerance, optimization, method, token, target, passes):
    """Only the refusals are exercised (a valid combination would compile for seconds)."""
    from qcompile.compiler import CompileOptions
    from qcompile.validate import target_qubits

    try:
        CompileOptions(tolerance, method, optimization, target, passes)
        if target is not None:
            target_qubits(target)
        if passes is not None:
            from qcompile.passes.manager import parse_pipeline

            parse_pipeline(passes)
        from qcompile.model import resolve_token

        resolve_token(qcompile.load(LINEAR), token)
        valid = True
    except qcompile.QcompileError:
        valid = False
    assume(not valid)
    _plain(lambda: qcompile.compile(LINEAR, token=token, tolerance=tolerance, method=method,
                                    optimization=optimization, target=target, passes=passes))


@HYPO
@given(inputs=ANYTHING, backends=ANYTHING, shots=ANYTHING, seed=ANYTHING, tolerance=ANYTHING)
def test_verify_arguments(prog, inputs, backends, shots, seed, tolerance):
    """Only the refusals are exercised (a valid call verifies for seconds)."""
    from qcompile.validate import check_verify_arguments

    try:
        check_verify_arguments(inputs, backends, shots, seed, tolerance)
        valid = True
    except qcompile.QcompileError:
        valid = False
    assume(not valid)
    with pytest.raises(qcompile.QcompileError):
        qcompile.verify(prog, inputs=inputs, backends=backends, shots=shots, seed=seed, tolerance=tolerance)


@HYPO
@given(dims=ANYTHING, norms=st.one_of(ANYTHING, st.dictionaries(
    st.sampled_from(["fc1.weight", "fc1.bias", "nope"]),
    st.one_of(ANYTHING, st.dictionaries(st.sampled_from(["spectral", "norm", "max_abs", "bogus"]), ANYTHING,
                                        max_size=2)), max_size=2)))
def test_estimate_arguments(dims, norms):
    _plain(lambda: estimate(LINEAR, dims=dims, norms=norms))


@HYPO
@given(option=st.sampled_from(["merge-rotations{atol=%s}", "drop-small-rotations{eps=%s}",
                               "fuse-single-qubit{atol=%s}", "cancel-inverses{max_lookback=%s}",
                               "consolidate-two-qubit{check_atol=%s}", "route{seed=%s}",
                               "route{optimization_level=%s}", "route{target=%s}"]),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-2**70, 2**70).map(str),
                       st.sampled_from(["nan", "inf", "-inf", "1e999", "true", "line:0", "grid:3x3", "''"])))
def test_pass_option_ranges(option, value):
    """18.1: every pass option is range-checked when the pipeline is parsed."""
    from qcompile.passes.manager import parse_pipeline

    _plain(lambda: parse_pipeline(option % value))
