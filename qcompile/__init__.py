"""qcompile: compile transformer models written in .qtf into quantum circuits.

Public API::

    model = qcompile.load("examples/encoder_block.qtf")   # parse, build, desugar, verify
    y = qcompile.reference(model, x)                       # NumPy reference, [seq, d_model]
    print(model.ir.to_text())                              # the tensor IR
    prog = qcompile.compile(model, tolerance=1e-3)         # input-parametric stage circuits
    prog.run(x).output                                     # alpha × post-selected amplitudes
    qcompile.verify(prog, inputs=5).ok                     # vs surrogate and exact references
"""

from qcompile.errors import (
    BindError, InternalError, IRVerifyError, NotImplementedYetError, NotSupportedError, PassError,
    QcompileError, QtfSemanticError, QtfSyntaxError, SizeError, WeightError,
)
from qcompile import reference
from qcompile.model import Model, load
from qcompile.passes.manager import PassManager
from qcompile.compiler import compile
from qcompile.verification import verify
from qcompile.program import Program
from qcompile.stacked import StackedProgram
from qcompile.reference import select_output

__version__ = "0.1.0"

__all__ = [
    "BindError", "InternalError", "IRVerifyError", "Model", "NotImplementedYetError", "NotSupportedError",
    "PassError", "PassManager", "Program", "QcompileError", "QtfSemanticError", "QtfSyntaxError", "StackedProgram",
    "SizeError", "WeightError", "compile", "load", "reference", "select_output", "verify",
]
