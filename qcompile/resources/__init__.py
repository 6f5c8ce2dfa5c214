"""Resource estimation without gate lists.

:mod:`qcompile.resources.counts` holds the leaf layer: one cost function per quantum-library
construction, taking only sizes, degrees, flags and child costs, and returning the exact gate
counts of the circuit the library would build (at -O0) — except the dense dilation, whose Qiskit
synthesis depends on the matrix: its generic count is an upper bound, used for abstract weights,
while :mod:`qcompile.resources.estimate` synthesises each concrete weight block once (compiled
mode), so compiled -O0 estimates are exact.  This package module stays import-light on purpose
(no circuit building, no Qiskit).
"""
