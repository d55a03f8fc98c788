"""Reading the cells of exposure rows: dates, frequencies and dose units, each distinct text
read once; the visit names; and the problem rows (``treatment_rows`` uses them per batch).

Every function works on :class:`trialspec.values.Labels` (codes into distinct texts), so
the Python loops run over distinct texts, never over rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from trialspec.row_batch import RowBatch
from trialspec.values import Labels, Numbers

PROBLEM_COLUMNS = ("kind", "subject", "source", "line", "drug", "date", "end", "dose", "unit", "detail")
Columns = dict[str, np.ndarray]  # a table as equal-length numpy arrays


def unit_factor(written: Any, target: Any) -> float:
    """The factor from a written unit to ``target`` (NaN: missing, unknown or not convertible)."""
    from trialspec.units import UnitError, factor, parse_unit

    text = written.strip() if isinstance(written, str) else None
    if not text or target is None:
        return np.nan
    try:
        f = float(factor(parse_unit(text), parse_unit(str(target)), None))
    except (UnitError, ValueError, LookupError):
        return np.nan
    return f if np.isfinite(f) else np.nan


_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]|$)")
_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2})?")


def days_of(cells: Labels) -> tuple[np.ndarray, np.ndarray]:
    """Dates as int64 days since 1970-01-01, and a problem code per row: 0 ok, 1 missing,
    2 partial (YYYY or YYYY-MM), 3 not a calendar date. A time of day is ignored; years
    0001-9999 are read without pandas' nanosecond limits. Each distinct text is read once."""
    table = [_day(str(t).strip()) for t in cells.levels] + [(0, 1)]  # code -1: a missing cell
    days = np.array([d for d, _ in table], np.int64)
    status = np.array([s for _, s in table], np.int8)
    codes = np.asarray(cells.codes)
    return np.where(status[codes] == 0, days[codes], 0), status[codes]


def parse_days(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`days_of` for plain cells (str or None)."""
    cells = [None if v is None else str(v) for v in values]
    levels = list(dict.fromkeys(c for c in cells if c is not None))
    at = {c: i for i, c in enumerate(levels)}
    codes = np.array([-1 if c is None else at[c] for c in cells], np.int64)
    return days_of(Labels(codes, np.array(levels, dtype=object)))


def _day(text: str) -> tuple[int, int]:
    if _FULL_DATE.match(text):
        y, m, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
        if y >= 1 and 1 <= m <= 12:
            month = np.datetime64(f"{y:04d}-{m:02d}", "M")
            first, after = (int(x.astype("datetime64[D]").astype(np.int64)) for x in (month, month + 1))
            if 1 <= d <= after - first:
                return first + d - 1, 0
        return 0, 3
    if text == "":
        return 0, 1
    return 0, 2 if _PARTIAL_DATE.fullmatch(text) else 3


# frequency -> (days between administration days, administrations per day); ONCE has step 0
FREQUENCIES = {"QD": (1, 1), "BID": (1, 2), "TID": (1, 3), "QID": (1, 4), "QOD": (2, 1), "QW": (7, 1),
               "ONCE": (0, 1)}


def frequency(text: str) -> tuple[int, int]:
    """(step, per day) of a frequency; (-1, 0) if it cannot be expanded."""
    key = text.strip().upper()
    if key in FREQUENCIES:
        return FREQUENCIES[key]
    m = re.fullmatch(r"Q([1-9][0-9]{0,3})([DW])", key)
    return (int(m[1]) * (7 if m[2] == "W" else 1), 1) if m else (-1, 0)


def frequencies(cells: Labels, default: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray,
                                                                               np.ndarray]:
    """(step, per day, known) per row; a missing frequency is the drug's planned one (QD if none)."""
    codes = np.asarray(cells.codes)
    table = [frequency(str(u)) for u in cells.levels]
    step = np.array([t[0] for t in table] + [0], np.int64)[codes]
    per = np.array([t[1] for t in table] + [0], np.int64)[codes]
    known = np.array([t[0] >= 0 for t in table] + [True], bool)[codes]
    missing = codes < 0
    return np.where(missing, default[0], step), np.where(missing, default[1], per), known


# -- visits ------------------------------------------------------------------------------------


class Visits:
    """Visit names (stripped, upper case) numbered in order of first appearance in the file,
    over every batch."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}  # name -> its first file row
        self.pending: list[tuple[np.ndarray, list[str]]] = []

    def codes(self, cells: Labels, row: np.ndarray) -> np.ndarray:
        """Each row's visit as a code into this batch's names (remapped by :meth:`remap`)."""
        names = list(dict.fromkeys(str(t).strip().upper() for t in cells.levels))
        at = {name: i for i, name in enumerate(names)}
        lut = np.array([at[str(t).strip().upper()] for t in cells.levels] + [-1], np.int64)
        codes = lut[np.asarray(cells.codes)]
        if len(names):
            first_row = np.full(len(names), np.iinfo(np.int64).max)
            present = codes >= 0
            np.minimum.at(first_row, codes[present], row[present])
            for name, r in zip(names, first_row.tolist(), strict=True):
                if r != np.iinfo(np.int64).max and r < self.first.get(name, np.iinfo(np.int64).max):
                    self.first[name] = r
        base = sum(len(n) for _, n in self.pending)
        self.pending.append((codes, names))
        return np.where(codes >= 0, codes + base, -1)

    def names(self) -> np.ndarray:
        return np.array(sorted(self.first, key=self.first.__getitem__), dtype=object)

    def remap(self, admins: Columns) -> np.ndarray:
        """The administrations' visit codes, into :meth:`names`."""
        order = {name: i for i, name in enumerate(self.names())}
        every = [name for _, names in self.pending for name in names]
        lut = np.array([order.get(name, -1) for name in every] + [-1], np.int64)
        return lut[admins["visit"]]


# -- problems -----------------------------------------------------------------------------


class Problems:
    """Collects problem rows into a tidy table: the cells as given, for the message. Rows are
    kept in the order the rules report them (each rule's rows in file order), whatever the
    batches."""

    def __init__(self) -> None:
        self.parts: list[tuple[int, Columns]] = []

    def no_exposure(self) -> None:
        one = {c: np.array([None], dtype=object) for c in PROBLEM_COLUMNS}
        one.update(kind=np.array(["no_exposure"], dtype=object), subject=np.array([-1]),
                   source=np.array([-1]))
        self.parts.append((-1, one))

    def reporter(self, batch: RowBatch, date_role: str) -> Callable[..., None]:
        calls = [0]
        values = batch.values

        def cells(role: str, rows: np.ndarray) -> np.ndarray:
            if role == "dose":
                number = values["dose"]
                assert isinstance(number, Numbers)
                return np.broadcast_to(np.asarray(number.lo, np.float64), (batch.n,))[rows].astype(object)
            value = values.get(role)
            if not isinstance(value, Labels):
                return np.full(len(rows), None, dtype=object)
            return value.strings()[rows] if np.ndim(value.codes) else np.full(len(rows), None, dtype=object)

        def report(kind: str, mask: np.ndarray, detail: Any = "", codes: np.ndarray | None = None,
                   ends: np.ndarray | None = None) -> None:
            seq = calls[0]
            calls[0] += 1
            rows = np.flatnonzero(mask)
            if not len(rows):
                return
            if codes is not None:  # which date, and what is wrong with it
                what = ("", "missing", "partial", "not a calendar date")
                detail = np.array([f"{detail}:{w}" for w in what], dtype=object)[codes[rows]]
            elif isinstance(detail, np.ndarray):  # one detail per row
                detail = detail[rows]
            elif ends is not None:  # the end (days since 1970) of the interval it overlaps
                detail = ends[rows].astype(object)
            else:
                detail = np.full(len(rows), detail, dtype=object)
            self.parts.append((seq, {
                "kind": np.full(len(rows), kind, dtype=object), "subject": batch.subject[rows],
                "source": batch.row[rows] - 1, "line": batch.line[rows], "drug": cells("drug", rows),
                "date": cells(date_role, rows),
                "end": cells("end", rows), "dose": cells("dose", rows),
                "unit": cells("unit", rows), "detail": detail}))

        return report

    def table(self) -> Columns:
        if not self.parts:
            return {c: np.zeros(0, dtype=object) for c in PROBLEM_COLUMNS}
        parts = sorted(self.parts, key=lambda p: p[0])  # stable: batches stay in subject order
        out = {c: np.concatenate([np.asarray(p[c], dtype=object if c not in ("subject", "source", "line")
                                             else None) for _, p in parts]) for c in PROBLEM_COLUMNS}
        if len(parts) > 1:  # one rule's rows from several batches: back to file order
            seq = np.concatenate([np.full(len(p["kind"]), s) for s, p in parts])
            order = np.lexsort((out["source"].astype(np.int64), seq))
            out = {c: v[order] for c, v in out.items()}
        return out
