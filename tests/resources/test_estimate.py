"""Resource estimation vs the compiled circuits, degree bounds, abstract lowering, CLI.

The estimator never builds a stage's gates (in compiled mode it synthesises each distinct
dense weight block once); these tests build the circuits (at -O0, -O1 without circuit
passes, and -O2) and compare: -O0 exactly, at every example and several sizes; -O2 as a
bound.
"""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import qcompile
from qcompile.circuit.metrics import cx_count
from qcompile.errors import QcompileError
from qcompile.qir import nodes as F
from qcompile.resources.api import estimate, stage_resources
from qcompile.resources.counts import BlockCost
from qcompile.resources.estimate import Estimator

from example_registry import COMPILABLE as _ALL_COMPILABLE, ESTIMATED as LLM, EXAMPLES

#: the single-program examples (a stack's runs are counted by test_stacked_small_model_counts_runs)
COMPILABLE = [n for n in _ALL_COMPILABLE if not EXAMPLES[n].stacked]


def _folded_unoptimised(ex, method="dilation"):
    """The program of the default (-O1) quantum IR with no circuit pass: the circuits
    exactly as built from the folded IR."""
    from qcompile.model import load
    from qcompile.passes.build_circuits import BuildCircuits
    from qcompile.passes.manager import PassManager
    from qcompile.passes.pipelines import quantum_pipeline

    model = load(f"examples/{ex}.qtf")
    tol = EXAMPLES[ex].tolerance
    built = PassManager(quantum_pipeline(model.output.token, tol, method, 1) + [BuildCircuits()]).run(model)
    return built


@pytest.fixture(scope="module")
def programs():
    """Every compilable example: folded quantum IR, circuits as built (no circuit pass)."""
    return {ex: _folded_unoptimised(ex) for ex in COMPILABLE}


def _synthesised(f):
    from qcompile.quantum.block_encoding import block_encoding

    return BlockCost.of(block_encoding(f.matrix))


@pytest.mark.parametrize("ex", COMPILABLE)
def test_walk_is_exact_given_the_dense_blocks(programs, ex):
    """With each dense block's own synthesised counts, every stage's qubits, CX and gates
    by name equal the compiled -O0 circuit's exactly (the walk itself adds no error)."""
    prog = programs[ex]
    est = Estimator(prog.lowered, dense_cost=_synthesised)
    for st, sc in zip(prog.lowered.stages, prog.stages, strict=True):
        r = stage_resources(est, st, EXAMPLES[ex].tolerance)
        assert r.qubits == sc.circuit.num_qubits
        assert r.output_qubits == len(sc.output)
        assert r.gates == sc.circuit.count_ops()
        assert r.cx == cx_count(sc.circuit)


@pytest.mark.parametrize("ex", COMPILABLE)
def test_O1_estimate_counts_the_folded_circuits_as_built(programs, ex):
    """The -O1 report (dense blocks synthesised, no stage gate built) counts the folded
    quantum IR's circuits as built, before any circuit pass: every stage's qubits, CX and
    gates by name equal them; log10 alpha equals the program's.  (The -O1 circuit passes
    then only lower these, so the report calls them upper bounds.)"""
    prog = programs[ex]
    rep = estimate(f"examples/{ex}.qtf", mode="compiled", optimization=1, tolerance=EXAMPLES[ex].tolerance)
    assert len(rep.stages) == len(prog.stages)
    for r, sc, st in zip(rep.stages, prog.stages, prog.lowered.stages):
        assert r.qubits == sc.circuit.num_qubits
        assert r.cx == cx_count(sc.circuit)
        assert r.gates == sc.circuit.count_ops()
        assert r.log10_alpha == pytest.approx(math.log10(st.alpha), abs=1e-9)
    assert rep.exactness["cx"] == rep.exactness["gates"] == rep.exactness["qubits"] == "upper bound"


#: protein_tiny's unfolded exp argument needs a looser tolerance (degree limit at 1e-3)
O0_TOLERANCE = {"protein_tiny": 1e-2}


def _assert_equal_to_program(rep, prog):
    """Every stage of the report has the program's stage circuit's qubits, output qubits,
    CX and count of every gate by name, and the report says these figures are exact."""
    for r, sc in zip(rep.stages, prog.stages, strict=True):
        assert r.qubits == sc.circuit.num_qubits
        assert r.output_qubits == len(sc.output)
        assert r.cx == cx_count(sc.circuit)
        assert r.gates == sc.circuit.count_ops()
    assert rep.exactness["qubits"] == rep.exactness["cx"] == rep.exactness["gates"] == "exact"


@pytest.mark.parametrize("ex", COMPILABLE)
def test_O0_estimate_against_the_O0_program(ex):
    """At -O0 (unfolded quantum IR, no circuit pass) the report itself — dense blocks
    synthesised, no stage gate built — has every stage's qubits, CX and count of every gate
    by name of the compiled -O0 circuits exactly, and says so."""
    tol = O0_TOLERANCE.get(ex, EXAMPLES[ex].tolerance)
    prog = qcompile.compile(f"examples/{ex}.qtf", optimization=0, tolerance=tol)
    rep = estimate(f"examples/{ex}.qtf", mode="compiled", optimization=0, tolerance=tol)
    _assert_equal_to_program(rep, prog)


#: (example, dims override, method, tolerance): sizes other than the shipped ones, up to 16
#: qubits per stage — square and padded rectangular weights, narrow and wide hidden
#: layers, shorter sequences, one-wide heads, a ReLU (minimax polynomial), and FABLE
SIZES = [
    ("linear", {"d_in": 2, "d_out": 2}, "dilation", 1e-3),
    ("linear", {"d_in": 8, "d_out": 8}, "dilation", 1e-3),
    ("linear", {"d_in": 16, "d_out": 8}, "dilation", 1e-3),
    ("linear", {"seq": 16}, "dilation", 1e-3),
    ("linear", {"d_in": 8, "d_out": 8}, "fable", 1e-3),
    ("mlp", {"d_ff": 4}, "dilation", 1e-3),
    ("mlp", {"d_model": 8}, "dilation", 1e-3),
    ("mlp", {"seq": 2}, "dilation", 1e-3),
    ("mlp", {"seq": 2, "d_ff": 4}, "fable", 1e-3),
    ("mlp_relu", {"d_ff": 4}, "dilation", 1e-2),
    ("attention_head", {"seq": 2, "d_model": 2}, "dilation", 1e-3),
    ("attention_head", {"d_model": 2}, "dilation", 1e-3),
    ("attention_head", {"seq": 2, "d_model": 2}, "fable", 1e-3),
    ("attention_head", {"seq": 2}, "dilation", 1e-3),   # keys narrower than features
    ("mlp", {"d_ff": 2}, "dilation", 1e-3),
    ("attention", {"seq": 2, "d_model": 2}, "dilation", 1e-3),
    ("encoder_block", {"seq": 2, "d_model": 2}, "dilation", 1e-3),
]


@pytest.mark.parametrize("ex,dims,method,tol", SIZES,
                         ids=[f"{e}-{'-'.join(f'{k}{v}' for k, v in d.items())}-{m}" for e, d, m, _ in SIZES])
def test_O0_estimate_is_exact_at_other_sizes(ex, dims, method, tol):
    """``estimate(dims=…)`` at -O0 against ``compile(load(dims=…), optimization=0)``: the
    override reaches the estimate (same dims, same stages) and every stage's qubits, CX
    and count of every gate by name are the compiled circuits' exactly (the report says
    "exact"), with the dilation and with FABLE."""
    model = qcompile.load(f"examples/{ex}.qtf", dims=dims)
    prog = qcompile.compile(model, optimization=0, tolerance=tol, method=method)
    rep = estimate(f"examples/{ex}.qtf", dims=dims, mode="compiled", optimization=0, tolerance=tol,
                   method=method)
    assert rep.dims == dict(model.dims) and all(rep.dims[k] == v for k, v in dims.items())
    assert max(sc.circuit.num_qubits for sc in prog.stages) <= 16
    _assert_equal_to_program(rep, prog)


def test_dense_blocks_are_synthesised_once_per_matrix(monkeypatch):
    """In compiled mode each distinct dense matrix is synthesised once (later estimates,
    and repeats of a matrix, hit the cache) and costed as its block's own circuit; an
    abstract matrix gets the generic dilation count and abstract mode synthesises
    nothing (its counts stay upper bounds)."""
    from qcompile.qir.linalg import AbstractMatrix
    from qcompile.resources import estimate as E
    from qcompile.resources.counts import block_encoding_cost

    B = importlib.import_module("qcompile.quantum.block_encoding")  # the package exports the function
    calls = []
    real = B.block_encoding

    def counting(matrix, *args, **kwargs):
        calls.append(np.asarray(matrix).tobytes())
        return real(matrix, *args, **kwargs)

    monkeypatch.setattr(B, "block_encoding", counting)
    monkeypatch.setattr(E, "_SYNTHESISED", {})
    w = np.random.default_rng(3).normal(size=(4, 3))
    first = E.synthesised_dense_cost(F.Dense(w, "dilation"))
    assert first == BlockCost.of(real(w)) and first.exact and first.phase is not None
    assert E.synthesised_dense_cost(F.Dense(w.copy(), "dilation")) == first  # equal entries: cached
    assert len(calls) == 1
    E.synthesised_dense_cost(F.Dense(w[:, :2], "dilation"))  # another matrix: synthesised
    assert len(calls) == 2
    abstract = F.Dense(AbstractMatrix((4, 3), 1.0, 1.0), "dilation")
    assert E.synthesised_dense_cost(abstract) == block_encoding_cost((4, 3))
    assert len(calls) == 2

    calls.clear()
    compiled = estimate("examples/attention_head.qtf", mode="compiled", optimization=0)
    assert 1 <= len(calls) == len(set(calls))  # each distinct matrix once
    calls.clear()
    assert estimate("examples/attention_head.qtf", mode="compiled", optimization=0).cx == compiled.cx
    assert calls == []

    rep = estimate("examples/attention_head.qtf", mode="abstract", optimization=0)
    assert calls == []
    assert rep.exactness["cx"] == rep.exactness["gates"] == "upper bound"
    assert rep.cx >= compiled.cx and [s.qubits for s in rep.stages] == [s.qubits for s in compiled.stages]


def test_ir_fusion_lowers_alpha_and_cx():
    """The IR-level fusion passes (-O1 vs -O0 quantum IR) lower alpha and CX on attention."""
    o0 = estimate("examples/attention_head.qtf", mode="compiled", optimization=0)
    o1 = estimate("examples/attention_head.qtf", mode="compiled", optimization=1)
    assert o1.cx < o0.cx
    assert o1.stages[0].log10_alpha < o0.stages[0].log10_alpha


@pytest.mark.parametrize("ex", ["linear", "mlp"])
def test_fable_counts_are_exact_end_to_end(ex):
    """With FABLE every count is a formula of the quantum IR: qubits, CX and every gate
    by name equal the compiled -O0 circuit's (the tolerance keeps degrees small)."""
    prog = _folded_unoptimised(ex, method="fable")
    rep = estimate(f"examples/{ex}.qtf", method="fable", mode="compiled", optimization=1)
    for r, sc in zip(rep.stages, prog.stages, strict=True):
        assert r.qubits == sc.circuit.num_qubits
        assert r.gates == sc.circuit.count_ops()
        assert r.cx == cx_count(sc.circuit)


@pytest.mark.parametrize("ex", COMPILABLE)
def test_O2_never_exceeds_the_estimate(ex, compiled_with_dumps):
    """-O2 (fusion, KAK, ancilla reuse) only lowers CX and qubits below the estimate
    (the -O2 programs are the session's, compiled once for this and the dump tests: -O2
    takes ~30 s on the encoder examples)."""
    prog = compiled_with_dumps(ex, 2).program
    rep = estimate(f"examples/{ex}.qtf", optimization=2, mode="compiled", tolerance=EXAMPLES[ex].tolerance)
    for r, sc in zip(rep.stages, prog.stages, strict=True):
        assert sc.circuit.num_qubits <= r.qubits
        assert cx_count(sc.circuit) <= r.cx
    assert rep.exactness["cx"] == "upper bound"


@pytest.mark.parametrize("function,a,tol", [("exp", 8.0, 1e-3), ("exp", 20.0, 1e-4), ("exp", 2.0, 1e-8),
                                            ("gelu", 5.0, 1e-3), ("gelu", 30.0, 1e-4), ("relu", 1.5, 1e-2),
                                            ("relu", 3.0, 1e-3)])
def test_degree_estimate_bounds_the_chosen_degree(function, a, tol):
    """The coefficient-tail degree is never below the compiler's interpolant degree (up
    to one parity step; ReLU's minimax degree is a closed form: equal) and its QSVT
    scale agrees with the chosen polynomial's."""
    from qcompile.lowering.polynomials import choose_polynomial
    from qcompile.resources.degrees import estimate_polynomial

    est = estimate_polynomial(function, a, 16, tol)
    chosen = choose_polynomial(function, a, 16, tol, max_degree=4000)
    assert est.degree + 1 >= chosen.degree
    if function == "relu":
        assert est.degree == chosen.degree and chosen.error <= est.error
    assert est.error <= tol
    assert est.alpha == pytest.approx(chosen.alpha, rel=max(10 * tol, 1e-6))


def test_exp_degree_at_llm_scale_is_finite():
    """exp(a t) with a = 10⁵ (e^a overflows) still gets a degree and a log alpha (its speed
    is benchmarks/'s business, not a timed assertion)."""
    from qcompile.resources.degrees import estimate_polynomial

    est = estimate_polynomial("exp", 1e5, 4096, 1e-3)
    assert est.degree > 1e5 and math.isinf(est.alpha) and est.log_alpha > 1e5


@pytest.mark.parametrize("ex", COMPILABLE)
def test_abstract_lowering_has_the_compiled_structure(ex):
    """Shapes-and-norms lowering: the same stages and the same qubits per stage as the
    compiled quantum IR for generic weights (qubits depend on neither the weights' values
    nor the degrees).  A weight block that is exactly zero lets the compiled lowering drop
    its terms, which the abstract one cannot see: then the abstract stage is at least as
    wide.  (sequon's trained key bias is exactly zero: softmax is invariant to it, so its
    gradient is zero and it keeps PyTorch's zero initialisation.)"""
    import dataclasses

    tol = EXAMPLES[ex].tolerance
    model = qcompile.load(f"examples/{ex}.qtf")
    abstract = estimate(model, mode="abstract", tolerance=tol)
    compiled = estimate(model, mode="compiled", tolerance=tol)
    assert all(a.qubits >= c.qubits for a, c in zip(abstract.stages, compiled.stages, strict=True))
    generic = dataclasses.replace(model, weights={k: np.where(v == 0, 1e-3, v) for k, v in model.weights.items()})
    compiled = estimate(generic, mode="compiled", tolerance=tol)
    assert [s.qubits for s in abstract.stages] == [s.qubits for s in compiled.stages]
    assert [sorted(s.degrees) for s in abstract.stages] == [sorted(s.degrees) for s in compiled.stages]


@pytest.mark.parametrize("ex", ["linear", "attention_head", "encoder_block"])
def test_abstract_alpha_bounds_the_true_alpha_with_measured_norms(ex):
    """With the weights' measured norms, every abstract alpha of a stage without a
    nonlinearity is at least the compiled one (norms of products are bounded above)."""
    from qcompile.model import load
    from qcompile.resources.norms import measure_norms

    model = load(f"examples/{ex}.qtf")
    norms = measure_norms({k: model.weights[k] for k in model.ir.weight_shapes()})
    abstract = estimate(f"examples/{ex}.qtf", mode="abstract", norms=norms)
    compiled = qcompile.compile(f"examples/{ex}.qtf")
    checked = 0
    for r, st in zip(abstract.stages, compiled.lowered.stages):
        if any(isinstance(s, F.Nonlinear) for s in st.form.sources()):
            continue
        assert r.log10_alpha >= math.log10(st.alpha) - 1e-9
        checked += 1
    assert checked >= 1


def test_norms_enter_alpha_and_bad_norms_are_refused():
    """Doubling a weight's spectral norm raises alpha; unknown names and bad values are
    plain errors."""
    base = estimate("examples/linear.qtf", mode="abstract")
    name = "fc1.weight"
    doubled = estimate("examples/linear.qtf", mode="abstract", norms={name: {"spectral": 10.0}})
    assert doubled.stages[0].log10_alpha > base.stages[0].log10_alpha
    with pytest.raises(QcompileError, match="does not have"):
        estimate("examples/linear.qtf", mode="abstract", norms={"nope.weight": {"spectral": 1.0}})
    with pytest.raises(QcompileError, match="finite number"):
        estimate("examples/linear.qtf", mode="abstract", norms={name: {"spectral": -1}})


@pytest.mark.parametrize("config", LLM)
def test_llm_configurations_estimate(config):
    """The shipped LLM configurations estimate in the abstract mode: one layer's stages,
    runs = seq·(layers − 1) + 1, an attention stage (exp, or Gaussian attention's gaussian)."""
    rep = estimate(f"examples/{config}.qtf")
    d = rep.to_dict()
    assert d["mode"] == "abstract" and d["qubits"] == max(s["qubits"] for s in d["stages"])
    assert rep.runs == rep.dims["seq"] * (rep.dims["layers"] - 1) + 1
    assert any(k.endswith((" exp", " gaussian")) for k in d["degrees"])
    json.dumps(d)  # JSON-ready


def test_dims_override_changes_the_size():
    """--set seq=…: a smaller context needs no more qubits and fewer CX in the attention
    stage (its key blocks are padded to the wider of seq and d_model, so the qubits may
    stay); an unknown dim is refused."""
    small = estimate("examples/gpt2_small.qtf", dims={"seq": 64})
    full = estimate("examples/gpt2_small.qtf")
    softmax = lambda r: next(s for s in r.stages if any(k.endswith("exp") for k in s.degrees))
    assert small.qubits <= full.qubits and softmax(small).cx < softmax(full).cx
    with pytest.raises(QcompileError, match="no dim named"):
        estimate("examples/gpt2_small.qtf", dims={"d_modle": 64})


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "qcompile.cli", *args], capture_output=True, text=True)


def test_cli_resources_json_and_errors(tmp_path):
    """The CLI prints a table and writes JSON with qubits and cx at the top level; bad
    flags are one plain sentence, exit 2, no traceback."""
    out = tmp_path / "r.json"
    res = _cli("resources", "examples/mlp.qtf", "--json", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    api = estimate("examples/mlp.qtf")
    widest = max(s.circuit.num_qubits for s in qcompile.compile("examples/mlp.qtf", optimization=1).stages)
    assert data["qubits"] == api.qubits == widest and data["cx"] == api.cx
    assert "stage" in res.stdout
    bad = _cli("resources", "examples/mlp.qtf", "--set", "d_model=four")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--set" in bad.stderr
    missing = _cli("resources", "examples/mlp.qtf", "--norms", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "norms file" in missing.stderr


def test_measure_norms_matches_numpy():
    """measure_norms reports the spectral and Frobenius norms NumPy computes."""
    from qcompile.resources.norms import measure_norms

    w = np.random.default_rng(0).normal(size=(5, 3))
    n = measure_norms({"a.weight": w, "a.bias": np.ones(5)})
    assert n["a.weight"]["spectral"] == pytest.approx(np.linalg.norm(w, 2))
    assert n["a.weight"]["frobenius"] == pytest.approx(np.linalg.norm(w))
    assert n["a.bias"] == {"norm": pytest.approx(math.sqrt(5)), "max_abs": 1.0}


def test_shipped_lowered_gate_table_is_current():
    """The package's table of lowered multi-controlled gates was made by this Qiskit and
    this lowering source (else regenerate it: ``qcompile.resources.api.write_shipped_table()``), and its entries
    are what the lowering gives now."""
    import json
    import os

    import qcompile.resources.gates as E
    from qcompile.circuit.decompose import lower_multicontrolled
    from qcompile.circuit.ir import Circuit, Gate

    with open(os.path.join(os.path.dirname(E.__file__), E.SHIPPED), encoding="utf-8") as fh:
        data = json.load(fh)
    assert (data["qiskit"], data["decompose"]) == E.cache_key()
    checked = 0
    for key, counts in data["gates"].items():
        name, width = key.split("/")
        width = int(width)
        if width > 9:
            continue
        c = Circuit(width)
        c.add_gate(Gate(name, tuple(range(width)), (0.3,) if name != "mcx" and name != "mcz" else ()))
        assert sorted(lower_multicontrolled(c).count_ops().items()) == [tuple(x) for x in counts], key
        checked += 1
    assert checked >= 10


def test_auto_mode_falls_back_when_the_compiler_cannot_calibrate():
    """mlp_relu at 1e-6 needs a ReLU degree beyond the compiler's limit (10⁵; ≈ 10⁶): auto
    mode still estimates it (abstract lowering) and says why; compiled mode refuses."""
    rep = estimate("examples/mlp_relu.qtf", tolerance=1e-6)
    assert rep.mode == "abstract" and "degree" in rep.note
    assert any("relu" in k for k in rep.to_dict()["degrees"])
    with pytest.raises(QcompileError, match="degree"):
        estimate("examples/mlp_relu.qtf", mode="compiled", tolerance=1e-6)


def test_stacked_small_model_counts_runs():
    """encoder_stack (2 layers, seq 4) for its last token: one layer's stages, 5 runs."""
    rep = estimate("examples/encoder_stack.qtf", token="last")
    assert rep.layers == 2 and rep.runs == 4 * 1 + 1


def test_qk_norm_bounds_the_scores_whatever_the_input():
    """At GPT-2 small's dimensions, QK-norm takes the input's norm out of the scores' alpha:
    the largest log10 alpha falls by more than 10x (README's table) and the exp degree with it."""
    plain = estimate("examples/gpt2_small.qtf")
    qk = estimate("examples/gpt2_small_qknorm.qtf")
    top = lambda r: max(s.log10_alpha for s in r.stages)          # noqa: E731
    exp_degree = lambda r: max(v for s in r.stages for k, v in s.degrees.items() if k.endswith("exp"))  # noqa: E731
    assert 10 * top(qk) < top(plain)
    assert 10 * exp_degree(qk) < exp_degree(plain)
