"""Each deviation kind on hand-built exposure rows; expectations worked from docs/dosing.md.

The regimen is ``helpers.REGIMEN``: 14-day cycles, A 10 mg days 1-5 (or 5 mg), B 20 mg days
1 and 8, dose window +/-1, start window +/-2 days, maximum delay 7 days, RDI >= 80%.
"""

from __future__ import annotations

import pytest

from .helpers import cycle_rows, day, protocol, run, schedule

DEVIATIONS = ("TS501", "TS502", "TS503", "TS504", "TS505", "TS506", "TS507", "TS508", "TS509", "TS510",
              "TS511", "TS531", "TS533")


def only(r, *codes: str) -> None:  # type: ignore[no-untyped-def]
    """Exactly these deviation codes have events."""
    assert {c for c in DEVIATIONS if r.events(c)} == set(codes), r.codes()


def test_clean_schedule_has_no_findings() -> None:
    r = run(schedule("S1", (14, 14, 14)))
    assert r.codes() == []
    assert [r.rdi("S1", "A"), r.rdi("S1", "B")] == [1.0, 1.0]
    assert r.section.summary["subjects"] == {"screened": 1, "treated": 1, "cycles": 3}
    assert all(c.passed for c in r.section.cases)


def test_cycle_reconstruction_numbers_cycles_and_days() -> None:
    r = run(schedule("S1", (14, 15, 14)))  # cycle 2 one day late: inside the window
    a = r.tables["admins"]
    assert list(zip(a["cycle"], a["day"], strict=True))[:7] == [(1, 1), (1, 1), (1, 2), (1, 3), (1, 4),
                                                                  (1, 5), (1, 8)]
    cycles = r.tables["cycles"]
    assert cycles["cycle"].tolist() == [1, 2, 3]
    assert cycles["length"].tolist()[:2] == [14, 15]
    assert r.codes() == []


def test_dose_not_at_an_allowed_level() -> None:
    rows = schedule("S1", (14, 14))
    rows = [(s, d, t, 7 if (d == "A" and t == day(17)) else x, u) for s, d, t, x, u in rows]
    r = run(rows)
    only(r, "TS501")
    assert r.events("TS501") == 1
    (f,) = r.findings("TS501")
    assert "S1 A cycle 2 day 3 (2020-01-22): 7 mg, not an allowed level (10, 5 mg)" in f.message
    assert f.span.line == protocol().treatment.arms["main"].drugs["A"].span.line


def test_dose_on_a_rest_day() -> None:
    # A on cycle 1 day 10: outside 1-5 +/- 1. Alone (no B), it cannot start a cycle.
    r = run(schedule("S1", (14, 14)) + [("S1", "A", day(10), 10, "mg")])
    only(r, "TS502")
    (f,) = r.findings("TS502")
    assert "S1 A cycle 1 day 10 (2020-01-15): 10 mg on a rest day" in f.message
    assert r.tables["cycles"]["length"].tolist()[0] == 14
    assert r.rdi("S1", "A") == pytest.approx(110 / 100)


def test_missed_dose_is_the_day_without_a_dose() -> None:
    r = run(schedule("S1", (14, 14), skip=(("A", 3),)))
    only(r, "TS503")  # A's intensity is 8 / 10 = 80%: not below the threshold
    assert r.events("TS503") == 2  # day 3 of each cycle
    m = r.tables["missed"]
    assert list(zip(m["cycle"], m["day"], strict=True)) == [(1, 3), (2, 3)]
    (f1, f2) = r.findings("TS503")
    assert "S1 A cycle 1 day 3 (2020-01-08): planned 10 mg, no dose within +/-1 day(s)" in f1.message
    assert r.rdi("S1", "A") == pytest.approx(0.8)


def test_a_run_shifted_by_a_day_inside_the_window_is_on_time() -> None:
    # A on days 2-6 instead of 1-5: each dose one day late, within the window
    rows = [r for r in cycle_rows("S1", 1) if r[1] == "B"]
    rows += [("S1", "A", day(d), 10, "mg") for d in range(2, 7)]
    r = run(rows + cycle_rows("S1", 15))
    only(r)


def test_extra_dose_two_on_one_day_and_one_beyond_the_plan() -> None:
    rows = schedule("S1", (14, 14)) + [("S1", "A", day(2), 10, "mg"), ("S1", "A", day(20), 10, "mg")]
    r = run(rows)  # day 20 is cycle 2 day 6: inside day 5's window, but day 5 had its dose
    only(r, "TS504")
    assert r.events("TS504") == 2
    f1, f2 = r.findings("TS504")
    assert "S1 A cycle 1 day 2 (2020-01-07): 1 extra dose(s)" in f1.message
    assert "S1 A cycle 2 day 6 (2020-01-25)" in f2.message


def test_bid_counts_two_per_planned_day() -> None:
    treatment = """treatment:
  cycle: 7 days
  regimen:
    C: {dose: 5 mg, frequency: BID, days: 1-3}
"""
    model = protocol(treatment)
    rows = [("S1", "C", day(d), 5, "mg") for d in (1, 1, 2, 3, 3, 3)]  # day 2 once, day 3 three times
    r = run(rows, model=model)
    assert r.events("TS503") == 1 and r.events("TS504") == 1
    m = r.tables["missed"]
    assert (m["day"].tolist(), m["count"].tolist()) == ([2], [1])


def test_cycle_too_short_and_started_outside_its_window() -> None:
    # cycle 2 starts on day 11 of cycle 1 (A and B together, after B's day 8 + 1): 10 days
    r = run(schedule("S1", (10, 14)))
    only(r, "TS505", "TS507")
    assert "S1 cycle 1 lasted 10 days (2020-01-06 to 2020-01-15)" in r.findings("TS505")[0].message
    assert "S1 cycle 2 started 2020-01-16, 4 days before its planned day 2020-01-20 (window +/-2 days)" in \
        r.findings("TS507")[0].message


def test_cycle_too_long_is_also_outside_its_window() -> None:
    r = run(schedule("S1", (24, 14)))
    only(r, "TS506", "TS507")
    assert "S1 cycle 1 lasted 24 days" in r.findings("TS506")[0].message
    assert "longer than 14 + 7 days" in r.findings("TS506")[0].message


@pytest.mark.parametrize(("length", "codes"), [
    (12, set()), (16, set()),  # inside the +/-2 day window
    (17, {"TS507"}), (21, {"TS507"}),  # late, but within the 7-day maximum delay
    (22, {"TS506", "TS507"}),
])
def test_cycle_length_limits(length: int, codes: set[str]) -> None:
    r = run(schedule("S1", (length, 14)))
    only(r, *codes)


def test_more_cycles_than_planned() -> None:
    r = run(schedule("S1", (14, 14, 14)) + schedule("S2", (14, 14)), model=protocol(cycles="2"))
    only(r, "TS508")
    (f,) = r.findings("TS508")
    assert "S1 had 3 cycles; 2 are planned (cycle 3 started 2020-02-03)" in f.message


def test_until_progression_stopping_early_is_not_a_deviation() -> None:
    r = run(schedule("S1", (14,)))
    assert r.codes() == []


def test_the_last_cycle_stops_at_the_last_administration() -> None:
    # treatment ends on cycle 2 day 3: A days 4-5 and B day 8 were not due
    rows = schedule("S1", (14,)) + [r for r in cycle_rows("S1", 15) if r[1] == "B" and r[2] == day(15)]
    rows += [("S1", "A", day(d), 10, "mg") for d in (15, 16, 17)]
    r = run(rows)
    assert r.codes() == []
    i = r.tables["intensity"]
    assert i.loc[i["cycle"] == 2, "planned_n"].tolist() == [3, 1]


def test_drug_never_given() -> None:
    r = run(schedule("S1", (14, 14), b=False))
    only(r, "TS509", "TS511")  # and B's intensity is 0%
    (f,) = r.findings("TS509")
    assert f.message.startswith("S1 never received B: 3 administrations planned over 2 cycle(s)")
    assert r.events("TS503") == 0  # its planned days are not also "missed"
    assert r.rdi("S1", "B") == 0.0


def test_reduction_is_recorded_not_a_deviation() -> None:
    rows = cycle_rows("S1", 1) + cycle_rows("S1", 15, a_dose=5) + cycle_rows("S1", 29, a_dose=5) \
        + cycle_rows("S1", 43, a_dose=5)
    r = run(rows)
    only(r, "TS511")  # (50 + 3 x 25) / 200 = 62.5%
    assert r.rdi("S1", "A") == pytest.approx(0.625)
    (change,) = r.section.summary["dose_changes"]
    assert change == {"subject": "S1", "drug": "A", "cycle": 2, "day": 1, "date": day(15), "from": 10.0,
                      "to": 5.0, "unit": "mg", "kind": "reduction"}


def test_reduction_keeping_intensity_above_the_threshold() -> None:
    rows = cycle_rows("S1", 1) + cycle_rows("S1", 15) + cycle_rows("S1", 29) + cycle_rows("S1", 43, a_dose=5)
    r = run(rows)
    only(r)
    assert r.rdi("S1", "A") == pytest.approx(175 / 200)


def test_forbidden_re_escalation() -> None:
    rows = cycle_rows("S1", 1) + cycle_rows("S1", 15, a_dose=5) + cycle_rows("S1", 29) + cycle_rows("S1", 43)
    r = run(rows)
    only(r, "TS510")
    (f,) = r.findings("TS510")
    assert "S1 A cycle 3 day 1 (2020-02-03): re-escalated from 5 mg to 10 mg" in f.message
    kinds = [c["kind"] for c in r.section.summary["dose_changes"]]
    assert kinds == ["reduction", "re-escalation"]


def test_allowed_re_escalation() -> None:
    rows = cycle_rows("S1", 1) + cycle_rows("S1", 15, a_dose=5) + cycle_rows("S1", 29) + cycle_rows("S1", 43)
    r = run(rows, model=protocol(a_extra=", reescalation: true"))
    only(r)


def test_a_dose_off_the_levels_does_not_count_as_a_re_escalation() -> None:
    rows = cycle_rows("S1", 1) + cycle_rows("S1", 15, a_dose=7) + cycle_rows("S1", 29)
    r = run(rows)
    only(r, "TS501")


def test_low_dose_intensity() -> None:
    rows = cycle_rows("S1", 1) + cycle_rows("S1", 15, a_dose=5)
    r = run(rows)
    only(r, "TS511")
    (f,) = r.findings("TS511")
    assert f.message == "S1 A: relative dose intensity 75.0% (75 mg of 100 mg planned) is below 80%"
    per_cycle = r.tables["intensity"]
    assert per_cycle.loc[per_cycle["drug"] == 0, "rdi"].tolist() == [1.0, 0.5]


def test_dose_in_grams_is_converted() -> None:
    rows = [(s, d, t, x / 1000 if d == "A" else x, "g" if d == "A" else u)
            for s, d, t, x, u in schedule("S1", (14, 14))]
    r = run(rows)
    assert r.codes() == []
    assert r.rdi("S1", "A") == pytest.approx(1.0)


def test_several_arms() -> None:
    treatment = """treatment:
  cycle: 14 days
  arms:
    high: {A: {dose: 10 mg, days: 1-5}}
    low: {A: {dose: 5 mg, days: 1-5}}
"""
    model = protocol(treatment, arm_column=True)
    rows = [("S1", "A", day(d), 10, "mg") for d in range(1, 6)] + [("S2", "A", day(d), 10, "mg")
                                                                   for d in range(1, 6)]
    r = run(rows, model=model, arms={"S1": "high", "S2": "low"})
    assert [f.message.split(":")[0] for f in r.findings("TS501")] == [
        "S2 A cycle 1 days 1-5 (2020-01-06 to 2020-01-10)"]
    assert r.rdi("S1", "A") == 1.0 and r.rdi("S2", "A") == 2.0


def test_cycles_planned_per_arm() -> None:
    treatment = """treatment:
  cycle: 14 days
  cycles: {short: 2, long: until progression}
  arms:
    short: {A: {dose: 10 mg, days: 1-5}}
    long: {A: {dose: 10 mg, days: 1-5}}
"""
    model = protocol(treatment, arm_column=True)
    rows = [(s, "A", day(14 * c + d), 10, "mg") for s in ("S1", "S2") for c in range(3) for d in range(1, 6)]
    r = run(rows, model=model, arms={"S1": "short", "S2": "long"})
    assert [f.message for f in r.findings("TS508")] == [
        "S1 had 3 cycles; 2 are planned in arm short (cycle 3 started 2020-02-03)"]
    assert r.section.summary["plan"]["cycles"] == {"short": 2, "long": "until progression"}
    assert r.section.summary["plan"]["until_progression"] == {"short": False, "long": True}


def test_cycles_by_arm_name_every_arm() -> None:
    treatment = """treatment:
  cycle: 14 days
  cycles: {short: 2, other: 3}
  arms:
    short: {A: {dose: 10 mg, days: 1-5}}
    long: {A: {dose: 10 mg, days: 1-5}}
"""
    model = protocol(treatment, arm_column=True)
    r = run([("S1", "A", day(1), 10, "mg")], model=model, arms={"S1": "short"})
    assert sorted(f.message for f in r.findings("TS520")) == [
        "`cycles` gives no number for the arm `long`", "`cycles` names `other`, which is not an arm"]
    # lint finds them too, at the `cycles:` line
    from trialspec.domain.treatment import lint_treatment

    found = lint_treatment(model)
    assert {d.code for d in found} == {"TS520"} and len(found) == 2
    assert all(model.source.line(d.span.line).strip().startswith("cycles:") for d in found)


def test_summary_keys_and_cases_are_stable() -> None:
    r = run(schedule("S1", (14, 14)))
    s = r.section.summary
    assert list(s) == ["computed", "exposure", "shape", "plan", "subjects", "administrations", "deviations",
                       "input_problems", "dose_changes", "dose_intensity", "cycle_intensity", "per_subject"]
    assert list(s["deviations"]) == list(DEVIATIONS)
    assert [c.name.split()[0] for c in r.section.cases] == [f"dosing/{c}" for c in DEVIATIONS] + [
        "dosing/exposure-data"]
    assert r.section.name == "dosing"


def test_findings_beyond_the_first_fifty_are_counted_in_one_more() -> None:
    rows = []
    for i in range(60):
        rows += schedule(f"S{i:02d}", (14,)) + [(f"S{i:02d}", "A", day(10), 10, "mg")]
    r = run(rows)
    found = r.findings("TS502")
    assert len(found) == 51 and r.events("TS502") == 60
    assert found[-1].message == ("10 more dose-on-rest-day findings like these "
                                 "(the JSON report lists every subject)")
    assert r.section.summary["administrations"] == 60 * 8


def test_domain_and_engine_do_not_import_each_other() -> None:
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src" / "trialspec"

    def imports(path: Path) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names

    for path in (src / "domain").glob("treatment*.py"):
        assert not {m for m in imports(path) if m.startswith(("trialspec.engine", "pandas"))}, path
    for path in (src / "engine" / "pandas").glob("dosing*.py"):
        assert not {m for m in imports(path) if m.startswith("trialspec.domain")}, path


def test_a_placebo_dosed_in_tablets() -> None:
    """A matching placebo has no mass: its dose is counted in dosage units (tablets,
    capsules; CDISC's EXDOSU TABLET), and compliance is in tablets too."""
    treatment = """treatment:
  cycle: 14 days
  cycles: 2
  arms:
    active: {A: {dose: 10 mg, days: 1-5}}
    placebo: {P: {dose: 1 tablet, days: 1-5}}
  dose_intensity_min: 80%
"""
    model = protocol(treatment, arm_column=True)
    rows = [("S1", "A", day(d), 10, "mg") for d in range(1, 6)]
    rows += [("S2", "P", day(d), 1, "TABLET") for d in (1, 5)]  # 2 of 5 placebo tablets
    rows += [("S3", "P", day(d), 2, "tablets") for d in range(1, 6)]  # two at a time
    r = run(rows, model=model, arms={"S1": "active", "S2": "placebo", "S3": "placebo"})
    assert r.rdi("S1", "A") == 1.0 and r.rdi("S2", "P") == 0.4 and r.rdi("S3", "P") == 2.0
    assert {f.message.split()[0] for f in r.findings("TS511")} == {"S2"}
    assert [f.message.split(":")[0] for f in r.findings("TS501")][:1] == [
        "S3 P cycle 1 days 1-5 (2020-01-06 to 2020-01-10)"]  # 2 tablets is no planned level
    assert "tablet" in r.section.summary["per_subject"][1]["drugs"]["P"]["unit"]
