"""Bad input: each is a finding with a location (the protocol line of the exposure column it
concerns) and a message naming the data row; never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialspec.domain.treatment import build_plan, run_dosing

from .helpers import cycle_rows, day, protocol, run, schedule

# declaration lines in helpers.HEAD; a unit problem points at the dose (its unit_column)
EXPOSURE_LINES = {"drug": 11, "date": 12, "dose": 13, "unit": 13}
EX_LINES = {"drug": 11, "dose": 12, "unit": 12, "frequency": 13, "start": 14, "end": 15}


def ex_row(subject: str, start: int, end: int, dose: object = 10, unit: str = "mg", freq: str = "QD",
           drug: str = "A") -> tuple[object, ...]:
    return (subject, drug, dose, unit, freq, day(start) if start else None, day(end) if end else None)


def test_exposure_of_a_subject_not_in_the_subjects_table() -> None:
    r = run(schedule("S1", (14, 14)) + schedule("S9", (14,)), subjects=["S1"])
    assert [d.code for d in r.binding] == ["TS412"] * 5 + ["TS412"]  # five shown, then a count
    assert r.codes() == []
    assert r.section.summary["subjects"]["screened"] == 1
    assert [p["id"] for p in r.section.summary["per_subject"]] == ["S1"]


def test_a_drug_not_in_the_regimen() -> None:
    r = run(schedule("S1", (14,)) + [("S1", "thalidomide", day(2), 50, "mg")])
    (f,) = r.findings("TS521")
    assert f.message == ("exposure row 8 (S1, thalidomide, 2020-01-07, 50 mg): drug 'thalidomide' is not "
                         "in the regimen (A, B); ignored")
    assert (f.span.path, f.span.line) == ("dosing.yaml", EXPOSURE_LINES["drug"])
    assert [c for c in r.codes() if c != "TS521"] == []


def test_drug_names_match_ignoring_case() -> None:
    rows = [(s, d.lower() if d == "A" else d, t, x, u) for s, d, t, x, u in schedule("S1", (14,))]
    r = run([(s, "a" if d == "a" else d, t, x, u) for s, d, t, x, u in rows])
    assert r.codes() == []


def test_an_unknown_unit_makes_the_dose_unknown() -> None:
    rows = schedule("S1", (14, 14))
    rows[0] = ("S1", "A", day(1), 10, "mgg")
    r = run(rows)
    (f,) = r.findings("TS522")
    assert "dose unit 'mgg' is missing, unknown or not convertible to mg" in f.message
    assert f.span.line == EXPOSURE_LINES["unit"]
    assert r.rdi("S1", "A") is None  # unknown, so no TS511 either way
    assert r.findings("TS511") == [] and r.findings("TS503") == []  # the day still counts as dosed


def test_a_unit_of_another_dimension() -> None:
    rows = schedule("S1", (14,))
    rows[0] = ("S1", "A", day(1), 10, "mL")
    assert [d.code for d in run(rows).section.findings] == ["TS522"]


def test_a_missing_unit() -> None:
    rows = schedule("S1", (14,))
    rows[0] = ("S1", "A", day(1), 10, None)
    (f,) = run(rows).findings("TS522")
    assert "dose unit '(empty)'" in f.message


@pytest.mark.parametrize(("value", "what"), [(None, "missing"), ("2020-01", "partial")])
def test_missing_or_partial_administration_date(value: object, what: str) -> None:
    rows = schedule("S1", (14, 14))
    rows[2] = ("S1", "A", value, 10, "mg")  # cycle 1 day 3
    r = run(rows)
    (f,) = r.findings("TS523")
    assert f"the date is {what}; not counted" in f.message
    assert f.span.line == EXPOSURE_LINES["date"]
    assert r.events("TS503") == 1  # the row is not counted, so day 3 is missed


def test_an_impossible_calendar_date() -> None:
    rows = schedule("S1", (14,))
    rows[2] = ("S1", "A", "2020-02-30", 10, "mg")
    r = run(rows)
    assert [d.code for d in r.binding] == ["TS410"]  # the binding reads it as missing
    (f,) = r.findings("TS523")
    assert "the date is missing; not counted" in f.message


def test_dates_are_checked_when_frames_come_from_the_python_api() -> None:
    from trialspec.domain.treatment_cells import parse_days

    days, status = parse_days(["2020-02-29", "2020-02-30", "2019-02-29", "2020-13-01", "2020-01", None, "",
                          "2020-01-06T08:00", "9999-12-31", "0000-01-01", "junk"])
    assert status.tolist() == [0, 3, 3, 3, 2, 1, 1, 0, 0, 3, 3]
    assert days[[0, 7, 8]].tolist() == [18321, 18267, 2932896]


@pytest.mark.parametrize("dose", [0, -10])
def test_zero_or_negative_dose(dose: float) -> None:
    rows = schedule("S1", (14, 14))
    rows[2] = ("S1", "A", day(3), dose, "mg")
    r = run(rows)
    (f,) = r.findings("TS526")
    assert f"(S1, A, 2020-01-08, {dose} mg): the dose is zero or negative; not counted" in f.message
    assert f.span.line == EXPOSURE_LINES["dose"]
    assert r.events("TS503") == 1 and r.findings("TS501") == []


def test_missing_dose() -> None:
    rows = schedule("S1", (14, 14))
    rows[2] = ("S1", "A", day(3), None, "mg")
    r = run(rows)
    assert [d.code for d in r.section.findings] == ["TS527"]
    assert r.rdi("S1", "A") is None and r.rdi("S1", "B") == 1.0


def test_text_in_the_dose_column_is_the_binders_finding_and_a_missing_dose() -> None:
    rows = schedule("S1", (14,))
    rows[2] = ("S1", "A", day(3), "ten", "mg")
    r = run(rows)
    assert [d.code for d in r.binding] == ["TS406"]
    assert r.codes() == ["TS527"]


def test_empty_exposure() -> None:
    model = protocol()
    r = run([], subjects=["S1", "S2"], model=model)
    assert r.codes() == []
    assert r.section.summary["subjects"] == {"screened": 2, "treated": 0, "cycles": 0}
    assert r.section.explain("S1")[0].rows == (("no administrations recorded",),)


# -- EX intervals -----------------------------------------------------------------------------


def test_ex_intervals_expand_like_administrations() -> None:
    rows = [ex_row("S1", 1, 5), ex_row("S1", 1, 8, dose=20, freq="QW", drug="B"),
            ex_row("S1", 15, 19), ex_row("S1", 15, 22, dose=20, freq="QW", drug="B")]
    r = run(rows, ex=True)
    assert r.codes() == []
    a = r.tables["admins"]
    assert (a["drug"] == 0).sum() == 10 and (a["drug"] == 1).sum() == 4
    assert r.section.summary["shape"] == "intervals"


@pytest.mark.parametrize(("freq", "days", "per_day"), [
    ("QD", 5, 1), ("BID", 5, 2), ("TID", 5, 3), ("QOD", 3, 1), ("Q2D", 3, 1), ("QW", 1, 1), ("ONCE", 1, 1),
    (None, 5, 1),  # missing: the drug's planned frequency, QD if it has none
])
def test_ex_frequencies(freq: str | None, days: int, per_day: int) -> None:
    r = run([("S1", "A", 10, "mg", freq, day(1), day(5))], ex=True)
    a = r.tables["admins"]
    assert a["date"].nunique() == days and len(a) == days * per_day


def test_overlapping_intervals_count_each_day_once() -> None:
    rows = [ex_row("S1", 1, 4), ex_row("S1", 3, 5), ex_row("S1", 1, 8, dose=20, freq="QW", drug="B")]
    r = run(rows, ex=True)
    (f,) = r.findings("TS525")
    assert "exposure row 2 (S1, A, 2020-01-08..2020-01-10, 10 mg): overlaps an earlier interval of the " \
           "same drug ending 2020-01-09" in f.message
    assert f.span.line == EX_LINES["start"]
    assert r.findings("TS504") == [] and len(r.tables["admins"]) == 7


def test_interval_ending_before_it_starts() -> None:
    rows = [ex_row("S1", 5, 1), ex_row("S1", 1, 8, dose=20, freq="QW", drug="B")]
    r = run(rows, ex=True)
    (f,) = r.findings("TS524")
    assert "(S1, A, 2020-01-10..2020-01-06, 10 mg): the interval ends before it starts" in f.message
    assert f.span.line == EX_LINES["end"]


def test_interval_spanning_centuries() -> None:
    rows = [("S1", "A", 10, "mg", "QD", day(1), "9999-12-31")]
    r = run(rows, ex=True)
    assert [d.code for d in r.section.findings] == ["TS524"]
    assert len(r.tables["admins"]) == 0


def test_interval_with_a_missing_start_date() -> None:
    r = run([ex_row("S1", 0, 5)], ex=True)
    (f,) = r.findings("TS523")
    assert "the start date is missing" in f.message
    assert f.span.line == EX_LINES["start"]


def test_interval_with_a_blank_end_date_is_one_day() -> None:
    """SDTM leaves EXENDTC blank for a single administration: one day, with a warning."""
    r = run([ex_row("S1", 1, 0)], ex=True)
    (f,) = r.findings("TS512")
    assert "no end date" in f.message and f.severity.value == "warning"
    assert f.span.line == EX_LINES["end"]
    assert len(r.tables["admins"]) == 1


def test_interval_with_a_frequency_that_cannot_be_expanded() -> None:
    r = run([ex_row("S1", 1, 5, freq="PRN")], ex=True)
    (f,) = r.findings("TS528")
    assert f.span.line == EX_LINES["frequency"]


# -- arms and plans ---------------------------------------------------------------------------


def test_subject_without_a_known_arm() -> None:
    treatment = """treatment:
  cycle: 14 days
  arms:
    high: {A: {dose: 10 mg, days: 1-5}}
    low: {A: {dose: 5 mg, days: 1-5}}
"""
    model = protocol(treatment, arm_column=True)
    rows = [("S1", "A", day(d), 10, "mg") for d in range(1, 6)] + [("S2", "A", day(1), 5, "mg")]
    r = run(rows, model=model, arms={"S1": "middle", "S2": None})
    assert [f.message.split(":")[0] for f in r.findings("TS529")] == [
        "exposure row 1 (S1, A, 2020-01-06, 10 mg)", "exposure row 6 (S2, A, 2020-01-06, 5 mg)"]


def plan_error(treatment: str, **kw: object) -> list[tuple[str, int, str]]:
    model = protocol(treatment, **kw)  # type: ignore[arg-type]
    plan, diags = build_plan(model)
    assert plan is None
    return [(d.code, d.span.line, d.message) for d in diags]


@pytest.mark.parametrize(("treatment", "message"), [
    ("treatment:\n  cycle: 1 month\n  regimen: {A: {dose: 10 mg, days: 1-5}}\n",
     "the cycle length `1 month` is not a whole number of days, at least 1 (30.4375 days)"),
    ("treatment:\n  cycle: 2 g\n  regimen: {A: {dose: 10 mg, days: 1-5}}\n",
     "the cycle length `2 g` is not a whole number of days, at least 1"),
    ("treatment:\n  cycle: 14 days\n  regimen: {A: {dose: '10', days: 1-5}}\n",
     "the dose of A `10` is not an amount with a unit"),
    ("treatment:\n  cycle: 14 days\n  regimen: {A: {dose: 10 mg, days: 1-5, reductions: [5 mL]}}\n",
     "the reduced dose `5 mL` of A is not an amount in units of mg"),
    ("treatment:\n  cycle: 14 days\n  regimen: {A: {dose: 10 mg, days: 1-21}}\n",
     "A is planned on day 21, beyond the 14-day cycle"),
    ("treatment:\n  cycle: 14 days\n  exposure: ex\n  regimen: {A: {dose: 10 mg, days: 1-5}}\n",
     "the exposure dataset `ex` is not declared"),
    ("treatment:\n  cycle: 14 days\n  regimen: {A: {dose: 10 mg, days: 1}}\n"
     "  tolerances: {start_window: 1.5 days}\n",
     "`start_window` `1.5 days` is not a whole number of days (1.5 days)"),
])
def test_a_regimen_that_cannot_be_planned(treatment: str, message: str) -> None:
    (code, line, got), = plan_error(treatment)
    assert code == "TS520" and got == message and line >= 15


def test_several_arms_need_an_arm_column() -> None:
    treatment = ("treatment:\n  cycle: 14 days\n"
                 "  arms: {x: {A: {dose: 1 mg, days: 1}}, y: {A: {dose: 2 mg, days: 1}}}\n")
    ((code, _, message),) = plan_error(treatment)
    assert code == "TS520" and "needs an `arm` column" in message


def test_a_plan_error_gives_a_section_with_its_findings_only() -> None:
    model = protocol("treatment:\n  cycle: 1 month\n  regimen: {A: {dose: 10 mg, days: 1-5}}\n")
    section = run_dosing(model, object(), backend=None)
    assert section.summary == {"computed": False}
    assert [d.code for d in section.findings] == ["TS520"]
    assert [c.passed for c in section.cases] == [False]


def test_no_treatment_no_section() -> None:
    model = protocol("")
    assert run_dosing(model, object(), backend=None) is None


def test_exposure_dataset_with_a_key_is_not_an_exposure_table() -> None:
    text = ("treatment:\n  cycle: 14 days\n  exposure: subjects\n  regimen: {A: {dose: 10 mg, days: 1-5}}\n")
    ((code, _, message),) = plan_error(text)
    assert "must have one row per administration" in message


def test_all_cycle_rows_of_a_subject_missing_a_drug_column_value() -> None:
    rows = cycle_rows("S1", 1)
    rows[0] = ("S1", None, day(1), 10, "mg")
    r = run(rows)
    (f,) = r.findings("TS521")
    assert "no drug named; ignored" in f.message


# -- nothing crashes ----------------------------------------------------------------------------

messy_date = st.one_of(st.none(), st.just(""), st.just("2020-01"), st.just("2020-02-30"), st.just("junk"),
                       st.integers(1, 60).map(day), st.just("9999-12-31"), st.just("0001-01-01"))
messy_dose = st.one_of(st.none(), st.just("ten"), st.sampled_from([0, -5, 5, 10, 20, 7.5, 1e300, 0.01]))
messy_unit = st.one_of(st.none(), st.sampled_from(["mg", "g", "ug", "mL", "mg/m2", "", "zz"]))
messy_drug = st.one_of(st.none(), st.sampled_from(["A", "B", "a ", "C", "", "thalidomide"]))
subject = st.sampled_from(["S1", "S2", "S9"])
messy_frequency = st.one_of(st.none(), st.sampled_from(["QD", "BID", "QW", "Q3D", "PRN", "xx", "ONCE"]))


@settings(max_examples=60)
@given(st.lists(st.tuples(subject, messy_drug, messy_date, messy_dose, messy_unit), max_size=30))
def test_messy_administrations_never_crash(rows: list[tuple[object, ...]]) -> None:
    r = run(rows, subjects=["S1", "S2"])
    assert r.section.name == "dosing"
    for s in ("S1", "S2"):
        r.section.explain(s)


@settings(max_examples=60)
@given(st.lists(st.tuples(subject, messy_drug, messy_dose, messy_unit, messy_frequency, messy_date,
                          messy_date), max_size=15))
def test_messy_intervals_never_crash(rows: list[tuple[object, ...]]) -> None:
    r = run(rows, subjects=["S1", "S2"], ex=True)
    assert r.section.name == "dosing"
    for s in ("S1", "S2"):
        r.section.explain(s)


def test_exposure_not_bound_is_said_not_silent() -> None:
    import pandas as pd

    from trialspec.engine import get_backend
    from trialspec.engine.pandas.bind import bind_frames

    model = protocol()
    bound = bind_frames(model, {"subjects": pd.DataFrame({"subject_id": ["S1"]})})
    section = run_dosing(model, bound.frames, get_backend())
    (f,) = section.findings
    assert (f.code, f.message) == ("TS520", "no data were bound for the exposure dataset `exposure`; "
                                            "no dosing was checked")
    assert f.span.line == 8  # the exposure dataset's declaration
