"""Zero-noise extrapolation: unitary folding and extrapolation to zero noise.

Folding scales the noise while leaving the ideal circuit unchanged:

* gate-level (``fold_gates``): each selected gate ``G`` (default: the 2-qubit gates, which
  carry most of the error) becomes ``G (G† G)^k`` for the odd scale ``λ = 2k + 1``;
* global (``fold_global``): ``U (U† U)^k L† L`` where ``L`` is the last ``r`` gates, with
  ``k, r`` chosen so that ``(d + 2(k d + r))/d ≈ λ`` for ``d`` gates (any ``λ ≥ 1``);
  only for circuits without measure/reset.

Extrapolation (``extrapolation_weights``): a value measured at scales ``λ_i`` is fitted by
a polynomial in ``λ`` and evaluated at 0.  Richardson = the interpolating polynomial
(degree ``S − 1``); ``linear``/``poly2``… = least-squares fits of that degree.  Every
estimate is a fixed linear combination ``Σ w_i y_i`` with ``Σ w_i = 1``, so it applies
element-wise to whole probability vectors, quasi-probabilities included.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from qcompile.circuit.gates import NON_UNITARY
from qcompile.circuit.ir import Circuit
from qcompile.mitigation.noise import TWO_QUBIT_GATES, NoiseSpecError


class MitigationError(NoiseSpecError):
    """A mitigation option is invalid (scale factors, extrapolation, folding, DD sequence)."""


def check_scales(scales: Sequence[float], gate_level: bool) -> tuple[float, ...]:
    """Validated scale factors: distinct, ``≥ 1``, at least two; odd integers for gate folding."""
    out = tuple(float(s) for s in scales)
    if len(out) < 2 or len(set(out)) != len(out):
        raise MitigationError(f"zero-noise extrapolation needs at least two distinct scale factors, got {list(scales)}")
    for s in out:
        if not (math.isfinite(s) and s >= 1.0):
            raise MitigationError(f"scale factors must be numbers >= 1, got {s:g}")
        if gate_level and (s != round(s) or int(s) % 2 == 0):
            raise MitigationError(f"gate-level folding needs odd integer scale factors (1, 3, 5, ...), got {s:g}")
    return out


def fold_gates(circuit: Circuit, scale: float, gates: Iterable[str] = TWO_QUBIT_GATES) -> Circuit:
    """Each gate named in ``gates`` becomes ``G (G† G)^((λ−1)/2)`` (odd integer ``λ``)."""
    (scale,) = check_scales([scale, scale + 2], gate_level=True)[:1]
    k = (int(scale) - 1) // 2
    names = set(gates)
    out = circuit.copy()
    out.gates = []
    for g in circuit.gates:
        out.gates.append(g)
        if g.name in names:
            inv = g.inverse()
            for _ in range(k):
                out.gates.extend((inv, g))
    return out


def fold_global(circuit: Circuit, scale: float) -> Circuit:
    """``U (U† U)^k L† L`` with about ``λ`` times the gates (module doc); unitary circuits only."""
    check_scales([scale, scale + 2], gate_level=False)
    if any(g.name in NON_UNITARY for g in circuit.gates):
        raise MitigationError("global folding needs a circuit without measure/reset; use gate-level folding")
    body = [g for g in circuit.gates if g.name != "barrier"]
    d = len(body)
    extra = int(round(d * (scale - 1) / 2))
    k, r = divmod(extra, d) if d else (0, 0)
    inverse = [g.inverse() for g in reversed(body)]
    out = circuit.copy()
    for _ in range(k):
        out.gates.extend(inverse)
        out.gates.extend(body)
    if r:
        out.gates.extend(inverse[:r])
        out.gates.extend(body[d - r:])
    return out


def folded_scale(circuit: Circuit, folded: Circuit, gates: Iterable[str] = TWO_QUBIT_GATES) -> float:
    """The realised scale: (selected gates after) / (selected gates before)."""
    names = set(gates)
    before = sum(1 for g in circuit.gates if g.name in names)
    after = sum(1 for g in folded.gates if g.name in names)
    return after / before if before else 1.0


def extrapolation_weights(scales: Sequence[float], method: str = "richardson") -> np.ndarray:
    """Weights ``w`` with ``estimate(0) = Σ w_i y(λ_i)``.

    ``richardson``: Lagrange interpolation at 0, ``w_i = Π_{j≠i} λ_j/(λ_j − λ_i)``;
    ``linear``: least-squares line; ``polyD``: least-squares polynomial of degree D
    (D < number of scales).  Raises MitigationError for an unknown method or too few scales.
    """
    lam = np.asarray(scales, dtype=float)
    s = lam.size
    if method == "richardson":
        degree = s - 1
    elif method == "linear":
        degree = 1
    elif method.startswith("poly") and method[4:].isdigit():
        degree = int(method[4:])
    else:
        raise MitigationError(f"unknown extrapolation '{method}'; use 'richardson', 'linear' or 'polyD' (e.g. poly2)")
    if not 1 <= degree < s:
        raise MitigationError(f"extrapolation '{method}' needs more than {degree} scale factors, got {s}")
    vander = np.vander(lam, degree + 1, increasing=True)
    return np.linalg.pinv(vander)[0]


def extrapolate(scales: Sequence[float], values: np.ndarray, method: str = "richardson") -> np.ndarray:
    """Zero-noise estimate of ``values[i]`` (scalars or vectors) measured at ``scales[i]``."""
    w = extrapolation_weights(scales, method)
    return np.tensordot(w, np.asarray(values, dtype=float), axes=(0, 0))
