"""Validation of the per-customer summary arrays that the model functions take."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from models.clv.errors import ClvInputError

ArrayLike = npt.ArrayLike | pl.Series
FloatArray = npt.NDArray[np.float64]

# Below this many customers with repeat purchases the likelihood surface is so flat that the
# optimum says more about the starting values than about the customers.
MIN_REPEAT_CUSTOMERS = 10


def as_float_array(values: ArrayLike | Sequence[float], name: str) -> FloatArray:
    """A 1-D float64 array of finite values, or a ClvInputError naming the column."""
    if isinstance(values, pl.Series):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ClvInputError(f"{name} must be numeric") from None
    array = np.atleast_1d(array)
    if array.ndim != 1:
        raise ClvInputError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.all(np.isfinite(array)):
        position = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ClvInputError(f"{name} has a missing or infinite value at position {position}")
    return array


def _first_bad(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def frequency_recency_t(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Check the (frequency, recency, T) conventions and return them as float arrays."""
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    t_cal = as_float_array(T, "T")
    if not x.size == t_x.size == t_cal.size:
        raise ClvInputError(
            f"frequency, recency and T must have the same length, got {x.size}, {t_x.size} "
            f"and {t_cal.size}"
        )
    if x.size == 0:
        raise ClvInputError("no customers: frequency, recency and T are empty")
    _check_whole_frequencies(x)
    if (t_x < 0).any():
        i = _first_bad(t_x < 0)
        raise ClvInputError(f"recency must be ≥ 0, got {t_x[i]:g} at position {i}")
    # Summaries computed elsewhere can carry rounding noise of the order of the last digit.
    bad = t_x > t_cal * (1 + 1e-9) + 1e-9
    if bad.any():
        i = _first_bad(bad)
        raise ClvInputError(
            f"recency {t_x[i]:g} exceeds T {t_cal[i]:g} at position {i}: the last purchase "
            "cannot come after the end of the calibration period"
        )
    bad = (x == 0) & (t_x != 0)
    if bad.any():
        i = _first_bad(bad)
        raise ClvInputError(
            f"recency is {t_x[i]:g} for a customer with no repeat purchases at position {i}; "
            "by convention it is 0 (are frequency and recency swapped?)"
        )
    return x, np.minimum(t_x, t_cal), t_cal


def _check_whole_frequencies(x: FloatArray) -> None:
    bad = (x < 0) | (x != np.floor(x))
    if bad.any():
        i = _first_bad(bad)
        raise ClvInputError(
            f"frequency must be a whole number of repeat purchases ≥ 0, got {x[i]:g} at "
            f"position {i}"
        )


def frequency_monetary(
    frequency: ArrayLike, monetary_value: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Check (frequency, monetary_value) and return them as float arrays."""
    x = as_float_array(frequency, "frequency")
    m = as_float_array(monetary_value, "monetary_value")
    if x.size != m.size:
        raise ClvInputError(
            f"frequency and monetary_value must have the same length, got {x.size} and {m.size}"
        )
    if x.size == 0:
        raise ClvInputError("no customers: frequency and monetary_value are empty")
    _check_whole_frequencies(x)
    if (m < 0).any():
        i = _first_bad(m < 0)
        raise ClvInputError(f"monetary_value must be ≥ 0, got {m[i]:g} at position {i}")
    return x, m


def require_repeat_customers(count: int, model: str) -> None:
    """Refuse to fit on fewer repeat customers than MIN_REPEAT_CUSTOMERS."""
    if count < MIN_REPEAT_CUSTOMERS:
        raise ClvInputError(
            f"too few repeat customers to fit the {model} model: {count} (need at least "
            f"{MIN_REPEAT_CUSTOMERS}); use a longer calibration period or more customers"
        )
