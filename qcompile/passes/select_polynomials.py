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
    bound and the tolerance.  With ``per_op > 0`` nothing is calibrated: every
    nonlinearity gets ``per_op`` (times ``log_share`` for exp and GELU when it is not 1),
    the choice a joint calibration made for the pieces of a stacked program."""

    name = "select-polynomials"
    kind = "transformation"
    takes = "quantum"
    description = "quantum IR: polynomial degrees calibrated so the error bound meets the tolerance"
    options = {"tolerance": 1e-3, "per_op": 0.0, "log_share": 1.0}
    option_ranges = {"tolerance": (1e-15, 0.999999), "per_op": (0.0, 1.0), "log_share": (1e-12, 1.0)}

    def run(self, lowered, properties):
        from qcompile.lowering.calibration import calibrate

        tol = float(self.options["tolerance"])
        per_op = float(self.options["per_op"])
        if per_op > 0:
            from qcompile.functions import function_names, get_function
            from qcompile.lowering.polynomials import tolerance_policy
            from qcompile.qir.fold import with_polynomials

            log_share = float(self.options["log_share"])
            shares = {f: log_share if get_function(f).growth == "log" else 1.0
                      for f in function_names(language=False)}
            out = with_polynomials(lowered, tolerance_policy(per_op, shares))
            out.info["tolerance"] = tol
            return out
        model = properties.get("model")
        if model is None:
            raise PassError("select-polynomials needs the model: run lower-to-quantum first")
        out, bound = calibrate(model, lowered.token, tol, structure=lowered)
        out.info["calibrated_error_bound"] = bound
        out.info["tolerance"] = tol
        return out
