"""A time series over a long table read row by row follows one test's rows: ``change(alt)`` is
an ALT result's change from the subject's first ALT result, ``previous(alt)`` the ALT result
before it, whatever other tests' rows lie between (an aggregate that names ``alt`` reads the
ALT rows only, docs/language.md). Before, the series ran over every row of the subject, so
a subject whose first row was another test had no baseline, and the answer depended on how
the file ordered other tests' rows. On every engine (the ``backend`` fixture)."""

from __future__ import annotations

import pandas as pd

import trialspec
from trialspec.backend import Backend

PROTOCOL = """\
trialspec: 1
study: {id: SERIES-BY-TEST, title: series over a long table}
datasets:
  dm:
    key: USUBJID
    columns:
      arm: {source: ARM, type: string}
  lb:
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, unit: LBSTRESU, time: LBDTC}
    columns:
      alt: {test: ALT, type: number, unit: U/L}
      ast: {test: AST, type: number, unit: U/L}
      lab_date: {source: LBDTC, type: date}
eligibility:
  inclusion:
    I1: {text: ALT rose by over 20 U/L, when: any(lb where change(alt) > 20 U/L)}
    I2: {text: an ALT above the ALT before, when: count(lb where alt > previous(alt)) >= 1}
    I3: {text: baseline ALT below 15 U/L, when: all(lb where baseline(alt) < 15 U/L)}
    I4: {text: AST doubled, when: any(lb where pct_change(ast) >= 100%)}
"""

# H01: an AST row first; H02: the AST row between the ALT rows; H03: ALT rows only; H04: no
# ALT rows. The same ALT results (10 then 50) for H01-H03: the same answers.
LB = pd.DataFrame({
    "USUBJID": ["H01", "H01", "H01", "H02", "H02", "H02", "H03", "H03", "H04", "H04"],
    "LBTESTCD": ["AST", "ALT", "ALT", "ALT", "AST", "ALT", "ALT", "ALT", "AST", "AST"],
    "LBSTRESN": [20.0, 10.0, 50.0, 10.0, 20.0, 50.0, 10.0, 50.0, 20.0, 45.0],
    "LBSTRESU": ["U/L"] * 10,
    "LBDTC": ["2014-01-01", "2014-01-01", "2014-02-01", "2014-01-01", "2014-01-15", "2014-02-01",
              "2014-01-01", "2014-02-01", "2014-01-01", "2014-03-01"],
})
DM = pd.DataFrame({"USUBJID": ["H01", "H02", "H03", "H04"], "ARM": ["A", "A", "B", "B"]})


def test_a_series_of_a_test_reads_that_tests_rows_only(backend: Backend, tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "p.yaml"
    path.write_text(PROTOCOL, "utf-8")
    study = trialspec.run(str(path), tables={"dm": DM, "lb": LB}, engine=backend.name)
    outcomes = study.result.section("eligibility").summary["subjects"]["outcomes"]
    assert outcomes == {
        "I1": ["pass", "pass", "pass", "fail"],  # 50 - 10 > 20; H04 has no ALT row: none rose
        "I2": ["pass", "pass", "pass", "fail"],
        "I3": ["pass", "pass", "pass", "pass"],  # H04: no ALT row, all of none
        "I4": ["fail", "fail", "fail", "pass"],  # H04's AST 20 -> 45; the others' one AST row
    }
