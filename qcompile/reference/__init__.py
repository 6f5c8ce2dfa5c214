"""The NumPy reference transformer: kernels and the tensor-IR interpreter."""

from qcompile.reference.interpreter import (
    bind_inputs, evaluate, nonlinear_nodes, reference, select_output,
)

__all__ = ["bind_inputs", "evaluate", "nonlinear_nodes", "reference", "select_output"]


def _make_callable() -> None:
    """Let ``qcompile.reference(model, x, ...)`` call :func:`reference` while
    ``qcompile.reference`` stays this package (so ``qcompile.reference.kernels`` works)."""
    import sys
    import types

    class _CallableModule(types.ModuleType):
        def __call__(self, model, x, mode="exact", polynomials=None):
            return reference(model, x, mode=mode, polynomials=polynomials)

    sys.modules[__name__].__class__ = _CallableModule


_make_callable()
