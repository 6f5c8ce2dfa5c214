"""Deterministic text of the quantum IR (staged linear forms), one term per line.

Example::

    quantum-ir encoder_block token 3
    matrix x: [4 x 4] bound 4  # input
    stage 0 (token 3) dim 8 alpha 12.5 -> block_sum softmax%10 (2 blocks)
      %n0 = exp(%10) of [+1·I2⊗x · dense[4x4 keys] · x[3]]  alpha_in 5.2  alpha 3.1  degree 24  error 1.2e-05
      term +1·%n0   alpha 3.1

Before ``select-polynomials`` a nonlinear source has no polynomial, so the alphas that
depend on it print as ``(not known yet)``.
"""

from __future__ import annotations

from qcompile.qir.nodes import Form, Nonlinear, Term, known_alpha
from qcompile.qir.visitor import FormVisitor

#: how a subnormalisation that needs a polynomial not chosen yet is printed
NOT_KNOWN = "(not known yet)"


def _g(x: float) -> str:
    return f"{x:.6g}"


def _alpha(node) -> str:
    a = known_alpha(node)
    return NOT_KNOWN if a is None else _g(node.alpha)


def _argument_alpha(form) -> str:
    """The alpha of a nonlinearity's argument encoding, marked ``(rows)`` when it is the
    row-wise diagonal (:mod:`qcompile.qir.scores`)."""
    from qcompile.qir.scores import argument_alpha, uses_rows

    if known_alpha(form) is None:
        return NOT_KNOWN
    return f"{_g(argument_alpha(form))} (rows)" if uses_rows(form) else _g(form.alpha)


class _Printer(FormVisitor):
    """Prints a form's terms; a nonlinear source is printed once, before its first use,
    as a labelled line ``%nK = f(%node) of [its argument's terms] ...``."""

    memoize = True

    def __init__(self, lines: list[str], indent: str):
        super().__init__()
        self.lines = lines
        self.indent = indent
        self.labels: dict[int, str] = {}

    def new_stage(self) -> None:
        """Each stage prints the nonlinear sources it uses (labels stay program-wide)."""
        self._memo = {}

    def label(self, nl: Nonlinear) -> str:
        return self.labels.setdefault(id(nl), f"%n{len(self.labels)}")

    def declare(self, form: Form) -> None:
        """Print every nonlinear source ``form`` uses (arguments first) not printed yet."""
        for src in form.sources():
            if isinstance(src, Nonlinear):
                self.source(src)

    def input_row(self, s):
        return str(s)

    const = stage_input = input_row

    def nonlinear(self, s):
        self.declare(s.argument)
        p = s.polynomial
        deg = getattr(p, "degree", None)
        err = getattr(p, "error", None)
        extra = f"  degree {deg}" if deg is not None else ""
        extra += f"  error {err:.2e}" if err is not None else ""
        self.lines.append(f"{self.indent}{self.label(s)} = {s.function}(%{s.node}) of "
                          f"[{self.terms(s.argument)}]  alpha_in {_argument_alpha(s.argument)}"
                          f"  alpha {_alpha(s)}{extra}")
        return self.label(s)

    def term(self, t: Term) -> str:
        src = self.source(t.source)
        return f"{t.coeff:+.6g}·" + " · ".join([str(f) for f in t.factors] + [src])

    def terms(self, form: Form) -> str:
        return " ".join(self.term(t) for t in form.terms)


def print_quantum_ir(program) -> str:
    """The text form of a :class:`~qcompile.qir.program.QuantumIR`."""
    lines = [f"quantum-ir {program.model_name} token {program.token}"]
    for name, mi in sorted(program.matrix_inputs.items()):
        origin = f"stage {mi.stage}" if mi.stage is not None else (
            f"%{mi.node}" if mi.node is not None else "input")
        lines.append(f"matrix {name}: [{mi.seq} x {mi.features}] bound {_g(mi.bound)}  # {origin}")
    printer = _Printer(lines, "  ")
    for st in program.stages:
        printer.new_stage()
        rows = f"token {program.token}" if st.rows == "one" else f"all {st.seq} tokens"
        glue = "output" if st.glue is None else st.glue.text()
        lines.append(f"stage {st.index} ({rows}) dim {st.form.dim} alpha {_alpha(st)} -> {glue}")
        printer.declare(st.form)
        for t in st.form.terms:
            lines.append(f"  term {printer.term(t)}   alpha {_alpha(t)}")
    return "\n".join(lines) + "\n"
