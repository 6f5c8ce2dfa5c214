"""Shared helpers of the front-end tests (a uniquely named module, not conftest.py, so
that other test folders' conftest files cannot shadow it).

Golden IR files live in ``tests/frontend/golden/``.  To regenerate them after an
intended change of the printed IR, run::

    QCOMPILE_UPDATE_GOLDEN=1 python -m pytest -q tests/frontend

and review the diff (``git diff tests/frontend/golden``) before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from example_registry import ESTIMATED, SMALL
from qcompile.lowering.inputs import scale_to_bound

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"

#: the LLM-sized configurations (resource estimation): only built, never evaluated
LARGE_EXAMPLES = sorted(ESTIMATED)
#: every other example (seq <= 8, d_model <= 8)
SMALL_EXAMPLES = sorted(SMALL)


def update_golden() -> bool:
    """True when golden files should be rewritten instead of compared."""
    return os.environ.get("QCOMPILE_UPDATE_GOLDEN", "") not in ("", "0")


def admissible_input(model, seed: int = 0, fraction: float = 0.9):
    """A random input of ``model`` inside its declared bound (or random token ids/text)."""
    rng = np.random.default_rng(seed)
    spec = model.inputs[0]
    if spec.kind == "float":
        return scale_to_bound(spec, rng.normal(size=spec.shape), fraction)
    if spec.kind == "text":
        return "".join(rng.choice(list(spec.alphabet), size=spec.shape[0]))
    return rng.integers(0, spec.vocab, size=spec.shape)
