"""Circuits from Qiskit's synthesis, brought into the circuit IR: the importer and the MCX templates.

* :func:`from_qiskit` / :func:`from_qiskit_parametric`: a Qiskit circuit whose gates are in
  the IR basis (:data:`QISKIT_BASIS`; transpile to it first) as an IR :class:`Circuit`.
* MCX templates: :func:`mcx_noaux_template` (Qiskit's ancilla-free syntheses, for
  :func:`qcompile.circuit.decompose.lower_multicontrolled`), :func:`mcx_template` (also
  the borrowed-("dirty")-ancilla syntheses, in CX + 1q) and :func:`ccx_template`.

:mod:`qcompile.circuit.decompose` builds the lowering of multi-controlled gates (and
:func:`~qcompile.circuit.decompose.lower_to_cx`, the lowering of a whole circuit) on these.

Qiskit is imported inside the functions; each template is synthesised once per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

from qcompile.circuit.gates import GATES, LOWERED_GATES
from qcompile.circuit.ir import Circuit, ParamExpr, Parameter
from qcompile.errors import NotImplementedYetError

if TYPE_CHECKING:  # pragma: no cover
    import qiskit

#: basis the circuit IR accepts from Qiskit; transpile to it before :func:`from_qiskit`
#: (the order is the one handed to ``qiskit.transpile``, which may steer its choices)
QISKIT_BASIS = ["cx", "rz", "ry", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "p", "cz", "swap", "ccx"]
#: :data:`QISKIT_BASIS` without cz, swap, ccx: CX and the single-qubit gates
_CX_BASIS = [n for n in QISKIT_BASIS if n == "cx" or GATES[n].num_qubits == 1]


# ---- from Qiskit -----------------------------------------------------------------------------
def _instructions(qc: "qiskit.QuantumCircuit") -> Iterator[tuple[str, list[int], list[int], object]]:
    """``(name, qubit indices, clbit indices, operation)`` of every instruction of ``qc``."""
    for inst in qc.data:
        op = inst.operation
        yield (op.name, [qc.find_bit(q).index for q in inst.qubits],
               [qc.find_bit(c).index for c in inst.clbits], op)


def from_qiskit(qc: "qiskit.QuantumCircuit") -> Circuit:
    """Convert a bound Qiskit circuit whose gates are all in :data:`QISKIT_BASIS` (plus
    ``u``/``u3``/``id``/``measure``/``reset``/``barrier``) into the circuit IR.

    Used to bring Qiskit's synthesis (e.g. ``qs_decomposition``) into our IR; transpile to
    ``QISKIT_BASIS`` first.  ``u(θ, φ, λ)`` becomes ``rz(λ) ry(θ) rz(φ)`` plus the global
    phase ``(φ + λ)/2`` (exact).
    """
    if qc.parameters:
        raise ValueError("from_qiskit needs a bound circuit")
    out = Circuit(qc.num_qubits, num_clbits=qc.num_clbits, global_phase=float(qc.global_phase))
    for name, qs, cs, op in _instructions(qc):
        params = [float(p) for p in op.params]
        if name in LOWERED_GATES:
            out.append(name, qs, params, cs)
        elif name in ("u", "u3"):
            th, ph, lam = params
            out.append("rz", qs, (lam,))
            out.append("ry", qs, (th,))
            out.append("rz", qs, (ph,))
            out.global_phase += (ph + lam) / 2
        elif name != "id":
            raise ValueError(f"from_qiskit: gate '{name}' is outside the circuit-IR basis; transpile first")
    return out


def _angle(value):
    """A float, or a ParamExpr for an affine expression in one ParameterVector element."""
    from qiskit.circuit import ParameterExpression

    if not isinstance(value, ParameterExpression) or not value.parameters:
        return float(value)
    if len(value.parameters) != 1:
        raise NotImplementedYetError(f"angle {value} depends on several parameters; "
                                     "the circuit IR holds affine angles in one parameter")
    (element,) = value.parameters
    coeff = value.gradient(element)
    if isinstance(coeff, ParameterExpression) and coeff.parameters:
        raise NotImplementedYetError(f"angle {value} is not affine in {element}")
    vector = getattr(element, "vector", None)
    if vector is None:
        raise NotImplementedYetError(f"parameter {element} is not a ParameterVector element")
    offset = float(value.bind({element: 0}))
    return ParamExpr(Parameter(vector.name, int(element.index)), float(coeff), offset)


def from_qiskit_parametric(qc: "qiskit.QuantumCircuit", parameters: dict[str, int] | None = None) -> Circuit:
    """Like :func:`from_qiskit` for gates in the IR basis, but angles may be affine
    expressions in ``ParameterVector`` elements (→ :class:`ParamExpr`).  ``parameters``
    (vector name → length) is declared on the result so binding works as for the
    original circuit."""
    from qiskit.circuit import ParameterExpression

    phase = qc.global_phase
    if isinstance(phase, ParameterExpression) and phase.parameters:
        raise NotImplementedYetError("the routed circuit has a symbolic global phase")
    out = Circuit(qc.num_qubits, num_clbits=qc.num_clbits, global_phase=float(phase))
    for name, size in (parameters or {}).items():
        out.declare_parameters(name, size)
    for name, qs, cs, op in _instructions(qc):
        if name not in LOWERED_GATES:
            raise NotImplementedYetError(f"routed gate '{name}' is outside the circuit-IR basis")
        out.append(name, qs, [_angle(p) for p in op.params], cs)
    return out


# ---- templates ---------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def mcx_noaux_template(k: int) -> Circuit:
    """``mcx`` with k >= 3 controls (local qubits 0..k-1) on target k, in QISKIT_BASIS: the
    cheaper in CX count of Qiskit's ``synth_mcx_noaux_v24`` and ``synth_mcx_noaux_hp24``."""
    from qiskit import transpile
    from qiskit.synthesis import synth_mcx_noaux_hp24, synth_mcx_noaux_v24

    best = None
    for synth in (synth_mcx_noaux_v24, synth_mcx_noaux_hp24):
        # level 1: level 2 returns one of two different (equal-CX) circuits from process to
        # process, which made emitted QASM irreproducible; level 1 is deterministic and
        # costs the same CX up to 12 controls (measured; +1% at 20 controls)
        qc = transpile(synth(k), basis_gates=QISKIT_BASIS, optimization_level=1, seed_transpiler=0)
        cx = qc.count_ops().get("cx", 0) + qc.count_ops().get("cz", 0)
        if best is None or cx < best[0]:
            best = (cx, qc)
    out = from_qiskit(best[1])
    if out.num_qubits != k + 1:  # pragma: no cover - synthesis is ancilla-free
        raise RuntimeError("MCX synthesis used ancillas")
    return out


@lru_cache(maxsize=1)
def ccx_template() -> Circuit:
    """``ccx`` on local qubits (0, 1 → 2) as Qiskit defines it: 6 CX, h, t, tdg (exact)."""
    from qiskit.circuit.library import CCXGate

    return from_qiskit(CCXGate().definition)


#: Qiskit MCX syntheses with borrowed ("dirty") ancillas: name -> ancillas needed for k controls
DIRTY_SYNTHESES = {
    "synth_mcx_noaux_sp22": lambda k: 0, "synth_mcx_noaux_v24": lambda k: 0,
    "synth_mcx_noaux_hp24": lambda k: 0, "synth_mcx_1_dirty_kg24": lambda k: 1,
    "synth_mcx_2_dirty_kg24": lambda k: 2, "synth_mcx_n_dirty_i15": lambda k: max(k - 2, 0),
}


@lru_cache(maxsize=None)
def mcx_template(k: int, free: int) -> tuple[Circuit, int]:
    """``(template, ancillas used)``: the fewest-CX exact ``mcx`` with ``k`` controls (local
    qubits ``0..k-1``), target ``k`` and up to ``free`` borrowed ancillas ``k+1, …`` that
    it returns to their (arbitrary) input state — chosen among Qiskit's ancilla-free and
    dirty-ancilla syntheses, in ``cx`` + 1q gates (``ccx`` expanded)."""
    import qiskit.synthesis as synthesis
    from qiskit import transpile

    best = None
    for name, need in DIRTY_SYNTHESES.items():
        used = need(k)
        synth = getattr(synthesis, name, None)
        if synth is None or used > free:
            continue
        qc = transpile(synth(k), basis_gates=_CX_BASIS, optimization_level=2, seed_transpiler=0)
        if qc.num_qubits != k + 1 + used:  # pragma: no cover - unexpected layout
            continue
        cx = qc.count_ops().get("cx", 0)
        if best is None or cx < best[0]:
            best = (cx, qc, used)
    return from_qiskit(best[1]), best[2]


# ---- lowering to CX + 1q -----------------------------------------------------------------------
