"""Elementwise functions: one registry entry each, read by every part of the compiler.

An entry (:class:`ElementwiseFunction`) holds everything qcompile needs to know about a
scalar nonlinearity ``f``:

* ``exact`` — the NumPy function (float64, PyTorch's semantics): the exact reference's
  kernel and the target the polynomials approximate;
* ``growth`` — how the polynomial degree grows as the tolerance ε shrinks: ``"log"`` for
  entire functions (degree ~ log 1/ε), ``"inverse"`` for a kink (degree ~ 1/ε); the
  error budget favours the expensive ones (:mod:`qcompile.lowering.polynomials`);
* ``lipschitz(a)`` — a bound on ``|f'|`` over ``[−a, a]`` (error propagation);
* ``approximate(a, tolerance, max_degree)`` — the polynomial of ``f(a·t)`` on ``[−1, 1]``
  the compiler uses (default: the smallest-degree Chebyshev interpolant);
* ``degree_estimate(a, tolerance)`` and ``log_scale(a)`` — the resource estimator's
  degree bound and ``ln`` of the QSVT scale ``sup|f_even| + sup|f_odd|`` of ``f(a·t)``
  without fitting (defaults: a Chebyshev coefficient tail from a DCT, a dense grid);
* ``language`` — whether ``.qtf`` models can write ``name(x)`` (``exp`` is used by
  softmax only, ``gaussian`` by Gaussian attention only);
* ``log_lipschitz(a)`` — for a function whose values are attention weights normalised
  by their sum (the ``softmax`` op's ``function``: ``exp``, ``gaussian``), a bound on
  ``|f'/f|`` over ``[−a, a]`` (how far the normalised weights move with the scores,
  :class:`qcompile.qir.glue.BlockSum`); None for the others;
* ``parity`` — ``"even"`` or ``"odd"`` when ``f`` is (its interpolants are too: one QSVT
  sequence, no sum of parity parts), which the resource estimator counts; None otherwise.

The tensor IR's ``elementwise`` op, the NumPy reference, the lowering, polynomial
selection and the resource estimator all read this registry, so adding a function is one
:func:`register_function` call (see the README's "Extending qcompile").
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from qcompile.errors import NotSupportedError


@dataclass(frozen=True)
class ElementwiseFunction:
    """One elementwise nonlinearity (see the module docstring for each field)."""

    name: str
    exact: Callable[[np.ndarray], np.ndarray]
    description: str
    lipschitz: Callable[[float], float]
    growth: str = "log"
    approximate: Callable | None = None
    degree_estimate: Callable | None = None
    log_scale: Callable[[float], float] | None = None
    language: bool = True
    log_lipschitz: Callable[[float], float] | None = None
    parity: str | None = None

    def __post_init__(self):
        if self.growth not in ("log", "inverse"):
            raise ValueError(f"growth of {self.name!r} must be 'log' or 'inverse', got {self.growth!r}")
        if self.parity not in (None, "even", "odd"):
            raise ValueError(f"parity of {self.name!r} must be 'even', 'odd' or None, got {self.parity!r}")

    @property
    def shiftable(self) -> bool:
        """True when the compiler realises ``f`` by the shifted even rule wherever an
        argument allows it (:func:`qcompile.lowering.polynomials.shifted_choice`): ``f`` has
        no parity and its degree grows like ``log(1/ε)`` (a kinked ``f``'s degree grows like
        ``1/ε``, and the even fit of its shifted variable would multiply that)."""
        return self.parity is None and self.growth == "log"

    def __call__(self, x) -> np.ndarray:
        """``exact`` on a float64 array."""
        return self.exact(np.asarray(x, dtype=np.float64))

    def polynomial(self, a: float, tolerance: float, max_degree: int, label: str = ""):
        """The polynomial of ``f(a·t)`` on ``[−1, 1]`` within ``tolerance``
        (:class:`~qcompile.quantum.polynomials.Polynomial`)."""
        if self.approximate is not None:
            return self.approximate(a, tolerance, max_degree)
        from qcompile.quantum.polynomials import chebyshev_approximation

        return chebyshev_approximation(self.exact, tolerance, a, max_degree, label=label or f"{self.name}({a:.6g} t)")

    def estimated_degree(self, a: float, tolerance: float) -> tuple[int, float]:
        """An upper bound of the degree :meth:`polynomial` picks, and its error bound."""
        if self.degree_estimate is not None:
            return self.degree_estimate(a, tolerance)
        from qcompile.quantum.degrees import chebyshev_tail_degree

        return chebyshev_tail_degree(self.exact, a, tolerance)

    def log_qsvt_scale(self, a: float) -> float:
        """``ln(sup|f_even(a·t)| + sup|f_odd(a·t)|)`` over ``t ∈ [−1, 1]``."""
        if self.log_scale is not None:
            return self.log_scale(a)
        t = np.linspace(0.0, 1.0, 4097)
        up, down = self.exact(a * t), self.exact(-a * t)
        return math.log(float(np.max(np.abs(up + down))) / 2 + float(np.max(np.abs(up - down))) / 2)


_REGISTRY: dict[str, ElementwiseFunction] = {}


def register_function(entry: ElementwiseFunction) -> ElementwiseFunction:
    """Add an elementwise function to the registry (a name may be registered once)."""
    old = _REGISTRY.get(entry.name)
    if old is not None and old is not entry:
        raise ValueError(f"an elementwise function named {entry.name!r} is already registered")
    _REGISTRY[entry.name] = entry
    return entry


def get_function(name: str) -> ElementwiseFunction:
    """The registered function ``name``; :class:`~qcompile.errors.NotSupportedError` if unknown."""
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise NotSupportedError(f"unknown elementwise function '{name}'{hint}; known: "
                                f"{', '.join(sorted(_REGISTRY))}") from None


def is_function(name: str, language: bool = True) -> bool:
    """True if ``name`` is registered (and, with ``language``, usable in ``.qtf``)."""
    entry = _REGISTRY.get(name)
    return entry is not None and (entry.language or not language)


def function_names(language: bool = True) -> list[str]:
    """The registered names, sorted (only the ``.qtf`` ones with ``language``)."""
    return sorted(n for n, e in _REGISTRY.items() if e.language or not language)


# ---- the built-in functions ----------------------------------------------------------------


def gelu(x):
    """GELU in the erf form (PyTorch's default): x/2 · (1 + erf(x/√2))."""
    from scipy.special import erf

    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    """GELU's tanh approximation (``torch.nn.GELU(approximate="tanh")``, GPT-2's
    ``gelu_new``): x/2 · (1 + tanh(√(2/π)(x + 0.044715 x³)))."""
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def relu(x):
    """max(x, 0)."""
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def silu(x):
    """SiLU (swish), ``torch.nn.SiLU``: x · sigmoid(x) = x / (1 + e^(−x))."""
    from scipy.special import expit

    x = np.asarray(x, dtype=float)
    return x * expit(x)


def sigmoid(x):
    """The logistic function ``1/(1 + e^(−x))`` (``torch.sigmoid``)."""
    from scipy.special import expit

    return expit(np.asarray(x, dtype=float))


def gaussian(x):
    """The Gaussian kernel of quantum self-attention (QSANN): exp(−x²)."""
    x = np.asarray(x, dtype=float)
    return np.exp(-x * x)


def _relu_polynomial(a, tolerance, max_degree):
    from qcompile.quantum.polynomials import relu_approximation

    return relu_approximation(a, tolerance, max_degree)


def _relu_degree(a, tolerance):
    from qcompile.quantum.degrees import relu_minimax_degree

    return relu_minimax_degree(a, tolerance)


def _exp_degree(a, tolerance):
    from qcompile.quantum.degrees import exp_degree

    return exp_degree(a, tolerance)


def _gaussian_degree(a, tolerance):
    from qcompile.quantum.degrees import gaussian_degree

    return gaussian_degree(a, tolerance)


def _gelu_log_scale(a):
    from scipy.special import erf

    return math.log(a * float(erf(a / math.sqrt(2.0))) / 2.0 + a / 2.0)


EXP = register_function(ElementwiseFunction(
    "exp", np.exp, "e^x, the numerator of softmax", lipschitz=lambda a: math.exp(a) if a < 709 else math.inf,
    degree_estimate=_exp_degree, log_scale=lambda a: a, language=False, log_lipschitz=lambda a: 1.0))
#: sup |d/dx exp(−x²)| = √(2/e) at x = 1/√2 (and 2a·e^(−a²) ≤ 2a below it); even with
#: sup 1, so its QSVT scale is 1 whatever a; |(ln f)'(x)| = 2|x| ≤ 2a
GAUSSIAN = register_function(ElementwiseFunction(
    "gaussian", gaussian, "exp(−x²), the weights of Gaussian (QSANN) attention",
    lipschitz=lambda a: min(math.sqrt(2.0 / math.e), 2.0 * a), degree_estimate=_gaussian_degree,
    log_scale=lambda a: 0.0, language=False, log_lipschitz=lambda a: 2.0 * a, parity="even"))
#: sup |GELU'(x)| = Φ(√2) + √2 φ(√2) ≈ 1.1289, attained at x = √2
GELU = register_function(ElementwiseFunction(
    "gelu", gelu, "GELU, erf form (torch.nn.GELU())", lipschitz=lambda a: 1.13, log_scale=_gelu_log_scale))
RELU = register_function(ElementwiseFunction(
    "relu", relu, "max(x, 0) (torch.nn.ReLU); its kink makes the degree grow like 1/tolerance",
    lipschitz=lambda a: 1.0, growth="inverse", approximate=_relu_polynomial, degree_estimate=_relu_degree,
    log_scale=lambda a: math.log(a)))
#: sup |SiLU'(x)| = σ(x*)(1 + x*(1 − σ(x*))) ≈ 1.0998, at x* ≈ 2.3994
SILU = register_function(ElementwiseFunction(
    "silu", silu, "x·sigmoid(x) (torch.nn.SiLU)", lipschitz=lambda a: 1.1))
#: sup |σ'| = 1/4 (at 0); σ = 1/2 + tanh(x/2)/2: even part 1/2, odd part sup tanh(a/2)/2, so
#: its QSVT scale is σ(a) < 1 whatever a (no e^a, unlike exp); a two-way softmax lowers to it
SIGMOID = register_function(ElementwiseFunction(
    "sigmoid", sigmoid, "1/(1 + e^(−x)) (torch.sigmoid); a softmax over two entries lowers to it",
    lipschitz=lambda a: 0.25, log_scale=lambda a: -math.log1p(math.exp(-a))))
#: sup |gelu_tanh'(x)| ≈ 1.12899 (numerically, like the erf form's)
GELU_TANH = register_function(ElementwiseFunction(
    "gelu_tanh", gelu_tanh, "GELU, tanh approximation (torch.nn.GELU(approximate='tanh'), GPT-2)",
    lipschitz=lambda a: 1.13))
