"""Arrow arrays of fixed-width values as numpy arrays, read from their buffers.

pyarrow's own conversions (``Array.to_numpy``, ``numpy.asarray(array)``, ``pyarrow.array``,
``pyarrow.scalar``, a compute function given a Python scalar) set up its pandas support on
first use, which imports pandas when it is installed: 0.35-0.45 s that a DuckDB check, whose
results are plain numbers and flags, does not need. These functions read the validity
bitmap and the values buffer directly (``numpy.frombuffer``: a view, or one copy where
nulls are filled), so nothing here imports pandas.

Plain numpy on what pyarrow hands over; pyarrow itself is never imported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _bits(buffer: Any, offset: int, n: int) -> np.ndarray:
    """A bitmap buffer's ``n`` bits from ``offset``, as bools (Arrow's bit order: least
    significant first)."""
    raw = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(raw, count=offset + n, bitorder="little")[offset:].view(bool)


def valid_of(array: Any) -> np.ndarray:
    """Where ``array`` (a pyarrow Array) holds a value (not NULL)."""
    n = len(array)
    validity = array.buffers()[0]
    if validity is None or not array.null_count:
        return np.ones(n, dtype=bool)
    return _bits(validity, array.offset, n)


def values_of(array: Any, dtype: Any, fill: Any = None) -> np.ndarray:
    """The values of ``array`` (a pyarrow Array of a fixed-width type, read as ``dtype``:
    int64, float64, uint8, ..., or bool for a BOOLEAN's bits), NULL slots set to ``fill``
    (a zero value when None: False, 0). A read-only view when nothing is filled."""
    n = len(array)
    data = array.buffers()[1]
    dtype = np.dtype(dtype)
    zero = dtype.type(0) if fill is None else fill
    if data is None:  # (no values buffer: every slot NULL)
        return np.full(n, zero, dtype=dtype)
    if dtype == np.bool_:
        out = _bits(data, array.offset, n) if n else np.zeros(0, dtype=bool)
    else:
        out = np.frombuffer(data, dtype=dtype, count=array.offset + n)[array.offset:] if n else \
            np.zeros(0, dtype=dtype)
    if array.null_count:
        out = out.copy()
        out[~valid_of(array)] = zero
    return out

