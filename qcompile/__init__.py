"""qcompile: compile transformer models written in .qtf into quantum circuits.

Public API::

    model = qcompile.load("examples/encoder_block.qtf")   # parse, build, desugar, verify
    y = qcompile.reference(model, x)                       # NumPy reference, [seq, d_model]
    print(model.ir.to_text())                              # the tensor IR
    prog = qcompile.compile(model, tolerance=1e-3)         # input-parametric stage circuits
    prog.run(x).output                                     # alpha × post-selected amplitudes
    qcompile.verify(prog, inputs=5).ok                     # vs surrogate and exact references
    qcompile.bind_parameters(prog, x)                      # the QASM 3 inputs for input x

Every mistake a caller can make raises a :class:`QcompileError` subclass, all of them
importable from here (``qcompile.WeightError``, ``qcompile.BackendError``, …); a broken
invariant raises :class:`InternalError`.  The API's names are imported on first use, so
``import qcompile`` (and the command line's cheap commands) do not load Qiskit or Cirq.
"""

import importlib

from qcompile.errors import (
    BindError, InternalError, IRVerifyError, NotImplementedYetError, NotSupportedError, PassError,
    QcompileError, QcompileWarning, QtfSemanticError, QtfSyntaxError, SizeError, SourceLocation, WeightError,
)

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY = {
    "reference": "qcompile.reference",
    "select_output": "qcompile.reference",
    "Model": "qcompile.model",
    "load": "qcompile.model",
    "PassManager": "qcompile.passes.manager",
    "compile": "qcompile.compiler",
    "verify": "qcompile.verification",
    "Program": "qcompile.program",
    "StackedProgram": "qcompile.stacked",
    "bind_parameters": "qcompile.binding",
    # QcompileError subclasses defined beside the code that raises them
    "BackendError": "qcompile.backends.registry",
    "NoiseSpecError": "qcompile.mitigation.noise",
    "MitigationError": "qcompile.mitigation.zne",
    "PhaseFindingError": "qcompile.quantum.qsp",
    "PolynomialError": "qcompile.quantum.polynomials",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qcompile' has no attribute {name!r}")
    if name == "reference":
        value = importlib.import_module(module)
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BackendError", "BindError", "InternalError", "IRVerifyError", "MitigationError", "Model",
    "NoiseSpecError", "NotImplementedYetError", "NotSupportedError", "PassError", "PassManager",
    "PhaseFindingError", "PolynomialError", "Program", "QcompileError", "QcompileWarning",
    "QtfSemanticError", "QtfSyntaxError", "SizeError", "SourceLocation", "StackedProgram", "WeightError",
    "bind_parameters", "compile", "load", "reference", "select_output", "verify",
]
