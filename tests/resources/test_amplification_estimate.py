"""Amplitude amplification in the resource estimate (qcompile.resources.amplification):
queries grow like 1/√p where repetitions grow like 1/p, at every scale."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from example_registry import ESTIMATED
from qcompile.quantum.amplify import design_monotone
from qcompile.resources.amplification import amplification_estimates
from qcompile.resources.api import estimate


@pytest.mark.parametrize("name", ESTIMATED)
def test_llm_queries_grow_like_one_over_sqrt_p(name):
    """Exact amplification calls U about (π/2)/√p times (BHMT) where plain post-selection
    repeats 1/p times; fixed point costs at least as much as exact; with p ≪ 1 the
    amplified CX per sample is below the plain one."""
    rep = estimate(f"examples/{name}.qtf")
    rows = amplification_estimates(rep)
    tiny = [r for r in rows if r.log10_p < -8]
    if any(k.endswith(" exp") for k in rep.to_dict()["degrees"]):
        assert tiny                                           # at least the softmax stage
    for r in rows:
        assert r.log10_repetitions == pytest.approx(-r.log10_p)
    for r in tiny:
        assert r.log10_calls_exact == pytest.approx(math.log10(math.pi / 2) + r.log10_repetitions / 2)
        assert r.log10_calls_fixed_point >= r.log10_calls_exact
        assert r.log10_cx_fixed_point < r.log10_cx_plain


def test_small_p_designed_exactly():
    """Down to p = 10^-3 the fixed-point calls are the designed polynomial's degree."""
    rep = estimate("examples/attention_head.qtf")
    rows = amplification_estimates(rep)
    designed = [r for r in rows if -3 <= r.log10_p < math.log10(0.5)]
    assert designed                                           # both stages: p from 10^-2.6 to 10^-1.2
    for r in designed:
        assert 10 ** r.log10_calls_fixed_point == pytest.approx(design_monotone(10 ** r.log10_p, 0.5).degree)
    assert len(rows) == len(rep.stages)


def test_cli_resources_reports_amplification(tmp_path):
    out = tmp_path / "r.json"
    res = subprocess.run([sys.executable, "-m", "qcompile.cli", "resources", "examples/gpt2_small.qtf",
                          "--json", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert len(data["amplification"]["stages"]) == len(data["stages"])
    summary = data["amplification"]["summary"]
    assert summary["log10_cx_exact"] < summary["log10_cx_plain"] / 2 + 100
    assert "amplitude amplification" in res.stdout
