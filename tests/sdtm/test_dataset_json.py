"""CDISC Dataset-JSON v1.1 as an input: JSON, NDJSON and compressed (DSJC) forms, and the
files it refuses with a reason (TS413), never a traceback."""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path
from typing import Any

import pytest

from trialspec.engine.files import format_of
from trialspec.engine.pandas.read import read_table
from trialspec.pipeline import check

META: dict[str, Any] = {
    "datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
    "itemGroupOID": "IG.LB", "records": 4, "name": "LB", "label": "Laboratory",
    "columns": [
        {"itemOID": "IT.LB.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string"},
        {"itemOID": "IT.LB.LBTESTCD", "name": "LBTESTCD", "label": "Test", "dataType": "string"},
        {"itemOID": "IT.LB.LBSTRESN", "name": "LBSTRESN", "label": "Result", "dataType": "double"},
        {"itemOID": "IT.LB.LBSTRESU", "name": "LBSTRESU", "label": "Unit", "dataType": "string"},
        {"itemOID": "IT.LB.LBORNRHI", "name": "LBORNRHI", "label": "High", "dataType": "decimal",
         "targetDataType": "decimal"},
        {"itemOID": "IT.LB.LBDTC", "name": "LBDTC", "label": "Date", "dataType": "datetime"},
        {"itemOID": "IT.LB.VISIT", "name": "VISIT", "label": "Visit", "dataType": "string"},
    ],
}
ROWS = [
    ["S1", "TSH", 0, "mU/L", "4.5", "2014-01-02T10:00", "SCREENING"],
    ["S2", "TSH", 2.5, "uIU/mL", "4.5", "", "SCREENING"],
    ["S3", "TSH", None, "", None, "2014-01", "SCREENING"],
    ["S4", "TSH", -1e-9, "mU/L", "4.5", "2014-01-03", "SCREENING"],
]


def write(path: Path, meta: dict[str, Any] = META, rows: list[list[Any]] = ROWS) -> Path:
    if path.suffix == ".json":
        path.write_text(json.dumps({**meta, "rows": rows}), encoding="utf-8")
    else:
        text = "\n".join([json.dumps(meta), *(json.dumps(r) for r in rows)]) + "\n"
        data = text.encode("utf-8")
        path.write_bytes(zlib.compress(data) if path.suffix == ".dsjc" else data)
    return path


@pytest.mark.parametrize("name", ["lb.json", "lb.ndjson", "lb.dsjc"])
def test_each_form_reads_the_same_table(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name)
    assert format_of(path, None) == "dataset-json"
    df = read_table(path, "dataset-json")
    assert list(df.columns) == [c["name"] for c in META["columns"]]
    values = df["LBSTRESN"].tolist()
    assert values[0] == 0.0 and values[3] == -1e-9 and math.isnan(values[2])
    assert df["LBORNRHI"].tolist()[0] == 4.5  # decimal travels as text, read as a number
    assert df["LBDTC"].tolist()[1] == ""  # an empty string stays one (the SDTM rule makes it missing)


@pytest.mark.parametrize(("meta", "rows", "reason"), [
    ({**META, "datasetJSONVersion": "1.0.0"}, ROWS, "version 1.0.0"),
    ({k: v for k, v in META.items() if k != "columns"}, ROWS, "no top-level `columns`"),
    (META, [*ROWS[:3], ["S4", "TSH"]], "row 4 does not have 7 cells"),
    ({**META, "records": 5}, ROWS, "`records` says 5"),
    ({**META, "columns": [{**META["columns"][0], "dataType": "text"}]}, [[r[0]] for r in ROWS],
     "unknown dataType 'text'"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, meta: dict[str, Any], rows: list[list[Any]],
                                             reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_table(write(tmp_path / "lb.json", meta, rows), "dataset-json")


def test_corrupt_compressed_and_invalid_json(tmp_path: Path) -> None:
    (tmp_path / "a.dsjc").write_bytes(b"not zlib")
    with pytest.raises(ValueError, match="zlib"):
        read_table(tmp_path / "a.dsjc", "dataset-json")
    (tmp_path / "b.ndjson").write_text('{"datasetJSONVersion": "1.1"\n[1]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_table(tmp_path / "b.ndjson", "dataset-json")


PROTOCOL = """\
trialspec: 1
study: {id: DSJ}
datasets:
  dm:
    source: dm.csv
    key: USUBJID
    columns:
      age: {type: number, unit: years}
  lb:
    source: lb.ndjson
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, unit: LBSTRESU, time: LBDTC, visit: VISIT}
    pick: {visit: SCREENING}
    columns:
      tsh: {test: TSH, type: number, unit: mU/L}
      tsh_uln: {test: TSH, source: LBORNRHI, type: number, unit: mU/L}
eligibility:
  inclusion:
    I1: {text: TSH at most its upper limit, when: tsh <= tsh_uln}
"""


def test_dataset_json_through_the_pipeline(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write(data / "lb.ndjson")
    (data / "dm.csv").write_text("USUBJID,age\nS1,60\nS2,61\nS3,62\nS4,63\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text(PROTOCOL, encoding="utf-8")
    result = check(tmp_path / "p.yaml", data)
    codes = [d.code for d in result.all_findings]
    assert "TS410" not in codes and "TS413" not in codes and "TS408" not in codes, codes
    outcomes = result.section("eligibility").summary["subjects"]["outcomes"]["I1"]
    # S2's 2.5 uIU/mL is 2.5 mU/L; S3 has no value (null) and no unit (blank): unknown
    assert outcomes == ["pass", "pass", "unknown", "pass"]
