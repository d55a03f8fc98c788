"""Text read from DuckDB for the native binder (``bind.py``): subject ids as compact numpy
text, keys checked present and increasing as they stream in file order, and which text
columns can need trimming (the names a dataset declares; categories and unit columns, judged
by their distinct values).

Nothing here runs SQL: ``bind.py`` queries, these functions look at what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trialspec.engine.cells import increasing_text
from trialspec.engine.duckdb.bind_sql import WHITESPACE


def increasing_ids(batches: Any, n: int) -> np.ndarray | None:
    """``n`` text keys, read batch by batch into one compact numpy text array, if each is
    present and greater than the one before it (None as soon as one is not)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = np.empty(n, dtype=np.dtypes.StringDType())
    at, last = 0, None
    for batch in batches:
        col = batch.column(0)
        if not len(col):
            continue
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            return None
        if col.null_count or pc.min(pc.binary_length(col)).as_py() == 0 or at + len(col) > n:
            return None
        if last is not None and not col[0].as_py() > last:
            return None
        if len(col) > 1 and not increasing_text(col):
            return None
        last = col[-1].as_py()
        out[at:at + len(col)] = compact(col)
        at += len(col)
    return out if at == n else None


def few_valued(ds: Any) -> set[str]:
    """The file columns of a dataset that hold few distinct values: categories, unit columns."""
    out = set()
    for cname, col in ds.columns.items():
        if col.type == "category":
            out.add(col.source or cname)
        if col.unit_column:
            out.add(col.unit_column)
    return out


def edged(text: str) -> bool:
    """Whether ``text`` starts or ends with whitespace (what trimming removes)."""
    return bool(text) and (text[0] in WHITESPACE or text[-1] in WHITESPACE)


def named_columns(ds: Any) -> set[str]:
    """Every name the dataset's declaration holds (columns, sources, keys, unit columns, a long
    layout's fields, range limits): the file columns the binding may read."""
    import dataclasses

    out: set[str] = set()
    todo = [ds]
    while todo:
        x = todo.pop()
        if isinstance(x, str):
            out.add(x)
        elif isinstance(x, Mapping):
            todo += [*x.keys(), *x.values()]
        elif isinstance(x, (list, tuple, set, frozenset)):
            todo += list(x)
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            todo += [getattr(x, f.name) for f in dataclasses.fields(x)]
    return out


def compact(ids: Any) -> np.ndarray:
    """Arrow text ids as a numpy ``StringDType`` array (an object array if one is NULL)."""
    import pyarrow as pa

    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if ids.null_count:
        return np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)
    short = _short_ascii(ids)
    if short is not None:
        return short.astype(np.dtypes.StringDType())
    return np.asarray(ids.cast(pa.large_string()) if not pa.types.is_string(ids.type) else ids,
                      dtype=np.dtypes.StringDType())


def _short_ascii(ids: Any) -> np.ndarray | None:
    """Arrow text of short ASCII ids (the usual subject ids) as fixed-width numpy bytes, built
    from the Arrow buffers without a Python string each; None when they are not all short
    (16 bytes at most) printable-range ASCII without NUL (which fixed-width bytes would drop)."""
    import pyarrow as pa

    if not len(ids) or not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        return None
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32 if pa.types.is_string(ids.type) else np.int64)
    offsets = offsets[ids.offset:ids.offset + len(ids) + 1]
    lengths = np.diff(offsets)
    width = int(lengths.max())
    if width == 0 or width > 16:
        return None
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    if len(data) and (int(data.max()) >= 128 or int(data.min()) == 0):
        return None
    out = np.zeros((len(ids), width), dtype=np.uint8)
    if (lengths == width).all():
        out[:] = data.reshape(len(ids), width)
    else:
        out[np.arange(width) < lengths[:, None]] = data
    return out.view(f"S{width}").ravel()
