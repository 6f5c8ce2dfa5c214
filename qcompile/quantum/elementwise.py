"""Elementwise function of a subnormalised state's amplitudes (DESIGN §5 row "elementwise f(v)").

From an SS (U, a, α) of v (N = 2^n entries, t = v/α ∈ [-1, 1]):

1. ``diagonal_from_state``: block encoding of diag(t) (α unchanged, n + a ancillas);
2. QSVT with P_raw ≈ g(t) = f(α·t) on [-1, 1] (Chebyshev interpolation, smallest degree
   with sup error ≤ ``tolerance``; ReLU's minimax construction; or the ``polynomial``
   given; the registry entry's rule, :mod:`qcompile.functions`): for definite parity P_raw
   is scaled to P = P_raw/K with |P| ≤ 1 − margin and QSVT'd with ``scale=K``; for mixed
   parity the QSVT scales its even/odd parts (K = K_e + K_o) and adds them by LCU.
   Either way the result encodes diag(P_raw(t)) with α_QSVT = K;
   (for diag(t) singular-value QSVT equals the elementwise polynomial: P(t_k) for every
   sign of t_k, research/algorithms.md §2);
3. apply to |+⟩ⁿ (H on the diagonal's system register): diag(P_raw(t))/K · |+⟩ⁿ has
   amplitudes P_raw(t_k)/(K·√N).

Result: an SS of the vector w_k = P_raw(v_k/α) ≈ f(v_k), with
**α_out = K·√N** (K = scale of the definite-parity polynomial, or K_e + K_o for mixed
parity) and ancillas = n + a (diagonal) + 1 (QSVT phase qubit) [+ 1 LCU index when mixed].
Success probability ‖w‖²/α_out².  Padded entries (v shorter than N) hold P_raw(0) ≈ f(0).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.errors import NotSupportedError
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.polynomials import (DENSE_GRID_POINTS, DIRECT_SUP_DEGREE, Polynomial, chebyshev_approximation,
                                          scale_to_unit)
from qcompile.quantum.qsvt import qsvt


def _sup_error(p: Polynomial, g: Callable) -> float:
    """max |P − g| on a uniform grid and the Chebyshev extrema of order 8·degree; above
    degree :data:`DIRECT_SUP_DEGREE` on the 16(d+1)+1 Chebyshev extrema by a DCT (the grid
    evaluation is O(d²))."""
    if p.degree > DIRECT_SUP_DEGREE:
        from qcompile.quantum.polynomials import _chebyshev_extrema_values

        t, vals = _chebyshev_extrema_values(np.array(p.coefficients), 16 * (p.degree + 1), signed=True)
        return float(np.max(np.abs(vals - g(t))))
    t = np.concatenate([np.linspace(-1, 1, DENSE_GRID_POINTS),
                        np.cos(np.pi * np.arange(8 * p.degree + 65) / (8 * p.degree + 64))])
    return float(np.max(np.abs(p(t) - g(t))))


def elementwise(state: QuantumBlock, function: str | Callable | None, tolerance: float, *,
                polynomial: Polynomial | None = None, margin: float = 1e-2,
                max_degree: int = 1000) -> QuantumBlock:
    """Subnormalised state of f(v) (elementwise) from a subnormalised state of v.

    ``function``: the name of a registered elementwise function (:mod:`qcompile.functions`:
    ``"exp"``, ``"gelu"`` (erf form), ``"relu"``, ...), its registry entry, or a NumPy callable;
    ``tolerance``: sup error allowed for P_raw vs f(α·t) on [-1, 1] (absolute, in units of
    f).  ``polynomial``: use this P_raw (an approximation of f(α·t) on [-1, 1]) instead of
    interpolating; its error vs f is still measured when ``function`` is given.
    α_out = K·√N (see the module docstring); ``info`` records ``polynomial`` (P_raw),
    ``degree``, ``error`` (measured sup error vs f(α·t)), ``K``, ``function``.
    """
    if state.kind != "state":
        raise NotSupportedError("elementwise needs a subnormalised state (kind 'state'), got a block encoding")
    from qcompile.quantum.diagonal import diagonal_from_state

    return elementwise_of_diagonal(diagonal_from_state(state), function, tolerance, polynomial=polynomial,
                                   margin=margin, max_degree=max_degree, shape=tuple(state.shape))


def elementwise_of_diagonal(diag: QuantumBlock, function: str | Callable | None, tolerance: float, *,
                            polynomial: Polynomial | None = None, margin: float = 1e-2, max_degree: int = 1000,
                            shape: tuple | None = None) -> QuantumBlock:
    """Subnormalised state of f(v) from a block encoding of ``diag(v)/α`` (steps 2 and 3 of
    the module docstring; ``α = diag.alpha`` must bound ``max|v_i|``, e.g. a row-wise
    diagonal of scores, :mod:`qcompile.quantum.row_diagonal`).  ``shape``: the state's
    logical shape (default the diagonal's length)."""
    if diag.kind != "block_encoding":
        raise NotSupportedError("elementwise_of_diagonal needs a block encoding of a diagonal")
    if function is None and polynomial is None:
        raise NotSupportedError("elementwise needs a function or a polynomial")
    if isinstance(function, str):
        from qcompile.functions import get_function

        function = get_function(function)
    label = getattr(function, "name", None) or getattr(function, "__name__", "f")
    f = function
    alpha = float(diag.alpha)
    g = None if f is None else (lambda t: np.asarray(f(alpha * np.asarray(t, dtype=float)), dtype=float))
    if polynomial is None and hasattr(function, "polynomial"):
        p_raw = function.polynomial(alpha, tolerance, max_degree, label=f"{label}({alpha:g} t)")
    elif polynomial is None:
        p_raw = chebyshev_approximation(function, tolerance, alpha, max_degree, label=f"{label}({alpha:g} t)")
    else:
        p_raw = polynomial
    error = None if g is None else _sup_error(p_raw, g)

    if p_raw.definite_parity is not None:
        unit, k = scale_to_unit(p_raw, margin)
        be = qsvt(diag, unit, scale=k)
    else:
        be = qsvt(diag, p_raw, margin=margin)
        k = be.alpha
    n = len(be.system_qubits)
    circuit = Circuit(be.circuit.num_qubits, parameters=dict(be.circuit.parameters))
    for name, qs in be.circuit.registers.items():
        circuit.add_register(name, qs)
    for q in be.system_qubits:
        circuit.append("h", (q,))
    circuit.compose(be.circuit)
    info = {"polynomial": p_raw, "degree": p_raw.degree, "error": error, "tolerance": tolerance,
            "K": k, "function": label, "input_alpha": alpha, "qsvt": be.info}
    return QuantumBlock(circuit, k * math.sqrt(2**n), be.system_qubits, be.ancilla_qubits, "state",
                        tuple(shape) if shape is not None else (diag.shape[0],), info)
