"""Emitters from the circuit IR to Qiskit, Cirq and OpenQASM.  Each imports its library lazily."""
