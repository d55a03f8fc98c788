"""Reading data files (issue 3, point 1 and "Bad input"): paths confined to the data directory,
missing files and folders, CSV dialects and encodings, Parquet, XLSX and SAS XPT; the input
files are byte-identical after a run."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from datastudy import SUBJECTS, Study, cell_findings, findings, outcomes

from trialspec.cli import main
from trialspec.engine.pandas import bind as bind_module
from trialspec.pipeline import compile_protocol

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every data file the binding reads or hashes, resolved."""
    seen: list[Path] = []
    read, digest = bind_module.read_table, bind_module.sha256_file

    def spy_read(path: Path, fmt: str, *rest: Any) -> Any:
        seen.append(Path(path).resolve())
        return read(path, fmt, *rest)

    def spy_digest(path: Path) -> str:
        seen.append(Path(path).resolve())
        return digest(path)

    monkeypatch.setattr(bind_module, "read_table", spy_read)
    monkeypatch.setattr(bind_module, "sha256_file", spy_digest)
    return seen


# -- paths ---------------------------------------------------------------------------------------

def test_path_outside_the_data_directory_is_refused_and_never_read(
        study: Study, opened: list[Path], tmp_path: Path) -> None:
    study.edit_protocol("source: lb.csv", "source: ../../etc/passwd\n    format: csv")
    out = tmp_path / "report.json"
    assert main(["check", str(study.protocol), "--data", str(study.data), "--format", "json",
                 "--output", str(out)]) == 1
    [d] = json.loads(out.read_text("utf-8"))["diagnostics"]
    assert (d["code"], d["message"]) == ("TS213", "the source `../../etc/passwd` is not a path inside the "
                                                  "data directory")
    assert (d["location"]["path"], d["location"]["line"], d["location"]["column"]) == (
        str(study.protocol), study.line_of("../../etc/passwd"), 13)
    assert opened == []  # the protocol is refused before any data file is opened


def test_binding_refuses_a_path_outside_the_data_directory(study: Study, opened: list[Path]) -> None:
    """Defence in depth: a model whose source escapes (built without the loader's TS213) is
    refused by the binding itself (TS401), and nothing is read for it."""
    compiled, diags, _ = compile_protocol(study.protocol)
    assert compiled is not None and compiled.checked is not None and diags == []
    model = compiled.model
    labs = dataclasses.replace(model.datasets["labs"], source="../../etc/passwd")
    model = dataclasses.replace(model, datasets={**model.datasets, "labs": labs})
    bound = bind_module.bind(model, study.data)
    [d] = [d for d in bound.diagnostics if d.code == "TS401"]
    assert d.message == "dataset 'labs' names '../../etc/passwd', outside the data directory"
    assert d.span == labs.span
    assert bound.frames is None  # nothing is screened on partial data
    assert Path("/etc/passwd").resolve() not in opened
    assert opened == [study.data.resolve() / "subjects.csv"] * 2  # read, then hashed


def test_a_symlink_leading_out_of_the_data_directory_is_refused(study: Study, opened: list[Path]) -> None:
    secret = study.root / "secret.csv"
    secret.write_text("USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n", "utf-8")
    (study.data / "lb.csv").unlink()
    (study.data / "lb.csv").symlink_to(secret)
    result = study.run()
    [d] = findings(result, "TS401")
    assert d.message == "dataset 'labs' names 'lb.csv', outside the data directory"
    assert (d.span.path, d.span.line) == (str(study.protocol), study.line_of("  labs:"))
    assert secret.resolve() not in opened
    assert result.section("eligibility") is None


def test_missing_data_directory_is_a_usage_error(study: Study, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(study.protocol), "--data", str(study.root / "nope")]) == 2
    assert f"no such data directory: {study.root / 'nope'}" in capsys.readouterr().err
    assert main(["explain", str(study.protocol), "--data", str(study.root / "nope"), "--subject", "P01"]) == 2


def test_missing_file_with_a_suggestion(study: Study, capsys: pytest.CaptureFixture[str]) -> None:
    (study.data / "subjects.csv").rename(study.data / "subject.csv")
    result = study.run()
    [d] = findings(result, "TS402")
    assert d.message == f"dataset 'subjects': no file 'subjects.csv' in {study.data}"
    assert d.hint == "Did you mean 'subject.csv'?"
    assert (d.span.path, d.span.line) == (str(study.protocol), study.line_of("  subjects:"))
    assert result.section("eligibility") is None
    assert main(["check", str(study.protocol), "--data", str(study.data)]) == 1
    out = capsys.readouterr().out
    assert "TS402 dataset-file-missing (1 error)" in out and "Did you mean 'subject.csv'?" in out


# -- CSV dialects and encodings ------------------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_csv_delimiters_and_bom(study: Study, sep: str, bom: bytes) -> None:
    study.write("subjects.csv", bom + SUBJECTS.replace(",", sep).encode("utf-8"))
    result = study.run()
    assert result.all_findings == []  # the BOM is not part of the first column's name
    assert {s: o["status"] for s, o in outcomes(result).items()} == {
        "P01": "eligible", "P02": "eligible", "P03": "eligible"}


def test_semicolon_csv_with_decimal_commas_is_reported_not_misread(study: Study) -> None:
    study.write("subjects.csv", "subject_id;age;stage;consent;prior_therapy\nP01;61,5;II;2014-06-17;true\n")
    [d] = findings(study.run(), "TS406")
    assert d.message == "subjects.age: not a number: '61,5' for subject P01 (row 1)"


def test_crlf_line_endings(study: Study) -> None:
    study.write("subjects.csv", SUBJECTS.replace("\n", "\r\n"))
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\r\n"
                          "P01,SCREENING,BILI,1.0,mg/dL ,\r\n")  # trailing space in the unit
    result = study.run()
    assert cell_findings(result) == []
    assert outcomes(result)["P01"]["I3"] == "pass"


def test_a_huge_text_cell(study: Study) -> None:
    study.edit_protocol("      prior_therapy: {type: boolean}\n",
                        "      prior_therapy: {type: boolean}\n      note: {type: string}\n")
    huge = "x" * 1_000_000
    study.write("subjects.csv", f"subject_id,age,stage,consent,prior_therapy,note\n"
                                f"P01,61,II,2014-06-17,true,\"{huge}\"\nP02,sixty,II,2014-06-17,true,short\n")
    result = study.run()
    [d] = findings(result, "TS406")
    assert (d.message, d.span.line) == ("subjects.age: not a number: 'sixty' for subject P02 (row 2)", 3)
    assert outcomes(result)["P01"]["status"] == "eligible"


def test_non_utf8_csv_is_unreadable_and_nothing_is_screened(study: Study,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\nP01,61,II,2014-06-17,café\n"
                .encode("latin-1"))
    result = study.run()
    [d] = findings(result, "TS413")
    assert d.message == ("dataset 'subjects': cannot read subjects.csv: not UTF-8 text (byte 67): "
                         "invalid continuation byte")
    assert (d.span.path, d.span.line) == (str(study.protocol), study.line_of("  subjects:"))
    assert result.section("eligibility") is None
    assert main(["check", str(study.protocol), "--data", str(study.data)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_utf16_csv_is_unreadable(study: Study) -> None:
    study.write("subjects.csv", SUBJECTS.encode("utf-16"))
    [d] = findings(study.run(), "TS413")
    assert "not UTF-8 text" in d.message


def test_zero_byte_file_is_unreadable(study: Study) -> None:
    study.write("subjects.csv", b"")
    [d] = findings(study.run(), "TS413")
    assert d.message == "dataset 'subjects': cannot read subjects.csv: No columns to parse from file"


@pytest.mark.parametrize("rows", ["P01,61,II,2014-06-17,true,extra\n",  # one cell too many, first row
                                  "P01,61,II,2014-06-17,true\nP02,61,II,2014-06-17,true,x,y\n"],
                         ids=["first-row", "later-row"])
def test_rows_longer_than_the_header_are_unreadable_never_shifted(study: Study, rows: str) -> None:
    """pandas would silently take the extra leading cells as the row index, shifting every
    column (subject_id would read 61); trialspec refuses the file instead."""
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n" + rows)
    result = study.run()
    [d] = findings(result, "TS413")
    assert d.message.startswith("dataset 'subjects': cannot read subjects.csv: ")
    assert result.section("eligibility") is None


def test_a_trailing_delimiter_on_every_line_is_read(study: Study) -> None:
    study.write("subjects.csv", SUBJECTS.replace("\n", ",\n"))
    result = study.run()
    assert result.all_findings == []
    assert list(outcomes(result)) == ["P01", "P02", "P03"]


def test_whitespace_around_keys_levels_visits_and_codes_is_ignored(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                " P01 ,61, II ,2014-06-17 , yes\nP02,70,III,2014-07-01,false\n")
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n"
                          "P01\t,SCREENING ,  BILI,34.2, umol/L ,2014-06-20\n"
                          "P02, SCREENING,BILI,1.0,mg/dL,2014-07-03\n")
    result = study.run()
    assert cell_findings(result) == []
    got = outcomes(result)
    assert list(got) == ["P01", "P02"]
    assert (got["P01"]["I1"], got["P01"]["I2"], got["P01"]["I3"]) == ("pass", "pass", "pass")


def test_numeric_subject_keys_join_as_text(study: Study) -> None:
    pd.DataFrame({"subject_id": [1, 2], "age": [61, 80], "stage": ["II", "II"],
                  "consent": ["2014-06-17", "2014-06-18"], "prior_therapy": [1, 0]}).to_parquet(
        study.data / "subjects.parquet")
    pd.DataFrame({"USUBJID": [1, 2, 3], "VISIT": "SCREENING", "LBTESTCD": "BILI", "LBSTRESN": [1.0, 3.0, 1.0],
                  "LBSTRESU": "mg/dL", "LBDTC": "2014-06-20"}).to_parquet(study.data / "lb.parquet")
    study.edit_protocol("source: lb.csv", "source: lb.parquet")
    _use(study, "subjects.parquet")
    result = study.run()
    assert [(d.code, d.message) for d in cell_findings(result)] == [
        ("TS412", "labs.USUBJID: no such subject '3' for row 3")]
    got = outcomes(result)
    assert {s: (o["I1"], o["I3"]) for s, o in got.items()} == {"1": ("pass", "pass"), "2": ("fail", "fail")}


# -- other formats ---------------------------------------------------------------------------------------

def _typed_subjects() -> pd.DataFrame:
    return pd.DataFrame({
        "subject_id": ["P01", "P02", "P03"],
        "age": [61.0, np.inf, 45.0],
        "stage": ["II", "III", "IV"],
        "consent": pd.to_datetime(["2014-06-17", "2014-07-01", None]),
        "prior_therapy": [True, False, True],
    })


def _use(study: Study, source: str) -> None:
    study.edit_protocol("source: subjects.csv", f"source: {source}")
    (study.data / "subjects.csv").unlink()


def test_parquet_with_typed_columns(study: Study) -> None:
    _typed_subjects().to_parquet(study.data / "subjects.parquet")
    _use(study, "subjects.parquet")
    result = study.run()
    assert sorted((d.code, d.message) for d in result.all_findings) == [
        ("TS407", "subjects.age: not a finite number: inf for subject P02 (row 2)"),
        ("TS409", "subjects.stage: undeclared level 'IV' for subject P03 (row 3)"),
    ]
    got = outcomes(result)
    assert got["P01"]["status"] == "eligible"
    assert (got["P02"]["I1"], got["P03"]["I1"], got["P03"]["I2"]) == ("unknown", "fail", "unknown")


def test_xlsx(study: Study) -> None:
    _typed_subjects().to_excel(study.data / "subjects.xlsx", index=False)
    _use(study, "subjects.xlsx")
    result = study.run()
    assert sorted((d.code, d.message, d.span.line) for d in result.all_findings) == [
        ("TS407", "subjects.age: not a finite number: inf for subject P02 (row 2)", 3),  # Excel row 3
        ("TS409", "subjects.stage: undeclared level 'IV' for subject P03 (row 3)", 4),
    ]
    got = outcomes(result)
    assert got["P01"]["status"] == "eligible"
    assert got["P03"]["I1"] == "fail"  # empty date cell: `consent is present` is false


def test_xpt_with_labels(study: Study) -> None:
    """The fixture (fixtures/make_xpt.py) carries a dataset label and column labels."""
    (study.data / "dm.xpt").write_bytes((FIXTURES / "dm_labels.xpt").read_bytes())
    study.set_protocol(study.protocol.read_text("utf-8").replace(
        """    source: subjects.csv
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      stage: {type: category, levels: [I, II, III]}
      consent: {type: date}
      prior_therapy: {type: boolean}
""", """    source: dm.xpt
    key: USUBJID
    columns:
      age: {type: number, unit: years, source: AGE}
      stage: {type: category, levels: [IA, IB, IIA, IIB, IIIA, IIIB], source: STAGE}
""").replace("age between 18 and 75 and consent is present", "age between 18 and 75").replace(
        "stage in [II, III]", "stage in [IIA, IIB, IIIA, IIIB]"))
    (study.data / "subjects.csv").unlink()
    result = study.run()
    assert result.all_findings == []
    got = outcomes(result)
    assert {s: (o["I1"], o["I2"]) for s, o in got.items()} == {
        "P01": ("pass", "pass"), "P02": ("fail", "pass"), "P03": ("unknown", "fail")}
    assert result.manifest.datasets[0] == {
        "name": "subjects", "path": "dm.xpt", "rows": 3,
        "sha256": hashlib.sha256((FIXTURES / "dm_labels.xpt").read_bytes()).hexdigest()}


def test_corrupt_parquet_is_unreadable(study: Study) -> None:
    study.write("subjects.parquet", b"PAR1 this is not parquet")
    _use(study, "subjects.parquet")
    [d] = findings(study.run(), "TS413")
    assert d.message.startswith("dataset 'subjects': cannot read subjects.parquet: ")


# -- inputs are never modified ----------------------------------------------------------------------------

def test_input_files_are_byte_identical_after_a_run(study: Study, tmp_path: Path) -> None:
    _typed_subjects().to_parquet(study.data / "s.parquet")
    _typed_subjects().to_excel(study.data / "s.xlsx", index=False)
    (study.data / "dm.xpt").write_bytes((FIXTURES / "dm_labels.xpt").read_bytes())
    study.write("subjects.csv", b"\xef\xbb\xbf" + SUBJECTS.replace(",", ";").replace("61", "sixty").encode())
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\r\n"
                          "P01,SCREENING,BILI,1,mg/dx,x\r\n")
    before = study.hashes()
    mtimes = {p.name: p.stat().st_mtime_ns for p in study.data.iterdir()}
    protocol_before = hashlib.sha256(study.protocol.read_bytes()).hexdigest()
    out = tmp_path / "report.json"
    assert main(["check", str(study.protocol), "--data", str(study.data), "--format", "json",
                 "--output", str(out)]) == 1
    assert main(["explain", str(study.protocol), "--data", str(study.data), "--subject", "P02"]) == 0
    for source in ("s.parquet", "s.xlsx"):
        study.edit_protocol("source: subjects.csv" if source == "s.parquet" else "source: s.parquet",
                            f"source: {source}")
        study.run()
    assert study.hashes() == before
    assert {p.name: p.stat().st_mtime_ns for p in study.data.iterdir()} == mtimes
    assert sorted(p.name for p in study.data.iterdir()) == sorted(before)  # nothing written beside them
    assert protocol_before != hashlib.sha256(study.protocol.read_bytes()).hexdigest()  # (edited by the test)


def test_a_blank_line_does_not_shift_the_lines_findings_point_at(study: Study) -> None:
    # P03's age "sixty" is not a number: it is on line 6 of the file, after two blank lines
    study.write("subjects.csv", SUBJECTS.replace("P02,", "\nP02,").replace("P03,45", "\nP03,sixty"))
    (bad,) = [d for d in study.run().all_findings if "'sixty'" in d.message]
    assert bad.span is not None and (bad.span.line, bad.span.col) == (6, 2)
    assert "subject P03 (row 3)" in bad.message  # the data row is still the third
    assert (study.data / "subjects.csv").read_text("utf-8").splitlines()[5].startswith("P03,")


@pytest.mark.parametrize(("text", "lines"), [
    ("a,b\n1,x\n3,y\n", None),  # nothing to map: a row's line is its position + the header's
    ("a,b\n1,x\n3,y\n\n\n", None),  # blank lines at the end shift nothing
    ("a,b\n1,x\n\n3,y\n", [2, 4]),
    ("\na,b\n1,x\n3,y\n", [3, 4]),  # a blank line before the header
    ("a,b\n1,x\n   \n3,y\n", [2, 4]),  # spaces only: pandas skips it too
    ("x,y\n1,2\n\n \t\n3,4\n", [2, 5]),
    ("a,b\r\n1,x\r\n\r\n3,y\r\n", [2, 4]),
    ("\ufeffa,b\n1,x\n\n3,y\n", [2, 4]),
    ('a,b\n1,"two\nlines"\n3,x\n', [2, 4]),  # a quoted line break, no blank line
    ('a,b\n1,"two\nlines"\n\n3,x\n', [2, 5]),
    ('a,b\n1,"x\n\ny"\n2,z\n', [2, 5]),  # a blank line inside quotes is data
    ("a,b\n1,x\n\n3,y", [2, 4]),  # no final line break
])
def test_each_record_keeps_its_own_line(study: Study, text: str, lines: list[int] | None) -> None:
    from trialspec.engine.pandas.read import RECORD_LINES, read_table

    df = read_table(study.write("x.csv", text), "csv")
    assert len(df) == 2
    got = df.attrs.get(RECORD_LINES)
    assert (None if got is None else got.tolist()) == lines


def test_a_huge_field_with_a_blank_line_is_still_read(study: Study) -> None:
    from trialspec.engine.pandas.read import RECORD_LINES, read_table

    big = "x" * 200_000
    df = read_table(study.write("x.csv", f'a,b\n1,"{big}"\n\n3,y\n'), "csv")
    assert df["a"].tolist() == ["1", "3"] and df.attrs[RECORD_LINES].tolist() == [2, 4]
