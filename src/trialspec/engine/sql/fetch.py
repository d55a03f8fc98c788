"""Query results (pyarrow columns) as the neutral value carriers of ``trialspec.values``.

One compiled value is one to two result columns (``SValue.parts()``): a condition's
nullable BOOLEAN becomes ``Tri(value, known)``, numbers ``Numbers`` (NULL -> NaN), day
numbers ``Dates`` (NULL -> NaT), text ``Labels`` (dictionary-encoded: codes into the
distinct strings, -1 missing). An interval whose bounds are equal everywhere is returned
exact (``hi is lo``), as the pandas engine returns it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.engine.sql.values import SCond, SDate, SNum, SText, SValue
from trialspec.values import Dates, Labels, Numbers, Tri, Value


def fetch(value: SValue, columns: list[Any], order: np.ndarray | None = None) -> Value:
    """The carrier of ``value`` from its result columns (pyarrow arrays or chunked arrays),
    its rows taken in ``order`` (positions into the result; None: as they come)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def put(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    cols = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    if isinstance(value, SCond):
        c = cols[0].cast(pa.bool_())
        known = put(np.asarray(c.is_valid().to_numpy(zero_copy_only=False), dtype=bool))
        v = put(np.asarray(pc.fill_null(c, False).to_numpy(zero_copy_only=False), dtype=bool))
        return Tri.raw(v & known, known)
    if isinstance(value, SText):
        c = cols[0].cast(pa.string()).dictionary_encode()
        codes = put(pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64))
        levels = np.asarray(c.dictionary.to_pylist(), dtype=object)
        return Labels(codes, levels if len(levels) else np.array([], dtype=object))
    if isinstance(value, SDate):
        bounds = [put(_days(c)) for c in cols]
        cls: type = Dates
    else:
        assert isinstance(value, SNum)
        bounds = [put(np.asarray(c.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64))
                  for c in cols]
        cls = Numbers
    if len(bounds) == 1 or np.array_equal(bounds[0], bounds[1], equal_nan=True):
        return cls(bounds[0])
    return cls(bounds[0], bounds[1])


def _days(c: Any) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    c = c.cast(pa.int64())
    nat = np.iinfo(np.int64).min
    return np.asarray(pc.fill_null(c, nat).to_numpy(zero_copy_only=False),
                      dtype=np.int64).view("datetime64[D]")
