"""One subject's data context (``Backend.narrow``): what ``explain --subject`` runs on.

Explaining one subject of a 50M-subject file must not screen 50M subjects: the data are read
and checked whole (the binding's findings are the file's), then each dataset's view is
narrowed to that subject's rows and held as a small table, and the sections run on it. The
narrowed context keeps the layout contract (``frames.py``): ``_i`` is 0 for the subject;
a row dataset's ``_r`` is renumbered 0..m-1 in the order its rows had; every other column,
``_row``, ``_line``, ``<col>__row`` and ``<col>__unit`` among them, is kept, so a value's
origin reads as it does in the whole run.

Only a natively bound context is narrowed: one registered from pandas (``source``) or
filled lazily (``loader``) holds its data in memory, and is explained from the whole run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import sqlglot.expressions as exp

from trialspec.arrow_numpy import arrow_ints
from trialspec.engine.sql import sqlx as q
from trialspec.engine.sql.frames import SqlDataset, SqlFrames, fresh_name
from trialspec.lang.types import Kind


def narrow(frames: SqlFrames, subject: Any) -> SqlFrames | None:
    """``frames`` narrowed to the subject ``subject`` (no subject when it has none of that
    id); None when ``frames`` is not natively bound."""
    if frames.source is not None or frames.loader is not None:
        return None
    try:
        at: int | None = int(frames.position(subject))
    except (KeyError, TypeError, ValueError):
        at = None
    keep = slice(at, at + 1) if at is not None else slice(0, 0)
    datasets = {name: replace(ds, view=_one(frames, ds, at, subject), columns=dict(ds.columns))
                for name, ds in frames.datasets.items()}
    subjects_view = next((datasets[n].view for n, ds in frames.datasets.items()
                          if ds.view == frames.subjects_view), None)
    if subjects_view is None:  # (a subjects view that is no dataset's: narrowed on its own)
        subjects_view = _one(frames, SqlDataset("", frames.subjects_view, False), at, None)
    coverage = {name: _one(frames, SqlDataset(name, view, False), at, None)
                for name, view in frames.coverage.items()}
    return SqlFrames(frames.conn, frames.subjects[keep], frames.key, subjects_view, datasets,
                     coverage, dict(frames.study_rows), dict(frames.paths), whole=frames)


def _one(frames: SqlFrames, ds: SqlDataset, at: int | None, subject: Any) -> str:
    """A table of the rows of ``ds``'s view whose ``_i`` is ``at`` (none when None), with
    ``_i`` 0 and, at row grain, ``_r`` renumbered in order; registered on the session.
    ``subject`` is the id, for the population's view only (where the key column is the id)."""
    where: exp.Expr = q.op("==", q.col("_i"), q.integer(at)) if at is not None else q.false()
    key = ds.columns.get((frames.key, Kind.STRING)) if ds.view == frames.subjects_view else None
    if at is not None and key is not None and isinstance(subject, str):
        # the same rows, said also by the key's text: a filter the file reader pushes down
        # (a Parquet file's row groups whose keys cannot match are skipped), where one on
        # ``_i`` (a row number) is tested on every row
        where = q.and_(q.op("==", q.col(key.lo), q.string(subject)), where)
    order: list[exp.Expr] | None = [q.col("_r")] if ds.rows else None
    sql = q.select_sql([exp.Star()], ds.view, frames.conn.dialect, where=where, order=order)
    table = frames.conn.query(sql)
    n = table.num_rows
    table = _set(table, "_i", arrow_ints(np.zeros(n, dtype=np.int64)))
    if ds.rows:
        table = _set(table, "_r", arrow_ints(np.arange(n, dtype=np.int64)))
    name = fresh_name("one")
    frames.conn.register(name, table)
    return name


def _set(table: Any, column: str, values: Any) -> Any:
    """``table`` with ``column`` replaced by ``values`` (added when absent)."""
    names = table.column_names
    if column in names:
        return table.set_column(names.index(column), column, values)
    return table.append_column(column, values)
