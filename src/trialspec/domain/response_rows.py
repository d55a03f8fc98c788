"""The assessments a response plan is derived from: the backend's row batches, with each
row's baseline phase, as the plain table ``response_derive`` and ``response_section`` read.

The backend evaluates the plan's nodes per assessment and puts the rows in (subject, date)
order (``Backend.row_batches``); which row is a subject's baseline, and where every other
row stands against it, is the criteria's rule and is decided here, per batch, with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trialspec.backend import Backend, DataContext, UnboundDataset
from trialspec.lang import ir
from trialspec.row_batch import RowBatch, plain

# a row's place against its subject's baseline (the table's ``phase``)
NO_BASELINE, BEFORE, BASELINE, AFTER = -2, -1, 0, 1
_FLAG, _TIME = "@baseline", "@time"


def baseline_phase(subject: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """int8 per row (rows grouped by subject, in time order): :data:`BASELINE` on each
    subject's baseline row, the *last* row where ``flag`` (bool) holds, :data:`BEFORE` and
    :data:`AFTER` around it, :data:`NO_BASELINE` for every row of a subject without one."""
    n = len(subject)
    if not n:
        return np.zeros(0, np.int8)
    first = np.ones(n, bool)
    first[1:] = subject[1:] != subject[:-1]
    starts = np.flatnonzero(first)
    index = np.arange(n)
    base = np.maximum.reduceat(np.where(flag, index, -1), starts)[np.cumsum(first) - 1]
    out = np.sign(index - base).astype(np.int8)
    out[base < 0] = NO_BASELINE
    return out


def assessment_table(backend: Backend, frames: DataContext, dataset: str, time: ir.Node, baseline: ir.Node,
                     nodes: Mapping[str, ir.Node]) -> dict[str, Any] | None:
    """Each node's value per assessment of ``dataset``, rows sorted by subject and ``time``,
    as plain arrays; None when ``dataset`` is not bound as rows.

    ``subjects`` (every subject id, in the data context's order), ``subject`` (each row's
    subject position), ``row`` (its 1-based data row), ``line`` (its file line), ``path``,
    ``phase`` (:func:`baseline_phase` of ``baseline``, a row condition), ``time``
    (datetime64[D]; a partial date's first day), ``partial`` (whether it was a partial date)
    and ``values`` (name -> :func:`trialspec.row_batch.plain` array).
    """
    columns = {**nodes, _FLAG: baseline, _TIME: time}
    try:
        parts = [_plain_batch(b, nodes) for b in backend.row_batches(frames, dataset, columns, [time])]
    except UnboundDataset:
        return None
    table: dict[str, Any] = {"subjects": np.asarray(frames.subjects, dtype=object)}
    for key in ("subject", "row", "line", "phase", "time", "partial"):
        table[key] = np.concatenate([p[key] for p in parts])
    table["path"] = parts[0]["path"] if parts else None
    table["values"] = {name: np.concatenate([p["values"][name] for p in parts]) for name in nodes}
    return table


def _partial(time: Any) -> np.ndarray:
    """Where a row's date is a partial one (2015-11: its first day is the row's ``time``)."""
    lo, hi = np.asarray(time.lo), np.asarray(getattr(time, "hi", time.lo))
    return np.broadcast_to((lo != hi) & ~np.isnat(lo), lo.shape).copy()


def _plain_batch(batch: RowBatch, nodes: Mapping[str, ir.Node]) -> dict[str, Any]:
    flag = plain(batch.values[_FLAG]) == 1
    return {"subject": batch.subject, "row": batch.row, "line": batch.line, "path": batch.path,
            "phase": baseline_phase(batch.subject, flag),
            "time": plain(batch.values[_TIME]).astype("datetime64[D]"),
            "partial": _partial(batch.values[_TIME]),
            "values": {name: plain(batch.values[name]) for name in nodes}}
