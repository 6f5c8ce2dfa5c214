"""Passes over the tensor IR and the circuit IR, and the pass manager that runs them.

Each pass lives in its own module of this package and registers itself with
:func:`register_pass`; :func:`get_pass` and :func:`available_passes` import every module
of the package on first use, so a new pass file needs no edit here.
"""

from qcompile.passes.dumps import DumpDir, PrintIRAfter
from qcompile.passes.manager import (
    Callback, Pass, PassManager, PassRecord, PropertySet, TimePasses,
    available_passes, get_pass, parse_pipeline, register_pass,
)

__all__ = [
    "Callback", "DumpDir", "Pass", "PassManager", "PassRecord", "PrintIRAfter", "PropertySet",
    "TimePasses", "available_passes", "get_pass", "parse_pipeline", "register_pass",
]
