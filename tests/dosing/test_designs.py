"""Treatment designs beyond fixed doses: dose steps, placebo and observation arms, dose forms,
recorded cycles, per-arm cycle lengths, one arm's problem, and the static checks."""

from __future__ import annotations

import pytest

from trialspec.compiled import check_model
from trialspec.domain.treatment import build_plan
from trialspec.protocol import load_protocol_text

from .helpers import HEAD, day, protocol, run

STEPS = "treatment:\n  cycle: 28 days\n  regimen:\n    X: {dose: "
TITRATION = """treatment:
  cycle: 28 days
  regimen:
    X:
      dose: [{days: 1-14, dose: 54 mg}, {from: day 15, dose: 81 mg}]
      days: 1-28
      reductions: [27 mg]
  dose_intensity_min: 80%
"""


def daily(subject: str, doses: dict[int, float], drug: str = "X", unit: str = "mg") -> list[tuple]:
    return [(subject, drug, day(d), x, unit) for d, x in sorted(doses.items())]


def test_a_planned_step_is_not_a_dose_change_and_rdi_follows_the_steps() -> None:
    doses = {d: 54.0 if d <= 14 else 81.0 for d in range(1, 29)}
    r = run(daily("S1", doses), model=protocol(TITRATION))
    assert r.section.summary["dose_changes"] == [] and r.events("TS501") == 0
    person = r.section.summary["per_subject"][0]["drugs"]["X"]
    assert person["planned"] == 14 * 54 + 14 * 81 == person["delivered"] and person["rdi"] == 1.0


def test_staying_on_the_run_in_dose_is_off_level_and_lowers_rdi() -> None:
    """54 mg on day 15 onwards is no level of those days (81 mg; reduction 27 mg)."""
    doses = {d: 54.0 for d in range(1, 29)}
    r = run(daily("S1", doses), model=protocol(TITRATION))
    (finding,) = r.findings("TS501")
    assert finding.message.startswith("S1 X cycle 1 days 15-28 (2020-01-20 to 2020-02-02): 14 x 54 mg, "
                                      "not an allowed level (planned 81 mg that day; reductions 27 mg)")
    assert r.rdi("S1", "X") == pytest.approx(28 * 54 / (14 * 54 + 14 * 81))


def test_a_reduction_on_top_of_the_current_step_and_its_reescalation() -> None:
    doses = {d: 54.0 if d <= 14 else 81.0 for d in range(1, 29)}
    doses.update({20: 27.0, 21: 27.0, 22: 81.0})
    r = run(daily("S1", doses), model=protocol(TITRATION))
    changes = [(c["day"], c["from"], c["to"], c["kind"]) for c in r.section.summary["dose_changes"]]
    assert changes == [(20, 81.0, 27.0, "reduction"), (22, 27.0, 81.0, "re-escalation")]
    assert r.events("TS510") == 1 and r.events("TS501") == 0


def test_steps_by_cycle() -> None:
    treatment = """treatment:
  cycle: 7 days
  regimen:
    X: {dose: [{cycles: 1, dose: 10 mg}, {from: cycle 2, dose: 20 mg}], days: 1}
"""
    rows = [("S1", "X", day(1), 10, "mg"), ("S1", "X", day(8), 20, "mg"), ("S1", "X", day(15), 10, "mg")]
    r = run(rows, model=protocol(treatment))
    assert [f.message.split(":")[0] for f in r.findings("TS501")] == ["S1 X cycle 3 day 1 (2020-01-20)"]
    assert r.section.summary["dose_changes"] == []
    # a missed day says its own step's dose (it said the first step's, 10 mg)
    two_days = treatment.replace("days: 1}", "days: [1, 2]}")
    given = [("S1", "X", day(d), 10 if d < 8 else 20, "mg") for d in (1, 2, 8, 15, 16)]
    skipped = run(given, model=protocol(two_days))
    assert [f.message for f in skipped.findings("TS503")] == [
        "S1 X cycle 2 day 2 (2020-01-14): planned 20 mg, no dose within +/-0 day(s)"]


PLACEBO_AND_CONTROL = """treatment:
  cycle: 14 days
  arms:
    active: {A: {dose: 10 mg, days: 1-5}}
    placebo: {P: {dose: 0 mg, days: 1-5}}
    control: {}
    rest: observation
  dose_intensity_min: 80%
"""


def test_placebo_and_observation_arms() -> None:
    model = protocol(PLACEBO_AND_CONTROL, arm_column=True)
    rows = daily("S1", {d: 10.0 for d in range(1, 6)}, "A")
    rows += daily("S2", {1: 0.0, 2: 0.0, 5: 0.0}, "P")  # 3 of 5 placebo doses
    rows += daily("S3", {1: 0.0}, "A")  # a control subject given the active drug
    r = run(rows, model=model, subjects=["S1", "S2", "S3", "S4"],
            arms={"S1": "active", "S2": "placebo", "S3": "control", "S4": "rest"})
    assert r.section.summary["plan"]["observation_arms"] == ["control", "rest"]
    placebo = next(p for p in r.section.summary["per_subject"] if p["id"] == "S2")["drugs"]["P"]
    assert placebo["compliance"] == 0.6 == placebo["rdi"]
    assert [f.message.split()[0] for f in r.findings("TS511")] == ["S2"]
    assert r.events("TS503") == 2
    assert "TS526" not in r.codes()  # a placebo's 0 mg is its dose, not a non-positive dose
    (wrong,) = r.findings("TS521")
    assert "not in the regimen of arm control" in wrong.message


def test_an_arm_that_cannot_be_planned_does_not_switch_off_the_others() -> None:
    treatment = """treatment:
  cycle: 14 days
  arms:
    good: {A: {dose: 10 mg, days: 1-5}}
    broken: {B: {dose: 1 month, days: 1-5}}
"""
    model = protocol(treatment, arm_column=True)
    rows = daily("S1", {1: 10.0, 2: 10.0, 4: 10.0, 5: 10.0}, "A") + daily("S2", {1: 5.0}, "B")
    r = run(rows, model=model, arms={"S1": "good", "S2": "broken"})
    (skipped,) = r.findings("TS530")
    assert skipped.message.startswith("dosing of arm broken is not checked: the dose of B `1 month` is a ")
    assert r.events("TS503") == 1  # S1 still checked: day 3 missed
    assert "TS521" not in r.codes() and "TS529" not in r.codes()  # S2 not reported row by row
    assert r.section.summary["plan"]["arms_not_checked"] == ["broken"]


def test_dose_forms_and_routes_from_ex() -> None:
    treatment = """treatment:
  cycle: 7 days
  regimen:
    X: {dose: 1 patch, days: 1-7, form: patch, route: transdermal}
"""
    text = (HEAD % {"arm_column": "", "exposure_columns": """      drug: {type: string}
      date: {type: date}
      dose: {type: number, unit_column: unit}
      form: {type: string}
      route: {type: string}
"""}) + treatment
    model, diags = load_protocol_text(text, "forms.yaml")
    assert model is not None, diags
    import pandas as pd

    from trialspec.domain.treatment import run_dosing
    from trialspec.engine import get_backend
    from trialspec.engine.pandas.bind import bind_frames

    rows = [("S1", "X", day(d), 0, "mg", "PATCH", "TRANSDERMAL") for d in range(1, 7)]
    rows += [("S1", "X", day(7), 1, "tablet", "TABLET", "ORAL")]
    exposure = pd.DataFrame(rows, columns=["subject_id", "drug", "date", "dose", "unit", "form", "route"])
    bound = bind_frames(model, {"subjects": pd.DataFrame({"subject_id": ["S1"]}), "exposure": exposure})
    section = run_dosing(model, bound.frames, get_backend("pandas"))
    found = sorted(d.message.split(": ", 1)[1] for d in section.findings if d.code == "TS532")
    assert found == ["the dose form is not the planned patch; counted", "the route is not the planned "
                     "transdermal; counted"]
    person = section.summary["per_subject"][0]["drugs"]["X"]
    # EX's "0 mg" rows of a patch counted in patches are one patch each
    assert person["delivered"] == 7 and person["rdi"] == 1.0


def test_recorded_cycles_are_reconciled() -> None:
    treatment = """treatment:
  cycle: 7 days
  tolerances: {start_window: 1 days}
  regimen:
    X: {dose: 10 mg, days: 1}
"""
    text = (HEAD % {"arm_column": "", "exposure_columns": """      drug: {type: string}
      date: {type: date}
      dose: {type: number, unit_column: unit}
      cycle: {source: VISIT, type: string}
"""}) + treatment
    model, _ = load_protocol_text(text, "cycles.yaml")
    import pandas as pd

    from trialspec.domain.treatment import run_dosing
    from trialspec.engine import get_backend
    from trialspec.engine.pandas.bind import bind_frames

    rows = [("S1", "X", day(1), 10, "mg", "CYCLE 1"), ("S1", "X", day(8), 10, "mg", "CYCLE 2"),
            ("S1", "X", day(15), 10, "mg", "CYCLE 4")]
    exposure = pd.DataFrame(rows, columns=["subject_id", "drug", "date", "dose", "unit", "VISIT"])
    bound = bind_frames(model, {"subjects": pd.DataFrame({"subject_id": ["S1"]}), "exposure": exposure})
    section = run_dosing(model, bound.frames, get_backend("pandas"))
    assert [d.message for d in section.findings if d.code == "TS531"] == [
        "S1 X: 1 administration(s) recorded in cycle 4 (2020-01-20 to 2020-01-20) fall in reconstructed "
        "cycle(s) 3"]


def test_arms_with_their_own_cycle_lengths() -> None:
    treatment = """treatment:
  cycle: {q21: 21 days, q14: 14 days}
  arms:
    q21: {A: {dose: 10 mg, days: 1}}
    q14: {A: {dose: 10 mg, days: 1}}
"""
    model = protocol(treatment, arm_column=True)
    rows = [("S1", "A", day(d), 10, "mg") for d in (1, 22, 43)]
    rows += [("S2", "A", day(d), 10, "mg") for d in (1, 15, 29)]
    r = run(rows, model=model, arms={"S1": "q21", "S2": "q14"})
    assert [p["cycles"] for p in r.section.summary["per_subject"]] == [3, 3]
    assert r.codes() == []
    # explain says each subject's own arm's length (it said the first arm's for every arm)
    assert r.section.explain("S2")[0].note.startswith("14-day cycles")
    assert r.section.explain("S1")[0].note.startswith("21-day cycles")
    # with one length for both, the 14-day arm's cycles would be too short
    same = protocol(treatment.replace("{q21: 21 days, q14: 14 days}", "21 days"), arm_column=True)
    wrong = run(rows, model=same, arms={"S1": "q21", "S2": "q14"})
    assert {f.message.split()[0] for f in wrong.findings("TS505")} == {"S2"} and wrong.events("TS505") == 2


@pytest.mark.parametrize(("treatment", "code", "message"), [
    ("treatment:\n  cycle: 14 days\n  exposure: ex\n  regimen: {A: {dose: 10 mg, days: 1-5}}\n", "TS220",
     "the treatment needs the exposure dataset `ex`, which is not declared"),
    (STEPS + "[{days: 1-14, dose: 54 mg}, {from: day 16, dose: 81 mg}]}\n",
     "TS221", "the dose steps of X leave days 15-15 without a dose"),
    (STEPS + "[{weeks: 1-2, dose: 54 mg}, {days: 14-28, dose: 81 mg}]}\n",
     "TS221", "the dose steps of X overlap: day 14 is in two steps"),
    ("treatment:\n  cycle: 14 days\n  regimen: {A: {dose: 25 days, days: 1-5}}\n", "TS222",
     "the dose `25 days` of A is a time, not an amount of drug (mg) or of dosage units (tablet, patch)"),
    ("treatment:\n  cycle: 14 days\n  regimen: {A: {dose: 75 mg/m2, days: 1, form: patch}}\n", "TS222",
     "the dose `75 mg/m2` of A does not fit its form `patch` (a patch is dosed as mass, count)"),
    ("treatment:\n  cycle: 14 days\n  regimen: {A: {dose: 75 mg/m2, days: 1}}\n", "TS223",
     "the dose `75 mg/m2` of A is per body size, but the treatment does not say where height and weight "
     "come from"),
    (STEPS + "[{days: 1-14, dose: 54 mg}, {from: cycle 2, dose: 81 mg}]}\n",
     "TS224", "the dose steps of X mix study days or weeks, cycles and visits"),
])
def test_static_checks(treatment: str, code: str, message: str) -> None:
    model = protocol(treatment)
    _, diags = check_model(model)
    found = [(d.code, d.message) for d in diags if d.code == code]
    assert found == [(code, message)]


def test_a_missing_exposure_dataset_is_a_lint_warning_and_the_check_goes_on() -> None:
    model = protocol("treatment:\n  cycle: 14 days\n  exposure: ex\n"
                     "  regimen: {A: {dose: 10 mg, days: 1-5}}\n")
    checked, diags = check_model(model)
    assert checked is not None and [d.severity.value for d in diags if d.code == "TS220"] == ["warning"]


def test_an_observation_only_study_needs_no_exposure() -> None:
    model = protocol("treatment:\n  cycle: 14 days\n  exposure: ex\n"
                     "  arms: {bedrest: {}, control: observation}\n", arm_column=True)
    assert build_plan(model) == (None, [])
    assert [d for d in check_model(model)[1] if d.code.startswith("TS22")] == []


CARBOPLATIN = """trialspec: 1
study: {id: AUC-TEST}
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      sex: {type: string}
      weight: {type: number, unit: kg}
      creatinine: {type: number, unit: umol/L, analyte: creatinine}
  exposure:
    subject: subject_id
    columns:
      drug: {type: string}
      date: {type: date}
      dose: {type: number, unit_column: unit}
treatment:
  cycle: 21 days
  body_size: {dataset: subjects, weight: weight, age: age, sex: sex, creatinine: creatinine,
              crcl: cockcroft-gault, crcl_max: 125 mL/min}
  regimen:
    carboplatin: {dose: AUC 5, days: 1, form: infusion}
  tolerances: {dose_tolerance: 2%}
"""


def test_carboplatin_by_calvert_with_cockcroft_gault() -> None:
    """Calvert: dose = AUC x (GFR + 25); AUC 5 at a GFR of 100 mL/min is 625 mg. The GFR is
    Cockcroft-Gault's clearance, x 0.85 for women, capped at 125 mL/min."""
    import pandas as pd

    from trialspec.domain.treatment import run_dosing
    from trialspec.domain.treatment_schedule import calvert, cockcroft_gault
    from trialspec.engine import get_backend
    from trialspec.engine.pandas.bind import bind_frames

    assert calvert(5, 100.0) == 625.0
    assert cockcroft_gault(68.0, 100.0, 1.0, False) == 100.0
    model, diags = load_protocol_text(CARBOPLATIN, "auc.yaml")
    assert model is not None, diags
    mg_dl = 10000 / 113.12  # umol/L in 1 mg/dL of creatinine (113.12 g/mol)
    people = pd.DataFrame({"subject_id": ["C1", "C2", "C3", "C4"], "age": [68, 68, 40, 60],
                           "sex": ["M", "F", "M", None], "weight": [100, 100, 90, 70],
                           "creatinine": [mg_dl, mg_dl, 0.5 * mg_dl, mg_dl]})
    rows = [("C1", "carboplatin", day(1), 625, "mg"), ("C2", "carboplatin", day(1), 550, "mg"),
            ("C3", "carboplatin", day(1), 750, "mg"), ("C3", "carboplatin", day(22), 1375, "mg"),
            ("C4", "carboplatin", day(1), 500, "mg")]
    exposure = pd.DataFrame(rows, columns=["subject_id", "drug", "date", "dose", "unit"]).astype(object)
    bound = bind_frames(model, {"subjects": people, "exposure": exposure})
    section = run_dosing(model, bound.frames, get_backend("pandas"))
    per = {p["id"]: p["drugs"]["carboplatin"] for p in section.summary["per_subject"]}
    assert per["C1"]["planned"] == pytest.approx(625.0, rel=1e-6)
    assert per["C2"]["planned"] == pytest.approx(5 * (0.85 * 100 + 25), rel=1e-6)
    assert per["C3"]["planned"] == pytest.approx(2 * 5 * (125 + 25), rel=1e-6)  # capped clearance
    (over,) = [f.message for f in section.findings if f.code == "TS501"]
    assert over.startswith("C3 carboplatin cycle 2 day 1 (2020-01-27): 1375 mg, not an allowed level "
                           "(planned 750 mg +/-2% that day)")
    (unknown,) = [f.message for f in section.findings if f.code == "TS533"]
    assert unknown.startswith("C4 carboplatin: dosed by target AUC but the subject's creatinine clearance")
    _, lint = check_model(model)
    assert not [d for d in lint if d.code.startswith("TS22")]
    no_crcl = load_protocol_text(CARBOPLATIN.replace("crcl: cockcroft-gault, ", ""), "auc.yaml")[0]
    assert no_crcl is not None
    assert [d.code for d in check_model(no_crcl)[1] if d.code.startswith("TS22")] == ["TS223"]


def test_a_regimen_without_cycles_ends_at_its_last_dose_and_only_ts508_beyond() -> None:
    """`duration: 4 weeks` with `max_delay: 7 days`: one period of 35 days, every day planned,
    the days after the last dose in it not due. Doses after a gap beyond the period are
    treatment beyond the plan (TS508 only): the period's days 29-35 are not missed doses, and
    what follows is no "cycle 2" starting late (TS507), nor a short or long cycle. Before,
    all three were reported (found by the third differential trial)."""
    treatment = """treatment:
  duration: 4 weeks
  exposure: exposure
  regimen:
    X: {dose: 50 mg}
  tolerances: {max_delay: 7 days}
  dose_intensity_min: 80%
"""
    model = protocol(treatment)
    on_time = [("S1", "X", day(d), 50, "mg") for d in range(1, 29)]
    r = run(on_time, model=model)
    assert r.codes() == [] and r.rdi("S1", "X") == 1.0
    beyond = on_time + [("S1", "X", day(d), 50, "mg") for d in (41, 42, 43)]
    r = run(beyond, model=model)
    assert r.codes() == ["TS508"] and r.rdi("S1", "X") == 1.0
    [found] = r.findings("TS508")
    assert found.message.startswith("S1 was dosed until " + day(43) + ", beyond the planned treatment")
    within = [("S1", "X", day(d), 50, "mg") for d in range(1, 36)]  # the allowance: still the plan
    assert run(within, model=model).codes() == []
    # a long gap: the calendar may place a period without any dose between (continuous dosing)
    later = within + [("S1", "X", day(d), 50, "mg") for d in (90, 91)]
    r = run(later, model=model)
    assert r.codes() == ["TS508"] and r.rdi("S1", "X") == 1.0


@pytest.mark.parametrize(("body_size", "message"), [
    ("{dataset: vss, height: height, weight: weight, bsa: mosteller}",
     "`body_size` reads the dataset `vss`, which is not declared"),
    ("{dataset: subjects, height: height, weight: wieght, bsa: mosteller}",
     "`body_size` reads the weight from `subjects.wieght`, which is not a declared column of `subjects`"),
])
def test_a_body_size_naming_what_is_not_declared_is_a_lint_error(body_size: str, message: str) -> None:
    """Before, lint said nothing and every subject's dose was unknown at check time (TS533)."""
    text = HEAD % {"exposure_columns": "      drug: {type: string}\n      date: {type: date}\n"
                   "      dose: {type: number, unit_column: unit}\n",
                   "arm_column": "      height: {type: number, unit: cm}\n"
                                 "      weight: {type: number, unit: kg}\n"}
    text += (f"treatment:\n  cycle: 21 days\n  body_size: {body_size}\n  regimen:\n"
             "    X: {dose: 2 mg/kg, days: 1}\n")
    model, diags = load_protocol_text(text, "dosing.yaml")
    assert model is not None
    _checked, more = check_model(model)
    found = [d for d in [*diags, *more] if d.code == "TS223"]
    assert [d.message for d in found] == [message]


def test_a_twice_daily_day_with_one_dose_is_not_a_day_without_a_dose() -> None:
    treatment = """treatment:
  cycle: 7 days
  regimen:
    X: {dose: 10 mg, frequency: BID, days: [1, 2]}
"""
    rows = [("S1", "X", day(d), 10, "mg") for d in (1, 1, 2, 8, 8, 9, 9)]
    r = run(rows, model=protocol(treatment))
    assert [f.message for f in r.findings("TS503")] == [
        "S1 X cycle 1 day 2 (2020-01-07): planned 10 mg, 1 of 2 planned administrations not given "
        "within +/-0 day(s)"]


def test_explain_of_a_subject_whose_rows_were_all_rejected_says_so() -> None:
    r = run([("S1", "X", day(1), 10, "mg"), ("S2", "nonsense", day(1), 10, "mg")],
            model=protocol("treatment:\n  cycle: 7 days\n  regimen:\n    X: {dose: 10 mg, days: 1}\n"))
    [table] = r.section.explain("S2")
    assert table.rows == (("no administration could be used: 1 exposure row(s) rejected (see the dosing "
                           "findings)",),)


def test_an_exposure_row_of_timestamps_is_shown_with_its_day() -> None:
    """The API's frames hold dates as datetime64: a finding shows the day (``2020-01-06``, as a
    CSV would hold it), not ``2020-01-06 00:00:00``, time zones included (its wall time)."""
    import pandas as pd

    from trialspec.domain.treatment import run_dosing
    from trialspec.engine import get_backend
    from trialspec.engine.pandas.bind import bind_frames

    model = protocol("treatment:\n  cycle: 7 days\n  regimen:\n    X: {dose: 10 mg, days: 1}\n")
    naive = pd.to_datetime([day(1), day(1)])
    for dates in (naive, naive.tz_localize("Asia/Tokyo")):
        exposure = pd.DataFrame({"subject_id": ["S1", "S1"], "drug": ["X", "Y"], "date": dates,
                                 "dose": [10.0, 10.0], "unit": ["mg", "mg"]})
        bound = bind_frames(model, {"subjects": pd.DataFrame({"subject_id": ["S1"]}), "exposure": exposure})
        section = run_dosing(model, bound.frames, get_backend("pandas"))
        [found] = [f for f in section.findings if f.code == "TS521"]
        assert found.message.startswith(f"exposure row 2 (S1, Y, {day(1)}, 10 mg)"), found.message
