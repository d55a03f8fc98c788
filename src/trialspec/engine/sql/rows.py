"""``Backend.row_batches`` on SQL: a row dataset's nodes per row, a query per batch.

The nodes (and the ``order_by`` keys) are compiled in the dataset's row scope, as inside an
aggregate; each batch is the subjects ``[first, last)``, selected on ``_i`` after every layer
(time series, computed over all rows of the dataset, are not cut by it) and ordered
``_i, <keys> NULLS LAST, _r``: dates and numbers by their lower bound, labels by their text,
conditions false < true < unknown, ties in the source's order (``_r``). Each row's file row and
line come from the frames' pandas ``source`` when there is one, else from the row view's
optional ``_row``/``_line`` columns (``_r + 1`` and ``_r + 2`` without them). Up to
``ONE_QUERY_ROWS`` rows, one query serves all batches and is cut by subject in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlglot import exp

from trialspec.backend import EngineError, UnboundDataset
from trialspec.engine.sql import sqlx as q
from trialspec.engine.sql.compile import render
from trialspec.engine.sql.fetch import fetch
from trialspec.engine.sql.frames import SqlFrames
from trialspec.lang import ir
from trialspec.row_batch import RowBatch

ONE_QUERY_ROWS = 1_000_000  # up to this many rows, one query serves every batch


def row_batches(backend: Any, frames: SqlFrames, dataset: str, columns: Mapping[str, ir.Node],
                order_by: Sequence[ir.Node], batch_subjects: int) -> Iterator[RowBatch]:
    ds = frames.datasets.get(dataset)
    if ds is None or not ds.rows:
        raise UnboundDataset(f"no row dataset {dataset!r} is bound")
    if batch_subjects < 1:
        raise EngineError(f"batch_subjects must be at least 1, not {batch_subjects}")
    compiler = backend._compiler(frames)
    for node in [*columns.values(), *order_by]:
        compiler.prepare(node)
    rows, lines, path = _file_rows(frames, dataset)
    scope = compiler.scope(dataset)
    values = {name: compiler.compile(node, scope) for name, node in columns.items()}
    keys = [compiler.compile(node, scope).parts()[0] for node in order_by]
    outputs: list[tuple[str, exp.Expr]] = []
    spans = {}
    for name, v in values.items():
        start = len(outputs)
        outputs.extend((f"o{len(outputs) + k}", e) for k, e in enumerate(v.parts()))
        spans[name] = (start, len(outputs))
    outputs.extend((f"k{k}", e) for k, e in enumerate(keys))
    dialect = frames.conn.dialect
    inner = render(scope.select(outputs, order=False), dialect)
    total = frames.n
    view = frames.datasets[dataset].view
    if frames.source is not None and dataset in frames.source.rows:
        m = len(frames.source.rows[dataset].codes)
    else:
        count = q.select_sql([exp.alias_(exp.Count(this=exp.Star()), "m")], view, dialect)
        m = int(frames.conn.query(count).column(0)[0].as_py())
    whole = None
    if m <= ONE_QUERY_ROWS:  # few rows: one query, cut in Python (a query costs ~10 ms)
        whole = frames.conn.query(_batch_sql(inner, len(keys), 0, max(total, 1), dialect))
        cuts = np.searchsorted(np.asarray(whole.column(0).to_numpy(), dtype=np.int64),
                               np.arange(0, max(total, 1) + batch_subjects, batch_subjects))
    for b, first in enumerate(range(0, max(total, 1), batch_subjects)):
        last = min(first + batch_subjects, total)
        if whole is None:
            table = frames.conn.query(_batch_sql(inner, len(keys), first, last, dialect))
        else:
            table = whole.slice(int(cuts[b]), int(cuts[b + 1]) - int(cuts[b]))
        subject = np.asarray(table.column(0).to_numpy(), dtype=np.int64)
        r = np.asarray(table.column(1).to_numpy(), dtype=np.int64)
        vals = {name: fetch(values[name], [table.column(2 + k) for k in range(a, b_)])
                for name, (a, b_) in spans.items()}
        yield RowBatch(dataset, np.arange(first, last, dtype=np.int64), subject,
                       rows[r] if rows is not None else r + 1,
                       lines[r] if lines is not None else r + 2, vals, path)


_PLACEHOLDER = "ts_rows_placeholder"


def _batch_sql(inner: str, n_keys: int, first: int, last: int, dialect: str) -> str:
    """``SELECT * FROM (inner) WHERE _i in [first, last) ORDER BY _i, k0.. NULLS LAST, _r``
    (the inner query is compiled and rendered once for all batches)."""
    order = [q.col("_i"), *[exp.Ordered(this=q.col(f"k{k}"), nulls_first=False)
                            for k in range(n_keys)], q.col("_r")]
    outer = exp.select(exp.Star()).from_(exp.to_table(_PLACEHOLDER)).where(
        q.and_(q.op(">=", q.col("_i"), q.integer(first)), q.op("<", q.col("_i"), q.integer(last)))
    ).order_by(*order)
    return outer.sql(dialect=dialect).replace(_PLACEHOLDER, f"({inner}) AS b", 1)


def _file_rows(frames: SqlFrames, dataset: str) -> tuple[Any, Any, str | None]:
    """(file row per ``_r``, file line per ``_r``, path), as the pandas engine reports them."""
    src = frames.source
    if src is None or dataset not in src.rows:
        return _native_rows(frames, dataset)
    from trialspec.engine.files import FORMATS
    from trialspec.engine.pandas.bind import LINE_COLUMN, ROW_COLUMN

    frame = src.rows[dataset].frame
    n = len(frame)
    rows = (np.asarray(frame[ROW_COLUMN], np.int64) if ROW_COLUMN in frame.columns
            else np.arange(1, n + 1, dtype=np.int64))
    path = src.paths.get(dataset)
    if LINE_COLUMN in frame.columns:
        lines = np.asarray(frame[LINE_COLUMN], np.int64)
    else:
        header = int(FORMATS.get(Path(path or "").suffix.lower(), "csv") in ("csv", "xlsx"))
        lines = rows + header
    return rows, lines, path


def _native_rows(frames: SqlFrames, dataset: str) -> tuple[Any, Any, str | None]:
    view = frames.datasets[dataset].view
    try:
        got = frames.conn.query(q.select_sql([q.col("_row"), q.col("_line")], view,
                                             frames.conn.dialect, order=[q.col("_r")]))
    except Exception:  # the optional columns are absent: rows in source order, one header line
        return None, None, frames.paths.get(dataset)
    return (np.asarray(got.column(0).to_numpy(), dtype=np.int64),
            np.asarray(got.column(1).to_numpy(), dtype=np.int64), frames.paths.get(dataset))
