"""The seam between the declarative side and an execution engine, owned by neither.

``domain/`` and ``pipeline.py`` type the backend they are handed as :class:`Backend` and
catch :class:`EngineError` from here, never from ``engine/`` (a test walks the imports);
``trialspec.engine`` re-exports both and keeps the registry of backends. A backend is
held to :class:`Backend` by mypy where it is registered (``engine/pandas``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from trialspec.check.conformance_plan import ConformanceCheck, FailureTable
    from trialspec.lang.ir import Node
    from trialspec.row_batch import RowBatch

BATCH_SUBJECTS = 250_000  # subjects per row batch unless the caller says (trialspec.row_batch)


class EngineError(Exception):
    """The IR or the data context is not something the engine can evaluate.

    Raised for plans the checker should never produce (a date compared with a number, an
    unknown node type) and for data contexts that break the binding contract (an unknown
    dataset or column, duplicate subject keys). User data never raise it: bad values are
    missing values.
    """


class DataContext(Protocol):
    """What every backend's data context offers ``domain/`` and the pipeline; anything else
    in it is the backend's own, reached only through :class:`Backend` methods."""

    @property
    def n(self) -> int:
        """How many subjects (the screened population)."""

    @property
    def subjects(self) -> Any:
        """The subject ids in the context's order (position ``i`` is subject ``i``)."""

    def position(self, subject: Any) -> int:
        """The position of a subject id (KeyError: not a subject)."""

    def has_column(self, dataset: str, column: str) -> bool:
        """Whether ``dataset`` is bound with a column named ``column``."""


class UnboundDataset(EngineError):
    """``row_batches`` was asked for a dataset the data context does not hold as rows."""


class Backend(Protocol):
    """What the pipeline needs from an execution backend."""

    name: str

    def frames_from_pandas(self, subjects: Any, key: str, subject_tables: Mapping[str, Any],
                           row_tables: Mapping[str, tuple[Any, str]]) -> DataContext:
        """The backend's data context for one screening population."""

    def evaluate(self, node: Node, frames: DataContext) -> Any:
        """The value of ``node`` for every subject of ``frames``."""

    def set_coverage(self, frames: DataContext, dataset: str, covered: Any) -> None:
        """Record whom a row table is complete for (``complete_for:``): a condition per subject."""

    def evaluate_with_trace(self, node: Node, frames: DataContext, trace: Any = None) -> tuple[Any, Any]:
        """The value and a trace holding every sub-node's value, for ``explain``."""

    def evaluate_many_with_trace(self, nodes: Sequence[Node], frames: DataContext,
                                 trace: Any = None) -> tuple[list[Any], Any]:
        """The values of several nodes (in one pass where the engine can: one query on SQL),
        and a trace answering for every sub-node of them, as ``evaluate_with_trace`` would;
        the engine may compute sub-nodes only when the trace is first asked for them."""

    def missing_at(self, trace: Any, node: Node) -> Any:
        """A bool array: where the value of ``node`` (a sub-node of a traced evaluation) is
        missing, as ``missing(trace.get(node))`` (an engine may hold just that, not the value)."""

    def row_batches(self, frames: DataContext, dataset: str, columns: Mapping[str, Node],
                    order_by: Sequence[Node], batch_subjects: int = BATCH_SUBJECTS) -> Iterator[RowBatch]:
        """The rows of the row dataset ``dataset`` as :class:`trialspec.row_batch.RowBatch`
        objects, each holding every row of ``batch_subjects`` consecutive subjects (of the
        data context's order; the batches cover every subject once, in order), rows grouped
        by subject and sorted within it by the ``order_by`` nodes (missing last, ties in the
        source's order), with each node of ``columns`` evaluated per row as a neutral value
        carrier. Raises :class:`UnboundDataset` when ``dataset`` is not bound as rows.
        docs/engine.md, "Row batches", has the whole contract."""

    def bind(self, protocol: Any, data_dir: Any) -> Any:
        """Read, check and bind a protocol's datasets from a folder: frames and findings."""

    def bind_frames(self, protocol: Any, tables: Mapping[str, Any]) -> Any:
        """Bind in-memory tables given by dataset name (the Python API)."""

    def conformance(self, protocol: Any, tables: Mapping[str, Any],
                    checks: Sequence[ConformanceCheck]) -> FailureTable:
        """The failure table of the declared ``checks`` (``trialspec.check.conformance_plan``)
        on tables given by dataset name: one row per failing cell (docs/engine.md, "Conformance
        checks"); ``trialspec.check.conformance_render`` words it. ``bind`` runs the same checks."""

    def narrow(self, frames: DataContext, subject: Any) -> DataContext | None:
        """The data context of one subject of ``frames`` (``explain --subject``): the same
        datasets, coverage and study rows, holding that subject's rows only (a context of no
        subject when ``frames`` has none of that id). None: the engine explains from the
        whole context (pandas, whose data are in memory already)."""

    def add_derived(self, frames: DataContext, dataset: str, columns: Mapping[str, Any], key: str) -> None:
        """Add per-subject values a check section derived, as a subject-grain dataset."""

    def study_rows(self, frames: DataContext, dataset: str) -> list[dict[str, Any]] | None:
        """A study-level dataset's rows: ``{"values", "text" (cells as written), "span"}``."""

    def to_python(self, value: Any, i: int) -> Any:
        """Element ``i`` of an evaluated value as a plain Python value."""

    def missing(self, value: Any) -> Any:
        """A bool array: where an evaluated value is missing (a condition: unknown)."""

    def origin(self, frames: DataContext, dataset: str, column: str, i: int) -> str:
        """Where subject ``i``'s value of ``dataset.column`` was read, in words."""
