"""The Spark backend: the SQL engine (``engine/sql/``) on a Spark session.

Registered as ``spark`` in :mod:`trialspec.engine`. Every evaluation is the query the SQL
compiler builds, rendered in sqlglot's ``spark`` dialect and run by Spark SQL on the session
of engine/spark/session.py (the user's cluster, or local mode); what the SQL engine leaves to
the pandas engine (binding, conformance, dosing, time series) it leaves here too. Importing
this module needs pyspark installed (it raises :class:`EngineError` saying how to install it)
but starts no JVM: the session starts on the first data context.
"""

from __future__ import annotations

from importlib.util import find_spec

from trialspec.backend import Backend, EngineError
from trialspec.engine.spark.session import INSTALL_HINT

if find_spec("pyspark") is None:
    raise EngineError(f"the spark engine is not installed: {INSTALL_HINT}")

from trialspec.engine.spark.connection import SparkConnection  # noqa: E402
from trialspec.engine.sql.backend import SqlBackend  # noqa: E402

__all__ = ["BACKEND", "SparkBackend"]


class SparkBackend(SqlBackend):
    """The SQL backend on :class:`SparkConnection` (one connection per data context, all on
    the process's one Spark session)."""

    def __init__(self) -> None:
        super().__init__("spark", SparkConnection)


BACKEND: Backend = SparkBackend()  # mypy holds the Spark engine to the seam's protocol
