"""Criteria the data cannot decide (`when: not recorded`, `collected: false`), whom a row table
is complete for (`complete_for:`), and a declared test code the file does not have (TS420)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trialspec.compiled import check_model
from trialspec.domain.eligibility import NOT_ASSESSABLE, PASS, UNKNOWN, screen
from trialspec.pipeline import check
from trialspec.protocol import load_protocol_text

PROTOCOL = """\
trialspec: 1
study: {id: NA}
datasets:
  dm:
    source: dm.csv
    key: USUBJID
    columns:
      age: {type: number, unit: years}
      arm: {type: category, levels: [A, B, SCRNFAIL]}
      ecg: {type: boolean, collected: false}
  mh:
    source: mh.csv
    subject: USUBJID
    complete_for: randomized
    columns:
      term: {source: MHDECOD, type: string}
  lb:
    source: lb.csv
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, visit: VISIT}
    pick: {visit: SCREENING}
    columns:
      alt: {test: ALT, type: number}
      folate: {test: FOLATE, type: number}
definitions:
  randomized: arm is present and arm != SCRNFAIL
eligibility:
  inclusion:
    I1: {text: Adult, when: age >= 18 years}
    I2: {text: Informed consent, when: not recorded}
    I3: {text: Normal ECG, when: ecg}
  exclusion:
    E1: {text: History of syncope, when: any(mh where term == "SYNCOPE")}
    E2: {text: Low folate, when: folate < 10}
"""
DM = "USUBJID,age,arm\nS1,60,A\nS2,70,B\nS3,50,SCRNFAIL\nS4,16,A\n"
MH = "USUBJID,MHDECOD\nS2,SYNCOPE\nS2,HEADACHE\n"
LB = "USUBJID,VISIT,LBTESTCD,LBSTRESN\nS1,SCREENING,ALT,20\nS2,SCREENING,ALT,30\n"


def run(tmp_path: Path, protocol: str = PROTOCOL) -> object:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name, text in (("dm.csv", DM), ("mh.csv", MH), ("lb.csv", LB)):
        (data / name).write_text(text, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(protocol, encoding="utf-8")
    return check(tmp_path / "p.yaml", data)


NOT_COLLECTED = PROTOCOL.replace("folate: {test: FOLATE, type: number}",
                                 "folate: {test: FOLATE, type: number, collected: false}")


def test_not_recorded_and_not_collected_are_not_assessable(tmp_path: Path) -> None:
    result = run(tmp_path, NOT_COLLECTED)
    elig = result.section("eligibility")
    criteria = {c["id"]: c for c in elig.summary["criteria"]}
    assert criteria["I2"]["not_assessable"] == 4 and criteria["I2"]["unknown"] == 0
    assert criteria["I3"]["not_assessable"] == 4 and criteria["I3"]["unknown"] == 0
    outcomes = elig.summary["subjects"]["outcomes"]
    assert outcomes["I2"] == ["not assessable"] * 4
    # not assessable decides nobody's status: S1 is eligible, S4 (age 16) ineligible
    status = dict(zip(elig.summary["subjects"]["id"], elig.summary["subjects"]["status"], strict=True))
    assert status["S1"] == "eligible" and status["S4"] == "ineligible"
    assert status["S2"] == "ineligible"  # syncope
    # the ECG column is not in the file and is declared not collected: no TS403
    assert "TS403" not in [d.code for d in result.all_findings]


def test_complete_for_makes_no_rows_unknown_only_for_the_uncovered(tmp_path: Path) -> None:
    outcomes = run(tmp_path).section("eligibility").summary["subjects"]["outcomes"]["E1"]
    # S1 randomized, no MH rows: no syncope (pass); S2 has it (fail); S3 is a screen failure
    # the MH table does not cover: unknown, not "no history"
    assert outcomes == ["pass", "fail", "unknown", "pass"]


def test_without_complete_for_no_rows_is_none(tmp_path: Path) -> None:
    outcomes = run(tmp_path, PROTOCOL.replace("    complete_for: randomized\n", "")).section(
        "eligibility").summary["subjects"]["outcomes"]["E1"]
    assert outcomes == ["pass", "fail", "pass", "pass"]


def test_a_declared_test_code_absent_from_the_file_is_a_warning_listing_the_codes(tmp_path: Path) -> None:
    found = [d for d in run(tmp_path).all_findings if d.code == "TS420"]
    assert len(found) == 1
    assert "'FOLATE'" in found[0].message and found[0].severity.value == "warning"
    assert found[0].hint is not None and "ALT" in found[0].hint
    assert found[0].span is not None and found[0].span.line == 23  # the folate declaration


def test_a_test_declared_not_collected_is_not_reported_absent(tmp_path: Path) -> None:
    result = run(tmp_path, NOT_COLLECTED)
    assert "TS420" not in [d.code for d in result.all_findings]
    criteria = {c["id"]: c for c in result.section("eligibility").summary["criteria"]}
    assert criteria["E2"]["not_assessable"] == 4


def test_complete_for_must_name_a_definition() -> None:
    text = PROTOCOL.replace("complete_for: randomized", "complete_for: randomised")
    model, diags = load_protocol_text(text)
    assert model is not None and not diags
    _checked, found = check_model(model)
    ts320 = [d for d in found if d.code == "TS320"]
    assert len(ts320) == 1 and ts320[0].hint == "Did you mean 'randomized'?"


def test_screen_counts_not_assessable_apart() -> None:
    outcomes = np.array([[PASS, NOT_ASSESSABLE], [UNKNOWN, NOT_ASSESSABLE]], dtype=np.int8, order="F")
    result = screen(np.array(["a", "b"], dtype=object), ["I1", "I2"], ["inclusion", "inclusion"],
                    ["x", "y"], outcomes)
    assert result.counts == {"eligible": 1, "ineligible": 0, "indeterminate": 1}
    i2 = result.summary[1]
    assert (i2.passed, i2.failed, i2.unknown, i2.not_assessable) == (0, 0, 0, 2)


def test_explain_says_not_assessable(tmp_path: Path) -> None:
    from trialspec.pipeline import explain_subject

    run(tmp_path, NOT_COLLECTED)
    _result, tables = explain_subject(tmp_path / "p.yaml", tmp_path / "data", "S1")
    assert tables is not None
    titles = [t.title for t in tables]
    assert any(t.startswith("I2 is not assessable: Informed consent") for t in titles)
    i2 = next(t for t in tables if t.title.startswith("I2 "))
    assert i2.rows == (("not recorded", "", "the study's data cannot decide this criterion"),)


def test_a_test_code_absent_at_the_picked_visit_is_a_warning(tmp_path: Path) -> None:
    protocol = NOT_COLLECTED.replace("pick: {visit: SCREENING}", "pick: {visit: BASELINE}")
    found = [d for d in run(tmp_path, protocol).all_findings if d.code == "TS420"]
    assert len(found) == 1 and "'ALT' at visit 'BASELINE'" in found[0].message
