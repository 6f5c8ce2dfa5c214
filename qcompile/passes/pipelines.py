"""Every pass pipeline the compiler runs, and the optimisation levels behind ``-O0/1/2``.

From a model to circuits (:func:`compile_pipeline`): :func:`structure_pipeline`
(``lower-to-quantum`` and the IR-level fusion of the level), ``select-polynomials``
(together :func:`quantum_pipeline`), ``build-circuits``, then the circuit passes of the
level or of an explicit list (:func:`circuit_pipeline`), each applied to every stage.

Quantum IR (:func:`ir_fusion_pipeline`): ``-O0`` keeps one block encoding per weight and
fixed map; ``-O1`` and ``-O2`` run ``fold-linear-chains`` and ``fold-constants``.

Circuit IR (:func:`optimization_pipeline`):

* ``-O0``: nothing (the circuit as lowered, for comparison).
* ``-O1`` (the default of ``compile``, ``verify`` and ``run``): cheap, local, exact
  passes: ``cancel-inverses``, ``merge-rotations``; multi-controlled gates are kept, which
  simulators run natively.
* ``-O2``: ``cancel-inverses``, ``merge-rotations``,
  ``consolidate-two-qubit{lower=true}`` (lower multi-controlled gates to CX + 1q, then KAK
  where it saves CX), ``fuse-single-qubit``, then ``cancel-inverses`` and
  ``merge-rotations`` again to clean up around the new blocks, then ``ancilla-reuse``
  (last, because fusion does not look through its mid-circuit measurements).  A second
  consolidate/fuse round gained no CX on the benchmark circuits, so there is none.

Options: ``eps`` (float > 0) adds ``drop-small-rotations{eps}`` before the clean-up
(the dropped rotations enter ``info["dropped_rotation_error"]``) at any level ≥ 1;
``ancilla_reuse=False`` leaves it out of ``-O2``; ``target`` (``line:N``, ``grid:RxC``,
``heavy-hex:D``) appends ``route{target}`` at every level, routing only when given, followed
at ``-O1`` by ``cancel-inverses, merge-rotations`` and at ``-O2`` by
``consolidate-two-qubit, fuse-single-qubit, cancel-inverses, merge-rotations`` to clean up
around the inserted swaps (they only act on qubit pairs that already interact, so the
coupling map stays respected).

Why -O1 is the default: -O2's lowered circuits have ~25× more gates (encoder_block:
1.27 M vs 52 k; CX 502 k vs 575 k once the emitter lowers -O1's gates for QASM), so a
statevector run of encoder_block takes 54 s instead of 4.7 s and compiling 51 s
instead of 2.6 s.  Verification of the default artifact stays practical; ``-O2`` is one
flag away for hardware-bound circuits.
"""

from __future__ import annotations

from typing import Any

from qcompile.errors import PassError
from qcompile.passes.manager import Pass, get_pass

LEVELS = (0, 1, 2)


def ir_fusion_pipeline(level: int) -> list[Pass]:
    """The quantum-IR fusion passes of optimisation ``level``: none at ``-O0`` (one block
    encoding per weight and fixed map, for comparison), ``fold-linear-chains`` and
    ``fold-constants`` from ``-O1`` on."""
    if level not in LEVELS:
        raise PassError(f"unknown optimisation level {level!r}; use 0, 1 or 2")
    return [get_pass("fold-linear-chains"), get_pass("fold-constants")] if level >= 1 else []


def optimization_pipeline(level: int, **options: Any) -> list[Pass]:
    """The circuit-level passes of optimisation ``level`` (module docstring).

    ``options``: ``target: str | None``, ``eps: float | None``, ``ancilla_reuse: bool``.
    """
    if level not in LEVELS:
        raise PassError(f"unknown optimisation level {level!r}; use 0, 1 or 2")
    unknown = set(options) - {"target", "eps", "ancilla_reuse"}
    if unknown:
        raise PassError(f"optimization_pipeline has no option(s) {', '.join(sorted(unknown))}; "
                        "its options are: ancilla_reuse, eps, target")
    target = options.get("target")
    eps = options.get("eps")
    passes: list[Pass] = []
    if level >= 1:
        passes += [get_pass("cancel-inverses"), get_pass("merge-rotations")]
    if level >= 2:
        passes += [get_pass("consolidate-two-qubit", lower=True), get_pass("fuse-single-qubit")]
    if level >= 1 and eps:
        passes.append(get_pass("drop-small-rotations", eps=float(eps)))
    if level >= 2:
        passes += [get_pass("cancel-inverses"), get_pass("merge-rotations")]
        if options.get("ancilla_reuse", True):
            passes.append(get_pass("ancilla-reuse"))
    if target:
        passes.append(get_pass("route", target=str(target)))
        # clean up around the router's swaps; these passes only touch existing qubit pairs,
        # so the result still respects the coupling map
        if level >= 2:
            passes += [get_pass("consolidate-two-qubit"), get_pass("fuse-single-qubit")]
        if level >= 1:
            passes += [get_pass("cancel-inverses"), get_pass("merge-rotations")]
    return passes


def structure_pipeline(token: int, method: str = "dilation", optimization: int = 1,
                       coherent: bool = False) -> list[Pass]:
    """From a model to the polynomial-free quantum IR: ``lower-to-quantum`` (its output
    ``token``, dense block encodings by ``method``), with ``coherent`` the ``coherent`` pass
    (one stage, :mod:`qcompile.coherent`), and the IR-level fusion of the level."""
    from qcompile.passes.lower_to_quantum import LowerToQuantum

    one = [get_pass("coherent")] if coherent else []
    return [LowerToQuantum(token=token, method=method)] + one + ir_fusion_pipeline(optimization)


def quantum_pipeline(token: int, tolerance: float, method: str = "dilation", optimization: int = 1,
                     coherent: bool = False) -> list[Pass]:
    """:func:`structure_pipeline`, then ``select-polynomials`` (degrees calibrated to
    ``tolerance``): the quantum IR ``build-circuits`` takes."""
    from qcompile.passes.select_polynomials import SelectPolynomials

    return structure_pipeline(token, method, optimization, coherent) + [SelectPolynomials(tolerance=tolerance)]


def circuit_pipeline(optimization: int = 1, target: str | None = None, passes: str | None = None) -> list[Pass]:
    """The circuit passes: an explicit ``passes`` list (``"a,b{opt=1}"``; ``target``
    appends ``route``), or the ``optimization`` level's (:func:`optimization_pipeline`)."""
    from qcompile.passes.manager import parse_pipeline

    if passes:
        out = list(parse_pipeline(passes))
        if target:
            out.append(get_pass("route", target=str(target)))
        return out
    return optimization_pipeline(optimization, target=target)


def compile_pipeline(token: int, tolerance: float, method: str = "dilation", optimization: int = 1,
                     target: str | None = None, passes: str | None = None, coherent: bool = False) -> list[Pass]:
    """From a model to optimised stage circuits: :func:`quantum_pipeline` (one stage with
    ``coherent``), ``build-circuits``, and each circuit pass applied to every stage."""
    from qcompile.passes.build_circuits import BuildCircuits

    return quantum_pipeline(token, tolerance, method, optimization, coherent) + [BuildCircuits()] + \
        per_stage(circuit_pipeline(optimization, target, passes))


def per_stage(passes: list[Pass]) -> list[Pass]:
    """Circuit passes (over one stage circuit) applied to every stage of a program."""
    from qcompile.passes.for_each_stage import ForEachStage

    # ---- a pass that takes the whole program (``whole_program = True``: amplify) is not wrapped
    return [p if getattr(p, "whole_program", False) else ForEachStage(p) for p in passes]
