"""How much memory the NumPy reference will need, known before it allocates anything.

:func:`reference_bytes` adds up what :func:`qcompile.reference.interpreter.evaluate`
keeps and makes: every node's value (the interpreter keeps them all, float64 or int64:
8 bytes an entry, shapes from the IR's types), the weights it reads that are not in memory
yet (lazily generated random weights), and room for the largest temporaries (a kernel
such as softmax or layer norm holds a few arrays the size of its input; generating a
random weight holds two more of its size).  It is an estimate of the peak, not a bound,
used to refuse a model that cannot fit (an ``embed`` vocabulary of 10⁹ wants 30 GiB)
before the first byte is allocated.
"""

from __future__ import annotations

#: bytes per entry of every array the reference makes (float64 values, int64 token ids)
ENTRY_BYTES = 8
#: temporaries of the largest kernel, in units of its output
KERNEL_TEMPORARIES = 3
#: temporaries of generating one random weight, in units of the weight
WEIGHT_TEMPORARIES = 2


def _entries(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _pending_weights(graph, weights) -> dict[str, int]:
    """Entries of each weight ``graph`` reads that is not materialised yet."""
    from qcompile.model import LazyRandomWeights

    if not isinstance(weights, LazyRandomWeights):
        return {}
    cached = getattr(weights, "_cache", {})
    return {name: _entries(shape) for name, shape in graph.weight_shapes().items() if name not in cached}


def reference_bytes(graph, weights) -> int:
    """The estimated peak memory of evaluating the desugared ``graph`` (module docstring)."""
    values = [_entries(leg.dim for leg in op.type.legs) for _, op in graph.nodes() if op.type is not None]
    pending = _pending_weights(graph, weights)
    largest_value = max(values, default=0)
    largest_weight = max(pending.values(), default=0)
    entries = (sum(values) + KERNEL_TEMPORARIES * largest_value
               + sum(pending.values()) + WEIGHT_TEMPORARIES * largest_weight)
    return ENTRY_BYTES * entries


def check_reference_memory(graph, weights, name: str = "the model") -> None:
    """Refuse (SizeError, with the figure) an evaluation that needs more than the memory
    limit (:func:`qcompile.validate.memory_limit`)."""
    from qcompile.validate import check_memory

    check_memory(reference_bytes(graph, weights), f"the reference of {name}")


__all__ = ["check_reference_memory", "reference_bytes"]
