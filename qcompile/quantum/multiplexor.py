"""Angles of a Gray-code multiplexed RY: the Walsh–Hadamard transform of the wanted
rotation angles, read in Gray-code order (Möttönen et al., quant-ph/0407010)."""

from __future__ import annotations

import numpy as np


def fwht(v: np.ndarray) -> np.ndarray:
    """Unnormalised Walsh–Hadamard transform ``H v``, ``H_{jk} = (-1)^{popcount(j & k)}``, O(L log L)."""
    out = np.array(v, dtype=float)
    size = out.size
    h = 1
    while h < size:
        blocks = out.reshape(-1, 2, h)
        out = np.stack([blocks[:, 0] + blocks[:, 1], blocks[:, 0] - blocks[:, 1]], axis=1).reshape(size)
        h *= 2
    return out


def gray_code(size: int) -> np.ndarray:
    """The reflected binary Gray code ``g_i = i XOR (i >> 1)`` for ``i < size``."""
    i = np.arange(size)
    return i ^ (i >> 1)


def multiplexor_angles(theta: np.ndarray) -> np.ndarray:
    """Circuit angles ``φ`` of a Gray-code multiplexed RY realising ``θ_j`` for control value ``j``.

    ``θ_j = Σ_i (-1)^{popcount(j & g_i)} φ_i``, hence ``φ_i = (Hθ)[g_i] / L``.
    """
    size = theta.size
    return fwht(theta)[gray_code(size)] / size
