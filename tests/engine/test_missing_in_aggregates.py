"""The report names the missing data of an indeterminate subject also when an aggregate made
a criterion unknown: a subject's column read inside it (``first_dose`` in
``count(ae where ae_start >= first_dose)``), or a row's value (``ae.grade missing in a row``);
over a long table, only the rows of the test the aggregate reads (``alt`` is missing on every
AST row, which is no reason). Before, such subjects had no missing data at all. On every
engine (the ``backend`` fixture)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import trialspec
from trialspec.backend import Backend

PROTOCOL = """\
trialspec: 1
study: {id: MISSING-IN-ROWS, title: missing data read by aggregates}
datasets:
  dm:
    key: USUBJID
    columns:
      first_dose: {source: RFXSTDTC, type: date}
  ae:
    subject: USUBJID
    columns:
      grade: {source: AETOXGR, type: number}
      ae_start: {source: AESTDTC, type: date}
  lb:
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, unit: LBSTRESU}
    columns:
      alt: {test: ALT, type: number, unit: U/L, range: {high: LBSTNRHI}}
eligibility:
  exclusion:
    E1: {text: an AE after the first dose, when: count(ae where ae_start >= first_dose) >= 1}
    E2: {text: a grade 3 AE, when: any(ae where grade >= 3)}
    E3: {text: ALT above 3 x ULN, when: any(lb where alt > 3 x ULN)}
"""

DM = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"],
                   "RFXSTDTC": ["2014-01-01", None, "2014-01-01", "2014-01-01"]})
AE = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"], "AETOXGR": [1.0, 1.0, None, 1.0],
                   "AESTDTC": ["2013-12-01", "2014-02-01", "2013-12-01", "2013-12-01"]})
# S4: an ALT result without its upper limit, and an AST row (no ALT value there: no reason)
LB = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4", "S4"], "LBTESTCD": ["ALT", "ALT", "ALT", "ALT", "AST"],
                   "LBSTRESN": [20.0, 20.0, 20.0, 20.0, 30.0], "LBSTRESU": ["U/L"] * 5,
                   "LBSTNRHI": [40.0, 40.0, 40.0, None, 40.0]})


def test_the_data_an_aggregate_missed_are_named(backend: Backend, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PROTOCOL, "utf-8")
    tables = {"dm": DM, "ae": AE, "lb": LB}
    study = trialspec.run(str(tmp_path / "p.yaml"), tables=tables, engine=backend.name)
    subjects = study.result.section("eligibility").summary["subjects"]
    assert subjects["status"] == ["eligible", "indeterminate", "indeterminate", "indeterminate"]
    assert subjects["missing"] == {"S2": ["E1: dm.first_dose missing"],
                                   "S3": ["E2: ae.grade missing in a row"],
                                   "S4": ["E3: lb.alt's ULN missing in a row"]}
