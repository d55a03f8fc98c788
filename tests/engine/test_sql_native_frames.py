"""The SqlFrames layout contract (engine/sql/frames.py) on views a native binder would create:
no pandas source, subjects absent from a subject table, a partial date as ``<col>``/``<col>__hi``
day numbers, a row table with ``_r``, ``_row``, ``_line``. The SQL backend evaluates, batches
rows and tells origins from the views alone, with the same values as the pandas engine on the
same data given as DataFrames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from trialspec.engine import get_backend
from trialspec.engine.duckdb import DuckDBConnection
from trialspec.engine.sql.frames import SqlColumn, SqlDataset, SqlFrames
from trialspec.lang import ir
from trialspec.lang.types import BOOL, DATE, NUMBER, STRING, Kind, Type
from trialspec.values import to_python

DAY = dt.date(1970, 1, 1)


def days(text: str) -> int:
    return (dt.date.fromisoformat(text) - DAY).days


def native() -> SqlFrames:
    conn = DuckDBConnection()
    conn.register("subj", pa.table({"_i": np.arange(3, dtype=np.int64)}))
    conn.register("s", pa.table({
        "_i": [0, 2], "age": [70.0, None], "dx": [days("2014-06-01"), days("2014-06-15")],
        "dx__hi": [days("2014-06-30"), days("2014-06-15")], "_row": [1, 3],
        "age__unit": ["years", None]}))
    conn.register("r", pa.table({
        "_i": pa.array([0, 0, 2], pa.int64()), "_r": pa.array([0, 1, 2], pa.int64()),
        "g": [3.0, 1.0, None], "term": ["rash", None, "nausea"],
        "d": [days("2014-07-02"), days("2014-07-01"), None],
        "_row": [2, 3, 5], "_line": [3, 4, 6]}))
    s = SqlDataset("s", "s", False, {("age", Kind.NUMBER): SqlColumn(Kind.NUMBER, "age"),
                                     ("dx", Kind.DATE): SqlColumn(Kind.DATE, "dx", "dx__hi")})
    r = SqlDataset("r", "r", True, {("g", Kind.NUMBER): SqlColumn(Kind.NUMBER, "g"),
                                    ("term", Kind.STRING): SqlColumn(Kind.STRING, "term"),
                                    ("d", Kind.DATE): SqlColumn(Kind.DATE, "d")})
    return SqlFrames(conn, np.array(["A", "B", "C"], dtype=object), "id", "subj",
                     {"s": s, "r": r}, paths={"r": "r.csv"})


def pandas_frames() -> dict[str, object]:
    subjects = pd.DataFrame({"id": ["A", "B", "C"]})
    s = pd.DataFrame({"id": ["A", "C"], "age": [70.0, np.nan], "dx": ["2014-06", "2014-06-15"]})
    r = pd.DataFrame({"id": ["A", "A", "C"], "g": [3.0, 1.0, np.nan], "term": ["rash", None, "nausea"],
                      "d": ["2014-07-02", "2014-07-01", None]})
    return {"subjects": subjects, "key": "id", "subject_tables": {"subjects": subjects, "s": s},
            "row_tables": {"r": (r, "id")}}


AGE = ir.Col("s", "age", NUMBER)
DX = ir.Col("s", "dx", DATE)
G = ir.Col("r", "g", NUMBER)
TERM = ir.Col("r", "term", STRING)
D = ir.Col("r", "d", DATE)
NODES = [
    ir.Cmp(">=", AGE, ir.Const(18.0, NUMBER)),
    ir.Cmp("<=", DX, ir.Const("2014-06-20", DATE)),
    ir.Aggregate("count", "r", None, ir.Cmp(">=", G, ir.Const(2.0, NUMBER)), NUMBER),
    ir.Aggregate("any", "r", None, ir.Match("contains", TERM, "RASH", ignore_case=True), BOOL),
    ir.Aggregate("max", "r", D, None, DATE),
    ir.Aggregate("sum", "r", ir.Series("previous", "r", (G,), NUMBER, order_by=D), None, NUMBER),
]


def test_a_native_context_gives_the_pandas_values() -> None:
    sql, pandas = get_backend("duckdb"), get_backend("pandas")
    frames, pf = native(), pandas.frames_from_pandas(**pandas_frames())
    for node in NODES:
        got, want = sql.evaluate(node, frames), pandas.evaluate(node, pf)
        assert [to_python(got, i) for i in range(3)] == [to_python(want, i) for i in range(3)], node
    assert [to_python(sql.evaluate(NODES[1], frames), i) for i in range(3)] == [None, None, True]


def test_row_batches_and_origins_read_the_views() -> None:
    sql = get_backend("duckdb")
    frames = native()
    batches = list(sql.row_batches(frames, "r", {"g": G, "age": AGE}, [D], batch_subjects=2))
    assert [b.subjects.tolist() for b in batches] == [[0, 1], [2]]
    first = batches[0]
    assert first.subject.tolist() == [0, 0] and first.row.tolist() == [3, 2]  # 2014-07-01 first
    assert first.line.tolist() == [4, 3] and first.path == "r.csv"
    assert [to_python(first.values["g"], i) for i in range(2)] == [1.0, 3.0]
    assert [to_python(first.values["age"], i) for i in range(2)] == [70.0, 70.0]
    assert sql.origin(frames, "s", "age", 0) == "s row 1, written in years"
    assert frames.has_column("s", "dx") and not frames.has_column("s", "nope")
    assert frames.position("C") == 2 and set(frames.rows) == {"r"}


def test_string_constants_and_labels_come_back_as_labels() -> None:
    sql = get_backend("duckdb")
    value = sql.evaluate(ir.Cond(ir.Cmp(">=", AGE, ir.Const(18.0, NUMBER)), ir.Const("adult", STRING),
                                 ir.Const("minor", Type(Kind.STRING)), STRING), native())
    assert [to_python(value, i) for i in range(3)] == ["adult", None, None]
