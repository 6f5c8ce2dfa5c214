"""Weight norms for resource estimation: measured (JSON) or the random-weight defaults.

A model's subnormalisations depend on its weights only through norms: the spectral norm of
each matrix (its block encoding's α), a bias's 2-norm, a LayerNorm γ's largest entry and an
embedding table's largest row norm.  ``qcompile resources --norms norms.json`` takes them
from a JSON object keyed by weight name (PyTorch ``state_dict`` names, as the model's
weights have)::

    {"layers.0.linear1.weight": {"spectral": 2.31, "frobenius": 24.0},
     "layers.0.linear1.bias":   {"norm": 0.84, "max_abs": 0.12},
     "embed.weight":            {"spectral": 41.2, "frobenius": 180.0, "max_row_norm": 3.9}}

Measure them from a real checkpoint with :func:`measure_norms` (e.g. on
``torch.load("model.pt")`` converted to NumPy, or on an ``.npz``) and ``json.dump`` the
result.  Weights missing from the JSON get the defaults of the compiler's random weights
(:func:`qcompile.weights.random_weights`: entries ``u/√fan_in``, ``u ~ U[−1, 1)``):
spectral ``≈ (√m + √n)/√(3n)`` for an ``m × n`` matrix (the random-matrix edge, an
estimate, not a bound), Frobenius ``√(m/3)``, largest row norm ``≤ 1``; biases norm
``√(m/(3·fan_in))``; LayerNorm γ ``= 1 ± 0.1``, β ``= ±0.1``.
"""

from __future__ import annotations

import json
import math
from typing import Mapping

import numpy as np

from qcompile.errors import QcompileError
from qcompile.qir.linalg import AbstractMatrix, AbstractVector


def measure_norms(weights: Mapping[str, np.ndarray]) -> dict:
    """The norms JSON object (module docstring) of a mapping name → array."""
    out = {}
    for name, w in weights.items():
        a = np.asarray(w, dtype=float)
        if a.ndim == 2:
            out[name] = {"spectral": float(np.linalg.norm(a, 2)), "frobenius": float(np.linalg.norm(a)),
                         "max_row_norm": float(np.linalg.norm(a, axis=1).max()) if a.size else 0.0}
        elif a.ndim == 1:
            out[name] = {"norm": float(np.linalg.norm(a)), "max_abs": float(np.max(np.abs(a))) if a.size else 0.0}
    return out


#: the figures a norms entry may give
NORM_KEYS = ("spectral", "frobenius", "max_row_norm", "norm", "max_abs")
#: largest norms file read
MAX_NORMS_BYTES = 64 * 2**20


def load_norms(path: str) -> dict:
    """Read and check a norms JSON file (:func:`check_norms`); a plain error for a missing
    or non-regular file, bad JSON or a bad entry."""
    from qcompile.files import open_regular

    with open_regular(path, "norms file") as fh:
        raw = fh.read(MAX_NORMS_BYTES + 1)
    if len(raw) > MAX_NORMS_BYTES:
        raise QcompileError(f"the norms file {path} is larger than {MAX_NORMS_BYTES // 2**20} MiB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise QcompileError(f"the norms file {path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise QcompileError(f"the norms file {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise QcompileError(f"the norms file {path} nests JSON too deeply") from None
    if not isinstance(data, dict):
        raise QcompileError(f"the norms file {path} must hold a JSON object keyed by weight name")
    return check_norms(data, f"the norms file {path}")


def check_norms(norms, where: str = "norms") -> dict:
    """``norms`` (weight name -> {figure: number}) checked: names are strings, each entry an
    object whose keys are among :data:`NORM_KEYS` and whose values are finite numbers
    >= 0 (NaN, negatives, strings and booleans refused).  None means no norms."""
    if norms is None:
        return None
    if not isinstance(norms, Mapping):
        raise QcompileError(f"{where} must map weight names to norms, got {type(norms).__name__}")
    for name, entry in norms.items():
        if not isinstance(name, str) or not name:
            raise QcompileError(f"{where}: weight names must be non-empty strings, got {name!r}"[:200])
        if not isinstance(entry, Mapping):
            raise QcompileError(f"{where}: the norms of weight {name} must be an object such as "
                                f"{{\"spectral\": 2.3}}, got {type(entry).__name__}")
        for key in entry:
            if key not in NORM_KEYS:
                raise QcompileError(f"{where}: weight {name} has an unknown figure {str(key)[:40]!r}; "
                                    f"the figures are {', '.join(NORM_KEYS)}")
            _number(entry, key, name)
    return dict(norms)


def _number(entry: dict, key: str, name: str):
    v = entry.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise QcompileError(f"norm '{key}' of weight {name} must be a finite number >= 0, got {v!r}")
    return float(v)


def abstract_weights(shapes: Mapping[str, tuple], norms: Mapping | None = None) -> dict:
    """Weight name → :class:`AbstractMatrix` / :class:`AbstractVector` from the shapes and
    the given norms (defaults for the rest, module docstring)."""
    from qcompile.weights import NORM_NOISE, _role

    norms = dict(norms or {})
    unknown = sorted(set(norms) - set(shapes))
    if unknown:
        raise QcompileError(f"the norms name weights the model does not have: {', '.join(unknown[:5])}"
                            + (" ..." if len(unknown) > 5 else ""))
    out = {}
    for name, shape in shapes.items():
        shape = tuple(int(s) for s in shape)
        role, fan_in = _role(name, shapes)
        given = norms.get(name, {})
        if not isinstance(given, dict):
            raise QcompileError(f"the norms of weight {name} must be a JSON object")
        if len(shape) == 2:
            m, n = shape
            spec = _number(given, "spectral", name)
            fro = _number(given, "frobenius", name)
            row = _number(given, "max_row_norm", name)
            if spec is None:
                spec = (math.sqrt(m) + math.sqrt(n)) / math.sqrt(3 * n)
            if fro is None:
                fro = math.sqrt(m / 3)
            if row is None:
                row = 1.0 if not given else spec
            out[name] = AbstractMatrix(shape, spec, max(fro, spec), max_row_norm=row)
        elif len(shape) == 1:
            (m,) = shape
            if role == "norm_weight":
                d_norm, d_max = math.sqrt(m) * (1 + NORM_NOISE), 1 + NORM_NOISE
            elif role == "norm_bias":
                d_norm, d_max = math.sqrt(m) * NORM_NOISE, NORM_NOISE
            else:
                d_norm, d_max = math.sqrt(m / (3 * fan_in)), 1 / math.sqrt(fan_in)
            norm = _number(given, "norm", name)
            mx = _number(given, "max_abs", name)
            out[name] = AbstractVector(m, d_norm if norm is None else norm, d_max if mx is None else mx)
        else:
            raise QcompileError(f"weight {name} has shape {list(shape)}; only matrices and vectors are supported")
    return out
