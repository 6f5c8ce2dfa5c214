"""Success probability of every stage: exact per input, certified lower bound, repetitions, shots.

A stage circuit U starts from |0…0⟩ and leaves ``y/α`` on the branch where every
post-selected qubit reads 0 (:mod:`qcompile.circuit.stage`), so post-selection succeeds
with probability

    p = ‖y‖² / α²

(the squared norm of the whole post-selected output register, which only grows with
padding entries).  For each stage this module gives:

* **p for a bound input** — what :meth:`qcompile.program.Program.run` read from the
  statevector (``StageResult.success_probability``); for a stage wrapped by the
  ``amplify`` pass also ``p_run``, the post-selection probability of the circuit as
  compiled (:mod:`qcompile.quantum.amplify`: ``p_run = g(√p)²``);
* **a data-independent lower bound** ``p_low = (ℓ/α)²`` with ``ℓ ≤ ‖y‖`` for every
  admissible input (:func:`stage_bounds`, the rules and their proofs in
  :class:`NormBounds`), and an upper bound ``p_high = min(1, (h/α)²)``; ``ℓ = 0`` where
  an admissible input gives ``y = 0`` or nothing proves otherwise, and ``reason`` says
  which node made it 0;
* **expected repetitions** ``1/p_run`` of the stage circuit per post-selected sample
  (geometric distribution), and ``queries/p_run`` calls of the stage's U and U† (an
  amplified circuit calls U several times);
* **shots for a precision ε** (:func:`shots_for_precision`).  Estimator: run the circuit
  S times, measure every qubit, let ``n_k`` count the shots where every post-selected
  qubit read 0 and the output read k; then ``ŷ_k = α·√(n_k/S)`` estimates ``|y_k|``
  (magnitudes only: the signs need interference, which qcompile does not sample).  With
  ``λ = E n_k = S·π_k``, ``π_k = y_k²/α²``: ``(√n − √λ)² = (n − λ)²/(√n + √λ)² ≤ (n − λ)²/λ``,
  so ``E(ŷ_k − |y_k|)² ≤ α²·Var(n_k)/(λS) = α²(1 − π_k)/S`` — a root-mean-square error
  ``≤ α/√S`` for every entry, however small its count (the delta method's ``α/(2√S)`` is the
  large-count limit).  Relative to ``‖y‖ = α√p``: ``S(ε) = ⌈1/(p ε²)⌉`` shots give every
  ``|y_k|`` an RMS error ≤ ε‖y‖.  An amplified circuit (good amplitude ``g(x)``,
  ``x = √p``, ``r = g(x) = √p_run``) needs the norm and the direction apart:
  ``ŷ_k = α·x̂·√(n_k/K)`` with K the kept shots and ``x̂ = g⁻¹(√(K/S))``; given K the
  direction part has RMS error ``≤ 1/√K`` (the bound above), ``√(K/S)`` has RMS error
  ``≤ √((1 − r²)/S)`` and, to first order, ``x̂`` that over ``g'(x)``; adding them,
  ``RMS(ŷ_k)/‖y‖ ≤ κ/√(p_run·S)`` with ``κ = 1 + √(1 − r²)·g(x)/(x·g'(x))``, so
  ``S(ε) = ⌈κ²/(p_run ε²)⌉``.  Amplification cuts the repetitions per sample, not the
  shots for a precision relative to ``‖y‖`` (that needs amplitude estimation, which
  qcompile does not build): the figures say so by themselves.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from qcompile.qir.visitor import FormVisitor

#: the default relative precision ε of the shot figure (standard error ≤ ε‖y‖ per entry)
DEFAULT_PRECISION = 1e-2


# ---- certified norm bounds ----------------------------------------------------------------


@dataclass(frozen=True)
class NormBounds:
    """``low ≤ ‖v‖₂ ≤ high`` for every admissible input; ``reason``: why ``low`` is 0 ("" when
    it is not).

    Rules (``(ℓ, h)`` bound the vector a node produces; proofs inline):

    * input row ``x_j`` of a model input with ``‖X‖_F ≤ B``: ``(0, B)`` — ``X = 0`` is
      admissible, and ``‖x_j‖ ≤ ‖X‖_F``;
    * constant ``c``: ``(‖c‖, ‖c‖)``;
    * stage input produced by glue (every admissible input passes the glue, else the run
      raises BindError): ``normalize`` with ``eps = 0`` gives a unit vector, ``(1, 1)``;
      with ``eps > 0`` it is ``c/√(‖c‖² + d·eps)``, increasing in ``‖c‖``, so
      ``(f(ℓ_c), f(h_c))`` with ``f(t) = t/√(t² + d·eps)`` and ``(ℓ_c, h_c)`` the producing
      stage's bounds (per row for ``normalize_rows``; ``(0, 1)`` for ``normalize_scaled``,
      whose ``c`` is unbounded below); ``block_sum`` makes every block of ``n`` entries
      sum to 1, and ``1 = |Σ a_i| ≤ √n‖a‖₂`` (Cauchy–Schwarz), so ``ℓ = √(blocks/n)``;
      ``h`` is also capped by the bound the loader declares;
    * nonlinear ``P(v)`` (the chosen polynomial entrywise): every entry of ``v`` has
      ``|v_i| ≤ ‖v‖₂ ≤ r = min(h_v, input α)``, so with ``m = min_{|t| ≤ r} |P(t)|``
      (computed exactly: ``P`` on the interval's ends and at the real roots of ``P'``;
      0 when ``P`` has a root there) ``‖P(v)‖ ≥ √dim·m``; ``h`` = the construction's
      ``α = K√N ≥ √N·max|P|``;
    * dense ``W`` (either block encoding: same matrix): ``‖Wv‖ ≥ σ_min(W)‖v‖`` when ``W``
      has at least as many rows as columns (``σ_min`` its smallest singular value; else
      ``Wv = 0`` for ``v`` in its kernel: 0), ``‖Wv‖ ≤ ‖W‖₂‖v‖``; an abstract ``W`` (shape
      and norms only) gets ``ℓ = 0``;
    * rotary ``R`` (orthogonal): ``(ℓ, h)`` unchanged;
    * input matrix ``I ⊗ X``, rank-one ``u wᵀ``, diagonal ``diag(u)``, scores against
      rotary keys: ``ℓ = 0`` (each is 0 on some admissible input or direction), ``h`` from
      ``‖X‖₂ ≤ B``, ``‖u‖‖w‖``, ``‖u‖_∞ ≤ ‖u‖₂``, and ``α(F) ≥ ‖F‖₂`` for any other factor;
    * term ``c·F₁⋯F_m s``: the factors' rules applied right to left, times ``|c|``;
    * form ``Σ_k t_k``: one term as above; several: ``h = Σ h_k`` and, by the reverse
      triangle inequality ``‖Σ t‖ ≥ ‖t_k‖ − Σ_{j≠k} ‖t_j‖``, ``ℓ = max(0, max_k (ℓ_k − Σ_{j≠k} h_j))``;
    * a stage over every row (``rows = "all"``): each row has the row form's bounds, so
      ``(√seq·ℓ, √seq·h)``.
    """

    low: float
    high: float
    reason: str = ""


class _NormBounder(FormVisitor):
    """``(ℓ, h, reason)`` of every node (rules: :class:`NormBounds`).  ``vectors``: bounds of
    the stage inputs produced so far; ``rows``: per-row bounds of the matrix inputs
    produced by ``normalize_rows``."""

    memoize = True

    def __init__(self, lowered, vectors: dict, rows: dict):
        super().__init__()
        self.lowered, self.vectors, self.rows = lowered, vectors, rows
        self._sigma: dict = {}

    def _handler(self, node):
        method = getattr(self, node.kind, None)
        if method is not None:
            return method
        if hasattr(node, "shape"):    # a factor kind with no rule: α(F) ≥ ‖F‖₂, ℓ = 0
            return self._generic_factor
        return self._generic_source

    def _generic_factor(self, f, value, *args):
        return (0.0, f.alpha * value[1], value[2] or f"{f.kind} factor has no lower bound")

    def _generic_source(self, s, *args):
        return (0.0, s.alpha, f"{s.kind} source has no lower bound")

    # ---- sources
    def input_row(self, s, *args):
        low, high = self.rows.get(s.name, (0.0, float(s.bound)))
        why = "" if low > 0 else f"input '{s.name}' may be 0 (only ‖X‖ ≤ {s.bound:g} is declared)"
        return (low, min(high, float(s.alpha)), why)   # α: the row bound for one row, else B

    def const(self, s, *args):
        from qcompile.qir.linalg import is_abstract, vector_norm

        if is_abstract(s.vector):
            return (0.0, vector_norm(s.vector), "an abstract constant (only its norm bound is known)")
        n = float(np.linalg.norm(np.asarray(s.vector, dtype=float)))
        return (n, n, "" if n > 0 else "a zero constant")

    def stage_input(self, s, *args):
        low, high, why = self.vectors.get(s.name, (0.0, float(s.bound), f"stage input {s.name} unbounded below"))
        return (low, min(high, float(s.bound)), why)

    def nonlinear(self, s, *args):
        arg_low, arg_high, _ = self.form(s.argument, *args)
        p = s.polynomial
        high = float(s.alpha)
        if p is None or not hasattr(p, "p_raw"):
            return (0.0, high, f"{s.function}(%{s.node}) has only an estimated polynomial")
        r = min(arg_high, float(p.input_alpha))
        m = polynomial_min_abs(p.p_raw, r / float(p.input_alpha))
        if m <= 0:
            return (0.0, high, f"{s.function}(%{s.node}) can be 0 on its argument's range |t| ≤ {r:.4g}")
        return (math.sqrt(s.dim) * m, high, "")

    # ---- factors
    def _singular_values(self, m) -> tuple[float, float]:
        key = id(m)
        if key not in self._sigma:
            sv = np.linalg.svd(np.asarray(m, dtype=float), compute_uv=False)
            rows, cols = np.shape(m)
            low = float(sv[-1]) if rows >= cols and sv.size else 0.0
            self._sigma[key] = (m, low, float(sv[0]) if sv.size else 0.0)
        _, low, high = self._sigma[key]
        return low, high

    def dense(self, f, value, *args):
        from qcompile.qir.linalg import is_abstract, spectral_norm

        low, high, why = value
        if is_abstract(f.matrix):
            return (0.0, spectral_norm(f.matrix) * high, why or f"{f} is abstract (no smallest singular value)")
        s_low, s_high = self._singular_values(f.matrix)
        if s_low <= 0 and low > 0:
            why = f"{f} has a kernel"
        return (s_low * low, s_high * high, why)

    def rotary(self, f, value, *args):
        return value

    def input_matrix(self, f, value, *args):
        return (0.0, float(f.bound) * value[1], value[2] or f"{f} may annihilate its argument")

    def rank_one(self, f, value, *args):
        from qcompile.qir.linalg import vector_norm

        u_high = self.source(f.source, *args)[1]
        w = vector_norm(f.right)
        return (0.0, u_high * w * value[1], value[2] or f"rank-one factor {f} may be 0")

    def diagonal(self, f, value, *args):
        u_high = self.form(f.form, *args)[1]
        return (0.0, u_high * value[1], value[2] or "an elementwise product may be 0")

    # ---- terms and forms
    def weigh(self, coeff, value, term):
        return (abs(coeff) * value[0], abs(coeff) * value[1], value[2])

    def combine(self, form, values, *args):
        if len(values) == 1:
            return values[0]
        highs = [v[1] for v in values]
        total = float(sum(highs))
        low = max(0.0, max(v[0] - (total - v[1]) for v in values))
        why = "" if low > 0 else "its terms may cancel (no term exceeds the others' bound)"
        return (low, total, why)


def polynomial_min_abs(poly, r: float) -> float:
    """``min_{|t| ≤ r} |P(t)|`` for a :class:`~qcompile.quantum.polynomials.Polynomial` on
    [-1, 1] (``r ≤ 1``): 0 when P has a real root in [-r, r], else the smallest |P| at ±r
    and at the real roots of P' inside (where a minimum of |P| on an interval lies)."""
    cheb = np.polynomial.chebyshev
    c = np.asarray(poly.coefficients, dtype=float)
    r = float(min(max(r, 0.0), 1.0))
    if len(c) == 1:
        return abs(float(c[0]))
    grid = np.linspace(-r, r, 2049)
    values = cheb.chebval(grid, c)
    if np.any(values <= 0) and np.any(values >= 0):
        return 0.0
    points = [-r, r]
    for root in cheb.chebroots(c):
        if abs(root.imag) < 1e-9 and -r <= root.real <= r:
            return 0.0
    for root in cheb.chebroots(cheb.chebder(c)) if len(c) > 2 else ():
        if abs(root.imag) < 1e-9 and -r <= root.real <= r:
            points.append(float(root.real))
    return float(np.min(np.abs(cheb.chebval(np.asarray(points), c))))


def _glue_bounds(glue, stage, out: tuple[float, float, str]):
    """Bounds of what ``glue`` hands on, from the bounds of the stage's read-out ``out``:
    ``("vector", (ℓ, h, reason))`` or ``("rows", (ℓ_row, h_row))`` (rules: :class:`NormBounds`)."""
    low, high, why = out
    kind = glue.kind
    eps = float(getattr(glue, "eps", 0.0))
    if kind == "block_sum":
        size = stage.form.dim // glue.blocks
        return "vector", (math.sqrt(glue.blocks / size), math.inf, "")
    if kind == "normalize_rows":
        width = glue.width or stage.row_length
        row_low, row_high = (low, high) if stage.rows != "all" else (low / math.sqrt(stage.seq),
                                                                      high / math.sqrt(stage.seq))
        if eps == 0:
            return "rows", (1.0, 1.0)
        return "rows", (_normalized(row_low, width, eps), _normalized(row_high, width, eps))
    if eps == 0:
        return "vector", (1.0, 1.0, "")
    if kind == "normalize_scaled":
        return "vector", (0.0, 1.0, "layer norm (eps > 0) of a quotient unbounded below")
    d = stage.dim
    new_low = _normalized(low, d, eps)
    return "vector", (new_low, _normalized(high, d, eps),
                      "" if new_low > 0 else f"layer norm (eps > 0) of a vector that may be 0 ({why})")


def _normalized(t: float, d: int, eps: float) -> float:
    """``t/√(t² + d·eps)`` (1 for t = ∞)."""
    if math.isinf(t):
        return 1.0
    return t / math.sqrt(t * t + d * eps)


def stage_norm_bounds(lowered) -> list[NormBounds]:
    """:class:`NormBounds` of every stage's output vector ``y`` of a
    :class:`~qcompile.qir.program.QuantumIR` (stages in order: later ones read the glue of
    earlier ones)."""
    vectors: dict = {}
    rows: dict = {}
    out = []
    for st in lowered.stages:
        low, high, why = _NormBounder(lowered, vectors, rows).form(st.form)
        if st.rows == "all":
            low, high = math.sqrt(st.seq) * low, math.sqrt(st.seq) * high
        high = min(high, float(st.alpha))
        bounds = NormBounds(float(low), float(high), "" if low > 0 else why)
        out.append(bounds)
        if st.glue is not None:
            where, value = _glue_bounds(st.glue, st, (bounds.low, bounds.high, bounds.reason))
            (vectors if where == "vector" else rows)[st.glue.produces] = value
    return out


@dataclass(frozen=True)
class SuccessBounds:
    """Certified bounds on a stage's success probability ``p = ‖y‖²/α²``: ``low ≤ p ≤ high``
    for every admissible input (``reason``: why ``low`` is 0)."""

    low: float
    high: float
    reason: str = ""


#: bounds computed per quantum IR object (kept alive with it; a run asks once per input)
_BOUNDS_CACHE: dict[int, tuple] = {}


def success_bounds(lowered) -> list[SuccessBounds]:
    """:class:`SuccessBounds` of every stage of a quantum IR: ``((ℓ/α)², min(1, (h/α)²))``
    with the :class:`NormBounds` of :func:`stage_norm_bounds` (cached per IR object)."""
    hit = _BOUNDS_CACHE.get(id(lowered))
    if hit is not None and hit[0] is lowered:
        return list(hit[1])
    out = []
    for st, nb in zip(lowered.stages, stage_norm_bounds(lowered)):
        try:
            a = float(st.alpha)
        except OverflowError:       # an abstract LLM-scale alpha (e^(10^5)): p below every float
            a = math.inf
        low = min(1.0, (nb.low / a) ** 2) if math.isfinite(a) else 0.0
        high = min(1.0, (nb.high / a) ** 2) if math.isfinite(a) and math.isfinite(nb.high) else 1.0
        out.append(SuccessBounds(low, high, nb.reason if low > 0 or math.isfinite(a) else "alpha overflows"))
    if len(_BOUNDS_CACHE) > 256:
        _BOUNDS_CACHE.clear()
    _BOUNDS_CACHE[id(lowered)] = (lowered, tuple(out))
    return out


# ---- per-run figures ------------------------------------------------------------------------


def shots_for_precision(p_run: float, precision: float, response=None, p: float | None = None) -> float:
    """Shots of the stage circuit for an RMS error ≤ ``precision``·‖y‖ on every ``|y_k|``
    (module docstring): ``⌈1/(p ε²)⌉``, or ``⌈κ²/(p_run ε²)⌉`` for an amplified stage
    (``response``, :class:`~qcompile.quantum.amplify.Response`, and the stage's own ``p``
    give κ); inf when ``p_run`` is 0."""
    if not precision > 0:
        from qcompile.errors import QcompileError

        raise QcompileError(f"the precision must be positive, got {precision!r}")
    if p_run <= 0:
        return math.inf
    kappa = 1.0
    if response is not None and p is not None and p > 0:
        x = math.sqrt(p)
        g, dg = float(response.amplitude(x)), float(response.slope(x))
        r = min(1.0, abs(g))
        kappa = 1.0 + math.sqrt(max(0.0, 1.0 - r * r)) * g / (x * dg) if dg > 0 else math.inf
    return float(math.ceil(kappa * kappa / (p_run * precision * precision)))


@dataclass
class StageSuccess:
    """One stage's success figures (module docstring).  ``p``: ‖y‖²/α² for the run's
    input (None without a run); ``p_run``: the circuit's post-selection probability
    (``p`` unless amplified); ``p_low``/``p_high``: certified bounds of ``p``;
    ``p_run_low``: the guaranteed ``p_run`` (the target of an amplified stage when
    ``p ≥`` its design bound, else ``p_low``); ``queries``: calls of U and U† per circuit
    run; ``repetitions``: ``1/p_run``; ``shots``: for ``precision``."""

    index: int
    name: str
    alpha: float
    p_low: float
    p_high: float
    reason: str
    queries: int
    p_run_low: float
    p: float | None = None
    p_run: float | None = None
    repetitions: float | None = None
    shots: float | None = None
    precision: float = DEFAULT_PRECISION
    amplified: dict | None = None
    bound_holds: bool | None = None
    target_met: bool | None = None

    def to_json(self) -> dict:
        """JSON-ready (infinities as None)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def success_report(program, run=None, precision: float = DEFAULT_PRECISION) -> list[StageSuccess]:
    """:class:`StageSuccess` of every stage circuit of ``program`` in run order (a
    :class:`~qcompile.program.Program` or a stacked program); with ``run`` (its
    :class:`~qcompile.program.RunResult`), the exact figures of that input, with its
    repetitions and shots; without, the data-independent ones from the bounds."""
    from qcompile.quantum.amplify import stage_response

    rows: list[StageSuccess] = []
    for _, _, prog in program.pieces():
        for sc, sb in zip(prog.stages, success_bounds(prog.lowered)):
            response = stage_response(sc)
            amp = sc.info.get("amplification")
            queries = 1 if response is None else int(sum(response.calls.values()))
            # certified: the target when the design bound is; else g(√p_low)² (g increasing)
            p_run_low = sb.low if response is None else (amp["target"] if not amp["assumed"] else
                                                         float(response.success(sb.low)))
            row = StageSuccess(len(rows), sc.name, float(sc.alpha), sb.low, sb.high, sb.reason, queries,
                               float(p_run_low), precision=precision,
                               amplified=None if amp is None else {k: v for k, v in amp.items() if k != "response"})
            rows.append(row)
    if run is not None:
        if len(run.stages) != len(rows):
            from qcompile.errors import InternalError

            raise InternalError(f"a run of {len(run.stages)} stages for a program of {len(rows)}")
        for row, sc, res in zip(rows, program.stages, run.stages):
            response = stage_response(sc)
            p = float(res.success_probability)
            p_run = p if response is None else float(response.success(p))
            row.p, row.p_run = p, p_run
            row.repetitions = 1.0 / p_run if p_run > 0 else math.inf
            row.shots = shots_for_precision(p_run, precision, response, p)
            # rounding of the statevector: a relative 1e-9 and an absolute 1e-15
            row.bound_holds = bool(row.p_low * (1 - 1e-9) - 1e-15 <= p <= row.p_high * (1 + 1e-9) + 1e-15)
            if response is not None:
                design = float(row.amplified["p_design"])
                row.target_met = bool(p_run >= row.amplified["target"] * (1 - 1e-9)) if p >= design * (1 - 1e-9) \
                    else None
    else:
        for row in rows:
            row.repetitions = 1.0 / row.p_run_low if row.p_run_low > 0 else math.inf
            response = stage_response(program.stages[row.index])
            row.shots = shots_for_precision(row.p_run_low, precision, None if response is None else response,
                                            row.p_low if row.p_low > 0 else None)
    return rows


def success_summary(rows: list[StageSuccess]) -> dict:
    """The smallest success probabilities and the largest repetitions over the stages
    (``--stats``, ``verify --json``)."""
    def smallest(key):
        vals = [getattr(r, key) for r in rows if getattr(r, key) is not None]
        return min(vals) if vals else None

    reps = [r.repetitions for r in rows if r.repetitions is not None]
    return {"min_p": smallest("p"), "min_p_run": smallest("p_run"), "min_p_low": smallest("p_low"),
            "min_p_run_low": smallest("p_run_low"),
            "max_repetitions": None if not reps or not math.isfinite(max(reps)) else max(reps),
            "bounds_hold": None if any(r.bound_holds is None for r in rows) else all(r.bound_holds for r in rows),
            "targets_met": all(r.target_met is not False for r in rows)}


def success_json(program, run=None, precision: float = DEFAULT_PRECISION) -> dict:
    """``{"precision", "stages": [...], "summary": {...}}`` for ``--stats`` and JSON reports."""
    rows = success_report(program, run, precision)
    return {"precision": precision, "stages": [r.to_json() for r in rows], "summary": success_summary(rows)}


def _fmt(v, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    return format(v, spec)


def success_table_rows(rows: list[StageSuccess]) -> tuple[list[str], list[list[str]]]:
    """(column titles, cells) of a success table for the CLI (``run``, ``verify``,
    ``compile --stats``): per stage p (exact), its certified lower bound, the circuit's
    post-selection probability, calls of U per circuit run, repetitions and shots."""
    head = ["stage", "p", "p lower bound", "p run", "p run ≥", "U calls", "repetitions",
            f"shots (ε={rows[0].precision:g})" if rows else "shots", "amplified"]
    cells = []
    for r in rows:
        amp = "-" if r.amplified is None else f"{r.amplified['method']} to {r.amplified['target']:g}"
        cells.append([r.name if r.index == 0 or len(rows) < 2 else f"{r.index}:{r.name}", _fmt(r.p),
                      _fmt(r.p_low), _fmt(r.p_run), _fmt(r.p_run_low), str(r.queries), _fmt(r.repetitions),
                      _fmt(r.shots, ".3g"), amp])
    return head, cells
