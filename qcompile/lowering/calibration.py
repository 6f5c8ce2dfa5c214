"""Polynomial degrees calibrated to a tolerance (the ``select-polynomials`` pass).

:func:`lower_structure` gives the quantum IR without polynomials (folded as asked);
:func:`calibrate` chooses every nonlinearity's polynomial on it so that the propagated
error bound vs the exact model (:mod:`qcompile.lowering.bounds`) stays within the
tolerance (a margin of it when the bound depends on the input) on random admissible inputs.
"""

from __future__ import annotations

import numpy as np

from qcompile.errors import QcompileError


#: random admissible inputs the degree calibration evaluates the bound on
CALIBRATION_INPUTS = 64
#: the calibrated bound must stay below this fraction of the tolerance when it depends on
#: the input (through the norms the layer-norm glue divides by), so a sample's maximum
#: is not every input's (encoder_block: 16 samples at 1/2 let 1 input in 20 exceed it).
#: A bound that does not depend on the input (no glue: one stage) gets the whole tolerance.
CALIBRATION_MARGIN = 0.25


def lower_structure(model, token: int, method: str = "dilation", chains: bool = True,
                    constants: bool = True):
    """The quantum IR of ``model`` without polynomials: staged forms, folded as asked (the
    ``fold-linear-chains`` and ``fold-constants`` rules, :func:`qcompile.qir.fold.refold`),
    dense factors block-encoded with ``method``."""
    from qcompile.lowering.symbolic import lower
    from qcompile.qir.fold import refold

    program = lower(model, token, method=method)
    if chains:
        program = refold(program, chains=True, constants=False)
    if constants:
        program = refold(program, chains=False, constants=True)
    return program


def calibrate(model, token: int, tolerance: float, max_rounds: int = 12, method: str = "dilation",
              structure=None):
    """Choose polynomial tolerances small enough that the propagated error bound
    (:mod:`qcompile.lowering.bounds`) stays within the target on ``CALIBRATION_INPUTS``
    random admissible inputs (a fixed seed, so compiling is deterministic); see
    :func:`calibrate_jointly` for the rule.  The bound of one input is evaluated with the
    NumPy evaluator of the quantum IR (no circuits).  ``structure``: the polynomial-free
    quantum IR to calibrate (default: :func:`lower_structure`, fully folded, with
    ``method``).  Returns the lowered program and the largest bound seen."""
    from qcompile.qir.bounds import input_independent

    if structure is None:
        structure = lower_structure(model, token, method)

    def worst(pieces) -> float:
        return sampled_bound(model, pieces[0])

    (lowered,), bound, _ = calibrate_jointly([structure], worst, tolerance,
                                             input_independent(structure), max_rounds)
    return lowered, bound


def sampled_bound(model, lowered, circuit_errors=None) -> float:
    """The largest propagated error bound over the calibration inputs (one input when the
    bound does not depend on it), with ``circuit_errors`` per stage (alpha × the rotations
    the circuit passes dropped) added before each glue."""
    from qcompile.lowering.inputs import prepare_matrices
    from qcompile.qir.bounds import input_independent, program_error_bound
    from qcompile.qir.evaluate import run_numeric, surrogate_rule

    samples = calibration_samples(model)
    out = 0.0
    for x in (samples[:1] if input_independent(lowered) or not lowered.nonlinear else samples):
        outs = run_numeric(lowered, prepare_matrices(model, lowered, x), surrogate_rule)
        out = max(out, program_error_bound(lowered, outs, None, circuit_errors)[0])
    return out


def calibration_samples(model) -> list:
    """The ``CALIBRATION_INPUTS`` random admissible inputs degrees are calibrated on
    (a fixed seed: compiling is deterministic)."""
    from qcompile.lowering.inputs import random_input

    rng = np.random.default_rng(12345)
    return [random_input(model, rng) for _ in range(CALIBRATION_INPUTS)]


def calibrate_jointly(structures: list, worst, tolerance: float, fixed: bool, max_rounds: int = 12):
    """Choose one per-op polynomial tolerance for every nonlinearity of several
    polynomial-free quantum IRs (the pieces of one program) so that ``worst(pieces)``, the
    largest propagated error bound over the calibration inputs, stays within the target:
    ``CALIBRATION_MARGIN × tolerance`` when the bound depends on the input, the whole
    ``tolerance`` when it does not (``fixed``).  Each nonlinearity gets the per-op
    tolerance times its function's share (:func:`~qcompile.lowering.polynomials.tolerance_shares`:
    ReLU's degree grows like 1/ε, so exp and GELU give it their budget when both are
    present).  The bound is linear in the polynomial errors, so each round rescales the
    per-op tolerance, from the largest error actually reached, by the ratio the bound
    missed by (degrees are discrete, so the reached errors can be well below the
    tolerance asked).  Returns (the pieces with polynomials, the bound, the per-op
    tolerance and shares as ``(per_op, shares)``)."""
    from qcompile.lowering.polynomials import tolerance_policy, tolerance_shares
    from qcompile.qir.fold import with_polynomials
    from qcompile.quantum.polynomials import PolynomialError

    shares = tolerance_shares(nl.function for st in structures for nl in st.nonlinear)
    target = tolerance if fixed else CALIBRATION_MARGIN * tolerance
    per_op = tolerance
    bound = float("inf")
    for _ in range(max_rounds):
        try:
            pieces = [with_polynomials(st, tolerance_policy(per_op, shares)) for st in structures]
        except PolynomialError as exc:
            raise QcompileError(f"tolerance {tolerance:g} needs polynomials beyond the degree limit "
                                f"({exc.message}); ask for a looser --tolerance") from None
        nonlinear = [nl for p in pieces for nl in p.nonlinear]
        bound = worst(pieces)
        if not nonlinear or bound <= target:
            return pieces, bound, (per_op, shares)
        reached = max(nl.polynomial.error / shares[nl.function] for nl in nonlinear)
        ratio = min(0.999, max(1e-3, target / bound)) if np.isfinite(bound) else 1e-2
        per_op = min(per_op, reached) * ratio
    raise QcompileError(f"could not meet tolerance {tolerance:g}: the propagated error bound stays at "
                        f"{bound:.3g}; ask for a looser --tolerance")
