"""The CLI on a stacked model: one QASM file per stage run, the program JSON says which
segment and token each is, and the bound last file re-imported gives the model output."""

import json
from pathlib import Path

import numpy as np

import qcompile
from qcompile.cli import main

HERE = Path(__file__).resolve().parent
TINY = str(HERE / "stack_tiny.qtf")


def test_compile_writes_every_run_and_describes_segments(tmp_path, capsys):
    code = main([TINY, "-o", str(tmp_path / "s.qasm"), "--stats", str(tmp_path / "s.json")])
    assert code == 0, capsys.readouterr().err
    desc = json.loads((tmp_path / "s.program.json").read_text())
    stats = json.loads((tmp_path / "s.json").read_text())
    assert desc["runs"] == 3 and [s["tokens"] for s in desc["segments"]] == [[0, 1], [1]]
    files = [s["file"] for s in desc["stages"]]
    assert len(files) == 12 == stats["stages"] and all(Path(f).exists() for f in files)
    assert [(s["segment"], s["token"]) for s in desc["stages"]][::4] == [(0, 0), (0, 1), (1, 1)]
    second = desc["stages"][8]
    assert any("segment 0" in ld["from"] for ld in second["loaders"])
    assert "segment 1 of 2" in Path(second["file"]).read_text().splitlines()[1]


def test_bound_qasm2_of_the_last_stage_gives_the_output(tmp_path, capsys):
    """With --bind every stage is bound (earlier runs simulated ideally); the last file,
    loaded by Qiskit, holds the model output as alpha × post-selected amplitudes."""
    import qiskit.qasm2
    from qiskit.quantum_info import Statevector

    model = qcompile.load(TINY)
    x = np.random.default_rng(6).normal(size=(2, 2))
    x *= 1.5 / np.linalg.norm(x)
    np.save(tmp_path / "x.npy", x)
    code = main([TINY, "-o", str(tmp_path / "b.qasm"), "--qasm", "2", "--bind", str(tmp_path / "x.npy")])
    assert code == 0, capsys.readouterr().err
    desc = json.loads((tmp_path / "b.program.json").read_text())
    last = desc["stages"][-1]
    qc = qiskit.qasm2.loads(Path(last["file"]).read_text(),
                            custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    state = Statevector(qc).data
    out = last["output_qubits"]
    idx = [sum(((k >> i) & 1) << q for i, q in enumerate(out)) for k in range(2 ** len(out))]
    y = last["alpha"] * state[idx][: last["output_length"]]
    prog = qcompile.compile(TINY)
    _, sur = prog.references(x)
    assert np.max(np.abs(y - sur)) <= 1e-8
