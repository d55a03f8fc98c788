"""Arrow arrays of fixed-width values as numpy arrays, read from their buffers.

pyarrow's own conversions (``Array.to_numpy``, ``numpy.asarray(array)``, ``pyarrow.array``,
``pyarrow.scalar``, a compute function given a Python scalar) set up its pandas support on
first use, which imports pandas when it is installed: 0.35-0.45 s that a DuckDB check, whose
results are plain numbers and flags, does not need. These functions read the validity
bitmap and the values buffer directly (``numpy.frombuffer``: a view, or one copy where
nulls are filled), so nothing here imports pandas.

The other way, ``arrow_ints``, ``arrow_texts`` and ``arrow_words`` build Arrow arrays from
numpy buffers (``pyarrow.Array.from_buffers``) for the same reason: the per-subject Parquet
of a DuckDB check is written without pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def arrow_ints(values: np.ndarray, valid: np.ndarray | None = None) -> Any:
    """A numpy integer array as the Arrow array of its type, NULL where ``valid`` is False."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    bitmap, nulls = None, 0
    if valid is not None and not bool(valid.all()):
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
        nulls = len(valid) - int(np.count_nonzero(valid))
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values),
                                 [bitmap, pa.py_buffer(values)], null_count=nulls)


def arrow_texts(texts: Sequence[str] | np.ndarray) -> Any:
    """Python strings as an Arrow string array (a dictionary's few words)."""
    import pyarrow as pa

    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def arrow_words(codes: np.ndarray, words: Sequence[str] | np.ndarray, valid: np.ndarray | None = None) -> Any:
    """Codes into ``words`` as an Arrow dictionary array (NULL where ``valid`` is False)."""
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(arrow_ints(codes, valid), arrow_texts(words))
