"""Conformance checks as SQL: each declared cell check's failing rows, from one scan per file.

A dataset's cell checks (``bind_sql.Cell``: a condition and the value a failure carries) are
counted in one statement over the file's relation, each check its own ``WHERE`` (so the Parquet
reader skips the row groups whose statistics show no failing row); then, only for the checks
that fail, the first ``SHOW + 1``
failing rows in the order the pandas binder lists them (``min_by(..., order, SHOW + 1) FILTER``)
in a second scan of the failing rows. Nothing but counts and the listed rows leaves the
database. The result is the
same ``Failed`` records the pandas binder makes, gathered into the same tidy failure table
(``engine/pandas/conform.py``), which ``check/conformance_render.py`` words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialspec.check.conformance_plan import SHOW, CheckIndex
from trialspec.engine.binding import Failed
from trialspec.engine.duckdb.bind_sql import Cell


@dataclass
class Listed:
    """A cell check to compute: ``cell`` on the rows of ``relation``, whose subject is ``subject``
    (SQL, NULL for none) and which are listed in ``order`` (SQL)."""

    dataset: str
    cell: Cell
    subject: str
    order: str


def failures(query: Callable[[str], Any], relation: str, row: str, header_lines: int, path: str,
             plan: CheckIndex, listed: Sequence[Listed], one_scan: bool = False) -> dict[int, list[Failed]]:
    """Run ``listed`` over ``relation`` in one query: ``{index in listed: [its Failed]}``.

    ``row`` is the SQL of a row's 1-based data row; a row's file line is ``row + header_lines``.
    Checks the plan does not declare are not computed. ``one_scan``: count every check in one
    scan of ``relation`` (a CSV file, which each scan parses whole) rather than each in its own
    (which a Parquet reader prunes by the row groups' statistics).
    """
    wanted = [(i, item, plan.cell(item.dataset, item.cell.column, item.cell.kind))
              for i, item in enumerate(listed)]
    wanted = [(i, item, check) for i, item, check in wanted if check is not None]
    out: dict[int, list[Failed]] = {i: [] for i in range(len(listed))}
    if not wanted:
        return out
    # the counts first, each check its own WHERE (one statement): a filter on a column reaches
    # the file reader, which skips the row groups whose statistics prove no row fails (an
    # infinite number, a day out of range, a missing key); then the listed rows of the checks
    # that fail (a struct per row under a FILTER costs its building on every row). A check's
    # condition is used only as a filter, where NULL drops the row as false does, so it is
    # not wrapped in coalesce(..., false): the reader cannot see through a coalesce, and with
    # it every column holding a NULL was read whole (5M subjects: 0.58 s for the counts, 0.09 s
    # without)
    bad = [f"({item.cell.bad})" for _, item, _ in wanted]
    if one_scan:  # (a CSV of 1M rows: its 19 checks, each scanning it, took 16 s; in one scan 2.5 s)
        # sums of CASEs, not FILTERs: the CASEs are one projection, where DuckDB computes a
        # subexpression several checks share (a text cell parsed as a number) once; under
        # FILTERs it was computed for each (3.4-3.9 s)
        each = ", ".join(f"sum(CASE WHEN {b} THEN 1 ELSE 0 END) AS n{j}" for j, b in enumerate(bad))
        counts = query(f"SELECT {each} FROM {relation}").to_pylist()[0]
    else:
        counted = query(" UNION ALL ".join(f"SELECT {j} AS j, count(*) AS n FROM {relation} WHERE {b}"
                                           for j, b in enumerate(bad))).to_pylist()
        counts = {f"n{row['j']}": int(row["n"]) for row in counted}
    failing = [j for j in range(len(wanted)) if counts[f"n{j}"]]
    shown: dict[str, Any] = {}
    if failing:
        # (the subject typed: a bare NULL is a column of no type, which Spark cannot return)
        parts = [f"min_by({{'r': {row}, 'v': {wanted[j][1].cell.value}, "
                 f"'s': CAST({wanted[j][1].subject} AS VARCHAR)}}, "
                 f"{wanted[j][1].order}, {SHOW + 1}) FILTER (WHERE {bad[j]}) AS l{j}" for j in failing]
        where = " OR ".join(bad[j] for j in failing)
        shown = query(f"SELECT {', '.join(parts)} FROM {relation} WHERE {where}").to_pylist()[0]
    for j, (i, item, check) in enumerate(wanted):
        out[i] = listed_failure(check, path, header_lines, item.cell.position, shown.get(f"l{j}") or [],
                                int(counts[f"n{j}"] or 0))
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
