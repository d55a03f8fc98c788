"""``SparkConnection``: the SQL engine's :class:`~trialspec.engine.sql.connection.Connection`
on a Spark session (engine/spark/session.py), so Spark runs the same SQL DuckDB does.

Tables go to Spark as Arrow (``createDataFrame`` of a pyarrow Table, no Python rows) and are
registered as temporary views of trialspec's own session; queries are rendered in sqlglot's
``spark`` dialect and come back as Arrow (``DataFrame.toArrow``). Temporary views live in
the session, not in the cluster's catalog: nothing is written to the user's metastore.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialspec.backend import EngineError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkConnection"]


class SparkConnection:
    """A :class:`Connection` on trialspec's Spark session (or on ``session`` when given)."""

    dialect = "spark"

    def __init__(self, session: SparkSession | None = None) -> None:
        if session is None:
            from trialspec.engine.spark.session import spark_session

            session = spark_session()
        self.session = session
        self._views: set[str] = set()

    def register(self, name: str, table: pa.Table) -> None:
        """Make ``table`` queryable as the temporary view ``name`` (replacing one of that name)."""
        self.register_frame(name, self.session.createDataFrame(_spark_ready(table)))

    def register_frame(self, name: str, frame: DataFrame) -> None:
        """Make a Spark DataFrame (a Parquet scan, say) queryable as the view ``name``."""
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def create_view(self, name: str, sql: str) -> None:
        self._run(f"CREATE OR REPLACE TEMPORARY VIEW {_quote(name)} AS {sql}")
        self._views.add(name)

    def frame(self, sql: str) -> DataFrame:
        """The query ``sql`` as a Spark DataFrame, not collected (for Spark-side work)."""
        return self._run(sql)

    def query(self, sql: str) -> pa.Table:
        return self._run(sql).toArrow()

    def batches(self, sql: str) -> Any:
        return self.query(sql).to_batches()

    def close(self) -> None:
        """Drop the views this connection registered; the session stays for the next one."""
        views, self._views = self._views, set()
        for name in views:
            self.session.catalog.dropTempView(name)

    def _run(self, sql: str) -> Any:
        from pyspark.errors import PySparkException

        try:
            return self.session.sql(sql)
        except PySparkException as exc:  # a plan the compiler should never produce
            raise EngineError(f"Spark refused the SQL: {exc}\n{sql}") from None


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _spark_ready(table: pa.Table) -> pa.Table:
    """``table`` with the Arrow types Spark reads as the contract's SQL types.

    Spark has no unsigned integers and reads a column of type null (all values missing, type
    unknown) as the ``void`` type no function accepts; dictionary columns are decoded.
    """
    import pyarrow as pa

    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_null(kind):
            kind = pa.string()
        elif pa.types.is_unsigned_integer(kind):
            kind = pa.int64()
        elif pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)
