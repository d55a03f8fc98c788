"""The day-by-day plan (domain/treatment_apply.py) agrees with a row-by-row reference: each
dose's planned level from its study-day step and the subject's body size, levels, dose
changes, and the planned amount of every cycle."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trialspec.backend import Backend
from trialspec.domain.treatment import build_plan, plan_tables
from trialspec.domain.treatment_apply import apply_plan
from trialspec.domain.treatment_rows import dosing_tables
from trialspec.engine import get_backend

TREATMENT = """treatment:
  cycle: 7 days
  body_size: {dataset: subjects, height: height, weight: weight, bsa: mosteller}
  regimen:
    T: {dose: [{days: 1-9, dose: 20 mg}, {from: day 10, dose: 40 mg}], days: [1, 2, 3], reductions: [10 mg]}
    M: {dose: 10 mg/m2, days: [1, 4], reductions: [5 mg/m2]}
  tolerances: {dose_window: 1, start_window: 1 days, max_delay: 3 days, dose_tolerance: 2%}
"""
SUBJECTS = """trialspec: 1
study: {id: PROP}
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      height: {type: number, unit: cm}
      weight: {type: number, unit: kg}
  exposure:
    subject: subject_id
    columns:
      drug: {type: string}
      date: {type: date}
      dose: {type: number, unit_column: unit}
"""
ORIGIN = date(2022, 5, 2)
HEIGHTS, WEIGHTS = (160.0, 175.0, 190.0), (55.0, 70.0, 95.0)
T_STEPS, T_SWITCH, M_PER_M2 = (20.0, 40.0), 10, 10.0


def plan() -> Any:
    from trialspec.protocol import load_protocol_text

    model, diags = load_protocol_text(SUBJECTS + TREATMENT, "prop.yaml")
    assert model is not None, diags
    p, d = build_plan(model)
    assert p is not None, d
    return p


PLAN = plan()
# a dose is at the plan, at the reduction, or at neither
rows_strategy = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 30),
                                   st.sampled_from(["plan", "reduced", "off"])), max_size=40)


def bsa(s: int) -> float:
    return math.sqrt(HEIGHTS[s] * WEIGHTS[s] / 3600)


def run(rows: list[tuple[int, int, int, str]],
        backend_name: str = "pandas") -> tuple[dict[str, Any], list[tuple]]:
    first = {s: min(d for t, _, d, _ in rows if t == s) for s in {r[0] for r in rows}}
    data = []
    for s, drug, d, kind in rows:
        if drug == 0:
            planned = T_STEPS[1] if d - first[s] + 1 >= T_SWITCH else T_STEPS[0]
            dose = {"plan": planned, "reduced": 10.0, "off": planned * 0.7}[kind]
        else:
            planned = M_PER_M2 * bsa(s)
            dose = {"plan": planned, "reduced": planned / 2, "off": planned * 0.8}[kind]
        data.append((f"S{s}", "TM"[drug], (ORIGIN + timedelta(days=d)).isoformat(), round(dose, 6), "mg"))
    exposure = pd.DataFrame(data, columns=["subject_id", "drug", "date", "dose", "unit"]).astype(object)
    people = pd.DataFrame({"subject_id": ["S0", "S1", "S2"], "height": HEIGHTS, "weight": WEIGHTS})
    backend = get_backend(backend_name)
    frames = backend.frames_from_pandas(people, "subject_id", {"subjects": people},
                                        {"exposure": (exposure, "subject_id")})
    out = dosing_tables(plan_tables(PLAN), frames, backend)
    t = {name: {c: _column(table, c) for c in table} for name, table in out.items()}
    return apply_plan(PLAN, t), data


def _column(table: Any, name: str) -> Any:
    """A column of a backend's table as an array (as the dosing section reads it)."""
    column = table[name]
    return column.to_numpy() if hasattr(column, "to_numpy") else np.asarray(column)


def reference(t: dict[str, Any]) -> dict[str, Any]:
    """Row by row: planned dose, level, change per administration; planned amount per cycle."""
    a, cycles = t["admins"], t["cycles"]
    n = len(a["subject"])
    first: dict[int, int] = {}
    for i in range(n):
        s = int(a["subject"][i])
        first[s] = min(first.get(s, 10**9), int(a["date"][i]))

    def planned(drug: int, s: int, day: int) -> float:
        if drug == 0:
            return T_STEPS[1] if day - first[s] + 1 >= T_SWITCH else T_STEPS[0]
        return M_PER_M2 * bsa(s)

    levels, changes = [], []
    last: dict[tuple[int, int], int] = {}
    for i in range(n):
        s, drug, dose = int(a["subject"][i]), int(a["drug"][i]), float(a["dose"][i])
        p = planned(drug, s, int(a["date"][i]))
        red = 10.0 if drug == 0 else 5.0 * bsa(s)
        at_red = red < p * 0.98 and abs(dose - red) <= 0.02 * red
        level = 0 if abs(dose - p) <= 0.02 * p else (1 if at_red else -1)
        levels.append(level)
        change = 0
        if level >= 0:
            before = last.get((s, drug))
            if before is not None:
                change = -1 if level > before else (1 if level < before else 0)
            last[(s, drug)] = level
        changes.append(change)
    amounts = {}
    for k in range(len(cycles["subject"])):
        s, start, due = int(cycles["subject"][k]), int(cycles["start"][k]), int(cycles["due"][k])
        for drug, days in ((0, (1, 2, 3)), (1, (1, 4))):
            amounts[(s, drug, int(cycles["cycle"][k]))] = sum(
                planned(drug, s, start + d - 1) for d in days if d <= due)
    return {"level": levels, "change": changes, "amounts": amounts}


@settings(max_examples=60, deadline=None)
@given(rows_strategy)
def test_the_day_by_day_plan_matches_the_reference(backend: Backend,
                                                   rows: list[tuple[int, int, int, str]]) -> None:
    if not rows:
        return
    t, _ = run(rows, backend.name)
    ref = reference(t)
    assert t["admins"]["level"].tolist() == ref["level"]
    assert t["admins"]["change"].tolist() == ref["change"]
    per = t["intensity"]
    got = {(int(s), int(d), int(c)): float(x) for s, d, c, x in
           zip(per["subject"], per["drug"], per["cycle"], per["planned"], strict=True)}
    assert got.keys() == ref["amounts"].keys()
    for key, value in ref["amounts"].items():
        assert np.isclose(got[key], value, rtol=1e-12, atol=1e-12), key
