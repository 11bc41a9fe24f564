"""Small vectorised sampling helpers shared by the generator modules."""

from __future__ import annotations

import numpy as np
import polars as pl


def sample_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of ``weights``, drawn in proportion to the row's weights."""
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random((len(weights), 1)) * cumulative[:, -1:]
    return np.minimum((cumulative <= draw).sum(axis=1), weights.shape[1] - 1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def random_codes(rng: np.random.Generator, n: int, alphabet: bytes, length: int) -> pl.Series:
    """``n`` random strings of ``length`` characters from ``alphabet``."""
    letters = np.frombuffer(alphabet, dtype=np.uint8)[rng.integers(0, len(alphabet), (n, length))]
    return _strings(letters)


def uuid4_strings(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` version-4 UUIDs in canonical form, from the seeded stream (so they repeat per seed)."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.empty((n, 32), np.uint8)
    digits[:, 0::2], digits[:, 1::2] = _HEX[raw >> 4], _HEX[raw & 0x0F]
    text = np.full((n, 36), ord("-"), np.uint8)
    for start, stop, offset in ((0, 8, 0), (8, 12, 1), (12, 16, 2), (16, 20, 3), (20, 32, 4)):
        text[:, start + offset : stop + offset] = digits[:, start:stop]
    return _strings(text)


def _strings(characters: np.ndarray) -> pl.Series:
    """Rows of ASCII byte codes to a polars String series."""
    width = characters.shape[1]
    return pl.Series(np.ascontiguousarray(characters).view(f"S{width}").ravel()).cast(pl.String)
