"""The classical glue between stages: one class per kind, each with its rule and its bound.

A stage's read-out vector ``out`` (alpha × post-selected amplitudes) becomes what later
stages' loaders read by one of these rules, O(len(out)), no weight applied (DESIGN §1):

* :class:`Normalize` — layer norm of one row: the centred vector ``c`` becomes
  ``c/√(‖c‖² + d·eps)`` (PyTorch's ``(x − mean)/√(var + eps)`` over ``√d``; the next stage
  multiplies by ``√d·γ``);
* :class:`NormalizeScaled` — the same after dividing by the last entry, the softmax sum
  ``Z`` read out beside ``Z·c`` when the softmax normaliser was eliminated;
* :class:`NormalizeRows` — :class:`Normalize` of each of ``rows`` rows (layer norm of
  every token), handed on as a matrix input;
* :class:`BlockSum` — each of ``blocks`` blocks divided by its entry sum (softmax
  normalisation per head);
* :class:`ScaledOutput` — the read-out rule of a coherent program's one stage (no stage
  after it, ``final``): ``(Z·y, Z) ↦ y``, the softmax sum absorbed into the output state.

Each class also bounds how far its result moves when ``out`` moves by ``delta``
(:meth:`Glue.error`, the proofs in :mod:`qcompile.qir.bounds`) and describes itself for
``program.json`` and the printer.  A new kind of glue is one class here, registered in
:data:`GLUE_KINDS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qcompile.errors import BindError


def layernorm_direction(c: np.ndarray, eps: float) -> np.ndarray:
    """``c/√(‖c‖² + d·eps)`` for a centred vector ``c`` of length d: LayerNorm's
    ``(x − mean)/√(var + eps)`` divided by √d (the next stage multiplies by √d·γ)."""
    n2 = float(c @ c) + c.shape[0] * eps
    if n2 == 0:
        raise BindError("layer norm of a constant vector with eps = 0 is undefined")
    return c / np.sqrt(n2)


def normalize_error(c: np.ndarray, delta: float, eps: float) -> float:
    """Bound on how far ``c/√(‖c‖² + κ)`` (``κ = d·eps``) moves when ``c`` moves by
    ``delta``: it is the first ``d`` entries of the unit vector along ``ĉ = (c, √κ)``, so
    by the Dunkl–Williams inequality of inner-product spaces it moves by at most
    ``2δ/(‖ĉ‖ + ‖ĉ'‖) ≤ 2δ/(2√(‖c̃‖² + κ) − δ)``, and never more than 2."""
    n = math.sqrt(float(c @ c) + c.shape[0] * eps)
    if 2 * n <= delta:
        return 2.0
    return min(2.0, 2 * delta / (2 * n - delta))


@dataclass(frozen=True)
class Glue:
    """Base of the glue kinds: ``produces`` names the next stages' input, ``node`` the
    tensor-IR op it implements."""

    kind: ClassVar[str] = ""
    #: the result is a matrix input (every row) rather than a vector input
    hands_on_matrix: ClassVar[bool] = False
    #: the rule reads the model's output off the last stage (no stage loads its result)
    final: ClassVar[bool] = False

    produces: str
    node: int | None = None

    def apply(self, out: np.ndarray) -> np.ndarray:
        """The glued value of a read-out vector; raises BindError when it is undefined."""
        raise NotImplementedError

    def error(self, out: np.ndarray, delta: float, stage, polynomial_error) -> float:
        """Bound on the error of :meth:`apply`'s result when ``out`` has error ≤ ``delta``
        (``stage`` is the stage it ends; ``polynomial_error(nonlinear, block_size)`` gives a
        softmax numerator's polynomial error per block and its scores' error, for kinds
        that bound their result directly)."""
        raise NotImplementedError

    def describe(self) -> str:
        """One sentence saying what it does (``program.json``'s ``does``)."""
        raise NotImplementedError

    def text(self) -> str:
        """The printer's form: ``kind -> produces`` and any size."""
        return f"{self.kind} -> {self.produces}"

    def to_json(self) -> dict:
        """JSON of ``program.json``: kind, produces, blocks, rows, does."""
        return {"kind": self.kind, "produces": self.produces, "blocks": getattr(self, "blocks", 1),
                "rows": getattr(self, "rows", 1), "does": self.describe()}


def _per_group(rows: np.ndarray, groups: int) -> np.ndarray:
    """Each row split into ``groups`` equal blocks, one block per row of the result."""
    return rows.reshape(rows.shape[0] * groups, -1)


def normalize_groups_error(blocks: np.ndarray, delta: float, eps: float) -> float:
    """Bound on the Frobenius error of every block normalised on its own when the whole
    read-out moves by ``delta``: each block moves by at most ``delta``, so each result by
    :func:`normalize_error` of its block, and the errors add in squares."""
    return float(np.sqrt(sum(normalize_error(b, delta, eps) ** 2 for b in blocks)))


@dataclass(frozen=True)
class Normalize(Glue):
    """Layer norm's normalisation of one row, eps applied exactly; with ``groups > 1``
    each of ``groups`` equal blocks (heads: QK-norm) on its own."""

    kind: ClassVar[str] = "normalize"
    eps: float = 0.0
    groups: int = 1

    def apply(self, out):
        blocks = _per_group(out.reshape(1, -1), self.groups)
        return np.concatenate([layernorm_direction(b, self.eps) for b in blocks])

    def error(self, out, delta, stage, polynomial_error):
        return normalize_groups_error(_per_group(out.reshape(1, -1), self.groups), delta, self.eps)

    def describe(self):
        if self.groups > 1:
            return f"divide each of the {self.groups} blocks (heads) of the read-out vector by its 2-norm"
        return "divide the read-out vector by its 2-norm (layer norm)"


@dataclass(frozen=True)
class NormalizeScaled(Glue):
    """Layer norm of ``Z·c`` read out beside ``Z`` (the last entry): ``c = out[:-1]/Z``."""

    kind: ClassVar[str] = "normalize_scaled"
    eps: float = 0.0

    def apply(self, out):
        if out[-1] <= 0:
            raise BindError("softmax normaliser is not positive (polynomial exp went negative)")
        return layernorm_direction(out[:-1] / out[-1], self.eps)

    def error(self, out, delta, stage, polynomial_error):
        # c̃ = out/Z̃ first moves by (δ + ‖c̃‖δ)/(Z̃ − δ), then as Normalize
        z = float(out[-1])
        c = out[:-1] / z if z > 0 else out[:-1]
        dc = (delta + float(np.linalg.norm(c)) * delta) / (z - delta) if z > delta else math.inf
        return normalize_error(c, dc, self.eps)

    def describe(self):
        return ("divide the read-out vector by its last entry (the softmax sum), then by its "
                "2-norm (layer norm)")


@dataclass(frozen=True)
class NormalizeRows(Glue):
    """Layer norm's normalisation of each of ``rows`` rows (every token); each row's first
    ``width`` entries are the row (the rest, when its register is wider, are zero); with
    ``groups > 1`` each of a row's ``groups`` equal blocks (heads: QK-norm) on its own."""

    kind: ClassVar[str] = "normalize_rows"
    hands_on_matrix: ClassVar[bool] = True
    rows: int = 1
    eps: float = 0.0
    width: int = 0
    groups: int = 1

    def _rows(self, out):
        rows = out.reshape(self.rows, -1)
        return rows[:, :self.width] if self.width else rows

    def apply(self, out):
        rows = self._rows(out)
        blocks = [layernorm_direction(b, self.eps) for b in _per_group(rows, self.groups)]
        return np.stack(blocks).reshape(rows.shape)

    def error(self, out, delta, stage, polynomial_error):
        """Per row: that row's blocks normalised with that row's error (``delta`` holds one
        bound per row, or one for all); an array, one bound per row."""
        rows = self._rows(out)
        deltas = np.broadcast_to(np.asarray(delta, dtype=float), (rows.shape[0],))
        return np.array([normalize_groups_error(_per_group(r[None, :], self.groups), d, self.eps)
                         for r, d in zip(rows, deltas)])

    def describe(self):
        heads = f" ({self.groups} heads each)" if self.groups > 1 else ""
        return f"divide each of the {self.rows} read-out rows{heads} by its own 2-norm (layer norm of every token)"


@dataclass(frozen=True)
class BlockSum(Glue):
    """Softmax normalisation: each of ``blocks`` blocks (heads) divided by its sum.

    Its bound is direct (not through the read-out error): with ``δ`` the read-out's
    error per head at the compiled scores (``√S·ε`` from the polynomial plus the circuit's
    own error, e.g. dropped rotations: ``r = P(s̃) + η``) and ``Δs`` the scores' error,
    ``‖Δa‖ ≤ √(Σ_heads ((δ + ‖ã‖√S δ)/(Z̃ − √S δ))²) + ½‖Δs‖`` — softmax is ½-Lipschitz in
    the 2-norm (its Jacobian ``diag(p) − ppᵀ`` has ``vᵀJv = Var_p(v) ≤ ½`` for unit ``v``,
    by Popoviciu's inequality).  For weights ``p = f(s)/Σf(s)`` of another positive ``f``
    (Gaussian attention) the Jacobian is ``(diag(p) − ppᵀ)·diag((ln f)'(s))``, so
    ``½·L`` with ``L ≥ sup|f'/f|`` on the scores' domain ``[−α, α]`` (which holds both the
    exact and the compiled scores, and so the segment between them) replaces ½:
    ``polynomial_error`` hands the scores' error already multiplied by ``L``."""

    kind: ClassVar[str] = "block_sum"
    blocks: int = 1

    def apply(self, out):
        blocks = out.reshape(self.blocks, -1)
        z = blocks.sum(axis=1, keepdims=True)
        if np.any(z <= 0):
            raise BindError("softmax normaliser is not positive (polynomial exp went negative)")
        return (blocks / z).reshape(-1)

    def error(self, out, delta, stage, polynomial_error):
        terms = stage.form.terms
        if len(terms) != 1 or terms[0].source.kind != "nonlinear":
            return math.inf  # pragma: no cover - the lowering always makes single-term numerators
        nl = terms[0].source
        size = stage.form.dim // self.blocks
        per_block, scores = polynomial_error(nl, size)
        e = out.reshape(self.blocks, size)
        total = 0.0
        for b in range(self.blocks):
            z = float(e[b].sum())
            a = e[b] / z if z > 0 else e[b]
            denom = z - math.sqrt(size) * per_block
            if denom <= 0:
                return math.inf
            total += ((per_block + np.linalg.norm(a) * math.sqrt(size) * per_block) / denom) ** 2
        return math.sqrt(total) + 0.5 * scores

    def text(self):
        return f"{self.kind} -> {self.produces} ({self.blocks} blocks)"

    def describe(self):
        return f"divide each of the {self.blocks} read-out blocks by its entry sum (softmax normalisation per head)"


@dataclass(frozen=True)
class ScaledOutput(Glue):
    """The output of a coherent program (:mod:`qcompile.coherent`): its one stage reads out
    ``v = (Z·y, Z)`` with ``Z > 0`` the softmax sum it did not divide by, and ``y = v[:-1]/v[-1]``.

    Error: with ``ṽ = v + Δ``, ``‖Δ‖ ≤ δ``, ``ỹ = ṽ[:-1]/Z̃``:
    ``y − ỹ = (ỹ·Δ_Z − Δ_y)/Z``, so by Cauchy–Schwarz
    ``‖y − ỹ‖ ≤ √(1 + ‖ỹ‖²)·δ/(Z̃ − δ)`` (``Z ≥ Z̃ − δ``), in the observed ``ỹ``, ``Z̃``."""

    kind: ClassVar[str] = "scaled_output"
    final: ClassVar[bool] = True

    def apply(self, out):
        if out[-1] <= 0:
            raise BindError("softmax normaliser is not positive (polynomial exp went negative)")
        return out[:-1] / out[-1]

    def error(self, out, delta, stage, polynomial_error):
        z = float(out[-1])
        if z <= delta:
            return math.inf
        y = out[:-1] / z
        return math.sqrt(1.0 + float(y @ y)) * delta / (z - delta)

    def register(self, y: np.ndarray) -> np.ndarray:
        """The direction of the output register for model output ``y``: ``(y, 1)``."""
        return np.append(y, 1.0)

    def describe(self):
        return "the output is the read-out vector without its last entry (the softmax sum), divided by that entry"


#: every glue kind by name
GLUE_KINDS: dict[str, type[Glue]] = {cls.kind: cls for cls in (Normalize, NormalizeScaled, NormalizeRows, BlockSum,
                                                               ScaledOutput)}
