"""Factorizing a column of Python objects (text, dates) in one hash pass over machine words.

``factorize(values)`` is ``pd.factorize(values, use_na_sentinel=True)``: the same codes (in
order of first appearance, -1 where missing) and the same distinct values. A column of
text with few distinct values usually holds few distinct *objects* too: Arrow's
``to_pandas`` (``deduplicate_objects``), pandas' CSV reader and ``np.where`` over a few
strings give every cell equal to ``"mg/dL"`` the same ``str``. Hashing the cells' addresses
(int64) instead of their text is then about five times faster. The distinct objects are
then factorized by value, as pandas would (equal texts held by different objects are one
value; ``None`` and ``NaN`` are missing), and their codes mapped back, so the answer is
pandas' own whatever the objects are. A column of many distinct objects (subject keys)
is left to ``pd.factorize``: a sample of its first cells decides.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

SAMPLE = 4096  # cells looked at to decide
FEW = 256  # distinct objects in the sample below which addresses are hashed
_MEMO: ContextVar[dict[Any, Any] | None] = ContextVar("factorize_memo", default=None)


def few_objects(array: np.ndarray) -> bool:
    """Whether a long object array seems to hold few distinct objects (by its first cells)."""
    return bool(array.dtype == object and array.ndim == 1 and len(array) > SAMPLE
                and len(set(map(id, array[:SAMPLE]))) <= FEW)


def factorize(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, use_na_sentinel=True)``, faster on object columns of few objects."""
    array = np.asarray(values)
    if not few_objects(array):
        return pd.factorize(array, use_na_sentinel=True)
    memo = _MEMO.get()
    key = (array.__array_interface__["data"][0], array.strides, len(array))
    hit = None if memo is None else memo.get(key)
    if hit is not None:
        return hit[1]
    result = _by_address(np.ascontiguousarray(array))
    if memo is not None:
        memo[key] = (array, result)  # holding the array keeps its memory (and the key) its own
    return result


def _by_address(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # the cells' addresses: an object array holds one pointer per cell (numpy refuses to view
    # it as integers, ctypes reads the same memory); read while ``array`` holds the objects
    addresses = np.ctypeslib.as_array((ctypes.c_ssize_t * len(array)).from_address(array.ctypes.data))
    by_object, objects = pd.factorize(addresses)
    if len(objects) > len(array) // 4:  # many objects after all: hashing by value costs no more
        return pd.factorize(array, use_na_sentinel=True)
    first = np.empty(len(objects), np.int64)  # each object's first cell (the last write wins)
    first[by_object[::-1]] = np.arange(len(array) - 1, -1, -1)
    codes, uniques = pd.factorize(array[first], use_na_sentinel=True)
    if len(uniques) == len(objects) and bool(np.all(codes == np.arange(len(codes)))):
        return by_object, uniques  # one object per value, none missing: the codes are the same
    return codes[by_object], uniques


@contextmanager
def memo() -> Iterator[None]:
    """Within this block a column factorized twice (a unit column also declared as a column of
    its own) is hashed once: the binding of one set of tables, whose cells do not change."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)
