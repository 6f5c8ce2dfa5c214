"""Backends: emitters from the circuit IR to Qiskit, Cirq and OpenQASM, and the simulators
that run the emitted circuits, each registered by name (:mod:`.registry`).  Each imports
its library lazily.

``get_backend``/``available_backends``/``parse_backends``/``register_backend``
(:mod:`.registry`); ``to_qiskit``/``unitary`` (:mod:`.qiskit`), ``to_cirq``/``resolver``/
``unitary_cirq``/``statevector_cirq`` (:mod:`.cirq`), ``to_qasm`` (:mod:`.qasm`).
"""

from qcompile.backends.cirq import resolver, statevector_cirq, to_cirq, unitary_cirq
from qcompile.backends.qasm import to_qasm
from qcompile.backends.qiskit import to_qiskit, unitary
from qcompile.backends.registry import (Backend, BackendError, available_backends, get_backend, parse_backends,
                                        register_backend)

__all__ = ["Backend", "BackendError", "available_backends", "get_backend", "parse_backends", "register_backend",
           "resolver", "statevector_cirq", "to_cirq", "to_qasm", "to_qiskit", "unitary", "unitary_cirq"]
