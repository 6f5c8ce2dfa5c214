"""NumPy evaluation of the quantum IR: what the stage circuits compute, without circuits.

Used to check the symbolic lowering against the reference transformer (the algebra is
exact, so a staged program evaluated here equals the surrogate reference to rounding), to
calibrate polynomial degrees (the error bound needs every stage's read-out), and to share
the glue between stages with the circuit runner.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from qcompile.errors import InternalError
from qcompile.qir.nodes import ROW, Form, Nonlinear
from qcompile.qir.visitor import FormVisitor


class _Evaluate(FormVisitor):
    """The vector of a form for given matrix inputs, stage vectors and nonlinear rule."""

    memoize = True

    def __init__(self, matrices, vectors, nonlinear, token: int):
        super().__init__()
        self.matrices, self.vectors, self.rule, self.token = matrices, vectors, nonlinear, token

    def input_row(self, s):
        t = self.token if s.token == ROW else s.token
        if t == ROW:
            raise InternalError("a generic row needs a token")
        return self.matrices[s.name][t]

    def const(self, s):
        return np.asarray(s.vector)

    def stage_input(self, s):
        return self.vectors[s.name]

    def nonlinear(self, s):
        return np.asarray(self.rule(s, self.form(s.argument)), float)

    def dense(self, f, v):
        return f.matrix @ v

    def input_matrix(self, f, v):
        x = self.matrices[f.name]
        if f.block:   # each head's block: X zero-padded to block × block
            padded = np.zeros((f.block, f.block))
            padded[:x.shape[0], :x.shape[1]] = x
            x = padded
        m = x.T if f.transpose else x
        return (v.reshape(f.batch, -1) @ m.T).reshape(-1)

    def rank_one(self, f, v):
        return self.source(f.source) * float(f.right @ v)

    def rotary(self, f, v):
        if self.token == ROW:
            raise InternalError("a rotary factor needs a token")
        return f.matrix(self.token) @ v

    def rotary_keys(self, f, v):
        x = self.matrices[f.name]
        m = f.matrix
        out = np.zeros((m.batch, m.block))
        for s in range(x.shape[0]):
            w = (f.inner.matrix @ (f.rotation(s).T @ v)).reshape(m.batch, m.block)
            out[:, s] = w[:, :x.shape[1]] @ x[s]
        return out.reshape(-1)

    def diagonal(self, f, v):
        return self.form(f.form) * v

    def weigh(self, coeff, value, term):
        return coeff * value

    def combine(self, form, values):
        out = np.zeros(form.dim)
        for v in values:
            out += v
        return out


def evaluate_form(form: Form, matrices: Mapping[str, np.ndarray], vectors: Mapping[str, np.ndarray],
                  nonlinear: Callable[[Nonlinear, np.ndarray], np.ndarray], token: int = ROW) -> np.ndarray:
    """The vector of ``form`` (generic rows bound to ``token``).  ``nonlinear(nl, x)``
    evaluates a nonlinear source on its argument's vector."""
    return _Evaluate(matrices, vectors, nonlinear, token).form(form)


def evaluate_stage(stage, matrices, vectors, nonlinear) -> np.ndarray:
    """A stage's output vector (for ``rows="all"``: the rows stacked, token-major)."""
    if stage.rows == "all":
        pad = stage.row_length - stage.form.dim
        return np.concatenate([np.pad(evaluate_form(stage.form, matrices, vectors, nonlinear, t), (0, pad))
                               for t in range(stage.seq)])
    return evaluate_form(stage.form, matrices, vectors, nonlinear)


def hand_on(glue, out: np.ndarray, matrices: dict, vectors: dict) -> np.ndarray | None:
    """Apply a stage's glue to its read-out vector and store the result where later
    stages' loaders look for it: a matrix input (every row normalised) or a vector input.
    Returns the glued value (None after the last stage)."""
    if glue is None:
        return None
    value = glue.apply(out)
    (matrices if glue.hands_on_matrix else vectors)[glue.produces] = value
    return value


def run_numeric(program, matrices: Mapping[str, np.ndarray],
                nonlinear: Callable[[Nonlinear, np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Every stage's output vector, glue applied between stages; the last is the output."""
    mats = dict(matrices)
    vecs: dict[str, np.ndarray] = {}
    outs = []
    for st in program.stages:
        out = evaluate_stage(st, mats, vecs, nonlinear)
        outs.append(out)
        hand_on(st.glue, out, mats, vecs)
    return outs


def surrogate_rule(nl: Nonlinear, x: np.ndarray) -> np.ndarray:
    """The nonlinear rule of the compiled circuits: each source's chosen polynomial."""
    return nl.polynomial(x)
