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


def _match_names(keys: list[str], expected: Mapping[str, Shape], shown: str,
                 location: SourceLocation | None) -> dict[str, str]:
    """Model weight name -> the file's name for it (prefix stripped, buffers ignored), or a
    WeightError naming the first unexpected or missing weight."""
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
        raise WeightError(f"weight file '{shown}' has an unexpected weight "
                          f"'{prefix}{name}'{more}{hint}", location)
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise WeightError(f"weight file '{shown}' is missing the weight '{missing[0]}'{more}", location)
    return by_name


def _checked(arr: np.ndarray, name: str, shape: Shape, shown: str, location) -> np.ndarray:
    """``arr`` as a C-contiguous float64 copy after the shape and finiteness checks."""
    if tuple(arr.shape) != tuple(shape):
        raise WeightError(f"weight '{name}' in '{shown}' has shape {_fmt_shape(arr.shape)}, "
                          f"but the model expects {_fmt_shape(shape)}", location)
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise WeightError(f"weight '{name}' in '{shown}' contains non-finite values (nan or inf)", location)
    return arr


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


class _Reader:
    """One weight file's arrays: ``headers`` (file name -> (shape, dtype)) known before any
    data is read, ``read(name)`` for one array.  A context manager."""

    def __init__(self, path: str, shown: str, location):
        from qcompile.files import NpzArchive, open_regular

        self.shown, self.location = shown, location
        fh = open_regular(path, "weight file", WeightError, location, shown=shown)
        try:
            magic = fh.read(16)
            fh.seek(0)
        except OSError as exc:
            fh.close()
            raise WeightError(f"weight file '{shown}' cannot be read ({exc.strerror})", location) from None
        self._safetensors = None
        if magic.startswith(b"\x80"):
            fh.close()
            raise WeightError(f"weight file '{shown}' contains pickled data, which qcompile refuses "
                              "to load; save plain arrays with numpy.savez or safetensors", location)
        if magic.startswith(b"\x93NUMPY"):
            from qcompile.files import npy_header

            try:
                npy_header(fh, f"weight file '{shown}'", WeightError, location)  # a pickle: said so
            finally:
                fh.close()
            raise WeightError(f"weight file '{shown}' holds a single array, not an .npz archive "
                              "of named arrays", location)
        if magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            self._npz = NpzArchive(fh, f"'{shown}'", WeightError, location)
            self.headers = dict(self._npz.headers)
            return
        fh.close()
        if str(path).endswith(".safetensors") or magic[8:9] == b"{":
            self._open_safetensors(path)
            return
        raise WeightError(f"weight file '{shown}' is not a readable .npz archive (or .safetensors file)",
                          location)

    def _open_safetensors(self, path: str) -> None:
        try:
            from safetensors import safe_open
        except ImportError:
            raise WeightError(f"weight file '{self.shown}' is a safetensors file, which needs the "
                              "'safetensors' package: pip install 'qcompile[hf]'", self.location) from None
        try:
            self._safetensors = safe_open(str(path), framework="numpy")
            handle = self._safetensors.__enter__() if hasattr(self._safetensors, "__enter__") else \
                self._safetensors
            self._st = handle
            self.headers = {}
            for key in handle.keys():
                sl = handle.get_slice(key)
                self.headers[key] = (tuple(int(n) for n in sl.get_shape()), _st_dtype(sl.get_dtype()))
        except WeightError:
            raise
        except Exception as exc:  # noqa: BLE001 - the library's own error types vary by version
            raise WeightError(f"weight file '{self.shown}' is not a readable safetensors file "
                              f"({str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__})",
                              self.location) from None
        self._npz = None

    def read(self, key: str) -> np.ndarray:
        """The array ``key`` of the file."""
        if self._npz is not None:
            return self._npz.read(key)
        try:
            return np.asarray(self._st.get_tensor(key))
        except Exception as exc:  # noqa: BLE001 - the library's own error types vary by version
            raise WeightError(f"weight '{key}' in '{self.shown}' cannot be read ({type(exc).__name__})",
                              self.location) from None

    def close(self) -> None:
        """Release the file."""
        if self._npz is not None:
            self._npz.close()
        elif self._safetensors is not None and hasattr(self._safetensors, "__exit__"):
            self._safetensors.__exit__(None, None, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


#: safetensors dtype names -> NumPy dtypes (the real ones; others are refused by kind)
_ST_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32",
              "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16",
              "U8": "uint8", "BOOL": "bool"}


def _st_dtype(name: str) -> np.dtype:
    """The NumPy dtype of a safetensors dtype name (bfloat16 and float8 have none: refused)."""
    if name not in _ST_DTYPES:
        return np.dtype("V2")
    return np.dtype(_ST_DTYPES[name])


def load_weights(path, expected: Mapping[str, Shape], location: SourceLocation | None = None,
                 naming: str | None = None, shown: str | None = None) -> dict[str, np.ndarray]:
    """Load the weights named in ``expected`` (name → shape) from an ``.npz`` archive or a
    ``.safetensors`` file (with the ``safetensors`` package, NumPy arrays, no pickle).

    Only regular files are read.  Every array's shape and dtype come from the file's headers
    before any data is read: names must match ``expected`` (one common dotted prefix such
    as ``encoder.`` is stripped when that makes them match, PyTorch buffers such as
    ``num_batches_tracked`` are ignored), shapes must be the expected ones and dtypes real,
    and the expected arrays must fit the memory limit.  With ``naming`` (``weights
    "m.safetensors" naming gpt2``) every array is read and renamed by
    ``qcompile.hf_weights.rename(arrays, naming, shapes)`` before the same checks.  Arrays
    come back as C-contiguous float64 copies with finite values.  ``shown`` replaces the
    path in messages.  Any problem raises a WeightError carrying ``location``.
    """
    from qcompile.files import check_real_dtype
    from qcompile.validate import check_memory

    shown = os.fspath(path) if shown is None else shown
    need = sum(_size(s) for s in expected.values()) * 8
    check_memory(need, f"loading the weights ({len(expected)} arrays)")
    with _Reader(path, shown, location) as reader:
        for key, (shape, dtype) in reader.headers.items():
            check_real_dtype(dtype, f"weight '{key}' in '{shown}'", WeightError, location)
        if naming is not None:
            return _renamed(reader, expected, location, naming, shown)
        by_name = _match_names(list(reader.headers), expected, shown, location)
        for name, shape in expected.items():
            got = reader.headers[by_name[name]][0]
            if tuple(got) != tuple(shape):
                raise WeightError(f"weight '{name}' in '{shown}' has shape {_fmt_shape(got)}, "
                                  f"but the model expects {_fmt_shape(shape)}", location)
        return {name: _checked(reader.read(by_name[name]), name, shape, shown, location)
                for name, shape in expected.items()}


def _renamed(reader: "_Reader", expected, location, naming: str, shown: str) -> dict[str, np.ndarray]:
    """Every array of the file renamed by ``qcompile.hf_weights.rename``, then checked."""
    from qcompile.errors import NotImplementedYetError
    from qcompile.validate import check_memory

    try:
        from qcompile.hf_weights import rename
    except ModuleNotFoundError as exc:
        if exc.name not in ("qcompile.hf_weights", "qcompile"):
            raise
        raise NotImplementedYetError(f"weight naming '{naming}' is not implemented yet", location) from None
    total = sum(_size(s) * max(d.itemsize, 8) for s, d in reader.headers.values())
    check_memory(total, f"reading every array of '{shown}'")
    arrays = {key: reader.read(key) for key in reader.headers if not _is_ignored(key)}
    renamed = rename(arrays, naming, dict(expected))
    by_name = _match_names(list(renamed), expected, shown, location)
    return {name: _checked(np.asarray(renamed[by_name[name]]), name, shape, shown, location)
            for name, shape in expected.items()}


def load_npz(path, expected: Mapping[str, Shape], location: SourceLocation | None = None
             ) -> dict[str, np.ndarray]:
    """Load the weights named in ``expected`` (name → shape) from an ``.npz`` file
    (:func:`load_weights`, which also reads ``.safetensors``): pickles and object arrays are
    refused, names and shapes are checked from the headers before any data is read, and
    each array comes back as a C-contiguous float64 copy with finite values."""
    return load_weights(path, expected, location)


def resolve_weights_path(written: str, model_path: str | None, weights_root=None,
                         location: SourceLocation | None = None) -> str:
    """The real path of the weights file a model names (``written``, relative to the model's
    folder, or the current folder for a model given as text).  It must lie inside the
    model's folder or inside ``weights_root``; anything else (an absolute path elsewhere,
    ``../``, a symbolic link leading out) is refused with a message that says nothing about
    the path, so an untrusted model cannot probe or read the file system."""
    base = os.path.dirname(os.path.abspath(model_path)) if model_path else os.getcwd()
    roots = [os.path.realpath(base)]
    if weights_root is not None:
        roots.append(os.path.realpath(os.fspath(weights_root)))
    try:
        real = os.path.realpath(os.path.join(base, written))
    except (ValueError, OSError):
        real = ""
    for root in roots:
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return real
    raise WeightError("the weights file this model names lies outside the model's folder; weights are "
                      "read only from there or from an allowed root (--weights-root DIR, "
                      "load(..., weights_root=DIR))", location)


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
    "IGNORED_BUFFERS", "encoder_layer_weight_shapes", "load_npz", "load_weights", "random_weights",
    "resolve_weights_path",
    "save_npz", "torch_state_dict_to_numpy",
]
