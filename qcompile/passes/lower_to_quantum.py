"""``lower-to-quantum``: tensor IR (a loaded model) → quantum IR (staged linear forms)."""

from __future__ import annotations

from qcompile.passes.manager import Pass, register_pass


@register_pass
class LowerToQuantum(Pass):
    """Lower the selected token of a model to stages of linear forms, choosing every
    nonlinearity's polynomial so the propagated error bound meets ``tolerance``
    (:func:`qcompile.program.calibrate`).  Input: a :class:`~qcompile.model.Model`;
    output: a :class:`~qcompile.lowering.symbolic.Lowered` program (its ``info`` holds the
    calibrated bound).  ``token`` -1 means the token of the model's ``output`` line;
    ``method`` the dense block encoding (``dilation`` or ``fable``) the circuits will use."""

    name = "lower-to-quantum"
    kind = "transformation"
    description = "tensor IR -> quantum IR: staged linear forms, polynomials calibrated to the tolerance"
    options = {"token": -1, "tolerance": 1e-3, "method": "dilation"}

    def run(self, model, properties):
        from qcompile.program import calibrate

        token = self.options["token"]
        token = model.output.token if token < 0 else token
        lowered, bound = calibrate(model, token, float(self.options["tolerance"]),
                                   method=str(self.options["method"]))
        lowered.info["calibrated_error_bound"] = bound
        lowered.info["tolerance"] = float(self.options["tolerance"])
        return lowered
