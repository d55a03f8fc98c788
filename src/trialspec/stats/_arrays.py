"""Input coercion shared by the stats modules: arrays in, validated float arrays out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trialspec.stats.errors import StatsInputError

FloatArray = NDArray[np.float64]


def floats(values: ArrayLike, name: str) -> FloatArray:
    """Any array-like of numbers as a float array, or an error naming it."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:  # ragged lists, strings
        raise StatsInputError(f"{name} must be numbers in a regular array ({err})") from err


def counts(values: ArrayLike, name: str, *, ndim: int | None = None) -> FloatArray:
    """Non-negative whole numbers as a float array (floats keep the arithmetic exact enough
    and let zero-cell corrections add 0.5)."""
    arr = floats(values, name)
    if ndim is not None and arr.ndim != ndim:
        raise StatsInputError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise StatsInputError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise StatsInputError(f"{name} has missing or infinite values")
    if np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise StatsInputError(f"{name} must hold non-negative whole numbers")
    return arr


def finite(values: ArrayLike, name: str) -> FloatArray:
    """A 1-d float array without missing or infinite values."""
    arr = floats(values, name)
    if arr.ndim != 1:
        raise StatsInputError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise StatsInputError(f"{name} has missing or infinite values")
    return arr


def same_length(name_values: Sequence[tuple[str, NDArray[np.generic]]]) -> int:
    """The common length of several 1-d arrays, or an error naming the odd one out."""
    first_name, first = name_values[0]
    for other_name, other in name_values[1:]:
        if len(other) != len(first):
            raise StatsInputError(
                f"{other_name} has {len(other)} values but {first_name} has {len(first)}"
            )
    return len(first)


def conf_level(level: float) -> float:
    """A confidence level strictly between 0 and 1."""
    if not 0.0 < level < 1.0:
        raise StatsInputError(f"conf_level must be between 0 and 1, got {level}")
    return float(level)


def readonly(values: ArrayLike) -> FloatArray:
    """A read-only float copy, so a frozen result can neither be changed through its arrays
    nor share memory with (and so freeze) the caller's input."""
    arr = np.array(values, dtype=np.float64, copy=True)
    arr.setflags(write=False)
    return arr
