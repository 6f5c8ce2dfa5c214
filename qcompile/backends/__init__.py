"""Emitters from the circuit IR to Qiskit, Cirq and OpenQASM.  Each imports its library lazily.

``to_qiskit``/``unitary`` (:mod:`.qiskit`), ``to_cirq``/``resolver``/
``unitary_cirq``/``statevector_cirq`` (:mod:`.cirq`), ``to_qasm`` (:mod:`.qasm`).
"""

from qcompile.backends.cirq import resolver, statevector_cirq, to_cirq, unitary_cirq
from qcompile.backends.qasm import to_qasm
from qcompile.backends.qiskit import to_qiskit, unitary

__all__ = ["resolver", "statevector_cirq", "to_cirq", "to_qasm", "to_qiskit",
           "unitary", "unitary_cirq"]
