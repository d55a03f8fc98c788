"""Binding Parquet files natively in Spark (engine/spark/bind.py) gives what the pandas binder
gives: the same failure table, findings, manifest and values, and the same report.

The DuckDB native binder's SQL, transpiled to Spark's, on the test run's one Spark session
(tests/conftest.py): the conformance fixture written as Parquet (every kind of check failing),
edge cases (missing values, partial dates held as text, a per-row unit column, bad category
levels, infinite numbers, duplicate and blank keys), and what falls back (CSV; a column type
pandas reads otherwise) answers as the pandas binder does.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from trialspec.check.conformance_plan import KINDS, conformance_checks  # noqa: E402
from trialspec.engine.pandas.bind import bind as pandas_bind  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_duckdb_bind import (  # noqa: E402
    _conformance_files,
    _document,
    is_native,
    load,
    same_values,
)


def spark_bind(protocol: Any, data: Path) -> Any:
    """The Spark backend's binding (a connection of the test run's session)."""
    from trialspec.engine import get_backend

    return get_backend("spark").bind(protocol, data)


def assert_same(protocol: Any, data: Path) -> Any:
    """Bind in Spark and with pandas; the same findings, manifest and values; the Spark one."""
    native, pandas = spark_bind(protocol, data), pandas_bind(protocol, data)
    assert native.failures is not None and pandas.failures is not None
    pd.testing.assert_frame_equal(native.failures.astype(str), pandas.failures.astype(str))
    assert [repr(d) for d in native.diagnostics] == [repr(d) for d in pandas.diagnostics]
    assert native.datasets == pandas.datasets and native.key == pandas.key
    assert (native.frames is None) == (pandas.frames is None)
    if is_native(native):
        assert same_values(native.frames, pandas.frames) == []
    return native


def test_every_conformance_kind_fails_in_spark_as_in_pandas(spark: Any, tmp_path: Path) -> None:
    """The conformance fixture as Parquet (text columns): a long table picked at a visit, a
    range, a unit column, a subject not known, an empty table; bound without the pandas binder."""
    protocol = _conformance_files(tmp_path, "parquet")
    bound = assert_same(protocol, tmp_path)
    assert is_native(bound)
    failing = set(bound.failures["check"])
    assert {c.kind for c in conformance_checks(protocol) if c.id in failing} == set(KINDS)


def test_a_long_table_kept_row_by_row_binds_in_spark_as_in_pandas(spark: Any, tmp_path: Path) -> None:
    protocol = _conformance_files(tmp_path, "parquet", pick=False)
    bound = assert_same(protocol, tmp_path)
    assert is_native(bound) and bound.frames.datasets["labs"].rows


EDGES = """\
trialspec: 1
study: {id: EDGES}
datasets:
  dm:
    source: dm.parquet
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
      bmi: {type: number, source: BMI}
      seen: {type: date, source: SEEN}
  ae:
    source: ae.parquet
    subject: USUBJID
    missing: [NA]
    columns:
      term: {type: string, source: AETERM}
      start: {type: date, source: AESTDTC}
eligibility:
  inclusion:
    I1: {text: Adult, when: age >= 18}
    I2: {text: Consented in 2014, when: rficdtc >= 2014-01-01 and rficdtc <= 2014-12-31}
    I3: {text: Light, when: weight < 100 kg}
    I4: {text: Lean, when: bmi < 30}
  exclusion:
    E1: {text: Died, when: dthfl == "Y"}
    E2: {text: Smoker, when: smoker}
    E3: {text: Adverse event, when: count(ae where start >= 2014-07-01) > 0}
"""


def _edges(folder: Path) -> Path:
    """Parquet files of missing values (SDTM blanks, tokens, nulls, NaN), partial dates held as
    text, a per-row unit column (a unit that does not convert), bad category levels, infinite
    numbers (as text and as a double), typed days, blank and repeated keys; the protocol."""
    import datetime as dt

    inf = float("inf")
    pq.write_table(pa.table({
        "USUBJID": ["S1", "S2", "S3", "S2", "  ", "S4", None, "S5"],
        "AGE": ["61", "NA", ".", "40", "50", " 7e400 ", "33", "\x0b 45\u3000"],
        "SEX": ["F", "M", "X", "F", "M", "F", "F", " m "],
        "DTHFL": ["  ", "Y", " ", None, "", "", "Y", "N"],
        "RFICDTC": ["2014-06", "2014", "2014-02-30T10:00", "2014-06-15T08:30", "2015-13", "1999-12-31",
                    "2014", "2014-06-31"],
        "WT": ["70", "154", "80", "60", "5000", "inf", "1e309", "-Infinity"],
        "WTU": ["kg", "lb", "stone?", None, "g", "kg", "kg", " kg "],
        "SMOKER": ["yes", "no", "maybe", "1", "0", "true", "T", None],
        "SITEID": [" 701 ", ".", "702", "703", "704", "NA", "", "\xa0705"],
        "BMI": [22.5, float("nan"), inf, None, 31.0, -inf, 29.9, 18.0],
        "SEEN": pa.array([dt.date(2014, 3, 9), None, dt.date(1, 1, 1), dt.date(2020, 2, 29),
                          dt.date(9999, 12, 31), None, None, dt.date(2014, 1, 1)], pa.date32()),
    }), folder / "dm.parquet")
    pq.write_table(pa.table({
        "USUBJID": ["S1", "S9", "S2", None, "S4", "S1"],
        "AETERM": ["Headache", "Nausea", "NA", "Rash", "Cough", "Fever"],
        "AESTDTC": ["2014-07", "2014", "2014-07-03", None, "2014-07-32", "2014-08-01T10:00"],
    }), folder / "ae.parquet")
    path = folder / "p.yaml"
    path.write_text(EDGES, "utf-8")
    return path


def test_parquet_edge_cases_screen_on_spark_as_on_pandas(
        spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Bound in Spark (no fallback), and the whole JSON report the pandas engine's: statuses,
    attrition, the missing data named, every finding (TS404-TS412)."""
    path = _edges(tmp_path)
    with caplog.at_level(logging.DEBUG, logger="trialspec.engine"):
        on_spark = _document(path, tmp_path, "spark")
    assert "Spark binds natively: 2 datasets" in caplog.text, caplog.text
    assert "binds through pandas" not in caplog.text
    on_pandas = _document(path, tmp_path, "pandas")
    assert on_spark == on_pandas
    assert all(f'"{code}"' in on_pandas for code in ("TS404", "TS406", "TS407", "TS408", "TS409",
                                                     "TS410", "TS412"))


def test_csv_and_types_pandas_reads_otherwise_fall_back_to_the_same_answer(
        spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "s.csv").write_text("id,age\nP1,61\nP2,x\n", "utf-8")
    text = ("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.csv\n    key: id\n"
            "    columns:\n      age: {type: number}\n"
            "eligibility:\n  inclusion:\n    I1: {text: a, when: age > 1}\n")
    with caplog.at_level(logging.DEBUG, logger="trialspec.engine.duckdb.bind"):
        assert not is_native(assert_same(load(text), tmp_path))
    assert "Spark binds through pandas" in caplog.text and "csv" in caplog.text
    pq.write_table(pa.table({"id": [1, 2], "age": [61.0, 70.0]}), tmp_path / "s.parquet")
    assert not is_native(assert_same(load(text.replace("s.csv", "s.parquet")), tmp_path))


ROOT = Path(__file__).resolve().parents[2]
# protocol -> data folder: shipped examples whose files are all CSV (t2dm-glucoflozin and
# seed-rd-rrmm bind the same too, at 50-60 s each on Spark: long tables, many files; left out
# for the suite's time)
SHIPPED = {"streptomycin-1948": "streptomycin-1948", "rchop21": "rchop21"}


def _as_parquet(name: str, folder: Path) -> tuple[Path, Any]:
    """A shipped example with every CSV file written as Parquet (each cell as written, as
    text) and its protocol reading them."""
    import re

    folder.mkdir(parents=True, exist_ok=True)
    for csv in (ROOT / "examples" / SHIPPED[name] / "data").glob("*.csv"):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        schema = pa.schema([(c, pa.string()) for c in df.columns])
        pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False),
                       folder / f"{csv.stem}.parquet")
    text = (ROOT / "protocols" / f"{name}.yaml").read_text("utf-8")
    text = re.sub(r"(source: *[\w./-]+)\.csv\b", r"\1.parquet", text)
    path = folder / f"{name}.yaml"
    path.write_text(text, "utf-8")
    return path, load(text)


def test_a_shipped_example_as_parquet_binds_natively_in_spark_as_in_pandas(
        spark: Any, tmp_path: Path) -> None:
    _path, protocol = _as_parquet("streptomycin-1948", tmp_path)
    assert is_native(assert_same(protocol, tmp_path))


def test_a_shipped_example_as_parquet_reports_the_same_on_spark_as_on_pandas(
        spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The whole JSON report, dosing included (rchop21: a per-row dose unit, cycles)."""
    path, _protocol = _as_parquet("rchop21", tmp_path)
    with caplog.at_level(logging.DEBUG, logger="trialspec.engine"):
        on_spark = _document(path, tmp_path, "spark")
    assert "Spark binds natively: 3 datasets" in caplog.text, caplog.text
    assert on_spark == _document(path, tmp_path, "pandas")


def test_a_parquet_file_split_across_tasks_keeps_its_file_rows(spark: Any, tmp_path: Path) -> None:
    """Spark reads a file of many row groups in several tasks; each row keeps its own file row
    (``_metadata.row_index``), so the subjects keep the file's order and a failure deep in the
    file is reported at its own row."""
    n = 6000
    ages = [str(50 + i % 30) for i in range(n)]
    ages[4321], ages[5999] = "old", "inf"
    pq.write_table(pa.table({"id": [f"P{i:05d}" for i in reversed(range(n))], "age": ages}),
                   tmp_path / "s.parquet", row_group_size=500)
    text = ("trialspec: 1\nstudy: {id: X}\ndatasets:\n  s:\n    source: s.parquet\n    key: id\n"
            "    columns:\n      age: {type: number}\n"
            "eligibility:\n  inclusion:\n    I1: {text: a, when: age > 1}\n")
    before = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")  # a task per row group or two
    try:
        frame = spark.read.parquet(str(tmp_path / "s.parquet"))
        assert frame.rdd.getNumPartitions() > 1
        bound = spark_bind(load(text), tmp_path)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", before)
    assert is_native(bound)
    assert list(bound.frames.subjects) == [f"P{i:05d}" for i in reversed(range(n))]
    rows = {(c, int(r), s) for c, r, s in zip(bound.failures["check"], bound.failures["row"],
                                             bound.failures["subject"], strict=True)}
    assert rows == {("s.age:type", 4322, f"P{n - 1 - 4321:05d}"), ("s.age:finite", 6000, "P00000")}
