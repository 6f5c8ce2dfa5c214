"""Amplitude amplification in the resource estimate, at any scale (log10 figures).

Per stage of a :class:`~qcompile.resources.api.ResourceReport`, with ``p`` the success
probability the estimate assumes (the report's convention: ``p = 1/α²``, a unit-norm
output ``‖y‖ = 1``; or the certified lower bound ``p_low`` of :mod:`qcompile.success`
where the caller passes it and it is larger — a bound for every admissible input):

* **plain**: ``1/p`` expected repetitions of the stage circuit per post-selected sample,
  so ``CX/p`` per sample;
* **exact amplification** (:func:`qcompile.quantum.amplify.log10_exact_queries`, a known
  ``p``): ``≈ (π/2)/√p`` calls of U and U†, success ≥ ``1 − p``;
* **monotone fixed-point amplification** to ``target`` for every ``p' ≥ p``
  (:func:`qcompile.quantum.amplify.log10_fixed_point_queries`): ``≈ 2.7/√p`` calls for
  target ½, then ``1/target`` repetitions at most.

CX per post-selected sample = calls × (the stage's CX + the two reflections' CX per
iteration: a multi-controlled Z on every qubit and one on the ancillas for exact
amplification; the QSVT phase pair, two MCX on the ancillas and the phase qubit, for
fixed point, counted by :func:`qcompile.resources.gates.gate_cx`) / success.  Everything
is a log10, so GPT-2's ``p = 10^(−286,772)`` is a number: queries grow like ``1/√p``
(``10^143,386``) instead of ``1/p`` (``10^286,772``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass
class StageAmplification:
    """log10 figures of one stage with and without amplification (module docstring).
    ``p_basis``: ``"unit output"`` or ``"certified"``."""

    stage: int
    log10_alpha: float
    log10_p: float
    p_basis: str
    log10_repetitions: float
    log10_cx_plain: float
    log10_calls_exact: float
    log10_calls_fixed_point: float
    log10_cx_exact: float
    log10_cx_fixed_point: float
    target: float

    def to_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


def _log10_sum(a: float, b: float) -> float:
    """log10(10^a + 10^b)."""
    hi, lo = max(a, b), min(a, b)
    return hi + math.log10(1.0 + 10.0 ** (lo - hi))


def stage_amplification(stage, target: float = 0.5, log10_p_low: float | None = None) -> StageAmplification:
    """The :class:`StageAmplification` of one :class:`~qcompile.resources.api.StageResources`
    (``log10_p_low``: a certified lower bound of its success probability, used when larger
    than the unit-output ``1/α²``)."""
    from qcompile.quantum.amplify import log10_exact_queries, log10_fixed_point_queries
    from qcompile.resources.gates import gate_cx

    log10_p = min(0.0, -2.0 * stage.log10_alpha)
    basis = "unit output"
    if log10_p_low is not None and log10_p_low > log10_p:
        log10_p, basis = log10_p_low, "certified"
    log10_cx = math.log10(max(stage.cx, 1))
    anc = max(stage.ancillas, 1)
    if log10_p >= math.log10(target):
        calls_e = calls_f = 0.0
        cx_e = cx_f = log10_cx - log10_p
    else:
        calls_e = log10_exact_queries(log10_p)
        calls_f = log10_fixed_point_queries(log10_p, target)
        reflect_e = math.log10(gate_cx("mcz", stage.qubits) + gate_cx("mcz", anc) + 1)
        reflect_f = math.log10(2 * gate_cx("mcx", anc + 1) + 1)
        # calls × (CX of U + one iteration's reflections); success ≥ 1 − p (exact), ≥ target (fixed point)
        cx_e = calls_e + _log10_sum(log10_cx, reflect_e) - math.log10(1.0 - min(10.0 ** log10_p, 0.5))
        cx_f = calls_f + _log10_sum(log10_cx, reflect_f) - math.log10(target)
    return StageAmplification(stage.index, stage.log10_alpha, log10_p, basis, -log10_p, log10_cx - log10_p,
                              calls_e, calls_f, cx_e, cx_f, target)


def amplification_estimates(report, target: float = 0.5, log10_p_low: list | None = None) -> list[StageAmplification]:
    """:func:`stage_amplification` of every stage of ``report`` (``log10_p_low``: per stage,
    the certified lower bound's log10 or None; by default from the report's
    ``success_bounds``)."""
    if log10_p_low is None:
        bounds = getattr(report, "success_bounds", None) or [[0.0, 1.0]] * len(report.stages)
        log10_p_low = [math.log10(b[0]) if b[0] > 0 else None for b in bounds]
    lows = log10_p_low
    return [stage_amplification(s, target, low) for s, low in zip(report.stages, lows)]


def amplification_summary(rows: list[StageAmplification], runs: int = 1) -> dict:
    """One run of every stage, per post-selected sample of each stage in turn (the stages
    run one after the other: log10 of the sums), and over ``runs`` runs."""
    def total(key):
        out = -math.inf
        for r in rows:
            out = _log10_sum(out, getattr(r, key)) if out > -math.inf else getattr(r, key)
        return out

    plain, exact, fixed = total("log10_cx_plain"), total("log10_cx_exact"), total("log10_cx_fixed_point")
    extra = math.log10(runs) if runs > 1 else 0.0
    return {"smallest_log10_p": min(r.log10_p for r in rows), "log10_cx_plain": plain + extra,
            "log10_cx_exact": exact + extra, "log10_cx_fixed_point": fixed + extra,
            "max_log10_repetitions": max(r.log10_repetitions for r in rows),
            "max_log10_calls_fixed_point": max(r.log10_calls_fixed_point for r in rows), "runs": runs}


def amplification_table(rows: list[StageAmplification]) -> tuple[list[str], list[list[str]]]:
    """(column titles, cells) for ``qcompile resources``."""
    head = ["stage", "log10 p", "p from", "log10 reps", "log10 CX/sample", "log10 calls exact",
            f"log10 calls fixed-point (→{rows[0].target:g})" if rows else "log10 calls fixed-point",
            "log10 CX/sample amplified"]
    cells = [[str(r.stage), f"{r.log10_p:.2f}", r.p_basis, f"{r.log10_repetitions:.2f}", f"{r.log10_cx_plain:.2f}",
              f"{r.log10_calls_exact:.2f}", f"{r.log10_calls_fixed_point:.2f}", f"{r.log10_cx_fixed_point:.2f}"]
             for r in rows]
    return head, cells
