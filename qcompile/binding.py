"""The values of a compiled program's OpenQASM 3 inputs for one model input.

An OpenQASM 3 file written by qcompile declares ``input float[64] NAME_i;`` for every
element of every *loader* parameter vector.  These are rotation angles of a
state-preparation tree (:mod:`qcompile.quantum.state_preparation`: ``2·atan2`` of partial
norms of the loaded vector, mixed by a Walsh–Hadamard transform in Gray-code order, plus
the flag angle ``2·acos(‖v‖/B)``), and where a diagonal folds an input's norm flag into its
LCU (``NAME_lcuK``), that LCU's state-preparation angles computed from ``‖x‖_F``
(:class:`qcompile.quantum.diagonal.FoldedWeights`) — not the model input's values: binding
the raw values of ``x`` to them gives a wrong circuit.  :func:`bind_parameters` computes
them, stage by stage (``qcompile bind MODEL --input x.npy --json params.json`` on the
command line).

The angles of stage 0 depend on the input alone.  A later stage loads what the glue made
of earlier stages' outputs (layer norm, softmax normalisation), which a quantum computer
would have to read out; here those outputs come from an ideal state-vector simulation, as
for ``qcompile MODEL -o OUT --qasm 2 --bind x.npy``.
"""

from __future__ import annotations

import numpy as np

from qcompile.errors import QcompileError


def _input_values(values: dict) -> dict[str, float]:
    """Parameter vectors ``{name: array}`` as OpenQASM 3 input names ``{name_i: value}``."""
    from qcompile.backends.qasm import input_name

    out = {}
    for name in sorted(values):
        for i, v in enumerate(np.ravel(np.asarray(values[name], dtype=float))):
            out[input_name(name, i)] = float(v)
    return out


def bind_parameters(program, x) -> dict:
    """The OpenQASM 3 input values of every stage of ``program`` (a
    :class:`~qcompile.program.Program` or :class:`~qcompile.stacked.StackedProgram`) for
    model input ``x``: ``{"format": "qcompile-parameters/1", "model", "token", "stages":
    [{"index", "segment", "token", "stage", "computed_from", "inputs": {"x_r3_0": …}}]}``,
    stages in run order (the order of the QASM files ``compile`` writes).  ``x`` is checked
    like :func:`qcompile.reference`'s input (shape, bound, real numbers)."""
    from qcompile.program import Program
    from qcompile.reference.interpreter import bind_inputs
    from qcompile.stacked import StackedProgram

    if isinstance(program, Program):
        located = [(0, program.token, program, k) for k in range(len(program.stages))]
        segment_input = lambda x, seg: x  # noqa: E731
    elif isinstance(program, StackedProgram):
        located = program._located()
        segment_input = program.segment_input
    else:
        raise QcompileError(f"bind_parameters needs a compiled program (qcompile.compile), got "
                            f"{type(program).__name__}")
    bind_inputs(program.model, x)   # a plain error for a malformed input before any work
    stages = []
    for index, (seg, tok, prog, k) in enumerate(located):
        values = prog.stage_values(segment_input(x, seg), k)
        stages.append({"index": index, "segment": seg, "token": tok, "stage": k,
                       "computed_from": "the input" if k == 0 and seg == 0 else
                       "the input and earlier stages' outputs (ideal state-vector simulation)",
                       "inputs": _input_values(values)})
    return {"format": "qcompile-parameters/1", "model": program.model.name, "token": program.token,
            "meaning": "values of the OpenQASM 3 'input float[64]' declarations of each stage file: "
                       "state-preparation angles computed from the model input, not its raw values",
            "stages": stages}


__all__ = ["bind_parameters"]
