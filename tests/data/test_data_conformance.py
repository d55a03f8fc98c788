"""Data conformance (issue 3, point 2): each problem is a finding with its code, and it names the
dataset, the row (or subject key), the column and the value; its span is the file and line.

Lines: a CSV's header is line 1, so data row r (1-based) is on line r + 1; a span's column is the
1-based position of the cell's column in the file.
"""

from __future__ import annotations

import pandas as pd
from datastudy import Study, cell_findings, findings, outcomes

from trialspec.check.conformance_plan import CheckIndex, ConformanceCheck
from trialspec.check.conformance_render import render
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.engine.binding import failure_table
from trialspec.engine.pandas.conform import Where, as_category
from trialspec.results import CheckResult


def _only(result: CheckResult, code: str) -> Diagnostic:
    found = findings(result, code)
    assert len(found) == 1, [f"{d.code} {d.message}" for d in result.all_findings]
    return found[0]


def test_clean_study_has_no_findings(study: Study) -> None:
    result = study.run()
    assert result.all_findings == []
    assert {s: o["status"] for s, o in outcomes(result).items()} == {
        "P01": "eligible", "P02": "eligible", "P03": "eligible"}


# -- TS403 missing declared columns -------------------------------------------------------------

def test_missing_column_is_named_with_the_files_column_and_rules_become_unknown(study: Study) -> None:
    study.write("subjects.csv", "subject_id,AGE_YRS,stage,consent,prior_therapy\nP01,61,II,2014-06-17,true\n")
    result = study.run()
    d = _only(result, "TS403")
    assert d.severity is Severity.ERROR
    assert d.message == "dataset 'subjects' has no column 'age' (for 'age')"
    assert d.hint == "The file has 'AGE_YRS'; declare `source: AGE_YRS`?"
    assert (d.span.path, d.span.line) == (str(study.protocol), study.line_of("age: {type: number"))
    assert outcomes(result)["P01"]["I1"] == "unknown"  # not a crash, not a silent fail


def test_missing_column_without_a_near_name_lists_the_files_columns(study: Study) -> None:
    study.write("subjects.csv", "subject_id,stage,consent,prior_therapy\nP01,II,2014-06-17,true\n")
    d = _only(study.run(), "TS403")
    assert d.hint == "The file's columns: subject_id, stage, consent, prior_therapy"


def test_declared_source_column_is_used(study: Study) -> None:
    study.edit_protocol("age: {type: number, unit: years}",
                        "age: {type: number, unit: years, source: AGE_YRS}")
    study.write("subjects.csv", "subject_id,AGE_YRS,stage,consent,prior_therapy\nP01,80,II,2014-06-17,true\n")
    result = study.run()
    assert findings(result, "TS403") == []
    assert outcomes(result)["P01"]["I1"] == "fail"


def test_missing_unit_column_makes_values_unknown_not_read_in_another_unit(study: Study) -> None:
    study.edit_protocol("      prior_therapy: {type: boolean}\n",
                        "      prior_therapy: {type: boolean}\n"
                        "      crea: {type: number, unit: mg/dL, unit_column: crea_unit,"
                        " analyte: creatinine}\n")
    study.edit_protocol("      when: stage in [II, III]\n", "      when: stage in [II, III] and crea >= 0\n")
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy,crea,CREA_UNIT\n"
                                "P01,61,II,2014-06-17,true,90,umol/L\n")
    result = study.run()
    d = _only(result, "TS403")
    assert d.message == "dataset 'subjects' has no column 'crea_unit' (for 'crea')"
    assert d.hint == "The file has 'CREA_UNIT'; declare `unit_column: CREA_UNIT`?"
    assert outcomes(result)["P01"]["I2"] == "unknown"


def test_missing_long_layout_column_is_named_and_screening_stops(study: Study) -> None:
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,UNIT,LBDTC\n"
                          "P01,SCREENING,BILI,1.0,mg/dL,2014-06-20\n")
    result = study.run()
    d = _only(result, "TS403")
    assert d.message == "dataset 'labs' has no column 'LBSTRESU' (for 'long.unit')"
    # the value column LBSTRESN is not offered: it is already the layout's value
    assert d.hint == "The file's columns: USUBJID, VISIT, LBTESTCD, LBSTRESN, UNIT, LBDTC"
    assert d.span.path == str(study.protocol)
    assert result.section("eligibility") is None  # cannot be joined: no screening, and no crash


# -- TS406 wrong type, TS407 not finite -------------------------------------------------------

def test_text_in_a_number_column(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,61,II,2014-06-17,true\nP02,sixty,III,2014-07-01,false\n")
    result = study.run()
    d = _only(result, "TS406")
    assert d.message == "subjects.age: not a number: 'sixty' for subject P02 (row 2)"
    assert (d.span.path, d.span.line, d.span.col) == (str(study.data / "subjects.csv"), 3, 2)
    assert d.related and d.related[0][1].path == str(study.protocol)  # the declaration
    assert outcomes(result)["P02"]["I1"] == "unknown"


def test_text_in_a_boolean_column(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\nP01,61,II,2014-06-17,maybe\n")
    d = _only(study.run(), "TS406")
    assert d.message == "subjects.prior_therapy: not true/false: 'maybe' for subject P01 (row 1)"
    assert (d.span.line, d.span.col) == (2, 5)


def test_nan_and_inf_are_not_finite(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,NaN,II,2014-06-17,true\nP02,inf,III,2014-07-01,false\n"
                                "P03,-Infinity,II,2014-08-02,yes\n")
    result = study.run()
    found = findings(result, "TS407")
    assert [d.message for d in found] == [
        "subjects.age: not a finite number: 'NaN' for subject P01 (row 1)",
        "subjects.age: not a finite number: 'inf' for subject P02 (row 2)",
        "subjects.age: not a finite number: '-Infinity' for subject P03 (row 3)",
    ]
    assert [(d.span.line, d.span.col) for d in found] == [(2, 2), (3, 2), (4, 2)]
    assert findings(result, "TS406") == []  # reported once, as not finite
    assert {o["I1"] for o in outcomes(result).values()} == {"unknown"}


def test_inf_in_a_lab_value(study: Study) -> None:
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n"
                          "P01,SCREENING,BILI,inf,mg/dL,2014-06-20\n")
    result = study.run()
    d = _only(result, "TS407")
    assert d.message == "labs.bilirubin: not a finite number: 'inf' for subject P01 (row 1)"
    assert (d.span.path, d.span.line, d.span.col) == (str(study.data / "lb.csv"), 2, 4)
    assert outcomes(result)["P01"]["I3"] == "unknown"


# -- TS408 bad units ------------------------------------------------------------------------------

def test_bad_unit_in_a_long_tables_unit_column(study: Study) -> None:
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n"
                          "P01,SCREENING,BILI,1.0,mg/dx,2014-06-20\n"
                          "P02,SCREENING,BILI,1.0,,2014-07-03\n"
                          "P03,SCREENING,BILI,1.0,g/dL/s,2014-08-05\n")
    result = study.run()
    found = findings(result, "TS408")
    assert [d.message for d in found] == [
        "labs.bilirubin: cannot convert to mg/dL from unit 'mg/dx' for subject P01 (row 1)",
        "labs.bilirubin: cannot convert to mg/dL from unit '<missing>' for subject P02 (row 2)",
        "labs.bilirubin: cannot convert to mg/dL from unit 'g/dL/s' for subject P03 (row 3)",
    ]
    assert [(d.span.path, d.span.line, d.span.col) for d in found] == [
        (str(study.data / "lb.csv"), line, 4) for line in (2, 3, 4)]
    # an unconvertible value is unknown: never compared in the wrong unit
    assert {s: o["I3"] for s, o in outcomes(result).items()} == {"P01": "unknown", "P02": "unknown",
                                                                  "P03": "unknown"}


# -- TS409 levels, TS410 dates ------------------------------------------------------------------

def test_undeclared_level(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\nP01,61,IV,2014-06-17,true\n")
    result = study.run()
    d = _only(result, "TS409")
    assert d.message == "subjects.stage: undeclared level 'IV' for subject P01 (row 1)"
    assert d.hint == "Declared levels: I, II, III."
    assert (d.span.line, d.span.col) == (2, 3)
    assert outcomes(result)["P01"]["I2"] == "unknown"  # not "fail": the value is not a level at all


def test_unparseable_dates_are_findings_and_partial_dates_are_accepted(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,61,II,2014-06,true\nP02,61,II,2014,true\nP03,61,II,2014-06-17T10:30:00,true\n"
                                "P04,61,II,03/04/2015,true\nP05,61,II,yesterday,true\n"
                                "P06,61,II,2014-02-30,true\nP07,61,II,2014-13,true\n"
                                "P08,61,II, 2014-06-17 ,true\n")
    result = study.run()
    found = findings(result, "TS410")
    assert [d.message for d in found] == [
        "subjects.consent: not an ISO 8601 date: '03/04/2015' for subject P04 (row 4)",
        "subjects.consent: not an ISO 8601 date: 'yesterday' for subject P05 (row 5)",
        "subjects.consent: not an ISO 8601 date: '2014-02-30' for subject P06 (row 6)",  # no such day
        "subjects.consent: not an ISO 8601 date: '2014-13' for subject P07 (row 7)",
    ]
    assert [(d.span.line, d.span.col) for d in found] == [(5, 4), (6, 4), (7, 4), (8, 4)]
    got = {s: o["I1"] for s, o in outcomes(result).items()}
    # partial dates (and a date with a time, or spaces around it) are dates; a bad date is read
    # as missing, so `consent is present` is false for it, beside its TS410 error
    assert got == {"P01": "pass", "P02": "pass", "P03": "pass", "P08": "pass",
                   "P04": "fail", "P05": "fail", "P06": "fail", "P07": "fail"}


# -- TS404 duplicate keys, TS411 duplicate results, TS412 unknown subjects -------------------------

def test_duplicate_subject_key_keeps_the_first_row(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,61,II,2014-06-17,true\nP02,70,III,2014-07-01,false\nP01,90,II,2014-06-17,true\n")
    result = study.run()
    d = _only(result, "TS404")
    assert d.message == "subjects.subject_id: duplicate key 'P01' for subject P01 (row 3)"
    assert (d.span.path, d.span.line, d.span.col) == (str(study.data / "subjects.csv"), 4, 1)
    got = outcomes(result)
    assert list(got) == ["P01", "P02"]
    assert got["P01"]["I1"] == "pass"  # age 61 from row 1, not 90 from row 3


def test_rows_without_a_subject_key_are_reported_not_screened(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,61,II,2014-06-17,true\n,70,III,2014-07-01,false\n"
                                "   ,65,II,2014-06-17,true\nP01,90,II,2014-06-17,true\n")
    result = study.run()
    blanks = findings(result, "TS415")
    assert [(d.span.line, d.span.col) for d in blanks] == [(3, 1), (4, 1)]
    assert _only(result, "TS404").span.line == 5  # the duplicate is still found past the blanks
    assert list(outcomes(result)) == ["P01"]


def test_duplicate_long_results_keep_the_latest_by_time(study: Study) -> None:
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n"
                          "P01,SCREENING,BILI,5.0,mg/dL,2014-06-20\n"
                          "P01,SCREENING,BILI,1.0,mg/dL,2014-06-10\n"
                          "P01,FOLLOWUP,BILI,0.5,mg/dL,2014-08-10\n")
    result = study.run()
    d = _only(result, "TS411")
    assert d.severity is Severity.WARNING
    assert d.message == "labs.bilirubin: repeated BILI result '1.0' for subject P01 (row 2)"
    assert (d.span.path, d.span.line, d.span.col) == (str(study.data / "lb.csv"), 3, 4)
    assert outcomes(result)["P01"]["I3"] == "fail"  # 5.0 mg/dL, the later screening result


def test_rows_for_unknown_subjects_are_reported(study: Study) -> None:
    study.write("lb.csv", LABS_WITH_STRANGERS)
    result = study.run()
    found = findings(result, "TS412")
    assert [d.message for d in found] == [
        "labs.USUBJID: no such subject 'P99' for row 2",
        "labs.USUBJID: no such subject 'P98' for row 3",
    ]
    assert [(d.span.path, d.span.line, d.span.col) for d in found] == [
        (str(study.data / "lb.csv"), 3, 1), (str(study.data / "lb.csv"), 4, 1)]
    assert all(d.severity is Severity.WARNING for d in found)
    assert list(outcomes(result)) == ["P01", "P02", "P03"]  # not screened


def test_results_of_different_unknown_subjects_are_not_repeats(study: Study) -> None:
    study.write("lb.csv", LABS_WITH_STRANGERS + "P98,SCREENING,BILI,1.0,mg/dL,2014-06-20\n")
    result = study.run()
    assert [d.code for d in cell_findings(result)] == ["TS412"] * 3


LABS_WITH_STRANGERS = ("USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n"
                       "P01,SCREENING,BILI,1.0,mg/dL,2014-06-20\n"
                       "P99,SCREENING,BILI,1.0,mg/dL,2014-06-20\n"
                       "P98,FOLLOWUP,SPEP,1.0,g/dL,2014-06-20\n")


# -- TS405 empty tables ------------------------------------------------------------------------------

def test_empty_population_table(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n")
    result = study.run()
    d = _only(result, "TS405")
    assert d.message == "dataset 'subjects' has no rows"
    assert (d.span.path, d.span.line) == (str(study.protocol), study.line_of("subjects:"))
    assert outcomes(result) == {}


def test_empty_long_table_leaves_its_rules_unknown(study: Study) -> None:
    study.write("lb.csv", "USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC\n")
    result = study.run()
    d = _only(result, "TS405")
    assert d.message == "dataset 'labs' has no rows"
    got = outcomes(result)
    assert {o["I3"] for o in got.values()} == {"unknown"}
    assert {o["status"] for o in got.values()} == {"indeterminate"}


# -- collected, not fail-fast ---------------------------------------------------------------------

def test_every_problem_of_a_file_is_reported_in_one_run(study: Study) -> None:
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n"
                                "P01,sixty,II,2014-06-17,true\n"
                                "P02,inf,IV,2014-07-01,false\n"
                                "P03,45,II,03/04/2015,maybe\n"
                                "P01,50,II,2014-06-17,true\n")
    study.write("lb.csv", LABS_WITH_STRANGERS + "P02,SCREENING,BILI,1.0,mg/dx,2014-07-03\n")
    result = study.run()
    where = {(d.code, d.span.path.rsplit("/", 1)[-1], d.span.line, d.span.col) for d in cell_findings(result)}
    assert where == {
        ("TS406", "subjects.csv", 2, 2), ("TS407", "subjects.csv", 3, 2), ("TS409", "subjects.csv", 3, 3),
        ("TS410", "subjects.csv", 4, 4), ("TS406", "subjects.csv", 4, 5), ("TS404", "subjects.csv", 5, 1),
        ("TS412", "lb.csv", 3, 1), ("TS412", "lb.csv", 4, 1), ("TS408", "lb.csv", 5, 4),
    }
    assert outcomes(result)  # and screening still ran


def test_more_than_five_rows_of_one_problem_show_five_and_count_the_rest(study: Study) -> None:
    rows = "".join(f"P{i:02d},old,II,2014-06-17,true\n" for i in range(1, 9))
    study.write("subjects.csv", "subject_id,age,stage,consent,prior_therapy\n" + rows)
    found = findings(study.run(), "TS406")
    assert [d.message for d in found] == [
        *(f"subjects.age: not a number: 'old' for subject P{i:02d} (row {i})" for i in range(1, 6)),
        "subjects.age: 3 more rows like these (8 in all)",
    ]
    assert [d.span.line for d in found] == [2, 3, 4, 5, 6, 7]  # the summary points at the 6th


def test_cells_of_mixed_types_keep_their_own_text() -> None:
    """A DataFrame column holding 2, True and 1 (objects): pandas hashes True as 1, but the
    level check must see the text 'True' (an undeclared level), not '1'."""
    values = pd.Series([2, True, 1, " 3 "], dtype=object)
    check = ConformanceCheck("subjects.stage:allowed", "subjects", "stage", "allowed", "stage", "TS409",
                             (("levels", ("1", "2", "3")),))
    where = Where("subjects", "s.csv", None, checks=CheckIndex([check]))
    categories, failed = as_category(values, ("1", "2", "3"), where, "stage", 2)
    assert [None if pd.isna(v) else v for v in categories] == ["2", None, "1", "3"]
    found = render(failure_table(failed), [check])
    assert [d.message for d in found] == ["subjects.stage: undeclared level 'True' for row 2"]
