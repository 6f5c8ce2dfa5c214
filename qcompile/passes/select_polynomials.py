"""``select-polynomials``: choose every nonlinearity's polynomial for the tolerance."""

from __future__ import annotations

from qcompile.errors import PassError
from qcompile.passes.manager import Pass, register_pass


@register_pass
class SelectPolynomials(Pass):
    """Choose each nonlinearity's Chebyshev polynomial so that the propagated error
    bound vs the exact model stays within the tolerance (:func:`qcompile.lowering.calibration.calibrate`
    on the quantum IR as it is, folded or not).  Needs the model (``properties["model"]``,
    left there by ``lower-to-quantum``).  ``info`` of the result holds the calibrated
    bound and the tolerance."""

    name = "select-polynomials"
    kind = "transformation"
    description = "quantum IR: polynomial degrees calibrated so the error bound meets the tolerance"
    options = {"tolerance": 1e-3}

    def run(self, lowered, properties):
        from qcompile.lowering.calibration import calibrate

        model = properties.get("model")
        if model is None:
            raise PassError("select-polynomials needs the model: run lower-to-quantum first")
        tol = float(self.options["tolerance"])
        out, bound = calibrate(model, lowered.token, tol, structure=lowered)
        out.info["calibrated_error_bound"] = bound
        out.info["tolerance"] = tol
        return out
