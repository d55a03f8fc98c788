"""`trialspec infer DATA_DIR`: a draft `datasets:` that lints clean, on the shipped examples'
data and on SDTM XPT files of the CDISC pilot (examples/cdiscpilot01/data: dm, ex, sc)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from trialspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {
    "seed": ROOT / "examples" / "seed" / "data",
    "t2dm": ROOT / "examples" / "t2dm-glucoflozin" / "data",
    "cdiscpilot01": ROOT / "examples" / "cdiscpilot01" / "data",
}


def infer(folder: Path, out: Path, *extra: str) -> dict:
    assert main(["infer", str(folder), "--output", str(out), *extra]) == 0
    return yaml.safe_load(out.read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_the_draft_lints_clean(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trialspec.pipeline import lint

    out = tmp_path / "draft.yaml"
    infer(FOLDERS[name], out, *(["--standard", "sdtm"] if name == "cdiscpilot01" else []))
    result = lint([str(out)])
    assert result.diagnostics == []  # no error, no warning


@pytest.mark.parametrize("name", ["seed", "t2dm"])
def test_the_draft_checks_its_own_data_without_errors(name: str, tmp_path: Path) -> None:
    out = tmp_path / "draft.yaml"
    infer(FOLDERS[name], out)
    assert main(["check", str(out), "--data", str(FOLDERS[name]), "--format", "json",
                 "--output", str(tmp_path / "r.json")]) == 0


def test_seed_types_units_levels_and_the_long_lab_table(tmp_path: Path) -> None:
    draft = infer(FOLDERS["seed"], tmp_path / "d.yaml")["datasets"]
    assert next(iter(draft)) == "subjects"  # the population first: a check screens the first keyed table
    subjects = draft["subjects"]
    assert subjects["key"] == "subject_id"
    cols = subjects["columns"]
    assert cols["subject_id"] == {"type": "string"}
    assert cols["age"]["type"] == "number" and cols["consent_date"]["type"] == "date"
    assert cols["sex"] == {"type": "category", "levels": ["female", "male"]}
    assert cols["diabetes"]["type"] == "boolean"
    lb = draft["lb"]
    assert lb["long"] == {"subject": "USUBJID", "test": "LBTESTCD", "value": "LBSTRESN", "unit": "LBSTRESU",
                          "time": "LBDTC", "visit": "VISIT"}
    # rows in mg/dL and umol/L: converted to the commoner, through the analyte's molar mass
    bili = {"test": "BILI", "type": "number", "unit": "mg/dL", "analyte": "bilirubin"}
    assert lb["columns"]["bili"] == bili
    assert lb["columns"]["neut"]["unit"] == "10^9/L"
    assert draft["exposure"]["subject"] == "subject_id"  # several rows per subject
    assert draft["table2_trials"]["level"] == "study" and draft["table2_trials"]["key"] == "trial"


def test_unit_column_when_rows_differ(tmp_path: Path) -> None:
    draft = infer(FOLDERS["t2dm"], tmp_path / "d.yaml")["datasets"]
    dose = draft["subjects"]["columns"]["metformin_dose"]
    assert dose["unit_column"] == "metformin_unit" and dose["unit"] in ("mg/day", "g/day")


def test_sdtm_xpt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = infer(FOLDERS["cdiscpilot01"], tmp_path / "d.yaml", "--standard", "sdtm")["datasets"]
    assert capsys.readouterr().err.count("TS447") >= 1  # RFICDTC is blank in every row of dm
    dm = draft["dm"]
    assert dm["key"] == "USUBJID" and "STUDYID" not in dm["columns"]
    assert dm["columns"]["AGE"] == {"type": "number", "unit": "years"}  # from AGEU = YEARS
    assert dm["columns"]["SEX"] == {"type": "category", "levels": ["F", "M"]}
    assert draft["ex"]["subject"] == "USUBJID" and draft["ex"]["columns"]["EXDOSE"]["unit"] == "mg"
    sc = draft["sc"]  # a findings domain: long, one column per test code
    assert sc["long"]["test"] == "SCTESTCD" and sc["columns"]["edlevel"]["test"] == "EDLEVEL"


def test_an_unreadable_file_is_reported_not_raised(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(FOLDERS["seed"] / "subjects.csv", folder)
    (folder / "broken.csv").write_bytes("a,b\n1,2\n".encode("utf-16"))
    draft = infer(folder, tmp_path / "d.yaml")["datasets"]
    assert set(draft) == {"subjects"}
    assert "TS445" in capsys.readouterr().err


def test_never_onto_a_data_file_even_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "patients.csv").write_text("id,age\nP1,40\nP2,51\n", "utf-8")
    before = (data / "patients.csv").read_bytes()
    link = tmp_path / "draft.yaml"
    link.symlink_to(data / "patients.csv")  # write_atomic follows a link and replaces its target
    assert main(["infer", str(data), "--output", str(link)]) == 2
    assert "TS901" in capsys.readouterr().err
    assert (data / "patients.csv").read_bytes() == before
    assert main(["infer", str(data), "--output", str(data / "patients.csv")]) == 2
    assert (data / "patients.csv").read_bytes() == before
    assert main(["infer", str(data), "--output", str(data / "draft.yaml")]) == 0  # beside the data: fine
    assert yaml.safe_load((data / "draft.yaml").read_text("utf-8"))["datasets"]["patients"]
