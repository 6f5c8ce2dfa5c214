"""The NumPy reference: an interpreter of the desugared tensor IR.

``mode="exact"`` is the plain transformer with PyTorch's conventions (the kernels of
:mod:`qcompile.reference.kernels`).  ``mode="surrogate"`` computes what the compiled
circuit computes: every nonlinear op's scalar function is replaced by the polynomial the
compiler chose (``polynomials[node]``: for softmax it replaces exp (or Gaussian attention's
exp(−x²)) and is applied to the raw scores; for an elementwise function, gelu or relu say, it replaces the function).  LayerNorm keeps its eps: the staged
compilation applies it exactly in the glue between stages (DESIGN §1 anticipated eps = 0;
that is only needed by a coherent normalisation, which qcompile does not build yet).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from qcompile.errors import BindError, QcompileError
from qcompile.ir.ops import NONLINEAR_OPS
from qcompile.reference.memory import check_reference_memory

MODES = ("exact", "surrogate")


def bind_inputs(model, x) -> dict[str, np.ndarray]:
    """Validate and convert the user's input(s) into arrays, by input name.

    ``x``: for a one-input model the value itself, else a dict name -> value.  Float
    inputs: shape must match and ‖X‖_F ≤ bound; token inputs: integer ids in [0, vocab);
    text inputs: a string of alphabet letters (tokenised by alphabet index) or ids.
    Complex, boolean, object and text arrays are refused (never silently converted), and
    so is an ``.npz`` archive (give one of its arrays).  Raises BindError.
    """
    specs = model.inputs
    if isinstance(x, np.lib.npyio.NpzFile):
        raise BindError("the input is an .npz archive of several arrays; pass one array (e.g. archive['x'])")
    if isinstance(x, Mapping):
        values = dict(x)
        unknown = sorted(set(values) - {s.name for s in specs})
        if unknown:
            raise BindError(f"the model has no input named '{unknown[0]}'")
    elif len(specs) == 1:
        values = {specs[0].name: x}
    else:
        names = ", ".join(s.name for s in specs)
        raise BindError(f"the model has several inputs ({names}); pass a dict of values")
    out = {}
    for spec in specs:
        if spec.name not in values:
            raise BindError(f"no value given for input '{spec.name}'")
        out[spec.name] = _bind_one(spec, values[spec.name])
    return out


def _bind_one(spec, value) -> np.ndarray:
    _check_real(spec, value)
    if spec.kind == "text" and isinstance(value, str):
        bad = [c for c in value if c not in spec.alphabet]
        if bad:
            raise BindError(f"input '{spec.name}': letter {bad[0]!r} is not in the alphabet "
                            f"\"{spec.alphabet}\"")
        value = [spec.alphabet.index(c) for c in value]
    if spec.kind in ("tokens", "text"):
        arr = np.asarray(value)
        if arr.shape != spec.shape:
            raise BindError(f"input '{spec.name}' must have {spec.shape[0]} tokens, got shape "
                            f"{list(arr.shape)}")
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise BindError(f"input '{spec.name}' must hold integer token ids")
        vocab = spec.vocab
        if np.any(arr < 0) or np.any(arr >= vocab):
            raise BindError(f"input '{spec.name}': token ids must be in 0..{vocab - 1}")
        return arr.astype(np.int64)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise BindError(f"input '{spec.name}' must be an array of numbers") from None
    if arr.shape != spec.shape:
        raise BindError(f"input '{spec.name}' must have shape {list(spec.shape)}, got "
                        f"{list(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise BindError(f"input '{spec.name}' contains nan or inf")
    with np.errstate(over="ignore"):       # entries near 1e308: the norm is inf, refused below
        norm = float(np.linalg.norm(arr))
    if norm > spec.bound * (1 + 1e-12):
        raise BindError(f"input '{spec.name}' has norm {norm:.6g}, above its declared bound "
                        f"{spec.bound:g}")
    if spec.row_bound is not None:
        with np.errstate(over="ignore"):
            rows = np.linalg.norm(arr, axis=1)
        top = int(np.argmax(rows))
        if rows[top] > spec.row_bound * (1 + 1e-12):
            raise BindError(f"input '{spec.name}' has a token (row {top}) of norm {rows[top]:.6g}, "
                            f"above its declared bound {spec.row_bound:g} per token")
    return arr


def _check_real(spec, value) -> None:
    """Refuse values that would convert to float silently and wrongly: complex numbers (the
    imaginary part would be dropped), booleans, objects, text for a non-text input."""
    if isinstance(value, np.lib.npyio.NpzFile):
        raise BindError(f"input '{spec.name}' is an .npz archive; pass one array")
    if spec.kind == "text" and isinstance(value, str):
        return
    try:
        kind = np.asarray(value).dtype.kind
    except (TypeError, ValueError, OverflowError):
        raise BindError(f"input '{spec.name}' must be an array of numbers") from None
    if kind not in "fiu":
        what = {"c": "complex numbers", "b": "booleans", "U": "text", "S": "bytes"}.get(kind, "non-numbers")
        raise BindError(f"input '{spec.name}' must hold real numbers, not {what}")


def _polynomial(polynomials, node: int, op):
    if polynomials is not None:
        for key in (node, f"%{node}"):
            if key in polynomials:
                return polynomials[key]
    where = f" ({op.loc})" if op.loc is not None else ""
    raise QcompileError(f"surrogate mode needs a polynomial for %{node} "
                        f"({op.printed_name}){where}")


def evaluate(graph, weights: Mapping, inputs: dict[str, np.ndarray], mode: str = "exact",
             polynomials: Mapping | None = None) -> dict[int, np.ndarray]:
    """Every node's value (node id -> array) of the desugared ``graph``."""
    from qcompile.functions import get_function
    from qcompile.reference import kernels

    if mode not in MODES:
        raise QcompileError(f"unknown reference mode {mode!r} (use exact or surrogate)")
    check_reference_memory(graph, weights, f"model {graph.name}")
    surrogate = mode == "surrogate"
    env: dict[int, np.ndarray] = {}
    for node, op in graph.nodes():
        args = [env[i] for i in op.inputs]
        name = op.opname
        if op.sugar or name == "param":
            raise QcompileError(f"the reference runs desugared IR, found {name} at %{node}")
        if name == "input":
            val = inputs[op.name]
        elif name == "posenc":
            val = kernels.posenc(op.seq, op.features)
        elif name == "embed":
            val = np.asarray(weights[op.weight], dtype=np.float64)[args[0]]
        elif name == "linear":
            rows = slice(op.row_start, op.row_start + op.out_features)
            w = np.asarray(weights[op.weight])[rows]
            b = np.asarray(weights[op.bias])[rows] if op.bias is not None else None
            val = kernels.linear(args[0], w, b)
        elif name == "matmul":
            val = np.matmul(args[0], args[1])
        elif name == "transpose":
            val = np.transpose(args[0], op.perm)
        elif name == "split_heads":
            x = args[0]
            k = x.shape[-1] // op.heads
            val = np.moveaxis(x.reshape(x.shape[:-1] + (op.heads, k)), -2, 0)
        elif name == "merge_heads":
            x = np.moveaxis(args[0], 0, -2)
            val = x.reshape(x.shape[:-2] + (x.shape[-2] * x.shape[-1],))
        elif name == "add":
            val = args[0] + args[1]
        elif name == "scale":
            val = args[0] * op.factor
        elif name == "causal_mask":
            n, m = args[0].shape[-2:]
            val = np.where(np.triu(np.ones((n, m), dtype=bool), k=1), -np.inf, args[0])
        elif name == "softmax":
            axis = op.type.names.index(op.leg)
            poly = _polynomial(polynomials, node, op) if surrogate else None
            if op.function == "gaussian":
                val = kernels.gaussian_softmax(args[0], axis=axis, gauss=poly)
            elif getattr(poly, "function", None) == "sigmoid":     # a two-way softmax's lowering
                val = kernels.pair_softmax(args[0], axis=axis, sigmoid=poly)
            else:
                val = kernels.softmax(args[0], axis=axis, exp=np.exp if poly is None else poly)
        elif name == "pair_difference":
            q, k = args
            val = q.T[:, :, None] - k.T[:, None, :]
        elif name == "layernorm":
            val = kernels.layernorm(args[0], weights[op.weight], weights[op.bias],
                                    eps=op.eps)
        elif name == "rmsnorm":
            val = kernels.rmsnorm(args[0], weights[op.weight], eps=op.eps)
        elif name == "mul":
            val = args[0] * args[1]
        elif name == "rope":
            val = kernels.rope(args[0], op.base)
        elif name == "repeat_heads":
            val = np.repeat(args[0], op.times, axis=0)
        elif name == "positions":
            val = np.asarray(weights[op.weight], dtype=np.float64)[:op.seq]
        elif name == "elementwise":
            if surrogate:
                val = np.asarray(_polynomial(polynomials, node, op)(args[0]), dtype=np.float64)
            else:
                val = get_function(op.function)(args[0])
        elif name == "select_token":
            val = args[0] if op.token == "all" else args[0][op.token]
        else:  # pragma: no cover - every op kind is listed above
            raise QcompileError(f"the reference cannot evaluate op '{name}'")
        env[node] = val
    return env


def nonlinear_nodes(model) -> list[int]:
    """Ids of the ops whose function surrogate mode replaces (softmax and the elementwise
    functions: gelu, relu, ...)."""
    return [n for n, op in model.ir.nodes() if op.opname in NONLINEAR_OPS]


def reference(model, x, mode: str = "exact", polynomials: Mapping | None = None
              ) -> np.ndarray:
    """Every token's output of ``model`` on input ``x`` (shape [seq, d_out]).

    The ``output`` statement's token selection is NOT applied (see
    :func:`select_output`).  ``mode="surrogate"`` needs ``polynomials`` keyed by node id
    (int or ``"%5"``) for every softmax/gelu/relu node (see :func:`nonlinear_nodes`).
    """
    inputs = bind_inputs(model, x)
    env = evaluate(model.ir, model.weights, inputs, mode, polynomials)
    out = model.ir.op(model.ir.output)
    return env[out.inputs[0]] if out.opname == "select_token" else env[model.ir.output]


def select_output(model, y: np.ndarray) -> np.ndarray:
    """Apply the model's ``output`` token selection to ``reference``'s result."""
    y = check_reference_output(model, y)
    token = model.output.token
    return y if token == "all" else y[token]


def check_reference_output(model, y) -> np.ndarray:
    """``y`` as an array shaped like :func:`reference`'s result for ``model`` (BindError
    otherwise)."""
    from qcompile.validate import check_array

    out = model.ir.op(model.ir.output)
    node = out.inputs[0] if out.opname == "select_token" else model.ir.output
    shape = tuple(leg.dim for leg in model.ir.op(node).type.legs)
    try:
        return check_array(y, "the reference output", shape)
    except QcompileError as exc:
        raise BindError(exc.message) from None
