"""Deterministic text of the quantum IR (staged linear forms), one term per line.

Example::

    quantum-ir encoder_block token 3
    input x: [4 x 4] bound 4
    stage 0 (token 3) alpha 12.5 -> block_sum softmax%10 (2 blocks)
      %n0 = exp(%10)  degree 24  alpha 3.1
      term +1 I2⊗x · dense[4x4 keys] · x[3]   alpha 5.2
"""

from __future__ import annotations

from qcompile.lowering import forms as F


def _g(x: float) -> str:
    return f"{x:.6g}"


def print_lowered(low) -> str:
    """The text form of a :class:`~qcompile.lowering.symbolic.Lowered` program."""
    lines = [f"quantum-ir {low.model_name} token {low.token}"]
    for name, mi in sorted(low.matrix_inputs.items()):
        origin = f"stage {mi.stage}" if mi.stage is not None else (
            f"%{mi.node}" if mi.node is not None else "input")
        lines.append(f"matrix {name}: [{mi.seq} x {mi.features}] bound {_g(mi.bound)}  # {origin}")
    names: dict[int, str] = {}

    def label(nl: F.Nonlinear) -> str:
        return names.setdefault(id(nl), f"%n{len(names)}")

    def emit_nonlinear(form: F.Form, indent: str, seen: set):
        for src in form.sources():
            if isinstance(src, F.Nonlinear) and id(src) not in seen:
                seen.add(id(src))
                emit_nonlinear(src.argument, indent, seen)
                p = src.polynomial
                deg = getattr(p, "degree", None)
                err = getattr(p, "error", None)
                extra = f"  degree {deg}" if deg is not None else ""
                extra += f"  error {err:.2e}" if err is not None else ""
                lines.append(f"{indent}{label(src)} = {src.function}(%{src.node}) of "
                             f"[{_terms(src.argument)}]  alpha_in {_g(src.argument.alpha)}"
                             f"  alpha {_g(src.alpha)}{extra}")

    def _terms(form: F.Form) -> str:
        return " ".join(_term(t) for t in form.terms)

    def _term(t: F.Term) -> str:
        chain = [str(f) for f in t.factors]
        src = label(t.source) if isinstance(t.source, F.Nonlinear) else str(t.source)
        return f"{t.coeff:+.6g}·" + " · ".join(chain + [src])

    for st in low.stages:
        rows = f"token {low.token}" if st.rows == "one" else f"all {st.seq} tokens"
        glue = "output" if st.glue is None else (
            f"{st.glue.kind} -> {st.glue.produces}"
            + (f" ({st.glue.blocks} blocks)" if st.glue.kind == "block_sum" else ""))
        lines.append(f"stage {st.index} ({rows}) dim {st.form.dim} alpha {_g(st.alpha)} -> {glue}")
        emit_nonlinear(st.form, "  ", set())
        for t in st.form.terms:
            lines.append(f"  term {_term(t)}   alpha {_g(t.alpha)}")
    return "\n".join(lines) + "\n"
