"""The data context an expression is evaluated in: subjects, and their datasets by grain.

``SubjectFrames`` holds

- the subject index: every screened subject, in a stable order (the order given). Every
  subject-grain value is an array aligned to it; position ``i`` is ``subjects[i]``.
- subject-grain datasets: one value per subject and column. Wide tables are joined on the
  key; long tables arrive already pivoted by the binding layer. A subject absent from a
  table has missing values there.
- row-grain datasets: a DataFrame per dataset plus ``codes``, each row's subject position
  (rows of subjects outside the index are dropped). Aggregates and, later, time series
  read these.

Columns are aligned and converted to engine values lazily, on first use, and cached; the
input DataFrames are never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import take as pd_take

from trialspec.engine import EngineError
from trialspec.engine.pandas.columns import convert, unwrap
from trialspec.engine.pandas.conform import Where
from trialspec.engine.pandas.values import Value
from trialspec.lang.types import Kind


@dataclass(eq=False)
class SubjectTable:
    """A dataset with one value per subject: columns of a DataFrame joined on the key
    (``positions[i]`` is subject i's row, -1 none; None when row i is subject i), and/or
    arrays already aligned to the subjects (``arrays``, e.g. unit-converted values)."""

    frame: pd.DataFrame  # empty for a dataset made only of aligned arrays
    positions: np.ndarray | None
    arrays: dict[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.arrays or name in self.frame.columns

    def column(self, name: str) -> Any:
        """The raw column aligned to the subjects (numpy or pandas array)."""
        if name in self.arrays:
            return self.arrays[name]
        array = unwrap(self.frame[name])
        if self.positions is None:
            return array
        return pd_take(array, self.positions, allow_fill=True)


@dataclass(eq=False)
class RowTable:
    """A dataset with any number of rows per subject; ``codes`` holds each row's subject."""

    frame: pd.DataFrame
    codes: np.ndarray  # int64 positions in the subject index, one per row of frame


@dataclass(eq=False)
class StudyTable:
    """A study-level dataset (``level: study``, one row per study), never joined to the
    subjects: its converted columns (with each row's file row), the cells as written (a
    printed estimate keeps its digits), and where its rows are in its file."""

    frame: pd.DataFrame
    text: pd.DataFrame
    where: Where


@dataclass(eq=False)
class SubjectFrames:
    """Subjects and their datasets, the context every expression is evaluated in."""

    subjects: pd.Index
    tables: dict[str, SubjectTable] = field(default_factory=dict)
    rows: dict[str, RowTable] = field(default_factory=dict)
    studies: dict[str, StudyTable] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # each file as the user can open it
    coverage: dict[str, np.ndarray] = field(default_factory=dict)  # row table -> subjects it covers
    _cache: dict[tuple[str, str, Kind, bool], Value] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.subjects)

    @classmethod
    def from_frames(cls, subjects: pd.DataFrame, key: str,
                    subject_tables: Mapping[str, pd.DataFrame] | None = None,
                    row_tables: Mapping[str, tuple[pd.DataFrame, str]] | None = None,
                    index: pd.Index | None = None) -> SubjectFrames:
        """Build from plain DataFrames.

        ``subjects[key]`` lists the screened subjects (unique). Each subject table has a
        ``key`` column with at most one row per subject (``subjects`` itself may be one);
        each row table names its subject column. ``index``, when the caller has already
        hashed ``subjects[key]`` into one, is used as is instead of hashing the keys again.
        """
        if index is None or len(index) != len(subjects):
            index = pd.Index(_column(subjects, key, "subjects"))
        if not index.is_unique:
            dupes = index[index.duplicated()].unique()[:5].tolist()
            raise EngineError(f"duplicate subject keys in {key!r}: {dupes}")
        tables = {name: SubjectTable(df, None) if df is subjects else _align(index, df, key, name)
                  for name, df in (subject_tables or {}).items()}
        rows = {name: _row_table(index, df, col, name)
                for name, (df, col) in (row_tables or {}).items()}
        return cls(index, tables, rows)

    def position(self, subject: Any) -> int:
        """The position of a subject id in the index."""
        return int(self.subjects.get_loc(subject))

    def add_columns(self, dataset: str, columns: Mapping[str, Any]) -> None:
        """Add (or replace) subject-grain columns given as arrays aligned to the subjects.

        The binding layer uses it for values it derived, such as a unit column converted
        with :func:`convert_unit_column`, without copying any table.
        """
        if dataset in self.rows:
            raise EngineError(f"{dataset!r} is a row-grain dataset")
        for name, array in columns.items():
            if len(array) != self.n:
                raise EngineError(f"column {dataset}.{name} has {len(array)} values for "
                                  f"{self.n} subjects")
        table = self.tables.setdefault(dataset, SubjectTable(pd.DataFrame(), None))
        table.arrays.update(columns)
        for key in [k for k in self._cache if k[0] == dataset and k[1] in columns]:
            del self._cache[key]

    def value(self, dataset: str, column: str, kind: Kind) -> tuple[Value, bool]:
        """A column as an engine value, and whether it is row-grain (cached)."""
        grain = self.grain_of(dataset)
        key = (dataset, column, kind, grain)
        hit = self._cache.get(key)
        if hit is None:
            if grain:
                frame = self.rows[dataset].frame
                if column not in frame.columns:
                    raise EngineError(f"dataset {dataset!r} has no column {column!r}")
                raw = frame[column].array
            else:
                table = self.tables[dataset]
                if not table.has(column):
                    raise EngineError(f"dataset {dataset!r} has no column {column!r}")
                raw = table.column(column)
            hit = self._cache[key] = convert(raw, kind)
        return hit, grain

    def has_column(self, dataset: str, column: str) -> bool:
        """Whether ``dataset`` is bound with a column named ``column`` (false for an unknown dataset)."""
        if dataset in self.tables:
            return self.tables[dataset].has(column)
        if dataset in self.rows:
            return column in self.rows[dataset].frame.columns
        return False

    def grain_of(self, dataset: str) -> bool:
        """True for a row-grain dataset, False for a subject-grain one."""
        if dataset in self.tables:
            return False
        if dataset in self.rows:
            return True
        known = ", ".join(sorted([*self.tables, *self.rows])) or "none"
        raise EngineError(f"unknown dataset {dataset!r} (bound: {known})")


def _column(df: pd.DataFrame, name: str, dataset: str) -> pd.Series:
    if name not in df.columns:
        raise EngineError(f"dataset {dataset!r} has no column {name!r}")
    return df[name]


def _align(index: pd.Index, df: pd.DataFrame, key: str, name: str) -> SubjectTable:
    keys = _column(df, key, name)
    if len(keys) == len(index) and index.equals(pd.Index(keys)):
        return SubjectTable(df, None)
    table_index = pd.Index(keys)
    if not table_index.is_unique:
        raise EngineError(f"dataset {name!r} has several rows for some subjects in {key!r}")
    return SubjectTable(df, table_index.get_indexer(index))


def _row_table(index: pd.Index, df: pd.DataFrame, subject: str, name: str) -> RowTable:
    codes = index.get_indexer(_column(df, subject, name)).astype(np.int64, copy=False)
    keep = codes >= 0
    if keep.all():
        return RowTable(df, codes)
    return RowTable(df.loc[keep].reset_index(drop=True), codes[keep])
