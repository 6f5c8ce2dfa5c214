"""Noise-model specs: ``depolarizing:p1,p2[,readout:q]`` → Qiskit Aer and Cirq noise models.

Meaning of the numbers (one convention for both simulators):

* ``p1``: after every single-qubit gate, the depolarizing channel
  ``ρ ↦ (1−p1) ρ + p1 · Tr(ρ) I/2`` on that qubit;
* ``p2``: after every two-qubit gate (``cx``, ``cz``), ``ρ ↦ (1−p2) ρ + p2 · Tr(ρ) I/4``
  on its two qubits;
* ``readout``: every measurement result is flipped with probability ``q`` (symmetric);
* ``idle`` (optional term ``idle:θ``): a qubit that waits one layer of the ASAP schedule
  (:func:`qcompile.circuit.schedule.idle_windows`) picks up the coherent phase error
  ``rz(θ)`` (a static detuning; the error dynamical decoupling echoes away).  The
  simulators mark each idle qubit-layer with an identity instruction (Qiskit ``id``,
  ``cirq.I``) and both noise models turn it into ``rz(θ)``.

This is Qiskit Aer's ``depolarizing_error(p, n)`` parameter.  Cirq's
``cirq.depolarize(p, n_qubits)`` applies one of the ``4^n − 1`` non-identity Paulis with
total probability ``p``; the same channel therefore needs ``p_cirq = p (1 − 4^{-n})``
(:func:`qcompile.backends.cirq.cirq_depolarizing_probability`).  Each backend that
simulates noise builds its own model from a :class:`NoiseSpec` (``noise_model``;
:func:`to_aer` and :func:`to_cirq_noise` for the two shipped ones).  Gates on three or
more qubits must be lowered first (:func:`qcompile.mitigation.basis.to_noise_basis`);
both models reject them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qcompile.circuit.gates import ONE_CX_GATES
from qcompile.circuit.gates import ONE_QUBIT_GATES  # noqa: F401 - the noise basis' 1-qubit gates (p1 channel)
from qcompile.errors import QcompileError

#: two-qubit gate names of the noise basis (they get the p2 channel): cx, cz
TWO_QUBIT_GATES = ONE_CX_GATES

_EXAMPLE = "depolarizing:1e-4,1e-3,readout:1e-2"


class NoiseSpecError(QcompileError):
    """A noise-model specification string is malformed or has an out-of-range rate."""


@dataclass(frozen=True)
class NoiseSpec:
    """Error rates of the depolarizing + readout model (see the module docstring)."""

    p1: float
    p2: float
    readout: float = 0.0
    idle: float = 0.0

    def __str__(self) -> str:
        text = f"depolarizing:{self.p1:g},{self.p2:g}"
        text += f",readout:{self.readout:g}" if self.readout else ""
        return text + (f",idle:{self.idle:g}" if self.idle else "")

    @property
    def is_noiseless(self) -> bool:
        """True when every rate is zero."""
        return self.p1 == 0.0 and self.p2 == 0.0 and self.readout == 0.0 and self.idle == 0.0


def _rate(text: str, what: str, upper: float, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise NoiseSpecError(f"the {what} in noise spec '{spec}' must be a number, got '{text}'") from None
    if not (math.isfinite(value) and 0.0 <= value <= upper):
        raise NoiseSpecError(f"the {what} in noise spec '{spec}' must lie in [0, {upper:g}], got {value:g}")
    return value


def parse_noise(spec: "str | NoiseSpec") -> NoiseSpec:
    """Parse ``depolarizing:p1,p2[,readout:q][,idle:θ]`` (spaces allowed); a NoiseSpec passes through.

    Raises :class:`NoiseSpecError` with a plain sentence for anything else: a missing
    ``depolarizing:`` head, not exactly two depolarizing rates, an unknown or repeated
    term, a rate that is not a number, ``p1``/``p2`` outside [0, 1], readout outside
    [0, 0.5), ``|θ|`` above π.
    """
    if isinstance(spec, NoiseSpec):
        return spec
    if not isinstance(spec, str):
        raise NoiseSpecError(f"a noise spec must be a string like '{_EXAMPLE}', got {type(spec).__name__}")
    text = "".join(spec.split())
    head, sep, rest = text.partition(":")
    if head != "depolarizing" or not sep:
        raise NoiseSpecError(f"noise spec '{spec}' must start with 'depolarizing:', e.g. '{_EXAMPLE}'")
    items = rest.split(",") if rest else []
    rates = []
    while items and ":" not in items[0]:
        rates.append(items.pop(0))
    if len(rates) != 2:
        raise NoiseSpecError(f"noise spec '{spec}' needs two depolarizing rates 'p1,p2' "
                             f"(1-qubit, 2-qubit), got {len(rates)}")
    p1 = _rate(rates[0], "1-qubit rate p1", 1.0, spec)
    p2 = _rate(rates[1], "2-qubit rate p2", 1.0, spec)
    extra: dict[str, float] = {}
    for item in items:
        key, _, value = item.partition(":")
        if key not in ("readout", "idle"):
            raise NoiseSpecError(f"unknown term '{item}' in noise spec '{spec}'; the optional terms are "
                                 "'readout:q' and 'idle:theta'")
        if key in extra:
            raise NoiseSpecError(f"'{key}' is given twice in noise spec '{spec}'")
        if not value:
            raise NoiseSpecError(f"'{key}' in noise spec '{spec}' needs a value, e.g. '{key}:1e-2'")
        if key == "idle":
            theta = value[1:] if value.startswith("-") else value
            extra[key] = math.copysign(_rate(theta, "idle phase error (radians per layer)", math.pi, spec),
                                       -1.0 if value.startswith("-") else 1.0)
            continue
        q = _rate(value, "readout error", 0.5, spec)
        if q >= 0.5:
            raise NoiseSpecError(f"the readout error in noise spec '{spec}' must be below 0.5, got {q:g}")
        extra[key] = q
    return NoiseSpec(p1, p2, extra.get("readout", 0.0), extra.get("idle", 0.0))


def to_aer(noise: "str | NoiseSpec"):
    """A ``qiskit_aer.noise.NoiseModel`` for ``noise`` (the ``qiskit`` backend's
    :meth:`~qcompile.backends.aer.QiskitBackend.noise_model`)."""
    from qcompile.backends.registry import get_backend

    return get_backend("qiskit").noise_model(parse_noise(noise))


def to_cirq_noise(noise: "str | NoiseSpec"):
    """A ``cirq.NoiseModel`` with the same channels (the ``cirq`` backend's
    :meth:`~qcompile.backends.cirq.CirqBackend.noise_model`)."""
    from qcompile.backends.registry import get_backend

    return get_backend("cirq").noise_model(parse_noise(noise))
