"""What each gate of the circuit IR is: one table of facts, keyed by gate name.

Every module that needs to know something about a gate by its name (how many qubits and
angles it takes, its inverse, what it commutes with, what it costs, what it becomes when
controlled) reads :data:`GATES`; nothing else lists gate names with a meaning attached.

Conventions (see :mod:`qcompile.circuit.ir`): variadic gates take ``controls + (target,)``;
angles follow Qiskit's definitions.  Per gate:

* ``num_qubits`` (None: variadic) and ``num_angles``;
* ``kind``: ``"unitary"``, ``"nonunitary"`` (measure, reset) or ``"directive"`` (barrier:
  the identity, it only orders gates);
* ``inverse``: ``"self"``, ``"dagger"`` (the inverse is the gate named ``dagger``),
  ``"negate"`` (the same gate with every angle negated) or ``"none"``;
* ``target_pauli``: the Pauli (``"z"``, ``"x"``, ``"y"``) the gate commutes with on its
  target (last) qubit, every other qubit being a control (which commutes with Z); None
  when it commutes with no Pauli on any qubit (h, swap, measure, reset, barrier).  A gate
  whose target Pauli is Z commutes with Z everywhere: it is diagonal;
* ``cx``: CX count in the CX + 1-qubit basis, or None for the multi-controlled gates,
  whose count depends on the width (:func:`qcompile.circuit.metrics.cx_cost`);
* ``rotation``: its one angle is a rotation angle (rx ry rz p and their multi-controlled
  forms), so two such gates on the same qubits add their angles;
* ``controlled``: the multi-controlled gate it is, or becomes when controlled
  (x, cx, ccx, mcx → mcx; z, cz, mcz → mcz; p, mcp, s, sdg, t, tdg → mcp; rx, mcrx →
  mcrx …); ``base``: the single-qubit gate a controlled gate applies to its target;
  ``phase``: for s, sdg, t, tdg, the angle of the equal ``p`` gate;
* ``symmetric``: its qubits are interchangeable (cz swap mcz mcp);
* ``matrix``: the 2×2 matrix of a fixed single-qubit gate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

_S2 = 1 / math.sqrt(2)


@dataclass(frozen=True)
class GateFacts:
    """The facts about one gate name (module docstring)."""

    name: str
    num_qubits: int | None
    num_angles: int = 0
    kind: str = "unitary"
    inverse: str = "self"
    dagger: str | None = None
    target_pauli: str | None = None
    cx: int | None = 0
    rotation: bool = False
    controlled: str | None = None
    base: str | None = None
    phase: float | None = None
    symmetric: bool = False
    matrix: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def unitary(self) -> bool:
        """False for measure and reset."""
        return self.kind != "nonunitary"

    @property
    def diagonal(self) -> bool:
        """True when the gate is diagonal in the computational basis."""
        return self.target_pauli == "z"

    @property
    def multi_controlled(self) -> bool:
        """True for the variadic unitary gates (mcx mcz mcp mcrx mcry mcrz)."""
        return self.num_qubits is None and self.kind == "unitary"


def _one(name: str, **facts) -> GateFacts:
    return GateFacts(name, 1, **facts)


def _rotation(name: str, num_qubits: int | None, pauli: str, controlled: str, **facts) -> GateFacts:
    return GateFacts(name, num_qubits, 1, inverse="negate", target_pauli=pauli, rotation=True,
                     controlled=controlled, **facts)


#: every gate of the circuit IR, in the order random circuits draw them from
GATES: dict[str, GateFacts] = {f.name: f for f in (
    _one("h", matrix=np.array([[_S2, _S2], [_S2, -_S2]], dtype=complex)),
    _one("x", target_pauli="x", controlled="mcx", matrix=np.array([[0, 1], [1, 0]], dtype=complex)),
    _one("y", target_pauli="y", matrix=np.array([[0, -1j], [1j, 0]], dtype=complex)),
    _one("z", target_pauli="z", controlled="mcz", matrix=np.diag([1, -1]).astype(complex)),
    _one("s", inverse="dagger", dagger="sdg", target_pauli="z", controlled="mcp", phase=math.pi / 2,
         matrix=np.diag([1, 1j])),
    _one("sdg", inverse="dagger", dagger="s", target_pauli="z", controlled="mcp", phase=-math.pi / 2,
         matrix=np.diag([1, -1j])),
    _one("t", inverse="dagger", dagger="tdg", target_pauli="z", controlled="mcp", phase=math.pi / 4,
         matrix=np.diag([1, np.exp(1j * math.pi / 4)])),
    _one("tdg", inverse="dagger", dagger="t", target_pauli="z", controlled="mcp", phase=-math.pi / 4,
         matrix=np.diag([1, np.exp(-1j * math.pi / 4)])),
    _rotation("rx", 1, "x", "mcrx"),
    _rotation("ry", 1, "y", "mcry"),
    _rotation("rz", 1, "z", "mcrz"),
    _rotation("p", 1, "z", "mcp"),
    GateFacts("cx", 2, target_pauli="x", cx=1, controlled="mcx", base="x"),
    GateFacts("cz", 2, target_pauli="z", cx=1, controlled="mcz", base="z", symmetric=True),
    GateFacts("swap", 2, cx=3, symmetric=True),
    GateFacts("ccx", 3, target_pauli="x", cx=6, controlled="mcx", base="x"),
    GateFacts("mcx", None, target_pauli="x", cx=None, controlled="mcx", base="x"),
    GateFacts("mcz", None, target_pauli="z", cx=None, controlled="mcz", base="z", symmetric=True),
    _rotation("mcp", None, "z", "mcp", cx=None, base="p", symmetric=True),
    _rotation("mcrx", None, "x", "mcrx", cx=None, base="rx"),
    _rotation("mcry", None, "y", "mcry", cx=None, base="ry"),
    _rotation("mcrz", None, "z", "mcrz", cx=None, base="rz"),
    _one("measure", kind="nonunitary", inverse="none"),
    _one("reset", kind="nonunitary", inverse="none"),
    GateFacts("barrier", None, kind="directive"),
)}

#: name -> (number of qubits or None for variadic, number of angles)
GATE_SPECS: dict[str, tuple[int | None, int]] = {n: (f.num_qubits, f.num_angles) for n, f in GATES.items()}
#: the unitary gates (every gate but measure, reset, barrier)
UNITARY = frozenset(n for n, f in GATES.items() if f.kind == "unitary")
#: gates whose angle is a rotation angle
ROTATIONS = frozenset(n for n, f in GATES.items() if f.rotation)
#: measure and reset
NON_UNITARY = frozenset(n for n, f in GATES.items() if not f.unitary)
#: every gate but the multi-controlled ones: what lowering multi-controlled gates leaves
LOWERED_GATES = frozenset(n for n, f in GATES.items() if not f.multi_controlled)
#: the unitary single-qubit gates, in table order
ONE_QUBIT_GATES = tuple(n for n, f in GATES.items() if f.num_qubits == 1 and f.kind == "unitary")
#: the two-qubit gates that cost one CX (cx, cz)
ONE_CX_GATES = tuple(n for n, f in GATES.items() if f.num_qubits == 2 and f.cx == 1)


def one_qubit_matrix(gate) -> np.ndarray:
    """The 2×2 matrix of a numeric single-qubit gate (anything with ``name`` and
    ``params``; a multi-controlled gate without controls is its base gate)."""
    name = GATES[gate.name].base or gate.name
    fixed = GATES[name].matrix
    if fixed is not None:
        return fixed
    t = float(gate.params[0])
    c, s = math.cos(t / 2), math.sin(t / 2)
    if name == "rx":
        return np.array([[c, -1j * s], [-1j * s, c]])
    if name == "ry":
        return np.array([[c, -s], [s, c]], dtype=complex)
    if name == "rz":
        return np.diag([complex(c, -s), complex(c, s)])
    if name == "p":
        return np.diag([1.0, np.exp(1j * t)])
    raise ValueError(f"{gate.name} is not a 1-qubit gate")
