"""The trajectory table (trajectories.yaml): per-visit categories and best response, one
subject per rule and edge of the criteria, each written from the criteria text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from trialspec.domain.response_derive import ROW_ASSESSED, ROW_CENSORED

from .helpers import FIRST_DOSE, frames_for, load, run, trajectory_rows

CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "trajectories.yaml").read_text(encoding="utf-8"))


def visit_words(plan: Any, d: Any, rows: range) -> list[str]:
    out = []
    for r in rows:
        status = int(d.status[r])
        if status == ROW_CENSORED:
            out.append("censored")
        elif status == ROW_ASSESSED:
            c = int(d.category[r])
            out.append("NE" if c < 0 else plan.names[c])
    return out


def rule_words(d: Any, rows: range) -> list[str]:
    out = []
    for r in rows:
        if d.status[r] != ROW_ASSESSED:
            continue
        cat, rid, _confirm = d.rules[d.rule[r]] if d.rule[r] >= 0 else ("NE", "NE", True)
        out.append(cat if rid == cat else f"{cat}.{rid}")
    return out


def derive_case(name: str) -> tuple[Any, Any, Any, Any, range]:
    case = CASES[name]
    protocol = load(case.get("response"))
    frames = frames_for(protocol, [{"subject_id": "S1", "first_dose_date": str(FIRST_DOSE)}],
                        trajectory_rows("S1", case))
    plan, table, d, section = run(protocol, frames)
    return case, plan, d, section, range(len(table["subject"]))


@pytest.mark.parametrize("name", list(CASES))
def test_trajectory(name: str) -> None:
    case, plan, d, section, rows = derive_case(name)
    assert visit_words(plan, d, rows) == case["categories"], case["why"]
    if "rules" in case:
        assert rule_words(d, rows) == case["rules"]
    subject = section.summary["per_subject"][0]
    assert subject["best_response"] == case["best"], case["why"]
    if "best_unconfirmed" in case:
        assert subject["best_unconfirmed"] == case["best_unconfirmed"]
    for key, field in (("first_response", "response_date"), ("progression", "progression_date")):
        if key in case:
            assert subject[field] == str(case[key])
    if "progression_confirmed" in case:
        assert subject["progression_confirmed"] is case["progression_confirmed"]


def test_all_cases_together_give_the_same_answers() -> None:
    """Subjects do not leak into each other: every default-settings case in one dataset."""
    names = [n for n, c in CASES.items() if "response" not in c]
    protocol = load()
    subjects = [{"subject_id": f"S{i:02d}", "first_dose_date": str(FIRST_DOSE)} for i in range(len(names))]
    rows = [r for i, n in enumerate(names) for r in trajectory_rows(f"S{i:02d}", CASES[n])]
    rows = [rows[i] for i in np.random.default_rng(7).permutation(len(rows))]  # file order must not matter
    frames = frames_for(protocol, subjects, rows)
    plan, table, d, section = run(protocol, frames)
    got = {s["id"]: s["best_response"] for s in section.summary["per_subject"]}
    assert got == {f"S{i:02d}": CASES[n]["best"] for i, n in enumerate(names)}
    subject = np.asarray(table["subject"])
    for i, n in enumerate(names):
        assert visit_words(plan, d, range(*np.searchsorted(subject, [i, i + 1]))) == CASES[n]["categories"], n


def test_new_lesion_pd_then_response_is_flagged() -> None:
    _case, _plan, _d, section, _rows = derive_case("pd_new_lesion_needs_no_confirmation")
    assert [f.code for f in section.findings] == ["TS625"]
    assert "after progression" in section.findings[0].message


def test_censored_and_unconfirmed_progression_are_reported() -> None:
    assert [f.code for f in derive_case("new_therapy_before_confirmation")[3].findings] == ["TS626"]
    assert [f.code for f in derive_case("pd_at_last_assessment_counts_unconfirmed")[3].findings] == ["TS627"]
    assert [f.code for f in derive_case("no_post_baseline_assessment")[3].findings] == ["TS621"]


def test_no_baseline_is_not_evaluable() -> None:
    protocol = load()
    case = {"baseline": {"s": 2.0}, "visits": [{"s": 0.9}, {"s": 0.8}]}
    frames = frames_for(protocol, [{"subject_id": "S1", "first_dose_date": "2019-12-01"}],
                        trajectory_rows("S1", case))
    _plan, _table, d, section = run(protocol, frames)
    assert section.summary["per_subject"][0]["best_response"] == "NE"
    assert [f.code for f in section.findings] == ["TS620"]
    assert not d.has_baseline[0]


def test_missing_first_dose_means_no_baseline() -> None:
    protocol = load()
    frames = frames_for(protocol, [{"subject_id": "S1", "first_dose_date": None}],
                        trajectory_rows("S1", {"baseline": {"s": 2.0}, "visits": [{"s": 0.9}]}))
    assert run(protocol, frames)[3].summary["per_subject"][0]["best_response"] == "NE"


def test_a_subject_without_assessments_counts_as_ne() -> None:
    protocol = load()
    frames = frames_for(protocol, [{"subject_id": "S1", "first_dose_date": str(FIRST_DOSE)},
                                   {"subject_id": "S2", "first_dose_date": str(FIRST_DOSE)}],
                        trajectory_rows("S1", CASES["confirmed_pr"]))
    summary = run(protocol, frames)[3].summary
    assert summary["best_response"]["PR"] == 1 and summary["best_response"]["NE"] == 1
    assert summary["orr"] == {"categories": ["sCR", "CR", "VGPR", "PR"], "responders": 1, "subjects": 2,
                              "percent": 50.0}


def test_an_overridden_cr_without_negative_immunofixation_is_an_impossible_sequence() -> None:
    protocol = load({"categories": {"CR": "serum_m_protein == 0 g/dL"}})
    case = {"baseline": {"s": 2.0}, "visits": [{"s": 0}, {"s": 0}]}
    frames = frames_for(protocol, [{"subject_id": "S1", "first_dose_date": str(FIRST_DOSE)}],
                        trajectory_rows("S1", case))
    section = run(protocol, frames)[3]
    assert [f.code for f in section.findings] == ["TS623", "TS623"]
    assert "CR without negative serum and urine immunofixation" in section.findings[0].message
    assert not next(c for c in section.cases if c.name == "response/requirements").passed


def test_a_response_before_the_first_dose_is_an_impossible_sequence() -> None:
    # the protocol takes the first assessment as baseline, so a later pre-dose visit is judged
    protocol = load({"parameters": {"baseline_when": "previous(date) is missing"}})
    case = {"baseline": {"s": 2.0}, "visits": [{"s": 0.9, "date": "2020-01-08"}, {"s": 0.8}, {"s": 0.8}]}
    frames = frames_for(protocol, [{"subject_id": "S1", "first_dose_date": str(FIRST_DOSE)}],
                        trajectory_rows("S1", case))
    section = run(protocol, frames)[3]
    assert [f.code for f in section.findings] == ["TS624"]
    assert "on or before the first dose (2020-01-10)" in section.findings[0].message


def test_first_dose_from_an_exposure_table() -> None:
    text = load().source.text.replace(
        "  assessments:\n",
        "  exposure:\n    subject: subject_id\n    columns:\n      date: {type: date}\n  assessments:\n", 1)
    text += "  parameters: {first_dose: exposure.date}\n"
    protocol = load(text=text)
    import pandas as pd

    from trialspec.engine import get_backend
    rows = trajectory_rows("S1", CASES["confirmed_pr"])
    tables = {"subjects": pd.DataFrame({"subject_id": ["S1"], "first_dose_date": [None]}),
              "assessments": pd.DataFrame(rows),
              "exposure": pd.DataFrame({"subject_id": ["S1", "S1"], "date": ["2020-01-20", "2020-01-10"]})}
    frames = get_backend().bind_frames(protocol, tables).frames
    plan, table, d, section = run(protocol, frames)
    assert section.summary["per_subject"][0]["best_response"] == "PR"
    assert list(table["phase"]) == [0, 1, 1]
