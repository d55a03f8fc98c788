"""Rows of one dataset for a group of subjects, as a backend hands them to ``domain/``.

``Backend.row_batches(frames, dataset, columns, order_by)`` yields :class:`RowBatch` objects:
the rows of ``dataset`` in (subject, ``order_by``) order, each named IR node evaluated per
row as a neutral value carrier (:mod:`trialspec.values`). A batch holds every row of the
subjects it covers, never part of a subject's rows, so a per-subject rule (a baseline, a
cycle, a best response) runs on one batch at a time. docs/engine.md ("Row batches") states
the contract; the module imports numpy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialspec.values import Dates, Labels, Numbers, Tri, Value, broadcast


@dataclass(frozen=True, eq=False)
class RowBatch:
    """The rows of ``dataset`` for the subjects ``subjects``.

    - ``subjects``: int64, the positions (into the data context's subject order) this batch
      covers, ascending and contiguous; the batches of one call cover every subject once,
      in order, those without rows included.
    - ``subject``: int64 per row, the row's subject position (ascending: rows are grouped by
      subject, and within a subject sorted by the ``order_by`` nodes, missing last, ties in
      the source's order).
    - ``row``: int64 per row, the row's 1-based data row in its source.
    - ``line``: int64 per row, the row's line in its file (``row`` + header lines, unless
      blank lines shift it).
    - ``values``: each requested node's value per row (a neutral carrier, arrays of the
      batch's length; a subject-grain node is broadcast to its subject's rows).
    - ``path``: the file the rows were read from, as the user can open it (None: in memory).
    """

    dataset: str
    subjects: np.ndarray
    subject: np.ndarray
    row: np.ndarray
    line: np.ndarray
    values: Mapping[str, Value]
    path: str | None = None

    @property
    def n(self) -> int:
        """How many rows."""
        return len(self.subject)

    def local(self) -> np.ndarray:
        """Each row's subject as a position within ``subjects`` (0-based)."""
        first = int(self.subjects[0]) if len(self.subjects) else 0
        return self.subject - first


def concat(batches: Iterable[RowBatch]) -> RowBatch | None:
    """One batch holding the rows of ``batches`` in order (None: no batch at all)."""
    items = list(batches)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    first = items[0]
    return RowBatch(
        first.dataset, np.concatenate([b.subjects for b in items]),
        np.concatenate([b.subject for b in items]), np.concatenate([b.row for b in items]),
        np.concatenate([b.line for b in items]),
        {name: concat_values([b.values[name] for b in items], [b.n for b in items])
         for name in first.values},
        first.path)


def concat_values(values: list[Value], sizes: list[int]) -> Value:
    """Values of one kind, one after the other (labels merged onto one set of levels)."""
    parts = [broadcast(v, n) for v, n in zip(values, sizes, strict=True)]
    head = parts[0]
    if isinstance(head, Tri):
        tris = [p for p in parts if isinstance(p, Tri)]
        return Tri.raw(np.concatenate([t.value for t in tris]), np.concatenate([t.known for t in tris]))
    if isinstance(head, Labels):
        labels = [p for p in parts if isinstance(p, Labels)]
        if all(p.levels is head.levels for p in labels):
            return Labels(np.concatenate([p.codes for p in labels]), head.levels)
        levels = np.array(sorted({str(x) for p in labels for x in p.levels}), dtype=object)
        codes = []
        for p in labels:
            lut = np.append(np.searchsorted(levels, p.levels.astype(str)), -1) if len(p.levels) \
                else np.array([-1])
            codes.append(lut[np.asarray(p.codes)])
        return Labels(np.concatenate(codes), levels)
    intervals = [p for p in parts if isinstance(p, Numbers | Dates)]
    lo = np.concatenate([p.lo for p in intervals])
    if all(p.exact for p in intervals):
        return type(head)(lo)
    return type(head)(lo, np.concatenate([p.hi for p in intervals]))


def plain(value: Value) -> Any:
    """A value as one plain numpy array: a condition as int8 (1 true, 0 false, -1 unknown),
    numbers as float64 (lower bound), dates as datetime64[D] (first day), labels as an
    object array of str (None missing)."""
    if isinstance(value, Tri):
        return np.where(value.known, np.asarray(value.value).astype(np.int8), np.int8(-1)).astype(np.int8)
    if isinstance(value, Labels):
        return value.strings()
    return np.asarray(value.lo)
