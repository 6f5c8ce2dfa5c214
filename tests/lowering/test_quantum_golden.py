"""Golden files of the quantum IR (``qcompile ir --quantum``) of the small examples.

The printed quantum IR after lowering, the IR-level fusion and polynomial selection is
the oracle for the lowering and the fold passes, as the printed tensor IR is for the front
end.  After an intended change, regenerate with
``QCOMPILE_UPDATE_GOLDEN=1 python -m pytest -q tests/lowering/test_quantum_golden.py``
and review ``git diff tests/lowering/golden``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from example_registry import COMPILABLE, EXAMPLES, path
from qcompile.compiler import lower_quantum

GOLDEN = Path(__file__).resolve().parent / "golden"
#: single-program examples (a stacked example's IR is its segments', printed the same way)
NAMES = [n for n in COMPILABLE if not EXAMPLES[n].stacked]


@pytest.mark.parametrize("level", [0, 1])
@pytest.mark.parametrize("name", NAMES)
def test_golden_quantum_ir(name, level):
    if name == "protein_tiny" and level == 0:
        pytest.skip("protein_tiny at -O0 needs an exp degree beyond the limit (README)")
    text = lower_quantum(path(name), tolerance=EXAMPLES[name].tolerance, optimization=level).to_text()
    golden = GOLDEN / f"{name}.O{level}.qir"
    if os.environ.get("QCOMPILE_UPDATE_GOLDEN", "") not in ("", "0"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing golden file {golden.name}; run with QCOMPILE_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")
