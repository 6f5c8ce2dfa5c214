"""Resource-estimation report: how qubits, CX, α and success probability grow with seq,
d_model and tolerance for the shipped configurations, and how compile time grows with
circuit size.

    python benchmarks/report.py [--out DIR] [--quick]

Writes ``DIR/report.md``, ``DIR/*.png`` and the raw figures as ``DIR/data.json``
(default ``DIR`` = ``benchmarks/report_out``).  ``--quick`` runs a tiny sweep (two points
per sweep, two compiled examples) as a smoke test.  Needs matplotlib (the ``plots`` extra).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEFAULT_OUT = ROOT / "benchmarks" / "report_out"
CONFIGS = ["gpt2_small", "gpt2_medium", "bert_base", "llama2_7b"]
COMPILABLE = ["linear", "mlp", "attention_head", "attention", "encoder_block", "encoder_prenorm",
              "protein_tiny"]
TOLERANCES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
#: small examples whose physical estimates count their compiled circuits
PHYSICAL_SMALL = ["linear", "mlp", "attention_head", "encoder_block"]
#: qubit models of the physical-resources table
PHYSICAL_MODELS = ["qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_maj_ns_e4"]
SEQ_START = 64
WARMUP_TOLERANCE = 1e-2
DPI = 100


# ---------------------------------------------------------------- measurements

def point(report) -> dict:
    """The plotted figures of one :class:`~qcompile.resources.api.ResourceReport`.

    ``log10_p_min`` is ``-2·max log10 α``: the smallest stage success probability for a
    unit-norm output, computed in the log domain because ``1/α²`` underflows to 0.
    """
    alphas = [s.log10_alpha for s in report.stages]
    totals = report.totals()
    degrees: dict = {}
    for s in report.stages:
        for key, deg in s.degrees.items():
            fn = key.split()[-1]
            degrees[fn] = max(degrees.get(fn, 0), int(deg))
    return {"dims": dict(report.dims), "mode": report.mode, "qubits": int(report.qubits),
            "cx": int(report.cx), "runs": int(report.runs), "cx_all_runs": int(totals["all_runs"]["cx"]),
            "t_all_runs": int(totals["all_runs"]["t_count"]), "max_log10_alpha": max(alphas),
            "log10_p_min": -2.0 * max(alphas), "degrees": degrees, "seconds": report.seconds,
            "exactness": dict(report.exactness)}


def measure(config: str, dims: dict | None = None, tolerance: float = 1e-3) -> dict:
    """Estimate one configuration at ``dims`` overrides; ``{"error": ...}`` if the API refuses."""
    from qcompile.errors import QcompileError
    from qcompile.resources.api import estimate

    try:
        rep = estimate(str(EXAMPLES / f"{config}.qtf"), dims=dims or None, tolerance=tolerance)
    except QcompileError as exc:
        return {"error": str(exc).splitlines()[0], "dims": dict(dims or {}), "tolerance": tolerance}
    return {**point(rep), "tolerance": tolerance}


def physical(names: list[str], log) -> dict:
    """Physical estimates (:func:`qcompile.resources.physical.physical_resources`) of each
    model under :data:`PHYSICAL_MODELS`; ``{"missing": why}`` without the estimator."""
    from qcompile.errors import QcompileError
    from qcompile.resources.physical import EstimatorMissingError, physical_resources

    out: dict = {}
    for name in names:
        log(f"physical estimate of {name}")
        try:
            out[name] = physical_resources(str(EXAMPLES / f"{name}.qtf"), PHYSICAL_MODELS).to_dict()
        except EstimatorMissingError as exc:
            return {"missing": str(exc)}
        except QcompileError as exc:
            out[name] = {"error": str(exc).splitlines()[0]}
    return out


def physical_lines(phys: dict) -> list[str]:
    """The physical-resources section of the report."""
    from qcompile.resources.physical import format_runtime

    lines = ["", "## Physical resources (Microsoft's resource estimator)", ""]
    if "missing" in phys:
        return lines + [f"Not estimated: {phys['missing']}.", ""]
    lines += ["Logical counts handed to the estimator (`qcompile resources MODEL --physical`), error budget "
              "1e-3, the estimator's surface code; runtimes over all runs. Small examples: the compiled "
              "circuits lowered to CX + 1q, counted with the estimator's rules (the estimator traces the same "
              "counts from the same circuits). Configurations: the estimate's counts, every rotation a "
              "rotation and the rotation depth bounded by the rotation count (upper bounds), estimated in "
              "equal parts where the counts exceed the estimator's 64-bit integers (exact for its model).",
              ""]
    rows = []
    for name, r in phys.items():
        if "error" in r:
            rows.append([name, "error: " + r["error"]] + [""] * 7)
            continue
        c = r["logical_counts"]
        for e in r["estimates"]:
            if e["error"]:
                fig = ["no layout: " + e["error"].split(": ")[-1][:90], "", "", ""]
            else:
                fig = [sci(e["physical_qubits"]), format_runtime(e["runtime_ns"]), str(e["code_distance"]),
                       str(e["t_factories"])]
            rows.append([name, sci(r["runs"]), str(c["num_qubits"]), sci(c["t_count"]), sci(c["rotation_count"]),
                         sci(c["ccz_count"]), e["qubit_model"]] + fig)
    return lines + _table(["model", "runs", "logical qubits", "T", "rotations", "CCZ", "qubit model",
                           "physical qubits", "runtime", "code distance", "T factories"], rows)


def seq_points(full: int, quick: bool) -> list[int]:
    """64, 128, … up to and including the shipped ``full`` (first two only with ``quick``)."""
    pts, s = [], SEQ_START
    while s < full:
        pts.append(s)
        s *= 2
    pts.append(full)
    return pts[:2] if quick else pts


def d_model_points(full: int, heads: int, quick: bool) -> list[int]:
    """``full/8, full/4, full/2, full``, each rounded down to a multiple of ``heads``
    (at least ``heads``); the two smallest with ``quick``."""
    pts = sorted({max(heads, (full // 2 ** k) // heads * heads) for k in (3, 2, 1, 0)})
    return pts[:2] if quick else pts


def sweeps(shipped: dict, quick: bool, log) -> dict:
    """The seq, d_model and tolerance sweeps: ``{sweep: {config: [(x, point), ...]}}``."""
    out: dict = {"seq": {}, "d_model": {}, "tolerance": {}}
    for cfg in CONFIGS:
        dims = shipped[cfg]["dims"]
        out["seq"][cfg] = [(s, measure(cfg, {"seq": s})) for s in seq_points(int(dims["seq"]), quick)]
        log(f"  seq sweep {cfg}: {len(out['seq'][cfg])} points")
        ratio = dims["d_ff"] / dims["d_model"]  # d_ff follows d_model at the shipped ratio
        out["d_model"][cfg] = [(d, measure(cfg, {"d_model": d, "d_ff": round(ratio * d)}))
                               for d in d_model_points(int(dims["d_model"]), int(dims["heads"]), quick)]
        log(f"  d_model sweep {cfg}: {len(out['d_model'][cfg])} points")
        tols = [TOLERANCES[0], TOLERANCES[2]] if quick else TOLERANCES
        out["tolerance"][cfg] = [(t, measure(cfg, None, t)) for t in tols]
        log(f"  tolerance sweep {cfg}: {len(out['tolerance'][cfg])} points")
    return out


def compile_times(names: list[str], log) -> list[dict]:
    """Wall time of ``estimate(path)`` and ``qcompile.compile(path)`` (both at the default -O1) per
    example, with the compiled program's CX and qubits.  One untimed warm-up of both calls
    on ``linear`` at another tolerance (``WARMUP_TOLERANCE``) absorbs the imports first;
    each model is then estimated, then compiled."""
    import qcompile
    from qcompile.resources.api import estimate

    warm = str(EXAMPLES / "linear.qtf")
    estimate(warm, tolerance=WARMUP_TOLERANCE)
    qcompile.compile(warm, tolerance=WARMUP_TOLERANCE)
    rows = []
    for name in names:
        path = str(EXAMPLES / f"{name}.qtf")
        t0 = time.perf_counter()
        try:
            rep = estimate(path)
        except qcompile.QcompileError as exc:
            rows.append({"name": name, "error": f"estimate: {str(exc).splitlines()[0]}"})
            continue
        est_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            prog = qcompile.compile(path)
        except qcompile.QcompileError as exc:
            rows.append({"name": name, "error": f"compile: {str(exc).splitlines()[0]}"})
            continue
        comp_s = time.perf_counter() - t0
        stats = prog.stats()
        rows.append({"name": name, "cx": int(stats["cx"]), "qubits": int(stats["qubits"]),
                     "estimate_cx": int(rep.cx), "estimate_qubits": int(rep.qubits), "estimate_mode": rep.mode,
                     "exactness": dict(rep.exactness),
                     "compile_s": comp_s, "estimate_s": est_s})
        log(f"  {name}: compile {comp_s:.2f} s, estimate {est_s:.2f} s, CX {stats['cx']}")
    return rows


# ---------------------------------------------------------------- plots

PANELS = [("qubits", "qubits (widest stage)", "linear"),
          ("cx", "CX per run", "log"),
          ("max_log10_alpha", "max log10 α over stages", "log"),
          ("log10_p_min", "log10 min success probability (unit-norm output)", "neglog")]


def plot_sweep(name: str, xlabel: str, data: dict, path: Path) -> None:
    """A 2×2 figure (qubits, CX per run, max log10 α, log10 p_min) vs the swept value,
    one line per configuration; failed points are left out.  A ``"log"`` panel falls back
    to a linear axis if a value is not positive; the ``"neglog"`` panel plots ``−log10 p``
    on a log axis when every ``log10 p`` is negative (else ``log10 p`` on a symlog axis)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5))
    for ax, (key, label, scale) in zip(axes.flat, PANELS):
        series = {cfg: [(x, float(p[key])) for x, p in pts if "error" not in p] for cfg, pts in data.items()}
        values = [v for pts in series.values() for _, v in pts]
        flip = scale == "neglog" and values and max(values) < 0
        for cfg, pts in series.items():
            if pts:
                ax.plot([x for x, _ in pts], [-v if flip else v for _, v in pts], marker="o", ms=3, label=cfg)
        ax.set_xscale("log")
        if flip or (scale == "log" and values and min(values) > 0):
            ax.set_yscale("log")
        elif scale == "neglog":
            ax.set_yscale("symlog", linthresh=1.0)
        ax.set_title("−" + label if flip else label, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"resources vs {name}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_compile(rows: list[dict], path: Path) -> None:
    """Log-log scatter of compile time (and estimate time) vs the compiled CX, labelled."""
    import matplotlib.pyplot as plt

    ok = [r for r in rows if "error" not in r]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter([r["cx"] for r in ok], [r["compile_s"] for r in ok], label="compile (-O1)", marker="o")
    ax.scatter([r["cx"] for r in ok], [r["estimate_s"] for r in ok], label="estimate", marker="x")
    for i, r in enumerate(sorted(ok, key=lambda r: r["cx"])):  # stagger labels of close points
        ax.annotate(r["name"], (r["cx"], r["compile_s"]), fontsize=7, xytext=(-50, -14 - 10 * (i % 3)),
                    textcoords="offset points", arrowprops={"arrowstyle": "-", "lw": 0.4, "alpha": 0.5})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("CX of the compiled program (-O1)")
    ax.set_ylabel("seconds")
    ax.set_title("compile and estimate time vs circuit size", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# ---------------------------------------------------------------- text

def sci(v: float) -> str:
    """A compact number: integers below 10⁶ as is, anything else to 3 significant digits."""
    if isinstance(v, int) and abs(v) < 10 ** 6:
        return str(v)
    return f"{float(v):.3g}"


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log10 y against log10 x (None with fewer than 2 points)."""
    pts = [(math.log10(x), math.log10(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return None if den == 0 else sum((p[0] - mx) * (p[1] - my) for p in pts) / den


def _span(data: dict, key: str) -> list[tuple[str, object, object, object, object]]:
    """Per configuration: (config, first x, last x, first value, last value) of ``key``."""
    out = []
    for cfg, pts in data.items():
        ok = [(x, p[key]) for x, p in pts if "error" not in p]
        if ok:
            out.append((cfg, ok[0][0], ok[-1][0], ok[0][1], ok[-1][1]))
    return out


def _range(vals: list[float], fmt: str = "{:.2f}") -> str:
    """``"lo–hi"`` of the non-None ``vals`` (one value if both format alike; "n/a" if none)."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "n/a"
    lo, hi = min(vals), max(vals)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"


def describe_sweep(var: str, data: dict) -> list[str]:
    """One data-derived sentence per panel of a sweep figure (plus the degrees for the
    tolerance sweep).  Growth exponents are least-squares log–log slopes against ``var``
    (against ``1/tolerance`` for the tolerance sweep)."""
    inv = var == "tolerance"
    xname = "1/tolerance" if inv else var

    def series(key):
        out = {}
        for cfg, pts in data.items():
            ok = [(1.0 / x if inv else float(x), p[key]) for x, p in pts if "error" not in p]
            if ok:
                out[cfg] = ok
        return out

    def ends(key, fmt):
        return "; ".join(f"{c} {fmt(v[0][1])}→{fmt(v[-1][1])}" for c, v in series(key).items())

    def exponent(key):
        return _range([slope([x for x, _ in v], [float(y) for _, y in v]) for v in series(key).values()])

    def factor(key):
        return _range([float(v[-1][1]) / float(v[0][1]) for v in series(key).values() if v[0][1]], "{:.4g}")

    g = "{:.4g}".format
    lines = [f"Qubits of the widest stage, first → last {var} point: {ends('qubits', str)}.",
             f"CX per run, first → last: {ends('cx', sci)} (a factor {factor('cx')}; "
             f"log–log exponent vs {xname} {exponent('cx')}).",
             f"max log10 α over the stages, first → last: {ends('max_log10_alpha', g)} "
             f"(log–log exponent vs {xname} {exponent('max_log10_alpha')}).",
             f"log10 of the smallest success probability (−2·max log10 α), first → last: "
             f"{ends('log10_p_min', g)}."]
    if inv:
        def degs(p):
            return ", ".join(f"{k} {v}" for k, v in sorted(p["degrees"].items()))
        lines.append("Polynomial degrees, first → last tolerance: " + "; ".join(
            f"{cfg} ({degs(pts[0][1])}) → ({degs(pts[-1][1])})" for cfg, pts in data.items()
            if "error" not in pts[0][1] and "error" not in pts[-1][1]) + ".")
    return lines


def describe_compile(rows: list[dict]) -> str:
    """One data-derived sentence on compile time vs CX and estimate speed-up."""
    ok = [r for r in rows if "error" not in r]
    if not ok:
        return "No example compiled."
    k = slope([r["cx"] for r in ok], [r["compile_s"] for r in ok])
    ratios = [r["compile_s"] / r["estimate_s"] for r in ok if r["estimate_s"] > 0]
    ks = "n/a" if k is None else f"{k:.2f}"
    return (f"Over {len(ok)} examples ({sci(min(r['cx'] for r in ok))}–{sci(max(r['cx'] for r in ok))} CX), "
            f"compile time scales like CX^{ks} (least-squares log–log slope), from "
            f"{min(r['compile_s'] for r in ok):.2f} s to {max(r['compile_s'] for r in ok):.2f} s; "
            f"estimate is {_range(ratios, '{:.1f}')}× faster than compiling; its CX (an upper bound) is "
            f"≥ the compiled CX for {sum(r['estimate_cx'] >= r['cx'] for r in ok)} of {len(ok)} examples.")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table's lines."""
    return (["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
            + ["| " + " | ".join(r) + " |" for r in rows])


def markdown(shipped: dict, sw: dict, comp: list[dict], images: dict, elapsed: float, quick: bool,
             phys: dict | None = None) -> str:
    """The report text."""
    modes = {}
    for p in shipped.values():
        if "error" not in p:
            modes.setdefault(p["mode"], p["exactness"])
    for r in comp:
        if "error" not in r:
            modes.setdefault(r["estimate_mode"], r["exactness"])
    lines = ["# Resource-estimation report", ""]
    if quick:
        lines += ["*Quick smoke run (`--quick`): two points per sweep; not the full report.*", ""]
    lines += [
        "Figures from `qcompile.resources.api.estimate` at `-O1` (the default) with the default dilation block "
        "encodings. Models small enough to build are estimated from the *compiled* quantum IR "
        "(calibrated degrees and exact α; each dense block counted as synthesised, so at -O0 qubits, CX "
        "and every gate count are exact, and at -O1 they count the circuits as built, upper bounds of "
        "the circuits after the circuit passes); larger ones, including the four configurations below, from "
        "the *abstract* IR (weight shapes and norms): counts and degrees are then upper bounds and α a "
        "bound from the weight norms. T counts are the T states Microsoft's resource estimator counts "
        "(its rotation-synthesis model, 4 per Toffoli). A stack of `layers` layers is lowered with one layer and costs "
        "`runs = seq·(layers − 1) + 1` runs of the one-layer circuits (today's staging, not a lower bound). "
        "Success probabilities are for a unit-norm output, `p = 1/α²`, plotted as "
        "`log10 p = −2·log10 α` because `p` underflows to 0 in double precision.",
        "",
        "Exactness per figure, as reported by the API:",
        "",
    ]
    figs = sorted({k for e in modes.values() if e for k in e})
    lines += _table(["figure"] + [f"mode `{m}`" for m in modes if modes[m]],
                    [[f] + [modes[m].get(f, "-") for m in modes if modes[m]] for f in figs])
    lines += ["", "## Shipped configurations (tolerance 1e-3)", ""]
    rows = []
    for cfg, p in shipped.items():
        if "error" in p:
            rows.append([cfg, "error: " + p["error"]] + [""] * 7)
            continue
        dims = ", ".join(f"{k}={v}" for k, v in p["dims"].items() if k in ("seq", "d_model", "heads", "d_ff", "layers"))
        deg = ", ".join(f"{k} {v}" for k, v in sorted(p["degrees"].items()))
        rows.append([cfg, dims, str(p["qubits"]), sci(p["cx"]), sci(p["runs"]), sci(p["cx_all_runs"]),
                     sci(p["t_all_runs"]), f"{p['max_log10_alpha']:.4g}", deg])
    lines += _table(["config", "dims", "qubits", "CX per run", "runs", "CX all runs", "T all runs (est.)",
                     "max log10 α", "max degree per function"], rows)
    if phys is not None:
        lines += physical_lines(phys)
    titles = {"seq": ("seq", "sequence length `seq` (other dims as shipped)"),
              "d_model": ("d_model", "model width `d_model` (`d_ff` at the shipped d_ff/d_model ratio)"),
              "tolerance": ("tolerance", "tolerance (shipped dims)")}
    for key, (var, what) in titles.items():
        lines += ["", f"## Resources vs {what}", "", f"![{key}]({images[key]})", ""]
        lines += [f"- {s}" for s in describe_sweep(var, sw[key])]
        failed = [(cfg, x, p["error"]) for cfg, pts in sw[key].items() for x, p in pts if "error" in p]
        for cfg, x, err in failed:
            lines.append(f"- not estimated: {cfg} at {var}={x}: {err}")
    lines += ["", "## Compile time vs circuit size", "", f"![compile]({images['compile']})", "",
              describe_compile(comp), "",
              f"Times are wall-clock (`time.perf_counter`) in one process after an untimed warm-up of both "
              f"calls on `linear` (at tolerance {WARMUP_TOLERANCE:g}, so its calibration is not reused); "
              "each model is estimated first, then compiled (default `-O1`), so in-process "
              "gate-synthesis caches may favour the second call.", ""]
    trows = []
    for r in comp:
        if "error" in r:
            trows.append([r["name"], r["error"], "", "", "", "", "", ""])
            continue
        trows.append([r["name"], str(r["qubits"]), sci(r["cx"]), sci(r["estimate_cx"]), r["estimate_mode"],
                      f"{r['compile_s']:.3f}", f"{r['estimate_s']:.3f}",
                      f"{r['compile_s'] / r['estimate_s']:.1f}" if r["estimate_s"] > 0 else "-"])
    lines += _table(["example", "qubits", "CX compiled", "CX estimated", "estimate mode", "compile s",
                     "estimate s", "compile / estimate"], trows)
    lines += ["", f"*Generated by `benchmarks/report.py` in {elapsed:.1f} s.*", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    """Run the sweeps and timings, write the plots and ``report.md``, print image sizes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    ap.add_argument("--quick", action="store_true", help="tiny sweep (2 points each) for a smoke run")
    args = ap.parse_args(argv)
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit("benchmarks/report.py needs matplotlib: pip install -e '.[plots]'") from exc
    matplotlib.use("Agg")

    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f} s] {msg}", flush=True)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    log("shipped configurations")
    shipped = {cfg: measure(cfg) for cfg in CONFIGS}
    bad = [c for c, p in shipped.items() if "error" in p]
    if bad:
        raise SystemExit(f"cannot estimate the shipped configuration(s) {bad}: "
                         + "; ".join(shipped[c]["error"] for c in bad))
    log("sweeps")
    sw = sweeps(shipped, args.quick, log)
    log("compile times")
    comp = compile_times(COMPILABLE[:2] if args.quick else COMPILABLE, log)
    log("physical estimates")
    phys = physical((CONFIGS + PHYSICAL_SMALL)[:5] if args.quick else CONFIGS + PHYSICAL_SMALL, log)

    images = {"seq": "sweep_seq.png", "d_model": "sweep_d_model.png", "tolerance": "sweep_tolerance.png",
              "compile": "compile_time.png"}
    plot_sweep("seq", "seq", sw["seq"], out / images["seq"])
    plot_sweep("d_model", "d_model", sw["d_model"], out / images["d_model"])
    plot_sweep("tolerance", "tolerance", sw["tolerance"], out / images["tolerance"])
    plot_compile(comp, out / images["compile"])
    elapsed = time.perf_counter() - t_start
    (out / "report.md").write_text(markdown(shipped, sw, comp, images, elapsed, args.quick, phys),
                                    encoding="utf-8")
    (out / "data.json").write_text(json.dumps({"shipped": shipped, "sweeps": sw, "compile": comp, "physical": phys},
                                              indent=1, default=str), encoding="utf-8")
    log(f"wrote {out / 'report.md'}")
    for name in images.values():
        print(f"  {name}: {(out / name).stat().st_size / 1024:.1f} kB")
    print(f"total {elapsed:.1f} s")


if __name__ == "__main__":
    main()
