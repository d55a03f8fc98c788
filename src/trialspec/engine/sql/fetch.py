"""Query results (pyarrow columns) as the neutral value carriers of ``trialspec.values``.

One compiled value is one to two result columns (``SValue.parts()``): a condition's
nullable BOOLEAN becomes ``Tri(value, known)``, numbers ``Numbers`` (NULL -> NaN), day
numbers ``Dates`` (NULL -> NaT), text ``Labels`` (dictionary-encoded: codes into the
distinct strings, -1 missing). An interval whose bounds are equal everywhere is returned
exact (``hi is lo``), as the pandas engine returns it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from trialspec.arrow_numpy import valid_of, values_of
from trialspec.engine.sql.values import SCond, SDate, SFlags, SNum, SText, SValue
from trialspec.values import Dates, Labels, Numbers, Tri, Value


def fetch(value: SValue, columns: list[Any], order: np.ndarray | None = None) -> Value:
    """The carrier of ``value`` from its result columns (pyarrow arrays or chunked arrays),
    its rows taken in ``order`` (positions into the result; None: as they come)."""
    import pyarrow as pa

    def put(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    cols = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    if isinstance(value, SCond):
        c = cols[0].cast(pa.bool_())
        known = put(valid_of(c))
        v = put(values_of(c, bool))
        return Tri.raw(v & known, known)
    if isinstance(value, SText):
        c = cols[0].cast(pa.string()).dictionary_encode()
        codes = put(values_of(c.indices.cast(pa.int64()), np.int64, -1))
        levels = np.asarray(c.dictionary.to_pylist(), dtype=object)
        return Labels(codes, levels if len(levels) else np.array([], dtype=object))
    if isinstance(value, SDate):
        bounds = [put(_days(c)) for c in cols]
        cls: type = Dates
    else:
        assert isinstance(value, SNum)
        bounds = [put(values_of(c.cast(pa.float64()), np.float64, np.nan)) for c in cols]
        cls = Numbers
    if len(bounds) == 1 or np.array_equal(bounds[0], bounds[1], equal_nan=True):
        return cls(bounds[0])
    return cls(bounds[0], bounds[1])


def _days(c: Any) -> np.ndarray:
    import pyarrow as pa

    return values_of(c.cast(pa.int64()), np.int64, np.iinfo(np.int64).min).view("datetime64[D]")


def gather(values: Sequence[SValue | SFlags], spans: Sequence[tuple[int, int]], batches: Iterable[Any],
           n: int) -> list[Value | np.ndarray]:
    """The carriers of ``values`` from a result streamed as record batches in any order: each
    batch's column 0 is the subject position (``_i``), the value's parts are columns
    ``1 + a .. 1 + b - 1`` for its span ``(a, b)``. Each part goes straight into an array of
    ``n`` rows at those positions, so neither the whole Arrow result nor an order array is
    ever held (at 50M subjects that was 0.8 GiB beside the values). An :class:`SFlags` comes
    back as its bytes (a numpy uint8 array)."""
    import pyarrow as pa

    out: list[list[np.ndarray]] = []
    for v, (a, b) in zip(values, spans, strict=True):
        if isinstance(v, SCond):
            out.append([np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)])
        elif isinstance(v, SFlags):
            out.append([np.zeros(n, dtype=np.uint8)])
        elif isinstance(v, SText):
            out.append([np.full(n, None, dtype=object)])
        elif isinstance(v, SDate):
            out.append([np.full(n, np.iinfo(np.int64).min, dtype=np.int64) for _ in range(a, b)])
        else:
            out.append([np.full(n, np.nan, dtype=np.float64) for _ in range(a, b)])
    seen = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        at: Any = values_of(batch.column(0).cast(pa.int64()), np.int64)
        seen += len(at)
        if at[-1] - at[0] == len(at) - 1 and (len(at) < 2 or bool((np.diff(at) == 1).all())):
            at = slice(int(at[0]), int(at[-1]) + 1)  # a run of positions (as a scan returns them)
        for v, (a, _b), arrays in zip(values, spans, out, strict=True):
            if isinstance(v, SCond):
                c = batch.column(1 + a).cast(pa.bool_())
                arrays[1][at] = valid_of(c)
                arrays[0][at] = values_of(c, bool)
            elif isinstance(v, SFlags):
                arrays[0][at] = values_of(batch.column(1 + a).cast(pa.uint8()), np.uint8)
            elif isinstance(v, SText):
                arrays[0][at] = batch.column(1 + a).cast(pa.string()).to_numpy(zero_copy_only=False)
            elif isinstance(v, SDate):
                for k, array in enumerate(arrays):
                    array[at] = _days(batch.column(1 + a + k)).view(np.int64)
            else:
                for k, array in enumerate(arrays):
                    array[at] = values_of(batch.column(1 + a + k).cast(pa.float64()), np.float64, np.nan)
    if seen != n:
        raise ValueError(f"the query returned {seen} rows for {n} subjects")
    result: list[Value | np.ndarray] = []
    for v, arrays in zip(values, out, strict=True):
        if isinstance(v, SFlags):
            result.append(arrays[0])
        elif isinstance(v, SCond):
            value, known = arrays
            value &= known
            result.append(Tri.raw(value, known))
        elif isinstance(v, SText):
            result.append(fetch(v, [pa.array(arrays[0], pa.string())]))
        else:
            bounds = [a.view("datetime64[D]") for a in arrays] if isinstance(v, SDate) else arrays
            cls: type = Dates if isinstance(v, SDate) else Numbers
            exact = len(bounds) == 1 or np.array_equal(bounds[0], bounds[1], equal_nan=True)
            result.append(cls(bounds[0]) if exact else cls(bounds[0], bounds[1]))
        arrays.clear()
    return result
