"""Model weights: expected names and shapes, ``.npz`` loading and saving, seeded random weights.

Names follow PyTorch ``state_dict`` conventions so weights round-trip to and from PyTorch.
An ``nn.TransformerEncoderLayer`` uses the names of :func:`encoder_layer_weight_shapes`
(with a ``layers.N.`` prefix for stacks).  Exporting a trained layer takes three lines::

    import numpy as np, torch
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8,
                                             dropout=0.0, batch_first=True)
    np.savez("enc.npz", **{k: v.detach().numpy() for k, v in layer.state_dict().items()})

Every failure while loading raises :class:`qcompile.errors.WeightError` with one plain
sentence and the source location of the ``weights`` statement (if given).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import zipfile
from typing import Mapping

import numpy as np

from qcompile.errors import SourceLocation, WeightError

Shape = tuple[int, ...]

#: last name components that are PyTorch bookkeeping buffers, not weights; they are
#: accepted in a file and ignored (``BatchNorm``'s counter is the only one so far)
IGNORED_BUFFERS = frozenset({"num_batches_tracked"})

#: half-width of the uniform noise on LayerNorm-style γ (around 1) and β (around 0)
NORM_NOISE = 0.1


# --------------------------------------------------------------------------- expected names
def encoder_layer_weight_shapes(d_model: int, d_ff: int, prefix: str = "") -> dict[str, Shape]:
    """Names and shapes of one ``nn.TransformerEncoderLayer(d_model, nhead, d_ff)``'s weights.

    ``prefix`` is prepended verbatim (e.g. ``"layers.0."`` for the first layer of a stack).
    """
    d, f = int(d_model), int(d_ff)
    shapes = {
        "self_attn.in_proj_weight": (3 * d, d),
        "self_attn.in_proj_bias": (3 * d,),
        "self_attn.out_proj.weight": (d, d),
        "self_attn.out_proj.bias": (d,),
        "linear1.weight": (f, d),
        "linear1.bias": (f,),
        "linear2.weight": (d, f),
        "linear2.bias": (d,),
        "norm1.weight": (d,),
        "norm1.bias": (d,),
        "norm2.weight": (d,),
        "norm2.bias": (d,),
    }
    return {prefix + name: shape for name, shape in shapes.items()}


# --------------------------------------------------------------------------- loading
def _fmt_shape(shape) -> str:
    return "[" + ", ".join(str(int(n)) for n in shape) + "]"


def _is_ignored(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in IGNORED_BUFFERS


def _common_prefixes(names: list[str]) -> list[str]:
    """Every dotted prefix (ending in '.') shared by all ``names``, shortest first."""
    if not names:
        return []
    parts = [n.split(".")[:-1] for n in names]
    prefixes = []
    for depth in range(1, min(len(p) for p in parts) + 1):
        head = parts[0][:depth]
        if all(p[:depth] == head for p in parts):
            prefixes.append(".".join(head) + ".")
        else:
            break
    return prefixes


def _strip_prefix(names: list[str], expected: Mapping[str, Shape]) -> str:
    """The common prefix to strip from the file's names ('' for none).

    If the names do not all match ``expected`` as they are, and every name starts with
    the same dotted prefix (``encoder.``, ``layers.0.``, ``model.encoder.``), the prefix
    whose removal makes the most names match is stripped (the shortest on a tie).
    """
    wanted = set(expected)
    best, best_hits = "", len(wanted.intersection(names))
    if best_hits == len(names) == len(wanted):
        return ""
    for prefix in _common_prefixes(names):
        hits = len(wanted.intersection(n[len(prefix):] for n in names))
        if hits > best_hits:
            best, best_hits = prefix, hits
    return best


def _open_npz(path: str, location: SourceLocation | None):
    if not os.path.exists(path):
        raise WeightError(f"weight file '{path}' does not exist", location)
    if os.path.isdir(path):
        raise WeightError(f"weight file '{path}' is a directory, not an .npz file", location)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        raise WeightError(f"weight file '{path}' cannot be read ({exc.strerror})", location) from exc
    if magic.startswith(b"\x80"):
        raise WeightError(f"weight file '{path}' contains pickled data, which qcompile refuses "
                          "to load; save plain arrays with numpy.savez", location)
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
        raise WeightError(f"weight file '{path}' is not a readable .npz archive", location)
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object arrays" in str(exc).lower():
            raise WeightError(f"weight file '{path}' contains pickled data, which qcompile "
                              "refuses to load; save plain arrays with numpy.savez",
                              location) from exc
        raise WeightError(f"weight file '{path}' is not a readable .npz archive", location) from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise WeightError(f"weight file '{path}' is not a readable .npz archive", location) from exc
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise WeightError(f"weight file '{path}' holds a single array, not an .npz archive "
                          "of named arrays", location)
    return data


def _read_array(data, key: str, path: str, location) -> np.ndarray:
    try:
        arr = data[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise WeightError(f"weight '{key}' in '{path}' is an object array (pickled data), "
                              "which qcompile refuses to load", location) from exc
        raise WeightError(f"weight '{key}' in '{path}' cannot be read", location) from exc
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise WeightError(f"weight '{key}' in '{path}' cannot be read", location) from exc
    if arr.dtype.kind not in "fiu":
        raise WeightError(f"weight '{key}' in '{path}' has dtype {arr.dtype}, "
                          "but weights must be real numbers", location)
    return arr


def load_npz(path, expected: Mapping[str, Shape], location: SourceLocation | None = None
             ) -> dict[str, np.ndarray]:
    """Load the weights named in ``expected`` (name → shape) from an ``.npz`` file.

    The file is read with ``np.load(path, allow_pickle=False)``: pickles and object
    arrays are refused.  Names must match ``expected`` exactly, except that (1) one
    common dotted prefix shared by every name in the file (``encoder.``, ``layers.0.``)
    is stripped when that makes the names match (see :func:`_strip_prefix`), and (2)
    PyTorch bookkeeping buffers (:data:`IGNORED_BUFFERS`, e.g. ``num_batches_tracked``)
    are ignored.  Each array must have the expected shape and finite values; it is
    returned as a C-contiguous float64 copy.  Any problem raises a WeightError carrying
    ``location`` (the ``weights`` statement).
    """
    path = os.fspath(path)
    data = _open_npz(path, location)
    try:
        keys = list(data.files)
        names = [k for k in keys if not _is_ignored(k)]
        prefix = _strip_prefix(names, expected)
        by_name = {k[len(prefix):]: k for k in names}

        missing = [n for n in expected if n not in by_name]
        unexpected = [n for n in by_name if n not in expected]
        if unexpected:
            name = sorted(unexpected)[0]
            close = difflib.get_close_matches(name, missing or list(expected), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            more = f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""
            raise WeightError(f"weight file '{path}' has an unexpected weight "
                              f"'{prefix}{name}'{more}{hint}", location)
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise WeightError(f"weight file '{path}' is missing the weight '{missing[0]}'{more}",
                              location)

        out: dict[str, np.ndarray] = {}
        for name, shape in expected.items():
            arr = _read_array(data, by_name[name], path, location)
            if tuple(arr.shape) != tuple(shape):
                raise WeightError(f"weight '{name}' in '{path}' has shape {_fmt_shape(arr.shape)}, "
                                  f"but the model expects {_fmt_shape(shape)}", location)
            arr = np.ascontiguousarray(arr, dtype=np.float64)
            if not np.all(np.isfinite(arr)):
                raise WeightError(f"weight '{name}' in '{path}' contains non-finite values "
                                  "(nan or inf)", location)
            out[name] = arr
        return out
    finally:
        data.close()


def save_npz(path, weights: Mapping[str, np.ndarray]) -> None:
    """Write ``weights`` (name → array) to ``path`` exactly (no ``.npz`` suffix is added).

    The arrays are stored as float64; :func:`load_npz` reads the file back unchanged.
    """
    arrays = {}
    for name, value in weights.items():
        if not isinstance(name, str) or not name:
            raise WeightError(f"weight name {name!r} is not a non-empty string")
        arrays[name] = np.asarray(value, dtype=np.float64)
    with open(os.fspath(path), "wb") as fh:
        np.savez(fh, **arrays)


def torch_state_dict_to_numpy(state_dict) -> dict[str, np.ndarray]:
    """A PyTorch ``state_dict`` as float64 NumPy arrays with the same names.

    Works on any mapping whose values have ``.detach()`` (tensors) or are array-like, so
    torch is never imported here.
    """
    out = {}
    for name, value in state_dict.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        out[name] = np.array(value, dtype=np.float64)
    return out


# --------------------------------------------------------------------------- random weights
def _name_seed(seed: int, name: str) -> int:
    """A 128-bit seed from (seed, name), via SHA-256 (stable across machines and runs)."""
    digest = hashlib.sha256(f"qcompile-weights\0{int(seed)}\0{name}".encode()).digest()
    return int.from_bytes(digest[:16], "little")


def _uniform(seed: int, name: str, shape: Shape) -> np.ndarray:
    """U[0, 1) doubles from ``Generator(PCG64(seed of (seed, name))).random``.

    That method returns (raw >> 11) · 2⁻⁵³ for each raw 64-bit PCG64 output; PCG64's raw
    stream is fixed by NumPy's stability policy, and the tests check this identity against
    ``PCG64.random_raw`` so a change in ``Generator.random`` would not go unnoticed.
    """
    rng = np.random.Generator(np.random.PCG64(_name_seed(seed, name)))
    return rng.random(shape, dtype=np.float64)


def _role(name: str, expected: Mapping[str, Shape]) -> tuple[str, int]:
    """('norm_weight' | 'norm_bias' | 'dense', fan_in) for the weight ``name``.

    A 1-D ``...weight`` is a LayerNorm-style scale γ; a ``...bias`` whose sibling
    ``...weight`` is 1-D is its shift β.  Anything else is dense with fan_in = the last
    dimension of the sibling weight (for a bias) or of itself (for a matrix).
    """
    shape = tuple(expected[name])
    if name.endswith("weight"):
        if len(shape) == 1:
            return "norm_weight", 1
        return "dense", shape[-1] if shape else 1
    if name.endswith("bias"):
        sibling = expected.get(name[: -len("bias")] + "weight")
        if sibling is not None and len(sibling) == 1:
            return "norm_bias", 1
        if sibling is not None and len(sibling) >= 1:
            return "dense", tuple(sibling)[-1]
    return "dense", shape[-1] if shape else 1


def random_weights(expected: Mapping[str, Shape], seed: int) -> dict[str, np.ndarray]:
    """Deterministic random weights for ``expected`` (name → shape), PyTorch-like scales.

    Each weight has its own generator, ``PCG64`` seeded with SHA-256 of (seed, name), so
    the values are identical on every machine and NumPy version, and adding or removing
    a weight leaves the others unchanged.  Scales (u ~ U[−1, 1)):
    matrices and their biases: u/√fan_in (fan_in = the matrix's last dimension, as
    ``nn.Linear``'s default init; biases are nonzero so they are exercised);
    LayerNorm γ (1-D ``...weight``): 1 + 0.1·u; LayerNorm β (its ``...bias``): 0.1·u.
    Contract relied on by lazy generation: a weight's value depends only on ``seed``, its
    name and shape, and (for a ``...bias``) the shape of its sibling ``...weight``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise WeightError(f"random weight seed must be an integer, not {seed!r}")
    out = {}
    for name, shape in expected.items():
        shape = tuple(int(n) for n in shape)
        u = 2.0 * _uniform(int(seed), name, shape) - 1.0
        role, fan_in = _role(name, expected)
        if role == "norm_weight":
            value = 1.0 + NORM_NOISE * u
        elif role == "norm_bias":
            value = NORM_NOISE * u
        else:
            value = u / np.sqrt(max(fan_in, 1))
        out[name] = np.ascontiguousarray(value, dtype=np.float64)
    return out


__all__ = [
    "IGNORED_BUFFERS", "encoder_layer_weight_shapes", "load_npz", "random_weights",
    "save_npz", "torch_state_dict_to_numpy",
]
