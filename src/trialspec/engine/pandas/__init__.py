"""The pandas/numpy backend: evaluates the IR vectorized, with three-valued logic.

Importing this module imports numpy and pandas; the registry in :mod:`trialspec.engine`
imports it only when a protocol is run, never for ``lint``. ``docs/engine.md`` describes
the data context, the value representations and the semantics.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trialspec.backend import BATCH_SUBJECTS, Backend
from trialspec.engine.pandas.evaluate import EVALUATORS, Trace, evaluate, evaluate_with_trace
from trialspec.engine.pandas.frames import RowTable, SubjectFrames, SubjectTable
from trialspec.engine.pandas.logic import kleene_and, kleene_not, kleene_or
from trialspec.engine.pandas.unit_column import convert_unit_column
from trialspec.engine.pandas.values import Dates, Labels, Numbers, Tri, Value, to_python
from trialspec.lang.ir import Node

if TYPE_CHECKING:
    from trialspec.check.conformance_plan import ConformanceCheck
    from trialspec.row_batch import RowBatch

__all__ = [
    "BACKEND", "EVALUATORS", "Dates", "Labels", "Numbers", "PandasBackend", "RowTable",
    "SubjectFrames", "SubjectTable", "Trace", "Tri", "Value", "convert_unit_column",
    "evaluate", "evaluate_with_trace", "kleene_and", "kleene_not", "kleene_or", "to_python",
]


class PandasBackend:
    """The :class:`trialspec.engine.Backend` of this module, registered as ``pandas``."""

    name = "pandas"

    def frames_from_pandas(self, subjects: pd.DataFrame, key: str,
                           subject_tables: Mapping[str, pd.DataFrame],
                           row_tables: Mapping[str, tuple[pd.DataFrame, str]]) -> SubjectFrames:
        return SubjectFrames.from_frames(subjects, key, subject_tables, row_tables)

    def evaluate(self, node: Node, frames: Any) -> Value:
        return evaluate(node, frames)

    def set_coverage(self, frames: Any, dataset: str, covered: Value) -> None:
        """Record whom a row table is complete for (``complete_for:``): a condition per subject."""
        if not isinstance(covered, Tri):
            raise TypeError(f"complete_for needs a condition, not {type(covered).__name__}")
        frames.coverage[dataset] = np.asarray(covered.value, dtype=bool)  # true implies known

    def evaluate_with_trace(self, node: Node, frames: Any,
                            trace: Any = None) -> tuple[Value, Trace]:
        return evaluate_with_trace(node, frames, trace)

    def evaluate_many_with_trace(self, nodes: Sequence[Node], frames: Any,
                                 trace: Any = None) -> tuple[list[Value], Trace]:
        values = []
        for node in nodes:
            value, trace = evaluate_with_trace(node, frames, trace)
            values.append(value)
        if trace is None:
            trace = Trace(frames)
        return values, trace

    def missing_at(self, trace: Any, node: Node) -> Any:
        return self.missing(trace.get(node))

    def row_batches(self, frames: Any, dataset: str, columns: Mapping[str, Node],
                    order_by: Sequence[Node], batch_subjects: int = BATCH_SUBJECTS) -> Iterator[RowBatch]:
        """A row dataset's nodes per row in (subject, order_by) batches: engine/pandas/row_batches.py."""
        from trialspec.engine.pandas.row_batches import row_batches

        return row_batches(frames, dataset, columns, order_by, batch_subjects)

    # -- data binding and inspection, for the pipeline ---------------------------------------
    def bind(self, protocol: Any, data_dir: Any) -> Any:
        """Read, check and bind a protocol's datasets from a data directory."""
        from pathlib import Path

        from trialspec.engine.pandas.bind import bind

        return bind(protocol, Path(data_dir))

    def bind_frames(self, protocol: Any, tables: Mapping[str, pd.DataFrame]) -> Any:
        """Bind DataFrames given per dataset name (the Python API)."""
        from trialspec.engine.pandas.bind import bind_frames

        return bind_frames(protocol, tables)

    def conformance(self, protocol: Any, tables: Mapping[str, pd.DataFrame],
                    checks: Sequence[ConformanceCheck]) -> pd.DataFrame:
        """The failure table of ``checks`` on DataFrames given per dataset name: the binding
        runs them as it converts the cells (engine/pandas/conform.py), so this binds."""
        from trialspec.engine.pandas.bind import bind_frames

        failures = bind_frames(protocol, tables, checks=checks).failures
        assert failures is not None  # bind_frames always sets it
        return failures

    def narrow(self, frames: Any, subject: Any) -> None:
        """None: the data are in memory, so explain reads one subject from the whole run."""
        return None

    def add_derived(self, frames: Any, dataset: str, columns: Mapping[str, Any],
                    key: str) -> None:
        """Add per-subject values derived by a check section, aligned by the key column."""
        import numpy as np

        pos = pd.Index(columns[key]).get_indexer(frames.subjects)
        found = pos >= 0
        aligned = {}
        for name, values in columns.items():
            if name == key:
                continue
            arr = np.asarray(list(values) or [None], dtype=object)
            aligned[name] = np.where(found, arr[np.where(found, pos, 0)], np.array(None, dtype=object))
        frames.add_columns(dataset, aligned)

    def study_rows(self, frames: Any, dataset: str) -> list[dict[str, Any]] | None:
        """A study-level dataset's rows (None: not bound), each ``{"values": {column:
        python value}, "text": {column: the cell as written}, "span": its file row}``."""
        from trialspec.engine.pandas.bind import LINE_COLUMN, ROW_COLUMN
        from trialspec.source import Span

        table = frames.studies.get(dataset)
        if table is None:
            return None
        out = []
        records = table.frame.drop(columns=[c for c in (ROW_COLUMN, LINE_COLUMN)
                                            if c in table.frame.columns]).to_dict("records")
        for i, (values, row) in enumerate(zip(records, table.frame[ROW_COLUMN], strict=True)):
            text = {c: ("" if pd.isna(v) else str(v).strip()) for c, v in table.text.iloc[i].items()}
            line = table.where.line(int(row) - 1)
            out.append({"values": {c: None if _missing(v) else v for c, v in values.items()},
                        "text": text, "span": Span(table.where.path, line, 1, line, 2)})
        return out

    def to_python(self, value: Value, i: int) -> Any:
        return to_python(value, i)

    def missing(self, value: Value) -> Any:
        """A bool array: where the value is missing (a condition: unknown)."""
        import numpy as np

        return ~np.asarray(value.known if isinstance(value, Tri) else value.present)

    def origin(self, frames: Any, dataset: str, column: str, i: int) -> str:
        """Where subject i's value of dataset.column was read: 'file row N (unit)'."""
        from trialspec.engine.pandas.bind import ROW_COLUMN, ROW_SUFFIX, UNIT_SUFFIX

        table = frames.tables.get(dataset)
        if table is None:
            return dataset
        cols = table.frame.columns
        column = column.split("@", 1)[0]  # a normal limit (alt@uln) comes from its value's row
        row_col = f"{column}{ROW_SUFFIX}" if f"{column}{ROW_SUFFIX}" in cols else ROW_COLUMN
        where = dataset
        if row_col in cols:
            row = table.column(row_col)[i]
            where = f"{dataset} row {int(row)}" if pd.notna(row) else f"{dataset}: no row"
        if f"{column}{UNIT_SUFFIX}" in cols:
            unit = table.column(f"{column}{UNIT_SUFFIX}")[i]
            if isinstance(unit, str):
                where += f", written in {unit}"
        return where


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


BACKEND: Backend = PandasBackend()  # mypy holds the pandas engine to the seam's protocol
