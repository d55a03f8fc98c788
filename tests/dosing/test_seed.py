"""The seed example: every subject's dosing story as examples/seed/README.md tells it.

Reads protocols/seed-rd-rrmm.yaml and examples/seed/data only. If the seed protocol does not
declare the exposure datasets yet, the test adds the declaration below (the one docs/dosing.md
shows) before loading it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from trialspec.domain.treatment import run_dosing
from trialspec.engine import get_backend
from trialspec.engine.pandas.bind import bind
from trialspec.protocol import load_protocol_text
from trialspec.results import Section

from .helpers import capture_tables

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"

DATASETS = {"exposure": """  exposure:  # one row per administration
    source: exposure.csv
    subject: subject_id
    columns:
      drug: {type: string}
      date: {type: date}
      dose: {type: number, unit_column: unit}
""", "ex": """  ex:  # SDTM EX intervals (lenalidomide of P09, P16 and P21)
    source: ex.csv
    subject: USUBJID
    columns:
      drug: {source: EXTRT, type: string}
      dose: {source: EXDOSE, type: number, unit_column: EXDOSU}
      frequency: {source: EXDOSFRQ, type: string}
      start: {source: EXSTDTC, type: date}
      end: {source: EXENDTC, type: date}
"""}

# (code, subject) of every dosing finding the README's stories imply, and nothing else
EXPECTED = {
    ("TS501", "P03"),  # lenalidomide 20 mg all of cycle 3
    ("TS502", "P05"),  # lenalidomide on cycle 2 day 24
    ("TS503", "P09"),  # missed cycle 2 day 10
    ("TS504", "P10"),  # two doses on cycle 1 day 5
    ("TS506", "P12"), ("TS507", "P12"),  # cycle 2 lasts 49 days, so cycle 3 starts late
    ("TS505", "P14"), ("TS507", "P14"),  # cycle 3 starts 5 days early: cycle 2 has 23 days
    ("TS509", "P07"), ("TS511", "P07"),  # no dexamethasone, so its RDI is 0%
    ("TS510", "P19"),  # 25 -> 15 -> 25 mg
    ("TS511", "P20"),  # lenalidomide RDI 60%
    ("TS508", "P01"),  # a 5th cycle of the Ld regimen, which plans 4
}
LENALIDOMIDE_RDI = {"P20": 0.60, "P16": 0.90, "P19": 0.90, "P03": 0.95, "P09": 83 / 84, "P05": 85 / 84,
                    "P10": 85 / 84}
CYCLES = {"P01": 5, "P06": 7, "P15": 6, "P08": 2, "P11": 2, "P17": 2}


SEED_CYCLES = "{Rd: until progression, Ld: 4}"


def seed_text(cycles: str = SEED_CYCLES, exposure: str = "exposure") -> str:
    text = PROTOCOL.read_text("utf-8")
    declared = text.split("\ndefinitions:")[0]
    for name, block in DATASETS.items():
        if not re.search(rf"^  {name}:", declared, re.M):
            text = text.replace("\ndatasets:\n", "\ndatasets:\n" + block, 1)
    assert f"  cycles: {SEED_CYCLES}\n" in text and "  exposure: exposure\n" in text
    return (text.replace(f"  cycles: {SEED_CYCLES}\n", f"  cycles: {cycles}\n", 1)
            .replace("  exposure: exposure\n", f"  exposure: {exposure}\n", 1))


def check(text: str) -> tuple[Section, dict[str, Any]]:
    model, diags = load_protocol_text(text, str(PROTOCOL))
    assert model is not None and [d for d in diags if d.severity == "error"] == []
    bound = bind(model, DATA)
    assert bound.frames is not None and [d for d in bound.diagnostics if d.code.startswith("TS4")] == []
    tables: dict[str, Any] = {}
    with capture_tables(tables):
        section = run_dosing(model, bound.frames, get_backend())
    assert section is not None
    return section, tables


@pytest.fixture(scope="module")
def seed() -> tuple[Section, dict[str, Any]]:
    return check(seed_text())


def found(section: Section) -> set[tuple[str, str]]:
    return {(d.code, d.message.split()[0]) for d in section.findings}


def test_every_story_and_nothing_else(seed: tuple[Section, dict[str, Any]]) -> None:
    section, _ = seed
    assert found(section) == EXPECTED
    assert all(d.span is not None and d.span.path == str(PROTOCOL) for d in section.findings)


def test_each_deviation_kind_occurs_in_exactly_one_subject_except_more_cycles(
        seed: tuple[Section, dict[str, Any]]) -> None:
    devs = seed[0].summary["deviations"]
    assert {c: v["subjects"] for c, v in devs.items()} == {
        "TS501": 1, "TS502": 1, "TS503": 1, "TS504": 1, "TS505": 1, "TS506": 1, "TS507": 2, "TS508": 1,
        "TS509": 1, "TS510": 1, "TS511": 2, "TS531": 0, "TS533": 0}


def message(section: Section, code: str, subject: str) -> str:
    (d,) = [d for d in section.findings if d.code == code and d.message.startswith(subject + " ")]
    return d.message


def test_the_stories_dates_days_and_doses(seed: tuple[Section, dict[str, Any]]) -> None:
    s = seed[0]
    assert message(s, "TS501", "P03").startswith(
        "P03 lenalidomide cycle 3 days 1-21 (2014-12-01 to 2014-12-21): 21 x 20 mg, not an allowed level")
    assert message(s, "TS502", "P05").startswith("P05 lenalidomide cycle 2 day 24 (2015-03-23): 25 mg")
    assert message(s, "TS503", "P09").startswith("P09 lenalidomide cycle 2 day 10 (2015-10-14)")
    assert message(s, "TS504", "P10").startswith("P10 lenalidomide cycle 1 day 5 (2015-11-14)")
    assert message(s, "TS506", "P12").startswith("P12 cycle 2 lasted 49 days")
    assert message(s, "TS507", "P12").startswith("P12 cycle 3 started 2016-05-16")
    assert message(s, "TS505", "P14").startswith("P14 cycle 2 lasted 23 days")
    assert message(s, "TS507", "P14").startswith("P14 cycle 3 started 2016-07-31, 5 days before")
    assert message(s, "TS509", "P07").startswith("P07 never received dexamethasone")
    assert message(s, "TS510", "P19").startswith("P19 lenalidomide cycle 3 day 1")
    assert "relative dose intensity 60.0%" in message(s, "TS511", "P20")
    assert "dexamethasone: relative dose intensity 0.0%" in message(s, "TS511", "P07")


def test_relative_dose_intensity(seed: tuple[Section, dict[str, Any]]) -> None:
    people = {p["id"]: p for p in seed[0].summary["per_subject"]}
    assert len(people) == 21
    for sid, person in people.items():
        expected = LENALIDOMIDE_RDI.get(sid, 1.0)
        assert person["drugs"]["lenalidomide"]["rdi"] == pytest.approx(expected), sid
        assert person["drugs"]["dexamethasone"]["rdi"] == (0.0 if sid == "P07" else 1.0), sid
    assert seed[0].summary["dose_intensity"]["Rd/lenalidomide"]["below_threshold"] == ["P20"]
    assert seed[0].summary["dose_intensity"]["Ld/lenalidomide"]["below_threshold"] == []
    assert {p["id"] for p in people.values() if p["arm"] == "Ld"} == {"P01", "P04", "P13", "P18"}


def test_cycles_per_subject(seed: tuple[Section, dict[str, Any]]) -> None:
    people = {p["id"]: p["cycles"] for p in seed[0].summary["per_subject"]}
    assert people == {f"P{i:02d}": CYCLES.get(f"P{i:02d}", 4) for i in range(1, 22)}


def test_reductions_are_recorded_not_deviations(seed: tuple[Section, dict[str, Any]]) -> None:
    changes = [(c["subject"], c["cycle"], c["from"], c["to"], c["kind"])
               for c in seed[0].summary["dose_changes"]]
    assert changes == [("P16", 4, 25, 15, "reduction"), ("P19", 2, 25, 15, "reduction"),
                       ("P19", 3, 15, 25, "re-escalation"), ("P20", 2, 25, 15, "reduction"),
                       ("P20", 3, 15, 10, "reduction")]
    assert not {c for c, s in found(seed[0]) if s == "P16"}


def test_a_fixed_four_cycle_regimen_flags_the_longer_treatments() -> None:
    section, _ = check(seed_text(cycles="4"))
    assert {s for c, s in found(section) if c == "TS508"} == {"P01", "P06", "P15"}
    assert found(section) - {f for f in found(section) if f[0] == "TS508"} == {
        f for f in EXPECTED if f[0] != "TS508"}


def test_ex_intervals_expand_to_the_same_administrations() -> None:
    _, tables = check(seed_text(exposure="ex"))
    a = tables["admins"]
    ids = tables["subjects"]["id"].to_numpy()
    got = pd.DataFrame({"subject_id": ids[a["subject"]], "date": pd.to_datetime(a["date"], unit="D"),
                        "dose": a["dose"]})
    rows = pd.read_csv(DATA / "exposure.csv")
    want = rows[rows.subject_id.isin(["P09", "P16", "P21"]) & (rows.drug == "lenalidomide")]
    want = pd.DataFrame({"subject_id": want.subject_id, "date": pd.to_datetime(want.date),
                         "dose": want.dose.astype(float)})
    pd.testing.assert_frame_equal(got.sort_values(["subject_id", "date"]).reset_index(drop=True),
                                  want.sort_values(["subject_id", "date"]).reset_index(drop=True))


def test_explain_shows_the_cycle_calendar(seed: tuple[Section, dict[str, Any]]) -> None:
    cycles, calendar, intensity = seed[0].explain("P09")
    assert cycles.rows[1][:4] == (2, "2015-10-05", "2015-11-01", 28)
    row = next(r for r in calendar.rows if r[:2] == (2, 10))
    assert row == (2, 10, "2015-10-14", "25 mg / -", "", "TS503 lenalidomide missed")
    assert next(r for r in calendar.rows if r[:2] == (2, 8))[3:5] == ("25 mg / 25 mg", "40 mg / 40 mg")
    assert calendar.columns == ("cycle", "day", "date", "lenalidomide planned / given",
                                "dexamethasone planned / given", "notes")
    assert intensity.rows[-1] == ("lenalidomide", "all", "2100 mg", "2075 mg", "98.8%")
    assert seed[0].explain("P99") == []


def test_explain_marks_reductions(seed: tuple[Section, dict[str, Any]]) -> None:
    _, calendar, _ = seed[0].explain("P19")
    notes = [r[-1] for r in calendar.rows if r[-1]]
    assert notes == ["lenalidomide reduced from 25 mg", "lenalidomide TS510 re-escalated from 15 mg"]
