"""The DuckDB backend: the SQL engine (``engine/sql/``) on an in-process DuckDB session.

Registered as ``duckdb`` in :mod:`trialspec.engine`; importing this module imports
duckdb, so only the run path imports it (never ``lint``). See docs/engine.md, "The SQL
engines".
"""

from __future__ import annotations

from typing import Any

from trialspec.backend import Backend
from trialspec.engine.duckdb.connection import DuckDBConnection
from trialspec.engine.sql.backend import SqlBackend

__all__ = ["BACKEND", "DuckDBConnection"]

def _bind(protocol: Any, data_dir: Any, connection: Any) -> Any:
    from trialspec.engine.duckdb.bind import bind

    return bind(protocol, data_dir, connection)


BACKEND: Backend = SqlBackend("duckdb", DuckDBConnection, _bind)
