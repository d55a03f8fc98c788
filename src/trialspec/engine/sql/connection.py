"""The one thing a SQL backend needs from a database: the :class:`Connection` protocol.

The SQL engine (``engine/sql/``) compiles IR to dialect-neutral sqlglot expressions and
renders them with ``expr.sql(dialect=conn.dialect)``; everything it asks of the database
goes through these five methods, so DuckDB (``engine/duckdb/``) and Spark
(``engine/spark/``) differ only in their adapter. Importing this module imports nothing
heavy (pyarrow is named for typing only).

Contract (every adapter keeps it):

- ``dialect``: the sqlglot dialect name the SQL is rendered in (``"duckdb"``, ``"spark"``).
- ``register(name, table)``: make a pyarrow Table queryable as the view ``name``, replacing
  any view or table of that name. The adapter may copy the data; the caller never mutates
  a table after registering it. Column names may hold any characters (``x@uln``,
  ``@test``): the engine always quotes identifiers.
- ``create_view(name, sql)``: ``CREATE OR REPLACE`` a (temporary, session-scoped) view of
  a query rendered in ``dialect``.
- ``query(sql)``: run a query rendered in ``dialect`` and return its whole result as a
  pyarrow Table, rows in the query's ``ORDER BY`` order, column names as aliased. Types:
  BOOLEAN -> bool, DOUBLE -> double, INTEGER/BIGINT -> int32/int64, VARCHAR -> string
  (``large_string`` is accepted too); NULL stays null (never NaN).
- ``batches(sql)``: the result of ``sql`` as an iterable of pyarrow RecordBatches, streamed
  where the database can (DuckDB), so a large result is never held whole; the same types as
  ``query``, no order unless the query has one.
- ``close()``: release the session (idempotent).

Views and tables the engine creates are named with the prefix ``ts_`` and a counter, so
an adapter shared by several data contexts never sees two contexts collide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pyarrow as pa


@runtime_checkable
class Connection(Protocol):
    """A database session the SQL engine runs on (see the module docstring for the contract)."""

    dialect: str

    def register(self, name: str, table: pa.Table) -> None:
        """Make ``table`` queryable as the view ``name`` (replacing one of that name)."""

    def create_view(self, name: str, sql: str) -> None:
        """``CREATE OR REPLACE`` the temporary view ``name`` as the query ``sql``."""

    def query(self, sql: str) -> pa.Table:
        """The whole result of ``sql`` as a pyarrow Table, in its ORDER BY order."""

    def batches(self, sql: str) -> Iterable[pa.RecordBatch]:
        """The result of ``sql`` as record batches, streamed where the database can."""

    def close(self) -> None:
        """Release the session."""
