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
    """The quantum IR of ``model`` without polynomials: staged forms, folded as asked
    (:func:`qcompile.lowering.forms.folding`), dense factors block-encoded with ``method``."""
    from qcompile.lowering.forms import dense_method, folding
    from qcompile.lowering.symbolic import lower

    with dense_method(method), folding(chains=chains, constants=constants):
        return lower(model, token, None)


def calibrate(model, token: int, tolerance: float, max_rounds: int = 12, method: str = "dilation",
              structure=None):
    """Choose polynomial tolerances small enough that the propagated error bound
    (:mod:`qcompile.lowering.bounds`) stays within the target on ``CALIBRATION_INPUTS``
    random admissible inputs (a fixed seed, so compiling is deterministic).  The target
    is ``CALIBRATION_MARGIN × tolerance`` when the bound depends on the input, the whole
    ``tolerance`` when it does not (:func:`~qcompile.lowering.bounds.input_independent`;
    one sample then suffices).  Each nonlinearity gets the per-op tolerance times its
    function's share (:func:`~qcompile.lowering.polynomials.tolerance_shares`: ReLU's
    degree grows like 1/ε, so exp and GELU give it their budget when both are present).
    The bound is linear in the per-op polynomial errors, so
    each round rescales the per-op tolerance, from the largest error actually reached,
    by the ratio the bound missed by (degrees are discrete, so the reached errors can be
    well below the tolerance asked).  The samples are evaluated with the NumPy evaluator
    of the quantum IR (no circuits).  ``structure``: the polynomial-free quantum IR to
    calibrate (default: :func:`lower_structure`, fully folded, with ``method``).
    Returns the lowered program and the largest bound seen."""
    from qcompile.lowering.bounds import input_independent, program_error_bound
    from qcompile.lowering.inputs import prepare_matrices, random_input
    from qcompile.lowering.numeric import run_numeric
    from qcompile.lowering.polynomials import tolerance_policy, tolerance_shares
    from qcompile.lowering.rebuild import with_polynomials
    from qcompile.quantum.polynomials import PolynomialError

    if structure is None:
        structure = lower_structure(model, token, method)
    rng = np.random.default_rng(12345)
    samples = [random_input(model, rng) for _ in range(CALIBRATION_INPUTS)]
    fixed = input_independent(structure)
    target = tolerance if fixed else CALIBRATION_MARGIN * tolerance
    shares = tolerance_shares(nl.function for nl in structure.nonlinear)
    per_op = tolerance
    worst = float("inf")
    for _ in range(max_rounds):
        try:
            lowered = with_polynomials(structure, tolerance_policy(per_op, shares))
        except PolynomialError as exc:
            raise QcompileError(f"tolerance {tolerance:g} needs polynomials beyond the degree limit "
                                f"({exc.message}); ask for a looser --tolerance") from None
        worst = 0.0
        for x in (samples[:1] if fixed or not lowered.nonlinear else samples):
            outs = run_numeric(lowered, prepare_matrices(model, lowered, x), lambda nl, v: nl.polynomial(v))
            worst = max(worst, program_error_bound(lowered, outs, model)[0])
        if not lowered.nonlinear or worst <= target:
            return lowered, worst
        reached = max(nl.polynomial.error / shares[nl.function] for nl in lowered.nonlinear)
        ratio = min(0.999, max(1e-3, target / worst)) if np.isfinite(worst) else 1e-2
        per_op = min(per_op, reached) * ratio
    raise QcompileError(f"could not meet tolerance {tolerance:g}: the propagated error bound stays at "
                        f"{worst:.3g}; ask for a looser --tolerance")
