"""Amplitude amplification of a stage circuit whose output is read back exactly.

Setting.  A circuit U on qubits Q starts from |0…0⟩ and leaves ``U|0⟩ = x|g⟩ + √(1−x²)|b⟩``
with ``|g⟩ = |0_anc⟩ ⊗ u`` (u the unit output direction, ``anc`` the post-selected
qubits), ``|b⟩`` orthogonal to every ancilla-0 state, and ``x = √p`` the square root of the
success probability.  Every construction here is built from U, U†, the reflection
``S_t(β) = I − (1 − e^{−iβ})Π`` (``Π`` = ancillas all 0) and ``S_0(a) = I − (1 − e^{ia})|0⟩⟨0|``
(Q all 0), so by Jordan's lemma it acts on the plane spanned by ``|g⟩, |b⟩`` only, and its
post-selected branch is

    g(x)·u  =  (g(x)/x) · (the original post-selected block)

for a *known* scalar function g (the construction's :class:`Response`): the output's
direction is unchanged, and where g is strictly increasing the stage's own ``x`` — hence
``‖y‖ = α·x`` — is ``g⁻¹(‖amplified block‖)`` (:meth:`Response.invert`).  That is how the
run path undoes the amplification (:func:`undo_amplification`), so a run's read-out is
``y`` itself and verification is unchanged.

Constructions (block-checked in ``tests/quantum/test_amplify.py`` on Qiskit and Cirq):

* **Exact amplitude amplification** (:class:`GroverResponse`, :func:`grover_circuit`;
  Brassard–Høyer–Mosca–Tapp, quant-ph/0005055): ``G = −U S_0(π) U† S_t(π)`` applied
  k times to ``U|0⟩`` rotates by ``2θ`` per step, ``sin θ = x``:
  ``g(x) = sin((2k+1)·asin(c·x))``, where an optional rotation ``RY(2 acos c)`` on one
  extra post-selected qubit first scales the good amplitude by a known ``c ≤ 1`` (so the
  end point is reached exactly, the BHMT trick for an exact final step).  Queries: k + 1
  U, k U†.  g is increasing while ``(2k+1)·asin(c·x) ≤ π/2``: usable when a certified
  *upper* bound ``x ≤ x_high`` keeps every admissible x there, i.e. when the bounds on p
  are tight (:func:`design_exact`).
* **Monotone fixed-point amplification** (:class:`PolynomialResponse`,
  :func:`polynomial_circuit`): QSVT (Gilyén–Su–Low–Wiebe) of the rank-one block
  ``Π U |0⟩⟨0|`` (singular value x) with an odd real polynomial P, exactly as the phase-exact
  fixed-point variant of :mod:`qcompile.quantum.amplification`: ``g = P``.  Fixed-point
  amplification must lift every ``x ≥ x_low`` to ``g(x)² ≥`` target whatever x is, and the
  norm must still be recoverable, so P is chosen *strictly increasing* on [0, 1]
  (``P' ≥ s_min``, which also bounds the recovery's condition number) with
  ``P(1) ≤ 1 − 10⁻³`` (hence ``|P| < 1`` on [−1, 1], as QSP needs) and
  ``P(x_low) ≥ √target``; :func:`design_monotone` finds the lowest such degree by linear
  programming over Chebyshev coefficients (``P'`` constrained on a grid by cutting planes, then
  certified on a finer grid and by the roots of ``P'``).  Measured: ``d·x_low ≈ 2.7`` for
  target ½ (``p_low = 10⁻³``: degree 85 vs 25 Grover calls), i.e. queries grow like
  ``1/√p`` as for Grover, about 3.4× more.  Queries: ``⌈d/2⌉`` U, ``⌊d/2⌋`` U†; one more
  ancilla (the QSVT phase qubit).
* **Yoder–Low–Chuang fixed-point search** (arXiv:1409.3305; the circuit is
  :func:`qcompile.quantum.amplification.fixed_point_amplification`, its response
  :class:`YLCResponse`): ``|g(x)|² = P_L(x²) ≥ 1 − δ²`` for every ``x² ≥ w`` with
  ``L ≈ ln(2/δ)/√w`` queries, but g is complex and ``|g|²`` oscillates in ``[1 − δ², 1]``
  across the fixed-point band, so the norm cannot be recovered from the amplified success
  probability: :meth:`YLCResponse.invert` refuses, and the ``amplify`` pass does not offer it
  (it suits a coherent normalisation, where the norm is discarded anyway).

Why not the YLC phases with a monotone magnitude: saturation and invertibility conflict —
any construction whose success is ≥ 1 − δ² on all of ``[w, 1]`` makes ``‖y‖`` invisible
there; a monotone g reaching ≥ target (½ by default) keeps a slope ``≥ s_min``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.errors import NotImplementedYetError, NotSupportedError
from qcompile.quantum.base import QuantumBlock

#: exact amplification stops the rotation this far (radians) before π/2 at the certified
#: upper bound, so g keeps a slope ≥ (2k+1)·c·sin(margin) there
EXACT_MARGIN = 0.1
#: the monotone polynomial's smallest slope on [0, 1] (recovery: |Δx| ≤ |Δg|/s_min)
MIN_SLOPE = 0.02
#: the monotone polynomial's value at 1 (its sup norm): QSP needs |P| < 1
TOP = 1.0 - 1e-3
#: the highest degree :func:`design_monotone` designs (one linear program per degree tried;
#: degree 501 takes about a minute): ``p_low ≳ 2·10⁻⁵`` for target ½
MAX_MONOTONE_DEGREE = 601


# ---- responses ---------------------------------------------------------------------------


class Response:
    """The known good amplitude ``g(x)`` of an amplified circuit as a function of the
    original ``x = √p`` (module docstring), and what follows from it."""

    method: str = ""

    def amplitude(self, x):
        """``g(x)`` (elementwise over arrays)."""
        raise NotImplementedError

    def slope(self, x):
        """``g'(x)``."""
        raise NotImplementedError

    @property
    def calls(self) -> dict:
        """Calls of U and U† (``{"U": …, "U_dagger": …}``)."""
        raise NotImplementedError

    @property
    def x_max(self) -> float:
        """g is strictly increasing on ``[0, x_max]``."""
        return 1.0

    def success(self, p):
        """The amplified success probability ``|g(√p)|²``."""
        return np.abs(self.amplitude(np.sqrt(np.clip(p, 0.0, 1.0)))) ** 2

    def invert(self, r: float) -> float:
        """The x in ``[0, x_max]`` with ``g(x) = r`` (r clipped to ``[0, g(x_max)]``)."""
        raise NotImplementedError

    def recovery_lipschitz(self) -> float:
        """``L`` with ``‖R(b) − R(b')‖ ≤ L‖b − b'‖`` for the read-out map
        ``R(b) = g⁻¹(‖b‖)·b/‖b‖`` on amplified blocks: ``|Δ g⁻¹| ≤ |Δ‖b‖|/min g'`` and, by
        Dunkl–Williams, ``g⁻¹(‖b'‖)·‖b/‖b‖ − b'/‖b'‖‖ ≤ 2 max(x/g(x))·‖b − b'‖``; both on a
        4097-point grid of ``[0, x_max]`` plus its end (where, for these g, the slope is
        smallest and ``x/g`` largest)."""
        xs = np.linspace(0.0, self.x_max, 4097)[1:]
        g = np.abs(self.amplitude(xs))
        return float(1.0 / np.min(self.slope(xs)) + 2.0 * np.max(xs / g))

    def to_json(self) -> dict:
        """The parameters (for ``program.json`` and ``--stats``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class GroverResponse(Response):
    """Exact amplitude amplification: ``g(x) = sin((2k+1)·asin(c·x))`` (``k`` iterations,
    ``c`` the scaling qubit's factor, 1 without it), increasing on ``[0, x_max]`` with
    ``(2k+1)·asin(c·x_max) ≤ π/2``."""

    iterations: int
    scale: float = 1.0
    bound: float = 1.0
    method = "exact"

    @property
    def x_max(self) -> float:
        return float(self.bound)

    def amplitude(self, x):
        return np.sin((2 * self.iterations + 1) * np.arcsin(np.clip(self.scale * np.asarray(x, float), -1, 1)))

    def slope(self, x):
        m, c = 2 * self.iterations + 1, self.scale
        cx = np.clip(c * np.asarray(x, float), -1, 1)
        return m * c * np.cos(m * np.arcsin(cx)) / np.sqrt(np.maximum(1.0 - cx * cx, 1e-300))

    @property
    def calls(self) -> dict:
        return {"U": self.iterations + 1, "U_dagger": self.iterations}

    def invert(self, r: float) -> float:
        m = 2 * self.iterations + 1
        top = float(self.amplitude(self.x_max))
        r = min(max(float(r), 0.0), top)
        return min(self.x_max, math.sin(math.asin(r) / m) / self.scale)

    def to_json(self) -> dict:
        return {"function": "sin((2k+1) asin(c x))", "iterations": self.iterations, "scale": self.scale,
                "monotone_up_to_p": self.x_max ** 2}


@dataclass(frozen=True)
class PolynomialResponse(Response):
    """Monotone fixed-point amplification: ``g = P``, the odd polynomial the QSVT phases
    realise (Chebyshev ``coefficients``, rebuilt from the phases), strictly increasing on
    [0, 1]; ``phases`` are the reflection-convention QSVT phases."""

    coefficients: tuple
    phases: tuple
    min_slope: float = MIN_SLOPE
    method = "fixed-point"

    @property
    def degree(self) -> int:
        """The polynomial's degree (= calls of U and U†)."""
        return len(self.phases) - 1

    def amplitude(self, x):
        return np.polynomial.chebyshev.chebval(x, np.asarray(self.coefficients))

    def slope(self, x):
        return np.polynomial.chebyshev.chebval(x, np.polynomial.chebyshev.chebder(np.asarray(self.coefficients)))

    @property
    def calls(self) -> dict:
        d = self.degree
        return {"U": (d + 1) // 2, "U_dagger": d // 2}

    def invert(self, r: float) -> float:
        top = float(self.amplitude(1.0))
        r = min(max(float(r), 0.0), top)
        lo, hi = 0.0, 1.0
        x = r  # Newton, safeguarded by bisection on the bracket [lo, hi] (g increasing)
        for _ in range(200):
            gx = float(self.amplitude(x)) - r
            if gx == 0.0:
                return x
            if gx > 0:
                hi = x
            else:
                lo = x
            if hi - lo <= 4e-16 * max(hi, 1e-300):
                break
            step = x - gx / float(self.slope(x))
            x = step if lo < step < hi else 0.5 * (lo + hi)
        return x

    def to_json(self) -> dict:
        return {"function": "P(x), odd, increasing on [0, 1]", "degree": self.degree,
                "min_slope": self.min_slope, "P(1)": float(self.amplitude(1.0))}


@dataclass(frozen=True)
class YLCResponse(Response):
    """Yoder–Low–Chuang fixed-point search of length ``L`` and error ``delta``: the complex
    good amplitude of :func:`qcompile.quantum.amplification.fixed_point_amplification`,
    computed in the plane of ``|g⟩, |b⟩`` (``S_s(a) = I − (1 − e^{ia})|s⟩⟨s|``,
    ``|s⟩ = (x, √(1−x²))``): per iteration ``v ← −S_s(α_j)·diag(e^{−iβ_j}, 1)·v``."""

    L: int
    delta: float
    method = "ylc"

    def amplitude(self, x):
        from qcompile.quantum.amplification import ylc_phases

        alphas, betas = ylc_phases(self.L, self.delta)
        xs = np.atleast_1d(np.asarray(x, float))
        out = np.empty(xs.shape, dtype=complex)
        for i, xv in enumerate(xs):
            s = np.array([xv, math.sqrt(max(0.0, 1.0 - xv * xv))], dtype=complex)
            v = s.copy()
            for a, b in zip(alphas, betas):
                v = v * np.array([np.exp(-1j * b), 1.0])
                v = -(v - (1 - np.exp(1j * a)) * s * (s @ v))
            out[i] = v[0]
        return out if np.ndim(x) else out[0]

    def slope(self, x):
        raise NotSupportedError("the YLC response is complex; it has no real slope")

    def success(self, p):
        from qcompile.quantum.amplification import ylc_success_probability

        return np.vectorize(lambda q: ylc_success_probability(self.L, self.delta, float(q)))(p)

    @property
    def calls(self) -> dict:
        return {"U": (self.L + 1) // 2, "U_dagger": (self.L - 1) // 2}

    def invert(self, r: float) -> float:
        raise NotSupportedError("a YLC-amplified block cannot be read back: its success probability oscillates "
                                f"in [{1 - self.delta ** 2:.3g}, 1] over the fixed-point band, so it does not "
                                "determine the stage's norm; use exact or monotone fixed-point amplification")

    def to_json(self) -> dict:
        return {"function": "YLC fixed point", "L": self.L, "delta": self.delta}


# ---- circuits ----------------------------------------------------------------------------


def reflect_zero(circuit: Circuit, qubits) -> None:
    """Append ``I − 2|0…0⟩⟨0…0|`` on ``qubits`` (X on each, a (multi-)controlled Z, X)."""
    qubits = tuple(qubits)
    if not qubits:
        circuit.global_phase += math.pi
        return
    for q in qubits:
        circuit.append("x", (q,))
    circuit.append("z" if len(qubits) == 1 else "mcz", qubits)
    for q in qubits:
        circuit.append("x", (q,))


def _shell(u: Circuit, num_qubits: int) -> Circuit:
    out = Circuit(num_qubits, parameters=dict(u.parameters))
    for name, qs in u.registers.items():
        out.add_register(name, qs)
    return out


def grover_circuit(u: Circuit, ancillas, iterations: int, scale: float = 1.0) -> tuple[Circuit, tuple[int, ...]]:
    """``G^k V|0⟩`` with ``V = U ⊗ RY(2 acos c)`` (the RY on a new last qubit, only when
    ``scale < 1``) and ``G = −V S_0 V† S_t`` (:class:`GroverResponse`).  Returns the
    circuit and its post-selected qubits (``ancillas`` and the scaling qubit)."""
    if iterations < 0 or not 0 < scale <= 1:
        raise NotSupportedError(f"exact amplification needs iterations >= 0 and 0 < scale <= 1, got "
                                f"{iterations}, {scale}")
    n = u.num_qubits
    extra = scale < 1.0
    num = n + int(extra)
    v = _shell(u, num)
    v.compose(u, list(range(n)))
    if extra:
        v.append("ry", (n,), (2.0 * math.acos(scale),))
        v.add_register("amplify.scale", (n,))
    anc = tuple(ancillas) + ((n,) if extra else ())
    v_dag = v.inverse()
    out = v.copy()
    for _ in range(iterations):
        reflect_zero(out, anc)
        out.compose(v_dag)
        reflect_zero(out, range(num))
        out.compose(v)
        out.global_phase += math.pi
    return out, anc


def polynomial_circuit(u: Circuit, ancillas, phases) -> tuple[Circuit, tuple[int, ...]]:
    """The real-part QSVT (:func:`qcompile.quantum.qsvt.real_qsvt_circuit`) of the rank-one
    block ``Π U |0⟩⟨0|`` (input projector: every qubit 0; output projector: ``ancillas`` 0)
    with reflection phases ``phases``: post-selected branch ``P(x)·u``.  Returns the circuit
    and its post-selected qubits (``ancillas`` and the phase qubit, the new last qubit)."""
    from qcompile.quantum.qsvt import real_qsvt_circuit

    anc = tuple(ancillas)
    circuit = real_qsvt_circuit(u, anc, tuple(range(u.num_qubits)), np.asarray(phases, dtype=float))
    return circuit, anc + (u.num_qubits,)


def amplified_circuit(u: Circuit, ancillas, response: Response) -> tuple[Circuit, tuple[int, ...]]:
    """The circuit of ``response``'s construction around ``u``, and its post-selected qubits."""
    if isinstance(response, GroverResponse):
        return grover_circuit(u, ancillas, response.iterations, response.scale)
    if isinstance(response, PolynomialResponse):
        return polynomial_circuit(u, ancillas, response.phases)
    raise NotSupportedError(f"no read-back amplification circuit for {type(response).__name__}")


def amplified_state(block: QuantumBlock, response: Response) -> QuantumBlock:
    """A subnormalised state amplified by ``response``'s construction.  Its post-selected
    branch is ``(g(x)/x)·v/α`` — a data-dependent scalar times the input's block — so
    ``alpha`` stays the input's and ``info["response"]`` says how to undo the scalar
    (:func:`undo_amplification`)."""
    if block.kind != "state":
        raise NotImplementedYetError("amplitude amplification of a block encoding: apply it to a state first")
    circuit, anc = amplified_circuit(block.circuit, block.ancilla_qubits, response)
    system = tuple(block.system_qubits)
    return QuantumBlock(circuit, block.alpha, system, anc, "state", tuple(block.shape),
                        {"response": response, "calls": response.calls})


# ---- design ------------------------------------------------------------------------------


def design_exact(p_low: float, p_high: float, target: float, margin: float = EXACT_MARGIN) -> GroverResponse | None:
    """Exact amplification for ``p ∈ [p_low, p_high]``: the fewest iterations k with
    ``(2k+1)·asin(x_high) ≥ π/2 − margin``, and ``c = sin((π/2 − margin)/(2k+1))/x_high ≤ 1``
    so that ``x_high`` lands at ``π/2 − margin`` (g increasing on ``[0, x_high]``).  Its
    guarantee is ``g(x_low)²``; None when that is below ``target`` (the bounds are not
    tight enough: ``x_low/x_high`` too small)."""
    x_low, x_high = math.sqrt(p_low), math.sqrt(p_high)
    if not 0 < x_low <= x_high <= 1:
        return None
    top = math.pi / 2 - margin
    if math.asin(x_high) >= top:
        k, c = 0, 1.0
    else:
        k = max(0, math.ceil((top / math.asin(x_high) - 1) / 2))
        c = min(1.0, math.sin(top / (2 * k + 1)) / x_high)
    response = GroverResponse(k, c, x_high)
    return response if float(response.success(p_low)) >= target else None


def _lp_best(m: int, x0: float, min_slope: float, top: float):
    """Max ``P(x0)`` over odd ``P = Σ_{k≤m} c_k T_{2k+1}`` with ``P' ≥ min_slope`` on [0, 1]
    and ``P(1) ≤ top``: (value, Chebyshev coefficients of P) or (−inf, None).  Cutting
    planes: the slope constraint starts on 4 points per degree (uniform in ``θ = acos x``)
    and every point of a 32-per-degree grid where the solution dips below ``min_slope``
    is added, until it holds on that grid to 1%."""
    from scipy.optimize import linprog

    n = 2 * np.arange(m + 1) + 1

    def slope_rows(theta):
        with np.errstate(divide="ignore", invalid="ignore"):
            rows = n[None, :] * np.sin(np.outer(theta, n)) / np.sin(theta)[:, None]
        rows[theta == 0] = n.astype(float) ** 2          # U_{2k}(1) (θ → 0)
        return rows

    fine = np.linspace(0.0, math.pi / 2, 32 * (2 * m + 2))
    fine_rows = slope_rows(fine)
    active = np.unique(np.linspace(0, len(fine) - 1, 4 * (2 * m + 2)).astype(int))
    objective = -np.cos(n * math.acos(x0))
    for _ in range(30):
        a_ub = np.vstack([-fine_rows[active], np.ones((1, m + 1))])
        b_ub = np.concatenate([-min_slope * np.ones(len(active)), [top]])
        res = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * (m + 1), method="highs")
        if res.status != 0:
            return -math.inf, None
        slopes = fine_rows @ res.x
        low = np.flatnonzero(slopes < 0.99 * min_slope)
        if not low.size:
            break
        active = np.union1d(active, low)
    else:
        return -math.inf, None
    coef = np.zeros(2 * m + 2)
    coef[1::2] = res.x
    return -float(res.fun), coef


def certify_monotone(coefficients, min_slope: float) -> bool:
    """P strictly increasing on [0, 1] with ``P' ≥ min_slope/2`` for the Chebyshev series
    ``coefficients``: the slope on 64·d points uniform in ``θ = acos x``, and no root of
    ``P'`` within 10⁻⁶ of [0, 1] (the colleague matrix's eigenvalues; a root there, even a
    double one, would show within that distance of the real axis)."""
    cheb = np.polynomial.chebyshev
    c = np.asarray(coefficients, dtype=float)
    d1 = cheb.chebder(c)
    d = max(1, len(c) - 1)
    xs = np.cos(np.linspace(0.0, math.pi / 2, 64 * d + 1))
    if float(np.min(cheb.chebval(xs, d1))) < min_slope / 2:
        return False
    roots = cheb.chebroots(d1)
    return not np.any((np.abs(roots.imag) < 1e-6) & (roots.real >= -1e-9) & (roots.real <= 1 + 1e-9))


def _too_high(p_low: float, target: float, degree: float):
    raise NotImplementedYetError(
        f"monotone fixed-point amplification from p >= {p_low:.3g} to {target:g} needs a degree above "
        f"{MAX_MONOTONE_DEGREE} (about {degree:.0f}); raise the lower bound (p_min) or amplify a stage with "
        "tighter bounds exactly")


def estimated_calls(p_low: float, target: float = 0.5) -> int:
    """Calls of U and U† monotone fixed-point amplification from ``p_low`` to ``target``
    needs, without designing it below ``p = 10⁻³`` (:func:`log10_fixed_point_queries`)."""
    return math.ceil(10.0 ** log10_fixed_point_queries(math.log10(p_low), target))


@functools.lru_cache(maxsize=64)
def _design_monotone(p_low: float, target: float, min_slope: float, top: float) -> PolynomialResponse:
    from qcompile.quantum.polynomials import Polynomial
    from qcompile.quantum.qsp import qsp_phases, rebuilt_chebyshev, wx_to_reflection

    x0 = math.sqrt(p_low)
    want = math.sqrt(target)
    best: dict[int, tuple] = {}

    def ok(m: int) -> bool:
        if m not in best:
            best[m] = _lp_best(m, x0, min_slope, top)
        value, coef = best[m]
        return coef is not None and value >= want * (1 + 1e-9) and certify_monotone(coef, min_slope)

    limit = (MAX_MONOTONE_DEGREE - 1) // 2
    if 2.7 / x0 > MAX_MONOTONE_DEGREE:
        _too_high(p_low, target, 2.7 / x0)
    m = min(limit, max(0, math.ceil((2.75 / x0 - 1) / 2)))
    if ok(m):
        while m > 0 and ok(m - 1):
            m -= 1
    else:
        lo = m
        while not ok(m):
            if m >= limit:
                _too_high(p_low, target, 2.75 / x0)
            lo, m = m, min(limit, 2 * m + 1)
        while m - lo > 1:
            mid = (lo + m) // 2
            if ok(mid):
                m = mid
            else:
                lo = mid
    design = Polynomial(tuple(best[m][1]), "odd")
    wx = qsp_phases(design, convention="wx", tolerance=1e-11)
    realised = rebuilt_chebyshev(wx)
    realised[0::2] = 0.0
    if not certify_monotone(realised, min_slope) or np.polynomial.chebyshev.chebval(x0, realised) < want:
        raise NotSupportedError("the QSP phases of the monotone amplification polynomial lost its guarantee")
    return PolynomialResponse(tuple(float(c) for c in realised), tuple(float(p) for p in wx_to_reflection(wx)),
                              min_slope)


def design_monotone(p_low: float, target: float, min_slope: float = MIN_SLOPE, top: float = TOP) -> PolynomialResponse:
    """The lowest-degree monotone fixed-point polynomial (module docstring) lifting every
    ``p ≥ p_low`` to ``P(√p)² ≥ target``, with its QSP phases (the polynomial they realise,
    rebuilt from them and certified again, is the response)."""
    if not 0 < p_low < 1:
        raise NotSupportedError(f"fixed-point amplification needs 0 < p_low < 1, got {p_low!r}")
    if not 0 < target <= top ** 2:
        raise NotSupportedError(f"the target success probability must be in (0, {top ** 2:.4f}], got {target!r}")
    return _design_monotone(float(f"{p_low:.12g}"), float(target), float(min_slope), float(top))


METHODS = ("auto", "exact", "fixed-point")


def design(p_low: float, p_high: float, target: float, method: str = "auto") -> Response:
    """The amplification of a stage with certified ``p ∈ [p_low, p_high]``: ``"exact"``
    (:func:`design_exact`, refused when the bounds are not tight enough), ``"fixed-point"``
    (:func:`design_monotone`), or ``"auto"``: exact when it reaches the target, else
    fixed-point."""
    if method not in METHODS:
        raise NotSupportedError(f"unknown amplification method {method!r}; use {', '.join(METHODS)}")
    if method in ("auto", "exact"):
        exact = design_exact(p_low, p_high, target)
        if exact is not None:
            return exact
        if method == "exact":
            raise NotSupportedError(f"exact amplification cannot guarantee {target:g} for p in [{p_low:.3g}, "
                                    f"{p_high:.3g}]: the bounds are not tight enough (it needs x_low/x_high ≳ "
                                    "0.5); use method=fixed-point")
    return design_monotone(p_low, target)


# ---- cost at any scale ---------------------------------------------------------------------


def log10_exact_queries(log10_p: float) -> float:
    """log10 of the calls of U and U† of exact amplification from a known ``p``: ``2k + 1``
    with BHMT's ``k = ⌊π/(4θ)⌋``, ``sin θ = √p`` (success ≥ 1 − p; ``≈ (π/2)/√p`` calls for
    small p, in log space so that ``p = 10^(−286772)`` works)."""
    if log10_p > -8:
        theta = math.asin(math.sqrt(10.0 ** log10_p))
        return math.log10(2 * math.floor(math.pi / (4 * theta)) + 1)
    return math.log10(math.pi / 2) - 0.5 * log10_p


#: growth of the designed ``d·√p`` from ``p = 10⁻³`` to smaller p (measured for target ½:
#: 2.688 at 10⁻³, 2.730 at 10⁻⁴, 2.744 at 3·10⁻⁵: ×1.021), rounded up
FIXED_POINT_GROWTH = 1.03


def log10_fixed_point_queries(log10_p: float, target: float = 0.5) -> float:
    """log10 of the degree (calls of U and U†) of monotone fixed-point amplification from
    ``p`` to ``target``: designed exactly (:func:`design_monotone`) down to ``p = 10⁻³``;
    below that an estimate, ``d ≈ 1.03·C/√p`` with ``C`` the designed ``d·√p`` at ``10⁻³``
    (:data:`FIXED_POINT_GROWTH`; designing at 10⁻⁴ takes ~15 s, too long for a resource
    estimate)."""
    if log10_p >= -3:
        return math.log10(design_monotone(10.0 ** log10_p, target).degree)
    d = design_monotone(1e-3, target).degree
    return math.log10(FIXED_POINT_GROWTH * d * math.sqrt(1e-3)) - 0.5 * log10_p


# ---- stage circuits --------------------------------------------------------------------------


def stage_response(sc) -> Response | None:
    """The :class:`Response` of an amplified stage circuit (None when not amplified)."""
    amp = sc.info.get("amplification")
    return None if amp is None else amp["response"]


def undo_amplification(sc, amps: np.ndarray) -> np.ndarray:
    """The stage's own post-selected amplitudes from an amplified run's: ``amps·x/‖amps‖``
    with ``x = g⁻¹(‖amps‖)`` (module docstring); ``amps`` unchanged for a stage that is not
    amplified."""
    response = stage_response(sc)
    if response is None:
        return amps
    r = float(np.linalg.norm(amps))
    if r == 0.0:
        return amps
    return amps * (response.invert(r) / r)
