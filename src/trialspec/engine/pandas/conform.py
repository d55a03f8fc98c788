"""Conformance: each declared column converted to its type, every bad cell a finding.

Conversions are vectorized; a bad value becomes missing (so rules using it are unknown,
never silently false) and is reported. Findings are grouped per dataset, column and code:
the first few rows are shown, the rest counted in one summary diagnostic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.engine.pandas.unit_column import convert_unit_column
from trialspec.source import Span

SHOW = 5  # rows shown per (dataset, column, problem); the rest are counted
ISO_DATE = r"\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?"
TRUE_WORDS = {"true", "t", "yes", "y", "1", "1.0"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "0.0"}


@dataclass
class Where:
    """Where a dataset's cells are, for findings: the file, its header lines, its key column."""

    dataset: str
    path: str
    keys: np.ndarray | None  # subject key per row, for messages
    header_lines: int = 1  # data row i is on line i + 1 + header_lines (CSV); 0 for binary formats
    declared: dict[str, Span] = field(default_factory=dict)  # column -> its declaration
    rows: np.ndarray | None = None  # the file row of each position, when these are a subset

    def subset(self, positions: np.ndarray) -> Where:
        rows = positions if self.rows is None else self.rows[positions]
        keys = None if self.keys is None else self.keys[positions]
        return Where(self.dataset, self.path, keys, self.header_lines, self.declared, rows)

    def row(self, position: int) -> int:
        return int(position if self.rows is None else self.rows[position])

    def span(self, position: int, column_index: int) -> Span:
        line = self.row(position) + 1 + self.header_lines
        return Span(self.path, line, column_index + 1, line, column_index + 2)

    def who(self, position: int) -> str:
        row = self.row(position) + 1
        if self.keys is None:
            return f"row {row}"
        return f"subject {self.keys[position]!s} (row {row})"


def report(where: Where, column: str, column_index: int, mask: np.ndarray, values: Any, code: str,
           what: str, hint: str, severity: Severity = Severity.ERROR) -> list[Diagnostic]:
    """Diagnostics for the rows in ``mask``: the first SHOW rows, then a count of the rest."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    related = (("declared here", where.declared[column]),) if column in where.declared else ()
    out = [
        Diagnostic(code, f"{where.dataset}.{column}: {what} {values[r]!r} for {where.who(r)}",
                   where.span(int(r), column_index), hint, severity, related)
        for r in rows[:SHOW]
    ]
    if len(rows) > SHOW:
        out.append(Diagnostic(code, f"{where.dataset}.{column}: {len(rows) - SHOW:,} more rows like these "
                               f"({len(rows):,} in all)", where.span(int(rows[SHOW]), column_index),
                              hint, severity, related))
    return out


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def as_number(s: pd.Series, where: Where, column: str, ci: int) -> tuple[np.ndarray, list[Diagnostic]]:
    raw = s.to_numpy()
    if s.dtype.kind in "fiu":
        num = s.to_numpy(dtype=float)
        bad_type = np.zeros(len(s), bool)
    else:
        text = _text(s)
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad_type = np.isnan(num) & text.notna().to_numpy() & (text != "").fillna(False).to_numpy()
    inf = np.isinf(num)
    nan_text = np.zeros(len(s), bool)
    if s.dtype == object or str(s.dtype) == "string":
        nan_text = _text(s).str.lower().isin(["nan", "inf", "-inf", "+inf", "infinity"]).fillna(False).to_numpy()
        bad_type &= ~nan_text
    num = np.where(inf, np.nan, num)
    diags = report(where, column, ci, bad_type, raw, "TS406", "not a number:",
                   "Correct the value or leave the cell empty.")
    diags += report(where, column, ci, inf | nan_text, raw, "TS407", "not a finite number:",
                    "Leave the cell empty when there is no measurement.")
    return num, diags


def as_boolean(s: pd.Series, where: Where, column: str, ci: int) -> tuple[Any, list[Diagnostic]]:
    if s.dtype == bool:
        return s.to_numpy(), []
    text = _text(s).str.lower()
    true, false = text.isin(TRUE_WORDS).fillna(False), text.isin(FALSE_WORDS).fillna(False)
    out = pd.array(np.where(true, True, False), dtype="boolean")
    out[~(true | false).to_numpy()] = pd.NA
    bad = (text.notna() & ~true & ~false).to_numpy()
    return out, report(where, column, ci, bad, s.to_numpy(), "TS406", "not true/false:",
                       "Write true or false (or yes/no, 1/0).")


def as_category(s: pd.Series, levels: tuple[str, ...] | None, where: Where, column: str,
                ci: int) -> tuple[Any, list[Diagnostic]]:
    text = _text(s)
    if s.dtype.kind in "fiu":  # numbers read as levels "1", "2" (not "1.0")
        text = pd.Series(s.to_numpy(), dtype=object).map(lambda v: None if pd.isna(v) else f"{v:g}").astype("string")
    if not levels:
        return text.to_numpy(dtype=object, na_value=None), []
    ok = text.isin(levels).fillna(False).to_numpy()
    bad = text.notna().to_numpy() & ~ok
    values = text.to_numpy(dtype=object, na_value=None)
    diags = report(where, column, ci, bad, values, "TS409", "undeclared level",
                   f"Declared levels: {', '.join(levels)}.")
    return pd.Categorical(np.where(ok, values, None), categories=list(levels)), diags


def as_date(s: pd.Series, where: Where, column: str, ci: int) -> tuple[Any, list[Diagnostic]]:
    if s.dtype.kind == "M":
        return s.to_numpy(), []
    text = _text(s)
    ok = text.str.fullmatch(ISO_DATE).fillna(False).to_numpy()
    bad = text.notna().to_numpy() & ~ok
    values = text.to_numpy(dtype=object, na_value=None)
    diags = report(where, column, ci, bad, values, "TS410", "not an ISO 8601 date:",
                   "Write YYYY-MM-DD (or YYYY-MM, YYYY when partly unknown).")
    # the engine reads the date part; a time of day does not change the day
    return np.where(ok, text.str.slice(0, 10).to_numpy(dtype=object, na_value=None), None), diags


def as_string(s: pd.Series) -> np.ndarray:
    return _text(s).to_numpy(dtype=object, na_value=None) if s.dtype.kind not in "fiu" else s.astype(str).to_numpy()


def with_units(values: np.ndarray, units: pd.Series, target: str, analyte: str | None, where: Where,
               column: str, ci: int) -> tuple[np.ndarray, list[Diagnostic]]:
    converted, bad = convert_unit_column(values, units.to_numpy(dtype=object), target, analyte)
    shown = units.astype("string").fillna("<missing>").to_numpy(dtype=object)
    return converted, report(where, column, ci, bad, shown, "TS408", f"cannot convert to {target} from unit",
                             "Correct the unit; docs/units.md lists the known ones.")


def convert_column(s: pd.Series, col: Any, where: Where, ci: int,
                   units: pd.Series | None = None) -> tuple[Any, list[Diagnostic]]:
    """One declared column converted to its type (and unit), with its findings."""
    if col.type in ("number", "percent", "duration"):
        values, diags = as_number(s, where, col.name, ci)
        if units is not None and col.unit:
            values, more = with_units(values, units, col.unit, col.analyte, where, col.name, ci)
            diags += more
        return values, diags
    if col.type == "boolean":
        return as_boolean(s, where, col.name, ci)
    if col.type == "category":
        return as_category(s, col.levels, where, col.name, ci)
    if col.type == "date":
        return as_date(s, where, col.name, ci)
    return as_string(s), []
