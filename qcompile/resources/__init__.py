"""Resource estimation without gate lists.

:mod:`qcompile.resources.counts` holds the leaf layer: one cost function per quantum-library
construction, taking only sizes, degrees, flags and child costs, and returning the exact gate
counts of the circuit the library would build (at -O0).  This package module stays import-light
on purpose (no circuit building, no Qiskit).
"""
