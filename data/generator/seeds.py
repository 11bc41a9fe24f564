"""Independent, named random streams derived from the config seed.

Each component draws from its own stream, so adding a draw in one module never shifts the numbers
another module sees, and the same seed always gives the same history.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The random stream for component ``name`` under ``seed``."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])
