"""Conformance checks as SQL: each declared cell check's failing rows, from one scan per file.

A dataset's cell checks (``bind_sql.Cell``: a condition and the value a failure carries) are
computed together in one aggregate query over the file's relation: per check, the number of
failing rows (``count(*) FILTER``) and the first ``SHOW + 1`` of them in the order the pandas
binder lists them (``min_by(..., order, SHOW + 1) FILTER``), so a file is read once whatever
the number of checks, and nothing but the listed rows leaves the database. The result is the
same ``Failed`` records the pandas binder makes, gathered into the same tidy failure table
(``engine/pandas/conform.py``), which ``check/conformance_render.py`` words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialspec.check.conformance_plan import SHOW, CheckIndex
from trialspec.engine.duckdb.bind_sql import Cell
from trialspec.engine.pandas.conform import Failed


@dataclass
class Listed:
    """A cell check to compute: ``cell`` on the rows of ``relation``, whose subject is ``subject``
    (SQL, NULL for none) and which are listed in ``order`` (SQL)."""

    dataset: str
    cell: Cell
    subject: str
    order: str


def failures(query: Callable[[str], Any], relation: str, row: str, header_lines: int, path: str,
             plan: CheckIndex, listed: Sequence[Listed]) -> dict[int, list[Failed]]:
    """Run ``listed`` over ``relation`` in one query: ``{index in listed: [its Failed]}``.

    ``row`` is the SQL of a row's 1-based data row; a row's file line is ``row + header_lines``.
    Checks the plan does not declare are not computed.
    """
    wanted = [(i, item, plan.cell(item.dataset, item.cell.column, item.cell.kind))
              for i, item in enumerate(listed)]
    wanted = [(i, item, check) for i, item, check in wanted if check is not None]
    out: dict[int, list[Failed]] = {i: [] for i in range(len(listed))}
    if not wanted:
        return out
    parts = []
    for j, (_, item, _) in enumerate(wanted):
        bad = f"coalesce({item.cell.bad}, false)"
        parts.append(f"count(*) FILTER (WHERE {bad}) AS n{j}")
        # (the subject typed: a bare NULL is a column of no type, which Spark cannot return)
        parts.append(f"min_by({{'r': {row}, 'v': {item.cell.value}, 's': CAST({item.subject} AS VARCHAR)}}, "
                     f"{item.order}, {SHOW + 1}) FILTER (WHERE {bad}) AS l{j}")
    result = query(f"SELECT {', '.join(parts)} FROM {relation}").to_pylist()[0]
    for j, (i, item, check) in enumerate(wanted):
        out[i] = listed_failure(check, path, header_lines, item.cell.position, result[f"l{j}"] or [],
                                int(result[f"n{j}"] or 0))
    return out


def listed_failure(check: Any, path: str, header_lines: int, position: int,
                   shown: Sequence[dict[str, Any]], count: int) -> list[Failed]:
    """A check's failure from rows already listed (``{"r", "v", "s"}``), none when no row fails."""
    if check is None or not count:
        return []
    rows = np.array([int(x["r"]) for x in shown], dtype=np.int64)
    values = np.empty(len(shown), dtype=object)
    subjects = np.empty(len(shown), dtype=object)
    for k, x in enumerate(shown):
        values[k] = x["v"]
        subjects[k] = x["s"] if x["s"] not in (None, "") else None
    return [Failed(check, rows, rows + header_lines, position, values, subjects, count, path)]
