"""qsim, Aer on the GPU (through Aer's CPU device where no GPU is), batched binding,
and the simulators' memory limits."""

from __future__ import annotations

import numpy as np
import pytest

from example_registry import path
from qcompile.backends import registry
from qcompile.backends.aer_gpu import QiskitGpuBackend
from qcompile.backends.registry import backends_that_fit, check_fits, get_backend, state_bytes
from qcompile.circuit.ir import Circuit
from qcompile.errors import NotSupportedError, SizeError

#: qsim computes in complex64: rounding of a few float32 ulps (6e-8) per gate
QSIM_ATOL = 2e-5


@pytest.fixture(scope="module")
def linear():
    """``linear`` compiled, with its stage's parameter values for three inputs."""
    import qcompile
    from qcompile.lowering.inputs import random_input

    program = qcompile.compile(path("linear"))
    rng = np.random.default_rng(5)
    values = [program.stage_values(random_input(program.model, rng), 0) for _ in range(3)]
    return program, values


def _phase_circuit() -> Circuit:
    c = Circuit(3, global_phase=0.7)
    c.append("h", [0]).append("cx", [0, 1]).append("ry", [2], [0.4]).append("mcx", [0, 1, 2])
    c.append("mcrz", [2, 0], [1.1]).append("p", [1], [0.3])
    return c


def test_qsim_matches_cirq_phase_and_order_included():
    pytest.importorskip("qsimcirq")
    c = _phase_circuit()
    ref = get_backend("cirq").statevector(c)
    out = get_backend("qsim").statevector(c)
    assert out.dtype == np.complex128 and np.allclose(out, ref, atol=QSIM_ATOL)
    start = np.zeros(8, complex)
    start[5] = 1.0
    assert np.allclose(get_backend("qsim").statevector(c, initial_state=start),
                       get_backend("cirq").statevector(c, initial_state=start), atol=QSIM_ATOL)


def test_qsim_runs_a_compiled_stage_batched(linear):
    pytest.importorskip("qsimcirq")
    program, values = linear
    circuit = program.stages[0].circuit
    qsim, cirq = get_backend("qsim"), get_backend("cirq")
    single = [qsim.statevector(circuit, v) for v in values]
    batch = qsim.statevectors(circuit, values)
    for s, b, v in zip(single, batch, values):
        assert np.array_equal(s, b)
        assert np.allclose(s, cirq.statevector(circuit, v), atol=QSIM_ATOL)
    assert not np.allclose(batch[0], batch[1])          # the inputs really differ
    counts = qsim.sample(_bell_measured(), 300, seed=2)
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 300


def _bell_measured() -> Circuit:
    c = Circuit(2, num_clbits=2)
    c.append("h", [0]).append("cx", [0, 1]).append("measure", [0], clbits=[0]).append("measure", [1], clbits=[1])
    return c


def test_aer_binds_many_inputs_in_one_run_bit_identically(linear, monkeypatch):
    program, values = linear
    circuit = program.stages[0].circuit
    aer = get_backend("qiskit")
    single = [aer.statevector(circuit, v) for v in values]
    import qiskit_aer

    calls = []
    run = qiskit_aer.AerSimulator.run
    monkeypatch.setattr(qiskit_aer.AerSimulator, "run", lambda self, *a, **k: calls.append(1) or run(self, *a, **k))
    batch = aer.statevectors(circuit, values)
    assert len(calls) == 1
    assert all(np.array_equal(s, b) for s, b in zip(single, batch))


def test_gpu_backend_without_a_gpu_says_what_is_missing():
    gpu = get_backend("qiskit_gpu")
    if gpu.unavailable() is None:
        pytest.skip("a GPU build of Aer and a GPU are present")
    assert "pip install 'qcompile[gpu]'" in gpu.unavailable()
    with pytest.raises(NotSupportedError, match="backend 'qiskit_gpu' cannot run here"):
        gpu.statevector(_phase_circuit())
    with pytest.raises(NotSupportedError, match="qiskit_gpu"):
        check_fits("qiskit_gpu", 10, "stage s0")


def test_gpu_code_path_on_aers_cpu_device(linear):
    """The GPU backend's code (simulator options, batching, read-out) on Aer's CPU device
    equals the ``qiskit`` backend bit for bit."""
    program, values = linear
    circuit = program.stages[0].circuit
    on_cpu = QiskitGpuBackend(device="CPU")
    assert on_cpu.unavailable() is None and on_cpu.memory_bytes() == get_backend("qiskit").memory_bytes()
    for got, want in zip(on_cpu.statevectors(circuit, values), [get_backend("qiskit").statevector(circuit, v)
                                                                for v in values]):
        assert np.array_equal(got, want)
    assert np.allclose(on_cpu.statevector(_phase_circuit()), get_backend("cirq").statevector(_phase_circuit()))
    counts = on_cpu.sample(_bell_measured(), 200, seed=1)
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 200
    with pytest.raises(ValueError):
        QiskitGpuBackend(device="TPU")


def test_run_many_equals_run_stage_by_stage():
    """Batched runs of a two-stage program (glue between the stages) equal one-by-one runs."""
    import qcompile
    from qcompile.lowering.inputs import random_input

    program = qcompile.compile(path("attention_head"))
    rng = np.random.default_rng(1)
    xs = [random_input(program.model, rng) for _ in range(2)]
    for backend in ("qiskit", "cirq"):
        many = program.run_many(xs, backend=backend)
        for x, r in zip(xs, many):
            one = program.run(x, backend=backend)
            assert np.array_equal(r.output, one.output) and r.error_bound == one.error_bound
            assert r.success_probability == one.success_probability


def test_memory_limits_per_backend_and_device(monkeypatch):
    qiskit, qsim = get_backend("qiskit"), get_backend("qsim")
    assert state_bytes(30) == 16 * 2**30 and state_bytes(30, 8) == 8 * 2**30
    memory = qiskit.memory_bytes()
    assert memory > 0
    # a quarter of memory at 16 bytes per amplitude; single precision holds one qubit more
    assert state_bytes(qiskit.max_qubits()) <= memory / 4 < state_bytes(qiskit.max_qubits() + 1)
    assert qsim.max_qubits() == qiskit.max_qubits() + 1
    limit = qiskit.max_qubits()
    check_fits("qiskit", limit, "stage s0")
    assert "qiskit" in backends_that_fit(limit)
    with pytest.raises(SizeError, match=rf"stage s0 needs {limit + 1} qubits.*'qiskit' \(CPU, 16 bytes per "
                                        rf"amplitude, limit {limit} qubits"):
        check_fits("qiskit", limit + 1, "stage s0")
    if qsim.unavailable() is None:
        with pytest.raises(SizeError, match="backends that would fit: qsim"):
            check_fits("qiskit", limit + 1, "stage s0")
    # a GPU with 80 GiB holds 32 qubits in double precision (64 GiB)
    monkeypatch.setattr(QiskitGpuBackend, "memory_bytes", lambda self: 80 * 2**30)
    assert QiskitGpuBackend().max_qubits() == 32


def test_size_check_knows_the_chosen_simulator(monkeypatch):
    from qcompile.compiler import check_size
    from qcompile.model import load

    model = load(path("linear"))
    check_size(model, "qiskit")
    monkeypatch.setattr(registry.Backend, "memory_bytes", lambda self: 2**12)     # 6 qubits at 16 B
    with pytest.raises(SizeError, match=r"model linear \(its widest tensor needs \d+ qubits\) needs \d+ qubits"):
        check_size(model, "cirq")
    with pytest.raises(SizeError, match="no registered backend fits here"):
        import qcompile

        qcompile.verify(path("linear"), inputs=1, backends=("qiskit",))
