"""The ``qcompile`` command line.

::

    qcompile MODEL.qtf -o OUT.qasm [--qasm 3|2] [--bind X.npy | --text SEQ] [--token last|K]
                          [--tolerance T] [--stats OUT.json] [-O0|-O1|-O2] [--passes LIST]
                          [--target T] [--print-ir-after-all] [--dump-dir D] [--time-passes]
    qcompile verify MODEL.qtf [--inputs N] [--backend qiskit,cirq] [--shots S] [--seed K]
                          [--tolerance T] [-O…] [--json OUT] [--noise SPEC] [--mitigate M]
                          [--jobs N | --scheduler ADDRESS]
    qcompile run MODEL.qtf (--bind X.npy | --text SEQ) [--backend B] [--shots S] [-O…]
    qcompile ir MODEL.qtf [--quantum] [--print-ir-after-all] [--print-ir-after NAME]
                          [--dump-dir D] [--time-passes] [--source]
    qcompile reference MODEL.qtf (--input X.npy | --text SEQ) [--output Y.npy]
                          [--mode exact|surrogate]
    qcompile check MODEL.qtf
    qcompile bind MODEL.qtf (--input X.npy | --text SEQ) --json PARAMS.json [compile options]
    qcompile passes
    qcompile resources MODEL.qtf [--set DIM=N,...] [--mode M] [-O…] [--json OUT]
                          [--physical [--qubit-model M[,M]] [--error-budget E]]

Every command that loads a model takes ``--weights-root DIR``: weights named by the model
are read only from the model's folder or DIR.  Flags are range-checked and every output
path is checked (its folder exists and is writable, it is not a directory or device, it
does not overwrite an input or another output) before any work is done.

Exit status: 0 success, 1 a failed check (``verify``), 2 user error (one message, no
traceback) or bad flags, 3 internal error.  ``--debug`` (anywhere) shows tracebacks.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
import traceback

from qcompile.errors import BindError, InternalError, QcompileError
from qcompile.validate import MAX_DIM, MAX_SEED, MAX_SHOTS

#: most random inputs one ``verify`` checks
MAX_VERIFY_INPUTS = 100_000
#: most worker processes one ``verify --jobs`` starts
MAX_VERIFY_JOBS = 1024

COMMANDS = ("compile", "verify", "run", "ir", "reference", "check", "passes", "resources", "bind")

OPT_HELP = ("circuit optimisation level (default 1). -O0: no circuit passes; -O1: cancel "
            "inverse pairs and merge rotations (cheap, keeps multi-controlled gates, so "
            "simulation stays fast); -O2: also lowers multi-controlled gates to CX + 1-qubit "
            "gates, consolidates 2-qubit blocks, fuses 1-qubit runs and reuses ancillas - "
            "fewer gates on hardware but slower to compile and to simulate")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: <what>`` and where to find the options."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def _int_flag(low: int, high: int):
    """An argparse type: a whole number in [low, high] (at most 30 digits are read)."""
    def parse(text: str) -> int:
        t = text.strip()
        if not re.fullmatch(r"[+-]?\d{1,30}", t):
            raise argparse.ArgumentTypeError(f"must be a whole number between {low:,} and {high:,}, "
                                             f"got {_shown(text)}")
        value = int(t)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}, got {_shown(text)}")
        return value
    parse.__name__ = "whole number"
    return parse


def _tolerance_flag(text: str) -> float:
    """An argparse type: a number in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {_shown(text)}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {_shown(text)}")
    return value


def _shown(text: str) -> str:
    """A flag value for a message (a 5000-digit number is not echoed whole)."""
    return repr(text) if len(text) <= 40 else repr(text[:20] + "…" + text[-8:]) + f" ({len(text)} characters)"


def _add_weights_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights-root", metavar="DIR",
                   help="also read weights files the model names from DIR (default: only from the "
                        "model's own folder)")


COHERENT_HELP = ("build the model as ONE circuit with no classical glue between stages (a single-head "
                 "softmax's 1/Z is absorbed into the output state, which holds (Z*y, Z)); models it cannot "
                 "build yet (layer norm, several heads) are refused with the reason")


def _add_compile_options(p: argparse.ArgumentParser, token: bool = True) -> None:
    """The options every compiling command shares: tolerance, token, -O, passes, target."""
    _add_weights_root(p)
    p.add_argument("--tolerance", type=_tolerance_flag, default=1e-3, metavar="T",
                   help="polynomial approximation tolerance vs the exact model (default 1e-3)")
    if token:
        p.add_argument("--token", default="model", metavar="last|K",
                       help="output token to compile (default: the model's output line)")
    p.add_argument("-O", dest="optimization", type=int, choices=(0, 1, 2), default=1,
                   metavar="0|1|2", help=OPT_HELP)
    p.add_argument("--passes", metavar="LIST",
                   help="replace the -O pipeline by an explicit pass list, e.g. "
                        "'cancel-inverses,merge-rotations{atol=1e-12}' (--target then appends route)")
    p.add_argument("--target", metavar="T",
                   help="route onto a coupling map: line:N, grid:RxC or heavy-hex:D")
    p.add_argument("--coherent", action="store_true", help=COHERENT_HELP)


def _add_input_options(p: argparse.ArgumentParser, required: bool) -> None:
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--bind", metavar="X.npy",
                     help="bind this input: float [seq, d_model] or int token ids [seq]")
    src.add_argument("--text", metavar="SEQ", help="bind this text (text models), e.g. MKTA")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="qcompile",
        description="Compile transformer models written in .qtf into quantum circuits.",
        epilog="Without a command, 'qcompile MODEL.qtf -o OUT.qasm' runs 'compile'. "
               "Add --debug anywhere to see tracebacks.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser(
        "compile", help="compile a model to OpenQASM (default command)",
        description="Compile a model into one input-parametric circuit per stage. Writes "
                    "OUT.qasm (stage 0), OUT.s1.qasm, ... and OUT.program.json (stages, glue, "
                    "loaders, output and post-selected qubits, alpha, error bound). The default "
                    "-O1 keeps multi-controlled gates: -O2 lowers them, which is slower to "
                    "simulate.")
    c.add_argument("model", metavar="MODEL.qtf")
    c.add_argument("-o", "--output", metavar="OUT.qasm", required=True,
                   help="where to write the circuit (stage k > 0: OUT.sK.qasm)")
    c.add_argument("--qasm", type=int, choices=(2, 3), default=3,
                   help="OpenQASM version (default 3, with 'input' parameters; 2 needs --bind/--text)")
    _add_input_options(c, required=False)
    _add_compile_options(c)
    c.add_argument("--stats", metavar="OUT.json", help="write circuit figures as JSON")
    c.add_argument("--flat-qasm", action="store_true",
                   help="write every gate out instead of defining repeated blocks and multi-controlled gates "
                        "once as OpenQASM 'gate' definitions (files many times larger)")
    c.add_argument("--print-ir-after-all", action="store_true",
                   help="print the IR after every pass (quantum IR, then stage circuits)")
    c.add_argument("--print-ir-after", action="append", default=[], metavar="NAME",
                   help="print the IR after the pass NAME (repeatable)")
    c.add_argument("--dump-dir", metavar="DIR",
                   help="write one numbered IR file and JSON file per pass, and index.html, into DIR")
    c.add_argument("--time-passes", action="store_true",
                   help="print a table of pass timings (to stderr)")
    c.set_defaults(func=cmd_compile)

    v = sub.add_parser(
        "verify", help="compile once and check random inputs against the references",
        description="Compile once, bind N random admissible inputs into that program, simulate "
                    "on each backend and check: max|compiled - surrogate| <= 1e-8, "
                    "max|compiled - exact| <= the error bound <= --tolerance. Exit 1 if a check "
                    "fails.")
    v.add_argument("model", metavar="MODEL.qtf")
    v.add_argument("--inputs", type=_int_flag(1, MAX_VERIFY_INPUTS), default=20, metavar="N",
                   help="random inputs (default 20)")
    v.add_argument("--backend", default="qiskit,cirq", metavar="B[,B]",
                   help="simulators, comma-separated (default qiskit,cirq)")
    v.add_argument("--shots", type=_int_flag(1, MAX_SHOTS), metavar="S",
                   help="also sample S shots of the last stage and check 4 standard errors")
    v.add_argument("--seed", type=_int_flag(0, MAX_SEED), default=0, metavar="K",
                   help="input and sampling seed")
    _add_compile_options(v)
    v.add_argument("--json", metavar="OUT.json", help="write the report as JSON")
    v.add_argument("--noise", metavar="SPEC",
                   help="also run the last stage under noise, e.g. 'depolarizing:1e-4,1e-3,readout:1e-2' "
                        "(earlier stages run ideally); print TVD vs the ideal distribution")
    v.add_argument("--mitigate", metavar="METHODS",
                   help="with --noise: mitigation methods (comma-separated: zne, twirl, dd, readout) "
                        "or 'auto'")
    spread = v.add_mutually_exclusive_group()
    spread.add_argument("--jobs", type=_int_flag(1, MAX_VERIFY_JOBS), metavar="N",
                        help="run the input x backend checks in N worker processes (default: one per "
                             "core; 1: one after another here); the rows are those of a serial run")
    spread.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the checks on a Dask cluster, e.g. tcp://host:8786 (needs the extra "
                             "qcompile[dask])")
    v.set_defaults(func=cmd_verify)

    r = sub.add_parser("run", help="run a compiled model on one input and compare to the references")
    r.add_argument("model", metavar="MODEL.qtf")
    _add_input_options(r, required=True)
    r.add_argument("--backend", default="qiskit", metavar="B",
                   help="the simulator (a registered backend that simulates; default qiskit)")
    r.add_argument("--shots", type=_int_flag(1, MAX_SHOTS), metavar="S",
                   help="also estimate |y|^2/||y||^2 from S shots")
    r.add_argument("--seed", type=_int_flag(0, MAX_SEED), metavar="K", help="sampling seed")
    _add_compile_options(r)
    r.set_defaults(func=cmd_run)

    i = sub.add_parser("ir", help="print the tensor IR (or, with --quantum, the quantum IR)")
    i.add_argument("model", metavar="MODEL.qtf")
    i.add_argument("--quantum", action="store_true",
                   help="print the quantum IR the lowering produces (stages, blocks, alpha, "
                        "polynomials, glue) instead of the tensor IR")
    i.add_argument("--tolerance", type=_tolerance_flag, default=1e-3, metavar="T",
                   help="with --quantum: the tolerance the polynomials are chosen for")
    _add_weights_root(i)
    i.add_argument("--token", default="model", metavar="last|K", help="with --quantum: output token")
    i.add_argument("--coherent", action="store_true", help="with --quantum: " + COHERENT_HELP)
    i.add_argument("--print-ir-after-all", action="store_true",
                   help="print the IR after every pass")
    i.add_argument("--print-ir-after", action="append", default=[], metavar="NAME",
                   help="print the IR after the pass NAME (repeatable)")
    i.add_argument("--dump-dir", metavar="DIR",
                   help="write one numbered IR file and JSON stats file per pass into DIR")
    i.add_argument("--time-passes", action="store_true",
                   help="print a table of pass timings (to stderr)")
    i.add_argument("--source", action="store_true",
                   help="print the IR before desugaring instead of after")
    i.set_defaults(func=cmd_ir)

    r = sub.add_parser("reference", help="run the NumPy reference transformer")
    r.add_argument("model", metavar="MODEL.qtf")
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", metavar="X.npy",
                     help="input array: float [seq, d_model] or int token ids [seq]")
    src.add_argument("--text", metavar="SEQ", help="input text for a text model, e.g. MKTA")
    r.add_argument("--output", metavar="Y.npy", help="save every token's output here")
    r.add_argument("--mode", choices=("exact", "surrogate"), default="exact",
                   help="surrogate: the polynomials the compiler picks for --tolerance")
    r.add_argument("--tolerance", type=_tolerance_flag, default=1e-3, metavar="T",
                   help="with --mode surrogate: the compile tolerance")
    _add_weights_root(r)
    r.set_defaults(func=cmd_reference)

    k = sub.add_parser("check", help="parse, build and verify a model; print a summary")
    k.add_argument("model", metavar="MODEL.qtf")
    _add_weights_root(k)
    k.set_defaults(func=cmd_check)

    b = sub.add_parser(
        "bind", help="the OpenQASM 3 input values (loader angles) of every stage for one input",
        description="Compile the model as 'compile' does (pass the same options) and write, for "
                    "the given input, the value of every 'input float[64]' parameter of every "
                    "stage's OpenQASM 3 file. These are state-preparation angles computed from "
                    "the input, not the input's values.")
    b.add_argument("model", metavar="MODEL.qtf")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", metavar="X.npy", help="the input array: float [seq, d_model] or int ids [seq]")
    src.add_argument("--text", metavar="SEQ", help="the input text for a text model")
    b.add_argument("--json", metavar="PARAMS.json", required=True, help="where to write the values")
    _add_compile_options(b)
    b.set_defaults(func=cmd_bind)

    s = sub.add_parser("passes", help="list the available passes")
    s.set_defaults(func=cmd_passes)

    e = sub.add_parser("resources", help="estimate qubits, CX, T, depth, degrees and alphas from the "
                       "quantum IR (any size, no gate list)")
    e.add_argument("model", metavar="MODEL.qtf")
    e.add_argument("-O", dest="optimization", type=int, choices=(0, 1, 2), default=1,
                   help="optimisation level the figures are for (default 1, as compile): -O0 is the "
                        "unfolded quantum IR, whose counts are exact at compilable sizes; -O1/-O2 fold "
                        "it, and their circuit passes keep the counts upper bounds")
    e.add_argument("--tolerance", type=_tolerance_flag, default=1e-3, metavar="T",
                   help="polynomial tolerance of every nonlinearity (default 1e-3)")
    e.add_argument("--set", dest="dims", metavar="DIM=N,...",
                   help="override dims, e.g. d_model=4096,seq=4096")
    e.add_argument("--norms", metavar="NORMS.json",
                   help="measured weight norms (spectral, frobenius per matrix); default: random-weight values")
    e.add_argument("--method", choices=("dilation", "fable"), default="dilation",
                   help="block encoding of dense matrices (as in compile)")
    e.add_argument("--mode", choices=("auto", "compiled", "abstract"), default="auto",
                   help="compiled: the compiler's own quantum IR (small models); abstract: shapes "
                        "and norms only; auto picks by size")
    e.add_argument("--token", default="model", help="output token: last or an index")
    e.add_argument("--coherent", action="store_true", help=COHERENT_HELP)
    e.add_argument("--json", metavar="OUT.json", help="write the report as JSON")
    e.add_argument("--physical", action="store_true",
                   help="also estimate physical qubits, runtime, code distance and T factories with "
                        "Microsoft's resource estimator (needs the extra qcompile[physical])")
    e.add_argument("--qubit-model", metavar="M[,M]",
                   help="with --physical: the estimator's qubit models, comma-separated (default "
                        "qubit_gate_ns_e3,qubit_gate_ns_e4,qubit_maj_ns_e4)")
    e.add_argument("--error-budget", type=_tolerance_flag, metavar="E",
                   help="with --physical: the total error budget, a number in (0, 1) (default 1e-3)")
    e.set_defaults(func=cmd_resources)
    return p


def _with_default_command(argv: list[str]) -> list[str]:
    """Insert ``compile`` when no command is given (``qcompile MODEL.qtf -o X``)."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return argv
        if not arg.startswith("-"):
            return argv if arg in COMMANDS else ["compile"] + argv
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = _parser()
    args = parser.parse_args(_with_default_command(argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    stdout = sys.stdout
    sys.stdout = _Stdout(stdout)
    try:
        with _quiet_numerics(debug):
            status = args.func(args) or 0
            sys.stdout.flush()
        return status
    except _StdoutError as err:
        _detach_stdout(stdout)
        if err.errno == errno.EPIPE:
            return 141                # the reader went away (``| head``): stop quietly, as SIGPIPE would
        print(f"error: cannot write to standard output ({err.strerror or err})", file=sys.stderr)
        return 2
    except QcompileError as err:
        if debug:
            traceback.print_exc()
        print(str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the last line of defence
        return _internal(err, debug)
    finally:
        sys.stdout = stdout


def _internal(err: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    else:
        what = str(err) if isinstance(err, InternalError) else f"internal error: {type(err).__name__}: {err}"
        print(what, file=sys.stderr)
        print("this is a bug in qcompile; rerun with --debug to see the traceback", file=sys.stderr)
    return 3


class _StdoutError(OSError):
    """Writing standard output failed (a closed pipe, /dev/full)."""


class _Stdout:
    """Standard output whose write errors are told apart from every other OSError."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _StdoutError(exc.errno, exc.strerror) from exc

    def flush(self):
        try:
            return self._stream.flush()
        except OSError as exc:
            raise _StdoutError(exc.errno, exc.strerror) from exc

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _detach_stdout(stream) -> None:
    """Drop what is buffered for ``stream`` and point its descriptor at /dev/null, so the
    interpreter's final flush cannot fail again."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, stream.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):
        pass


class _quiet_numerics:
    """NumPy floating-point warnings are not shown (every result is checked for finite
    values where it matters); qcompile's own warnings print as ``warning: <message>``,
    other libraries' warnings only with ``--debug``."""

    def __init__(self, debug: bool):
        self.debug = debug

    def __enter__(self):
        import warnings

        import numpy as np

        self._err = np.seterr(all="ignore")
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.showwarning = self._show
        warnings.simplefilter("default" if self.debug else "ignore")
        from qcompile.errors import QcompileWarning

        warnings.simplefilter("always", QcompileWarning)
        return self

    def _show(self, message, category, filename, lineno, file=None, line=None):
        from qcompile.errors import QcompileWarning

        if issubclass(category, QcompileWarning):
            print(f"warning: {message}", file=sys.stderr)
        elif self.debug:
            print(f"{filename}:{lineno}: {category.__name__}: {message}", file=sys.stderr)

    def __exit__(self, *exc):
        import numpy as np

        np.seterr(**self._err)
        self._warnings.__exit__(*exc)
        return False


# --------------------------------------------------------------------------- commands
def _load(args, callbacks=()):
    """The model of ``args.model`` (weights confined to its folder and ``--weights-root``)."""
    from qcompile.model import load

    return load(args.model, callbacks=callbacks, weights_root=getattr(args, "weights_root", None))


def _compile(args, model=None, callbacks=()):
    """Compile the model with the shared options (-O, --passes, --target, --token)."""
    from qcompile.compiler import compile as qcompile_compile

    passes = args.passes                         # with --target, compile() appends route
    return qcompile_compile(model if model is not None else _load(args),
                            token=getattr(args, "token", "model"), tolerance=args.tolerance,
                            optimization=args.optimization, target=args.target,
                            passes=passes, callbacks=callbacks, coherent=getattr(args, "coherent", False))


def _check_compile_flags(args) -> None:
    """What can be refused before loading anything: --token's form, --target (a known
    shape of at most MAX_TARGET_QUBITS qubits), --passes (names, options and their ranges)."""
    token = getattr(args, "token", "model")
    if token not in ("model", "last", "all") and not re.fullmatch(r"\d{1,9}", str(token)):
        raise QcompileError(f"--token must be last, all or a token index, got {_shown(str(token))}")
    if getattr(args, "target", None):
        from qcompile.validate import target_qubits

        target_qubits(args.target)
    if getattr(args, "passes", None):
        from qcompile.passes.manager import parse_pipeline

        parse_pipeline(args.passes)


def _check_target_fits(args, model) -> None:
    """Refuse, before compiling, a routing target smaller than any stage can be: a stage
    loads a row of the input (⌈log2 d⌉ qubits) and its bound's flag qubit."""
    if not getattr(args, "target", None):
        return
    from qcompile.quantum.state_preparation import axis_qubits
    from qcompile.validate import target_qubits

    size = target_qubits(args.target)
    spec = model.inputs[0]
    least = 2 if spec.kind != "float" else max(1, axis_qubits(spec.shape[-1])) + 1
    if size < least:
        raise QcompileError(f"target '{args.target}' has {size} qubit{'s' if size != 1 else ''}, but every stage "
                            f"of {model.name} needs at least {least}")


def _stage_paths(output: str, stages: int) -> tuple[list[str], str]:
    """``OUT.qasm`` -> ([OUT.qasm, OUT.s1.qasm, ...], OUT.program.json)."""
    from pathlib import Path

    out = Path(output)
    stem, suffix = (out.with_suffix(""), out.suffix) if out.suffix else (out, ".qasm")
    files = [str(out)] + [f"{stem}.s{k}{suffix}" for k in range(1, stages)]
    return files, f"{stem}.program.json"


def _write_json(path: str, data) -> None:
    import json

    _write_text(path, json.dumps(_jsonable(data), indent=2) + "\n")


def _jsonable(obj):
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def _write_text(path: str, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` exactly (no suffix added), a plain error on failure; a
    failed write removes the partial file."""
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        try:
            if os.path.isfile(path):
                os.remove(path)
        except OSError:
            pass
        raise QcompileError(f"cannot write '{path}' ({exc.strerror or exc})") from None


def _same_file(a: str, b: str) -> bool:
    """True when two paths name one file (the same path, or links to one inode)."""
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _check_outputs(outputs: list[tuple[str, str]], inputs: list[tuple[str, str]]) -> None:
    """Refuse, before any work, output paths that cannot be written or would destroy
    something: ``outputs`` and ``inputs`` are ``(what, path)`` pairs.  An output must be a
    non-empty path whose folder exists and is writable, must not be a directory or a
    device (``os.devnull`` is allowed), and must not be an input or another output."""
    for i, (what, path) in enumerate(outputs):
        if not path:
            raise QcompileError(f"{what}: the output path is empty")
        if os.path.isdir(path):
            raise QcompileError(f"cannot write '{path}' ({what}): it is a directory")
        if os.path.exists(path) and not os.path.isfile(path) and path != os.devnull:
            raise QcompileError(f"cannot write '{path}' ({what}): it is not a regular file")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise QcompileError(f"cannot write '{path}' ({what}): the directory '{folder}' does not exist")
        problem = _unwritable(folder)
        if problem is None and os.path.exists(path) and not os.access(path, os.W_OK):
            problem = "Permission denied"
        if problem is not None:
            raise QcompileError(f"cannot write '{path}' ({what}): {problem}")
        for in_what, in_path in inputs:
            if in_path and _same_file(path, in_path):
                raise QcompileError(f"{what} '{path}' would overwrite {in_what}; write it elsewhere")
        for other_what, other in outputs[:i]:
            if _same_file(path, other):
                raise QcompileError(f"{what} and {other_what} would both write '{path}'; give them different paths")


def _unwritable(folder: str) -> str | None:
    """Why no file can be created in ``folder`` (tried with a temporary file, which is
    removed at once: permission bits do not stop root, a read-only or pseudo file system
    does), or None."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def _check_dump_dir(path: str, inputs: list[tuple[str, str]]) -> None:
    """Refuse a ``--dump-dir`` that cannot hold the dump (a file, a device, a read-only or
    missing parent) before any work; say so when it replaces an earlier dump's files."""
    from qcompile.passes.dumps import _DUMP_RE

    for in_what, in_path in inputs:
        if in_path and _same_file(path, in_path):
            raise QcompileError(f"--dump-dir '{path}' is {in_what}")
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise QcompileError(f"--dump-dir '{path}' is not a directory")
        problem = _unwritable(path)
        if problem is not None:
            raise QcompileError(f"--dump-dir '{path}' cannot be written ({problem})")
        old = [n for n in os.listdir(path) if _DUMP_RE.match(n) or n == "index.html"]
        if old:
            print(f"note: --dump-dir '{path}' holds {len(old)} files of an earlier dump; they are replaced "
                  "(other files are left alone)", file=sys.stderr)
        return
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    problem = "not a directory" if not os.path.isdir(parent) else _unwritable(parent)
    if problem is not None:
        raise QcompileError(f"--dump-dir '{path}' cannot be created in '{parent}' ({problem})")


def _dump_dir(path: str):
    """The dump callback, with write failures during the run as plain errors."""
    from qcompile.passes.dumps import DumpDir

    class _Dump(DumpDir):
        def before(self, pass_, ir, index):
            try:
                return super().before(pass_, ir, index)
            except OSError as exc:
                raise QcompileError(f"cannot write the dump into '{path}' ({exc.strerror or exc})") from None

        def after(self, pass_, ir, index, seconds, properties):
            try:
                return super().after(pass_, ir, index, seconds, properties)
            except OSError as exc:
                raise QcompileError(f"cannot write the dump into '{path}' ({exc.strerror or exc})") from None

    return _Dump(path)


def _model_inputs(args) -> list[tuple[str, str]]:
    """The files a command reads, as ``(what, path)`` pairs (outputs must not overwrite them)."""
    out = [("the model file", args.model)]
    for flag in ("bind", "input", "norms"):
        value = getattr(args, flag, None)
        if value:
            out.append((f"the --{flag} file", value))
    return out


def _weights_input(model) -> list[tuple[str, str]]:
    """The model's weights file, once the model is loaded (an input like the others)."""
    src = getattr(model, "weight_source", None)
    if src is None or src.kind != "file" or model.path is None:
        return []
    return [("the model's weights file", os.path.join(os.path.dirname(os.path.abspath(model.path)), src.path))]


def cmd_compile(args) -> int:
    """``qcompile MODEL.qtf -o OUT.qasm``: compile, write one QASM file per stage, the
    program JSON and (``--stats``) the figures."""
    from qcompile.passes.dumps import PrintIRAfter
    from qcompile.passes.manager import TimePasses

    bound = args.bind is not None or args.text is not None
    if args.qasm == 2 and not bound:
        raise BindError("OpenQASM 2 has no input parameters: bind an input with --bind X.npy or "
                        "--text SEQ, or write OpenQASM 3 (--qasm 3, the default)")
    _check_compile_flags(args)
    files, json_path = _stage_paths(args.output, 1)
    outputs = [("-o", args.output), ("the program description", json_path)]
    if args.stats:
        outputs.append(("--stats", args.stats))
    inputs = _model_inputs(args)
    _check_outputs(outputs, inputs)
    if args.dump_dir:
        _check_dump_dir(args.dump_dir, inputs)
    model = _load(args)
    inputs += _weights_input(model)
    _check_outputs(outputs, inputs)
    _check_target_fits(args, model)
    x = _load_input(model, args.bind, args.text, "--bind") if bound else None
    callbacks = []
    if args.print_ir_after_all:
        callbacks.append(PrintIRAfter("all", sys.stdout))
    elif args.print_ir_after:
        _check_compile_pass_names(args.print_ir_after, args)
        callbacks.append(PrintIRAfter(args.print_ir_after, sys.stdout))
    if args.dump_dir:
        callbacks.append(_dump_dir(args.dump_dir))
    timer = TimePasses() if args.time_passes else None
    if timer is not None:
        callbacks.append(timer)
    program = _compile(args, model, callbacks)
    if timer is not None:
        from rich.console import Console

        Console(file=sys.stderr).print(timer.table())
    files, json_path = _stage_paths(args.output, len(program.stages))
    _check_outputs([(f"stage file {k}", f) for k, f in enumerate(files)] + outputs[1:], inputs)
    run = program.run(x) if bound and args.stats else None
    from qcompile.backends.qasm import hierarchical_output

    with hierarchical_output(not args.flat_qasm):
        texts = [program.qasm(args.qasm, x=x, stage=k) for k in range(len(files))]   # all before any write
    for path, text in zip(files, texts):
        _write_text(path, text)
    bound_input = None
    if bound:
        bound_input = {"text": args.text} if args.text is not None else {"file": args.bind}
    description = program.describe(files, bound_input, args.qasm)
    if args.qasm == 3 and not bound:
        description["inputs_note"] = INPUTS_NOTE
    _write_json(json_path, description)
    if args.stats:
        _write_json(args.stats, program.figures(run))
    s = program.stats()
    what = ", ".join(files) if len(files) <= 3 else f"{files[0]} ... {files[-1]}"
    print(f"wrote {what} and {json_path}: {len(files)} stage(s), {s['qubits']} qubits, "
          f"{s['cx']} CX, alpha {program.alpha:.6g}, error bound "
          f"{program.error_bound:.3g}")
    _print_coherent_costs(args, model, program, [x] if bound else [])
    return 0


#: what the OpenQASM 3 inputs are, in program.json (the QASM header says the same)
INPUTS_NOTE = ("each stage file's 'input float[64] NAME_i' parameters are loader angles (state-preparation "
               "rotations computed from the input and, after stage 0, from earlier stages' outputs), not the "
               "input's values; 'qcompile bind MODEL --input x.npy --json params.json' (same compile options) "
               "or qcompile.bind_parameters(program, x) computes them; stages[k].loaders[] says which data "
               "each parameter vector loads")


def cmd_bind(args) -> int:
    """``qcompile bind``: the OpenQASM 3 input values of every stage for one input."""
    from qcompile.binding import bind_parameters

    _check_compile_flags(args)
    inputs = _model_inputs(args)
    _check_outputs([("--json", args.json)], inputs)
    model = _load(args)
    _check_outputs([("--json", args.json)], inputs + _weights_input(model))
    x = _load_input(model, args.input, args.text)
    program = _compile(args, model)
    values = bind_parameters(program, x)
    _write_json(args.json, values)
    n = sum(len(st["inputs"]) for st in values["stages"])
    print(f"wrote {args.json}: {n} input values for {len(values['stages'])} stage(s) of {model.name}")
    return 0


def cmd_ir(args) -> int:
    """``qcompile ir``: run the front-end passes with the requested callbacks, print IR;
    with ``--quantum`` print the quantum IR of the lowering instead."""
    from qcompile.passes.dumps import PrintIRAfter
    from qcompile.passes.manager import TimePasses

    if args.dump_dir:
        _check_dump_dir(args.dump_dir, _model_inputs(args))
    if args.quantum:
        _check_compile_flags(args)
        sys.stdout.write(_lowered(args).to_text())
        return 0
    callbacks = []
    if args.print_ir_after_all:
        callbacks.append(PrintIRAfter("all", sys.stdout))
    elif args.print_ir_after:
        _check_pass_names(args.print_ir_after)
        callbacks.append(PrintIRAfter(args.print_ir_after, sys.stdout))
    if args.dump_dir:
        callbacks.append(_dump_dir(args.dump_dir))
    timer = TimePasses() if args.time_passes else None
    if timer is not None:
        callbacks.append(timer)
    model = _load(args, callbacks=callbacks)
    if not args.print_ir_after_all:
        sys.stdout.write((model.source_ir if args.source else model.ir).to_text())
    if timer is not None:
        from rich.console import Console

        Console(file=sys.stderr).print(timer.table())
    return 0


def _lowered(args):
    """The quantum IR for ``args.model`` as ``compile`` makes it at its default level
    (lowering, IR-level fusion, degree calibration; no circuits)."""
    from qcompile.compiler import lower_quantum

    return lower_quantum(_load(args), args.token, args.tolerance, coherent=args.coherent)


def _backends(text: str) -> tuple[str, ...]:
    """The simulators of a ``--backend`` list (registered names, comma-separated)."""
    from qcompile.backends.registry import get_backend, parse_backends

    names = parse_backends(text)
    for name in names:
        if not get_backend(name).simulates:
            raise get_backend(name).unsupported("simulate")
    return names


class _LazyProgress:
    """A rich progress bar that appears only once the work has taken over a second."""

    def __init__(self, description: str, delay: float = 1.0):
        import time

        self.description, self.delay, self.start = description, delay, time.monotonic()
        self.bar = self.task = None

    def __call__(self, done: int, total: int) -> None:
        import time

        if self.bar is None:
            if time.monotonic() - self.start < self.delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(file=sys.stderr), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.stop()


def cmd_verify(args) -> int:
    """``qcompile verify``: compile once, check random inputs on each backend, print a table
    and a summary; exit 1 if any check fails.  ``--noise``: TVD of the last stage's
    post-selected distribution, unmitigated (and ``--mitigate``d), vs the ideal one."""
    from rich.console import Console

    from qcompile.verification import verify

    if args.mitigate and not args.noise:
        raise QcompileError("--mitigate needs a noise model: add --noise SPEC")
    backends = _backends(args.backend)
    noise = None
    if args.noise:
        from qcompile.mitigation import parse_noise

        noise = parse_noise(args.noise)          # a bad spec fails before compiling
        if args.mitigate:
            from qcompile.mitigation.plan import parse_methods

            parse_methods(args.mitigate)
    if args.scheduler is not None:
        _check_scheduler(args.scheduler)
    _check_compile_flags(args)
    inputs = _model_inputs(args)
    if args.json:
        _check_outputs([("--json", args.json)], inputs)
    model = _load(args)
    if args.json:
        _check_outputs([("--json", args.json)], inputs + _weights_input(model))
    _check_target_fits(args, model)
    _check_simulable(model, backends)
    program = _compile(args, model)
    if noise is not None and len(program.pieces()) > 1:
        from qcompile.errors import NotImplementedYetError

        raise NotImplementedYetError("--noise on a program of several runs (stacked layers or every "
                                     "token) is not implemented yet; compile one token of one layer")
    progress = _LazyProgress(f"verifying {program.model.name}")
    try:
        report = verify(program, inputs=args.inputs, backends=backends, shots=args.shots,
                        seed=args.seed, progress=progress, jobs=args.jobs, scheduler=args.scheduler)
    finally:
        progress.close()
    console = Console(width=max(120, Console().width))
    console.print(_verify_table(program, report, args.shots))
    data = report.to_json()
    data["stats"] = program.figures()
    if noise is not None:
        from qcompile.verification import noise_check

        rows = noise_check(program, args.inputs, noise, backends[0], args.seed, args.shots, args.mitigate)
        console.print(_noise_table(program, rows, args))
        data["noise"] = {"spec": args.noise, "mitigate": args.mitigate, "shots": args.shots, "rows": rows}
    r = report.rows
    failed = sum(not row.ok for row in r)
    console.print(
        f"{'ok' if report.ok else 'FAILED'}: {program.model.name} token {program.token}, "
        f"{len(r) - failed}/{len(r)} runs pass ({args.inputs} inputs x {', '.join(backends)}); "
        f"max surrogate error {max(x.surrogate_error for x in r):.2e} (limit "
        f"{_surrogate_limit(r)}), max exact error {max(x.exact_error for x in r):.2e}, "
        f"max bound {max(x.error_bound for x in r):.2e} (tolerance {program.tolerance:g})",
        highlight=False)
    if args.coherent:
        import numpy as np

        from qcompile.lowering.inputs import random_input

        rng = np.random.default_rng(args.seed)   # the inputs verify drew
        _print_coherent_costs(args, model, program, [random_input(model, rng) for _ in range(args.inputs)],
                              backends[0], console)
    if args.json:
        _write_json(args.json, data)
    return 0 if report.ok else 1


def _check_scheduler(address: str) -> None:
    """Refuse ``--scheduler`` before compiling: an empty address, or Dask's ``distributed``
    not installed."""
    if not address.strip():
        raise QcompileError("--scheduler needs a Dask scheduler address, e.g. tcp://host:8786")
    try:
        import distributed  # noqa: F401
    except ImportError:
        from qcompile.errors import NotSupportedError

        raise NotSupportedError("verify --scheduler needs Dask's distributed package: "
                                "pip install 'qcompile[dask]'") from None


def _check_simulable(model, backends) -> None:
    """Refuse, before compiling, a model too wide for any chosen simulator (the figure
    and the backends that would fit: :func:`qcompile.compiler.check_size`)."""
    from qcompile.compiler import check_size

    for backend in backends:
        check_size(model, backend)


def _verify_table(program, report, shots):
    from rich.table import Table

    s = program.stats()
    table = Table(title=f"verify {program.model.name} (token {program.token}): {s['stages']} stage(s), "
                        f"{s['qubits']} qubits, {s['cx']} CX")
    for col in ("input", "backend", "surrogate err", "exact err", "bound", "success p"):
        table.add_column(col, justify="right")
    if shots:
        table.add_column(f"shots ({shots})", justify="center")
    table.add_column("ok", justify="center")
    for row in report.rows:
        cells = [str(row.input), row.backend, f"{row.surrogate_error:.2e}", f"{row.exact_error:.2e}",
                 f"{row.error_bound:.2e}", f"{row.success_probability:.3g}"]
        if shots:
            cells.append("ok" if row.shots_ok else "FAIL")
        cells.append("ok" if row.ok else "[red]FAIL[/red]")
        table.add_row(*cells)
    return table


def _surrogate_limit(rows) -> str:
    """The surrogate limit as printed: 1e-8, plus the largest allowance for rotations the
    passes dropped when there is one."""
    from qcompile.verification import SURROGATE_TOLERANCE

    extra = max(r.surrogate_limit for r in rows) - SURROGATE_TOLERANCE
    text = f"{SURROGATE_TOLERANCE:.0e}"
    return text if extra <= 0 else f"{text} + {extra:.1e} for dropped rotations"


def _noise_table(program, rows, args):
    from rich.table import Table

    shots = "exact" if args.shots is None else f"{args.shots} shots"
    table = Table(title=f"noisy last stage ({args.noise}, {shots}): TVD vs ideal post-selected distribution")
    cols = ["input", "backend", "post-select rate", "TVD unmitigated"]
    if args.mitigate:
        cols += ["TVD mitigated", "methods"]
    for col in cols:
        table.add_column(col, justify="right")
    for r in rows:
        cells = [str(r["input"]), r["backend"], f"{r['postselection_rate']:.4f}", f"{r['tvd_unmitigated']:.4f}"]
        if args.mitigate:
            cells += [f"{r['tvd_mitigated']:.4f}", ",".join(r["methods"]) or "none"]
        table.add_row(*cells)
    return table


def _print_coherent_costs(args, model, program, inputs, backend: str = "qiskit", console=None) -> None:
    """With ``--coherent``: the one circuit's cost beside the staged program's (the same
    model and options compiled without it), success probabilities on ``inputs``."""
    if not getattr(args, "coherent", False):
        return
    from rich.console import Console
    from rich.table import Table

    from qcompile.coherent import cost_rows
    from qcompile.compiler import compile as qcompile_compile

    staged = qcompile_compile(model, token=getattr(args, "token", "model"), tolerance=args.tolerance,
                              optimization=args.optimization, target=args.target, passes=args.passes)
    rows = cost_rows({"staged": staged, "coherent": program}, inputs, backend)
    what = f" (success p: smallest over {len(inputs)} input(s), per stage)" if inputs else ""
    table = Table(title=f"{program.model.name}: coherent vs staged{what}")
    for col in ("mode", "stages", "qubits", "CX", "depth", "success p", "repetitions"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    for r in rows:
        table.add_row(r["mode"], str(r["stages"]), str(r["qubits"]), str(r["cx"]), str(r["depth"]),
                      ", ".join(f"{p:.3g}" for p in r["success_probability"]) or "-",
                      "-" if r["repetitions"] is None else f"{r['repetitions']:.1f}")
    (console or Console(width=max(120, Console().width))).print(table)


def cmd_run(args) -> int:
    """``qcompile run``: compile, run on one input, print the output beside the exact and
    surrogate references (and, with shots, the estimated probabilities)."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    backends = _backends(args.backend)
    if len(backends) != 1:
        raise QcompileError(f"run simulates on one backend, got {len(backends)}: {', '.join(backends)}")
    backend = backends[0]
    _check_compile_flags(args)
    model = _load(args)
    _check_target_fits(args, model)
    _check_simulable(model, backends)
    x = _load_input(model, args.bind, args.text, "--bind")
    program = _compile(args, model)
    res = program.run(x, backend=backend, shots=args.shots, seed=args.seed)
    exact, sur = (np.ravel(v) for v in program.references(x))
    y = np.ravel(res.output)
    table = Table(title=f"{program.model.name}: output of token {program.token} on {backend}")
    for col in ("k", "compiled", "surrogate", "exact", "|c - exact|"):
        table.add_column(col, justify="right", no_wrap=True)
    if args.shots:
        table.add_column("p estimated ± se", justify="right", no_wrap=True)
        table.add_column("|y_k|²/‖y‖²", justify="right", no_wrap=True)
        target = y ** 2 / np.sum(y ** 2)
    width = np.shape(res.output)[-1]
    for k in range(len(y)):
        label = f"{k // width}.{k % width}" if np.ndim(res.output) == 2 else str(k)  # token.feature
        cells = [label, f"{y[k]:.8f}", f"{sur[k]:.8f}", f"{exact[k]:.8f}", f"{abs(y[k] - exact[k]):.2e}"]
        if args.shots:
            cells += [f"{res.probabilities[k]:.5f} ± {res.standard_errors[k]:.5f}", f"{target[k]:.5f}"]
        table.add_row(*cells)
    console = Console(width=max(120, Console().width))
    console.print(table)
    if args.shots:
        console.print(f"{res.kept_shots} of {args.shots} shots passed post-selection", highlight=False)
    console.print(f"max |compiled - surrogate| = {np.max(np.abs(y - sur)):.2e}; "
                  f"max |compiled - exact| = {np.max(np.abs(y - exact)):.2e}; error bound "
                  f"{res.error_bound:.3e}; success probability {res.success_probability:.3g}; "
                  f"alpha {program.alpha:.6g}", highlight=False)
    _print_success(program, res, console)
    _print_coherent_costs(args, model, program, [x], backend, console)
    return 0


def _print_success(program, run, console) -> None:
    """Per stage: the run's success probability, its certified bounds, repetitions and
    shots (:mod:`qcompile.success`)."""
    from rich.table import Table

    from qcompile.success import success_report, success_table_rows

    head, cells = success_table_rows(success_report(program, run))
    table = Table(title="success probability per stage", show_header=True, header_style="bold")
    for col in head:
        table.add_column(col, justify="left" if col in ("stage", "amplified") else "right")
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _check_compile_pass_names(names, args) -> None:
    """Refuse ``--print-ir-after NAME`` for a pass the compile pipeline does not run."""
    from qcompile.passes.manager import get_pass
    from qcompile.passes.pipelines import compile_pipeline

    known = [p.name for p in compile_pipeline(0, args.tolerance, optimization=args.optimization,
                                              target=args.target, passes=args.passes,
                                              coherent=args.coherent)]
    for name in names:
        get_pass(name)  # unknown names: PassError with suggestions
        if name not in known:
            raise QcompileError(f"pass '{name}' is not part of this compile's pipeline ({', '.join(known)})")


def _check_pass_names(names) -> None:
    from qcompile.model import default_pipeline
    from qcompile.passes.manager import get_pass

    known = {p.name for p in default_pipeline()}
    for name in names:
        get_pass(name)  # unknown names: PassError with suggestions
        if name not in known:
            raise QcompileError(f"pass '{name}' is not part of the front-end pipeline "
                                f"({', '.join(sorted(known))})")


def _load_input(model, path, text, flag: str = "--input"):
    """The user's input: ``text`` for a text model, else the .npy array at ``path`` (a
    regular file whose header says the model's input shape and a real dtype, checked
    before its data is read)."""
    from qcompile.files import read_npy

    if len(model.inputs) > 1:
        raise BindError("the model has several inputs; the CLI supports one")
    spec = model.inputs[0]
    if text is not None:
        if spec.kind != "text":
            raise BindError(f"{flag.replace('--input', '--text').replace('--bind', '--text')} needs a model "
                            f"with a text input; model '{model.name}' takes an array (use {flag} X.npy)")
        return text
    return read_npy(path, "input file", tuple(spec.shape), BindError)


def cmd_reference(args) -> int:
    """``qcompile reference``: print every token's output; save it with ``--output``."""
    import numpy as np

    import io

    from qcompile.reference import reference

    inputs = _model_inputs(args)
    if args.output:
        _check_outputs([("--output", args.output)], inputs)
    model = _load(args)
    if args.output:
        _check_outputs([("--output", args.output)], inputs + _weights_input(model))
    x = _load_input(model, args.input, args.text)
    polys = None
    if args.mode == "surrogate":
        from qcompile.compiler import lower_quantum

        polys = lower_quantum(model, "model", args.tolerance).polynomials()
    y = reference(model, x, mode=args.mode, polynomials=polys)
    if args.output:
        buf = io.BytesIO()
        np.save(buf, y, allow_pickle=False)
        _write_bytes(args.output, buf.getvalue())      # exactly this path: no '.npy' appended
    _print_table(model, y)
    return 0


def _print_table(model, y) -> None:
    from rich.console import Console
    from rich.table import Table

    token = model.output.token
    y2 = y.reshape(y.shape[0], -1)
    cols = y2.shape[1]
    shown = list(range(cols)) if cols <= 12 else list(range(6)) + list(range(cols - 6, cols))
    table = Table(title=f"{model.name}: reference output [{y.shape[0]} tokens x {cols}]"
                  + ("" if token == "all" else f", output token {token} marked *"))
    table.add_column("token", justify="right")
    for j, c in enumerate(shown):
        if cols > 12 and j == 6:
            table.add_column("…")
        table.add_column(str(c), justify="right")
    for t in range(y2.shape[0]):
        row = [f"{t}*" if token != "all" and t == token else str(t)]
        for j, c in enumerate(shown):
            if cols > 12 and j == 6:
                row.append("…")
            row.append(f"{y2[t, c]:.6f}")
        table.add_row(*row)
    Console(width=max(80, 12 * (len(shown) + 2))).print(table)


def cmd_check(args) -> int:
    """``qcompile check``: load and verify the model; print a one-line summary."""
    model = _load(args)
    stats = model.ir.stats()
    ins = ", ".join(_describe_input(s) for s in model.inputs)
    token = model.output.token
    out = "all tokens" if token == "all" else f"token {token}"
    print(f"ok: model {model.name}: input {ins}; {stats['nodes']} ops; {stats['weights']} "
          f"weights ({stats['parameters']} parameters); output {model.output.name} {out}")
    print(f"compile: {_compile_verdict(model)}")
    return 0


def _compile_verdict(model) -> str:
    """What ``qcompile MODEL -o OUT`` will say about the model's size, before any lowering:
    "within the size limits" or the size check's refusal."""
    from qcompile.compiler import check_size

    try:
        check_size(model)
    except QcompileError as exc:
        return f"refused: {exc.message}"
    return "within the size limits (a tolerance it cannot calibrate is refused when compiling)"


def _describe_input(spec) -> str:
    shape = "[" + ", ".join(map(str, spec.shape)) + "]"
    if spec.kind == "float":
        per_token = "" if spec.row_bound is None else f" ({spec.row_bound:g} per token)"
        return f"{spec.name} {shape} bound {spec.bound:g}{per_token}"
    if spec.kind == "tokens":
        return f"{spec.name} int{shape} vocab {spec.vocab}"
    return f"{spec.name} text{shape} alphabet \"{spec.alphabet}\""


def _parse_dims(text: str | None) -> dict:
    """``d_model=4096,seq=4096`` as a dict; a plain error for anything else."""
    from qcompile.errors import QcompileError

    out = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name.isidentifier() or not re.fullmatch(r"\d+", value) or int(value[:30]) < 1:
            raise QcompileError(f"--set takes dims as NAME=N[,NAME=N...] with N a positive whole number, "
                                f"got {_shown(part.strip())}")
        if len(value.lstrip("0")) > 20 or int(value) > MAX_DIM:
            raise QcompileError(f"--set {name}={_shown(value)[1:-1]} is above the limit of {MAX_DIM:,} for a dim")
        out[name] = int(value)
    return out


def _count(n) -> str:
    """A gate count for a table cell: digits with separators up to 10⁷, then 3 significant
    digits (``4.88e+16``), so LLM-sized figures fit their column."""
    return f"{n:,}" if n < 10_000_000 else f"{n:.3g}"


def cmd_resources(args) -> int:
    """``qcompile resources``: resource estimate from the quantum IR (a table and JSON)."""
    from rich.console import Console
    from rich.table import Table

    from qcompile.resources.api import estimate
    from qcompile.resources.norms import load_norms

    dims = _parse_dims(args.dims)
    qubit_models = _physical_flags(args)
    if args.json:
        _check_outputs([("--json", args.json)], _model_inputs(args))
    norms = load_norms(args.norms) if args.norms else None
    rep = estimate(args.model, dims=dims, optimization=args.optimization,
                   tolerance=args.tolerance, norms=norms, token=args.token, method=args.method,
                   mode=args.mode, coherent=args.coherent)
    dims = ", ".join(f"{k}={v}" for k, v in rep.dims.items())
    console = Console(width=max(120, Console().width))
    console.print(f"{rep.model} ({dims}); token {rep.token}; tolerance {rep.tolerance:g}; -O{rep.optimization}; "
                  f"{rep.method}; quantum IR: {rep.mode}")
    table = Table(show_header=True, header_style="bold")
    for col in ("stage", "qubits", "out", "anc", "CX", "rotations", "T est.", "depth ≤",
                "log10 α", "p (|y|=1)", "degrees"):
        table.add_column(col, justify="right" if col != "degrees" else "left")
    for s in rep.stages:
        table.add_row(str(s.index), str(s.qubits), str(s.output_qubits), str(s.ancillas), _count(s.cx),
                      _count(s.rotations), _count(s.t_count), _count(s.depth_bound), f"{s.log10_alpha:.2f}",
                      f"{s.success_probability:.2e}" if s.success_probability > 0 else f"1e{-2 * s.log10_alpha:.0f}",
                      ", ".join(f"{k} {v}" for k, v in s.degrees.items()) or "-")
    tot = rep.totals()
    table.add_row("total", str(rep.qubits), "", "", _count(tot['per_run']['cx']), _count(tot['per_run']['rotations']),
                  _count(tot['per_run']['t_count']), _count(tot['per_run']['depth_bound']), "", "", "")
    console.print(table)
    if rep.layers > 1:
        console.print(f"{rep.layers} layers: {rep.runs:,} runs of these circuits (seq × (layers − 1) + 1); "
                      f"CX over all runs {tot['all_runs']['cx']:.3e}, T {tot['all_runs']['t_count']:.3e}")
    if rep.note:
        console.print(f"note: {rep.note}")
    if norms and rep.mode == "compiled":
        console.print("note: --norms is not used here: this model is small enough to be estimated from its own "
                      "weights (compiled mode); add --mode abstract to estimate it from the given norms",
                      highlight=False)
    console.print("figures: " + "; ".join(f"{k} {v}" for k, v in rep.exactness.items()))
    amplification = _print_amplification(rep, console)
    console.print(f"estimated in {rep.seconds:.2f} s")
    data = rep.to_dict()
    data["amplification"] = amplification
    if args.physical:
        data["physical"] = _physical_resources(args, qubit_models, dims=_parse_dims(args.dims), norms=norms,
                                               console=console).to_dict()
    if args.json:
        _write_json(args.json, data)
    return 0


def _print_amplification(rep, console) -> dict:
    """Per stage, repetitions per post-selected sample without and with amplitude
    amplification (:mod:`qcompile.resources.amplification`), printed; returned as JSON."""
    from rich.table import Table

    from qcompile.resources.amplification import (
        amplification_estimates, amplification_summary, amplification_table,
    )

    rows = amplification_estimates(rep)
    head, cells = amplification_table(rows)
    table = Table(show_header=True, header_style="bold", title="amplitude amplification (log10 figures)")
    for col in head:
        table.add_column(col, justify="right" if col != "p from" else "left")
    for row in cells:
        table.add_row(*row)
    console.print(table)
    summary = amplification_summary(rows, rep.runs)
    console.print(f"all runs, per post-selected sample of every stage: log10 CX plain {summary['log10_cx_plain']:.2f}, "
                  f"exact amplification {summary['log10_cx_exact']:.2f}, fixed point "
                  f"{summary['log10_cx_fixed_point']:.2f}", highlight=False)
    return {"stages": [r.to_dict() for r in rows], "summary": summary}


def _physical_flags(args) -> tuple[str, ...]:
    """The qubit models of ``resources --physical``, checked before any work: known
    models, the estimator installed, no flag the physical estimate cannot honour."""
    from qcompile.resources.physical import DEFAULT_QUBIT_MODELS, QUBIT_MODELS, estimator_module

    if not args.physical:
        for flag, value in (("--qubit-model", args.qubit_model), ("--error-budget", args.error_budget)):
            if value is not None:
                raise QcompileError(f"{flag} applies to physical estimates: add --physical")
        return ()
    if args.qubit_model is None:
        models = DEFAULT_QUBIT_MODELS
    else:
        models = tuple(dict.fromkeys(m.strip() for m in args.qubit_model.split(",") if m.strip()))
        if not models:
            raise QcompileError("--qubit-model needs at least one qubit model, e.g. qubit_gate_ns_e3")
        unknown = [m for m in models if m not in QUBIT_MODELS]
        if unknown:
            raise QcompileError(f"unknown qubit model {_shown(unknown[0])}; the estimator's models are "
                                f"{', '.join(QUBIT_MODELS)}")
    if args.token != "model" or args.method != "dilation":
        from qcompile.errors import NotImplementedYetError

        raise NotImplementedYetError("--physical estimates the model's own output token with the dilation "
                                     "encoding; --token and --method are not implemented for it yet")
    estimator_module()          # says how to install the estimator before any work
    return models


def _physical_resources(args, qubit_models, dims, norms, console):
    """``resources --physical``: the estimator's figures per qubit model, printed as a
    table; returns the :class:`~qcompile.resources.physical.PhysicalReport`."""
    from rich.table import Table

    from qcompile.resources.physical import DEFAULT_ERROR_BUDGET, format_runtime, physical_resources

    budget = DEFAULT_ERROR_BUDGET if args.error_budget is None else args.error_budget
    mode = {"auto": "auto", "compiled": "compiled", "abstract": "estimate"}[args.mode]
    phys = physical_resources(args.model, qubit_models, budget, tolerance=args.tolerance,
                              optimization=args.optimization, dims=dims or None, norms=norms, mode=mode)
    c = phys.counts
    console.print(f"physical resources (Microsoft's resource estimator), error budget {budget:g}; logical "
                  f"counts from the {c.source}, {phys.runs:,} run(s): {c.num_qubits} qubits, T {_count(c.t_count)}, "
                  f"rotations {_count(c.rotation_count)} (depth {_count(c.rotation_depth)}), "
                  f"CCZ {_count(c.ccz_count)}, measurements {_count(c.measurement_count)}", highlight=False)
    table = Table(show_header=True, header_style="bold")
    for col in ("qubit model", "physical qubits", "runtime", "code distance", "T factories"):
        table.add_column(col, justify="right" if col != "qubit model" else "left")
    for e in phys.estimates:
        table.add_row(e.qubit_model, "-" if e.physical_qubits is None else _count(e.physical_qubits),
                      format_runtime(e.runtime_ns), "-" if e.code_distance is None else str(e.code_distance),
                      "-" if e.t_factories is None else str(e.t_factories))
    console.print(table)
    for e in phys.estimates:
        if e.error:
            console.print(f"note: {e.qubit_model}: no layout found: {e.error}", highlight=False)
        elif e.segments > 1:
            console.print(f"note: {e.qubit_model}: estimated as {e.segments:,} equal sequential parts (counts beyond "
                          f"the estimator's integers), each with 1/{e.segments:,} of the error budget",
                          highlight=False)
    return phys


def cmd_passes(args) -> int:
    """``qcompile passes``: list every registered pass."""
    from qcompile.passes.manager import available_passes

    for name, kind, description in available_passes():
        print(f"{name:24s} {kind:15s} {description}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
