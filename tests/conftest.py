"""Session-wide fixtures: each example compiled once per optimisation level, with dumps.

This conftest also puts ``tests/`` on ``sys.path`` (pytest's rootdir-relative import), so
every test folder can ``import example_registry``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from example_registry import EXAMPLES, path


@dataclass
class Compiled:
    """An example compiled with every output callback: its dump folder, what
    ``PrintIRAfter("all")`` printed, and the ``TimePasses`` table."""

    program: object
    folder: Path
    printed: str
    timer: object


@pytest.fixture(scope="session")
def compiled_with_dumps(tmp_path_factory):
    """``get(name, level) -> Compiled``: the example compiled at its registry tolerance
    and optimisation ``level`` with ``DumpDir``, ``PrintIRAfter("all")`` and ``TimePasses``
    callbacks, once per session (-O2 of the encoder examples takes ~30 s each)."""
    import qcompile
    from qcompile.passes.dumps import DumpDir, PrintIRAfter
    from qcompile.passes.manager import TimePasses

    cache: dict = {}

    def get(name: str, level: int) -> Compiled:
        key = (name, level)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"dumps-{name}-O{level}")
            printed, timer = io.StringIO(), TimePasses()
            program = qcompile.compile(path(name), tolerance=EXAMPLES[name].tolerance, optimization=level,
                                       callbacks=[DumpDir(folder), PrintIRAfter("all", printed), timer])
            cache[key] = Compiled(program, folder, printed.getvalue(), timer)
        return cache[key]

    return get


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, keep every test that uses one example's session compile on one
    worker (``--dist loadgroup``), so each example is compiled once per level."""
    for item in items:
        if "compiled_with_dumps" in getattr(item, "fixturenames", ()):
            params = getattr(getattr(item, "callspec", None), "params", {})
            name = params.get("name") or params.get("ex")
            if name:
                item.add_marker(pytest.mark.xdist_group(f"example-{name}"))
