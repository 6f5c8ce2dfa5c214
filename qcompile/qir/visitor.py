"""One walk over linear forms, shared by every interpreter of the quantum IR.

The interpreters — circuits (:mod:`qcompile.lowering.circuits`), resource estimates
(:mod:`qcompile.resources.estimate`), numeric evaluation (:mod:`qcompile.qir.evaluate`),
error bounds (:mod:`qcompile.qir.bounds`), refolding (:mod:`qcompile.qir.fold`) and the
printer (:mod:`qcompile.qir.printer`) — subclass :class:`FormVisitor` and implement one
method per node kind they meet, named by the node's ``kind``:

* sources: ``input_row(s, *args)``, ``const(s, *args)``, ``stage_input(s, *args)``,
  ``nonlinear(s, *args)`` → the source's value;
* factors: ``dense(f, value, *args)``, ``input_matrix(f, value, *args)``,
  ``rank_one(f, value, *args)`` → the factor applied to ``value``;
* ``weigh(coeff, value, term)`` (a term's coefficient; default: ``value`` unchanged) and
  ``combine(form, values, *args)`` (a form from its terms' values).

``*args`` is whatever context the interpreter threads through (the token and sequence
length of a stage circuit, say).  A term is its source's value with its factors applied
right to left; interpreters whose term rule differs (the error bound) override
:meth:`term`.  With ``memoize`` a nonlinear source shared by several terms or stages is
interpreted once per visitor.
"""

from __future__ import annotations

from typing import ClassVar

from qcompile.errors import InternalError


class FormVisitor:
    """Base class of the quantum IR's interpreters (see the module docstring)."""

    #: interpret each nonlinear source object once (its result reused wherever it occurs)
    memoize: ClassVar[bool] = False

    def __init__(self) -> None:
        self._memo: dict[int, tuple] = {}

    def _handler(self, node):
        method = getattr(self, node.kind, None)
        if method is None:
            raise InternalError(f"{type(self).__name__} cannot interpret a {node.kind} node")
        return method

    def source(self, s, *args):
        """The value of source ``s`` (dispatched on ``s.kind``; memoized if asked)."""
        if self.memoize and s.kind == "nonlinear":
            hit = self._memo.get(id(s))
            if hit is None:
                hit = (s, self._handler(s)(s, *args))   # keep s alive while its id is a key
                self._memo[id(s)] = hit
            return hit[1]
        return self._handler(s)(s, *args)

    def factor(self, f, value, *args):
        """Factor ``f`` applied to ``value`` (dispatched on ``f.kind``)."""
        return self._handler(f)(f, value, *args)

    def term(self, t, *args):
        """A term: its source's value, its factors applied right to left, then weighed."""
        value = self.source(t.source, *args)
        for f in reversed(t.factors):
            value = self.factor(f, value, *args)
        return self.weigh(t.coeff, value, t)

    def term_without_flags(self, t, name: str, *args):
        """:meth:`term` with its direct factors that load the matrix input ``name`` built
        without their norm flag (``input_matrix(f, value, *args, flag=False)``): the
        circuit builder and the estimator fold those flags into a shifted diagonal's
        weights (:func:`qcompile.lowering.circuits.folded_flags`)."""
        value = self.source(t.source, *args)
        for f in reversed(t.factors):
            if f.kind == "input_matrix" and f.name == name:
                value = self.input_matrix(f, value, *args, flag=False)
            else:
                value = self.factor(f, value, *args)
        return self.weigh(t.coeff, value, t)

    def weigh(self, coeff: float, value, term):
        """A term's value times its coefficient (default: unchanged)."""
        return value

    def form(self, form, *args):
        """A form: its terms' values combined."""
        return self.combine(form, [self.term(t, *args) for t in form.terms], *args)

    def combine(self, form, values: list, *args):
        """A form's value from its terms' values (each interpreter defines it)."""
        raise InternalError(f"{type(self).__name__} does not combine forms")
