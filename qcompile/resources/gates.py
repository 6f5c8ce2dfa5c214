"""What one multi-controlled IR gate costs once lowered, cached on disk and shipped.

:func:`lowered_gate` counts the CX + 1q gates :func:`qcompile.circuit.decompose.lower_multicontrolled`
turns one gate into (wide ``mcx`` gates are synthesised by Qiskit, 0.1–0.3 s each), and
:func:`gate_cx` its CX cost — what :func:`qcompile.circuit.metrics.cx_count` counts.
Results are kept in a JSON file under ``$QCOMPILE_CACHE_DIR`` (default
``~/.cache/qcompile``) and a table of the widths the shipped configurations need ships with
the package; both are keyed by the Qiskit version and a hash of the lowering's source.

The disk cache is not trusted: every entry is checked (:func:`valid_entry`: a known gate
and width, a list of known gates of at most three qubits with whole non-negative counts, enough
multi-qubit gates to connect the gate's ``width`` qubits (Σ count·(arity − 1) ≥ width − 1),
and no more
than :data:`MAX_LOWERED_GATES` per width²); a bad entry or a malformed file is ignored
with a :class:`~qcompile.errors.QcompileWarning`, the counts are recomputed and the file is
rewritten.  The shipped table wins over the disk cache for the widths it holds.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def lowered_gate(name: str, width: int) -> tuple[tuple[str, int], ...]:
    """The CX + 1q gates one IR gate ``name`` on ``width`` qubits becomes when lowered
    (:func:`qcompile.circuit.decompose.lower_multicontrolled`), as ``(name, count)``.

    Wide multi-controlled X gates are synthesised by Qiskit (0.1–0.3 s each), so results
    are also kept in a JSON file under ``$QCOMPILE_CACHE_DIR`` (default
    ``~/.cache/qcompile``) keyed by the Qiskit version and a hash of the lowering's source:
    the first estimate of a large model pays the synthesis once per width.
    """
    cache = _disk_cache()
    key = f"{name}/{width}"
    if key in cache:
        return tuple((n, int(k)) for n, k in cache[key])
    from qcompile.circuit.decompose import lower_multicontrolled
    from qcompile.circuit.ir import Circuit, Gate

    c = Circuit(width)
    params = (0.3,) if name in ("mcp", "mcrx", "mcry", "mcrz", "rz", "ry", "rx", "p") else ()
    c.add_gate(Gate(name, tuple(range(width)), params))
    out = tuple(sorted(lower_multicontrolled(c).count_ops().items()))
    cache[key] = [list(item) for item in out]
    _save_disk_cache(cache)
    return out


_CACHE: dict | None = None


#: counts shipped with the package (the widths the shipped configurations need), used when
#: they were made by the same Qiskit version and lowering source
#: (:func:`qcompile.resources.api.write_shipped_table` rewrites it)
SHIPPED = "lowered_gates.json"


def cache_key() -> tuple[str, str]:
    """(Qiskit version, hash of the lowering's source): what the cached counts depend on.
    The source is :mod:`qcompile.circuit.decompose` and the MCX templates of
    :mod:`qcompile.circuit.synthesis` it uses."""
    import hashlib
    from importlib.metadata import version  # not `import qiskit`: that alone costs ~0.5 s

    from qcompile.circuit import decompose, synthesis

    digest = hashlib.sha256()
    for module in (decompose, synthesis):
        with open(module.__file__, "rb") as fh:
            digest.update(fh.read())
    return version("qiskit"), digest.hexdigest()[:16]


def _cache_path() -> str:
    import os

    version, digest = cache_key()
    root = os.environ.get("QCOMPILE_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "qcompile")
    return os.path.join(root, f"lowered-gates-qiskit{version}-{digest}.json")


def _shipped() -> dict:
    import json
    import os

    path = os.path.join(os.path.dirname(__file__), SHIPPED)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    version, digest = cache_key()
    if data.get("qiskit") != version or data.get("decompose") != digest:
        return {}
    return dict(data.get("gates", {}))


#: most lowered gates per width² an entry may claim (the lowering is quadratic at worst)
MAX_LOWERED_GATES = 1000
#: widest gate an entry may describe
MAX_CACHED_WIDTH = 256


def valid_entry(key, value) -> bool:
    """True when a cache entry ``"name/width": [[gate, count], ...]`` is plausible (module
    docstring)."""
    from qcompile.circuit.gates import GATES

    if not isinstance(key, str) or key.count("/") != 1:
        return False
    name, _, width = key.partition("/")
    if name not in GATES or not width.isdigit() or not 1 <= int(width) <= MAX_CACHED_WIDTH:
        return False
    width = int(width)
    if not isinstance(value, list):
        return False
    links = total = 0
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and item[0] in GATES
                and type(item[1]) is int and item[1] >= 0):
            return False
        arity = GATES[item[0]].num_qubits
        if arity is None or arity > 3:
            return False
        links += item[1] * (arity - 1)
        total += item[1]
    return links >= width - 1 and total <= MAX_LOWERED_GATES * width * width + 100


def _read_disk_cache(path: str) -> tuple[dict, bool]:
    """The valid entries of the cache file at ``path`` ({} when absent) and whether the
    file needs rewriting; bad entries and malformed files are reported with a warning and
    dropped (recomputed on use)."""
    import json
    import warnings

    from qcompile.errors import QcompileWarning

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}, False
    except (OSError, ValueError, RecursionError):
        warnings.warn(f"the resource cache {path} is unreadable or not JSON; it is ignored and rebuilt",
                      QcompileWarning, stacklevel=3)
        return {}, True
    if not isinstance(data, dict):
        warnings.warn(f"the resource cache {path} is not a JSON object; it is ignored and rebuilt",
                      QcompileWarning, stacklevel=3)
        return {}, True
    good = {k: v for k, v in data.items() if valid_entry(k, v)}
    if len(good) != len(data):
        bad = sorted(str(k) for k in data if k not in good)
        warnings.warn(f"the resource cache {path} has {len(bad)} implausible entr{'y' if len(bad) == 1 else 'ies'} "
                      f"({', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''}); they are ignored and recomputed",
                      QcompileWarning, stacklevel=3)
    return good, len(good) != len(data)


def _disk_cache() -> dict:
    global _CACHE
    if _CACHE is None:
        disk, rewrite = _read_disk_cache(_cache_path())
        _CACHE = {**disk, **_shipped()}
        if rewrite:
            _save_disk_cache(_CACHE)
    return _CACHE



def cache() -> dict:
    """The lowered counts known in this process (shipped table, disk cache, computed)."""
    return _disk_cache()


def reset_cache() -> None:
    """Forget every count (the next ones are computed afresh, then saved)."""
    global _CACHE
    _CACHE = {}
    lowered_gate.cache_clear()


def _save_disk_cache(cache: dict) -> None:
    import json
    import os

    path = _cache_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(cache, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: the in-process cache still holds


def gate_cx(name: str, width: int) -> int:
    """CX count of one IR gate after lowering (equal to
    :func:`qcompile.circuit.metrics.cx_cost`, with the lowered counts of wide
    multi-controlled gates read from the disk cache)."""
    from qcompile.circuit.gates import GATES

    cx = GATES[name].cx
    if cx is not None:
        return cx
    if width > 1:
        return sum(GATES[n].cx * k for n, k in lowered_gate(name, width))
    return 0
