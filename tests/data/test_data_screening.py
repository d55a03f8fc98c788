"""Screening on bound data: unit conversion at the threshold, three-valued logic, and the JSON
report of `trialspec check` (valid, atomic, deterministic)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from datastudy import Study, cell_findings, findings, outcomes

from trialspec.cli import main

LAB_HEADER = "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n"


def _subjects(n: int) -> str:
    return "subject_id,age,stage,consent,prior_therapy\n" + "".join(
        f"P{i:02d},61,II,2014-06-17,true\n" for i in range(1, n + 1))


# -- unit conversion exactness ---------------------------------------------------------------------

BILIRUBIN = {  # subject: (value, unit, outcome of `bilirubin <= 2.0 mg/dL`)
    "P01": ("2.0", "mg/dL", "pass"),
    "P02": ("2.0000001", "mg/dL", "fail"),
    "P03": ("34.2079", "umol/L", "pass"),  # 1.99999908 mg/dL
    "P04": ("34.2080", "umol/L", "fail"),  # 2.00000493 mg/dL
    "P05": ("34.20791571169569", "umol/L", "pass"),  # 2.0 mg/dL exactly, at 584.66 g/mol
    "P06": ("34", "umol/L", "pass"),  # the seed paper's "<= 34 umol/L (2.0 mg/dL)"
    "P07": ("34.21", "umol/L", "fail"),  # what 2.0 mg/dL is often rounded to: 2.00012 mg/dL
    "P08": ("0.0342079", "mmol/L", "pass"),
    "P09": ("20", "mg/L", "pass"),
    "P10": ("20.01", "mg/L", "fail"),
    "P11": ("1.0", "mg/dx", "unknown"),  # TS408: never compared in the wrong unit
}


def test_bilirubin_in_mixed_units_is_decided_at_the_boundary(study: Study) -> None:
    study.write("subjects.csv", _subjects(len(BILIRUBIN)))
    study.write("lb.csv", LAB_HEADER + "".join(
        f"{s},SCREENING,BILI,{v},{u},2014-06-20\n" for s, (v, u, _) in BILIRUBIN.items()))
    result = study.run()
    assert {s: o["I3"] for s, o in outcomes(result).items()} == {s: w for s, (_, _, w) in BILIRUBIN.items()}
    assert [d.code for d in cell_findings(result)] == ["TS408"]


def test_threshold_in_the_data_unit_matches_the_same_data_value(study: Study) -> None:
    """`<= 34.2 umol/L` on a column in mg/dL: the constant and a value written 34.2 umol/L are
    converted by the same factor, so they compare equal (no rounding drift at the boundary)."""
    study.edit_protocol("when: bilirubin <= 2.0 mg/dL", "when: bilirubin <= 34.2 umol/L")
    study.write("subjects.csv", _subjects(3))
    study.write("lb.csv", LAB_HEADER + "P01,SCREENING,BILI,34.2,umol/L,x\n"
                                       "P02,SCREENING,BILI,34.20001,umol/L,x\n"
                                       "P03,SCREENING,BILI,1.99953,mg/dL,x\n")  # <= 1.9995372
    result = study.run()
    assert {s: o["I3"] for s, o in outcomes(result).items()} == {"P01": "pass", "P02": "fail", "P03": "pass"}


def test_explain_names_the_unit_each_value_was_written_in(study: Study,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    study.write("lb.csv", LAB_HEADER + "P01,SCREENING,BILI,34.2079,umol/L,2014-06-20\n")
    out = study.root / "p01.json"
    assert main(["explain", str(study.protocol), "--data", str(study.data), "--subject", "P01",
                 "--format", "json", "--output", str(out)]) == 0
    tables = json.loads(out.read_text("utf-8"))["tables"]
    i3 = next(t for t in tables if t["title"].startswith("I3 passes"))
    source = next(r for r in i3["rows"] if r[0].strip() == "labs.bilirubin")
    assert source[2] == "labs row 1, written in umol/L"


WIDE_UNIT_COLUMN = "      bilirubin_w: {type: number, unit_column: bili_unit, analyte: bilirubin}\n"


def test_unit_column_without_a_target_unit_cannot_be_compared(study: Study) -> None:
    study.edit_protocol("      prior_therapy: {type: boolean}\n",
                        "      prior_therapy: {type: boolean}\n" + WIDE_UNIT_COLUMN)
    study.edit_protocol("when: bilirubin <= 2.0 mg/dL", "when: bilirubin_w <= 2.0 mg/dL")
    study.write("lb.csv", LAB_HEADER)
    result = study.run()
    assert result.section("eligibility") is None  # refused at compile time, not compared raw
    [d] = [d for d in result.diagnostics if d.code == "TS309"]
    assert "bilirubin_w carries its unit per row" in d.message and "unit: mg/dL" in d.hint


def test_wide_unit_column_is_converted_to_the_declared_unit(study: Study) -> None:
    study.edit_protocol("      prior_therapy: {type: boolean}\n",
                        "      prior_therapy: {type: boolean}\n"
                        + WIDE_UNIT_COLUMN.replace("{type: number,", "{type: number, unit: mg/dL,"))
    study.edit_protocol("when: bilirubin <= 2.0 mg/dL", "when: bilirubin_w <= 2.0 mg/dL")
    # 2.0 mg/dL of bilirubin is 34.2079 umol/L: just under and just over the limit
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy,bilirubin_w,bili_unit\n"
                                "P01,61,II,2014-06-17,true,34.2079,umol/L\nP02,61,II,2014-06-17,true,2.1,mg/dL\n"
                                "P03,61,II,2014-06-17,true,1.0,mg/dx\nP04,61,II,2014-06-17,true,34.21,umol/L\n")
    study.write("lb.csv", LAB_HEADER)
    result = study.run()
    got = {s: o["I3"] for s, o in outcomes(result).items()}
    assert got == {"P01": "pass", "P02": "fail", "P03": "unknown", "P04": "fail"}
    [d] = findings(result, "TS408")
    assert d.message == ("subjects.bilirubin_w: cannot convert to mg/dL from unit 'mg/dx' "
                         "for subject P03 (row 3)")


# -- three-valued logic -------------------------------------------------------------------------------

def test_or_passes_on_one_true_branch_whatever_the_others(study: Study) -> None:
    study.write("subjects.csv", _subjects(6))
    study.write("lb.csv", LAB_HEADER
                + "P01,SCREENING,SPEP,1.2,g/dL,x\n"  # serum true; urine and FLC absent
                + "P02,SCREENING,SPEP,,g/dL,x\nP02,SCREENING,UPEP,250,mg/24h,x\n"  # serum empty; urine true
                + "P03,SCREENING,SPEP,0.1,g/dL,x\nP03,SCREENING,UPEP,10,mg/24h,x\n"  # false, false, no FLC
                + "P04,SCREENING,SPEP,0.1,g/dL,x\nP04,SCREENING,UPEP,10,mg/24h,x\n"
                + "P04,SCREENING,FLC,2,mg/dL,x\n"
                + "P05,SCREENING,FLC,100,mg/L,x\n"  # FLC true after conversion (10 mg/dL)
                + "P06,SCREENING,SPEP,abc,g/dL,x\n")  # wrong type: unknown, not false
    for s in ("P01", "P02", "P03", "P04", "P05", "P06"):
        study.write("lb.csv", (study.data / "lb.csv").read_text("utf-8") + f"{s},SCREENING,BILI,1,mg/dL,x\n")
    result = study.run()
    got = outcomes(result)
    assert {s: o["I4"] for s, o in got.items()} == {
        "P01": "pass", "P02": "pass", "P03": "unknown", "P04": "fail", "P05": "pass", "P06": "unknown"}
    assert {s: o["status"] for s, o in got.items()} == {
        "P01": "eligible", "P02": "eligible", "P03": "indeterminate", "P04": "ineligible",
        "P05": "eligible", "P06": "indeterminate"}
    section = result.section("eligibility")
    assert section is not None
    missing = section.summary["subjects"]["missing"]
    assert missing["P03"] == ["I4: labs.flc missing"]
    assert missing["P06"] == [  # in the order the clauses are written
        "I4: labs.serum_m missing", "I4: labs.urine_m missing", "I4: labs.flc missing"]


def test_and_fails_on_one_false_branch_even_with_missing_data(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,80,II,,true\nP02,,II,2014-06-17,true\n")
    got = outcomes(study.run())
    assert got["P01"]["I1"] == "fail"  # age 80 is false, so the missing consent does not matter
    assert got["P02"]["I1"] == "unknown"


def test_attrition_and_gain_in_protocol_order(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,61,II,2014-06-17,true\nP02,80,II,2014-06-17,true\nP03,61,I,2014-06-17,true\n"
                                "P04,80,I,2014-06-17,true\nP05,,II,2014-06-17,true\n")
    study.write("lb.csv", LAB_HEADER + "".join(
        f"P0{i},SCREENING,BILI,1,mg/dL,x\nP0{i},SCREENING,SPEP,1,g/dL,x\n" for i in range(1, 6)))
    section = study.run().section("eligibility")
    assert section is not None
    summary = section.summary
    # gain counts the subjects whose only criterion not passed is this one (failed or unknown):
    # I1 -> P02 (age 80) and P05 (age missing); I2 -> P03 (stage I)
    assert summary["counts"] == {"eligible": 1, "ineligible": 3, "indeterminate": 1}
    rows = [(c["id"], c["pass"], c["fail"], c["unknown"], c["remaining"], c["gain"])
            for c in summary["criteria"]]
    assert rows == [
        ("I1", 2, 2, 1, 2, 2), ("I2", 3, 2, 0, 1, 1), ("I3", 5, 0, 0, 1, 0), ("I4", 5, 0, 0, 1, 0)]


# -- the JSON report ---------------------------------------------------------------------------------------

def _messy(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,sixty,II,2014-06-17,true\nP02,inf,IV,2014-07-01,false\n"
                                "P03,45,II,03/04/2015,maybe\nP01,50,II,2014-06-17,true\nP04,70,III,2014,no\n")
    study.write("lb.csv", LAB_HEADER + "P99,SCREENING,BILI,1,mg/dL,x\nP02,SCREENING,BILI,1,mg/dx,x\n"
                                       "P04,SCREENING,BILI,20,umol/L,x\nP04,SCREENING,UPEP,300,mg/24h,x\n")


def test_json_report_is_valid_complete_and_written_atomically(study: Study, tmp_path: Path) -> None:
    _messy(study)
    reports = tmp_path / "reports"
    out = reports / "check.json"
    assert main(["check", str(study.protocol), "--data", str(study.data), "--format", "json",
                 "--output", str(out)]) == 1
    assert sorted(p.name for p in reports.iterdir()) == ["check.json"]  # no temporary file left
    doc = json.loads(out.read_text("utf-8"))
    assert list(doc) == ["report_version", "manifest", "ok", "summary", "diagnostics", "sections"]
    assert doc["ok"] is False
    datasets = doc["manifest"]["datasets"]
    assert [(d["name"], d["path"], d["rows"]) for d in datasets] == [("subjects", "subjects.csv", 5),
                                                                     ("labs", "lb.csv", 4)]
    for d in datasets:
        assert d["sha256"] == hashlib.sha256((study.data / d["path"]).read_bytes()).hexdigest()
    assert sorted({d["code"] for d in doc["diagnostics"]} - {"TS420"}) == [
        "TS404", "TS406", "TS407", "TS408", "TS409", "TS410", "TS412"]
    first = doc["diagnostics"][0]
    assert list(first) == ["code", "name", "severity", "message", "location", "hint", "related", "about"]
    assert set(first["about"]) <= {"subject", "dataset", "column", "row", "value"}  # a cell's fields
    assert {"dataset", "column", "row"} <= set(first["about"])
    subjects = doc["sections"]["eligibility"]["summary"]["subjects"]
    assert subjects["id"] == ["P01", "P02", "P03", "P04"]
    assert dict(zip(subjects["id"], subjects["status"], strict=True))["P04"] == "eligible"


def test_json_report_bytes_are_the_same_run_after_run(study: Study, tmp_path: Path) -> None:
    """Two processes with different hash seeds: no set or dict order leaks into the report."""
    _messy(study)
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"r{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "trialspec.cli", "check", str(study.protocol), "--data",
                               str(study.data), "--format", "json", "--output", str(out)],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0].endswith(b"}\n")
