"""Regression: `explain` on a criterion that aggregates a row dataset crashed with
`KeyError: 'Col was not evaluated at this grain'` while `check` worked, because the explain
walker went into `Aggregate.value` (a row-grain column) and the pipeline's walker did not.
Both now walk the IR through `lang.ir.walk`/`children` and `grain`."""

from __future__ import annotations

from pathlib import Path

from trialspec.pipeline import explain_subject

PROTOCOL = """\
trialspec: 1
study: {id: AGG}
datasets:
  dm:
    source: dm.csv
    key: USUBJID
    columns:
      age: {type: number, unit: years}
  labs:
    source: labs.csv
    subject: USUBJID
    columns:
      x: {type: number, unit: mg/dL}
eligibility:
  inclusion:
    I1: {text: Adult, when: age >= 18 years}
    I2: {text: Low peak, when: max(labs.x) <= 25 mg/dL}
    I3: {text: Low mean, when: "mean(labs.x where x > 1 mg/dL) < 100 mg/dL"}
"""


def test_explain_a_criterion_over_an_aggregate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "dm.csv").write_text("USUBJID,age\nP1,40\nP2,50\n", encoding="utf-8")
    (data / "labs.csv").write_text("USUBJID,x\nP1,10\nP1,30\nP2,5\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text(PROTOCOL, encoding="utf-8")
    result, tables = explain_subject(tmp_path / "p.yaml", data, "P1")
    assert not [d for d in result.all_findings if d.severity.value == "error"], result.all_findings
    assert tables is not None
    i2 = next(t for t in tables if t.title.startswith("I2 "))
    assert i2.title.startswith("I2 fails")
    assert i2.rows[0][1] == "30 mg/dL <= 25 mg/dL" and i2.rows[0][2] == "false"
    assert i2.rows[1][0].strip() == "max(labs.x)" and i2.rows[1][1] == "30 mg/dL"
    # the row-grain column under the aggregate is not shown as a per-subject value
    assert not any(r[0].strip() == "labs.x" for r in i2.rows)
