"""Small builders for the dosing tests: a protocol around a regimen, hand-built exposure rows,
and a run through the real binding, backend and section.

The test regimen (``REGIMEN``) is small enough to work expectations out by hand:

- 14-day cycles; drug A 10 mg on days 1-5 (reductions 5 mg), drug B 20 mg on days 1 and 8;
- dose window +/-1 day, cycle start window +/-2 days, maximum delay 7 days, RDI >= 80%.

So a cycle may last 12-16 days without a TS507, at most 21 days without a TS506, and an early
start is recognised from cycle day 10 (B's last planned day 8 + the 1-day window + 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from trialspec.diagnostics import Diagnostic
from trialspec.domain.treatment import run_dosing
from trialspec.engine import get_backend
from trialspec.engine.pandas.bind import bind_frames
from trialspec.protocol import Protocol, load_protocol_text
from trialspec.results import Section

START = date(2020, 1, 6)

HEAD = """trialspec: 1
study: {id: DOSING-TEST}
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
%(arm_column)s  exposure:
    subject: subject_id
    columns:
%(exposure_columns)s
"""

ADMIN_COLUMNS = """      drug: {type: string}
      date: {type: date}
      dose: {type: number, unit_column: unit}
"""

EX_COLUMNS = """      drug: {source: EXTRT, type: string}
      dose: {source: EXDOSE, type: number, unit_column: EXDOSU}
      frequency: {source: EXDOSFRQ, type: string}
      start: {source: EXSTDTC, type: date}
      end: {source: EXENDTC, type: date}
"""

REGIMEN = """treatment:
  cycle: 14 days
  cycles: %(cycles)s
  exposure: exposure
  regimen:
    A: {dose: 10 mg, days: 1-5, reductions: [5 mg]%(a_extra)s}
    B: {dose: 20 mg, days: [1, 8]}
  tolerances: {dose_window: 1, start_window: 2 days, max_delay: 7 days}
  dose_intensity_min: 80%%
"""


def protocol(treatment: str | None = None, *, cycles: str = "until progression", a_extra: str = "",
             ex: bool = False, arm_column: bool = False) -> Protocol:
    text = HEAD % {"exposure_columns": EX_COLUMNS if ex else ADMIN_COLUMNS,
                   "arm_column": "      arm: {type: string}\n" if arm_column else ""}
    text += treatment if treatment is not None else REGIMEN % {"cycles": cycles, "a_extra": a_extra}
    model, diags = load_protocol_text(text, "dosing.yaml")
    assert model is not None, diags
    assert [d for d in diags if d.severity == "error"] == [], diags
    return model


def day(n: int, start: date = START) -> str:
    """The ISO date of day ``n`` counted from ``start`` (day 1)."""
    return (start + timedelta(days=n - 1)).isoformat()


def cycle_rows(subject: str, start: int = 1, a_dose: float = 10, b: bool = True,
               skip: tuple[tuple[str, int], ...] = ()) -> list[tuple[Any, ...]]:
    """One clean cycle starting on study day ``start``: A on days 1-5, B on days 1 and 8."""
    rows = [(subject, "A", day(start + d - 1), a_dose, "mg") for d in range(1, 6) if ("A", d) not in skip]
    if b:
        rows += [(subject, "B", day(start + d - 1), 20, "mg") for d in (1, 8) if ("B", d) not in skip]
    return rows


def schedule(subject: str, lengths: tuple[int, ...] = (14, 14), **kw: Any) -> list[tuple[Any, ...]]:
    """Clean cycles of the given lengths (the last cycle's length does not matter)."""
    rows, start = [], 1
    for n in lengths:
        rows += cycle_rows(subject, start, **kw)
        start += n
    return rows


@dataclass
class Run:
    """A dosing run: the section, the backend's tables and the binding's own findings."""

    section: Section
    tables: dict[str, Any]
    binding: list[Diagnostic]

    def codes(self) -> list[str]:
        return [d.code for d in self.section.findings]

    def findings(self, code: str) -> list[Diagnostic]:
        return [d for d in self.section.findings if d.code == code]

    def events(self, code: str) -> int:
        return self.section.summary["deviations"][code]["events"]

    def rdi(self, subject: str, drug: str) -> float | None:
        person = next(p for p in self.section.summary["per_subject"] if p["id"] == subject)
        return person["drugs"][drug]["rdi"]


def run(rows: list[tuple[Any, ...]], subjects: list[str] | None = None, model: Protocol | None = None,
        ex: bool = False, arms: dict[str, Any] | None = None) -> Run:
    """Bind ``rows`` (exposure rows, or EX intervals with ``ex``) and run dosing."""
    model = model or protocol(ex=ex)
    cols = (["USUBJID", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRQ", "EXSTDTC", "EXENDTC"] if ex
            else ["subject_id", "drug", "date", "dose", "unit"])
    exposure = pd.DataFrame(rows, columns=cols).astype(object)
    if ex:
        exposure = exposure.rename(columns={"USUBJID": "subject_id"})
    ids = subjects if subjects is not None else sorted({r[0] for r in rows})
    people = pd.DataFrame({"subject_id": ids})
    if arms is not None:
        people["arm"] = [arms.get(i) for i in ids]
    bound = bind_frames(model, {"subjects": people, "exposure": exposure})
    assert bound.frames is not None, bound.diagnostics
    captured: dict[str, Any] = {}
    with capture_tables(captured):
        section = run_dosing(model, bound.frames, get_backend("pandas"))
    assert section is not None
    return Run(section, captured, bound.diagnostics)


@contextmanager
def capture_tables(into: dict[str, Any]) -> Iterator[None]:
    """Within the block, the tables the dosing section computes (``treatment_rows.
    dosing_tables``) are also put in ``into``, each as a DataFrame."""
    from trialspec.domain import treatment_rows

    real = treatment_rows.dosing_tables

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        into.update({name: pd.DataFrame(columns) for name, columns in out.items()})
        return out

    treatment_rows.dosing_tables = spy
    try:
        yield
    finally:
        treatment_rows.dosing_tables = real
