"""qcompile: compile transformer models written in .qtf into quantum circuits."""

from qcompile.errors import (
    BindError, IRVerifyError, NotImplementedYetError, NotSupportedError, PassError,
    QcompileError, QtfSemanticError, QtfSyntaxError, SizeError, WeightError,
)

__version__ = "0.1.0"

__all__ = [
    "BindError", "IRVerifyError", "NotImplementedYetError", "NotSupportedError", "PassError",
    "QcompileError", "QtfSemanticError", "QtfSyntaxError", "SizeError", "WeightError",
]
