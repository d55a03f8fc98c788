"""Continuous daily dosing: a drug planned on every day of the cycle, no rest period
(docs/dosing.md, "Continuous dosing").

The regimen (``CONTINUOUS``): 28-day cycles, 6 planned, G 10 mg on days 1-28, start window
+/-3 days, maximum delay 7 days, dose window 0. Study day 1 is ``helpers.START``; cycle k
starts on its planned study day 28 (k - 1) + 1 when dosing goes on without a late restart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialspec.backend import Backend
from trialspec.domain.treatment import build_plan, plan_tables

from .helpers import Run, day, protocol, run
from .test_property import Row, agree, random_rows

DEVIATIONS = ("TS501", "TS502", "TS503", "TS504", "TS505", "TS506", "TS507", "TS508", "TS509", "TS510",
              "TS511")

CONTINUOUS = """treatment:
  cycle: 28 days
  cycles: %(cycles)s
  exposure: exposure
  regimen:
    G: {dose: 10 mg, frequency: QD, days: 1-28, reductions: [5 mg]}
  tolerances: {start_window: %(window)s days%(delay)s}
  dose_intensity_min: 80%%
"""


def model(window: int = 3, delay: str = ", max_delay: 7 days", cycles: str = "6", ex: bool = False) -> Any:
    return protocol(CONTINUOUS % {"window": window, "delay": delay, "cycles": cycles}, ex=ex)


def daily(subject: str, first: int, last: int, skip: range | tuple[int, ...] = ()) -> list[tuple[Any, ...]]:
    """G 10 mg on every study day from ``first`` to ``last``, except ``skip``."""
    return [(subject, "G", day(d), 10, "mg") for d in range(first, last + 1) if d not in skip]


def only(r: Run, *codes: str) -> None:
    """Exactly these deviation codes have events."""
    assert {c for c in DEVIATIONS if r.events(c)} == set(codes), r.codes()


def starts(r: Run) -> list[int]:
    """Each cycle's start as a study day."""
    origin = (np.datetime64(day(1)) - np.datetime64("1970-01-01")).astype(int)
    return [int(s) - int(origin) + 1 for s in r.tables["cycles"]["start"]]


def missed(r: Run) -> list[tuple[int, int]]:
    m = r.tables["missed"]
    return list(zip(m["cycle"].tolist(), m["day"].tolist(), strict=True))


PLANNED = [1, 29, 57, 85, 113, 141]  # the six cycles' planned study days


@pytest.mark.parametrize("window", [0, 3])
def test_six_cycles_of_daily_dosing_have_no_findings(window: int) -> None:
    r = run(daily("S1", 1, 168), model=model(window))
    assert r.codes() == []
    assert starts(r) == PLANNED
    assert r.tables["cycles"]["length"].tolist()[:5] == [28] * 5
    assert r.rdi("S1", "G") == 1.0


def test_one_bottle_per_cycle_as_ex_intervals() -> None:
    rows = [("S1", "G", 10, "mg", "QD", day(s), day(s + 27)) for s in PLANNED]
    r = run(rows, model=model(ex=True), ex=True)
    assert r.codes() == []
    assert starts(r) == PLANNED


def test_a_missed_week_is_missed_doses_and_nothing_else() -> None:
    r = run(daily("S1", 1, 168, skip=range(64, 71)), model=model())  # cycle 3 days 8-14
    only(r, "TS503")
    assert missed(r) == [(3, d) for d in range(8, 15)]
    assert starts(r) == PLANNED
    (f,) = r.findings("TS503")
    assert f"S1 G cycle 3 days 8-14 ({day(64)} to {day(70)}): planned 10 mg" in f.message
    assert r.rdi("S1", "G") == pytest.approx(161 / 168)


def test_a_missed_week_across_cycles_is_missed_doses_and_nothing_else() -> None:
    # cycle 2 days 25-28 and cycle 3 days 1-3: the restart on day 4 is inside the window
    r = run(daily("S1", 1, 168, skip=range(53, 60)), model=model())
    only(r, "TS503")
    assert missed(r) == [(2, 25), (2, 26), (2, 27), (2, 28), (3, 1), (3, 2), (3, 3)]
    assert starts(r) == PLANNED


def test_a_ten_day_interruption_inside_a_cycle_is_missed_doses() -> None:
    r = run(daily("S1", 1, 168, skip=range(61, 71)), model=model())  # cycle 3 days 5-14
    only(r, "TS503")
    assert missed(r) == [(3, d) for d in range(5, 15)]


def test_a_restart_inside_the_window_keeps_the_planned_start() -> None:
    # 10 days without a dose from cycle 2 day 20; the restart is 2 days after cycle 3's
    # planned day, inside the +/-3 day window: cycle 3 starts on its planned day, and the
    # days without a dose are missed, on both sides of it
    r = run(daily("S1", 1, 48) + daily("S1", 59, 168), model=model())
    only(r, "TS503")
    assert starts(r) == PLANNED
    assert missed(r) == [(2, d) for d in range(21, 29)] + [(3, 1), (3, 2)]


def test_a_late_restart_after_a_ten_day_interruption_is_a_delayed_cycle() -> None:
    # last dose on cycle 2 day 23 (study day 51); 10 days without a dose; the restart on
    # study day 62 is 5 days after cycle 3's planned day 57, beyond the +/-3 day window:
    # cycle 3 starts at the restart. Cycle 2's own days 24-28 are missed; the 5 days of
    # delay are the TS507, not missed doses. Cycle 2 lasts 33 days (<= 28 + 7: no TS506).
    r = run(daily("S1", 1, 51) + daily("S1", 62, 173), model=model())
    only(r, "TS503", "TS507")
    assert starts(r) == [1, 29, 62, 90, 118, 146]
    assert missed(r) == [(2, d) for d in range(24, 29)]
    (f,) = r.findings("TS507")
    assert f"S1 cycle 3 started {day(62)}, 5 days after its planned day {day(57)} (window +/-3 days)" \
        in f.message
    assert r.tables["cycles"]["length"].tolist()[:2] == [28, 33]


def test_a_late_restart_beyond_the_maximum_delay_is_also_too_long() -> None:
    # the same data, with max_delay = start_window (3 days): cycle 2's 33 days are too long
    r = run(daily("S1", 1, 51) + daily("S1", 62, 173), model=model(delay=""))
    only(r, "TS503", "TS506", "TS507")
    assert "S1 cycle 2 lasted 33 days" in r.findings("TS506")[0].message


def test_a_whole_cycle_without_doses_is_a_cycle_of_missed_doses() -> None:
    for window in (0, 3):
        r = run(daily("S1", 1, 56) + daily("S1", 85, 168), model=model(window))
        only(r, "TS503")
        assert starts(r) == PLANNED
        assert missed(r) == [(3, d) for d in range(1, 29)]
        assert r.rdi("S1", "G") == pytest.approx(140 / 168)


def test_a_restart_in_the_window_of_a_later_cycle_keeps_the_calendar() -> None:
    # no dose for cycle 3, and the restart is 2 days into cycle 4
    r = run(daily("S1", 1, 56) + daily("S1", 87, 168), model=model())
    only(r, "TS503")  # 138 of 168 doses: RDI 82.1%
    assert starts(r) == PLANNED
    assert missed(r) == [(3, d) for d in range(1, 29)] + [(4, 1), (4, 2)]


def test_a_seventh_cycle_is_reported_once() -> None:
    r = run(daily("S1", 1, 175), model=model())  # cycle 7 days 1-7
    only(r, "TS508")
    assert starts(r) == PLANNED + [169]
    (f,) = r.findings("TS508")
    assert f"S1 had 7 cycles; 6 are planned (cycle 7 started {day(169)})" in f.message


def test_treatment_stopped_early_is_not_a_deviation() -> None:
    r = run(daily("S1", 1, 70), model=model())  # stops on cycle 3 day 14
    assert r.codes() == []
    assert starts(r) == [1, 29, 57]


def test_rest_days_keep_the_window_rule() -> None:
    # days 1-21 of 28 (lenalidomide-like) is not continuous: a day-1 dose 2 days early,
    # inside the window, still starts the next cycle
    text = CONTINUOUS.replace("days: 1-28", "days: 1-21") % {"window": 3, "delay": "", "cycles": "6"}
    r = run(daily("S1", 1, 21) + daily("S1", 27, 47), model=protocol(text))
    assert r.codes() == []
    assert starts(r) == [1, 27]


# -- the backend agrees with the row-by-row reference on continuous regimens ---------------------

REGIMENS = {
    "daily": """treatment:
  cycle: 7 days
  regimen:
    A: {dose: 10 mg, days: 1-7}
    B: {dose: 20 mg, days: [1, 4]}
  tolerances: {start_window: 1 days, max_delay: 2 days}
""",
    "bid, windows": """treatment:
  cycle: 9 days
  regimen:
    A: {dose: 10 mg, frequency: BID, days: [1, 3, 5, 7, 9]}
    B: {dose: 20 mg, days: [1, 2]}
  tolerances: {dose_window: 1, start_window: 2 days, max_delay: 3 days}
""",
}
PLANS = {name: plan_tables(build_plan(protocol(text))[0]) for name, text in REGIMENS.items()}


@st.composite
def interrupted(draw: Any) -> list[Row]:
    """Runs of daily A (and B every few days) separated by interruptions of any length."""
    rows: list[Row] = []
    for subject in range(draw(st.integers(1, 3))):
        t = draw(st.integers(0, 5))
        for _ in range(draw(st.integers(1, 5))):
            for k in range(draw(st.integers(1, 15))):
                rows.append((subject, 0, t + k))
                if draw(st.integers(0, 3)) == 0:
                    rows.append((subject, 1, t + k))
            t += k + 1 + draw(st.integers(0, 20))
    return rows


@settings(max_examples=150)
@given(st.sampled_from(sorted(PLANS)), interrupted())
def test_interrupted_daily_dosing_agrees_with_the_reference(backend: Backend, name: str,
                                                            rows: list[Row]) -> None:
    agree(PLANS[name], rows, backend)


@settings(max_examples=150)
@given(st.sampled_from(sorted(PLANS)), random_rows)
def test_random_rows_agree_with_the_reference(backend: Backend, name: str, rows: list[Row]) -> None:
    agree(PLANS[name], rows, backend)
