"""Binding a protocol's Parquet datasets natively in Spark (docs/engine.md, "Spark").

The DuckDB native binder (``engine/duckdb/bind.py``, ``bind_sql.py``, ``conform.py``) holds
the pandas binder's rules once, as DuckDB SQL text: missing values, each declared column's
conversion and conformance checks, per-row units, blank and duplicate keys, long tables. Spark
reuses it as it is: :class:`SparkNative` reads each Parquet file with ``spark.read.parquet``
(its file row from Spark's ``_metadata.row_index``, so the file order is exact however the
file is split), and transpiles every statement the binder writes from DuckDB's SQL to
Spark's with sqlglot (:func:`to_spark`), rewriting the few functions that have no Spark
counterpart of the same meaning. The result is the same ``Bound`` the DuckDB binder returns:
a ``SqlFrames`` over Spark temporary views, and the same failure table, so the findings are
identical. No dataset passes through the driver but the subjects' ids (and a study-level
table's few rows).

What is not read natively falls back to the pandas binder, whose frames are then registered
in Spark: CSV files (Spark's CSV reader does not split, quote and number lines as the pandas
reader does; the DuckDB engine reads them natively), every file format DuckDB also leaves to
pandas, and a Parquet file Spark cannot read or whose column types pandas reads otherwise.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from trialspec.engine.binding import Bound
from trialspec.engine.duckdb.bind import Native, NotNative, fallback, native_reason
from trialspec.engine.duckdb.bind_sql import ident

log = logging.getLogger(__name__)
NATIVE_FORMATS = ("parquet",)  # CSV stays on the pandas binder on Spark

# Spark's names of the Parquet column types (DataType.simpleString) as DuckDB names them
# (engine/duckdb/bind.py PARQUET_TYPES decides which declared types read them natively)
SPARK_TYPES = {"double": "DOUBLE", "float": "FLOAT", "bigint": "BIGINT", "int": "INTEGER",
               "smallint": "SMALLINT", "tinyint": "TINYINT", "string": "VARCHAR",
               "boolean": "BOOLEAN", "date": "DATE"}
INFINITY = "CAST('Infinity' AS DOUBLE)"


def bind(protocol: Any, data_dir: Any, connection: Any) -> Bound:
    """Read, check and bind the protocol's datasets in Spark: natively when every data file is
    Parquet Spark reads as pandas would, else through the pandas binder (then registered)."""
    data_dir = Path(data_dir)
    reason = native_reason(protocol, data_dir, NATIVE_FORMATS)
    if reason is None:
        try:
            bound = SparkNative(protocol, data_dir, connection).bind()
        except NotNative as err:
            reason = str(err)
        else:
            log.debug("Spark binds natively: %d datasets", len(bound.datasets))
            return bound
    return fallback(protocol, data_dir, connection, reason, engine="Spark")


class SparkNative(Native):
    """The DuckDB native binder with its SQL run on Spark (see the module docstring)."""

    # Spark plans each branch of a UNION ALL over the whole chain of views: a file's counts as
    # one branch a check took 18 s on tables of 30 rows (its planner, not the data); one scan
    counts_in_one_scan = True

    def query(self, sql: str) -> Any:
        return self.conn.query(to_spark(sql))

    def view(self, suffix: str, sql: str) -> str:
        name = f"{self.prefix}_{suffix}"
        self.conn.create_view(name, to_spark(sql))
        return name

    def read(self, name: str, ds: Any) -> Any:
        """A file's relation, cached in Spark (spilling to disk beyond memory): the binder scans
        it several times (keys, units, the conformance checks, the bound view), and a Parquet
        file of one row group is one task for Spark, read again by every scan otherwise."""
        table = super().read(name, ds)
        self.conn.session.catalog.cacheTable(_spark_name(table.src.relation))
        return table

    def _parquet(self, path: Path) -> tuple[str, list[str], dict[str, str]]:
        from pyspark.errors import PySparkException
        from pyspark.sql import functions as F

        try:
            frame = self.conn.session.read.parquet(str(path))
            schema = frame.schema
            columns = [f.name for f in schema.fields]
            if "@file_row" in columns or "_metadata" in columns:
                raise NotNative(f"{path.name}: a column named like trialspec's own")
            # the file's own row, whatever the partitions: Spark's row index within the file
            frame = frame.select("*", (F.col("_metadata.row_index") + 1).alias("@file_row"))
            frame.schema  # noqa: B018 (resolved here: a Spark without row_index falls back)
        except PySparkException as err:  # a file Spark cannot read: the pandas binder says why
            raise NotNative(f"Spark: {str(err).splitlines()[0]}") from None
        types = {f.name: SPARK_TYPES.get(f.dataType.simpleString(), f.dataType.simpleString().upper())
                 for f in schema.fields}
        name = f"{self.prefix}_parquet_{len(self.tables)}"
        self.conn.register_frame(name, frame)
        return f"SELECT * FROM {ident(name)}", columns, types

    def _count(self, view: str, path: Path, fmt: str | None) -> int:
        """A Parquet file's rows from its footer (no Spark job: a query costs Spark tenths of a
        second however small the file)."""
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)

    def _columns(self, view: str) -> list[str]:
        return list(self.conn.session.table(_spark_name(view)).columns)

    def _materialize(self, view: str) -> str:
        """The view computed once and cached in Spark (spilling to disk beyond memory), not
        collected to the driver; dropping the view (``SparkConnection.close``) uncaches it."""
        name = f"{view}_t"
        self.conn.create_view(name, f"SELECT * FROM {_spark_name(view)}")
        self.conn.session.catalog.cacheTable(name)
        return name


def _spark_name(view: str) -> str:
    """A view name as Spark SQL quotes it (the binder's names may come quoted DuckDB's way)."""
    name = view[1:-1].replace('""', '"') if view.startswith('"') else view
    return "`" + name.replace("`", "``") + "`"


def to_spark(sql: str) -> str:
    """DuckDB SQL (as the native binder writes it) as Spark SQL of the same meaning."""
    return _to_spark(sql)


@lru_cache(maxsize=512)
def _to_spark(sql: str) -> str:
    import sqlglot
    from sqlglot import exp

    def fix(node: Any) -> Any:
        if isinstance(node, exp.RegexpFullMatch):  # Java's find() anchored at both ends (\z: no
            pattern = node.expression              # line break before the end, as RE2's full match)
            if not (isinstance(pattern, exp.Literal) and pattern.is_string):
                raise NotImplementedError(f"a regular expression that is not a literal: {node.sql()}")
            return exp.RegexpLike(this=node.this, expression=exp.Literal.string(f"^(?:{pattern.this})\\z"))
        if isinstance(node, exp.IsInf):  # (NaN is neither: NULL stays NULL)
            return exp.paren(exp.EQ(this=exp.Abs(this=node.this), expression=_infinity()))
        if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
            return exp.paren(exp.LT(this=exp.Abs(this=node.expressions[0]), expression=_infinity()))
        if isinstance(node, exp.Anonymous) and node.name.lower() == "try_strptime":
            return _day(node)
        if isinstance(node, exp.ArgMin) and node.args.get("count") is not None:  # the first k rows
            return exp.Anonymous(this="MIN_BY", expressions=[node.this, node.expression, node.args["count"]])
        if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):  # DuckDB's any_value
            return exp.Anonymous(this="ANY_VALUE", expressions=[node.this.this, exp.true()])
        return node

    tree = sqlglot.parse_one(sql, read="duckdb")
    for node in reversed(list(tree.walk(bfs=False))):  # children before their parents
        fixed = fix(node)
        if fixed is not node:
            node.replace(fixed)
    return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)


def _infinity() -> Any:
    import sqlglot

    return sqlglot.parse_one(INFINITY, read="spark")


def _day(node: Any) -> Any:
    """DuckDB's ``try_strptime(day, '%Y-%m-%d')`` as Spark's ``make_date`` of its parts: the
    binder calls it on text already matched to ``dddd-dd-dd``, and ANSI-off Spark (the
    session's setting) gives NULL for a day that does not exist, as ``try_strptime`` does."""
    import sqlglot

    text, fmt = node.expressions
    if fmt.name != "%Y-%m-%d":
        raise NotImplementedError(f"try_strptime with the format {fmt.name!r}")
    day = text.sql(dialect="spark")
    parts = [f"TRY_CAST(SUBSTRING({day}, {a}, {n}) AS INT)" for a, n in ((1, 4), (6, 2), (9, 2))]
    return sqlglot.parse_one(f"MAKE_DATE({', '.join(parts)})", read="spark")
