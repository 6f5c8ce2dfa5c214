"""The quantum IR: staged linear forms of block encodings, between the tensor IR and circuits.

* :mod:`~qcompile.qir.nodes` — the records (factors, sources, terms, forms);
* :mod:`~qcompile.qir.program` — :class:`QuantumIR`, :class:`Stage`, :class:`MatrixInput`;
* :mod:`~qcompile.qir.glue` — the classical glue between stages, one class per kind;
* :mod:`~qcompile.qir.algebra` — exact operations on forms; :mod:`~qcompile.qir.fold` —
  the IR-level fusion's simplifications;
* :mod:`~qcompile.qir.visitor` — the walk every interpreter shares: the printer, the
  verifier, :mod:`~qcompile.qir.evaluate` (NumPy), :mod:`~qcompile.qir.bounds` (error
  bounds), and outside this package the circuit builder and the resource estimator;
* :mod:`~qcompile.qir.linalg` — concrete and abstract (shape and norms only) matrices.
"""

from qcompile.qir.glue import GLUE_KINDS, BlockSum, Glue, Normalize, NormalizeRows, NormalizeScaled
from qcompile.qir.nodes import (ROW, AlphaNotKnownYet, Const, Dense, Diagonal, Form, InputMatrix, InputRow, Nonlinear,
                                RankOne, Rotary, RotaryKeys, StageInput, Term)
from qcompile.qir.program import MatrixInput, QuantumIR, Stage

__all__ = [
    "GLUE_KINDS", "ROW", "AlphaNotKnownYet", "BlockSum", "Const", "Dense", "Diagonal", "Form", "Glue", "InputMatrix",
    "InputRow", "MatrixInput", "Nonlinear", "Normalize", "NormalizeRows", "NormalizeScaled", "QuantumIR",
    "RankOne", "Rotary", "RotaryKeys", "Stage", "StageInput", "Term",
]
