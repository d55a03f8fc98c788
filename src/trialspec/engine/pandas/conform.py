"""Conformance: each declared column converted to its type, every bad cell a failure row.

Conversions are vectorized; a bad value becomes missing (so rules using it are unknown,
never silently false) and is a failure of the declared check it breaks
(``trialspec.check.conformance_plan``): :func:`report` lists a check's first failing rows
and counts the rest, ``engine/binding.py`` gathers them into the tidy failure table
(docs/engine.md, "Conformance checks"), and ``trialspec.check.conformance_render`` words it.
No message is written here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trialspec.check.conformance_plan import SHOW, CheckIndex
from trialspec.engine.binding import Failed, objects_at
from trialspec.engine.cells import FALSE_WORDS, ISO_DATE, TRUE_WORDS
from trialspec.engine.pandas.columns import number_text
from trialspec.engine.pandas.dates import parse_dates
from trialspec.engine.pandas.factorize import factorize, few_objects
from trialspec.engine.pandas.unit_column import convert_unit_column


@dataclass
class Where:
    """Where a dataset's cells are, for failures: the file, its header lines, its key column,
    and the declared checks to report."""

    dataset: str
    path: str
    keys: np.ndarray | None  # subject key per row, for messages
    header_lines: int = 1  # data row i is on line i + 1 + header_lines (CSV, XLSX); 0 for other formats
    rows: np.ndarray | None = None  # the file row of each position, when these are a subset
    noun: str = "subject"  # what a key names: a subject, or a study (a study-level table)
    lines: np.ndarray | None = None  # each data row's file line, when blank lines shift them
    checks: CheckIndex = field(default_factory=CheckIndex)  # the declared checks to report

    def subset(self, positions: np.ndarray) -> Where:
        rows = positions if self.rows is None else self.rows[positions]
        keys = None if self.keys is None else self.keys[positions]
        return Where(self.dataset, self.path, keys, self.header_lines, rows, self.noun,
                     self.lines, self.checks)

    def line(self, row: int) -> int:
        """The file line of data row ``row`` (0-based)."""
        if self.lines is not None and 0 <= row < len(self.lines):
            return int(self.lines[row])
        return row + 1 + self.header_lines

    def row(self, position: int) -> int:
        return int(position if self.rows is None else self.rows[position])


def report(where: Where, column: str, column_index: int, mask: np.ndarray, values: Any,
           kind: str) -> list[Failed]:
    """The failure of the declared check ``kind`` on ``column`` for the rows in ``mask`` (none
    when nothing fails or the plan declares no such check)."""
    check = where.checks.cell(where.dataset, column, kind)
    if check is None:
        return []
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    listed = rows[:SHOW + 1]
    data_rows = [where.row(int(r)) for r in listed]
    subjects = np.full(len(listed), None, dtype=object)
    if where.keys is not None:
        for i, r in enumerate(listed):
            key = where.keys[r]
            if not (pd.isna(key) or key == ""):
                subjects[i] = key
    return [Failed(check, np.array(data_rows) + 1, np.array([where.line(r) for r in data_rows]),
                   column_index, objects_at(values, listed), subjects, len(rows), where.path)]


def _text(values: pd.Series) -> pd.Series:
    if values.dtype.kind == "f":
        return number_text(values)
    if values.dtype.kind == "M":
        return _moment_text(values)
    return values.astype("string").str.strip()


def _moment_text(values: pd.Series) -> pd.Series:
    """Days and times read as text (a date column of the API's frames shown in a finding): ISO
    8601, a day at midnight as the day alone (``2024-01-01``, as a CSV would hold it), a time
    as ``2024-01-05T20:00:00``, in its own time zone (the wall time, without the offset)."""
    if getattr(values.dtype, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    text = values.dt.strftime("%Y-%m-%dT%H:%M:%S").str.removesuffix("T00:00:00")
    return text.astype("string")


def text_values(values: Any) -> np.ndarray:
    """Cells as text without surrounding whitespace: an object array, None where missing
(the column itself, read-only, when no cell changes).

    A column of text (what CSV gives, and most object columns) is trimmed by Arrow, vectorized,
    and when no cell needs trimming the cells are kept as they are; other columns (numbers,
    mixed objects) go through pandas' string dtype.
    """
    return text_and_arrow(values)[0]


def text_and_arrow(values: Any) -> tuple[np.ndarray, pa.Array | None]:
    """:func:`text_values`, and the same texts as an Arrow string array when the cells were
    text (None otherwise), for the callers that go on with Arrow's vectorized kernels (the
    keys' blank, order and uniqueness checks) instead of comparing Python objects."""
    array = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if array.dtype == object and few_objects(array):  # (units, levels) trimmed per distinct text
        codes, uniques = factorize(array)
        if all(isinstance(u, str) for u in uniques):
            texts = text_values(np.asarray(uniques, dtype=object))
            missing = codes < 0
            if all(t == u for t, u in zip(texts, uniques, strict=True)):
                if not missing.any():
                    return _read_only(array), None
                out = array.copy()
                out[missing] = None
                return out, None
            return _at(texts, codes), None
    if array.dtype == object:
        arrow = _arrow_text(array)
        if arrow is not None:
            if not _plain_edges(arrow):
                trimmed = pc.utf8_trim_whitespace(arrow)
                if pc.all(pc.equal(arrow, trimmed)).as_py() is False:
                    return np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=object), trimmed
            if not arrow.null_count:
                return _read_only(array), arrow
            out = array.copy()
            out[pd.isna(array)] = None
            return out, arrow
    return _text(pd.Series(array)).to_numpy(dtype=object, na_value=None), None


def _plain_edges(arrow: pa.Array) -> bool:
    """Whether every text begins and ends with a printable ASCII character other than space,
    read from the first and last byte of each (a UTF-8 sequence of several bytes has no byte
    below 0x80): then none has whitespace to trim, and the texts need not be trimmed to know
    it. False when unsure (another character at an edge: the caller trims and compares)."""
    if not isinstance(arrow, pa.StringArray):
        return False
    _validity, offsets_buffer, data_buffer = arrow.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[arrow.offset:arrow.offset + len(arrow) + 1]
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts  # (an empty text, or a missing one, has no edge)
    if not filled.any():
        return True
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    edges = np.concatenate([data[starts[filled]], data[ends[filled] - 1]])
    return bool(np.all((edges > 0x20) & (edges < 0x7F)))


def _read_only(array: np.ndarray) -> np.ndarray:
    """The caller's column as it is, not copied: a view that cannot be written through."""
    view = array.view()
    view.flags.writeable = False
    return view


def _arrow_text(array: np.ndarray) -> pa.Array | None:
    """An object array of text cells (None or NaN where missing) as an Arrow string array,
    None when some cell is not text."""
    try:
        return pa.array(array, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def factorized_text(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, texts)``: each cell as a code into its distinct trimmed texts (-1 missing).

    For columns with few distinct values (visits, test codes, units, levels, dates): the text
    work is done once per distinct value, not per row.
    """
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    codes, uniques = factorize(array)
    if array.dtype == object and not all(isinstance(u, str | datetime.date) for u in uniques):
        # mixed objects: to pandas 1, 1.0 and True are one key, so take each cell's text first
        # (text and dates are keyed by value: a column of date objects is done per distinct day)
        codes, uniques = pd.factorize(text_values(array), use_na_sentinel=True)
    return codes, text_values(uniques if array.dtype.kind == "f" else np.asarray(uniques, dtype=object))


def _at(texts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per row: ``texts[code]``, None where the code is -1 (missing)."""
    return np.append(texts, np.array([None], dtype=object))[codes]


def as_number(s: pd.Series, where: Where, column: str, ci: int) -> tuple[np.ndarray, list[Failed]]:
    raw = s.to_numpy()
    nan_text = np.zeros(len(s), bool)
    if s.dtype.kind in "fiu":
        num = s.to_numpy(dtype=float)
        bad_type = np.zeros(len(s), bool)
    else:
        text = pd.Series(text_values(s), dtype=object)
        num = _parsed(text.to_numpy())
        if num is None:  # some cell Arrow does not read as a number: pandas decides each cell
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
    if inf.any():
        num = np.where(inf, np.nan, num)
    elif np.may_share_memory(num, raw):  # the caller's own column: read, never written
        num = _read_only(num)
    failed = report(where, column, ci, bad_type, raw, "type")
    failed += report(where, column, ci, inf | nan_text, raw, "finite")
    return num, failed


def _parsed(texts: np.ndarray) -> np.ndarray | None:
    """Every text cell as a float by Arrow's parser (vectorized, about 50 times faster than
    ``pd.to_numeric`` on text), or None when some cell is not a number to it. Where both read a
    cell they agree, except beyond a double's range (``1e400``), which Arrow reads as infinite
    and pandas as NaN: both end as the same `finite` finding in :func:`as_number`."""
    try:
        parsed = pc.cast(pa.array(texts, pa.string(), from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return np.asarray(parsed.to_numpy(zero_copy_only=False), dtype=float)


def as_boolean(s: pd.Series, where: Where, column: str, ci: int) -> tuple[Any, list[Failed]]:
    if s.dtype == bool:
        return s.to_numpy(), []
    codes, texts = factorized_text(s)
    lower = pd.Series(texts, dtype=object).str.lower()
    word = np.where(lower.isin(TRUE_WORDS), 1, np.where(lower.isin(FALSE_WORDS), 0, -1))
    per_row = np.append(word, -2)[codes]  # -2: missing, -1: not a word
    out = pd.array(per_row == 1, dtype="boolean")
    out[per_row < 0] = pd.NA
    return out, report(where, column, ci, per_row == -1, s.to_numpy(), "type")


def as_category(s: pd.Series, levels: tuple[str, ...] | None, where: Where, column: str,
                ci: int) -> tuple[Any, list[Failed]]:
    if s.dtype.kind in "fiu":  # numbers read as levels "1", "2" (not "1.0"), each distinct one once
        codes, numbers = pd.factorize(s.to_numpy(), use_na_sentinel=True)
        texts = np.array([f"{v:g}" for v in numbers], dtype=object)
    else:
        codes, texts = factorized_text(s)
    if not levels:
        return _at(texts, codes), []
    index = {level: i for i, level in enumerate(levels)}
    per_text = [index.get(t, -1) for t in texts]
    # per distinct text, in the width pandas keeps a categorical's codes in (no second pass)
    level_of = np.array(per_text + [-1], dtype=np.min_scalar_type(-len(levels) - 1))
    level_codes = level_of[codes]
    failed: list[Failed] = []
    if -1 in per_text:  # some text is not a level (else no row is: no pass over the rows)
        bad = (codes >= 0) & (level_codes < 0)
        failed = report(where, column, ci, bad, _at(texts, codes), "allowed")
    return pd.Categorical.from_codes(level_codes, categories=list(levels)), failed


def as_date(s: pd.Series, where: Where, column: str, ci: int) -> tuple[Any, list[Failed]]:
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
    return _at(day, codes), report(where, column, ci, bad, _at(texts, codes), "date")


def as_string(s: pd.Series) -> np.ndarray:
    if s.dtype.kind in "iu":
        return s.astype(str).to_numpy()
    return text_values(s)  # (numbers as columns.number_text writes them, NaN missing)


def with_units(values: np.ndarray, units: pd.Series, target: str, analyte: str | None, where: Where,
               column: str, ci: int) -> tuple[np.ndarray, list[Failed]]:
    converted, bad = convert_unit_column(values, units.to_numpy(dtype=object), target, analyte)
    if not bad.any():
        return converted, []
    written = units.astype("string").to_numpy(dtype=object, na_value=None)  # the unit cells
    return converted, report(where, column, ci, bad, written, "unit")


def convert_column(s: pd.Series, col: Any, where: Where, ci: int,
                   units: pd.Series | None = None) -> tuple[Any, list[Failed]]:
    """One declared column converted to its type (and unit), with its checks' failures."""
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
