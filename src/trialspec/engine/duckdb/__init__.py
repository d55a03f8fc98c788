"""The DuckDB backend: the SQL engine (``engine/sql/``) on an in-process DuckDB session.

Registered as ``duckdb`` in :mod:`trialspec.engine`; importing this module imports
duckdb, so only the run path imports it (never ``lint``). See docs/engine.md, "The SQL
engines".
"""

from __future__ import annotations

from trialspec.backend import Backend
from trialspec.engine.duckdb.connection import DuckDBConnection
from trialspec.engine.sql.backend import SqlBackend

__all__ = ["BACKEND", "DuckDBConnection"]

BACKEND: Backend = SqlBackend("duckdb", DuckDBConnection)
