"""Text read from DuckDB for the native binder (``bind.py``): keys checked present and
increasing as they stream in file order, kept as the subjects' ids (``trialspec.text_ids``),
and whether any starts or ends with whitespace, judged from their bytes on the way; and
which text columns have few values (categories and unit columns, judged by their distinct
values).

Nothing here runs SQL: ``bind.py`` queries, these functions look at what comes back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.arrow_numpy import arrow_ints
from trialspec.engine.cells import increasing_text
from trialspec.engine.duckdb.bind_sql import WHITESPACE
from trialspec.text_ids import TextIds


def keys_in_order(batches: Any, n: int, edges: bool = True) -> tuple[TextIds | None, bool | None]:
    """``n`` text keys read batch by batch: (the keys, held as the Arrow text read, if each is
    present and greater than the one before it, else None; whether some key starts or ends
    with whitespace, None when ``edges`` is false or the keys are not text). With ``edges``
    every batch is read, to judge the edges; without, the reading stops at the first key out
    of order."""
    import pyarrow as pa

    kept: list[Any] | None = []
    at, last, edged = 0, None, False
    for batch in batches:
        col = batch.column(0)
        if not len(col):
            continue
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            return None, None
        if edges and not edged:
            edged = has_edges(col)
        if kept is not None and not _in_order(col, last, at, n):
            kept = None
            if not edges:
                break
        if kept is not None:
            last = col[-1].as_py()
            kept.append(col)
        at += len(col)
    ids = TextIds(pa.chunked_array(kept, kept[0].type)) if kept and at == n else None
    return ids, (edged if edges else None)


def _in_order(col: Any, last: str | None, at: int, n: int) -> bool:
    """Whether a batch of keys is present and increasing, and after ``last``."""
    import pyarrow.compute as pc

    if col.null_count or pc.min(pc.binary_length(col)).as_py() == 0 or at + len(col) > n:
        return False
    if last is not None and not col[0].as_py() > last:
        return False
    return len(col) < 2 or increasing_text(col)


def has_edges(col: Any) -> bool:
    """Whether some text of an Arrow string array starts or ends with whitespace (what trimming
    removes, ``edged``): from each text's first and last byte, and only the texts with a
    multi-byte character at an edge looked at as Python text."""
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    wide = pa.types.is_large_string(col.type)
    offsets: np.ndarray = np.frombuffer(col.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[col.offset:col.offset + len(col) + 1]
    starts, stops = offsets[:-1], offsets[1:]
    some = stops > starts  # (NULL and empty texts have no edges)
    data = np.frombuffer(col.buffers()[2], dtype=np.uint8) if col.buffers()[2] is not None else None
    if data is None or not some.any():
        return False
    first, final = data[starts[some]], data[stops[some] - 1]
    if _ASCII_SPACE[first].any() or _ASCII_SPACE[final].any():
        return True
    wide_edge = np.flatnonzero((first >= 0x80) | (final >= 0x80))  # a multi-byte character at an edge
    if not len(wide_edge):
        return False
    rows = np.flatnonzero(some)[wide_edge].astype(np.int64)
    return any(map(edged, col.take(arrow_ints(rows)).to_pylist()))  # (pa.array would import pandas)


_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[ord(c) for c in WHITESPACE if ord(c) < 0x80]] = True


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
