"""Invariants of the quantum IR, checked after every pass in tests (``verify=True``).

* stages are numbered ``0..n-1`` in order; every stage but the last has glue, the last
  has none or a ``final`` read-out rule (coherent mode); glue names are unique;
* every input row, input matrix and stage input a stage reads is produced before it: a
  matrix input of the program, or the glue of an earlier stage (a vector for
  :class:`~qcompile.qir.glue.Normalize`-like glue, a matrix for ``normalize_rows``);
* factors chain: each factor's input width is the width of what it is applied to (the
  records check this when they are built, see :class:`~qcompile.qir.nodes.Form`);
* the program's list of nonlinear sources holds every nonlinear source its stages use.
"""

from __future__ import annotations

from qcompile.errors import IRVerifyError
from qcompile.qir.nodes import InputMatrix, InputRow, Nonlinear, RotaryKeys, StageInput


def verify_quantum_ir(program) -> None:
    """Raise :class:`~qcompile.errors.IRVerifyError` if ``program`` (a
    :class:`~qcompile.qir.program.QuantumIR`) breaks an invariant (module docstring)."""
    if not program.stages:
        raise IRVerifyError("the quantum IR has no stage")
    matrices = {name for name, mi in program.matrix_inputs.items() if mi.stage is None}
    vectors: set[str] = set()
    listed = {id(nl) for nl in program.nonlinear}
    for k, st in enumerate(program.stages):
        if st.index != k:
            raise IRVerifyError(f"stage {k} is numbered {st.index}")
        last = k == len(program.stages) - 1
        if last and st.glue is not None and not st.glue.final:
            raise IRVerifyError(f"the last stage ({k}) has glue {st.glue.kind}")
        if not last and (st.glue is None or st.glue.final):
            raise IRVerifyError(f"stage {k} has no glue but is not the last")
        if not st.form.terms:
            raise IRVerifyError(f"stage {k} computes the zero vector")
        for src in st.form.sources():
            if isinstance(src, InputRow) and src.name not in matrices:
                raise IRVerifyError(f"stage {k} reads {src.name} before it is produced")
            if isinstance(src, StageInput) and src.name not in vectors:
                raise IRVerifyError(f"stage {k} reads {src.name} before it is produced")
            if isinstance(src, Nonlinear) and id(src) not in listed:
                raise IRVerifyError(f"stage {k} uses %{src.node} ({src.function}), which the program "
                                    f"does not list among its nonlinear sources")
        for t in _all_terms(st.form):
            for f in t.factors:
                if isinstance(f, (InputMatrix, RotaryKeys)) and f.name not in matrices:
                    raise IRVerifyError(f"stage {k} reads the matrix {f.name} before it is produced")
        if st.glue is not None:
            name = st.glue.produces
            if name in matrices or name in vectors:
                raise IRVerifyError(f"stage {k} produces {name}, which already exists")
            (matrices if st.glue.hands_on_matrix else vectors).add(name)
    for name, mi in program.matrix_inputs.items():
        if mi.stage is not None and name not in matrices:
            raise IRVerifyError(f"matrix {name} is said to come from stage {mi.stage}, which does not produce it")


def _all_terms(form):
    """Every term of ``form``, of its nonlinear sources' arguments and of its diagonal factors."""
    for t in form.terms:
        yield t
        if isinstance(t.source, Nonlinear):
            yield from _all_terms(t.source.argument)
        for f in t.factors:
            if f.kind == "diagonal":
                yield from _all_terms(f.form)
