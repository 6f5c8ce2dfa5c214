"""The backends by name: what each can do with a circuit-IR circuit, and how to find one.

A backend is a :class:`Backend` subclass registered with :func:`register_backend`; every
module of the ``qcompile.backends`` package is imported on first use of the registry, so
a new backend is one class in one new file there, nothing else edited.  Each backend does
what its flags say and raises :class:`qcompile.errors.NotSupportedError` for the rest:

* ``emit(circuit)``: the circuit in the backend's own form (a ``QuantumCircuit``, a
  ``cirq.Circuit``, OpenQASM text);
* ``simulates``: ``statevector``, ``sample``, ``unitary`` (ideal simulation);
* ``simulates_noise``: ``noise_model``, ``noisy_probabilities``, ``noisy_counts`` (the
  depolarizing + readout + idle model of :mod:`qcompile.mitigation.noise`).

Orders (every backend): state vectors and unitaries are little-endian (qubit ``i`` has
weight ``2**i``); counts are ``{bitstring: count}`` over all ``num_clbits`` classical bits
with clbit ``num_clbits-1`` leftmost, a clbit measured several times holding its last
result and a clbit never measured reading 0.  Backends import their libraries inside
methods (DESIGN §9.7).
"""

from __future__ import annotations

import difflib
import importlib
import math
import os
import pkgutil
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from qcompile.circuit.ir import Circuit
from qcompile.errors import NotSupportedError, QcompileError

Values = Mapping[str, Sequence[float]]


class BackendError(QcompileError, ValueError):
    """An unknown backend name, or a malformed list of backend names."""


class Backend:
    """A named way to emit or simulate circuit-IR circuits (module docstring).

    Subclasses set ``name``, ``description`` and the capability flags and override the
    methods those flags promise; ideal sampling overrides :meth:`sample_measured` (the
    conventions of :meth:`sample` are shared).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    simulates: ClassVar[bool] = False
    simulates_noise: ClassVar[bool] = False
    #: bytes per state-vector amplitude (16: complex128, 8: complex64)
    amplitude_bytes: ClassVar[int] = 16
    #: where the state vector lives: "CPU" (host memory) or "GPU"
    device: str = "CPU"
    #: share of :meth:`memory_bytes` one state vector may take: on the host, the simulator's
    #: state and the copy handed back to Python, with room for the program
    memory_share: ClassVar[float] = 0.25

    def unavailable(self) -> str | None:
        """Why this backend cannot run here (a missing package or device), or None."""
        return None

    def memory_bytes(self) -> int | None:
        """The memory a state vector may use on :attr:`device` (host memory for "CPU"),
        or None when it cannot be told."""
        return host_memory_bytes() if self.device == "CPU" else None

    def max_qubits(self) -> int | None:
        """The widest state vector that fits: :attr:`memory_share` of :meth:`memory_bytes`
        at :attr:`amplitude_bytes` per amplitude; None when the memory is unknown."""
        memory = self.memory_bytes()
        if not memory:
            return None
        return int(math.floor(math.log2(self.memory_share * memory / self.amplitude_bytes)))

    def statevectors(self, circuit: Circuit, values_list: Sequence[Values], seed: int | None = None
                     ) -> list[np.ndarray]:
        """:meth:`statevector` of ``circuit`` for each of ``values_list``, in order.  Backends
        whose simulator binds many parameter sets in one call override this (batched
        binding); the default runs them one by one."""
        return [self.statevector(circuit, values, seed) for values in values_list]

    def unsupported(self, what: str) -> NotSupportedError:
        """The error for something this backend cannot do (``what``: "simulate", "simulate
        noise", "emit circuits"), naming the backends that can."""
        return NotSupportedError(f"backend '{self.name}' cannot {what}; backends that can: "
                                 f"{', '.join(_capable(what)) or 'none'}")

    def emit(self, circuit: Circuit) -> Any:
        """The circuit in this backend's own form."""
        raise self.unsupported("emit circuits")

    def statevector(self, circuit: Circuit, values: Values | None = None, seed: int | None = None,
                    initial_state: np.ndarray | None = None) -> np.ndarray:
        """The final state (little-endian) from |0…0>, or from the normalised little-endian
        ``initial_state``; symbolic angles bound with ``values``.  With measure/reset the
        state is one random trajectory (``seed`` fixes it)."""
        raise self.unsupported("simulate")

    def sample(self, circuit: Circuit, shots: int, values: Values | None = None,
               seed: int | None = None) -> dict[str, int]:
        """``shots`` runs counted by classical-bit string (module docstring); a circuit that
        measures nothing gives ``{"0" * num_clbits: shots}``."""
        if not self.simulates:
            raise self.unsupported("simulate")
        if shots <= 0:
            raise ValueError("shots must be positive")
        bound = bind_values(circuit, values)
        m = bound.num_clbits
        if m == 0 or not any(g.name == "measure" for g in bound.gates):
            return {"0" * m: shots}
        return self.sample_measured(bound, shots, seed)

    def sample_measured(self, circuit: Circuit, shots: int, seed: int | None = None) -> dict[str, int]:
        """:meth:`sample` of a bound circuit that measures something."""
        raise self.unsupported("simulate")

    def unitary(self, circuit: Circuit) -> np.ndarray:
        """The unitary of a bound circuit (little-endian rows and columns)."""
        raise self.unsupported("simulate")

    def noise_model(self, noise) -> Any:
        """The simulator's own noise model for a :class:`qcompile.mitigation.noise.NoiseSpec`."""
        raise self.unsupported("simulate noise")

    def noisy_probabilities(self, circuit: Circuit, noise) -> np.ndarray:
        """Probabilities of every qubit value (little-endian) after the bound, measurement-free
        ``circuit`` runs under ``noise`` (exact density-matrix simulation)."""
        raise self.unsupported("simulate noise")

    def noisy_counts(self, circuit: Circuit, noise, shots: int, seed: int | None = None) -> dict[str, int]:
        """Counts (as :meth:`sample`) of ``shots`` runs of the bound, measured ``circuit``
        under ``noise``, readout errors included."""
        raise self.unsupported("simulate noise")


def host_memory_bytes() -> int | None:
    """This machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return None


def state_bytes(num_qubits: int, amplitude_bytes: int = 16) -> int:
    """The bytes of one ``num_qubits``-qubit state vector."""
    return amplitude_bytes * 2 ** int(num_qubits)


def bind_values(circuit: Circuit, values: Values | None) -> Circuit:
    """``circuit`` with its symbolic angles bound (ValueError when it has some and no
    ``values`` are given); a numeric circuit is returned as it is."""
    if circuit.is_parametric:
        if values is None:
            raise ValueError("the circuit is parametric: pass values={name: vector}")
        return circuit.bind(values)
    return circuit


_REGISTRY: dict[str, type[Backend]] = {}
_INSTANCES: dict[str, Backend] = {}
_DISCOVERED = False


def register_backend(cls: type[Backend]) -> type[Backend]:
    """Class decorator adding a :class:`Backend` subclass to the registry under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise TypeError("register_backend decorates Backend subclasses")
    if not cls.name or not cls.name.isidentifier() or cls.name != cls.name.lower():
        raise ValueError(f"backend name {cls.name!r} must be a lower-case identifier")
    if not cls.description or "\n" in cls.description:
        raise ValueError(f"backend '{cls.name}' needs a one-line description")
    old = _REGISTRY.get(cls.name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"backend name '{cls.name}' is already registered by {old.__qualname__}")
    _REGISTRY[cls.name] = cls
    _INSTANCES.pop(cls.name, None)
    return cls


def _registry() -> dict[str, type[Backend]]:
    """The registry, after importing every module of the ``qcompile.backends`` package."""
    global _DISCOVERED
    if not _DISCOVERED:
        _DISCOVERED = True
        import qcompile.backends as package

        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package.__name__}.{info.name}")
    return _REGISTRY


def available_backends() -> tuple[str, ...]:
    """The names of every registered backend, sorted."""
    return tuple(sorted(_registry()))


def _capable(what: str) -> list[str]:
    flag = {"simulate": "simulates", "simulate noise": "simulates_noise"}.get(what)
    return [n for n, cls in sorted(_registry().items()) if flag is None or getattr(cls, flag)]


def get_backend(name: str) -> Backend:
    """The registered backend ``name`` (one instance per name); :class:`BackendError`
    with the known names and a did-you-mean hint if there is none."""
    known = _registry()
    backend = _INSTANCES.get(name)
    if backend is None:
        cls = known.get(name)
        if cls is None:
            close = difflib.get_close_matches(str(name), list(known), n=2)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise BackendError(f"unknown backend '{name}': the backends are {', '.join(sorted(known))}{hint}")
        backend = _INSTANCES[name] = cls()
    return backend


def parse_backends(text: str) -> tuple[str, ...]:
    """The backend names of a comma-separated list (``"qiskit,cirq"``; spaces allowed),
    each checked with :func:`get_backend`; an empty entry or a repeated name is refused
    with :class:`BackendError`."""
    names = tuple(part.strip() for part in str(text).split(","))
    if not any(names):
        raise BackendError(f"no backend given; name one or more of {', '.join(available_backends())}, "
                           "separated by commas")
    if not all(names):
        raise BackendError(f"the backend list '{text}' has an empty entry; separate names by single "
                           "commas, e.g. 'qiskit,cirq'")
    for name in names:
        get_backend(name)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BackendError(f"the backend list '{text}' names {', '.join(repeated)} more than once")
    return names


def backends_that_fit(num_qubits: int) -> list[str]:
    """The simulating backends that can run here and hold a ``num_qubits``-qubit state
    vector (:meth:`Backend.max_qubits`), sorted by name."""
    out = []
    for name in available_backends():
        backend = get_backend(name)
        if backend.simulates and backend.unavailable() is None and (backend.max_qubits() or 0) >= num_qubits:
            out.append(name)
    return out


def check_fits(backend: str, num_qubits: int, what: str) -> None:
    """Refuse (:class:`qcompile.errors.SizeError`) to simulate ``what`` on ``num_qubits``
    qubits when backend ``backend``'s state vector would not fit its device's memory, or
    when the backend cannot run here; the message names the backends that would fit."""
    from qcompile.errors import SizeError

    b = get_backend(backend)
    missing = b.unavailable()
    if missing:
        raise NotSupportedError(f"backend '{backend}' cannot run here: {missing}")
    limit = b.max_qubits()
    if limit is None or num_qubits <= limit:
        return
    fit = [n for n in backends_that_fit(num_qubits) if n != backend]
    gib = state_bytes(num_qubits, b.amplitude_bytes) / 2**30
    hint = (f"backends that would fit: {', '.join(fit)}" if fit else
            "no registered backend fits here (a GPU backend or a larger machine would); "
            "use `qcompile resources` to estimate its cost instead")
    raise SizeError(f"{what} needs {num_qubits} qubits: a state vector of {gib:.3g} GiB on backend "
                    f"'{backend}' ({b.device}, {b.amplitude_bytes} bytes per amplitude, limit {limit} qubits "
                    f"here); {hint}")
