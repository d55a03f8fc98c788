"""A sum past a double's range is missing, not infinite, on every engine (docs/engine.md: a
result that is not finite is missing). Before, ``sum(lb.v)`` of 1e308, 1e308 and -1e308 was
``inf``: ``s < 1`` was false rather than unknown, ``s is missing`` false, and a summary
analysis of ``s`` refused every subject (TS705)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import trialspec
from trialspec.backend import Backend

PROTOCOL = """\
trialspec: 1
study: {id: OVERFLOW, title: sums past a double's range}
datasets:
  dm:
    key: USUBJID
    columns:
      arm: {source: ARM, type: string}
  lb:
    subject: USUBJID
    columns:
      v: {source: VAL, type: number}
      d: {source: DAYS, type: duration, unit: days}
definitions:
  s: sum(lb.v)
  m: mean(lb.v)
eligibility:
  inclusion:
    I1: {text: sum below 1, when: s < 1}
    I2: {text: sum missing, when: s is missing}
    I3: {text: mean below 1, when: m < 1}
    I4: {text: total time, when: sum(lb.d) < 10 days}
"""

DM = pd.DataFrame({"USUBJID": ["F01", "F05"], "ARM": ["A", "A"]})
LB = pd.DataFrame({"USUBJID": ["F01", "F05", "F05", "F05"], "VAL": [0.5, 1e308, 1e308, -1e308],
                   "DAYS": [3.0, 1e308, 1e308, 1.0]})


def test_a_sum_past_a_doubles_range_is_missing(backend: Backend, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PROTOCOL, "utf-8")
    study = trialspec.run(str(tmp_path / "p.yaml"), tables={"dm": DM, "lb": LB}, engine=backend.name)
    outcomes = study.result.section("eligibility").summary["subjects"]["outcomes"]
    assert outcomes == {"I1": ["pass", "unknown"], "I2": ["fail", "pass"], "I3": ["pass", "unknown"],
                        "I4": ["pass", "unknown"]}
