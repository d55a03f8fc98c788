"""Dosing of 1M administrations with a titration and doses per m2: trialspec beside hand-written
pandas, on the same data, in the same run.

The cycle geometry is dosing_bench's (21-day cycles; A on days 1, 4, 8, 11; B on days 1, 2,
4, 5, 8, 9, 11, 12; dose window +/-1 day, start window +/-3 days, maximum delay 14 days) and so
is the exposure table's shape (50,000 subjects x 20 rows, with moved, missed and doubled
doses). What differs is the dose:

- A is dosed per m2: 12.5 mg/m2 (reduction 7.5 mg/m2) of each subject's body surface area
  (Mosteller, from a height and weight per subject), rounded to 0.1 mg; within 5% is on plan;
- B is titrated by study day: 20 mg on days 1-21, then 30 mg (a step, never a dose change).

3% of subjects have A reduced in their second cycle, 0.5% re-escalate it, 0.2% of doses are
off every level, 2% of subjects stay on B's first step (off level after day 21).

trialspec runs the whole of ``domain.treatment_rows.dosing_tables`` (binding, EX rows to
administrations, cycles, matching) and then the domain's day-by-day plan
(``domain.treatment_apply.apply_plan``: each dose's planned level from its step and body
size, dose changes, planned amounts and RDI). The baseline reuses dosing_bench's hand-written
pandas for cycles and matching and adds the same per-day plan in pandas. Levels, changes and
RDI per subject and drug (overall and per cycle) are checked equal before the table prints.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import dosing_bench as base
from benchmarks._common import Timer, ratio_rows
from benchmarks._common import table as format_table
from trialspec.domain.treatment import DosingPlan, DrugPlan
from trialspec.domain.treatment_apply import apply_plan
from trialspec.domain.treatment_doses import StepPlan
from trialspec.domain.treatment_rows import dosing_tables
from trialspec.engine import get_backend
from trialspec.engine.pandas import SubjectFrames
from trialspec.source import Span

REPEATS = 5
A_PER_M2, A_REDUCED, B_STEPS, B_SWITCH, TOLERANCE = 12.5, 7.5, (20.0, 30.0), 22, 0.05
STAGES = ("bind; EX rows -> administrations, cycles, matching (row batches)",
          "domain: planned dose per day (steps, BSA), levels, changes, RDI")
HERE = Span("bench", 1, 1, 1, 2)


def make_data(n: int = base.N_SUBJECTS, seed: int = base.SEED) -> tuple[base.Data, pd.DataFrame]:
    data = base.make_data(n, seed)
    rng = np.random.default_rng(seed + 1)
    height, weight = np.round(rng.normal(170, 9, n), 1), np.round(rng.normal(76, 12, n), 1)
    body = pd.DataFrame({"subject_id": data.subjects["subject_id"], "height": height, "weight": weight})
    ex = data.exposure
    subject = pd.Index(data.subjects["subject_id"]).get_indexer(ex["subject_id"])
    day = pd.to_datetime(ex["date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    first = pd.Series(day).groupby(subject).transform("min").to_numpy()
    study_day = day - first + 1
    bsa = np.sqrt(body["height"].to_numpy() * body["weight"].to_numpy() / 3600)[subject]
    is_a = (ex["drug"] == "A").to_numpy()
    old = ex["dose"].to_numpy() * np.where(ex["unit"] == "g", 1000, 1)
    # keep dosing_bench's reductions, re-escalations and off-level doses, in the new levels
    a_dose = np.where(old == 25.0, A_PER_M2, np.where(old == 15.0, A_REDUCED, 9.7)) * bsa
    stays = rng.random(n) < 0.02
    b_dose = np.where((study_day >= B_SWITCH) & ~stays[subject], B_STEPS[1], B_STEPS[0])
    dose = np.where(is_a, np.round(a_dose, 1), b_dose)
    grams = (ex["unit"] == "g").to_numpy()
    data.exposure = ex.assign(dose=np.where(grams, dose / 1000, dose))
    return data, body


def plan() -> tuple[DosingPlan, dict[str, Any]]:
    a = DrugPlan("main", "A", A_PER_M2, "mg", (A_PER_M2, A_REDUCED), base.A_DAYS, 1, "QD", False, HERE,
                 kind="per_m2")
    b = DrugPlan("main", "B", B_STEPS[0], "mg", (B_STEPS[0],), base.B_DAYS, 1, "QD", False, HERE,
                 steps=(StepPlan("day", 1, B_SWITCH - 1, None, B_STEPS[0], HERE),
                        StepPlan("day", B_SWITCH, None, None, B_STEPS[1], HERE)))
    p = DosingPlan(cycle_days=base.L, cycles=None, until_progression=True, dose_window=base.DOSE_WINDOW,
                   start_window=base.START_WINDOW, max_delay=base.MAX_DELAY, rdi_min=0.8, arms=("main",),
                   drugs=(a, b), exposure="exposure", shape="administrations", columns={}, dose_unit=None,
                   arm_source=None, span=HERE, cycle_span=HERE, tolerance_span=HERE, exposure_span=HERE,
                   column_spans={}, arm_cycle_days=(base.L,), dose_tolerance=TOLERANCE)
    tables = {**base.PLAN, "body": {"dataset": "subjects", "height": "height", "weight": "weight"},
              "drugs": {**base.PLAN["drugs"], "dose": [A_PER_M2, B_STEPS[0]],
                        "levels": [[A_PER_M2, A_REDUCED], [B_STEPS[0]]]}}
    return p, tables


def run_trialspec(data: base.Data, body: pd.DataFrame, timer: Timer) -> dict[str, Any]:
    p, tables = plan()
    with timer(STAGES[0]):
        frames = SubjectFrames.from_frames(body, "subject_id", {"subjects": body},
                                           {"exposure": (data.exposure, "subject_id")})
        out = dosing_tables(tables, frames, get_backend("pandas"))
    with timer(STAGES[1]):
        t = apply_plan(p, out)
    a = t["admins"]
    columns = ("subject", "drug", "date", "source", "level_ok", "change")
    return _result(pd.DataFrame({c: a[c] for c in columns}), pd.DataFrame(t["overall"]),
                   pd.DataFrame(t["intensity"]))


def _result(admins: pd.DataFrame, overall: pd.DataFrame, intensity: pd.DataFrame) -> dict[str, Any]:
    a = admins.sort_values(["subject", "date", "drug", "source"])
    return {"n": len(a), "level_ok": int(a["level_ok"].sum()),
            "changes": np.bincount(a["change"].to_numpy() + 1).tolist(),
            "rdi": np.round(overall.sort_values(["subject", "drug"])["rdi"].to_numpy(), 9),
            "rdi_cycle": np.round(intensity.sort_values(["subject", "drug", "cycle"])["rdi"].to_numpy(), 9)}


def run_pandas(data: base.Data, body: pd.DataFrame, timer: Timer) -> dict[str, Any]:
    with timer(STAGES[0]):
        codes = pd.Index(data.subjects["subject_id"]).get_indexer(data.exposure["subject_id"])
        ex = pd.DataFrame({"subject": codes, "drug": data.exposure["drug"].map({"A": 0, "B": 1}).to_numpy(),
                           "date": (pd.to_datetime(data.exposure["date"], format="%Y-%m-%d")
                                    .to_numpy().astype("datetime64[D]").astype(np.int64)),
                           "dose": data.exposure["dose"].to_numpy()
                           * data.exposure["unit"].map({"mg": 1.0, "g": 1000.0}).to_numpy()})
        ex["source"] = np.arange(len(ex))
        ex = ex.sort_values(["subject", "date", "drug", "source"], ignore_index=True)
        starts = base._pandas_starts(ex)
        ex = base._pandas_assign(ex, starts)
        cycles = base._pandas_cycles(ex, starts)
        ex, _ = base._pandas_match(ex, cycles)
    with timer(STAGES[1]):
        bsa = np.sqrt(body["height"] * body["weight"] / 3600).to_numpy()
        first = ex.groupby("subject")["date"].transform("min")
        study_day = ex["date"] - first + 1
        b_planned = np.where(study_day >= B_SWITCH, B_STEPS[1], B_STEPS[0])
        planned = np.where(ex["drug"] == 0, A_PER_M2 * bsa[ex["subject"]], b_planned)
        reduced = np.where(ex["drug"] == 0, A_REDUCED * bsa[ex["subject"]], np.nan)
        at_plan = (ex["dose"] - planned).abs() <= TOLERANCE * planned
        at_red = (ex["dose"] - reduced).abs() <= TOLERANCE * reduced
        level = np.where(at_plan, 0, np.where(at_red, 1, -1))
        ex["level_ok"] = level >= 0
        ok = ex.assign(level=level)[level >= 0]
        before = ok.groupby(["subject", "drug"])["level"].shift(1)
        change = np.sign(before - ok["level"]).fillna(0).astype(np.int8)
        ex["change"] = change.reindex(ex.index).fillna(0).astype(np.int8)
        intensity, overall = _pandas_intensity(ex, cycles, first.groupby(ex["subject"]).first(), bsa)
    return _result(ex, overall, intensity)


def _pandas_intensity(ex: pd.DataFrame, cycles: pd.DataFrame, first: pd.Series,
                      bsa: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planned amounts: each due planned day of each cycle at its step's dose (B) or at
    12.5 mg/m2 of the subject's BSA (A)."""
    days = pd.DataFrame({"drug": [0] * len(base.A_DAYS) + [1] * len(base.B_DAYS),
                         "day": list(base.A_DAYS) + list(base.B_DAYS)})
    rows = cycles[["subject", "cycle", "start", "due"]].merge(days, how="cross")
    rows = rows[rows["day"] <= rows["due"]]
    study_day = rows["start"] + rows["day"] - 1 - first.reindex(rows["subject"]).to_numpy() + 1
    rows["amount"] = np.where(rows["drug"] == 0, A_PER_M2 * bsa[rows["subject"]],
                              np.where(study_day >= B_SWITCH, B_STEPS[1], B_STEPS[0]))
    planned = rows.groupby(["subject", "drug", "cycle"])["amount"].sum()
    grid = cycles[["subject", "cycle"]].merge(pd.DataFrame({"drug": [0, 1]}), how="cross")
    grid["planned"] = planned.reindex(pd.MultiIndex.from_frame(grid[["subject", "drug", "cycle"]])) \
        .fillna(0).to_numpy()
    got = ex.groupby(["subject", "drug", "cycle"])["dose"].sum()
    keys = pd.MultiIndex.from_frame(grid[["subject", "drug", "cycle"]])
    grid["sum"] = got.reindex(keys).fillna(0).to_numpy()
    grid["rdi"] = grid["sum"] / grid["planned"].where(grid["planned"] > 0)
    overall = grid.groupby(["subject", "drug"], as_index=False)[["planned", "sum"]].sum()
    overall["rdi"] = overall["sum"] / overall["planned"].where(overall["planned"] > 0)
    return grid, overall


def main() -> None:
    t0 = time.perf_counter()
    data, body = make_data()
    print(f"dosing with a titration and doses per m2: {len(data.exposure):,} administration rows, "
          f"{len(data.subjects):,} subjects; data built in {time.perf_counter() - t0:.1f} s")
    ours, theirs = Timer(), Timer()
    results: tuple[dict[str, Any], dict[str, Any]] | None = None
    for _ in range(REPEATS):
        results = run_trialspec(data, body, ours), run_pandas(data, body, theirs)
    assert results is not None
    base._same(*results)
    print(format_table(ratio_rows(ours, theirs, list(STAGES))))
    r = results[0]
    print(f"off-level doses {r['n'] - r['level_ok']:,}; reductions/re-escalations "
          f"{r['changes'][0]:,}/{r['changes'][2]:,}; the titration step is no change")
    print(f"(best of {REPEATS}; whole benchmark {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
