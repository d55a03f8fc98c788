"""``SqlFrames`` registered from the pandas engine's ``SubjectFrames``.

Each dataset starts as a view of its keys only (``_i``; ``_r`` for a row dataset). A column
is added on first use, converted by the pandas engine's own converters
(``SubjectFrames.value``: numbers, conditions, labels, ISO and partial dates, per-row unit
columns already converted by the binding), then laid out as ``SqlFrames`` requires (NULL for
missing, dates as day numbers with ``__hi`` bounds) and the dataset's Arrow table is
registered again with the new columns. Values are therefore the pandas engine's, by
construction; what the SQL engine computes from them is its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trialspec.engine.sql.connection import Connection
from trialspec.engine.sql.frames import SqlColumn, SqlDataset, SqlFrames, fresh_name
from trialspec.lang.types import Kind
from trialspec.values import Dates, Labels, Numbers, Tri, Value, broadcast


def register_subject_frames(conn: Connection, source: Any) -> SqlFrames:
    """A ``SqlFrames`` on ``conn`` over the pandas ``SubjectFrames`` ``source`` (lazy columns)."""
    import pyarrow as pa

    n = source.n
    view = fresh_name("subjects")
    conn.register(view, pa.table({"_i": np.arange(n, dtype=np.int64)}))
    loader = PandasLoader(source)
    frames = SqlFrames(conn, np.asarray(source.subjects, dtype=object), "", view,
                       loader=loader, source=source)
    for name in [*source.tables, *source.rows]:
        loader.add_dataset(frames, name)
    return frames


class PandasLoader:
    """Adds columns to a ``SqlFrames`` from pandas ``SubjectFrames`` (the frames' loader)."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.tables: dict[str, Any] = {}

    def add_dataset(self, frames: SqlFrames, name: str) -> None:
        """(Re)start ``name``'s view with its keys only (a derived dataset replaced)."""
        import pyarrow as pa

        rows = name in self.source.rows
        if rows:
            codes = np.asarray(self.source.rows[name].codes, dtype=np.int64)
            table = pa.table({"_i": codes, "_r": np.arange(len(codes), dtype=np.int64)})
        else:
            table = pa.table({"_i": np.arange(self.source.n, dtype=np.int64)})
        view = fresh_name("ds")
        frames.conn.register(view, table)
        self.tables[name] = table
        frames.datasets[name] = SqlDataset(name, view, rows)

    def __call__(self, frames: SqlFrames, dataset: str, wanted: Sequence[tuple[str, Kind]]) -> None:
        from trialspec.backend import EngineError

        if dataset not in self.tables:
            raise EngineError(f"dataset {dataset!r} has no column {wanted[0][0]!r}")
        ds = frames.datasets[dataset]
        table = self.tables[dataset]
        for column, kind in wanted:
            value, _rows = self.source.value(dataset, column, kind)
            size = table.num_rows
            name = f"{column}::{kind.value}"
            arrays = to_arrow(value, size)
            table = table.append_column(name, arrays[0])
            hi = None
            if len(arrays) > 1:
                hi = f"{name}__hi"
                table = table.append_column(hi, arrays[1])
            ds.columns[(column, kind)] = SqlColumn(kind, name, hi)
        self.tables[dataset] = table
        ds.view = fresh_name("ds")
        frames.conn.register(ds.view, table)


def to_arrow(value: Value, size: int) -> list[Any]:
    """A value's arrays in the SqlFrames layout: NULL missing, dates as day numbers."""
    import pyarrow as pa

    value = broadcast(value, size)
    if isinstance(value, Tri):
        known = np.asarray(value.known, dtype=bool)
        return [pa.array(np.asarray(value.value, dtype=bool), mask=~known, type=pa.bool_())]
    if isinstance(value, Labels):
        return [pa.array(value.strings(), type=pa.string())]
    if isinstance(value, Dates):
        bounds = [value.lo] if value.exact else [value.lo, value.hi]
        out = []
        for b in bounds:
            b = np.asarray(b).astype("datetime64[D]")
            out.append(pa.array(b.astype(np.int64), mask=np.isnat(b), type=pa.int64()))
        return out
    assert isinstance(value, Numbers)
    bounds = [value.lo] if value.exact else [value.lo, value.hi]
    out = []
    for b in bounds:
        b = np.asarray(b, dtype=np.float64)
        out.append(pa.array(b, mask=~np.isfinite(b), type=pa.float64()))
    return out
