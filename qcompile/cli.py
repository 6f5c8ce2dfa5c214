"""The ``qcompile`` command line.

::

    qcompile MODEL.qtf -o OUT.qasm          compile (lowering lands in a later issue)
    qcompile ir MODEL.qtf [--print-ir-after-all] [--print-ir-after NAME] [--dump-dir D]
                          [--time-passes] [--source]
    qcompile reference MODEL.qtf (--input X.npy | --text SEQ) [--output Y.npy]
                          [--mode exact|surrogate]
    qcompile check MODEL.qtf
    qcompile passes

Exit status: 0 success, 2 user error (one message, no traceback) or bad flags, 3 internal
error.  ``--debug`` (anywhere) shows tracebacks.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from qcompile.errors import BindError, NotImplementedYetError, QcompileError

COMMANDS = ("compile", "ir", "reference", "check", "passes")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="qcompile",
        description="Compile transformer models written in .qtf into quantum circuits.",
        epilog="Without a command, 'qcompile MODEL.qtf -o OUT.qasm' runs 'compile'. "
               "Add --debug anywhere to see tracebacks.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("compile", help="compile a model to a circuit (default command)")
    c.add_argument("model", metavar="MODEL.qtf")
    c.add_argument("-o", "--output", metavar="OUT.qasm", help="where to write the circuit")
    c.set_defaults(func=cmd_compile)

    i = sub.add_parser("ir", help="print the tensor IR after the front-end passes")
    i.add_argument("model", metavar="MODEL.qtf")
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
    src.add_argument("--text", metavar="SEQ", help="input text for a text model, e.g. MKTAYIAK")
    r.add_argument("--output", metavar="Y.npy", help="save every token's output here")
    r.add_argument("--mode", choices=("exact", "surrogate"), default="exact")
    r.set_defaults(func=cmd_reference)

    k = sub.add_parser("check", help="parse, build and verify a model; print a summary")
    k.add_argument("model", metavar="MODEL.qtf")
    k.set_defaults(func=cmd_check)

    s = sub.add_parser("passes", help="list the available passes")
    s.set_defaults(func=cmd_passes)
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
    try:
        return args.func(args) or 0
    except QcompileError as err:
        if debug:
            traceback.print_exc()
        print(str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the last line of defence
        if debug:
            traceback.print_exc()
        else:
            print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
            print("this is a bug in qcompile; rerun with --debug to see the traceback",
                  file=sys.stderr)
        return 3


# --------------------------------------------------------------------------- commands
def cmd_compile(args) -> int:
    """``qcompile MODEL.qtf -o OUT.qasm``: checks the model, then reports that lowering
    to circuits is not implemented yet (exit 2)."""
    from qcompile.model import load

    load(args.model)
    raise NotImplementedYetError(
        "lowering to quantum circuits is not implemented yet; for now use 'qcompile ir', "
        "'qcompile reference' or 'qcompile check' on this model")


def cmd_ir(args) -> int:
    """``qcompile ir``: run the front-end passes with the requested callbacks, print IR."""
    from qcompile.model import load
    from qcompile.passes.manager import DumpDir, PrintIRAfter, TimePasses

    callbacks = []
    if args.print_ir_after_all:
        callbacks.append(PrintIRAfter("all", sys.stdout))
    elif args.print_ir_after:
        _check_pass_names(args.print_ir_after)
        callbacks.append(PrintIRAfter(args.print_ir_after, sys.stdout))
    if args.dump_dir:
        callbacks.append(DumpDir(args.dump_dir))
    timer = TimePasses() if args.time_passes else None
    if timer is not None:
        callbacks.append(timer)
    model = load(args.model, callbacks=callbacks)
    if not args.print_ir_after_all:
        sys.stdout.write((model.source_ir if args.source else model.ir).to_text())
    if timer is not None:
        from rich.console import Console

        Console(file=sys.stderr).print(timer.table())
    return 0


def _check_pass_names(names) -> None:
    from qcompile.model import default_pipeline
    from qcompile.passes.manager import get_pass

    known = {p.name for p in default_pipeline()}
    for name in names:
        get_pass(name)  # unknown names: PassError with suggestions
        if name not in known:
            raise QcompileError(f"pass '{name}' is not part of the front-end pipeline "
                                f"({', '.join(sorted(known))})")


def _load_input(model, args):
    import numpy as np

    if args.text is not None:
        if not any(s.kind == "text" for s in model.inputs):
            raise BindError(f"--text needs a model with a text input; model '{model.name}' "
                            "takes an array (use --input X.npy)")
        return args.text
    try:
        return np.load(args.input, allow_pickle=False)
    except FileNotFoundError:
        raise BindError(f"input file '{args.input}' does not exist") from None
    except (OSError, ValueError, EOFError) as exc:
        raise BindError(f"input file '{args.input}' is not a readable .npy array ({exc})") \
            from None


def cmd_reference(args) -> int:
    """``qcompile reference``: print every token's output; save it with ``--output``."""
    import numpy as np

    from qcompile.model import load
    from qcompile.reference import reference

    model = load(args.model)
    if args.mode == "surrogate":
        raise NotImplementedYetError(
            "surrogate mode needs the polynomials the compiler chooses for each nonlinear "
            "op, and lowering is not implemented yet; from Python, pass them as "
            "qcompile.reference(model, x, mode='surrogate', polynomials={node: f})")
    x = _load_input(model, args)
    if isinstance(x, np.ndarray) and len(model.inputs) > 1:
        raise BindError("the model has several inputs; the CLI supports one")
    y = reference(model, x, mode=args.mode)
    if args.output:
        try:
            np.save(args.output, y, allow_pickle=False)
        except OSError as exc:
            raise QcompileError(f"cannot write '{args.output}' ({exc.strerror})") from None
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
    from qcompile.model import load

    model = load(args.model)
    stats = model.ir.stats()
    ins = ", ".join(_describe_input(s) for s in model.inputs)
    token = model.output.token
    out = "all tokens" if token == "all" else f"token {token}"
    print(f"ok: model {model.name}: input {ins}; {stats['nodes']} ops; {stats['weights']} "
          f"weights ({stats['parameters']} parameters); output {model.output.name} {out}")
    return 0


def _describe_input(spec) -> str:
    shape = "[" + ", ".join(map(str, spec.shape)) + "]"
    if spec.kind == "float":
        return f"{spec.name} {shape} bound {spec.bound:g}"
    if spec.kind == "tokens":
        return f"{spec.name} int{shape} vocab {spec.vocab}"
    return f"{spec.name} text{shape} alphabet \"{spec.alphabet}\""


def cmd_passes(args) -> int:
    """``qcompile passes``: list every registered pass."""
    from qcompile.passes.manager import available_passes

    for name, kind, description in available_passes():
        print(f"{name:24s} {kind:15s} {description}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
