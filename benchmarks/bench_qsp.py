"""Time to find verified QSP phases: qcompile's Newton solver vs pyqsp ``sym_qsp``.

For degree 20/50/100/200 and two targets (research/algorithms.md §3 style, sup 0.9):
``tanh(5t)`` (odd interpolant) and ``cos(0.7·d·t)`` (even, needs the full degree), prints
best-of-3 wall time of :func:`qcompile.quantum.qsp.qsp_phases` (which includes its own
verification), the independently measured max error of the rebuilt polynomial
(Re⟨0|reflection sequence|0⟩ vs P on 2001 points, dense 2×2 products), and pyqsp's
``sym_qsp`` time on the same polynomial in the same process (stdout silenced), with the
ratio.  Run: ``python benchmarks/bench_qsp.py``.

BLAS threads are limited to 1 (unless the environment already sets them) before NumPy is
imported: the solver's dense work is 100×100 solves, where OpenBLAS threads only add
overhead and, on a loaded 2-core machine, stall (0.03 s → 0.3 s at degree 200).  Both
solvers run in the same process under the same setting.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import contextlib  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from qcompile.quantum.polynomials import Polynomial, scale_to_unit  # noqa: E402
from qcompile.quantum.qsp import qsp_phases  # noqa: E402


def rebuilt_error(phases: np.ndarray, p: Polynomial) -> float:
    """max |Re⟨0|PC(φ0) R(x) ⋯ R(x) PC(φd)|0⟩ − P(x)| on 2001 points (batched 2×2 products)."""
    x = np.linspace(-1, 1, 2001)
    s = np.sqrt(1 - x * x)
    r = np.zeros((len(x), 2, 2))
    r[:, 0, 0], r[:, 0, 1], r[:, 1, 0], r[:, 1, 1] = x, s, s, -x
    pc = lambda f: np.diag([np.exp(1j * f), np.exp(-1j * f)])  # noqa: E731
    u = np.broadcast_to(pc(phases[0]), (len(x), 2, 2)).copy()
    for f in phases[1:]:
        u = u @ r @ pc(f)
    return float(np.max(np.abs(u[:, 0, 0].real - p(x))))


def best_of(fn, repeats=3):
    best, out = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def pyqsp_time(p: Polynomial, repeats: int) -> float:
    from pyqsp import angle_sequence

    def run():
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return angle_sequence.QuantumSignalProcessingPhases(p.chebyshev, method="sym_qsp",
                                                                chebyshev_basis=True)

    return best_of(run, repeats)[0]


def targets(d: int):
    odd_d = d if d % 2 else d + 1
    c1 = np.polynomial.chebyshev.chebinterpolate(lambda t: np.tanh(5 * t), odd_d)
    c2 = np.polynomial.chebyshev.chebinterpolate(lambda t: np.cos(0.7 * d * t), d)
    yield "tanh(5t)", scale_to_unit(Polynomial.from_chebyshev(c1, "odd"), 0.1)[0]
    yield "cos(0.7dt)", scale_to_unit(Polynomial.from_chebyshev(c2, "even"), 0.1)[0]


def main() -> None:
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"{'degree':>6} {'target':>11} {'qcompile s':>11} {'max err':>9} {'pyqsp s':>9} {'ratio':>7}")
    for d in (20, 50, 100, 200):
        for name, p in targets(d):
            t_ours, ph = best_of(lambda: qsp_phases(p))
            err = rebuilt_error(ph, p)
            t_py = pyqsp_time(p, 3 if d <= 100 else 1)
            print(f"{p.degree:>6} {name:>11} {t_ours:>11.4f} {err:>9.1e} {t_py:>9.3f} {t_py / t_ours:>6.0f}x")


if __name__ == "__main__":
    main()
