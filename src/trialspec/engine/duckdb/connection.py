"""DuckDB, in-process, as a :class:`~trialspec.engine.sql.connection.Connection`.

The process holds one in-memory DuckDB database, opened on first use with a memory limit and
a spill directory, so a query larger than the limit spills to disk instead of failing; each
data context is a session of its own on it (a DuckDB cursor: its registered views are its
own, and opening one costs about a millisecond where a new database costs 50): ``memory_limit`` defaults to
half the machine's RAM (``TRIALSPEC_DUCKDB_MEMORY`` overrides it, e.g. ``4GB``), the spill
directory is a fresh folder under the system's temporary directory
(``TRIALSPEC_DUCKDB_TEMP`` overrides it), and ``threads`` is 2 (``TRIALSPEC_DUCKDB_THREADS``).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any


def default_memory_limit() -> str:
    """Half the machine's physical memory, in whole MiB (``TRIALSPEC_DUCKDB_MEMORY`` wins)."""
    configured = os.environ.get("TRIALSPEC_DUCKDB_MEMORY")
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(256, total // 2 // (1 << 20))}MB"


_DATABASE: Any = None


def database() -> Any:
    """The process's DuckDB database, opened on first use."""
    global _DATABASE
    if _DATABASE is None:
        _DATABASE = open_database()
    return _DATABASE


def open_database(memory_limit: str | None = None, temp_directory: str | None = None,
                  threads: int | None = None) -> Any:
    """A new in-memory DuckDB database, memory-limited and spilling to ``temp_directory``."""
    import duckdb

    temp = temp_directory or os.environ.get("TRIALSPEC_DUCKDB_TEMP") or os.path.join(
        tempfile.gettempdir(), f"trialspec-duckdb-{os.getpid()}")
    config: dict[str, Any] = {
        "memory_limit": memory_limit or default_memory_limit(),
        "temp_directory": temp,
        "threads": threads or int(os.environ.get("TRIALSPEC_DUCKDB_THREADS", "2")),
    }
    return duckdb.connect(":memory:", config=config)


class DuckDBConnection:
    """One DuckDB session (the SQL engine's ``Connection`` contract): a cursor on
    ``db`` (default: the process's database)."""

    dialect = "duckdb"

    def __init__(self, db: Any = None) -> None:
        self.con: Any = (db if db is not None else database()).cursor()

    def register(self, name: str, table: Any) -> None:
        self.con.register(name, table)

    def create_view(self, name: str, sql: str) -> None:
        quoted = name.replace('"', '""')
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{quoted}" AS {sql}')

    def query(self, sql: str) -> Any:
        return self.con.sql(sql).to_arrow_table()

    def batches(self, sql: str) -> Any:
        return _stream(self.con, sql)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def _stream(con: Any, sql: str) -> Any:
    """``sql``'s result as record batches, read from DuckDB as they are produced."""
    result = con.sql(sql).arrow()
    if hasattr(result, "read_next_batch"):  # a RecordBatchReader
        return result
    return result.to_batches()
