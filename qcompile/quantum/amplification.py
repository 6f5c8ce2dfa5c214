"""Fixed-point amplitude amplification (Yoder, Low, Chuang, arXiv:1409.3305).

Input: a subnormalised state (U, a, α) of v: U|0⟩ = |0_a⟩ ⊗ v/α + |bad⟩, success
probability λ = ‖v‖²/α² (data dependent), known only to satisfy λ ≥ w (the
``success_lower_bound``).  With |s⟩ = U|0⟩, target projector Π_T = |0_a⟩⟨0_a| ⊗ I and

    S_t(β) = I − (1 − e^{−iβ}) Π_T,   S_s(α) = U S_0(α) U†,   S_0(α) = I − (1 − e^{iα})|0⟩⟨0|,
    S_L = G(α_l, β_l) ⋯ G(α_1, β_1) U,   G(α, β) = −S_s(α) S_t(β),   L = 2l + 1,

YLC's closed form  α_j = −β_{l−j+1} = 2·cot⁻¹(tan(2πj/L)·√(1 − γ²)),
γ⁻¹ = T_{1/L}(1/δ) = cosh(arccosh(1/δ)/L)  gives success probability

    P_L(λ) = 1 − δ² · T_L(T_{1/L}(1/δ)·√(1 − λ))²  ≥ 1 − δ²   for every λ ∈ [1 − γ², 1].

(The sign of β relative to the paper's S_t is fixed by checking P_L numerically, see the
tests.)  L is the smallest odd integer with width 1 − γ(L)² ≤ w (YLC's exact width formula);
YLC's asymptotic estimate L ≈ ln(2/δ)/√w is recorded in ``info["ylc_bound"]``
(measured: the exact L is within +2 of it, e.g. δ = 0.1, w = 0.01 → L = 31 vs 29.96).
Oracle calls: l + 1 U and l U†; each iteration adds two multi-controlled phases
(a and n + a controls).

**What the output encodes (α and the contract).**  S_L leaves the 2-d space spanned by
|0_a⟩⊗u and the bad state invariant, u = v/‖v‖, so the post-selected branch is
c(λ)·u with |c(λ)|² = P_L(λ) ∈ [1 − δ², 1] and a phase arg c(λ) that depends on λ, i.e. on
the data.  The norm ‖v‖ is *lost* (it is the normalisation point this construction
replaces): the output is an SS of the direction u with **α = 1**, exact in direction,
with a magnitude error ≤ 1 − √(1 − δ²) ≈ δ²/2 and a data-dependent phase on the good
branch (global after post-selection).  That phase is harmless when the block is
post-selected and measured, or followed by further products; it is NOT harmless as one
branch of an LCU (e.g. layer norm's + β after a coherent normalisation) — use
``method="qsvt"`` there (recorded in ``info["phase"]``).  The norm ‖v‖, if needed, must come from the known affine part of
the program (DESIGN §1 "normalisation point").

**Phase-exact variant** (``method="qsvt"``).  The same task is a QSVT of the rank-one
block Π U |0⟩⟨0| (singular value √λ, right vector |0…0⟩, left vector |0_a⟩u) with a
real odd polynomial P ≈ sign: the real-part QSVT circuit (one extra phase qubit, see
:mod:`qcompile.quantum.qsvt`) leaves exactly P(√λ)·u on the good branch, with P real and
P(x) ∈ [√(1 − δ²), 1] on [√w, 1], so no data-dependent phase.  P is the odd Chebyshev
interpolant of erf(κx), κ = erfc⁻¹(δ²/8)/√w, to sup error δ²/16, scaled to sup norm
1 − δ²/16 (then P ≥ 1 − 5δ²/16 > √(1 − δ²) on [√w, 1], and this is re-checked on a dense
grid).  Cost: degree d calls (⌈d/2⌉ U, ⌊d/2⌋ U†), about 3× YLC's L
(δ = 0.1, w = 0.05: d = 43 vs L = 15; δ = 0.1, w = 0.01: 97 vs 31), and one more
ancilla (the phase qubit, last qubit).
"""

from __future__ import annotations

import math

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.errors import NotImplementedYetError, NotSupportedError
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.polynomials import Polynomial, chebyshev_approximation, scale_to_unit


def _chebyshev_t(n: int, x: float) -> float:
    if abs(x) <= 1:
        return math.cos(n * math.acos(x))
    return math.copysign(1.0, x) ** n * math.cosh(n * math.acosh(abs(x)))


def ylc_gamma(L: int, delta: float) -> float:
    """γ = 1 / T_{1/L}(1/δ) = 1 / cosh(arccosh(1/δ)/L)."""
    return 1.0 / math.cosh(math.acosh(1.0 / delta) / L)


def ylc_success_probability(L: int, delta: float, success_probability: float) -> float:
    """YLC's P_L(λ) = 1 − δ² T_L(T_{1/L}(1/δ)·√(1 − λ))²."""
    g = ylc_gamma(L, delta)
    return 1.0 - delta**2 * _chebyshev_t(L, math.sqrt(max(0.0, 1.0 - success_probability)) / g) ** 2


def ylc_length(delta: float, success_lower_bound: float) -> int:
    """Smallest odd L with 1 − γ(L, δ)² ≤ w (YLC's width condition)."""
    w = success_lower_bound
    L = 1
    while 1.0 - ylc_gamma(L, delta) ** 2 > w:
        L += 2
    return L


def ylc_phases(L: int, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """(α_1..α_l, β_1..β_l): α_j = −β_{l−j+1} = 2 cot⁻¹(tan(2πj/L) √(1 − γ²))."""
    l = (L - 1) // 2
    g = ylc_gamma(L, delta)
    j = np.arange(1, l + 1)
    alphas = 2.0 * np.arctan2(1.0, np.tan(2 * np.pi * j / L) * math.sqrt(1.0 - g * g))
    return alphas, -alphas[::-1]


def _phase_on_zero(circuit: Circuit, qubits: tuple[int, ...], angle: float) -> None:
    """Multiply the |0…0⟩ component of ``qubits`` by e^{i·angle}."""
    if not qubits:
        circuit.global_phase += angle
        return
    for q in qubits:
        circuit.append("x", (q,))
    if len(qubits) == 1:
        circuit.append("p", qubits, (angle,))
    else:
        circuit.append("mcp", qubits, (angle,))
    for q in qubits:
        circuit.append("x", (q,))


def fixed_point_amplification(block: QuantumBlock, delta: float, success_lower_bound: float, *,
                              method: str = "ylc") -> QuantumBlock:
    """SS of the direction v/‖v‖ from an SS of v, by fixed-point amplification.

    Post-selected success probability ≥ 1 − δ² for every input success probability
    λ ∈ [success_lower_bound, 1].  α_out = 1 (see the module docstring).
    ``method="ylc"``: Yoder–Low–Chuang, same qubits and ancillas as ``block``, U called
    l + 1 times, U† l times, L = 2l + 1; the good branch carries a data-dependent phase.
    ``method="qsvt"``: phase-exact (good branch = P(√λ)·u, P real), ancillas + 1.
    """
    if block.kind != "state":
        raise NotImplementedYetError("fixed-point amplification of a block encoding: apply it to a state first")
    if not 0 < delta < 1:
        raise NotSupportedError(f"delta must be in (0, 1), got {delta}")
    if not 0 < success_lower_bound <= 1:
        raise NotSupportedError(f"success_lower_bound must be in (0, 1], got {success_lower_bound}")
    if method == "qsvt":
        return _qsvt_amplification(block, delta, success_lower_bound)
    if method != "ylc":
        raise NotSupportedError(f"unknown amplification method {method!r} (use 'ylc' or 'qsvt')")
    L = ylc_length(delta, success_lower_bound)
    alphas, betas = ylc_phases(L, delta)
    u = block.circuit
    u_dag = u.inverse()
    allq = tuple(range(u.num_qubits))
    anc = tuple(block.ancilla_qubits)
    circuit = Circuit(u.num_qubits, parameters=dict(u.parameters))
    for name, qs in u.registers.items():
        circuit.add_register(name, qs)
    circuit.compose(u)
    for a, b in zip(alphas, betas):
        _phase_on_zero(circuit, anc, -float(b))   # S_t(β): e^{−iβ} on the good subspace
        circuit.compose(u_dag)
        _phase_on_zero(circuit, allq, float(a))   # S_0(α)
        circuit.compose(u)
        circuit.global_phase += math.pi           # G = −S_s S_t
    bound = math.log(2.0 / delta) / math.sqrt(success_lower_bound)
    info = {"method": "ylc", "L": L, "iterations": (L - 1) // 2, "delta": delta, "success_lower_bound": success_lower_bound,
            "width": 1.0 - ylc_gamma(L, delta) ** 2, "ylc_bound": bound, "alphas": alphas, "betas": betas,
            "calls": {"U": (L + 1) // 2, "U_dagger": (L - 1) // 2}, "input_alpha": block.alpha,
            "magnitude_bounds": (math.sqrt(1.0 - delta**2), 1.0),
            "phase": "data-dependent phase arg c(λ) on the good branch"}
    return QuantumBlock(circuit, 1.0, tuple(block.system_qubits), anc, "state", tuple(block.shape), info)


def sign_polynomial(delta: float, success_lower_bound: float) -> Polynomial:
    """Odd real P with |P| < 1 on [-1, 1] and P ≥ √(1 − δ²) on [√w, 1] (erf interpolant,
    see the module docstring); raises if the dense-grid check of that bound fails."""
    from scipy.special import erf, erfcinv

    root_w = math.sqrt(success_lower_bound)
    kappa = float(erfcinv(delta**2 / 8)) / root_w
    p = chebyshev_approximation(lambda x: erf(kappa * x), delta**2 / 16, parity="odd",
                                label=f"erf({kappa:.6g} x)")
    p, _ = scale_to_unit(p, delta**2 / 16)
    grid = np.linspace(root_w, 1.0, 4001)
    low = float(np.min(p(grid)))
    if low < math.sqrt(1.0 - delta**2):  # pragma: no cover - guarded by the error budget above
        raise NotSupportedError(f"sign polynomial reaches only {low:.12g} on [√w, 1]")
    return p


def _qsvt_amplification(block: QuantumBlock, delta: float, w: float) -> QuantumBlock:
    from qcompile.quantum.qsp import qsp_phases
    from qcompile.quantum.qsvt import real_qsvt_circuit

    p = sign_polynomial(delta, w)
    ph = qsp_phases(p)
    u = block.circuit
    anc = tuple(block.ancilla_qubits)
    circuit = real_qsvt_circuit(u, anc, tuple(range(u.num_qubits)), ph)
    d = len(ph) - 1
    info = {"method": "qsvt", "polynomial": p, "degree": d, "phases": ph, "delta": delta,
            "success_lower_bound": w, "calls": {"U": (d + 1) // 2, "U_dagger": d // 2},
            "input_alpha": block.alpha, "magnitude_bounds": (math.sqrt(1.0 - delta**2), 1.0),
            "phase": "none: the good branch is P(√λ)·u with P real and positive on [√w, 1]"}
    return QuantumBlock(circuit, 1.0, tuple(block.system_qubits), anc + (u.num_qubits,), "state",
                        tuple(block.shape), info)
