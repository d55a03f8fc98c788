"""``SqlBackend``: the :class:`trialspec.backend.Backend` of any SQL database with a
:class:`~trialspec.engine.sql.connection.Connection` adapter (DuckDB, Spark).

Every evaluation is one query: the node compiled (``compile.py``) and rendered in the
connection's dialect, fetched ``ORDER BY _i`` into the neutral value carriers
(``fetch.py``). ``evaluate_with_trace`` fetches every subject-grain sub-node in that same
query; ``row_batches`` is one query per batch of subjects (``rows.py``). Binding from files
and in-memory tables and the conformance checks are the pandas engine's for now: the
pandas-bound frames are registered as views (``from_pandas.py``) and kept as the frames'
``source``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from trialspec.backend import BATCH_SUBJECTS, EngineError
from trialspec.engine.sql import sqlx as q
from trialspec.engine.sql.compile import Compiler, Scope, render
from trialspec.engine.sql.connection import Connection
from trialspec.engine.sql.fetch import gather
from trialspec.engine.sql.frames import SqlFrames, fresh_name
from trialspec.engine.sql.from_pandas import PandasLoader, register_subject_frames
from trialspec.engine.sql.series import compile_series
from trialspec.engine.sql.values import SFlags, SValue
from trialspec.lang import ir
from trialspec.values import Tri, Value, broadcast, to_python

if TYPE_CHECKING:
    from trialspec.check.conformance_plan import ConformanceCheck
    from trialspec.row_batch import RowBatch


class SqlTrace:
    """Every subject-grain node's value fetched so far, by node identity (``explain``).

    ``evaluate_many_with_trace`` fetches the nodes asked for, and where each column they
    read is missing (``SqlBackend.missing_at``: what the eligibility section names), and
    leaves the rest of its query's sub-nodes *pending*: the first ``get`` of a pending node
    fetches every pending node of its query, in one query (``explain``)."""

    def __init__(self, frames: SqlFrames) -> None:
        self.frames = frames
        self._values: dict[int, tuple[ir.Node, Value]] = {}
        self._pending: list[tuple[Any, list[ir.Node], dict[int, ir.Node]]] = []
        # a column's missing flags, without its values: (a byte a subject, the column's bit in
        # it), eight columns sharing the bytes (unpacked into bools only when asked for)
        self._absent: dict[int, tuple[np.ndarray, np.uint8]] = {}

    def defer(self, backend: Any, roots: Sequence[ir.Node], scope: Scope) -> None:
        """The sub-nodes of ``roots`` compiled in ``scope`` but not fetched: pending."""
        todo = {k: n for k, (n, _v) in scope.memo.items() if k not in self._values}
        if todo:
            self._pending.append((backend, list(roots), todo))

    def _fill(self, key: int | None) -> None:
        """Fetch the pending group holding ``key`` (None: everything pending), recompiling
        its roots in a fresh query (a rendered query's tree is not reused)."""
        for entry in list(self._pending):
            backend, roots, todo = entry
            if key is not None and key not in todo:
                continue
            wanted = [k for k in todo if k not in self._values]
            if wanted:
                compiler = backend._compiler(self.frames)
                scope = compiler.scope()
                for root in roots:
                    compiler.compile(root, scope)
                got = backend._run(self.frames, scope, [scope.memo[k][1] for k in wanted])
                for k, value in zip(wanted, got, strict=True):
                    self._values[k] = (todo.pop(k), value)
            for k in [k for k in todo if k in self._values]:
                del todo[k]
            if not todo:
                self._pending.remove(entry)
            if key is not None:
                return

    def get(self, node: ir.Node, grain: str | None = None) -> Value:
        if grain is not None:
            raise KeyError("the SQL trace holds subject-grain values only")
        if id(node) not in self._values and self._pending:
            self._fill(id(node))
        try:
            value = self._values[id(node)][1]
        except KeyError:
            raise KeyError(f"{type(node).__name__} was not evaluated at this grain") from None
        return broadcast(value, self.frames.n)

    def __contains__(self, node: object) -> bool:
        return id(node) in self._values or any(id(node) in todo for _b, _r, todo in self._pending)

    def __len__(self) -> int:
        self._fill(None)
        return len(self._values)

    def items(self) -> Iterator[tuple[ir.Node, str | None, Value]]:
        self._fill(None)
        for node, value in self._values.values():
            yield node, None, value


class SqlBackend:
    """A Backend on the SQL database ``connect()`` opens (one session per data context)."""

    def __init__(self, name: str, connect: Callable[[], Connection],
                 binder: Callable[[Any, Any, Connection], Any] | None = None) -> None:
        self.name = name
        self._connect = connect
        self._binder = binder  # reads files in the database (engine/duckdb/bind.py); None: pandas

    # -- data contexts -------------------------------------------------------------------------
    def register(self, source: Any, key: str = "") -> SqlFrames:
        """The pandas ``SubjectFrames`` ``source`` as a ``SqlFrames`` on a new session."""
        conn = self._connect()
        frames = register_subject_frames(conn, source)
        frames.key = key
        weakref.finalize(frames, conn.close)
        return frames

    def frames_from_pandas(self, subjects: Any, key: str, subject_tables: Mapping[str, Any],
                           row_tables: Mapping[str, tuple[Any, str]]) -> SqlFrames:
        from trialspec.engine.pandas import SubjectFrames

        return self.register(SubjectFrames.from_frames(subjects, key, subject_tables, row_tables), key)

    def bind(self, protocol: Any, data_dir: Any) -> Any:
        from pathlib import Path

        if self._binder is not None:
            conn = self._connect()
            bound = self._binder(protocol, Path(data_dir), conn)
            if bound.frames is None:
                conn.close()
            else:
                weakref.finalize(bound.frames, conn.close)
            return bound
        from trialspec.engine.pandas.bind import bind  # (pandas imported only when it binds)

        return self._registered(bind(protocol, Path(data_dir)))

    def bind_frames(self, protocol: Any, tables: Mapping[str, Any]) -> Any:
        from trialspec.engine.pandas.bind import bind_frames

        return self._registered(bind_frames(protocol, tables))

    def _registered(self, bound: Any) -> Any:
        if bound.frames is None:
            return bound
        return replace(bound, frames=self.register(bound.frames, bound.key or ""))

    def conformance(self, protocol: Any, tables: Mapping[str, Any],
                    checks: Sequence[ConformanceCheck]) -> Any:
        from trialspec.engine.pandas import BACKEND as PANDAS

        return PANDAS.conformance(protocol, tables, checks)

    # -- evaluation ------------------------------------------------------------------------------
    def _compiler(self, frames: SqlFrames) -> Compiler:
        if not isinstance(frames, SqlFrames):
            raise EngineError(f"the {self.name} backend evaluates SqlFrames, not {type(frames).__name__}")
        return Compiler(frames, series=lambda scope, node: compile_series(compiler_of(scope), scope, node))

    def _run(self, frames: SqlFrames, scope: Scope, values: Sequence[SValue | SFlags]) -> list[Any]:
        outputs: list[tuple[str, Any]] = []
        spans: list[tuple[int, int]] = []
        for v in values:
            start = len(outputs)
            outputs.extend((f"o{start + k}", e) for k, e in enumerate(v.parts()))
            spans.append((start, len(outputs)))
        # unordered: the database does not sort wide rows; each batch's rows are put at their
        # ``_i`` (a permutation of 0..n-1, by the layout contract) as they stream in
        sql = render(scope.select(outputs, order=False), frames.conn.dialect)
        try:
            return gather(values, spans, frames.conn.batches(sql), frames.n)
        except ValueError as err:
            raise EngineError(f"the {self.name} query: {err}") from err

    def evaluate(self, node: ir.Node, frames: Any) -> Value:
        compiler = self._compiler(frames)
        compiler.prepare(node)
        scope = compiler.scope()
        value = compiler.compile(node, scope)
        return self._run(frames, scope, [value])[0]

    def evaluate_many(self, nodes: Sequence[ir.Node], frames: Any) -> list[Value]:
        """The values of several nodes on the same subjects in ONE query (each dataset's
        columns loaded once): a query's fixed cost is paid once, which is what matters on
        Spark (a few tenths of a second a query, whatever it computes)."""
        compiler = self._compiler(frames)
        wanted: dict[str, list[tuple[str, Any]]] = {}
        for node in nodes:
            for n in ir.walk(node):
                if isinstance(n, ir.Col):
                    wanted.setdefault(n.dataset, []).append((n.column, n.type.kind))
        for dataset, cols in wanted.items():
            frames.resolve(dataset, cols)
        scope = compiler.scope()
        values = [compiler.compile(node, scope) for node in nodes]
        return self._run(frames, scope, values)

    def evaluate_with_trace(self, node: ir.Node, frames: Any,
                            trace: Any = None) -> tuple[Value, SqlTrace]:
        trace = trace if trace is not None else SqlTrace(frames)
        if trace.frames is not frames:
            raise EngineError("a trace belongs to one data context")
        compiler = self._compiler(frames)
        compiler.prepare(node)
        scope = compiler.scope()
        compiler.compile(node, scope)
        todo = [(n, v) for n, v in scope.memo.values() if id(n) not in trace._values]
        if todo:
            got = self._run(frames, scope, [v for _n, v in todo])
            for (n, _v), value in zip(todo, got, strict=True):
                trace._values[id(n)] = (n, value)
        return trace.get(node), trace

    def evaluate_many_with_trace(self, nodes: Sequence[ir.Node], frames: Any,
                                 trace: Any = None) -> tuple[list[Value], SqlTrace]:
        """The values of ``nodes`` in ONE query (columns loaded once, each shared sub-node
        computed once), and a trace whose other sub-nodes are fetched when first asked for
        (:class:`SqlTrace`): the screening reads the criteria only, ``explain`` the rest."""
        trace = trace if trace is not None else SqlTrace(frames)
        if trace.frames is not frames:
            raise EngineError("a trace belongs to one data context")
        compiler = self._compiler(frames)
        for node in nodes:
            compiler.prepare(node)
        scope = compiler.scope()
        values = {id(node): (node, compiler.compile(node, scope)) for node in nodes}
        todo = [(k, nv) for k, nv in values.items() if k not in trace._values]
        # where each column read is missing (what the eligibility section names), in the same
        # query: a file-backed view is computed once, and a flag costs a byte, a value eight
        absent = [(k, q.is_null(v.parts()[0])) for k, (n, v) in scope.memo.items()
                  if isinstance(n, ir.Col) and k not in trace._values and k not in trace._absent]
        groups = [absent[i:i + 8] for i in range(0, len(absent), 8)]  # eight flags a byte
        if todo or absent:
            got = self._run(frames, scope, [v for _k, (_n, v) in todo]
                            + [SFlags.pack([c for _k, c in g]) for g in groups])
            # returned, not kept: a caller done with them frees them (at 50M subjects ten
            # conditions are 1 GB); explain fetches them again with the other sub-nodes
            fetched = {k: value for (k, _nv), value in zip(todo, got[:len(todo)], strict=True)}
            for group, bits in zip(groups, got[len(todo):], strict=True):
                assert isinstance(bits, np.ndarray)
                for j, (k, _c) in enumerate(group):
                    trace._absent[k] = (bits, np.uint8(1 << j))
            del got
        else:
            fetched = {}
        trace.defer(self, nodes, scope)
        return [broadcast(fetched[id(node)], frames.n) if id(node) in fetched else trace.get(node)
                for node in nodes], trace

    def set_coverage(self, frames: Any, dataset: str, covered: Any) -> None:
        import pyarrow as pa

        if not isinstance(covered, Tri):
            raise TypeError(f"complete_for needs a condition, not {type(covered).__name__}")
        mask = np.broadcast_to(np.asarray(covered.value, dtype=bool), (frames.n,))
        view = fresh_name("cover")
        frames.conn.register(view, pa.table({"_i": np.flatnonzero(mask).astype(np.int64)}))
        frames.coverage[dataset] = view
        if frames.source is not None:
            frames.source.coverage[dataset] = mask.copy()

    def narrow(self, frames: Any, subject: Any) -> SqlFrames | None:
        """One subject's rows of every view, held as small tables (``narrow.py``)."""
        from trialspec.engine.sql.narrow import narrow

        return narrow(frames, subject)

    def add_derived(self, frames: Any, dataset: str, columns: Mapping[str, Any], key: str) -> None:
        from trialspec.engine.pandas import BACKEND as PANDAS
        from trialspec.engine.pandas import SubjectFrames

        if frames.source is None:  # a natively bound context: keep derived data in pandas
            import pandas as pd

            frames.source = SubjectFrames(pd.Index(np.asarray(frames.subjects, dtype=object)))
        PANDAS.add_derived(frames.source, dataset, columns, key)
        loader = frames.loader if isinstance(frames.loader, PandasLoader) else None
        if loader is None or loader.source is not frames.source:
            loader = PandasLoader(frames.source)
            previous = frames.loader
            frames.loader = _chain(loader, previous)
        loader.add_dataset(frames, dataset)

    # -- row batches ------------------------------------------------------------------------------
    def row_batches(self, frames: Any, dataset: str, columns: Mapping[str, ir.Node],
                    order_by: Sequence[ir.Node], batch_subjects: int = BATCH_SUBJECTS,
                    ) -> Iterator[RowBatch]:
        """One query per batch: the row scope's nodes for subjects ``[first, last)``,
        ``ORDER BY _i, <order_by> NULLS LAST, _r`` (docs/engine.md, "Row batches")."""
        from trialspec.engine.sql.rows import row_batches

        return row_batches(self, frames, dataset, columns, order_by, batch_subjects)

    def study_rows(self, frames: Any, dataset: str) -> list[dict[str, Any]] | None:
        if dataset in frames.study_rows:
            return frames.study_rows[dataset]
        if frames.source is None:
            return None
        from trialspec.engine.pandas import BACKEND as PANDAS

        return PANDAS.study_rows(frames.source, dataset)

    # -- single values, for explain ----------------------------------------------------------------
    def to_python(self, value: Value, i: int) -> Any:
        return to_python(value, i)

    def missing_at(self, trace: Any, node: ir.Node) -> Any:
        flags = trace._absent.get(id(node)) if isinstance(trace, SqlTrace) else None
        if flags is None:
            return self.missing(trace.get(node))
        bits, bit = flags
        return (bits & bit) != 0

    def missing(self, value: Value) -> Any:
        return ~np.asarray(value.known if isinstance(value, Tri) else value.present)

    def origin(self, frames: Any, dataset: str, column: str, i: int) -> str:
        if frames.source is not None and dataset in getattr(frames.source, "tables", {}):
            from trialspec.engine.pandas import BACKEND as PANDAS

            return PANDAS.origin(frames.source, dataset, column, i)
        return _native_origin(frames, dataset, column, i)


def compiler_of(scope: Scope) -> Compiler:
    return scope.c


def _chain(first: PandasLoader, second: Any) -> Any:
    def load(frames: SqlFrames, dataset: str, wanted: Any) -> None:
        if dataset in first.tables or second is None:
            first(frames, dataset, wanted)
        else:
            second(frames, dataset, wanted)

    return load


def _one(frames: SqlFrames, view: str, column: str, i: int) -> str:
    return q.select_sql([q.col(column)], view, frames.conn.dialect,
                        where=q.op("==", q.col("_i"), q.integer(i)))


def _native_origin(frames: SqlFrames, dataset: str, column: str, i: int) -> str:
    """'dataset row N, written in U' from a view's optional ``_row``/``<col>__row``/``<col>__unit``."""
    ds = frames.datasets.get(dataset)
    if ds is None or ds.rows:
        return dataset
    column = column.split("@", 1)[0]
    for row_col in (f"{column}__row", "_row"):
        try:
            got = frames.conn.query(_one(frames, ds.view, row_col, i))
        except Exception:  # the optional column is absent in this view
            continue
        rows = got.column(0).to_pylist()
        where = f"{dataset} row {int(rows[0])}" if rows and rows[0] is not None else f"{dataset}: no row"
        try:
            unit = frames.conn.query(_one(frames, ds.view, f"{column}__unit", i))
            units = unit.column(0).to_pylist()
            if units and isinstance(units[0], str):
                where += f", written in {units[0]}"
        except Exception:
            pass
        return where
    return dataset
