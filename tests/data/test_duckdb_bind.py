"""Binding in DuckDB from files (engine/duckdb/bind.py) gives what the pandas binder gives.

For every shipped example, the conformance fixture of test_conformance_backends written as CSV
and as Parquet, and edge cases (SAS-style blanks, missing tokens, partial dates, unknown units,
duplicate keys): the same failure table, the same findings (rendered TS4xx diagnostics), the
same manifest, and the same bound values, subject by subject. Data DuckDB does not read the
way pandas does fall back to the pandas binder, which then answers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trialspec.check.conformance_plan import KINDS, conformance_checks
from trialspec.engine.duckdb.bind import bind, native_reason
from trialspec.engine.pandas.bind import bind as pandas_bind
from trialspec.engine.pandas.columns import finite_float
from trialspec.engine.pandas.dates import parse_dates
from trialspec.engine.sql.frames import SqlFrames
from trialspec.protocol import load_protocol_text

sys.path.insert(0, str(Path(__file__).parent))
from test_conformance_backends import PROTOCOL, tables  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {  # protocol -> (data folder, read natively)
    "streptomycin-1948.yaml": ("streptomycin-1948", True),
    "t2dm-glucoflozin.yaml": ("t2dm-glucoflozin", True),
    "rchop21.yaml": ("rchop21", True),
    "seed-rd-rrmm.yaml": ("seed", True),
    "seed-rd-rrmm-amendment-1.yaml": ("seed", True),
    "cdiscpilot01.yaml": ("cdiscpilot01", False),  # XPT and Dataset-JSON files
}


def load(text: str) -> Any:
    model, diags = load_protocol_text(text)
    assert model is not None, diags
    return model


def assert_same(protocol: Any, data: Path) -> Any:
    """Bind both ways; assert the same findings, manifest and values; return the DuckDB one."""
    native, pandas = bind(protocol, data), pandas_bind(protocol, data)
    assert native.failures is not None and pandas.failures is not None
    pd.testing.assert_frame_equal(native.failures.astype(str), pandas.failures.astype(str))
    assert [repr(d) for d in native.diagnostics] == [repr(d) for d in pandas.diagnostics]
    assert native.datasets == pandas.datasets and native.key == pandas.key
    assert (native.frames is None) == (pandas.frames is None)
    if is_native(native):
        assert same_values(native.frames, pandas.frames) == []
    return native


def is_native(bound: Any) -> bool:
    """Bound natively: a SqlFrames with no pandas frames under it."""
    return isinstance(bound.frames, SqlFrames) and bound.frames.source is None


def quoted(frames: Any, name: str) -> str:
    """A view's name quoted in the dialect of the frames' connection (DuckDB or Spark)."""
    return f"`{name}`" if frames.conn.dialect == "spark" else f'"{name}"'


def _none(v: Any) -> Any:
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def same_values(sql: Any, frames: Any) -> list[tuple[str, str]]:
    """The (dataset, column) pairs whose values differ between a native SqlFrames and the pandas
    SubjectFrames: numbers, texts, and dates as their [lo, hi] days."""
    assert list(sql.subjects) == list(frames.subjects)
    differ = []
    for name, ds in sql.datasets.items():
        order = "_i, _r" if ds.rows else "_i"
        view = sql.conn.query(f"SELECT * FROM {quoted(sql, ds.view)} ORDER BY {order}").to_pandas()
        if ds.rows:
            rows = frames.rows[name]
            order = np.lexsort((rows.frame["@row"].to_numpy(), rows.codes))
            frame = rows.frame.iloc[order].reset_index(drop=True)
            assert list(view["_i"]) == list(rows.codes[order])

            def theirs(c: str, frame: pd.DataFrame = frame) -> np.ndarray:
                return np.asarray(frame[c].astype(object), dtype=object)
        else:
            table, at = frames.tables[name], view["_i"].to_numpy()

            def theirs(c: str, table: Any = table, at: np.ndarray = at) -> np.ndarray:
                values = table.column(c)
                return np.asarray(pd.Series(values).astype(object), dtype=object)[at]
        for (column, kind), where in ds.columns.items():
            if where.lo == "_key":
                continue
            mine, want = view[where.lo].to_numpy(dtype=object), theirs(column)
            if kind.value == "date":
                days = parse_dates(want)
                ok = all(_same_day(view[c].to_numpy(dtype=object), bound)
                         for c, bound in ((where.lo, days.lo), (where.hi or where.lo, days.hi)))
            elif kind.value == "number":
                got = np.array([np.nan if _none(v) is None else v for v in mine], dtype=float)
                ok = np.array_equal(finite_float(want), got, equal_nan=True)
            elif kind.value == "condition":
                ok = [_none(v) for v in mine] == [None if _none(v) is None else bool(v) for v in want]
            else:
                ok = [_none(v) for v in mine] == [None if _none(v) is None else str(v) for v in want]
            if not ok:
                differ.append((name, column))
    return differ


def _same_day(days: np.ndarray, bound: np.ndarray) -> bool:
    want = [None if np.isnat(d) else int(d.astype("int64")) for d in bound]
    return [None if _none(v) is None else int(v) for v in days] == want


@pytest.mark.parametrize("protocol", sorted(EXAMPLES))
def test_every_shipped_example_binds_as_pandas_binds_it(protocol: str) -> None:
    folder, native = EXAMPLES[protocol]
    model = load((ROOT / "protocols" / protocol).read_text("utf-8"))
    data = ROOT / "examples" / folder / "data"
    assert (native_reason(model, data) is None) == native, native_reason(model, data)
    bound = assert_same(model, data)
    assert is_native(bound) == native


def test_the_cdisc_pilot_sdtm_written_as_csv_binds_natively_as_pandas_binds_it(tmp_path: Path) -> None:
    """Real SDTM (the CDISC pilot study's domains, which ship as XPT and Dataset-JSON files
    DuckDB does not read) written as CSV by trialspec's own reader: DuckDB binds them itself,
    long tables and all, with the same findings and the same values, subject by subject."""
    import re

    from trialspec.engine.files import format_of
    from trialspec.engine.pandas.read import read_table

    data = ROOT / "examples" / "cdiscpilot01" / "data"
    text = (ROOT / "protocols" / "cdiscpilot01.yaml").read_text("utf-8")
    for name in sorted(set(re.findall(r"source: (\S+\.(?:xpt|ndjson|dsjc|json))\b", text))):
        target = tmp_path / Path(name).with_suffix(".csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        read_table(data / name, format_of(data / name, None)).to_csv(target, index=False)
        text = text.replace(f"source: {name}", f"source: {Path(name).with_suffix('.csv').as_posix()}")
    for csv in (data / "analysis").glob("*.csv"):
        (tmp_path / "analysis").mkdir(exist_ok=True)
        (tmp_path / "analysis" / csv.name).write_bytes(csv.read_bytes())
    model = load(text)
    assert native_reason(model, tmp_path) is None
    bound = assert_same(model, tmp_path)
    assert is_native(bound) and len(bound.frames.subjects) == 306
    assert any(ds.rows for ds in bound.frames.datasets.values())  # (long tables kept row by row)


def _conformance_files(folder: Path, fmt: str, pick: bool = True) -> Any:
    """The conformance fixture's tables written as ``fmt`` files, and its protocol reading them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables().items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False)
        else:  # every column text, as the CSV reads it (an empty table has no type to infer)
            schema = pa.schema([(c, pa.string()) for c in df.columns])
            arrow = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
            pq.write_table(arrow, folder / f"{name}.parquet")
    text = PROTOCOL if pick else PROTOCOL.replace("    pick: {visit: SCREENING}\n", "")
    for name, layout in (("subjects", "key"), ("labs", "long"), ("notes", "subject")):
        text = text.replace(f"  {name}:\n    {layout}:",
                            f"  {name}:\n    source: {name}.{fmt}\n    {layout}:")
    return load(text)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_conformance_kind_fails_in_sql_as_in_pandas(tmp_path: Path, fmt: str) -> None:
    protocol = _conformance_files(tmp_path, fmt)
    assert native_reason(protocol, tmp_path) is None
    bound = assert_same(protocol, tmp_path)
    assert is_native(bound)
    failing = set(bound.failures["check"])
    assert {c.kind for c in conformance_checks(protocol) if c.id in failing} == set(KINDS)


def test_a_long_table_kept_row_by_row_binds_in_sql_as_in_pandas(tmp_path: Path) -> None:
    protocol = _conformance_files(tmp_path, "csv", pick=False)
    bound = assert_same(protocol, tmp_path)
    assert is_native(bound) and bound.frames.datasets["labs"].rows
    assert {"labs.alt:range", "labs.USUBJID:subject_known"} <= set(bound.failures["check"])


def test_a_parquet_file_and_a_csv_file_of_the_same_table_agree(tmp_path: Path) -> None:
    csv = bind(_conformance_files(tmp_path / "csv", "csv"), tmp_path / "csv")
    parquet = bind(_conformance_files(tmp_path / "parquet", "parquet"), tmp_path / "parquet")
    a, b = csv.failures.copy(), parquet.failures.copy()
    assert (a["line"] - a["row"]).isin([0, 1]).all() and (a["line"] - a["row"] == 1)[a["row"] > 0].all()
    assert (b["line"] == b["row"]).all()  # a Parquet file has no header line
    keep = ["check", "dataset", "column", "row", "position", "subject", "count"]
    pd.testing.assert_frame_equal(a[keep].astype(str), b[keep].astype(str))
    assert [v if not isinstance(v, tuple) else None for v in a["value"]] == [
        v if not isinstance(v, tuple) else None for v in b["value"]]
    assert same_values(csv.frames, _frames_of(parquet)) == []


def _frames_of(bound: Any) -> Any:
    """A native SqlFrames seen as the pandas frames ``same_values`` compares with."""
    return _PandasView(bound.frames)


class _PandasView:
    """A SqlFrames seen through the SubjectFrames interface ``same_values`` reads."""

    def __init__(self, sql: Any):
        self.subjects = sql.subjects
        self.tables: dict[str, Any] = {}
        self.rows: dict[str, Any] = {}
        for name, ds in sql.datasets.items():
            view = sql.conn.query(f"SELECT * FROM {quoted(sql, ds.view)} ORDER BY _i").to_pandas()
            if ds.rows:
                self.rows[name] = _Rows(view.rename(columns={"_r": "@row"}), view["_i"].to_numpy())
                continue
            full = pd.DataFrame({"_i": np.arange(len(sql.subjects))}).merge(view, on="_i", how="left")
            self.tables[name] = _Columns(full, {c: w for (c, _), w in ds.columns.items()})


class _Rows:
    def __init__(self, frame: pd.DataFrame, codes: np.ndarray):
        self.frame, self.codes = frame, codes


class _Columns:
    def __init__(self, frame: pd.DataFrame, where: dict[str, Any]):
        self.frame, self.where = frame, where

    def column(self, name: str) -> Any:
        w = self.where[name]
        values = self.frame[w.lo].to_numpy(dtype=object)
        if w.hi is None:
            return values
        his = self.frame[w.hi].to_numpy(dtype=object)
        return np.array([None if _none(v) is None else _iso(int(v), int(h))
                         for v, h in zip(values, his, strict=True)], dtype=object)


def _iso(lo: int, hi: int) -> str:
    """The ISO text of the date interval [lo, hi] (days): a day, a month or a year."""
    day = str(np.datetime64(lo, "D"))
    return day if lo == hi else day[:4] if day[5:] == "01-01" and hi - lo >= 364 else day[:7]


EDGES = """\
trialspec: 1
study: {id: EDGES}
datasets:
  dm:
    source: dm.csv
    key: USUBJID
    standard: sdtm
    missing: [NA, "."]
    columns:
      age: {type: number, source: AGE}
      sex: {type: category, levels: [F, M], source: SEX}
      dthfl: {type: category, levels: ["Y"], source: DTHFL}
      rficdtc: {type: date, source: RFICDTC}
      weight: {type: number, unit: kg, unit_column: WTU, source: WT}
      smoker: {type: boolean, source: SMOKER}
      site: {type: string, source: SITEID}
  ae:
    source: ae.csv
    subject: USUBJID
    missing: [NA]
    columns:
      term: {type: string, source: AETERM}
      start: {type: date, source: AESTDTC}
eligibility:
  inclusion:
    I1: {text: Adult, when: age >= 18}
"""


def test_sas_blanks_tokens_partial_dates_units_and_duplicate_keys(tmp_path: Path) -> None:
    (tmp_path / "dm.csv").write_text(
        "USUBJID,AGE,SEX,DTHFL,RFICDTC,WT,WTU,SMOKER,SITEID\n"
        "S1,61,F,  ,2014-06,70,kg,yes, 701 \n"
        "S2,NA,M,Y,2014,154,lb,no,.\n"
        "S3,.,X, ,2014-02-30T10:00,80,stone?,maybe,702\n"
        "S2,40,F,,2014-06-15T08:30,60,,1,703\n"
        "  ,50,M,,2015-13,5000,g,0,704\n"
        "S4, 7e400 ,F,,1999-12-31,inf,kg,true,NA\n", "utf-8")
    (tmp_path / "ae.csv").write_text(
        "USUBJID,AETERM,AESTDTC\nS1,Headache,2014-07\nS9,Nausea,2014\nS2,NA,2014-07-03\n,Rash,\n", "utf-8")
    protocol = load(EDGES)
    assert native_reason(protocol, tmp_path) is None
    bound = assert_same(protocol, tmp_path)
    assert is_native(bound)
    codes = {d.code for d in bound.diagnostics}
    assert {"TS404", "TS415", "TS406", "TS407", "TS408", "TS409", "TS410", "TS412"} <= codes
    assert list(bound.frames.subjects) == ["S1", "S2", "S3", "S4"]


@pytest.mark.parametrize("body, found", [
    (b'id,t\nP1, "A, B"\n', True),
    (b'id;t\nP1;  \t"A"\n', True),
    (b' "id",t\nP1,A\n', True),
    (b'id,t\nP1,"A, B"\nP2,x "y"\n', False),  # quoted at once; a quote inside a word's text
    (b'id,t\nP1,A "B"\n', False),
])
def test_a_quote_after_spaces_at_a_cells_start_is_found(tmp_path: Path, body: bytes, found: bool) -> None:
    from trialspec.engine.files import SPACED_QUOTE, csv_layout, delimiter

    path = tmp_path / "s.csv"
    path.write_bytes(body)
    rows = body.count(b"\n") - 1 + (not body.endswith(b"\n"))
    for chunk in (4, 1 << 24):  # (a chunk boundary anywhere)
        assert (csv_layout(path, rows, delimiter(path), chunk) == SPACED_QUOTE) is found


@pytest.mark.parametrize("body", [
    "id,age\nP1,61\n\nP2,70\n",  # a blank line: the file lines shift
    "id,age\nP1,61\nP2\n",  # a short row (TS417)
    "id,age\nP1,61,9\n",  # a long row (TS413)
    'id,age\nP1,"6\n1"\n',  # a record over two lines
    "id,id\nP1,61\n",  # a header pandas renames
    "id,age\nP1,\xe9\n",  # not UTF-8
    'id,age\nP1, "6,1"\n',  # a quote after a space: text to pandas (a long row), quoting to DuckDB
    'id,age\nP1,\t"61"\n',
    'id,age\n  "P1",61\n',  # at the start of a line
])
def test_what_duckdb_reads_otherwise_falls_back_to_the_same_answer(tmp_path: Path, body: str) -> None:
    (tmp_path / "s.csv").write_bytes(body.encode("latin-1"))
    protocol = load("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.csv\n    key: id\n"
                    "    columns:\n      age: {type: number}\n"
                    "eligibility:\n  inclusion:\n    I1: {text: a, when: age > 1}\n")
    bound = assert_same(protocol, tmp_path)
    assert not is_native(bound)  # the pandas binder answered


def _document(protocol: Path, data: Path, backend: str) -> str:
    """The whole report (findings, eligibility, dosing, results) on ``backend``; every shipped
    example is compared on duckdb by tests/engine/test_sql_differential.py."""
    import json

    from trialspec.pipeline import check
    from trialspec.report.check import to_document

    return json.dumps(to_document(check(protocol, data, backend_name=backend)), sort_keys=True, default=str)


def test_edge_cases_screen_the_same_in_duckdb(tmp_path: Path) -> None:
    test_sas_blanks_tokens_partial_dates_units_and_duplicate_keys(tmp_path)
    text = EDGES.replace("    I1: {text: Adult, when: age >= 18}", (
        "    I1: {text: Adult, when: age >= 18}\n"
        "    I2: {text: Consented in 2014, when: rficdtc >= 2014-01-01 and rficdtc <= 2014-12-31}\n"
        "    I3: {text: Light, when: weight < 100 kg}\n"
        "  exclusion:\n"
        "    E1: {text: Died, when: dthfl == \"Y\"}\n"
        "    E2: {text: Smoker, when: smoker}"))
    (tmp_path / "p.yaml").write_text(text, "utf-8")
    path = tmp_path / "p.yaml"
    assert _document(path, tmp_path, "duckdb") == _document(path, tmp_path, "pandas")


def test_a_large_csv_numbers_its_rows_in_file_order(tmp_path: Path) -> None:
    """DuckDB reads a CSV in parallel; each row keeps its file row (WITH ORDINALITY), so a
    failure deep in the file is reported at its own row and line."""
    n = 300_000
    ages = np.full(n, "50", dtype=object)
    ages[[123_456, 250_000]] = ["old", "inf"]
    pd.DataFrame({"id": [f"P{i}" for i in range(n)], "age": ages}).to_csv(tmp_path / "s.csv", index=False)
    protocol = load("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.csv\n    key: id\n"
                    "    columns:\n      age: {type: number}\n"
                    "eligibility:\n  inclusion:\n    I1: {text: a, when: age > 1}\n")
    bound = bind(protocol, tmp_path)
    assert is_native(bound)
    rows = {(c, int(r), int(line), s) for c, r, line, s in zip(
        bound.failures["check"], bound.failures["row"], bound.failures["line"], bound.failures["subject"],
        strict=True)}
    assert rows == {("s.age:type", 123_457, 123_458, "P123456"),
                    ("s.age:finite", 250_001, 250_002, "P250000")}


@pytest.mark.parametrize("body", [
    b'id,age,name\r\nP1,61,"Smith, J"\r\nP2,x,"O""Neil"\r\n',  # CRLF, quotes, a delimiter inside quotes
    "\ufeffid,age,name\nP1,61,a\nP2,,b\n".encode(),  # a UTF-8 BOM
    b"id,age,name\n",  # a header only (TS405)
    b"id;age;name\nP1;61,5;a\nP2;7;b\n",  # semicolons (a decimal comma is not a number)
    b"id\tage\tname\nP1\t 61 \ta\n",  # tabs, spaces around a number
    b'id,age,name\nP1,"",""\nP2," ","  "\n',  # quoted empty and blank cells
    b"id,age,name\nP1,61,a\n\n\n",  # blank lines at the end only
    b"id,age,name\nP1,61,a",  # no final line break
])
def test_csv_dialects_read_natively_as_pandas_reads_them(tmp_path: Path, body: bytes) -> None:
    (tmp_path / "s.csv").write_bytes(body)
    protocol = load("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.csv\n    key: id\n"
                    "    columns:\n      age: {type: number}\n      name: {type: string}\n"
                    "eligibility:\n  inclusion:\n    I1: {text: a, when: age > 1}\n")
    assert is_native(assert_same(protocol, tmp_path))


def test_parquet_numbers_nan_and_inf_and_a_typed_key_fall_back(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": ["P1", "P2", "P3"], "age": [61.0, float("nan"), float("inf")]}),
                   tmp_path / "s.parquet")
    text = ("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.parquet\n    key: id\n"
            "    columns:\n      age: {type: number}\n"
            "eligibility:\n  inclusion:\n    I1: {text: a, when: age > 1}\n")
    bound = assert_same(load(text), tmp_path)  # NaN is missing; inf fails `finite`
    assert is_native(bound) and list(bound.failures["check"]) == ["s.age:finite"]
    # infinities in some row groups only: the finite check is comparisons that the reader
    # decides from each row group's minimum and maximum, and it still finds both
    ages = [61.0, 62.0, float("nan"), 63.0, float("-inf"), 64.0, 65.0, float("inf")]
    pq.write_table(pa.table({"id": [f"P{i}" for i in range(8)], "age": ages}), tmp_path / "s.parquet",
                   row_group_size=2)
    bound = assert_same(load(text), tmp_path)
    assert is_native(bound) and list(bound.failures["row"]) == [5, 8]
    pq.write_table(pa.table({"id": [1, 2], "age": [61.0, 70.0]}), tmp_path / "s.parquet")
    assert not is_native(assert_same(load(text), tmp_path))  # a numeric key: pandas reads it as text


def test_parquet_typed_days_bind_as_pandas_binds_them(tmp_path: Path) -> None:
    """A DATE column is read as the day it holds (no text round trip), missing days
    and the first day of year 1 included; ids are held without a Python string each."""
    import datetime as dt

    days = [dt.date(2014, 3, 9), None, dt.date(1, 1, 1), dt.date(2020, 2, 29)]
    pq.write_table(pa.table({"id": ["P1", "P2", "P3", "P4"], "seen": pa.array(days, pa.date32())}),
                   tmp_path / "s.parquet")
    text = ("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.parquet\n    key: id\n"
            "    columns:\n      seen: {type: date}\n"
            "eligibility:\n  inclusion:\n    I1: {text: a, when: seen > 2015-01-01}\n")
    bound = assert_same(load(text), tmp_path)
    assert is_native(bound)
    assert isinstance(bound.frames.subjects.dtype, np.dtypes.StringDType)
    assert bound.frames.subjects.tolist() == ["P1", "P2", "P3", "P4"] and bound.frames.position("P3") == 2


# -- the fast paths: each one taken, and giving what the general path gives -------------------------

KEYED = """\
trialspec: 1
study: {id: KEYS}
datasets:
  subjects:
    source: subjects.parquet
    key: id
    columns:
      id: {type: string}
      arm: {type: category, levels: [A, B]}
      note: {type: string}
      age: {type: number}
eligibility:
  inclusion:
    I1: {text: Adult, when: "age >= 18 and arm in [A]"}
"""


def _keyed(folder: Path, ids: list[Any], arm: list[Any], note: list[Any]) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": pa.array(ids, pa.string()), "arm": pa.array(arm, pa.string()),
                             "note": pa.array(note, pa.string()),
                             "age": pa.array([float(20 + i) for i in range(len(ids))])}),
                   folder / "subjects.parquet", row_group_size=2)  # several row groups and batches
    return load(KEYED)


@pytest.mark.parametrize("ids, increasing, reads", [
    (["S01", "S02", "S03", "S04", "S05"], True, 1),  # present and increasing: read once as the ids
    (["S03", "S01", "S02", "S05", "S04"], False, 1),  # unsorted: the hashes' distinct count
    (["S01", "S02", "S02", "S03", "S04"], False, 1),  # a duplicate: found, the later row dropped
    (["S01", "", "S02", "S03", "S04"], False, 1),  # a blank key
    (["S01", "S02", " S03", "S04", "S05"], True, 2),  # edged: read again trimmed, as the binder keys it
    (["é1", "é2", "é3", "é4", "é5"], True, 1),  # not ASCII: the general conversion
])
def test_keys_read_once_when_increasing_else_checked_in_sql(tmp_path: Path, ids: list[str],
                                                            increasing: bool, reads: int) -> None:
    """The key column is read once, in file order, when the file is read (its edges judged on
    the way): those keys are the ids when they are increasing and need no trimming; keys to
    trim are read again, trimmed."""
    from trialspec.engine.duckdb import bind as duck

    seen: list[bool] = []
    read: list[bool] = []
    original, keys = duck.Native._increasing_keys, duck.Native._keys_in_order

    def spy(self: Any, table: Any) -> bool:
        seen.append(original(self, table))
        return seen[-1]

    def spy_keys(self: Any, *args: Any, **kwargs: Any) -> Any:
        read.append(kwargs.get("edges", False))
        return keys(self, *args, **kwargs)

    protocol = _keyed(tmp_path, ids, ["A", "B", "A", "B", "A"], ["x"] * 5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck.Native, "_increasing_keys", spy)
        mp.setattr(duck.Native, "_keys_in_order", spy_keys)
        bound = assert_same(protocol, tmp_path)
    assert seen == [increasing]
    assert read == [True, False][:reads]  # (the first read, with the file, judges the edges)
    assert is_native(bound)
    assert isinstance(bound.frames.subjects.dtype, np.dtypes.StringDType)


def test_edge_whitespace_is_trimmed_only_where_a_cell_has_it(tmp_path: Path) -> None:
    from trialspec.engine.duckdb import bind as duck

    protocol = _keyed(tmp_path, ["S1", "S2", "S3", "S4", "S5"], ["A", " B", "A\u3000", "B", "C"],
                      ["plain", "text", "only", "here", "."])
    sources: list[Any] = []
    original = duck.Native.read

    def spy(self: Any, name: str, ds: Any) -> Any:
        table = original(self, name, ds)
        sources.append(table.src)
        return table

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck.Native, "read", spy)
        bound = assert_same(protocol, tmp_path)  # " B" and "A\u3000" trimmed, "C" not a level
    assert is_native(bound)
    (src,) = sources
    assert src.untrimmed == frozenset({"id", "note"})  # arm has cells to trim


def test_trimming_removes_what_str_strip_and_arrow_remove(tmp_path: Path) -> None:
    """The separators U+001C-U+001F are whitespace to str.strip() and Arrow: a key, a level and
    a note edged with them bind as the pandas binder binds them."""
    import pyarrow.compute as pc

    from trialspec.engine.duckdb.bind_sql import WHITESPACE

    every = [chr(c) for c in range(0x3001)]
    arrow = pc.utf8_trim_whitespace(pa.array(["a" + c for c in every])).to_pylist()
    assert "".join(c for c in every if ("a" + c).strip() == "a") == WHITESPACE
    assert "".join(c for c, t in zip(every, arrow, strict=True) if t == "a") == WHITESPACE
    protocol = _keyed(tmp_path, ["S1", "S2\x1f", "\x1cS3", "S4"], ["A\x1e", "B", "\x1dA", "B"],
                      ["x\x1f", "\x1c", "y", "z"])
    assert is_native(assert_same(protocol, tmp_path))


@pytest.mark.parametrize("texts", [
    ["S1", "S2", None, ""],
    ["S1 ", "S2"], ["S1", "\tS2"], ["a\x0b"],  # ASCII whitespace at an edge
    ["\u3000S1", "S2"], ["S1\xa0"], ["é", "aé"],  # a multi-byte character at an edge
    ["a\x1c", "\x1fb"],  # the separators U+001C-U+001F: str.strip() removes them
    ["a b", "c\td"],  # inside is not an edge
    [f"S{i:09d}" for i in range(3000)] + [" S"],
])
def test_has_edges_is_what_edged_says_of_each_text(texts: list[str | None]) -> None:
    from trialspec.engine.duckdb.text import edged, has_edges

    expected = any(edged(x) for x in texts if x is not None)
    for arrow in (pa.array(texts, pa.string()), pa.array(texts, pa.large_string())):
        assert has_edges(arrow) is expected
        assert has_edges(pa.chunked_array([arrow])) is expected
    if len(texts) > 1:  # a slice sees only its own texts
        part = pa.array(texts, pa.string()).slice(1)
        assert has_edges(part) is any(edged(x) for x in texts[1:] if x is not None)


@pytest.mark.parametrize("ids", [
    ["a", "bc", "", "x" * 16, "y" * 17, "S1"],  # empty, the widest inline, one too wide
    ["ab\x00", "c"],  # a trailing NUL, which fixed-width bytes would drop
    ["é", "a"],  # not ASCII
    [f"S{i:09d}" for i in range(3000)],
])
def test_compact_ids_equal_the_plain_conversion(ids: list[str]) -> None:
    from trialspec.text_ids import compact

    for arrow in (pa.array(ids, pa.string()), pa.array(ids, pa.large_string()), pa.array(ids).slice(1)):
        got = compact(arrow)
        assert isinstance(got.dtype, np.dtypes.StringDType)
        assert got.tolist() == arrow.to_pylist()


def test_a_category_of_many_values_is_judged_by_the_scan(tmp_path: Path) -> None:
    """Categories and unit columns are judged by their distinct values when there are at most
    1,000; a "category" of more (free text declared so) falls to the cell-by-cell scan, with the
    same answer: the one edged cell among 1,500 values is trimmed."""
    from trialspec.engine.duckdb import bind as duck

    n = 1_500
    ids = [f"S{i:05d}" for i in range(n)]
    arm = [f"L{i}" for i in range(n)]
    arm[700] = "L700 "
    levels = ", ".join(f"L{i}" for i in range(n))
    protocol = load(KEYED.replace("arm: {type: category, levels: [A, B]}",
                                  f"arm: {{type: category, levels: [{levels}]}}"))
    pq.write_table(pa.table({"id": ids, "arm": arm, "note": ["x"] * n, "age": [30.0] * n}),
                   tmp_path / "subjects.parquet")
    asked: list[tuple[str, Any]] = []
    original = duck.Native._distinct

    def spy(self: Any, view: str, column: str, most: int = 1000) -> Any:
        asked.append((column, original(self, view, column, most)))
        return asked[-1][1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck.Native, "_distinct", spy)
        bound = assert_same(protocol, tmp_path)  # "L700 " trimmed to a level, as pandas trims it
    assert asked == [("arm", None)] and is_native(bound)


def test_the_ids_are_kept_as_the_arrow_text_read(tmp_path: Path) -> None:
    """Keys read in order with the file are the subjects' ids as the Arrow text read (for the
    per-subject Parquet, which then needs no conversion), numpy text only when asked."""
    from trialspec.text_ids import TextIds

    protocol = _keyed(tmp_path, ["S1", "S2", "S3", "S4", "S5"], ["A", "B", "A", "B", "A"], ["x"] * 5)
    bound = assert_same(protocol, tmp_path)
    assert is_native(bound) and isinstance(bound.frames.subjects, TextIds)
    arrow = bound.frames.subjects.arrow
    assert arrow.to_pylist() == bound.frames.subjects.tolist() == ["S1", "S2", "S3", "S4", "S5"]
    assert bound.frames.position("S4") == 3


def test_parquet_typed_days_beyond_year_9999_fail_their_check(tmp_path: Path) -> None:
    """A typed day after year 9999 fails the `date` check, found through the row groups'
    minimum and maximum (days in years 1-9999 cannot fail and are not looked at); year 0 is
    read as the ISO text 0000-12-31, which passes. The pandas binder finds the same: such a
    file's days are read as their ISO text (it refused the whole file, TS413, before)."""
    since_1970 = np.array([16000, 18000, 2932897, 17000, -719163, 16500], dtype=np.int32)
    days = pa.array(since_1970).cast(pa.date32())
    pq.write_table(pa.table({"id": [f"P{i}" for i in range(6)], "seen": days}), tmp_path / "s.parquet",
                   row_group_size=2)  # years 10000 and 0 in the second and third row groups
    text = ("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.parquet\n    key: id\n"
            "    columns:\n      seen: {type: date}\n"
            "eligibility:\n  inclusion:\n    I1: {text: a, when: seen > 2015-01-01}\n")
    bound = assert_same(load(text), tmp_path)
    assert is_native(bound)
    assert list(bound.failures["check"]) == ["s.seen:date"]
    assert list(bound.failures["row"]) == [3] and list(bound.failures["value"]) == ["10000-01-01"]


@pytest.mark.parametrize(("fmt", "small"), [("csv", 0), ("parquet", 0), ("parquet", 10**9)])
def test_a_csv_is_counted_in_one_scan_a_parquet_file_check_by_check(tmp_path: Path, fmt: str, small: int,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scan of a CSV parses the whole file, so its conformance counts are one scan (19
    scans of a 1M-row CSV took 16 s); a Parquet reader prunes row groups by a check's own
    ``WHERE``, so there each check is counted apart (docs/engine.md, "Conformance checks"),
    unless the file has fewer rows than a row group (``ONE_SCAN_ROWS``: nothing to prune, and
    planning a branch per check cost more than the scan)."""
    from trialspec.engine.duckdb import conform

    monkeypatch.setattr("trialspec.engine.duckdb.bind.ONE_SCAN_ROWS", small)
    one_scan = fmt == "csv" or small > 0
    protocol = _conformance_files(tmp_path, fmt)
    counts: list[str] = []  # the first query of each call: the counts
    counted = conform.failures

    def spy(query: Any, *args: Any, **kwargs: Any) -> Any:
        calls: list[str] = []

        def first(sql: str) -> Any:
            if not calls:
                counts.append(sql)
            calls.append(sql)
            return query(sql)

        return counted(first, *args, **kwargs)

    monkeypatch.setattr("trialspec.engine.duckdb.bind.failures", spy)
    assert is_native(assert_same(protocol, tmp_path))
    several = [sql for sql in counts if sql.count(" AS n") > 1 or "UNION ALL" in sql]
    assert several, "a file with several checks"
    for sql in several:
        assert ("UNION ALL" in sql) == (not one_scan), sql[:200]
        # one scan: each check a CASE under a sum, which share their parsed cells (not FILTERs)
        assert ("sum(CASE WHEN" in sql) == one_scan, sql[:200]


def test_a_repeated_result_whose_value_is_missing_is_said_alike(tmp_path: Path) -> None:
    """TS411 of two blank results at one visit: '<missing>' from either binder (pandas held a
    NaN, SQL a NULL, and the messages said 'nan' and 'None')."""
    (tmp_path / "dm.csv").write_text("USUBJID\nS1\n", "utf-8")
    (tmp_path / "lb.csv").write_text("USUBJID,TESTCD,VAL,VISIT\nS1,COLOR,,SCREENING\nS1,COLOR,,SCREENING\n",
                                     "utf-8")
    protocol = load("trialspec: 1\nstudy: {id: X}\ndatasets:\n"
                    "  dm: {source: dm.csv, key: USUBJID, columns: {}}\n  lb:\n    source: lb.csv\n"
                    "    long: {subject: USUBJID, test: TESTCD, value: VAL, visit: VISIT}\n"
                    "    pick: {visit: SCREENING}\n    columns:\n      color: {test: COLOR, type: number}\n"
                    "eligibility:\n  inclusion:\n    C1: {text: c, when: color is missing}\n")
    native, pandas = bind(protocol, tmp_path), pandas_bind(protocol, tmp_path)
    assert [repr(d) for d in native.diagnostics] == [repr(d) for d in pandas.diagnostics]
    (said,) = [d for d in native.diagnostics if d.code == "TS411"]
    assert said.message == "lb.color: repeated COLOR result '<missing>' for subject S1 (row 1)"
    assert dict(said.context)["value"] == "<missing>"
