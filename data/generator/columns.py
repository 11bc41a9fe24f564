"""A growable set of equal-length numpy columns, appended to in batches during the simulation."""

from __future__ import annotations

import numpy as np


class Columns:
    """Named numpy columns with amortised appends, random reads and in-place updates."""

    def __init__(self, dtypes: dict[str, np.dtype | type], capacity: int = 1024) -> None:
        self._capacity = max(capacity, 16)
        self._data = {name: np.zeros(self._capacity, dtype=dtype) for name, dtype in dtypes.items()}
        self.size = 0

    def append(self, **columns: np.ndarray) -> np.ndarray:
        """Append rows (columns omitted are zero); returns the new rows' indices."""
        n = len(next(iter(columns.values())))
        self._reserve(self.size + n)
        for name, values in columns.items():
            self._data[name][self.size : self.size + n] = values
        rows = np.arange(self.size, self.size + n)
        self.size += n
        return rows

    def __getitem__(self, name: str) -> np.ndarray:
        """A view of the filled part of column ``name`` (writes go through to the store)."""
        return self._data[name][: self.size]

    def names(self) -> list[str]:
        return list(self._data)

    def _reserve(self, size: int) -> None:
        if size <= self._capacity:
            return
        while self._capacity < size:
            self._capacity *= 2
        for name, column in self._data.items():
            grown = np.zeros(self._capacity, dtype=column.dtype)
            grown[: self.size] = column[: self.size]
            self._data[name] = grown
