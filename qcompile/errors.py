"""User-facing errors, and the one error that is not the user's.

Every mistake a user can make surfaces as a subclass of :class:`QcompileError`.  The CLI
prints ``str(error)`` (never a traceback) and exits with status 2.  A broken invariant
inside the compiler raises :class:`InternalError` instead, which is deliberately *not* a
``QcompileError``: the CLI reports it as a bug (exit 3), and embedders catching
``QcompileError`` for bad input do not swallow it.  Errors that point into
a ``.qtf`` source carry a :class:`SourceLocation` and render as::

    model.qtf:7:12: error: unknown name 'hh'
        h = layernorm(hh + a)
                      ^
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a source line longer than this is shown as a window around the caret
SHOWN_LINE = 120
#: a run of non-blank characters longer than this (a 1 MB name) is shortened in messages
SHOWN_WORD = 80
_LONG_WORD = re.compile(r"\S{%d,}" % (SHOWN_WORD + 1))


def shorten(message: str) -> str:
    """``message`` with every over-long word cut to its head and tail (``aaaa…aaaa``)."""
    if len(message) <= SHOWN_WORD:
        return message
    return _LONG_WORD.sub(lambda m: f"{m.group(0)[:SHOWN_WORD // 2]}…{m.group(0)[-12:]}", message)


def _visible(line: str) -> str:
    """The source line as one terminal line: tabs and every other control or line-breaking
    character (form feed, U+2028, …) become one space, so the caret stays aligned."""
    return "".join(c if c.isprintable() else " " for c in line.rstrip("\r\n"))


def _window(line: str, column: int) -> tuple[str, int]:
    """A window of at most :data:`SHOWN_LINE` characters of ``line`` around ``column``
    (1-based), with ``…`` where it is cut, and the caret's column in it."""
    if len(line) <= SHOWN_LINE:
        return line, column
    start = max(0, min(column - 1 - SHOWN_LINE // 2, len(line) - SHOWN_LINE))
    text = line[start:start + SHOWN_LINE]
    col = column - start
    if start > 0:
        text, col = "…" + text, col + 1
    if start + SHOWN_LINE < len(line):
        text += "…"
    return text, col


@dataclass(frozen=True)
class SourceLocation:
    """A position in a ``.qtf`` source: file name, 1-based line and column."""

    file: str
    line: int
    column: int
    source_line: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class QcompileError(Exception):
    """Base of every error a user of qcompile can trigger."""

    def __init__(self, message: str, location: SourceLocation | None = None):
        message = shorten(str(message))
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return f"error: {self.message}"
        loc = self.location
        text = shorten(f"{loc}: error: {self.message}")
        if loc.source_line:
            line, column = _window(_visible(loc.source_line), max(loc.column, 1))
            text += f"\n    {line}\n    {' ' * (column - 1)}^"
        return text


class QtfSyntaxError(QcompileError):
    """The ``.qtf`` text does not follow the grammar."""


class QtfSemanticError(QcompileError):
    """The ``.qtf`` text parses but is meaningless: unknown name, shape mismatch, bad dim."""


class WeightError(QcompileError):
    """A weight file is missing, unreadable, pickled, or has wrong names or shapes."""


class IRVerifyError(QcompileError):
    """The IR violates an invariant (an internal error if it happens after a pass)."""


class PassError(QcompileError):
    """A pass was misconfigured (unknown name, bad option) or failed."""


class BindError(QcompileError):
    """An input given to a compiled program is malformed or violates its declared bound."""


class SizeError(QcompileError):
    """The requested circuit is too large to build; use resource estimation instead."""


class NotSupportedError(QcompileError):
    """The request is outside what qcompile will ever do (by design)."""


class NotImplementedYetError(QcompileError):
    """The request is meaningful but qcompile does not implement it yet."""


class QcompileWarning(UserWarning):
    """Something qcompile did on its own that a user should know about (a rebuilt cache,
    an option that has no effect); the CLI prints it as ``warning: <message>``."""


class InternalError(Exception):
    """An invariant of the compiler broke: a bug in qcompile, never the user's mistake.

    Not a :class:`QcompileError` on purpose (see the module docstring); the CLI prints
    ``internal error: <message>`` and "this is a bug" and exits with status 3."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"internal error: {self.message}"
