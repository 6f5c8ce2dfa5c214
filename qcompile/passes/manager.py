"""The pass manager: named passes, a registry, pipelines, callbacks for dumps and timing.

The manager is generic over the IR: any object with ``to_text() -> str``,
``stats() -> dict`` and ``verify() -> None`` (raising ``IRVerifyError``) can flow through
it.  Passes are either *analyses* (they write results into the property set and return
None) or *transformations* (they return a NEW IR and never mutate their input).

Every pass declares the IR level it ``takes`` and ``gives`` (:data:`LEVELS`: the tensor IR,
the quantum IR, circuits); an IR object says its own level in ``ir_level``.  Before running
anything the manager checks that each pass gets the level it takes, so a pipeline that
puts a pass at the wrong level is refused with a sentence naming both.  A pass
names the analyses it needs in ``requires``; the manager runs a required analysis first
when its results are not in the property set — passes never call each other.

After a transformation every analysis result is stale: the manager removes the property
keys each analysis wrote, unless the transformation lists that analysis in ``preserves``.

Output (printing IR, dump files, timing tables) happens only in callbacks, objects with
``before(pass_, ir, index)`` and ``after(pass_, ir, index, seconds, properties)``;
``index`` counts the passes actually run (required analyses included) from 1, and
``properties`` is the :class:`PropertySet`, whose ``last_record`` is the
:class:`PassRecord` of the pass that just finished.
"""

from __future__ import annotations

import difflib
import importlib
import io
import pkgutil
import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Protocol

from qcompile.errors import InternalError, IRVerifyError, NotImplementedYetError, PassError, SourceLocation

_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_KINDS = ("analysis", "transformation")
#: the IR levels, in pipeline order: the tensor IR (a model), the quantum IR (staged linear
#: forms), circuits (stage circuits)
LEVELS = ("tensor", "quantum", "circuit")
#: how each level is called in messages
LEVEL_NAMES = {"tensor": "the tensor IR", "quantum": "the quantum IR", "circuit": "circuits"}


class IRLike(Protocol):
    """What the manager needs from an IR object."""

    def to_text(self) -> str: ...

    def stats(self) -> dict: ...

    def verify(self) -> None: ...


# --------------------------------------------------------------------------- passes
class Pass:
    """Base class of every pass.

    Subclasses set the class attributes ``name`` (kebab-case, unique), ``kind``
    ("analysis" or "transformation"), ``takes`` and ``gives`` (the IR levels of
    :data:`LEVELS` it works on and returns; ``gives`` defaults to ``takes``; empty for a
    pass over any IR), ``requires`` (names of analyses that must have run),
    ``preserves`` (transformations only: analyses whose results stay valid),
    ``description`` (one line), ``options`` (option name → default value) and
    ``option_ranges`` (option name → ``(low, high)``, the closed interval a number must lie
    in — NaN and infinities are refused too — or the name of a checker in
    :data:`OPTION_CHECKS`), and implement :meth:`run`.  ``self.options`` holds the
    validated options of the instance.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "transformation"
    takes: ClassVar[str] = ""
    gives: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    preserves: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    options: dict = {}
    option_ranges: ClassVar[dict] = {}

    def __init__(self, **options: Any):
        defaults = dict(type(self).options)
        for key, value in options.items():
            if key not in defaults:
                known = ", ".join(sorted(defaults))
                what = f"its options are: {known}" if known else "it takes no options"
                close = difflib.get_close_matches(key, list(defaults), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; {what}"
                raise PassError(f"pass '{self.name}' has no option '{key}'{hint}")
            defaults[key] = _check_option(self.name, key, defaults[key], value)
            _check_range(self.name, key, defaults[key], type(self).option_ranges.get(key))
        self.options = defaults

    def run(self, ir, properties: dict):
        """Analyses write into ``properties`` and return None; transformations return new IR."""
        raise NotImplementedYetError(f"pass '{self.name}' has no run method yet")

    @property
    def output_level(self) -> str:
        """The IR level this pass returns (``gives``, or ``takes`` when it keeps the level)."""
        return self.gives or self.takes

    def __repr__(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.options.items()
                        if v != type(self).options.get(k))
        return f"{self.name}{{{opts}}}" if opts else self.name


def _check_option(pass_name: str, key: str, default: Any, value: Any) -> Any:
    """``value`` converted to the type of ``default`` (int → float allowed), or PassError."""
    if default is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise PassError(f"option '{key}' of pass '{pass_name}' must be of type "
                        f"{type(default).__name__}, not {type(value).__name__} ({value!r})")
    return value


def _routing_target(value) -> None:
    from qcompile.validate import target_qubits

    if value:
        target_qubits(str(value))


#: named option checkers a pass may give in ``option_ranges`` instead of an interval
OPTION_CHECKS = {"routing-target": _routing_target}


def _check_range(pass_name: str, key: str, value: Any, allowed) -> None:
    """PassError unless ``value`` lies in ``allowed`` (a closed interval ``(low, high)`` of
    finite numbers, or the name of a checker in :data:`OPTION_CHECKS`); None: no check."""
    import math

    from qcompile.errors import QcompileError

    if allowed is None:
        return
    if isinstance(allowed, str):
        try:
            OPTION_CHECKS[allowed](value)
        except QcompileError as exc:
            raise PassError(f"option '{key}' of pass '{pass_name}': {exc.message}") from None
        return
    low, high = allowed
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or not low <= value <= high:
        raise PassError(f"option '{key}' of pass '{pass_name}' must be a finite number between {low:g} and "
                        f"{high:g}, got {value!r}")


# --------------------------------------------------------------------------- registry
_REGISTRY: dict[str, type[Pass]] = {}
_DISCOVERED = False


def register_pass(cls: type[Pass]) -> type[Pass]:
    """Class decorator adding a :class:`Pass` subclass to the registry under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Pass)):
        raise TypeError("register_pass decorates Pass subclasses")
    if not _NAME_RE.match(cls.name or ""):
        raise ValueError(f"pass name {cls.name!r} is not kebab-case")
    if cls.kind not in _KINDS:
        raise ValueError(f"pass '{cls.name}' has kind {cls.kind!r}; expected one of {_KINDS}")
    if not cls.description or "\n" in cls.description:
        raise ValueError(f"pass '{cls.name}' needs a one-line description")
    if cls.kind == "analysis" and cls.preserves:
        raise ValueError(f"analysis '{cls.name}' cannot declare preserves")
    for level in (cls.takes, cls.gives):
        if level and level not in LEVELS:
            raise ValueError(f"pass '{cls.name}' names the IR level {level!r}; expected one of {LEVELS}")
    if cls.kind == "analysis" and cls.gives and cls.gives != cls.takes:
        raise ValueError(f"analysis '{cls.name}' cannot change the IR level")
    old = _REGISTRY.get(cls.name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"pass name '{cls.name}' is already registered by {old.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    """Import every module of the ``qcompile.passes`` package so its passes register."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    import qcompile.passes as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "manager" and not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def get_pass(name: str, **options: Any) -> Pass:
    """An instance of the registered pass ``name`` with ``options``; PassError if unknown."""
    _discover()
    cls = _REGISTRY.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        if close:
            hint = "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        else:
            hint = "; run 'qcompile passes' to list them" if _REGISTRY else "; no passes exist yet"
        raise PassError(f"unknown pass '{name}'{hint}")
    return cls(**options)


def available_passes() -> list[tuple[str, str, str]]:
    """(name, kind, description) of every registered pass, sorted by name."""
    _discover()
    return sorted((c.name, c.kind, c.description) for c in _REGISTRY.values())


# --------------------------------------------------------------------------- pipelines
def _pipeline_error(text: str, column: int, message: str) -> PassError:
    loc = SourceLocation(file="<pipeline>", line=1, column=column + 1, source_line=text)
    return PassError(f"{message} at column {column + 1} of the pass pipeline", loc)


def _parse_value(raw: str) -> Any:
    """'true'/'false' → bool, then int, then float, else the string ('"..."' unquoted)."""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


def parse_pipeline(text: str) -> list[Pass]:
    """Passes from a pipeline string ``"a,b{opt=1,x=foo},c"``.

    Option values are parsed as bool (true/false), int, float, or else a string (quotes
    optional, needed for ',' '}' '=' inside).  Bad syntax raises PassError with the column.
    """
    specs: list[tuple[str, int, dict[str, Any]]] = []
    i, n = 0, len(text)

    def skip_ws(j: int) -> int:
        while j < n and text[j].isspace():
            j += 1
        return j

    def word(j: int, what: str) -> tuple[str, int]:
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*").match(text, j)
        if not m:
            found = f"'{text[j]}'" if j < n else "the end"
            raise _pipeline_error(text, j, f"expected {what} but found {found}")
        return m.group(0), m.end()

    def value(j: int) -> tuple[str, int]:
        if j < n and text[j] in "\"'":
            end = text.find(text[j], j + 1)
            if end < 0:
                raise _pipeline_error(text, j, "unterminated quoted value")
            return text[j:end + 1], end + 1
        k = j
        while k < n and text[k] not in ",}{=":
            k += 1
        raw = text[j:k].strip()
        if not raw:
            raise _pipeline_error(text, j, "expected an option value")
        return raw, k

    i = skip_ws(i)
    if i == n:
        raise PassError("the pass pipeline is empty; give pass names separated by commas")
    while True:
        start = i
        name, i = word(i, "a pass name")
        i = skip_ws(i)
        opts: dict[str, Any] = {}
        if i < n and text[i] == "{":
            i = skip_ws(i + 1)
            while True:
                key_col = i
                key, i = word(i, "an option name")
                if key in opts:
                    raise _pipeline_error(text, key_col, f"option '{key}' is given twice")
                i = skip_ws(i)
                if i >= n or text[i] != "=":
                    raise _pipeline_error(text, i, f"expected '=' after option '{key}'")
                i = skip_ws(i + 1)
                raw, i = value(i)
                opts[key] = _parse_value(raw)
                i = skip_ws(i)
                if i < n and text[i] == ",":
                    i = skip_ws(i + 1)
                    continue
                if i < n and text[i] == "}":
                    i = skip_ws(i + 1)
                    break
                found = f"'{text[i]}'" if i < n else "the end"
                raise _pipeline_error(text, i, f"expected ',' or '}}' but found {found}")
        specs.append((name, start, opts))
        if i == n:
            break
        if text[i] != ",":
            raise _pipeline_error(text, i, f"expected ',' between passes but found '{text[i]}'")
        i = skip_ws(i + 1)

    passes = []
    for name, col, opts in specs:
        try:
            passes.append(get_pass(name, **opts))
        except PassError as exc:
            raise _pipeline_error(text, col, exc.message) from exc
    return passes


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class PassRecord:
    """What one pass run did: position, name, kind, time, stats, property keys written.

    ``required_by`` names the pass whose ``requires`` made the manager run this analysis
    (None for a pass of the pipeline itself).
    """

    index: int
    name: str
    kind: str
    seconds: float
    stats_before: dict
    stats_after: dict
    written: tuple[str, ...]
    required_by: str | None = None


class PropertySet(dict):
    """The property set: a dict of analysis results; ``last_record`` is the latest PassRecord."""

    last_record: PassRecord | None = None


# --------------------------------------------------------------------------- manager
def check_levels(passes: Iterable[Pass], level: str | None) -> None:
    """Raise PassError if a pass of the pipeline would get an IR level it does not take.
    ``level`` is the input's (None when unknown: the check starts at the first pass that
    says what it gives)."""
    previous = None
    for p in passes:
        if p.takes and level and p.takes != level:
            where = f"after '{previous.name}'" if previous is not None else "as the pipeline's input"
            raise PassError(f"pass '{p.name}' works on {LEVEL_NAMES[p.takes]}, but {where} the IR is "
                            f"{LEVEL_NAMES[level]}")
        level = p.output_level or level
        previous = p


class PassManager:
    """Runs passes in order, resolving ``requires``, calling callbacks, recording each run.

    The pipeline's IR levels are checked before anything runs (:func:`check_levels`).
    ``verify=True`` verifies the input IR (IRVerifyError) and the IR after every pass, and
    checks that no pass mutated its input (compares ``to_text()``); a pass that breaks
    either is a bug: InternalError naming the pass.
    ``first_index`` numbers the first pass (a pipeline continuing another one's numbering,
    e.g. a stacked program's circuits after its joint calibration, starts past 1).
    """

    def __init__(self, passes: Iterable[Pass], callbacks: Iterable[Any] = (), verify: bool = False,
                 first_index: int = 1):
        self.passes = list(passes)
        for p in self.passes:
            if not isinstance(p, Pass):
                raise TypeError(f"{p!r} is not a Pass instance")
        self.callbacks = list(callbacks)
        self.verify = verify
        self.first_index = first_index
        self.properties = PropertySet()
        self.records: list[PassRecord] = []
        self._valid: dict[str, tuple[str, ...]] = {}  # analysis name -> keys it wrote

    def run(self, ir):
        """Run every pass on ``ir`` and return the final IR (``properties``/``records`` reset)."""
        check_levels(self.passes, getattr(ir, "ir_level", None))
        self.properties = PropertySet()
        self.records = []
        self._valid = {}
        if self.verify:
            try:
                ir.verify()
            except IRVerifyError as exc:
                raise IRVerifyError(f"the input IR is invalid: {exc.message}", exc.location) from exc
        stats = dict(ir.stats())
        for p in self.passes:
            ir, stats = self._run_with_requires(p, ir, stats, chain=(), required_by=None)
        return ir

    def _run_with_requires(self, p: Pass, ir, stats: dict, chain: tuple[str, ...],
                           required_by: str | None):
        if p.name in chain:
            raise PassError("passes require each other in a cycle: "
                            + " -> ".join(chain + (p.name,)))
        for req in p.requires:
            if req in self._valid:
                continue
            dep = get_pass(req)
            if dep.kind != "analysis":
                raise PassError(f"pass '{p.name}' requires '{req}', which is a transformation; "
                                "only analyses can be required")
            ir, stats = self._run_with_requires(dep, ir, stats, chain + (p.name,), p.name)
        return self._run_one(p, ir, stats, required_by)

    def _run_one(self, p: Pass, ir, stats_before: dict, required_by: str | None):
        index = len(self.records) + self.first_index
        for cb in self.callbacks:
            cb.before(p, ir, index)
        text_before = ir.to_text() if self.verify else None
        snapshot = dict(self.properties)
        start = time.perf_counter()
        result = p.run(ir, self.properties)
        seconds = time.perf_counter() - start
        if self.verify and ir.to_text() != text_before:
            raise InternalError(f"pass '{p.name}' mutated its input IR; passes must return a new IR instead")
        if p.kind == "analysis":
            if result is not None:
                raise PassError(f"analysis '{p.name}' returned a value; "
                                "analyses must only write the property set")
            new_ir, stats_after = ir, stats_before
        else:
            if result is None:
                raise PassError(f"transformation '{p.name}' returned no IR")
            new_ir = result
            stats_after = dict(new_ir.stats())
        written = tuple(sorted(k for k, v in self.properties.items()
                               if k not in snapshot or snapshot[k] is not v))
        if p.kind == "analysis":
            self._valid[p.name] = written
        else:
            for name in [a for a in self._valid if a not in p.preserves]:
                for key in self._valid.pop(name):
                    if key not in written:
                        self.properties.pop(key, None)
        if self.verify:
            try:
                new_ir.verify()
            except IRVerifyError as exc:
                raise InternalError(f"the IR is invalid after pass '{p.name}' ({index}): "
                                    f"{exc.message}") from exc
        record = PassRecord(index=index, name=p.name, kind=p.kind, seconds=seconds,
                            stats_before=dict(stats_before), stats_after=dict(stats_after),
                            written=written, required_by=required_by)
        self.records.append(record)
        self.properties.last_record = record
        for cb in self.callbacks:
            cb.after(p, new_ir, index, seconds, self.properties)
        return new_ir, stats_after

    def report_step(self, p: Pass, before, after, seconds: float) -> None:
        """Report work done outside a pass run as pass ``p`` numbered ``first_index - 1``
        (e.g. a stacked program's joint polynomial selection, which spans several
        programs): the callbacks see it as if ``p`` had turned ``before`` into ``after``."""
        index = self.first_index - 1
        for cb in self.callbacks:
            cb.before(p, before, index)
        record = PassRecord(index=index, name=p.name, kind=p.kind, seconds=seconds,
                            stats_before=dict(before.stats()), stats_after=dict(after.stats()), written=())
        properties = PropertySet()
        properties.last_record = record
        for cb in self.callbacks:
            cb.after(p, after, index, seconds, properties)


# --------------------------------------------------------------------------- callbacks
class Callback:
    """Base of pass-manager callbacks (both hooks do nothing by default)."""

    def before(self, pass_: Pass, ir, index: int) -> None:
        """Called before pass number ``index`` (from 1) runs on ``ir``."""

    def after(self, pass_: Pass, ir, index: int, seconds: float, properties: PropertySet) -> None:
        """Called after the pass ran; ``ir`` is its result, ``properties.last_record`` its record."""


def _flatten(stats: dict, prefix: str = "") -> dict[str, Any]:
    """Nested stats as one level with dotted keys: {"ops": {"add": 2}} -> {"ops.add": 2}."""
    flat: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


#: the figures the timing table shows first (tensor IR, quantum IR, circuit IR)
HEADLINE_STATS = ("nodes", "stages", "qubits", "cx", "depth")


def _stat_changes(before: dict, after: dict, headline: bool = False) -> str:
    """The stats that differ, e.g. ``nodes 10→22, ops.linear 2→6, ops.attention 1→-``;
    with ``headline`` only :data:`HEADLINE_STATS` and how many other figures changed
    (``cx 704648→645926, depth 59996→54435 (+4 more)``)."""
    a, b = _flatten(before), _flatten(after)
    parts, others = [], 0
    for key in sorted(set(a) | set(b), key=lambda k: (k not in HEADLINE_STATS, k)):
        if a.get(key, "-") != b.get(key, "-"):
            if headline and key not in HEADLINE_STATS:
                others += 1
                continue
            parts.append(f"{key} {a.get(key, '-')}→{b.get(key, '-')}")
    if others:
        parts.append(f"(+{others} more)")
    return ", ".join(parts)


class TimePasses(Callback):
    """Collects each pass's seconds and stat changes; ``.table()`` (rich) and ``.text()``."""

    def __init__(self):
        self.rows: list[tuple[int, str, str, float, str]] = []
        self.headlines: list[str] = []

    def after(self, pass_, ir, index, seconds, properties):
        record = properties.last_record
        self.rows.append((index, pass_.name, pass_.kind, seconds,
                          _stat_changes(record.stats_before, record.stats_after)))
        self.headlines.append(_stat_changes(record.stats_before, record.stats_after, headline=True))

    @property
    def total(self) -> float:
        """Seconds spent in all passes together."""
        return sum(r[3] for r in self.rows)

    def table(self):
        """A ``rich.table.Table`` with one row per pass and a total."""
        from rich.table import Table

        table = Table(title="pass timing (changes: qubits, CX, depth first; .text() lists all)")
        for col, just in (("#", "right"), ("pass", "left"), ("kind", "left"),
                          ("ms", "right"), ("%", "right"), ("changes", "left")):
            table.add_column(col, justify=just)
        total = self.total
        for (index, name, kind, seconds, _), changes in zip(self.rows, self.headlines):
            pct = 100.0 * seconds / total if total > 0 else 0.0
            table.add_row(str(index), name, kind, f"{seconds * 1e3:.1f}", f"{pct:.1f}", changes)
        table.add_row("", "total", "", f"{total * 1e3:.1f}", "100.0" if total > 0 else "0.0", "")
        return table

    def text(self) -> str:
        """The same table as plain text (fixed-width columns)."""
        header = ("#", "pass", "kind", "ms", "%", "changes")
        total = self.total
        rows = [header]
        for index, name, kind, seconds, changes in self.rows:
            pct = 100.0 * seconds / total if total > 0 else 0.0
            rows.append((str(index), name, kind, f"{seconds * 1e3:.3f}", f"{pct:.1f}", changes))
        rows.append(("", "total", "", f"{total * 1e3:.3f}", "100.0" if total > 0 else "0.0", ""))
        widths = [max(len(r[c]) for r in rows) for c in range(5)]
        buf = io.StringIO()
        for r in rows:
            cells = [r[0].rjust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]),
                     r[3].rjust(widths[3]), r[4].rjust(widths[4]), r[5]]
            buf.write("  ".join(cells).rstrip() + "\n")
        return buf.getvalue()


__all__ = [
    "LEVELS", "Callback", "IRLike", "Pass", "PassManager", "PassRecord",
    "PropertySet", "TimePasses", "available_passes", "check_levels", "get_pass", "parse_pipeline",
    "register_pass",
]
