"""The IR-text callbacks: :class:`PrintIRAfter` and :class:`DumpDir`, the pass-by-pass dumps
(one IR text and one JSON file per pass, and an ``index.html``).

:class:`DumpDir` is a pass-manager callback.  After every pass it writes
``NN-<pass>.ir`` (the IR's text) and ``NN-<pass>.json`` (pass, level, options, stats
before and after, the properties it wrote; sorted keys, no timing, so two runs give
byte-identical files), and rewrites ``index.html``: a page with one row per pass (its
time and the qubit, CX, depth and alpha changes), each pass's IR and a side-by-side diff
to the previous pass's (``difflib.HtmlDiff``).  Open it in any browser; it needs no
server and no script.

Circuits at ``-O2`` run to millions of gates: a text above ``max_lines`` lines keeps its
first ``max_lines`` lines and says how many it left out (``max_lines=None`` keeps all),
and diffs are drawn for texts up to ``max_diff_lines`` lines (the table row still says
what changed).  At the start of a run the folder's old dump files (``NN-name.ir``,
``NN-name.json``, ``index.html``) are removed; other files are left alone.
"""

from __future__ import annotations

import difflib
import html
import inspect
import json
import os
import re
import sys
from dataclasses import fields, is_dataclass
from typing import Any, Iterable

from qcompile.passes.manager import Callback

#: lines of IR text a dump file keeps by default
MAX_LINES = 100_000
#: longest texts (in lines) the index draws a side-by-side diff of
MAX_DIFF_LINES = 3_000
#: longest text (in lines) the index shows inline (longer: a link to the file)
MAX_INLINE_LINES = 3_000

_DUMP_RE = re.compile(r"^\d{2,}-[a-z0-9-]+\.(ir|json)$")


def ir_text(ir, max_lines: int | None = MAX_LINES) -> str:
    """The IR's text, at most ``max_lines`` lines (the IR cuts its own text when its
    ``to_text`` takes ``max_lines``; otherwise the text is cut here) and a closing line
    saying how much was left out."""
    if max_lines is not None and "max_lines" in inspect.signature(ir.to_text).parameters:
        text = ir.to_text(max_lines=max_lines)
    else:
        text = ir.to_text()
    if not text.endswith("\n"):
        text += "\n"
    if max_lines is None:
        return text
    lines = text.split("\n")
    if len(lines) - 1 <= max_lines:
        return text
    kept = "\n".join(lines[:max_lines])
    return f"{kept}\n# ... {len(lines) - 1 - max_lines} more lines left out (the dump keeps {max_lines})\n"


def jsonable(value: Any) -> Any:
    """A deterministic JSON-ready version of ``value`` (sets sorted, arrays as lists)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if hasattr(value, "tolist") and callable(value.tolist):  # NumPy arrays and scalars
        return jsonable(value.tolist())
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


class PrintIRAfter(Callback):
    """Prints ``// ----- IR after <name> (<index>) -----`` and the IR text after chosen passes.

    ``names`` is "all", one pass name, or a collection of pass names; ``stream``
    defaults to ``sys.stdout`` (looked up at print time); ``max_lines`` cuts long texts as
    the dumps do (:func:`qcompile.passes.dumps.ir_text`; None prints everything).
    """

    def __init__(self, names: str | Iterable[str] = "all", stream=None, max_lines: int | None = 100_000):
        if names == "all":
            self.names = "all"
        else:
            self.names = frozenset([names] if isinstance(names, str) else names)
        self.stream = stream
        self.max_lines = max_lines

    def after(self, pass_, ir, index, seconds, properties):
        if self.names != "all" and pass_.name not in self.names:
            return
        out = self.stream if self.stream is not None else sys.stdout
        out.write(f"// ----- IR after {pass_.name} ({index}) -----\n")
        out.write(ir_text(ir, self.max_lines))


class DumpDir(Callback):
    """Writes ``NN-<name>.ir``, ``NN-<name>.json`` and ``index.html`` (module docstring).

    The input IR is written as ``00-input.ir``/``00-input.json`` when the first pass is
    number 1 (a pipeline continuing another one's numbering adds to its folder)."""

    def __init__(self, path, max_lines: int | None = MAX_LINES, max_diff_lines: int = MAX_DIFF_LINES):
        self.path = os.fspath(path)
        self.max_lines = max_lines
        self.max_diff_lines = max_diff_lines
        self.entries: list[dict] = []     # per written step: index, name, stem, level, seconds, stats, text
        self.title = ""

    # ---- files --------------------------------------------------------------------------
    def _write(self, stem: str, text: str, meta: dict) -> None:
        with open(os.path.join(self.path, stem + ".ir"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        with open(os.path.join(self.path, stem + ".json"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(json.dumps(jsonable(meta), sort_keys=True, indent=2, default=str) + "\n")

    def before(self, pass_, ir, index):
        os.makedirs(self.path, exist_ok=True)
        if index != 1:
            if not self.entries:
                self._load_index()
            return
        for entry in sorted(os.listdir(self.path)):
            if _DUMP_RE.match(entry) or entry == "index.html":
                os.remove(os.path.join(self.path, entry))
        self.entries = []
        text = ir_text(ir, self.max_lines)
        self.title = text.split("\n", 1)[0]
        level = getattr(ir, "ir_level", None)
        stats = ir.stats()
        self._write("00-input", text, {"index": 0, "pass": "input", "level": level, "stats": stats})
        self._remember(0, "input", "00-input", level, None, {}, stats, text)

    def after(self, pass_, ir, index, seconds, properties):
        record = properties.last_record
        meta = {
            "index": index, "pass": pass_.name, "kind": pass_.kind,
            "takes": pass_.takes or None, "level": getattr(ir, "ir_level", None) or pass_.output_level or None,
            "options": dict(pass_.options), "required_by": record.required_by,
            "stats_before": record.stats_before, "stats_after": record.stats_after,
            "properties": {k: properties[k] for k in record.written if k in properties},
        }
        stem = f"{index:02d}-{pass_.name}"
        text = ir_text(ir, self.max_lines)
        self._write(stem, text, meta)
        self._remember(index, pass_.name, stem, meta["level"], seconds, record.stats_before, record.stats_after, text)
        self._write_index()

    def write_step(self, index: int, name: str, ir, meta: dict) -> None:
        """Dump a step that is not a pass of this manager (e.g. a stacked program's joint
        polynomial selection) as number ``index``."""
        os.makedirs(self.path, exist_ok=True)
        if not self.entries:
            self._load_index()
        stem = f"{index:02d}-{name}"
        text = ir_text(ir, self.max_lines)
        before = self.entries[-1]["stats_after"] if self.entries else {}
        stats = ir.stats()
        self._write(stem, text, {**meta, "index": index, "pass": name, "stats_before": before, "stats_after": stats})
        self._remember(index, name, stem, getattr(ir, "ir_level", None), None, before, stats, text)
        self._write_index()

    def _remember(self, index, name, stem, level, seconds, before, after, text) -> None:
        self.entries.append({"index": index, "name": name, "stem": stem, "level": level, "seconds": seconds,
                             "stats_before": before, "stats_after": after, "text": text})

    def _load_index(self) -> None:
        """Rebuild the entries of an earlier run's files in this folder (continued numbering)."""
        if not os.path.isdir(self.path):
            return
        for entry in sorted(os.listdir(self.path)):
            m = re.match(r"^(\d{2,})-([a-z0-9-]+)\.json$", entry)
            if not m:
                continue
            stem = entry[:-5]
            with open(os.path.join(self.path, entry), encoding="utf-8") as fh:
                meta = json.load(fh)
            with open(os.path.join(self.path, stem + ".ir"), encoding="utf-8") as fh:
                text = fh.read()
            if not self.title:
                self.title = text.split("\n", 1)[0]
            self._remember(int(m.group(1)), m.group(2), stem, meta.get("level"), None,
                           meta.get("stats_before", {}), meta.get("stats_after", meta.get("stats", {})), text)

    # ---- the page -----------------------------------------------------------------------
    def _write_index(self) -> None:
        with open(os.path.join(self.path, "index.html"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(index_page(self.title, self.entries, self.max_diff_lines))


#: the figures the page's table shows in their own columns
_COLUMNS = ("qubits", "cx", "depth", "alpha")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table.passes { border-collapse: collapse; margin-bottom: 2em; }
table.passes th, table.passes td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left;
  font-size: 0.9em; vertical-align: top; }
table.passes td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.changed { background: #fff3cd; }
pre.ir { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.8em; max-height: 40em; }
table.diff { font-family: monospace; font-size: 0.75em; border-collapse: collapse; }
table.diff td { padding: 0 0.4em; white-space: pre; }
.diff_header { background: #e0e0e0; } .diff_next { background: #c0c0c0; }
.diff_add { background: #aaffaa; } .diff_chg { background: #ffff77; } .diff_sub { background: #ffaaaa; }
h2 { margin-top: 2em; font-size: 1.1em; } .note { color: #666; font-size: 0.9em; }
"""


def _value(stats: dict, key: str):
    v = stats.get(key)
    if isinstance(v, list):
        return ", ".join("?" if x is None else f"{x:.4g}" for x in v) if v else None
    return v


def _change(before: dict, after: dict, key: str) -> tuple[str, bool]:
    a, b = _value(before, key), _value(after, key)
    if b is None:
        return "", False
    if a is None or a == b:
        return str(b), False
    return f"{a} → {b}", True


def _other_changes(before: dict, after: dict) -> str:
    from qcompile.passes.manager import _stat_changes

    rest_b = {k: v for k, v in before.items() if k not in _COLUMNS}
    rest_a = {k: v for k, v in after.items() if k not in _COLUMNS}
    return _stat_changes(rest_b, rest_a)


def index_page(title: str, entries: list[dict], max_diff_lines: int = MAX_DIFF_LINES) -> str:
    """The ``index.html`` of a dump folder: the table of passes, then per pass its IR and
    its diff to the previous pass."""
    esc = html.escape
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>qcompile passes: {esc(title)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>Passes: {esc(title)}</h1>",
           '<p class="note">One row per pass, in order: the IR level it gave, its time and what it changed '
           "(qubits, CX and depth of the widest/summed stage circuits, alpha per stage of the quantum IR; "
           "\"a → b\" where a figure changed; \"?\": an alpha not known yet, before select-polynomials). "
           "Each pass's IR and its diff to the previous pass follow below; the files beside this page "
           "hold the full texts and JSON figures.</p>",
           '<table class="passes"><tr><th>#</th><th>pass</th><th>level</th><th>ms</th>'
           + "".join(f"<th>{c if c != 'cx' else 'CX'}</th>" for c in _COLUMNS) + "<th>other changes</th></tr>"]
    previous_level = None
    for e in entries:
        ms = "" if e["seconds"] is None else f"{e['seconds'] * 1e3:.1f}"
        crossed = previous_level is not None and e["level"] != previous_level
        before = {} if crossed else e["stats_before"]
        cells = []
        for key in _COLUMNS:
            text, changed = _change(before, e["stats_after"], key)
            cells.append(f'<td class="num{" changed" if changed else ""}">{esc(text)}</td>')
        if e["index"] == 0:
            other = ""
        elif crossed:
            other = f"{previous_level} IR → {e['level']} IR"
        else:
            other = _other_changes(e["stats_before"], e["stats_after"])
        previous_level = e["level"]
        out.append(f'<tr><td class="num">{e["index"]}</td><td><a href="#p{e["index"]}">{esc(e["name"])}</a></td>'
                   f'<td>{esc(e["level"] or "")}</td><td class="num">{ms}</td>{"".join(cells)}'
                   f"<td>{esc(other)}</td></tr>")
    out.append("</table>")
    previous = None
    for e in entries:
        lines = e["text"].count("\n")
        out.append(f'<h2 id="p{e["index"]}">{e["index"]} {esc(e["name"])}</h2>')
        out.append(f'<p class="note">files: <a href="{e["stem"]}.ir">{e["stem"]}.ir</a> ({lines} lines), '
                   f'<a href="{e["stem"]}.json">{e["stem"]}.json</a></p>')
        if lines <= MAX_INLINE_LINES:
            out.append(f'<details><summary>IR</summary><pre class="ir">{esc(e["text"])}</pre></details>')
        else:
            out.append(f'<p class="note">IR of {lines} lines: open the file.</p>')
        if previous is not None and previous["level"] != e["level"]:
            out.append(f'<p class="note">{esc(str(previous["level"]))} IR → {esc(str(e["level"]))} IR: '
                       "no line-by-line diff across levels.</p>")
        elif previous is not None:
            out.append(_diff(previous, e, max_diff_lines))
        previous = e
    out.append("</body></html>\n")
    return "\n".join(out)


def _diff(a: dict, b: dict, max_lines: int) -> str:
    """The side-by-side diff of two steps' texts (changed lines with context)."""
    la, lb = a["text"].splitlines(), b["text"].splitlines()
    if la == lb:
        return '<p class="note">IR unchanged by this pass.</p>'
    if max(len(la), len(lb)) > max_lines:
        return (f'<p class="note">diff not drawn: {len(la)} and {len(lb)} lines (the page draws diffs of '
                f"texts up to {max_lines} lines); compare {a['stem']}.ir and {b['stem']}.ir with a diff tool.</p>")
    table = difflib.HtmlDiff(wrapcolumn=90).make_table(la, lb, a["stem"], b["stem"], context=True, numlines=2)
    return f"<details open><summary>diff to {html.escape(a['name'])}</summary>{table}</details>"
