"""NumPy evaluation of the quantum IR: what the stage circuits compute, without circuits.

Used to check the symbolic lowering against the reference transformer (the algebra is
exact, so a staged program evaluated here equals the surrogate reference to rounding), and
to share the glue between stages with the circuit runner.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from qcompile.errors import BindError
from qcompile.lowering import forms as F
from qcompile.lowering.forms import ROW
from qcompile.lowering.symbolic import Glue, Lowered, Stage


def evaluate_form(form: F.Form, matrices: Mapping[str, np.ndarray], vectors: Mapping[str, np.ndarray],
                  nonlinear: Callable[[F.Nonlinear, np.ndarray], np.ndarray], token: int = ROW
                  ) -> np.ndarray:
    """The vector of ``form`` (generic rows bound to ``token``).  ``nonlinear(nl, x)``
    evaluates a nonlinear source on its argument's vector."""
    cache: dict[int, np.ndarray] = {}

    def source(s) -> np.ndarray:
        if isinstance(s, F.InputRow):
            t = token if s.token == ROW else s.token
            if t == ROW:
                raise ValueError("a generic row needs a token")
            return matrices[s.name][t]
        if isinstance(s, F.Const):
            return np.asarray(s.vector)
        if isinstance(s, F.StageInput):
            return vectors[s.name]
        if isinstance(s, F.Nonlinear):
            if id(s) not in cache:
                cache[id(s)] = np.asarray(nonlinear(s, evaluate_form(s.argument, matrices, vectors,
                                                                      nonlinear, token)), float)
            return cache[id(s)]
        raise TypeError(s)  # pragma: no cover

    def factor(f, v: np.ndarray) -> np.ndarray:
        if isinstance(f, F.Dense):
            return f.matrix @ v
        if isinstance(f, F.InputMatrix):
            x = matrices[f.name]
            m = x.T if f.transpose else x
            return (v.reshape(f.batch, -1) @ m.T).reshape(-1)
        if isinstance(f, F.RankOne):
            return source(f.source) * float(f.right @ v)
        raise TypeError(f)  # pragma: no cover

    out = np.zeros(form.dim)
    for t in form.terms:
        v = source(t.source)
        for f in reversed(t.factors):
            v = factor(f, v)
        out += t.coeff * v
    return out


def evaluate_stage(stage: Stage, matrices, vectors, nonlinear) -> np.ndarray:
    """A stage's output vector (for ``rows="all"``: the rows stacked, token-major)."""
    if stage.rows == "all":
        return np.concatenate([evaluate_form(stage.form, matrices, vectors, nonlinear, t)
                               for t in range(stage.seq)])
    return evaluate_form(stage.form, matrices, vectors, nonlinear)


def apply_glue(glue: Glue, out: np.ndarray) -> np.ndarray:
    """The classical glue (see :class:`~qcompile.lowering.symbolic.Glue`): layer-norm
    normalisation with eps, of one vector or of every row, or division of every block by
    its sum (softmax).  O(len(out)); raises BindError when a normaliser is not positive."""
    if glue.kind in ("normalize", "normalize_scaled"):
        c = out
        if glue.kind == "normalize_scaled":
            if out[-1] <= 0:
                raise BindError("softmax normaliser is not positive (polynomial exp went negative)")
            c = out[:-1] / out[-1]
        return _layernorm_direction(c, glue.eps)
    if glue.kind == "normalize_rows":
        rows = out.reshape(glue.rows, -1)
        return np.stack([_layernorm_direction(r, glue.eps) for r in rows])
    if glue.kind == "block_sum":
        blocks = out.reshape(glue.blocks, -1)
        z = blocks.sum(axis=1, keepdims=True)
        if np.any(z <= 0):
            raise BindError("softmax normaliser is not positive (polynomial exp went negative)")
        return (blocks / z).reshape(-1)
    raise ValueError(f"unknown glue {glue.kind}")  # pragma: no cover


def _layernorm_direction(c: np.ndarray, eps: float) -> np.ndarray:
    """``c/√(‖c‖² + d·eps)`` for a centred vector ``c`` of length d: LayerNorm's
    ``(x − mean)/√(var + eps)`` divided by √d (the next stage multiplies by √d·γ)."""
    n2 = float(c @ c) + c.shape[0] * eps
    if n2 == 0:
        raise BindError("layer norm of a constant vector with eps = 0 is undefined")
    return c / np.sqrt(n2)


def run_numeric(lowered: Lowered, matrices: Mapping[str, np.ndarray],
                nonlinear: Callable[[F.Nonlinear, np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Every stage's output vector, glue applied between stages; the last is the output."""
    mats = dict(matrices)
    vecs: dict[str, np.ndarray] = {}
    outs = []
    for st in lowered.stages:
        out = evaluate_stage(st, mats, vecs, nonlinear)
        outs.append(out)
        hand_on(st.glue, out, mats, vecs)
    return outs


def hand_on(glue: Glue | None, out: np.ndarray, matrices: dict, vectors: dict) -> np.ndarray | None:
    """Apply a stage's glue to its read-out vector and store the result where later
    stages' loaders look for it: a matrix input (every row normalised) or a vector
    input.  Returns the glued value (None after the last stage)."""
    if glue is None:
        return None
    value = apply_glue(glue, out)
    (matrices if glue.kind == "normalize_rows" else vectors)[glue.produces] = value
    return value
