"""Input preparation: the classical part that turns user inputs into loadable matrices.

Float inputs are loaded as they are.  Token ids and text go through the embedding lookup
and positional encoding here (O(seq · d), no weight matrix is multiplied), and the result
is loaded with the bound the lowering derived from the weights (‖E[ids] + PE‖_F ≤
√seq·max‖E_v‖ + ‖PE‖_F).
"""

from __future__ import annotations

import numpy as np

from qcompile.errors import BindError


def prepare_matrices(model, lowered, x) -> dict[str, np.ndarray]:
    """The matrix inputs of ``lowered`` (a :class:`~qcompile.qir.program.QuantumIR`) for
    the user input ``x`` (validated by
    :func:`qcompile.reference.interpreter.bind_inputs`: shapes, bounds, alphabets)."""
    from qcompile.reference import kernels
    from qcompile.reference.interpreter import bind_inputs

    values = bind_inputs(model, x)
    graph = model.ir
    env: dict[int, np.ndarray] = {}
    out = {}
    for name, mi in lowered.matrix_inputs.items():
        if mi.node is None:
            continue
        for node, op in graph.nodes():
            if node > mi.node:
                break
            if node in env:
                continue
            args = [env.get(i) for i in op.inputs]
            if op.opname == "input":
                env[node] = values[op.name]
            elif op.opname == "embed":
                env[node] = np.asarray(model.weights[op.weight], float)[args[0]]
            elif op.opname == "posenc":
                env[node] = kernels.posenc(op.seq, op.features)
            elif op.opname == "positions":
                env[node] = np.asarray(model.weights[op.weight], float)[:op.seq]
            elif op.opname == "add" and all(a is not None for a in args):
                env[node] = args[0] + args[1]
            elif op.opname == "scale" and args[0] is not None:
                env[node] = op.factor * args[0]
        mat = np.asarray(env[mi.node], dtype=np.float64)
        norm = float(np.linalg.norm(mat))
        if norm > mi.bound * (1 + 1e-12):
            raise BindError(f"prepared input {name} has norm {norm:.6g} above its bound {mi.bound:.6g}")
        top = float(np.linalg.norm(mat, axis=-1).max()) if mat.size else 0.0
        if top > mi.row_alpha * (1 + 1e-12):
            raise BindError(f"prepared input {name} has a row of norm {top:.6g} above its row bound {mi.row_alpha:.6g}")
        out[name] = mat
    return out


def scale_to_bound(spec, x: np.ndarray, fraction: float = 1.0) -> np.ndarray:
    """``x`` scaled so that its largest admissible multiple is reached at ``fraction = 1``:
    ``‖X‖_F ≤ fraction·bound`` and every row ``≤ fraction·row_bound`` (when declared), one of
    them with equality."""
    x = np.asarray(x, dtype=np.float64)
    scale = spec.bound / np.linalg.norm(x)
    if spec.row_bound is not None:
        scale = min(scale, spec.row_bound / float(np.max(np.linalg.norm(x, axis=1))))
    return x * (fraction * scale)


def random_input(model, rng: np.random.Generator):
    """A random admissible input: float inputs have a random direction and a norm drawn
    uniformly in [0.2, 1] × bound (with a bound per token, each row its own direction and
    norm in [0.2, 1] × that bound, then scaled into the matrix bound if it exceeds it);
    token inputs random ids; text inputs random letters."""
    spec = model.inputs[0]
    if spec.kind == "float":
        x = rng.normal(size=spec.shape)
        if spec.row_bound is None:
            return x * (spec.bound * rng.uniform(0.2, 1.0) / np.linalg.norm(x))
        x *= spec.row_bound * rng.uniform(0.2, 1.0, size=(len(x), 1)) / np.linalg.norm(x, axis=1, keepdims=True)
        return x * min(1.0, spec.bound / np.linalg.norm(x))
    if spec.kind == "text":
        return "".join(rng.choice(list(spec.alphabet), size=spec.shape[0]))
    return rng.integers(0, spec.vocab, size=spec.shape)
