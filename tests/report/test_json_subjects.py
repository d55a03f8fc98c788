"""Results that scale: a study of more than 10,000 subjects keeps its subjects out of the JSON
report and writes them to ``<report>.subjects.parquet`` beside it (docs/reports.md); a study
of at most 10,000 is reported as before, with no Parquet file. Explain and the Python API read
the section's arrays and find a subject by id."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from trialspec.domain.eligibility import SUBJECTS_IN_JSON

PROTOCOL = """trialspec: 1
study: {id: BIG}
datasets:
  subjects:
    source: subjects.csv
    key: id
    columns:
      id: {type: string}
      age: {type: number, unit: years}
      crcl: {type: number, unit: mL/min}
eligibility:
  inclusion:
    I1: {text: Adult, when: age >= 18}
  exclusion:
    E1: {text: Renal, when: crcl < 30}
"""


def study(folder: Path, n: int) -> tuple[Path, Path, dict[str, int]]:
    """n subjects: every 7th a minor, every 11th with crcl missing, every 13th with crcl < 30."""
    data = folder / "data"
    data.mkdir()
    i = np.arange(n)
    age = np.where(i % 7 == 0, 12, 40)
    crcl = np.where(i % 13 == 0, 20, 80).astype(object)
    crcl[i % 11 == 0] = ""
    lines = ["id,age,crcl"] + [f"P{k:06d},{a},{c}" for k, a, c in zip(i, age, crcl, strict=True)]
    (data / "subjects.csv").write_text("\n".join(lines) + "\n", "utf-8")
    protocol = folder / "big.yaml"
    protocol.write_text(PROTOCOL, "utf-8")
    fails = (i % 7 == 0) | ((i % 13 == 0) & (i % 11 != 0))
    unknown = ~fails & (i % 11 == 0)
    want = {"eligible": int((~fails & ~unknown).sum()), "ineligible": int(fails.sum()),
            "indeterminate": int(unknown.sum())}
    return protocol, data, want


def check(protocol: Path, data: Path, out: Path, *extra: str) -> int:
    from trialspec.cli import main

    return main(["check", str(protocol), "--data", str(data), "--format", "json", "--output", str(out),
                 "--exit-zero", *extra])


def test_a_large_study_writes_its_subjects_to_parquet_beside_the_report(
        tmp_path: Path, report_schema: Callable[[str], list[str]]) -> None:
    n = SUBJECTS_IN_JSON + 1
    protocol, data, want = study(tmp_path, n)
    out = tmp_path / "out" / "report.json"
    assert check(protocol, data, out) == 0
    text = out.read_text("utf-8")
    summary = json.loads(text)["sections"]["eligibility"]["summary"]
    assert "subjects" not in summary and summary["subjects_in"] == "parquet"
    assert summary["counts"] == want and report_schema(text) == []
    table = pq.read_table(tmp_path / "out" / "report.subjects.parquet")
    assert table.column_names == ["subject", "status", "I1", "E1", "missing"]
    # only ``missing`` can be null (the others are REQUIRED columns: no definition levels)
    assert [f.nullable for f in table.schema] == [False, False, False, False, True]
    written = pq.ParquetFile(tmp_path / "out" / "report.subjects.parquet")
    assert [c.max_definition_level for c in written.schema] == [0, 0, 0, 0, 1]
    # the ids Snappy-compressed, the dictionary-coded words not (already small)
    group = written.metadata.row_group(0)
    assert [group.column(i).compression for i in range(group.num_columns)] == [
        "SNAPPY", "UNCOMPRESSED", "UNCOMPRESSED", "UNCOMPRESSED", "UNCOMPRESSED"]
    assert table.num_rows == n
    status = table.column("status").to_pylist()
    assert {s: status.count(s) for s in want} == want
    rows = table.to_pylist()
    assert rows[0] == {"subject": "P000000", "status": "ineligible", "I1": "fail", "E1": "unknown",
                       "missing": None}  # ineligible: its missing crcl is not named
    assert rows[11] == {"subject": "P000011", "status": "indeterminate", "I1": "pass", "E1": "unknown",
                        "missing": "E1: subjects.crcl missing"}
    assert rows[13]["E1"] == "fail" and rows[1]["status"] == "eligible"


def test_a_small_study_keeps_its_subjects_in_the_json_and_writes_no_parquet(tmp_path: Path) -> None:
    protocol, data, want = study(tmp_path, SUBJECTS_IN_JSON)
    out = tmp_path / "report.json"
    assert check(protocol, data, out, "--json", str(tmp_path / "also.json")) == 0
    summary = json.loads(out.read_text("utf-8"))["sections"]["eligibility"]["summary"]
    assert len(summary["subjects"]["id"]) == SUBJECTS_IN_JSON and "subjects_in" not in summary
    assert summary["subjects"]["missing"]["P000011"] == ["E1: subjects.crcl missing"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["also.json", "big.yaml", "data", "report.json"]


def test_the_parquet_file_is_never_written_onto_an_input(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    protocol, data, _ = study(tmp_path, 20)
    (data / "r.subjects.parquet").write_bytes(b"not a report")
    assert check(protocol, data, data / "r.json") == 2
    assert "TS901" in capsys.readouterr().err
    assert (data / "r.subjects.parquet").read_bytes() == b"not a report" and not (data / "r.json").exists()


def test_explain_and_the_api_read_the_arrays_and_find_a_subject_by_id(tmp_path: Path) -> None:
    import trialspec
    from trialspec.pipeline import explain_subject

    protocol, data, want = study(tmp_path, SUBJECTS_IN_JSON + 1)
    result, tables = explain_subject(protocol, data, "P000011")
    assert tables is not None
    assert [t.title for t in tables] == ["I1 passes: Adult", "E1 is unknown: Renal (met means excluded)"]
    assert tables[1].rows[1] == ("  subjects.crcl", "missing", "subjects row 12")
    assert explain_subject(protocol, data, "P999999")[1] is None
    elig = trialspec.run(protocol, data=data).eligibility
    assert len(elig) == SUBJECTS_IN_JSON + 1 and elig.index[11] == "P000011"
    assert elig.loc["P000011", "E1"] == "unknown" and elig.loc["P000000", "I1"] == "fail"
    assert elig["status"].value_counts().to_dict() == want


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_parquet_file_is_streamed_a_row_group_at_a_time(tmp_path: Path, engine: str) -> None:
    """Row groups of 1,000 subjects (the writer builds one batch at a time): the same rows, with
    each batch's missing data named on its own subjects, as the whole table built at once."""
    import trialspec
    from trialspec.report import json_subjects

    n = SUBJECTS_IN_JSON + 2_345
    protocol, data, want = study(tmp_path, n)
    out = tmp_path / "report.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(json_subjects, "ROW_GROUP", 1_000)
        assert check(protocol, data, out, "--engine", engine) == 0
    meta = pq.ParquetFile(tmp_path / "report.subjects.parquet").metadata
    assert meta.num_row_groups == 13 and meta.num_rows == n
    streamed = pq.read_table(tmp_path / "report.subjects.parquet")
    whole = trialspec.run(protocol, data=data).result.section("eligibility").subjects.to_arrow()
    assert streamed.equals(whole)
    missing = streamed.column("missing").to_pylist()
    assert missing[11_022] == "E1: subjects.crcl missing" and missing[11_023] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml", "data", "report.json",
                                                         "report.subjects.parquet"]  # no temporary left


def test_a_failed_write_of_the_parquet_file_is_said_and_leaves_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk while a row group is written (in the writer's thread): TS904, no traceback,
    and neither the Parquet file nor its temporary file is left."""
    import errno

    import pyarrow.parquet as pq_module

    protocol, data, _ = study(tmp_path, SUBJECTS_IN_JSON + 5)
    out = tmp_path / "out"
    out.mkdir()

    def full(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pq_module.ParquetWriter, "write_batch", full)
        assert check(protocol, data, out / "report.json") == 2
    err = capsys.readouterr().err
    assert "TS904" in err and "No space left on device" in err and "Traceback" not in err
    assert not [p.name for p in out.iterdir() if "subjects" in p.name]
