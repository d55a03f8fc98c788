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
import pyarrow as pa
import pyarrow.compute as pc

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.engine.pandas.dates import parse_dates
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
    header_lines: int = 1  # data row i is on line i + 1 + header_lines (CSV, XLSX); 0 for other formats
    declared: dict[str, Span] = field(default_factory=dict)  # column -> its declaration
    rows: np.ndarray | None = None  # the file row of each position, when these are a subset
    noun: str = "subject"  # what a key names: a subject, or a study (a study-level table)
    lines: np.ndarray | None = None  # each data row's file line, when blank lines shift them

    def subset(self, positions: np.ndarray) -> Where:
        rows = positions if self.rows is None else self.rows[positions]
        keys = None if self.keys is None else self.keys[positions]
        return Where(self.dataset, self.path, keys, self.header_lines, self.declared, rows, self.noun,
                     self.lines)

    def line(self, row: int) -> int:
        """The file line of data row ``row`` (0-based)."""
        if self.lines is not None and 0 <= row < len(self.lines):
            return int(self.lines[row])
        return row + 1 + self.header_lines

    def row(self, position: int) -> int:
        return int(position if self.rows is None else self.rows[position])

    def span(self, position: int, column_index: int) -> Span:
        line = self.line(self.row(position))
        return Span(self.path, line, column_index + 1, line, column_index + 2)

    def about(self, position: int, column: str, value: Any) -> tuple[tuple[str, object], ...]:
        """A cell's finding's structured fields (Diagnostic.context): its subject (when the row
        has a key), dataset, column, row (the file line) and value."""
        fields: tuple[tuple[str, object], ...] = ()
        if self.noun == "subject" and self.keys is not None and not (
                pd.isna(self.keys[position]) or self.keys[position] == ""):
            fields = (("subject", _plain(self.keys[position])),)
        if isinstance(value, float) and not np.isfinite(value):  # 'inf', 'nan': JSON has no such number
            value = str(value)
        return (*fields, ("dataset", self.dataset), ("column", column),
                ("row", self.line(self.row(position))), ("value", value))

    def who(self, position: int) -> str:
        row = self.row(position) + 1
        if self.keys is None or pd.isna(self.keys[position]) or self.keys[position] == "":
            return f"row {row}"
        return f"{self.noun} {self.keys[position]!s} (row {row})"


def report(where: Where, column: str, column_index: int, mask: np.ndarray, values: Any, code: str,
           what: str, hint: str, severity: Severity = Severity.ERROR) -> list[Diagnostic]:
    """Diagnostics for the rows in ``mask``: the first SHOW rows, then a count of the rest."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    related = (("declared here", where.declared[column]),) if column in where.declared else ()
    out = [
        Diagnostic(code, f"{where.dataset}.{column}: {what} {_plain(values[r])!r} for {where.who(r)}",
                   where.span(int(r), column_index), hint, severity, related,
                   where.about(int(r), column, _plain(values[r])))
        for r in rows[:SHOW]
    ]
    if len(rows) > SHOW:
        out.append(Diagnostic(code, f"{where.dataset}.{column}: {len(rows) - SHOW:,} more rows like these "
                               f"({len(rows):,} in all)", where.span(int(rows[SHOW]), column_index),
                              hint, severity, related, (("dataset", where.dataset), ("column", column))))
    return out


def _plain(value: Any) -> Any:
    """A numpy scalar as its Python value, so messages read 'inf', not 'np.float64(inf)'."""
    return value.item() if isinstance(value, np.generic) else value


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def text_values(values: Any) -> np.ndarray:
    """Cells as text without surrounding whitespace: a new object array, None where missing.

    A column of text (what CSV gives, and most object columns) is trimmed by Arrow, vectorized,
    and when no cell needs trimming the cells are kept as they are; other columns (numbers,
    mixed objects) go through pandas' string dtype.
    """
    array = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if array.dtype == object:
        try:
            arrow = pa.array(array, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrow = None
        if arrow is not None:
            trimmed = pc.utf8_trim_whitespace(arrow)
            if pc.all(pc.equal(arrow, trimmed)).as_py() is False:
                return np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=object)
            out = array.copy()
            if arrow.null_count:
                out[pd.isna(array)] = None
            return out
    return _text(pd.Series(array)).to_numpy(dtype=object, na_value=None)


def factorized_text(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, texts)``: each cell as a code into its distinct trimmed texts (-1 missing).

    For columns with few distinct values (visits, test codes, units, levels, dates): the text
    work is done once per distinct value, not per row.
    """
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    if array.dtype == object and not all(isinstance(u, str) for u in uniques):
        # mixed objects: to pandas 1, 1.0 and True are one key, so take each cell's text first
        codes, uniques = pd.factorize(text_values(array), use_na_sentinel=True)
    return codes, text_values(np.asarray(uniques, dtype=object))


def _at(texts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per row: ``texts[code]``, None where the code is -1 (missing)."""
    return np.append(texts, np.array([None], dtype=object))[codes]


def as_number(s: pd.Series, where: Where, column: str, ci: int) -> tuple[np.ndarray, list[Diagnostic]]:
    raw = s.to_numpy()
    nan_text = np.zeros(len(s), bool)
    if s.dtype.kind in "fiu":
        num = s.to_numpy(dtype=float)
        bad_type = np.zeros(len(s), bool)
    else:
        text = pd.Series(text_values(s), dtype=object)
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        present = text.notna().to_numpy()
        bad_type = np.isnan(num) & present & (text != "").to_numpy()
        if bad_type.any():  # "nan" and friends are not finite, rather than not numbers
            words = ["nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"]
            nan_text = bad_type & text.where(bad_type).str.lower().isin(words).to_numpy()
            # a number beyond a double's range (1e400) is a number, just not a finite one
            nan_text |= bad_type & text.where(bad_type).str.strip().str.fullmatch(
                r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+").to_numpy(dtype=bool, na_value=False)
            bad_type &= ~nan_text
    inf = np.isinf(num)
    num = np.where(inf, np.nan, num)
    diags = report(where, column, ci, bad_type, raw, "TS406", "not a number:",
                   "Correct the value or leave the cell empty.")
    diags += report(where, column, ci, inf | nan_text, raw, "TS407", "not a finite number:",
                    "Leave the cell empty when there is no measurement.")
    return num, diags


def as_boolean(s: pd.Series, where: Where, column: str, ci: int) -> tuple[Any, list[Diagnostic]]:
    if s.dtype == bool:
        return s.to_numpy(), []
    codes, texts = factorized_text(s)
    lower = pd.Series(texts, dtype=object).str.lower()
    word = np.where(lower.isin(TRUE_WORDS), 1, np.where(lower.isin(FALSE_WORDS), 0, -1))
    per_row = np.append(word, -2)[codes]  # -2: missing, -1: not a word
    out = pd.array(per_row == 1, dtype="boolean")
    out[per_row < 0] = pd.NA
    return out, report(where, column, ci, per_row == -1, s.to_numpy(), "TS406", "not true/false:",
                       "Write true or false (or yes/no, 1/0).")


def as_category(s: pd.Series, levels: tuple[str, ...] | None, where: Where, column: str,
                ci: int) -> tuple[Any, list[Diagnostic]]:
    if s.dtype.kind in "fiu":  # numbers read as levels "1", "2" (not "1.0"), each distinct one once
        codes, numbers = pd.factorize(s.to_numpy(), use_na_sentinel=True)
        texts = np.array([f"{v:g}" for v in numbers], dtype=object)
    else:
        codes, texts = factorized_text(s)
    if not levels:
        return _at(texts, codes), []
    index = {level: i for i, level in enumerate(levels)}
    level_of = np.array([index.get(t, -1) for t in texts] + [-1], dtype=np.int64)  # per distinct text
    level_codes = level_of[codes]
    bad = (codes >= 0) & (level_codes < 0)
    diags = report(where, column, ci, bad, _at(texts, codes), "TS409", "undeclared level",
                   f"Declared levels: {', '.join(levels)}.")
    return pd.Categorical.from_codes(level_codes, categories=list(levels)), diags


def as_date(s: pd.Series, where: Where, column: str, ci: int) -> tuple[Any, list[Diagnostic]]:
    if s.dtype.kind == "M":
        return s.to_numpy(), []
    codes, texts = factorized_text(s)  # each distinct text is checked once
    text = pd.Series(texts, dtype=object)
    ok = text.str.fullmatch(ISO_DATE).fillna(False).to_numpy(dtype=bool)
    day = text.str.slice(0, 10).to_numpy(dtype=object)  # the engine reads the date part
    day[~ok] = None
    ok &= ~np.isnat(parse_dates(day).lo)  # shaped like a date but no such day: 2014-02-30, 2014-13
    day[~ok] = None  # a time of day does not change the day
    bad = (codes >= 0) & ~np.append(ok, True)[codes]
    diags = report(where, column, ci, bad, _at(texts, codes), "TS410", "not an ISO 8601 date:",
                   "Write YYYY-MM-DD (or YYYY-MM, YYYY when partly unknown).")
    return _at(day, codes), diags


def as_string(s: pd.Series) -> np.ndarray:
    if s.dtype.kind in "fiu":
        return s.astype(str).to_numpy()
    return text_values(s)


def with_units(values: np.ndarray, units: pd.Series, target: str, analyte: str | None, where: Where,
               column: str, ci: int) -> tuple[np.ndarray, list[Diagnostic]]:
    converted, bad = convert_unit_column(values, units.to_numpy(dtype=object), target, analyte)
    if not bad.any():
        return converted, []
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
