"""A small study written into tmp_path for each test (the `study` fixture of conftest.py): a
protocol, a data folder, and helpers to run ``trialspec check`` on it and pick out findings.

The protocol screens a subjects table (wide, one row per subject) and an SDTM-style long lab
table pivoted at the SCREENING visit, with a per-row unit column. Tests overwrite any file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialspec.diagnostics import Diagnostic
from trialspec.pipeline import check
from trialspec.results import CheckResult

PROTOCOL = """\
trialspec: 1
study:
  id: DATA-TEST
datasets:
  subjects:
    source: subjects.csv
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      stage: {type: category, levels: [I, II, III]}
      consent: {type: date}
      prior_therapy: {type: boolean}
  labs:
    source: lb.csv
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, unit: LBSTRESU, time: LBDTC, visit: VISIT}
    pick: {visit: SCREENING}
    columns:
      bilirubin: {test: BILI, type: number, unit: mg/dL, analyte: bilirubin}
      serum_m: {test: SPEP, type: number, unit: g/dL}
      urine_m: {test: UPEP, type: number, unit: mg/24h}
      flc: {test: FLC, type: number, unit: mg/dL}
eligibility:
  inclusion:
    I1:
      text: Age 18-75 and signed consent
      when: age between 18 and 75 and consent is present
    I2:
      text: Stage II or III
      when: stage in [II, III]
    I3:
      text: Bilirubin at most 2.0 mg/dL
      when: bilirubin <= 2.0 mg/dL
    I4:
      text: Measurable disease
      when: serum_m >= 0.5 g/dL or urine_m >= 200 mg/24h or flc >= 10 mg/dL
"""

SUBJECTS = """\
subject_id,age,stage,consent,prior_therapy
P01,61,II,2014-06-17,true
P02,70,III,2014-07-01,false
P03,45,II,2014-08-02,yes
"""

LABS = """\
USUBJID,VISIT,LBTESTCD,LBSTRESN,LBSTRESU,LBDTC
P01,SCREENING,BILI,1.0,mg/dL,2014-06-20
P01,SCREENING,SPEP,1.2,g/dL,2014-06-20
P02,SCREENING,BILI,17.1,umol/L,2014-07-03
P02,SCREENING,SPEP,0.2,g/dL,2014-07-03
P02,SCREENING,UPEP,350,mg/24h,2014-07-03
P03,SCREENING,BILI,0.5,mg/dL,2014-08-05
P03,SCREENING,FLC,12,mg/dL,2014-08-05
"""


@dataclass
class Study:
    """A protocol file and a data folder under tmp_path."""

    root: Path
    backend: str = "pandas"  # the backend that reads and checks the data (tests: each registered one)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def protocol(self) -> Path:
        return self.root / "protocol.yaml"

    def write(self, name: str, content: str | bytes) -> Path:
        """Write a data file (text as UTF-8, exactly as given: no newline translation)."""
        path = self.data / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def set_protocol(self, text: str) -> None:
        self.protocol.write_text(text, "utf-8")

    def edit_protocol(self, old: str, new: str) -> None:
        text = self.protocol.read_text("utf-8")
        assert old in text, old
        self.set_protocol(text.replace(old, new))

    def run(self) -> CheckResult:
        return check(self.protocol, self.data, backend_name=self.backend)

    def line_of(self, needle: str) -> int:
        """The 1-based line of the protocol holding ``needle``."""
        lines = self.protocol.read_text("utf-8").splitlines()
        return next(i for i, line in enumerate(lines, 1) if needle in line)

    def hashes(self) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(self.data.iterdir())}


def cell_findings(result: CheckResult) -> list[Diagnostic]:
    """Every finding but TS420: most tests write a lab file with fewer tests than the protocol
    declares, which TS420 rightly reports; the tests here are about the cells."""
    return [d for d in result.all_findings if d.code != "TS420"]


def findings(result: CheckResult, code: str) -> list[Diagnostic]:
    return [d for d in result.all_findings if d.code == code]


def outcomes(result: CheckResult) -> dict[str, dict[str, Any]]:
    """subject -> {"status": ..., criterion id: pass/fail/unknown} from the eligibility section."""
    section = result.section("eligibility")
    assert section is not None, [f"{d.code} {d.message}" for d in result.all_findings]
    from trialspec.domain.eligibility import subject_records

    records = subject_records(section.summary["subjects"])
    return {s["id"]: {"status": s["status"], **s["outcomes"]} for s in records}
