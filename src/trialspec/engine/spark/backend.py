"""The Spark backend: the SQL engine (``engine/sql/``) on a Spark session.

Registered as ``spark`` in :mod:`trialspec.engine`. Every evaluation is the query the SQL
compiler builds, rendered in sqlglot's ``spark`` dialect and run by Spark SQL on the session
of engine/spark/session.py (the user's cluster, or local mode). Parquet files are read and
checked in Spark (engine/spark/bind.py); other files, DataFrames from the Python API and the
conformance of in-memory tables go through the pandas binder, whose frames are registered. Importing
this module needs pyspark installed (it raises :class:`EngineError` saying how to install it)
but starts no JVM: the session starts on the first data context.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from trialspec.backend import Backend, EngineError
from trialspec.engine.spark.session import INSTALL_HINT

if find_spec("pyspark") is None:
    raise EngineError(f"the spark engine is not installed: {INSTALL_HINT}")

from trialspec.engine.spark.connection import SparkConnection  # noqa: E402
from trialspec.engine.sql.backend import SqlBackend  # noqa: E402

__all__ = ["BACKEND", "SparkBackend"]


def _bind(protocol: Any, data_dir: Any, connection: Any) -> Any:
    from trialspec.engine.spark.bind import bind

    return bind(protocol, data_dir, connection)


class SparkBackend(SqlBackend):
    """The SQL backend on :class:`SparkConnection` (one connection per data context, all on
    the process's one Spark session), binding Parquet files in Spark (engine/spark/bind.py)."""

    def __init__(self) -> None:
        super().__init__("spark", SparkConnection, _bind)


BACKEND: Backend = SparkBackend()  # mypy holds the Spark engine to the seam's protocol
