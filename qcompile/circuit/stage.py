"""The circuit IR of one stage: a circuit plus the roles of its qubits.

A stage circuit prepares, on the branch where every post-selected qubit reads 0 (and every
mid-circuit measurement in ``postselect_clbits`` read 0), the vector ``y/alpha`` on the
``output`` register (little-endian in the order listed).  Circuit-level passes (fusion,
ancilla reuse, routing, mitigation) take and return :class:`StageCircuit` objects and
must keep this meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from qcompile.circuit.ir import Circuit
from qcompile.errors import IRVerifyError


@dataclass
class StageCircuit:
    """A stage's circuit, its output register, what must be post-selected, and ``alpha``.

    ``postselect``: qubits measured at the end that must read 0; ``postselect_clbits``:
    classical bits written by mid-circuit measurements that must read 0 (ancilla reuse);
    ``layout``: after routing, logical qubit -> physical qubit (None before routing).
    """

    circuit: Circuit
    output: tuple[int, ...]
    postselect: tuple[int, ...]
    alpha: float
    name: str = "stage"
    postselect_clbits: tuple[int, ...] = ()
    info: dict = field(default_factory=dict)

    def replace_circuit(self, circuit: Circuit, **changes) -> "StageCircuit":
        """A copy with a new circuit (and any other field changed)."""
        return replace(self, circuit=circuit, info=dict(self.info), **changes)

    @property
    def dropped_output_error(self) -> float:
        """How far the read-out (alpha × output amplitudes) may move because the circuit
        passes dropped rotations: alpha × their operator-norm error
        (``info["dropped_rotation_error"]``)."""
        return self.alpha * self.info.get("dropped_rotation_error", 0.0)

    # --- pass-manager protocol
    def to_text(self) -> str:
        """Deterministic text: roles then one gate per line."""
        head = [f"stage-circuit {self.name}: {self.circuit.num_qubits} qubits, alpha {self.alpha:.12g}",
                f"  output {list(self.output)}", f"  postselect {list(self.postselect)}"]
        if self.postselect_clbits:
            head.append(f"  postselect clbits {list(self.postselect_clbits)}")
        return "\n".join(head + [str(self.circuit)]) + "\n"

    def stats(self) -> dict:
        """Qubits, gates by name, CX count after lowering multi-controlled gates, depth."""
        from qcompile.circuit.metrics import circuit_metrics

        out = {"qubits": self.circuit.num_qubits, "output_qubits": len(self.output),
               "postselect_qubits": len(self.postselect),
               "midcircuit_measurements": len(self.postselect_clbits)}
        out.update(circuit_metrics(self.circuit))
        return out

    def verify(self) -> None:
        """Every qubit is an output or post-selected; roles do not overlap; clbits exist."""
        out, post = set(self.output), set(self.postselect)
        n = self.circuit.num_qubits
        if out & post:
            raise IRVerifyError(f"qubits {sorted(out & post)} are both output and post-selected")
        if out | post != set(range(n)):
            missing = sorted(set(range(n)) - out - post)
            raise IRVerifyError(f"qubits {missing} are neither output nor post-selected")
        for c in self.postselect_clbits:
            if not 0 <= c < self.circuit.num_clbits:
                raise IRVerifyError(f"post-selected clbit {c} does not exist")
