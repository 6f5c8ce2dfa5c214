"""Fixtures for the compile/verify/run CLI tests (helpers: cli_support.py)."""

from __future__ import annotations

import pytest

from qcompile.cli import main


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    def run(*argv: str):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run
