"""``Backend.row_batches`` on the pandas backend: a row dataset's nodes per row, in batches.

Each node is evaluated once over all rows of the dataset (one trace, so shared sub-nodes
and time-series orders are computed once), the rows are put in (subject, ``order_by``)
order by one stable sort, and the sorted rows are cut at subject boundaries into
:class:`trialspec.row_batch.RowBatch` objects of ``batch_subjects`` subjects each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trialspec.backend import EngineError, UnboundDataset
from trialspec.lang import ir
from trialspec.row_batch import RowBatch
from trialspec.values import Dates, Labels, Numbers, Tri, Value, broadcast, take


def row_batches(frames: Any, dataset: str, columns: Mapping[str, ir.Node],
                order_by: Sequence[ir.Node], batch_subjects: int) -> Iterator[RowBatch]:
    from trialspec.engine.files import FORMATS
    from trialspec.engine.pandas.bind import LINE_COLUMN, ROW_COLUMN
    from trialspec.engine.pandas.evaluate import Trace, _Ctx, _eval

    if dataset not in frames.rows:
        raise UnboundDataset(f"no row dataset {dataset!r} is bound")
    if batch_subjects < 1:
        raise EngineError(f"batch_subjects must be at least 1, not {batch_subjects}")
    table = frames.rows[dataset]
    codes = np.asarray(table.codes, np.int64)
    n = len(codes)
    ctx = _Ctx(frames, Trace(frames), dataset, codes)
    values = {name: broadcast(_eval(node, ctx), n) for name, node in columns.items()}
    keys = [_sort_key(_eval(node, ctx), n) for node in order_by]
    perm = _order(codes, keys)
    frame = table.frame
    rows = (np.asarray(frame[ROW_COLUMN], np.int64) if ROW_COLUMN in frame.columns
            else np.arange(1, n + 1, dtype=np.int64))
    path = frames.paths.get(dataset)
    if LINE_COLUMN in frame.columns:
        lines = np.asarray(frame[LINE_COLUMN], np.int64)
    else:  # CSV lines and XLSX rows count a header; XPT, Parquet... have none
        header = int(FORMATS.get(Path(path or "").suffix.lower(), "csv") in ("csv", "xlsx"))
        lines = rows + header
    sorted_codes = codes if perm is None else codes[perm]
    total = frames.n
    for first in range(0, max(total, 1), batch_subjects):
        last = min(first + batch_subjects, total)
        lo, hi = np.searchsorted(sorted_codes, [first, last])
        if perm is None:
            pick: Any = slice(int(lo), int(hi))
            whole = lo == 0 and hi == n
            vals = values if whole else {k: _slice(v, pick) for k, v in values.items()}
        else:
            pick = perm[lo:hi]
            vals = {k: take(v, pick) for k, v in values.items()}
        yield RowBatch(dataset, np.arange(first, last, dtype=np.int64), sorted_codes[lo:hi],
                       rows[pick], lines[pick], vals, path)


def _slice(value: Value, s: slice) -> Value:
    if isinstance(value, Tri):
        return Tri.raw(value.value[s], value.known[s])
    if isinstance(value, Labels):
        return Labels(value.codes[s], value.levels)
    return type(value)(value.lo[s], None if value.exact else value.hi[s])


_LAST = np.iinfo(np.int64).max


def _sort_key(value: Value, n: int) -> np.ndarray:
    """An int64 or float64 key per row, missing values sorting last."""
    value = broadcast(value, n)
    if isinstance(value, Dates):
        d = np.asarray(value.lo).astype("datetime64[D]").astype(np.int64)
        return np.where(np.isnat(np.asarray(value.lo)), _LAST, d)
    if isinstance(value, Numbers):
        x = np.asarray(value.lo, np.float64)
        return np.where(np.isnan(x), np.inf, x)
    if isinstance(value, Labels):
        codes = np.asarray(value.codes, np.int64)
        rank = np.append(np.argsort(np.argsort(value.levels.astype(str), kind="stable")), -1)[codes]
        return np.where(codes < 0, _LAST, rank)
    return np.where(value.known, np.asarray(value.value, np.int64), 2)


def _order(codes: np.ndarray, keys: list[np.ndarray]) -> np.ndarray | None:
    """The stable (subject, keys...) order of the rows; None when they are in it already."""
    n = len(codes)
    if n < 2:
        return None
    if len(keys) == 1 and keys[0].dtype == np.int64:  # one date: one packed int64 key
        d = keys[0]
        missing = d == _LAST
        lo = d[~missing].min() if (~missing).any() else 0
        offset = np.where(missing, (1 << 31) - 1, np.clip(d - lo, 0, (1 << 31) - 2))
        key = (codes << 32) | offset
    elif not keys:
        key = codes
    else:
        perm = np.lexsort((np.arange(n), *reversed(keys), codes))
        return None if bool(np.all(perm[1:] > perm[:-1])) else perm
    if bool(np.all(key[1:] >= key[:-1])):
        return None
    return np.argsort(key, kind="stable")
