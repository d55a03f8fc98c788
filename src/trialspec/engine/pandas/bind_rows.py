"""Binding what the expression language reads beside the declared values: each value's
normal range, and a long table without ``pick`` kept row by row.

- A column with ``range: {low: LBSTNRLO, high: LBSTNRHI}`` gets two more columns, ``x@lln``
  and ``x@uln`` (``ir.LIMIT_SUFFIX``), read from the same rows as the value and converted to
  the value's unit (with the same per-row unit column: SDTM gives LBSTNRLO/LBSTNRHI in
  LBSTRESU). A blank limit is missing, so a comparison with it is unknown.
- A long table without ``pick`` (one row per result) stays a row table: one row per file
  row, the row's test code (``ir.TEST_COLUMN``), each declared test's value on the rows of
  that test (missing on the others; the checker reads a test's rows only), and each column
  with ``source:`` and no ``test:`` (a date, a visit) read from that file column on every row.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from trialspec.engine.binding import Failed
from trialspec.engine.pandas.conform import Where, convert_column, report, text_values
from trialspec.lang.ir import LIMIT_SUFFIX, TEST_COLUMN

ROW_COLUMN = "@row"


def _index(df: pd.DataFrame, name: str) -> int:
    return int(df.columns.get_loc(name)) if name in df.columns else -1


def read_limits(df: pd.DataFrame, col: Any, where: Where, positions: np.ndarray | None,
                units: pd.Series | None, missing: Any) -> tuple[dict[str, Any], list[Failed]]:
    """``{x@lln: values, x@uln: values}`` for the rows ``positions`` (None: all) of ``df``.

    ``missing(name, role)`` reports a range column the file lacks (the caller's TS403)."""
    rng = getattr(col, "range", None)
    if rng is None:
        return {}, []
    out: dict[str, Any] = {}
    diags: list[Failed] = []
    for fn, source in (("lln", rng.low), ("uln", rng.high)):
        if source is None:
            continue
        size = len(df) if positions is None else len(positions)
        name = f"{col.name}{LIMIT_SUFFIX[fn]}"
        ci = _index(df, source)
        if ci < 0:
            diags += missing(source, f"{col.name}.range")
            out[name] = np.full(size, np.nan)
            continue
        column = df[source] if positions is None else df[source].iloc[positions]
        sub = where if positions is None else where.subset(positions)
        values, more = convert_column(column, replace(col, name=name, unit_column=None), sub, ci,
                                      units)
        diags += more  # (the plan declares no unit check on a limit: the value reports its units)
        out[name] = np.asarray(values, dtype=float)
    lo, hi = out.get(f"{col.name}@lln"), out.get(f"{col.name}@uln")
    if lo is not None and hi is not None:
        with np.errstate(invalid="ignore"):
            crossed = lo > hi
        if crossed.any():
            sub = where if positions is None else where.subset(positions)
            diags += report(sub, col.name, _index(df, rng.high), crossed, hi, "range")
    return out, diags


def long_rows(ds: Any, df: pd.DataFrame, where: Where, key: str,
              missing: Any) -> tuple[pd.DataFrame, list[Failed]]:
    """A long table without ``pick``, one row per file row (see the module docstring)."""
    lay = ds.long
    diags: list[Failed] = []
    subjects = text_values(df[lay.subject])
    where.keys = subjects
    tests = text_values(df[lay.test])
    out: dict[str, Any] = {key: subjects, TEST_COLUMN: tests}
    value_ci = _index(df, lay.value)
    for cname, col in ds.columns.items():
        if cname == key:
            continue
        if row_column(col):  # a per-row column (a date, a visit): read as a wide table reads it
            src = col.source
            ci = _index(df, src)
            if ci < 0:
                diags += missing(src, cname)
                out[cname] = np.full(len(df), None, dtype=object)
                continue
            values, more = convert_column(df[src], col, where, ci)
            diags += more
            out[cname] = values
            continue
        pos = np.flatnonzero(tests == (col.test or cname))
        sub = where.subset(pos)
        units = df[lay.unit].iloc[pos] if lay.unit and col.unit else None
        values, more = convert_column(df[lay.value].iloc[pos], col, sub, value_ci, units)
        diags += more
        out[cname] = _spread(values, pos, len(df), col.type == "number")
        limits, more = read_limits(df, col, where, pos, units, missing)
        diags += more
        for name, lim in limits.items():
            out[name] = _spread(lim, pos, len(df), True)
    out[ROW_COLUMN] = np.arange(1, len(df) + 1)
    return pd.DataFrame(out, copy=False), diags


def row_column(col: Any) -> bool:
    """In a long table: a column read on every row (``source:`` and no ``test:``); any other
    column is a test, ``test:`` or by default its name."""
    return bool(col.source) and not col.test


def _spread(values: Any, pos: np.ndarray, size: int, number: bool) -> np.ndarray:
    """``values`` (one per position) placed at ``pos`` of a column of ``size`` missing values."""
    if number:
        column = np.full(size, np.nan)
        column[pos] = np.asarray(values, dtype=float)
    else:
        column = np.full(size, None, dtype=object)
        column[pos] = np.asarray(values, dtype=object)
    return column
