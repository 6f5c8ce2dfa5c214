"""Quantum singular value transformation (Gilyén–Su–Low–Wiebe arXiv:1806.01838) with a real
polynomial, realised exactly as the real part of a projector-phase sequence.

Given a block encoding (U, a, α) of A (so the block is Ã = A/α) and a real polynomial P
of definite parity with |P| < 1 on [-1, 1], with reflection phases Φ' from
:func:`qcompile.quantum.qsp.qsp_phases` the sequence (rightmost factor first in time)

    U_Φ' = PC(φ'_0) U_1 PC(φ'_1) ⋯ U_d PC(φ'_d),   U_k = U if d−k even else U†,
    PC(φ) = e^{iφ(2Π−I)},  Π = |0^a⟩⟨0^a| ⊗ I

has ancilla-0 block P_Φ'^{(SV)}(Ã) with a *complex* polynomial P_Φ' whose real part is P.
Running the same sequence with −Φ' gives the conjugate polynomial, so

    ½ (U_Φ' + U_{−Φ'})   has block   P^{(SV)}(Ã).

One extra *phase qubit* q does both at once: H on q, then every PC(φ) is
``MCX(anc = 0 → q) · RZ(2φ) on q · MCX`` (open controls by X conjugation), which applies
e^{+iφ(2Π−I)} on the q = 0 branch and e^{−iφ(2Π−I)} on the q = 1 branch; a final H on q
and post-selecting q = 0 averages the two branches.  The first and last PC act on the
ancilla-0 subspace only (the block's input and output), where they are the plain phase
e^{±iφ} on branch q: both are one ``RZ(−2(φ'_0 + φ'_d))`` on q (exact for the block).

Meaning of the block: P^{(SV)}(Ã) = W P(Σ) V† for odd P and V P(Σ) V† for even P, with
Ã = W Σ V† (so P(Ã) itself for Hermitian/diagonal Ã).

Formulae (definite parity, degree d, input block with a ancillas):
α_out = ``scale`` (default 1; a caller that used P = f/K passes ``scale=K``);
ancillas = a + 1 (the phase qubit, last qubit); calls: ⌈d/2⌉ U and ⌊d/2⌋ U†;
2(d−1) MCX gates with a controls (X for a = 0).
Mixed parity: even and odd parts, each scaled to sup norm 1 − margin by K_e, K_o, get
their own QSVT and are combined by ``lcu([K_e, K_o], [even, odd])``:
α_out = scale·(K_e + K_o), ancillas = a + 1 + 1 (LCU index).
"""

from __future__ import annotations

import numpy as np

from qcompile.circuit.ir import Circuit, Gate
from qcompile.errors import NotSupportedError
from qcompile.quantum.base import QuantumBlock
from qcompile.quantum.polynomials import Polynomial, parity_parts, scale_to_unit
from qcompile.quantum.qsp import qsp_phases


def _free(circuit: Circuit, name: str, qubits) -> None:
    circuit.add_gate(Gate(name, tuple(qubits), free=True))


def _projector_phase(circuit: Circuit, ancillas: tuple[int, ...], q: int, phi: float) -> None:
    """PC(φ) = e^{iφ(2Π−I)} on branch q = 0 (e^{−iφ(2Π−I)} on q = 1), Π = ancillas all 0.

    Only the RZ is a controlled-when-controlled gate; the MCX pair around it is free
    (it cancels when the RZ is left out)."""
    def flip():
        if ancillas:
            for a in ancillas:
                _free(circuit, "x", (a,))
            _free(circuit, "mcx", ancillas + (q,))
            for a in ancillas:
                _free(circuit, "x", (a,))
        else:  # Π = I: the phase qubit's role is flipped unconditionally
            _free(circuit, "x", (q,))

    flip()
    circuit.append("rz", (q,), (2.0 * phi,))
    flip()


def real_qsvt_circuit(u: Circuit, output_zero: tuple[int, ...], input_zero: tuple[int, ...],
                      phases: np.ndarray) -> Circuit:
    """The circuit ½(U_Φ' + U_{−Φ'}) on ``u``'s qubits + one phase qubit (the new last qubit).

    Projectors: Π̃ (input side) = ``input_zero`` qubits all 0, Π (output side) =
    ``output_zero`` qubits all 0; PC(φ_k) uses Π̃ when d − k is even and Π otherwise, so
    ``(⟨0|_q ⊗ Π) circuit (|0⟩_q ⊗ Π̃) = Re-part polynomial P^{(SV)}(Π U Π̃)``.  The first
    and last PC are folded into one RZ on the phase qubit (exact on Π̃ → Π).
    """
    ph = np.asarray(phases, dtype=float)
    d = len(ph) - 1
    m = u.num_qubits
    q = m
    body = Circuit(m + 1, parameters=dict(u.parameters))
    for name, qs in u.registers.items():
        body.add_register(name, qs)
    body.add_unique_register("qsvt.phase", (q,))  # nested QSVT: qsvt.phase2, …
    # Free gates (see qcompile.circuit.ir): with every phase left out the sequence is
    # U U† U ⋯ — pairs cancel, so every call is free except the last one of an odd degree,
    # and controlling the whole QSVT costs only controlled phase rotations.
    u_free = _all_free(u)
    u_dag = _all_free(u.inverse())
    body.add_gate(Gate("h", (q,), free=True))
    body.append("rz", (q,), (-2.0 * (ph[0] + ph[d]) if d else -2.0 * ph[0],))
    # time order: PC(φ_d), U_d, PC(φ_{d−1}), U_{d−1}, …, U_1, PC(φ_0); PC(φ_0/φ_d) folded above
    for k in range(d, 0, -1):
        if k != d:
            _projector_phase(body, input_zero if (d - k) % 2 == 0 else output_zero, q, float(ph[k]))
        last_unpaired = k == 1 and d % 2 == 1
        call = u if last_unpaired else (u_free if (d - k) % 2 == 0 else u_dag)
        body.compose(call, list(range(m)))
    body.add_gate(Gate("h", (q,), free=True))
    return body


def _all_free(c: Circuit) -> Circuit:
    """A copy of ``c`` with every gate free; its global phase moves into the free gates'
    account only when it cancels (U and U† calls come in pairs)."""
    out = c.copy()
    out.gates = [g.as_free() for g in c.gates]
    return out


def qsvt_definite(block: QuantumBlock, polynomial: Polynomial, *, scale: float = 1.0,
                  phases: np.ndarray | None = None, tolerance: float = 1e-10) -> QuantumBlock:
    """QSVT of a definite-parity real P: block encoding of scale·P^{(SV)}(A/α).

    α_out = ``scale``; ancillas = a + 1 (phase qubit = new last qubit); U called
    ⌈d/2⌉ times and U† ⌊d/2⌋ times.  ``phases`` (reflection convention) may be passed
    to skip phase finding; otherwise :func:`qsp_phases` finds and verifies them.
    """
    if block.kind != "block_encoding":
        raise NotSupportedError("qsvt needs a block encoding; for a state use diagonal_from_state first")
    from qcompile.quantum.combine import settled

    block = settled(block)  # U and U† alternate on one register
    parity = polynomial.definite_parity
    if parity is None:
        raise NotSupportedError("qsvt_definite needs a polynomial of definite parity")
    ph = qsp_phases(polynomial, tolerance=tolerance) if phases is None else np.asarray(phases, float)
    d = len(ph) - 1
    anc = tuple(block.ancilla_qubits)
    body = real_qsvt_circuit(block.circuit, anc, anc, ph)
    q = block.circuit.num_qubits
    info = {"polynomial": polynomial, "degree": d, "phases": ph, "parity": parity,
            "calls": {"U": (d + 1) // 2, "U_dagger": d // 2}, "input_alpha": block.alpha}
    return QuantumBlock(body, float(scale), tuple(block.system_qubits), anc + (q,),
                        "block_encoding", tuple(block.shape), info)


def qsvt(block_encoding: QuantumBlock, polynomial: Polynomial, *, scale: float = 1.0,
         margin: float = 1e-2, tolerance: float = 1e-10) -> QuantumBlock:
    """Block encoding of scale·P^{(SV)}(A/α) for a real polynomial P.

    Definite parity (|P| < 1 on [-1, 1] required): :func:`qsvt_definite`,
    α_out = scale, ancillas a + 1.

    Mixed parity (any real P): P = P_e + P_o; each part is scaled to sup norm 1 − margin,
    P_e = K_e·P̂_e, P_o = K_o·P̂_o (K = sup|part|/(1 − margin)), gets its own QSVT, and
    the two are combined by ``lcu([K_e, K_o], [QSVT(P̂_e), QSVT(P̂_o)])``:
    α_out = scale·(K_e + K_o) (≤ 2·scale/(1 − margin) when |P| ≤ 1, and e.g.
    cosh β + sinh β = e^β instead of 2·cosh β for exp(β t)), ancillas a + 2
    (each part's phase qubit on the shared LCU ancillas + 1 LCU index).
    ``info`` records the polynomial, degree, K_e, K_o and both parts' info.
    """
    if polynomial.definite_parity is not None:
        return qsvt_definite(block_encoding, polynomial, scale=scale, tolerance=tolerance)
    from qcompile.quantum.lcu import lcu

    parts = []
    for part in parity_parts(polynomial):
        unit, k = scale_to_unit(part, margin)
        parts.append((qsvt_definite(block_encoding, unit, tolerance=tolerance), k))
    out = lcu([k for _, k in parts], [b for b, _ in parts])
    info = dict(out.info)
    info.update({"polynomial": polynomial, "degree": polynomial.degree, "parity": None,
                 "K_even": parts[0][1], "K_odd": parts[1][1], "even": parts[0][0].info,
                 "odd": parts[1][0].info, "input_alpha": block_encoding.alpha})
    return QuantumBlock(out.circuit, out.alpha * float(scale), out.system_qubits, out.ancilla_qubits,
                        out.kind, tuple(block_encoding.shape), info)


def matrix_function(matrix: np.ndarray, polynomial: Polynomial) -> np.ndarray:
    """P^{(SV)}(M) in NumPy (the reference for QSVT blocks): W P(Σ) V† for odd P,
    V P(Σ) V† for even P, P_even^{(SV)} + P_odd^{(SV)} for mixed parity."""
    m = np.asarray(matrix)
    w, s, vh = np.linalg.svd(m)
    parity = polynomial.definite_parity
    if parity is None:
        e, o = parity_parts(polynomial)
        return matrix_function(m, e) + matrix_function(m, o)
    if parity == "odd":
        return (w * polynomial(s)) @ vh
    return (vh.conj().T * polynomial(s)) @ vh
