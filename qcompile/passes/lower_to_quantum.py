"""``lower-to-quantum``: tensor IR (a loaded model) → quantum IR (staged linear forms)."""

from __future__ import annotations

from qcompile.passes.manager import Pass, register_pass


@register_pass
class LowerToQuantum(Pass):
    """Lower the selected token of a model to stages of linear forms
    (:func:`qcompile.lowering.symbolic.lower`), *unfolded*: one dense factor per weight
    or fixed map, constants kept apart — the IR-level fusion passes
    (``fold-linear-chains``, ``fold-constants``) fold them, ``select-polynomials``
    chooses the nonlinearities' polynomials.  Input: a :class:`~qcompile.model.Model`;
    output: a :class:`~qcompile.lowering.symbolic.Lowered` program.  ``token`` -1 means
    the token of the model's ``output`` line; ``method`` the dense block encoding
    (``dilation`` or ``fable``) the circuits will use.  The model is left in the property
    set (``properties["model"]``) for ``select-polynomials``."""

    name = "lower-to-quantum"
    kind = "transformation"
    takes, gives = "tensor", "quantum"
    description = "tensor IR -> quantum IR: staged linear forms (unfolded, no polynomials yet)"
    options = {"token": -1, "method": "dilation"}
    option_ranges = {"token": (-1, 2**31)}

    def run(self, model, properties):
        from qcompile.lowering.symbolic import lower

        token = self.options["token"]
        token = model.output.token if token < 0 else token
        properties["model"] = model
        return lower(model, token, method=str(self.options["method"]))
