"""The backend registry: names, comma-separated lists, capabilities, a backend added as one class."""

from __future__ import annotations

import numpy as np
import pytest

from qcompile import simulate
from qcompile.backends import registry
from qcompile.backends.registry import (Backend, BackendError, available_backends, get_backend, parse_backends,
                                        register_backend)
from qcompile.circuit.ir import Circuit
from qcompile.errors import NotSupportedError, QcompileError
from qcompile.mitigation.simulators import exact_distribution


def _bell() -> Circuit:
    c = Circuit(2, num_clbits=2)
    c.append("h", [0]).append("cx", [0, 1]).append("measure", [0], clbits=[0]).append("measure", [1], clbits=[1])
    return c


def test_shipped_backends_and_what_they_do():
    assert set(available_backends()) >= {"qiskit", "cirq", "qasm2", "qasm3"}
    assert set(simulate.BACKENDS) == {n for n in available_backends() if get_backend(n).simulates}
    assert {"qiskit", "cirq"} <= set(simulate.BACKENDS) and "qasm3" not in simulate.BACKENDS
    assert get_backend("qiskit").simulates_noise and get_backend("cirq").simulates_noise


def test_unknown_name_lists_the_backends_and_suggests_one():
    with pytest.raises(BackendError, match="did you mean 'qiskit'") as err:
        get_backend("qiskt")
    assert isinstance(err.value, QcompileError) and isinstance(err.value, ValueError)
    assert "cirq, qasm2, qasm3, qiskit" in str(err.value)


@pytest.mark.parametrize("text,message", [("qiskit,,", "empty entry"), (",cirq", "empty entry"),
                                          ("qiskit,cirq,qiskit", "more than once"), (" ", "no backend"),
                                          ("qiskit,braket", "unknown backend 'braket'")])
def test_parse_backends_refuses_with_a_sentence(text, message):
    with pytest.raises(BackendError, match=message):
        parse_backends(text)


def test_parse_backends_keeps_the_order_given():
    assert parse_backends(" cirq , qiskit ") == ("cirq", "qiskit")
    assert parse_backends("qasm3") == ("qasm3",)


def test_emit_only_backends_emit_and_refuse_simulation():
    c = Circuit(1)
    c.append("h", [0])
    assert "h q[0];" in get_backend("qasm3").emit(c) and "OPENQASM 2.0;" in get_backend("qasm2").emit(c)
    with pytest.raises(NotSupportedError, match="cannot simulate; backends that can: .*qiskit"):
        simulate.statevector(c, "qasm2")
    with pytest.raises(NotSupportedError):
        get_backend("qasm3").sample(_bell(), 10)
    with pytest.raises(NotSupportedError, match="simulate noise"):
        exact_distribution(_bell(), "depolarizing:0,0", "qasm3")


def test_sample_counts_follow_the_shared_convention_on_every_simulator():
    for name in simulate.BACKENDS:
        if get_backend(name).unavailable():      # e.g. qiskit_gpu without a GPU, qsim without qsimcirq
            continue
        counts = get_backend(name).sample(_bell(), 200, seed=1)
        assert set(counts) <= {"00", "11"} and sum(counts.values()) == 200
        assert get_backend(name).sample(Circuit(1, num_clbits=3), 5) == {"000": 5}


def test_a_simulator_is_one_registered_class(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._registry()))
    monkeypatch.setattr(registry, "_INSTANCES", {})

    @register_backend
    class StandIn(Backend):
        """Runs Qiskit's statevector and returns it unchanged (a stand-in simulator)."""

        name = "stand_in"
        description = "a simulator defined in a test"
        simulates = True

        def statevector(self, circuit, values=None, seed=None, initial_state=None):
            return get_backend("qiskit").statevector(circuit, values, seed, initial_state)

    c = Circuit(2)
    c.append("h", [0]).append("cx", [0, 1])
    assert "stand_in" in simulate.BACKENDS and "stand_in" in available_backends()
    assert np.allclose(simulate.statevector(c, "stand_in"), simulate.statevector(c, "qiskit"))
    with pytest.raises(NotSupportedError, match="stand_in"):
        simulate.unitary(c, "stand_in")
    with pytest.raises(ValueError, match="already registered"):
        register_backend(type("Other", (StandIn,), {"__module__": "elsewhere"}))
