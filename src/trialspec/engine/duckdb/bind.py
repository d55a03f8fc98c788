"""Binding a protocol's datasets from files natively in DuckDB, so data beyond RAM works.

``bind(protocol, data_dir, connection)`` reads CSV (every column as text, cells as written)
and Parquet files with DuckDB itself, as views: no dataset is loaded into pandas. The views
apply the pandas binder's rules exactly (``engine/pandas/bind.py``): the missing-value rules,
each declared column converted to its type (``bind_sql``), per-row unit columns converted to
the declared unit, blank and duplicate keys dropped, long tables picked at a visit pivoted to
one value per subject (the latest by time). The declared conformance checks run as SQL
(``conform``), one scan per file, into the same failure table the pandas backend returns, so
the findings are identical. The result is a ``Bound`` whose frames are a ``SqlFrames``
(``engine/sql/frames.py``) over those views.

What is not read natively falls back to the pandas binder, whose frames are then registered
(``fallback``); :func:`native_reason` says why, and docs/engine.md "Reading data in DuckDB"
lists the cases. A file DuckDB does not read the way pandas does (a short or long row, a
blank line, a byte that is not UTF-8, a header that pandas would rename) also falls back, so
the answer is never a different one.
"""

from __future__ import annotations

import csv
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trialspec.check.conformance_plan import CheckIndex, conformance_checks
from trialspec.check.conformance_render import render
from trialspec.engine.binding import Bound, DatasetInfo, Failed, dataset_failure, failure_columns, sha256_file
from trialspec.engine.cells import factor_or_nan, units_factor
from trialspec.engine.declared import exact_integer_columns, named_columns
from trialspec.engine.duckdb.bind_sql import (
    Cell,
    Converted,
    Source,
    convert,
    factor_case,
    ident,
    lit,
)
from trialspec.engine.duckdb.conform import Listed, failures, listed_failure
from trialspec.engine.duckdb.text import edged, few_valued, keys_in_order
from trialspec.engine.files import DELIMITERS, csv_layout, delimiter, format_of, is_sdtm
from trialspec.engine.sql.frames import SqlFrames
from trialspec.lang.ir import LIMIT_SUFFIX, TEST_COLUMN, UNIT_SUFFIX
from trialspec.lang.types import Kind
from trialspec.protocol.model import study_level
from trialspec.text_ids import TextIds

log = logging.getLogger(__name__)
NATIVE_FORMATS = ("csv", "parquet")
MATERIALIZE_BYTES = 64 << 20  # data files up to this size in all are bound into tables, larger stay views
KINDS = {"number": Kind.NUMBER, "percent": Kind.NUMBER, "duration": Kind.NUMBER, "boolean": Kind.BOOL,
         "category": Kind.CATEGORY, "string": Kind.STRING, "date": Kind.DATE}
# the Parquet column types each declared type is read from natively (else: the pandas binder)
PARQUET_TYPES = {
    "number": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT",
               "UINTEGER", "USMALLINT", "UTINYINT", "VARCHAR"),
    "boolean": ("BOOLEAN", "VARCHAR"), "category": ("VARCHAR",), "string": ("VARCHAR",),
    "date": ("VARCHAR", "DATE"),
}
PARQUET_TYPES["percent"] = PARQUET_TYPES["duration"] = PARQUET_TYPES["number"]


ONE_SCAN_ROWS = 100_000  # fewer rows than a Parquet row group holds: nothing for the reader to skip


class NotNative(Exception):
    """The data are not read natively (the reason); the pandas binder reads them."""


def _raw(connection: Any) -> Any:
    """The DuckDB connection under an adapter (for settings and the file readers)."""
    for attr in ("con", "duckdb", "raw", "connection"):
        con = getattr(connection, attr, None)
        if con is not None and hasattr(con, "execute"):
            return con
    return connection if hasattr(connection, "execute") else None


def bind(protocol: Any, data_dir: Any, connection: Any = None) -> Bound:
    """Read, check and bind the protocol's datasets from ``data_dir`` in DuckDB: natively when
    :func:`native_reason` allows, else through the pandas binder (then registered)."""
    data_dir = Path(data_dir)
    if connection is None:  # a session on the process's database (memory-limited, spilling)
        from trialspec.engine.duckdb.connection import DuckDBConnection

        connection = DuckDBConnection()
    raw = _raw(connection)  # (every query that needs an order says so)
    if raw is not None:
        raw.execute("SET preserve_insertion_order = false")
        raw.execute("SET enable_progress_bar = false")
    reason = native_reason(protocol, data_dir)
    if reason is None:
        try:
            return Native(protocol, data_dir, connection).bind()
        except NotNative as err:
            reason = str(err)
        except Exception as err:  # a file DuckDB reads otherwise than pandas: pandas decides
            if type(err).__name__ not in ("InvalidInputException", "IOException", "ConversionException"):
                raise
            reason = f"DuckDB: {str(err).splitlines()[0]}"
    return fallback(protocol, data_dir, connection, reason)


def fallback(protocol: Any, data_dir: Path, connection: Any, reason: str, engine: str = "DuckDB") -> Bound:
    """The pandas binder's result, its frames registered as a SqlFrames (``reason``: why the
    data are not read natively, for the debug log)."""
    from trialspec.engine.pandas.bind import bind as pandas_bind

    bound = pandas_bind(protocol, data_dir)
    if bound.frames is not None:
        bound.frames = register(bound.frames, connection, bound.key or "")
    log.debug("%s binds through pandas: %s", engine, reason)
    return bound


def register(frames: Any, connection: Any, key: str) -> Any:
    """Pandas-bound frames as the SQL data context (engine/sql/from_pandas.py)."""
    from trialspec.engine.sql.from_pandas import register_subject_frames

    registered = register_subject_frames(connection, frames)
    registered.key = key
    return registered


def native_reason(protocol: Any, data_dir: Path, formats: tuple[str, ...] = NATIVE_FORMATS) -> str | None:
    """Why the protocol's data are not read natively (None: they are); ``formats``: the file
    formats the engine reads itself."""
    root = data_dir.resolve()
    for name, ds in protocol.datasets.items():
        if not ds.source:
            continue
        try:
            path = (root / ds.source).resolve()
        except (OSError, RuntimeError):
            return f"dataset '{name}': its path does not resolve"
        if not path.is_relative_to(root) or not path.is_file():
            return f"dataset '{name}': {ds.source} is not a file inside the data directory"
        fmt = format_of(path, ds.format)
        if fmt not in formats:
            return f"dataset '{name}': {fmt or 'unknown'} files are read by the pandas binder"
        from trialspec.engine.limits import refuse_reading

        if refuse_reading(path, fmt) is not None:
            return f"dataset '{name}': the pandas binder says why it is not read"
    return None


@dataclass
class Table:
    """A dataset read natively: its file relation, converted columns, and where its rows are."""

    name: str
    src: Source
    path: str  # as the user can open it
    header_lines: int
    rows: int
    key_sql: str | None = None  # the subject or key cell's trimmed text
    keep: str = "true"  # rows kept (not a blank or duplicate key)
    columns: dict[str, Converted] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # origin columns (<col>__unit, <col>__row)
    view: str | None = None  # the bound view: _i, columns
    grain_rows: bool = False
    unbound: bool = False
    bytes: int = 0  # the file's size
    ids: TextIds | None = None  # the keys in file order, when they were read (all present, unique)
    keys_read: bool = False  # the keys were read when the file was (``ids`` None: not increasing)
    parsed_whole: bool = False  # every scan parses the whole file (a CSV): few scans, not pruned ones


class Native:
    """One native binding: the datasets in the pandas binder's order, failures in its order.

    Its SQL is DuckDB's; another database subclasses it and overrides where the SQL goes
    (``query``, ``view``: the Spark binder transpiles it), how a Parquet file becomes a
    relation (``_parquet``, ``_count``), a view's column names (``_columns``) and how a view
    is computed once (``_materialize``): engine/spark/bind.py."""

    # every conformance count of a file in one scan, not one statement of a branch per check
    # (the UNION ALL lets DuckDB's Parquet reader skip row groups by each check's filter)
    counts_in_one_scan = False

    def __init__(self, protocol: Any, data_dir: Path, connection: Any):
        self.protocol, self.data_dir, self.conn = protocol, data_dir, connection
        self.plan = CheckIndex(conformance_checks(protocol))
        self.failed: list[Failed] = []
        self.tables: dict[str, Table] = {}
        self.infos: dict[str, DatasetInfo] = {}
        self.prefix = f"ts_bind_{id(self):x}"
        self.studies: dict[str, Any] = {}  # study-level tables (pandas StudyTable)
        self.read_diags: list[Any] = []  # the reader's findings (a study table's short rows)
        self.hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trialspec-sha256")
        self.digests: dict[str, Future[str]] = {}

    def query(self, sql: str) -> Any:
        return self.conn.query(sql)

    def view(self, suffix: str, sql: str) -> str:
        name = f"{self.prefix}_{suffix}"
        self.conn.create_view(name, sql)
        return name

    # -- reading -----------------------------------------------------------------------------
    def read(self, name: str, ds: Any) -> Table:
        path = (self.data_dir.resolve() / ds.source).resolve()
        fmt = format_of(path, ds.format)
        shown = str(self.data_dir / ds.source)
        if fmt == "csv":
            header, sep = _csv_header(path)
            spec = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
            relation = (f"SELECT * EXCLUDE (ordinality), ordinality AS \"@file_row\" "
                        f"FROM read_csv({lit(str(path))}, header = true, "
                        f"delim = {lit(sep)}, quote = '\"', escape = '\"', auto_detect = false, "
                        f"columns = {spec}, strict_mode = true, encoding = 'utf-8') WITH ORDINALITY")
            types = dict.fromkeys(header, "VARCHAR")
            columns, header_lines = header, 1
        else:
            relation, columns, types = self._parquet(path)
            header_lines = 0
            _parquet_types(ds, types)
        view = self.view(f"file_{len(self.tables)}", relation)
        src = Source(view, columns, types, is_sdtm(getattr(ds, "standard", None), fmt),
                     tuple(getattr(ds, "missing", ()) or ()))
        # the row count, and which text columns need trimming, in one scan: a column none of
        # whose cells has whitespace at an edge is read without trimming in every later query
        named = named_columns(ds)
        text = [c for c in columns if src.is_text(c) and c in named]
        # a column of few values (a category, a unit column) is judged by its distinct values,
        # which costs a tenth of looking at each cell's edges; others by the scan (a CSV's
        # every column: each query of a CSV parses the whole file again, 0.5 s a million rows)
        few = {c: self._distinct(view, c) for c in text if c in few_valued(ds) and fmt != "csv"}
        clean = {c for c, values in few.items() if values is not None and not any(map(edged, values))}
        scan = [c for c in text if few.get(c) is None]
        # the key column of a Parquet file is read once, in file order, here: its edges are
        # judged as it streams (instead of in the scan below) and, when its keys need no
        # trimming, are present and increasing, they are the subjects' ids (_increasing_keys)
        n, ids, keys_read = None, None, False
        key = getattr(ds, "key", None)
        if fmt != "csv" and not src.tokens and isinstance(key, str) and key in scan and _raw(self.conn):
            n = self._count(view, path, fmt)
            ids, edges = self._keys_in_order(ident(key), view, n, edges=True)
            if edges is not None:
                scan.remove(key)
                if not edges:
                    clean.add(key)
                    keys_read = True
                else:
                    ids = None
        if scan:
            found = self.query("SELECT " + ", ".join(["count(*) AS n", *(
                f"{src.edges_sql(c)} AS e{j}" for j, c in enumerate(scan))]) + f" FROM {view}").to_pylist()[0]
            n = int(found["n"])
            clean |= {c for j, c in enumerate(scan) if not found[f"e{j}"]}
        elif n is None:
            n = self._count(view, path, fmt)
        src.untrimmed = frozenset(clean)
        layout = csv_layout(path, n, sep) if fmt == "csv" else None  # (lines would shift, or cells)
        if layout is not None:
            raise NotNative(f"dataset '{name}': {ds.source} has {layout}")
        cells = src.cell_columns()
        if cells:
            src.relation = self.view(f"cells_{len(self.tables)}", f"SELECT *, {', '.join(cells)} FROM {view}")
            src.cells = True
        # the file's hash in a thread while DuckDB reads it (hashlib lets go of the GIL)
        digest = self.hashing.submit(sha256_file, path)
        self.infos[name] = DatasetInfo(name, str(Path(ds.source)), "", n)
        self.digests[name] = digest
        return Table(name, src, shown, header_lines, n, bytes=path.stat().st_size, ids=ids,
                     keys_read=keys_read, parsed_whole=fmt == "csv")

    def _distinct(self, view: str, column: str, most: int = 1000) -> list[str] | None:
        """The distinct cells of a text column, None when there are more than ``most``."""
        got = self.query(f"SELECT DISTINCT {ident(column)} AS v FROM {view} LIMIT {most + 1}").column("v")
        return None if len(got) > most else [v for v in got.to_pylist() if v is not None]

    def _parquet(self, path: Path) -> tuple[str, list[str], dict[str, str]]:
        """A Parquet file as a relation with its 1-based row (``@file_row``), its columns in
        file order, and their types named as DuckDB names them."""
        relation = (f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS \"@file_row\" "
                    f"FROM read_parquet({lit(str(path))}, file_row_number = true)")
        described = self.query(f"DESCRIBE SELECT * FROM read_parquet({lit(str(path))})").to_pylist()
        columns = [d["column_name"] for d in described]
        return relation, columns, {d["column_name"]: d["column_type"] for d in described}

    def _count(self, view: str, path: Path, fmt: str | None) -> int:
        """The number of data rows of a file's relation."""
        return int(self.query(f"SELECT count(*) AS n FROM {view}").to_pylist()[0]["n"])

    def _columns(self, view: str) -> list[str]:
        """The column names of ``view``."""
        return self.query(f"DESCRIBE SELECT * FROM {view}").column("column_name").to_pylist()

    def _study(self, name: str, ds: Any) -> None:
        """A study-level table (``level: study``): read and checked as the pandas binder does,
        with its rows kept for ``study_rows``."""
        from trialspec.engine.limits import short_rows
        from trialspec.engine.pandas.bind import ROW_COLUMN, _wide
        from trialspec.engine.pandas.conform import Where
        from trialspec.engine.pandas.frames import StudyTable
        from trialspec.engine.pandas.missing import mark_missing
        from trialspec.engine.pandas.read import RECORD_LINES, read_table

        path = (self.data_dir.resolve() / ds.source).resolve()
        fmt = format_of(path, ds.format) or ""
        shown = str(self.data_dir / ds.source)
        try:
            df = read_table(path, fmt, exact_integer_columns(ds))
        except ValueError as err:
            raise NotNative(f"dataset '{name}': {err}") from err
        if fmt == "csv":
            self.read_diags += short_rows(path, shown, name, delimiter(path))
        self.infos[name] = DatasetInfo(name, str(Path(ds.source)), sha256_file(path), len(df))
        df = mark_missing(df, is_sdtm(getattr(ds, "standard", None), fmt), getattr(ds, "missing", ()))
        where = Where(name, shown, None, int(fmt == "csv"), lines=df.attrs.get(RECORD_LINES),
                      checks=self.plan)
        where.noun = "study"
        if not len(df):
            self.failed += dataset_failure(self.plan.cell(name, "", "rows"), shown)
        table, found, _ = _wide(ds, df, where, ds.key, ds.key)
        self.failed += found
        if table is not None:
            text = df.iloc[table[ROW_COLUMN].to_numpy() - 1].reset_index(drop=True)
            self.studies[name] = StudyTable(table, text, where)

    # -- binding -----------------------------------------------------------------------------
    def bind(self) -> Bound:
        try:
            bound = self._bind()
        except BaseException:  # (a binding given up for the pandas binder's hashes no more files)
            self.hashing.shutdown(wait=False, cancel_futures=True)
            raise
        self.hashing.shutdown(wait=False)  # (the files not yet hashed still are: ``Bound.digests``)
        return bound

    def _bind(self) -> Bound:
        protocol = self.protocol
        keyed = [n for n, ds in protocol.datasets.items() if ds.key and not study_level(ds)]
        if not keyed:
            raise NotNative("no subject table")
        population = keyed[0]
        key = protocol.datasets[population].key
        known_after: list[Table] = []
        for name in [population, *(n for n in protocol.datasets if n != population)]:
            ds = protocol.datasets[name]
            if not ds.source:
                continue
            if study_level(ds):  # one row per study: a few rows, read by the pandas binder's code
                self._study(name, ds)
                continue
            table = self.read(name, ds)
            self.tables[name] = table
            if not table.rows:
                self.failed += dataset_failure(self.plan.cell(name, "", "rows"), table.path)
            if ds.long is not None and ds.pick is None:
                self._long_rows(ds, table, key)
                if not table.unbound:
                    known_after.append(table)
            elif ds.long is not None:
                self._long(ds, table, self.tables.get(population))
            else:
                self._wide(ds, table, ds.key or ds.subject, name == population)
                if not table.unbound and name != population:
                    known_after.append(table)
        pop = self.tables.get(population)
        bound_ok = pop is not None and not any(t.unbound for t in self.tables.values())
        if bound_ok:
            assert pop is not None
            for table in known_after:
                ds = protocol.datasets[table.name]
                column = ds.long.subject if ds.long is not None else ds.key or ds.subject
                cell = Cell("subject_known", column, table.src.index(column),
                            f"({table.key_sql} IS NULL OR {table.key_sql} NOT IN "
                            f"(SELECT _key FROM {pop.view}))", table.key_sql or "NULL")
                self._cells(table, [Listed(table.name, cell, "NULL", table.src.row)])
        diags = [*self.read_diags, *render(failure_columns(self.failed), self.plan.checks)]
        frames = self._frames(population, key) if bound_ok else None
        infos = [self.infos[n] for n in protocol.datasets if n in self.infos]
        return Bound(frames, diags, infos, key, self.failed, dict(self.digests))

    def _cells(self, table: Table, listed: list[Listed | list[Failed]], relation: str | None = None) -> None:
        """Append, in order, the failures of ``listed`` (cell checks, or failures already known)."""
        cells = [x for x in listed if isinstance(x, Listed)]
        # one scan for a file read whole by every scan (a CSV), or too small to have row groups
        # to skip: a UNION ALL of a branch per check costs DuckDB more to plan than to run (the
        # CDISC pilot's DM, 306 rows and 69 columns: 0.6 s planning of 0.8 s)
        one_scan = table.parsed_whole or self.counts_in_one_scan or table.rows < ONE_SCAN_ROWS
        found = failures(self.query, relation or table.src.relation, table.src.row, table.header_lines,
                         table.path, self.plan, cells, one_scan=one_scan)
        k = 0
        for x in listed:
            if isinstance(x, Listed):
                self.failed += found[k]
                k += 1
            else:
                self.failed += x

    def _required(self, table: Table, ds: Any, name: str, want: str) -> list[Failed]:
        if table.src.has(name):
            return []
        return dataset_failure(self.plan.required(ds.name, want, name), table.path, tuple(table.src.columns))

    def _units(self, table: Table, unit_column: str, col: Any) -> tuple[str, str]:
        src = table.src
        texts = self.query(f"SELECT DISTINCT {src.text(unit_column)} AS u FROM {src.relation}").column("u")
        resolve = units_factor(col.unit, col.analyte)
        factors = {u: factor_or_nan(resolve, u) for u in texts.to_pylist() if u}
        return (f"CAST({src.raw(unit_column)} AS VARCHAR)", factor_case(src.text(unit_column), factors))

    def _limits(self, table: Table, src: Source, ds: Any, col: Any, units: tuple[str, str] | None,
                ) -> dict[str, tuple[Converted, list[Cell | list[Failed]]]]:
        """A normal range's limits (``x@lln``, ``x@uln``) read like the value, in its unit, and
        the range check (engine/pandas/bind_rows.py ``read_limits``)."""
        rng = getattr(col, "range", None)
        if rng is None:
            return {}
        out: dict[str, tuple[Converted, list[Cell | list[Failed]]]] = {}
        for fn, source in (("lln", rng.low), ("uln", rng.high)):
            if source is None:
                continue
            name = f"{col.name}{LIMIT_SUFFIX[fn]}"
            missing = self._required(table, ds, source, f"{col.name}.range")
            if missing:
                out[name] = (Converted("CAST(NULL AS DOUBLE)", [], "DOUBLE"), [missing])
                continue
            limit = convert(src, source, replace(col, name=name, unit_column=None), name, units)
            out[name] = (limit, list(limit.checks))
        lo, hi = out.get(f"{col.name}@lln"), out.get(f"{col.name}@uln")
        if lo is not None and hi is not None:
            crossed = f"({lo[0].value} > {hi[0].value})"
            hi[1].append(Cell("range", col.name, src.index(rng.high), crossed, hi[0].value))
        return out

    def _wide(self, ds: Any, table: Table, id_col: str | None, population: bool) -> None:
        src = table.src
        listed: list[Listed | list[Failed]] = []
        subject = "NULL"
        if id_col:
            missing = self._required(table, ds, id_col, id_col)
            if missing:
                self.failed += missing
                table.unbound = True
                return
            table.key_sql = k = src.text(id_col)
            subject = f"(CASE WHEN {k} <> '' THEN {k} END)"
            ci = src.index(id_col)
            if ds.key:
                blank = Cell("key_present", id_col, ci, f"({k} IS NULL OR {k} = '')", k)
                listed.append(Listed(ds.name, blank, subject, src.row))
                listed.append(self._duplicates(ds, table, id_col, ci))
                if not population:
                    table.ids = None  # (only the population's keys are the subjects' ids)
        for cname, col in ds.columns.items():
            if cname == id_col:
                continue
            source = col.source or cname
            if not getattr(col, "collected", True) and not src.has(source):
                table.columns[cname] = _null(col)
                continue
            missing = self._required(table, ds, source, cname)
            if missing:
                listed.append(missing)
                table.columns[cname] = _null(col)
                continue
            units = None
            if col.unit_column:
                missing = self._required(table, ds, col.unit_column, cname)
                if missing:
                    listed.append(missing)
                    table.columns[cname] = _null(col)
                    continue
                if col.unit:
                    units = self._units(table, col.unit_column, col)
                table.extra[f"{cname}__unit"] = f"CAST({src.raw(col.unit_column)} AS VARCHAR)"
            converted = convert(src, source, col, cname, units)
            table.columns[cname] = converted
            listed += [Listed(ds.name, c, subject, src.row) for c in converted.checks]
            for lname, (limit, checks) in self._limits(table, src, ds, col, units).items():
                table.columns[lname] = limit
                listed += [x if isinstance(x, list) else Listed(ds.name, x, subject, src.row) for x in checks]
        self._cells(table, listed)
        if ds.key:
            self._keep(table)
        self._wide_view(table, ds, population)

    def _duplicates(self, ds: Any, table: Table, id_col: str, ci: int) -> list[Failed]:
        """key_unique: a present key on an earlier row; the first is kept (a view of the later ones)."""
        src, k = table.src, table.key_sql
        assert k is not None
        # most keys are unique, and most files hold them sorted: the keys read in file order
        # (kept as the subject ids when the table is the population), or else one distinct
        # count of their hashes (equal hashes for equal keys: all distinct means unique), say so
        # without the window
        if self._increasing_keys(table):
            return []
        counted = self.query(f"SELECT count(*) AS n, count(DISTINCT hash({k})) AS d FROM {src.relation} "
                             f"WHERE {k} <> ''").to_pylist()[0]
        if counted["n"] == counted["d"]:
            return []
        dups = self.view(f"dups_{table.name}", (
            f"SELECT r FROM (SELECT {src.row} AS r, "
            f"row_number() OVER (PARTITION BY {k} ORDER BY {src.row}) AS n "
            f"FROM {src.relation} WHERE {k} <> '' AND {k} IN (SELECT {k} FROM {src.relation} WHERE {k} <> '' "
            f"GROUP BY {k} HAVING count(*) > 1)) WHERE n > 1"))
        found = self.query(f"SELECT count(*) AS n FROM {dups}").to_pylist()[0]["n"]
        if not found:
            return []
        table.keep = f"{src.row} NOT IN (SELECT r FROM {dups})"
        shown = self.query(f"SELECT {src.row} AS r, {k} AS v, {k} AS s FROM {src.relation} "
                           f"WHERE {src.row} IN (SELECT r FROM {dups}) ORDER BY r LIMIT 6").to_pylist()
        return listed_failure(self.plan.cell(ds.name, id_col, "key_unique"), table.path, table.header_lines,
                              ci, shown, int(found))

    def _increasing_keys(self, table: Table) -> bool:
        """Whether every row's key is present and greater than the one before it, in file
        order (so unique); the keys are then kept (``table.ids``) as the Arrow text read, once,
        batch by batch. Only the session's own DuckDB connection streams in file order."""
        if not table.keys_read:
            assert table.key_sql is not None
            table.ids = self._keys_in_order(table.key_sql, table.src.relation, table.rows)[0]
        return table.ids is not None

    def _keys_in_order(self, key: str, relation: str, n: int, edges: bool = False
                       ) -> tuple[TextIds | None, bool | None]:
        """``text.keys_in_order`` of the SQL ``key`` over ``relation`` (``n`` rows), streamed
        in file order; (None, None) when the session is not DuckDB's own."""
        raw = _raw(self.conn)
        if raw is None or not n:
            return None, None
        raw.execute("SET preserve_insertion_order = true")  # a scan then returns file order
        result: Any = None
        try:
            result = raw.sql(f"SELECT {key} AS k FROM {relation}").arrow()
            return keys_in_order(result if hasattr(result, "read_next_batch") else result.to_batches(),
                                 n, edges)
        finally:
            if hasattr(result, "close"):
                result.close()  # (DuckDB starts no query while a result is open)
            raw.execute("SET preserve_insertion_order = false")

    def _keep(self, table: Table) -> None:
        k = table.key_sql
        table.keep = f"({k} IS NOT NULL AND {k} <> '' AND {table.keep})"

    def _select(self, table: Table) -> list[str]:
        out = []
        for cname, conv in table.columns.items():
            if conv.lo is not None:
                out.append(f"{_days(conv.lo)} AS {ident(cname)}")
                out.append(f"{_days(conv.hi)} AS {ident(cname + '__hi')}")
                out.append(f"{conv.value} AS {ident(cname + '__text')}")  # the day as text, read as a string
            else:
                out.append(f"CAST({conv.value} AS {conv.sql_type}) AS {ident(cname)}")
        out += [f"{sql} AS {ident(name)}" for name, sql in table.extra.items()]
        return out

    def _wide_view(self, table: Table, ds: Any, population: bool) -> None:
        src = table.src
        cols = ", ".join(self._select(table))
        cols = f", {cols}" if cols else ""
        base = f"SELECT {table.key_sql} AS _key, {src.row} AS _row{cols} FROM {src.relation}"
        if population:
            if table.keep == "true" or "NOT IN" not in table.keep and not self._dropped(ds.name):
                table.view = self.view(f"ds_{ds.name}", f"SELECT _row - 1 AS _i, * FROM ({base})")
            else:
                table.view = self.view(f"ds_{ds.name}", (
                    f"SELECT row_number() OVER (ORDER BY _row) - 1 AS _i, * "
                    f"FROM ({base} WHERE {table.keep})"))
            return
        pop = self.tables[self._population()].view
        where = f" WHERE {table.keep}" if table.keep != "true" else ""
        table.grain_rows = not ds.key
        joined = f"SELECT p._i, t.* FROM ({base}{where}) t JOIN {pop} p ON t._key = p._key"
        if table.grain_rows:  # _r: 0..m-1 over the rows kept, in file order; _line: the row's file line
            joined = (f"SELECT row_number() OVER (ORDER BY _row) - 1 AS _r, "
                      f"_row + {table.header_lines} AS _line, * FROM ({joined})")
        table.view = self.view(f"ds_{ds.name}", joined)

    def _dropped(self, dataset: str) -> bool:
        """Whether rows of ``dataset`` have no key (its key_present check failed)."""
        return any(f.check.dataset == dataset and f.check.kind == "key_present" for f in self.failed)

    def _population(self) -> str:
        return next(iter(self.tables))

    # -- long tables kept row by row (no pick) -----------------------------------------------------
    def _long_rows(self, ds: Any, table: Table, key: str) -> None:
        """One row per file row: the test code (``@test``), each test's value on the rows of that
        test (missing on the others), each column with ``source:`` and no ``test:`` on every row
        (engine/pandas/bind_rows.py ``long_rows``)."""
        from trialspec.engine.pandas.bind_rows import row_column

        lay, src = ds.long, table.src
        for c in (lay.subject, lay.test, lay.value):
            if not src.has(c):  # (the pandas binder has no finding for these)
                raise NotNative(f"dataset '{ds.name}': no column {c!r}")
        table.key_sql = subj = src.text(lay.subject)
        test = src.text(lay.test)
        subject = f"(CASE WHEN {subj} <> '' THEN {subj} END)"
        listed: list[Listed | list[Failed]] = []
        for cname, col in ds.columns.items():
            if cname == key:
                continue
            if row_column(col):
                missing = self._required(table, ds, col.source, cname)
                if missing:
                    listed.append(missing)
                    table.columns[cname] = _null(col)
                    continue
                converted = convert(src, col.source, col, cname)
                table.columns[cname] = converted
                listed += [Listed(ds.name, c, subject, src.row) for c in converted.checks]
                continue
            rows = f"coalesce({test} = {lit(col.test or cname)}, false)"
            units = self._units(table, lay.unit, col) if lay.unit and col.unit else None
            converted = convert(src, lay.value, col, cname, units)
            listed += [Listed(ds.name, Cell(c.kind, c.column, c.position, f"({rows} AND {c.bad})", c.value),
                              subject, src.row) for c in converted.checks]
            table.columns[cname] = _on_rows(converted, rows)
            for lname, (limit, checks) in self._limits(table, src, ds, col, units).items():
                listed += [x if isinstance(x, list) else Listed(ds.name, Cell(
                    x.kind, x.column, x.position, f"({rows} AND {x.bad})", x.value), subject, src.row)
                    for x in checks]
                table.columns[lname] = _on_rows(limit, rows)
        self._cells(table, listed)
        table.extra[TEST_COLUMN] = test
        self._wide_view(table, ds, False)

    # -- long tables picked at a visit ----------------------------------------------------------
    def _long(self, ds: Any, table: Table, population: Table | None) -> None:
        lay = ds.long
        src = table.src
        roles = {"subject": lay.subject, "test": lay.test, "value": lay.value, "unit": lay.unit,
                 "time": lay.time, "visit": lay.visit}
        absent = False
        for role, c in roles.items():
            if c:
                missing = self._required(table, ds, c, f"long.{role}")
                self.failed += missing
                absent |= bool(missing)
        if absent:
            table.unbound = True
            return
        subj, test = src.text(lay.subject), src.text(lay.test)
        keep = "true"
        if ds.pick.visit and lay.visit:
            keep = f"coalesce({src.text(lay.visit)} = {lit(ds.pick.visit)}, false)"
        known = f"({subj} IS NOT NULL)"  # (no population bound: every subject is its own)
        if population is not None and population.view is not None:
            known = f"coalesce({subj} IN (SELECT _key FROM {population.view}), false)"
            cell = Cell("subject_known", lay.subject, src.index(lay.subject), f"NOT {known}", subj)
            self._cells(table, [Listed(ds.name, cell, "NULL", src.row)])
        tkey = f"coalesce(CAST({src.raw(lay.time)} AS VARCHAR), '')" if lay.time else "''"
        order = f"{{'t': {tkey}, 'r': {src.row}}}"
        # every row with its subject known, and each (subject, test)'s rank: 1 the kept result
        ranked = self.view(f"ranked_{ds.name}", (
            f"SELECT *, {known} AS \"@known\", {keep} AS \"@keep\", {test} AS \"@test\", "
            f"{subj} AS \"@subject\", CASE WHEN {keep} AND {known} THEN row_number() OVER "
            f"(PARTITION BY {subj}, {test}, {keep} AND {known} "
            f"ORDER BY {tkey} DESC, {src.row} DESC) END AS \"@rank\" FROM {src.relation}"))
        if table.bytes <= MATERIALIZE_BYTES:  # the ranking computed once, not per query
            ranked = self._materialize(ranked)
        present = self.query(f"SELECT \"@test\" AS t, bool_or(\"@keep\") AS v FROM {ranked} "
                             "WHERE \"@test\" IS NOT NULL AND \"@test\" <> '' GROUP BY 1").to_pylist()
        codes = tuple(sorted(str(p["t"]) for p in present))
        at_visit = {str(p["t"]) for p in present if p["v"]} if keep != "true" else None
        for cname, col in ds.columns.items():
            if not col.test or not getattr(col, "collected", True):
                continue
            if col.test not in codes:
                self.failed += dataset_failure(self.plan.cell(ds.name, cname, "test_present"), table.path,
                                               codes)
            elif at_visit is not None and col.test not in at_visit:
                self.failed += dataset_failure(self.plan.cell(ds.name, cname, "test_at_visit"), table.path)
        rsrc = Source(ranked, src.columns, src.types, src.blank, src.tokens, src.row, cells=src.cells,
                      untrimmed=src.untrimmed)
        listed: list[Listed | list[Failed]] = []
        pivot: list[str] = []
        for cname, col in ds.columns.items():
            if not col.test:
                continue
            source = col.source or lay.value
            missing = self._required(table, ds, source, cname)
            if missing:
                listed.append(missing)
                table.columns[cname] = _null(col)
                continue
            rows = f"(\"@keep\" AND \"@test\" = {lit(col.test)})"
            subject = f"(CASE WHEN {rows} AND \"@subject\" <> '' THEN \"@subject\" END)"
            repeated = Cell("repeated", cname, src.index(source),
                            f"({rows} AND \"@known\" AND \"@rank\" > 1)", rsrc.raw(source))
            listed.append(Listed(ds.name, repeated, subject, order))
            units = self._units(table, lay.unit, col) if lay.unit and col.unit else None
            converted = convert(rsrc, source, col, cname, units)
            for c in converted.checks:
                on_rows = Cell(c.kind, c.column, c.position, f"({rows} AND {c.bad})", c.value)
                listed.append(Listed(ds.name, on_rows, subject, order))
            kept = f"{rows} AND \"@rank\" = 1"
            for lname, (limit, checks) in self._limits(table, rsrc, ds, col, units).items():
                listed += [x if isinstance(x, list) else Listed(ds.name, Cell(
                    x.kind, x.column, x.position, f"({rows} AND {x.bad})", x.value), subject, order)
                    for x in checks]
                table.columns[lname] = Converted(lname, [], "DOUBLE")
                pivot.append(f"any_value({limit.value}) FILTER (WHERE {kept}) AS {ident(lname)}")
            table.columns[cname] = Converted(cname, [], converted.sql_type,
                                             cname if converted.lo is not None else None,
                                             f"{cname}__hi" if converted.lo is not None else None)
            if converted.lo is not None:
                pivot.append(f"any_value({_days(converted.lo)}) FILTER (WHERE {kept}) AS {ident(cname)}")
                pivot.append(f"any_value({_days(converted.hi)}) FILTER (WHERE {kept}) "
                             f"AS {ident(cname + '__hi')}")
                pivot.append(f"any_value({converted.value}) FILTER (WHERE {kept}) "
                             f"AS {ident(cname + '__text')}")
            else:
                pivot.append(f"any_value(CAST({converted.value} AS {converted.sql_type})) "
                             f"FILTER (WHERE {kept}) AS {ident(cname)}")
            pivot.append(f"any_value({src.row}) FILTER (WHERE {kept}) AS {ident(cname + '__row')}")
            if units is not None:
                pivot.append(f"any_value({units[0]}) FILTER (WHERE {kept}) AS {ident(cname + '__unit')}")
        self._cells(table, listed, ranked)
        if population is None or population.view is None:
            table.unbound = True  # (the pandas binder then binds no frames either)
            return
        body = ", ".join(pivot)
        body = f", {body}" if body else ""
        table.view = self.view(f"ds_{ds.name}", (
            f"SELECT p._i{body} FROM {ranked} t JOIN {population.view} p ON t.\"@subject\" = p._key "
            f"WHERE t.\"@keep\" GROUP BY p._i"))

    def _subject_ids(self, view: str) -> TextIds:
        """The population's ids in subject order (``_key``: present text), held as the Arrow text
        read (``TextIds``: numpy text only if something asks for it)."""
        return TextIds(self.query(f"SELECT _key FROM {view} ORDER BY _i").column("_key"))

    def _materialize(self, view: str) -> str:
        name = f"{view}_t"
        self.conn.register(name, self.query(f"SELECT * FROM {view}"))
        return name

    # -- the data context ------------------------------------------------------------------------
    def _frames(self, population: str, key: str) -> Any:
        from trialspec.engine.sql.frames import SqlColumn, SqlDataset

        pop = self.tables[population]
        assert pop.view is not None
        small = sum(t.bytes for t in self.tables.values()) <= MATERIALIZE_BYTES
        if small:
            pop.view = self._materialize(pop.view)
        # keys read in file order, all present and increasing: no row dropped, so they are the ids
        subjects = pop.ids if pop.ids is not None else self._subject_ids(pop.view)
        datasets = {}
        for name, table in self.tables.items():
            if table.view is None:
                continue
            if small and name != population:  # each view computed once: queries read a table
                table.view = self._materialize(table.view)
            columns = {}
            for cname, conv in table.columns.items():
                declared = self.protocol.datasets[name].columns.get(cname)
                kind = KINDS.get(declared.type, Kind.STRING) if declared is not None else Kind.NUMBER
                hi = f"{cname}__hi" if conv.lo is not None else None
                columns[(cname, kind)] = SqlColumn(kind, cname, hi)
                if kind in (Kind.STRING, Kind.CATEGORY):  # text read either way
                    other = Kind.CATEGORY if kind is Kind.STRING else Kind.STRING
                    columns[(cname, other)] = SqlColumn(other, cname)
                if hi is not None:  # a date read as text: the day as the pandas binder keeps it
                    for text in (Kind.STRING, Kind.CATEGORY):
                        columns[(cname, text)] = SqlColumn(text, f"{cname}__text")
            names = self._columns(table.view)
            for unit in (n for n in names if n.endswith("__unit")):  # a value's unit as written
                for text in (Kind.STRING, Kind.CATEGORY):
                    columns[(unit.removesuffix("__unit") + UNIT_SUFFIX, text)] = SqlColumn(text, unit)
            if TEST_COLUMN in table.extra:
                columns[(TEST_COLUMN, Kind.STRING)] = SqlColumn(Kind.STRING, TEST_COLUMN)
                columns[(TEST_COLUMN, Kind.CATEGORY)] = SqlColumn(Kind.CATEGORY, TEST_COLUMN)
            if name == population:
                columns[(key, Kind.STRING)] = SqlColumn(Kind.STRING, "_key")
                columns[(key, Kind.CATEGORY)] = SqlColumn(Kind.CATEGORY, "_key")
            datasets[name] = SqlDataset(name, table.view, table.grain_rows, columns)
        frames = SqlFrames(self.conn, subjects, key, pop.view, datasets,
                           paths={n: t.path for n, t in self.tables.items()})
        for name, study in self.studies.items():
            frames.paths[name] = study.where.path
        if self.studies:
            import pandas as pd

            from trialspec.engine.pandas import BACKEND as PANDAS
            from trialspec.engine.pandas.frames import SubjectFrames

            held = SubjectFrames(pd.Index([], dtype=object))
            held.studies = self.studies
            frames.study_rows = {name: PANDAS.study_rows(held, name) or [] for name in self.studies}
        return frames


def _on_rows(converted: Converted, rows: str) -> Converted:
    """A converted column kept on ``rows`` only (missing on the other rows)."""
    def only(sql: str | None) -> str | None:
        return None if sql is None else f"(CASE WHEN {rows} THEN {sql} END)"

    return Converted(only(converted.value) or "NULL", [], converted.sql_type, only(converted.lo),
                     only(converted.hi))


def _days(date: str | None) -> str:
    """A DATE as days since 1970-01-01 (the SqlFrames layout of a date bound)."""
    return f"date_diff('day', DATE '1970-01-01', {date})"


def _null(col: Any) -> Converted:
    sql_type = {"number": "DOUBLE", "percent": "DOUBLE", "duration": "DOUBLE", "boolean": "BOOLEAN"}.get(
        col.type, "VARCHAR")
    if col.type == "date":
        return Converted("NULL", [], "VARCHAR", "CAST(NULL AS DATE)", "CAST(NULL AS DATE)")
    return Converted("NULL", [], sql_type)


def _csv_header(path: Path) -> tuple[list[str], str]:
    """The header's column names and the delimiter, as the pandas reader takes them; a header
    pandas would rename (an empty or repeated name) is not read natively."""
    sep = delimiter(path)
    if sep not in DELIMITERS:
        raise NotNative("an unknown delimiter")
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for record in csv.reader(f, delimiter=sep):
                if record and any(c.strip(" \t\r") for c in record):
                    break
            else:
                raise NotNative(f"{path.name} has no header line")
    except (UnicodeDecodeError, csv.Error) as err:
        raise NotNative(f"{path.name}: {err}") from err
    if any(not c for c in record) or len(set(record)) != len(record):
        raise NotNative(f"{path.name}: a header name that is empty or repeated")
    return record, sep


def _parquet_types(ds: Any, types: dict[str, str]) -> None:
    """Refuse (NotNative) a Parquet column whose type the pandas binder reads otherwise."""
    layout = ds.long
    for cname, col in ds.columns.items():
        source = col.source or (layout.value if layout is not None and col.test else cname)
        kind = types.get(source)
        if kind is not None and kind not in PARQUET_TYPES.get(col.type, ("VARCHAR",)):
            raise NotNative(f"dataset '{ds.name}': Parquet column {source!r} is {kind}, declared {col.type}")
    for c in (ds.key, ds.subject, *(col.unit_column for col in ds.columns.values())):
        if c and types.get(c, "VARCHAR") != "VARCHAR":  # (a key's text is the pandas binder's: read_table)
            raise NotNative(f"dataset '{ds.name}': Parquet column {c!r} is {types[c]}, read as text")
    if layout is not None:
        for c in (layout.subject, layout.test, layout.unit, layout.time, layout.visit):
            if c and types.get(c, "VARCHAR") != "VARCHAR":
                raise NotNative(f"dataset '{ds.name}': Parquet column {c!r} is {types[c]}, read as text")


