"""Train ``examples/sequon.qtf``: does a 4-residue peptide carry an N-glycosylation sequon?

The task.  N-linked glycosylation attaches a glycan to an asparagine that starts the
*sequon* N-X-S/T, where X is any residue except proline (a proline between them blocks
the oligosaccharyltransferase).  A peptide of ``SEQ`` residues over the 20 amino acids is
labelled 1 when it contains N, then anything but P, then S or T (regex ``N[^P][ST]``),
else 0.  The label is always computed by that rule from the sequence itself.

The data.  Every 4-mer with a sequon (1,516 of the 160,000) is a positive.  As many
negatives are drawn: half uniformly among sequon-free 4-mers, half *near misses* (one
residue away from a sequon: N-P-S/T, N-X-not S/T, not N-X-S/T), so the model must
learn the rule rather than "contains N".  The distinct sequences are shuffled and split
60/20/20 into train, validation and held-out test sets, which share no sequence.

The model (:class:`SequonClassifier`, the same network as ``sequon.qtf``): residue
embedding (``nn.Embedding(20, 4)``) plus the sinusoidal positions, one post-LN
``nn.TransformerEncoderLayer`` (d_model 4, 2 heads, d_ff 4, GELU), then a linear head
onto the two classes and a softmax, read at token 0.  Its ``state_dict`` names are the
``.qtf`` model's weight names (``embed.weight``, ``self_attn.in_proj_weight``, …,
``head.weight``).

Why the head ends with a softmax.  The compiled program's output register holds ``p/α``
(``p`` the model's output for token 0) and shots estimate ``p_k² / ‖p‖²``: signs are lost.
The softmax makes both outputs positive, and ``t ↦ t²`` is increasing on positive numbers,
so the class sampled most often (in the limit of many shots) is ``argmax p_k``, the
classical decision, whatever the weights; logits read directly would lose their signs.
The same holds one stage earlier: the softmax's ``1/Z`` is a stage boundary, and the stage
before it holds ``exp(z_k)/α``, also positive, with the same ``p_k²/‖p‖²`` ratios.

Training keeps the compiled circuits small (:func:`project`): bounded embedding rows and
query/key/first-FFN norms bound the ranges the exp and GELU polynomials must cover, and
the parameters the softmaxes ignore (the key bias, the logits' common shift) are held at
zero.  Run ``python examples/train_sequon.py`` (CPU, deterministic, 10-20 s): it trains,
prints the accuracies, and writes ``examples/sequon.safetensors`` (float32, 2 kB).
"""

from __future__ import annotations

import argparse
import itertools
import re
from pathlib import Path

import numpy as np

ALPHABET = "ACDEFGHIKLMNPQRSTVWY"          # the 20 amino acids, as in sequon.qtf
SEQ, D_MODEL, HEADS, D_FF, CLASSES = 4, 4, 2, 4, 2
OUTPUT_TOKEN = 0
SEQUON = re.compile(r"N[^P][ST]")
HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "sequon.safetensors"
QTF = HERE / "sequon.qtf"
DATA_SEED, TRAIN_SEED = 2024, 0
STEPS, LEARNING_RATE, WEIGHT_DECAY = 600, 0.02, 1e-2
EMBED_MAX_NORM, QK_MAX_NORM, FF_MAX_NORM = 1.0, 0.75, 2.0


# ---------------------------------------------------------------------------- the data
def has_sequon(peptide: str) -> int:
    """1 when ``peptide`` contains an N-glycosylation sequon N-X-S/T (X not P), else 0."""
    return int(SEQUON.search(peptide) is not None)


def _near_miss(rng: np.random.Generator) -> str:
    """A random peptide one residue away from a sequon in a random window: the sequon
    with its N, its X (made P) or its S/T replaced (it may still hold a sequon elsewhere:
    the caller labels it by the rule)."""
    others = [a for a in ALPHABET if a not in "NPST"]
    pep = list(rng.choice(list(ALPHABET), SEQ))
    start = int(rng.integers(0, SEQ - 2))
    pep[start:start + 3] = ["N", rng.choice([a for a in ALPHABET if a != "P"]), rng.choice(["S", "T"])]
    broken = int(rng.integers(0, 3))
    pep[start + broken] = ("P" if broken == 1 else
                           rng.choice([a for a in ALPHABET if a != "N"]) if broken == 0 else
                           rng.choice(others + ["N", "P"]))
    return "".join(pep)


def sequon_dataset(seed: int = DATA_SEED) -> dict[str, list[tuple[str, int]]]:
    """``{"train", "val", "test"}`` → lists of ``(peptide, label)``: disjoint sets of
    distinct peptides, balanced between sequon and sequon-free (see the module doc)."""
    rng = np.random.default_rng(seed)
    every = ("".join(p) for p in itertools.product(ALPHABET, repeat=SEQ))
    positives = sorted(p for p in every if has_sequon(p))
    negatives: set[str] = set()
    while len(negatives) < len(positives) // 2:
        pep = _near_miss(rng)
        if not has_sequon(pep):
            negatives.add(pep)
    while len(negatives) < len(positives):
        pep = "".join(rng.choice(list(ALPHABET), SEQ))
        if not has_sequon(pep):
            negatives.add(pep)
    data = [(p, 1) for p in positives] + [(p, 0) for p in sorted(negatives)]
    order = rng.permutation(len(data))
    data = [data[i] for i in order]
    a, b = int(0.6 * len(data)), int(0.8 * len(data))
    return {"train": data[:a], "val": data[a:b], "test": data[b:]}


def token_ids(peptides) -> np.ndarray:
    """``[n, SEQ]`` alphabet indices of the peptides (how ``text[seq] alphabet`` tokenises)."""
    return np.array([[ALPHABET.index(a) for a in p] for p in peptides], dtype=np.int64)


# ---------------------------------------------------------------------------- the model
def _torch_model_class():
    """:class:`SequonClassifier`, defined on first use so this module imports without torch."""
    import torch
    from torch import nn

    class SequonClassifier(nn.TransformerEncoderLayer):
        """``sequon.qtf`` in PyTorch: an ``nn.TransformerEncoderLayer`` (post-LN, GELU, no
        dropout) with a residue embedding and sinusoidal positions in front and a linear
        head with a softmax behind, so its ``state_dict`` names are the ``.qtf`` weight
        names.  ``forward(ids)``: ``[batch, SEQ]`` ids → ``[batch, SEQ, CLASSES]`` class
        probabilities of every token (the classifier reads token ``OUTPUT_TOKEN``)."""

        def __init__(self):
            super().__init__(D_MODEL, HEADS, D_FF, dropout=0.0, activation="gelu", batch_first=True)
            self.embed = nn.Embedding(len(ALPHABET), D_MODEL)
            self.head = nn.Linear(D_MODEL, CLASSES)
            self.register_buffer("positions", torch.as_tensor(sinusoidal_positions(SEQ, D_MODEL)),
                                 persistent=False)

        def logits(self, ids):
            """The head's outputs before the softmax, every token."""
            x = self.embed(ids) + self.positions.to(self.embed.weight.dtype)
            return self.head(super().forward(x))

        def forward(self, ids):
            return torch.softmax(self.logits(ids), dim=-1)

    return SequonClassifier


def sinusoidal_positions(seq: int, d: int) -> np.ndarray:
    """``PE[pos, 2i] = sin(pos / 10000^(2i/d))``, ``PE[pos, 2i+1] = cos(…)`` (``posenc``)."""
    pos = np.arange(seq)[:, None]
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    pe = np.zeros((seq, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(pos * freq), np.cos(pos * freq)
    return pe


def new_model():
    """An untrained :class:`SequonClassifier` (its weights drawn from torch's generator)."""
    return _torch_model_class()()


def load_model(path=WEIGHTS, dtype=None):
    """The :class:`SequonClassifier` with the weights of ``path`` (a safetensors file), in
    eval mode, in ``dtype`` (torch.float64 by default: the reference computes in float64)."""
    import torch
    from safetensors.torch import load_file

    model = new_model()
    model.load_state_dict(load_file(str(path)))
    return model.to(torch.float64 if dtype is None else dtype).eval()


def predict(model, peptides) -> np.ndarray:
    """``[n, CLASSES]`` class probabilities of token ``OUTPUT_TOKEN`` for each peptide."""
    import torch

    with torch.no_grad():
        out = model(torch.as_tensor(token_ids(peptides)))
    return out[:, OUTPUT_TOKEN].double().numpy()


def accuracy(model, pairs) -> float:
    """Fraction of ``(peptide, label)`` pairs whose argmax class is the label."""
    probs = predict(model, [p for p, _ in pairs])
    return float(np.mean(probs.argmax(1) == np.array([y for _, y in pairs])))


def qcompile_model(qtf=QTF):
    """``sequon.qtf`` loaded by qcompile (its ``weights "sequon.safetensors"`` line reads
    the trained weights beside it)."""
    import qcompile

    return qcompile.load(qtf)


# ---------------------------------------------------------------------------- training
def project(model, embed_max_norm: float = EMBED_MAX_NORM, qk_max_norm: float = QK_MAX_NORM,
            ff_max_norm: float = FF_MAX_NORM) -> None:
    """Keep the weights where the compiled circuits stay small (in place, after every
    step): every embedding row's norm at most ``embed_max_norm``; the spectral norms of
    the query and key projections, and the query bias's norm, at most ``qk_max_norm``;
    the key bias zero (it adds the same number to every score of a query, which the
    softmax ignores, so zeroing it leaves the function unchanged); the first feed-forward
    layer's spectral norm at most ``ff_max_norm``; the head's rows and bias centred over
    the classes (again a shift of every logit the softmax ignores), so the logits are
    ``±δ/2`` and their softmax's normaliser is at least 2.  The range of the attention
    scores, hence the degree of the compiled exp polynomial, grows with the first two; the
    GELU's input range, hence its degree, with the third."""
    import torch

    d = D_MODEL
    w, b = model.self_attn.in_proj_weight, model.self_attn.in_proj_bias
    with torch.no_grad():
        e = model.embed.weight
        e.copy_(torch.renorm(e, 2, 0, embed_max_norm))
        b[d:2 * d] = 0.0
        for block, limit in ((w[:d], qk_max_norm), (w[d:2 * d], qk_max_norm), (b[:d], qk_max_norm),
                             (model.linear1.weight, ff_max_norm)):
            norm = torch.linalg.matrix_norm(block, 2) if block.ndim == 2 else torch.linalg.vector_norm(block)
            if norm > limit:
                block.mul_(limit / norm)
        for p in (model.head.weight, model.head.bias):
            p.sub_(p.mean(0))


def train(data, steps: int = STEPS, seed: int = TRAIN_SEED, **limits):
    """Full-batch AdamW on the cross-entropy of token ``OUTPUT_TOKEN``'s logits, the
    weights projected by :func:`project` (``limits``) after every step; returns the
    model (float32, eval mode)."""
    import torch

    torch.manual_seed(seed)
    model = new_model()
    project(model, **limits)
    ids = torch.as_tensor(token_ids([p for p, _ in data]))
    labels = torch.as_tensor([y for _, y in data])
    opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, LEARNING_RATE, total_steps=steps)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model.logits(ids)[:, OUTPUT_TOKEN], labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        project(model, **limits)
    return model.eval()


def save(model, path=WEIGHTS) -> None:
    """Write the model's ``state_dict`` (float32) as a safetensors file."""
    from safetensors.torch import save_file

    save_file({k: v.detach().float().contiguous() for k, v in model.state_dict().items()}, str(path))


def main(argv=None) -> None:
    """Train, save the weights, print the accuracies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(WEIGHTS), help="safetensors file to write")
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)
    import time

    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    data = sequon_dataset()
    start = time.perf_counter()
    model = train(data["train"], args.steps)
    took = time.perf_counter() - start
    save(model, args.out)
    model = load_model(args.out)
    sizes = {k: len(v) for k, v in data.items()}
    print(f"data {sizes}; trained {args.steps} steps in {took:.1f} s")
    for split in ("train", "val", "test"):
        print(f"{split} accuracy {accuracy(model, data[split]):.4f}")
    print(f"wrote {args.out} ({Path(args.out).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
