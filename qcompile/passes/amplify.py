"""The ``amplify`` pass: wrap chosen stage circuits in amplitude amplification.

``amplify{stages=1,target=0.5,p_min=0.001,method=auto}`` takes the whole circuit program
(it is not applied stage by stage: it needs each stage's index and the quantum IR's
bounds) and replaces each selected stage circuit U by the circuit of
:mod:`qcompile.quantum.amplify` that post-selects with probability ≥ ``target`` for every
input whose own success probability ``p`` is at least the design bound

    p_design = max(p_low, p_min),

``p_low`` the certified lower bound of :func:`qcompile.success.success_bounds` and
``p_min`` the user's (``0`` by default: certified only).  ``p_min > p_low`` is an
*assumption* about the inputs, recorded as such (``assumed``); runs report per input
whether ``p ≥ p_design`` held and the target was met.  A stage whose design bound is 0
(no certified lower bound, no ``p_min``) is refused with the reason, and so is one whose
amplified circuit would exceed ``max_gates`` gates (the message gives its calls of U).
A stage with ``p_design ≥ target`` is left as it is.

``method``: ``exact`` (tight bounds: ``p ∈ [p_design, p_high]`` with ``p_high`` the
certified upper bound), ``fixed-point`` (monotone QSVT polynomial), or ``auto`` (exact
when it reaches the target, else fixed-point).  ``stages``: ``all`` (default), one index,
or indices separated by ``;`` or spaces (``stages="0;2"``); a stacked program's pieces are
amplified alike.

The stage keeps its ``alpha``; ``info["amplification"]`` holds the method, the bounds, the
target, the calls of U and U†, the CX and depth before and after, and the response whose
inverse the run path applies (:func:`qcompile.quantum.amplify.undo_amplification`), so a
run's read-out is the stage's ``y`` itself.  Rotations dropped by earlier passes were an
operator-norm error ``e`` of U; the amplified circuit calls U and U† ``Q`` times, so its
error is ``≤ Q·e`` and the read-out's ``≤ α·L·Q·e`` with ``L`` the read-out map's Lipschitz
constant (:meth:`~qcompile.quantum.amplify.Response.recovery_lipschitz`):
``info["dropped_rotation_error"]`` becomes ``L·Q·e``.  Run ``amplify`` after the passes
that drop rotations (rotations dropped afterwards would enter the bound without the
factor L) and before ``ancilla-reuse`` and ``route`` (a circuit that measures mid-circuit
cannot be inverted, and a routed one's reflections would not respect the coupling map):
both orders are refused.

Properties: ``amplified_stages`` (indices), ``amplify_calls`` (total calls of U and U† per
program run), ``amplify_cx_added``.
"""

from __future__ import annotations

from qcompile.errors import PassError, QcompileError
from qcompile.passes.manager import Pass, register_pass


def parse_stages(value, count: int) -> list[int]:
    """Stage indices from the ``stages`` option (``all``, an int, or ``"0;2"``/``"0 2"``)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return list(range(count))
    if isinstance(value, bool):
        raise PassError("option 'stages' of pass 'amplify' must be all, a stage index or indices like \"0;2\"")
    if isinstance(value, int):
        items = [value]
    else:
        try:
            items = [int(v) for v in str(value).replace(";", " ").replace(",", " ").split()]
        except ValueError:
            raise PassError(f"option 'stages' of pass 'amplify' must be all, a stage index or indices like "
                            f"\"0;2\", got {value!r}") from None
    for k in items:
        if not 0 <= k < count:
            raise PassError(f"pass 'amplify': stage {k} does not exist (the program has {count} stage(s))")
    return sorted(set(items))


@register_pass
class Amplify(Pass):
    """Amplitude amplification of chosen stages with read-back (module docstring)."""

    name = "amplify"
    kind = "transformation"
    takes = "circuit"
    description = "wrap stages in amplitude amplification (exact or monotone fixed-point) to a target success"
    options = {"stages": None, "target": 0.5, "p_min": 0.0, "method": "auto", "max_gates": 20_000_000}
    option_ranges = {"target": (1e-6, 0.99), "p_min": (0.0, 1.0), "max_gates": (1, 10**12)}
    #: the pass manager's pipelines hand it the whole StageProgram (not one stage at a time)
    whole_program = True

    def run(self, program, properties):
        from qcompile.quantum.amplify import METHODS

        method = self.options["method"]
        if method not in METHODS:
            raise PassError(f"option 'method' of pass 'amplify' must be one of {', '.join(METHODS)}, got {method!r}")
        if not hasattr(program, "stages") or not hasattr(program, "lowered"):
            raise PassError("pass 'amplify' works on a whole program's circuits; run it in a compile pipeline")
        from qcompile.success import success_bounds

        chosen = parse_stages(self.options["stages"], len(program.stages))
        bounds = success_bounds(program.lowered)
        stages = list(program.stages)
        calls = cx_added = 0
        amplified = []
        for k in chosen:
            new = self.amplify_stage(stages[k], k, bounds[k])
            if new is stages[k]:
                continue
            amp = new.info["amplification"]
            calls += sum(amp["calls"].values())
            cx_added += amp["cx_after"] - amp["cx_before"]
            stages[k] = new
            amplified.append(k)
        properties["amplified_stages"] = amplified
        properties["amplify_calls"] = calls
        properties["amplify_cx_added"] = cx_added
        return program.with_stages(stages)

    def check_size(self, sc, where: str, p_design: float, target: float, queries: int) -> None:
        """PassError when ``queries`` calls of the stage circuit exceed ``max_gates`` gates."""
        size = queries * len(sc.circuit.gates)
        if size > self.options["max_gates"]:
            raise PassError(f"pass 'amplify': {where} from p >= {p_design:.3g} to {target:g} needs {queries} calls "
                            f"of U and U† ({size:.3g} gates, {queries * sc.stats()['cx']:.3g} CX), above "
                            f"max_gates={self.options['max_gates']}")

    def amplify_stage(self, sc, index: int, bounds):
        """The amplified stage circuit (``sc`` itself when its design bound reaches the target)."""
        from qcompile.quantum.amplify import amplified_circuit, design, design_exact, estimated_calls

        target, p_min = float(self.options["target"]), float(self.options["p_min"])
        where = f"stage {index} ({sc.name})"
        if "amplification" in sc.info:
            raise PassError(f"pass 'amplify': {where} is amplified already")
        if sc.postselect_clbits or any(g.name in ("measure", "reset") for g in sc.circuit.gates):
            raise PassError(f"pass 'amplify': {where} measures mid-circuit and cannot be inverted; run amplify "
                            "before ancilla-reuse")
        if "layout" in sc.info:
            raise PassError(f"pass 'amplify': {where} is routed already; run amplify before route")
        p_design = max(bounds.low, p_min)
        if p_design <= 0:
            raise PassError(f"pass 'amplify': {where} has no positive certified lower bound on its success "
                            f"probability ({bounds.reason}); give p_min, the smallest success probability "
                            "the amplification must lift (an assumption about the inputs)")
        if p_design >= target:
            return sc
        p_high = max(bounds.high, p_design)
        # the size check first, from the exact design or the fixed-point estimate (no design yet)
        exact = design_exact(p_design, p_high, target) if self.options["method"] != "fixed-point" else None
        self.check_size(sc, where, p_design, target,
                        sum(exact.calls.values()) if exact is not None else estimated_calls(p_design, target))
        try:
            response = exact if exact is not None else design(p_design, p_high, target, self.options["method"])
        except QcompileError as exc:
            raise PassError(f"pass 'amplify': {where}: {exc.message}") from None
        queries = sum(response.calls.values())
        self.check_size(sc, where, p_design, target, queries)
        before = sc.stats()
        circuit, postselect = amplified_circuit(sc.circuit, sc.postselect, response)
        out = sc.replace_circuit(circuit, postselect=tuple(postselect))
        after = out.stats()
        lipschitz = response.recovery_lipschitz()
        dropped = sc.info.get("dropped_rotation_error", 0.0)
        if dropped:
            out.info["dropped_rotation_error"] = lipschitz * queries * dropped
        out.info["amplification"] = {
            "method": response.method, "target": target, "p_design": p_design, "p_certified": bounds.low,
            "p_high": p_high, "assumed": p_design > bounds.low,
            "design_success": float(response.success(p_design)), "calls": dict(response.calls),
            "extra_qubits": circuit.num_qubits - sc.circuit.num_qubits,
            "cx_before": before["cx"], "cx_after": after["cx"],
            "depth_before": before["depth"], "depth_after": after["depth"],
            "recovery_lipschitz": lipschitz, "parameters": response.to_json(), "response": response}
        if not out.info["amplification"]["design_success"] >= target * (1 - 1e-12):  # pragma: no cover
            raise PassError(f"pass 'amplify': {where}: the design reaches only "
                            f"{out.info['amplification']['design_success']:.6g}")
        return out


def amplification_json(sc) -> dict | None:
    """``info["amplification"]`` of a stage circuit without the response object (JSON)."""
    amp = sc.info.get("amplification")
    if amp is None:
        return None
    return {k: v for k, v in amp.items() if k != "response"}


def amplification_note(sc) -> list[str]:
    """QASM header lines saying how to undo an amplified stage's known scalar (none when
    it is not amplified)."""
    amp = sc.info.get("amplification")
    if amp is None:
        return []
    params = ", ".join(f"{k}={v}" for k, v in amp["parameters"].items())
    return [f"amplified ({amp['method']}, {params}): the post-selected amplitudes are g(x)·u with u = y/|y| "
            f"and x = |y|/alpha; read-out: y = alpha * g^-1(|b|) * b/|b| for the post-selected amplitudes b",
            f"success probability >= {amp['target']:g} for inputs with (|y|/alpha)^2 >= {amp['p_design']:.6g}"
            + (" (assumed: p_min)" if amp["assumed"] else " (certified)")]
