"""An integer column with a gap keeps its digits: pandas reads a Parquet integer column that
holds a null (and an Excel column of whole numbers with an empty cell, and the API's nullable
``Int64`` frames) as float64, which made the key ``7`` the
subject ``7.0``, a row table's subjects unknown to a population whose keys have no gap, the
text ``1`` the text ``1.0`` (so ``s == "1"`` failed) and a finding show ``2.0`` for the cell
``2``. Such a column is now read as Python ints where the protocol reads it as text, on every
engine; where it reads it only as a number it stays float64."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trialspec.engine.declared import exact_integer_columns, number_only_columns
from trialspec.engine.pandas.read import frame_integers, read_table
from trialspec.pipeline import check
from trialspec.protocol import load_protocol_text
from trialspec.report.formats import render_check

PROTOCOL = """\
trialspec: 1
study: {id: GAPS, title: integer columns with gaps}
datasets:
  dm:
    source: dm.parquet
    key: SUBJID
    columns:
      code: {source: CODE, type: string}
      flag: {source: CODE, type: boolean}
      level: {source: CODE, type: category, levels: ["0", "1", "2"]}
      age: {source: AGE, type: number}
  ae:
    source: ae.parquet
    subject: SUBJID
    columns:
      sev: {source: AESEV, type: number}
eligibility:
  inclusion:
    I1: {text: code is one, when: code == "1"}
    I2: {text: flag, when: flag}
    I3: {text: level, when: level == "1"}
    I4: {text: adult, when: age >= 18}
    I5: {text: an adverse event, when: count(ae) >= 1}
"""

DM = {"SUBJID": pa.array([1, 2, 3, 4, None], pa.int64()),  # a key with a gap (a row without one)
      "CODE": pa.array([1, None, 0, 2, 1], pa.int32()),
      "AGE": pa.array([40, None, 17, 70, 50], pa.int64())}  # a number with a gap: float64
AE = {"SUBJID": pa.array([1, 3, None, 4], pa.int64()),
      "AESEV": pa.array([1, 2, 3, None], pa.int8())}


def _files(folder: Path, fmt: str = "parquet") -> Path:
    """The study as Parquet, as an Excel workbook (whose whole numbers pandas reads as it reads
    Parquet's) or as CSV (text: the digits as written)."""
    for name, table in (("dm", pa.table(DM)), ("ae", pa.table(AE))):
        if fmt == "parquet":
            pq.write_table(table, folder / f"{name}.parquet")
        elif fmt == "xlsx":
            table.to_pandas().to_excel(folder / f"{name}.xlsx", index=False)
        else:
            table.to_pandas().astype("Int64").to_csv(folder / f"{name}.csv", index=False)
    (folder / "p.yaml").write_text(PROTOCOL.replace(".parquet", f".{fmt}"), "utf-8")
    return folder / "p.yaml"


def _report(result: Any) -> dict[str, Any]:
    return json.loads(render_check("json", result))


@pytest.mark.parametrize(("fmt", "engine"), [("parquet", "pandas"), ("parquet", "duckdb"), ("xlsx", "pandas"),
                                           ("csv", "pandas"), ("csv", "duckdb")])
def test_integer_keys_and_texts_with_gaps_keep_their_digits(tmp_path: Path, fmt: str, engine: str) -> None:
    result = check(_files(tmp_path, fmt), tmp_path, engine)
    elig = result.section("eligibility")
    subjects = elig.summary["subjects"]
    assert subjects["id"] == ["1", "2", "3", "4"]  # not 1.0, 2.0, ...
    assert subjects["outcomes"] == {
        "I1": ["pass", "unknown", "fail", "fail"],  # CODE 1 is the text "1"
        "I2": ["pass", "unknown", "fail", "unknown"],  # 1 is true, 0 false, 2 not a boolean
        "I3": ["pass", "unknown", "fail", "fail"],
        "I4": ["pass", "unknown", "fail", "pass"],
        "I5": ["pass", "fail", "pass", "pass"],  # the AE table's 1, 3, 4 are the population's
    }
    said = sorted((d.code, d.message) for d in result.diagnostics)
    shown = "'2'" if fmt == "csv" else "2"  # (a CSV cell is text)
    assert ("TS406", f"dm.flag: not true/false: {shown} for subject 4 (row 4)") in said
    # the AE table's 1, 3 and 4 are known subjects; only its row without a subject is not
    assert [m for c, m in said if c == "TS412"] == ["ae.SUBJID: no such subject '<missing>' for row 3"]


def test_every_engine_reports_integer_gaps_alike(tmp_path: Path) -> None:
    path = _files(tmp_path)
    reports = [_report(check(path, tmp_path, engine)) for engine in ("pandas", "duckdb")]
    assert reports[0] == reports[1]


def test_a_column_read_only_as_a_number_stays_float() -> None:
    ds = load_protocol_text(PROTOCOL, "p.yaml")[0].datasets["dm"]
    assert number_only_columns(ds) == {"AGE"}
    assert {"SUBJID", "CODE"} <= exact_integer_columns(ds) and "AGE" not in exact_integer_columns(ds)


def test_the_parquet_reader_reads_named_integer_columns_with_gaps_as_python_ints(tmp_path: Path) -> None:
    pq.write_table(pa.table({**DM, "FULL": pa.array([5, 6, 7, 8, 9], pa.int64())}), tmp_path / "dm.parquet")
    df = read_table(tmp_path / "dm.parquet", "parquet", {"SUBJID", "CODE", "FULL"})
    assert df["SUBJID"].tolist() == [1, 2, 3, 4, None] and type(df["SUBJID"].iloc[0]) is int
    assert df["CODE"].tolist() == [1, None, 0, 2, 1]
    assert df["AGE"].dtype == np.float64  # not named: as pandas reads it
    assert df["FULL"].dtype == np.int64  # no gap: already exact
    plain = read_table(tmp_path / "dm.parquet", "parquet")
    assert plain["SUBJID"].dtype == np.float64  # (what pandas gives, and what was read before)


def test_nullable_integer_frames_of_the_api_are_read_as_parquet_files_are() -> None:
    df = pd.DataFrame({"SUBJID": pd.array([1, 2, None], dtype="Int64"),
                       "CODE": pd.array([1, None, 2], dtype="int64[pyarrow]"),
                       "AGE": pd.array([40, None, 17], dtype="Int64")})
    out = frame_integers(df, {"SUBJID", "CODE"})
    assert out["SUBJID"].tolist() == [1, 2, None] and out["CODE"].tolist() == [1, None, 2]
    assert out["AGE"].dtype == np.float64 and np.isnan(out["AGE"].iloc[1])
    assert df["SUBJID"].dtype == "Int64"  # the caller's frame is left as it was


def test_the_api_screens_nullable_integer_frames_with_their_digits(tmp_path: Path) -> None:
    import trialspec

    path = _files(tmp_path)
    frames = {"dm": pd.DataFrame({"SUBJID": pd.array([1, 2, 3, 4, None], dtype="Int64"),
                                  "CODE": pd.array([1, None, 0, 2, 1], dtype="Int64"),
                                  "AGE": pd.array([40, None, 17, 70, 50], dtype="Int64")}),
              "ae": pd.DataFrame({"SUBJID": pd.array([1, 3, None, 4], dtype="Int64"),
                                  "AESEV": pd.array([1, 2, 3, None], dtype="Int64")})}
    for engine in ("pandas", "duckdb"):
        study = trialspec.run(str(path), tables=frames, engine=engine)
        subjects = study.result.section("eligibility").summary["subjects"]
        assert subjects["id"] == ["1", "2", "3", "4"], engine
        assert subjects["outcomes"]["I1"] == ["pass", "unknown", "fail", "fail"], engine
        assert subjects["outcomes"]["I5"] == ["pass", "fail", "pass", "pass"], engine


def test_whole_doubles_read_as_text_are_their_digits(tmp_path: Path) -> None:
    """SAS and many Parquet writers store every number as a double: a numeric key, a VISITNUM
    picked as a visit, or a number column declared a string is ``1``, not ``1.0``; other
    numbers keep their shortest text, and NaN is missing, not the text ``nan``."""
    pq.write_table(pa.table({"SUBJID": [1.0, 2.0, 3.0], "CODE": [1.0, 2.5, float("nan")]}),
                   tmp_path / "dm.parquet")
    pq.write_table(pa.table({"SUBJID": [1.0, 1.0, 2.0, 2.0, 3.0], "LBTESTCD": ["ALT"] * 5,
                             "LBSTRESN": [10.0, 20.0, 30.0, 40.0, 5.0],
                             "VISITNUM": [1.0, 2.0, 1.0, 2.0, 1.5]}), tmp_path / "lb.parquet")
    (tmp_path / "p.yaml").write_text("""\
trialspec: 1
study: {id: DOUBLES, title: whole doubles read as text}
datasets:
  dm:
    source: dm.parquet
    key: SUBJID
    columns:
      code: {source: CODE, type: string}
  lb:
    source: lb.parquet
    long: {subject: SUBJID, test: LBTESTCD, value: LBSTRESN, visit: VISITNUM}
    pick: {visit: "1"}
    columns:
      alt: {test: ALT, type: number}
eligibility:
  inclusion:
    I1: {text: code, when: code == "1" or code == "2.5"}
    I2: {text: alt at visit 1, when: alt < 25}
""", "utf-8")
    for engine in ("pandas", "duckdb"):
        result = check(tmp_path / "p.yaml", tmp_path, engine)
        subjects = result.section("eligibility").summary["subjects"]
        assert subjects["id"] == ["1", "2", "3"], engine
        assert subjects["outcomes"] == {"I1": ["pass", "pass", "unknown"],
                                        "I2": ["pass", "fail", "unknown"]}, engine  # 3: no visit 1 row


def test_a_frame_repeating_a_column_name_is_read(tmp_path: Path) -> None:
    """A DataFrame may repeat a column name (the CSV route reads such a header too); the
    nullable integers are found by position, not by name."""
    import trialspec

    path = _files(tmp_path)
    dm = pd.DataFrame([[1, 1, 40, 7, 8], [2, 0, 17, None, 9]],
                      columns=["SUBJID", "CODE", "AGE", "NOTE", "NOTE"])
    dm = dm.astype({"SUBJID": "Int64", "CODE": "Int64"})
    dm.isetitem(3, dm.iloc[:, 3].astype("Int64"))
    ae = pd.DataFrame({"SUBJID": pd.array([1], dtype="Int64"), "AESEV": [1.0]})
    for engine in ("pandas", "duckdb"):
        study = trialspec.run(str(path), tables={"dm": dm, "ae": ae}, engine=engine)
        assert study.result.section("eligibility").summary["subjects"]["id"] == ["1", "2"], engine
