"""The quantum linear-algebra library: loaders, block encodings, LCU, QSVT (DESIGN §5)."""

from qcompile.quantum.base import QuantumBlock

__all__ = ["QuantumBlock"]
