"""Fixes to the claims section, each on a small made-up report:

- a ``counts`` analysis limited to a population: its percentages are of that population, not
  of the stated number of patients (no false GRIM finding);
- a stated number of patients that has a population itself (the randomized, not the
  screened): it bounds only analyses of the same patients;
- a Kaplan-Meier median with a CI bound not reached (``20.9 (95% CI: 15.1-NR)``) is read;
- the message of a Kaplan-Meier ``events`` claim speaks of events, not of a group's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from analyses_helpers import finding, mini, mini_tables, verdicts

# 10 subjects: arm a has 7 (5 respond), arm b 3 (1 responds); 6 are exposed (4 in a, 2 in b)
ARMS = {"a": ["PR"] * 5 + ["SD"] * 2, "b": ["PR"] + ["SD"] * 2}
EXPOSED = ["true"] * 4 + ["false"] * 3 + ["true"] * 2 + ["false"]


def tables() -> Any:
    return mini_tables(ARMS, exposed=EXPOSED)


def codes(claims: Any) -> dict[str, list[str]]:
    return {label: c for label, (_status, c) in verdicts(claims).items()}


POPULATION = """
analyses:
  S.patients: {method: counts}
  C.arm: {method: counts, by: arm, population: exposed}
reported:
  S: {patients: "10"}
  C:
    arm: ARM
"""


def test_a_counts_analysis_of_a_population_is_not_checked_against_all_patients() -> None:
    # 4 of the 6 exposed: 66.7%; of all 10 patients it would be 40%
    _analyses, claims = mini(POPULATION.replace("ARM", '{a: "4 (66.7%)", b: "2 (33.3%)"}'), tables())
    assert verdicts(claims) == {"S.patients": ("reproduced", []), "C.arm.a": ("reproduced", []),
                                "C.arm.b": ("reproduced", [])}
    assert claims.findings == []


def test_a_counts_analysis_of_a_population_uses_its_own_printed_total() -> None:
    _analyses, claims = mini(POPULATION.replace("ARM", '{n: "6", a: "4 (66.7%)", b: "2 (33.3%)"}'), tables())
    assert claims.findings == []
    # a percentage of all patients instead of the population's 6: another denominator
    _analyses, claims = mini(POPULATION.replace("ARM", '{n: "6", a: "4 (40.0%)"}'), tables())
    assert codes(claims)["C.arm.a"] == ["TS711", "TS721"]
    d = finding(claims, "TS721", "C.arm.a")
    assert "impossible with n = 6" in d.message
    assert "the stated number of patients (n = 10: 4/10 = 40.00%)" in d.message
    # a printed n/k differing from the printed total
    _analyses, claims = mini(POPULATION.replace("ARM", '{n: "6", a: "4/10 (40.0%)"}'), tables())
    assert "TS722" in codes(claims)["C.arm.a"]


def test_without_its_total_a_population_percentage_is_checked_against_any_size_up_to_all() -> None:
    # 4 (31.0%): 4/13 = 30.8%, and no n up to 10 gives it
    _analyses, claims = mini(POPULATION.replace("ARM", '{a: "4 (31.0%)"}'), tables())
    assert "TS720" in codes(claims)["C.arm.a"]
    assert "impossible for any group of up to 10 patients" in finding(claims, "TS720").message


RANDOMIZED = """
analyses:
  S.exposed: {method: counts, population: exposed}
  C.exposed: {method: counts, by: arm, population: exposed}
  A: {method: counts, by: arm}
  T: {endpoint: orr, by: arm}
reported:
  S: {exposed: "6"}
  C: {exposed: {a: "4 (66.7%)", b: "2 (33.3%)"}}
  A: {a: "7 (70.0%)", b: "3 (30.0%)"}
  T: {orr: {a: "5 (71.4%)"}}
"""


def test_a_stated_number_of_patients_with_a_population_bounds_only_those_patients() -> None:
    _analyses, claims = mini(RANDOMIZED, tables())
    # the analyses of all 10 are not held to the 6 of the stated total: no TS720, no TS722
    assert claims.findings == []
    assert {s for s, _codes in verdicts(claims).values()} == {"reproduced"}
    # an analysis of the same population as the stated total is held to it exactly
    _analyses, claims = mini(RANDOMIZED.replace('a: "4 (66.7%)"', 'a: "4 (40.0%)"'), tables())
    assert "TS720" in codes(claims)["C.exposed.a"]
    assert "impossible with n = 6" in finding(claims, "TS720", "C.exposed.a").message


# -- Kaplan-Meier: medians with a bound not reached, events -----------------------------------

DAYS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] + [15, 25, 35, 45, 55, 65]
EVENT = [True] * 6 + [False] * 4 + [True] * 6


def km_tables() -> Any:
    """Arm a: median 55 (log CI 30 to not reached); arm b: median 40 (25 to not reached)."""
    start = np.datetime64("2020-01-01")
    return mini_tables({"a": ["PR"] * 10, "b": ["PR"] * 6},
                       event_date=[str(start + d) if e else "" for d, e in zip(DAYS, EVENT, strict=True)],
                       last_seen=[str(start + d) for d in DAYS])


KM = """
analyses:
  K: {endpoint: pfs, by: arm}
reported:
  K:
    median: {a: "MEDIAN_A", b: "MEDIAN_B"}
    events: {a: "6", b: "7"}
"""


def km(a: str, b: str = "40 (95% CI: 25-NR)") -> Any:
    analyses, claims = mini(KM.replace("MEDIAN_A", a).replace("MEDIAN_B", b), km_tables())
    assert analyses.summary["analyses"]["K"]["groups"][0]["median_ci"] == [30.0, None]
    return claims


@pytest.mark.parametrize("printed", ["55 (95% CI: 30-NR)", "55 (95% CI 30 to not reached)",
                                     "55 [30; NE]", "55 (30-NR)", "NR (95% CI: 30-NR)"])
def test_a_median_with_a_bound_not_reached_is_read(printed: str) -> None:
    assert "TS710" not in codes(km(printed))["K.median.a"]


def test_a_median_with_a_bound_not_reached_is_judged() -> None:
    v = verdicts(km("55 (95% CI: 30-NR)"))
    assert v["K.median.a"] == ("reproduced", []) and v["K.median.b"] == ("reproduced", [])
    v = verdicts(km("55 (95% CI: 30-80)", "NR (95% CI: 25-NR)"))
    assert v["K.median.a"] == ("not reproduced", ["TS711"])  # the upper bound is not reached
    assert v["K.median.b"] == ("not reproduced", ["TS711"])  # the median is reached: 40


def test_events_of_a_kaplan_meier_group_are_checked() -> None:
    v = verdicts(km("55"))
    assert v["K.events.a"] == ("reproduced", []) and v["K.events.b"] == ("not reproduced", ["TS711"])


def test_the_message_of_an_events_claim_speaks_of_events() -> None:
    claims = km("55")
    d = finding(claims, "TS711", "K.events.b")
    assert "size" not in d.message and "the events of b: 6" in d.message


# -- a pooled row that is not an estimate with its CI -----------------------------------------

@pytest.mark.parametrize(("pooled", "status"), [('"3.27"', "not checked"),
                                                ('"3.27 (95% CI: 2.34-NR)"', "consistent")])
def test_a_pooled_row_with_no_closed_ci_is_not_pooled_from_its_studies(pooled: str, status: str) -> None:
    _analyses, claims = mini(f"""
reported:
  X:
    studies: {{s1: "2.82 [1.84;4.33]", s2: "4.02 [2.36;6.85]"}}
    pooled: {pooled}
""")  # it raised TypeError ("the pooled value must be an estimate with a CI")
    assert verdicts(claims)["X.pooled"][0] == status


def test_group_sizes_the_data_give_are_not_held_to_the_stated_total() -> None:
    """A Kaplan-Meier analysis leaves out a patient whose start date is unknown (TS704): its
    printed n (6 + 3 of 10) are what the data give, so they are reproduced, not inconsistent
    with the stated 10 (TS722); a printed n the data do not give still is."""
    start = ["2020-01-01"] * 10
    start[0] = ""
    data = mini_tables(ARMS, start=start)
    body = """
analyses:
  S.patients: {method: counts}
  T: {endpoint: pfs, by: arm}
reported:
  S: {patients: "10"}
  T:
    n: {a: "6", b: "3"}
"""
    _analyses, claims = mini(body, data)
    assert verdicts(claims)["T.n.a"] == ("reproduced", []) and verdicts(claims)["T.n.b"] == ("reproduced", [])
    assert [d.code for d in claims.findings if d.code == "TS722"] == []
    _analyses, claims = mini(body.replace('b: "3"', 'b: "2"'), data)
    assert "TS722" in {d.code for d in claims.findings}
