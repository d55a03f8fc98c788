"""The vectorized backend agrees with the row-by-row reference interpreter (reference.py) on
cycles, each administration's cycle, day and status, missed doses and planned/given counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trialspec.backend import Backend
from trialspec.domain.treatment import build_plan, plan_tables
from trialspec.domain.treatment_rows import dosing_tables

from .helpers import REGIMEN, protocol
from .reference import reference

REGIMENS = {
    "rd-like": REGIMEN % {"cycles": "until progression", "a_extra": ""},
    "bid, no windows": """treatment:
  cycle: 7 days
  regimen:
    A: {dose: 10 mg, frequency: BID, days: [1, 2, 4]}
    B: {dose: 20 mg, days: 3}
""",
    "wide windows": """treatment:
  cycle: 10 days
  regimen:
    A: {dose: 10 mg, days: 2-6}
    B: {dose: 20 mg, days: [2, 5]}
  tolerances: {dose_window: 2, start_window: 1 days, max_delay: 3 days}
""",
}
PLANS = {name: plan_tables(build_plan(protocol(text))[0]) for name, text in REGIMENS.items()}  # type: ignore[arg-type]
ORIGIN = date(2021, 3, 1)

Row = tuple[int, int, int]  # subject, drug, day offset

random_rows = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 60)), max_size=45)


@st.composite
def perturbed_schedules(draw: Any) -> list[Row]:
    """Planned cycles of varying length, then doses dropped, doubled and moved."""
    rows: list[Row] = []
    for subject in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, 5))
        for _ in range(draw(st.integers(1, 4))):
            for drug, days in ((0, range(1, 6)), (1, (1, 8))):
                rows += [(subject, drug, start + d - 1) for d in days]
            start += draw(st.integers(8, 24))
    out: list[Row] = []
    for r in rows:
        action = draw(st.sampled_from(["keep"] * 6 + ["drop", "double", "early", "late"]))
        if action == "double":
            out += [r, r]
        elif action in ("early", "late"):
            out.append((r[0], r[1], r[2] + (1 if action == "late" else -1) * draw(st.integers(1, 3))))
        elif action == "keep":
            out.append(r)
    return out


def run_both(plan: dict[str, Any], rows: list[Row],
             backend: Backend) -> tuple[dict[str, Any], dict[str, Any]]:
    names = ["A", "B"]
    exposure = pd.DataFrame({
        "subject_id": [f"S{s}" for s, _, _ in rows], "drug": [names[d] for _, d, _ in rows],
        "date": [(ORIGIN + timedelta(days=t)).isoformat() for _, _, t in rows],
        "dose": [10.0 if d == 0 else 20.0 for _, d, _ in rows], "unit": ["mg"] * len(rows)})
    subjects = pd.DataFrame({"subject_id": ["S0", "S1", "S2"]})
    frames = backend.frames_from_pandas(subjects, "subject_id", {}, {"exposure": (exposure, "subject_id")})
    plan = dict(plan, columns={"drug": "drug", "dose": "dose", "unit": "unit", "date": "date", "start": None,
                               "end": None, "frequency": None})
    origin = (np.datetime64(ORIGIN, "D") - np.datetime64("1970-01-01", "D")).astype(int)
    ref_rows = [(s, d, int(origin) + t, 10.0, i) for i, (s, d, t) in enumerate(rows)]
    # two batches of subjects (S0, S1 | S2): the rules run per batch
    return dosing_tables(plan, frames, backend, batch_subjects=2), reference(plan, ref_rows)


def agree(plan: dict[str, Any], rows: list[Row], backend: Backend) -> None:
    got, want = run_both(plan, rows, backend)
    a = got["admins"]
    assert {int(s): (int(c), int(d)) for s, c, d in zip(a["source"], a["cycle"], a["day"], strict=True)} \
        == want["cycle_of"]
    assert {int(s): int(x) for s, x in zip(a["source"], a["status"], strict=True)} == want["status"]
    m = got["missed"]
    assert sorted(zip(*(m[c].astype(int).tolist() for c in ("subject", "drug", "cycle", "day", "count")),
                      strict=True)) == want["missed"]
    c = got["cycles"]
    cycles = list(zip(*(c[k].tolist() for k in ("subject", "cycle", "start", "length", "short", "long",
                                                   "window")), strict=True))
    assert [tuple(-1 if isinstance(x, float) and np.isnan(x) else x for x in row) for row in cycles] == \
        [tuple(-1 if isinstance(x, float) and np.isnan(x) else x for x in row) for row in want["cycles"]]
    i = got["intensity"]
    keys = ("subject", "drug", "cycle", "planned_n", "given_n")
    assert sorted(zip(*(i[k].astype(int).tolist() for k in keys), strict=True)) == want["intensity"]


@settings(max_examples=150)
@given(st.sampled_from(sorted(PLANS)), random_rows)
def test_random_rows_agree_with_the_reference(backend: Backend, name: str, rows: list[Row]) -> None:
    agree(PLANS[name], rows, backend)


@settings(max_examples=150)
@given(st.sampled_from(sorted(PLANS)), perturbed_schedules())
def test_perturbed_schedules_agree_with_the_reference(backend: Backend, name: str, rows: list[Row]) -> None:
    agree(PLANS[name], rows, backend)
