"""Block checks of the lowering's own constructions and of whole stage circuits."""

from pathlib import Path

import numpy as np
import pytest

import qcompile
from qcompile.lowering.circuits import parameter_name, rank_one_block
from qcompile.qir.evaluate import run_numeric
from qcompile.program import random_input
from qcompile.quantum import state_preparation
from qcompile.simulate import unitary

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n_u,n_w", [(4, 4), (4, 2), (2, 4)])
def test_rank_one_block_encodes_u_w_transpose(seed, n_u, n_w):
    rng = np.random.default_rng(seed)
    u_vec, w = rng.normal(size=n_u), rng.normal(size=n_w)
    loader = state_preparation(n_u, bound=3.0, name="u")
    u_vec *= 2.0 / np.linalg.norm(u_vec)
    blk = rank_one_block(loader, w)
    values = loader.bind(u_vec)
    u = unitary(blk.circuit, values=values)
    n = len(blk.system_qubits)
    idx = np.zeros(2**n, dtype=int)
    for k, q in enumerate(blk.system_qubits):
        idx |= ((np.arange(2**n) >> k) & 1) << q
    block = blk.alpha * u[np.ix_(idx, idx)]
    want = np.zeros((2**n, 2**n))
    want[:n_u, :n_w] = np.outer(u_vec, w)
    assert np.abs(block - want).max() < 1e-9
    assert blk.alpha == pytest.approx(3.0 * np.linalg.norm(w))


def test_parameter_names_are_identifiers():
    assert parameter_name("x") == "x"
    assert parameter_name("ln%15") == "ln15"
    assert parameter_name("%5") == "in5"
    assert parameter_name("softmax%10") == "softmax10"


@pytest.mark.parametrize("backend", ["qiskit", "cirq"])
def test_one_program_many_inputs_matches_the_quantum_ir(backend):
    prog = qcompile.compile(ROOT / "examples" / "attention_head.qtf", tolerance=1e-2)
    rng = np.random.default_rng(4)
    for _ in range(2 if backend == "cirq" else 3):
        x = random_input(prog.model, rng)
        outs = run_numeric(prog.lowered, prog.matrices(x), lambda nl, v: nl.polynomial(v))
        run = prog.run(x, backend=backend)
        for k, st in enumerate(run.stages):
            assert np.max(np.abs(st.output - outs[k])) < 1e-9


def test_stage_alpha_matches_the_quantum_ir():
    prog = qcompile.compile(ROOT / "examples" / "mlp.qtf", tolerance=1e-2)
    for sc, st in zip(prog.stages, prog.lowered.stages):
        assert sc.alpha == pytest.approx(st.alpha, rel=1e-9)


def test_gpt2_small_is_refused_before_building():
    with pytest.raises(qcompile.SizeError, match="qcompile resources"):
        qcompile.compile(ROOT / "examples" / "gpt2_small.qtf")


def test_one_pass_manager_dumps_every_level(tmp_path):
    from qcompile.passes.dumps import DumpDir

    qcompile.compile(ROOT / "examples" / "linear.qtf", callbacks=[DumpDir(tmp_path)])
    names = sorted(p.name for p in tmp_path.iterdir())
    quantum = ["01-lower-to-quantum.ir", "02-fold-linear-chains.ir", "03-fold-constants.ir",
               "04-select-polynomials.ir", "05-build-circuits.ir"]
    assert all(n in names for n in quantum)
    assert (tmp_path / "01-lower-to-quantum.ir").read_text().startswith("quantum-ir linear")
    assert "stage-circuit stage0" in (tmp_path / "05-build-circuits.ir").read_text()
    assert any(n.endswith("cancel-inverses.ir") for n in names)   # -O1 circuit passes follow


@pytest.mark.parametrize("example", ["attention_head", "attention", "attention_gaussian"])
def test_folded_norm_flag_saves_its_qubit_and_keeps_the_output(example, monkeypatch):
    """With the input's norm flag folded into the score diagonal's LCU (folded_flags), the
    score stage has one qubit fewer, no more CX, a parameter vector bound from the input's
    norm, and the program computes the same output for random inputs (both programs
    encode the same block with the same alpha and polynomial)."""
    import qcompile.lowering.circuits as lc

    path = ROOT / "examples" / f"{example}.qtf"
    folded = qcompile.compile(path)
    monkeypatch.setattr(lc, "folded_flags", lambda branches: None)
    kept = qcompile.compile(path)
    a, b = folded.stats()["per_stage"][0], kept.stats()["per_stage"][0]
    assert a["qubits"] == b["qubits"] - 1 and a["cx"] <= b["cx"]
    assert any("_lcu" in name for name in folded.stages[0].circuit.parameters)
    rng = np.random.default_rng(5)
    for _ in range(3):
        x = random_input(folded.model, rng)
        y, z = folded.run(x).output, kept.run(x).output
        assert np.max(np.abs(y - z)) <= 1e-9 * max(1.0, np.max(np.abs(z)))
