"""The dose planned for each day: dose steps, body size, placebo; levels and intensity against it.

The backend hands over each administration with its subject, drug, date, cycle and day
(docs/dosing.md); the clinical rules that depend on the dose planned *for that day* live
here, as numpy functions over those columns (no pandas, no engine):

- :func:`step_boundaries`: per subject, the date each dose step starts (study day: the
  subject's first administration is day 1; cycle: that cycle's start; visit: the first
  administration recorded at the visit);
- :func:`planned_dose`: each administration's planned dose (its step's dose, times the
  subject's body size for doses per m2 or per kg);
- :func:`levels_against_plan`: whether each dose is at the planned level or an allowed
  reduction of it, and how it moved between levels. A planned titration step is never a
  reduction or a re-escalation: both doses are at level 0 of their day;
- :func:`planned_amounts`: per subject, drug and cycle, the planned amount summed over the
  due planned days, each at its step's dose;
- :func:`bsa_mosteller`, :func:`bsa_dubois`: body surface area in m2;
  :func:`cockcroft_gault`, :func:`calvert`: a carboplatin dose for a target AUC.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NEVER = np.int64(1) << 40  # a step a subject never reached starts after every date
PLACEBO_ZERO = 1e-9  # a placebo dose this close to 0 (in the planned unit) is 0


def bsa_mosteller(height_cm: np.ndarray, weight_kg: np.ndarray) -> np.ndarray:
    """Mosteller (N Engl J Med 1987;317:1098): sqrt(height cm x weight kg / 3600), in m2."""
    return np.sqrt(np.asarray(height_cm, float) * np.asarray(weight_kg, float) / 3600.0)


def bsa_dubois(height_cm: np.ndarray, weight_kg: np.ndarray) -> np.ndarray:
    """DuBois & DuBois (Arch Intern Med 1916;17:863): 0.007184 x W^0.425 x H^0.725, in m2."""
    return 0.007184 * np.asarray(weight_kg, float) ** 0.425 * np.asarray(height_cm, float) ** 0.725


BSA = {"mosteller": bsa_mosteller, "dubois": bsa_dubois}


def cockcroft_gault(age: np.ndarray, weight_kg: np.ndarray, creatinine_mg_dl: np.ndarray,
                    female: np.ndarray) -> np.ndarray:
    """Creatinine clearance in mL/min (Cockcroft & Gault, Nephron 1976;16:31):
    (140 - age) x weight kg / (72 x serum creatinine mg/dL), x 0.85 for women. NaN unknown."""
    with np.errstate(invalid="ignore", divide="ignore"):
        crcl = (140.0 - age) * weight_kg / (72.0 * creatinine_mg_dl) * np.where(female, 0.85, 1.0)
    return np.where((creatinine_mg_dl > 0) & (weight_kg > 0) & (age > 0), crcl, np.nan)


def calvert(auc: float, gfr: np.ndarray) -> np.ndarray:
    """Carboplatin dose in mg for a target AUC in mg/mL x min (Calvert, J Clin Oncol
    1989;7:1748): AUC x (GFR + 25)."""
    return auc * (np.asarray(gfr, float) + 25.0)


def first_dates(subject: np.ndarray, date: np.ndarray, n_subjects: int) -> np.ndarray:
    """Each subject's first administration date (NEVER for a subject without any)."""
    out = np.full(n_subjects, NEVER, np.int64)
    np.minimum.at(out, subject, date)
    return out


def step_boundaries(steps: list[dict[str, Any]], first: np.ndarray, cycles: dict[str, np.ndarray],
                    admins: dict[str, np.ndarray], visits: list[str]) -> np.ndarray:
    """(steps x subjects) start dates of a drug's steps; step 0 also covers any earlier day."""
    n = len(first)
    out = np.full((len(steps), n), NEVER, np.int64)
    c_subj, c_no, c_start = cycles["subject"], cycles["cycle"], cycles["start"]
    for k, step in enumerate(steps):
        if step["basis"] == "day":
            out[k] = np.where(first < NEVER, first + step["first"] - 1, NEVER)
        elif step["basis"] == "cycle":
            pick = c_no == step["first"]
            out[k, c_subj[pick]] = c_start[pick]
        else:
            name = str(step["visit"]).strip().upper()
            code = visits.index(name) if name in visits else -2
            pick = admins.get("visit", np.full(len(admins["subject"]), -1)) == code
            np.minimum.at(out[k], admins["subject"][pick], admins["date"][pick])
    if len(steps):
        out[0] = np.minimum(out[0], first)  # the first step starts with treatment
    return out


def step_of(bounds: np.ndarray, subject: np.ndarray, date: np.ndarray) -> np.ndarray:
    """Each administration's step: the last step started on or before its date."""
    k = np.zeros(len(subject), np.int64)
    for j in range(1, len(bounds)):
        k = np.where(bounds[j][subject] <= date, j, k)
    return k


def planned_dose(drug_dose: np.ndarray, step_doses: list[np.ndarray], step_index: np.ndarray,
                 drug: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Each administration's planned dose: its step's dose (the drug's dose without steps),
    times ``size`` (the subject's BSA or weight for doses per body size, else 1)."""
    out = np.asarray(drug_dose, float)[drug]
    for d, doses in enumerate(step_doses):
        if len(doses):
            pick = drug == d
            out[pick] = doses[step_index[pick]]
    return out * size


def levels_against_plan(dose: np.ndarray, planned: np.ndarray, reductions: np.ndarray,
                        subject: np.ndarray, drug: np.ndarray, tolerance: float,
                        n_drugs: int) -> dict[str, np.ndarray]:
    """``level_ok`` (at the planned dose or an allowed reduction of it), ``level`` (0: the
    planned dose, k: the k-th allowed level below it; -1 off-level or unknown), ``change``
    (-1 down a level, +1 up a level, between consecutive at-level doses of a subject and
    drug) and ``prev`` (the previous at-level dose). ``reductions`` is (admins x r), NaN-padded,
    already in the planned unit for the subject. Rows are in time order within a subject."""
    known = ~np.isnan(dose) & ~np.isnan(planned)
    zero = planned == 0
    with np.errstate(invalid="ignore"):
        at_plan = np.where(zero, np.abs(dose) <= PLACEBO_ZERO, np.abs(dose - planned) <= tolerance * planned)
        level = np.where(at_plan, 0, -1)
        for k in range(reductions.shape[1]):
            r = reductions[:, k]
            allowed = r < planned * (1 - tolerance)
            at = allowed & (np.abs(dose - r) <= tolerance * r) & (level < 0)
            # its rank below the plan: the allowed reductions above it, plus one
            above = np.zeros(len(dose), np.int64)
            for j in range(reductions.shape[1]):
                rj = reductions[:, j]
                above += ((rj < planned * (1 - tolerance)) & (rj > r * (1 + tolerance))).astype(np.int64)
            level = np.where(at, above + 1, level)
    level = np.where(known, level, -1)
    change = np.zeros(len(dose), np.int8)
    prev_all = np.full(len(dose), np.nan)
    for d in range(n_drugs):
        pick = np.flatnonzero((level >= 0) & (drug == d))
        lv, s, x = level[pick], subject[pick], dose[pick]
        same = np.r_[False, s[1:] == s[:-1]]
        before = np.r_[-1, lv[:-1]]
        change[pick] = np.where(same & (lv > before), -1, np.where(same & (lv < before), 1, 0))
        prev_all[pick] = np.where(same, np.r_[np.nan, x[:-1]], np.nan)
    return {"level_ok": (level >= 0) | ~known, "level": level, "change": change, "prev": prev_all}


def planned_amounts(rows: dict[str, np.ndarray], cycles: dict[str, np.ndarray], planned_days: np.ndarray,
                    bounds: np.ndarray, step_doses: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Per (subject, drug, cycle) row of one drug: the planned amount over the cycle's due
    planned days, each at the dose of the step that covers it. ``planned_days``: planned
    administrations per cycle day (index 0 is day 1); ``bounds``: (steps x subjects)."""
    cum = np.r_[0, np.cumsum(planned_days)]
    width = len(planned_days)
    c_subj = cycles["subject"]
    c_count = np.bincount(c_subj, minlength=len(size))
    c_first = np.cumsum(c_count) - c_count
    at = c_first[rows["subject"]] + rows["cycle"] - 1
    start, due = cycles["start"][at], np.minimum(cycles["due"][at], width)
    s = rows["subject"]
    total = np.zeros(len(s))
    for k in range(len(step_doses)):
        lo = np.ones(len(s), np.int64) if k == 0 else np.maximum(1, bounds[k][s] - start + 1)
        hi = due if k + 1 == len(step_doses) else np.minimum(due, bounds[k + 1][s] - start)
        hi = np.clip(hi, 0, width)
        lo = np.clip(lo, 1, width + 1)
        n = np.where(hi >= lo, cum[hi] - cum[lo - 1], 0)
        total += n * step_doses[k]
    return total * size[s]


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
