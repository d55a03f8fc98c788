"""``SqlFrames``: the data context the SQL engine evaluates IR in, as views of a database.

It is the SQL counterpart of the pandas engine's ``SubjectFrames`` (docs/engine.md, "The data
context"): the same subjects in the same order, the same datasets by grain, the same values,
held as views of a :class:`~trialspec.engine.sql.connection.Connection` instead of arrays.
Two producers build it: the SQL backend from pandas-bound frames (``engine/sql/from_pandas.py``,
columns typed lazily by the pandas converters, so values are identical by construction) and
a native binder reading files in the database (``engine/duckdb/bind*.py``, and
``engine/spark/bind.py`` on Spark).

The layout contract (what every producer guarantees and the compiler relies on):

- **Subjects.** ``subjects`` holds the subject ids in subject order: the Arrow text a
  database read (``trialspec.text_ids.TextIds``, which reads as numpy text, no Python object
  per subject), or a numpy object array (frames registered from pandas); position ``i`` is
  ``subjects[i]``. The view named ``subjects_view`` has one row
  per subject and a column ``_i`` (BIGINT, 0..n-1, each once). Every per-subject result is fetched
  ``ORDER BY _i`` into arrays of length ``n``.
- **A subject-grain dataset** (``SqlDataset.rows`` False): a view with a column ``_i`` and at
  most one row per ``_i``. A subject without a row has missing values (the compiler LEFT
  JOINs the subjects).
- **A row-grain dataset** (``rows`` True): a view with ``_i`` (the row's subject; rows of
  subjects outside the population are absent) and ``_r`` (BIGINT, 0..m-1 over the m rows
  kept, in source order: ties in time order are broken by it, as the pandas engine breaks
  them by row). It may carry ``_row`` (the row's 1-based data row in its file) and ``_line``
  (its line in the file) for ``row_batches``; without them rows count from ``_r``.
  ``paths[dataset]`` is the file as the user can open it (absent: in memory).
- **Columns**, by the kind the IR reads them as (``SqlColumn``): ``lo`` names the view column
  holding the value, ``hi`` the upper bound of an interval column (None: exact, ``hi`` is
  ``lo``). Physical types and missing values:

  - number: DOUBLE; NULL missing (never NaN or +-inf: producers turn them into NULL).
  - bool (a condition): BOOLEAN; NULL unknown.
  - string, category: VARCHAR, the text compared; NULL missing.
  - date: INTEGER or BIGINT days since 1970-01-01, bounds inclusive; a partial date has
    ``hi`` (conventionally ``<col>__hi``); missing is NULL in both bounds.

  Producers name the view columns as they like (the compiler always quotes them); the
  convention is the declared column name, ``<col>__hi`` for an upper bound.
- **Coverage** (``complete_for:``): ``coverage[dataset]`` names a view with a column ``_i``
  listing the subjects the row dataset is complete for (each once). Absent: it covers all.
- **Study-level datasets**: ``study_rows[name]`` holds the rows ``Backend.study_rows``
  returns (they are few and read in Python).
- **Origin** (``explain``): a subject-grain view may carry ``_row`` (the subject's file row,
  1-based), ``<col>__row`` (the row a long table's value was read from) and ``<col>__unit``
  (the unit it was written in); ``Backend.origin`` reads them when present.

``columns`` may be filled lazily: when a dataset has no entry for a (column, kind) the IR
reads, :meth:`SqlFrames.resolve` calls ``loader(frames, dataset, [(column, kind), ...])``,
which must add the entries (and re-register the view) or raise ``EngineError``. A native
binder fills ``columns`` up front and leaves ``loader`` None.

``source`` is the pandas ``SubjectFrames`` the context was registered from (None for a
native binding): ``study_rows``, ``origin`` and the time series the SQL compiler does not
yet compile read it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trialspec.backend import EngineError
from trialspec.text_ids import TextIds

if TYPE_CHECKING:
    import numpy as np

    from trialspec.engine.sql.connection import Connection
    from trialspec.lang.types import Kind

_NAMES = itertools.count()


def fresh_name(prefix: str) -> str:
    """A view name unique in this process: ``ts_<prefix>_<n>``."""
    return f"ts_{prefix}_{next(_NAMES)}"


@dataclass(frozen=True)
class SqlColumn:
    """Where a column's value is in its dataset's view: ``lo``, and ``hi`` for an interval."""

    kind: Kind
    lo: str
    hi: str | None = None


@dataclass(eq=False)
class SqlDataset:
    """One bound dataset: its view, its grain, and its columns by (name, kind)."""

    name: str
    view: str
    rows: bool
    columns: dict[tuple[str, Kind], SqlColumn] = field(default_factory=dict)


Loader = Callable[["SqlFrames", str, Sequence[tuple[str, "Kind"]]], None]


@dataclass(eq=False)
class SqlFrames:
    """Subjects and their datasets as views of ``conn`` (layout: the module docstring)."""

    conn: Connection
    subjects: np.ndarray | TextIds  # (TextIds: the Arrow text a database read, numpy when asked)
    key: str
    subjects_view: str
    datasets: dict[str, SqlDataset] = field(default_factory=dict)
    coverage: dict[str, str] = field(default_factory=dict)
    study_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    loader: Loader | None = None
    source: Any = None
    whole: Any = None  # the context this one narrows (``narrow.py``), kept alive: it owns the session
    _positions: dict[Any, int] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.subjects)

    @property
    def rows(self) -> dict[str, SqlDataset]:
        """The row-grain datasets by name (the pipeline asks ``name in frames.rows``)."""
        return {name: d for name, d in self.datasets.items() if d.rows}

    def position(self, subject: Any) -> int:
        """The position of a subject id (KeyError when it is not screened). Ids held as Arrow
        text (a native binding's) are searched (explain asks for a few), never turned into a
        dict of one Python string per subject."""
        if isinstance(self.subjects, TextIds):
            at = self.subjects.position(subject)
            if at is None:
                raise KeyError(subject)
            return at
        if self._positions is None:
            self._positions = {s: i for i, s in enumerate(self.subjects.tolist())}
        return self._positions[subject]

    def dataset(self, name: str) -> SqlDataset:
        try:
            return self.datasets[name]
        except KeyError:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise EngineError(f"unknown dataset {name!r} (bound: {known})") from None

    def has_column(self, dataset: str, column: str) -> bool:
        """Whether ``dataset`` is bound with a column ``column`` (false for an unknown dataset):
        a column laid out in its view, or one its pandas ``source`` can load."""
        ds = self.datasets.get(dataset)
        if ds is None:
            return False
        if any(name == column for name, _kind in ds.columns):
            return True
        has = getattr(self.source, "has_column", None)
        return bool(has(dataset, column)) if has is not None else False

    def resolve(self, dataset: str, columns: Sequence[tuple[str, Kind]]) -> None:
        """Make sure every (column, kind) of ``dataset`` has a :class:`SqlColumn`."""
        ds = self.dataset(dataset)
        wanted = [c for c in dict.fromkeys(columns) if c not in ds.columns]
        if not wanted:
            return
        if self.loader is None:
            column, kind = wanted[0]
            raise EngineError(f"dataset {dataset!r} has no column {column!r} of kind {kind.value}")
        self.loader(self, dataset, wanted)

    def column(self, dataset: str, column: str, kind: Kind) -> SqlColumn:
        """The layout of ``dataset.column`` read as ``kind`` (loaded on first use)."""
        self.resolve(dataset, [(column, kind)])
        return self.datasets[dataset].columns[(column, kind)]
