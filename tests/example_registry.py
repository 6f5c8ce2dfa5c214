"""Every shipped example, registered once: what the test suite does with it.

Tests that run "every example" parametrise over these lists (never over a list of their
own), and ``test_every_example_is_registered`` fails when an ``examples/*.qtf`` is missing
here, so a new example is tested by every advertised path the day it lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"


@dataclass(frozen=True)
class Example:
    """``compiles``: the compiler builds its circuits; ``llm``: an LLM-sized configuration
    (``qcompile resources`` only, its weights never generated); ``tolerance``: the
    tolerance the suite compiles it at (looser where a ReLU's degree, which grows like
    1/tolerance, or a stack's runs would make the suite slow); ``stacked``: it compiles to
    a StackedProgram (layers or every token)."""

    compiles: bool = True
    tolerance: float = 1e-3
    stacked: bool = False
    llm: bool = False

    def path(self, name: str) -> str:
        return str(EXAMPLES_DIR / f"{name}.qtf")


EXAMPLES: dict[str, Example] = {
    "linear": Example(),
    "mlp": Example(),
    "mlp_relu": Example(tolerance=1e-1),
    "mlp_silu": Example(),
    "attention_head": Example(),
    "attention": Example(),
    "attention_gaussian": Example(),
    "encoder_block": Example(),
    "encoder_prenorm": Example(),
    "protein_tiny": Example(),
    "sequon": Example(tolerance=1e-2),
    "encoder_stack": Example(tolerance=0.5, stacked=True),
    "gpt2_tiny": Example(compiles=False),
    "llama_tiny": Example(compiles=False),
    "bert_tiny": Example(compiles=False),
    "gpt2_small": Example(compiles=False, llm=True),
    "gpt2_small_qknorm": Example(compiles=False, llm=True),
    "gpt2_small_gaussian": Example(compiles=False, llm=True),
    "gpt2_medium": Example(compiles=False, llm=True),
    "bert_base": Example(compiles=False, llm=True),
    "llama2_7b": Example(compiles=False, llm=True),
}

#: examples whose circuits the compiler builds
COMPILABLE = [n for n, e in EXAMPLES.items() if e.compiles]
#: the LLM-sized configurations: resource estimation only
ESTIMATED = [n for n, e in EXAMPLES.items() if e.llm]
#: every example small enough to evaluate (compiled or not)
SMALL = [n for n, e in EXAMPLES.items() if not e.llm]


def path(name: str) -> str:
    """``examples/NAME.qtf``."""
    return EXAMPLES[name].path(name)
