"""The backend's dosing tables judged against the dose planned for each day.

:func:`apply_plan` takes the tables (as numpy columns) and the plan, and replaces the
backend's fixed-dose view with the day's planned dose (:mod:`treatment_schedule`): levels
and dose changes per administration, planned amounts and RDI per cycle and overall, and
compliance in administrations (a `0 mg` placebo's RDI is its compliance). It also gives each
subject's body size. No pandas, no engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.domain.treatment_schedule import (
    BSA,
    cockcroft_gault,
    first_dates,
    levels_against_plan,
    planned_amounts,
    planned_dose,
    ratio,
    step_boundaries,
    step_of,
)

Tables = dict[str, dict[str, np.ndarray]]


def body_sizes(plan: Any, subjects: dict[str, np.ndarray],
               factors: dict[str, float]) -> dict[str, np.ndarray]:
    """Per subject: ``per_m2`` (BSA by the protocol's formula), ``per_kg`` (weight) and ``auc``
    (Calvert's GFR + 25 mL/min, the GFR estimated by Cockcroft-Gault); NaN unknown."""
    n = len(subjects["id"])

    def value(role: str) -> np.ndarray:
        return np.asarray(subjects.get(role, np.full(n, np.nan)), float) * factors.get(role, 1.0)

    height, weight = value("height"), value("weight")
    body = plan.body_size
    formula = BSA[body.bsa] if body is not None else BSA["mosteller"]
    # sex: each distinct spelling read once (F/FEMALE, M/MALE; anything else unknown)
    spellings, which = np.unique(np.asarray(subjects.get("sex", np.full(n, "")), dtype=str),
                                 return_inverse=True)
    words = np.char.upper(np.char.strip(spellings))
    female = np.isin(words, ("F", "FEMALE"))[which]
    known_sex = np.isin(words, ("F", "FEMALE", "M", "MALE"))[which]
    with np.errstate(invalid="ignore"):
        good = (height > 0) & (weight > 0)
        bsa = formula(np.where(good, height, 1), np.where(good, weight, 1))
        crcl = cockcroft_gault(value("age"), weight, value("creatinine"), female)
        crcl = np.where(known_sex, np.minimum(crcl, factors.get("crcl_max", np.inf)), np.nan)
        return {"per_m2": np.where(good, bsa, np.nan), "per_kg": np.where(weight > 0, weight, np.nan),
                "auc": crcl + 25.0}


def apply_plan(plan: Any, t: Tables, factors: dict[str, float] | None = None) -> Tables:
    """``t`` with levels, changes, planned amounts and RDI against each day's planned dose."""
    drugs = plan.drugs
    n_subjects = len(t["subjects"]["id"])
    a, cycles = t["admins"], t["cycles"]
    subj, drug, date, dose = a["subject"], a["drug"], a["date"], a["dose"]
    sizes = body_sizes(plan, t["subjects"], factors or {})
    size_of = np.ones((len(drugs), n_subjects))
    for i, d in enumerate(drugs):
        if d.kind in sizes:
            size_of[i] = sizes[d.kind]
            if d.cap is not None and d.dose > 0:  # a capped dose: the size counts up to the cap
                size_of[i] = np.minimum(size_of[i], d.cap / d.dose)
    first = first_dates(subj, date, n_subjects)
    visits = [str(v) for v in t.get("visits", {}).get("name", [])]
    steps = [[{"basis": s.basis, "first": s.first, "visit": s.visit} for s in d.steps] for d in drugs]
    bounds = [step_boundaries(s, first, cycles, a, visits) for s in steps]
    step_index = np.zeros(len(subj), np.int64)
    for i, d in enumerate(drugs):
        if d.steps:
            pick = drug == i
            step_index[pick] = step_of(bounds[i], subj[pick], date[pick])
    step_doses = [np.array([s.dose for s in d.steps], float) for d in drugs]
    size = size_of[drug, subj] if len(drugs) else np.ones(len(subj))
    planned = planned_dose(np.array([d.dose for d in drugs], float), step_doses, step_index, drug, size)
    width = max([len(d.levels) - 1 for d in drugs] or [0])
    red = np.full((len(drugs), max(width, 1)), np.nan)
    for i, d in enumerate(drugs):
        red[i, :len(d.levels) - 1] = d.levels[1:]
    levels = levels_against_plan(dose, planned, red[drug] * size[:, None] if len(drugs) else red[:0],
                                 subj, drug, plan.dose_tolerance, len(drugs))
    t["admins"] = {**a, **levels, "planned": planned, "step": step_index}
    t["intensity"], t["overall"] = _intensity(plan, t, bounds, step_doses, size_of)
    t["body"] = sizes
    # for `explain`: each drug's step starts (steps x subjects) and size factor per subject
    t["step_starts"] = {str(i): b for i, b in enumerate(bounds)}
    t["size_factor"] = {str(i): size_of[i] for i in range(len(drugs))}
    return t


def planned_on(plan: Any, t: Tables, drug: int, subject: int, date: int) -> float:
    """The dose planned for ``drug`` on ``date`` for ``subject`` (NaN: body size unknown)."""
    d = plan.drugs[drug]
    size = float(t["size_factor"][str(drug)][subject]) if "size_factor" in t else 1.0
    if not d.steps:
        return d.dose * size
    starts = t["step_starts"][str(drug)][:, subject]
    k = max([j for j in range(len(starts)) if starts[j] <= date] or [0])
    return d.steps[k].dose * size


def _intensity(plan: Any, t: Tables, bounds: list[np.ndarray], step_doses: list[np.ndarray],
               size_of: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per cycle and overall: planned amounts at each day's dose; a drug counted in
    administrations (placebo, dosage units) has RDI = given / planned administrations."""
    drugs = plan.drugs
    per = dict(t["intensity"])
    planned = np.asarray(per["planned"], float).copy()
    rdi_by_count = np.array([d.placebo for d in drugs] + [False], bool)
    for i, d in enumerate(drugs):
        if not (d.steps or d.kind in ("per_m2", "per_kg", "auc")):
            continue
        pick = np.flatnonzero(per["drug"] == i)
        length = plan.cycle_days_of(plan.arms.index(d.arm))
        days = np.zeros(length, np.int64)
        days[np.asarray(d.days, np.int64) - 1] = d.per_day
        doses = step_doses[i] if d.steps else np.array([d.dose])
        b = bounds[i] if d.steps else np.zeros((1, len(size_of[i])), np.int64)
        rows = {"subject": per["subject"][pick], "cycle": per["cycle"][pick]}
        planned[pick] = planned_amounts(rows, t["cycles"], days, b, doses, size_of[i])
    per["planned"] = planned
    counted = rdi_by_count[per["drug"]] if len(per["drug"]) else np.zeros(0, bool)
    per["rdi"] = np.where(counted, ratio(per["given_n"], per["planned_n"]), ratio(per["delivered"], planned))
    overall = dict(t["overall"])
    nd = max(len(drugs), 1)
    pair = per["subject"] * nd + per["drug"]
    key = overall["subject"] * nd + overall["drug"]
    at = np.searchsorted(key, pair)
    for c in ("planned", "delivered", "planned_n", "given_n"):
        overall[c] = np.bincount(at, weights=per[c], minlength=len(key)).astype(float)
    o_counted = rdi_by_count[overall["drug"]] if len(overall["drug"]) else np.zeros(0, bool)
    overall["compliance"] = ratio(overall["given_n"], overall["planned_n"])
    overall["rdi"] = np.where(o_counted, overall["compliance"],
                              ratio(overall["delivered"], overall["planned"]))
    return per, overall
