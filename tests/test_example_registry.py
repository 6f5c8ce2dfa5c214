"""Every shipped example is registered once (tests/example_registry.py) with what the suite
does with it, and every compilable one compiles within the simulation size limit."""

from example_registry import COMPILABLE, EXAMPLES, EXAMPLES_DIR, ESTIMATED, SMALL


def test_every_example_is_registered():
    shipped = sorted(p.stem for p in EXAMPLES_DIR.glob("*.qtf"))
    assert shipped == sorted(EXAMPLES), "register new examples in tests/example_registry.py"


def test_small_and_llm_examples_partition_the_registry():
    assert sorted(SMALL + ESTIMATED) == sorted(EXAMPLES) and not set(COMPILABLE) & set(ESTIMATED)
