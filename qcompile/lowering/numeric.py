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
    """The classical glue: normalise (layer norm, eps = 0), normalise every row, or divide
    every block by its sum (softmax).  O(len(out)); raises BindError when the vector to
    normalise is zero (the layer norm of a constant vector is undefined with eps = 0)."""
    if glue.kind == "normalize":
        n = np.linalg.norm(out)
        if n == 0:
            raise BindError("layer norm of a constant vector: the stage output is zero")
        return out / n
    if glue.kind == "normalize_rows":
        rows = out.reshape(glue.rows, -1)
        n = np.linalg.norm(rows, axis=1, keepdims=True)
        if np.any(n == 0):
            raise BindError("layer norm of a constant row: a stage output row is zero")
        return rows / n
    if glue.kind == "block_sum":
        blocks = out.reshape(glue.blocks, -1)
        z = blocks.sum(axis=1, keepdims=True)
        if np.any(z <= 0):
            raise BindError("softmax normaliser is not positive (polynomial exp went negative)")
        return (blocks / z).reshape(-1)
    raise ValueError(f"unknown glue {glue.kind}")  # pragma: no cover


def run_numeric(lowered: Lowered, matrices: Mapping[str, np.ndarray],
                nonlinear: Callable[[F.Nonlinear, np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Every stage's output vector, glue applied between stages; the last is the output."""
    mats = dict(matrices)
    vecs: dict[str, np.ndarray] = {}
    outs = []
    for st in lowered.stages:
        out = evaluate_stage(st, mats, vecs, nonlinear)
        outs.append(out)
        if st.glue is not None:
            g = apply_glue(st.glue, out)
            if st.glue.kind == "normalize_rows":
                mats[st.glue.produces] = g
            else:
                vecs[st.glue.produces] = g
    return outs
