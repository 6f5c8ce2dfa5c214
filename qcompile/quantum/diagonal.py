"""Diagonal block encoding of a subnormalised state's amplitudes (COPY construction,
research/algorithms.md §2; Rattew & Rebentrost arXiv:2309.09839 Thm 2).

Given a state block ``U`` with ``U|0⟩ = |0_a⟩ ⊗ v/α + (garbage with ancilla ≠ 0)`` on
system register ``S`` (n qubits), add a fresh n-qubit register ``D`` and::

    W = CNOT^{⊗n}_{D_i → S_i} · (U ⊗ I_D)

(control: fresh qubit ``D_i``; target: old system qubit ``S_i``).  Then
``W |0⟩_S|0_a⟩|j⟩_D = Σ_k (v_k/α)|k⊕j⟩_S|0_a⟩|j⟩_D + garbage``, and projecting ``S`` and
the old ancillas on 0 keeps ``k = j``: ``(⟨0|_{S,a} ⊗ I) W (|0⟩_{S,a} ⊗ I) = diag(v)/α``.
So ``alpha = α`` (unchanged), ancillas ``n + a`` (old system + old ancillas), system = D,
cost: one U and n CX.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.multiplexor import multiplexor_angles
from qcompile.quantum.state_preparation import append_multiplexed_ry


def diagonal_from_state(state: QuantumBlock) -> QuantumBlock:
    """Block encoding of ``diag(v)`` from a subnormalised state of ``v`` (COPY construction).

    ``alpha = state.alpha``; ancillas ``n + a`` (``n`` system, ``a`` ancilla qubits of the
    state); the fresh system register is placed after the state's qubits.
    """
    if state.kind != "state":
        raise ValueError("diagonal_from_state needs a subnormalised state, got a block encoding")
    old = state.circuit.num_qubits
    n = len(state.system_qubits)
    fresh = tuple(range(old, old + n))
    circuit = Circuit(old + n, parameters=dict(state.circuit.parameters))
    for name, qs in state.circuit.registers.items():
        circuit.add_register(name, qs)
    circuit.compose(state.circuit, list(range(old)))
    for d, s in zip(fresh, state.system_qubits):
        circuit.append("cx", (d, s))
    circuit.add_unique_register("diag", fresh)
    length = state.shape[0] if len(state.shape) == 1 else 2**n
    return QuantumBlock(circuit, state.alpha, fresh, tuple(state.system_qubits) + tuple(state.ancilla_qubits),
                        "block_encoding", (length, length), {"copied_from": tuple(state.system_qubits)})


def constant_angles(values, weight: float, n: int) -> np.ndarray:
    """Multiplexor angles (Gray-code order) of ``RY(θ_j)`` with ``cos(θ_j/2) = values[j]/weight``
    for ``j < 2^n`` (entries past ``len(values)`` are 0); ``|values| ≤ weight`` required."""
    v = np.zeros(2**n)
    v[:len(values)] = np.asarray(values, dtype=float)
    if weight <= 0 or np.any(np.abs(v) > weight * (1 + 1e-12)):
        raise ValueError("a constant diagonal needs |values| ≤ weight and weight > 0")
    return multiplexor_angles(2.0 * np.arccos(np.clip(v / weight, -1.0, 1.0)))


def constant_diagonal(values, weight: float, n: int) -> QuantumBlock:
    """Block encoding of the fixed ``diag(values)`` (``2^n`` entries, zero-padded) with
    ``alpha = weight ≥ max|values|``: a multiplexed ``RY(θ_j)`` on one ancilla controlled by
    the system register, ``cos(θ_j/2) = values_j/weight``, so
    ``⟨0|_a ⟨i| U |j⟩|0⟩_a = δ_ij·values_j/weight``.  Ancillas 1; ``2^n`` RY and ``2^n`` CX."""
    circuit = Circuit(n + 1)
    append_multiplexed_ry(circuit, n, tuple(range(n)), [float(a) for a in constant_angles(values, weight, n)])
    return QuantumBlock(circuit, float(weight), tuple(range(n)), (n,), "block_encoding", (2**n, 2**n))


@dataclass(frozen=True)
class NormFold:
    """Norm flags folded into a :func:`shifted_diagonal`'s weights: ``powers[k]`` input
    block encodings of ``loader``'s matrix built without their flag
    (:func:`qcompile.quantum.input_block_encoding.input_block_encoding` with
    ``flag=False``) in state ``k``; the weights are the parameter vector ``name``."""

    name: str
    loader: object
    powers: tuple[int, ...]


@dataclass
class FoldedWeights:
    """The binder of a shifted diagonal's input-dependent weights (:func:`shifted_diagonal`):
    ``bind(X)`` gives ``{name: angles}`` for the input matrix ``X`` its folded flags stood
    for: the constant term's ``φ``, then PREP's tree angles."""

    name: str
    loader: object
    weights: tuple[float, ...]
    powers: tuple[int, ...]
    weight: float
    layout: object
    info: dict = field(default_factory=lambda: {
        "computes": "an LCU's state preparation and one rotation from the input's norm (a folded norm flag)"})

    def bind(self, x) -> dict[str, np.ndarray]:
        """The angles for input ``X`` (checked by the flagged loader: shape, finite, bound)."""
        flag = self.loader.bind(x)[self.loader.name][0]
        r = math.cos(flag / 2.0)                      # ‖X‖_F / B, as the flag would have loaded it
        w = [wk * r**p for wk, p in zip(self.weights, self.powers)]
        rest = self.weight + sum(wk - v for wk, v in zip(self.weights, w))
        phi = 2.0 * math.acos(min(1.0, self.weight / rest)) if rest > 0 else 0.0
        return {self.name: np.concatenate([[phi], self.layout.angles(w + [rest])])}


def shifted_diagonal(coefficients, states, n: int, constant=None, weight: float = 0.0,
                     folded: NormFold | None = None) -> QuantumBlock:
    """Block encoding of ``diag(Σ_k c_k v_k + w)`` (first ``2^n`` entries) from the states of
    the ``v_k`` and a fixed vector ``w`` with ``max|w| ≤ weight`` (a shift plus the
    argument's constant terms), with ``w`` folded into the LCU of the states as one more
    term of no ancilla: no qubit beyond the COPY diagonal of ``Σ_k c_k v_k``'s LCU state
    wherever the prefix code has room for it.

    Construction.  Pad every state to ``m`` system qubits ``S`` (the widest; ``m ≥ n``) and
    add ``n`` fresh qubits ``D`` (the output) as further system qubits none of them
    touches.  The *constant term* is ``C = Π_i CX(D_i → S_i) · R``, ``R`` a multiplexed
    ``RY(θ_j)`` on ``S_0`` controlled by ``D`` with ``cos(θ_j/2) = w_j/weight`` (left out
    when ``w`` is constant: then ``θ = 0``, ``constant=None`` means ``w = weight``).
    Take ``L = lcu(c_1 … c_K, weight; U_1 … U_K, C)`` (:func:`qcompile.quantum.lcu.lcu`,
    index and block ancillas ``R``, ``λ = Σ_k |c_k| α_k + weight``) and then
    ``CX(D_i → S_i)`` for ``i < n`` (the COPY step).  For input ``|j⟩_D`` with ``S``, ``R``
    at 0, ``L``'s block is ``Σ_k (c_k α_k/λ) U_k/α_k + (weight/λ) C``; the COPY step maps
    ``U_k``'s state ``Σ_l (v_k[l]/α_k)|l⟩_S`` to ``|l ⊕ j⟩_S`` (``S = 0`` iff ``l = j``:
    amplitude ``v_k[j]/α_k``), and ``C|0⟩_S|j⟩_D = cos(θ_j/2)|j⟩_S + sin(θ_j/2)|j ⊕ 1⟩_S``
    to ``cos(θ_j/2)|0⟩_S + …|1⟩_S`` (amplitude ``w_j/weight``).  ``D`` is only read, so
    post-selecting ``S`` and ``R`` on 0 leaves ``diag(Σ_k c_k v_k + w)/λ`` (``S``'s top
    ``m − n`` qubits read 0, the entries past ``2^n`` being zero).  The copy step commutes
    with ``L``'s ``PREP†`` (disjoint qubits).  ``alpha = λ``; ancillas ``m + |R|``; cost:
    ``L`` and ``n`` CX.

    Folded norm flags (``folded``, :class:`NormFold`).  A loader's flag only scales its
    block by ``r = ‖X‖_F/B``; state ``k`` built with ``p_k`` flagless input block encodings
    of ``X`` is ``v_k/(α_k r^{p_k})``, one ancilla per flag fewer.  Give it the weight
    ``|c_k| α_k r^{p_k}`` in PREP and the constant term the rest,
    ``weight' = weight + Σ_k |c_k| α_k (1 − r^{p_k})``: the weights still sum to ``λ``.  The
    constant term gains ``RY(φ)`` on ``S_1`` with ``cos(φ/2) = weight/weight'``; ``S_1``
    starts at 0 and the two ``CX(D_1 → S_1)`` cancel on it, so its amplitude is
    ``(w_j/weight)·cos(φ/2) = w_j/weight'`` (the rest of it leaves ``S ≠ 0``, post-selected
    away).  The block is ``Σ_k (|c_k| α_k r^{p_k}/λ) sign(c_k) v_k/(α_k r^{p_k}) +
    (weight'/λ)(w/weight') = diag(Σ_k c_k v_k + w)/λ``: the same block with the same
    ``alpha`` (a term with ``r = 0`` has weight 0 and whatever its state is).  Only PREP's
    angles and ``φ`` depend on ``r``: the parameter vector ``folded.name`` (``φ`` first),
    whose binder is ``info["binder"]`` (:class:`FoldedWeights`, ``O(size of X)`` at bind
    time); ``R`` keeps its fixed angles.  ``S`` has at least 2 qubits then (one more where
    ``m = 1``).
    """
    from qcompile.quantum.lcu import lcu

    fold = folded is not None and any(folded.powers)
    m = max([len(s.system_qubits) for s in states] + [n, 2 if fold else 1])
    padded = [_widened(s, m + n) for s in states]
    term = Circuit(m + n)
    if constant is not None:
        append_multiplexed_ry(term, 0, tuple(range(m, m + n)),
                              [float(a) for a in constant_angles(constant, weight, n)])
    if fold:
        term.append("ry", (1,), (term.declare_parameters(folded.name, 1)[0],))
    for i in range(n):
        term.append("cx", (m + i, i))
    const_term = QuantumBlock(term, 1.0, tuple(range(m + n)), (), "state", (2 ** (m + n),))
    coeffs = list(coefficients) + [float(weight)]
    out = lcu(coeffs, padded + [const_term], prep_parameters=(folded.name, 1) if fold else None)
    circuit = out.circuit.copy()
    s_reg, d_reg = out.system_qubits[:m], out.system_qubits[m:]
    for i in range(n):
        circuit.append("cx", (d_reg[i], s_reg[i]))
    circuit.add_unique_register("diag", d_reg)
    info = {"copied_from": tuple(s_reg)}
    if fold:
        info["binder"] = FoldedWeights(folded.name, folded.loader,
                                       tuple(abs(c) * s.alpha for c, s in zip(coefficients, states)),
                                       tuple(folded.powers), float(weight), out.info["prep_layout"])
    return QuantumBlock(circuit, out.alpha, tuple(d_reg), tuple(s_reg) + tuple(out.ancilla_qubits),
                        "block_encoding", (2**n, 2**n), info)


def _widened(state: QuantumBlock, width: int) -> QuantumBlock:
    """``state`` on ``width`` system qubits: fresh untouched qubits on top."""
    k = len(state.system_qubits)
    old = state.circuit.num_qubits
    c = Circuit(old + width - k, parameters=dict(state.circuit.parameters))
    c.compose(state.circuit)
    extra = tuple(range(old, old + width - k))
    return QuantumBlock(c, state.alpha, tuple(state.system_qubits) + extra, tuple(state.ancilla_qubits),
                        "state", (2**width,), {})
