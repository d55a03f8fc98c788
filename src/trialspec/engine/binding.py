"""What a binder returns, the same for every engine: the bound data (``Bound``), what was read
of each dataset (``DatasetInfo``, with the file's SHA-256), and the conformance checks' failing
rows (``Failed``), gathered into the failure table (docs/engine.md, "Conformance checks").

No pandas at import: the failure table is a pandas DataFrame, built only when asked for
(``Bound.failures``, :func:`failure_table`); the binders render their findings from
:func:`failure_columns`, so a native binding whose checks pass never imports pandas.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trialspec.check.conformance_plan import FAILURE_COLUMNS, ConformanceCheck

if TYPE_CHECKING:
    import pandas as pd

    from trialspec.diagnostics import Diagnostic


@dataclass(frozen=True)
class DatasetInfo:
    """What was read for one dataset: for the report's manifest and for lock files."""

    name: str
    path: str | None
    sha256: str | None
    rows: int


@dataclass(frozen=True)
class Failed:
    """One check's failing rows: the first ``SHOW + 1`` listed, ``count`` in all."""

    check: ConformanceCheck
    rows: np.ndarray  # 1-based data rows (0: a dataset check)
    lines: np.ndarray  # their file lines
    position: int  # the file column's index (-1: none)
    values: np.ndarray  # what the check judged, per listed row (object)
    subjects: np.ndarray  # each listed row's key text, None where it has none (object)
    count: int
    path: str


@dataclass
class Bound:
    """The bound data: frames to evaluate on (None if screening cannot run), and findings
    (``failed``: the conformance checks' failures, rendered into ``diagnostics``; None when
    the checks did not run). ``datasets`` says what was read of each dataset; a binder that
    hashes its files in a thread gives their SHA-256 as ``digests`` (by dataset name), waited
    for only when ``datasets`` is read (the manifest, at the end of a check), so the hashing
    goes on while the check runs."""

    frames: Any  # the engine's data context (a SubjectFrames, a SqlFrames)
    diagnostics: list[Diagnostic]
    _datasets: list[DatasetInfo]
    key: str | None
    failed: list[Failed] | None = None
    digests: dict[str, Future[str]] = field(default_factory=dict, repr=False)

    @property
    def datasets(self) -> list[DatasetInfo]:
        if self.digests:
            done = {name: digest.result() for name, digest in self.digests.items()}
            self._datasets = [replace(d, sha256=done[d.name]) if d.name in done else d
                              for d in self._datasets]
            self.digests = {}
        return self._datasets

    @datasets.setter
    def datasets(self, value: list[DatasetInfo]) -> None:
        self._datasets, self.digests = value, {}

    @property
    def failures(self) -> pd.DataFrame | None:
        """The failure table of ``failed`` (None when the checks did not run)."""
        return None if self.failed is None else failure_table(self.failed)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dataset_failure(check: ConformanceCheck | None, path: str, value: Any = None) -> list[Failed]:
    """A dataset check's failure (row 0), carrying ``value`` (the file's columns, its test codes)."""
    if check is None:
        return []
    return [Failed(check, np.zeros(1, np.int64), np.zeros(1, np.int64), -1, objects_at([value], [0]),
                   np.full(1, None, dtype=object), 1, path)]


def objects_at(values: Any, positions: Any) -> np.ndarray:
    """``values`` at ``positions`` as an object array (a few rows: cells as they are, tuples
    kept whole)."""
    out = np.empty(len(positions), dtype=object)
    for i, p in enumerate(positions):
        out[i] = values[int(p)]
    return out


def failure_columns(failed: list[Failed]) -> dict[str, np.ndarray]:
    """The failure table's columns (:data:`FAILURE_COLUMNS`, in order) of the checks' failures,
    as numpy arrays: what ``check/conformance_render.render`` reads."""
    if not failed:
        return {c: np.empty(0, dtype=object) for c in FAILURE_COLUMNS}
    sizes = [len(f.rows) for f in failed]

    def each(get: Any) -> np.ndarray:
        return np.repeat(np.array([get(f) for f in failed], dtype=object), sizes)

    columns = {
        "check": each(lambda f: f.check.id), "dataset": each(lambda f: f.check.dataset),
        "column": each(lambda f: f.check.column),
        "row": np.concatenate([f.rows for f in failed]), "line": np.concatenate([f.lines for f in failed]),
        "position": np.repeat([f.position for f in failed], sizes),
        "value": np.concatenate([f.values for f in failed]),
        "subject": np.concatenate([f.subjects for f in failed]),
        "count": np.repeat([f.count for f in failed], sizes), "path": each(lambda f: f.path),
    }
    return {c: columns[c] for c in FAILURE_COLUMNS}


def failure_table(failed: list[Failed]) -> pd.DataFrame:
    """The failure table (docs/engine.md, "Conformance checks") of the checks' failures."""
    import pandas as pd

    if not failed:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in FAILURE_COLUMNS})
    return pd.DataFrame(failure_columns(failed), columns=list(FAILURE_COLUMNS))
