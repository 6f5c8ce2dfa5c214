"""Every ``qcompile`` command the README shows runs as written (issue 17.3).

The commands are read from README.md's fenced code blocks (a line starting with
``qcompile`` or ``python -c``, or the part after ``&&`` of the install line), in order, in a
scratch folder whose ``examples`` is the repository's; ``# comments`` are dropped.  Lines
with placeholders (``MODEL.qtf``, ``[--option]``, ``norms.json``) are templates, not
commands.  A command may be listed in :data:`EXPENSIVE` with the reason it is skipped;
a README command known to be wrong is in :data:`KNOWN_WRONG` with its correction (a strict
xfail: once the README is fixed the entry no longer matches and must go).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: README commands skipped here, with the reason (none today: every command runs in ~1 s)
EXPENSIVE: dict[str, str] = {}

#: README commands that fail as written -> the corrected command (run instead)
KNOWN_WRONG: dict[str, str] = {}

_PLACEHOLDER = re.compile(r"MODEL\.qtf|\[--|\[-o|norms\.json|circuit\.qasm|\.\.\.")


def readme_commands() -> list[str]:
    """The command lines of the README's code blocks, in order, comments dropped."""
    out, fenced = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            continue
        line = line.strip()
        if "&& qcompile " in line:
            line = line.split("&& ", 1)[1]
        if not line.startswith(("qcompile ", "python -c ")):
            continue
        if line.startswith("qcompile "):
            line = re.split(r"\s+#", line, maxsplit=1)[0].strip()
        out.append(line)
    return out


COMMANDS = readme_commands()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """The scratch folder, with the inputs the README's ``python -c`` lines make (an earlier
    command, ``reference ... --input x.npy``, already reads x.npy)."""
    folder = tmp_path_factory.mktemp("readme")
    os.symlink(ROOT / "examples", folder / "examples")
    for command in COMMANDS:
        if command.startswith("python -c "):
            assert _run(command, folder).returncode == 0, command
    return folder


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    args = shlex.split(command)
    if args[0] == "qcompile":
        args = [sys.executable, "-m", "qcompile"] + args[1:]
    else:
        args = [sys.executable] + args[1:]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 15 and any("verify" in c for c in COMMANDS)


@pytest.mark.xdist_group("readme")
@pytest.mark.parametrize("command", COMMANDS, ids=[f"{i:02d}" for i in range(len(COMMANDS))])
def test_readme_command_runs(command, scratch):
    if _PLACEHOLDER.search(command):
        pytest.skip("a template with placeholders, not a command")
    if command in EXPENSIVE:
        pytest.skip(EXPENSIVE[command])
    if command in KNOWN_WRONG:
        fixed = _run(KNOWN_WRONG[command], scratch)
        assert fixed.returncode == 0, fixed.stderr
        res = _run(command, scratch)
        if res.returncode:
            pytest.xfail(f"the README command fails as written ({res.stderr.strip().splitlines()[0][:120]}); "
                         f"corrected: {KNOWN_WRONG[command]}")
        pytest.fail("a KNOWN_WRONG README command now passes: remove its entry")
    res = _run(command, scratch)
    assert res.returncode == 0, f"{command}\n{res.stderr}"
    assert "Traceback" not in res.stderr
