"""Argument checks for the public API and the command line, and the limits they enforce.

Each checker returns the value it accepts (converted where that is safe: a NumPy integer
becomes ``int``) or raises a :class:`~qcompile.errors.QcompileError` whose message is one
plain sentence naming the argument, what it must be and what it got.  Library code calls
them in one line at the top of a public function, so a wrong type or an out-of-range value
never reaches a built-in exception, a dependency's crash or a runaway allocation.

The limits are deliberately generous for real models (the shipped LLM configurations are
far inside them) and small enough that nothing under them can hang or exhaust memory
before a size check sees it.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Mapping

from qcompile.errors import QcompileError

#: largest ``dim`` value (and any single shape entry) a model may declare
MAX_DIM = 2**32
#: largest integer literal in a ``.qtf`` source (seeds, dims, token indices)
MAX_INT_LITERAL = 2**63 - 1
#: largest ``repeat`` count
MAX_REPEAT = 100_000
#: largest desugared tensor IR (ops), checked before any layer is expanded
MAX_IR_OPS = 200_000
#: shots of one sampling run
MAX_SHOTS = 100_000_000
#: seeds a user gives (NumPy / simulator seeds; verify adds the input's index to it, so
#: every seed a simulator sees stays below 2**63)
MAX_SEED = 2**62
#: qubits of a routing target (line:N, grid:RxC, heavy-hex:D)
MAX_TARGET_QUBITS = 4096
#: the OpenQASM versions qcompile writes
QASM_VERSIONS = (2, 3)
#: default memory budget of one evaluation or weight load, bytes (``QCOMPILE_MEMORY_LIMIT``)
DEFAULT_MEMORY_LIMIT = 4 * 2**30


def _shown(value, limit: int = 60) -> str:
    """``repr(value)`` shortened for a message (a 1 MB string is never echoed whole)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 15] + "…" + text[-10:]


def is_integer(value) -> bool:
    """True for Python and NumPy integers, never for ``bool``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` in ``[low, high]`` (either end may be None)."""
    if not is_integer(value):
        raise QcompileError(f"{name} must be a whole number, got {_shown(value)}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise QcompileError(f"{name} must be {_range_words(low, high)}, got {_shown_int(value)}")
    return value


def _shown_int(value: int) -> str:
    digits = len(str(abs(value))) if abs(value) < 10**4000 else 4000
    return str(value) if digits <= 20 else f"a number of {digits}{'+' if digits >= 4000 else ''} digits"


def _range_words(low, high) -> str:
    if low is not None and high is not None:
        return f"between {low:,} and {high:,}"
    if low is not None:
        return f"at least {low:,}"
    return f"at most {high:,}"


def check_real(value, name: str, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite ``float`` in the interval (ends open or closed as asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise QcompileError(f"{name} must be a number, got {_shown(value)}")
    try:
        value = float(value)
    except (OverflowError, ValueError):
        raise QcompileError(f"{name} must be a finite number, got {_shown(value)}") from None
    if not math.isfinite(value):
        raise QcompileError(f"{name} must be a finite number, got {value}")
    bad = ((low is not None and (value < low or (low_open and value == low)))
           or (high is not None and (value > high or (high_open and value == high))))
    if bad:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        raise QcompileError(f"{name} must be {' and '.join(p for p in (lo, hi) if p)}, got {value:g}")
    return value


def check_choice(value, name: str, choices) -> object:
    """``value`` if it is one of ``choices`` (compared by type and value, so ``True`` is not 1)."""
    for c in choices:
        if type(value) is type(c) and value == c:
            return value
        if is_integer(value) and is_integer(c) and value == c:
            return int(value)
    raise QcompileError(f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {_shown(value)}")


def check_str(value, name: str, allow_none: bool = False) -> str | None:
    """A string argument (or None when allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise QcompileError(f"{name} must be a string, got {_shown(value)}")
    return value


def check_index(value, name: str, size: int) -> int:
    """An index into a sequence of ``size`` items."""
    if not is_integer(value):
        raise QcompileError(f"{name} must be a whole number, got {_shown(value)}")
    if not 0 <= int(value) < size:
        raise QcompileError(f"{name} {_shown_int(int(value))} is out of range: the valid "
                            f"{'index is 0' if size == 1 else f'indices are 0 to {size - 1}'}")
    return int(value)


def check_shots(value, name: str = "shots") -> int | None:
    """None (no sampling) or a whole number of shots in ``[1, MAX_SHOTS]``."""
    return None if value is None else check_int(value, name, 1, MAX_SHOTS)


def check_seed(value, name: str = "seed") -> int | None:
    """None or a seed a simulator accepts: ``[0, 2**63 - 1]``."""
    return None if value is None else check_int(value, name, 0, 2**63 - 1)


def check_qasm_version(value) -> int:
    """2 or 3."""
    return check_choice(value, "the OpenQASM version", QASM_VERSIONS)


def check_dims(dims, name: str = "dims") -> dict[str, int]:
    """A mapping dim name -> whole number in ``[1, MAX_DIM]`` (None: no overrides)."""
    if dims is None:
        return {}
    if not isinstance(dims, Mapping):
        raise QcompileError(f"{name} must map dim names to whole numbers, e.g. {{'seq': 8}}, got {_shown(dims)}")
    out = {}
    for key, value in dims.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise QcompileError(f"{name} must map dim names to whole numbers; {_shown(key)} is not a name")
        out[key] = check_int(value, f"dim {key}", 1, MAX_DIM)
    return out


def looks_like_source(text: str) -> bool:
    """True when a string argument is .qtf text rather than a path: it has a line break,
    or it starts with ``model NAME {`` (after comments and blank space) and names no file
    that exists."""
    if "\n" in text or "\r" in text:
        return True
    if re.match(r"\s*model\s+[A-Za-z_]\w*\s*\{", text) is None:
        return False
    try:
        return not os.path.exists(text)
    except (OSError, ValueError):
        return True


_TARGET = re.compile(r"^(line):(\d{1,12})$|^(grid):(\d{1,12})x(\d{1,12})$|^(heavy-hex):(\d{1,12})$")


def target_qubits(target: str) -> int:
    """The number of qubits of a routing target (``line:N``, ``grid:RxC``, ``heavy-hex:D``
    with D odd), refused when malformed or above :data:`MAX_TARGET_QUBITS`."""
    check_str(target, "the routing target")
    m = _TARGET.match(target.strip().lower())
    if m is None:
        raise QcompileError(f"unknown routing target {_shown(target)}; use line:N, grid:RxC or heavy-hex:D (D odd)")
    if m.group(1):
        n = int(m.group(2))
    elif m.group(3):
        n = int(m.group(4)) * int(m.group(5))
    else:
        d = int(m.group(7))
        if d % 2 == 0:
            raise QcompileError(f"heavy-hex:D needs an odd D, got {d}")
        n = (5 * d * d - 2 * d - 1) // 2
    if n < 1 or n > MAX_TARGET_QUBITS:
        raise QcompileError(f"routing target {_shown(target)} has {_shown_int(n)} qubits; qcompile routes onto "
                            f"1 to {MAX_TARGET_QUBITS:,} qubits")
    return n


def memory_limit() -> int:
    """The memory budget in bytes: ``$QCOMPILE_MEMORY_LIMIT`` (a number of bytes, or with a
    K/M/G/T suffix), else :data:`DEFAULT_MEMORY_LIMIT`."""
    raw = os.environ.get("QCOMPILE_MEMORY_LIMIT", "").strip()
    if not raw:
        return DEFAULT_MEMORY_LIMIT
    m = re.fullmatch(r"(\d{1,15})\s*([KMGT]i?B?|B)?", raw, re.IGNORECASE)
    if m is None:
        raise QcompileError(f"QCOMPILE_MEMORY_LIMIT must be a number of bytes such as 8G, got {_shown(raw)}")
    unit = (m.group(2) or "B")[0].upper()
    return int(m.group(1)) * {"B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[unit]


def format_bytes(n: float) -> str:
    """``n`` bytes in words: ``29.8 GiB``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:.3g} {unit}" if value < 1e6 else f"{value:.3e} {unit}"
    return f"{int(n)} bytes"


def check_memory(needed: float, what: str) -> None:
    """Refuse work needing more than :func:`memory_limit` bytes, saying how much it needs."""
    limit = memory_limit()
    if needed > limit:
        from qcompile.errors import SizeError

        raise SizeError(f"{what} needs about {format_bytes(needed)} of memory, over the limit of "
                        f"{format_bytes(limit)} (set QCOMPILE_MEMORY_LIMIT to allow more)")


def check_array(value, name: str, shape: tuple[int, ...] | None = None):
    """``value`` as a real NumPy array (complex, boolean, object and text arrays refused),
    of ``shape`` when given."""
    import numpy as np

    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise QcompileError(f"{name} must be an array of numbers, got {_shown(value)}") from None
    if arr.dtype.kind not in "fiu":
        what = {"c": "complex numbers", "b": "booleans"}.get(arr.dtype.kind, f"dtype {arr.dtype}")
        raise QcompileError(f"{name} must hold real numbers, not {what}")
    if shape is not None and tuple(arr.shape) != tuple(shape):
        raise QcompileError(f"{name} must have shape {list(shape)}, got {list(arr.shape)}")
    return arr


__all__ = [
    "MAX_DIM", "MAX_INT_LITERAL", "MAX_IR_OPS", "MAX_REPEAT", "MAX_SEED", "MAX_SHOTS",
    "MAX_TARGET_QUBITS", "check_array", "check_choice", "check_dims", "check_index", "check_int",
    "check_memory", "check_qasm_version", "check_real", "check_seed",
    "check_shots", "check_str", "format_bytes", "is_integer", "looks_like_source", "memory_limit",
    "target_qubits",
]


def check_run_arguments(backend, shots, seed) -> None:
    """The arguments every ``run`` shares: a backend name (a string), shots (None or
    1..MAX_SHOTS) and a seed (None or 0..MAX_SEED)."""
    check_str(backend, "backend")
    check_shots(shots)
    check_seed(seed)


def check_stage_arguments(stage, stages: int, version=None) -> None:
    """A stage index of a program with ``stages`` stage circuits (and, when given, an
    OpenQASM version)."""
    if version is not None:
        check_qasm_version(version)
    check_index(stage, "stage", stages)


def check_verify_arguments(inputs, backends, shots, seed, tolerance) -> None:
    """:func:`qcompile.verify`'s arguments: at least one input (at most 100,000), a
    non-empty list of backend names, shots, a seed and a tolerance in (0, 1)."""
    check_int(inputs, "inputs", 1, 100_000)
    if isinstance(backends, str) or not isinstance(backends, (list, tuple)) or not backends \
            or not all(isinstance(b, str) for b in backends):
        raise QcompileError(f"backends must be a non-empty list of backend names such as ('qiskit', 'cirq'), "
                            f"got {_shown(backends)}")
    check_shots(shots)
    check_int(seed, "seed", 0, MAX_SEED)
    check_real(tolerance, "tolerance", 0.0, 1.0, low_open=True, high_open=True)
